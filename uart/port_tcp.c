/* SPDX-License-Identifier: MIT */
/*
 * A raw TCP port (ser2net "raw"): the bytes go through untouched, and the
 * remote serial port runs at a speed fixed on the server, given as baud=N.
 * The TCP plumbing is in uart/net.c.
 */
#include "net.h"
#include "parse.h"
#include "port.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tcp {
	int fd;
	unsigned baud;  /* the remote port's fixed speed */
	char name[128];
};

static int tcp_set_line(void *priv, const struct ub_port_line *line, struct ub_err *err)
{
	const struct tcp *t = priv;
	const char *addr = t->name + strlen("tcp:");

	if (line->baud != t->baud)
		return ub_fail(err, UB_EUSAGE, "%s is a raw TCP port at %u baud; it cannot switch "
			       "to %u baud (use rfc2217:%s, or set the remote port to %u and give "
			       "%s,baud=%u)", t->name, t->baud, line->baud, addr, line->baud,
			       t->name, line->baud);
	if (line->parity != UB_PARITY_NONE)
		return ub_fail(err, UB_EUSAGE, "%s is a raw TCP port without parity; it cannot "
			       "switch to %s parity (use rfc2217:%s)", t->name,
			       line->parity == UB_PARITY_EVEN ? "even" : "odd", addr);
	return 0;
}

static int tcp_takes_baud(void *priv, unsigned baud, struct ub_err *err)
{
	const struct ub_port_line line = { baud, UB_PARITY_NONE, 0 };

	return tcp_set_line(priv, &line, err) == 0;
}

static int tcp_write(void *priv, const void *buf, size_t len, struct ub_err *err)
{
	const struct tcp *t = priv;

	return ub_net_write(t->fd, t->name, buf, len, err);
}

static ssize_t tcp_read(void *priv, void *buf, size_t cap, int timeout_ms, struct ub_err *err)
{
	const struct tcp *t = priv;

	return ub_net_read(t->fd, t->name, buf, cap, timeout_ms, err);
}

static int tcp_drain(void *priv, struct ub_err *err)
{
	const struct tcp *t = priv;

	return ub_net_drain(t->fd, t->name, err);
}

static int tcp_flush_input(void *priv, struct ub_err *err)
{
	const struct tcp *t = priv;
	uint8_t junk[1024];
	ssize_t n;

	while ((n = ub_net_read(t->fd, t->name, junk, sizeof(junk), 0, err)) > 0)
		;
	return n < 0 ? -1 : 0;
}

static int tcp_set_modem(void *priv, char which, int value, struct ub_err *err)
{
	(void)priv;
	(void)which;
	(void)value;
	(void)err;
	return 1;
}

static int tcp_close(void *priv, struct ub_err *err)
{
	struct tcp *t = priv;

	(void)err;
	close(t->fd);
	free(t);
	return 0;
}

static const struct ub_port_ops tcp_ops = {
	.set_line = tcp_set_line,
	.takes_baud = tcp_takes_baud,
	.write = tcp_write,
	.read = tcp_read,
	.drain = tcp_drain,
	.flush_input = tcp_flush_input,
	.set_modem = tcp_set_modem,
	.close = tcp_close,
};

static int parse_opts(struct tcp *t, const char *opts, struct ub_err *err)
{
	const char *cur = opts;
	char key[16], val[32];
	uint64_t v;
	int r;

	while ((r = ub_kv_next(&cur, key, sizeof(key), val, sizeof(val))) > 0) {
		if (strcmp(key, "baud"))
			return ub_fail(err, UB_EUSAGE, "%s: unknown option '%s' (known: baud=N, "
				       "the remote port's fixed speed)", t->name, key);
		if (ub_parse_u64(val, &v) < 0 || v == 0 || v > UINT_MAX)
			return ub_fail(err, UB_EUSAGE, "%s: bad baud '%s' (e.g. baud=115200)",
				       t->name, val);
		t->baud = (unsigned)v;
	}
	if (r < 0)
		return ub_fail(err, UB_EUSAGE, "%s: malformed options '%s' (e.g. %s,baud=115200)",
			       t->name, opts, t->name);
	return 0;
}

int ub_tcp_open(const char *arg, const char *opts, const struct ub_port_line *line,
		struct ub_port **out, struct ub_err *err)
{
	struct tcp t = { .fd = -1, .baud = 115200 };
	struct tcp *priv;

	*out = NULL;
	snprintf(t.name, sizeof(t.name), "tcp:%s", arg);
	/* Everything given is checked before connecting. */
	if (ub_net_check_addr("tcp", arg, err) < 0 ||
	    parse_opts(&t, opts ? opts : "", err) < 0 || tcp_set_line(&t, line, err) < 0)
		return -1;
	t.fd = ub_net_connect("tcp", arg, err);
	if (t.fd < 0)
		return -1;
	priv = malloc(sizeof(*priv));
	if (priv) {
		*priv = t;
		*out = ub_port_new(&tcp_ops, priv, t.name);
	}
	if (!*out) {
		free(priv);
		close(t.fd);
		return ub_fail(err, UB_EFAIL, "out of memory");
	}
	return 0;
}
