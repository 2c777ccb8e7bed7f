/* SPDX-License-Identifier: MIT */
/*
 * The hostile-user corpus for w800-xmodem (see check_hostile_beken_spi.c):
 * each case checks the exit status, the one error line, and what the chip
 * saw. The chip is sim:w800; its rx= file holds every byte the host sent,
 * and stays empty when the program stopped before the port. Cases that stop
 * a run with a signal need a chip in real time: the emulator on a pty at
 * the line rate (sim:w800,pty,pace=1), or as a process of its own
 * (uart-sim) when the chip must outlive a run.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "ttyview.h"

#define PROG "w800-xmodem"
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const char *const no_config[] = { "XDG_CONFIG_HOME=/nonexistent",
					 "XDG_DATA_HOME=/nonexistent", NULL };

struct chip {
	char rx[64], save[64], trace[64];
	char spec[512];
};

static void chip_start(struct chip *c, const char *more)
{
	tu_tmpfile(c->rx, sizeof(c->rx));
	tu_tmpfile(c->save, sizeof(c->save));
	tu_tmpfile(c->trace, sizeof(c->trace));
	snprintf(c->spec, sizeof(c->spec), "sim:w800,rx=%s,save=%s,trace=%s%s%s", c->rx, c->save,
		 c->trace, more[0] ? "," : "", more);
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

/* w800-xmodem -p SPEC -q ARGS... */
static void w8(struct tu_run *r, const char *spec, const char *stdin_path, const char *const *args)
{
	const char *argv[40] = { "-p", spec, "-q" };

	tu_append_args(argv, 3, args, NULL);
	tu_run(r, PROG, stdin_path, no_config, argv);
}

static void assert_error(const struct tu_run *r, int status, const char *msg)
{
	tu_assert_one_error(r, PROG, status, msg);
}

/* An image of len random bytes at 0x80d0400, packed by the program; path in buf. */
static void make_image(char *buf, size_t cap, size_t len)
{
	char raw[64];
	struct tu_run r;

	tu_tmpfile(raw, sizeof(raw));
	tu_random_file(raw, len, 101);
	tu_tmpfile(buf, cap);
	tu_run(&r, PROG, NULL, no_config, ARGS("pack", raw, "--address", "0x80d0400", "--attr",
					       "1", "-o", buf));
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_free(&r);
	unlink(raw);
}

/* ---- 1: a closed stdout ---- */

