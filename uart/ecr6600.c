/* SPDX-License-Identifier: MIT */
#include "ecr6600.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "xmodem.h"

#define SYNC_READ_MS 50
#define RESET_HINT_TRIES 20
#define HEADER_TRIES 10
#define COMMAND_MS 500
#define BAUD_ACK_MS 2000
#define PROBE_MS 150
#define ERASE_MS_PER_SECTOR 60
#define CHIP_ERASE_MS 60000
#define READ_CHUNK (256u << 10)       /* one 0x92 and its SHA-256 check */
#define STOCK_SESSION (64u << 10)     /* one 0x02 header and its data frames */
#define STOCK_FRAME 4096u             /* data bytes per 0x02 data frame, and per 0x03 read */
#define TRIES 5
#define FRAME_ACK_MS 2000             /* BK's for a data frame */
#define STOPS_MAX 64                  /* unanswered blocks one write survives */
#define SETTLE_READS 4096             /* enough to ACK a 4 MiB read to its end */

struct ecr {
	struct ecr_config cfg;
	struct ecr_info info;
	uint8_t *chunk;                  /* READ_CHUNK bytes: a piece being read or written */
	const uint8_t *stub;             /* the stub uploaded, for a second boot */
	size_t stub_len;
	enum ecr_stub_kind stub_kind;
};

enum { ST_SUCCESS, ST_ERROR, ST_ADDR_ERROR, ST_TYPE_ERROR, ST_LEN_ERROR, ST_CRC_ERROR };

static const char *const status_names[] = {
	"SUCCESS", "ERROR", "ADDR_ERROR", "TYPE_ERROR", "LEN_ERROR", "CRC_ERROR",
};

/* The stub's rates, fastest first (its table, notes §2.5); 115200 is where it starts. */
static const unsigned stub_rates[] = { 2000000, 1500000, 921600, 460800 };

