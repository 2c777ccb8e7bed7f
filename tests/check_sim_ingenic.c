/* SPDX-License-Identifier: MIT */
/*
 * Tests of the Ingenic USB-boot emulators (sim/sim_ingenic.c) and the USB
 * runner (sim/sim_usb.c), in model time, talking to them only as a host
 * would (sim/sim_usb.h) with request builders of their own. Expected
 * behaviour: ../shared/notes/ingenic.md and the captures; the boot cases use
 * the board sets in ../shared/data/ingenic and skip when they are absent.
 */
#include "testutil.h"
#include "sim_usb.h"
#include "../sim/sim_ingenic.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KIB 1024u
#define MIB (1024u * 1024u)
#define MS 1000000ull
#define SEC 1000000000ull

static const uint64_t CTRL_TIMEOUT = 5 * SEC;
static const uint64_t BULK_TIMEOUT = 20 * SEC;

/* ------------------------------------------------------------- helpers */

struct dev {
	struct usb_sim *sim;
	char save[64], stats[64], trace[64];
};

static void dev_open(struct dev *d, const char *spec_fmt, const char *extra)
{
	char spec[512], err[256] = "";

	tu_tmpfile(d->save, sizeof(d->save));
	tu_tmpfile(d->stats, sizeof(d->stats));
	tu_tmpfile(d->trace, sizeof(d->trace));
	snprintf(spec, sizeof(spec), "%s,save=%s,stats=%s,trace=%s%s%s", spec_fmt, d->save,
		 d->stats, d->trace, extra && *extra ? "," : "", extra ? extra : "");
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
	unlink(d->trace);
}

static enum usb_sim_status vout(struct dev *d, uint8_t req, uint32_t value, const uint8_t *data,
				uint16_t len)
{
	struct usb_sim_setup s = { 0x40, req, (uint16_t)(value >> 16), (uint16_t)value, len };
	uint8_t buf[64] = { 0 };
	size_t actual;

	if (len)
		memcpy(buf, data, len);
	return usb_sim_control(d->sim, &s, buf, &actual, CTRL_TIMEOUT);
}

static enum usb_sim_status vin(struct dev *d, uint8_t req, uint8_t *buf, uint16_t len,
			       size_t *actual)
{
	struct usb_sim_setup s = { 0xC0, req, 0, 0, len };

	return usb_sim_control(d->sim, &s, buf, actual, CTRL_TIMEOUT);
}

static void cpu_info(struct dev *d, char out[9])
{
	size_t n = 0;

	memset(out, 0, 9);
	ck_assert_int_eq(vin(d, 0x00, (uint8_t *)out, 8, &n), USB_SIM_OK);
	ck_assert_uint_eq(n, 8);
}

static void bulk_out_all(struct dev *d, const uint8_t *p, size_t n)
{
	size_t actual = 0;

	ck_assert_int_eq(usb_sim_bulk_out(d->sim, 0x01, p, n, &actual, BULK_TIMEOUT), USB_SIM_OK);
	ck_assert_uint_eq(actual, n);
}

static void load(struct dev *d, uint32_t addr, const uint8_t *p, size_t n)
{
	ck_assert_int_eq(vout(d, 0x01, addr, NULL, 0), USB_SIM_OK);
	ck_assert_int_eq(vout(d, 0x02, (uint32_t)n, NULL, 0), USB_SIM_OK);
	bulk_out_all(d, p, n);
}

static uint8_t *board_file(const char *board, const char *name, size_t *len)
{
	char rel[128], path[512];

	snprintf(rel, sizeof(rel), "ingenic/%s/%s", board, name);
	if (!tu_shared(rel, path, sizeof(path)))
		return NULL;
	return tu_read_file(path, len);
}

/* Poll CPU info every 100 ms (will-tm) until it is no longer `old`; the new one in out. */
static void wait_cpu_change(struct dev *d, const char *old, char out[9])
{
	for (int i = 0; i < 100; i++) {
		size_t n = 0;

		memset(out, 0, 9);
		if (vin(d, 0x00, (uint8_t *)out, 8, &n) == USB_SIM_OK && memcmp(out, old, 8))
			return;
		usb_sim_sleep(d->sim, 100 * MS);
	}
	ck_abort_msg("CPU info stayed '%s'", old);
}

