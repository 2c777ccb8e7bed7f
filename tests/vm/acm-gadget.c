/* SPDX-License-Identifier: MIT */
/*
 * acm-gadget: a USB CDC-ACM serial device whose far end is a UART emulator
 * (sim/sim_uart.h). It presents itself through raw_gadget (/dev/raw-gadget,
 * on dummy_hcd), so the kernel's cdc-acm driver makes it /dev/ttyACM0 and a
 * UART program runs through a real tty driver. scripts/vm-test runs it in
 * its QEMU guest. A test tool: not part of the library.
 *
 * Usage:
 *   acm-gadget --sim=SPEC --events=FILE [--udc=dummy_udc.0]
 *              [--driver=dummy_udc]
 *   acm-gadget --models    prints the models it has, ", "-separated
 *   --sim     the emulator, e.g. "gx,reset-line=rts,image=/x.bin" (a
 *             uart_sim_start spec: it always runs on a pty in real time)
 *   --events  what arrived at the device, one line per event, flushed as
 *             it happens, each starting with CLOCK_MONOTONIC seconds:
 *               "12.345678 configured"
 *               "12.345678 line-coding 2000000 8N1"  (bits, parity N/O/E/M/S,
 *                                                    stop bits 1/1.5/2)
 *               "12.345678 dtr 1" / "12.345678 rts 0" (each change)
 *               "12.345678 break 65535"              (SEND_BREAK, its wValue)
 * SIGTERM or SIGINT ends it: the emulator's files (save=, trace=, stats=)
 * are written and it exits 0; a USB error exits 1.
 *
 * The device: 1209:0001 (pid.codes test PID), high speed as dummy_hcd is,
 * one configuration with a CDC comm interface (ACM, protocol none; header,
 * call management, ACM and union functional descriptors; interrupt IN 0x85,
 * never used) and a CDC data interface (bulk IN 0x81, bulk OUT 0x02). These
 * numbers are the ones dummy_udc names its endpoints by (ep1in-bulk,
 * ep2out-bulk, ep5in-int), which raw_gadget requires.
 *
 * Class requests: SET_LINE_CODING sets the emulator's pty slave to that
 * rate, bits, parity and stop bits (termios2, any rate), and reports parity
 * with uart_sim_set_parity (a pty drops PARENB); GET_LINE_CODING returns
 * the last one (9600 8N1 before any); SET_CONTROL_LINE_STATE reports each
 * change of DTR (bit 0) and RTS (bit 1) with uart_sim_set_modem.
 *
 * Data: bulk OUT is written to the slave, read one packet at a time (cdc-acm
 * sends no zero-length packet, so a longer read would wait after a write
 * of a multiple of 512 bytes). What the slave reads goes to bulk IN, ended
 * by a zero-length packet when it is a multiple of 512 bytes (cdc-acm reads
 * in 1024-byte URBs, which would otherwise wait). The slave is made raw when the host first opens
 * the port (its first SET_CONTROL_LINE_STATE with DTR or RTS set): models
 * such as gx take "raw" as the box being switched on, and a box switched on
 * at enumeration would have talked to nobody at 9600 baud.
 *
 * Threads: ep0 (enumeration and the standard requests: tests/vm/raw-gadget.c;
 * the class requests here), bulk OUT, bulk IN, each blocking in its own
 * raw_gadget ioctl; main waits for the signal.
 */
#define _GNU_SOURCE

#include <asm/termbits.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/cdc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "raw-gadget.h"
#include "sim_uart.h"

enum {
	BULK_MAX = 512,
	IN_BUF = 16384,
	NOTIFY_MAX = 16,
	VENDOR_ID = 0x1209,
	PRODUCT_ID = 0x0001,
	STRING_MANUFACTURER = 1,
	STRING_PRODUCT = 2,
	CONFIG_VALUE = 1,
	MAX_POWER_2MA = 50,        /* 100 mA */
	COMM_INTERFACE = 0,
	DATA_INTERFACE = 1,
	EP_NOTIFY = USB_DIR_IN | 5,
	EP_BULK_IN = USB_DIR_IN | 1,
	EP_BULK_OUT = USB_DIR_OUT | 2,
};

