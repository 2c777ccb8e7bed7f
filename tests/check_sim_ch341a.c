/* SPDX-License-Identifier: MIT */
/*
 * Tests of the CH341A adapter emulator (sim/sim_ch341a.c) with the BK72xx
 * behind it, in model time, talking to it only as a host would (sim/sim_usb.h)
 * with packet builders of their own. Expected behaviour: ../shared/notes/
 * beken.md §1 (the BK in SPI mode) and §2 (the CH341A's commands and pins).
 */
#include "testutil.h"
#include "sim_usb.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KIB 1024u
#define MS 1000000ull
#define SEC 1000000000ull

static const uint64_t TIMEOUT = 5 * SEC;
static const uint8_t EP_OUT = 0x02, EP_IN = 0x82;
/* §2: D0 = CS0, D2 = CEN, D3 = SCK, D5 = MOSI; flashrom's idle 0x37, selected 0x36. */
static const uint8_t IDLE = 0x37, SELECTED = 0x36, IN_RESET = 0x33;

/* ------------------------------------------------------------- helpers */

struct dev {
	struct usb_sim *sim;
	char save[64], stats[64], chip_stats[64], image[64];
};

static void dev_open(struct dev *d, const char *extra)
{
	char spec[768], err[256] = "";

	tu_tmpfile(d->save, sizeof(d->save));
	tu_tmpfile(d->stats, sizeof(d->stats));
	tu_tmpfile(d->chip_stats, sizeof(d->chip_stats));
	tu_tmpfile(d->image, sizeof(d->image));
	tu_random_file(d->image, 2 * KIB * KIB, 7);
	snprintf(spec, sizeof(spec), "ch341a,chip=bk7231n,image=%s,save=%s,stats=%s,chip-stats=%s%s%s",
		 d->image, d->save, d->stats, d->chip_stats, extra && *extra ? "," : "",
		 extra ? extra : "");
	d->sim = usb_sim_open(spec, err, sizeof(err));
	ck_assert_msg(d->sim, "open %s: %s", spec, err);
}

static void dev_close(struct dev *d)
{
	char err[256] = "";

	ck_assert_msg(usb_sim_stop(d->sim, err, sizeof(err)) == 0, "stop: %s", err);
	d->sim = NULL;
}

static void dev_unlink(struct dev *d)
{
	unlink(d->save);
	unlink(d->stats);
	unlink(d->chip_stats);
	unlink(d->image);
}

static uint8_t rev(uint8_t b)
{
	uint8_t r = 0;

	for (int i = 0; i < 8; i++)
		r |= (uint8_t)(((b >> i) & 1) << (7 - i));
	return r;
}

static void out(struct dev *d, const uint8_t *p, size_t n)
{
	size_t actual = 0;

	ck_assert_int_eq(usb_sim_bulk_out(d->sim, EP_OUT, p, n, &actual, TIMEOUT), USB_SIM_OK);
	ck_assert_uint_eq(actual, n);
}

static size_t in(struct dev *d, uint8_t *buf, size_t cap)
{
	size_t actual = 0;

	ck_assert_int_eq(usb_sim_bulk_in(d->sim, EP_IN, buf, cap, &actual, TIMEOUT), USB_SIM_OK);
	return actual;
}

/* One UIO packet: drive v, then D5..D0 all outputs (in this order, as flashrom: no glitch). */
static void drive(struct dev *d, uint8_t v)
{
	const uint8_t p[4] = { 0xAB, (uint8_t)(0x80 | v), 0x40 | 0x3F, 0x20 };

	out(d, p, sizeof(p));
}

/* Packets for n bytes of SPI (bit-reversed for the LSB-first wire) into buf; their count. */
static size_t spi_packets(const uint8_t *tx, size_t n, uint8_t *buf, size_t *len)
{
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		if (i % 31 == 0)
			buf[(*len)++] = 0xA8;
		buf[(*len)++] = rev(tx[i]);
	}
	return (n + 30) / 31;
}

