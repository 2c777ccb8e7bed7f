/* SPDX-License-Identifier: MIT */
/* NationalChip GX boot ROM and RAM loader protocol; see gx.h. */
#include "gx.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define LOADER_HEADER 0x20u
#define STAGE2_CHUNK 2048u
#define DOWN_CHUNK 1024u
#define PROMPT "boot>"
#define STA "~sta~"
#define CRC "~crc~"
#define FIN "~fin~"

/* Timeouts (ms) from the notes §1.3: the open tools' values, vendor's where longer. */
#define RUNGET_MS 10000
#define RUNGET_SILENCE_MS 1000
#define BANNER_MS 15000
#define PROBE_MS 300
#define PROMPT_QUIET_MS 50
#define ECHO_MS 5000
#define STA_MS 10000
#define GAP_MS 3000
#define DOWN_DONE_MS 120000

/*
 * Silence that starts a new burst. Right after connecting a box that is
 * still streaming (a dump that an earlier run left, 64 KiB take 5.7 s at
 * 115200) sends at once, so FIRST_QUIET_MS tells a box that was quiet;
 * after bytes came, QUIET_MS. The ROM's handshake counts only in a burst
 * that began after such silence: dump data holds "00 ?? ?? 58" windows.
 */
#define FIRST_QUIET_MS 50
#define QUIET_MS 250
/*
 * A burst that was already coming when gx_connect began (the box powered on
 * with the port) cannot show the silence before it. If it is no longer than
 * this and ends in a handshake, FIRST_QUIET_MS of silence after it shows the
 * ROM waiting, as that much before it would: a loader's transfer that was
 * still running is thousands of bytes without such a pause. A longer one
 * needs QUIET_MS.
 */
#define ROM_BURST_MAX 64
/* A busy line: say so after BUSY_NOTE_MS; give up after the ROM's timeout. */
#define BUSY_NOTE_MS 1000
/* A loader that keeps sending after its prompt. */
#define SETTLE_MAX_MS 3000

struct gx {
	struct gx_config cfg;
	struct gx_info info;
	int no_crc;                 /* legacy loader: no ~crc~ exchanges */
	int in_transfer;            /* a quiet line after a ROM burst means a reset */
	enum { UNCOMMITTED, WRITING, WRITTEN } committed;  /* by a write's data and XOR-sum */
	int told_finishing;         /* the stop during it was logged */
	uint8_t tail[4];            /* the last bytes received */
	/* The line since gx_connect began: bursts and what came. */
	int64_t silent_ms;          /* silence seen since the last byte */
	int heard;                  /* any byte at all */
	int fresh;                  /* the current burst began after silence */
	uint64_t text_bytes;        /* printable ones */
	uint64_t odd_bytes;         /* the rest: garbage, as at another baud */
	uint8_t buf[4096];
	size_t head, len;
};

static const uint8_t xor_key[4] = { 0x12, 0x34, 0x56, 0x78 };

/* ---- loader files ---- */

size_t gx_stage1_size(uint16_t chip)
{
	switch (chip) {
	case 0x6616: case 0x3211: case 0x6701: case 0x6705:
		return 0x2000;
	case 0x6612:
		return 0x4000;
	default:
		return 0x1000;
	}
}

