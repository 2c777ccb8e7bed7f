/* SPDX-License-Identifier: MIT */
/*
 * WinnerMicro image files (uart/w800_image.c): the header builder against
 * the W800 read stub's real header (../shared/notes/uart-chips.md §3.4),
 * and the streaming checker on .img and .fls files fed in pieces of every
 * size, on each corruption, and on raw binaries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "stub.h"
#include "testutil.h"
#include "w800_image.h"

#define FILE_MAX (64 * 1024)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A test file under construction. */
struct file {
	uint8_t data[FILE_MAX];
	size_t len;
};

static void fill_body(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 8));
}

/* Append header + body (padded for W600) and return the image's offset. */
static size_t add_image(struct file *f, const struct w800_img_fields *fields, size_t body_len,
			unsigned seed)
{
	size_t at = f->len;
	size_t hsize = w800_img_header_size(fields->format);
	uint8_t *body = f->data + at + hsize;
	uint64_t stored = fields->format == W800_IMG_W600 ? w800_img_padded_len(body_len) : body_len;
	uint32_t crc;

	ck_assert_uint_le(at + hsize + stored, FILE_MAX);
	fill_body(body, body_len, seed);
	memset(body + body_len, 0, (size_t)(stored - body_len));
	crc = ub_crc32_wm(UB_CRC32_WM_INIT, body, body_len);
	if (fields->format == W800_IMG_W600)
		crc = w800_img_padded_crc(crc, body_len);
	ck_assert_uint_eq(w800_img_build_header(fields, (uint32_t)stored, crc, f->data + at), hsize);
	f->len = at + hsize + (size_t)stored;
	return at;
}

static void w800_fields(struct w800_img_fields *f, uint32_t attr, uint32_t run, uint32_t header)
{
	w800_img_defaults(W800_IMG_W800, f);
	f->attr = attr;
	f->run_addr = run;
	f->header_addr = header;
	memcpy(f->version, "G1.2", 4);
}

/* secboot (type 0) at 0 and a user image (type 1) after it, as an .fls. */
static void two_image_fls(struct file *f, size_t *second)
{
	struct w800_img_fields sec, user;

	f->len = 0;
	w800_fields(&sec, 0, 0x08002100, 0x08002000);
	w800_fields(&user, 1, 0x08010400, 0x08010000);
	user.upd_no = 7;
	user.next = 0x080D0000;
	add_image(f, &sec, 1000, 1);
	*second = add_image(f, &user, 2001, 2);
}

/* Feed data in pieces of piece bytes (0: whole), then end. */
static int scan(const uint8_t *data, size_t len, size_t piece, enum w800_img_format hint,
		struct w800_img_scan *sc, struct ub_err *err)
{
	size_t off = 0;

	memset(err, 0, sizeof(*err));
	w800_img_scan_init(sc, hint);
	if (piece == 0)
		piece = len ? len : 1;
	while (off < len) {
		size_t n = len - off < piece ? len - off : piece;

		if (w800_img_scan_feed(sc, data + off, n, err))
			return -1;
		off += n;
	}
	return w800_img_scan_end(sc, err);
}

static const size_t pieces[] = { 1, 7, 0 };

/* The file is accepted alike in 1-byte, 7-byte and whole pieces; sc is the whole one's. */
static void assert_scans(const uint8_t *data, size_t len, enum w800_img_format hint,
			 struct w800_img_scan *sc)
{
	struct w800_img_scan first;
	struct ub_err err;

	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		if (scan(data, len, pieces[i], hint, sc, &err))
			ck_abort_msg("pieces of %zu: %s", pieces[i], err.msg);
		ck_assert_int_eq(err.status, 0);
		if (i == 0) {
			first = *sc;
			continue;
		}
		ck_assert_int_eq(sc->raw, first.raw);
		ck_assert_uint_eq(sc->len, first.len);
		ck_assert_uint_eq(sc->raw_crc, first.raw_crc);
		ck_assert_uint_eq(sc->count, first.count);
		ck_assert(memcmp(sc->image, first.image, sizeof(sc->image)) == 0);
	}
}

/* The file fails with exactly this line and status 2, in every piece size. */
static void assert_scan_error(const uint8_t *data, size_t len, enum w800_img_format hint,
			      const char *expected)
{
	struct w800_img_scan sc;
	struct ub_err err;

	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		ck_assert_int_eq(scan(data, len, pieces[i], hint, &sc, &err), -1);
		ck_assert_int_eq(err.status, UB_EUSAGE);
		ck_assert_msg(strcmp(err.msg, expected) == 0, "pieces of %zu:\n got  %s\n want %s",
			      pieces[i], err.msg, expected);
	}
}

/* ---- the CRC and the layout ---- */

START_TEST(crc32_check_value)
{
	const uint8_t *s = (const uint8_t *)"123456789";

	/* notes/uart-chips.md, the table at the top */
	ck_assert_uint_eq(ub_crc32_wm(UB_CRC32_WM_INIT, s, 9), 0x340BC6D9u);
	ck_assert_uint_eq(ub_crc32_wm(ub_crc32_wm(UB_CRC32_WM_INIT, s, 4), s + 4, 5), 0x340BC6D9u);
}
END_TEST

