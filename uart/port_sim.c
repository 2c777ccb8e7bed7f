/* SPDX-License-Identifier: MIT */
/*
 * sim:MODEL[,key=value...]: an emulator (sim/sim_uart.h) on a pty pair. The
 * port is the pty slave opened by the tty backend, so the real termios code
 * runs; only the modem lines, which a pty lacks, go to the emulator directly.
 */
#include "port.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim_uart.h"

struct portsim {
	struct uart_sim *sim;
	struct ub_port *tty;
};

static int sim_set_line(void *priv, const struct ub_port_line *line, struct ub_err *err)
{
	struct portsim *ps = priv;
	if (ub_port_set_line(ps->tty, line, err) < 0)
		return -1;
	uart_sim_set_parity(ps->sim, line->parity == UB_PARITY_EVEN ? 'e' :
			    line->parity == UB_PARITY_ODD ? 'o' : 'n');
	return 0;
}

static int sim_write(void *priv, const void *buf, size_t len, struct ub_err *err)
{
	struct portsim *ps = priv;

	return ub_port_write(ps->tty, buf, len, err);
}

static ssize_t sim_read(void *priv, void *buf, size_t cap, int timeout_ms, struct ub_err *err)
{
	struct portsim *ps = priv;

	return ub_port_read(ps->tty, buf, cap, timeout_ms, err);
}

static int sim_drain(void *priv, struct ub_err *err)
{
	struct portsim *ps = priv;

	return ub_port_drain(ps->tty, err);
}

static int sim_flush_input(void *priv, struct ub_err *err)
{
	struct portsim *ps = priv;

	return ub_port_flush_input(ps->tty, err);
}

static int sim_set_modem(void *priv, char which, int value, struct ub_err *err)
{
	struct portsim *ps = priv;

	if (ub_port_set_modem(ps->tty, which, value, err) < 0)
		return -1;
	uart_sim_set_modem(ps->sim, which, value);
	return 0;
}

/* Errors from writing the emulator's files cannot be returned from close. */
static void sim_close(void *priv)
{
	struct portsim *ps = priv;
	char msg[256];

	ub_port_close(ps->tty);
	if (uart_sim_stop(ps->sim, msg, sizeof(msg)) < 0)
		fprintf(stderr, "emulator: %s\n", msg);
	free(ps);
}

static const struct ub_port_ops sim_ops = {
	.set_line = sim_set_line,
	.write = sim_write,
	.read = sim_read,
	.drain = sim_drain,
	.flush_input = sim_flush_input,
	.set_modem = sim_set_modem,
	.close = sim_close,
};

int ub_portsim_open(const char *model, const char *opts, const struct ub_port_line *line,
		    struct ub_port **out, struct ub_err *err)
{
	struct portsim *ps;
	char spec[512], msg[256], name[160];

	*out = NULL;
	if (!*model)
		return ub_fail(err, UB_EUSAGE, "sim needs a model, e.g. -p sim:gx");
	snprintf(spec, sizeof(spec), "%s%s%s", model, *opts ? "," : "", opts);
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return ub_fail(err, UB_EFAIL, "out of memory");
	ps->sim = uart_sim_start(spec, msg, sizeof(msg));
	if (!ps->sim) {
		free(ps);
		return ub_fail(err, UB_EUSAGE, "sim:%s: %s", model, msg);
	}
	if (ub_tty_open(uart_sim_slave_path(ps->sim), line, &ps->tty, err) < 0) {
		uart_sim_stop(ps->sim, msg, sizeof(msg));
		free(ps);
		return -1;
	}
	uart_sim_set_parity(ps->sim, line->parity == UB_PARITY_EVEN ? 'e' :
			    line->parity == UB_PARITY_ODD ? 'o' : 'n');
	snprintf(name, sizeof(name), "sim:%s", model);
	*out = ub_port_new(&sim_ops, ps, name);
	if (!*out) {
		sim_close(ps);
		return ub_fail(err, UB_EFAIL, "out of memory");
	}
	return 0;
}
