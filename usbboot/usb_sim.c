/* SPDX-License-Identifier: MIT */
/*
 * sim:MODEL[,key=value...]: a USB device emulator (sim/sim_usb.h) in this
 * process, in model time. The device's clock is the emulator's: its busy
 * times, the bus and our timeouts take no real time. Its path is "sim".
 */
#include "usb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_usb.h"

#define MS 1000000ull
#define WAIT_STEP_MS 100
#define SET_CONFIG_TIMEOUT_MS 1000

struct usbsim {
	struct usb_sim *sim;
};

static enum ub_usb_status status_of(enum usb_sim_status st)
{
	switch (st) {
	case USB_SIM_OK:
		return UB_USB_OK;
	case USB_SIM_STALL:
		return UB_USB_STALL;
	case USB_SIM_TIMEOUT:
		return UB_USB_TIMEOUT;
	case USB_SIM_GONE:
		return UB_USB_GONE;
	}
	return UB_USB_ERROR;
}

static uint64_t timeout_ns(int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : (uint64_t)timeout_ms * MS;
}

static enum ub_usb_status sim_control(void *priv, const struct ub_usb_setup *setup,
				      uint8_t *data, size_t *actual, int timeout_ms,
				      struct ub_err *err)
{
	struct usbsim *us = priv;
	struct usb_sim_setup s = { setup->request_type, setup->request, setup->value,
				   setup->index, setup->length };

	(void)err;
	return status_of(usb_sim_control(us->sim, &s, data, actual, timeout_ns(timeout_ms)));
}

static enum ub_usb_status sim_bulk(void *priv, uint8_t ep, uint8_t *data, size_t len,
				   size_t *actual, int timeout_ms, struct ub_err *err)
{
	struct usbsim *us = priv;

	(void)err;
	if (ep & 0x80)
		return status_of(usb_sim_bulk_in(us->sim, ep, data, len, actual,
						 timeout_ns(timeout_ms)));
	return status_of(usb_sim_bulk_out(us->sim, ep, data, len, actual, timeout_ns(timeout_ms)));
}

/* Stops the emulator, which writes its files (save=, trace=, stats=). */
static int stop_sim(struct usb_sim *sim, struct ub_err *err)
{
	char msg[256];

	if (usb_sim_stop(sim, msg, sizeof(msg)) < 0)
		return ub_fail(err, UB_EFAIL, "USB emulator: %s", msg);
	return 0;
}

static int sim_close(void *priv, struct ub_err *err)
{
	struct usbsim *us = priv;
	int rc = stop_sim(us->sim, err);

	free(us);
	return rc;
}

static int64_t sim_now(void *priv)
{
	const struct usbsim *us = priv;

	return (int64_t)(usb_sim_now(us->sim) / MS);
}

static void sim_sleep(void *priv, int ms)
{
	struct usbsim *us = priv;

	if (ms > 0)
		usb_sim_sleep(us->sim, (uint64_t)ms * MS);
}

static const struct ub_usb_ops sim_ops = {
	.control = sim_control,
	.bulk = sim_bulk,
	.close = sim_close,
	.now = sim_now,
	.sleep = sim_sleep,
};

/* ------------------------------------------------------- opening, listing */

static struct usb_sim *start_sim(const char *model, const char *opts, struct ub_err *err)
{
	char spec[600], msg[256];
	struct usb_sim *sim;

	if (!model) {
		char models[128];

		ub_fail(err, UB_EUSAGE, "sim needs a model: sim:MODEL (models: %s)",
			usb_sim_model_names(models, sizeof(models)));
		return NULL;
	}
	snprintf(spec, sizeof(spec), "%s%s%s", model, opts ? "," : "", opts ? opts : "");
	sim = usb_sim_open(spec, msg, sizeof(msg));
	if (!sim)
		ub_fail(err, UB_EUSAGE, "%s", msg);
	return sim;
}

