/* SPDX-License-Identifier: MIT */
/*
 * ingenic-usbboot end to end against sim:t31 (sim/sim_ingenic.h), in model
 * time, with the prj008 board set of ../shared/data/ingenic (issue 11, Must
 * show 3): what a user sees (stdout, the exit status, the messages) and
 * what the camera ends up holding (the emulator's save=), what it counted
 * (stats=) and every transfer the program made (wire=, sim/sim_usb.h).
 * The program is a black box here: only its man page is the contract.
 * Every case skips with a note when ../shared/data is absent.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ingenictest.h"


#define PROG "ingenic-usbboot"
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* prj008: uboot 0x40000@0, kernel 0x280000@0x40000, rootfs from 0x2c0000 to the end */
#define KERNEL 0x40000u
#define ROOTFS 0x2c0000u
/* The end of the image written at INGT_PART_AT. */
#define PART_END (INGT_PART_AT + INGT_PART_LEN)

static void shared_setup(void)
{
	ingt_make_files(1);
}

/* ingenic-usbboot --usb SPEC [--board-dir BOARD] ARGS... */
static void ub(struct tu_run *r, const char *spec, const char *board, const char *const *args)
{
	ingt_run(r, 0, spec, board, NULL, args);
}

static void expect_ok(const struct tu_run *r)
{
	ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
}

/* The ROM's and the SPL's loads and starts: SET_DATA_ADDRESS, PROGRAM_START1, PROGRAM_START2. */
static int wire_boots(const char *wire)
{
	return ingt_count_in_file(wire, " control 40 01 ") +
	       ingt_count_in_file(wire, " control 40 04 ") +
	       ingt_count_in_file(wire, " control 40 05 ");
}

enum region { UNCHANGED, ERASED, IMAGE };

/* What [at, at + len) of the saved flash holds: the old contents, 0xFF, or the image. */
static void flash_is(const struct ingt_dev *d, size_t at, size_t len, enum region want,
		     const char *what)
{
	size_t flen, olen, plen;
	uint8_t *flash = tu_read_file(d->save, &flen);
	uint8_t *old = tu_read_file(ingt.old, &olen);
	uint8_t *part = tu_read_file(ingt.part, &plen);

	ck_assert_uint_eq(flen, INGT_FLASH);
	for (size_t i = at; i < at + len; i++) {
		uint8_t expect = want == ERASED ? 0xFF :
				 want == UNCHANGED ? old[i] : part[i - INGT_PART_AT];

		/* one assertion per byte would make Check report every one of them */
		if (flash[i] != expect)
			ck_abort_msg("%s: flash[0x%zx] is 0x%02x, not 0x%02x (%s)", what, i,
				     flash[i], expect,
				     want == ERASED ? "erased" : want == UNCHANGED ? "unchanged" :
				     "image");
	}
	free(flash);
	free(old);
	free(part);
}

/* ---- a small JSON checker: one value, then a newline ---- */

static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					return NULL;
			p += 4;
		} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *json_number(const char *p)
{
	const char *start;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (isdigit((unsigned char)*p))
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		start = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == start)
			return NULL;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		start = p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == start)
			return NULL;
	}
	return p;
}

/* The members of an object or the items of an array, after its opening bracket. */
static const char *json_members(const char *p, char close, int depth)
{
	p = json_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = json_string(json_ws(p));
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p, int depth)
{
	static const char *const words[] = { "true", "false", "null" };

	if (depth > 32)
		return NULL;
	p = json_ws(p);
	if (*p == '{' || *p == '[')
		return json_members(p + 1, *p == '{' ? '}' : ']', depth);
	if (*p == '"')
		return json_string(p);
	for (size_t i = 0; i < 3; i++)
		if (!strncmp(p, words[i], strlen(words[i])))
			return p + strlen(words[i]);
	return json_number(p);
}

static void assert_json(const char *text)
{
	const char *end = json_value(text, 0);

	ck_assert_msg(end != NULL, "not JSON: %s", text);
	ck_assert_msg(!strcmp(end, "\n"), "not one JSON value and a newline: %s", text);
}

/* ---- info, list, detect ---- */

/* The line of the chip table that starts with name, or NULL. */
static const char *table_line(const char *out, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	for (const char *line = out; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, name, n) && line[n] == ' ') {
			snprintf(buf, len, "%.*s", (int)strcspn(line, "\n"), line);
			return buf;
		}
	}
	return NULL;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