START_TEST(padding_helpers)
{
	const uint8_t *s = (const uint8_t *)"12345\0\0\0";

	ck_assert_uint_eq(w800_img_padded_len(0), 0);
	ck_assert_uint_eq(w800_img_padded_len(1), 4);
	ck_assert_uint_eq(w800_img_padded_len(4), 4);
	ck_assert_uint_eq(w800_img_padded_len(5), 8);
	ck_assert_uint_eq(w800_img_padded_len(0xFFFFFFFDu), 0x100000000u);
	ck_assert_uint_eq(w800_img_padded_crc(ub_crc32_wm(UB_CRC32_WM_INIT, s, 5), 5),
			  ub_crc32_wm(UB_CRC32_WM_INIT, s, 8));
	ck_assert_uint_eq(w800_img_padded_crc(0x12345678u, 8), 0x12345678u);
}
END_TEST

START_TEST(names_and_sizes)
{
	ck_assert_uint_eq(w800_img_header_size(W800_IMG_W800), 64);
	ck_assert_uint_eq(w800_img_header_size(W800_IMG_W600), 56);
	ck_assert_uint_eq(w800_img_header_size(W800_IMG_AUTO), 0);
	ck_assert_str_eq(w800_img_type_name(W800_IMG_SECBOOT), "secboot");
	ck_assert_str_eq(w800_img_type_name(W800_IMG_USER), "user");
	ck_assert_str_eq(w800_img_type_name(W800_IMG_RAM), "ram");
	ck_assert_str_eq(w800_img_type_name(W800_IMG_OTHER), "other");
	ck_assert_str_eq(w800_img_format_name(W800_IMG_W800), "W800");
	ck_assert_str_eq(w800_img_format_name(W800_IMG_W600), "W600");
	ck_assert_str_eq(w800_img_format_name(W800_IMG_AUTO), "auto");
}
END_TEST

START_TEST(types)
{
	/* W800 img_attr bits 0-3 (OpenW800 wm_fwup.h): 0 secboot, 1 user, 0xE test */
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W800, 0x200, 0x08002400u), W800_IMG_SECBOOT);
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W800, 0x1, 0x08010400u), W800_IMG_USER);
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W800, 0x10101, 0x08010400u), W800_IMG_USER);
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W800, 0xE, 0x08010400u), W800_IMG_OTHER);
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W800, 0x200, 0x20004000u), W800_IMG_RAM);
	/* W600 img_type (makeimg.c): 0 user, 1 reserved, 2 secboot */
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W600, 0, 0x10100u), W800_IMG_USER);
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W600, 0x10000, 0x10100u), W800_IMG_USER);
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W600, 2, 0x2100u), W800_IMG_SECBOOT);
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W600, 1, 0x10100u), W800_IMG_OTHER);
	ck_assert_int_eq(w800_img_type_of(W800_IMG_W600, 0, 0x20000000u), W800_IMG_RAM);
}
END_TEST

/* wm_tool.c 1.0.4's option defaults; the W600 SDK's makeimg arguments. */
START_TEST(defaults_are_the_vendors)
{
	struct w800_img_fields f;
	static const uint8_t no_version[W800_IMG_VERSION_LEN];

	w800_img_defaults(W800_IMG_W800, &f);
	ck_assert_int_eq(f.format, W800_IMG_W800);
	ck_assert_uint_eq(f.attr, 0);                 /* -it 0, uncompressed */
	ck_assert_uint_eq(f.run_addr, 0x08002400u);   /* -ra */
	ck_assert_uint_eq(f.header_addr, 0x08002000u); /* -ih */
	ck_assert_uint_eq(f.upgrade_addr, 0x08090000u); /* -ua */
	ck_assert_uint_eq(f.upd_no, 0);               /* -un */
	ck_assert_uint_eq(f.next, 0);                 /* -nh */
	ck_assert(memcmp(f.version, no_version, sizeof(no_version)) == 0); /* -vs */

	w800_img_defaults(W800_IMG_W600, &f);
	ck_assert_int_eq(f.format, W800_IMG_W600);
	ck_assert_uint_eq(f.attr, 0);                 /* user image, not compressed */
	ck_assert_uint_eq(f.run_addr, 0x10100u);
	ck_assert_uint_eq(f.upgrade_addr, 0x90000u);
	ck_assert_uint_eq(f.upd_no, 0);
}
END_TEST

