/* SPDX-License-Identifier: MIT */
/*
 * w800-xmodem end to end against sim:w800 and sim:w600 (sim/sim_w800.h), in
 * model time but for the pty case: what a user sees (stdout, the one error
 * line, the exit status) and what the chip ends up holding (save=), and the
 * frames on the wire (rx=) against ../shared/notes/uart-chips.md §3.2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "ser2net.h"
#include "testutil.h"
#include "ttyview.h"

#define PROG "w800-xmodem"
#define FLASH (2u << 20)

struct files {
	char sb[64], app[64], sbimg[64], appimg[64], fls[64], flash[64], save[64], stats[64],
	     rx[64], out[64];
};

static struct files f;
static char stub[4096];
static int have_stub;

static void run(struct tu_run *r, const char *const *argv)
{
	tu_run(r, PROG, NULL, NULL, argv);
}

static void expect_ok(struct tu_run *r)
{
	ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
}

/* secboot (header 0x2000, code 0x2100) and an app (header 0x10000, code 0x10400) as a .fls. */
static void make_images(void)
{
	struct tu_run r;
	size_t a, b;
	uint8_t *sb, *app, *both;

	tu_random_file(f.sb, 5000, 1);
	tu_random_file(f.app, 300001, 2);
	run(&r, (const char *const[]){ "pack", f.sb, "--header-address", "0x8002000", "--run-address",
				       "0x8002100", "--attr", "0", "-o", f.sbimg, NULL });
	expect_ok(&r);
	tu_run_free(&r);
	run(&r, (const char *const[]){ "pack", f.app, "--address", "0x10400", "--attr", "1", "-o",
				       f.appimg, NULL });
	expect_ok(&r);
	tu_run_free(&r);
	sb = tu_read_file(f.sbimg, &a);
	app = tu_read_file(f.appimg, &b);
	both = malloc(a + b);
	memcpy(both, sb, a);
	memcpy(both + a, app, b);
	tu_write_file(f.fls, both, a + b);
	free(sb);
	free(app);
	free(both);
}

static void setup(void)
{
	char *paths[] = { f.sb, f.app, f.sbimg, f.appimg, f.fls, f.flash, f.save, f.stats, f.rx,
			  f.out };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		tu_tmpfile(paths[i], 64);
	make_images();
	tu_random_file(f.flash, FLASH, 3);
	have_stub = tu_shared("w800/W800_Stub.bin", stub, sizeof(stub)) != NULL;
}

static void teardown(void)
{
	char *paths[] = { f.sb, f.app, f.sbimg, f.appimg, f.fls, f.flash, f.save, f.stats, f.rx,
			  f.out };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		unlink(paths[i]);
}

/*
 * The W800 starts with f.flash (random: no secboot, so ESC finds the ROM);
 * with "boot=secboot", and the W600 (1 MiB), with the emulator's own,
 * which holds a secboot.
 */
static const char *spec(char *buf, size_t len, const char *model, const char *more)
{
	int w800 = strcmp(model, "w800") == 0 && !strstr(more, "boot=secboot") &&
		   !strstr(more, "flash=");

	snprintf(buf, len, "sim:%s,%s%s%ssave=%s,stats=%s,rx=%s%s%s", model, w800 ? "image=" : "",
		 w800 ? f.flash : "", w800 ? "," : "", f.save, f.stats, f.rx, more[0] ? "," : "",
		 more);
	return buf;
}

/* The flash at [at, at + len) holds the file's bytes from skip on. */
static void flash_holds(const char *file, size_t skip, size_t at, size_t len)
{
	size_t flen, ilen;
	uint8_t *flash = tu_read_file(f.save, &flen);
	uint8_t *img = tu_read_file(file, &ilen);

	ck_assert_uint_le(skip + len, ilen);
	ck_assert_uint_le(at + len, flen);
	ck_assert_msg(memcmp(flash + at, img + skip, len) == 0, "flash at 0x%zx differs from %s",
		      at, file);
	free(flash);
	free(img);
}

