/* SPDX-License-Identifier: MIT */
/*
 * Emulator of a WinnerMicro W800/W600 on its UART (options, choices and
 * trace wording: sim/sim_w800.h). Written from
 * ../shared/notes/uart-chips.md §3 and ../shared/data/w800, not from the
 * host code.
 *
 * Structure: the runner hands over host bytes (input) and pulls device
 * bytes (output) with the model time. The chip is a state (off, held, ROM
 * window, booting, secboot window, firmware, silent, download) with one
 * timer for what happens next; in download mode a sub-state says what the
 * receiver is doing (idle and prompting, in a frame, in a block, between
 * blocks, purging, busy). Output is a queue of chunks, each with an
 * earliest time and an event when its last byte has left.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "sim_w800.h"
#include "sim_file.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MS(n) ((uint64_t)(n) * 1000000u)
#define NEVER UINT64_MAX

enum {
	ROM_BAUD = 115200,
	SECTOR = 4096,
	BLOCK64 = 65536,
	FLASH_BASE = 0x08000000,
	SRAM_BASE = 0x20000000,
	SRAM_SIZE = 288 * 1024,
	MAX_FLASH = 16 * 1024 * 1024,
	MAX_IMAGE = 16 * 1024 * 1024,
	FRAME_MAX = 70,           /* LEN limit (choice) */
	FRAME_TIMEOUT_MS = 100,
	REPLY_MS = 1,
	BLOCK_TIMEOUT_MS = 200,
	PURGE_MS = 20,
	UPLOAD_TIMEOUT_MS = 10000,
	SECBOOT_START_MS = 10,
	FIRMWARE_START_MS = 20,
	AT_RESET_MS = 20,
	STUB_START_MS = 10,
	MAX_READ = 65536,
	AT_LINE = 32,
	SIG_LEN = 128,
	MAGIC = 0xA0FFFF9Fu,
};

static const char secboot_banner[] = "\r\nsecboot running V3.1...\r\n";
static const char firmware_log[] = "\r\nuser app running\r\n";

enum chip { W800, W600 };
enum state {
	ST_OFF, ST_HELD, ST_ROM_WINDOW, ST_BOOTING, ST_SECBOOT_WINDOW,
	ST_FIRMWARE, ST_SILENT, ST_DL,
};
enum who { WHO_ROM, WHO_SECBOOT, WHO_STUB };
enum dl {
	DL_IDLE, DL_FRAME, DL_BLOCK, DL_BETWEEN, DL_PURGE, DL_BUSY,
};
/* What the timer does when it fires. */
enum timer {
	T_NONE, T_ROM_WINDOW_END, T_SECBOOT_START, T_SECBOOT_WINDOW_END,
	T_FIRMWARE_START, T_RESET, T_BAUD, T_ERASE_DONE, T_ACK, T_STUB,
	T_PURGE, T_FRAME_TIMEOUT, T_BLOCK_TIMEOUT, T_UPLOAD_TIMEOUT,
};
enum event { EV_NONE, EV_PROMPTS };
enum phase { PH_HEADER, PH_BODY, PH_PAD };

struct chunk {
	struct chunk *next;
	uint64_t not_before;
	enum event event;
	size_t len, off;
	uint8_t data[];
};

struct img {
	uint32_t type, attr, addr, len, hdr_addr, crc;
	int ram, hdr_in_flash;
	uint32_t body_len;        /* len + signature */
};

struct upload {
	uint64_t start_ns;        /* the first byte of block 1 */
	uint8_t next_blk;
	int started, can_count;
	uint8_t block[3 + 1024 + 2];
	size_t block_got, block_need;
	uint64_t stream;          /* data bytes taken so far */
	enum phase phase;
	uint8_t hdr[64];
	size_t hdr_got;
	struct img im;
	uint8_t *body;
	uint32_t body_got;
	uint64_t pad_start;
	unsigned block_size;
	int images;
	int ram_ready;
	uint8_t *charged;         /* sectors whose erase time was charged */
	uint8_t *erased;          /* sectors erased by this upload */
	uint64_t cost_ns, cost_bytes;
};

struct w800_stats {
	uint64_t bytes_rx, bytes_tx, prompts, escapes, frames_ok, frames_bad;
	uint64_t frames_ignored, uploads, blocks_ok, blocks_nak, blocks_dup;
	uint64_t blocks_can, images_ok, images_bad, stubs, baud_changes;
	uint64_t resets, erases, sectors_erased, reads, read_bytes, flips;
	uint64_t drops, delays, corrupted, garbled_rx, garbled_tx, busy_dropped;
	uint64_t upload_ns;       /* block 1's first byte to the EOT's ACK, all uploads */
};

struct w800_sim {
	/* options */
	enum chip chip;
	const char *name;
	uint32_t flash_size;
	uint64_t flash_mid;
	uint8_t mac[6];
	int boot_secboot, firmware_at, bootpin, w806, pace;
	char reset_line;              /* 0, 'd' or 'r' */
	uint64_t power_delay_ms, esc_window_ms, prompt_ms, baud_delay_ms;
	uint64_t erase_ms, block_erase_ms, program_us, restart_ms, turnaround_us;
	uint64_t corrupt_above, corrupt_ppm, flip_ppm, drop_ppm;
	uint64_t delay_ms, delay_ppm, seed;
	int64_t reset_at;             /* -1: none, or used */
	char *image_path, *save_path, *stats_path;
	FILE *trace, *rx;
	int io_failed;

	uint8_t *flash;

	/* line */
	struct uart_sim_line host;
	int have_host, raw_seen, dtr, rts;
	unsigned rate;

	/* chip */
	enum state st;
	enum who who;
	enum dl dl;
	enum timer timer;
	uint64_t timer_at, power_at, next_prompt, stall_until;
	int prompt_hold, no_roll;
	uint64_t busy_dropped_run;
	char at_line[AT_LINE];
	size_t at_len;

	/* frame */
	uint8_t frame[FRAME_MAX + 3];
	size_t frame_got, frame_need;
	unsigned pending_baud;
	uint32_t erase_off, erase_len;
	int erase_then_reset;

	struct upload *up;
	uint64_t xmodem_bytes;

	/* output */
	struct chunk *q_head, *q_tail;

	uint64_t rng;
	struct w800_stats stats;
};

/* ------------------------------------------------------------------ CRCs */

uint16_t w800_sim_crc16_ccitt(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int k = 0; k < 8; k++)
			crc = (uint16_t)(crc & 0x8000 ? crc << 1 ^ 0x1021 : crc << 1);
	}
	return crc;
}

uint16_t w800_sim_crc16_xmodem(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int k = 0; k < 8; k++)
			crc = (uint16_t)(crc & 0x8000 ? crc << 1 ^ 0x1021 : crc << 1);
	}
	return crc;
}

uint32_t w800_sim_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? crc >> 1 ^ 0xEDB88320u : crc >> 1;
	}
	return crc;
}

/* ---------------------------------------------------------------- basics */

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* 1 with probability ppm / 1e6; draws only when ppm is set. */
static int chance(struct w800_sim *m, uint64_t ppm)
{
	if (!ppm)
		return 0;
	return sim_random(&m->rng) % 1000000u < ppm;
}

static uint64_t busy_ns(const struct w800_sim *m, uint64_t ns)
{
	return m->pace ? ns : 0;
}

/* A block's ACK leaves after the flash work, and not before the chip's turnaround. */
static uint64_t ack_delay_ns(const struct w800_sim *m, uint64_t busy)
{
	uint64_t turnaround = m->turnaround_us * 1000u;

	return busy > turnaround ? busy : turnaround;
}

static void set_timer(struct w800_sim *m, enum timer t, uint64_t at)
{
	m->timer = t;
	m->timer_at = at;
}

static void clear_timer(struct w800_sim *m)
{
	set_timer(m, T_NONE, NEVER);
}

