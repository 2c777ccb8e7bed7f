/* SPDX-License-Identifier: MIT */
/* Beken BK7231/BK7252 SPI flash mode: CEN reset, then the 0xD2 stream. */
#ifndef UNBRICK_BEKEN_H
#define UNBRICK_BEKEN_H

#include <stdint.h>

#include "err.h"
#include "gpio.h"
#include "log.h"
#include "spi.h"

#define UB_BEKEN_TRIES 10

/*
 * Put the chip in SPI flash mode at hz (0 = auto: start fast, step down until
 * the JEDEC id and a twice-read block agree) and read its flash id. On
 * success spi runs at the speed that worked.
 */
int ub_beken_connect(struct ub_spi *spi, struct ub_gpio_line *cen, uint32_t hz,
		     uint8_t id[3], const struct ub_log *log, struct ub_err *err);

/* Pulse CEN so the chip boots its firmware. */
int ub_beken_reset(struct ub_spi *spi, struct ub_gpio_line *cen, struct ub_err *err);

/* "1 MHz", "500 kHz", "30 kHz" */
const char *ub_beken_hz_str(uint32_t hz, char *buf, size_t len);

#endif
