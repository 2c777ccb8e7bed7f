/* SPDX-License-Identifier: MIT */
/* Port spec dispatch and the calls every backend shares. */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int ub_port_open(const char *spec, const struct ub_port_line *line,
		 struct ub_port **out, struct ub_err *err)
{
	struct ub_spec s;
	int rc;

	*out = NULL;
	if (!spec || !*spec)
		return ub_fail(err, UB_EUSAGE, "no port given; use -p /dev/ttyUSB0, "
			       "-p tcp:HOST:PORT, -p rfc2217:HOST:PORT or -p sim:MODEL");
	if (spec[0] == '/' || spec[0] == '.')
		rc = ub_tty_open(spec, line, out, err);
	else if (ub_spec_parse(spec, &s) < 0)
		return ub_fail(err, UB_EUSAGE, "port spec '%s' is too long", spec);
	else if (!strcmp(s.name, "tcp"))
		rc = ub_tcp_open(s.arg, s.opts, line, out, err);
	else if (!strcmp(s.name, "rfc2217"))
		rc = ub_rfc2217_open(s.arg, s.opts, line, out, err);
	else if (!strcmp(s.name, "sim"))
		rc = ub_portsim_open(s.arg, s.opts, line, out, err);
	else if (!strchr(spec, ':') && !strchr(spec, ','))
		rc = ub_tty_open(spec, line, out, err);
	else
		return ub_fail(err, UB_EUSAGE, "unknown port type '%s' in '%s' (use a device "
			       "path, tcp:HOST:PORT, rfc2217:HOST:PORT or sim:MODEL)",
			       s.name, spec);
	if (rc < 0)
		return -1;
	(*out)->line = *line;
	if (ub_port_flush_input(*out, err) < 0) {
		ub_port_close(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

void ub_port_close(struct ub_port *port)
{
	if (!port)
		return;
	port->ops->close(port->priv);
	free(port);
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

int ub_port_write(struct ub_port *port, const void *buf, size_t len, struct ub_err *err)
{
	return port->ops->write(port->priv, buf, len, err);
}

ssize_t ub_port_read(struct ub_port *port, void *buf, size_t cap, int timeout_ms,
		     struct ub_err *err)
{
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

int64_t ub_port_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
