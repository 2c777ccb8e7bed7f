/* SPDX-License-Identifier: MIT */
/*
 * WinnerMicro W800/W801/W806 and W600/W601 download mode over a port
 * (../shared/notes/uart-chips.md §3): the ESC/AT+Z entry and the 'C'/'P'
 * prompt, the 0x21 command frames, the baud switch with its fall-back,
 * erase, MAC, the XMODEM-1K image upload, and the W800 RAM stub's 0x4A
 * read.
 */
#ifndef UNBRICK_W800_H
#define UNBRICK_W800_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "port.h"

#define W800_ROM_BAUD 115200u
#define W800_SECTOR 4096u
#define W800_BLOCK 65536u
#define W800_FLASH_BASE 0x08000000u
/* Sectors 0-1 hold what no tool erases (notes §3.5); the secboot area follows. */
#define W800_PROTECTED_END 0x2000u
#define W800_SECBOOT_END 0x10000u
#define W800_MAX_FRAME (9 + 16)

enum w800_cmd {
	W800_CMD_BAUD = 0x31,
	W800_CMD_ERASE = 0x32,
	W800_CMD_SET_MAC = 0x37,
	W800_CMD_GET_MAC = 0x38,
	W800_CMD_QFID = 0x3C,
	W800_CMD_ROM_VERSION = 0x3E,
	W800_CMD_ERASE_SECBOOT = 0x3F,
	W800_CMD_STUB_READ = 0x4A,
};

enum w800_chip { W800_CHIP_AUTO, W800_CHIP_W800, W800_CHIP_W600 };
enum w800_entry { W800_ENTRY_AUTO, W800_ENTRY_ESC, W800_ENTRY_AT, W800_ENTRY_MANUAL };
enum w800_stage {
	W800_STAGE_ROM, W800_STAGE_SECBOOT, W800_STAGE_STUB,
	W800_STAGE_LEFT,  /* it left download mode to start its firmware */
};

/*
 * The frame for cmd with its parameters into out (W800_MAX_FRAME bytes):
 * 0x21, LEN LE16 (= 4 + n + 2), CRC-16/CCITT-FALSE LE16 over CMD and
 * params, CMD LE32, params. Returns its length.
 */
size_t w800_frame(uint32_t cmd, const uint8_t *params, size_t n, uint8_t *out);

/* The parameters of an erase: start and count in 4 KiB sectors, or in 64 KiB blocks. */
void w800_erase_params(uint32_t start, uint32_t count, int blocks, uint8_t out[4]);

struct w800_info {
	enum w800_chip chip;
	enum w800_stage stage;
	char prompt;               /* 'C' or 'P' */
	uint8_t mac[6];
	int have_mac;
	char rom_version[4];       /* "R:8", "" when it did not answer */
	int secondary_loader;      /* a W806 secondary downloader was passed */
	uint8_t flash_mfr, flash_cap;
	int have_qfid;
	uint64_t flash_size;       /* from QFID, 0 when unknown */
	unsigned baud;             /* the rate the link is at now */
};

typedef int (*w800_source_fn)(void *arg, uint8_t *data, size_t len, struct ub_err *err);
typedef int (*w800_sink_fn)(void *arg, const uint8_t *data, size_t len, struct ub_err *err);

struct w800_config {
	struct ub_port *port;
	const struct ub_log *log;
	volatile sig_atomic_t *stop;
	enum w800_chip chip;
	enum w800_entry entry;
	int timeout_ms;            /* for the prompt, before giving up */
	/* The --reset sequence (or RTS) that resets the chip; NULL: none given. */
	int (*reset)(void *arg, struct ub_err *err);
	void *reset_arg;
	/* The transfer's progress: bytes done of total. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

struct w800;

struct w800 *w800_new(const struct w800_config *cfg, struct ub_err *err);
void w800_free(struct w800 *w);
const struct w800_info *w800_info(const struct w800 *w);

/*
 * Enter download mode, then ask the ROM version, the MAC and (in the ROM)
 * the flash id. Status 3 with the BOOT-pin hint when no prompt comes.
 */
int w800_connect(struct w800 *w, struct ub_err *err);

/*
 * Go to the fastest rate of 2000000, 1000000, 921600, 460800 that is at
 * most max and holds (the prompt and a MAC read come back clean), falling
 * back down the list; 115200 stays as it is.
 */
int w800_set_baud(struct w800 *w, unsigned max, struct ub_err *err);
/* Back to 115200 (before a reset, so the next run finds the ROM's rate). */
int w800_restore_baud(struct w800 *w, struct ub_err *err);

/* Erase and wait for the prompt to return. Ranges in bytes, sector-aligned. */
int w800_erase_range(struct w800 *w, uint32_t offset, uint32_t len, struct ub_err *err);
int w800_erase_secboot(struct w800 *w, struct ub_err *err);
/* W600: the whole image area (0x32 with no parameters). */
int w800_erase_image_area(struct w800 *w, struct ub_err *err);

int w800_set_mac(struct w800 *w, const uint8_t mac[6], struct ub_err *err);
int w800_get_mac(struct w800 *w, uint8_t mac[6], struct ub_err *err);

/*
 * Send an image (the header included) by XMODEM-1K, padded with 0x00 as
 * wm_tool does, and wait for the chip's prompt to come back. When the link
 * fails at a fast rate, the chip is brought back to 115200 and the upload
 * starts again (rewind) at the next lower rate that holds. A refusal by
 * the chip is status 2 with its words.
 */
int w800_upload(struct w800 *w, uint64_t len, w800_source_fn source,
		int (*rewind)(void *arg, struct ub_err *err), void *arg, struct ub_err *err);

/* Upload the W800 RAM stub (an image whose address is in SRAM) and wait for its prompt. */
int w800_run_stub(struct w800 *w, const uint8_t *image, size_t len, struct ub_err *err);

/*
 * Read flash through the stub: 0x4A in 4 KiB pieces, each checked by its
 * CRC-32 and asked again up to 10 times.
 */
int w800_read(struct w800 *w, uint32_t offset, uint64_t len, w800_sink_fn sink, void *arg,
	      struct ub_err *err);

/* Reset the chip (the --reset sequence, else an RTS pulse). */
int w800_reboot(struct w800 *w, struct ub_err *err);

#endif
