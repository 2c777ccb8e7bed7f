/* SPDX-License-Identifier: MIT */
/*
 * The GX protocol engine (uart/gx.c) on its own: loader files, checksums,
 * the banner, and the golden exchange against the capture through a
 * scripted port that answers with the captured device bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gx.h"
#include "testutil.h"

static const char *loader_path(const char *name, char *buf, size_t len)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "gx/loaders/%s", name);
	return tu_shared(rel, buf, len);
}

/* ---- checksums ---- */

START_TEST(xorsum_vectors)
{
	uint8_t zeros[1024] = { 0 }, ones[1024];
	const uint8_t five[] = { 0x00, 0x01, 0x02, 0x03, 0xFF };

	memset(ones, 0xFF, sizeof(ones));
	/* notes/uart-chips.md §1.2 */
	ck_assert_uint_eq(gx_xorsum(0, 0, (const uint8_t *)"123456789", 9), 0x1CF);
	ck_assert_uint_eq(gx_xorsum(0, 0, five, sizeof(five)), 0x203);
	ck_assert_uint_eq(gx_xorsum(0, 0, zeros, sizeof(zeros)), 0x11400);
	ck_assert_uint_eq(gx_xorsum(0, 0, ones, sizeof(ones)), 0x2E800);
	/* Continued in pieces at odd offsets, the key position follows. */
	ck_assert_uint_eq(gx_xorsum(gx_xorsum(0, 0, (const uint8_t *)"12345", 5), 5,
				    (const uint8_t *)"6789", 4), 0x1CF);
}
END_TEST

/* notes §1.4 table and §1.2: chip, header baud and stage 2 sum32 per loader. */
struct loader_fact {
	const char *file;
	size_t size;
	uint16_t chip;
	uint32_t baud;
	uint32_t sum;  /* 0: not listed in the notes */
};

static const struct loader_fact loaders[] = {
	{ "canopus-6631-NNECH1D-sflash-27M.boot", 165088, 0x6612, 115200, 0 },
	{ "canopus-6631SH1D-sflash-27M.boot", 165072, 0x6612, 115200, 0 },
	{ "canopus-6631SH5D-sflash-27M.boot", 165056, 0x6612, 115200, 0 },
	{ "cygnus-6705-sflash-24M.boot", 149724, 0x6705, 115200, 0x00C46552 },
	{ "cygnus-6706H5-sflash-24M.boot", 149724, 0x6705, 115200, 0 },
	{ "cygnus-6706S5-sflash-24M.boot", 149724, 0x6705, 115200, 0 },
	{ "cygnus-cygnus-X5-sflash-24M.boot", 149916, 0x6705, 115200, 0 },
	{ "gemini-6701-sflash-24M.boot", 148860, 0x6701, 115200, 0x00C38777 },
	{ "gemini-6702H5-sflash-24M.boot", 148028, 0x6701, 115200, 0x00C2341B },
	{ "gemini-6703X5-sflash-24M.boot", 149100, 0x6701, 115200, 0x00C492DF },
	{ "gx3211-6622-dvbs2-sflash-27M.boot", 148428, 0x3211, 115200, 0 },
	{ "gx6605s-6605s-sflash-27M.boot", 148012, 0x3211, 115200, 0x00C45323 },
	{ "gx6605s-gx6605s-combo-sflash-27M.boot", 146796, 0x3211, 115200, 0x00C259AC },
	{ "sirius-6613H2-NNE-sflash-27M.boot", 167008, 0x6612, 115200, 0 },
	{ "sirius-6613H2-sflash-27M.boot", 167008, 0x6612, 115200, 0x00F38702 },
	{ "taurus-3113U5-sflash-24M.boot", 147916, 0x6616, 100000, 0 },
	{ "taurus-3235H1-sflash-24M.boot", 148284, 0x6616, 100000, 0 },
	{ "taurus-6605H1-sflash-27M.boot", 147980, 0x6616, 115200, 0 },
	{ "vega-6631CH1D-sflash-27M.boot", 168432, 0x6612, 115200, 0 },
	{ "vega-6631SH1D-NNN-sflash-27M.boot", 168176, 0x6612, 115200, 0 },
};

static uint32_t image_sum(const struct gx_loader *ld)
{
	uint8_t buf[4096];
	uint32_t sum = 0;
	size_t n;

	for (size_t i = 0; (n = gx_stage2_image(ld, i, buf, sizeof(buf))) > 0; i += n)
		sum += gx_sum32(buf, n);
	return sum;
}

