/* SPDX-License-Identifier: MIT */
/*
 * gx-upload end to end against the GX emulator. Every case runs through
 * -p sim:gx in model time, where it takes milliseconds; the cases that
 * exercise a transport run again on the emulator's pty in real time, and
 * through a real ser2net in front of that pty, over tcp: and rfc2217:.
 * Every case checks what a user sees: exit status, the one error line,
 * output files, and what the box saw (its trace, rx, stats and flash files).
 * The files, loaders and the emulator process come from gxtest; the
 * hostile-user cases (signals, a re-run on a streaming box) are in
 * check_hostile_gx_upload.c.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gxtest.h"
#include "ser2net.h"
#include "sim_uart.h"
#include "testutil.h"
#include "ttyview.h"

/*
 * VIA_SIM: gx-upload's own -p sim:gx, in model time. Each run has a fresh
 * emulator inside gx-upload; gx() carries the box over to the next run (see
 * box_carry), so a case sees one box across runs as on the other transports.
 * VIA_PTY: the emulator (build/uart-sim) on a pty in real time, gx-upload on
 * its path. VIA_TCP, VIA_RFC2217: a real ser2net in front of that pty.
 */
enum transport { VIA_PTY, VIA_SIM, VIA_TCP, VIA_RFC2217 };
static enum transport via;

/* Files every test shares, made once per run of the suite, beside gxtest's. */
static char taurus[64], junk[64], short_loader[64];

static void make_files(void)
{
	uint8_t junk_bytes[9000];

	gxt_make_files();
	tu_tmpfile(taurus, sizeof(taurus));
	gxt_make_loader(taurus, 0x6616, 100000, 24 * 1024);
	tu_tmpfile(junk, sizeof(junk));
	memset(junk_bytes, 0x5A, sizeof(junk_bytes));
	tu_write_file(junk, junk_bytes, sizeof(junk_bytes));
	tu_tmpfile(short_loader, sizeof(short_loader));
	gxt_make_loader(short_loader, 0x6701, 115200, 0x20 + 1000);
}

static void remove_files(void)
{
	gxt_remove_files();
	unlink(taurus);
	unlink(junk);
	unlink(short_loader);
}

/* ---- a box: the emulator, behind ser2net unless via sim: ---- */

struct box {
	char spec[1024];
	struct gxt_box files;                        /* trace, rx, save, stats */
	struct tu_sim sim;
	struct tu_ser2net net;
	int slave;
	int running;
	/* VIA_SIM: what carries the box from run to run */
	char opts[400];
	char otp[64];                                /* the OTP, saved by each run */
	char run_trace[64], run_rx[64], run_stats[64];
	int runs;                                    /* runs that reached the box */
	int at_prompt;                               /* the last one left the loader running */
};

static void copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *data = tu_read_file(from, &len);

	tu_write_file(to, data, len);
	free(data);
}

/* The next run's -p sim:gx: the box as the last run left it. */
static void sim_spec(struct box *b)
{
	snprintf(b->spec, sizeof(b->spec), "sim:gx,image=%s,otp=%s,otp-save=%s,trace=%s,rx=%s,"
		 "save=%s,stats=%s%s%s%s", b->runs ? b->files.save : gxt_flash, b->otp, b->otp,
		 b->run_trace, b->run_rx, b->files.save, b->run_stats, *b->opts ? "," : "", b->opts,
		 !b->runs ? "" : b->at_prompt ? ",state=prompt" : ",state=rom");
}

static void box_start(struct box *b, const char *opts)
{
	char full[900];

	memset(b, 0, sizeof(*b));
	gxt_box_files(&b->files);
	if (via == VIA_SIM) {
		snprintf(b->opts, sizeof(b->opts), "%s", opts);
		tu_tmpfile(b->otp, sizeof(b->otp));
		copy_file(gxt_otp, b->otp);
		tu_tmpfile(b->run_trace, sizeof(b->run_trace));
		tu_tmpfile(b->run_rx, sizeof(b->run_rx));
		tu_tmpfile(b->run_stats, sizeof(b->run_stats));
		unlink(b->run_stats);
		sim_spec(b);
		return;
	}
	snprintf(full, sizeof(full), "%s%s%s", b->files.model_spec, *opts ? "," : "", opts);
	tu_sim_start(&b->sim, full);
	b->running = 1;
	if (via == VIA_PTY) {
		snprintf(b->spec, sizeof(b->spec), "%s", b->sim.path);
		return;
	}
	b->slave = open(b->sim.path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(b->slave, 0);
	ck_assert_int_eq(tu_ser2net_start(&b->net, b->sim.path, 115200), 0);
	snprintf(b->spec, sizeof(b->spec), "%s",
		 via == VIA_TCP ? b->net.raw_spec : b->net.rfc2217_spec);
}

/* Whether the loader runs at the end of a trace: the last of these events says. */
static int loader_left_running(const char *trace)
{
	static const struct { const char *line; int running; } events[] = {
		{ "stage2 ok", 1 }, { "state prompt", 1 }, { "reboot", 1 },
		{ "power-on", 0 }, { "reset", 0 },
	};
	const char *last = NULL;
	int running = 0;

	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		size_t n = strlen(events[i].line);

		for (const char *p = trace; (p = strstr(p, events[i].line)); p += n)
			if ((p == trace || p[-1] == '\n') && (p[n] == '\n' || p[n] == ' ') &&
			    (!last || p > last)) {
				last = p;
				running = events[i].running;
			}
	}
	return running;
}

static void append_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *add = tu_read_file(from, &len);
	FILE *f = fopen(to, "ab");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(add, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	free(add);
}

