/* SPDX-License-Identifier: MIT */
/*
 * WinnerMicro image files (../shared/notes/uart-chips.md §3.4): an .img is a
 * header and its body, an .fls several .img back to back in any order. The
 * W800 header is 64 bytes, the W600 header 56; both start with the magic
 * 9F FF FF A0 and end with the CRC-32 (ub_crc32_wm) of the bytes before it.
 *
 * A streaming checker for such files, so a 2 MiB image is never held whole,
 * and the header builder that pack and raw writes need.
 */
#ifndef UNBRICK_W800_IMAGE_H
#define UNBRICK_W800_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define W800_IMG_MAGIC 0xA0FFFF9Fu
#define W800_IMG_W800_HEADER 64
#define W800_IMG_W600_HEADER 56
#define W800_IMG_VERSION_LEN 16
#define W800_IMG_MAX 8                   /* images in one .fls */
#define W800_IMG_SIGNATURE_LEN 128       /* follows the body when attr bit 8 is set */

/*
 * Bytes 4..7 of both headers, read as one LE32 "attr": the W800's img_attr,
 * or the older u16 img_type + u16 zip_type that wm_tool's -it and the W600
 * header still use, so img_type is the low half and zip_type the high one.
 */
#define W800_IMG_ATTR_TYPE_MASK 0x0000000Fu   /* W800 img_type: 0 secboot, 1 user */
#define W800_IMG_ATTR_SIGNATURE 0x00000100u   /* W800: a 128-byte signature follows the body */
#define W800_IMG_ATTR_ZIP 0x00010000u         /* zip_type 1: the body is compressed */

enum w800_img_format {
	W800_IMG_AUTO = 0,   /* scan hint: tell each header by its CRC */
	W800_IMG_W800,       /* 64-byte header, CRC at 60 */
	W800_IMG_W600,       /* 56-byte header, CRC at 52, body padded to 4 bytes */
};

enum w800_img_type {
	W800_IMG_SECBOOT,    /* W800 img_type 0, W600 img_type 2 */
	W800_IMG_USER,       /* W800 img_type 1, W600 img_type 0 */
	W800_IMG_RAM,        /* runs from SRAM (0x2xxxxxxx), as the W800 read stub does */
	W800_IMG_OTHER,
};

/* One image of a file, as its header says. */
struct w800_img_info {
	enum w800_img_format format;
	enum w800_img_type type;
	uint64_t offset;        /* of its header in the file */
	uint64_t size;          /* header, body and signature: where the next image starts */
	uint32_t attr;          /* bytes 4..7, see above */
	uint32_t run_addr;      /* W800 img_addr, W600 run_img_addr */
	uint32_t header_addr;   /* W800 img_header_addr; W600: 0, it has no such field */
	uint32_t upgrade_addr;  /* W800 upgrade_img_addr, W600 upd_img_addr */
	uint32_t body_len;      /* body bytes in the file: W800 img_len; W600 run_img_len,
				   or upd_img_len when zip_type is set */
	uint32_t body_crc;      /* W800 org_checksum; W600 run_org_checksum or upd_checksum */
	uint32_t header_crc;    /* hd_checksum */
	uint32_t upd_no;
	uint32_t next;          /* W800 next header address; W600: 0 */
	int signature;          /* W800 attr bit 8: 128 bytes follow the body */
	char version[W800_IMG_VERSION_LEN + 1];  /* ver[16], NUL-terminated */
};

/*
 * The checker. Caller-allocated; its fields before "private" are the result
 * once w800_img_scan_end() returned 0.
 */
struct w800_img_scan {
	int raw;                /* no magic at offset 0: a plain binary, no images */
	uint64_t len;           /* bytes fed: the file's size */
	uint32_t raw_crc;       /* raw: ub_crc32_wm of the whole file, unpadded */
	size_t count;           /* images found */
	struct w800_img_info image[W800_IMG_MAX];