/* The replies of k A8 packets, reversed back, into rx. */
static void collect(struct dev *d, size_t k, uint8_t *rx, size_t n)
{
	size_t got = 0;

	for (size_t i = 0; i < k; i++) {
		uint8_t p[32];
		size_t m = in(d, p, sizeof(p));

		ck_assert_uint_le(got + m, n);
		for (size_t j = 0; j < m; j++)
			rx[got + j] = rev(p[j]);
		got += m;
	}
	ck_assert_uint_eq(got, n);
}

/* A CS frame as flashrom sends it: CS low (UIO) + all A8 packets in one OUT, replies, CS high. */
static void frame(struct dev *d, const uint8_t *tx, uint8_t *rx, size_t n)
{
	uint8_t *buf = malloc(n / 31 * 32 + 64), *sink = malloc(n);
	size_t len, k;

	ck_assert(buf && sink);
	buf[0] = 0xAB;
	buf[1] = (uint8_t)(0x80 | SELECTED);
	buf[2] = 0x20;
	k = spi_packets(tx, n, buf + 32, &len);
	out(d, buf, 32 + len);
	collect(d, k, rx ? rx : sink, n);
	drive(d, IDLE);
	free(buf);
	free(sink);
}

static void cen_reset(struct dev *d)
{
	drive(d, IN_RESET);
	usb_sim_sleep(d->sim, 100 * MS);
	drive(d, IDLE);
}

/* §1.2: CEN reset, a D2 stream in one frame, then a pause before the first command. */
static void enter(struct dev *d)
{
	uint8_t d2[64];

	memset(d2, 0xD2, sizeof(d2));
	cen_reset(d);
	frame(d, d2, NULL, sizeof(d2));
	usb_sim_sleep(d->sim, 20 * MS);
}

static void jedec(struct dev *d, uint8_t id[4])
{
	const uint8_t tx[4] = { 0x9F, 0, 0, 0 };

	frame(d, tx, id, 4);
}

static uint8_t read_sr(struct dev *d)
{
	const uint8_t tx[2] = { 0x05, 0 };
	uint8_t rx[2];

	frame(d, tx, rx, 2);
	return rx[1];
}

static void read_flash(struct dev *d, uint32_t addr, uint8_t *buf, size_t n)
{
	uint8_t *tx = calloc(1, n + 4), *rx = malloc(n + 4);

	ck_assert(tx && rx);
	tx[0] = 0x03;
	tx[1] = (uint8_t)(addr >> 16);
	tx[2] = (uint8_t)(addr >> 8);
	tx[3] = (uint8_t)addr;
	frame(d, tx, rx, n + 4);
	memcpy(buf, rx + 4, n);
	free(tx);
	free(rx);
}

static uint8_t *image_at(struct dev *d, uint32_t addr)
{
	size_t n;
	uint8_t *all = tu_read_file(d->image, &n);

	ck_assert_uint_gt(n, addr);
	memmove(all, all + addr, n - addr);
	return all;
}

/* ---------------------------------------------------------- descriptors */

START_TEST(descriptors_and_requests)
{
	struct dev d;
	struct usb_sim_device dd;
	struct usb_sim_setup set_config = { 0x00, 0x09, 1, 0, 0 }, vendor = { 0xC0, 0x5F, 0, 0, 2 };
	uint8_t buf[8];
	size_t n;

	dev_open(&d, NULL);
	ck_assert_int_eq(usb_sim_describe(d.sim, &dd), 0);
	ck_assert_uint_eq(dd.vid, 0x1A86);
	ck_assert_uint_eq(dd.pid, 0x5512);
	ck_assert_uint_eq(dd.bcd_device, 0x0304);
	ck_assert_uint_eq(dd.ep_out, 0x02);
	ck_assert_uint_eq(dd.ep_in, 0x82);
	ck_assert_uint_eq(dd.max_packet, 32);
	ck_assert_str_eq(dd.product, "");
	ck_assert_int_eq(usb_sim_control(d.sim, &set_config, buf, &n, TIMEOUT), USB_SIM_OK);
	ck_assert_int_eq(usb_sim_control(d.sim, &vendor, buf, &n, TIMEOUT), USB_SIM_STALL);
	ck_assert_int_eq(usb_sim_bulk_out(d.sim, 0x01, buf, 1, &n, TIMEOUT), USB_SIM_STALL);
	/* Nothing queued: an IN waits for its timeout. */
	ck_assert_int_eq(usb_sim_bulk_in(d.sim, EP_IN, buf, 32, &n, 10 * MS), USB_SIM_TIMEOUT);
	dev_close(&d);
	dev_unlink(&d);
}
END_TEST