/* Every field at its offset (wm_tool.c's struct, makeimg.c's T_BOOTER). */
START_TEST(header_layouts)
{
	struct w800_img_fields f;
	uint8_t h[64];

	memset(&f, 0, sizeof(f));
	f.format = W800_IMG_W800;
	f.attr = 0x11121314u;
	f.run_addr = 0x21222324u;
	f.header_addr = 0x31323334u;
	f.upgrade_addr = 0x41424344u;
	f.upd_no = 0x51525354u;
	f.next = 0x61626364u;
	memcpy(f.version, "0123456789abcdef", 16);
	memset(h, 0xAA, sizeof(h));
	ck_assert_uint_eq(w800_img_build_header(&f, 0x71727374u, 0x81828384u, h), 64);
	ck_assert_uint_eq(le32(h + 0), 0xA0FFFF9Fu);
	ck_assert_uint_eq(le32(h + 4), 0x11121314u);
	ck_assert_uint_eq(le32(h + 8), 0x21222324u);
	ck_assert_uint_eq(le32(h + 12), 0x71727374u);
	ck_assert_uint_eq(le32(h + 16), 0x31323334u);
	ck_assert_uint_eq(le32(h + 20), 0x41424344u);
	ck_assert_uint_eq(le32(h + 24), 0x81828384u);
	ck_assert_uint_eq(le32(h + 28), 0x51525354u);
	ck_assert(memcmp(h + 32, "0123456789abcdef", 16) == 0);
	ck_assert_uint_eq(le32(h + 48), 0);
	ck_assert_uint_eq(le32(h + 52), 0);
	ck_assert_uint_eq(le32(h + 56), 0x61626364u);
	ck_assert_uint_eq(le32(h + 60), ub_crc32_wm(UB_CRC32_WM_INIT, h, 60));

	f.format = W800_IMG_W600;
	memset(h, 0xAA, sizeof(h));
	ck_assert_uint_eq(w800_img_build_header(&f, 0x71727374u, 0x81828384u, h), 56);
	ck_assert_uint_eq(le32(h + 0), 0xA0FFFF9Fu);
	ck_assert_uint_eq(le32(h + 4), 0x11121314u);   /* img_type, zip_type */
	ck_assert_uint_eq(le32(h + 8), 0x21222324u);   /* run_img_addr */
	ck_assert_uint_eq(le32(h + 12), 0x71727374u);  /* run_img_len */
	ck_assert_uint_eq(le32(h + 16), 0x81828384u);  /* run_org_checksum */
	ck_assert_uint_eq(le32(h + 20), 0x41424344u);  /* upd_img_addr */
	ck_assert_uint_eq(le32(h + 24), 0x71727374u);  /* upd_img_len */
	ck_assert_uint_eq(le32(h + 28), 0x81828384u);  /* upd_checksum */
	ck_assert_uint_eq(le32(h + 32), 0x51525354u);  /* upd_no */
	ck_assert(memcmp(h + 36, "0123456789abcdef", 16) == 0);
	ck_assert_uint_eq(le32(h + 52), ub_crc32_wm(UB_CRC32_WM_INIT, h, 52));
	ck_assert_uint_eq(h[56], 0xAA);  /* nothing written past the header */

	f.format = W800_IMG_AUTO;
	ck_assert_uint_eq(w800_img_build_header(&f, 0, 0, h), 0);
}
END_TEST

/* ---- the golden: the W800 read stub's own header ---- */

static int load_stub(struct ub_stub *stub)
{
	char path[512];
	struct ub_err err = { 0 };

	if (!tu_shared("w800/W800_Stub.bin", path, sizeof(path)))
		return 0;
	if (ub_stub_load(path, 1 << 20, stub, &err))
		ck_abort_msg("%s", err.msg);
	ck_assert(stub->gzipped);
	ck_assert_uint_eq(stub->len, 3140);
	return 1;
}

START_TEST(golden_stub_header)
{
	struct ub_stub stub;
	struct w800_img_fields f;
	uint8_t h[64];
	const uint8_t *body;
	uint32_t crc;

	if (!load_stub(&stub))
		return;
	body = stub.data + 64;
	crc = ub_crc32_wm(UB_CRC32_WM_INIT, body, 3076);
	ck_assert_uint_eq(crc, 0x3BACBCE3u);   /* notes §3.4 */

	/*
	 * The stub's own fields (notes §3.4): attr 0x200, img_addr and
	 * img_header_addr 0x20004000 (SRAM), upgrade_img_addr 0 (wm_tool's
	 * default is 0x08090000), version "1.0.01\n". upd_no 0, next 0 and the
	 * reserved words 0 are wm_tool's defaults.
	 */
	w800_img_defaults(W800_IMG_W800, &f);
	f.attr = 0x200;
	f.run_addr = 0x20004000u;
	f.header_addr = 0x20004000u;
	f.upgrade_addr = 0;
	memcpy(f.version, "1.0.01\n", 7);
	ck_assert_uint_eq(le32(stub.data + 20), f.upgrade_addr);
	ck_assert_uint_eq(le32(stub.data + 28), f.upd_no);
	ck_assert_uint_eq(le32(stub.data + 56), f.next);

	ck_assert_uint_eq(w800_img_build_header(&f, 3076, crc, h), 64);
	ck_assert_uint_eq(le32(h + 60), 0xA8444E45u);
	for (int i = 0; i < 64; i++)
		ck_assert_msg(h[i] == stub.data[i], "byte %d: 0x%02X, the stub has 0x%02X", i, h[i],
			      stub.data[i]);
	ub_stub_free(&stub);
}
END_TEST

