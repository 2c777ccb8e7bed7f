/* SPDX-License-Identifier: MIT */
#include "w800.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "xmodem.h"

#define ESC 0x1b
#define PROMPTS_NEEDED 3
#define PASSIVE_MS 500
#define SETTLE_MS 20
#define ESC_BURST_MS 500
#define ESC_PERIOD_MS 10
#define RESET_HINT_MS 6000
#define REPLY_MS 500
#define ERASE_MS 60000
#define AFTER_UPLOAD_MS 60000
#define SWITCH_SETTLE_MS 20
#define SWITCH_PROMPT_MS 3000
#define READ_CHUNK 4096u
#define READ_TRIES 10
#define LATE_PROMPTS 4
/* MAC reads that must come back clean at a new rate before it is used */
#define LINK_PROBES 3
#define LEFT_RATE_MS 300
#define RECOVER_TRIES 8
#define RECOVER_PROMPT_MS 1000

static const unsigned fast_rates[] = { 2000000, 1000000, 921600, 460800 };

struct w800 {
	struct w800_config cfg;
	struct w800_info info;
	int hinted;  /* "reset the chip now" was said */
};

size_t w800_frame(uint32_t cmd, const uint8_t *params, size_t n, uint8_t *out)
{
	size_t len = 4 + n + 2;
	uint16_t crc;

	out[0] = 0x21;
	out[1] = (uint8_t)len;
	out[2] = (uint8_t)(len >> 8);
	for (int i = 0; i < 4; i++)
		out[5 + i] = (uint8_t)(cmd >> (8 * i));
	if (n)
		memcpy(out + 9, params, n);
	crc = ub_crc16_ccitt_false(UB_CRC16_CCITT_FALSE_INIT, out + 5, 4 + n);
	out[3] = (uint8_t)crc;
	out[4] = (uint8_t)(crc >> 8);
	return 9 + n;
}

/* Bit 15 of the start index selects 64 KiB blocks (notes §3.2, inferred from BK's 0x8001). */
void w800_erase_params(uint32_t start, uint32_t count, int blocks, uint8_t out[4])
{
	uint16_t s = (uint16_t)(start | (blocks ? 0x8000u : 0));

	out[0] = (uint8_t)s;
	out[1] = (uint8_t)(s >> 8);
	out[2] = (uint8_t)count;
	out[3] = (uint8_t)(count >> 8);
}

struct w800 *w800_new(const struct w800_config *cfg, struct ub_err *err)
{
	struct w800 *w = calloc(1, sizeof(*w));

	if (!w) {
		ub_fail(err, UB_EFAIL, "out of memory");
		return NULL;
	}
	w->cfg = *cfg;
	w->info.chip = cfg->chip;
	w->info.baud = cfg->port->line.baud;
	return w;
}

void w800_free(struct w800 *w)
{
	free(w);
}

const struct w800_info *w800_info(const struct w800 *w)
{
	return &w->info;
}

/* ---- the port ---- */

static const char *port_name(const struct w800 *w)
{
	return w->cfg.port->name;
}

static int stopped(const struct w800 *w)
{
	return w->cfg.stop && *w->cfg.stop;
}

static int interrupted(const struct w800 *w, struct ub_err *err, const char *during)
{
	return ub_fail(err, UB_EINTR, "interrupted %s on %s", during, port_name(w));
}

static int send_frame(struct w800 *w, uint32_t cmd, const uint8_t *params, size_t n,
		      struct ub_err *err)
{
	uint8_t frame[W800_MAX_FRAME];
	size_t len = w800_frame(cmd, params, n, frame);

	ub_spew(w->cfg.log, "frame 0x%02" PRIx32 " (%zu bytes)", cmd, len);
	if (ub_port_write(w->cfg.port, frame, len, err) < 0)
		return -1;
	return ub_port_drain(w->cfg.port, err);
}

static int send_esc(struct w800 *w, int count, struct ub_err *err)
{
	uint8_t esc[3] = { ESC, ESC, ESC };

	return ub_port_write(w->cfg.port, esc, (size_t)count, err);
}

static int64_t now_ms(struct w800 *w)
{
	return ub_port_clock_ms(w->cfg.port);
}

static int left_ms(struct w800 *w, int64_t deadline)
{
	int64_t left = deadline - now_ms(w);

	return left > 0 ? (int)left : 0;
}

/* ---- the prompt ---- */

static int is_prompt(uint8_t c)
{
	return c == 'C' || c == 'P';
}

/*
 * Count prompt characters in what came; PROMPTS_NEEDED in a row (wm_tool's
 * rule, 'C' or 'P') is the prompt. Anything else starts the count again.
 */
