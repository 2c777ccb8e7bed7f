/* SPDX-License-Identifier: MIT */
/* gx-upload: boot a NationalChip GX set-top box's RAM loader and use its flash commands. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "datapath.h"
#include "gx.h"
#include "parse.h"
#include "prog.h"
#include "progress.h"
#include "reset.h"
#include "verify.h"

#ifndef UB_DATADIR
#define UB_DATADIR "/usr/share"
#endif

#define PROG "gx-upload"
#define DUMP_CHUNK 65536u
/* Without a partition table, BOOT is taken as large as it comes (notes §1.3). */
#define BOOT_MAX 0x20000u
/* Images are refused past this before the box is booted; then against its table. */
#define LARGEST_FLASH (64u << 20)
#define SHELL_ESCAPE 0x1d  /* ^] */
#define SHELL_LINGER_MS 500

enum {
	OPT_BAUD = 'B', OPT_LOADER = 'L',
	OPT_CHIP = 256, OPT_LOADER_DIR, OPT_RETRIES, OPT_TIMEOUT,
	OPT_IRREVERSIBLE, OPT_NO_VERIFY,
};

struct opts {
	char *loader, *chip, *loader_dir;
	unsigned baud;
	int retries, timeout_s;
	int irreversible, no_verify;
};

struct run {
	struct ub_session s;  /* first: the skeleton hands callbacks &run->s */
	struct opts o;
	struct gx_loader loader;
	int have_loader;
	struct ub_reset *reset;
	struct ub_port *port;
	struct gx *gx;
	struct ub_progress progress, loader_progress;
	int progress_on;  /* progress draws the transfer running */
	uint64_t data_done;  /* bytes of the transfer running (or stopped) done so far */
};

static struct run *run_of(struct ub_session *s)
{
	return (struct run *)s;
}

/* ---- options ---- */

static int parse_int(const char *name, const char *value, uint64_t min, uint64_t max,
		     int *out, struct ub_err *err)
{
	uint64_t v;

	if (ub_parse_u64(value, &v) || v < min || v > max)
		return ub_fail(err, UB_EUSAGE, "bad %s '%s': use %" PRIu64 "..%" PRIu64, name, value,
			       min, max);
	*out = (int)v;
	return 0;
}

static int apply_option(void *ctx, int id, const char *arg, struct ub_err *err)
{
	struct opts *o = ctx;
	int v = 0;

	switch (id) {
	case OPT_LOADER: return ub_opts_set_string(&o->loader, arg, err);
	case OPT_CHIP: return ub_opts_set_string(&o->chip, arg, err);
	case OPT_LOADER_DIR: return ub_opts_set_string(&o->loader_dir, arg, err);
	case OPT_BAUD:
		if (parse_int("--baud", arg, 1200, 4000000, &v, err))
			return -1;
		o->baud = (unsigned)v;
		return 0;
	case OPT_RETRIES: return parse_int("--retries", arg, 0, 100, &o->retries, err);
	case OPT_TIMEOUT: return parse_int("--timeout", arg, 1, 3600, &o->timeout_s, err);
	case OPT_IRREVERSIBLE: o->irreversible = 1; return 0;
	case OPT_NO_VERIFY: o->no_verify = 1; return 0;
	default: return ub_fail(err, UB_EUSAGE, "unknown option; try '" PROG " --help'");
	}
}

static void free_options(void *ctx)
{
	struct opts *o = ctx;

	free(o->loader);
	free(o->chip);
	free(o->loader_dir);
}

static const struct ub_opt options[] = {
	{ "loader", 'L', "FILE", OPT_LOADER, 0, "the .boot loader for this board" },
	{ "chip", 0, "NAME", OPT_CHIP, 0, "a loader from the loader directory, e.g. gemini-6702H5" },
	{ "loader-dir", 0, "DIR", OPT_LOADER_DIR, 0,
	  "where --chip looks (default $XDG_DATA_HOME/unbrick/gx,\nthen " UB_DATADIR "/unbrick/gx)" },
	{ "baud", 'B', "N", OPT_BAUD, 0, "ROM-stage baud (default: the loader header's, else 115200)" },
	{ "retries", 0, "N", OPT_RETRIES, 0, "retry a transfer whose XOR-sum fails (default 3)" },
	{ "timeout", 0, "SEC", OPT_TIMEOUT, 0, "how long to wait for the boot ROM (default 30)" },
	{ "irreversible", 0, NULL, OPT_IRREVERSIBLE, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "allow OTP writes (one way)" },
	{ "no-verify", 0, NULL, OPT_NO_VERIFY, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "do not read a write back" },
	{ NULL, 0, NULL, 0, 0, NULL },
};

