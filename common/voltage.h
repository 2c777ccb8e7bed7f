/* SPDX-License-Identifier: MIT */
/*
 * Supply-voltage check: read the target's supply rail from an IIO ADC
 * (libiio) and refuse outside a range, before anything is written.
 *
 * Spec: "DEVICE:CHANNEL[,min=V][,max=V][,divider=K][,uri=URI]"
 *   DEVICE   IIO device name, label or id ("ads1015", "iio:device0"); it may
 *            contain ':' (the channel is after the last one)
 *   CHANNEL  input channel id or name ("voltage0")
 *   min,max  volts, default 3.0 and 3.6 (a 3.3 V chip); a trailing V is allowed
 *   divider  resistor divider on the rail: volts = ADC volts * K (default 1)
 *   uri      libiio context ("local:", "ip:HOST", "usb:...", "serial:...");
 *            default the local one. It must come last: it takes the rest of
 *            the spec, commas included (serial URIs have them).
 * The reading is (raw + offset) * scale millivolts (IIO ABI; offset and scale
 * optional), or the channel's processed "input" when it has no "raw".
 *
 * Built without libiio (no UB_HAVE_IIO) a spec still gets its syntax
 * checked, then fails with UB_EUSAGE: "built without libiio".
 */
#ifndef UNBRICK_VOLTAGE_H
#define UNBRICK_VOLTAGE_H

#include "err.h"
#include "log.h"

#define UB_VOLTAGE_DEFAULT_MIN 3.0
#define UB_VOLTAGE_DEFAULT_MAX 3.6

struct ub_voltage_spec {
	char device[256];
	char channel[64];
	char uri[512];     /* "" = the default (local) context */
	double min, max;   /* volts at the rail */
	double divider;
};

/* "libiio 0.x" or "none": what this binary was built with. */
const char *ub_voltage_backend(void);

/* Parse and check a spec without touching any device. UB_EUSAGE on error. */
int ub_voltage_parse(const char *spec, struct ub_voltage_spec *out,
		     struct ub_err *err);

/*
 * Read the rail and check it against [min, max]. Logs the reading at info
 * level on success. *volts (may be NULL) is set whenever a reading was made,
 * in range or not. Errors: UB_EFAIL out of range or unreadable, UB_ENODEV
 * no context/device/channel.
 */
int ub_voltage_check_parsed(const struct ub_voltage_spec *vs,
			    const struct ub_log *log, double *volts,
			    struct ub_err *err);

#ifdef UB_HAVE_IIO
/* The reader (voltage_iio.c): volts at the rail, range not checked. */
int ub_voltage_read_iio(const struct ub_voltage_spec *vs, const struct ub_log *log,
			double *volts, struct ub_err *err);
#endif

#endif
