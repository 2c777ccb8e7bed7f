/* SPDX-License-Identifier: MIT */
/*
 * An RFC 2217 server (ser2net "telnet(rfc2217)"): a telnet client in binary
 * mode with the COM-PORT-OPTION, so the line settings and modem lines of the
 * remote serial port follow ours. Received bytes go through a telnet parser;
 * the data it leaves is kept in a buffer, so bytes that arrive while we wait
 * for a server's reply reach the next read.
 */
#include "clock.h"
#include "net.h"
#include "port.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Telnet (RFC 854, 855) */
enum { SE = 240, SB = 250, WILL = 251, WONT = 252, DO = 253, DONT = 254, IAC = 255 };
enum { OPT_BINARY = 0, OPT_SGA = 3, OPT_COMPORT = 44 };

/* COM-PORT-OPTION commands (RFC 2217); the server answers with code + 100. */
enum {
	CPO_SET_BAUDRATE = 1, CPO_SET_DATASIZE = 2, CPO_SET_PARITY = 3, CPO_SET_STOPSIZE = 4,
	CPO_SET_CONTROL = 5, CPO_PURGE_DATA = 12, CPO_SERVER = 100,
};
enum { PARITY_NONE = 1, PARITY_ODD = 2, PARITY_EVEN = 3 };
enum { DTR_ON = 8, DTR_OFF = 9, RTS_ON = 11, RTS_OFF = 12 };
enum { PURGE_RX = 1 };

#define REPLY_MS 3000
/* ser2net does not answer SET-CONTROL when the device has no modem lines. */
#define MODEM_REPLY_MS 1000
#define MAX_UNREAD (16u << 20)

/* Option state of one side (the RFC 1143 Q method, without disabling). */
enum { Q_NO, Q_YES, Q_WANTYES };

enum parse_state { S_DATA, S_IAC, S_OPT, S_SB, S_SB_IAC };

struct rfc {
	int fd;
	char name[128];           /* "rfc2217:HOST:PORT" */
	enum parse_state state;
	uint8_t verb;             /* WILL/WONT/DO/DONT waiting for its option */
	uint8_t sb[16];           /* a subnegotiation (longer ones are cut) */
	size_t sblen;
	uint8_t us[256], them[256];
	unsigned replied;         /* bit per command code: its answer came */
	uint32_t answer[CPO_PURGE_DATA + 1];
	int modem_silent, purge_silent;
	uint8_t *data;            /* received data not yet read: data[off..len) */
	size_t off, len, cap;
};

static int send_bytes(struct rfc *r, const uint8_t *buf, size_t len, struct ub_err *err)
{
	return ub_net_write(r->fd, r->name, buf, len, err);
}

