/* SPDX-License-Identifier: MIT */
/*
 * The CH341A USB-SPI adapter emulator (sim/sim_ch341a.h has the model):
 * USB packets in, pins and SPI bytes out to the BK72xx emulator.
 */
#include "sim_ch341a.h"
#include "sim_bk72xx.h"
#include "sim_file.h"
#include "parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	PACKET = 32,
	EP_OUT = 0x02,
	EP_IN = 0x82,
	EP_INT = 0x81,
	CMD_SPI = 0xA8,
	CMD_I2C = 0xAA,
	CMD_UIO = 0xAB,
	UIO_READ = 0x00,
	UIO_END = 0x20,
	I2C_END = 0x00,
	I2C_SET = 0x60,
	I2C_DOUBLE = 0x04,
	PIN_CS = 0x01,
	PIN_CEN = 0x04,
	PIN_SCK = 0x08,
	PIN_MOSI = 0x20,
	UIO_PINS = 0x3F,
	MAX_QUEUED = 4096,
	OPTS_MAX = 1024,
};

static const uint64_t NEVER = UINT64_MAX;
static const uint32_t SPI_HZ = 1400000;
static const uint64_t FRAME_NS = 1000000;
static const uint64_t UIO_STEP_NS = 750;
static const uint64_t PACKET_OVERHEAD = 13;   /* token, sync, PID, CRC, handshake, gaps */

struct reply {
	uint64_t ready;
	size_t len;
	uint8_t data[PACKET];
};

struct ch341a_stats {
	uint64_t packets_out, packets_in, spi_packets, spi_bytes, uio_packets, config_packets,
		ignored_packets, round_trips, cs_frames, cen_resets, elapsed_ns, unplugs;
};

struct ch341a {
	struct bk_sim *chip;
	int pace;
	FILE *trace;
	char *stats_path;
	uint64_t unplug_at, packets_seen;
	int gone;
	uint64_t now;
	uint8_t dir, out;     /* D5..D0: direction (1 = output), driven levels */
	int double_io;
	uint64_t slot_free;   /* when the packet buffer frees: the last packet began executing */
	struct reply *queue;  /* ring of MAX_QUEUED replies */
	size_t qhead, qlen;
	struct ch341a_stats stats;
};

/* ------------------------------------------------------------ helpers */

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint8_t reverse_bits(uint8_t b)
{
	b = (uint8_t)((b & 0xF0) >> 4 | (b & 0x0F) << 4);
	b = (uint8_t)((b & 0xCC) >> 2 | (b & 0x33) << 2);
	return (uint8_t)((b & 0xAA) >> 1 | (b & 0x55) << 1);
}

static uint64_t next_frame(const struct ch341a *m, uint64_t t)
{
	if (!m->pace)
		return t;
	return (t + FRAME_NS - 1) / FRAME_NS * FRAME_NS;
}

/* A packet of n data bytes on the full-speed bus. */
static uint64_t packet_ns(const struct ch341a *m, size_t n)
{
	return m->pace ? (n + PACKET_OVERHEAD) * 8 * 1000 / 12 : 0;
}

static uint64_t chip_now(const struct ch341a *m)
{
	return bk_sim_now(m->chip);
}

/* Let the chip reach t (it is never behind the adapter). */
static void chip_reach(struct ch341a *m, uint64_t t)
{
	uint64_t c = chip_now(m);

	if (t > c)
		bk_sim_delay(m->chip, t - c);
}

static void reach(struct ch341a *m, uint64_t now)
{
	if (now > m->now)
		m->now = now;
	m->stats.elapsed_ns = m->now;
	if (!m->gone)
		chip_reach(m, m->now);
}

/* ------------------------------------------------------------- the pins */

/* D5..D0 as they read: an input is pulled up (sim_ch341a.h). */
static uint8_t pin_levels(uint8_t dir, uint8_t out)
{
	return (uint8_t)(((dir & out) | ~dir) & UIO_PINS);
}

static void set_pins(struct ch341a *m, uint8_t dir, uint8_t out)
{
	uint8_t was = pin_levels(m->dir, m->out), now = pin_levels(dir, out);
	uint8_t changed = was ^ now;

	m->dir = dir & UIO_PINS;
	m->out = out & UIO_PINS;
	if (changed & PIN_CS) {
		bk_sim_select(m->chip, now & PIN_CS);
		m->stats.cs_frames += !(now & PIN_CS);
		sim_trace(m->trace, "%llu cs %d", (unsigned long long)chip_now(m), now & PIN_CS);
	}
	if (changed & PIN_CEN) {
		bk_sim_set_cen(m->chip, !!(now & PIN_CEN));
		m->stats.cen_resets += !(now & PIN_CEN);
		sim_trace(m->trace, "%llu cen %d", (unsigned long long)chip_now(m),
			  !!(now & PIN_CEN));
	}
}

