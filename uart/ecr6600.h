/* SPDX-License-Identifier: MIT */
/*
 * ESWIN ECR6600 over its UART (../shared/notes/uart-chips.md §2): the boot
 * ROM's raw "cnys" sync and RAM download, then a flasher stub's frames
 * (request A5 TYPE LEN16 DATA SUM8, answer 5A TYPE LEN16 DATA STATUS SUM8).
 * Two stubs: BK7231GUIFlashTool's custom one (XMODEM read/write, SHA-256,
 * flash id, eFuse) and ESWIN's stock one (0x03/0x02 frames).
 */
#ifndef UNBRICK_ECR6600_H
#define UNBRICK_ECR6600_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "port.h"

#define ECR_ROM_BAUD 115200u
#define ECR_SECTOR 4096u
#define ECR_BLOCK 65536u
#define ECR_STUB_LOAD 0x10000u       /* the custom stub is linked there (notes §2.2) */
#define ECR_REQUEST_MAX 8            /* the stub copies request data into 8 bytes (§2.3) */
#define ECR_PARTITION_BACKUP 4096u   /* what the stock stub mirrors of a write at 0 (§2.5) */

enum ecr_type {
	ECR_SYN = 0x00, ECR_RAM_DOWNLOAD = 0x01, ECR_FLASH_DOWNLOAD = 0x02, ECR_FLASH_UPLOAD = 0x03,
	ECR_ERASE = 0x04, ECR_CHIP_ERASE = 0x05, ECR_RUN = 0x06, ECR_BAUD = 0x07,
	ECR_SHA256 = 0x09, ECR_FLASH_ID = 0x90, ECR_XMODEM_WRITE = 0x91, ECR_XMODEM_READ = 0x92,
	ECR_EFUSE_READ = 0x99,
};

enum ecr_stub_kind { ECR_STUB_UNKNOWN, ECR_STUB_CUSTOM, ECR_STUB_STOCK };

/* SUM8: the sum of the bytes mod 256 (ESWIN calls it CRC8; it is no CRC). */
uint8_t ecr_sum8(const uint8_t *buf, size_t len);
/* A request frame into out (5 + n bytes); returns its length. */
size_t ecr_frame(uint8_t type, const uint8_t *data, size_t n, uint8_t *out);
/* The ROM's RAM-download header: LE32 {1, load address, length}. */
void ecr_ram_header(uint32_t addr, uint32_t len, uint8_t out[12]);
/* The stub kind a stub file is: BK's custom stub carries its deflate code ("tdefl_"). */
enum ecr_stub_kind ecr_stub_kind_of(const uint8_t *stub, size_t len);
/* "custom", "stock" */
const char *ecr_stub_kind_name(enum ecr_stub_kind kind);

typedef int (*ecr_source_fn)(void *arg, uint8_t *data, size_t len, struct ub_err *err);
typedef int (*ecr_sink_fn)(void *arg, const uint8_t *data, size_t len, struct ub_err *err);

struct ecr_config {
	struct ub_port *port;
	const struct ub_log *log;
	volatile sig_atomic_t *stop;
	int sync_tries;           /* "cnys" sent, 50 ms apart by default */
	int sync_interval_ms;
	/* Reset the chip (the --reset sequence); NULL: the user does it. */
	int (*reset)(void *arg, struct ub_err *err);
	void *reset_arg;
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

struct ecr_info {
	enum ecr_stub_kind stub;
	int reused;               /* a stub was already running */
	unsigned baud;
	uint8_t jedec[3];
	int have_jedec;
	uint64_t flash_size;
	uint64_t written;         /* bytes of the last ecr_write written and verified */
};

struct ecr;

struct ecr *ecr_new(const struct ecr_config *cfg, struct ub_err *err);
void ecr_free(struct ecr *e);
const struct ecr_info *ecr_info(const struct ecr *e);

/*
 * Find a custom stub already running, at 115200 or at a rate of its table
 * (a run may have left it there): 1 found, 0 not.
 */
int ecr_probe(struct ecr *e, struct ub_err *err);
/* The ROM: reset (if configured), "cnys" until it answers, then the stub. */
int ecr_boot_stub(struct ecr *e, const uint8_t *stub, size_t len, enum ecr_stub_kind kind,
		  struct ub_err *err);
/* Flash id and size: 0x90 (custom), or 8-byte reads downward from 16 MiB (stock). */
int ecr_identify(struct ecr *e, struct ub_err *err);

/* Switch the stub to baud (0x07) and check the link there with a flash-id round trip. */
int ecr_set_baud(struct ecr *e, unsigned baud, struct ub_err *err);
/* The fastest rate from max down that holds (2000000, 1500000, 921600, 460800, 115200). */
int ecr_best_baud(struct ecr *e, unsigned max, struct ub_err *err);

int ecr_read(struct ecr *e, uint32_t addr, uint64_t len, ecr_sink_fn sink, void *arg,
	     struct ub_err *err);
/*
 * Write len bytes at addr (the stub erases what it covers, in whole 4 KiB
 * sectors), verified, and done again (up to 5 times) until it holds.
 * Custom stub: one 0x91 XMODEM transfer, again from rewind when an ACK was
 * lost (the stub writes a resent block twice), then SHA-256. Stock: 0x02
 * sessions of 64 KiB (4 KiB at 0, which the stub mirrors), each read back.
 * info->written says how much is written and verified.
 */
int ecr_write(struct ecr *e, uint32_t addr, uint64_t len, ecr_source_fn source,
	      int (*rewind)(void *arg, struct ub_err *err), void *arg, struct ub_err *err);
/*
 * 1 when the flash at addr already holds data (len up to 256 KiB): the
 * custom stub's SHA-256, or (stock) a read; else 0.
 */
int ecr_holds(struct ecr *e, uint32_t addr, const uint8_t *data, size_t len, struct ub_err *err);
/* SHA-256 of the flash range (custom stub). */
int ecr_sha256(struct ecr *e, uint32_t addr, uint32_t len, uint8_t out[32], struct ub_err *err);
int ecr_erase(struct ecr *e, uint32_t addr, uint32_t len, struct ub_err *err);
int ecr_chip_erase(struct ecr *e, struct ub_err *err);
int ecr_efuse_read(struct ecr *e, uint8_t out[128], struct ub_err *err);
/* Start the firmware (0x06); the stub is gone afterwards. */
int ecr_run(struct ecr *e, struct ub_err *err);
/* Back to 115200, as BK7231GUIFlashTool leaves it, so the next run finds it. */
int ecr_restore_baud(struct ecr *e, struct ub_err *err);

#endif
