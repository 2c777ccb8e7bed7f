/* SPDX-License-Identifier: MIT */
/* A device on raw_gadget: enumeration and ep0 (tests/vm/raw-gadget.h). */
#define _GNU_SOURCE

#include "raw-gadget.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------- messages */

void rg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void rg_log(FILE *log, const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(log, "%lld.%06ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
	va_start(ap, fmt);
	vfprintf(log, fmt, ap);
	va_end(ap);
	fputc('\n', log);
	fflush(log);
}

struct usb_raw_ep_io *rg_new_io(size_t cap)
{
	struct usb_raw_ep_io *io = calloc(1, sizeof(*io) + cap);

	if (!io)
		rg_fatal("out of memory");
	return io;
}

pthread_t rg_start_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, fn, arg);

	if (rc)
		rg_fatal("cannot start a thread: %s", strerror(rc));
	return t;
}

/* An ioctl failed: the end when the gadget is closing, else fatal. */
static void io_failed(const struct rg_gadget *g, const char *what)
{
	if (!atomic_load(&g->closing))
		rg_fatal("%s: %s", what, strerror(errno));
}

/* ---------------------------------------------------------- descriptors */

size_t rg_append(unsigned char *buf, size_t at, const void *desc, size_t len)
{
	memcpy(buf + at, desc, len);
	return at + len;
}

/* The next code point of s (advanced); invalid bytes come as U+FFFD. */
static unsigned next_code_point(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned cp = *p++;
	int more = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;

	if (cp >= 0x80 && cp < 0xC0)
		cp = 0xFFFD;
	else if (more)
		cp &= 0x3Fu >> more;
	for (; more && (*p & 0xC0) == 0x80; more--)
		cp = cp << 6 | (*p++ & 0x3Fu);
	*s = p;
	return more || cp > 0xFFFF ? 0xFFFD : cp;
}

size_t rg_string_descriptor(const char *utf8, unsigned char *buf)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t n = 2;

	while (*s && n + 2 <= 254) {
		unsigned cp = next_code_point(&s);

		buf[n++] = (unsigned char)(cp & 0xFF);
		buf[n++] = (unsigned char)(cp >> 8);
	}
	buf[0] = (unsigned char)n;
	buf[1] = USB_DT_STRING;
	return n;
}

/* String index into buf; 0 (stall) for an index the device does not have. */
static size_t string_of(const struct rg_descriptors *d, unsigned index, unsigned char *buf)
{
	if (index == 0) {   /* the language IDs: US English */
		buf[0] = 4;
		buf[1] = USB_DT_STRING;
		buf[2] = 0x09;
		buf[3] = 0x04;
		return 4;
	}
	if (index >= RG_STRINGS || !d->strings[index])
		return 0;
	return rg_string_descriptor(d->strings[index], buf);
}

/* GET_DESCRIPTOR into io; returns the length, or 0 to stall. */
static size_t get_descriptor(const struct rg_descriptors *d, unsigned value,
			     struct usb_raw_ep_io *io)
{
	unsigned char *buf = io->data;

