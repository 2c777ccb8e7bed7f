/* SPDX-License-Identifier: MIT */
/* beken-spi: read, write, erase and recover a BK7231/BK7252 flash over SPI. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beken.h"
#include "cli.h"
#include "config.h"
#include "image.h"
#include "nor.h"
#include "parse.h"
#include "progress.h"
#include "sigint.h"
#include "voltage.h"

#ifndef UB_VERSION
#define UB_VERSION "unknown"
#endif

#define PROG "beken-spi"
/* The boot loader occupies the first 0x11000 bytes (BK7231Flasher.cs BOOTLOADER_SIZE). */
#define BOOTLOADER_END 0x11000u
#define READ_CHUNK 65536u

enum {
	OPT_SPI = 's', OPT_OUTPUT = 'o', OPT_CONFIG = 'c', OPT_BOARD = 'b',
	OPT_HELP = 'h', OPT_VERSION = 'V', OPT_VERBOSE = 'v', OPT_QUIET = 'q',
	OPT_CEN = 256, OPT_SPEED, OPT_OFFSET, OPT_LENGTH, OPT_ALL,
	OPT_FORCE_BOOTLOADER, OPT_JSON, OPT_PROGRESS, OPT_CHECK_VOLTAGE,
};

static const struct option long_options[] = {
	{ "spi", required_argument, NULL, OPT_SPI },
	{ "cen", required_argument, NULL, OPT_CEN },
	{ "speed", required_argument, NULL, OPT_SPEED },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "length", required_argument, NULL, OPT_LENGTH },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "force-bootloader", no_argument, NULL, OPT_FORCE_BOOTLOADER },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "check-voltage", required_argument, NULL, OPT_CHECK_VOLTAGE },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "board", required_argument, NULL, OPT_BOARD },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};
static const char short_options[] = "s:o:c:b:vqhV";

struct opts {
	char *spi, *cen, *output, *config, *board;
	uint32_t speed_hz;  /* 0 = auto */
	uint64_t offset, length;
	int has_offset, has_length, all, force_bootloader, json;
	int verbosity, progress;
	int help, version;
	int check_voltage;
	struct ub_voltage_spec voltage;
};

struct run {
	struct opts o;
	struct ub_log log;
	struct ub_err err;
	struct ub_spi *spi;
	struct ub_gpio_line *cen;
	struct ub_nor nor;
	struct ub_input in;    /* write and verify: opened before the device */
	struct ub_output out;  /* read: opened before the device */
	int out_open;
	volatile sig_atomic_t stop;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTIONS] COMMAND [ARGS]\n"
		"Read, write and recover the flash of a Beken BK7231/BK7252 in SPI flash mode.\n"
		"\n"
		"Commands:\n"
		"  detect                      flash id, name, size, status and protection\n"
		"  read [-o FILE]              read the flash (whole, or --offset/--length)\n"
		"  write FILE|- [--offset N]   write an image, erasing and programming only what changed\n"
		"  verify FILE|- [--offset N]  compare the flash with an image\n"
		"  erase --offset N --length N | --all\n"
		"  unprotect                   clear the flash's write protection\n"
		"  reset                       pulse CEN so the chip boots its firmware\n"
		"\n"
		"Options:\n"
		"  -s, --spi SPEC         spidev:/dev/spidevB.C[,speed=HZ][,mode=0|3] or sim:MODEL[,...]\n"
		"      --cen SPEC         CEN line: gpiochipN:OFFSET or a line name (implied by sim)\n"
		"      --speed HZ|auto    SPI clock (default auto: fastest that reads back the same)\n"
		"  -o, --output FILE      where read writes (default stdout when it is not a terminal)\n"
		"      --offset N         start address (0x hex, K/M suffixes)\n"
		"      --length N         byte count\n"
		"      --all              erase the whole flash\n"
		"      --force-bootloader allow changing 0x0-0x11000 (the boot loader)\n"
		"      --json             detect prints JSON\n"
		"      --progress WHEN    auto, always or never\n"
		"      --check-voltage SPEC  before changing the flash, read the supply from an IIO\n"
		"                         ADC and refuse outside a range: DEVICE:CHANNEL[,min=V]\n"
		"                         [,max=V][,divider=K][,uri=URI] (default 3.0-3.6 V)\n"
		"  -c, --config FILE      config file (default $XDG_CONFIG_HOME/unbrick/unbrick.conf,\n"
		"                         then /etc/unbrick/unbrick.conf)\n"
		"  -b, --board NAME       use the [board NAME] profile of the config\n"
		"  -v, --verbose          more messages (repeatable)\n"
		"  -q, --quiet            errors and warnings only\n"
		"  -h, --help             this help\n"
		"  -V, --version          version\n"
		"\n"
		"Exit status: 0 ok, 1 operation failed, 2 bad usage or input, 3 no device, 130 interrupted.\n"
		"For more details see beken-spi(1).\n");
}

