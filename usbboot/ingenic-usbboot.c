/* SPDX-License-Identifier: MIT */
/* ingenic-usbboot: flash and dump Ingenic T20-T41 cameras through their USB boot ROM. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datapath.h"
#include "ingenic.h"
#include "ingenic_board.h"
#include "parse.h"
#include "prog.h"
#include "progress.h"
#include "range.h"

#ifndef UB_DATADIR
#define UB_DATADIR "/usr/share"
#endif

#define PROG "ingenic-usbboot"
#define MAX_GPIO 8
#define BLOB_MAX (4u << 20)
#define LARGEST_IMAGE (256u << 20)
#define NOR_DB_NAME "spiflashinfo.cfg"
#define BOARD_FILE "board.ini"
#define FOUR_BYTE_ABOVE (16u << 20)
#define DEFAULT_UBOOT_END 0x40000u  /* the T-series' U-Boot partition, when a board names none */
#define NO_DEVICE_HINT "; to enter USB boot, hold the flash's pins 5 and 6 (DI, CLK) together " \
	"while plugging the camera in, release after 2 s, and use a data cable"

enum {
	OPT_USB = 256, OPT_WAIT, OPT_CHIP, OPT_BOARD_DIR, OPT_GPIO, OPT_TIMEOUT, OPT_NO_REBOOT,
	OPT_ERASE, OPT_NO_VERIFY,
};

struct opts {
	char *usb, *chip, *board_dir;
	int wait_s, timeout_s, no_reboot, no_verify;
	enum ingenic_erase erase;
	struct ingenic_gpio gpio[MAX_GPIO];
	size_t ngpio;
};

struct blob {
	uint8_t *data;
	size_t len;
};

struct run {
	struct ub_session s;  /* first: the skeleton hands callbacks &run->s */
	struct opts o;
	char board_path[PATH_MAX];
	struct ingenic_nor_db db;
	struct ingenic_board board;
	struct blob ginfo, spl, uboot;
	const struct ingenic_chip *chip;
	struct ub_usb *usb;
	struct ingenic *dev;
	char cpu_info[INGENIC_CPU_INFO_LEN + 1];
	char burner_info[INGENIC_CPU_INFO_LEN + 1];
	enum ingenic_stage stage;
	uint32_t jedec;
	uint64_t flash_size;        /* 0 when unknown (eMMC) */
	uint32_t ops;
	uint64_t written_lo, written_hi;  /* what a write has written so far */
	uint64_t chunk_at;          /* the chunk a write was on when it stopped */
	struct ub_progress progress;
};

static struct run *run_of(struct ub_session *s)
{
	return (struct run *)s;
}

static int is_command(const struct ub_session *s, const char *name)
{
	return strcmp(s->cmd->name, name) == 0;
}

/* ---- options --------------------------------------------------------------- */

/* "PB17=high", "B17:low", "pc3=1" (will-tm's --gpio PORT STATE, notes §1.3). */
static int parse_gpio(const char *arg, struct ingenic_gpio *g)
{
	static const char *const highs[] = { "high", "on", "1", NULL };
	static const char *const lows[] = { "low", "off", "0", NULL };
	const char *p = arg, *state;
	char *end;
	unsigned long pin;

	if ((*p == 'P' || *p == 'p') && p[1] && strchr("abcdABCD", p[1]))
		p++;
	if (!*p || !strchr("abcdABCD", *p))
		return -1;
	g->port = (uint8_t)((*p | 0x20) - 'a');
	pin = strtoul(p + 1, &end, 10);
	if (end == p + 1 || pin > 31 || (*end != '=' && *end != ':'))
		return -1;
	g->pin = (uint8_t)pin;
	state = end + 1;
	for (int i = 0; highs[i]; i++)
		if (strcmp(state, highs[i]) == 0 || strcmp(state, lows[i]) == 0) {
			g->high = strcmp(state, highs[i]) == 0;
			return 0;
		}
	return -1;
}

static int parse_seconds(const char *name, const char *arg, uint64_t lo, int *out,
			 struct ub_err *err)
{
	uint64_t v;

	if (ub_parse_u64(arg, &v) || v < lo || v > 3600)
		return ub_fail(err, UB_EUSAGE, "bad %s '%s': use %" PRIu64 "..3600 seconds", name,
			       arg, lo);
	*out = (int)v;
	return 0;
}

static int parse_erase(const char *arg, enum ingenic_erase *out, struct ub_err *err)
{
	if (strcmp(arg, "chip") == 0)
		*out = INGENIC_ERASE_CHIP;
	else if (strcmp(arg, "partition") == 0)
		*out = INGENIC_ERASE_PARTITION;
	else if (strcmp(arg, "range") == 0)
		*out = INGENIC_ERASE_RANGE;
	else
		return ub_fail(err, UB_EUSAGE, "bad --erase '%s': use chip, partition or range", arg);
	return 0;
}

static int apply_option(void *ctx, int id, const char *arg, struct ub_err *err)
{
	struct opts *o = ctx;

	switch (id) {
	case OPT_USB: return ub_opts_set_string(&o->usb, arg, err);
	case OPT_CHIP:
		if (!ingenic_chip_find(arg))
			return ub_fail(err, UB_EUSAGE, "unknown chip '%s': '" PROG " info' lists them",
				       arg);
		return ub_opts_set_string(&o->chip, arg, err);
	case OPT_BOARD_DIR: return ub_opts_set_string(&o->board_dir, arg, err);
	case OPT_WAIT: return parse_seconds("--wait", arg, 0, &o->wait_s, err);
	case OPT_TIMEOUT: return parse_seconds("--timeout", arg, 1, &o->timeout_s, err);
	case OPT_GPIO:
		if (o->ngpio == MAX_GPIO)
			return ub_fail(err, UB_EUSAGE, "too many --gpio: at most %d", MAX_GPIO);
		if (parse_gpio(arg, &o->gpio[o->ngpio]) < 0)
			return ub_fail(err, UB_EUSAGE, "bad --gpio '%s': use PORTPIN=STATE, e.g. "
				       "PB17=high (ports A-D, pins 0-31, high/low/on/off/1/0)", arg);
		o->ngpio++;
		return 0;
	case OPT_NO_REBOOT: o->no_reboot = 1; return 0;
	case OPT_NO_VERIFY: o->no_verify = 1; return 0;
	case OPT_ERASE: return parse_erase(arg, &o->erase, err);
	default: return ub_fail(err, UB_EUSAGE, "unknown option; try '" PROG " --help'");
	}
}

