/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the BK72xx SPI-flash-mode emulator (sim/sim_bk72xx.c), driven
 * only through bk72xx.h, the way a host drives the wire: CEN, CS frames,
 * delays. Expected behaviour comes from ../shared/notes/beken.md.
 */
#include "sim_bk72xx.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HZ 1000000u
#define MS(n) ((uint64_t)(n) * 1000000u)
#define FLASH_2M (2u * 1024 * 1024)

/* ----------------------------------------------------------- helpers */

static struct bk_sim *make(const char *model, const char *opts)
{
	char err[512] = "";
	struct bk_sim *s = bk_sim_create(model, opts, err, sizeof(err));

	ck_assert_msg(s != NULL, "create %s '%s': %s", model, opts, err);
	return s;
}

static void finish(struct bk_sim *s)
{
	char err[512] = "";

	ck_assert_msg(bk_sim_close(s, err, sizeof(err)) == 0, "close: %s", err);
}

static struct bk_sim_stats stats_of(const struct bk_sim *s)
{
	struct bk_sim_stats st;

	bk_sim_get_stats(s, &st);
	return st;
}

static void xfer(struct bk_sim *s, const uint8_t *tx, uint8_t *rx, size_t n)
{
	bk_sim_transfer(s, tx, rx, n, HZ, 0);
}

static void reset_pulse(struct bk_sim *s)
{
	bk_sim_set_cen(s, 0);
	bk_sim_delay(s, MS(100));
	bk_sim_set_cen(s, 1);
}

/* Sends n x D2 in one frame at clock hz, mode; returns 1 if any D2 came back. */
static int d2_stream(struct bk_sim *s, size_t n, uint32_t hz, int mode,
		     uint8_t *reply)
{
	uint8_t *tx = malloc(n), *rx = malloc(n);
	int seen = 0;

	ck_assert(tx && rx);
	memset(tx, 0xD2, n);
	bk_sim_transfer(s, tx, rx, n, hz, mode);
	for (size_t i = 0; i < n; i++)
		seen |= rx[i] == 0xD2;
	if (reply)
		memcpy(reply, rx, n);
	free(tx);
	free(rx);
	return seen;
}

/* CEN reset, 64 x D2, then the 20 ms the host waits before its first command. */
static int enter(struct bk_sim *s)
{
	int seen;

	reset_pulse(s);
	seen = d2_stream(s, 64, HZ, 0, NULL);
	bk_sim_delay(s, MS(20));
	return seen;
}

static void jedec_at(struct bk_sim *s, uint8_t id[4], uint32_t hz, int mode)
{
	const uint8_t tx[4] = { 0x9F, 0, 0, 0 };

	bk_sim_transfer(s, tx, id, 4, hz, mode);
}

static void jedec(struct bk_sim *s, uint8_t id[4])
{
	jedec_at(s, id, HZ, 0);
}

static void assert_id(const uint8_t id[4], uint8_t b0, uint8_t b1, uint8_t b2,
		      uint8_t b3)
{
	ck_assert_msg(id[0] == b0 && id[1] == b1 && id[2] == b2 && id[3] == b3,
		      "id %02x %02x %02x %02x, want %02x %02x %02x %02x",
		      id[0], id[1], id[2], id[3], b0, b1, b2, b3);
}

static uint8_t read_sr(struct bk_sim *s, uint8_t op)
{
	const uint8_t tx[2] = { op, 0 };
	uint8_t rx[2];

	xfer(s, tx, rx, 2);
	return rx[1];
}

static void cmd(struct bk_sim *s, uint8_t op)
{
	xfer(s, &op, NULL, 1);
}

static void cmd_addr(struct bk_sim *s, uint8_t op, uint32_t addr)
{
	const uint8_t tx[4] = { op, (uint8_t)(addr >> 16), (uint8_t)(addr >> 8),
				(uint8_t)addr };

	xfer(s, tx, NULL, 4);
}

static void wait_ready(struct bk_sim *s)
{
	for (int i = 0; i < 20000; i++) {
		if (!(read_sr(s, 0x05) & 1))
			return;
		bk_sim_delay(s, MS(1));
	}
	ck_abort_msg("WIP never cleared");
}

static void read_flash(struct bk_sim *s, uint32_t addr, uint8_t *buf, size_t n)
{
	uint8_t *tx = calloc(1, n + 4), *rx = malloc(n + 4);

	ck_assert(tx && rx);
	tx[0] = 0x03;
	tx[1] = (uint8_t)(addr >> 16);
	tx[2] = (uint8_t)(addr >> 8);
	tx[3] = (uint8_t)addr;
	xfer(s, tx, rx, n + 4);
	memcpy(buf, rx + 4, n);
	free(tx);
	free(rx);
}

static void program_raw(struct bk_sim *s, uint32_t addr, const uint8_t *data,
			size_t n)
{
	uint8_t *tx = malloc(n + 4);

	ck_assert(tx);
	tx[0] = 0x02;
	tx[1] = (uint8_t)(addr >> 16);
	tx[2] = (uint8_t)(addr >> 8);
	tx[3] = (uint8_t)addr;
	memcpy(tx + 4, data, n);
	xfer(s, tx, NULL, n + 4);
	free(tx);
}

static void program(struct bk_sim *s, uint32_t addr, const uint8_t *data,
		    size_t n)
{
	cmd(s, 0x06);
	program_raw(s, addr, data, n);
	wait_ready(s);
}

static void erase(struct bk_sim *s, uint8_t op, uint32_t addr)
{
	cmd(s, 0x06);
	if (op == 0xC7 || op == 0x60)
		cmd(s, op);
	else
		cmd_addr(s, op, addr);
	wait_ready(s);
}

static void write_sr(struct bk_sim *s, const uint8_t *tx, size_t n)
{
	cmd(s, 0x06);
	xfer(s, tx, NULL, n);
	wait_ready(s);
}

static uint8_t peek1(const struct bk_sim *s, uint32_t addr)
{
	uint8_t b;

	ck_assert_int_eq(bk_sim_peek(s, addr, &b, 1), 0);
	return b;
}

static int all_equal(const uint8_t *buf, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != v)
			return 0;
	return 1;
}

static int range_is(const struct bk_sim *s, uint32_t addr, size_t n, uint8_t v)
{
	uint8_t *buf = malloc(n);
	int ok;

	ck_assert(buf);
	ck_assert_int_eq(bk_sim_peek(s, addr, buf, n), 0);
	ok = all_equal(buf, n, v);
	free(buf);
	return ok;
}

