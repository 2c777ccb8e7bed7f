/* SPDX-License-Identifier: MIT */
/* gx-upload: boot a NationalChip GX set-top box's RAM loader and use its flash commands. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "gx.h"
#include "image.h"
#include "parse.h"
#include "progress.h"
#include "reset.h"
#include "sigint.h"

#ifndef UB_VERSION
#define UB_VERSION "unknown"
#endif
#ifndef UB_DATADIR
#define UB_DATADIR "/usr/share"
#endif

#define PROG "gx-upload"
#define DUMP_CHUNK 65536u
/* Without a partition table, BOOT is taken as large as it comes (notes §1.3). */
#define BOOT_MAX 0x20000u
#define SHELL_ESCAPE 0x1d  /* ^] */
#define SHELL_LINGER_MS 500

enum {
	OPT_PORT = 'p', OPT_BAUD = 'B', OPT_LOADER = 'L', OPT_OUTPUT = 'o', OPT_CONFIG = 'c',
	OPT_BOARD = 'b', OPT_HELP = 'h', OPT_VERSION = 'V', OPT_VERBOSE = 'v', OPT_QUIET = 'q',
	OPT_RESET = 256, OPT_CHIP, OPT_LOADER_DIR, OPT_RETRIES, OPT_TIMEOUT, OPT_JSON,
	OPT_PROGRESS, OPT_FORCE_BOOTLOADER, OPT_IRREVERSIBLE, OPT_NO_VERIFY,
};

static const struct option long_options[] = {
	{ "port", required_argument, NULL, OPT_PORT },
	{ "baud", required_argument, NULL, OPT_BAUD },
	{ "reset", required_argument, NULL, OPT_RESET },
	{ "loader", required_argument, NULL, OPT_LOADER },
	{ "chip", required_argument, NULL, OPT_CHIP },
	{ "loader-dir", required_argument, NULL, OPT_LOADER_DIR },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "force-bootloader", no_argument, NULL, OPT_FORCE_BOOTLOADER },
	{ "irreversible", no_argument, NULL, OPT_IRREVERSIBLE },
	{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "board", required_argument, NULL, OPT_BOARD },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};
static const char short_options[] = "p:B:L:o:c:b:vqhV";

struct opts {
	char *port, *reset, *loader, *chip, *loader_dir, *output, *config, *board;
	unsigned baud;
	int retries, timeout_s;
	int json, force_bootloader, irreversible, no_verify;
	int verbosity, progress, help, version;
};

