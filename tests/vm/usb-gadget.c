/* SPDX-License-Identifier: MIT */
/*
 * usb-gadget: a real USB device whose behaviour is a USB emulator model
 * (sim/sim_usb.h), e.g. the Ingenic T20 in USB boot (sim/sim_ingenic.h). It
 * presents itself through raw_gadget (/dev/raw-gadget, on dummy_hcd), so a
 * host program reaches it through libusb and the kernel's usbfs.
 * scripts/vm-test runs it in its QEMU guest. A test tool: not part of the
 * library.
 *
 * Usage:
 *   usb-gadget [--udc=dummy_udc.0] [--driver=dummy_udc] [--hang-ms=6000]
 *              SPEC EVENTLOG
 *   usb-gadget --models    prints the models it has, ", "-separated
 *   SPEC      the emulator: "t20,image=/tmp/img.bin,save=/tmp/out.bin"
 *             (a usb_sim_open spec; save=, trace=, stats=, wire= are
 *             written when it stops)
 *   EVENTLOG  what happened at the device, one line per event, flushed as
 *             it happens, each starting with CLOCK_MONOTONIC seconds:
 *               "12.345678 attached a108:c309"  (on the bus)
 *               "12.345678 configured"
 *               "12.345678 ctrl c0 00 0000 0000 8 -> ok"  (each vendor request:
 *                   bmRequestType, bRequest, wValue, wIndex in hex, wLength,
 *                   then ok, stall, silent or gone)
 *               "12.345678 bulk-out 01 -> stall"  (a bulk transfer the model
 *                   did not take: stall, silent or gone; ok is not logged)
 *               "12.345678 released"  (a silent request given up, --hang-ms)
 *               "12.345678 traffic bulk-out 96 bulk-in 31"  (bytes the model
 *                   took and gave since the last such line, once the bulk
 *                   endpoints have been quiet for a tick, 10 ms)
 *               "12.345678 detached"  (the model left the bus)
 *               "12.345678 stop bulk-out 1234 bulk-in 5678"  (bytes moved)
 * SIGTERM or SIGINT ends it: the device leaves the bus, the emulator's
 * files are written and it exits 0; a USB error exits 1.
 *
 * The device is what usb_sim_describe says: its vid:pid, bcdDevice and
 * strings (no iSerial when the model has no serial number), one
 * configuration (bus-powered, 500 mA, as the Ingenic ROM's in CAP-T20) with
 * one interface, class 0xFF/0/0, and the model's bulk OUT and IN endpoints
 * with its wMaxPacketSize. raw_gadget keeps the endpoint numbers (dummy_udc
 * has ep1out-bulk, ep1in-bulk, ep2out-bulk and ep2in-bulk); FunctionFS would
 * renumber them (shared notes/vm-tier.md). A wMaxPacketSize of 512 is a
 * high-speed device (USB 2.0, with a device qualifier); any other is a
 * full-speed one, as the CH341A (1a86:5512, 32-byte bulk 0x02 and 0x82):
 * bcdUSB 1.10, no qualifier, and raw_gadget asked for full speed, which
 * dummy_udc then runs at even when dummy_hcd is high-speed capable (on a
 * high-speed connection it would refuse the endpoints: a high-speed bulk
 * endpoint takes 512-byte packets only). The model's interrupt endpoint,
 * when it has one, is not presented: usb_sim_describe does not say it. Standard requests are answered here
 * (tests/vm/raw-gadget.c); every vendor request goes to usb_sim_control,
 * other class requests STALL.
 *
 * Time: model time follows real time. Before each transfer the model is
 * advanced to the real time elapsed since it started (usb_sim_sleep); the
 * transfer then runs without a time limit, so when the model says it
 * completes later (a device busy erasing, a stage still booting), the
 * gadget answers once the model has finished it, at once in real time, and
 * model time runs ahead until real time catches up.
 *
 * What the model says a transfer came to:
 *   ok       answered (IN data: the model's, a short packet ending it)
 *   stall    ep0 or the bulk endpoint STALLs. An OUT request with a data
 *            stage cannot be stalled after it: dummy_hcd completes the
 *            host's transfer when its data is taken, and the model needs
 *            the data to decide. It is logged "-> stall" all the same.
 *   silent   the device is hung: nothing is answered and the host times
 *            out. raw_gadget stalls any further control request while one
 *            is unanswered, so after --hang-ms (longer than the host's
 *            timeouts) the request is stalled, unseen by a host that gave
 *            up, and the next one goes to the model again. A bulk OUT the
 *            model never takes stops all bulk OUT (NAK) until detached.
 *   gone     the device left the bus (a reboot, a disconnect fault): the
 *            gadget disconnects, and connects again when the model says it
 *            is attached again (usb_sim_describe), enumerating afresh.
 *
 * Data: bulk OUT is read one packet at a time and given to the model as
 * it comes (a longer read would wait for more after a transfer of a
 * multiple of wMaxPacketSize, and its bytes would reach the model after the
 * control request that follows them). A CH341A host writes a whole command
 * as one transfer of 32-byte packets, each of which the model executes as
 * it gets it. The model sees the host's order: a
 * vendor request goes to it once every bulk OUT packet the host sent
 * before has; a packet sent after it (the host saw the request complete
 * with its OUT data stage, before the model had it) waits for it.
 * Bulk IN is served from what the model has queued: the IN thread asks the
 * model after every transfer and writes what it gets, each answer as its
 * own transfer: the CH341A's one short reply per SPI packet completes one
 * of the IN transfers its host keeps queued.
 *
 * Threads: main (the signals, time, detach and re-attach), ep0, bulk OUT,
 * bulk IN; one lock around the model and the log.
 */
