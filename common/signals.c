/* SPDX-License-Identifier: MIT */
#include "signals.h"

#include <string.h>

/* A handler takes no argument: the one flag a program registers lives here. */
static volatile sig_atomic_t *stop_flag;

static void on_signal(int sig)
{
	if (*stop_flag) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	*stop_flag = sig;
}

void ub_signals_install(volatile sig_atomic_t *flag)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	stop_flag = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
