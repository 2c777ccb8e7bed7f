/* SPDX-License-Identifier: MIT */
#include "spi.h"

#include <stdlib.h>
#include <string.h>

#include "parse.h"

int ub_spi_open(const char *spec, const struct ub_log *log, struct ub_spi **out,
		struct ub_err *err)
{
	struct ub_spec s;
	struct ub_spi *spi;
	int rc;

	*out = NULL;
	if (ub_spec_parse(spec, &s))
		return ub_fail(err, UB_EUSAGE,
			       "bad SPI spec '%s': expected spidev:/dev/spidevB.C[,speed=HZ][,mode=0|3] or sim:MODEL[,...]",
			       spec ? spec : "");
	spi = calloc(1, sizeof(*spi));
	if (!spi)
		return ub_fail(err, UB_EFAIL, "out of memory");
	if (strcmp(s.name, "spidev") == 0)
		rc = ub_spidev_open(s.arg, s.opts, log, spi, err);
	else if (strcmp(s.name, "sim") == 0)
		rc = ub_spisim_open(s.arg, s.opts, log, spi, err);
	else
		rc = ub_fail(err, UB_EUSAGE,
			     "unknown SPI backend '%s' in '%s': use spidev:/dev/spidevB.C or sim:MODEL",
			     s.name, spec);
	if (rc) {
		free(spi);
		return -1;
	}
	*out = spi;
	return 0;
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