/* ROM -> SPL -> burner with the board's files (§1.3, §2); 0 when the data is absent. */
static int boot(struct dev *d, const char *board, uint32_t d2i, char burner[9])
{
	size_t gl, sl, ul;
	uint8_t *ginfo = board_file(board, "ginfo.bin", &gl);
	uint8_t *spl = ginfo ? board_file(board, "spl.bin", &sl) : NULL;
	uint8_t *uboot = spl ? board_file(board, "uboot.bin", &ul) : NULL;
	char rom[9], spl_id[9];

	if (!uboot) {
		free(ginfo);
		free(spl);
		return 0;
	}
	cpu_info(d, rom);
	load(d, 0x80001000, ginfo, gl);
	load(d, 0x80001800, spl, sl);
	ck_assert_int_eq(vout(d, 0x02, d2i, NULL, 0), USB_SIM_OK);
	ck_assert_int_eq(vout(d, 0x04, 0x80001800, NULL, 0), USB_SIM_OK);
	cpu_info(d, spl_id);
	ck_assert_mem_eq(spl_id, rom, 8);
	load(d, 0x80100000, uboot, ul);
	ck_assert_int_eq(vout(d, 0x03, 0, NULL, 0), USB_SIM_OK);
	ck_assert_int_eq(vout(d, 0x05, 0x80100000, NULL, 0), USB_SIM_OK);
	wait_cpu_change(d, rom, burner);
	free(ginfo);
	free(spl);
	free(uboot);
	return 1;
}

static int32_t get_ack(struct dev *d)
{
	uint8_t b[4];
	size_t n = 0;

	ck_assert_int_eq(vin(d, 0x10, b, 4, &n), USB_SIM_OK);
	ck_assert_uint_eq(n, 4);
	return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			 (uint32_t)b[3] << 24);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int32_t send_cfg(struct dev *d, const uint8_t *cfg, size_t len)
{
	uint8_t cmd[40] = { 0 };

	put32(cmd, (uint32_t)len);
	ck_assert_int_eq(vout(d, 0x14, 0, cmd, 40), USB_SIM_OK);
	ck_assert_int_eq(get_ack(d), -16);
	usb_sim_sleep(d->sim, 100 * MS);   /* as the vendor host */
	bulk_out_all(d, cfg, len);
	return get_ack(d);
}

/* The SFC TLV's body in a cfg2 blob, or NULL. */
static uint8_t *sfc_body(uint8_t *cfg, size_t len, size_t *body_len)
{
	size_t at = 0;

	while (at + 8 <= len) {
		uint32_t size = (uint32_t)cfg[at + 4] | (uint32_t)cfg[at + 5] << 8 |
				(uint32_t)cfg[at + 6] << 16 | (uint32_t)cfg[at + 7] << 24;

		if (!memcmp(cfg + at, "\0CFS", 4)) {
			*body_len = size;
			return cfg + at + 8;
		}
		at += 8 + size;
	}
	return NULL;
}

/* spi_erase (header word 3) and every partition's manager_mode; -1 keeps it. */
static void patch_cfg2(uint8_t *cfg, size_t len, int spi_erase, int mode)
{
	size_t blen = 0, at = 0;
	uint8_t *b = sfc_body(cfg, len, &blen);

	ck_assert_ptr_nonnull(b);
	if (spi_erase >= 0)
		put32(b + 12, (uint32_t)spi_erase);
	while (memcmp(b + at, "nor\0", 4))
		at += 4;
	for (uint32_t i = 0; mode >= 0 && i < b[at + 0x274]; i++)
		put32(b + at + 0x94 + 48 * i + 44, (uint32_t)mode);
}