struct conf {
	const char *sim;
	const char *events;
	const char *udc;
	const char *driver;
};

struct gadget {
	struct rg_gadget rg;             /* the USB side (rg.device: this) */
	struct rg_descriptors desc;
	int slave;                       /* the emulator's pty slave */
	struct uart_sim *sim;            /* NULL once stopped */
	pthread_mutex_t lock;            /* sim, events, line, modem, raw */
	FILE *events;
	struct usb_cdc_line_coding line; /* as the host sent it (little-endian) */
	int dtr, rts;
	int raw;                         /* the slave has been made raw */
	int ep_in, ep_out;               /* raw_gadget endpoint handles */
	char product[64];
};

/* ------------------------------------------------------------ descriptors */

static const struct usb_device_descriptor device_desc = {
	.bLength = USB_DT_DEVICE_SIZE,
	.bDescriptorType = USB_DT_DEVICE,
	.bcdUSB = 0x0200,
	.bDeviceClass = USB_CLASS_COMM,
	.bMaxPacketSize0 = RG_EP0_MAX,
	.idVendor = VENDOR_ID,
	.idProduct = PRODUCT_ID,
	.bcdDevice = 0x0100,
	.iManufacturer = STRING_MANUFACTURER,
	.iProduct = STRING_PRODUCT,
	.bNumConfigurations = 1,
};

static const struct usb_qualifier_descriptor qualifier_desc = {
	.bLength = sizeof(struct usb_qualifier_descriptor),
	.bDescriptorType = USB_DT_DEVICE_QUALIFIER,
	.bcdUSB = 0x0200,
	.bDeviceClass = USB_CLASS_COMM,
	.bMaxPacketSize0 = RG_EP0_MAX,
	.bNumConfigurations = 1,
};

static const struct usb_interface_descriptor comm_if_desc = {
	.bLength = USB_DT_INTERFACE_SIZE,
	.bDescriptorType = USB_DT_INTERFACE,
	.bInterfaceNumber = COMM_INTERFACE,
	.bNumEndpoints = 1,
	.bInterfaceClass = USB_CLASS_COMM,
	.bInterfaceSubClass = USB_CDC_SUBCLASS_ACM,
	.bInterfaceProtocol = USB_CDC_PROTO_NONE,
};

static const struct usb_cdc_header_desc header_desc = {
	.bLength = sizeof(struct usb_cdc_header_desc),
	.bDescriptorType = USB_DT_CS_INTERFACE,
	.bDescriptorSubType = USB_CDC_HEADER_TYPE,
	.bcdCDC = 0x0110,
};

static const struct usb_cdc_call_mgmt_descriptor call_mgmt_desc = {
	.bLength = sizeof(struct usb_cdc_call_mgmt_descriptor),
	.bDescriptorType = USB_DT_CS_INTERFACE,
	.bDescriptorSubType = USB_CDC_CALL_MANAGEMENT_TYPE,
	.bDataInterface = DATA_INTERFACE,
};

static const struct usb_cdc_acm_descriptor acm_desc = {
	.bLength = sizeof(struct usb_cdc_acm_descriptor),
	.bDescriptorType = USB_DT_CS_INTERFACE,
	.bDescriptorSubType = USB_CDC_ACM_TYPE,
	.bmCapabilities = USB_CDC_CAP_LINE,
};

static const struct usb_cdc_union_desc union_desc = {
	.bLength = sizeof(struct usb_cdc_union_desc),
	.bDescriptorType = USB_DT_CS_INTERFACE,
	.bDescriptorSubType = USB_CDC_UNION_TYPE,
	.bMasterInterface0 = COMM_INTERFACE,
	.bSlaveInterface0 = DATA_INTERFACE,
};

