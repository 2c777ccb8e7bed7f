/* SPDX-License-Identifier: MIT */
/*
 * The hostile-user corpus for gx-upload (see check_hostile_beken_spi.c):
 * each case checks the exit status, the one error line, and what the box saw.
 * The box is the GX emulator behind -p sim:gx; its rx= file holds every byte
 * the host sent, and stays empty when the program stopped before the port.
 * Cases that stop a run with a signal need a box in real time: the emulator
 * in gx-upload on a pty at the line rate (sim:gx,pty,pace=1), or as a
 * process of its own (uart-sim) when the box must outlive a run.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gxtest.h"
#include "testutil.h"

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const char *const no_config[] = { "XDG_CONFIG_HOME=/nonexistent", NULL };

struct hbox {
	struct gxt_box box;
	char spec[1024];
};

static void hbox_start(struct hbox *b)
{
	gxt_box_files(&b->box);
	snprintf(b->spec, sizeof(b->spec), "sim:%s", b->box.model_spec);
}

/* A box at the real line rate, its loader already at the prompt. */
static void hbox_start_real_time(struct hbox *b)
{
	gxt_box_files(&b->box);
	snprintf(b->spec, sizeof(b->spec), "sim:%s,pty,pace=1,state=prompt", b->box.model_spec);
}

static int box_saw_nothing(const struct hbox *b)
{
	struct stat st;

	return stat(b->box.rx, &st) != 0 || st.st_size == 0;
}

