/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef UB_SYSCONFDIR
#define UB_SYSCONFDIR "/etc"
#endif

struct section_pass {
	const char *program;
	const char *section;  /* "beken-spi" or "board NAME" */
	ub_conf_apply_fn apply;
	void *ctx;
	struct ub_err *err;
	int found;
};

/* Every program's section is known, so one config file serves them all. */
static const char *const programs[] = {
	"beken-spi", "gx-upload", "ingenic-usbboot", "ecr-uart", "w800-xmodem",
};

static int known_section(const char *section)
{
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (!strcmp(section, programs[i]))
			return 1;
	return !strncmp(section, "board ", 6) && section[6];
}

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct section_pass *pass = user;

	if (!*section)
		return ub_fail(pass->err, UB_EUSAGE, "'%s' is outside any section; put it under "
			       "[%s] or [board NAME]", name, pass->program) == 0;
	if (!known_section(section))
		return ub_fail(pass->err, UB_EUSAGE, "unknown section [%s]; the sections are "
			       "[board NAME] and the programs' names, such as [%s]", section,
			       pass->program) == 0;
	if (strcmp(section, pass->section) != 0)
		return 1;
	pass->found = 1;
	return pass->apply(pass->ctx, name, value, pass->err) == 0;
}

/*
 * inih reads lines of at most INI_MAX_LINE bytes (200 as Debian builds it)
 * and parses the rest of a longer one as a line of its own: refuse those.
 */
#define CONF_MAX_LINE 200

static int check_line_lengths(const char *path, struct ub_err *err)
{
	FILE *f = fopen(path, "r");
	int c, line = 1;
	size_t len = 0;

	if (!f)
		return 0;  /* ini_parse reports it */
	while ((c = getc(f)) != EOF) {
		if (c == '\n') {
			line++;
			len = 0;
		} else if (++len >= CONF_MAX_LINE - 1) {
			fclose(f);
			return ub_fail(err, UB_EUSAGE, "%s:%d: line longer than %d characters",
				       path, line, CONF_MAX_LINE - 2);
		}
	}
	fclose(f);
	return 0;
}

static int apply_section(const char *path, const char *program, const char *section,
			 ub_conf_apply_fn apply, void *ctx, int *found,
			 struct ub_err *err)
{
	struct section_pass pass = { program, section, apply, ctx, err, 0 };
	struct ub_err inner = { 0 };
	FILE *f;
	int line;

	pass.err = &inner;
	if (check_line_lengths(path, err) < 0)
		return -1;
	f = fopen(path, "r");
	if (!f)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot read config '%s'", path);
	line = ini_parse_file(f, on_key, &pass);
	fclose(f);
	*found = pass.found;
	if (line < 0)
		return ub_fail(err, UB_EUSAGE, "cannot read config '%s'", path);
	if (line > 0)
		return ub_fail(err, UB_EUSAGE, "%s:%d: %s", path, line,
			       inner.status ? inner.msg : "syntax error");
	return 0;
}

static int find_config(char *path, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(path, len, "%s/unbrick/unbrick.conf", xdg);
	else if (home && *home)
		snprintf(path, len, "%s/.config/unbrick/unbrick.conf", home);
	else
		path[0] = '\0';
	if (path[0] && access(path, F_OK) == 0)
		return 0;
	snprintf(path, len, "%s/unbrick/unbrick.conf", UB_SYSCONFDIR);
	if (access(path, F_OK) == 0)
		return 0;
	path[0] = '\0';
	return -1;
}

const char *ub_conf_search_text(void)
{
	return "looked in $XDG_CONFIG_HOME/unbrick/unbrick.conf (~/.config when unset) and "
	       UB_SYSCONFDIR "/unbrick/unbrick.conf";
}

int ub_conf_load(const char *explicit_path, const char *program,
		 const char *board, ub_conf_apply_fn apply, void *ctx,
		 char *used, size_t usedlen, struct ub_err *err)
{
	char section[160];
	struct stat st;
	int found;

	used[0] = '\0';
	if (explicit_path) {
		snprintf(used, usedlen, "%s", explicit_path);
	} else if (find_config(used, usedlen)) {
		if (board)
			return ub_fail(err, UB_EUSAGE, "no config file for board '%s': %s", board,
				       ub_conf_search_text());
		return 0;
	}
	if (stat(used, &st) == 0 && S_ISDIR(st.st_mode))
		return ub_fail(err, UB_EUSAGE, "config '%s' is a directory; give a file", used);
	if (apply_section(used, program, program, apply, ctx, &found, err))
		return -1;
	if (!board)
		return 0;
	snprintf(section, sizeof(section), "board %s", board);
	if (apply_section(used, program, section, apply, ctx, &found, err))
		return -1;
	if (!found)
		return ub_fail(err, UB_EUSAGE, "no [board %s] in %s", board, used);
	return 0;
}
