/* SPDX-License-Identifier: MIT */
/* 25-series NOR commands (notes/beken.md §1.4, §5). */
#include "nor.h"

#include <stdio.h>
#include <string.h>

enum {
	OP_WRSR = 0x01, OP_PP = 0x02, OP_READ = 0x03, OP_WRDI = 0x04,
	OP_RDSR1 = 0x05, OP_WREN = 0x06, OP_SE = 0x20, OP_RDSR2 = 0x35,
	OP_RDID = 0x9f, OP_BE64 = 0xd8,
};

/* Worst-case busy times, well above datasheet maxima, before we give up. */
#define TIMEOUT_PAGE_US   50000u
#define TIMEOUT_WRSR_US   500000u
#define TIMEOUT_SECTOR_US 3000000u
#define TIMEOUT_BLOCK_US  10000000u
/* Poll often for short operations, rarely for erases. */
#define POLL_PAGE_US  20u
#define POLL_ERASE_US 1000u
/*
 * On an adapter that batches, a page's first poll follows the program in
 * the same round trip, after a wait the adapter times; the wait grows by a
 * step each time the poll still finds the page busy.
 */
#define PAGE_WAIT_STEP_US 250u
#define PAGE_WAIT_MAX_US  5000u
/* There, an erase's polls back off up to this. */
#define POLL_ERASE_MAX_US 16000u

int ub_nor_read_id(struct ub_spi *spi, uint8_t id[3], struct ub_err *err)
{
	const uint8_t cmd = OP_RDID;

	return ub_spi_cmd(spi, &cmd, 1, id, 3, err);
}

int ub_nor_id_is_blank(const uint8_t id[3])
{
	return (id[0] == 0x00 && id[1] == 0x00 && id[2] == 0x00) ||
	       (id[0] == 0xff && id[1] == 0xff && id[2] == 0xff);
}

int ub_nor_attach(struct ub_nor *nor, struct ub_spi *spi, const uint8_t id[3],
		  const struct ub_log *log, struct ub_err *err)
{
	const struct ub_nor_chip *chip = ub_nor_lookup(id);

	memset(nor, 0, sizeof(*nor));
	nor->spi = spi;
	nor->log = log;
	if (chip) {
		nor->chip = *chip;
		nor->known = 1;
	} else {
		if (id[2] < 16 || id[2] > 24)
			return ub_fail(err, UB_EFAIL,
				       "unknown flash id %02X %02X %02X: capacity byte 0x%02X is not 64 KiB..16 MiB; check the wiring%s",
				       id[0], id[1], id[2], id[2],
				       ub_spi_speed_advice(spi, " or try a lower --speed"));
		nor->chip.name = "unknown";
		memcpy(nor->chip.id, id, 3);
		nor->chip.size = 1u << id[2];
		nor->chip.sr_bytes = 2;
		nor->chip.protect_mask = 0x407c;
		ub_warn(log, "unknown flash id %02X %02X %02X: assuming %u KiB from the capacity byte and generic protection bits",
			id[0], id[1], id[2], nor->chip.size / 1024);
	}
	nor->size = nor->chip.size;
	return 0;
}

static int read_sr(struct ub_nor *nor, uint8_t op, uint8_t *val, struct ub_err *err)
{
	return ub_spi_cmd(nor->spi, &op, 1, val, 1, err);
}

int ub_nor_status(struct ub_nor *nor, uint16_t *sr, struct ub_err *err)
{
	uint8_t sr1, sr2 = 0;

	if (read_sr(nor, OP_RDSR1, &sr1, err))
		return -1;
	if (nor->chip.sr_bytes == 2) {
		if (read_sr(nor, OP_RDSR2, &sr2, err))
			return -1;
		/* A part without a second register answers 35h with FF (GUI, notes §1.5). */
		if (sr2 == 0xff)
			sr2 = 0;
	}
	*sr = (uint16_t)(sr1 | sr2 << 8);
	return 0;
}

uint16_t ub_nor_protect_bits(const struct ub_nor *nor, uint16_t sr)
{
	return sr & nor->chip.protect_mask;
}

static int timed_out(struct ub_nor *nor, uint64_t start, uint64_t limit_us)
{
	return ub_spi_now_ns(nor->spi) - start > limit_us * 1000u;
}

