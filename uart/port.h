/* SPDX-License-Identifier: MIT */
/*
 * One serial port, whatever carries it: a local tty (uart/port_tty.c), a raw TCP
 * port (uart/port_tcp.c), an RFC 2217 server (uart/port_rfc2217.c), or an emulator
 * (uart/port_sim.c). Protocol engines talk only to this API, and take time only
 * from it (ub_port_clock_ms, ub_port_sleep_ms), so that against an emulator in
 * model time their timeouts cost no real time.
 */
#ifndef UNBRICK_PORT_H
#define UNBRICK_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend.h"
#include "err.h"

struct ub_log;

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
	/*
	 * Whether set_line would take this baud: 1, or 0 with err saying why.
	 * Changes nothing. NULL: any rate.
	 */
	int (*takes_baud)(void *priv, unsigned baud, struct ub_err *err);
	/* Write all of buf (blocking). */
	int (*write)(void *priv, const void *buf, size_t len, struct ub_err *err);
	/*
	 * Read what is there, waiting at most timeout_ms for the first byte
	 * (-1 = forever). Returns bytes read (>= 1), 0 on timeout, -1 on error.
	 * Never called with cap 0 (ub_port_read returns 0 at once).
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
	/*
	 * Free the backend; 0, or -1 with err when something failed on the way
	 * (an emulator that could not write its files). Always frees.
	 */
	int (*close)(void *priv, struct ub_err *err);
	/*
	 * The port's clock in ms, and a wait on it. NULL for both: the wall
	 * clock (CLOCK_MONOTONIC). An emulator in model time advances its model
	 * clock instead of waiting.
	 */
	int64_t (*now)(void *priv);
	void (*sleep)(void *priv, int ms);
};

struct ub_port {
	const struct ub_port_ops *ops;
	void *priv;
	struct ub_port_line line;  /* as last applied */
	char name[128];            /* for messages: "/dev/ttyUSB0", "tcp:host:port" */
};

/*
 * The backends, chosen by a spec's name (ub_port_open):
 *   /dev/ttyUSB0 (any path; also tty:PATH)  a local tty, locked with flock
 *   tcp:HOST:PORT[,baud=N]          raw TCP (ser2net "raw"); the remote speed is fixed
 *   rfc2217:HOST:PORT               RFC 2217 (ser2net "telnet(rfc2217)")
 *   sim:MODEL[,pty][,KEY=VALUE...]  an emulator (sim/): in-process in model time,
 *                                   or with pty on a pty pair in real time
 * A new backend is one file with its open function and one line in the
 * table (uart/port.c).
 */
struct ub_port_backend {
	struct ub_backend backend;  /* "tty" (a path), "tcp", ...; "tcp:HOST:PORT[,baud=N]" */
	int (*open)(const char *arg, const char *opts, const struct ub_port_line *line,
		    struct ub_port **out, struct ub_err *err);
};
extern const struct ub_port_backend ub_port_backends[];  /* ends with a NULL name */
extern const struct ub_backend_table ub_port_table;      /* the same, for common/backend.h */

/* The usage lines, "A, B, C or D", into buf (cut at len - 1); returns buf. */
char *ub_port_usages(char *buf, size_t len);

/*
 * Open a port from its spec (see ub_port_backends) and apply `line`. Input is
 * flushed after opening.
 */
int ub_port_open(const char *spec, const struct ub_port_line *line,
		 struct ub_port **out, struct ub_err *err);

/* Close and free (NULL is fine); 0, or -1 with err (the port is freed anyway). */
int ub_port_close(struct ub_port *port, struct ub_err *err);

/* Backend constructors, for the table: the spec's argument and options. */
int ub_tty_open(const char *path, const char *opts, const struct ub_port_line *line,
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
/*
 * Whether the port can run at baud, known without trying: 1, or 0 with err
 * saying why (a raw TCP port's fixed speed; a tty without termios2 and a
 * rate with no Bnnn code). A program asks before it tells a chip to switch,
 * so that the chip is never left at a rate the host cannot follow.
 */
int ub_port_takes_baud(struct ub_port *port, unsigned baud, struct ub_err *err);
/*
 * For a program looking for the fastest rate that holds: whether to try
 * baud at all. When the port cannot take it, the first such answer of a run
 * is said at info level (*told counts them), the others at debug level.
 */
int ub_port_worth_trying(struct ub_port *port, unsigned baud, const struct ub_log *log,
			 int *told);
int ub_port_set_line(struct ub_port *port, const struct ub_port_line *line, struct ub_err *err);
int ub_port_write(struct ub_port *port, const void *buf, size_t len, struct ub_err *err);
ssize_t ub_port_read(struct ub_port *port, void *buf, size_t cap, int timeout_ms,
		     struct ub_err *err);
int ub_port_drain(struct ub_port *port, struct ub_err *err);
int ub_port_flush_input(struct ub_port *port, struct ub_err *err);
int ub_port_set_modem(struct ub_port *port, char which, int value, struct ub_err *err);
/*
 * DTR and RTS deasserted (where the port has them). Opening a tty asserts
 * both, and an adapter that wires RTS to the chip's reset (wm_tool's "-rs
 * rts", BK7231GUIFlashTool's ECR6600 reset) then holds the chip in reset.
 */
int ub_port_release_lines(struct ub_port *port, struct ub_err *err);

/* Milliseconds on the port's clock: CLOCK_MONOTONIC, or the emulator's model clock. */
int64_t ub_port_clock_ms(struct ub_port *port);
/* Wait ms on the port's clock; an emulator's model time just advances. */
void ub_port_sleep_ms(struct ub_port *port, int ms);

/*
 * Read exactly n bytes into buf, all by timeout_ms from now on the port's
 * clock (-1 = no limit). Returns n; 0 on timeout, with the bytes that came in
 * buf and err saying how many ("PORT: 3 of 8 bytes in 100 ms", status 3:
 * return -1 to pass it on, or ub_err_clear(err) to go on); -1 on error.
 */
ssize_t ub_port_read_exact(struct ub_port *port, void *buf, size_t n, int timeout_ms,
			   struct ub_err *err);

/*
 * Read one line, ended by '\n', by timeout_ms from now on the port's clock
 * (-1 = no limit). buf gets the line without '\n' and with every '\r'
 * dropped, NUL-terminated. Returns the bytes taken from the port (>= 1, the
 * '\n' included); 0 on timeout, with what came in buf and err saying so
 * (status 3, as ub_port_read_exact); -1 on error, including a line that does
 * not fit in cap - 1 bytes (never cut silently). Bytes after the '\n' stay
 * in the port.
 */
ssize_t ub_port_read_line(struct ub_port *port, char *buf, size_t cap, int timeout_ms,
			  struct ub_err *err);

#endif