/* gx-upload -p SPEC -q -L LOADER ARGS... (argv holds 32). */
static void gx_argv(const char **argv, const char *spec, const char *const *args)
{
	int n = 0;

	argv[n++] = "-p";
	argv[n++] = spec;
	argv[n++] = "-q";
	argv[n++] = "-L";
	argv[n++] = gxt_loader;
	for (int i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
}

static void gx_on(struct tu_run *r, const char *spec, const char *stdin_path,
		  const char *const *args)
{
	const char *argv[32];

	gx_argv(argv, spec, args);
	tu_run(r, "gx-upload", stdin_path, no_config, argv);
}

static void gx(struct tu_run *r, struct hbox *b, const char *stdin_path, const char *const *args)
{
	gx_on(r, b->spec, stdin_path, args);
}

/* Start gx-upload, wait until the box's trace has text and then ms more, send sig. */
static void gx_stopped(struct tu_run *r, const char *spec, const char *trace, const char *text,
		       int ms, int sig, const char *const *args)
{
	const char *argv[32];
	struct tu_child child;

	gx_argv(argv, spec, args);
	tu_spawn(&child, "gx-upload", no_config, argv);
	tu_wait_for_text(trace, text);
	usleep((useconds_t)ms * 1000);
	kill(child.pid, sig);
	tu_wait(&child, r);
}

/* ---- 1: a closed stdout ---- */

START_TEST(dump_to_closed_stdout_is_refused)
{
	struct hbox b;
	struct tu_run r;

	hbox_start(&b);
	tu_run_stdout_closed(&r, "gx-upload", no_config,
			     ARGS("-p", b.spec, "-L", gxt_loader, "dump", "0", "64"));
	gxt_assert_error(&r, 2, "stdout is closed; give -o FILE");
	ck_assert_msg(box_saw_nothing(&b), "bytes reached the box");
	tu_run_free(&r);
	tu_run_stdout_closed(&r, "gx-upload", no_config, ARGS("-p", b.spec, "-L", gxt_loader, "info"));
	gxt_assert_error(&r, 2, "stdout is closed, and info prints its result there");
	ck_assert_msg(box_saw_nothing(&b), "bytes reached the box");
	tu_run_free(&r);
	gxt_box_free(&b.box);
}
END_TEST

/* ---- 2 and 12: config files ---- */

static const struct config_case {
	const char *text;
	const char *const args[6];
	const char *message;
} config_cases[] = {
	{ "[gx-upload]\nirreversible = yes\n", { "otp-write", "0", "@IMAGE" },
	  ":2: 'irreversible' can only be given on the command line" },
	{ "[gx-upload]\nforce-bootloader = yes\n", { "write", "BOOT", "@IMAGE" },
	  ":2: 'force-bootloader' can only be given on the command line" },
	{ "[gx-upload]\nno-verify = yes\n", { "write", "KERNEL", "@IMAGE" },
	  ":2: 'no-verify' can only be given" },
	{ "[gx-upload]\noutput = /tmp/x.bin\n", { "dump", "BOOT" }, ":2: 'output' can only be given" },
	{ "[gx-upload]\njson = yes\n", { "info" }, ":2: 'json' can only be given" },
	{ "[gx_upload]\nport = /dev/ttyUSB0\n", { "info" }, ":2: unknown section [gx_upload]" },
};

START_TEST(config_cannot_unlock)
{
	const struct config_case *cc = &config_cases[_i];
	char conf[64], image[64], want[160];
	const char *argv[16];
	struct hbox b;
	struct tu_run r;
	int n = 0;

	hbox_start(&b);
	tu_tmpfile(image, sizeof(image));
	tu_write_file(image, "\x01\x02\x03\x04", 4);
	tu_text_file(conf, sizeof(conf), cc->text);
	argv[n++] = "-c";
	argv[n++] = conf;
	tu_append_args(argv, n, cc->args, image);
	gx(&r, &b, NULL, argv);
	snprintf(want, sizeof(want), "%s%s", conf, cc->message);
	gxt_assert_error(&r, 2, want);
	ck_assert_msg(box_saw_nothing(&b), "bytes reached the box");
	tu_run_free(&r);
	unlink(conf);
	unlink(image);
	gxt_box_free(&b.box);
}
END_TEST

/* ---- 3: a re-run while the box still streams ---- */

/*
 * Ctrl-C during a dump, then gx-upload again at once, on a box that lives
 * across runs: the loader is still sending the dump, whose data is full of
 * windows like the ROM's burst (00 11 22 58). The second run must reuse the
 * loader, and the box must see no junk commands.
 */
START_TEST(rerun_after_interrupted_dump)
{
	char img[64], spec[1024];
	struct tu_outdir o;
	size_t len;
	uint8_t *flash;
	struct gxt_box files;
	struct tu_sim sim;
	struct tu_run r;

	tu_tmpfile(img, sizeof(img));
	flash = tu_read_file(gxt_flash, &len);
	for (size_t i = 0x20000; i < 0x20000 + 20000; i += 300)
		memcpy(flash + i, "\x00\x11\x22\x58", 4);
	tu_write_file(img, flash, len);
	tu_outdir_make(&o, "dump.bin");
	gxt_box_files(&files);
	snprintf(spec, sizeof(spec), "%s,image=%s,pace=1", files.model_spec, img);
	tu_sim_start(&sim, spec);
	gx_on(&r, sim.path, NULL, ARGS("boot"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_free(&r);
	/* 20000 bytes take 1.7 s at line rate: stop the dump in the middle. */
	gx_stopped(&r, sim.path, files.trace, "dump addr=0x20000 len=20000", 300, SIGINT,
		   ARGS("dump", "0x20000", "20000", "-o", o.out));
	gxt_assert_error(&r, 130, "interrupted after reading 0 of 20000 bytes");
	ck_assert_msg(tu_dir_is_empty(o.dir), "%s holds a file after the stop", o.dir);
	rmdir(o.dir);
	tu_run_free(&r);
	gx_on(&r, sim.path, NULL, ARGS("dump", "0x20000", "16"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_uint_eq(r.outlen, 16);
	ck_assert_mem_eq(r.out, flash + 0x20000, 16);
	tu_run_free(&r);
	tu_sim_stop(&sim);
	ck_assert_int_eq(tu_count_lines_starting(files.trace, "command "), 2);
	ck_assert(tu_file_has(files.trace, "command serialdump 0x20000 20000\n"));
	ck_assert(tu_file_has(files.trace, "command serialdump 0x20000 16\n"));
	ck_assert_uint_eq(tu_stat(files.stats, "handshakes"), 1);
	gxt_box_free(&files);
	free(flash);
	unlink(img);
}
END_TEST

/* ---- 4: numbers ---- */

START_TEST(leading_zero_is_decimal)
{
	struct hbox b;
	struct tu_run r;
	size_t len;
	uint8_t *flash = tu_read_file(gxt_flash, &len);

	hbox_start(&b);
	gx(&r, &b, NULL, ARGS("dump", "010", "16"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_uint_eq(r.outlen, 16);
	ck_assert_msg(!memcmp(r.out, flash + 10, 16), "not the bytes at 10");
	tu_run_free(&r);
	free(flash);
	gxt_box_free(&b.box);
}
END_TEST

/* ---- 5: endless input ---- */

START_TEST(endless_input_stops)
{
	struct hbox b;
	struct tu_run r;
	time_t t0 = time(NULL);

	hbox_start(&b);
	gx(&r, &b, NULL, ARGS("write", "0x20000", "/dev/zero"));
	gxt_assert_error(&r, 2, "/dev/zero is larger than");
	ck_assert_msg(time(NULL) - t0 < 30, "took %ld s", (long)(time(NULL) - t0));
	ck_assert_msg(box_saw_nothing(&b), "bytes reached the box");
	tu_run_free(&r);
	gxt_box_free(&b.box);
}
END_TEST

/* ---- 7: signals: 128 + N, one line that says what was and was not done ---- */

static const int stop_signals[] = { SIGTERM, SIGHUP, SIGINT };

/* Does the saved flash hold the image at at? */
static int flash_holds(const char *saved, size_t at, const char *image)
{
	size_t slen, ilen;
	uint8_t *s = tu_read_file(saved, &slen), *i = tu_read_file(image, &ilen);
	int holds = slen >= at + ilen && !memcmp(s + at, i, ilen);

	free(s);
	free(i);
	return holds;
}

/* A dump to -o FILE: no FILE, and no FILE.XXXXXX left beside it. */
START_TEST(signal_during_dump_leaves_no_file)
{
	int sig = stop_signals[_i];
	struct tu_outdir o;
	struct hbox b;
	struct tu_run r;

	tu_outdir_make(&o, "dump.bin");
	hbox_start_real_time(&b);
	/* 16 KiB take 1.4 s at line rate. */
	gx_stopped(&r, b.spec, b.box.trace, "dump addr=0x0 len=16384", 200, sig,
		   ARGS("dump", "0", "16K", "-o", o.out));
	gxt_assert_error(&r, 128 + sig, "interrupted after reading 0 of 16384 bytes; '");
	ck_assert_msg(strstr(r.err, "/dump.bin' was not written"), "%s", r.err);
	ck_assert_msg(tu_dir_is_empty(o.dir), "%s holds a file after the stop", o.dir);
	ck_assert_int_eq(tu_count_lines_starting(b.box.trace, "command "), 1);
	tu_run_free(&r);
	rmdir(o.dir);
	gxt_box_free(&b.box);
}
END_TEST

/*
 * A write, stopped while its image goes to the box (the loader writes
 * nothing before it has all of it and its XOR-sum), while the loader
 * programs the flash (that finishes), and while it is read back.
 */
static const struct write_stop {
	int sig;
	const char *after;  /* the box's trace line the signal follows */
	int ms;             /* ... after so long */
	const char *msg;
	int written;
} write_stops[] = {
	{ SIGTERM, "command serialdown 0x100000 32768", 300, "interrupted after sending ", 0 },
	{ SIGHUP, "command serialdown 0x100000 32768", 300, "interrupted after sending ", 0 },
	{ SIGINT, "command serialdown 0x100000 32768", 300, "interrupted after sending ", 0 },
	{ SIGTERM, "crc ok", 0, "interrupted: 0x100000-0x108000 is written but not verified", 1 },
	{ SIGHUP, "command serialdump 0x100000 32768", 300,
	  "interrupted: 0x100000-0x108000 is written but not verified", 1 },
};

START_TEST(signal_during_write_says_what_was_written)
{
	const struct write_stop *ws = &write_stops[_i];
	char image[64];
	struct hbox b;
	struct tu_run r;
	const char *last;

	tu_tmpfile(image, sizeof(image));
	gxt_random_file(image, 32768);
	hbox_start_real_time(&b);
	/* 32 KiB take 2.8 s at line rate; the box programs 8 sectors for 0.32 s. */
	gx_stopped(&r, b.spec, b.box.trace, ws->after, ws->ms, ws->sig,
		   ARGS("write", "0x100000", image));
	ck_assert_msg(r.status == 128 + ws->sig, "exit %d, want %d: %s", r.status, 128 + ws->sig,
		      r.err);
	/* Stopped while the box programs: first a line that it finishes. */
	if (!strcmp(ws->after, "crc ok")) {
		ck_assert_msg(!strncmp(r.err, "gx-upload: warning: stopping once the loader has "
				       "written what it was sent", 60), "%s", r.err);
		ck_assert_int_eq(tu_count_lines(r.err), 2);
		last = strchr(r.err, '\n') + 1;
	} else {
		ck_assert_msg(tu_count_lines(r.err) == 1, "not one line: %s", r.err);
		last = r.err;
	}
	ck_assert_msg(!strncmp(last, "gx-upload: ", 11) && strstr(last, ws->msg), "%s", r.err);
	if (!ws->written)
		ck_assert_msg(strstr(last, " of 32768 bytes of ") &&
			      strstr(last, "; the flash was not changed"), "%s", r.err);
	ck_assert_int_eq(tu_file_has(b.box.trace, "program addr=0x100000 len=32768"),
			 ws->written);
	ck_assert_int_eq(gxt_flash_differs_from(b.box.save, gxt_flash, 0x100000, 32768),
			 ws->written);
	if (ws->written)
		ck_assert_msg(flash_holds(b.box.save, 0x100000, image), "the flash lacks the image");
	tu_run_free(&r);
	unlink(image);
	gxt_box_free(&b.box);
}
END_TEST

/* ---- 10: checks that need no box come first ---- */

static const struct early_case {
	const char *const args[6];
	const char *message;
} early_cases[] = {
	{ { "dump", "0", "0" }, "size 0: nothing to do" },
	{ { "dump", "0x", "16" }, "bad address '0x'" },
	{ { "dump", "0", "4G" }, "K = KiB, M = MiB" },
	{ { "sflash-otp", "read", "0", "0" }, "OTP size 0: nothing to do" },
	{ { "otp-read", "0", "zz" }, "bad OTP size 'zz'" },
	{ { "dump", "BOOT", "--backup", "/tmp/b" }, "--backup means nothing for dump" },
	{ { "info", "--force-bootloader" }, "--force-bootloader means nothing for info" },
	{ { "sflash-otp", "status", "--irreversible" }, "--irreversible means nothing for sflash-otp status" },
	{ { "dump", "BOOT", "-o", "" }, "-o needs a file name" },
	{ { "--reset", ",,,", "info" }, "--reset" },
};

START_TEST(refused_before_the_box)
{
	const struct early_case *ec = &early_cases[_i];
	struct hbox b;
	struct tu_run r;

	hbox_start(&b);
	gx(&r, &b, NULL, ec->args);
	gxt_assert_error(&r, 2, ec->message);
	ck_assert_msg(box_saw_nothing(&b), "bytes reached the box");
	tu_run_free(&r);
	gxt_box_free(&b.box);
}
END_TEST

/* ---- 13: --backup ---- */

START_TEST(backup_holds_what_the_write_changes)
{
	char image[64], bak[64];
	struct hbox b;
	struct tu_run r;
	uint8_t img[5000];
	size_t len, flen;
	uint8_t *got, *flash = tu_read_file(gxt_flash, &flen);

	memset(img, 0xa5, sizeof(img));
	tu_tmpfile(image, sizeof(image));
	tu_write_file(image, img, sizeof(img));
	tu_tmpfile(bak, sizeof(bak));
	unlink(bak);
	hbox_start(&b);
	gx(&r, &b, NULL, ARGS("write", "0x300000", image, "--backup", bak));
	ck_assert_msg(r.status == 0, "%s", r.err);
	got = tu_read_file(bak, &len);
	ck_assert_uint_eq(len, sizeof(img));
	ck_assert_msg(!memcmp(got, flash + 0x300000, sizeof(img)), "the backup differs");
	free(got);
	tu_run_free(&r);
	/* A backup that cannot be written stops the write. */
	gx(&r, &b, NULL, ARGS("write", "0x310000", image, "--backup", "/dev/full"));
	gxt_assert_error(&r, 1, "/dev/full");
	tu_run_free(&r);
	ck_assert_msg(!gxt_flash_differs_from(b.box.save, gxt_flash, 0x310000, sizeof(img)),
		      "the flash changed after a failed backup");
	gxt_box_free(&b.box);
	free(flash);
	unlink(bak);
	unlink(image);
}
END_TEST

/* ---- 11: the loader's refusal is bad input ---- */

/* The loader answers with its err: line instead of ~sta~: exit 2, its words, no file. */
START_TEST(loader_refusal_is_bad_input)
{
	struct tu_outdir o;
	struct hbox b;
	struct tu_run r;

	tu_outdir_make(&o, "otp.bin");
	hbox_start(&b);
	gx(&r, &b, NULL, ARGS("otp-read", "0x3f0", "64", "-o", o.out));
	gxt_assert_error(&r, 2, "the loader refused 'gx_otp read 0x3f0 64': ");
	ck_assert_msg(strstr(r.err, "range 0x3f0+0x40 is outside 0x0+0x400\n"), "%s", r.err);
	ck_assert_msg(!strstr(r.err, "err:"), "%s", r.err);
	ck_assert_msg(tu_dir_is_empty(o.dir), "%s holds a file", o.dir);
	ck_assert(tu_file_has(b.box.trace, "command gx_otp read 0x3f0 64\n"));
	tu_run_free(&r);
	rmdir(o.dir);
	gxt_box_free(&b.box);
}
END_TEST

#define VARIANTS(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* The corpus: each case with its number of variants (a table's rows), or 1. */
static const struct tu_case corpus[] = {
	{ &dump_to_closed_stdout_is_refused, 1 },
	{ &config_cannot_unlock, VARIANTS(config_cases) },
	{ &leading_zero_is_decimal, 1 },
	{ &endless_input_stops, 1 },
	{ &refused_before_the_box, VARIANTS(early_cases) },
	{ &backup_holds_what_the_write_changes, 1 },
	{ &loader_refusal_is_bad_input, 1 },
	{ &rerun_after_interrupted_dump, 1 },
	{ &signal_during_dump_leaves_no_file, VARIANTS(stop_signals) },
	{ &signal_during_write_says_what_was_written, VARIANTS(write_stops) },
};

static Suite *suite(void)
{
	Suite *s = suite_create("hostile-gx-upload");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, gxt_make_files, gxt_remove_files);
	tu_add_cases(tc, corpus, VARIANTS(corpus));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