static const struct usb_endpoint_descriptor notify_ep_desc = {
	.bLength = USB_DT_ENDPOINT_SIZE,
	.bDescriptorType = USB_DT_ENDPOINT,
	.bEndpointAddress = EP_NOTIFY,
	.bmAttributes = USB_ENDPOINT_XFER_INT,
	.wMaxPacketSize = NOTIFY_MAX,
	.bInterval = 9,   /* high speed: 2^(9-1) microframes, 32 ms */
};

static const struct usb_interface_descriptor data_if_desc = {
	.bLength = USB_DT_INTERFACE_SIZE,
	.bDescriptorType = USB_DT_INTERFACE,
	.bInterfaceNumber = DATA_INTERFACE,
	.bNumEndpoints = 2,
	.bInterfaceClass = USB_CLASS_CDC_DATA,
};

static const struct usb_endpoint_descriptor bulk_in_desc = {
	.bLength = USB_DT_ENDPOINT_SIZE,
	.bDescriptorType = USB_DT_ENDPOINT,
	.bEndpointAddress = EP_BULK_IN,
	.bmAttributes = USB_ENDPOINT_XFER_BULK,
	.wMaxPacketSize = BULK_MAX,
};

static const struct usb_endpoint_descriptor bulk_out_desc = {
	.bLength = USB_DT_ENDPOINT_SIZE,
	.bDescriptorType = USB_DT_ENDPOINT,
	.bEndpointAddress = EP_BULK_OUT,
	.bmAttributes = USB_ENDPOINT_XFER_BULK,
	.wMaxPacketSize = BULK_MAX,
};

/* The configuration descriptor and everything after it, into buf. */
static size_t config_descriptor(unsigned char *buf)
{
	struct usb_config_descriptor config = {
		.bLength = USB_DT_CONFIG_SIZE,
		.bDescriptorType = USB_DT_CONFIG,
		.bNumInterfaces = 2,
		.bConfigurationValue = CONFIG_VALUE,
		.bmAttributes = USB_CONFIG_ATT_ONE,
		.bMaxPower = MAX_POWER_2MA,
	};
	size_t n = USB_DT_CONFIG_SIZE;

	n = rg_append(buf, n, &comm_if_desc, USB_DT_INTERFACE_SIZE);
	n = rg_append(buf, n, &header_desc, sizeof(header_desc));
	n = rg_append(buf, n, &call_mgmt_desc, sizeof(call_mgmt_desc));
	n = rg_append(buf, n, &acm_desc, sizeof(acm_desc));
	n = rg_append(buf, n, &union_desc, sizeof(union_desc));
	n = rg_append(buf, n, &notify_ep_desc, USB_DT_ENDPOINT_SIZE);
	n = rg_append(buf, n, &data_if_desc, USB_DT_INTERFACE_SIZE);
	n = rg_append(buf, n, &bulk_in_desc, USB_DT_ENDPOINT_SIZE);
	n = rg_append(buf, n, &bulk_out_desc, USB_DT_ENDPOINT_SIZE);
	config.wTotalLength = htole16((uint16_t)n);
	memcpy(buf, &config, USB_DT_CONFIG_SIZE);
	return n;
}

/* ------------------------------------------------------------- messages */

/*
 * An I/O error in a bulk thread: fatal, unless the emulator is being
 * stopped (closing its pty fails the slave's reads): then the thread
 * waits for the process to end.
 */
static void bulk_error(struct gadget *g, const char *what, const char *why)
{
	if (!atomic_load(&g->rg.closing))
		rg_fatal("%s: %s", what, why);
	for (;;)
		pause();
}

/* ---------------------------------------------------- the emulator's line */

static char parity_of(unsigned type)
{
	static const char parities[] = "noems";   /* USB CDC PSTN 6.3.11 order */

	return type < 5 ? parities[type] : 'n';
}

static unsigned csize_of(unsigned bits)
{
	switch (bits) {
	case 5:
		return CS5;
	case 6:
		return CS6;
	case 7:
		return CS7;
	default:
		return CS8;
	}
}