static void flash_erased(size_t at, size_t len)
{
	size_t flen;
	uint8_t *flash = tu_read_file(f.save, &flen);

	for (size_t i = at; i < at + len; i++)
		ck_assert_msg(flash[i] == 0xFF, "0x%zx is 0x%02x, not erased", i, flash[i]);
	free(flash);
}

static void flash_unchanged(size_t at, size_t len)
{
	flash_holds(f.flash, at, at, len);
}

/* ---- detect ---- */

START_TEST(detect_rom)
{
	struct tu_run r;
	char p[512];

	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "mac=02:11:22:33:44:55"),
				       "detect", NULL });
	expect_ok(&r);
	ck_assert_msg(strstr(r.out, "chip:      W800\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "stage:     ROM (prompt 'C')\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "mac:       02:11:22:33:44:55\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "flash:     id C8 15, 2048 KiB\n"), "%s", r.out);
	tu_run_free(&r);
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "flash=4M"), "detect",
				       "--json", NULL });
	expect_ok(&r);
	ck_assert_str_eq(r.out, "{\"chip\":\"W800\",\"stage\":\"ROM\",\"prompt\":\"C\","
			 "\"rom_version\":\"R:8\",\"secondary_loader\":false,"
			 "\"mac\":\"28:6D:CD:00:08:00\",\"flash_id\":\"c816\","
			 "\"flash_size\":4194304}\n");
	tu_run_free(&r);
}
END_TEST

START_TEST(detect_secboot_w600_w806)
{
	struct tu_run r;
	char p[512];

	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "boot=secboot"),
				       "--chip", "w800", "detect", NULL });
	expect_ok(&r);
	ck_assert_msg(strstr(r.out, "stage:     secboot (prompt 'C')\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "flash:     unknown (only the ROM answers QFID)\n"), "%s", r.out);
	tu_run_free(&r);
	/* A W600 without secboot: its ROM prompts 'P' (notes §3.1). */
	run(&r, (const char *const[]){ "-p", "sim:w600,bootpin=1", "detect", NULL });
	expect_ok(&r);
	ck_assert_msg(strstr(r.out, "chip:      W600\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "stage:     ROM (prompt 'P')\n"), "%s", r.out);
	tu_run_free(&r);
	run(&r, (const char *const[]){ "-p", "sim:w800,w806=1", "detect", NULL });
	expect_ok(&r);
	ck_assert_msg(strstr(r.out, "chip:      W800 (W806 secondary downloader passed)\n"), "%s",
		      r.out);
	ck_assert_msg(strstr(r.out, "stage:     ROM"), "%s", r.out);
	tu_run_free(&r);
}
END_TEST

/* Nothing answers: one "reset the chip now", then the BOOT-pin hint, exit 3. */
START_TEST(no_prompt)
{
	struct tu_run r;

	run(&r, (const char *const[]){ "-q", "-p", "sim:w800,firmware=none,boot=secboot",
				       "--timeout", "20", "detect", NULL });
	/* the one hint while it waits, then the one error */
	ck_assert_int_eq(r.status, 3);
	ck_assert_str_eq(r.err, PROG ": warning: reset the chip now (no download prompt on "
			 "sim:w800 yet)\n" PROG ": sim:w800: serial sync timeout: no download "
			 "prompt in 20 s; hold the chip's BOOT pin low while you reset it (W600: "
			 "pin 13 to GND at power-on), or give --reset\n");
	tu_run_free(&r);
}
END_TEST

/* ---- write ---- */

START_TEST(write_fls_in_rom)
{
	struct tu_run r;
	char p[512];

	if (!have_stub)
		return;
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", ""), "--stub", stub, "-v",
				       "write", f.fls, NULL });
	expect_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "link at 2000000 baud"));
	ck_assert_ptr_nonnull(strstr(r.err, "wrote "));
	ck_assert_ptr_nonnull(strstr(r.err, ", verified"));
	flash_holds(f.sbimg, 0, 0x2000, 64);
	flash_holds(f.sbimg, 64, 0x2100, 5000);
	flash_holds(f.appimg, 0, 0x10000, 64);
	flash_holds(f.appimg, 64, 0x10400, 300001);
	flash_unchanged(0, 0x2000);
	ck_assert_uint_eq(tu_stat(f.stats, "images_ok"), 3);  /* two images and the stub */
	tu_run_free(&r);
}
END_TEST

