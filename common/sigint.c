/* SPDX-License-Identifier: MIT */
#include "sigint.h"

#include <string.h>

/* A handler takes no argument: the one flag a program registers lives here. */
static volatile sig_atomic_t *stop_flag;

static void on_sigint(int sig)
{
	if (*stop_flag) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	*stop_flag = 1;
}

void ub_sigint_install(volatile sig_atomic_t *flag)
{
	struct sigaction sa;

	stop_flag = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}
