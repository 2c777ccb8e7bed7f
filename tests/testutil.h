/* SPDX-License-Identifier: MIT */
/* Helpers for the Check suites: run a program, files, the shared test data. */
#ifndef UNBRICK_TESTUTIL_H
#define UNBRICK_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* Run a suite and free it; the exit status for main. */
int tu_main(Suite *s);

struct tu_run {
	int status;     /* exit status, or 128+signal */
	char *out;      /* stdout, NUL-terminated (binary safe with outlen) */
	size_t outlen;
	char *err;      /* stderr, NUL-terminated */
};

/*
 * Run build/PROGRAM with argv (NULL-terminated, without argv[0]), stdin from
 * stdin_path (NULL: /dev/null), in the project root. Extra environment
 * assignments "NAME=value" may be given in env (NULL-terminated or NULL).
 */
void tu_run(struct tu_run *r, const char *program, const char *stdin_path,
	    const char *const *env, const char *const *argv);
/* The same with fd 1 closed, as `PROGRAM ... >&-` runs it (out stays empty). */
void tu_run_stdout_closed(struct tu_run *r, const char *program, const char *const *env,
			  const char *const *argv);
void tu_run_free(struct tu_run *r);

/*
 * The programs under test are in $UB_TEST_BINDIR when it is set (installed
 * tests), else in the build directory.
 */
const char *tu_bindir(void);
/*
 * Replace this process with the program at path; args[0] is its name. With
 * $UB_TEST_RUNNER set (e.g. "qemu-aarch64-static -L /", split at spaces)
 * the program runs under it, as the cross-built suites do under qemu-user
 * (scripts/check-cross). Returns only when the exec failed.
 */
void tu_exec(const char *path, const char *const *args);

/*
 * A directory to put first in PATH for a shell that runs the programs under
 * test: tu_bindir(), or with $UB_TEST_RUNNER set a new one of scripts that
 * run each program through it. tu_path_dir_free removes that one.
 */
const char *tu_path_dir(char *buf, size_t len);
void tu_path_dir_free(const char *dir);

/*
 * qemu-user runs the suites: $UB_TEST_RUNNER names qemu. It lacks some
 * ioctls (termios2, the high Bnnn codes, spidev), so a case that needs one
 * calls tu_skip_under_qemu, which there prints one line "skipped under
 * qemu-user: TEST: WHY" on stderr (scripts/check-cross counts them) and
 * returns 1; elsewhere it returns 0.
 */
int tu_under_qemu(void);
int tu_skip_under_qemu(const char *test, const char *why);
/*
 * Real-time waits are multiplied by this: $UB_TEST_TIME_SCALE, else 10
 * under qemu-user (it runs the programs several times slower), else 1.
 */
int tu_time_scale(void);

/* The same in two halves: start it, then (after poking it) wait for it. */
struct tu_child {
	int pid, out, err;
};
void tu_spawn(struct tu_child *c, const char *program, const char *const *env,
	      const char *const *argv);
void tu_wait(struct tu_child *c, struct tu_run *r);

/* Path of a file in ../shared/data, or NULL after printing a skip note. */
const char *tu_shared(const char *rel, char *buf, size_t len);

/* A new empty temporary file (path in buf). */
void tu_tmpfile(char *buf, size_t len);
void tu_write_file(const char *path, const void *data, size_t len);
/* A new temporary file holding text (a config file, say); path in buf. */
void tu_text_file(char *buf, size_t len, const char *text);
/*
 * Append args to argv from index n, "@IMAGE" replaced by image, and end it
 * with NULL; returns the new count. The hostile cases' tables use it.
 */
int tu_append_args(const char **argv, int n, const char *const *args, const char *image);
/* Whole file, malloc'd; *len gets its size. Fails the test if unreadable. */
uint8_t *tu_read_file(const char *path, size_t *len);
int tu_files_equal(const char *a, const char *b);

/* A "name value" line of an emulator stats file; fails the test if absent. */
uint64_t tu_stat(const char *stats_path, const char *name);

/*
 * A private mount namespace with an empty tmpfs on /sys (root only), so
 * libiio's local backend sees only the devices a test makes; 0 or an errno.
 * Programs the test then runs inherit it.
 */
int tu_private_sysfs(void);
/* Write text to /sys/bus/iio/devices/DEV/FILE of that fake sysfs. */
void tu_iio_put(const char *dev, const char *file, const char *text);

/*
 * The bytes of a packet capture (../shared/data/gx/packets/NAME.txt: a header,
 * a blank line, then space-separated hex). malloc'd; fails the test if unreadable.
 */
uint8_t *tu_read_capture(const char *path, size_t *len);

/* A man page's text with roff's \- and font changes taken out; malloc'd. */
char *tu_read_man_page(const char *path);

/* The run failed with status and one stderr line "PROGRAM: ...TEXT...". */
void tu_assert_one_error(const struct tu_run *r, const char *program, int status, const char *text);

/* Count lines in s. */
int tu_count_lines(const char *s);

/* An emulator as a process of its own (build/uart-sim SPEC) on a pty, which outlives runs. */
struct tu_sim {
	struct tu_child child;
	char path[256];         /* the pty for -p */
};
void tu_sim_start(struct tu_sim *sim, const char *spec);
/* Stop it (SIGTERM), which writes its files; fails the test if it did not exit 0. */
void tu_sim_stop(struct tu_sim *sim);

/* Files an emulator writes (trace=, stats=). */
int tu_file_has(const char *path, const char *text);
/*
 * Wait until the file has text (up to 10 s times tu_time_scale(); a trace is
 * written as the device runs).
 */
void tu_wait_for_text(const char *path, const char *text);
int tu_count_lines_starting(const char *path, const char *prefix);

/* A file of len pseudo-random bytes, the same for the same seed. */
void tu_random_file(const char *path, size_t len, unsigned seed);

/* A fresh directory with a name in it for -o: what a run leaves there shows. */
struct tu_outdir {
	char dir[32], out[64];
};
void tu_outdir_make(struct tu_outdir *o, const char *name);
int tu_dir_is_empty(const char *path);

/* The cases of a corpus: each test with its number of variants (a table's rows), or 1. */
struct tu_case {
	const TTest *const *test;
	int variants;
};
void tu_add_cases(TCase *tc, const struct tu_case *cases, size_t n);
/*
 * main() of a hostile corpus: suite "name" with one case "corpus" (60 s a
 * test) of the cases, setup and teardown its unchecked fixture (or NULL);
 * runs it and returns main's exit status.
 */
int tu_corpus_main(const char *name, const struct tu_case *cases, size_t n, SFun setup,
		   SFun teardown);

#endif
