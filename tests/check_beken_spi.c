/* SPDX-License-Identifier: MIT */
/*
 * beken-spi end to end: the program run as a user runs it, against the
 * emulated chip. Each test checks what the user sees (exit status, message,
 * stdout) and what the chip holds afterwards (the emulator's save= file and
 * its own counters).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

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

static void chip_new(struct chip *c, const char *model, const char *dump, const char *extra)
{
	flash_file(c->flash, sizeof(c->flash), dump, 1);
	tu_tmpfile(c->state, sizeof(c->state));
	unlink(c->state);
	tu_tmpfile(c->stats, sizeof(c->stats));
	snprintf(c->spec, sizeof(c->spec), "sim:%s,image=%s,save=%s,state=%s,stats=%s%s%s",
		 model, c->flash, c->flash, c->state, c->stats, extra ? "," : "", extra ? extra : "");
}

static void chip_free(struct chip *c)
{
	unlink(c->flash);
	unlink(c->state);
	unlink(c->stats);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void beken(struct tu_run *r, const char *stdin_path, const char *const *argv)
{
	tu_run(r, "beken-spi", stdin_path, (const char *const[]){ "XDG_CONFIG_HOME=/nonexistent", NULL },
	       argv);
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

static void assert_untouched(const struct chip *c, const char *original)
{
	ck_assert_msg(tu_files_equal(c->flash, original), "the flash changed");
}

/* ---- must show 2: read | sha256sum gives the dump ---- */