START_TEST(write_img_and_raw_in_secboot)
{
	struct tu_run r;
	char p[512];

	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "boot=secboot"), "--chip",
				       "w800", "--no-verify", "write", f.appimg, NULL });
	expect_ok(&r);
	flash_holds(f.appimg, 64, 0x10400, 300001);
	tu_run_free(&r);
	/* The raw binary gets the header pack would give it, and lands at --address. */
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "boot=secboot"), "--chip",
				       "w800", "--no-verify", "write", f.app, "--address",
				       "0x80d0400", NULL });
	expect_ok(&r);
	flash_holds(f.app, 0, 0xd0400, 300001);
	flash_holds(f.appimg, 0, 0xd0000, 4);  /* the magic */
	tu_run_free(&r);
}
END_TEST

/* In the ROM the stub reads it back; in secboot nothing can, which is said. */
START_TEST(write_in_secboot_and_rom)
{
	struct tu_run r;
	char p[512];

	if (!have_stub)
		return;
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "boot=secboot"), "--stub",
				       stub, "--chip", "w800", "write", f.app, "--address",
				       "0x80d0400", NULL });
	expect_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "the chip runs secboot, which does not run the RAM "
				     "stub: the write is not verified"));
	flash_holds(f.app, 0, 0xd0400, 300001);
	tu_run_free(&r);
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "boot=secboot,bootpin=1"),
				       "--stub", stub, "--force-bootloader", "write", f.fls, NULL });
	expect_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.err, ", verified"));
	tu_run_free(&r);
	/*
	 * A W600 image to a W800 whose secboot does not say which it is: the
	 * chip refuses it, and its words are quoted.
	 */
	run(&r, (const char *const[]){ "--chip", "w600", "pack", f.app, "--address", "0x8010100",
				       "-o", f.out, NULL });
	expect_ok(&r);
	tu_run_free(&r);
	run(&r, (const char *const[]){ "-q", "-p", spec(p, sizeof(p), "w800", "boot=secboot"),
				       "write", f.out, NULL });
	tu_assert_one_error(&r, PROG, 2, "sim:w800: the chip refused the image: \"update error: "
			    "bad header crc\"");
	tu_run_free(&r);
}
END_TEST

START_TEST(write_w600)
{
	struct tu_run r;
	char p[512];

	/* A W600 .img (56-byte header) for its secboot; the W600 cannot read back. */
	run(&r, (const char *const[]){ "--chip", "w600", "pack", f.app, "--address", "0x8010100",
				       "-o", f.out, NULL });
	expect_ok(&r);
	tu_run_free(&r);
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w600", "flash=1M,restart-ms=100"),
				       "--chip", "w600", "write", f.out, NULL });
	expect_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "the W600 ROM cannot read its flash back: the write "
				     "is not verified"));
	tu_run_free(&r);
}
END_TEST

/* The link corrupts above 921600: 2000000 and 1000000 fail, 921600 holds, and it verifies. */
START_TEST(baud_fallback)
{
	struct tu_run r;
	char p[512];

	if (!have_stub)
		return;
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "corrupt-above=921600"),
				       "--stub", stub, "-v", "write", f.fls, NULL });
	expect_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "the link does not hold at 2000000 baud"));
	ck_assert_ptr_nonnull(strstr(r.err, "the link does not hold at 1000000 baud"));
	ck_assert_ptr_nonnull(strstr(r.err, "link at 921600 baud"));
	ck_assert_ptr_nonnull(strstr(r.err, ", verified"));
	flash_holds(f.appimg, 64, 0x10400, 300001);
	tu_run_free(&r);
}
END_TEST

/* Bytes flipped and lost both ways: XMODEM and the CRC-checked reads still end verified. */
START_TEST(faults_still_verify)
{
	struct tu_run r;
	char p[512];

	if (!have_stub)
		return;
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800",
				       "flip=20,drop=20,seed=7"), "--stub", stub, "-B", "921600",
				       "write", f.fls, NULL });
	expect_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.err, ", verified"));
	ck_assert_uint_gt(tu_stat(f.stats, "flips") + tu_stat(f.stats, "drops"), 0);
	ck_assert_uint_gt(tu_stat(f.stats, "blocks_nak"), 0);
	flash_holds(f.appimg, 64, 0x10400, 300001);
	tu_run_free(&r);
}
END_TEST

