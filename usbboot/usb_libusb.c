/* SPDX-License-Identifier: MIT */
/*
 * libusb[:BUS-PORT] (or a bare BUS-PORT, or no spec): a real USB device
 * through libusb-1.0. Each open handle has a libusb context of its own, and
 * so does each look while waiting: a new context scans sysfs afresh, where
 * one kept across the wait would rely on hotplug events, which a container
 * without the host's netlink uevents never gets.
 */
#include "usb.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libusb.h>

#include "clock.h"

#define WAIT_STEP_MS 100
#define MAX_PORTS 7  /* USB's tier limit: a path has at most 7 port numbers */

struct lusb {
	libusb_context *ctx;
	libusb_device_handle *handle;
	int detached;  /* we took interface 0 from a kernel driver: give it back */
	char name[48];
};

/* "NAME: DOING: LIBUSB_ERROR_X (what libusb says)" */
static int lusb_fail(struct ub_err *err, int status, int rc, const char *name,
		       const char *doing)
{
	return ub_fail(err, status, "%s: %s: %s (%s)", name, doing, libusb_error_name(rc),
		       libusb_strerror(rc));
}

/* ------------------------------------------------------------ transfers */

static unsigned lusb_timeout(int timeout_ms)
{
	/* libusb's 0 is "no limit"; ours is "as short as there is". */
	return timeout_ms < 0 ? 0 : timeout_ms == 0 ? 1 : (unsigned)timeout_ms;
}

static enum ub_usb_status status_of(const struct lusb *lu, int rc, const char *what,
				    struct ub_err *err)
{
	switch (rc) {
	case LIBUSB_ERROR_PIPE:
		return UB_USB_STALL;
	case LIBUSB_ERROR_TIMEOUT:
		return UB_USB_TIMEOUT;
	case LIBUSB_ERROR_NO_DEVICE:
		return UB_USB_GONE;
	default:
		lusb_fail(err, UB_EFAIL, rc, lu->name, what);
		return UB_USB_ERROR;
	}
}

static enum ub_usb_status lusb_control(void *priv, const struct ub_usb_setup *setup,
				       uint8_t *data, size_t *actual, int timeout_ms,
				       struct ub_err *err)
{
	struct lusb *lu = priv;
	int rc = libusb_control_transfer(lu->handle, setup->request_type, setup->request,
					 setup->value, setup->index, data, setup->length,
					 lusb_timeout(timeout_ms));

	*actual = rc > 0 ? (size_t)rc : 0;
	return rc >= 0 ? UB_USB_OK : status_of(lu, rc, "control request", err);
}

static enum ub_usb_status lusb_bulk(void *priv, uint8_t ep, uint8_t *data, size_t len,
				    size_t *actual, int timeout_ms, struct ub_err *err)
{
	struct lusb *lu = priv;
	int moved = 0, rc;

	*actual = 0;
	if (len > INT_MAX) {
		ub_fail(err, UB_EFAIL, "%s: a bulk transfer of %zu bytes is too long", lu->name, len);
		return UB_USB_ERROR;
	}
	rc = libusb_bulk_transfer(lu->handle, ep, data, (int)len, &moved,
				  lusb_timeout(timeout_ms));
	*actual = moved > 0 ? (size_t)moved : 0;
	if (rc == 0)
		return UB_USB_OK;
	/* A stalled bulk endpoint stays halted until cleared (a control endpoint does not). */
	if (rc == LIBUSB_ERROR_PIPE)
		libusb_clear_halt(lu->handle, ep);
	return status_of(lu, rc, ep & 0x80 ? "bulk IN" : "bulk OUT", err);
}

/* ------------------------------------------- an OUT with INs queued */

#define IN_FLIGHT 32  /* flashrom's USB_IN_TRANSFERS for the CH341A */

struct in_slot {
	struct in_queue *q;
	struct libusb_transfer *t;
	uint8_t *stage;
	int busy;
};

struct in_queue {
	struct lusb *lu;
	uint8_t *in;
	size_t each, count, submitted, packed;
	int inflight, stop;
	enum ub_usb_status st;
	struct in_slot slot[IN_FLIGHT];
};