static const struct ub_optset optset = {
	PROG, UB_SHARE_PORT | UB_SHARE_JSON | UB_SHARE_OUTPUT | UB_SHARE_BACKUP |
	UB_SHARE_FORCE_BOOTLOADER,
	options, apply_option,
};

static void help_backends(FILE *f)
{
	ub_backend_print(f, "Ports (-p):", &ub_port_table);
}

/* ---- the loader file ---- */

/* --chip NAME: the one .boot file of the data search path (or --loader-dir) that NAME picks. */
static int find_loader(struct run *r, char *path, size_t cap)
{
	static const struct ub_vendor_file loader_file = {
		.what = "loader", .option = "--chip", .suffix = ".boot", .hint = "give -L FILE.boot",
	};
	struct ub_datapath dp;

	if (ub_datapath_init(&dp, "gx", r->o.loader_dir, &r->s.err) < 0)
		return -1;
	return ub_datapath_find(&dp, &loader_file, r->o.chip, path, cap, &r->s.err);
}

static int load_loader(struct run *r)
{
	char path[PATH_MAX + 256];

	if (r->o.loader && r->o.chip)
		return ub_fail(&r->s.err, UB_EUSAGE, "give -L FILE or --chip NAME, not both");
	if (!r->o.loader && !r->o.chip)
		return 0;
	if (r->o.chip && find_loader(r, path, sizeof(path)) < 0)
		return -1;
	if (gx_loader_load(r->o.loader ? r->o.loader : path, &r->loader, &r->s.err) < 0)
		return -1;
	r->have_loader = 1;
	ub_debug(&r->s.log, "loader %s: chip 0x%04x, header baud %u, %zu bytes%s", r->loader.path,
		 r->loader.chip, r->loader.baud, r->loader.len, r->loader.legacy ? " (legacy)" : "");
	return 0;
}

/* ---- the box ---- */

static int power_on(void *arg, struct ub_err *err)
{
	struct run *r = arg;

	if (ub_reset_empty(r->reset))
		return 0;
	ub_info(&r->s.log, "running the reset sequence '%s'", r->s.common.reset);
	return ub_reset_run(r->reset, r->port, PROG, err);
}

/* Everything the box needs that is not the box: the reset sequence and the loader. */
static int prepare_box(struct run *r)
{
	if (ub_reset_parse(r->s.common.reset, &r->reset, &r->s.err) < 0)
		return -1;
	return load_loader(r);
}

/* The loader's upload has a bar of its own; a transfer's is the one start_progress made. */
static void draw_progress(void *arg, enum gx_phase phase, uint64_t done, uint64_t total)
{
	struct run *r = arg;

	if (phase == GX_PHASE_DATA) {
		r->data_done = done;
		if (r->progress_on)
			ub_progress_update(&r->progress, done);
		return;
	}
	if (done == 0)
		ub_progress_start(&r->loader_progress,
				  (enum ub_progress_mode)r->s.common.progress, "loader", total);
	ub_progress_update(&r->loader_progress, done);
	if (done == total)
		ub_progress_end(&r->loader_progress);
}

/* ---- a stop by a signal: one line that says what was and was not done ---- */

static int was_stopped(const struct run *r)
{
	return r->s.err.status == UB_EINTR;
}

/* Replace the engine's "interrupted ..." with the command's account. */
/* "; what the command leaves as it was", when it stops before its transfer, or "". */
static const char *untouched(const struct run *r, char *buf, size_t cap)
{
	const struct ub_session *s = &r->s;

	if (s->in_open)
		snprintf(buf, cap, "; nothing was written to the box");
	else if (s->out_open && s->out.to_stdout)
		snprintf(buf, cap, "; nothing went to stdout");
	else if (s->out_open)
		snprintf(buf, cap, "; '%s' was not written", s->out.path);
	else
		buf[0] = 0;
	return buf;
}