uint8_t ecr_sum8(const uint8_t *buf, size_t len)
{
	unsigned sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += buf[i];
	return (uint8_t)sum;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

size_t ecr_frame(uint8_t type, const uint8_t *data, size_t n, uint8_t *out)
{
	out[0] = 0xA5;
	out[1] = type;
	out[2] = (uint8_t)n;
	out[3] = (uint8_t)(n >> 8);
	if (n)
		memcpy(out + 4, data, n);
	out[4 + n] = ecr_sum8(out, 4 + n);
	return 5 + n;
}

void ecr_ram_header(uint32_t addr, uint32_t len, uint8_t out[12])
{
	le32(out, 1);
	le32(out + 4, addr);
	le32(out + 8, len);
}

enum ecr_stub_kind ecr_stub_kind_of(const uint8_t *stub, size_t len)
{
	return memmem(stub, len, "tdefl_", 6) ? ECR_STUB_CUSTOM : ECR_STUB_STOCK;
}

const char *ecr_stub_kind_name(enum ecr_stub_kind kind)
{
	return kind == ECR_STUB_CUSTOM ? "custom" : kind == ECR_STUB_STOCK ? "stock" : "unknown";
}

struct ecr *ecr_new(const struct ecr_config *cfg, struct ub_err *err)
{
	struct ecr *e = calloc(1, sizeof(*e));

	if (e)
		e->chunk = malloc(READ_CHUNK);
	if (!e || !e->chunk) {
		free(e);
		ub_fail(err, UB_EFAIL, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->info.baud = cfg->port->line.baud;
	return e;
}

void ecr_free(struct ecr *e)
{
	if (!e)
		return;
	free(e->chunk);
	free(e);
}

const struct ecr_info *ecr_info(const struct ecr *e)
{
	return &e->info;
}

static const char *port_name(const struct ecr *e)
{
	return e->cfg.port->name;
}

static int stopped(const struct ecr *e)
{
	return e->cfg.stop && *e->cfg.stop;
}

static int interrupted(const struct ecr *e, struct ub_err *err, const char *during)
{
	return ub_fail(err, UB_EINTR, "interrupted %s on %s", during, port_name(e));
}

/* ---- frames ---- */

static void range_data(uint32_t addr, uint32_t len, uint8_t out[8])
{
	le32(out, addr);
	le32(out + 4, len);
}

static int send_request(struct ecr *e, uint8_t type, const uint8_t *data, size_t n,
			struct ub_err *err)
{
	uint8_t frame[5 + ECR_REQUEST_MAX];

	if (n > ECR_REQUEST_MAX)  /* the stub's 8-byte buffer would overflow (notes §2.3) */
		return ub_fail(err, UB_EFAIL, "internal: a 0x%02x request of %zu bytes", type, n);
	if (ub_port_flush_input(e->cfg.port, err) < 0 ||
	    ub_port_write(e->cfg.port, frame, ecr_frame(type, data, n, frame), err) < 0)
		return -1;
	return ub_port_drain(e->cfg.port, err);
}

/* The rest of an answer that has begun. */
static int read_rest(struct ecr *e, uint8_t *buf, size_t n, int ms, uint8_t type,
		     struct ub_err *err)
{
	struct ub_err quiet = { 0 };
	ssize_t got = ub_port_read_exact(e->cfg.port, buf, n, ms, &quiet);

	if (got > 0)
		return 0;
	if (got < 0)
		return ub_fail(err, quiet.status, "%s", quiet.msg);
	return ub_fail(err, UB_EFAIL, "%s: the answer to 0x%02x stopped half-way", port_name(e),
		       type);
}

/*
 * One answer: 5A TYPE LEN16 DATA STATUS SUM8. A TYPE_ERROR answer is type
 * FF and carries no data whatever its LEN says (the stub's stale header).
 * Returns the status (0 SUCCESS), with the data in buf (*got bytes); -1
 * with err on no answer (status 3) or a damaged one (1).
 */
static int read_answer(struct ecr *e, uint8_t type, uint8_t *buf, size_t cap, size_t *got,
		       int ms, struct ub_err *err)
{
	int64_t deadline = ub_port_clock_ms(e->cfg.port) + ms;
	uint8_t head[4], tail[2];
	size_t len;
	unsigned sum;

	for (;;) {  /* noise before the answer: hunt for 0x5A */
		int left = (int)(deadline - ub_port_clock_ms(e->cfg.port));
		ssize_t n = ub_port_read(e->cfg.port, head, 1, left > 0 ? left : 0, err);

		if (n < 0)
			return -1;
		if (n == 0)
			return ub_fail(err, UB_ENODEV, "%s: no answer to 0x%02x from the stub",
				       port_name(e), type);
		if (head[0] == 0x5A)
			break;
	}
	if (read_rest(e, head + 1, 3, ms, type, err) < 0)
		return -1;
	len = head[1] == 0xFF ? 0 : (size_t)(head[2] | head[3] << 8);
	if (len > cap)
		return ub_fail(err, UB_EFAIL, "%s: an answer of %zu bytes to 0x%02x, more than %zu",
			       port_name(e), len, type, cap);
	if ((len && read_rest(e, buf, len, ms, type, err) < 0) ||
	    read_rest(e, tail, 2, ms, type, err) < 0)
		return -1;
	sum = (unsigned)ecr_sum8(head, 4) + ecr_sum8(buf, len) + tail[0];
	if (head[1] == 0xFF)
		return ST_TYPE_ERROR;
	if ((uint8_t)sum != tail[1] || head[1] != type)
		return ub_fail(err, UB_EFAIL, "%s: a damaged answer to 0x%02x (type 0x%02x, SUM8 "
			       "0x%02x, want 0x%02x)", port_name(e), type, head[1], tail[1],
			       (uint8_t)sum);
	*got = len;
	return tail[0];
}

static const char *status_name(int status)
{
	return status >= 0 && status <= ST_CRC_ERROR ? status_names[status] : "an unknown status";
}

/* A request and its answer; 0 on SUCCESS, else -1 naming the status. */
static int command(struct ecr *e, uint8_t type, const uint8_t *data, size_t n, uint8_t *buf,
		   size_t cap, size_t *got, int ms, struct ub_err *err)
{
	size_t dummy;
	int status;

	if (send_request(e, type, data, n, err) < 0)
		return -1;
	status = read_answer(e, type, buf, cap, got ? got : &dummy, ms, err);
	if (status < 0)
		return -1;
	if (status != ST_SUCCESS)
		return ub_fail(err, status == ST_ADDR_ERROR ? UB_EUSAGE : UB_EFAIL,
			       "%s: the stub answered 0x%02x with %s", port_name(e), type,
			       status_name(status));
	return 0;
}

static int range_command(struct ecr *e, uint8_t type, uint32_t addr, uint32_t len, int ms,
			 struct ub_err *err)
{
	uint8_t d[8];

	range_data(addr, len, d);
	return command(e, type, d, sizeof(d), NULL, 0, NULL, ms, err);
}

/* ---- finding the stub, or the ROM ---- */

/* Anything that is a frame from a stub: its answer to 0x90 (stock: TYPE_ERROR). */
static int stub_answers(struct ecr *e, struct ub_err *err)
{
	uint8_t id[4];
	size_t got = 0;
	struct ub_err quiet = { 0 };
	int status;

	if (send_request(e, ECR_FLASH_ID, NULL, 0, err) < 0)
		return -1;
	status = read_answer(e, ECR_FLASH_ID, id, sizeof(id), &got, PROBE_MS, &quiet);
	if (status == ST_SUCCESS && got == 4) {
		e->info.stub = ECR_STUB_CUSTOM;
		return 1;
	}
	if (status == ST_TYPE_ERROR) {
		e->info.stub = ECR_STUB_STOCK;
		return 1;
	}
	return 0;
}

static int host_baud(struct ecr *e, unsigned baud, struct ub_err *err)
{
	if (ub_port_set_baud(e->cfg.port, baud, err) < 0)
		return -1;
	e->info.baud = baud;
	return 0;
}

int ecr_probe(struct ecr *e, struct ub_err *err)
{
	int rc = stub_answers(e, err);

	for (size_t i = 0; rc == 0 && i < sizeof(stub_rates) / sizeof(stub_rates[0]); i++) {
		struct ub_err quiet = { 0 };

		/* a rate the port cannot take is one no stub can be heard at */
		if (!ub_port_takes_baud(e->cfg.port, stub_rates[i], &quiet))
			continue;
		if (host_baud(e, stub_rates[i], err) < 0)
			return -1;
		rc = stub_answers(e, err);
	}
	if (rc < 0)
		return -1;
	if (rc == 0)
		return host_baud(e, ECR_ROM_BAUD, err) < 0 ? -1 : 0;
	e->info.reused = 1;
	ub_info(e->cfg.log, "a %s stub is running already (at %u baud)",
		ecr_stub_kind_name(e->info.stub), e->info.baud);
	return 1;
}

/* Raw "cnys" until the ROM answers 01 (BK also takes FF; notes §2.1). */
static int sync_rom(struct ecr *e, struct ub_err *err)
{
	static const uint8_t cnys[4] = { 'c', 'n', 'y', 's' };

	if (e->cfg.reset && e->cfg.reset(e->cfg.reset_arg, err) < 0)
		return -1;
	for (int i = 0; i < e->cfg.sync_tries; i++) {
		uint8_t c;
		ssize_t n;

		if (stopped(e))
			return interrupted(e, err, "while waiting for the boot ROM");
		if (i == (e->cfg.reset ? RESET_HINT_TRIES : 0))
			ub_logf(e->cfg.log, UB_LOG_WARN, "reset or power-cycle the chip now (no answer "
				"from its boot ROM on %s yet)", port_name(e));
		if (ub_port_write(e->cfg.port, cnys, sizeof(cnys), err) < 0)
			return -1;
		n = ub_port_read(e->cfg.port, &c, 1, e->cfg.sync_interval_ms, err);
		if (n < 0)
			return -1;
		if (n == 1 && (c == 0x01 || c == 0xFF))
			return ub_port_flush_input(e->cfg.port, err);
	}
	return ub_fail(err, UB_ENODEV, "%s: no answer from the ECR6600 boot ROM to %d syncs; it "
		       "listens only for a moment after power-on: power-cycle the chip while this "
		       "runs, or give --reset, or more --sync-tries", port_name(e),
		       e->cfg.sync_tries);
}

/* The 12-byte header until the ROM says 00; 8 zero bytes between tries, as BK. */
static int send_ram_header(struct ecr *e, size_t len, struct ub_err *err)
{
	static const uint8_t zeros[8];
	uint8_t head[12];

	ecr_ram_header(ECR_STUB_LOAD, (uint32_t)len, head);
	for (int i = 0; i < HEADER_TRIES; i++) {
		uint8_t c;
		ssize_t n;

		if (ub_port_flush_input(e->cfg.port, err) < 0 ||
		    ub_port_write(e->cfg.port, head, sizeof(head), err) < 0)
			return -1;
		n = ub_port_read(e->cfg.port, &c, 1, COMMAND_MS, err);
		if (n < 0)
			return -1;
		if (n == 1 && c == 0x00)
			return 0;
		if (ub_port_write(e->cfg.port, zeros, sizeof(zeros), err) < 0)
			return -1;
	}
	return ub_fail(err, UB_ENODEV, "%s: the boot ROM did not take the RAM-download header "
		       "in %d tries", port_name(e), HEADER_TRIES);
}

int ecr_boot_stub(struct ecr *e, const uint8_t *stub, size_t len, enum ecr_stub_kind kind,
		  struct ub_err *err)
{
	e->stub = stub;
	e->stub_len = len;
	e->stub_kind = kind;
	if (host_baud(e, ECR_ROM_BAUD, err) < 0 || sync_rom(e, err) < 0 ||
	    send_ram_header(e, len, err) < 0)
		return -1;
	ub_info(e->cfg.log, "uploading the %s stub (%zu bytes)", ecr_stub_kind_name(kind), len);
	if (ub_port_write(e->cfg.port, stub, len, err) < 0 || ub_port_drain(e->cfg.port, err) < 0)
		return -1;
	ub_port_sleep_ms(e->cfg.port, 10);
	for (int i = 0; i < TRIES; i++) {
		int rc = stub_answers(e, err);

		if (rc < 0)
			return -1;
		if (rc == 1) {
			if (e->info.stub != kind)
				ub_warn(e->cfg.log, "the stub answers as the %s one",
					ecr_stub_kind_name(e->info.stub));
			return 0;
		}
	}
	return ub_fail(err, UB_ENODEV, "%s: the stub does not answer after its upload",
		       port_name(e));
}

/* ---- flash size ---- */

/* JEDEC capacity: BK takes 0x32-0x3B as 0x12-0x1B; the size is 2^cap (notes §2.5). */
static uint64_t size_of_capacity(uint8_t cap)
{
	if (cap >= 0x32 && cap <= 0x3B)
		cap = (uint8_t)(cap - 0x20);
	return cap >= 0x11 && cap <= 0x1C ? 1ull << cap : 0;
}

static int stock_read(struct ecr *e, uint32_t addr, uint32_t len, uint8_t *buf,
		      struct ub_err *err);

/* The stock stub has no 0x90: an 8-byte read answers ADDR_ERROR past the end (§2.5). */
static int stock_size(struct ecr *e, struct ub_err *err)
{
	uint8_t probe[8];

	for (uint64_t size = 16u << 20; size >= (1u << 20); size >>= 1) {
		if (stock_read(e, (uint32_t)(size - 8), 8, probe, err) == 0) {
			e->info.flash_size = size;
			return 0;
		}
		if (err->status != UB_EUSAGE)
			return -1;
		ub_err_clear(err);
	}
	return ub_fail(err, UB_EFAIL, "%s: the stock stub refuses every address: its flash is "
		       "of no size it knows", port_name(e));
}

int ecr_identify(struct ecr *e, struct ub_err *err)
{
	uint8_t id[4];
	size_t got = 0;

	if (e->info.stub == ECR_STUB_STOCK)
		return stock_size(e, err);
	if (command(e, ECR_FLASH_ID, NULL, 0, id, sizeof(id), &got, COMMAND_MS, err) < 0)
		return -1;
	if (got != 4)
		return ub_fail(err, UB_EFAIL, "%s: a flash id of %zu bytes", port_name(e), got);
	memcpy(e->info.jedec, id, 3);
	e->info.have_jedec = 1;
	e->info.flash_size = size_of_capacity(id[2]);
	if (!e->info.flash_size)
		return ub_fail(err, UB_EFAIL, "%s: flash id %02X %02X %02X has no size this tool "
			       "knows (capacity 0x%02x)", port_name(e), id[0], id[1], id[2], id[2]);
	return 0;
}

/* ---- baud ---- */

/* 0x07: the stub switches, then answers 50 ms later at the new rate (notes §2.5). */
static int switch_baud(struct ecr *e, unsigned baud, struct ub_err *err)
{
	uint8_t d[4];
	int status;
	size_t got;

	le32(d, baud);
	if (send_request(e, ECR_BAUD, d, sizeof(d), err) < 0)
		return -1;
	ub_port_sleep_ms(e->cfg.port, 10);
	if (host_baud(e, baud, err) < 0)
		return -1;
	status = read_answer(e, ECR_BAUD, d, sizeof(d), &got, BAUD_ACK_MS, err);
	if (status < 0)
		return -1;
	return status == ST_SUCCESS ? 0 : ub_fail(err, UB_EFAIL, "%s: the stub answered the "
						  "switch to %u baud with %s", port_name(e), baud,
						  status_name(status));
}

/* A round trip that checks both directions at the new rate. */
static int link_holds(struct ecr *e)
{
	struct ub_err quiet = { 0 };
	uint8_t buf[8];
	size_t got = 0;

	if (e->info.stub == ECR_STUB_STOCK)
		return stock_read(e, 0, sizeof(buf), buf, &quiet) == 0;
	if (command(e, ECR_FLASH_ID, NULL, 0, buf, sizeof(buf), &got, COMMAND_MS, &quiet) < 0)
		return 0;
	return got == 4 && (!e->info.have_jedec || memcmp(buf, e->info.jedec, 3) == 0);
}

int ecr_set_baud(struct ecr *e, unsigned baud, struct ub_err *err)
{
	if (baud == e->info.baud)
		return 0;
	if (switch_baud(e, baud, err) < 0)
		return -1;
	if (!link_holds(e))
		return ub_fail(err, UB_EFAIL, "%s: the link does not hold at %u baud",
			       port_name(e), baud);
	return 0;
}

/* From a rate that does not hold: the switch back goes out at it, so it is sent until heard. */
static int back_to_rom_rate(struct ecr *e, unsigned bad, struct ub_err *err)
{
	for (int i = 0; i < TRIES; i++) {
		struct ub_err quiet = { 0 };

		if (host_baud(e, bad, err) < 0)
			return -1;
		if (switch_baud(e, ECR_ROM_BAUD, &quiet) == 0 && link_holds(e))
			return 0;
	}
	if (host_baud(e, ECR_ROM_BAUD, err) < 0)
		return -1;
	return ub_fail(err, UB_ENODEV, "%s: the stub was lost at %u baud; reset the chip and run "
		       "again with a lower -B", port_name(e), bad);
}

/*
 * A stub lost at a rate the link cannot carry hears nothing more: the chip
 * is reset (--reset, or by the user when asked) and the stub booted again.
 */
static int reboot_stub(struct ecr *e, unsigned bad, struct ub_err *err)
{
	if (!e->stub)
		return ub_fail(err, UB_ENODEV, "%s: the stub was lost at %u baud; reset the chip and "
			       "run again with a lower -B", port_name(e), bad);
	ub_info(e->cfg.log, "the stub was lost at %u baud: booting it again", bad);
	if (ecr_boot_stub(e, e->stub, e->stub_len, e->stub_kind, err) < 0)
		return -1;
	return ecr_identify(e, err);
}

int ecr_best_baud(struct ecr *e, unsigned max, struct ub_err *err)
{
	int told = 0;

	for (size_t i = 0; i < sizeof(stub_rates) / sizeof(stub_rates[0]); i++) {
		unsigned rate = stub_rates[i];
		struct ub_err quiet = { 0 };

		if (rate > max || !ub_port_worth_trying(e->cfg.port, rate, e->cfg.log, &told))
			continue;
		if (ecr_set_baud(e, rate, &quiet) == 0) {
			ub_info(e->cfg.log, "link at %u baud", rate);
			return 0;
		}
		ub_info(e->cfg.log, "the link does not hold at %u baud", rate);
		if (back_to_rom_rate(e, rate, &quiet) < 0 && reboot_stub(e, rate, err) < 0)
			return -1;
	}
	if (max >= ECR_ROM_BAUD && ecr_set_baud(e, ECR_ROM_BAUD, err) < 0)
		return -1;
	ub_info(e->cfg.log, "link at %u baud", e->info.baud);
	return 0;
}

int ecr_restore_baud(struct ecr *e, struct ub_err *err)
{
	if (e->info.baud == ECR_ROM_BAUD)
		return 0;
	return switch_baud(e, ECR_ROM_BAUD, err);
}

/* ---- SHA-256 ---- */

static int local_sha256(const uint8_t *data, size_t len, uint8_t out[32], struct ub_err *err)
{
	unsigned n = 0;

	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) || n != 32)
		return ub_fail(err, UB_EFAIL, "SHA-256 failed (libcrypto)");
	return 0;
}

int ecr_sha256(struct ecr *e, uint32_t addr, uint32_t len, uint8_t out[32], struct ub_err *err)
{
	uint8_t d[8];
	size_t got = 0;
	/* the stub hashes the XIP-mapped flash: ~0.1 ms per KiB, and 30 s is BK's limit */
	int ms = 30000;

	range_data(addr, len, d);
	if (command(e, ECR_SHA256, d, sizeof(d), out, 32, &got, ms, err) < 0)
		return -1;
	return got == 32 ? 0 : ub_fail(err, UB_EFAIL, "%s: a SHA-256 of %zu bytes", port_name(e),
				       got);
}

/* Does the flash at addr hold data? (custom stub) 1 yes, 0 no. */
static int flash_matches(struct ecr *e, uint32_t addr, const uint8_t *data, size_t len,
			 struct ub_err *err)
{
	uint8_t want[32], got[32];

	if (local_sha256(data, len, want, err) < 0 || ecr_sha256(e, addr, (uint32_t)len, got, err) < 0)
		return -1;
	return memcmp(want, got, 32) == 0;
}

/* ---- read ---- */

struct chunk_sink {
	uint8_t *buf;
	size_t at;
};

static int to_chunk(void *arg, const uint8_t *data, size_t len, struct ub_err *err)
{
	struct chunk_sink *c = arg;

	(void)err;
	memcpy(c->buf + c->at, data, len);
	c->at += len;
	return 0;
}

static void xmodem_setup(struct ecr *e, struct xmodem *xm)
{
	xmodem_init(xm, e->cfg.port);
	xm->log = e->cfg.log;
	xm->stop = e->cfg.stop;
	xm->pad = 0xFF;  /* the stub's (notes §2.5) */
	xm->fill_on_timeout = 1;  /* the stub waits for a lost byte, then NAKs the block */
	/* longer than the stub's own 3 s wait for an ACK, so its resend comes first */
	xm->block_timeout_ms = 5000;
}

/* Forget what a failed transfer left on the line: CAN, then wait for quiet. */
/*
 * Bring the stub back to its commands after a transfer failed half-way: a
 * stub still receiving XMODEM leaves on EOT (it ignores CAN), and one still
 * sending is ACKed to its end. ACK and EOT bytes are noise to its command
 * parser, which hunts for 0xA5.
 */
static void settle(struct ecr *e)
{
	static const uint8_t eot = XM_EOT, ack = XM_ACK;
	struct ub_err quiet = { 0 };
	uint8_t junk[1100];

	ub_port_write(e->cfg.port, &eot, 1, &quiet);
	for (int i = 0; i < SETTLE_READS; i++) {
		if (ub_port_read(e->cfg.port, junk, sizeof(junk), 300, &quiet) <= 0)
			break;
		ub_port_write(e->cfg.port, &ack, 1, &quiet);
	}
	ub_port_flush_input(e->cfg.port, &quiet);
}

/* 0x92 and XMODEM, checked by the stub's SHA-256 (notes §2.5). */
static int custom_read_chunk(struct ecr *e, uint32_t addr, size_t len, struct ub_err *err)
{
	struct chunk_sink c = { e->chunk, 0 };
	struct xmodem xm;
	int rc;

	if (range_command(e, ECR_XMODEM_READ, addr, (uint32_t)len, COMMAND_MS, err) < 0)
		return -1;
	xmodem_setup(e, &xm);
	if (xmodem_receive(&xm, len, to_chunk, &c, err) < 0)
		return -1;
	rc = flash_matches(e, addr, e->chunk, len, err);
	if (rc < 0)
		return -1;
	return rc ? 0 : ub_fail(err, UB_EFAIL, "%s: the read at 0x%06" PRIx32 " does not match the "
				"stub's SHA-256", port_name(e), addr);
}

/* 0x03: answers of up to 64 KiB each until len bytes came (notes §2.5). */
static int stock_read(struct ecr *e, uint32_t addr, uint32_t len, uint8_t *buf,
		      struct ub_err *err)
{
	uint8_t d[8];
	uint32_t at = 0;

	range_data(addr, len, d);
	if (send_request(e, ECR_FLASH_UPLOAD, d, sizeof(d), err) < 0)
		return -1;
	while (at < len) {
		size_t got = 0;
		int status = read_answer(e, ECR_FLASH_UPLOAD, buf + at, len - at, &got, 2000, err);

		if (status < 0)
			return -1;
		if (status != ST_SUCCESS)
			return ub_fail(err, status == ST_ADDR_ERROR ? UB_EUSAGE : UB_EFAIL,
				       "%s: the stub answered the read at 0x%06" PRIx32 " with %s",
				       port_name(e), addr, status_name(status));
		at += (uint32_t)got;
		if (got == 0)
			break;
	}
	return at == len ? 0 : ub_fail(err, UB_EFAIL, "%s: %" PRIu32 " of %" PRIu32 " bytes read "
				       "at 0x%06" PRIx32, port_name(e), at, len, addr);
}

/* 4 KiB per 0x03, each asked again up to TRIES times (BK's first flasher: 5). */
static int stock_read_chunk(struct ecr *e, uint32_t addr, size_t len, struct ub_err *err)
{
	for (size_t at = 0; at < len; at += STOCK_FRAME) {
		size_t n = len - at < STOCK_FRAME ? len - at : STOCK_FRAME;

		for (int tries = 1;
		     stock_read(e, addr + (uint32_t)at, (uint32_t)n, e->chunk + at, err) < 0; tries++) {
			if (err->status == UB_EUSAGE || tries == TRIES)
				return -1;
			ub_err_clear(err);
			settle(e);
		}
	}
	return 0;
}

/* One piece into e->chunk, tried again TRIES times. */
static int read_chunk(struct ecr *e, uint32_t addr, size_t len, struct ub_err *err)
{
	for (int tries = 1;; tries++) {
		int rc;

		if (stopped(e))
			return interrupted(e, err, "during the read");
		rc = e->info.stub == ECR_STUB_CUSTOM ? custom_read_chunk(e, addr, len, err) :
		     stock_read_chunk(e, addr, len, err);
		if (rc == 0)
			return 0;
		if (err->status == UB_EINTR || err->status == UB_EUSAGE || tries == TRIES)
			return -1;
		ub_debug(e->cfg.log, "read at 0x%06" PRIx32 " failed (%s), try %d", addr, err->msg,
			 tries);
		ub_err_clear(err);
		settle(e);
	}
}

int ecr_read(struct ecr *e, uint32_t addr, uint64_t len, ecr_sink_fn sink, void *arg,
	     struct ub_err *err)
{
	uint64_t done = 0;

	while (done < len) {
		size_t n = len - done < READ_CHUNK ? (size_t)(len - done) : READ_CHUNK;

		if (read_chunk(e, addr + (uint32_t)done, n, err) < 0 || sink(arg, e->chunk, n, err) < 0)
			return -1;
		done += n;
		if (e->cfg.progress)
			e->cfg.progress(e->cfg.progress_arg, done, len);
	}
	return 0;
}

/* ---- write ---- */

/* The stub erases the range first: the 'C' comes after that (notes §2.5). */
static int erase_wait_ms(uint64_t len)
{
	return 5000 + (int)((len + ECR_SECTOR - 1) / ECR_SECTOR) * ERASE_MS_PER_SECTOR;
}

/*
 * One 0x91 XMODEM transfer of [addr + from, addr + len), the source already
 * at from. It stops at the first block the stub does not answer: that
 * block may be written (its ACK lost) or not (a byte of it lost), and a
 * block sent again would be written at the next offset, as the stub does
 * not compare block numbers (notes §2.5). *next says where the next
 * transfer starts: the sector of that block, which the stub erases again.
 * 1 when all of it went, 0 when it stopped there, -1 on error.
 */
static int custom_transfer(struct ecr *e, uint32_t addr, uint64_t from, uint64_t len,
			   ecr_source_fn source, void *arg, uint64_t *next, struct ub_err *err)
{
	struct xmodem xm;

	xmodem_setup(e, &xm);
	xm.start_timeout_ms = erase_wait_ms(len - from);
	xm.stop_on_timeout = 1;
	if (range_command(e, ECR_XMODEM_WRITE, addr + (uint32_t)from, (uint32_t)(len - from),
			  COMMAND_MS, err) < 0)
		return -1;
	if (xmodem_send(&xm, len - from, source, arg, err) == 0)
		return 1;
	/* the stub ignores CAN: EOT brings it back to its commands */
	settle(e);
	if (!xm.timed_out)
		return -1;
	ub_debug(e->cfg.log, "%s", err->msg);
	ub_err_clear(err);
	*next = (from + xm.acked) / ECR_SECTOR * ECR_SECTOR;
	return 0;
}

/* The source at from: rewound, and from bytes read past. */
static int seek_source(struct ecr *e, ecr_source_fn source,
		       int (*rewind)(void *arg, struct ub_err *err), void *arg, uint64_t from,
		       struct ub_err *err)
{
	if (rewind(arg, err) < 0)
		return -1;
	for (uint64_t at = 0; at < from;) {
		size_t n = from - at < READ_CHUNK ? (size_t)(from - at) : READ_CHUNK;

		if (source(arg, e->chunk, n, err) < 0)
			return -1;
		at += n;
	}
	return 0;
}

/* The source's SHA-256 over len bytes, from its start. */
static int source_sha256(struct ecr *e, ecr_source_fn source,
			 int (*rewind)(void *arg, struct ub_err *err), void *arg, uint64_t len,
			 uint8_t out[32], struct ub_err *err)
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	unsigned n = 0;
	int rc = -1;

	if (!sha || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
		ub_fail(err, UB_EFAIL, "SHA-256 failed (libcrypto)");
		goto out;
	}
	if (rewind(arg, err) < 0)
		goto out;
	for (uint64_t at = 0; at < len;) {
		size_t piece = len - at < READ_CHUNK ? (size_t)(len - at) : READ_CHUNK;

		if (source(arg, e->chunk, piece, err) < 0)
			goto out;
		if (!EVP_DigestUpdate(sha, e->chunk, piece)) {
			ub_fail(err, UB_EFAIL, "SHA-256 failed (libcrypto)");
			goto out;
		}
		at += piece;
	}
	if (!EVP_DigestFinal_ex(sha, out, &n))
		ub_fail(err, UB_EFAIL, "SHA-256 failed (libcrypto)");
	else
		rc = 0;
out:
	EVP_MD_CTX_free(sha);
	return rc;
}