START_TEST(every_loader_header_and_sum)
{
	char path[512];
	struct gx_loader ld;
	struct ub_err err = { 0 };
	size_t n = sizeof(loaders) / sizeof(loaders[0]);

	if (!loader_path(loaders[_i].file, path, sizeof(path)))
		return;
	ck_assert_uint_eq(n, 20);
	ck_assert_int_eq(gx_loader_load(path, &ld, &err), 0);
	ck_assert_uint_eq(ld.len, loaders[_i].size);
	ck_assert_uint_eq(ld.chip, loaders[_i].chip);
	ck_assert_uint_eq(ld.baud, loaders[_i].baud);
	ck_assert_int_eq(ld.legacy, 0);
	ck_assert_uint_eq(ld.stage1_len, gx_stage1_size(ld.chip));
	if (loaders[_i].sum)
		ck_assert_msg(image_sum(&ld) == loaders[_i].sum, "%s: sum32 0x%08x, notes 0x%08x",
			      loaders[_i].file, image_sum(&ld), loaders[_i].sum);
	gx_loader_free(&ld);
}
END_TEST

START_TEST(stage1_sizes)
{
	ck_assert_uint_eq(gx_stage1_size(0x6701), 0x2000);
	ck_assert_uint_eq(gx_stage1_size(0x6616), 0x2000);
	ck_assert_uint_eq(gx_stage1_size(0x3211), 0x2000);
	ck_assert_uint_eq(gx_stage1_size(0x6705), 0x2000);
	ck_assert_uint_eq(gx_stage1_size(0x6612), 0x4000);
	ck_assert_uint_eq(gx_stage1_size(0x1234), 0x1000);
	/* The payload: 8188, 0x3FE0 or 4092 bytes. */
	ck_assert_uint_eq(gx_stage1_payload(0x6701), 8188);
	ck_assert_uint_eq(gx_stage1_payload(0x6612), 0x3FE0);
	ck_assert_uint_eq(gx_stage1_payload(0x1234), 4092);
}
END_TEST

/* ---- loader files that must be refused ---- */

static void expect_refused(const void *data, size_t len, const char *msg_part)
{
	char path[64];
	struct gx_loader ld;
	struct ub_err err = { 0 };

	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, data, len);
	ck_assert_int_eq(gx_loader_load(path, &ld, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_msg(strstr(err.msg, msg_part), "message: %s", err.msg);
	gx_loader_free(&ld);
	unlink(path);
}

START_TEST(loader_without_magic)
{
	uint8_t junk[9000];

	memset(junk, 0xA5, sizeof(junk));
	expect_refused(junk, sizeof(junk), "no \"toob\" magic");
}
END_TEST

START_TEST(loader_shorter_than_stage1)
{
	uint8_t short_loader[0x20 + 4000] = { 't', 'o', 'o', 'b', 0, 1, 0x01, 0x67 };

	expect_refused(short_loader, sizeof(short_loader), "shorter than its stage 1");
}
END_TEST

START_TEST(legacy_loader_accepted)
{
	uint8_t legacy[0x3000] = { 0x11, 0x32, 0x01, 0x00 };
	char path[64];
	struct gx_loader ld;
	struct ub_err err = { 0 };

	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, legacy, sizeof(legacy));
	ck_assert_int_eq(gx_loader_load(path, &ld, &err), 0);
	ck_assert_int_eq(ld.legacy, 1);
	ck_assert_uint_eq(ld.chip, 0x3211);
	gx_loader_free(&ld);
	unlink(path);
}
END_TEST

/* ---- the banner ---- */

static char *captured_banner(void)
{
	char path[512];
	size_t len;
	uint8_t *b;
	char *text;

	if (!tu_shared("gx/packets/recv_000003.txt", path, sizeof(path)))
		return NULL;
	b = tu_read_capture(path, &len);
	text = malloc(len + 1);
	ck_assert_ptr_nonnull(text);
	memcpy(text, b, len);
	text[len] = 0;
	free(b);
	return text;
}

