/* SPDX-License-Identifier: MIT */
/* Numbers, sizes and spec strings ("name[:arg][,key=value...]"). */
#ifndef UNBRICK_PARSE_H
#define UNBRICK_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse an unsigned number: decimal, 0x hex, with an optional K/M/G suffix
 * (KiB, MiB, GiB; "k"/"m" too). The whole string must be used.
 * Returns 0, or -1 on malformed input or overflow.
 */
int ub_parse_u64(const char *s, uint64_t *out);

/* Same, but a frequency: K/M mean kHz/MHz (1000-based); "Hz" may follow. */
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