static int connect(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct ub_port_line line = { GX_LOADER_BAUD, UB_PARITY_NONE, 1 };
	int rc;

	if (!r->s.common.port)
		return ub_fail(&s->err, UB_EUSAGE, "no port given: use -p /dev/ttyUSB0 (or -p sim:gx "
			       "to try the emulator)");
	if (prepare_box(r) < 0)
		return -1;
	/* INPCK, as the notes call it critical for this ROM (§1.1). */
	if (ub_port_open(r->s.common.port, &line, &r->port, &s->err) < 0)
		return -1;
	r->gx = gx_new(&(struct gx_config){
		.port = r->port, .log = &s->log, .loader = r->have_loader ? &r->loader : NULL,
		.rom_baud = r->o.baud, .handshake_ms = r->o.timeout_s * 1000, .stop = &s->stop,
		.power_on = power_on, .power_arg = r, .progress = { draw_progress, r },
	}, &s->err);
	if (!r->gx)
		return -1;
	rc = gx_connect(r->gx, &s->err);
	if (rc < 0 && was_stopped(r)) {
		char what[4200];

		return ub_session_stopped(&r->s, "interrupted before the loader's prompt%s",
			       untouched(r, what, sizeof(what)));
	}
	if (rc >= 0 && !gx_has_crc(r->gx))
		ub_warn(&s->log, "this legacy loader sends no XOR-sums: dumps cannot be checked");
	if (rc == 0)
		ub_info(&s->log, "loader running: %s %s, flash %s (%" PRIu64 " KiB), %d partitions",
			gx_info(r->gx)->chip_model, gx_info(r->gx)->board,
			gx_info(r->gx)->flash_model, gx_info(r->gx)->flash_size / 1024,
			gx_info(r->gx)->nparts);
	return rc < 0 ? -1 : 0;
}

static int release(struct ub_session *s)
{
	struct run *r = run_of(s);
	int rc = ub_port_close(r->port, &s->err);

	ub_progress_end(&r->loader_progress);
	gx_free(r->gx);
	ub_reset_free(r->reset);
	if (r->have_loader)
		gx_loader_free(&r->loader);
	return rc;
}

/* ---- ranges ---- */

static int parse_addr(struct run *r, const char *what, const char *s, uint64_t *out)
{
	return ub_parse_size(what, s, UINT32_MAX, out, &r->s.err);
}

/* An address, not a partition name: partition names start with a letter. */
static int is_number(const char *s)
{
	return isdigit((unsigned char)s[0]);
}

/* PART|ADDR [SIZE] -> a flash range, checked against the table and the flash. */
struct range {
	uint64_t addr, len;
	const struct gx_part *part;
};

static int no_table(struct run *r, const char *what)
{
	return ub_fail(&r->s.err, UB_EUSAGE, "%s needs the partition table, which the loader prints "
		       "only when it starts, and the box was already at its boot> prompt; give an "
		       "address and a size, or power-cycle the box so " PROG " boots it", what);
}

static int resolve(struct run *r, const char *target, const char *size, uint64_t file_len,
		   struct range *rg)
{
	const struct gx_info *info = gx_info(r->gx);
	uint64_t flash = info->flash_size;

	memset(rg, 0, sizeof(*rg));
	if (!is_number(target)) {
		if (!info->have_banner)
			return no_table(r, target);
		rg->part = gx_find_part(info, target);
		if (!rg->part)
			return ub_fail(&r->s.err, UB_EUSAGE, "no partition '%s' on this box (it has %s%s%s%s%s%s)",
				       target, info->nparts > 0 ? info->parts[0].name : "none",
				       info->nparts > 1 ? ", " : "", info->nparts > 1 ? info->parts[1].name : "",
				       info->nparts > 2 ? ", " : "", info->nparts > 2 ? info->parts[2].name : "",
				       info->nparts > 3 ? ", ..." : "");
		rg->addr = rg->part->start;
		rg->len = rg->part->size;
	} else if (parse_addr(r, "address", target, &rg->addr) < 0) {
		return -1;
	} else if (!size && !file_len) {
		if (!flash)
			return no_table(r, "dump without a SIZE");
		rg->len = rg->addr < flash ? flash - rg->addr : 0;
	}
	if (size && parse_addr(r, "size", size, &rg->len) < 0)
		return -1;
	if (file_len)
		rg->len = file_len;
	if (rg->len == 0)
		return ub_fail(&r->s.err, UB_EUSAGE, "size 0 for %s: nothing to do", target);
	if (rg->part && rg->len > rg->part->size)
		return ub_fail(&r->s.err, UB_EUSAGE, "%" PRIu64 " bytes do not fit partition %s "
			       "(%" PRIu32 " bytes at 0x%06" PRIx32 ")", rg->len, rg->part->name,
			       rg->part->size, rg->part->start);
	if (flash && rg->addr + rg->len > flash)
		return ub_fail(&r->s.err, UB_EUSAGE, "0x%06" PRIx64 "+%" PRIu64 " runs past the end of "
			       "the %" PRIu64 " MiB flash (0x%06" PRIx64 ")", rg->addr, rg->len,
			       flash >> 20, flash);
	return 0;
}

