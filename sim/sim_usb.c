/* SPDX-License-Identifier: MIT */
/*
 * The USB emulator runner (sim/sim_usb.h): the spec, the model table's
 * lookup, a model's optional callbacks, and ONE model clock that moves only
 * when the host makes a transfer or sleeps.
 *
 * The bus, with pace=1 (high speed, 480 Mbit/s):
 *   - a bulk packet of up to 512 bytes takes 125000/13 ns (9615 ns): USB 2.0
 *     fits at most 13 full bulk packets in a 125 us microframe, which holds
 *     the tokens, handshakes and bit stuffing with the 512 data bytes;
 *   - every bulk transfer costs one microframe more (125 us): the host
 *     controller starts a new transfer at the next microframe. With it 1 MiB
 *     takes 19.8 ms (CAP-T20: 22.4 ms; a 172-byte one 0.1 ms);
 *   - a control transfer takes 125 us whatever its data (CAP-T20: 0.1 to
 *     0.3 ms each, the capture's host included).
 * A device that NAKs (busy, or slower than the bus) makes the transfer end
 * when the device is done, or at the host's timeout. pace=0: the bus takes
 * no time; the device's own times stay. A model with own_bus set (a
 * full-speed device: sim/sim_ch341a.c) gets none of the above: its done and
 * ready times are the whole cost of its transfers.
 *
 * wire=FILE (the runner's, as pace=): a line per transfer the host makes,
 * written as it completes; the format is in sim_usb.h.
 */
#include "sim_usb.h"
#include "sim_file.h"
#include "parse.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The model table (sim/sim_usb_models.c), ending with NULL. */
extern const struct usb_sim_model *const usb_sim_models[];

static const uint64_t NEVER = UINT64_MAX;
static const uint64_t HS_PACKET = 512;
static const uint64_t HS_PACKET_NS = 125000 / 13;
static const uint64_t BULK_START_NS = 125000;
static const uint64_t CONTROL_NS = 125000;

struct usb_sim {
	const struct usb_sim_model *model;
	void *dev;
	int pace;
	uint64_t now;
	FILE *wire;  /* wire=, or NULL */
};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > NEVER - b ? NEVER : a + b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t bulk_ns(const struct usb_sim *s, size_t len)
{
	if (!s->pace || s->model->own_bus)
		return 0;
	return BULK_START_NS + (len + HS_PACKET - 1) / HS_PACKET * HS_PACKET_NS;
}

static uint64_t control_ns(const struct usb_sim *s)
{
	return s->pace && !s->model->own_bus ? CONTROL_NS : 0;
}

/* ----------------------------------------------------- the model's clock */

static uint64_t next_event(const struct usb_sim *s)
{
	return s->model->next_event ? s->model->next_event(s->dev, s->now) : NEVER;
}

/* Let the device reach t, event by event. */
static void advance_to(struct usb_sim *s, uint64_t t)
{
	uint64_t e;

	while ((e = next_event(s)) <= t && e > s->now) {
		s->now = e;
		if (s->model->advance)
			s->model->advance(s->dev, s->now);
	}
	if (t > s->now)
		s->now = t;
	if (s->model->advance)
		s->model->advance(s->dev, s->now);
}

/* The transfer ends at done, or at the deadline when the device is later. */
static enum usb_sim_status finish_at(struct usb_sim *s, uint64_t done, uint64_t deadline,
				     enum usb_sim_status st)
{
	if (done > deadline || done == NEVER) {
		if (deadline != NEVER)
			advance_to(s, deadline);
		return USB_SIM_TIMEOUT;
	}
	advance_to(s, done);
	return st;
}

/* ------------------------------------------------------------- wire= */