/* The box's stats: the sum over its runs. */
static void add_stats(const char *from, const char *to)
{
	char names[64][32], key[32];
	unsigned long long values[64] = { 0 }, v;
	int n = 0;
	FILE *f;

	for (int pass = 0; pass < 2; pass++) {
		f = fopen(pass ? from : to, "r");
		ck_assert_ptr_nonnull(f);
		while (fscanf(f, "%31s %llu", key, &v) == 2) {
			int i = 0;

			while (i < n && strcmp(names[i], key))
				i++;
			if (i == n) {
				ck_assert_int_lt(n, 64);
				snprintf(names[n], sizeof(names[n]), "%s", key);
				values[n++] = 0;
			}
			values[i] += v;
		}
		fclose(f);
	}
	f = fopen(to, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s %llu\n", names[i], values[i]);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * VIA_SIM, after a run: a run whose emulator started (it wrote its stats)
 * leaves its flash and OTP for the next one; its trace, rx and stats join
 * the box's; a loader it left running is at the prompt for the next run.
 */
static void box_carry(struct box *b)
{
	size_t len;
	char *trace;

	if (access(b->run_stats, F_OK) != 0)
		return;
	add_stats(b->run_stats, b->files.stats);
	append_file(b->run_trace, b->files.trace);
	append_file(b->run_rx, b->files.rx);
	trace = (char *)tu_read_file(b->run_trace, &len);
	b->at_prompt = loader_left_running(trace);
	free(trace);
	b->runs++;
	unlink(b->run_stats);
	sim_spec(b);
}

/* The emulator writes its files when it stops (VIA_SIM: at the end of each run). */
static void box_stop(struct box *b)
{
	if (!b->running)
		return;
	if (via != VIA_PTY) {
		tu_ser2net_stop(&b->net);
		close(b->slave);
	}
	tu_sim_stop(&b->sim);
	b->running = 0;
}

static void box_free(struct box *b)
{
	box_stop(b);
	gxt_box_free(&b->files);
	if (via == VIA_SIM) {
		unlink(b->otp);
		unlink(b->run_trace);
		unlink(b->run_rx);
		unlink(b->run_stats);
	}
}

/* Run gx-upload -p BOX ARGS... */
static void gx(struct tu_run *r, struct box *b, const char *stdin_path, const char *const *args)
{
	const char *argv[32] = { "-p", b->spec, "-q" };
	int n = 3;

	for (int i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	tu_run(r, "gx-upload", stdin_path, NULL, argv);
	if (via == VIA_SIM)
		box_carry(b);
	if ((via == VIA_TCP || via == VIA_RFC2217) && b->running)
		tu_ser2net_idle(&b->net);
}

#define GX(r, b, ...) gx(r, b, NULL, (const char *const[]){ __VA_ARGS__, NULL })

static void assert_ok(const struct tu_run *r)
{
	ck_assert_msg(r->status == 0, "exit %d: %s", r->status, r->err);
}

static int slice_equals(const char *path, const char *image, size_t at, size_t len)
{
	size_t got, whole;
	uint8_t *a = tu_read_file(path, &got), *b = tu_read_file(image, &whole);
	int same = got == len && at + len <= whole && !memcmp(a, b + at, len);

	free(a);
	free(b);
	return same;
}

static void tmp_out(char *buf, size_t len)
{
	tu_tmpfile(buf, len);
	unlink(buf);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int nonempty(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_size > 0;
}

/* ---- golden ---- */

START_TEST(boot_sends_the_captured_bytes)
{
	char lpath[512], s1[512], s2[512];
	uint8_t *a, *b, *rx;
	size_t alen, blen, rxlen;
	struct box box;
	struct tu_run r;

	if (!tu_shared("gx/loaders/gemini-6702H5-sflash-24M.boot", lpath, sizeof(lpath)) ||
	    !tu_shared("gx/packets/sent_000001.txt", s1, sizeof(s1)) ||
	    !tu_shared("gx/packets/sent_000002.txt", s2, sizeof(s2)))
		return;
	box_start(&box, "");
	GX(&r, &box, "-L", lpath, "boot");
	assert_ok(&r);
	tu_run_free(&r);
	box_stop(&box);
	a = tu_read_capture(s1, &alen);
	b = tu_read_capture(s2, &blen);
	rx = tu_read_file(box.files.rx, &rxlen);
	/* One "\n" probes for a running loader before the ROM speaks. */
	ck_assert_uint_eq(rxlen, 1 + alen + blen);
	ck_assert_int_eq(rx[0], '\n');
	ck_assert_msg(!memcmp(rx + 1, a, alen), "stage 1 differs from sent_000001");
	ck_assert_msg(!memcmp(rx + 1 + alen, b, blen), "\"boot\" + stage 2 differ from sent_000002");
	ck_assert(tu_file_has(box.files.trace, "stage1 ok chip=0x6701 bytes=8197"));
	ck_assert(tu_file_has(box.files.trace, "stage2 ok sum=0x00c2341b size=148028"));
	/* Over the network ser2net sets the pty, with its own termios. */
	if (via == VIA_PTY || via == VIA_SIM)
		ck_assert(tu_file_has(box.files.trace, "line baud=115200 parity=none inpck=1"));
	free(a);
	free(b);
	free(rx);
	box_free(&box);
}
END_TEST

/* ---- commands ---- */

START_TEST(info_text_and_json)
{
	struct box box;
	struct tu_run r;

	box_start(&box, "");
	GX(&r, &box, "-L", gxt_loader, "info");
	assert_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.out, "board:  6702H5"));
	ck_assert_ptr_nonnull(strstr(r.out, "flash:  EN25Q32, 4096 KiB"));
	ck_assert_ptr_nonnull(strstr(r.out, "KERNEL   raw      0x00020000    2752512"));
	tu_run_free(&r);
	/* The loader is still at its prompt: no second upload, no table either. */
	GX(&r, &box, "-L", gxt_loader, "--json", "info");
	gxt_assert_error(&r, 2, "info needs the partition table");
	tu_run_free(&r);
	box_stop(&box);
	ck_assert_uint_eq(tu_stat(box.files.stats, "stage2_ok"), 1);
	box_free(&box);
	box_start(&box, "");
	GX(&r, &box, "-L", gxt_loader, "--json", "info");
	assert_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.out, "{\"chip\": \"gemini\", \"board\": \"6702H5\", "
				 "\"flash\": {\"model\": \"EN25Q32\", \"size\": 4194304}"));
	ck_assert_ptr_nonnull(strstr(r.out, "{\"name\": \"DATA\", \"fs\": \"minifs\", "
				 "\"start\": 3735552, \"size\": 458752}]}"));
	tu_run_free(&r);
	box_free(&box);
}
END_TEST