static void free_options(void *ctx)
{
	struct opts *o = ctx;

	free(o->usb);
	free(o->chip);
	free(o->board_dir);
}

#define PER_RUN (UB_OPT_CLI_ONLY | UB_OPT_PER_COMMAND)

static const struct ub_opt options[] = {
	{ "usb", 0, "SPEC", OPT_USB, 0,
	  "the device: BUS-PORT (1-1.2), libusb[:BUS-PORT] or sim:MODEL (default: the first a108:*)" },
	{ "wait", 0, "SEC", OPT_WAIT, 0, "wait this long for the device to appear (default 0)" },
	{ "chip", 0, "NAME", OPT_CHIP, 0, "the SoC (default: from the ROM's CPU info; 'info' lists them)" },
	{ "board-dir", 0, "DIR", OPT_BOARD_DIR, 0,
	  "the board set: ginfo.bin, spl.bin, uboot.bin and " BOARD_FILE "\n"
	  "or cfg1_bulk.bin/cfg2_bulk.bin; a bare NAME is looked up in\n"
	  "$XDG_DATA_HOME/unbrick/ingenic, then " UB_DATADIR "/unbrick/ingenic" },
	{ "gpio", 0, "PORTPIN=STATE", OPT_GPIO, 0,
	  "drive a pin from the ROM before booting (PB17=high); repeatable" },
	{ "timeout", 0, "SEC", OPT_TIMEOUT, 0,
	  "how long INIT (a chip erase) and each write may keep the burner busy (default 120)" },
	{ "no-reboot", 0, NULL, OPT_NO_REBOOT, 0, "leave the burner running afterwards" },
	{ "erase", 0, "chip|partition|range", OPT_ERASE, PER_RUN,
	  "what a write erases first (default range: only the erase blocks it writes)" },
	{ "no-verify", 0, NULL, OPT_NO_VERIFY, PER_RUN, "do not compare the flash's CRCs after a write" },
	{ NULL, 0, NULL, 0, 0, NULL },
};

static const struct ub_optset optset = {
	PROG, UB_SHARE_JSON | UB_SHARE_OUTPUT | UB_SHARE_RANGE | UB_SHARE_BACKUP |
	UB_SHARE_FORCE_BOOTLOADER,
	options, apply_option,
};

static void help_backends(FILE *f)
{
	ub_backend_print(f, "USB (--usb):", &ub_usb_table);
}

/* ---- the board set ------------------------------------------------------------ */

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A path as given; a bare name in the data directories, under ingenic/. */
static int find_board_dir(struct run *r, const char *name)
{
	struct ub_datapath dp;
	char tried[1024] = "";

	if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		if (!is_dir(name))
			return ub_fail(&r->s.err, UB_EUSAGE, "board set %s: no such directory", name);
		snprintf(r->board_path, sizeof(r->board_path), "%s", name);
		return 0;
	}
	if (ub_datapath_init(&dp, "ingenic", NULL, &r->s.err) < 0)
		return -1;
	for (int i = 0; i < dp.n; i++) {
		snprintf(r->board_path, sizeof(r->board_path), "%s/%s", dp.dirs[i], name);
		if (is_dir(r->board_path))
			return 0;
		snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried), "%s%s", i ? ", " : "",
			 dp.dirs[i]);
	}
	return ub_fail(&r->s.err, UB_EUSAGE, "board set '%s' is not in %s; give --board-dir with a "
		       "path", name, tried[0] ? tried : "any data directory");
}

/* One boot file of the set, whole. */
static int read_blob(struct run *r, const char *name, struct blob *b)
{
	char path[PATH_MAX + 64];
	FILE *f;
	long len = -1;

	snprintf(path, sizeof(path), "%s/%s", r->board_path, name);
	f = fopen(path, "rb");
	if (!f)
		return ub_fail_errno(&r->s.err, UB_EUSAGE, errno, "board set %s: cannot read %s",
				     r->board_path, name);
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    len == 0 || (unsigned long)len > BLOB_MAX) {
		fclose(f);
		return ub_fail(&r->s.err, UB_EUSAGE, "board set %s: %s is %s", r->board_path, name,
			       len == 0 ? "empty" : "not a file of at most 4 MiB");
	}
	b->len = (size_t)len;
	b->data = malloc(b->len);
	if (!b->data || fread(b->data, 1, b->len, f) != b->len) {
		fclose(f);
		return ub_fail(&r->s.err, UB_EUSAGE, "board set %s: cannot read %s", r->board_path,
			       name);
	}
	fclose(f);
	return 0;
}

/* spiflashinfo.cfg: in the board set, else beside it (as in the data directory). */
static int load_nor_db(struct run *r)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", r->board_path, NOR_DB_NAME);
	if (access(path, R_OK) != 0)
		snprintf(path, sizeof(path), "%s/../%s", r->board_path, NOR_DB_NAME);
	if (access(path, R_OK) != 0)
		return ub_fail(&r->s.err, UB_EUSAGE, "%s: not in %s nor in its parent directory "
			       "(the NOR parameters, keyed by JEDEC id)", NOR_DB_NAME, r->board_path);
	return ingenic_nor_db_load(path, &r->db, &r->s.err);
}

static int load_board_config(struct run *r)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", r->board_path, BOARD_FILE);
	if (access(path, F_OK) == 0)
		return ingenic_board_parse(path, &r->db, &r->board, &r->s.err);
	snprintf(path, sizeof(path), "%s/cfg2_bulk.bin", r->board_path);
	if (access(path, F_OK) != 0)
		return ub_fail(&r->s.err, UB_EUSAGE, "board set %s has no stage-2 configuration: "
			       "neither %s nor cfg1_bulk.bin and cfg2_bulk.bin", r->board_path,
			       BOARD_FILE);
	return ingenic_board_from_blobs(r->board_path, &r->db, &r->board, &r->s.err);
}