static size_t header_size(const struct w800_sim *m)
{
	return m->chip == W800 ? 64 : 56;
}

static uint32_t secboot_header_off(const struct w800_sim *m)
{
	return m->chip == W800 ? 0x2000 : 0x0;
}

/* ---------------------------------------------------------- output queue */

static struct chunk *q_push(struct w800_sim *m, const void *data, size_t len,
			    uint64_t not_before, enum event ev)
{
	struct chunk *c = malloc(sizeof(*c) + len);

	if (!c) {
		m->io_failed = 1;
		return NULL;
	}
	c->next = NULL;
	c->not_before = not_before;
	c->event = ev;
	c->len = len;
	c->off = 0;
	if (len)
		memcpy(c->data, data, len);
	if (m->q_tail)
		m->q_tail->next = c;
	else
		m->q_head = c;
	m->q_tail = c;
	return c;
}

static void q_clear(struct w800_sim *m)
{
	while (m->q_head) {
		struct chunk *c = m->q_head;

		m->q_head = c->next;
		free(c);
	}
	m->q_tail = NULL;
	m->stall_until = 0;
	m->no_roll = 0;
}

/* Drop a prompt that has not started to leave (a frame is coming). */
static void q_drop_prompt(struct w800_sim *m)
{
	struct chunk *c = m->q_head;

	if (c && !c->next && c->off == 0 && c->len == 1 &&
	    (c->data[0] == 'C' || c->data[0] == 'P') && c->event == EV_NONE) {
		free(c);
		m->q_head = m->q_tail = NULL;
	}
}

/* A reply; prompts resume when it has left. */
static void reply(struct w800_sim *m, uint64_t now, const void *data, size_t len)
{
	m->prompt_hold = 1;
	q_push(m, data, len, now + MS(REPLY_MS), EV_PROMPTS);
}

/* ---------------------------------------------------------------- upload */

static void free_upload(struct w800_sim *m)
{
	if (!m->up)
		return;
	free(m->up->body);
	free(m->up->charged);
	free(m->up->erased);
	free(m->up);
	m->up = NULL;
}

/* ---------------------------------------------------------- chip states */

static void prompts_from(struct w800_sim *m, uint64_t now)
{
	m->dl = DL_IDLE;
	m->prompt_hold = 0;
	m->next_prompt = now + MS(m->prompt_ms);
}

static char prompt_char(const struct w800_sim *m)
{
	return m->chip == W600 && m->who == WHO_ROM ? 'P' : 'C';
}

static void enter_download(struct w800_sim *m, uint64_t now, enum who who)
{
	static const char *const names[] = { "rom", "secboot", "stub" };

	m->st = ST_DL;
	m->who = who;
	clear_timer(m);
	sim_trace(m->trace, "download %s prompt=%c", names[who], prompt_char(m));
	prompts_from(m, now);
}

static int secboot_present(const struct w800_sim *m)
{
	const uint8_t *h = m->flash + secboot_header_off(m);
	size_t hs = header_size(m);

	return get_le32(h) == MAGIC &&
	       w800_sim_crc32(0xFFFFFFFFu, h, hs - 4) == get_le32(h + hs - 4);
}

static void start_firmware(struct w800_sim *m, uint64_t now)
{
	clear_timer(m);
	if (m->firmware_at) {
		sim_trace(m->trace, "firmware");
		m->st = ST_FIRMWARE;
		m->at_len = 0;
		q_push(m, firmware_log, sizeof(firmware_log) - 1, now, EV_NONE);
	} else {
		sim_trace(m->trace, "silent");
		m->st = ST_SILENT;
	}
}

static void start_secboot(struct w800_sim *m, uint64_t now)
{
	if (m->boot_secboot) {
		if (!m->w806)
			q_push(m, secboot_banner, sizeof(secboot_banner) - 1, now, EV_NONE);
		sim_trace(m->trace, "secboot window");
		m->st = ST_SECBOOT_WINDOW;
		set_timer(m, T_SECBOOT_WINDOW_END, now + MS(m->esc_window_ms));
	} else {
		m->st = ST_BOOTING;
		set_timer(m, T_FIRMWARE_START, now + MS(FIRMWARE_START_MS));
	}
}

/* The boot chain (sim_w800.h "Boot"), from reset release or power-on. */
static void boot(struct w800_sim *m, uint64_t now)
{
	m->rate = ROM_BAUD;
	m->at_len = 0;
	if (m->bootpin || !secboot_present(m)) {
		enter_download(m, now, WHO_ROM);
	} else if (!m->boot_secboot) {
		sim_trace(m->trace, "rom window");
		m->st = ST_ROM_WINDOW;
		set_timer(m, T_ROM_WINDOW_END, now + MS(m->esc_window_ms));
	} else {
		m->st = ST_BOOTING;
		set_timer(m, T_SECBOOT_START, now + MS(SECBOOT_START_MS));
	}
}

/* Everything in flight is lost. */
static void chip_down(struct w800_sim *m)
{
	q_clear(m);
	free_upload(m);
	clear_timer(m);
	m->dl = DL_IDLE;
	m->frame_got = 0;
	m->rate = ROM_BAUD;
	m->st = ST_OFF;
}

static void chip_reset(struct w800_sim *m, uint64_t now)
{
	sim_trace(m->trace, "reset");
	m->stats.resets++;
	chip_down(m);
	boot(m, now);
}

/* --------------------------------------------------------------- frames */

static void frame_bad(struct w800_sim *m, uint64_t now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A frame that is ignored, as the ROM ignores it; prompts resume. */
static void frame_bad(struct w800_sim *m, uint64_t now, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sim_trace(m->trace, "frame bad: %s", why);
	m->stats.frames_bad++;
	m->frame_got = 0;
	clear_timer(m);
	prompts_from(m, now);
}

static void mac_reply(struct w800_sim *m, uint64_t now)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%s:%02X%02X%02X%02X%02X%02X\n",
			 m->who == WHO_ROM ? "Mac" : "MAC", m->mac[0], m->mac[1],
			 m->mac[2], m->mac[3], m->mac[4], m->mac[5]);

	reply(m, now, text, (size_t)n);
}

static unsigned capacity_byte(const struct w800_sim *m)
{
	unsigned cap = 0x14;

	for (uint32_t s = 1024 * 1024; s < m->flash_size; s <<= 1)
		cap++;
	return cap;
}

static void start_erase(struct w800_sim *m, uint64_t now, uint32_t off,
			uint64_t len, uint64_t cost_ms, int then_reset)
{
	if (off >= m->flash_size) {
		sim_trace(m->trace, "erase refused: 0x%x is beyond the flash", off);
		prompts_from(m, now);
		return;
	}
	if (off + len > m->flash_size)
		len = m->flash_size - off;
	m->erase_off = off;
	m->erase_len = (uint32_t)len;
	m->erase_then_reset = then_reset;
	m->dl = DL_BUSY;
	m->busy_dropped_run = 0;
	set_timer(m, T_ERASE_DONE, now + busy_ns(m, MS(cost_ms)));
}

static void cmd_erase(struct w800_sim *m, uint64_t now, const uint8_t *p, size_t n)
{
	uint32_t start, count, unit;
	uint64_t off, len;

	if (m->chip == W600) {
		start_erase(m, now, 0x10000, m->flash_size,
			    (m->flash_size - 0x10000) / SECTOR * m->erase_ms, 0);
		return;
	}
	(void)n;
	start = get_le16(p);
	count = get_le16(p + 2);
	unit = start & 0x8000 ? BLOCK64 : SECTOR;
	start &= 0x7FFF;
	off = (uint64_t)start * unit;
	len = (uint64_t)count * unit;
	if (len == 0 || off < 0x2000) {
		sim_trace(m->trace, "erase refused: %s", len ? "sectors 0-1 are never erased" :
			  "count 0");
		prompts_from(m, now);
		return;
	}
	m->stats.erases++;
	start_erase(m, now, (uint32_t)min_u64(off, UINT32_MAX), len,
		    count * (unit == SECTOR ? m->erase_ms : m->block_erase_ms), 0);
}

