/* SPDX-License-Identifier: MIT */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_scaled(const char *s, uint64_t *out, uint64_t k, uint64_t m,
			uint64_t g, const char *unit)
{
	char *end;
	unsigned long long v;
	uint64_t scale = 1;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': scale = k; end++; break;
	case 'm': case 'M': scale = m; end++; break;
	case 'g': case 'G': scale = g; end++; break;
	default: break;
	}
	if (unit && strcmp(end, unit) == 0)
		end += strlen(unit);
	if (*end)
		return -1;
	if (v > UINT64_MAX / scale)
		return -1;
	*out = v * scale;
	return 0;
}

int ub_parse_u64(const char *s, uint64_t *out)
{
	return parse_scaled(s, out, 1024, 1024 * 1024, 1024 * 1024 * 1024, NULL);
}

int ub_parse_hz(const char *s, uint64_t *out)
{
	return parse_scaled(s, out, 1000, 1000 * 1000, 1000 * 1000 * 1000, "Hz");
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