static int wire_open(struct usb_sim *s, const char *path, char *err, size_t errlen)
{
	s->wire = fopen(path, "w");
	if (!s->wire) {
		sim_set_err(err, errlen, "usb sim: wire=%s: cannot create", path);
		return -1;
	}
	fprintf(s->wire, "# usb sim wire: START_NS END_NS control TYPE REQ VALUE INDEX LENGTH "
		"STATUS ACTUAL DATA | START_NS END_NS bulk EP ASKED MOVED STATUS\n");
	return 0;
}

static const char *status_word(enum usb_sim_status st)
{
	switch (st) {
	case USB_SIM_OK: return "ok";
	case USB_SIM_STALL: return "stall";
	case USB_SIM_TIMEOUT: return "timeout";
	default: return "gone";
	}
}

static void wire_control(struct usb_sim *s, uint64_t start, const struct usb_sim_setup *setup,
			 const uint8_t *data, size_t actual, enum usb_sim_status st)
{
	/* OUT: the data the host sent; IN: the answer it got */
	size_t n = !data ? 0 : setup->bmRequestType & 0x80 ? actual : setup->wLength;

	fprintf(s->wire, "%" PRIu64 " %" PRIu64 " control %02x %02x %04x %04x %04x %s %zu ", start,
		s->now, setup->bmRequestType, setup->bRequest, setup->wValue, setup->wIndex,
		setup->wLength, status_word(st), actual);
	for (size_t i = 0; i < n; i++)
		fprintf(s->wire, "%02x", data[i]);
	fputs(n ? "\n" : "-\n", s->wire);
	fflush(s->wire);
}

static void wire_bulk(struct usb_sim *s, uint64_t start, uint8_t ep, size_t asked, size_t moved,
		      enum usb_sim_status st)
{
	fprintf(s->wire, "%" PRIu64 " %" PRIu64 " bulk %02x %zu %zu %s\n", start, s->now, ep, asked,
		moved, status_word(st));
	fflush(s->wire);
}

/* ------------------------------------------------------------- the spec */

static const char *model_name_at(size_t i)
{
	return usb_sim_models[i] ? usb_sim_models[i]->name : NULL;
}

char *usb_sim_model_names(char *buf, size_t len)
{
	return sim_join_names(model_name_at, buf, len);
}

static const struct usb_sim_model *find_model(const char *name, char *err, size_t errlen)
{
	long i = sim_find_name(model_name_at, name);
	char known[256];

	if (i >= 0)
		return usb_sim_models[i];
	sim_set_err(err, errlen, "unknown USB emulator '%s' (known: %s)", name,
		    usb_sim_model_names(known, sizeof(known)));
	return NULL;
}

/* The spec's options without pace= and wire=, which are the runner's. */
static int split_options(const char *opts, int *pace, char *wire, size_t wirelen, char *out,
			 size_t outlen, char *err, size_t errlen)
{
	const char *cursor = opts;
	char key[32], val[512];
	size_t used = 0;
	int rc;

	out[0] = '\0';
	while ((rc = ub_kv_next(&cursor, key, sizeof(key), val, sizeof(val))) > 0) {
		int n;

		if (strcmp(key, "pace") == 0) {
			if (*val && strcmp(val, "0") && strcmp(val, "1")) {
				sim_set_err(err, errlen, "usb sim: pace=%s: want 0 or 1", val);
				return -1;
			}
			*pace = !*val || strcmp(val, "1") == 0;
			continue;
		}
		if (strcmp(key, "wire") == 0) {
			if (!*val) {
				sim_set_err(err, errlen, "usb sim: wire= wants a file name");
				return -1;
			}
			snprintf(wire, wirelen, "%s", val);
			continue;
		}
		n = snprintf(out + used, outlen - used, "%s%s%s%s", used ? "," : "", key,
			     *val ? "=" : "", val);
		if (n < 0 || (size_t)n >= outlen - used) {
			sim_set_err(err, errlen, "usb sim: option list too long");
			return -1;
		}
		used += (size_t)n;
	}
	if (rc < 0) {
		sim_set_err(err, errlen,
			    "usb sim: malformed option list '%s' (empty item or too long)", opts);
		return -1;
	}
	return 0;
}