static enum ub_usb_status transfer_status(enum libusb_transfer_status ts)
{
	switch (ts) {
	case LIBUSB_TRANSFER_COMPLETED:
	case LIBUSB_TRANSFER_CANCELLED:
		return UB_USB_OK;
	case LIBUSB_TRANSFER_TIMED_OUT:
		return UB_USB_TIMEOUT;
	case LIBUSB_TRANSFER_STALL:
		return UB_USB_STALL;
	case LIBUSB_TRANSFER_NO_DEVICE:
		return UB_USB_GONE;
	default:
		return UB_USB_ERROR;
	}
}

static int submit_slot(struct in_queue *q, struct in_slot *sl)
{
	if (q->stop || q->submitted == q->count)
		return 0;
	if (libusb_submit_transfer(sl->t) < 0) {
		q->st = UB_USB_ERROR;
		q->stop = 1;
		return -1;
	}
	sl->busy = 1;
	q->inflight++;
	q->submitted++;
	return 0;
}

/* Transfers on one endpoint complete in the order they were submitted: pack in that order. */
static void LIBUSB_CALL in_done(struct libusb_transfer *t)
{
	struct in_slot *sl = t->user_data;
	struct in_queue *q = sl->q;
	enum ub_usb_status st = transfer_status(t->status);

	sl->busy = 0;
	q->inflight--;
	if (st != UB_USB_OK && q->st == UB_USB_OK)
		q->st = st;
	if (st != UB_USB_OK || t->status == LIBUSB_TRANSFER_CANCELLED || !t->actual_length) {
		q->stop = 1;
		return;
	}
	memcpy(q->in + q->packed, sl->stage, (size_t)t->actual_length);
	q->packed += (size_t)t->actual_length;
	submit_slot(q, sl);
}

static void drain_queue(struct in_queue *q, int64_t deadline)
{
	while (q->inflight > 0) {
		int64_t left = deadline - ub_clock_ms();
		struct timeval tv = { 0, 100000 };

		if (left <= 0 && !q->stop) {
			q->st = q->st == UB_USB_OK ? UB_USB_TIMEOUT : q->st;
			q->stop = 1;
		}
		if (q->stop)
			for (int i = 0; i < IN_FLIGHT; i++)
				if (q->slot[i].busy)
					libusb_cancel_transfer(q->slot[i].t);
		libusb_handle_events_timeout_completed(q->lu->ctx, &tv, NULL);
	}
}

static void free_queue(struct in_queue *q)
{
	for (int i = 0; i < IN_FLIGHT; i++) {
		libusb_free_transfer(q->slot[i].t);
		free(q->slot[i].stage);
	}
}

static int make_queue(struct in_queue *q, struct lusb *lu, uint8_t ep_in, uint8_t *in,
		      size_t each, size_t count, int timeout_ms)
{
	memset(q, 0, sizeof(*q));
	q->lu = lu;
	q->in = in;
	q->each = each;
	q->count = count;
	for (int i = 0; i < IN_FLIGHT; i++) {
		struct in_slot *sl = &q->slot[i];

		sl->q = q;
		sl->t = libusb_alloc_transfer(0);
		sl->stage = malloc(each);
		if (!sl->t || !sl->stage)
			return -1;
		libusb_fill_bulk_transfer(sl->t, lu->handle, ep_in, sl->stage, (int)each, in_done, sl,
					  lusb_timeout(timeout_ms));
	}
	return 0;
}

/* The OUT transfers of an exchange, all submitted at once, in order. */
struct out_queue {
	struct libusb_transfer *t[UB_USB_MAX_OUTS];
	size_t n;
	int pending;
	enum ub_usb_status st;
};

static void LIBUSB_CALL out_done(struct libusb_transfer *t)
{
	struct out_queue *o = t->user_data;
	enum ub_usb_status st = transfer_status(t->status);

	o->pending--;
	if (st == UB_USB_OK && t->status != LIBUSB_TRANSFER_CANCELLED &&
	    t->actual_length != t->length)
		st = UB_USB_ERROR;
	if (st != UB_USB_OK && o->st == UB_USB_OK)
		o->st = st;
}