/* SR1; on an adapter that batches, with CS raised in the same round trip, ready for a wait. */
static int poll_wip(struct ub_nor *nor, uint8_t *sr1, struct ub_err *err)
{
	const uint8_t op = OP_RDSR1;
	const struct ub_spi_seg segs[2] = { { .tx = &op, .len = 1 }, { .rx = sr1, .len = 1 } };
	const struct ub_spi_frame poll = { segs, 2, 1 };

	if (!ub_spi_batches(nor->spi))
		return read_sr(nor, OP_RDSR1, sr1, err);
	return ub_spi_frames(nor->spi, &poll, 1, err);
}

/* Poll WIP until clear. what/addr name the operation for the error. */
static int wait_ready(struct ub_nor *nor, uint64_t timeout_us, uint64_t poll_us,
		      const char *what, uint32_t addr, struct ub_err *err)
{
	uint64_t start = ub_spi_now_ns(nor->spi);
	uint8_t sr1;

	for (;;) {
		if (poll_wip(nor, &sr1, err))
			return -1;
		if (!(sr1 & UB_NOR_SR_WIP))
			return 0;
		if (timed_out(nor, start, timeout_us))
			return ub_fail(err, UB_EFAIL,
				       "flash still busy %llu ms after %s 0x%06x (SR1=0x%02x); power-cycle the chip and retry",
				       (unsigned long long)(timeout_us / 1000), what, addr, sr1);
		if (!ub_spi_batches(nor->spi)) {
			ub_spi_delay_us(nor->spi, poll_us);
			continue;
		}
		/*
		 * Each poll is a USB round trip (about a millisecond), which paces
		 * a page's by itself; an erase's come ever more rarely.
		 */
		if (poll_us >= POLL_ERASE_US) {
			ub_spi_delay_us(nor->spi, poll_us);
			poll_us = poll_us * 2 < POLL_ERASE_MAX_US ? poll_us * 2 : POLL_ERASE_MAX_US;
		}
	}
}

/* The frames of write-enable, a command and a status poll, gap_us after the command. */
struct batch {
	uint8_t wren, rdsr, wel, sr1;
	struct ub_spi_seg wren_seg, wel_poll[2], poll[2];
	struct ub_spi_frame frames[4];
	size_t nframes;
};

/* WREN, optionally a poll of WEL, the command's segments, then a poll of WIP. */
static void plan_batch(struct batch *b, int check_wel, const struct ub_spi_seg *cmd,
		       size_t ncmd, uint32_t gap_us)
{
	b->wren = OP_WREN;
	b->rdsr = OP_RDSR1;
	b->wren_seg = (struct ub_spi_seg){ .tx = &b->wren, .len = 1 };
	b->wel_poll[0] = (struct ub_spi_seg){ .tx = &b->rdsr, .len = 1 };
	b->wel_poll[1] = (struct ub_spi_seg){ .rx = &b->wel, .len = 1 };
	b->poll[0] = b->wel_poll[0];
	b->poll[1] = (struct ub_spi_seg){ .rx = &b->sr1, .len = 1 };
	b->nframes = 0;
	b->frames[b->nframes++] = (struct ub_spi_frame){ &b->wren_seg, 1, 0 };
	if (check_wel)
		b->frames[b->nframes++] = (struct ub_spi_frame){ b->wel_poll, 2, 0 };
	b->frames[b->nframes++] = (struct ub_spi_frame){ cmd, ncmd, gap_us };
	/* CS up after the poll too, so that a wait on the host needs no round trip of its own. */
	b->frames[b->nframes++] = (struct ub_spi_frame){ b->poll, 2, 1 };
}

static int wel_missing(const struct ub_nor *nor, uint8_t sr1, struct ub_err *err)
{
	return ub_fail(err, UB_EFAIL,
		       "flash did not set write-enable (SR1=0x%02x); check the MOSI wiring (P22)%s",
		       sr1, ub_spi_speed_advice(nor->spi, " or try a lower --speed"));
}

static int write_enable(struct ub_nor *nor, int check, struct ub_err *err)
{
	const uint8_t op = OP_WREN;
	uint8_t sr1;

	if (ub_spi_cmd(nor->spi, &op, 1, NULL, 0, err))
		return -1;
	if (!check)
		return 0;
	if (read_sr(nor, OP_RDSR1, &sr1, err))
		return -1;
	return sr1 & UB_NOR_SR_WEL ? 0 : wel_missing(nor, sr1, err);
}

