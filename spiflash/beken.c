/* SPDX-License-Identifier: MIT */
/*
 * Entry into Beken SPI flash mode (notes/beken.md §1.2): hold CEN low, release
 * it, and stream 0xD2 at once; the ROM answers with a 0xD2 among the bytes it
 * shifts back, then exposes the flash as a plain 25-series NOR.
 */
#include "beken.h"

#include <stdio.h>
#include <string.h>

#include "nor.h"

#define CEN_LOW_US 100000u   /* the GUI and ft232 flasher hold CEN low 100 ms */
#define SETTLE_US 10000u
#define D2_COUNT 250         /* 250 worked for the Python, C# and Arduino tools */
#define ID_TRIES 3
#define AUTO_TRIES 2
#define PROBE_LEN 4096u

/* Fast to slow: the reports range from 30 kHz (Banana Pi) to 8 MHz (AVR). */
static const uint32_t auto_speeds[] = {
	20000000, 10000000, 5000000, 2000000, 1000000,
	500000, 200000, 100000, 50000, 30000,
};

enum entry_result { ENTRY_OK, ENTRY_SILENT, ENTRY_BLANK_ID, ENTRY_ERROR };

const char *ub_beken_hz_str(uint32_t hz, char *buf, size_t len)
{
	if (hz >= 1000000 && hz % 1000000 == 0)
		snprintf(buf, len, "%u MHz", hz / 1000000);
	else if (hz >= 1000 && hz % 1000 == 0)
		snprintf(buf, len, "%u kHz", hz / 1000);
	else
		snprintf(buf, len, "%u Hz", hz);
	return buf;
}

static int pulse_cen(struct ub_spi *spi, struct ub_gpio_line *cen, struct ub_err *err)
{
	if (ub_gpio_set(cen, 0, err))
		return -1;
	ub_spi_delay_us(spi, CEN_LOW_US);
	return ub_gpio_set(cen, 1, err);
}

static enum entry_result enter_once(struct ub_spi *spi, struct ub_gpio_line *cen,
				    uint8_t id[3], struct ub_err *err)
{
	uint8_t tx[D2_COUNT], rx[D2_COUNT];
	struct ub_spi_seg seg = { .tx = tx, .rx = rx, .len = sizeof(rx) };
	int i;

	memset(tx, 0xd2, sizeof(tx));
	if (pulse_cen(spi, cen, err) || ub_spi_frame(spi, &seg, 1, err))
		return ENTRY_ERROR;
	if (!memchr(rx, 0xd2, sizeof(rx)))
		return ENTRY_SILENT;
	for (i = 0; i < ID_TRIES; i++) {
		ub_spi_delay_us(spi, SETTLE_US);
		if (ub_nor_read_id(spi, id, err))
			return ENTRY_ERROR;
		if (!ub_nor_id_is_blank(id))
			return ENTRY_OK;
	}
	return ENTRY_BLANK_ID;
}

/* tries: "after 10 tries at 1 MHz" or "at any speed from 20 MHz down to 30 kHz". */
static int entry_failed(enum entry_result r, const char *tries,
			struct ub_gpio_line *cen, const uint8_t id[3],
			struct ub_err *err)
{
	if (r == ENTRY_BLANK_ID)
		return ub_fail(err, UB_ENODEV,
			       "the chip answered 0xD2 but the flash id reads %02X %02X %02X: check MISO (P23) and MOSI (P22) wiring and the 3.3 V supply",
			       id[0], id[1], id[2]);
	return ub_fail(err, UB_ENODEV,
		       "no answer to 0xD2 %s; check CEN wiring on %s and SPI wiring (P20 SCK, P21 CS, P22 MOSI, P23 MISO), or try --speed 100k",
		       tries, cen->name);
}