/* UPDATE_CFG policy, GET_FLASH_INFO, cfg2, INIT polled (§3.4); the JEDEC id. */
static uint32_t stage2(struct dev *d, const char *board, int spi_erase, int mode)
{
	size_t l1, l2, n = 0;
	uint8_t *c1 = board_file(board, "cfg1_bulk.bin", &l1);
	uint8_t *c2 = board_file(board, "cfg2_bulk.bin", &l2);
	uint8_t id[3];
	int32_t ack = -16;

	ck_assert_ptr_nonnull(c2);
	ck_assert_int_eq(send_cfg(d, c1, l1), 0);
	ck_assert_int_eq(vin(d, 0x26, id, 3, &n), USB_SIM_OK);
	ck_assert_uint_eq(n, 3);
	if (spi_erase >= 0 || mode >= 0)
		patch_cfg2(c2, l2, spi_erase, mode);
	ck_assert_int_eq(send_cfg(d, c2, l2), 0);
	ck_assert_int_eq(vout(d, 0x11, 0, NULL, 0), USB_SIM_OK);
	for (int i = 0; i < 60 && ack; i++) {
		uint8_t b[4];

		if (vin(d, 0x10, b, 4, &n) == USB_SIM_OK)
			ack = (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 |
					(uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
	}
	ck_assert_int_eq(ack, 0);
	free(c1);
	free(c2);
	return (uint32_t)id[0] | (uint32_t)id[1] << 8 | (uint32_t)id[2] << 16;
}

static void write_cmd(uint8_t cmd[40], uint64_t off, uint64_t len, uint32_t ops, uint32_t crc)
{
	memset(cmd, 0, 40);
	put64(cmd + 8, off);
	put64(cmd + 16, len);
	put32(cmd + 24, ops);
	put32(cmd + 28, crc);
}

/* GET_ACK after a busy operation: EP0 NAKs meanwhile, so a timeout means "ask again". */
static int32_t wait_ack(struct dev *d)
{
	for (int i = 0; i < 60; i++) {
		uint8_t b[4];
		size_t n = 0;

		if (vin(d, 0x10, b, 4, &n) == USB_SIM_OK)
			return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 |
					 (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
	}
	ck_abort_msg("GET_ACK never answered");
	return 1;
}

/* WRITE, bulk, GET_ACK; the ack. */
static int32_t write_chunk(struct dev *d, uint64_t off, const uint8_t *p, size_t len)
{
	uint8_t cmd[40];

	write_cmd(cmd, off, len, 0x00060000, ingenic_sim_crc32(p, len));
	ck_assert_int_eq(vout(d, 0x12, 0, cmd, 40), USB_SIM_OK);
	bulk_out_all(d, p, len);
	return wait_ack(d);
}

/* READ, GET_CRC, bulk IN, GET_ACK; the device's CRC in *crc. */
static void read_chunk(struct dev *d, uint64_t off, uint8_t *p, size_t len, uint32_t *crc)
{
	uint8_t cmd[40], r[8];
	size_t n = 0, got = 0;

	write_cmd(cmd, off, len, 0x00060000, 0);
	ck_assert_int_eq(vout(d, 0x13, 0, cmd, 40), USB_SIM_OK);
	ck_assert_int_eq(vin(d, 0x19, r, 8, &n), USB_SIM_OK);
	ck_assert_uint_eq(n, 8);
	ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0);
	*crc = (uint32_t)r[4] | (uint32_t)r[5] << 8 | (uint32_t)r[6] << 16 | (uint32_t)r[7] << 24;
	while (got < len) {
		n = 0;
		ck_assert_int_eq(usb_sim_bulk_in(d->sim, 0x81, p + got, len - got, &n, BULK_TIMEOUT),
				 USB_SIM_OK);
		ck_assert_uint_gt(n, 0);
		got += n;
	}
	ck_assert_int_eq(get_ack(d), 0);
}

static uint8_t *random_bytes(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n);
	uint64_t s = 0x9E3779B97F4A7C15ull * (seed + 1);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		p[i] = (uint8_t)s;
	}
	return p;
}

/* An initial flash image file: random "old firmware". */
static void old_image(char path[64], uint8_t **contents)
{
	*contents = random_bytes(16 * MIB, 7);
	tu_tmpfile(path, 64);
	tu_write_file(path, *contents, 16 * MIB);
}

/* -------------------------------------------------------------- the ROM */

