/* SPDX-License-Identifier: MIT */
/* w800-xmodem: flash a WinnerMicro W800/W801/W806 or W600/W601 through its download mode. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "datapath.h"
#include "parse.h"
#include "prog.h"
#include "progress.h"
#include "range.h"
#include "reset.h"
#include "stub.h"
#include "verify.h"
#include "w800.h"
#include "w800_image.h"

#ifndef UB_DATADIR
#define UB_DATADIR "/usr/share"
#endif

#define PROG "w800-xmodem"
#define LARGEST_IMAGE (16u << 20)
#define STUB_MAX (64u << 10)
#define STUB_NAME "W800_Stub.bin"
#define W800_DEFAULT_FLASH (2u << 20)
#define CHUNK 65536u

enum {
	OPT_BAUD = 'B',
	OPT_CHIP = 256, OPT_ENTRY, OPT_STUB, OPT_TIMEOUT, OPT_ADDRESS, OPT_ATTR, OPT_RUN_ADDRESS,
	OPT_HEADER_ADDRESS, OPT_UPGRADE_ADDRESS, OPT_UPD_NO, OPT_IMAGE_VERSION, OPT_ALL, OPT_SET,
	OPT_NO_VERIFY,
};

struct opts {
	enum w800_chip chip;
	enum w800_entry entry;
	unsigned baud;
	int timeout_s;
	char *stub;
	char *set_mac;
	int all, no_verify;
	/* header fields for a raw binary; has_ says which were given */
	uint64_t address, attr, run_address, header_address, upgrade_address, upd_no;
	int has_address, has_attr, has_run_address, has_header_address, has_upgrade_address,
	    has_upd_no;
	char *image_version;
};

struct run {
	struct ub_session s;  /* first: the skeleton hands callbacks &run->s */
	struct opts o;
	struct ub_reset *reset;
	struct ub_port *port;
	struct w800 *w;
	struct ub_stub stub;
	int have_stub;
	struct ub_err stub_err;           /* why there is no stub, said when one is needed */
	struct w800_img_scan scan;        /* the input image */
	uint8_t header[W800_IMG_W800_HEADER];
	size_t header_len;                /* a header built for a raw input, else 0 */
	struct w800_img_info built;       /* ... and what it says */
	uint64_t sent;                    /* bytes of the image the chip acknowledged */
	uint64_t sent_src;                /* bytes the upload source has given */
	struct ub_progress progress;
};

static struct run *run_of(struct ub_session *s)
{
	return (struct run *)s;
}

/* ---- options ---- */

static int parse_number(const char *name, const char *value, uint64_t max, uint64_t *out,
			struct ub_err *err)
{
	return ub_parse_size(name, value, max, out, err);
}

static int parse_choice(const char *name, const char *value, const char *const *words,
			int *out, struct ub_err *err)
{
	for (int i = 0; words[i]; i++)
		if (strcmp(value, words[i]) == 0) {
			*out = i;
			return 0;
		}
	return ub_fail(err, UB_EUSAGE, "bad %s '%s': use %s", name, value,
		       words[3] ? "auto, esc, at or manual" : "auto, w800 or w600");
}

static int set_field(const char *name, const char *value, uint64_t *slot, int *has,
		     struct ub_err *err)
{
	*has = 1;
	return parse_number(name, value, UINT32_MAX, slot, err);
}

static int apply_option(void *ctx, int id, const char *arg, struct ub_err *err)
{
	static const char *const chips[] = { "auto", "w800", "w600", NULL };
	static const char *const entries[] = { "auto", "esc", "at", "manual", NULL };
	struct opts *o = ctx;
	uint64_t v;
	int choice;

	switch (id) {
	case OPT_CHIP:
		if (parse_choice("--chip", arg, chips, &choice, err) < 0)
			return -1;
		o->chip = (enum w800_chip)choice;
		return 0;
	case OPT_ENTRY:
		if (parse_choice("--entry", arg, entries, &choice, err) < 0)
			return -1;
		o->entry = (enum w800_entry)choice;
		return 0;
	case OPT_BAUD:
		if (ub_parse_u64(arg, &v) || v < W800_ROM_BAUD || v > 2000000)
			return ub_fail(err, UB_EUSAGE, "bad --baud '%s': use 115200..2000000", arg);
		o->baud = (unsigned)v;
		return 0;
	case OPT_TIMEOUT:
		if (ub_parse_u64(arg, &v) || v < 1 || v > 3600)
			return ub_fail(err, UB_EUSAGE, "bad --timeout '%s': use 1..3600 seconds", arg);
		o->timeout_s = (int)v;
		return 0;
	case OPT_STUB: return ub_opts_set_string(&o->stub, arg, err);
	case OPT_SET: return ub_opts_set_string(&o->set_mac, arg, err);
	case OPT_ADDRESS: return set_field("--address", arg, &o->address, &o->has_address, err);
	case OPT_ATTR: return set_field("--attr", arg, &o->attr, &o->has_attr, err);
	case OPT_RUN_ADDRESS:
		return set_field("--run-address", arg, &o->run_address, &o->has_run_address, err);
	case OPT_HEADER_ADDRESS:
		return set_field("--header-address", arg, &o->header_address,
				 &o->has_header_address, err);
	case OPT_UPGRADE_ADDRESS:
		return set_field("--upgrade-address", arg, &o->upgrade_address,
				 &o->has_upgrade_address, err);
	case OPT_UPD_NO: return set_field("--upd-no", arg, &o->upd_no, &o->has_upd_no, err);
	case OPT_IMAGE_VERSION:
		if (strlen(arg) > W800_IMG_VERSION_LEN)
			return ub_fail(err, UB_EUSAGE, "bad --image-version '%s': at most %d "
				       "characters", arg, W800_IMG_VERSION_LEN);
		return ub_opts_set_string(&o->image_version, arg, err);
	case OPT_ALL: o->all = 1; return 0;
	case OPT_NO_VERIFY: o->no_verify = 1; return 0;
	default: return ub_fail(err, UB_EUSAGE, "unknown option; try '" PROG " --help'");
	}
}