static const char *board_name(const struct run *r)
{
	if (r->o.board_dir)
		return r->o.board_dir;
	return r->o.chip;
}

/* The boot files of the board set (for boot, all a command needs of it). */
static int load_boot_files(struct run *r)
{
	const char *name = board_name(r);

	if (!name)
		return ub_fail(&r->s.err, UB_EUSAGE, "no board set: give --board-dir DIR (ginfo.bin, "
			       "spl.bin, uboot.bin and the stage-2 configuration)");
	if (find_board_dir(r, name) < 0)
		return -1;
	return read_blob(r, "ginfo.bin", &r->ginfo) < 0 || read_blob(r, "spl.bin", &r->spl) < 0 ||
	       read_blob(r, "uboot.bin", &r->uboot) < 0 ? -1 : 0;
}

/* Everything a session needs from the board set, before the device is touched. */
static int load_board(struct run *r)
{
	if (load_boot_files(r) < 0 || load_nor_db(r) < 0)
		return -1;
	return load_board_config(r);
}

static int uses_mmc(const struct ingenic_board *b)
{
	for (size_t i = b->ntlv; i-- > 0;)
		if (b->cfg2[i] == INGENIC_TLV_SFC || b->cfg2[i] == INGENIC_TLV_MMC)
			return b->cfg2[i] == INGENIC_TLV_MMC;
	return 0;
}

/* ---- the device ------------------------------------------------------------- */

static int open_device(struct run *r)
{
	size_t nids;
	const struct ub_usb_id *ids = ingenic_usb_ids(&nids);

	if (ub_usb_open(r->o.usb, ids, nids, r->o.wait_s * 1000, &r->usb, &r->s.err) < 0) {
		if (r->s.err.status == UB_ENODEV && strlen(r->s.err.msg) + 200 < sizeof(r->s.err.msg))
			strcat(r->s.err.msg, NO_DEVICE_HINT);
		return -1;
	}
	r->dev = ingenic_new(&(struct ingenic_config){
		.usb = r->usb, .log = &r->s.log, .stop = &r->s.stop, .layout = (int)r->board.layout,
		.busy_timeout_ms = r->o.timeout_s * 1000,
	}, &r->s.err);
	return r->dev ? 0 : -1;
}

static int needs_device(const struct ub_session *s)
{
	return !is_command(s, "info") && !is_command(s, "list") && !is_command(s, "board");
}

static int connect(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (!needs_device(s))
		return 0;
	if (open_device(r) < 0 || ingenic_cpu_info(r->dev, r->cpu_info, &s->err) < 0)
		return -1;
	r->stage = ingenic_stage_of(r->cpu_info);
	if (r->stage == INGENIC_STAGE_BURNER)
		memcpy(r->burner_info, r->cpu_info, sizeof(r->cpu_info));
	return 0;
}

static int release(struct ub_session *s)
{
	struct run *r = run_of(s);
	int rc = ub_usb_close(r->usb, &s->err);

	ingenic_free(r->dev);
	ingenic_nor_db_free(&r->db);
	free(r->ginfo.data);
	free(r->spl.data);
	free(r->uboot.data);
	return rc;
}

/* The chip the user named, else the one the ROM's CPU info names. */
static int pick_chip(struct run *r)
{
	if (r->o.chip) {
		r->chip = ingenic_chip_find(r->o.chip);
		return 0;
	}
	r->chip = ingenic_chip_from_rom(r->cpu_info);
	if (!r->chip)
		return ub_fail(&r->s.err, UB_EUSAGE, "the ROM's CPU info '%s' names no chip this "
			       "program knows: give --chip NAME", r->cpu_info);
	return 0;
}

static int boot(struct run *r)
{
	struct ingenic_blobs b = {
		r->ginfo.data, r->spl.data, r->uboot.data, r->ginfo.len, r->spl.len, r->uboot.len,
	};

	if (r->stage == INGENIC_STAGE_BURNER) {
		ub_info(&r->s.log, "the burner is already running ('%s'); not booting again",
			r->burner_info);
		return 0;
	}
	if (pick_chip(r) < 0)
		return -1;
	ub_info(&r->s.log, "booting %s from %s (ROM '%s')", r->chip->name, r->board_path,
		r->cpu_info);
	if (ingenic_boot(r->dev, r->chip, &b, r->o.gpio, r->o.ngpio, r->burner_info, &r->s.err) < 0)
		return -1;
	r->stage = INGENIC_STAGE_BURNER;
	ub_info(&r->s.log, "the burner answers '%s'", r->burner_info);
	return 0;
}

/* 4-byte opcodes for a NOR above 16 MiB, so it stays in 3-byte mode across a warm reboot (notes §3.4, §7). */
static void use_four_byte_opcodes(struct ingenic_nor_params *n)
{
	static const uint16_t from[] = { 0x03, 0x0B, 0x6B, 0x02, 0x32, 0x52, 0xD8, 0x20 };
	static const uint16_t to[] = { 0x13, 0x0C, 0x6C, 0x12, 0x34, 0x5C, 0xDC, 0x21 };

	for (int c = 0; c < INGENIC_NOR_NCMDS; c++) {
		if (c == INGENIC_NOR_EN4B || c == INGENIC_NOR_WREN)
			continue;
		for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++)
			if (n->cmd[c].cmd == from[i]) {
				n->cmd[c].cmd = to[i];
				n->cmd[c].addr_bytes = 4;
				break;
			}
	}
	n->cmd[INGENIC_NOR_EN4B] = (struct ingenic_nor_cmd){ 0xFFFF, 0xFF, 0xFF, 0xFF };
}

/* The board's NOR parameters replaced by the detected flash's (notes §3.4 step 3). */
static void fit_flash(struct run *r)
{
	const struct ingenic_nor_params *p = ingenic_nor_db_find(&r->db, r->jedec, NULL);

	if (!p) {
		ub_warn(&r->s.log, "flash id 0x%06" PRIx32 " is not in %s: the board's parameters "
			"(%s) are sent unchanged", r->jedec, NOR_DB_NAME, r->board.sfc.nor.name);
		r->flash_size = r->board.sfc.nor.chip_size;
		return;
	}
	r->board.sfc.nor = *p;
	if (p->chip_size > FOUR_BYTE_ABOVE)
		use_four_byte_opcodes(&r->board.sfc.nor);
	r->flash_size = p->chip_size;
	ub_info(&r->s.log, "flash %s (0x%06" PRIx32 "), %" PRIu64 " KiB", p->name, r->jedec,
		r->flash_size / 1024);
}

