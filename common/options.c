/* SPDX-License-Identifier: MIT */
#include "options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "progress.h"

#define MAX_OPTIONS 64

/* The options every program has (share 0), and the shared ones a program names. */
static const struct common_opt {
	unsigned share;
	struct ub_opt opt;
} common_opts[] = {
	{ UB_SHARE_OUTPUT, { "output", 'o', "FILE", UB_OPT_OUTPUT, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "where the data goes (default stdout, never a terminal)" } },
	{ UB_SHARE_RANGE, { "offset", 0, "N", UB_OPT_OFFSET, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "start address: decimal or 0x hex, K and M suffixes (KiB, MiB)" } },
	{ UB_SHARE_RANGE, { "length", 0, "N", UB_OPT_LENGTH, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "byte count, as --offset" } },
	{ UB_SHARE_BACKUP, { "backup", 0, "FILE", UB_OPT_BACKUP, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "first read what the command will change into FILE" } },
	{ UB_SHARE_FORCE_BOOTLOADER, { "force-bootloader", 0, NULL, UB_OPT_FORCE_BOOTLOADER,
	  UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND, "allow changing the boot loader's region" } },
	{ UB_SHARE_JSON, { "json", 0, NULL, UB_OPT_JSON, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "print the result as JSON" } },
	{ UB_SHARE_PORT, { "port", 'p', "SPEC", UB_OPT_PORT, 0, "the serial port (backends below)" } },
	{ UB_SHARE_PORT, { "reset", 0, "SEQ", UB_OPT_RESET, 0,
	  "power/reset sequence run before the chip must answer,\n"
	  "e.g. dtr=1,100ms,dtr=0 or gpiochip0:17=0,200ms,gpiochip0:17=1" } },
	{ 0, { "progress", 0, "WHEN", UB_OPT_PROGRESS, 0, "progress on stderr: auto, always or never" } },
	{ 0, { "config", 'c', "FILE", UB_OPT_CONFIG, UB_OPT_CLI_ONLY,
	  "config file (default $XDG_CONFIG_HOME/unbrick/unbrick.conf,\n"
	  "then /etc/unbrick/unbrick.conf)" } },
	{ 0, { "board", 'b', "NAME", UB_OPT_BOARD, UB_OPT_CLI_ONLY,
	  "use the [board NAME] profile of the config" } },
	{ 0, { "verbose", 'v', NULL, UB_OPT_VERBOSE, 0, "more messages (repeatable)" } },
	{ 0, { "quiet", 'q', NULL, UB_OPT_QUIET, 0, "errors and warnings only" } },
	{ 0, { "help", 'h', NULL, UB_OPT_HELP, UB_OPT_CLI_ONLY, "this help" } },
	{ 0, { "version", 'V', NULL, UB_OPT_VERSION, UB_OPT_CLI_ONLY, "version" } },
};
#define NCOMMON (sizeof(common_opts) / sizeof(common_opts[0]))

static const struct ub_opt *find_common(const struct ub_optset *set, const char *name, int id)
{
	for (size_t i = 0; i < NCOMMON; i++) {
		const struct common_opt *c = &common_opts[i];

		if ((c->share & set->shared) != c->share)
			continue;
		if (name ? !strcmp(c->opt.name, name) : c->opt.id == id)
			return &c->opt;
	}
	return NULL;
}

static const struct ub_opt *find_in(const struct ub_opt *t, const char *name, int id)
{
	for (; t && t->name; t++)
		if (name ? !strcmp(t->name, name) : t->id == id)
			return t;
	return NULL;
}

const struct ub_opt *ub_opts_find(const struct ub_optset *set, const char *name)
{
	const struct ub_opt *o = find_in(set->opts, name, 0);

	return o ? o : find_common(set, name, 0);
}

const struct ub_opt *ub_opts_find_id(const struct ub_optset *set, int id)
{
	const struct ub_opt *o = find_in(set->opts, NULL, id);

	return o ? o : find_common(set, NULL, id);
}

