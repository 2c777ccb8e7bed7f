/* SPDX-License-Identifier: MIT */
/* ecr-uart: read, write and erase the flash of an ESWIN ECR6600 through its boot ROM and a stub. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "ecr6600.h"
#include "parse.h"
#include "prog.h"
#include "progress.h"
#include "range.h"
#include "reset.h"
#include "stub.h"
#include "verify.h"

#ifndef UB_DATADIR
#define UB_DATADIR "/usr/share"
#endif

#define PROG "ecr-uart"
#define LARGEST_FLASH (16u << 20)
#define STUB_MAX (512u << 10)          /* the ROM takes up to 512 KiB of SRAM */
#define STUB_NAME "ECR6600_Stub_Custom"
/*
 * The partition table at 0x0 (4 KiB) and u-boot from 0x1000 (ESWIN's
 * V1.3.11 is 23,920 bytes, to 0x6D70; notes §2.5-2.6): the first
 * application partition starts no lower than 0x7000.
 */
#define BOOT_END 0x7000u
#define MAX_SEGMENTS 32
#define CHUNK 65536u

enum {
	OPT_BAUD = 'B',
	OPT_STUB = 256, OPT_STUB_KIND, OPT_SYNC_TRIES, OPT_SYNC_INTERVAL, OPT_ALL,
};

struct opts {
	unsigned baud;  /* 0: the fastest that holds */
	char *stub;
	enum ecr_stub_kind stub_kind;  /* UNKNOWN: from the file */
	int sync_tries, sync_interval_ms;
	int all;
};

/* A piece of the input for the flash: where it goes, how long, where it is in the file. */
struct segment {
	uint32_t addr;
	uint64_t len;
	uint64_t file_off;
};

struct run {
	struct ub_session s;  /* first: the skeleton hands callbacks &run->s */
	struct opts o;
	struct ub_reset *reset;
	struct ub_port *port;
	struct ecr *ecr;
	struct ub_stub stub;
	int have_stub;
	struct ub_err stub_err;   /* why there is no stub, said if one is needed */
	struct segment seg[MAX_SEGMENTS];
	int nseg;
	int aio;                  /* the input is an AIO "oneb" file */
	struct ub_progress progress;
	/* the source of a write: one run of a segment, and the flash bytes after it */
	struct {
		const struct segment *seg;
		uint64_t from, len, at;   /* within the segment */
		uint8_t tail[4096];       /* the rest of the last sector, as the flash has it */
		size_t tail_len;
	} src;
};

static struct run *run_of(struct ub_session *s)
{
	return (struct run *)s;
}

/* ---- options ---- */

static int parse_ranged(const char *name, const char *value, uint64_t min, uint64_t max,
			uint64_t *out, struct ub_err *err)
{
	if (ub_parse_u64(value, out) || *out < min || *out > max)
		return ub_fail(err, UB_EUSAGE, "bad %s '%s': use %" PRIu64 "..%" PRIu64, name, value,
			       min, max);
	return 0;
}

static int apply_option(void *ctx, int id, const char *arg, struct ub_err *err)
{
	struct opts *o = ctx;
	uint64_t v;

	switch (id) {
	case OPT_BAUD:
		if (parse_ranged("--baud", arg, 9600, 2000000, &v, err) < 0)
			return -1;
		o->baud = (unsigned)v;
		return 0;
	case OPT_STUB: return ub_opts_set_string(&o->stub, arg, err);
	case OPT_STUB_KIND:
		if (!strcmp(arg, "auto"))
			o->stub_kind = ECR_STUB_UNKNOWN;
		else if (!strcmp(arg, "custom"))
			o->stub_kind = ECR_STUB_CUSTOM;
		else if (!strcmp(arg, "stock"))
			o->stub_kind = ECR_STUB_STOCK;
		else
			return ub_fail(err, UB_EUSAGE, "bad --stub-kind '%s': use auto, custom or stock",
				       arg);
		return 0;
	case OPT_SYNC_TRIES:
		if (parse_ranged("--sync-tries", arg, 1, 100000, &v, err) < 0)
			return -1;
		o->sync_tries = (int)v;
		return 0;
	case OPT_SYNC_INTERVAL:
		if (parse_ranged("--sync-interval", arg, 10, 10000, &v, err) < 0)
			return -1;
		o->sync_interval_ms = (int)v;
		return 0;
	case OPT_ALL: o->all = 1; return 0;
	default: return ub_fail(err, UB_EUSAGE, "unknown option; try '" PROG " --help'");
	}
}