START_TEST(info_table)
{
	struct tu_run r;
	char line[256];

	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("info"));
	expect_ok(&r);
	ck_assert_msg(table_line(r.out, "t20", line, sizeof(line)), "no t20: %s", r.out);
	ck_assert_msg(strstr(line, "a108:c309") && ends_with(line, " 0x4000"), "t20: %s", line);
	ck_assert_msg(table_line(r.out, "t31", line, sizeof(line)), "no t31: %s", r.out);
	ck_assert_msg(ends_with(line, " 0x7000"), "t31: %s", line);
	ck_assert_msg(table_line(r.out, "t41", line, sizeof(line)), "no t41: %s", r.out);
	tu_run_free(&r);
	/* will-tm's matching: case, - and _ ignored, then the longest known prefix */
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("info", "--chip", "T31-ZX"));
	expect_ok(&r);
	ck_assert_int_eq(tu_count_lines(r.out), 2);  /* the heading and t31 */
	ck_assert_msg(table_line(r.out, "t31", line, sizeof(line)) && ends_with(line, " 0x7000"),
		      "%s", r.out);
	tu_run_free(&r);
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("--json", "info"));
	expect_ok(&r);
	assert_json(r.out);
	ck_assert_msg(strstr(r.out, "{\"chip\":\"t20\",") && strstr(r.out, "\"d2i_len\":\"0x4000\""),
		      "%s", r.out);
	tu_run_free(&r);
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("--json", "info", "--chip", "t31zx"));
	expect_ok(&r);
	assert_json(r.out);
	ck_assert_msg(strstr(r.out, "\"chip\":\"t31\"") && !strstr(r.out, "\"t20\""), "%s", r.out);
	tu_run_free(&r);
}
END_TEST

START_TEST(list_and_detect)
{
	struct tu_run r;

	ub(&r, "sim:t31", NULL, ARGS("list"));
	expect_ok(&r);
	ck_assert_int_eq(tu_count_lines(r.out), 1);
	ck_assert_msg(!strncmp(r.out, "sim ", 4) && strstr(r.out, " a108:c309 ") &&
		      strstr(r.out, " rom ") && strstr(r.out, "'T 3 1 V '"), "%s", r.out);
	tu_run_free(&r);
	ub(&r, "sim:t31,stage=burner", NULL, ARGS("--json", "list"));
	expect_ok(&r);
	assert_json(r.out);
	ck_assert_msg(r.out[0] == '[' && strstr(r.out, "\"stage\":\"burner\""), "%s", r.out);
	tu_run_free(&r);
	ub(&r, "sim:t31", NULL, ARGS("detect"));
	expect_ok(&r);
	ck_assert_msg(strstr(r.out, "boot ROM") && strstr(r.out, "'T 3 1 V '"), "%s", r.out);
	tu_run_free(&r);
	ub(&r, "sim:t31", NULL, ARGS("detect", "--json"));
	expect_ok(&r);
	assert_json(r.out);
	ck_assert_msg(strstr(r.out, "\"stage\":\"rom\"") && strstr(r.out, "\"cpu_info\":\"T 3 1 V \""),
		      "%s", r.out);
	tu_run_free(&r);
	ub(&r, "sim:t31,stage=burner", NULL, ARGS("detect", "--json"));
	expect_ok(&r);
	assert_json(r.out);
	ck_assert_msg(strstr(r.out, "\"stage\":\"burner\"") && strstr(r.out, "\"cpu_info\":\"PRJ\""),
		      "%s", r.out);
	tu_run_free(&r);
	/* The T41N's ROM says T31 too (the man page) */
	ub(&r, "sim:t41", NULL, ARGS("detect"));
	expect_ok(&r);
	ck_assert_msg(strstr(r.out, "'T 3 1 V '"), "%s", r.out);
	tu_run_free(&r);
}
END_TEST

/* ---- boot ---- */

START_TEST(boot_then_no_second_boot)
{
	struct tu_run r;
	struct ingt_dev d;

	if (!ingt.have)
		return;
	ub(&r, ingt_dev_start(&d, "t31", ""), ingt.prj008, ARGS("boot", "t31"));
	expect_ok(&r);
	ck_assert_str_eq(r.out, "PRJ\n");  /* the burner's CPU info */
	ck_assert_int_ge(ingt_count_in_file(d.wire, " control 40 04 "), 1);  /* START1 */
	ck_assert_int_ge(ingt_count_in_file(d.wire, " control 40 05 "), 1);  /* START2 */
	ck_assert_uint_eq(tu_stat(d.stats, "stage2_boots"), 1);
	ck_assert_int_eq(ingt_count_in_file(d.wire, " control 40 16 "), 0);  /* left running */
	tu_run_free(&r);
	ingt_dev_free(&d);
	/* A burner that runs already is neither loaded nor started again. */
	ub(&r, ingt_dev_start(&d, "t31", "stage=burner"), ingt.prj008, ARGS("boot", "t31"));
	expect_ok(&r);
	ck_assert_str_eq(r.out, "PRJ\n");
	ck_assert_int_eq(wire_boots(d.wire), 0);
	ck_assert_int_eq(ingt_count_in_file(d.wire, " bulk 01 "), 0);
	tu_run_free(&r);
	ingt_dev_free(&d);
	ub(&r, ingt_dev_start(&d, "t31", "stage=burner"), ingt.prj008,
	   ARGS("read", "--length", "64K", "-o", "/dev/null"));
	expect_ok(&r);
	ck_assert_int_eq(wire_boots(d.wire), 0);
	ck_assert_uint_gt(tu_stat(d.stats, "configs"), 0);  /* its configuration is sent again */
	ck_assert_uint_eq(tu_stat(d.stats, "bytes_read"), 64 * 1024);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* ---- a whole-flash image: write, verify, read back ---- */

/* Run the program with stdout on a pipe, drained as it goes; stderr as tu_run's. */
static void run_piped(struct tu_run *r, const char *const *argv)
{
	char path[256], errpath[64];
	const char *args[48] = { PROG };
	int fds[2], errfd, ws;
	size_t cap = INGT_MIB, n = 0;
	ssize_t got;
	pid_t pid;

	tu_tmpfile(errpath, sizeof(errpath));
	errfd = open(errpath, O_WRONLY);
	ck_assert_int_ge(errfd, 0);
	ck_assert_int_eq(pipe(fds), 0);
	tu_append_args(args, 1, argv, NULL);
	snprintf(path, sizeof(path), "%s/%s", tu_bindir(), PROG);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);

		dup2(in, 0);
		dup2(fds[1], 1);
		dup2(errfd, 2);
		close(fds[0]);
		for (int i = 0; ingt_no_config[i]; i++)
			putenv((char *)ingt_no_config[i]);
		tu_exec(path, args);
		_exit(127);
	}
	close(fds[1]);
	close(errfd);
	r->out = malloc(cap + 1);
	ck_assert_ptr_nonnull(r->out);
	while ((got = read(fds[0], r->out + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap) {
			cap *= 2;
			r->out = realloc(r->out, cap + 1);
			ck_assert_ptr_nonnull(r->out);
		}
	}
	close(fds[0]);
	r->out[n] = '\0';
	r->outlen = n;
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	r->err = (char *)tu_read_file(errpath, NULL);
	unlink(errpath);
}

