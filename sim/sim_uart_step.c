/* SPDX-License-Identifier: MIT */
/*
 * The model-time stepper for UART device models (sim/sim_uart.h): the
 * emulator in the host's process, no pty, no thread. One clock, in model
 * nanoseconds, moves only when the host waits (a read, a sleep, a drain, a
 * write into a full buffer), and then from event to event: a host byte
 * arriving at the device, the device's transmitter free again, a device
 * byte arriving at the host, the model's own next event.
 *
 * The wire: with pace, a host byte takes one 10-bit slot at the host's baud
 * and leaves after the ones before it; a device byte takes one slot at the
 * model's rate(). Host bytes wait (as in a pty) while the model has no room
 * for them; device bytes wait in the model while the host's side holds
 * RX_CAP unread bytes. Both directions move in batches of up to BATCH bytes,
 * as the pty runner does, so a model sees a batch at the time its first
 * byte was due (host bytes: its last byte's arrival).
 */
#include "sim_uart_run.h"

#include <stdlib.h>

enum {
	TX_CAP = 4096,   /* host bytes written, not yet taken: a tty's buffer */
	RX_CAP = 8192,   /* device bytes sent, not yet read by the host */
	BATCH = 32,
};

static const uint64_t NEVER = UINT64_MAX;
/* A read returns what arrives within this of its first byte (a USB adapter's latency). */
static const uint64_t LATENCY_NS = 1000000;
/* A write into a full buffer fails when the device takes nothing for this long. */
static const uint64_t WRITE_STALL_NS = 10000000000ull;

struct tx_byte {
	uint64_t at;     /* arrival at the device */
	uint32_t gen;    /* the host's settings it was written with */
	uint8_t b;
};

struct rx_byte {
	uint64_t at;     /* arrival at the host */
	uint8_t b;
};

struct sim_step {
	struct uart_sim_dev d;
	int pace;
	uint64_t latency_ns;  /* device bytes reach the host this much later */
	uint64_t now;
	struct uart_sim_line line, prev_line;   /* prev_line: before the last change */
	uint32_t gen;                           /* changes of line so far */
	uint64_t tx_free;    /* when the host's transmitter is free */
	uint64_t dev_free;   /* when the device's transmitter is free */
	struct tx_byte tx[TX_CAP];
	size_t tx_head, tx_len;
	struct rx_byte rx[RX_CAP];
	size_t rx_head, rx_len;
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > NEVER - b ? NEVER : a + b;
}

static uint64_t slot(const struct sim_step *s, unsigned baud)
{
	return s->pace ? sim_slot_ns(baud) : 0;
}

static struct tx_byte *tx_at(struct sim_step *s, size_t i)
{
	return &s->tx[(s->tx_head + i) % TX_CAP];
}

static struct rx_byte *rx_at(struct sim_step *s, size_t i)
{
	return &s->rx[(s->rx_head + i) % RX_CAP];
}

/* ------------------------------------------------ what happens at s->now */

/* Host bytes that have arrived, as many as the model takes, one batch. */
static int deliver(struct sim_step *s)
{
	uint8_t buf[BATCH];
	size_t room = sim_dev_room(&s->d, s->now), n = 0;
	uint32_t gen;

	if (!s->tx_len || tx_at(s, 0)->at > s->now || !room)
		return 0;
	gen = tx_at(s, 0)->gen;
	while (n < s->tx_len && n < room && n < BATCH && tx_at(s, n)->at <= s->now &&
	       tx_at(s, n)->gen == gen) {
		buf[n] = tx_at(s, n)->b;
		n++;
	}
	s->tx_head = (s->tx_head + n) % TX_CAP;
	s->tx_len -= n;
	sim_dev_input(&s->d, s->now, buf, n, gen != s->gen ? &s->prev_line : NULL);
	return 1;
}

/* The device's next bytes, when its transmitter is free and the host has room. */
static int pull(struct sim_step *s)
{
	uint8_t buf[BATCH];
	uint64_t t;
	size_t cap = RX_CAP - s->rx_len, n;

	if (s->dev_free > s->now || !cap)
		return 0;
	t = slot(s, sim_dev_rate(&s->d, s->now, s->line.baud));
	n = sim_dev_output(&s->d, s->now, buf, cap < BATCH ? cap : BATCH);
	for (size_t i = 0; i < n; i++) {
		struct rx_byte *r = rx_at(s, s->rx_len++);

		r->at = s->now + (i + 1) * t + s->latency_ns;
		r->b = buf[i];
	}
	s->dev_free = s->now + n * t;
	return n > 0;
}

static void settle(struct sim_step *s)
{
	while (deliver(s) | pull(s))
		;
}