struct usb_sim *usb_sim_open(const char *spec, char *err, size_t errlen)
{
	struct ub_spec sp;
	struct usb_sim *s;
	char opts[sizeof(sp.buf)], wire[sizeof(sp.buf)] = "";
	int pace = 1;

	if (!spec || ub_spec_parse(spec, &sp)) {
		sim_set_err(err, errlen, "bad USB emulator spec '%s' (want MODEL[,key=value...], e.g. t31)",
			    spec ? spec : "");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		sim_set_err(err, errlen, "usb sim: out of memory");
		return NULL;
	}
	s->model = find_model(sp.name, err, errlen);
	if (!s->model)
		goto fail;
	if (*sp.arg) {
		sim_set_err(err, errlen, "USB emulator %s takes no ':' argument (got '%s')", sp.name,
			    sp.arg);
		goto fail;
	}
	if (split_options(sp.opts, &pace, wire, sizeof(wire), opts, sizeof(opts), err, errlen))
		goto fail;
	s->pace = pace;
	if (*wire && wire_open(s, wire, err, errlen))
		goto fail;
	s->dev = s->model->create(opts, pace, err, errlen);
	if (!s->dev)
		goto fail;
	return s;
fail:
	if (s->wire)
		fclose(s->wire);
	free(s);
	return NULL;
}

int usb_sim_stop(struct usb_sim *s, char *err, size_t errlen)
{
	int rc = 0;

	if (!s)
		return 0;
	if (s->model->finish)
		rc = s->model->finish(s->dev, err, errlen);
	else
		free(s->dev);
	if (s->wire && fclose(s->wire) && rc == 0) {
		sim_set_err(err, errlen, "usb sim: wire=: write error");
		rc = -1;
	}
	free(s);
	return rc;
}

int usb_sim_describe(struct usb_sim *s, struct usb_sim_device *dev)
{
	advance_to(s, s->now);
	memset(dev, 0, sizeof(*dev));
	return s->model->describe(s->dev, s->now, dev);
}

/* --------------------------------------------------------------- the host */

static enum usb_sim_status control(struct usb_sim *s, const struct usb_sim_setup *setup,
				   uint8_t *data, size_t *actual, uint64_t timeout_ns)
{
	uint64_t start, deadline, done = 0;
	enum usb_sim_status st;
	size_t got = 0;

	*actual = 0;
	advance_to(s, s->now);
	start = s->now;
	deadline = add_sat(start, timeout_ns);
	if (!s->model->control)
		return finish_at(s, start + control_ns(s), deadline, USB_SIM_STALL);
	st = s->model->control(s->dev, start, setup, data, &got, &done);
	if (st == USB_SIM_GONE)
		return st;
	if (st == USB_SIM_TIMEOUT)
		done = NEVER;
	st = finish_at(s, max_u64(done, start + control_ns(s)), deadline, st);
	if (st == USB_SIM_OK)
		*actual = got > setup->wLength ? setup->wLength : got;
	return st;
}

static enum usb_sim_status bulk_out(struct usb_sim *s, uint8_t ep, const uint8_t *data,
				    size_t len, size_t *actual, uint64_t timeout_ns)
{
	uint64_t deadline, bus_end;
	size_t sent = 0;

	*actual = 0;
	advance_to(s, s->now);
	deadline = add_sat(s->now, timeout_ns);
	bus_end = s->now + bulk_ns(s, len);
	if (!s->model->bulk_out)
		return finish_at(s, s->now, deadline, USB_SIM_STALL);
	for (;;) {
		uint64_t done = s->now;
		size_t taken = 0;
		enum usb_sim_status st = s->model->bulk_out(s->dev, s->now, ep, data + sent,
							    len - sent, &taken, &done);

		sent += taken > len - sent ? len - sent : taken;
		*actual = sent;
		if (st != USB_SIM_OK)
			return st == USB_SIM_TIMEOUT ? finish_at(s, NEVER, deadline, st) : st;
		if (sent == len)
			return finish_at(s, max_u64(done, bus_end), deadline, USB_SIM_OK);
		if (done <= s->now || done == NEVER || done > deadline)
			return finish_at(s, done <= s->now ? NEVER : done, deadline, USB_SIM_TIMEOUT);
		advance_to(s, done);
	}
}

