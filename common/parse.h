/* SPDX-License-Identifier: MIT */
/* Numbers, sizes and spec strings ("name[:arg][,key=value...]"). */
#ifndef UNBRICK_PARSE_H
#define UNBRICK_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Parse an unsigned number: decimal (a leading zero is still decimal, never
 * octal) or 0x hex, with an optional K or M suffix (KiB, MiB; "k"/"m" too).
 * The whole string must be used: no sign, no spaces.
 * Returns 0, or -1 on malformed input or overflow.
 */
int ub_parse_u64(const char *s, uint64_t *out);

/*
 * The same for a size or an address that the user gave as option or
 * argument `what` ("--offset", "size"): on failure (exit status 2) err holds
 * the whole message, e.g. "bad --offset '4G': use a number such as 0x11000,
 * 4096 or 64K (suffixes: K = KiB, M = MiB)", or for a number above max
 * "bad --offset '5000M': the largest is 0xffffffff".
 */
int ub_parse_size(const char *what, const char *s, uint64_t max, uint64_t *out,
		  struct ub_err *err);

/* A frequency: the same numbers, K/M mean kHz/MHz (1000-based); "Hz" may follow. */
int ub_parse_hz(const char *s, uint64_t *out);

/*
 * Walk a comma-separated "key=value" list. *cursor starts at the list and
 * advances; key and value are copied (NUL-terminated, truncated to their
 * sizes); a bare "key" gives an empty value. Returns 1 for an item, 0 at
 * the end, -1 for an empty item or one too long for the buffers.
 */
int ub_kv_next(const char **cursor, char *key, size_t keylen,
	       char *value, size_t valuelen);

/*
 * A backend spec: "name[:arg][,key=value...]". name is what comes before the
 * first ':' or ','; arg runs to the first ','; opts is the rest (without the
 * leading comma) or "". Strings point into buf, a copy of the spec.
 */
struct ub_spec {
	char buf[512];
	const char *name;
	const char *arg;   /* "" when absent */
	const char *opts;  /* "" when absent */
};
int ub_spec_parse(const char *spec, struct ub_spec *out);

#endif
