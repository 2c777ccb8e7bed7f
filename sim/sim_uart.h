/* SPDX-License-Identifier: MIT */
/*
 * A UART device emulator, run in one of two ways:
 *
 *   model time  (the default): in the caller's process, with no pty and no
 *               thread. The caller is the host: it writes, reads with a
 *               timeout, sleeps, and every one of those advances ONE model
 *               clock, together with the line rate (baud/10 bytes a second
 *               each way) and the device's own pauses. A read with a timeout
 *               on a silent device returns at once with the clock advanced
 *               by the timeout. Nothing here waits for real time.
 *   pty         ("pty" in the spec, and always from uart_sim_start): on a pty
 *               pair, in real time. A thread serves the master; the host
 *               opens the slave path like any tty, so the real termios code
 *               runs. The emulator reads the host's line settings from the
 *               slave's termios.
 *
 * In both, the host reports DTR/RTS (a pty has no modem lines) and parity
 * (Linux ptys clear PARENB) through uart_sim_set_modem/uart_sim_set_parity.
 *
 * Independent of the host code: the emulator uses only libc, pthreads and
 * common/parse.h.
 *
 * ------------------------------------------------------------------ specs
 * "MODEL[,key=value...]", e.g. "gx,loader-chip=0x6612,trace=/tmp/t". The
 * runner takes these keys itself:
 *   pty        run on a pty pair in real time (see above)
 *   pace=0|1   model the line rate and the device's busy times (erase,
 *              program). Model time: default 1 (it costs nothing); 0 moves
 *              bytes in no model time. pty: default 0 (bytes move as fast
 *              as the pty allows, in the same order); 1 paces them in real
 *              time.
 *   latency=MS model time only: the device's bytes reach the host MS later,
 *              as through a USB-UART bridge's latency timer (an FTDI's is
 *              16 ms by default, FTDI AN232B-04) or a network hop. Default 0.
 * Every other key goes to the model. Options every emulator takes, with
 * the same meaning (see the model's header for the rest):
 *   image=FILE  the initial memory (flash) contents
 *   save=FILE   the memory at stop (a temporary file + rename; a device or
 *               FIFO is written in place)
 *   trace=FILE  the device's view, one event per line, flushed as it goes
 *   rx=FILE     every byte received from the host, raw
 *   stats=FILE  "name value" lines at stop
 *   seed=N      the seed of every random fault
 * Models: uart_sim_model_names() lists them; sim/sim_gx.h is "gx".
 */
#ifndef UNBRICK_SIM_UART_SIM_H
#define UNBRICK_SIM_UART_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uart_sim;

/* The host's settings. */
struct uart_sim_line {
	unsigned baud;   /* c_ospeed */
	char parity;     /* 'n' none, 'e' even, 'o' odd, 'm' mark, 's' space */
	int bits;        /* 5..8 */
	int inpck;       /* INPCK set */
	int raw;         /* ICANON and ECHO both clear */
};

/*
 * Start an emulator as its spec says: in model time, or on a pty with "pty".
 * On error returns NULL and writes a one-line message (no newline) into err.
 */
struct uart_sim *uart_sim_open(const char *spec, char *err, size_t errlen);

/* Start an emulator on a pty pair whatever the spec says ("pty" is allowed). */
struct uart_sim *uart_sim_start(const char *spec, char *err, size_t errlen);

/* The pty slave the host should open, e.g. "/dev/pts/7"; NULL in model time. */
const char *uart_sim_slave_path(const struct uart_sim *sim);

/* The host drove DTR or RTS: which is 'd' or 'r', value 1 = asserted. */
void uart_sim_set_modem(struct uart_sim *sim, char which, int value);

/* The host set parity ('n', 'e' or 'o'), which a pty's termios cannot carry. */
void uart_sim_set_parity(struct uart_sim *sim, char parity);

/*
 * Stop, write the model's files (save=, trace=, ...) and free.
 * Returns 0, or -1 with a message in err.
 */
