/* SPDX-License-Identifier: MIT */
/* The supply rail read through libiio 0.x (builds with UB_HAVE_IIO; see voltage.h). */
#include "voltage.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <iio.h>

/*
 * ---- libiio 0.x ----
 * The only calls whose form differs in 1.x (<iio/iio.h>: contexts from
 * iio_create_context(NULL, uri) checked with iio_err(), attributes through
 * iio_channel_find_attr() + iio_attr_read_double()). Each returns an errno
 * value, 0 on success.
 */

static int ctx_open(const char *uri, struct iio_context **out)
{
	errno = 0;
	*out = *uri ? iio_create_context_from_uri(uri) : iio_create_local_context();
	return *out ? 0 : (errno ? errno : EIO);
}

static bool attr_present(const struct iio_channel *chn, const char *attr)
{
	return iio_channel_find_attr(chn, attr) != NULL;
}

static int attr_read_double(const struct iio_channel *chn, const char *attr,
			    double *out)
{
	int rc = iio_channel_attr_read_double(chn, attr, out);

	return rc < 0 ? -rc : 0;
}

/* ---- reading the rail ---- */

/* Append ", name" (the first without the comma; "..." from the ninth on). */
static void append_name(char *buf, size_t size, unsigned int i, const char *name)
{
	size_t n = strlen(buf);

	if (n + 1 >= size)
		return;
	snprintf(buf + n, size - n, "%s%s", i ? ", " : "", i < 8 ? name : "...");
}

static int no_device(const struct iio_context *ctx, const char *device,
		     struct ub_err *err)
{
	unsigned int i, count = iio_context_get_devices_count(ctx);
	char names[200] = "";

	for (i = 0; i < count && i <= 8; i++) {
		const struct iio_device *dev = iio_context_get_device(ctx, i);
		const char *name = iio_device_get_name(dev);

		append_name(names, sizeof(names), i, name ? name : iio_device_get_id(dev));
	}
	return ub_fail(err, UB_ENODEV, "no IIO device '%s' (found: %s)", device,
		       count ? names : "none");
}

static int no_channel(const struct iio_device *dev, const struct ub_voltage_spec *vs,
		      struct ub_err *err)
{
	unsigned int i, n = 0, count = iio_device_get_channels_count(dev);
	char names[200] = "";

	for (i = 0; i < count && n <= 8; i++) {
		const struct iio_channel *chn = iio_device_get_channel(dev, i);

		if (!iio_channel_is_output(chn))
			append_name(names, sizeof(names), n++, iio_channel_get_id(chn));
	}
	return ub_fail(err, UB_ENODEV, "IIO device '%s' has no input channel '%s' (has: %s)",
		       vs->device, vs->channel, n ? names : "none");
}

static int read_attr(const struct iio_channel *chn, const char *attr,
		     const struct ub_voltage_spec *vs, double *out,
		     struct ub_err *err)
{
	int e = attr_read_double(chn, attr, out);

	if (e)
		return ub_fail_errno(err, UB_EFAIL, e, "cannot read %s of %s:%s",
				     attr, vs->device, vs->channel);
	if (!isfinite(*out))
		return ub_fail(err, UB_EFAIL, "%s of %s:%s is not a number",
			       attr, vs->device, vs->channel);
	return 0;
}

/* Millivolts at the ADC input, per the IIO ABI: (raw + offset) * scale. */
static int read_millivolts(const struct iio_channel *chn,
			   const struct ub_voltage_spec *vs,
			   const struct ub_log *log, double *mv,
			   struct ub_err *err)
{
	double raw, offset = 0.0, scale = 1.0;

	if (iio_channel_get_type(chn) != IIO_VOLTAGE)
		return ub_fail(err, UB_EUSAGE, "IIO channel %s:%s is not a voltage channel",
			       vs->device, vs->channel);
	if (!attr_present(chn, "raw")) {
		if (!attr_present(chn, "input"))
			return ub_fail(err, UB_EUSAGE,
				       "IIO channel %s:%s has neither a raw nor an input value",
				       vs->device, vs->channel);
		return read_attr(chn, "input", vs, mv, err);
	}
	if (read_attr(chn, "raw", vs, &raw, err) ||
	    (attr_present(chn, "offset") && read_attr(chn, "offset", vs, &offset, err)) ||
	    (attr_present(chn, "scale") && read_attr(chn, "scale", vs, &scale, err)))
		return -1;
	*mv = (raw + offset) * scale;
	ub_debug(log, "%s:%s: raw %g, offset %g, scale %g: %g mV at the ADC",
		 vs->device, vs->channel, raw, offset, scale, *mv);
	return 0;
}

static int open_context(const struct ub_voltage_spec *vs,
			struct iio_context **ctx, struct ub_err *err)
{
	int e = ctx_open(vs->uri, ctx);

	if (!e)
		return 0;
	if (e == ENOENT && !*vs->uri)
		return ub_fail(err, UB_ENODEV,
			       "no IIO devices on this machine (no /sys/bus/iio/devices) for %s:%s",
			       vs->device, vs->channel);
	if (e == ENOSYS)
		return ub_fail(err, UB_EUSAGE, "IIO URI '%s' is not supported by this libiio",
			       vs->uri);
	return ub_fail_errno(err, UB_ENODEV, e, "cannot open IIO context '%s'",
			     *vs->uri ? vs->uri : "local:");
}

static int measure(const struct iio_context *ctx, const struct ub_voltage_spec *vs,
		   const struct ub_log *log, double *volts, struct ub_err *err)
{
	const struct iio_device *dev = iio_context_find_device(ctx, vs->device);
	const struct iio_channel *chn;
	double mv;

	if (!dev)
		return no_device(ctx, vs->device, err);
	chn = iio_device_find_channel(dev, vs->channel, false);
	if (!chn)
		return no_channel(dev, vs, err);
	if (read_millivolts(chn, vs, log, &mv, err))
		return -1;
	*volts = mv / 1000.0 * vs->divider;
	if (!isfinite(*volts))
		return ub_fail(err, UB_EFAIL, "%s:%s gives no usable reading",
			       vs->device, vs->channel);
	return 0;
}

int ub_voltage_read_iio(const struct ub_voltage_spec *vs, const struct ub_log *log,
			double *volts, struct ub_err *err)
{
	struct iio_context *ctx;
	int rc;

	if (open_context(vs, &ctx, err))
		return -1;
	rc = measure(ctx, vs, log, volts, err);
	iio_context_destroy(ctx);
	return rc;
}
