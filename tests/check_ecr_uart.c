/* SPDX-License-Identifier: MIT */
/*
 * ecr-uart end to end against sim:ecr6600 (sim/sim_ecr6600.h) with each stub:
 * BK's custom one (../shared/data/ecr6600, gzip as it is) and a stock one
 * (the emulator takes any upload without BK's deflate code for ESWIN's).
 * What a user sees and what the chip ends up holding (save=), the frames on
 * the wire (rx=), in model time but for one case on a pty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "ttyview.h"

#define PROG "ecr-uart"
#define FLASH (2u << 20)
#define RESET "rts=1,50ms,rts=0"

struct files {
	char flash[64], save[64], stats[64], rx[64], image[64], out[64], stock[64];
};

static struct files f;
static char custom[4096];
static int have_custom;

/* The stub of each variant: 0 custom, 1 stock. */
static const char *stub_of(int variant)
{
	return variant == 0 ? custom : f.stock;
}

static int skip(int variant)
{
	return variant == 0 && !have_custom;
}

static void setup(void)
{
	char *paths[] = { f.flash, f.save, f.stats, f.rx, f.image, f.out, f.stock };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		tu_tmpfile(paths[i], 64);
	tu_random_file(f.flash, FLASH, 1);
	tu_random_file(f.stock, 17308, 2);
	have_custom = tu_shared("ecr6600/ECR6600_Stub_Custom.bin", custom, sizeof(custom)) != NULL;
}

static void teardown(void)
{
	char *paths[] = { f.flash, f.save, f.stats, f.rx, f.image, f.out, f.stock };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		unlink(paths[i]);
}

/* ecr-uart -p sim:ecr6600,image=...,MORE -q --reset ... --stub STUB ARGS... */
static void ecr(struct tu_run *r, int variant, const char *more, const char *const *args)
{
	char spec[512];
	const char *argv[40] = { "-p", spec, "-q", "--reset", RESET, "--stub", stub_of(variant) };

	snprintf(spec, sizeof(spec), "sim:ecr6600,image=%s,save=%s,stats=%s,rx=%s%s%s", f.flash,
		 f.save, f.stats, f.rx, more[0] ? "," : "", more);
	tu_append_args(argv, 7, args, f.image);
	tu_run(r, PROG, NULL, NULL, argv);
}

static void expect_ok(struct tu_run *r)
{
	ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
}

/* save= holds [at, at + len) of file from skip on. */
static void flash_holds(const char *file, size_t skip_, size_t at, size_t len)
{
	size_t flen, ilen;
	uint8_t *flash = tu_read_file(f.save, &flen), *img = tu_read_file(file, &ilen);

	ck_assert_uint_le(skip_ + len, ilen);
	ck_assert_msg(memcmp(flash + at, img + skip_, len) == 0, "the flash at 0x%zx differs", at);
	free(flash);
	free(img);
}

static void flash_erased(size_t at, size_t len)
{
	size_t flen;
	uint8_t *flash = tu_read_file(f.save, &flen);

	for (size_t i = at; i < at + len; i++)
		ck_assert_msg(flash[i] == 0xFF, "0x%zx is 0x%02x, not erased", i, flash[i]);
	free(flash);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- every command, with each stub ---- */

START_TEST(detect_both)
{
	struct tu_run r;

	if (skip(_i))
		return;
	ecr(&r, _i, "", ARGS("detect", "--json"));
	expect_ok(&r);
	ck_assert_str_eq(r.out, _i == 0 ?
			 "{\"stub\":\"custom\",\"reused\":false,\"baud\":2000000,\"jedec\":\"c84015\","
			 "\"flash_size\":2097152}\n" :
			 "{\"stub\":\"stock\",\"reused\":false,\"baud\":2000000,\"flash_size\":2097152}\n");
	tu_run_free(&r);
}
END_TEST

START_TEST(read_both)
{
	struct tu_run r;
	size_t len;
	uint8_t *want;

	if (skip(_i))
		return;
	ecr(&r, _i, "", ARGS("read", "-o", f.out));
	expect_ok(&r);
	ck_assert(tu_files_equal(f.out, f.flash));
	tu_run_free(&r);
	ecr(&r, _i, "", ARGS("read", "--offset", "0x1ff000", "--length", "3000"));
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, 3000);
	want = tu_read_file(f.flash, &len);
	ck_assert_int_eq(memcmp(r.out, want + 0x1ff000, 3000), 0);
	free(want);
	tu_run_free(&r);
}
END_TEST