/* A temporary file name in /tmp (the file exists, empty). */
static char *temp_path(void)
{
	char *path = strdup("/tmp/check_sim_bk72xx-XXXXXX");
	int fd;

	ck_assert(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	return path;
}

static char *temp_image(size_t n, uint8_t fill, int pattern)
{
	char *path = temp_path();
	FILE *f = fopen(path, "wb");

	ck_assert(f);
	for (size_t i = 0; i < n; i++)
		fputc(pattern ? (int)((i * 131 + (i >> 8)) & 0xFF) : fill, f);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

static uint8_t pattern_at(uint32_t i)
{
	return (uint8_t)((i * 131 + (i >> 8)) & 0xFF);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* "image=PATH[,extra]" */
static char *image_opts(const char *path, const char *extra)
{
	size_t n = strlen(path) + strlen(extra) + sizeof("image=,");
	char *o = malloc(n);

	ck_assert(o);
	snprintf(o, n, "image=%s%s%s", path, *extra ? "," : "", extra);
	return o;
}

static struct bk_sim *try_image(const char *model, const char *path,
				const char *extra, char *err, size_t errlen)
{
	char *o = image_opts(path, extra);
	struct bk_sim *s = bk_sim_create(model, o, err, errlen);

	free(o);
	return s;
}

static struct bk_sim *make_image(const char *model, const char *path,
				 const char *extra)
{
	char *o = image_opts(path, extra);
	struct bk_sim *s = make(model, o);

	free(o);
	return s;
}

/* ------------------------------------------------------ entry, silence */

START_TEST(silent_before_entry)
{
	struct bk_sim *s = make("bk7231t", NULL);
	uint8_t id[4], reply[250];

	jedec(s, id);
	assert_id(id, 0, 0, 0, 0);
	/* firmware is running: a D2 stream without a CEN reset does nothing */
	ck_assert(!d2_stream(s, 250, HZ, 0, reply));
	ck_assert(all_equal(reply, sizeof(reply), 0x00));
	bk_sim_delay(s, MS(50));
	jedec(s, id);
	assert_id(id, 0, 0, 0, 0);
	/* held in reset */
	bk_sim_set_cen(s, 0);
	ck_assert(!d2_stream(s, 250, HZ, 0, NULL));
	jedec(s, id);
	assert_id(id, 0, 0, 0, 0);
	/* released, but no D2 within the window: firmware boots */
	bk_sim_set_cen(s, 1);
	bk_sim_delay(s, MS(150));
	ck_assert(!d2_stream(s, 250, HZ, 0, NULL));
	bk_sim_delay(s, MS(50));
	jedec(s, id);
	assert_id(id, 0, 0, 0, 0);
	ck_assert_uint_eq(stats_of(s).entries, 0);
	finish(s);
}
END_TEST

START_TEST(entry_single_frame_answers)
{
	struct bk_sim *s = make("bk7231t", NULL);
	uint8_t reply[250], id[4];

	reset_pulse(s);
	ck_assert(d2_stream(s, sizeof(reply), 30000, 3, reply));
	ck_assert_uint_eq(reply[0], 0xD2);   /* "first byte D2, 249 x 00" */
	ck_assert(all_equal(reply + 1, sizeof(reply) - 1, 0x00));
	ck_assert_uint_eq(stats_of(s).entries, 1);
	/* at 30 kHz the stream (67 ms) outlasts the 10 ms switch-over */
	jedec_at(s, id, 30000, 3);
	assert_id(id, 0x00, 0x1C, 0x70, 0x15);
	finish(s);
}
END_TEST

START_TEST(entry_multi_frame)
{
	struct bk_sim *s = make("bk7231t", NULL);
	uint8_t id[4];
	int seen = 0;

	reset_pulse(s);
	for (int i = 0; i < 10; i++)   /* the GUI's 10 frames x 25 */
		seen += d2_stream(s, 25, 1400000, 0, NULL);
	ck_assert_int_eq(seen, 10);
	/* right after a fast stream the ROM still acks like the stream: the
	 * GUI's "byte0 != 0, bytes 1-3 == 0" first reply */
	jedec_at(s, id, 1400000, 0);
	assert_id(id, 0xD2, 0, 0, 0);
	bk_sim_delay(s, MS(100));
	jedec(s, id);
	assert_id(id, 0x00, 0x1C, 0x70, 0x15);
	finish(s);
}
END_TEST

START_TEST(entry_d2_with_zero_padding)
{
	/* hid_download_py: 150 frames of D2 followed by 149 x 00 */
	struct bk_sim *s = make("bk7231n", NULL);
	uint8_t tx[150] = { 0xD2 }, id[4];

	reset_pulse(s);
	for (int i = 0; i < 150; i++)
		bk_sim_transfer(s, tx, NULL, sizeof(tx), 30000, 0);
	bk_sim_delay(s, MS(100));
	jedec(s, id);
	assert_id(id, 0x00, 0xEB, 0x60, 0x15);
	finish(s);
}
END_TEST

START_TEST(entry_needs_64_d2)
{
	struct bk_sim *s = make("bk7231t", NULL);
	uint8_t id[4], junk = 0x55;

	reset_pulse(s);
	d2_stream(s, 63, HZ, 0, NULL);
	bk_sim_delay(s, MS(50));
	jedec(s, id);   /* 9F breaks the run; still listening */
	assert_id(id, 0xD2, 0, 0, 0);
	d2_stream(s, 40, HZ, 0, NULL);
	xfer(s, &junk, NULL, 1);
	d2_stream(s, 40, HZ, 0, NULL);
	bk_sim_delay(s, MS(50));
	jedec(s, id);
	assert_id(id, 0xD2, 0, 0, 0);
	ck_assert_uint_eq(stats_of(s).entries, 0);
	d2_stream(s, 64, HZ, 0, NULL);
	bk_sim_delay(s, MS(50));
	jedec(s, id);
	assert_id(id, 0x00, 0x1C, 0x70, 0x15);
	ck_assert_uint_eq(stats_of(s).entries, 1);
	finish(s);
}
END_TEST

START_TEST(entry_window)
{
	struct bk_sim *s = make("bk7231t", NULL);
	uint8_t id[4];

	reset_pulse(s);
	bk_sim_delay(s, MS(50));   /* the Arduino sketch's gap */
	ck_assert(d2_stream(s, 255, HZ, 0, NULL));
	bk_sim_delay(s, MS(100));
	jedec(s, id);
	assert_id(id, 0x00, 0x1C, 0x70, 0x15);

	reset_pulse(s);
	bk_sim_delay(s, MS(101));
	ck_assert(!d2_stream(s, 255, HZ, 0, NULL));
	bk_sim_delay(s, MS(100));
	jedec(s, id);
	assert_id(id, 0, 0, 0, 0);
	ck_assert_uint_eq(stats_of(s).entries, 1);
	finish(s);
}
END_TEST

START_TEST(cen_toggle_leaves_flash_mode)
{
	struct bk_sim *s = make("bk7231t", NULL);
	uint8_t id[4];

	ck_assert(enter(s));
	jedec(s, id);
	assert_id(id, 0x00, 0x1C, 0x70, 0x15);
	bk_sim_set_cen(s, 0);
	jedec(s, id);
	assert_id(id, 0, 0, 0, 0);
	bk_sim_set_cen(s, 1);
	bk_sim_delay(s, MS(200));
	jedec(s, id);
	assert_id(id, 0, 0, 0, 0);
	ck_assert(enter(s));   /* and back again */
	jedec(s, id);
	assert_id(id, 0x00, 0x1C, 0x70, 0x15);
	ck_assert_uint_eq(stats_of(s).entries, 2);
	finish(s);
}
END_TEST

START_TEST(d2_frame_in_flash_mode_is_acked)
{
	struct bk_sim *s = make("bk7231t", NULL);
	uint8_t reply[25];

	ck_assert(enter(s));
	ck_assert(d2_stream(s, sizeof(reply), HZ, 0, reply));
	ck_assert_uint_eq(reply[0], 0xD2);
	ck_assert(all_equal(reply + 1, sizeof(reply) - 1, 0));
	ck_assert_uint_eq(stats_of(s).entries, 1);
	finish(s);
}
END_TEST

START_TEST(spi_modes)
{
	struct bk_sim *s = make("bk7231n", NULL);
	uint8_t id[4];

	reset_pulse(s);
	ck_assert(d2_stream(s, 64, HZ, 3, NULL));
	bk_sim_delay(s, MS(20));
	jedec_at(s, id, HZ, 3);
	assert_id(id, 0x00, 0xEB, 0x60, 0x15);
	/* mode 1 and 2 sample a bit late: the ROM never sees a D2 */
	for (int mode = 1; mode <= 2; mode++) {
		reset_pulse(s);
		d2_stream(s, 250, HZ, mode, NULL);
		bk_sim_delay(s, MS(150));
		jedec(s, id);
		assert_id(id, 0, 0, 0, 0);
	}
	ck_assert_uint_eq(stats_of(s).entries, 1);
	finish(s);
}
END_TEST

/* ------------------------------------------------------------- identity */

START_TEST(jedec_per_model)
{
	static const struct {
		const char *model, *opts;
		uint8_t id[3];
	} cases[] = {
		{ "bk7231t", "", { 0x1C, 0x70, 0x15 } },
		{ "bk7231n", "", { 0xEB, 0x60, 0x15 } },
		{ "bk7252", "", { 0x0B, 0x40, 0x15 } },
		{ "BK7231N", "size=4M", { 0xEB, 0x60, 0x16 } },
		{ "bk7252", "size=64K", { 0x0B, 0x40, 0x10 } },
		{ "bk7231t", "size=16M", { 0x1C, 0x70, 0x18 } },
		{ "bk7231t", "jedec=c84016", { 0xC8, 0x40, 0x16 } },
		{ "bk7231n", "jedec=0xFFFFFF", { 0xFF, 0xFF, 0xFF } },
		{ "bk7252", "jedec=000000", { 0x00, 0x00, 0x00 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bk_sim *s = make(cases[i].model, cases[i].opts);
		uint8_t id[4];

		ck_assert(enter(s));
		jedec(s, id);
		assert_id(id, 0, cases[i].id[0], cases[i].id[1], cases[i].id[2]);
		finish(s);
	}
}
END_TEST

START_TEST(rems_and_sr_registers)
{
	struct bk_sim *t = make("bk7231t", "sr1=0x40");
	struct bk_sim *n = make("bk7231n", "sr1=0x80,sr2=0x42");
	const uint8_t rems[8] = { 0x90, 0, 0, 0 };
	uint8_t rx[8];

	ck_assert(enter(t));
	ck_assert(enter(n));
	xfer(t, rems, rx, sizeof(rx));
	ck_assert_uint_eq(rx[4], 0x1C);
	ck_assert_uint_eq(rx[5], 0x14);
	ck_assert_uint_eq(rx[6], 0x1C);
	ck_assert_uint_eq(read_sr(t, 0x05), 0x40);
	ck_assert_uint_eq(read_sr(t, 0x35), 0x00);   /* no SR2 on EN25QH16B */
	ck_assert_uint_eq(read_sr(n, 0x05), 0x80);
	ck_assert_uint_eq(read_sr(n, 0x35), 0x42);
	ck_assert_uint_eq(read_sr(n, 0x15), 0x00);
	finish(t);
	finish(n);
}
END_TEST

/* ---------------------------------------------------------- image, read */

static const char *shared_dir(char *buf, size_t n)
{
	const char *env = getenv("UNBRICK_SHARED");

	snprintf(buf, n, "%s/data/beken", env && *env ? env : "../shared");
	return buf;
}

static void check_dump(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *model = strncmp(base, "bk7231n", 7) == 0 ? "bk7231n" :
			    strncmp(base, "bk7252", 6) == 0 ? "bk7252" : "bk7231t";
	struct bk_sim *s = make_image(model, path, "");
	size_t len;
	char *want = slurp(path, &len);
	uint8_t *got = malloc(len), edge[32];

	ck_assert(got);
	ck_assert_uint_eq(bk_sim_flash_size(s), len);
	ck_assert(enter(s));
	read_flash(s, 0, got, len);
	ck_assert_msg(memcmp(got, want, len) == 0, "%s: read differs", base);
	ck_assert_uint_eq(stats_of(s).read_bytes, len);
	read_flash(s, (uint32_t)len - 16, edge, sizeof(edge));   /* wraps */
	ck_assert(memcmp(edge, want + len - 16, 16) == 0);
	ck_assert(memcmp(edge + 16, want, 16) == 0);
	ck_assert_int_eq(bk_sim_peek(s, 0x11000, got, 4096), 0);
	ck_assert(memcmp(got, want + 0x11000, 4096) == 0);
	free(got);
	free(want);
	finish(s);
}

START_TEST(read_real_dumps)
{
	char dir[4096], path[8192];
	struct dirent *e;
	DIR *d = opendir(shared_dir(dir, sizeof(dir)));
	int found = 0;

	if (!d) {
		printf("read_real_dumps: skipped, no %s (set UNBRICK_SHARED)\n", dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (n < 5 || strcmp(e->d_name + n - 4, ".bin"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		check_dump(path);
		found++;
	}
	closedir(d);
	if (!found)
		printf("read_real_dumps: skipped, no *.bin in %s\n", dir);
}
END_TEST

START_TEST(image_smaller_than_size)
{
	char *img = temp_image(1000, 0, 1);
	struct bk_sim *s = make_image("bk7231t", img, "size=64K");
	uint8_t buf[1100];

	ck_assert_uint_eq(bk_sim_flash_size(s), 65536);
	ck_assert(enter(s));
	read_flash(s, 0, buf, sizeof(buf));
	for (uint32_t i = 0; i < 1000; i++)
		ck_assert_uint_eq(buf[i], pattern_at(i));
	ck_assert(all_equal(buf + 1000, 100, 0xFF));
	ck_assert(range_is(s, 1000, 65536 - 1000, 0xFF));
	finish(s);
	unlink(img);
	free(img);
}
END_TEST

START_TEST(mirroring)
{
	char *img = temp_image(FLASH_2M, 0, 1);
	struct bk_sim *s = make_image("bk7231t", img, "");
	uint8_t a[64], b[64], zero[4] = { 0 };

	ck_assert(enter(s));
	read_flash(s, 0x1000, a, sizeof(a));
	read_flash(s, 0x201000, b, sizeof(b));
	ck_assert(memcmp(a, b, sizeof(a)) == 0);
	read_flash(s, 0xE01000, b, sizeof(b));
	ck_assert(memcmp(a, b, sizeof(a)) == 0);
	/* program and erase through the mirror land in the array */
	erase(s, 0x20, 0x3FF000);
	ck_assert(range_is(s, 0x1FF000, 4096, 0xFF));
	ck_assert_uint_eq(peek1(s, 0x1FEFFF), pattern_at(0x1FEFFF));
	program(s, 0x212300, zero, sizeof(zero));
	ck_assert(range_is(s, 0x12300, 4, 0x00));
	finish(s);
	unlink(img);
	free(img);
}
END_TEST

/* ------------------------------------------------------ program, erase */

START_TEST(and_only_programming)
{
	struct bk_sim *s = make("bk7231n", NULL);
	const uint8_t first[4] = { 0xF0, 0x0F, 0xAA, 0x00 };
	const uint8_t second[4] = { 0x3C, 0xFF, 0x55, 0xFF };
	uint8_t got[4];

	ck_assert(enter(s));
	program(s, 0x1000, first, 4);
	program(s, 0x1000, second, 4);
	read_flash(s, 0x1000, got, 4);
	ck_assert_uint_eq(got[0], 0x30);
	ck_assert_uint_eq(got[1], 0x0F);
	ck_assert_uint_eq(got[2], 0x00);
	ck_assert_uint_eq(got[3], 0x00);
	ck_assert_uint_eq(peek1(s, 0x1004), 0xFF);
	ck_assert_uint_eq(stats_of(s).page_programs, 2);
	ck_assert_uint_eq(stats_of(s).program_bytes, 8);
	finish(s);
}
END_TEST

START_TEST(page_wrap)
{
	struct bk_sim *s = make("bk7231t", NULL);
	uint8_t data[300], got[256];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	ck_assert(enter(s));
	/* 32 bytes at 0x20F0: 16 to the page end, 16 wrap to 0x2000 */
	program(s, 0x20F0, data, 32);
	ck_assert_int_eq(bk_sim_peek(s, 0x2000, got, 256), 0);
	ck_assert(memcmp(got + 0xF0, data, 16) == 0);
	ck_assert(memcmp(got, data + 16, 16) == 0);
	ck_assert(all_equal(got + 16, 0xF0 - 16, 0xFF));
	ck_assert_uint_eq(peek1(s, 0x2100), 0xFF);
	ck_assert_uint_eq(peek1(s, 0x1FFF), 0xFF);
	/* 300 bytes at a page start: only the last 256 count */
	program(s, 0x3000, data, sizeof(data));
	ck_assert_int_eq(bk_sim_peek(s, 0x3000, got, 256), 0);
	for (size_t p = 0; p < 256; p++)
		ck_assert_uint_eq(got[p], p < 44 ? data[p + 256] : data[p]);
	ck_assert_uint_eq(peek1(s, 0x3100), 0xFF);
	finish(s);
}
END_TEST

START_TEST(erase_sizes)
{
	char *img = temp_image(FLASH_2M, 0x00, 0);
	struct bk_sim *s = make_image("bk7252", img, "");
	struct bk_sim_stats st;

	ck_assert(enter(s));
	erase(s, 0x20, 0x12345);
	ck_assert(range_is(s, 0x12000, 0x1000, 0xFF));
	ck_assert_uint_eq(peek1(s, 0x11FFF), 0x00);
	ck_assert_uint_eq(peek1(s, 0x13000), 0x00);
	erase(s, 0x52, 0x48001);
	ck_assert(range_is(s, 0x48000, 0x8000, 0xFF));
	ck_assert_uint_eq(peek1(s, 0x47FFF), 0x00);
	ck_assert_uint_eq(peek1(s, 0x50000), 0x00);
	erase(s, 0xD8, 0x1A0005);
	ck_assert(range_is(s, 0x1A0000, 0x10000, 0xFF));
	ck_assert_uint_eq(peek1(s, 0x19FFFF), 0x00);
	ck_assert_uint_eq(peek1(s, 0x1B0000), 0x00);
	st = stats_of(s);
	ck_assert_uint_eq(st.sector_erases, 1);
	ck_assert_uint_eq(st.block_erases, 2);
	ck_assert_uint_eq(st.busy_ns, MS(200) + MS(500) + MS(1000));
	erase(s, 0xC7, 0);
	ck_assert(range_is(s, 0, FLASH_2M, 0xFF));
	program(s, 0x100, (const uint8_t[]){ 0 }, 1);
	erase(s, 0x60, 0);
	ck_assert(range_is(s, 0, FLASH_2M, 0xFF));
	ck_assert_uint_eq(stats_of(s).chip_erases, 2);
	ck_assert_uint_eq(stats_of(s).rejected, 0);
	finish(s);
	unlink(img);
	free(img);
}
END_TEST

START_TEST(wel_required_and_cleared)
{
	char *img = temp_image(FLASH_2M, 0x00, 0);
	struct bk_sim *s = make_image("bk7231n", img, "");
	const uint8_t zero = 0, wrsr[3] = { 0x01, 0x3C, 0x00 };

	ck_assert(enter(s));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x00);
	cmd_addr(s, 0x20, 0x1000);              /* no WEL: refused */
	xfer(s, wrsr, NULL, sizeof(wrsr));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x00);
	ck_assert(range_is(s, 0x1000, 0x1000, 0x00));
	cmd(s, 0x06);
	ck_assert_uint_eq(read_sr(s, 0x05), 0x02);
	cmd(s, 0x04);
	ck_assert_uint_eq(read_sr(s, 0x05), 0x00);
	program_raw(s, 0x1000, &zero, 1);
	ck_assert_uint_eq(stats_of(s).rejected, 3);
	cmd(s, 0x06);
	cmd_addr(s, 0x20, 0x1000);
	ck_assert_uint_eq(read_sr(s, 0x05), 0x03);   /* WEL held while busy */
	wait_ready(s);
	ck_assert_uint_eq(read_sr(s, 0x05), 0x00);   /* cleared at the end */
	cmd_addr(s, 0x20, 0x2000);                   /* needs a new 06 */
	ck_assert(range_is(s, 0x2000, 0x1000, 0x00));
	ck_assert_uint_eq(stats_of(s).sector_erases, 1);
	ck_assert_uint_eq(stats_of(s).rejected, 4);
	finish(s);
	unlink(img);
	free(img);
}
END_TEST

START_TEST(busy_rejects_and_wip_timing)
{
	char *img = temp_image(FLASH_2M, 0x00, 0);
	struct bk_sim *s = make_image("bk7231t", img, "");
	uint8_t buf[16], id[4];
	uint64_t t;

	ck_assert(enter(s));
	cmd(s, 0x06);
	cmd_addr(s, 0x20, 0x5000);
	t = bk_sim_now(s);
	ck_assert_uint_eq(read_sr(s, 0x05) & 1, 1);
	read_flash(s, 0x0, buf, sizeof(buf));   /* ignored while busy */
	ck_assert(all_equal(buf, sizeof(buf), 0x00));
	jedec(s, id);
	assert_id(id, 0, 0, 0, 0);
	cmd(s, 0x06);
	ck_assert_uint_eq(stats_of(s).rejected, 3);
	bk_sim_delay(s, t + MS(199) - bk_sim_now(s));
	ck_assert_uint_eq(read_sr(s, 0x05) & 1, 1);
	bk_sim_delay(s, MS(2));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x00);
	jedec(s, id);
	assert_id(id, 0, 0x1C, 0x70, 0x15);
	ck_assert_uint_eq(stats_of(s).busy_ns, MS(200));
	finish(s);
	unlink(img);
	free(img);
}
END_TEST

START_TEST(status_poll_in_one_frame)
{
	/* The Arduino sketch keeps CS low and clocks 05 until WIP clears. */
	struct bk_sim *s = make("bk7231t", NULL);
	const uint8_t zero = 0;
	uint8_t tx[400] = { 0x05 }, rx[400];

	ck_assert(enter(s));
	cmd(s, 0x06);
	program_raw(s, 0, &zero, 1);
	xfer(s, tx, rx, sizeof(tx));   /* 400 bytes at 1 MHz = 3.2 ms */
	ck_assert_uint_eq(rx[1], 0x03);
	ck_assert_uint_eq(rx[150], 0x03);
	ck_assert_uint_eq(rx[250], 0x00);   /* page program ends at 1.5 ms */
	ck_assert_uint_eq(rx[399], 0x00);
	finish(s);
}
END_TEST

START_TEST(wrsr_shows_wip)
{
	struct bk_sim *s = make("bk7231n", "sr1=0x1c,sr2=0x40");
	const uint8_t wrsr[3] = { 0x01, 0x00, 0x00 };

	ck_assert(enter(s));
	cmd(s, 0x06);
	xfer(s, wrsr, NULL, sizeof(wrsr));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x03);   /* "wrote 0, got 1" */
	bk_sim_delay(s, MS(5));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x00);
	ck_assert_uint_eq(read_sr(s, 0x35), 0x00);
	ck_assert_uint_eq(stats_of(s).sr_writes, 1);
	ck_assert_uint_eq(stats_of(s).busy_ns, MS(5));
	finish(s);
}
END_TEST

START_TEST(stuck_busy)
{
	struct bk_sim *s = make("bk7231t", "stuck-busy");
	uint8_t buf[4];

	ck_assert(enter(s));
	cmd(s, 0x06);
	cmd_addr(s, 0x20, 0);
	bk_sim_delay(s, MS(10000));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x03);
	read_flash(s, 0, buf, sizeof(buf));
	ck_assert(all_equal(buf, sizeof(buf), 0));
	ck_assert_uint_ge(stats_of(s).rejected, 1);
	finish(s);
}
END_TEST

/* ---------------------------------------------------------- protection */

START_TEST(bp_blocks_erase_and_program)
{
	char *img = temp_image(FLASH_2M, 0x00, 0);
	/* BP=1: the upper 1/32 (0x1F0000..) is protected */
	struct bk_sim *s = make_image("bk7231t", img, "sr1=0x04");
	const uint8_t unprotect[2] = { 0x01, 0x00 }, all[2] = { 0x01, 0x3C };
	const uint8_t zero = 0;

	ck_assert(enter(s));
	erase(s, 0x20, 0x1FF000);
	erase(s, 0xD8, 0x1F0000);
	erase(s, 0xC7, 0);
	ck_assert(range_is(s, 0x1F0000, 0x10000, 0x00));
	ck_assert_uint_eq(stats_of(s).rejected, 3);
	erase(s, 0x20, 0x1EF000);   /* just below: allowed */
	ck_assert(range_is(s, 0x1EF000, 0x1000, 0xFF));
	erase(s, 0xD8, 0x1E0000);   /* below */
	/* BP0-BP3 all set: everything */
	write_sr(s, all, sizeof(all));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x3C);
	program(s, 0x1000, &zero, 1);
	erase(s, 0x20, 0);
	ck_assert_uint_eq(stats_of(s).rejected, 5);
	ck_assert(range_is(s, 0, 0x1000, 0x00));
	write_sr(s, unprotect, sizeof(unprotect));
	erase(s, 0xC7, 0);
	ck_assert(range_is(s, 0, FLASH_2M, 0xFF));
	finish(s);
	unlink(img);
	free(img);
}
END_TEST

START_TEST(cmp_inverts_protection)
{
	char *img = temp_image(FLASH_2M, 0x00, 0);
	struct bk_sim *s;
	const uint8_t bp0_cmp[3] = { 0x01, 0x04, 0x40 };
	const uint8_t sr1_only[2] = { 0x01, 0x00 }, sr2_clear[2] = { 0x31, 0x00 };
	const uint8_t zero = 0;

	/* CMP=1, BP=0: everything protected (§5 "rules learned the hard way") */
	s = make_image("bk7231n", img, "sr2=0x40");
	ck_assert(enter(s));
	erase(s, 0x20, 0);
	erase(s, 0x20, 0x100000);
	program(s, 0x1FFF00, &zero, 1);
	ck_assert_uint_eq(stats_of(s).rejected, 3);
	ck_assert(range_is(s, 0, 0x1000, 0x00));
	/* clearing SR1 alone does not help; clearing CMP with 31h does */
	write_sr(s, sr1_only, sizeof(sr1_only));
	ck_assert_uint_eq(read_sr(s, 0x35), 0x40);
	erase(s, 0x20, 0);
	ck_assert(range_is(s, 0, 0x1000, 0x00));
	write_sr(s, sr2_clear, sizeof(sr2_clear));
	erase(s, 0x20, 0);
	ck_assert(range_is(s, 0, 0x1000, 0xFF));
	/* BP=1 with CMP=1: all but the upper 1/32 */
	write_sr(s, bp0_cmp, sizeof(bp0_cmp));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x04);
	ck_assert_uint_eq(read_sr(s, 0x35), 0x40);
	erase(s, 0x20, 0x1F0000);
	ck_assert(range_is(s, 0x1F0000, 0x1000, 0xFF));
	erase(s, 0x20, 0x1EF000);
	ck_assert(range_is(s, 0x1EF000, 0x1000, 0x00));
	finish(s);
	unlink(img);
	free(img);
}
END_TEST