/*
 * The custom stub: 0x91 transfers, each resumed from the sector where the
 * last one stopped, in one go when the line is clean (the stub waits 100
 * ms before each). A block whose checksum failed is written all the same,
 * so the whole range is then checked by SHA-256.
 */
static int custom_write_once(struct ecr *e, uint32_t addr, uint64_t len, ecr_source_fn source,
			     int (*rewind)(void *arg, struct ub_err *err), void *arg,
			     struct ub_err *err)
{
	uint8_t want[32], got[32];
	uint64_t from = 0;
	int stops = 0, rc;

	while ((rc = custom_transfer(e, addr, from, len, source, arg, &from, err)) == 0) {
		if (++stops > STOPS_MAX)
			return ub_fail(err, UB_EFAIL, "%s: the write stopped %d times at unanswered "
				       "blocks; the line loses too much", port_name(e), STOPS_MAX);
		ub_debug(e->cfg.log, "resuming the write at 0x%06" PRIx64, addr + from);
		if (seek_source(e, source, rewind, arg, from, err) < 0)
			return -1;
	}
	if (rc < 0 || source_sha256(e, source, rewind, arg, len, want, err) < 0 ||
	    ecr_sha256(e, addr, (uint32_t)len, got, err) < 0)
		return -1;
	if (memcmp(want, got, 32) != 0)
		return ub_fail(err, UB_EFAIL, "%s: the flash at 0x%06" PRIx32 "-0x%06" PRIx64 " does "
			       "not match after the write (SHA-256)", port_name(e), addr, addr + len);
	return 0;
}