/* ---- read, verify ---- */

START_TEST(read_through_stub)
{
	struct tu_run r;
	char p[512];
	size_t len;
	uint8_t *got, *want;

	if (!have_stub)
		return;
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", ""), "--stub", stub,
				       "read", "-o", f.out, NULL });
	expect_ok(&r);
	ck_assert(tu_files_equal(f.out, f.flash));
	tu_run_free(&r);
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", ""), "--stub", stub,
				       "read", "--offset", "0x1fe000", "--length", "5000", NULL });
	ck_assert_int_eq(r.status, 0);  /* stdout is a pipe: the data goes there */
	ck_assert_uint_eq(r.outlen, 5000);
	want = tu_read_file(f.flash, &len);
	got = (uint8_t *)r.out;
	ck_assert_int_eq(memcmp(got, want + 0x1fe000, 5000), 0);
	free(want);
	tu_run_free(&r);
}
END_TEST

/*
 * Bytes from the chip reach the host late (a USB-UART's latency timer, a
 * network hop): the stub's next 'C' prompt, sent before our frame got
 * there, comes in ahead of the reply.
 */
START_TEST(read_through_a_late_adapter)
{
	struct tu_run r;
	char p[512];
	size_t len;
	uint8_t *want;

	if (!have_stub)
		return;
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "latency=25"), "--stub",
				       stub, "read", "--length", "64K", NULL });
	expect_ok(&r);
	ck_assert_uint_eq(r.outlen, 64 * 1024);
	want = tu_read_file(f.flash, &len);
	ck_assert_int_eq(memcmp(r.out, want, 64 * 1024), 0);
	free(want);
	tu_run_free(&r);
}
END_TEST

START_TEST(verify_mismatch)
{
	struct tu_run r;
	char p[512];

	if (!have_stub)
		return;
	/* The flash holds random bytes, not the image. */
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", ""), "--stub", stub,
				       "verify", f.fls, NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "verify failed"));
	tu_run_free(&r);
}
END_TEST

/* ---- erase, mac, reboot ---- */

START_TEST(erase_forms)
{
	struct tu_run r;
	char p[512];

	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", ""), "erase", "--offset",
				       "0x1f000", "--length", "0x22000", NULL });
	expect_ok(&r);
	flash_unchanged(0, 0x1f000);
	flash_erased(0x1f000, 0x22000);
	flash_unchanged(0x41000, FLASH - 0x41000);
	tu_run_free(&r);
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", ""), "erase", "--all",
				       "--force-bootloader", NULL });
	expect_ok(&r);
	flash_unchanged(0, 0x2000);
	flash_erased(0x2000, FLASH - 0x2000);
	tu_run_free(&r);
}
END_TEST

START_TEST(mac_set_and_read)
{
	struct tu_run r;

	run(&r, (const char *const[]){ "-p", "sim:w800", "mac", NULL });
	expect_ok(&r);
	ck_assert_str_eq(r.out, "28:6D:CD:00:08:00\n");
	tu_run_free(&r);
	run(&r, (const char *const[]){ "-p", "sim:w800", "mac", "--set", "02:AB:cd:00:00:01", NULL });
	expect_ok(&r);
	ck_assert_str_eq(r.out, "02:AB:CD:00:00:01\n");
	tu_run_free(&r);
}
END_TEST

/* ---- entry ---- */

