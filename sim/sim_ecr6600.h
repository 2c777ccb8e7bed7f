/* SPDX-License-Identifier: MIT */
/*
 * Emulator of an ESWIN ECR6600 on UART0: the boot ROM (raw "cnys" sync and
 * RAM download), the two RAM stubs a host uploads (BK7231GUIFlashTool's
 * custom stub and ESWIN's stock V1.3.x stub), a 1/2/4 MiB SPI NOR flash and
 * the 128-byte eFuse. Written from ../shared/notes/uart-chips.md section 2
 * (cited as §2.n), the custom stub's public source (NonPIayerCharacter/
 * ecr6600_custom_stub uboot_cmd.c/.h, include/uart.h: facts only) and
 * ../shared/data/ecr6600, never from the host code. It runs behind the
 * runner (sim/sim_uart.h), in model time or on a pty in real time:
 *
 *     uart_sim_open("ecr6600,running=custom,flash=4M", err, sizeof(err))
 *
 * pace=1 (the default in model time) adds the line rate (baud/10 bytes per
 * second each way) and the flash's busy times; pace=0 makes erase, program
 * and SHA take no time (protocol timeouts stay). The options every emulator
 * shares (image=, save=, trace=, rx=, stats=, seed=): sim/sim_uart.h.
 *
 * ---------------------------------------------------------------- options
 * Spec "ecr6600[,key=value...]". Numbers: decimal or 0x hex, K/M suffixes.
 * TEXT takes C escapes \r \n \t \\ \xNN (a comma is \x2c).
 *
 * Chip, power and reset (§2.1)
 *   flash=1M|2M|4M     flash size (default 2M).
 *   jedec=0xMMTTCC     the JEDEC id the stub reads (default C8 40 14/15/16 by
 *                      size, GigaDevice: a choice). The stub sizes the flash
 *                      from CC (14/15/16 -> 1/2/4 MiB); any other CC makes it
 *                      print "flash!" when it starts and take size 0, so
 *                      every ranged command answers ADDR_ERROR (§2.5).
 *   reset=auto|manual  auto (default): reset-line is wired to the chip's
 *                      reset (uart_sim_set_modem): asserted = held in reset
 *                      (silent, input lost), released = the ROM starts.
 *                      manual: the modem lines do nothing; only power-on=
 *                      and replug= (the user at the power switch) restart it.
 *   reset-line=rts|dtr which line is reset (default rts; BK7231GUIFlashTool
 *                      holds RTS=1/DTR=0 for 50 ms, then releases).
 *   power-on=MS        the chip powers on MS ms (default 0) after the host
 *                      first makes the line raw (ICANON and ECHO cleared);
 *                      until then it is off and input is lost.
 *   rom-window=MS      after power-on the ROM listens this long (default 250,
 *                      a choice: users need several power-on attempts) for
 *                      "cnys"; then it boots the flash (firmware, below).
 *   replug=MS          when the window passes without a sync, the user
 *                      power-cycles the chip again MS ms later (default 0:
 *                      never).
 *   banner=TEXT        what the firmware prints at 115200 when it boots
 *                      (after the window, or 0x06 run); default "": silent.
 *
 * Stubs (§2.2-2.5)
 *   stub=auto|custom|stock   which stub an upload is. auto (default): custom
 *                      when the uploaded bytes contain the ASCII "tdefl_" (the
 *                      deflate code of BK's custom stub, which has 0x96/0x97;
 *                      the gunzipped ECR6600_Stub_Custom.bin, 26,096 bytes
 *                      starting 48 00 00 54, does), else stock.
 *   running=custom|stock  that stub is already running at start (left by an
 *                      earlier session), so a host that probes first (0x90)
 *                      finds it; a reset goes back to the ROM.
 *   running-baud=N     its UART rate then (default 115200).
 *   stub-boot=MS       from the last uploaded byte until the stub listens
 *                      (default 2; input before that is lost).
 *   crash-len=N        a request whose LEN is N or more overflows the stub's
 *                      8-byte buffer fatally (default 10): the stub reads the
 *                      frame, then is silent until reset. LEN 9 survives, as
 *                      BK's 9-byte 0x96 request does on real chips (§2.3).
 *   rx-fifo=N          the UART's receive FIFO (default 16, as its TX FIFO):
 *                      bytes arriving while the stub is busy (erasing,
 *                      programming, sending) wait there; more are lost.
 *
 * Flash timing (pace=1 only; choices near a 25Q-series datasheet)
 *   erase-4k=MS (45)  erase-32k=MS (150)  erase-64k=MS (200)
 *   chip-erase=MS (8000)  page-us=US per 256-byte page programmed (500)
 *   sha-us=US per KiB hashed (100)
 *   turnaround-us=US   the least time from an XMODEM block taken (0x91) to
 *                      its ACK, and from an ACK (0x92) to the next block
 *                      (default 0); pace or not
 *
 * Memories
 *   image=FILE         initial flash, exactly the flash= size. Default:
 *                      deterministic from seed: the first half pseudo-random,
 *                      the rest 0xFF.
 *   save=FILE          the flash at stop.
 *   efuse=FILE         the 128 eFuse bytes 0x99 returns (exactly 128 bytes;
 *                      default pseudo-random from seed).
 *
 * Faults (all drawn from seed=N, default 1)
 *   flip=PPM           each byte, either way, gets one bit flipped with
 *                      probability PPM per million.
 *   drop=PPM           each byte, either way, is lost with that probability.
 *   lose-ack=N         the Nth XMODEM ACK the stub sends in a 0x91 write
 *                      (block or EOT ACKs, counted from 1 over the run) is
 *                      lost on the wire. Once.
 *   hang-after=N       the stub answers N frames (commands and 0x02 data
 *                      frames) and then stops answering until reset.
 *   reset-at=N         the chip resets (back to the ROM, window and all)
 *                      right after the Nth byte of write data it receives
 *                      (0x02 frame data, 0x91 block data). Once.
 *   corrupt-above=BAUD every byte, either way, is garbled while the stub's
 *                      UART runs faster than BAUD (a link that cannot carry
 *                      that rate).
 *
 * Files
 *   trace=FILE         the device's view, one event per line.
 *   rx=FILE            every byte received from the host, raw.
 *   stats=FILE         "name value" lines at stop: bytes_rx bytes_tx
 *                      power_ons syncs stub_uploads frames frames_bad
 *                      type_errors erases sectors_erased chip_erases
 *                      bytes_programmed bytes_read xmodem_blocks xmodem_naks
 *                      xmodem_repeats xmodem_resends crc_errors resends
 *                      baud_changes resets crashes lost_acks flips drops
 *                      overruns flushed garbled_rx garbled_tx elapsed_ns
 *                      (the model time of the last event)
 *
 * --------------------------------------------------------------- the ROM
 * 115200 8N1 only. Listens for raw "cnys" (63 6E 79 73) anywhere in the
 * input and answers 01. Then it takes 12-byte headers, three LE32 {type,
 * load address, length}: type 1 with 1 <= length <= 512 KiB -> 00, then
 * length raw bytes, then the stub runs (any load address: BK says 0 works
 * too). A header starting "cnys" is a sync again (01); any other -> FF and
 * it waits for the next header (choice). After the sync no window applies.
 *
 * -------------------------------------------------------------- the stubs
 * Frames (§2.3): request A5 TYPE LEN16 DATA SUM8, answer 5A TYPE LEN16 DATA
 * STATUS SUM8, SUM8 = sum of the preceding bytes mod 256. Both stubs share
 * ESWIN's parser and handlers (the custom stub derives from it):
 *   - a header is hunted from A5; TYPE > 0x9F is answered TYPE_ERROR at once
 *     (its data and SUM8 are then hunted through as noise); a bad SUM8 is
 *     answered TYPE_ERROR (type FF) after the whole frame.
 *   - the answer header is one struct the handlers update field by field
 *     (ESWIN's ACK_msg), so some answers carry stale fields, as on the chip:
 *     SYN's SUM8 is the previous answer's; a TYPE_ERROR answer keeps the
 *     previous LEN (e.g. 5A FF 04 00 03 60 after a flash id: no data
 *     follows); a command with LEN < 8 uses the bytes of earlier frames as
 *     its missing address/length.
 *   - ranged commands check addr + len > flash size with 32-bit wrap
 *     (ADDR_ERROR); addresses past the chip wrap modulo its size (NOR).
 *     0x92/0x98 check nothing (the source has no check).
 *   - 0x00 SYN: data "cnys" -> status 00 with the stale SUM8, else 01.
 *   - 0x01 RAM download, 0x02 write (§2.5): header ACK (0x02 erases the
 *     covering 4 KiB sectors first, timed as ESWIN's sector/32K/64K mix),
 *     then data frames A5 TYPE LEN FLAG DATA SUM8 hunted from A5 TYPE, one
 *     ACK each, until the header's length is used up (32-bit: more data
 *     than announced wraps it and the stub keeps waiting). FLAG 01 rewinds
 *     by the previous frame's length; any other FLAG is new data. A SUM8
 *     mismatch answers status 05 but the data is written all the same.
 *     0x02 empties the receive FIFO after each ACK is queued (bytes sent
 *     before the ACK are lost). At address 0 the data is mirrored into a
 *     4 KiB partition backup: a frame that would reach past its end crashes
 *     the stub (choice: the real effect depends on its memory layout; the
 *     frame is neither written nor answered, then silence until reset).
 *     A data frame with LEN 0 crashes it (its length minus one wraps).
 *   - 0x03 read: frames 5A 03 LEN DATA 00 SUM8 of up to 65,536 bytes; a
 *     65,536-byte frame says LEN 0 (the 16-bit field wraps). Length 0
 *     still sends one empty frame.
 *   - 0x04 erase (covering 4 KiB sectors), 0x05 chip erase: ACK when done.
 *   - 0x06 run: ACK, 10 ms, UART to 115200, then the firmware boots (banner=
 *     or silence). If the flash starts with FF FF FF FF (no partition table)
 *     the boot fails and the stub prints "stub err!\n" plus 8 NUL bytes (18
 *     bytes) every 2 s (choice: the bytes after the string are unknown).
 *   - 0x07 baud (LE32): the UART switches at once; the ACK follows 50 ms
 *     later at the new rate. Every rate is modelled exact (the stub's table:
 *     76800 115200 380400 460800 576000 691200 806400 921600 1500000
 *     2000000); 0 hangs the stub.
 *   Custom stub only (stock answers TYPE_ERROR):
 *   - 0x09 SHA-256(addr, len) -> 32 bytes; 0x90 flash id -> MM TT CC 00;
 *     0x99 eFuse -> 128 bytes, answer type 99.
 *   - 0x91 XMODEM write: ACK, 100 ms, erase, 'C' (again every 3.333 s
 *     without a header byte, forever). STX blk ~blk 1024 data CRC16-BE:
 *     blk + ~blk must be 255, the number itself is never compared, so a
 *     block resent after a lost ACK is written again at the next offset.
 *     Not STX -> NAK; bad CRC -> NAK; EOT -> ACK and back to commands. A
 *     byte missing inside a block is waited for 10 s (numbers, CRC) or 20 s
 *     (data), then the old buffer byte stands in. Blocks are programmed
 *     whole (AND), also past the announced length.
 *   - 0x92 XMODEM read (0x98: raw memory, ROM 0x0-0xFFFF pseudo-random from
 *     seed, eFuse at 0x0020F000, zeros elsewhere): ACK, waits for 'C' (other
 *     bytes ignored), STX blocks of 1024 padded with FF, numbered from 1;
 *     anything but ACK within 3 s resends, 10 tries then CAN; EOT up to 10
 *     times.
 *   - 0x96/0x97 (deflate) are not modelled: TYPE_ERROR.
 *   0x08 (eFuse, ESWIN) is TYPE_ERROR in both (the custom source has none;
 *   the stock one is unknown).
 *
 * -------------------------------------------------------------- the line
 * The ROM is 115200 8N1; the stub starts at 115200 and follows 0x07. When
 * the host's baud differs by more than 3 %, or it uses parity or other than
 * 8 bits, bytes are garbled both ways (each becomes another byte).
 *
 * ------------------------------------------------------------- trace lines
 *   line baud=N parity=P / line raw / modem dtr|rts=0|1
 *   power-on / held in reset / rom window expired / firmware boots
 *   rom sync / rom header type=0xN addr=0xN len=N -> XX
 *   stub upload done: N bytes, KIND stub / stub KIND running [at N baud]
 *   frame TYPE=0xNN len=N [bad sum8 0xNN, want 0xNN]
 *   answer ... (one line per command, naming its effect)
 *   xmodem block blk=N at 0xN [repeated number: written again]
 *   crash: REASON / hang: REASON / reset: REASON / lost ack N
 */
#ifndef UNBRICK_SIM_ECR6600_H
#define UNBRICK_SIM_ECR6600_H

#include "sim_uart.h"

#include <stddef.h>
#include <stdint.h>

/* Sum of bytes mod 256: the stub frames' "CRC8" (§2.3). */
uint8_t ecr_sim_sum8(const uint8_t *p, size_t n);

/* CRC-16/XMODEM (poly 0x1021, init 0), as the custom stub's XMODEM uses. */
uint16_t ecr_sim_crc16(const uint8_t *p, size_t n);

/* SHA-256 of n bytes into out[32]. */
void ecr_sim_sha256(const uint8_t *p, size_t n, uint8_t out[32]);

#endif
