/* SPDX-License-Identifier: MIT */
/*
 * Option plumbing every program shares: getopt_long over the program's
 * table, and config keys (unbrick.conf(5)) that are its long option names.
 */
#ifndef UNBRICK_CLI_H
#define UNBRICK_CLI_H

#include <getopt.h>

#include "err.h"

struct ub_cli {
	const char *prog;
	const char *short_options;
	const struct option *long_options;
	/* Apply one option (its id from the table) to the program's options. */
	int (*apply)(void *opts, int id, const char *arg, struct ub_err *err);
};

/* Replace *slot with a copy of value. */
int ub_cli_set_string(char **slot, const char *value, struct ub_err *err);

/* Every option of argv, in order; options may follow the command. */
int ub_cli_parse_args(const struct ub_cli *cli, int argc, char **argv, void *opts,
		      struct ub_err *err);

/*
 * One config key: a long option name other than config, board, help and
 * version; flags take yes/no/true/false/1/0.
 */
int ub_cli_config_key(const struct ub_cli *cli, void *opts, const char *key,
		      const char *value, struct ub_err *err);

#endif