START_TEST(read_gives_the_dump)
{
	char shared[512], spec[600];
	struct tu_run r;
	size_t len;
	uint8_t *dump;

	if (!tu_shared(DUMP_N, shared, sizeof(shared)))
		return;
	snprintf(spec, sizeof(spec), "sim:bk7231n,image=%s", shared);
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
	beken(&r, NULL, ARGS("--spi", c.spec, "--speed", "1M", "read", "-o", out,
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
	size_t n, i;

	chip_new(&c, "bk7231n", NULL, NULL);
	beken(&r, NULL, ARGS("--spi", c.spec, "erase", "--offset", "0x100000", "--length", "68K"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	assert_counts_agree(&r, &c);
	ck_assert_uint_eq(tu_stat(c.stats, "block_erases"), 1);
	ck_assert_uint_eq(tu_stat(c.stats, "sector_erases"), 1);
	flash = tu_read_file(c.flash, &n);
	for (i = 0x100000; i < 0x111000; i++)
		ck_assert_uint_eq(flash[i], 0xff);
	ck_assert_uint_ne(flash[0x111000] & flash[0x111001] & flash[0x111002], 0xff);
	free(flash);
	tu_run_free(&r);

	beken(&r, NULL, ARGS("--spi", c.spec, "erase", "--all", "--force-bootloader"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	flash = tu_read_file(c.flash, &n);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(flash[i], 0xff);
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
};

static const struct bad_case bad_cases[] = {
	{ "dead", { "--speed", "1M", "write", "@IMAGE" }, 3,
	  "no answer to 0xD2 after 10 tries at 1 MHz; check CEN wiring on sim CEN", 0 },
	{ "dead", { "detect" }, 3, "no answer to 0xD2 at any speed", 0 },
	{ "jedec=ffffff", { "--speed", "1M", "write", "@IMAGE" }, 3,
	  "flash id reads FF FF FF: check MISO (P23)", 0 },
	{ "jedec=000000", { "--speed", "1M", "detect" }, 3, "flash id reads 00 00 00", 0 },
	{ NULL, { "write", "@BIG" }, 2, "(4194304 bytes) is larger than the flash (2097152 bytes)", 0 },
	{ NULL, { "write", "@IMAGE", "--offset", "0x200000" }, 2,
	  "offset 0x200000 is past the end of the 2048 KiB flash", 0 },
	{ NULL, { "write", "@SMALL", "--offset", "0x1ff000" }, 2,
	  "ends at 0x201000, past the end of the flash (0x200000)", 0 },
	{ NULL, { "write", "@SMALL" }, 2,
	  "writing 0x000000-0x002000 would change the boot loader (0x0-0x11000); add --force-bootloader", 0 },
	{ NULL, { "write", "@SMALL", "--offset", "0x10000" }, 2, "would change the boot loader", 0 },
	{ NULL, { "erase", "--offset", "0x11800", "--length", "4K" }, 2,
	  "erase range 0x011800+0x1000 is not aligned to 4 KiB sectors", 1 },
	{ NULL, { "erase", "--offset", "0x12000", "--length", "100" }, 2, "not aligned", 1 },
	{ NULL, { "erase", "--offset", "0x12000" }, 2, "erase needs --offset N --length N, or --all", 1 },
	{ NULL, { "erase", "--all" }, 2, "erase --all also erases the boot loader", 0 },
	{ NULL, { "erase", "--all", "--offset", "0" }, 2, "erase needs --offset N --length N, or --all", 1 },
	{ NULL, { "erase", "--offset", "0x1f0000", "--length", "128K" }, 2, "past the end of the flash", 0 },
	{ NULL, { "write", "/nonexistent/image.bin" }, 2,
	  "cannot open image '/nonexistent/image.bin': No such file or directory", 1 },
	{ NULL, { "write", "/tmp" }, 2, "image '/tmp' is a directory", 1 },
	{ NULL, { "write", "@EMPTY" }, 2, "is empty", 1 },
	{ NULL, { "write" }, 2, "write takes FILE|-", 1 },
	{ NULL, { "frobnicate" }, 2, "unknown command 'frobnicate'", 1 },
	{ NULL, { "--speed", "fast", "detect" }, 2, "bad --speed 'fast'", 1 },
	{ NULL, { "--offset", "12Q", "read" }, 2, "bad --offset '12Q'", 1 },
	{ NULL, { "--cen", "gpiochip0:xyz", "detect" }, 2, "bad GPIO line 'gpiochip0:xyz'", 0 },
	{ NULL, { "--bogus", "detect" }, 2, "unknown option '--bogus'", 1 },
	{ "bogus=1", { "detect" }, 2, "bk72xx sim: unknown option 'bogus'", 0 },
	{ NULL, { "--spi", "foo:bar", "detect" }, 2,
	  "unknown SPI backend 'foo' in 'foo:bar': use spidev:/dev/spidevB.C[,speed=HZ][,mode=0|3], sim:MODEL", 1 },
	{ NULL, { "--spi", "spidev:", "--cen", "GPIO22", "detect" }, 2, "spidev needs a device", 1 },
	{ NULL, { "--spi", "spidev:/dev/spidev0.0,speed=fast", "detect" }, 2, "spidev: bad speed 'fast'", 1 },
	{ NULL, { "--spi", "spidev:/dev/spidev0.0,mode=2", "detect" }, 2, "use mode=0 or mode=3", 1 },
	{ NULL, { "--spi", "spidev:/dev/null", "--cen", "GPIO22", "detect" }, 2,
	  "/dev/null is not a spidev device", 1 },
	{ NULL, { "--spi", "spidev:/nonexistent/spidev9.9", "--cen", "GPIO22", "detect" }, 3,
	  "cannot open /nonexistent/spidev9.9: No such file or directory", 1 },
	{ "stuck-busy", { "write", "@OTHER" }, 1, "flash still busy", 0 },
	{ NULL, { "read", "-o", "/nonexistent/dir/x.bin" }, 2, "cannot create '/nonexistent/dir/x.bin'", 1 },
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
	const char *argv[16];
	char files[5][64], orig[64];
	struct chip c;
	struct tu_run r;
	int i, n = 0;

	chip_new(&c, "bk7231n", NULL, bc->extra);
	flash_file(orig, sizeof(orig), NULL, 1);
	make_bad_case_files(files, c.flash);
	argv[n++] = "--spi";
	argv[n++] = c.spec;
	for (i = 0; bc->args[i]; i++)
		argv[n++] = substitute(bc->args[i], files);
	argv[n] = NULL;
	beken(&r, NULL, argv);
	assert_error(&r, bc->status, bc->text);
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
	beken(&r, NULL, ARGS("--spi", c.spec, "--speed", "1M", "detect"));
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

	chip_new(&c, "bk7231n", NULL, "jedec=123416");
	beken(&r, NULL, ARGS("--spi", c.spec, "--speed", "1M", "--json", "detect"));
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_str_eq(r.out,
			 "{\"jedec\":\"123416\",\"name\":\"unknown\",\"known\":false,\"size\":4194304,"
			 "\"sr1\":0,\"sr2\":0,\"protect_bits\":0,\"protected\":false,\"speed_hz\":1000000}\n");
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
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "speed:      500 kHz"), "%s", r.out);
	tu_run_free(&r);
	/* the command line wins over the file */
	beken(&r, NULL, ARGS("-c", conf, "-b", "demo", "--speed", "2M", "detect"));
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
	snprintf(spec, sizeof(spec), "%s,pace", c.spec);
	tu_spawn(&child, "beken-spi", (const char *const[]){ "XDG_CONFIG_HOME=/nonexistent", NULL },
		 ARGS("--spi", spec, "--speed", "1M", "write", "--force-bootloader", second));
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

int main(void)
{
	Suite *s = suite_create("beken-spi");
	TCase *tc = tcase_create("e2e");

	tcase_set_timeout(tc, 60);
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
	suite_add_tcase(s, tc);
	return tu_main(s);
}