struct part {
	const char *name;
	size_t start, size;
};

static const struct part parts[] = {
	{ "BOOT", 0x0, 64 << 10 }, { "TABLE", 0x10000, 512 }, { "LOGO", 0x10200, 65024 },
	{ "KERNEL", 0x20000, 2688 << 10 }, { "ROOT", 0x2C0000, 832 << 10 },
	{ "DATA", 0x390000, 448 << 10 },
};

START_TEST(dump_each_partition)
{
	char out[64];
	struct box box;
	struct tu_run r;

	tmp_out(out, sizeof(out));
	box_start(&box, "");
	GX(&r, &box, "-L", gxt_loader, "dump", parts[_i].name, "-o", out);
	assert_ok(&r);
	ck_assert_msg(slice_equals(out, gxt_flash, parts[_i].start, parts[_i].size),
		      "%s differs", parts[_i].name);
	tu_run_free(&r);
	unlink(out);
	box_free(&box);
}
END_TEST

START_TEST(dump_address_to_stdout)
{
	char out[64];
	struct box box;
	struct tu_run r;

	tmp_out(out, sizeof(out));
	box_start(&box, "");
	GX(&r, &box, "-L", gxt_loader, "dump", "0x3ff000");
	assert_ok(&r);
	tu_write_file(out, r.out, r.outlen);
	ck_assert(slice_equals(out, gxt_flash, 0x3ff000, 0x1000));
	tu_run_free(&r);
	box_free(&box);
	unlink(out);
}
END_TEST

START_TEST(write_then_dump_back)
{
	char img[64], out[64];
	size_t len;
	struct box box;
	struct tu_run r;
	uint8_t *saved, *orig, *mine;

	tu_tmpfile(img, sizeof(img));
	gxt_random_file(img, 200000);
	tmp_out(out, sizeof(out));
	box_start(&box, "");
	GX(&r, &box, "-L", gxt_loader, "write", "KERNEL", img);
	assert_ok(&r);
	tu_run_free(&r);
	GX(&r, &box, "dump", "0x20000", "200000", "-o", out);
	assert_ok(&r);
	ck_assert(tu_files_equal(out, img));
	tu_run_free(&r);
	box_stop(&box);
	ck_assert(tu_file_has(box.files.trace, "command serialdown KERNEL 200000"));
	ck_assert(tu_file_has(box.files.trace, "crc ok"));
	saved = tu_read_file(box.files.save, &len);
	orig = tu_read_file(gxt_flash, &len);
	mine = tu_read_file(img, &len);
	ck_assert_mem_eq(saved + 0x20000, mine, 200000);
	ck_assert_mem_eq(saved, orig, 0x20000);
	ck_assert_mem_eq(saved + 0x20000 + 200000, orig + 0x20000 + 200000,
			 GXT_FLASH_SIZE - 0x20000 - 200000);
	free(saved);
	free(orig);
	free(mine);
	box_free(&box);
	unlink(img);
	unlink(out);
}
END_TEST

START_TEST(write_into_boot_needs_force)
{
	char img[64];
	struct box box;
	struct tu_run r;

	tu_tmpfile(img, sizeof(img));
	gxt_random_file(img, 4096);
	box_start(&box, "");
	GX(&r, &box, "-L", gxt_loader, "write", "0x8000", img);
	gxt_assert_error(&r, 2, "would change the BOOT partition (0x000000-0x010000)");
	tu_run_free(&r);
	GX(&r, &box, "-L", gxt_loader, "--force-bootloader", "write", "0x8000", img);
	assert_ok(&r);
	tu_run_free(&r);
	box_stop(&box);
	ck_assert_uint_eq(tu_stat(box.files.stats, "downs"), 1);
	box_free(&box);
	unlink(img);
}
END_TEST

START_TEST(otp_read_and_write)
{
	char out[64], bits[64];
	struct box box;
	struct tu_run r;
	uint8_t set[16];
	size_t len;
	uint8_t *saved;

	tmp_out(out, sizeof(out));
	tu_tmpfile(bits, sizeof(bits));
	memset(set, 0x81, sizeof(set));
	tu_write_file(bits, set, sizeof(set));
	box_start(&box, "");
	GX(&r, &box, "-L", gxt_loader, "otp-read", "0", "1024", "-o", out);
	assert_ok(&r);
	ck_assert(tu_files_equal(out, gxt_otp));
	tu_run_free(&r);
	GX(&r, &box, "otp-write", "0x300", bits);
	gxt_assert_error(&r, 2, "OTP writes cannot be undone; add --irreversible");
	tu_run_free(&r);
	/* 0x000-0x1FF has bits set that the file clears: refused, nothing written. */
	GX(&r, &box, "--irreversible", "otp-write", "0x10", bits);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "OTP bits cannot be cleared; nothing was written"));
	tu_run_free(&r);
	gx(&r, &box, NULL, (const char *const[]){ "--irreversible", "otp-write", "0x300", bits,
						 NULL });
	assert_ok(&r);
	tu_run_free(&r);
	GX(&r, &box, "otp-read", "0x300", "16", "-o", out);
	assert_ok(&r);
	saved = tu_read_file(out, &len);
	ck_assert_uint_eq(len, 16);
	ck_assert_mem_eq(saved, set, 16);
	free(saved);
	tu_run_free(&r);
	box_stop(&box);
	ck_assert_uint_eq(tu_stat(box.files.stats, "otp_writes"), 1);
	box_free(&box);
	unlink(out);
	unlink(bits);
}
END_TEST

