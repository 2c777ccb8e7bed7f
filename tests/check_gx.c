/* SPDX-License-Identifier: MIT */
/*
 * The GX protocol engine (uart/gx.c) on its own: loader files, checksums,
 * the banner, and the golden exchange against the capture through a
 * scripted port that answers with the captured device bytes.
 */
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

/* ---- golden: a port that plays the captured device side ---- */

struct scripted {
	uint8_t *sent;
	size_t sent_len, sent_cap;
	struct { const uint8_t *data; size_t len, after; } step[4];
	int nsteps, next;
	unsigned bauds[8];
	int nbauds;
};

static int scripted_set_line(void *priv, const struct ub_port_line *line, struct ub_err *err)
{
	struct scripted *s = priv;

	(void)err;
	if (s->nbauds < 8)
		s->bauds[s->nbauds++] = line->baud;
	return 0;
}

static int scripted_write(void *priv, const void *buf, size_t len, struct ub_err *err)
{
	struct scripted *s = priv;

	(void)err;
	if (s->sent_len + len > s->sent_cap) {
		s->sent_cap = (s->sent_len + len) * 2;
		s->sent = realloc(s->sent, s->sent_cap);
	}
	memcpy(s->sent + s->sent_len, buf, len);
	s->sent_len += len;
	return 0;
}

/* Each captured packet comes once the host has sent what preceded it. */
static ssize_t scripted_read(void *priv, void *buf, size_t cap, int timeout_ms,
			     struct ub_err *err)
{
	struct scripted *s = priv;

	(void)err;
	(void)timeout_ms;
	if (s->next < s->nsteps && s->sent_len >= s->step[s->next].after) {
		size_t n = s->step[s->next].len < cap ? s->step[s->next].len : cap;

		memcpy(buf, s->step[s->next].data, n);
		s->step[s->next].data += n;
		s->step[s->next].len -= n;
		if (!s->step[s->next].len)
			s->next++;
		return (ssize_t)n;
	}
	return 0;
}

static int scripted_ok(void *priv, struct ub_err *err)
{
	(void)priv;
	(void)err;
	return 0;
}

static int scripted_modem(void *priv, char which, int value, struct ub_err *err)
{
	(void)priv;
	(void)which;
	(void)value;
	(void)err;
	return 1;
}

static void scripted_close(void *priv)
{
	(void)priv;
}

static const struct ub_port_ops scripted_ops = {
	scripted_set_line, scripted_write, scripted_read, scripted_ok, scripted_ok,
	scripted_modem, scripted_close,
};

START_TEST(golden_boot_of_gemini_6702h5)
{
	char lpath[512], p[4][512];
	const char *names[4] = { "gx/packets/sent_000001.txt", "gx/packets/sent_000002.txt",
				 "gx/packets/recv_000001.txt", "gx/packets/recv_000002.txt" };
	uint8_t *cap[4], *banner;
	size_t caplen[4], banner_len;
	struct scripted s = { .nsteps = 3 };
	struct ub_port port = { .ops = &scripted_ops, .priv = &s, .name = "scripted" };
	struct gx_loader ld;
	struct ub_log quiet = { UB_LOG_ERR, ub_log_stderr, (void *)"check_gx" };
	struct ub_err err = { 0 };
	struct gx gx;

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
	s.step[0].data = cap[2], s.step[0].len = caplen[2], s.step[0].after = 1;
	s.step[1].data = cap[3], s.step[1].len = caplen[3], s.step[1].after = 1 + caplen[0] + 4;
	s.step[2].data = banner, s.step[2].len = banner_len, s.step[2].after = 1 + caplen[0] + caplen[1];
	port.line.baud = 115200;
	gx = (struct gx){ .port = &port, .log = &quiet, .loader = &ld,
			  .boot = { 0, 2000 } };
	ck_assert_int_eq(gx_connect(&gx, &err), 0);
	ck_assert_uint_eq(s.sent_len, 1 + caplen[0] + caplen[1]);
	ck_assert_int_eq(s.sent[0], '\n');
	ck_assert_msg(!memcmp(s.sent + 1, cap[0], caplen[0]), "stage 1 differs from sent_000001");
	ck_assert_msg(!memcmp(s.sent + 1 + caplen[0], cap[1], caplen[1]),
		      "boot + stage 2 differ from sent_000002");
	ck_assert_str_eq(gx.info.board, "6702H5");
	ck_assert_int_eq(gx.info.nparts, 6);
	gx_loader_free(&ld);
	for (int i = 0; i < 4; i++)
		free(cap[i]);
	free(banner);
	free(s.sent);
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
	tcase_add_test(tc, banner_of_the_capture);
	tcase_add_test(tc, golden_boot_of_gemini_6702h5);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