/* The slave's termios as the line coding says; raw once the host is there. */
static int apply_line(struct gadget *g)
{
	const struct usb_cdc_line_coding *l = &g->line;
	char parity = parity_of(l->bParityType);
	struct termios2 t;

	if (ioctl(g->slave, TCGETS2, &t) < 0)
		return -1;
	if (g->raw) {
		t.c_iflag = 0;
		t.c_oflag = 0;
		t.c_lflag = 0;
		memset(t.c_cc, 0, sizeof(t.c_cc));
		t.c_cc[VMIN] = 1;
	}
	t.c_cflag &= ~(tcflag_t)(CBAUD | CSIZE | CSTOPB | PARENB | PARODD | CMSPAR);
	t.c_cflag |= BOTHER | CREAD | CLOCAL | csize_of(l->bDataBits);
	if (l->bCharFormat != USB_CDC_1_STOP_BITS)
		t.c_cflag |= CSTOPB;
	if (parity != 'n')
		t.c_cflag |= PARENB;
	if (parity == 'o' || parity == 'm')
		t.c_cflag |= PARODD;
	if (parity == 'm' || parity == 's')
		t.c_cflag |= CMSPAR;
	t.c_ispeed = t.c_ospeed = le32toh(l->dwDTERate);
	if (ioctl(g->slave, TCSETS2, &t) < 0)
		return -1;
	if (g->sim)
		uart_sim_set_parity(g->sim, parity);
	return 0;
}

static const char *stop_bits_of(unsigned format)
{
	return format == USB_CDC_1_5_STOP_BITS ? "1.5" :
	       format == USB_CDC_2_STOP_BITS ? "2" : "1";
}

static void set_line_coding(struct gadget *g, const void *data)
{
	pthread_mutex_lock(&g->lock);
	memcpy(&g->line, data, sizeof(g->line));
	rg_log(g->events, "line-coding %u %u%c%s", le32toh(g->line.dwDTERate), g->line.bDataBits,
		  parity_of(g->line.bParityType) - 'a' + 'A', stop_bits_of(g->line.bCharFormat));
	if (apply_line(g))
		fprintf(stderr, "acm-gadget: cannot set the emulator's line: %s\n",
			strerror(errno));
	pthread_mutex_unlock(&g->lock);
}

static void set_modem_line(struct gadget *g, int *now, char which, int value)
{
	if (*now == value)
		return;
	*now = value;
	rg_log(g->events, "%s %d", which == 'd' ? "dtr" : "rts", value);
	if (g->sim)
		uart_sim_set_modem(g->sim, which, value);
}

static void set_control_line_state(struct gadget *g, unsigned value)
{
	pthread_mutex_lock(&g->lock);
	if (!g->raw && (value & (USB_CDC_CTRL_DTR | USB_CDC_CTRL_RTS))) {
		g->raw = 1;
		if (apply_line(g))
			fprintf(stderr, "acm-gadget: cannot make the emulator's line raw: %s\n",
				strerror(errno));
	}
	set_modem_line(g, &g->dtr, 'd', !!(value & USB_CDC_CTRL_DTR));
	set_modem_line(g, &g->rts, 'r', !!(value & USB_CDC_CTRL_RTS));
	pthread_mutex_unlock(&g->lock);
}

/* ------------------------------------------------------------------ bulk */

static void *bulk_out_thread(void *arg)
{
	struct gadget *g = arg;
	struct usb_raw_ep_io *io = rg_new_io(BULK_MAX);

	for (;;) {
		int n;

		io->ep = (uint16_t)g->ep_out;
		io->flags = 0;
		io->length = BULK_MAX;
		n = ioctl(g->rg.fd, USB_RAW_IOCTL_EP_READ, io);
		if (n < 0)
			bulk_error(g, "bulk OUT", strerror(errno));
		for (int done = 0; done < n;) {
			ssize_t w = write(g->slave, io->data + done, (size_t)(n - done));

			if (w < 0 && errno != EINTR)
				bulk_error(g, "writing to the emulator", strerror(errno));
			done += w > 0 ? (int)w : 0;
		}
	}
	return NULL;
}

