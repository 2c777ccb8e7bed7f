/* SPDX-License-Identifier: MIT */
/*
 * Tests of the W800/W600 emulator (sim/sim_w800.c), in model time. They talk
 * to it only as a host would (uart_sim_open, uart_sim_write, uart_sim_read),
 * with their own frame, image and XMODEM builders, and read its trace,
 * stats and save files. Expected behaviour: ../shared/notes/uart-chips.md §3
 * and the choices documented in sim/sim_w800.h. The stub case skips when
 * ../shared/data is absent.
 */
#include "testutil.h"
#include "sim_uart.h"
#include "../sim/sim_w800.h"   /* not uart/w800.h, the host side */

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MIB (1024u * 1024u)
#define FB 0x08000000u

/* ------------------------------------------------------------- helpers */

struct dev {
	struct uart_sim *sim;
	char trace[64], stats[64], save[64];
	uint8_t *in;
	size_t len, cap;
	unsigned baud;
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The checksums as the notes define them, written here independently. */
static uint16_t crc16(uint16_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int k = 0; k < 8; k++)
			crc = (uint16_t)((crc << 1) ^ ((crc & 0x8000) ? 0x1021 : 0));
	}
	return crc;
}

static uint32_t wm_crc32(const uint8_t *p, size_t n)
{
	/* zlib's crc32 has init and final XOR 0xFFFFFFFF; WinnerMicro's has no XOR */
	return ~(uint32_t)crc32(0, p, (uInt)n);
}

static uint64_t rnd_state = 0x5eed;

static void fill_rnd(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rnd_state ^= rnd_state << 13;
		rnd_state ^= rnd_state >> 7;
		rnd_state ^= rnd_state << 17;
		p[i] = (uint8_t)(rnd_state >> 24);
	}
}

static void dev_line(struct dev *d, unsigned baud)
{
	struct uart_sim_line l = { baud, 'n', 8, 0, 1 };

	d->baud = baud;
	uart_sim_set_line(d->sim, &l);
}

