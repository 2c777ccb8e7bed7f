/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int ub_cli_set_string(char **slot, const char *value, struct ub_err *err)
{
	char *copy = strdup(value);

	if (!copy)
		return ub_fail(err, UB_EFAIL, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

/* getopt says '?' for both; optopt names a known option only when its value is missing. */
static int missing_value(const struct ub_cli *cli, int c)
{
	return c == ':' || (optopt > 255 || (optopt > 0 && strchr(cli->short_options, optopt)));
}

int ub_cli_parse_args(const struct ub_cli *cli, int argc, char **argv, void *opts,
		      struct ub_err *err)
{
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, cli->short_options, cli->long_options, NULL)) != -1) {
		if (c == '?' || c == ':')
			return ub_fail(err, UB_EUSAGE, "%s '%s'; try '%s --help'",
				       missing_value(cli, c) ? "missing value for" : "unknown option",
				       argv[optind - 1], cli->prog);
		if (cli->apply(opts, c, optarg, err))
			return -1;
	}
	return 0;
}

static int command_line_only(const char *name)
{
	return !strcmp(name, "config") || !strcmp(name, "board") || !strcmp(name, "help") ||
	       !strcmp(name, "version");
}

int ub_cli_config_key(const struct ub_cli *cli, void *opts, const char *key,
		      const char *value, struct ub_err *err)
{
	const struct option *opt;

	for (opt = cli->long_options; opt->name; opt++)
		if (strcmp(opt->name, key) == 0)
			break;
	if (!opt->name || command_line_only(opt->name))
		return ub_fail(err, UB_EUSAGE, "unknown key '%s' for %s", key, cli->prog);
	if (opt->has_arg == no_argument) {
		if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
			return 0;
		if (strcmp(value, "yes") && strcmp(value, "true") && strcmp(value, "1"))
			return ub_fail(err, UB_EUSAGE, "key '%s' takes yes or no, not '%s'", key, value);
	}
	return cli->apply(opts, opt->val, value, err);
}
