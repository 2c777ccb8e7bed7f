/* SPDX-License-Identifier: MIT */
/*
 * Leveled messages. The library hands them to a sink the program chose
 * (stderr for every program); with no sink they are dropped.
 */
#ifndef UNBRICK_LOG_H
#define UNBRICK_LOG_H

enum ub_level { UB_LOG_ERR, UB_LOG_WARN, UB_LOG_INFO, UB_LOG_DEBUG, UB_LOG_SPEW };

struct ub_log {
	int level;  /* messages above this level are dropped */
	void (*emit)(void *arg, enum ub_level level, const char *msg);
	void *arg;
};

void ub_logf(const struct ub_log *log, enum ub_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ub_warn(log, ...)  ub_logf(log, UB_LOG_WARN, __VA_ARGS__)
#define ub_info(log, ...)  ub_logf(log, UB_LOG_INFO, __VA_ARGS__)
#define ub_debug(log, ...) ub_logf(log, UB_LOG_DEBUG, __VA_ARGS__)
#define ub_spew(log, ...)  ub_logf(log, UB_LOG_SPEW, __VA_ARGS__)

/* A sink that writes "PROGRAM: [warning: ]msg" lines to stderr; arg = program name. */
void ub_log_stderr(void *arg, enum ub_level level, const char *msg);

#endif