/*
 * A write at 0x20000 whose end is not on a sector (the rest of that sector
 * keeps its bytes), with a final chunk of 256-511 bytes; then the same
 * write again, which erases and sends nothing (custom: by SHA-256).
 */
START_TEST(write_verify_rewrite_both)
{
	struct tu_run r;
	uint8_t *saved;
	size_t len;

	if (skip(_i))
		return;
	tu_random_file(f.image, 24 * 4096 + 300, 3);  /* ends with a piece of 300 bytes */
	ecr(&r, _i, "", ARGS("write", "@IMAGE", "--offset", "0x20000"));
	expect_ok(&r);
	flash_holds(f.image, 0, 0x20000, 24 * 4096 + 300);
	flash_holds(f.flash, 0x20000 + 24 * 4096 + 300, 0x20000 + 24 * 4096 + 300, 4096 - 300);
	tu_run_free(&r);
	saved = tu_read_file(f.save, &len);
	tu_write_file(f.flash, saved, len);  /* the next run starts from what this one left */
	free(saved);
	ecr(&r, _i, "", ARGS("verify", "@IMAGE", "--offset", "0x20000"));
	expect_ok(&r);
	tu_run_free(&r);
	ecr(&r, _i, "", ARGS("-v", "write", "@IMAGE", "--offset", "0x20000"));
	expect_ok(&r);
	ck_assert_msg(strstr(r.err, "0 blocks of 64 KiB written, 2 already held it"), "%s", r.err);
	ck_assert_uint_eq(tu_stat(f.stats, "sectors_erased"), 0);
	ck_assert_uint_eq(tu_stat(f.stats, "xmodem_blocks"), 0);
	ck_assert_uint_eq(tu_stat(f.stats, "bytes_programmed"), 0);
	tu_run_free(&r);
}
END_TEST

/* More than 4 KiB at 0: the stock stub mirrors a write there into 4 KiB (notes §2.5). */
START_TEST(write_at_zero_both)
{
	struct tu_run r;

	if (skip(_i))
		return;
	tu_random_file(f.image, 20000, 4);
	ecr(&r, _i, "", ARGS("write", "@IMAGE", "--force-bootloader"));
	expect_ok(&r);
	flash_holds(f.image, 0, 0, 20000);
	ck_assert_uint_eq(tu_stat(f.stats, "crashes"), 0);
	tu_run_free(&r);
}
END_TEST

START_TEST(erase_both)
{
	struct tu_run r;

	if (skip(_i))
		return;
	ecr(&r, _i, "", ARGS("erase", "--offset", "0x30000", "--length", "0x3000"));
	expect_ok(&r);
	flash_erased(0x30000, 0x3000);
	flash_holds(f.flash, 0x33000, 0x33000, 0x1000);
	tu_run_free(&r);
	ecr(&r, _i, "", ARGS("erase", "--all", "--force-bootloader"));
	expect_ok(&r);
	flash_erased(0, FLASH);
	tu_run_free(&r);
}
END_TEST

START_TEST(efuse_and_run)
{
	struct tu_run r;

	if (skip(0))
		return;
	ecr(&r, 0, "", ARGS("efuse-read"));
	expect_ok(&r);
	ck_assert_int_eq(tu_count_lines(r.out), 8);
	ck_assert_uint_eq(strlen(r.out), 8 * 48);
	tu_run_free(&r);
	ecr(&r, 0, "banner=hello\\r\\n,trace=/dev/null", ARGS("run"));
	expect_ok(&r);
	tu_run_free(&r);
	/* The stock stub has no 0x99: said plainly. */
	ecr(&r, 1, "", ARGS("efuse-read"));
	tu_assert_one_error(&r, PROG, 2, "the stock stub cannot read the eFuse");
	tu_run_free(&r);
	ecr(&r, 1, "", ARGS("run"));
	expect_ok(&r);
	tu_run_free(&r);
}
END_TEST

