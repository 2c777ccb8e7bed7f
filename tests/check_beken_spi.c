/* SPDX-License-Identifier: MIT */
/*
 * beken-spi end to end: the program run as a user runs it, against the
 * emulated chip, straight on the SPI layer (case "sim") and behind the
 * emulated CH341A (case "ch341a"). Each test checks what the user sees (exit
 * status, message, stdout) and what the chip holds afterwards (the
 * emulator's save= file and its own counters).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "bekentest.h"
#include "testutil.h"

#define FLASH_SIZE (2u * 1024 * 1024)
#define DUMP_T "beken/bk7231t-mirabella-genio-plug-dump.bin"
#define DUMP_N "beken/bk7231n-lspa9-dump.bin"

/* A chip: its flash file (image= and save=), a state file and a stats file. */
struct chip {
	char flash[64], state[64], stats[64], spec[512];
};

static void random_image(uint8_t *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

/* A flash file holding the shared dump, or a generated image without it. */
static void flash_file(char *path, size_t len, const char *dump, uint32_t seed)
{
	char shared[512];
	uint8_t *buf;

	tu_tmpfile(path, len);
	if (dump && tu_shared(dump, shared, sizeof(shared))) {
		size_t n;

		buf = tu_read_file(shared, &n);
		ck_assert_uint_eq(n, FLASH_SIZE);
	} else {
		buf = malloc(FLASH_SIZE);
		ck_assert_ptr_nonnull(buf);
		random_image(buf, FLASH_SIZE, seed);
	}
	tu_write_file(path, buf, FLASH_SIZE);
	free(buf);
}

/* The chip's spec: extra, more of its options; adapter, the CH341A's own (NULL over sim). */
static void chip_spec(struct chip *c, const char *model, const char *extra, const char *adapter)
{
	char opts[400];

	snprintf(opts, sizeof(opts), "image=%s,save=%s,state=%s,stats=%s%s%s", c->flash, c->flash,
		 c->state, c->stats, extra ? "," : "", extra ? extra : "");
	bt_spec(c->spec, sizeof(c->spec), model, opts, adapter);
}

static void chip_new_on(struct chip *c, const char *model, const char *dump, const char *extra,
			const char *adapter)
{
	flash_file(c->flash, sizeof(c->flash), dump, 1);
	tu_tmpfile(c->state, sizeof(c->state));
	unlink(c->state);
	tu_tmpfile(c->stats, sizeof(c->stats));
	chip_spec(c, model, extra, adapter);
}

static void chip_new(struct chip *c, const char *model, const char *dump, const char *extra)
{
	chip_new_on(c, model, dump, extra, NULL);
}

static void chip_free(struct chip *c)
{
	unlink(c->flash);
	unlink(c->state);
	unlink(c->stats);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const char *const no_config[] = { "XDG_CONFIG_HOME=/nonexistent", NULL };

static void beken(struct tu_run *r, const char *stdin_path, const char *const *argv)
{
	tu_run(r, "beken-spi", stdin_path, no_config, argv);
	bt_assert_no_speed_advice(r, argv);
}

/* The same where --speed is incidental: over the CH341A it runs without. */
static void beken_any_clock(struct tu_run *r, const char *stdin_path, const char *const *argv)
{
	const char *args[32];

	beken(r, stdin_path, bt_incidental_speed(args, 32, argv));
}

static void assert_error(const struct tu_run *r, int status, const char *text)
{
	ck_assert_msg(r->status == status, "exit %d, want %d; stderr: %s", r->status, status, r->err);
	ck_assert_msg(strstr(r->err, text) != NULL, "no '%s' in stderr: %s", text, r->err);
	ck_assert_msg(strncmp(r->err, "beken-spi: ", 11) == 0, "message not prefixed: %s", r->err);
	ck_assert_uint_eq(r->outlen, 0);
}

/* What the program says it did, from its summary line. */
struct counts {
	unsigned blocks, sectors, pages;
};

static struct counts reported(const struct tu_run *r)
{
	struct counts c = { 0, 0, 0 };
	const char *p = strstr(r->err, "erased ");

	p = p ? strstr(p + 1, "erased ") ? strstr(p + 1, "erased ") : p : NULL;
	ck_assert_msg(p && sscanf(p, "erased %u blocks and %u sectors, programmed %u pages",
				  &c.blocks, &c.sectors, &c.pages) == 3,
		      "no counts in: %s", r->err);
	return c;
}

static void assert_counts_agree(const struct tu_run *r, const struct chip *c)
{
	struct counts got = reported(r);

	ck_assert_uint_eq(got.blocks, tu_stat(c->stats, "block_erases"));
	ck_assert_uint_eq(got.sectors, tu_stat(c->stats, "sector_erases"));
	ck_assert_uint_eq(got.pages, tu_stat(c->stats, "page_programs"));
}

/*
 * [from, to) of got is want's, or erased (want NULL). One assertion, not one
 * a byte: each costs Check a write, and valgrind much more.
 */
static void assert_range(const uint8_t *got, const uint8_t *want, size_t from, size_t to,
			 const char *what)
{
	size_t i = from;

	while (i < to && got[i] == (want ? want[i] : 0xff))
		i++;
	ck_assert_msg(i == to, "0x%06zx is not %s", i, what);
}

static void assert_untouched(const struct chip *c, const char *original)
{
	ck_assert_msg(tu_files_equal(c->flash, original), "the flash changed");
}

/* ---- must show 2: read | sha256sum gives the dump ---- */

START_TEST(read_gives_the_dump)
{
	char shared[512], opts[600], spec[700];
	struct tu_run r;
	size_t len;
	uint8_t *dump;

	if (!tu_shared(DUMP_N, shared, sizeof(shared)))
		return;
	snprintf(opts, sizeof(opts), "image=%s", shared);
	bt_spec(spec, sizeof(spec), "bk7231n", opts, NULL);
	beken(&r, NULL, ARGS("--spi", spec, "read"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	dump = tu_read_file(shared, &len);
	ck_assert_uint_eq(r.outlen, len);
	ck_assert(memcmp(r.out, dump, len) == 0);
	free(dump);
	tu_run_free(&r);
}
END_TEST

START_TEST(read_range_to_file)
{
	struct chip c;
	char out[64];
	struct tu_run r;
	uint8_t *all, *part;
	size_t n;

	chip_new(&c, "bk7231t", DUMP_T, NULL);
	tu_tmpfile(out, sizeof(out));
	beken_any_clock(&r, NULL, ARGS("--spi", c.spec, "--speed", "1M", "read", "-o", out,
			     "--offset", "0x11000", "--length", "8K"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_uint_eq(r.outlen, 0);
	all = tu_read_file(c.flash, &n);
	part = tu_read_file(out, &n);
	ck_assert_uint_eq(n, 8192);
	ck_assert(memcmp(part, all + 0x11000, 8192) == 0);
	free(all);
	free(part);
	tu_run_free(&r);
	unlink(out);
	chip_free(&c);
}
END_TEST

/* ---- must show 3: smart write ---- */

START_TEST(write_second_dump_over_first)
{
	struct chip c;
	char second[64];
	struct tu_run r;

	chip_new(&c, "bk7231n", DUMP_N, NULL);
	flash_file(second, sizeof(second), DUMP_T, 2);
	beken(&r, NULL, ARGS("--spi", c.spec, "write", second));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert(tu_files_equal(c.flash, second));
	assert_counts_agree(&r, &c);
	ck_assert_uint_gt(reported(&r).pages, 0);
	tu_run_free(&r);

	/* the same image again: nothing erased, nothing programmed */
	beken(&r, NULL, ARGS("--spi", c.spec, "write", second));
	ck_assert_msg(r.status == 0, "%s", r.err);
	assert_counts_agree(&r, &c);
	ck_assert_uint_eq(tu_stat(c.stats, "sector_erases") + tu_stat(c.stats, "block_erases") +
			  tu_stat(c.stats, "page_programs"), 0);
	ck_assert(tu_files_equal(c.flash, second));
	tu_run_free(&r);
	unlink(second);
	chip_free(&c);
}
END_TEST

static void one_byte_change(uint8_t (*change)(uint8_t), unsigned max_sectors)
{
	struct chip c;
	char image[64];
	struct tu_run r;
	uint8_t *buf;
	size_t n;
	const size_t at = 0x123456;

	chip_new(&c, "bk7231n", DUMP_N, NULL);
	buf = tu_read_file(c.flash, &n);
	tu_tmpfile(image, sizeof(image));
	buf[at] = change(buf[at]);
	tu_write_file(image, buf, n);
	beken(&r, NULL, ARGS("--spi", c.spec, "write", image));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert(tu_files_equal(c.flash, image));
	assert_counts_agree(&r, &c);
	ck_assert_uint_eq(tu_stat(c.stats, "block_erases"), 0);
	ck_assert_uint_le(tu_stat(c.stats, "sector_erases"), max_sectors);
	if (!max_sectors)
		ck_assert_uint_eq(tu_stat(c.stats, "page_programs"), 1);
	else
		ck_assert_uint_le(tu_stat(c.stats, "page_programs"), 16);
	free(buf);
	tu_run_free(&r);
	unlink(image);
	chip_free(&c);
}

static uint8_t clear_a_bit(uint8_t v)
{
	return v ? (uint8_t)(v & (v - 1)) : 0;
}

static uint8_t set_a_bit(uint8_t v)
{
	return v == 0xff ? 0x00 : (uint8_t)(v | (v + 1));
}

START_TEST(one_byte_change_programs_one_page)
{
	one_byte_change(clear_a_bit, 0);
}
END_TEST

START_TEST(one_byte_change_erases_one_sector)
{
	one_byte_change(set_a_bit, 1);
}
END_TEST

START_TEST(write_from_stdin_at_offset)
{
	struct chip c;
	char image[64];
	struct tu_run r;
	uint8_t data[5000], *flash;
	size_t n;

	chip_new(&c, "bk7252", NULL, NULL);
	random_image(data, sizeof(data), 7);
	tu_tmpfile(image, sizeof(image));
	tu_write_file(image, data, sizeof(data));
	beken(&r, image, ARGS("--spi", c.spec, "write", "-", "--offset", "0x11100"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	flash = tu_read_file(c.flash, &n);
	ck_assert(memcmp(flash + 0x11100, data, sizeof(data)) == 0);
	tu_run_free(&r);
	free(flash);
	unlink(image);
	chip_free(&c);
}
END_TEST

START_TEST(verify_matches_and_mismatches)
{
	struct chip c;
	char image[64];
	struct tu_run r;
	uint8_t *buf;
	size_t n;

	chip_new(&c, "bk7231n", NULL, NULL);
	beken(&r, NULL, ARGS("--spi", c.spec, "verify", c.flash));
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_free(&r);

	buf = tu_read_file(c.flash, &n);
	buf[0x20000] ^= 0x10;
	buf[0x30001] ^= 0x01;
	tu_tmpfile(image, sizeof(image));
	tu_write_file(image, buf, n);
	beken(&r, NULL, ARGS("--spi", c.spec, "verify", image));
	assert_error(&r, 1, "verify failed: 2 bytes differ, the first at 0x020000");
	free(buf);
	tu_run_free(&r);
	unlink(image);
	chip_free(&c);
}
END_TEST

START_TEST(erase_range_and_all)
{
	struct chip c;
	struct tu_run r;
	uint8_t *flash;
	size_t n;

	chip_new(&c, "bk7231n", NULL, NULL);
	beken(&r, NULL, ARGS("--spi", c.spec, "erase", "--offset", "0x100000", "--length", "68K"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	assert_counts_agree(&r, &c);
	ck_assert_uint_eq(tu_stat(c.stats, "block_erases"), 1);
	ck_assert_uint_eq(tu_stat(c.stats, "sector_erases"), 1);
	flash = tu_read_file(c.flash, &n);
	assert_range(flash, NULL, 0x100000, 0x111000, "erased");
	ck_assert_uint_ne(flash[0x111000] & flash[0x111001] & flash[0x111002], 0xff);
	free(flash);
	tu_run_free(&r);

	beken(&r, NULL, ARGS("--spi", c.spec, "erase", "--all", "--force-bootloader"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	flash = tu_read_file(c.flash, &n);
	assert_range(flash, NULL, 0, n, "erased");
	free(flash);
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

/* ---- must show 4: --speed auto under a clock limit ---- */

START_TEST(auto_speed_settles_below_maxclock)
{
	struct chip c;
	char second[64];
	struct tu_run r;

	chip_new(&c, "bk7231n", DUMP_N, "maxclock=3M,seed=5");
	flash_file(second, sizeof(second), DUMP_T, 3);
	beken(&r, NULL, ARGS("--spi", c.spec, "--speed", "auto", "write", second));
	ck_assert_msg(r.status == 0, "%s", r.err);
	/* the CH341A's 1.4 MHz is below the limit and nothing chooses another */
	if (!bt_fixed_clock())
		ck_assert_msg(strstr(r.err, "using 2 MHz (--speed auto)"), "%s", r.err);
	ck_assert(tu_files_equal(c.flash, second));
	tu_run_free(&r);
	unlink(second);
	chip_free(&c);
}
END_TEST

START_TEST(fixed_speed_above_maxclock_fails_verify_or_entry)
{
	struct chip c;
	char orig[64];
	struct tu_run r;

	chip_new(&c, "bk7231n", NULL, "maxclock=1M,seed=9");
	flash_file(orig, sizeof(orig), NULL, 1);
	beken(&r, NULL, ARGS("--spi", c.spec, "--speed", "10M", "read", "-o", "/dev/null"));
	if (bt_fixed_clock()) {
		bt_assert_clock_refused(&r, c.stats);
		tu_run_free(&r);
		/* its own 1.4 MHz is above the chip's 1 MHz */
		beken(&r, NULL, ARGS("--spi", c.spec, "read", "-o", "/dev/null"));
	}
	/* garbled replies: either the entry or the id check catches it */
	ck_assert_msg(r.status == 3 || r.status == 1, "exit %d: %s", r.status, r.err);
	tu_run_free(&r);
	assert_untouched(&c, orig);
	unlink(orig);
	chip_free(&c);
}
END_TEST

/* ---- must show 5: protection ---- */

static void protected_then_unprotect(const char *model, const char *sr)
{
	struct chip c;
	char orig[64], second[64];
	struct tu_run r;

	chip_new(&c, model, NULL, sr);
	flash_file(orig, sizeof(orig), NULL, 1);
	flash_file(second, sizeof(second), NULL, 4);
	beken(&r, NULL, ARGS("--spi", c.spec, "write", second));
	assert_error(&r, 1, "run 'beken-spi unprotect' first");
	assert_untouched(&c, orig);
	ck_assert_uint_eq(tu_stat(c.stats, "sector_erases") + tu_stat(c.stats, "block_erases"), 0);
	tu_run_free(&r);

	beken(&r, NULL, ARGS("--spi", c.spec, "detect"));
	ck_assert_msg(strstr(r.out, "protection: on"), "%s", r.out);
	tu_run_free(&r);

	beken(&r, NULL, ARGS("--spi", c.spec, "unprotect"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.err, "write protection cleared"), "%s", r.err);
	ck_assert_uint_ge(tu_stat(c.stats, "sr_writes"), 1);
	tu_run_free(&r);

	beken(&r, NULL, ARGS("--spi", c.spec, "unprotect"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.err, "not write-protected; nothing written"), "%s", r.err);
	ck_assert_uint_eq(tu_stat(c.stats, "sr_writes"), 0);
	tu_run_free(&r);

	beken(&r, NULL, ARGS("--spi", c.spec, "write", second));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert(tu_files_equal(c.flash, second));
	tu_run_free(&r);
	unlink(orig);
	unlink(second);
	chip_free(&c);
}

START_TEST(protected_bp_bits)
{
	protected_then_unprotect("bk7231t", "sr1=0x1c");
}
END_TEST

START_TEST(protected_cmp_bit)
{
	protected_then_unprotect("bk7231n", "sr2=0x40");
}
END_TEST

/* ---- must show 6: bad input leaves the flash untouched ---- */

struct bad_case {
	const char *extra;          /* emulator options */
	const char *const args[10]; /* after --spi SPEC */
	int status;
	const char *text;
	int before_device;          /* refused before the emulator is even created */
	int any_clock;              /* --speed is incidental: dropped over the CH341A */
	const char *ch341a_text;    /* what it says over the CH341A, where that differs */
};

#define CH341A_DEAD "no answer to 0xD2 after 10 tries at 1400 kHz; check CEN wiring on ch341a:d2"

static const struct bad_case bad_cases[] = {
	{ "dead", { "--speed", "1M", "write", "@IMAGE" }, 3,
	  "no answer to 0xD2 after 10 tries at 1 MHz; check CEN wiring on sim CEN", 0, 1,
	  CH341A_DEAD },
	{ "dead", { "detect" }, 3, "no answer to 0xD2 at any speed", 0, 0, CH341A_DEAD },
	{ "jedec=ffffff", { "--speed", "1M", "write", "@IMAGE" }, 3,
	  "flash id reads FF FF FF: check MISO (P23)", 0, 1, NULL },
	{ "jedec=000000", { "--speed", "1M", "detect" }, 3, "flash id reads 00 00 00", 0, 1, NULL },
	{ NULL, { "write", "@BIG" }, 2, "(4194304 bytes) is larger than the flash (2097152 bytes)", 0, 0, NULL },
	{ NULL, { "write", "@IMAGE", "--offset", "0x200000" }, 2,
	  "offset 0x200000 is past the end of the 2048 KiB flash", 0, 0, NULL },
	{ NULL, { "write", "@SMALL", "--offset", "0x1ff000" }, 2,
	  "ends at 0x201000, past the end of the flash (0x200000)", 0, 0, NULL },
	{ NULL, { "write", "@SMALL" }, 2,
	  "writing 0x000000-0x002000 would change the boot loader (0x0-0x11000); add --force-bootloader", 0, 0, NULL },
	{ NULL, { "write", "@SMALL", "--offset", "0x10000" }, 2, "would change the boot loader", 0, 0, NULL },
	{ NULL, { "erase", "--offset", "0x11800", "--length", "4K" }, 2,
	  "erase range 0x011800+0x1000 is not aligned to 4 KiB sectors", 1, 0, NULL },
	{ NULL, { "erase", "--offset", "0x12000", "--length", "100" }, 2, "not aligned", 1, 0, NULL },
	{ NULL, { "erase", "--offset", "0x12000" }, 2, "erase needs --offset N --length N, or --all", 1, 0, NULL },
	{ NULL, { "erase", "--all" }, 2, "erase --all also erases the boot loader", 0, 0, NULL },
	{ NULL, { "erase", "--all", "--offset", "0" }, 2, "erase needs --offset N --length N, or --all", 1, 0, NULL },
	{ NULL, { "erase", "--offset", "0x1f0000", "--length", "128K" }, 2, "past the end of the flash", 0, 0, NULL },
	{ NULL, { "write", "/nonexistent/image.bin" }, 2,
	  "cannot open image '/nonexistent/image.bin': No such file or directory", 1, 0, NULL },
	{ NULL, { "write", "/tmp" }, 2, "image '/tmp' is a directory", 1, 0, NULL },
	{ NULL, { "write", "@EMPTY" }, 2, "is empty", 1, 0, NULL },
	{ NULL, { "write" }, 2, "write takes FILE|-", 1, 0, NULL },
	{ NULL, { "frobnicate" }, 2, "unknown command 'frobnicate'", 1, 0, NULL },
	{ NULL, { "--speed", "fast", "detect" }, 2, "bad --speed 'fast'", 1, 0, NULL },
	{ NULL, { "--offset", "12Q", "read" }, 2, "bad --offset '12Q'", 1, 0, NULL },
	{ NULL, { "--cen", "gpiochip0:xyz", "detect" }, 2, "bad GPIO line 'gpiochip0:xyz'", 0, 0, NULL },
	{ NULL, { "--bogus", "detect" }, 2, "unknown option '--bogus'", 1, 0, NULL },
	{ "bogus=1", { "detect" }, 2, "bk72xx sim: unknown option 'bogus'", 0, 0, NULL },
	{ NULL, { "--spi", "foo:bar", "detect" }, 2,
	  "unknown SPI backend 'foo' in 'foo:bar': use spidev:/dev/spidevB.C[,speed=HZ][,mode=0|3], sim:MODEL", 1, 0, NULL },
	{ NULL, { "--spi", "spidev:", "--cen", "GPIO22", "detect" }, 2, "spidev needs a device", 1, 0, NULL },
	{ NULL, { "--spi", "spidev:/dev/spidev0.0,speed=fast", "detect" }, 2, "spidev: bad speed 'fast'", 1, 0, NULL },
	{ NULL, { "--spi", "spidev:/dev/spidev0.0,mode=2", "detect" }, 2, "use mode=0 or mode=3", 1, 0, NULL },
	{ NULL, { "--spi", "spidev:/dev/null", "--cen", "GPIO22", "detect" }, 2,
	  "/dev/null is not a spidev device", 1, 0, NULL },
	{ NULL, { "--spi", "spidev:/nonexistent/spidev9.9", "--cen", "GPIO22", "detect" }, 3,
	  "cannot open /nonexistent/spidev9.9: No such file or directory", 1, 0, NULL },
	{ "stuck-busy", { "write", "@OTHER" }, 1, "flash still busy", 0, 0, NULL },
	{ NULL, { "read", "-o", "/nonexistent/dir/x.bin" }, 2, "cannot create '/nonexistent/dir/x.bin'", 1, 0, NULL },
	/* a CH341A spec of its own, over either transport */
	{ NULL, { "--spi", "ch341a:sim,chip=bk7231n,speed=1M", "detect" }, 2,
	  "ch341a: this adapter's SPI clock is its own (about 1400 kHz) and nothing sets it: drop speed=", 1, 0, NULL },
	{ NULL, { "--spi", "ch341a:foo,bar", "detect" }, 2,
	  "ch341a: no options but speed= (and that only to be refused): 'bar'", 1, 0, NULL },
#ifdef UB_HAVE_LIBUSB
	{ NULL, { "--spi", "ch341a:9-9", "detect" }, 3, "no USB device 1a86:5512 found at 9-9", 1, 0, NULL },
#else
	{ NULL, { "--spi", "ch341a:9-9", "detect" }, 2, "this build has no libusb-1.0", 1, 0, NULL },
#endif
};

/* Lines that are neither warnings nor the speed --speed auto chose. */
static int error_lines(const char *err)
{
	int n = 0;

	while (*err) {
		const char *end = strchr(err, '\n');
		size_t len = end ? (size_t)(end - err) : strlen(err);

		if (strncmp(err, "beken-spi: warning: ", 20) != 0 &&
		    !memmem(err, len, "(--speed auto)", 14))
			n++;
		err += len + (end ? 1 : 0);
	}
	return n;
}

static const char *substitute(const char *arg, const char files[][64])
{
	if (!strcmp(arg, "@IMAGE"))
		return files[0];
	if (!strcmp(arg, "@BIG"))
		return files[1];
	if (!strcmp(arg, "@SMALL"))
		return files[2];
	if (!strcmp(arg, "@EMPTY"))
		return files[3];
	if (!strcmp(arg, "@OTHER"))
		return files[4];
	return arg;
}

static void make_bad_case_files(char files[][64], const char *flash)
{
	uint8_t *big = calloc(1, 2 * FLASH_SIZE), small[8192];
	size_t n;
	uint8_t *other = tu_read_file(flash, &n);

	ck_assert_ptr_nonnull(big);
	memset(small, 0x42, sizeof(small));
	tu_tmpfile(files[0], 64);
	tu_write_file(files[0], other, n);
	tu_tmpfile(files[1], 64);
	tu_write_file(files[1], big, 2 * FLASH_SIZE);
	tu_tmpfile(files[2], 64);
	tu_write_file(files[2], small, sizeof(small));
	tu_tmpfile(files[3], 64);
	other[0x80000] ^= 0xff;  /* needs an erase and a program */
	tu_tmpfile(files[4], 64);
	tu_write_file(files[4], other, n);
	free(big);
	free(other);
}

START_TEST(bad_input)
{
	const struct bad_case *bc = &bad_cases[_i];
	const char *argv[16], *args[16];
	const char *text = bt_fixed_clock() && bc->ch341a_text ? bc->ch341a_text : bc->text;
	char files[5][64], orig[64];
	struct chip c;
	struct tu_run r;
	int i, n = 0;

	/* qemu-user answers an ioctl it does not translate with ENOSYS, not ENOTTY */
	if (strcmp(bc->args[1] ? bc->args[1] : "", "spidev:/dev/null") == 0 &&
	    tu_skip_under_qemu("bad_input (spidev:/dev/null)",
			       "qemu-user answers SPI_IOC_WR_MODE with ENOSYS, not the kernel's ENOTTY"))
		return;
	chip_new(&c, "bk7231n", NULL, bc->extra);
	flash_file(orig, sizeof(orig), NULL, 1);
	make_bad_case_files(files, c.flash);
	argv[n++] = "--spi";
	argv[n++] = c.spec;
	for (i = 0; bc->args[i]; i++)
		argv[n++] = substitute(bc->args[i], files);
	argv[n] = NULL;
	beken(&r, NULL, bc->any_clock ? bt_incidental_speed(args, 16, argv) : argv);
	assert_error(&r, bc->status, text);
	ck_assert_msg(error_lines(r.err) == 1, "not one error line: %s", r.err);
	assert_untouched(&c, orig);
	if (bc->before_device) {
		size_t stats_len;
		uint8_t *stats = tu_read_file(c.stats, &stats_len);

		ck_assert_msg(stats_len == 0, "the emulator was opened");
		free(stats);
	}
	tu_run_free(&r);
	for (i = 0; i < 5; i++)
		unlink(files[i]);
	unlink(orig);
	chip_free(&c);
}
END_TEST

START_TEST(entry_retries)
{
	struct chip c;
	struct tu_run r;

	chip_new(&c, "bk7231n", NULL, "enter-after=3");
	beken_any_clock(&r, NULL, ARGS("--spi", c.spec, "--speed", "1M", "detect"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "TH25Q16HB"), "%s", r.out);
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

START_TEST(detect_json_and_unknown_id)
{
	struct chip c;
	struct tu_run r;
	char want[200];

	chip_new(&c, "bk7231n", NULL, "jedec=123416");
	beken_any_clock(&r, NULL, ARGS("--spi", c.spec, "--speed", "1M", "--json", "detect"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	snprintf(want, sizeof(want),
		 "{\"jedec\":\"123416\",\"name\":\"unknown\",\"known\":false,\"size\":4194304,"
		 "\"sr1\":0,\"sr2\":0,\"protect_bits\":0,\"protected\":false,\"speed_hz\":%s}\n",
		 bt_fixed_clock() ? "1400000" : "1000000");
	ck_assert_str_eq(r.out, want);
	ck_assert_msg(strstr(r.err, "warning: unknown flash id 12 34 16: assuming 4096 KiB"), "%s", r.err);
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

START_TEST(reset_and_usage)
{
	struct chip c;
	struct tu_run r;

	chip_new(&c, "bk7231n", NULL, NULL);
	beken(&r, NULL, ARGS("--spi", c.spec, "reset"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_free(&r);
	if (bt_fixed_clock()) {
		char stats[64], adapter[80];

		/* --cen may name the adapter's own D2, the default: one pulse on it */
		tu_tmpfile(stats, sizeof(stats));
		snprintf(adapter, sizeof(adapter), "stats=%s", stats);
		chip_spec(&c, "bk7231n", NULL, adapter);
		beken(&r, NULL, ARGS("--spi", c.spec, "--cen", "ch341a:d2", "reset"));
		ck_assert_msg(r.status == 0, "%s", r.err);
		ck_assert_uint_eq(tu_stat(stats, "cen_resets"), 1);
		tu_run_free(&r);
		unlink(stats);
	}
	beken(&r, NULL, ARGS("--help"));
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Usage: beken-spi [OPTIONS] COMMAND"));
	tu_run_free(&r);
	beken(&r, NULL, ARGS("detect"));
	assert_error(&r, 2, "no SPI given");
	tu_run_free(&r);
	chip_free(&c);
}
END_TEST

START_TEST(board_profile_from_config)
{
	char conf[64], text[1200];
	struct chip c;
	struct tu_run r;

	chip_new(&c, "bk7231n", NULL, NULL);
	tu_tmpfile(conf, sizeof(conf));
	snprintf(text, sizeof(text), "[beken-spi]\nspeed = 500k\n[board demo]\nspi = %s\n"
		 "[board typo]\nspi = %s\nsped = 1M\n", c.spec, c.spec);
	tu_write_file(conf, text, strlen(text));
	beken(&r, NULL, ARGS("-c", conf, "-b", "demo", "detect"));
	if (bt_fixed_clock()) {
		/* the file's speed is refused, and the message says where it came from */
		bt_assert_clock_refused(&r, c.stats);
		ck_assert_msg(strstr(r.err, conf), "the config is not named: %s", r.err);
	} else {
		ck_assert_msg(r.status == 0, "%s", r.err);
		ck_assert_msg(strstr(r.out, "speed:      500 kHz"), "%s", r.out);
	}
	tu_run_free(&r);
	/* the command line wins over the file */
	beken(&r, NULL, ARGS("-c", conf, "-b", "demo", "--speed", "2M", "detect"));
	if (bt_fixed_clock())
		bt_assert_clock_refused(&r, c.stats);
	else
		ck_assert_msg(strstr(r.out, "speed:      2 MHz"), "%s", r.out);
	tu_run_free(&r);
	beken(&r, NULL, ARGS("-c", conf, "-b", "typo", "detect"));
	assert_error(&r, 2, ":7: unknown key 'sped' for beken-spi");
	tu_run_free(&r);
	beken(&r, NULL, ARGS("-c", conf, "-b", "nosuch", "detect"));
	assert_error(&r, 2, "no [board nosuch] in");
	tu_run_free(&r);
	unlink(conf);
	chip_free(&c);
}
END_TEST

/* ^C mid-write: the block in hand is finished, the range is reported, a rerun completes. */
START_TEST(interrupt_then_resume)
{
	struct chip c;
	char second[64], spec[600];
	const char *args[16];
	struct tu_child child;
	struct tu_run r;
	unsigned long lo, hi;
	uint8_t *flash, *old_data, *new_data;
	size_t n;
	const char *p;

	chip_new(&c, "bk7231n", NULL, NULL);
	old_data = tu_read_file(c.flash, &n);
	flash_file(second, sizeof(second), NULL, 6);
	new_data = tu_read_file(second, &n);
	chip_spec(&c, "bk7231n", "pace", NULL);
	snprintf(spec, sizeof(spec), "%s", c.spec);
	chip_spec(&c, "bk7231n", NULL, NULL);
	tu_spawn(&child, "beken-spi", no_config,
		 bt_incidental_speed(args, 16, ARGS("--spi", spec, "--speed", "1M", "write",
						    "--force-bootloader", second)));
	usleep(1500000);
	kill(child.pid, SIGINT);
	tu_wait(&child, &r);
	ck_assert_msg(r.status == 130, "exit %d: %s", r.status, r.err);
	p = strstr(r.err, "interrupted: 0x");
	ck_assert_msg(p && sscanf(p, "interrupted: 0x%lx-0x%lx is written and verified", &lo, &hi) == 2,
		      "%s", r.err);
	ck_assert_msg(strstr(r.err, "run the same command again to finish"), "%s", r.err);
	ck_assert_uint_eq(lo, 0);
	ck_assert_uint_gt(hi, 0);
	ck_assert_uint_lt(hi, FLASH_SIZE);
	ck_assert_uint_eq(hi % 0x10000, 0);
	flash = tu_read_file(c.flash, &n);
	ck_assert(memcmp(flash, new_data, hi) == 0);
	ck_assert(memcmp(flash + hi, old_data + hi, FLASH_SIZE - hi) == 0);
	free(flash);
	tu_run_free(&r);

	beken(&r, NULL, ARGS("--spi", c.spec, "write", second));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert(tu_files_equal(c.flash, second));
	/* the part written before ^C is skipped */
	p = strstr(r.err, "pages, ");
	ck_assert_msg(p && sscanf(p, "pages, %lu sectors unchanged", &lo) == 1, "%s", r.err);
	ck_assert_uint_ge(lo, hi / 4096);
	tu_run_free(&r);
	free(old_data);
	free(new_data);
	unlink(second);
	chip_free(&c);
}
END_TEST

/* ---- the CH341A leaves the bus mid-write ---- */

#define UNPLUG_AT 0x100000u
#define UNPLUG_LEN (256u * 1024)
#define PAGE 256u
#define BLOCK 0x10000u

/* Where each page program frame (CS low, 4 + 256 bytes, CS high) sits in the OUT packets. */
struct page_frame {
	unsigned long fifth_data_packet;  /* a packet in the middle of its data */
	unsigned long closing_packet;     /* the packet that raises CS: it takes effect */
};

/* The page program frames of an adapter trace (sim/sim_ch341a.h), in order; how many. */
static size_t page_frames(const char *trace, struct page_frame *pf, size_t max)
{
	FILE *f = fopen(trace, "r");
	char line[128];
	unsigned long packets = 0, data_packets = 0, fifth = 0;
	size_t n = 0, bytes = 0;
	int open = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned cmd, len;
		int level;

		if (sscanf(line, "%*u out %x %u", &cmd, &len) == 2) {
			packets++;
			if (open && cmd == 0xa8 && len > 1) {
				bytes += len - 1;
				if (++data_packets == 5)
					fifth = packets;
			}
		} else if (sscanf(line, "%*u cs %d", &level) == 1) {
			if (!level) {
				open = 1;
				bytes = 0;
				data_packets = 0;
			} else if (open) {
				open = 0;
				if (bytes == 4 + PAGE && n < max)
					pf[n++] = (struct page_frame){ fifth, packets };
			}
		}
	}
	fclose(f);
	return n;
}

static const struct unplug_case {
	const char *name;
	size_t page;        /* the page of the image being programmed when the adapter goes */
	int in_its_data;    /* in the middle of its data (it never takes effect), or just after it */
} unplug_cases[] = {
	{ "mid-page", 2 * 256 + 5 * 16 + 2, 1 },    /* block 2, sector 5, its third page */
	{ "mid-sector", 1 * 256 + 9 * 16 + 7, 0 },  /* block 1, sector 9, half of it programmed */
};

/* The packet at which the adapter leaves, from a trace of the same write on a copy. */
static unsigned long unplug_packet(const struct unplug_case *uc, const char *image)
{
	struct chip probe;
	struct page_frame *pf = calloc(UNPLUG_LEN / PAGE + 1, sizeof(*pf));
	char trace[64], adapter[80], offset[16];
	struct tu_run r;
	unsigned long at;

	ck_assert_ptr_nonnull(pf);
	tu_tmpfile(trace, sizeof(trace));
	snprintf(adapter, sizeof(adapter), "trace=%s", trace);
	chip_new_on(&probe, "bk7231n", NULL, NULL, adapter);
	snprintf(offset, sizeof(offset), "%#x", UNPLUG_AT);
	beken(&r, NULL, ARGS("--spi", probe.spec, "write", "--offset", offset, image));
	ck_assert_msg(r.status == 0, "%s", r.err);
	/* every page differs (random over random), programmed in order */
	ck_assert_uint_eq(page_frames(trace, pf, UNPLUG_LEN / PAGE + 1), UNPLUG_LEN / PAGE);
	at = uc->in_its_data ? pf[uc->page].fifth_data_packet : pf[uc->page].closing_packet + 1;
	tu_run_free(&r);
	free(pf);
	unlink(trace);
	chip_free(&probe);
	return at;
}


START_TEST(unplug_mid_write)
{
	const struct unplug_case *uc = &unplug_cases[_i];
	struct chip c;
	char image[64], stats[64], adapter[160], offset[16], want[300];
	uint8_t *old_data, *new_data, *flash;
	const size_t page_at = UNPLUG_AT + uc->page * PAGE;
	const size_t hi = page_at / BLOCK * BLOCK;
	unsigned long packet;
	struct tu_run r;
	const char *p;
	size_t n;

	/* the image is [UNPLUG_AT, + UNPLUG_LEN) of new_data */
	flash_file(image, sizeof(image), NULL, 11);
	new_data = tu_read_file(image, &n);
	tu_write_file(image, new_data + UNPLUG_AT, UNPLUG_LEN);
	packet = unplug_packet(uc, image);

	tu_tmpfile(stats, sizeof(stats));
	snprintf(adapter, sizeof(adapter), "unplug=%lu,stats=%s", packet, stats);
	chip_new_on(&c, "bk7231n", NULL, NULL, adapter);
	old_data = tu_read_file(c.flash, &n);
	snprintf(offset, sizeof(offset), "%#x", UNPLUG_AT);
	beken(&r, NULL, ARGS("--spi", c.spec, "write", "--offset", offset, image));
	ck_assert_msg(r.status == 3, "%s at packet %lu: exit %d: %s", uc->name, packet, r.status,
		      r.err);
	ck_assert_uint_eq(tu_stat(stats, "unplugs"), 1);
	/* the exact range report, then what went wrong */
	snprintf(want, sizeof(want),
		 "beken-spi: warning: 0x%06zx-0x%06zx is written and verified, 0x%06zx-0x%06x is not: run the same command again to finish\n",
		 (size_t)UNPLUG_AT, hi, hi, UNPLUG_AT + UNPLUG_LEN);
	ck_assert_msg(!strncmp(r.err, want, strlen(want)), "%s: want\n%sgot\n%s", uc->name, want,
		      r.err);
	ck_assert_msg(tu_count_lines(r.err) == 2 && strstr(r.err + strlen(want), "left the bus"),
		      "%s", r.err);
	ck_assert_uint_eq(r.outlen, 0);

	/* the flash agrees: the block in hand erased and programmed up to the cut, nothing partial */
	flash = tu_read_file(c.flash, &n);
	assert_range(flash, old_data, 0, UNPLUG_AT, "as it was (before the write)");
	assert_range(flash, new_data, UNPLUG_AT, page_at, "the new image (before the cut)");
	if (uc->in_its_data)
		assert_range(flash, NULL, page_at, page_at + PAGE, "erased (its page program never ended)");
	else
		assert_range(flash, new_data, page_at, page_at + PAGE, "the new image (its program ended)");
	assert_range(flash, NULL, page_at + PAGE, hi + BLOCK, "erased (the block in hand)");
	assert_range(flash, old_data, hi + BLOCK, FLASH_SIZE, "as it was (after the block in hand)");
	free(flash);
	tu_run_free(&r);

	/* the same write again finishes it, skipping what is done */
	chip_spec(&c, "bk7231n", NULL, NULL);
	beken(&r, NULL, ARGS("--spi", c.spec, "write", "--offset", offset, image));
	ck_assert_msg(r.status == 0, "%s", r.err);
	p = strstr(r.err, "pages, ");
	ck_assert_msg(p && sscanf(p, "pages, %zu sectors unchanged", &n) == 1, "%s", r.err);
	ck_assert_uint_ge(n, (hi - UNPLUG_AT) / 4096);
	flash = tu_read_file(c.flash, &n);
	assert_range(flash, old_data, 0, UNPLUG_AT, "as it was (before the write)");
	assert_range(flash, new_data, UNPLUG_AT, UNPLUG_AT + UNPLUG_LEN, "the new image");
	assert_range(flash, old_data, UNPLUG_AT + UNPLUG_LEN, FLASH_SIZE, "as it was (after the write)");
	free(flash);
	tu_run_free(&r);
	unlink(stats);
	free(old_data);
	free(new_data);
	unlink(image);
	chip_free(&c);
}
END_TEST

/* --check-voltage: a 5 V rail stops the write before the chip is touched. */
START_TEST(supply_voltage_check)
{
	struct chip c;
	char orig[64], second[64];
	struct tu_run r;
	size_t stats_len;
	uint8_t *stats;
	int e;

	if (strcmp(UB_EXPECT_IIO, "none") == 0)
		return;
	e = tu_private_sysfs();
	if (e) {
		fprintf(stderr, "skipped: --check-voltage needs a fake sysfs: %s\n", strerror(e));
		return;
	}
	tu_iio_put("iio:device0", "name", "adc");
	tu_iio_put("iio:device0", "in_voltage0_raw", "4980");
	chip_new(&c, "bk7231n", NULL, NULL);
	flash_file(orig, sizeof(orig), NULL, 1);
	flash_file(second, sizeof(second), NULL, 8);
	beken(&r, NULL, ARGS("--spi", c.spec, "--check-voltage", "adc:voltage0", "write", second));
	assert_error(&r, 1, "supply reads 4.98 V on adc:voltage0, outside 3.00-3.60 V: is the adapter set to 5 V? refusing to write");
	assert_untouched(&c, orig);
	stats = tu_read_file(c.stats, &stats_len);
	ck_assert_msg(stats_len == 0, "the emulator was opened");
	free(stats);
	tu_run_free(&r);

	tu_iio_put("iio:device0", "in_voltage0_raw", "3300");
	beken(&r, NULL, ARGS("--spi", c.spec, "--check-voltage", "adc:voltage0", "write", second));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.err, "supply 3.30 V on adc:voltage0 (3.00-3.60 V)"), "%s", r.err);
	ck_assert(tu_files_equal(c.flash, second));
	tu_run_free(&r);

	beken(&r, NULL, ARGS("--spi", c.spec, "--check-voltage", "adc", "detect"));
	assert_error(&r, 2, "adc");
	tu_run_free(&r);
	unlink(orig);
	unlink(second);
	chip_free(&c);
}
END_TEST

static void add_tests(TCase *tc, enum bt_transport t)
{
	tcase_add_test(tc, read_gives_the_dump);
	tcase_add_test(tc, read_range_to_file);
	tcase_add_test(tc, write_second_dump_over_first);
	tcase_add_test(tc, one_byte_change_programs_one_page);
	tcase_add_test(tc, one_byte_change_erases_one_sector);
	tcase_add_test(tc, write_from_stdin_at_offset);
	tcase_add_test(tc, verify_matches_and_mismatches);
	tcase_add_test(tc, erase_range_and_all);
	tcase_add_test(tc, auto_speed_settles_below_maxclock);
	tcase_add_test(tc, fixed_speed_above_maxclock_fails_verify_or_entry);
	tcase_add_test(tc, protected_bp_bits);
	tcase_add_test(tc, protected_cmp_bit);
	tcase_add_loop_test(tc, bad_input, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, entry_retries);
	tcase_add_test(tc, detect_json_and_unknown_id);
	tcase_add_test(tc, reset_and_usage);
	tcase_add_test(tc, board_profile_from_config);
	tcase_add_test(tc, interrupt_then_resume);
	tcase_add_test(tc, supply_voltage_check);
	if (t == BT_CH341A)
		tcase_add_loop_test(tc, unplug_mid_write, 0,
				    (int)(sizeof(unplug_cases) / sizeof(unplug_cases[0])));
}

int main(void)
{
	Suite *s = suite_create("beken-spi");

	bt_add_cases(s, 60, add_tests);
	return tu_main(s);
}
