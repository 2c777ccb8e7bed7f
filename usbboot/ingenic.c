/* SPDX-License-Identifier: MIT */
/* The Ingenic USB boot protocol: ROM, SPL and stage-2 burner (usbboot/ingenic.h). */
#include "ingenic.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "crc.h"

/* Vendor requests (notes §1.2, §3.1). */
enum {
	REQ_GET_CPU_INFO = 0x00,
	REQ_SET_DATA_ADDRESS = 0x01,
	REQ_SET_DATA_LENGTH = 0x02,
	REQ_FLUSH_CACHES = 0x03,
	REQ_PROGRAM_START1 = 0x04,
	REQ_PROGRAM_START2 = 0x05,
	REQ_GET_ACK = 0x10,
	REQ_INIT = 0x11,
	REQ_WRITE = 0x12,
	REQ_READ = 0x13,
	REQ_UPDATE_CFG = 0x14,
	REQ_REBOOT = 0x16,
	REQ_GET_CRC = 0x19,
	REQ_GET_FLASH_INFO = 0x26,
};

#define VENDOR_OUT 0x40
#define VENDOR_IN 0xC0
#define CMD_LEN 40
#define ACK_BUSY (-16)  /* -EBUSY: UPDATE_CFG or WRITE data still coming, or INIT running */

/* Timeouts, in ms on the device's clock (the vendor host's, notes §3.4). */
#define CONTROL_MS 2000
#define COMMAND_MS 5000
#define BULK_MS 5000
#define POLL_MS 100          /* will-tm polls the CPU info every 100 ms */
#define BOOT_MS 10000        /* ... for up to 10 s */
#define ACK_POLL_MS 2000     /* one GET_ACK while the burner is busy */
#define READ_MS 20000        /* GET_CRC waits for the READ: ~0.2 s per MiB (CAP-T20) */

static const uint32_t GPIO_BASE = 0xB0010000;

