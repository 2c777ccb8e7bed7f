/* SPDX-License-Identifier: MIT */
/*
 * SPI master on a CH341A USB programmer (1a86:5512), through the USB layer
 * (usbboot/usb.h): "ch341a" (the first adapter, libusb), "ch341a:1-1.2" (by
 * its bus-port path) or "ch341a:sim[,chip=bk7231n,...]" (the emulated
 * adapter, sim/sim_ch341a.h). Its own line is CEN on D2.
 *
 * The adapter (notes/beken.md §2): 32-byte OUT packets, each starting with a
 * command; 0xAB (UIO stream) drives D0-D5, with chip select on D0 and D2
 * free for CEN; 0xA8 (SPI stream) shifts the rest of its packet (up to 31
 * bytes) LSB first at the adapter's own ~1.4 MHz clock and answers with as
 * many bytes in one short IN packet. A frame is one bulk OUT transfer (CS
 * high then low, the data) with its replies queued, so a round trip costs
 * one USB frame, not one per packet. Its last packet may be short, and a
 * short packet ends a transfer: CS rises in the next frame's first packet,
 * as flashrom does, or by itself before a wait or a CEN change. A batch of
 * frames (write-enable, program, a poll) queues one transfer per frame and
 * costs one round trip; the adapter times the waits between them.
 */
#include "spi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usb.h"

#define CH341_VID 0x1A86
#define CH341_PID 0x5512
#define PACKET 32
#define SPI_PER_PACKET (PACKET - 1)
#define CH341_MAX_FRAME 4100       /* a 4 KiB read and its command, as flashrom's */
#define CH341_CLOCK_HZ 1400000u    /* fixed (notes §2) */
#define CH341_TIMEOUT_MS 5000
#define NO_ADAPTER_HINT "; is the CH341A plugged in, with its jumper on programmer (SPI) mode? " \
	"In serial mode it shows up as another USB id"
#define BATCH_PACKETS 160          /* a 4 KiB read's 133, with room for gaps */
#define UIO_DELAY_MAX 63u          /* µs in one delay sub-command */
#define GAP_PER_PACKET_US (UIO_DELAY_MAX * (PACKET - 3))

enum {
	CMD_SPI_STREAM = 0xA8,
	CMD_I2C_STREAM = 0xAA,
	CMD_UIO_STREAM = 0xAB,
	I2C_SET = 0x60,       /* | speed (1: 100 kHz), bit 2 off: single SPI */
	I2C_END = 0x00,
	UIO_OUT = 0x80,       /* | D5..D0 */
	UIO_DIR = 0x40,       /* | D5..D0 outputs */
	UIO_END = 0x20,
	UIO_DELAY = 0xC0,     /* | µs */
};

/* D0 CS (high: released), D1 unused (high), D2 CEN, D3 SCK (low), D4 and D5 high. */
#define PINS_IDLE 0x32u
#define PIN_CS 0x01u
#define PIN_CEN 0x04u

struct ch341 {
	struct ub_usb *usb;
	int cen;             /* D2's level */
	int cen_taken;
	int selected;        /* CS is still low after the last frame */
	uint8_t out[BATCH_PACKETS * PACKET];
	uint8_t in[BATCH_PACKETS * SPI_PER_PACKET];
	uint8_t tx[CH341_MAX_FRAME];
};

/* The wire is LSB first; the flash reads MSB first. */
static uint8_t reversed(uint8_t b)
{
	static const uint8_t nibble[16] = { 0x0, 0x8, 0x4, 0xC, 0x2, 0xA, 0x6, 0xE,
					    0x1, 0x9, 0x5, 0xD, 0x3, 0xB, 0x7, 0xF };

	return (uint8_t)(nibble[b & 0xF] << 4 | nibble[b >> 4]);
}

static uint8_t pins(const struct ch341 *c, int cs_high)
{
	return (uint8_t)(PINS_IDLE | (c->cen ? PIN_CEN : 0) | (cs_high ? PIN_CS : 0));
}