static int count_prompts(struct w800 *w, const uint8_t *buf, ssize_t n, int *run)
{
	for (ssize_t i = 0; i < n; i++) {
		if (!is_prompt(buf[i])) {
			*run = 0;
			continue;
		}
		if (*run > 0 && (char)buf[i] != w->info.prompt)
			*run = 0;
		w->info.prompt = (char)buf[i];
		if (++*run >= PROMPTS_NEEDED)
			return 1;
	}
	return 0;
}

/*
 * Wait up to ms for the prompt; 1 when it came, 0 when not, -1 on error.
 * *noise (may be NULL) tells whether bytes came that no text has: a chip
 * talking at another rate.
 */
static int listen(struct w800 *w, int ms, int *noise, struct ub_err *err)
{
	int64_t deadline = now_ms(w) + ms;
	int run = 0;

	for (;;) {
		uint8_t buf[64];
		ssize_t n;

		if (stopped(w))
			return interrupted(w, err, "while waiting for the chip's prompt");
		n = ub_port_read(w->cfg.port, buf, sizeof(buf), left_ms(w, deadline), err);
		if (n < 0)
			return -1;
		if (count_prompts(w, buf, n, &run))
			return 1;
		for (ssize_t i = 0; noise && i < n; i++)
			*noise |= !isprint(buf[i]) && buf[i] != '\r' && buf[i] != '\n';
		if (now_ms(w) >= deadline)
			return 0;
	}
}

static int wait_prompt(struct w800 *w, int ms, struct ub_err *err)
{
	return listen(w, ms, NULL, err);
}

static void say_reset_now(struct w800 *w)
{
	if (w->hinted)
		return;
	w->hinted = 1;
	ub_logf(w->cfg.log, UB_LOG_WARN, "reset the chip now (no download prompt on %s yet)",
		port_name(w));
}

static int no_prompt(struct w800 *w, struct ub_err *err)
{
	return ub_fail(err, UB_ENODEV, "%s: serial sync timeout: no download prompt in %d s; hold "
		       "the chip's BOOT pin low while you reset it (W600: pin 13 to GND at power-on), "
		       "or give --reset", port_name(w), w->cfg.timeout_ms / 1000);
}

/*
 * ESC interrupts the boot into download mode (notes §3.1): every 10 ms for
 * 500 ms, then three whenever the line is quiet for 10 ms, as wm_tool.
 */
static int esc_until_prompt(struct w800 *w, int64_t deadline, struct ub_err *err)
{
	int64_t burst_end = now_ms(w) + ESC_BURST_MS, hint_at = now_ms(w) + RESET_HINT_MS;
	int run = 0;

	if (w->cfg.entry == W800_ENTRY_MANUAL)
		say_reset_now(w);
	while (now_ms(w) < deadline) {
		uint8_t buf[64];
		ssize_t n;

		if (stopped(w))
			return interrupted(w, err, "while waiting for the chip's prompt");
		if (send_esc(w, now_ms(w) < burst_end ? 1 : 3, err) < 0)
			return -1;
		n = ub_port_read(w->cfg.port, buf, sizeof(buf), ESC_PERIOD_MS, err);
		if (n < 0)
			return -1;
		if (count_prompts(w, buf, n, &run))
			return 1;
		if (now_ms(w) >= hint_at)
			say_reset_now(w);
	}
	return 0;
}

static int send_at_z(struct w800 *w, struct ub_err *err)
{
	static const char at[] = "AT+Z\r\n";

	ub_debug(w->cfg.log, "sending AT+Z to a running firmware");
	if (ub_port_write(w->cfg.port, at, sizeof(at) - 1, err) < 0)
		return -1;
	return ub_port_drain(w->cfg.port, err);
}

static int run_reset(struct w800 *w, struct ub_err *err)
{
	if (!w->cfg.reset)
		return 0;
	return w->cfg.reset(w->cfg.reset_arg, err);
}

static int baud_frame(struct w800 *w, unsigned rate, struct ub_err *err);

/*
 * A run stopped before it could put the chip back to 115200 (killed, or
 * the cable pulled) leaves it prompting at a fast rate: listen at each, and
 * bring it back. 1 when found, 0 when not.
 */