static void start_progress(struct run *r, const char *label, uint64_t total)
{
	ub_progress_start(&r->progress, (enum ub_progress_mode)r->s.common.progress, label, total);
	r->progress_on = 1;
}

static void end_progress(struct run *r)
{
	ub_progress_end(&r->progress);
	r->progress_on = 0;
}

static int read_range(struct run *r, const char *verb, uint64_t addr, uint64_t len, size_t chunk,
		      const char *label, gx_sink_fn sink, void *arg)
{
	int rc;

	start_progress(r, label, len);
	rc = gx_read(r->gx, verb, addr, len, chunk, r->o.retries, sink, arg, &r->s.err);
	end_progress(r);
	return rc;
}

static int read_to_output(struct run *r, const char *verb, uint64_t addr, uint64_t len,
			  size_t chunk, const char *what)
{
	ub_info(&r->s.log, "reading %s: %" PRIu64 " bytes at 0x%06" PRIx64, what, len, addr);
	if (read_range(r, verb, addr, len, chunk, "read", ub_session_sink, &r->s) < 0) {
		if (!was_stopped(r))
			return -1;
		if (r->s.out.to_stdout)
			return ub_session_stopped(&r->s, "interrupted after reading %" PRIu64 " of %" PRIu64 " bytes; "
				       "those went to stdout", r->data_done, len);
		return ub_session_stopped(&r->s, "interrupted after reading %" PRIu64 " of %" PRIu64 " bytes; '%s' "
			       "was not written", r->data_done, len, r->s.out.path);
	}
	return ub_session_commit_output(&r->s);
}

static int cmd_dump(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct range rg;

	if (resolve(r, s->args[0], s->nargs > 1 ? s->args[1] : NULL, 0, &rg) < 0)
		return -1;
	return read_to_output(r, "serialdump", rg.addr, rg.len, DUMP_CHUNK, s->args[0]);
}

/* ---- writes ---- */

static int rewind_input(void *arg)
{
	struct ub_session *s = arg;

	return ub_input_rewind(&s->in, &s->err);
}

static int input_xorsum(struct run *r, uint32_t *sum)
{
	uint8_t buf[DUMP_CHUNK];
	uint64_t at = 0;

	*sum = 0;
	while (at < r->s.in.size) {
		size_t n = r->s.in.size - at < sizeof(buf) ? (size_t)(r->s.in.size - at) : sizeof(buf);

		if (ub_input_read(&r->s.in, buf, n, &r->s.err) < 0)
			return -1;
		*sum = gx_xorsum(*sum, at, buf, n);
		at += n;
	}
	return ub_input_rewind(&r->s.in, &r->s.err);
}

/* Read the range back and compare it with the input. */
static int verify(struct run *r, const char *verb, uint64_t addr, uint64_t len)
{
	struct ub_verify v;

	if (ub_input_rewind(&r->s.in, &r->s.err) < 0)
		return -1;
	ub_verify_start(&v, &r->s.in, addr);
	ub_info(&r->s.log, "reading back %" PRIu64 " bytes to verify", len);
	if (read_range(r, verb, addr, len, DUMP_CHUNK, "verify", ub_verify_sink, &v) < 0)
		return -1;
	if (v.bad)
		return ub_fail(&r->s.err, UB_EFAIL, "verify failed: the flash differs from %s at "
			       "0x%06" PRIx64 "; the write did not take; retry, and do not power "
			       "off the box before a write verifies", r->s.in.name, v.first_bad);
	return 0;
}

static int check_bootloader(struct run *r, const struct range *rg)
{
	const struct gx_part *boot = gx_find_part(gx_info(r->gx), "BOOT");
	uint64_t end = boot ? boot->start + boot->size : BOOT_MAX;
	uint64_t start = boot ? boot->start : 0;
	uint64_t flash = gx_info(r->gx)->flash_size;
	int full_image = rg->addr == 0 && flash && rg->len == flash;

	if (r->s.common.force_bootloader || full_image || rg->addr >= end || rg->addr + rg->len <= start)
		return 0;
	return ub_fail(&r->s.err, UB_EUSAGE, "writing 0x%06" PRIx64 "-0x%06" PRIx64 " would change "
		       "the BOOT partition (0x%06" PRIx64 "-0x%06" PRIx64 "), and a bad boot loader "
		       "leaves only the ROM; add --force-bootloader if you mean it", rg->addr,
		       rg->addr + rg->len, start, end);
}

