/* SPDX-License-Identifier: MIT */
/*
 * The hostile-user corpus for ingenic-usbboot (see check_hostile_beken_spi.c):
 * each case checks the exit status of the man page's EXIT STATUS, the one
 * error line, and what the camera saw. The camera is sim:t31 with the
 * prj008 board set of ../shared/data/ingenic (skipped with a note when
 * absent). Its stats= and wire= files start empty and stay so when the
 * program stopped before the device: the emulator writes them only once it
 * was started.
 *
 * sim:t31 runs in model time, so a run is over before a signal can
 * arrive, and the USB emulators have no real-time pace. The signal cases
 * make one: the emulator's wire= file is a FIFO that the test drains
 * slowly, and the emulator, which writes a line per transfer, waits for it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingenictest.h"

#define PROG "ingenic-usbboot"
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void shared_setup(void)
{
	ingt_make_files(11);
}

/* ingenic-usbboot -q --usb SPEC [--board-dir BOARD] ARGS..., "@IMAGE" the 300 KiB image. */
static void ub(struct tu_run *r, const char *spec, const char *board, const char *stdin_path,
	       const char *const *args)
{
	ingt_run(r, 1, spec, board, stdin_path, args);
}

static void assert_error(const struct tu_run *r, int status, const char *msg)
{
	tu_assert_one_error(r, PROG, status, msg);
}

/* ub() on the camera d is refused with status and msg, and d is untouched. */
static void refused(const struct ingt_dev *d, const char *board, const char *stdin_path,
		    const char *const *args, int status, const char *msg)
{
	struct tu_run r;

	ub(&r, d->spec, board, stdin_path, args);
	assert_error(&r, status, msg);
	ck_assert_msg(ingt_untouched(d), "the camera was touched (refused: '%s')", msg);
	tu_run_free(&r);
}

/*
 * A failed write: the status, every line from the program, a last line
 * with msg, and the written range said in some line.
 */
static void assert_write_failed(const struct tu_run *r, int status, const char *msg,
				const char *range)
{
	const char *last = r->err;
	size_t n = strlen(PROG);

	ck_assert_msg(r->status == status, "exit %d, want %d: %s", r->status, status, r->err);
	for (const char *line = r->err; *line; line = strchr(line, '\n') + 1) {
		ck_assert_msg(!strncmp(line, PROG ": ", n + 2), "a line not from the program: %s",
			      r->err);
		last = line;
		if (!strchr(line, '\n'))
			break;
	}
	ck_assert_msg(strstr(last, msg), "no '%s' in the last line: %s", msg, r->err);
	ck_assert_msg(strstr(r->err, range), "no '%s' (what is written): %s", range, r->err);
}

/* ---- board sets that are not whole ---- */

struct set {
	char top[64], dir[128], ini[160];
};

static const char *const set_files[] = { "ginfo.bin", "spl.bin", "uboot.bin", "cfg1_bulk.bin",
					 "cfg2_bulk.bin" };

/*
 * A copy of prj008 in a temporary directory (with spiflashinfo.cfg beside
 * it), without the file omit, and with board.ini instead of the cfg blobs
 * when ini.
 */
static void set_make(struct set *s, const char *omit, int ini)
{
	struct tu_run r;

	*s = (struct set){ 0 };
	ingt_tmpdir(s->top, sizeof(s->top));
	snprintf(s->dir, sizeof(s->dir), "%s/cam", s->top);
	snprintf(s->ini, sizeof(s->ini), "%s/board.ini", s->dir);
	ck_assert_int_eq(mkdir(s->dir, 0755), 0);
	ingt_copy_file(ingt.data, "spiflashinfo.cfg", s->top);
	for (size_t i = 0; i < sizeof(set_files) / sizeof(set_files[0]); i++)
		if ((!omit || strcmp(omit, set_files[i])) && (!ini || i < 3))
			ingt_copy_file(ingt.prj008, set_files[i], s->dir);
	if (!ini)
		return;
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("board", "export", ingt.prj008, "-o", s->ini));
	ck_assert_msg(r.status == 0, "board export: %s", r.err);
	tu_run_free(&r);
}