/* "MODEL,trace=..,stats=..,save=..,OPTS" at 115200, raw (the chip powers on). */
static void dev_start(struct dev *d, const char *model, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void dev_start(struct dev *d, const char *model, const char *fmt, ...)
{
	char opts[512], spec[1024], err[512] = "";
	va_list ap;

	memset(d, 0, sizeof(*d));
	tu_tmpfile(d->trace, sizeof(d->trace));
	tu_tmpfile(d->stats, sizeof(d->stats));
	tu_tmpfile(d->save, sizeof(d->save));
	va_start(ap, fmt);
	vsnprintf(opts, sizeof(opts), fmt, ap);
	va_end(ap);
	snprintf(spec, sizeof(spec), "%s,trace=%s,stats=%s,save=%s%s%s", model, d->trace,
		 d->stats, d->save, *opts ? "," : "", opts);
	d->sim = uart_sim_open(spec, err, sizeof(err));
	ck_assert_msg(d->sim != NULL, "start '%s': %s", spec, err);
	dev_line(d, 115200);
}

static void dev_stop(struct dev *d)
{
	char err[512] = "";

	ck_assert_msg(uart_sim_stop(d->sim, err, sizeof(err)) == 0, "stop: %s", err);
	d->sim = NULL;
}

static void dev_free(struct dev *d)
{
	if (d->sim)
		dev_stop(d);
	unlink(d->trace);
	unlink(d->stats);
	unlink(d->save);
	free(d->in);
	d->in = NULL;
}

static uint64_t now_ms(const struct dev *d)
{
	return uart_sim_now(d->sim) / 1000000u;
}

static size_t fill(struct dev *d, unsigned ms)
{
	ssize_t r;

	if (d->cap - d->len < 65536) {
		d->cap = d->cap * 2 + 65536;
		d->in = realloc(d->in, d->cap);
		ck_assert_ptr_nonnull(d->in);
	}
	r = uart_sim_read(d->sim, d->in + d->len, d->cap - d->len, (uint64_t)ms * 1000000u);
	ck_assert_int_ge(r, 0);
	d->len += (size_t)r;
	return (size_t)r;
}

/* Everything that arrives in the next ms. */
static void gather(struct dev *d, unsigned ms)
{
	uint64_t end = now_ms(d) + ms;

	while (now_ms(d) < end)
		fill(d, (unsigned)(end - now_ms(d)));
}

static void consume(struct dev *d, size_t n)
{
	memmove(d->in, d->in + n, d->len - n);
	d->len -= n;
}

static void flush_in(struct dev *d)
{
	d->len = 0;
}

static long wait_for(struct dev *d, const void *pat, size_t n, unsigned ms)
{
	uint64_t end = now_ms(d) + ms;

	for (;;) {
		const uint8_t *hit = d->len >= n ? memmem(d->in, d->len, pat, n) : NULL;

		if (hit)
			return (long)(hit - d->in);
		if (now_ms(d) >= end)
			return -1;
		fill(d, (unsigned)(end - now_ms(d)));
	}
}

static char *file_text(const char *path)
{
	return (char *)tu_read_file(path, NULL);
}

static void expect(struct dev *d, const void *pat, size_t n, unsigned ms)
{
	long off = wait_for(d, pat, n, ms);

	if (off < 0) {
		char *t = file_text(d->trace);

		ck_abort_msg("no '%.*s' within %u ms (got %zu bytes); trace:\n%s", (int)n,
			     (const char *)pat, ms, d->len, t);
	}
	consume(d, (size_t)off + n);
}

#define EXPECT(d, s, ms) expect(d, s, sizeof(s) - 1, ms)

static void wr(struct dev *d, const void *data, size_t n)
{
	ck_assert_int_eq(uart_sim_write(d->sim, data, n), 0);
	uart_sim_drain(d->sim);
}

static int trace_has(const struct dev *d, const char *text)
{
	char *t = file_text(d->trace);
	int hit = strstr(t, text) != NULL;

	free(t);
	return hit;
}

#define ck_trace(d, text) ck_assert_msg(trace_has(d, text), "trace lacks '%s'", text)

static void ck_silent(struct dev *d, unsigned ms)
{
	flush_in(d);
	fill(d, ms);
	ck_assert_msg(d->len == 0, "%zu unexpected bytes (first 0x%02x)", d->len,
		      d->len ? d->in[0] : 0);
}

/* Three prompts c in a row within ms. */
static void expect_prompts(struct dev *d, char c, unsigned ms)
{
	char pat[4] = { c, c, c, 0 };

	flush_in(d);
	expect(d, pat, 3, ms);
}

/* ESC every 10 ms until three prompts c come (wm_tool's way). */
static void esc_entry(struct dev *d, char c)
{
	char pat[4] = { c, c, c, 0 };

	for (int i = 0; i < 300; i++) {
		wr(d, "\x1b", 1);
		fill(d, 10);
		if (d->len >= 3 && memmem(d->in, d->len, pat, 3)) {
			flush_in(d);
			return;
		}
	}
	ck_abort_msg("no %c prompts after 3 s of ESC", c);
}

/* §3.2: 21 LEN(LE16) CRC(LE16) CMD(LE32) PARAMS. Returns the frame length. */
static size_t frame(uint8_t *out, uint32_t cmd, const uint8_t *params, size_t n)
{
	out[0] = 0x21;
	put_le16(out + 1, (uint16_t)(4 + n + 2));
	put_le32(out + 5, cmd);
	if (n)
		memcpy(out + 9, params, n);
	put_le16(out + 3, crc16(0xFFFF, out + 5, 4 + n));
	return 9 + n;
}

static void send_frame(struct dev *d, uint32_t cmd, const uint8_t *params, size_t n)
{
	uint8_t f[64];

	flush_in(d);
	wr(d, f, frame(f, cmd, params, n));
}

static void send_baud(struct dev *d, uint32_t baud)
{
	uint8_t p[4];

	put_le32(p, baud);
	send_frame(d, 0x31, p, 4);
	uart_sim_sleep(d->sim, 10000000);   /* BK: 10 ms, then the host */
	dev_line(d, baud);
	flush_in(d);
}

static void send_erase(struct dev *d, uint16_t start, uint16_t count)
{
	uint8_t p[4];

	put_le16(p, start);
	put_le16(p + 2, count);
	send_frame(d, 0x32, p, 4);
}

/* A W800 image: 64-byte header + body (§3.4). */
static uint8_t *w800_img(uint32_t attr, uint32_t hdr_addr, uint32_t run_addr,
			 const uint8_t *body, size_t len, size_t *out_len)
{
	uint8_t *img = calloc(1, 64 + len);

	ck_assert_ptr_nonnull(img);
	put_le32(img, 0xA0FFFF9Fu);
	put_le32(img + 4, attr);
	put_le32(img + 8, run_addr);
	put_le32(img + 12, (uint32_t)len);
	put_le32(img + 16, hdr_addr);
	put_le32(img + 24, wm_crc32(body, len));
	put_le32(img + 28, 0xFFFFFFFFu);
	memcpy(img + 32, "test", 4);
	put_le32(img + 60, wm_crc32(img, 60));
	memcpy(img + 64, body, len);
	*out_len = 64 + len;
	return img;
}

/* A W600 image: 56-byte header + body (§3.4). */
static uint8_t *w600_img(uint16_t type, uint32_t run_addr, const uint8_t *body,
			 size_t len, size_t *out_len)
{
	uint8_t *img = calloc(1, 56 + len);

	ck_assert_ptr_nonnull(img);
	put_le32(img, 0xA0FFFF9Fu);
	put_le16(img + 4, type);
	put_le32(img + 8, run_addr);
	put_le32(img + 12, (uint32_t)len);
	put_le32(img + 16, wm_crc32(body, len));
	put_le32(img + 32, 0xFFFFFFFFu);
	put_le32(img + 52, wm_crc32(img, 52));
	memcpy(img + 56, body, len);
	*out_len = 56 + len;
	return img;
}

static uint8_t *concat(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	uint8_t *p = malloc(an + bn);

	ck_assert_ptr_nonnull(p);
	memcpy(p, a, an);
	memcpy(p + an, b, bn);
	return p;
}

/* One reply byte to a block or EOT, waiting up to 30 s; -1 for none. */
static int answer(struct dev *d)
{
	int b;

	flush_in(d);
	fill(d, 30000);
	if (!d->len)
		return -1;
	b = d->in[0];
	consume(d, 1);
	return b;
}

/*
 * XMODEM-1K send, pad 0x00 (wm_tool), resending on NAK up to 20 times.
 * Returns 0x06 when EOT was ACKed, else the first other answer (0x18 CAN,
 * -1 none).
 */
static int xmodem_send_dup(struct dev *d, const uint8_t *data, size_t len, int dup);

static int xmodem_send(struct dev *d, const uint8_t *data, size_t len)
{
	return xmodem_send_dup(d, data, len, 0);
}

/* dup: block dup goes twice, as after a lost ACK. */
static int xmodem_send_dup(struct dev *d, const uint8_t *data, size_t len, int dup)
{
	uint8_t blk[3 + 1024 + 2];
	uint8_t n = 1;

	for (size_t off = 0; off < len; off += 1024, n++) {
		size_t k = len - off < 1024 ? len - off : 1024;
		int a, tries = 0;
		uint16_t crc;

		blk[0] = 0x02;
		blk[1] = n;
		blk[2] = (uint8_t)(255 - n);
		memset(blk + 3, 0, 1024);
		memcpy(blk + 3, data + off, k);
		crc = crc16(0, blk + 3, 1024);
		blk[1027] = (uint8_t)(crc >> 8);
		blk[1028] = (uint8_t)crc;
		do {
			flush_in(d);
			wr(d, blk, sizeof(blk));
			a = answer(d);
		} while (a == 0x15 && ++tries < 20);
		if (a == 0x06 && n == dup) {
			wr(d, blk, sizeof(blk));
			a = answer(d);
		}
		if (a != 0x06)
			return a;
	}
	for (int tries = 0; tries < 20; tries++) {
		int a;

		wr(d, "\x04", 1);
		a = answer(d);
		if (a != 0x15)
			return a;
	}
	return 0x15;
}

static uint8_t *saved_flash(struct dev *d, size_t want)
{
	size_t n;
	uint8_t *f;

	dev_stop(d);
	f = tu_read_file(d->save, &n);
	ck_assert_uint_eq(n, want);
	return f;
}

static void ck_all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			ck_abort_msg("byte %zu is 0x%02x, want 0x%02x", i, p[i], v);
}