static void cmd_erase_secboot(struct w800_sim *m, uint64_t now)
{
	uint32_t off = m->chip == W800 ? 0x2000 : 0;
	uint32_t len = 0xE000;   /* w800 sectors 2-15; w600 56 KiB */

	m->stats.erases++;
	start_erase(m, now, off, len, len / SECTOR * m->erase_ms,
		    m->who == WHO_SECBOOT);
}

static void erase_done(struct w800_sim *m, uint64_t now)
{
	uint32_t first = m->erase_off / SECTOR * SECTOR;
	uint32_t end = (m->erase_off + m->erase_len + SECTOR - 1) / SECTOR * SECTOR;

	memset(m->flash + first, 0xFF, end - first);
	m->stats.sectors_erased += (end - first) / SECTOR;
	sim_trace(m->trace, "erase 0x%x+0x%x", first, end - first);
	if (m->busy_dropped_run)
		sim_trace(m->trace, "busy: dropped %llu bytes",
			  (unsigned long long)m->busy_dropped_run);
	if (m->erase_then_reset)
		chip_reset(m, now);
	else
		prompts_from(m, now);
}

static void cmd_read(struct w800_sim *m, uint64_t now, const uint8_t *p)
{
	uint32_t addr = get_le32(p), len = get_le32(p + 4), off, crc;
	uint8_t *buf;

	if (addr < FLASH_BASE || len == 0 || len > MAX_READ ||
	    (uint64_t)addr - FLASH_BASE + len > m->flash_size) {
		sim_trace(m->trace, "frame ignored cmd=0x4a (range 0x%x+0x%x)", addr, len);
		m->stats.frames_ignored++;
		return;
	}
	off = addr - FLASH_BASE;
	buf = malloc((size_t)len + 4);
	if (!buf) {
		m->io_failed = 1;
		return;
	}
	memcpy(buf, m->flash + off, len);
	crc = w800_sim_crc32(0xFFFFFFFFu, buf, len);
	put_le32(buf + len, crc);
	sim_trace(m->trace, "read 0x%x+0x%x crc=0x%08x", off, len, crc);
	m->stats.reads++;
	m->stats.read_bytes += len;
	reply(m, now, buf, (size_t)len + 4);
	free(buf);
}

/* Which command this program takes, with how many parameter bytes. */
static int accepts(const struct w800_sim *m, uint32_t cmd, size_t n)
{
	int rom = m->who == WHO_ROM, sec = m->who == WHO_SECBOOT;

	switch (cmd) {
	case 0x31: return n == 4;
	case 0x32: return rom && n == (m->chip == W800 ? 4u : 0u);
	case 0x37: return (rom || sec) && n == 6;
	case 0x38: return (rom || sec) && n == 0;
	case 0x3C: return rom && n == 0;
	case 0x3E: return n == 0 && m->chip == W800 && (rom || (sec && m->w806));
	case 0x3F: return (rom || sec) && n == 0;
	case 0x4A: return m->who == WHO_STUB && n == 8;
	default: return 0;
	}
}

static void dispatch(struct w800_sim *m, uint64_t now, uint32_t cmd,
		     const uint8_t *p, size_t n)
{
	char text[32];
	int len;

	m->stats.frames_ok++;
	if (!accepts(m, cmd, n)) {
		sim_trace(m->trace, "frame ignored cmd=0x%02x", cmd);
		m->stats.frames_ignored++;
		prompts_from(m, now);
		return;
	}
	sim_trace(m->trace, "frame cmd=0x%02x params=%zu", cmd, n);
	prompts_from(m, now);
	switch (cmd) {
	case 0x31: {
		uint32_t baud = get_le32(p);

		if (baud < 9600 || baud > 2000000) {
			sim_trace(m->trace, "frame ignored cmd=0x31 (rate %u)", baud);
			m->stats.frames_ignored++;
			return;
		}
		m->pending_baud = baud;
		m->dl = DL_BUSY;
		m->busy_dropped_run = 0;
		set_timer(m, T_BAUD, now + MS(m->baud_delay_ms));
		break;
	}
	case 0x32:
		cmd_erase(m, now, p, n);
		break;
	case 0x37:
		memcpy(m->mac, p, 6);
		sim_trace(m->trace, "mac set %02X:%02X:%02X:%02X:%02X:%02X", p[0], p[1],
			  p[2], p[3], p[4], p[5]);
		break;
	case 0x38:
		mac_reply(m, now);
		break;
	case 0x3C:
		len = snprintf(text, sizeof(text), "FID:%02X,%02X\n",
			       (unsigned)m->flash_mid, capacity_byte(m));
		reply(m, now, text, (size_t)len);
		break;
	case 0x3E:
		reply(m, now, m->who == WHO_ROM ? "R:8" : "R:W", 3);
		break;
	case 0x3F:
		cmd_erase_secboot(m, now);
		break;
	case 0x4A:
		cmd_read(m, now, p);
		break;
	default:
		break;
	}
}

static void frame_byte(struct w800_sim *m, uint64_t now, uint8_t b)
{
	uint16_t want, calc;

	m->frame[m->frame_got++] = b;
	set_timer(m, T_FRAME_TIMEOUT, now + MS(FRAME_TIMEOUT_MS));
	if (m->frame_got == 3) {
		size_t len = get_le16(m->frame + 1);

		if (len < 6 || len > FRAME_MAX) {
			frame_bad(m, now, "bad length %zu", len);
			return;
		}
		m->frame_need = 5 + len - 2;
	}
	if (m->frame_got < 5 || m->frame_got < m->frame_need)
		return;
	want = get_le16(m->frame + 3);
	calc = w800_sim_crc16_ccitt(m->frame + 5, m->frame_need - 5);
	if (calc != want) {
		frame_bad(m, now, "crc calc 0x%04x recv 0x%04x", calc, want);
		return;
	}
	m->frame_got = 0;
	clear_timer(m);
	dispatch(m, now, get_le32(m->frame + 5), m->frame + 9, m->frame_need - 9);
}

/* --------------------------------------------------------------- images */

static void upload_abort(struct w800_sim *m, uint64_t now, const char *why)
{
	static const uint8_t can[2] = { 0x18, 0x18 };
	char text[160];
	int n = snprintf(text, sizeof(text), "\r\nupdate error: %s\r\n", why);

	sim_trace(m->trace, "upload aborted: %s", why);
	m->stats.blocks_can++;
	free_upload(m);
	clear_timer(m);
	m->dl = DL_IDLE;
	m->prompt_hold = 1;
	q_push(m, can, 2, now, EV_NONE);
	q_push(m, text, (size_t)n, now, EV_PROMPTS);
}