/*
 * No answer to a data frame: a byte of it may be lost and the stub still
 * waiting for it. Pad until it answers (the frame then fails its SUM8),
 * so the session goes on in step; the read-back finds what went wrong.
 */
static int pad_until_answer(struct ecr *e, struct ub_err *err)
{
	uint8_t c = 0xFF;

	for (size_t i = 0; i < STOCK_FRAME + 8; i++) {
		ssize_t n;

		if (ub_port_write(e->cfg.port, &c, 1, err) < 0)
			return -1;
		n = ub_port_read(e->cfg.port, &c, 1, 2, err);
		if (n < 0)
			return -1;
		if (n == 1)
			break;
		c = 0xFF;
	}
	settle(e);
	return 0;
}

/*
 * 0x02 data frames: A5 02 LEN FLAG DATA SUM8, LEN counting FLAG; FLAG 00 is
 * new data. 0 when the stub took it, 1 when it did not say so (the session
 * goes on, to end in step, and is done again), -1 on a port error.
 */
static int stock_data_frame(struct ecr *e, const uint8_t *data, size_t n, struct ub_err *err)
{
	uint8_t head[5] = { 0xA5, ECR_FLASH_DOWNLOAD, (uint8_t)(n + 1), (uint8_t)((n + 1) >> 8),
			    0x00 };
	uint8_t sum = (uint8_t)(ecr_sum8(head, sizeof(head)) + ecr_sum8(data, n));
	uint8_t ack[4];
	struct ub_err quiet = { 0 };
	size_t got;
	int status;

	if (ub_port_write(e->cfg.port, head, sizeof(head), err) < 0 ||
	    ub_port_write(e->cfg.port, data, n, err) < 0 ||
	    ub_port_write(e->cfg.port, &sum, 1, err) < 0)
		return -1;
	status = read_answer(e, ECR_FLASH_DOWNLOAD, ack, sizeof(ack), &got, FRAME_ACK_MS, &quiet);
	if (status == ST_SUCCESS)
		return 0;
	ub_debug(e->cfg.log, "data frame: %s", status < 0 ? quiet.msg : status_name(status));
	if (status < 0 && pad_until_answer(e, err) < 0)
		return -1;
	return 1;
}