static void *bulk_in_thread(void *arg)
{
	struct gadget *g = arg;
	struct usb_raw_ep_io *io = rg_new_io(IN_BUF);

	for (;;) {
		ssize_t n = read(g->slave, io->data, IN_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			bulk_error(g, "reading from the emulator", n ? strerror(errno) : "end of file");
		io->ep = (uint16_t)g->ep_in;
		io->flags = n % BULK_MAX ? 0 : USB_RAW_IO_FLAGS_ZERO;
		io->length = (uint32_t)n;
		if (ioctl(g->rg.fd, USB_RAW_IOCTL_EP_WRITE, io) < 0)
			bulk_error(g, "bulk IN", strerror(errno));
	}
	return NULL;
}

static void start_thread(void *(*fn)(void *), struct gadget *g)
{
	pthread_detach(rg_start_thread(fn, g));
}

/* SET_CONFIGURATION 1: endpoints, the bulk threads. */
static void configure(struct rg_gadget *rg)
{
	struct gadget *g = rg->device;

	rg_enable_endpoint(rg, &notify_ep_desc);
	g->ep_in = rg_enable_endpoint(rg, &bulk_in_desc);
	g->ep_out = rg_enable_endpoint(rg, &bulk_out_desc);
	rg_configured(rg);
	pthread_mutex_lock(&g->lock);
	rg_log(g->events, "configured");
	pthread_mutex_unlock(&g->lock);
	start_thread(bulk_out_thread, g);
	start_thread(bulk_in_thread, g);
}

/* ------------------------------------------------------------------- ep0 */

/* A CDC class request to the comm interface; returns 0, or -1 to stall. */
static int class_request(struct gadget *g, const struct usb_ctrlrequest *c, struct usb_raw_ep_io *io)
{
	unsigned wlength = le16toh(c->wLength), value = le16toh(c->wValue);

	switch (c->bRequest) {
	case USB_CDC_REQ_SET_LINE_CODING:
		if (wlength < sizeof(struct usb_cdc_line_coding))
			return -1;
		if (rg_ep0_receive(&g->rg, io, wlength) >= (int)sizeof(struct usb_cdc_line_coding))
			set_line_coding(g, io->data);
		return 0;
	case USB_CDC_REQ_GET_LINE_CODING:
		pthread_mutex_lock(&g->lock);
		memcpy(io->data, &g->line, sizeof(g->line));
		pthread_mutex_unlock(&g->lock);
		rg_ep0_reply(&g->rg, io, sizeof(g->line), wlength);
		return 0;
	case USB_CDC_REQ_SET_CONTROL_LINE_STATE:
		rg_ep0_receive(&g->rg, io, 0);
		set_control_line_state(g, value);
		return 0;
	case USB_CDC_REQ_SEND_BREAK:
		rg_ep0_receive(&g->rg, io, 0);
		pthread_mutex_lock(&g->lock);
		rg_log(g->events, "break %u", value);
		pthread_mutex_unlock(&g->lock);
		return 0;
	default:
		return -1;
	}
}

/* Every request but the standard ones: CDC class requests to the comm interface. */
static int control_request(struct rg_gadget *rg, const struct usb_ctrlrequest *c,
			   struct usb_raw_ep_io *io)
{
	if ((c->bRequestType & USB_TYPE_MASK) == USB_TYPE_CLASS &&
	    (c->bRequestType & USB_RECIP_MASK) == USB_RECIP_INTERFACE &&
	    le16toh(c->wIndex) == COMM_INTERFACE)
		return class_request(rg->device, c, io);
	return -1;
}

/* ------------------------------------------------------------- lifecycle */

static void usage(void)
{
	fprintf(stderr, "usage: acm-gadget --sim=SPEC --events=FILE [--udc=dummy_udc.0]"
		" [--driver=dummy_udc]\n       acm-gadget --models\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct conf *c)
{
	static const struct { const char *name; size_t off; } opts[] = {
		{ "--sim=", offsetof(struct conf, sim) },
		{ "--events=", offsetof(struct conf, events) },
		{ "--udc=", offsetof(struct conf, udc) },
		{ "--driver=", offsetof(struct conf, driver) },
	};

	if (argc == 2 && !strcmp(argv[1], "--models")) {
		char names[256];

		printf("%s\n", uart_sim_model_names(names, sizeof(names)));
		exit(0);
	}
	c->udc = "dummy_udc.0";
	c->driver = "dummy_udc";
	for (int i = 1; i < argc; i++) {
		size_t k = 0;

		while (k < sizeof(opts) / sizeof(opts[0]) &&
		       strncmp(argv[i], opts[k].name, strlen(opts[k].name)))
			k++;
		if (k == sizeof(opts) / sizeof(opts[0]))
			usage();
		*(const char **)((char *)c + opts[k].off) = argv[i] + strlen(opts[k].name);
	}
	if (!c->sim || !c->events)
		usage();
}

static void start_emulator(struct gadget *g, const struct conf *c)
{
	char err[256];
	const char *model_end = strchr(c->sim, ',');
	int len = model_end ? (int)(model_end - c->sim) : (int)strlen(c->sim);

	g->sim = uart_sim_start(c->sim, err, sizeof(err));
	if (!g->sim)
		rg_fatal("%s", err);
	g->slave = open(uart_sim_slave_path(g->sim), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (g->slave < 0)
		rg_fatal("%s: %s", uart_sim_slave_path(g->sim), strerror(errno));
	snprintf(g->product, sizeof(g->product), "acm-gadget %.*s", len, c->sim);
	g->line.dwDTERate = htole32(9600);
	g->line.bDataBits = 8;
	if (apply_line(g))
		rg_fatal("cannot set the emulator's line: %s", strerror(errno));
}

static void start_gadget(struct gadget *g, const struct conf *c)
{
	static const struct rg_ops ops = { configure, control_request };

	g->desc.device = device_desc;
	g->desc.qualifier = qualifier_desc;
	g->desc.config_len = config_descriptor(g->desc.config);
	g->desc.strings[STRING_MANUFACTURER] = "unbrick";
	g->desc.strings[STRING_PRODUCT] = g->product;
	g->rg.desc = &g->desc;
	g->rg.ops = &ops;
	g->rg.device = g;
	rg_open(&g->rg, c->driver, c->udc);
}

/* Waits for SIGTERM or SIGINT, then writes the emulator's files. */
static int wait_and_stop(struct gadget *g, const sigset_t *stop_signals)
{
	char err[256];
	int sig, rc = 0;

	while (sigwait(stop_signals, &sig))
		;
	atomic_store(&g->rg.closing, 1);
	pthread_mutex_lock(&g->lock);
	if (uart_sim_stop(g->sim, err, sizeof(err))) {
		fprintf(stderr, "acm-gadget: %s\n", err);
		rc = 1;
	}
	g->sim = NULL;
	if (fclose(g->events)) {
		fprintf(stderr, "acm-gadget: writing the events log: %s\n", strerror(errno));
		rc = 1;
	}
	return rc;   /* g->lock stays held: the other threads end with the process */
}

int main(int argc, char **argv)
{
	static struct gadget g = { .rg.fd = -1, .slave = -1 };
	struct conf c = { 0 };
	sigset_t stop_signals;

	parse_args(argc, argv, &c);
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);   /* every thread inherits it */
	pthread_mutex_init(&g.lock, NULL);
	g.events = fopen(c.events, "w");
	if (!g.events)
		rg_fatal("%s: %s", c.events, strerror(errno));
	start_emulator(&g, &c);
	start_gadget(&g, &c);
	pthread_detach(rg_start_thread(rg_ep0_thread, &g.rg));
	_exit(wait_and_stop(&g, &stop_signals));
}