START_TEST(golden_stub_scans_as_one_ram_image)
{
	struct ub_stub stub;
	struct w800_img_scan sc;
	const struct w800_img_info *im = &sc.image[0];

	if (!load_stub(&stub))
		return;
	assert_scans(stub.data, stub.len, W800_IMG_AUTO, &sc);
	ck_assert_int_eq(sc.raw, 0);
	ck_assert_uint_eq(sc.len, 3140);
	ck_assert_uint_eq(sc.count, 1);
	ck_assert_int_eq(im->format, W800_IMG_W800);
	ck_assert_int_eq(im->type, W800_IMG_RAM);
	ck_assert_uint_eq(im->offset, 0);
	ck_assert_uint_eq(im->size, 3140);
	ck_assert_uint_eq(im->attr, 0x200);
	ck_assert_uint_eq(im->run_addr, 0x20004000u);
	ck_assert_uint_eq(im->header_addr, 0x20004000u);
	ck_assert_uint_eq(im->upgrade_addr, 0);
	ck_assert_uint_eq(im->body_len, 0xC04);
	ck_assert_uint_eq(im->body_crc, 0x3BACBCE3u);
	ck_assert_uint_eq(im->header_crc, 0xA8444E45u);
	ck_assert_uint_eq(im->upd_no, 0);
	ck_assert_uint_eq(im->next, 0);
	ck_assert_int_eq(im->signature, 0);
	ck_assert_str_eq(im->version, "1.0.01\n");

	assert_scans(stub.data, stub.len, W800_IMG_W800, &sc);
	ck_assert_uint_eq(sc.count, 1);
	assert_scan_error(stub.data, stub.len, W800_IMG_W600,
			  "image 1 (at 0x0): a W800 header (CRC at byte 60), not a W600 one");
	ub_stub_free(&stub);
}
END_TEST

/* One bit of the stub's upd_no, and one of its body: literal messages. */
START_TEST(golden_stub_corrupted)
{
	struct ub_stub stub;

	if (!load_stub(&stub))
		return;
	stub.data[64 + 100] ^= 0x01;
	assert_scan_error(stub.data, stub.len, W800_IMG_AUTO,
			  "image 1 (at 0x0): body CRC 0x3BACBCE3 does not match the body (0x08C8899A)");
	stub.data[64 + 100] ^= 0x01;
	stub.data[28] ^= 0x80;
	assert_scan_error(stub.data, stub.len, W800_IMG_W800,
			  "image 1 (at 0x0): header CRC 0xA8444E45 does not match its bytes (0x428F390D)");
	ub_stub_free(&stub);
}
END_TEST

/* ---- .fls files ---- */

START_TEST(fls_of_secboot_and_user)
{
	static struct file f;
	struct w800_img_scan sc;
	size_t second;

	two_image_fls(&f, &second);
	ck_assert_uint_eq(second, 64 + 1000);
	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_int_eq(sc.raw, 0);
	ck_assert_uint_eq(sc.len, f.len);
	ck_assert_uint_eq(sc.count, 2);

	ck_assert_int_eq(sc.image[0].format, W800_IMG_W800);
	ck_assert_int_eq(sc.image[0].type, W800_IMG_SECBOOT);
	ck_assert_uint_eq(sc.image[0].offset, 0);
	ck_assert_uint_eq(sc.image[0].size, 64 + 1000);
	ck_assert_uint_eq(sc.image[0].run_addr, 0x08002100u);
	ck_assert_uint_eq(sc.image[0].header_addr, 0x08002000u);
	ck_assert_uint_eq(sc.image[0].upgrade_addr, 0x08090000u);
	ck_assert_uint_eq(sc.image[0].body_len, 1000);
	ck_assert_uint_eq(sc.image[0].body_crc, ub_crc32_wm(UB_CRC32_WM_INIT, f.data + 64, 1000));
	ck_assert_uint_eq(sc.image[0].header_crc, le32(f.data + 60));
	ck_assert_str_eq(sc.image[0].version, "G1.2");

	ck_assert_int_eq(sc.image[1].type, W800_IMG_USER);
	ck_assert_uint_eq(sc.image[1].offset, second);
	ck_assert_uint_eq(sc.image[1].size, 64 + 2001);
	ck_assert_uint_eq(sc.image[1].attr, 1);
	ck_assert_uint_eq(sc.image[1].run_addr, 0x08010400u);
	ck_assert_uint_eq(sc.image[1].header_addr, 0x08010000u);
	ck_assert_uint_eq(sc.image[1].body_len, 2001);
	ck_assert_uint_eq(sc.image[1].upd_no, 7);
	ck_assert_uint_eq(sc.image[1].next, 0x080D0000u);
}
END_TEST

START_TEST(fls_order_is_free)
{
	static struct file f, swapped;
	struct w800_img_scan sc;
	size_t second;

	two_image_fls(&f, &second);
	memcpy(swapped.data, f.data + second, f.len - second);
	memcpy(swapped.data + f.len - second, f.data, second);
	swapped.len = f.len;
	assert_scans(swapped.data, swapped.len, W800_IMG_AUTO, &sc);
	ck_assert_uint_eq(sc.count, 2);
	ck_assert_int_eq(sc.image[0].type, W800_IMG_USER);
	ck_assert_int_eq(sc.image[1].type, W800_IMG_SECBOOT);
	ck_assert_uint_eq(sc.image[1].offset, f.len - second);
}
END_TEST

START_TEST(eight_images_and_not_nine)
{
	static struct file f;
	struct w800_img_fields user;
	struct w800_img_scan sc;
	size_t ninth = 0;
	char want[160];

	w800_fields(&user, 1, 0x08010400, 0x08010000);
	f.len = 0;
	for (unsigned i = 0; i < 8; i++)
		add_image(&f, &user, 10 + i, i);
	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_uint_eq(sc.count, 8);
	ck_assert_uint_eq(sc.image[7].body_len, 17);
	ninth = add_image(&f, &user, 5, 9);
	snprintf(want, sizeof(want), "image 9 (at 0x%zX): more than 8 images in one file", ninth);
	assert_scan_error(f.data, f.len, W800_IMG_AUTO, want);
}
END_TEST

