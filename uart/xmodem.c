/* SPDX-License-Identifier: MIT */
/* XMODEM-1K with CRC-16/XMODEM on a port, both ways; see xmodem.h. */
#include "xmodem.h"

#include <inttypes.h>
#include <string.h>

#include "crc.h"

#define XM_SMALL 128
#define XM_HEAD 3                            /* SOH/STX, number, 255 - number */
#define XM_FRAME (XM_HEAD + XM_BLOCK + 2)    /* ... data, CRC-16 BE */
/* Waits are cut into slices this long, so that a stop is seen soon. */
#define STOP_POLL_MS 100
/*
 * USB serial adapters hand over what came in bursts up to 16 ms apart (the
 * FTDI latency timer's default), so "the line is quiet" and "bytes already
 * on their way" need at least this much on top of the bytes' own time.
 */
#define USB_LATENCY_MS 20

/* One transfer: what its messages and the stop need to say. */
struct xfer {
	struct xmodem *xm;
	uint64_t len;
	uint64_t done;      /* send: bytes acknowledged; receive: delivered */
	unsigned block;     /* the block at hand, counted from 1 (not wrapped) */
	int sending;
	struct ub_err *err;
};

static struct ub_port *port_of(const struct xfer *x)
{
	return x->xm->port;
}

static int64_t now_ms(const struct xfer *x)
{
	return ub_port_clock_ms(port_of(x));
}

/* How long count bytes take on the line (8N1), in ms rounded up. */
static int line_ms(const struct xfer *x, size_t count)
{
	uint64_t baud = port_of(x)->line.baud ? port_of(x)->line.baud : 115200;

	return (int)((count * 10u * 1000u + baud - 1) / baud);
}

static int put_byte(struct xfer *x, uint8_t c)
{
	return ub_port_write(port_of(x), &c, 1, x->err);
}

/* Tell the other side to give up; its error would hide the one we report. */
static void cancel(struct xfer *x)
{
	static const uint8_t can[2] = { XM_CAN, XM_CAN };
	struct ub_err ignored = { 0 };

	ub_port_write(port_of(x), can, sizeof(can), &ignored);
}

static int stop_asked(const struct xfer *x)
{
	return x->xm->stop && *x->xm->stop;
}

static int fail_stopped(struct xfer *x)
{
	cancel(x);
	return ub_fail(x->err, UB_EINTR, "%s: XMODEM %s interrupted: %" PRIu64 " of %" PRIu64
		       " bytes %s", port_of(x)->name, x->sending ? "send" : "receive",
		       x->done, x->len, x->sending ? "acknowledged" : "received");
}

static int fail_cancelled(struct xfer *x)
{
	return ub_fail(x->err, UB_EFAIL, "%s: the %s cancelled the XMODEM transfer at block %u "
		       "(offset %" PRIu64 ")", port_of(x)->name,
		       x->sending ? "receiver" : "sender", x->block, x->done);
}

/*
 * One byte by deadline (the port's clock, ms): 1 with *c, 0 when the
 * deadline passed, -1 with err on a port error or a stop.
 */
static int read_byte_by(struct xfer *x, int64_t deadline, uint8_t *c)
{
	for (;;) {
		int64_t left = deadline - now_ms(x);
		int slice;
		ssize_t r;

		if (stop_asked(x))
			return fail_stopped(x);
		if (left < 0)
			left = 0;
		slice = x->xm->stop && left > STOP_POLL_MS ? STOP_POLL_MS : (int)left;
		r = ub_port_read(port_of(x), c, 1, slice, x->err);
		if (r != 0)
			return r < 0 ? -1 : 1;
		if (slice == left)
			return 0;
	}
}

static void report_progress(struct xfer *x)
{
	x->xm->acked = x->done;
	if (x->xm->progress)
		x->xm->progress(x->xm->progress_arg, x->done, x->len);
}

/* ---- send ---- */

/* The receiver's 'C' (or NAK: a receiver that wants checksums still means "go"). */
static int wait_for_start(struct xfer *x)
{
	int64_t deadline = now_ms(x) + x->xm->start_timeout_ms;

	for (;;) {
		uint8_t c;
		int r = read_byte_by(x, deadline, &c);

		if (r < 0)
			return -1;
		if (r == 0)
			return ub_fail(x->err, UB_ENODEV, "%s: no 'C' from the XMODEM receiver "
				       "in %d ms", port_of(x)->name, x->xm->start_timeout_ms);
		if (c == XM_CRC_START || c == XM_NAK)
			return 0;
		if (c == XM_CAN)
			return fail_cancelled(x);
		ub_debug(x->xm->log, "%s: XMODEM: ignoring 0x%02x before the start",
			 port_of(x)->name, c);
	}
}