static int parse_number(const char *name, const char *value, uint64_t *out,
			struct ub_err *err)
{
	if (ub_parse_u64(value, out) || *out > UINT32_MAX)
		return ub_fail(err, UB_EUSAGE, "bad %s '%s': use a number such as 0x11000, 4096 or 1M",
			       name, value);
	return 0;
}

static int parse_speed(const char *value, uint32_t *hz, struct ub_err *err)
{
	uint64_t v;

	if (strcmp(value, "auto") == 0) {
		*hz = 0;
		return 0;
	}
	if (ub_parse_hz(value, &v) || v < 1000 || v > 100000000)
		return ub_fail(err, UB_EUSAGE, "bad --speed '%s': use auto or 1k..100M (e.g. 1M, 500k)", value);
	*hz = (uint32_t)v;
	return 0;
}

static int apply_option(void *ctx, int id, const char *arg, struct ub_err *err)
{
	struct opts *o = ctx;
	int mode;

	switch (id) {
	case OPT_SPI: return ub_cli_set_string(&o->spi, arg, err);
	case OPT_CEN: return ub_cli_set_string(&o->cen, arg, err);
	case OPT_OUTPUT: return ub_cli_set_string(&o->output, arg, err);
	case OPT_CONFIG: return ub_cli_set_string(&o->config, arg, err);
	case OPT_BOARD: return ub_cli_set_string(&o->board, arg, err);
	case OPT_SPEED: return parse_speed(arg, &o->speed_hz, err);
	case OPT_OFFSET:
		o->has_offset = 1;
		return parse_number("--offset", arg, &o->offset, err);
	case OPT_LENGTH:
		o->has_length = 1;
		return parse_number("--length", arg, &o->length, err);
	case OPT_ALL: o->all = 1; return 0;
	case OPT_FORCE_BOOTLOADER: o->force_bootloader = 1; return 0;
	case OPT_JSON: o->json = 1; return 0;
	case OPT_PROGRESS:
		mode = ub_progress_mode_parse(arg);
		if (mode < 0)
			return ub_fail(err, UB_EUSAGE, "bad --progress '%s': use auto, always or never", arg);
		o->progress = mode;
		return 0;
	case OPT_CHECK_VOLTAGE:
		o->check_voltage = 1;
		return ub_voltage_parse(arg, &o->voltage, err);
	case OPT_VERBOSE: o->verbosity++; return 0;
	case OPT_QUIET: o->verbosity = -1; return 0;
	case OPT_HELP: o->help = 1; return 0;
	case OPT_VERSION: o->version = 1; return 0;
	default:
		return ub_fail(err, UB_EUSAGE, "unknown option; try '" PROG " --help'");
	}
}

static const struct ub_cli cli = { PROG, short_options, long_options, apply_option };

static int apply_config_key(void *ctx, const char *key, const char *value,
			    struct ub_err *err)
{
	return ub_cli_config_key(&cli, ctx, key, value, err);
}

/* The command line is read twice: first to find -c/-b, then over the config. */
static int load_options(int argc, char **argv, struct opts *o, struct ub_err *err)
{
	struct opts first = { 0 };
	int rc;

	rc = ub_cli_parse_args(&cli, argc, argv, &first, err);
	if (!rc && !first.help && !first.version) {
		char used[4096];

		rc = ub_conf_load(first.config, PROG, first.board, apply_config_key, o,
				  used, sizeof(used), err);
	}
	if (!rc)
		rc = ub_cli_parse_args(&cli, argc, argv, o, err);
	free(first.spi);
	free(first.cen);
	free(first.output);
	free(first.config);
	free(first.board);
	return rc;
}

