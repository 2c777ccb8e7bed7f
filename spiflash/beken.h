/* SPDX-License-Identifier: MIT */
/* Beken BK7231/BK7252 SPI flash mode: CEN reset, then the 0xD2 stream. */
#ifndef UNBRICK_BEKEN_H
#define UNBRICK_BEKEN_H

#include <signal.h>
#include <stdint.h>

#include "err.h"
#include "gpio.h"
#include "log.h"
#include "spi.h"

#define UB_BEKEN_TRIES 10

/* ub_beken_connect's speed when no --speed was given: the SPI spec's speed=
 * as a fixed rate, or auto when the spec has none. */
#define UB_BEKEN_SPEED_DEFAULT 0u
/* --speed auto: step down from the spec's speed= (or the fastest step). */
#define UB_BEKEN_SPEED_AUTO UINT32_MAX

/*
 * Put the chip in SPI flash mode and read its flash id. speed is
 * UB_BEKEN_SPEED_DEFAULT, UB_BEKEN_SPEED_AUTO, or a fixed rate in Hz, which
 * may not be above the spec's speed= (refused with UB_EUSAGE before CEN or
 * the bus is touched). Auto starts fast (at the spec's speed= if it has one,
 * the ceiling) and steps down until the JEDEC id and a twice-read block
 * agree. A non-zero *stop (a signal; stop may be NULL) ends it between tries
 * and during waits with UB_EINTR. On success spi runs at the speed that worked.
 */
int ub_beken_connect(struct ub_spi *spi, struct ub_gpio_line *cen, uint32_t speed,
		     const volatile sig_atomic_t *stop, uint8_t id[3],
		     const struct ub_log *log, struct ub_err *err);

/* Pulse CEN so the chip boots its firmware. */
int ub_beken_reset(struct ub_spi *spi, struct ub_gpio_line *cen, struct ub_err *err);

/* "1 MHz", "500 kHz", "30 kHz" */
const char *ub_beken_hz_str(uint32_t hz, char *buf, size_t len);

#endif