static enum usb_sim_status bulk_in(struct usb_sim *s, uint8_t ep, uint8_t *buf, size_t cap,
				   size_t *actual, uint64_t timeout_ns)
{
	uint64_t deadline;

	*actual = 0;
	advance_to(s, s->now);
	deadline = add_sat(s->now, timeout_ns);
	if (!s->model->bulk_in)
		return finish_at(s, s->now, deadline, USB_SIM_STALL);
	for (;;) {
		uint64_t ready = NEVER;
		size_t got = 0;
		enum usb_sim_status st = s->model->bulk_in(s->dev, s->now, ep, buf, cap, &got,
							   &ready);

		if (st != USB_SIM_OK)
			return st == USB_SIM_TIMEOUT ? finish_at(s, NEVER, deadline, st) : st;
		if (got) {
			*actual = got > cap ? cap : got;
			return finish_at(s, s->now + bulk_ns(s, *actual), deadline, USB_SIM_OK);
		}
		if (ready <= s->now || ready == NEVER || ready > deadline)
			return finish_at(s, NEVER, deadline, USB_SIM_TIMEOUT);
		advance_to(s, ready);
	}
}

/* The host's calls: the transfer, then its wire= line. */
enum usb_sim_status usb_sim_control(struct usb_sim *s, const struct usb_sim_setup *setup,
				    uint8_t *data, size_t *actual, uint64_t timeout_ns)
{
	uint64_t start = s->now;
	enum usb_sim_status st = control(s, setup, data, actual, timeout_ns);

	if (s->wire)
		wire_control(s, start, setup, data, *actual, st);
	return st;
}

enum usb_sim_status usb_sim_bulk_out(struct usb_sim *s, uint8_t ep, const uint8_t *data,
				     size_t len, size_t *actual, uint64_t timeout_ns)
{
	uint64_t start = s->now;
	enum usb_sim_status st = bulk_out(s, ep, data, len, actual, timeout_ns);

	if (s->wire)
		wire_bulk(s, start, ep, len, *actual, st);
	return st;
}

enum usb_sim_status usb_sim_bulk_in(struct usb_sim *s, uint8_t ep, uint8_t *buf, size_t cap,
				    size_t *actual, uint64_t timeout_ns)
{
	uint64_t start = s->now;
	enum usb_sim_status st = bulk_in(s, ep, buf, cap, actual, timeout_ns);

	if (s->wire)
		wire_bulk(s, start, ep, cap, *actual, st);
	return st;
}

uint64_t usb_sim_now(const struct usb_sim *s)
{
	return s->now;
}

void usb_sim_sleep(struct usb_sim *s, uint64_t ns)
{
	advance_to(s, add_sat(s->now, ns));
}

enum usb_sim_status usb_sim_standard_request(const struct usb_sim_setup *s, uint8_t *data,
					     size_t *actual)
{
	switch (s->bRequest) {
	case 0x00:   /* GET_STATUS */
		if (!(s->bmRequestType & 0x80))
			return USB_SIM_STALL;
		*actual = s->wLength < 2 ? s->wLength : 2;
		memset(data, 0, *actual);
		return USB_SIM_OK;
	case 0x01:   /* CLEAR_FEATURE */
	case 0x09:   /* SET_CONFIGURATION */
	case 0x0B:   /* SET_INTERFACE */
		return USB_SIM_OK;
	default:
		return USB_SIM_STALL;
	}
}
