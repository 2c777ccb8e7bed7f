/* SPDX-License-Identifier: MIT */
/*
 * Small helpers the emulators share (and only they: the host code has its
 * own): error text, splitmix64, hex digits, and the files an emulator
 * writes when it stops (save=, stats=, ...).
 */
#ifndef UNBRICK_SIM_SIMFILE_H
#define UNBRICK_SIM_SIMFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void sim_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A model table's names, for lookups and messages: name_at(i) is the i-th
 * model's name, NULL past the end. sim_find_name gives the index of name,
 * or -1; sim_join_names writes them ", "-separated into buf and returns it.
 */
typedef const char *(*sim_name_at)(size_t i);
long sim_find_name(sim_name_at name_at, const char *name);
char *sim_join_names(sim_name_at name_at, char *buf, size_t len);

/* splitmix64: the next number from *state. */
uint64_t sim_random(uint64_t *state);

/* 0..15, or -1 for a non-hex character. */
int sim_hex_digit(char c);

/* Replace *dst with a copy of val (an option's path); model names messages. */
int sim_set_path(char **dst, const char *model, const char *key, const char *val,
		 char *err, size_t errlen);

int sim_write_full(int fd, const uint8_t *buf, size_t n);

/*
 * trace= and rx=: open (or reopen) the log the option names; messages name
 * "MODEL sim: KEY=PATH".
 */
int sim_open_log(FILE **f, const char *model, const char *key, const char *path,
		 char *err, size_t errlen);

/* One trace= line (a newline is added), flushed at once; nothing when f is NULL. */
void sim_trace(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Write a file through fill(ctx, fd): a temporary file beside path, then
 * rename; a device or FIFO is written in place. Messages name "MODEL sim:
 * KEY=PATH".
 */
int sim_write_file(const char *model, const char *key, const char *path,
		   int (*fill)(const void *ctx, int fd), const void *ctx,
		   char *err, size_t errlen);

/*
 * An emulator's options: the spec after "MODEL,", each key=value (or a bare
 * key for a flag) applied through the table. Unknown keys, a missing value
 * and a malformed list are refused, naming the header that documents them.
 */
typedef int (*sim_option_fn)(void *model, const char *key, const char *value, char *err,
			     size_t errlen);
struct sim_option {
	const char *key;
	int has_value;  /* 1: needs one; 0: a flag, whose value is optional */
	sim_option_fn apply;
};
int sim_parse_options(const char *model, const char *header, const char *opts,
		      const struct sim_option *defs, size_t ndefs, void *m, char *err,
		      size_t errlen);

/*
 * stats=: "name value" lines, one per uint64_t counter of the model's stats
 * struct, named by the table (SIM_STAT(struct type, field)).
 */
struct sim_stat {
	const char *name;
	size_t offset;
};
#define SIM_STAT(type, field) { #field, offsetof(type, field) }
int sim_write_stats(const char *model, const char *path, const void *stats,
		    const struct sim_stat *fields, size_t nfields, char *err, size_t errlen);

#endif
