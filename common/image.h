/* SPDX-License-Identifier: MIT */
/*
 * Image files: input from a file or stdin (spooled to a temporary file so its
 * size is known before anything touches the device), output to a file
 * (written beside it and renamed only on success) or to stdout (never to a
 * terminal).
 */
#ifndef UNBRICK_IMAGE_H
#define UNBRICK_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"

struct ub_input {
	FILE *f;
	uint64_t size;
	char name[256];  /* for messages; "stdin" for - */
};

/*
 * Open path ("-": stdin) of at most max bytes. Input that is no regular file
 * (stdin, a pipe, /dev/zero) is spooled to a temporary file and read no
 * further than max + 1 bytes; a larger regular file is refused unread. Both
 * give "NAME is larger than WHAT (MAX bytes)", status 2; what is e.g. "the
 * 2048 KiB flash" or "partition KERNEL". An empty image is refused too.
 */
int ub_input_open_max(const char *path, uint64_t max, const char *what,
		      struct ub_input *in, struct ub_err *err);
/* The same without a limit. */
int ub_input_open(const char *path, struct ub_input *in, struct ub_err *err);
/* Read exactly len bytes. */
int ub_input_read(struct ub_input *in, uint8_t *buf, size_t len, struct ub_err *err);
/* Back to the first byte (a retried transfer). */
int ub_input_rewind(struct ub_input *in, struct ub_err *err);
/* Safe on a closed or zeroed input, and twice. */
void ub_input_close(struct ub_input *in);

struct ub_output {
	FILE *f;
	int to_stdout;
	int in_place;      /* a device or FIFO, written directly */
	int replaces;      /* a regular file exists: its owner and mode are kept */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	char path[4096];   /* the file written: a symlink's target */
	char tmp[4096];    /* the temporary file beside it, until commit */
	char note[4224];   /* a line for the program to print (other hard links), or "" */
};

/*
 * path NULL or "-": stdout, refused when stdout is a terminal. Otherwise a
 * temporary file beside path (beside a symlink's target), renamed over it by
 * ub_output_commit: a new file is 0600 (dumps hold secrets), an existing one
 * keeps its mode and, where we may, its owner and group. A device or FIFO is
 * written in place.
 */
int ub_output_open(const char *path, struct ub_output *out, struct ub_err *err);
int ub_output_write(struct ub_output *out, const uint8_t *buf, size_t len,
		    struct ub_err *err);
/*
 * Flush, sync, rename into place and sync the directory: on return the data
 * is on the disk (a --backup taken before an erase). On failure the
 * temporary file is removed.
 */
int ub_output_commit(struct ub_output *out, struct ub_err *err);
/*
 * Drop a partial file (stdout: nothing to undo). Safe at any point: after a
 * failed open, after commit (which it leaves alone), and twice.
 */
void ub_output_abort(struct ub_output *out);

#endif