/* An image may have no body: its CRC is then the CRC of nothing. */
START_TEST(empty_body)
{
	static struct file f;
	struct w800_img_fields user;
	struct w800_img_scan sc;

	w800_fields(&user, 1, 0x08010400, 0x08010000);
	f.len = 0;
	add_image(&f, &user, 0, 0);
	ck_assert_uint_eq(le32(f.data + 24), 0xFFFFFFFFu);
	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_uint_eq(sc.count, 1);
	ck_assert_uint_eq(sc.image[0].size, 64);
	add_image(&f, &user, 0, 0);
	add_image(&f, &user, 8, 1);
	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_uint_eq(sc.count, 3);
	ck_assert_uint_eq(sc.image[2].offset, 128);

	set_le32(f.data + 64 + 24, 0);
	set_le32(f.data + 64 + 60, ub_crc32_wm(UB_CRC32_WM_INIT, f.data + 64, 60));
	assert_scan_error(f.data, 128, W800_IMG_AUTO,
			  "image 2 (at 0x40): body CRC 0x00000000 does not match the body (0xFFFFFFFF)");
}
END_TEST

/* ---- corruptions, each with its exact line ---- */

/* Every byte the header CRC covers, in the second image and the first. */
START_TEST(header_field_corrupted)
{
	static struct file f;
	/* img_attr, img_addr, img_len, img_header_addr, upgrade_img_addr, org_checksum,
	   upd_no, ver (first and last byte), reserved0, reserved1, next, hd_checksum */
	static const size_t fields[] = { 4, 8, 12, 16, 20, 24, 28, 32, 47, 48, 52, 56, 60, 63 };
	size_t second, i = (size_t)_i % (sizeof(fields) / sizeof(fields[0]));
	size_t image = (size_t)_i / (sizeof(fields) / sizeof(fields[0]));
	size_t base;
	uint8_t *h;
	char want[200];

	two_image_fls(&f, &second);
	base = image ? second : 0;
	h = f.data + base;
	h[fields[i]] ^= 0x10;
	snprintf(want, sizeof(want), "image %zu (at 0x%zX): header CRC 0x%08X does not match its bytes (0x%08X)%s",
		 image + 1, base, le32(h + 60), ub_crc32_wm(UB_CRC32_WM_INIT, h, 60),
		 image ? "" : ", and no W600 header CRC matches at byte 52 either");
	assert_scan_error(f.data, f.len, W800_IMG_AUTO, want);
	if (image == 0) {
		snprintf(want, sizeof(want), "image 1 (at 0x0): header CRC 0x%08X does not match its bytes (0x%08X)",
			 le32(h + 60), ub_crc32_wm(UB_CRC32_WM_INIT, h, 60));
		assert_scan_error(f.data, f.len, W800_IMG_W800, want);
	}
}
END_TEST

START_TEST(second_magic_corrupted)
{
	static struct file f;
	size_t second;
	char want[160];

	two_image_fls(&f, &second);
	f.data[second + 3] ^= 0x01;
	snprintf(want, sizeof(want), "image 2 (at 0x%zX): magic 0xA1FFFF9F is not 0xA0FFFF9F", second);
	assert_scan_error(f.data, f.len, W800_IMG_AUTO, want);
}
END_TEST

/* Without its magic at 0 a file is a plain binary, whatever follows. */
START_TEST(first_magic_corrupted_is_raw)
{
	static struct file f;
	struct w800_img_scan sc;
	size_t second;

	two_image_fls(&f, &second);
	f.data[0] ^= 0x01;
	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_int_eq(sc.raw, 1);
	ck_assert_uint_eq(sc.count, 0);
	ck_assert_uint_eq(sc.len, f.len);
	ck_assert_uint_eq(sc.raw_crc, ub_crc32_wm(UB_CRC32_WM_INIT, f.data, f.len));
}
END_TEST

START_TEST(body_byte_corrupted)
{
	static struct file f;
	size_t second;
	char want[160];
	uint32_t good;

	two_image_fls(&f, &second);
	good = le32(f.data + second + 24);
	f.data[second + 64 + 2000] ^= 0x04;   /* its last byte */
	snprintf(want, sizeof(want), "image 2 (at 0x%zX): body CRC 0x%08X does not match the body (0x%08X)",
		 second, good, ub_crc32_wm(UB_CRC32_WM_INIT, f.data + second + 64, 2001));
	assert_scan_error(f.data, f.len, W800_IMG_AUTO, want);

	two_image_fls(&f, &second);
	good = le32(f.data + 24);
	f.data[64] ^= 0x80;                   /* the first image's first byte */
	snprintf(want, sizeof(want), "image 1 (at 0x0): body CRC 0x%08X does not match the body (0x%08X)",
		 good, ub_crc32_wm(UB_CRC32_WM_INIT, f.data + 64, 1000));
	assert_scan_error(f.data, f.len, W800_IMG_AUTO, want);
}
END_TEST

