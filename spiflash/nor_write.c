/* SPDX-License-Identifier: MIT */
/* Smart write: erase and program only what changed, verify what was touched. */
#include <stdlib.h>
#include <string.h>

#include "nor.h"

struct block_job {
	uint32_t base;         /* 64 KiB aligned */
	unsigned first, last;  /* sectors of the block inside the range */
	uint8_t *old, *target, *check;
	struct ub_sector_plan plan[UB_NOR_SECTORS_PER_BLOCK];
};

static uint64_t since(struct ub_nor *nor, uint64_t t0)
{
	return ub_spi_now_ns(nor->spi) - t0;
}

static int load_block(struct ub_nor *nor, struct block_job *job, uint32_t lo,
		      uint32_t hi, ub_nor_source source, void *arg, struct ub_err *err)
{
	uint32_t from = job->first * UB_NOR_SECTOR;
	uint32_t n = (job->last + 1 - job->first) * UB_NOR_SECTOR;
	uint64_t t0 = ub_spi_now_ns(nor->spi);
	unsigned s;

	if (ub_nor_read(nor, job->base + from, job->old + from, n, err))
		return -1;
	nor->counts.ns_compare += since(nor, t0);
	memcpy(job->target + from, job->old + from, n);
	if (source(arg, job->target + (lo - job->base), hi - lo, err))
		return -1;
	for (s = job->first; s <= job->last; s++)
		ub_nor_plan_sector(job->old + s * UB_NOR_SECTOR,
				   job->target + s * UB_NOR_SECTOR, &job->plan[s]);
	return 0;
}

static int whole_block_needs_erase(const struct block_job *job)
{
	unsigned s;

	if (job->first != 0 || job->last != UB_NOR_SECTORS_PER_BLOCK - 1)
		return 0;
	for (s = 0; s < UB_NOR_SECTORS_PER_BLOCK; s++)
		if (!job->plan[s].erase)
			return 0;
	return 1;
}

static int program_sector(struct ub_nor *nor, const struct block_job *job,
			  unsigned s, struct ub_err *err)
{
	unsigned p;

	for (p = 0; p < UB_NOR_PAGES_PER_SECTOR; p++) {
		uint32_t off = s * UB_NOR_SECTOR + p * UB_NOR_PAGE;

		if (!(job->plan[s].pages & (1u << p)))
			continue;
		if (ub_nor_program_page(nor, job->base + off, job->target + off,
					UB_NOR_PAGE, err))
			return -1;
	}
	return 0;
}

static int change_block(struct ub_nor *nor, const struct block_job *job,
			struct ub_err *err)
{
	int whole = whole_block_needs_erase(job);
	uint64_t t0 = ub_spi_now_ns(nor->spi);
	unsigned s;

	if (whole && ub_nor_erase_block(nor, job->base, err))
		return -1;
	for (s = job->first; s <= job->last; s++) {
		if (!whole && job->plan[s].erase &&
		    ub_nor_erase_sector(nor, job->base + s * UB_NOR_SECTOR, err))
			return -1;
		if (program_sector(nor, job, s, err))
			return -1;
	}
	nor->counts.ns_program += since(nor, t0);
	return 0;
}

static int verify_block(struct ub_nor *nor, struct block_job *job, struct ub_err *err)
{
	uint64_t t0 = ub_spi_now_ns(nor->spi);
	unsigned s;

	for (s = job->first; s <= job->last; s++) {
		uint32_t off = s * UB_NOR_SECTOR;
		size_t i;

		if (!job->plan[s].erase && !job->plan[s].pages) {
			nor->counts.sectors_unchanged++;
			continue;
		}
		if (ub_nor_read(nor, job->base + off, job->check, UB_NOR_SECTOR, err))
			return -1;
		for (i = 0; i < UB_NOR_SECTOR; i++)
			if (job->check[i] != job->target[off + i])
				return ub_fail(err, UB_EFAIL,
					       "verify failed at 0x%06zx: wrote 0x%02x, read 0x%02x; the flash may be protected or the link unreliable%s",
					       job->base + off + i, job->target[off + i], job->check[i],
					       ub_spi_speed_advice(nor->spi, ": try a lower --speed"));
	}
	nor->counts.ns_verify += since(nor, t0);
	return 0;
}

static int write_range(struct ub_nor *nor, struct block_job *job, uint32_t addr,
		       uint32_t len, ub_nor_source source, void *arg,
		       const struct ub_nor_progress *progress, uint32_t *done,
		       struct ub_err *err)
{
	uint32_t end = addr + len, base;

	for (base = addr & ~(UB_NOR_BLOCK - 1); base < end; base += UB_NOR_BLOCK) {
		uint32_t lo = base > addr ? base : addr;
		uint32_t hi = end - base < UB_NOR_BLOCK ? end : base + UB_NOR_BLOCK;

		job->base = base;
		job->first = (lo - base) / UB_NOR_SECTOR;
		job->last = (hi - 1 - base) / UB_NOR_SECTOR;
		if (load_block(nor, job, lo, hi, source, arg, err) ||
		    change_block(nor, job, err) || verify_block(nor, job, err))
			return -1;
		*done = hi - addr;
		if (progress && progress->update)
			progress->update(progress->arg, *done);
		if (nor->stop && *nor->stop && hi < end)
			return ub_fail(err, UB_EINTR, "interrupted");
	}
	return 0;
}

int ub_nor_write(struct ub_nor *nor, uint32_t addr, uint32_t len,
		 ub_nor_source source, void *source_arg,
		 const struct ub_nor_progress *progress, uint32_t *done,
		 struct ub_err *err)
{
	struct block_job job;
	uint8_t *mem;
	int rc;

	*done = 0;
	if (!len || (uint64_t)addr + len > nor->size)
		return ub_fail(err, UB_EUSAGE, "internal: write 0x%06x+%u outside the flash", addr, len);
	mem = malloc(2 * UB_NOR_BLOCK + UB_NOR_SECTOR);
	if (!mem)
		return ub_fail(err, UB_EFAIL, "out of memory");
	memset(&job, 0, sizeof(job));
	job.old = mem;
	job.target = mem + UB_NOR_BLOCK;
	job.check = mem + 2 * UB_NOR_BLOCK;
	rc = write_range(nor, &job, addr, len, source, source_arg, progress, done, err);
	free(mem);
	return rc;
}