/* The next time after now that something can happen; NEVER if nothing will. */
static uint64_t next_time(struct sim_step *s)
{
	uint64_t t = NEVER, e = sim_dev_next_event(&s->d, s->now);

	if (s->tx_len && tx_at(s, 0)->at > s->now)
		t = tx_at(s, (s->tx_len < BATCH ? s->tx_len : BATCH) - 1)->at;
	if (s->dev_free > s->now)
		t = min_u64(t, s->dev_free);
	if (s->rx_len && rx_at(s, 0)->at > s->now)
		t = min_u64(t, rx_at(s, 0)->at);
	if (e > s->now)
		t = min_u64(t, e);
	return t;
}

/* Move to the next event if it comes by limit; 0 when none does. */
static int step_once(struct sim_step *s, uint64_t limit)
{
	uint64_t t;

	settle(s);
	t = next_time(s);
	if (t == NEVER || t > limit)
		return 0;
	s->now = t;
	settle(s);
	return 1;
}

static void advance_to(struct sim_step *s, uint64_t t)
{
	while (step_once(s, t))
		;
	if (s->now < t) {
		s->now = t;
		settle(s);
	}
}

/* ------------------------------------------------------------- the host */

struct sim_step *sim_step_new(struct uart_sim_dev dev, int pace, uint64_t latency_ns)
{
	struct sim_step *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->d = dev;
	s->pace = pace;
	s->latency_ns = latency_ns;
	/* A fresh tty until the host sets it; the model hears of it then. */
	s->line = (struct uart_sim_line){ 9600, 'n', 8, 0, 0 };
	return s;
}

static int same_line(const struct uart_sim_line *a, const struct uart_sim_line *b)
{
	return a->baud == b->baud && a->parity == b->parity && a->bits == b->bits &&
	       a->inpck == b->inpck && a->raw == b->raw;
}

void sim_step_set_line(struct sim_step *s, const struct uart_sim_line *line)
{
	settle(s);
	if (s->gen && same_line(line, &s->line))
		return;
	s->prev_line = s->line;
	s->line = *line;
	s->gen++;
	sim_dev_line(&s->d, s->now, line);
}

void sim_step_set_parity(struct sim_step *s, char parity)
{
	struct uart_sim_line l = s->line;

	l.parity = parity;
	sim_step_set_line(s, &l);
}

void sim_step_set_modem(struct sim_step *s, char which, int value)
{
	settle(s);
	sim_dev_modem(&s->d, s->now, which, !!value);
}

int sim_step_write(struct sim_step *s, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		struct tx_byte *t;

		if (s->tx_len == TX_CAP) {
			uint64_t give_up = add_sat(s->now, WRITE_STALL_NS);

			settle(s);
			while (s->tx_len == TX_CAP)
				if (!step_once(s, give_up))
					return -1;
		}
		t = tx_at(s, s->tx_len++);
		t->at = (s->tx_free > s->now ? s->tx_free : s->now) + slot(s, s->line.baud);
		t->gen = s->gen;
		t->b = buf[i];
		s->tx_free = t->at;
	}
	return 0;
}

static int rx_ready(struct sim_step *s)
{
	return s->rx_len && rx_at(s, 0)->at <= s->now;
}

/* Bytes that have arrived, at most cap. */
static size_t take(struct sim_step *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap && rx_ready(s)) {
		buf[n++] = rx_at(s, 0)->b;
		s->rx_head = (s->rx_head + 1) % RX_CAP;
		s->rx_len--;
	}
	return n;
}

ssize_t sim_step_read(struct sim_step *s, uint8_t *buf, size_t cap, uint64_t timeout_ns)
{
	uint64_t deadline = add_sat(s->now, timeout_ns), limit;
	size_t n;

	if (!cap)
		return 0;
	settle(s);
	while (!rx_ready(s)) {
		if (step_once(s, deadline))
			continue;
		if (deadline == NEVER)
			return -1;
		advance_to(s, deadline);
		if (!rx_ready(s))
			return 0;
	}
	n = take(s, buf, cap);
	limit = min_u64(add_sat(s->now, LATENCY_NS), deadline);
	while (n < cap) {
		if (rx_ready(s))
			n += take(s, buf + n, cap - n);
		else if (!step_once(s, limit))
			break;
	}
	return (ssize_t)n;
}

void sim_step_drain(struct sim_step *s)
{
	if (s->tx_free > s->now)
		advance_to(s, s->tx_free);
}

void sim_step_flush_input(struct sim_step *s)
{
	settle(s);
	while (rx_ready(s)) {
		s->rx_head = (s->rx_head + 1) % RX_CAP;
		s->rx_len--;
	}
}

uint64_t sim_step_now(const struct sim_step *s)
{
	return s->now;
}

void sim_step_sleep(struct sim_step *s, uint64_t ns)
{
	advance_to(s, add_sat(s->now, ns));
}

void sim_step_free(struct sim_step *s)
{
	free(s);
}