/*
 * One 0x02 session: the header (the stub erases what it covers), then the
 * data in frames, each waiting for its ACK (the stub empties its FIFO after
 * each), then read back. A session is always taken to its end, so the stub
 * is back at its commands: a signal waits for it. Nothing is resent with
 * FLAG 01: a frame whose checksum failed is written anyway, so the whole
 * session is done again.
 */
static int stock_session(struct ecr *e, uint32_t addr, const uint8_t *data, size_t len,
			 struct ub_err *err)
{
	uint8_t back[STOCK_FRAME];
	int damaged = 0;

	if (range_command(e, ECR_FLASH_DOWNLOAD, addr, (uint32_t)len, erase_wait_ms(len), err) < 0)
		return -1;
	for (size_t at = 0; at < len; at += STOCK_FRAME) {
		size_t n = len - at < STOCK_FRAME ? len - at : STOCK_FRAME;
		int rc = stock_data_frame(e, data + at, n, err);

		if (rc < 0)
			return -1;
		damaged |= rc;
	}
	if (damaged)
		return ub_fail(err, UB_EFAIL, "%s: the stub did not take every frame of "
			       "0x%06" PRIx32 "-0x%06" PRIx64, port_name(e), addr, addr + (uint64_t)len);
	for (size_t at = 0; at < len; at += STOCK_FRAME) {
		size_t n = len - at < STOCK_FRAME ? len - at : STOCK_FRAME;

		if (stock_read(e, addr + (uint32_t)at, (uint32_t)n, back, err) < 0)
			return -1;
		if (memcmp(back, data + at, n) != 0)
			return ub_fail(err, UB_EFAIL, "%s: the flash at 0x%06" PRIx32 " differs after "
				       "the write", port_name(e), addr + (uint32_t)at);
	}
	return 0;
}

