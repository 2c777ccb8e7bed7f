/* SPDX-License-Identifier: MIT */
/*
 * SIGINT for programs: the first ^C sets *flag so the running operation can
 * finish its current erase unit and stop cleanly; a second one kills.
 */
#ifndef UNBRICK_SIGINT_H
#define UNBRICK_SIGINT_H

#include <signal.h>

void ub_sigint_install(volatile sig_atomic_t *flag);

#endif
