/* SPDX-License-Identifier: MIT */
/* beken-spi: read, write, erase and recover a BK7231/BK7252 flash over SPI. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "beken.h"
#include "nor.h"
#include "parse.h"
#include "prog.h"
#include "progress.h"
#include "range.h"
#include "verify.h"
#include "voltage.h"

#define PROG "beken-spi"
/* The boot loader occupies the first 0x11000 bytes (BK7231Flasher.cs BOOTLOADER_SIZE). */
#define BOOTLOADER_END 0x11000u
/* Images are refused past this before the chip is read; then against its real size. */
#define LARGEST_FLASH (16u << 20)
#define CHUNK 65536u

enum { OPT_SPI = 's', OPT_CEN = 256, OPT_SPEED, OPT_ALL, OPT_CHECK_VOLTAGE };

struct opts {
	char *spi, *cen;
	uint32_t speed;  /* Hz, UB_BEKEN_SPEED_AUTO, or UB_BEKEN_SPEED_DEFAULT (none given) */
	int all;
	int check_voltage;
	struct ub_voltage_spec voltage;
};

struct run {
	struct ub_session s;  /* first: the skeleton hands callbacks &run->s */
	struct opts o;
	struct ub_spi *spi;
	struct ub_gpio_line *cen;
	struct ub_nor nor;
};

static struct run *run_of(struct ub_session *s)
{
	return (struct run *)s;
}

/* ---- options ---- */