START_TEST(srp1_locks_status)
{
	struct bk_sim *s = make("bk7252", "sr1=0x1c,sr2=0x01");
	const uint8_t wrsr[3] = { 0x01, 0x00, 0x00 };

	ck_assert(enter(s));
	write_sr(s, wrsr, sizeof(wrsr));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x1C | 0x02);   /* WEL stays */
	ck_assert_uint_eq(stats_of(s).sr_writes, 0);
	ck_assert_uint_eq(stats_of(s).rejected, 1);
	finish(s);
}
END_TEST

/* --------------------------------------------------------------- files */

static uint64_t stat_value(const char *text, const char *name)
{
	char key[64];
	const char *p = text;
	unsigned long long v;
	int n;

	while (sscanf(p, "%63s %llu%n", key, &v, &n) == 2) {
		if (!strcmp(key, name))
			return v;
		p += n;
	}
	ck_abort_msg("no %s in stats", name);
	return 0;
}

START_TEST(save_state_stats_files)
{
	char *img = temp_image(FLASH_2M, 0, 1);
	char *save = temp_path(), *state = temp_path(), *stats = temp_path();
	const uint8_t data[4] = { 0x00, 0x11, 0x22, 0x33 };
	const uint8_t wrsr[3] = { 0x01, 0x08, 0x00 };
	struct bk_sim *s;
	char *text, *saved;
	size_t len;
	char o[4096];

	unlink(state);   /* absent at create: sr1= applies */
	snprintf(o, sizeof(o), "image=%s,save=%s,state=%s,stats=%s,sr1=0x04",
		 img, save, state, stats);
	s = make("bk7231n", o);
	ck_assert(enter(s));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x04);
	write_sr(s, (const uint8_t[]){ 0x01, 0x00, 0x00 }, 3);
	erase(s, 0x20, 0x4000);
	program(s, 0x4010, data, sizeof(data));
	write_sr(s, wrsr, sizeof(wrsr));
	finish(s);

	saved = slurp(save, &len);
	ck_assert_uint_eq(len, FLASH_2M);
	for (uint32_t i = 0; i < FLASH_2M; i++) {
		uint8_t want = pattern_at(i);

		if (i >= 0x4000 && i < 0x5000)
			want = 0xFF;
		if (i >= 0x4010 && i < 0x4014)
			want = data[i - 0x4010];
		if ((uint8_t)saved[i] != want)
			ck_abort_msg("save= differs at 0x%x", (unsigned)i);
	}
	free(saved);
	text = slurp(state, NULL);
	ck_assert_str_eq(text, "sr1 0x08\nsr2 0x00\n");
	free(text);
	text = slurp(stats, NULL);
	ck_assert_uint_eq(stat_value(text, "sector_erases"), 1);
	ck_assert_uint_eq(stat_value(text, "page_programs"), 1);
	ck_assert_uint_eq(stat_value(text, "program_bytes"), 4);
	ck_assert_uint_eq(stat_value(text, "sr_writes"), 2);
	ck_assert_uint_eq(stat_value(text, "entries"), 1);
	ck_assert_uint_eq(stat_value(text, "busy_ns"), MS(200) + 1500000 + MS(10));
	ck_assert_uint_ge(stat_value(text, "model_ns"), MS(200));
	ck_assert_uint_gt(stat_value(text, "bytes_clocked"), 64);
	ck_assert_uint_gt(stat_value(text, "frames"), 5);
	ck_assert_uint_eq(stat_value(text, "read_bytes"), 0);
	ck_assert_uint_eq(stat_value(text, "rejected"), 0);
	ck_assert_uint_eq(stat_value(text, "block_erases"), 0);
	ck_assert_uint_eq(stat_value(text, "chip_erases"), 0);
	free(text);

	/* state= wins over sr1=; save= may be the image itself */
	snprintf(o, sizeof(o), "image=%s,save=%s,state=%s,sr1=0x1c", save, save,
		 state);
	s = make("bk7231n", o);
	ck_assert(enter(s));
	ck_assert_uint_eq(read_sr(s, 0x05), 0x08);
	ck_assert_uint_eq(peek1(s, 0x4011), 0x11);
	write_sr(s, (const uint8_t[]){ 0x01, 0x00, 0x00 }, 3);
	erase(s, 0x20, 0x4000);
	finish(s);
	text = slurp(save, &len);
	ck_assert_uint_eq((uint8_t)text[0x4011], 0xFF);
	ck_assert_uint_eq((uint8_t)text[0x5000], pattern_at(0x5000));
	free(text);

	unlink(img);
	unlink(save);
	unlink(state);
	unlink(stats);
	free(img);
	free(save);
	free(state);
	free(stats);
}
END_TEST

