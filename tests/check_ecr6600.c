/* SPDX-License-Identifier: MIT */
/*
 * The ECR6600 protocol pieces on their own: SUM8, the request frames and the
 * ROM's RAM-download header against ../shared/notes/uart-chips.md §2.2-2.3,
 * and telling the stubs apart.
 */
#include <stdint.h>
#include <string.h>

#include "ecr6600.h"
#include "stub.h"
#include "testutil.h"

struct vector {
	const char *name;
	uint8_t type;
	uint8_t data[8];
	size_t n;
	uint8_t frame[13];
};

#define B(...) { __VA_ARGS__ }

static const struct vector vectors[] = {
	{ "SYN", 0x00, B('c', 'n', 'y', 's'), 4, B(0xA5, 0x00, 0x04, 0x00, 0x63, 0x6E, 0x79, 0x73, 0x66) },
	{ "baud 921600", 0x07, B(0x00, 0x10, 0x0E, 0x00), 4,
	  B(0xA5, 0x07, 0x04, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xCE) },
	{ "baud 115200", 0x07, B(0x00, 0xC2, 0x01, 0x00), 4,
	  B(0xA5, 0x07, 0x04, 0x00, 0x00, 0xC2, 0x01, 0x00, 0x73) },
	{ "flash id", 0x90, B(0), 0, B(0xA5, 0x90, 0x00, 0x00, 0x35) },
	{ "chip erase", 0x05, B(0), 0, B(0xA5, 0x05, 0x00, 0x00, 0xAA) },
	{ "erase 0x1000+0x1000", 0x04, B(0x00, 0x10, 0, 0, 0x00, 0x10, 0, 0), 8,
	  B(0xA5, 0x04, 0x08, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0xD1) },
	{ "read 0+0x1000", 0x03, B(0, 0, 0, 0, 0x00, 0x10, 0, 0), 8,
	  B(0xA5, 0x03, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0xC0) },
	{ "write header 0+0x1000", 0x02, B(0, 0, 0, 0, 0x00, 0x10, 0, 0), 8,
	  B(0xA5, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0xBF) },
	{ "XMODEM read 0+0x1000", 0x92, B(0, 0, 0, 0, 0x00, 0x10, 0, 0), 8,
	  B(0xA5, 0x92, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x4F) },
	{ "SHA-256 0+0x200000", 0x09, B(0, 0, 0, 0, 0x00, 0x00, 0x20, 0x00), 8,
	  B(0xA5, 0x09, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0xD6) },
};

START_TEST(frames_match_the_notes)
{
	const struct vector *v = &vectors[_i];
	uint8_t out[16];
	size_t len = ecr_frame(v->type, v->data, v->n, out);

	ck_assert_msg(len == 5 + v->n && memcmp(out, v->frame, len) == 0, "%s differs", v->name);
}
END_TEST

/* The answers of §2.3 end in their SUM8. */
START_TEST(answer_sums)
{
	static const uint8_t syn_ack[] = { 0x5A, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t baud_ack[] = { 0x5A, 0x07, 0x00, 0x00, 0x00 };

	ck_assert_uint_eq(ecr_sum8(syn_ack, sizeof(syn_ack)), 0x5A);
	ck_assert_uint_eq(ecr_sum8(baud_ack, sizeof(baud_ack)), 0x61);
}
END_TEST

/* §2.2: the header for BK's custom stub (26,096 bytes, loaded at 0x10000). */
START_TEST(ram_download_header)
{
	static const uint8_t want[12] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
					  0xF0, 0x65, 0x00, 0x00 };
	uint8_t head[12];

	ecr_ram_header(ECR_STUB_LOAD, 26096, head);
	ck_assert_mem_eq(head, want, sizeof(want));
}
END_TEST

START_TEST(stub_kinds)
{
	char path[4096];
	struct ub_stub stub;
	struct ub_err err = { 0 };
	static const uint8_t other[64] = { 0x48, 0x00, 0x00, 0x54 };

	ck_assert_int_eq(ecr_stub_kind_of(other, sizeof(other)), ECR_STUB_STOCK);
	if (!tu_shared("ecr6600/ECR6600_Stub_Custom.bin", path, sizeof(path)))
		return;
	ck_assert_int_eq(ub_stub_load(path, 1u << 20, &stub, &err), 0);
	ck_assert(stub.gzipped);
	ck_assert_uint_eq(stub.len, 26096);
	ck_assert_int_eq(ecr_stub_kind_of(stub.data, stub.len), ECR_STUB_CUSTOM);
	ub_stub_free(&stub);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ecr6600");
	TCase *tc = tcase_create("frames");

	tcase_add_loop_test(tc, frames_match_the_notes, 0, (int)(sizeof(vectors) / sizeof(vectors[0])));
	tcase_add_test(tc, answer_sums);
	tcase_add_test(tc, ram_download_header);
	tcase_add_test(tc, stub_kinds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