/* Replace the first "from" in board.ini with "to"; returns its line (from 1, after leading newlines). */
static int ini_edit(const struct set *s, const char *from, const char *to)
{
	size_t len;
	char *text = (char *)tu_read_file(s->ini, &len);
	char *at = strstr(text, from);
	char *out;
	int line = 1;

	ck_assert_msg(at != NULL, "no '%s' in the exported board.ini", from);
	for (const char *p = text; p < at + strspn(from, "\n"); p++)
		line += *p == '\n';
	out = malloc(len + strlen(to) + 1);
	ck_assert_ptr_nonnull(out);
	snprintf(out, len + strlen(to) + 1, "%.*s%s%s", (int)(at - text), text, to,
		 at + strlen(from));
	tu_write_file(s->ini, out, strlen(out));
	free(out);
	free(text);
	return line;
}

/* Cut board.ini off where "from" starts (the sections after it go). */
static void ini_cut(const struct set *s, const char *from)
{
	size_t len;
	char *text = (char *)tu_read_file(s->ini, &len);
	char *at = strstr(text, from);

	ck_assert_msg(at != NULL, "no '%s' in the exported board.ini", from);
	tu_write_file(s->ini, text, (size_t)(at - text));
	free(text);
}

START_TEST(missing_board_file)
{
	const char *omit = set_files[_i];
	struct set s;
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	set_make(&s, omit, 0);
	ub(&r, ingt_dev_start(&d, "t31", ""), s.dir, NULL,
	   ARGS("write", "@IMAGE", "--offset", INGT_PART_AT_S));
	if (_i < 3) {
		assert_error(&r, 2, omit);
		ck_assert_msg(strstr(r.err, s.dir), "the message does not say where: %s", r.err);
	} else {
		/* one blob of two: the missing one named, or no stage-2 configuration */
		assert_error(&r, 2, s.dir);
		ck_assert_msg(strstr(r.err, omit) || strstr(r.err, "stage-2 configuration"), "%s",
			      r.err);
	}
	ck_assert_msg(ingt_untouched(&d), "the camera was touched");
	tu_run_free(&r);
	ingt_dev_free(&d);
	ingt_remove_tree(s.top);
}
END_TEST

START_TEST(no_stage2_config)
{
	struct set s;
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	set_make(&s, NULL, 1);
	unlink(s.ini);
	ub(&r, ingt_dev_start(&d, "t31", ""), s.dir, NULL,
	   ARGS("read", "--length", "4K", "-o", "/dev/null"));
	assert_error(&r, 2, "stage-2 configuration");
	ck_assert_msg(strstr(r.err, s.dir), "%s", r.err);
	ck_assert_msg(ingt_untouched(&d), "the camera was touched");
	tu_run_free(&r);
	ingt_dev_free(&d);
	/* board export needs the blobs */
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("board", "export", s.dir));
	assert_error(&r, 2, "cfg");
	ck_assert_msg(strstr(r.err, s.dir), "%s", r.err);
	ck_assert_uint_eq(r.outlen, 0);
	tu_run_free(&r);
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("board", "export", "/nonexistent/cam"));
	assert_error(&r, 2, "/nonexistent/cam");
	tu_run_free(&r);
	ingt_remove_tree(s.top);
}
END_TEST

/* later: the line named is that many after the edit (an unknown section: at its first key) */
static const struct ini_case {
	const char *from, *to;
	int later;
} ini_cases[] = {
	{ "transfer_size = 0x10000", "transfer_size = banana", 0 },
	{ "\n[board]\n", "\n[board\n", 0 },
	{ "erase = chip", "erase = sometimes", 0 },
	{ "access = rw", "access = maybe", 0 },
	{ "command_layout = 64", "command_layout = 48", 0 },
	{ "\n[policy]\n", "\n[polciy]\n", 1 },
	{ "\ntransfer_size = 0x10000", "\ntransfer_sise = 0x10000", 0 },
	{ "use = sfc_nor", "use = sfc_nro", 0 },
};

START_TEST(board_file_that_does_not_parse)
{
	const struct ini_case *ic = &ini_cases[_i];
	struct set s;
	struct ingt_dev d;
	char want[300];
	int line;

	if (!ingt.have)
		return;
	set_make(&s, NULL, 1);
	line = ini_edit(&s, ic->from, ic->to);
	snprintf(want, sizeof(want), "%s:%d:", s.ini, line + ic->later);
	ingt_dev_start(&d, "t31", "");
	refused(&d, s.dir, NULL, ARGS("read", "--length", "4K", "-o", "/dev/null"), 2, want);
	ingt_dev_free(&d);
	ingt_remove_tree(s.top);
}
END_TEST

/* ---- images that do not fit ---- */

