/* SPDX-License-Identifier: MIT */
/* The NOR layer: chip table and smart-write planning. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "nor.h"
#include "testutil.h"

static uint8_t old_data[UB_NOR_SECTOR], new_data[UB_NOR_SECTOR];

static void fill(uint8_t *buf, uint8_t v)
{
	memset(buf, v, UB_NOR_SECTOR);
}

START_TEST(identical_needs_nothing)
{
	struct ub_sector_plan plan;

	fill(old_data, 0x5a);
	fill(new_data, 0x5a);
	ub_nor_plan_sector(old_data, new_data, &plan);
	ck_assert_int_eq(plan.erase, 0);
	ck_assert_uint_eq(plan.pages, 0);
}
END_TEST

START_TEST(clearing_bits_programs_one_page)
{
	struct ub_sector_plan plan;

	fill(old_data, 0xff);
	memcpy(new_data, old_data, UB_NOR_SECTOR);
	new_data[3 * UB_NOR_PAGE + 17] = 0x7f;  /* only 1 -> 0 */
	ub_nor_plan_sector(old_data, new_data, &plan);
	ck_assert_int_eq(plan.erase, 0);
	ck_assert_uint_eq(plan.pages, 1u << 3);
}
END_TEST

START_TEST(setting_a_bit_erases_and_reprograms_non_ff_pages)
{
	struct ub_sector_plan plan;

	fill(old_data, 0x00);
	memcpy(new_data, old_data, UB_NOR_SECTOR);
	memset(new_data + 5 * UB_NOR_PAGE, 0xff, UB_NOR_PAGE);  /* page 5 all FF */
	new_data[9 * UB_NOR_PAGE] = 0x01;                      /* 0 -> 1 */
	ub_nor_plan_sector(old_data, new_data, &plan);
	ck_assert_int_eq(plan.erase, 1);
	ck_assert_uint_eq(plan.pages, 0xffffu & ~(1u << 5));
}
END_TEST

START_TEST(erasing_to_ff_programs_nothing)
{
	struct ub_sector_plan plan;

	fill(old_data, 0x12);
	fill(new_data, 0xff);
	ub_nor_plan_sector(old_data, new_data, &plan);
	ck_assert_int_eq(plan.erase, 1);
	ck_assert_uint_eq(plan.pages, 0);
}
END_TEST

START_TEST(table_knows_the_beken_flashes)
{
	static const struct { uint8_t id[3]; const char *name; uint8_t sr_bytes; } want[] = {
		{ { 0x1c, 0x70, 0x15 }, "EN25QH16B", 1 },
		{ { 0xeb, 0x60, 0x15 }, "TH25Q16HB", 2 },
		{ { 0x0b, 0x40, 0x15 }, "XT25F16B", 2 },
		{ { 0x85, 0x42, 0x15 }, "P25Q16HB", 1 },
		{ { 0x85, 0x20, 0x15 }, "P25Q16HBK", 2 },
		{ { 0xc8, 0x40, 0x15 }, "GD25Q16", 2 },
		{ { 0xef, 0x40, 0x15 }, "W25Q16", 2 },
		{ { 0xef, 0x40, 0x16 }, "W25Q32", 2 },
		{ { 0x68, 0x40, 0x15 }, "BY25Q16", 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ub_nor_chip *c = ub_nor_lookup(want[i].id);

		ck_assert_ptr_nonnull(c);
		ck_assert_str_eq(c->name, want[i].name);
		ck_assert_uint_eq(c->sr_bytes, want[i].sr_bytes);
		ck_assert_uint_eq(c->size, 1u << want[i].id[2]);
		/* WIP and WEL are never protect bits; CMP only on two-byte parts */
		ck_assert_uint_eq(c->protect_mask & 3, 0);
		ck_assert_uint_eq(!!(c->protect_mask & UB_NOR_SR_CMP), c->sr_bytes == 2);
	}
	ck_assert_ptr_null(ub_nor_lookup((const uint8_t[]){ 0x12, 0x34, 0x15 }));
}
END_TEST

START_TEST(blank_ids)
{
	ck_assert(ub_nor_id_is_blank((const uint8_t[]){ 0, 0, 0 }));
	ck_assert(ub_nor_id_is_blank((const uint8_t[]){ 0xff, 0xff, 0xff }));
	ck_assert(!ub_nor_id_is_blank((const uint8_t[]){ 0xff, 0xff, 0x15 }));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nor");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, identical_needs_nothing);
	tcase_add_test(tc, clearing_bits_programs_one_page);
	tcase_add_test(tc, setting_a_bit_erases_and_reprograms_non_ff_pages);
	tcase_add_test(tc, erasing_to_ff_programs_nothing);
	tcase_add_test(tc, table_knows_the_beken_flashes);
	tcase_add_test(tc, blank_ids);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