static void free_options(void *ctx)
{
	struct opts *o = ctx;

	free(o->stub);
	free(o->set_mac);
	free(o->image_version);
}

#define HEADER_FIELD (UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND)

static const struct ub_opt options[] = {
	{ "chip", 0, "w800|w600|auto", OPT_CHIP, 0, "the chip (default auto: from its ROM's answers)" },
	{ "baud", 'B', "N", OPT_BAUD, 0,
	  "the fastest rate to switch to (default 2000000; the ROM talks at 115200)" },
	{ "entry", 0, "auto|esc|at|manual", OPT_ENTRY, 0,
	  "how to reach download mode (default auto: --reset, else AT+Z, then ESC)" },
	{ "stub", 0, "FILE", OPT_STUB, 0,
	  "the W800 RAM stub for read and verify (gzip is fine; default\n" STUB_NAME
	  " in $XDG_DATA_HOME/unbrick/w800, then " UB_DATADIR "/unbrick/w800)" },
	{ "timeout", 0, "SEC", OPT_TIMEOUT, 0, "how long to wait for the download prompt (default 30)" },
	{ "address", 0, "N", OPT_ADDRESS, HEADER_FIELD,
	  "where a raw binary runs (flash offset or 0x08xxxxxx); its header goes 0x400 before" },
	{ "attr", 0, "N", OPT_ATTR, HEADER_FIELD, "header img_attr (W600: img_type | zip_type << 16)" },
	{ "run-address", 0, "N", OPT_RUN_ADDRESS, HEADER_FIELD, "header img_addr (default --address)" },
	{ "header-address", 0, "N", OPT_HEADER_ADDRESS, HEADER_FIELD,
	  "header img_header_addr (default run address - 0x400)" },
	{ "upgrade-address", 0, "N", OPT_UPGRADE_ADDRESS, HEADER_FIELD,
	  "header upgrade_img_addr (default 0x08090000)" },
	{ "upd-no", 0, "N", OPT_UPD_NO, HEADER_FIELD, "header upd_no (default 0)" },
	{ "image-version", 0, "TEXT", OPT_IMAGE_VERSION, HEADER_FIELD,
	  "header ver[16] (default empty)" },
	{ "all", 0, NULL, OPT_ALL, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "erase the whole flash from 0x2000 (needs --force-bootloader)" },
	{ "set", 0, "XX:XX:XX:XX:XX:XX", OPT_SET, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "set the MAC, then read it back" },
	{ "no-verify", 0, NULL, OPT_NO_VERIFY, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "do not read a write back" },
	{ NULL, 0, NULL, 0, 0, NULL },
};

static const struct ub_optset optset = {
	PROG, UB_SHARE_PORT | UB_SHARE_JSON | UB_SHARE_OUTPUT | UB_SHARE_RANGE |
	UB_SHARE_FORCE_BOOTLOADER,
	options, apply_option,
};

static void help_backends(FILE *f)
{
	ub_backend_print(f, "Ports (-p):", &ub_port_table);
}

/* ---- the stub ---- */

static int find_stub(char *path, size_t cap, struct ub_err *err)
{
	static const struct ub_vendor_file stub_file = {
		.what = "stub", .option = "--stub", .suffix = ".bin", .hint = "give --stub FILE",
	};
	struct ub_datapath dp;

	if (ub_datapath_init(&dp, "w800", NULL, err) < 0)
		return -1;
	return ub_datapath_find(&dp, &stub_file, "W800_Stub", path, cap, err);
}

/*
 * Loaded before the device is touched. When it is only needed on a W800
 * and the chip is not known yet, a missing stub is said once it is.
 */
static int load_stub(struct run *r, int needed_now)
{
	char path[PATH_MAX + 256];
	/* A stub the user named must load; the default one only when needed now. */
	int must = r->o.stub || needed_now;
	struct ub_err *err = must ? &r->s.err : &r->stub_err;
	const char *file = r->o.stub ? r->o.stub : path;

	if (!r->o.stub && find_stub(path, sizeof(path), err) < 0)
		return must ? -1 : 0;
	if (ub_stub_load(file, STUB_MAX, &r->stub, err) < 0)
		return must ? -1 : 0;
	r->have_stub = 1;
	return 0;
}

/* ---- the chip ---- */

static int reset_chip(void *arg, struct ub_err *err)
{
	struct run *r = arg;

	ub_info(&r->s.log, "running the reset sequence '%s'", r->s.common.reset);
	return ub_reset_run(r->reset, r->port, PROG, err);
}

static void draw_progress(void *arg, uint64_t done, uint64_t total)
{
	struct run *r = arg;

	(void)total;
	r->sent = done;
	ub_progress_update(&r->progress, done);
}