/* The T40/T41 (X2580) burner probably does not erase at INIT (notes §3.3, CAP-T41). */
static int t41_burner(const struct run *r)
{
	return strncmp(r->burner_info, "X2580", 5) == 0 ||
	       (r->chip && (strncmp(r->chip->name, "t40", 3) == 0 ||
			    strncmp(r->chip->name, "t41", 3) == 0));
}

static int chip_erased_at_init(const struct run *r)
{
	return r->o.erase == INGENIC_ERASE_CHIP && !t41_burner(r);
}

/* A read never erases: whatever the board says, INIT must not erase the chip. */
static void erase_for_command(struct run *r)
{
	if (is_command(&r->s, "write"))
		ingenic_board_set_erase(&r->board, r->o.erase);
	else
		r->board.sfc.spi_erase = 0;
}

static int validate_write(struct run *r, uint64_t flash, int detected);

/* Stage 2 (notes §3.4): POLICY, the flash id, the patched config, INIT. */
static int set_up_burner(struct run *r)
{
	uint8_t cfg[INGENIC_BOARD_CFG_MAX];
	int mmc = uses_mmc(&r->board);

	r->ops = mmc ? INGENIC_OPS_MMC0 : INGENIC_OPS_SFC_NOR;
	if (ingenic_update_cfg(r->dev, cfg, ingenic_board_cfg1(&r->board, cfg), &r->s.err) < 0)
		return -1;
	if (!mmc) {
		if (ingenic_flash_id(r->dev, &r->jedec, &r->s.err) < 0)
			return -1;
		if (r->jedec == 0 || r->jedec == 0xFFFFFF)
			return ub_fail(&r->s.err, UB_ENODEV, "the burner reads no SPI NOR (id %06" PRIx32
				       "): the board's POLICY may not pick SFC NOR, or the flash does not "
				       "answer (a short left on its pins?)", r->jedec);
		fit_flash(r);
		if (is_command(&r->s, "write") && validate_write(r, r->flash_size, 1) < 0)
			return -1;
	}
	erase_for_command(r);
	if (ingenic_update_cfg(r->dev, cfg, ingenic_board_cfg2(&r->board, cfg), &r->s.err) < 0)
		return -1;
	if (is_command(&r->s, "write") && chip_erased_at_init(r))
		ub_info(&r->s.log, "INIT: erasing the whole chip (this takes up to a minute)");
	return ingenic_init(r->dev, &r->s.err);
}

static int start_session(struct run *r)
{
	if (boot(r) < 0 || r->s.stop)
		return r->s.stop ? ub_session_stopped(&r->s, "interrupted while booting; nothing "
						      "was written") : -1;
	return set_up_burner(r);
}

static void end_session(struct run *r)
{
	if (r->o.no_reboot) {
		ub_info(&r->s.log, "the burner stays up (--no-reboot)");
		return;
	}
	ingenic_reboot(r->dev, &r->s.err);
	ub_info(&r->s.log, "rebooted the camera");
}

/* ---- list, info, detect ------------------------------------------------------- */

static const char *stage_name(enum ingenic_stage st)
{
	return st == INGENIC_STAGE_ROM ? "rom" : "burner";
}

static int write_stdout(struct ub_session *s)
{
	return fflush(stdout) ? ub_fail(&s->err, UB_EFAIL, "cannot write stdout") : 0;
}

/* A device's CPU info and stage, by opening it by its path; "" when it does not answer. */
static void query_device(struct run *r, const struct ub_usb_desc *d, char info[9])
{
	struct ub_err quiet = { 0 };
	struct ub_usb *usb = NULL;
	struct ingenic *dev = NULL;
	size_t nids;
	const struct ub_usb_id *ids = ingenic_usb_ids(&nids);
	char spec[UB_USB_PATH_MAX + 8];

	info[0] = '\0';
	if (r->o.usb && !ub_usb_is_path(r->o.usb))
		snprintf(spec, sizeof(spec), "%s", r->o.usb);
	else
		snprintf(spec, sizeof(spec), "%s", d->path);
	if (ub_usb_open(spec, ids, nids, 0, &usb, &quiet) == 0 &&
	    (dev = ingenic_new(&(struct ingenic_config){ .usb = usb, .log = &r->s.log }, &quiet)))
		ingenic_cpu_info(dev, info, &quiet);
	ingenic_free(dev);
	ub_usb_close(usb, &quiet);
}

static int cmd_list(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct ub_usb_desc *devs = NULL;
	size_t n = 0, nids;
	const struct ub_usb_id *ids = ingenic_usb_ids(&nids);

	if (ub_usb_list(r->o.usb, ids, nids, &devs, &n, &s->err) < 0)
		return -1;
	if (s->common.json)
		printf("[");
	for (size_t i = 0; i < n; i++) {
		char info[INGENIC_CPU_INFO_LEN + 1];
		const char *stage;

		query_device(r, &devs[i], info);
		stage = !info[0] ? "unknown" : stage_name(ingenic_stage_of(info));
		if (s->common.json)
			printf("%s{\"usb\":\"%s\",\"vid\":\"%04x\",\"pid\":\"%04x\",\"stage\":\"%s\","
			       "\"cpu_info\":\"%s\"}", i ? "," : "", devs[i].path, devs[i].vid,
			       devs[i].pid, stage, info);
		else
			printf("%-12s %04x:%04x  %-7s '%s'\n", devs[i].path, devs[i].vid, devs[i].pid,
			       stage, info);
	}
	if (s->common.json)
		printf("]\n");
	free(devs);
	if (!n && !s->common.json)
		ub_info(&s->log, "no a108:* device%s", NO_DEVICE_HINT);
	return write_stdout(s);
}

