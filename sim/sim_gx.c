/* SPDX-License-Identifier: MIT */
/*
 * Emulator of a NationalChip GX set-top box on its UART (options, trace
 * wording and command answers: sim/sim_gx.h). Written from
 * ../shared/notes/uart-chips.md §1 and the capture in
 * ../shared/data/gx/packets, not from the host code. "Choice" marks a
 * decision of this model where the notes are silent.
 *
 * Structure: the runner (sim/sim_uart.c) hands over host bytes (input) and
 * pulls device bytes (output) with the model time. Device output is a queue
 * of chunks, each with a rate, an earliest time and an optional event that
 * fires when its last byte has left (the burst starts the ROM window,
 * RUNGET opens Stage 2, a prompt is traced, reset-at resets). Dumps are
 * produced lazily, 1024-byte units at a time, as the queue drains. In command
 * mode host bytes go through a 4 KiB FIFO that is read only while the loader
 * is listening; the rest waits in the pty.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "sim_gx.h"
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
	FLASH_SIZE = 4 * 1024 * 1024,
	SECTOR = 4096,
	OTP_SIZE = 1024,
	SOTP_REGION = 256,
	SOTP_REGIONS = 3,
	SOTP_SIZE = SOTP_REGION * SOTP_REGIONS,
	LOADER_BAUD = 115200,
	UNIT = 1024,               /* serialdump sends 1024-byte units (§1.3) */
	FIFO_SIZE = 4096,
	LINE_LEN = 255,
	MAX_STAGE2 = 1024 * 1024,  /* choice: a loader is ~150 KB */
	OUT_LOW = 4096,            /* refill a dump below this many queued bytes */
	SPLIT_GAP_MS = 3,
	PROGRAM_MS = 40,           /* per 4 KiB sector, erase + program, pace=1 */
	MAX_ARGS = 8,
	IO_CHUNK = 64 * 1024,
};

static const uint8_t xor_key[4] = { 0x12, 0x34, 0x56, 0x78 };