START_TEST(rom_descriptors_and_requests)
{
	struct dev d;
	struct usb_sim_device desc;
	char id[9];
	uint8_t b[8];
	size_t n;

	dev_open(&d, "t20", NULL);
	ck_assert_int_eq(usb_sim_describe(d.sim, &desc), 0);
	ck_assert_uint_eq(desc.vid, 0xA108);
	ck_assert_uint_eq(desc.pid, 0xC309);
	ck_assert_uint_eq(desc.bcd_device, 0x0100);
	ck_assert_str_eq(desc.manufacturer, "Ingenic");
	ck_assert_str_eq(desc.serial, "");
	ck_assert_uint_eq(desc.ep_out, 0x01);
	ck_assert_uint_eq(desc.ep_in, 0x81);
	ck_assert_uint_eq(desc.max_packet, 512);
	cpu_info(&d, id);
	ck_assert_mem_eq(id, "T 2 0 V ", 8);
	/* The ROM has no FLUSH_CACHES nor START2, no burner requests. */
	ck_assert_int_eq(vout(&d, 0x03, 0, NULL, 0), USB_SIM_STALL);
	ck_assert_int_eq(vout(&d, 0x05, 0x80100000, NULL, 0), USB_SIM_STALL);
	ck_assert_int_eq(vin(&d, 0x10, b, 4, &n), USB_SIM_STALL);
	ck_assert_int_eq(vout(&d, 0x07, 0, NULL, 0), USB_SIM_STALL);
	/* Bulk before any SET_DATA_ADDRESS stalls; bulk IN never answers. */
	ck_assert_int_eq(usb_sim_bulk_out(d.sim, 0x01, b, 4, &n, SEC), USB_SIM_STALL);
	ck_assert_int_eq(usb_sim_bulk_in(d.sim, 0x81, b, 8, &n, SEC), USB_SIM_TIMEOUT);
	dev_close(&d);
	dev_unlink(&d);
}
END_TEST

START_TEST(t41_rom_says_t31)
{
	struct dev d;
	char id[9];

	dev_open(&d, "t41", NULL);
	cpu_info(&d, id);
	ck_assert_mem_eq(id, "T 3 1 V ", 8);
	dev_close(&d);
	dev_unlink(&d);
}
END_TEST

START_TEST(runner_bus_time_and_timeouts)
{
	struct dev d;
	uint8_t *p = calloc(1, MIB), b[8];
	uint64_t t0, dt;
	size_t n;

	ck_assert_ptr_nonnull(p);
	dev_open(&d, "t31", "rom-ns=0");
	ck_assert_int_eq(vout(&d, 0x01, 0x80100000, NULL, 0), USB_SIM_OK);
	t0 = usb_sim_now(d.sim);
	bulk_out_all(&d, p, MIB);
	dt = usb_sim_now(d.sim) - t0;
	/* 2048 packets of 512 bytes at 13 per microframe, plus one microframe. */
	ck_assert_uint_eq(dt, 2048 * (125000 / 13) + 125000);
	/* A device that will never answer: TIMEOUT at once without a limit. */
	t0 = usb_sim_now(d.sim);
	ck_assert_int_eq(usb_sim_bulk_in(d.sim, 0x81, b, 8, &n, UINT64_MAX), USB_SIM_TIMEOUT);
	ck_assert_uint_eq(usb_sim_now(d.sim), t0);
	ck_assert_int_eq(usb_sim_bulk_in(d.sim, 0x81, b, 8, &n, 3 * SEC), USB_SIM_TIMEOUT);
	ck_assert_uint_eq(usb_sim_now(d.sim), t0 + 3 * SEC);
	dev_close(&d);
	dev_unlink(&d);
	free(p);
}
END_TEST

START_TEST(bad_specs)
{
	char err[256] = "";

	ck_assert_ptr_null(usb_sim_open("t99", err, sizeof(err)));
	ck_assert_str_eq(err, "unknown USB emulator 't99' (known: t20, t31, t41, ch341a)");
	ck_assert_ptr_null(usb_sim_open("t31,bogus=1", err, sizeof(err)));
	ck_assert_str_eq(err, "t31 sim: unknown option 'bogus' (see sim/sim_ingenic.h)");
	ck_assert_ptr_null(usb_sim_open("t31,layout=16", err, sizeof(err)));
	ck_assert_str_eq(err, "t31 sim: layout=16: want 64 or 32");
	ck_assert_ptr_null(usb_sim_open("t31,pace=2", err, sizeof(err)));
	ck_assert_str_eq(err, "usb sim: pace=2: want 0 or 1");
}
END_TEST

/* --------------------------------------------------------------- booting */