static void desc_of(const struct usb_sim_device *d, struct ub_usb_desc *desc)
{
	memset(desc, 0, sizeof(*desc));
	snprintf(desc->path, sizeof(desc->path), "sim");
	desc->vid = d->vid;
	desc->pid = d->pid;
	desc->bcd_device = d->bcd_device;
	snprintf(desc->manufacturer, sizeof(desc->manufacturer), "%s", d->manufacturer);
	snprintf(desc->product, sizeof(desc->product), "%s", d->product);
	snprintf(desc->serial, sizeof(desc->serial), "%s", d->serial);
	desc->ep_out = d->ep_out;
	desc->ep_in = d->ep_in;
	desc->max_packet = d->max_packet;
}

/* The device attached and matching ids, after waiting up to wait_ms model time for it. */
static int find_device(struct usb_sim *sim, const char *model, const struct ub_usb_id *ids,
		       size_t nids, int wait_ms, struct ub_usb_desc *desc, struct ub_err *err)
{
	struct usb_sim_device d;
	char want[64];
	int64_t waited = 0;

	while (usb_sim_describe(sim, &d) < 0) {
		if (waited >= wait_ms)
			return ub_fail(err, UB_ENODEV, "no USB device %s found: sim:%s is not "
				       "attached", ub_usb_ids_text(ids, nids, want, sizeof(want)),
				       model);
		usb_sim_sleep(sim, WAIT_STEP_MS * MS);
		waited += WAIT_STEP_MS;
	}
	if (!ub_usb_id_match(ids, nids, d.vid, d.pid))
		return ub_fail(err, UB_ENODEV, "no USB device %s found (sim:%s is %04x:%04x)",
			       ub_usb_ids_text(ids, nids, want, sizeof(want)), model, d.vid, d.pid);
	desc_of(&d, desc);
	return 0;
}

int ub_usbsim_list(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		   struct ub_usb_desc **out, size_t *n, struct ub_err *err)
{
	struct usb_sim *sim = start_sim(arg, opts, err);
	struct ub_usb_desc desc;
	struct ub_err quiet = { 0 };

	*out = NULL;
	*n = 0;
	if (!sim)
		return -1;
	if (find_device(sim, arg, ids, nids, 0, &desc, &quiet) == 0) {
		*out = malloc(sizeof(**out));
		if (!*out) {
			stop_sim(sim, NULL);
			return ub_fail(err, UB_EFAIL, "out of memory");
		}
		**out = desc;
		*n = 1;
	}
	if (stop_sim(sim, err) == 0)
		return 0;
	free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}

/* SET_CONFIGURATION(1), as libusb_set_configuration sends it. */
static int set_configuration(struct ub_usb *usb, struct ub_err *err)
{
	const struct ub_usb_setup setup = { 0x00, 0x09, 1, 0, 0 };

	return ub_usb_control(usb, &setup, NULL, NULL, SET_CONFIG_TIMEOUT_MS, err) == UB_USB_OK
		       ? 0 : -1;
}

/* The handle around a started emulator; NULL (the emulator stopped) when out of memory. */
static struct ub_usb *wrap(struct usb_sim *sim, const char *model,
			   const struct ub_usb_desc *desc, struct ub_err *err)
{
	struct usbsim *us = malloc(sizeof(*us));
	struct ub_usb *usb;
	char name[64];

	if (!us) {
		stop_sim(sim, NULL);
		ub_fail(err, UB_EFAIL, "out of memory");
		return NULL;
	}
	us->sim = sim;
	snprintf(name, sizeof(name), "sim:%s", model);
	usb = ub_usb_new(&sim_ops, us, name, desc);
	if (!usb) {
		sim_close(us, NULL);
		ub_fail(err, UB_EFAIL, "out of memory");
	}
	return usb;
}

int ub_usbsim_open(const char *arg, const char *opts, const struct ub_usb_id *ids, size_t nids,
		   int wait_ms, struct ub_usb **out, struct ub_err *err)
{
	struct usb_sim *sim = start_sim(arg, opts, err);
	struct ub_usb_desc desc;

	*out = NULL;
	if (!sim)
		return -1;
	if (find_device(sim, arg, ids, nids, wait_ms, &desc, err) < 0) {
		stop_sim(sim, NULL);
		return -1;
	}
	*out = wrap(sim, arg, &desc, err);
	if (!*out)
		return -1;
	if (set_configuration(*out, err) < 0) {
		ub_usb_close(*out, NULL);
		*out = NULL;
		return -1;
	}
	return 0;
}
