/* SPDX-License-Identifier: MIT */
/*
 * A real ser2net (4.x) on 127.0.0.1 in front of one tty or pty, for tests of
 * the tcp: and rfc2217: ports and of programs that use them.
 *
 * ser2net opens the device when a client connects and closes it about 10 ms
 * after the client leaves; a client arriving in between is told "Port's
 * device already in use" and dropped, so wait with tu_ser2net_idle() between
 * two clients. The one accepter in use at a time owns the device. When the
 * device is a pty, keep its slave open in the test too: otherwise the master
 * reads EIO each time ser2net closes it. A pty has no modem lines and ignores
 * PARENB (the kernel clears it; PARODD stays), whatever ser2net asks.
 */
#ifndef UNBRICK_TESTS_SER2NET_H
#define UNBRICK_TESTS_SER2NET_H

#include "testutil.h"

struct tu_ser2net {
	unsigned raw_port;       /* a raw TCP accepter */
	unsigned rfc2217_port;   /* a telnet(rfc2217) accepter */
	char raw_spec[32];       /* "tcp:127.0.0.1:N" */
	char rfc2217_spec[40];   /* "rfc2217:127.0.0.1:N" */
	int pid;
	char dir[64];            /* its config and log while it starts */
	char device[256];
};

/*
 * Whether ser2net is absent: nonzero after printing one "skipped: ..." note
 * on stderr. Call it in main() to skip a whole suite.
 */
int tu_ser2net_missing(void);

/*
 * Start ser2net with both accepters for device_path at baud (8N1, modem
 * lines ignored: "local"), and wait until it listens. Returns 0, or nonzero
 * after printing the "skipped: ..." note when ser2net is not installed; any
 * other failure fails the test.
 */
int tu_ser2net_start(struct tu_ser2net *s, const char *device_path, unsigned baud);

/* Wait (at most 3 s, else fail) until ser2net has closed the device. */
void tu_ser2net_idle(const struct tu_ser2net *s);

/* Stop ser2net and remove its files. */
void tu_ser2net_stop(struct tu_ser2net *s);

/* An emulator (build/uart-sim on a pty) behind ser2net at 115200. */
struct tu_ser2net_sim {
	struct tu_sim sim;
	struct tu_ser2net net;
	int slave;  /* kept open: see above */
};

/*
 * Start one for the emulator spec (e.g. "w800,save=/tmp/f"): 0, or nonzero
 * after the "skipped: ..." note when ser2net is not installed.
 */
int tu_ser2net_sim_start(struct tu_ser2net_sim *s, const char *spec);
/* Stop both; the emulator writes its files. */
void tu_ser2net_sim_stop(struct tu_ser2net_sim *s);

#endif