START_TEST(sflash_otp_and_cmd)
{
	struct box box;
	struct tu_run r;

	box_start(&box, "");
	GX(&r, &box, "-L", gxt_loader, "sflash-otp", "status");
	assert_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.out, "sflash otp: 3 regions x 256 B"));
	tu_run_free(&r);
	GX(&r, &box, "cmd", "flash badinfo");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "flash badinfo: no bad blocks\n");
	tu_run_free(&r);
	box_free(&box);
}
END_TEST

/* ---- faults ---- */

START_TEST(corrupted_dumps_are_retried)
{
	char out[64];
	struct box box;
	struct tu_run r;

	tmp_out(out, sizeof(out));
	box_start(&box, "flip=2");
	gx(&r, &box, NULL, (const char *const[]){ "-L", gxt_loader, "-v", "dump", "BOOT", "-o", out,
						 NULL });
	assert_ok(&r);
	ck_assert(slice_equals(out, gxt_flash, 0, 64 << 10));
	ck_assert_ptr_nonnull(strstr(r.err, "retrying 'serialdump 0x0 65536' (2 of 3)"));
	ck_assert_ptr_null(strstr(r.err, "(3 of 3)"));
	tu_run_free(&r);
	box_stop(&box);
	ck_assert_uint_eq(tu_stat(box.files.stats, "flips"), 2);
	ck_assert_uint_eq(tu_stat(box.files.stats, "dumps"), 3);
	box_free(&box);
	unlink(out);
}
END_TEST

START_TEST(checksum_mismatch_leaves_no_file)
{
	char out[64];
	struct box box;
	struct tu_run r;

	tmp_out(out, sizeof(out));
	box_start(&box, "flip=5");
	GX(&r, &box, "-L", gxt_loader, "--retries", "2", "dump", "TABLE", "-o", out);
	gxt_assert_error(&r, 1, "'serialdump 0x10000 512' failed its XOR-sum or stopped short 3 times");
	ck_assert(!exists(out));
	tu_run_free(&r);
	box_free(&box);
}
END_TEST

START_TEST(box_reset_mid_dump_is_recovered)
{
	char out[64];
	struct box box;
	struct tu_run r;

	tmp_out(out, sizeof(out));
	box_start(&box, "reset-at=20000");
	GX(&r, &box, "-L", gxt_loader, "dump", "LOGO", "-o", out);
	assert_ok(&r);
	ck_assert(slice_equals(out, gxt_flash, 0x10200, 65024));
	tu_run_free(&r);
	box_stop(&box);
	ck_assert_uint_eq(tu_stat(box.files.stats, "resets"), 1);
	ck_assert_uint_eq(tu_stat(box.files.stats, "stage2_ok"), 2);
	box_free(&box);
	unlink(out);
}
END_TEST

/* Lost and late bytes: a short transfer is read again; stalls are waited out. */
START_TEST(dropped_and_delayed_bytes)
{
	char out[64];
	struct box box;
	struct tu_run r;

	tmp_out(out, sizeof(out));
	box_start(&box, "drop-rate=0.003,seed=7");
	GX(&r, &box, "-L", gxt_loader, "--retries", "10", "dump", "TABLE", "-o", out);
	assert_ok(&r);
	ck_assert(slice_equals(out, gxt_flash, 0x10000, 512));
	tu_run_free(&r);
	box_stop(&box);
	ck_assert_uint_gt(tu_stat(box.files.stats, "drops"), 0);
	box_free(&box);
	box_start(&box, "delay-rate=0.0005,delay=300,seed=3");
	GX(&r, &box, "-L", gxt_loader, "dump", "BOOT", "-o", out);
	assert_ok(&r);
	ck_assert(slice_equals(out, gxt_flash, 0, 64 << 10));
	tu_run_free(&r);
	box_stop(&box);
	ck_assert_uint_gt(tu_stat(box.files.stats, "delays"), 0);
	box_free(&box);
	unlink(out);
}
END_TEST

/* ---- a loader already running ---- */

START_TEST(prompt_already_there)
{
	char out[64];
	struct box box;
	struct tu_run r;

	tmp_out(out, sizeof(out));
	box_start(&box, "state=prompt");
	GX(&r, &box, "dump", "0x10000", "512", "-o", out);
	assert_ok(&r);
	ck_assert(slice_equals(out, gxt_flash, 0x10000, 512));
	tu_run_free(&r);
	GX(&r, &box, "dump", "BOOT");
	gxt_assert_error(&r, 2, "BOOT needs the partition table, which the loader prints only when "
		     "it starts");
	tu_run_free(&r);
	box_stop(&box);
	ck_assert_uint_eq(tu_stat(box.files.stats, "handshakes"), 0);
	box_free(&box);
	unlink(out);
}
END_TEST

/* ---- the ROM stage's baud ---- */