enum answer { TIMED_OUT, ACKED, NAKED };

/*
 * The receiver's answer to the block just written. A 'C' asks again for
 * block 1, but only once the block has had time to arrive: the receiver
 * sent earlier ones while it still waited (the W800 ROM sends them in a
 * stream), and taking those for NAKs would send block 1 twice and leave an
 * extra ACK in the line that a later block would take for its own.
 */
static int read_answer(struct xfer *x, enum answer *ans)
{
	int64_t sent = now_ms(x);
	int64_t deadline = sent + x->xm->block_timeout_ms;
	int64_t c_counts_from = sent + line_ms(x, XM_FRAME) + USB_LATENCY_MS;

	for (;;) {
		uint8_t c;
		int r = read_byte_by(x, deadline, &c);

		if (r <= 0) {
			*ans = TIMED_OUT;
			return r;
		}
		if (c == XM_ACK || c == XM_NAK) {
			*ans = c == XM_ACK ? ACKED : NAKED;
			return 0;
		}
		if (c == XM_CAN)
			return fail_cancelled(x);
		if (c == XM_CRC_START && x->block == 1 && now_ms(x) >= c_counts_from) {
			*ans = NAKED;
			return 0;
		}
		ub_debug(x->xm->log, "%s: XMODEM block %u: ignoring 0x%02x", port_of(x)->name,
			 x->block, c);
	}
}

static int purge(struct xfer *x);

/*
 * No answer: the receiver may still wait for bytes of the block that were
 * lost (the ECR6600 stub waits 10-20 s for each, then takes its old buffer
 * byte), and a block sent now would fill that gap and be misread. Pad
 * bytes one at a time until it answers (a NAK for the bad block, or for a
 * pad that is no STX), then let the line go quiet.
 */
static int fill_until_answer(struct xfer *x)
{
	int wait = line_ms(x, 2) + USB_LATENCY_MS;

	for (size_t i = 0; i < XM_FRAME; i++) {
		uint8_t c;
		int r;

		if (put_byte(x, x->xm->pad) < 0)
			return -1;
		r = read_byte_by(x, now_ms(x) + wait, &c);
		if (r < 0)
			return -1;
		if (r == 1)
			break;
	}
	return purge(x);
}

static int send_block(struct xfer *x, const uint8_t *frame)
{
	struct xmodem *xm = x->xm;

	for (int tries = 1;; tries++) {
		enum answer ans;

		if (ub_port_write(port_of(x), frame, XM_FRAME, x->err) < 0 ||
		    read_answer(x, &ans) < 0)
			return -1;
		if (ans == ACKED)
			return 0;
		if (tries >= xm->max_tries) {
			cancel(x);
			return ub_fail(x->err, UB_EFAIL, "%s: XMODEM block %u (offset %" PRIu64
				       ") not acknowledged after %d tries", port_of(x)->name,
				       x->block, x->done, tries);
		}
		if (ans == TIMED_OUT && xm->stop_on_timeout) {
			xm->timed_out = 1;
			if (fill_until_answer(x) < 0)
				return -1;
			return ub_fail(x->err, UB_EFAIL, "%s: XMODEM block %u (offset %" PRIu64 ") not "
				       "answered", port_of(x)->name, x->block, x->done);
		}
		xm->resent++;
		if (ans == TIMED_OUT)
			xm->resent_after_timeout++;
		ub_debug(xm->log, "%s: XMODEM block %u %s, sending it again", port_of(x)->name,
			 x->block, ans == TIMED_OUT ? "not answered" : "refused (NAK)");
		/* a receiver that NAKs every stray byte sends a burst: one answer is enough */
		if ((ans == TIMED_OUT && xm->fill_on_timeout ? fill_until_answer(x) : purge(x)) < 0)
			return -1;
	}
}

/* STX, number, its complement, len bytes from source padded, CRC-16 BE. */
static int fill_frame(struct xfer *x, uint8_t *frame, size_t len, xm_source_fn source,
		      void *arg)
{
	uint16_t crc;

	frame[0] = XM_STX;
	frame[1] = (uint8_t)x->block;
	frame[2] = (uint8_t)(0xFF - frame[1]);
	if (source(arg, frame + XM_HEAD, len, x->err) < 0)
		return -1;
	memset(frame + XM_HEAD + len, x->xm->pad, XM_BLOCK - len);
	crc = ub_crc16_xmodem(UB_CRC16_XMODEM_INIT, frame + XM_HEAD, XM_BLOCK);
	frame[XM_HEAD + XM_BLOCK] = (uint8_t)(crc >> 8);
	frame[XM_HEAD + XM_BLOCK + 1] = (uint8_t)crc;
	return 0;
}

