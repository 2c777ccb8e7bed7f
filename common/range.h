/* SPDX-License-Identifier: MIT */
/* Address ranges on a device: --offset/--length, and the checks before anything is changed. */
#ifndef UNBRICK_RANGE_H
#define UNBRICK_RANGE_H

#include <stdint.h>

#include "err.h"
#include "options.h"

/*
 * A range of len bytes at offset, for what (an image's name, "the erase
 * range"), must lie inside a size-byte flash.
 */
int ub_range_check(uint64_t offset, uint64_t len, uint64_t size, const char *what,
		   struct ub_err *err);

/*
 * --offset and --length against a size-byte flash: no --offset is 0, no
 * --length runs to the end; --length 0 is refused.
 */
int ub_range_from_opts(const struct ub_common_opts *o, uint64_t size, uint64_t *offset,
		       uint64_t *len, struct ub_err *err);

#endif
