/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdlib.h>

#include "parse.h"
#include "testutil.h"

START_TEST(numbers)
{
	uint64_t v;

	ck_assert_int_eq(ub_parse_u64("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(ub_parse_u64("0x11000", &v), 0);
	ck_assert_uint_eq(v, 0x11000);
	ck_assert_int_eq(ub_parse_u64("4K", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(ub_parse_u64("2M", &v), 0);
	ck_assert_uint_eq(v, 2u << 20);
	ck_assert_int_eq(ub_parse_u64("0x10k", &v), 0);
	ck_assert_uint_eq(v, 16 * 1024);
}
END_TEST

START_TEST(bad_numbers)
{
	static const char *const bad[] = { "", "-1", "+4", " 4", "4 ", "4KB", "0x", "1MM",
					   "abc", "99999999999999999999", "18014398509481984K" };
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ub_parse_u64(bad[i], &v) == -1, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(frequencies)
{
	uint64_t v;

	ck_assert_int_eq(ub_parse_hz("1M", &v), 0);
	ck_assert_uint_eq(v, 1000000);
	ck_assert_int_eq(ub_parse_hz("500k", &v), 0);
	ck_assert_uint_eq(v, 500000);
	ck_assert_int_eq(ub_parse_hz("30kHz", &v), 0);
	ck_assert_uint_eq(v, 30000);
	ck_assert_int_eq(ub_parse_hz("1Mhz", &v), -1);
}
END_TEST

START_TEST(key_values)
{
	const char *cur = "image=/tmp/a.bin,seed=3,dead";
	char k[16], val[32];

	ck_assert_int_eq(ub_kv_next(&cur, k, sizeof(k), val, sizeof(val)), 1);
	ck_assert_str_eq(k, "image");
	ck_assert_str_eq(val, "/tmp/a.bin");
	ck_assert_int_eq(ub_kv_next(&cur, k, sizeof(k), val, sizeof(val)), 1);
	ck_assert_str_eq(k, "seed");
	ck_assert_str_eq(val, "3");
	ck_assert_int_eq(ub_kv_next(&cur, k, sizeof(k), val, sizeof(val)), 1);
	ck_assert_str_eq(k, "dead");
	ck_assert_str_eq(val, "");
	ck_assert_int_eq(ub_kv_next(&cur, k, sizeof(k), val, sizeof(val)), 0);

	cur = "a=1,,b=2";
	ck_assert_int_eq(ub_kv_next(&cur, k, sizeof(k), val, sizeof(val)), 1);
	ck_assert_int_eq(ub_kv_next(&cur, k, sizeof(k), val, sizeof(val)), -1);
	cur = "=3";
	ck_assert_int_eq(ub_kv_next(&cur, k, sizeof(k), val, sizeof(val)), -1);
	cur = "averyveryverylongkey=1";
	ck_assert_int_eq(ub_kv_next(&cur, k, sizeof(k), val, sizeof(val)), -1);
}
END_TEST

START_TEST(specs)
{
	struct ub_spec s;

	ck_assert_int_eq(ub_spec_parse("spidev:/dev/spidev0.0,speed=1M,mode=3", &s), 0);
	ck_assert_str_eq(s.name, "spidev");
	ck_assert_str_eq(s.arg, "/dev/spidev0.0");
	ck_assert_str_eq(s.opts, "speed=1M,mode=3");
	ck_assert_int_eq(ub_spec_parse("sim:bk7231n", &s), 0);
	ck_assert_str_eq(s.name, "sim");
	ck_assert_str_eq(s.arg, "bk7231n");
	ck_assert_str_eq(s.opts, "");
	ck_assert_int_eq(ub_spec_parse("ch341a,freq=1M", &s), 0);
	ck_assert_str_eq(s.name, "ch341a");
	ck_assert_str_eq(s.arg, "");
	ck_assert_str_eq(s.opts, "freq=1M");
	ck_assert_int_eq(ub_spec_parse("", &s), -1);
	ck_assert_int_eq(ub_spec_parse(":x", &s), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, numbers);
	tcase_add_test(tc, bad_numbers);
	tcase_add_test(tc, frequencies);
	tcase_add_test(tc, key_values);
	tcase_add_test(tc, specs);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
