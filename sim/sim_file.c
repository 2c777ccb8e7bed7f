/* SPDX-License-Identifier: MIT */
/* Built outside the Makefile too (scripts/vm-test), so it asks for its own feature set. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sim_file.h"

#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void sim_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

long sim_find_name(sim_name_at name_at, const char *name)
{
	const char *n;

	for (size_t i = 0; (n = name_at(i)) != NULL; i++)
		if (strcmp(n, name) == 0)
			return (long)i;
	return -1;
}

char *sim_join_names(sim_name_at name_at, char *buf, size_t len)
{
	size_t used = 0;
	const char *n;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; (n = name_at(i)) != NULL && used < len; i++) {
		int k = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", n);

		if (k < 0)
			break;
		used += (size_t)k;
	}
	return buf;
}

uint64_t sim_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

int sim_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sim_set_path(char **dst, const char *model, const char *key, const char *val,
		 char *err, size_t errlen)
{
	char *copy = strdup(val);

	if (!copy) {
		sim_set_err(err, errlen, "%s sim: %s=: out of memory", model, key);
		return -1;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

int sim_write_full(int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t r = write(fd, buf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_in_place(const char *model, const char *key, const char *path,
			  int (*fill)(const void *ctx, int fd), const void *ctx,
			  char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		sim_set_err(err, errlen, "%s sim: %s=%s: %s", model, key, path, strerror(errno));
		return -1;
	}
	rc = fill(ctx, fd);
	if (close(fd) || rc) {
		sim_set_err(err, errlen, "%s sim: %s=%s: write failed", model, key, path);
		return -1;
	}
	return 0;
}

int sim_write_file(const char *model, const char *key, const char *path,
		   int (*fill)(const void *ctx, int fd), const void *ctx,
		   char *err, size_t errlen)
{
	size_t n = strlen(path) + sizeof(".XXXXXX");
	struct stat st;
	char *tmp;
	int fd, rc = -1;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return write_in_place(model, key, path, fill, ctx, err, errlen);
	tmp = malloc(n);
	if (!tmp) {
		sim_set_err(err, errlen, "%s sim: %s=%s: out of memory", model, key, path);
		return -1;
	}
	snprintf(tmp, n, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		sim_set_err(err, errlen, "%s sim: %s=%s: %s", model, key, path, strerror(errno));
		free(tmp);
		return -1;
	}
	errno = 0;
	if (fill(ctx, fd) == 0 && fchmod(fd, 0644) == 0)
		rc = 0;
	if (close(fd))
		rc = -1;
	if (rc == 0 && rename(tmp, path))
		rc = -1;
	if (rc) {
		sim_set_err(err, errlen, "%s sim: %s=%s: %s", model, key, path,
			    errno ? strerror(errno) : "write failed");
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

int sim_open_log(FILE **f, const char *model, const char *key, const char *path,
		 char *err, size_t errlen)
{
	if (*f)
		fclose(*f);
	*f = fopen(path, "we");
	if (!*f) {
		sim_set_err(err, errlen, "%s sim: %s=%s: %s", model, key, path, strerror(errno));
		return -1;
	}
	return 0;
}

void sim_trace(FILE *f, const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

int sim_parse_options(const char *model, const char *header, const char *opts,
		      const struct sim_option *defs, size_t ndefs, void *m, char *err,
		      size_t errlen)
{
	const char *cursor = opts;
	char key[32], val[PATH_MAX];
	int rc;

	while ((rc = ub_kv_next(&cursor, key, sizeof(key), val, sizeof(val))) > 0) {
		const struct sim_option *d = NULL;

		for (size_t i = 0; i < ndefs && !d; i++)
			if (strcmp(defs[i].key, key) == 0)
				d = &defs[i];
		if (!d) {
			sim_set_err(err, errlen, "%s sim: unknown option '%s' (see %s)", model, key,
				    header);
			return -1;
		}
		if (d->has_value && !*val) {
			sim_set_err(err, errlen, "%s sim: option %s needs a value (%s=...)", model, key,
				    key);
			return -1;
		}
		if (d->apply(m, key, val, err, errlen))
			return -1;
	}
	if (rc < 0) {
		sim_set_err(err, errlen, "%s sim: malformed option list '%s' (empty item or too long)",
			    model, opts);
		return -1;
	}
	return 0;
}

struct stats_file {
	const void *stats;
	const struct sim_stat *fields;
	size_t nfields;
};

static int fill_stats(const void *ctx, int fd)
{
	const struct stats_file *sf = ctx;
	char text[4096];
	size_t used = 0;

	for (size_t i = 0; i < sf->nfields && used < sizeof(text); i++) {
		uint64_t v;

		memcpy(&v, (const char *)sf->stats + sf->fields[i].offset, sizeof(v));
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s %llu\n",
					 sf->fields[i].name, (unsigned long long)v);
	}
	return sim_write_full(fd, (const uint8_t *)text, used < sizeof(text) ? used : sizeof(text));
}

int sim_write_stats(const char *model, const char *path, const void *stats,
		    const struct sim_stat *fields, size_t nfields, char *err, size_t errlen)
{
	struct stats_file sf = { stats, fields, nfields };

	return sim_write_file(model, "stats", path, fill_stats, &sf, err, errlen);
}