#define _GNU_SOURCE

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "raw-gadget.h"
#include "sim_usb.h"

enum {
	IN_CAP = 256 * 1024,       /* bulk IN bytes per write */
	VENDOR_BUF = 65535,        /* the longest IN data stage (wLength) */
	STRING_MANUFACTURER = 1,
	STRING_PRODUCT = 2,
	STRING_SERIAL = 3,
	CONFIG_VALUE = 1,
	MAX_POWER_2MA = 250,       /* 500 mA (CAP-T20) */
	TICK_MS = 10,              /* main's clock and attach poll */
	HS_BULK_PACKET = 512,      /* the only bulk wMaxPacketSize at high speed */
};

/* Where the bulk OUT thread is, for the ep0 thread's ordering. */
enum out_state {
	OUT_NONE,      /* not started, or parked: nothing in flight */
	OUT_WAITING,   /* in its EP_READ */
	OUT_BUSY,      /* a packet read, not yet given to the model */
};

struct conf {
	const char *spec;
	const char *events;
	const char *udc;
	const char *driver;
	long hang_ms;
};

struct gadget {
	struct rg_gadget rg;             /* the USB side (rg.device: this) */
	struct rg_descriptors desc;
	struct usb_endpoint_descriptor ep_out_desc, ep_in_desc;
	struct usb_sim_device dev;       /* the model's, at attach */
	struct usb_sim *sim;             /* NULL once stopped */
	pthread_mutex_t lock;            /* sim, events and everything below */
	pthread_cond_t changed;          /* a transfer, detached, closing */
	FILE *events;
	uint64_t t0;                     /* CLOCK_MONOTONIC ns at model time 0 */
	long hang_ms;
	unsigned long generation;        /* transfers so far */
	int detached;                    /* the model left the bus: end the session */
	int in_request;                  /* the ep0 thread is answering one */
	int ctrl_pending;                /* a vendor request the model has not seen yet */
	uint64_t out_bytes, in_bytes;
	uint64_t out_logged, in_logged; /* as of the last "traffic" line */
	uint64_t out_tick, in_tick;     /* as of main's last tick */
	int ep_in, ep_out;               /* raw_gadget endpoint handles */
	pthread_t ep0_thread, out_thread, in_thread;
	int bulk_started;
	atomic_int out_state;            /* enum out_state */
	atomic_int out_tid;
	struct usb_raw_ep_io *vendor_io; /* the ep0 thread's, VENDOR_BUF bytes */
};