size_t gx_stage1_payload(uint16_t chip)
{
	size_t t = gx_stage1_size(chip);

	/* 0x6612 sends file[0x20..0x4000): the header is not made up for. */
	return t == 0x4000 ? 0x3FE0 : t - 4;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int read_whole(const char *path, struct gx_loader *ld, struct ub_err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	long size;

	if (!f)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot open loader %s", path);
	if (fstat(fileno(f), &st) < 0)
		st.st_mode = 0;
	if (S_ISDIR(st.st_mode)) {
		fclose(f);
		return ub_fail(err, UB_EUSAGE, "loader %s is a directory: give the .boot file "
			       "in it", path);
	}
	if (!S_ISREG(st.st_mode) || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return ub_fail(err, UB_EUSAGE, "loader %s is not a regular file", path);
	}
	ld->data = malloc(size ? (size_t)size : 1);
	ld->len = (size_t)size;
	if (!ld->data || fread(ld->data, 1, ld->len, f) != ld->len) {
		fclose(f);
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot read loader %s", path);
	}
	fclose(f);
	return 0;
}

int gx_loader_load(const char *path, struct gx_loader *ld, struct ub_err *err)
{
	size_t need;

	memset(ld, 0, sizeof(*ld));
	snprintf(ld->path, sizeof(ld->path), "%s", path);
	if (read_whole(path, ld, err) < 0)
		return -1;
	if (ld->len >= 4 && !memcmp(ld->data, "toob", 4) && ld->len >= LOADER_HEADER) {
		ld->chip = (uint16_t)(ld->data[6] | ld->data[7] << 8);
		ld->baud = le32(ld->data + 8);
		ld->stage1_len = gx_stage1_size(ld->chip);
		ld->payload = gx_stage1_payload(ld->chip);
		need = LOADER_HEADER + ld->payload;
	} else if (ld->len >= 4 && ld->data[0] == 0x11 && ld->data[1] == 0x32) {
		/* Legacy header "11 32 01 00" (chip 0x3211), notes §1.2. */
		ld->legacy = 1;
		ld->chip = 0x3211;
		ld->stage1_len = gx_stage1_size(ld->chip);
		ld->payload = gx_stage1_payload(ld->chip);
		need = 4 + ld->payload;
	} else {
		return ub_fail(err, UB_EUSAGE, "%s is not a GX loader: no \"toob\" magic "
			       "(is it a flash image? loaders are the *.boot files)", path);
	}
	if (ld->len < need)
		return ub_fail(err, UB_EUSAGE, "loader %s is %zu bytes, shorter than its stage 1 "
			       "(%zu bytes for chip 0x%04x); the file is truncated",
			       path, ld->len, need, ld->chip);
	return 0;
}

void gx_loader_free(struct gx_loader *ld)
{
	free(ld->data);
	ld->data = NULL;
}

/* ---- checksums ---- */

uint32_t gx_sum32(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

uint32_t gx_xorsum(uint32_t sum, uint64_t offset, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sum += xor_key[(offset + i) % 4] ^ p[i];
	return sum;
}

/*
 * Byte i of the stage 2 image: "toob", the code from 0x20, then zeros up to
 * the file's length (notes §1.2). A legacy loader is sent as it is.
 */
static uint8_t stage2_byte(const struct gx_loader *ld, size_t i)
{
	if (ld->legacy)
		return ld->data[i];
	if (i < 4)
		return (uint8_t)"toob"[i];
	if (i - 4 + LOADER_HEADER < ld->len)
		return ld->data[i - 4 + LOADER_HEADER];
	return 0;
}

size_t gx_stage2_image(const struct gx_loader *ld, size_t i, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (n < cap && i + n < ld->len) {
		out[n] = stage2_byte(ld, i + n);
		n++;
	}
	return n;
}

static uint32_t stage2_sum(const struct gx_loader *ld)
{
	uint8_t buf[STAGE2_CHUNK];
	uint32_t sum = 0;
	size_t n;

	for (size_t i = 0; (n = gx_stage2_image(ld, i, buf, sizeof(buf))) > 0; i += n)
		sum += gx_sum32(buf, n);
	return sum;
}

/* ---- the engine ---- */

struct gx *gx_new(const struct gx_config *cfg, struct ub_err *err)
{
	struct gx *gx;

	gx = cfg->port ? calloc(1, sizeof(*gx)) : NULL;
	if (!gx) {
		ub_fail(err, UB_EFAIL, "%s",
			cfg->port ? "out of memory" : "no port for the GX engine");
		return NULL;
	}
	gx->cfg = *cfg;
	gx->no_crc = cfg->loader && cfg->loader->legacy;
	memset(gx->tail, 0xFF, sizeof(gx->tail));
	return gx;
}

void gx_free(struct gx *gx)
{
	free(gx);
}

const struct gx_info *gx_info(const struct gx *gx)
{
	return &gx->info;
}

int gx_has_crc(const struct gx *gx)
{
	return !gx->no_crc;
}

static void report(const struct gx *gx, enum gx_phase phase, uint64_t done, uint64_t total)
{
	if (gx->cfg.progress.update)
		gx->cfg.progress.update(gx->cfg.progress.arg, phase, done, total);
}

/* ---- the byte stream ---- */

static int is_handshake(const uint8_t *last4);

/* Bytes in a reply that end in the ROM's burst, then quiet: the box reset. */
#define ROM_WAITING (-3)

static int64_t now_ms(const struct gx *gx)
{
	return ub_port_clock_ms(gx->cfg.port);
}

static const char *port_name(const struct gx *gx)
{
	return gx->cfg.port->name;
}

static void keep_tail(struct gx *gx, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memmove(gx->tail, gx->tail + 1, 3);
		gx->tail[3] = p[i];
	}
}

/*
 * A stop signal ends the wait at hand, except while the loader writes what
 * it was sent: that finishes, so that the caller can say what was written
 * (a second signal kills the program, as common/signals.c does).
 */
static int stop_asked(const struct gx *gx)
{
	return gx->cfg.stop && *gx->cfg.stop;
}

static int interrupted(struct gx *gx, struct ub_err *err)
{
	if (!stop_asked(gx))
		return 0;
	if (gx->committed == UNCOMMITTED)
		return ub_fail(err, UB_EINTR, "interrupted");
	if (gx->committed == WRITING && !gx->told_finishing)
		ub_warn(gx->cfg.log, "stopping once the loader has written what it was sent "
			"(up to %d s; a second signal stops at once, and leaves that range part "
			"written)", DOWN_DONE_MS / 1000);
	gx->told_finishing |= gx->committed == WRITING;
	return 0;
}

static int remaining(const struct gx *gx, int64_t deadline)
{
	int64_t left = deadline - now_ms(gx);

	return left < 0 ? 0 : left > QUIET_MS ? QUIET_MS : (int)left;
}

/* Forget what the line did: gx_connect starts watching it afresh. */
static void line_reset(struct gx *gx)
{
	gx->silent_ms = 0;
	gx->heard = gx->fresh = 0;
	gx->text_bytes = gx->odd_bytes = 0;
	memset(gx->tail, 0xFF, sizeof(gx->tail));
}

/* A read that waited waited_ms brought n bytes: is a new burst starting? */
static void note_burst(struct gx *gx, int64_t waited_ms, const uint8_t *p, ssize_t n)
{
	gx->silent_ms += waited_ms;
	if (n <= 0)
		return;
	if (gx->silent_ms >= (gx->heard ? QUIET_MS : FIRST_QUIET_MS))
		gx->fresh = 1;
	gx->heard = 1;
	gx->silent_ms = 0;
	for (ssize_t i = 0; i < n; i++) {
		if (isprint(p[i]) || isspace(p[i]) || p[i] == 0x1B)
			gx->text_bytes++;
		else
			gx->odd_bytes++;
	}
}

/* Refill the buffer: bytes read, 0 on timeout, ROM_WAITING, -1 on error. */
static ssize_t fill(struct gx *gx, int timeout_ms, struct ub_err *err)
{
	int64_t start;
	ssize_t n;

	if (gx->head == gx->len)
		gx->head = gx->len = 0;
	if (gx->len == sizeof(gx->buf)) {
		memmove(gx->buf, gx->buf + gx->head, gx->len - gx->head);
		gx->len -= gx->head;
		gx->head = 0;
	}
	if (interrupted(gx, err))
		return -1;
	start = now_ms(gx);
	n = ub_port_read(gx->cfg.port, gx->buf + gx->len, sizeof(gx->buf) - gx->len,
			 timeout_ms, err);
	if (n < 0)
		return -1;
	note_burst(gx, now_ms(gx) - start, gx->buf + gx->len, n);
	if (n > 0) {
		ub_spew(gx->cfg.log, "got %zd bytes", n);
		keep_tail(gx, gx->buf + gx->len, (size_t)n);
		gx->len += (size_t)n;
	}
	if (n == 0 && gx->in_transfer && is_handshake(gx->tail))
		return ROM_WAITING;
	return n;
}

/*
 * Next byte, -2 when none came before deadline, ROM_WAITING, -1 on error.
 * The deadline holds while bytes keep coming, too: a flood ends a wait.
 */
static int next_byte(struct gx *gx, int64_t deadline, struct ub_err *err)
{
	while (gx->head == gx->len) {
		ssize_t n;

		if (now_ms(gx) >= deadline)
			return -2;
		n = fill(gx, remaining(gx, deadline), err);
		if (n < 0)
			return (int)n;
	}
	return gx->buf[gx->head++];
}

ssize_t gx_read_some(struct gx *gx, uint8_t *buf, size_t cap, int timeout_ms,
		     struct ub_err *err)
{
	size_t n;

	if (gx->head == gx->len)
		return ub_port_read(gx->cfg.port, buf, cap, timeout_ms, err);
	n = gx->len - gx->head < cap ? gx->len - gx->head : cap;
	memcpy(buf, gx->buf + gx->head, n);
	gx->head += n;
	return (ssize_t)n;
}

static void discard_input(struct gx *gx)
{
	struct ub_err ignored = { 0 };

	gx->head = gx->len = 0;
	ub_port_flush_input(gx->cfg.port, &ignored);
}

/* Fold a loader's output into one line for a message. */
static const char *one_line(char *t)
{
	char *out = t;

	for (char *p = t; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	while (*out == ' ')
		out++;
	for (size_t n = strlen(out); n && out[n - 1] == ' '; n--)
		out[n - 1] = 0;
	return out;
}

/* Text seen while waiting, kept for error messages. */
struct seen {
	char text[512];
	size_t len;
};

static void seen_add(struct seen *s, int c)
{
	if (!s)
		return;
	if (s->len + 1 >= sizeof(s->text)) {
		memmove(s->text, s->text + 256, s->len - 256);
		s->len -= 256;
	}
	s->text[s->len++] = (char)c;
	s->text[s->len] = 0;
}

/*
 * Wait for one of tokens; returns its index, -2 on timeout, -1 on error.
 * The bytes before it go to seen.
 */
static int wait_any(struct gx *gx, const char *const *tokens, int ntokens, int timeout_ms,
		    struct seen *seen, struct ub_err *err)
{
	int64_t deadline = now_ms(gx) + timeout_ms;
	char window[256] = { 0 };

	for (;;) {
		int c = next_byte(gx, deadline, err);

		if (c < 0)
			return c;
		memmove(window, window + 1, sizeof(window) - 1);
		window[sizeof(window) - 1] = (char)c;
		seen_add(seen, c);
		for (int i = 0; i < ntokens; i++) {
			size_t tl = strlen(tokens[i]);

			if (tl <= sizeof(window) && !memcmp(window + sizeof(window) - tl, tokens[i], tl))
				return i;
		}
	}
}

static int wait_for(struct gx *gx, const char *token, int timeout_ms, struct seen *seen,
		    struct ub_err *err)
{
	return wait_any(gx, &token, 1, timeout_ms, seen, err);
}

/* Exactly len bytes; -2 when the stream stops for GAP_MS, or ROM_WAITING. */
static int read_exact(struct gx *gx, uint8_t *dst, size_t len, struct ub_err *err)
{
	size_t got = 0;
	int64_t quiet_since = now_ms(gx);

	while (got < len) {
		size_t n = gx->len - gx->head;

		if (n == 0) {
			ssize_t r = fill(gx, QUIET_MS, err);

			if (r < 0)
				return (int)r;
			if (r > 0)
				quiet_since = now_ms(gx);
			else if (now_ms(gx) - quiet_since >= GAP_MS)
				return -2;
			continue;
		}
		if (n > len - got)
			n = len - got;
		memcpy(dst + got, gx->buf + gx->head, n);
		gx->head += n;
		got += n;
	}
	return 0;
}

static int send(struct gx *gx, const void *data, size_t len, struct ub_err *err)
{
	return ub_port_write(gx->cfg.port, data, len, err);
}

/* Wait on the port's clock, then stop on ^C. */
static int pause_ms(struct gx *gx, int ms, struct ub_err *err)
{
	ub_port_sleep_ms(gx->cfg.port, ms);
	return interrupted(gx, err);
}

/* After a prompt: discard what follows until the line is quiet, so later bytes belong to us. */
static int settle(struct gx *gx, struct ub_err *err)
{
	int64_t limit = now_ms(gx) + SETTLE_MAX_MS;
	uint64_t flood = 0;

	for (;;) {
		ssize_t n;

		gx->head = gx->len = 0;
		n = fill(gx, PROMPT_QUIET_MS, err);
		if (n == -1)
			return -1;
		if (n <= 0)
			break;
		flood += (uint64_t)n;
		if (now_ms(gx) >= limit)
			return ub_fail(err, UB_EFAIL, "%s keeps sending after the loader's boot> "
				       "prompt (%" PRIu64 " bytes in %d s without a pause): check the "
				       "wiring and power-cycle the box", port_name(gx), flood,
				       SETTLE_MAX_MS / 1000);
	}
	gx->head = gx->len = 0;
	return 0;
}

/* ---- boot ---- */

/*
 * The ROM's burst ends in 'X' (0x58); the byte 2 or 3 before it is 00, B0
 * or B8 (gxdl-c's rule, notes §1.1), which boot-log text rarely matches.
 */
static int is_handshake(const uint8_t *last4)
{
	static const uint8_t lead[] = { 0x00, 0xB0, 0xB8 };

	if (last4[3] != 0x58)
		return 0;
	for (size_t i = 0; i < sizeof(lead); i++)
		if (last4[0] == lead[i] || last4[1] == lead[i])
			return 1;
	return 0;
}

enum { SAW_BUSY = -4, SAW_NOTHING = -2, SAW_HANDSHAKE = 0, SAW_PROMPT = 1 };

/* The silence after a handshake (in a burst not known to follow silence) that proves it. */
static int rom_quiet_ms(const struct gx *gx)
{
	uint64_t heard = gx->text_bytes + gx->odd_bytes;

	/* Not fresh: every byte heard since gx_connect began is this one burst. */
	return !gx->fresh && heard <= ROM_BURST_MAX ? FIRST_QUIET_MS : QUIET_MS;
}

/*
 * Watch for the ROM's handshake or (want_prompt) the loader's prompt, until
 * deadline (SAW_NOTHING). With quiet_ms, quiet_ms of silence ends it too
 * (SAW_NOTHING), and bytes that keep coming until the deadline are SAW_BUSY.
 * A handshake counts at once in a burst that began after silence; in other
 * bytes only when silence follows it (rom_quiet_ms), as the ROM waits for
 * stage 1 there, where the data of a transfer would go on.
 */
static int watch(struct gx *gx, int want_prompt, int quiet_ms, int64_t deadline,
		 struct ub_err *err)
{
	uint8_t last[4] = { 0xFF, 0xFF, 0xFF, 0xFF };
	size_t prompt_at = 0;
	uint64_t seen = 0;

	for (;;) {
		int64_t now = now_ms(gx);
		int maybe_rom = seen >= 3 && is_handshake(last);
		int wait = maybe_rom ? rom_quiet_ms(gx) : quiet_ms;
		int64_t until = wait && now + wait < deadline ? now + wait : deadline;
		int c = next_byte(gx, until, err);

		if (c == -2 && maybe_rom && until < deadline)
			return SAW_HANDSHAKE;
		if (c == -2)
			return quiet_ms && seen && until == deadline ? SAW_BUSY : SAW_NOTHING;
		if (c < 0)
			return -1;
		memmove(last, last + 1, 3);
		last[3] = (uint8_t)c;
		if (++seen >= 3 && gx->fresh && is_handshake(last))
			return SAW_HANDSHAKE;
		prompt_at = (uint8_t)c == (uint8_t)PROMPT[prompt_at] ? prompt_at + 1 :
			    (uint8_t)c == (uint8_t)PROMPT[0];
		if (want_prompt && prompt_at == strlen(PROMPT))
			return SAW_PROMPT;
	}
}

static int busy_line(struct gx *gx, struct ub_err *err)
{
	return ub_fail(err, UB_EFAIL, "%s kept sending for %d s without a pause and without a "
		       "boot> prompt: a loader may still be sending a transfer that an earlier "
		       "run asked for; wait for it to end, or power-cycle the box",
		       port_name(gx), gx->cfg.handshake_ms / 1000);
}

/*
 * The probe's "\n" has been sent: the loader's prompt, a ROM burst after
 * silence, or PROBE_MS of quiet (SAW_NOTHING). A busy line is drained until
 * it goes quiet, then probed again: a transfer that was still running ends
 * at the loader's prompt (issue 8 item 3).
 */
static int look_for_loader(struct gx *gx, struct ub_err *err)
{
	int saw = watch(gx, 1, PROBE_MS, now_ms(gx) + BUSY_NOTE_MS, err);

	if (saw == SAW_BUSY) {
		ub_info(gx->cfg.log, "%s is busy (a loader still sending for an earlier run?); "
			"waiting for it to go quiet", port_name(gx));
		saw = watch(gx, 1, PROBE_MS, now_ms(gx) + gx->cfg.handshake_ms, err);
	}
	if (saw == SAW_NOTHING && gx->heard) {
		ub_debug(gx->cfg.log, "the line went quiet; probing for a prompt again");
		if (send(gx, "\n", 1, err) < 0)
			return -1;
		saw = watch(gx, 1, PROBE_MS, now_ms(gx) + gx->cfg.handshake_ms, err);
	}
	return saw == SAW_BUSY ? busy_line(gx, err) : saw;
}

static int send_stage1(struct gx *gx, const struct gx_loader *ld, struct ub_err *err)
{
	size_t payload = ld->payload;
	size_t from = ld->legacy ? 4 : LOADER_HEADER;
	uint8_t head[5] = { 0x59 };

	put_le32(head + 1, (uint32_t)(ld->stage1_len / 4));
	if (send(gx, head, sizeof(head), err) < 0 ||
	    send(gx, ld->data + from, payload, err) < 0)
		return -1;
	if (ld->legacy) {
		uint8_t sumsize[8];

		put_le32(sumsize, stage2_sum(ld));
		put_le32(sumsize + 4, (uint32_t)ld->len);
		if (send(gx, sumsize, sizeof(sumsize), err) < 0)
			return -1;
	}
	return send(gx, "boot", 4, err) < 0 ? -1 : ub_port_drain(gx->cfg.port, err);
}

/*
 * RUNGET, tolerantly (notes §1.3): its letters in order, any case, at most
 * 40 bytes apart; or "GET" alone (the vendor's test); or RUN then a second
 * of silence.
 */
static int wait_runget(struct gx *gx, struct ub_err *err)
{
	static const char word[] = "RUNGET";
	int64_t deadline = now_ms(gx) + RUNGET_MS;
	size_t at = 0, gap = 0;
	char last3[3] = { 0 };

	for (;;) {
		int64_t wait_until = at >= 3 ? now_ms(gx) + RUNGET_SILENCE_MS : deadline;
		int c = next_byte(gx, wait_until < deadline ? wait_until : deadline, err);

		if (c == -1)
			return -1;
		if (c == -2)
			return at >= 3 ? 0 : -2;
		memmove(last3, last3 + 1, 2);
		last3[2] = (char)toupper(c);
		if (!memcmp(last3, "GET", 3))
			return 0;
		if (toupper(c) == word[at]) {
			gap = 0;
			if (++at == strlen(word))
				return 0;
		} else if (at && ++gap > 40) {
			at = toupper(c) == word[0];
			gap = 0;
		}
	}
}

static int send_stage2(struct gx *gx, const struct gx_loader *ld, struct ub_err *err)
{
	uint8_t buf[STAGE2_CHUNK];
	size_t n;

	if (!ld->legacy) {
		uint8_t sum[4], size[4];

		put_le32(sum, stage2_sum(ld));
		put_le32(size, (uint32_t)ld->len);
		/* Two 4-byte writes, as the open tools do (notes §1.3 step 5). */
		if (send(gx, sum, 4, err) < 0 || send(gx, size, 4, err) < 0)
			return -1;
	}
	report(gx, GX_PHASE_LOADER, 0, ld->len);
	for (size_t i = 0; (n = gx_stage2_image(ld, i, buf, sizeof(buf))) > 0; i += n) {
		if (interrupted(gx, err) || send(gx, buf, n, err) < 0)
			return -1;
		report(gx, GX_PHASE_LOADER, i + n, ld->len);
	}
	return ub_port_drain(gx->cfg.port, err);
}

/* What a (possibly partial, after a reboot) banner says replaces what we knew. */
static void keep_banner(struct gx_info *info, const char *text)
{
	struct gx_info fresh = { .nparts = 0 };

	gx_parse_banner(text, &fresh);
	if (fresh.nparts) {
		info->nparts = fresh.nparts;
		memcpy(info->parts, fresh.parts, sizeof(fresh.parts));
	}
	if (fresh.flash_model[0])
		memcpy(info->flash_model, fresh.flash_model, sizeof(info->flash_model));
	if (fresh.flash_size)
		info->flash_size = fresh.flash_size;
	if (fresh.chip_model[0])
		memcpy(info->chip_model, fresh.chip_model, sizeof(info->chip_model));
	if (fresh.board[0])
		memcpy(info->board, fresh.board, sizeof(info->board));
	if (fresh.sdk[0])
		memcpy(info->sdk, fresh.sdk, sizeof(info->sdk));
	info->have_banner = 1;
}

static int wait_banner(struct gx *gx, struct ub_err *err)
{
	size_t cap = 8192, len = 0;
	char *text = malloc(cap);
	int64_t deadline = now_ms(gx) + BANNER_MS;

	if (!text)
		return ub_fail(err, UB_EFAIL, "out of memory");
	for (;;) {
		int c = next_byte(gx, deadline, err);

		if (c < 0) {
			free(text);
			if (c == -1)
				return -1;
			return ub_fail(err, UB_ENODEV, "the loader did not print its boot> prompt "
				       "within %d s after stage 2 on %s; power-cycle the box and retry "
				       "(wrong loader for this board?)", BANNER_MS / 1000,
				       port_name(gx));
		}
		if (len + 1 < cap)
			text[len++] = (char)c;
		text[len] = 0;
		if (len >= strlen(PROMPT) && !memcmp(text + len - strlen(PROMPT), PROMPT,
						     strlen(PROMPT)))
			break;
	}
	keep_banner(&gx->info, text);
	free(text);
	return settle(gx, err);
}

static unsigned rom_baud(const struct gx *gx);

static int boot_loader(struct gx *gx, struct ub_err *err)
{
	const struct gx_loader *ld = gx->cfg.loader;
	int rc;

	ub_info(gx->cfg.log, "boot ROM answered; sending stage 1 of %s (chip 0x%04x, %zu bytes)",
		ld->path, ld->chip, ld->payload);
	if (send_stage1(gx, ld, err) < 0)
		return -1;
	/* The loader talks at 115200 whatever the ROM stage used (notes §1.1). */
	gx->head = gx->len = 0;
	if (ub_port_set_baud(gx->cfg.port, GX_LOADER_BAUD, err) < 0)
		return -1;
	rc = wait_runget(gx, err);
	if (rc == -2)
		return ub_fail(err, UB_ENODEV, "the boot ROM did not answer RUNGET after stage 1 "
			       "(sent at %u baud; if the ROM runs at another rate, give it with -B): "
			       "is %s (chip 0x%04x) the loader for this box? power-cycle it and retry",
			       rom_baud(gx), ld->path, ld->chip);
	if (rc < 0 || pause_ms(gx, 50, err) < 0)
		return -1;
	ub_info(gx->cfg.log, "sending stage 2 (%zu bytes)", ld->len);
	if (send_stage2(gx, ld, err) < 0 || wait_banner(gx, err) < 0)
		return -1;
	return 0;
}

static unsigned rom_baud(const struct gx *gx)
{
	if (gx->cfg.rom_baud)
		return gx->cfg.rom_baud;
	return gx->cfg.loader && gx->cfg.loader->baud ? gx->cfg.loader->baud : GX_LOADER_BAUD;
}

/* No handshake: say what came instead, which tells a baud mismatch from a dead line. */
static int no_handshake(struct gx *gx, unsigned baud, struct ub_err *err)
{
	int secs = gx->cfg.handshake_ms / 1000;

	if (gx->odd_bytes)
		return ub_fail(err, UB_ENODEV, "no handshake from the boot ROM on %s within %d s, "
			       "but %" PRIu64 " bytes that are neither text nor a handshake at %u "
			       "baud: does the box's ROM run at another rate? give it with -B; "
			       "then power-cycle the box while gx-upload waits", port_name(gx),
			       secs, gx->odd_bytes, baud);
	if (gx->text_bytes)
		return ub_fail(err, UB_ENODEV, "no handshake from the boot ROM on %s within %d s, "
			       "only text (the box's firmware booting?): power-cycle the box while "
			       "gx-upload waits", port_name(gx), secs);
	return ub_fail(err, UB_ENODEV, "no handshake from the boot ROM on %s within %d s: "
		       "power-cycle the box while gx-upload waits, and check RX/TX wiring "
		       "and levels", port_name(gx), secs);
}

int gx_connect(struct gx *gx, struct ub_err *err)
{
	unsigned baud = rom_baud(gx);
	struct ub_err why = { 0 };
	int saw;

	/* The ROM stage and the loader both, before anything is sent. */
	if (gx->cfg.loader && !ub_port_takes_baud(gx->cfg.port, baud, &why))
		return ub_fail(err, why.status, "the boot ROM stage needs %u baud: %s", baud,
			       why.msg);

	gx->no_crc = gx->cfg.loader && gx->cfg.loader->legacy;
	gx->in_transfer = 0;
	/* A loader left running from an earlier run answers a bare newline. */
	discard_input(gx);
	line_reset(gx);
	if (ub_port_set_baud(gx->cfg.port, GX_LOADER_BAUD, err) < 0 || send(gx, "\n", 1, err) < 0)
		return -1;
	saw = look_for_loader(gx, err);
	if (saw == SAW_PROMPT) {
		ub_debug(gx->cfg.log, "the loader's boot> prompt is already there");
		return settle(gx, err) < 0 ? -1 : 1;
	}
	if (saw == -1)
		return -1;
	if (!gx->cfg.loader)
		return ub_fail(err, UB_EUSAGE, "no boot> prompt on %s and no loader to boot: "
			       "give -L FILE.boot or --chip NAME", port_name(gx));
	if (saw == SAW_NOTHING) {
		if (ub_port_set_baud(gx->cfg.port, baud, err) < 0)
			return -1;
		if (gx->cfg.power_on && gx->cfg.power_on(gx->cfg.power_arg, err) < 0)
			return -1;
		ub_info(gx->cfg.log, "waiting for the boot ROM on %s at %u baud: power on (or "
			"reset) the box now", port_name(gx), baud);
		saw = watch(gx, 0, 0, now_ms(gx) + gx->cfg.handshake_ms, err);
	}
	if (saw == SAW_NOTHING)
		return no_handshake(gx, baud, err);
	if (saw < 0)
		return -1;
	/* Seen at 115200 during the probe: the ROM stage may need another rate. */
	if (ub_port_set_baud(gx->cfg.port, baud, err) < 0)
		return -1;
	gx->head = gx->len = 0;
	return boot_loader(gx, err);
}

/* ---- the banner ---- */

static uint64_t size_with_unit(const char *num, const char *unit)
{
	uint64_t v = strtoull(num, NULL, 10);

	if (!strncmp(unit, "KB", 2))
		return v * 1024;
	if (!strncmp(unit, "MB", 2))
		return v * 1024 * 1024;
	return v;
}

static int is_hex8(const char *s)
{
	if (strlen(s) != 8)
		return 0;
	for (int i = 0; i < 8; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "0  BOOT    raw     25358F66  00000000      64 KB ..." (CRC32 may be blank). */
static void parse_part_line(char *line, struct gx_info *info)
{
	char *tok[12], *save = NULL;
	int n = 0, i;
	struct gx_part *p;

	for (char *t = strtok_r(line, " \t\r", &save); t && n < 12; t = strtok_r(NULL, " \t\r", &save))
		tok[n++] = t;
	if (n < 6 || !isdigit((unsigned char)tok[0][0]) || info->nparts == GX_MAX_PARTS)
		return;
	i = is_hex8(tok[3]) && is_hex8(tok[4]) ? 4 : 3;
	if (!is_hex8(tok[i]) || i + 2 >= n)
		return;
	p = &info->parts[info->nparts++];
	snprintf(p->name, sizeof(p->name), "%s", tok[1]);
	snprintf(p->fs, sizeof(p->fs), "%s", tok[2]);
	p->start = (uint32_t)strtoul(tok[i], NULL, 16);
	p->size = (uint32_t)size_with_unit(tok[i + 1], tok[i + 2]);
}

/* "key\t: value" -> value (trimmed) when the line's key is key. */
static int key_value(const char *line, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *v;

	if (strncmp(line, key, kl) || !(v = strchr(line + kl, ':')))
		return 0;
	while (*++v == ' ' || *v == '\t')
		;
	snprintf(out, cap, "%s", v);
	out[strcspn(out, "\r\n")] = 0;
	return 1;
}

void gx_parse_banner(const char *text, struct gx_info *info)
{
	char *copy = strdup(text), *save = NULL, val[96];
	int in_table = 0;

	if (!copy)
		return;
	info->have_banner = 1;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *m = strstr(line, "model:");

		if (m && strstr(line, "Flash")) {
			sscanf(m, "model: %31[^, ]", info->flash_model);
			if ((m = strstr(line, "size:")))
				info->flash_size = size_with_unit(m + 5 + strspn(m + 5, " "),
								  strchr(m + 5, 'M') ? "MB" : "KB");
		} else if (!strncmp(line, "====", 4) || !strncmp(line, "----", 4)) {
			in_table = !strncmp(line, "====", 4) && in_table == 1 ? 2 :
				   !strncmp(line, "====", 4) ? 1 : 0;
		} else if (in_table == 2) {
			parse_part_line(line, info);
		} else if (key_value(line, "chip model", val, sizeof(val))) {
			snprintf(info->chip_model, sizeof(info->chip_model), "%.31s", val);
		} else if (key_value(line, "board type", val, sizeof(val))) {
			snprintf(info->board, sizeof(info->board), "%.31s", val);
		} else if (key_value(line, "Flash type", val, sizeof(val)) && !info->flash_model[0]) {
			snprintf(info->flash_model, sizeof(info->flash_model), "%.31s", val);
		} else if (!strncmp(line, "GxLoader", 8)) {
			snprintf(info->sdk, sizeof(info->sdk), "%s", line);
			info->sdk[strcspn(info->sdk, "\r")] = 0;
		}
	}
	free(copy);
}

const struct gx_part *gx_find_part(const struct gx_info *info, const char *name)
{
	for (int i = 0; i < info->nparts; i++)
		if (!strcasecmp(info->parts[i].name, name))
			return &info->parts[i];
	return NULL;
}

/* ---- commands ---- */

/* Send a command line and wait for its echo. */
static int send_command(struct gx *gx, const char *line, struct ub_err *err)
{
	int rc;

	ub_debug(gx->cfg.log, "> %s", line);
	discard_input(gx);
	if (send(gx, line, strlen(line), err) < 0 || send(gx, "\n", 1, err) < 0)
		return -1;
	rc = wait_for(gx, line, ECHO_MS, NULL, err);
	if (rc == -2)
		return ub_fail(err, UB_ENODEV, "the loader did not echo '%s' on %s", line,
			       port_name(gx));
	return rc < 0 ? -1 : 0;
}

/* What the loader printed before its prompt, on one line, without its "err: ". */
static const char *loader_words(struct seen *seen)
{
	const char *t;

	seen->text[seen->len > strlen(PROMPT) ? seen->len - strlen(PROMPT) : 0] = 0;
	t = one_line(seen->text);
	if (!strncasecmp(t, "err:", 4))
		t += 4 + strspn(t + 4, " ");
	return *t ? t : "(no message)";
}

/*
 * The loader answered a transfer command with its prompt, not ~sta~: it
 * refused the request (a range past its flash or OTP, an unknown
 * partition), which is bad input, not a failing device (issue 8 item 11).
 */
static int loader_refused(const char *line, struct seen *seen, struct ub_err *err)
{
	return ub_fail(err, UB_EUSAGE, "the loader refused '%s': %s", line, loader_words(seen));
}

int gx_command(struct gx *gx, const char *line, char **answer, struct ub_err *err)
{
	size_t cap = 4096, len = 0;
	char *text;
	int64_t deadline;

	*answer = NULL;
	if (send_command(gx, line, err) < 0)
		return -1;
	text = malloc(cap);
	if (!text)
		return ub_fail(err, UB_EFAIL, "out of memory");
	deadline = now_ms(gx) + STA_MS;
	for (;;) {
		int c = next_byte(gx, deadline, err);

		if (c < 0) {
			free(text);
			return c == -1 ? -1 : ub_fail(err, UB_ENODEV, "no boot> prompt after '%s' "
						      "within %d s", line, STA_MS / 1000);
		}
		if (len + 1 == cap) {
			char *bigger = realloc(text, cap * 2);

			if (!bigger) {
				free(text);
				return ub_fail(err, UB_EFAIL, "out of memory");
			}
			text = bigger;
			cap *= 2;
		}
		text[len++] = (char)c;
		text[len] = 0;
		if (len >= strlen(PROMPT) && !strcmp(text + len - strlen(PROMPT), PROMPT))
			break;
	}
	text[len - strlen(PROMPT)] = 0;
	*answer = text;
	return settle(gx, err);
}

/* ---- transfers ---- */

static int read_be32(struct gx *gx, uint32_t *v, struct ub_err *err)
{
	uint8_t b[4];
	int rc = read_exact(gx, b, 4, err);

	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return rc;
}

/* Send a transfer command and wait for its ~sta~: 0, -2 (retry) or -1. */
static int start_transfer(struct gx *gx, const char *line, struct ub_err *err)
{
	static const char *const start[] = { STA, PROMPT };
	struct seen seen = { .len = 0 };
	int rc;

	if (send_command(gx, line, err) < 0)
		return -1;
	rc = wait_any(gx, start, 2, STA_MS, &seen, err);
	if (rc == 1)
		return loader_refused(line, &seen, err);
	if (rc == ROM_WAITING)
		return -2;
	if (rc == -2)
		return ub_fail(err, UB_EFAIL, "no ~sta~ from the loader after '%s'", line);
	return rc < 0 ? -1 : 0;
}

/* One framed read. -2: the transfer was damaged (retry); -1: hard error. */
static int read_one(struct gx *gx, const char *line, uint8_t *data, size_t len,
		    struct ub_err *err)
{
	uint32_t want = 0, got;
	int rc = start_transfer(gx, line, err);

	if (rc < 0)
		return rc;
	rc = read_exact(gx, data, len, err);
	if (rc == 0 && !gx->no_crc) {
		rc = wait_for(gx, CRC, GAP_MS, NULL, err);
		if (rc == 0)
			rc = read_be32(gx, &want, err);
	}
	if (rc == 0)
		rc = wait_for(gx, FIN, GAP_MS, NULL, err);
	if (rc == 0)
		rc = wait_for(gx, PROMPT, GAP_MS, NULL, err);
	if (rc == -1)
		return -1;
	if (rc < 0) {
		ub_info(gx->cfg.log, "'%s': the transfer stopped short%s", line,
			rc == ROM_WAITING ? ": the box reset" : "");
		return -2;
	}
	got = gx_xorsum(0, 0, data, len);
	if (!gx->no_crc && got != want) {
		ub_info(gx->cfg.log, "'%s': XOR-sum 0x%08" PRIx32 " of the data received, the loader "
			"sent 0x%08" PRIx32, line, got, want);
		return -2;
	}
	/* No settle: the next command discards what is left, and a pause here
	 * would cost every 64 KiB transfer its share of the line. */
	return 0;
}

static int read_one_watched(struct gx *gx, const char *line, uint8_t *data, size_t len,
			    struct ub_err *err)
{
	int rc;

	gx->in_transfer = 1;
	rc = read_one(gx, line, data, len, err);
	gx->in_transfer = 0;
	return rc;
}

/* After a damaged transfer: find the prompt again, re-booting if the box reset. */
static int recover(struct gx *gx, struct ub_err *err)
{
	struct ub_err why = { 0 };
	int rc;

	if (is_handshake(gx->tail)) {
		/* The box reset and its ROM is waiting now: answer at once. */
		memset(gx->tail, 0xFF, sizeof(gx->tail));
		gx->head = gx->len = 0;
		if (!gx->cfg.loader)
			return ub_fail(err, UB_EFAIL, "the box reset during a transfer, and there "
				       "is no loader to boot again (give -L or --chip)");
		rc = ub_port_set_baud(gx->cfg.port, rom_baud(gx), &why) < 0 ? -1 :
		     boot_loader(gx, &why);
		if (rc < 0 && why.status != UB_EINTR)
			return ub_fail(err, why.status, "the box reset during a transfer: %s",
				       why.msg);
	} else {
		/* gx_connect drains a loader that is still sending, until its prompt. */
		rc = gx_connect(gx, &why);
		if (rc < 0 && why.status != UB_EINTR)
			return ub_fail(err, why.status, "lost the loader after a damaged "
				       "transfer: %s", why.msg);
	}
	return rc < 0 ? ub_fail(err, why.status, "%s", why.msg) : 0;
}

int gx_read(struct gx *gx, const char *verb, uint64_t addr, uint64_t len, size_t chunk,
	    int retries, gx_sink_fn sink, void *arg, struct ub_err *err)
{
	uint8_t *data = malloc(chunk);
	uint64_t done = 0;
	int rc = 0;

	if (!data)
		return ub_fail(err, UB_EFAIL, "out of memory");
	report(gx, GX_PHASE_DATA, 0, len);
	while (done < len && rc == 0) {
		size_t n = len - done < chunk ? (size_t)(len - done) : chunk;
		char line[96];
		int tries = 0;

		snprintf(line, sizeof(line), "%s 0x%" PRIx64 " %zu", verb, addr + done, n);
		while ((rc = read_one_watched(gx, line, data, n, err)) == -2) {
			if (tries++ == retries) {
				rc = ub_fail(err, UB_EFAIL, "'%s' failed its XOR-sum or stopped "
					     "short %d times; check the wiring, or retry with "
					     "--retries", line, tries);
				break;
			}
			if (recover(gx, err) < 0) {
				rc = -1;
				break;
			}
			ub_info(gx->cfg.log, "retrying '%s' (%d of %d)", line, tries, retries);
		}
		if (rc == 0)
			rc = sink(arg, data, n, err);
		if (rc == 0) {
			done += n;
			report(gx, GX_PHASE_DATA, done, len);
		}
	}
	free(data);
	if (rc < 0 && err->status == UB_EINTR) {
		ub_err_clear(err);
		return ub_fail(err, UB_EINTR, "interrupted after reading %" PRIu64 " of %" PRIu64
			       " bytes with %s", done, len, verb);
	}
	return rc;
}

/* One serialdown-style transfer; -2 when the loader reports a bad checksum. */
static int write_one(struct gx *gx, const char *line, uint64_t len, uint32_t xorsum,
		     gx_source_fn source, void *arg, struct ub_err *err)
{
	static const char *const done[] = { FIN, "Partition Version", "err:", "ERR:", PROMPT };
	struct seen seen = { .len = 0 };
	uint8_t buf[DOWN_CHUNK];
	uint64_t sent = 0;
	int rc = start_transfer(gx, line, err);

	if (rc < 0)
		return rc;
	report(gx, GX_PHASE_DATA, 0, len);
	while (sent < len) {
		size_t n = len - sent < sizeof(buf) ? (size_t)(len - sent) : sizeof(buf);

		if (stop_asked(gx))
			return ub_fail(err, UB_EINTR, "interrupted after sending %" PRIu64 " of %"
				       PRIu64 " bytes of '%s'; the loader writes nothing before it "
				       "has them all", sent, len, line);
		if (source(arg, buf, n, err) < 0 || send(gx, buf, n, err) < 0)
			return -1;
		sent += n;
		report(gx, GX_PHASE_DATA, sent, len);
	}
	/* A legacy loader takes no XOR-sum: it writes once it has the data. */
	gx->committed = gx->no_crc ? WRITING : UNCOMMITTED;
	if (!gx->no_crc) {
		uint8_t sum[4];

		rc = wait_for(gx, CRC, STA_MS, NULL, err);
		if (rc == ROM_WAITING)
			return -2;
		if (rc < 0)
			return rc == -1 ? -1 : ub_fail(err, UB_EFAIL, "no ~crc~ from the loader "
						       "after %" PRIu64 " bytes of '%s'", len, line);
		for (int i = 0; i < 4; i++)
			sum[i] = (uint8_t)(xorsum >> (24 - 8 * i));
		if (send(gx, sum, 4, err) < 0)
			return -1;
		gx->committed = WRITING;
	}
	memset(&seen, 0, sizeof(seen));
	rc = wait_any(gx, done, 5, DOWN_DONE_MS, &seen, err);
	if (rc == ROM_WAITING)
		return -2;
	if (rc == 2 || rc == 3) {
		wait_for(gx, PROMPT, GAP_MS, &seen, err);
		if (seen.len >= strlen(PROMPT))
			seen.text[seen.len - strlen(PROMPT)] = 0;
		ub_info(gx->cfg.log, "'%s': the loader says '%s'", line, one_line(seen.text));
		return -2;
	}
	if (rc == 4)
		return ub_fail(err, UB_EFAIL, "the loader ended '%s' without ~fin~: %s", line,
			       loader_words(&seen));
	if (rc < 0)
		return rc == -1 ? -1 : ub_fail(err, UB_EFAIL, "the loader did not finish '%s' "
					       "within %d s", line, DOWN_DONE_MS / 1000);
	/* ~fin~ or a reboot into the banner: either way the next prompt ends it. */
	if (rc == 1)
		return wait_banner(gx, err);
	rc = wait_for(gx, PROMPT, DOWN_DONE_MS, NULL, err);
	if (rc < 0)
		return rc == -1 ? -1 : ub_fail(err, UB_EFAIL, "no boot> prompt after '%s'", line);
	gx->committed = WRITTEN;
	return settle(gx, err);
}

int gx_write(struct gx *gx, const char *verb, const char *target, uint64_t len,
	     uint32_t xorsum, int retries, gx_source_fn source, int (*rewind)(void *arg),
	     void *arg, struct ub_err *err)
{
	char line[128];
	int rc, tries = 0;

	snprintf(line, sizeof(line), "%s %s %" PRIu64, verb, target, len);
	for (;;) {
		gx->in_transfer = 1;
		rc = write_one(gx, line, len, xorsum, source, arg, err);
		gx->in_transfer = 0;
		gx->committed = UNCOMMITTED;
		if (rc != -2)
			break;
		if (tries++ == retries)
			return ub_fail(err, UB_EFAIL, "'%s' did not complete in %d tries (the loader "
				       "rejected the checksum, or the box reset); check the wiring and "
				       "run the command again", line, tries);
		if (rewind(arg) < 0)
			return ub_fail(err, UB_EFAIL, "cannot rewind the image for a retry");
		if (recover(gx, err) < 0)
			return -1;
		ub_info(gx->cfg.log, "retrying '%s' (%d of %d)", line, tries, retries);
	}
	return rc;
}