static int enter_at(struct ub_spi *spi, struct ub_gpio_line *cen, uint32_t hz,
		    unsigned tries, uint8_t id[3], enum entry_result *last,
		    const struct ub_log *log, struct ub_err *err)
{
	unsigned i;

	if (ub_spi_set_speed(spi, hz, err))
		return -1;
	for (i = 0; i < tries; i++) {
		*last = enter_once(spi, cen, id, err);
		if (*last == ENTRY_OK)
			return 0;
		if (*last == ENTRY_ERROR)
			return -1;
		ub_debug(log, "entry try %u: %s", i + 1,
			 *last == ENTRY_SILENT ? "no 0xD2 in the answer" : "blank flash id");
	}
	return 1;
}

/* The link is good when the id and a block read the same twice. */
static int link_is_stable(struct ub_spi *spi, const uint8_t id[3],
			  const struct ub_log *log, struct ub_err *err)
{
	uint8_t a[PROBE_LEN], b[PROBE_LEN];
	uint8_t id2[3], cmd[4] = { 0x03, 0, 0, 0 };
	size_t chunk = spi->max_frame - 4 < PROBE_LEN ? spi->max_frame - 4 : PROBE_LEN;

	if (ub_nor_read_id(spi, id2, err) ||
	    ub_spi_cmd(spi, cmd, 4, a, chunk, err) ||
	    ub_spi_cmd(spi, cmd, 4, b, chunk, err))
		return -1;
	if (memcmp(id, id2, 3) == 0 && memcmp(a, b, chunk) == 0)
		return 1;
	ub_debug(log, "reads disagree at %u Hz", spi->speed_hz);
	return 0;
}

static int connect_auto(struct ub_spi *spi, struct ub_gpio_line *cen, uint8_t id[3],
			const struct ub_log *log, struct ub_err *err)
{
	enum entry_result last = ENTRY_SILENT;
	size_t i;
	char hz[32];

	for (i = 0; i < sizeof(auto_speeds) / sizeof(auto_speeds[0]); i++) {
		int rc = enter_at(spi, cen, auto_speeds[i], AUTO_TRIES, id, &last, log, err);

		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		rc = link_is_stable(spi, id, log, err);
		if (rc < 0)
			return -1;
		if (rc) {
			ub_info(log, "using %s (--speed auto)",
				ub_beken_hz_str(spi->speed_hz, hz, sizeof(hz)));
			return 0;
		}
	}
	if (last == ENTRY_OK)
		return ub_fail(err, UB_ENODEV,
			       "the flash id or data never read the same twice, down to %s: check the wiring (short leads, common ground)",
			       ub_beken_hz_str(spi->speed_hz, hz, sizeof(hz)));
	{
		size_t n = sizeof(auto_speeds) / sizeof(auto_speeds[0]);
		char fast[32], slow[32], tries[96];

		snprintf(tries, sizeof(tries), "at any speed from %s down to %s",
			 ub_beken_hz_str(auto_speeds[0], fast, sizeof(fast)),
			 ub_beken_hz_str(auto_speeds[n - 1], slow, sizeof(slow)));
		return entry_failed(last, tries, cen, id, err);
	}
}

int ub_beken_connect(struct ub_spi *spi, struct ub_gpio_line *cen, uint32_t hz,
		     uint8_t id[3], const struct ub_log *log, struct ub_err *err)
{
	enum entry_result last = ENTRY_SILENT;
	char tries[64], speed[32];
	int rc;

	if (!hz)
		return connect_auto(spi, cen, id, log, err);
	rc = enter_at(spi, cen, hz, UB_BEKEN_TRIES, id, &last, log, err);
	if (rc <= 0)
		return rc;
	snprintf(tries, sizeof(tries), "after %d tries at %s", UB_BEKEN_TRIES,
		 ub_beken_hz_str(spi->speed_hz, speed, sizeof(speed)));
	return entry_failed(last, tries, cen, id, err);
}

int ub_beken_reset(struct ub_spi *spi, struct ub_gpio_line *cen, struct ub_err *err)
{
	return pulse_cen(spi, cen, err);
}
