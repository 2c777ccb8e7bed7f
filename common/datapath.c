/* SPDX-License-Identifier: MIT */
#include "datapath.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef UB_DATADIR
#define UB_DATADIR "/usr/share"
#endif

static int add_dir(struct ub_datapath *dp, struct ub_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_dir(struct ub_datapath *dp, struct ub_err *err, const char *fmt, ...)
{
	char *dir = dp->dirs[dp->n];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dir, sizeof(dp->dirs[0]), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(dp->dirs[0]))
		return ub_fail(err, UB_EUSAGE, "data directory path too long: %.64s...", dir);
	dp->n++;
	return 0;
}

int ub_datapath_init(struct ub_datapath *dp, const char *subdir, const char *dir,
		     struct ub_err *err)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int rc = 0;

	memset(dp, 0, sizeof(*dp));
	if (dir) {
		dp->given = 1;
		return add_dir(dp, err, "%s", dir);
	}
	/* The XDG base directory spec: a relative $XDG_DATA_HOME is ignored. */
	if (xdg && xdg[0] == '/')
		rc = add_dir(dp, err, "%s/unbrick/%s", xdg, subdir);
	else if (home && *home)
		rc = add_dir(dp, err, "%s/.local/share/unbrick/%s", home, subdir);
	return rc ? -1 : add_dir(dp, err, "%s/unbrick/%s", UB_DATADIR, subdir);
}

struct search {
	const struct ub_datapath *dp;
	const struct ub_vendor_file *vf;
	char key[256];       /* the name without the suffix */
	int best, count;     /* the best match level so far, and how many files have it */
	char found[4400];    /* DIR/FILE of the first of them */
	char matches[200];   /* their names, for the message */
	char there[200];     /* every candidate's stem, for the not-found message */
};

/* "a, b, c", then ", ..." once the buffer would overflow. */
static void add_name(char *list, size_t cap, const char *name)
{
	size_t len = strlen(list);

	if (len >= 5 && strcmp(list + len - 5, ", ...") == 0)
		return;
	if (len + 2 + strlen(name) + 6 > cap)
		snprintf(list + len, cap - len, "%s...", len ? ", " : "");
	else
		snprintf(list + len, cap - len, "%s%s", len ? ", " : "", name);
}

static size_t stem_length(const char *file, const char *suffix)
{
	size_t fl = strlen(file), sl = suffix ? strlen(suffix) : 0;

	if (fl <= sl || strcasecmp(file + fl - sl, suffix ? suffix : "") != 0)
		return 0;
	return fl - sl;
}

/* 3: the name itself, 2: NAME-..., 1: ...NAME..., 0: no match. */
static int match_level(const char *stem, const char *key)
{
	size_t kl = strlen(key);

	if (strcasecmp(stem, key) == 0)
		return 3;
	if (strncasecmp(stem, key, kl) == 0 && stem[kl] == '-')
		return 2;
	return strcasestr(stem, key) ? 1 : 0;
}

static int dir_has(const char *dir, const char *file)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d)))
		found = strcasecmp(e->d_name, file) == 0;
	if (d)
		closedir(d);
	return found;
}

/* The same file name (in any case) in an earlier directory wins, as on $PATH. */
static int shadowed(const struct ub_datapath *dp, int i, const char *file)
{
	int j;

	for (j = 0; j < i; j++)
		if (dir_has(dp->dirs[j], file))
			return 1;
	return 0;
}

static void consider(struct search *s, int i, const char *file)
{
	char stem[256], path[4400];
	size_t sl = stem_length(file, s->vf->suffix);
	struct stat st;
	int level;

	if (!sl || file[0] == '.' || sl >= sizeof(stem) || shadowed(s->dp, i, file))
		return;
	snprintf(path, sizeof(path), "%s/%s", s->dp->dirs[i], file);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	memcpy(stem, file, sl);
	stem[sl] = '\0';
	add_name(s->there, sizeof(s->there), stem);
	level = match_level(stem, s->key);
	if (!level || level < s->best)
		return;
	if (level > s->best) {
		s->best = level;
		s->count = 0;
		s->matches[0] = '\0';
		snprintf(s->found, sizeof(s->found), "%s", path);
	}
	s->count++;
	add_name(s->matches, sizeof(s->matches), stem);
}

static int scan(struct search *s, int i, struct ub_err *err)
{
	struct dirent **list;
	int n = scandir(s->dp->dirs[i], &list, NULL, alphasort), k;

	if (n < 0) {
		if (!s->dp->given && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot read the %s directory %s",
				     s->vf->what, s->dp->dirs[i]);
	}
	for (k = 0; k < n; k++) {
		consider(s, i, list[k]->d_name);
		free(list[k]);
	}
	free(list);
	return 0;
}

int ub_datapath_find(const struct ub_datapath *dp, const struct ub_vendor_file *vf,
		     const char *name, char *path, size_t cap, struct ub_err *err)
{
	struct search s = { .dp = dp, .vf = vf };
	size_t kl = stem_length(name, vf->suffix);
	const char *second;
	int i;

	if (!*name)
		return ub_fail(err, UB_EUSAGE, "%s needs a name", vf->option);
	if (strlen(name) >= sizeof(s.key))
		return ub_fail(err, UB_EUSAGE, "%s '%.64s...' is too long for a file name", vf->option,
			       name);
	snprintf(s.key, sizeof(s.key), "%.*s", (int)(kl ? kl : strlen(name)), name);
	for (i = 0; i < dp->n; i++)
		if (scan(&s, i, err) < 0)
			return -1;
	second = dp->n > 1 ? dp->dirs[1] : "";
	if (!s.best)
		return ub_fail(err, UB_EUSAGE, "no %s for '%s' in %s%s%s (%s%s)%s%s", vf->what, name,
			       dp->dirs[0], *second ? " or " : "", second,
			       s.there[0] ? "there: " : "none there", s.there, vf->hint ? "; " : "",
			       vf->hint ? vf->hint : "");
	if (s.count > 1)
		return ub_fail(err, UB_EUSAGE, "%s '%s' matches several %ss in %s%s%s: %s; give more "
			       "of the name", vf->option, name, vf->what, dp->dirs[0],
			       *second ? " or " : "", second, s.matches);
	if (strlen(s.found) >= cap)
		return ub_fail(err, UB_EUSAGE, "%s path too long: %.64s...", vf->what, s.found);
	strcpy(path, s.found);
	return 0;
}