int ub_opts_set_string(char **slot, const char *value, struct ub_err *err)
{
	char *copy = strdup(value);

	if (!copy)
		return ub_fail(err, UB_EFAIL, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

void ub_common_opts_free(struct ub_common_opts *o)
{
	free(o->config);
	free(o->board);
	free(o->output);
	free(o->backup);
	free(o->port);
	free(o->reset);
	o->config = o->board = o->output = o->backup = o->port = o->reset = NULL;
}

static int parse_size(const char *name, const char *value, uint64_t *out, struct ub_err *err)
{
	return ub_parse_size(name, value, UINT32_MAX, out, err);
}

static int apply_common(struct ub_common_opts *c, int id, const char *arg, struct ub_err *err)
{
	int mode;

	switch (id) {
	case UB_OPT_CONFIG: return ub_opts_set_string(&c->config, arg, err);
	case UB_OPT_BOARD: return ub_opts_set_string(&c->board, arg, err);
	case UB_OPT_VERBOSE: c->verbosity = c->verbosity < 0 ? 1 : c->verbosity + 1; return 0;
	case UB_OPT_QUIET: c->verbosity = -1; return 0;
	case UB_OPT_HELP: c->help = 1; return 0;
	case UB_OPT_VERSION: c->version = 1; return 0;
	case UB_OPT_JSON: c->json = 1; return 0;
	case UB_OPT_FORCE_BOOTLOADER: c->force_bootloader = 1; return 0;
	case UB_OPT_OUTPUT: return ub_opts_set_string(&c->output, arg, err);
	case UB_OPT_BACKUP: return ub_opts_set_string(&c->backup, arg, err);
	case UB_OPT_PORT: return ub_opts_set_string(&c->port, arg, err);
	case UB_OPT_RESET: return ub_opts_set_string(&c->reset, arg, err);
	case UB_OPT_OFFSET:
		c->has_offset = 1;
		return parse_size("--offset", arg, &c->offset, err);
	case UB_OPT_LENGTH:
		c->has_length = 1;
		if (parse_size("--length", arg, &c->length, err))
			return -1;
		return c->length ? 0 : ub_fail(err, UB_EUSAGE, "--length is 0: nothing to do");
	case UB_OPT_PROGRESS:
		mode = ub_progress_mode_parse(arg);
		if (mode < 0)
			return ub_fail(err, UB_EUSAGE, "bad --progress '%s': use auto, always or never", arg);
		c->progress = mode;
		return 0;
	default:
		return ub_fail(err, UB_EFAIL, "option id %d has no handler", id);
	}
}

static int apply(const struct ub_optset *set, struct ub_common_opts *common, void *ctx, int id,
		 const char *arg, struct ub_err *err)
{
	if (!find_in(set->opts, NULL, id))
		return common ? apply_common(common, id, arg, err) : 0;
	return ctx ? set->apply(ctx, id, arg, err) : 0;
}

static void add_getopt(const struct ub_opt *o, struct option *lo, size_t *n, char *so, size_t *sn)
{
	lo[*n] = (struct option){ o->name, o->arg_name ? required_argument : no_argument, NULL, o->id };
	(*n)++;
	if (o->short_name) {
		so[(*sn)++] = (char)o->short_name;
		if (o->arg_name)
			so[(*sn)++] = ':';
	}
}

/* getopt_long's tables from ours: the program's options, then the common ones. */
static void build_getopt(const struct ub_optset *set, struct option *lo, char *so)
{
	size_t n = 0, sn = 0;

	so[sn++] = ':';
	for (const struct ub_opt *o = set->opts; o && o->name && n < MAX_OPTIONS; o++)
		add_getopt(o, lo, &n, so, &sn);
	for (size_t i = 0; i < NCOMMON && n < MAX_OPTIONS; i++)
		if (find_common(set, NULL, common_opts[i].opt.id))
			add_getopt(&common_opts[i].opt, lo, &n, so, &sn);
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	so[sn] = '\0';
}

static void remember(int *given, int max_given, int id)
{
	for (int i = 0; i < max_given; i++) {
		if (given[i] == id)
			return;
		if (!given[i]) {
			given[i] = id;
			return;
		}
	}
}

int ub_opts_parse_args(const struct ub_optset *set, int argc, char **argv,
		       struct ub_common_opts *common, void *ctx, int *given, int max_given,
		       struct ub_err *err)
{
	struct option lo[MAX_OPTIONS + 1];
	char so[3 * MAX_OPTIONS + 2];
	int c;

	build_getopt(set, lo, so);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == ':')
			return ub_fail(err, UB_EUSAGE, "missing value for '%s'; try '%s --help'",
				       argv[optind - 1], set->prog);
		if (c == '?')
			return ub_fail(err, UB_EUSAGE, "unknown option '%s'; try '%s --help'",
				       argv[optind - 1], set->prog);
		if (given)
			remember(given, max_given, c);
		if (apply(set, common, ctx, c, optarg, err))
			return -1;
	}
	return optind;
}

static int flag_value(const char *key, const char *value, int *on, struct ub_err *err)
{
	static const char *const yes[] = { "yes", "true", "1" }, *const no[] = { "no", "false", "0" };

	for (size_t i = 0; i < 3; i++) {
		if (!strcmp(value, yes[i]) || !strcmp(value, no[i])) {
			*on = !strcmp(value, yes[i]);
			return 0;
		}
	}
	return ub_fail(err, UB_EUSAGE, "key '%s' takes yes or no, not '%s'", key, value);
}

int ub_opts_config_key(const struct ub_optset *set, struct ub_common_opts *common, void *ctx,
		       const char *key, const char *value, struct ub_err *err)
{
	const struct ub_opt *o = ub_opts_find(set, key);
	int on = 1;

	if (!o)
		return ub_fail(err, UB_EUSAGE, "unknown key '%s' for %s", key, set->prog);
	if (o->flags & UB_OPT_CLI_ONLY)
		return ub_fail(err, UB_EUSAGE, "'%s' can only be given on the command line (--%s)",
			       key, key);
	if (!o->arg_name && flag_value(key, value, &on, err))
		return -1;
	if (!on)
		return 0;
	return apply(set, common, ctx, o->id, value, err);
}

static void print_one(const struct ub_opt *o, FILE *f)
{
	char head[64];
	const char *line = o->help, *nl;

	snprintf(head, sizeof(head), "%c%c%c --%s%s%s", o->short_name ? '-' : ' ',
		 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
		 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
	for (;;) {
		nl = strchr(line, '\n');
		fprintf(f, "  %-24s %.*s\n", head, nl ? (int)(nl - line) : (int)strlen(line), line);
		if (!nl)
			break;
		line = nl + 1;
		head[0] = '\0';
	}
}

void ub_opts_print_options(const struct ub_optset *set, FILE *f)
{
	for (const struct ub_opt *o = set->opts; o && o->name; o++)
		print_one(o, f);
	for (size_t i = 0; i < NCOMMON; i++)
		if (find_common(set, NULL, common_opts[i].opt.id))
			print_one(&common_opts[i].opt, f);
}