static int keep(struct rfc *r, const uint8_t *p, size_t n, struct ub_err *err)
{
	if (n == 0)
		return 0;
	if (r->off == r->len)
		r->off = r->len = 0;
	if (r->len + n > r->cap && r->off) {
		memmove(r->data, r->data + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		uint8_t *data;

		while (cap < r->len + n)
			cap *= 2;
		if (cap > MAX_UNREAD)
			return ub_fail(err, UB_EFAIL, "%s: more than %u MiB received and not read",
				       r->name, MAX_UNREAD >> 20);
		data = realloc(r->data, cap);
		if (!data)
			return ub_fail(err, UB_EFAIL, "out of memory");
		r->data = data;
		r->cap = cap;
	}
	memcpy(r->data + r->len, p, n);
	r->len += n;
	return 0;
}

static int wanted(int ours, uint8_t opt)
{
	return opt == OPT_BINARY || opt == OPT_SGA || (ours && opt == OPT_COMPORT);
}

/* The server sent verb (WILL/WONT/DO/DONT) for opt: agree, refuse or note. */
static int negotiate(struct rfc *r, uint8_t verb, uint8_t opt, struct ub_err *err)
{
	int ours = verb == DO || verb == DONT;
	int on = verb == DO || verb == WILL;
	uint8_t *q = ours ? &r->us[opt] : &r->them[opt];
	uint8_t was = *q;
	uint8_t reply[3] = { IAC, 0, opt };

	if (on && wanted(ours, opt)) {
		*q = Q_YES;
		/* Agreeing again, or to what we asked for, would loop. */
		reply[1] = was == Q_NO ? (ours ? WILL : DO) : 0;
	} else {
		*q = Q_NO;
		/* Refuse an offer; confirm that an agreed option ends. */
		reply[1] = on || was == Q_YES ? (ours ? WONT : DONT) : 0;
	}
	return reply[1] ? send_bytes(r, reply, sizeof(reply), err) : 0;
}

static void subnegotiation(struct rfc *r)
{
	unsigned code;
	uint32_t value = 0;
	size_t i;

	if (r->sblen < 2 || r->sb[0] != OPT_COMPORT || r->sb[1] < CPO_SERVER)
		return;
	code = r->sb[1] - CPO_SERVER;
	if (code > CPO_PURGE_DATA)
		return;
	for (i = 2; i < r->sblen && i < 6; i++)
		value = value << 8 | r->sb[i];
	r->answer[code] = value;
	r->replied |= 1u << code;
}

static void sb_add(struct rfc *r, uint8_t c)
{
	if (r->sblen < sizeof(r->sb))
		r->sb[r->sblen++] = c;
}

/* Run received bytes through the telnet parser. */
static int feed(struct rfc *r, const uint8_t *p, size_t n, struct ub_err *err)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];

		switch (r->state) {
		case S_DATA: {
			const uint8_t *iac = memchr(p + i, IAC, n - i);
			size_t run = iac ? (size_t)(iac - (p + i)) : n - i;

			if (keep(r, p + i, run, err) < 0)
				return -1;
			i += run;
			if (iac) {
				r->state = S_IAC;
				i++;
			}
			continue;
		}
		case S_IAC:
			r->state = S_DATA;
			if (c == IAC && keep(r, &c, 1, err) < 0)
				return -1;
			if (c >= WILL && c <= DONT) {
				r->verb = c;
				r->state = S_OPT;
			} else if (c == SB) {
				r->sblen = 0;
				r->state = S_SB;
			}
			/* Other commands (NOP, GA, ...) carry nothing for us. */
			break;
		case S_OPT:
			r->state = S_DATA;
			if (negotiate(r, r->verb, c, err) < 0)
				return -1;
			break;
		case S_SB:
			if (c == IAC)
				r->state = S_SB_IAC;
			else
				sb_add(r, c);
			break;
		case S_SB_IAC:
			r->state = c == IAC ? S_SB : S_DATA;
			if (c == IAC)
				sb_add(r, c);
			else if (c == SE)
				subnegotiation(r);
			break;
		}
		i++;
	}
	return 0;
}

/* Read once (waiting at most timeout_ms) and parse: 1, 0 on timeout, -1. */
static int pump(struct rfc *r, int timeout_ms, struct ub_err *err)
{
	uint8_t raw[4096];
	ssize_t n = ub_net_read(r->fd, r->name, raw, sizeof(raw), timeout_ms, err);

	if (n <= 0)
		return (int)n;
	return feed(r, raw, (size_t)n, err) < 0 ? -1 : 1;
}

static int ms_left(int64_t deadline)
{
	int64_t left = deadline - ub_clock_ms();

	return left > 0 ? (int)left : 0;
}

/* Wait for the answers to the commands in mask: 1, 0 on timeout, -1. */
static int await(struct rfc *r, unsigned mask, int timeout_ms, struct ub_err *err)
{
	int64_t deadline = ub_clock_ms() + timeout_ms;

	while ((r->replied & mask) != mask) {
		int n = ms_left(deadline) ? pump(r, ms_left(deadline), err) : 0;

		if (n <= 0)
			return n;
	}
	return 1;
}

/* IAC SB COM-PORT-OPTION code value IAC SE, value big-endian in width bytes. */
static size_t put_command(uint8_t *to, uint8_t code, uint32_t value, int width)
{
	size_t n = 0;

	to[n++] = IAC;
	to[n++] = SB;
	to[n++] = OPT_COMPORT;
	to[n++] = code;
	while (width--) {
		uint8_t b = (uint8_t)(value >> (8 * width));

		to[n++] = b;
		if (b == IAC)
			to[n++] = IAC;
	}
	to[n++] = IAC;
	to[n++] = SE;
	return n;
}

/* Send one command and wait for its answer: 1, 0 on timeout, -1. */
static int command(struct rfc *r, uint8_t code, uint32_t value, int timeout_ms,
		   struct ub_err *err)
{
	uint8_t msg[16];
	size_t n = put_command(msg, code, value, 1);

	r->replied &= ~(1u << code);
	if (send_bytes(r, msg, n, err) < 0)
		return -1;
	return timeout_ms ? await(r, 1u << code, timeout_ms, err) : 0;
}

static const char *parity_name(uint32_t v)
{
	return v == PARITY_NONE ? "no" : v == PARITY_ODD ? "odd" : v == PARITY_EVEN ? "even" :
	       "unknown";
}