/* wm_tool's "-rs rts" sequence resets the chip; ESC then catches its ROM. */
START_TEST(entry_by_reset_and_by_hand)
{
	struct tu_run r;
	char p[512], trace[96];

	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "firmware=none"),
				       "--reset", "dtr=0,rts=1,50ms,dtr=1,rts=0,50ms,dtr=0", "detect",
				       NULL });
	expect_ok(&r);
	ck_assert_msg(strstr(r.out, "stage:     ROM (prompt 'C')\n"), "%s", r.out);
	ck_assert_msg(!strstr(r.err, "AT+Z"), "%s", r.err);
	tu_run_free(&r);
	/* Opening a tty asserts DTR and RTS; RTS wired to reset would hold the chip there. */
	snprintf(trace, sizeof(trace), "trace=%s", f.out);
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", trace), "detect", NULL });
	expect_ok(&r);
	ck_assert(tu_file_has(f.out, "line raw\nmodem dtr=0\nmodem rts=0\n"));
	tu_run_free(&r);
	/* By hand: said at once, then ESC until the user's reset lets the ROM answer. */
	run(&r, (const char *const[]){ "-p", "sim:w800,power-delay=3000", "--entry", "manual",
				       "detect", NULL });
	expect_ok(&r);
	ck_assert_msg(strstr(r.err, "reset the chip now"), "%s", r.err);
	tu_run_free(&r);
}
END_TEST

/* ---- pack ---- */

/* notes §3.4: the stub's own fields over its body give the stub's header, byte for byte. */
START_TEST(pack_rebuilds_the_stub_header)
{
	struct tu_run r;
	uint8_t whole[8192];
	gzFile gz;
	int n;
	size_t len;
	uint8_t *packed;

	if (!have_stub)
		return;
	gz = gzopen(stub, "rb");
	ck_assert_ptr_nonnull(gz);
	n = gzread(gz, whole, sizeof(whole));
	gzclose(gz);
	ck_assert_int_eq(n, 3140);
	tu_write_file(f.sb, whole + 64, (size_t)n - 64);
	run(&r, (const char *const[]){ "pack", f.sb, "--attr", "0x200", "--run-address",
				       "0x20004000", "--header-address", "0x20004000",
				       "--upgrade-address", "0", "--upd-no", "0", "--image-version",
				       "1.0.01\n", "-o", f.out, NULL });
	expect_ok(&r);
	packed = tu_read_file(f.out, &len);
	ck_assert_uint_eq(len, (size_t)n);
	ck_assert_mem_eq(packed, whole, 64);
	ck_assert_mem_eq(packed + 64, whole + 64, (size_t)n - 64);
	free(packed);
	tu_run_free(&r);
}
END_TEST

/* No reboot frame: an RTS pulse resets the chip (wm_tool's -rs rts wiring). */
START_TEST(reboot_pulses_rts)
{
	struct tu_run r;
	char p[512], trace[96];

	snprintf(trace, sizeof(trace), "trace=%s", f.out);
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", trace), "reboot", NULL });
	expect_ok(&r);
	ck_assert(tu_file_has(f.out, "modem rts=1\nheld\nmodem rts=0\nreset\n"));
	ck_assert_uint_eq(tu_stat(f.stats, "frames_ok"), 0);
	tu_run_free(&r);
}
END_TEST

/* ---- the frames on the wire (notes §3.2) ---- */

static int holds(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return 1;
	return 0;
}

#define FRAME(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static void wire_has(const uint8_t *rx, size_t n, const char *what, const uint8_t *frame,
		     size_t len)
{
	ck_assert_msg(holds(rx, n, frame, len), "no %s frame on the wire", what);
}

