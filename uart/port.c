/* SPDX-License-Identifier: MIT */
/* Port spec dispatch and the calls every backend shares. */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "parse.h"

struct ub_port *ub_port_new(const struct ub_port_ops *ops, void *priv, const char *name)
{
	struct ub_port *port = calloc(1, sizeof(*port));

	if (!port)
		return NULL;
	port->ops = ops;
	port->priv = priv;
	snprintf(port->name, sizeof(port->name), "%s", name);
	return port;
}

const struct ub_port_backend ub_port_backends[] = {
	{ { "tty", "/dev/ttyUSB0" }, ub_tty_open },
	{ { "tcp", "tcp:HOST:PORT[,baud=N]" }, ub_tcp_open },
	{ { "rfc2217", "rfc2217:HOST:PORT" }, ub_rfc2217_open },
	{ { "sim", "sim:MODEL[,pty][,KEY=VALUE...]" }, ub_portsim_open },
	{ { NULL, NULL }, NULL },
};

const struct ub_backend_table ub_port_table = UB_BACKEND_TABLE(ub_port_backends);

char *ub_port_usages(char *buf, size_t len)
{
	return ub_backend_usages(&ub_port_table, buf, len);
}

static const struct ub_port_backend *find_backend(const char *name)
{
	return (const struct ub_port_backend *)ub_backend_find(&ub_port_table, name, strlen(name));
}

/* A path, or a bare device name ("ttyUSB0"): the tty backend, spec untouched. */
static int is_tty_path(const char *spec)
{
	return spec[0] == '/' || spec[0] == '.' || (!strchr(spec, ':') && !strchr(spec, ','));
}

static int open_backend(const char *spec, const struct ub_port_line *line,
			struct ub_port **out, struct ub_err *err)
{
	const struct ub_port_backend *b;
	char usages[256];
	struct ub_spec s;

	if (!*spec)
		return ub_fail(err, UB_EUSAGE, "no port given; use -p with %s",
			       ub_port_usages(usages, sizeof(usages)));
	if (is_tty_path(spec))
		return find_backend("tty")->open(spec, "", line, out, err);
	if (ub_spec_parse(spec, &s) < 0)
		return ub_fail(err, UB_EUSAGE, "port spec '%s' is too long", spec);
	b = find_backend(s.name);
	if (!b)
		return ub_fail(err, UB_EUSAGE, "unknown port type '%s' in '%s' (use %s)", s.name,
			       spec, ub_port_usages(usages, sizeof(usages)));
	return b->open(s.arg, s.opts, line, out, err);
}

int ub_port_open(const char *spec, const struct ub_port_line *line,
		 struct ub_port **out, struct ub_err *err)
{
	*out = NULL;
	if (open_backend(spec ? spec : "", line, out, err) < 0)
		return -1;
	(*out)->line = *line;
	if (ub_port_flush_input(*out, err) < 0) {
		ub_port_close(*out, NULL);
		*out = NULL;
		return -1;
	}
	return 0;
}

int ub_port_close(struct ub_port *port, struct ub_err *err)
{
	int rc;

	if (!port)
		return 0;
	rc = port->ops->close(port->priv, err);
	free(port);
	return rc;
}

int ub_port_set_line(struct ub_port *port, const struct ub_port_line *line,
		     struct ub_err *err)
{
	if (port->ops->set_line(port->priv, line, err) < 0)
		return -1;
	port->line = *line;
	return 0;
}

int ub_port_set_baud(struct ub_port *port, unsigned baud, struct ub_err *err)
{
	struct ub_port_line line = port->line;

	if (line.baud == baud)
		return 0;
	line.baud = baud;
	return ub_port_set_line(port, &line, err);
}

int ub_port_takes_baud(struct ub_port *port, unsigned baud, struct ub_err *err)
{
	if (baud == port->line.baud || !port->ops->takes_baud)
		return 1;
	return port->ops->takes_baud(port->priv, baud, err);
}