/* A 2 MiB flash image of random bytes, in a temporary file. */
static uint8_t *random_image(char *path, size_t pathlen, size_t size)
{
	uint8_t *img = malloc(size);

	ck_assert_ptr_nonnull(img);
	fill_rnd(img, size);
	tu_tmpfile(path, pathlen);
	tu_write_file(path, img, size);
	return img;
}

/* ------------------------------------------------------------- checksums */

START_TEST(crc_check_values)
{
	const uint8_t *s = (const uint8_t *)"123456789";

	ck_assert_uint_eq(w800_sim_crc16_ccitt(s, 9), 0x29B1);
	ck_assert_uint_eq(w800_sim_crc16_xmodem(s, 9), 0x31C3);
	ck_assert_uint_eq(w800_sim_crc32(0xFFFFFFFFu, s, 9), 0x340BC6D9u);
	ck_assert_uint_eq(w800_sim_crc32(w800_sim_crc32(0xFFFFFFFFu, s, 4), s + 4, 5),
			  0x340BC6D9u);
	ck_assert_uint_eq(crc16(0xFFFF, s, 9), 0x29B1);
	ck_assert_uint_eq(crc16(0, s, 9), 0x31C3);
	ck_assert_uint_eq(wm_crc32(s, 9), 0x340BC6D9u);
}
END_TEST

/* The builder gives every frame of the §3.2 table byte for byte. */
START_TEST(golden_frames)
{
	static const struct {
		uint32_t cmd;
		uint8_t params[8];
		size_t n;
		const char *bytes;
	} v[] = {
		{ 0x31, { 0x00, 0xC2, 0x01, 0x00 }, 4, "21 0A 00 97 4B 31 00 00 00 00 C2 01 00" },
		{ 0x31, { 0x00, 0x08, 0x07, 0x00 }, 4, "21 0A 00 07 00 31 00 00 00 00 08 07 00" },
		{ 0x31, { 0x00, 0x10, 0x0E, 0x00 }, 4, "21 0A 00 5D 50 31 00 00 00 00 10 0E 00" },
		{ 0x31, { 0x40, 0x42, 0x0F, 0x00 }, 4, "21 0A 00 5E 3D 31 00 00 00 40 42 0F 00" },
		{ 0x31, { 0x80, 0x84, 0x1E, 0x00 }, 4, "21 0A 00 EF 2A 31 00 00 00 80 84 1E 00" },
		{ 0x38, { 0 }, 0, "21 06 00 EA 2D 38 00 00 00" },
		{ 0x32, { 0x02, 0x00, 0xFE, 0x01 }, 4, "21 0A 00 C3 35 32 00 00 00 02 00 FE 01" },
		{ 0x32, { 0x02, 0x00, 0xFE, 0x00 }, 4, "21 0A 00 E2 25 32 00 00 00 02 00 FE 00" },
		{ 0x32, { 0 }, 0, "21 06 00 41 45 32 00 00 00" },
		{ 0x3F, { 0 }, 0, "21 06 00 C7 7C 3F 00 00 00" },
		{ 0x3C, { 0 }, 0, "21 06 00 1B E7 3C 00 00 00" },
		{ 0x3E, { 0 }, 0, "21 06 00 73 0A 3E 00 00 00" },
		{ 0x32, { 0x02, 0x00, 0x0E, 0x00 }, 4, "21 0A 00 23 36 32 00 00 00 02 00 0E 00" },
		{ 0x32, { 0x01, 0x80, 0x1F, 0x00 }, 4, "21 0A 00 E7 A6 32 00 00 00 01 80 1F 00" },
		{ 0x4A, { 0x00, 0x00, 0x00, 0x08, 0x00, 0x10, 0x00, 0x00 }, 8,
		  "21 0E 00 B5 05 4A 00 00 00 00 00 00 08 00 10 00 00" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t f[32];
		char hex[128];
		size_t n = frame(f, v[i].cmd, v[i].params, v[i].n), used = 0;

		for (size_t k = 0; k < n; k++)
			used += (size_t)snprintf(hex + used, sizeof(hex) - used, "%s%02X",
						 k ? " " : "", f[k]);
		ck_assert_str_eq(hex, v[i].bytes);
	}
}
END_TEST

/* ------------------------------------------------------------- entry */

START_TEST(esc_enters_rom)
{
	struct dev d;

	dev_start(&d, "w800", "boot=rom");
	esc_entry(&d, 'C');
	ck_trace(&d, "download rom prompt=C");
	send_frame(&d, 0x38, NULL, 0);
	EXPECT(&d, "Mac:286DCD000800\n", 1000);
	send_frame(&d, 0x3C, NULL, 0);
	EXPECT(&d, "FID:C8,15\n", 1000);
	send_frame(&d, 0x3E, NULL, 0);
	EXPECT(&d, "R:8", 1000);
	expect_prompts(&d, 'C', 1000);
	dev_free(&d);
}
END_TEST

START_TEST(no_entry_is_silent)
{
	struct dev d;

	dev_start(&d, "w800", "firmware=none");
	ck_silent(&d, 3000);
	wr(&d, "\x1b", 1);   /* too late: the window has passed */
	ck_silent(&d, 1000);
	ck_trace(&d, "silent");
	dev_free(&d);
}
END_TEST

START_TEST(firmware_at_z)
{
	struct dev d;

	dev_start(&d, "w800", "firmware=at");
	EXPECT(&d, "user app running", 2000);
	ck_silent(&d, 500);
	wr(&d, "AT+Z\r\n", 6);
	esc_entry(&d, 'C');
	ck_trace(&d, "at+z");
	ck_trace(&d, "download rom");
	dev_free(&d);
}
END_TEST

START_TEST(bootpin_forces_download)
{
	struct dev d;

	dev_start(&d, "w800", "bootpin=1,firmware=none");
	expect_prompts(&d, 'C', 500);
	ck_trace(&d, "download rom");
	dev_free(&d);
}
END_TEST

START_TEST(rts_reset_then_esc)
{
	struct dev d;

	dev_start(&d, "w800", "firmware=none");
	ck_silent(&d, 1000);
	/* wm_tool -rs rts */
	uart_sim_set_modem(d.sim, 'd', 0);
	uart_sim_set_modem(d.sim, 'r', 1);
	wr(&d, "\x1b", 1);   /* lost: held in reset */
	uart_sim_sleep(d.sim, 50000000);
	uart_sim_set_modem(d.sim, 'd', 1);
	uart_sim_set_modem(d.sim, 'r', 0);
	uart_sim_sleep(d.sim, 50000000);
	uart_sim_set_modem(d.sim, 'd', 0);
	ck_silent(&d, 200);   /* the 100 ms window passed without an ESC */
	uart_sim_set_modem(d.sim, 'r', 1);
	uart_sim_set_modem(d.sim, 'r', 0);
	esc_entry(&d, 'C');
	ck_trace(&d, "held");
	dev_stop(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "resets"), 2);
	dev_free(&d);
}
END_TEST