/* One full UIO packet driving the pins through the given states. */
static size_t put_uio(uint8_t *out, const uint8_t *states, size_t n)
{
	size_t len = 0;

	memset(out, 0, PACKET);
	out[len++] = CMD_UIO_STREAM;
	for (size_t i = 0; i < n; i++)
		out[len++] = (uint8_t)(UIO_OUT | states[i]);
	out[len] = UIO_END;
	return PACKET;
}

/* UIO packets raising CS and then waiting gap_us on the adapter's own clock. */
static size_t put_gap(struct ch341 *c, size_t at, uint32_t gap_us)
{
	do {
		size_t len = 0;

		memset(c->out + at, 0, PACKET);
		c->out[at + len++] = CMD_UIO_STREAM;
		c->out[at + len++] = (uint8_t)(UIO_OUT | pins(c, 1));
		while (gap_us && len < PACKET - 1) {
			uint32_t us = gap_us < UIO_DELAY_MAX ? gap_us : UIO_DELAY_MAX;

			c->out[at + len++] = (uint8_t)(UIO_DELAY | us);
			gap_us -= us;
		}
		c->out[at + len] = UIO_END;
		at += PACKET;
	} while (gap_us);
	return at;
}

/* The SPI bytes of the next A8 packet, with left still to send. */
static size_t packet_bytes(size_t left)
{
	return left < SPI_PER_PACKET ? left : SPI_PER_PACKET;
}

/* A frame's packets from at: CS high then low (its least high time), then tx's len bytes. */
static size_t put_frame(struct ch341 *c, size_t at, const uint8_t *tx, size_t len,
			size_t *npackets)
{
	const uint8_t select[] = { pins(c, 1), pins(c, 0) };

	at += put_uio(c->out + at, select, 2);
	for (size_t done = 0; done < len;) {
		size_t n = packet_bytes(len - done);

		c->out[at++] = CMD_SPI_STREAM;
		for (size_t i = 0; i < n; i++)
			c->out[at++] = reversed(tx[done++]);
		(*npackets)++;
	}
	return at;
}

/* The packets a frame and its gap take, to check that a batch fits before building it. */
static size_t packets_for(size_t len, uint32_t gap_us)
{
	size_t gap = gap_us ? (gap_us + GAP_PER_PACKET_US - 1) / GAP_PER_PACKET_US : 0;

	return 1 + (len + SPI_PER_PACKET - 1) / SPI_PER_PACKET + gap;
}

static size_t frame_len(const struct ub_spi_frame *f)
{
	size_t len = 0;

	for (size_t i = 0; i < f->nsegs; i++)
		len += f->segs[i].len;
	return len;
}

/* The frames' tx bytes in c->tx, one after another (NULL tx: zeros). */
static void gather(struct ch341 *c, const struct ub_spi_frame *frames, size_t n)
{
	size_t at = 0;

	for (size_t f = 0; f < n; f++)
		for (size_t i = 0; i < frames[f].nsegs; at += frames[f].segs[i].len, i++) {
			const struct ub_spi_seg *seg = &frames[f].segs[i];

			if (seg->tx)
				memcpy(c->tx + at, seg->tx, seg->len);
			else
				memset(c->tx + at, 0, seg->len);
		}
}

/* The replies back into the frames' rx buffers. */
static void scatter(const struct ch341 *c, const struct ub_spi_frame *frames, size_t n)
{
	size_t at = 0;

	for (size_t f = 0; f < n; f++)
		for (size_t i = 0; i < frames[f].nsegs; at += frames[f].segs[i].len, i++) {
			const struct ub_spi_seg *seg = &frames[f].segs[i];

			for (size_t k = 0; seg->rx && k < seg->len; k++)
				seg->rx[k] = reversed(c->in[at + k]);
		}
}

static int check_batch(const struct ub_spi_frame *frames, size_t n, size_t *total,
		       struct ub_err *err)
{
	size_t packets = 0;