START_TEST(banner_of_the_capture)
{
	char *text = captured_banner();
	struct gx_info info = { 0 };
	static const struct gx_part want[] = {
		{ "BOOT", "raw", 0x000000, 64 * 1024 },
		{ "TABLE", "raw", 0x010000, 512 },
		{ "LOGO", "raw", 0x010200, 65024 },
		{ "KERNEL", "raw", 0x020000, 2688 * 1024 },
		{ "ROOT", "cramfs", 0x2C0000, 832 * 1024 },
		{ "DATA", "minifs", 0x390000, 448 * 1024 },
	};

	if (!text)
		return;
	gx_parse_banner(text, &info);
	ck_assert_str_eq(info.flash_model, "EN25Q32");
	ck_assert_uint_eq(info.flash_size, 4 << 20);
	ck_assert_str_eq(info.chip_model, "gemini");
	ck_assert_str_eq(info.board, "6702H5");
	ck_assert_ptr_nonnull(strstr(info.sdk, "GxLoader SDK_V2.5.0_RC6"));
	ck_assert_int_eq(info.nparts, 6);
	for (int i = 0; i < 6; i++) {
		ck_assert_str_eq(info.parts[i].name, want[i].name);
		ck_assert_str_eq(info.parts[i].fs, want[i].fs);
		ck_assert_uint_eq(info.parts[i].start, want[i].start);
		ck_assert_uint_eq(info.parts[i].size, want[i].size);
	}
	ck_assert_ptr_eq(gx_find_part(&info, "kernel"), &info.parts[3]);
	ck_assert_ptr_null(gx_find_part(&info, "ROOTFS"));
	free(text);
}
END_TEST

/* ---- a scripted box on a port in model time ---- */

/* One byte at 115200 8N1, in µs (rounded up). */
#define BYTE_US 87

/*
 * What the box sends: segments that follow each other on the wire, each
 * data repeated until len bytes have gone (a flood when len is large).
 */
struct seg {
	uint8_t *data;
	size_t dlen, len;
	int64_t start_us;
};

struct box {
	int64_t now_us;                  /* the model clock */
	struct seg *seg;
	int nsegs, segcap, at;           /* at: the segment being read */
	size_t off;                      /* bytes of seg[at] read */
	uint8_t *sent;                   /* everything the host wrote */
	size_t sent_len, sent_cap;
	unsigned bauds[8];
	int nbauds;
	/* The device: called with each byte the host writes. */
	void (*hear)(struct box *b, uint8_t c);
	/* A loader's command line, and what it does with serialdump. */
	char line[256];
	size_t line_len;
	int commands;                    /* command lines it ran */
	int dumps;                       /* serialdumps */
	int garbage_dumps;               /* that many answer ~sta~ then garbage */
	size_t garbage_len;
	int64_t prompt_at_us;            /* when the loader first shows its prompt */
	int burst_ms;                    /* hear_rom: the ROM's burst after the probe */
	int64_t stage1_at_us;            /* hear_rom: when the host began stage 1 */
	const uint8_t *flash;            /* what serialdump reads */
	/* The golden boot: byte counts that trigger the captured answers. */
	const uint8_t *cap[3];
	size_t caplen[3], after[3];
	int next_cap;
};

static int64_t seg_end(const struct seg *s)
{
	return s->start_us + (int64_t)s->len * BYTE_US;
}

/* Queue len bytes (data repeated) to leave at at_us, after what is queued. */
static void box_say_rep(struct box *b, int64_t at_us, const void *data, size_t dlen, size_t len)
{
	struct seg *s;

	if (b->nsegs == b->segcap) {
		b->segcap = b->segcap ? 2 * b->segcap : 64;
		b->seg = realloc(b->seg, (size_t)b->segcap * sizeof(*b->seg));
		ck_assert_ptr_nonnull(b->seg);
	}
	s = &b->seg[b->nsegs];
	s->start_us = at_us;
	if (b->nsegs && seg_end(&b->seg[b->nsegs - 1]) > at_us)
		s->start_us = seg_end(&b->seg[b->nsegs - 1]);
	if (s->start_us < b->now_us)
		s->start_us = b->now_us;
	s->data = malloc(dlen);
	memcpy(s->data, data, dlen);
	s->dlen = dlen;
	s->len = len;
	b->nsegs++;
}

static void box_say(struct box *b, int64_t after_ms, const void *data, size_t len)
{
	box_say_rep(b, b->now_us + after_ms * 1000, data, len, len);
}

static void box_text(struct box *b, const char *text)
{
	box_say(b, 0, text, strlen(text));
}

static int64_t arrival(const struct box *b, int at, size_t off)
{
	return b->seg[at].start_us + (int64_t)(off + 1) * BYTE_US;
}

/* Skip segments read to the end. */
static void box_next(struct box *b)
{
	while (b->at < b->nsegs && b->off == b->seg[b->at].len) {
		b->at++;
		b->off = 0;
	}
}