static int is_command(const struct ub_session *s, const char *name)
{
	return strcmp(s->cmd->name, name) == 0;
}

static int connect(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct ub_port_line line = { W800_ROM_BAUD, UB_PARITY_NONE, 0 };

	if (is_command(s, "pack"))
		return 0;
	if (!s->common.port)
		return ub_fail(&s->err, UB_EUSAGE, "no port given: use -p /dev/ttyUSB0 (or -p sim:w800 "
			       "to try the emulator)");
	if (ub_reset_parse(s->common.reset, &r->reset, &s->err) < 0 ||
	    ub_port_open(s->common.port, &line, &r->port, &s->err) < 0 ||
	    ub_port_release_lines(r->port, &s->err) < 0)
		return -1;
	r->w = w800_new(&(struct w800_config){
		.port = r->port, .log = &s->log, .stop = &s->stop, .chip = r->o.chip,
		.entry = r->o.entry, .timeout_ms = r->o.timeout_s * 1000,
		.reset = ub_reset_empty(r->reset) ? NULL : reset_chip, .reset_arg = r,
		.progress = draw_progress, .progress_arg = r,
	}, &s->err);
	if (!r->w)
		return -1;
	if (is_command(s, "reboot"))
		return 0;
	return w800_connect(r->w, &s->err);
}

/*
 * Whatever stopped the command, the chip is put back to 115200, so the next
 * run finds it (a run killed before this is found by w800_connect).
 */
static int release(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct ub_err quiet = { 0 };
	int rc;

	if (r->w)
		w800_restore_baud(r->w, &quiet);
	rc = ub_port_close(r->port, &s->err);

	w800_free(r->w);
	ub_reset_free(r->reset);
	ub_stub_free(&r->stub);
	return rc;
}

static const char *chip_name(enum w800_chip chip)
{
	return chip == W800_CHIP_W800 ? "W800" : chip == W800_CHIP_W600 ? "W600" : "unknown";
}

static const char *stage_name(enum w800_stage stage)
{
	return stage == W800_STAGE_ROM ? "ROM" : stage == W800_STAGE_SECBOOT ? "secboot" :
	       stage == W800_STAGE_STUB ? "stub" : "firmware";
}

static const struct w800_info *info(struct run *r)
{
	return w800_info(r->w);
}

/* The W800 or W600, as the user said or the ROM showed; a command that needs to know asks. */
static int need_chip(struct run *r, const char *what)
{
	if (info(r)->chip != W800_CHIP_AUTO)
		return 0;
	return ub_fail(&r->s.err, UB_EUSAGE, "%s needs to know the chip, and its ROM did not say "
		       "(it answered no ROM version): give --chip w800 or --chip w600", what);
}

static uint64_t flash_size(struct run *r)
{
	return info(r)->flash_size;
}

/* ---- detect ---- */