/* 'P' is the W600 ROM's prompt; its secboot says "secboot running" and 'C'. */
START_TEST(w600_prompts)
{
	struct dev d;

	dev_start(&d, "w600", "bootpin=1");
	expect_prompts(&d, 'P', 500);
	send_frame(&d, 0x38, NULL, 0);
	EXPECT(&d, "Mac:", 500);
	send_frame(&d, 0x3C, NULL, 0);
	EXPECT(&d, "FID:C8,14\n", 500);
	dev_free(&d);

	dev_start(&d, "w600", "firmware=at");
	EXPECT(&d, "secboot running", 1000);
	esc_entry(&d, 'C');
	send_frame(&d, 0x38, NULL, 0);
	EXPECT(&d, "MAC:286DCD000800\n", 500);
	/* QFID is the ROM's: the secboot ignores it, prompts go on */
	send_frame(&d, 0x3C, NULL, 0);
	gather(&d, 200);
	ck_assert_msg(!memmem(d.in, d.len, "FID", 3), "secboot answered QFID");
	expect_prompts(&d, 'C', 500);
	/* 0x3F: secboot erased, the chip resets into the ROM without an ESC */
	send_frame(&d, 0x3F, NULL, 0);
	expect_prompts(&d, 'P', 5000);
	send_frame(&d, 0x3C, NULL, 0);
	EXPECT(&d, "FID:C8,14\n", 500);
	dev_free(&d);
}
END_TEST

START_TEST(mac_rom_vs_secboot_and_set)
{
	static const uint8_t mac[6] = { 0x02, 0xAB, 0xCD, 0xEF, 0x01, 0x23 };
	struct dev d;

	dev_start(&d, "w800", "boot=secboot,mac=11:22:33:44:55:66");
	EXPECT(&d, "secboot running", 1000);
	esc_entry(&d, 'C');
	send_frame(&d, 0x38, NULL, 0);
	EXPECT(&d, "MAC:112233445566\n", 500);
	send_frame(&d, 0x3E, NULL, 0);   /* secboot: no ROM version */
	expect_prompts(&d, 'C', 500);
	send_frame(&d, 0x37, mac, 6);
	expect_prompts(&d, 'C', 500);
	send_frame(&d, 0x38, NULL, 0);
	EXPECT(&d, "MAC:02ABCDEF0123\n", 500);
	ck_trace(&d, "mac set 02:AB:CD:EF:01:23");
	dev_free(&d);
}
END_TEST