START_TEST(boot_t20_vendor)
{
	struct dev d;
	char burner[9];
	uint64_t t0;

	dev_open(&d, "t20", NULL);
	t0 = usb_sim_now(d.sim);
	if (!boot(&d, "t20-vendor", 0x4000, burner)) {
		dev_close(&d);
		dev_unlink(&d);
		return;
	}
	ck_assert_mem_eq(burner, "BOOTx152", 8);
	/* ROM/SPL loads at 540 ns a byte, SPL 300 ms, stage 2 169 ms: about 0.7 s. */
	ck_assert_uint_gt(usb_sim_now(d.sim) - t0, 600 * MS);
	ck_assert_uint_lt(usb_sim_now(d.sim) - t0, 900 * MS);
	ck_assert_uint_eq(stage2(&d, "t20-vendor", -1, -1), 0xC84018);
	dev_close(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "spl_boots"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "stage2_boots"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "chip_erases"), 0);
	dev_unlink(&d);
}
END_TEST

START_TEST(boot_t20_with_too_long_d2i_hangs)
{
	struct dev d;
	size_t gl, sl, n;
	uint8_t *ginfo = board_file("t20-vendor", "ginfo.bin", &gl);
	uint8_t *spl = ginfo ? board_file("t20-vendor", "spl.bin", &sl) : NULL;
	char id[9];

	if (!spl) {
		free(ginfo);
		return;
	}
	dev_open(&d, "t20", NULL);
	load(&d, 0x80001000, ginfo, gl);
	load(&d, 0x80001800, spl, sl);
	ck_assert_int_eq(vout(&d, 0x02, 0x7000, NULL, 0), USB_SIM_OK);
	ck_assert_int_eq(vout(&d, 0x04, 0x80001800, NULL, 0), USB_SIM_OK);
	ck_assert_int_eq(vin(&d, 0x00, (uint8_t *)id, 8, &n), USB_SIM_TIMEOUT);
	dev_close(&d);
	ck_assert(tu_file_has(d.trace, "hang: d2i length beyond the I-cache"));
	dev_unlink(&d);
	free(ginfo);
	free(spl);
}
END_TEST

START_TEST(boot_without_ginfo_hangs)
{
	struct dev d;
	uint8_t spl[64] = { 0 };
	char id[9];
	size_t n;

	dev_open(&d, "t31", NULL);
	load(&d, 0x80001800, spl, sizeof(spl));
	ck_assert_int_eq(vout(&d, 0x02, 0x7000, NULL, 0), USB_SIM_OK);
	ck_assert_int_eq(vout(&d, 0x04, 0x80001800, NULL, 0), USB_SIM_OK);
	ck_assert_int_eq(vin(&d, 0x00, (uint8_t *)id, 8, &n), USB_SIM_TIMEOUT);
	dev_close(&d);
	ck_assert(tu_file_has(d.trace, "hang: no ginfo at 0x80001000"));
	dev_unlink(&d);
}
END_TEST

/* CAP-T41: boot, cfgs, INIT acked after ~472 ms, one 64 KiB READ. */
START_TEST(t41n_read_as_captured)
{
	struct dev d;
	char burner[9];
	uint8_t *p = malloc(64 * KIB), *img;
	char image[64], extra[128];
	uint32_t crc;

	ck_assert_ptr_nonnull(p);
	old_image(image, &img);
	snprintf(extra, sizeof(extra), "image=%s", image);
	dev_open(&d, "t41", extra);
	if (!boot(&d, "t41n-vendor", 0x7000, burner))
		goto out;
	ck_assert_mem_eq(burner, "X2580\0\0\0", 8);
	ck_assert_uint_eq(stage2(&d, "t41n-vendor", -1, -1), 0x0B4018);
	read_chunk(&d, 0, p, 64 * KIB, &crc);
	ck_assert_mem_eq(p, img, 64 * KIB);
	ck_assert_uint_eq(crc, ingenic_sim_crc32(img, 64 * KIB));
	ck_assert_int_eq(vout(&d, 0x16, 0, NULL, 0), USB_SIM_OK);
	{
		struct usb_sim_device desc;

		ck_assert_int_eq(usb_sim_describe(d.sim, &desc), -1);
	}
	dev_close(&d);
	/* spi_erase 1 does not erase at INIT on the T41 burner. */
	ck_assert_uint_eq(tu_stat(d.stats, "chip_erases"), 0);
	ck_assert_uint_eq(tu_stat(d.stats, "reboots"), 1);
	ck_assert(tu_files_equal(d.save, image));
	goto done;
out:
	dev_close(&d);
done:
	dev_unlink(&d);
	unlink(image);
	free(img);
	free(p);
}
END_TEST