START_TEST(image_larger_than_the_flash)
{
	char big[64];
	const struct {
		const char *const args[5];
		const char *message;
	} runs[] = {
		{ { "write", big }, "larger than the flash" },
		{ { "write", "@IMAGE", "--offset", "0xff0000" }, "end of the flash" },
		{ { "write", "@IMAGE", "--offset", "0x1000000" }, "0x1000000" },
	};
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	tu_tmpfile(big, sizeof(big));
	tu_random_file(big, 17 * INGT_MIB, 14);
	/*
	 * The flash may be larger than the board file's (its id decides), so
	 * these are refused once the burner has said, before INIT.
	 */
	ingt_dev_start(&d, "t31", "");
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		ub(&r, d.spec, ingt.prj008, NULL, runs[i].args);
		assert_error(&r, 2, runs[i].message);
		ck_assert_msg(ingt_nothing_written(&d), "the camera was set up or written (%s)",
			      runs[i].message);
		tu_run_free(&r);
	}
	ingt_dev_free(&d);
	unlink(big);
}
END_TEST

/*
 * prj008 without its "all" partition, and a rootfs of 8 MiB: 0xac0000 on is
 * in no partition. Then a read-only kernel.
 */
START_TEST(image_outside_the_partitions)
{
	struct set s;
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	set_make(&s, NULL, 1);
	ini_cut(&s, "[partition all]");
	/* the control: without "all", a whole image still lands in uboot, kernel and rootfs */
	ub(&r, ingt_dev_start(&d, "t31", ""), s.dir, NULL, ARGS("write", ingt.img16));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(tu_files_equal(d.save, ingt.img16), "the flash does not hold the image");
	tu_run_free(&r);
	ingt_dev_free(&d);
	ini_edit(&s, "size = 0xffffffff", "size = 0x800000");
	ingt_dev_start(&d, "t31", "");
	refused(&d, s.dir, NULL, ARGS("write", "@IMAGE", "--offset", "0xb00000"), 2,
		"no partition");
	refused(&d, s.dir, NULL, ARGS("write", "@IMAGE", "--offset", "0xabf000"), 2, "0xac0000");
	refused(&d, s.dir, NULL, ARGS("write", ingt.img16), 2, "no partition");
	ingt_dev_free(&d);
	/* the first "access = rw" after uboot's is the kernel's */
	ini_edit(&s, "size = 0x280000\naccess = rw", "size = 0x280000\naccess = ro");
	ub(&r, ingt_dev_start(&d, "t31", ""), s.dir, NULL,
	   ARGS("write", "@IMAGE", "--offset", "0x100000"));
	assert_error(&r, 2, "read-only");
	ck_assert_msg(strstr(r.err, "kernel"), "the partition is not named: %s", r.err);
	ck_assert_msg(ingt_untouched(&d), "the camera was touched");
	tu_run_free(&r);
	ingt_dev_free(&d);
	ingt_remove_tree(s.top);
}
END_TEST

