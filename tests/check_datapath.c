/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datapath.h"
#include "testutil.h"

#ifndef UB_DATADIR
#define UB_DATADIR "/usr/share"
#endif

static const struct ub_vendor_file loader = {
	.what = "loader", .option = "--chip", .suffix = ".boot", .hint = "give -L FILE.boot",
};

/* A user's data home and an installed data directory, each with a gx/ of loaders. */
struct dirs {
	char top[64], xdg[128], xdg_gx[300], installed[160];
	struct ub_datapath dp;
};

static void touch(const char *dir, const char *file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	tu_write_file(path, "x", 1);
}

static void make_dirs(struct dirs *d, const char *const *user, const char *const *installed)
{
	struct ub_err err = { 0 };
	char path[256];

	snprintf(d->top, sizeof(d->top), "/tmp/unbrick-data-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->top));
	snprintf(d->xdg, sizeof(d->xdg), "%s/xdg", d->top);
	snprintf(path, sizeof(path), "%s/unbrick", d->xdg);
	snprintf(d->xdg_gx, sizeof(d->xdg_gx), "%s/gx", path);
	snprintf(d->installed, sizeof(d->installed), "%s/share/unbrick/gx", d->top);
	if (user) {
		ck_assert_int_eq(mkdir(d->xdg, 0700), 0);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		ck_assert_int_eq(mkdir(d->xdg_gx, 0700), 0);
		for (; *user; user++)
			touch(d->xdg_gx, *user);
	}
	if (installed) {
		snprintf(path, sizeof(path), "%s/share", d->top);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		snprintf(path, sizeof(path), "%s/share/unbrick", d->top);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		ck_assert_int_eq(mkdir(d->installed, 0700), 0);
		for (; *installed; installed++)
			touch(d->installed, *installed);
	}
	setenv("XDG_DATA_HOME", d->xdg, 1);
	ck_assert_int_eq(ub_datapath_init(&d->dp, "gx", NULL, &err), 0);
	ck_assert_int_eq(d->dp.n, 2);
	ck_assert_str_eq(d->dp.dirs[0], d->xdg_gx);
	/* UB_DATADIR is fixed at build time: stand a temporary one in for it. */
	snprintf(d->dp.dirs[1], sizeof(d->dp.dirs[1]), "%s", d->installed);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void free_dirs(struct dirs *d)
{
	ck_assert_int_eq(nftw(d->top, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* The file name picks, or "" after asserting nothing; the error in err. */
static const char *find(const struct ub_datapath *dp, const char *name, struct ub_err *err)
{
	static char path[4400];

	ub_err_clear(err);
	if (ub_datapath_find(dp, &loader, name, path, sizeof(path), err) < 0) {
		ck_assert_int_eq(err->status, UB_EUSAGE);
		return "";
	}
	return path;
}

static void assert_found(const struct dirs *d, const char *name, const char *dir, const char *file)
{
	struct ub_err err = { 0 };
	char want[512];

	snprintf(want, sizeof(want), "%s/%s", dir, file);
	ck_assert_msg(strcmp(find(&d->dp, name, &err), want) == 0, "'%s': %s", name,
		      err.msg[0] ? err.msg : "another file");
}

START_TEST(search_path)
{
	struct ub_datapath dp;
	struct ub_err err = { 0 };

	setenv("XDG_DATA_HOME", "/data/home", 1);
	setenv("HOME", "/home/someone", 1);
	ck_assert_int_eq(ub_datapath_init(&dp, "gx", NULL, &err), 0);
	ck_assert_int_eq(dp.n, 2);
	ck_assert_int_eq(dp.given, 0);
	ck_assert_str_eq(dp.dirs[0], "/data/home/unbrick/gx");
	ck_assert_str_eq(dp.dirs[1], UB_DATADIR "/unbrick/gx");

	unsetenv("XDG_DATA_HOME");
	ck_assert_int_eq(ub_datapath_init(&dp, "ecr", NULL, &err), 0);
	ck_assert_str_eq(dp.dirs[0], "/home/someone/.local/share/unbrick/ecr");
	setenv("XDG_DATA_HOME", "", 1);
	ck_assert_int_eq(ub_datapath_init(&dp, "ecr", NULL, &err), 0);
	ck_assert_str_eq(dp.dirs[0], "/home/someone/.local/share/unbrick/ecr");
	setenv("XDG_DATA_HOME", "relative/dir", 1);  /* ignored, as the XDG spec says */
	ck_assert_int_eq(ub_datapath_init(&dp, "ecr", NULL, &err), 0);
	ck_assert_str_eq(dp.dirs[0], "/home/someone/.local/share/unbrick/ecr");

	unsetenv("XDG_DATA_HOME");
	unsetenv("HOME");
	ck_assert_int_eq(ub_datapath_init(&dp, "gx", NULL, &err), 0);
	ck_assert_int_eq(dp.n, 1);
	ck_assert_str_eq(dp.dirs[0], UB_DATADIR "/unbrick/gx");

	ck_assert_int_eq(ub_datapath_init(&dp, "gx", "/opt/loaders", &err), 0);
	ck_assert_int_eq(dp.n, 1);
	ck_assert_int_eq(dp.given, 1);
	ck_assert_str_eq(dp.dirs[0], "/opt/loaders");
	ck_assert_int_eq(err.status, UB_OK);
}
END_TEST

static const char *const installed[] = {
	"gemini-6701-sflash-24M.boot", "gemini-6702H5-sflash-24M.boot", "cygnus-6705-sflash-24M.boot",
	"cygnus-6706H5-sflash-24M.boot", "sirius.boot", "taurus-3113U5.boot", "mytaurus.boot",
	"vega.boot.txt", "README", NULL,
};

/* The exact name, then NAME-..., then ...NAME...; a user's file hides an installed one. */
START_TEST(match_order)
{
	static const char *const user[] = { "sirius.boot", "vega-1.boot", ".hidden-vega.boot", NULL };
	struct dirs d = { 0 };

	make_dirs(&d, user, installed);
	assert_found(&d, "6702H5", d.installed, "gemini-6702H5-sflash-24M.boot");
	assert_found(&d, "gemini-6702H5", d.installed, "gemini-6702H5-sflash-24M.boot");
	assert_found(&d, "gemini-6702H5-sflash-24M.boot", d.installed, "gemini-6702H5-sflash-24M.boot");
	assert_found(&d, "sirius", d.xdg_gx, "sirius.boot");
	assert_found(&d, "sirius.boot", d.xdg_gx, "sirius.boot");
	assert_found(&d, "taurus", d.installed, "taurus-3113U5.boot");  /* NAME- beats ...NAME */
	assert_found(&d, "mytaur", d.installed, "mytaurus.boot");
	assert_found(&d, "vega", d.xdg_gx, "vega-1.boot");  /* not vega.boot.txt, not .hidden */
	free_dirs(&d);
}
END_TEST

/* Issue 8 item 11: --chip was case-sensitive, where partition names are not. */
START_TEST(names_ignore_case)
{
	static const char *const user[] = { "Sirius.BOOT", NULL };
	struct dirs d = { 0 };

	make_dirs(&d, user, installed);
	assert_found(&d, "GEMINI-6702h5", d.installed, "gemini-6702H5-sflash-24M.boot");
	assert_found(&d, "6702h5", d.installed, "gemini-6702H5-sflash-24M.boot");
	assert_found(&d, "Gemini-6701-SFLASH-24M.Boot", d.installed, "gemini-6701-sflash-24M.boot");
	assert_found(&d, "TAURUS", d.installed, "taurus-3113U5.boot");
	assert_found(&d, "sirius", d.xdg_gx, "Sirius.BOOT");  /* user's, though named otherwise */
	free_dirs(&d);
}
END_TEST

START_TEST(ambiguous_names_list_the_matches)
{
	static const char *const user[] = { "cygnus-mine.boot", "gemini.boot", NULL };
	struct dirs d = { 0 };
	struct ub_err err;
	char want[1024];

	make_dirs(&d, user, installed);
	ck_assert_str_eq(find(&d.dp, "CYGNUS", &err), "");
	snprintf(want, sizeof(want), "--chip 'CYGNUS' matches several loaders in %s or %s: cygnus-mine, "
		 "cygnus-6705-sflash-24M, cygnus-6706H5-sflash-24M; give more of the name",
		 d.xdg_gx, d.installed);
	ck_assert_str_eq(err.msg, want);
	assert_found(&d, "gemini", d.xdg_gx, "gemini.boot");  /* the exact name is no tie */
	ck_assert_str_eq(find(&d.dp, "sflash", &err), "");
	ck_assert_ptr_nonnull(strstr(err.msg, "matches several loaders"));
	free_dirs(&d);
}
END_TEST

/* An unknown name says where it looked, both directories, and what they hold. */
START_TEST(unknown_names_say_where_they_looked)
{
	static const char *const user[] = { "mine.boot", NULL };
	static const char *const few[] = { "a.boot", "b.boot", NULL };
	struct dirs d = { 0 };
	struct ub_err err;
	char want[1024];

	make_dirs(&d, user, few);
	ck_assert_str_eq(find(&d.dp, "gx6677", &err), "");
	snprintf(want, sizeof(want), "no loader for 'gx6677' in %s or %s (there: mine, a, b); "
		 "give -L FILE.boot", d.xdg_gx, d.installed);
	ck_assert_str_eq(err.msg, want);
	ck_assert_str_eq(find(&d.dp, "", &err), "");
	ck_assert_str_eq(err.msg, "--chip needs a name");
	memset(want, 'a', 300);
	want[300] = '\0';
	ck_assert_str_eq(find(&d.dp, want, &err), "");
	ck_assert_str_eq(err.msg, "--chip 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
			 "is too long for a file name");
	free_dirs(&d);

	make_dirs(&d, NULL, NULL);  /* neither directory exists: no error of its own */
	ck_assert_str_eq(find(&d.dp, "gemini", &err), "");
	snprintf(want, sizeof(want), "no loader for 'gemini' in %s or %s (none there); "
		 "give -L FILE.boot", d.xdg_gx, d.installed);
	ck_assert_str_eq(err.msg, want);
	free_dirs(&d);
}
END_TEST

START_TEST(long_listings_are_cut)
{
	static const char *const many[] = {
		"canopus-6631-NNECH1D-sflash-27M.boot", "canopus-6631SH1D-sflash-27M.boot",
		"canopus-6631SH5D-sflash-27M.boot", "cygnus-6705-sflash-24M.boot",
		"cygnus-6706H5-sflash-24M.boot", "cygnus-6706S5-sflash-24M.boot",
		"gemini-6701-sflash-24M.boot", "gemini-6702H5-sflash-24M.boot", NULL,
	};
	struct dirs d = { 0 };
	struct ub_err err;

	make_dirs(&d, NULL, many);
	ck_assert_str_eq(find(&d.dp, "nope", &err), "");
	ck_assert_ptr_nonnull(strstr(err.msg, "(there: canopus-6631-NNECH1D-sflash-27M, "));
	ck_assert_ptr_nonnull(strstr(err.msg, ", ...); give -L FILE.boot"));
	ck_assert_uint_lt(strlen(err.msg), sizeof(err.msg) - 1);
	free_dirs(&d);
}
END_TEST

/* --loader-dir: that directory alone, and one that cannot be read is an error. */
START_TEST(given_directory)
{
	struct ub_datapath dp;
	struct dirs d = { 0 };
	struct ub_err err = { 0 };

	make_dirs(&d, NULL, installed);
	ck_assert_int_eq(ub_datapath_init(&dp, "gx", d.installed, &err), 0);
	assert_found(&(struct dirs){ .dp = dp }, "6701", d.installed, "gemini-6701-sflash-24M.boot");
	ck_assert_int_eq(ub_datapath_init(&dp, "gx", "/nonexistent", &err), 0);
	ck_assert_str_eq(find(&dp, "6701", &err), "");
	ck_assert_str_eq(err.msg, "cannot read the loader directory /nonexistent: No such file or directory");
	free_dirs(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("datapath");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, search_path);
	tcase_add_test(tc, match_order);
	tcase_add_test(tc, names_ignore_case);
	tcase_add_test(tc, ambiguous_names_list_the_matches);
	tcase_add_test(tc, unknown_names_say_where_they_looked);
	tcase_add_test(tc, long_listings_are_cut);
	tcase_add_test(tc, given_directory);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