static void free_options(void *ctx)
{
	free(((struct opts *)ctx)->stub);
}

static const struct ub_opt options[] = {
	{ "baud", 'B', "N", OPT_BAUD, 0,
	  "the stub's rate (default: the fastest that holds, down from 2000000)" },
	{ "stub", 0, "FILE", OPT_STUB, 0,
	  "the flasher stub the ROM runs (gzip is fine; default\n" STUB_NAME ".bin in "
	  "$XDG_DATA_HOME/unbrick/ecr6600, then " UB_DATADIR "/unbrick/ecr6600)" },
	{ "stub-kind", 0, "auto|custom|stock", OPT_STUB_KIND, 0,
	  "which protocol the stub speaks (default: from the file)" },
	{ "sync-tries", 0, "N", OPT_SYNC_TRIES, 0, "\"cnys\" syncs before giving up (default 600)" },
	{ "sync-interval", 0, "MS", OPT_SYNC_INTERVAL, 0, "between syncs (default 50)" },
	{ "all", 0, NULL, OPT_ALL, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND,
	  "erase the whole chip (needs --force-bootloader)" },
	{ NULL, 0, NULL, 0, 0, NULL },
};

static const struct ub_optset optset = {
	PROG, UB_SHARE_PORT | UB_SHARE_JSON | UB_SHARE_OUTPUT | UB_SHARE_RANGE | UB_SHARE_BACKUP |
	UB_SHARE_FORCE_BOOTLOADER,
	options, apply_option,
};

static void help_backends(FILE *f)
{
	ub_backend_print(f, "Ports (-p):", &ub_port_table);
}

/* ---- the stub file ---- */

/*
 * Loaded before the device is touched. A stub already running needs none,
 * so a default one that is missing is said only when it is needed.
 */
static int load_stub(struct run *r)
{
	static const struct ub_vendor_file stub_file = {
		.what = "stub", .option = "--stub", .suffix = ".bin", .hint = "give --stub FILE",
	};
	char path[PATH_MAX + 256];
	struct ub_datapath dp;
	struct ub_err *err = r->o.stub ? &r->s.err : &r->stub_err;

	if (!r->o.stub && (ub_datapath_init(&dp, "ecr6600", NULL, err) < 0 ||
			   ub_datapath_find(&dp, &stub_file, STUB_NAME, path, sizeof(path), err) < 0))
		return 0;
	if (ub_stub_load(r->o.stub ? r->o.stub : path, STUB_MAX, &r->stub, err) < 0)
		return r->o.stub ? -1 : 0;
	r->have_stub = 1;
	if (r->o.stub_kind == ECR_STUB_UNKNOWN)
		r->o.stub_kind = ecr_stub_kind_of(r->stub.data, r->stub.len);
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
	(void)total;
	ub_progress_update(&((struct run *)arg)->progress, done);
}

static const struct ecr_info *info(const struct run *r)
{
	return ecr_info(r->ecr);
}

static int start_stub(struct run *r)
{
	if (!r->have_stub)
		return ub_fail(&r->s.err, r->stub_err.status ? r->stub_err.status : UB_EUSAGE, "%s",
			       r->stub_err.msg[0] ? r->stub_err.msg : "no stub: give --stub FILE");
	return ecr_boot_stub(r->ecr, r->stub.data, r->stub.len, r->o.stub_kind, &r->s.err);
}

