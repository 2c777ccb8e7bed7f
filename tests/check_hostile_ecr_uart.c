/* SPDX-License-Identifier: MIT */
/*
 * The hostile-user corpus for ecr-uart (see check_hostile_beken_spi.c): each
 * case checks the exit status, the one error line, and what the chip saw.
 * The chip is sim:ecr6600; its rx= file holds every byte the host sent, and
 * stays empty when the program stopped before the port. Signal cases need a
 * chip in real time (sim:ecr6600,pty,pace=1, or uart-sim when the chip must
 * outlive a run). Cases with BK's custom stub skip without ../shared/data.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ser2net.h"
#include "testutil.h"
#include "ttyview.h"

#define PROG "ecr-uart"
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define RESET "rts=1,50ms,rts=0"

static const char *const no_config[] = { "XDG_CONFIG_HOME=/nonexistent",
					 "XDG_DATA_HOME=/nonexistent", NULL };

static char stub[4096];

static int have_stub(void)
{
	return tu_shared("ecr6600/ECR6600_Stub_Custom.bin", stub, sizeof(stub)) != NULL;
}

/*
 * ecr-uart looks for a running stub at 2000000 baud first, which a pty
 * under qemu-user may not take.
 */
static int pty_lacks_stub_rates(const char *test)
{
	return tu_skip_unless_pty_takes(2000000, test);
}

struct chip {
	char rx[64], save[64], trace[64];
	char spec[512];
};

static void chip_start(struct chip *c, const char *more)
{
	tu_tmpfile(c->rx, sizeof(c->rx));
	tu_tmpfile(c->save, sizeof(c->save));
	tu_tmpfile(c->trace, sizeof(c->trace));
	snprintf(c->spec, sizeof(c->spec), "sim:ecr6600,rx=%s,save=%s,trace=%s%s%s", c->rx,
		 c->save, c->trace, more[0] ? "," : "", more);
}

static void chip_free(struct chip *c)
{
	unlink(c->rx);
	unlink(c->save);
	unlink(c->trace);
}

static int chip_saw_nothing(const struct chip *c)
{
	struct stat st;

	return stat(c->rx, &st) != 0 || st.st_size == 0;
}

/*
 * ecr-uart -p SPEC -q [--reset ...] [--stub STUB] ARGS... ("@IMAGE" becomes
 * image). A pty has no RTS: there the user power-cycles the chip (replug=).
 */
static int ecr_argv(const char **argv, const char *spec, const char *const *args,
		    const char *image)
{
	int n = 0;

	argv[n++] = "-p";
	argv[n++] = spec;
	argv[n++] = "-q";
	if (!strncmp(spec, "sim:", 4)) {
		argv[n++] = "--reset";
		argv[n++] = RESET;
	}
	if (stub[0]) {
		argv[n++] = "--stub";
		argv[n++] = stub;
	}
	return tu_append_args(argv, n, args, image);
}

static void ecr(struct tu_run *r, const char *spec, const char *const *args, const char *image)
{
	const char *argv[40];

	ecr_argv(argv, spec, args, image);
	tu_run(r, PROG, NULL, no_config, argv);
}

static void assert_error(const struct tu_run *r, int status, const char *msg)
{
	tu_assert_one_error(r, PROG, status, msg);
}

/* ---- 1: a closed stdout ---- */

START_TEST(closed_stdout_is_refused)
{
	static const char *const cmds[][2] = { { "read", "stdout is closed; give -o FILE" },
		{ "detect", "stdout is closed, and detect prints its result there" },
		{ "efuse-read", "stdout is closed, and efuse-read prints its result there" } };
	struct chip c;
	struct tu_run r;

	chip_start(&c, "");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		tu_run_stdout_closed(&r, PROG, no_config, ARGS("-p", c.spec, cmds[i][0]));
		assert_error(&r, 2, cmds[i][1]);
		tu_run_free(&r);
	}
	ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	chip_free(&c);
}
END_TEST

/* ---- 2: config files say more than they should ---- */