static int rfc_set_line(void *priv, const struct ub_port_line *line, struct ub_err *err)
{
	struct rfc *r = priv;
	uint32_t parity = line->parity == UB_PARITY_EVEN ? PARITY_EVEN :
			  line->parity == UB_PARITY_ODD ? PARITY_ODD : PARITY_NONE;
	unsigned mask = 1u << CPO_SET_BAUDRATE | 1u << CPO_SET_DATASIZE |
			1u << CPO_SET_PARITY | 1u << CPO_SET_STOPSIZE;
	uint8_t msg[64];
	size_t n = 0;
	int rc;

	if (line->baud == 0)
		return ub_fail(err, UB_EUSAGE, "baud rate 0 for %s", r->name);
	n += put_command(msg + n, CPO_SET_BAUDRATE, line->baud, 4);
	n += put_command(msg + n, CPO_SET_DATASIZE, 8, 1);
	n += put_command(msg + n, CPO_SET_PARITY, parity, 1);
	n += put_command(msg + n, CPO_SET_STOPSIZE, 1, 1);
	r->replied &= ~mask;
	if (send_bytes(r, msg, n, err) < 0)
		return -1;
	rc = await(r, mask, REPLY_MS, err);
	if (rc <= 0)
		return rc < 0 ? -1 : ub_fail(err, UB_ENODEV, "%s did not confirm the line "
					     "settings within %d s (is it an RFC 2217 server?)",
					     r->name, REPLY_MS / 1000);
	if (r->answer[CPO_SET_BAUDRATE] != line->baud)
		return ub_fail(err, UB_EFAIL, "%s set %u baud, not %u (the server's serial port "
			       "cannot run at that speed?)", r->name,
			       (unsigned)r->answer[CPO_SET_BAUDRATE], line->baud);
	if (r->answer[CPO_SET_PARITY] != parity)
		return ub_fail(err, UB_EFAIL, "%s set %s parity, not %s (the server's serial "
			       "port cannot do it?)", r->name,
			       parity_name(r->answer[CPO_SET_PARITY]), parity_name(parity));
	if (r->answer[CPO_SET_DATASIZE] != 8 || r->answer[CPO_SET_STOPSIZE] != 1)
		return ub_fail(err, UB_EFAIL, "%s set %u data bits and stop size %u, not 8 and 1",
			       r->name, (unsigned)r->answer[CPO_SET_DATASIZE],
			       (unsigned)r->answer[CPO_SET_STOPSIZE]);
	return 0;
}

static int rfc_write(void *priv, const void *buf, size_t len, struct ub_err *err)
{
	struct rfc *r = priv;
	const uint8_t *p = buf;
	uint8_t out[4096];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		out[n++] = p[i];
		if (p[i] == IAC)
			out[n++] = IAC;
		if (n >= sizeof(out) - 1) {
			if (send_bytes(r, out, n, err) < 0)
				return -1;
			n = 0;
		}
	}
	return n ? send_bytes(r, out, n, err) : 0;
}

static ssize_t rfc_read(void *priv, void *buf, size_t cap, int timeout_ms, struct ub_err *err)
{
	struct rfc *r = priv;
	int64_t deadline = ub_clock_ms() + timeout_ms;
	size_t n;

	while (r->off == r->len) {
		int got = pump(r, timeout_ms < 0 ? -1 : ms_left(deadline), err);

		if (got <= 0)
			return got;
	}
	n = r->len - r->off < cap ? r->len - r->off : cap;
	memcpy(buf, r->data + r->off, n);
	r->off += n;
	return (ssize_t)n;
}

static int rfc_drain(void *priv, struct ub_err *err)
{
	const struct rfc *r = priv;

	return ub_net_drain(r->fd, r->name, err);
}

static int rfc_flush_input(void *priv, struct ub_err *err)
{
	struct rfc *r = priv;
	int rc = command(r, CPO_PURGE_DATA, PURGE_RX, r->purge_silent ? 0 : REPLY_MS, err);

	if (rc < 0)
		return -1;
	/* A server that never answers is not waited for again. */
	if (rc == 0)
		r->purge_silent = 1;
	/* What came before the answer was on its way before the purge. */
	do
		r->off = r->len = 0;
	while ((rc = pump(r, 0, err)) > 0);
	return rc;
}

static int rfc_set_modem(void *priv, char which, int value, struct ub_err *err)
{
	struct rfc *r = priv;
	uint8_t code = which == 'd' ? (value ? DTR_ON : DTR_OFF) : (value ? RTS_ON : RTS_OFF);
	int rc = command(r, CPO_SET_CONTROL, code, r->modem_silent ? 0 : MODEM_REPLY_MS, err);

	if (rc < 0)
		return -1;
	/*
	 * No answer: the server could not drive the line (ser2net on a pty) or
	 * does not confirm; later commands are still sent, without waiting.
	 */
	if (rc == 0)
		r->modem_silent = 1;
	return rc == 1 && r->answer[CPO_SET_CONTROL] == code ? 0 : 1;
}