START_TEST(uio_reads_the_pins)
{
	struct dev d;
	const uint8_t rd[3] = { 0xAB, 0x00, 0x20 };
	uint8_t b[32];

	dev_open(&d, NULL);
	out(&d, rd, sizeof(rd));
	ck_assert_uint_eq(in(&d, b, sizeof(b)), 1);
	ck_assert_uint_eq(b[0], 0xFF);   /* every pin an input: pulled up */
	drive(&d, SELECTED);
	out(&d, rd, sizeof(rd));
	ck_assert_uint_eq(in(&d, b, sizeof(b)), 1);
	ck_assert_uint_eq(b[0], 0xC0 | SELECTED);
	dev_close(&d);
	dev_unlink(&d);
}
END_TEST

/* --------------------------------------------------------------- the BK */

START_TEST(jedec_id_through_the_adapter)
{
	struct dev d;
	uint8_t id[4];
	const uint8_t raw[5] = { 0xA8, 0x9F, 0, 0, 0 };
	uint8_t b[32];

	dev_open(&d, NULL);
	drive(&d, IDLE);
	enter(&d);
	jedec(&d, id);
	/* §1.3: bk7231n carries a TH25Q16HB, EB 60 15 after the filler. */
	ck_assert_msg(id[1] == 0xEB && id[2] == 0x60 && id[3] == 0x15, "id %02x %02x %02x",
		      id[1], id[2], id[3]);
	/* Not bit-reversed, 9F reaches the chip as F9: no such command. */
	drive(&d, SELECTED);
	out(&d, raw, sizeof(raw));
	ck_assert_uint_eq(in(&d, b, sizeof(b)), 4);
	ck_assert(b[1] == 0 && b[2] == 0 && b[3] == 0);
	drive(&d, IDLE);
	dev_close(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "cs_frames"), 3);
	ck_assert_uint_eq(tu_stat(d.chip_stats, "frames"), 3);
	ck_assert_uint_eq(tu_stat(d.chip_stats, "entries"), 1);
	dev_unlink(&d);
}
END_TEST

START_TEST(read_4k_in_a8_packets)
{
	struct dev d;
	uint8_t *want, got[4 * KIB];

	dev_open(&d, NULL);
	drive(&d, IDLE);
	enter(&d);
	read_flash(&d, 0x11000, got, sizeof(got));
	want = image_at(&d, 0x11000);
	ck_assert(memcmp(got, want, sizeof(got)) == 0);
	free(want);
	dev_close(&d);
	/* 4 + 4096 bytes in 31-byte packets: 133 A8 packets, 133 replies. */
	ck_assert_uint_eq(tu_stat(d.chip_stats, "read_bytes"), 4 * KIB);
	ck_assert_uint_ge(tu_stat(d.stats, "spi_packets"), 133);
	ck_assert_uint_eq(tu_stat(d.stats, "spi_bytes"), 64 + 4 + 4 * KIB);
	ck_assert_uint_eq(tu_stat(d.stats, "packets_in"), 3 + 133);
	dev_unlink(&d);
}
END_TEST

START_TEST(cen_reset_needs_the_entry_again)
{
	struct dev d;
	uint8_t id[4];
	char trace[64], extra[80];

	tu_tmpfile(trace, sizeof(trace));
	snprintf(extra, sizeof(extra), "trace=%s", trace);
	dev_open(&d, extra);
	drive(&d, IDLE);
	enter(&d);
	jedec(&d, id);
	ck_assert_uint_eq(id[1], 0xEB);
	cen_reset(&d);
	jedec(&d, id);   /* §1.2: the ROM listens for D2 again; no flash answers */
	ck_assert(id[1] == 0 && id[2] == 0 && id[3] == 0);
	enter(&d);
	jedec(&d, id);
	ck_assert_uint_eq(id[1], 0xEB);
	dev_close(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "cen_resets"), 3);
	ck_assert_uint_eq(tu_stat(d.chip_stats, "entries"), 2);
	ck_assert(tu_file_has(trace, " cen 0") && tu_file_has(trace, " cs 0"));
	ck_assert(tu_file_has(trace, " out a8 32") && tu_file_has(trace, " in 31"));
	unlink(trace);
	dev_unlink(&d);
}
END_TEST