static int image_bad(struct w800_sim *m, char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int image_bad(struct w800_sim *m, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	sim_trace(m->trace, "image bad: %s", why);
	m->stats.images_bad++;
	return -1;
}

/* A flash range [addr, addr+len) as an offset, or -1. */
static int64_t flash_off(const struct w800_sim *m, uint32_t addr, uint64_t len)
{
	if (addr < FLASH_BASE || (uint64_t)addr - FLASH_BASE + len > m->flash_size)
		return -1;
	return (int64_t)(addr - FLASH_BASE);
}

static int parse_header(struct w800_sim *m, struct upload *u, char *why, size_t wl)
{
	const uint8_t *h = u->hdr;
	size_t hs = header_size(m);
	struct img *im = &u->im;
	int rom = m->who == WHO_ROM;

	if (w800_sim_crc32(0xFFFFFFFFu, h, hs - 4) != get_le32(h + hs - 4))
		return image_bad(m, why, wl, "bad header crc");
	memset(im, 0, sizeof(*im));
	if (m->chip == W800) {
		im->attr = get_le32(h + 4);
		im->type = im->attr & 0xF;
		im->addr = get_le32(h + 8);
		im->len = get_le32(h + 12);
		im->hdr_addr = get_le32(h + 16);
		im->crc = get_le32(h + 24);
		im->body_len = im->len + (im->attr & 0x100 ? SIG_LEN : 0);
		im->hdr_in_flash = im->hdr_addr >= FLASH_BASE;
	} else {
		im->type = get_le16(h + 4);
		im->addr = get_le32(h + 8);
		im->len = get_le32(h + 12);
		im->crc = get_le32(h + 16);
		im->body_len = im->len;
		im->hdr_addr = im->addr - 0x100;
		im->hdr_in_flash = 1;
	}
	if (im->len > MAX_IMAGE)
		return image_bad(m, why, wl, "image too large");
	if (u->images == 0 && rom && im->type != (m->chip == W800 ? 0u : 2u))
		return image_bad(m, why, wl,
				 "first image type %u is not a secboot (ROM takes .fls only)",
				 im->type);
	im->ram = im->addr >= SRAM_BASE && im->addr < SRAM_BASE + SRAM_SIZE;
	if (im->ram) {
		if (m->chip != W800 || !rom)
			return image_bad(m, why, wl, "ram image not supported here");
		if ((uint64_t)im->addr + im->body_len > SRAM_BASE + SRAM_SIZE)
			return image_bad(m, why, wl, "address 0x%x+0x%x outside the sram",
					 im->addr, im->body_len);
		return 0;
	}
	if (flash_off(m, im->addr, im->body_len) < 0)
		return image_bad(m, why, wl, "address 0x%x+0x%x outside the flash",
				 im->addr, im->body_len);
	if (im->hdr_in_flash && flash_off(m, im->hdr_addr, hs) < 0)
		return image_bad(m, why, wl, "address 0x%x+0x%zx outside the flash",
				 im->hdr_addr, hs);
	if (m->chip == W800 && (im->addr - FLASH_BASE < 0x2000 ||
				(im->hdr_in_flash && im->hdr_addr - FLASH_BASE < 0x2000)))
		return image_bad(m, why, wl, "writes protected sectors 0-1");
	return 0;
}

/* Charge the erase and program time of one flash-bound byte at off. */
static void charge(struct w800_sim *m, struct upload *u, uint32_t off)
{
	uint32_t s = off / SECTOR;

	if (!u->charged[s]) {
		u->charged[s] = 1;
		u->cost_ns += MS(m->erase_ms);
	}
	u->cost_bytes++;
}

static void program(struct w800_sim *m, struct upload *u, uint32_t off,
		    const uint8_t *data, size_t len)
{
	for (uint32_t s = off / SECTOR; len && s <= (off + len - 1) / SECTOR; s++)
		if (!u->erased[s]) {
			u->erased[s] = 1;
			memset(m->flash + (size_t)s * SECTOR, 0xFF, SECTOR);
			m->stats.sectors_erased++;
		}
	memcpy(m->flash + off, data, len);
}

static void commit_image(struct w800_sim *m, struct upload *u)
{
	struct img *im = &u->im;

	m->stats.images_ok++;
	u->images++;
	if (im->ram) {
		u->ram_ready = 1;
		sim_trace(m->trace, "image ok type=%u addr=0x%x len=%u ram", im->type,
			  im->addr, im->len);
		return;
	}
	if (im->hdr_in_flash)
		program(m, u, im->hdr_addr - FLASH_BASE, u->hdr, header_size(m));
	program(m, u, im->addr - FLASH_BASE, u->body, im->body_len);
	if (im->hdr_in_flash)
		sim_trace(m->trace, "image ok type=%u addr=0x%x len=%u header 0x%x", im->type,
			  im->addr, im->len, im->hdr_addr);
	else
		sim_trace(m->trace, "image ok type=%u addr=0x%x len=%u", im->type, im->addr,
			  im->len);
}

static int header_done(struct w800_sim *m, struct upload *u, char *why, size_t wl)
{
	struct img *im = &u->im;

	if (parse_header(m, u, why, wl))
		return -1;
	free(u->body);
	u->body = malloc(im->body_len ? im->body_len : 1);
	if (!u->body) {
		m->io_failed = 1;
		return image_bad(m, why, wl, "image too large");
	}
	u->body_got = 0;
	u->phase = PH_BODY;
	if (!im->ram && im->hdr_in_flash)
		for (size_t i = 0; i < header_size(m); i++)
			charge(m, u, im->hdr_addr - FLASH_BASE + (uint32_t)i);
	return 0;
}

static int body_done(struct w800_sim *m, struct upload *u, char *why, size_t wl)
{
	uint32_t crc = w800_sim_crc32(0xFFFFFFFFu, u->body, u->im.len);

	if (crc != u->im.crc)
		return image_bad(m, why, wl, "bad body crc");
	commit_image(m, u);
	u->phase = PH_HEADER;
	u->hdr_got = 0;
	return 0;
}

/* One data byte of the upload stream; -1 with why when the image is bad. */
static int stream_byte(struct w800_sim *m, struct upload *u, uint8_t b,
		       char *why, size_t wl)
{
	uint64_t at = u->stream++;

	switch (u->phase) {
	case PH_PAD:
		if (at - u->pad_start >= u->block_size)
			return image_bad(m, why, wl, "bad magic");
		return 0;
	case PH_HEADER:
		u->hdr[u->hdr_got++] = b;
		if (u->hdr_got == 4 && get_le32(u->hdr) != MAGIC) {
			if (u->images == 0)
				return image_bad(m, why, wl, "bad magic");
			u->phase = PH_PAD;
			u->pad_start = at - 3;
			return 0;
		}
		if (u->hdr_got == header_size(m))
			return header_done(m, u, why, wl);
		return 0;
	case PH_BODY:
		if (!u->im.ram)
			charge(m, u, u->im.addr - FLASH_BASE + u->body_got);
		u->body[u->body_got++] = b;
		if (u->body_got == u->im.body_len)
			return body_done(m, u, why, wl);
		return 0;
	}
	return 0;
}

/* --------------------------------------------------------------- XMODEM */

static int upload_begin(struct w800_sim *m)
{
	size_t sectors = m->flash_size / SECTOR;
	struct upload *u = calloc(1, sizeof(*u));

	if (u) {
		u->charged = calloc(sectors, 1);
		u->erased = calloc(sectors, 1);
	}
	if (!u || !u->charged || !u->erased) {
		if (u) {
			free(u->charged);
			free(u->erased);
		}
		free(u);
		m->io_failed = 1;
		return -1;
	}
	u->next_blk = 1;
	m->up = u;
	m->stats.uploads++;
	sim_trace(m->trace, "upload start");
	return 0;
}

static void block_start(struct w800_sim *m, uint64_t now, uint8_t b)
{
	struct upload *u = m->up;

	u->block_size = b == 0x01 ? 128 : 1024;
	u->block_need = 3 + u->block_size + 2;
	u->block[0] = b;
	u->block_got = 1;
	m->dl = DL_BLOCK;
	set_timer(m, T_BLOCK_TIMEOUT, now + MS(BLOCK_TIMEOUT_MS));
}

static void purge_then_nak(struct w800_sim *m, uint64_t now)
{
	m->dl = DL_PURGE;
	set_timer(m, T_PURGE, now + MS(PURGE_MS));
}

static void block_done(struct w800_sim *m, uint64_t now)
{
	struct upload *u = m->up;
	uint8_t blk = u->block[1], comp = u->block[2];
	const uint8_t *data = u->block + 3;
	uint16_t crc = (uint16_t)(data[u->block_size] << 8 | data[u->block_size + 1]);
	char why[128];

	if ((uint8_t)(blk ^ comp) != 0xFF ||
	    w800_sim_crc16_xmodem(data, u->block_size) != crc) {
		sim_trace(m->trace, "block %u bad: %s", blk,
			  (uint8_t)(blk ^ comp) != 0xFF ? "number pair" : "crc");
		m->stats.blocks_nak++;
		purge_then_nak(m, now);
		return;
	}
	if (u->started && blk == (uint8_t)(u->next_blk - 1)) {
		sim_trace(m->trace, "block %u dup", blk);
		m->stats.blocks_dup++;
		m->dl = DL_BETWEEN;
		q_push(m, "\x06", 1, now, EV_NONE);
		set_timer(m, T_UPLOAD_TIMEOUT, now + MS(UPLOAD_TIMEOUT_MS));
		return;
	}
	if (blk != u->next_blk) {
		snprintf(why, sizeof(why), "sequence: block %u, want %u", blk, u->next_blk);
		sim_trace(m->trace, "image bad: %s", why);
		upload_abort(m, now, why);
		return;
	}
	u->started = 1;
	u->cost_ns = u->cost_bytes = 0;
	for (unsigned i = 0; i < u->block_size; i++)
		if (stream_byte(m, u, data[i], why, sizeof(why))) {
			upload_abort(m, now, why);
			return;
		}
	u->next_blk++;
	m->stats.blocks_ok++;
	sim_trace(m->trace, "block %u ok", blk);
	m->dl = DL_BUSY;
	m->busy_dropped_run = 0;
	set_timer(m, T_ACK, now + ack_delay_ns(m, busy_ns(m, u->cost_ns + u->cost_bytes *
							     m->program_us * 1000u / 1024u)));
}

static void upload_eot(struct w800_sim *m, uint64_t now)
{
	struct upload *u = m->up;
	char why[64];

	if (u->phase == PH_BODY || (u->phase == PH_HEADER && u->hdr_got >= 4)) {
		image_bad(m, why, sizeof(why), "truncated image");
		upload_abort(m, now, why);
		return;
	}
	if (u->images == 0) {
		image_bad(m, why, sizeof(why), "empty upload");
		upload_abort(m, now, why);
		return;
	}
	sim_trace(m->trace, "upload done images=%d", u->images);
	m->stats.upload_ns += now - u->start_ns;
	q_push(m, "\x06", 1, now, EV_NONE);
	clear_timer(m);
	if (u->ram_ready) {
		free_upload(m);
		m->dl = DL_BUSY;
		m->busy_dropped_run = 0;
		set_timer(m, T_STUB, now + MS(STUB_START_MS));
	} else if (m->chip == W600 && m->who == WHO_SECBOOT) {
		static const char text[] = "\r\nrun user code...\r\n";

		free_upload(m);
		sim_trace(m->trace, "run user code");
		q_push(m, text, sizeof(text) - 1, now, EV_NONE);
		m->dl = DL_BUSY;
		m->busy_dropped_run = 0;
		set_timer(m, T_RESET, now + MS(m->restart_ms));
	} else {
		free_upload(m);
		prompts_from(m, now);
	}
}

static void between_byte(struct w800_sim *m, uint64_t now, uint8_t b)
{
	if (b == 0x18) {
		if (++m->up->can_count >= 2) {
			sim_trace(m->trace, "upload aborted: host sent CAN");
			free_upload(m);
			prompts_from(m, now);
		}
		return;
	}
	m->up->can_count = 0;
	if (b == 0x01 || b == 0x02)
		block_start(m, now, b);
	else if (b == 0x04)
		upload_eot(m, now);
}

/* The chip resets after N XMODEM bytes (reset-at=N); 1 if it did now. */
static int count_xmodem_byte(struct w800_sim *m, uint64_t now)
{
	m->xmodem_bytes++;
	if (m->reset_at < 0 || m->xmodem_bytes < (uint64_t)m->reset_at)
		return 0;
	m->reset_at = -1;
	sim_trace(m->trace, "reset-at after %llu xmodem bytes",
		  (unsigned long long)m->xmodem_bytes);
	chip_reset(m, now);
	return 1;
}

/* ----------------------------------------------------------- dispatching */

static void idle_byte(struct w800_sim *m, uint64_t now, uint8_t b)
{
	if (b == 0x21) {
		q_drop_prompt(m);
		m->frame[0] = b;
		m->frame_got = 1;
		m->frame_need = 5;
		m->dl = DL_FRAME;
		m->prompt_hold = 1;
		set_timer(m, T_FRAME_TIMEOUT, now + MS(FRAME_TIMEOUT_MS));
	} else if ((b == 0x01 || b == 0x02) && m->who != WHO_STUB) {
		q_drop_prompt(m);
		m->prompt_hold = 1;
		if (upload_begin(m))
			return;
		m->up->start_ns = now;
		if (count_xmodem_byte(m, now))
			return;
		block_start(m, now, b);
	} else if (b == 0x1B) {
		m->stats.escapes++;
	}
}

static void dl_byte(struct w800_sim *m, uint64_t now, uint8_t b)
{
	switch (m->dl) {
	case DL_IDLE:
		idle_byte(m, now, b);
		break;
	case DL_FRAME:
		frame_byte(m, now, b);
		break;
	case DL_BLOCK:
		if (count_xmodem_byte(m, now))
			return;
		m->up->block[m->up->block_got++] = b;
		set_timer(m, T_BLOCK_TIMEOUT, now + MS(BLOCK_TIMEOUT_MS));
		if (m->up->block_got == m->up->block_need)
			block_done(m, now);
		break;
	case DL_BETWEEN:
		if ((b == 0x01 || b == 0x02) && count_xmodem_byte(m, now))
			return;
		between_byte(m, now, b);
		break;
	case DL_PURGE:
		set_timer(m, T_PURGE, now + MS(PURGE_MS));
		break;
	case DL_BUSY:
		m->stats.busy_dropped++;
		m->busy_dropped_run++;
		break;
	}
}

static void at_byte(struct w800_sim *m, uint64_t now, uint8_t b)
{
	if (b == '\r' || b == '\n') {
		if (m->at_len == 4 && strncasecmp(m->at_line, "AT+Z", 4) == 0) {
			sim_trace(m->trace, "at+z");
			m->st = ST_BOOTING;
			set_timer(m, T_RESET, now + MS(AT_RESET_MS));
		}
		m->at_len = 0;
	} else if (m->at_len < AT_LINE) {
		m->at_line[m->at_len++] = (char)b;
	}
}

static void chip_byte(struct w800_sim *m, uint64_t now, uint8_t b)
{
	switch (m->st) {
	case ST_ROM_WINDOW:
		if (b == 0x1B) {
			m->stats.escapes++;
			enter_download(m, now, WHO_ROM);
		}
		break;
	case ST_SECBOOT_WINDOW:
		if (b == 0x1B) {
			m->stats.escapes++;
			enter_download(m, now, WHO_SECBOOT);
		}
		break;
	case ST_FIRMWARE:
		at_byte(m, now, b);
		break;
	case ST_DL:
		dl_byte(m, now, b);
		break;
	default:
		break;   /* off, held, booting, silent: nobody listens */
	}
}

/* ---------------------------------------------------------------- timers */

static void fire_timer(struct w800_sim *m, uint64_t now)
{
	enum timer t = m->timer;

	clear_timer(m);
	switch (t) {
	case T_ROM_WINDOW_END:
		start_secboot(m, now);
		break;
	case T_SECBOOT_START:
		start_secboot(m, now);
		break;
	case T_SECBOOT_WINDOW_END:
		m->st = ST_BOOTING;
		set_timer(m, T_FIRMWARE_START, now + MS(FIRMWARE_START_MS));
		break;
	case T_FIRMWARE_START:
		start_firmware(m, now);
		break;
	case T_RESET:
		chip_reset(m, now);
		break;
	case T_BAUD:
		m->rate = m->pending_baud;
		m->stats.baud_changes++;
		sim_trace(m->trace, "baud %u", m->rate);
		prompts_from(m, now);
		break;
	case T_ERASE_DONE:
		erase_done(m, now);
		break;
	case T_ACK:
		q_push(m, "\x06", 1, now, EV_NONE);
		m->dl = DL_BETWEEN;
		set_timer(m, T_UPLOAD_TIMEOUT, now + MS(UPLOAD_TIMEOUT_MS));
		break;
	case T_STUB:
		m->stats.stubs++;
		sim_trace(m->trace, "stub running");
		enter_download(m, now, WHO_STUB);
		break;
	case T_PURGE:
		q_push(m, "\x15", 1, now, EV_NONE);
		m->dl = DL_BETWEEN;
		set_timer(m, T_UPLOAD_TIMEOUT, now + MS(UPLOAD_TIMEOUT_MS));
		break;
	case T_FRAME_TIMEOUT:
		frame_bad(m, now, "timeout after %zu bytes", m->frame_got);
		break;
	case T_BLOCK_TIMEOUT:
		sim_trace(m->trace, "block bad: timeout after %zu bytes", m->up->block_got);
		m->stats.blocks_nak++;
		purge_then_nak(m, now);
		break;
	case T_UPLOAD_TIMEOUT:
		sim_trace(m->trace, "upload aborted: no block for %d ms", UPLOAD_TIMEOUT_MS);
		free_upload(m);
		prompts_from(m, now);
		break;
	case T_NONE:
		break;
	}
}

static void make_prompt(struct w800_sim *m, uint64_t now)
{
	char c;

	if (m->st != ST_DL || m->dl != DL_IDLE || m->prompt_hold || m->q_head ||
	    m->next_prompt > now)
		return;
	c = prompt_char(m);
	q_push(m, &c, 1, now, EV_NONE);
	m->stats.prompts++;
	m->next_prompt = now + MS(m->prompt_ms);
}

static void advance(struct w800_sim *m, uint64_t now)
{
	if (m->st == ST_OFF && m->power_at <= now) {
		m->power_at = NEVER;
		sim_trace(m->trace, "power-on");
		boot(m, now);
	}
	while (m->timer != T_NONE && m->timer_at <= now)
		fire_timer(m, now);
	make_prompt(m, now);
}

/* ------------------------------------------------------------- the wire */

static int mismatch(const struct uart_sim_line *h, unsigned rate)
{
	uint64_t d = h->baud > rate ? h->baud - rate : rate - h->baud;

	return h->parity != 'n' || h->bits != 8 || d * 100 > (uint64_t)rate * 3;
}

static uint8_t garble(struct w800_sim *m, uint8_t b)
{
	uint8_t g;

	do
		g = (uint8_t)(0x80 | (sim_random(&m->rng) & 0x7F));
	while (g == b);
	return g;
}

static uint8_t flip_bit(struct w800_sim *m, uint8_t b)
{
	return (uint8_t)(b ^ 1u << (sim_random(&m->rng) & 7));
}

/* The faults every byte meets, both ways; 0 when it is lost. */
static int wire_faults(struct w800_sim *m, uint8_t *b)
{
	if (m->corrupt_above && m->rate > m->corrupt_above && chance(m, m->corrupt_ppm)) {
		*b = flip_bit(m, *b);
		m->stats.corrupted++;
	}
	if (chance(m, m->flip_ppm)) {
		*b = flip_bit(m, *b);
		m->stats.flips++;
	}
	if (chance(m, m->drop_ppm)) {
		m->stats.drops++;
		return 0;
	}
	return 1;
}

/* ------------------------------------------------------- runner interface */

static const char *parity_name(char p)
{
	switch (p) {
	case 'e': return "even";
	case 'o': return "odd";
	case 'm': return "mark";
	case 's': return "space";
	default: return "none";
	}
}

static void w800_line(void *dev, uint64_t now, const struct uart_sim_line *l)
{
	struct w800_sim *m = dev;

	if (!m->have_host || l->baud != m->host.baud || l->parity != m->host.parity ||
	    l->bits != m->host.bits)
		sim_trace(m->trace, "line baud=%u parity=%s bits=%d", l->baud,
			  parity_name(l->parity), l->bits);
	m->host = *l;
	m->have_host = 1;
	if (l->raw && !m->raw_seen) {
		m->raw_seen = 1;
		sim_trace(m->trace, "line raw");
		if (m->st == ST_OFF && m->power_at == NEVER)
			m->power_at = now + MS(m->power_delay_ms);
	}
	advance(m, now);
}

static void w800_modem(void *dev, uint64_t now, char which, int value)
{
	struct w800_sim *m = dev;
	int *line = which == 'd' ? &m->dtr : &m->rts;
	int was = *line;

	value = !!value;
	sim_trace(m->trace, "modem %s=%d", which == 'd' ? "dtr" : "rts", value);
	*line = value;
	advance(m, now);
	if (m->reset_line != which || was == value)
		return;
	if (value) {
		sim_trace(m->trace, "held");
		chip_down(m);
		m->st = ST_HELD;
		m->power_at = NEVER;
	} else {
		chip_reset(m, now);
	}
}

static void w800_input(void *dev, uint64_t now, const uint8_t *buf, size_t n,
		       const struct uart_sim_line *alt)
{
	struct w800_sim *m = dev;

	advance(m, now);
	if (m->rx && fwrite(buf, 1, n, m->rx) == n)
		fflush(m->rx);
	m->stats.bytes_rx += n;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = buf[i];

		if (m->st == ST_OFF || m->st == ST_HELD)
			continue;
		if (mismatch(&m->host, m->rate) && (!alt || mismatch(alt, m->rate))) {
			b = garble(m, b);
			m->stats.garbled_rx++;
		}
		if (!wire_faults(m, &b))
			continue;
		chip_byte(m, now, b);
	}
	advance(m, now);
}

