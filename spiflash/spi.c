/* SPDX-License-Identifier: MIT */
#include "spi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define SPEED_MAX_HZ 200000000u

const struct ub_spi_backend ub_spi_backends[] = {
	{ { "spidev", "spidev:/dev/spidevB.C[,speed=HZ][,mode=0|3]" }, ub_spidev_open, 0 },
	{ { "sim", "sim:MODEL[,speed=HZ][,KEY=VALUE...]" }, ub_spisim_open, 0 },
	{ { "ch341a", "ch341a:[BUS-PORT|sim,chip=MODEL[,KEY=VALUE...]]" }, ub_ch341a_open,
	  1400000 },
	{ { NULL, NULL }, NULL, 0 },
};

const struct ub_backend_table ub_spi_table = UB_BACKEND_TABLE(ub_spi_backends);

static const struct ub_spi_backend *find_backend(const char *name)
{
	return (const struct ub_spi_backend *)ub_backend_find(&ub_spi_table, name, strlen(name));
}

static const char *usages(char *buf, size_t len)
{
	return ub_backend_usages(&ub_spi_table, buf, len);
}

/*
 * Take speed=HZ out of opts (the layer's option) and copy the rest, item by
 * item as written, into rest for the backend.
 */
static int split_speed(const char *backend, const char *opts, uint32_t *hz,
		       char *rest, size_t restlen, struct ub_err *err)
{
	size_t used = 0;

	*hz = 0;
	rest[0] = '\0';
	while (*opts) {
		size_t n = strcspn(opts, ",");
		uint64_t v;
		char val[64];

		if (strncmp(opts, "speed=", 6) != 0 && !(n == 5 && !strncmp(opts, "speed", 5))) {
			used += (size_t)snprintf(rest + used, restlen - used, "%s%.*s",
						 used ? "," : "", (int)n, opts);
		} else if (*hz) {
			return ub_fail(err, UB_EUSAGE, "%s: speed given twice", backend);
		} else {
			snprintf(val, sizeof(val), "%.*s", n > 6 ? (int)(n - 6) : 0, opts + 6);
			if (ub_parse_hz(val, &v) || v == 0 || v > SPEED_MAX_HZ)
				return ub_fail(err, UB_EUSAGE, "%s: bad speed '%s' (e.g. speed=1M)",
					       backend, val);
			*hz = (uint32_t)v;
		}
		opts += n + (opts[n] == ',');
	}
	return 0;
}

static int refuse_speed(const struct ub_spi_backend *b, const char *what, struct ub_err *err)
{
	return ub_fail(err, UB_EUSAGE, "%s: this adapter's SPI clock is its own (about %u kHz) "
		       "and nothing sets it: drop %s", b->backend.name, b->fixed_hz / 1000, what);
}

static int open_backend(const struct ub_spi_backend *b, const struct ub_spec *s,
			const struct ub_log *log, struct ub_spi *spi, struct ub_err *err)
{
	struct ub_err close_err;
	char rest[sizeof(s->buf)];
	uint32_t hz;

	if (split_speed(b->backend.name, s->opts, &hz, rest, sizeof(rest), err))
		return -1;
	if (hz && b->fixed_hz)
		return refuse_speed(b, "speed=", err);
	if (b->open(s->arg, rest, log, spi, err))
		return -1;
	spi->spec_hz = hz;
	if (hz && ub_spi_set_speed(spi, hz, err)) {
		if (spi->ops->close)
			spi->ops->close(spi->priv, &close_err);
		return -1;
	}
	return 0;
}

int ub_spi_open(const char *spec, const struct ub_log *log, struct ub_spi **out,
		struct ub_err *err)
{
	const struct ub_spi_backend *b;
	struct ub_spec s;
	struct ub_spi *spi;
	char list[512];

