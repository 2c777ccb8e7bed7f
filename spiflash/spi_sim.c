/* SPDX-License-Identifier: MIT */
/*
 * SPI master wired to a device emulator ("sim:bk7231n,image=dump.bin"): the
 * same protocol code runs against it as against spidev. Delays advance the
 * emulator's model time, so runs are fast and timings are the model's.
 */
#include "spi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_bk72xx.h"

#define SPISIM_MAX_FRAME 4096
#define SPISIM_DEFAULT_HZ 1000000u

struct spisim {
	struct bk_sim *chip;
	uint32_t speed_hz;
	int cen_taken;
	uint8_t tx[SPISIM_MAX_FRAME];
	uint8_t rx[SPISIM_MAX_FRAME];
};

static int spisim_frame(void *priv, const struct ub_spi_seg *segs, size_t nsegs,
			struct ub_err *err)
{
	struct spisim *s = priv;
	size_t i, len = 0, at = 0;

	for (i = 0; i < nsegs; i++)
		len += segs[i].len;
	if (len > SPISIM_MAX_FRAME)
		return ub_fail(err, UB_EFAIL, "sim: frame of %zu bytes is over %d", len,
			       SPISIM_MAX_FRAME);
	for (i = 0; i < nsegs; i++) {
		if (segs[i].tx)
			memcpy(s->tx + at, segs[i].tx, segs[i].len);
		else
			memset(s->tx + at, 0, segs[i].len);
		at += segs[i].len;
	}
	bk_sim_transfer(s->chip, s->tx, s->rx, len, s->speed_hz, 0);
	for (i = 0, at = 0; i < nsegs; at += segs[i].len, i++)
		if (segs[i].rx)
			memcpy(segs[i].rx, s->rx + at, segs[i].len);
	return 0;
}

static int spisim_set_speed(void *priv, uint32_t hz, uint32_t *actual,
			    struct ub_err *err)
{
	struct spisim *s = priv;

	(void)err;
	s->speed_hz = hz;
	*actual = hz;
	return 0;
}

static void spisim_delay_us(void *priv, uint64_t us)
{
	struct spisim *s = priv;

	bk_sim_delay(s->chip, us * 1000);
}

static uint64_t spisim_now_ns(void *priv)
{
	struct spisim *s = priv;

	return bk_sim_now(s->chip);
}

static int spisim_cen_set(void *priv, int value, struct ub_err *err)
{
	struct spisim *s = priv;

	(void)err;
	bk_sim_set_cen(s->chip, value);
	return 0;
}

static void spisim_cen_close(void *priv)
{
	struct spisim *s = priv;

	s->cen_taken = 0;
}

static const struct ub_gpio_ops spisim_cen_ops = {
	.set = spisim_cen_set,
	.close = spisim_cen_close,
};

static struct ub_gpio_line *spisim_own_line(void *priv, struct ub_err *err)
{
	struct spisim *s = priv;
	struct ub_gpio_line *line;

	if (s->cen_taken) {
		ub_fail(err, UB_EUSAGE, "sim: CEN is already in use");
		return NULL;
	}
	line = ub_gpio_line_new(&spisim_cen_ops, s, "sim CEN");
	if (!line)
		ub_fail(err, UB_EFAIL, "out of memory");
	else
		s->cen_taken = 1;
	return line;
}

static int spisim_close(void *priv, struct ub_err *err)
{
	struct spisim *s = priv;
	char msg[256] = "";
	int rc = bk_sim_close(s->chip, msg, sizeof(msg));

	free(s);
	return rc ? ub_fail(err, UB_EFAIL, "sim: %s", msg) : 0;
}

static const struct ub_spi_ops spisim_ops = {
	.frame = spisim_frame,
	.set_speed = spisim_set_speed,
	.delay_us = spisim_delay_us,
	.now_ns = spisim_now_ns,
	.own_line = spisim_own_line,
	.close = spisim_close,
};

int ub_spisim_open(const char *model, const char *opts, const struct ub_log *log,
		   struct ub_spi *spi, struct ub_err *err)
{
	char msg[256] = "";
	struct spisim *s = calloc(1, sizeof(*s));

	if (!s)
		return ub_fail(err, UB_EFAIL, "out of memory");
	s->chip = bk_sim_create(model, opts, msg, sizeof(msg));
	if (!s->chip) {
		free(s);
		return ub_fail(err, UB_EUSAGE, "%s", msg);
	}
	s->speed_hz = SPISIM_DEFAULT_HZ;
	spi->ops = &spisim_ops;
	spi->priv = s;
	spi->max_frame = SPISIM_MAX_FRAME;
	spi->speed_hz = SPISIM_DEFAULT_HZ;
	snprintf(spi->desc, sizeof(spi->desc), "sim:%s", model);
	ub_debug(log, "emulated %s, %u bytes of flash", model, bk_sim_flash_size(s->chip));
	return 0;
}
