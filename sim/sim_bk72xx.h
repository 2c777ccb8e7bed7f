/* SPDX-License-Identifier: MIT */
/*
 * Emulator of a Beken BK7231T/BK7231N/BK7252 in SPI flash ("D2") mode, seen
 * from the pins: CEN, and CS-framed SPI transfers at a given clock.
 *
 * It is a model of the device written from ../shared/notes/beken.md, not from
 * the host code: it keeps model time (bus clocks, erase and program busy
 * times, host delays) and counters, so tests and benchmarks can compare what
 * the host did with what the device saw.
 */
#ifndef UNBRICK_SIM_BK72XX_H
#define UNBRICK_SIM_BK72XX_H

#include <stddef.h>
#include <stdint.h>

struct bk_sim;

/* What the device saw, for tests and benchmarks. */
struct bk_sim_stats {
	uint64_t model_ns;        /* model time since creation */
	uint64_t bytes_clocked;   /* every byte shifted while CS was low */
	uint64_t frames;          /* CS-low frames */
	uint64_t read_bytes;      /* data bytes returned by READ (03) */
	uint64_t sector_erases;   /* 4 KiB erases (20) that changed state */
	uint64_t block_erases;    /* 32/64 KiB erases (52, D8) */
	uint64_t chip_erases;     /* C7 / 60 */
	uint64_t page_programs;   /* page programs (02) accepted */
	uint64_t program_bytes;   /* data bytes in accepted page programs */
	uint64_t sr_writes;       /* status register writes accepted */
	uint64_t busy_ns;         /* sum of erase/program/SR-write busy times */
	uint64_t rejected;        /* erase/program/WRSR refused (no WEL, protected, busy) */
	uint64_t entries;         /* times the chip entered SPI flash mode */
};

/*
 * Create an emulator. model: "bk7231t", "bk7231n" or "bk7252".
 * options: comma-separated key=value list (may be NULL or ""), documented in
 * bk72xx.c and Documentation/beken-spi.1. On error returns NULL and writes a
 * one-line message (no trailing newline) into err.
 */
struct bk_sim *bk_sim_create(const char *model, const char *options,
			     char *err, size_t errlen);

/* Persist (save=, state=, stats= files) and free. Returns 0, or -1 with err. */
int bk_sim_close(struct bk_sim *sim, char *err, size_t errlen);

/* The CEN pin: 0 = held low (chip in reset), 1 = released. */
void bk_sim_set_cen(struct bk_sim *sim, int level);

/*
 * One CS-low frame: len bytes shifted in from tx (NULL = all 0x00) while len
 * bytes are shifted out into rx (NULL = discarded), in SPI mode 0..3 at
 * clock_hz. CS rises at the end of the call.
 */
void bk_sim_transfer(struct bk_sim *sim, const uint8_t *tx, uint8_t *rx,
		     size_t len, uint32_t clock_hz, int mode);

/*
 * The same frame in pieces, as an adapter that streams it delivers it:
 * bk_sim_select(sim, 0) lowers CS (a new frame, SPI mode 0), each
 * bk_sim_shift clocks len more bytes of it at clock_hz (the frame's state
 * and model time carry over between calls), bk_sim_select(sim, 1) raises CS
 * and the command takes effect. Selecting a selected chip, or releasing a
 * released one, changes nothing. Bytes shifted while CS is high take their
 * time, reach no command, and read 0x00. bk_sim_transfer is select, one
 * shift, release (it first ends a frame left open).
 */
void bk_sim_select(struct bk_sim *sim, int level);
void bk_sim_shift(struct bk_sim *sim, const uint8_t *tx, uint8_t *rx, size_t len,
		  uint32_t clock_hz);

/* The host waited ns nanoseconds: advance model time. */
void bk_sim_delay(struct bk_sim *sim, uint64_t ns);

/* Model time in nanoseconds since creation. */
uint64_t bk_sim_now(const struct bk_sim *sim);

void bk_sim_get_stats(const struct bk_sim *sim, struct bk_sim_stats *out);

/* Flash size in bytes (for tests). */
uint32_t bk_sim_flash_size(const struct bk_sim *sim);

/* Copy len bytes of the flash array at addr (no bus, no time; for tests). */
int bk_sim_peek(const struct bk_sim *sim, uint32_t addr, uint8_t *buf, size_t len);

#endif