START_TEST(closed_stdout_is_refused)
{
	struct chip c;
	struct tu_run r;

	chip_start(&c, "");
	tu_run_stdout_closed(&r, PROG, no_config, ARGS("-p", c.spec, "read", "--stub",
						       "/dev/null"));
	assert_error(&r, 2, "stdout is closed; give -o FILE");
	tu_run_free(&r);
	tu_run_stdout_closed(&r, PROG, no_config, ARGS("-p", c.spec, "detect"));
	assert_error(&r, 2, "stdout is closed, and detect prints its result there");
	tu_run_free(&r);
	tu_run_stdout_closed(&r, PROG, no_config, ARGS("-p", c.spec, "mac"));
	assert_error(&r, 2, "stdout is closed, and mac prints its result there");
	ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* ---- 2: config files say more than they should ---- */

static const struct config_case {
	const char *text;
	const char *const args[6];
	const char *message;
} config_cases[] = {
	{ "[w800-xmodem]\nforce-bootloader = yes\n", { "erase", "--all" },
	  ":2: 'force-bootloader' can only be given on the command line" },
	{ "[w800-xmodem]\nall = yes\n", { "erase" }, ":2: 'all' can only be given" },
	{ "[w800-xmodem]\nno-verify = yes\n", { "write", "@IMAGE" }, ":2: 'no-verify' can only be given" },
	{ "[w800-xmodem]\nset = 02:00:00:00:00:01\n", { "mac" }, ":2: 'set' can only be given" },
	{ "[w800-xmodem]\naddress = 0x10400\n", { "write", "@IMAGE" }, ":2: 'address' can only be given" },
	{ "[w800-xmodem]\noutput = /tmp/x.bin\n", { "read" }, ":2: 'output' can only be given" },
	{ "[w800-xmodem]\njson = yes\n", { "detect" }, ":2: 'json' can only be given" },
	{ "[w800_xmodem]\nport = /dev/ttyUSB0\n", { "detect" }, ":2: unknown section [w800_xmodem]" },
};

START_TEST(config_cannot_unlock)
{
	const struct config_case *cc = &config_cases[_i];
	char conf[64], image[64], want[160];
	const char *argv[16] = { "-c" };
	struct chip c;
	struct tu_run r;

	chip_start(&c, "");
	tu_tmpfile(image, sizeof(image));
	tu_random_file(image, 4096, 102);
	tu_text_file(conf, sizeof(conf), cc->text);
	argv[1] = conf;
	tu_append_args(argv, 2, cc->args, image);
	w8(&r, c.spec, NULL, argv);
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
 * SIGINT while the image goes at 921600, on a chip that outlives the run:
 * the next run finds it (at 115200 again) and writes the image whole.
 */
START_TEST(rerun_after_interrupted_write)
{
	char image[64], save[64], trace[64], spec[512];
	const char *argv[16];
	struct tu_sim sim;
	struct tu_child child;
	struct tu_run r;
	size_t len, flen;
	uint8_t *img, *flash;

	make_image(image, sizeof(image), 200000);
	tu_tmpfile(save, sizeof(save));
	tu_tmpfile(trace, sizeof(trace));
	snprintf(spec, sizeof(spec), "w800,boot=secboot,pace=1,save=%s,trace=%s", save, trace);
	tu_sim_start(&sim, spec);
	tu_append_args(argv, 0, ARGS("-p", sim.path, "-q", "--chip", "w800", "--no-verify", "-B",
				     tu_pty_fast_rate(), "write", image), NULL);
	tu_spawn(&child, PROG, no_config, argv);
	tu_wait_for_text(trace, "block 40 ok");
	kill(child.pid, SIGINT);
	tu_wait(&child, &r);
	assert_error(&r, 130, "interrupted after the chip took ");
	ck_assert_msg(strstr(r.err, "run the same command again"), "%s", r.err);
	tu_run_free(&r);
	tu_run(&r, PROG, NULL, no_config, argv);
	ck_assert_msg(r.status == 0, "second run: %s", r.err);
	tu_run_free(&r);
	tu_sim_stop(&sim);
	img = tu_read_file(image, &len);
	flash = tu_read_file(save, &flen);
	/* the header at its address, the body at its run address */
	ck_assert_msg(!memcmp(flash + 0xd0000, img, 64) && !memcmp(flash + 0xd0400, img + 64, len - 64),
		      "the flash lacks the image");
	free(img);
	free(flash);
	unlink(image);
	unlink(save);
	unlink(trace);
}
END_TEST

/* ---- 4: numbers ---- */

/* 065536 is 65536 (0x10000), never octal 0x6b5e. */
START_TEST(leading_zero_is_decimal)
{
	struct chip c;
	struct tu_run r;

	chip_start(&c, "");
	w8(&r, c.spec, NULL, ARGS("erase", "--offset", "065536", "--length", "4096"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert(tu_file_has(c.trace, "erase 0x10000+0x1000"));
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
	w8(&r, c.spec, NULL, ARGS("write", "/dev/zero"));
	assert_error(&r, 2, "/dev/zero is larger than");
	ck_assert_msg(time(NULL) - t0 < 30, "took %ld s", (long)(time(NULL) - t0));
	ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	tu_run_free(&r);
	w8(&r, c.spec, "/dev/zero", ARGS("pack", "-", "--address", "0x10400", "-o", "/dev/null"));
	assert_error(&r, 2, "stdin is larger than");
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* ---- 7: signals: 128 + N, one line that says what was and was not done ---- */

static const int stop_signals[] = { SIGTERM, SIGHUP, SIGINT };

START_TEST(signal_during_write_says_how_much)
{
	int sig = stop_signals[_i];
	char image[64];
	struct chip c;
	struct tu_run r;
	struct tu_child child;
	const char *argv[20];

	make_image(image, sizeof(image), 100000);
	chip_start(&c, "boot=secboot,pty,pace=1");
	tu_append_args(argv, 0, ARGS("-p", c.spec, "-q", "--chip", "w800", "--no-verify", "-B",
				     "460800", "write", image), NULL);
	tu_spawn(&child, PROG, no_config, argv);
	tu_wait_for_text(c.trace, "block 20 ok");
	kill(child.pid, sig);
	tu_wait(&child, &r);
	assert_error(&r, 128 + sig, "interrupted after the chip took ");
	ck_assert_msg(strstr(r.err, " of 100064 bytes of "), "%s", r.err);
	ck_assert_msg(strstr(r.err, " (images: 0x0d0000-0x0e8aa0 cut); a cut image may be "
			     "half-written: run the same command again\n"), "%s", r.err);
	tu_run_free(&r);
	/* The chip was put back to 115200 on the way out, and the upload cancelled. */
	ck_assert(tu_file_has(c.trace, "upload aborted"));
	ck_assert(tu_file_has(c.trace, "baud 115200"));
	unlink(image);
	chip_free(&c);
}
END_TEST

/* A read to -o FILE: no FILE, and no FILE.XXXXXX left beside it. */
START_TEST(signal_during_read_leaves_no_file)
{
	char stub[4096];
	struct tu_outdir o;
	struct chip c;
	struct tu_run r;
	struct tu_child child;
	const char *argv[20];

	if (!tu_shared("w800/W800_Stub.bin", stub, sizeof(stub)))
		return;
	tu_outdir_make(&o, "flash.bin");
	chip_start(&c, "pty,pace=1");
	tu_append_args(argv, 0, ARGS("-p", c.spec, "-q", "--stub", stub, "-B", "460800", "read",
				     "-o", o.out), NULL);
	tu_spawn(&child, PROG, no_config, argv);
	tu_wait_for_text(c.trace, "read 0x10000+");
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
	char stub[4096];
	struct chip c;
	struct tu_run r;

	if (!tu_shared("w800/W800_Stub.bin", stub, sizeof(stub)))
		return;
	chip_start(&c, "");
	w8(&r, c.spec, NULL, ARGS("--stub", stub, "read", "--length", "4K", "-o", "/dev/full"));
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "/dev/full"), "%s", r.err);
	tu_run_free(&r);
	w8(&r, c.spec, NULL, ARGS("--stub", stub, "read", "--length", "4K", "-o", "/tmp"));
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
	{ { "erase", "--offset", "0x10001", "--length", "4K" }, "is not aligned to 4 KiB sectors" },
	{ { "erase", "--offset", "0x1000", "--length", "4K" }, "0x0-0x2000 is never erased" },
	{ { "erase", "--offset", "0x2000", "--length", "4K" }, "would change secboot" },
	{ { "erase", "--all" }, "erase --all also erases secboot" },
	{ { "erase", "--offset", "0x10000" }, "erase needs --offset N --length N, or --all" },
	{ { "erase", "--offset", "0x10000", "--length", "0" }, "--length is 0: nothing to do" },
	{ { "mac", "--set", "02:00:00:00:00" }, "bad --set '02:00:00:00:00'" },
	{ { "mac", "--set", "01:00:00:00:00:01" }, "a multicast address" },
	{ { "-B", "3000000", "detect" }, "bad --baud '3000000'" },
	{ { "--chip", "w900", "detect" }, "bad --chip 'w900'" },
	{ { "--entry", "dtr", "detect" }, "bad --entry 'dtr'" },
	{ { "--timeout", "0", "detect" }, "bad --timeout '0'" },
	{ { "write", "@IMAGE" }, "is a raw binary (no image header): give --address N" },
	{ { "write", "@IMAGE", "--address", "0x8002400" }, "would change secboot" },
	{ { "write", "@IMAGE", "--address", "0x8000400" }, "no tool writes below 0x2000" },
	{ { "write", "@IMAGE", "--address", "0x20004000" }, "is a RAM image" },
	{ { "write", "@IMAGE", "--address", "0x10400", "--image-version", "12345678901234567" },
	  "bad --image-version" },
	{ { "--chip", "w600", "read" }, "the W600 ROM cannot read its flash" },
	{ { "--chip", "w600", "verify", "@IMAGE" }, "the W600 ROM cannot read its flash" },
	{ { "--chip", "w600", "erase", "--offset", "0x10000", "--length", "4K" },
	  "the W600 ROM erases only its whole image area" },
	{ { "read", "--stub", "/nonexistent/stub.bin" }, "cannot open stub /nonexistent/stub.bin" },
	{ { "read", "--stub", "@IMAGE" }, "" },
	{ { "read", "--backup", "/tmp/x" }, "--backup" },
	{ { "detect", "--force-bootloader" }, "--force-bootloader means nothing for detect" },
	{ { "read", "-o", "" }, "-o needs a file name" },
	{ { "--reset", ",,,", "detect" }, "--reset" },
	{ { "read" }, "no stub for 'W800_Stub'" },
};

START_TEST(refused_before_the_chip)
{
	const struct early_case *ec = &early_cases[_i];
	char image[64];
	const char *argv[20];
	struct chip c;
	struct tu_run r;

	chip_start(&c, "");
	tu_tmpfile(image, sizeof(image));
	tu_random_file(image, 5000, 103);
	tu_append_args(argv, 0, ec->args, image);
	w8(&r, c.spec, NULL, argv);
	if (ec->message[0]) {
		assert_error(&r, 2, ec->message);
	} else {
		/* a stub of random bytes loads (it is not gzip); that it is no stub shows later */
		ck_assert_int_ne(r.status, 0);
	}
	if (ec->message[0])
		ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	tu_run_free(&r);
	unlink(image);
	chip_free(&c);
}
END_TEST

/* Bad images: the field is named, exit 2, nothing sent. */
START_TEST(bad_images_name_the_field)
{
	char image[64], bad[64];
	struct chip c;
	struct tu_run r;
	size_t len;
	uint8_t *img;

	chip_start(&c, "");
	make_image(image, sizeof(image), 5000);
	img = tu_read_file(image, &len);
	tu_tmpfile(bad, sizeof(bad));
	img[8] ^= 1;  /* img_addr, under the header CRC */
	tu_write_file(bad, img, len);
	w8(&r, c.spec, NULL, ARGS("write", bad));
	assert_error(&r, 2, ": image 1 (at 0x0): header CRC 0x");
	tu_run_free(&r);
	img[8] ^= 1;
	img[100] ^= 0x80;  /* the body */
	tu_write_file(bad, img, len);
	w8(&r, c.spec, NULL, ARGS("write", bad));
	assert_error(&r, 2, ": image 1 (at 0x0): body CRC 0x");
	tu_run_free(&r);
	img[100] ^= 0x80;
	tu_write_file(bad, img, len - 10);  /* cut short */
	w8(&r, c.spec, NULL, ARGS("write", bad));
	assert_error(&r, 2, ": image 1 (at 0x0):");
	tu_run_free(&r);
	tu_write_file(bad, img, len);
	w8(&r, c.spec, NULL, ARGS("write", bad, "--address", "0x10400"));
	assert_error(&r, 2, "already has a header: --address and the header options are for a raw "
		     "binary");
	tu_run_free(&r);
	ck_assert_msg(chip_saw_nothing(&c), "bytes reached the chip");
	free(img);
	unlink(image);
	unlink(bad);
	chip_free(&c);
}
END_TEST

/* ---- 11: a port that stays silent, a port that is gone ---- */

START_TEST(silent_and_missing_ports)
{
	struct tu_run r;

	w8(&r, "sim:w800,firmware=none,boot=secboot", NULL, ARGS("--timeout", "5", "detect"));
	ck_assert_int_eq(r.status, 3);
	ck_assert_msg(strstr(r.err, "serial sync timeout"), "%s", r.err);
	tu_run_free(&r);
	w8(&r, "/dev/ttyNONEXISTENT9", NULL, ARGS("detect"));
	ck_assert_int_eq(r.status, 3);
	ck_assert_int_eq(tu_count_lines(r.err), 1);
	tu_run_free(&r);
}
END_TEST

#define VARIANTS(table) ((int)(sizeof(table) / sizeof((table)[0])))

static const struct tu_case corpus[] = {
	{ &closed_stdout_is_refused, 1 },
	{ &config_cannot_unlock, VARIANTS(config_cases) },
	{ &rerun_after_interrupted_write, 1 },
	{ &leading_zero_is_decimal, 1 },
	{ &endless_input_stops, 1 },
	{ &signal_during_write_says_how_much, VARIANTS(stop_signals) },
	{ &signal_during_read_leaves_no_file, 1 },
	{ &output_to_odd_files, 1 },
	{ &refused_before_the_chip, VARIANTS(early_cases) },
	{ &bad_images_name_the_field, 1 },
	{ &silent_and_missing_ports, 1 },
};

int main(void)
{
	return tu_corpus_main("hostile-" PROG, corpus, VARIANTS(corpus), NULL, NULL);
}
