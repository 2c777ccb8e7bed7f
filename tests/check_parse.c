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
	ck_assert_int_eq(ub_parse_u64("0X1f", &v), 0);
	ck_assert_uint_eq(v, 0x1f);
	ck_assert_int_eq(ub_parse_u64("4K", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(ub_parse_u64("2M", &v), 0);
	ck_assert_uint_eq(v, 2u << 20);
	ck_assert_int_eq(ub_parse_u64("1m", &v), 0);
	ck_assert_uint_eq(v, 1u << 20);
	ck_assert_int_eq(ub_parse_u64("0x10k", &v), 0);
	ck_assert_uint_eq(v, 16 * 1024);
	ck_assert_int_eq(ub_parse_u64("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(ub_parse_u64("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(ub_parse_u64("0xFFFFFFFFFFFFFFFF", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(ub_parse_u64("17592186044415M", &v), 0);
	ck_assert_uint_eq(v, 17592186044415ull << 20);
}
END_TEST

/* DESIGN.md: a leading zero is still decimal, never octal (strtoull's base 0 made it octal). */
START_TEST(leading_zero_is_decimal)
{
	uint64_t v;

	ck_assert_int_eq(ub_parse_u64("010000", &v), 0);
	ck_assert_uint_eq(v, 10000);
	ck_assert_int_eq(ub_parse_u64("017", &v), 0);
	ck_assert_uint_eq(v, 17);
	ck_assert_int_eq(ub_parse_u64("08", &v), 0);
	ck_assert_uint_eq(v, 8);
	ck_assert_int_eq(ub_parse_u64("0009K", &v), 0);
	ck_assert_uint_eq(v, 9 * 1024);
	ck_assert_int_eq(ub_parse_u64("0x010", &v), 0);
	ck_assert_uint_eq(v, 16);
	ck_assert_int_eq(ub_parse_hz("010k", &v), 0);
	ck_assert_uint_eq(v, 10000);
	ck_assert_int_eq(ub_parse_hz("08M", &v), 0);
	ck_assert_uint_eq(v, 8000000);
}
END_TEST

START_TEST(bad_numbers)
{
	static const char *const bad[] = {
		"", "-1", "+4", " 4", " 1", "4 ", "\t4", "4\n", "4KB", "0x", "0X", "x10", "0xg",
		"1MM", "abc", "K", "1K5", "1.5M", "1e3", "1_000", "0b1", "0o7", "4G", "3G", "1g",
		"0x1G", "1T", "4KiB", "99999999999999999999", "18446744073709551616",
		"0x10000000000000000", "18014398509481984K", "17592186044416M",
	};
	uint64_t v = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ub_parse_u64(bad[i], &v) == -1, "'%s' accepted", bad[i]);
	ck_assert_int_eq(ub_parse_u64(NULL, &v), -1);
	ck_assert_uint_eq(v, 42);  /* untouched on failure */
}
END_TEST

#define SIZE_HINT "use a number such as 0x11000, 4096 or 64K (suffixes: K = KiB, M = MiB)"

static const char *size_error(const char *what, const char *s, uint64_t max)
{
	static struct ub_err err;
	uint64_t v = 42;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_parse_size(what, s, max, &v, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_uint_eq(v, 42);
	return err.msg;
}

START_TEST(size_messages)
{
	struct ub_err err = { 0 };
	uint64_t v;

	ck_assert_int_eq(ub_parse_size("--offset", "0x11000", UINT32_MAX, &v, &err), 0);
	ck_assert_uint_eq(v, 0x11000);
	ck_assert_int_eq(ub_parse_size("--length", "017", UINT32_MAX, &v, &err), 0);
	ck_assert_uint_eq(v, 17);
	ck_assert_int_eq(ub_parse_size("--length", "4095M", UINT32_MAX, &v, &err), 0);
	ck_assert_uint_eq(v, 4095ull << 20);
	ck_assert_int_eq(ub_parse_size("size", "0xffffffff", UINT32_MAX, &v, &err), 0);
	ck_assert_uint_eq(v, UINT32_MAX);
	ck_assert_int_eq(err.status, UB_OK);

	/* 4G and 3G alike: G is no suffix, whatever the size of the flash. */
	ck_assert_str_eq(size_error("--offset", "4G", UINT32_MAX), "bad --offset '4G': " SIZE_HINT);
	ck_assert_str_eq(size_error("--offset", "3G", UINT32_MAX), "bad --offset '3G': " SIZE_HINT);
	ck_assert_str_eq(size_error("--length", "", UINT32_MAX), "bad --length '': " SIZE_HINT);
	ck_assert_str_eq(size_error("--length", "0x", UINT32_MAX), "bad --length '0x': " SIZE_HINT);
	ck_assert_str_eq(size_error("--length", "-1", UINT32_MAX), "bad --length '-1': " SIZE_HINT);
	ck_assert_str_eq(size_error("size", " 1", UINT32_MAX), "bad size ' 1': " SIZE_HINT);
	ck_assert_str_eq(size_error("size", "1K5", UINT32_MAX), "bad size '1K5': " SIZE_HINT);
	ck_assert_str_eq(size_error("address", "99999999999999999999", UINT32_MAX),
			 "bad address '99999999999999999999': the largest is 0xffffffff");
	ck_assert_str_eq(size_error("address", "0x100000000", UINT32_MAX),
			 "bad address '0x100000000': the largest is 0xffffffff");
	ck_assert_str_eq(size_error("--length", "4096M", UINT32_MAX),
			 "bad --length '4096M': the largest is 0xffffffff");
	/* What the user typed is shown printable and short. */
	ck_assert_str_eq(size_error("--offset", "1\033[2J", UINT32_MAX),
			 "bad --offset '1?[2J': " SIZE_HINT);
	ck_assert_str_eq(size_error("--offset", "12345678901234567890123456789012345678901234567890x",
				    UINT32_MAX),
			 "bad --offset '12345678901234567890123456789012345678901234...': " SIZE_HINT);
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
	ck_assert_int_eq(ub_parse_hz("1MHz", &v), 0);
	ck_assert_uint_eq(v, 1000000);
	ck_assert_int_eq(ub_parse_hz("100Hz", &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(ub_parse_hz("1Mhz", &v), -1);
	ck_assert_int_eq(ub_parse_hz("1G", &v), -1);
	ck_assert_int_eq(ub_parse_hz("Hz", &v), -1);
	ck_assert_int_eq(ub_parse_hz("1 Hz", &v), -1);
	ck_assert_int_eq(ub_parse_hz("1.5M", &v), -1);
	ck_assert_int_eq(ub_parse_hz("-1M", &v), -1);
	ck_assert_int_eq(ub_parse_hz("1HzHz", &v), -1);
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
	tcase_add_test(tc, leading_zero_is_decimal);
	tcase_add_test(tc, bad_numbers);
	tcase_add_test(tc, size_messages);
	tcase_add_test(tc, frequencies);
	tcase_add_test(tc, key_values);
	tcase_add_test(tc, specs);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