START_TEST(whole_flash_write_verify_read)
{
	struct tu_run r;
	struct ingt_dev d;
	char spec[256], out[64];
	size_t len;
	uint8_t *img;

	if (!ingt.have)
		return;
	/* A whole-flash image needs no --force-bootloader. */
	ub(&r, ingt_dev_start(&d, "t31", ""), ingt.prj008, ARGS("write", ingt.img16));
	expect_ok(&r);
	ck_assert_msg(strstr(r.err, "verified"), "%s", r.err);
	ck_assert_msg(tu_files_equal(d.save, ingt.img16), "the flash does not hold the image");
	ck_assert_uint_eq(tu_stat(d.stats, "bytes_written"), INGT_FLASH);
	tu_run_free(&r);
	/* The next camera starts with what the first one saved. */
	snprintf(spec, sizeof(spec), "sim:t31,image=%s", d.save);
	ub(&r, spec, ingt.prj008, ARGS("verify", ingt.img16));
	expect_ok(&r);
	tu_run_free(&r);
	tu_tmpfile(out, sizeof(out));
	ub(&r, spec, ingt.prj008, ARGS("read", "-o", out));
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, 0);
	ck_assert_msg(tu_files_equal(out, ingt.img16), "the read differs from the image");
	tu_run_free(&r);
	unlink(out);
	img = tu_read_file(ingt.img16, &len);
	run_piped(&r, ARGS("-q", "--usb", spec, "--board-dir", ingt.prj008, "read", "-o", "-"));
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, INGT_FLASH);
	ck_assert_msg(!memcmp(r.out, img, INGT_FLASH), "read -o - differs from the image");
	tu_run_free(&r);
	/* Without -o, to a stdout that is no terminal. */
	run_piped(&r, ARGS("-q", "--usb", spec, "--board-dir", ingt.prj008, "read", "--offset",
			   "0x123456", "--length", "1000"));
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, 1000);
	ck_assert_msg(!memcmp(r.out, img + 0x123456, 1000), "read --offset --length differs");
	tu_run_free(&r);
	/* A leading zero is decimal: 01048576 is 1 MiB */
	ub(&r, spec, ingt.prj008, ARGS("-q", "read", "--offset", "01048576", "--length", "16"));
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, 16);
	ck_assert_msg(!memcmp(r.out, img + INGT_MIB, 16), "--offset 01048576 is not 1 MiB");
	tu_run_free(&r);
	free(img);
	ingt_dev_free(&d);
}
END_TEST

START_TEST(verify_names_the_first_bad_chunk)
{
	struct tu_run r;
	char spec[256], other[64];
	size_t len;
	uint8_t *img;

	if (!ingt.have)
		return;
	img = tu_read_file(ingt.img16, &len);
	img[0x523456] ^= 0x10;
	img[0x923456] ^= 0x10;
	tu_tmpfile(other, sizeof(other));
	tu_write_file(other, img, len);
	snprintf(spec, sizeof(spec), "sim:t31,image=%s", ingt.img16);
	ub(&r, spec, ingt.prj008, ARGS("-q", "verify", other));
	/* read_size is 1 MiB in prj008: the chunk at 0x500000 */
	tu_assert_one_error(&r, PROG, 1, "at 0x500000");
	tu_run_free(&r);
	snprintf(spec, sizeof(spec), "sim:t31,image=%s", ingt.old);
	ub(&r, spec, ingt.prj008, ARGS("-q", "verify", ingt.part, "--offset", INGT_PART_AT_S));
	tu_assert_one_error(&r, PROG, 1, "at 0x301234");
	tu_run_free(&r);
	free(img);
	unlink(other);
}
END_TEST