	*total = 0;
	for (size_t f = 0; f < n; f++) {
		size_t len = frame_len(&frames[f]);

		*total += len;
		packets += packets_for(len, frames[f].gap_us);
	}
	if (*total > CH341_MAX_FRAME || packets > BATCH_PACKETS || n >= UB_USB_MAX_OUTS)
		return ub_fail(err, UB_EFAIL, "ch341a: a batch of %zu frames, %zu bytes in %zu "
			       "packets is over %d frames, %d bytes or %d packets", n, *total, packets,
			       UB_USB_MAX_OUTS - 1, CH341_MAX_FRAME, BATCH_PACKETS);
	return 0;
}

/* The packets from *start to at as the next OUT transfer. */
static void end_transfer(struct ch341 *c, size_t *start, size_t at, struct ub_usb_out *outs,
			 size_t *nouts)
{
	if (at == *start)
		return;
	outs[(*nouts)++] = (struct ub_usb_out){ c->out + *start, at - *start };
	*start = at;
}

/*
 * The batch in one round trip: its OUT transfers queued one behind the
 * other (a frame's short last packet ends one), every SPI packet's reply
 * queued before them.
 */
static int ch341_frames(void *priv, const struct ub_spi_frame *frames, size_t n,
			struct ub_err *err)
{
	struct ch341 *c = priv;
	struct ub_usb_out outs[UB_USB_MAX_OUTS];
	size_t total, at = 0, start = 0, nouts = 0, tx_at = 0, npackets = 0, got = 0;

	if (check_batch(frames, n, &total, err))
		return -1;
	gather(c, frames, n);
	for (size_t f = 0; f < n; f++) {
		size_t len = frame_len(&frames[f]);

		at = put_frame(c, at, c->tx + tx_at, len, &npackets);
		tx_at += len;
		if (len % SPI_PER_PACKET)
			end_transfer(c, &start, at, outs, &nouts);
		if (frames[f].gap_us)
			at = put_gap(c, at, frames[f].gap_us);
	}
	end_transfer(c, &start, at, outs, &nouts);
	c->selected = n && !frames[n - 1].gap_us;
	if (ub_usb_exchange(c->usb, outs, nouts, c->in, SPI_PER_PACKET, npackets, &got,
			    CH341_TIMEOUT_MS, err) != UB_USB_OK)
		return -1;
	if (got != total)
		return ub_fail(err, UB_EFAIL, "ch341a: %zu of %zu bytes came back", got, total);
	scatter(c, frames, n);
	return 0;
}

static int ch341_frame(void *priv, const struct ub_spi_seg *segs, size_t nsegs,
		       struct ub_err *err)
{
	const struct ub_spi_frame one = { segs, nsegs, 0 };

	return ch341_frames(priv, &one, 1, err);
}

static int drive_pins(struct ch341 *c, struct ub_err *err);

/* A wait starts once the last command has: CS up first. */
static void ch341_delay_us(void *priv, uint64_t us)
{
	struct ch341 *c = priv;
	struct ub_err quiet = { 0 };

	if (c->selected)
		drive_pins(c, &quiet);
	ub_usb_sleep_ms(c->usb, (int)((us + 999) / 1000));
}

static uint64_t ch341_now_ns(void *priv)
{
	struct ch341 *c = priv;

	return (uint64_t)ub_usb_clock_ms(c->usb) * 1000000u;
}

static int drive_pins(struct ch341 *c, struct ub_err *err)
{
	const uint8_t idle[] = { pins(c, 1) };

	put_uio(c->out, idle, 1);
	c->selected = 0;
	return ub_usb_bulk_out(c->usb, c->out, 3, CH341_TIMEOUT_MS, err) == UB_USB_OK ? 0 : -1;
}

static int ch341_cen_set(void *priv, int value, struct ub_err *err)
{
	struct ch341 *c = priv;

	c->cen = value;
	return drive_pins(c, err);
}

static void ch341_cen_close(void *priv)
{
	struct ch341 *c = priv;

	c->cen_taken = 0;
}

static const struct ub_gpio_ops ch341_cen_ops = {
	.set = ch341_cen_set,
	.close = ch341_cen_close,
};

static struct ub_gpio_line *ch341_own_line(void *priv, struct ub_err *err)
{
	struct ch341 *c = priv;
	struct ub_gpio_line *line;

