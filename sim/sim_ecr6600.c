/* SPDX-License-Identifier: MIT */
/*
 * Emulator of an ESWIN ECR6600 on its UART (options, behaviour and trace
 * wording: sim/sim_ecr6600.h). Written from ../shared/notes/uart-chips.md §2
 * and the public stub source's facts, not from the host code. "Choice"
 * marks a decision of this model where the sources are silent.
 *
 * Structure: the runner hands over host bytes (input) and pulls device bytes
 * (output) with the model time. Device output is a queue of chunks, each
 * with a rate and an earliest time. The ROM reads bytes as they come. The
 * stub is a CPU with a receive FIFO: it takes bytes from the FIFO only when
 * it is not busy (busy_until: erase, program, delays) and its own output has
 * drained to wait_out bytes (a blocking uart_write leaves 16 in the TX FIFO,
 * uart_put_char none); a read with a timeout is a timer armed when it starts
 * waiting.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "sim_ecr6600.h"
#include "sim_file.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MS(n) ((uint64_t)(n) * 1000000u)
#define US(n) ((uint64_t)(n) * 1000u)
#define NEVER UINT64_MAX

enum {
	ROM_BAUD = 115200,
	SECTOR = 4096,
	HALF_BLOCK = 32768,
	BLOCK = 65536,
	PAGE = 256,
	BACKUP_SIZE = 4096,        /* partition_backup[0x1000] */
	XBLOCK = 1024,
	EFUSE_SIZE = 128,
	EFUSE_ADDR = 0x0020F000,
	ROM_SIZE = 0x10000,
	READ_MAX = 0x10000,        /* LOAD_MAX_SIZE_BIG */
	CFG_SIZE = 8,              /* the parser's stack buffer */
	MAX_UPLOAD = 512 * 1024,   /* choice: the SRAM */
	MAX_FIFO = 65536,
	TX_FIFO = 16,
	XM_TRIES = 10,
	ERR_LEN = 18,              /* uart_write("stub err!\n", 18) */
};

enum { X_STX = 0x02, X_EOT = 0x04, X_ACK = 0x06, X_NAK = 0x15, X_CAN = 0x18, X_C = 'C' };
enum { STATUS_OK, STATUS_ERROR, STATUS_ADDR, STATUS_TYPE, STATUS_LEN, STATUS_CRC };

enum kind { K_AUTO, K_CUSTOM, K_STOCK, K_NONE };
static const char *const kind_names[] = { "auto", "custom", "stock", "none" };

enum chip {
	C_OFF,        /* unpowered, or powering on at power_at */
	C_HELD,       /* reset line asserted */
	C_ROM,        /* listening for "cnys" until window_at */
	C_ROM_HDR,    /* synced: 12-byte headers */
	C_ROM_LOAD,   /* taking the stub's bytes */
	C_STUB,       /* a stub runs (the CPU below) */
	C_FIRMWARE,   /* the flash's firmware: silent but for banner / stub err! */
	C_DEAD,       /* the stub crashed or hangs */
};

enum st {
	S_BOOT,       /* starting, until busy_until */
	S_HEAD, S_DATA, S_SUM,                 /* the command parser */
	S_DL_HEAD, S_DL_DATA, S_DL_SUM,         /* 0x01/0x02 data frames */
	S_XR_HDR, S_XR_BLK, S_XR_NBLK, S_XR_DATA, S_XR_CRC,   /* 0x91 */
	S_XS_WAITC, S_XS_ACK, S_XS_EOT,         /* 0x92/0x98 */
	S_UL,         /* 0x03 frames, one per turn */
	S_RUN,        /* 0x06: 10 ms, then the firmware */
};

struct chunk {
	struct chunk *next;
	uint64_t not_before;
	unsigned rate;
	size_t len, cap, off;
	uint8_t data[];
};

/* ESWIN's ACK_msg: one header every answer is built from. */
struct ack {
	uint8_t type, status, crc;
	uint16_t len;
};

struct stub {
	enum kind kind;
	enum st st;
	struct ack ack;
	uint8_t cmd[4 + CFG_SIZE];   /* the start of cmd_data_buf */
	uint8_t hdr[4];
	size_t got;
	uint16_t len;
	unsigned sum;
	int crash;                   /* this frame overflows fatally */

	/* transfers */
	uint8_t dl_type;
	uint32_t addr, remain, offset, last;
	uint8_t flag;
	uint8_t *frame;              /* a data frame's payload (after FLAG) */
	int first;                   /* 0x03: the do-while's first frame */
	int raw;                     /* 0x98 */
	uint8_t xhdr[3], xcrc[2];
	uint8_t xdata[XBLOCK];
	int have_prev_blk;
	uint8_t prev_blk, blk;
	uint32_t chunk;
	int tries;

	/* the CPU */
	uint64_t busy_until;
	size_t wait_out;
	uint64_t timer_ns;           /* the current read's timeout; NEVER: none */
	uint64_t timer_at;           /* armed deadline; 0: not armed yet */
	int flush_when_ready;
	uint8_t *fifo;
	size_t fifo_head, fifo_len;
};

struct ecr_stats {
	uint64_t bytes_rx, bytes_tx, power_ons, syncs, stub_uploads, frames;
	uint64_t frames_bad, type_errors, erases, sectors_erased, chip_erases;
	uint64_t bytes_programmed, bytes_read, xmodem_blocks, xmodem_naks;
	uint64_t xmodem_repeats, xmodem_resends, crc_errors, resends;
	uint64_t baud_changes, resets, crashes, lost_acks, flips, drops;
	uint64_t overruns, flushed, garbled_rx, garbled_tx;
	uint64_t elapsed_ns;      /* the model time of the last event seen */
};

struct ecr_sim {
	/* options */
	uint32_t flash_size;
	uint32_t jedec;
	int jedec_given, reset_manual;
	char reset_line;
	uint64_t power_on_ms, rom_window_ms, replug_ms, stub_boot_ms;
	enum kind stub_opt, running;
	uint64_t running_baud, crash_len, rx_fifo;
	uint64_t erase_4k_ms, erase_32k_ms, erase_64k_ms, chip_erase_ms;
	uint64_t page_us, sha_us;
	uint64_t turnaround_us;       /* the least time from a block (0x91) or an ACK (0x92) to the answer */
	uint8_t *banner;
	size_t banner_len;
	uint64_t seed, flip_ppm, drop_ppm, lose_ack, hang_after, reset_at;
	uint64_t corrupt_above;
	char *image_path, *save_path, *efuse_path, *stats_path;
	FILE *trace, *rx;
	int pace, io_failed;

	/* memories */
	uint8_t *flash;
	uint8_t efuse[EFUSE_SIZE];
	uint32_t stub_flash_size;    /* g_flash_size: from the JEDEC id */

	/* line */
	struct uart_sim_line host;
	int have_host, raw_seen, rx_garbling, tx_garbling;
	int dtr, rts;

	/* chip */
	enum chip chip;
	unsigned uart_rate;
	uint64_t power_at, window_at, err_at;
	uint8_t sync_win[4];
	uint8_t rom_hdr[12];
	size_t rom_got;
	uint32_t load_len, load_got;
	size_t tdefl_state;
	struct stub s;

	/* faults */
	uint64_t rng, garble_rng;
	uint64_t frames_seen, xm_acks, write_bytes;

	/* output */
	struct chunk *q_head, *q_tail;
	size_t q_bytes;

	struct ecr_stats stats;
};

/* ---------------------------------------------------------------- basics */

uint8_t ecr_sim_sum8(const uint8_t *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i];
	return (uint8_t)s;
}

uint16_t ecr_sim_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