START_TEST(body_cut_short)
{
	static struct file f;
	size_t second;
	char want[160];

	two_image_fls(&f, &second);
	snprintf(want, sizeof(want), "image 2 (at 0x%zX): img_len 0x7D1 runs past the end of the file (0x%zX bytes)",
		 second, f.len - 1);
	assert_scan_error(f.data, f.len - 1, W800_IMG_AUTO, want);
	snprintf(want, sizeof(want), "image 2 (at 0x%zX): img_len 0x7D1 runs past the end of the file (0x%zX bytes)",
		 second, second + 64);
	assert_scan_error(f.data, second + 64, W800_IMG_AUTO, want);
	assert_scan_error(f.data, 500, W800_IMG_AUTO,
			  "image 1 (at 0x0): img_len 0x3E8 runs past the end of the file (0x1F4 bytes)");
}
END_TEST

START_TEST(header_cut_short)
{
	static struct file f;
	size_t second;
	char want[160];

	two_image_fls(&f, &second);
	snprintf(want, sizeof(want),
		 "image 2 (at 0x%zX): the file ends 10 bytes into the header (W800 headers are 64 bytes)",
		 second);
	assert_scan_error(f.data, second + 10, W800_IMG_AUTO, want);
	snprintf(want, sizeof(want),
		 "image 2 (at 0x%zX): the file ends 63 bytes into the header (W800 headers are 64 bytes)",
		 second);
	assert_scan_error(f.data, second + 63, W800_IMG_AUTO, want);
	snprintf(want, sizeof(want),
		 "image 2 (at 0x%zX): the file ends 2 bytes into the header (W800 headers are 64 bytes)",
		 second);
	assert_scan_error(f.data, second + 2, W800_IMG_AUTO, want);
	/* A file that starts with the magic but cannot hold a header. */
	assert_scan_error(f.data, 4, W800_IMG_AUTO,
			  "image 1 (at 0x0): the file ends 4 bytes into the header "
			  "(W800 headers are 64 bytes, W600 56)");
	assert_scan_error(f.data, 60, W800_IMG_W800,
			  "image 1 (at 0x0): the file ends 60 bytes into the header (W800 headers are 64 bytes)");
	assert_scan_error(f.data, 57, W800_IMG_W600,
			  "image 1 (at 0x0): the file ends 57 bytes into the header (W600 headers are 56 bytes)");
}
END_TEST

START_TEST(errors_repeat_after_the_first)
{
	static struct file f;
	struct w800_img_scan sc;
	struct ub_err err = { 0 }, again = { 0 };
	size_t second;

	two_image_fls(&f, &second);
	f.data[70] ^= 0x01;
	w800_img_scan_init(&sc, W800_IMG_AUTO);
	ck_assert_int_eq(w800_img_scan_feed(&sc, f.data, f.len, &err), -1);
	ck_assert_int_eq(w800_img_scan_feed(&sc, f.data, 1, &again), -1);
	ck_assert_str_eq(again.msg, err.msg);
	memset(&again, 0, sizeof(again));
	ck_assert_int_eq(w800_img_scan_end(&sc, &again), -1);
	ck_assert_int_eq(again.status, UB_EUSAGE);
	ck_assert_str_eq(again.msg, err.msg);
}
END_TEST

START_TEST(empty_file)
{
	assert_scan_error(NULL, 0, W800_IMG_AUTO, "the file is empty");
}
END_TEST

/* ---- signatures ---- */

START_TEST(signed_image_carries_128_bytes)
{
	static struct file f;
	struct w800_img_fields fields;
	struct w800_img_scan sc;
	size_t second;
	char want[200];

	w800_fields(&fields, 1 | W800_IMG_ATTR_SIGNATURE, 0x08010400, 0x08010000);
	f.len = 0;
	add_image(&f, &fields, 300, 3);
	memset(f.data + f.len, 0x5A, W800_IMG_SIGNATURE_LEN);   /* not covered by any CRC */
	f.len += W800_IMG_SIGNATURE_LEN;
	fields.attr = 0;
	second = add_image(&f, &fields, 40, 4);
	ck_assert_uint_eq(second, 64 + 300 + 128);

	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_uint_eq(sc.count, 2);
	ck_assert_int_eq(sc.image[0].signature, 1);
	ck_assert_int_eq(sc.image[0].type, W800_IMG_USER);
	ck_assert_uint_eq(sc.image[0].size, 64 + 300 + 128);
	ck_assert_uint_eq(sc.image[1].offset, second);
	ck_assert_int_eq(sc.image[1].signature, 0);

	snprintf(want, sizeof(want), "image 1 (at 0x0): the 128-byte signature (img_attr bit 8) runs past "
		 "the end of the file (0x%X bytes)", 64 + 300 + 127);
	assert_scan_error(f.data, 64 + 300 + 127, W800_IMG_AUTO, want);
	snprintf(want, sizeof(want), "image 1 (at 0x0): the 128-byte signature (img_attr bit 8) runs past "
		 "the end of the file (0x%X bytes)", 64 + 300);
	assert_scan_error(f.data, 64 + 300, W800_IMG_AUTO, want);
}
END_TEST

/* ---- W600 ---- */

