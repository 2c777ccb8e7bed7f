/* SPDX-License-Identifier: MIT */
/* Supply-voltage check: the spec and the range; the reading is voltage_iio.c's. */
#include "voltage.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define WITHOUT_IIO "built without libiio; rebuild with libiio-dev installed"
#define SPEC_USAGE "expected DEVICE:CHANNEL[,min=V][,max=V][,divider=K][,uri=URI]"

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
	if (parse_head(&s, spec, out, err) || parse_opts(s.opts, spec, out, err) ||
	    check_range(out, spec, err))
		return -1;
#ifndef UB_HAVE_IIO
	return ub_fail(err, UB_EUSAGE, "cannot check the supply voltage '%s': " WITHOUT_IIO, spec);
#else
	return 0;
#endif
}

/* ---- the rail ---- */

/* The one reader, compiled in or not. */
static int read_rail(const struct ub_voltage_spec *vs, const struct ub_log *log,
		     double *volts, struct ub_err *err)
{
#ifdef UB_HAVE_IIO
	return ub_voltage_read_iio(vs, log, volts, err);
#else
	(void)log;
	(void)volts;
	return ub_fail(err, UB_EUSAGE, "cannot check the supply voltage on %s:%s: " WITHOUT_IIO,
		       vs->device, vs->channel);
#endif
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
	double v = 0;

	if (read_rail(vs, log, &v, err))
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

const char *ub_voltage_backend(void)
{
#ifdef UB_HAVE_IIO
	return "libiio 0.x";
#else
	return "none";
#endif
}
