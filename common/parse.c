/* SPDX-License-Identifier: MIT */
#include "parse.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum { NUM_OK = 0, NUM_BAD = -1, NUM_TOO_BIG = -2 };

static int digit_value(char c, unsigned base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decimal digits, or hex digits after "0x". Written out rather than strtoull,
 * which reads a leading zero as octal and accepts spaces and signs.
 */
static int parse_digits(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	unsigned base = 10;
	uint64_t v = 0;
	int too_big = 0, d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (digit_value(*s, base) < 0)
		return NUM_BAD;
	for (; (d = digit_value(*s, base)) >= 0; s++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			too_big = 1;
		else
			v = v * base + (uint64_t)d;
	}
	*sp = s;
	*out = v;
	return too_big ? NUM_TOO_BIG : NUM_OK;
}

/* A number, an optional k/M suffix of 1000 or 1024, then unit (or NULL). */
static int parse_scaled(const char *s, uint64_t kilo, const char *unit, uint64_t *out)
{
	uint64_t v, scale = 1;
	int rc;

	if (!s)
		return NUM_BAD;
	rc = parse_digits(&s, &v);
	if (rc == NUM_BAD)
		return rc;
	if (*s == 'k' || *s == 'K') {
		scale = kilo;
		s++;
	} else if (*s == 'm' || *s == 'M') {
		scale = kilo * kilo;
		s++;
	}
	if (unit && strcmp(s, unit) == 0)
		s += strlen(unit);
	if (*s)
		return NUM_BAD;
	if (rc == NUM_TOO_BIG || v > UINT64_MAX / scale)
		return NUM_TOO_BIG;
	*out = v * scale;
	return NUM_OK;
}

int ub_parse_u64(const char *s, uint64_t *out)
{
	return parse_scaled(s, 1024, NULL, out) == NUM_OK ? 0 : -1;
}

int ub_parse_hz(const char *s, uint64_t *out)
{
	return parse_scaled(s, 1000, "Hz", out) == NUM_OK ? 0 : -1;
}

/* What the user typed, for a message: printable, and short. */
static const char *shown(const char *s, char *buf, size_t cap)
{
	size_t i, n = strlen(s), keep = n < cap ? n : cap - 4;

	for (i = 0; i < keep; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	strcpy(buf + keep, keep < n ? "..." : "");
	return buf;
}

int ub_parse_size(const char *what, const char *s, uint64_t max, uint64_t *out,
		  struct ub_err *err)
{
	char text[48];
	uint64_t v;
	int rc = parse_scaled(s, 1024, NULL, &v);

	if (rc == NUM_BAD)
		return ub_fail(err, UB_EUSAGE, "bad %s '%s': use a number such as 0x11000, 4096 or "
			       "64K (suffixes: K = KiB, M = MiB)", what, shown(s ? s : "", text, sizeof(text)));
	if (rc == NUM_TOO_BIG || v > max)
		return ub_fail(err, UB_EUSAGE, "bad %s '%s': the largest is 0x%" PRIx64, what,
			       shown(s, text, sizeof(text)), max);
	*out = v;
	return 0;
}

static int copy_part(const char *from, size_t n, char *to, size_t size)
{
	if (n >= size)
		return -1;
	memcpy(to, from, n);
	to[n] = '\0';
	return 0;
}

int ub_kv_next(const char **cursor, char *key, size_t keylen,
	       char *value, size_t valuelen)
{
	const char *item = *cursor, *comma, *eq;
	size_t n;

	if (!item || !*item)
		return 0;
	comma = strchr(item, ',');
	n = comma ? (size_t)(comma - item) : strlen(item);
	*cursor = comma ? comma + 1 : item + n;
	if (n == 0)
		return -1;
	eq = memchr(item, '=', n);
	if (!eq)
		return copy_part(item, n, key, keylen) ? -1 :
		       (copy_part("", 0, value, valuelen) ? -1 : 1);
	if (eq == item)
		return -1;
	if (copy_part(item, (size_t)(eq - item), key, keylen) ||
	    copy_part(eq + 1, n - (size_t)(eq - item) - 1, value, valuelen))
		return -1;
	return 1;
}

int ub_spec_parse(const char *spec, struct ub_spec *out)
{
	char *colon, *comma;

	if (!spec || !*spec || strlen(spec) >= sizeof(out->buf))
		return -1;
	strcpy(out->buf, spec);
	out->name = out->buf;
	out->arg = "";
	out->opts = "";
	comma = strchr(out->buf, ',');
	colon = strchr(out->buf, ':');
	if (colon && (!comma || colon < comma)) {
		*colon = '\0';
		out->arg = colon + 1;
	}
	if (comma) {
		*comma = '\0';
		out->opts = comma + 1;
	}
	return *out->name ? 0 : -1;
}