/* ------------------------------------------------------------ the replies */

static int queue_full(const struct ch341a *m)
{
	return m->qlen == MAX_QUEUED;
}

static void queue_reply(struct ch341a *m, const uint8_t *p, size_t n)
{
	struct reply *r = &m->queue[(m->qhead + m->qlen) % MAX_QUEUED];

	r->len = n;
	memcpy(r->data, p, n);
	r->ready = chip_now(m) + packet_ns(m, n);
	m->qlen++;
}

/* --------------------------------------------------------- the commands */

/* The wire is LSB-first: the chip, MSB-first, sees every byte reversed. */
static void shift_to_chip(struct ch341a *m, const uint8_t *p, uint8_t *rx, size_t n)
{
	uint8_t tx[PACKET];

	for (size_t i = 0; i < n; i++)
		tx[i] = m->dir & PIN_MOSI ? reverse_bits(p[i]) : 0xFF;
	bk_sim_shift(m->chip, tx, rx, n, SPI_HZ);
	for (size_t i = 0; i < n; i++)
		rx[i] = reverse_bits(rx[i]);
}

static void spi_packet(struct ch341a *m, const uint8_t *p, size_t n)
{
	uint8_t rx[PACKET];

	m->stats.spi_packets++;
	if (!n)
		return;
	if ((m->dir & PIN_SCK) && !m->double_io) {
		shift_to_chip(m, p, rx, n);
	} else {   /* no clock reaches the chip; the engine runs all the same */
		bk_sim_delay(m->chip, n * 8000000000ull / SPI_HZ);
		memset(rx, 0xFF, n);
	}
	m->stats.spi_bytes += n;
	queue_reply(m, rx, n);
}

/* One UIO sub-command; 0 when it is not one (skipped without time). */
static int uio_step(struct ch341a *m, uint8_t c, uint8_t *reads, size_t *nreads)
{
	switch (c & 0xC0) {
	case 0x00:
		if (c != UIO_READ)
			return 0;
		reads[(*nreads)++] = (uint8_t)(0xC0 | pin_levels(m->dir, m->out));
		break;
	case 0x40:
		set_pins(m, c & UIO_PINS, m->out);
		break;
	case 0x80:
		set_pins(m, m->dir, c & UIO_PINS);
		break;
	default:
		bk_sim_delay(m->chip, (uint64_t)(c & UIO_PINS) * 1000);
		break;
	}
	bk_sim_delay(m->chip, UIO_STEP_NS);
	return 1;
}

static void uio_packet(struct ch341a *m, const uint8_t *p, size_t n)
{
	uint8_t reads[PACKET];
	size_t nreads = 0;

	m->stats.uio_packets++;
	for (size_t i = 0; i < n && p[i] != UIO_END; i++)
		uio_step(m, p[i], reads, &nreads);
	if (nreads)
		queue_reply(m, reads, nreads);
}

static void config_packet(struct ch341a *m, const uint8_t *p, size_t n)
{
	m->stats.config_packets++;
	for (size_t i = 0; i < n && p[i] != I2C_END; i++)
		if ((p[i] & 0xE0) == I2C_SET)
			m->double_io = !!(p[i] & I2C_DOUBLE);
}

static void run_packet(struct ch341a *m, const uint8_t *p, size_t n)
{
	sim_trace(m->trace, "%llu out %02x %zu", (unsigned long long)chip_now(m), n ? p[0] : 0,
		  n);
	m->stats.packets_out++;
	if (n && p[0] == CMD_SPI)
		spi_packet(m, p + 1, n - 1);
	else if (n && p[0] == CMD_UIO)
		uio_packet(m, p + 1, n - 1);
	else if (n && p[0] == CMD_I2C)
		config_packet(m, p + 1, n - 1);
	else
		m->stats.ignored_packets++;
}

/* ------------------------------------------------------------ transfers */

static void unplug(struct ch341a *m)
{
	m->gone = 1;
	m->stats.unplugs++;
	sim_trace(m->trace, "%llu unplugged", (unsigned long long)m->now);
}

/*
 * The packets of one OUT transfer, through the bus and the adapter's
 * one-packet buffer (the rules in sim_ch341a.h); *done when the last has
 * crossed.
 */