const struct ingenic_chip ingenic_chips[] = {
	/* The T-series share PID c309 and the load addresses; the T20's d2i is 0x4000 (CAP-T20). */
	{ "t20", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x4000 },
	{ "t21", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t23", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t30", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t30a", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t30nl", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t30x", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t31", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t31a", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t31nl", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t31x", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t40", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "t41", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "a1_n_ne_x", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "a1_nt_a", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "prj007", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "prj007_sfc1", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "prj008", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "prj008_mmc0", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "ad100", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "c100", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x1021", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x1521", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x1600", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x2500", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x2580", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x2600", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x1630", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x1800", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x1830", 0xC309, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "jz4775", 0x4775, 0xF4000800, 0xF4001000, 0x80100000, 0x4000 },
	{ "m150", 0x4780, 0xF4000800, 0xF4001000, 0x80100000, 0x4000 },
	{ "m200", 0x4780, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "m200s", 0x4785, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x1000", 0x1000, 0xF4001000, 0xF4001800, 0x80100000, 0x7000 },
	{ "x1500", 0x1000, 0xF4001000, 0xF4001800, 0x80100000, 0x7000 },
	{ "x1520", 0x1000, 0x80001000, 0x80001800, 0x80100000, 0x7000 },
	{ "x2000", 0xEAEF, 0xB2401000, 0xB2401800, 0x80100000, 0x7000 },
	{ "x2100", 0xEAEF, 0xB2401000, 0xB2401800, 0x80100000, 0x7000 },
	{ "m210", 0xEAEF, 0xB2401000, 0xB2401800, 0x80100000, 0x7000 },
	{ "m300", 0xEAEF, 0xB2401000, 0xB2401800, 0x80100000, 0x7000 },
	{ NULL, 0, 0, 0, 0, 0 },
};

/* ---- the chip table ------------------------------------------------------ */

static void squeeze(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in && n + 1 < cap; in++)
		if (*in != '-' && *in != '_')
			out[n++] = (char)tolower((unsigned char)*in);
	out[n] = '\0';
}

const struct ingenic_chip *ingenic_chip_find(const char *name)
{
	char want[64], have[64];
	const struct ingenic_chip *c;

	squeeze(name, want, sizeof(want));
	if (!want[0])
		return NULL;
	for (c = ingenic_chips; c->name; c++) {
		squeeze(c->name, have, sizeof(have));
		if (strcmp(want, have) == 0)
			return c;
	}
	for (c = ingenic_chips; c->name; c++) {
		squeeze(c->name, have, sizeof(have));
		if (strncmp(want, have, strlen(have)) == 0)
			return c;
	}
	return NULL;
}

enum ingenic_stage ingenic_stage_of(const char *cpu_info)
{
	for (int i = 1; i < INGENIC_CPU_INFO_LEN; i += 2)
		if (cpu_info[i] != ' ' || !isalnum((unsigned char)cpu_info[i - 1]))
			return INGENIC_STAGE_BURNER;
	return INGENIC_STAGE_ROM;
}

/* "T 3 1 V " -> "t31": the characters between the first and the last. */
const struct ingenic_chip *ingenic_chip_from_rom(const char *cpu_info)
{
	char name[8];
	size_t n = 0;

	if (ingenic_stage_of(cpu_info) != INGENIC_STAGE_ROM)
		return NULL;
	for (int i = 0; i < INGENIC_CPU_INFO_LEN - 2; i += 2)
		name[n++] = (char)tolower((unsigned char)cpu_info[i]);
	name[n] = '\0';
	for (const struct ingenic_chip *c = ingenic_chips; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct ub_usb_id *ingenic_usb_ids(size_t *n)
{
	static const struct ub_usb_id ids[] = { { INGENIC_VID, 0 } };

	*n = sizeof(ids) / sizeof(ids[0]);
	return ids;
}

uint32_t ingenic_crc32(const uint8_t *data, size_t len)
{
	/* ub_crc32_wm keeps zlib's register un-inverted: from all ones, it is JAMCRC */
	return ub_crc32_wm(0xFFFFFFFFu, data, len);
}

/* ---- transfers --------------------------------------------------------- */

struct ingenic {
	struct ingenic_config cfg;
};

struct ingenic *ingenic_new(const struct ingenic_config *cfg, struct ub_err *err)
{
	struct ingenic *d = calloc(1, sizeof(*d));

	if (!d) {
		ub_fail(err, UB_EFAIL, "out of memory");
		return NULL;
	}
	d->cfg = *cfg;
	if (d->cfg.layout != 32)
		d->cfg.layout = 64;
	if (d->cfg.busy_timeout_ms <= 0)
		d->cfg.busy_timeout_ms = 120000;
	return d;
}

void ingenic_free(struct ingenic *d)
{
	free(d);
}

static int stopped(struct ingenic *d, struct ub_err *err)
{
	if (d->cfg.stop && *d->cfg.stop)
		return ub_fail(err, UB_EINTR, "interrupted");
	return 0;
}

/* A vendor request; value splits as the ROM takes it: wValue the high half, wIndex the low. */
static enum ub_usb_status vendor(struct ingenic *d, uint8_t type, uint8_t req, uint32_t value,
				 uint8_t *data, uint16_t len, int timeout_ms, struct ub_err *err)
{
	struct ub_usb_setup s = { type, req, (uint16_t)(value >> 16), (uint16_t)value, len };
	size_t got = 0;
	enum ub_usb_status st = ub_usb_control(d->cfg.usb, &s, data, &got, timeout_ms, err);

	if (st == UB_USB_OK && (type & 0x80) && got != len) {
		ub_fail(err, UB_EFAIL, "%s: request 0x%02x gave %zu of %u bytes", d->cfg.usb->name,
			req, got, len);
		return UB_USB_ERROR;
	}
	return st;
}

static int out_req(struct ingenic *d, uint8_t req, uint32_t value, struct ub_err *err)
{
	return vendor(d, VENDOR_OUT, req, value, NULL, 0, CONTROL_MS, err) == UB_USB_OK ? 0 : -1;
}

static int bulk_out(struct ingenic *d, const uint8_t *data, size_t len, struct ub_err *err)
{
	int ms = BULK_MS + (int)(len >> 10);  /* and 1 ms per KiB, for slow hosts */

	return ub_usb_bulk_out(d->cfg.usb, data, len, ms, err) == UB_USB_OK ? 0 : -1;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int ingenic_cpu_info(struct ingenic *d, char info[INGENIC_CPU_INFO_LEN + 1], struct ub_err *err)
{
	uint8_t buf[INGENIC_CPU_INFO_LEN];

	if (vendor(d, VENDOR_IN, REQ_GET_CPU_INFO, 0, buf, sizeof(buf), CONTROL_MS, err) != UB_USB_OK)
		return -1;
	memcpy(info, buf, sizeof(buf));
	info[INGENIC_CPU_INFO_LEN] = '\0';
	return 0;
}

/*
 * After a PROGRAM_START the next stage answers once it is up; until then
 * transfers fail or time out, which is not an error (will-tm polls too).
 */
static int wait_for_answer(struct ingenic *d, const char *what, char info[INGENIC_CPU_INFO_LEN + 1],
			   struct ub_err *err)
{
	int64_t deadline = ub_usb_clock_ms(d->cfg.usb) + BOOT_MS;
	uint8_t buf[INGENIC_CPU_INFO_LEN];

	for (;;) {
		struct ub_err quiet = { 0 };
		enum ub_usb_status st;

		if (stopped(d, err) < 0)
			return -1;
		st = vendor(d, VENDOR_IN, REQ_GET_CPU_INFO, 0, buf, sizeof(buf), POLL_MS * 5, &quiet);
		if (st == UB_USB_OK) {
			memcpy(info, buf, sizeof(buf));
			info[INGENIC_CPU_INFO_LEN] = '\0';
			return 0;
		}
		if (st == UB_USB_GONE)
			return ub_fail(err, UB_ENODEV, "%s left the bus while %s started: %s",
				       d->cfg.usb->name, what, quiet.msg);
		if (ub_usb_clock_ms(d->cfg.usb) >= deadline)
			return ub_fail(err, UB_ENODEV, "%s: %s did not answer within %d s after it was "
				       "started (%s); the boot files may not suit this board",
				       d->cfg.usb->name, what, BOOT_MS / 1000, quiet.msg);
		ub_usb_sleep_ms(d->cfg.usb, POLL_MS);
	}
}

/* SET_DATA_ADDRESS, SET_DATA_LENGTH, the bytes by bulk OUT. */
static int load(struct ingenic *d, uint32_t addr, const uint8_t *data, size_t len,
		struct ub_err *err)
{
	if (out_req(d, REQ_SET_DATA_ADDRESS, addr, err) < 0 ||
	    out_req(d, REQ_SET_DATA_LENGTH, (uint32_t)len, err) < 0)
		return -1;
	return bulk_out(d, data, len, err);
}

/* will-tm's pokes for one pin (notes §1.3): the GPIO block's registers, one word each. */
static int hold_pin(struct ingenic *d, const struct ingenic_gpio *g, struct ub_err *err)
{
	static const uint16_t common[] = { 0x18, 0x24, 0x38, 0x118 };  /* INTC MSKS PAT1C PUENC */
	static const uint16_t high[] = { 0x44, 0x128 };                /* PAT0S PDENC */
	static const uint16_t low[] = { 0x48, 0x124 };                 /* PAT0C PDENS */
	uint32_t base = GPIO_BASE + (uint32_t)g->port * 0x1000;
	uint8_t bit[4];

	put_le(bit, 1u << g->pin, 4);
	for (size_t i = 0; i < 4; i++)
		if (load(d, base + common[i], bit, 4, err) < 0)
			return -1;
	for (size_t i = 0; i < 2; i++)
		if (load(d, base + (g->high ? high[i] : low[i]), bit, 4, err) < 0)
			return -1;
	return 0;
}

static int start_spl(struct ingenic *d, const struct ingenic_chip *chip,
		     const struct ingenic_blobs *b, struct ub_err *err)
{
	char info[INGENIC_CPU_INFO_LEN + 1];

	ub_info(d->cfg.log, "loading ginfo (%zu bytes) and the SPL (%zu bytes)", b->ginfo_len,
		b->spl_len);
	if (load(d, chip->ginfo_addr, b->ginfo, b->ginfo_len, err) < 0 ||
	    load(d, chip->spl_addr, b->spl, b->spl_len, err) < 0 ||
	    out_req(d, REQ_SET_DATA_LENGTH, chip->d2i_len, err) < 0 ||
	    out_req(d, REQ_PROGRAM_START1, chip->spl_addr, err) < 0)
		return -1;
	return wait_for_answer(d, "the SPL", info, err);
}

static int start_burner(struct ingenic *d, const struct ingenic_chip *chip,
			const struct ingenic_blobs *b, char info[INGENIC_CPU_INFO_LEN + 1],
			struct ub_err *err)
{
	ub_info(d->cfg.log, "loading the burner (%zu bytes)", b->uboot_len);
	if (load(d, chip->stage2_addr, b->uboot, b->uboot_len, err) < 0 ||
	    out_req(d, REQ_FLUSH_CACHES, 0, err) < 0 ||
	    out_req(d, REQ_PROGRAM_START2, chip->stage2_addr, err) < 0)
		return -1;
	return wait_for_answer(d, "the burner", info, err);
}

int ingenic_boot(struct ingenic *d, const struct ingenic_chip *chip,
		 const struct ingenic_blobs *blobs, const struct ingenic_gpio *gpio, size_t ngpio,
		 char burner_info[INGENIC_CPU_INFO_LEN + 1], struct ub_err *err)
{
	for (size_t i = 0; i < ngpio; i++)
		if (hold_pin(d, &gpio[i], err) < 0)
			return -1;
	if (start_spl(d, chip, blobs, err) < 0 || stopped(d, err) < 0)
		return -1;
	return start_burner(d, chip, blobs, burner_info, err);
}

/* ---- the burner ---------------------------------------------------------- */

/* GET_ACK once: 0 with *ack, 1 when the burner is too busy to answer, -1 on error. */
static int get_ack(struct ingenic *d, int32_t *ack, int timeout_ms, struct ub_err *err)
{
	uint8_t buf[4];
	struct ub_err why = { 0 };
	enum ub_usb_status st = vendor(d, VENDOR_IN, REQ_GET_ACK, 0, buf, 4, timeout_ms, &why);

	if (st == UB_USB_OK) {
		*ack = (int32_t)le32(buf);
		return 0;
	}
	if (st == UB_USB_TIMEOUT)
		return 1;
	return ub_fail(err, why.status, "%s", why.msg);
}

/* GET_ACK until it is not -16 (busy) and not unanswered, within the budget. */
static int wait_ack(struct ingenic *d, const char *what, int budget_ms, struct ub_err *err)
{
	int64_t deadline = ub_usb_clock_ms(d->cfg.usb) + budget_ms;
	int32_t ack = ACK_BUSY;

	for (;;) {
		int rc = get_ack(d, &ack, ACK_POLL_MS, err);

		if (rc < 0)
			return -1;
		if (rc == 0 && ack != ACK_BUSY)
			break;
		if (ub_usb_clock_ms(d->cfg.usb) >= deadline)
			return ub_fail(err, UB_ENODEV, "%s: the burner was still busy with %s after "
				       "%d s (give --timeout for a slower flash)", d->cfg.usb->name,
				       what, budget_ms / 1000);
		if (rc == 0)
			ub_usb_sleep_ms(d->cfg.usb, POLL_MS);
	}
	if (ack != 0)
		return ub_fail(err, UB_EFAIL, "%s: the burner refused %s: ack %" PRId32 "%s",
			       d->cfg.usb->name, what, ack, ack == -5 ? " (-EIO: out of partition, "
			       "or a read-only one, or the write did not read back)" :
			       ack == -22 ? " (-EINVAL: a bad config, or a CRC mismatch)" :
			       ack == -38 ? " (-ENOSYS: the medium was not set up)" : "");
	return 0;
}

/* A 40-byte command: the request, its payload. */
static int command(struct ingenic *d, uint8_t req, const uint8_t cmd[CMD_LEN], struct ub_err *err)
{
	uint8_t buf[CMD_LEN];

	memcpy(buf, cmd, CMD_LEN);
	return vendor(d, VENDOR_OUT, req, 0, buf, CMD_LEN, COMMAND_MS, err) == UB_USB_OK ? 0 : -1;
}

int ingenic_update_cfg(struct ingenic *d, const uint8_t *cfg, size_t len, struct ub_err *err)
{
	uint8_t cmd[CMD_LEN] = { 0 };

	put_le(cmd, len, 4);
	if (command(d, REQ_UPDATE_CFG, cmd, err) < 0 || bulk_out(d, cfg, len, err) < 0)
		return -1;
	return wait_ack(d, "the configuration", COMMAND_MS, err);
}

int ingenic_flash_id(struct ingenic *d, uint32_t *jedec, struct ub_err *err)
{
	uint8_t id[3];

	if (vendor(d, VENDOR_IN, REQ_GET_FLASH_INFO, 0, id, 3, CONTROL_MS, err) != UB_USB_OK)
		return -1;
	*jedec = (uint32_t)id[2] << 16 | (uint32_t)id[1] << 8 | id[0];
	return 0;
}

int ingenic_init(struct ingenic *d, struct ub_err *err)
{
	/*
	 * The request itself is answered at once (CAP-T20: 6 ms, CAP-T41: the
	 * GET_ACK after it is held instead); the burner then sets the medium up,
	 * a chip erase included, and GET_ACK says when it is done.
	 */
	if (vendor(d, VENDOR_OUT, REQ_INIT, 0, NULL, 0, COMMAND_MS, err) != UB_USB_OK)
		return -1;
	return wait_ack(d, "INIT (setting the flash up)", d->cfg.busy_timeout_ms, err);
}

int ingenic_set_length(struct ingenic *d, uint32_t len, struct ub_err *err)
{
	return out_req(d, REQ_SET_DATA_LENGTH, len, err);
}

/* WRITE and READ (notes §3.2): the 64-bit layout, or the older 32-bit one. */
static void rw_command(const struct ingenic *d, uint32_t ops, uint64_t offset, uint64_t len,
		       uint32_t crc, uint8_t cmd[CMD_LEN])
{
	memset(cmd, 0, CMD_LEN);
	if (d->cfg.layout == 32) {
		put_le(cmd + 8, ops, 4);
		put_le(cmd + 12, offset, 4);
		put_le(cmd + 16, len, 4);
		put_le(cmd + 20, crc, 4);
		return;
	}
	put_le(cmd + 8, offset, 8);
	put_le(cmd + 16, len, 8);
	put_le(cmd + 24, ops, 4);
	put_le(cmd + 28, crc, 4);
}

int ingenic_write(struct ingenic *d, uint32_t ops, uint64_t offset, const uint8_t *data,
		  size_t len, struct ub_err *err)
{
	uint8_t cmd[CMD_LEN];
	char what[64];

	rw_command(d, ops, offset, len, ingenic_crc32(data, len), cmd);
	if (command(d, REQ_WRITE, cmd, err) < 0 || bulk_out(d, data, len, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "the write at 0x%" PRIx64, offset);
	return wait_ack(d, what, d->cfg.busy_timeout_ms, err);
}

static int get_crc(struct ingenic *d, uint64_t offset, uint32_t *crc, struct ub_err *err)
{
	uint8_t buf[8];
	int32_t ack;

	if (vendor(d, VENDOR_IN, REQ_GET_CRC, 0, buf, 8, READ_MS, err) != UB_USB_OK)
		return -1;
	ack = (int32_t)le32(buf);
	if (ack != 0)
		return ub_fail(err, UB_EFAIL, "%s: the burner could not read 0x%" PRIx64 ": ack %" PRId32,
			       d->cfg.usb->name, offset, ack);
	*crc = le32(buf + 4);
	return 0;
}

static int bulk_in_all(struct ingenic *d, uint8_t *buf, size_t len, struct ub_err *err)
{
	size_t at = 0;

	while (at < len) {
		size_t got = 0;

		if (ub_usb_bulk_in(d->cfg.usb, buf + at, len - at, &got, BULK_MS + (int)(len >> 10),
				   err) != UB_USB_OK)
			return -1;
		if (!got)
			return ub_fail(err, UB_EFAIL, "%s: the burner sent %zu of %zu bytes",
				       d->cfg.usb->name, at, len);
		at += got;
	}
	return 0;
}

int ingenic_read(struct ingenic *d, uint32_t ops, uint64_t offset, uint8_t *buf, size_t len,
		 uint32_t *crc, struct ub_err *err)
{
	uint8_t cmd[CMD_LEN];
	uint32_t mine;
	char what[64];

	rw_command(d, ops, offset, len, 0, cmd);
	if (command(d, REQ_READ, cmd, err) < 0 || get_crc(d, offset, crc, err) < 0 ||
	    bulk_in_all(d, buf, len, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "the read at 0x%" PRIx64, offset);
	if (wait_ack(d, what, COMMAND_MS, err) < 0)
		return -1;
	mine = ingenic_crc32(buf, len);
	if (mine != *crc)
		return ub_fail(err, UB_EFAIL, "%s: the data read at 0x%" PRIx64 " has CRC 0x%08" PRIx32
			       ", and the burner said 0x%08" PRIx32 " (damaged on the way)",
			       d->cfg.usb->name, offset, mine, *crc);
	return 0;
}

int ingenic_reboot(struct ingenic *d, struct ub_err *err)
{
	struct ub_err ignored = { 0 };

	(void)err;
	vendor(d, VENDOR_OUT, REQ_REBOOT, 0, NULL, 0, CONTROL_MS, &ignored);
	return 0;
}
