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
#define WAIT_SLICE_US 10000u /* how late a signal may be noticed in a wait */
#define D2_COUNT 250         /* 250 worked for the Python, C# and Arduino tools */
#define ID_TRIES 3
#define AUTO_TRIES 2
#define PROBE_LEN 4096u

/* Fast to slow: the reports range from 30 kHz (Banana Pi) to 8 MHz (AVR). */
static const uint32_t auto_speeds[] = {
	20000000, 10000000, 5000000, 2000000, 1000000,
	500000, 200000, 100000, 50000, 30000,
};
#define AUTO_STEPS (sizeof(auto_speeds) / sizeof(auto_speeds[0]))

enum entry_result { ENTRY_OK, ENTRY_SILENT, ENTRY_BLANK_ID, ENTRY_ERROR };

/* One entry attempt's world: the link, the id it reads, how it went. */
struct entry {
	struct ub_spi *spi;
	struct ub_gpio_line *cen;
	const volatile sig_atomic_t *stop;
	const struct ub_log *log;
	struct ub_err *err;
	uint8_t *id;
	enum entry_result last;
};

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

static int stopped(const struct entry *e)
{
	if (!e->stop || !*e->stop)
		return 0;
	return ub_fail(e->err, UB_EINTR, "interrupted while entering flash mode");
}

/* Wait in slices, so that a signal is not ignored for the whole wait. */
static int wait_us(const struct entry *e, uint64_t us)
{
	while (us) {
		uint64_t slice = us < WAIT_SLICE_US ? us : WAIT_SLICE_US;

		if (stopped(e))
			return -1;
		ub_spi_delay_us(e->spi, slice);
		us -= slice;
	}
	return stopped(e);
}

static int pulse_cen(const struct entry *e)
{
	if (ub_gpio_set(e->cen, 0, e->err) || wait_us(e, CEN_LOW_US))
		return -1;
	return ub_gpio_set(e->cen, 1, e->err);
}

static enum entry_result enter_once(const struct entry *e)
{
	uint8_t tx[D2_COUNT], rx[D2_COUNT];
	struct ub_spi_seg seg = { .tx = tx, .rx = rx, .len = sizeof(rx) };
	int i;

	memset(tx, 0xd2, sizeof(tx));
	if (pulse_cen(e) || ub_spi_frame(e->spi, &seg, 1, e->err))
		return ENTRY_ERROR;
	if (!memchr(rx, 0xd2, sizeof(rx)))
		return ENTRY_SILENT;
	for (i = 0; i < ID_TRIES; i++) {
		if (wait_us(e, SETTLE_US) || ub_nor_read_id(e->spi, e->id, e->err))
			return ENTRY_ERROR;
		if (!ub_nor_id_is_blank(e->id))
			return ENTRY_OK;
	}
	return ENTRY_BLANK_ID;
}

/* tries: "after 10 tries at 1 MHz" or "at any speed from 20 MHz down to 30 kHz". */
static int entry_failed(const struct entry *e, const char *tries)
{
	const uint8_t *id = e->id;

	if (e->last == ENTRY_BLANK_ID)
		return ub_fail(e->err, UB_ENODEV,
			       "the chip answered 0xD2 but the flash id reads %02X %02X %02X: check MISO (P23) and MOSI (P22) wiring and the 3.3 V supply",
			       id[0], id[1], id[2]);
	return ub_fail(e->err, UB_ENODEV,
		       "no answer to 0xD2 %s; check CEN wiring on %s and SPI wiring (P20 SCK, P21 CS, P22 MOSI, P23 MISO)%s",
		       tries, e->cen->name, ub_spi_speed_advice(e->spi, ", or try --speed 100k"));
}

/* 0 entered, 1 no luck in `tries` tries, -1 error (or a signal). */
static int enter_at(struct entry *e, uint32_t hz, unsigned tries)
{
	unsigned i;

	if (ub_spi_set_speed(e->spi, hz, e->err))
		return -1;
	for (i = 0; i < tries; i++) {
		if (stopped(e))
			return -1;
		e->last = enter_once(e);
		if (e->last == ENTRY_OK)
			return 0;
		if (e->last == ENTRY_ERROR)
			return -1;
		ub_debug(e->log, "entry try %u: %s", i + 1,
			 e->last == ENTRY_SILENT ? "no 0xD2 in the answer" : "blank flash id");
	}
	return 1;
}

/* The link is good when the id and a block read the same twice. */
static int link_is_stable(const struct entry *e)
{
	struct ub_spi *spi = e->spi;
	uint8_t a[PROBE_LEN], b[PROBE_LEN];
	uint8_t id2[3], cmd[4] = { 0x03, 0, 0, 0 };
	size_t chunk = spi->max_frame - 4 < PROBE_LEN ? spi->max_frame - 4 : PROBE_LEN;

	if (ub_nor_read_id(spi, id2, e->err) ||
	    ub_spi_cmd(spi, cmd, 4, a, chunk, e->err) ||
	    ub_spi_cmd(spi, cmd, 4, b, chunk, e->err))
		return -1;
	if (memcmp(e->id, id2, 3) == 0 && memcmp(a, b, chunk) == 0)
		return 1;
	ub_debug(e->log, "reads disagree at %u Hz", spi->speed_hz);
	return 0;
}

