/* SPDX-License-Identifier: MIT */
/*
 * The checksums the UART protocols use (../shared/notes/uart-chips.md, the
 * table at the top). Each takes the running value, so a stream can be fed
 * in pieces: start from the _INIT value, pass each piece's result on.
 */
#ifndef UNBRICK_CRC_H
#define UNBRICK_CRC_H

#include <stddef.h>
#include <stdint.h>

/* CRC-16/XMODEM: poly 0x1021, init 0, no reflection; "123456789" -> 0x31C3. */
#define UB_CRC16_XMODEM_INIT 0x0000u
uint16_t ub_crc16_xmodem(uint16_t crc, const uint8_t *buf, size_t len);

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF; "123456789" -> 0x29B1. */
#define UB_CRC16_CCITT_FALSE_INIT 0xFFFFu
uint16_t ub_crc16_ccitt_false(uint16_t crc, const uint8_t *buf, size_t len);

/*
 * WinnerMicro's CRC-32: reflected poly 0xEDB88320, init 0xFFFFFFFF and no
 * final XOR, i.e. the bitwise NOT of zlib's crc32; "123456789" ->
 * 0x340BC6D9.
 */
#define UB_CRC32_WM_INIT 0xFFFFFFFFu
uint32_t ub_crc32_wm(uint32_t crc, const uint8_t *buf, size_t len);

#endif