struct run {
	struct opts o;
	struct ub_log log;
	struct ub_err err;
	struct gx_loader loader;
	int have_loader;
	struct ub_reset *reset;
	struct ub_port *port;
	struct gx gx;
	struct ub_progress progress;
	struct ub_input in;
	int in_open;
	struct ub_output out;
	int out_open;
	char **args;
	int nargs;
	volatile sig_atomic_t stop;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTIONS] COMMAND [ARGS]\n"
		"Boot a NationalChip GX set-top box's RAM loader over its serial port, then\n"
		"read and write its flash and OTP with the loader's commands.\n"
		"\n"
		"Commands (each boots the loader first unless the box shows boot>):\n"
		"  boot                        boot the loader and stop at its boot> prompt\n"
		"  info [--json]               chip, flash and partition table\n"
		"  dump PART|ADDR [SIZE] [-o FILE]   read flash (a partition, or from ADDR)\n"
		"  write PART|ADDR FILE|-      write an image, then read it back to verify\n"
		"  otp-read ADDR SIZE [-o FILE]      read the chip's OTP\n"
		"  otp-write ADDR FILE --irreversible  program the chip's OTP (one way)\n"
		"  sflash-otp status | read ADDR SIZE [-o FILE] | write ADDR FILE --irreversible\n"
		"  cmd TEXT                    send one loader command, print its answer\n"
		"  shell                       a terminal on the boot> prompt (^] quits)\n"
		"\n"
		"Options:\n"
		"  -p, --port SPEC        /dev/ttyUSB0, tcp:HOST:PORT, rfc2217:HOST:PORT or sim:gx[,...]\n"
		"  -L, --loader FILE      the .boot loader for this board\n"
		"      --chip NAME        a loader from the loader directory, e.g. gemini-6702H5\n"
		"      --loader-dir DIR   where --chip looks (default " UB_DATADIR "/unbrick/gx)\n"
		"  -B, --baud N           ROM-stage baud (default: the loader header's, else 115200)\n"
		"      --reset SEQ        power/reset sequence before waiting for the ROM, e.g.\n"
		"                         dtr=1,100ms,dtr=0 or gpiochip0:17=0,200ms,gpiochip0:17=1\n"
		"  -o, --output FILE      where dump and OTP reads go (default stdout, not a terminal)\n"
		"      --retries N        retry a transfer whose XOR-sum fails (default 3)\n"
		"      --timeout SEC      how long to wait for the boot ROM (default 30)\n"
		"      --force-bootloader allow writing into the BOOT partition\n"
		"      --irreversible     allow OTP writes\n"
		"      --no-verify        do not read a write back\n"
		"      --json             info prints JSON\n"
		"      --progress WHEN    auto, always or never\n"
		"  -c, --config FILE      config file (default $XDG_CONFIG_HOME/unbrick/unbrick.conf,\n"
		"                         then /etc/unbrick/unbrick.conf)\n"
		"  -b, --board NAME       use the [board NAME] profile of the config\n"
		"  -v, --verbose          more messages (repeatable)\n"
		"  -q, --quiet            errors and warnings only\n"
		"  -h, --help             this help\n"
		"  -V, --version          version\n"
		"\n"
		"Exit status: 0 ok, 1 operation failed, 2 bad usage or input, 3 no device, 130 interrupted.\n"
		"For more details see gx-upload(1).\n");
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
	int v = 0, mode;

	switch (id) {
	case OPT_PORT: return ub_cli_set_string(&o->port, arg, err);
	case OPT_RESET: return ub_cli_set_string(&o->reset, arg, err);
	case OPT_LOADER: return ub_cli_set_string(&o->loader, arg, err);
	case OPT_CHIP: return ub_cli_set_string(&o->chip, arg, err);
	case OPT_LOADER_DIR: return ub_cli_set_string(&o->loader_dir, arg, err);
	case OPT_OUTPUT: return ub_cli_set_string(&o->output, arg, err);
	case OPT_CONFIG: return ub_cli_set_string(&o->config, arg, err);
	case OPT_BOARD: return ub_cli_set_string(&o->board, arg, err);
	case OPT_BAUD:
		if (parse_int("--baud", arg, 1200, 4000000, &v, err))
			return -1;
		o->baud = (unsigned)v;
		return 0;
	case OPT_RETRIES: return parse_int("--retries", arg, 0, 100, &o->retries, err);
	case OPT_TIMEOUT: return parse_int("--timeout", arg, 1, 3600, &o->timeout_s, err);
	case OPT_JSON: o->json = 1; return 0;
	case OPT_FORCE_BOOTLOADER: o->force_bootloader = 1; return 0;
	case OPT_IRREVERSIBLE: o->irreversible = 1; return 0;
	case OPT_NO_VERIFY: o->no_verify = 1; return 0;
	case OPT_PROGRESS:
		mode = ub_progress_mode_parse(arg);
		if (mode < 0)
			return ub_fail(err, UB_EUSAGE, "bad --progress '%s': use auto, always or never", arg);
		o->progress = mode;
		return 0;
	case OPT_VERBOSE: o->verbosity++; return 0;
	case OPT_QUIET: o->verbosity = -1; return 0;
	case OPT_HELP: o->help = 1; return 0;
	case OPT_VERSION: o->version = 1; return 0;
	default:
		return ub_fail(err, UB_EUSAGE, "unknown option; try '" PROG " --help'");
	}
}

static const struct ub_cli cli = { PROG, short_options, long_options, apply_option };

static int apply_config_key(void *ctx, const char *key, const char *value, struct ub_err *err)
{
	return ub_cli_config_key(&cli, ctx, key, value, err);
}

static void free_opts(struct opts *o)
{
	free(o->port);
	free(o->reset);
	free(o->loader);
	free(o->chip);
	free(o->loader_dir);
	free(o->output);
	free(o->config);
	free(o->board);
}