/* The stock stub mirrors a write at 0 into 4 KiB (notes §2.5): a session there is that small. */
static size_t stock_session_len(uint32_t addr, uint64_t left)
{
	size_t max = addr == 0 ? ECR_PARTITION_BACKUP : STOCK_SESSION;

	return left < max ? (size_t)left : max;
}

/* Done again until it holds, or TRIES times; a stop or a refusal ends it. */
static int again(struct ecr *e, int tries, uint32_t addr, uint64_t len, struct ub_err *err)
{
	if (err->status == UB_EINTR || err->status == UB_EUSAGE || tries == TRIES)
		return 0;
	ub_info(e->cfg.log, "writing 0x%06" PRIx32 "-0x%06" PRIx64 " again: %s", addr, addr + len,
		err->msg);
	ub_err_clear(err);
	settle(e);
	return 1;
}

/* Sessions of one sector each, every one tried until it holds (from try first_try on). */
static int stock_small_sessions(struct ecr *e, uint32_t addr, const uint8_t *data, size_t len,
				int first_try, struct ub_err *err)
{
	for (size_t at = 0; at < len; at += ECR_SECTOR) {
		size_t n = len - at < ECR_SECTOR ? len - at : ECR_SECTOR;

		for (int tries = first_try;
		     stock_session(e, addr + (uint32_t)at, data + at, n, err) < 0; tries++)
			if (!again(e, tries, addr + (uint32_t)at, n, err))
				return -1;
	}
	return 0;
}

