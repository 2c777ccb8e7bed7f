/* SPDX-License-Identifier: MIT */
/*
 * usb-probe: single USB transfers to one device through libusb, each
 * reported on a line of stdout, for scripts/vm-test's checks of
 * tests/vm/usb-gadget.c (what a host sees of the device, and that a
 * request the device does not implement is stalled). A test tool: not part
 * of the library.
 *
 * Usage:
 *   usb-probe [--usb BUS-PORT] [--timeout MS] VID:PID OP...
 * OPs, in order, each printing a line:
 *   describe                 "device a108:c309 bcd 0100 class 00 path 1-1"
 *                            "strings manufacturer 'Ingenic' product '...'
 *                             serial none"  (non-ASCII as \xNN of UTF-8)
 *                            "config 1 attributes 80 power 500mA interfaces 1"
 *                            "interface 0 class ff/00/00 endpoints 2"
 *                            "endpoint 01 bulk 512" (one per endpoint)
 *   ctrl TYPE REQ VALUE INDEX LEN [HEX]
 *                            a control transfer (hex fields; LEN decimal; HEX
 *                            the OUT data, zeros when left out):
 *                            "ctrl c0 00 0000 0000 8 -> ok 8 5420322030205620"
 *                            or "-> stall", "-> timeout", "-> error MSG"
 *   out EP LEN               LEN bytes (0x00, 0x01, ... mod 256) to bulk OUT EP:
 *                            "out 01 396 -> ok 396"
 *   in EP LEN                bulk IN of up to LEN bytes:
 *                            "in 81 512 -> ok 12 HEX" (at most 64 bytes shown)
 * The configuration is set to 1 and interface 0 claimed before the first
 * transfer. Exit status: 0 every OP ok, 1 one was not (all still run),
 * 2 bad usage, 3 no such device.
 */
#include <errno.h>
#include <libusb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DATA = 65536, SHOWN = 64 };

struct probe {
	libusb_context *ctx;
	libusb_device_handle *h;
	unsigned timeout_ms;
	int claimed;
};

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
	fprintf(stderr, "usage: usb-probe [--usb BUS-PORT] [--timeout MS] VID:PID OP...\n"
		"  OP: describe | ctrl TYPE REQ VALUE INDEX LEN [HEX] | out EP LEN | in EP LEN\n");
	exit(2);
}

static unsigned long number(const char *s, int base, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || end == s || v > max || s[0] == '-')
		usage();
	return v;
}

/* The bus-port path as sysfs names it: "1-1.2". */
static void path_of(libusb_device *dev, char *buf, size_t len)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(dev, ports, sizeof(ports));
	size_t at = (size_t)snprintf(buf, len, "%u", libusb_get_bus_number(dev));

	for (int i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%c%u", i ? '.' : '-', ports[i]);
}

/* The device vid:pid (at path, when given) opened into p->h; 0, or -1. */
static int open_device(struct probe *p, uint16_t vid, uint16_t pid, const char *path)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(p->ctx, &list);
	int rc = -1;

	for (ssize_t i = 0; i < n && rc; i++) {
		struct libusb_device_descriptor d;
		char at[32];

		path_of(list[i], at, sizeof(at));
		if (libusb_get_device_descriptor(list[i], &d) || d.idVendor != vid ||
		    d.idProduct != pid || (path && strcmp(path, at)))
			continue;
		rc = libusb_open(list[i], &p->h) ? -1 : 0;
	}
	if (n >= 0)
		libusb_free_device_list(list, 1);
	return rc;
}