static enum usb_sim_status out_packets(struct ch341a *m, const uint8_t *p, size_t len,
				       int queued, size_t *taken, uint64_t *done)
{
	uint64_t crossed = queued ? m->now : next_frame(m, m->now);
	size_t off = 0;

	do {
		size_t n = len - off < PACKET ? len - off : PACKET;

		if (++m->packets_seen == m->unplug_at) {
			unplug(m);
			return USB_SIM_GONE;
		}
		if (queue_full(m)) {
			*done = NEVER;
			return USB_SIM_OK;
		}
		crossed = max_u64(crossed, m->slot_free) + packet_ns(m, n);
		m->slot_free = max_u64(crossed, chip_now(m));
		chip_reach(m, m->slot_free);
		run_packet(m, p + off, n);
		off += n;
		*taken = off;
		*done = crossed;
	} while (off < len);
	return USB_SIM_OK;
}

static enum usb_sim_status ch_bulk_out(void *dev, uint64_t now, uint8_t ep, const uint8_t *p,
				       size_t len, size_t *taken, uint64_t *done)
{
	struct ch341a *m = dev;
	int queued;

	reach(m, now);
	*taken = 0;
	*done = now;
	if (m->gone)
		return USB_SIM_GONE;
	if (ep != EP_OUT)
		return USB_SIM_STALL;
	/* Replies not yet collected: the host queued this transfer behind the last one. */
	queued = m->qlen > 0;
	if (!queued)
		m->stats.round_trips++;
	return out_packets(m, p, len, queued, taken, done);
}

static void pop_reply(struct ch341a *m, uint8_t *buf, size_t cap, size_t *actual)
{
	struct reply *r = &m->queue[m->qhead];
	size_t k = r->len < cap ? r->len : cap;

	memcpy(buf, r->data, k);
	*actual = k;
	m->stats.packets_in++;
	sim_trace(m->trace, "%llu in %zu", (unsigned long long)m->now, k);
	if (k < r->len) {   /* the rest waits for the next IN */
		memmove(r->data, r->data + k, r->len - k);
		r->len -= k;
		return;
	}
	m->qhead = (m->qhead + 1) % MAX_QUEUED;
	m->qlen--;
}

static enum usb_sim_status ch_bulk_in(void *dev, uint64_t now, uint8_t ep, uint8_t *buf,
				      size_t cap, size_t *actual, uint64_t *ready)
{
	struct ch341a *m = dev;

	reach(m, now);
	*actual = 0;
	*ready = NEVER;
	if (m->gone)
		return USB_SIM_GONE;
	if (ep == EP_INT)
		return USB_SIM_OK;
	if (ep != EP_IN)
		return USB_SIM_STALL;
	if (!m->qlen)
		return USB_SIM_OK;
	if (m->queue[m->qhead].ready > m->now) {
		*ready = m->queue[m->qhead].ready;
		return USB_SIM_OK;
	}
	if (cap)
		pop_reply(m, buf, cap, actual);
	return USB_SIM_OK;
}

static enum usb_sim_status ch_control(void *dev, uint64_t now, const struct usb_sim_setup *s,
				      uint8_t *data, size_t *actual, uint64_t *done)
{
	struct ch341a *m = dev;

	reach(m, now);
	*actual = 0;
	if (m->gone)
		return USB_SIM_GONE;
	*done = m->pace ? next_frame(m, m->now) + FRAME_NS : m->now;
	if ((s->bmRequestType & 0x60) != 0x00)
		return USB_SIM_STALL;
	return usb_sim_standard_request(s, data, actual);
}

static int ch_describe(void *dev, uint64_t now, struct usb_sim_device *d)
{
	struct ch341a *m = dev;

	reach(m, now);
	if (m->gone)
		return -1;
	d->vid = 0x1A86;
	d->pid = 0x5512;
	d->bcd_device = 0x0304;
	d->ep_out = EP_OUT;
	d->ep_in = EP_IN;
	d->max_packet = PACKET;
	return 0;
}

static void ch_advance(void *dev, uint64_t now)
{
	reach(dev, now);
}

/* ------------------------------------------------------------ lifecycle */

#define STAT(f) SIM_STAT(struct ch341a_stats, f)
static const struct sim_stat stat_fields[] = {
	STAT(packets_out), STAT(packets_in), STAT(spi_packets), STAT(spi_bytes),
	STAT(uio_packets), STAT(config_packets), STAT(ignored_packets), STAT(round_trips),
	STAT(cs_frames), STAT(cen_resets), STAT(elapsed_ns), STAT(unplugs),
};
#undef STAT

static void free_ch(struct ch341a *m)
{
	if (m->trace)
		fclose(m->trace);
	free(m->stats_path);
	free(m->queue);
	free(m);
}