static int find_left_rate(struct w800 *w, struct ub_err *err)
{
	for (size_t i = 0; i < sizeof(fast_rates) / sizeof(fast_rates[0]); i++) {
		struct ub_err quiet = { 0 };
		int rc;

		if (!ub_port_takes_baud(w->cfg.port, fast_rates[i], &quiet))
			continue;
		if (ub_port_set_baud(w->cfg.port, fast_rates[i], err) < 0)
			return -1;
		rc = wait_prompt(w, LEFT_RATE_MS, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		ub_info(w->cfg.log, "the chip was left at %u baud; back to %u", fast_rates[i],
			W800_ROM_BAUD);
		if (baud_frame(w, W800_ROM_BAUD, err) < 0)
			return -1;
		ub_port_sleep_ms(w->cfg.port, SWITCH_SETTLE_MS);
		break;
	}
	if (ub_port_set_baud(w->cfg.port, W800_ROM_BAUD, err) < 0)
		return -1;
	return wait_prompt(w, SWITCH_PROMPT_MS, err);
}

/* Into download mode: the prompt may already be there; else reset, AT+Z, ESC. */
static int enter(struct w800 *w, struct ub_err *err)
{
	int64_t deadline = now_ms(w) + w->cfg.timeout_ms;
	int noise = 0, rc;

	/* what was on its way before the port was opened (or the chip reset) is stale */
	ub_port_sleep_ms(w->cfg.port, SETTLE_MS);
	if (ub_port_flush_input(w->cfg.port, err) < 0)
		return -1;
	rc = listen(w, PASSIVE_MS, &noise, err);

	if (rc == 0 && noise)
		rc = find_left_rate(w, err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (run_reset(w, err) < 0)
		return -1;
	if (w->cfg.entry == W800_ENTRY_AT ||
	    (w->cfg.entry == W800_ENTRY_AUTO && !w->cfg.reset)) {
		if (send_at_z(w, err) < 0)
			return -1;
	}
	rc = esc_until_prompt(w, deadline, err);
	if (rc < 0)
		return -1;
	return rc ? 0 : no_prompt(w, err);
}

/* ---- replies ---- */

/*
 * A reply: prompt characters before it are skipped; it ends with '\n', or
 * after `fixed` bytes when fixed > 0. 1 with the text in buf, 0 on timeout.
 */
static int read_reply(struct w800 *w, char *buf, size_t cap, size_t fixed, int ms,
		      struct ub_err *err)
{
	int64_t deadline = now_ms(w) + ms;
	size_t len = 0;

	for (;;) {
		uint8_t c;
		ssize_t n = ub_port_read(w->cfg.port, &c, 1, left_ms(w, deadline), err);

		if (n < 0)
			return -1;
		if (n == 0) {
			buf[len] = 0;
			return 0;
		}
		if (len == 0 && (is_prompt(c) || c == '\r' || c == '\n'))
			continue;
		if (c == '\n' || c == '\r') {
			buf[len] = 0;
			return 1;
		}
		if (len + 1 < cap)
			buf[len++] = (char)c;
		if (fixed && len == fixed) {
			buf[len] = 0;
			return 1;
		}
	}
}

static int command(struct w800 *w, uint32_t cmd, const uint8_t *params, size_t n, char *reply,
		   size_t cap, size_t fixed, struct ub_err *err)
{
	if (ub_port_flush_input(w->cfg.port, err) < 0 ||
	    send_frame(w, cmd, params, n, err) < 0)
		return -1;
	return read_reply(w, reply, cap, fixed, REPLY_MS, err);
}

static int hex_byte(const char *s, uint8_t *out)
{
	char pair[3] = { s[0], s[1], 0 };
	char *end;

	if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
		return -1;
	*out = (uint8_t)strtoul(pair, &end, 16);
	return 0;
}

/* "Mac:AABBCCDDEEFF" from the ROM, "MAC:..." from secboot (notes §3.1). */
static int parse_mac(const char *reply, uint8_t mac[6], enum w800_stage *stage)
{
	if (strncasecmp(reply, "MAC:", 4) != 0 || strlen(reply) < 16)
		return -1;
	for (int i = 0; i < 6; i++)
		if (hex_byte(reply + 4 + 2 * i, &mac[i]) < 0)
			return -1;
	*stage = strncmp(reply, "Mac:", 4) == 0 ? W800_STAGE_ROM : W800_STAGE_SECBOOT;
	return 0;
}

int w800_get_mac(struct w800 *w, uint8_t mac[6], struct ub_err *err)
{
	char reply[64];
	enum w800_stage stage;
	int rc = command(w, W800_CMD_GET_MAC, NULL, 0, reply, sizeof(reply), 0, err);

	if (rc < 0)
		return -1;
	if (rc == 0 || parse_mac(reply, mac, &stage) < 0)
		return ub_fail(err, UB_ENODEV, "%s: no MAC in the answer to GET_MAC ('%s')",
			       port_name(w), reply);
	if (w->info.stage != W800_STAGE_STUB)
		w->info.stage = stage;
	return 0;
}

/* "R:8" W800 mask ROM, "R:W" W806 secondary downloader (notes §3.1). */
static int ask_rom_version(struct w800 *w, struct ub_err *err)
{
	char reply[8];
	int rc = command(w, W800_CMD_ROM_VERSION, NULL, 0, reply, sizeof(reply), 3, err);

	if (rc < 0)
		return -1;
	if (rc == 1 && strncmp(reply, "R:", 2) == 0)
		memcpy(w->info.rom_version, reply, sizeof(w->info.rom_version) - 1);
	else
		w->info.rom_version[0] = 0;
	return 0;
}

/* QFID: "FID:" then the maker and capacity as hex at [4..5] and [7..8] (notes §3.2). */
static int ask_qfid(struct w800 *w, struct ub_err *err)
{
	char reply[64];
	int rc = command(w, W800_CMD_QFID, NULL, 0, reply, sizeof(reply), 0, err);

	if (rc < 0)
		return -1;
	w->info.have_qfid = rc == 1 && strncmp(reply, "FID:", 4) == 0 && strlen(reply) >= 9 &&
			    hex_byte(reply + 4, &w->info.flash_mfr) == 0 &&
			    hex_byte(reply + 7, &w->info.flash_cap) == 0;
	if (w->info.have_qfid && w->info.flash_cap >= 0x11 && w->info.flash_cap <= 0x1c)
		w->info.flash_size = 1ull << w->info.flash_cap;
	return 0;
}

/* W806: its secondary downloader answers "R:W"; 0x3F, then the ROM is caught with ESC. */
static int pass_secondary_loader(struct w800 *w, struct ub_err *err)
{
	int64_t deadline;

	ub_info(w->cfg.log, "passing the W806 secondary downloader");
	if (send_frame(w, W800_CMD_ERASE_SECBOOT, NULL, 0, err) < 0)
		return -1;
	if (wait_prompt(w, ERASE_MS, err) <= 0)
		return err->msg[0] ? -1 : ub_fail(err, UB_ENODEV, "%s: the W806 secondary downloader "
						  "did not come back after 0x3F", port_name(w));
	deadline = now_ms(w) + w->cfg.timeout_ms;
	if (esc_until_prompt(w, deadline, err) <= 0)
		return err->msg[0] ? -1 : no_prompt(w, err);
	w->info.secondary_loader = 1;
	return ask_rom_version(w, err);
}

static void decide_chip(struct w800 *w)
{
	if (w->cfg.chip != W800_CHIP_AUTO)
		return;
	if (w->info.rom_version[0])
		w->info.chip = W800_CHIP_W800;
	else if (w->info.prompt == 'P')
		w->info.chip = W800_CHIP_W600;
}

/* The prompt, the ROM version, and the MAC, which the ROM and secboot both answer. */
static int identify(struct w800 *w, struct ub_err *err)
{
	if (enter(w, err) < 0)
		return -1;
	ub_debug(w->cfg.log, "download prompt '%c' on %s", w->info.prompt, port_name(w));
	if (ask_rom_version(w, err) < 0)
		return -1;
	if (strcmp(w->info.rom_version, "R:W") == 0 && pass_secondary_loader(w, err) < 0)
		return -1;
	decide_chip(w);
	return w800_get_mac(w, w->info.mac, err);
}

static int read_chunk_once(struct w800 *w, uint32_t offset, uint8_t *buf, size_t len,
			   struct ub_err *err);

/*
 * The RAM stub of an earlier read prompts 'C' as the ROM does, but answers
 * reads only: a read of 64 bytes tells it from a chip that lost the MAC.
 */
static int stub_still_runs(struct w800 *w, struct ub_err *err)
{
	uint8_t probe[64 + 4];
	struct ub_err quiet = { 0 };

	if (read_chunk_once(w, 0, probe, sizeof(probe) - 4, &quiet) != 1)
		return 0;
	ub_err_clear(err);
	return ub_fail(err, UB_ENODEV, "%s: the W800 RAM stub of an earlier read or verify is "
		       "still running, and it answers only reads: reset the chip (or give "
		       "--reset) and run again", port_name(w));
}

/*
 * Prompt characters that were on their way when the chip reset (opening
 * the port can reset it, and so can --reset) look like download mode for a
 * moment: when the MAC does not come, the chip is entered again, once.
 */
int w800_connect(struct w800 *w, struct ub_err *err)
{
	if (identify(w, err) < 0) {
		if (err->status != UB_ENODEV || !w->info.prompt)
			return -1;
		ub_debug(w->cfg.log, "%s; entering download mode again", err->msg);
		ub_err_clear(err);
		w->info.prompt = 0;
		if (identify(w, err) < 0) {
			if (err->status == UB_ENODEV && w->info.prompt)
				stub_still_runs(w, err);  /* says so, when it is the stub */
			return -1;
		}
	}
	w->info.have_mac = 1;
	if (w->info.stage == W800_STAGE_ROM && ask_qfid(w, err) < 0)
		return -1;
	return 0;
}

static void read_params(uint32_t offset, size_t len, uint8_t p[8])
{
	uint32_t addr = offset | W800_FLASH_BASE;

	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(addr >> (8 * i));
		p[4 + i] = (uint8_t)(len >> (8 * i));
	}
}

/*
 * One 0x4A: the bytes and their CRC-32 (notes §3.2); buf holds len + 4.
 * 1 when they came and match, 0 when not, -1 on a port error.
 */
static int chunk_crc_ok(const uint8_t *buf, size_t len)
{
	uint32_t crc = (uint32_t)buf[len] | (uint32_t)buf[len + 1] << 8 |
		       (uint32_t)buf[len + 2] << 16 | (uint32_t)buf[len + 3] << 24;

	return crc == ub_crc32_wm(UB_CRC32_WM_INIT, buf, len);
}

/* 1 with len bytes and their CRC in buf, 0 when they did not come by ms. */
static int read_bytes(struct w800 *w, uint8_t *buf, size_t len, int ms, struct ub_err *err)
{
	ssize_t n = ub_port_read_exact(w->cfg.port, buf, len, ms, err);

	if (n == 0)
		ub_err_clear(err);
	return n < 0 ? -1 : n > 0;
}

/*
 * The stub prompts 'C' between commands (it resyncs BK's tool, notes §3.1).
 * One sent just before our frame got there can arrive after the flush,
 * ahead of the reply, when the host sees bytes late: a USB-UART's latency
 * timer (an FTDI's is 16 ms) or a network hop. The CRC tells such a reply,
 * one byte late, from data that starts with 'C'.
 */
static int read_chunk_once(struct w800 *w, uint32_t offset, uint8_t *buf, size_t len,
			   struct ub_err *err)
{
	uint8_t p[8];
	int ms = (int)((len + 4) * 10 * 1000 / w->info.baud) + REPLY_MS;
	int rc;

	read_params(offset, len, p);
	if (ub_port_flush_input(w->cfg.port, err) < 0 ||
	    send_frame(w, W800_CMD_STUB_READ, p, sizeof(p), err) < 0)
		return -1;
	rc = read_bytes(w, buf, len + 4, ms, err);
	for (int late = 0; rc == 1 && !chunk_crc_ok(buf, len); late++) {
		if (late == LATE_PROMPTS || buf[0] != 'C')
			return 0;
		memmove(buf, buf + 1, len + 3);
		rc = read_bytes(w, buf + len + 3, 1, REPLY_MS, err);
	}
	return rc;
}

static int read_chunk(struct w800 *w, uint32_t offset, uint8_t *buf, size_t len,
		      struct ub_err *err)
{
	for (int tries = 1;; tries++) {
		int rc;

		if (stopped(w))
			return interrupted(w, err, "during the read");
		rc = read_chunk_once(w, offset, buf, len, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
		ub_debug(w->cfg.log, "read at 0x%06" PRIx32 ": no answer or a CRC mismatch, try %d",
			 offset, tries);
		if (tries == READ_TRIES)
			return ub_fail(err, UB_EFAIL, "%s: the read at 0x%06" PRIx32 " failed %d times "
				       "(no answer, or its CRC-32 did not match)", port_name(w), offset,
				       READ_TRIES);
	}
}

/* ---- baud ---- */


/* The next rate down the list below rate, or 115200. */
static unsigned lower_rate(unsigned rate)
{
	for (size_t i = 0; i < sizeof(fast_rates) / sizeof(fast_rates[0]); i++)
		if (fast_rates[i] < rate)
			return fast_rates[i];
	return W800_ROM_BAUD;
}

static int baud_frame(struct w800 *w, unsigned rate, struct ub_err *err)
{
	uint8_t p[4] = { (uint8_t)rate, (uint8_t)(rate >> 8), (uint8_t)(rate >> 16),
			 (uint8_t)(rate >> 24) };

	return send_frame(w, W800_CMD_BAUD, p, sizeof(p), err);
}

/*
 * The chip switches without a reply (notes §3.2); the host follows. The
 * link holds when the prompt comes back and a MAC read matches the one
 * read at 115200, so both directions are checked.
 */
static int try_rate(struct w800 *w, unsigned rate, struct ub_err *err)
{
	uint8_t mac[6];
	struct ub_err quiet = { 0 };
	int rc;

	if (baud_frame(w, rate, err) < 0)
		return -1;
	ub_port_sleep_ms(w->cfg.port, SWITCH_SETTLE_MS);
	if (ub_port_set_baud(w->cfg.port, rate, err) < 0)
		return -1;
	w->info.baud = rate;
	rc = wait_prompt(w, SWITCH_PROMPT_MS, err);
	if (rc <= 0)
		return rc;
	if (w->info.stage == W800_STAGE_STUB) {
		uint8_t probe[64 + 4];

		return read_chunk_once(w, 0, probe, sizeof(probe) - 4, &quiet) == 1;
	}
	for (int i = 0; i < LINK_PROBES; i++) {
		if (w800_get_mac(w, mac, &quiet) < 0)
			return 0;
		if (w->info.have_mac && memcmp(mac, w->info.mac, 6) != 0)
			return 0;
	}
	return 1;
}

/*
 * Back at 115200 after a rate that did not hold: reset the chip, or ask it
 * (the frame goes at the bad rate, so it is sent again until the prompt
 * comes at 115200), and find the prompt.
 */
static int recover(struct w800 *w, unsigned bad_rate, struct ub_err *err)
{
	int rc = 0;

	ub_info(w->cfg.log, "the link does not hold at %u baud; back to %u", bad_rate,
		W800_ROM_BAUD);
	if (w->cfg.reset) {
		if (ub_port_set_baud(w->cfg.port, W800_ROM_BAUD, err) < 0 || run_reset(w, err) < 0)
			return -1;
		w->info.baud = W800_ROM_BAUD;
		rc = esc_until_prompt(w, now_ms(w) + w->cfg.timeout_ms, err);
	}
	for (int i = 0; !w->cfg.reset && rc == 0 && i < RECOVER_TRIES; i++) {
		if (ub_port_set_baud(w->cfg.port, bad_rate, err) < 0 ||
		    baud_frame(w, W800_ROM_BAUD, err) < 0)
			return -1;
		ub_port_sleep_ms(w->cfg.port, SWITCH_SETTLE_MS);
		if (ub_port_set_baud(w->cfg.port, W800_ROM_BAUD, err) < 0)
			return -1;
		w->info.baud = W800_ROM_BAUD;
		rc = wait_prompt(w, RECOVER_PROMPT_MS, err);
	}
	if (rc < 0)
		return -1;
	if (rc == 0)
		return ub_fail(err, UB_ENODEV, "%s: the chip was lost at %u baud and does not answer "
			       "at %u; reset it and run again with a lower -B, or give --reset",
			       port_name(w), bad_rate, W800_ROM_BAUD);
	return 0;
}

int w800_set_baud(struct w800 *w, unsigned max, struct ub_err *err)
{
	int told = 0;

	for (size_t i = 0; i < sizeof(fast_rates) / sizeof(fast_rates[0]); i++) {
		unsigned rate = fast_rates[i];
		int rc;

		if (rate > max || !ub_port_worth_trying(w->cfg.port, rate, w->cfg.log, &told))
			continue;
		rc = try_rate(w, rate, err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			ub_info(w->cfg.log, "link at %u baud", rate);
			return 0;
		}
		if (recover(w, rate, err) < 0)
			return -1;
	}
	ub_info(w->cfg.log, "link at %u baud", w->info.baud);
	return 0;
}

int w800_restore_baud(struct w800 *w, struct ub_err *err)
{
	if (w->info.baud == W800_ROM_BAUD)
		return 0;
	if (w->info.stage == W800_STAGE_LEFT) {
		w->info.baud = W800_ROM_BAUD;
		return ub_port_set_baud(w->cfg.port, W800_ROM_BAUD, err);
	}
	if (baud_frame(w, W800_ROM_BAUD, err) < 0)
		return -1;
	ub_port_sleep_ms(w->cfg.port, SWITCH_SETTLE_MS);
	if (ub_port_set_baud(w->cfg.port, W800_ROM_BAUD, err) < 0)
		return -1;
	w->info.baud = W800_ROM_BAUD;
	return 0;
}

/* ---- erase ---- */

/* The erase is done when the prompt comes back (notes §3.2). */
static int erase_frame(struct w800 *w, const uint8_t *params, size_t n, const char *what,
		       struct ub_err *err)
{
	int rc;

	ub_debug(w->cfg.log, "erasing %s", what);
	if (ub_port_flush_input(w->cfg.port, err) < 0 ||
	    send_frame(w, W800_CMD_ERASE, params, n, err) < 0)
		return -1;
	rc = wait_prompt(w, ERASE_MS, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return ub_fail(err, UB_EFAIL, "%s: no prompt %d s after erasing %s: the erase may not "
			       "have finished", port_name(w), ERASE_MS / 1000, what);
	return 0;
}

static int erase_units(struct w800 *w, uint32_t offset, uint32_t count, int blocks,
		       struct ub_err *err)
{
	uint32_t unit = blocks ? W800_BLOCK : W800_SECTOR;
	uint8_t p[4];
	char what[80];

	snprintf(what, sizeof(what), "0x%06" PRIx32 "-0x%06" PRIx32, offset, offset + count * unit);
	w800_erase_params(offset / unit, count, blocks, p);
	return erase_frame(w, p, sizeof(p), what, err);
}

/* Sectors up to the first 64 KiB boundary, blocks, then sectors to the end. */
int w800_erase_range(struct w800 *w, uint32_t offset, uint32_t len, struct ub_err *err)
{
	uint32_t end = offset + len;
	uint32_t head_end = (offset + W800_BLOCK - 1) / W800_BLOCK * W800_BLOCK;
	uint32_t tail_start = end / W800_BLOCK * W800_BLOCK;

	if (offset < W800_PROTECTED_END || offset % W800_SECTOR || len % W800_SECTOR || len == 0)
		return ub_fail(err, UB_EUSAGE, "cannot erase 0x%06" PRIx32 "+0x%" PRIx32 ": whole 4 "
			       "KiB sectors from 0x%04x on", offset, len, W800_PROTECTED_END);
	if (head_end >= tail_start)
		return erase_units(w, offset, len / W800_SECTOR, 0, err);
	if (offset < head_end &&
	    erase_units(w, offset, (head_end - offset) / W800_SECTOR, 0, err) < 0)
		return -1;
	if (erase_units(w, head_end, (tail_start - head_end) / W800_BLOCK, 1, err) < 0)
		return -1;
	if (tail_start < end &&
	    erase_units(w, tail_start, (end - tail_start) / W800_SECTOR, 0, err) < 0)
		return -1;
	return 0;
}

int w800_erase_secboot(struct w800 *w, struct ub_err *err)
{
	int rc;

	if (send_frame(w, W800_CMD_ERASE_SECBOOT, NULL, 0, err) < 0)
		return -1;
	rc = wait_prompt(w, ERASE_MS, err);
	if (rc < 0)
		return -1;
	return rc ? 0 : ub_fail(err, UB_EFAIL, "%s: no prompt %d s after erasing secboot",
				port_name(w), ERASE_MS / 1000);
}

int w800_erase_image_area(struct w800 *w, struct ub_err *err)
{
	return erase_frame(w, NULL, 0, "the image area", err);
}

/* ---- MAC ---- */

int w800_set_mac(struct w800 *w, const uint8_t mac[6], struct ub_err *err)
{
	uint8_t back[6];

	if (send_frame(w, W800_CMD_SET_MAC, mac, 6, err) < 0)
		return -1;
	ub_port_sleep_ms(w->cfg.port, 100);
	if (w800_get_mac(w, back, err) < 0)
		return -1;
	if (memcmp(back, mac, 6) != 0)
		return ub_fail(err, UB_EFAIL, "%s: the MAC reads back as %02X:%02X:%02X:%02X:%02X:%02X "
			       "after setting it", port_name(w), back[0], back[1], back[2], back[3],
			       back[4], back[5]);
	memcpy(w->info.mac, mac, 6);
	return 0;
}

/* ---- upload ---- */

/* Lines the chip prints after an upload; one that says it failed is the error. */
static int upload_refused(const char *line)
{
	static const char *const words[] = { "error", "fail", "please", "invalid", "wrong" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(line, words[i]))
			return 1;
	return 0;
}

/*
 * What the chip says after an upload, up to its prompt: a line that says it
 * failed is quoted in err (status 2: it refused the image); 1 when the
 * prompt came, 0 when ms passed without it.
 */
static int chip_words(struct w800 *w, int ms, struct ub_err *err)
{
	int64_t deadline = now_ms(w) + ms;
	char line[160];
	size_t len = 0;
	int run = 0;

	while (now_ms(w) < deadline) {
		uint8_t c;
		ssize_t n = ub_port_read(w->cfg.port, &c, 1, left_ms(w, deadline), err);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		if (count_prompts(w, &c, 1, &run))
			return 1;
		if (c == '\n' || c == '\r') {
			line[len] = 0;
			if (strstr(line, "run user code")) {
				/* a W600 starts the new firmware (notes §3.3) */
				ub_info(w->cfg.log, "chip: %s", line);
				w->info.stage = W800_STAGE_LEFT;
				return 1;
			}
			if (len && upload_refused(line))
				return ub_fail(err, UB_EUSAGE, "%s: the chip refused the image: \"%s\"",
					       port_name(w), line);
			if (len)
				ub_info(w->cfg.log, "chip: %s", line);
			len = 0;
		} else if (isprint(c) && !(len == 0 && is_prompt(c)) && len + 1 < sizeof(line)) {
			line[len++] = (char)c;
		}
	}
	return 0;
}

static void xmodem_setup(struct w800 *w, struct xmodem *xm)
{
	xmodem_init(xm, w->cfg.port);
	xm->log = w->cfg.log;
	xm->stop = w->cfg.stop;
	xm->pad = 0x00;  /* as wm_tool (notes §3.3) */
	xm->receiver_ready = 1;  /* the prompt was seen; a W600 ROM's is 'P', not 'C' */
	xm->max_tries = 10;
	xm->progress = w->cfg.progress;
	xm->progress_arg = w->cfg.progress_arg;
}

/* One upload at the present rate: 0, or -1 with err; *link: the link failed, not the chip. */
static int upload_once(struct w800 *w, uint64_t len, w800_source_fn source, void *arg,
		       int *link, struct ub_err *err)
{
	static const uint8_t cancel[2] = { XM_CAN, XM_CAN };
	struct xmodem xm;
	struct ub_err quiet = { 0 };
	int rc;

	*link = 0;
	xmodem_setup(w, &xm);
	if (ub_port_flush_input(w->cfg.port, err) < 0)
		return -1;
	if (xmodem_send(&xm, len, source, arg, err) == 0) {
		rc = chip_words(w, AFTER_UPLOAD_MS, err);
		if (rc < 0)
			return -1;
		return rc ? 0 : ub_fail(err, UB_EFAIL, "%s: no prompt %d s after the upload",
					port_name(w), AFTER_UPLOAD_MS / 1000);
	}
	if (err->status == UB_EINTR || err->status == UB_ENODEV)
		return -1;
	/* The chip's words say whether it refused the image; silence means the link. */
	ub_port_write(w->cfg.port, cancel, sizeof(cancel), &quiet);
	rc = chip_words(w, REPLY_MS, &quiet);
	if (rc < 0 && quiet.status == UB_EUSAGE) {
		ub_err_clear(err);
		return ub_fail(err, quiet.status, "%s", quiet.msg);
	}
	*link = 1;
	return -1;
}

int w800_upload(struct w800 *w, uint64_t len, w800_source_fn source,
		int (*rewind)(void *arg, struct ub_err *err), void *arg, struct ub_err *err)
{
	for (;;) {
		unsigned rate = w->info.baud;
		int link;

		if (upload_once(w, len, source, arg, &link, err) == 0)
			return 0;
		if (!link || rate == W800_ROM_BAUD)
			return -1;
		ub_info(w->cfg.log, "the upload failed at %u baud (%s); again at a lower rate", rate,
			err->msg);
		ub_err_clear(err);
		if (recover(w, rate, err) < 0 || w800_set_baud(w, lower_rate(rate), err) < 0 ||
		    rewind(arg, err) < 0)
			return -1;
	}
}

struct memory {
	const uint8_t *data;
	size_t at;
};

static int memory_source(void *arg, uint8_t *data, size_t len, struct ub_err *err)
{
	struct memory *m = arg;

	(void)err;
	memcpy(data, m->data + m->at, len);
	m->at += len;
	return 0;
}

int w800_run_stub(struct w800 *w, const uint8_t *image, size_t len, struct ub_err *err)
{
	struct memory m = { image, 0 };

	int link;

	ub_info(w->cfg.log, "uploading the RAM stub (%zu bytes)", len);
	if (upload_once(w, len, memory_source, &m, &link, err) < 0)
		return -1;
	w->info.stage = W800_STAGE_STUB;
	return 0;
}

/* ---- read through the stub ---- */

int w800_read(struct w800 *w, uint32_t offset, uint64_t len, w800_sink_fn sink, void *arg,
	      struct ub_err *err)
{
	uint8_t buf[READ_CHUNK + 4];
	uint64_t done = 0;

	if (w->info.stage != W800_STAGE_STUB)
		return ub_fail(err, UB_EUSAGE, "reading needs the W800 RAM stub running");
	while (done < len) {
		size_t n = len - done < READ_CHUNK ? (size_t)(len - done) : READ_CHUNK;

		if (read_chunk(w, offset + (uint32_t)done, buf, n, err) < 0 ||
		    sink(arg, buf, n, err) < 0)
			return -1;
		done += n;
		if (w->cfg.progress)
			w->cfg.progress(w->cfg.progress_arg, done, len);
	}
	return 0;
}

/* ---- reset ---- */

int w800_reboot(struct w800 *w, struct ub_err *err)
{
	int rc;

	if (w->cfg.reset)
		return run_reset(w, err);
	rc = ub_port_set_modem(w->cfg.port, 'r', 1, err);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return ub_fail(err, UB_EUSAGE, "%s has no RTS line to reset the chip with; give "
			       "--reset, or reset it by hand", port_name(w));
	ub_port_sleep_ms(w->cfg.port, 50);
	return ub_port_set_modem(w->cfg.port, 'r', 0, err);
}