START_TEST(taurus_rom_stage_at_100000)
{
	struct box box;
	struct tu_run r;

	if ((via == VIA_PTY || via == VIA_RFC2217) &&
	    tu_skip_unless_pty_takes(100000, via == VIA_PTY ? "taurus_rom_stage_at_100000 (pty)" :
				     "taurus_rom_stage_at_100000 (rfc2217)"))
		return;
	box_start(&box, "loader-chip=0x6616,rom-baud=100000,power-delay=500");
	GX(&r, &box, "-L", taurus, "boot");
	if (via == VIA_TCP) {
		gxt_assert_error(&r, 2, "the boot ROM stage needs 100000 baud: tcp:127.0.0.1:");
		gxt_assert_error(&r, 2, "is a raw TCP port at 115200 baud; it cannot switch to 100000 baud");
		box_stop(&box);
		ck_assert_msg(!nonempty(box.files.rx), "bytes reached the box");
	} else {
		assert_ok(&r);
		box_stop(&box);
		ck_assert(tu_file_has(box.files.trace, "line baud=100000"));
		ck_assert(tu_file_has(box.files.trace, "stage1 ok chip=0x6616 bytes=8197"));
		ck_assert(tu_file_has(box.files.trace, "stage2 ok"));
	}
	tu_run_free(&r);
	box_free(&box);
}
END_TEST

/* -B overrides the loader header's rate: a 115200 loader on a 100000 ROM. */
START_TEST(rom_baud_option)
{
	struct box box;
	struct tu_run r;

	box_start(&box, "rom-baud=100000,power-delay=500");
	GX(&r, &box, "-L", gxt_loader, "-B", "100000", "boot");
	assert_ok(&r);
	tu_run_free(&r);
	box_stop(&box);
	ck_assert(tu_file_has(box.files.trace, "line baud=100000"));
	ck_assert(tu_file_has(box.files.trace, "stage2 ok"));
	box_free(&box);
}
END_TEST

/* ---- bad input: one line, the status, nothing written ---- */

struct bad_case {
	const char *box;  /* emulator options */
	const char *args[8];
	int status;
	const char *msg;
	int early;        /* refused before the port is opened */
};

static const struct bad_case bad[] = {
	{ "", { "-L", "@junk", "boot" }, 2, "is not a GX loader: no \"toob\" magic", 1 },
	{ "", { "-L", "@short", "boot" }, 2, "shorter than its stage 1 (8220 bytes for chip 0x6701)", 1 },
	{ "", { "-L", "@loader", "dump", "ROOTFS" }, 2, "no partition 'ROOTFS' on this box", 0 },
	{ "", { "-L", "@loader", "dump", "BOOT", "70000" }, 2,
	  "70000 bytes do not fit partition BOOT (65536 bytes at 0x000000)", 0 },
	{ "", { "-L", "@loader", "dump", "0x3F0000", "0x20000" }, 2,
	  "0x3f0000+131072 runs past the end of the 4 MiB flash", 0 },
	{ "handshake=off", { "-L", "@loader", "--timeout", "1", "dump", "BOOT" }, 3,
	  "no handshake from the boot ROM on ", 0 },
	{ "handshake=off", { "--timeout", "1", "boot" }, 2,
	  "no boot> prompt on ", 0 },
	{ "", { "-L", "@loader", "flash" }, 2, "unknown command 'flash'", 1 },
	{ "", { "-L", "@loader", "dump" }, 2, "dump takes PART|ADDR [SIZE]", 1 },
	{ "", { "-L", "@loader", "-B", "12", "boot" }, 2, "bad --baud '12'", 1 },
	{ "", { "-L", "@loader", "--reset", "dtr=on", "boot" }, 2, "bad step 'dtr=on' in --reset", 1 },
	{ "", { "-L", "@loader", "--reset", ",,,", "boot" }, 2, "empty step in --reset ',,,'", 1 },
	{ "", { "--chip", "6702H5", "--loader-dir", "/nonexistent", "boot" }, 2,
	  "cannot read the loader directory /nonexistent", 1 },
	{ "", { "-L", "@loader", "--json", "dump", "BOOT" }, 2, "--json means nothing for dump", 1 },
	{ "", { "-L", "@loader", "dump", "BOOT", "lots" }, 2, "bad size 'lots'", 1 },
	{ "", { "-L", "@loader", "otp-read", "0x10", "ten" }, 2, "bad OTP size 'ten'", 1 },
	{ "", { "-L", "@loader", "sflash-otp", "read", "x", "16" }, 2, "bad OTP address 'x'", 1 },
};

START_TEST(bad_input)
{
	const char *argv[12];
	char out[64];
	struct box box;
	struct tu_run r;
	int n = 0, dumps = strstr(bad[_i].msg, "partition") || strstr(bad[_i].msg, "past the end");

	tmp_out(out, sizeof(out));
	box_start(&box, bad[_i].box);
	for (int i = 0; i < 8 && bad[_i].args[i]; i++) {
		const char *a = bad[_i].args[i];

		argv[n++] = !strcmp(a, "@junk") ? junk : !strcmp(a, "@short") ? short_loader :
			    !strcmp(a, "@loader") ? gxt_loader : a;
	}
	if (dumps) {
		argv[n++] = "-o";
		argv[n++] = out;
	}
	argv[n] = NULL;
	gx(&r, &box, NULL, argv);
	gxt_assert_error(&r, bad[_i].status, bad[_i].msg);
	ck_assert_msg(!exists(out), "%s left an output file", bad[_i].msg);
	tu_run_free(&r);
	box_stop(&box);
	if (nonempty(box.files.stats))
		ck_assert_uint_eq(tu_stat(box.files.stats, "downs"), 0);
	if (bad[_i].early)
		ck_assert_msg(!nonempty(box.files.rx), "%s: bytes reached the box", bad[_i].msg);
	box_free(&box);
}
END_TEST