/* W806: the secondary downloader answers R:W; after 0x3F the ROM (R:8). */
START_TEST(w806_secondary_downloader)
{
	struct dev d;

	dev_start(&d, "w800", "w806=1");
	esc_entry(&d, 'C');
	send_frame(&d, 0x3E, NULL, 0);
	EXPECT(&d, "R:W", 500);
	send_frame(&d, 0x3F, NULL, 0);
	expect_prompts(&d, 'C', 5000);
	esc_entry(&d, 'C');
	send_frame(&d, 0x3E, NULL, 0);
	EXPECT(&d, "R:8", 500);
	send_frame(&d, 0x38, NULL, 0);
	EXPECT(&d, "Mac:", 500);
	dev_free(&d);
}
END_TEST

/* ---------------------------------------------------------------- frames */

START_TEST(bad_frames_are_ignored)
{
	struct dev d;
	uint8_t f[32];
	size_t n;

	dev_start(&d, "w800", "bootpin=1");
	expect_prompts(&d, 'C', 500);
	n = frame(f, 0x38, NULL, 0);
	f[3] ^= 1;   /* CRC */
	flush_in(&d);
	wr(&d, f, n);
	gather(&d, 300);
	ck_assert_msg(!memmem(d.in, d.len, "Mac", 3), "answered a bad CRC");
	ck_assert_msg(memmem(d.in, d.len, "CCC", 3), "no prompts after a bad frame");
	/* a length below 6, then a good frame is still understood */
	n = frame(f, 0x38, NULL, 0);
	f[1] = 2;
	wr(&d, f, n);
	send_frame(&d, 0x38, NULL, 0);
	EXPECT(&d, "Mac:", 500);
	/* half a frame, then silence */
	frame(f, 0x38, NULL, 0);
	wr(&d, f, 4);
	expect_prompts(&d, 'C', 1000);
	/* the stub's read is not the ROM's */
	send_frame(&d, 0x4A, (const uint8_t *)"\0\0\0\x08\0\x10\0\0", 8);
	gather(&d, 300);
	ck_assert_uint_lt(d.len, 100);
	ck_trace(&d, "frame bad: crc calc");
	ck_trace(&d, "frame bad: bad length 2");
	ck_trace(&d, "frame bad: timeout after 4 bytes");
	ck_trace(&d, "frame ignored cmd=0x4a");
	dev_stop(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "frames_bad"), 3);
	dev_free(&d);
}
END_TEST

START_TEST(baud_switch)
{
	static const uint32_t rates[] = { 460800, 921600, 1000000, 2000000, 115200 };
	struct dev d;

	dev_start(&d, "w800", "bootpin=1");
	expect_prompts(&d, 'C', 500);
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		send_baud(&d, rates[i]);
		expect_prompts(&d, 'C', 500);
		send_frame(&d, 0x38, NULL, 0);
		EXPECT(&d, "Mac:", 500);
	}
	/* a host that stays behind sees no prompts */
	send_frame(&d, 0x31, (const uint8_t *)"\x80\x84\x1e\x00", 4);
	uart_sim_sleep(d.sim, 20000000);
	flush_in(&d);
	gather(&d, 300);
	ck_assert_uint_gt(d.len, 3);
	ck_assert_msg(!memmem(d.in, d.len, "C", 1), "a 'C' at the wrong rate");
	ck_trace(&d, "baud 2000000");
	dev_stop(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "baud_changes"), 6);
	dev_free(&d);
}
END_TEST

/* Every erase form of §3.2, on the flash and in time. */
START_TEST(erase_forms)
{
	char img_path[64];
	uint8_t *img = random_image(img_path, sizeof(img_path), 2 * MIB), *f;
	struct dev d;
	uint64_t t0;

	dev_start(&d, "w800", "bootpin=1,image=%s", img_path);
	expect_prompts(&d, 'C', 500);
	/* secboot area: sectors 2-15, 14 x 25 ms */
	t0 = now_ms(&d);
	send_erase(&d, 2, 0x0E);
	expect_prompts(&d, 'C', 5000);
	ck_assert_uint_ge(now_ms(&d) - t0, 14 * 25);
	/* 64 KiB blocks 16..31 */
	send_erase(&d, 0x8010, 0x10);
	expect_prompts(&d, 'C', 10000);
	/* sectors 0-1 never */
	send_erase(&d, 0, 2);
	expect_prompts(&d, 'C', 500);
	f = saved_flash(&d, 2 * MIB);
	ck_assert_mem_eq(f, img, 0x2000);
	ck_all(f + 0x2000, 0xE000, 0xFF);
	ck_assert_mem_eq(f + 0x10000, img + 0x10000, 0xF0000);
	ck_all(f + 0x100000, 0x100000, 0xFF);
	ck_trace(&d, "erase refused: sectors 0-1 are never erased");
	free(f);
	dev_free(&d);

	/* "2M-8k" (02 00 FE 01) and the 2 MB block form (01 80 1F 00) */
	dev_start(&d, "w800", "bootpin=1,image=%s", img_path);
	expect_prompts(&d, 'C', 500);
	send_erase(&d, 2, 0x1FE);
	expect_prompts(&d, 'C', 30000);
	f = saved_flash(&d, 2 * MIB);
	ck_assert_mem_eq(f, img, 0x2000);
	ck_all(f + 0x2000, 2 * MIB - 0x2000, 0xFF);
	free(f);
	dev_free(&d);

	dev_start(&d, "w800", "bootpin=1,image=%s", img_path);
	expect_prompts(&d, 'C', 500);
	send_erase(&d, 0x8001, 0x1F);
	expect_prompts(&d, 'C', 30000);
	send_frame(&d, 0x3F, NULL, 0);   /* and the secboot area */
	expect_prompts(&d, 'C', 30000);
	f = saved_flash(&d, 2 * MIB);
	ck_assert_mem_eq(f, img, 0x2000);
	ck_all(f + 0x2000, 2 * MIB - 0x2000, 0xFF);
	free(f);
	dev_free(&d);
	unlink(img_path);
	free(img);
}
END_TEST