/* ----------------------------------------------------- writing, prj008 */

static int t31_ready(struct dev *d, const char *extra, int spi_erase, int mode)
{
	char burner[9];

	dev_open(d, "t31", extra);
	if (!boot(d, "prj008", 0x7000, burner)) {
		dev_close(d);
		dev_unlink(d);
		return 0;
	}
	ck_assert_mem_eq(burner, "PRJ\0\0\0\0\0", 8);
	ck_assert_uint_eq(stage2(d, "prj008", spi_erase, mode), 0xEF7018);
	return 1;
}

START_TEST(t31_write_16m_verify_read_back)
{
	struct dev d;
	uint8_t *img = random_bytes(16 * MIB, 1), *back = malloc(MIB);
	uint64_t t0;

	ck_assert_ptr_nonnull(back);
	if (!t31_ready(&d, NULL, -1, -1))
		goto out;
	t0 = usb_sim_now(d.sim);
	ck_assert_int_eq(vout(&d, 0x02, 16 * MIB, NULL, 0), USB_SIM_OK);
	for (size_t off = 0; off < 16 * MIB; off += 64 * KIB)
		ck_assert_int_eq(write_chunk(&d, off, img + off, 64 * KIB), 0);
	/* 65536 pages at 400 us: 26 s of programming. */
	ck_assert_uint_gt(usb_sim_now(d.sim) - t0, 26 * SEC);
	for (size_t off = 0; off < 16 * MIB; off += MIB) {
		uint32_t crc;

		read_chunk(&d, off, back, MIB, &crc);
		ck_assert_uint_eq(crc, ingenic_sim_crc32(img + off, MIB));
		ck_assert(memcmp(back, img + off, MIB) == 0);
	}
	dev_close(&d);
	{
		size_t n;
		uint8_t *saved = tu_read_file(d.save, &n);

		ck_assert_uint_eq(n, 16 * MIB);
		ck_assert(memcmp(saved, img, n) == 0);
		free(saved);
	}
	/* The bundled prj008 config has spi_erase 1: a chip erase at INIT. */
	ck_assert_uint_eq(tu_stat(d.stats, "chip_erases"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "bytes_written"), 16 * MIB);
	dev_unlink(&d);
out:
	free(img);
	free(back);
}
END_TEST

/* Each erase setting, with a 64 KiB write at `at`; what survives elsewhere. */
static void erase_case(int spi_erase, int mode, uint32_t at, uint32_t keep_from,
		       uint32_t keep_to_or_zero)
{
	struct dev d;
	char image[64], extra[128];
	uint8_t *old, *data = random_bytes(64 * KIB, 3), *saved;
	size_t n, bad = 0;

	old_image(image, &old);
	snprintf(extra, sizeof(extra), "image=%s", image);
	if (!t31_ready(&d, extra, spi_erase, mode))
		goto out;
	ck_assert_int_eq(write_chunk(&d, at, data, 64 * KIB), 0);
	dev_close(&d);
	saved = tu_read_file(d.save, &n);
	ck_assert_uint_eq(n, 16 * MIB);
	ck_assert(memcmp(saved + at, data, 64 * KIB) == 0);
	/* One assertion at the end: Check reports every assertion it passes. */
	for (size_t i = 0; i < n && !bad; i++) {
		int inside = i >= at && i < at + 64 * KIB;
		int kept = keep_to_or_zero ? (i < keep_from || i >= keep_to_or_zero) : 0;

		if (!inside && (kept ? saved[i] != old[i] : saved[i] != 0xFF))
			bad = i + 1;
	}
	ck_assert_msg(!bad, "0x%zx %s", bad - 1, bad - 1 < keep_from || bad - 1 >= keep_to_or_zero ?
		      "changed" : "not erased");
	free(saved);
	dev_unlink(&d);
out:
	unlink(image);
	free(old);
	free(data);
}

START_TEST(erase_chip_at_init)
{
	erase_case(1, -1, 0x100000, 0, 0);
}
END_TEST

START_TEST(erase_partition_mtd_mode)
{
	/* kernel: 0x280000 @ 0x40000; the rest of it is erased, all else kept. */
	erase_case(0, 0, 0x40000, 0x40000, 0x2C0000);
}
END_TEST