static const struct config_case {
	const char *text;
	const char *const args[6];
	const char *message;
} config_cases[] = {
	{ "[ecr-uart]\nforce-bootloader = yes\n", { "erase", "--all" },
	  ":2: 'force-bootloader' can only be given on the command line" },
	{ "[ecr-uart]\nall = yes\n", { "erase" }, ":2: 'all' can only be given" },
	{ "[ecr-uart]\noffset = 0x10000\n", { "write", "@IMAGE" }, ":2: 'offset' can only be given" },
	{ "[ecr-uart]\nbackup = /tmp/b.bin\n", { "write", "@IMAGE" }, ":2: 'backup' can only be given" },
	{ "[ecr-uart]\noutput = /tmp/x.bin\n", { "read" }, ":2: 'output' can only be given" },
	{ "[ecr-uart]\njson = yes\n", { "detect" }, ":2: 'json' can only be given" },
	{ "[ecr_uart]\nport = /dev/ttyUSB0\n", { "detect" }, ":2: unknown section [ecr_uart]" },
};

START_TEST(config_cannot_unlock)
{
	const struct config_case *cc = &config_cases[_i];
	char conf[64], image[64], want[160];
	const char *argv[20] = { "-c" };
	struct chip c;
	struct tu_run r;

	chip_start(&c, "");
	tu_tmpfile(image, sizeof(image));
	tu_random_file(image, 4096, 101);
	tu_text_file(conf, sizeof(conf), cc->text);
	argv[1] = conf;
	argv[2] = "-p";
	argv[3] = c.spec;
	tu_append_args(argv, 4, cc->args, image);
	tu_run(&r, PROG, NULL, no_config, argv);
	snprintf(want, sizeof(want), "%s%s", conf, cc->message);
	assert_error(&r, 2, want);
	ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	tu_run_free(&r);
	unlink(conf);
	unlink(image);
	chip_free(&c);
}
END_TEST

/* ---- 3: a second run right after an interrupted one ---- */

/*
 * SIGINT while the image goes at 921600, on a chip that outlives the run
 * (its stub running from the start, so that the run is quick): the stub is
 * left at its commands and at 115200, so the next run finds it and writes
 * the image whole.
 */
START_TEST(rerun_after_interrupted_write)
{
	char image[64], save[64], trace[64], spec[512];
	const char *argv[40];
	struct tu_sim sim;
	struct tu_child child;
	struct tu_run r;
	size_t len, flen;
	uint8_t *img, *flash;

	if (!have_stub() || pty_lacks_stub_rates("rerun_after_interrupted_write"))
		return;
	tu_tmpfile(image, sizeof(image));
	tu_random_file(image, 300000, 102);
	tu_tmpfile(save, sizeof(save));
	tu_tmpfile(trace, sizeof(trace));
	snprintf(spec, sizeof(spec), "ecr6600,pace=1,running=custom,save=%s,trace=%s", save, trace);
	tu_sim_start(&sim, spec);
	ecr_argv(argv, sim.path, ARGS("-B", "921600", "write", "@IMAGE", "--offset", "0x100000"),
		 image);
	tu_spawn(&child, PROG, no_config, argv);
	tu_wait_for_text(trace, "xmodem block blk=40 ");
	kill(child.pid, SIGINT);
	tu_wait(&child, &r);
	assert_error(&r, 130, "interrupted: 0x100000-0x100000 is written and verified, "
		     "0x100000-0x14a000 may be erased or half-written; run the same command again");
	tu_run_free(&r);
	tu_run(&r, PROG, NULL, no_config, argv);
	ck_assert_msg(r.status == 0, "second run: %s", r.err);
	tu_run_free(&r);
	tu_sim_stop(&sim);
	ck_assert_int_eq(tu_count_lines_starting(trace, "stub upload done"), 0);
	img = tu_read_file(image, &len);
	flash = tu_read_file(save, &flen);
	ck_assert_msg(!memcmp(flash + 0x100000, img, len), "the flash lacks the image");
	free(img);
	free(flash);
	unlink(image);
	unlink(save);
	unlink(trace);
}
END_TEST

/* ---- 4: numbers ---- */