/* ---- erase settings, over a flash of old firmware ---- */

static void write_part(struct tu_run *r, struct ingt_dev *d, const char *model, const char *board,
		       const char *const *more)
{
	const char *args[16] = { "write", ingt.part, "--offset", INGT_PART_AT_S };

	tu_append_args(args, 4, more, NULL);
	ub(r, ingt_dev_with_old(d, model, ""), board, args);
}

START_TEST(erase_range_keeps_everything_else)
{
	struct tu_run r;
	struct ingt_dev d;

	if (!ingt.have)
		return;
	write_part(&r, &d, "t31", ingt.prj008, ARGS("--erase", "range"));
	expect_ok(&r);
	flash_is(&d, 0, INGT_PART_AT, UNCHANGED, "before the image");
	flash_is(&d, INGT_PART_AT, INGT_PART_LEN, IMAGE, "the image");
	flash_is(&d, PART_END, INGT_FLASH - PART_END, UNCHANGED, "after the image");
	ck_assert_uint_eq(tu_stat(d.stats, "chip_erases"), 0);
	tu_run_free(&r);
	ingt_dev_free(&d);
	/* the default */
	write_part(&r, &d, "t31", ingt.prj008, ARGS("--no-reboot"));
	expect_ok(&r);
	flash_is(&d, 0, INGT_PART_AT, UNCHANGED, "before the image");
	flash_is(&d, PART_END, INGT_FLASH - PART_END, UNCHANGED, "after the image");
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

START_TEST(erase_partition_loses_the_partition)
{
	struct tu_run r;
	struct ingt_dev d;

	if (!ingt.have)
		return;
	write_part(&r, &d, "t31", ingt.prj008, ARGS("--erase", "partition"));
	expect_ok(&r);
	flash_is(&d, 0, KERNEL, UNCHANGED, "uboot");
	flash_is(&d, KERNEL, ROOTFS - KERNEL, UNCHANGED, "kernel");
	flash_is(&d, ROOTFS, INGT_PART_AT - ROOTFS, ERASED, "rootfs before the image");
	flash_is(&d, INGT_PART_AT, INGT_PART_LEN, IMAGE, "the image");
	flash_is(&d, PART_END, INGT_FLASH - PART_END, ERASED, "rootfs after the image");
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

START_TEST(erase_chip_needs_the_flag)
{
	struct tu_run r;
	struct ingt_dev d;

	if (!ingt.have)
		return;
	write_part(&r, &d, "t31", ingt.prj008, ARGS("-q", "--erase", "chip"));
	tu_assert_one_error(&r, PROG, 2, "--force-bootloader");
	ck_assert_msg(ingt_untouched(&d), "transfers were made");
	ck_assert_int_eq(ingt_count_in_file(d.wire, " control 40 12 "), 0);  /* no WRITE */
	tu_run_free(&r);
	ingt_dev_free(&d);
	write_part(&r, &d, "t31", ingt.prj008, ARGS("--erase", "chip", "--force-bootloader"));
	expect_ok(&r);
	ck_assert_uint_eq(tu_stat(d.stats, "chip_erases"), 1);
	flash_is(&d, 0, INGT_PART_AT, ERASED, "before the image");
	flash_is(&d, INGT_PART_AT, INGT_PART_LEN, IMAGE, "the image");
	flash_is(&d, PART_END, INGT_FLASH - PART_END, ERASED, "after the image");
	tu_run_free(&r);
	ingt_dev_free(&d);
	/* A whole-flash image needs no flag. */
	ub(&r, ingt_dev_start(&d, "t31", ""), ingt.prj008,
	   ARGS("write", ingt.img16, "--erase", "chip"));
	expect_ok(&r);
	ck_assert_uint_eq(tu_stat(d.stats, "chip_erases"), 1);
	ck_assert_msg(tu_files_equal(d.save, ingt.img16), "the flash does not hold the image");
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/*
 * The T41 burner does not erase at INIT: the program says so, and then
 * does not claim that the chip was erased.
 */
START_TEST(erase_chip_on_t41_warns)
{
	struct tu_run r;
	struct ingt_dev d;

	if (!ingt.have)
		return;
	write_part(&r, &d, "t41", ingt.t41, ARGS("--erase", "chip", "--force-bootloader"));
	expect_ok(&r);
	ck_assert_msg(strstr(r.err, "warning: ") && strstr(r.err, "probably does not erase"),
		      "%s", r.err);
	ck_assert_uint_eq(tu_stat(d.stats, "chip_erases"), 0);
	flash_is(&d, INGT_PART_AT, INGT_PART_LEN, IMAGE, "the image");
	ck_assert_msg(!strstr(r.err, "whole chip was erased"), "contradicts the warning: %s",
		      r.err);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* write - and verify - take stdin. */
START_TEST(write_and_verify_from_stdin)
{
	struct tu_run r;
	struct ingt_dev d;
	char spec[256];

	if (!ingt.have)
		return;
	ingt_run(&r, 1, ingt_dev_with_old(&d, "t31", ""), ingt.prj008, ingt.part,
		 ARGS("write", "-", "--offset", INGT_PART_AT_S));
	expect_ok(&r);
	flash_is(&d, INGT_PART_AT - 0x1000, 0x1000, UNCHANGED, "before the image");
	flash_is(&d, INGT_PART_AT, INGT_PART_LEN, IMAGE, "the image");
	flash_is(&d, PART_END, 0x1000, UNCHANGED, "after the image");
	tu_run_free(&r);
	snprintf(spec, sizeof(spec), "sim:t31,image=%s", d.save);
	ingt_run(&r, 1, spec, ingt.prj008, ingt.part, ARGS("verify", "-", "--offset",
							   INGT_PART_AT_S));
	expect_ok(&r);
	tu_run_free(&r);
	ingt_run(&r, 1, spec, ingt.prj008, ingt.part, ARGS("verify", "-", "--offset", "0x301235"));
	tu_assert_one_error(&r, PROG, 1, "differs");
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* The same range write again: read, compared, nothing erased or written. */
START_TEST(second_run_writes_nothing)
{
	struct tu_run r;
	struct ingt_dev d1, d2;
	char spec[256];

	if (!ingt.have)
		return;
	write_part(&r, &d1, "t31", ingt.prj008, ARGS("-q"));
	expect_ok(&r);
	ck_assert_uint_gt(tu_stat(d1.stats, "writes"), 0);
	tu_run_free(&r);
	snprintf(spec, sizeof(spec), "image=%s", d1.save);
	ub(&r, ingt_dev_start(&d2, "t31", spec), ingt.prj008,
	   ARGS("write", ingt.part, "--offset", INGT_PART_AT_S));
	expect_ok(&r);
	ck_assert_uint_eq(tu_stat(d2.stats, "writes"), 0);
	ck_assert_uint_eq(tu_stat(d2.stats, "erased_bytes"), 0);
	ck_assert_uint_gt(tu_stat(d2.stats, "reads"), 0);
	ck_assert_msg(tu_files_equal(d1.save, d2.save), "the second run changed the flash");
	tu_run_free(&r);
	ingt_dev_free(&d1);
	ingt_dev_free(&d2);
}
END_TEST

/* A read sends the configuration with the chip erase off, whatever the board says (prj008: chip). */
START_TEST(read_never_erases)
{
	struct tu_run r;
	struct ingt_dev d;

	if (!ingt.have)
		return;
	ub(&r, ingt_dev_with_old(&d, "t31", ""), ingt.prj008,
	   ARGS("read", "--length", "1M", "-o", "/dev/null"));
	expect_ok(&r);
	ck_assert_uint_eq(tu_stat(d.stats, "chip_erases"), 0);
	ck_assert_uint_eq(tu_stat(d.stats, "erased_bytes"), 0);
	ck_assert_msg(tu_files_equal(d.save, ingt.old), "a read changed the flash");
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* ---- reboot ---- */

START_TEST(reboot_forms)
{
	struct tu_run r;
	struct ingt_dev d;

	ub(&r, ingt_dev_start(&d, "t31", "stage=burner"), NULL, ARGS("reboot"));
	expect_ok(&r);
	ck_assert_uint_eq(tu_stat(d.stats, "reboots"), 1);
	ck_assert_int_eq(ingt_count_in_file(d.wire, " control 40 16 "), 1);
	tu_run_free(&r);
	ingt_dev_free(&d);
	ub(&r, ingt_dev_start(&d, "t31", ""), NULL, ARGS("reboot"));
	tu_assert_one_error(&r, PROG, 1, "boot ROM");
	ck_assert_uint_eq(tu_stat(d.stats, "reboots"), 0);
	tu_run_free(&r);
	ingt_dev_free(&d);
	if (!ingt.have)
		return;
	/* A command reboots the camera at its end, unless --no-reboot. */
	ub(&r, ingt_dev_start(&d, "t31", ""), ingt.prj008,
	   ARGS("read", "--length", "4K", "-o", "/dev/null"));
	expect_ok(&r);
	ck_assert_int_eq(ingt_count_in_file(d.wire, " control 40 16 "), 1);
	tu_run_free(&r);
	ingt_dev_free(&d);
	ub(&r, ingt_dev_start(&d, "t31", ""), ingt.prj008,
	   ARGS("--no-reboot", "read", "--length", "4K", "-o", "/dev/null"));
	expect_ok(&r);
	ck_assert_int_eq(ingt_count_in_file(d.wire, " control 40 16 "), 0);
	ck_assert_uint_eq(tu_stat(d.stats, "reboots"), 0);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* ---- board sets: by name, exported, from a config profile ---- */

/* dir/name -> target */
static void make_link(const char *dir, const char *name, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg(symlink(target, path) == 0, "symlink %s", path);
}

START_TEST(board_dir_by_name)
{
	struct tu_run r;
	char xdg[64], dir[256], env[300], spec[256];
	const char *env_v[] = { "XDG_CONFIG_HOME=/nonexistent", env, NULL };
	size_t len;
	uint8_t *old;

	if (!ingt.have)
		return;
	ingt_tmpdir(xdg, sizeof(xdg));
	snprintf(env, sizeof(env), "XDG_DATA_HOME=%s", xdg);
	snprintf(dir, sizeof(dir), "%s/unbrick", xdg);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/unbrick/ingenic", xdg);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	make_link(dir, "myboard", ingt.prj008);
	snprintf(spec, sizeof(spec), "sim:t31,image=%s", ingt.old);
	tu_run(&r, PROG, NULL, env_v, ARGS("-q", "--usb", spec, "--board-dir", "myboard", "read",
					  "--length", "4K"));
	expect_ok(&r);
	old = tu_read_file(ingt.old, &len);
	ck_assert_uint_eq(r.outlen, 4096);
	ck_assert_msg(!memcmp(r.out, old, 4096), "the read differs from the flash");
	free(old);
	tu_run_free(&r);
	/* boot CHIP without --board-dir looks the chip's name up the same way */
	make_link(dir, "t31", "myboard");
	tu_run(&r, PROG, NULL, env_v, ARGS("-q", "--usb", "sim:t31", "boot", "t31"));
	expect_ok(&r);
	ck_assert_str_eq(r.out, "PRJ\n");
	tu_run_free(&r);
	/* a name that is not there: where it looked */
	tu_run(&r, PROG, NULL, env_v, ARGS("-q", "--usb", "sim:t31", "--board-dir", "nosuch",
					  "read", "--length", "4K"));
	tu_assert_one_error(&r, PROG, 2, "nosuch");
	ck_assert_msg(strstr(r.err, dir), "does not say it looked in %s: %s", dir, r.err);
	ck_assert_msg(strstr(r.err, "share/unbrick/ingenic"), "does not name the installed "
		      "directory: %s", r.err);
	ck_assert_uint_eq(r.outlen, 0);
	tu_run_free(&r);
	ingt_remove_tree(xdg);
}
END_TEST

/* board export prj008 -o FILE; ginfo, spl, uboot and that file write as the blobs do. */
START_TEST(exported_board_file_works_the_same)
{
	struct tu_run r;
	struct ingt_dev d1, d2;
	char top[64], set[128], ini[160];
	size_t len;
	char *text;

	if (!ingt.have)
		return;
	ingt_tmpdir(top, sizeof(top));
	snprintf(set, sizeof(set), "%s/cam", top);
	ck_assert_int_eq(mkdir(set, 0755), 0);
	snprintf(ini, sizeof(ini), "%s/board.ini", set);
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("board", "export", ingt.prj008, "-o", ini));
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, 0);
	tu_run_free(&r);
	/* without -o, the same text on stdout */
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("board", "export", ingt.prj008));
	expect_ok(&r);
	text = (char *)tu_read_file(ini, &len);
	ck_assert_uint_eq(r.outlen, len);
	ck_assert_msg(!memcmp(r.out, text, len), "board export -o differs from stdout");
	ck_assert_msg(strstr(text, "[partition rootfs]"), "%s", text);
	free(text);
	tu_run_free(&r);
	ingt_copy_file(ingt.prj008, "ginfo.bin", set);
	ingt_copy_file(ingt.prj008, "spl.bin", set);
	ingt_copy_file(ingt.prj008, "uboot.bin", set);
	ingt_copy_file(ingt.data, "spiflashinfo.cfg", top);  /* looked for in the set's parent */
	write_part(&r, &d1, "t31", ingt.prj008, ARGS("-q", "--erase", "partition"));
	expect_ok(&r);
	tu_run_free(&r);
	write_part(&r, &d2, "t31", set, ARGS("-q", "--erase", "partition"));
	expect_ok(&r);
	tu_run_free(&r);
	ck_assert_msg(tu_files_equal(d1.save, d2.save), "the board file writes otherwise");
	ck_assert_uint_eq(tu_stat(d1.stats, "erased_bytes"), tu_stat(d2.stats, "erased_bytes"));
	ingt_dev_free(&d1);
	ingt_dev_free(&d2);
	ingt_remove_tree(top);
}
END_TEST

/* The backup holds the old flash at [at, at + len): nothing more, nothing less. */
static void backup_is_old(const char *backup, size_t at, size_t len)
{
	size_t blen, olen;
	uint8_t *b = tu_read_file(backup, &blen);
	uint8_t *old = tu_read_file(ingt.old, &olen);

	ck_assert_msg(blen == len, "backup of %zu bytes, want %zu", blen, len);
	ck_assert_msg(!memcmp(b, old + at, len), "the backup is not the old flash at 0x%zx", at);
	free(b);
	free(old);
}

START_TEST(backup_holds_what_the_write_changes)
{
	/* prj008: 32 KiB erase blocks; rootfs from 0x2C0000 to the end */
	const size_t block = 0x8000, lo = INGT_PART_AT / block * block,
		     hi = (PART_END + block - 1) / block * block;
	struct tu_run r;
	struct ingt_dev d;
	char bk[64];

	if (!ingt.have)
		return;
	tu_tmpfile(bk, sizeof(bk));
	unlink(bk);
	write_part(&r, &d, "t31", ingt.prj008, ARGS("--erase", "range", "--backup", bk));
	expect_ok(&r);
	backup_is_old(bk, lo, hi - lo);
	flash_is(&d, INGT_PART_AT, INGT_PART_LEN, IMAGE, "the image");
	tu_run_free(&r);
	ingt_dev_free(&d);
	unlink(bk);
	write_part(&r, &d, "t31", ingt.prj008, ARGS("--erase", "partition", "--backup", bk));
	expect_ok(&r);
	backup_is_old(bk, 0x2C0000, INGT_FLASH - 0x2C0000);
	tu_run_free(&r);
	ingt_dev_free(&d);
	unlink(bk);
	/* the chip is erased at INIT, before anything could be read */
	write_part(&r, &d, "t31", ingt.prj008,
		   ARGS("--erase", "chip", "--force-bootloader", "--backup", bk));
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "--backup") && tu_count_lines(r.err) == 1, "%s", r.err);
	ck_assert_msg(ingt_untouched(&d), "the camera was touched");
	ck_assert_int_ne(access(bk, F_OK), 0);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

START_TEST(unknown_flash_id_is_a_warning)
{
	struct tu_run r;
	struct ingt_dev d;

	if (!ingt.have)
		return;
	ub(&r, ingt_dev_with_old(&d, "t31", "jedec=0x123456"), ingt.prj008,
	   ARGS("read", "--length", "64K", "-o", "-"));
	expect_ok(&r);
	ck_assert_msg(strstr(r.err, "warning") && strstr(r.err, "0x123456") &&
		      strstr(r.err, "spiflashinfo.cfg"), "no warning: %s", r.err);
	ck_assert_uint_eq(r.outlen, 64 * 1024);
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

/* Replace the first `from` in the text file at path by `to`. */
static void edit_file(const char *path, const char *from, const char *to)
{
	size_t len;
	char *text = (char *)tu_read_file(path, &len), *at = strstr(text, from);
	FILE *f;

	ck_assert_msg(at != NULL, "%s has no '%s'", path, from);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	ck_assert_int_eq(fclose(f), 0);
	free(text);
}

/* A board set of prj008's boot files and its exported board.ini, with from replaced by to. */
static void edited_set(char *top, size_t len, char *set, size_t setlen, const char *from,
		       const char *to)
{
	char ini[200];
	struct tu_run r;

	ingt_tmpdir(top, len);
	snprintf(set, setlen, "%s/cam", top);
	ck_assert_int_eq(mkdir(set, 0755), 0);
	snprintf(ini, sizeof(ini), "%s/board.ini", set);
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("board", "export", ingt.prj008, "-o", ini));
	expect_ok(&r);
	tu_run_free(&r);
	edit_file(ini, from, to);
	ingt_copy_file(ingt.prj008, "ginfo.bin", set);
	ingt_copy_file(ingt.prj008, "spl.bin", set);
	ingt_copy_file(ingt.prj008, "uboot.bin", set);
	ingt_copy_file(ingt.data, "spiflashinfo.cfg", top);
}

START_TEST(older_command_layout)
{
	struct tu_run r;
	struct ingt_dev d;
	char top[64], set[128];

	if (!ingt.have)
		return;
	edited_set(top, sizeof(top), set, sizeof(set), "\ncommand_layout = 64\n",
		   "\ncommand_layout = 32\n");
	/* a board file for the older build against a newer burner: caught, not written astray */
	write_part(&r, &d, "t31", set, ARGS("-q"));
	ck_assert_msg(r.status != 0, "a 32-bit command to a 64-bit burner passed: %s", r.err);
	ingt_dev_free(&d);
	tu_run_free(&r);
	/* a burner of the older build, and a board file that says so */
	ub(&r, ingt_dev_with_old(&d, "t31", "layout=32"), set,
	   ARGS("write", ingt.part, "--offset", INGT_PART_AT_S));
	expect_ok(&r);
	flash_is(&d, INGT_PART_AT, INGT_PART_LEN, IMAGE, "the image");
	flash_is(&d, PART_END, INGT_FLASH - PART_END, UNCHANGED, "after the image");
	tu_run_free(&r);
	ingt_dev_free(&d);
	/* the wrong pairing mis-addresses: the CRC comparison after the write says so */
	ub(&r, ingt_dev_with_old(&d, "t31", "layout=32"), ingt.prj008,
	   ARGS("write", ingt.part, "--offset", INGT_PART_AT_S));
	ck_assert_msg(r.status != 0, "a 64-bit command to a 32-bit burner passed: %s", r.err);
	tu_run_free(&r);
	ingt_dev_free(&d);
	ingt_remove_tree(top);
}
END_TEST

START_TEST(board_dir_from_a_config_profile)
{
	struct tu_run r;
	char conf[64], text[700];

	if (!ingt.have)
		return;
	snprintf(text, sizeof(text), "[board cam]\nboard-dir = %s\n", ingt.prj008);
	tu_text_file(conf, sizeof(conf), text);
	tu_run(&r, PROG, NULL, ingt_no_config, ARGS("-q", "-c", conf, "-b", "cam", "--usb",
						    "sim:t31", "read", "--length", "4K"));
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, 4096);
	tu_run_free(&r);
	unlink(conf);
}
END_TEST

/* ---- other chips, media and flashes ---- */

/* --gpio pokes the pin's registers from the ROM before booting (port B at 0xb0011000). */
START_TEST(gpio_from_the_rom)
{
	struct tu_run r;
	struct ingt_dev d;

	if (!ingt.have)
		return;
	ub(&r, ingt_dev_start(&d, "t31", ""), ingt.prj008,
	   ARGS("-q", "--gpio", "PB17=high", "boot", "t31"));
	expect_ok(&r);
	ck_assert_msg(tu_file_has(d.trace, "gpio poke 0xb0011") &&
		      tu_file_has(d.trace, "= 0x00020000"), "no poke of PB17");
	ck_assert_msg(!tu_file_has(d.trace, "gpio poke 0xb0010"), "a poke of port A");
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

static void read_matches(const char *model, const char *board, const char *flash,
			 const char *length, size_t n)
{
	struct tu_run r;
	char spec[256];
	size_t len;
	uint8_t *want;

	snprintf(spec, sizeof(spec), "sim:%s,image=%s", model, flash);
	ub(&r, spec, board, ARGS("-q", "read", "--length", length));
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, n);
	want = tu_read_file(flash, &len);
	ck_assert_msg(!memcmp(r.out, want, n), "%s: the read differs from the flash", model);
	free(want);
	tu_run_free(&r);
}

/* The vendor captures' board sets on their chips; the eMMC board reads its eMMC. */
START_TEST(other_boards_read)
{
	struct tu_run r;

	if (!ingt.have)
		return;
	read_matches("t20", ingt.t20, ingt.old, "1M", INGT_MIB);
	read_matches("t41", ingt.t41, ingt.old, "64K", 64 * 1024);
	ub(&r, "sim:t31", ingt.mmc0, ARGS("-q", "read", "--length", "4K"));
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, 4096);
	ck_assert_msg(r.out[0] == 0 && !memcmp(r.out, r.out + 1, r.outlen - 1),
		      "the eMMC (zeroed) was not read: the NOR was");
	tu_run_free(&r);
}
END_TEST

/*
 * A 32 MiB NOR on a board set made for a 16 MiB one: GET_FLASH_INFO's id
 * and spiflashinfo.cfg give its size (the man page: they replace the
 * board's), so all of it reads and writes.
 */
START_TEST(nor_above_16m)
{
	struct tu_run r;
	struct ingt_dev d;
	char big[64], more[128];
	size_t len;
	uint8_t *flash;

	if (!ingt.have)
		return;
	tu_tmpfile(big, sizeof(big));
	tu_random_file(big, 32 * INGT_MIB, 4);
	snprintf(more, sizeof(more), "flash=32M,jedec=0xef4019,image=%s", big);
	ub(&r, ingt_dev_start(&d, "t31", more), ingt.prj008,
	   ARGS("-q", "read", "--offset", "0x1800000", "--length", "64K"));
	expect_ok(&r);
	flash = tu_read_file(big, &len);
	ck_assert_uint_eq(r.outlen, 64 * 1024);
	ck_assert_msg(!memcmp(r.out, flash + 0x1800000, r.outlen), "the read above 16 MiB wraps");
	tu_run_free(&r);
	ingt_dev_free(&d);
	free(flash);
	ub(&r, ingt_dev_start(&d, "t31", more), ingt.prj008,
	   ARGS("-q", "write", ingt.part, "--offset", "0x1800000"));
	unlink(big);
	expect_ok(&r);
	ck_assert_msg(ingt_holds_part(&d, 0x1800000), "not written at 24 MiB");
	tu_run_free(&r);
	ingt_dev_free(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create(PROG);
	TCase *tc = tcase_create("end to end");

	tcase_add_unchecked_fixture(tc, shared_setup, ingt_remove_files);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, info_table);
	tcase_add_test(tc, list_and_detect);
	tcase_add_test(tc, boot_then_no_second_boot);
	tcase_add_test(tc, whole_flash_write_verify_read);
	tcase_add_test(tc, verify_names_the_first_bad_chunk);
	tcase_add_test(tc, erase_range_keeps_everything_else);
	tcase_add_test(tc, erase_partition_loses_the_partition);
	tcase_add_test(tc, erase_chip_needs_the_flag);
	tcase_add_test(tc, erase_chip_on_t41_warns);
	tcase_add_test(tc, write_and_verify_from_stdin);
	tcase_add_test(tc, second_run_writes_nothing);
	tcase_add_test(tc, read_never_erases);
	tcase_add_test(tc, reboot_forms);
	tcase_add_test(tc, board_dir_by_name);
	tcase_add_test(tc, exported_board_file_works_the_same);
	tcase_add_test(tc, board_dir_from_a_config_profile);
	tcase_add_test(tc, gpio_from_the_rom);
	tcase_add_test(tc, other_boards_read);
	tcase_add_test(tc, nor_above_16m);
	tcase_add_test(tc, backup_holds_what_the_write_changes);
	tcase_add_test(tc, unknown_flash_id_is_a_warning);
	tcase_add_test(tc, older_command_layout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