/* ------------------------------------------------------------- SHA-256 */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror32(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static void sha_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ w[i - 15] >> 3;
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ w[i - 2] >> 10;

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t s1 = ror32(v[4], 6) ^ ror32(v[4], 11) ^ ror32(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + s1 + ch + sha_k[i] + w[i];
		uint32_t s0 = ror32(v[0], 2) ^ ror32(v[0], 13) ^ ror32(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + s0 + maj;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

/* The SHA-256 of bytes given by get(ctx, i), i < n. */
static void sha256_of(uint8_t (*get)(const void *ctx, uint64_t i), const void *ctx,
		      uint64_t n, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t blk[64];
	uint64_t bits = n * 8, i = 0;
	size_t k;

	for (; i + 64 <= n; i += 64) {
		for (k = 0; k < 64; k++)
			blk[k] = get(ctx, i + k);
		sha_block(h, blk);
	}
	for (k = 0; i + k < n; k++)
		blk[k] = get(ctx, i + k);
	blk[k++] = 0x80;
	if (k > 56) {
		memset(blk + k, 0, 64 - k);
		sha_block(h, blk);
		k = 0;
	}
	memset(blk + k, 0, 56 - k);
	for (int b = 0; b < 8; b++)
		blk[56 + b] = (uint8_t)(bits >> (56 - 8 * b));
	sha_block(h, blk);
	for (int j = 0; j < 8; j++)
		for (int b = 0; b < 4; b++)
			out[4 * j + b] = (uint8_t)(h[j] >> (24 - 8 * b));
}

static uint8_t buf_byte(const void *ctx, uint64_t i)
{
	return ((const uint8_t *)ctx)[i];
}

void ecr_sim_sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	sha256_of(buf_byte, p, n, out);
}

struct flash_view {
	const struct ecr_sim *m;
	uint32_t addr;
};

static uint8_t flash_view_byte(const void *ctx, uint64_t i)
{
	const struct flash_view *v = ctx;

	return v->m->flash[(v->addr + (uint32_t)i) & (v->m->flash_size - 1)];
}

/* -------------------------------------------------------------- helpers */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* 1 with probability ppm per million. */
static int chance_ppm(struct ecr_sim *m, uint64_t ppm)
{
	return ppm && sim_random(&m->rng) % 1000000u < ppm;
}

static uint64_t timed(const struct ecr_sim *m, uint64_t ns)
{
	return m->pace ? ns : 0;
}

static uint32_t flash_mask(const struct ecr_sim *m)
{
	return m->flash_size - 1;
}

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

/* ---------------------------------------------------------- output queue */

static void q_push_at(struct ecr_sim *m, const void *data, size_t len,
		      unsigned rate, uint64_t not_before)
{
	struct chunk *c = m->q_tail;

	if (!len)
		return;
	if (!(c && c->rate == rate && c->not_before >= not_before &&
	      c->cap - c->len >= len)) {
		size_t cap = len < 256 ? 256 : len;

		c = malloc(sizeof(*c) + cap);
		if (!c) {
			m->io_failed = 1;
			return;
		}
		c->next = NULL;
		c->not_before = not_before;
		c->rate = rate;
		c->len = c->off = 0;
		c->cap = cap;
		if (m->q_tail)
			m->q_tail->next = c;
		else
			m->q_head = c;
		m->q_tail = c;
	}
	memcpy(c->data + c->len, data, len);
	c->len += len;
	m->q_bytes += len;
}

static void q_clear(struct ecr_sim *m)
{
	while (m->q_head) {
		struct chunk *c = m->q_head;

		m->q_head = c->next;
		free(c);
	}
	m->q_tail = NULL;
	m->q_bytes = 0;
}

/* --------------------------------------------------------- chip: power */

static void stub_free(struct ecr_sim *m)
{
	free(m->s.frame);
	free(m->s.fifo);
	memset(&m->s, 0, sizeof(m->s));
	m->s.kind = K_NONE;
}

/* Everything in flight is lost. */
static void chip_down(struct ecr_sim *m, enum chip to)
{
	q_clear(m);
	stub_free(m);
	m->chip = to;
	m->window_at = m->err_at = NEVER;
	m->power_at = NEVER;
	m->uart_rate = ROM_BAUD;
}

static void power_on(struct ecr_sim *m, uint64_t now)
{
	chip_down(m, C_ROM);
	m->stats.power_ons++;
	memset(m->sync_win, 0, sizeof(m->sync_win));
	m->window_at = now + MS(m->rom_window_ms);
	sim_trace(m->trace, "power-on");
}

static void chip_reset(struct ecr_sim *m, uint64_t now, const char *why)
{
	sim_trace(m->trace, "reset: %s", why);
	m->stats.resets++;
	power_on(m, now);
}

static int flash_blank_start(const struct ecr_sim *m)
{
	for (int i = 0; i < 4; i++)
		if (m->flash[i] != 0xFF)
			return 0;
	return 1;
}

static void firmware_boots(struct ecr_sim *m, uint64_t now)
{
	chip_down(m, C_FIRMWARE);
	sim_trace(m->trace, "firmware boots");
	q_push_at(m, m->banner, m->banner_len, ROM_BAUD, now);
}

/* -------------------------------------------------------------- stub CPU */

static void stub_dead(struct ecr_sim *m, const char *what, const char *why)
{
	sim_trace(m->trace, "%s: %s", what, why);
	if (strcmp(what, "crash") == 0)
		m->stats.crashes++;
	stub_free(m);
	m->chip = C_DEAD;
}

/* Wait for the next byte, at most ns (NEVER: no limit). */
static void wait_byte(struct ecr_sim *m, enum st st, uint64_t ns)
{
	m->s.st = st;
	m->s.timer_ns = ns;
	m->s.timer_at = 0;
}

/* The CPU does nothing until t (and its output has drained to wait_out). */
static void busy(struct ecr_sim *m, uint64_t t, size_t wait_out)
{
	if (t > m->s.busy_until)
		m->s.busy_until = t;
	if (wait_out < m->s.wait_out)
		m->s.wait_out = wait_out;
}

/* uart_write: returns when all but the TX FIFO has left. */
static void send_at(struct ecr_sim *m, const uint8_t *p, size_t n, uint64_t at)
{
	q_push_at(m, p, n, m->uart_rate, at);
	busy(m, at, TX_FIFO);
}

/* uart_put_char: returns when the byte has left. */
static void put_char(struct ecr_sim *m, uint8_t b, uint64_t at)
{
	q_push_at(m, &b, 1, m->uart_rate, at);
	busy(m, at, 0);
}

static void cmd_put(struct ecr_sim *m, size_t off, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && off + i < sizeof(m->s.cmd); i++)
		m->s.cmd[off + i] = p[i];
}

static void ack_header(const struct ecr_sim *m, uint8_t out[4])
{
	out[0] = 0x5A;
	out[1] = m->s.ack.type;
	out[2] = (uint8_t)m->s.ack.len;
	out[3] = (uint8_t)(m->s.ack.len >> 8);
}

/* ACK_msg.CRC8 = sum of its first five bytes. */
static void ack_sum(struct ecr_sim *m)
{
	uint8_t b[5];

	ack_header(m, b);
	b[4] = m->s.ack.status;
	m->s.ack.crc = ecr_sim_sum8(b, 5);
}

static void ack_set(struct ecr_sim *m, uint8_t type, uint16_t len, uint8_t status)
{
	m->s.ack.type = type;
	m->s.ack.len = len;
	m->s.ack.status = status;
}

/* The 6-byte ACK_msg as it stands. */
static void send_ack(struct ecr_sim *m, uint64_t at)
{
	uint8_t b[6];

	ack_header(m, b);
	b[4] = m->s.ack.status;
	b[5] = m->s.ack.crc;
	sim_trace(m->trace, "answer %02x %02x %02x %02x %02x %02x", b[0], b[1], b[2],
		  b[3], b[4], b[5]);
	send_at(m, b, 6, at);
}

/* An answer built in cmd_data_buf: ACK_msg's header, data, status 00, SUM8. */
static void send_frame(struct ecr_sim *m, const uint8_t *data, size_t n, uint64_t at)
{
	uint8_t *f = malloc(n + 6);

	if (!f) {
		m->io_failed = 1;
		return;
	}
	ack_header(m, f);
	memcpy(f + 4, data, n);
	f[4 + n] = STATUS_OK;
	f[5 + n] = ecr_sim_sum8(f, n + 5);
	cmd_put(m, 0, f, n + 4 < sizeof(m->s.cmd) ? n + 4 : sizeof(m->s.cmd));
	send_at(m, f, n + 6, at);
	free(f);
}

static uint32_t cfg_addr(const struct ecr_sim *m)
{
	return get_le32(m->s.cmd + 4);
}

static uint32_t cfg_len(const struct ecr_sim *m)
{
	return get_le32(m->s.cmd + 8);
}

/* addr + len > g_flash_size, in 32 bits as the stub computes it. */
static int out_of_range(const struct ecr_sim *m)
{
	return (uint32_t)(cfg_addr(m) + cfg_len(m)) > m->stub_flash_size;
}

static void answer_addr_error(struct ecr_sim *m, uint64_t now)
{
	sim_trace(m->trace, "addr error: 0x%x+0x%x, flash 0x%x", cfg_addr(m), cfg_len(m),
		  m->stub_flash_size);
	m->s.ack.status = STATUS_ADDR;
	ack_sum(m);
	send_ack(m, now);
}

/* ----------------------------------------------------------------- flash */

static uint64_t erase_sectors(struct ecr_sim *m, uint32_t addr, uint32_t len)
{
	uint64_t first, last;

	if (!len)
		return 0;
	first = addr / SECTOR;
	last = ((uint64_t)addr + len - 1) / SECTOR;
	for (uint64_t s = first; s <= last; s++)
		memset(m->flash + ((s * SECTOR) & flash_mask(m)), 0xFF, SECTOR);
	m->stats.erases++;
	m->stats.sectors_erased += last - first + 1;
	sim_trace(m->trace, "erase 0x%llx+0x%llx (%llu sectors)",
		  (unsigned long long)(first * SECTOR),
		  (unsigned long long)((last - first + 1) * SECTOR),
		  (unsigned long long)(last - first + 1));
	return last - first + 1;
}

static uint64_t sector_time(const struct ecr_sim *m, uint32_t addr, uint32_t len)
{
	if (!len)
		return 0;
	return MS(m->erase_4k_ms) *
	       ((((uint64_t)addr + len - 1) / SECTOR) - addr / SECTOR + 1);
}

/* ESWIN's 0x02 erase: sectors, then 32K/64K blocks where aligned (§2.5). */
static uint64_t dl_erase_time(const struct ecr_sim *m, uint32_t addr, uint32_t len)
{
	uint32_t head = 0, rest, blocks;
	uint64_t t = 0;

	if (len < BLOCK)
		return sector_time(m, addr, len);
	if (addr % BLOCK) {
		head = BLOCK - addr % BLOCK;
		if (head < HALF_BLOCK)
			t += sector_time(m, addr, head);
		else
			t += sector_time(m, addr, head - HALF_BLOCK) + MS(m->erase_32k_ms);
	}
	rest = len - head;
	blocks = rest / BLOCK;
	t += MS(m->erase_64k_ms) * blocks;
	rest -= blocks * BLOCK;
	if (rest >= HALF_BLOCK) {
		t += MS(m->erase_32k_ms);
		rest -= HALF_BLOCK;
	}
	return t + sector_time(m, addr + len - rest, rest);
}

/* NOR: programming only clears bits. Returns the busy time. */
static uint64_t program(struct ecr_sim *m, uint32_t addr, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m->flash[(addr + (uint32_t)i) & flash_mask(m)] &= p[i];
	m->stats.bytes_programmed += n;
	return US(m->page_us) * ((n + PAGE - 1) / PAGE);
}

/* reset-at: 1 when this write byte reset the chip. */
static int count_write_byte(struct ecr_sim *m, uint64_t now)
{
	m->write_bytes++;
	if (m->reset_at && m->write_bytes == m->reset_at) {
		char why[64];

		snprintf(why, sizeof(why), "reset-at after %llu write bytes",
			 (unsigned long long)m->write_bytes);
		m->reset_at = 0;
		chip_reset(m, now, why);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------- commands */

static void h_sync(struct ecr_sim *m, uint64_t now)
{
	ack_set(m, m->s.cmd[1], 0, STATUS_OK);
	if (memcmp(m->s.cmd + 4, "cnys", 4) != 0) {
		m->s.ack.status = STATUS_ERROR;
		ack_sum(m);
	} else {
		sim_trace(m->trace, "syn ok, SUM8 not recomputed (0x%02x)", m->s.ack.crc);
	}
	send_ack(m, now);
}

static void dl_begin(struct ecr_sim *m, uint8_t type)
{
	m->s.dl_type = type;
	m->s.addr = cfg_addr(m);
	m->s.remain = cfg_len(m);
	m->s.offset = 0;
	m->s.last = 0;
	wait_byte(m, S_DL_HEAD, NEVER);
	m->s.got = 0;
}

static void h_ram_download(struct ecr_sim *m, uint64_t now)
{
	ack_set(m, 0x01, 0, STATUS_OK);
	ack_sum(m);
	send_ack(m, now);
	dl_begin(m, 0x01);
}

static void h_flash_download(struct ecr_sim *m, uint64_t now)
{
	uint64_t t;

	ack_set(m, 0x02, 0, STATUS_OK);
	if (out_of_range(m)) {
		answer_addr_error(m, now);
		return;
	}
	t = now + timed(m, dl_erase_time(m, cfg_addr(m), cfg_len(m)));
	erase_sectors(m, cfg_addr(m), cfg_len(m));
	ack_sum(m);
	send_ack(m, t);
	dl_begin(m, 0x02);
}

static void h_flash_upload(struct ecr_sim *m, uint64_t now)
{
	m->s.ack.type = 0x03;
	m->s.ack.status = STATUS_OK;
	if (out_of_range(m)) {
		m->s.ack.len = 0;
		answer_addr_error(m, now);
		return;
	}
	m->s.addr = cfg_addr(m);
	m->s.remain = cfg_len(m);
	m->s.offset = 0;
	m->s.first = 1;
	m->s.st = S_UL;
}

/* One 0x03 frame; the CPU comes back for the next when it has drained. */
static void ul_next(struct ecr_sim *m, uint64_t now)
{
	uint32_t n = m->s.remain < READ_MAX ? m->s.remain : READ_MAX;
	uint8_t *data;

	if (!m->s.first && !m->s.remain) {
		wait_byte(m, S_HEAD, NEVER);
		m->s.got = 0;
		return;
	}
	m->s.first = 0;
	data = malloc((size_t)n + 1);   /* n may be 0: the first frame always goes */
	if (!data) {
		m->io_failed = 1;
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		data[i] = m->flash[(m->s.addr + m->s.offset + i) & flash_mask(m)];
	m->s.ack.len = (uint16_t)n;
	if (n == READ_MAX)
		sim_trace(m->trace, "read frame 0x%x+65536: LEN wraps to 0",
			  m->s.addr + m->s.offset);
	send_frame(m, data, n, now);
	free(data);
	m->stats.bytes_read += n;
	m->s.remain -= n;
	m->s.offset += n;
}

static void h_erase(struct ecr_sim *m, uint64_t now)
{
	uint64_t t;

	ack_set(m, 0x04, 0, STATUS_OK);
	if (out_of_range(m)) {
		answer_addr_error(m, now);
		return;
	}
	t = now + timed(m, sector_time(m, cfg_addr(m), cfg_len(m)));
	erase_sectors(m, cfg_addr(m), cfg_len(m));
	ack_sum(m);
	send_ack(m, t);
}

static void h_chip_erase(struct ecr_sim *m, uint64_t now)
{
	ack_set(m, 0x05, 0, STATUS_OK);
	memset(m->flash, 0xFF, m->flash_size);
	m->stats.chip_erases++;
	sim_trace(m->trace, "chip erase");
	ack_sum(m);
	send_ack(m, now + timed(m, MS(m->chip_erase_ms)));
}

static void h_run(struct ecr_sim *m, uint64_t now)
{
	ack_set(m, 0x06, 0, STATUS_OK);
	ack_sum(m);
	send_ack(m, now);
	busy(m, now + MS(10), SIZE_MAX);
	m->s.st = S_RUN;
}

static void run_boot(struct ecr_sim *m, uint64_t now)
{
	if (!flash_blank_start(m)) {
		firmware_boots(m, now);
		return;
	}
	sim_trace(m->trace, "run: no partition table at 0x0, stub err! every 2 s");
	chip_down(m, C_FIRMWARE);
	m->err_at = now + MS(2000);
}

static void h_baud(struct ecr_sim *m, uint64_t now)
{
	uint32_t rate = get_le32(m->s.cmd + 4);

	ack_set(m, 0x07, 0, STATUS_OK);
	ack_sum(m);
	if (!rate) {
		stub_dead(m, "hang", "baud 0");
		return;
	}
	m->uart_rate = rate;
	m->stats.baud_changes++;
	sim_trace(m->trace, "baud %u", rate);
	send_ack(m, now + MS(50));
}

static void h_sha(struct ecr_sim *m, uint64_t now)
{
	struct flash_view v = { m, cfg_addr(m) };
	uint8_t hash[32];
	uint32_t len = cfg_len(m);

	m->s.ack.type = 0x09;
	m->s.ack.len = 32;
	if (out_of_range(m)) {
		m->s.ack.len = 0;
		answer_addr_error(m, now);
		return;
	}
	sha256_of(flash_view_byte, &v, len, hash);
	sim_trace(m->trace, "sha256 0x%x+0x%x", v.addr, len);
	send_frame(m, hash, 32, now + timed(m, US(m->sha_us) * ((len + 1023) / 1024)));
}

static void h_flash_id(struct ecr_sim *m, uint64_t now)
{
	uint8_t id[4] = { (uint8_t)(m->jedec >> 16), (uint8_t)(m->jedec >> 8),
			  (uint8_t)m->jedec, 0 };

	m->s.ack.type = 0x90;
	m->s.ack.status = STATUS_OK;
	ack_sum(m);   /* before LEN is set: as the stub does */
	m->s.ack.len = 4;
	send_frame(m, id, 4, now);
}

static void h_efuse(struct ecr_sim *m, uint64_t now)
{
	m->s.ack.type = 0x99;
	m->s.ack.len = EFUSE_SIZE;
	send_frame(m, m->efuse, EFUSE_SIZE, now);
}

static void h_xmodem_write(struct ecr_sim *m, uint64_t now)
{
	uint64_t t;

	ack_set(m, 0x91, 0, STATUS_OK);
	ack_sum(m);
	if (out_of_range(m)) {
		answer_addr_error(m, now);
		return;
	}
	send_ack(m, now);
	t = now + MS(100) + timed(m, sector_time(m, cfg_addr(m), cfg_len(m)));
	erase_sectors(m, cfg_addr(m), cfg_len(m));
	m->s.addr = cfg_addr(m);
	m->s.offset = 0;
	m->s.have_prev_blk = 0;
	put_char(m, X_C, t);
	wait_byte(m, S_XR_HDR, MS(3333));
}

static void h_xmodem_read(struct ecr_sim *m, uint64_t now, int raw)
{
	ack_set(m, m->s.cmd[1], 0, STATUS_OK);
	ack_sum(m);
	send_ack(m, now);
	m->s.raw = raw;
	m->s.addr = cfg_addr(m);
	m->s.remain = cfg_len(m);
	m->s.offset = 0;
	m->s.blk = 1;
	wait_byte(m, S_XS_WAITC, NEVER);
}

static void h_type_error(struct ecr_sim *m, uint64_t now)
{
	m->stats.type_errors++;
	m->s.ack.type = 0xFF;
	m->s.ack.status = STATUS_TYPE;
	ack_sum(m);
	send_ack(m, now);
}

static void dispatch(struct ecr_sim *m, uint64_t now, int type)
{
	int custom = m->s.kind == K_CUSTOM;

	m->s.st = S_HEAD;
	m->s.got = 0;
	wait_byte(m, S_HEAD, NEVER);
	switch (type) {
	case 0x00: h_sync(m, now); return;
	case 0x01: h_ram_download(m, now); return;
	case 0x02: h_flash_download(m, now); return;
	case 0x03: h_flash_upload(m, now); return;
	case 0x04: h_erase(m, now); return;
	case 0x05: h_chip_erase(m, now); return;
	case 0x06: h_run(m, now); return;
	case 0x07: h_baud(m, now); return;
	default: break;
	}
	if (custom) {
		switch (type) {
		case 0x09: h_sha(m, now); return;
		case 0x90: h_flash_id(m, now); return;
		case 0x91: h_xmodem_write(m, now); return;
		case 0x92: h_xmodem_read(m, now, 0); return;
		case 0x98: h_xmodem_read(m, now, 1); return;
		case 0x99: h_efuse(m, now); return;
		default: break;
		}
	}
	h_type_error(m, now);
}

/* A whole request frame has arrived (or its TYPE > 0x9F). */
static void frame_done(struct ecr_sim *m, uint64_t now, int sum_ok)
{
	int type = m->s.hdr[1];

	m->stats.frames++;
	m->frames_seen++;
	if (m->s.crash) {
		stub_dead(m, "crash", "request LEN overflows the 8-byte buffer");
		return;
	}
	if (m->hang_after && m->frames_seen > m->hang_after) {
		stub_dead(m, "hang", "hang-after");
		return;
	}
	if (!sum_ok) {
		m->stats.frames_bad++;
		type = 0xFF;
	}
	dispatch(m, now, type);
}

static void parser_byte(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	struct stub *s = &m->s;

	switch (s->st) {
	case S_HEAD:
		if (s->got == 0 && b != 0xA5)
			return;
		s->hdr[s->got++] = b;
		if (s->got < 4)
			return;
		cmd_put(m, 0, s->hdr, 4);
		s->len = (uint16_t)(s->hdr[2] | s->hdr[3] << 8);
		s->sum = (unsigned)s->hdr[0] + s->hdr[1] + s->hdr[2] + s->hdr[3];
		s->crash = s->len >= m->crash_len;
		s->got = 0;
		sim_trace(m->trace, "frame type=0x%02x len=%u", s->hdr[1], s->len);
		if (s->hdr[1] > 0x9F) {   /* answered at once: no data, no SUM8 read */
			frame_done(m, now, 1);
			return;
		}
		s->st = s->len ? S_DATA : S_SUM;
		return;
	case S_DATA:
		if (4 + s->got < sizeof(s->cmd))
			s->cmd[4 + s->got] = b;
		s->sum += b;
		if (++s->got == s->len)
			s->st = S_SUM;
		return;
	case S_SUM:
		if ((uint8_t)s->sum != b)
			sim_trace(m->trace, "bad sum8 0x%02x, want 0x%02x", b, (uint8_t)s->sum);
		frame_done(m, now, (uint8_t)s->sum == b);
		return;
	default:
		return;
	}
}

/* ------------------------------------------------------- 0x01/0x02 data */

static void dl_frame_done(struct ecr_sim *m, uint64_t now, uint8_t sum)
{
	struct stub *s = &m->s;
	uint32_t n = (uint32_t)s->len - 1;
	uint64_t t = now;

	m->stats.frames++;
	m->frames_seen++;
	if (!s->len) {
		stub_dead(m, "crash", "data frame LEN 0 (length - 1 wraps)");
		return;
	}
	if (m->hang_after && m->frames_seen > m->hang_after) {
		stub_dead(m, "hang", "hang-after");
		return;
	}
	s->ack.status = STATUS_OK;
	if ((uint8_t)s->sum != sum) {
		s->ack.status = STATUS_CRC;
		m->stats.crc_errors++;
		sim_trace(m->trace, "data frame bad sum8 0x%02x, want 0x%02x: written anyway",
			  sum, (uint8_t)s->sum);
	}
	if (s->flag == 0x01) {
		s->remain += s->last;
		s->offset -= s->last;
		m->stats.resends++;
		sim_trace(m->trace, "flag 01: resend, rewind by %u", s->last);
	}
	s->last = n;
	if (s->dl_type == 0x02 && s->addr == 0 && (uint64_t)s->offset + n > BACKUP_SIZE) {
		char why[96];

		snprintf(why, sizeof(why), "partition backup overflow (0x%x+0x%x at address 0)",
			 s->offset, n);
		stub_dead(m, "crash", why);
		return;
	}
	if (s->dl_type == 0x02) {
		sim_trace(m->trace, "write 0x%x+0x%x", s->addr + s->offset, n);
		t += timed(m, program(m, s->addr + s->offset, s->frame, n));
		s->flush_when_ready = 1;
	}
	ack_sum(m);
	send_ack(m, t);
	s->remain -= n;
	s->offset += n;
	s->got = 0;
	if (s->remain)
		wait_byte(m, S_DL_HEAD, NEVER);
	else
		wait_byte(m, S_HEAD, NEVER);
}

static void dl_byte(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	struct stub *s = &m->s;

	switch (s->st) {
	case S_DL_HEAD:
		if ((s->got == 0 && b != 0xA5) || (s->got == 1 && b != s->dl_type)) {
			s->got = 0;
			return;
		}
		s->hdr[s->got++] = b;
		if (s->got < 4)
			return;
		cmd_put(m, 0, s->hdr, 4);
		s->len = (uint16_t)(s->hdr[2] | s->hdr[3] << 8);
		s->sum = (unsigned)s->hdr[0] + s->hdr[1] + s->hdr[2] + s->hdr[3];
		s->got = 0;
		free(s->frame);
		s->frame = malloc(s->len ? s->len : 1);
		if (!s->frame)
			m->io_failed = 1;
		s->st = s->len ? S_DL_DATA : S_DL_SUM;
		return;
	case S_DL_DATA:
		s->sum += b;
		if (s->got < 8)
			s->cmd[4 + s->got] = b;
		if (s->got == 0)
			s->flag = b;
		else if (s->frame)
			s->frame[s->got - 1] = b;
		s->got++;
		if (s->got > 1 && s->dl_type == 0x02 && count_write_byte(m, now))
			return;
		if (s->got == s->len)
			s->st = S_DL_SUM;
		return;
	case S_DL_SUM:
		dl_frame_done(m, now, b);
		return;
	default:
		return;
	}
}

/* ------------------------------------------------------- 0x91 XMODEM in */

static void xm_ack(struct ecr_sim *m, uint64_t at)
{
	if (++m->xm_acks == m->lose_ack) {
		m->stats.lost_acks++;
		sim_trace(m->trace, "lost ack %llu", (unsigned long long)m->xm_acks);
		busy(m, at, 0);
		return;
	}
	put_char(m, X_ACK, at);
}

static void xr_nak(struct ecr_sim *m, uint64_t now, const char *why)
{
	m->stats.xmodem_naks++;
	sim_trace(m->trace, "xmodem nak: %s", why);
	put_char(m, X_NAK, now);
	wait_byte(m, S_XR_HDR, MS(3333));
}

static void xr_block_done(struct ecr_sim *m, uint64_t now)
{
	struct stub *s = &m->s;
	uint16_t want = ecr_sim_crc16(s->xdata, XBLOCK);
	uint16_t got = (uint16_t)(s->xcrc[0] << 8 | s->xcrc[1]);
	uint32_t at = s->addr + s->offset;
	uint64_t t;

	if (want != got) {
		xr_nak(m, now, "crc");
		return;
	}
	if (s->have_prev_blk && s->xhdr[1] == s->prev_blk) {
		m->stats.xmodem_repeats++;
		sim_trace(m->trace, "xmodem block blk=%u at 0x%x: repeated number: written again",
			  s->xhdr[1], at);
	} else {
		sim_trace(m->trace, "xmodem block blk=%u at 0x%x", s->xhdr[1], at);
	}
	s->prev_blk = s->xhdr[1];
	s->have_prev_blk = 1;
	t = now + timed(m, program(m, at, s->xdata, XBLOCK));
	if (t < now + US(m->turnaround_us))
		t = now + US(m->turnaround_us);
	s->offset += XBLOCK;
	m->stats.xmodem_blocks++;
	xm_ack(m, t);
	wait_byte(m, S_XR_HDR, MS(3333));
}

static void xr_byte(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	struct stub *s = &m->s;

	switch (s->st) {
	case S_XR_HDR:
		if (b == X_EOT) {
			sim_trace(m->trace, "xmodem eot");
			xm_ack(m, now);
			wait_byte(m, S_HEAD, NEVER);
			s->got = 0;
		} else if (b != X_STX) {
			xr_nak(m, now, "not STX");
		} else {
			s->xhdr[0] = b;
			wait_byte(m, S_XR_BLK, MS(10000));
		}
		return;
	case S_XR_BLK:
		s->xhdr[1] = b;
		wait_byte(m, S_XR_NBLK, MS(10000));
		return;
	case S_XR_NBLK:
		s->xhdr[2] = b;
		if (s->xhdr[1] + s->xhdr[2] != 0xFF) {
			xr_nak(m, now, "blk + ~blk != 255");
			return;
		}
		s->got = 0;
		wait_byte(m, S_XR_DATA, MS(20000));
		return;
	case S_XR_DATA:
		s->xdata[s->got++] = b;
		if (count_write_byte(m, now))
			return;
		if (s->got == XBLOCK) {
			s->got = 0;
			wait_byte(m, S_XR_CRC, MS(10000));
		}
		return;
	case S_XR_CRC:
		s->xcrc[s->got++] = b;
		if (s->got == 2)
			xr_block_done(m, now);
		return;
	default:
		return;
	}
}

/* A read with a timeout gave nothing: the old buffer byte stands in. */
static void xr_timeout(struct ecr_sim *m, uint64_t now)
{
	struct stub *s = &m->s;

	switch (s->st) {
	case S_XR_HDR:
		put_char(m, X_C, now);
		wait_byte(m, S_XR_HDR, MS(3333));
		return;
	case S_XR_BLK:
		xr_byte(m, now, s->xhdr[1]);
		return;
	case S_XR_NBLK:
		xr_byte(m, now, s->xhdr[2]);
		return;
	case S_XR_DATA:
		sim_trace(m->trace, "xmodem: data byte %zu timed out", s->got);
		s->got++;
		if (s->got == XBLOCK) {
			s->got = 0;
			wait_byte(m, S_XR_CRC, MS(10000));
		} else {
			wait_byte(m, S_XR_DATA, MS(20000));
		}
		return;
	case S_XR_CRC:
		if (++s->got == 2)
			xr_block_done(m, now);
		else
			wait_byte(m, S_XR_CRC, MS(10000));
		return;
	default:
		return;
	}
}

/* ------------------------------------------------------ 0x92 XMODEM out */

static uint8_t mem_byte(const struct ecr_sim *m, uint32_t a)
{
	if (a < ROM_SIZE) {
		uint64_t r = m->seed ^ 0x65637272;   /* "ecrr" */
		uint64_t v;

		r += a / 8;
		v = sim_random(&r);
		return (uint8_t)(v >> (8 * (a % 8)));
	}
	if (a >= EFUSE_ADDR && a < EFUSE_ADDR + EFUSE_SIZE)
		return m->efuse[a - EFUSE_ADDR];
	return 0;
}

static void xs_block(struct ecr_sim *m, uint64_t now)
{
	struct stub *s = &m->s;
	uint8_t pkt[3 + XBLOCK + 2];
	uint16_t crc;

	s->chunk = s->remain > XBLOCK ? XBLOCK : s->remain;
	memset(pkt + 3, 0xFF, XBLOCK);
	for (uint32_t i = 0; i < s->chunk; i++) {
		uint32_t a = s->addr + s->offset + i;

		pkt[3 + i] = s->raw ? mem_byte(m, a) : m->flash[a & flash_mask(m)];
	}
	crc = ecr_sim_crc16(pkt + 3, XBLOCK);
	pkt[0] = X_STX;
	pkt[1] = s->blk;
	pkt[2] = (uint8_t)~s->blk;
	pkt[3 + XBLOCK] = (uint8_t)(crc >> 8);
	pkt[4 + XBLOCK] = (uint8_t)crc;
	q_push_at(m, pkt, sizeof(pkt), m->uart_rate, now);
	busy(m, now, 0);
	wait_byte(m, S_XS_ACK, MS(3000));
}

static void xs_eot(struct ecr_sim *m, uint64_t now)
{
	put_char(m, X_EOT, now);
	wait_byte(m, S_XS_EOT, MS(3000));
}

static void xs_next(struct ecr_sim *m, uint64_t now)
{
	m->s.tries = 0;
	if (m->s.remain)
		xs_block(m, now);
	else
		xs_eot(m, now);
}

static void xs_answer(struct ecr_sim *m, uint64_t now, int acked)
{
	struct stub *s = &m->s;

	if (s->st == S_XS_ACK) {
		if (acked) {
			m->stats.bytes_read += s->chunk;
			s->offset += s->chunk;
			s->remain -= s->chunk;
			s->blk++;
			xs_next(m, now + US(m->turnaround_us));
		} else if (++s->tries < XM_TRIES) {
			m->stats.xmodem_resends++;
			xs_block(m, now);
		} else {
			sim_trace(m->trace, "xmodem send: %d tries, CAN", XM_TRIES);
			put_char(m, X_CAN, now);
			wait_byte(m, S_HEAD, NEVER);
			s->got = 0;
		}
		return;
	}
	if (acked || ++s->tries >= XM_TRIES) {
		wait_byte(m, S_HEAD, NEVER);
		s->got = 0;
		return;
	}
	xs_eot(m, now);
}

static void xs_byte(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	if (m->s.st == S_XS_WAITC) {
		if (b == X_C)
			xs_next(m, now);
		return;
	}
	xs_answer(m, now, b == X_ACK);
}

/* ----------------------------------------------------------- the CPU loop */

static void stub_byte(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	switch (m->s.st) {
	case S_HEAD: case S_DATA: case S_SUM:
		parser_byte(m, now, b);
		break;
	case S_DL_HEAD: case S_DL_DATA: case S_DL_SUM:
		dl_byte(m, now, b);
		break;
	case S_XR_HDR: case S_XR_BLK: case S_XR_NBLK: case S_XR_DATA: case S_XR_CRC:
		xr_byte(m, now, b);
		break;
	case S_XS_WAITC: case S_XS_ACK: case S_XS_EOT:
		xs_byte(m, now, b);
		break;
	default:
		break;
	}
}

static void stub_timeout(struct ecr_sim *m, uint64_t now)
{
	if (m->s.st == S_XS_ACK || m->s.st == S_XS_EOT)
		xs_answer(m, now, 0);
	else
		xr_timeout(m, now);
}

static void stub_started(struct ecr_sim *m, uint64_t now)
{
	static const char flash_msg[] = "flash!";

	sim_trace(m->trace, "stub %s running", kind_names[m->s.kind]);
	wait_byte(m, S_HEAD, NEVER);
	m->s.got = 0;
	if (!m->stub_flash_size)
		send_at(m, (const uint8_t *)flash_msg, 6, now);
}

static int cpu_ready(const struct ecr_sim *m, uint64_t now)
{
	return now >= m->s.busy_until && m->q_bytes <= m->s.wait_out;
}

static void stub_run(struct ecr_sim *m, uint64_t now)
{
	while (m->chip == C_STUB && cpu_ready(m, now)) {
		struct stub *s = &m->s;

		s->wait_out = SIZE_MAX;
		if (s->flush_when_ready) {
			m->stats.flushed += s->fifo_len;
			s->fifo_len = 0;
			s->flush_when_ready = 0;
		}
		if (s->st == S_BOOT) {
			stub_started(m, now);
			continue;
		}
		if (s->st == S_UL) {
			ul_next(m, now);
			continue;
		}
		if (s->st == S_RUN) {
			m->uart_rate = ROM_BAUD;
			run_boot(m, now);
			return;
		}
		if (s->timer_ns != NEVER && !s->timer_at)
			s->timer_at = now + s->timer_ns;
		if (s->fifo_len) {
			uint8_t b = s->fifo[s->fifo_head];

			s->fifo_head = (s->fifo_head + 1) % m->rx_fifo;
			s->fifo_len--;
			stub_byte(m, now, b);
			continue;
		}
		if (s->timer_ns != NEVER && s->timer_at <= now) {
			s->timer_at = 0;
			stub_timeout(m, now);
			continue;
		}
		break;
	}
}

static int start_stub(struct ecr_sim *m, uint64_t now, enum kind kind, uint64_t boot_ns)
{
	chip_down(m, C_STUB);
	m->s.kind = kind;
	m->s.fifo = malloc(m->rx_fifo);
	if (!m->s.fifo) {
		m->io_failed = 1;
		return -1;
	}
	m->s.st = S_BOOT;
	m->s.busy_until = now + boot_ns;
	m->s.wait_out = SIZE_MAX;
	m->s.timer_ns = NEVER;
	return 0;
}

static void fifo_push(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	struct stub *s = &m->s;

	if (s->st == S_BOOT || s->fifo_len == m->rx_fifo) {
		m->stats.overruns++;
		return;
	}
	s->fifo[(s->fifo_head + s->fifo_len) % m->rx_fifo] = b;
	s->fifo_len++;
	stub_run(m, now);
}

/* ---------------------------------------------------------------- the ROM */

static void rom_reply(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	q_push_at(m, &b, 1, ROM_BAUD, now);
}

static void rom_sync_byte(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	memmove(m->sync_win, m->sync_win + 1, 3);
	m->sync_win[3] = b;
	if (memcmp(m->sync_win, "cnys", 4) != 0)
		return;
	sim_trace(m->trace, "rom sync");
	m->stats.syncs++;
	m->chip = C_ROM_HDR;
	m->window_at = NEVER;
	m->rom_got = 0;
	rom_reply(m, now, 0x01);
}

static void rom_header_byte(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	uint32_t type, addr, len;
	uint8_t answer;

	m->rom_hdr[m->rom_got++] = b;
	if (m->rom_got == 4 && memcmp(m->rom_hdr, "cnys", 4) == 0) {
		sim_trace(m->trace, "rom sync");
		m->stats.syncs++;
		m->rom_got = 0;
		rom_reply(m, now, 0x01);
		return;
	}
	if (m->rom_got < 12)
		return;
	m->rom_got = 0;
	type = get_le32(m->rom_hdr);
	addr = get_le32(m->rom_hdr + 4);
	len = get_le32(m->rom_hdr + 8);
	answer = type == 1 && len >= 1 && len <= MAX_UPLOAD ? 0x00 : 0xFF;
	sim_trace(m->trace, "rom header type=0x%x addr=0x%x len=%u -> %02x", type, addr,
		  len, answer);
	rom_reply(m, now, answer);
	if (answer)
		return;
	m->chip = C_ROM_LOAD;
	m->load_len = len;
	m->load_got = 0;
	m->tdefl_state = 0;
}

static void rom_load_byte(struct ecr_sim *m, uint64_t now, uint8_t b)
{
	static const char marker[] = "tdefl_";
	enum kind kind = m->stub_opt;

	if (m->tdefl_state < sizeof(marker) - 1)
		m->tdefl_state = b == (uint8_t)marker[m->tdefl_state] ? m->tdefl_state + 1 :
				 b == 't' ? 1 : 0;
	if (++m->load_got < m->load_len)
		return;
	if (kind == K_AUTO)
		kind = m->tdefl_state == sizeof(marker) - 1 ? K_CUSTOM : K_STOCK;
	sim_trace(m->trace, "stub upload done: %u bytes, %s stub", m->load_len, kind_names[kind]);
	m->stats.stub_uploads++;
	start_stub(m, now, kind, MS(m->stub_boot_ms));
}

/* -------------------------------------------------------------- the line */

static int mismatch(const struct uart_sim_line *h, unsigned rate)
{
	uint64_t d = h->baud > rate ? h->baud - rate : rate - h->baud;

	return h->parity != 'n' || h->bits != 8 || d * 100 > (uint64_t)rate * 3;
}

static uint8_t garble(struct ecr_sim *m, uint8_t b)
{
	uint8_t g;

	do
		g = (uint8_t)sim_random(&m->garble_rng);
	while (g == b);
	return g;
}

static int too_fast(const struct ecr_sim *m, unsigned rate)
{
	return m->corrupt_above && rate > m->corrupt_above;
}

static void trace_garbling(struct ecr_sim *m, const char *dir, int *flag, int bad,
			   unsigned rate)
{
	if (bad && !*flag)
		sim_trace(m->trace, "%s garbled: host %u %s %d, device %u", dir, m->host.baud,
			  parity_name(m->host.parity), m->host.bits, rate);
	*flag = bad;
}

/* A byte on the wire, either way: drop (0), flip, garble. */
static int wire(struct ecr_sim *m, uint8_t *b, int bad)
{
	if (chance_ppm(m, m->drop_ppm)) {
		m->stats.drops++;
		return 0;
	}
	if (chance_ppm(m, m->flip_ppm)) {
		*b ^= (uint8_t)(1u << (sim_random(&m->rng) & 7));
		m->stats.flips++;
	}
	if (bad)
		*b = garble(m, *b);
	return 1;
}

/* ---------------------------------------------------------------- timers */

static void advance(struct ecr_sim *m, uint64_t now)
{
	if (now > m->stats.elapsed_ns)
		m->stats.elapsed_ns = now;
	if ((m->chip == C_OFF || m->chip == C_FIRMWARE) && m->power_at <= now)
		power_on(m, now);
	if (m->chip == C_ROM && m->window_at <= now) {
		sim_trace(m->trace, "rom window expired");
		firmware_boots(m, now);
		if (m->replug_ms)
			m->power_at = now + MS(m->replug_ms);
	}
	if (m->chip == C_FIRMWARE && m->err_at <= now) {
		static const uint8_t err_text[ERR_LEN] = "stub err!\n";

		q_push_at(m, err_text, ERR_LEN, ROM_BAUD, now);
		m->err_at = now + MS(2000);
	}
	if (m->chip == C_STUB)
		stub_run(m, now);
}

/* ------------------------------------------------------- runner interface */

static void ecr_line(void *dev, uint64_t now, const struct uart_sim_line *l)
{
	struct ecr_sim *m = dev;

	if (!m->have_host || l->baud != m->host.baud || l->parity != m->host.parity ||
	    l->bits != m->host.bits)
		sim_trace(m->trace, "line baud=%u parity=%s", l->baud, parity_name(l->parity));
	m->host = *l;
	m->have_host = 1;
	if (l->raw && !m->raw_seen) {
		m->raw_seen = 1;
		sim_trace(m->trace, "line raw");
		if (m->chip == C_OFF && m->power_at == NEVER)
			m->power_at = now + MS(m->power_on_ms);
	}
	advance(m, now);
}

static void ecr_modem(void *dev, uint64_t now, char which, int value)
{
	struct ecr_sim *m = dev;
	int *line = which == 'd' ? &m->dtr : &m->rts;
	int was = *line;

	value = !!value;
	sim_trace(m->trace, "modem %s=%d", which == 'd' ? "dtr" : "rts", value);
	*line = value;
	if (m->reset_manual || m->reset_line != which || was == value)
		return;
	if (value) {
		sim_trace(m->trace, "held in reset");
		chip_down(m, C_HELD);
	} else {
		chip_reset(m, now, "reset line released");
	}
}

static void rx_one(struct ecr_sim *m, uint64_t now, uint8_t b,
		   const struct uart_sim_line *alt)
{
	unsigned rate = m->uart_rate;
	int bad = (mismatch(&m->host, rate) && (!alt || mismatch(alt, rate))) ||
		  too_fast(m, rate);

	switch (m->chip) {
	case C_ROM: case C_ROM_HDR: case C_ROM_LOAD: case C_STUB:
		break;
	default:
		return;   /* nobody listens */
	}
	trace_garbling(m, "rx", &m->rx_garbling, bad, rate);
	if (bad)
		m->stats.garbled_rx++;
	if (!wire(m, &b, bad))
		return;
	switch (m->chip) {
	case C_ROM:
		rom_sync_byte(m, now, b);
		break;
	case C_ROM_HDR:
		rom_header_byte(m, now, b);
		break;
	case C_ROM_LOAD:
		rom_load_byte(m, now, b);
		break;
	default:
		fifo_push(m, now, b);
		break;
	}
}

static void ecr_input(void *dev, uint64_t now, const uint8_t *buf, size_t n,
		      const struct uart_sim_line *alt)
{
	struct ecr_sim *m = dev;

	advance(m, now);
	if (m->rx && fwrite(buf, 1, n, m->rx) == n)
		fflush(m->rx);
	m->stats.bytes_rx += n;
	for (size_t i = 0; i < n; i++)
		rx_one(m, now, buf[i], alt);
	advance(m, now);
}

static unsigned ecr_rate(void *dev, uint64_t now)
{
	struct ecr_sim *m = dev;

	advance(m, now);
	return m->q_head ? m->q_head->rate : m->uart_rate;
}

static size_t ecr_output(void *dev, uint64_t now, uint8_t *buf, size_t cap)
{
	struct ecr_sim *m = dev;
	size_t n = 0;
	unsigned rate = 0;

	advance(m, now);
	while (n < cap) {
		struct chunk *c = m->q_head;

		if (!c || c->not_before > now || (n && c->rate != rate))
			break;
		rate = c->rate;
		if (c->off < c->len) {
			uint8_t b = c->data[c->off++];
			int bad = mismatch(&m->host, rate) || too_fast(m, rate);

			m->q_bytes--;
			trace_garbling(m, "tx", &m->tx_garbling, bad, rate);
			if (bad)
				m->stats.garbled_tx++;
			if (wire(m, &b, bad))
				buf[n++] = b;
		}
		if (c->off == c->len) {
			m->q_head = c->next;
			if (!m->q_head)
				m->q_tail = NULL;
			free(c);
		}
	}
	m->stats.bytes_tx += n;
	advance(m, now);
	return n;
}

static uint64_t ecr_next_event(void *dev, uint64_t now)
{
	struct ecr_sim *m = dev;
	uint64_t t = NEVER;

	(void)now;
	if (m->q_head)
		t = m->q_head->not_before;
	if (m->chip == C_OFF || m->chip == C_FIRMWARE)
		t = min_u64(t, m->power_at);
	if (m->chip == C_ROM)
		t = min_u64(t, m->window_at);
	if (m->chip == C_FIRMWARE)
		t = min_u64(t, m->err_at);
	if (m->chip == C_STUB) {
		if (m->s.busy_until > now)
			t = min_u64(t, m->s.busy_until);
		else if (m->s.timer_at)
			t = min_u64(t, m->s.timer_at);
	}
	return t;
}

/* ----------------------------------------------------------------- files */

static int read_exact_file(const char *key, const char *path, uint8_t *buf, size_t size,
			   char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;

	if (fd < 0) {
		sim_set_err(err, errlen, "ecr6600 sim: %s=%s: %s", key, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		sim_set_err(err, errlen, "ecr6600 sim: %s=%s: want a file of exactly %zu bytes",
			    key, path, size);
		close(fd);
		return -1;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sim_set_err(err, errlen, "ecr6600 sim: %s=%s: short read", key, path);
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
	const struct ecr_sim *m = ctx;

	return sim_write_full(fd, m->flash, m->flash_size);
}

static const struct sim_stat stat_fields[] = {
#define STAT(f) SIM_STAT(struct ecr_stats, f)
	STAT(bytes_rx), STAT(bytes_tx), STAT(power_ons), STAT(syncs),
	STAT(stub_uploads), STAT(frames), STAT(frames_bad), STAT(type_errors),
	STAT(erases), STAT(sectors_erased), STAT(chip_erases),
	STAT(bytes_programmed), STAT(bytes_read), STAT(xmodem_blocks),
	STAT(xmodem_naks), STAT(xmodem_repeats), STAT(xmodem_resends),
	STAT(crc_errors), STAT(resends), STAT(baud_changes), STAT(resets),
	STAT(crashes), STAT(lost_acks), STAT(flips), STAT(drops), STAT(overruns),
	STAT(flushed), STAT(garbled_rx), STAT(garbled_tx), STAT(elapsed_ns),
#undef STAT
};

static void free_sim(struct ecr_sim *m)
{
	if (!m)
		return;
	q_clear(m);
	stub_free(m);
	if (m->trace)
		fclose(m->trace);
	if (m->rx)
		fclose(m->rx);
	free(m->flash);
	free(m->banner);
	free(m->image_path);
	free(m->save_path);
	free(m->efuse_path);
	free(m->stats_path);
	free(m);
}

static int ecr_finish(void *dev, char *err, size_t errlen)
{
	struct ecr_sim *m = dev;
	char later[256] = "";
	int rc = 0;

	if (!m)
		return 0;
	if (m->io_failed) {
		sim_set_err(err, errlen, "ecr6600 sim: out of memory while running");
		rc = -1;
	}
	if (m->save_path && sim_write_file("ecr6600", "save", m->save_path, fill_flash, m,
					   rc ? later : err, rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->stats_path && sim_write_stats("ecr6600", m->stats_path, &m->stats, stat_fields,
					sizeof(stat_fields) / sizeof(stat_fields[0]),
					    rc ? later : err, rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->trace && fclose(m->trace) && !rc) {
		sim_set_err(err, errlen, "ecr6600 sim: trace file: write failed");
		rc = -1;
	}
	m->trace = NULL;
	if (m->rx && fclose(m->rx) && !rc) {
		sim_set_err(err, errlen, "ecr6600 sim: rx file: write failed");
		rc = -1;
	}
	m->rx = NULL;
	free_sim(m);
	return rc;
}

/* -------------------------------------------------------------- contents */

static void fill_random(uint64_t *rng, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = sim_random(rng);

		for (size_t k = 0; k < 8 && i + k < n; k++)
			p[i + k] = (uint8_t)(r >> (8 * k));
	}
}

static void default_contents(struct ecr_sim *m)
{
	uint64_t rng = m->seed ^ 0x656372666c617368ull;   /* "ecrflash" */

	memset(m->flash, 0xFF, m->flash_size);
	fill_random(&rng, m->flash, m->flash_size / 2);
	rng = m->seed ^ 0x6563726566757365ull;            /* "ecrefuse" */
	fill_random(&rng, m->efuse, EFUSE_SIZE);
}

/* -------------------------------------------------------------- options */

static int num(const char *key, const char *val, uint64_t min, uint64_t max,
	       uint64_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (ub_parse_u64(val, &v) || v < min || v > max) {
		sim_set_err(err, errlen, "ecr6600 sim: %s=%s: want a number from %llu to %llu",
			    key, val, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

/* One of words[] (NULL-terminated); its index into *out. */
static int word(const char *key, const char *val, const char *const *words, int *out,
		char *err, size_t errlen)
{
	char list[128] = "";
	size_t used = 0;

	for (int i = 0; words[i]; i++) {
		if (strcmp(val, words[i]) == 0) {
			*out = i;
			return 0;
		}
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 i ? (words[i + 1] ? ", " : " or ") : "", words[i]);
	}
	sim_set_err(err, errlen, "ecr6600 sim: %s=%s: want %s", key, val, list);
	return -1;
}

/* C escapes \r \n \t \\ \xNN. */
static int parse_text(const char *key, const char *val, uint8_t **out, size_t *len,
		      char *err, size_t errlen)
{
	uint8_t *buf = malloc(strlen(val) + 1);
	size_t n = 0;

	if (!buf) {
		sim_set_err(err, errlen, "ecr6600 sim: %s=: out of memory", key);
		return -1;
	}
	for (const char *p = val; *p; p++) {
		int hi, lo;

		if (*p != '\\') {
			buf[n++] = (uint8_t)*p;
			continue;
		}
		switch (*++p) {
		case 'r': buf[n++] = '\r'; continue;
		case 'n': buf[n++] = '\n'; continue;
		case 't': buf[n++] = '\t'; continue;
		case '\\': buf[n++] = '\\'; continue;
		case 'x':
			hi = sim_hex_digit(p[1]);
			lo = hi < 0 ? -1 : sim_hex_digit(p[2]);
			if (lo >= 0) {
				buf[n++] = (uint8_t)(hi << 4 | lo);
				p += 2;
				continue;
			}
			break;
		default:
			break;
		}
		sim_set_err(err, errlen, "ecr6600 sim: %s=%s: bad escape (use \\r \\n \\t \\\\ \\xNN)",
			    key, val);
		free(buf);
		return -1;
	}
	free(*out);
	*out = buf;
	*len = n;
	return 0;
}

#define NUM_OPT(fn, field, lo, hi) \
	static int fn(void *dev, const char *k, const char *v, char *e, size_t el) \
	{ \
		struct ecr_sim *m = dev; \
		return num(k, v, lo, hi, &m->field, e, el); \
	}

NUM_OPT(opt_power_on, power_on_ms, 0, 600000)
NUM_OPT(opt_rom_window, rom_window_ms, 0, 600000)
NUM_OPT(opt_replug, replug_ms, 0, 600000)
NUM_OPT(opt_stub_boot, stub_boot_ms, 0, 600000)
NUM_OPT(opt_running_baud, running_baud, 1200, 12000000)
NUM_OPT(opt_crash_len, crash_len, 9, 65536)
NUM_OPT(opt_rx_fifo, rx_fifo, 1, MAX_FIFO)
NUM_OPT(opt_turnaround_us, turnaround_us, 0, 10000000)
NUM_OPT(opt_erase_4k, erase_4k_ms, 0, 600000)
NUM_OPT(opt_erase_32k, erase_32k_ms, 0, 600000)
NUM_OPT(opt_erase_64k, erase_64k_ms, 0, 600000)
NUM_OPT(opt_chip_erase, chip_erase_ms, 0, 600000)
NUM_OPT(opt_page_us, page_us, 0, 1000000)
NUM_OPT(opt_sha_us, sha_us, 0, 1000000)
NUM_OPT(opt_seed, seed, 0, UINT64_MAX)
NUM_OPT(opt_flip, flip_ppm, 0, 1000000)
NUM_OPT(opt_drop, drop_ppm, 0, 1000000)
NUM_OPT(opt_lose_ack, lose_ack, 1, UINT32_MAX)
NUM_OPT(opt_hang_after, hang_after, 1, UINT32_MAX)
NUM_OPT(opt_reset_at, reset_at, 1, UINT32_MAX)
NUM_OPT(opt_corrupt_above, corrupt_above, 1, 12000000)

static int opt_flash(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;
	static const char *const sizes[] = { "1M", "2M", "4M", NULL };
	int i;

	if (word(k, v, sizes, &i, e, el))
		return -1;
	m->flash_size = (uint32_t)(1024 * 1024) << i;
	return 0;
}

static int opt_jedec(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;
	uint64_t id;

	if (num(k, v, 0, 0xFFFFFF, &id, e, el))
		return -1;
	m->jedec = (uint32_t)id;
	m->jedec_given = 1;
	return 0;
}

static int opt_reset(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;
	static const char *const modes[] = { "auto", "manual", NULL };

	return word(k, v, modes, &m->reset_manual, e, el);
}

static int opt_reset_line(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;
	static const char *const lines[] = { "rts", "dtr", NULL };
	int i;

	if (word(k, v, lines, &i, e, el))
		return -1;
	m->reset_line = i ? 'd' : 'r';
	return 0;
}

static int opt_stub(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;
	static const char *const kinds[] = { "auto", "custom", "stock", NULL };
	int i;

	if (word(k, v, kinds, &i, e, el))
		return -1;
	m->stub_opt = (enum kind)i;
	return 0;
}

static int opt_running(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;
	static const char *const kinds[] = { "custom", "stock", NULL };
	int i;

	if (word(k, v, kinds, &i, e, el))
		return -1;
	m->running = i ? K_STOCK : K_CUSTOM;
	return 0;
}

static int opt_banner(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;

	return parse_text(k, v, &m->banner, &m->banner_len, e, el);
}

static int opt_image(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;

	return sim_set_path(&m->image_path, "ecr6600", k, v, e, el);
}

static int opt_save(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;

	return sim_set_path(&m->save_path, "ecr6600", k, v, e, el);
}

static int opt_efuse(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;

	return sim_set_path(&m->efuse_path, "ecr6600", k, v, e, el);
}

static int opt_stats(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;

	return sim_set_path(&m->stats_path, "ecr6600", k, v, e, el);
}

static int opt_trace(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;

	return sim_open_log(&m->trace, "ecr6600", k, v, e, el);
}

static int opt_rx(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ecr_sim *m = dev;

	return sim_open_log(&m->rx, "ecr6600", k, v, e, el);
}

static const struct sim_option option_defs[] = {
	{ "flash", 0, opt_flash },
	{ "jedec", 0, opt_jedec },
	{ "reset", 0, opt_reset },
	{ "reset-line", 0, opt_reset_line },
	{ "power-on", 0, opt_power_on },
	{ "rom-window", 0, opt_rom_window },
	{ "replug", 0, opt_replug },
	{ "banner", 0, opt_banner },
	{ "stub", 0, opt_stub },
	{ "running", 0, opt_running },
	{ "running-baud", 0, opt_running_baud },
	{ "stub-boot", 0, opt_stub_boot },
	{ "crash-len", 0, opt_crash_len },
	{ "rx-fifo", 0, opt_rx_fifo },
	{ "turnaround-us", 0, opt_turnaround_us },
	{ "erase-4k", 0, opt_erase_4k },
	{ "erase-32k", 0, opt_erase_32k },
	{ "erase-64k", 0, opt_erase_64k },
	{ "chip-erase", 0, opt_chip_erase },
	{ "page-us", 0, opt_page_us },
	{ "sha-us", 0, opt_sha_us },
	{ "image", 0, opt_image },
	{ "save", 0, opt_save },
	{ "efuse", 0, opt_efuse },
	{ "seed", 0, opt_seed },
	{ "flip", 0, opt_flip },
	{ "drop", 0, opt_drop },
	{ "lose-ack", 0, opt_lose_ack },
	{ "hang-after", 0, opt_hang_after },
	{ "reset-at", 0, opt_reset_at },
	{ "corrupt-above", 0, opt_corrupt_above },
	{ "trace", 0, opt_trace },
	{ "rx", 0, opt_rx },
	{ "stats", 0, opt_stats },
};

static int parse_options(struct ecr_sim *m, const char *opts, char *err, size_t errlen)
{
	return sim_parse_options("ecr6600", "sim/sim_ecr6600.h", opts, option_defs,
				 sizeof(option_defs) / sizeof(option_defs[0]), m, err, errlen);
}

/* g_flash_size from the JEDEC capacity byte, as the stub sizes it (§2.5). */
static uint32_t stub_size_of(uint32_t jedec)
{
	switch (jedec & 0xFF) {
	case 0x14: return 1024 * 1024;
	case 0x15: return 2 * 1024 * 1024;
	case 0x16: return 4 * 1024 * 1024;
	default: return 0;
	}
}

static void defaults(struct ecr_sim *m, int pace)
{
	m->flash_size = 2 * 1024 * 1024;
	m->reset_line = 'r';
	m->rom_window_ms = 250;
	m->stub_boot_ms = 2;
	m->stub_opt = K_AUTO;
	m->running = K_NONE;
	m->running_baud = ROM_BAUD;
	m->crash_len = 10;
	m->rx_fifo = TX_FIFO;
	m->erase_4k_ms = 45;
	m->erase_32k_ms = 150;
	m->erase_64k_ms = 200;
	m->chip_erase_ms = 8000;
	m->page_us = 500;
	m->sha_us = 100;
	m->seed = 1;
	m->pace = pace;
	m->host.parity = 'n';
	m->host.bits = 8;
	m->host.baud = ROM_BAUD;
	m->uart_rate = ROM_BAUD;
	m->chip = C_OFF;
	m->power_at = m->window_at = m->err_at = NEVER;
	m->s.kind = K_NONE;
}

static void *ecr_create(const char *opts, int pace, char *err, size_t errlen)
{
	struct ecr_sim *m = calloc(1, sizeof(*m));

	if (!m) {
		sim_set_err(err, errlen, "ecr6600 sim: out of memory");
		return NULL;
	}
	defaults(m, pace);
	if (parse_options(m, opts ? opts : "", err, errlen))
		goto fail;
	if (!m->jedec_given)
		m->jedec = 0xC84000u | (m->flash_size == (1u << 20) ? 0x14u :
					m->flash_size == (2u << 20) ? 0x15u : 0x16u);
	m->stub_flash_size = stub_size_of(m->jedec);
	m->rng = m->seed ^ 0x6563726661756c74ull;         /* "ecrfault" */
	m->garble_rng = m->seed ^ 0x6563726761726cull;    /* "ecrgarl" */
	m->flash = malloc(m->flash_size);
	if (!m->flash) {
		sim_set_err(err, errlen, "ecr6600 sim: out of memory");
		goto fail;
	}
	default_contents(m);
	if (m->image_path && read_exact_file("image", m->image_path, m->flash, m->flash_size,
					     err, errlen))
		goto fail;
	if (m->efuse_path && read_exact_file("efuse", m->efuse_path, m->efuse, EFUSE_SIZE,
					     err, errlen))
		goto fail;
	if (m->running != K_NONE) {
		if (start_stub(m, 0, m->running, 0))
			goto oom;
		m->uart_rate = (unsigned)m->running_baud;
		sim_trace(m->trace, "stub %s running at %u baud", kind_names[m->running],
			  m->uart_rate);
	}
	return m;
oom:
	sim_set_err(err, errlen, "ecr6600 sim: out of memory");
fail:
	free_sim(m);
	return NULL;
}

const struct uart_sim_model uart_sim_model_ecr6600 = {
	.name = "ecr6600",
	.create = ecr_create,
	.line = ecr_line,
	.modem = ecr_modem,
	.input = ecr_input,
	.rate = ecr_rate,
	.output = ecr_output,
	.next_event = ecr_next_event,
	.finish = ecr_finish,
};