START_TEST(w600_round_trip)
{
	static struct file f;
	struct w800_img_fields user, sec;
	struct w800_img_scan sc;
	size_t second;

	w800_img_defaults(W800_IMG_W600, &user);
	memcpy(user.version, "1.0.01", 6);
	w800_img_defaults(W800_IMG_W600, &sec);
	sec.attr = 2;                      /* makeimg: 2 secboot */
	sec.run_addr = 0x2100;
	f.len = 0;
	add_image(&f, &sec, 1001, 5);      /* padded to 1004 */
	second = add_image(&f, &user, 3, 6);   /* shorter than the 8 bytes read past a W600 header */
	ck_assert_uint_eq(second, 56 + 1004);
	ck_assert_uint_eq(f.len, second + 56 + 4);

	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_uint_eq(sc.count, 2);
	ck_assert_int_eq(sc.image[0].format, W800_IMG_W600);
	ck_assert_int_eq(sc.image[0].type, W800_IMG_SECBOOT);
	ck_assert_uint_eq(sc.image[0].body_len, 1004);
	ck_assert_uint_eq(sc.image[0].body_crc, ub_crc32_wm(UB_CRC32_WM_INIT, f.data + 56, 1004));
	ck_assert_uint_eq(sc.image[0].run_addr, 0x2100);
	ck_assert_uint_eq(sc.image[0].header_addr, 0);
	ck_assert_uint_eq(sc.image[0].size, 56 + 1004);
	ck_assert_uint_eq(sc.image[0].header_crc, le32(f.data + 52));
	ck_assert_int_eq(sc.image[1].format, W800_IMG_W600);
	ck_assert_int_eq(sc.image[1].type, W800_IMG_USER);
	ck_assert_uint_eq(sc.image[1].offset, second);
	ck_assert_uint_eq(sc.image[1].run_addr, 0x10100);
	ck_assert_uint_eq(sc.image[1].upgrade_addr, 0x90000);
	ck_assert_uint_eq(sc.image[1].body_len, 4);
	ck_assert_str_eq(sc.image[1].version, "1.0.01");

	assert_scans(f.data, f.len, W800_IMG_W600, &sc);
	ck_assert_uint_eq(sc.count, 2);
	assert_scan_error(f.data, f.len, W800_IMG_W800,
			  "image 1 (at 0x0): a W600 header (CRC at byte 52), not a W800 one");
}
END_TEST

/* A W600 image shorter than a W800 header is still whole. */
START_TEST(w600_image_under_64_bytes)
{
	static struct file f;
	struct w800_img_fields user;
	struct w800_img_scan sc;

	w800_img_defaults(W800_IMG_W600, &user);
	f.len = 0;
	add_image(&f, &user, 4, 7);
	ck_assert_uint_eq(f.len, 60);
	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_uint_eq(sc.count, 1);
	ck_assert_uint_eq(sc.image[0].body_len, 4);
	assert_scan_error(f.data, 56, W800_IMG_AUTO,
			  "image 1 (at 0x0): run_img_len 0x4 runs past the end of the file (0x38 bytes)");
}
END_TEST

START_TEST(w600_trailing_bytes)
{
	static struct file f;
	struct w800_img_fields user;

	w800_img_defaults(W800_IMG_W600, &user);
	f.len = 0;
	add_image(&f, &user, 4, 7);
	f.data[f.len++] = 0x9F;
	f.data[f.len++] = 0xFF;
	assert_scan_error(f.data, f.len, W800_IMG_AUTO,
			  "image 2 (at 0x3C): the file ends 2 bytes into the header (W600 headers are 56 bytes)");
}
END_TEST

/* makeimg pads every W600 body to 4 bytes; a length that is not is a bad header. */
START_TEST(w600_padding)
{
	static struct file f;
	struct w800_img_fields user;
	uint8_t *h = f.data;

	w800_img_defaults(W800_IMG_W600, &user);
	f.len = 0;
	add_image(&f, &user, 100, 8);
	set_le32(h + 12, 99);              /* run_img_len */
	set_le32(h + 52, ub_crc32_wm(UB_CRC32_WM_INIT, h, 52));
	assert_scan_error(f.data, f.len, W800_IMG_AUTO,
			  "image 1 (at 0x0): run_img_len 0x63 is not a multiple of 4 "
			  "(W600 bodies are padded to 4 bytes)");
	assert_scan_error(f.data, f.len, W800_IMG_W600,
			  "image 1 (at 0x0): run_img_len 0x63 is not a multiple of 4 "
			  "(W600 bodies are padded to 4 bytes)");
}
END_TEST

/* Every byte the W600 header CRC covers. */
START_TEST(w600_header_field_corrupted)
{
	static struct file f;
	struct w800_img_fields user;
	uint8_t *h = f.data;
	char want[200];

	w800_img_defaults(W800_IMG_W600, &user);
	f.len = 0;
	add_image(&f, &user, 100, 8);
	h[_i] ^= 0x02;
	snprintf(want, sizeof(want), "image 1 (at 0x0): header CRC 0x%08X does not match its bytes (0x%08X)",
		 le32(h + 52), ub_crc32_wm(UB_CRC32_WM_INIT, h, 52));
	assert_scan_error(f.data, f.len, W800_IMG_W600, want);
}
END_TEST