/* ------------------------------------------------------------ the model */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Model time up to real time. Caller holds g->lock. */
static void sync_time(struct gadget *g)
{
	uint64_t real = monotonic_ns() - g->t0, model = usb_sim_now(g->sim);

	if (real > model)
		usb_sim_sleep(g->sim, real - model);
}

static int model_attached(struct gadget *g, struct usb_sim_device *dev)
{
	return usb_sim_describe(g->sim, dev) == 0;
}

/* Notices that the model left the bus. Caller holds g->lock. */
static void check_attached(struct gadget *g)
{
	struct usb_sim_device dev;

	if (!g->detached && !model_attached(g, &dev)) {
		g->detached = 1;
		rg_log(g->events, "detached");
		pthread_cond_broadcast(&g->changed);
	}
}

/* After each host transfer: wake the IN thread, notice a detach. Caller holds g->lock. */
static void transfer_done(struct gadget *g)
{
	g->generation++;
	pthread_cond_broadcast(&g->changed);
	check_attached(g);
}

static const char *status_name(enum usb_sim_status st)
{
	switch (st) {
	case USB_SIM_OK:
		return "ok";
	case USB_SIM_STALL:
		return "stall";
	case USB_SIM_TIMEOUT:
		return "silent";
	default:
		return "gone";
	}
}

/* ------------------------------------------------------------- bulk OUT */

