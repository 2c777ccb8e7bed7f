/* SPDX-License-Identifier: MIT */
/* The option tables every program shares (common/options.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "testutil.h"

enum { OPT_PORT = 'p', OPT_DANGER = 300 };

struct values {
	char *port;
	int danger;
};

static int apply(void *ctx, int id, const char *arg, struct ub_err *err)
{
	struct values *v = ctx;

	if (id == OPT_PORT)
		return ub_opts_set_string(&v->port, arg, err);
	v->danger = 1;
	return 0;
}

static const struct ub_opt opts[] = {
	{ "port", 'p', "SPEC", OPT_PORT, 0, "the port" },
	{ "danger", 0, NULL, OPT_DANGER, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND, "one way" },
	{ NULL, 0, NULL, 0, 0, NULL },
};

static const struct ub_optset set = { "toy", UB_SHARE_RANGE | UB_SHARE_OUTPUT, opts, apply };

static int parse(char **argv, struct ub_common_opts *c, struct values *v, int *given,
		 struct ub_err *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return ub_opts_parse_args(&set, argc, argv, c, v, given, 8, err);
}

START_TEST(returns_the_command_index)
{
	char *argv[] = { "toy", "-p", "/dev/x", "-v", "read", "--offset", "010", "-o", "f", NULL };
	struct ub_common_opts c = { 0 };
	struct values v = { 0 };
	struct ub_err err = { 0 };
	int given[8] = { 0 };

	ck_assert_int_eq(parse(argv, &c, &v, given, &err), 8);
	ck_assert_str_eq(argv[8], "read");
	ck_assert_str_eq(v.port, "/dev/x");
	ck_assert_int_eq(c.verbosity, 1);
	ck_assert_uint_eq(c.offset, 10);
	ck_assert_str_eq(c.output, "f");
	ck_assert_int_eq(given[0], OPT_PORT);
	free(v.port);
	ub_common_opts_free(&c);
}
END_TEST

START_TEST(unknown_and_missing)
{
	char *a[] = { "toy", "--json", "read", NULL }, *b[] = { "toy", "read", "-p", NULL };
	struct ub_common_opts c = { 0 };
	struct values v = { 0 };
	struct ub_err err = { 0 };

	/* --json is shared, but this program did not take it. */
	ck_assert_int_eq(parse(a, &c, &v, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "unknown option '--json'; try 'toy --help'");
	ub_err_clear(&err);
	ck_assert_int_eq(parse(b, &c, &v, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "missing value for '-p'; try 'toy --help'");
	ub_common_opts_free(&c);
}
END_TEST

START_TEST(config_refuses_command_line_only_keys)
{
	static const char *const refused[] = { "danger", "offset", "length", "output", "config",
					       "board", "help", "version" };
	struct ub_common_opts c = { 0 };
	struct values v = { 0 };
	struct ub_err err = { 0 };
	char want[128];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ub_err_clear(&err);
		ck_assert_int_eq(ub_opts_config_key(&set, &c, &v, refused[i], "no", &err), -1);
		snprintf(want, sizeof(want), "'%s' can only be given on the command line", refused[i]);
		ck_assert_msg(strstr(err.msg, want), "%s", err.msg);
	}
	ck_assert_int_eq(v.danger, 0);
	ub_err_clear(&err);
	ck_assert_int_eq(ub_opts_config_key(&set, &c, &v, "port", "/dev/y", &err), 0);
	ck_assert_str_eq(v.port, "/dev/y");
	ck_assert_int_eq(ub_opts_config_key(&set, &c, &v, "quiet", "maybe", &err), -1);
	ck_assert_str_eq(err.msg, "key 'quiet' takes yes or no, not 'maybe'");
	free(v.port);
}
END_TEST

START_TEST(help_lists_program_then_shared_then_common)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ub_opts_print_options(&set, f);
	fclose(f);
	ck_assert_msg(strstr(text, "  -p, --port SPEC") < strstr(text, "--offset N"), "%s", text);
	ck_assert_msg(strstr(text, "--offset N") < strstr(text, "-c, --config FILE"), "%s", text);
	ck_assert_ptr_null(strstr(text, "--json"));
	ck_assert_ptr_null(strstr(text, "--backup"));
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, returns_the_command_index);
	tcase_add_test(tc, unknown_and_missing);
	tcase_add_test(tc, config_refuses_command_line_only_keys);
	tcase_add_test(tc, help_lists_program_then_shared_then_common);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