/*
 * A piece of up to 64 KiB in sessions: whole, and when that fails (a noisy
 * line spoils a long session every time), again in 4 KiB sessions, each
 * tried up to TRIES times.
 */
static int stock_piece(struct ecr *e, uint32_t addr, const uint8_t *data, size_t len,
		       struct ub_err *err)
{
	if (stock_session(e, addr, data, len, err) == 0)
		return 0;
	if (!again(e, 1, addr, len, err))
		return -1;
	return stock_small_sessions(e, addr, data, len, 2, err);
}

static int stock_write(struct ecr *e, uint32_t addr, uint64_t len, ecr_source_fn source,
		       void *arg, struct ub_err *err)
{
	for (uint64_t done = 0; done < len;) {
		uint32_t at = addr + (uint32_t)done;
		size_t n = stock_session_len(at, len - done);

		if (stopped(e))
			return interrupted(e, err, "during the write");
		if (source(arg, e->chunk, n, err) < 0 || stock_piece(e, at, e->chunk, n, err) < 0)
			return -1;
		done += n;
		e->info.written = done;
		if (e->cfg.progress)
			e->cfg.progress(e->cfg.progress_arg, done, len);
	}
	return 0;
}

int ecr_write(struct ecr *e, uint32_t addr, uint64_t len, ecr_source_fn source,
	      int (*rewind)(void *arg, struct ub_err *err), void *arg, struct ub_err *err)
{
	e->info.written = 0;
	if (e->info.stub != ECR_STUB_CUSTOM)
		return stock_write(e, addr, len, source, arg, err);
	for (int tries = 1; custom_write_once(e, addr, len, source, rewind, arg, err) < 0; tries++)
		if (!again(e, tries, addr, len, err) || rewind(arg, err) < 0)
			return -1;
	e->info.written = len;
	return 0;
}

