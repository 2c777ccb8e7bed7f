/* SPDX-License-Identifier: MIT */
/*
 * One USB device, whatever carries it: libusb-1.0 (usbboot/usb_libusb.c) or
 * an emulator in-process in model time (usbboot/usb_sim.c, sim/sim_usb.h).
 * Protocol engines (usbboot/ingenic.c, the CH341A's) talk only to this API
 * and take time only from it (ub_usb_clock_ms, ub_usb_sleep_ms), so that
 * against an emulator their timeouts and polls cost no real time. Nothing
 * here knows a chip.
 *
 * ------------------------------------------------------------------ specs
 *   (none, or "")          libusb: the first attached device matching the ids
 *   BUS-PORT ("1-1.2")     libusb: the device at that path, as in sysfs
 *   libusb[:BUS-PORT]      the same, spelled out
 *   sim:MODEL[,KEY=VALUE]  an emulator (sim/sim_usb.h); its path is "sim"
 * A new backend is one file with its list and open functions and one line
 * in the table (usbboot/usb.c).
 */
#ifndef UNBRICK_USB_H
#define UNBRICK_USB_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "err.h"

#define UB_USB_PATH_MAX 32

/* A device a program drives: vid, and pid (0: any of the vendor's). */
struct ub_usb_id {
	uint16_t vid, pid;
};

/* What enumeration tells about a device, before anything is sent to it. */
struct ub_usb_desc {
	char path[UB_USB_PATH_MAX];  /* bus-port: "1-1.2"; "sim" for an emulator */
	uint16_t vid, pid, bcd_device;
	char manufacturer[64], product[64], serial[64];  /* "" when absent or unreadable */
	uint8_t ep_out, ep_in;       /* interface 0's first bulk OUT and IN endpoint */
	uint16_t max_packet;         /* their wMaxPacketSize */
};

/* A control transfer's setup packet (bmRequestType bit 7 set: device to host). */
struct ub_usb_setup {
	uint8_t request_type, request;
	uint16_t value, index, length;
};

/* What a transfer came to. Anything but OK comes with a message in err. */
enum ub_usb_status {
	UB_USB_OK = 0,
	UB_USB_STALL,    /* the device stalled it (an unknown request); err status 1 */
	UB_USB_TIMEOUT,  /* no answer by the timeout (busy, or hung); err status 3 */
	UB_USB_GONE,     /* the device left the bus (reset, unplugged); err status 3 */
	UB_USB_ERROR,    /* anything else (permissions, the host controller); err status 1 */
};

/* One bulk OUT transfer of an exchange: its last packet may be short, which ends it. */
struct ub_usb_out {
	const uint8_t *data;
	size_t len;
};
#define UB_USB_MAX_OUTS 8

/*
 * A backend's transfers fill err only for UB_USB_ERROR (with what it knows:
 * libusb's error name); the layer words STALL, TIMEOUT and GONE itself,
 * naming the transfer, so the messages are the same whatever carries them.
 * timeout_ms < 0: no limit.
 */
struct ub_usb_ops {
	/* data holds setup->length bytes: sent (OUT) or room for the answer (IN). */
	enum ub_usb_status (*control)(void *priv, const struct ub_usb_setup *setup,
				      uint8_t *data, size_t *actual, int timeout_ms,
				      struct ub_err *err);
	/* ep with bit 7 set: IN (up to len, ends at a short packet); else OUT (all of len). */
	enum ub_usb_status (*bulk)(void *priv, uint8_t ep, uint8_t *data, size_t len,
				   size_t *actual, int timeout_ms, struct ub_err *err);
	/*
	 * Optional: bulk OUT transfers queued together with in_count bulk IN
	 * transfers of at most in_each bytes kept queued while they go (see
	 * ub_usb_exchange). NULL: the OUTs, then the INs one after another.
	 */
	enum ub_usb_status (*exchange)(void *priv, uint8_t ep_out, const struct ub_usb_out *outs,
				       size_t nouts, uint8_t ep_in, uint8_t *in, size_t in_each,
				       size_t in_count, size_t *in_actual, int timeout_ms,
				       struct ub_err *err);
	/* Release and free; 0, or -1 with err (an emulator's files). Always frees. */
	int (*close)(void *priv, struct ub_err *err);
	/* The clock in ms and a wait on it; NULL for both: CLOCK_MONOTONIC and nanosleep. */
	int64_t (*now)(void *priv);
	void (*sleep)(void *priv, int ms);
};

struct ub_usb {
	const struct ub_usb_ops *ops;
	void *priv;
	struct ub_usb_desc desc;
	char name[64];  /* for messages: "usb 1-1.2", "sim:t31" */
};