/* --backup: what the write will change, complete and synced before it starts. */
static int backup(struct run *r, const struct range *rg)
{
	if (!r->s.backup_open)
		return 0;
	ub_info(&r->s.log, "backing up %" PRIu64 " bytes at 0x%06" PRIx64, rg->len, rg->addr);
	if (read_range(r, "serialdump", rg->addr, rg->len, DUMP_CHUNK, "backup",
		       ub_session_backup_sink, &r->s) < 0)
		return -1;
	return ub_session_commit_backup(&r->s);
}

static int written_not_verified(struct run *r, const struct range *rg)
{
	return ub_session_stopped(&r->s, "interrupted: 0x%06" PRIx64 "-0x%06" PRIx64 " is written but not "
		       "verified; dump it to check, or run the same command again", rg->addr,
		       rg->addr + rg->len);
}

static int cmd_write(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct range rg;
	uint32_t sum;
	char target[64];
	int rc;

	if (resolve(r, s->args[0], NULL, s->in.size, &rg) < 0 || check_bootloader(r, &rg) < 0 ||
	    input_xorsum(r, &sum) < 0)
		return -1;
	if (backup(r, &rg) < 0)
		return !was_stopped(r) ? -1 : ub_session_stopped(&r->s, "interrupted during the backup; '%s' and the "
						     "flash were not written", s->backup.path);
	/* A name lets the loader do what it does for partitions (its table CRCs). */
	if (rg.part)
		snprintf(target, sizeof(target), "%s", rg.part->name);
	else
		snprintf(target, sizeof(target), "0x%" PRIx64, rg.addr);
	ub_info(&s->log, "writing %s (%" PRIu64 " bytes) to %s at 0x%06" PRIx64, s->in.name,
		rg.len, target, rg.addr);
	start_progress(r, "write", rg.len);
	rc = gx_write(r->gx, "serialdown", target, rg.len, sum, r->o.retries, ub_session_source,
		      rewind_input, s, &s->err);
	end_progress(r);
	if (rc < 0 && was_stopped(r))
		return ub_session_stopped(&r->s, "interrupted after sending %" PRIu64 " of %" PRIu64 " bytes of %s; "
			       "the flash was not changed (the loader writes only once it has the "
			       "whole image), but the box's loader may still wait for the rest: "
			       "power-cycle the box before the next run", r->data_done, rg.len,
			       s->in.name);
	if (rc < 0)
		return -1;
	/* The engine let the loader finish writing: the range is written. */
	if (s->stop)
		return written_not_verified(r, &rg);
	if (!r->o.no_verify && verify(r, "serialdump", rg.addr, rg.len) < 0)
		return was_stopped(r) ? written_not_verified(r, &rg) : -1;
	ub_info(&s->log, "wrote %" PRIu64 " bytes at 0x%06" PRIx64 "%s", rg.len, rg.addr,
		r->o.no_verify ? " (not verified)" : ", verified");
	return 0;
}

/* ---- OTP ---- */

static int read_otp(struct run *r, const char *verb, char **args)
{
	uint64_t addr, len;

	if (parse_addr(r, "OTP address", args[0], &addr) < 0 ||
	    parse_addr(r, "OTP size", args[1], &len) < 0)
		return -1;
	return read_to_output(r, verb, addr, len, (size_t)len, "OTP");
}

struct buffer {
	uint8_t *data;
	size_t len, at;
};

static int sink_buffer(void *arg, const uint8_t *data, size_t len, struct ub_err *err)
{
	struct buffer *b = arg;

	(void)err;
	memcpy(b->data + b->at, data, len);
	b->at += len;
	return 0;
}

static int source_buffer(void *arg, uint8_t *data, size_t len, struct ub_err *err)
{
	struct buffer *b = arg;

	(void)err;
	memcpy(data, b->data + b->at, len);
	b->at += len;
	return 0;
}

static int rewind_buffer(void *arg)
{
	((struct buffer *)arg)->at = 0;
	return 0;
}

static void print_hex(const char *what, uint64_t addr, const uint8_t *p, size_t len)
{
	fprintf(stderr, PROG ": %s 0x%" PRIx64 "..0x%" PRIx64 ":", what, addr, addr + len - 1);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", p[i]);
	fputc('\n', stderr);
}

