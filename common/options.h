/* SPDX-License-Identifier: MIT */
/*
 * Option tables every program shares: one entry per option gives getopt its
 * long and short names, --help its line, and the config file its key (the
 * long name), unless the option may only come from the command line.
 */
#ifndef UNBRICK_OPTIONS_H
#define UNBRICK_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum ub_opt_flags {
	/*
	 * Never from a config file: one-way or dangerous flags (--irreversible,
	 * --force-bootloader, --all, --yes) and per-run arguments (--offset,
	 * --length, --output, --backup, --json).
	 */
	UB_OPT_CLI_ONLY = 1u << 0,
	/* Means something only for the commands that list it (struct ub_command). */
	UB_OPT_PER_COMMAND = 1u << 1,
};

struct ub_opt {
	const char *name;      /* long name, and the config key */
	int short_name;        /* 0 for none */
	const char *arg_name;  /* NULL: a flag; else the value's name in --help */
	int id;                /* passed to the program's apply(); >= 256 without a short name */
	unsigned flags;        /* enum ub_opt_flags */
	const char *help;      /* one line; continuation lines start with '\n' */
};

/*
 * The options every program has, and those a program takes by naming them
 * in struct ub_optset's shared (the same spelling and meaning everywhere).
 * Program option ids must not collide: use 'x' letters and 256..999.
 */
enum ub_common_opt {
	UB_OPT_CONFIG = 'c', UB_OPT_BOARD = 'b', UB_OPT_VERBOSE = 'v', UB_OPT_QUIET = 'q',
	UB_OPT_HELP = 'h', UB_OPT_VERSION = 'V', UB_OPT_OUTPUT = 'o', UB_OPT_PROGRESS = 1000,
	UB_OPT_JSON, UB_OPT_OFFSET, UB_OPT_LENGTH, UB_OPT_BACKUP, UB_OPT_FORCE_BOOTLOADER,
	UB_OPT_PORT = 'p', UB_OPT_RESET = 1010,
};

enum ub_shared_opt {
	UB_SHARE_JSON = 1u << 0,              /* --json, for the commands that list "json" */
	UB_SHARE_OUTPUT = 1u << 1,            /* -o FILE */
	UB_SHARE_RANGE = 1u << 2,             /* --offset N, --length N */
	UB_SHARE_BACKUP = 1u << 3,            /* --backup FILE */
	UB_SHARE_FORCE_BOOTLOADER = 1u << 4,  /* --force-bootloader */
	UB_SHARE_PORT = 1u << 5,              /* -p SPEC, --reset SEQ: the UART programs */
};

/* The common and shared options' values. */
struct ub_common_opts {
	char *config, *board;
	int verbosity, progress, help, version;
	int json, force_bootloader;
	char *output, *backup;
	char *port, *reset;
	uint64_t offset, length;
	int has_offset, has_length;
};

/* A program's options beside the common ones, and where their values go. */
struct ub_optset {
	const char *prog;
	unsigned shared;            /* enum ub_shared_opt */
	const struct ub_opt *opts;  /* ends with { NULL }; NULL for none */
	/* Apply one of opts (by id) to the program's option values. */
	int (*apply)(void *ctx, int id, const char *arg, struct ub_err *err);
};

/* The program's option (or a common one) with this long name or id; NULL if none. */
const struct ub_opt *ub_opts_find(const struct ub_optset *cli, const char *name);
const struct ub_opt *ub_opts_find_id(const struct ub_optset *cli, int id);

/* Replace *slot with a copy of value. */
int ub_opts_set_string(char **slot, const char *value, struct ub_err *err);

/*
 * Every option of argv, in order; options may follow the command. Common
 * options go to common, the rest to cli->apply(ctx). given (may be NULL)
 * collects the ids seen, up to max_given. Returns the index of the first
 * non-option argument, or -1.
 */
int ub_opts_parse_args(const struct ub_optset *cli, int argc, char **argv,
		      struct ub_common_opts *common, void *ctx, int *given, int max_given,
		      struct ub_err *err);

/*
 * One config key (unbrick.conf(5)): a long option name, other than config,
 * board, help, version and the command-line-only ones; flags take
 * yes/no/true/false/1/0.
 */
int ub_opts_config_key(const struct ub_optset *cli, struct ub_common_opts *common, void *ctx,
		      const char *key, const char *value, struct ub_err *err);

/* The Options section of --help: the program's options, then the common ones. */
void ub_opts_print_options(const struct ub_optset *cli, FILE *f);

void ub_common_opts_free(struct ub_common_opts *o);

#endif
