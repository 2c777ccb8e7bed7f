/* SPDX-License-Identifier: MIT */
#include "w800_image.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crc.h"

enum scan_state {
	SCAN_HEADER,      /* collecting image[count]'s header */
	SCAN_BODY,
	SCAN_SIGNATURE,
	SCAN_RAW,         /* no magic at 0: only the length and CRC */
	SCAN_FAILED,
};

/* W800 header offsets (wm_tool.c's struct; WinnerMicro's firmware_format doc). */
enum {
	W800_ATTR = 4, W800_RUN = 8, W800_LEN = 12, W800_HEADER_ADDR = 16,
	W800_UPGRADE = 20, W800_BODY_CRC = 24, W800_UPD_NO = 28, W800_VERSION = 32,
	W800_NEXT = 56, W800_HEADER_CRC = 60,
};

/* W600 header offsets (makeimg.c's T_BOOTER). */
enum {
	W600_ATTR = 4, W600_RUN = 8, W600_RUN_LEN = 12, W600_RUN_CRC = 16,
	W600_UPD = 20, W600_UPD_LEN = 24, W600_UPD_CRC = 28, W600_UPD_NO = 32,
	W600_VERSION = 36, W600_HEADER_CRC = 52,
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

size_t w800_img_header_size(enum w800_img_format format)
{
	switch (format) {
	case W800_IMG_W800:
		return W800_IMG_W800_HEADER;
	case W800_IMG_W600:
		return W800_IMG_W600_HEADER;
	default:
		return 0;
	}
}

static enum w800_img_format other_format(enum w800_img_format format)
{
	return format == W800_IMG_W800 ? W800_IMG_W600 : W800_IMG_W800;
}

/* The CRC field of a header of this format, and the CRC of the bytes before it. */
static uint32_t stored_header_crc(const uint8_t *h, enum w800_img_format format)
{
	return get32(h + w800_img_header_size(format) - 4);
}

static uint32_t computed_header_crc(const uint8_t *h, enum w800_img_format format)
{
	return ub_crc32_wm(UB_CRC32_WM_INIT, h, w800_img_header_size(format) - 4);
}

static int header_crc_matches(const uint8_t *h, size_t have, enum w800_img_format format)
{
	return have >= w800_img_header_size(format) &&
	       stored_header_crc(h, format) == computed_header_crc(h, format);
}

uint64_t w800_img_padded_len(uint64_t len)
{
	return (len + 3u) & ~(uint64_t)3u;
}

uint32_t w800_img_padded_crc(uint32_t crc, uint64_t len)
{
	static const uint8_t zeros[3];

	return ub_crc32_wm(crc, zeros, (size_t)(w800_img_padded_len(len) - len));
}

const char *w800_img_type_name(enum w800_img_type type)
{
	switch (type) {
	case W800_IMG_SECBOOT:
		return "secboot";
	case W800_IMG_USER:
		return "user";
	case W800_IMG_RAM:
		return "ram";
	default:
		return "other";
	}
}

const char *w800_img_format_name(enum w800_img_format format)
{
	switch (format) {
	case W800_IMG_W800:
		return "W800";
	case W800_IMG_W600:
		return "W600";
	default:
		return "auto";
	}
}

/* ---- the checker ---- */

void w800_img_scan_init(struct w800_img_scan *sc, enum w800_img_format hint)
{
	memset(sc, 0, sizeof(*sc));
	sc->hint = hint;
	sc->format = hint;
	sc->state = SCAN_HEADER;
}

static struct w800_img_info *current(struct w800_img_scan *sc)
{
	return &sc->image[sc->count];
}

/* Fail with "image N (at 0xOFFSET): ..." and keep the line for later calls. */
__attribute__((format(printf, 3, 4)))
static int image_fail(struct w800_img_scan *sc, struct ub_err *err, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ub_fail(&sc->error, UB_EUSAGE, "image %zu (at 0x%llX): %s", sc->count + 1,
		(unsigned long long)sc->offset, what);
	sc->state = SCAN_FAILED;
	return ub_fail(err, sc->error.status, "%s", sc->error.msg);
}

enum w800_img_type w800_img_type_of(enum w800_img_format format, uint32_t attr, uint32_t run_addr)
{
	/* The ROM runs an image whose address is in SRAM: the read stub (notes §3.4). */
	if ((run_addr & 0xF0000000u) == 0x20000000u)
		return W800_IMG_RAM;
	if (format == W800_IMG_W800) {
		switch (attr & W800_IMG_ATTR_TYPE_MASK) {
		case 0:
			return W800_IMG_SECBOOT;
		case 1:
			return W800_IMG_USER;
		default:
			return W800_IMG_OTHER;
		}
	}
	switch (attr & 0xFFFFu) {   /* makeimg: 0 user, 1 reserved, 2 secboot */
	case 0:
		return W800_IMG_USER;
	case 2:
		return W800_IMG_SECBOOT;
	default:
		return W800_IMG_OTHER;
	}
}

static void read_w800_fields(struct w800_img_info *im, const uint8_t *h)
{
	im->attr = get32(h + W800_ATTR);
	im->run_addr = get32(h + W800_RUN);
	im->body_len = get32(h + W800_LEN);
	im->header_addr = get32(h + W800_HEADER_ADDR);
	im->upgrade_addr = get32(h + W800_UPGRADE);
	im->body_crc = get32(h + W800_BODY_CRC);
	im->upd_no = get32(h + W800_UPD_NO);
	memcpy(im->version, h + W800_VERSION, W800_IMG_VERSION_LEN);
	im->next = get32(h + W800_NEXT);
	im->header_crc = get32(h + W800_HEADER_CRC);
	im->signature = (im->attr & W800_IMG_ATTR_SIGNATURE) != 0;
}

/*
 * makeimg puts a compressed body's length and CRC in upd_*, and the
 * uncompressed image's in run_*; an uncompressed one has both, or (the SDK's
 * secboot.img) only run_*.
 */
static void read_w600_fields(struct w800_img_info *im, const uint8_t *h)
{
	int zip = (get32(h + W600_ATTR) & W800_IMG_ATTR_ZIP) != 0;

	im->attr = get32(h + W600_ATTR);
	im->run_addr = get32(h + W600_RUN);
	im->body_len = get32(h + (zip ? W600_UPD_LEN : W600_RUN_LEN));
	im->body_crc = get32(h + (zip ? W600_UPD_CRC : W600_RUN_CRC));
	im->upgrade_addr = get32(h + W600_UPD);
	im->upd_no = get32(h + W600_UPD_NO);
	memcpy(im->version, h + W600_VERSION, W800_IMG_VERSION_LEN);
	im->header_crc = get32(h + W600_HEADER_CRC);
}

/* The field that holds the body's length, for messages. */
static const char *len_field(const struct w800_img_info *im)
{
	if (im->format == W800_IMG_W800)
		return "img_len";
	return (im->attr & W800_IMG_ATTR_ZIP) ? "upd_img_len" : "run_img_len";
}

/* Which format the collected header is, or -1 with the error. */
static int header_format(struct w800_img_scan *sc, enum w800_img_format *format, struct ub_err *err)
{
	const uint8_t *h = sc->head;
	size_t have = sc->head_have;
	enum w800_img_format want = sc->format;

	if (want == W800_IMG_AUTO) {
		if (header_crc_matches(h, have, W800_IMG_W800) || !header_crc_matches(h, have, W800_IMG_W600))
			want = W800_IMG_W800;
		else
			want = W800_IMG_W600;
	}
	if (header_crc_matches(h, have, want)) {
		*format = want;
		return 0;
	}
	if (header_crc_matches(h, have, other_format(want)))
		return image_fail(sc, err, "a %s header (CRC at byte %zu), not a %s one",
				  w800_img_format_name(other_format(want)),
				  w800_img_header_size(other_format(want)) - 4,
				  w800_img_format_name(want));
	if (sc->format == W800_IMG_AUTO)
		return image_fail(sc, err, "header CRC 0x%08X does not match its bytes (0x%08X), "
				  "and no W600 header CRC matches at byte 52 either",
				  stored_header_crc(h, want), computed_header_crc(h, want));
	return image_fail(sc, err, "header CRC 0x%08X does not match its bytes (0x%08X)",
			  stored_header_crc(h, want), computed_header_crc(h, want));
}

static int consume(struct w800_img_scan *sc, const uint8_t *p, size_t n, struct ub_err *err);

static void image_done(struct w800_img_scan *sc)
{
	sc->offset += current(sc)->size;
	sc->count++;
	sc->head_have = 0;
	sc->state = SCAN_HEADER;
}

static void body_done(struct w800_img_scan *sc)
{
	if (current(sc)->signature) {
		sc->state = SCAN_SIGNATURE;
		sc->left = W800_IMG_SIGNATURE_LEN;
	} else {
		image_done(sc);
	}
}

static int check_body_crc(struct w800_img_scan *sc, struct ub_err *err)
{
	const struct w800_img_info *im = current(sc);

	if (sc->crc != im->body_crc)
		return image_fail(sc, err, "body CRC 0x%08X does not match the body (0x%08X)",
				  im->body_crc, sc->crc);
	body_done(sc);
	return 0;
}

/*
 * The header is whole (and, while the format is unknown, up to 8 bytes of
 * the body with it): decode it and start on its body.
 */
static int header_done(struct w800_img_scan *sc, struct ub_err *err)
{
	struct w800_img_info *im = current(sc);
	enum w800_img_format format;
	uint8_t extra[W800_IMG_W800_HEADER - W800_IMG_W600_HEADER];
	size_t hsize, nextra;

	if (header_format(sc, &format, err))
		return -1;
	hsize = w800_img_header_size(format);
	nextra = sc->head_have - hsize;
	memcpy(extra, sc->head + hsize, nextra);
	memset(im, 0, sizeof(*im));
	im->format = format;
	im->offset = sc->offset;
	if (format == W800_IMG_W800)
		read_w800_fields(im, sc->head);
	else
		read_w600_fields(im, sc->head);
	im->type = w800_img_type_of(format, im->attr, im->run_addr);
	im->size = hsize + (uint64_t)im->body_len + (im->signature ? W800_IMG_SIGNATURE_LEN : 0);
	sc->format = format;
	if (format == W800_IMG_W600 && im->body_len % 4 != 0)
		return image_fail(sc, err, "%s 0x%X is not a multiple of 4 (W600 bodies are padded to 4 bytes)",
				  len_field(im), im->body_len);
	sc->state = SCAN_BODY;
	sc->left = im->body_len;
	sc->crc = UB_CRC32_WM_INIT;
	if (sc->left == 0 && check_body_crc(sc, err))
		return -1;
	return consume(sc, extra, nextra, err);
}

/* How many header bytes to collect: the whole W800 size while the format is open. */
static size_t header_want(const struct w800_img_scan *sc)
{
	return sc->format == W800_IMG_AUTO || sc->count == 0 ? W800_IMG_W800_HEADER
							      : w800_img_header_size(sc->format);
}

static int start_raw(struct w800_img_scan *sc)
{
	sc->state = SCAN_RAW;
	sc->crc = ub_crc32_wm(UB_CRC32_WM_INIT, sc->head, sc->head_have);
	return 0;
}

static size_t min_size(size_t a, uint64_t b)
{
	return b < a ? (size_t)b : a;
}

static int header_bytes(struct w800_img_scan *sc, const uint8_t *p, size_t n, size_t *used,
			struct ub_err *err)
{
	size_t take = min_size(n, header_want(sc) - sc->head_have);
	size_t before = sc->head_have;