START_TEST(missing_and_busy_ports)
{
	struct tu_run r;
	struct tu_sim sim;
	int fd;

	if (via == VIA_SIM) {
		char want[200], known[100];

		tu_run(&r, "gx-upload", NULL, NULL, (const char *const[]){
			"-p", "sim:nosuch", "-L", gxt_loader, "boot", NULL });
		snprintf(want, sizeof(want), "sim:nosuch: unknown emulator 'nosuch' (known: %s)",
			 uart_sim_model_names(known, sizeof(known)));
		gxt_assert_error(&r, 2, want);
		tu_run_free(&r);
		return;
	}
	if (via != VIA_PTY) {
		/* Nothing listens on port 1 of this host. */
		tu_run(&r, "gx-upload", NULL, NULL, (const char *const[]){
			"-p", via == VIA_TCP ? "tcp:127.0.0.1:1" : "rfc2217:127.0.0.1:1",
			"-L", gxt_loader, "boot", NULL });
		ck_assert_msg(r.status == 3 && tu_count_lines(r.err) == 1, "exit %d: %s", r.status,
			      r.err);
		tu_run_free(&r);
		return;
	}
	tu_run(&r, "gx-upload", NULL, NULL, (const char *const[]){
		"-p", "/dev/ttyNOSUCH9", "-L", gxt_loader, "boot", NULL });
	gxt_assert_error(&r, 3, "no serial port /dev/ttyNOSUCH9");
	tu_run_free(&r);
	tu_sim_start(&sim, "gx");
	fd = open(sim.path, O_RDWR | O_NOCTTY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	tu_run(&r, "gx-upload", NULL, NULL, (const char *const[]){ "-p", sim.path, "-L",
								   gxt_loader, "boot", NULL });
	gxt_assert_error(&r, 3, "is in use by another program");
	tu_run_free(&r);
	close(fd);
	tu_sim_stop(&sim);
}
END_TEST

/* --reset drives the port's modem lines; the emulator's reset is on DTR. */
START_TEST(reset_sequence_on_dtr)
{
	struct box box;
	struct tu_run r;

	box_start(&box, "reset-line=dtr,power-delay=1000");
	GX(&r, &box, "-L", gxt_loader, "--reset", "dtr=1,20ms,dtr=0", "boot");
	if (via == VIA_TCP) {
		gxt_assert_error(&r, 2, "--reset sets dtr, but tcp:127.0.0.1:");
	} else if (via == VIA_PTY) {
		gxt_assert_error(&r, 2, "has no DTR line (a pty, a raw TCP port or an adapter without "
			     "modem lines)");
	} else if (via == VIA_SIM) {
		assert_ok(&r);
		box_stop(&box);
		ck_assert(tu_file_has(box.files.trace, "modem dtr=1\nmodem dtr=0\n"));
		ck_assert(tu_file_has(box.files.trace, "reset"));
	}
	tu_run_free(&r);
	box_free(&box);
}
END_TEST

/* ---- boot variants, through -p sim:gx ---- */

struct variant {
	const char *opts;
	const char *trace;  /* a line the box's trace must have */
};

static const struct variant handshakes[] = {
	{ "handshake=B0B058", "stage1 ok" },
	{ "handshake=B8B0FF58", "stage1 ok" },
	{ "handshake=B0B0FF58", "stage1 ok" },
	{ "handshake=00B0B058", "stage1 ok" },
	{ "handshake=B8B0FF58,split=1", "stage1 ok" },
	{ "noise=\\r\\nIPL v1.2 X-boot\\r\\nXtal 24M\\r\\n,handshake=B0B058", "stage1 ok" },
	{ "runget=19RUkgd:3\\r\\nNGET", "stage2 ok" },
	{ "runget=RUN\\r\\nGET", "stage2 ok" },
	{ "runget=run get", "stage2 ok" },
	{ "runget=xxGET", "stage2 ok" },
	{ "runget=RUN", "stage2 ok" },
	{ "loader-chip=0x6612", "stage1 ok chip=0x6612 bytes=16361" },
	{ "loader-chip=0x6616", "stage1 ok chip=0x6616 bytes=8197" },
	{ "loader-chip=0x1234", "stage1 ok chip=0x1234 bytes=4101" },
};

START_TEST(boot_variants)
{
	char path[64], opts[256];
	struct box box;
	struct tu_run r;
	const char *chip = strstr(handshakes[_i].opts, "loader-chip=");

	tu_tmpfile(path, sizeof(path));
	gxt_make_loader(path, chip ? (uint16_t)strtoul(chip + 12, NULL, 16) : 0x6701, 115200,
		    24 * 1024);
	snprintf(opts, sizeof(opts), "%s", handshakes[_i].opts);
	box_start(&box, opts);
	GX(&r, &box, "-L", path, "dump", "TABLE");
	assert_ok(&r);
	ck_assert_uint_eq(r.outlen, 512);
	tu_run_free(&r);
	box_stop(&box);
	ck_assert_msg(tu_file_has(box.files.trace, handshakes[_i].trace), "%s: no '%s' in the trace",
		      handshakes[_i].opts, handshakes[_i].trace);
	box_free(&box);
	unlink(path);
}
END_TEST

/* A loader without "toob" (gx6605s-generic): no XOR-sums in command mode. */
START_TEST(legacy_loader)
{
	char path[64], out[64];
	size_t len;
	uint8_t *b;
	struct box box;
	struct tu_run r;

	tu_tmpfile(path, sizeof(path));
	gxt_random_file(path, 20000);
	b = tu_read_file(path, &len);
	memcpy(b, "\x11\x32\x01\x00", 4);
	tu_write_file(path, b, len);
	free(b);
	tmp_out(out, sizeof(out));
	box_start(&box, "legacy=1,loader-chip=0x3211");
	GX(&r, &box, "-L", path, "dump", "BOOT", "-o", out);
	assert_ok(&r);
	ck_assert_ptr_nonnull(strstr(r.err, "this legacy loader sends no XOR-sums"));
	ck_assert(slice_equals(out, gxt_flash, 0, 64 << 10));
	tu_run_free(&r);
	box_stop(&box);
	ck_assert(tu_file_has(box.files.trace, "stage2 ok"));
	box_free(&box);
	unlink(path);
	unlink(out);
}
END_TEST

/* --chip in a loader directory, and a board profile with port, loader, reset. */
START_TEST(chip_lookup_and_board_profile)
{
	char dir[512], conf[64], text[2048];
	struct box box;
	struct tu_run r;

	if (!tu_shared("gx/loaders", dir, sizeof(dir)))
		return;
	box_start(&box, "");
	GX(&r, &box, "--loader-dir", dir, "--chip", "6702H5", "boot");
	assert_ok(&r);
	tu_run_free(&r);
	box_free(&box);
	box_start(&box, "");
	GX(&r, &box, "--loader-dir", dir, "--chip", "cygnus", "boot");
	gxt_assert_error(&r, 2, "--chip 'cygnus' matches several loaders in");
	tu_run_free(&r);
	GX(&r, &box, "--loader-dir", dir, "--chip", "gx6677", "boot");
	gxt_assert_error(&r, 2, "no loader for 'gx6677' in");
	tu_run_free(&r);
	box_free(&box);
	box_start(&box, "reset-line=rts,power-delay=300");
	tu_tmpfile(conf, sizeof(conf));
	/* Through sim:, whose modem lines reach the emulator. */
	snprintf(text, sizeof(text), "[gx-upload]\nloader-dir = %s\n\n[board stb]\n"
		 "port = %s\nchip = gemini-6702H5\nreset = rts=1,50ms,rts=0\n", dir,
		 via == VIA_SIM ? "sim:gx,reset-line=rts,power-delay=600,trace=@T" : box.spec);
	if (strstr(text, "@T")) {
		char *at = strstr(text, "@T"), rest[1024];

		snprintf(rest, sizeof(rest), "%s", at + 2);
		snprintf(at, sizeof(text) - (size_t)(at - text), "%s%s", box.files.trace, rest);
	}
	tu_write_file(conf, text, strlen(text));
	tu_run(&r, "gx-upload", NULL, NULL, (const char *const[]){ "-c", conf, "-b", "stb", "-q",
								   "dump", "TABLE", NULL });
	assert_ok(&r);
	ck_assert(r.outlen == 512);
	tu_run_free(&r);
	box_stop(&box);
	ck_assert(tu_file_has(box.files.trace, "modem rts=1\nmodem rts=0\n"));
	box_free(&box);
	unlink(conf);
}
END_TEST

START_TEST(shell_from_a_pipe)
{
	char in[64];
	struct box box;
	struct tu_run r;

	tu_tmpfile(in, sizeof(in));
	tu_write_file(in, "flash badinfo\nsflash_otp getregion\n", 35);
	box_start(&box, "");
	gx(&r, &box, in, (const char *const[]){ "-L", gxt_loader, "shell", NULL });
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "flash badinfo: no bad blocks") &&
		      strstr(r.out, "sflash otp region: "), "%s", r.out);
	tu_run_free(&r);
	box_free(&box);
	unlink(in);
}
END_TEST