static void cancel_outs(struct out_queue *o)
{
	for (size_t i = 0; i < o->n; i++)
		libusb_cancel_transfer(o->t[i]);  /* LIBUSB_ERROR_NOT_FOUND for those done */
}

static void free_outs(struct out_queue *o)
{
	for (size_t i = 0; i < o->n; i++)
		libusb_free_transfer(o->t[i]);
}

static int submit_outs(struct out_queue *o, struct lusb *lu, uint8_t ep_out,
		       const struct ub_usb_out *outs, size_t nouts, int timeout_ms)
{
	for (o->n = 0; o->n < nouts; o->n++) {
		struct libusb_transfer *t = libusb_alloc_transfer(0);

		int rc;

		if (!t)
			return LIBUSB_ERROR_NO_MEM;
		o->t[o->n] = t;
		libusb_fill_bulk_transfer(t, lu->handle, ep_out, (uint8_t *)outs[o->n].data,
					  (int)outs[o->n].len, out_done, o, lusb_timeout(timeout_ms));
		rc = libusb_submit_transfer(t);
		if (rc < 0) {
			o->n++;
			return rc;
		}
		o->pending++;
	}
	return 0;
}

static void wait_outs(struct out_queue *o, struct lusb *lu)
{
	while (o->pending > 0) {
		struct timeval tv = { 0, 100000 };

		libusb_handle_events_timeout_completed(lu->ctx, &tv, NULL);
	}
}

static int busy(const struct in_queue *q, const struct out_queue *o)
{
	return o->pending > 0 || (!q->stop && (q->inflight > 0 || q->submitted < q->count));
}

static enum ub_usb_status lusb_exchange(void *priv, uint8_t ep_out, const struct ub_usb_out *outs,
					size_t nouts, uint8_t ep_in, uint8_t *in, size_t in_each,
					size_t in_count, size_t *in_actual, int timeout_ms,
					struct ub_err *err)
{
	struct lusb *lu = priv;
	struct in_queue q = { 0 };
	struct out_queue o = { 0 };
	int64_t deadline = ub_clock_ms() + (timeout_ms < 0 ? INT32_MAX : timeout_ms);

	if (in_each > INT_MAX || make_queue(&q, lu, ep_in, in, in_each, in_count, timeout_ms) < 0) {
		free_queue(&q);
		ub_fail(err, UB_EFAIL, "%s: out of memory for the IN queue", lu->name);
		return UB_USB_ERROR;
	}
	for (int i = 0; i < IN_FLIGHT && !q.stop; i++)
		submit_slot(&q, &q.slot[i]);
	if (q.st == UB_USB_OK) {
		int rc = submit_outs(&o, lu, ep_out, outs, nouts, timeout_ms);

		if (rc < 0)
			o.st = status_of(lu, rc, "bulk OUT", err);
	}
	while (busy(&q, &o) && o.st == UB_USB_OK && ub_clock_ms() < deadline) {
		struct timeval tv = { 0, 100000 };

		libusb_handle_events_timeout_completed(lu->ctx, &tv, NULL);
	}
	if (o.pending > 0 && o.st == UB_USB_OK)
		o.st = UB_USB_TIMEOUT;
	if (o.st != UB_USB_OK)
		q.stop = 1;
	cancel_outs(&o);
	wait_outs(&o, lu);
	drain_queue(&q, deadline);
	free_outs(&o);
	free_queue(&q);
	*in_actual = q.packed;
	return o.st != UB_USB_OK ? o.st : q.st;
}

/* Give interface 0 back to the kernel driver we took it from, and close. */
static void release(struct lusb *lu)
{
	if (lu->detached)
		libusb_attach_kernel_driver(lu->handle, 0);
	lu->detached = 0;
	libusb_close(lu->handle);
	lu->handle = NULL;
}

static int lusb_close(void *priv, struct ub_err *err)
{
	struct lusb *lu = priv;

	(void)err;
	libusb_release_interface(lu->handle, 0);
	release(lu);
	libusb_exit(lu->ctx);
	free(lu);
	return 0;
}