static void free_opts(struct opts *o)
{
	free(o->spi);
	free(o->cen);
	free(o->output);
	free(o->config);
	free(o->board);
}

/* ---- device ---- */

static int open_link(struct run *r)
{
	if (!r->o.spi)
		return ub_fail(&r->err, UB_EUSAGE,
			       "no SPI given: use --spi spidev:/dev/spidev0.0 (or sim:bk7231n to try the emulator)");
	if (ub_spi_open(r->o.spi, &r->log, &r->spi, &r->err))
		return -1;
	if (r->o.cen)
		return ub_gpio_open(r->o.cen, PROG, 1, &r->cen, &r->err);
	if (r->spi->ops->own_line) {
		r->cen = r->spi->ops->own_line(r->spi->priv, &r->err);
		return r->cen ? 0 : -1;
	}
	return ub_fail(&r->err, UB_EUSAGE,
		       "no CEN line given: use --cen gpiochip0:22 or --cen GPIO22");
}

static int connect_chip(struct run *r)
{
	uint8_t id[3];
	char hz[32];

	if (ub_beken_connect(r->spi, r->cen, r->o.speed_hz, id, &r->log, &r->err) ||
	    ub_nor_attach(&r->nor, r->spi, id, &r->log, &r->err))
		return -1;
	r->nor.stop = &r->stop;
	ub_debug(&r->log, "flash %s (%02X %02X %02X), %u KiB at %s", r->nor.chip.name,
		 id[0], id[1], id[2], r->nor.size / 1024,
		 ub_beken_hz_str(r->spi->speed_hz, hz, sizeof(hz)));
	return 0;
}

/* ---- range checks, all before anything is erased ---- */

static int check_range(struct run *r, uint64_t offset, uint64_t len, const char *what)
{
	uint32_t size = r->nor.size;

	if (offset >= size)
		return ub_fail(&r->err, UB_EUSAGE, "offset 0x%06" PRIx64 " is past the end of the %u KiB flash",
			       offset, size / 1024);
	if (len > size)
		return ub_fail(&r->err, UB_EUSAGE, "%s (%" PRIu64 " bytes) is larger than the flash (%u bytes)",
			       what, len, size);
	if (offset + len > size)
		return ub_fail(&r->err, UB_EUSAGE,
			       "%s at 0x%06" PRIx64 " ends at 0x%06" PRIx64 ", past the end of the flash (0x%06x)",
			       what, offset, offset + len, size);
	return 0;
}

static int check_bootloader(struct run *r, uint64_t offset, uint64_t len, const char *verb)
{
	int full_image = offset == 0 && len == r->nor.size;

	if (offset >= BOOTLOADER_END || full_image || r->o.force_bootloader)
		return 0;
	return ub_fail(&r->err, UB_EUSAGE,
		       "%s 0x%06" PRIx64 "-0x%06" PRIx64 " would change the boot loader (0x0-0x%x); add --force-bootloader if you mean it (a QIO image), or write an app (UA) image at --offset 0x%x",
		       verb, offset, offset + len, BOOTLOADER_END, BOOTLOADER_END);
}

static int check_unprotected(struct run *r)
{
	uint16_t sr;

	if (ub_nor_status(&r->nor, &sr, &r->err))
		return -1;
	if (!ub_nor_protect_bits(&r->nor, sr))
		return 0;
	return ub_fail(&r->err, UB_EFAIL,
		       "the flash is write-protected (SR1=0x%02x SR2=0x%02x); run '" PROG " unprotect' first",
		       sr & 0xff, sr >> 8);
}

/* ---- commands ---- */

static void print_json_detect(struct run *r, uint16_t sr)
{
	const struct ub_nor_chip *c = &r->nor.chip;
	unsigned int prot = ub_nor_protect_bits(&r->nor, sr);

	printf("{\"jedec\":\"%02x%02x%02x\",\"name\":\"%s\",\"known\":%s,\"size\":%u,"
	       "\"sr1\":%u,\"sr2\":%u,\"protect_bits\":%u,\"protected\":%s,\"speed_hz\":%u}\n",
	       c->id[0], c->id[1], c->id[2], c->name, r->nor.known ? "true" : "false",
	       r->nor.size, sr & 0xffu, (unsigned int)sr >> 8, prot, prot ? "true" : "false",
	       r->spi->speed_hz);
}

