/* SPDX-License-Identifier: MIT */
/*
 * SIGINT, SIGTERM and SIGHUP for programs: the first one sets *flag to its
 * number, so the running operation can finish its current erase unit, report
 * what it wrote and exit 128 + the number; a second one kills.
 */
#ifndef UNBRICK_SIGNALS_H
#define UNBRICK_SIGNALS_H

#include <signal.h>

void ub_signals_install(volatile sig_atomic_t *flag);

#endif