static unsigned w800_rate(void *dev, uint64_t now)
{
	struct w800_sim *m = dev;

	advance(m, now);
	return m->rate;
}

static void chunk_left(struct w800_sim *m, uint64_t now, struct chunk *c)
{
	enum event ev = c->event;

	m->q_head = c->next;
	if (!m->q_head)
		m->q_tail = NULL;
	free(c);
	if (ev == EV_PROMPTS && m->st == ST_DL && m->dl == DL_IDLE) {
		m->prompt_hold = 0;
		m->next_prompt = now + MS(m->prompt_ms);
	}
}

static size_t w800_output(void *dev, uint64_t now, uint8_t *buf, size_t cap)
{
	struct w800_sim *m = dev;
	size_t n = 0;

	advance(m, now);
	while (n < cap) {
		struct chunk *c = m->q_head;

		if (!c || c->not_before > now || m->stall_until > now)
			break;
		if (c->off < c->len) {
			uint8_t b;

			if (m->delay_ms && !m->no_roll && chance(m, m->delay_ppm)) {
				m->stall_until = now + MS(m->delay_ms);
				m->stats.delays++;
				m->no_roll = 1;
				break;
			}
			m->no_roll = 0;
			b = c->data[c->off++];
			if (wire_faults(m, &b)) {
				if (mismatch(&m->host, m->rate)) {
					b = garble(m, b);
					m->stats.garbled_tx++;
				}
				buf[n++] = b;
			}
		}
		if (c->off == c->len) {
			chunk_left(m, now, c);
			make_prompt(m, now);
		}
	}
	m->stats.bytes_tx += n;
	return n;
}

