/* SPDX-License-Identifier: MIT */
/*
 * 25-series SPI NOR flash: identification, status and protection, read,
 * erase, page program, and the smart write that erases and programs only
 * what changed.
 */
#ifndef UNBRICK_NOR_H
#define UNBRICK_NOR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "spi.h"

#define UB_NOR_PAGE 256u
#define UB_NOR_SECTOR 4096u
#define UB_NOR_BLOCK 65536u
#define UB_NOR_PAGES_PER_SECTOR (UB_NOR_SECTOR / UB_NOR_PAGE)
#define UB_NOR_SECTORS_PER_BLOCK (UB_NOR_BLOCK / UB_NOR_SECTOR)

/* Status bits: SR1 in the low byte, SR2 in the high byte. */
#define UB_NOR_SR_WIP 0x0001u
#define UB_NOR_SR_WEL 0x0002u
#define UB_NOR_SR_CMP 0x4000u

struct ub_nor_chip {
	const char *name;
	uint8_t id[3];          /* manufacturer, memory type, capacity */
	uint32_t size;          /* bytes */
	uint8_t sr_bytes;       /* 1: SR1 only; 2: SR1+SR2, written as 01 SR1 SR2 */
	uint16_t protect_mask;  /* bits that protect: BP*, TB, SEC, and CMP */
};

/* The table's entry for id (spiflash/nor_chips.c), or NULL. */
const struct ub_nor_chip *ub_nor_lookup(const uint8_t id[3]);

struct ub_nor_counts {
	uint32_t sectors_erased;    /* 4 KiB erases */
	uint32_t blocks_erased;     /* 64 KiB erases */
	uint32_t pages_programmed;
	uint32_t sectors_unchanged;
	/* time spent by ub_nor_write in each phase, on the master's clock */
	uint64_t ns_compare, ns_program, ns_verify;
};

struct ub_nor {
	struct ub_spi *spi;
	const struct ub_log *log;
	struct ub_nor_chip chip;  /* the table's entry, or a generic one */
	int known;                /* the id is in the table */
	uint32_t size;
	const volatile sig_atomic_t *stop;  /* set by SIGINT; may be NULL */
	struct ub_nor_counts counts;
	/* Learned on an adapter that batches (ub_spi_batches): the wait before the first poll. */
	uint32_t page_wait_us, sector_wait_us, block_wait_us;
};

/* Read the JEDEC id (9F) into id[3]. */
int ub_nor_read_id(struct ub_spi *spi, uint8_t id[3], struct ub_err *err);
/* True for ids that mean "nothing answered": 00 00 00 and FF FF FF. */
int ub_nor_id_is_blank(const uint8_t id[3]);

/* Identify the chip behind spi from its id (already read). */
int ub_nor_attach(struct ub_nor *nor, struct ub_spi *spi, const uint8_t id[3],
		  const struct ub_log *log, struct ub_err *err);

/* SR1 | SR2 << 8 (SR2 only on two-byte parts, and only when it reads as a register). */
int ub_nor_status(struct ub_nor *nor, uint16_t *sr, struct ub_err *err);
/* The protect bits that are set (0 = unprotected). */
uint16_t ub_nor_protect_bits(const struct ub_nor *nor, uint16_t sr);
/* Clear BP and CMP if any is set; *changed tells whether a write was needed. */
int ub_nor_unprotect(struct ub_nor *nor, int *changed, struct ub_err *err);

int ub_nor_read(struct ub_nor *nor, uint32_t addr, uint8_t *buf, size_t len,
		struct ub_err *err);
int ub_nor_erase_sector(struct ub_nor *nor, uint32_t addr, struct ub_err *err);
int ub_nor_erase_block(struct ub_nor *nor, uint32_t addr, struct ub_err *err);
/* Program up to one page; must not cross a page boundary. */
int ub_nor_program_page(struct ub_nor *nor, uint32_t addr, const uint8_t *data,
			size_t len, struct ub_err *err);

/* What one 4 KiB sector needs to go from old to new. */
struct ub_sector_plan {
	int erase;        /* some bit goes 0 -> 1 */
	uint16_t pages;   /* bit i: page i must be programmed */
};
void ub_nor_plan_sector(const uint8_t *old, const uint8_t *new_data,
			struct ub_sector_plan *plan);

/*
 * Streams the new contents for a smart write: fill buf with len bytes (the
 * next part of the image, in order); return 0, or -1 with err.
 */
typedef int (*ub_nor_source)(void *arg, uint8_t *buf, size_t len, struct ub_err *err);

struct ub_nor_progress {
	void (*update)(void *arg, uint64_t done);
	void *arg;
};

/*
 * Write len bytes at addr: per 64 KiB block, read what is there, erase only
 * sectors that need a 0 -> 1 bit (a 64 KiB erase when every sector of an
 * aligned block does), program only changed pages, read back and compare
 * every sector it touched. Bytes outside [addr, addr+len) are preserved.
 * *done gets how many bytes from addr are written and verified, also when it
 * fails or is interrupted (status UB_EINTR).
 */
int ub_nor_write(struct ub_nor *nor, uint32_t addr, uint32_t len,
		 ub_nor_source source, void *source_arg,
		 const struct ub_nor_progress *progress, uint32_t *done,
		 struct ub_err *err);

#endif