/* ---- messages (issue 8 item 11) ---- */

START_TEST(loader_directory_is_named)
{
	char dir[64];
	struct box box;
	struct tu_run r;

	tu_tmpfile(dir, sizeof(dir));
	unlink(dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	box_start(&box, "");
	GX(&r, &box, "-L", dir, "boot");
	gxt_assert_error(&r, 2, "is a directory: give the .boot file in it");
	tu_run_free(&r);
	box_free(&box);
	rmdir(dir);
}
END_TEST

/* The ROM at 100000 baud, the loader's header says 115200: garbage, and -B named. */
START_TEST(rom_at_another_baud_mentions_b)
{
	struct box box;
	struct tu_run r;

	box_start(&box, "rom-baud=100000,power-delay=400");
	GX(&r, &box, "-L", gxt_loader, "--timeout", "2", "boot");
	gxt_assert_error(&r, 3, "at 115200 baud: does the box's ROM run at another rate? give it "
		     "with -B");
	tu_run_free(&r);
	box_free(&box);
}
END_TEST

/* ---- timeouts, in model time ---- */

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A box that never powers on: --timeout 30 runs out on the model clock at once. */
START_TEST(silent_box_times_out_at_once)
{
	struct box box;
	struct tu_run r;
	double t0;

	box_start(&box, "handshake=off");
	t0 = wall_s();
	GX(&r, &box, "-L", gxt_loader, "--timeout", "30", "dump", "BOOT");
	/* milliseconds; the bound leaves room for valgrind */
	ck_assert_msg(wall_s() - t0 < 5.0, "took %.2f s of real time", wall_s() - t0);
	gxt_assert_error(&r, 3, "no handshake from the boot ROM on sim:gx within 30 s");
	ck_assert_uint_eq(r.outlen, 0);
	tu_run_free(&r);
	box_free(&box);
}
END_TEST

/* The ROM's window closes before stage 1 arrives: no RUNGET, after RUNGET's timeout. */
START_TEST(rom_window_closes)
{
	struct box box;
	struct tu_run r;
	double t0;

	box_start(&box, "rom-window=0");
	t0 = wall_s();
	GX(&r, &box, "-L", gxt_loader, "boot");
	ck_assert_msg(wall_s() - t0 < 5.0, "took %.2f s of real time (RUNGET's timeout is 10 s)",
		      wall_s() - t0);
	gxt_assert_error(&r, 3, "the boot ROM did not answer RUNGET after stage 1");
	tu_run_free(&r);
	box_stop(&box);
	ck_assert(tu_file_has(box.files.trace, "handshake\nrom window expired\n"));
	ck_assert(!tu_file_has(box.files.trace, "stage1"));
	box_free(&box);
}
END_TEST

/*
 * The shell on a terminal, through sim: in model time: it polls the port
 * while it watches the terminal, and the box still answers (model time
 * follows real time between polls).
 */
START_TEST(shell_on_a_terminal)
{
	const char *const shell[] = { "gx-upload", "-p", "sim:gx,state=prompt", "shell", NULL };
	char path[256], program[512], got[4096];
	size_t len = 0;
	int master = posix_openpt(O_RDWR | O_NOCTTY), status;
	pid_t pid;
	double t0;

	if (via != VIA_SIM)
		return;
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	snprintf(path, sizeof(path), "%s", ptsname(master));
	snprintf(program, sizeof(program), "%s/gx-upload", tu_bindir());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		setsid();
		fd = open(path, O_RDWR);
		if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		tu_exec(program, shell);
		_exit(127);
	}
	ck_assert_int_eq(write(master, "flash badinfo\r", 14), 14);
	got[0] = 0;
	for (t0 = wall_s(); wall_s() - t0 < 10 && !strstr(got, "no bad blocks\r\nboot> ");) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n = poll(&p, 1, 100) > 0 ? read(master, got + len, sizeof(got) - 1 - len) : 0;

		if (n > 0)
			len += (size_t)n;
		got[len] = 0;
	}
	ck_assert_msg(strstr(got, "flash badinfo: no bad blocks\r\nboot> "), "%s", got);
	ck_assert_int_eq(write(master, "\x1d", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	close(master);
}
END_TEST

static void use_pty(void)
{
	via = VIA_PTY;
}

static void use_sim(void)
{
	via = VIA_SIM;
}

static void use_tcp(void)
{
	via = VIA_TCP;
}

static void use_rfc2217(void)
{
	via = VIA_RFC2217;
}

static TCase *new_case(const char *name, void (*setup)(void))
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, make_files, remove_files);
	tcase_add_checked_fixture(tc, setup, NULL);
	return tc;
}

