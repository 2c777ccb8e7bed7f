/* SPDX-License-Identifier: MIT */
/*
 * One serial port, whatever carries it: a local tty (uart/port_tty.c), a raw TCP
 * port (uart/port_tcp.c), an RFC 2217 server (uart/port_rfc2217.c), or an emulator on
 * a pty pair (uart/port_sim.c). Protocol engines talk only to this API.
 */
#ifndef UNBRICK_PORT_H
#define UNBRICK_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

enum ub_parity { UB_PARITY_NONE, UB_PARITY_EVEN, UB_PARITY_ODD };

/* Line settings. Always 8 data bits, 1 stop bit, no flow control. */
struct ub_port_line {
	unsigned baud;
	enum ub_parity parity;
	int inpck;  /* check parity on input (termios INPCK) */
};

struct ub_port_ops {
	/* Apply line settings. A backend that cannot change the baud refuses. */
	int (*set_line)(void *priv, const struct ub_port_line *line, struct ub_err *err);
	/* Write all of buf (blocking). */
	int (*write)(void *priv, const void *buf, size_t len, struct ub_err *err);
	/*
	 * Read what is there, waiting at most timeout_ms for the first byte
	 * (-1 = forever). Returns bytes read (>= 1), 0 on timeout, -1 on error.
	 */
	ssize_t (*read)(void *priv, void *buf, size_t cap, int timeout_ms, struct ub_err *err);
	/* Wait until everything written has left the host. */
	int (*drain)(void *priv, struct ub_err *err);
	/* Discard received bytes not yet read. */
	int (*flush_input)(void *priv, struct ub_err *err);
	/*
	 * Drive a modem line (which: 'd' DTR, 'r' RTS) to value (1 = asserted).
	 * Returns 0, 1 when the port has no such line (not an error by itself),
	 * or -1.
	 */
	int (*set_modem)(void *priv, char which, int value, struct ub_err *err);
	void (*close)(void *priv);
};

struct ub_port {
	const struct ub_port_ops *ops;
	void *priv;
	struct ub_port_line line;  /* as last applied */
	char name[128];            /* for messages: "/dev/ttyUSB0", "tcp:host:port" */
};

/*
 * Open a port from its spec and apply `line`:
 *   /dev/ttyUSB0 (or any path)      a local tty, locked with flock
 *   tcp:HOST:PORT[,baud=N]          raw TCP (ser2net "raw"); the remote speed is fixed
 *   rfc2217:HOST:PORT               RFC 2217 (ser2net "telnet(rfc2217)")
 *   sim:MODEL[,key=value...]        an emulator (sim/) on a pty pair
 * Input is flushed after opening.
 */
int ub_port_open(const char *spec, const struct ub_port_line *line,
		 struct ub_port **out, struct ub_err *err);
void ub_port_close(struct ub_port *port);

/* Backend constructors, called by ub_port_open with the spec's parts. */
int ub_tty_open(const char *path, const struct ub_port_line *line,
		struct ub_port **out, struct ub_err *err);
int ub_tcp_open(const char *arg, const char *opts, const struct ub_port_line *line,
		struct ub_port **out, struct ub_err *err);
int ub_rfc2217_open(const char *arg, const char *opts, const struct ub_port_line *line,
		    struct ub_port **out, struct ub_err *err);
int ub_portsim_open(const char *model, const char *opts, const struct ub_port_line *line,
		    struct ub_port **out, struct ub_err *err);

/* Allocate a port with a backend's ops; NULL when out of memory. */
struct ub_port *ub_port_new(const struct ub_port_ops *ops, void *priv, const char *name);

int ub_port_set_baud(struct ub_port *port, unsigned baud, struct ub_err *err);
int ub_port_set_line(struct ub_port *port, const struct ub_port_line *line, struct ub_err *err);
int ub_port_write(struct ub_port *port, const void *buf, size_t len, struct ub_err *err);
ssize_t ub_port_read(struct ub_port *port, void *buf, size_t cap, int timeout_ms,
		     struct ub_err *err);
int ub_port_drain(struct ub_port *port, struct ub_err *err);
int ub_port_flush_input(struct ub_port *port, struct ub_err *err);
int ub_port_set_modem(struct ub_port *port, char which, int value, struct ub_err *err);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
int64_t ub_port_now_ms(void);

#endif