int uart_sim_stop(struct uart_sim *sim, char *err, size_t errlen);

/*
 * The host side in model time (each is a no-op returning 0 or -1 on a pty
 * emulator, whose host is the slave). Times are model nanoseconds since the
 * emulator started.
 *
 * set_line: the host's settings from now on (bytes already written keep
 * the settings they were written with).
 * write: the bytes leave one after the other at the host's baud. Like a
 * tty it buffers some (4 KiB) and then blocks, i.e. model time passes while
 * the device takes them; -1 when the device takes nothing for 10 s.
 * read: what has arrived, up to cap bytes, waiting at most timeout_ns for
 * the first (UINT64_MAX: no limit); bytes arriving within 1 ms after the
 * first come with it, as from a USB adapter. 0 on timeout; -1 when waiting
 * without a limit for a device that will never send anything.
 * drain: until the last byte written has left the host.
 * flush_input: drop what has arrived and was not read.
 */
void uart_sim_set_line(struct uart_sim *sim, const struct uart_sim_line *line);
int uart_sim_write(struct uart_sim *sim, const void *buf, size_t len);
ssize_t uart_sim_read(struct uart_sim *sim, void *buf, size_t cap, uint64_t timeout_ns);
void uart_sim_drain(struct uart_sim *sim);
void uart_sim_flush_input(struct uart_sim *sim);
uint64_t uart_sim_now(const struct uart_sim *sim);
void uart_sim_sleep(struct uart_sim *sim, uint64_t ns);

/*
 * The known models, ", "-separated ("gx"), into buf (cut at len - 1);
 * returns buf.
 */
char *uart_sim_model_names(char *buf, size_t len);

/*
 * For emulator models (sim/sim_MODEL.c); hosts need none of this. The
 * runner calls the model from one thread, with now_ns = model time since
 * the emulator started (on a pty: monotonic time). A model is listed in
 * the table in sim/sim_uart_models.c and nowhere else.
 *
 * create, input and output are required; every other callback may be NULL,
 * with the meaning given for it.
 */
struct uart_sim_model {
	const char *name;
	/* opts: the spec after "name," without the runner's keys (pty, pace). */
	void *(*create)(const char *opts, int pace, char *err, size_t errlen);
	/* The host's settings changed (and once at start). NULL: ignored. */
	void (*line)(void *dev, uint64_t now_ns, const struct uart_sim_line *l);
	/* uart_sim_set_modem() was called: which 'd' or 'r'. NULL: ignored. */
	void (*modem)(void *dev, uint64_t now_ns, char which, int value);
	/*
	 * How many host bytes the device takes now (the rest waits, as in a
	 * pty). NULL: all of them.
	 */
	size_t (*room)(void *dev, uint64_t now_ns);
	/*
	 * Host bytes. A pty cannot tell whether bytes read around a change of
	 * the host's settings were written before or after it: alt is then the
	 * settings before the change (else NULL), and either may apply. In
	 * model time alt is the settings the bytes were written with, when
	 * those are not the current ones.
	 */
	void (*input)(void *dev, uint64_t now_ns, const uint8_t *buf, size_t n,
		      const struct uart_sim_line *alt);
	/* The rate of the next output bytes (for pacing). NULL: the host's baud. */
	unsigned (*rate)(void *dev, uint64_t now_ns);
	/* Bytes leaving the device now, at most cap, all at rate(). */
	size_t (*output)(void *dev, uint64_t now_ns, uint8_t *buf, size_t cap);
	/*
	 * When the device next has something to do; UINT64_MAX: on input
	 * only. NULL: always UINT64_MAX.
	 */
	uint64_t (*next_event)(void *dev, uint64_t now_ns);
	/*
	 * Write the model's files and free dev; 0, or -1 with a message in
	 * err. NULL: free(dev) is all it takes.
	 */
	int (*finish)(void *dev, char *err, size_t errlen);
};

#endif
