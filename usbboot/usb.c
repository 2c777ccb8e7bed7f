/* SPDX-License-Identifier: MIT */
/* USB spec dispatch, the transfers' messages and the clock every backend shares. */
#include "usb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "parse.h"

/* Specs that name no backend (none, or a bare bus-port path) go to this one. */
#define LIBUSB "libusb"

const struct ub_usb_backend ub_usb_backends[] = {
#ifdef UB_HAVE_LIBUSB
	{ { LIBUSB, "[libusb:]BUS-PORT" }, ub_libusb_list, ub_libusb_open },
#endif
	{ { "sim", "sim:MODEL[,KEY=VALUE...]" }, ub_usbsim_list, ub_usbsim_open },
	{ { NULL, NULL }, NULL, NULL },
};

const struct ub_backend_table ub_usb_table = UB_BACKEND_TABLE(ub_usb_backends);

char *ub_usb_usages(char *buf, size_t len)
{
	return ub_backend_usages(&ub_usb_table, buf, len);
}

struct ub_usb *ub_usb_new(const struct ub_usb_ops *ops, void *priv, const char *name,
			  const struct ub_usb_desc *desc)
{
	struct ub_usb *usb = calloc(1, sizeof(*usb));

	if (!usb)
		return NULL;
	usb->ops = ops;
	usb->priv = priv;
	usb->desc = *desc;
	snprintf(usb->name, sizeof(usb->name), "%s", name);
	return usb;
}

/* ------------------------------------------------------------------ ids */

int ub_usb_id_match(const struct ub_usb_id *ids, size_t nids, uint16_t vid, uint16_t pid)
{
	if (nids == 0)
		return 1;
	for (size_t i = 0; i < nids; i++)
		if (ids[i].vid == vid && (ids[i].pid == 0 || ids[i].pid == pid))
			return 1;
	return 0;
}

