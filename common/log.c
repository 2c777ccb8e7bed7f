/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void ub_logf(const struct ub_log *log, enum ub_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log || !log->emit || (int)level > log->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log->emit(log->arg, level, msg);
}

void ub_log_stderr(void *arg, enum ub_level level, const char *msg)
{
	const char *prog = arg ? (const char *)arg : "unbrick";

	fprintf(stderr, "%s: %s%s\n", prog,
		/* errors are the bare message, as the command-line contract shows */
		level == UB_LOG_WARN ? "warning: " : "", msg);
}
