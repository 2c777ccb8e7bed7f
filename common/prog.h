/* SPDX-License-Identifier: MIT */
/*
 * The skeleton every program shares: main's order of work, so that a program
 * file holds only its own options and its commands. It is the programs'
 * code, not the library's: the Makefile links it into each program, since it
 * prints --help and --version on stdout.
 *
 *   1. fds 0-2: any that is closed is opened on /dev/null, so that no device
 *      or file can take its number; a closed stdout is remembered.
 *   2. Options: the command line for -c/-b, the config file, then the command
 *      line again over it (the command line wins).
 *   3. --help, --version; the command, its argument count, the per-command
 *      options it was given, a closed stdout it would print to.
 *   4. The command's check(): everything that needs no device.
 *   5. SIGINT, SIGTERM and SIGHUP set s->stop (a second one kills).
 *   6. The program's connect(), the command's run(), then release(); one
 *      error line; the exit status (128 + the signal when stopped by one).
 */
#ifndef UNBRICK_PROG_H
#define UNBRICK_PROG_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "image.h"
#include "log.h"
#include "options.h"

struct ub_session;

enum ub_cmd_flags {
	UB_CMD_STDOUT = 1u << 0,  /* prints its result on stdout (text or JSON) */
};

struct ub_command {
	const char *name;
	const char *args;     /* for --help and the argument-count message, "" for none */
	const char *help;     /* one line */
	int min_args, max_args;
	const char *options;  /* the UB_OPT_PER_COMMAND options it takes: "offset length" */
	unsigned flags;       /* enum ub_cmd_flags */
	/* Everything that needs no device; NULL: nothing to check. */
	int (*check)(struct ub_session *s);
	int (*run)(struct ub_session *s);
};

struct ub_program {
	const char *name;
	const char *summary;                /* --help's second line */
	const struct ub_optset *options;    /* apply may be NULL when it has no options */
	const struct ub_command *commands;  /* ends with { NULL } */
	/* More of --help after the options (e.g. the backends); may be NULL. */
	void (*help_extra)(FILE *f);
	/* --version's text after "NAME VERSION"; may be NULL. */
	const char *(*version_extra)(void);
	/* Open the device for s->cmd, after every check; may be NULL. */
	int (*connect)(struct ub_session *s);
	/* Close what the program opened, always called; -1 with s->err on failure. */
	int (*release)(struct ub_session *s);
	/* Free the program's option values; may be NULL. */
	void (*free_options)(void *opts);
};

#define UB_MAX_GIVEN 64

struct ub_session {
	const struct ub_program *prog;
	const struct ub_command *cmd;
	void *opts;                   /* the program's option values */
	struct ub_common_opts common;
	struct ub_log log;
	struct ub_err err;
	volatile sig_atomic_t stop;   /* the signal that asked to stop; 0 while none */
	char **args;                  /* the command's arguments */
	int nargs;
	int given[UB_MAX_GIVEN];      /* ids of the options on the command line */
	int stdout_closed;            /* fd 1 was closed when the program started */
	char config_path[4096];       /* the config file read, "" for none */
	struct ub_input in;           /* the command's input image, when it has one */
	int in_open;
	struct ub_output out;         /* the command's output, when it has one */
	int out_open;
	struct ub_output backup;      /* --backup FILE */
	int backup_open;
};

/*
 * Run the program: the whole of main. s is zeroed by the caller except for
 * opts, which points at the program's option values with their defaults.
 */
int ub_prog_main(const struct ub_program *prog, struct ub_session *s, int argc, char **argv);

/*
 * A stop by a signal, told as the command's account of what was and was not
 * done: replaces the engine's "interrupted ..." in s->err (status UB_EINTR,
 * which the skeleton turns into 128 + the signal). Returns -1.
 */
int ub_session_stopped(struct ub_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Was the option with this id given on the command line? */
int ub_session_given(const struct ub_session *s, int id);

/*
 * Open the command's output before the device is touched: path, or stdout
 * when path is NULL or "-" (refused when stdout is a terminal, or was
 * closed when the program started).
 */
int ub_session_open_output(struct ub_session *s, const char *path);
/* Write to it; a sink for protocol reads (arg = the session). */
int ub_session_sink(void *session, const uint8_t *data, size_t len, struct ub_err *err);
/* Flush and rename it into place. */
int ub_session_commit_output(struct ub_session *s);

/*
 * Open the command's input image (path, or - for stdin), refused when larger
 * than max bytes (what names the limit for the message: "the 2048 KiB flash").
 */
int ub_session_open_input(struct ub_session *s, const char *path, uint64_t max, const char *what);
/* Read from it; a source for protocol writes (arg = the session). */
int ub_session_source(void *session, uint8_t *data, size_t len, struct ub_err *err);

/*
 * --backup FILE: open it in check(), before the device is touched; fill it
 * through the sink (arg = the session) with exactly the range a write will
 * change; commit it (written and synced) before the first erase.
 */
int ub_session_open_backup(struct ub_session *s, const char *path);
int ub_session_backup_sink(void *session, const uint8_t *data, size_t len, struct ub_err *err);
int ub_session_commit_backup(struct ub_session *s);

#endif