static void print_string(libusb_device_handle *h, const char *name, uint8_t index)
{
	unsigned char s[256];
	int n;

	if (!index) {
		printf(" %s none", name);
		return;
	}
	n = libusb_get_string_descriptor(h, index, 0x0409, s, sizeof(s));
	if (n < 2) {
		printf(" %s unreadable", name);
		return;
	}
	printf(" %s '", name);
	for (int i = 2; i + 1 < n; i += 2) {   /* UTF-16LE, BMP, as UTF-8 */
		unsigned cp = s[i] | (unsigned)s[i + 1] << 8;

		if (cp >= 0x20 && cp < 0x7f)
			putchar((int)cp);
		else if (cp < 0x80)
			printf("\\x%02x", cp);
		else if (cp < 0x800)
			printf("\\x%02x\\x%02x", 0xc0 | cp >> 6, 0x80 | (cp & 0x3f));
		else
			printf("\\x%02x\\x%02x\\x%02x", 0xe0 | cp >> 12, 0x80 | (cp >> 6 & 0x3f),
			       0x80 | (cp & 0x3f));
	}
	putchar('\'');
}

static int describe(struct probe *p)
{
	libusb_device *dev = libusb_get_device(p->h);
	struct libusb_device_descriptor d;
	struct libusb_config_descriptor *c;
	char path[32];

	if (libusb_get_device_descriptor(dev, &d) || libusb_get_config_descriptor(dev, 0, &c)) {
		printf("describe -> error\n");
		return -1;
	}
	path_of(dev, path, sizeof(path));
	printf("device %04x:%04x bcd %04x class %02x path %s\n", d.idVendor, d.idProduct,
	       d.bcdDevice, d.bDeviceClass, path);
	printf("strings");
	print_string(p->h, "manufacturer", d.iManufacturer);
	print_string(p->h, "product", d.iProduct);
	print_string(p->h, "serial", d.iSerialNumber);
	printf("\nconfig %u attributes %02x power %umA interfaces %u\n", c->bConfigurationValue,
	       c->bmAttributes, c->MaxPower * 2u, c->bNumInterfaces);
	for (int i = 0; i < c->bNumInterfaces; i++) {
		const struct libusb_interface_descriptor *in = &c->interface[i].altsetting[0];

		printf("interface %u class %02x/%02x/%02x endpoints %u\n", in->bInterfaceNumber,
		       in->bInterfaceClass, in->bInterfaceSubClass, in->bInterfaceProtocol,
		       in->bNumEndpoints);
		for (int e = 0; e < in->bNumEndpoints; e++) {
			const struct libusb_endpoint_descriptor *ep = &in->endpoint[e];
			static const char *const types[] = { "control", "iso", "bulk", "interrupt" };

			printf("endpoint %02x %s %u\n", ep->bEndpointAddress,
			       types[ep->bmAttributes & 3], ep->wMaxPacketSize);
		}
	}
	libusb_free_config_descriptor(c);
	return 0;
}

static int claim(struct probe *p)
{
	int rc;

	if (p->claimed)
		return 0;
	rc = libusb_set_configuration(p->h, 1);
	if (!rc)
		rc = libusb_claim_interface(p->h, 0);
	if (rc) {
		printf("claiming interface 0 -> error %s\n", libusb_error_name(rc));
		return -1;
	}
	p->claimed = 1;
	return 0;
}

/* "-> ok N HEX" or the error; 0 for ok. */
static int result(int rc, const uint8_t *data, int n)
{
	if (rc == LIBUSB_ERROR_PIPE) {
		printf(" -> stall\n");
		return -1;
	}
	if (rc == LIBUSB_ERROR_TIMEOUT) {
		printf(" -> timeout\n");
		return -1;
	}
	if (rc < 0) {
		printf(" -> error %s\n", libusb_error_name(rc));
		return -1;
	}
	printf(" -> ok %d", n);
	if (data && n > 0)
		putchar(' ');
	for (int i = 0; data && i < n && i < SHOWN; i++)
		printf("%02x", data[i]);
	putchar('\n');
	return 0;
}

static void hex_data(const char *hex, uint8_t *buf, size_t len)
{
	size_t n = strlen(hex);

	if (n != 2 * len)
		usage();
	for (size_t i = 0; i < len; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		buf[i] = (uint8_t)number(byte, 16, 0xff);
	}
}