static ssize_t box_read(void *priv, void *buf, size_t cap, int timeout_ms, struct ub_err *err)
{
	struct box *b = priv;
	int64_t deadline = timeout_ms < 0 ? INT64_MAX : b->now_us + (int64_t)timeout_ms * 1000;
	size_t n = 0;

	(void)err;
	box_next(b);
	if (b->at == b->nsegs || arrival(b, b->at, b->off) > deadline) {
		if (timeout_ms < 0)
			return ub_fail(err, UB_EFAIL, "the test box would never answer");
		b->now_us = deadline;
		return 0;
	}
	if (arrival(b, b->at, b->off) > b->now_us)
		b->now_us = arrival(b, b->at, b->off);
	while (n < cap && b->at < b->nsegs && arrival(b, b->at, b->off) <= b->now_us) {
		const struct seg *s = &b->seg[b->at];

		((uint8_t *)buf)[n++] = s->data[b->off % s->dlen];
		b->off++;
		box_next(b);
	}
	return (ssize_t)n;
}

static int box_write(void *priv, const void *buf, size_t len, struct ub_err *err)
{
	struct box *b = priv;

	(void)err;
	if (b->sent_len + len > b->sent_cap) {
		b->sent_cap = (b->sent_len + len) * 2;
		b->sent = realloc(b->sent, b->sent_cap);
	}
	memcpy(b->sent + b->sent_len, buf, len);
	for (size_t i = 0; i < len; i++) {
		b->sent_len++;
		if (b->hear)
			b->hear(b, ((const uint8_t *)buf)[i]);
	}
	return 0;
}

static int box_set_line(void *priv, const struct ub_port_line *line, struct ub_err *err)
{
	struct box *b = priv;

	(void)err;
	if (b->nbauds < 8)
		b->bauds[b->nbauds++] = line->baud;
	return 0;
}

static int box_ok(void *priv, struct ub_err *err)
{
	(void)priv;
	(void)err;
	return 0;
}

/* tcflush: what has arrived is gone. */
static int box_flush(void *priv, struct ub_err *err)
{
	struct box *b = priv;

	(void)err;
	for (box_next(b); b->at < b->nsegs && arrival(b, b->at, b->off) <= b->now_us; box_next(b))
		b->off++;
	return 0;
}

static int box_modem(void *priv, char which, int value, struct ub_err *err)
{
	(void)priv;
	(void)which;
	(void)value;
	(void)err;
	return 1;
}

static int64_t box_now(void *priv)
{
	return ((struct box *)priv)->now_us / 1000;
}

static void box_sleep(void *priv, int ms)
{
	((struct box *)priv)->now_us += (int64_t)ms * 1000;
}

static const struct ub_port_ops box_ops = {
	.set_line = box_set_line, .write = box_write, .read = box_read, .drain = box_ok,
	.flush_input = box_flush, .set_modem = box_modem, .close = box_ok,
	.now = box_now, .sleep = box_sleep,
};

static void box_free(struct box *b)
{
	for (int i = 0; i < b->nsegs; i++)
		free(b->seg[i].data);
	free(b->seg);
	free(b->sent);
}

static const struct ub_log quiet_log = { UB_LOG_ERR, ub_log_stderr, (void *)"check_gx" };

/* An engine on the box; loader may be NULL. */
static struct gx *engine(struct ub_port *port, struct box *b, const struct gx_loader *loader)
{
	struct ub_err err = { 0 };
	struct gx *gx;

	*port = (struct ub_port){ .ops = &box_ops, .priv = b, .name = "scripted" };
	port->line.baud = 115200;
	gx = gx_new(&(struct gx_config){ .port = port, .log = &quiet_log, .loader = loader,
					 .handshake_ms = 2000 }, &err);
	ck_assert_msg(gx != NULL, "%s", err.msg);
	return gx;
}

static size_t count_in(const uint8_t *hay, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		n += !memcmp(hay + i, needle, nl);
	return n;
}

/* ---- golden: a box that plays the captured device side ---- */

/* Each captured packet comes once the host has sent what precedes it. */
static void hear_golden(struct box *b, uint8_t c)
{
	/* The ROM powers on 100 ms after the host's first byte, as the emulator's power-delay. */
	static const int delay_ms[3] = { 100, 20, 10 };

	(void)c;
	if (b->next_cap < 3 && b->sent_len == b->after[b->next_cap]) {
		box_say(b, delay_ms[b->next_cap], b->cap[b->next_cap], b->caplen[b->next_cap]);
		b->next_cap++;
	}
}