static void print_chip_json(const struct ingenic_chip *c, int first)
{
	printf("%s{\"chip\":\"%s\",\"pid\":\"%04x\",\"ginfo\":\"0x%08" PRIx32 "\",\"spl\":\"0x%08"
	       PRIx32 "\",\"stage2\":\"0x%08" PRIx32 "\",\"d2i_len\":\"0x%" PRIx32 "\"}",
	       first ? "" : ",", c->name, c->pid, c->ginfo_addr, c->spl_addr, c->stage2_addr,
	       c->d2i_len);
}

static int cmd_info(struct ub_session *s)
{
	struct run *r = run_of(s);
	const struct ingenic_chip *only = r->o.chip ? ingenic_chip_find(r->o.chip) : NULL;
	int first = 1;

	if (s->common.json)
		printf(only ? "" : "[");
	else
		printf("%-12s %-9s %-10s %-10s %-10s %s\n", "chip", "usb", "ginfo", "spl", "stage2",
		       "d2i_len");
	for (const struct ingenic_chip *c = ingenic_chips; c->name; c++) {
		if (only && c != only)
			continue;
		if (s->common.json)
			print_chip_json(c, first);
		else
			printf("%-12s a108:%04x 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%" PRIx32
			       "\n", c->name, c->pid, c->ginfo_addr, c->spl_addr, c->stage2_addr,
			       c->d2i_len);
		first = 0;
	}
	if (s->common.json)
		printf(only ? "\n" : "]\n");
	return write_stdout(s);
}

static int cmd_detect(struct ub_session *s)
{
	struct run *r = run_of(s);
	const struct ingenic_chip *c = ingenic_chip_from_rom(r->cpu_info);
	const struct ub_usb_desc *d = &r->usb->desc;

	if (s->common.json)
		printf("{\"usb\":\"%s\",\"vid\":\"%04x\",\"pid\":\"%04x\",\"stage\":\"%s\","
		       "\"cpu_info\":\"%s\",\"chip\":\"%s\"}\n", d->path, d->vid, d->pid,
		       stage_name(r->stage), r->cpu_info, c ? c->name : "");
	else
		printf("usb:      %s (%04x:%04x)\nstage:    %s\ncpu info: '%s'%s%s\n", d->path, d->vid,
		       d->pid, r->stage == INGENIC_STAGE_ROM ? "boot ROM" : "stage-2 burner",
		       r->cpu_info, c ? " = " : "", c ? c->name : "");
	return write_stdout(s);
}

/* ---- boot, reboot, board ----------------------------------------------------- */

static int check_boot(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (!ingenic_chip_find(s->args[0]))
		return ub_fail(&s->err, UB_EUSAGE, "unknown chip '%s': '" PROG " info' lists them",
			       s->args[0]);
	if (!r->o.chip && ub_opts_set_string(&r->o.chip, s->args[0], &s->err) < 0)
		return -1;
	return load_boot_files(r);
}

static int cmd_boot(struct ub_session *s)
{
	struct run *r = run_of(s);

	r->chip = ingenic_chip_find(s->args[0]);
	if (boot(r) < 0)
		return -1;
	printf("%s\n", r->burner_info);
	return write_stdout(s);
}

static int cmd_reboot(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (r->stage == INGENIC_STAGE_ROM)
		return ub_fail(&s->err, UB_EFAIL, "the device runs its boot ROM, which has no reboot "
			       "request: unplug it to restart the camera");
	ingenic_reboot(r->dev, &s->err);
	ub_info(&s->log, "rebooted the camera");
	return 0;
}

static int check_board(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (strcmp(s->args[0], "export") != 0)
		return ub_fail(&s->err, UB_EUSAGE, "unknown board command '%s': use 'board export DIR'",
			       s->args[0]);
	if (find_board_dir(r, s->args[1]) < 0 || load_nor_db(r) < 0 ||
	    ingenic_board_from_blobs(r->board_path, &r->db, &r->board, &s->err) < 0)
		return -1;
	return ub_session_open_output(s, s->common.output);
}

static int cmd_board(struct ub_session *s)
{
	struct run *r = run_of(s);
	char *text = ingenic_board_export(&r->board, &s->err);
	int rc;

	if (!text)
		return -1;
	rc = ub_session_sink(s, (const uint8_t *)text, strlen(text), &s->err);
	free(text);
	return rc < 0 ? -1 : ub_session_commit_output(s);
}

/* ---- read, verify ---------------------------------------------------------- */

static uint32_t read_size(const struct run *r)
{
	return r->board.read_size ? r->board.read_size : 0x100000;
}

static int check_read(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (load_board(r) < 0)
		return -1;
	if (uses_mmc(&r->board) && !s->common.has_length)
		return ub_fail(&s->err, UB_EUSAGE, "the board writes an eMMC, whose size the burner "
			       "does not tell: give --length");
	return ub_session_open_output(s, s->common.output);
}

/* Read [offset, offset + len) in READ-sized pieces, each to sink. */
static int read_span(struct run *r, uint64_t offset, uint64_t len, const char *label,
		     int (*sink)(struct run *, uint64_t at, const uint8_t *, size_t, uint32_t))
{
	size_t cap = read_size(r);
	uint8_t *buf = malloc(cap);
	uint64_t done = 0;
	int rc = 0;

	if (!buf)
		return ub_fail(&r->s.err, UB_EFAIL, "out of memory");
	ub_progress_start(&r->progress, (enum ub_progress_mode)r->s.common.progress, label, len);
	while (!rc && done < len) {
		size_t n = len - done < cap ? (size_t)(len - done) : cap;
		uint32_t crc;

		if (r->s.stop)
			rc = ub_fail(&r->s.err, UB_EINTR, "interrupted");
		else
			rc = ingenic_read(r->dev, r->ops, offset + done, buf, n, &crc, &r->s.err) < 0 ||
			     sink(r, offset + done, buf, n, crc) < 0 ? -1 : 0;
		if (!rc)
			done += n;
		ub_progress_update(&r->progress, done);
	}
	ub_progress_end(&r->progress);
	free(buf);
	return rc;
}

static int to_output(struct run *r, uint64_t at, const uint8_t *data, size_t len, uint32_t crc)
{
	(void)at;
	(void)crc;
	return ub_session_sink(&r->s, data, len, &r->s.err);
}

static int to_backup(struct run *r, uint64_t at, const uint8_t *data, size_t len, uint32_t crc)
{
	(void)at;
	(void)crc;
	return ub_session_backup_sink(&r->s, data, len, &r->s.err);
}

