/* SPDX-License-Identifier: MIT */
/*
 * A USB device emulator, run in the host's process in model time: the
 * usbboot/ sim backend is its host (and tests talk to it directly). The
 * host makes transfers; each advances ONE model clock by what the device
 * and the bus take (a bulk byte at high speed, the device's busy times, a
 * NAKed transfer's wait), so a 16 MiB dump takes no real time and a
 * timeout on a silent device ends at once. Nothing here waits for real
 * time.
 *
 * Independent of the host code: the emulator uses only libc, sim/sim_file.h
 * and common/parse.h.
 *
 * ------------------------------------------------------------------ specs
 * "MODEL[,key=value...]", e.g. "t31,image=flash.bin,save=out.bin". The
 * runner takes pace=0|1 itself (default 1: bus and busy times modelled; 0:
 * transfers take no model time, the device's own timeouts stay) and
 * wire=FILE: every transfer the host makes, one line each as the device
 * saw it, written when it completes (tests/usbcap.c reads it back):
 *   START_NS END_NS control TYPE REQ VALUE INDEX LENGTH STATUS ACTUAL DATA
 *   START_NS END_NS bulk EP ASKED MOVED STATUS
 * START_NS/END_NS: model time (decimal) when the host made the call and
 * when it returned. control: the setup fields in hex (2, 2, 4, 4, 4
 * digits), ACTUAL the bytes moved (decimal), DATA the OUT data the host
 * sent (all wLength bytes) or the IN answer it got (ACTUAL bytes), in hex
 * without spaces, "-" when none. bulk: EP in hex (0x80 set for IN), ASKED
 * the host's length (the buffer's room for IN), MOVED the bytes moved.
 * STATUS: ok, stall, timeout or gone. Lines starting with '#' are
 * comments (the first names the fields). Every other key goes to the
 * model; the options every emulator shares keep
 * their meaning (image=, save=, trace=, stats=, seed=; see sim/sim_uart.h).
 * Models: usb_sim_model_names().
 */
#ifndef UNBRICK_SIM_USB_H
#define UNBRICK_SIM_USB_H

#include <stddef.h>
#include <stdint.h>

struct usb_sim;

/* A control transfer's setup packet, as on the wire (bmRequestType bit 7: device to host). */
struct usb_sim_setup {
	uint8_t bmRequestType;
	uint8_t bRequest;
	uint16_t wValue, wIndex, wLength;
};

/* What a transfer came to. */
enum usb_sim_status {
	USB_SIM_OK = 0,
	USB_SIM_STALL = 1,    /* the device stalled the endpoint (an unknown request) */
	USB_SIM_TIMEOUT = 2,  /* the device NAKed until the host's timeout */
	USB_SIM_GONE = 3,     /* the device is not attached (reset, disconnect fault) */
};

/* What a host sees before it talks: the descriptors that matter. */
struct usb_sim_device {
	uint16_t vid, pid, bcd_device;
	char manufacturer[64], product[64], serial[64];  /* "" when the device has none */
	uint8_t ep_out, ep_in;                           /* bulk endpoint addresses (0x01, 0x81) */
	uint16_t max_packet;                             /* bulk wMaxPacketSize (512 at high speed) */
};

/* Start an emulator; NULL with a one-line message in err. */
struct usb_sim *usb_sim_open(const char *spec, char *err, size_t errlen);
/* Stop, write the model's files (save=, trace=, stats=), free; 0 or -1 with err. */
int usb_sim_stop(struct usb_sim *sim, char *err, size_t errlen);

/* The descriptors now; 0, or -1 when no device is attached. */
int usb_sim_describe(struct usb_sim *sim, struct usb_sim_device *dev);

/*
 * The host side, in model time (nanoseconds since the emulator started).
 * Timeouts are in nanoseconds; UINT64_MAX waits without a limit (a device
 * that will never answer then gives USB_SIM_TIMEOUT at once).
 *
 * control: data holds wLength bytes: what the host sends (OUT), or room for
 * what the device answers (IN); *actual the bytes moved.
 * bulk_out: all of len, or what went before a stall or timeout (*actual).
 * bulk_in: up to cap bytes of what the device has queued on ep; it ends at
 * a short packet or at cap, as libusb's does.
 */