static int connect(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct ub_port_line line = { ECR_ROM_BAUD, UB_PARITY_NONE, 0 };
	struct ub_err why = { 0 };
	int rc;

	if (!s->common.port)
		return ub_fail(&s->err, UB_EUSAGE, "no port given: use -p /dev/ttyUSB0 (or -p "
			       "sim:ecr6600 to try the emulator)");
	if (ub_reset_parse(s->common.reset, &r->reset, &s->err) < 0 ||
	    ub_port_open(s->common.port, &line, &r->port, &s->err) < 0)
		return -1;
	if (r->o.baud && !ub_port_takes_baud(r->port, r->o.baud, &why))
		return ub_fail(&s->err, why.status, "-B %u: %s", r->o.baud, why.msg);
	if (ub_port_release_lines(r->port, &s->err) < 0)
		return -1;
	r->ecr = ecr_new(&(struct ecr_config){
		.port = r->port, .log = &s->log, .stop = &s->stop, .sync_tries = r->o.sync_tries,
		.sync_interval_ms = r->o.sync_interval_ms,
		.reset = ub_reset_empty(r->reset) ? NULL : reset_chip, .reset_arg = r,
		.progress = draw_progress, .progress_arg = r,
	}, &s->err);
	if (!r->ecr)
		return -1;
	rc = ecr_probe(r->ecr, &s->err);
	if (rc < 0 || (rc == 0 && start_stub(r) < 0) || ecr_identify(r->ecr, &s->err) < 0)
		return -1;
	if (r->o.baud)
		rc = ecr_set_baud(r->ecr, r->o.baud, &s->err);
	else
		rc = ecr_best_baud(r->ecr, 2000000, &s->err);
	return rc;
}

/* The stub goes back to 115200 whatever happened, so the next run finds it (as BK does). */
static int release(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct ub_err quiet = { 0 };
	int rc;

	if (r->ecr && info(r)->stub != ECR_STUB_UNKNOWN)
		ecr_restore_baud(r->ecr, &quiet);
	rc = ub_port_close(r->port, &s->err);
	ecr_free(r->ecr);
	ub_reset_free(r->reset);
	ub_stub_free(&r->stub);
	return rc;
}

/* ---- detect, efuse-read ---- */

static int cmd_detect(struct ub_session *s)
{
	const struct ecr_info *i = info(run_of(s));

	if (s->common.json) {
		printf("{\"stub\":\"%s\",\"reused\":%s,\"baud\":%u", ecr_stub_kind_name(i->stub),
		       i->reused ? "true" : "false", i->baud);
		if (i->have_jedec)
			printf(",\"jedec\":\"%02x%02x%02x\"", i->jedec[0], i->jedec[1], i->jedec[2]);
		printf(",\"flash_size\":%" PRIu64 "}\n", i->flash_size);
	} else {
		printf("stub:      %s%s\n", ecr_stub_kind_name(i->stub),
		       i->reused ? " (already running)" : "");
		if (i->have_jedec)
			printf("flash id:  %02X %02X %02X\n", i->jedec[0], i->jedec[1], i->jedec[2]);
		printf("flash:     %" PRIu64 " KiB\n", i->flash_size / 1024);
		printf("baud:      %u\n", i->baud);
	}
	return fflush(stdout) ? ub_fail(&s->err, UB_EFAIL, "cannot write stdout") : 0;
}

static int cmd_efuse_read(struct ub_session *s)
{
	uint8_t fuse[128];

	if (info(run_of(s))->stub != ECR_STUB_CUSTOM)
		return ub_fail(&s->err, UB_EUSAGE, "the stock stub cannot read the eFuse (the custom "
			       "stub's 0x99 does): give --stub with BK's custom stub");
	if (ecr_efuse_read(run_of(s)->ecr, fuse, &s->err) < 0)
		return -1;
	if (s->common.json)
		printf("{\"efuse\":\"");
	for (int i = 0; i < 128; i++) {
		if (s->common.json)
			printf("%02x", fuse[i]);
		else
			printf("%s%02x%s", i % 16 ? " " : "", fuse[i], i % 16 == 15 ? "\n" : "");
	}
	if (s->common.json)
		printf("\"}\n");
	return fflush(stdout) ? ub_fail(&s->err, UB_EFAIL, "cannot write stdout") : 0;
}

static int cmd_run(struct ub_session *s)
{
	if (ecr_run(run_of(s)->ecr, &s->err) < 0)
		return -1;
	ub_info(&s->log, "the firmware is starting");
	return 0;
}

/* ---- read ---- */

static int check_read(struct ub_session *s)
{
	return ub_session_open_output(s, s->common.output);
}

static int read_flash(struct run *r, uint32_t addr, uint64_t len, const char *label,
		      ecr_sink_fn sink, void *arg)
{
	int rc;

	ub_progress_start(&r->progress, (enum ub_progress_mode)r->s.common.progress, label, len);
	rc = ecr_read(r->ecr, addr, len, sink, arg, &r->s.err);
	ub_progress_end(&r->progress);
	return rc;
}