static void park(struct gadget *g)
{
	atomic_store(&g->out_state, OUT_NONE);
	pthread_mutex_lock(&g->lock);
	while (!atomic_load(&g->rg.closing))
		pthread_cond_wait(&g->changed, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

/*
 * One packet to the model; its status. A packet that came after a vendor
 * request's data stage waits until the model has that request: the host
 * saw the request complete with its data stage.
 */
static enum usb_sim_status deliver_out(struct gadget *g, const uint8_t *data, size_t len)
{
	enum usb_sim_status st;
	size_t taken = 0;

	pthread_mutex_lock(&g->lock);
	while (g->ctrl_pending && !atomic_load(&g->rg.closing))
		pthread_cond_wait(&g->changed, &g->lock);
	sync_time(g);
	st = usb_sim_bulk_out(g->sim, g->dev.ep_out, data, len, &taken, UINT64_MAX);
	g->out_bytes += taken;
	if (st != USB_SIM_OK)
		rg_log(g->events, "bulk-out %02x -> %s", g->dev.ep_out, status_name(st));
	transfer_done(g);
	pthread_mutex_unlock(&g->lock);
	return st;
}

static void set_halt(const struct gadget *g, int ep)
{
	if (ioctl(g->rg.fd, USB_RAW_IOCTL_EP_SET_HALT, ep) < 0 && !atomic_load(&g->rg.closing))
		rg_fatal("halting an endpoint: %s", strerror(errno));
}

static void *bulk_out_thread(void *arg)
{
	struct gadget *g = arg;
	uint16_t packet = le16toh(g->ep_out_desc.wMaxPacketSize);
	struct usb_raw_ep_io *io = rg_new_io(packet);

	atomic_store(&g->out_tid, (int)gettid());
	while (!atomic_load(&g->rg.closing)) {
		enum usb_sim_status st;
		int n;

		io->ep = (uint16_t)g->ep_out;
		io->flags = 0;
		io->length = packet;
		atomic_store(&g->out_state, OUT_WAITING);
		n = ioctl(g->rg.fd, USB_RAW_IOCTL_EP_READ, io);
		atomic_store(&g->out_state, OUT_BUSY);
		if (n < 0) {
			if (atomic_load(&g->rg.closing))
				break;
			if (errno == EINTR)
				continue;
			rg_fatal("bulk OUT: %s", strerror(errno));
		}
		st = deliver_out(g, io->data, (size_t)n);
		if (st == USB_SIM_STALL) {
			set_halt(g, g->ep_out);
		} else if (st != USB_SIM_OK) {
			park(g);
			break;
		}
	}
	atomic_store(&g->out_state, OUT_NONE);
	free(io);
	return NULL;
}

/* 1 when thread tid is runnable (woken from its ioctl, not yet back in user space). */
static int runnable(int tid)
{
	char path[64], buf[512], *state;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	state = strrchr(buf, ')');
	return state && state[1] == ' ' && state[2] == 'R';
}

/*
 * Waits until the bulk OUT thread has given the model every packet the
 * host sent before this control request: its read is back in the kernel
 * and has not completed.
 */
static void wait_out_delivered(struct gadget *g)
{
	for (;;) {
		int state = atomic_load(&g->out_state);

		if (atomic_load(&g->rg.closing) || state == OUT_NONE ||
		    (state == OUT_WAITING && !runnable(atomic_load(&g->out_tid))))
			return;
		usleep(50);
	}
}

/* -------------------------------------------------------------- bulk IN */

/* Up to cap bytes the model has queued for bulk IN; its status. Caller holds g->lock. */
static enum usb_sim_status take_in(struct gadget *g, uint8_t *buf, size_t cap, size_t *n)
{
	enum usb_sim_status st;

	sync_time(g);
	st = usb_sim_bulk_in(g->sim, g->dev.ep_in, buf, cap, n, UINT64_MAX);
	g->in_bytes += *n;
	if (st == USB_SIM_STALL || st == USB_SIM_GONE)
		rg_log(g->events, "bulk-in %02x -> %s", g->dev.ep_in, status_name(st));
	check_attached(g);
	return st;
}

static void write_in(struct gadget *g, struct usb_raw_ep_io *io, size_t n)
{
	io->ep = (uint16_t)g->ep_in;
	io->flags = 0;
	io->length = (uint32_t)n;
	while (ioctl(g->rg.fd, USB_RAW_IOCTL_EP_WRITE, io) < 0) {
		if (atomic_load(&g->rg.closing))
			return;
		if (errno != EINTR)
			rg_fatal("bulk IN: %s", strerror(errno));
	}
}

/*
 * Asks the model for bulk IN data after every transfer (a NAKing model
 * answers at once: usb_sim_bulk_in without a time limit gives TIMEOUT when
 * only more host traffic can make data).
 */
static void *bulk_in_thread(void *arg)
{
	struct gadget *g = arg;
	struct usb_raw_ep_io *io = rg_new_io(IN_CAP);

	pthread_mutex_lock(&g->lock);
	while (!atomic_load(&g->rg.closing)) {
		unsigned long seen = g->generation;
		size_t n = 0;
		enum usb_sim_status st = take_in(g, io->data, IN_CAP, &n);

		if (st == USB_SIM_OK && n) {
			pthread_mutex_unlock(&g->lock);
			write_in(g, io, n);
			pthread_mutex_lock(&g->lock);
			continue;
		}
		if (st == USB_SIM_STALL) {
			pthread_mutex_unlock(&g->lock);
			set_halt(g, g->ep_in);
			pthread_mutex_lock(&g->lock);
		}
		while (g->generation == seen && !atomic_load(&g->rg.closing))
			pthread_cond_wait(&g->changed, &g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	free(io);
	return NULL;
}

/* ------------------------------------------------------------------ ep0 */

/* SET_CONFIGURATION 1: the bulk endpoints and their threads. */
static void configure(struct rg_gadget *rg)
{
	struct gadget *g = rg->device;

	g->ep_out = rg_enable_endpoint(rg, &g->ep_out_desc);
	g->ep_in = rg_enable_endpoint(rg, &g->ep_in_desc);
	rg_configured(rg);
	pthread_mutex_lock(&g->lock);
	rg_log(g->events, "configured");
	pthread_mutex_unlock(&g->lock);
	g->out_thread = rg_start_thread(bulk_out_thread, g);
	g->in_thread = rg_start_thread(bulk_in_thread, g);
	g->bulk_started = 1;
}

/*
 * A hung device: the request stays unanswered for --hang-ms, then it is
 * stalled to release raw_gadget's ep0 (the host has given up by then).
 */
static void stay_silent(struct gadget *g)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += g->hang_ms / 1000;
	until.tv_nsec += g->hang_ms % 1000 * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&g->lock);
	while (!atomic_load(&g->rg.closing) && !g->detached &&
	       pthread_cond_timedwait(&g->changed, &g->lock, &until) != ETIMEDOUT)
		;
	if (!atomic_load(&g->rg.closing) && !g->detached) {
		rg_log(g->events, "released");
		pthread_mutex_unlock(&g->lock);
		rg_ep0_stall(&g->rg);
		return;
	}
	pthread_mutex_unlock(&g->lock);
}

/* The model's answer to a vendor request; data holds OUT data or room for IN. */
static enum usb_sim_status ask_model(struct gadget *g, const struct usb_ctrlrequest *c,
				     uint8_t *data, size_t *actual)
{
	struct usb_sim_setup s = {
		.bmRequestType = c->bRequestType,
		.bRequest = c->bRequest,
		.wValue = le16toh(c->wValue),
		.wIndex = le16toh(c->wIndex),
		.wLength = le16toh(c->wLength),
	};
	enum usb_sim_status st;
	int out_data = !(s.bmRequestType & USB_DIR_IN) && s.wLength;

	pthread_mutex_lock(&g->lock);
	sync_time(g);
	st = usb_sim_control(g->sim, &s, data, actual, UINT64_MAX);
	rg_log(g->events, "ctrl %02x %02x %04x %04x %u -> %s%s", s.bmRequestType, s.bRequest,
	       s.wValue, s.wIndex, s.wLength, status_name(st),
	       st == USB_SIM_STALL && out_data ? " (after its data stage)" : "");
	g->ctrl_pending = 0;
	transfer_done(g);
	pthread_mutex_unlock(&g->lock);
	return st;
}

/*
 * The request reaches the model after every bulk OUT packet the host sent
 * before it, and before any it sends after it.
 */
static void order_request(struct gadget *g)
{
	wait_out_delivered(g);
	pthread_mutex_lock(&g->lock);
	g->in_request = 1;
	g->ctrl_pending = 1;
	pthread_mutex_unlock(&g->lock);
}

/* Vendor requests go to the model; any other class of request STALLs. */
static int vendor_request(struct rg_gadget *rg, const struct usb_ctrlrequest *c,
			  struct usb_raw_ep_io *io)
{
	struct gadget *g = rg->device;
	unsigned wlength = le16toh(c->wLength);
	int in = c->bRequestType & USB_DIR_IN;
	int out_data = !in && wlength;   /* the host's transfer ends with its data stage */
	struct usb_raw_ep_io *vio = g->vendor_io;
	size_t actual = 0;
	enum usb_sim_status st;
	int rc = 0;

	if ((c->bRequestType & USB_TYPE_MASK) != USB_TYPE_VENDOR)
		return -1;
	if (!in && wlength > RG_EP0_BUF) {
		pthread_mutex_lock(&g->lock);
		rg_log(g->events, "ctrl %02x %02x %04x %04x %u -> stall (over %d bytes)",
		       c->bRequestType, c->bRequest, le16toh(c->wValue), le16toh(c->wIndex),
		       wlength, RG_EP0_BUF);
		pthread_mutex_unlock(&g->lock);
		return -1;
	}
	order_request(g);
	if (out_data) {
		if (rg_ep0_receive(rg, io, wlength) < 0)
			return 0;   /* closing */
		memcpy(vio->data, io->data, wlength);
	}
	st = ask_model(g, c, vio->data, &actual);
	/* An OUT data stage answered the host already; GONE is left unanswered (the session ends). */
	if (st == USB_SIM_OK && in && wlength)
		rg_ep0_reply(rg, vio, actual, wlength);
	else if (st == USB_SIM_OK && !out_data)
		rg_ep0_receive(rg, io, 0);
	else if (st == USB_SIM_STALL && !out_data)
		rc = -1;
	else if (st == USB_SIM_TIMEOUT && !out_data)
		stay_silent(g);
	pthread_mutex_lock(&g->lock);
	g->in_request = 0;
	pthread_cond_broadcast(&g->changed);
	pthread_mutex_unlock(&g->lock);
	return rc;
}

/* ------------------------------------------------------------ the device */

/* Descriptors from what the model says (g->dev). */
static void build_descriptors(struct gadget *g)
{
	const struct usb_sim_device *d = &g->dev;
	struct usb_config_descriptor config = {
		.bLength = USB_DT_CONFIG_SIZE,
		.bDescriptorType = USB_DT_CONFIG,
		.bNumInterfaces = 1,
		.bConfigurationValue = CONFIG_VALUE,
		.bmAttributes = USB_CONFIG_ATT_ONE,
		.bMaxPower = MAX_POWER_2MA,
	};
	const struct usb_interface_descriptor interface = {
		.bLength = USB_DT_INTERFACE_SIZE,
		.bDescriptorType = USB_DT_INTERFACE,
		.bNumEndpoints = 2,
		.bInterfaceClass = USB_CLASS_VENDOR_SPEC,
	};
	struct usb_endpoint_descriptor ep = {
		.bLength = USB_DT_ENDPOINT_SIZE,
		.bDescriptorType = USB_DT_ENDPOINT,
		.bmAttributes = USB_ENDPOINT_XFER_BULK,
		.wMaxPacketSize = htole16(d->max_packet),
	};
	size_t n = USB_DT_CONFIG_SIZE;
	int high_speed = d->max_packet == HS_BULK_PACKET;

	memset(&g->desc, 0, sizeof(g->desc));
	g->rg.speed = high_speed ? USB_SPEED_HIGH : USB_SPEED_FULL;
	g->desc.device = (struct usb_device_descriptor){
		.bLength = USB_DT_DEVICE_SIZE,
		.bDescriptorType = USB_DT_DEVICE,
		.bcdUSB = htole16(high_speed ? 0x0200 : 0x0110),
		.bMaxPacketSize0 = RG_EP0_MAX,
		.idVendor = htole16(d->vid),
		.idProduct = htole16(d->pid),
		.bcdDevice = htole16(d->bcd_device),
		.iManufacturer = d->manufacturer[0] ? STRING_MANUFACTURER : 0,
		.iProduct = d->product[0] ? STRING_PRODUCT : 0,
		.iSerialNumber = d->serial[0] ? STRING_SERIAL : 0,
		.bNumConfigurations = 1,
	};
	if (high_speed)
		g->desc.qualifier = (struct usb_qualifier_descriptor){
			.bLength = sizeof(struct usb_qualifier_descriptor),
			.bDescriptorType = USB_DT_DEVICE_QUALIFIER,
			.bcdUSB = htole16(0x0200),
			.bMaxPacketSize0 = RG_EP0_MAX,
			.bNumConfigurations = 1,
		};
	g->desc.strings[STRING_MANUFACTURER] = d->manufacturer[0] ? d->manufacturer : NULL;
	g->desc.strings[STRING_PRODUCT] = d->product[0] ? d->product : NULL;
	g->desc.strings[STRING_SERIAL] = d->serial[0] ? d->serial : NULL;
	ep.bEndpointAddress = d->ep_out;
	g->ep_out_desc = ep;
	ep.bEndpointAddress = d->ep_in;
	g->ep_in_desc = ep;
	n = rg_append(g->desc.config, n, &interface, USB_DT_INTERFACE_SIZE);
	n = rg_append(g->desc.config, n, &g->ep_out_desc, USB_DT_ENDPOINT_SIZE);
	n = rg_append(g->desc.config, n, &g->ep_in_desc, USB_DT_ENDPOINT_SIZE);
	config.wTotalLength = htole16((uint16_t)n);
	memcpy(g->desc.config, &config, USB_DT_CONFIG_SIZE);
	g->desc.config_len = n;
}

/* ------------------------------------------------------------- lifecycle */

static void usage(void)
{
	fprintf(stderr, "usage: usb-gadget [--udc=dummy_udc.0] [--driver=dummy_udc]"
		" [--hang-ms=6000] SPEC EVENTLOG\n       usb-gadget --models\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct conf *c)
{
	int positional = 0;

	if (argc == 2 && !strcmp(argv[1], "--models")) {
		char names[256];

		printf("%s\n", usb_sim_model_names(names, sizeof(names)));
		exit(0);
	}
	c->udc = "dummy_udc.0";
	c->driver = "dummy_udc";
	c->hang_ms = 6000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--udc=", 6)) {
			c->udc = a + 6;
		} else if (!strncmp(a, "--driver=", 9)) {
			c->driver = a + 9;
		} else if (!strncmp(a, "--hang-ms=", 10)) {
			char *end;

			errno = 0;
			c->hang_ms = strtol(a + 10, &end, 10);
			if (errno || *end || end == a + 10 || c->hang_ms < 0 ||
			    c->hang_ms > INT_MAX)
				usage();
		} else if (a[0] == '-' && a[1]) {
			usage();
		} else if (positional == 0) {
			c->spec = a;
			positional++;
		} else if (positional == 1) {
			c->events = a;
			positional++;
		} else {
			usage();
		}
	}
	if (positional != 2)
		usage();
}

static void on_interrupt(int sig)
{
	(void)sig;   /* only to make a blocked ioctl return EINTR */
}

/* Blocks the stop signals in every thread; SIGUSR1 interrupts ioctls. */
static void setup_signals(sigset_t *stop_signals)
{
	struct sigaction sa = { .sa_handler = on_interrupt };   /* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		rg_fatal("sigaction: %s", strerror(errno));
	sigemptyset(stop_signals);
	sigaddset(stop_signals, SIGTERM);
	sigaddset(stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, stop_signals, NULL);
}

/* Waits TICK_MS for a stop signal; 1 when one came. */
static int stop_requested(const sigset_t *stop_signals)
{
	const struct timespec tick = { 0, TICK_MS * 1000000L };

	return sigtimedwait(stop_signals, NULL, &tick) > 0;
}

/* Until the model is on the bus (g->dev filled): 0, or 1 on a stop signal. */
static int wait_attached(struct gadget *g, const sigset_t *stop_signals)
{
	for (;;) {
		int attached;

		pthread_mutex_lock(&g->lock);
		sync_time(g);
		attached = model_attached(g, &g->dev);
		pthread_mutex_unlock(&g->lock);
		if (attached)
			return 0;
		if (stop_requested(stop_signals))
			return 1;
	}
}

static void start_session(struct gadget *g, const struct conf *c)
{
	static const struct rg_ops ops = { configure, vendor_request };

	build_descriptors(g);
	pthread_mutex_lock(&g->lock);
	g->detached = 0;
	g->in_request = 0;
	g->ctrl_pending = 0;
	atomic_store(&g->rg.closing, 0);
	g->rg.configured = 0;
	g->bulk_started = 0;
	atomic_store(&g->out_state, OUT_NONE);
	rg_log(g->events, "attached %04x:%04x", g->dev.vid, g->dev.pid);
	pthread_mutex_unlock(&g->lock);
	g->rg.desc = &g->desc;
	g->rg.ops = &ops;
	g->rg.device = g;
	rg_open(&g->rg, c->driver, c->udc);
	g->ep0_thread = rg_start_thread(rg_ep0_thread, &g->rg);
}

/*
 * The bytes moved since the last "traffic" line, once nothing moved for a
 * tick: one line per burst (a host program's run), not one per packet.
 * Caller holds g->lock.
 */
static void log_traffic(struct gadget *g)
{
	int quiet = g->out_bytes == g->out_tick && g->in_bytes == g->in_tick;

	if (quiet && (g->out_bytes != g->out_logged || g->in_bytes != g->in_logged)) {
		rg_log(g->events, "traffic bulk-out %llu bulk-in %llu",
		       (unsigned long long)(g->out_bytes - g->out_logged),
		       (unsigned long long)(g->in_bytes - g->in_logged));
		g->out_logged = g->out_bytes;
		g->in_logged = g->in_bytes;
	}
	g->out_tick = g->out_bytes;
	g->in_tick = g->in_bytes;
}

/* Until the model detaches (0) or a stop signal (1); time follows real time meanwhile. */
static int run_session(struct gadget *g, const sigset_t *stop_signals)
{
	for (;;) {
		int detached;

		if (stop_requested(stop_signals))
			return 1;
		pthread_mutex_lock(&g->lock);
		sync_time(g);
		check_attached(g);
		log_traffic(g);
		detached = g->detached && !g->in_request;
		pthread_mutex_unlock(&g->lock);
		if (detached)
			return 0;
	}
}

/* Interrupts thread t's ioctls until it has ended. */
static void end_thread(pthread_t t)
{
	while (pthread_tryjoin_np(t, NULL) == EBUSY) {
		pthread_kill(t, SIGUSR1);
		usleep(1000);
	}
}

/* The device leaves the bus: its threads end, raw_gadget is closed. */
static void end_session(struct gadget *g)
{
	pthread_mutex_lock(&g->lock);
	atomic_store(&g->rg.closing, 1);
	pthread_cond_broadcast(&g->changed);
	pthread_mutex_unlock(&g->lock);
	end_thread(g->ep0_thread);
	if (g->bulk_started) {
		end_thread(g->out_thread);
		end_thread(g->in_thread);
	}
	rg_close(&g->rg);
}

/* Writes the emulator's files and the log's last line (no other thread runs). */
static int stop(struct gadget *g)
{
	char err[256];
	int rc = 0;

	rg_log(g->events, "stop bulk-out %llu bulk-in %llu", (unsigned long long)g->out_bytes,
	       (unsigned long long)g->in_bytes);
	if (usb_sim_stop(g->sim, err, sizeof(err))) {
		fprintf(stderr, "usb-gadget: %s\n", err);
		rc = 1;
	}
	g->sim = NULL;
	if (fclose(g->events)) {
		fprintf(stderr, "usb-gadget: writing the events log: %s\n", strerror(errno));
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static struct gadget g = { .rg.fd = -1 };
	struct conf c = { 0 };
	sigset_t stop_signals;
	char err[256];
	int rc;

	parse_args(argc, argv, &c);
	setup_signals(&stop_signals);
	pthread_mutex_init(&g.lock, NULL);
	pthread_cond_init(&g.changed, NULL);
	g.hang_ms = c.hang_ms;
	g.vendor_io = rg_new_io(VENDOR_BUF);
	g.events = fopen(c.events, "w");
	if (!g.events)
		rg_fatal("%s: %s", c.events, strerror(errno));
	g.sim = usb_sim_open(c.spec, err, sizeof(err));
	if (!g.sim)
		rg_fatal("%s", err);
	g.t0 = monotonic_ns();
	while (!wait_attached(&g, &stop_signals)) {
		int stopped;

		start_session(&g, &c);
		stopped = run_session(&g, &stop_signals);
		end_session(&g);
		if (stopped)
			break;
	}
	rc = stop(&g);
	free(g.vendor_io);
	pthread_cond_destroy(&g.changed);
	pthread_mutex_destroy(&g.lock);
	return rc;
}