START_TEST(w600_erase_image_area)
{
	char img_path[64];
	uint8_t *img = random_image(img_path, sizeof(img_path), MIB), *f;
	struct dev d;

	dev_start(&d, "w600", "bootpin=1,image=%s", img_path);
	expect_prompts(&d, 'P', 500);
	send_frame(&d, 0x32, NULL, 0);
	expect_prompts(&d, 'P', 30000);
	f = saved_flash(&d, MIB);
	ck_assert_mem_eq(f, img, 0x10000);
	ck_all(f + 0x10000, MIB - 0x10000, 0xFF);
	free(f);
	dev_free(&d);
	unlink(img_path);
	free(img);
}
END_TEST

/* ---------------------------------------------------------------- XMODEM */

/* A .fls (secboot + app) in the ROM lands at its header addresses. */
static uint8_t *make_fls(size_t *len, uint8_t **sec_body, uint8_t **app_body)
{
	size_t sl, al;
	uint8_t *sb = malloc(5000), *ab = malloc(70000), *s, *a, *fls;

	ck_assert_ptr_nonnull(sb);
	ck_assert_ptr_nonnull(ab);
	fill_rnd(sb, 5000);
	fill_rnd(ab, 70000);
	s = w800_img(0x0, FB + 0x2000, FB + 0x2400, sb, 5000, &sl);
	a = w800_img(0x1, FB + 0x10000, FB + 0x10400, ab, 70000, &al);
	fls = concat(s, sl, a, al);
	free(s);
	free(a);
	*len = sl + al;
	*sec_body = sb;
	*app_body = ab;
	return fls;
}

START_TEST(fls_upload_lands_in_flash)
{
	uint8_t *sb, *ab, *f, *fls;
	size_t len;
	struct dev d;

	fls = make_fls(&len, &sb, &ab);
	dev_start(&d, "w800", "bootpin=1");
	expect_prompts(&d, 'C', 500);
	send_baud(&d, 2000000);
	expect_prompts(&d, 'C', 500);
	ck_assert_int_eq(xmodem_send(&d, fls, len), 0x06);
	expect_prompts(&d, 'C', 1000);
	f = saved_flash(&d, 2 * MIB);
	ck_assert_mem_eq(f + 0x2000, fls, 64);
	ck_assert_mem_eq(f + 0x2400, sb, 5000);
	ck_assert_mem_eq(f + 0x10000, fls + 64 + 5000, 64);
	ck_assert_mem_eq(f + 0x10400, ab, 70000);
	ck_all(f + 0x2040, 0x2400 - 0x2040, 0xFF);
	ck_all(f + 0x10400 + 70000, 0x1000 - (0x400 + 70000) % 0x1000, 0xFF);
	ck_trace(&d, "image ok type=1 addr=0x8010400 len=70000 header 0x8010000");
	ck_assert_uint_eq(tu_stat(d.stats, "images_ok"), 2);
	ck_assert_uint_eq(tu_stat(d.stats, "blocks_ok"), (len + 1023) / 1024);
	free(f);
	free(fls);
	free(sb);
	free(ab);
	dev_free(&d);
}
END_TEST

/* A block sent again after a lost ACK is ACKed and written once. */
START_TEST(duplicate_block_after_lost_ack)
{
	uint8_t *sb, *ab, *fls, *f;
	size_t len;
	struct dev d;

	fls = make_fls(&len, &sb, &ab);
	dev_start(&d, "w800", "bootpin=1");
	expect_prompts(&d, 'C', 500);
	ck_assert_int_eq(xmodem_send_dup(&d, fls, len, 7), 0x06);
	f = saved_flash(&d, 2 * MIB);
	ck_assert_mem_eq(f + 0x10400, ab, 70000);
	ck_assert_uint_eq(tu_stat(d.stats, "blocks_dup"), 1);
	ck_trace(&d, "block 7 dup");
	free(f);
	free(fls);
	free(sb);
	free(ab);
	dev_free(&d);
}
END_TEST

/* CAN CAN, the reason, then prompts again. */
static void refused(struct dev *d, const uint8_t *img, size_t len, const char *why)
{
	ck_assert_int_eq(xmodem_send(d, img, len), 0x18);
	expect(d, why, strlen(why), 1000);
	expect_prompts(d, 'C', 1000);
}

/* Refusals: CAN CAN and the reason; the flash keeps what it had. */
START_TEST(bad_images_refused)
{
	uint8_t body[3000], *img, *f, *first;
	size_t len;
	struct dev d;

	fill_rnd(body, sizeof(body));
	dev_start(&d, "w800", "bootpin=1");
	expect_prompts(&d, 'C', 500);
	first = w800_img(0x0, FB + 0x2000, FB + 0x2400, body, sizeof(body), &len);

	/* body CRC */
	img = malloc(len);
	memcpy(img, first, len);
	img[len - 1] ^= 0x40;
	/* the answer was CAN; the second CAN and the text follow */
	refused(&d, img, len, "\x18\r\nupdate error: bad body crc\r\n");
	/* header CRC */
	memcpy(img, first, len);
	img[12] ^= 1;
	refused(&d, img, len, "update error: bad header crc");
	/* magic */
	memcpy(img, first, len);
	img[0] = 0;
	refused(&d, img, len, "update error: bad magic");
	free(img);
	free(first);
	/* the ROM takes only a .fls: a user image first is refused */
	img = w800_img(0x1, FB + 0x10000, FB + 0x10400, body, sizeof(body), &len);
	refused(&d, img, len, "not a secboot");
	free(img);
	/* writing sectors 0-1 */
	img = w800_img(0x0, FB + 0x1000, FB + 0x1400, body, sizeof(body), &len);
	refused(&d, img, len, "writes protected sectors 0-1");
	free(img);
	/* beyond the flash */
	img = w800_img(0x0, FB + 0x1FF800, FB + 0x1FFC00, body, sizeof(body), &len);
	refused(&d, img, len, "outside the flash");
	free(img);
	expect_prompts(&d, 'C', 1000);
	f = saved_flash(&d, 2 * MIB);
	/* the default secboot at 0x2000 is untouched */
	ck_assert_uint_eq(get_le32(f + 0x2000), 0xA0FFFF9Fu);
	ck_assert_uint_eq(get_le32(f + 0x200C), 0x1000);
	ck_assert_uint_eq(tu_stat(d.stats, "images_bad"), 6);
	ck_assert_uint_eq(tu_stat(d.stats, "images_ok"), 0);
	free(f);
	dev_free(&d);
}
END_TEST