START_TEST(erase_range_mtd_d_mode)
{
	/* 32 KiB erase blocks: a write at 0x44000 erases 0x40000..0x58000. */
	erase_case(0, 2, 0x44000, 0x40000, 0x58000);
}
END_TEST

START_TEST(write_out_of_partition_and_bad_crc)
{
	struct dev d;
	uint8_t *data = random_bytes(64 * KIB, 4), cmd[40];

	if (!t31_ready(&d, "bad-crc=2", -1, -1))
		goto out;
	ck_assert_int_eq(write_chunk(&d, 16 * MIB - 32 * KIB, data, 64 * KIB), -5);
	/* The 2nd WRITE's data arrives with a bit flipped: DEBUG asks for the CRC check. */
	ck_assert_int_eq(write_chunk(&d, 0x100000, data, 64 * KIB), -22);
	ck_assert_int_eq(write_chunk(&d, 0x100000, data, 64 * KIB), 0);
	/* A command whose wLength is not 40 stalls. */
	memset(cmd, 0, sizeof(cmd));
	ck_assert_int_eq(vout(&d, 0x12, 0, cmd, 32), USB_SIM_STALL);
	dev_close(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "crc_errors"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "injected_bad_crcs"), 1);
	dev_unlink(&d);
out:
	free(data);
}
END_TEST

/* ----------------------------------------------------------------- faults */

START_TEST(config_first_or_the_burner_traps)
{
	struct dev d;
	uint8_t b[4];
	size_t n;

	dev_open(&d, "t31", "stage=burner");
	ck_assert_int_eq(vin(&d, 0x10, b, 4, &n), USB_SIM_TIMEOUT);
	ck_assert_int_eq(vin(&d, 0x00, b, 4, &n), USB_SIM_TIMEOUT);
	dev_close(&d);
	ck_assert(tu_file_has(d.trace, "hang: GET_ACK before any config"));
	dev_unlink(&d);
}
END_TEST

START_TEST(stall_and_timeout_faults)
{
	struct dev d;
	char id[9];
	size_t n;
	uint64_t t0;

	dev_open(&d, "t31", "stall=2,timeout=3");
	cpu_info(&d, id);
	ck_assert_int_eq(vin(&d, 0x00, (uint8_t *)id, 8, &n), USB_SIM_STALL);
	t0 = usb_sim_now(d.sim);
	ck_assert_int_eq(vin(&d, 0x00, (uint8_t *)id, 8, &n), USB_SIM_TIMEOUT);
	ck_assert_uint_eq(usb_sim_now(d.sim) - t0, CTRL_TIMEOUT);
	cpu_info(&d, id);
	dev_close(&d);
	ck_assert_uint_eq(tu_stat(d.stats, "injected_stalls"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "injected_timeouts"), 1);
	dev_unlink(&d);
}
END_TEST

START_TEST(bad_read_is_caught_by_the_host_crc)
{
	struct dev d;
	uint8_t *p = malloc(MIB);
	uint32_t crc;

	ck_assert_ptr_nonnull(p);
	if (!t31_ready(&d, "bad-read=1", -1, -1))
		goto out;
	read_chunk(&d, 0, p, MIB, &crc);
	ck_assert_uint_ne(ingenic_sim_crc32(p, MIB), crc);
	read_chunk(&d, 0, p, MIB, &crc);
	ck_assert_uint_eq(ingenic_sim_crc32(p, MIB), crc);
	dev_close(&d);
	dev_unlink(&d);
out:
	free(p);
}
END_TEST

