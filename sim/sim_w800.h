/* SPDX-License-Identifier: MIT */
/*
 * Emulator of a WinnerMicro W800 (W801/W806) or W600 (W601) on its UART:
 * mask ROM, secboot, a running firmware, the BK "1.0.01" RAM read stub and
 * a SPI NOR flash. Written from ../shared/notes/uart-chips.md section 3
 * (cited as §3.n) and ../shared/data/w800, never from the host code. Two
 * models from one file: "w800" and "w600". It runs behind the runner
 * (sim/sim_uart.h), in model time or on a pty in real time:
 *
 *     uart_sim_open("w800,boot=rom,save=/tmp/flash.bin", err, sizeof(err))
 *
 * "Choice" below marks a behaviour the notes do not give; the model
 * decides it here. Every time is on the runner's clock. pace=1 (the
 * default in model time) adds the line rate (baud/10 bytes a second each
 * way) and the flash's busy times (erase, program); pace=0 makes the busy
 * times zero, the other delays (windows, prompts) stay.
 *
 * ---------------------------------------------------------------- options
 * Spec "w800[,key=value...]" or "w600[,...]". Booleans take 0/1 (a bare
 * "key" means 1). Numbers are decimal or 0x hex (K/M suffixes allowed).
 *
 * Chip and memories
 *   flash=SIZE       1M, 2M, 4M, 8M or 16M (default 2M on w800, 1M on w600).
 *                    Mapped at 0x08000000 (§3.4). Sets the QFID capacity
 *                    byte: 0x14 for 1M ... 0x18 for 16M (§3.2, MB =
 *                    2^(cap-0x11)/8).
 *   flash-mid=0xNN   manufacturer byte of the QFID answer (default 0xC8).
 *   image=FILE       initial flash, exactly flash= bytes. Default (from
 *                    seed): all 0xFF but, on w800, sectors 0-1 pseudo-random
 *                    (the area no tool erases) and a valid secboot image
 *                    (header at 0x2000, 4 KiB body at 0x2400); on w600 a
 *                    valid secboot image (header at 0x0, body at 0x100).
 *   save=FILE        the flash at stop.
 *   mac=XX:XX:XX:XX:XX:XX   the MAC (default 28:6D:CD:00:08:00). 0x37 sets
 *                    it until the emulator stops, across resets.
 *   w806=0|1         (w800 only) the flash's secboot is W806's secondary
 *                    downloader: it takes the ESC instead of the ROM (as
 *                    boot=secboot, without a banner) and answers 0x3E with
 *                    "R:W" (§3.1). 0x3F erases it (and resets, as in
 *                    secboot); the ROM comes next (see "Boot").
 *
 * Boot (§3.1). A secboot is "present" when the flash holds a valid image
 * header (magic and header CRC) at its place: 0x2000 on w800, 0x0 on w600
 * (choice: W600's secboot sits at the start of flash, header 0x100 before
 * its code). The chain at power-on and at every reset:
 *   1. bootpin=1: ROM download mode at once (BOOT held, W600 pin 13).
 *   2. No secboot present: ROM download mode at once (choice: the ROM has
 *      nothing to boot, so it waits for a download by itself; this is how
 *      hosts resync after 0x3F).
 *   3. boot=rom: the ROM listens esc-window ms for an ESC (0x1B) -> ROM
 *      download mode. Otherwise the secboot starts, silently and without
 *      an ESC window of its own (choice).
 *      boot=secboot: the secboot starts 10 ms after reset, prints
 *      "\r\nsecboot running V3.1...\r\n" (not with w806=1) and listens
 *      esc-window ms for an ESC -> secboot download mode.
 *   4. Then the firmware, 20 ms later: firmware=at prints
 *      "\r\nuser app running\r\n" and resets 20 ms after a line "AT+Z"
 *      (any case, ended by \r or \n; §3.1's wm_tool "AT+Z\r\n" and
 *      download.py "at+z\n"): the chain then starts again, so an ESC must
 *      follow, as every peer tool sends. firmware=none: silence.
 *   boot=rom|secboot  who takes the ESC: default rom on w800 (wm_tool sees
 *                    "Mac:" there), secboot on w600 (§3.1: "secboot
 *                    running..." then C's).
 *   firmware=at|none default at.
 *   bootpin=0|1      default 0.
 *   reset-line=rts|dtr|none  the modem line (uart_sim_set_modem) wired to
 *                    the chip's reset: asserted = held in reset (silent,
 *                    input lost); released = the chain above. Default rts
 *                    (wm_tool's -rs rts: DTR 0/RTS 1, 50 ms, DTR 1/RTS 0,
 *                    50 ms, DTR 0; w600tool and BK: RTS high, then low).
 *                    The other line is not wired.
 *   power-delay=MS   power-on comes MS ms (default 100) after the host
 *                    first makes the line raw: the board switched on after
 *                    the tool started.
 *   esc-window=MS    default 100 (choice: peers send ESC every 1-10 ms).
 *
 * Download mode. The ROM and the secboot send a prompt every prompt-ms
 * (default 20; choice: BK needs 4 'C's with 100 ms reads, wm_tool 3): 'C',
 * except the W600 ROM, which always prompts 'P' (choice: §3.1 only says 'P'
 * marks the ROM without secboot). Prompts start prompt-ms after entry,
 * pause from the first byte of a frame or an XMODEM block and resume
 * prompt-ms after the reply has left (or after the work is done). All talk
 * is 8N1 at 115200 until a baud frame; a reset returns to 115200.
 *
 * Command frames (§3.2): 21 LEN(LE16) CRC(LE16) CMD(LE32) PARAMS, LEN =
 * 4 + params + 2, CRC-16/CCITT-FALSE over CMD+PARAMS. LEN below 6 or above
 * 70, a bad CRC, or a silence of 100 ms inside a frame: the frame is
 * ignored (traced, frames_bad). A command the current program does not
 * know, or with the wrong number of parameter bytes: ignored, no answer
 * (choice; frames_ignored). Replies leave 1 ms after the frame.
 *   0x31 baud (LE32)   all programs. No reply; the chip switches baud-delay
 *                      ms (default 5; BK switches the host after 10 ms)
 *                      after the frame; prompts then come at the new rate.
 *                      Rates 9600..2000000 (choice); others are ignored.
 *   0x32 erase         ROM only. w800: LE16 start + LE16 count in 4 KiB
 *                      sectors; bit 15 of start: 64 KiB blocks. w600: no
 *                      parameters = the image area 0x10000..end. Clamped at
 *                      the end of flash (choice). On w800 a range touching
 *                      sectors 0-1 (0x0-0x1FFF) is refused whole: nothing
 *                      erased, prompts resume at once (choice: no tool
 *                      erases them, §3.5). Busy erase-ms per sector or
 *                      block-erase-ms per block; input meanwhile is lost;
 *                      completion = prompts resume (§3.2).
 *   0x37 set MAC (6)   ROM and secboot; no reply (choice).
 *   0x38 get MAC       ROM "Mac:AABBCCDDEEFF\n", secboot "MAC:...\n" (§3.1).
 *   0x3C QFID          ROM only: "FID:MM,CC\n" (hex pairs at [4..5] and
 *                      [7..8], as BK parses them; §3.2).
 *   0x3E ROM version   w800 ROM "R:8"; w806=1 secondary downloader "R:W".
 *                      Nobody else answers (choice: W600 ROM unknown).
 *   0x3F erase secboot ROM and secboot: erases the secboot area (w800
 *                      sectors 2-15 = 0x2000-0xFFFF, §3.5; w600 0x0-0xDFFF,
 *                      56 KiB, §3.4), busy as 0x32. ROM: prompts resume.
 *                      Secboot: the chip then resets (choice: BK's W600
 *                      flow resyncs and finds the ROM without a reset).
 *   0x4A read (8)      the RAM stub only (§3.2): LE32 address (0x08000000 +
 *                      offset) + LE32 length 1..65536 inside the flash ->
 *                      the bytes + LE32 WinnerMicro CRC-32 of them. Other
 *                      ranges: ignored (choice).
 *
 * XMODEM receiver (§3.3). In download mode (ROM or secboot, not the stub)
 * an SOH (128-byte) or STX (1024-byte) block starts an upload; its number
 * must be 1 (else CAN CAN). Each block: number, its complement, data,
 * CRC-16/XMODEM big-endian. Good: ACK once the flash work for the block
 * is done (below). Bad number pair or CRC, or a silence of 200 ms inside
 * a block: the receiver waits until the line has been quiet for 20 ms,
 * then NAKs (choice: a purge, so a resent block is not misread). The
 * previous block again: ACK, nothing written. Any other number: CAN CAN,
 * upload over. Two CANs from the host end it too; 10 s without a block
 * ends it (choice). EOT: ACK (see below for what follows).
 *   The data is a stream of images (.img, or a .fls = several, §3.4),
 *   each checked as it arrives: magic, header CRC, address, body CRC
 *   (CRC-32 init 0xFFFFFFFF, no final XOR, LE32). w800 header: 64 bytes;
 *   img_type = attr bits 0-3; attr bit 8 adds a 128-byte signature after
 *   the body (written, not checked). w600 header: 56 bytes (§3.4; type
 *   u16 at 4: 2 = secboot). After the last image the rest of the last
 *   block is padding (any bytes); more than a block of it is "bad magic".
 *   Where an image goes:
 *     w800: header at img_header_addr (when that is a flash address; BK's
 *           pseudo-images have 0 there, and only their body is written),
 *           body (and signature) at img_addr. img_addr in SRAM
 *           0x20000000-0x20047FFF: a RAM image, which the ROM runs after
 *           EOT (any such image is taken for BK's read stub; choice).
 *     w600: header at run_img_addr - 0x100, body at run_img_addr (choice:
 *           the header has no address of its own); zip_type is ignored,
 *           the body is stored as sent.
 *   The ROM takes only a .fls: the first image must be a secboot (w800
 *   img_type 0, which the stub and BK's pseudo-images also have; w600
 *   type 2), wm_tool's pack_fls puts it first. The secboot takes any.
 *   Refused: bad magic, bad header CRC, bad body CRC, an address outside
 *   the flash (or SRAM for a w800 ROM RAM image), a write touching w800
 *   sectors 0-1, an image over 16 MiB, a RAM image on w600 or in the
 *   secboot, an upload that ends inside an image, an empty upload.
 *   Answer to a refused image (choice: CAN is what makes wm_tool say
 *   "download failed"): CAN CAN (18 18) instead of the block's ACK (or the
 *   EOT's), then "\r\nupdate error: REASON\r\n" (REASON as in the trace
 *   below), the upload is over, prompts resume. Images completed before
 *   it stay written.
 *   Flash: an image is written when its last byte has arrived and checked
 *   (a refused image leaves the flash as it was): each 4 KiB sector it
 *   touches is erased the first time this upload touches it, then
 *   programmed. The time is charged as the bytes arrive: a block's ACK
 *   waits erase-ms for every sector its flash-bound bytes touch first and
 *   program-us per 1 KiB of them.
 *   After EOT: w800 ROM with a RAM image: the stub runs 10 ms later, at the
 *   same rate, and prompts 'C' (BK resyncs on 'C', §3.1); it answers 0x31
 *   and 0x4A only. w600 secboot: "\r\nrun user code...\r\n", then a reset
 *   restart-ms later (default 10000; §3.3 "~10 s"). Otherwise prompts
 *   resume.
 *
 * Timing knobs (busy times, only with pace=1)
 *   erase-ms=MS        per 4 KiB sector erase (default 25)
 *   block-erase-ms=MS  per 64 KiB block erase (default 150)
 *   program-us=US      per 1 KiB programmed (default 1500)
 *   restart-ms=MS      see above (not a busy time: always)
 *   turnaround-us=US   the least time from a block's last byte to its ACK
 *                      (default 0: the flash work alone); always, pace or not
 *
 * Faults (seed=N, default 1; PPM = parts per million per byte)
 *   corrupt-above=BAUD above this chip rate every byte, both ways, gets one
 *                    bit flipped with probability corrupt-ppm (default
 *                    50000): a CP210x at 2 Mbaud (§3.8). 0 (default): off.
 *   corrupt-ppm=PPM
 *   flip=PPM         one bit flipped, both ways.
 *   drop=PPM         a byte lost, both ways.
 *   delay=MS         a device byte leaves MS ms late, with probability
 *   delay-ppm=PPM    delay-ppm (default 10000 when delay= is given).
 *   reset-at=N       the chip resets after N bytes received inside XMODEM
 *                    blocks (counted over all uploads), once.
 *
 * Line: the chip is 8N1 at its rate. When the host's baud differs by more
 * than 3 % or it uses parity or other than 8 bits, every byte is garbled
 * both ways (a byte 0x80-0xFF, never the real one). Bytes read around a
 * change of the host's settings count as clean if either matches.
 *
 * Files
 *   trace=FILE       the device's view, one event per line (below).
 *   rx=FILE          every byte received from the host, raw.
 *   stats=FILE       "name value" lines at stop: bytes_rx bytes_tx prompts
 *                    escapes frames_ok frames_bad frames_ignored uploads
 *                    blocks_ok blocks_nak blocks_dup blocks_can images_ok
 *                    images_bad stubs baud_changes resets erases
 *                    sectors_erased reads read_bytes flips drops delays
 *                    corrupted garbled_rx garbled_tx busy_dropped
 *                    upload_ns (ns from block 1's first byte to the
 *                    EOT's ACK, summed over uploads)
 *
 * ------------------------------------------------------------- trace lines
 *   line baud=N parity=P bits=N    host settings changed
 *   line raw                       the host made the line raw (first time)
 *   modem dtr=0|1 / modem rts=0|1  every uart_sim_set_modem() call
 *   power-on | reset | held        the chip starts, restarts, is held
 *   rom window | secboot window    waiting esc-window ms for an ESC
 *   firmware | silent              the firmware runs (firmware=at) or not
 *   at+z                           the firmware got AT+Z
 *   download rom|secboot|stub prompt=C|P
 *   frame bad: REASON              bad length N | crc calc 0xNNNN recv
 *                                  0xNNNN | timeout after N bytes
 *   frame cmd=0xNN params=N        a good frame
 *   frame ignored cmd=0xNN         not for this program or wrong params
 *   baud N                         the chip switched
 *   erase 0xA+0xN                  done (erase refused: REASON)
 *   mac set XX:XX:XX:XX:XX:XX
 *   read 0xA+0xN crc=0xNNNNNNNN
 *   upload start | block N ok | block N bad: REASON | block N dup
 *   image ok type=N addr=0xN len=N [ram]   (header 0xN when written)
 *   image bad: REASON              bad magic | bad header crc | bad body
 *                                  crc | address 0xN+0xN outside the flash
 *                                  | writes protected sectors 0-1 | first
 *                                  image type N is not a secboot (ROM
 *                                  takes .fls only) | ram image not
 *                                  supported here | image too large |
 *                                  truncated image | empty upload |
 *                                  sequence: block N, want M
 *   upload done images=N | upload aborted: REASON
 *   stub running | run user code
 *   busy: dropped N bytes          input while erasing or programming
 */
#ifndef UNBRICK_SIM_W800_H
#define UNBRICK_SIM_W800_H

#include "sim_uart.h"

#include <stddef.h>
#include <stdint.h>

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): the command frame's. */
uint16_t w800_sim_crc16_ccitt(const uint8_t *p, size_t n);

/* CRC-16/XMODEM (poly 0x1021, init 0): the XMODEM block's. */
uint16_t w800_sim_crc16_xmodem(const uint8_t *p, size_t n);

/*
 * WinnerMicro CRC-32: reflected 0xEDB88320 from crc (0xFFFFFFFF to start),
 * no final XOR; chainable.
 */
uint32_t w800_sim_crc32(uint32_t crc, const uint8_t *p, size_t n);

#endif