/*
 * The chip's OTP bits only go from 0 to 1; the flash's security registers,
 * being NOR, only from 1 to 0. Refuse an image that needs the other way.
 */
static int write_otp(struct run *r, const char *read_verb, const char *write_verb, int nor,
		     const char *addr_arg)
{
	uint64_t addr;
	struct buffer want = { 0 }, old = { 0 }, back = { 0 };
	char target[32];
	int rc = -1, programmed = 0;

	if (parse_addr(r, "OTP address", addr_arg, &addr) < 0)
		return -1;
	want.len = old.len = back.len = (size_t)r->s.in.size;
	want.data = malloc(want.len);
	old.data = malloc(want.len);
	back.data = malloc(want.len);
	if (!want.data || !old.data || !back.data) {
		ub_fail(&r->s.err, UB_EFAIL, "out of memory");
		goto out;
	}
	if (ub_input_read(&r->s.in, want.data, want.len, &r->s.err) < 0 ||
	    gx_read(r->gx, read_verb, addr, want.len, want.len, r->o.retries, sink_buffer, &old,
		    &r->s.err) < 0)
		goto out;
	for (size_t i = 0; i < want.len; i++)
		if (nor ? want.data[i] & ~old.data[i] : old.data[i] & ~want.data[i]) {
			ub_fail(&r->s.err, UB_EFAIL, "OTP byte 0x%" PRIx64 " is already 0x%02x, and %s "
				"wants 0x%02x: OTP bits cannot be %s; nothing was written",
				addr + i, old.data[i], r->s.in.name, want.data[i],
				nor ? "set again" : "cleared");
			goto out;
		}
	print_hex("will program OTP (one way, cannot be undone)", addr, want.data, want.len);
	snprintf(target, sizeof(target), "0x%" PRIx64, addr);
	if (gx_write(r->gx, write_verb, target, want.len, gx_xorsum(0, 0, want.data, want.len),
		     r->o.retries, source_buffer, rewind_buffer, &want, &r->s.err) < 0)
		goto out;
	/* The engine let the loader finish programming: say so, read back or not. */
	programmed = 1;
	if (r->s.stop) {
		ub_fail(&r->s.err, UB_EINTR, "interrupted");
		goto out;
	}
	if (gx_read(r->gx, read_verb, addr, want.len, want.len, r->o.retries, sink_buffer, &back,
		    &r->s.err) < 0)
		goto out;
	if (memcmp(back.data, want.data, want.len)) {
		ub_fail(&r->s.err, UB_EFAIL, "OTP at 0x%" PRIx64 " reads back different from %s "
			"after programming", addr, r->s.in.name);
		goto out;
	}
	ub_info(&r->s.log, "programmed %zu OTP bytes at 0x%" PRIx64 ", verified", want.len, addr);
	rc = 0;
out:
	if (rc < 0 && was_stopped(r))
		ub_session_stopped(&r->s, programmed ? "interrupted: %zu OTP bytes at 0x%" PRIx64 " are programmed "
			"but not read back" : "interrupted before programming %zu OTP bytes at 0x%"
			PRIx64 "; the OTP was not changed", want.len, addr);
	free(want.data);
	free(old.data);
	free(back.data);
	return rc;
}

static int cmd_otp_read(struct ub_session *s)
{
	return read_otp(run_of(s), "gx_otp read", s->args);
}

static int cmd_otp_write(struct ub_session *s)
{
	return write_otp(run_of(s), "gx_otp read", "gx_otp write", 0, s->args[0]);
}

static int print_answer(struct run *r, const char *line)
{
	char *answer;
	const char *text;

	if (gx_command(r->gx, line, &answer, &r->s.err) < 0)
		return -1;
	/* The loader ends lines with \r\n; a Unix tool's output ends them with \n. */
	for (char *in = answer, *out = answer;; in++)
		if (*in != '\r' && !(*out++ = *in))
			break;
	text = answer + strspn(answer, "\n");
	fputs(text, stdout);
	if (*text && text[strlen(text) - 1] != '\n')
		fputc('\n', stdout);
	free(answer);
	return fflush(stdout) == 0 ? 0 : ub_fail_errno(&r->s.err, UB_EFAIL, errno, "stdout");
}

static int cmd_sflash_otp(struct ub_session *s)
{
	struct run *r = run_of(s);
	const char *sub = s->args[0];

	if (!strcmp(sub, "status"))
		return print_answer(r, "sflash_otp status");
	if (!strcmp(sub, "read"))
		return read_otp(r, "sflash_otp read", s->args + 1);
	return write_otp(r, "sflash_otp read", "sflash_otp write", 1, s->args[1]);
}