static int flash_range(struct run *r, uint64_t *offset, uint64_t *len)
{
	uint64_t size = r->flash_size ? r->flash_size : UINT64_MAX;

	return ub_range_from_opts(&r->s.common, size, offset, len, &r->s.err);
}

static int cmd_read(struct ub_session *s)
{
	struct run *r = run_of(s);
	uint64_t offset, len;

	if (start_session(r) < 0 || flash_range(r, &offset, &len) < 0)
		return -1;
	if (read_span(r, offset, len, "read", to_output) < 0) {
		if (s->err.status != UB_EINTR)
			return -1;
		if (s->out.to_stdout)
			return ub_session_stopped(s, "interrupted; nothing more went to stdout");
		return ub_session_stopped(s, "interrupted; %s was not written", s->out.path);
	}
	if (ub_session_commit_output(s) < 0)
		return -1;
	end_session(r);
	ub_info(&s->log, "read %" PRIu64 " bytes at 0x%" PRIx64 ", every READ's CRC checked", len,
		offset);
	return 0;
}

/* Compare each READ's CRC with the image's bytes there. */
static int against_image(struct run *r, uint64_t at, const uint8_t *data, size_t len, uint32_t crc)
{
	uint8_t *want = malloc(len);
	int rc;

	(void)data;
	if (!want)
		return ub_fail(&r->s.err, UB_EFAIL, "out of memory");
	rc = ub_input_read(&r->s.in, want, len, &r->s.err);
	if (!rc && ingenic_crc32(want, len) != crc)
		rc = ub_fail(&r->s.err, UB_EFAIL, "the flash differs from %s in the %zu bytes at "
			     "0x%" PRIx64 " (CRC 0x%08" PRIx32 ", the image's 0x%08" PRIx32 ")",
			     r->s.in.name, len, at, crc, ingenic_crc32(want, len));
	free(want);
	return rc;
}

static int verify_image(struct run *r, uint64_t offset)
{
	if (ub_input_rewind(&r->s.in, &r->s.err) < 0)
		return -1;
	return read_span(r, offset, r->s.in.size, "verify", against_image);
}

static int check_verify(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (load_board(r) < 0)
		return -1;
	return ub_session_open_input(s, s->args[0], LARGEST_IMAGE, "the largest flash");
}

static int image_fits(struct run *r, uint64_t size, const char *what)
{
	if (!size)
		return 0;
	return ub_range_check(r->s.common.offset, r->s.in.size, size, what, &r->s.err);
}

static int cmd_verify(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (start_session(r) < 0 || image_fits(r, r->flash_size, s->in.name) < 0 ||
	    verify_image(r, s->common.offset) < 0)
		return -1;
	end_session(r);
	ub_info(&s->log, "the flash matches %s at 0x%" PRIx64, s->in.name, s->common.offset);
	return 0;
}

/* ---- write ---------------------------------------------------------------- */

static uint64_t part_end(const struct ingenic_nor_part *p, uint64_t flash)
{
	return p->size == 0xFFFFFFFFu ? flash : (uint64_t)p->offset + p->size;
}

/* The partition the burner picks for a write starting at addr: the first holding it. */
static const struct ingenic_nor_part *part_at(const struct run *r, uint64_t addr, uint64_t flash)
{
	for (size_t i = 0; i < r->board.sfc.nparts; i++) {
		const struct ingenic_nor_part *p = &r->board.sfc.part[i];

		if (addr >= p->offset && addr < part_end(p, flash))
			return p;
	}
	return NULL;
}

static uint64_t board_flash_size(const struct run *r)
{
	return r->flash_size ? r->flash_size : r->board.sfc.nor.chip_size;
}

/* Every byte of [lo, hi) in some partition of a flash-byte NOR, and none read-only. */
static int check_partitions(struct run *r, uint64_t lo, uint64_t hi, uint64_t flash)
{
	while (lo < hi) {
		const struct ingenic_nor_part *p = part_at(r, lo, flash);

		if (!p)
			return ub_fail(&r->s.err, UB_EUSAGE, "%s would write 0x%" PRIx64 ", which is in "
				       "no partition of the board's table: the burner refuses it",
				       r->s.in.name, lo);
		if (p->access == INGENIC_PART_RO)
			return ub_fail(&r->s.err, UB_EUSAGE, "%s would write partition '%s', which the "
				       "board marks read-only", r->s.in.name, p->name);
		lo = part_end(p, flash);
	}
	return 0;
}

/* The boot loader: the board's "uboot" partition, else the first 256 KiB. */
static uint64_t bootloader_end(const struct run *r)
{
	for (size_t i = 0; i < r->board.sfc.nparts; i++)
		if (strcmp(r->board.sfc.part[i].name, "uboot") == 0 && r->board.sfc.part[i].offset == 0)
			return r->board.sfc.part[i].size;
	return DEFAULT_UBOOT_END;
}

/*
 * A whole-flash image needs no --force-bootloader. Before the flash is
 * detected, an image at 0 as large as the board's flash or larger may be one.
 */
static int whole_flash(const struct run *r, uint64_t flash, int detected)
{
	if (r->s.common.offset != 0)
		return 0;
	return detected ? r->s.in.size == flash : r->s.in.size >= flash;
}

static int guard_bootloader(struct run *r, uint64_t flash, int detected)
{
	uint64_t end = bootloader_end(r);
	int touches = r->s.common.offset < end || r->o.erase == INGENIC_ERASE_CHIP;

	if (!touches || whole_flash(r, flash, detected) || r->s.common.force_bootloader)
		return 0;
	if (r->s.common.offset >= end)
		return ub_fail(&r->s.err, UB_EUSAGE, "--erase chip also erases the boot loader "
			       "(0x0-0x%" PRIx64 "), and %s does not hold it; give a whole-flash image, "
			       "or add --force-bootloader if you mean it", end, r->s.in.name);
	return ub_fail(&r->s.err, UB_EUSAGE, "%s at 0x%" PRIx64 " would change the boot loader "
		       "(0x0-0x%" PRIx64 "), and a bad one leaves only USB boot; add "
		       "--force-bootloader if you mean it, or write a whole-flash image",
		       r->s.in.name, r->s.common.offset, end);
}