	if (sc->count == W800_IMG_MAX)
		return image_fail(sc, err, "more than %d images in one file", W800_IMG_MAX);
	memcpy(sc->head + sc->head_have, p, take);
	sc->head_have += take;
	*used = take;
	if (before < 4 && sc->head_have >= 4 && get32(sc->head) != W800_IMG_MAGIC) {
		if (sc->count == 0)
			return start_raw(sc);
		return image_fail(sc, err, "magic 0x%08X is not 0x%08X", get32(sc->head), W800_IMG_MAGIC);
	}
	if (sc->head_have == header_want(sc))
		return header_done(sc, err);
	return 0;
}

static int body_bytes(struct w800_img_scan *sc, const uint8_t *p, size_t n, size_t *used,
		      struct ub_err *err)
{
	size_t take = min_size(n, sc->left);

	sc->crc = ub_crc32_wm(sc->crc, p, take);
	sc->left -= take;
	*used = take;
	return sc->left == 0 ? check_body_crc(sc, err) : 0;
}

static int signature_bytes(struct w800_img_scan *sc, size_t n, size_t *used)
{
	size_t take = min_size(n, sc->left);

	sc->left -= take;
	*used = take;
	if (sc->left == 0)
		image_done(sc);
	return 0;
}

static int consume(struct w800_img_scan *sc, const uint8_t *p, size_t n, struct ub_err *err)
{
	while (n > 0) {
		size_t used = 0;
		int rc = 0;

		switch (sc->state) {
		case SCAN_HEADER:
			rc = header_bytes(sc, p, n, &used, err);
			break;
		case SCAN_BODY:
			rc = body_bytes(sc, p, n, &used, err);
			break;
		case SCAN_SIGNATURE:
			rc = signature_bytes(sc, n, &used);
			break;
		case SCAN_RAW:
			sc->crc = ub_crc32_wm(sc->crc, p, n);
			used = n;
			break;
		default:
			return ub_fail(err, sc->error.status, "%s", sc->error.msg);
		}
		if (rc)
			return -1;
		p += used;
		n -= used;
	}
	return 0;
}

int w800_img_scan_feed(struct w800_img_scan *sc, const uint8_t *buf, size_t n, struct ub_err *err)
{
	if (sc->state == SCAN_FAILED)
		return ub_fail(err, sc->error.status, "%s", sc->error.msg);
	sc->len += n;
	return consume(sc, buf, n, err);
}

/* The file ended inside a header; a W600 one may be whole with fewer than 64 bytes. */
static int end_in_header(struct w800_img_scan *sc, struct ub_err *err)
{
	if (sc->head_have < 4 && sc->count == 0)
		return start_raw(sc);
	if (sc->head_have >= W800_IMG_W600_HEADER && sc->format != W800_IMG_W800 &&
	    header_crc_matches(sc->head, sc->head_have, W800_IMG_W600))
		return header_done(sc, err);
	if (sc->format == W800_IMG_AUTO)
		return image_fail(sc, err, "the file ends %zu bytes into the header "
				  "(W800 headers are 64 bytes, W600 56)", sc->head_have);
	return image_fail(sc, err, "the file ends %zu bytes into the header (%s headers are %zu bytes)",
			  sc->head_have, w800_img_format_name(sc->format),
			  w800_img_header_size(sc->format));
}

int w800_img_scan_end(struct w800_img_scan *sc, struct ub_err *err)
{
	if (sc->state == SCAN_FAILED)
		return ub_fail(err, sc->error.status, "%s", sc->error.msg);
	if (sc->len == 0) {
		sc->state = SCAN_FAILED;
		ub_fail(&sc->error, UB_EUSAGE, "the file is empty");
		return ub_fail(err, UB_EUSAGE, "the file is empty");
	}
	/* A W600 image decoded here may leave the start of another header. */
	while (sc->state == SCAN_HEADER && sc->head_have > 0)
		if (end_in_header(sc, err))
			return -1;
	if (sc->state == SCAN_BODY)
		return image_fail(sc, err, "%s 0x%X runs past the end of the file (0x%llX bytes)",
				  len_field(current(sc)), current(sc)->body_len,
				  (unsigned long long)sc->len);
	if (sc->state == SCAN_SIGNATURE)
		return image_fail(sc, err, "the %d-byte signature (img_attr bit 8) runs past the end "
				  "of the file (0x%llX bytes)", W800_IMG_SIGNATURE_LEN,
				  (unsigned long long)sc->len);
	if (sc->state == SCAN_RAW) {
		sc->raw = 1;
		sc->raw_crc = sc->crc;
	}
	return 0;
}

/* ---- building a header ---- */

void w800_img_defaults(enum w800_img_format format, struct w800_img_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->format = format;
	if (format == W800_IMG_W600) {
		/* w600/sdk tools/rules.mk: makeimg BIN IMG 0 0 version.txt 90000 10100 */
		f->run_addr = 0x10100;
		f->upgrade_addr = 0x90000;
	} else {
		/* wm_tool.c 1.0.4: -it 0, -ra 8002400, -ih 8002000, -ua 8090000, -nh 0, -un 0 */
		f->run_addr = 0x08002400;
		f->header_addr = 0x08002000;
		f->upgrade_addr = 0x08090000;
	}
}

static void build_w800(const struct w800_img_fields *f, uint32_t body_len, uint32_t body_crc,
		       uint8_t *out)
{
	put32(out + W800_ATTR, f->attr);
	put32(out + W800_RUN, f->run_addr);
	put32(out + W800_LEN, body_len);
	put32(out + W800_HEADER_ADDR, f->header_addr);
	put32(out + W800_UPGRADE, f->upgrade_addr);
	put32(out + W800_BODY_CRC, body_crc);
	put32(out + W800_UPD_NO, f->upd_no);
	memcpy(out + W800_VERSION, f->version, W800_IMG_VERSION_LEN);
	put32(out + W800_NEXT, f->next);
}

static void build_w600(const struct w800_img_fields *f, uint32_t body_len, uint32_t body_crc,
		       uint8_t *out)
{
	put32(out + W600_ATTR, f->attr);
	put32(out + W600_RUN, f->run_addr);
	put32(out + W600_RUN_LEN, body_len);
	put32(out + W600_RUN_CRC, body_crc);
	put32(out + W600_UPD, f->upgrade_addr);
	put32(out + W600_UPD_LEN, body_len);
	put32(out + W600_UPD_CRC, body_crc);
	put32(out + W600_UPD_NO, f->upd_no);
	memcpy(out + W600_VERSION, f->version, W800_IMG_VERSION_LEN);
}

size_t w800_img_build_header(const struct w800_img_fields *f, uint32_t body_len,
			     uint32_t body_crc, uint8_t *out)
{
	size_t size = w800_img_header_size(f->format);

	if (size == 0)
		return 0;
	memset(out, 0, size);
	put32(out, W800_IMG_MAGIC);
	if (f->format == W800_IMG_W800)
		build_w800(f, body_len, body_crc, out);
	else
		build_w600(f, body_len, body_crc, out);
	put32(out + size - 4, computed_header_crc(out, f->format));
	return size;
}
