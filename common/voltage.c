/* SPDX-License-Identifier: MIT */
/* Supply-voltage check through libiio 0.x (see voltage.h). */
#include "voltage.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iio.h>

#include "parse.h"

#define SPEC_USAGE "expected DEVICE:CHANNEL[,min=V][,max=V][,divider=K][,uri=URI]"

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

/* ---- the spec ---- */

static int bad_spec(struct ub_err *err, const char *spec, const char *why)
{
	return ub_fail(err, UB_EUSAGE, "bad voltage spec '%s': %s", spec, why);
}

/* Volts or a ratio: a finite number >= 0, with an optional "V" for volts. */
static int parse_number(const char *s, bool volts, double *out)
{
	char *end;
	double v;

	if (!*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	if (volts && (*end == 'V' || *end == 'v'))
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int copy_str(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/*
 * DEVICE:CHANNEL, where DEVICE may itself hold a ':' ("iio:device0"):
 * ub_spec_parse cut at the first ':', so the channel is after the last.
 */
static int parse_head(const struct ub_spec *s, const char *spec,
		      struct ub_voltage_spec *out, struct ub_err *err)
{
	const char *colon = strrchr(s->arg, ':');
	const char *chan = colon ? colon + 1 : s->arg;
	int n;

	if (!*chan)
		return bad_spec(err, spec, "missing CHANNEL after DEVICE: (e.g. ads1015:voltage0)");
	if (colon)
		n = snprintf(out->device, sizeof(out->device), "%s:%.*s", s->name,
			     (int)(colon - s->arg), s->arg);
	else
		n = snprintf(out->device, sizeof(out->device), "%s", s->name);
	if (n < 0 || (size_t)n >= sizeof(out->device) ||
	    copy_str(out->channel, sizeof(out->channel), chan, strlen(chan)))
		return bad_spec(err, spec, "device or channel name too long");
	return 0;
}

enum { OPT_MIN = 1, OPT_MAX = 2, OPT_DIVIDER = 4 };

static int parse_uri(const char *uri, const char *spec,
		     struct ub_voltage_spec *out, struct ub_err *err)
{
	const char *colon = strchr(uri, ':');

	if (!colon || colon == uri)
		return bad_spec(err, spec, "uri needs a libiio URI such as local:, ip:HOST or usb:BUS.DEV.IF");
	if (copy_str(out->uri, sizeof(out->uri), uri, strlen(uri)))
		return bad_spec(err, spec, "uri too long");
	return 0;
}

static int parse_opt(const char *key, const char *val, const char *spec,
		     unsigned int *seen, struct ub_voltage_spec *out,
		     struct ub_err *err)
{
	unsigned int bit = OPT_DIVIDER;
	double *field = &out->divider;
	bool volts = true;

	if (strcmp(key, "min") == 0) {
		bit = OPT_MIN;
		field = &out->min;
	} else if (strcmp(key, "max") == 0) {
		bit = OPT_MAX;
		field = &out->max;
	} else if (strcmp(key, "divider") == 0) {
		volts = false;
	} else {
		return ub_fail(err, UB_EUSAGE,
			       "bad voltage spec '%s': unknown option '%s' (known: min, max, divider, uri)",
			       spec, key);
	}
	if (*seen & bit)
		return ub_fail(err, UB_EUSAGE, "bad voltage spec '%s': %s given twice", spec, key);
	*seen |= bit;
	if (parse_number(val, volts, field))
		return ub_fail(err, UB_EUSAGE, "bad voltage spec '%s': bad %s '%s' (%s)",
			       spec, key, val, volts ? "volts, e.g. 3.0" : "a ratio, e.g. 2");
	return 0;
}

static int parse_opts(const char *opts, const char *spec,
		      struct ub_voltage_spec *out, struct ub_err *err)
{
	unsigned int seen = 0;
	char key[16], val[64];

	for (;;) {
		int r;

		/* uri takes the rest: serial URIs hold commas. */
		if (strncmp(opts, "uri=", 4) == 0)
			return parse_uri(opts + 4, spec, out, err);
		r = ub_kv_next(&opts, key, sizeof(key), val, sizeof(val));
		if (r == 0)
			return 0;
		if (r < 0)
			return bad_spec(err, spec, "empty or overlong option; " SPEC_USAGE);
		if (parse_opt(key, val, spec, &seen, out, err))
			return -1;
	}
}

static int check_range(const struct ub_voltage_spec *vs, const char *spec,
		       struct ub_err *err)
{
	if (vs->min >= vs->max)
		return ub_fail(err, UB_EUSAGE,
			       "bad voltage spec '%s': min %.2f V is not below max %.2f V",
			       spec, vs->min, vs->max);
	if (vs->divider <= 0)
		return bad_spec(err, spec, "divider must be above 0");
	return 0;
}

int ub_voltage_parse(const char *spec, struct ub_voltage_spec *out,
		     struct ub_err *err)
{
	struct ub_spec s;

	memset(out, 0, sizeof(*out));
	out->min = UB_VOLTAGE_DEFAULT_MIN;
	out->max = UB_VOLTAGE_DEFAULT_MAX;
	out->divider = 1.0;
	if (!spec || !*spec)
		return ub_fail(err, UB_EUSAGE, "empty voltage spec: " SPEC_USAGE);
	if (strlen(spec) >= sizeof(s.buf))
		return ub_fail(err, UB_EUSAGE, "voltage spec too long (%zu characters, at most %zu)",
			       strlen(spec), sizeof(s.buf) - 1);
	if (ub_spec_parse(spec, &s))
		return bad_spec(err, spec, SPEC_USAGE);
	if (parse_head(&s, spec, out, err) || parse_opts(s.opts, spec, out, err))
		return -1;
	return check_range(out, spec, err);
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

static const char *danger(const struct ub_voltage_spec *vs, double v)
{
	if (v < vs->min)
		return "is the target powered?";
	return v >= 4.5 && vs->max < 4.5 ? "is the adapter set to 5 V?"
					 : "too high for the chip:";
}

int ub_voltage_check_parsed(const struct ub_voltage_spec *vs,
			    const struct ub_log *log, double *volts,
			    struct ub_err *err)
{
	struct iio_context *ctx;
	double v = 0;
	int rc;

	if (open_context(vs, &ctx, err))
		return -1;
	rc = measure(ctx, vs, log, &v, err);
	iio_context_destroy(ctx);
	if (rc)
		return -1;
	if (volts)
		*volts = v;
	if (v < vs->min || v > vs->max)
		return ub_fail(err, UB_EFAIL,
			       "supply reads %.2f V on %s:%s, outside %.2f-%.2f V: %s refusing to write",
			       v, vs->device, vs->channel, vs->min, vs->max, danger(vs, v));
	ub_info(log, "supply %.2f V on %s:%s (%.2f-%.2f V)", v, vs->device,
		vs->channel, vs->min, vs->max);
	return 0;
}

int ub_voltage_check(const char *spec, const struct ub_log *log, double *volts,
		     struct ub_err *err)
{
	struct ub_voltage_spec vs;

	if (ub_voltage_parse(spec, &vs, err))
		return -1;
	return ub_voltage_check_parsed(&vs, log, volts, err);
}

const char *ub_voltage_backend(void)
{
	return "libiio 0.x";
}