	*out = NULL;
	if (ub_spec_parse(spec, &s))
		return ub_fail(err, UB_EUSAGE, "bad SPI spec '%s': expected %s",
			       spec ? spec : "", usages(list, sizeof(list)));
	b = find_backend(s.name);
	if (!b)
		return ub_fail(err, UB_EUSAGE, "unknown SPI backend '%s' in '%s': use %s",
			       s.name, spec, usages(list, sizeof(list)));
	spi = calloc(1, sizeof(*spi));
	if (!spi)
		return ub_fail(err, UB_EFAIL, "out of memory");
	if (open_backend(b, &s, log, spi, err)) {
		free(spi);
		return -1;
	}
	*out = spi;
	return 0;
}

int ub_spi_check_speed(const char *spec, uint32_t hz, const char *what, struct ub_err *err)
{
	struct ub_spec s;
	const struct ub_spi_backend *b;

	if (!hz || ub_spec_parse(spec, &s))
		return 0;  /* ub_spi_open says what is wrong with the spec */
	b = find_backend(s.name);
	return b && b->fixed_hz ? refuse_speed(b, what, err) : 0;
}

int ub_spi_close(struct ub_spi *spi, struct ub_err *err)
{
	int rc = 0;

	if (!spi)
		return 0;
	if (spi->ops && spi->ops->close)
		rc = spi->ops->close(spi->priv, err);
	free(spi);
	return rc;
}

int ub_spi_frame(struct ub_spi *spi, const struct ub_spi_seg *segs, size_t nsegs,
		 struct ub_err *err)
{
	return spi->ops->frame(spi->priv, segs, nsegs, err);
}

int ub_spi_frames(struct ub_spi *spi, const struct ub_spi_frame *frames, size_t n,
		  struct ub_err *err)
{
	if (spi->ops->frames)
		return spi->ops->frames(spi->priv, frames, n, err);
	for (size_t i = 0; i < n; i++) {
		if (ub_spi_frame(spi, frames[i].segs, frames[i].nsegs, err))
			return -1;
		if (frames[i].gap_us)
			ub_spi_delay_us(spi, frames[i].gap_us);
	}
	return 0;
}

int ub_spi_batches(const struct ub_spi *spi)
{
	return spi->ops->frames != NULL;
}

const char *ub_spi_speed_advice(const struct ub_spi *spi, const char *advice)
{
	return spi->ops->set_speed ? advice : "";
}

int ub_spi_cmd(struct ub_spi *spi, const uint8_t *tx, size_t txlen,
	       uint8_t *rx, size_t rxlen, struct ub_err *err)
{
	struct ub_spi_seg segs[2] = {
		{ .tx = tx, .rx = NULL, .len = txlen },
		{ .tx = NULL, .rx = rx, .len = rxlen },
	};

	return ub_spi_frame(spi, segs, rxlen ? 2 : 1, err);
}

int ub_spi_set_speed(struct ub_spi *spi, uint32_t hz, struct ub_err *err)
{
	uint32_t actual = hz;

	if (!spi->ops->set_speed) {
		if (hz == spi->speed_hz)
			return 0;
		return ub_fail(err, UB_EUSAGE, "%s: the SPI clock is the adapter's own (%u Hz) and "
			       "cannot be set", spi->desc, spi->speed_hz);
	}
	if (spi->ops->set_speed(spi->priv, hz, &actual, err))
		return -1;
	spi->speed_hz = actual;
	return 0;
}

void ub_spi_delay_us(struct ub_spi *spi, uint64_t us)
{
	spi->ops->delay_us(spi->priv, us);
}

uint64_t ub_spi_now_ns(struct ub_spi *spi)
{
	return spi->ops->now_ns(spi->priv);
}

int ub_spi_own_line(struct ub_spi *spi, struct ub_gpio_line **out, struct ub_err *err)
{
	*out = NULL;
	if (!spi->ops->own_line)
		return 0;
	*out = spi->ops->own_line(spi->priv, err);
	return *out ? 0 : -1;
}