/* The secboot takes an .img; the W600 secboot then runs it (~10 s). */
START_TEST(secboot_takes_img)
{
	uint8_t body[6000], *img, *f;
	size_t len;
	struct dev d;

	fill_rnd(body, sizeof(body));
	dev_start(&d, "w800", "boot=secboot");
	esc_entry(&d, 'C');
	img = w800_img(0x1, FB + 0x10000, FB + 0x10400, body, sizeof(body), &len);
	ck_assert_int_eq(xmodem_send(&d, img, len), 0x06);
	expect_prompts(&d, 'C', 1000);
	f = saved_flash(&d, 2 * MIB);
	ck_assert_mem_eq(f + 0x10400, body, sizeof(body));
	free(f);
	free(img);
	dev_free(&d);

	dev_start(&d, "w600", "firmware=at");
	esc_entry(&d, 'C');
	img = w600_img(0, FB + 0x10100, body, sizeof(body), &len);
	ck_assert_int_eq(xmodem_send(&d, img, len), 0x06);
	EXPECT(&d, "run user code...", 1000);
	ck_silent(&d, 9000);
	EXPECT(&d, "secboot running", 2000);
	ck_trace(&d, "reset");
	f = saved_flash(&d, MIB);
	ck_assert_mem_eq(f + 0x10000, img, 56);
	ck_assert_mem_eq(f + 0x10100, body, sizeof(body));
	free(f);
	free(img);
	dev_free(&d);
}
END_TEST

/* BK's W800_Stub.bin runs from SRAM and answers 0x4A with the WM CRC-32. */
START_TEST(stub_reads_flash)
{
	char path[512], img_path[64];
	uint8_t stub[8192], p[8], *flash;
	gzFile gz;
	int n;
	struct dev d;

	if (!tu_shared("w800/W800_Stub.bin", path, sizeof(path)))
		return;
	gz = gzopen(path, "rb");
	ck_assert_ptr_nonnull(gz);
	n = gzread(gz, stub, sizeof(stub));
	gzclose(gz);
	ck_assert_int_eq(n, 3140);
	flash = random_image(img_path, sizeof(img_path), 2 * MIB);
	dev_start(&d, "w800", "bootpin=1,image=%s", img_path);
	expect_prompts(&d, 'C', 500);
	ck_assert_int_eq(xmodem_send(&d, stub, (size_t)n), 0x06);
	expect_prompts(&d, 'C', 1000);
	ck_trace(&d, "stub running");
	send_baud(&d, 2000000);
	expect_prompts(&d, 'C', 500);
	for (uint32_t off = 0; off < 0x3000; off += 0x1000) {
		put_le32(p, FB + off);
		put_le32(p + 4, 0x1000);
		send_frame(&d, 0x4A, p, 8);
		while (d.len < 0x1004)
			ck_assert_uint_gt(fill(&d, 1000), 0);
		ck_assert_mem_eq(d.in, flash + off, 0x1000);
		ck_assert_uint_eq(get_le32(d.in + 0x1000), wm_crc32(flash + off, 0x1000));
		consume(&d, 0x1004);
	}
	/* the stub knows no MAC */
	send_frame(&d, 0x38, NULL, 0);
	gather(&d, 200);
	ck_assert_msg(!memmem(d.in, d.len, "ac:", 3), "the stub answered GET_MAC");
	dev_stop(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "reads"), 3);
	ck_assert_uint_eq(tu_stat(d.stats, "stubs"), 1);
	dev_free(&d);
	unlink(img_path);
	free(flash);
}
END_TEST

/* ---------------------------------------------------------------- faults */

/* A faulty link still gets the .fls through (NAKs); the same seed, the same run. */
static void faulty_upload(const char *opts, char **trace, uint8_t **flash)
{
	uint8_t *sb, *ab, *fls;
	size_t len;
	struct dev d;

	rnd_state = 0x5eed;
	fls = make_fls(&len, &sb, &ab);
	dev_start(&d, "w800", "bootpin=1,%s", opts);
	expect_prompts(&d, 'C', 2000);
	ck_assert_int_eq(xmodem_send(&d, fls, len), 0x06);
	*flash = saved_flash(&d, 2 * MIB);
	*trace = file_text(d.trace);
	ck_assert_mem_eq(*flash + 0x10400, ab, 70000);
	ck_assert_uint_gt(tu_stat(d.stats, "blocks_nak"), 0);
	free(fls);
	free(sb);
	free(ab);
	dev_free(&d);
}