/*
 * What the flash's size decides: checked against the board's before the
 * device is touched, and again against the detected flash before INIT
 * (which may erase the chip). The board's size is only a default: a larger
 * flash may be found, so before that an image may run past it.
 */
static int validate_write(struct run *r, uint64_t flash, int detected)
{
	uint64_t lo = r->s.common.offset, hi = lo + r->s.in.size;

	if (detected && image_fits(r, flash, r->s.in.name) < 0)
		return -1;
	if (check_partitions(r, lo, hi, detected || hi < flash ? flash : hi) < 0)
		return -1;
	return guard_bootloader(r, flash, detected);
}

static int check_write(struct ub_session *s)
{
	struct run *r = run_of(s);

	if (load_board(r) < 0 ||
	    ub_session_open_input(s, s->args[0], LARGEST_IMAGE, "the largest flash") < 0)
		return -1;
	if (!s->in.size)
		return ub_fail(&s->err, UB_EUSAGE, "%s is empty: nothing to write", s->in.name);
	if (uses_mmc(&r->board))
		return ub_fail(&s->err, UB_EUSAGE, "the board writes an eMMC: this program writes SFC "
			       "NOR only for now (read works)");
	if (validate_write(r, board_flash_size(r), 0) < 0)
		return -1;
	if (s->common.backup && r->o.erase == INGENIC_ERASE_CHIP)
		return ub_fail(&s->err, UB_EUSAGE, "--backup cannot go with --erase chip: the burner "
			       "erases at INIT, before anything can be read; run 'read' first");
	return ub_session_open_backup(s, s->common.backup);
}

struct plan {
	uint64_t lo, hi;        /* the image's range */
	uint64_t start, end;    /* what is written: the image, widened to erase blocks (range) */
	uint32_t chunk;         /* bytes per WRITE */
	uint64_t flash;
};

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v / a * a;
}

static void make_plan(const struct run *r, struct plan *p)
{
	uint32_t block = r->board.sfc.erase_block_size ? r->board.sfc.erase_block_size : 0x10000;
	uint32_t chunk = r->board.transfer_size ? r->board.transfer_size : 0x10000;

	p->flash = board_flash_size(r);
	p->lo = r->s.common.offset;
	p->hi = p->lo + r->s.in.size;
	p->start = p->lo;
	p->end = p->hi;
	p->chunk = chunk;
	if (r->o.erase != INGENIC_ERASE_RANGE)
		return;
	/* each WRITE erases its range widened to the erase block (notes §3.4): write whole blocks */
	p->chunk = (uint32_t)((chunk + block - 1) / block * block);
	p->start = align_down(p->lo, block);
	p->end = align_down(p->hi + block - 1, block);
	if (p->end > p->flash)
		p->end = p->flash;
}

/* The next WRITE from at: a chunk, cut at the end of its partition. */
static size_t chunk_len(const struct run *r, const struct plan *p, uint64_t at)
{
	const struct ingenic_nor_part *part = part_at(r, at, p->flash);
	uint64_t end = at + p->chunk;

	if (part && part_end(part, p->flash) < end)
		end = part_end(part, p->flash);
	if (end > p->end)
		end = p->end;
	return (size_t)(end - at);
}

/* The chunk's bytes: the image's where it has them, the flash's (in buf) elsewhere. */
static int fill_chunk(struct run *r, const struct plan *p, uint64_t at, uint8_t *buf, size_t len)
{
	uint64_t from = at > p->lo ? at : p->lo, to = at + len < p->hi ? at + len : p->hi;

	if (from >= to)
		return 0;
	return ub_input_read(&r->s.in, buf + (from - at), (size_t)(to - from), &r->s.err);
}

static int needs_old_data(const struct plan *p, uint64_t at, size_t len)
{
	return at < p->lo || at + len > p->hi;
}

/*
 * One chunk. With --erase range the flash is read first: its bytes around
 * the image are kept, and a chunk that already holds the right data is not
 * written (so a second run after an interrupted one only finishes it).
 */
static int write_chunk(struct run *r, const struct plan *p, uint64_t at, uint8_t *buf,
		       size_t len, int *skipped)
{
	uint32_t old_crc = 0;
	int range = r->o.erase == INGENIC_ERASE_RANGE;

	*skipped = 0;
	if (range && ingenic_read(r->dev, r->ops, at, buf, len, &old_crc, &r->s.err) < 0)
		return -1;
	if (!range && needs_old_data(p, at, len))
		memset(buf, 0xFF, len);
	if (fill_chunk(r, p, at, buf, len) < 0)
		return -1;
	if (range && ingenic_crc32(buf, len) == old_crc) {
		*skipped = 1;
		return 0;
	}
	return ingenic_write(r->dev, r->ops, at, buf, len, &r->s.err);
}

static int write_plan(struct run *r, const struct plan *p, uint64_t *skipped_bytes)
{
	uint8_t *buf = malloc(p->chunk);
	uint64_t at = p->start;
	int rc = 0;

	if (!buf)
		return ub_fail(&r->s.err, UB_EFAIL, "out of memory");
	r->written_lo = r->written_hi = p->start;
	ub_progress_start(&r->progress, (enum ub_progress_mode)r->s.common.progress, "write",
			  p->end - p->start);
	while (!rc && at < p->end) {
		size_t len = chunk_len(r, p, at);
		int skipped = 0;

		r->chunk_at = at;
		if (r->s.stop)
			rc = ub_fail(&r->s.err, UB_EINTR, "interrupted");
		else
			rc = write_chunk(r, p, at, buf, len, &skipped);
		if (!rc) {
			at += len;
			r->written_hi = at;
			*skipped_bytes += skipped ? len : 0;
			ub_progress_update(&r->progress, at - p->start);
		}
	}
	ub_progress_end(&r->progress);
	free(buf);
	return rc;
}

/* Where the write changes the flash: its blocks, or the partitions it erases whole. */
static void changed_span(const struct run *r, const struct plan *p, uint64_t *lo, uint64_t *hi)
{
	const struct ingenic_nor_part *first, *last;

	*lo = p->start;
	*hi = p->end;
	if (r->o.erase != INGENIC_ERASE_PARTITION)
		return;
	first = part_at(r, p->start, p->flash);
	last = part_at(r, p->end - 1, p->flash);
	if (first && first->offset < *lo)
		*lo = first->offset;
	if (last && part_end(last, p->flash) > *hi)
		*hi = part_end(last, p->flash);
}

