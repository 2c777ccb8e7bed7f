/* SPDX-License-Identifier: MIT */
/*
 * RAM stubs: a small program the host uploads into the chip's SRAM (the
 * W800 read stub, the ECR6600 flasher stub). Loaded whole, and gunzipped
 * when the file is gzip, since peers ship them compressed
 * (../shared/notes/uart-chips.md §2.6, §3.6).
 */
#ifndef UNBRICK_STUB_H
#define UNBRICK_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ub_stub {
	uint8_t *data;
	size_t len;
	int gzipped;      /* the file was gzip */
	char name[256];   /* for messages: the path as given */
};

/*
 * Load path, gunzipped when it starts with the gzip magic. More than max
 * bytes (before or after gunzip), an empty stub, or a damaged gzip stream
 * are status 2 with the file named.
 */
int ub_stub_load(const char *path, size_t max, struct ub_stub *stub, struct ub_err *err);
/* Safe on a zeroed stub, and twice. */
void ub_stub_free(struct ub_stub *stub);

#endif