START_TEST(golden_frames)
{
	struct tu_run r;
	char p[512];
	size_t n;
	uint8_t *rx;

	if (!have_stub)
		return;
	/* detect, baud down the list, the stub read, 115200 at the end */
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "corrupt-above=460800"),
				       "--stub", stub, "read", "--length", "4K", "-o", f.out, NULL });
	expect_ok(&r);
	rx = tu_read_file(f.rx, &n);
	wire_has(rx, n, "ROM version", FRAME(0x21, 0x06, 0x00, 0x73, 0x0A, 0x3E, 0, 0, 0));
	wire_has(rx, n, "GET_MAC", FRAME(0x21, 0x06, 0x00, 0xEA, 0x2D, 0x38, 0, 0, 0));
	wire_has(rx, n, "QFID", FRAME(0x21, 0x06, 0x00, 0x1B, 0xE7, 0x3C, 0, 0, 0));
	wire_has(rx, n, "baud 2000000", FRAME(0x21, 0x0A, 0x00, 0xEF, 0x2A, 0x31, 0, 0, 0, 0x80,
					     0x84, 0x1E, 0x00));
	wire_has(rx, n, "baud 1000000", FRAME(0x21, 0x0A, 0x00, 0x5E, 0x3D, 0x31, 0, 0, 0, 0x40,
					     0x42, 0x0F, 0x00));
	wire_has(rx, n, "baud 921600", FRAME(0x21, 0x0A, 0x00, 0x5D, 0x50, 0x31, 0, 0, 0, 0x00,
					    0x10, 0x0E, 0x00));
	wire_has(rx, n, "baud 460800", FRAME(0x21, 0x0A, 0x00, 0x07, 0x00, 0x31, 0, 0, 0, 0x00,
					    0x08, 0x07, 0x00));
	wire_has(rx, n, "baud 115200", FRAME(0x21, 0x0A, 0x00, 0x97, 0x4B, 0x31, 0, 0, 0, 0x00,
					    0xC2, 0x01, 0x00));
	wire_has(rx, n, "stub read", FRAME(0x21, 0x0E, 0x00, 0xB5, 0x05, 0x4A, 0, 0, 0, 0x00, 0x00,
					  0x00, 0x08, 0x00, 0x10, 0x00, 0x00));
	free(rx);
	tu_run_free(&r);
	/* erase --all on a 2 MiB W800: sectors 2-15, then blocks 1-31 (BK's two frames) */
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", ""), "erase", "--all",
				       "--force-bootloader", NULL });
	expect_ok(&r);
	rx = tu_read_file(f.rx, &n);
	wire_has(rx, n, "secboot-area erase", FRAME(0x21, 0x0A, 0x00, 0x23, 0x36, 0x32, 0, 0, 0,
						   0x02, 0x00, 0x0E, 0x00));
	wire_has(rx, n, "64K-block erase", FRAME(0x21, 0x0A, 0x00, 0xE7, 0xA6, 0x32, 0, 0, 0, 0x01,
						0x80, 0x1F, 0x00));
	free(rx);
	tu_run_free(&r);
	/* W600: erase secboot, then the image area */
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w600", "bootpin=1,flash=1M"),
				       "--chip", "w600", "erase", "--all", "--force-bootloader", NULL });
	expect_ok(&r);
	rx = tu_read_file(f.rx, &n);
	wire_has(rx, n, "erase secboot", FRAME(0x21, 0x06, 0x00, 0xC7, 0x7C, 0x3F, 0, 0, 0));
	wire_has(rx, n, "W600 erase image", FRAME(0x21, 0x06, 0x00, 0x41, 0x45, 0x32, 0, 0, 0));
	free(rx);
	tu_run_free(&r);
}
END_TEST

/* ---- through a pty: the real termios code ---- */

START_TEST(pty_detect_and_write)
{
	struct tu_run r;
	char p[512];

	if (!have_stub)
		return;
	run(&r, (const char *const[]){ "-p", spec(p, sizeof(p), "w800", "pty"), "--stub", stub,
				       "-B", tu_pty_fast_rate(), "write", f.fls, NULL });
	expect_ok(&r);
	flash_holds(f.appimg, 64, 0x10400, 300001);
	tu_run_free(&r);
}
END_TEST

/*
 * A second command while the stub of a read still runs (the chip was not
 * reset in between): the stub prompts as the ROM does, and that is said.
 */
START_TEST(pty_second_run_finds_the_stub)
{
	struct tu_sim sim;
	struct tu_run r;
	char model[512], want[400];

	if (!have_stub)
		return;
	snprintf(model, sizeof(model), "w800,image=%s,save=%s", f.flash, f.save);
	tu_sim_start(&sim, model);
	run(&r, (const char *const[]){ "-p", sim.path, "--stub", stub, "-B", tu_pty_fast_rate(),
				       "read", "--length", "8K", "-o", f.out, NULL });
	expect_ok(&r);
	tu_run_free(&r);
	run(&r, (const char *const[]){ "-q", "-p", sim.path, "--stub", stub, "-B",
				       tu_pty_fast_rate(), "read", "--length", "8K", "-o", f.out,
				       NULL });
	tu_sim_stop(&sim);
	snprintf(want, sizeof(want), "%s: the W800 RAM stub of an earlier read or verify is still "
		 "running, and it answers only reads: reset the chip (or give --reset) and run "
		 "again", sim.path);
	tu_assert_one_error(&r, PROG, 3, want);
	tu_run_free(&r);
}
END_TEST