static int cmd_cmd(struct ub_session *s)
{
	return print_answer(run_of(s), s->args[0]);
}

/* ---- boot, info, shell ---- */

static int cmd_boot(struct ub_session *s)
{
	(void)s;
	return 0;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	putchar('"');
}

static void info_json(const struct gx_info *info)
{
	printf("{\"chip\": ");
	json_string(info->chip_model);
	printf(", \"board\": ");
	json_string(info->board);
	printf(", \"flash\": {\"model\": ");
	json_string(info->flash_model);
	printf(", \"size\": %" PRIu64 "}, \"loader\": ", info->flash_size);
	json_string(info->sdk);
	printf(", \"partitions\": [");
	for (int i = 0; i < info->nparts; i++) {
		printf("%s{\"name\": ", i ? ", " : "");
		json_string(info->parts[i].name);
		printf(", \"fs\": ");
		json_string(info->parts[i].fs);
		printf(", \"start\": %" PRIu32 ", \"size\": %" PRIu32 "}", info->parts[i].start,
		       info->parts[i].size);
	}
	printf("]}\n");
}

static void info_text(const struct gx_info *info)
{
	printf("chip:   %s\nboard:  %s\nflash:  %s, %" PRIu64 " KiB\nloader: %s\n",
	       info->chip_model, info->board, info->flash_model, info->flash_size / 1024, info->sdk);
	printf("%-8s %-8s %-10s %10s\n", "NAME", "FS", "START", "SIZE");
	for (int i = 0; i < info->nparts; i++)
		printf("%-8s %-8s 0x%08" PRIx32 " %10" PRIu32 "\n", info->parts[i].name,
		       info->parts[i].fs, info->parts[i].start, info->parts[i].size);
}

static int cmd_info(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (!gx_info(r->gx)->have_banner)
		return no_table(r, "info");
	if (s->common.json)
		info_json(gx_info(r->gx));
	else
		info_text(gx_info(r->gx));
	return fflush(stdout) == 0 ? 0 : ub_fail_errno(&s->err, UB_EFAIL, errno, "stdout");
}