static int load_options(int argc, char **argv, struct opts *o, struct ub_err *err)
{
	struct opts first = { .retries = 3 };
	int rc;

	o->retries = 3;
	o->timeout_s = 30;
	rc = ub_cli_parse_args(&cli, argc, argv, &first, err);
	if (!rc && !first.help && !first.version) {
		char used[4096];

		rc = ub_conf_load(first.config, PROG, first.board, apply_config_key, o,
				  used, sizeof(used), err);
	}
	if (!rc)
		rc = ub_cli_parse_args(&cli, argc, argv, o, err);
	free_opts(&first);
	return rc;
}

/* ---- the loader file ---- */

static int loader_name_matches(const char *file, const char *name)
{
	size_t fl = strlen(file), nl = strlen(name);

	if (fl < 6 || strcmp(file + fl - 5, ".boot"))
		return 0;
	if (!strcmp(file, name) || (fl == nl + 5 && !strncmp(file, name, nl)))
		return 2;  /* exact */
	if (!strncmp(file, name, nl) && file[nl] == '-')
		return 1;
	return strstr(file, name) != NULL;
}

/* --chip NAME: the one .boot file in the loader directory that NAME picks. */
static int find_loader(struct run *r, char *path, size_t cap)
{
	const char *dir = r->o.loader_dir ? r->o.loader_dir : UB_DATADIR "/unbrick/gx";
	char found[256] = "", other[256] = "";
	int best = 0, ties = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return ub_fail_errno(&r->err, UB_EUSAGE, errno, "cannot read the loader directory %s "
				     "(set --loader-dir or loader-dir in the config)", dir);
	while ((e = readdir(d))) {
		int m = loader_name_matches(e->d_name, r->o.chip);

		if (m > best) {
			best = m;
			ties = 0;
			snprintf(found, sizeof(found), "%s", e->d_name);
		} else if (m && m == best) {
			ties++;
			snprintf(other, sizeof(other), "%s", e->d_name);
		}
	}
	closedir(d);
	if (!best)
		return ub_fail(&r->err, UB_EUSAGE, "no loader for '%s' in %s; list the *.boot files "
			       "there, or give -L FILE.boot", r->o.chip, dir);
	if (ties)
		return ub_fail(&r->err, UB_EUSAGE, "--chip '%s' matches several loaders in %s (%s, "
			       "%s, ...); give more of the name", r->o.chip, dir, found, other);
	snprintf(path, cap, "%s/%s", dir, found);
	return 0;
}

static int load_loader(struct run *r)
{
	char path[512];

	if (r->o.loader && r->o.chip)
		return ub_fail(&r->err, UB_EUSAGE, "give -L FILE or --chip NAME, not both");
	if (!r->o.loader && !r->o.chip)
		return 0;
	if (r->o.chip && find_loader(r, path, sizeof(path)) < 0)
		return -1;
	if (gx_loader_load(r->o.loader ? r->o.loader : path, &r->loader, &r->err) < 0)
		return -1;
	r->have_loader = 1;
	ub_debug(&r->log, "loader %s: chip 0x%04x, header baud %u, %zu bytes%s", r->loader.path,
		 r->loader.chip, r->loader.baud, r->loader.len, r->loader.legacy ? " (legacy)" : "");
	return 0;
}

/* ---- commands ---- */

struct command {
	const char *name;
	int min_args, max_args;
	int (*run)(struct run *r);
	int output;       /* writes binary to -o/stdout */
	const char *args;
};

static int parse_addr(struct run *r, const char *what, const char *s, uint64_t *out)
{
	if (ub_parse_u64(s, out) || *out > UINT32_MAX)
		return ub_fail(&r->err, UB_EUSAGE, "bad %s '%s': use a number such as 0x10000, "
			       "4096 or 64K", what, s);
	return 0;
}

static int is_number(const char *s)
{
	uint64_t v;

	return ub_parse_u64(s, &v) == 0;
}

/* PART|ADDR [SIZE] -> a flash range, checked against the table and the flash. */
struct range {
	uint64_t addr, len;
	const struct gx_part *part;
};

static int no_table(struct run *r, const char *what)
{
	return ub_fail(&r->err, UB_EUSAGE, "%s needs the partition table, which the loader prints "
		       "only when it starts, and the box was already at its boot> prompt; give an "
		       "address and a size, or power-cycle the box so " PROG " boots it", what);
}