START_TEST(bad_state_file)
{
	char *state = temp_path();
	char o[1024], err[512] = "";

	write_text(state, "sr1 0x1c\nbogus 3\n");
	snprintf(o, sizeof(o), "state=%s", state);
	ck_assert(bk_sim_create("bk7231n", o, err, sizeof(err)) == NULL);
	ck_assert_msg(strstr(err, "state=") != NULL, "%s", err);
	write_text(state, "sr1 0x03\n");   /* WIP/WEL are not stored */
	ck_assert(bk_sim_create("bk7231n", o, err, sizeof(err)) == NULL);
	write_text(state, "# comment\n\nsr1 0x1c\nsr2 0x40\n");
	finish(make("bk7231n", o));
	unlink(state);
	free(state);
}
END_TEST

/* -------------------------------------------------------------- faults */

static void read_4k_at(struct bk_sim *s, uint32_t addr, uint8_t *buf,
		       uint32_t hz)
{
	uint8_t tx[4100] = { 0x03, (uint8_t)(addr >> 16), (uint8_t)(addr >> 8),
			     (uint8_t)addr };
	uint8_t rx[4100];

	bk_sim_transfer(s, tx, rx, sizeof(rx), hz, 0);
	memcpy(buf, rx + 4, 4096);
}

START_TEST(maxclock_garbles)
{
	char *img = temp_image(FLASH_2M, 0, 1);
	char o[1024];
	struct bk_sim *s, *twin;
	uint8_t a[4096], b[4096], c[4096], id[4];
	const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int right = 0;

	snprintf(o, sizeof(o), "image=%s,maxclock=1M,seed=42", img);
	s = make("bk7231t", o);
	twin = make("bk7231t", o);
	ck_assert(enter(s));
	ck_assert(enter(twin));
	jedec_at(s, id, 1000000, 0);   /* at the limit: clean */
	assert_id(id, 0, 0x1C, 0x70, 0x15);
	for (int i = 0; i < 20; i++) {
		jedec_at(s, id, 2000000, 0);
		right += id[1] == 0x1C && id[2] == 0x70 && id[3] == 0x15;
	}
	ck_assert_int_le(right, 5);
	read_4k_at(s, 0x100000, a, 4000000);
	read_4k_at(s, 0x100000, b, 4000000);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert_int_eq(bk_sim_peek(s, 0x100000, c, sizeof(c)), 0);
	ck_assert(memcmp(a, c, sizeof(a)) != 0);
	read_flash(s, 0x100000, b, sizeof(b));   /* slow again: clean */
	ck_assert(memcmp(b, c, sizeof(b)) == 0);
	/* the same seed and the same calls give the same garbage */
	for (int i = 0; i < 20; i++)
		jedec_at(twin, id, 2000000, 0);
	read_4k_at(twin, 0x100000, b, 4000000);
	ck_assert(memcmp(a, b, sizeof(a)) == 0);
	/* program data received too fast is garbled as well */
	cmd(s, 0x06);
	cmd_addr(s, 0x20, 0);
	wait_ready(s);
	cmd(s, 0x06);
	{
		uint8_t tx[4 + 256] = { 0x02, 0, 0, 0 };

		memcpy(tx + 4, data, sizeof(data));
		bk_sim_transfer(s, tx, NULL, sizeof(tx), 8000000, 0);
	}
	wait_ready(s);
	ck_assert_int_eq(bk_sim_peek(s, 0, c, 256), 0);
	ck_assert(memcmp(c, data, sizeof(data)) != 0 || !all_equal(c + 8, 248, 0));
	finish(s);
	finish(twin);
	unlink(img);
	free(img);
}
END_TEST

