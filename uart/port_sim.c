/* SPDX-License-Identifier: MIT */
/*
 * sim:MODEL[,key=value...]: an emulator (sim/sim_uart.h), in one of two modes.
 *
 *   sim:MODEL[,...]      in this process, in model time: the port's clock is
 *                        the emulator's, so the line rate, the device's
 *                        pauses and our timeouts take no real time.
 *   sim:MODEL,pty[,...]  on a pty pair in real time: the port is the pty
 *                        slave opened by the tty backend, so the real termios
 *                        code runs.
 *
 * In both, the modem lines and parity (which a pty lacks) go to the emulator
 * directly.
 *
 * In model time the clock moves only while we wait, so a program that polls
 * (reads with no timeout again and again while it watches something else,
 * as gx-upload's shell watches the terminal) would see a box frozen in
 * time. So a poll right after a poll lets model time follow the real time
 * that passed between the two (at most POLL_CATCH_UP_MS).
 */
#include "port.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "sim_uart.h"

#define POLL_CATCH_UP_MS 1000

struct portsim {
	struct uart_sim *sim;
	struct ub_port *tty;   /* pty mode only */
	char name[160];
	int polling;           /* model time: the last call was a poll, at poll_ns */
	uint64_t poll_ns;
};

static char parity_char(enum ub_parity parity)
{
	return parity == UB_PARITY_EVEN ? 'e' : parity == UB_PARITY_ODD ? 'o' : 'n';
}

static int sim_set_modem(void *priv, char which, int value, struct ub_err *err)
{
	struct portsim *ps = priv;

	if (ps->tty && ub_port_set_modem(ps->tty, which, value, err) < 0)
		return -1;
	uart_sim_set_modem(ps->sim, which, value);
	return 0;
}

static int sim_close(void *priv, struct ub_err *err)
{
	struct portsim *ps = priv;
	char msg[256];
	int rc = ub_port_close(ps->tty, err);

	if (uart_sim_stop(ps->sim, msg, sizeof(msg)) < 0)
		rc = ub_fail(err, UB_EFAIL, "emulator: %s", msg);
	free(ps);
	return rc;
}

/* ---------------------------------------------------- pty, in real time */

static int pty_set_line(void *priv, const struct ub_port_line *line, struct ub_err *err)
{
	struct portsim *ps = priv;

	if (ub_port_set_line(ps->tty, line, err) < 0)
		return -1;
	uart_sim_set_parity(ps->sim, parity_char(line->parity));
	return 0;
}

static int pty_takes_baud(void *priv, unsigned baud, struct ub_err *err)
{
	const struct portsim *ps = priv;

	return ub_port_takes_baud(ps->tty, baud, err);
}

static int pty_write(void *priv, const void *buf, size_t len, struct ub_err *err)
{
	struct portsim *ps = priv;

	return ub_port_write(ps->tty, buf, len, err);
}

static ssize_t pty_read(void *priv, void *buf, size_t cap, int timeout_ms, struct ub_err *err)
{
	struct portsim *ps = priv;

	return ub_port_read(ps->tty, buf, cap, timeout_ms, err);
}

static int pty_drain(void *priv, struct ub_err *err)
{
	struct portsim *ps = priv;

	return ub_port_drain(ps->tty, err);
}

static int pty_flush_input(void *priv, struct ub_err *err)
{
	struct portsim *ps = priv;

	return ub_port_flush_input(ps->tty, err);
}

static const struct ub_port_ops pty_ops = {
	.set_line = pty_set_line,
	.takes_baud = pty_takes_baud,
	.write = pty_write,
	.read = pty_read,
	.drain = pty_drain,
	.flush_input = pty_flush_input,
	.set_modem = sim_set_modem,
	.close = sim_close,
};

/* ------------------------------------------------ in-process, model time */

static int model_set_line(void *priv, const struct ub_port_line *line, struct ub_err *err)
{
	struct portsim *ps = priv;
	struct uart_sim_line l = { line->baud, parity_char(line->parity), 8, line->inpck, 1 };

	if (line->baud == 0)
		return ub_fail(err, UB_EUSAGE, "baud rate 0 for %s", ps->name);
	uart_sim_set_line(ps->sim, &l);
	return 0;
}