START_TEST(leading_zero_is_decimal)
{
	struct chip c;
	struct tu_run r;

	if (!have_stub())
		return;
	chip_start(&c, "");
	ecr(&r, c.spec, ARGS("erase", "--offset", "065536", "--length", "4096"), NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(tu_file_has(c.trace, "erase 0x10000+0x1000"), "no erase at 65536");
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* ---- 5: endless input ---- */

START_TEST(endless_input_stops)
{
	struct chip c;
	struct tu_run r;
	time_t t0 = time(NULL);

	chip_start(&c, "");
	ecr(&r, c.spec, ARGS("write", "/dev/zero", "--offset", "0x10000"), NULL);
	assert_error(&r, 2, "/dev/zero is larger than");
	ck_assert_msg(time(NULL) - t0 < 30, "took %ld s", (long)(time(NULL) - t0));
	ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* ---- 7: signals ---- */

static const int stop_signals[] = { SIGTERM, SIGHUP, SIGINT };

START_TEST(signal_during_write_says_what_is_written)
{
	int sig = stop_signals[_i];
	char image[64], name[64];
	const char *argv[40];
	struct chip c;
	struct tu_run r;
	struct tu_child child;

	snprintf(name, sizeof(name), "signal_during_write_says_what_is_written:%d", _i);
	if (!have_stub() || pty_lacks_stub_rates(name))
		return;
	tu_tmpfile(image, sizeof(image));
	tu_random_file(image, 200000, 103);
	chip_start(&c, "pty,pace=1,running=custom");
	ecr_argv(argv, c.spec, ARGS("-B", "921600", "write", "@IMAGE", "--offset", "0x80000"),
		 image);
	tu_spawn(&child, PROG, no_config, argv);
	tu_wait_for_text(c.trace, "xmodem block blk=20 ");
	kill(child.pid, sig);
	tu_wait(&child, &r);
	assert_error(&r, 128 + sig, "interrupted: 0x080000-0x080000 is written and verified, "
		     "0x080000-0x0b1000 may be erased or half-written; run the same command again");
	tu_run_free(&r);
	/* The stub was taken out of XMODEM and put back to 115200 on the way out. */
	ck_assert(tu_file_has(c.trace, "line baud=115200"));
	unlink(image);
	chip_free(&c);
}
END_TEST

START_TEST(signal_during_read_leaves_no_file)
{
	struct tu_outdir o;
	const char *argv[40];
	struct chip c;
	struct tu_run r;
	struct tu_child child;

	if (!have_stub() || pty_lacks_stub_rates("signal_during_read_leaves_no_file"))
		return;
	tu_outdir_make(&o, "flash.bin");
	chip_start(&c, "pty,pace=1,running=custom");
	ecr_argv(argv, c.spec, ARGS("-B", "921600", "read", "-o", o.out), NULL);
	tu_spawn(&child, PROG, no_config, argv);
	tu_wait_for_text(c.trace, "frame type=0x92");
	usleep(300000);
	kill(child.pid, SIGTERM);
	tu_wait(&child, &r);
	assert_error(&r, 143, "interrupted; ");
	ck_assert_msg(strstr(r.err, "/flash.bin was not written"), "%s", r.err);
	ck_assert_msg(tu_dir_is_empty(o.dir), "%s holds a file after the stop", o.dir);
	tu_run_free(&r);
	rmdir(o.dir);
	chip_free(&c);
}
END_TEST

/* ---- 9: -o over odd files ---- */

START_TEST(output_to_odd_files)
{
	struct chip c;
	struct tu_run r;

	if (!have_stub())
		return;
	chip_start(&c, "");
	ecr(&r, c.spec, ARGS("read", "--length", "4K", "-o", "/dev/full"), NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "/dev/full"), "%s", r.err);
	tu_run_free(&r);
	ecr(&r, c.spec, ARGS("read", "--length", "4K", "-o", "/tmp"), NULL);
	assert_error(&r, 2, "/tmp");
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* ---- 10: what needs no chip is checked before the port is touched ---- */

static const struct early_case {
	const char *const args[10];
	const char *message;
} early_cases[] = {
	{ { "write", "@IMAGE", "--offset", "0x10001" }, "which is not on a 4 KiB sector" },
	{ { "erase", "--offset", "0x10000", "--length", "0x1001" }, "is not aligned to 4 KiB sectors" },
	{ { "erase", "--offset", "0x1000", "--length", "4K" }, "would change the partition table and u-boot" },
	{ { "erase", "--all" }, "erase --all also erases the partition table and u-boot" },
	{ { "erase", "--offset", "0x10000" }, "erase needs --offset N --length N, or --all" },
	{ { "erase", "--offset", "0x10000", "--length", "0" }, "--length is 0: nothing to do" },
	{ { "-B", "3000000", "detect" }, "bad --baud '3000000'" },
	{ { "--stub-kind", "rdtool", "detect" }, "bad --stub-kind 'rdtool'" },
	{ { "--sync-tries", "0", "detect" }, "bad --sync-tries '0'" },
	{ { "--sync-interval", "1", "detect" }, "bad --sync-interval '1'" },
	{ { "--stub", "/nonexistent/stub.bin", "detect" }, "cannot open stub /nonexistent/stub.bin" },
	{ { "--stub", "@IMAGE", "detect" }, "is not a whole gzip stream" },
	{ { "detect", "--force-bootloader" }, "--force-bootloader means nothing for detect" },
	{ { "efuse-read", "--offset", "0" }, "--offset means nothing for efuse-read" },
	{ { "read", "-o", "" }, "-o needs a file name" },
	{ { "--reset", ",,,", "detect" }, "--reset" },
};

START_TEST(refused_before_the_chip)
{
	const struct early_case *ec = &early_cases[_i];
	char image[64];
	struct chip c;
	struct tu_run r;

	chip_start(&c, "");
	tu_tmpfile(image, sizeof(image));
	if (strstr(ec->message, "gzip"))
		tu_write_file(image, "\x1f\x8b\x08\x00junk", 8);
	else
		tu_random_file(image, 5000, 104);
	ecr(&r, c.spec, ec->args, image);
	assert_error(&r, 2, ec->message);
	ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	tu_run_free(&r);
	unlink(image);
	chip_free(&c);
}
END_TEST

/* A rate a raw TCP port cannot switch to: refused before a byte goes out. */
START_TEST(baud_the_port_cannot_take)
{
	struct tu_ser2net_sim box;
	struct tu_run r;
	char model[sizeof(((struct chip *)0)->spec)], want[512];
	struct chip c;

	chip_start(&c, "");
	snprintf(model, sizeof(model), "%s", c.spec + strlen("sim:"));
	if (tu_ser2net_sim_start(&box, model)) {
		chip_free(&c);
		return;
	}
	ecr(&r, box.net.raw_spec, (const char *const[]){ "-B", "921600", "read", "--length",
							 "4K", NULL }, NULL);
	tu_ser2net_sim_stop(&box);
	snprintf(want, sizeof(want), "-B 921600: %s is a raw TCP port at 115200 baud; it cannot "
		 "switch to 921600 baud (use rfc2217:127.0.0.1:%u, or set the remote port to "
		 "921600 and give %s,baud=921600)", box.net.raw_spec, box.net.raw_port,
		 box.net.raw_spec);
	assert_error(&r, 2, want);
	ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* AIO files that do not hold together: refused, the record named, nothing sent. */
START_TEST(bad_aio_files)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *message;
	} cases[] = {
		{ "oneb\x01\x02\x00\x00\x01\x00\xff\xff\x00\x00zz", 16,
		  ": the AIO record at 0x5 says 65535 bytes, and the file ends before" },
		{ "oneb\x01\x02\x00\x00", 9, ": the AIO record at 0x5 is cut short (its 9-byte head)" },
		{ "oneb\x01\x00\x00\x00\x01\x00\x02\x00\x00\x00zz", 16, ": an AIO file with no flash records" },
		{ "oneb\x01\x02\x01\x00\x01\x00\x02\x00\x00\x00zz", 16, "which is not on a 4 KiB sector" },
	};
	char image[64];
	struct chip c;
	struct tu_run r;

	chip_start(&c, "");
	tu_tmpfile(image, sizeof(image));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tu_write_file(image, cases[i].bytes, cases[i].len);
		ecr(&r, c.spec, ARGS("write", "@IMAGE"), image);
		assert_error(&r, 2, cases[i].message);
		tu_run_free(&r);
	}
	tu_write_file(image, "oneb\x01\x02\x00\x00\x01\x00\x02\x00\x00\x00zz", 16);
	ecr(&r, c.spec, ARGS("write", "@IMAGE", "--offset", "0x10000"), image);
	assert_error(&r, 2, "is an AIO file, whose records say where they go");
	tu_run_free(&r);
	ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	unlink(image);
	chip_free(&c);
}
END_TEST

/* ---- 11: a chip that stays silent, a stub that stops answering ---- */

START_TEST(silent_chip_and_hung_stub)
{
	struct chip c;
	struct tu_run r;
	const char *argv[20];
	char some_stub[64];

	tu_tmpfile(some_stub, sizeof(some_stub));
	tu_random_file(some_stub, 1000, 105);
	chip_start(&c, "reset=manual,rom-window=0");
	tu_append_args(argv, 0, ARGS("-p", c.spec, "--sync-tries", "40", "--stub", some_stub,
				     "detect"), NULL);
	tu_run(&r, PROG, NULL, no_config, argv);
	ck_assert_int_eq(r.status, 3);
	ck_assert_msg(strstr(r.err, PROG ": warning: reset or power-cycle the chip now"), "%s",
		      r.err);
	ck_assert_msg(strstr(r.err, "no answer from the ECR6600 boot ROM to 40 syncs"), "%s",
		      r.err);
	ck_assert_int_eq(tu_count_lines(r.err), 2);
	tu_run_free(&r);
	chip_free(&c);
	unlink(some_stub);
	if (!have_stub())
		return;
	chip_start(&c, "hang-after=6");
	ecr(&r, c.spec, ARGS("read", "--length", "1M", "-o", "/dev/null"), NULL);
	ck_assert_msg(r.status == 3 || r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_int_eq(tu_count_lines(r.err), 1);
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* ---- 13: --backup ---- */

START_TEST(backup_holds_what_the_write_changes)
{
	char image[64], bak[64], flash_file[64], spec[512];
	struct chip c;
	struct tu_run r;
	size_t len, flen;
	uint8_t *got, *flash;

	if (!have_stub())
		return;
	tu_tmpfile(image, sizeof(image));
	tu_random_file(image, 10000, 106);
	tu_tmpfile(flash_file, sizeof(flash_file));
	tu_random_file(flash_file, 2u << 20, 107);
	tu_tmpfile(bak, sizeof(bak));
	unlink(bak);
	snprintf(spec, sizeof(spec), "image=%s", flash_file);
	chip_start(&c, spec);
	ecr(&r, c.spec, ARGS("write", "@IMAGE", "--offset", "0x90000", "--backup", bak), image);
	ck_assert_msg(r.status == 0, "%s", r.err);
	got = tu_read_file(bak, &len);
	flash = tu_read_file(flash_file, &flen);
	ck_assert_uint_eq(len, 10000);
	ck_assert_msg(!memcmp(got, flash + 0x90000, len), "the backup differs");
	free(got);
	free(flash);
	tu_run_free(&r);
	ecr(&r, c.spec, ARGS("write", "@IMAGE", "--offset", "0xa0000", "--backup", "/dev/full"),
	    image);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "/dev/full"), "%s", r.err);
	ck_assert_msg(!tu_file_has(c.trace, "frame type=0x91"), "a write went ahead");
	tu_run_free(&r);
	unlink(image);
	unlink(bak);
	unlink(flash_file);
	chip_free(&c);
}
END_TEST

#define VARIANTS(table) ((int)(sizeof(table) / sizeof((table)[0])))

static const struct tu_case corpus[] = {
	{ &closed_stdout_is_refused, 1 },
	{ &config_cannot_unlock, VARIANTS(config_cases) },
	{ &rerun_after_interrupted_write, 1 },
	{ &leading_zero_is_decimal, 1 },
	{ &endless_input_stops, 1 },
	{ &signal_during_write_says_what_is_written, VARIANTS(stop_signals) },
	{ &signal_during_read_leaves_no_file, 1 },
	{ &output_to_odd_files, 1 },
	{ &refused_before_the_chip, VARIANTS(early_cases) },
	{ &baud_the_port_cannot_take, 1 },
	{ &bad_aio_files, 1 },
	{ &silent_chip_and_hung_stub, 1 },
	{ &backup_holds_what_the_write_changes, 1 },
};

int main(void)
{
	return tu_corpus_main("hostile-" PROG, corpus, VARIANTS(corpus), NULL, NULL);
}
