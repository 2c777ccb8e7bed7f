/* SPDX-License-Identifier: MIT */
/*
 * Tests of the ECR6600 emulator (sim/sim_ecr6600.c), in model time, talking
 * to it only as a host would (sim/sim_uart.h) with frame builders of their
 * own, and reading its stats/save files. Expected behaviour:
 * ../shared/notes/uart-chips.md §2 (its test vectors byte for byte) and the
 * custom stub in ../shared/data/ecr6600 (those cases skip when absent).
 */
#include "testutil.h"
#include "sim_uart.h"
#include "../sim/sim_ecr6600.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MIB (1024u * 1024u)
#define FLASH_2M (2 * MIB)
#define NS_MS 1000000ull

/* ------------------------------------------------------------- helpers */

struct dev {
	struct uart_sim *sim;
	char stats[64], save[64], image[64];
	uint8_t *flash;        /* the image= contents */
};

static uint64_t rnd_state = 0x2545F4914F6CDD1Dull;

static void fill_rnd(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rnd_state ^= rnd_state << 13;
		rnd_state ^= rnd_state >> 7;
		rnd_state ^= rnd_state << 17;
		p[i] = (uint8_t)(rnd_state >> 24);
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Written here independently of the emulator's. */
static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static uint16_t crc16(const uint8_t *p, size_t n)
{
	uint16_t c = 0;

	for (size_t i = 0; i < n; i++) {
		c ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			c = (uint16_t)(c & 0x8000 ? c << 1 ^ 0x1021 : c << 1);
	}
	return c;
}

static void line(struct dev *d, unsigned baud)
{
	struct uart_sim_line l = { baud, 'n', 8, 0, 1 };

	uart_sim_set_line(d->sim, &l);
}

/* "ecr6600,stats=..,save=..,image=..,OPTS" with a random 2 MiB image. */
static void dev_start(struct dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void dev_start(struct dev *d, const char *fmt, ...)
{
	char opts[512], spec[1024], err[512] = "";
	va_list ap;

	memset(d, 0, sizeof(*d));
	tu_tmpfile(d->stats, sizeof(d->stats));
	tu_tmpfile(d->save, sizeof(d->save));
	tu_tmpfile(d->image, sizeof(d->image));
	d->flash = malloc(FLASH_2M);
	ck_assert_ptr_nonnull(d->flash);
	fill_rnd(d->flash, FLASH_2M);
	tu_write_file(d->image, d->flash, FLASH_2M);
	va_start(ap, fmt);
	vsnprintf(opts, sizeof(opts), fmt, ap);
	va_end(ap);
	snprintf(spec, sizeof(spec), "ecr6600,stats=%s,save=%s,image=%s%s%s", d->stats,
		 d->save, d->image, *opts ? "," : "", opts);
	d->sim = uart_sim_open(spec, err, sizeof(err));
	ck_assert_msg(d->sim != NULL, "open '%s': %s", spec, err);
	line(d, 115200);
}

/* Stop; the saved flash (malloc'd) when want_save. */
static uint8_t *dev_stop(struct dev *d, int want_save)
{
	char err[512] = "";
	uint8_t *saved = NULL;

	ck_assert_msg(uart_sim_stop(d->sim, err, sizeof(err)) == 0, "stop: %s", err);
	d->sim = NULL;
	if (want_save) {
		size_t len;

		saved = tu_read_file(d->save, &len);
		ck_assert_uint_eq(len, FLASH_2M);
	}
	return saved;
}

static void dev_free(struct dev *d)
{
	if (d->sim)
		dev_stop(d, 0);
	unlink(d->stats);
	unlink(d->save);
	unlink(d->image);
	free(d->flash);
}

static void put(struct dev *d, const void *p, size_t n)
{
	ck_assert_int_eq(uart_sim_write(d->sim, p, n), 0);
}

static void sleep_ms(struct dev *d, uint64_t ms)
{
	uart_sim_sleep(d->sim, ms * NS_MS);
}

/* Up to n bytes, until ms of model time have passed. */
static size_t get(struct dev *d, uint8_t *buf, size_t n, uint64_t ms)
{
	uint64_t end = uart_sim_now(d->sim) + ms * NS_MS;
	size_t got = 0;

	while (got < n) {
		uint64_t now = uart_sim_now(d->sim);
		ssize_t r;

		if (now >= end)
			break;
		r = uart_sim_read(d->sim, buf + got, n - got, end - now);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static void expect(struct dev *d, const uint8_t *want, size_t n, uint64_t ms)
{
	uint8_t *got = malloc(n + 1);
	size_t k;

	ck_assert_ptr_nonnull(got);
	k = get(d, got, n, ms);
	ck_assert_msg(k == n, "got %zu of %zu bytes", k, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(got[i] == want[i], "byte %zu: got %02x, want %02x", i, got[i],
			      want[i]);
	free(got);
}

static void expect_silence(struct dev *d, uint64_t ms)
{
	uint8_t b[64];
	size_t k = get(d, b, sizeof(b), ms);

	ck_assert_msg(k == 0, "%zu unexpected bytes, first %02x", k, b[0]);
}

/* A request frame: A5 TYPE LEN16 DATA SUM8; returns its length. */
static size_t req(uint8_t *out, uint8_t type, const uint8_t *data, size_t n)
{
	out[0] = 0xA5;
	out[1] = type;
	out[2] = (uint8_t)n;
	out[3] = (uint8_t)(n >> 8);
	if (n)
		memcpy(out + 4, data, n);
	out[4 + n] = sum8(out, 4 + n);
	return n + 5;
}

static size_t req_range(uint8_t *out, uint8_t type, uint32_t addr, uint32_t len)
{
	uint8_t d[8];

	put_le32(d, addr);
	put_le32(d + 4, len);
	return req(out, type, d, 8);
}

static void send_req(struct dev *d, uint8_t type, const uint8_t *data, size_t n)
{
	uint8_t f[80];

	put(d, f, req(f, type, data, n));
}

static void send_range(struct dev *d, uint8_t type, uint32_t addr, uint32_t len)
{
	uint8_t f[16];

	put(d, f, req_range(f, type, addr, len));
}

/* The 6-byte answer 5A TYPE 00 00 STATUS SUM8. */
static void expect_ack(struct dev *d, uint8_t type, uint8_t status, uint64_t ms)
{
	uint8_t a[6] = { 0x5A, type, 0, 0, status, 0 };

	a[5] = sum8(a, 5);
	expect(d, a, 6, ms);
}

/* An answer with data: 5A TYPE LEN DATA 00 SUM8. */
static void expect_data(struct dev *d, uint8_t type, const uint8_t *data, size_t n,
			uint64_t ms)
{
	uint8_t *f = malloc(n + 6);

	f[0] = 0x5A;
	f[1] = type;
	f[2] = (uint8_t)n;
	f[3] = (uint8_t)(n >> 8);
	memcpy(f + 4, data, n);
	f[4 + n] = 0;
	f[5 + n] = sum8(f, n + 5);
	expect(d, f, n + 6, ms);
	free(f);
}

static void xm_packet(uint8_t *pkt, uint8_t blk, const uint8_t *data)
{
	uint16_t c = crc16(data, 1024);

	pkt[0] = 0x02;
	pkt[1] = blk;
	pkt[2] = (uint8_t)~blk;
	memcpy(pkt + 3, data, 1024);
	pkt[1027] = (uint8_t)(c >> 8);
	pkt[1028] = (uint8_t)c;
}

static void sha(const uint8_t *p, size_t n, uint8_t out[32])
{
	ecr_sim_sha256(p, n, out);
}

/* --------------------------------------------------------- checksums */

START_TEST(checksums_against_published_values)
{
	static const uint8_t abc_sha[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
		0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	static const uint8_t empty_sha[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8,
		0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 };
	static const uint8_t two_block_sha[32] = {
		0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93,
		0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67,
		0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1 };
	static const uint8_t syn[9] = { 0xA5, 0x00, 0x04, 0x00, 0x63, 0x6E, 0x79, 0x73, 0x66 };
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t h[32];

	ck_assert_uint_eq(ecr_sim_crc16((const uint8_t *)"123456789", 9), 0x31C3);
	ck_assert_uint_eq(ecr_sim_sum8(syn, 8), 0x66);
	ecr_sim_sha256((const uint8_t *)"abc", 3, h);
	ck_assert_mem_eq(h, abc_sha, 32);
	ecr_sim_sha256((const uint8_t *)"", 0, h);
	ck_assert_mem_eq(h, empty_sha, 32);
	ecr_sim_sha256((const uint8_t *)two, strlen(two), h);
	ck_assert_mem_eq(h, two_block_sha, 32);
}
END_TEST

/* The frame builders give the notes' vectors (§2.3) byte for byte. */
START_TEST(builders_give_the_notes_vectors)
{
	static const struct {
		uint8_t type;
		uint32_t addr, len;
		uint8_t want[13];
	} v[] = {
		{ 0x04, 0x1000, 0x1000, { 0xA5, 0x04, 0x08, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 0xD1 } },
		{ 0x03, 0, 0x1000, { 0xA5, 0x03, 0x08, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0xC0 } },
		{ 0x02, 0, 0x1000, { 0xA5, 0x02, 0x08, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0xBF } },
		{ 0x92, 0, 0x1000, { 0xA5, 0x92, 0x08, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0x4F } },
		{ 0x09, 0, 0x200000, { 0xA5, 0x09, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0xD6 } },
	};
	static const uint8_t baud921[9] = { 0xA5, 0x07, 0x04, 0, 0x00, 0x10, 0x0E, 0x00, 0xCE };
	static const uint8_t baud115[9] = { 0xA5, 0x07, 0x04, 0, 0x00, 0xC2, 0x01, 0x00, 0x73 };
	static const uint8_t id[5] = { 0xA5, 0x90, 0, 0, 0x35 };
	static const uint8_t chip[5] = { 0xA5, 0x05, 0, 0, 0xAA };
	uint8_t f[16], b[4];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_uint_eq(req_range(f, v[i].type, v[i].addr, v[i].len), 13);
		ck_assert_mem_eq(f, v[i].want, 13);
	}
	put_le32(b, 921600);
	ck_assert_uint_eq(req(f, 0x07, b, 4), 9);
	ck_assert_mem_eq(f, baud921, 9);
	put_le32(b, 115200);
	req(f, 0x07, b, 4);
	ck_assert_mem_eq(f, baud115, 9);
	req(f, 0x90, NULL, 0);
	ck_assert_mem_eq(f, id, 5);
	req(f, 0x05, NULL, 0);
	ck_assert_mem_eq(f, chip, 5);
}
END_TEST

/* ---------------------------------------------------- §2.3 vectors */

START_TEST(vectors_get_their_documented_answers)
{
	static const uint8_t id_answer[10] = { 0x5A, 0x90, 0x04, 0x00, 0xC8, 0x40, 0x15, 0x00,
					       0x00, 0x0B };
	static const uint8_t ack7[6] = { 0x5A, 0x07, 0, 0, 0, 0x61 };
	static const uint8_t syn_after_7[6] = { 0x5A, 0x00, 0, 0, 0, 0x61 };
	static const uint8_t syn_ok[6] = { 0x5A, 0x00, 0, 0, 0, 0x5A };
	uint8_t b[4], hash[32], *saved;
	struct dev d;

	dev_start(&d, "running=custom,chip-erase=100");
	/* flash id of the default 2 MiB GigaDevice part */
	send_req(&d, 0x90, NULL, 0);
	expect(&d, id_answer, 10, 100);
	/* baud 115200: the ACK vector for type 7 */
	put_le32(b, 115200);
	send_req(&d, 0x07, b, 4);
	expect(&d, ack7, 6, 100);
	/* SYN "cnys": status 00; its SUM8 is the previous answer's (§2.3) */
	send_req(&d, 0x00, (const uint8_t *)"cnys", 4);
	expect(&d, syn_after_7, 6, 100);
	/* a SYN with other data: status 01, SUM8 computed (5B) */
	send_req(&d, 0x00, (const uint8_t *)"sync", 4);
	expect_ack(&d, 0x00, 0x01, 100);
	/* the SUM8 a correct stub would send (the notes' ACK vector) */
	ck_assert_uint_eq(sum8(syn_ok, 5), syn_ok[5]);
	/* read 0..0x1000 */
	send_range(&d, 0x03, 0, 0x1000);
	expect_data(&d, 0x03, d.flash, 0x1000, 1000);
	/* SHA-256 of 0..0x200000 */
	sha(d.flash, FLASH_2M, hash);
	send_range(&d, 0x09, 0, 0x200000);
	expect_data(&d, 0x09, hash, 32, 2000);
	/* erase 0x1000+0x1000: ACK after one sector erase */
	send_range(&d, 0x04, 0x1000, 0x1000);
	expect_ack(&d, 0x04, 0, 200);
	/* chip erase */
	send_req(&d, 0x05, NULL, 0);
	expect_ack(&d, 0x05, 0, 300);
	saved = dev_stop(&d, 1);
	for (size_t i = 0; i < FLASH_2M; i++)
		ck_assert_uint_eq(saved[i], 0xFF);
	ck_assert_uint_eq(tu_stat(d.stats, "chip_erases"), 1);
	free(saved);
	dev_free(&d);
}
END_TEST

START_TEST(erase_vector_erases_one_sector)
{
	uint8_t *saved;
	struct dev d;

	dev_start(&d, "running=custom");
	send_range(&d, 0x04, 0x1000, 0x1000);
	expect_ack(&d, 0x04, 0, 200);
	saved = dev_stop(&d, 1);
	ck_assert_mem_eq(saved, d.flash, 0x1000);
	for (size_t i = 0x1000; i < 0x2000; i++)
		ck_assert_uint_eq(saved[i], 0xFF);
	ck_assert_mem_eq(saved + 0x2000, d.flash + 0x2000, FLASH_2M - 0x2000);
	free(saved);
	dev_free(&d);
}
END_TEST

START_TEST(type_errors_and_stale_len)
{
	static const uint8_t stale[6] = { 0x5A, 0xFF, 0x04, 0x00, 0x03, 0x60 };
	uint8_t f[16];
	struct dev d;

	dev_start(&d, "running=custom");
	/* TYPE > 0x9F: answered at once */
	put(&d, "\xA5\xA0\x00\x00", 4);
	expect_ack(&d, 0xFF, 0x03, 100);
	/* bad SUM8: TYPE_ERROR after the frame */
	req(f, 0x90, NULL, 0);
	f[4] ^= 1;
	put(&d, f, 5);
	expect_ack(&d, 0xFF, 0x03, 100);
	/* ESWIN's 0x08 and BK's 0x95 are not in the custom stub */
	send_req(&d, 0x95, NULL, 0);
	expect_ack(&d, 0xFF, 0x03, 100);
	/* after a flash id the error answer keeps LEN 4 (no data follows) */
	send_req(&d, 0x90, NULL, 0);
	ck_assert_uint_eq(get(&d, f, 10, 100), 10);
	send_req(&d, 0x08, NULL, 0);
	expect(&d, stale, 6, 100);
	dev_stop(&d, 0);
	ck_assert_uint_eq(tu_stat(d.stats, "type_errors"), 4);
	ck_assert_uint_eq(tu_stat(d.stats, "frames_bad"), 1);
	dev_free(&d);
}
END_TEST

START_TEST(addr_error_past_the_flash)
{
	struct dev d;

	dev_start(&d, "running=custom");
	send_range(&d, 0x04, 0x1FF000, 0x2000);
	expect_ack(&d, 0x04, 0x02, 100);
	send_range(&d, 0x03, 0x200000, 8);
	expect_ack(&d, 0x03, 0x02, 100);
	send_range(&d, 0x91, 0x100000, 0x100001);
	expect_ack(&d, 0x91, 0x02, 100);
	send_range(&d, 0x09, 0, 0x200001);
	expect_ack(&d, 0x09, 0x02, 100);
	dev_free(&d);
}
END_TEST

/* An unknown capacity byte: "flash!" at start and size 0. */
START_TEST(unknown_jedec_means_size_zero)
{
	struct dev d;

	dev_start(&d, "running=custom,jedec=0xC84017");
	sleep_ms(&d, 1);
	expect(&d, (const uint8_t *)"flash!", 6, 100);
	send_range(&d, 0x03, 0, 8);
	expect_ack(&d, 0x03, 0x02, 100);
	dev_free(&d);
}
END_TEST

/* ------------------------------------------------------------ the ROM */

static uint8_t *custom_stub(size_t *len)
{
	char path[512];
	uint8_t *buf;
	gzFile z;
	int n;

	if (!tu_shared("ecr6600/ECR6600_Stub_Custom.bin", path, sizeof(path)))
		return NULL;
	z = gzopen(path, "rb");
	ck_assert_ptr_nonnull(z);
	buf = malloc(64 * 1024);
	n = gzread(z, buf, 64 * 1024);
	gzclose(z);
	ck_assert_int_eq(n, 26096);
	*len = (size_t)n;
	return buf;
}

/* RTS reset, "cnys" until 01, header, upload; 0 when the header was refused. */
static void rom_upload(struct dev *d, const uint8_t *stub, size_t len)
{
	uint8_t hdr[12], b = 0xEE;

	uart_sim_set_modem(d->sim, 'r', 1);
	sleep_ms(d, 50);
	uart_sim_set_modem(d->sim, 'r', 0);
	for (int i = 0; i < 10 && b != 0x01; i++) {
		put(d, "cnys", 4);
		if (get(d, &b, 1, 50) != 1)
			b = 0xEE;
	}
	ck_assert_uint_eq(b, 0x01);
	put_le32(hdr, 1);
	put_le32(hdr + 4, 0x10000);
	put_le32(hdr + 8, (uint32_t)len);
	put(d, hdr, 12);
	expect(d, (const uint8_t *)"\x00", 1, 100);
	put(d, stub, len);
	uart_sim_drain(d->sim);
	sleep_ms(d, 10);
}

START_TEST(rom_sync_and_custom_stub)
{
	static const uint8_t want_hdr[12] = { 0x01, 0, 0, 0, 0x00, 0x00, 0x01, 0x00,
					      0xF0, 0x65, 0x00, 0x00 };
	uint8_t hdr[12], f[10];
	size_t len;
	uint8_t *stub = custom_stub(&len);
	struct dev d;

	if (!stub)
		return;
	put_le32(hdr, 1);
	put_le32(hdr + 4, 0x10000);
	put_le32(hdr + 8, (uint32_t)len);
	ck_assert_mem_eq(hdr, want_hdr, 12);   /* the notes' vector (§2.2) */
	ck_assert_mem_eq(stub, "\x48\x00\x00\x54", 4);
	dev_start(&d, "%s", "");
	/* no stub yet: the ROM ignores frames */
	send_req(&d, 0x90, NULL, 0);
	expect_silence(&d, 20);
	rom_upload(&d, stub, len);
	send_req(&d, 0x90, NULL, 0);
	ck_assert_uint_eq(get(&d, f, 10, 100), 10);
	ck_assert_uint_eq(f[0], 0x5A);
	ck_assert_uint_eq(f[1], 0x90);
	ck_assert_uint_eq(f[6], 0x15);
	dev_stop(&d, 0);
	ck_assert_uint_eq(tu_stat(d.stats, "stub_uploads"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "syncs"), 1);
	free(stub);
	dev_free(&d);
}
END_TEST

START_TEST(other_upload_is_the_stock_stub)
{
	uint8_t junk[3000];
	struct dev d;

	fill_rnd(junk, sizeof(junk));
	dev_start(&d, "%s", "");
	rom_upload(&d, junk, sizeof(junk));
	/* no 0x90 in ESWIN's stub */
	send_req(&d, 0x90, NULL, 0);
	expect_ack(&d, 0xFF, 0x03, 100);
	/* size probing by 8-byte reads (§2.5) */
	send_range(&d, 0x03, 0x200000 - 8, 8);
	expect_data(&d, 0x03, d.flash + 0x200000 - 8, 8, 100);
	send_range(&d, 0x03, 0x200000, 8);
	expect_ack(&d, 0x03, 0x02, 100);
	dev_free(&d);
}
END_TEST

START_TEST(rom_window_banner_replug_and_manual_reset)
{
	uint8_t b;
	struct dev d;

	/* the window passes: the firmware's banner, then silence */
	dev_start(&d, "rom-window=100,banner=hello\\r\\n,replug=500");
	sleep_ms(&d, 120);
	expect(&d, (const uint8_t *)"hello\r\n", 7, 50);
	put(&d, "cnys", 4);
	expect_silence(&d, 50);
	/* the user power-cycles (at 600 ms): a new window */
	sleep_ms(&d, 450);
	put(&d, "cnys", 4);
	expect(&d, (const uint8_t *)"\x01", 1, 50);
	/* a second "cnys" is a sync again; a bad header gets FF */
	put(&d, "cnys", 4);
	expect(&d, (const uint8_t *)"\x01", 1, 50);
	put(&d, "\x02\0\0\0\0\0\0\0\x10\0\0\0", 12);
	expect(&d, (const uint8_t *)"\xFF", 1, 50);
	dev_stop(&d, 0);
	ck_assert_uint_eq(tu_stat(d.stats, "power_ons"), 2);
	dev_free(&d);

	/* reset=manual: RTS does nothing; power-on= is the user */
	dev_start(&d, "reset=manual,power-on=300");
	uart_sim_set_modem(d.sim, 'r', 1);
	uart_sim_set_modem(d.sim, 'r', 0);
	put(&d, "cnys", 4);
	expect_silence(&d, 100);
	sleep_ms(&d, 250);
	put(&d, "cnys", 4);
	ck_assert_uint_eq(get(&d, &b, 1, 50), 1);
	ck_assert_uint_eq(b, 0x01);
	dev_free(&d);

	/* the ROM talks 115200 only */
	dev_start(&d, "%s", "");
	line(&d, 230400);
	put(&d, "cnys", 4);
	expect_silence(&d, 50);
	dev_free(&d);
}
END_TEST

/* --------------------------------------------------------- custom stub */

/* 0x91: ACK, 'C', the blocks, EOT; lose-ack to test the block-number bug. */
static void xmodem_write(struct dev *d, uint32_t addr, const uint8_t *data, uint32_t len)
{
	uint8_t pkt[1029], blk[1024];

	send_range(d, 0x91, addr, len);
	expect_ack(d, 0x91, 0, 100);
	expect(d, (const uint8_t *)"C", 1, 1000);
	for (uint32_t off = 0, n = 1; off < len; off += 1024, n++) {
		memset(blk, 0xFF, sizeof(blk));
		memcpy(blk, data + off, len - off < 1024 ? len - off : 1024);
		xm_packet(pkt, (uint8_t)n, blk);
		put(d, pkt, sizeof(pkt));
		expect(d, (const uint8_t *)"\x06", 1, 1000);
	}
	put(d, "\x04", 1);
	expect(d, (const uint8_t *)"\x06", 1, 100);
}

static void xmodem_read(struct dev *d, uint32_t addr, uint32_t len, uint8_t *out)
{
	uint8_t pkt[1029];

	send_range(d, 0x92, addr, len);
	expect_ack(d, 0x92, 0, 100);
	put(d, "C", 1);
	for (uint32_t off = 0, n = 1; off < len; off += 1024, n++) {
		ck_assert_uint_eq(get(d, pkt, sizeof(pkt), 1000), sizeof(pkt));
		ck_assert_uint_eq(pkt[0], 0x02);
		ck_assert_uint_eq(pkt[1], (uint8_t)n);
		ck_assert_uint_eq(pkt[2], (uint8_t)~n);
		ck_assert_uint_eq(crc16(pkt + 3, 1024), (uint16_t)(pkt[1027] << 8 | pkt[1028]));
		memcpy(out + off, pkt + 3, len - off < 1024 ? len - off : 1024);
		if (len - off < 1024)
			for (uint32_t i = len - off; i < 1024; i++)
				ck_assert_uint_eq(pkt[3 + i], 0xFF);
		put(d, "\x06", 1);
	}
	expect(d, (const uint8_t *)"\x04", 1, 100);
	put(d, "\x06", 1);
}

START_TEST(custom_xmodem_write_read_sha)
{
	uint8_t data[5000], back[5000], hash[32], *saved;
	struct dev d;

	fill_rnd(data, sizeof(data));
	dev_start(&d, "running=custom");
	xmodem_write(&d, 0x10000, data, sizeof(data));
	xmodem_read(&d, 0x10000, sizeof(data), back);
	ck_assert_mem_eq(back, data, sizeof(data));
	sha(data, sizeof(data), hash);
	send_range(&d, 0x09, 0x10000, sizeof(data));
	expect_data(&d, 0x09, hash, 32, 100);
	saved = dev_stop(&d, 1);
	ck_assert_mem_eq(saved + 0x10000, data, sizeof(data));
	/* the last block's padding stays erased; the rest of the sector too */
	for (size_t i = 0x10000 + sizeof(data); i < 0x12000; i++)
		ck_assert_uint_eq(saved[i], 0xFF);
	ck_assert_mem_eq(saved + 0x12000, d.flash + 0x12000, 0x1000);
	ck_assert_uint_eq(tu_stat(d.stats, "xmodem_blocks"), 5);
	free(saved);
	dev_free(&d);
}
END_TEST

/* The documented bug: no block-number check, so a resent block is written again. */
START_TEST(lost_ack_block_written_twice)
{
	uint8_t data[3 * 1024], pkt[1029], *saved;
	struct dev d;

	fill_rnd(data, sizeof(data));
	dev_start(&d, "running=custom,lose-ack=2");
	send_range(&d, 0x91, 0x20000, sizeof(data));
	expect_ack(&d, 0x91, 0, 100);
	expect(&d, (const uint8_t *)"C", 1, 1000);
	xm_packet(pkt, 1, data);
	put(&d, pkt, sizeof(pkt));
	expect(&d, (const uint8_t *)"\x06", 1, 1000);
	xm_packet(pkt, 2, data + 1024);
	put(&d, pkt, sizeof(pkt));
	expect_silence(&d, 1000);              /* the ACK was lost */
	put(&d, pkt, sizeof(pkt));             /* XMODEM says: send it again */
	expect(&d, (const uint8_t *)"\x06", 1, 1000);
	xm_packet(pkt, 3, data + 2048);
	put(&d, pkt, sizeof(pkt));
	expect(&d, (const uint8_t *)"\x06", 1, 1000);
	put(&d, "\x04", 1);
	expect(&d, (const uint8_t *)"\x06", 1, 100);
	saved = dev_stop(&d, 1);
	ck_assert_mem_eq(saved + 0x20000, data, 2048);
	ck_assert_mem_eq(saved + 0x20800, data + 1024, 1024);   /* block 2 again */
	ck_assert_mem_eq(saved + 0x20C00, data + 2048, 1024);   /* past the range */
	ck_assert_uint_eq(tu_stat(d.stats, "xmodem_repeats"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "lost_acks"), 1);
	free(saved);
	dev_free(&d);
}
END_TEST

START_TEST(xmodem_naks_and_c_repeats)
{
	uint8_t data[1024], pkt[1029];
	struct dev d;

	fill_rnd(data, sizeof(data));
	dev_start(&d, "running=custom");
	send_range(&d, 0x91, 0x30000, 1024);
	expect_ack(&d, 0x91, 0, 100);
	expect(&d, (const uint8_t *)"C", 1, 1000);
	expect(&d, (const uint8_t *)"C", 1, 3400);   /* again after 3.333 s */
	put(&d, "\x01", 1);                          /* SOH: NAK */
	expect(&d, (const uint8_t *)"\x15", 1, 100);
	xm_packet(pkt, 1, data);
	pkt[1028] ^= 1;                              /* bad CRC: NAK */
	put(&d, pkt, sizeof(pkt));
	expect(&d, (const uint8_t *)"\x15", 1, 1000);
	pkt[1028] ^= 1;
	put(&d, pkt, sizeof(pkt));
	expect(&d, (const uint8_t *)"\x06", 1, 1000);
	put(&d, "\x04", 1);
	expect(&d, (const uint8_t *)"\x06", 1, 100);
	dev_free(&d);
}
END_TEST

START_TEST(xmodem_read_retries_then_can)
{
	uint8_t pkt[1029], first[1029];
	struct dev d;

	dev_start(&d, "running=custom");
	send_range(&d, 0x92, 0x1000, 100);
	expect_ack(&d, 0x92, 0, 100);
	put(&d, "xC", 2);                            /* other bytes are ignored */
	ck_assert_uint_eq(get(&d, first, sizeof(first), 1000), sizeof(first));
	ck_assert_mem_eq(first + 3, d.flash + 0x1000, 100);
	put(&d, "\x15", 1);                          /* NAK: the same block again */
	ck_assert_uint_eq(get(&d, pkt, sizeof(pkt), 1000), sizeof(pkt));
	ck_assert_mem_eq(pkt, first, sizeof(pkt));
	for (int i = 0; i < 9; i++)                  /* 3 s silence each: 8 more, then CAN */
		ck_assert_uint_eq(get(&d, pkt, sizeof(pkt), 3500), i < 8 ? sizeof(pkt) : 1);
	ck_assert_uint_eq(pkt[0], 0x18);
	send_req(&d, 0x90, NULL, 0);                 /* back at the parser */
	ck_assert_uint_eq(get(&d, pkt, 10, 100), 10);
	dev_free(&d);
}
END_TEST

START_TEST(efuse_and_run)
{
	uint8_t efuse[128];
	char path[64];
	struct dev d;

	fill_rnd(efuse, sizeof(efuse));
	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, efuse, sizeof(efuse));
	dev_start(&d, "running=custom,efuse=%s,banner=boot\\x2c ok", path);
	send_req(&d, 0x99, NULL, 0);
	expect_data(&d, 0x99, efuse, 128, 100);
	send_req(&d, 0x06, NULL, 0);
	expect_ack(&d, 0x06, 0, 100);
	expect(&d, (const uint8_t *)"boot, ok", 8, 100);
	send_req(&d, 0x90, NULL, 0);                 /* the firmware runs now */
	expect_silence(&d, 100);
	dev_free(&d);
	unlink(path);

	/* no partition table: the boot fails, "stub err!" every 2 s */
	dev_start(&d, "running=custom,chip-erase=10");
	send_req(&d, 0x05, NULL, 0);
	expect_ack(&d, 0x05, 0, 100);
	send_req(&d, 0x06, NULL, 0);
	expect_ack(&d, 0x06, 0, 100);
	expect(&d, (const uint8_t *)"stub err!\n\0\0\0\0\0\0\0\0", 18, 2100);
	expect(&d, (const uint8_t *)"stub err!\n", 10, 2100);
	dev_free(&d);
}
END_TEST

START_TEST(baud_switch)
{
	uint8_t b[4], f[10];
	struct dev d;

	dev_start(&d, "running=custom,running-baud=460800");
	/* the stub was left at 460800 by an earlier run */
	line(&d, 460800);
	send_req(&d, 0x90, NULL, 0);
	ck_assert_uint_eq(get(&d, f, 10, 100), 10);
	ck_assert_uint_eq(f[0], 0x5A);
	/* 921600: the ACK comes 50 ms later at the new rate */
	put_le32(b, 921600);
	send_req(&d, 0x07, b, 4);
	uart_sim_drain(d.sim);
	sleep_ms(&d, 10);
	line(&d, 921600);
	expect_silence(&d, 30);
	expect_ack(&d, 0x07, 0, 100);
	send_range(&d, 0x03, 0, 16);
	expect_data(&d, 0x03, d.flash, 16, 100);
	dev_stop(&d, 0);
	ck_assert_uint_eq(tu_stat(d.stats, "baud_changes"), 1);
	dev_free(&d);
}
END_TEST

START_TEST(corrupt_above_limit)
{
	uint8_t b[4], f[6];
	struct dev d;

	dev_start(&d, "running=custom,corrupt-above=1000000");
	put_le32(b, 1500000);
	send_req(&d, 0x07, b, 4);
	uart_sim_drain(d.sim);
	sleep_ms(&d, 10);
	line(&d, 1500000);
	ck_assert_uint_eq(get(&d, f, 6, 100), 6);
	ck_assert_msg(memcmp(f, "\x5A\x07\x00\x00\x00\x61", 6) != 0, "not garbled");
	dev_stop(&d, 0);
	ck_assert_uint_eq(tu_stat(d.stats, "garbled_tx"), 6);
	dev_free(&d);
}
END_TEST

/* --------------------------------------------------- the stock stub */

static void stock_frame(struct dev *d, uint8_t flag, const uint8_t *data, size_t n, int bad_sum)
{
	uint8_t *f = malloc(n + 6);

	f[0] = 0xA5;
	f[1] = 0x02;
	f[2] = (uint8_t)(n + 1);
	f[3] = (uint8_t)((n + 1) >> 8);
	f[4] = flag;
	memcpy(f + 5, data, n);
	f[5 + n] = (uint8_t)(sum8(f, n + 5) + (bad_sum ? 1 : 0));
	put(d, f, n + 6);
	free(f);
}

START_TEST(stock_write_read_erase)
{
	uint8_t data[0x1800], *saved;
	struct dev d;

	fill_rnd(data, sizeof(data));
	dev_start(&d, "running=stock");
	send_range(&d, 0x02, 0x40000, sizeof(data));
	expect_ack(&d, 0x02, 0, 500);
	stock_frame(&d, 0, data, 0x1000, 0);
	expect_ack(&d, 0x02, 0, 1000);
	stock_frame(&d, 0, data + 0x1000, 0x800, 0);
	expect_ack(&d, 0x02, 0, 1000);
	send_range(&d, 0x03, 0x40000, sizeof(data));
	expect_data(&d, 0x03, data, sizeof(data), 1000);
	send_range(&d, 0x04, 0x41000, 0x1000);
	expect_ack(&d, 0x04, 0, 200);
	saved = dev_stop(&d, 1);
	ck_assert_mem_eq(saved + 0x40000, data, 0x1000);
	for (size_t i = 0x41000; i < 0x42000; i++)
		ck_assert_uint_eq(saved[i], 0xFF);
	free(saved);
	dev_free(&d);
}
END_TEST

/* FLAG 01 rewinds; BK's old chunk >> 8 FLAG makes a 256-511 byte tail a resend. */
START_TEST(stock_flag_resend_rewinds)
{
	uint8_t a[0x100], c[0x100], both[0x200], *saved;
	struct dev d;

	fill_rnd(a, sizeof(a));
	fill_rnd(c, sizeof(c));
	dev_start(&d, "running=stock");
	send_range(&d, 0x02, 0x50000, 0x200);
	expect_ack(&d, 0x02, 0, 500);
	stock_frame(&d, 0x00, a, 0x100, 0);
	expect_ack(&d, 0x02, 0, 200);
	stock_frame(&d, 0x01, a, 0x100, 0);          /* a resend: back to 0x50000 */
	expect_ack(&d, 0x02, 0, 200);
	stock_frame(&d, 0x00, c, 0x100, 0);
	expect_ack(&d, 0x02, 0, 200);
	memcpy(both, a, 0x100);
	memcpy(both + 0x100, c, 0x100);
	send_range(&d, 0x03, 0x50000, 0x200);
	expect_data(&d, 0x03, both, 0x200, 200);
	dev_stop(&d, 0);
	ck_assert_uint_eq(tu_stat(d.stats, "resends"), 1);
	dev_free(&d);

	/* 0x1100 bytes as 0x1000 (FLAG 0x10) + 0x100 (FLAG 0x01, BK's first version) */
	dev_start(&d, "running=stock");
	send_range(&d, 0x02, 0x60000, 0x1100);
	expect_ack(&d, 0x02, 0, 500);
	stock_frame(&d, 0x10, d.flash, 0x1000, 0);
	expect_ack(&d, 0x02, 0, 1000);
	stock_frame(&d, 0x01, c, 0x100, 0);
	expect_ack(&d, 0x02, 0, 200);
	send_req(&d, 0x90, NULL, 0);                 /* the stub still waits for data */
	expect_silence(&d, 200);
	saved = dev_stop(&d, 1);
	for (size_t i = 0; i < 0x100; i++)
		ck_assert_uint_eq(saved[0x60000 + i], d.flash[i] & c[i]);
	for (size_t i = 0x61000; i < 0x61100; i++)
		ck_assert_uint_eq(saved[i], 0xFF);
	free(saved);
	dev_free(&d);
}
END_TEST

START_TEST(stock_bad_sum_still_writes)
{
	uint8_t data[0x100], *saved;
	struct dev d;

	fill_rnd(data, sizeof(data));
	dev_start(&d, "running=stock");
	send_range(&d, 0x02, 0x70000, sizeof(data));
	expect_ack(&d, 0x02, 0, 500);
	stock_frame(&d, 0, data, sizeof(data), 1);
	expect_ack(&d, 0x02, 0x05, 200);
	saved = dev_stop(&d, 1);
	ck_assert_mem_eq(saved + 0x70000, data, sizeof(data));
	ck_assert_uint_eq(tu_stat(d.stats, "crc_errors"), 1);
	free(saved);
	dev_free(&d);
}
END_TEST

START_TEST(stock_partition_backup_overflow)
{
	uint8_t data[0x2000], *saved;
	struct dev d;

	fill_rnd(data, sizeof(data));
	/* 8 KiB at 0x0 in one write: the second 4 KiB frame crashes the stub */
	dev_start(&d, "running=stock");
	send_range(&d, 0x02, 0, sizeof(data));
	expect_ack(&d, 0x02, 0, 500);
	stock_frame(&d, 0, data, 0x1000, 0);
	expect_ack(&d, 0x02, 0, 1000);
	stock_frame(&d, 0, data + 0x1000, 0x1000, 0);
	expect_silence(&d, 1000);
	send_range(&d, 0x03, 0, 8);
	expect_silence(&d, 200);
	saved = dev_stop(&d, 1);
	ck_assert_mem_eq(saved, data, 0x1000);
	for (size_t i = 0x1000; i < 0x2000; i++)
		ck_assert_uint_eq(saved[i], 0xFF);
	ck_assert_uint_eq(tu_stat(d.stats, "crashes"), 1);
	free(saved);
	dev_free(&d);

	/* in pieces the backup holds: 4 KiB at 0x0, then 4 KiB at 0x1000 */
	dev_start(&d, "running=stock");
	send_range(&d, 0x02, 0, 0x1000);
	expect_ack(&d, 0x02, 0, 500);
	stock_frame(&d, 0, data, 0x1000, 0);
	expect_ack(&d, 0x02, 0, 1000);
	send_range(&d, 0x02, 0x1000, 0x1000);
	expect_ack(&d, 0x02, 0, 500);
	stock_frame(&d, 0, data + 0x1000, 0x1000, 0);
	expect_ack(&d, 0x02, 0, 1000);
	saved = dev_stop(&d, 1);
	ck_assert_mem_eq(saved, data, sizeof(data));
	free(saved);
	dev_free(&d);
}
END_TEST

START_TEST(stock_read_len_wraps)
{
	uint8_t *f = malloc(0x10006);
	struct dev d;

	dev_start(&d, "running=stock");
	send_range(&d, 0x03, 0, 0x18000);
	ck_assert_uint_eq(get(&d, f, 0x10006, 10000), 0x10006);
	ck_assert_mem_eq(f, "\x5A\x03\x00\x00", 4);   /* LEN 65536 wrapped to 0 */
	ck_assert_mem_eq(f + 4, d.flash, 0x10000);
	ck_assert_uint_eq(f[0x10004], 0);
	ck_assert_uint_eq(f[0x10005], sum8(f, 0x10005));
	expect_data(&d, 0x03, d.flash + 0x10000, 0x8000, 5000);
	dev_free(&d);
	free(f);
}
END_TEST

/* Request LEN > 8 overflows the stub's buffer: 9 survives, 10 crashes. */
START_TEST(request_longer_than_8_bytes)
{
	uint8_t data[10] = { 0, 0x10, 0, 0, 0, 0x10, 0, 0, 5, 5 };
	struct dev d;

	dev_start(&d, "running=custom");
	send_req(&d, 0x04, data, 9);
	expect_ack(&d, 0x04, 0, 200);
	send_req(&d, 0x04, data, 10);
	expect_silence(&d, 300);
	send_req(&d, 0x90, NULL, 0);
	expect_silence(&d, 100);
	/* a reset brings the ROM back */
	uart_sim_set_modem(d.sim, 'r', 1);
	uart_sim_set_modem(d.sim, 'r', 0);
	put(&d, "cnys", 4);
	expect(&d, (const uint8_t *)"\x01", 1, 50);
	dev_stop(&d, 0);
	ck_assert_uint_eq(tu_stat(d.stats, "crashes"), 1);
	dev_free(&d);
}
END_TEST

/* ------------------------------------------------------------ faults */

static size_t fault_run(const char *opts, uint8_t *out, size_t cap)
{
	struct dev d;
	size_t got = 0;

	rnd_state = 42;   /* the same image each run */
	dev_start(&d, "running=custom,%s", opts);
	for (int i = 0; i < 40 && got + 64 <= cap; i++) {
		send_range(&d, 0x03, (uint32_t)i * 32, 32);
		got += get(&d, out + got, 64, 50);
	}
	dev_free(&d);
	return got;
}

START_TEST(seeded_faults_are_reproducible)
{
	static uint8_t a[4096], b[4096], c[4096], clean[4096];
	size_t na = fault_run("flip=5000,drop=5000,seed=7", a, sizeof(a));
	size_t nb = fault_run("flip=5000,drop=5000,seed=7", b, sizeof(b));
	size_t nc = fault_run("flip=5000,drop=5000,seed=8", c, sizeof(c));
	size_t n0 = fault_run("seed=7", clean, sizeof(clean));

	ck_assert_uint_eq(na, nb);
	ck_assert_mem_eq(a, b, na);
	ck_assert_msg(nc != na || memcmp(a, c, na) != 0, "seed 8 same as seed 7");
	ck_assert_msg(n0 != na || memcmp(a, clean, na) != 0, "faults changed nothing");
	ck_assert_uint_eq(n0, 40 * 38);
}
END_TEST

START_TEST(hang_after_frames)
{
	uint8_t f[10];
	struct dev d;

	dev_start(&d, "running=custom,hang-after=3");
	for (int i = 0; i < 3; i++) {
		send_req(&d, 0x90, NULL, 0);
		ck_assert_uint_eq(get(&d, f, 10, 100), 10);
	}
	send_req(&d, 0x90, NULL, 0);
	expect_silence(&d, 200);
	dev_free(&d);
}
END_TEST

START_TEST(reset_mid_write)
{
	uint8_t data[2048], pkt[1029], *saved;
	struct dev d;

	fill_rnd(data, sizeof(data));
	dev_start(&d, "running=custom,reset-at=1500");
	send_range(&d, 0x91, 0x80000, sizeof(data));
	expect_ack(&d, 0x91, 0, 100);
	expect(&d, (const uint8_t *)"C", 1, 1000);
	xm_packet(pkt, 1, data);
	put(&d, pkt, sizeof(pkt));
	expect(&d, (const uint8_t *)"\x06", 1, 1000);
	xm_packet(pkt, 2, data + 1024);
	put(&d, pkt, sizeof(pkt));
	expect_silence(&d, 150);
	put(&d, "cnys", 4);                          /* the ROM again, in its window */
	expect(&d, (const uint8_t *)"\x01", 1, 50);
	saved = dev_stop(&d, 1);
	ck_assert_mem_eq(saved + 0x80000, data, 1024);
	for (size_t i = 0x80400; i < 0x80800; i++)
		ck_assert_uint_eq(saved[i], 0xFF);
	ck_assert_uint_eq(tu_stat(d.stats, "resets"), 1);
	free(saved);
	dev_free(&d);
}
END_TEST

/* Bytes sent while the stub erases wait in its 16-byte FIFO; more are lost. */
START_TEST(busy_stub_loses_bytes_past_its_fifo)
{
	uint8_t f[10];
	struct dev d;

	dev_start(&d, "running=custom");
	send_range(&d, 0x04, 0, 0x10000);            /* 16 sectors: 720 ms */
	for (int i = 0; i < 5; i++)
		send_req(&d, 0x90, NULL, 0);         /* 25 bytes during the erase */
	expect_ack(&d, 0x04, 0, 1000);
	for (int i = 0; i < 3; i++) {                /* 16 bytes kept: 3 whole frames */
		ck_assert_uint_eq(get(&d, f, 10, 100), 10);
		ck_assert_uint_eq(f[1], 0x90);
	}
	expect_silence(&d, 100);
	dev_stop(&d, 0);
	ck_assert_uint_eq(tu_stat(d.stats, "overruns"), 9);
	dev_free(&d);
}
END_TEST

START_TEST(bad_specs)
{
	static const char *const bad[] = {
		"ecr6600,flash=3M", "ecr6600,stub=other", "ecr6600,nosuch=1",
		"ecr6600,crash-len=8", "ecr6600,image=/nonexistent", "ecr6600,banner=\\q",
		"ecr6600,running=rom",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(uart_sim_open(bad[i], err, sizeof(err)) == NULL, "%s opened", bad[i]);
		ck_assert_msg(strstr(err, "ecr6600 sim:") != NULL, "%s: '%s'", bad[i], err);
	}
}
END_TEST

static Suite *ecr_suite(void)
{
	Suite *s = suite_create("sim_ecr6600");
	TCase *frames = tcase_create("frames");
	TCase *rom = tcase_create("rom");
	TCase *custom = tcase_create("custom");
	TCase *stock = tcase_create("stock");
	TCase *faults = tcase_create("faults");

	tcase_set_timeout(frames, 60);
	tcase_set_timeout(custom, 60);
	tcase_set_timeout(stock, 60);
	tcase_set_timeout(faults, 60);
	tcase_add_test(frames, checksums_against_published_values);
	tcase_add_test(frames, builders_give_the_notes_vectors);
	tcase_add_test(frames, vectors_get_their_documented_answers);
	tcase_add_test(frames, erase_vector_erases_one_sector);
	tcase_add_test(frames, type_errors_and_stale_len);
	tcase_add_test(frames, addr_error_past_the_flash);
	tcase_add_test(frames, unknown_jedec_means_size_zero);
	tcase_add_test(frames, request_longer_than_8_bytes);
	tcase_add_test(frames, bad_specs);

	tcase_add_test(rom, rom_sync_and_custom_stub);
	tcase_add_test(rom, other_upload_is_the_stock_stub);
	tcase_add_test(rom, rom_window_banner_replug_and_manual_reset);

	tcase_add_test(custom, custom_xmodem_write_read_sha);
	tcase_add_test(custom, lost_ack_block_written_twice);
	tcase_add_test(custom, xmodem_naks_and_c_repeats);
	tcase_add_test(custom, xmodem_read_retries_then_can);
	tcase_add_test(custom, efuse_and_run);
	tcase_add_test(custom, baud_switch);

	tcase_add_test(stock, stock_write_read_erase);
	tcase_add_test(stock, stock_flag_resend_rewinds);
	tcase_add_test(stock, stock_bad_sum_still_writes);
	tcase_add_test(stock, stock_partition_backup_overflow);
	tcase_add_test(stock, stock_read_len_wraps);

	tcase_add_test(faults, seeded_faults_are_reproducible);
	tcase_add_test(faults, hang_after_frames);
	tcase_add_test(faults, reset_mid_write);
	tcase_add_test(faults, busy_stub_loses_bytes_past_its_fifo);
	tcase_add_test(faults, corrupt_above_limit);

	suite_add_tcase(s, frames);
	suite_add_tcase(s, rom);
	suite_add_tcase(s, custom);
	suite_add_tcase(s, stock);
	suite_add_tcase(s, faults);
	return s;
}

int main(void)
{
	return tu_main(ecr_suite());
}