START_TEST(golden_boot_of_gemini_6702h5)
{
	char lpath[512], p[4][512];
	const char *names[4] = { "gx/packets/sent_000001.txt", "gx/packets/sent_000002.txt",
				 "gx/packets/recv_000001.txt", "gx/packets/recv_000002.txt" };
	uint8_t *cap[4], *banner;
	size_t caplen[4], banner_len;
	struct box b = { .hear = hear_golden };
	struct ub_port port;
	struct gx_loader ld;
	struct ub_err err = { 0 };
	struct gx *gx;

	if (!loader_path("gemini-6702H5-sflash-24M.boot", lpath, sizeof(lpath)))
		return;
	for (int i = 0; i < 4; i++) {
		if (!tu_shared(names[i], p[i], sizeof(p[i])))
			return;
		cap[i] = tu_read_capture(p[i], &caplen[i]);
	}
	banner = (uint8_t *)captured_banner();
	banner_len = strlen((char *)banner);
	ck_assert_uint_eq(caplen[0], 8193);
	ck_assert_uint_eq(caplen[1], 148040);
	ck_assert_uint_eq(banner_len, 1424);
	ck_assert_int_eq(gx_loader_load(lpath, &ld, &err), 0);
	/* The host's probe for a running loader is one "\n", before the ROM speaks. */
	b.cap[0] = cap[2], b.caplen[0] = caplen[2], b.after[0] = 1;
	b.cap[1] = cap[3], b.caplen[1] = caplen[3], b.after[1] = 1 + caplen[0] + 4;
	b.cap[2] = banner, b.caplen[2] = banner_len, b.after[2] = 1 + caplen[0] + caplen[1];
	gx = engine(&port, &b, &ld);
	ck_assert_int_eq(gx_connect(gx, &err), 0);
	ck_assert_uint_eq(b.sent_len, 1 + caplen[0] + caplen[1]);
	ck_assert_int_eq(b.sent[0], '\n');
	ck_assert_msg(!memcmp(b.sent + 1, cap[0], caplen[0]), "stage 1 differs from sent_000001");
	ck_assert_msg(!memcmp(b.sent + 1 + caplen[0], cap[1], caplen[1]),
		      "boot + stage 2 differ from sent_000002");
	ck_assert_str_eq(gx_info(gx)->board, "6702H5");
	ck_assert_int_eq(gx_info(gx)->nparts, 6);
	ck_assert_int_eq(gx_has_crc(gx), 1);
	gx_free(gx);
	gx_loader_free(&ld);
	for (int i = 0; i < 4; i++)
		free(cap[i]);
	free(banner);
	box_free(&b);
}
END_TEST

/* ---- a loader at its prompt ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* What the loader's flash holds. */
static uint8_t flash4k[4096];

static void serialdump(struct box *b, size_t addr, size_t len)
{
	uint8_t sum[4];

	b->dumps++;
	box_text(b, "~sta~");
	if (b->garbage_dumps) {
		static const uint8_t junk[] = { 0xA5, 0x5A, 0xC3, 0x3C, 0x99 };

		b->garbage_dumps--;
		box_say_rep(b, b->now_us, junk, sizeof(junk), b->garbage_len);
		return;  /* the loader lost its way: quiet until a newline */
	}
	box_say(b, 0, b->flash + addr, len);
	put_be32(sum, gx_xorsum(0, 0, b->flash + addr, len));
	box_text(b, "~crc~");
	box_say(b, 0, sum, 4);
	box_text(b, "~fin~\r\nboot> ");
}

static void run_line(struct box *b)
{
	long addr;
	unsigned long len;

	b->line[b->line_len] = 0;
	b->line_len = 0;
	box_text(b, "\r\n");
	if (!b->line[0]) {
		box_text(b, "boot> ");
		return;
	}
	b->commands++;
	if (sscanf(b->line, "serialdump %li %lu", &addr, &len) == 2 && addr >= 0 &&
	    (size_t)addr + len <= sizeof(flash4k))
		serialdump(b, (size_t)addr, len);
	else
		box_text(b, "unknown command\r\nboot> ");
}

/* The loader's line editor (notes §1.3): it echoes, and runs a line at \n. */
static void hear_loader(struct box *b, uint8_t c)
{
	if (b->now_us < b->prompt_at_us)
		return;
	if (c == '\n' || c == '\r') {
		run_line(b);
	} else if (c >= 0x20 && b->line_len + 1 < sizeof(b->line)) {
		b->line[b->line_len++] = (char)c;
		box_say(b, 0, &c, 1);
	}
}

static void loader_box(struct box *b)
{
	*b = (struct box){ .hear = hear_loader, .flash = flash4k };
	for (size_t i = 0; i < sizeof(flash4k); i++)
		flash4k[i] = (uint8_t)(i * 7 + (i >> 8));
}

static int sink_copy(void *arg, const uint8_t *data, size_t len, struct ub_err *err)
{
	uint8_t **at = arg;

	(void)err;
	memcpy(*at, data, len);
	*at += len;
	return 0;
}