/* An AIO file: its stub record is skipped, its flash records land where they say. */
START_TEST(aio_file)
{
	struct tu_run r;
	uint8_t aio[5 + 9 + 100 + 9 + 5000 + 9 + 7000];
	size_t at = 0;

	if (skip(0))
		return;
	memcpy(aio, "oneb\x01", 5);
	at = 5;
	aio[at] = 0x00;  /* a stub record: skipped */
	memcpy(aio + at + 1, "\x00\x00\x01\x00\x64\x00\x00\x00", 8);
	memset(aio + at + 9, 0x11, 100);
	at += 9 + 100;
	aio[at] = 0x02;
	memcpy(aio + at + 1, "\x00\x00\x08\x00\x88\x13\x00\x00", 8);  /* 5000 at 0x80000 */
	memset(aio + at + 9, 0x22, 5000);
	at += 9 + 5000;
	aio[at] = 0x02;
	memcpy(aio + at + 1, "\x00\x00\x10\x00\x58\x1b\x00\x00", 8);  /* 7000 at 0x100000 */
	memset(aio + at + 9, 0x33, 7000);
	tu_write_file(f.image, aio, sizeof(aio));
	ecr(&r, 0, "", ARGS("write", "@IMAGE"));
	expect_ok(&r);
	flash_holds(f.image, 5 + 9 + 100 + 9, 0x80000, 5000);
	flash_holds(f.image, sizeof(aio) - 7000, 0x100000, 7000);
	flash_holds(f.flash, 0x10000, 0x10000, 0x1000);  /* not where the stub record said */
	tu_run_free(&r);
}
END_TEST

/* ---- faults ---- */

/* The stub's 3rd ACK is lost: it writes the resent block twice; the range is redone. */
START_TEST(lost_ack)
{
	struct tu_run r;

	if (skip(0))
		return;
	tu_random_file(f.image, 64 * 1024, 5);
	ecr(&r, 0, "lose-ack=3", ARGS("write", "@IMAGE", "--offset", "0x40000"));
	expect_ok(&r);
	ck_assert_uint_eq(tu_stat(f.stats, "lost_acks"), 1);
	/* no block went twice: the write stopped there and went on from that sector */
	ck_assert_uint_eq(tu_stat(f.stats, "xmodem_repeats"), 0);
	flash_holds(f.image, 0, 0x40000, 64 * 1024);
	flash_holds(f.flash, 0x50000, 0x50000, 0x10000);
	tu_run_free(&r);
}
END_TEST

/*
 * The chip resets in the middle of a write: the run says which range may be
 * half-written and fails; the same command again (after a power-cycle)
 * writes it whole.
 */
START_TEST(reset_mid_write_then_again)
{
	struct tu_run r;
	uint8_t *saved;
	size_t len;

	if (skip(0))
		return;
	tu_random_file(f.image, 200000, 12);
	ecr(&r, 0, "reset-at=60000", ARGS("write", "@IMAGE", "--offset", "0x10000"));
	ck_assert_int_eq(r.status, 3);
	ck_assert_msg(strstr(r.err, "0x010000-0x010000 is written and verified, "
			     "0x010000-0x041000 may be erased or half-written"), "%s", r.err);
	tu_run_free(&r);
	saved = tu_read_file(f.save, &len);
	tu_write_file(f.flash, saved, len);
	free(saved);
	ecr(&r, 0, "", ARGS("write", "@IMAGE", "--offset", "0x10000"));
	expect_ok(&r);
	flash_holds(f.image, 0, 0x10000, 200000);
	tu_run_free(&r);
}
END_TEST

START_TEST(faults_still_verify)
{
	struct tu_run r;

	if (skip(_i))
		return;
	tu_random_file(f.image, 150000, 6);
	/* custom: XMODEM blocks of 1 KiB; stock: sessions of 64 KiB, then of 4 KiB */
	ecr(&r, _i, _i == 0 ? "flip=30,drop=30,seed=11" : "flip=10,drop=10,seed=11",
	    ARGS("-B", "921600", "write", "@IMAGE", "--offset", "0x60000"));
	expect_ok(&r);
	ck_assert_uint_gt(tu_stat(f.stats, "flips") + tu_stat(f.stats, "drops"), 0);
	flash_holds(f.image, 0, 0x60000, 150000);
	tu_run_free(&r);
}
END_TEST

/* The link garbles above 921600: 2000000 and 1500000 fail, 921600 holds. */
START_TEST(baud_fallback)
{
	struct tu_run r;

	if (skip(0))
		return;
	ecr(&r, 0, "corrupt-above=921600", ARGS("-v", "detect"));
	expect_ok(&r);
	ck_assert_msg(strstr(r.err, "the link does not hold at 2000000 baud"), "%s", r.err);
	ck_assert_msg(strstr(r.err, "link at 921600 baud"), "%s", r.err);
	ck_assert_msg(strstr(r.out, "baud:      921600\n"), "%s", r.out);
	tu_run_free(&r);
}
END_TEST

/* A stub left running (at another rate) by an earlier run is found and reused. */
START_TEST(running_stub_is_reused)
{
	struct tu_run r;

	if (skip(0))
		return;
	ecr(&r, 0, "running=custom,running-baud=921600,reset=manual", ARGS("-v", "detect"));
	expect_ok(&r);
	ck_assert_msg(strstr(r.out, "stub:      custom (already running)\n"), "%s", r.out);
	ck_assert_uint_eq(tu_stat(f.stats, "stub_uploads"), 0);
	tu_run_free(&r);
}
END_TEST