static int ch_finish(void *dev, char *err, size_t errlen)
{
	struct ch341a *m = dev;
	char later[256] = "";
	int rc = 0;

	if (bk_sim_close(m->chip, err, errlen))
		rc = -1;
	if (m->stats_path &&
	    sim_write_stats("ch341a", m->stats_path, &m->stats, stat_fields,
			    sizeof(stat_fields) / sizeof(stat_fields[0]), rc ? later : err,
			    rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->trace && fclose(m->trace) && !rc) {
		sim_set_err(err, errlen, "ch341a sim: trace file: write failed");
		rc = -1;
	}
	m->trace = NULL;
	free_ch(m);
	return rc;
}

/* -------------------------------------------------------------- options */

struct ch_opts {
	char chip[32];
	char rest[OPTS_MAX];   /* the chip's options */
	size_t used;
};

static int pass_to_chip(struct ch_opts *o, const char *key, const char *val, char *err,
			size_t errlen)
{
	int n = snprintf(o->rest + o->used, sizeof(o->rest) - o->used, "%s%s%s%s",
			 o->used ? "," : "", key, *val ? "=" : "", val);

	if (n < 0 || (size_t)n >= sizeof(o->rest) - o->used) {
		sim_set_err(err, errlen, "ch341a sim: option list too long");
		return -1;
	}
	o->used += (size_t)n;
	return 0;
}

static int adapter_option(struct ch341a *m, struct ch_opts *o, const char *key, const char *val,
			  char *err, size_t errlen)
{
	if (strcmp(key, "chip") == 0) {
		size_t n = strlen(val);

		if (!n || n >= sizeof(o->chip)) {
			sim_set_err(err, errlen, "ch341a sim: chip=%s: want bk7231t, bk7231n or bk7252",
				    val);
			return -1;
		}
		memcpy(o->chip, val, n + 1);
		return 0;
	}
	if (strcmp(key, "stats") == 0)
		return sim_set_path(&m->stats_path, "ch341a", key, val, err, errlen);
	if (strcmp(key, "trace") == 0)
		return sim_open_log(&m->trace, "ch341a", key, val, err, errlen);
	if (ub_parse_u64(val, &m->unplug_at) || !m->unplug_at) {
		sim_set_err(err, errlen, "ch341a sim: %s=%s: want a packet number from 1", key, val);
		return -1;
	}
	return 0;
}

static int is_adapter_key(const char *key)
{
	return !strcmp(key, "chip") || !strcmp(key, "stats") || !strcmp(key, "trace") ||
	       !strcmp(key, "unplug");
}

static int parse_options(struct ch341a *m, const char *opts, struct ch_opts *o, char *err,
			 size_t errlen)
{
	const char *cursor = opts ? opts : "";
	char key[64], val[512];
	int rc;

	snprintf(o->chip, sizeof(o->chip), "bk7231n");
	while ((rc = ub_kv_next(&cursor, key, sizeof(key), val, sizeof(val))) > 0) {
		if (is_adapter_key(key)) {
			if (adapter_option(m, o, key, val, err, errlen))
				return -1;
		} else if (pass_to_chip(o, strncmp(key, "chip-", 5) ? key : key + 5, val, err,
					errlen)) {
			return -1;
		}
	}
	if (rc < 0) {
		sim_set_err(err, errlen, "ch341a sim: malformed option list '%s'", opts);
		return -1;
	}
	return 0;
}

static void *ch_create(const char *opts, int pace, char *err, size_t errlen)
{
	struct ch341a *m = calloc(1, sizeof(*m));
	struct ch_opts *o = calloc(1, sizeof(*o));

	if (!m || !o || !(m->queue = calloc(MAX_QUEUED, sizeof(*m->queue)))) {
		sim_set_err(err, errlen, "ch341a sim: out of memory");
		goto fail;
	}
	m->pace = pace;
	if (parse_options(m, opts, o, err, errlen))
		goto fail;
	m->chip = bk_sim_create(o->chip, o->rest, err, errlen);
	if (!m->chip)
		goto fail;
	free(o);
	return m;
fail:
	free(o);
	if (m)
		free_ch(m);
	return NULL;
}

const struct usb_sim_model usb_sim_model_ch341a = {
	.name = "ch341a",
	.create = ch_create,
	.describe = ch_describe,
	.control = ch_control,
	.bulk_out = ch_bulk_out,
	.bulk_in = ch_bulk_in,
	.advance = ch_advance,
	.finish = ch_finish,
	.own_bus = 1,
};
