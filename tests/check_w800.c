/* SPDX-License-Identifier: MIT */
/*
 * The WinnerMicro protocol pieces on their own: the checksums against
 * their published check values, and every command frame against the bytes
 * in ../shared/notes/uart-chips.md §3.2.
 */
#include <stdint.h>
#include <string.h>

#include "crc.h"
#include "testutil.h"
#include "w800.h"

static const uint8_t check_input[] = "123456789";

START_TEST(checksums)
{
	ck_assert_uint_eq(ub_crc16_xmodem(UB_CRC16_XMODEM_INIT, check_input, 9), 0x31C3);
	ck_assert_uint_eq(ub_crc16_ccitt_false(UB_CRC16_CCITT_FALSE_INIT, check_input, 9), 0x29B1);
	ck_assert_uint_eq(ub_crc32_wm(UB_CRC32_WM_INIT, check_input, 9), 0x340BC6D9);
	/* In pieces, the running value carries on. */
	ck_assert_uint_eq(ub_crc32_wm(ub_crc32_wm(UB_CRC32_WM_INIT, check_input, 4),
				      check_input + 4, 5), 0x340BC6D9);
	ck_assert_uint_eq(ub_crc16_xmodem(ub_crc16_xmodem(0, check_input, 2), check_input + 2, 7),
			  0x31C3);
}
END_TEST

struct vector {
	const char *name;
	uint32_t cmd;
	uint8_t params[8];
	size_t nparams;
	uint8_t frame[20];
	size_t len;
};

#define B(...) { __VA_ARGS__ }
#define LE32(v) (uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16), (uint8_t)((v) >> 24)

static const struct vector vectors[] = {
	{ "baud 115200", 0x31, B(LE32(115200)), 4,
	  B(0x21, 0x0A, 0x00, 0x97, 0x4B, 0x31, 0, 0, 0, 0x00, 0xC2, 0x01, 0x00), 13 },
	{ "baud 460800", 0x31, B(LE32(460800)), 4,
	  B(0x21, 0x0A, 0x00, 0x07, 0x00, 0x31, 0, 0, 0, 0x00, 0x08, 0x07, 0x00), 13 },
	{ "baud 921600", 0x31, B(LE32(921600)), 4,
	  B(0x21, 0x0A, 0x00, 0x5D, 0x50, 0x31, 0, 0, 0, 0x00, 0x10, 0x0E, 0x00), 13 },
	{ "baud 1000000", 0x31, B(LE32(1000000)), 4,
	  B(0x21, 0x0A, 0x00, 0x5E, 0x3D, 0x31, 0, 0, 0, 0x40, 0x42, 0x0F, 0x00), 13 },
	{ "baud 2000000", 0x31, B(LE32(2000000)), 4,
	  B(0x21, 0x0A, 0x00, 0xEF, 0x2A, 0x31, 0, 0, 0, 0x80, 0x84, 0x1E, 0x00), 13 },
	{ "GET_MAC", 0x38, B(0), 0, B(0x21, 0x06, 0x00, 0xEA, 0x2D, 0x38, 0, 0, 0), 9 },
	{ "erase 2M-8k", 0x32, B(0x02, 0x00, 0xFE, 0x01), 4,
	  B(0x21, 0x0A, 0x00, 0xC3, 0x35, 0x32, 0, 0, 0, 0x02, 0x00, 0xFE, 0x01), 13 },
	{ "erase 1M", 0x32, B(0x02, 0x00, 0xFE, 0x00), 4,
	  B(0x21, 0x0A, 0x00, 0xE2, 0x25, 0x32, 0, 0, 0, 0x02, 0x00, 0xFE, 0x00), 13 },
	{ "W600 erase image", 0x32, B(0), 0, B(0x21, 0x06, 0x00, 0x41, 0x45, 0x32, 0, 0, 0), 9 },
	{ "erase secboot", 0x3F, B(0), 0, B(0x21, 0x06, 0x00, 0xC7, 0x7C, 0x3F, 0, 0, 0), 9 },
	{ "QFID", 0x3C, B(0), 0, B(0x21, 0x06, 0x00, 0x1B, 0xE7, 0x3C, 0, 0, 0), 9 },
	{ "ROM version", 0x3E, B(0), 0, B(0x21, 0x06, 0x00, 0x73, 0x0A, 0x3E, 0, 0, 0), 9 },
	{ "secboot-area erase", 0x32, B(0x02, 0x00, 0x0E, 0x00), 4,
	  B(0x21, 0x0A, 0x00, 0x23, 0x36, 0x32, 0, 0, 0, 0x02, 0x00, 0x0E, 0x00), 13 },
	{ "64K-block erase 2M", 0x32, B(0x01, 0x80, 0x1F, 0x00), 4,
	  B(0x21, 0x0A, 0x00, 0xE7, 0xA6, 0x32, 0, 0, 0, 0x01, 0x80, 0x1F, 0x00), 13 },
	{ "stub read", 0x4A, B(LE32(0x08000000), LE32(0x1000)), 8,
	  B(0x21, 0x0E, 0x00, 0xB5, 0x05, 0x4A, 0, 0, 0, 0x00, 0x00, 0x00, 0x08, 0x00, 0x10, 0x00,
	    0x00), 17 },
};

START_TEST(frames_match_the_notes)
{
	const struct vector *v = &vectors[_i];
	uint8_t out[W800_MAX_FRAME];
	size_t len = w800_frame(v->cmd, v->params, v->nparams, out);

	ck_assert_msg(len == v->len && memcmp(out, v->frame, len) == 0, "%s differs", v->name);
}
END_TEST

/* The erase parameters the program builds for the notes' erase forms. */
START_TEST(erase_params)
{
	uint8_t p[4];
	static const uint8_t sectors_2_15[] = { 0x02, 0x00, 0x0E, 0x00 };
	static const uint8_t blocks_1_31[] = { 0x01, 0x80, 0x1F, 0x00 };

	w800_erase_params(2, 14, 0, p);
	ck_assert_mem_eq(p, sectors_2_15, 4);
	w800_erase_params(1, 31, 1, p);
	ck_assert_mem_eq(p, blocks_1_31, 4);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("w800");
	TCase *tc = tcase_create("frames");

	tcase_add_test(tc, checksums);
	tcase_add_loop_test(tc, frames_match_the_notes, 0, (int)(sizeof(vectors) / sizeof(vectors[0])));
	tcase_add_test(tc, erase_params);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