static int cmd_read(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint64_t offset, len;

	if (ub_range_from_opts(&s->common, info(r)->flash_size, &offset, &len, &s->err) < 0)
		return -1;
	if (read_flash(r, (uint32_t)offset, len, "read", ub_session_sink, s) < 0) {
		if (s->err.status != UB_EINTR)
			return -1;
		return ub_session_stopped(&r->s, "interrupted; %s was not written",
			       s->out.to_stdout ? "nothing more went to stdout" : s->out.path);
	}
	if (ub_session_commit_output(s) < 0)
		return -1;
	ub_info(&s->log, "read %" PRIu64 " bytes at 0x%06" PRIx64, len, offset);
	return 0;
}

/* ---- images: a raw binary at --offset, or an AIO file ---- */

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * AIO ("oneb") files, as BK7231GUIFlashTool reads them (notes §2.5): "oneb"
 * at 0, records from offset 5: TYPE u8, flash offset LE32, length LE32,
 * data. Type 2 is flash data; type 0 (the stub) and others are skipped.
 */
static int parse_aio(struct run *r)
{
	struct ub_input *in = &r->s.in;
	uint64_t at = 5;

	r->nseg = 0;
	while (at < in->size) {
		uint8_t head[9];

		if (at + sizeof(head) > in->size)
			return ub_fail(&r->s.err, UB_EUSAGE, "%s: the AIO record at 0x%" PRIx64 " is cut "
				       "short (its 9-byte head)", in->name, at);
		if (fseeko(in->f, (off_t)at, SEEK_SET) != 0 ||
		    ub_input_read(in, head, sizeof(head), &r->s.err) < 0)
			return -1;
		struct segment sg = { le32_at(head + 1), le32_at(head + 5), at + sizeof(head) };

		if (sg.file_off + sg.len > in->size)
			return ub_fail(&r->s.err, UB_EUSAGE, "%s: the AIO record at 0x%" PRIx64 " says "
				       "%" PRIu64 " bytes, and the file ends before", in->name, at,
				       sg.len);
		if (head[0] == 2 && sg.len) {
			if (r->nseg == MAX_SEGMENTS)
				return ub_fail(&r->s.err, UB_EUSAGE, "%s: more than %d AIO records",
					       in->name, MAX_SEGMENTS);
			r->seg[r->nseg++] = sg;
		} else if (head[0] != 0) {
			ub_warn(&r->s.log, "%s: skipping AIO record type %u at 0x%" PRIx64, in->name,
				head[0], at);
		}
		at = sg.file_off + sg.len;
	}
	if (!r->nseg)
		return ub_fail(&r->s.err, UB_EUSAGE, "%s: an AIO file with no flash records",
			       in->name);
	return 0;
}

static int is_aio(struct run *r)
{
	uint8_t magic[5];

	if (r->s.in.size < 5)
		return 0;
	if (ub_input_read(&r->s.in, magic, sizeof(magic), &r->s.err) < 0)
		return -1;
	return memcmp(magic, "oneb", 4) == 0;
}

static int open_image(struct ub_session *s)
{
	struct run *r = run_of(s);
	int aio;

	if (ub_session_open_input(s, s->args[0], LARGEST_FLASH, "any flash an ECR6600 has") < 0)
		return -1;
	aio = is_aio(r);
	if (aio < 0)
		return -1;
	r->aio = aio;
	if (aio) {
		if (s->common.has_offset)
			return ub_fail(&s->err, UB_EUSAGE, "%s is an AIO file, whose records say where "
				       "they go: --offset means nothing for it", r->s.in.name);
		if (parse_aio(r) < 0)
			return -1;
	} else {
		r->seg[0] = (struct segment){ (uint32_t)s->common.offset, s->in.size, 0 };
		r->nseg = 1;
	}
	for (int i = 0; i < r->nseg; i++)
		if (r->seg[i].addr % ECR_SECTOR)
			return ub_fail(&s->err, UB_EUSAGE, "%s goes to 0x%06" PRIx32 ", which is not on a "
				       "4 KiB sector (the stub erases whole sectors)", r->s.in.name,
				       r->seg[i].addr);
	return ub_input_rewind(&s->in, &s->err);
}