/* The stock stub has no SHA-256: read it and compare (len <= READ_CHUNK). */
static int stock_holds(struct ecr *e, uint32_t addr, const uint8_t *data, size_t len,
		       struct ub_err *err)
{
	if (read_chunk(e, addr, len, err) < 0)
		return -1;
	return memcmp(e->chunk, data, len) == 0;
}

int ecr_holds(struct ecr *e, uint32_t addr, const uint8_t *data, size_t len, struct ub_err *err)
{
	if (e->info.stub == ECR_STUB_CUSTOM)
		return flash_matches(e, addr, data, len, err);
	return stock_holds(e, addr, data, len, err);
}

/* ---- the rest ---- */

int ecr_erase(struct ecr *e, uint32_t addr, uint32_t len, struct ub_err *err)
{
	return range_command(e, ECR_ERASE, addr, len, erase_wait_ms(len), err);
}

int ecr_chip_erase(struct ecr *e, struct ub_err *err)
{
	return command(e, ECR_CHIP_ERASE, NULL, 0, NULL, 0, NULL, CHIP_ERASE_MS, err);
}

int ecr_efuse_read(struct ecr *e, uint8_t out[128], struct ub_err *err)
{
	size_t got = 0;

	if (command(e, ECR_EFUSE_READ, NULL, 0, out, 128, &got, COMMAND_MS, err) < 0)
		return -1;
	return got == 128 ? 0 : ub_fail(err, UB_EFAIL, "%s: an eFuse answer of %zu bytes",
					port_name(e), got);
}

/* The stub answers, then goes back to 115200 and boots the flash (notes §2.5). */
int ecr_run(struct ecr *e, struct ub_err *err)
{
	if (command(e, ECR_RUN, NULL, 0, NULL, 0, NULL, COMMAND_MS, err) < 0)
		return -1;
	e->info.stub = ECR_STUB_UNKNOWN;
	ub_port_sleep_ms(e->cfg.port, 20);
	return host_baud(e, ECR_ROM_BAUD, err);
}
