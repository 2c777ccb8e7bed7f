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

#include "err.h"

struct ub_input {
	FILE *f;
	uint64_t size;
	char name[256];  /* for messages; "stdin" for - */
};

int ub_input_open(const char *path, struct ub_input *in, struct ub_err *err);
/* Read exactly len bytes. */
int ub_input_read(struct ub_input *in, uint8_t *buf, size_t len, struct ub_err *err);
void ub_input_close(struct ub_input *in);

struct ub_output {
	FILE *f;
	int to_stdout;
	int in_place;  /* a device or FIFO, written directly */
	char path[4096];
	char tmp[4096];
};

/* path NULL or "-": stdout, refused when stdout is a terminal. */
int ub_output_open(const char *path, struct ub_output *out, struct ub_err *err);
int ub_output_write(struct ub_output *out, const uint8_t *buf, size_t len,
		    struct ub_err *err);
/* Flush and rename into place. */
int ub_output_commit(struct ub_output *out, struct ub_err *err);
/* Drop a partial file (stdout: nothing to undo). */
void ub_output_abort(struct ub_output *out);

#endif