	if (c->cen_taken) {
		ub_fail(err, UB_EUSAGE, "ch341a: D2 (CEN) is already in use");
		return NULL;
	}
	line = ub_gpio_line_new(&ch341_cen_ops, c, "ch341a:d2");
	if (!line)
		ub_fail(err, UB_EFAIL, "out of memory");
	else
		c->cen_taken = 1;
	return line;
}

/* Every pin back to an input: the module's pull-ups release CS and CEN. */
static int ch341_close(void *priv, struct ub_err *err)
{
	struct ch341 *c = priv;
	uint8_t off[PACKET] = { CMD_UIO_STREAM, UIO_DIR /* no outputs */, UIO_END };
	struct ub_err quiet = { 0 };
	int rc;

	ub_usb_bulk_out(c->usb, off, sizeof(off), CH341_TIMEOUT_MS, &quiet);
	rc = ub_usb_close(c->usb, err);
	free(c);
	return rc;
}

static const struct ub_spi_ops ch341_ops = {
	.frame = ch341_frame,
	.frames = ch341_frames,
	.delay_us = ch341_delay_us,
	.now_ns = ch341_now_ns,
	.own_line = ch341_own_line,
	.close = ch341_close,
};

/*
 * Single SPI at 100 kHz I2C bits, then the pins: their levels first, then
 * their direction, so that CS and CEN never dip low (flashrom's order).
 */
static int configure(struct ch341 *c, struct ub_err *err)
{
	uint8_t p[2 * PACKET] = { CMD_I2C_STREAM, I2C_SET | 1, I2C_END };

	p[PACKET] = CMD_UIO_STREAM;
	p[PACKET + 1] = (uint8_t)(UIO_OUT | pins(c, 1));
	p[PACKET + 2] = UIO_DIR | 0x3F;
	p[PACKET + 3] = UIO_END;
	return ub_usb_bulk_out(c->usb, p, sizeof(p), CH341_TIMEOUT_MS, err) == UB_USB_OK ? 0 : -1;
}

static int is_sim(const char *arg)
{
	return arg && strcmp(arg, "sim") == 0;
}

/* "ch341a" -> the first adapter; "1-1.2" -> that path; "sim" -> the emulated one. */
static void usb_spec(const char *arg, const char *opts, char *buf, size_t len)
{
	if (is_sim(arg))
		snprintf(buf, len, "sim:ch341a%s%s", opts && *opts ? "," : "", opts ? opts : "");
	else
		snprintf(buf, len, "%s", arg ? arg : "");
}

int ub_ch341a_open(const char *arg, const char *opts, const struct ub_log *log,
		   struct ub_spi *spi, struct ub_err *err)
{
	static const struct ub_usb_id id = { CH341_VID, CH341_PID };
	struct ch341 *c = calloc(1, sizeof(*c));
	char spec[1024];

	if (!c)
		return ub_fail(err, UB_EFAIL, "out of memory");
	if (opts && *opts && !is_sim(arg)) {
		free(c);
		return ub_fail(err, UB_EUSAGE, "ch341a: no options but speed= (and that only to be "
			       "refused): '%s'", opts);
	}
	usb_spec(arg, opts, spec, sizeof(spec));
	c->cen = 1;
	if (ub_usb_open(spec, &id, 1, 0, &c->usb, err) < 0) {
		if (err && err->status == UB_ENODEV && !is_sim(arg) &&
		    strlen(err->msg) + sizeof(NO_ADAPTER_HINT) < sizeof(err->msg))
			strcat(err->msg, NO_ADAPTER_HINT);
		free(c);
		return -1;
	}
	if (configure(c, err) < 0) {
		ub_usb_close(c->usb, NULL);
		free(c);
		return -1;
	}
	spi->ops = &ch341_ops;
	spi->priv = c;
	spi->max_frame = CH341_MAX_FRAME;
	spi->speed_hz = CH341_CLOCK_HZ;
	snprintf(spi->desc, sizeof(spi->desc), "ch341a %s", c->usb->desc.path);
	ub_debug(log, "CH341A at %s", c->usb->desc.path);
	return 0;
}