static void put_addr(uint8_t *cmd, uint8_t op, uint32_t addr)
{
	cmd[0] = op;
	cmd[1] = (uint8_t)(addr >> 16);
	cmd[2] = (uint8_t)(addr >> 8);
	cmd[3] = (uint8_t)addr;
}

int ub_nor_read(struct ub_nor *nor, uint32_t addr, uint8_t *buf, size_t len,
		struct ub_err *err)
{
	size_t chunk = nor->spi->max_frame - 4;
	uint8_t cmd[4];

	if ((uint64_t)addr + len > nor->size)
		return ub_fail(err, UB_EFAIL, "internal: read 0x%06x+%zu past the flash", addr, len);
	while (len) {
		size_t n = len < chunk ? len : chunk;

		put_addr(cmd, OP_READ, addr);
		if (ub_spi_cmd(nor->spi, cmd, 4, buf, n, err))
			return -1;
		addr += (uint32_t)n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * On an adapter that batches: WREN, WEL, the erase and a first poll in one
 * round trip; then a host wait of most of the last erase's time (*learned_us)
 * before polling, so an erase costs a few round trips rather than one a
 * millisecond.
 */
static int erase_batched(struct ub_nor *nor, const uint8_t cmd[4], uint64_t timeout_us,
			 const char *what, uint32_t addr, uint32_t *learned_us, struct ub_err *err)
{
	const struct ub_spi_seg seg = { .tx = cmd, .len = 4 };
	uint64_t start = ub_spi_now_ns(nor->spi);
	struct batch b;

	plan_batch(&b, 1, &seg, 1, 0);
	if (ub_spi_frames(nor->spi, b.frames, b.nframes, err))
		return -1;
	if (!(b.wel & UB_NOR_SR_WEL))
		return wel_missing(nor, b.wel, err);
	if (!(b.sr1 & UB_NOR_SR_WIP))
		return 0;
	if (*learned_us)
		ub_spi_delay_us(nor->spi, *learned_us);
	if (wait_ready(nor, timeout_us, POLL_ERASE_US, what, addr, err))
		return -1;
	*learned_us = (uint32_t)((ub_spi_now_ns(nor->spi) - start) / 1000u / 16u * 15u);
	return 0;
}

static int erase(struct ub_nor *nor, uint8_t op, uint32_t addr, uint64_t timeout_us,
		 const char *what, uint32_t *learned_us, struct ub_err *err)
{
	uint8_t cmd[4];

	if (addr >= nor->size)
		return ub_fail(err, UB_EFAIL, "internal: erase at 0x%06x past the flash", addr);
	put_addr(cmd, op, addr);
	if (ub_spi_batches(nor->spi))
		return erase_batched(nor, cmd, timeout_us, what, addr, learned_us, err);
	if (write_enable(nor, 1, err))
		return -1;
	if (ub_spi_cmd(nor->spi, cmd, 4, NULL, 0, err))
		return -1;
	return wait_ready(nor, timeout_us, POLL_ERASE_US, what, addr, err);
}

int ub_nor_erase_sector(struct ub_nor *nor, uint32_t addr, struct ub_err *err)
{
	if (erase(nor, OP_SE, addr & ~(UB_NOR_SECTOR - 1), TIMEOUT_SECTOR_US,
		  "erasing sector", &nor->sector_wait_us, err))
		return -1;
	nor->counts.sectors_erased++;
	return 0;
}

int ub_nor_erase_block(struct ub_nor *nor, uint32_t addr, struct ub_err *err)
{
	if (erase(nor, OP_BE64, addr & ~(UB_NOR_BLOCK - 1), TIMEOUT_BLOCK_US,
		  "erasing block", &nor->block_wait_us, err))
		return -1;
	nor->counts.blocks_erased++;
	return 0;
}

/* WREN, the program and a poll after the learned wait, in one round trip. */
static int program_batched(struct ub_nor *nor, const struct ub_spi_seg segs[2], uint32_t addr,
			   struct ub_err *err)
{
	struct batch b;

	plan_batch(&b, 0, segs, 2, nor->page_wait_us);
	if (ub_spi_frames(nor->spi, b.frames, b.nframes, err))
		return -1;
	if (!(b.sr1 & UB_NOR_SR_WIP))
		return 0;
	if (nor->page_wait_us < PAGE_WAIT_MAX_US)
		nor->page_wait_us += PAGE_WAIT_STEP_US;
	return wait_ready(nor, TIMEOUT_PAGE_US, POLL_PAGE_US, "programming page", addr, err);
}

int ub_nor_program_page(struct ub_nor *nor, uint32_t addr, const uint8_t *data,
			size_t len, struct ub_err *err)
{
	uint8_t cmd[4];
	struct ub_spi_seg segs[2] = {
		{ .tx = cmd, .len = 4 },
		{ .tx = data, .len = len },
	};

	if (!len || len > UB_NOR_PAGE || (addr % UB_NOR_PAGE) + len > UB_NOR_PAGE ||
	    (uint64_t)addr + len > nor->size)
		return ub_fail(err, UB_EFAIL, "internal: page program 0x%06x+%zu crosses a page", addr, len);
	put_addr(cmd, OP_PP, addr);
	if (ub_spi_batches(nor->spi)) {
		if (program_batched(nor, segs, addr, err))
			return -1;
	} else if (write_enable(nor, 0, err) || ub_spi_frame(nor->spi, segs, 2, err) ||
		   wait_ready(nor, TIMEOUT_PAGE_US, POLL_PAGE_US, "programming page", addr, err)) {
		return -1;
	}
	nor->counts.pages_programmed++;
	return 0;
}

static int write_status(struct ub_nor *nor, uint16_t sr, struct ub_err *err)
{
	uint8_t cmd[3] = { OP_WRSR, (uint8_t)sr, (uint8_t)(sr >> 8) };

	if (write_enable(nor, 1, err))
		return -1;
	if (ub_spi_cmd(nor->spi, cmd, nor->chip.sr_bytes == 2 ? 3 : 2, NULL, 0, err))
		return -1;
	return wait_ready(nor, TIMEOUT_WRSR_US, POLL_PAGE_US * 10, "writing status", 0, err);
}

/*
 * Write the status only when protect bits are set: a no-op write has left
 * some parts locked (bk7231tools#29). Some writes do not stick the first
 * time (bk7231tools#23, OpenBK7231T_App#1112), so try twice. Compare with
 * WIP and WEL masked (bk7231tools#19).
 */
int ub_nor_unprotect(struct ub_nor *nor, int *changed, struct ub_err *err)
{
	const uint16_t keep = (uint16_t)~(nor->chip.protect_mask | UB_NOR_SR_WIP | UB_NOR_SR_WEL);
	uint16_t sr;
	int pass;

	*changed = 0;
	for (pass = 0; pass < 3; pass++) {
		if (ub_nor_status(nor, &sr, err))
			return -1;
		if (!ub_nor_protect_bits(nor, sr))
			return 0;
		if (pass == 2)
			break;
		ub_debug(nor->log, "status 0x%04x: clearing protect bits 0x%04x", sr,
			 ub_nor_protect_bits(nor, sr));
		if (write_status(nor, sr & keep, err))
			return -1;
		*changed = 1;
	}
	return ub_fail(err, UB_EFAIL,
		       "protect bits stay set (SR1=0x%02x SR2=0x%02x) after two writes: the status register may be locked by SRP and the WP# pin",
		       sr & 0xff, sr >> 8);
}

void ub_nor_plan_sector(const uint8_t *old, const uint8_t *new_data,
			struct ub_sector_plan *plan)
{
	size_t i;

	plan->erase = 0;
	plan->pages = 0;
	for (i = 0; i < UB_NOR_SECTOR; i++)
		if (~old[i] & new_data[i]) {
			plan->erase = 1;
			break;
		}
	for (i = 0; i < UB_NOR_SECTOR; i++) {
		/* After an erase every byte reads FF; only non-FF pages need programming. */
		int differs = plan->erase ? new_data[i] != 0xff : new_data[i] != old[i];

		if (differs)
			plan->pages |= (uint16_t)(1u << (i / UB_NOR_PAGE));
	}
}
