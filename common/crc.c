/* SPDX-License-Identifier: MIT */
#include "crc.h"

#include <zlib.h>

/* Both CRC-16s are the same MSB-first shift register; only the start differs. */
static uint16_t crc16_1021(uint16_t crc, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(buf[i] << 8);
		for (int bit = 0; bit < 8; bit++)
			crc = (uint16_t)((crc & 0x8000u) ? ((unsigned)crc << 1) ^ 0x1021u : (unsigned)crc << 1);
	}
	return crc;
}

uint16_t ub_crc16_xmodem(uint16_t crc, const uint8_t *buf, size_t len)
{
	return crc16_1021(crc, buf, len);
}

uint16_t ub_crc16_ccitt_false(uint16_t crc, const uint8_t *buf, size_t len)
{
	return crc16_1021(crc, buf, len);
}

/*
 * zlib's crc32(c) inverts on the way in and out; the register WinnerMicro
 * keeps is the inverted one, so invert around the call. zlib takes uInt
 * lengths: feed it in pieces.
 */
uint32_t ub_crc32_wm(uint32_t crc, const uint8_t *buf, size_t len)
{
	uLong z = ~crc & 0xFFFFFFFFu;

	while (len > 0) {
		uInt piece = len > 0x40000000u ? 0x40000000u : (uInt)len;

		z = crc32(z, buf, piece);
		buf += piece;
		len -= piece;
	}
	return ~(uint32_t)z;
}