static int check_bootloader(struct run *r, uint32_t addr, uint64_t len, const char *verb)
{
	uint64_t size = r->ecr ? info(r)->flash_size : 0;
	int whole = addr == 0 && size && len == size && !r->aio;

	if (addr >= BOOT_END || whole || r->s.common.force_bootloader)
		return 0;
	return ub_fail(&r->s.err, UB_EUSAGE, "%s 0x%06" PRIx32 "-0x%06" PRIx64 " would change the "
		       "partition table and u-boot (0x0-0x%x); add --force-bootloader if you mean "
		       "it", verb, addr, addr + len, BOOT_END);
}

static int check_write(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (open_image(s) < 0 || ub_session_open_backup(s, s->common.backup) < 0 ||
	    load_stub(r) < 0)
		return -1;
	/* a whole-flash image is allowed, which needs the flash size: checked again then */
	for (int i = 0; i < r->nseg; i++)
		if (r->aio && check_bootloader(r, r->seg[i].addr, r->seg[i].len, "writing") < 0)
			return -1;
	return 0;
}

/* Every piece inside the flash, and out of the boot region unless allowed. */
static int check_segments(struct run *r, const char *verb)
{
	for (int i = 0; i < r->nseg; i++) {
		if (ub_range_check(r->seg[i].addr, r->seg[i].len, info(r)->flash_size, r->s.in.name,
				   &r->s.err) < 0 ||
		    (verb && check_bootloader(r, r->seg[i].addr, r->seg[i].len, verb) < 0))
			return -1;
	}
	return 0;
}

/* The write's source: the segment's bytes from the file, then the sector's old tail. */
static int segment_bytes(void *arg, uint8_t *data, size_t len, struct ub_err *err)
{
	struct run *r = arg;
	const struct segment *sg = r->src.seg;

	while (len > 0) {
		uint64_t pos = r->src.from + r->src.at;
		size_t n;

		if (pos < sg->len) {
			n = sg->len - pos < len ? (size_t)(sg->len - pos) : len;
			if (fseeko(r->s.in.f, (off_t)(sg->file_off + pos), SEEK_SET) != 0)
				return ub_fail(err, UB_EFAIL, "cannot seek in %s", r->s.in.name);
			if (ub_input_read(&r->s.in, data, n, err) < 0)
				return -1;
		} else {
			size_t t = (size_t)(pos - sg->len);

			n = r->src.tail_len - t < len ? r->src.tail_len - t : len;
			memcpy(data, r->src.tail + t, n);
		}
		data += n;
		len -= n;
		r->src.at += n;
	}
	return 0;
}

static int rewind_run(void *arg, struct ub_err *err)
{
	(void)err;
	((struct run *)arg)->src.at = 0;
	return 0;
}

struct buffer {
	uint8_t *buf;
	size_t at;
};

static int to_buffer(void *arg, const uint8_t *data, size_t len, struct ub_err *err)
{
	struct buffer *b = arg;

	(void)err;
	memcpy(b->buf + b->at, data, len);
	b->at += len;
	return 0;
}

/* A segment that ends inside a sector: the rest of it, as the flash has it now. */
static int read_tail(struct run *r, const struct segment *sg)
{
	uint64_t end = sg->addr + sg->len;
	size_t tail = (size_t)((ECR_SECTOR - end % ECR_SECTOR) % ECR_SECTOR);
	struct buffer sink = { r->src.tail, 0 };

	r->src.tail_len = tail;
	if (!tail)
		return 0;
	return ecr_read(r->ecr, (uint32_t)end, tail, to_buffer, &sink, &r->s.err);
}

/* The segment's bytes [from, from + len), the tail included, into buf. */
static int segment_piece(struct run *r, uint64_t from, size_t len, uint8_t *buf)
{
	r->src.from = from;
	r->src.at = 0;
	return segment_bytes(r, buf, len, &r->s.err);
}

/*
 * Write [from, from + len) of the segment, in one transfer. On a failure
 * or a stop, say what is written: the stock stub's sessions are verified
 * one by one; the custom stub's transfer is checked only as a whole.
 */
