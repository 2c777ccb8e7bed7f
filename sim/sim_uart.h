/* SPDX-License-Identifier: MIT */
/*
 * A UART device emulator on a pty pair. The model runs on the pty master in
 * its own thread; the host opens the slave path like any tty, so the real
 * termios code runs. The emulator reads the line settings the host applied
 * (baud, parity, INPCK) from the slave's termios; a pty has no modem lines,
 * so the host side reports DTR/RTS changes through uart_sim_set_modem().
 *
 * Independent of the host code: the emulator uses only libc, pthreads and
 * common/parse.h.
 */
#ifndef UNBRICK_SIM_UART_SIM_H
#define UNBRICK_SIM_UART_SIM_H

#include <stddef.h>

struct uart_sim;

/*
 * Start an emulator. spec: "MODEL[,key=value...]", e.g. "gx,loader-chip=0x6612".
 * Models and their options are documented in the model's header (sim/sim_gx.h).
 * On error returns NULL and writes a one-line message (no newline) into err.
 */
struct uart_sim *uart_sim_start(const char *spec, char *err, size_t errlen);

/* The pty slave the host should open, e.g. "/dev/pts/7". */
const char *uart_sim_slave_path(const struct uart_sim *sim);

/* The host drove DTR or RTS: which is 'd' or 'r', value 1 = asserted. */
void uart_sim_set_modem(struct uart_sim *sim, char which, int value);

/*
 * The host set parity ('n', 'e' or 'o'): Linux ptys clear PARENB
 * (pty_set_termios), so the termios the emulator reads cannot carry it.
 */
void uart_sim_set_parity(struct uart_sim *sim, char parity);

/*
 * Stop the thread, write the model's files (save=, trace=, ...) and free.
 * Returns 0, or -1 with a message in err.
 */
int uart_sim_stop(struct uart_sim *sim, char *err, size_t errlen);

/*
 * For emulator models (sim/MODEL.c), driven by the runner in sim/sim_uart.c;
 * hosts need none of this. Every call comes from the runner's thread, with
 * now_ns = monotonic time since the emulator started. A model registers with
 * one line in the runner's table.
 */
#include <stdint.h>

/* The host's settings, read from the slave's termios. */
struct uart_sim_line {
	unsigned baud;   /* c_ospeed */
	char parity;     /* 'n' none, 'e' even, 'o' odd, 'm' mark, 's' space */
	int bits;        /* 5..8 */
	int inpck;       /* INPCK set */
	int raw;         /* ICANON and ECHO both clear */
};

struct uart_sim_model {
	const char *name;
	/* opts: the spec after "name," without the runner's own keys (pace). */
	void *(*create)(const char *opts, int pace, char *err, size_t errlen);
	/* The host's settings changed (and once at start). */
	void (*line)(void *dev, uint64_t now_ns, const struct uart_sim_line *l);
	/* uart_sim_set_modem() was called: which 'd' or 'r'. */
	void (*modem)(void *dev, uint64_t now_ns, char which, int value);
	/* How many host bytes the device takes now (the rest waits in the pty). */
	size_t (*room)(void *dev, uint64_t now_ns);
	/*
	 * Host bytes. A pty cannot tell whether bytes read around a change of
	 * the host's settings were written before or after it: alt is then the
	 * settings before the change (else NULL), and either may apply.
	 */
	void (*input)(void *dev, uint64_t now_ns, const uint8_t *buf, size_t n,
		      const struct uart_sim_line *alt);
	/* The rate of the next output bytes (for pacing). */
	unsigned (*rate)(void *dev, uint64_t now_ns);
	/* Bytes leaving the device now, at most cap, all at rate(). */
	size_t (*output)(void *dev, uint64_t now_ns, uint8_t *buf, size_t cap);
	/* When the device next has something to do; UINT64_MAX: on input only. */
	uint64_t (*next_event)(void *dev, uint64_t now_ns);
	/* Write the model's files and free; 0, or -1 with a message in err. */
	int (*finish)(void *dev, char *err, size_t errlen);
};

#endif