enum usb_sim_status usb_sim_control(struct usb_sim *sim, const struct usb_sim_setup *setup,
				    uint8_t *data, size_t *actual, uint64_t timeout_ns);
enum usb_sim_status usb_sim_bulk_out(struct usb_sim *sim, uint8_t ep, const uint8_t *data,
				     size_t len, size_t *actual, uint64_t timeout_ns);
enum usb_sim_status usb_sim_bulk_in(struct usb_sim *sim, uint8_t ep, uint8_t *buf, size_t cap,
				    size_t *actual, uint64_t timeout_ns);
uint64_t usb_sim_now(const struct usb_sim *sim);
void usb_sim_sleep(struct usb_sim *sim, uint64_t ns);

/* The known models, ", "-separated, into buf (cut at len - 1); returns buf. */
char *usb_sim_model_names(char *buf, size_t len);

/*
 * For models (sim/sim_CHIP.c); hosts need none of this. The runner calls a
 * model from one thread, with now_ns the model time. A model is listed in
 * sim/sim_usb_models.c and nowhere else. Every callback but create and
 * describe may be NULL (then: STALL for control and bulk, no busy time, no
 * events, free(dev)).
 */
struct usb_sim_model {
	const char *name;
	void *(*create)(const char *opts, int pace, char *err, size_t errlen);
	/* The descriptors now; 0, or -1 when detached (being reset, a disconnect fault). */
	int (*describe)(void *dev, uint64_t now_ns, struct usb_sim_device *d);
	/*
	 * A control transfer arriving at now_ns. The model fills (IN) or takes
	 * (OUT) data, sets *actual, and *done_ns when it completes (its ACK);
	 * a device busy with something else NAKs until then.
	 */
	enum usb_sim_status (*control)(void *dev, uint64_t now_ns, const struct usb_sim_setup *s,
				       uint8_t *data, size_t *actual, uint64_t *done_ns);
	/* Bulk OUT bytes at now_ns; *taken of them, the rest NAKed until *done_ns. */
	enum usb_sim_status (*bulk_out)(void *dev, uint64_t now_ns, uint8_t ep, const uint8_t *data,
					size_t len, size_t *taken, uint64_t *done_ns);
	/*
	 * Bulk IN at now_ns: up to cap bytes queued on ep into buf (*actual), or
	 * none yet with *ready_ns when some will be (UINT64_MAX: only after more
	 * host traffic).
	 */
	enum usb_sim_status (*bulk_in)(void *dev, uint64_t now_ns, uint8_t ep, uint8_t *buf,
				       size_t cap, size_t *actual, uint64_t *ready_ns);
	/* When the device next changes by itself (boots, finishes a flash op); UINT64_MAX: never. */
	uint64_t (*next_event)(void *dev, uint64_t now_ns);
	/* Let the device reach now_ns (called before any transfer and when time passes). */
	void (*advance)(void *dev, uint64_t now_ns);
	/* Write save=, stats=, close trace=, free dev; 0 or -1 with err. */
	int (*finish)(void *dev, char *err, size_t errlen);
	/*
	 * 0: the runner charges its high-speed bus (sim/sim_usb.c). 1: the
	 * model charges the bus itself through its done/ready times (a
	 * full-speed device's 1 ms frames; pace is passed to create).
	 */
	int own_bus;
};

/*
 * For models: the standard requests a vendor-class device answers (USB 2.0
 * ch. 9): GET_STATUS (two zero bytes), CLEAR_FEATURE, SET_CONFIGURATION and
 * SET_INTERFACE taken; any other STALLs.
 */
enum usb_sim_status usb_sim_standard_request(const struct usb_sim_setup *s, uint8_t *data,
					     size_t *actual);

#endif
