/* SPDX-License-Identifier: MIT */
#include "prog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "signals.h"

#ifndef UB_VERSION
#define UB_VERSION "unknown"
#endif

/*
 * A closed fd 0-2 gets /dev/null, so that the next device or file opened
 * cannot take its number. -1 when that fails (nothing else may be opened).
 */
static int guard_std_fds(int *stdout_closed)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			return -1;
		*stdout_closed |= fd == STDOUT_FILENO;
	}
	return 0;
}

static void usage(const struct ub_program *prog, FILE *f)
{
	fprintf(f, "Usage: %s [OPTIONS] COMMAND [ARGS]\n%s\n\nCommands:\n", prog->name,
		prog->summary);
	for (const struct ub_command *c = prog->commands; c->name; c++) {
		char head[96];

		snprintf(head, sizeof(head), "%s%s%s", c->name, *c->args ? " " : "", c->args);
		if (strlen(head) > 26)
			fprintf(f, "  %s\n  %-26s %s\n", head, "", c->help);
		else
			fprintf(f, "  %-26s %s\n", head, c->help);
	}
	fprintf(f, "\nOptions:\n");
	ub_opts_print_options(prog->options, f);
	if (prog->help_extra)
		prog->help_extra(f);
	fprintf(f, "\nExit status: 0 ok, 1 operation failed, 2 bad usage or input, 3 no device,\n"
		"128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).\n"
		"For more details see %s(1).\n", prog->name);
}

static int apply_config_key(void *ctx, const char *key, const char *value, struct ub_err *err)
{
	struct ub_session *s = ctx;

	return ub_opts_config_key(s->prog->options, &s->common, s->opts, key, value, err);
}

/* The command line is read twice: first for -c/-b, then over the config. Returns argv's command index. */
static int load_options(struct ub_session *s, int argc, char **argv)
{
	struct ub_common_opts first = { 0 };
	int rc;

	rc = ub_opts_parse_args(s->prog->options, argc, argv, &first, NULL, NULL, 0, &s->err);
	if (rc >= 0 && !first.help && !first.version)
		rc = ub_conf_load(first.config, s->prog->name, first.board, apply_config_key, s,
				  s->config_path, sizeof(s->config_path), &s->err);
	if (rc >= 0)
		rc = ub_opts_parse_args(s->prog->options, argc, argv, &s->common, s->opts, s->given,
					UB_MAX_GIVEN, &s->err);
	ub_common_opts_free(&first);
	return rc;
}