/* ---- the frames on the wire (notes §2.2-2.3) ---- */

static int holds(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return 1;
	return 0;
}

#define WIRE_HAS(rx, n, ...)                                                              \
	ck_assert_msg(holds(rx, n, (const uint8_t[]){ __VA_ARGS__ },                      \
			    sizeof((const uint8_t[]){ __VA_ARGS__ })), "not on the wire: %s", \
		      #__VA_ARGS__)

START_TEST(golden_frames)
{
	struct tu_run r;
	size_t n;
	uint8_t *rx;

	if (skip(0))
		return;
	ecr(&r, 0, "", ARGS("-B", "921600", "read", "--length", "4K", "-o", f.out));
	expect_ok(&r);
	rx = tu_read_file(f.rx, &n);
	WIRE_HAS(rx, n, 'c', 'n', 'y', 's');
	WIRE_HAS(rx, n, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xF0, 0x65, 0x00, 0x00);
	WIRE_HAS(rx, n, 0xA5, 0x90, 0x00, 0x00, 0x35);
	WIRE_HAS(rx, n, 0xA5, 0x07, 0x04, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xCE);
	WIRE_HAS(rx, n, 0xA5, 0x92, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x4F);
	WIRE_HAS(rx, n, 0xA5, 0x07, 0x04, 0x00, 0x00, 0xC2, 0x01, 0x00, 0x73);
	free(rx);
	tu_run_free(&r);
	ecr(&r, 0, "", ARGS("erase", "--offset", "0x1000", "--length", "0x1000",
			    "--force-bootloader"));
	expect_ok(&r);
	rx = tu_read_file(f.rx, &n);
	WIRE_HAS(rx, n, 0xA5, 0x04, 0x08, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0xD1);
	free(rx);
	tu_run_free(&r);
	ecr(&r, 0, "", ARGS("erase", "--all", "--force-bootloader"));
	expect_ok(&r);
	rx = tu_read_file(f.rx, &n);
	WIRE_HAS(rx, n, 0xA5, 0x05, 0x00, 0x00, 0xAA);
	free(rx);
	tu_run_free(&r);
	tu_random_file(f.image, FLASH, 7);
	ecr(&r, 0, "", ARGS("write", "@IMAGE"));  /* the whole flash: no --force-bootloader */
	expect_ok(&r);
	rx = tu_read_file(f.rx, &n);
	WIRE_HAS(rx, n, 0xA5, 0x09, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0xD6);
	free(rx);
	tu_run_free(&r);
	/* stock: its read and its write header */
	tu_random_file(f.image, 4096, 8);
	ecr(&r, 1, "", ARGS("write", "@IMAGE", "--force-bootloader"));
	expect_ok(&r);
	rx = tu_read_file(f.rx, &n);
	WIRE_HAS(rx, n, 0xA5, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0xBF);
	WIRE_HAS(rx, n, 0xA5, 0x03, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0xC0);
	free(rx);
	tu_run_free(&r);
}
END_TEST

/* ---- through a pty ---- */

START_TEST(pty_write)
{
	struct tu_run r;

	/* ecr-uart looks for a running stub at 2000000 baud first */
	if (skip(0) || tu_skip_unless_pty_takes(2000000, "pty_write"))
		return;
	tu_random_file(f.image, 40000, 9);
	ecr(&r, 0, "pty", ARGS("-B", "921600", "write", "@IMAGE", "--offset", "0x70000"));
	expect_ok(&r);
	flash_holds(f.image, 0, 0x70000, 40000);
	tu_run_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create(PROG);
	TCase *tc = tcase_create("end to end");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, detect_both, 0, 2);
	tcase_add_loop_test(tc, read_both, 0, 2);
	tcase_add_loop_test(tc, write_verify_rewrite_both, 0, 2);
	tcase_add_loop_test(tc, write_at_zero_both, 0, 2);
	tcase_add_loop_test(tc, erase_both, 0, 2);
	tcase_add_test(tc, efuse_and_run);
	tcase_add_test(tc, aio_file);
	tcase_add_test(tc, lost_ack);
	tcase_add_test(tc, reset_mid_write_then_again);
	tcase_add_loop_test(tc, faults_still_verify, 0, 2);
	tcase_add_test(tc, baud_fallback);
	tcase_add_test(tc, running_stub_is_reused);
	tcase_add_test(tc, golden_frames);
	tcase_add_test(tc, pty_write);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