START_TEST(faults_reproducible)
{
	char *t1, *t2, *t3;
	uint8_t *f1, *f2, *f3;

	faulty_upload("seed=7,flip=100,drop=50,delay=30", &t1, &f1);
	faulty_upload("seed=7,flip=100,drop=50,delay=30", &t2, &f2);
	faulty_upload("seed=8,flip=100,drop=50,delay=30", &t3, &f3);
	ck_assert_str_eq(t1, t2);
	ck_assert_str_ne(t1, t3);
	ck_assert_mem_eq(f1, f2, 2 * MIB);
	free(t1);
	free(t2);
	free(t3);
	free(f1);
	free(f2);
	free(f3);
}
END_TEST

START_TEST(corrupt_above_rate)
{
	uint8_t *sb, *ab, *fls;
	size_t len;
	struct dev d;

	fls = make_fls(&len, &sb, &ab);
	dev_start(&d, "w800", "bootpin=1,corrupt-above=921600");
	expect_prompts(&d, 'C', 500);
	send_baud(&d, 2000000);
	/* a 1029-byte block at 5 % per byte never gets through */
	ck_assert_int_ne(xmodem_send(&d, fls, len), 0x06);
	dev_free(&d);

	dev_start(&d, "w800", "bootpin=1,corrupt-above=921600");
	expect_prompts(&d, 'C', 500);
	send_baud(&d, 921600);
	ck_assert_int_eq(xmodem_send(&d, fls, len), 0x06);
	dev_stop(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "corrupted"), 0);
	ck_assert_uint_eq(tu_stat(d.stats, "blocks_nak"), 0);
	dev_free(&d);
	free(fls);
	free(sb);
	free(ab);
}
END_TEST

START_TEST(reset_mid_transfer)
{
	uint8_t *sb, *ab, *fls;
	size_t len;
	struct dev d;

	fls = make_fls(&len, &sb, &ab);
	dev_start(&d, "w800", "bootpin=1,reset-at=20000");
	expect_prompts(&d, 'C', 500);
	ck_assert_int_ne(xmodem_send(&d, fls, len), 0x06);
	ck_trace(&d, "reset-at after 20000 xmodem bytes");
	/*
	 * bootpin: the ROM again, at 115200, which took the rest of the block
	 * for an upload of its own: prompts after its 10 s timeout. Once only.
	 */
	expect_prompts(&d, 'C', 15000);
	ck_assert_int_eq(xmodem_send(&d, fls, len), 0x06);
	dev_stop(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "resets"), 1);
	dev_free(&d);
	free(fls);
	free(sb);
	free(ab);
}
END_TEST

START_TEST(bad_specs)
{
	static const char *const bad[] = {
		"w800,nosuch=1", "w800,flash=3M", "w600,w806=1", "w800,boot=flash",
		"w800,mac=11:22:33", "w800,firmware=maybe", "w800,reset-line=cts",
		"w800,image=/nonexistent/x", "w800,flip=2000000",
	};
	char err[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(uart_sim_open(bad[i], err, sizeof(err)) == NULL, "%s accepted",
			      bad[i]);
		ck_assert_msg(strstr(err, "sim: ") != NULL, "%s: '%s'", bad[i], err);
	}
}
END_TEST

START_TEST(image_must_match_flash)
{
	char path[64], err[512], spec[128];
	uint8_t small[1024] = { 0 };

	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, small, sizeof(small));
	snprintf(spec, sizeof(spec), "w800,image=%s", path);
	ck_assert_ptr_null(uart_sim_open(spec, err, sizeof(err)));
	ck_assert_msg(strstr(err, "exactly 2097152 bytes") != NULL, "%s", err);
	unlink(path);
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *w800_suite(void)
{
	Suite *s = suite_create("sim_w800");
	TCase *frames = tcase_create("frames");
	TCase *entry = tcase_create("entry");
	TCase *xmodem = tcase_create("xmodem");
	TCase *faults = tcase_create("faults");

	tcase_set_timeout(frames, 60);
	tcase_set_timeout(entry, 60);
	tcase_set_timeout(xmodem, 60);
	tcase_set_timeout(faults, 120);

	tcase_add_test(frames, crc_check_values);
	tcase_add_test(frames, golden_frames);
	tcase_add_test(frames, bad_frames_are_ignored);
	tcase_add_test(frames, baud_switch);
	tcase_add_test(frames, erase_forms);
	tcase_add_test(frames, w600_erase_image_area);
	tcase_add_test(frames, bad_specs);
	tcase_add_test(frames, image_must_match_flash);

	tcase_add_test(entry, esc_enters_rom);
	tcase_add_test(entry, no_entry_is_silent);
	tcase_add_test(entry, firmware_at_z);
	tcase_add_test(entry, bootpin_forces_download);
	tcase_add_test(entry, rts_reset_then_esc);
	tcase_add_test(entry, w600_prompts);
	tcase_add_test(entry, mac_rom_vs_secboot_and_set);
	tcase_add_test(entry, w806_secondary_downloader);

	tcase_add_test(xmodem, fls_upload_lands_in_flash);
	tcase_add_test(xmodem, duplicate_block_after_lost_ack);
	tcase_add_test(xmodem, bad_images_refused);
	tcase_add_test(xmodem, secboot_takes_img);
	tcase_add_test(xmodem, stub_reads_flash);

	tcase_add_test(faults, faults_reproducible);
	tcase_add_test(faults, corrupt_above_rate);
	tcase_add_test(faults, reset_mid_transfer);

	suite_add_tcase(s, frames);
	suite_add_tcase(s, entry);
	suite_add_tcase(s, xmodem);
	suite_add_tcase(s, faults);
	return s;
}

int main(void)
{
	return tu_main(w800_suite());
}