static int cmd_detect(struct run *r)
{
	const struct ub_nor_chip *c = &r->nor.chip;
	uint16_t sr, prot;
	char hz[32];

	if (ub_nor_status(&r->nor, &sr, &r->err))
		return -1;
	if (r->o.json) {
		print_json_detect(r, sr);
		return 0;
	}
	prot = ub_nor_protect_bits(&r->nor, sr);
	printf("flash:      %s (JEDEC %02X %02X %02X)%s\n", c->name, c->id[0], c->id[1],
	       c->id[2], r->nor.known ? "" : ", not in the table");
	printf("size:       %u KiB\n", r->nor.size / 1024);
	if (c->sr_bytes == 2)
		printf("status:     SR1=0x%02x SR2=0x%02x\n", sr & 0xff, sr >> 8);
	else
		printf("status:     SR1=0x%02x\n", sr & 0xff);
	if (prot)
		printf("protection: on (bits 0x%04x); run '" PROG " unprotect' before writing\n", prot);
	else
		printf("protection: none\n");
	printf("speed:      %s\n", ub_beken_hz_str(r->spi->speed_hz, hz, sizeof(hz)));
	return 0;
}

static int default_range(struct run *r, uint64_t *offset, uint64_t *len)
{
	*offset = r->o.has_offset ? r->o.offset : 0;
	*len = 0;
	if (*offset >= r->nor.size)
		return check_range(r, *offset, 0, "range");
	*len = r->o.has_length ? r->o.length : r->nor.size - *offset;
	if (!*len)
		return ub_fail(&r->err, UB_EUSAGE, "--length is 0");
	return check_range(r, *offset, *len, "the range");
}

static int read_to(struct run *r, uint64_t offset, uint64_t len, struct ub_output *out)
{
	struct ub_progress p;
	uint8_t *buf = malloc(READ_CHUNK);
	uint64_t done = 0;
	int rc = 0;

	if (!buf)
		return ub_fail(&r->err, UB_EFAIL, "out of memory");
	ub_progress_start(&p, r->o.progress, "reading", len);
	while (!rc && done < len) {
		size_t n = len - done < READ_CHUNK ? (size_t)(len - done) : READ_CHUNK;

		if (r->stop)
			rc = ub_fail(&r->err, UB_EINTR, "interrupted after reading %" PRIu64 " bytes", done);
		else if (ub_nor_read(&r->nor, (uint32_t)(offset + done), buf, n, &r->err) ||
			 ub_output_write(out, buf, n, &r->err))
			rc = -1;
		else
			done += n;
		ub_progress_update(&p, done);
	}
	ub_progress_end(&p);
	free(buf);
	return rc;
}

static int cmd_read(struct run *r)
{
	uint64_t offset, len;

	if (default_range(r, &offset, &len) || read_to(r, offset, len, &r->out) ||
	    ub_output_commit(&r->out, &r->err))
		return -1;
	r->out_open = 0;
	ub_info(&r->log, "read %" PRIu64 " bytes at 0x%06" PRIx64, len, offset);
	return 0;
}

struct stream_source {
	struct ub_input *in;  /* NULL: erased bytes */
};

static int next_bytes(void *arg, uint8_t *buf, size_t len, struct ub_err *err)
{
	struct stream_source *src = arg;

	if (!src->in) {
		memset(buf, 0xff, len);
		return 0;
	}
	return ub_input_read(src->in, buf, len, err);
}

static void progress_update(void *arg, uint64_t done)
{
	ub_progress_update(arg, done);
}

static void report_write(struct run *r, const char *verb, uint64_t offset, uint64_t len)
{
	const struct ub_nor_counts *c = &r->nor.counts;

	ub_info(&r->log,
		"%s 0x%06" PRIx64 "-0x%06" PRIx64 " and verified: erased %u blocks and %u sectors, programmed %u pages, %u sectors unchanged (compare %.1f s, erase+program %.1f s, verify %.1f s)",
		verb, offset, offset + len, c->blocks_erased, c->sectors_erased,
		c->pages_programmed, c->sectors_unchanged, (double)c->ns_compare / 1e9,
		(double)c->ns_program / 1e9, (double)c->ns_verify / 1e9);
}