	switch (value >> 8) {
	case USB_DT_DEVICE:
		memcpy(buf, &d->device, sizeof(d->device));
		return sizeof(d->device);
	case USB_DT_DEVICE_QUALIFIER:   /* a full-speed-only device STALLs it (USB 2.0 9.6.2) */
		if (!d->qualifier.bLength)
			return 0;
		memcpy(buf, &d->qualifier, sizeof(d->qualifier));
		return sizeof(d->qualifier);
	case USB_DT_CONFIG:
		memcpy(buf, d->config, d->config_len);
		return d->config_len;
	case USB_DT_STRING:
		return string_of(d, value & 0xff, buf);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ the gadget */

void rg_open(struct rg_gadget *g, const char *driver, const char *udc)
{
	struct usb_raw_init init = { .speed = g->speed ? (uint8_t)g->speed : USB_SPEED_HIGH };

	g->fd = open("/dev/raw-gadget", O_RDWR | O_CLOEXEC);
	if (g->fd < 0)
		rg_fatal("/dev/raw-gadget: %s", strerror(errno));
	snprintf((char *)init.driver_name, sizeof(init.driver_name), "%s", driver);
	snprintf((char *)init.device_name, sizeof(init.device_name), "%s", udc);
	if (ioctl(g->fd, USB_RAW_IOCTL_INIT, &init) < 0 || ioctl(g->fd, USB_RAW_IOCTL_RUN, 0) < 0)
		rg_fatal("cannot start the gadget on %s (%s): %s", udc, driver, strerror(errno));
}

void rg_close(struct rg_gadget *g)
{
	if (g->fd >= 0 && close(g->fd) < 0)
		rg_fatal("closing /dev/raw-gadget: %s", strerror(errno));
	g->fd = -1;
}

int rg_enable_endpoint(const struct rg_gadget *g, const struct usb_endpoint_descriptor *d)
{
	int handle = ioctl(g->fd, USB_RAW_IOCTL_EP_ENABLE, d);

	if (handle < 0)
		rg_fatal("cannot enable endpoint 0x%02x: %s", d->bEndpointAddress, strerror(errno));
	return handle;
}

void rg_configured(const struct rg_gadget *g)
{
	if (ioctl(g->fd, USB_RAW_IOCTL_CONFIGURE, 0) < 0)
		rg_fatal("cannot configure: %s", strerror(errno));
}

/* ------------------------------------------------------------------- ep0 */

void rg_ep0_stall(const struct rg_gadget *g)
{
	if (ioctl(g->fd, USB_RAW_IOCTL_EP0_STALL, 0) < 0)
		io_failed(g, "ep0 stall");
}

void rg_ep0_reply(const struct rg_gadget *g, struct usb_raw_ep_io *io, size_t len,
		  unsigned wlength)
{
	io->ep = 0;
	io->flags = len < wlength ? USB_RAW_IO_FLAGS_ZERO : 0;
	io->length = (uint32_t)(len < wlength ? len : wlength);
	if (ioctl(g->fd, USB_RAW_IOCTL_EP0_WRITE, io) < 0)
		io_failed(g, "ep0 write");
}

int rg_ep0_receive(const struct rg_gadget *g, struct usb_raw_ep_io *io, unsigned len)
{
	int n;

	io->ep = 0;
	io->flags = 0;
	io->length = len < RG_EP0_BUF ? len : RG_EP0_BUF;
	n = ioctl(g->fd, USB_RAW_IOCTL_EP0_READ, io);
	if (n < 0)
		io_failed(g, "ep0 read");
	return n;
}

static void set_configuration(struct rg_gadget *g, unsigned value, struct usb_raw_ep_io *io)
{
	const struct usb_config_descriptor *config = (const void *)g->desc->config;

	if (value == config->bConfigurationValue && !g->configured) {
		g->ops->configure(g);
		g->configured = 1;
	}
	rg_ep0_receive(g, io, 0);
}

/* A standard request; returns 0, or -1 to stall. */
static int standard_request(struct rg_gadget *g, const struct usb_ctrlrequest *c,
			    struct usb_raw_ep_io *io)
{
	unsigned wlength = le16toh(c->wLength), value = le16toh(c->wValue);
	const struct usb_config_descriptor *config = (const void *)g->desc->config;
	size_t len;

	switch (c->bRequest) {
	case USB_REQ_GET_DESCRIPTOR:
		len = get_descriptor(g->desc, value, io);
		if (!len)
			return -1;
		rg_ep0_reply(g, io, len, wlength);
		return 0;
	case USB_REQ_SET_CONFIGURATION:
		set_configuration(g, value, io);
		return 0;
	case USB_REQ_GET_CONFIGURATION:
		io->data[0] = g->configured ? config->bConfigurationValue : 0;
		rg_ep0_reply(g, io, 1, wlength);
		return 0;
	case USB_REQ_GET_STATUS:
	case USB_REQ_GET_INTERFACE:
		memset(io->data, 0, 2);
		rg_ep0_reply(g, io, c->bRequest == USB_REQ_GET_STATUS ? 2 : 1, wlength);
		return 0;
	case USB_REQ_SET_INTERFACE:
	case USB_REQ_SET_FEATURE:
	case USB_REQ_CLEAR_FEATURE:
		rg_ep0_receive(g, io, 0);
		return 0;
	default:
		return -1;
	}
}

void *rg_ep0_thread(void *arg)
{
	struct rg_gadget *g = arg;
	struct usb_raw_ep_io *io = rg_new_io(RG_EP0_BUF);
	struct usb_raw_event *ev = calloc(1, sizeof(*ev) + sizeof(struct usb_ctrlrequest));

	if (!ev)
		rg_fatal("out of memory");
	while (!atomic_load(&g->closing)) {
		struct usb_ctrlrequest c;
		int rc;

		ev->type = USB_RAW_EVENT_INVALID;
		ev->length = sizeof(struct usb_ctrlrequest);
		if (ioctl(g->fd, USB_RAW_IOCTL_EVENT_FETCH, ev) < 0) {
			if (errno == EINTR)
				continue;
			io_failed(g, "fetching an ep0 event");
			break;
		}
		if (ev->type != USB_RAW_EVENT_CONTROL || ev->length < sizeof(c))
			continue;
		memcpy(&c, ev->data, sizeof(c));
		if ((c.bRequestType & USB_TYPE_MASK) == USB_TYPE_STANDARD)
			rc = standard_request(g, &c, io);
		else
			rc = g->ops->request(g, &c, io);
		if (rc)
			rg_ep0_stall(g);
	}
	free(ev);
	free(io);
	return NULL;
}