static const struct ub_usb_ops lusb_ops = {
	.control = lusb_control,
	.bulk = lusb_bulk,
	.exchange = lusb_exchange,
	.close = lusb_close,
};

/* ---------------------------------------------------------- descriptors */

static int start(libusb_context **ctx, struct ub_err *err)
{
	int rc = libusb_init(ctx);

	if (rc < 0)
		return ub_fail(err, UB_ENODEV, "libusb cannot start: %s (%s); is there USB on "
			       "this system?", libusb_error_name(rc), libusb_strerror(rc));
	return 0;
}

/* The bus-port path as sysfs names the device ("1-1.2"; a root hub "usb1"). */
static void path_of(libusb_device *dev, char *buf, size_t len)
{
	uint8_t ports[MAX_PORTS];
	int n = libusb_get_port_numbers(dev, ports, MAX_PORTS);

	if (n <= 0) {
		snprintf(buf, len, "usb%u", libusb_get_bus_number(dev));
		return;
	}
	snprintf(buf, len, "%u-", libusb_get_bus_number(dev));
	for (int i = 0; i < n; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%u", i ? "." : "", ports[i]);
	}
}

static void string_of(libusb_device_handle *h, uint8_t index, char *buf, size_t len)
{
	int n = h && index ? libusb_get_string_descriptor_ascii(h, index, (unsigned char *)buf,
								   (int)len) : 0;

	buf[n > 0 && (size_t)n < len ? n : 0] = '\0';
}

static void take_endpoint(const struct libusb_endpoint_descriptor *ep, struct ub_usb_desc *d)
{
	uint8_t *slot = ep->bEndpointAddress & 0x80 ? &d->ep_in : &d->ep_out;

	if ((ep->bmAttributes & 0x03) != LIBUSB_TRANSFER_TYPE_BULK || *slot)
		return;
	*slot = ep->bEndpointAddress;
	if (!d->max_packet)
		d->max_packet = ep->wMaxPacketSize & 0x7ff;
}

/* Interface 0's first bulk OUT and IN endpoints, from the active (else the first) configuration. */
static void endpoints_of(libusb_device *dev, struct ub_usb_desc *d)
{
	struct libusb_config_descriptor *cfg;
	const struct libusb_interface_descriptor *alt;

	if (libusb_get_active_config_descriptor(dev, &cfg) != 0 &&
	    libusb_get_config_descriptor(dev, 0, &cfg) != 0)
		return;
	if (cfg->bNumInterfaces > 0 && cfg->interface[0].num_altsetting > 0) {
		alt = &cfg->interface[0].altsetting[0];
		for (int i = 0; i < alt->bNumEndpoints; i++)
			take_endpoint(&alt->endpoint[i], d);
	}
	libusb_free_config_descriptor(cfg);
}

/* handle NULL: the strings stay "" (a device we may not open). */
static void describe(libusb_device *dev, const struct libusb_device_descriptor *dd,
		     libusb_device_handle *h, struct ub_usb_desc *d)
{
	memset(d, 0, sizeof(*d));
	path_of(dev, d->path, sizeof(d->path));
	d->vid = dd->idVendor;
	d->pid = dd->idProduct;
	d->bcd_device = dd->bcdDevice;
	string_of(h, dd->iManufacturer, d->manufacturer, sizeof(d->manufacturer));
	string_of(h, dd->iProduct, d->product, sizeof(d->product));
	string_of(h, dd->iSerialNumber, d->serial, sizeof(d->serial));
	endpoints_of(dev, d);
}

static int matches(libusb_device *dev, const struct ub_usb_id *ids, size_t nids,
		   const char *path, struct libusb_device_descriptor *dd)
{
	char here[UB_USB_PATH_MAX];

	if (libusb_get_device_descriptor(dev, dd) != 0 ||
	    !ub_usb_id_match(ids, nids, dd->idVendor, dd->idProduct))
		return 0;
	if (!path)
		return 1;
	path_of(dev, here, sizeof(here));
	return strcmp(here, path) == 0;
}