static int write_run(struct run *r, uint64_t from, uint64_t len)
{
	uint32_t addr = r->src.seg->addr + (uint32_t)from;
	int rc;

	r->src.from = from;
	r->src.len = len;
	r->src.at = 0;
	ub_progress_start(&r->progress, (enum ub_progress_mode)r->s.common.progress, "write", len);
	rc = ecr_write(r->ecr, addr, len, segment_bytes, rewind_run, r, &r->s.err);
	ub_progress_end(&r->progress);
	if (rc == 0)
		return 0;
	if (r->s.err.status == UB_EINTR)
		return ub_session_stopped(&r->s, "interrupted: 0x%06" PRIx32 "-0x%06" PRIx64 " is written and "
			       "verified, 0x%06" PRIx64 "-0x%06" PRIx64 " may be erased or half-written; "
			       "run the same command again", addr, addr + info(r)->written,
			       addr + info(r)->written, addr + len);
	ub_warn(&r->s.log, "0x%06" PRIx32 "-0x%06" PRIx64 " is written and verified, 0x%06" PRIx64
		"-0x%06" PRIx64 " may be erased or half-written", addr, addr + info(r)->written,
		addr + info(r)->written, addr + len);
	return -1;
}

/*
 * A segment, 64 KiB block by block: blocks the flash already holds (by the
 * custom stub's SHA-256, or by reading them from the stock one) are left
 * alone; the others go in runs, one transfer each.
 */
static int write_segment(struct run *r, const struct segment *sg, unsigned *skipped,
			 unsigned *written)
{
	uint64_t total = sg->len, run_start = 0;
	uint8_t *block = malloc(ECR_BLOCK);
	int in_run = 0, rc = 0;

	if (!block)
		return ub_fail(&r->s.err, UB_EFAIL, "out of memory");
	r->src.seg = sg;
	if (read_tail(r, sg) < 0) {
		free(block);
		return -1;
	}
	total += r->src.tail_len;
	for (uint64_t at = 0; !rc && at < total; at += ECR_BLOCK) {
		size_t n = total - at < ECR_BLOCK ? (size_t)(total - at) : ECR_BLOCK;
		int same = 0;

		if (r->s.stop) {
			rc = ub_fail(&r->s.err, UB_EINTR, "interrupted");
			break;
		}
		rc = segment_piece(r, at, n, block);
		same = rc ? 0 : ecr_holds(r->ecr, sg->addr + (uint32_t)at, block, n, &r->s.err);
		rc = same < 0 ? -1 : rc;
		if (rc)
			break;
		*skipped += same;
		*written += !same;
		if (!same && !in_run) {
			run_start = at;
			in_run = 1;
		} else if (same && in_run) {
			rc = write_run(r, run_start, at - run_start);
			in_run = 0;
		}
	}
	if (!rc && in_run)
		rc = write_run(r, run_start, total - run_start);
	free(block);
	if (rc && r->s.err.status == UB_EINTR && !strcmp(r->s.err.msg, "interrupted"))
		return ub_session_stopped(&r->s, "interrupted before 0x%06" PRIx32 "-0x%06" PRIx64 " was written",
			       sg->addr, sg->addr + sg->len);
	return rc;
}

/* --backup: every range the write will change, read before the first erase. */
static int backup(struct run *r)
{
	if (!r->s.backup_open)
		return 0;
	for (int i = 0; i < r->nseg; i++) {
		ub_info(&r->s.log, "backing up %" PRIu64 " bytes at 0x%06" PRIx32, r->seg[i].len,
			r->seg[i].addr);
		if (read_flash(r, r->seg[i].addr, r->seg[i].len, "backup", ub_session_backup_sink,
			       &r->s) < 0)
			return -1;
	}
	return ub_session_commit_backup(&r->s);
}

static int cmd_write(struct ub_session *s)
{
	struct run *r = run_of(s);
	unsigned skipped = 0, written = 0;

	if (check_segments(r, "writing") < 0 || backup(r) < 0)
		return -1;
	for (int i = 0; i < r->nseg; i++)
		if (write_segment(r, &r->seg[i], &skipped, &written) < 0)
			return -1;
	ub_info(&s->log, "wrote %s and verified it: %u blocks of 64 KiB written, %u already "
		"held it", s->in.name, written, skipped);
	return 0;
}

/* ---- verify ---- */

static int check_verify(struct ub_session *s)
{
	struct run *r = run_of(s);

	return open_image(s) < 0 || load_stub(r) < 0 ? -1 : 0;
}

static int verify_segment(struct run *r, const struct segment *sg)
{
	struct ub_verify v;

	if (fseeko(r->s.in.f, (off_t)sg->file_off, SEEK_SET) != 0)
		return ub_fail(&r->s.err, UB_EFAIL, "cannot seek in %s", r->s.in.name);
	ub_verify_start(&v, &r->s.in, sg->addr);
	if (read_flash(r, sg->addr, sg->len, "verify", ub_verify_sink, &v) < 0)
		return -1;
	return ub_verify_result(&v, &r->s.err);
}

