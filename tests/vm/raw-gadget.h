/* SPDX-License-Identifier: MIT */
/*
 * What the VM tier's USB devices share (tests/vm/acm-gadget.c,
 * tests/vm/usb-gadget.c): a device on raw_gadget (/dev/raw-gadget, here on
 * dummy_hcd) that does its whole enumeration itself. This file answers the
 * standard requests from a set of descriptors and hands every other
 * control request to the device; the device enables its endpoints when the
 * host configures it and moves its data with the ep0/ep helpers below.
 * Test tools, not part of the library: an error the device cannot expect
 * ends the process (status 1) with a message naming the program.
 *
 * ep0 is served by one thread, rg_ep0_thread(), one request at a time, as
 * raw_gadget delivers them: while a request is unanswered the kernel stalls
 * any further one by itself.
 */
#ifndef UNBRICK_VM_RAW_GADGET_H
#define UNBRICK_VM_RAW_GADGET_H

#include <linux/usb/ch9.h>
#include <linux/usb/raw_gadget.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

enum {
	RG_EP0_MAX = 64,       /* bMaxPacketSize0 */
	RG_EP0_BUF = 512,      /* the longest ep0 data stage the devices handle */
	RG_CONFIG_MAX = 256,   /* the configuration descriptor with all that follows */
	RG_STRINGS = 4,        /* string indexes 1..3 */
};

/* What GET_DESCRIPTOR answers. */
struct rg_descriptors {
	struct usb_device_descriptor device;
	struct usb_qualifier_descriptor qualifier;  /* bLength 0: none (full speed only) */
	unsigned char config[RG_CONFIG_MAX];  /* wTotalLength bytes */
	size_t config_len;
	const char *strings[RG_STRINGS];      /* UTF-8, by index (0 unused); NULL: none */
};

struct rg_gadget;

struct rg_ops {
	/*
	 * The host set the configuration (the first time only; a second
	 * SET_CONFIGURATION is just acknowledged): enable the endpoints with
	 * rg_enable_endpoint, call rg_configured, start the data threads.
	 */
	void (*configure)(struct rg_gadget *g);
	/*
	 * Any request that is not a standard one, with io for its data
	 * (RG_EP0_BUF bytes): answer it with rg_ep0_reply or rg_ep0_receive
	 * and return 0, or return -1 to have it stalled. A request it leaves
	 * unanswered stays pending (the host times out).
	 */
	int (*request)(struct rg_gadget *g, const struct usb_ctrlrequest *c,
		       struct usb_raw_ep_io *io);
};

struct rg_gadget {
	int fd;                             /* /dev/raw-gadget; -1 when closed */
	const struct rg_descriptors *desc;
	const struct rg_ops *ops;
	void *device;                       /* the device's own state, for ops */
	int speed;                          /* USB_SPEED_FULL or USB_SPEED_HIGH; 0: high */
	int configured;                     /* the ep0 thread's */
	atomic_int closing;                 /* I/O errors are expected from now on */
};

/* "PROGRAM: message" on stderr, exit 1. */
void rg_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* One line of an event log: CLOCK_MONOTONIC seconds, a space, the text; flushed. */
void rg_log(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An ioctl argument with room for cap data bytes, zeroed (for valgrind). */
struct usb_raw_ep_io *rg_new_io(size_t cap);

/* desc appended to buf at at; returns the new end. */
size_t rg_append(unsigned char *buf, size_t at, const void *desc, size_t len);

/* String descriptor of a UTF-8 string (BMP only) into buf (255 bytes); its length. */
size_t rg_string_descriptor(const char *utf8, unsigned char *buf);

/*
 * Opens /dev/raw-gadget, binds to udc (of driver) at g->speed and runs. The
 * UDC may bring it up slower (dummy_hcd loaded with is_high_speed=0 is full
 * speed only), never faster.
 */
void rg_open(struct rg_gadget *g, const char *driver, const char *udc);
/* Closes it: the device leaves the bus. No thread may be inside an ioctl on it. */
void rg_close(struct rg_gadget *g);

/* An endpoint as desc says; its raw_gadget handle. */
int rg_enable_endpoint(const struct rg_gadget *g, const struct usb_endpoint_descriptor *desc);
/* USB_RAW_IOCTL_CONFIGURE: the device is configured. */
void rg_configured(const struct rg_gadget *g);

/* ep0's answers to the request being handled: a STALL; */
void rg_ep0_stall(const struct rg_gadget *g);
/* the IN data stage, len bytes of io's data cut at wlength; */
void rg_ep0_reply(const struct rg_gadget *g, struct usb_raw_ep_io *io, size_t len,
		  unsigned wlength);
/* the OUT data stage (len 0: the status stage only), returning the bytes. */
int rg_ep0_receive(const struct rg_gadget *g, struct usb_raw_ep_io *io, unsigned len);

/* A thread running fn(arg). */
pthread_t rg_start_thread(void *(*fn)(void *), void *arg);

/*
 * The ep0 thread (arg: the struct rg_gadget): fetches and answers control
 * requests until the gadget is closing and an ioctl fails or is
 * interrupted; then it returns.
 */
void *rg_ep0_thread(void *arg);

#endif