START_TEST(boot_loader_needs_the_flag)
{
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	ingt_dev_start(&d, "t31", "");
	refused(&d, ingt.prj008, NULL, ARGS("write", "@IMAGE", "--offset", "0x1000"), 2,
		"--force-bootloader");
	/* from kernel back into the last bytes of uboot */
	refused(&d, ingt.prj008, NULL, ARGS("write", "@IMAGE", "--offset", "0x3ffff"), 2,
		"--force-bootloader");
	ingt_dev_free(&d);
	/* the control: with the flag it is written */
	ub(&r, ingt_dev_with_old(&d, "t31", ""), ingt.prj008, NULL,
	   ARGS("write", "@IMAGE", "--offset", "0x1000", "--force-bootloader"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(ingt_holds_part(&d, 0x1000), "not written at 0x1000");
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

START_TEST(empty_and_endless_images)
{
	char empty[64];
	struct ingt_dev d;
	time_t t0 = time(NULL);

	if (!ingt.have)
		return;
	tu_tmpfile(empty, sizeof(empty));
	ingt_dev_start(&d, "t31", "");
	refused(&d, ingt.prj008, NULL, ARGS("write", empty, "--offset", "0x300000"), 2, "empty");
	refused(&d, ingt.prj008, "/dev/null", ARGS("write", "-", "--offset", "0x300000"), 2,
		"empty");
	refused(&d, ingt.prj008, NULL, ARGS("write", "/dev/zero"), 2, "/dev/zero is larger than");
	refused(&d, ingt.prj008, "/dev/zero", ARGS("write", "-"), 2, "stdin is larger than");
	ck_assert_msg(time(NULL) - t0 < 20, "took %ld s", (long)(time(NULL) - t0));
	ingt_dev_free(&d);
	unlink(empty);
}
END_TEST

/* ---- no device ---- */

START_TEST(no_device)
{
	struct tu_run r;

	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("--usb", "9-9.9", "detect"));
	assert_error(&r, 3, "9-9.9");
	/* how to enter USB boot */
	ck_assert_msg(strstr(r.err, "pins 5 and 6"), "no hint: %s", r.err);
	tu_run_free(&r);
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("--usb", "libusb:9-9.9", "read", "--board-dir",
						    "/nonexistent", "-o", "/dev/null"));
	ck_assert_int_ne(r.status, 0);
	ck_assert_int_eq(tu_count_lines(r.err), 1);
	tu_run_free(&r);
}
END_TEST

/* ---- what needs no device is checked before it is touched ---- */

static const struct early_case {
	const char *const args[10];
	const char *message;
} early_cases[] = {
	{ { "--usb", "nonsense", "detect" }, "nonsense" },
	{ { "--usb", "sim:t99", "detect" }, "t99" },
	{ { "--gpio", "PZ17=high", "detect" }, "bad --gpio 'PZ17=high'" },
	{ { "--gpio", "PB32=high", "detect" }, "bad --gpio 'PB32=high'" },
	{ { "--gpio", "PB17=maybe", "detect" }, "bad --gpio 'PB17=maybe'" },
	{ { "--gpio", "PB17", "detect" }, "bad --gpio 'PB17'" },
	{ { "--erase", "sometimes", "write", "@IMAGE", "--offset", INGT_PART_AT_S },
	  "bad --erase" },
	{ { "--erase", "chip", "read" }, "--erase" },
	{ { "--chip", "t99", "detect" }, "t99" },
	{ { "--chip", "t99", "info" }, "t99" },
	{ { "boot", "t99" }, "t99" },
	{ { "--timeout", "0", "detect" }, "--timeout" },
	{ { "--wait", "x", "detect" }, "--wait" },
	{ { "write", "@IMAGE", "--offset", "0x12g" }, "bad --offset '0x12g'" },
	{ { "write", "/nonexistent/image.bin" }, "/nonexistent/image.bin" },
	{ { "write", "@IMAGE", "--length", "4" }, "--length" },
	{ { "read", "--length", "0" }, "--length" },
	{ { "read", "-o", "" }, "-o" },
	{ { "read", "-o", "/tmp" }, "/tmp" },
	{ { "read", "-o", "/nonexistent/out.bin" }, "/nonexistent" },
	{ { "verify" }, "verify" },
	{ { "detect", "--force-bootloader" }, "--force-bootloader" },
	{ { "--json", "read" }, "--json" },
	{ { "frobnicate" }, "frobnicate" },
	{ { "board", "import", "x" }, "import" },
};

START_TEST(refused_before_the_device)
{
	const struct early_case *ec = &early_cases[_i];
	struct ingt_dev d;

	if (!ingt.have)
		return;
	ingt_dev_start(&d, "t31", "");
	refused(&d, ingt.prj008, NULL, ec->args, 2, ec->message);
	ingt_dev_free(&d);
}
END_TEST

START_TEST(too_many_gpios)
{
	const char *argv[40] = { "-q", "--usb", "sim:t31", "boot", "t31" };
	static const char *const pins[] = { "PA0=1", "PA1=1", "PA2=1", "PA3=1", "PA4=1",
					    "PA5=1", "PA6=1", "PA7=1", "PA8=1" };
	struct ingt_dev d;
	struct tu_run r;
	int n = 5;

	if (!ingt.have)
		return;
	argv[2] = ingt_dev_start(&d, "t31", "");
	argv[n++] = "--board-dir";
	argv[n++] = ingt.prj008;
	for (size_t i = 0; i < 9; i++) {
		argv[n++] = "--gpio";
		argv[n++] = pins[i];
	}
	argv[n] = NULL;
	tu_run(&r, PROG, NULL, ingt_no_config, argv);
	assert_error(&r, 2, "8");
	ck_assert_msg(ingt_untouched(&d), "the camera was touched");
	tu_run_free(&r);
	/* the control: eight go */
	argv[n - 2] = NULL;
	tu_run(&r, PROG, NULL, ingt_no_config, argv);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_uint_gt(tu_stat(d.stats, "controls"), 0);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

START_TEST(closed_stdout)
{
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	ingt_dev_start(&d, "t31", "");
	tu_run_stdout_closed(&r, PROG, ingt_no_config, ARGS("--usb", d.spec, "--board-dir",
							    ingt.prj008, "read"));
	assert_error(&r, 2, "stdout is closed");
	tu_run_free(&r);
	tu_run_stdout_closed(&r, PROG, ingt_no_config, ARGS("--usb", d.spec, "detect"));
	assert_error(&r, 2, "stdout is closed");
	tu_run_free(&r);
	ck_assert_msg(ingt_untouched(&d), "the camera was touched");
	ingt_dev_free(&d);
}
END_TEST

static const struct config_case {
	const char *text;
	const char *message;
} config_cases[] = {
	{ "[ingenic-usbboot]\nforce-bootloader = yes\n", ":2: 'force-bootloader' can only be given" },
	{ "[ingenic-usbboot]\nerase = chip\n", ":2: 'erase' can only be given" },
	{ "[ingenic-usbboot]\noffset = 0x1000\n", ":2: 'offset' can only be given" },
	{ "[ingenic-usbboot]\noutput = /tmp/x.bin\n", ":2: 'output' can only be given" },
	{ "[board cam]\nforce-bootloader = yes\n", ":2: 'force-bootloader' can only be given" },
	{ "[ingenic_usbboot]\nusb = sim:t31\n", ":2: unknown section [ingenic_usbboot]" },
};

START_TEST(config_cannot_unlock)
{
	const struct config_case *cc = &config_cases[_i];
	char conf[64], want[160];
	const char *const *args;
	struct ingt_dev d;

	if (!ingt.have)
		return;
	tu_text_file(conf, sizeof(conf), cc->text);
	/* a conditional, not if/else: ARGS' arrays must outlive the branches */
	args = strstr(cc->text, "[board cam]") ?
	       ARGS("-c", conf, "-b", "cam", "write", "@IMAGE", "--offset", "0x1000") :
	       ARGS("-c", conf, "write", "@IMAGE", "--offset", "0x1000");
	snprintf(want, sizeof(want), "%s%s", conf, cc->message);
	ingt_dev_start(&d, "t31", "");
	refused(&d, ingt.prj008, NULL, args, 2, want);
	ingt_dev_free(&d);
	unlink(conf);
}
END_TEST

/* ---- faults on the way ---- */

/*
 * The camera drops off the bus in the middle of a whole-flash write: what
 * is written is said; the same command against the camera as it was left
 * (its save= as the next one's image=) ends verified, writing only the rest.
 */
START_TEST(disconnect_then_resume)
{
	struct ingt_dev d1, d2;
	struct tu_run r;
	char more[128];
	uint64_t first;

	if (!ingt.have)
		return;
	ub(&r, ingt_dev_with_old(&d1, "t31", "disconnect=5000000"), ingt.prj008, NULL,
	   ARGS("write", ingt.img16));
	ck_assert_msg(r.status == 1 || r.status == 3, "exit %d: %s", r.status, r.err);
	assert_write_failed(&r, r.status, "left the bus", "0x0-0x4c0000 is written");
	ck_assert_uint_eq(tu_stat(d1.stats, "disconnects"), 1);
	first = tu_stat(d1.stats, "writes");
	ck_assert_uint_gt(first, 0);
	tu_run_free(&r);
	snprintf(more, sizeof(more), "image=%s", d1.save);
	ub(&r, ingt_dev_start(&d2, "t31", more), ingt.prj008, NULL, ARGS("write", ingt.img16));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(tu_files_equal(d2.save, ingt.img16), "the flash does not hold the image");
	/* what the first run wrote is not written again */
	ck_assert_uint_eq(tu_stat(d2.stats, "writes") + first, INGT_FLASH / 0x10000);
	tu_run_free(&r);
	ingt_dev_free(&d1);
	ingt_dev_free(&d2);
}
END_TEST

START_TEST(bad_read_leaves_no_file)
{
	struct tu_outdir o;
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	tu_outdir_make(&o, "flash.bin");
	ub(&r, ingt_dev_start(&d, "t31", "bad-read=2"), ingt.prj008, NULL,
	   ARGS("read", "-o", o.out));
	assert_error(&r, 1, "0x100000");  /* the second 1 MiB READ */
	ck_assert_uint_eq(tu_stat(d.stats, "injected_bad_reads"), 1);
	ck_assert_msg(tu_dir_is_empty(o.dir), "%s holds a file after a failed read", o.dir);
	tu_run_free(&r);
	rmdir(o.dir);
	ingt_dev_free(&d);
}
END_TEST

/* write @IMAGE --offset INGT_PART_AT to a camera over the old flash, with more in its spec */
static void write_part(struct tu_run *r, struct ingt_dev *d, const char *more)
{
	ub(r, ingt_dev_with_old(d, "t31", more), ingt.prj008, NULL,
	   ARGS("write", "@IMAGE", "--offset", INGT_PART_AT_S));
}

/* A WRITE's data damaged on the way: the burner refuses it (DEBUG transfer_check), its ack quoted. */
START_TEST(bad_crc_is_reported)
{
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	write_part(&r, &d, "bad-crc=2");
	assert_write_failed(&r, 1, "-22", "0x300000-0x310000 is written");
	ck_assert_uint_eq(tu_stat(d.stats, "crc_errors"), 1);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* The burner requests, by their bRequest on the wire (type 0x40 OUT, 0xc0 IN). */
static const struct request_case {
	const char *wire, *name;
} request_cases[] = {
	{ " control 40 14 ", "UPDATE_CFG" },
	{ " control c0 26 ", "GET_FLASH_INFO" },
	{ " control 40 11 ", "INIT" },
	{ " control 40 13 ", "READ" },
	{ " control c0 19 ", "GET_CRC" },
	{ " control 40 12 ", "WRITE" },
};

/* The number (from 1) of the first control transfer on the wire that is this request. */
static int control_number(const char *wire, const char *request)
{
	size_t len;
	char *data = (char *)tu_read_file(wire, &len);
	int n = 0;

	for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
		char probe[200];

		snprintf(probe, sizeof(probe), " %s", line);
		if (line[0] == '#' || !strstr(probe, " control "))
			continue;
		n++;
		if (strstr(probe, request)) {
			free(data);
			return n;
		}
	}
	free(data);
	ck_abort_msg("no '%s' on the wire", request);
	return 0;
}

/* A burner request that is never answered: exit 3, and the request is named. */
START_TEST(burner_request_unanswered)
{
	const struct request_case *rc = &request_cases[_i];
	struct ingt_dev d;
	struct tu_run r;
	char more[160];
	int n;

	if (!ingt.have)
		return;
	write_part(&r, &d, "stage=burner");
	ck_assert_msg(r.status == 0, "%s", r.err);
	n = control_number(d.wire, rc->wire);
	tu_run_free(&r);
	ingt_dev_free(&d);
	snprintf(more, sizeof(more), "stage=burner,timeout=%d", n);
	write_part(&r, &d, more);
	ck_assert_uint_eq(tu_stat(d.stats, "injected_timeouts"), 1);
	ck_assert_msg(r.status == 3, "%s unanswered: exit %d, want 3: %s", rc->name, r.status,
		      r.err);
	ck_assert_msg(strstr(r.err, "no answer"), "%s unanswered: %s", rc->name, r.err);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

START_TEST(burner_request_stalled)
{
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	/* the third control transfer to a running burner is its first UPDATE_CFG */
	write_part(&r, &d, "stage=burner,stall=3");
	assert_error(&r, 1, "stalled");
	ck_assert_uint_eq(tu_stat(d.stats, "injected_stalls"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "writes"), 0);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* A flash that does not answer its id: stopped before anything is set up or written. */
START_TEST(no_flash_answers)
{
	static const char *const ids[] = { "jedec=0x000000", "jedec=0xffffff" };
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	ub(&r, ingt_dev_with_old(&d, "t31", ids[_i]), ingt.prj008, NULL,
	   ARGS("write", "@IMAGE", "--offset", INGT_PART_AT_S));
	assert_error(&r, 3, "reads no SPI NOR");
	ck_assert_msg(ingt_nothing_written(&d), "the camera was set up or written");
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* A chip erase (14 s on sim:t31) that outlasts --timeout. */
START_TEST(busy_beyond_timeout)
{
	struct ingt_dev d;
	struct tu_run r;

	if (!ingt.have)
		return;
	ub(&r, ingt_dev_with_old(&d, "t31", ""), ingt.prj008, NULL,
	   ARGS("--timeout", "5", "write", "@IMAGE", "--offset", INGT_PART_AT_S, "--erase", "chip",
		"--force-bootloader"));
	assert_error(&r, 3, "--timeout");
	ck_assert_uint_eq(tu_stat(d.stats, "writes"), 0);
	tu_run_free(&r);
	ingt_dev_free(&d);
	/* the control: 20 s is enough */
	ub(&r, ingt_dev_with_old(&d, "t31", ""), ingt.prj008, NULL,
	   ARGS("--timeout", "20", "write", "@IMAGE", "--offset", INGT_PART_AT_S, "--erase", "chip",
		"--force-bootloader"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* ---- signals, with the camera paced by its wire= FIFO ---- */

struct paced {
	char dir[32], fifo[64];
	int fd;
	struct tu_child child;
	char *seen;
	size_t seen_len;
};

static void paced_open(struct paced *p)
{
	*p = (struct paced){ 0 };
	ingt_tmpdir(p->dir, sizeof(p->dir));
	snprintf(p->fifo, sizeof(p->fifo), "%s/wire", p->dir);
	ck_assert_int_eq(mkfifo(p->fifo, 0600), 0);
	/* open before the emulator does, so its open does not wait */
	p->fd = open(p->fifo, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(p->fd, 0);
#ifdef F_SETPIPE_SZ
	fcntl(p->fd, F_SETPIPE_SZ, 4096);  /* a small pipe: the emulator waits sooner */
#endif
}

/*
 * Drain the FIFO slowly; once text has come count times, send sig. Until
 * the emulator closes it (the run's end), or 20 s.
 */
static void paced_drain(struct paced *p, const char *text, int count, int sig)
{
	char buf[512];
	int sent = 0;
	struct timespec pause = { 0, 2000000 };
	time_t t0 = time(NULL);

	p->seen = calloc(1, 1);
	for (;;) {
		ssize_t n = read(p->fd, buf, sizeof(buf));

		ck_assert_msg(time(NULL) - t0 < 20, "the run did not end");
		if (n == 0 && p->seen_len > 0)
			break;  /* the emulator closed it */
		if (n <= 0) {
			ck_assert_msg(n == 0 || errno == EAGAIN, "read: %s", strerror(errno));
			nanosleep(&pause, NULL);
			continue;
		}
		p->seen = realloc(p->seen, p->seen_len + (size_t)n + 1);
		ck_assert_ptr_nonnull(p->seen);
		memcpy(p->seen + p->seen_len, buf, (size_t)n);
		p->seen_len += (size_t)n;
		p->seen[p->seen_len] = '\0';
		nanosleep(&pause, NULL);
		if (!sent) {
			int k = 0;

			for (const char *q = p->seen; (q = strstr(q, text)); q++)
				k++;
			if (k >= count) {
				kill(p->child.pid, sig);
				sent = 1;
			}
		}
	}
	ck_assert_msg(sent, "the run ended before %d '%s'", count, text);
}

static void paced_close(struct paced *p)
{
	close(p->fd);
	unlink(p->fifo);
	rmdir(p->dir);
	free(p->seen);
}

/*
 * ingenic-usbboot -q --usb SIM,wire=FIFO --board-dir prj008 ARGS..., stopped
 * by sig once the second request (its text on the wire) has come.
 */
static void run_stopped(struct paced *p, struct tu_run *r, const char *sim,
			const char *const *args, const char *request, int sig)
{
	char spec[400];
	const char *argv[16] = { "-q", "--usb", spec, "--board-dir", ingt.prj008 };

	paced_open(p);
	snprintf(spec, sizeof(spec), "%s,wire=%s", sim, p->fifo);
	tu_append_args(argv, 5, args, NULL);
	tu_spawn(&p->child, PROG, ingt_no_config, argv);
	paced_drain(p, request, 2, sig);
	tu_wait(&p->child, r);
}

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };

/* 2 MiB at 0x400000 (32 WRITEs), stopped after the second: said, then finished by a rerun. */
START_TEST(signal_during_write_then_resume)
{
	int sig = stop_signals[_i];
	char image[64], save[64], stats[64], spec[400], stats2[64];
	struct paced p;
	struct tu_run r;
	uint64_t first;
	size_t flen, ilen;
	uint8_t *flash, *img;

	if (!ingt.have)
		return;
	tu_tmpfile(image, sizeof(image));
	tu_random_file(image, 2 * INGT_MIB, 15);
	tu_tmpfile(save, sizeof(save));
	tu_tmpfile(stats, sizeof(stats));
	tu_tmpfile(stats2, sizeof(stats2));
	snprintf(spec, sizeof(spec), "sim:t31,image=%s,save=%s,stats=%s", ingt.old, save, stats);
	run_stopped(&p, &r, spec, ARGS("write", image, "--offset", "0x400000"), " control 40 12 ",
		    sig);
	assert_error(&r, 128 + sig, "interrupted");
	ck_assert_msg(strstr(r.err, "0x400000-0x") && strstr(r.err, " is written") &&
		      strstr(r.err, "run the same command again"), "%s", r.err);
	first = tu_stat(stats, "writes");
	ck_assert_uint_ge(first, 1);
	ck_assert_uint_lt(first, 32);
	tu_run_free(&r);
	paced_close(&p);
	/* the camera as it was left */
	snprintf(spec, sizeof(spec), "sim:t31,image=%s,save=%s,stats=%s", save, save, stats2);
	ub(&r, spec, ingt.prj008, NULL, ARGS("write", image, "--offset", "0x400000"));
	ck_assert_msg(r.status == 0, "the second run: %s", r.err);
	ck_assert_uint_le(tu_stat(stats2, "writes") + first, 33);
	flash = tu_read_file(save, &flen);
	img = tu_read_file(image, &ilen);
	ck_assert_msg(!memcmp(flash + 0x400000, img, ilen), "the flash lacks the image");
	free(flash);
	free(img);
	tu_run_free(&r);
	unlink(image);
	unlink(save);
	unlink(stats);
	unlink(stats2);
}
END_TEST

/* A read to -o FILE: no FILE, and nothing beside it. */
START_TEST(signal_during_read_leaves_no_file)
{
	struct tu_outdir o;
	struct paced p;
	struct tu_run r;

	if (!ingt.have)
		return;
	tu_outdir_make(&o, "flash.bin");
	run_stopped(&p, &r, "sim:t31", ARGS("read", "-o", o.out), " control 40 13 ", SIGTERM);
	assert_error(&r, 143, "interrupted");
	ck_assert_msg(strstr(r.err, "flash.bin"), "%s", r.err);
	ck_assert_msg(tu_dir_is_empty(o.dir), "%s holds a file after the stop", o.dir);
	tu_run_free(&r);
	paced_close(&p);
	rmdir(o.dir);
}
END_TEST

/* A read to stdout: what went there is said in words a user can read. */
START_TEST(signal_during_read_to_stdout)
{
	struct paced p;
	struct tu_run r;

	if (!ingt.have)
		return;
	run_stopped(&p, &r, "sim:t31", ARGS("read"), " control 40 13 ", SIGTERM);
	assert_error(&r, 143, "interrupted");
	ck_assert_msg(r.outlen < INGT_FLASH, "all of it went out");
	ck_assert_msg(!strstr(r.err, "stdout was not written"), "garbled: %s", r.err);
	tu_run_free(&r);
	paced_close(&p);
}
END_TEST

#define VARIANTS(table) ((int)(sizeof(table) / sizeof((table)[0])))

static const struct tu_case corpus[] = {
	{ &missing_board_file, VARIANTS(set_files) },
	{ &no_stage2_config, 1 },
	{ &board_file_that_does_not_parse, VARIANTS(ini_cases) },
	{ &image_larger_than_the_flash, 1 },
	{ &image_outside_the_partitions, 1 },
	{ &boot_loader_needs_the_flag, 1 },
	{ &empty_and_endless_images, 1 },
	{ &no_device, 1 },
	{ &refused_before_the_device, VARIANTS(early_cases) },
	{ &too_many_gpios, 1 },
	{ &closed_stdout, 1 },
	{ &config_cannot_unlock, VARIANTS(config_cases) },
	{ &disconnect_then_resume, 1 },
	{ &bad_read_leaves_no_file, 1 },
	{ &bad_crc_is_reported, 1 },
	{ &burner_request_unanswered, VARIANTS(request_cases) },
	{ &burner_request_stalled, 1 },
	{ &no_flash_answers, 2 },
	{ &busy_beyond_timeout, 1 },
	{ &signal_during_write_then_resume, VARIANTS(stop_signals) },
	{ &signal_during_read_leaves_no_file, 1 },
	{ &signal_during_read_to_stdout, 1 },
};

int main(void)
{
	return tu_corpus_main("hostile-" PROG, corpus, VARIANTS(corpus), shared_setup, ingt_remove_files);
}