static int model_write(void *priv, const void *buf, size_t len, struct ub_err *err)
{
	struct portsim *ps = priv;

	ps->polling = 0;
	if (uart_sim_write(ps->sim, buf, len) < 0)
		return ub_fail(err, UB_EFAIL, "%s does not take data (the emulator took none "
			       "for 10 s of model time)", ps->name);
	return 0;
}

/* A poll after a poll: model time catches up with the real time between them. */
static void follow_polls(struct portsim *ps, int timeout_ms)
{
	uint64_t now;

	if (timeout_ms != 0) {
		ps->polling = 0;
		return;
	}
	now = ub_clock_ns();
	if (ps->polling) {
		uint64_t gap = now - ps->poll_ns, most = POLL_CATCH_UP_MS * 1000000ull;

		uart_sim_sleep(ps->sim, gap < most ? gap : most);
	}
	ps->polling = 1;
	ps->poll_ns = now;
}

static ssize_t model_read(void *priv, void *buf, size_t cap, int timeout_ms,
			  struct ub_err *err)
{
	struct portsim *ps = priv;
	uint64_t timeout = timeout_ms < 0 ? UINT64_MAX : (uint64_t)timeout_ms * 1000000u;
	ssize_t n;

	follow_polls(ps, timeout_ms);
	n = uart_sim_read(ps->sim, buf, cap, timeout);

	if (n < 0)
		return ub_fail(err, UB_EFAIL, "%s: a read without a timeout would wait forever: "
			       "the emulator will never send anything", ps->name);
	return n;
}

static int model_drain(void *priv, struct ub_err *err)
{
	struct portsim *ps = priv;

	(void)err;
	uart_sim_drain(ps->sim);
	return 0;
}

static int model_flush_input(void *priv, struct ub_err *err)
{
	struct portsim *ps = priv;

	(void)err;
	uart_sim_flush_input(ps->sim);
	return 0;
}

static int64_t model_now(void *priv)
{
	struct portsim *ps = priv;

	return (int64_t)(uart_sim_now(ps->sim) / 1000000u);
}

static void model_sleep(void *priv, int ms)
{
	struct portsim *ps = priv;

	ps->polling = 0;
	if (ms > 0)
		uart_sim_sleep(ps->sim, (uint64_t)ms * 1000000u);
}

static const struct ub_port_ops model_ops = {
	.set_line = model_set_line,
	.write = model_write,
	.read = model_read,
	.drain = model_drain,
	.flush_input = model_flush_input,
	.set_modem = sim_set_modem,
	.close = sim_close,
	.now = model_now,
	.sleep = model_sleep,
};

int ub_portsim_open(const char *model, const char *opts, const struct ub_port_line *line,
		    struct ub_port **out, struct ub_err *err)
{
	struct portsim *ps;
	char spec[512], msg[256];
	int rc;

	*out = NULL;
	if (!*model)
		return ub_fail(err, UB_EUSAGE, "sim needs a model, e.g. -p sim:gx");
	snprintf(spec, sizeof(spec), "%s%s%s", model, *opts ? "," : "", opts);
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return ub_fail(err, UB_EFAIL, "out of memory");
	snprintf(ps->name, sizeof(ps->name), "sim:%s", model);
	ps->sim = uart_sim_open(spec, msg, sizeof(msg));
	if (!ps->sim) {
		free(ps);
		return ub_fail(err, UB_EUSAGE, "sim:%s: %s", model, msg);
	}
	if (uart_sim_slave_path(ps->sim))
		rc = ub_tty_open(uart_sim_slave_path(ps->sim), "", line, &ps->tty, err);
	else
		rc = model_set_line(ps, line, err);
	if (rc < 0) {
		sim_close(ps, NULL);
		return -1;
	}
	uart_sim_set_parity(ps->sim, parity_char(line->parity));
	*out = ub_port_new(ps->tty ? &pty_ops : &model_ops, ps, ps->name);
	if (!*out) {
		sim_close(ps, NULL);
		return ub_fail(err, UB_EFAIL, "out of memory");
	}
	return 0;
}