/* Copy between the terminal and the prompt until ^] or end of input. */
static int cmd_shell(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct termios saved, raw;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	uint8_t buf[1024];
	int rc = 0;

	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		fprintf(stderr, PROG ": connected to boot> on %s; ^] quits\r\n", r->port->name);
	}
	if (write(STDOUT_FILENO, "boot> ", 6) < 0)
		rc = ub_fail_errno(&r->s.err, UB_EFAIL, errno, "stdout");
	while (rc == 0 && !r->s.stop) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		ssize_t n = gx_read_some(r->gx, buf, sizeof(buf), 0, &r->s.err);

		if (n < 0 || (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)) {
			rc = -1;
			break;
		}
		if (poll(&p, 1, n > 0 ? 0 : 20) <= 0)
			continue;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0 || (tty && memchr(buf, SHELL_ESCAPE, (size_t)n)))
			break;
		rc = ub_port_write(r->port, buf, (size_t)n, &r->s.err);
	}
	/* Input from a file or pipe: let the last answers arrive. */
	while (rc == 0 && !tty && !r->s.stop) {
		ssize_t n = gx_read_some(r->gx, buf, sizeof(buf), SHELL_LINGER_MS, &r->s.err);

		if (n <= 0 || write(STDOUT_FILENO, buf, (size_t)n) < 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return rc;
}

/* ---- checks before the box ---- */

static int check_number(struct run *r, const char *what, const char *arg)
{
	uint64_t v;

	return parse_addr(r, what, arg, &v);
}

static int check_size(struct run *r, const char *what, const char *arg)
{
	uint64_t v;

	if (parse_addr(r, what, arg, &v) < 0)
		return -1;
	return v ? 0 : ub_fail(&r->s.err, UB_EUSAGE, "%s 0: nothing to do", what);
}

static int check_dump(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (s->nargs > 1 && check_size(r, "size", s->args[1]) < 0)
		return -1;
	if (is_number(s->args[0]) && check_number(r, "address", s->args[0]) < 0)
		return -1;
	return ub_session_open_output(s, s->common.output);
}

static int check_image(struct ub_session *s, const char *path)
{
	return ub_session_open_input(s, path, LARGEST_FLASH, "any flash " PROG " writes");
}

static int check_write(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (is_number(s->args[0]) && check_number(r, "address", s->args[0]) < 0)
		return -1;
	return check_image(s, s->args[1]) || ub_session_open_backup(s, s->common.backup) ? -1 : 0;
}

static int check_otp_read(struct run *r, char **args)
{
	if (check_number(r, "OTP address", args[0]) < 0 || check_size(r, "OTP size", args[1]) < 0)
		return -1;
	return ub_session_open_output(&r->s, r->s.common.output);
}

static int check_otp_write(struct run *r, char **args)
{
	if (check_number(r, "OTP address", args[0]) < 0)
		return -1;
	if (!r->o.irreversible)
		return ub_fail(&r->s.err, UB_EUSAGE, "OTP writes cannot be undone; add --irreversible "
			       "if you mean it");
	return check_image(&r->s, args[1]);
}

static int check_otp_read_cmd(struct ub_session *s)
{
	return check_otp_read(run_of(s), s->args);
}

static int check_otp_write_cmd(struct ub_session *s)
{
	return check_otp_write(run_of(s), s->args);
}

/* sflash-otp status | read ADDR SIZE | write ADDR FILE, and the options each takes. */
static int check_sflash_otp(struct ub_session *s)
{
	struct run *r = run_of(s);
	const char *sub = s->args[0];
	int reads = !strcmp(sub, "read"), writes = !strcmp(sub, "write");

	if (!(!strcmp(sub, "status") && s->nargs == 1) && !((reads || writes) && s->nargs == 3))
		return ub_fail(&s->err, UB_EUSAGE, "sflash-otp takes status, read ADDR SIZE or "
			       "write ADDR FILE; try '" PROG " --help'");
	if (!reads && ub_session_given(s, UB_OPT_OUTPUT))
		return ub_fail(&s->err, UB_EUSAGE, "-o means nothing for sflash-otp %s", sub);
	if (!writes && ub_session_given(s, OPT_IRREVERSIBLE))
		return ub_fail(&s->err, UB_EUSAGE, "--irreversible means nothing for sflash-otp %s", sub);
	if (!reads && s->stdout_closed)
		return ub_fail(&s->err, UB_EUSAGE, "stdout is closed, and sflash-otp %s prints there; "
			       "run it with stdout open", sub);
	if (reads)
		return check_otp_read(r, s->args + 1);
	return writes ? check_otp_write(r, s->args + 1) : 0;
}

static const struct ub_command commands[] = {
	{ "boot", "", "boot the loader and stop at its boot> prompt", 0, 0, "", 0, NULL, cmd_boot },
	{ "info", "", "chip, flash and partition table (--json)", 0, 0, "json", UB_CMD_STDOUT,
	  NULL, cmd_info },
	{ "dump", "PART|ADDR [SIZE]", "read flash (a partition, or from ADDR) to -o or stdout",
	  1, 2, "output", 0, check_dump, cmd_dump },
	{ "write", "PART|ADDR FILE|-", "write an image, then read it back to verify", 2, 2,
	  "backup force-bootloader no-verify", 0, check_write, cmd_write },
	{ "otp-read", "ADDR SIZE", "read the chip's OTP to -o or stdout", 2, 2, "output", 0,
	  check_otp_read_cmd, cmd_otp_read },
	{ "otp-write", "ADDR FILE", "program the chip's OTP (one way; --irreversible)", 2, 2,
	  "irreversible", 0, check_otp_write_cmd, cmd_otp_write },
	{ "sflash-otp", "status | read ADDR SIZE | write ADDR FILE",
	  "the flash's security registers", 1, 3, "output irreversible", 0, check_sflash_otp,
	  cmd_sflash_otp },
	{ "cmd", "TEXT", "send one loader command, print its answer", 1, 1, "", UB_CMD_STDOUT,
	  NULL, cmd_cmd },
	{ "shell", "", "a terminal on the boot> prompt (^] quits)", 0, 0, "", UB_CMD_STDOUT, NULL,
	  cmd_shell },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL },
};

static const struct ub_program program = {
	PROG, "Boot a NationalChip GX set-top box's RAM loader over its serial port, then\n"
	"read and write its flash and OTP with the loader's commands (each command boots\n"
	"the loader first unless the box shows boot>).",
	&optset, commands, help_backends, NULL, connect, release, free_options,
};

int main(int argc, char **argv)
{
	static struct run r;

	r.o.retries = 3;
	r.o.timeout_s = 30;
	r.s.opts = &r.o;
	return ub_prog_main(&program, &r.s, argc, argv);
}