static int rfc_close(void *priv, struct ub_err *err)
{
	struct rfc *r = priv;

	(void)err;
	close(r->fd);
	free(r->data);
	free(r);
	return 0;
}

static const struct ub_port_ops rfc_ops = {
	.set_line = rfc_set_line,
	.write = rfc_write,
	.read = rfc_read,
	.drain = rfc_drain,
	.flush_input = rfc_flush_input,
	.set_modem = rfc_set_modem,
	.close = rfc_close,
};

/* Offer and ask for what we need; wait until the server has answered. */
static int start_telnet(struct rfc *r, struct ub_err *err)
{
	static const uint8_t hello[] = {
		IAC, WILL, OPT_COMPORT, IAC, WILL, OPT_BINARY, IAC, DO, OPT_BINARY, IAC, DO, OPT_SGA,
	};
	const char *addr = r->name + strlen("rfc2217:");
	int64_t deadline = ub_clock_ms() + REPLY_MS;

	r->us[OPT_COMPORT] = r->us[OPT_BINARY] = Q_WANTYES;
	r->them[OPT_BINARY] = r->them[OPT_SGA] = Q_WANTYES;
	if (send_bytes(r, hello, sizeof(hello), err) < 0)
		return -1;
	while (r->us[OPT_COMPORT] == Q_WANTYES || r->us[OPT_BINARY] == Q_WANTYES ||
	       r->them[OPT_BINARY] == Q_WANTYES) {
		int n = ms_left(deadline) ? pump(r, ms_left(deadline), err) : 0;

		if (n < 0)
			return -1;
		if (n == 0)
			return ub_fail(err, UB_ENODEV, "%s does not speak telnet RFC 2217 (no answer "
				       "in %d s; for a raw TCP port use tcp:%s)", r->name,
				       REPLY_MS / 1000, addr);
	}
	if (r->us[OPT_COMPORT] != Q_YES)
		return ub_fail(err, UB_ENODEV, "%s refused the RFC 2217 COM-PORT option (a plain "
			       "telnet port? ser2net needs 'telnet(rfc2217)')", r->name);
	if (r->us[OPT_BINARY] != Q_YES || r->them[OPT_BINARY] != Q_YES)
		return ub_fail(err, UB_ENODEV, "%s refused telnet binary mode, so bytes would not "
			       "pass unchanged", r->name);
	return 0;
}

/* A server that hangs up at once often says why first (ser2net: "in use"). */
static void add_what_it_said(struct rfc *r, struct ub_err *err)
{
	struct ub_err ignored = { 0 };
	char said[81];
	size_t i, n = 0, used;

	while (pump(r, 0, &ignored) > 0)
		;

	for (i = r->off; i < r->len && n < sizeof(said) - 1; i++) {
		uint8_t c = r->data[i];

		if (c == '\r' || c == '\n')
			break;
		if (c < 0x20 || c > 0x7e)
			return;
		said[n++] = (char)c;
	}
	if (n == 0 || err->status == UB_OK)
		return;
	said[n] = '\0';
	used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, "; it said \"%s\"", said);
}

int ub_rfc2217_open(const char *arg, const char *opts, const struct ub_port_line *line,
		    struct ub_port **out, struct ub_err *err)
{
	struct rfc *r;
	int fd;

	*out = NULL;
	if (opts && *opts)
		return ub_fail(err, UB_EUSAGE, "rfc2217:%s: unknown options '%s' (rfc2217 takes "
			       "none: the speed is set through the protocol)", arg, opts);
	if (line->baud == 0)
		return ub_fail(err, UB_EUSAGE, "baud rate 0 for rfc2217:%s", arg);
	fd = ub_net_connect("rfc2217", arg, err);
	if (fd < 0)
		return -1;
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return ub_fail(err, UB_EFAIL, "out of memory");
	}
	r->fd = fd;
	snprintf(r->name, sizeof(r->name), "rfc2217:%s", arg);
	if (start_telnet(r, err) < 0 || rfc_set_line(r, line, err) < 0) {
		add_what_it_said(r, err);
		rfc_close(r, NULL);
		return -1;
	}
	*out = ub_port_new(&rfc_ops, r, r->name);
	if (!*out) {
		rfc_close(r, NULL);
		return ub_fail(err, UB_EFAIL, "out of memory");
	}
	return 0;
}
