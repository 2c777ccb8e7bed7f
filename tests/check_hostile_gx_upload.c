/* SPDX-License-Identifier: MIT */
/*
 * The hostile-user corpus for gx-upload (see check_hostile_beken_spi.c):
 * each case checks the exit status, the one error line, and what the box saw.
 * The box is the GX emulator behind -p sim:gx; its rx= file holds every byte
 * the host sent, and stays empty when the program stopped before the port.
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

static int box_saw_nothing(const struct hbox *b)
{
	struct stat st;

	return stat(b->box.rx, &st) != 0 || st.st_size == 0;
}

static void gx(struct tu_run *r, struct hbox *b, const char *stdin_path, const char *const *args)
{
	const char *argv[32] = { "-p", b->spec, "-q", "-L", gxt_loader };
	int n = 5;

	for (int i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	tu_run(r, "gx-upload", stdin_path, no_config, argv);
}

static void assert_error(const struct tu_run *r, int status, const char *msg)
{
	ck_assert_msg(r->status == status, "exit %d, want %d: %s", r->status, status, r->err);
	ck_assert_msg(strstr(r->err, msg), "stderr lacks '%s': %s", msg, r->err);
	ck_assert_msg(tu_count_lines(r->err) == 1, "not one line: %s", r->err);
	ck_assert_msg(!strncmp(r->err, "gx-upload: ", 11), "%s", r->err);
}

/* ---- 1: a closed stdout ---- */

START_TEST(dump_to_closed_stdout_is_refused)
{
	struct hbox b;
	struct tu_run r;

	hbox_start(&b);
	tu_run_stdout_closed(&r, "gx-upload", no_config,
			     ARGS("-p", b.spec, "-L", gxt_loader, "dump", "0", "64"));
	assert_error(&r, 2, "stdout is closed; give -o FILE");
	ck_assert_msg(box_saw_nothing(&b), "bytes reached the box");
	tu_run_free(&r);
	tu_run_stdout_closed(&r, "gx-upload", no_config, ARGS("-p", b.spec, "-L", gxt_loader, "info"));
	assert_error(&r, 2, "stdout is closed, and info prints its result there");
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
	tu_tmpfile(conf, sizeof(conf));
	tu_write_file(conf, cc->text, strlen(cc->text));
	argv[n++] = "-c";
	argv[n++] = conf;
	for (int i = 0; cc->args[i]; i++)
		argv[n++] = strcmp(cc->args[i], "@IMAGE") ? cc->args[i] : image;
	argv[n] = NULL;
	gx(&r, &b, NULL, argv);
	snprintf(want, sizeof(want), "%s%s", conf, cc->message);
	assert_error(&r, 2, want);
	ck_assert_msg(box_saw_nothing(&b), "bytes reached the box");
	tu_run_free(&r);
	unlink(conf);
	unlink(image);
	gxt_box_free(&b.box);
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
	assert_error(&r, 2, "/dev/zero is larger than");
	ck_assert_msg(time(NULL) - t0 < 30, "took %ld s", (long)(time(NULL) - t0));
	ck_assert_msg(box_saw_nothing(&b), "bytes reached the box");
	tu_run_free(&r);
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
	assert_error(&r, 2, ec->message);
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
	assert_error(&r, 1, "/dev/full");
	tu_run_free(&r);
	ck_assert_msg(!gxt_flash_differs_from(b.box.save, gxt_flash, 0x310000, sizeof(img)),
		      "the flash changed after a failed backup");
	gxt_box_free(&b.box);
	free(flash);
	unlink(bak);
	unlink(image);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hostile-gx-upload");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, gxt_make_files, gxt_remove_files);
	tcase_add_test(tc, dump_to_closed_stdout_is_refused);
	tcase_add_loop_test(tc, config_cannot_unlock, 0, sizeof(config_cases) / sizeof(config_cases[0]));
	tcase_add_test(tc, leading_zero_is_decimal);
	tcase_add_test(tc, endless_input_stops);
	tcase_add_loop_test(tc, refused_before_the_box, 0, sizeof(early_cases) / sizeof(early_cases[0]));
	tcase_add_test(tc, backup_holds_what_the_write_changes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