START_TEST(flip_every_byte)
{
	struct bk_sim *s = make("bk7231t", "flip=1000000,seed=7");
	struct bk_sim *clean = make("bk7231t", "flip=0");
	uint8_t id[4];
	const uint8_t want[4] = { 0x00, 0x1C, 0x70, 0x15 };

	reset_pulse(s);
	d2_stream(s, 64, HZ, 0, NULL);   /* the ack itself is flipped */
	bk_sim_delay(s, MS(20));
	for (int round = 0; round < 10; round++) {
		jedec(s, id);
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(__builtin_popcount(id[i] ^ want[i]), 1);
	}
	ck_assert(enter(clean));
	jedec(clean, id);
	assert_id(id, 0x00, 0x1C, 0x70, 0x15);
	finish(s);
	finish(clean);
}
END_TEST

START_TEST(dead_never_enters)
{
	struct bk_sim *s = make("bk7231n", "dead");
	uint8_t id[4];

	for (int i = 0; i < 5; i++) {
		ck_assert(!enter(s));
		jedec(s, id);
		assert_id(id, 0, 0, 0, 0);
	}
	ck_assert_uint_eq(stats_of(s).entries, 0);
	finish(s);
}
END_TEST

START_TEST(enter_after_attempts)
{
	struct bk_sim *s = make("bk7231n", "enter-after=2");
	uint8_t id[4];

	/* a reset without a stream is not an attempt */
	reset_pulse(s);
	bk_sim_delay(s, MS(500));
	ck_assert(!enter(s));
	ck_assert(!enter(s));
	jedec(s, id);
	assert_id(id, 0, 0, 0, 0);
	ck_assert(enter(s));
	jedec(s, id);
	assert_id(id, 0, 0xEB, 0x60, 0x15);
	ck_assert_uint_eq(stats_of(s).entries, 1);
	finish(s);
}
END_TEST