struct ub_usb_backend {
	struct ub_backend backend;  /* "libusb", "sim" */
	/*
	 * The attached devices matching ids (nids 0: every device), into a
	 * malloc'd array (*out NULL and *n 0 when none); 0 or -1 with err.
	 * arg: the spec's part after "NAME:" (a path for libusb, a model for
	 * sim), NULL when none; opts: after the first ',' or NULL.
	 */
	int (*list)(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		    struct ub_usb_desc **out, size_t *n, struct ub_err *err);
	/*
	 * Open the first device matching ids (and arg's path), waiting up to
	 * wait_ms for one to appear (0: look once); set configuration 1, claim
	 * interface 0 (detaching a kernel driver). No device: -1, err status 3.
	 */
	int (*open)(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		    int wait_ms, struct ub_usb **out, struct ub_err *err);
};
extern const struct ub_usb_backend ub_usb_backends[];  /* ends with a NULL name; libusb first when built */
extern const struct ub_backend_table ub_usb_table;

/* The usage lines, "A, B or C", into buf (cut at len - 1); returns buf. */
char *ub_usb_usages(char *buf, size_t len);

/* As the backends' list and open, from a spec (above). */
int ub_usb_list(const char *spec, const struct ub_usb_id *ids, size_t nids,
		struct ub_usb_desc **out, size_t *n, struct ub_err *err);
int ub_usb_open(const char *spec, const struct ub_usb_id *ids, size_t nids, int wait_ms,
		struct ub_usb **out, struct ub_err *err);
/* Close and free (NULL is fine); 0, or -1 with err (freed anyway). */
int ub_usb_close(struct ub_usb *usb, struct ub_err *err);

/* Does spec name a bus-port path ("1-1.2")? */
int ub_usb_is_path(const char *spec);

/*
 * Transfers. A control transfer's data is setup->length bytes; *actual (may
 * be NULL) gets what moved. bulk_out sends all of len to desc.ep_out;
 * bulk_in reads up to cap from desc.ep_in, ending at a short packet.
 */
enum ub_usb_status ub_usb_control(struct ub_usb *usb, const struct ub_usb_setup *setup,
				  uint8_t *data, size_t *actual, int timeout_ms,
				  struct ub_err *err);
enum ub_usb_status ub_usb_bulk_out(struct ub_usb *usb, const uint8_t *data, size_t len,
				   int timeout_ms, struct ub_err *err);
enum ub_usb_status ub_usb_bulk_in(struct ub_usb *usb, uint8_t *buf, size_t cap, size_t *actual,
				  int timeout_ms, struct ub_err *err);

/*
 * A round trip of a device that answers each OUT packet with a short IN
 * packet (the CH341A): the nouts bulk OUT transfers (at most
 * UB_USB_MAX_OUTS) queued one behind the other, and in_count bulk IN
 * transfers of at most in_each bytes each, queued before them so that the
 * device, not the host, sets the pace (flashrom keeps 32 in flight). The
 * host waits once, for all of it. What the INs bring is packed into in
 * (room for in_each * in_count bytes), in order; *in_actual the bytes. A
 * transfer that comes back empty ends the exchange early.
 */
enum ub_usb_status ub_usb_exchange(struct ub_usb *usb, const struct ub_usb_out *outs,
				   size_t nouts, uint8_t *in, size_t in_each, size_t in_count,
				   size_t *in_actual, int timeout_ms, struct ub_err *err);

/* Milliseconds on the device's clock: CLOCK_MONOTONIC, or the emulator's model clock. */
int64_t ub_usb_clock_ms(struct ub_usb *usb);
/* Wait ms on that clock; an emulator's model time just advances. */
void ub_usb_sleep_ms(struct ub_usb *usb, int ms);

/* For backends: does (vid, pid) match one of ids (nids 0: any device)? */
int ub_usb_id_match(const struct ub_usb_id *ids, size_t nids, uint16_t vid, uint16_t pid);
/* For messages: "a108:c309", "a108:*" (pid 0), "a108:c309 or 1a86:*", "any"; returns buf. */
char *ub_usb_ids_text(const struct ub_usb_id *ids, size_t nids, char *buf, size_t len);

/* Allocate a device handle with a backend's ops; NULL when out of memory. */
struct ub_usb *ub_usb_new(const struct ub_usb_ops *ops, void *priv, const char *name,
			  const struct ub_usb_desc *desc);

/* Backend constructors, for the table. */
int ub_libusb_list(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		   struct ub_usb_desc **out, size_t *n, struct ub_err *err);
int ub_libusb_open(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		   int wait_ms, struct ub_usb **out, struct ub_err *err);
int ub_usbsim_list(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		   struct ub_usb_desc **out, size_t *n, struct ub_err *err);
int ub_usbsim_open(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		   int wait_ms, struct ub_usb **out, struct ub_err *err);

#endif
