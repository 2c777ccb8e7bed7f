/* SPDX-License-Identifier: MIT */
/*
 * The hostile-user corpus for beken-spi (issue "What a careless or hostile
 * user found"): closed and odd outputs, config files that say too much,
 * malformed numbers, endless input, signals, and options that mean nothing.
 * Every case checks the exit status, the one error line, and that the
 * emulated flash is as it was (or was never opened). Each program has its own
 * tests/check_hostile_PROGRAM.c; new programs add theirs. Every case runs
 * with the chip on the SPI layer ("sim") and behind the emulated CH341A
 * ("ch341a").
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bekentest.h"
#include "testutil.h"

#define FLASH_SIZE (2u * 1024 * 1024)
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct chip {
	char flash[64], orig[64], stats[64], spec[512];
};

static void chip_new(struct chip *c, const char *extra)
{
	uint8_t *buf = malloc(FLASH_SIZE);
	uint32_t seed = 7;
	char opts[300];

	for (size_t i = 0; i < FLASH_SIZE; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	tu_tmpfile(c->flash, sizeof(c->flash));
	tu_tmpfile(c->orig, sizeof(c->orig));
	tu_tmpfile(c->stats, sizeof(c->stats));
	tu_write_file(c->flash, buf, FLASH_SIZE);
	tu_write_file(c->orig, buf, FLASH_SIZE);
	free(buf);
	snprintf(opts, sizeof(opts), "image=%s,save=%s,stats=%s%s%s", c->flash, c->flash, c->stats,
		 extra ? "," : "", extra ? extra : "");
	bt_spec(c->spec, sizeof(c->spec), "bk7231n", opts, NULL);
}

static void chip_free(struct chip *c)
{
	unlink(c->flash);
	unlink(c->orig);
	unlink(c->stats);
}

static int chip_opened(const struct chip *c)
{
	return bt_chip_opened(c->stats);
}

static void assert_flash_unchanged(const struct chip *c)
{
	ck_assert_msg(tu_files_equal(c->flash, c->orig), "the flash changed");
}

static const char *const no_config[] = { "XDG_CONFIG_HOME=/nonexistent", NULL };

static void beken(struct tu_run *r, const char *stdin_path, const char *const *argv)
{
	tu_run(r, "beken-spi", stdin_path, no_config, argv);
	bt_assert_no_speed_advice(r, argv);
}

/* The same where --speed is incidental: over the CH341A it runs without. */
static void beken_any_clock(struct tu_run *r, const char *const *argv)
{
	const char *args[32];

	beken(r, NULL, bt_incidental_speed(args, 32, argv));
}

static void assert_error(const struct tu_run *r, int status, const char *text)
{
	tu_assert_one_error(r, "beken-spi", status, text);
}

/* ---- 1: a closed stdout ---- */