/* A loader file in memory, enough for gx to want to boot it. */
static void fake_loader(struct gx_loader *ld)
{
	static uint8_t data[0x20 + 8188 + 64] = { 't', 'o', 'o', 'b', 0, 1, 0x01, 0x67 };

	*ld = (struct gx_loader){ .data = data, .len = sizeof(data), .chip = 0x6701,
				  .baud = 115200, .stage1_len = 0x2000, .payload = 8188 };
	snprintf(ld->path, sizeof(ld->path), "fake.boot");
}

/*
 * Issue 8 item 3: an earlier run was stopped during a dump, and the loader
 * is still sending it. Its data holds "00 ?? ?? 58" windows, which look
 * like the ROM's handshake. gx must drain it, find the prompt and send no
 * stage 1 (0x59 ...), no junk commands.
 */
static const struct streaming_case {
	int64_t host_at_us;  /* when the host comes back */
	size_t pause_after;  /* the stream pauses after this many bytes, which end in a window */
	int pause_ms;
} streaming_cases[] = {
	{ 5000, 0, 0 },      /* in the middle of the stream */
	{ 0, 4, 0 },         /* as the stream starts with a window */
	{ 0, 4, 30 },        /* ... and pauses as a USB adapter can */
	{ 0, 1000, 120 },    /* a burst too long to be the ROM's, then a pause */
};