static int smart_write(struct run *r, const char *label, uint64_t offset, uint64_t len,
		       struct ub_input *in)
{
	struct stream_source src = { in };
	struct ub_progress p;
	struct ub_nor_progress np = { progress_update, &p };
	uint32_t done = 0;
	int rc;

	ub_progress_start(&p, r->o.progress, label, len);
	rc = ub_nor_write(&r->nor, (uint32_t)offset, (uint32_t)len, next_bytes, &src, &np,
			  &done, &r->err);
	ub_progress_end(&p);
	if (rc && r->err.status == UB_EINTR) {
		ub_err_clear(&r->err);
		return ub_fail(&r->err, UB_EINTR,
			       "interrupted: 0x%06" PRIx64 "-0x%06" PRIx64 " is written and verified, 0x%06" PRIx64 "-0x%06" PRIx64 " is not; run the same command again to finish",
			       offset, offset + done, offset + done, offset + len);
	}
	if (rc && done)
		ub_warn(&r->log, "0x%06" PRIx64 "-0x%06" PRIx64 " is written and verified, 0x%06" PRIx64 "-0x%06" PRIx64 " is not: run the same command again to finish",
			offset, offset + done, offset + done, offset + len);
	return rc;
}

static int cmd_write(struct run *r)
{
	struct ub_input *in = &r->in;
	uint64_t offset = r->o.offset;

	if (check_range(r, offset, in->size, in->name) ||
	    check_bootloader(r, offset, in->size, "writing") || check_unprotected(r) ||
	    smart_write(r, "writing", offset, in->size, in))
		return -1;
	report_write(r, "wrote", offset, in->size);
	return 0;
}

static int compare_chunk(struct run *r, struct ub_input *in, uint64_t at, uint8_t *flash,
			 uint8_t *image, size_t n, uint64_t *bad, uint64_t *first_bad)
{
	size_t i;

	if (ub_nor_read(&r->nor, (uint32_t)at, flash, n, &r->err) ||
	    ub_input_read(in, image, n, &r->err))
		return -1;
	for (i = 0; i < n; i++)
		if (flash[i] != image[i] && (*bad)++ == 0)
			*first_bad = at + i;
	return 0;
}

static int cmd_verify(struct run *r)
{
	struct ub_input *in = &r->in;
	uint8_t *buf = NULL;
	uint64_t offset = r->o.offset, done = 0, bad = 0, first_bad = 0;
	int rc;

	rc = check_range(r, offset, in->size, in->name);
	if (!rc && !(buf = malloc(2 * READ_CHUNK)))
		rc = ub_fail(&r->err, UB_EFAIL, "out of memory");
	while (!rc && done < in->size) {
		size_t n = in->size - done < READ_CHUNK ? (size_t)(in->size - done) : READ_CHUNK;

		rc = r->stop ? ub_fail(&r->err, UB_EINTR, "interrupted") :
		     compare_chunk(r, in, offset + done, buf, buf + READ_CHUNK, n, &bad, &first_bad);
		done += n;
	}
	if (!rc && bad)
		rc = ub_fail(&r->err, UB_EFAIL, "verify failed: %" PRIu64 " bytes differ, the first at 0x%06" PRIx64,
			     bad, first_bad);
	if (!rc)
		ub_info(&r->log, "0x%06" PRIx64 "-0x%06" PRIx64 " matches %s", offset, offset + in->size, in->name);
	free(buf);
	return rc;
}

static int cmd_erase(struct run *r)
{
	uint64_t offset = r->o.offset, len = r->o.length;

	if (r->o.all) {
		offset = 0;
		len = r->nor.size;
	}
	if (check_range(r, offset, len, "the erase range") ||
	    check_bootloader(r, offset, len, "erasing") || check_unprotected(r))
		return -1;
	if (r->o.all && !r->o.force_bootloader)
		return ub_fail(&r->err, UB_EUSAGE,
			       "erase --all also erases the boot loader (0x0-0x%x); add --force-bootloader",
			       BOOTLOADER_END);
	if (smart_write(r, "erasing", offset, len, NULL))
		return -1;
	report_write(r, "erased", offset, len);
	return 0;
}