static void format_mac(const uint8_t *m, char *buf, size_t cap)
{
	snprintf(buf, cap, "%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int cmd_detect(struct ub_session *s)
{
	struct run *r = run_of(s);
	const struct w800_info *i = info(r);
	char mac[32];

	format_mac(i->mac, mac, sizeof(mac));
	if (s->common.json) {
		printf("{\"chip\":\"%s\",\"stage\":\"%s\",\"prompt\":\"%c\",\"rom_version\":\"%s\","
		       "\"secondary_loader\":%s,\"mac\":\"%s\"", chip_name(i->chip),
		       stage_name(i->stage), i->prompt, i->rom_version,
		       i->secondary_loader ? "true" : "false", mac);
		if (i->have_qfid)
			printf(",\"flash_id\":\"%02x%02x\",\"flash_size\":%" PRIu64, i->flash_mfr,
			       i->flash_cap, i->flash_size);
		printf("}\n");
	} else {
		printf("chip:      %s%s\n", chip_name(i->chip),
		       i->secondary_loader ? " (W806 secondary downloader passed)" : "");
		printf("stage:     %s (prompt '%c')\n", stage_name(i->stage), i->prompt);
		printf("rom:       %s\n", i->rom_version[0] ? i->rom_version : "no answer");
		printf("mac:       %s\n", mac);
		if (i->have_qfid)
			printf("flash:     id %02X %02X, %" PRIu64 " KiB\n", i->flash_mfr,
			       i->flash_cap, i->flash_size / 1024);
		else
			printf("flash:     unknown (only the ROM answers QFID)\n");
	}
	return fflush(stdout) ? ub_fail(&s->err, UB_EFAIL, "cannot write stdout") : 0;
}

/* ---- images ---- */

static uint32_t mapped(uint64_t addr)
{
	return (uint32_t)(addr < W800_FLASH_BASE ? addr + W800_FLASH_BASE : addr);
}

static uint32_t flash_offset(uint32_t addr)
{
	return addr >= W800_FLASH_BASE ? addr - W800_FLASH_BASE : addr;
}

static enum w800_img_format format_for(enum w800_chip chip)
{
	return chip == W800_CHIP_W600 ? W800_IMG_W600 : chip == W800_CHIP_W800 ? W800_IMG_W800 :
	       W800_IMG_AUTO;
}

/* Read the input once through the checker, then back to its start. */
static int scan_input(struct run *r)
{
	uint8_t *buf = malloc(CHUNK);
	uint64_t at = 0;
	int rc = 0;

	if (!buf)
		return ub_fail(&r->s.err, UB_EFAIL, "out of memory");
	w800_img_scan_init(&r->scan, format_for(r->o.chip));
	while (!rc && at < r->s.in.size) {
		size_t n = r->s.in.size - at < CHUNK ? (size_t)(r->s.in.size - at) : CHUNK;

		rc = ub_input_read(&r->s.in, buf, n, &r->s.err);
		if (!rc)
			rc = w800_img_scan_feed(&r->scan, buf, n, &r->s.err);
		at += n;
	}
	free(buf);
	if (!rc)
		rc = w800_img_scan_end(&r->scan, &r->s.err);
	if (rc) {
		char msg[sizeof(r->s.err.msg)];

		snprintf(msg, sizeof(msg), "%s", r->s.err.msg);
		ub_err_clear(&r->s.err);
		return ub_fail(&r->s.err, UB_EUSAGE, "%s: %s", r->s.in.name, msg);
	}
	return ub_input_rewind(&r->s.in, &r->s.err);
}

static int no_header_fields(struct run *r)
{
	const struct opts *o = &r->o;

	if (o->has_address || o->has_attr || o->has_run_address || o->has_header_address ||
	    o->has_upgrade_address || o->has_upd_no || o->image_version)
		return ub_fail(&r->s.err, UB_EUSAGE, "%s already has a header: --address and the "
			       "header options are for a raw binary", r->s.in.name);
	return 0;
}


/* A raw binary gets the header wm_tool would give it, with the user's fields. */
static int build_header(struct run *r)
{
	const struct opts *o = &r->o;
	enum w800_img_format format = o->chip == W800_CHIP_W600 ? W800_IMG_W600 : W800_IMG_W800;
	struct w800_img_fields f;
	struct w800_img_info *b = &r->built;
	uint64_t body = w800_img_padded_len(r->s.in.size);

	if (!o->has_address && !o->has_run_address)
		return ub_fail(&r->s.err, UB_EUSAGE, "%s is a raw binary (no image header): give "
			       "--address N, where it runs, and a header is built for it",
			       r->s.in.name);
	w800_img_defaults(format, &f);
	/* --address may be a flash offset; the header fields are stored as given */
	f.run_addr = o->has_run_address ? (uint32_t)o->run_address : mapped(o->address);
	if (format == W800_IMG_W800)
		f.header_addr = o->has_header_address ? (uint32_t)o->header_address :
				f.run_addr - 0x400;
	if (o->has_attr)
		f.attr = (uint32_t)o->attr;
	if (o->has_upgrade_address)
		f.upgrade_addr = (uint32_t)o->upgrade_address;
	if (o->has_upd_no)
		f.upd_no = (uint32_t)o->upd_no;
	if (o->image_version)
		memcpy(f.version, o->image_version, strlen(o->image_version));
	r->header_len = w800_img_build_header(&f, (uint32_t)body,
					      w800_img_padded_crc(r->scan.raw_crc, r->s.in.size),
					      r->header);
	memset(b, 0, sizeof(*b));
	b->format = format;
	b->type = w800_img_type_of(format, f.attr, f.run_addr);
	b->size = r->header_len + body;
	b->attr = f.attr;
	b->run_addr = f.run_addr;
	b->header_addr = f.header_addr;
	b->body_len = (uint32_t)body;
	return 0;
}

/* The images the upload holds: the file's, or the one built for a raw binary. */
static const struct w800_img_info *images(const struct run *r, size_t *count)
{
	*count = r->scan.raw ? 1 : r->scan.count;
	return r->scan.raw ? &r->built : r->scan.image;
}

static uint64_t upload_len(const struct run *r)
{
	return r->scan.raw ? r->built.size : r->s.in.size;
}

static int has_secboot(const struct run *r)
{
	size_t n;
	const struct w800_img_info *img = images(r, &n);

	for (size_t i = 0; i < n; i++)
		if (img[i].type == W800_IMG_SECBOOT)
			return 1;
	return 0;
}

/* A .fls with secboot and the app: the whole firmware, as the vendor ships it. */
static int full_firmware(const struct run *r)
{
	return !r->scan.raw && r->scan.count >= 2 && has_secboot(r);
}

/* Where an image lands in flash: [lo, hi). W600 headers give no header address. */
static void image_span(const struct w800_img_info *img, uint32_t *lo, uint32_t *hi)
{
	uint32_t body = flash_offset(img->run_addr);
	uint32_t head = img->format == W800_IMG_W800 ? flash_offset(img->header_addr) : body;
	uint32_t end = body + img->body_len;

	*lo = head < body ? head : body;
	*hi = end > head + W800_IMG_W800_HEADER ? end : head + W800_IMG_W800_HEADER;
}

static int check_image_places(struct run *r)
{
	size_t n;
	const struct w800_img_info *img = images(r, &n);

	for (size_t i = 0; i < n; i++) {
		uint32_t lo, hi;

		if (img[i].type == W800_IMG_RAM)
			return ub_fail(&r->s.err, UB_EUSAGE, "%s is a RAM image (it runs at 0x%08" PRIx32
				       "), not one for the flash; a stub is given with --stub",
				       r->s.in.name, img[i].run_addr);
		if (img[i].format != W800_IMG_W800)
			continue;
		image_span(&img[i], &lo, &hi);
		if (lo < W800_PROTECTED_END)
			return ub_fail(&r->s.err, UB_EUSAGE, "%s would write 0x%06" PRIx32 "-0x%06" PRIx32
				       ", and no tool writes below 0x%04x", r->s.in.name, lo, hi,
				       W800_PROTECTED_END);
		if (lo < W800_SECBOOT_END && !full_firmware(r) && !r->s.common.force_bootloader)
			return ub_fail(&r->s.err, UB_EUSAGE, "%s would change secboot (0x%04x-0x%05x), "
				       "and a bad secboot leaves only the ROM; add --force-bootloader "
				       "if you mean it, or write the whole .fls", r->s.in.name,
				       W800_PROTECTED_END, W800_SECBOOT_END);
	}
	return 0;
}

static int needs_verify_stub(const struct run *r)
{
	return !r->o.no_verify && r->o.chip != W800_CHIP_W600;
}

static int check_write(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (ub_session_open_input(s, s->args[0], LARGEST_IMAGE, "any image " PROG " knows") < 0 ||
	    scan_input(r) < 0)
		return -1;
	if (r->scan.raw ? build_header(r) < 0 : no_header_fields(r) < 0)
		return -1;
	if (check_image_places(r) < 0)
		return -1;
	return needs_verify_stub(r) ? load_stub(r, r->o.chip == W800_CHIP_W800) : 0;
}

/* The upload: a built header, then the file, then the zeros that pad a raw body to 4. */
static int upload_source(void *arg, uint8_t *data, size_t len, struct ub_err *err)
{
	struct run *r = arg;
	uint64_t at = r->sent_src;

	while (len > 0) {
		size_t n;

		if (at < r->header_len) {
			n = r->header_len - at < len ? r->header_len - (size_t)at : len;
			memcpy(data, r->header + at, n);
		} else if (at - r->header_len < r->s.in.size) {
			uint64_t left = r->s.in.size - (at - r->header_len);

			n = left < len ? (size_t)left : len;
			if (ub_input_read(&r->s.in, data, n, err) < 0)
				return -1;
		} else {
			n = len;
			memset(data, 0, n);
		}
		data += n;
		len -= n;
		at += n;
	}
	r->sent_src = at;
	return 0;
}

static int fast_link(struct run *r)
{
	return w800_set_baud(r->w, r->o.baud, &r->s.err);
}

static int compatible(struct run *r)
{
	size_t n;
	const struct w800_img_info *img = images(r, &n);
	enum w800_img_format want = format_for(info(r)->chip);

	if (want != W800_IMG_AUTO && img[0].format != want)
		return ub_fail(&r->s.err, UB_EUSAGE, "%s is a %s image, and the chip is a %s",
			       r->s.in.name, w800_img_format_name(img[0].format),
			       chip_name(info(r)->chip));
	if (info(r)->stage == W800_STAGE_ROM && !has_secboot(r))
		return ub_fail(&r->s.err, UB_EUSAGE, "the chip is in its ROM, which takes only a .fls "
			       "(secboot and app images), and %s has no secboot image; give the .fls",
			       r->s.in.name);
	return 0;
}

/* A W800 write is verified through the stub: without one, nothing is sent. */
static int stub_ready(struct run *r)
{
	if (r->have_stub)
		return 0;
	if (r->stub_err.msg[0])
		return ub_fail(&r->s.err, r->stub_err.status, "%s; or give --no-verify to write "
			       "without reading it back", r->stub_err.msg);
	return load_stub(r, 1);
}

/* The stub runs at 115200 after its upload (BK's flow: stub, resync, then baud). */
static int start_stub(struct run *r)
{
	if (stub_ready(r) < 0)
		return -1;
	if (w800_restore_baud(r->w, &r->s.err) < 0 ||
	    w800_run_stub(r->w, r->stub.data, r->stub.len, &r->s.err) < 0)
		return -1;
	return fast_link(r);
}

static int read_flash(struct run *r, uint32_t offset, uint64_t len, const char *label,
		      w800_sink_fn sink, void *arg)
{
	int rc;

	ub_progress_start(&r->progress, (enum ub_progress_mode)r->s.common.progress, label, len);
	rc = w800_read(r->w, offset, len, sink, arg, &r->s.err);
	ub_progress_end(&r->progress);
	return rc;
}

/* Compare [at, at + len) of the flash with the input from its byte skip on. */
static int verify_span(struct run *r, uint32_t at, uint64_t skip, uint64_t len,
		       struct ub_verify *v)
{
	if (fseeko(r->s.in.f, (off_t)skip, SEEK_SET) != 0)
		return ub_fail(&r->s.err, UB_EFAIL, "cannot seek in %s", r->s.in.name);
	ub_verify_start(v, &r->s.in, at);
	return read_flash(r, at, len, "verify", ub_verify_sink, v);
}

static int verify_images(struct run *r)
{
	size_t n;
	const struct w800_img_info *img = images(r, &n);

	for (size_t i = 0; i < n; i++) {
		struct ub_verify v;
		uint64_t hdr = w800_img_header_size(img[i].format);

		if (r->scan.raw) {
			/* only the body is in the file; the header was built */
			if (verify_span(r, flash_offset(img[i].run_addr), 0, r->s.in.size, &v) < 0)
				return -1;
		} else if (verify_span(r, flash_offset(img[i].header_addr), img[i].offset, hdr, &v) < 0 ||
			   ub_verify_result(&v, &r->s.err) < 0 ||
			   verify_span(r, flash_offset(img[i].run_addr), img[i].offset + hdr,
				       img[i].body_len, &v) < 0) {
			return -1;
		}
		if (ub_verify_result(&v, &r->s.err) < 0)
			return -1;
	}
	return 0;
}

static int restart_upload(void *arg, struct ub_err *err)
{
	struct run *r = arg;

	r->sent = 0;
	r->sent_src = 0;
	return ub_input_rewind(&r->s.in, err);
}

static int upload(struct run *r)
{
	uint64_t len = upload_len(r);
	int rc;

	r->sent = 0;
	r->sent_src = 0;
	if (ub_input_rewind(&r->s.in, &r->s.err) < 0)
		return -1;
	ub_info(&r->s.log, "uploading %s (%" PRIu64 " bytes) at %u baud", r->s.in.name, len,
		info(r)->baud);
	ub_progress_start(&r->progress, (enum ub_progress_mode)r->s.common.progress, "write", len);
	rc = w800_upload(r->w, len, upload_source, restart_upload, r, &r->s.err);
	ub_progress_end(&r->progress);
	return rc;
}

/*
 * Which images of the upload the chip had whole when it stopped: those it
 * writes; the one it was taking may be half-written. Into buf, e.g.
 * "0x002000-0x003400 whole, 0x010000-0x059400 cut".
 */
static const char *images_sent(const struct run *r, char *buf, size_t cap)
{
	size_t n, at = 0;
	const struct w800_img_info *img = images(r, &n);

	buf[0] = 0;
	for (size_t i = 0; i < n && at < cap; i++) {
		uint32_t lo, hi;
		uint64_t end = r->scan.raw ? upload_len(r) : img[i].offset + img[i].size;

		uint64_t start = r->scan.raw ? 0 : img[i].offset;
		if (r->sent <= start)
			break;
		image_span(&img[i], &lo, &hi);
		at += (size_t)snprintf(buf + at, cap - at, "%s0x%06" PRIx32 "-0x%06" PRIx32 " %s",
				       i ? ", " : "", lo, hi, r->sent >= end ? "whole" : "cut");
	}
	return buf[0] ? buf : "nothing";
}

static int write_failed(struct run *r)
{
	uint64_t len = upload_len(r);
	char sent[256];

	images_sent(r, sent, sizeof(sent));
	if (r->s.err.status == UB_EINTR)
		return ub_session_stopped(&r->s, "interrupted after the chip took %" PRIu64 " of %" PRIu64 " bytes of "
			       "%s (images: %s); a cut image may be half-written: run the same "
			       "command again", r->sent, len, r->s.in.name, sent);
	if (r->sent == 0)
		return -1;
	ub_warn(&r->s.log, "the chip took %" PRIu64 " of %" PRIu64 " bytes of %s before this "
		"(images: %s); a cut image may be half-written: run the same command again",
		r->sent, len, r->s.in.name, sent);
	return -1;
}

/*
 * The W800 reads its flash back through the RAM stub, which its ROM runs;
 * secboot does not (W600: nothing reads).
 */
static int can_verify(struct run *r)
{
	if (r->o.no_verify || info(r)->stage != W800_STAGE_ROM)
		return 0;
	return info(r)->chip != W800_CHIP_W600;
}

static int cmd_write(struct ub_session *s)
{
	struct run *r = run_of(s);
	int verify_it;

	verify_it = can_verify(r);
	if (compatible(r) < 0 ||
	    (verify_it && (need_chip(r, "verifying the write") < 0 || stub_ready(r) < 0)) ||
	    fast_link(r) < 0)
		return -1;
	if (upload(r) < 0)
		return write_failed(r);
	if (!verify_it) {
		if (info(r)->chip == W800_CHIP_W600 && !r->o.no_verify)
			ub_warn(&s->log, "the W600 ROM cannot read its flash back: the write is not "
				"verified");
		else if (!r->o.no_verify)
			ub_warn(&s->log, "the chip runs secboot, which does not run the RAM stub: the "
				"write is not verified (for that, hold BOOT low while resetting it, so "
				"the ROM answers)");
		ub_info(&s->log, "wrote %s%s", s->in.name, r->o.no_verify ? " (not verified)" : "");
		return w800_restore_baud(r->w, &s->err);
	}
	if (s->stop)
		return ub_session_stopped(&r->s, "interrupted: %s is written but not verified; run '" PROG " verify' "
			       "to check", s->in.name);
	if (start_stub(r) < 0 || verify_images(r) < 0)
		return s->err.status == UB_EINTR ?
		       ub_session_stopped(&r->s, "interrupted: %s is written but not verified", s->in.name) : -1;
	ub_info(&s->log, "wrote %s, verified", s->in.name);
	return w800_restore_baud(r->w, &s->err);
}

/* ---- verify, read ---- */

static int check_verify(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (r->o.chip == W800_CHIP_W600)
		return ub_fail(&s->err, UB_EUSAGE, "the W600 ROM cannot read its flash, so nothing "
			       "can be verified over the UART (use SWD/JLink)");
	if (ub_session_open_input(s, s->args[0], LARGEST_IMAGE, "any image " PROG " knows") < 0 ||
	    scan_input(r) < 0)
		return -1;
	if (r->scan.raw ? build_header(r) < 0 : no_header_fields(r) < 0)
		return -1;
	return load_stub(r, 1);
}

static int need_w800(struct run *r, const char *what)
{
	if (need_chip(r, what) < 0)
		return -1;
	if (info(r)->chip == W800_CHIP_W600)
		return ub_fail(&r->s.err, UB_EUSAGE, "the W600 ROM cannot read its flash (%s needs a "
			       "W800 and its RAM stub); use SWD/JLink", what);
	if (info(r)->stage != W800_STAGE_ROM)
		return ub_fail(&r->s.err, UB_ENODEV, "%s needs the ROM, which runs the RAM stub, and "
			       "the chip runs %s: hold BOOT low while resetting it, or give --reset so "
			       "ESC reaches the ROM", what, stage_name(info(r)->stage));
	return 0;
}

static int cmd_verify(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (need_w800(r, "verify") < 0 || start_stub(r) < 0 || verify_images(r) < 0)
		return -1;
	ub_info(&s->log, "the flash matches %s", s->in.name);
	return w800_restore_baud(r->w, &s->err);
}

static int check_read(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (r->o.chip == W800_CHIP_W600)
		return ub_fail(&s->err, UB_EUSAGE, "the W600 ROM cannot read its flash over the UART "
			       "(use SWD/JLink)");
	if (ub_session_open_output(s, s->common.output) < 0)
		return -1;
	return load_stub(r, 1);
}

static int cmd_read(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint64_t size = flash_size(r), offset, len;

	if (need_w800(r, "read") < 0)
		return -1;
	if (!size && !s->common.has_length)
		return ub_fail(&s->err, UB_EUSAGE, "the flash size is unknown (only the ROM answers "
			       "QFID, and the chip runs %s): give --length", stage_name(info(r)->stage));
	if (!size)
		size = UINT32_MAX;
	if (ub_range_from_opts(&s->common, size, &offset, &len, &s->err) < 0 || start_stub(r) < 0)
		return -1;
	if (read_flash(r, (uint32_t)offset, len, "read", ub_session_sink, s) < 0) {
		if (s->err.status != UB_EINTR)
			return -1;
		return ub_session_stopped(&r->s, "interrupted; %s was not written",
			       s->out.to_stdout ? "nothing more went to stdout" : s->out.path);
	}
	if (w800_restore_baud(r->w, &s->err) < 0 || ub_session_commit_output(s) < 0)
		return -1;
	ub_info(&s->log, "read %" PRIu64 " bytes at 0x%06" PRIx64, len, offset);
	return 0;
}

/* ---- erase ---- */

static int check_erase(struct ub_session *s)
{
	struct run *r = run_of(s);
	const struct ub_common_opts *c = &s->common;
	int range = c->has_offset && c->has_length, partial = c->has_offset || c->has_length;

	if (r->o.all ? partial : !range)
		return ub_fail(&s->err, UB_EUSAGE, "erase needs --offset N --length N, or --all");
	if (r->o.all && !c->force_bootloader)
		return ub_fail(&s->err, UB_EUSAGE, "erase --all also erases secboot (0x%04x-0x%05x), "
			       "and then only the ROM is left; add --force-bootloader, or erase "
			       "--offset 0x%x --length N to keep it", W800_PROTECTED_END,
			       W800_SECBOOT_END, W800_SECBOOT_END);
	if (r->o.all)
		return 0;
	if (!c->length)
		return ub_fail(&s->err, UB_EUSAGE, "--length is 0: nothing to erase");
	if (c->offset % W800_SECTOR || c->length % W800_SECTOR)
		return ub_fail(&s->err, UB_EUSAGE, "erase range 0x%06" PRIx64 "+0x%" PRIx64 " is not "
			       "aligned to 4 KiB sectors", c->offset, c->length);
	if (c->offset < W800_PROTECTED_END)
		return ub_fail(&s->err, UB_EUSAGE, "0x0-0x%04x is never erased (no tool does: the "
			       "chip keeps its own data there); start at 0x%x or above",
			       W800_PROTECTED_END, W800_PROTECTED_END);
	if (c->offset < W800_SECBOOT_END && !c->force_bootloader)
		return ub_fail(&s->err, UB_EUSAGE, "erasing 0x%06" PRIx64 "-0x%06" PRIx64 " would "
			       "change secboot (0x%04x-0x%05x); add --force-bootloader if you mean it",
			       c->offset, c->offset + c->length, W800_PROTECTED_END, W800_SECBOOT_END);
	if (r->o.chip == W800_CHIP_W600)
		return ub_fail(&s->err, UB_EUSAGE, "the W600 ROM erases only its whole image area: "
			       "use erase --all --force-bootloader");
	if (c->offset + c->length > UINT32_MAX)
		return ub_fail(&s->err, UB_EUSAGE, "erase range 0x%06" PRIx64 "+0x%" PRIx64 " runs past "
			       "any flash", c->offset, c->length);
	return 0;
}

static int erase_all(struct run *r)
{
	uint64_t size = flash_size(r);

	if (info(r)->chip == W800_CHIP_W600)
		return w800_erase_secboot(r->w, &r->s.err) < 0 ? -1 :
		       w800_erase_image_area(r->w, &r->s.err);
	if (!size)
		size = W800_DEFAULT_FLASH;
	ub_info(&r->s.log, "erasing 0x%04x-0x%06" PRIx64, W800_PROTECTED_END, size);
	return w800_erase_range(r->w, W800_PROTECTED_END, (uint32_t)(size - W800_PROTECTED_END),
				&r->s.err);
}

static int cmd_erase(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint64_t size = flash_size(r);

	if (need_chip(r, "erase") < 0)
		return -1;
	if (r->o.all)
		return erase_all(r);
	if (info(r)->chip == W800_CHIP_W600)
		return ub_fail(&s->err, UB_EUSAGE, "the W600 ROM erases only its whole image area: "
			       "use erase --all --force-bootloader");
	if (size && ub_range_check(s->common.offset, s->common.length, size, "the erase range",
				   &s->err) < 0)
		return -1;
	if (w800_erase_range(r->w, (uint32_t)s->common.offset, (uint32_t)s->common.length,
			     &s->err) < 0)
		return -1;
	ub_info(&s->log, "erased 0x%06" PRIx64 "-0x%06" PRIx64, s->common.offset,
		s->common.offset + s->common.length);
	return 0;
}

/* ---- mac, reboot, pack ---- */

static int parse_mac(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6 || strlen(text) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int check_mac(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint8_t mac[6];

	if (r->o.set_mac && parse_mac(r->o.set_mac, mac) < 0)
		return ub_fail(&s->err, UB_EUSAGE, "bad --set '%s': give six hex bytes, "
			       "XX:XX:XX:XX:XX:XX", r->o.set_mac);
	if (r->o.set_mac && (mac[0] & 1))
		return ub_fail(&s->err, UB_EUSAGE, "bad --set '%s': a multicast address (the first "
			       "byte is odd) is no station's MAC", r->o.set_mac);
	return 0;
}

static int cmd_mac(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint8_t mac[6];
	char text[32];

	memcpy(mac, info(r)->mac, 6);
	if (r->o.set_mac) {
		parse_mac(r->o.set_mac, mac);
		if (w800_set_mac(r->w, mac, &s->err) < 0)
			return -1;
		ub_info(&s->log, "MAC set and read back");
	}
	format_mac(mac, text, sizeof(text));
	printf("%s\n", text);
	return fflush(stdout) ? ub_fail(&s->err, UB_EFAIL, "cannot write stdout") : 0;
}

static int cmd_reboot(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (w800_reboot(r->w, &s->err) < 0)
		return -1;
	ub_info(&s->log, "chip reset");
	return 0;
}

static int check_pack(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (ub_session_open_input(s, s->args[0], LARGEST_IMAGE, "any image " PROG " knows") < 0 ||
	    scan_input(r) < 0)
		return -1;
	if (!r->scan.raw)
		return ub_fail(&s->err, UB_EUSAGE, "%s already is an image (it starts with the magic "
			       "9F FF FF A0): nothing to pack", s->in.name);
	if (build_header(r) < 0)
		return -1;
	return ub_session_open_output(s, s->common.output);
}

static int cmd_pack(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint8_t *buf = malloc(CHUNK);
	uint64_t len = upload_len(r), at = 0;
	int rc = 0;

	if (!buf)
		return ub_fail(&s->err, UB_EFAIL, "out of memory");
	r->sent_src = 0;
	while (!rc && at < len) {
		size_t n = len - at < CHUNK ? (size_t)(len - at) : CHUNK;

		rc = upload_source(r, buf, n, &s->err) || ub_session_sink(s, buf, n, &s->err);
		at += n;
	}
	free(buf);
	if (rc || ub_session_commit_output(s) < 0)
		return -1;
	ub_info(&s->log, "packed %s: %s image, %" PRIu64 " bytes, runs at 0x%08" PRIx32, s->in.name,
		w800_img_format_name(r->built.format), len, r->built.run_addr);
	return 0;
}

static const struct ub_command commands[] = {
	{ "detect", "", "chip, ROM or secboot, MAC, flash id and size", 0, 0, "json",
	  UB_CMD_STDOUT, NULL, cmd_detect },
	{ "write", "FILE|-", "upload a .fls, an .img, or a raw binary at --address", 1, 1,
	  "force-bootloader no-verify address attr run-address header-address upgrade-address "
	  "upd-no image-version", 0, check_write, cmd_write },
	{ "verify", "FILE|-", "compare the flash with an image (W800, through the stub)", 1, 1,
	  "address attr run-address header-address upgrade-address upd-no image-version", 0,
	  check_verify, cmd_verify },
	{ "read", "[-o FILE]", "read the flash (W800, through the stub)", 0, 0,
	  "output offset length", 0, check_read, cmd_read },
	{ "erase", "", "erase --offset N --length N, or --all", 0, 0,
	  "offset length all force-bootloader", 0, check_erase, cmd_erase },
	{ "mac", "", "print the MAC, or --set it and read it back", 0, 0, "set", UB_CMD_STDOUT,
	  check_mac, cmd_mac },
	{ "reboot", "", "reset the chip (--reset, else an RTS pulse)", 0, 0, "", 0, NULL,
	  cmd_reboot },
	{ "pack", "FILE|- -o OUT", "give a raw binary its image header, without a device", 1, 1,
	  "output address attr run-address header-address upgrade-address upd-no image-version", 0,
	  check_pack, cmd_pack },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL },
};

static const struct ub_program program = {
	PROG, "Flash a WinnerMicro W800/W801/W806 or W600/W601 through its download mode.",
	&optset, commands, help_backends, NULL, connect, release, free_options,
};

int main(int argc, char **argv)
{
	static struct run r;

	r.o.baud = 2000000;
	r.o.timeout_s = 30;
	r.s.opts = &r.o;
	return ub_prog_main(&program, &r.s, argc, argv);
}
