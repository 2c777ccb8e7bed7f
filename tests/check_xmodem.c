/* SPDX-License-Identifier: MIT */
/*
 * The XMODEM-1K engine (uart/xmodem.c) against a scripted peer that speaks
 * the other side, written here from the protocol (notes/uart-chips.md §2.5,
 * §3.3) and not from the engine: a receiver for the send tests, a sender for
 * the receive tests, each with fault knobs. All in model time: the line
 * carries bytes at 115200 8N1, and the peer answers after a turnaround.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "xmodem.h"

#define SOH 0x01
#define STX 0x02
#define EOT 0x04
#define ACK 0x06
#define NAK 0x15
#define CAN 0x18

#define BAUD 115200
#define BYTE_NS (10 * 1000000000LL / BAUD)
#define MS 1000000LL
#define TURN_NS (1 * MS)
#define NEVER INT64_MAX
#define MAXBLK 512

/* The peer's own CRC-16/XMODEM, bit by bit (poly 0x1021, init 0). */
static uint16_t peer_crc(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;

	while (n--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int i = 0; i < 8; i++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

struct rxbyte {
	uint8_t c;
	int64_t at;
};

/* A receiving peer (for xmodem_send), its knobs and what it saw. */
struct receiver {
	int silent;               /* never a 'C' */
	int64_t c_interval;       /* 'C' every this long until a block begins */
	int nak_first;            /* NAK the first try of this block */
	int lose_first;           /* ... or miss it altogether (its 'C's go on) */
	int drop_ack;             /* take this block but say nothing, once */
	int can_at;               /* answer this block with CAN */
	int garbage_at;           /* noise before this block's ACK */
	int mute_after;           /* take blocks up to this one, then say nothing */
	int stop_on;              /* this block sets the engine's stop flag (a signal) */
	int nak_eots;             /* NAK this many EOTs first */
	int ignore_eot;
	/* state */
	int started, in_frame;
	uint8_t frame[1029];
	size_t got;
	uint8_t *data;            /* the blocks taken, whole (padding too) */
	int blocks;               /* taken */
	int tries[MAXBLK + 2];    /* frames seen per block index */
	int dups, bad, out_of_seq, eots, cans, noise, done, lost, dropped;
};

/* A sending peer (for xmodem_receive). */
struct sender {
	int silent;               /* never answers the 'C' */
	int small;                /* 128-byte SOH blocks */
	uint8_t pad;
	int64_t resend_ns;        /* its wait for an answer */
	int damage_tries;         /* the first this many tries are damaged (0: 1) */
	int bad_crc;              /* first try of this block with a bad CRC */
	int bad_cpl;              /* ... with a bad number complement */
	int truncate;             /* ... cut short */
	int misnumber;            /* this block numbered one too high */
	int eot_after;            /* EOT after this many blocks */
	int can_at;               /* CAN instead of this block */
	int garbage_at;           /* noise before the first try of this block */
	int ignore_ack;           /* this block's ACK is lost, once */
	int mute_after;           /* stop after sending this block */
	/* state */
	const uint8_t *data;
	size_t len;
	int nblocks, idx;         /* idx: the block at hand, from 1 */
	enum { WAIT_C, WAIT_ANSWER, WAIT_EOT_ACK, DONE } state;
	int tries[MAXBLK + 2];
	int naks, acks, cs, cans, ignored, eots;
};

struct line {
	int64_t now;              /* the model clock (ns), the host's side */
	int64_t tx_free;          /* when the host's line is free */
	uint8_t *wire;            /* everything the host wrote */
	size_t wire_len, wire_cap;
	struct rxbyte *rxq;       /* what the peer sent, with arrival times */
	size_t rx_head, rx_len, rx_cap;
	int64_t rx_free;          /* when the peer's line is free */
	int64_t timer;            /* the peer's next own action */
	void (*on_byte)(struct line *l, uint8_t c, int64_t t);
	void (*on_timer)(struct line *l, int64_t t);
	struct receiver r;
	struct sender s;
	/* the engine's side */
	const uint8_t *src;
	size_t src_off;
	int src_fail_at;          /* the source fails at this offset (+1) */
	uint8_t *sink;
	size_t sink_len;
	int progress_calls;
	uint64_t last_done;
	int stop_after;           /* progress sets the stop flag at this call */
	volatile sig_atomic_t stop;
};

/* ---- the line ---- */

static void peer_say(struct line *l, int64_t t, const void *data, size_t n)
{
	int64_t start = t > l->rx_free ? t : l->rx_free;

	if (l->rx_len + n > l->rx_cap) {
		l->rx_cap = (l->rx_len + n) * 2;
		l->rxq = realloc(l->rxq, l->rx_cap * sizeof(*l->rxq));
		ck_assert_ptr_nonnull(l->rxq);
	}
	for (size_t i = 0; i < n; i++) {
		l->rxq[l->rx_len].c = ((const uint8_t *)data)[i];
		l->rxq[l->rx_len].at = start + (int64_t)(i + 1) * BYTE_NS;
		l->rx_len++;
	}
	l->rx_free = start + (int64_t)n * BYTE_NS;
}

static void peer_say1(struct line *l, int64_t t, uint8_t c)
{
	peer_say(l, t, &c, 1);
}

/* Run the peer's own actions due by until. */
static void run_timers(struct line *l, int64_t until)
{
	while (l->timer <= until) {
		int64_t t = l->timer;

		l->timer = NEVER;
		l->on_timer(l, t);
	}
}

static int line_write(void *priv, const void *buf, size_t len, struct ub_err *err)
{
	struct line *l = priv;
	int64_t start = l->now > l->tx_free ? l->now : l->tx_free;

	(void)err;
	if (l->wire_len + len > l->wire_cap) {
		l->wire_cap = (l->wire_len + len) * 2;
		l->wire = realloc(l->wire, l->wire_cap);
		ck_assert_ptr_nonnull(l->wire);
	}
	memcpy(l->wire + l->wire_len, buf, len);
	l->wire_len += len;
	for (size_t i = 0; i < len; i++) {
		int64_t t = start + (int64_t)(i + 1) * BYTE_NS;

		run_timers(l, t);
		l->on_byte(l, ((const uint8_t *)buf)[i], t);
	}
	l->tx_free = start + (int64_t)len * BYTE_NS;
	return 0;
}

static ssize_t line_read(void *priv, void *buf, size_t cap, int timeout_ms, struct ub_err *err)
{
	struct line *l = priv;
	int64_t deadline = timeout_ms < 0 ? NEVER : l->now + timeout_ms * MS;
	int64_t next;
	size_t n = 0;

	for (;;) {
		next = l->rx_head < l->rx_len ? l->rxq[l->rx_head].at : NEVER;
		if (l->timer < next && l->timer <= deadline) {
			run_timers(l, l->timer);
			continue;
		}
		break;
	}
	if (next > deadline) {
		if (timeout_ms < 0)
			return ub_fail(err, UB_EFAIL, "the test peer would never answer");
		l->now = deadline > l->now ? deadline : l->now;
		return 0;
	}
	if (next > l->now)
		l->now = next;
	while (n < cap && l->rx_head < l->rx_len && l->rxq[l->rx_head].at <= l->now)
		((uint8_t *)buf)[n++] = l->rxq[l->rx_head++].c;
	return (ssize_t)n;
}

static int line_set_line(void *priv, const struct ub_port_line *line, struct ub_err *err)
{
	(void)priv;
	(void)line;
	(void)err;
	return 0;
}

static int line_ok(void *priv, struct ub_err *err)
{
	(void)priv;
	(void)err;
	return 0;
}

static int line_flush(void *priv, struct ub_err *err)
{
	struct line *l = priv;

	(void)err;
	while (l->rx_head < l->rx_len && l->rxq[l->rx_head].at <= l->now)
		l->rx_head++;
	return 0;
}

static int line_modem(void *priv, char which, int value, struct ub_err *err)
{
	(void)priv;
	(void)which;
	(void)value;
	(void)err;
	return 1;
}

static int64_t line_now(void *priv)
{
	return ((struct line *)priv)->now / MS;
}

static void line_sleep(void *priv, int ms)
{
	((struct line *)priv)->now += ms * MS;
}

static const struct ub_port_ops line_ops = {
	.set_line = line_set_line, .write = line_write, .read = line_read, .drain = line_ok,
	.flush_input = line_flush, .set_modem = line_modem, .close = line_ok,
	.now = line_now, .sleep = line_sleep,
};

/* ---- the receiving peer ---- */

static int muted(const struct receiver *r)
{
	return r->mute_after && r->blocks > r->mute_after;
}

static void receiver_answer(struct line *l, int64_t t)
{
	struct receiver *r = &l->r;
	const uint8_t *f = r->frame;
	uint16_t crc = peer_crc(f + 3, 1024);
	int idx;

	if (f[1] + f[2] != 0xFF || f[1027] != crc >> 8 || f[1028] != (crc & 0xFF)) {
		r->bad++;
		peer_say1(l, t + TURN_NS, NAK);
		return;
	}
	if (f[1] == (uint8_t)r->blocks && r->blocks > 0) {
		r->dups++;
		r->tries[r->blocks]++;
		if (!muted(r))
			peer_say1(l, t + TURN_NS, ACK);
		return;
	}
	if (f[1] != (uint8_t)(r->blocks + 1)) {
		static const uint8_t cancel[] = { CAN, CAN };

		r->out_of_seq++;
		peer_say(l, t + TURN_NS, cancel, 2);
		return;
	}
	idx = r->blocks + 1;
	ck_assert_int_le(idx, MAXBLK);
	r->tries[idx]++;
	if (idx == r->can_at) {
		peer_say1(l, t + TURN_NS, CAN);
		return;
	}
	if (idx == r->lose_first && r->tries[idx] == 1) {
		r->lost++;
		r->started = 0;  /* it never saw a block: its 'C's go on */
		l->timer = t + r->c_interval;
		return;
	}
	if (idx == r->nak_first && r->tries[idx] == 1) {
		peer_say1(l, t + TURN_NS, NAK);
		return;
	}
	memcpy(r->data + (size_t)r->blocks * 1024, f + 3, 1024);
	r->blocks = idx;
	if (idx == r->stop_on)
		l->stop = 1;
	if (muted(r) || idx == r->stop_on)
		return;
	if (idx == r->drop_ack && !r->dropped) {
		r->dropped = 1;
		return;
	}
	if (idx == r->garbage_at)
		peer_say(l, t + TURN_NS, "\0\xff" "C!", 4);
	peer_say1(l, t + TURN_NS, ACK);
}

static void receiver_byte(struct line *l, uint8_t c, int64_t t)
{
	struct receiver *r = &l->r;

	if (r->in_frame) {
		r->frame[r->got++] = c;
		if (r->got == sizeof(r->frame)) {
			r->in_frame = 0;
			receiver_answer(l, t);
		}
		return;
	}
	switch (c) {
	case STX:
		r->started = r->in_frame = 1;
		r->frame[0] = c;
		r->got = 1;
		l->timer = NEVER;
		break;
	case EOT:
		r->eots++;
		if (r->ignore_eot || muted(r))
			break;
		if (r->eots <= r->nak_eots) {
			peer_say1(l, t + TURN_NS, NAK);
			break;
		}
		r->done = 1;
		peer_say1(l, t + TURN_NS, ACK);
		break;
	case CAN:
		r->cans++;
		break;
	default:
		r->noise++;
	}
}

static void receiver_timer(struct line *l, int64_t t)
{
	struct receiver *r = &l->r;

	if (r->started || r->silent)
		return;
	peer_say1(l, t, 'C');
	l->timer = t + r->c_interval;
}

/* ---- the sending peer ---- */

static void sender_block(struct line *l, int64_t t)
{
	struct sender *s = &l->s;
	size_t size = s->small ? 128 : 1024;
	size_t off = (size_t)(s->idx - 1) * size;
	uint8_t f[1029];
	size_t flen = 3 + size + 2;
	uint16_t crc;
	int damage;

	ck_assert_int_le(s->idx, MAXBLK);
	damage = ++s->tries[s->idx] <= (s->damage_tries ? s->damage_tries : 1);
	if (s->idx == s->can_at) {
		peer_say1(l, t, CAN);
		s->state = DONE;
		return;
	}
	f[0] = s->small ? SOH : STX;
	f[1] = (uint8_t)(s->idx + (s->idx == s->misnumber));
	f[2] = (uint8_t)(0xFF - f[1]);
	memset(f + 3, s->pad, size);
	if (off < s->len)
		memcpy(f + 3, s->data + off, s->len - off < size ? s->len - off : size);
	crc = peer_crc(f + 3, size);
	f[3 + size] = (uint8_t)(crc >> 8);
	f[4 + size] = (uint8_t)crc;
	if (damage && s->idx == s->bad_crc)
		f[4 + size] ^= 0x01;
	if (damage && s->idx == s->bad_cpl)
		f[2] ^= 0x10;
	if (damage && s->idx == s->truncate)
		flen = 500;
	if (damage && s->idx == s->garbage_at)
		peer_say(l, t, "junk\r\n", 6);
	peer_say(l, t, f, flen);
	s->state = WAIT_ANSWER;
	l->timer = l->rx_free + s->resend_ns;
}

static void sender_next(struct line *l, int64_t t)
{
	struct sender *s = &l->s;

	if (s->mute_after && s->idx >= s->mute_after) {
		s->state = DONE;
		return;
	}
	s->idx++;
	if (s->idx > s->nblocks || (s->eot_after && s->idx > s->eot_after)) {
		s->eots++;
		peer_say1(l, t, EOT);
		s->state = WAIT_EOT_ACK;
		l->timer = l->rx_free + s->resend_ns;
		return;
	}
	sender_block(l, t);
}

static void sender_byte(struct line *l, uint8_t c, int64_t t)
{
	struct sender *s = &l->s;

	t += TURN_NS;
	if (c == CAN) {
		s->cans++;
		s->state = DONE;
		l->timer = NEVER;
		return;
	}
	switch (s->state) {
	case WAIT_C:
		if (c != 'C')
			return;
		s->cs++;
		if (s->silent)
			return;
		s->idx = 0;
		sender_next(l, t);
		break;
	case WAIT_ANSWER:
		if (c == NAK) {
			s->naks++;
			sender_block(l, t);
		} else if (c == ACK) {
			s->acks++;
			if (s->idx == s->ignore_ack && !s->ignored) {
				s->ignored = 1;  /* lost on the way: the timer resends */
				return;
			}
			sender_next(l, t);
		} else if (c == 'C') {
			s->cs++;
		}
		break;
	case WAIT_EOT_ACK:
		if (c == ACK) {
			s->state = DONE;
			l->timer = NEVER;
		} else if (c == NAK) {
			s->eots++;
			peer_say1(l, t, EOT);
		}
		break;
	case DONE:
		break;
	}
}

static void sender_timer(struct line *l, int64_t t)
{
	struct sender *s = &l->s;

	if (s->state == WAIT_ANSWER) {
		sender_block(l, t);
	} else if (s->state == WAIT_EOT_ACK) {
		s->eots++;
		peer_say1(l, t, EOT);
		l->timer = l->rx_free + s->resend_ns;
	}
}

/* ---- fixtures ---- */

/* A test: the line and its peer, the engine on it, and the data. */
struct fx {
	struct line l;
	struct ub_port *port;
	struct xmodem xm;
	struct ub_err err;
	uint8_t *data;
	size_t len;
};

static uint8_t *pattern(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = (uint32_t)len * 2654435761u + 1;

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
	return p;
}

static int source(void *arg, uint8_t *data, size_t len, struct ub_err *err)
{
	struct line *l = arg;

	if (l->src_fail_at && l->src_off + len >= (size_t)l->src_fail_at)
		return ub_fail(err, UB_EFAIL, "image.bin: read error");
	memcpy(data, l->src + l->src_off, len);
	l->src_off += len;
	return 0;
}

static int sink(void *arg, const uint8_t *data, size_t len, struct ub_err *err)
{
	struct line *l = arg;

	(void)err;
	l->sink = realloc(l->sink, l->sink_len + len);
	ck_assert_ptr_nonnull(l->sink);
	memcpy(l->sink + l->sink_len, data, len);
	l->sink_len += len;
	return 0;
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	struct line *l = arg;

	(void)total;
	ck_assert_uint_gt(done, l->last_done);
	l->last_done = done;
	if (++l->progress_calls == l->stop_after)
		l->stop = 1;
}

static void fx_init(struct fx *f, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->len = len;
	f->data = pattern(len);
	f->port = ub_port_new(&line_ops, &f->l, "sim");
	ck_assert_ptr_nonnull(f->port);
	f->port->line.baud = BAUD;
	f->l.timer = NEVER;
	xmodem_init(&f->xm, f->port);
	f->xm.stop = &f->l.stop;
	f->xm.progress = progress;
	f->xm.progress_arg = &f->l;
}

/* For xmodem_send: a receiver that says 'C' at once and every second, as the ECR stub. */
static void fx_receiver(struct fx *f, size_t len)
{
	fx_init(f, len);
	f->l.on_byte = receiver_byte;
	f->l.on_timer = receiver_timer;
	f->l.r.c_interval = 1000 * MS;
	f->l.r.data = calloc(len / 1024 + 2, 1024);
	ck_assert_ptr_nonnull(f->l.r.data);
	f->l.timer = 0;  /* its first 'C' */
	f->l.src = f->data;
}

/* For xmodem_receive: a sender of len bytes that resends after 1 s, padding with 0xFF. */
static void fx_sender(struct fx *f, size_t len)
{
	fx_init(f, len);
	f->l.on_byte = sender_byte;
	f->l.on_timer = sender_timer;
	f->l.s.data = f->data;
	f->l.s.len = len;
	f->l.s.pad = 0xFF;
	f->l.s.resend_ns = 1000 * MS;
	f->l.s.nblocks = (int)((len + 1023) / 1024);
}

static int fx_send(struct fx *f)
{
	return xmodem_send(&f->xm, f->len, source, &f->l, &f->err);
}

static int fx_receive(struct fx *f)
{
	return xmodem_receive(&f->xm, f->len, sink, &f->l, &f->err);
}

static void fx_free(struct fx *f)
{
	free(f->l.wire);
	free(f->l.rxq);
	free(f->l.r.data);
	free(f->l.sink);
	free(f->data);
	free(f->port);
}

/* The receiving peer holds the data, in whole blocks. */
static void assert_received(const struct fx *f, size_t len)
{
	ck_assert_int_eq(f->l.r.blocks, (int)((len + 1023) / 1024));
	ck_assert_int_eq(memcmp(f->l.r.data, f->data, len), 0);
}

/* The engine's sink got exactly the first len bytes. */
static void assert_sunk(const struct fx *f, size_t len)
{
	ck_assert_uint_eq(f->l.sink_len, len);
	ck_assert_int_eq(memcmp(f->l.sink, f->data, len), 0);
}

static void assert_failed(const struct fx *f, int status, const char *msg)
{
	ck_assert_int_eq(f->err.status, status);
	ck_assert_str_eq(f->err.msg, msg);
}

static int count_byte(const struct line *l, uint8_t c)
{
	int k = 0;

	for (size_t i = 0; i < l->wire_len; i++)
		k += l->wire[i] == c;
	return k;
}

/* The host's last two bytes are CAN CAN. */
static void assert_cancelled(const struct line *l)
{
	ck_assert_uint_ge(l->wire_len, 2);
	ck_assert_uint_eq(l->wire[l->wire_len - 2], CAN);
	ck_assert_uint_eq(l->wire[l->wire_len - 1], CAN);
}

/* Stop-and-wait XMODEM-1K's least time for 64 KiB: 64 x (1029 byte times + turnaround). */
static void assert_64k_in_line_time(const struct line *l)
{
	double ideal = 64 * (1029.0 * 10 / BAUD + TURN_NS / 1e9);
	double took = (double)l->now / 1e9;

	ck_assert_double_ge(took, ideal);
	ck_assert_double_le(took, ideal * 1.01);
}

/* ---- send ---- */

START_TEST(send_clean_64k_costs_the_line_time_only)
{
	struct fx f;
	const uint8_t *w;

	fx_receiver(&f, 64 * 1024);
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_int_eq(f.l.r.done, 1);
	ck_assert_int_eq(f.l.r.dups + f.l.r.bad + f.l.r.noise, 0);
	ck_assert_uint_eq(f.xm.acked, f.len);
	ck_assert_uint_eq(f.xm.resent, 0);
	ck_assert_int_eq(f.l.progress_calls, 64);
	ck_assert_uint_eq(f.l.last_done, f.len);
	/* On the wire: 64 frames of 1029 bytes and one EOT, nothing else. */
	w = f.l.wire;
	ck_assert_uint_eq(f.l.wire_len, 64 * 1029 + 1);
	ck_assert_uint_eq(w[0], STX);
	ck_assert_uint_eq(w[1], 1);
	ck_assert_uint_eq(w[2], 0xFE);
	ck_assert_uint_eq(w[1027], peer_crc(f.data, 1024) >> 8);
	ck_assert_uint_eq(w[1028], peer_crc(f.data, 1024) & 0xFF);
	ck_assert_uint_eq(w[f.l.wire_len - 1], EOT);
	assert_64k_in_line_time(&f.l);
	fx_free(&f);
}
END_TEST

/* The last block is padded with the caller's byte: wm_tool 0x00, the ECR stub 0xFF. */
START_TEST(send_pads_the_last_block)
{
	static const uint8_t pads[] = { 0x00, 0xFF };
	struct fx f;
	const uint8_t *last;

	fx_receiver(&f, 1500);
	f.xm.pad = pads[_i];
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_uint_eq(f.l.wire_len, 2 * 1029 + 1);
	last = f.l.wire + 1029 + 3;  /* the second frame's data */
	ck_assert_int_eq(memcmp(last, f.data + 1024, 1500 - 1024), 0);
	for (size_t i = 1500 - 1024; i < 1024; i++)
		ck_assert_uint_eq(last[i], pads[_i]);
	fx_free(&f);
}
END_TEST

START_TEST(send_whole_blocks_adds_no_block)
{
	struct fx f;

	fx_receiver(&f, 3 * 1024);
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_uint_eq(f.l.wire_len, 3 * 1029 + 1);
	fx_free(&f);
}
END_TEST

START_TEST(send_nothing_is_just_eot)
{
	struct fx f;

	fx_receiver(&f, 0);
	ck_assert_int_eq(fx_send(&f), 0);
	ck_assert_uint_eq(f.l.wire_len, 1);
	ck_assert_uint_eq(f.l.wire[0], EOT);
	ck_assert_int_eq(f.l.r.done, 1);
	fx_free(&f);
}
END_TEST

START_TEST(send_nak_resends_the_block)
{
	struct fx f;

	fx_receiver(&f, 5000);
	f.l.r.nak_first = 3;
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_int_eq(f.l.r.tries[3], 2);
	ck_assert_uint_eq(f.xm.resent, 1);
	ck_assert_uint_eq(f.xm.resent_after_timeout, 0);
	ck_assert_uint_eq(f.l.wire_len, 6 * 1029 + 1);
	fx_free(&f);
}
END_TEST

/* The ACK is lost: the engine resends after its wait, the receiver sees a duplicate. */
START_TEST(send_lost_ack_resends_after_timeout)
{
	struct fx f;

	fx_receiver(&f, 5000);
	f.l.r.drop_ack = 2;
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_int_eq(f.l.r.dups, 1);
	ck_assert_uint_eq(f.xm.resent, 1);
	ck_assert_uint_eq(f.xm.resent_after_timeout, 1);
	/* The 3 s wait, once. */
	ck_assert_int_ge(f.l.now, 3000 * MS);
	ck_assert_int_lt(f.l.now, 3700 * MS);
	fx_free(&f);
}
END_TEST

START_TEST(send_cancelled_by_the_receiver)
{
	struct fx f;

	fx_receiver(&f, 8192);
	f.l.r.can_at = 4;
	ck_assert_int_eq(fx_send(&f), -1);
	assert_failed(&f, UB_EFAIL, "sim: the receiver cancelled the XMODEM transfer at block 4 "
		      "(offset 3072)");
	ck_assert_uint_eq(f.xm.acked, 3072);
	/* Nothing more was sent after the CAN came. */
	ck_assert_uint_eq(f.l.wire_len, 4 * 1029);
	fx_free(&f);
}
END_TEST

START_TEST(send_ignores_garbage_before_ack)
{
	struct fx f;

	fx_receiver(&f, 4096);
	f.l.r.garbage_at = 2;
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_uint_eq(f.xm.resent, 0);
	ck_assert_int_eq(f.l.r.dups, 0);
	fx_free(&f);
}
END_TEST

/* 300 KiB: block numbers go 254, 255, 0, 1, ... on the wire. */
START_TEST(send_block_numbers_wrap)
{
	struct fx f;

	fx_receiver(&f, 300 * 1024);
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_int_eq(f.l.r.out_of_seq, 0);
	ck_assert_uint_eq(f.l.wire[254 * 1029 + 1], 255);
	ck_assert_uint_eq(f.l.wire[255 * 1029 + 1], 0);
	ck_assert_uint_eq(f.l.wire[255 * 1029 + 2], 0xFF);
	ck_assert_uint_eq(f.l.wire[299 * 1029 + 1], 300 - 256);
	fx_free(&f);
}
END_TEST

START_TEST(send_stopped_between_blocks_sends_can)
{
	struct fx f;

	fx_receiver(&f, 20480);
	f.l.stop_after = 5;  /* the signal comes with block 5's ACK */
	ck_assert_int_eq(fx_send(&f), -1);
	assert_failed(&f, UB_EINTR, "sim: XMODEM send interrupted: 5120 of 20480 bytes "
		      "acknowledged");
	ck_assert_uint_eq(f.l.wire_len, 5 * 1029 + 2);
	assert_cancelled(&f.l);
	ck_assert_int_eq(f.l.r.cans, 2);
	fx_free(&f);
}
END_TEST

START_TEST(send_stopped_while_waiting_sends_can)
{
	struct fx f;

	fx_receiver(&f, 20480);
	f.l.r.stop_on = 3;  /* the signal comes while block 3 waits for its answer */
	ck_assert_int_eq(fx_send(&f), -1);
	assert_failed(&f, UB_EINTR, "sim: XMODEM send interrupted: 2048 of 20480 bytes "
		      "acknowledged");
	ck_assert_uint_eq(f.l.wire_len, 3 * 1029 + 2);
	assert_cancelled(&f.l);
	ck_assert_int_lt(f.l.now, 1000 * MS);
	fx_free(&f);
}
END_TEST

START_TEST(send_to_nobody_is_no_device)
{
	struct fx f;

	fx_receiver(&f, 4096);
	f.l.r.silent = 1;
	ck_assert_int_eq(fx_send(&f), -1);
	assert_failed(&f, UB_ENODEV, "sim: no 'C' from the XMODEM receiver in 10000 ms");
	ck_assert_uint_eq(f.l.wire_len, 0);
	ck_assert_int_eq(f.l.now / MS, 10000);
	fx_free(&f);
}
END_TEST

START_TEST(send_never_acknowledged)
{
	struct fx f;

	fx_receiver(&f, 8192);
	f.l.r.mute_after = 2;
	ck_assert_int_eq(fx_send(&f), -1);
	assert_failed(&f, UB_EFAIL, "sim: XMODEM block 3 (offset 2048) not acknowledged after "
		      "10 tries");
	ck_assert_uint_eq(f.l.wire_len, 12 * 1029 + 2);
	assert_cancelled(&f.l);  /* so that it stops waiting */
	ck_assert_int_eq(f.l.r.dups, 9);  /* it took block 3 the first time */
	ck_assert_uint_eq(f.xm.resent_after_timeout, 9);
	ck_assert_uint_eq(f.xm.acked, 2048);
	fx_free(&f);
}
END_TEST

START_TEST(send_eot_nak_then_ack)
{
	struct fx f;

	fx_receiver(&f, 2048);
	f.l.r.nak_eots = 1;
	ck_assert_int_eq(fx_send(&f), 0);
	ck_assert_int_eq(f.l.r.eots, 2);
	ck_assert_int_eq(f.l.r.done, 1);
	fx_free(&f);
}
END_TEST

START_TEST(send_eot_never_acknowledged)
{
	struct fx f;

	fx_receiver(&f, 2048);
	f.l.r.ignore_eot = 1;
	ck_assert_int_eq(fx_send(&f), -1);
	assert_failed(&f, UB_EFAIL, "sim: XMODEM end of transfer not acknowledged after 10 "
		      "tries (all 2048 bytes were)");
	ck_assert_int_eq(f.l.r.eots, 10);
	fx_free(&f);
}
END_TEST

/*
 * The W800 ROM streams 'C's while it waits. Those already on their way when
 * block 1 left are no NAKs: block 1 goes once, and no extra ACK is left in
 * the line for block 2 to take as its own.
 */
START_TEST(send_to_a_c_stream_sends_block_1_once)
{
	struct fx f;

	fx_receiver(&f, 4096);
	f.l.r.c_interval = BYTE_NS;  /* back to back */
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_int_eq(f.l.r.tries[1], 1);
	ck_assert_int_eq(f.l.r.dups, 0);
	ck_assert_uint_eq(f.xm.resent, 0);
	ck_assert_uint_eq(f.l.wire_len, 4 * 1029 + 1);
	fx_free(&f);
}
END_TEST

/* Answers that were waiting before block 1 went (a NAK-mode start) are none of its. */
START_TEST(send_drops_stale_answers_before_block_1)
{
	static const uint8_t stale[] = { 'C', NAK, 'C', NAK };
	struct fx f;

	fx_receiver(&f, 2048);
	f.l.timer = NEVER;
	peer_say(&f.l, 0, stale, sizeof(stale));
	f.xm.receiver_ready = 1;
	line_sleep(&f.l, 50);  /* the caller saw the first 'C' and did its own work */
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_int_eq(f.l.r.tries[1], 1);
	ck_assert_uint_eq(f.xm.resent, 0);
	fx_free(&f);
}
END_TEST

/* A receiver that missed block 1 asks again with 'C': that is its NAK. */
START_TEST(send_c_after_block_1_resends_it)
{
	struct fx f;

	fx_receiver(&f, 3000);
	f.l.r.lose_first = 1;
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_int_eq(f.l.r.lost, 1);
	ck_assert_uint_eq(f.xm.resent, 1);
	ck_assert_uint_eq(f.xm.resent_after_timeout, 0);
	/* Its 'C' a second later, not the engine's 3 s wait. */
	ck_assert_int_lt(f.l.now, 1500 * MS);
	fx_free(&f);
}
END_TEST

START_TEST(send_ignores_noise_before_c)
{
	struct fx f;

	fx_receiver(&f, 2048);
	peer_say(&f.l, 0, "boot\r\n", 6);
	f.l.timer = 100 * MS;  /* then its first 'C' */
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	fx_free(&f);
}
END_TEST

START_TEST(send_receiver_ready_skips_the_wait)
{
	struct fx f;

	fx_receiver(&f, 2048);
	f.l.timer = NEVER;  /* its 'C' came before */
	f.xm.receiver_ready = 1;
	ck_assert_int_eq(fx_send(&f), 0);
	assert_received(&f, f.len);
	ck_assert_int_lt(f.l.now, 200 * MS);
	fx_free(&f);
}
END_TEST

START_TEST(send_source_error_cancels)
{
	struct fx f;

	fx_receiver(&f, 8192);
	f.l.src_fail_at = 3000;
	ck_assert_int_eq(fx_send(&f), -1);
	assert_failed(&f, UB_EFAIL, "image.bin: read error");
	ck_assert_uint_eq(f.l.wire_len, 2 * 1029 + 2);
	assert_cancelled(&f.l);
	ck_assert_int_eq(f.l.r.cans, 2);
	fx_free(&f);
}
END_TEST

/* ---- receive ---- */

START_TEST(receive_clean_64k_costs_the_line_time_only)
{
	struct fx f;

	fx_sender(&f, 64 * 1024);
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_int_eq(f.l.s.state, DONE);
	ck_assert_int_eq(f.l.s.naks + f.l.s.cans, 0);
	ck_assert_uint_eq(f.xm.acked, f.len);
	ck_assert_int_eq(f.l.progress_calls, 64);
	/* The host said: 'C', 64 ACKs, the EOT's ACK. */
	ck_assert_uint_eq(f.l.wire_len, 1 + 64 + 1);
	ck_assert_uint_eq(f.l.wire[0], 'C');
	ck_assert_int_eq(count_byte(&f.l, ACK), 65);
	assert_64k_in_line_time(&f.l);
	fx_free(&f);
}
END_TEST

/* The sender's padding of the last block (ECR: 0xFF) is not delivered. */
START_TEST(receive_drops_the_padding)
{
	struct fx f;

	fx_sender(&f, 5000);
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_int_eq(f.l.s.acks, 5);
	fx_free(&f);
}
END_TEST

START_TEST(receive_whole_blocks)
{
	struct fx f;

	fx_sender(&f, 3072);
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_uint_eq(f.l.wire_len, 1 + 3 + 1);
	fx_free(&f);
}
END_TEST

/* Whole blocks of padding past len are acknowledged and dropped. */
START_TEST(receive_extra_padding_blocks)
{
	struct fx f;

	fx_sender(&f, 2500);
	f.l.s.nblocks += 2;
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_int_eq(f.l.s.state, DONE);
	ck_assert_int_eq(f.l.s.acks, 5);
	fx_free(&f);
}
END_TEST

START_TEST(receive_128_byte_blocks)
{
	struct fx f;

	fx_sender(&f, 1000);
	f.l.s.small = 1;
	f.l.s.nblocks = (1000 + 127) / 128;
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_int_eq(f.l.s.acks, 8);
	fx_free(&f);
}
END_TEST

/* A damaged block (_i: 0 bad CRC, 1 bad complement, 2 cut short) is NAKed and sent again. */
START_TEST(receive_damaged_block_is_naked)
{
	struct fx f;

	fx_sender(&f, 5000);
	if (_i == 0)
		f.l.s.bad_crc = 2;
	else if (_i == 1)
		f.l.s.bad_cpl = 2;
	else
		f.l.s.truncate = 2;
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_int_ge(f.l.s.naks, 1);
	ck_assert_int_eq(f.l.s.naks, (int)f.xm.resent);
	ck_assert_int_eq(count_byte(&f.l, NAK), f.l.s.naks);
	if (_i < 2) {
		/* One NAK, sent once the rest of the block was read off. */
		ck_assert_int_eq(f.l.s.naks, 1);
		ck_assert_int_eq(f.l.s.tries[2], 2);
	}
	fx_free(&f);
}
END_TEST

START_TEST(receive_garbage_before_a_block)
{
	struct fx f;

	fx_sender(&f, 4096);
	f.l.s.garbage_at = 3;
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_int_eq(f.l.s.naks, 1);
	fx_free(&f);
}
END_TEST

/* Before the first block, noise is read off and the 'C's go on: no NAK yet. */
START_TEST(receive_garbage_before_the_first_block)
{
	struct fx f;

	fx_sender(&f, 3000);
	f.l.s.garbage_at = 1;
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_int_eq(f.l.s.naks, 0);
	ck_assert_int_eq(f.l.s.tries[1], 2);
	fx_free(&f);
}
END_TEST

/* Our ACK is lost; the sender sends the block again: ACK it, keep it once. */
START_TEST(receive_repeat_after_lost_ack)
{
	struct fx f;

	fx_sender(&f, 5000);
	f.l.s.ignore_ack = 3;
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_int_eq(f.l.s.tries[3], 2);
	ck_assert_uint_eq(f.xm.duplicates, 1);
	ck_assert_int_eq(f.l.s.naks, 0);
	fx_free(&f);
}
END_TEST

START_TEST(receive_out_of_sequence_cancels)
{
	struct fx f;

	fx_sender(&f, 5000);
	f.l.s.misnumber = 3;
	ck_assert_int_eq(fx_receive(&f), -1);
	assert_failed(&f, UB_EFAIL, "sim: XMODEM block 3 (offset 2048) out of sequence: "
		      "numbered 4, expected 3");
	assert_cancelled(&f.l);
	ck_assert_int_eq(f.l.s.cans, 2);
	assert_sunk(&f, 2048);
	fx_free(&f);
}
END_TEST

START_TEST(receive_early_eot_fails)
{
	struct fx f;

	fx_sender(&f, 5000);
	f.l.s.eot_after = 2;
	ck_assert_int_eq(fx_receive(&f), -1);
	assert_failed(&f, UB_EFAIL, "sim: the XMODEM sender ended the transfer after 2048 of "
		      "5000 bytes");
	/* The EOT was acknowledged: the sender is done, not retrying. */
	ck_assert_int_eq(f.l.s.state, DONE);
	ck_assert_int_eq(f.l.s.eots, 1);
	fx_free(&f);
}
END_TEST

START_TEST(receive_cancelled_by_the_sender)
{
	struct fx f;

	fx_sender(&f, 5000);
	f.l.s.can_at = 2;
	ck_assert_int_eq(fx_receive(&f), -1);
	assert_failed(&f, UB_EFAIL, "sim: the sender cancelled the XMODEM transfer at block 2 "
		      "(offset 1024)");
	fx_free(&f);
}
END_TEST

START_TEST(receive_from_nobody_is_no_device)
{
	struct fx f;

	fx_sender(&f, 4096);
	f.l.s.silent = 1;
	ck_assert_int_eq(fx_receive(&f), -1);
	assert_failed(&f, UB_ENODEV, "sim: no XMODEM block in 10000 ms (10 'C's sent)");
	ck_assert_uint_eq(f.l.wire_len, 10);
	ck_assert_int_eq(count_byte(&f.l, 'C'), 10);
	ck_assert_int_eq(f.l.now / MS, 10000);
	fx_free(&f);
}
END_TEST

START_TEST(receive_sender_goes_quiet)
{
	struct fx f;

	fx_sender(&f, 5000);
	f.l.s.mute_after = 2;
	ck_assert_int_eq(fx_receive(&f), -1);
	assert_failed(&f, UB_EFAIL, "sim: XMODEM block 3 (offset 2048) not received after 10 "
		      "tries (last: timed out)");
	ck_assert_int_eq(count_byte(&f.l, NAK), 9);
	assert_cancelled(&f.l);
	fx_free(&f);
}
END_TEST

/* A sender that keeps damaging a block is refused max_tries times, then given up. */
START_TEST(receive_block_always_damaged)
{
	struct fx f;

	fx_sender(&f, 5000);
	f.l.s.bad_crc = 2;
	f.l.s.damage_tries = 100;
	f.xm.max_tries = 3;
	ck_assert_int_eq(fx_receive(&f), -1);
	assert_failed(&f, UB_EFAIL, "sim: XMODEM block 2 (offset 1024) not received after 3 "
		      "tries (last: bad CRC)");
	ck_assert_int_eq(f.l.s.tries[2], 3);
	ck_assert_int_eq(f.l.s.cans, 2);
	fx_free(&f);
}
END_TEST

START_TEST(receive_block_numbers_wrap)
{
	struct fx f;

	fx_sender(&f, 300 * 1024 + 100);
	ck_assert_int_eq(fx_receive(&f), 0);
	assert_sunk(&f, f.len);
	ck_assert_int_eq(f.l.s.naks, 0);
	ck_assert_uint_eq(f.xm.duplicates, 0);
	fx_free(&f);
}
END_TEST

START_TEST(receive_stopped_sends_can)
{
	struct fx f;

	fx_sender(&f, 10240);
	f.l.stop_after = 3;
	ck_assert_int_eq(fx_receive(&f), -1);
	assert_failed(&f, UB_EINTR, "sim: XMODEM receive interrupted: 3072 of 10240 bytes "
		      "received");
	assert_cancelled(&f.l);
	ck_assert_int_eq(f.l.s.cans, 2);
	fx_free(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("xmodem");
	TCase *tc = tcase_create("send");
	TCase *rc = tcase_create("receive");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, send_clean_64k_costs_the_line_time_only);
	tcase_add_loop_test(tc, send_pads_the_last_block, 0, 2);
	tcase_add_test(tc, send_whole_blocks_adds_no_block);
	tcase_add_test(tc, send_nothing_is_just_eot);
	tcase_add_test(tc, send_nak_resends_the_block);
	tcase_add_test(tc, send_lost_ack_resends_after_timeout);
	tcase_add_test(tc, send_cancelled_by_the_receiver);
	tcase_add_test(tc, send_ignores_garbage_before_ack);
	tcase_add_test(tc, send_block_numbers_wrap);
	tcase_add_test(tc, send_stopped_between_blocks_sends_can);
	tcase_add_test(tc, send_stopped_while_waiting_sends_can);
	tcase_add_test(tc, send_to_nobody_is_no_device);
	tcase_add_test(tc, send_never_acknowledged);
	tcase_add_test(tc, send_eot_nak_then_ack);
	tcase_add_test(tc, send_eot_never_acknowledged);
	tcase_add_test(tc, send_to_a_c_stream_sends_block_1_once);
	tcase_add_test(tc, send_drops_stale_answers_before_block_1);
	tcase_add_test(tc, send_c_after_block_1_resends_it);
	tcase_add_test(tc, send_ignores_noise_before_c);
	tcase_add_test(tc, send_receiver_ready_skips_the_wait);
	tcase_add_test(tc, send_source_error_cancels);
	suite_add_tcase(s, tc);
	tcase_set_timeout(rc, 30);
	tcase_add_test(rc, receive_clean_64k_costs_the_line_time_only);
	tcase_add_test(rc, receive_drops_the_padding);
	tcase_add_test(rc, receive_whole_blocks);
	tcase_add_test(rc, receive_extra_padding_blocks);
	tcase_add_test(rc, receive_128_byte_blocks);
	tcase_add_loop_test(rc, receive_damaged_block_is_naked, 0, 3);
	tcase_add_test(rc, receive_garbage_before_a_block);
	tcase_add_test(rc, receive_garbage_before_the_first_block);
	tcase_add_test(rc, receive_repeat_after_lost_ack);
	tcase_add_test(rc, receive_out_of_sequence_cancels);
	tcase_add_test(rc, receive_early_eot_fails);
	tcase_add_test(rc, receive_cancelled_by_the_sender);
	tcase_add_test(rc, receive_from_nobody_is_no_device);
	tcase_add_test(rc, receive_sender_goes_quiet);
	tcase_add_test(rc, receive_block_always_damaged);
	tcase_add_test(rc, receive_block_numbers_wrap);
	tcase_add_test(rc, receive_stopped_sends_can);
	suite_add_tcase(s, rc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