static int parse_speed(const char *value, uint32_t *hz, struct ub_err *err)
{
	uint64_t v;

	if (strcmp(value, "auto") == 0) {
		*hz = UB_BEKEN_SPEED_AUTO;
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

	switch (id) {
	case OPT_SPI: return ub_opts_set_string(&o->spi, arg, err);
	case OPT_CEN: return ub_opts_set_string(&o->cen, arg, err);
	case OPT_SPEED: return parse_speed(arg, &o->speed, err);
	case OPT_ALL: o->all = 1; return 0;
	case OPT_CHECK_VOLTAGE:
		o->check_voltage = 1;
		return ub_voltage_parse(arg, &o->voltage, err);
	default: return ub_fail(err, UB_EUSAGE, "unknown option; try '" PROG " --help'");
	}
}

static void free_options(void *ctx)
{
	struct opts *o = ctx;

	free(o->spi);
	free(o->cen);
}

static const struct ub_opt options[] = {
	{ "spi", 's', "SPEC", OPT_SPI, 0, "the SPI master (backends below)" },
	{ "cen", 0, "SPEC", OPT_CEN, 0, "CEN line: gpiochipN:OFFSET or a line name (implied by sim and ch341a)" },
	{ "speed", 0, "HZ|auto", OPT_SPEED, 0,
	  "SPI clock (default auto: fastest that reads back the same)" },
	{ "all", 0, NULL, OPT_ALL, UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND, "erase the whole flash" },
	{ "check-voltage", 0, "SPEC", OPT_CHECK_VOLTAGE, 0,
	  "before changing the flash, read the supply from an IIO\n"
	  "ADC and refuse outside a range: DEVICE:CHANNEL[,min=V]\n"
	  "[,max=V][,divider=K][,uri=URI] (default 3.0-3.6 V)" },
	{ NULL, 0, NULL, 0, 0, NULL },
};

static const struct ub_optset optset = {
	PROG, UB_SHARE_JSON | UB_SHARE_OUTPUT | UB_SHARE_RANGE | UB_SHARE_BACKUP |
	UB_SHARE_FORCE_BOOTLOADER, options, apply_option,
};

static void help_backends(FILE *f)
{
	ub_backend_print(f, "SPI backends (--spi):", &ub_spi_table);
	ub_backend_print(f, "CEN lines (--cen):", &ub_gpio_table);
}

static const char *version_extra(void)
{
	static char text[64];

	snprintf(text, sizeof(text), "libgpiod %s, IIO %s", ub_gpiod_api(), ub_voltage_backend());
	return text;
}

/* ---- the chip ---- */

/*
 * CEN: the SPI adapter's own line (the emulator's, a CH341A's D2) unless
 * --cen names another; --cen may also name the own line ("ch341a:d2").
 */
static int open_cen(struct run *r)
{
	struct ub_gpio_line *own = NULL;

	if (ub_spi_own_line(r->spi, &own, &r->s.err) < 0)
		return -1;
	if (own && (!r->o.cen || strcasecmp(r->o.cen, own->name) == 0)) {
		r->cen = own;
		return 0;
	}
	ub_gpio_close(own);
	if (r->o.cen)
		return ub_gpio_open(r->o.cen, PROG, 1, &r->cen, &r->s.err);
	return ub_fail(&r->s.err, UB_EUSAGE, "no CEN line given: use --cen gpiochip0:22 or --cen GPIO22");
}

static int enter_flash_mode(struct run *r)
{
	uint8_t id[3];
	char hz[32];

	if (ub_beken_connect(r->spi, r->cen, r->o.speed, &r->s.stop, id, &r->s.log, &r->s.err) ||
	    ub_nor_attach(&r->nor, r->spi, id, &r->s.log, &r->s.err))
		return -1;
	r->nor.stop = &r->s.stop;
	ub_debug(&r->s.log, "flash %s (%02X %02X %02X), %u KiB at %s", r->nor.chip.name,
		 id[0], id[1], id[2], r->nor.size / 1024,
		 ub_beken_hz_str(r->spi->speed_hz, hz, sizeof(hz)));
	return 0;
}

/* Where --speed's value came from, for a message: the command line or the config file. */
static const char *speed_source(const struct ub_session *s, char *buf, size_t len)
{
	if (ub_session_given(s, OPT_SPEED) || !s->config_path[0])
		return "--speed";
	snprintf(buf, len, "the speed key of %s", s->config_path);
	return buf;
}

static int connect(struct ub_session *s)
{
	struct run *r = run_of(s);
	char what[4200];

	if (!r->o.spi)
		return ub_fail(&s->err, UB_EUSAGE,
			       "no SPI given: use --spi spidev:/dev/spidev0.0 (or sim:bk7231n to try the emulator)");
	if (r->o.speed != UB_BEKEN_SPEED_AUTO &&
	    ub_spi_check_speed(r->o.spi, r->o.speed, speed_source(s, what, sizeof(what)), &s->err))
		return -1;
	if (ub_spi_open(r->o.spi, &s->log, &r->spi, &s->err) || open_cen(r))
		return -1;
	if (!strcmp(s->cmd->name, "reset"))
		return 0;
	return enter_flash_mode(r);
}

static int release(struct ub_session *s)
{
	struct run *r = run_of(s);

	ub_gpio_close(r->cen);
	return ub_spi_close(r->spi, &s->err);
}

/* ---- checks, all before anything is erased ---- */

static int check_bootloader(struct run *r, uint64_t offset, uint64_t len, const char *verb)
{
	int full_image = offset == 0 && len == r->nor.size;

	if (offset >= BOOTLOADER_END || full_image || r->s.common.force_bootloader)
		return 0;
	return ub_fail(&r->s.err, UB_EUSAGE,
		       "%s 0x%06" PRIx64 "-0x%06" PRIx64 " would change the boot loader (0x0-0x%x); add --force-bootloader if you mean it (a QIO image), or write an app (UA) image at --offset 0x%x",
		       verb, offset, offset + len, BOOTLOADER_END, BOOTLOADER_END);
}

static int check_unprotected(struct run *r)
{
	uint16_t sr;

	if (ub_nor_status(&r->nor, &sr, &r->s.err))
		return -1;
	if (!ub_nor_protect_bits(&r->nor, sr))
		return 0;
	return ub_fail(&r->s.err, UB_EFAIL,
		       "the flash is write-protected (SR1=0x%02x SR2=0x%02x); run '" PROG " unprotect' first",
		       sr & 0xff, sr >> 8);
}

static int check_voltage(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (!r->o.check_voltage)
		return 0;
	return ub_voltage_check_parsed(&r->o.voltage, &s->log, NULL, &s->err);
}

static int check_read(struct ub_session *s)
{
	return ub_session_open_output(s, s->common.output);
}

static int check_image(struct ub_session *s)
{
	return ub_session_open_input(s, s->args[0], LARGEST_FLASH, "any flash " PROG " knows");
}

static int check_write(struct ub_session *s)
{
	return check_image(s) || ub_session_open_backup(s, s->common.backup) || check_voltage(s) ? -1 : 0;
}

static int check_erase(struct ub_session *s)
{
	const struct ub_common_opts *c = &s->common;
	int range = c->has_offset && c->has_length, partial = c->has_offset || c->has_length;

	if (run_of(s)->o.all ? partial : !range)
		return ub_fail(&s->err, UB_EUSAGE, "erase needs --offset N --length N, or --all");
	if (range && !c->length)
		return ub_fail(&s->err, UB_EUSAGE, "--length is 0: nothing to erase");
	if (range && (c->offset % UB_NOR_SECTOR || c->length % UB_NOR_SECTOR))
		return ub_fail(&s->err, UB_EUSAGE,
			       "erase range 0x%06" PRIx64 "+0x%" PRIx64 " is not aligned to 4 KiB sectors",
			       c->offset, c->length);
	return ub_session_open_backup(s, c->backup) || check_voltage(s) ? -1 : 0;
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

static void print_detect(struct run *r, uint16_t sr)
{
	const struct ub_nor_chip *c = &r->nor.chip;
	uint16_t prot = ub_nor_protect_bits(&r->nor, sr);
	char hz[32];

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
}

static int cmd_detect(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint16_t sr;

	if (ub_nor_status(&r->nor, &sr, &s->err))
		return -1;
	if (s->common.json)
		print_json_detect(r, sr);
	else
		print_detect(r, sr);
	return fflush(stdout) ? ub_fail(&s->err, UB_EFAIL, "cannot write stdout") : 0;
}

/* Read [offset, offset + len) into sink, in chunks, stopping on a signal. */
static int read_flash(struct run *r, uint64_t offset, uint64_t len, const char *label,
		      int (*sink)(void *, const uint8_t *, size_t, struct ub_err *), void *arg)
{
	struct ub_progress p;
	uint8_t *buf = malloc(CHUNK);
	uint64_t done = 0;
	int rc = 0;

	if (!buf)
		return ub_fail(&r->s.err, UB_EFAIL, "out of memory");
	ub_progress_start(&p, r->s.common.progress, label, len);
	while (!rc && done < len) {
		size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;

		if (r->s.stop)
			rc = ub_fail(&r->s.err, UB_EINTR, "interrupted after %s %" PRIu64 " bytes", label, done);
		else if (ub_nor_read(&r->nor, (uint32_t)(offset + done), buf, n, &r->s.err) ||
			 sink(arg, buf, n, &r->s.err))
			rc = -1;
		else
			done += n;
		ub_progress_update(&p, done);
	}
	ub_progress_end(&p);
	free(buf);
	return rc;
}

static int cmd_read(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint64_t offset, len;

	if (ub_range_from_opts(&s->common, r->nor.size, &offset, &len, &s->err) ||
	    read_flash(r, offset, len, "reading", ub_session_sink, s) || ub_session_commit_output(s))
		return -1;
	ub_info(&s->log, "read %" PRIu64 " bytes at 0x%06" PRIx64, len, offset);
	return 0;
}

/* --backup: what the command will change, complete and synced before the first erase. */
static int backup(struct run *r, uint64_t offset, uint64_t len)
{
	if (!r->s.backup_open)
		return 0;
	if (read_flash(r, offset, len, "backing up", ub_session_backup_sink, &r->s) < 0)
		return -1;
	return ub_session_commit_backup(&r->s);
}

static int next_bytes(void *arg, uint8_t *buf, size_t len, struct ub_err *err)
{
	struct ub_session *s = arg;

	if (!s->in_open) {
		memset(buf, 0xff, len);
		return 0;
	}
	return ub_session_source(s, buf, len, err);
}

static void progress_update(void *arg, uint64_t done)
{
	ub_progress_update(arg, done);
}

static void report_write(struct run *r, const char *verb, uint64_t offset, uint64_t len)
{
	const struct ub_nor_counts *c = &r->nor.counts;

	ub_info(&r->s.log,
		"%s 0x%06" PRIx64 "-0x%06" PRIx64 " and verified: erased %u blocks and %u sectors, programmed %u pages, %u sectors unchanged (compare %.1f s, erase+program %.1f s, verify %.1f s)",
		verb, offset, offset + len, c->blocks_erased, c->sectors_erased,
		c->pages_programmed, c->sectors_unchanged, (double)c->ns_compare / 1e9,
		(double)c->ns_program / 1e9, (double)c->ns_verify / 1e9);
}

/* Write (in_open) or erase (not) [offset, offset + len), reporting what is done on a stop. */
static int smart_write(struct run *r, const char *label, const char *done_word, uint64_t offset,
		       uint64_t len)
{
	struct ub_progress p;
	struct ub_nor_progress np = { progress_update, &p };
	uint32_t done = 0;
	int rc;

	ub_progress_start(&p, r->s.common.progress, label, len);
	rc = ub_nor_write(&r->nor, (uint32_t)offset, (uint32_t)len, next_bytes, &r->s, &np,
			  &done, &r->s.err);
	ub_progress_end(&p);
	if (rc && r->s.err.status == UB_EINTR) {
		ub_err_clear(&r->s.err);
		return ub_fail(&r->s.err, UB_EINTR,
			       "interrupted: 0x%06" PRIx64 "-0x%06" PRIx64 " is %s and verified, 0x%06" PRIx64 "-0x%06" PRIx64 " is not; run the same command again to finish",
			       offset, offset + done, done_word, offset + done, offset + len);
	}
	if (rc && done)
		ub_warn(&r->s.log, "0x%06" PRIx64 "-0x%06" PRIx64 " is %s and verified, 0x%06" PRIx64 "-0x%06" PRIx64 " is not: run the same command again to finish",
			offset, offset + done, done_word, offset + done, offset + len);
	return rc;
}

static int cmd_write(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint64_t offset = s->common.offset, len = s->in.size;

	if (ub_range_check(offset, len, r->nor.size, s->in.name, &s->err) ||
	    check_bootloader(r, offset, len, "writing") || check_unprotected(r) ||
	    backup(r, offset, len) || smart_write(r, "writing", "written", offset, len))
		return -1;
	report_write(r, "wrote", offset, len);
	return 0;
}

static int cmd_verify(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint64_t offset = s->common.offset;
	struct ub_verify v;

	ub_verify_start(&v, &s->in, offset);
	if (ub_range_check(offset, s->in.size, r->nor.size, s->in.name, &s->err) ||
	    read_flash(r, offset, s->in.size, "verifying", ub_verify_sink, &v) ||
	    ub_verify_result(&v, &s->err))
		return -1;
	ub_info(&s->log, "0x%06" PRIx64 "-0x%06" PRIx64 " matches %s", offset, offset + s->in.size,
		s->in.name);
	return 0;
}

static int cmd_erase(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint64_t offset = s->common.offset, len = s->common.length;

	if (r->o.all) {
		offset = 0;
		len = r->nor.size;
	}
	if (ub_range_check(offset, len, r->nor.size, "the erase range", &s->err) ||
	    check_bootloader(r, offset, len, "erasing") || check_unprotected(r))
		return -1;
	if (r->o.all && !s->common.force_bootloader)
		return ub_fail(&s->err, UB_EUSAGE,
			       "erase --all also erases the boot loader (0x0-0x%x); add --force-bootloader",
			       BOOTLOADER_END);
	if (backup(r, offset, len) || smart_write(r, "erasing", "erased", offset, len))
		return -1;
	report_write(r, "erased", offset, len);
	return 0;
}

static int cmd_unprotect(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint16_t before;
	int changed;

	if (ub_nor_status(&r->nor, &before, &s->err) || ub_nor_unprotect(&r->nor, &changed, &s->err))
		return -1;
	if (changed)
		ub_info(&s->log, "write protection cleared (was SR1=0x%02x SR2=0x%02x)",
			before & 0xff, before >> 8);
	else
		ub_info(&s->log, "the flash is not write-protected; nothing written");
	return 0;
}

static int cmd_reset(struct ub_session *s)
{
	struct run *r = run_of(s);

	return ub_beken_reset(r->spi, r->cen, &s->err);
}

static const struct ub_command commands[] = {
	{ "detect", "", "flash id, name, size, status and protection", 0, 0, "json",
	  UB_CMD_STDOUT, NULL, cmd_detect },
	{ "read", "[-o FILE]", "read the flash (whole, or --offset/--length)", 0, 0,
	  "output offset length", 0, check_read, cmd_read },
	{ "write", "FILE|-", "write an image at --offset, erasing and programming only what changed",
	  1, 1, "offset backup force-bootloader", 0, check_write, cmd_write },
	{ "verify", "FILE|-", "compare the flash at --offset with an image", 1, 1, "offset", 0,
	  check_image, cmd_verify },
	{ "erase", "", "erase --offset N --length N, or --all", 0, 0,
	  "offset length all backup force-bootloader", 0, check_erase, cmd_erase },
	{ "unprotect", "", "clear the flash's write protection", 0, 0, "", 0, check_voltage,
	  cmd_unprotect },
	{ "reset", "", "pulse CEN so the chip boots its firmware", 0, 0, "", 0, NULL, cmd_reset },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL },
};

static const struct ub_program program = {
	PROG, "Read, write and recover the flash of a Beken BK7231/BK7252 in SPI flash mode.",
	&optset, commands, help_backends, version_extra, connect, release, free_options,
};

int main(int argc, char **argv)
{
	static struct run r;

	r.s.opts = &r.o;
	return ub_prog_main(&program, &r.s, argc, argv);
}
