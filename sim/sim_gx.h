/* SPDX-License-Identifier: MIT */
/*
 * Emulator of a NationalChip GX set-top box (Gemini 6702H5 as captured) on
 * its UART: boot ROM, RAM loader ("boot>" command mode) and a 4 MiB SPI NOR
 * flash (EN25Q32). Written from ../shared/notes/uart-chips.md section 1
 * (cited as §1.n) and the capture in ../shared/data/gx/packets, never from
 * the host code. It runs behind the runner (sim/sim_uart.h), in model time
 * or on a pty in real time:
 *
 *     uart_sim_open("gx,loader-chip=0x6612,trace=/tmp/t", err, sizeof(err))
 *
 * Every timed value is on the runner's clock. pace=1 (the default in model
 * time) adds the line rate (baud/10 bytes per second, both directions) and
 * the flash's busy times; without it bytes move as fast as the pty allows,
 * in the same order. The runner's own options and those every emulator
 * shares (image=, save=, trace=, rx=, stats=, seed=): sim/sim_uart.h.
 *
 * ---------------------------------------------------------------- options
 * Spec "gx[,key=value...]". Booleans take 0/1 (a bare "key" means 1).
 * Numbers are decimal or 0x hex (K/M suffixes allowed). TEXT values take C
 * escapes \r \n \t \\ \xNN; a comma must be written \x2c (it separates
 * options).
 *
 * Power and reset
 *   power-delay=MS   the box powers on MS ms (default 100) after the host
 *                    first makes the slave raw (ICANON and ECHO cleared):
 *                    the user switching the box on after starting the tool.
 *   reset-line=dtr|rts  that modem line (uart_sim_set_modem) is the reset
 *                    button: asserted = held in reset (silent, input lost),
 *                    released = power-on again after power-delay.
 *   state=rom|prompt rom (default): power-on starts in the boot ROM.
 *                    prompt: the loader is already running at "boot> " (left
 *                    by an earlier run), from the start; no handshake and no
 *                    output until the host types. A reset goes to the ROM.
 *
 * Boot ROM (§1.1, §1.2)
 *   handshake=HEX|off  the burst the ROM sends at power-on (default B0B058;
 *                    observed: B0B058, B8B0FF58, B0B0FF58, 00B0B058).
 *                    off: the ROM never says anything (box unpowered, wrong
 *                    wiring) and ignores everything.
 *   noise=TEXT       boot-log text sent just before the burst.
 *   split=0|1        1: the burst leaves as single bytes 3 ms apart.
 *   rom-baud=N       the ROM's rate for the burst and Stage 1 (default
 *                    115200; 100000 models the two Taurus boards).
 *   rom-window=MS    after the burst has been sent the ROM waits this long
 *                    (default 2000) for Stage 1's 0x59. Other bytes before
 *                    the 0x59 are skipped. Without a 0x59 in time it prints a
 *                    little firmware boot noise at 115200 and goes silent
 *                    until the next reset.
 *   loader-chip=0xNNNN  chip ID that sets the Stage-1 size T (§1.2 table):
 *                    0x6616/0x3211/0x6701/0x6705 -> 0x2000, 0x6612 -> 0x4000,
 *                    any other -> 0x1000. Default 0x6701.
 *   Stage 1 = 59, LE32 word count (must be T/4), T-4 payload bytes,
 *   "boot". The whole of Stage 1 is judged at the host rate seen at the 0x59
 *   (the host switches to 115200 right after "boot"). A wrong count, a
 *   wrong terminator, or stage-timeout of silence inside Stage 1 -> no
 *   RUNGET ever (the ROM goes silent; the trace says why).
 *   stage-timeout=MS silence that ends Stage 1 or Stage 2 (default 5000).
 *   runget-delay=MS  RUNGET leaves this long (default 20) after "boot"
 *                    arrived, at 115200.
 *   runget=TEXT      what the loader says (default "RUNGET").
 *   Stage 2 (after RUNGET has been sent; earlier bytes are dropped) = LE32
 *   sum32, LE32 size (1..1 MiB), size image bytes. The image must start with
 *   "toob" and its additive byte sum must be sum32; otherwise silent.
 *   stage-timeout of silence (from RUNGET on) also ends it.
 *   banner-delay=MS  the banner follows this long (default 10) after Stage 2.
 *   legacy=0|1       1: a loader without the "toob" header (§1.2 "Legacy
 *                    loaders"): Stage 1 = 59, LE32 word count (T/4, or T/4+2
 *                    counting the extra 8 bytes), T-4 payload bytes (file
 *                    from offset 4), LE32 sum32, LE32 size, "boot"; after
 *                    RUNGET the whole file (size bytes, additive sum32) with
 *                    no header and no magic. In command mode the ~crc~
 *                    exchanges are off: dumps are ~sta~ DATA ~fin~, downloads
 *                    take ~sta~ DATA and answer ~fin~ at once.
 *
 * Loader (§1.3). The banner is the captured 1,424 bytes (EN25Q32 4 MB,
 * partition table, GxLoader lines) ending "boot> ". Partitions, resolved by
 * name (any case) in commands:
 *   BOOT 0x0 64 KiB, TABLE 0x10000 512 B, LOGO 0x10200 65024 B,
 *   KERNEL 0x20000 2688 KiB, ROOT 0x2C0000 832 KiB, DATA 0x390000 448 KiB.
 *   down-reboot=0|1  1: after a serialdown to flash has been programmed the
 *                    box reboots into the loader and prints the banner again
 *                    (libre-gxdl) instead of just the prompt.
 *
 * Memories
 *   image=FILE       initial flash, exactly 4 MiB. Default: deterministic
 *                    from seed: each partition's used part pseudo-random, the
 *                    rest 0xFF; BOOT starts with a loader header ("toob",
 *                    00 01, loader-chip LE16, LE32 115200), ROOT with the
 *                    cramfs magic 45 3D CD 28.
 *   save=FILE        the flash at stop (temporary file + rename; a device or
 *                    FIFO is written in place).
 *   otp=FILE         initial 1 KiB chip OTP (exactly 1024 bytes). Default:
 *                    0x000-0x1FF pseudo-random from seed, 0x200-0x3FF zero.
 *   otp-save=FILE    the OTP at stop, as save=.
 *   The flash's security registers (sflash_otp) are 3 x 256 B, all 0xFF.
 *
 * Faults (all drawn from seed=N, default 1; P is a probability 0..1 such
 * as 0.001 or 1e-4)
 *   flip=N           the first N serialdump / gx_otp read transfers each get
 *                    one data byte flipped (one bit) on the wire; the XOR
 *                    word stays the true one.
 *   flip-rate=P      each byte the device sends gets one bit flipped.
 *   drop-rate=P      each byte the device sends is lost.
 *   delay-rate=P     before each byte the device sends, a stall of delay=MS
 *   delay=MS         (default 100).
 *   reset-at=N       the box resets (back to ROM: silence, then the handshake
 *                    again after power-delay) after N data bytes of the next
 *                    serialdump or serialdown (at the end of its data if it
 *                    is shorter). Once.
 *
 * Line (model of the wire, with the host's termios as the runner reads it)
 *   The device is 8N1 at rom-baud in the ROM, 115200 after. When the host's
 *   baud differs by more than 3 %, or it uses parity or other than 8 bits,
 *   the bytes are garbled both ways: each becomes a byte from 0x80-0xFF that
 *   is not the real one (never B0 or B8). Output is judged when it leaves;
 *   input when each byte arrives, except that Stage 1 and Stage 2 are judged
 *   as a whole at their first byte. Bytes read around a change of the
 *   host's settings count as clean if either the old or the new settings
 *   match (a pty cannot tell when they were written; sim/sim_uart.c).
 *   INPCK is traced, not modelled. (A Linux pty forces CS8 and clears
 *   PARENB, so parity and bits only matter on other transports.)
 *
 * Files
 *   trace=FILE       the device's view, one event per line, flushed as it
 *                    goes (wording below).
 *   rx=FILE          every byte received from the host, raw, in order.
 *   stats=FILE       "name value" lines at stop: bytes_rx bytes_tx
 *                    handshakes stage1_ok stage1_bad stage2_ok stage2_bad
 *                    early_rx commands dumps downs dump_bytes down_bytes
 *                    crc_errors flips wire_flips drops delays resets
 *                    garbled_rx garbled_tx sectors_programmed otp_writes
 *                    errors
 *
 * ------------------------------------------------------------- trace lines
 *   line baud=N parity=none|even|odd|mark|space inpck=0|1 [bits=N]
 *                                  host settings changed (first at start;
 *                                  bits= only when not 8)
 *   line raw                       the host made the slave raw (first time)
 *   modem dtr=0|1 / modem rts=0|1  every uart_sim_set_modem() call
 *   power-on                       the box (re)starts
 *   state prompt                   (state=prompt) the loader runs already
 *   handshake                      the burst has been sent
 *   rom skipped N bytes            non-0x59 bytes skipped before Stage 1
 *   rom window expired             no 0x59 in rom-window; firmware boots
 *   stage1 ok chip=0xNNNN bytes=N  N counts 59, count, payload, (legacy:
 *                                  sum, size,) "boot"
 *   stage1 bad: REASON             word count 0xN, want 0xN for chip 0xNNNN
 *                                  | terminator XX [XX..], want 'boot'
 *                                  (62 6f 6f 74) after N payload bytes
 *                                  | legacy size N out of range (1..1048576)
 *                                  | timeout after N bytes
 *   runget                         RUNGET has been sent
 *   early: dropped N bytes before RUNGET
 *   stage2 ok sum=0xNNNNNNNN size=N
 *   stage2 bad: REASON             size N out of range (4..1048576)
 *                                  | no 'toob' magic (got XX XX XX XX)
 *                                  | sum 0xN, header says 0xN
 *                                  | timeout after N of M image bytes
 *   prompt                         a prompt (or the banner's) has been sent
 *   command TEXT                   a command line as received (non-printing
 *                                  bytes as \xNN)
 *   reply TEXT                     the first line of a text answer
 *   dump addr=0xN len=N xor=0xNNNNNNNN   a binary read starts (serialdump,
 *                                  gx_otp read, sflash_otp read)
 *   down addr=0xN len=N            a binary write starts
 *   flip offset=N mask=0xNN        flip= hit this data byte
 *   crc ok / crc bad calc=0xN recv=0xN
 *   program addr=0xN len=N sectors=N  flash erased and programmed
 *   erase addr=0xN len=N sectors=N flash erase / eraseall done
 *   otp program addr=0xN len=N     gx_otp write/twrite applied
 *   sflash_otp program addr=0xN len=N
 *   sflash_otp lock region=N
 *   reboot                         down-reboot: the loader restarts
 *   reset                          reset line released, or reset-at
 *   rx garbled: host BAUD PARITY BITS, device BAUD
 *   tx garbled: host BAUD PARITY BITS, device BAUD
 *                                  (each when garbling starts again after
 *                                  clean bytes)
 *
 * ------------------------------------------------------------ command mode
 * The loader echoes every byte >= 0x20 it receives at the prompt; BS/DEL
 * erase ("\b \b"); other control bytes are ignored. \n or \r ends the line
 * (\r\n counts once) and is echoed as "\r\n". An empty line gives "boot> "
 * (so the host sees "\r\nboot> "); a command's output is followed by the
 * prompt "\r\nboot> ". Numbers: decimal or 0x hex. Lines hold 255 bytes.
 *   serialdump PART|ADDR LEN   ~sta~, LEN bytes in 1024-byte units, ~crc~,
 *                              BE32 XOR-sum, ~fin~
 *   serialdown PART|ADDR LEN   ~sta~, LEN bytes in, ~crc~, BE32 XOR-sum in;
 *                              match: ~fin~, erase+program (40 ms per 4 KiB
 *                              sector with pace=1; bytes around the range in
 *                              touched sectors are kept), prompt;
 *                              mismatch: "err: crc mismatch ..." + prompt,
 *                              flash unchanged
 *   gx_otp read ADDR LEN       as serialdump, over the 1 KiB OTP
 *   gx_otp tread ADDR LEN      text: lines "AAAA: xx xx ..." (16 per line)
 *   gx_otp write ADDR LEN      as serialdown; OTP bits only go 0->1
 *                              (new = old | data)
 *   gx_otp twrite ADDR HEX     text write, same OR rule;
 *                              "gx_otp: wrote N bytes at 0xA"
 *   sflash_otp status          "sflash otp: 3 regions x 256 B, region R,
 *                              locked: none|0 1 ..."
 *   sflash_otp getregion       "sflash otp region: R"
 *   sflash_otp setregion N     selects region 0-2 for erase and lock
 *   sflash_otp erase           region R back to 0xFF (unless locked)
 *   sflash_otp lock            region R locked for good
 *   sflash_otp read ADDR LEN   as serialdump over 0x000-0x2FF (region = A/256)
 *   sflash_otp write ADDR LEN  as serialdown; NOR: new = old & data; refused
 *                              when a touched region is locked
 *   flash erase [nospread] PART|ADDR [LEN]   whole 4 KiB sectors covering
 *                              the range (PART alone: the partition; 40 ms
 *                              a sector with pace=1);
 *                              "flash erase: 0xA+0xN (N sectors)"
 *   flash eraseall, flash badinfo ("flash badinfo: no bad blocks")
 *   anything else              "unknown command: TEXT"
 * Errors are one line starting "err: " (e.g. "err: range 0x0+0x20000 is
 * outside BOOT 0x0+0x10000", "err: unknown partition 'FOO'",
 * "err: usage: serialdump <part|addr> <len>", "err: crc mismatch: calc
 * 0x0000f00d, recv 0x0000beef") followed by the prompt.
 *
 * XOR-sum (§1.2): sum over i of (key[i mod 4] XOR data[i]) mod 2^32, key
 * 12 34 56 78, sent big-endian in both directions.
 */
#ifndef UNBRICK_SIM_GX_H
#define UNBRICK_SIM_GX_H

#include "sim_uart.h"

#include <stddef.h>
#include <stdint.h>

/* The XOR-sum of §1.2 over len bytes, continuing from sum at index start. */
uint32_t gx_sim_xorsum(uint32_t sum, uint64_t start, const uint8_t *data,
		       size_t len);

#endif