static int cmd_verify(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (check_segments(r, NULL) < 0)
		return -1;
	for (int i = 0; i < r->nseg; i++)
		if (verify_segment(r, &r->seg[i]) < 0)
			return -1;
	ub_info(&s->log, "the flash matches %s", s->in.name);
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
		return ub_fail(&s->err, UB_EUSAGE, "erase --all also erases the partition table and "
			       "u-boot (0x0-0x%x); add --force-bootloader", BOOT_END);
	if (r->o.all)
		return ub_session_open_backup(s, c->backup) < 0 || load_stub(r) < 0 ? -1 : 0;
	if (!c->length)
		return ub_fail(&s->err, UB_EUSAGE, "--length is 0: nothing to erase");
	if (c->offset % ECR_SECTOR || c->length % ECR_SECTOR)
		return ub_fail(&s->err, UB_EUSAGE, "erase range 0x%06" PRIx64 "+0x%" PRIx64 " is not "
			       "aligned to 4 KiB sectors", c->offset, c->length);
	if (c->offset < BOOT_END && !c->force_bootloader)
		return ub_fail(&s->err, UB_EUSAGE, "erasing 0x%06" PRIx64 "-0x%06" PRIx64 " would change "
			       "the partition table and u-boot (0x0-0x%x); add --force-bootloader if "
			       "you mean it", c->offset, c->offset + c->length, BOOT_END);
	return ub_session_open_backup(s, c->backup) < 0 || load_stub(r) < 0 ? -1 : 0;
}

static int cmd_erase(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint64_t offset = r->o.all ? 0 : s->common.offset;
	uint64_t len = r->o.all ? info(r)->flash_size : s->common.length;

	if (ub_range_check(offset, len, info(r)->flash_size, "the erase range", &s->err) < 0)
		return -1;
	r->seg[0] = (struct segment){ (uint32_t)offset, len, 0 };
	r->nseg = 1;
	if (backup(r) < 0)
		return -1;
	if (r->o.all ? ecr_chip_erase(r->ecr, &s->err) < 0 :
	    ecr_erase(r->ecr, (uint32_t)offset, (uint32_t)len, &s->err) < 0)
		return -1;
	ub_info(&s->log, "erased 0x%06" PRIx64 "-0x%06" PRIx64, offset, offset + len);
	return 0;
}

static int check_stub_only(struct ub_session *s)
{
	return load_stub(run_of(s));
}

static int check_read_cmd(struct ub_session *s)
{
	return check_read(s) < 0 || load_stub(run_of(s)) < 0 ? -1 : 0;
}

static const struct ub_command commands[] = {
	{ "detect", "", "the stub, the flash id and size", 0, 0, "json", UB_CMD_STDOUT,
	  check_stub_only, cmd_detect },
	{ "read", "[-o FILE]", "read the flash (whole, or --offset/--length)", 0, 0,
	  "output offset length", 0, check_read_cmd, cmd_read },
	{ "write", "FILE|-", "write a raw image at --offset, or an AIO file, and verify it", 1, 1,
	  "offset backup force-bootloader", 0, check_write, cmd_write },
	{ "verify", "FILE|-", "compare the flash at --offset with an image or an AIO file", 1, 1,
	  "offset", 0, check_verify, cmd_verify },
	{ "erase", "", "erase --offset N --length N, or --all", 0, 0,
	  "offset length all backup force-bootloader", 0, check_erase, cmd_erase },
	{ "efuse-read", "", "print the 128 eFuse bytes (custom stub)", 0, 0, "json", UB_CMD_STDOUT,
	  check_stub_only, cmd_efuse_read },
	{ "run", "", "leave the stub and start the firmware", 0, 0, "", 0, check_stub_only,
	  cmd_run },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL },
};

static const struct ub_program program = {
	PROG, "Read, write and erase the flash of an ESWIN ECR6600 over its serial port.",
	&optset, commands, help_backends, NULL, connect, release, free_options,
};

int main(int argc, char **argv)
{
	static struct run r;

	r.o.sync_tries = 600;
	r.o.sync_interval_ms = 50;
	r.s.opts = &r.o;
	return ub_prog_main(&program, &r.s, argc, argv);
}