static uint64_t w800_next_event(void *dev, uint64_t now)
{
	struct w800_sim *m = dev;
	uint64_t t = m->timer_at;

	(void)now;
	if (m->q_head)
		t = min_u64(t, m->q_head->not_before > m->stall_until ?
			    m->q_head->not_before : m->stall_until);
	else if (m->st == ST_DL && m->dl == DL_IDLE && !m->prompt_hold)
		t = min_u64(t, m->next_prompt);
	if (m->st == ST_OFF)
		t = min_u64(t, m->power_at);
	return t;
}

/* ----------------------------------------------------------------- files */

static int read_exact_file(struct w800_sim *m, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;

	if (fd < 0) {
		sim_set_err(err, errlen, "%s sim: image=%s: %s", m->name, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != m->flash_size) {
		sim_set_err(err, errlen, "%s sim: image=%s: want a file of exactly %u bytes "
			    "(flash=)", m->name, path, m->flash_size);
		close(fd);
		return -1;
	}
	while (got < m->flash_size) {
		ssize_t r = read(fd, m->flash + got, m->flash_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sim_set_err(err, errlen, "%s sim: image=%s: short read", m->name, path);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

static int fill_flash(const void *ctx, int fd)
{
	const struct w800_sim *m = ctx;

	return sim_write_full(fd, m->flash, m->flash_size);
}

static const struct sim_stat stat_fields[] = {
#define STAT(f) SIM_STAT(struct w800_stats, f)
	STAT(bytes_rx), STAT(bytes_tx), STAT(prompts), STAT(escapes),
	STAT(frames_ok), STAT(frames_bad), STAT(frames_ignored), STAT(uploads),
	STAT(blocks_ok), STAT(blocks_nak), STAT(blocks_dup), STAT(blocks_can),
	STAT(images_ok), STAT(images_bad), STAT(stubs), STAT(baud_changes),
	STAT(resets), STAT(erases), STAT(sectors_erased), STAT(reads),
	STAT(read_bytes), STAT(flips), STAT(drops), STAT(delays),
	STAT(corrupted), STAT(garbled_rx), STAT(garbled_tx), STAT(busy_dropped),
	STAT(upload_ns),
#undef STAT
};

static void free_sim(struct w800_sim *m)
{
	if (!m)
		return;
	q_clear(m);
	free_upload(m);
	if (m->trace)
		fclose(m->trace);
	if (m->rx)
		fclose(m->rx);
	free(m->flash);
	free(m->image_path);
	free(m->save_path);
	free(m->stats_path);
	free(m);
}

static int w800_finish(void *dev, char *err, size_t errlen)
{
	struct w800_sim *m = dev;
	char later[256] = "";
	int rc = 0;

	if (!m)
		return 0;
	if (m->io_failed) {
		sim_set_err(err, errlen, "%s sim: out of memory while running", m->name);
		rc = -1;
	}
	if (m->save_path && sim_write_file(m->name, "save", m->save_path, fill_flash, m,
					   rc ? later : err, rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->stats_path && sim_write_stats(m->name, m->stats_path, &m->stats, stat_fields,
					sizeof(stat_fields) / sizeof(stat_fields[0]),
					    rc ? later : err, rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->trace && fclose(m->trace) && !rc) {
		sim_set_err(err, errlen, "%s sim: trace file: write failed", m->name);
		rc = -1;
	}
	m->trace = NULL;
	if (m->rx && fclose(m->rx) && !rc) {
		sim_set_err(err, errlen, "%s sim: rx file: write failed", m->name);
		rc = -1;
	}
	m->rx = NULL;
	free_sim(m);
	return rc;
}

/* ------------------------------------------------------------ contents */

static void fill_random(uint64_t *rng, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = sim_random(rng);

		for (size_t k = 0; k < 8 && i + k < n; k++)
			p[i + k] = (uint8_t)(r >> (8 * k));
	}
}

/* A valid secboot image: header at hdr_off, body of len at body_off. */
static void default_secboot(struct w800_sim *m, uint64_t *rng, uint32_t hdr_off,
			    uint32_t body_off, uint32_t len)
{
	uint8_t *h = m->flash + hdr_off, *body = m->flash + body_off;
	size_t hs = header_size(m);

	fill_random(rng, body, len);
	memset(h, 0, hs);
	put_le32(h, MAGIC);
	if (m->chip == W800) {
		put_le32(h + 8, FLASH_BASE + body_off);
		put_le32(h + 12, len);
		put_le32(h + 16, FLASH_BASE + hdr_off);
		put_le32(h + 24, w800_sim_crc32(0xFFFFFFFFu, body, len));
		put_le32(h + 28, 0xFFFFFFFFu);
		memcpy(h + 32, "sim secboot", 11);
	} else {
		h[4] = 2;   /* secboot */
		put_le32(h + 8, FLASH_BASE + body_off);
		put_le32(h + 12, len);
		put_le32(h + 16, w800_sim_crc32(0xFFFFFFFFu, body, len));
		memcpy(h + 36, "sim secboot", 11);
	}
	put_le32(h + hs - 4, w800_sim_crc32(0xFFFFFFFFu, h, hs - 4));
}

static void default_flash(struct w800_sim *m)
{
	uint64_t rng = m->seed ^ 0x77383030666CULL;   /* "w800fl" */

	memset(m->flash, 0xFF, m->flash_size);
	if (m->chip == W800) {
		fill_random(&rng, m->flash, 0x2000);
		default_secboot(m, &rng, 0x2000, 0x2400, 0x1000);
	} else {
		default_secboot(m, &rng, 0x0, 0x100, 0x2000);
	}
}

/* -------------------------------------------------------------- options */

static int num(struct w800_sim *m, const char *key, const char *val, uint64_t min,
	       uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (ub_parse_u64(val, &v) || v < min || v > max) {
		sim_set_err(err, errlen, "%s sim: %s=%s: want a number from %llu to %llu",
			    m->name, key, val, (unsigned long long)min,
			    (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static int flag(struct w800_sim *m, const char *key, const char *val, int *out,
		char *err, size_t errlen)
{
	if (!*val || strcmp(val, "1") == 0) {
		*out = 1;
	} else if (strcmp(val, "0") == 0) {
		*out = 0;
	} else {
		sim_set_err(err, errlen, "%s sim: %s=%s: want 0 or 1", m->name, key, val);
		return -1;
	}
	return 0;
}

/* One of two words: 0 for a, 1 for b. */
static int choice(struct w800_sim *m, const char *key, const char *val,
		  const char *a, const char *b, int *out, char *err, size_t errlen)
{
	if (strcmp(val, a) == 0) {
		*out = 0;
	} else if (strcmp(val, b) == 0) {
		*out = 1;
	} else {
		sim_set_err(err, errlen, "%s sim: %s=%s: want %s or %s", m->name, key, val, a, b);
		return -1;
	}
	return 0;
}

#define NUM_OPT(fn, field, lo, hi)                                                  \
	static int fn(void *dev, const char *k, const char *v, char *e, size_t el) \
	{                                                                           \
		struct w800_sim *m = dev; \
		return num(m, k, v, lo, hi, &m->field, e, el);                     \
	}

NUM_OPT(opt_power_delay, power_delay_ms, 0, 600000)
NUM_OPT(opt_esc_window, esc_window_ms, 1, 600000)
NUM_OPT(opt_prompt_ms, prompt_ms, 1, 60000)
NUM_OPT(opt_baud_delay, baud_delay_ms, 0, 60000)
NUM_OPT(opt_erase_ms, erase_ms, 0, 60000)
NUM_OPT(opt_block_erase_ms, block_erase_ms, 0, 600000)
NUM_OPT(opt_program_us, program_us, 0, 10000000)
NUM_OPT(opt_restart_ms, restart_ms, 0, 600000)
NUM_OPT(opt_turnaround_us, turnaround_us, 0, 10000000)
NUM_OPT(opt_corrupt_above, corrupt_above, 0, 100000000)
NUM_OPT(opt_corrupt_ppm, corrupt_ppm, 0, 1000000)
NUM_OPT(opt_flip, flip_ppm, 0, 1000000)
NUM_OPT(opt_drop, drop_ppm, 0, 1000000)
NUM_OPT(opt_delay, delay_ms, 0, 600000)
NUM_OPT(opt_seed, seed, 0, UINT64_MAX)
NUM_OPT(opt_flash_mid, flash_mid, 0, 0xFF)

NUM_OPT(opt_delay_ppm, delay_ppm, 0, 1000000)

static int opt_reset_at(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;
	uint64_t n;

	if (num(m, k, v, 1, UINT32_MAX, &n, e, el))
		return -1;
	m->reset_at = (int64_t)n;
	return 0;
}

static int opt_flash(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;
	uint64_t n;

	if (ub_parse_u64(v, &n) || n < 1024 * 1024 || n > MAX_FLASH || (n & (n - 1))) {
		sim_set_err(e, el, "%s sim: %s=%s: want 1M, 2M, 4M, 8M or 16M", m->name, k, v);
		return -1;
	}
	m->flash_size = (uint32_t)n;
	return 0;
}

static int opt_mac(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;
	for (int i = 0; i < 6; i++) {
		const char *p = v + 3 * i;
		int hi = sim_hex_digit(p[0]), lo = hi < 0 ? -1 : sim_hex_digit(p[1]);

		if (hi < 0 || lo < 0 || p[2] != (i == 5 ? '\0' : ':')) {
			sim_set_err(e, el, "%s sim: %s=%s: want XX:XX:XX:XX:XX:XX", m->name, k, v);
			return -1;
		}
		m->mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int opt_boot(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;

	return choice(m, k, v, "rom", "secboot", &m->boot_secboot, e, el);
}

static int opt_firmware(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;
	int none;

	if (choice(m, k, v, "at", "none", &none, e, el))
		return -1;
	m->firmware_at = !none;
	return 0;
}

static int opt_bootpin(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;

	return flag(m, k, v, &m->bootpin, e, el);
}

static int opt_w806(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;
	if (m->chip != W800) {
		sim_set_err(e, el, "%s sim: %s= is for the w800 model", m->name, k);
		return -1;
	}
	return flag(m, k, v, &m->w806, e, el);
}

static int opt_reset_line(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;
	if (strcmp(v, "rts") == 0) {
		m->reset_line = 'r';
	} else if (strcmp(v, "dtr") == 0) {
		m->reset_line = 'd';
	} else if (strcmp(v, "none") == 0) {
		m->reset_line = 0;
	} else {
		sim_set_err(e, el, "%s sim: %s=%s: want rts, dtr or none", m->name, k, v);
		return -1;
	}
	return 0;
}

static int opt_image(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;

	return sim_set_path(&m->image_path, m->name, k, v, e, el);
}

static int opt_save(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;

	return sim_set_path(&m->save_path, m->name, k, v, e, el);
}

static int opt_stats(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;

	return sim_set_path(&m->stats_path, m->name, k, v, e, el);
}

static int opt_trace(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;

	return sim_open_log(&m->trace, m->name, k, v, e, el);
}

static int opt_rx(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct w800_sim *m = dev;

	return sim_open_log(&m->rx, m->name, k, v, e, el);
}

static const struct sim_option option_defs[] = {
	{ "flash", 1, opt_flash },
	{ "flash-mid", 1, opt_flash_mid },
	{ "mac", 1, opt_mac },
	{ "boot", 1, opt_boot },
	{ "firmware", 1, opt_firmware },
	{ "bootpin", 0, opt_bootpin },
	{ "w806", 0, opt_w806 },
	{ "reset-line", 1, opt_reset_line },
	{ "power-delay", 1, opt_power_delay },
	{ "esc-window", 1, opt_esc_window },
	{ "prompt-ms", 1, opt_prompt_ms },
	{ "baud-delay", 1, opt_baud_delay },
	{ "erase-ms", 1, opt_erase_ms },
	{ "block-erase-ms", 1, opt_block_erase_ms },
	{ "program-us", 1, opt_program_us },
	{ "restart-ms", 1, opt_restart_ms },
	{ "turnaround-us", 1, opt_turnaround_us },
	{ "corrupt-above", 1, opt_corrupt_above },
	{ "corrupt-ppm", 1, opt_corrupt_ppm },
	{ "flip", 1, opt_flip },
	{ "drop", 1, opt_drop },
	{ "delay", 1, opt_delay },
	{ "delay-ppm", 1, opt_delay_ppm },
	{ "reset-at", 1, opt_reset_at },
	{ "seed", 1, opt_seed },
	{ "image", 1, opt_image },
	{ "save", 1, opt_save },
	{ "trace", 1, opt_trace },
	{ "rx", 1, opt_rx },
	{ "stats", 1, opt_stats },
};

static int parse_options(struct w800_sim *m, const char *opts, char *err, size_t errlen)
{
	return sim_parse_options(m->name, "sim/sim_w800.h", opts, option_defs,
				 sizeof(option_defs) / sizeof(option_defs[0]), m, err, errlen);
}

static void *create(enum chip chip, const char *opts, int pace, char *err, size_t errlen)
{
	static const uint8_t mac[6] = { 0x28, 0x6D, 0xCD, 0x00, 0x08, 0x00 };
	struct w800_sim *m = calloc(1, sizeof(*m));

	if (!m) {
		sim_set_err(err, errlen, "%s sim: out of memory", chip == W800 ? "w800" : "w600");
		return NULL;
	}
	m->chip = chip;
	m->name = chip == W800 ? "w800" : "w600";
	m->flash_size = chip == W800 ? 2 * 1024 * 1024 : 1024 * 1024;
	m->flash_mid = 0xC8;
	memcpy(m->mac, mac, 6);
	m->boot_secboot = chip == W600;
	m->firmware_at = 1;
	m->reset_line = 'r';
	m->pace = pace;
	m->power_delay_ms = 100;
	m->esc_window_ms = 100;
	m->prompt_ms = 20;
	m->baud_delay_ms = 5;
	m->erase_ms = 25;
	m->block_erase_ms = 150;
	m->program_us = 1500;
	m->restart_ms = 10000;
	m->corrupt_ppm = 50000;
	m->delay_ppm = 10000;
	m->seed = 1;
	m->reset_at = -1;
	m->rate = ROM_BAUD;
	m->host = (struct uart_sim_line){ 9600, 'n', 8, 0, 0 };
	m->st = ST_OFF;
	m->power_at = m->timer_at = m->next_prompt = NEVER;
	if (parse_options(m, opts ? opts : "", err, errlen))
		goto fail;
	if (m->w806)
		m->boot_secboot = 1;
	if (!m->delay_ms)
		m->delay_ppm = 0;
	m->rng = m->seed ^ 0x7738303066617574ULL;   /* "w800faut" */
	m->flash = malloc(m->flash_size);
	if (!m->flash) {
		sim_set_err(err, errlen, "%s sim: out of memory", m->name);
		goto fail;
	}
	if (m->image_path) {
		if (read_exact_file(m, m->image_path, err, errlen))
			goto fail;
	} else {
		default_flash(m);
	}
	return m;
fail:
	free_sim(m);
	return NULL;
}

static void *w800_create(const char *opts, int pace, char *err, size_t errlen)
{
	return create(W800, opts, pace, err, errlen);
}

static void *w600_create(const char *opts, int pace, char *err, size_t errlen)
{
	return create(W600, opts, pace, err, errlen);
}

const struct uart_sim_model uart_sim_model_w800 = {
	.name = "w800",
	.create = w800_create,
	.line = w800_line,
	.modem = w800_modem,
	.input = w800_input,
	.rate = w800_rate,
	.output = w800_output,
	.next_event = w800_next_event,
	.finish = w800_finish,
};

const struct uart_sim_model uart_sim_model_w600 = {
	.name = "w600",
	.create = w600_create,
	.line = w800_line,
	.modem = w800_modem,
	.input = w800_input,
	.rate = w800_rate,
	.output = w800_output,
	.next_event = w800_next_event,
	.finish = w800_finish,
};