START_TEST(released_d2_lets_cen_up)
{
	struct dev d;
	const uint8_t release_d2[3] = { 0xAB, 0x40 | (0x3F & ~0x04), 0x20 };
	uint8_t d2[64], id[4];

	dev_open(&d, NULL);
	drive(&d, IN_RESET);
	usb_sim_sleep(d.sim, 100 * MS);
	out(&d, release_d2, sizeof(release_d2));   /* D2 an input: the pull-up releases CEN */
	memset(d2, 0xD2, sizeof(d2));
	frame(&d, d2, NULL, sizeof(d2));
	usb_sim_sleep(d.sim, 20 * MS);
	jedec(&d, id);
	ck_assert_uint_eq(id[1], 0xEB);
	dev_close(&d);
	dev_unlink(&d);
}
END_TEST

START_TEST(page_program_and_read_back)
{
	struct dev d;
	uint8_t tx[4 + 256], got[256], *saved;
	const uint8_t wren = 0x06;
	uint32_t addr = 0x1F0000;
	size_t n;
	int polls = 0;

	dev_open(&d, NULL);
	drive(&d, IDLE);
	enter(&d);
	frame(&d, &wren, NULL, 1);
	tx[0] = 0x20;   /* sector erase first: the page must be erased to take any byte */
	tx[1] = (uint8_t)(addr >> 16);
	tx[2] = (uint8_t)(addr >> 8);
	tx[3] = (uint8_t)addr;
	frame(&d, tx, NULL, 4);
	while (read_sr(&d) & 1)
		usb_sim_sleep(d.sim, MS);
	frame(&d, &wren, NULL, 1);
	tx[0] = 0x02;
	for (int i = 0; i < 256; i++)
		tx[4 + i] = (uint8_t)(i * 7 + 1);
	frame(&d, tx, NULL, sizeof(tx));
	while (read_sr(&d) & 1) {
		usb_sim_sleep(d.sim, MS);
		polls++;
	}
	ck_assert_int_le(polls, 3);   /* page program 1.5 ms */
	read_flash(&d, addr, got, sizeof(got));
	ck_assert(memcmp(got, tx + 4, 256) == 0);
	dev_close(&d);
	saved = tu_read_file(d.save, &n);
	ck_assert_uint_eq(n, 2 * KIB * KIB);
	ck_assert(memcmp(saved + addr, tx + 4, 256) == 0);
	free(saved);
	ck_assert_uint_eq(tu_stat(d.chip_stats, "page_programs"), 1);
	dev_unlink(&d);
}
END_TEST

/* ------------------------------------------------------------- the time */

/* Sleep to 300 us past a 1 ms frame boundary. */
static void align_300us(struct dev *d)
{
	uint64_t now = usb_sim_now(d->sim);

	usb_sim_sleep(d->sim, MS - now % MS + 300 * 1000);
}

/*
 * §2 and the Must show 3: 8 clocks at 1.4 MHz a byte, plus the wait
 * for the next 1 ms frame: a 4 KiB read as one OUT of all its packets, the
 * replies collected.
 */