START_TEST(disconnect_mid_write_then_rom_again)
{
	struct dev d;
	uint8_t *data = random_bytes(128 * KIB, 5), cmd[40], *saved;
	size_t actual = 0, n;
	struct usb_sim_device desc;
	char id[9];

	if (!t31_ready(&d, "disconnect=100000", 0, 2))
		goto out;
	ck_assert_int_eq(write_chunk(&d, 0, data, 64 * KIB), 0);
	write_cmd(cmd, 64 * KIB, 64 * KIB, 0x00060000, ingenic_sim_crc32(data + 64 * KIB, 64 * KIB));
	ck_assert_int_eq(vout(&d, 0x12, 0, cmd, 40), USB_SIM_OK);
	ck_assert_int_eq(usb_sim_bulk_out(d.sim, 0x01, data + 64 * KIB, 64 * KIB, &actual,
					  BULK_TIMEOUT), USB_SIM_GONE);
	ck_assert_uint_eq(actual, 100000 - 64 * KIB);
	ck_assert_int_eq(usb_sim_describe(d.sim, &desc), -1);
	ck_assert_int_eq(vin(&d, 0x00, (uint8_t *)id, 8, &n), USB_SIM_GONE);
	usb_sim_sleep(d.sim, 1100 * MS);
	ck_assert_int_eq(usb_sim_describe(d.sim, &desc), 0);
	cpu_info(&d, id);
	ck_assert_mem_eq(id, "T 3 1 V ", 8);
	dev_close(&d);
	saved = tu_read_file(d.save, &n);
	ck_assert(memcmp(saved, data, 64 * KIB) == 0);
	free(saved);
	ck_assert_uint_eq(tu_stat(d.stats, "disconnects"), 1);
	ck_assert_uint_eq(tu_stat(d.stats, "rom_boots"), 2);
	dev_unlink(&d);
out:
	free(data);
}
END_TEST

START_TEST(layout32_burner_reads_the_old_positions)
{
	struct dev d;
	uint8_t *data = random_bytes(4 * KIB, 6), cmd[40] = { 0 }, *saved;
	size_t n;

	if (!t31_ready(&d, "layout=32", 0, 2))
		goto out;
	put32(cmd + 8, 0x00060000);
	put32(cmd + 12, 0x200000);
	put32(cmd + 16, 4 * KIB);
	put32(cmd + 20, ingenic_sim_crc32(data, 4 * KIB));
	ck_assert_int_eq(vout(&d, 0x12, 0, cmd, 40), USB_SIM_OK);
	bulk_out_all(&d, data, 4 * KIB);
	ck_assert_int_eq(get_ack(&d), 0);
	dev_close(&d);
	saved = tu_read_file(d.save, &n);
	ck_assert(memcmp(saved + 0x200000, data, 4 * KIB) == 0);
	free(saved);
	dev_unlink(&d);
out:
	free(data);
}
END_TEST

START_TEST(crc_check_value)
{
	ck_assert_uint_eq(ingenic_sim_crc32((const uint8_t *)"123456789", 9), 0x340BC6D9);
	ck_assert_uint_eq(ingenic_sim_crc32(NULL, 0), 0xFFFFFFFF);
}
END_TEST

static Suite *ingenic_suite(void)
{
	Suite *s = suite_create("sim_ingenic");
	TCase *rom = tcase_create("rom"), *b = tcase_create("boot"), *w = tcase_create("write"),
	      *f = tcase_create("faults");

	tcase_add_test(rom, rom_descriptors_and_requests);
	tcase_add_test(rom, t41_rom_says_t31);
	tcase_add_test(rom, runner_bus_time_and_timeouts);
	tcase_add_test(rom, bad_specs);
	tcase_add_test(rom, crc_check_value);
	tcase_add_test(b, boot_t20_vendor);
	tcase_add_test(b, boot_t20_with_too_long_d2i_hangs);
	tcase_add_test(b, boot_without_ginfo_hangs);
	tcase_add_test(b, t41n_read_as_captured);
	tcase_set_timeout(w, 120);
	tcase_add_test(w, t31_write_16m_verify_read_back);
	tcase_add_test(w, erase_chip_at_init);
	tcase_add_test(w, erase_partition_mtd_mode);
	tcase_add_test(w, erase_range_mtd_d_mode);
	tcase_add_test(w, write_out_of_partition_and_bad_crc);
	tcase_add_test(w, layout32_burner_reads_the_old_positions);
	tcase_set_timeout(f, 60);
	tcase_add_test(f, config_first_or_the_burner_traps);
	tcase_add_test(f, stall_and_timeout_faults);
	tcase_add_test(f, bad_read_is_caught_by_the_host_crc);
	tcase_add_test(f, disconnect_mid_write_then_rom_again);
	suite_add_tcase(s, rom);
	suite_add_tcase(s, b);
	suite_add_tcase(s, w);
	suite_add_tcase(s, f);
	return s;
}

int main(void)
{
	return tu_main(ingenic_suite());
}
