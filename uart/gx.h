/* SPDX-License-Identifier: MIT */
/*
 * NationalChip GX boot protocol (../shared/notes/uart-chips.md §1): the boot
 * ROM's 'X' handshake, stage 1 and stage 2 upload of a RAM loader (.boot
 * file), then the loader's boot> prompt with ~sta~/~crc~/~fin~ transfers.
 */
#ifndef UNBRICK_GX_H
#define UNBRICK_GX_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "log.h"
#include "port.h"

#define GX_LOADER_BAUD 115200u
#define GX_MAX_PARTS 16

/* A loader file. */
struct gx_loader {
	uint8_t *data;
	size_t len;
	uint16_t chip;      /* header 0x06, or 0x3211 (bytes 0-1) for legacy files */
	uint32_t baud;      /* header 0x08; 0 when absent */
	int legacy;         /* no "toob" magic */
	size_t stage1_len;  /* T: stage 1 word count * 4 */
	size_t payload;     /* stage 1 payload bytes */
	char path[256];
};

/* Read and check a loader: the magic (or a legacy header), size >= stage 1. */
int gx_loader_load(const char *path, struct gx_loader *ld, struct ub_err *err);
void gx_loader_free(struct gx_loader *ld);

/* Stage 1 transfer size T for a chip id (8192, 0x4000 or 4096). */
size_t gx_stage1_size(uint16_t chip);

/* Stage 1 payload bytes: T - 4, but 0x3FE0 for T = 0x4000 (notes §1.2 table). */
size_t gx_stage1_payload(uint16_t chip);

/* Additive sum of bytes, the stage 2 checksum. */
uint32_t gx_sum32(const uint8_t *p, size_t len);

/* XOR-sum of a transfer, continued from sum over bytes at offset.. */
uint32_t gx_xorsum(uint32_t sum, uint64_t offset, const uint8_t *p, size_t len);

/* Stage 2 as sent: sum32, size, then the image ("toob" + code + 28 zeros). */
size_t gx_stage2_image(const struct gx_loader *ld, size_t i, uint8_t *out, size_t cap);

struct gx_part {
	char name[16];
	char fs[16];
	uint32_t start, size;
};

/* What the loader's banner says. */
struct gx_info {
	char flash_model[32];
	uint64_t flash_size;
	char chip_model[32];
	char board[32];
	char sdk[160];
	int nparts;
	struct gx_part parts[GX_MAX_PARTS];
	int have_banner;  /* 0 when the loader was already at its prompt */
};

/* Parse a banner (flash line, partition table, "key : value" lines). */
void gx_parse_banner(const char *text, struct gx_info *info);

const struct gx_part *gx_find_part(const struct gx_info *info, const char *name);

/* What a progress report is about. */
enum gx_phase {
	GX_PHASE_LOADER,  /* the stage 2 upload (again when a reset box is re-booted) */
	GX_PHASE_DATA,    /* the bytes of the gx_read or gx_write running */
};

/*
 * Progress, for the program to draw: done of total bytes of a phase, first
 * with done = 0, last with done = total when the phase completes.
 */
struct gx_progress {
	void (*update)(void *arg, enum gx_phase phase, uint64_t done, uint64_t total);
	void *arg;
};

struct gx_config {
	struct ub_port *port;
	const struct ub_log *log;
	const struct gx_loader *loader;   /* NULL: cannot (re)boot */
	unsigned rom_baud;                /* 0: the loader header's, else 115200 */
	int handshake_ms;                 /* wait for the ROM (--timeout) */
	volatile sig_atomic_t *stop;      /* may be NULL */
	/* Reset or power the box (--reset), run before waiting for the ROM; may be NULL. */
	int (*power_on)(void *arg, struct ub_err *err);
	void *power_arg;
	struct gx_progress progress;      /* update may be NULL */
};

/* An engine on cfg->port (which stays the caller's); NULL on error. */
struct gx *gx_new(const struct gx_config *cfg, struct ub_err *err);
void gx_free(struct gx *gx);

/* What the loader's banner said (have_banner 0 before a boot). */
const struct gx_info *gx_info(const struct gx *gx);

/* 1 when transfers carry an XOR-sum (~crc~); 0 for a legacy loader. */
int gx_has_crc(const struct gx *gx);

/*
 * Get to the boot> prompt: if the loader already shows it, use it; otherwise
 * wait for the ROM's handshake (the box being powered on) and boot the loader.
 * A line that is busy at first (a loader still streaming a transfer that an
 * earlier run left) is drained until it goes quiet or shows its prompt.
 * Returns 0 after a boot, 1 when the prompt was already there.
 */
int gx_connect(struct gx *gx, struct ub_err *err);

/* Send one prompt command; *answer (malloc'd) gets its text output. */
int gx_command(struct gx *gx, const char *line, char **answer, struct ub_err *err);

/* Binary reads and writes: framed, XOR-summed, retried. */
typedef int (*gx_sink_fn)(void *arg, const uint8_t *data, size_t len, struct ub_err *err);
typedef int (*gx_source_fn)(void *arg, uint8_t *data, size_t len, struct ub_err *err);

/*
 * Read len bytes with "VERB TARGET LEN" transfers (VERB e.g. "serialdump",
 * "gx_otp read"), TARGET an address (addr) in chunks of chunk bytes, each
 * checked against its XOR-sum and retried up to retries times (re-booting
 * the loader if the box reset). Verified data goes to sink in order.
 * A loader that answers a transfer with its prompt instead of ~sta~ refused
 * it: UB_EUSAGE, with its words. A stop: UB_EINTR, saying how much went to sink.
 */
int gx_read(struct gx *gx, const char *verb, uint64_t addr, uint64_t len, size_t chunk,
	    int retries, gx_sink_fn sink, void *arg, struct ub_err *err);

/*
 * Write len bytes from source with one "VERB TARGET LEN" transfer, TARGET as
 * given (a partition name or a 0x address). source may be called again for
 * a retry after rewinding (rewind). xorsum is the sum over all len bytes.
 * A stop while the image goes: UB_EINTR, and the loader has written nothing.
 * Once the image and its XOR-sum have gone the loader writes: that is waited
 * out (with a warning on the log), and the return is 0 with *cfg->stop set.
 */
int gx_write(struct gx *gx, const char *verb, const char *target, uint64_t len,
	     uint32_t xorsum, int retries, gx_source_fn source, int (*rewind)(void *arg),
	     void *arg, struct ub_err *err);

/* Raw access for the shell: bytes already buffered, then the port. */
ssize_t gx_read_some(struct gx *gx, uint8_t *buf, size_t cap, int timeout_ms,
		     struct ub_err *err);

#endif