static int cmd_unprotect(struct run *r)
{
	uint16_t before;
	int changed;

	if (ub_nor_status(&r->nor, &before, &r->err) ||
	    ub_nor_unprotect(&r->nor, &changed, &r->err))
		return -1;
	if (changed)
		ub_info(&r->log, "write protection cleared (was SR1=0x%02x SR2=0x%02x)",
			before & 0xff, before >> 8);
	else
		ub_info(&r->log, "the flash is not write-protected; nothing written");
	return 0;
}

/* ---- main ---- */

struct command {
	const char *name;
	int args;            /* positional arguments after the name */
	int needs_chip;      /* enter flash mode first */
	int changes_flash;   /* --check-voltage applies */
};

static const struct command commands[] = {
	{ "detect", 0, 1, 0 }, { "read", 0, 1, 0 }, { "write", 1, 1, 1 },
	{ "verify", 1, 1, 0 }, { "erase", 0, 1, 1 }, { "unprotect", 0, 1, 1 },
	{ "reset", 0, 0, 0 },
	{ NULL, 0, 0, 0 },
};

static const struct command *find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Everything that can be checked without the device. */
static int check_usage(struct run *r, const struct command *cmd, int nargs)
{
	const struct opts *o = &r->o;

	if (nargs != cmd->args)
		return ub_fail(&r->err, UB_EUSAGE, "%s takes %s; try '" PROG " --help'", cmd->name,
			       cmd->args ? "one image file (or - for stdin)" : "no arguments");
	if (!strcmp(cmd->name, "erase")) {
		int range = o->has_offset && o->has_length;
		int partial = o->has_offset || o->has_length;

		if (o->all ? partial : !range)
			return ub_fail(&r->err, UB_EUSAGE, "erase needs --offset N --length N, or --all");
		if (!o->all && (o->offset % UB_NOR_SECTOR || o->length % UB_NOR_SECTOR || !o->length))
			return ub_fail(&r->err, UB_EUSAGE,
				       "erase range 0x%06" PRIx64 "+0x%" PRIx64 " is not aligned to 4 KiB sectors",
				       o->offset, o->length);
	}
	if (o->has_length && (!strcmp(cmd->name, "write") || !strcmp(cmd->name, "verify")))
		return ub_fail(&r->err, UB_EUSAGE, "%s takes its length from the image; drop --length", cmd->name);
	return 0;
}

/* The image to write or verify, or the output of read: before the device. */
static int open_files(struct run *r, const struct command *cmd, char **args)
{
	if (cmd->args)
		return ub_input_open(args[0], &r->in, &r->err);
	if (strcmp(cmd->name, "read") == 0) {
		if (ub_output_open(r->o.output, &r->out, &r->err))
			return -1;
		r->out_open = 1;
	}
	return 0;
}

static int run_command(struct run *r, const struct command *cmd)
{
	if (!cmd->needs_chip)
		return ub_beken_reset(r->spi, r->cen, &r->err);
	if (connect_chip(r))
		return -1;
	if (!strcmp(cmd->name, "detect"))
		return cmd_detect(r);
	if (!strcmp(cmd->name, "read"))
		return cmd_read(r);
	if (!strcmp(cmd->name, "write"))
		return cmd_write(r);
	if (!strcmp(cmd->name, "verify"))
		return cmd_verify(r);
	if (!strcmp(cmd->name, "erase"))
		return cmd_erase(r);
	return cmd_unprotect(r);
}

static int finish(struct run *r, int rc)
{
	struct ub_err close_err = { 0 };

	ub_input_close(&r->in);
	if (r->out_open)
		ub_output_abort(&r->out);
	ub_gpio_close(r->cen);
	if (ub_spi_close(r->spi, &close_err) && !rc) {
		r->err = close_err;
		rc = -1;
	}
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
		printf(PROG " %s (libgpiod %s, IIO %s)\n", UB_VERSION, ub_gpiod_api(),
		       ub_voltage_backend());
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
	if (check_usage(&r, cmd, argc - optind - 1) || open_files(&r, cmd, argv + optind + 1) ||
	    (cmd->changes_flash && r.o.check_voltage &&
	     ub_voltage_check_parsed(&r.o.voltage, &r.log, NULL, &r.err)) ||
	    open_link(&r))
		return finish(&r, -1);
	ub_sigint_install(&r.stop);
	return finish(&r, run_command(&r, cmd));
}