	/* private */
	enum w800_img_format hint;
	enum w800_img_format format;  /* of the file: the hint, or the first image's */
	int state;
	uint64_t offset;        /* of the image being read */
	uint8_t head[W800_IMG_W800_HEADER];
	size_t head_have;
	uint64_t left;          /* body or signature bytes still to come */
	uint32_t crc;
	struct ub_err error;    /* the first error, repeated */
};

/*
 * Start a scan. hint W800_IMG_W800 or W800_IMG_W600 accepts only that
 * header; W800_IMG_AUTO takes the first image's format from its CRC (W800
 * first) and holds every later image of the file to it.
 */
void w800_img_scan_init(struct w800_img_scan *sc, enum w800_img_format hint);

/*
 * The next n bytes of the file, in pieces of any size. A bad header or body
 * is status 2 (UB_EUSAGE), one line naming the image, its offset and the
 * field, e.g. "image 2 (at 0x2400): header CRC 0x1234ABCD does not match
 * its bytes (0xA8444E45)"; every later call fails with the same line.
 */
int w800_img_scan_feed(struct w800_img_scan *sc, const uint8_t *buf, size_t n, struct ub_err *err);

/*
 * The file ended: an image cut short (its header, body or signature) is
 * status 2, and so is an empty file. 0 when the file is one or more whole
 * images, or raw.
 */
int w800_img_scan_end(struct w800_img_scan *sc, struct ub_err *err);

/* Fields of a header to build. */
struct w800_img_fields {
	enum w800_img_format format;   /* W800_IMG_W800 or W800_IMG_W600 */
	uint32_t attr;          /* bytes 4..7: W800 img_attr; W600 img_type | zip_type << 16 */
	uint32_t run_addr;
	uint32_t header_addr;   /* W800 only */
	uint32_t upgrade_addr;
	uint32_t upd_no;
	uint32_t next;          /* W800 only */
	uint8_t version[W800_IMG_VERSION_LEN];  /* copied as is; zero-filled in the defaults */
};

/*
 * The defaults of the vendors' packers: W800 those of wm_tool (attr 0, run
 * 0x08002400, header 0x08002000, upgrade 0x08090000, upd_no 0, next 0, no
 * version); W600 those the SDK's makeimg is called with (user image, not
 * compressed, run 0x10100, upgrade 0x90000, upd_no 0, no version).
 */
void w800_img_defaults(enum w800_img_format format, struct w800_img_fields *f);

/* 64 for W800, 56 for W600, 0 otherwise. */
size_t w800_img_header_size(enum w800_img_format format);

/*
 * len rounded up to 4: wm_tool and makeimg both pad a body with zeros to a
 * multiple of 4 and count the padding in its length and CRC.
 */
uint64_t w800_img_padded_len(uint64_t len);

/* A body CRC over len bytes continued over the zeros that pad it to 4. */
uint32_t w800_img_padded_crc(uint32_t crc, uint64_t len);

/*
 * Fill out with the header for a body of body_len bytes whose CRC is
 * body_crc (both as stored: padded, see above), the header CRC last.
 * Returns the header's size, 0 for a format that is neither. A W600 header
 * gets run_img_len = upd_img_len = body_len and both checksums body_crc, as
 * makeimg writes an uncompressed image.
 */
size_t w800_img_build_header(const struct w800_img_fields *f, uint32_t body_len,
			     uint32_t body_crc, uint8_t *out);

/*
 * The type a header with these fields has, as the checker reports it: RAM
 * when run_addr is in SRAM (0x2xxxxxxx), else from the img_type in attr
 * (W800: 0 secboot, 1 user; W600: 2 secboot, 0 user), else other.
 */
enum w800_img_type w800_img_type_of(enum w800_img_format format, uint32_t attr, uint32_t run_addr);

/* "secboot", "user", "ram", "other". */
const char *w800_img_type_name(enum w800_img_type type);
/* "W800", "W600", "auto". */
const char *w800_img_format_name(enum w800_img_format format);

#endif