/* A compressed W600 body is upd_img_len bytes with upd_checksum; run_* describe the unpacked image. */
START_TEST(w600_compressed_body_is_upd)
{
	static struct file f;
	struct w800_img_fields user;
	struct w800_img_scan sc;
	uint8_t *h = f.data;

	w800_img_defaults(W800_IMG_W600, &user);
	user.attr = W800_IMG_ATTR_ZIP;
	f.len = 0;
	add_image(&f, &user, 200, 9);
	set_le32(h + 12, 5000);            /* run_img_len */
	set_le32(h + 16, 0x12345678u);     /* run_org_checksum */
	set_le32(h + 52, ub_crc32_wm(UB_CRC32_WM_INIT, h, 52));
	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_uint_eq(sc.image[0].body_len, 200);
	ck_assert_uint_eq(sc.image[0].body_crc, ub_crc32_wm(UB_CRC32_WM_INIT, f.data + 56, 200));
	assert_scan_error(f.data, f.len - 4, W800_IMG_AUTO,
			  "image 1 (at 0x0): upd_img_len 0xC8 runs past the end of the file (0xFC bytes)");
}
END_TEST

/* ---- raw binaries ---- */

START_TEST(raw_binary)
{
	static struct file f;
	struct w800_img_scan sc;

	fill_body(f.data, 5000, 11);
	f.data[0] = 0x00;
	assert_scans(f.data, 5000, W800_IMG_AUTO, &sc);
	ck_assert_int_eq(sc.raw, 1);
	ck_assert_uint_eq(sc.count, 0);
	ck_assert_uint_eq(sc.len, 5000);
	ck_assert_uint_eq(sc.raw_crc, ub_crc32_wm(UB_CRC32_WM_INIT, f.data, 5000));
	assert_scans(f.data, 5000, W800_IMG_W600, &sc);
	ck_assert_int_eq(sc.raw, 1);

	/* Shorter than the magic, even when it is the magic's start. */
	f.data[0] = 0x9F;
	f.data[1] = 0xFF;
	assert_scans(f.data, 2, W800_IMG_AUTO, &sc);
	ck_assert_int_eq(sc.raw, 1);
	ck_assert_uint_eq(sc.len, 2);
	ck_assert_uint_eq(sc.raw_crc, ub_crc32_wm(UB_CRC32_WM_INIT, f.data, 2));
}
END_TEST

/* A raw binary packed as wm_tool packs it: padded, and then it scans back. */
START_TEST(raw_binary_packed)
{
	static struct file f;
	struct w800_img_fields fields;
	struct w800_img_scan sc;
	uint8_t *body = f.data + 64;
	uint32_t crc;

	fill_body(body, 1001, 12);
	assert_scans(body, 1001, W800_IMG_AUTO, &sc);
	ck_assert_int_eq(sc.raw, 1);
	crc = w800_img_padded_crc(sc.raw_crc, sc.len);
	w800_img_defaults(W800_IMG_W800, &fields);
	ck_assert_uint_eq(w800_img_build_header(&fields, (uint32_t)w800_img_padded_len(sc.len), crc, f.data), 64);
	memset(body + 1001, 0, 3);
	f.len = 64 + 1004;
	assert_scans(f.data, f.len, W800_IMG_AUTO, &sc);
	ck_assert_int_eq(sc.raw, 0);
	ck_assert_uint_eq(sc.count, 1);
	ck_assert_int_eq(sc.image[0].type, W800_IMG_SECBOOT);   /* wm_tool's -it 0 */
	ck_assert_uint_eq(sc.image[0].body_len, 1004);
	ck_assert_uint_eq(sc.image[0].run_addr, 0x08002400u);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("w800_image");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, crc32_check_value);
	tcase_add_test(tc, padding_helpers);
	tcase_add_test(tc, names_and_sizes);
	tcase_add_test(tc, types);
	tcase_add_test(tc, defaults_are_the_vendors);
	tcase_add_test(tc, header_layouts);
	tcase_add_test(tc, golden_stub_header);
	tcase_add_test(tc, golden_stub_scans_as_one_ram_image);
	tcase_add_test(tc, golden_stub_corrupted);
	tcase_add_test(tc, fls_of_secboot_and_user);
	tcase_add_test(tc, fls_order_is_free);
	tcase_add_test(tc, eight_images_and_not_nine);
	tcase_add_test(tc, empty_body);
	tcase_add_loop_test(tc, header_field_corrupted, 0, 2 * 14);
	tcase_add_test(tc, second_magic_corrupted);
	tcase_add_test(tc, first_magic_corrupted_is_raw);
	tcase_add_test(tc, body_byte_corrupted);
	tcase_add_test(tc, body_cut_short);
	tcase_add_test(tc, header_cut_short);
	tcase_add_test(tc, errors_repeat_after_the_first);
	tcase_add_test(tc, empty_file);
	tcase_add_test(tc, signed_image_carries_128_bytes);
	tcase_add_test(tc, w600_round_trip);
	tcase_add_test(tc, w600_image_under_64_bytes);
	tcase_add_test(tc, w600_trailing_bytes);
	tcase_add_test(tc, w600_padding);
	tcase_add_loop_test(tc, w600_header_field_corrupted, 4, 56);
	tcase_add_test(tc, w600_compressed_body_is_upd);
	tcase_add_test(tc, raw_binary);
	tcase_add_test(tc, raw_binary_packed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