static int send_eot(struct xfer *x)
{
	for (int tries = 1; tries <= x->xm->max_tries; tries++) {
		enum answer ans;

		if (put_byte(x, XM_EOT) < 0 || read_answer(x, &ans) < 0)
			return -1;
		if (ans == ACKED)
			return 0;
	}
	return ub_fail(x->err, UB_EFAIL, "%s: XMODEM end of transfer not acknowledged after "
		       "%d tries (all %" PRIu64 " bytes were)", port_of(x)->name,
		       x->xm->max_tries, x->done);
}

int xmodem_send(struct xmodem *xm, uint64_t len, xm_source_fn source, void *arg,
		struct ub_err *err)
{
	struct xfer x = { .xm = xm, .len = len, .block = 1, .sending = 1, .err = err };
	uint8_t frame[XM_FRAME];

	xm->resent = xm->resent_after_timeout = xm->duplicates = 0;
	xm->timed_out = 0;
	xm->acked = 0;
	if (!xm->receiver_ready && wait_for_start(&x) < 0)
		return -1;
	/* 'C's the receiver sent while we were not yet listening are no answers. */
	if (ub_port_flush_input(xm->port, err) < 0)
		return -1;
	while (x.done < len) {
		size_t n = len - x.done < XM_BLOCK ? (size_t)(len - x.done) : XM_BLOCK;

		if (stop_asked(&x))
			return fail_stopped(&x);
		if (fill_frame(&x, frame, n, source, arg) < 0) {
			cancel(&x);
			return -1;
		}
		if (send_block(&x, frame) < 0)
			return -1;
		x.done += n;
		x.block++;
		report_progress(&x);
	}
	if (stop_asked(&x))
		return fail_stopped(&x);
	return send_eot(&x);
}

/* ---- receive ---- */

/*
 * Read off the rest of a damaged block, or garbage, until the line has been
 * quiet a while, so that the NAK goes out when the sender listens and its
 * resend is not taken for garbage. A line that never goes quiet gets the NAK
 * after block_timeout_ms.
 */
static int purge(struct xfer *x)
{
	int quiet_ms = line_ms(x, 4) + USB_LATENCY_MS;
	int64_t give_up = now_ms(x) + x->xm->block_timeout_ms;
	uint8_t scratch[XM_FRAME];

	while (now_ms(x) < give_up) {
		ssize_t r = ub_port_read(port_of(x), scratch, sizeof(scratch), quiet_ms, x->err);

		if (r <= 0)
			return (int)r;
	}
	return 0;
}

/*
 * The rest of a block whose first byte was head, checked: 1 good (number in
 * buf[0], data from buf + 2), 0 damaged (*why says how), -1 on error.
 */
static int read_block(struct xfer *x, uint8_t head, uint8_t *buf, const char **why)
{
	size_t size = head == XM_STX ? XM_BLOCK : XM_SMALL;
	uint16_t crc;
	ssize_t r = ub_port_read_exact(port_of(x), buf, 2 + size + 2, x->xm->block_timeout_ms,
				       x->err);

	if (r < 0)
		return -1;
	if (r == 0) {
		ub_err_clear(x->err);
		*why = "short block";
		return 0;
	}
	if ((uint8_t)(buf[0] + buf[1]) != 0xFF) {
		*why = "bad block number complement";
		return 0;
	}
	crc = ub_crc16_xmodem(UB_CRC16_XMODEM_INIT, buf + 2, size);
	if (buf[2 + size] != (uint8_t)(crc >> 8) || buf[3 + size] != (uint8_t)crc) {
		*why = "bad CRC";
		return 0;
	}
	return 1;
}

/* The receiving side's state between blocks. */
struct rx {
	struct xfer x;
	xm_sink_fn sink;
	void *arg;
	int started;        /* a block (even a damaged one) has begun */
	int bad;            /* tries of this block that failed, in a row */
	int cs_sent;        /* 'C's sent while waiting for the first block */
	int64_t next_c;     /* when the next 'C' is due */
};

/* ACK a good block and hand what is within len to the sink. */
static int take_block(struct rx *rx, const uint8_t *data, size_t size)
{
	struct xfer *x = &rx->x;
	size_t take = x->done >= x->len ? 0 :
		x->len - x->done < size ? (size_t)(x->len - x->done) : size;

	if (put_byte(x, XM_ACK) < 0)
		return -1;
	rx->bad = 0;
	x->block++;
	if (take == 0)
		return 0;  /* the sender's padding, in whole blocks */
	if (rx->sink(rx->arg, data, take, x->err) < 0) {
		cancel(x);
		return -1;
	}
	x->done += take;
	report_progress(x);
	return 0;
}