/* ---- through ser2net: raw TCP (its remote speed is fixed) and RFC 2217 ---- */

/*
 * read --length 64K through ser2net's raw or RFC 2217 accepter in front of
 * the emulator; the port's spec into spec. 0 when ser2net is missing.
 */
static int read_through_ser2net(struct tu_run *r, int rfc2217, char *port, size_t cap)
{
	struct tu_ser2net_sim box;
	char model[512];

	snprintf(model, sizeof(model), "w800,image=%s,save=%s,stats=%s", f.flash, f.save, f.stats);
	if (tu_ser2net_sim_start(&box, model))
		return 0;
	snprintf(port, cap, "%s", rfc2217 ? box.net.rfc2217_spec : box.net.raw_spec);
	run(r, (const char *const[]){ "-v", "-p", port, "--stub", stub, "read", "--length", "64K",
				      "-o", f.out, NULL });
	tu_ser2net_sim_stop(&box);
	expect_ok(r);
	flash_holds(f.out, 0, 0, 64 * 1024);
	return 1;
}

/* The chip is never told to switch to a rate the port cannot follow. */
START_TEST(raw_tcp_stays_at_115200)
{
	struct tu_run r;
	char port[64], want[256];

	if (!have_stub || !read_through_ser2net(&r, 0, port, sizeof(port)))
		return;
	snprintf(want, sizeof(want), "w800-xmodem: not switching to 2000000 baud: %s is a raw TCP "
		 "port at 115200 baud; it cannot switch", port);
	ck_assert_msg(strstr(r.err, want), "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "link at 115200 baud"));
	ck_assert_uint_eq(tu_stat(f.stats, "baud_changes"), 0);
	tu_run_free(&r);
}
END_TEST

/*
 * RFC 2217 follows the switch to 2 Mbaud; ser2net's hop delivers the stub's
 * 'C' prompts late, ahead of read replies (every read failed before).
 */
START_TEST(rfc2217_reads_at_full_speed)
{
	struct tu_run r;
	char port[64];

	/* the emulator follows the rate through the pty, which qemu-user cannot set */
	if (!have_stub || tu_skip_unless_pty_takes(2000000, "rfc2217_reads_at_full_speed") ||
	    !read_through_ser2net(&r, 1, port, sizeof(port)))
		return;
	ck_assert_ptr_nonnull(strstr(r.err, "link at 2000000 baud"));
	tu_run_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create(PROG);
	TCase *tc = tcase_create("end to end");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, detect_rom);
	tcase_add_test(tc, detect_secboot_w600_w806);
	tcase_add_test(tc, no_prompt);
	tcase_add_test(tc, write_fls_in_rom);
	tcase_add_test(tc, write_img_and_raw_in_secboot);
	tcase_add_test(tc, write_in_secboot_and_rom);
	tcase_add_test(tc, write_w600);
	tcase_add_test(tc, baud_fallback);
	tcase_add_test(tc, faults_still_verify);
	tcase_add_test(tc, read_through_stub);
	tcase_add_test(tc, read_through_a_late_adapter);
	tcase_add_test(tc, verify_mismatch);
	tcase_add_test(tc, erase_forms);
	tcase_add_test(tc, mac_set_and_read);
	tcase_add_test(tc, reboot_pulses_rts);
	tcase_add_test(tc, entry_by_reset_and_by_hand);
	tcase_add_test(tc, pack_rebuilds_the_stub_header);
	tcase_add_test(tc, golden_frames);
	tcase_add_test(tc, pty_detect_and_write);
	tcase_add_test(tc, pty_second_run_finds_the_stub);
	tcase_add_test(tc, raw_tcp_stays_at_115200);
	tcase_add_test(tc, rfc2217_reads_at_full_speed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