static int check_spec(const char *path, const char *opts, struct ub_err *err)
{
	if (path && !ub_usb_is_path(path))
		return ub_fail(err, UB_EUSAGE, "bad USB path '%s' (want BUS-PORT as in "
			       "/sys/bus/usb/devices, e.g. 1-1.2)", path);
	if (opts)
		return ub_fail(err, UB_EUSAGE, "libusb takes no options (got '%s')", opts);
	return 0;
}

/* ---------------------------------------------------------------- list */

static void describe_unopened(libusb_device *dev, const struct libusb_device_descriptor *dd,
			      struct ub_usb_desc *d)
{
	libusb_device_handle *h = NULL;

	if (libusb_open(dev, &h) != 0)
		h = NULL;
	describe(dev, dd, h, d);
	if (h)
		libusb_close(h);
}

int ub_libusb_list(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		   struct ub_usb_desc **out, size_t *n, struct ub_err *err)
{
	struct libusb_device_descriptor dd;
	libusb_context *ctx;
	libusb_device **devs;
	ssize_t count;

	*out = NULL;
	*n = 0;
	if (check_spec(arg, opts, err) < 0 || start(&ctx, err) < 0)
		return -1;
	count = libusb_get_device_list(ctx, &devs);
	if (count < 0) {
		libusb_exit(ctx);
		return lusb_fail(err, UB_EFAIL, (int)count, "libusb", "cannot list USB devices");
	}
	*out = calloc((size_t)count + 1, sizeof(**out));
	for (ssize_t i = 0; *out && i < count; i++)
		if (matches(devs[i], ids, nids, arg, &dd))
			describe_unopened(devs[i], &dd, &(*out)[(*n)++]);
	libusb_free_device_list(devs, 1);
	libusb_exit(ctx);
	if (!*out)
		return ub_fail(err, UB_EFAIL, "out of memory");
	if (*n == 0) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/* ---------------------------------------------------------------- open */

/* Configuration 1 and interface 0, as ours, taking it from a kernel driver. */
static int claim(struct lusb *lu, struct ub_err *err)
{
	int rc;

	if (libusb_kernel_driver_active(lu->handle, 0) == 1) {
		rc = libusb_detach_kernel_driver(lu->handle, 0);
		if (rc < 0)
			return lusb_fail(err, UB_EFAIL, rc, lu->name,
					   "cannot take interface 0 from its kernel driver");
		lu->detached = 1;
	}
	/* BUSY: configured already, with another interface in use; configuration 1 stays. */
	rc = libusb_set_configuration(lu->handle, 1);
	if (rc < 0 && rc != LIBUSB_ERROR_BUSY)
		return lusb_fail(err, rc == LIBUSB_ERROR_NO_DEVICE ? UB_ENODEV : UB_EFAIL, rc,
				   lu->name, "cannot set configuration 1");
	rc = libusb_claim_interface(lu->handle, 0);
	if (rc == LIBUSB_ERROR_BUSY)
		return ub_fail(err, UB_EFAIL, "%s is in use by another program", lu->name);
	if (rc < 0)
		return lusb_fail(err, UB_EFAIL, rc, lu->name, "cannot claim interface 0");
	return 0;
}

/* What one look came to. */
enum attempt {
	OPENED,
	AGAIN,   /* none there yet, or not ours yet: err says which, if anything */
	FAILED,
};

static enum attempt denied(libusb_device *dev, const struct ub_usb_desc *d, struct ub_err *err)
{
	ub_fail(err, UB_EFAIL, "no permission to open /dev/bus/usb/%03u/%03u (%04x:%04x at %s): "
		"install scripts/60-unbrick.rules (TAG+=\"uaccess\") or run as root",
		libusb_get_bus_number(dev), libusb_get_device_address(dev), d->vid, d->pid, d->path);
	/* A device just plugged in is root's until udev gives it to the user. */
	return AGAIN;
}

/* Open dev into lu (its context set), then describe it with its strings. */
static enum attempt open_device(struct lusb *lu, libusb_device *dev,
				const struct libusb_device_descriptor *dd, struct ub_usb_desc *d,
				struct ub_err *err)
{
	int rc;

	describe(dev, dd, NULL, d);
	snprintf(lu->name, sizeof(lu->name), "usb %s", d->path);
	rc = libusb_open(dev, &lu->handle);
	if (rc == LIBUSB_ERROR_ACCESS)
		return denied(dev, d, err);
	if (rc == LIBUSB_ERROR_NO_DEVICE)
		return AGAIN;
	if (rc < 0) {
		lusb_fail(err, UB_EFAIL, rc, lu->name, "cannot open");
		return FAILED;
	}
	if (claim(lu, err) < 0) {
		release(lu);
		return FAILED;
	}
	describe(dev, dd, lu->handle, d);
	return OPENED;
}

static libusb_device *first_match(libusb_device **devs, ssize_t count,
				  const struct ub_usb_id *ids, size_t nids, const char *path,
				  struct libusb_device_descriptor *dd)
{
	for (ssize_t i = 0; i < count; i++)
		if (matches(devs[i], ids, nids, path, dd))
			return devs[i];
	return NULL;
}

/* One look, in a context of its own, which lu keeps when the device opens. */
static enum attempt try_open(struct lusb *lu, const struct ub_usb_id *ids, size_t nids,
			     const char *path, struct ub_usb_desc *d, struct ub_err *err)
{
	struct libusb_device_descriptor dd;
	libusb_device **devs;
	libusb_device *dev;
	enum attempt a = AGAIN;
	ssize_t count;

	if (start(&lu->ctx, err) < 0)
		return FAILED;
	count = libusb_get_device_list(lu->ctx, &devs);
	if (count < 0) {
		lusb_fail(err, UB_EFAIL, (int)count, "libusb", "cannot list USB devices");
		libusb_exit(lu->ctx);
		return FAILED;
	}
	dev = first_match(devs, count, ids, nids, path, &dd);
	if (dev)
		a = open_device(lu, dev, &dd, d, err);
	libusb_free_device_list(devs, 1);
	if (a != OPENED)
		libusb_exit(lu->ctx);
	return a;
}

static int absent(const struct ub_usb_id *ids, size_t nids, const char *path, int wait_ms,
		  struct ub_err *err)
{
	char want[64], waited[48] = "";

	if (wait_ms > 0)
		snprintf(waited, sizeof(waited), " in %d.%d s", wait_ms / 1000,
			 wait_ms % 1000 / 100);
	return ub_fail(err, UB_ENODEV, "no USB device %s found%s%s%s",
		       ub_usb_ids_text(ids, nids, want, sizeof(want)), path ? " at " : "",
		       path ? path : "", waited);
}

/* Look every WAIT_STEP_MS until wait_ms has passed; lu then holds the open device. */
static int wait_for_device(struct lusb *lu, const struct ub_usb_id *ids, size_t nids,
			   const char *path, int wait_ms, struct ub_usb_desc *d,
			   struct ub_err *err)
{
	int64_t deadline = ub_clock_ms() + wait_ms;

	for (;;) {
		struct ub_err last = { 0 };
		enum attempt a = try_open(lu, ids, nids, path, d, &last);
		int64_t left = deadline - ub_clock_ms();

		if (a == OPENED)
			return 0;
		if (a == FAILED || left <= 0)
			return last.status ? ub_fail(err, last.status, "%s", last.msg)
					   : absent(ids, nids, path, wait_ms, err);
		ub_sleep_ms(left < WAIT_STEP_MS ? left : WAIT_STEP_MS);
	}
}

int ub_libusb_open(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		   int wait_ms, struct ub_usb **out, struct ub_err *err)
{
	struct ub_usb_desc d;
	struct lusb *lu;

	*out = NULL;
	if (check_spec(arg, opts, err) < 0)
		return -1;
	lu = calloc(1, sizeof(*lu));
	if (!lu)
		return ub_fail(err, UB_EFAIL, "out of memory");
	if (wait_for_device(lu, ids, nids, arg, wait_ms, &d, err) < 0) {
		free(lu);
		return -1;
	}
	*out = ub_usb_new(&lusb_ops, lu, lu->name, &d);
	if (!*out) {
		lusb_close(lu, NULL);
		return ub_fail(err, UB_EFAIL, "out of memory");
	}
	return 0;
}