int ub_session_stopped(struct ub_session *s, const char *fmt, ...)
{
	char msg[sizeof(s->err.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ub_err_clear(&s->err);
	return ub_fail(&s->err, UB_EINTR, "%s", msg);
}

int ub_session_given(const struct ub_session *s, int id)
{
	for (int i = 0; i < UB_MAX_GIVEN && s->given[i]; i++)
		if (s->given[i] == id)
			return 1;
	return 0;
}

static int listed(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static const struct ub_command *find_command(const struct ub_program *prog, const char *name)
{
	for (const struct ub_command *c = prog->commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* The command, its arguments, and the options given for it: before anything is opened. */
static int check_command_line(struct ub_session *s)
{
	const struct ub_command *c = s->cmd;
	const char *prog = s->prog->name;

	if (s->nargs < c->min_args || s->nargs > c->max_args)
		return ub_fail(&s->err, UB_EUSAGE, "%s takes %s; try '%s --help'", c->name,
			       *c->args ? c->args : "no arguments", prog);
	for (int i = 0; i < UB_MAX_GIVEN && s->given[i]; i++) {
		const struct ub_opt *o = ub_opts_find_id(s->prog->options, s->given[i]);

		if (o && (o->flags & UB_OPT_PER_COMMAND) && !listed(c->options, o->name))
			return ub_fail(&s->err, UB_EUSAGE, "--%s means nothing for %s; try '%s --help'",
				       o->name, c->name, prog);
	}
	if ((c->flags & UB_CMD_STDOUT) && s->stdout_closed)
		return ub_fail(&s->err, UB_EUSAGE, "stdout is closed, and %s prints its result there; "
			       "run it with stdout open", c->name);
	return 0;
}

static int exit_status(const struct ub_session *s, int rc)
{
	if (!rc)
		return 0;
	if (s->err.status == UB_EINTR && s->stop)
		return 128 + s->stop;
	return s->err.status;
}

static int finish(struct ub_session *s, int rc)
{
	if (s->in_open)
		ub_input_close(&s->in);
	if (s->out_open)
		ub_output_abort(&s->out);
	if (s->backup_open)
		ub_output_abort(&s->backup);
	s->in_open = s->out_open = s->backup_open = 0;
	if (s->prog->release && s->prog->release(s) < 0)
		rc = -1;
	if (rc) {
		if (s->err.status == UB_OK)
			ub_fail(&s->err, UB_EFAIL, "failed");
		ub_logf(&s->log, UB_LOG_ERR, "%s", s->err.msg);
	}
	rc = exit_status(s, rc);
	if (s->prog->free_options)
		s->prog->free_options(s->opts);
	ub_common_opts_free(&s->common);
	return rc;
}

static void print_version(const struct ub_program *prog)
{
	const char *extra = prog->version_extra ? prog->version_extra() : NULL;

	printf("%s %s%s%s%s\n", prog->name, UB_VERSION, extra ? " (" : "", extra ? extra : "",
	       extra ? ")" : "");
}

static void report_config(struct ub_session *s)
{
	if (s->config_path[0])
		ub_debug(&s->log, "config: %s", s->config_path);
	else
		ub_debug(&s->log, "config: none (%s)", ub_conf_search_text());
}

int ub_prog_main(const struct ub_program *prog, struct ub_session *s, int argc, char **argv)
{
	int at;

	if (guard_std_fds(&s->stdout_closed) < 0)
		return UB_EFAIL;  /* stderr may be closed too: nowhere to say it */
	s->prog = prog;
	s->log = (struct ub_log){ UB_LOG_INFO, ub_log_stderr, (void *)prog->name };
	at = load_options(s, argc, argv);
	if (at < 0)
		return finish(s, -1);
	s->log.level = UB_LOG_INFO + s->common.verbosity;
	if (s->common.help || s->common.version) {
		if (s->common.help)
			usage(prog, stdout);
		else
			print_version(prog);
		if (fflush(stdout) || ferror(stdout))
			return finish(s, ub_fail_errno(&s->err, UB_EFAIL, errno, "cannot write stdout"));
		return finish(s, 0);
	}
	report_config(s);
	if (at >= argc) {
		ub_fail(&s->err, UB_EUSAGE, "no command given; try '%s --help'", prog->name);
		return finish(s, -1);
	}
	s->cmd = find_command(prog, argv[at]);
	if (!s->cmd) {
		ub_fail(&s->err, UB_EUSAGE, "unknown command '%s'; try '%s --help'", argv[at], prog->name);
		return finish(s, -1);
	}
	s->args = argv + at + 1;
	s->nargs = argc - at - 1;
	if (check_command_line(s) < 0 || (s->cmd->check && s->cmd->check(s) < 0))
		return finish(s, -1);
	ub_signals_install(&s->stop);
	if (prog->connect && prog->connect(s) < 0)
		return finish(s, -1);
	return finish(s, s->cmd->run(s) < 0 ? -1 : 0);
}

/* ---- the command's files ---- */

static int open_output(struct ub_session *s, const char *path, struct ub_output *out, int *is_open)
{
	if (ub_output_open(path, out, &s->err) < 0)
		return -1;
	*is_open = 1;
	if (out->note[0])
		ub_warn(&s->log, "%s", out->note);
	return 0;
}

int ub_session_open_output(struct ub_session *s, const char *path)
{
	int to_stdout = !path || !strcmp(path, "-");

	if (to_stdout && s->stdout_closed)
		return ub_fail(&s->err, UB_EUSAGE, "stdout is closed; give -o FILE, or run %s with "
			       "stdout open", s->cmd ? s->cmd->name : s->prog->name);
	if (path && !*path)
		return ub_fail(&s->err, UB_EUSAGE, "-o needs a file name (or - for stdout)");
	return open_output(s, path, &s->out, &s->out_open);
}

int ub_session_sink(void *session, const uint8_t *data, size_t len, struct ub_err *err)
{
	struct ub_session *s = session;

	return ub_output_write(&s->out, data, len, err);
}

int ub_session_commit_output(struct ub_session *s)
{
	s->out_open = 0;
	return ub_output_commit(&s->out, &s->err);
}

int ub_session_open_input(struct ub_session *s, const char *path, uint64_t max, const char *what)
{
	if (ub_input_open_max(path, max, what, &s->in, &s->err) < 0)
		return -1;
	s->in_open = 1;
	return 0;
}

int ub_session_source(void *session, uint8_t *data, size_t len, struct ub_err *err)
{
	struct ub_session *s = session;

	return ub_input_read(&s->in, data, len, err);
}

int ub_session_open_backup(struct ub_session *s, const char *path)
{
	if (!path)
		return 0;
	if (!*path || !strcmp(path, "-"))
		return ub_fail(&s->err, UB_EUSAGE, "--backup needs a file name");
	return open_output(s, path, &s->backup, &s->backup_open);
}

int ub_session_backup_sink(void *session, const uint8_t *data, size_t len, struct ub_err *err)
{
	struct ub_session *s = session;

	return ub_output_write(&s->backup, data, len, err);
}

int ub_session_commit_backup(struct ub_session *s)
{
	s->backup_open = 0;
	if (ub_output_commit(&s->backup, &s->err) < 0)
		return -1;
	ub_info(&s->log, "backup written to %s", s->backup.path);
	return 0;
}