START_TEST(read_to_closed_stdout_is_refused)
{
	struct chip c;
	struct tu_run r;

	chip_new(&c, NULL);
	tu_run_stdout_closed(&r, "beken-spi", no_config,
			     ARGS("--spi", c.spec, "read", "--offset", "0x100000", "--length", "64K"));
	assert_error(&r, 2, "stdout is closed; give -o FILE");
	ck_assert_msg(!chip_opened(&c), "the chip was opened");
	assert_flash_unchanged(&c);
	tu_run_free(&r);
	tu_run_stdout_closed(&r, "beken-spi", no_config, ARGS("--spi", c.spec, "detect"));
	assert_error(&r, 2, "stdout is closed, and detect prints its result there");
	ck_assert_msg(!chip_opened(&c), "the chip was opened");
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

START_TEST(read_to_file_with_closed_stdout_works)
{
	char out[64];
	struct chip c;
	struct tu_run r;
	size_t len;
	uint8_t *got, *want;

	chip_new(&c, NULL);
	tu_tmpfile(out, sizeof(out));
	tu_run_stdout_closed(&r, "beken-spi", no_config,
			     ARGS("--spi", c.spec, "read", "--offset", "4096", "--length", "4K", "-o", out));
	ck_assert_msg(r.status == 0, "%s", r.err);
	got = tu_read_file(out, &len);
	ck_assert_uint_eq(len, 4096);
	want = tu_read_file(c.orig, &len);
	ck_assert(!memcmp(got, want + 4096, 4096));
	assert_flash_unchanged(&c);
	free(got);
	free(want);
	tu_run_free(&r);
	unlink(out);
	chip_free(&c);
}
END_TEST

/* ---- 2 and 12: config files that say too much ---- */

static const struct config_case {
	const char *text;
	const char *const args[6];
	const char *message;
} config_cases[] = {
	{ "[beken-spi]\nforce-bootloader = yes\n", { "write", "@IMAGE" },
	  ":2: 'force-bootloader' can only be given on the command line" },
	{ "[beken-spi]\nall = yes\n", { "erase" }, ":2: 'all' can only be given on the command line" },
	{ "[board pi]\nall = yes\nforce-bootloader = yes\n", { "-b", "pi", "erase" },
	  ":2: 'all' can only be given on the command line" },
	{ "[beken-spi]\noffset = 0x11000\n", { "read" }, ":2: 'offset' can only be given" },
	{ "[beken-spi]\nlength = 4K\n", { "read" }, ":2: 'length' can only be given" },
	{ "[beken-spi]\noutput = /tmp/x.bin\n", { "read" }, ":2: 'output' can only be given" },
	{ "[beken-spi]\njson = yes\n", { "detect" }, ":2: 'json' can only be given" },
	{ "[beken-spi]\nbackup = /tmp/b.bin\n", { "detect" }, ":2: 'backup' can only be given" },
	{ "; a typo\n[beken_spi]\nspeed = 1M\n", { "detect" }, ":3: unknown section [beken_spi]" },
	{ "speed = 1M\n", { "detect" }, ":1: 'speed' is outside any section" },
};

START_TEST(config_cannot_unlock_or_hold_per_run_values)
{
	const struct config_case *cc = &config_cases[_i];
	char conf[64], image[64], want[128];
	const char *argv[16];
	struct chip c;
	struct tu_run r;
	uint8_t img[4096];
	int n = 0;

	chip_new(&c, NULL);
	memset(img, 0, sizeof(img));
	tu_tmpfile(image, sizeof(image));
	tu_write_file(image, img, sizeof(img));
	tu_text_file(conf, sizeof(conf), cc->text);
	argv[n++] = "-c";
	argv[n++] = conf;
	argv[n++] = "--spi";
	argv[n++] = c.spec;
	tu_append_args(argv, n, cc->args, image);
	beken(&r, NULL, argv);
	snprintf(want, sizeof(want), "%s%s", conf, cc->message);
	assert_error(&r, 2, want);
	ck_assert_msg(!chip_opened(&c), "the chip was opened");
	assert_flash_unchanged(&c);
	tu_run_free(&r);
	unlink(conf);
	unlink(image);
	chip_free(&c);
}
END_TEST

START_TEST(other_programs_sections_are_ignored)
{
	static const char text[] = "[gx-upload]\nirreversible = no\nport = /dev/ttyUSB0\n"
				   "[w800-xmodem]\nanything = at all\n[beken-spi]\nspeed = 1M\n";
	char conf[64];
	struct chip c;
	struct tu_run r;

	chip_new(&c, NULL);
	tu_text_file(conf, sizeof(conf), text);
	beken(&r, NULL, ARGS("-c", conf, "-v", "--spi", c.spec, "detect"));
	if (bt_fixed_clock()) {
		/* its own section's speed is read, and refused */
		ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
		ck_assert_msg(strstr(r.err, "SPI clock is its own"), "%s", r.err);
		ck_assert_msg(!chip_opened(&c), "the chip was opened");
	} else {
		ck_assert_msg(r.status == 0, "%s", r.err);
		ck_assert_msg(strstr(r.out, "speed:      1 MHz"), "%s", r.out);
	}
	/* -v names the config it read. */
	ck_assert_msg(strstr(r.err, "config: ") && strstr(r.err, conf), "%s", r.err);
	tu_run_free(&r);
	unlink(conf);
	chip_free(&c);
}
END_TEST

START_TEST(config_that_is_a_directory)
{
	struct tu_run r;
	char dir[] = "/tmp/unbrick-test-XXXXXX", sub[128], want[160], spec[64];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	bt_spec(spec, sizeof(spec), "bk7231n", NULL, NULL);
	beken(&r, NULL, ARGS("-c", dir, "--spi", spec, "detect"));
	snprintf(want, sizeof(want), "config '%s' is a directory", dir);
	assert_error(&r, 2, want);
	tu_run_free(&r);
	/* Found through XDG: the message says why it cannot be read. */
	snprintf(sub, sizeof(sub), "%s/unbrick", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/unbrick/unbrick.conf", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	{
		char env[160];
		const char *e[] = { env, NULL };

		snprintf(env, sizeof(env), "XDG_CONFIG_HOME=%s", dir);
		tu_run(&r, "beken-spi", NULL, e, ARGS("--spi", spec, "detect"));
	}
	snprintf(want, sizeof(want), "config '%s' is a directory", sub);
	assert_error(&r, 2, want);
	tu_run_free(&r);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/unbrick", dir);
	rmdir(sub);
	rmdir(dir);
}
END_TEST

/* ---- 4: numbers ---- */

START_TEST(leading_zero_is_decimal)
{
	struct chip c;
	struct tu_run r;
	size_t len;
	uint8_t *want;

	chip_new(&c, NULL);
	want = tu_read_file(c.orig, &len);
	beken(&r, NULL, ARGS("--spi", c.spec, "read", "--offset", "010000", "--length", "017"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_uint_eq(r.outlen, 17);
	ck_assert(!memcmp(r.out, want + 10000, 17));
	tu_run_free(&r);
	beken(&r, NULL, ARGS("--spi", c.spec, "read", "--offset", "08", "--length", "8"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert(r.outlen == 8 && !memcmp(r.out, want + 8, 8));
	tu_run_free(&r);
	free(want);
	chip_free(&c);
}
END_TEST

START_TEST(unknown_suffix_says_which_exist)
{
	static const char *const sizes[] = { "4G", "3G" };
	struct chip c;
	struct tu_run r;

	chip_new(&c, NULL);
	for (size_t i = 0; i < 2; i++) {
		beken(&r, NULL, ARGS("--spi", c.spec, "read", "--length", sizes[i]));
		assert_error(&r, 2, "K = KiB, M = MiB");
		ck_assert_msg(!chip_opened(&c), "the chip was opened");
		tu_run_free(&r);
	}
	chip_free(&c);
}
END_TEST

/* ---- 5: endless input ---- */

START_TEST(endless_input_stops)
{
	static const char *const sources[][2] = { { "/dev/zero", NULL }, { "-", "/dev/urandom" } };
	struct chip c;
	struct tu_run r;
	time_t t0 = time(NULL);

	chip_new(&c, NULL);
	beken(&r, sources[_i][1], ARGS("--spi", c.spec, "write", "--offset", "0x11000", sources[_i][0]));
	assert_error(&r, 2, "is larger than");
	ck_assert_msg(time(NULL) - t0 < 20, "took %ld s", (long)(time(NULL) - t0));
	ck_assert_msg(!chip_opened(&c), "the chip was opened");
	assert_flash_unchanged(&c);
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* ---- 7 and 11: signals, and what the report says ---- */

/* The run stopped by sig after ms; --speed is incidental (dropped over the CH341A). */
static void interrupt_after(struct tu_run *r, const char *const *argv, int sig, int ms)
{
	struct tu_child child;
	const char *args[32];

	tu_spawn(&child, "beken-spi", no_config, bt_incidental_speed(args, 32, argv));
	usleep((useconds_t)ms * 1000);
	kill(child.pid, sig);
	tu_wait(&child, r);
}

static const int stop_signals[] = { SIGTERM, SIGHUP, SIGINT };

START_TEST(signal_during_write_reports_the_range)
{
	char image[64];
	struct chip c;
	struct tu_run r;
	uint8_t *img = calloc(1, 512 * 1024);
	int sig = stop_signals[_i];

	chip_new(&c, "pace");
	tu_tmpfile(image, sizeof(image));
	tu_write_file(image, img, 512 * 1024);
	interrupt_after(&r, ARGS("--spi", c.spec, "--speed", "10M", "write", "--offset", "0x100000",
				 image), sig, 1500);
	ck_assert_msg(r.status == 128 + sig, "exit %d, want %d: %s", r.status, 128 + sig, r.err);
	ck_assert_msg(strstr(r.err, "interrupted: 0x100000-0x") &&
		      strstr(r.err, "is written and verified"), "%s", r.err);
	tu_run_free(&r);
	free(img);
	unlink(image);
	chip_free(&c);
}
END_TEST

START_TEST(interrupted_erase_says_erased)
{
	struct chip c;
	struct tu_run r;

	chip_new(&c, "pace");
	interrupt_after(&r, ARGS("--spi", c.spec, "--speed", "10M", "erase", "--offset", "0x100000",
				 "--length", "512K"), SIGINT, 1500);
	ck_assert_msg(r.status == 130, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "is erased and verified"), "%s", r.err);
	ck_assert_msg(!strstr(r.err, "written"), "%s", r.err);
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

START_TEST(signal_during_read_leaves_no_temp_file)
{
	char dir[] = "/tmp/unbrick-test-XXXXXX", out[128];
	struct chip c;
	struct tu_run r;
	int sig = stop_signals[_i];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/dump.bin", dir);
	chip_new(&c, "pace");
	interrupt_after(&r, ARGS("--spi", c.spec, "--speed", "1M", "read", "-o", out), sig, 1500);
	ck_assert_msg(r.status == 128 + sig, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "interrupted"), "%s", r.err);
	ck_assert_msg(rmdir(dir) == 0, "%s is not empty (a temporary file left)", dir);
	if (access(dir, F_OK) == 0) {
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* ---- 9: -o over an existing file ---- */

START_TEST(output_keeps_mode_and_follows_symlink)
{
	char out[64], link[80];
	struct chip c;
	struct tu_run r;
	struct stat st;
	size_t len;
	uint8_t *got;

	chip_new(&c, NULL);
	tu_tmpfile(out, sizeof(out));
	ck_assert_int_eq(chmod(out, 0640), 0);
	snprintf(link, sizeof(link), "%s.link", out);
	ck_assert_int_eq(symlink(out, link), 0);
	beken(&r, NULL, ARGS("--spi", c.spec, "read", "--length", "4K", "-o", link));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert_msg(S_ISLNK(st.st_mode), "the symlink was replaced");
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	got = tu_read_file(out, &len);
	ck_assert_uint_eq(len, 4096);
	free(got);
	tu_run_free(&r);
	unlink(link);
	unlink(out);
	/* A new file holds secrets: 0600. */
	beken(&r, NULL, ARGS("--spi", c.spec, "read", "--length", "4K", "-o", out));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	tu_run_free(&r);
	unlink(out);
	chip_free(&c);
}
END_TEST

/* ---- 10 and 12: refused before the device ---- */

static const struct early_case {
	const char *const args[8];
	const char *message;
} early_cases[] = {
	{ { "read", "--length", "0" }, "--length is 0" },
	{ { "read", "-o", "" }, "-o needs a file name" },
	{ { "erase", "--offset", "0x12000", "--length", "0" }, "--length is 0" },
	{ { "read", "--all" }, "--all means nothing for read" },
	{ { "read", "--json" }, "--json means nothing for read" },
	{ { "detect", "--force-bootloader" }, "--force-bootloader means nothing for detect" },
	{ { "write", "--length", "4K", "/dev/null" }, "--length means nothing for write" },
	{ { "verify", "--backup", "/tmp/x", "/dev/null" }, "--backup means nothing for verify" },
	{ { "write", "--offset", "0x11000", "--backup", "/nonexistent/dir/b.bin", "@IMAGE" },
	  "cannot create '/nonexistent/dir/b.bin'" },
};

START_TEST(refused_before_the_device)
{
	const struct early_case *ec = &early_cases[_i];
	char image[64];
	const char *argv[16];
	struct chip c;
	struct tu_run r;
	uint8_t img[4096] = { 0 };
	int n = 0;

	chip_new(&c, NULL);
	tu_tmpfile(image, sizeof(image));
	tu_write_file(image, img, sizeof(img));
	argv[n++] = "--spi";
	argv[n++] = c.spec;
	tu_append_args(argv, n, ec->args, image);
	beken(&r, NULL, argv);
	assert_error(&r, 2, ec->message);
	ck_assert_msg(!chip_opened(&c), "the chip was opened");
	assert_flash_unchanged(&c);
	tu_run_free(&r);
	unlink(image);
	chip_free(&c);
}
END_TEST

/* ---- 13: --backup ---- */

START_TEST(backup_holds_exactly_what_the_write_changes)
{
	char image[64], bak[64];
	struct chip c;
	struct tu_run r;
	uint8_t img[8192];
	size_t len, flen;
	uint8_t *got, *orig;

	chip_new(&c, NULL);
	memset(img, 0x5a, sizeof(img));
	tu_tmpfile(image, sizeof(image));
	tu_write_file(image, img, sizeof(img));
	tu_tmpfile(bak, sizeof(bak));
	unlink(bak);
	beken(&r, NULL, ARGS("--spi", c.spec, "write", "--offset", "0x20000", "--backup", bak, image));
	ck_assert_msg(r.status == 0, "%s", r.err);
	got = tu_read_file(bak, &len);
	orig = tu_read_file(c.orig, &flen);
	ck_assert_uint_eq(len, sizeof(img));
	ck_assert(!memcmp(got, orig + 0x20000, sizeof(img)));
	free(got);
	free(orig);
	tu_run_free(&r);
	unlink(bak);
	unlink(image);
	chip_free(&c);
}
END_TEST

START_TEST(failed_backup_stops_the_write)
{
	char image[64];
	struct chip c;
	struct tu_run r;
	uint8_t img[8192];

	chip_new(&c, NULL);
	memset(img, 0x5a, sizeof(img));
	tu_tmpfile(image, sizeof(image));
	tu_write_file(image, img, sizeof(img));
	/* /dev/full opens, then every write to it fails. */
	beken_any_clock(&r, ARGS("--spi", c.spec, "--speed", "1M", "write", "--offset", "0x20000",
				 "--backup", "/dev/full", image));
	assert_error(&r, 1, "/dev/full");
	assert_flash_unchanged(&c);
	tu_run_free(&r);
	beken_any_clock(&r, ARGS("--spi", c.spec, "--speed", "1M", "erase", "--offset", "0x20000",
				 "--length", "4K", "--backup", "/dev/full"));
	assert_error(&r, 1, "/dev/full");
	assert_flash_unchanged(&c);
	tu_run_free(&r);
	unlink(image);
	chip_free(&c);
}
END_TEST

static void add_tests(TCase *tc, enum bt_transport t)
{
	(void)t;
	tcase_add_test(tc, read_to_closed_stdout_is_refused);
	tcase_add_test(tc, read_to_file_with_closed_stdout_works);
	tcase_add_loop_test(tc, config_cannot_unlock_or_hold_per_run_values, 0,
			    sizeof(config_cases) / sizeof(config_cases[0]));
	tcase_add_test(tc, other_programs_sections_are_ignored);
	tcase_add_test(tc, config_that_is_a_directory);
	tcase_add_test(tc, leading_zero_is_decimal);
	tcase_add_test(tc, unknown_suffix_says_which_exist);
	tcase_add_loop_test(tc, endless_input_stops, 0, 2);
	tcase_add_loop_test(tc, signal_during_write_reports_the_range, 0, 3);
	tcase_add_test(tc, interrupted_erase_says_erased);
	tcase_add_loop_test(tc, signal_during_read_leaves_no_temp_file, 0, 3);
	tcase_add_test(tc, output_keeps_mode_and_follows_symlink);
	tcase_add_loop_test(tc, refused_before_the_device, 0,
			    sizeof(early_cases) / sizeof(early_cases[0]));
	tcase_add_test(tc, backup_holds_exactly_what_the_write_changes);
	tcase_add_test(tc, failed_backup_stops_the_write);
}

static Suite *suite(void)
{
	Suite *s = suite_create("hostile-beken-spi");

	bt_add_cases(s, 60, add_tests);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