char *ub_usb_ids_text(const struct ub_usb_id *ids, size_t nids, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "%s", nids ? "" : "any");
	for (size_t i = 0; i < nids && used < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == nids ? " or " : ", ";
		int n = ids[i].pid ? snprintf(buf + used, len - used, "%s%04x:%04x", sep,
					      ids[i].vid, ids[i].pid)
				   : snprintf(buf + used, len - used, "%s%04x:*", sep, ids[i].vid);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* ---------------------------------------------------------------- specs */

static const char *skip_digits(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	return p == s ? NULL : p;
}

/* "BUS-PORT[.PORT...]", digits only, as sysfs names a device. */
int ub_usb_is_path(const char *spec)
{
	const char *p = spec ? skip_digits(spec) : NULL;

	if (!p || *p++ != '-' || strlen(spec) >= UB_USB_PATH_MAX)
		return 0;
	for (;;) {
		p = skip_digits(p);
		if (!p)
			return 0;
		if (*p == '\0')
			return 1;
		if (*p++ != '.')
			return 0;
	}
}

struct target {
	const struct ub_usb_backend *backend;
	const char *arg, *opts;  /* NULL when none */
	struct ub_spec spec;
};

static const struct ub_usb_backend *find_backend(const char *name)
{
	return (const struct ub_usb_backend *)ub_backend_find(&ub_usb_table, name, strlen(name));
}

/* No spec, or a bare path: libusb, when this build has it. */
static int libusb_target(struct target *t, const char *path, struct ub_err *err)
{
	t->backend = find_backend(LIBUSB);
	t->arg = path;
	t->opts = NULL;
	if (!t->backend) {
		char usages[256];

		return ub_fail(err, UB_EUSAGE, "this build has no libusb-1.0, so no real USB device "
			       "(rebuild with USB=yes, or use %s)", ub_usb_usages(usages, sizeof(usages)));
	}
	return 0;
}

static int resolve(const char *spec, struct target *t, struct ub_err *err)
{
	if (!spec || !*spec)
		return libusb_target(t, NULL, err);
	if (ub_usb_is_path(spec))
		return libusb_target(t, spec, err);
	if (ub_spec_parse(spec, &t->spec) < 0)
		return ub_fail(err, UB_EUSAGE, "USB spec '%s' is too long", spec);
	t->backend = find_backend(t->spec.name);
	if (!t->backend) {
		char usages[256];

		return ub_fail(err, UB_EUSAGE, "unknown USB device type '%s' in '%s' (use %s)",
			       t->spec.name, spec, ub_usb_usages(usages, sizeof(usages)));
	}
	t->arg = *t->spec.arg ? t->spec.arg : NULL;
	t->opts = *t->spec.opts ? t->spec.opts : NULL;
	return 0;
}

int ub_usb_list(const char *spec, const struct ub_usb_id *ids, size_t nids,
		struct ub_usb_desc **out, size_t *n, struct ub_err *err)
{
	struct target t;

	*out = NULL;
	*n = 0;
	if (resolve(spec, &t, err) < 0)
		return -1;
	return t.backend->list(t.arg, t.opts, ids, nids, out, n, err);
}

int ub_usb_open(const char *spec, const struct ub_usb_id *ids, size_t nids, int wait_ms,
		struct ub_usb **out, struct ub_err *err)
{
	struct target t;

	*out = NULL;
	if (resolve(spec, &t, err) < 0)
		return -1;
	return t.backend->open(t.arg, t.opts, ids, nids, wait_ms < 0 ? 0 : wait_ms, out, err);
}

int ub_usb_close(struct ub_usb *usb, struct ub_err *err)
{
	int rc;

	if (!usb)
		return 0;
	rc = usb->ops->close(usb->priv, err);
	free(usb);
	return rc;
}

/* ------------------------------------------------------------ transfers */

/* The outcome in words, naming the transfer (what); err gets it unless OK. */
static enum ub_usb_status report(const struct ub_usb *usb, enum ub_usb_status st,
				 const char *what, int timeout_ms, struct ub_err *err)
{
	switch (st) {
	case UB_USB_OK:
		break;
	case UB_USB_STALL:
		ub_fail(err, UB_EFAIL, "%s: %s stalled (the device does not take it)", usb->name,
			what);
		break;
	case UB_USB_TIMEOUT:
		ub_fail(err, UB_ENODEV, "%s: %s got no answer in %d ms", usb->name, what,
			timeout_ms);
		break;
	case UB_USB_GONE:
		ub_fail(err, UB_ENODEV, "%s: %s failed: the device left the bus", usb->name, what);
		break;
	case UB_USB_ERROR:
		/* The backend's message, when it gave one (the first one wins). */
		ub_fail(err, UB_EFAIL, "%s: %s failed", usb->name, what);
		break;
	}
	return st;
}

enum ub_usb_status ub_usb_control(struct ub_usb *usb, const struct ub_usb_setup *setup,
				  uint8_t *data, size_t *actual, int timeout_ms,
				  struct ub_err *err)
{
	size_t moved = 0;
	enum ub_usb_status st = usb->ops->control(usb->priv, setup, data, &moved, timeout_ms, err);
	char what[96];

	if (actual)
		*actual = moved;
	if (st == UB_USB_OK)
		return st;
	snprintf(what, sizeof(what), "request 0x%02x (type 0x%02x, value 0x%04x, index 0x%04x, "
		 "length %u)", setup->request, setup->request_type, setup->value, setup->index,
		 setup->length);
	return report(usb, st, what, timeout_ms, err);
}

enum ub_usb_status ub_usb_bulk_out(struct ub_usb *usb, const uint8_t *data, size_t len,
				   int timeout_ms, struct ub_err *err)
{
	size_t sent = 0;
	/* The ops take one pointer for both directions; an OUT transfer only reads it. */
	enum ub_usb_status st = usb->ops->bulk(usb->priv, usb->desc.ep_out, (uint8_t *)data, len,
					       &sent, timeout_ms, err);
	char what[96];

	if (st == UB_USB_OK && sent == len)
		return st;
	if (st == UB_USB_OK)
		st = UB_USB_ERROR;
	snprintf(what, sizeof(what), "bulk OUT of %zu bytes to endpoint 0x%02x (%zu sent)", len,
		 usb->desc.ep_out, sent);
	return report(usb, st, what, timeout_ms, err);
}

enum ub_usb_status ub_usb_bulk_in(struct ub_usb *usb, uint8_t *buf, size_t cap, size_t *actual,
				  int timeout_ms, struct ub_err *err)
{
	size_t got = 0;
	enum ub_usb_status st = usb->ops->bulk(usb->priv, usb->desc.ep_in, buf, cap, &got,
					       timeout_ms, err);
	char what[96];

	if (actual)
		*actual = got;
	if (st == UB_USB_OK)
		return st;
	snprintf(what, sizeof(what), "bulk IN of up to %zu bytes from endpoint 0x%02x", cap,
		 usb->desc.ep_in);
	return report(usb, st, what, timeout_ms, err);
}

/*
 * Without the backend's queue: the OUTs, then the INs in turn. An emulator
 * takes it as queued all the same: its host waited for nothing in between.
 */
static enum ub_usb_status exchange_in_turn(struct ub_usb *usb, const struct ub_usb_out *outs,
					   size_t nouts, uint8_t *in, size_t in_each,
					   size_t in_count, size_t *in_actual, int timeout_ms,
					   struct ub_err *err)
{
	enum ub_usb_status st = UB_USB_OK;

	for (size_t i = 0; st == UB_USB_OK && i < nouts; i++) {
		size_t sent = 0;

		st = usb->ops->bulk(usb->priv, usb->desc.ep_out, (uint8_t *)outs[i].data, outs[i].len,
				    &sent, timeout_ms, err);
		if (st == UB_USB_OK && sent != outs[i].len)
			st = UB_USB_ERROR;
	}
	for (size_t i = 0; st == UB_USB_OK && i < in_count; i++) {
		size_t got = 0;

		st = usb->ops->bulk(usb->priv, usb->desc.ep_in, in + *in_actual, in_each, &got,
				    timeout_ms, err);
		*in_actual += got;
		if (st == UB_USB_OK && !got)
			break;
	}
	return st;
}

enum ub_usb_status ub_usb_exchange(struct ub_usb *usb, const struct ub_usb_out *outs,
				   size_t nouts, uint8_t *in, size_t in_each, size_t in_count,
				   size_t *in_actual, int timeout_ms, struct ub_err *err)
{
	enum ub_usb_status st;
	size_t outlen = 0;
	char what[128];

	*in_actual = 0;
	if (nouts > UB_USB_MAX_OUTS) {
		ub_fail(err, UB_EFAIL, "internal: %zu OUT transfers in one exchange", nouts);
		return UB_USB_ERROR;
	}
	for (size_t i = 0; i < nouts; i++)
		outlen += outs[i].len;
	if (usb->ops->exchange)
		st = usb->ops->exchange(usb->priv, usb->desc.ep_out, outs, nouts, usb->desc.ep_in,
					in, in_each, in_count, in_actual, timeout_ms, err);
	else
		st = exchange_in_turn(usb, outs, nouts, in, in_each, in_count, in_actual,
				      timeout_ms, err);
	if (st == UB_USB_OK)
		return st;
	snprintf(what, sizeof(what), "bulk OUT of %zu bytes with %zu IN transfers queued (%zu "
		 "bytes in)", outlen, in_count, *in_actual);
	return report(usb, st, what, timeout_ms, err);
}

/* ---------------------------------------------------------------- clock */

int64_t ub_usb_clock_ms(struct ub_usb *usb)
{
	return usb->ops->now ? usb->ops->now(usb->priv) : ub_clock_ms();
}

void ub_usb_sleep_ms(struct ub_usb *usb, int ms)
{
	if (usb->ops->sleep)
		usb->ops->sleep(usb->priv, ms);
	else
		ub_sleep_ms(ms);
}