/* ctrl TYPE REQ VALUE INDEX LEN [HEX]; returns the arguments used. */
static int control(struct probe *p, char **arg, int left, uint8_t *buf, int *failed)
{
	uint8_t type, req;
	uint16_t value, index, len;
	int used = 5, rc;

	if (left < 5)
		usage();
	type = (uint8_t)number(arg[0], 16, 0xff);
	req = (uint8_t)number(arg[1], 16, 0xff);
	value = (uint16_t)number(arg[2], 16, 0xffff);
	index = (uint16_t)number(arg[3], 16, 0xffff);
	len = (uint16_t)number(arg[4], 10, 0xffff);
	memset(buf, 0, len);
	if (!(type & 0x80) && left > 5 && strspn(arg[5], "0123456789abcdefABCDEF") == strlen(arg[5]) &&
	    strlen(arg[5]) == 2u * len && len) {
		hex_data(arg[5], buf, len);
		used = 6;
	}
	if (claim(p)) {
		*failed = 1;
		return used;
	}
	printf("ctrl %02x %02x %04x %04x %u", type, req, value, index, len);
	rc = libusb_control_transfer(p->h, type, req, value, index, buf, len, p->timeout_ms);
	if (result(rc, type & 0x80 ? buf : NULL, rc))
		*failed = 1;
	return used;
}

/* out EP LEN / in EP LEN; returns the arguments used. */
static int bulk(struct probe *p, int in, char **arg, int left, uint8_t *buf, int *failed)
{
	uint8_t ep;
	int len, got = 0, rc;

	if (left < 2)
		usage();
	ep = (uint8_t)number(arg[0], 16, 0xff);
	len = (int)number(arg[1], 10, MAX_DATA);
	for (int i = 0; i < len; i++)
		buf[i] = in ? 0 : (uint8_t)i;
	if (claim(p)) {
		*failed = 1;
		return 2;
	}
	printf("%s %02x %d", in ? "in" : "out", ep, len);
	rc = libusb_bulk_transfer(p->h, ep, buf, len, &got, p->timeout_ms);
	if (result(rc, in ? buf : NULL, got))
		*failed = 1;
	return 2;
}

int main(int argc, char **argv)
{
	struct probe p = { .timeout_ms = 1000 };
	const char *path = NULL;
	static uint8_t buf[MAX_DATA];
	unsigned long vid, pid;
	int i = 1, failed = 0;
	char *colon;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--usb"))
			path = argv[i + 1];
		else if (!strcmp(argv[i], "--timeout"))
			p.timeout_ms = (unsigned)number(argv[i + 1], 10, 600000);
		else
			usage();
	}
	if (i >= argc || !(colon = strchr(argv[i], ':')))
		usage();
	*colon = '\0';
	vid = number(argv[i], 16, 0xffff);
	pid = number(colon + 1, 16, 0xffff);
	if (libusb_init(&p.ctx)) {
		fprintf(stderr, "usb-probe: libusb_init failed\n");
		return 1;
	}
	if (open_device(&p, (uint16_t)vid, (uint16_t)pid, path)) {
		fprintf(stderr, "usb-probe: no %04lx:%04lx%s%s\n", vid, pid, path ? " at " : "",
			path ? path : "");
		libusb_exit(p.ctx);
		return 3;
	}
	for (i++; i < argc;) {
		const char *op = argv[i++];

		if (!strcmp(op, "describe"))
			failed |= describe(&p) != 0;
		else if (!strcmp(op, "ctrl"))
			i += control(&p, argv + i, argc - i, buf, &failed);
		else if (!strcmp(op, "out") || !strcmp(op, "in"))
			i += bulk(&p, op[0] == 'i', argv + i, argc - i, buf, &failed);
		else
			usage();
		fflush(stdout);
	}
	if (p.claimed)
		libusb_release_interface(p.h, 0);
	libusb_close(p.h);
	libusb_exit(p.ctx);
	return failed;
}
