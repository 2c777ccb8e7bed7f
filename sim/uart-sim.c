/* SPDX-License-Identifier: MIT */
/*
 * uart-sim: run a UART device emulator on a pty until SIGTERM or SIGINT,
 * e.g. behind ser2net in the end-to-end tests.
 *
 *   uart-sim [--link PATH] SPEC
 *
 * Prints the slave's path on stdout (one line), optionally points the
 * symlink PATH at it (removed again at exit), and at the signal stops the
 * emulator, which writes its save=/trace=/stats= files. Exit 0, or 1 with a
 * message on stderr. The emulator runs on the pty in real time (as "pty" in
 * the spec, which may be given). SPEC, the runner's options and those every
 * model takes: sim/sim_uart.h; a model's own: its header (sim/sim_gx.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "sim_uart.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	char models[256];

	fprintf(f,
		"usage: uart-sim [--link PATH] SPEC\n"
		"Runs a UART device emulator (e.g. SPEC \"gx,trace=/tmp/gx.trace\") on a\n"
		"pty, prints the slave path and runs until SIGTERM or SIGINT.\n"
		"  -l, --link PATH   also make PATH a symlink to the slave\n"
		"  -h, --help        this text\n"
		"Models: %s. Options: sim/sim_uart.h, and the model's header (sim/sim_gx.h).\n",
		uart_sim_model_names(models, sizeof(models)));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "link", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *link_path = NULL;
	struct uart_sim *sim;
	char err[512] = "";
	sigset_t set;
	int c, sig = 0, rc = 0;

	while ((c = getopt_long(argc, argv, "l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			link_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 1;
	}
	/* Block the stop signals before any thread exists; wait for them below. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	sim = uart_sim_start(argv[optind], err, sizeof(err));
	if (!sim) {
		fprintf(stderr, "uart-sim: %s\n", err);
		return 1;
	}
	if (link_path) {
		unlink(link_path);
		if (symlink(uart_sim_slave_path(sim), link_path)) {
			fprintf(stderr, "uart-sim: --link %s: %s\n", link_path,
				strerror(errno));
			uart_sim_stop(sim, NULL, 0);
			return 1;
		}
	}
	printf("%s\n", uart_sim_slave_path(sim));
	fflush(stdout);

	while (sigwait(&set, &sig) != 0)
		;
	if (link_path)
		unlink(link_path);
	if (uart_sim_stop(sim, err, sizeof(err))) {
		fprintf(stderr, "uart-sim: %s\n", err);
		rc = 1;
	}
	return rc;
}