/* --backup: what the write will change, complete and synced before the first write. */
static int backup(struct run *r, const struct plan *p)
{
	uint64_t lo, hi;

	if (!r->s.backup_open)
		return 0;
	changed_span(r, p, &lo, &hi);
	ub_info(&r->s.log, "backing up 0x%" PRIx64 "-0x%" PRIx64 " to %s", lo, hi, r->s.backup.path);
	if (read_span(r, lo, hi - lo, "backup", to_backup) < 0)
		return -1;
	return ub_session_commit_backup(&r->s);
}

static const char *erase_words(const struct run *r)
{
	if (r->o.erase == INGENIC_ERASE_CHIP)
		return chip_erased_at_init(r) ? "the whole chip was erased at INIT" :
		       "each write erases as its partition says";
	return r->o.erase == INGENIC_ERASE_PARTITION ?
	       "the first write into a partition erases all of it" :
	       "each write erases only the blocks it covers";
}

/* The error, with what is on the flash now: one line. */
static int say_what_is_written(struct run *r, const char *what)
{
	char msg[sizeof(r->s.err.msg)];
	int status = r->s.err.status;

	snprintf(msg, sizeof(msg), "%s", r->s.err.msg);
	ub_err_clear(&r->s.err);
	return ub_fail(&r->s.err, status, "%s; %s; run the same command again", msg, what);
}

/* What is on the flash now, for a write that stopped. */
static int write_failed(struct run *r, const struct plan *p)
{
	char what[400];

	if (r->written_hi > r->written_lo)
		snprintf(what, sizeof(what), "0x%" PRIx64 "-0x%" PRIx64 " is written; 0x%" PRIx64
			 "-0x%" PRIx64 " is not (the chunk at 0x%" PRIx64 " may be half-written)",
			 r->written_lo, r->written_hi, r->written_hi, p->end, r->chunk_at);
	else
		snprintf(what, sizeof(what), "nothing of %s was written (0x%" PRIx64 "-0x%" PRIx64
			 " may be half-written)", r->s.in.name, p->start,
			 p->start + chunk_len(r, p, p->start));
	if (r->s.err.status == UB_EINTR)
		return ub_session_stopped(&r->s, "interrupted: %s; run the same command again", what);
	return say_what_is_written(r, what);
}

static void warn_t41_chip_erase(struct run *r)
{
	if (r->o.erase == INGENIC_ERASE_CHIP && !chip_erased_at_init(r))
		ub_warn(&r->s.log, "the T40/T41 burner probably does not erase the chip at INIT "
			"(a vendor capture acks INIT in 0.5 s): each write erases only as the "
			"board's partitions say");
}

static int cmd_write(struct ub_session *s)
{
	struct run *r = run_of(s);
	struct plan p;
	uint64_t skipped = 0;

	if (boot(r) < 0)
		return -1;
	warn_t41_chip_erase(r);
	if (set_up_burner(r) < 0)
		return -1;
	make_plan(r, &p);
	if (backup(r, &p) < 0 || ingenic_set_length(r->dev, (uint32_t)s->in.size, &s->err) < 0)
		return s->err.status == UB_EINTR ?
		       ub_session_stopped(s, "interrupted while backing up; nothing was written") : -1;
	ub_info(&s->log, "writing %s at 0x%" PRIx64 " (%" PRIu64 " bytes); %s", s->in.name, p.lo,
		s->in.size, erase_words(r));
	if (ub_input_rewind(&s->in, &s->err) < 0 || write_plan(r, &p, &skipped) < 0)
		return write_failed(r, &p);
	if (!r->o.no_verify && verify_image(r, p.lo) < 0)
		return s->err.status == UB_EINTR ?
		       ub_session_stopped(s, "interrupted: %s is written but not verified",
					  s->in.name) : -1;
	end_session(r);
	ub_info(&s->log, "wrote %s%s%s", s->in.name, r->o.no_verify ? "" : ", verified",
		skipped ? " (some blocks already held it)" : "");
	return 0;
}

static const struct ub_command commands[] = {
	{ "list", "", "every attached a108:* device: bus-port, PID, stage", 0, 0, "json",
	  UB_CMD_STDOUT, NULL, cmd_list },
	{ "info", "", "the chip table (or --chip NAME's line)", 0, 0, "json", UB_CMD_STDOUT, NULL,
	  cmd_info },
	{ "detect", "", "the device's stage, CPU info and bus-port", 0, 0, "json", UB_CMD_STDOUT,
	  NULL, cmd_detect },
	{ "boot", "CHIP", "boot the ROM into the stage-2 burner and leave it running", 1, 1, "",
	  UB_CMD_STDOUT, check_boot, cmd_boot },
	{ "read", "[-o FILE]", "read the flash, every READ's CRC checked", 0, 0,
	  "output offset length", 0, check_read, cmd_read },
	{ "write", "FILE|-", "write an image at --offset, then compare the flash's CRCs", 1, 1,
	  "offset erase no-verify backup force-bootloader", 0, check_write, cmd_write },
	{ "verify", "FILE|-", "compare the flash's CRCs with an image at --offset", 1, 1, "offset", 0,
	  check_verify, cmd_verify },
	{ "reboot", "", "reboot a camera whose burner runs (left by --no-reboot)", 0, 0, "", 0, NULL,
	  cmd_reboot },
	{ "board", "export DIR [-o FILE]", "the board file for a set of captured cfg blobs", 2, 2,
	  "output", 0, check_board, cmd_board },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL },
};

static const struct ub_program program = {
	PROG, "Flash and dump Ingenic T20-T41 cameras through their USB boot ROM.",
	&optset, commands, help_backends, NULL, connect, release, free_options,
};

int main(int argc, char **argv)
{
	static struct run r;

	r.o.timeout_s = 120;
	r.o.erase = INGENIC_ERASE_RANGE;
	r.s.opts = &r.o;
	return ub_prog_main(&program, &r.s, argc, argv);
}