static int resolve(struct run *r, const char *target, const char *size, uint64_t file_len,
		   struct range *rg)
{
	const struct gx_info *info = &r->gx.info;
	uint64_t flash = info->flash_size;

	memset(rg, 0, sizeof(*rg));
	if (!is_number(target)) {
		if (!info->have_banner)
			return no_table(r, target);
		rg->part = gx_find_part(info, target);
		if (!rg->part)
			return ub_fail(&r->err, UB_EUSAGE, "no partition '%s' on this box (it has %s%s%s%s%s%s)",
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
		return ub_fail(&r->err, UB_EUSAGE, "size 0 for %s: nothing to do", target);
	if (rg->part && rg->len > rg->part->size)
		return ub_fail(&r->err, UB_EUSAGE, "%" PRIu64 " bytes do not fit partition %s "
			       "(%" PRIu32 " bytes at 0x%06" PRIx32 ")", rg->len, rg->part->name,
			       rg->part->size, rg->part->start);
	if (flash && rg->addr + rg->len > flash)
		return ub_fail(&r->err, UB_EUSAGE, "0x%06" PRIx64 "+%" PRIu64 " runs past the end of "
			       "the %" PRIu64 " MiB flash (0x%06" PRIx64 ")", rg->addr, rg->len,
			       flash >> 20, flash);
	return 0;
}

static int sink_output(void *arg, const uint8_t *data, size_t len, struct ub_err *err)
{
	struct run *r = arg;

	return ub_output_write(&r->out, data, len, err);
}

static void start_progress(struct run *r, const char *label, uint64_t total)
{
	ub_progress_start(&r->progress, (enum ub_progress_mode)r->o.progress, label, total);
	r->gx.progress = &r->progress;
}

static void end_progress(struct run *r)
{
	ub_progress_end(&r->progress);
	r->gx.progress = NULL;
}

static int read_to_output(struct run *r, const char *verb, uint64_t addr, uint64_t len,
			  size_t chunk, const char *what)
{
	int rc;

	ub_info(&r->log, "reading %s: %" PRIu64 " bytes at 0x%06" PRIx64, what, len, addr);
	start_progress(r, "read", len);
	rc = gx_read(&r->gx, verb, addr, len, chunk, r->o.retries, sink_output, r, &r->err);
	end_progress(r);
	if (rc == 0)
		rc = ub_output_commit(&r->out, &r->err);
	if (rc == 0)
		r->out_open = 0;
	return rc;
}

static int cmd_dump(struct run *r)
{
	struct range rg;

	if (resolve(r, r->args[0], r->nargs > 1 ? r->args[1] : NULL, 0, &rg) < 0)
		return -1;
	return read_to_output(r, "serialdump", rg.addr, rg.len, DUMP_CHUNK, r->args[0]);
}

/* ---- writes ---- */

struct compare {
	struct run *r;
	uint64_t at;
	int differs;
	uint64_t first_bad;
};

static int source_input(void *arg, uint8_t *data, size_t len, struct ub_err *err)
{
	struct run *r = arg;

	return ub_input_read(&r->in, data, len, err);
}

static int rewind_input(void *arg)
{
	struct run *r = arg;

	return fseek(r->in.f, 0, SEEK_SET);
}

static int sink_compare(void *arg, const uint8_t *data, size_t len, struct ub_err *err)
{
	struct compare *c = arg;
	uint8_t want[DUMP_CHUNK];

	if (len > sizeof(want) || ub_input_read(&c->r->in, want, len, err) < 0)
		return -1;
	for (size_t i = 0; i < len && !c->differs; i++)
		if (data[i] != want[i]) {
			c->differs = 1;
			c->first_bad = c->at + i;
		}
	c->at += len;
	return 0;
}

static int input_xorsum(struct run *r, uint32_t *sum)
{
	uint8_t buf[DUMP_CHUNK];
	uint64_t at = 0;

	*sum = 0;
	while (at < r->in.size) {
		size_t n = r->in.size - at < sizeof(buf) ? (size_t)(r->in.size - at) : sizeof(buf);

		if (ub_input_read(&r->in, buf, n, &r->err) < 0)
			return -1;
		*sum = gx_xorsum(*sum, at, buf, n);
		at += n;
	}
	return rewind_input(r) == 0 ? 0 : ub_fail(&r->err, UB_EFAIL, "cannot rewind %s", r->in.name);
}

/* Read the range back and compare it with the input. */
static int verify(struct run *r, const char *verb, uint64_t addr, uint64_t len)
{
	struct compare c = { .r = r, .at = addr };

	if (rewind_input(r) < 0)
		return ub_fail(&r->err, UB_EFAIL, "cannot rewind %s", r->in.name);
	ub_info(&r->log, "reading back %" PRIu64 " bytes to verify", len);
	start_progress(r, "verify", len);
	if (gx_read(&r->gx, verb, addr, len, DUMP_CHUNK, r->o.retries, sink_compare, &c,
		    &r->err) < 0) {
		end_progress(r);
		return -1;
	}
	end_progress(r);
	if (c.differs)
		return ub_fail(&r->err, UB_EFAIL, "verify failed: the flash differs from %s at "
			       "0x%06" PRIx64 "; the write did not take; retry, and do not power "
			       "off the box before a write verifies", r->in.name, c.first_bad);
	return 0;
}

static int check_bootloader(struct run *r, const struct range *rg)
{
	const struct gx_part *boot = gx_find_part(&r->gx.info, "BOOT");
	uint64_t end = boot ? boot->start + boot->size : BOOT_MAX;
	uint64_t start = boot ? boot->start : 0;
	int full_image = rg->addr == 0 && r->gx.info.flash_size && rg->len == r->gx.info.flash_size;

	if (r->o.force_bootloader || full_image || rg->addr >= end || rg->addr + rg->len <= start)
		return 0;
	return ub_fail(&r->err, UB_EUSAGE, "writing 0x%06" PRIx64 "-0x%06" PRIx64 " would change "
		       "the BOOT partition (0x%06" PRIx64 "-0x%06" PRIx64 "), and a bad boot loader "
		       "leaves only the ROM; add --force-bootloader if you mean it", rg->addr,
		       rg->addr + rg->len, start, end);
}

static int cmd_write(struct run *r)
{
	struct range rg;
	uint32_t sum;
	char target[64];
	int rc;

	if (resolve(r, r->args[0], NULL, r->in.size, &rg) < 0 || check_bootloader(r, &rg) < 0 ||
	    input_xorsum(r, &sum) < 0)
		return -1;
	/* A name lets the loader do what it does for partitions (its table CRCs). */
	if (rg.part)
		snprintf(target, sizeof(target), "%s", rg.part->name);
	else
		snprintf(target, sizeof(target), "0x%" PRIx64, rg.addr);
	ub_info(&r->log, "writing %s (%" PRIu64 " bytes) to %s at 0x%06" PRIx64, r->in.name,
		rg.len, target, rg.addr);
	start_progress(r, "write", rg.len);
	rc = gx_write(&r->gx, "serialdown", target, rg.len, sum, r->o.retries, source_input,
		      rewind_input, r, &r->err);
	end_progress(r);
	if (rc < 0)
		return -1;
	if (!r->o.no_verify && verify(r, "serialdump", rg.addr, rg.len) < 0)
		return -1;
	ub_info(&r->log, "wrote %" PRIu64 " bytes at 0x%06" PRIx64 "%s", rg.len, rg.addr,
		r->o.no_verify ? " (not verified)" : ", verified");
	return 0;
}

/* ---- OTP ---- */

static int read_otp(struct run *r, const char *verb)
{
	uint64_t addr, len;

	if (parse_addr(r, "OTP address", r->args[0], &addr) < 0 ||
	    parse_addr(r, "OTP size", r->args[1], &len) < 0)
		return -1;
	if (!len)
		return ub_fail(&r->err, UB_EUSAGE, "OTP size 0: nothing to read");
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
static int write_otp(struct run *r, const char *read_verb, const char *write_verb, int nor)
{
	uint64_t addr;
	struct buffer want = { 0 }, old = { 0 }, back = { 0 };
	char target[32];
	int rc = -1;

	if (parse_addr(r, "OTP address", r->args[0], &addr) < 0)
		return -1;
	want.len = old.len = back.len = (size_t)r->in.size;
	want.data = malloc(want.len);
	old.data = malloc(want.len);
	back.data = malloc(want.len);
	if (!want.data || !old.data || !back.data) {
		ub_fail(&r->err, UB_EFAIL, "out of memory");
		goto out;
	}
	if (ub_input_read(&r->in, want.data, want.len, &r->err) < 0 ||
	    gx_read(&r->gx, read_verb, addr, want.len, want.len, r->o.retries, sink_buffer, &old,
		    &r->err) < 0)
		goto out;
	for (size_t i = 0; i < want.len; i++)
		if (nor ? want.data[i] & ~old.data[i] : old.data[i] & ~want.data[i]) {
			ub_fail(&r->err, UB_EFAIL, "OTP byte 0x%" PRIx64 " is already 0x%02x, and %s "
				"wants 0x%02x: OTP bits cannot be %s; nothing was written",
				addr + i, old.data[i], r->in.name, want.data[i],
				nor ? "set again" : "cleared");
			goto out;
		}
	print_hex("will program OTP (one way, cannot be undone)", addr, want.data, want.len);
	snprintf(target, sizeof(target), "0x%" PRIx64, addr);
	if (gx_write(&r->gx, write_verb, target, want.len, gx_xorsum(0, 0, want.data, want.len),
		     r->o.retries, source_buffer, rewind_buffer, &want, &r->err) < 0 ||
	    gx_read(&r->gx, read_verb, addr, want.len, want.len, r->o.retries, sink_buffer, &back,
		    &r->err) < 0)
		goto out;
	if (memcmp(back.data, want.data, want.len)) {
		ub_fail(&r->err, UB_EFAIL, "OTP at 0x%" PRIx64 " reads back different from %s "
			"after programming", addr, r->in.name);
		goto out;
	}
	ub_info(&r->log, "programmed %zu OTP bytes at 0x%" PRIx64 ", verified", want.len, addr);
	rc = 0;
out:
	free(want.data);
	free(old.data);
	free(back.data);
	return rc;
}

static int cmd_otp_read(struct run *r)
{
	return read_otp(r, "gx_otp read");
}

static int cmd_otp_write(struct run *r)
{
	return write_otp(r, "gx_otp read", "gx_otp write", 0);
}

static int print_answer(struct run *r, const char *line)
{
	char *answer;
	const char *text;

	if (gx_command(&r->gx, line, &answer, &r->err) < 0)
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
	return fflush(stdout) == 0 ? 0 : ub_fail_errno(&r->err, UB_EFAIL, errno, "stdout");
}

static int cmd_sflash_otp(struct run *r)
{
	const char *sub = r->args[0];

	r->args++;
	r->nargs--;
	if (!strcmp(sub, "status"))
		return print_answer(r, "sflash_otp status");
	if (!strcmp(sub, "read"))
		return read_otp(r, "sflash_otp read");
	return write_otp(r, "sflash_otp read", "sflash_otp write", 1);
}

static int cmd_cmd(struct run *r)
{
	return print_answer(r, r->args[0]);
}

/* ---- boot, info, shell ---- */

static int cmd_boot(struct run *r)
{
	(void)r;
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

static int cmd_info(struct run *r)
{
	if (!r->gx.info.have_banner)
		return no_table(r, "info");
	if (r->o.json)
		info_json(&r->gx.info);
	else
		info_text(&r->gx.info);
	return fflush(stdout) == 0 ? 0 : ub_fail_errno(&r->err, UB_EFAIL, errno, "stdout");
}

/* Copy between the terminal and the prompt until ^] or end of input. */
static int cmd_shell(struct run *r)
{
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
		rc = ub_fail_errno(&r->err, UB_EFAIL, errno, "stdout");
	while (rc == 0 && !r->stop) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		ssize_t n = gx_read_some(&r->gx, buf, sizeof(buf), 0, &r->err);

		if (n < 0 || (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)) {
			rc = -1;
			break;
		}
		if (poll(&p, 1, n > 0 ? 0 : 20) <= 0)
			continue;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0 || (tty && memchr(buf, SHELL_ESCAPE, (size_t)n)))
			break;
		rc = ub_port_write(r->port, buf, (size_t)n, &r->err);
	}
	/* Input from a file or pipe: let the last answers arrive. */
	while (rc == 0 && !tty && !r->stop) {
		ssize_t n = gx_read_some(&r->gx, buf, sizeof(buf), SHELL_LINGER_MS, &r->err);

		if (n <= 0 || write(STDOUT_FILENO, buf, (size_t)n) < 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return rc;
}

static const struct command commands[] = {
	{ "boot", 0, 0, cmd_boot, 0, "no arguments" },
	{ "info", 0, 0, cmd_info, 0, "no arguments" },
	{ "dump", 1, 2, cmd_dump, 1, "PART|ADDR [SIZE]" },
	{ "write", 2, 2, cmd_write, 0, "PART|ADDR FILE" },
	{ "otp-read", 2, 2, cmd_otp_read, 1, "ADDR SIZE" },
	{ "otp-write", 2, 2, cmd_otp_write, 0, "ADDR FILE" },
	{ "sflash-otp", 1, 3, cmd_sflash_otp, 0, "status | read ADDR SIZE | write ADDR FILE" },
	{ "cmd", 1, 1, cmd_cmd, 0, "one quoted TEXT" },
	{ "shell", 0, 0, cmd_shell, 0, "no arguments" },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int sflash_usage(struct run *r)
{
	const char *sub = r->args[0];

	if (!strcmp(sub, "status") && r->nargs == 1)
		return 0;
	if ((!strcmp(sub, "read") || !strcmp(sub, "write")) && r->nargs == 3)
		return 0;
	return ub_fail(&r->err, UB_EUSAGE, "sflash-otp takes status, read ADDR SIZE or "
		       "write ADDR FILE; try '" PROG " --help'");
}

/* The arguments that must be numbers, checked before the box is touched. */
static int check_numbers(struct run *r, const struct command *cmd)
{
	const char *const *a = (const char *const *)r->args;
	uint64_t v;
	int sflash = !strcmp(cmd->name, "sflash-otp");

	if (!strcmp(cmd->name, "dump") && r->nargs == 2)
		return parse_addr(r, "size", a[1], &v);
	if (!strcmp(cmd->name, "otp-read") || (sflash && !strcmp(a[0], "read")))
		return parse_addr(r, "OTP address", a[sflash], &v) < 0 ||
		       parse_addr(r, "OTP size", a[sflash + 1], &v) < 0 ? -1 : 0;
	if (!strcmp(cmd->name, "otp-write") || (sflash && !strcmp(a[0], "write")))
		return parse_addr(r, "OTP address", a[sflash], &v);
	return 0;
}

/* Everything that can be checked without the box, and the files it needs. */
static int prepare(struct run *r, const struct command *cmd)
{
	const char *in_file = NULL;
	int writes_otp = !strcmp(cmd->name, "otp-write");

	if (r->nargs < cmd->min_args || r->nargs > cmd->max_args)
		return ub_fail(&r->err, UB_EUSAGE, "%s takes %s; try '" PROG " --help'", cmd->name,
			       cmd->args);
	if (!strcmp(cmd->name, "sflash-otp")) {
		if (sflash_usage(r) < 0)
			return -1;
		writes_otp = !strcmp(r->args[0], "write");
		if (writes_otp)
			in_file = r->args[2];
	}
	if (!strcmp(cmd->name, "write") || !strcmp(cmd->name, "otp-write"))
		in_file = r->args[1];
	if (check_numbers(r, cmd) < 0)
		return -1;
	if (writes_otp && !r->o.irreversible)
		return ub_fail(&r->err, UB_EUSAGE, "OTP writes cannot be undone; add --irreversible "
			       "if you mean it");
	if (r->o.json && strcmp(cmd->name, "info"))
		return ub_fail(&r->err, UB_EUSAGE, "--json is for info");
	if (ub_reset_parse(r->o.reset, &r->reset, &r->err) < 0 || load_loader(r) < 0)
		return -1;
	if (in_file) {
		if (ub_input_open(in_file, &r->in, &r->err) < 0)
			return -1;
		r->in_open = 1;
		if (r->in.size == 0)
			return ub_fail(&r->err, UB_EUSAGE, "%s is empty: nothing to write", r->in.name);
	}
	if (cmd->output || (!strcmp(cmd->name, "sflash-otp") && !strcmp(r->args[0], "read"))) {
		if (ub_output_open(r->o.output, &r->out, &r->err) < 0)
			return -1;
		r->out_open = 1;
	} else if (r->o.output) {
		return ub_fail(&r->err, UB_EUSAGE, "-o is for dump and OTP reads");
	}
	return 0;
}

static int power_on(void *arg, struct ub_err *err)
{
	struct run *r = arg;

	if (ub_reset_empty(r->reset))
		return 0;
	ub_info(&r->log, "running the reset sequence '%s'", r->o.reset);
	return ub_reset_run(r->reset, r->port, PROG, err);
}

static int connect_box(struct run *r)
{
	struct ub_port_line line = { GX_LOADER_BAUD, UB_PARITY_NONE, 1 };
	int rc;

	if (!r->o.port)
		return ub_fail(&r->err, UB_EUSAGE, "no port given: use -p /dev/ttyUSB0 (or -p sim:gx "
			       "to try the emulator)");
	/* INPCK, as the notes call it critical for this ROM (§1.1). */
	if (ub_port_open(r->o.port, &line, &r->port, &r->err) < 0)
		return -1;
	r->gx = (struct gx){
		.port = r->port, .log = &r->log, .loader = r->have_loader ? &r->loader : NULL,
		.boot = { r->o.baud, r->o.timeout_s * 1000 }, .stop = &r->stop,
		.power_on = power_on, .power_arg = r,
	};
	ub_progress_start(&r->progress, (enum ub_progress_mode)r->o.progress, "loader", 0);
	r->gx.progress = &r->progress;
	rc = gx_connect(&r->gx, &r->err);
	r->gx.progress = NULL;
	if (rc >= 0 && r->gx.no_crc)
		ub_warn(&r->log, "this legacy loader sends no XOR-sums: dumps cannot be checked");
	if (rc == 0)
		ub_info(&r->log, "loader running: %s %s, flash %s (%" PRIu64 " KiB), %d partitions",
			r->gx.info.chip_model, r->gx.info.board, r->gx.info.flash_model,
			r->gx.info.flash_size / 1024, r->gx.info.nparts);
	return rc < 0 ? -1 : 0;
}

static int finish(struct run *r, int rc)
{
	if (r->in_open)
		ub_input_close(&r->in);
	if (r->out_open)
		ub_output_abort(&r->out);
	ub_port_close(r->port);
	ub_reset_free(r->reset);
	if (r->have_loader)
		gx_loader_free(&r->loader);
	if (rc) {
		if (r->err.status == UB_OK)
			ub_fail(&r->err, UB_EFAIL, "failed");
		ub_logf(&r->log, UB_LOG_ERR, "%s", r->err.msg);
	}
	free_opts(&r->o);
	return rc ? r->err.status : 0;
}

int main(int argc, char **argv)
{
	static struct run r;
	const struct command *cmd;

	r.log = (struct ub_log){ UB_LOG_INFO, ub_log_stderr, (void *)PROG };
	if (load_options(argc, argv, &r.o, &r.err))
		return finish(&r, -1);
	r.log.level = UB_LOG_INFO + r.o.verbosity;
	if (r.o.help) {
		usage(stdout);
		return finish(&r, 0);
	}
	if (r.o.version) {
		printf(PROG " %s\n", UB_VERSION);
		return finish(&r, 0);
	}
	if (optind >= argc) {
		ub_fail(&r.err, UB_EUSAGE, "no command given; try '" PROG " --help'");
		return finish(&r, -1);
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		ub_fail(&r.err, UB_EUSAGE, "unknown command '%s'; try '" PROG " --help'", argv[optind]);
		return finish(&r, -1);
	}
	r.args = argv + optind + 1;
	r.nargs = argc - optind - 1;
	if (prepare(&r, cmd) < 0)
		return finish(&r, -1);
	ub_sigint_install(&r.stop);
	if (connect_box(&r) < 0)
		return finish(&r, -1);
	return finish(&r, cmd->run(&r));
}