START_TEST(read_4k_takes_the_adapters_time)
{
	struct dev d;
	uint8_t tx[4 + 4 * KIB] = { 0x03, 0x01, 0x10, 0x00 }, rx[4 + 4 * KIB], *want;
	uint8_t *buf = malloc(sizeof(tx) / 31 * 32 + 64);
	const uint64_t shift = sizeof(tx) * 8 * SEC / 1400000, wait = 700 * 1000;
	uint64_t t0, t;
	size_t len, k;

	ck_assert(buf);
	dev_open(&d, NULL);
	drive(&d, IDLE);
	enter(&d);
	buf[0] = 0xAB;
	buf[1] = 0x80 | SELECTED;
	buf[2] = 0x20;
	k = spi_packets(tx, sizeof(tx), buf + 32, &len);
	ck_assert_uint_eq(k, 133);
	align_300us(&d);
	t0 = usb_sim_now(d.sim);
	out(&d, buf, 32 + len);
	collect(&d, k, rx, sizeof(rx));
	t = usb_sim_now(d.sim) - t0;
	ck_assert_msg(t >= wait + shift && t <= wait + shift + 100 * 1000,
		      "4 KiB read took %llu ns (wait %llu + shift %llu)", (unsigned long long)t,
		      (unsigned long long)wait, (unsigned long long)shift);
	want = image_at(&d, 0x11000);
	ck_assert(memcmp(rx + 4, want, 4 * KIB) == 0);
	free(want);
	free(buf);
	dev_close(&d);
	dev_unlink(&d);
}
END_TEST

START_TEST(each_round_trip_waits_for_a_frame)
{
	struct dev d;
	const uint8_t rd[3] = { 0xAB, 0x00, 0x20 };
	uint8_t b[32];
	uint64_t t0;

	dev_open(&d, NULL);
	align_300us(&d);
	t0 = usb_sim_now(d.sim);
	for (int i = 0; i < 10; i++) {
		out(&d, rd, sizeof(rd));
		ck_assert_uint_eq(in(&d, b, sizeof(b)), 1);
	}
	/* Each starts at the next 1 ms frame: the 10th 9.7 ms on, done some us later. */
	ck_assert_uint_ge(usb_sim_now(d.sim) - t0, 9 * MS + 700 * 1000);
	ck_assert_uint_le(usb_sim_now(d.sim) - t0, 9 * MS + 750 * 1000);
	dev_close(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "round_trips"), 10);
	dev_unlink(&d);
}
END_TEST

/* A transfer sent before the last one's replies were collected was queued: it goes on at once. */
START_TEST(a_transfer_queued_behind_uncollected_replies_waits_for_no_frame)
{
	struct dev d;
	const uint8_t rd[3] = { 0xAB, 0x00, 0x20 };
	uint8_t b[32];
	uint64_t t0;

	dev_open(&d, NULL);
	align_300us(&d);
	t0 = usb_sim_now(d.sim);
	for (int i = 0; i < 10; i++)
		out(&d, rd, sizeof(rd));
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(in(&d, b, sizeof(b)), 1);
	/* One frame wait (0.7 ms), then ten packets of 30 us and their replies. */
	ck_assert_uint_ge(usb_sim_now(d.sim) - t0, 700 * 1000);
	ck_assert_uint_le(usb_sim_now(d.sim) - t0, MS + 700 * 1000);
	dev_close(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "round_trips"), 1);
	dev_unlink(&d);
}
END_TEST

START_TEST(pace_0_leaves_only_the_spi_clock)
{
	struct dev d;
	uint8_t buf[32 * 10];
	size_t len, k;
	uint8_t tx[310] = { 0 };
	uint64_t t0;

	dev_open(&d, "pace=0");
	k = spi_packets(tx, sizeof(tx), buf, &len);
	t0 = usb_sim_now(d.sim);
	drive(&d, SELECTED);   /* two UIO steps, 750 ns each */
	out(&d, buf, len);
	for (size_t i = 0; i < k; i++)
		ck_assert_uint_eq(in(&d, buf, 32), 31);
	/* 31 bytes a packet at 1.4 MHz (the chip's clock rounds each shift down) */
	ck_assert_uint_eq(usb_sim_now(d.sim) - t0, 1500 + 10 * (31ull * 8 * SEC / 1400000));
	dev_close(&d);
	dev_unlink(&d);
}
END_TEST

/* ------------------------------------------------------------ faults */