/*
 * The speeds auto tries, fast to slow: the steps at or below ceiling (all of
 * them for 0), after the ceiling itself when it is not a step.
 */
static size_t auto_ladder(uint32_t ceiling, uint32_t out[AUTO_STEPS + 1])
{
	size_t i, n = 0;

	for (i = 0; i < AUTO_STEPS; i++) {
		if (ceiling && auto_speeds[i] > ceiling)
			continue;
		if (ceiling && !n && auto_speeds[i] != ceiling)
			out[n++] = ceiling;
		out[n++] = auto_speeds[i];
	}
	if (!n)
		out[n++] = ceiling;
	return n;
}

static int auto_failed(const struct entry *e, const uint32_t *ladder, size_t n)
{
	char fast[32], slow[32], tries[96];

	if (e->last == ENTRY_OK)
		return ub_fail(e->err, UB_ENODEV,
			       "the flash id or data never read the same twice, down to %s: check the wiring (short leads, common ground)",
			       ub_beken_hz_str(e->spi->speed_hz, slow, sizeof(slow)));
	if (n == 1)
		snprintf(tries, sizeof(tries), "after %d tries at %s", AUTO_TRIES,
			 ub_beken_hz_str(ladder[0], fast, sizeof(fast)));
	else
		snprintf(tries, sizeof(tries), "at any speed from %s down to %s",
			 ub_beken_hz_str(ladder[0], fast, sizeof(fast)),
			 ub_beken_hz_str(ladder[n - 1], slow, sizeof(slow)));
	return entry_failed(e, tries);
}

static int connect_auto(struct entry *e, uint32_t ceiling)
{
	uint32_t ladder[AUTO_STEPS + 1];
	size_t i, n = auto_ladder(ceiling, ladder);
	char hz[32];

	for (i = 0; i < n; i++) {
		int rc = enter_at(e, ladder[i], AUTO_TRIES);

		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		rc = link_is_stable(e);
		if (rc < 0 || stopped(e))
			return -1;
		if (rc) {
			ub_info(e->log, "using %s (--speed auto)",
				ub_beken_hz_str(e->spi->speed_hz, hz, sizeof(hz)));
			return 0;
		}
	}
	return auto_failed(e, ladder, n);
}

static int connect_fixed(struct entry *e, uint32_t hz)
{
	char tries[64], speed[32];
	int rc = enter_at(e, hz, UB_BEKEN_TRIES);

	if (rc <= 0)
		return rc;
	snprintf(tries, sizeof(tries), "after %d tries at %s", UB_BEKEN_TRIES,
		 ub_beken_hz_str(e->spi->speed_hz, speed, sizeof(speed)));
	return entry_failed(e, tries);
}

/* A fixed --speed may not be above the spec's speed=: that is the ceiling. */
static int check_ceiling(const struct ub_spi *spi, uint32_t hz, struct ub_err *err)
{
	char want[32], max[32];

	if (!spi->spec_hz || hz <= spi->spec_hz)
		return 0;
	return ub_fail(err, UB_EUSAGE,
		       "--speed %s is above speed=%s of --spi %s: use a lower --speed, or raise speed=",
		       ub_beken_hz_str(hz, want, sizeof(want)),
		       ub_beken_hz_str(spi->spec_hz, max, sizeof(max)), spi->desc);
}

int ub_beken_connect(struct ub_spi *spi, struct ub_gpio_line *cen, uint32_t speed,
		     const volatile sig_atomic_t *stop, uint8_t id[3],
		     const struct ub_log *log, struct ub_err *err)
{
	struct entry e = { spi, cen, stop, log, err, id, ENTRY_SILENT };

	if (!spi->ops->set_speed && (speed == UB_BEKEN_SPEED_DEFAULT || speed == UB_BEKEN_SPEED_AUTO))
		speed = spi->speed_hz;  /* the adapter's own clock: nothing to choose */
	if (speed == UB_BEKEN_SPEED_DEFAULT)
		speed = spi->spec_hz ? spi->spec_hz : UB_BEKEN_SPEED_AUTO;
	if (speed == UB_BEKEN_SPEED_AUTO)
		return connect_auto(&e, spi->spec_hz);
	if (check_ceiling(spi, speed, err))
		return -1;
	return connect_fixed(&e, speed);
}

int ub_beken_reset(struct ub_spi *spi, struct ub_gpio_line *cen, struct ub_err *err)
{
	struct entry e = { spi, cen, NULL, NULL, err, NULL, ENTRY_SILENT };

	return pulse_cen(&e);
}