/* Every case: -p sim:gx in model time. */
static TCase *all_cases(void)
{
	TCase *tc = new_case("sim", use_sim);

	tcase_add_test(tc, boot_sends_the_captured_bytes);
	tcase_add_test(tc, info_text_and_json);
	tcase_add_loop_test(tc, dump_each_partition, 0, sizeof(parts) / sizeof(parts[0]));
	tcase_add_test(tc, dump_address_to_stdout);
	tcase_add_test(tc, write_then_dump_back);
	tcase_add_test(tc, write_into_boot_needs_force);
	tcase_add_test(tc, otp_read_and_write);
	tcase_add_test(tc, sflash_otp_and_cmd);
	tcase_add_test(tc, corrupted_dumps_are_retried);
	tcase_add_test(tc, checksum_mismatch_leaves_no_file);
	tcase_add_test(tc, box_reset_mid_dump_is_recovered);
	tcase_add_test(tc, dropped_and_delayed_bytes);
	tcase_add_test(tc, prompt_already_there);
	tcase_add_test(tc, taurus_rom_stage_at_100000);
	tcase_add_test(tc, rom_baud_option);
	tcase_add_loop_test(tc, bad_input, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, missing_and_busy_ports);
	tcase_add_test(tc, reset_sequence_on_dtr);
	tcase_add_loop_test(tc, boot_variants, 0, sizeof(handshakes) / sizeof(handshakes[0]));
	tcase_add_test(tc, legacy_loader);
	tcase_add_test(tc, chip_lookup_and_board_profile);
	tcase_add_test(tc, shell_from_a_pipe);
	tcase_add_test(tc, shell_on_a_terminal);
	tcase_add_test(tc, loader_directory_is_named);
	tcase_add_test(tc, rom_at_another_baud_mentions_b);
	tcase_add_test(tc, silent_box_times_out_at_once);
	tcase_add_test(tc, rom_window_closes);
	return tc;
}

/*
 * The cases that exercise a transport, in real time: the boot's golden
 * bytes, a dump, a write, reset on DTR, the ROM stage's baud change, missing
 * and busy ports (and what over tcp: must fail).
 */
static TCase *transport_cases(const char *name, void (*setup)(void))
{
	TCase *tc = new_case(name, setup);

	tcase_add_test(tc, boot_sends_the_captured_bytes);
	tcase_add_loop_test(tc, dump_each_partition, 0, 1);
	tcase_add_test(tc, write_then_dump_back);
	tcase_add_test(tc, reset_sequence_on_dtr);
	tcase_add_test(tc, taurus_rom_stage_at_100000);
	tcase_add_test(tc, missing_and_busy_ports);
	return tc;
}

int main(void)
{
	Suite *s = suite_create("gx_upload");

	suite_add_tcase(s, all_cases());
	suite_add_tcase(s, transport_cases("pty", use_pty));
	if (!tu_ser2net_missing()) {
		suite_add_tcase(s, transport_cases("tcp", use_tcp));
		suite_add_tcase(s, transport_cases("rfc2217", use_rfc2217));
	}
	return tu_main(s);
}