/* The partition table of the captured banner (§1.3, recv_000003). */
static const struct gx_part {
	const char *name;
	uint32_t start, size, used;
} parts[] = {
	{ "BOOT", 0x000000, 0x10000, 58688 },
	{ "TABLE", 0x010000, 0x200, 512 },
	{ "LOGO", 0x010200, 0xFE00, 44496 },
	{ "KERNEL", 0x020000, 0x2A0000, 2648 * 1024 },
	{ "ROOT", 0x2C0000, 0xD0000, 608 * 1024 },
	{ "DATA", 0x390000, 0x70000, 1 },
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

/* The loader's banner, byte for byte as captured (1,424 bytes). */
static const char banner[] =
	"ONOR Flash, model: EN25Q32, size: 4 MB\r\n"
	"Partition Version :  102\r\n"
	"Partition Count   :  6\r\n"
	"Write Protect     :  TRUE\r\n"
	"CRC32 Enable      :  TRUE\r\n"
	"Table CRC32       :  7430B36C\r\n"
	"=============================================================================================="
	"\r\n"
	"ID NAME    FS      CRC32     START    TOTAL_SIZE   MAIN_SIZE  USED_SIZE      Use%  RES_SIZE\r\n"
	"=============================================================================================="
	"\r\n"
	"0  BOOT    raw     25358F66  00000000      64 KB      64 KB   58688  B      89%       0 MB\r\n"
	"1  TABLE   raw               00010000     512  B     512  B     512  B     100%       0 MB\r\n"
	"2  LOGO    raw     822BE25A  00010200   65024  B   65024  B   44496  B      68%       0 MB\r\n"
	"3  KERNEL  raw     1F1E2FEE  00020000    2688 KB    2688 KB    2648 KB      98%       0 MB\r\n"
	"4  ROOT    cramfs  71A651EC  002c0000     832 KB     832 KB     608 KB      73%       0 MB\r\n"
	"5  DATA    minifs  FF000000  00390000     448 KB     448 KB       1  B       0%       0 MB\r\n"
	"----------------------------------------------------------------------------------------------"
	"\r\n"
	"\r\n"
	"\r\n"
	"GxLoader SDK_V2.5.0_RC6 sdk_dev (966f4738717d5e7bd738d238495eb8139ad4c967) "
	"Thu Dec 21 10:43:17 CST 2023 \r\n"
	"\r\n"
	"public id\t: 7f08ab7154378bad\r\n"
	"cpu family\t: CSKY\r\n"
	"chip model\t: gemini\r\n"
	"board type\t: 6702H5\r\n"
	"memory size\t: 64 MB\r\n"
	"Flash type\t: EN25Q32\r\n"
	"Flash size\t: 4 MB\r\n"
	"cpu freq\t: 594 MHz\r\r\n"
	"memory freq\t: 672 MHz\r\r\n"
	"boot> ";

static const char prompt_text[] = "\r\nboot> ";

/* Choice: what the flash firmware prints when the ROM window passes. */
static const char firmware_noise[] =
	"\r\n\r\nGxLoader SDK_V2.5.0_RC6\r\nboard type : 6702H5\r\n"
	"boot from spi nor flash ...\r\nStarting kernel ...\r\n";

enum box_state {
	BOX_OFF,      /* unpowered, or powering on at power_at */
	BOX_HELD,     /* reset line asserted */
	BOX_SILENT,   /* handshake off, ROM gave up, firmware, loader failed */
	BOX_ROM,      /* burst queued or sent, waiting for 0x59 */
	BOX_STAGE1,
	BOX_RUNGET,   /* Stage 1 good, RUNGET not sent yet */
	BOX_STAGE2,
	BOX_LOADER,   /* command mode */
};

enum loader_state {
	L_LINE,       /* reading a command line */
	L_DUMP,       /* producing a binary read */
	L_DOWN_DATA,  /* taking a binary write's data */
	L_DOWN_CRC,   /* taking its XOR word */
	L_BUSY,       /* erasing/programming until busy_at */
	L_RESETTING,  /* reset-at: resets when the queue has drained */
};

enum s1_phase { S1_COUNT, S1_PAYLOAD, S1_TAIL, S1_TERM };
enum target { T_FLASH, T_OTP, T_SOTP };
enum event { EV_NONE, EV_HANDSHAKE, EV_RUNGET, EV_PROMPT, EV_RESET };
enum busy_job { JOB_PROGRAM, JOB_ERASE };

struct chunk {
	struct chunk *next;
	uint64_t not_before;
	unsigned rate;
	enum event event;
	size_t len, cap, off;
	uint8_t data[];
};

struct xfer {
	enum target target;
	int dump;
	uint32_t addr, len, done;
	uint32_t xor_sum;
	uint8_t *data;        /* writes: the data received */
	int64_t flip_at;      /* -1: none */
	uint8_t flip_mask;
	int64_t reset_after;  /* -1: none */
	uint8_t crc[4];
	int crc_got;
};

struct gx_stats {
	uint64_t bytes_rx, bytes_tx, handshakes, stage1_ok, stage1_bad;
	uint64_t stage2_ok, stage2_bad, early_rx, commands, dumps, downs;
	uint64_t dump_bytes, down_bytes, crc_errors, flips, wire_flips, drops;
	uint64_t delays, resets, garbled_rx, garbled_tx, sectors_programmed;
	uint64_t otp_writes, errors;
};

struct gx_sim {
	/* options */
	uint64_t power_delay_ms, rom_window_ms, runget_delay_ms;
	uint64_t banner_delay_ms, delay_ms, stage_timeout_ms;
	char reset_line;              /* 0, 'd' or 'r' */
	int start_prompt, split, legacy, down_reboot, pace, handshake_off;
	uint8_t handshake[16];
	size_t handshake_len;
	uint8_t *noise, *runget;
	size_t noise_len, runget_len;
	uint64_t rom_baud, chip, seed, flip_left;
	double flip_rate, drop_rate, delay_rate;
	int64_t reset_at;             /* -1: none, and once used */
	char *image_path, *save_path, *otp_path, *otp_save_path, *stats_path;
	FILE *trace, *rx;
	int io_failed;

	/* memories */
	uint8_t *flash;
	uint8_t otp[OTP_SIZE];
	uint8_t sotp[SOTP_SIZE];
	int sotp_locked[SOTP_REGIONS];
	int sotp_region;

	/* line */
	struct uart_sim_line host;
	int have_host, raw_seen, rx_garbling, tx_garbling;
	int latched, latch_bad;       /* Stage 1/2 judged at their first byte */
	int dtr, rts;

	/* box */
	enum box_state box;
	int ever_powered;
	uint64_t power_at, window_at, idle_at, busy_at, stall_until;
	uint64_t rom_skipped, early;

	/* Stage 1 and 2 */
	enum s1_phase s1_phase;
	uint32_t s1_count, s1_got, s1_transfer;
	uint64_t s1_bytes;
	uint8_t s1_buf[8];
	uint32_t s2_sum_want, s2_size, s2_sum, s2_got;
	int s2_have_header;
	uint8_t s2_hdr[8], s2_magic[4];

	/* loader */
	enum loader_state ls;
	enum busy_job job;
	uint32_t job_addr, job_len, job_sectors;
	char line[LINE_LEN + 1];
	size_t line_len;
	int last_cr;
	uint8_t fifo[FIFO_SIZE];
	size_t fifo_head, fifo_len;
	struct xfer *x;

	/* output */
	struct chunk *q_head, *q_tail;
	size_t q_bytes;
	int no_roll;

	uint64_t rng, garble_rng;
	struct gx_stats stats;
};

/* ---------------------------------------------------------------- basics */

/* 1 with probability p. */
static int chance(struct gx_sim *m, double p)
{
	if (p <= 0)
		return 0;
	return (double)(sim_random(&m->rng) >> 11) * 0x1p-53 < p;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint32_t gx_sim_xorsum(uint32_t sum, uint64_t start, const uint8_t *data,
		       size_t len)
{
	for (size_t i = 0; i < len; i++)
		sum += (uint32_t)(xor_key[(start + i) & 3] ^ data[i]);
	return sum;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Stage-1 transfer size T by chip ID (§1.2 table). */
static uint32_t stage1_size(uint64_t chip)
{
	switch (chip) {
	case 0x6616: case 0x3211: case 0x6701: case 0x6705:
		return 0x2000;
	case 0x6612:
		return 0x4000;
	default:
		return 0x1000;
	}
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

/* ------------------------------------------------------------- the line */

/* A host with settings h cannot read the device at rate (nor it the host). */
static int mismatch(const struct uart_sim_line *h, unsigned rate)
{
	uint64_t d = h->baud > rate ? h->baud - rate : rate - h->baud;

	return h->parity != 'n' || h->bits != 8 || d * 100 > (uint64_t)rate * 3;
}

static int line_mismatch(const struct gx_sim *m, unsigned rate)
{
	return mismatch(&m->host, rate);
}

/* A byte that is clearly not b: 0x80-0xFF, never B0/B8 (burst prefixes). */
static uint8_t garble(struct gx_sim *m, uint8_t b)
{
	uint8_t g;

	do
		g = (uint8_t)(0x80 | (sim_random(&m->garble_rng) & 0x7F));
	while (g == b || g == 0xB0 || g == 0xB8);
	return g;
}

static void trace_garbling(struct gx_sim *m, const char *dir, int *flag,
			   int bad, unsigned rate)
{
	if (bad && !*flag)
		sim_trace(m->trace, "%s garbled: host %u %s %d, device %u", dir,
		      m->host.baud, parity_name(m->host.parity), m->host.bits,
		      rate);
	*flag = bad;
}

static unsigned device_rate(const struct gx_sim *m)
{
	switch (m->box) {
	case BOX_ROM: case BOX_STAGE1:
		return (unsigned)m->rom_baud;
	default:
		return LOADER_BAUD;
	}
}

/* ---------------------------------------------------------- output queue */

static struct chunk *q_new(struct gx_sim *m, size_t cap, unsigned rate,
			   uint64_t not_before, enum event ev)
{
	struct chunk *c = malloc(sizeof(*c) + cap);

	if (!c) {
		m->io_failed = 1;
		return NULL;
	}
	c->next = NULL;
	c->not_before = not_before;
	c->rate = rate;
	c->event = ev;
	c->len = c->off = 0;
	c->cap = cap;
	if (m->q_tail)
		m->q_tail->next = c;
	else
		m->q_head = c;
	m->q_tail = c;
	return c;
}

/* Queue bytes; plain loader text is appended to the last chunk if it fits. */
static void q_push(struct gx_sim *m, const void *data, size_t len,
		   unsigned rate, uint64_t not_before, enum event ev)
{
	struct chunk *c = m->q_tail;

	if (!(c && ev == EV_NONE && c->event == EV_NONE && c->rate == rate &&
	      c->not_before >= not_before && c->cap - c->len >= len))
		c = q_new(m, len < 256 ? 256 : len, rate, not_before, ev);
	if (!c)
		return;
	memcpy(c->data + c->len, data, len);
	c->len += len;
	m->q_bytes += len;
}

static void say(struct gx_sim *m, const char *text)
{
	q_push(m, text, strlen(text), LOADER_BAUD, 0, EV_NONE);
}

static void q_clear(struct gx_sim *m)
{
	while (m->q_head) {
		struct chunk *c = m->q_head;

		m->q_head = c->next;
		free(c);
	}
	m->q_tail = NULL;
	m->q_bytes = 0;
	m->stall_until = 0;
	m->no_roll = 0;
}

/* ----------------------------------------------------------- power, reset */

static void free_xfer(struct gx_sim *m)
{
	if (m->x)
		free(m->x->data);
	free(m->x);
	m->x = NULL;
}

static void loader_idle(struct gx_sim *m)
{
	free_xfer(m);
	m->ls = L_LINE;
	m->line_len = 0;
	m->last_cr = 0;
}

/* Everything in flight is lost; the box is off (held: until release). */
static void box_down(struct gx_sim *m, int held)
{
	q_clear(m);
	m->fifo_len = 0;
	loader_idle(m);
	m->latched = 0;
	m->window_at = m->idle_at = m->busy_at = NEVER;
	m->box = held ? BOX_HELD : BOX_OFF;
}

static void do_reset(struct gx_sim *m, uint64_t now)
{
	sim_trace(m->trace, "reset");
	m->stats.resets++;
	box_down(m, 0);
	m->power_at = now + MS(m->power_delay_ms);
}

static void power_on(struct gx_sim *m, uint64_t now)
{
	unsigned rate = (unsigned)m->rom_baud;

	m->power_at = NEVER;
	m->ever_powered = 1;
	sim_trace(m->trace, "power-on");
	if (m->handshake_off) {
		m->box = BOX_SILENT;
		return;
	}
	if (m->noise_len)
		q_push(m, m->noise, m->noise_len, rate, now, EV_NONE);
	if (m->split) {
		for (size_t i = 0; i < m->handshake_len; i++)
			q_push(m, &m->handshake[i], 1, rate,
			       now + MS(SPLIT_GAP_MS) * i,
			       i + 1 == m->handshake_len ? EV_HANDSHAKE : EV_NONE);
	} else {
		q_push(m, m->handshake, m->handshake_len, rate, now, EV_HANDSHAKE);
	}
	m->box = BOX_ROM;
	m->rom_skipped = 0;
}

/* --------------------------------------------------------------- Stage 1 */

static void stage1_bad(struct gx_sim *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void stage1_bad(struct gx_sim *m, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sim_trace(m->trace, "stage1 bad: %s", why);
	m->stats.stage1_bad++;
	m->box = BOX_SILENT;
	m->latched = 0;
	m->idle_at = NEVER;
}

static void stage1_start(struct gx_sim *m, uint64_t now)
{
	if (m->rom_skipped)
		sim_trace(m->trace, "rom skipped %llu bytes",
		      (unsigned long long)m->rom_skipped);
	m->box = BOX_STAGE1;
	m->s1_phase = S1_COUNT;
	m->s1_got = 0;
	m->s1_count = 0;
	m->s1_bytes = 1;
	m->s1_transfer = stage1_size(m->chip);
	m->latched = 1;      /* the 0x59 came through clean */
	m->latch_bad = 0;
	m->window_at = NEVER;
	m->idle_at = now + MS(m->stage_timeout_ms);
}

static void stage1_ok(struct gx_sim *m, uint64_t now)
{
	sim_trace(m->trace, "stage1 ok chip=0x%04x bytes=%llu", (unsigned)m->chip,
	      (unsigned long long)m->s1_bytes);
	m->stats.stage1_ok++;
	m->latched = 0;
	m->idle_at = NEVER;
	m->box = BOX_RUNGET;
	m->early = 0;
	q_push(m, m->runget, m->runget_len, LOADER_BAUD,
	       now + MS(m->runget_delay_ms), EV_RUNGET);
}

static void stage1_count(struct gx_sim *m, uint8_t b)
{
	uint32_t want = m->s1_transfer / 4;

	m->s1_count |= (uint32_t)b << (8 * m->s1_got);
	if (++m->s1_got < 4)
		return;
	if (m->s1_count != want && !(m->legacy && m->s1_count == want + 2)) {
		stage1_bad(m, "word count 0x%x, want 0x%x for chip 0x%04x",
			   m->s1_count, want, (unsigned)m->chip);
		return;
	}
	m->s1_phase = S1_PAYLOAD;
	m->s1_got = 0;
}

static void stage1_tail(struct gx_sim *m, uint8_t b)
{
	m->s1_buf[m->s1_got++] = b;
	if (m->s1_got < 8)
		return;
	m->s2_sum_want = get_le32(m->s1_buf);
	m->s2_size = get_le32(m->s1_buf + 4);
	if (m->s2_size == 0 || m->s2_size > MAX_STAGE2) {
		stage1_bad(m, "legacy size %u out of range (1..%u)", m->s2_size,
			   MAX_STAGE2);
		return;
	}
	m->s1_phase = S1_TERM;
	m->s1_got = 0;
}

static void stage1_term(struct gx_sim *m, uint64_t now, uint8_t b)
{
	static const char term[] = "boot";

	m->s1_buf[m->s1_got++] = b;
	if (b != (uint8_t)term[m->s1_got - 1]) {
		char got[16];
		size_t used = 0;

		got[0] = '\0';
		for (uint32_t i = 0; i < m->s1_got; i++)
			used += (size_t)snprintf(got + used, sizeof(got) - used,
						 "%s%02x", i ? " " : "",
						 m->s1_buf[i]);
		stage1_bad(m, "terminator %s, want 'boot' (62 6f 6f 74) after %u payload bytes",
			   got, m->s1_transfer - 4);
		return;
	}
	if (m->s1_got == 4)
		stage1_ok(m, now);
}

static void stage1_byte(struct gx_sim *m, uint64_t now, uint8_t b)
{
	m->s1_bytes++;
	m->idle_at = now + MS(m->stage_timeout_ms);
	switch (m->s1_phase) {
	case S1_COUNT:
		stage1_count(m, b);
		break;
	case S1_PAYLOAD:
		/* §1.2 table: the 0x6612 payload ends at file offset 0x4000 (0x3FE0 B). */
		if (++m->s1_got == (m->s1_transfer == 0x4000 ? 0x3FE0u : m->s1_transfer - 4)) {
			m->s1_phase = m->legacy ? S1_TAIL : S1_TERM;
			m->s1_got = 0;
		}
		break;
	case S1_TAIL:
		stage1_tail(m, b);
		break;
	case S1_TERM:
		stage1_term(m, now, b);
		break;
	}
}

/* --------------------------------------------------------------- Stage 2 */

static void stage2_bad(struct gx_sim *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void stage2_bad(struct gx_sim *m, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sim_trace(m->trace, "stage2 bad: %s", why);
	m->stats.stage2_bad++;
	m->box = BOX_SILENT;
	m->latched = 0;
	m->idle_at = NEVER;
}

static void stage2_begin(struct gx_sim *m, uint64_t now)
{
	sim_trace(m->trace, "runget");
	if (m->early)
		sim_trace(m->trace, "early: dropped %llu bytes before RUNGET",
		      (unsigned long long)m->early);
	m->box = BOX_STAGE2;
	m->s2_got = 0;
	m->s2_sum = 0;
	m->s2_have_header = m->legacy;   /* legacy: sum/size came in Stage 1 */
	m->latched = 0;
	m->idle_at = now + MS(m->stage_timeout_ms);
}

static void stage2_done(struct gx_sim *m, uint64_t now)
{
	static const uint8_t magic[4] = { 't', 'o', 'o', 'b' };

	if (!m->legacy && memcmp(m->s2_magic, magic, 4)) {
		stage2_bad(m, "no 'toob' magic (got %02x %02x %02x %02x)",
			   m->s2_magic[0], m->s2_magic[1], m->s2_magic[2],
			   m->s2_magic[3]);
		return;
	}
	if (m->s2_sum != m->s2_sum_want) {
		stage2_bad(m, "sum 0x%08x, header says 0x%08x", m->s2_sum,
			   m->s2_sum_want);
		return;
	}
	sim_trace(m->trace, "stage2 ok sum=0x%08x size=%u", m->s2_sum, m->s2_size);
	m->stats.stage2_ok++;
	m->latched = 0;
	m->idle_at = NEVER;
	m->box = BOX_LOADER;
	loader_idle(m);
	q_push(m, banner, sizeof(banner) - 1, LOADER_BAUD,
	       now + MS(m->banner_delay_ms), EV_PROMPT);
}

static void stage2_byte(struct gx_sim *m, uint64_t now, uint8_t b)
{
	m->idle_at = now + MS(m->stage_timeout_ms);
	if (!m->s2_have_header) {
		m->s2_hdr[m->s2_got++] = b;
		if (m->s2_got < 8)
			return;
		m->s2_sum_want = get_le32(m->s2_hdr);
		m->s2_size = get_le32(m->s2_hdr + 4);
		m->s2_got = 0;
		m->s2_have_header = 1;
		if (m->s2_size < 4 || m->s2_size > MAX_STAGE2)
			stage2_bad(m, "size %u out of range (4..%u)", m->s2_size,
				   MAX_STAGE2);
		return;
	}
	if (m->s2_got < 4)
		m->s2_magic[m->s2_got] = b;
	m->s2_sum += b;
	if (++m->s2_got == m->s2_size)
		stage2_done(m, now);
}

/* ---------------------------------------------------------------- loader */

static void prompt(struct gx_sim *m)
{
	q_push(m, prompt_text, sizeof(prompt_text) - 1, LOADER_BAUD, 0,
	       EV_PROMPT);
}

/* A text answer (lines joined by \r\n) and the prompt. */
static void reply(struct gx_sim *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply(struct gx_sim *m, const char *fmt, ...)
{
	char text[512];
	const char *eol;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	eol = strchr(text, '\r');
	sim_trace(m->trace, "reply %.*s", eol ? (int)(eol - text) : (int)strlen(text), text);
	if (strncmp(text, "err:", 4) == 0)
		m->stats.errors++;
	say(m, text);
	prompt(m);
}

/* Decimal or 0x hex, nothing else (choice: the loader's own parser). */
static int parse_num(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static const struct gx_part *find_part(const char *name)
{
	for (size_t i = 0; i < NPARTS; i++)
		if (strcasecmp(parts[i].name, name) == 0)
			return &parts[i];
	return NULL;
}

/*
 * PART|ADDR and LEN (NULL: the whole partition, PART only) inside the flash
 * or the partition. 0, or -1 after an err: reply.
 */
static int flash_range(struct gx_sim *m, const char *cmd, const char *where,
		       const char *lenstr, uint32_t *addr, uint32_t *len)
{
	const struct gx_part *p = find_part(where);
	uint32_t base, limit, a, n;
	const char *name = p ? p->name : "flash";

	if (p) {
		base = a = p->start;
		limit = p->size;
	} else if (parse_num(where, &a) == 0) {
		base = 0;
		limit = FLASH_SIZE;
	} else {
		reply(m, "err: unknown partition '%s'", where);
		return -1;
	}
	if (!lenstr && !p) {
		reply(m, "err: usage: %s <part|addr> <len>", cmd);
		return -1;
	}
	if (!lenstr)
		n = p->size;
	else if (parse_num(lenstr, &n)) {
		reply(m, "err: bad length '%s'", lenstr);
		return -1;
	}
	if (n == 0) {
		reply(m, "err: length 0");
		return -1;
	}
	if (a < base || (uint64_t)a + n > (uint64_t)base + limit) {
		reply(m, "err: range 0x%x+0x%x is outside %s 0x%x+0x%x", a, n,
		      name, base, limit);
		return -1;
	}
	*addr = a;
	*len = n;
	return 0;
}

static int small_range(struct gx_sim *m, const char *what, const char *as,
		       const char *ls, uint32_t size, uint32_t *addr,
		       uint32_t *len)
{
	if (parse_num(as, addr) || parse_num(ls, len)) {
		reply(m, "err: bad number in '%s %s'", as, ls);
		return -1;
	}
	if (*len == 0 || (uint64_t)*addr + *len > size) {
		reply(m, "err: %s range 0x%x+0x%x is outside 0x0+0x%x", what,
		      *addr, *len, size);
		return -1;
	}
	return 0;
}

static const uint8_t *target_mem(struct gx_sim *m, enum target t)
{
	return t == T_FLASH ? m->flash : t == T_OTP ? m->otp : m->sotp;
}

static struct xfer *new_xfer(struct gx_sim *m, enum target t, int dump,
			     uint32_t addr, uint32_t len)
{
	struct xfer *x = calloc(1, sizeof(*x));

	if (!x || (!dump && !(x->data = malloc(len)))) {
		free(x);
		m->io_failed = 1;
		reply(m, "err: out of memory");
		return NULL;
	}
	x->target = t;
	x->dump = dump;
	x->addr = addr;
	x->len = len;
	x->flip_at = -1;
	x->reset_after = -1;
	return x;
}

static void take_reset_at(struct gx_sim *m, struct xfer *x)
{
	if (x->target != T_FLASH || m->reset_at < 0)
		return;
	x->reset_after = m->reset_at < (int64_t)x->len ? m->reset_at : x->len;
	m->reset_at = -1;
}

static void start_dump(struct gx_sim *m, enum target t, uint32_t addr,
		       uint32_t len)
{
	struct xfer *x = new_xfer(m, t, 1, addr, len);

	if (!x)
		return;
	x->xor_sum = gx_sim_xorsum(0, 0, target_mem(m, t) + addr, len);
	if (t != T_SOTP && m->flip_left) {
		m->flip_left--;
		x->flip_at = (int64_t)(sim_random(&m->rng) % len);
		x->flip_mask = (uint8_t)(1u << (sim_random(&m->rng) & 7));
		m->stats.flips++;
		sim_trace(m->trace, "flip offset=%lld mask=0x%02x", (long long)x->flip_at,
		      x->flip_mask);
	}
	take_reset_at(m, x);
	sim_trace(m->trace, "dump addr=0x%x len=%u xor=0x%08x", addr, len, x->xor_sum);
	m->stats.dumps++;
	m->x = x;
	m->ls = L_DUMP;
	say(m, "~sta~");
}

static void start_down(struct gx_sim *m, enum target t, uint32_t addr,
		       uint32_t len)
{
	struct xfer *x = new_xfer(m, t, 0, addr, len);

	if (!x)
		return;
	take_reset_at(m, x);
	sim_trace(m->trace, "down addr=0x%x len=%u", addr, len);
	m->stats.downs++;
	m->x = x;
	m->ls = L_DOWN_DATA;
	say(m, "~sta~");
	if (x->reset_after == 0) {
		q_new(m, 0, LOADER_BAUD, 0, EV_RESET);
		m->ls = L_RESETTING;
	}
}

/* The next part of a dump, while little is queued. */
static void produce(struct gx_sim *m)
{
	while (m->ls == L_DUMP && m->q_bytes < OUT_LOW) {
		struct xfer *x = m->x;
		uint32_t n = x->len - x->done;
		struct chunk *c;

		if (x->reset_after >= 0 && x->done == (uint64_t)x->reset_after) {
			q_new(m, 0, LOADER_BAUD, 0, EV_RESET);
			m->ls = L_RESETTING;
			return;
		}
		if (n == 0) {
			if (!m->legacy) {
				uint8_t w[4];

				say(m, "~crc~");
				put_be32(w, x->xor_sum);
				q_push(m, w, 4, LOADER_BAUD, 0, EV_NONE);
			}
			say(m, "~fin~");
			prompt(m);
			loader_idle(m);
			return;
		}
		if (n > UNIT)
			n = UNIT;
		if (x->reset_after >= 0 && n > x->reset_after - x->done)
			n = (uint32_t)(x->reset_after - x->done);
		c = q_new(m, n, LOADER_BAUD, 0, EV_NONE);
		if (!c)
			return;
		memcpy(c->data, target_mem(m, x->target) + x->addr + x->done, n);
		if (x->flip_at >= x->done && x->flip_at < (int64_t)x->done + n)
			c->data[x->flip_at - x->done] ^= x->flip_mask;
		c->len = n;
		m->q_bytes += n;
		x->done += n;
		m->stats.dump_bytes += n;
	}
}

static uint32_t sectors_of(uint32_t addr, uint32_t len)
{
	uint32_t first = addr / SECTOR, last = (addr + len - 1) / SECTOR;

	return last - first + 1;
}

static void start_busy(struct gx_sim *m, uint64_t now, enum busy_job job,
		       uint32_t addr, uint32_t len, uint32_t sectors)
{
	m->ls = L_BUSY;
	m->job = job;
	m->job_addr = addr;
	m->job_len = len;
	m->job_sectors = sectors;
	m->busy_at = now + (m->pace ? MS(PROGRAM_MS) * sectors : 0);
}

static void down_accepted(struct gx_sim *m, uint64_t now)
{
	struct xfer *x = m->x;

	say(m, "~fin~");
	start_busy(m, now, JOB_PROGRAM, x->addr, x->len,
		   x->target == T_FLASH ? sectors_of(x->addr, x->len) : 0);
}

static void program_done(struct gx_sim *m, uint64_t now)
{
	struct xfer *x = m->x;
	int reboot = 0;

	switch (x->target) {
	case T_FLASH:
		memcpy(m->flash + x->addr, x->data, x->len);
		m->stats.sectors_programmed += m->job_sectors;
		sim_trace(m->trace, "program addr=0x%x len=%u sectors=%u", x->addr, x->len,
		      m->job_sectors);
		reboot = m->down_reboot;
		break;
	case T_OTP:
		for (uint32_t i = 0; i < x->len; i++)
			m->otp[x->addr + i] |= x->data[i];
		m->stats.otp_writes++;
		sim_trace(m->trace, "otp program addr=0x%x len=%u", x->addr, x->len);
		break;
	case T_SOTP:
		for (uint32_t i = 0; i < x->len; i++)
			m->sotp[x->addr + i] &= x->data[i];
		m->stats.otp_writes++;
		sim_trace(m->trace, "sflash_otp program addr=0x%x len=%u", x->addr, x->len);
		break;
	}
	loader_idle(m);
	if (reboot) {
		sim_trace(m->trace, "reboot");
		q_push(m, banner, sizeof(banner) - 1, LOADER_BAUD,
		       now + MS(m->banner_delay_ms), EV_PROMPT);
	} else {
		prompt(m);
	}
}

static void erase_done(struct gx_sim *m)
{
	memset(m->flash + m->job_addr, 0xFF, m->job_len);
	m->stats.sectors_programmed += m->job_sectors;
	sim_trace(m->trace, "erase addr=0x%x len=%u sectors=%u", m->job_addr, m->job_len,
	      m->job_sectors);
	m->ls = L_LINE;
	reply(m, "flash erase: 0x%x+0x%x (%u sectors)", m->job_addr, m->job_len,
	      m->job_sectors);
}

static void busy_done(struct gx_sim *m, uint64_t now)
{
	m->busy_at = NEVER;
	if (m->job == JOB_ERASE)
		erase_done(m);
	else
		program_done(m, now);
}

static void down_data(struct gx_sim *m, uint64_t now, uint8_t b)
{
	struct xfer *x = m->x;

	x->data[x->done++] = b;
	m->stats.down_bytes++;
	if (x->reset_after >= 0 && x->done == (uint64_t)x->reset_after) {
		do_reset(m, now);
		return;
	}
	if (x->done < x->len)
		return;
	if (m->legacy) {
		down_accepted(m, now);
		return;
	}
	say(m, "~crc~");
	m->ls = L_DOWN_CRC;
}

static void down_crc(struct gx_sim *m, uint64_t now, uint8_t b)
{
	struct xfer *x = m->x;
	uint32_t calc, recv;

	x->crc[x->crc_got++] = b;
	if (x->crc_got < 4)
		return;
	calc = gx_sim_xorsum(0, 0, x->data, x->len);
	recv = (uint32_t)x->crc[0] << 24 | (uint32_t)x->crc[1] << 16 |
	       (uint32_t)x->crc[2] << 8 | x->crc[3];
	if (calc == recv) {
		sim_trace(m->trace, "crc ok");
		down_accepted(m, now);
		return;
	}
	sim_trace(m->trace, "crc bad calc=0x%08x recv=0x%08x", calc, recv);
	m->stats.crc_errors++;
	loader_idle(m);
	say(m, "\r\n");
	reply(m, "err: crc mismatch: calc 0x%08x, recv 0x%08x", calc, recv);
}

/* ------------------------------------------------------------- commands */

static void cmd_serial(struct gx_sim *m, int argc, char **argv)
{
	uint32_t addr, len;

	if (argc != 3) {
		reply(m, "err: usage: %s <part|addr> <len>", argv[0]);
		return;
	}
	if (flash_range(m, argv[0], argv[1], argv[2], &addr, &len))
		return;
	if (strcmp(argv[0], "serialdump") == 0)
		start_dump(m, T_FLASH, addr, len);
	else
		start_down(m, T_FLASH, addr, len);
}

static void otp_tread(struct gx_sim *m, uint32_t addr, uint32_t len)
{
	char text[OTP_SIZE * 4 + 64 * 16];
	size_t used = 0;

	for (uint32_t i = 0; i < len; i++) {
		if (i % 16 == 0)
			used += (size_t)snprintf(text + used, sizeof(text) - used,
						 "%s%04x:", i ? "\r\n" : "",
						 addr + i);
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 " %02x", m->otp[addr + i]);
	}
	{
		const char *eol = strchr(text, '\r');

		sim_trace(m->trace, "reply %.*s", (int)(eol ? (size_t)(eol - text) : used),
		      text);
	}
	say(m, text);
	prompt(m);
}

static void otp_twrite(struct gx_sim *m, uint32_t addr, const char *hex)
{
	size_t digits = strlen(hex), n = digits / 2;

	if (digits == 0 || digits % 2) {
		reply(m, "err: gx_otp twrite wants an even number of hex digits");
		return;
	}
	if ((uint64_t)addr + n > OTP_SIZE) {
		reply(m, "err: otp range 0x%x+0x%zx is outside 0x0+0x%x", addr,
		      n, OTP_SIZE);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (sim_hex_digit(hex[2 * i]) < 0 || sim_hex_digit(hex[2 * i + 1]) < 0) {
			reply(m, "err: bad hex digits '%s'", hex);
			return;
		}
	for (size_t i = 0; i < n; i++)
		m->otp[addr + i] |= (uint8_t)(sim_hex_digit(hex[2 * i]) << 4 |
					      sim_hex_digit(hex[2 * i + 1]));
	m->stats.otp_writes++;
	sim_trace(m->trace, "otp program addr=0x%x len=%zu", addr, n);
	reply(m, "gx_otp: wrote %zu bytes at 0x%x", n, addr);
}

static void cmd_gx_otp(struct gx_sim *m, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	uint32_t addr, len;

	if (argc != 4 || (strcmp(sub, "read") && strcmp(sub, "tread") &&
			  strcmp(sub, "write") && strcmp(sub, "twrite"))) {
		reply(m, "err: usage: gx_otp read|tread|write <addr> <len>, gx_otp twrite <addr> <hex>");
		return;
	}
	if (strcmp(sub, "twrite") == 0) {
		if (parse_num(argv[2], &addr))
			reply(m, "err: bad address '%s'", argv[2]);
		else
			otp_twrite(m, addr, argv[3]);
		return;
	}
	if (small_range(m, "otp", argv[2], argv[3], OTP_SIZE, &addr, &len))
		return;
	if (strcmp(sub, "read") == 0)
		start_dump(m, T_OTP, addr, len);
	else if (strcmp(sub, "tread") == 0)
		otp_tread(m, addr, len);
	else
		start_down(m, T_OTP, addr, len);
}

static void sotp_status(struct gx_sim *m)
{
	char locked[32] = "";
	size_t used = 0;

	for (int i = 0; i < SOTP_REGIONS; i++)
		if (m->sotp_locked[i])
			used += (size_t)snprintf(locked + used, sizeof(locked) - used,
						 "%s%d", used ? " " : "", i);
	reply(m, "sflash otp: %d regions x %d B, region %d, locked: %s",
	      SOTP_REGIONS, SOTP_REGION, m->sotp_region, used ? locked : "none");
}

static void sotp_rw(struct gx_sim *m, int argc, char **argv)
{
	uint32_t addr, len;

	if (argc != 4) {
		reply(m, "err: usage: sflash_otp %s <addr> <len>", argv[1]);
		return;
	}
	if (small_range(m, "sflash otp", argv[2], argv[3], SOTP_SIZE, &addr, &len))
		return;
	if (strcmp(argv[1], "read") == 0) {
		start_dump(m, T_SOTP, addr, len);
		return;
	}
	for (uint32_t r = addr / SOTP_REGION; r <= (addr + len - 1) / SOTP_REGION; r++)
		if (m->sotp_locked[r]) {
			reply(m, "err: sflash otp region %u is locked", r);
			return;
		}
	start_down(m, T_SOTP, addr, len);
}

static void cmd_sflash_otp(struct gx_sim *m, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int r = m->sotp_region;
	uint32_t n;

	if (strcmp(sub, "status") == 0 && argc == 2) {
		sotp_status(m);
	} else if (strcmp(sub, "getregion") == 0 && argc == 2) {
		reply(m, "sflash otp region: %d", r);
	} else if (strcmp(sub, "setregion") == 0 && argc == 3) {
		if (parse_num(argv[2], &n) || n >= SOTP_REGIONS) {
			reply(m, "err: sflash otp region '%s' (0-%d)", argv[2],
			      SOTP_REGIONS - 1);
			return;
		}
		m->sotp_region = (int)n;
		reply(m, "sflash otp region: %d", m->sotp_region);
	} else if (strcmp(sub, "erase") == 0 && argc == 2) {
		if (m->sotp_locked[r]) {
			reply(m, "err: sflash otp region %d is locked", r);
			return;
		}
		memset(m->sotp + r * SOTP_REGION, 0xFF, SOTP_REGION);
		reply(m, "sflash otp region %d erased", r);
	} else if (strcmp(sub, "lock") == 0 && argc == 2) {
		m->sotp_locked[r] = 1;
		sim_trace(m->trace, "sflash_otp lock region=%d", r);
		reply(m, "sflash otp region %d locked", r);
	} else if (strcmp(sub, "read") == 0 || strcmp(sub, "write") == 0) {
		sotp_rw(m, argc, argv);
	} else {
		reply(m, "err: usage: sflash_otp status|getregion|setregion <n>|erase|lock|read|write <addr> <len>");
	}
}

static void cmd_flash(struct gx_sim *m, uint64_t now, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	uint32_t addr, len, first, end;
	int i = 2;

	if (strcmp(sub, "badinfo") == 0 && argc == 2) {
		reply(m, "flash badinfo: no bad blocks");
		return;
	}
	if (strcmp(sub, "eraseall") == 0 && argc == 2) {
		start_busy(m, now, JOB_ERASE, 0, FLASH_SIZE, FLASH_SIZE / SECTOR);
		return;
	}
	if (strcmp(sub, "erase") != 0) {
		reply(m, "err: usage: flash erase [nospread] <part|addr> [len], flash eraseall, flash badinfo");
		return;
	}
	if (i < argc && strcmp(argv[i], "nospread") == 0)
		i++;
	if (i >= argc || argc - i > 2) {
		reply(m, "err: usage: flash erase [nospread] <part|addr> [len]");
		return;
	}
	if (flash_range(m, "flash erase", argv[i], i + 1 < argc ? argv[i + 1] : NULL,
			&addr, &len))
		return;
	first = addr / SECTOR * SECTOR;
	end = (addr + len + SECTOR - 1) / SECTOR * SECTOR;
	start_busy(m, now, JOB_ERASE, first, end - first, (end - first) / SECTOR);
}

/* The line as typed, for the trace: non-printing bytes as \xNN. */
static void trace_command(struct gx_sim *m)
{
	char text[LINE_LEN * 4 + 1];
	size_t used = 0;

	for (size_t i = 0; i < m->line_len; i++) {
		unsigned char c = (unsigned char)m->line[i];

		if (c >= 0x20 && c < 0x7F && c != '\\')
			text[used++] = (char)c;
		else
			used += (size_t)snprintf(text + used, sizeof(text) - used,
						 "\\x%02x", c);
	}
	text[used] = '\0';
	sim_trace(m->trace, "command %s", text);
}

static void run_line(struct gx_sim *m, uint64_t now)
{
	char *argv[MAX_ARGS + 1], *save = NULL, *tok;
	int argc = 0;

	m->line[m->line_len] = '\0';
	if (m->line_len == 0) {
		q_push(m, "boot> ", 6, LOADER_BAUD, 0, EV_PROMPT);
		return;
	}
	trace_command(m);
	m->stats.commands++;
	for (tok = strtok_r(m->line, " \t", &save); tok && argc <= MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	m->line_len = 0;
	if (argc == 0) {
		prompt(m);
	} else if (argc > MAX_ARGS) {
		reply(m, "err: too many arguments");
	} else if (strcmp(argv[0], "serialdump") == 0 ||
		   strcmp(argv[0], "serialdown") == 0) {
		cmd_serial(m, argc, argv);
	} else if (strcmp(argv[0], "gx_otp") == 0) {
		cmd_gx_otp(m, argc, argv);
	} else if (strcmp(argv[0], "sflash_otp") == 0) {
		cmd_sflash_otp(m, argc, argv);
	} else if (strcmp(argv[0], "flash") == 0) {
		cmd_flash(m, now, argc, argv);
	} else {
		/* the tokens were split in place: rebuild for the answer */
		char text[LINE_LEN + 1];
		size_t used = 0;

		for (int i = 0; i < argc; i++)
			used += (size_t)snprintf(text + used, sizeof(text) - used,
						 "%s%s", i ? " " : "", argv[i]);
		reply(m, "unknown command: %s", text);
	}
}

static void line_byte(struct gx_sim *m, uint64_t now, uint8_t b)
{
	int was_cr = m->last_cr;

	m->last_cr = b == '\r';
	if (b == '\n' && was_cr)
		return;
	if (b == '\r' || b == '\n') {
		say(m, "\r\n");
		run_line(m, now);
		m->line_len = 0;
	} else if (b == 0x08 || b == 0x7F) {
		if (m->line_len) {
			m->line_len--;
			say(m, "\b \b");
		}
	} else if (b >= 0x20 && m->line_len < LINE_LEN) {
		m->line[m->line_len++] = (char)b;
		q_push(m, &b, 1, LOADER_BAUD, 0, EV_NONE);
	}
}

static uint8_t fifo_pop(struct gx_sim *m)
{
	uint8_t b = m->fifo[m->fifo_head];

	m->fifo_head = (m->fifo_head + 1) % FIFO_SIZE;
	m->fifo_len--;
	return b;
}

/* Feed the FIFO to the loader while it listens. */
static void pump(struct gx_sim *m, uint64_t now)
{
	while (m->box == BOX_LOADER && m->fifo_len) {
		switch (m->ls) {
		case L_LINE:
			line_byte(m, now, fifo_pop(m));
			break;
		case L_DOWN_DATA:
			down_data(m, now, fifo_pop(m));
			break;
		case L_DOWN_CRC:
			down_crc(m, now, fifo_pop(m));
			break;
		default:
			return;
		}
	}
}

/* ---------------------------------------------------------------- timers */

static void advance(struct gx_sim *m, uint64_t now)
{
	if (m->box == BOX_OFF && m->power_at <= now)
		power_on(m, now);
	if (m->box == BOX_ROM && m->window_at <= now) {
		sim_trace(m->trace, "rom window expired");
		m->window_at = NEVER;
		m->box = BOX_SILENT;
		say(m, firmware_noise);
	}
	if ((m->box == BOX_STAGE1 || m->box == BOX_STAGE2) && m->idle_at <= now) {
		if (m->box == BOX_STAGE1)
			stage1_bad(m, "timeout after %llu bytes",
				   (unsigned long long)m->s1_bytes);
		else
			stage2_bad(m, "timeout after %u of %u image bytes",
				   m->s2_got, m->s2_have_header ? m->s2_size : 0);
	}
	if (m->box == BOX_LOADER && m->ls == L_BUSY && m->busy_at <= now)
		busy_done(m, now);
	pump(m, now);
	produce(m);
}

/* A chunk has left completely. */
static void fire(struct gx_sim *m, uint64_t now, enum event ev)
{
	switch (ev) {
	case EV_HANDSHAKE:
		sim_trace(m->trace, "handshake");
		m->stats.handshakes++;
		if (m->box == BOX_ROM)
			m->window_at = now + MS(m->rom_window_ms);
		break;
	case EV_RUNGET:
		if (m->box == BOX_RUNGET)
			stage2_begin(m, now);
		break;
	case EV_PROMPT:
		sim_trace(m->trace, "prompt");
		break;
	case EV_RESET:
		do_reset(m, now);
		break;
	case EV_NONE:
		break;
	}
}

/* ------------------------------------------------------- runner interface */

static void gx_line(void *dev, uint64_t now, const struct uart_sim_line *l)
{
	struct gx_sim *m = dev;

	if (!m->have_host || l->baud != m->host.baud ||
	    l->parity != m->host.parity || l->inpck != m->host.inpck ||
	    l->bits != m->host.bits) {
		if (l->bits != 8)
			sim_trace(m->trace, "line baud=%u parity=%s inpck=%d bits=%d", l->baud,
			      parity_name(l->parity), l->inpck, l->bits);
		else
			sim_trace(m->trace, "line baud=%u parity=%s inpck=%d", l->baud,
			      parity_name(l->parity), l->inpck);
	}
	m->host = *l;
	m->have_host = 1;
	if (l->raw && !m->raw_seen) {
		m->raw_seen = 1;
		sim_trace(m->trace, "line raw");
		if (m->box == BOX_OFF && !m->ever_powered && m->power_at == NEVER)
			m->power_at = now + MS(m->power_delay_ms);
	}
	advance(m, now);
}

static void gx_modem(void *dev, uint64_t now, char which, int value)
{
	struct gx_sim *m = dev;
	int *line = which == 'd' ? &m->dtr : &m->rts;
	int was = *line;

	value = !!value;
	sim_trace(m->trace, "modem %s=%d", which == 'd' ? "dtr" : "rts", value);
	*line = value;
	if (m->reset_line != which || was == value)
		return;
	if (value) {
		box_down(m, 1);
		m->power_at = NEVER;
	} else {
		do_reset(m, now);
	}
}

static size_t gx_room(void *dev, uint64_t now)
{
	struct gx_sim *m = dev;

	advance(m, now);
	return m->box == BOX_LOADER ? FIFO_SIZE - m->fifo_len : IO_CHUNK;
}

/* Either the host's settings or alt (see sim_uart.h) may have sent it. */
static uint8_t rx_filter(struct gx_sim *m, uint8_t b,
			 const struct uart_sim_line *alt)
{
	unsigned rate = device_rate(m);
	int bad = line_mismatch(m, rate) && (!alt || mismatch(alt, rate));

	if (m->box == BOX_STAGE2 && !m->latched) {
		m->latched = 1;
		m->latch_bad = bad;
	}
	if (m->latched)
		bad = m->latch_bad;
	trace_garbling(m, "rx", &m->rx_garbling, bad, rate);
	if (!bad)
		return b;
	m->stats.garbled_rx++;
	return garble(m, b);
}

static void rx_one(struct gx_sim *m, uint64_t now, uint8_t b,
		   const struct uart_sim_line *alt)
{
	switch (m->box) {
	case BOX_OFF: case BOX_HELD: case BOX_SILENT:
		return;   /* nobody listens */
	default:
		break;
	}
	b = rx_filter(m, b, alt);
	switch (m->box) {
	case BOX_ROM:
		if (b == 0x59)
			stage1_start(m, now);
		else
			m->rom_skipped++;
		break;
	case BOX_STAGE1:
		stage1_byte(m, now, b);
		break;
	case BOX_RUNGET:
		m->early++;
		m->stats.early_rx++;
		break;
	case BOX_STAGE2:
		stage2_byte(m, now, b);
		break;
	case BOX_LOADER:
		if (m->fifo_len == FIFO_SIZE)
			pump(m, now);
		if (m->fifo_len < FIFO_SIZE) {
			m->fifo[(m->fifo_head + m->fifo_len) % FIFO_SIZE] = b;
			m->fifo_len++;
		}
		break;
	default:
		break;
	}
}

static void gx_input(void *dev, uint64_t now, const uint8_t *buf, size_t n,
		     const struct uart_sim_line *alt)
{
	struct gx_sim *m = dev;

	advance(m, now);
	if (m->rx && fwrite(buf, 1, n, m->rx) == n)
		fflush(m->rx);
	m->stats.bytes_rx += n;
	for (size_t i = 0; i < n; i++) {
		rx_one(m, now, buf[i], alt);
		if (m->box == BOX_LOADER && m->fifo_len == FIFO_SIZE)
			pump(m, now);
	}
	pump(m, now);
	produce(m);
}

static unsigned gx_rate(void *dev, uint64_t now)
{
	struct gx_sim *m = dev;

	advance(m, now);
	return m->q_head ? m->q_head->rate : device_rate(m);
}

/* One byte on its way out: the wire faults, then the line. */
static int wire_byte(struct gx_sim *m, uint8_t *b, unsigned rate)
{
	int bad;

	if (m->drop_rate > 0 && chance(m, m->drop_rate)) {
		m->stats.drops++;
		return 0;
	}
	if (m->flip_rate > 0 && chance(m, m->flip_rate)) {
		*b ^= (uint8_t)(1u << (sim_random(&m->rng) & 7));
		m->stats.wire_flips++;
	}
	bad = line_mismatch(m, rate);
	trace_garbling(m, "tx", &m->tx_garbling, bad, rate);
	if (bad) {
		*b = garble(m, *b);
		m->stats.garbled_tx++;
	}
	return 1;
}

static size_t gx_output(void *dev, uint64_t now, uint8_t *buf, size_t cap)
{
	struct gx_sim *m = dev;
	size_t n = 0;
	unsigned rate = 0;

	advance(m, now);
	while (n < cap) {
		struct chunk *c = m->q_head;

		if (!c || c->not_before > now || m->stall_until > now)
			break;
		if (n && c->rate != rate)
			break;
		rate = c->rate;
		if (c->off < c->len) {
			uint8_t b;

			if (m->delay_rate > 0 && !m->no_roll &&
			    chance(m, m->delay_rate)) {
				m->stall_until = now + MS(m->delay_ms);
				m->stats.delays++;
				m->no_roll = 1;
				break;
			}
			m->no_roll = 0;
			b = c->data[c->off++];
			m->q_bytes--;
			if (wire_byte(m, &b, rate))
				buf[n++] = b;
		}
		if (c->off == c->len) {
			enum event ev = c->event;

			m->q_head = c->next;
			if (!m->q_head)
				m->q_tail = NULL;
			free(c);
			fire(m, now, ev);
			produce(m);
		}
	}
	m->stats.bytes_tx += n;
	return n;
}

static uint64_t gx_next_event(void *dev, uint64_t now)
{
	struct gx_sim *m = dev;
	uint64_t t = NEVER;

	(void)now;
	if (m->q_head)
		t = m->q_head->not_before > m->stall_until ?
		    m->q_head->not_before : m->stall_until;
	if (m->box == BOX_OFF)
		t = min_u64(t, m->power_at);
	if (m->box == BOX_ROM)
		t = min_u64(t, m->window_at);
	if (m->box == BOX_STAGE1 || m->box == BOX_STAGE2)
		t = min_u64(t, m->idle_at);
	if (m->box == BOX_LOADER && m->ls == L_BUSY)
		t = min_u64(t, m->busy_at);
	return t;
}

/* ----------------------------------------------------------------- files */

static int read_exact_file(const char *key, const char *path, uint8_t *buf,
			   size_t size, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;

	if (fd < 0) {
		sim_set_err(err, errlen, "gx sim: %s=%s: %s", key, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		sim_set_err(err, errlen, "gx sim: %s=%s: want a file of exactly %zu bytes",
			key, path, size);
		close(fd);
		return -1;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sim_set_err(err, errlen, "gx sim: %s=%s: short read", key, path);
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
	const struct gx_sim *m = ctx;

	return sim_write_full(fd, m->flash, FLASH_SIZE);
}

static int fill_otp(const void *ctx, int fd)
{
	const struct gx_sim *m = ctx;

	return sim_write_full(fd, m->otp, OTP_SIZE);
}

static const struct sim_stat stat_fields[] = {
#define STAT(f) SIM_STAT(struct gx_stats, f)
	STAT(bytes_rx), STAT(bytes_tx), STAT(handshakes), STAT(stage1_ok),
	STAT(stage1_bad), STAT(stage2_ok), STAT(stage2_bad), STAT(early_rx),
	STAT(commands), STAT(dumps), STAT(downs), STAT(dump_bytes),
	STAT(down_bytes), STAT(crc_errors), STAT(flips), STAT(wire_flips),
	STAT(drops), STAT(delays), STAT(resets), STAT(garbled_rx),
	STAT(garbled_tx), STAT(sectors_programmed), STAT(otp_writes),
	STAT(errors),
#undef STAT
};

static void free_sim(struct gx_sim *m)
{
	if (!m)
		return;
	q_clear(m);
	free_xfer(m);
	if (m->trace)
		fclose(m->trace);
	if (m->rx)
		fclose(m->rx);
	free(m->flash);
	free(m->noise);
	free(m->runget);
	free(m->image_path);
	free(m->save_path);
	free(m->otp_path);
	free(m->otp_save_path);
	free(m->stats_path);
	free(m);
}

static int gx_finish(void *dev, char *err, size_t errlen)
{
	struct gx_sim *m = dev;
	char later[256] = "";
	int rc = 0;

	if (!m)
		return 0;
	if (m->io_failed) {
		sim_set_err(err, errlen, "gx sim: out of memory while running");
		rc = -1;
	}
	if (m->save_path && sim_write_file("gx", "save", m->save_path, fill_flash, m,
				       rc ? later : err, rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->otp_save_path && sim_write_file("gx", "otp-save", m->otp_save_path, fill_otp, m,
					       rc ? later : err, rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->stats_path && sim_write_stats("gx", m->stats_path, &m->stats, stat_fields,
					sizeof(stat_fields) / sizeof(stat_fields[0]),
					rc ? later : err, rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->trace && fclose(m->trace) && !rc) {
		sim_set_err(err, errlen, "gx sim: trace file: write failed");
		rc = -1;
	}
	m->trace = NULL;
	if (m->rx && fclose(m->rx) && !rc) {
		sim_set_err(err, errlen, "gx sim: rx file: write failed");
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

static void default_flash(struct gx_sim *m)
{
	static const uint8_t cramfs[4] = { 0x45, 0x3D, 0xCD, 0x28 };
	uint64_t rng = m->seed ^ 0x6778666C617368ull;   /* "gxflash" */
	uint8_t *boot = m->flash;

	memset(m->flash, 0xFF, FLASH_SIZE);
	for (size_t i = 0; i < NPARTS; i++)
		fill_random(&rng, m->flash + parts[i].start, parts[i].used);
	memset(boot, 0, 0x20);
	memcpy(boot, "toob", 4);
	boot[5] = 0x01;
	boot[6] = (uint8_t)m->chip;
	boot[7] = (uint8_t)(m->chip >> 8);
	boot[8] = (uint8_t)(LOADER_BAUD & 0xFF);
	boot[9] = (uint8_t)(LOADER_BAUD >> 8 & 0xFF);
	boot[10] = (uint8_t)(LOADER_BAUD >> 16);
	memcpy(m->flash + 0x2C0000, cramfs, 4);
}

static void default_otp(struct gx_sim *m)
{
	uint64_t rng = m->seed ^ 0x67786F7470ull;   /* "gxotp" */

	memset(m->otp, 0, sizeof(m->otp));
	fill_random(&rng, m->otp, OTP_SIZE / 2);
}

/* -------------------------------------------------------------- options */

static int num(const char *key, const char *val, uint64_t min, uint64_t max,
	       uint64_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (ub_parse_u64(val, &v) || v < min || v > max) {
		sim_set_err(err, errlen, "gx sim: %s=%s: want a number from %llu to %llu",
			key, val, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static int flag(const char *key, const char *val, int *out, char *err,
		size_t errlen)
{
	if (!*val || strcmp(val, "1") == 0) {
		*out = 1;
	} else if (strcmp(val, "0") == 0) {
		*out = 0;
	} else {
		sim_set_err(err, errlen, "gx sim: %s=%s: want 0 or 1", key, val);
		return -1;
	}
	return 0;
}

static int probability(const char *key, const char *val, double *out,
		       char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (!*val || *end || errno || !(v >= 0 && v <= 1)) {
		sim_set_err(err, errlen, "gx sim: %s=%s: want a probability from 0 to 1",
			key, val);
		return -1;
	}
	*out = v;
	return 0;
}

/* C escapes \r \n \t \\ \xNN. */
static int parse_text(const char *key, const char *val, uint8_t **out,
		      size_t *len, char *err, size_t errlen)
{
	uint8_t *buf = malloc(strlen(val) + 1);
	size_t n = 0;

	if (!buf) {
		sim_set_err(err, errlen, "gx sim: %s=: out of memory", key);
		return -1;
	}
	for (const char *p = val; *p; p++) {
		if (*p != '\\') {
			buf[n++] = (uint8_t)*p;
			continue;
		}
		switch (*++p) {
		case 'r': buf[n++] = '\r'; break;
		case 'n': buf[n++] = '\n'; break;
		case 't': buf[n++] = '\t'; break;
		case '\\': buf[n++] = '\\'; break;
		case 'x':
			if (sim_hex_digit(p[1]) >= 0 && sim_hex_digit(p[2]) >= 0) {
				buf[n++] = (uint8_t)(sim_hex_digit(p[1]) << 4 | sim_hex_digit(p[2]));
				p += 2;
				break;
			}
			/* fall through */
		default:
			sim_set_err(err, errlen,
				"gx sim: %s=%s: bad escape (use \\r \\n \\t \\\\ \\xNN)",
				key, val);
			free(buf);
			return -1;
		}
	}
	free(*out);
	*out = buf;
	*len = n;
	return 0;
}

static int opt_power_delay(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 0, 600000, &m->power_delay_ms, e, el);
}

static int opt_rom_window(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 0, 600000, &m->rom_window_ms, e, el);
}

static int opt_runget_delay(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 0, 600000, &m->runget_delay_ms, e, el);
}

static int opt_banner_delay(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 0, 600000, &m->banner_delay_ms, e, el);
}

static int opt_delay(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 0, 600000, &m->delay_ms, e, el);
}

static int opt_stage_timeout(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 1, 600000, &m->stage_timeout_ms, e, el);
}

static int opt_rom_baud(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 50, 4000000, &m->rom_baud, e, el);
}

static int opt_chip(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 0, 0xFFFF, &m->chip, e, el);
}

static int opt_seed(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 0, UINT64_MAX, &m->seed, e, el);
}

static int opt_flip(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return num(k, v, 0, UINT32_MAX, &m->flip_left, e, el);
}

static int opt_reset_at(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;
	uint64_t n;

	if (num(k, v, 0, UINT32_MAX, &n, e, el))
		return -1;
	m->reset_at = (int64_t)n;
	return 0;
}

static int opt_flip_rate(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return probability(k, v, &m->flip_rate, e, el);
}

static int opt_drop_rate(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return probability(k, v, &m->drop_rate, e, el);
}

static int opt_delay_rate(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return probability(k, v, &m->delay_rate, e, el);
}

static int opt_split(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return flag(k, v, &m->split, e, el);
}

static int opt_legacy(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return flag(k, v, &m->legacy, e, el);
}

static int opt_down_reboot(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return flag(k, v, &m->down_reboot, e, el);
}

static int opt_noise(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return parse_text(k, v, &m->noise, &m->noise_len, e, el);
}

static int opt_runget(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return parse_text(k, v, &m->runget, &m->runget_len, e, el);
}

static int opt_image(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return sim_set_path(&m->image_path, "gx", k, v, e, el);
}

static int opt_save(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return sim_set_path(&m->save_path, "gx", k, v, e, el);
}

static int opt_otp(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return sim_set_path(&m->otp_path, "gx", k, v, e, el);
}

static int opt_otp_save(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return sim_set_path(&m->otp_save_path, "gx", k, v, e, el);
}

static int opt_stats(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return sim_set_path(&m->stats_path, "gx", k, v, e, el);
}

static int opt_trace(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return sim_open_log(&m->trace, "gx", k, v, e, el);
}

static int opt_rx(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;

	return sim_open_log(&m->rx, "gx", k, v, e, el);
}

static int opt_reset_line(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;
	if (strcmp(v, "dtr") == 0) {
		m->reset_line = 'd';
	} else if (strcmp(v, "rts") == 0) {
		m->reset_line = 'r';
	} else {
		sim_set_err(e, el, "gx sim: %s=%s: want dtr or rts", k, v);
		return -1;
	}
	return 0;
}

static int opt_state(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;
	if (strcmp(v, "rom") == 0) {
		m->start_prompt = 0;
	} else if (strcmp(v, "prompt") == 0) {
		m->start_prompt = 1;
	} else {
		sim_set_err(e, el, "gx sim: %s=%s: want rom or prompt", k, v);
		return -1;
	}
	return 0;
}

static int opt_handshake(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct gx_sim *m = dev;
	const char *p = v;
	size_t digits;

	if (strcmp(v, "off") == 0) {
		m->handshake_off = 1;
		return 0;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	digits = strlen(p);
	if (digits == 0 || digits % 2 || digits / 2 > sizeof(m->handshake))
		goto bad;
	for (size_t i = 0; i < digits / 2; i++) {
		int hi = sim_hex_digit(p[2 * i]), lo = sim_hex_digit(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		m->handshake[i] = (uint8_t)(hi << 4 | lo);
	}
	m->handshake_len = digits / 2;
	m->handshake_off = 0;
	return 0;
bad:
	sim_set_err(e, el, "gx sim: %s=%s: want off or 1 to %zu bytes in hex (B0B058)",
		k, v, sizeof(m->handshake));
	return -1;
}

static const struct sim_option option_defs[] = {
	{ "power-delay", 1, opt_power_delay },
	{ "reset-line", 1, opt_reset_line },
	{ "state", 1, opt_state },
	{ "handshake", 1, opt_handshake },
	{ "noise", 1, opt_noise },
	{ "split", 0, opt_split },
	{ "rom-baud", 1, opt_rom_baud },
	{ "rom-window", 1, opt_rom_window },
	{ "loader-chip", 1, opt_chip },
	{ "stage-timeout", 1, opt_stage_timeout },
	{ "runget-delay", 1, opt_runget_delay },
	{ "runget", 1, opt_runget },
	{ "banner-delay", 1, opt_banner_delay },
	{ "legacy", 0, opt_legacy },
	{ "down-reboot", 0, opt_down_reboot },
	{ "image", 1, opt_image },
	{ "save", 1, opt_save },
	{ "otp", 1, opt_otp },
	{ "otp-save", 1, opt_otp_save },
	{ "seed", 1, opt_seed },
	{ "flip", 1, opt_flip },
	{ "flip-rate", 1, opt_flip_rate },
	{ "drop-rate", 1, opt_drop_rate },
	{ "delay-rate", 1, opt_delay_rate },
	{ "delay", 1, opt_delay },
	{ "reset-at", 1, opt_reset_at },
	{ "trace", 1, opt_trace },
	{ "rx", 1, opt_rx },
	{ "stats", 1, opt_stats },
};

static int parse_options(struct gx_sim *m, const char *opts, char *err, size_t errlen)
{
	return sim_parse_options("gx", "sim/sim_gx.h", opts, option_defs,
				 sizeof(option_defs) / sizeof(option_defs[0]), m, err, errlen);
}

static void *gx_create(const char *opts, int pace, char *err, size_t errlen)
{
	struct gx_sim *m = calloc(1, sizeof(*m));

	if (!m) {
		sim_set_err(err, errlen, "gx sim: out of memory");
		return NULL;
	}
	m->power_delay_ms = 100;
	m->rom_window_ms = 2000;
	m->runget_delay_ms = 20;
	m->banner_delay_ms = 10;
	m->delay_ms = 100;
	m->stage_timeout_ms = 5000;   /* choice */
	m->rom_baud = 115200;
	m->chip = 0x6701;
	m->seed = 1;
	m->reset_at = -1;
	m->pace = pace;
	memcpy(m->handshake, "\xB0\xB0\x58", 3);
	m->handshake_len = 3;
	m->runget = (uint8_t *)strdup("RUNGET");
	m->runget_len = 6;
	m->flash = malloc(FLASH_SIZE);
	memset(m->sotp, 0xFF, sizeof(m->sotp));
	m->host.parity = 'n';
	m->host.bits = 8;
	m->power_at = m->window_at = m->idle_at = m->busy_at = NEVER;
	m->box = BOX_OFF;
	if (!m->runget || !m->flash) {
		sim_set_err(err, errlen, "gx sim: out of memory");
		free_sim(m);
		return NULL;
	}
	if (parse_options(m, opts ? opts : "", err, errlen))
		goto fail;
	m->rng = m->seed ^ 0x67786661756C74ull;          /* "gxfault" */
	m->garble_rng = m->seed ^ 0x67786761726Cull;     /* "gxgarl" */
	if (m->image_path) {
		if (read_exact_file("image", m->image_path, m->flash, FLASH_SIZE,
				    err, errlen))
			goto fail;
	} else {
		default_flash(m);
	}
	if (m->otp_path) {
		if (read_exact_file("otp", m->otp_path, m->otp, OTP_SIZE, err, errlen))
			goto fail;
	} else {
		default_otp(m);
	}
	if (m->start_prompt) {
		m->ever_powered = 1;
		sim_trace(m->trace, "power-on");
		sim_trace(m->trace, "state prompt");
		m->box = BOX_LOADER;
		loader_idle(m);
	}
	return m;
fail:
	free_sim(m);
	return NULL;
}

const struct uart_sim_model uart_sim_model_gx = {
	.name = "gx",
	.create = gx_create,
	.line = gx_line,
	.modem = gx_modem,
	.room = gx_room,
	.input = gx_input,
	.rate = gx_rate,
	.output = gx_output,
	.next_event = gx_next_event,
	.finish = gx_finish,
};