/* A block that passed its checks: the expected one, a repeat, or out of order. */
static int on_good_block(struct rx *rx, const uint8_t *buf, size_t size)
{
	struct xfer *x = &rx->x;
	uint8_t expected = (uint8_t)x->block;

	if (buf[0] == expected)
		return take_block(rx, buf + 2, size);
	if (x->block > 1 && buf[0] == (uint8_t)(expected - 1)) {
		/* Our ACK was lost and the sender sent it again: we have it. */
		x->xm->duplicates++;
		rx->bad = 0;
		return put_byte(x, XM_ACK);
	}
	cancel(x);
	return ub_fail(x->err, UB_EFAIL, "%s: XMODEM block %u (offset %" PRIu64 ") out of "
		       "sequence: numbered %u, expected %u", port_of(x)->name, x->block, x->done,
		       buf[0], expected);
}

/* Ask for the block again (after purging what was left of it), or give up. */
static int refuse(struct rx *rx, const char *why)
{
	struct xfer *x = &rx->x;

	if (++rx->bad >= x->xm->max_tries) {
		cancel(x);
		return ub_fail(x->err, UB_EFAIL, "%s: XMODEM block %u (offset %" PRIu64 ") not "
			       "received after %d tries (last: %s)", port_of(x)->name, x->block,
			       x->done, rx->bad, why);
	}
	ub_debug(x->xm->log, "%s: XMODEM block %u: %s, asking again", port_of(x)->name,
		 x->block, why);
	x->xm->resent++;
	return put_byte(x, XM_NAK);
}

/* Nothing came in time: another 'C' before the first block, a NAK after. */
static int on_silence(struct rx *rx)
{
	struct xfer *x = &rx->x;
	int interval = x->xm->start_timeout_ms / (x->xm->max_tries > 0 ? x->xm->max_tries : 1);

	if (rx->started)
		return refuse(rx, "timed out");
	if (rx->cs_sent >= x->xm->max_tries)
		return ub_fail(x->err, UB_ENODEV, "%s: no XMODEM block in %d ms (%d 'C's sent)",
			       port_of(x)->name, x->xm->start_timeout_ms, rx->cs_sent);
	rx->cs_sent++;
	rx->next_c = now_ms(x) + (interval > 0 ? interval : 1);
	return put_byte(x, XM_CRC_START);
}

/* 1 when the transfer is over, 0 to go on, -1 with err. */
static int on_byte(struct rx *rx, uint8_t c, uint8_t *buf)
{
	struct xfer *x = &rx->x;
	const char *why = "noise";
	int r;

	switch (c) {
	case XM_SOH:
	case XM_STX:
		rx->started = 1;
		r = read_block(x, c, buf, &why);
		if (r < 0)
			return -1;
		if (r > 0)
			return on_good_block(rx, buf, c == XM_STX ? XM_BLOCK : XM_SMALL);
		break;
	case XM_EOT:
		if (put_byte(x, XM_ACK) < 0)
			return -1;
		if (x->done < x->len)
			return ub_fail(x->err, UB_EFAIL, "%s: the XMODEM sender ended the transfer "
				       "after %" PRIu64 " of %" PRIu64 " bytes", port_of(x)->name,
				       x->done, x->len);
		return 1;
	case XM_CAN:
		return fail_cancelled(x);
	default:
		break;
	}
	if (purge(x) < 0)
		return -1;
	/* Before the first block, noise is no block to refuse: the 'C's go on. */
	return rx->started ? refuse(rx, why) : 0;
}

int xmodem_receive(struct xmodem *xm, uint64_t len, xm_sink_fn sink, void *arg,
		   struct ub_err *err)
{
	struct rx rx = { .x = { .xm = xm, .len = len, .block = 1, .err = err },
			 .sink = sink, .arg = arg };
	uint8_t buf[2 + XM_BLOCK + 2];

	xm->resent = xm->resent_after_timeout = xm->duplicates = 0;
	xm->acked = 0;
	if (on_silence(&rx) < 0)
		return -1;
	for (;;) {
		int64_t deadline = rx.started ? now_ms(&rx.x) + xm->block_timeout_ms : rx.next_c;
		uint8_t c;
		int r = read_byte_by(&rx.x, deadline, &c);

		if (r > 0)
			r = on_byte(&rx, c, buf);
		else if (r == 0)
			r = on_silence(&rx);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
}

void xmodem_init(struct xmodem *xm, struct ub_port *port)
{
	memset(xm, 0, sizeof(*xm));
	xm->port = port;
	xm->pad = 0xFF;
	xm->start_timeout_ms = 10000;
	xm->block_timeout_ms = 3000;
	xm->max_tries = 10;
}