int ub_port_worth_trying(struct ub_port *port, unsigned baud, const struct ub_log *log,
			 int *told)
{
	struct ub_err why = { 0 };

	if (ub_port_takes_baud(port, baud, &why))
		return 1;
	ub_logf(log, (*told)++ ? UB_LOG_DEBUG : UB_LOG_INFO, "not switching to %u baud: %s",
		baud, why.msg);
	return 0;
}

int ub_port_write(struct ub_port *port, const void *buf, size_t len, struct ub_err *err)
{
	return port->ops->write(port->priv, buf, len, err);
}

ssize_t ub_port_read(struct ub_port *port, void *buf, size_t cap, int timeout_ms,
		     struct ub_err *err)
{
	/* read(fd, buf, 0) returns 0, which a tty backend would take for a hang-up. */
	if (cap == 0)
		return 0;
	return port->ops->read(port->priv, buf, cap, timeout_ms, err);
}

int ub_port_drain(struct ub_port *port, struct ub_err *err)
{
	return port->ops->drain(port->priv, err);
}

int ub_port_flush_input(struct ub_port *port, struct ub_err *err)
{
	return port->ops->flush_input(port->priv, err);
}

int ub_port_set_modem(struct ub_port *port, char which, int value, struct ub_err *err)
{
	return port->ops->set_modem(port->priv, which, value, err);
}

int ub_port_release_lines(struct ub_port *port, struct ub_err *err)
{
	if (ub_port_set_modem(port, 'd', 0, err) < 0 || ub_port_set_modem(port, 'r', 0, err) < 0)
		return -1;
	return 0;
}

int64_t ub_port_clock_ms(struct ub_port *port)
{
	return port->ops->now ? port->ops->now(port->priv) : ub_clock_ms();
}

void ub_port_sleep_ms(struct ub_port *port, int ms)
{
	if (port->ops->sleep)
		port->ops->sleep(port->priv, ms);
	else
		ub_sleep_ms(ms);
}

/* What is left of timeout_ms that started at start: -1 stays "no limit". */
static int time_left(struct ub_port *port, int64_t start, int timeout_ms)
{
	int64_t left;

	if (timeout_ms < 0)
		return -1;
	left = start + timeout_ms - ub_port_clock_ms(port);
	return left < 0 ? 0 : (int)left;
}

ssize_t ub_port_read_exact(struct ub_port *port, void *buf, size_t n, int timeout_ms,
			   struct ub_err *err)
{
	int64_t start = ub_port_clock_ms(port);
	size_t got = 0;

	while (got < n) {
		int left = time_left(port, start, timeout_ms);
		ssize_t r = ub_port_read(port, (uint8_t *)buf + got, n - got, left, err);

		if (r < 0)
			return -1;
		if (r == 0) {
			ub_fail(err, UB_ENODEV, "%s: %zu of %zu bytes in %d ms", port->name,
				got, n, timeout_ms);
			return 0;
		}
		got += (size_t)r;
	}
	return (ssize_t)n;
}

/* One byte at a time, so that nothing after the '\n' is taken from the port. */
ssize_t ub_port_read_line(struct ub_port *port, char *buf, size_t cap, int timeout_ms,
			  struct ub_err *err)
{
	int64_t start = ub_port_clock_ms(port);
	size_t len = 0, taken = 0;

	if (cap == 0)
		return ub_fail(err, UB_EFAIL, "no room for a line from %s", port->name);
	buf[0] = 0;
	for (;;) {
		int left = time_left(port, start, timeout_ms);
		char c;
		ssize_t r = ub_port_read(port, &c, 1, left, err);

		if (r < 0)
			return -1;
		if (r == 0) {
			ub_fail(err, UB_ENODEV, "%s: no end of line in %d ms (%zu bytes)",
				port->name, timeout_ms, taken);
			return 0;
		}
		taken++;
		if (c == '\n')
			return (ssize_t)taken;
		if (c == '\r')
			continue;
		if (len + 1 == cap)
			return ub_fail(err, UB_EFAIL, "a line from %s is longer than %zu bytes",
				       port->name, cap - 1);
		buf[len++] = c;
		buf[len] = 0;
	}
}