START_TEST(unplug_at_the_nth_packet)
{
	struct dev d;
	struct usb_sim_device dd;
	uint8_t buf[32 * 8] = { 0 }, b[32];
	size_t n;

	dev_open(&d, "unplug=5");
	drive(&d, IDLE);   /* packet 1 */
	for (int i = 0; i < 8; i++)
		buf[32 * i] = 0xAB;
	ck_assert_int_eq(usb_sim_bulk_out(d.sim, EP_OUT, buf, sizeof(buf), &n, TIMEOUT),
			 USB_SIM_GONE);
	ck_assert_uint_eq(n, 3 * 32);   /* packets 2-4 went; the 5th met no device */
	ck_assert_int_eq(usb_sim_bulk_in(d.sim, EP_IN, b, 32, &n, TIMEOUT), USB_SIM_GONE);
	ck_assert_int_eq(usb_sim_bulk_out(d.sim, EP_OUT, buf, 4, &n, TIMEOUT), USB_SIM_GONE);
	ck_assert_int_eq(usb_sim_describe(d.sim, &dd), -1);
	dev_close(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "unplugs"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "packets_out"), 4);
	dev_unlink(&d);
}
END_TEST

/* Direction before value: D0-D5 become outputs driving 0 first, so CEN and CS dip. */
START_TEST(direction_before_value_glitches)
{
	struct dev d;
	const uint8_t p[4] = { 0xAB, 0x40 | 0x3F, 0x80 | IDLE, 0x20 };

	dev_open(&d, NULL);
	out(&d, p, sizeof(p));
	dev_close(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "cen_resets"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "cs_frames"), 1);
	dev_unlink(&d);
}
END_TEST

/* 4096 replies queue; the next A8 packet is NAKed until the host collects one. */
START_TEST(full_reply_queue_naks)
{
	struct dev d;
	size_t len = 4097 * 32, n = 0;
	uint8_t *buf = calloc(1, len), b[32];

	ck_assert(buf);
	for (size_t i = 0; i < len; i += 32)
		buf[i] = 0xA8;
	dev_open(&d, NULL);
	ck_assert_int_eq(usb_sim_bulk_out(d.sim, EP_OUT, buf, len, &n, 100 * MS), USB_SIM_TIMEOUT);
	ck_assert_uint_eq(n, 4096 * 32);
	ck_assert_uint_eq(in(&d, b, sizeof(b)), 31);
	out(&d, buf, 32);
	free(buf);
	dev_close(&d);
	dev_unlink(&d);
}
END_TEST

START_TEST(bad_specs)
{
	const char *bad[] = { "ch341a,chip=bk9999", "ch341a,unplug=0", "ch341a,unplug=x",
			      "ch341a,size=3", "ch341a,,x" };
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(usb_sim_open(bad[i], err, sizeof(err)) == NULL, "%s opened", bad[i]);
		ck_assert_msg(err[0] && !strchr(err, '\n'), "%s: '%s'", bad[i], err);
	}
	ck_assert(strstr(usb_sim_model_names(err, sizeof(err)), "ch341a"));
}
END_TEST

static Suite *ch341a_suite(void)
{
	Suite *s = suite_create("sim_ch341a");
	TCase *usb = tcase_create("usb"), *bk = tcase_create("bk"), *t = tcase_create("time"),
	      *f = tcase_create("faults");

	tcase_add_test(usb, descriptors_and_requests);
	tcase_add_test(usb, uio_reads_the_pins);
	tcase_add_test(usb, bad_specs);
	tcase_add_test(bk, jedec_id_through_the_adapter);
	tcase_add_test(bk, read_4k_in_a8_packets);
	tcase_add_test(bk, cen_reset_needs_the_entry_again);
	tcase_add_test(bk, released_d2_lets_cen_up);
	tcase_add_test(bk, page_program_and_read_back);
	tcase_add_test(t, read_4k_takes_the_adapters_time);
	tcase_add_test(t, each_round_trip_waits_for_a_frame);
	tcase_add_test(t, a_transfer_queued_behind_uncollected_replies_waits_for_no_frame);
	tcase_add_test(t, pace_0_leaves_only_the_spi_clock);
	tcase_add_test(f, unplug_at_the_nth_packet);
	tcase_add_test(f, direction_before_value_glitches);
	tcase_add_test(f, full_reply_queue_naks);
	suite_add_tcase(s, usb);
	suite_add_tcase(s, bk);
	suite_add_tcase(s, t);
	suite_add_tcase(s, f);
	return s;
}

int main(void)
{
	return tu_main(ch341a_suite());
}