/* ------------------------------------------------------- time, options */

START_TEST(model_time_and_counters)
{
	struct bk_sim *s = make("bk7231t", NULL);
	uint8_t buf[10] = { 0 };
	struct bk_sim_stats st;

	ck_assert_uint_eq(bk_sim_now(s), 0);
	bk_sim_transfer(s, buf, NULL, sizeof(buf), 1000000, 0);   /* 80 us */
	ck_assert_uint_eq(bk_sim_now(s), 80000);
	bk_sim_transfer(s, buf, NULL, 3, 30000, 0);   /* 800 us */
	ck_assert_uint_eq(bk_sim_now(s), 880000);
	bk_sim_delay(s, 120000);
	ck_assert_uint_eq(bk_sim_now(s), 1000000);
	bk_sim_transfer(s, NULL, NULL, 0, HZ, 0);
	st = stats_of(s);
	ck_assert_uint_eq(st.model_ns, 1000000);
	ck_assert_uint_eq(st.bytes_clocked, 13);
	ck_assert_uint_eq(st.frames, 3);
	finish(s);
}
END_TEST

START_TEST(rejects_malformed_options)
{
	static const struct {
		const char *model, *opts, *names;
	} cases[] = {
		{ "bk7231x", "", "bk7231x" },
		{ "bk7231t", "size=3M", "size" },
		{ "bk7231t", "size=32K", "size" },
		{ "bk7231t", "size=32M", "size" },
		{ "bk7231t", "size=two", "size" },
		{ "bk7231t", "size=", "size" },
		{ "bk7231t", "size", "size" },
		{ "bk7231t", "bogus=1", "bogus" },
		{ "bk7231t", "dead=1", "dead" },
		{ "bk7231t", "stuck-busy=yes", "stuck-busy" },
		{ "bk7231t", "jedec=12345", "jedec" },
		{ "bk7231t", "jedec=zz0000", "jedec" },
		{ "bk7231t", "jedec=1234567", "jedec" },
		{ "bk7231t", "maxclock=0", "maxclock" },
		{ "bk7231t", "maxclock=fast", "maxclock" },
		{ "bk7231t", "flip=2000000", "flip" },
		{ "bk7231t", "flip=-1", "flip" },
		{ "bk7231t", "seed=x", "seed" },
		{ "bk7231t", "enter-after=1.5", "enter-after" },
		{ "bk7231t", "sr1=0x03", "sr1" },
		{ "bk7231t", "sr1=0x100", "sr1" },
		{ "bk7231t", "sr2=0x40", "sr2" },
		{ "bk7231n", "sr2=0x80", "sr2" },
		{ "bk7231t", "image=/nonexistent/dump.bin", "image" },
		{ "bk7231t", "size=1M,,dead", "" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bk_sim *s;

		err[0] = '\0';
		s = bk_sim_create(cases[i].model, cases[i].opts, err, sizeof(err));
		ck_assert_msg(s == NULL, "'%s' accepted", cases[i].opts);
		ck_assert_msg(*err && !strchr(err, '\n'), "'%s': '%s'",
			      cases[i].opts, err);
		ck_assert_msg(strstr(err, cases[i].names) != NULL,
			      "'%s': message '%s' does not name it",
			      cases[i].opts, err);
	}
}
END_TEST

START_TEST(rejects_bad_image_sizes)
{
	char *odd = temp_image(100000, 0xFF, 0);
	char *big = temp_image(128 * 1024, 0xFF, 0);
	char *empty = temp_image(0, 0xFF, 0);
	char err[512] = "";

	ck_assert(try_image("bk7231t", odd, "", err, sizeof(err)) == NULL);
	ck_assert_msg(strstr(err, "image=") != NULL, "%s", err);
	ck_assert(try_image("bk7231t", empty, "", err, sizeof(err)) == NULL);
	ck_assert(try_image("bk7231t", big, "size=64K", err, sizeof(err)) == NULL);
	ck_assert_msg(strstr(err, "size") != NULL, "%s", err);
	finish(make_image("bk7231t", odd, "size=128K"));
	finish(make_image("bk7231t", empty, "size=64K"));
	unlink(odd);
	unlink(big);
	unlink(empty);
	free(odd);
	free(big);
	free(empty);
}
END_TEST

/* issue 8 item 11: a 4 KiB image is a power of two; say what is wrong. */
START_TEST(image_size_messages_say_what_is_wrong)
{
	static const struct {
		size_t size;
		const char *opts, *says;
	} cases[] = {
		{ 4096, "", "4096 bytes is below the smallest flash the model knows (64K); add size=" },
		{ 0, "", "0 bytes is below the smallest flash the model knows (64K); add size=" },
		{ 100000, "", "100000 bytes is not a power of two (64K, 128K, ... 16M); add size=" },
		{ 32u << 20, "", "33554432 bytes is above the largest flash the model knows (16M); add size=" },
	};
	static const struct {
		const char *opts, *says;
	} sizes[] = {
		{ "size=4K", "size=4K is below the smallest flash the model knows (64K)" },
		{ "size=32M", "size=32M is above the largest flash the model knows (16M)" },
		{ "size=3M", "size=3M is not a power of two (64K, 128K, ... 16M)" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *img = temp_image(0, 0xFF, 0);

		ck_assert_int_eq(truncate(img, (off_t)cases[i].size), 0);
		err[0] = '\0';
		ck_assert(try_image("bk7231t", img, cases[i].opts, err, sizeof(err)) == NULL);
		ck_assert_msg(strstr(err, cases[i].says) != NULL, "%s", err);
		ck_assert_msg(cases[i].size == 100000 || !strstr(err, "not a power of two"), "%s", err);
		unlink(img);
		free(img);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		err[0] = '\0';
		ck_assert(bk_sim_create("bk7231t", sizes[i].opts, err, sizeof(err)) == NULL);
		ck_assert_msg(strstr(err, sizes[i].says) != NULL, "%s", err);
	}
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *sim_suite(void)
{
	Suite *s = suite_create("sim_bk72xx");
	TCase *entry = tcase_create("entry");
	TCase *nor = tcase_create("nor");
	TCase *prot = tcase_create("protection");
	TCase *files = tcase_create("files");
	TCase *faults = tcase_create("faults");

	tcase_add_test(entry, silent_before_entry);
	tcase_add_test(entry, entry_single_frame_answers);
	tcase_add_test(entry, entry_multi_frame);
	tcase_add_test(entry, entry_d2_with_zero_padding);
	tcase_add_test(entry, entry_needs_64_d2);
	tcase_add_test(entry, entry_window);
	tcase_add_test(entry, cen_toggle_leaves_flash_mode);
	tcase_add_test(entry, d2_frame_in_flash_mode_is_acked);
	tcase_add_test(entry, spi_modes);
	tcase_add_test(entry, jedec_per_model);
	tcase_add_test(entry, rems_and_sr_registers);

	tcase_add_test(nor, read_real_dumps);
	tcase_add_test(nor, image_smaller_than_size);
	tcase_add_test(nor, mirroring);
	tcase_add_test(nor, and_only_programming);
	tcase_add_test(nor, page_wrap);
	tcase_add_test(nor, erase_sizes);
	tcase_add_test(nor, wel_required_and_cleared);
	tcase_add_test(nor, busy_rejects_and_wip_timing);
	tcase_add_test(nor, status_poll_in_one_frame);
	tcase_add_test(nor, wrsr_shows_wip);
	tcase_add_test(nor, model_time_and_counters);

	tcase_add_test(prot, bp_blocks_erase_and_program);
	tcase_add_test(prot, cmp_inverts_protection);
	tcase_add_test(prot, srp1_locks_status);

	tcase_add_test(files, save_state_stats_files);
	tcase_add_test(files, bad_state_file);
	tcase_add_test(files, rejects_malformed_options);
	tcase_add_test(files, rejects_bad_image_sizes);
	tcase_add_test(files, image_size_messages_say_what_is_wrong);

	tcase_add_test(faults, maxclock_garbles);
	tcase_add_test(faults, flip_every_byte);
	tcase_add_test(faults, dead_never_enters);
	tcase_add_test(faults, enter_after_attempts);
	tcase_add_test(faults, stuck_busy);

	tcase_set_timeout(nor, 120);
	tcase_set_timeout(files, 120);
	tcase_set_timeout(faults, 120);
	suite_add_tcase(s, entry);
	suite_add_tcase(s, nor);
	suite_add_tcase(s, prot);
	suite_add_tcase(s, files);
	suite_add_tcase(s, faults);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
