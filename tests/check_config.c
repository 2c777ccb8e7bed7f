/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

struct seen {
	char log[512];
};

static int record(void *ctx, const char *key, const char *value, struct ub_err *err)
{
	struct seen *s = ctx;

	if (strcmp(key, "bogus") == 0)
		return ub_fail(err, UB_EUSAGE, "unknown key '%s'", key);
	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "%s=%s;", key, value);
	return 0;
}

static const char sample[] =
	"; example\n"
	"[beken-spi]\n"
	"speed = 1M\n"
	"\n"
	"[board pi]\n"
	"spi = spidev:/dev/spidev0.0\n"
	"cen = GPIO22\n"
	"\n"
	"[board broken]\n"
	"bogus = 1\n";

START_TEST(program_then_board)
{
	char path[64], used[256];
	struct seen s = { "" };
	struct ub_err err = { 0 };

	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, sample, strlen(sample));
	ck_assert_int_eq(ub_conf_load(path, "beken-spi", "pi", record, &s, used, sizeof(used), &err), 0);
	ck_assert_str_eq(s.log, "speed=1M;spi=spidev:/dev/spidev0.0;cen=GPIO22;");
	ck_assert_str_eq(used, path);
	unlink(path);
}
END_TEST

START_TEST(errors_name_file_and_line)
{
	char path[64], used[256];
	struct seen s = { "" };
	struct ub_err err = { 0 };
	char want[128];

	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, sample, strlen(sample));
	ck_assert_int_eq(ub_conf_load(path, "beken-spi", "broken", record, &s, used, sizeof(used), &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	snprintf(want, sizeof(want), "%s:10: unknown key 'bogus'", path);
	ck_assert_str_eq(err.msg, want);

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ub_conf_load(path, "beken-spi", "nosuch", record, &s, used, sizeof(used), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no [board nosuch]"));

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ub_conf_load("/nonexistent/unbrick.conf", "beken-spi", NULL, record, &s,
				      used, sizeof(used), &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/unbrick.conf"));
	unlink(path);
}
END_TEST

START_TEST(syntax_error)
{
	char path[64], used[256];
	struct seen s = { "" };
	struct ub_err err = { 0 };
	static const char text[] = "[beken-spi]\nspeed = 1M\nthis line is not ini\n";

	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, text, strlen(text));
	ck_assert_int_eq(ub_conf_load(path, "beken-spi", NULL, record, &s, used, sizeof(used), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, ":3: syntax error"));
	unlink(path);
}
END_TEST

START_TEST(overlong_line)
{
	char path[64], used[256], text[400];
	struct seen s = { "" };
	struct ub_err err = { 0 };

	snprintf(text, sizeof(text), "[beken-spi]\nspi = sim:bk7231n,image=/%0250d\n", 0);
	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, text, strlen(text));
	ck_assert_int_eq(ub_conf_load(path, "beken-spi", NULL, record, &s, used, sizeof(used), &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_msg(strstr(err.msg, ":2: line longer than 198 characters"), "%s", err.msg);
	ck_assert_str_eq(s.log, "");
	unlink(path);
}
END_TEST

START_TEST(xdg_search)
{
	char dir[] = "/tmp/unbrick-xdg-XXXXXX", sub[128], path[160], used[256];
	struct seen s = { "" };
	struct ub_err err = { 0 };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/unbrick", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/unbrick.conf", sub);
	tu_write_file(path, sample, strlen(sample));
	setenv("XDG_CONFIG_HOME", dir, 1);
	ck_assert_int_eq(ub_conf_load(NULL, "beken-spi", "pi", record, &s, used, sizeof(used), &err), 0);
	ck_assert_str_eq(used, path);
	ck_assert_ptr_nonnull(strstr(s.log, "cen=GPIO22"));
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}
END_TEST

START_TEST(no_file_no_board_is_fine)
{
	char used[256];
	struct seen s = { "" };
	struct ub_err err = { 0 };

	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	if (access(UB_SYSCONFDIR "/unbrick/unbrick.conf", F_OK) == 0)
		return;  /* a system config is installed here */
	ck_assert_int_eq(ub_conf_load(NULL, "beken-spi", NULL, record, &s, used, sizeof(used), &err), 0);
	ck_assert_str_eq(used, "");
	ck_assert_int_eq(ub_conf_load(NULL, "beken-spi", "pi", record, &s, used, sizeof(used), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no config file for board 'pi'"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, program_then_board);
	tcase_add_test(tc, errors_name_file_and_line);
	tcase_add_test(tc, syntax_error);
	tcase_add_test(tc, overlong_line);
	tcase_add_test(tc, xdg_search);
	tcase_add_test(tc, no_file_no_board_is_fine);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