START_TEST(streaming_loader_is_drained_not_booted)
{
	const struct streaming_case *sc = &streaming_cases[_i];
	struct box b;
	struct ub_port port;
	struct ub_err err = { 0 };
	struct gx_loader ld;
	struct gx *gx;
	uint8_t stream[20000], *at, got[64];
	size_t first = sc->pause_after ? sc->pause_after : sizeof(stream);

	loader_box(&b);
	for (size_t i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(0x80 | (i * 37 % 97));
	for (size_t i = 0; i + 4 <= sizeof(stream); i += 301)
		memcpy(stream + i, "\x00\x11\x22\x58", 4);
	memcpy(stream + first - 4, "\x00\x11\x22\x58", 4);
	/* 20000 bytes take 1.7 s; the prompt ends the transfer. */
	box_say(&b, 0, stream, first);
	if (first < sizeof(stream))
		box_say_rep(&b, seg_end(&b.seg[0]) + sc->pause_ms * 1000, stream + first,
			    sizeof(stream) - first, sizeof(stream) - first);
	box_text(&b, "~crc~\x12\x34\x56\x78~fin~\r\nboot> ");
	b.prompt_at_us = seg_end(&b.seg[b.nsegs - 1]);
	fake_loader(&ld);
	gx = engine(&port, &b, &ld);
	b.now_us = sc->host_at_us;
	ck_assert_int_eq(gx_connect(gx, &err), 1);
	ck_assert_msg(!memchr(b.sent, 0x59, b.sent_len), "stage 1 went to the loader: %zu bytes",
		      b.sent_len);
	ck_assert_int_eq(b.commands, 0);
	/* And the loader works: a dump reads what it holds. */
	at = got;
	ck_assert_int_eq(gx_read(gx, "serialdump", 0x100, sizeof(got), sizeof(got), 0,
				 sink_copy, &at, &err), 0);
	ck_assert_mem_eq(got, flash4k + 0x100, sizeof(got));
	ck_assert_int_eq(b.commands, 1);
	gx_free(gx);
	box_free(&b);
}
END_TEST

/*
 * The ROM's burst, answered at once: stage 1 follows it (then no RUNGET
 * comes). A burst after silence is the ROM's as it ends. One that came
 * too soon to show the silence before it (the box powered on with the port,
 * as the bench's power-delay=0, or the host was slow to read) is the ROM's
 * once FIRST_QUIET_MS of silence follow it: not QUIET_MS, which cost the
 * bench 0.25 s.
 */
static const struct rom_case {
	int burst_ms;   /* after the host's probe; -1: already coming as gx_connect begins */
	int answer_ms;  /* the most from the burst's end to stage 1 */
} rom_cases[] = {
	{ 150, 1 },
	{ -1, 60 },
	{ 10, 60 },
};

static void hear_rom(struct box *b, uint8_t c)
{
	if (b->sent_len == 1 && c == '\n' && b->burst_ms >= 0)
		box_say(b, b->burst_ms, "\xB0\xB0\x58", 3);
	if (c == 0x59 && !b->stage1_at_us)
		b->stage1_at_us = b->now_us;
}

START_TEST(rom_burst_is_answered_at_once)
{
	const struct rom_case *rc = &rom_cases[_i];
	struct box b = { .hear = hear_rom, .burst_ms = rc->burst_ms };
	struct ub_port port;
	struct ub_err err = { 0 };
	struct gx_loader ld;
	struct gx *gx;
	int64_t answer_us;

	if (rc->burst_ms < 0)
		box_say(&b, 0, "\xB0\xB0\x58", 3);
	fake_loader(&ld);
	gx = engine(&port, &b, &ld);
	ck_assert_int_eq(gx_connect(gx, &err), -1);
	ck_assert_msg(strstr(err.msg, "did not answer RUNGET"), "%s", err.msg);
	ck_assert_uint_ge(b.sent_len, 1 + 5 + 8188 + 4);
	ck_assert_int_eq(b.sent[0], '\n');
	ck_assert_int_eq(b.sent[1], 0x59);
	answer_us = b.stage1_at_us - seg_end(&b.seg[0]);
	ck_assert_msg(answer_us <= rc->answer_ms * 1000, "stage 1 went %lld ms after the burst",
		      (long long)answer_us / 1000);
	gx_free(gx);
	box_free(&b);
}
END_TEST

/* Issue 8 item 6: a flood of prompts is a clear error, not an unplugged adapter. */
START_TEST(prompt_flood_is_named)
{
	struct box b;
	struct ub_port port;
	struct ub_err err = { 0 };
	struct gx *gx;

	loader_box(&b);
	b.hear = NULL;
	box_say_rep(&b, 0, "boot> ", 6, 100u << 20);
	gx = engine(&port, &b, NULL);
	ck_assert_int_eq(gx_connect(gx, &err), -1);
	ck_assert_int_eq(err.status, UB_EFAIL);
	ck_assert_msg(strstr(err.msg, "scripted keeps sending after the loader's boot> prompt"),
		      "%s", err.msg);
	ck_assert_int_lt(b.now_us, 10 * 1000000);
	gx_free(gx);
	box_free(&b);
}
END_TEST

/* Garbage after ~sta~ is a bad transfer: retried once the line is quiet. */
START_TEST(garbage_after_sta_is_retried)
{
	struct box b;
	struct ub_port port;
	struct ub_err err = { 0 };
	struct gx *gx;
	uint8_t got[256], *at = got;

	loader_box(&b);
	b.garbage_dumps = 1;
	b.garbage_len = 5 * 11520;  /* 5 s of it */
	gx = engine(&port, &b, NULL);
	ck_assert_int_eq(gx_connect(gx, &err), 1);
	ck_assert_int_eq(gx_read(gx, "serialdump", 0x200, sizeof(got), sizeof(got), 3,
				 sink_copy, &at, &err), 0);
	ck_assert_mem_eq(got, flash4k + 0x200, sizeof(got));
	ck_assert_int_eq(b.dumps, 2);
	ck_assert_int_eq(count_in(b.sent, b.sent_len, "serialdump 0x200 256\n"), 2);
	gx_free(gx);
	box_free(&b);
}
END_TEST

/* Endless garbage after ~sta~: a bounded wait, and an error that names the port. */
START_TEST(endless_garbage_after_sta_is_named)
{
	struct box b;
	struct ub_port port;
	struct ub_err err = { 0 };
	struct gx *gx;
	uint8_t got[256], *at = got;

	loader_box(&b);
	b.garbage_dumps = 1;
	b.garbage_len = 100u << 20;
	gx = engine(&port, &b, NULL);
	ck_assert_int_eq(gx_connect(gx, &err), 1);
	ck_assert_int_eq(gx_read(gx, "serialdump", 0x200, sizeof(got), sizeof(got), 3,
				 sink_copy, &at, &err), -1);
	ck_assert_int_eq(err.status, UB_EFAIL);
	ck_assert_msg(strstr(err.msg, "scripted kept sending for 2 s without a pause"), "%s",
		      err.msg);
	ck_assert_int_lt(b.now_us, 20 * 1000000);
	gx_free(gx);
	box_free(&b);
}
END_TEST

/* Issue 8 item 11: a ROM at another baud sends garbage; the message names -B. */
static void hear_garbled_rom(struct box *b, uint8_t c)
{
	if (b->sent_len == 1 && c == '\n')
		box_say(b, 500, "\xC1\xE7\x9A", 3);
}

START_TEST(garbled_rom_mentions_baud)
{
	struct box b = { .hear = hear_garbled_rom };
	struct ub_port port;
	struct ub_err err = { 0 };
	struct gx_loader ld;
	struct gx *gx;

	fake_loader(&ld);
	gx = engine(&port, &b, &ld);
	ck_assert_int_eq(gx_connect(gx, &err), -1);
	ck_assert_int_eq(err.status, UB_ENODEV);
	ck_assert_msg(strstr(err.msg, "no handshake from the boot ROM on scripted within 2 s"),
		      "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "give it with -B"), "%s", err.msg);
	gx_free(gx);
	box_free(&b);
}
END_TEST

/* A silent box: the message says nothing of -B. */
START_TEST(silent_rom_is_wiring)
{
	struct box b = { .hear = NULL };
	struct ub_port port;
	struct ub_err err = { 0 };
	struct gx_loader ld;
	struct gx *gx;

	fake_loader(&ld);
	gx = engine(&port, &b, &ld);
	ck_assert_int_eq(gx_connect(gx, &err), -1);
	ck_assert_int_eq(err.status, UB_ENODEV);
	ck_assert_msg(strstr(err.msg, "check RX/TX wiring"), "%s", err.msg);
	ck_assert_ptr_null(strstr(err.msg, "-B"));
	gx_free(gx);
	box_free(&b);
}
END_TEST

/* Progress goes to the program's callback: the stage 2 upload, then a read. */
struct seen_progress {
	int calls[2];
	uint64_t last[2], total[2];
};

static void note_progress(void *arg, enum gx_phase phase, uint64_t done, uint64_t total)
{
	struct seen_progress *p = arg;

	ck_assert_uint_le(done, total);
	ck_assert_uint_ge(done, p->last[phase] * (p->calls[phase] && done));
	p->calls[phase]++;
	p->last[phase] = done;
	p->total[phase] = total;
}

START_TEST(progress_is_a_callback)
{
	struct box b;
	struct ub_port port = { .ops = &box_ops, .priv = &b, .name = "scripted" };
	struct ub_err err = { 0 };
	struct seen_progress seen = { .calls = { 0 } };
	struct gx *gx;
	uint8_t got[3000], *at = got;

	loader_box(&b);
	gx = gx_new(&(struct gx_config){ .port = &port, .log = &quiet_log, .handshake_ms = 1000,
					 .progress = { note_progress, &seen } }, &err);
	ck_assert_ptr_nonnull(gx);
	ck_assert_int_eq(gx_connect(gx, &err), 1);
	ck_assert_int_eq(gx_read(gx, "serialdump", 0, sizeof(got), 1024, 0, sink_copy, &at,
				 &err), 0);
	ck_assert_int_eq(seen.calls[GX_PHASE_DATA], 4);  /* 0, 1024, 2048, 3000 */
	ck_assert_uint_eq(seen.last[GX_PHASE_DATA], sizeof(got));
	ck_assert_uint_eq(seen.total[GX_PHASE_DATA], sizeof(got));
	ck_assert_int_eq(seen.calls[GX_PHASE_LOADER], 0);
	gx_free(gx);
	box_free(&b);
}
END_TEST

/* Issue 8 item 11: -L DIR says it is a directory, not "Cannot allocate memory". */
START_TEST(loader_that_is_a_directory)
{
	struct gx_loader ld;
	struct ub_err err = { 0 };

	ck_assert_int_eq(gx_loader_load("/tmp", &ld, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_str_eq(err.msg, "loader /tmp is a directory: give the .boot file in it");
	gx_loader_free(&ld);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("gx");
	TCase *tc = tcase_create("protocol");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, xorsum_vectors);
	tcase_add_loop_test(tc, every_loader_header_and_sum, 0,
			    sizeof(loaders) / sizeof(loaders[0]));
	tcase_add_test(tc, stage1_sizes);
	tcase_add_test(tc, loader_without_magic);
	tcase_add_test(tc, loader_shorter_than_stage1);
	tcase_add_test(tc, legacy_loader_accepted);
	tcase_add_test(tc, loader_that_is_a_directory);
	tcase_add_test(tc, banner_of_the_capture);
	tcase_add_test(tc, golden_boot_of_gemini_6702h5);
	tcase_add_loop_test(tc, streaming_loader_is_drained_not_booted, 0,
			    sizeof(streaming_cases) / sizeof(streaming_cases[0]));
	tcase_add_loop_test(tc, rom_burst_is_answered_at_once, 0,
			    sizeof(rom_cases) / sizeof(rom_cases[0]));
	tcase_add_test(tc, prompt_flood_is_named);
	tcase_add_test(tc, garbage_after_sta_is_retried);
	tcase_add_test(tc, endless_garbage_after_sta_is_named);
	tcase_add_test(tc, garbled_rom_mentions_baud);
	tcase_add_test(tc, silent_rom_is_wiring);
	tcase_add_test(tc, progress_is_a_callback);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
