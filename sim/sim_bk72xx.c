/* SPDX-License-Identifier: MIT */
/*
 * Emulator of a Beken BK7231T/BK7231N/BK7252 in SPI flash ("D2") mode.
 * Written from ../shared/notes/beken.md (cited as §n) and the real dumps in
 * ../shared/data/beken, not from the host code. "Choice" marks a decision of
 * this model where the notes are silent.
 *
 * MISO
 *   Reads 0x00 whenever the chip does not drive it: CEN low, firmware
 *   running, the byte clocked out during an opcode, unknown opcodes, commands
 *   ignored while busy. §1.3: the JEDEC filler byte reads 00 on spidev
 *   (BK7231_SPI_Flasher expects 00 1C 70 15); §1.2: "first byte D2, 249 x 00"
 *   (hid_download_py:SPIFlash.md). A CH341 reads FF there (§1.3): that is
 *   the host's pull-up, not modelled.
 *
 * Power-on and entry
 *   - Created with CEN released and the firmware running (choice): SPI is
 *     ignored until the host pulses CEN.
 *   - After CEN rises the ROM waits 100 ms for the first 0xD2 (choice; §1.2
 *     [inference]: a short listening window, every tool starts its stream
 *     within 50 ms). Once the first D2 came in time it keeps listening until
 *     it has 64 D2 bytes, over any number of CS frames (64 is the smallest
 *     count reported to work: ft232 plugin, §1.2). 0x00 bytes between D2s
 *     neither count nor break the run, so hid_download_py's 150 frames of
 *     [D2 + 149 x 00] enter too (§1.2); any other byte restarts the count.
 *     Without a D2 in the window the chip boots its firmware and ignores SPI
 *     until the next CEN reset.
 *   - While listening, the first reply byte of every frame is 0xD2 and the
 *     rest 0x00 (SPIFlash.md, §1.2).
 *   - Switch-over: 10 ms after the 64th D2 the chip answers as a NOR flash;
 *     until then every frame still gets the D2 ack, so a JEDEC read sent
 *     right after the stream returns "D2 00 00 00" (choice; [inference] it
 *     matches the GUI's non-JEDEC first reply and the 100-200 ms every other
 *     tool waits after the stream, §1.2, §8).
 *   - In flash mode a frame whose opcode is 0xD2 is answered like the stream
 *     (D2, then 00s) and otherwise ignored (choice, so a re-sent stream is
 *     acknowledged). A CEN toggle always leaves flash mode ("until power off,
 *     or maybe toggle of CEN", SPIFlash.md). CEN does not touch the flash
 *     itself: status registers, WEL and a running erase carry on (choice).
 *
 * NOR flash (§1.3, §1.4, §5)
 *   - Each command acts when CS rises (SPIFlash.md). Frames may be longer
 *     than the command (hid_download_py sends WRSR in 64-byte frames, §1.5).
 *   - A frame may come in pieces (bk_sim_select, bk_sim_shift: a CH341A
 *     sends one in USB packets): model time passes between them, and a
 *     status read sees WIP as of each byte. CEN falling while CS is low
 *     drops the frame: the chip is in reset, nothing acts when CS rises.
 *     Bytes clocked while CS is high take their time and reach nothing.
 *   - While WIP=1 only 05/35/15 are answered; every other known command is
 *     ignored and counted in stats.rejected. Status reads are continuous and
 *     re-evaluated per byte (the Arduino sketch polls with CS held low).
 *   - WEL is cleared when a program/erase/WRSR completes. A command refused
 *     for protection leaves WEL as it was (choice).
 *   - Busy times (ft232 plugin TIMINGS, §1.4): page program 1.5 ms, 4 KiB
 *     erase 200 ms, 64 KiB 1 s, chip erase 4 s; 32 KiB 500 ms and WRSR 5 ms
 *     are choices. WRSR takes effect at once and WIP shows until its busy
 *     time ends ("wrote 0x0000, got 0x0001", bk7231tools#19, §5).
 *   - Addresses wrap at the flash size (upper bits ignored, §1.5, §4.7).
 *   - Page program ANDs data into the array; data wraps inside the 256-byte
 *     page and with more than 256 bytes only the last 256 count.
 *   - 35/31/15 (SR2, SR3) exist only on the two-byte parts; SR3 reads 0.
 *     REMS (90) answers manufacturer and capacity-1 alternately. Other
 *     opcodes are ignored (MISO 0x00) and not counted.
 *
 * Time and counters
 *   - Every clocked byte takes 8 / clock_hz of model time (clock_hz 0: no
 *     time, never over maxclock), plus bk_sim_delay(). A busy period starts
 *     when CS rises; WIP is sampled per byte, when each byte starts.
 *   - sector_erases, block_erases, chip_erases, page_programs, sr_writes
 *     count accepted commands; program_bytes counts every data byte of an
 *     accepted 02 frame (even past 256); rejected counts commands refused
 *     for no WEL, protection, SR lock, or busy.
 *
 * Status registers and protection (§5)
 *   - bk7231t EN25QH16B: SR1 only, BP0-BP3 bits 2-5, QE bit 6, SRWD bit 7.
 *     bk7231n TH25Q16HB, bk7252 XT25F16B: SR1 BP0-BP4 bits 2-6, SRP0 bit 7;
 *     SR2 SRP1 bit 0, QE bit 1, CMP bit 6 (other SR2 bits read 0).
 *   - Protected area (choice, Winbond-like but uniform): with BP the numeric
 *     value of all BP bits, BP=0 protects nothing, BP=n (1..5) protects the
 *     upper size*2^(n-1)/32 of the array, BP>=6 all of it. CMP=1 inverts the
 *     area: CMP=1 with BP=0 protects everything (fpdoom#48, §5).
 *   - An erase unit overlapping the protected area, a page inside it, or a
 *     chip erase while anything is protected is refused (no change, counted).
 *   - SRP1=1 locks both status registers (WRSR refused): the SRP0/SRP1 lock
 *     seen on BK7238 (bk7231tools#29, §5). WP# is taken as high, so SRWD
 *     and SRP0 alone lock nothing (choice).
 *
 * Faults
 *   - Above maxclock= every byte the chip shifts out gets each bit flipped
 *     with probability 1/8, and page-program data bytes it receives get the
 *     same treatment; opcodes and addresses are received intact so a fast
 *     link never erases or programs the wrong place (choice).
 *   - SPI modes 1 and 2 sample on the wrong edge: both directions are seen
 *     one bit late, so D2 arrives as 0x69 and the chip never enters
 *     (choice; §1.6 [inference]: modes 0 and 3 work, 1 and 2 unknown).
 *   - flip=, dead, enter-after=, stuck-busy: see the option table below.
 *
 * Options (bk_sim_create's options string, "key=value,..."):
 *   image=FILE  initial contents (never modified); size from the file unless
 *               size= is given (then the file must not be larger; the rest is
 *               erased). Without it the flash is erased.
 *   size=N      power of two from 64K to 16M; JEDEC capacity = log2(size).
 *   save=FILE   at close, the final contents (temporary file + rename).
 *   state=FILE  status registers ("sr1 0x1c\nsr2 0x00\n"): loaded at create
 *               if the file exists (wins over sr1=/sr2=), written at close.
 *   stats=FILE  at close, struct bk_sim_stats as "name value" lines.
 *   sr1=V sr2=V initial status registers (non-volatile bits only).
 *   jedec=HEX   the three ID bytes, e.g. c84016 (SR layout stays the model's).
 *   maxclock=HZ garble above this clock (30k, 2M, 1000000).
 *   seed=N      PRNG seed for every random fault (default 1).
 *   flip=PPM    each byte shifted out gets one bit flipped with this
 *               probability (parts per million), at any clock.
 *   dead        never enters flash mode.
 *   enter-after=N  the first N entry attempts (CEN reset + a D2 in the
 *               window) are missed; the ROM boots firmware instead.
 *   pace        model time also passes in real time (the emulator sleeps to
 *               keep up), for interrupting a run from a test.
 *   stuck-busy  once the first erase or program starts, WIP never clears and
 *               the operation never lands: the array keeps its contents.
 *
 * The array lives in a memfd (or an unlinked temporary file), stored bit-
 * inverted so that a hole reads as erased 0xFF: a 16 MiB flash costs the
 * host process no resident memory.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "sim_bk72xx.h"
#include "sim_file.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MS(n) ((uint64_t)(n) * 1000000u)
#define US(n) ((uint64_t)(n) * 1000u)

enum {
	ENTRY_D2_COUNT = 64,
	PAGE_SIZE_BYTES = 256,
	SECTOR_SIZE = 4096,
	BLOCK32_SIZE = 32768,
	BLOCK64_SIZE = 65536,
	MIN_FLASH_SIZE = 64 * 1024,
	MAX_FLASH_SIZE = 16 * 1024 * 1024,
	IO_CHUNK = 64 * 1024,
	FRAME_CHUNK = 4096,
};

static const uint64_t ENTRY_WINDOW_NS = MS(100);
static const uint64_t ENTRY_SWITCH_NS = MS(10);
static const uint64_t PAGE_PROGRAM_NS = US(1500);
static const uint64_t SECTOR_ERASE_NS = MS(200);
static const uint64_t BLOCK32_ERASE_NS = MS(500);
static const uint64_t BLOCK64_ERASE_NS = MS(1000);
static const uint64_t CHIP_ERASE_NS = MS(4000);
static const uint64_t WRSR_NS = MS(5);

enum opcode {
	OP_WRSR = 0x01, OP_PP = 0x02, OP_READ = 0x03, OP_WRDI = 0x04,
	OP_RDSR1 = 0x05, OP_WREN = 0x06, OP_RDSR3 = 0x15, OP_SE = 0x20,
	OP_WRSR2 = 0x31, OP_RDSR2 = 0x35, OP_BE32 = 0x52, OP_CE60 = 0x60,
	OP_REMS = 0x90, OP_JEDEC = 0x9F, OP_CE = 0xC7, OP_ENTRY = 0xD2,
	OP_BE64 = 0xD8,
};

enum {
	SR1_WIP = 0x01,
	SR1_WEL = 0x02,
	SR1_NV_MASK = 0xFC,   /* BP bits, QE/BP4, SRWD/SRP0 */
	SR2_SRP1 = 0x01,
	SR2_CMP = 0x40,
	SR2_NV_MASK = 0x43,   /* SRP1, QE, CMP */
	BP_SHIFT = 2,
};

struct bk_part {
	const char *model;
	uint8_t jedec[3];
	int sr_bytes;   /* 1: SR1 only; 2: SR1 + SR2 (35h/31h, CMP) */
	int bp_bits;    /* BP0.. starting at SR1 bit 2 */
};

/* §1.3 and §5: the flash each model carries. */
static const struct bk_part parts[] = {
	{ "bk7231t", { 0x1C, 0x70, 0x15 }, 1, 4 },   /* EN25QH16B */
	{ "bk7231n", { 0xEB, 0x60, 0x15 }, 2, 5 },   /* TH25Q16HB */
	{ "bk7252",  { 0x0B, 0x40, 0x15 }, 2, 5 },   /* XT25F16B */
};

enum chip_state {
	CHIP_RESET,     /* CEN low */
	CHIP_FIRMWARE,  /* booted normally: SPI ignored until a CEN reset */
	CHIP_LISTEN,    /* ROM listens for the D2 stream */
	CHIP_DEAF,      /* ROM misses this attempt (dead, enter-after=) */
	CHIP_ENTERING,  /* stream complete, switching to flash mode */
	CHIP_FLASH,     /* SPI flash mode */
};

/* Decoding state of the current CS-low frame. */
struct frame {
	uint64_t t0;          /* model time when the current shift began */
	size_t pos0;          /* frame position at that time */
	int open;             /* CS is low */
	uint32_t hz;
	uint64_t ns_quot;     /* 8 bits / hz as quotient and remainder, */
	uint64_t ns_rem;      /* so byte times stay exact without overflow */
	size_t pos;           /* index of the byte being shifted */
	int in_flash;         /* frame began in flash mode */
	int ignored;          /* unknown opcode, or refused while busy */
	int late_sampling;    /* SPI mode 1 or 2 */
	int overclocked;
	uint8_t prev_in, prev_out;
	uint8_t op;
	uint32_t addr;
	uint8_t sr_data[2];
	uint8_t page[PAGE_SIZE_BYTES];
};

struct bk_sim {
	const struct bk_part *part;
	uint8_t jedec[3];
	uint32_t size;
	int fd;
	int io_failed;

	char *save_path, *state_path, *stats_path;
	uint64_t maxclock_hz, flip_ppm, enter_after;
	int dead, stuck_busy;
	int paced;                 /* pace: model time also passes in real time */
	uint64_t real_start_ns;

	enum chip_state state;
	uint64_t cen_release_ns, switch_at_ns;
	int stream_started;
	unsigned d2_run;
	uint64_t attempts_missed;

	uint8_t sr1, sr2;     /* non-volatile bits only */
	int wel, busy, stuck;
	uint64_t busy_end_ns;

	uint64_t now_ns;
	uint64_t rng;
	struct frame fr;
	struct bk_sim_stats stats;
};

/* ---------------------------------------------------------------- errors */

/* ------------------------------------------------------------------ PRNG */

static uint64_t next_random(struct bk_sim *s)
{
	return sim_random(&s->rng);
}

static uint8_t garble_byte(struct bk_sim *s, uint8_t b)
{
	if (s->fr.overclocked) {
		uint64_t r = next_random(s);

		b ^= (uint8_t)(r & (r >> 8) & (r >> 16));
	}
	if (s->flip_ppm && next_random(s) % 1000000u < s->flip_ppm)
		b ^= (uint8_t)(1u << (next_random(s) & 7));
	return b;
}

static void garble_output(struct bk_sim *s, uint8_t *out, size_t n)
{
	if (!s->fr.overclocked && !s->flip_ppm)
		return;
	for (size_t i = 0; i < n; i++)
		out[i] = garble_byte(s, out[i]);
}

/* ----------------------------------------------------------- flash store */

static int pread_full(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	while (n) {
		ssize_t r = pread(fd, buf, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {   /* past the end of a hole-y file: zeros */
			memset(buf, 0, n);
			return 0;
		}
		buf += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int pwrite_full(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	while (n) {
		ssize_t r = pwrite(fd, buf, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static void invert(uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)~buf[i];
}

/* Stored inverted: a hole (zeros) is erased flash (0xFF). */
static int store_read(const struct bk_sim *s, uint32_t addr, uint8_t *buf,
		      size_t n)
{
	if (pread_full(s->fd, buf, n, addr))
		return -1;
	invert(buf, n);
	return 0;
}

static int store_write(struct bk_sim *s, uint32_t addr, uint8_t *buf, size_t n)
{
	int rc;

	invert(buf, n);
	rc = pwrite_full(s->fd, buf, n, addr);
	invert(buf, n);
	return rc;
}

static void store_erase(struct bk_sim *s, uint32_t addr, uint32_t len)
{
	static const uint8_t zeros[SECTOR_SIZE];

	if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)addr, (off_t)len) == 0)
		return;
	for (uint32_t off = 0; off < len; off += SECTOR_SIZE)
		if (pwrite_full(s->fd, zeros, SECTOR_SIZE, (uint64_t)addr + off))
			s->io_failed = 1;
}

/* Continuous read from addr, wrapping at the end of the array. */
static void read_wrapping(struct bk_sim *s, uint64_t addr, uint8_t *out,
			  size_t n)
{
	while (n) {
		uint32_t a = (uint32_t)(addr & (s->size - 1));
		size_t m = s->size - a;

		if (m > n)
			m = n;
		if (store_read(s, a, out, m)) {
			s->io_failed = 1;
			memset(out, 0xFF, m);
		}
		out += m;
		addr += m;
		n -= m;
	}
}

static int open_store(uint32_t size)
{
	int fd = memfd_create("bk72xx-flash", MFD_CLOEXEC);

	if (fd < 0) {
		char path[] = "/tmp/bk72xx-flash-XXXXXX";

		fd = mkstemp(path);
		if (fd < 0)
			return -1;
		unlink(path);
	}
	if (ftruncate(fd, (off_t)size)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int copy_image(struct bk_sim *s, int in, const char *path, char *err,
		      size_t errlen)
{
	uint8_t *buf = malloc(IO_CHUNK);
	uint32_t off = 0;
	int rc = 0;

	if (!buf) {
		sim_set_err(err, errlen, "bk72xx sim: out of memory");
		return -1;
	}
	for (;;) {
		ssize_t r = read(in, buf, IO_CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sim_set_err(err, errlen, "bk72xx sim: image=%s: %s", path,
				strerror(errno));
			rc = -1;
			break;
		}
		if (r == 0 || off + (uint64_t)r > s->size)
			break;
		if (store_write(s, off, buf, (size_t)r)) {
			sim_set_err(err, errlen, "bk72xx sim: flash store: %s",
				strerror(errno));
			rc = -1;
			break;
		}
		off += (uint32_t)r;
	}
	free(buf);
	return rc;
}

/* -------------------------------------------------------------- options */

struct create_opts {
	char *image_path;
	uint64_t size, sr1, sr2;
	int have_size, have_sr1, have_sr2, have_jedec;
	uint8_t jedec[3];
};

typedef int (*option_fn)(struct bk_sim *s, struct create_opts *o,
			 const char *key, const char *val,
			 char *err, size_t errlen);

/* What is wrong with n bytes as a flash size, or NULL when nothing is. */
static const char *flash_size_problem(uint64_t n)
{
	if (n < MIN_FLASH_SIZE)
		return "is below the smallest flash the model knows (64K)";
	if (n > MAX_FLASH_SIZE)
		return "is above the largest flash the model knows (16M)";
	if (n & (n - 1))
		return "is not a power of two (64K, 128K, ... 16M)";
	return NULL;
}

static int opt_image(struct bk_sim *s, struct create_opts *o, const char *key,
		     const char *val, char *err, size_t errlen)
{
	(void)s;
	return sim_set_path(&o->image_path, "bk72xx", key, val, err, errlen);
}

static int opt_save(struct bk_sim *s, struct create_opts *o, const char *key,
		    const char *val, char *err, size_t errlen)
{
	(void)o;
	return sim_set_path(&s->save_path, "bk72xx", key, val, err, errlen);
}

static int opt_state(struct bk_sim *s, struct create_opts *o, const char *key,
		     const char *val, char *err, size_t errlen)
{
	(void)o;
	return sim_set_path(&s->state_path, "bk72xx", key, val, err, errlen);
}

static int opt_stats(struct bk_sim *s, struct create_opts *o, const char *key,
		     const char *val, char *err, size_t errlen)
{
	(void)o;
	return sim_set_path(&s->stats_path, "bk72xx", key, val, err, errlen);
}

static int opt_size(struct bk_sim *s, struct create_opts *o, const char *key,
		    const char *val, char *err, size_t errlen)
{
	(void)s;
	if (ub_parse_u64(val, &o->size)) {
		sim_set_err(err, errlen,
			"bk72xx sim: %s=%s: want a power of two from 64K to 16M",
			key, val);
		return -1;
	}
	if (flash_size_problem(o->size)) {
		sim_set_err(err, errlen, "bk72xx sim: %s=%s %s", key, val,
			flash_size_problem(o->size));
		return -1;
	}
	o->have_size = 1;
	return 0;
}

static int check_sr(const struct bk_sim *s, const char *key, const char *val,
		    uint64_t v, int reg, char *err, size_t errlen)
{
	uint64_t mask = reg == 1 ? SR1_NV_MASK :
			s->part->sr_bytes == 2 ? SR2_NV_MASK : 0;

	if (v > 0xFF || (v & ~mask)) {
		sim_set_err(err, errlen,
			"bk72xx sim: %s=%s: %s allows only bits 0x%02x on %s",
			key, val, reg == 1 ? "SR1" : "SR2", (unsigned)mask,
			s->part->model);
		return -1;
	}
	return 0;
}

static int opt_sr(struct bk_sim *s, struct create_opts *o, const char *key,
		  const char *val, char *err, size_t errlen)
{
	int reg = key[2] == '1' ? 1 : 2;
	uint64_t v;

	if (ub_parse_u64(val, &v)) {
		sim_set_err(err, errlen, "bk72xx sim: %s=%s: not a number", key, val);
		return -1;
	}
	if (check_sr(s, key, val, v, reg, err, errlen))
		return -1;
	if (reg == 1) {
		o->sr1 = v;
		o->have_sr1 = 1;
	} else {
		o->sr2 = v;
		o->have_sr2 = 1;
	}
	return 0;
}

static int opt_jedec(struct bk_sim *s, struct create_opts *o, const char *key,
		     const char *val, char *err, size_t errlen)
{
	const char *p = val;

	(void)s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (strlen(p) != 6)
		goto bad;
	for (int i = 0; i < 3; i++) {
		int hi = sim_hex_digit(p[2 * i]), lo = sim_hex_digit(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		o->jedec[i] = (uint8_t)(hi << 4 | lo);
	}
	o->have_jedec = 1;
	return 0;
bad:
	sim_set_err(err, errlen,
		"bk72xx sim: %s=%s: want 6 hex digits (manufacturer, type, capacity)",
		key, val);
	return -1;
}

static int opt_maxclock(struct bk_sim *s, struct create_opts *o,
			const char *key, const char *val, char *err,
			size_t errlen)
{
	(void)o;
	if (ub_parse_hz(val, &s->maxclock_hz) || !s->maxclock_hz) {
		sim_set_err(err, errlen,
			"bk72xx sim: %s=%s: want a clock above 0 (30k, 2M, 1000000)",
			key, val);
		return -1;
	}
	return 0;
}

static int opt_number(uint64_t *dst, uint64_t max, const char *key,
		      const char *val, char *err, size_t errlen)
{
	if (ub_parse_u64(val, dst) || *dst > max) {
		sim_set_err(err, errlen,
			"bk72xx sim: %s=%s: want a number from 0 to %llu", key,
			val, (unsigned long long)max);
		return -1;
	}
	return 0;
}

static int opt_seed(struct bk_sim *s, struct create_opts *o, const char *key,
		    const char *val, char *err, size_t errlen)
{
	(void)o;
	return opt_number(&s->rng, UINT64_MAX, key, val, err, errlen);
}

static int opt_flip(struct bk_sim *s, struct create_opts *o, const char *key,
		    const char *val, char *err, size_t errlen)
{
	(void)o;
	return opt_number(&s->flip_ppm, 1000000, key, val, err, errlen);
}

static int opt_enter_after(struct bk_sim *s, struct create_opts *o,
			   const char *key, const char *val, char *err,
			   size_t errlen)
{
	(void)o;
	return opt_number(&s->enter_after, UINT32_MAX, key, val, err, errlen);
}

static int opt_dead(struct bk_sim *s, struct create_opts *o, const char *key,
		    const char *val, char *err, size_t errlen)
{
	(void)o;
	(void)key;
	(void)val;
	(void)err;
	(void)errlen;
	s->dead = 1;
	return 0;
}

static int opt_stuck_busy(struct bk_sim *s, struct create_opts *o,
			  const char *key, const char *val, char *err,
			  size_t errlen)
{
	(void)o;
	(void)key;
	(void)val;
	(void)err;
	(void)errlen;
	s->stuck_busy = 1;
	return 0;
}

static int opt_pace(struct bk_sim *s, struct create_opts *o, const char *key,
		    const char *val, char *err, size_t errlen)
{
	struct timespec ts;

	(void)o;
	(void)key;
	(void)val;
	(void)err;
	(void)errlen;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->paced = 1;
	s->real_start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return 0;
}

static const struct option_def {
	const char *key;
	int has_value;
	option_fn apply;
} option_defs[] = {
	{ "image", 1, opt_image },
	{ "size", 1, opt_size },
	{ "save", 1, opt_save },
	{ "state", 1, opt_state },
	{ "stats", 1, opt_stats },
	{ "sr1", 1, opt_sr },
	{ "sr2", 1, opt_sr },
	{ "jedec", 1, opt_jedec },
	{ "maxclock", 1, opt_maxclock },
	{ "seed", 1, opt_seed },
	{ "flip", 1, opt_flip },
	{ "dead", 0, opt_dead },
	{ "enter-after", 1, opt_enter_after },
	{ "stuck-busy", 0, opt_stuck_busy },
	{ "pace", 0, opt_pace },
};

static int apply_option(struct bk_sim *s, struct create_opts *o,
			const char *key, const char *val, char *err,
			size_t errlen)
{
	for (size_t i = 0; i < sizeof(option_defs) / sizeof(option_defs[0]); i++) {
		const struct option_def *d = &option_defs[i];

		if (strcmp(d->key, key))
			continue;
		if (d->has_value && !*val) {
			sim_set_err(err, errlen, "bk72xx sim: option %s needs a value (%s=...)",
				key, key);
			return -1;
		}
		if (!d->has_value && *val) {
			sim_set_err(err, errlen, "bk72xx sim: option %s takes no value",
				key);
			return -1;
		}
		return d->apply(s, o, key, val, err, errlen);
	}
	sim_set_err(err, errlen, "bk72xx sim: unknown option '%s'", key);
	return -1;
}

static int parse_options(struct bk_sim *s, struct create_opts *o,
			 const char *options, char *err, size_t errlen)
{
	const char *cursor = options;
	char key[32], val[PATH_MAX];
	int rc;

	while ((rc = ub_kv_next(&cursor, key, sizeof(key), val, sizeof(val))) > 0)
		if (apply_option(s, o, key, val, err, errlen))
			return -1;
	if (rc < 0) {
		sim_set_err(err, errlen,
			"bk72xx sim: malformed option list '%s' (empty item or too long)",
			options);
		return -1;
	}
	return 0;
}

/* ----------------------------------------------------------- state file */

static int state_line(struct bk_sim *s, const char *path, int lineno,
		      const char *line, char *err, size_t errlen)
{
	char name[16], value[32], extra[2];
	uint64_t v;
	int n = sscanf(line, "%15s %31s %1s", name, value, extra);

	if (n <= 0 || name[0] == '#')
		return 0;
	if (n != 2 || (strcmp(name, "sr1") && strcmp(name, "sr2")) ||
	    ub_parse_u64(value, &v)) {
		sim_set_err(err, errlen,
			"bk72xx sim: state=%s: line %d: want 'sr1 VALUE' or 'sr2 VALUE'",
			path, lineno);
		return -1;
	}
	if (check_sr(s, "state", path, v, name[2] == '1' ? 1 : 2, err, errlen))
		return -1;
	if (name[2] == '1')
		s->sr1 = (uint8_t)v;
	else
		s->sr2 = (uint8_t)v;
	return 0;
}

static int load_state(struct bk_sim *s, char *err, size_t errlen)
{
	FILE *f = fopen(s->state_path, "r");
	char line[128];
	int lineno = 0, rc = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		sim_set_err(err, errlen, "bk72xx sim: state=%s: %s", s->state_path,
			strerror(errno));
		return -1;
	}
	while (!rc && fgets(line, sizeof(line), f))
		rc = state_line(s, s->state_path, ++lineno, line, err, errlen);
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------- creation */

static const struct bk_part *find_part(const char *model)
{
	for (size_t i = 0; model && i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!strcasecmp(parts[i].model, model))
			return &parts[i];
	return NULL;
}

static int capacity_code(uint32_t size)
{
	int n = 0;

	while ((1u << n) < size)
		n++;
	return n;
}

static int decide_size(struct bk_sim *s, const struct create_opts *o,
		       int image_fd, char *err, size_t errlen)
{
	struct stat st;

	s->size = o->have_size ? (uint32_t)o->size : 2 * 1024 * 1024;
	if (image_fd < 0)
		return 0;
	if (fstat(image_fd, &st)) {
		sim_set_err(err, errlen, "bk72xx sim: image=%s: %s", o->image_path,
			strerror(errno));
		return -1;
	}
	if (!o->have_size && flash_size_problem((uint64_t)st.st_size)) {
		sim_set_err(err, errlen,
			"bk72xx sim: image=%s: %lld bytes %s; add size=",
			o->image_path, (long long)st.st_size,
			flash_size_problem((uint64_t)st.st_size));
		return -1;
	}
	if (o->have_size && (uint64_t)st.st_size > o->size) {
		sim_set_err(err, errlen,
			"bk72xx sim: image=%s: %lld bytes do not fit size=%llu",
			o->image_path, (long long)st.st_size,
			(unsigned long long)o->size);
		return -1;
	}
	if (!o->have_size)
		s->size = (uint32_t)st.st_size;
	return 0;
}

static int setup_flash(struct bk_sim *s, const struct create_opts *o,
		       char *err, size_t errlen)
{
	int image_fd = -1, rc = -1;

	if (o->image_path) {
		image_fd = open(o->image_path, O_RDONLY | O_CLOEXEC);
		if (image_fd < 0) {
			sim_set_err(err, errlen, "bk72xx sim: image=%s: %s",
				o->image_path, strerror(errno));
			return -1;
		}
	}
	if (decide_size(s, o, image_fd, err, errlen))
		goto out;
	s->fd = open_store(s->size);
	if (s->fd < 0) {
		sim_set_err(err, errlen, "bk72xx sim: cannot create the flash store: %s",
			strerror(errno));
		goto out;
	}
	rc = image_fd < 0 ? 0 : copy_image(s, image_fd, o->image_path, err, errlen);
out:
	if (image_fd >= 0)
		close(image_fd);
	return rc;
}

static void setup_identity(struct bk_sim *s, const struct create_opts *o)
{
	if (o->have_jedec) {
		memcpy(s->jedec, o->jedec, 3);
	} else {
		memcpy(s->jedec, s->part->jedec, 2);
		s->jedec[2] = (uint8_t)capacity_code(s->size);
	}
	s->sr1 = (uint8_t)o->sr1;
	s->sr2 = (uint8_t)o->sr2;
}

static void free_sim(struct bk_sim *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->save_path);
	free(s->state_path);
	free(s->stats_path);
	free(s);
}

struct bk_sim *bk_sim_create(const char *model, const char *options,
			     char *err, size_t errlen)
{
	struct create_opts o = { 0 };
	struct bk_sim *s;
	const struct bk_part *part = find_part(model);

	if (!part) {
		sim_set_err(err, errlen,
			"bk72xx sim: unknown model '%s' (bk7231t, bk7231n, bk7252)",
			model ? model : "(null)");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		sim_set_err(err, errlen, "bk72xx sim: out of memory");
		return NULL;
	}
	s->part = part;
	s->fd = -1;
	s->rng = 1;
	s->state = CHIP_FIRMWARE;
	if (parse_options(s, &o, options ? options : "", err, errlen) ||
	    setup_flash(s, &o, err, errlen))
		goto fail;
	setup_identity(s, &o);
	if (s->state_path && load_state(s, err, errlen))
		goto fail;
	free(o.image_path);
	return s;
fail:
	free(o.image_path);
	free_sim(s);
	return NULL;
}

/* ---------------------------------------------------------------- time */

/* When byte `bytes` of the frame starts, counted in the current shift (which began at pos0). */
static uint64_t frame_time(const struct bk_sim *s, uint64_t bytes)
{
	const struct frame *fr = &s->fr;
	uint64_t n = bytes - fr->pos0;

	if (!fr->hz)
		return fr->t0;
	return fr->t0 + n * fr->ns_quot + n * fr->ns_rem / fr->hz;
}

/* Let a finished program/erase/WRSR end: WIP and WEL clear. */
static void settle(struct bk_sim *s, uint64_t t)
{
	if (s->busy && !s->stuck && t >= s->busy_end_ns) {
		s->busy = 0;
		s->wel = 0;
	}
}

static void start_busy(struct bk_sim *s, uint64_t ns, int array_op)
{
	s->busy = 1;
	s->busy_end_ns = s->now_ns + ns;
	s->stats.busy_ns += ns;
	if (array_op && s->stuck_busy)
		s->stuck = 1;
}

/* ------------------------------------------------------------ CEN, entry */

void bk_sim_set_cen(struct bk_sim *s, int level)
{
	if (!level) {
		s->state = CHIP_RESET;
		s->fr.in_flash = 0;   /* an open frame is lost: nothing at CS rising */
		return;
	}
	if (s->state != CHIP_RESET)
		return;
	s->cen_release_ns = s->now_ns;
	s->stream_started = 0;
	s->d2_run = 0;
	s->state = s->dead || s->attempts_missed < s->enter_after ?
		   CHIP_DEAF : CHIP_LISTEN;
}

static int window_closed(const struct bk_sim *s, uint64_t t)
{
	return !s->stream_started && t > s->cen_release_ns + ENTRY_WINDOW_NS;
}

static void count_entry_byte(struct bk_sim *s, uint8_t in, uint64_t t_end)
{
	if (in == OP_ENTRY) {
		s->stream_started = 1;
		if (++s->d2_run >= ENTRY_D2_COUNT) {
			s->state = CHIP_ENTERING;
			s->switch_at_ns = t_end + ENTRY_SWITCH_NS;
			s->stats.entries++;
		}
	} else if (in != 0x00) {
		s->d2_run = 0;
	}
}

static uint8_t listen_byte(struct bk_sim *s, uint8_t in, size_t pos)
{
	uint8_t out = pos == 0 ? OP_ENTRY : 0x00;

	if (window_closed(s, frame_time(s, pos))) {
		s->state = CHIP_FIRMWARE;
		return 0x00;
	}
	count_entry_byte(s, in, frame_time(s, pos + 1));
	return garble_byte(s, out);
}

static void deaf_byte(struct bk_sim *s, uint8_t in, size_t pos)
{
	if (window_closed(s, frame_time(s, pos))) {
		s->state = CHIP_FIRMWARE;
	} else if (in == OP_ENTRY) {
		if (!s->dead)
			s->attempts_missed++;
		s->state = CHIP_FIRMWARE;
	}
}

/* A byte of a frame that began outside flash mode. */
static uint8_t entry_byte(struct bk_sim *s, uint8_t in, size_t pos)
{
	switch (s->state) {
	case CHIP_LISTEN:
		return listen_byte(s, in, pos);
	case CHIP_ENTERING:
		return garble_byte(s, pos == 0 ? OP_ENTRY : 0x00);
	case CHIP_DEAF:
		deaf_byte(s, in, pos);
		return 0x00;
	default:
		return 0x00;
	}
}

static void entry_bytes(struct bk_sim *s, const uint8_t *in, uint8_t *out,
			size_t n)
{
	for (size_t i = 0; i < n; i++, s->fr.pos++)
		out[i] = entry_byte(s, in[i], s->fr.pos);
}

/* -------------------------------------------------------- flash: decode */

static int op_known(const struct bk_sim *s, uint8_t op)
{
	switch (op) {
	case OP_WRSR: case OP_PP: case OP_READ: case OP_WRDI: case OP_RDSR1:
	case OP_WREN: case OP_SE: case OP_BE32: case OP_CE60: case OP_REMS:
	case OP_JEDEC: case OP_CE: case OP_ENTRY: case OP_BE64:
		return 1;
	case OP_RDSR2: case OP_RDSR3: case OP_WRSR2:
		return s->part->sr_bytes == 2;
	default:
		return 0;
	}
}

static int op_reads_status(uint8_t op)
{
	return op == OP_RDSR1 || op == OP_RDSR2 || op == OP_RDSR3;
}

static uint8_t flash_opcode(struct bk_sim *s, uint8_t op)
{
	struct frame *fr = &s->fr;

	fr->op = op;
	settle(s, frame_time(s, 1));
	if (!op_known(s, op)) {
		fr->ignored = 1;
		return 0x00;
	}
	if ((s->busy || s->stuck) && !op_reads_status(op)) {
		fr->ignored = 1;
		s->stats.rejected++;
		return 0x00;
	}
	if (op == OP_PP)
		memset(fr->page, 0xFF, sizeof(fr->page));
	return op == OP_ENTRY ? OP_ENTRY : 0x00;
}

static uint8_t status_byte(struct bk_sim *s)
{
	settle(s, frame_time(s, s->fr.pos));
	switch (s->fr.op) {
	case OP_RDSR1:
		return (uint8_t)(s->sr1 | (s->wel ? SR1_WEL : 0) |
				 (s->busy ? SR1_WIP : 0));
	case OP_RDSR2:
		return s->sr2;
	default:
		return 0x00;   /* SR3: nothing modelled */
	}
}

/* REMS (90h): manufacturer and device ID, in turn; address bit 0 swaps. */
static uint8_t rems_byte(const struct bk_sim *s)
{
	const struct frame *fr = &s->fr;

	if (fr->pos < 4)
		return 0x00;
	if (((fr->pos - 4) + (fr->addr & 1)) & 1)
		return (uint8_t)(s->jedec[2] - 1);
	return s->jedec[0];
}

static void page_data(struct bk_sim *s, uint8_t in)
{
	struct frame *fr = &s->fr;

	if (fr->pos < 4)
		return;
	if (fr->overclocked)
		in = garble_byte(s, in);
	fr->page[(fr->addr + (fr->pos - 4)) % PAGE_SIZE_BYTES] = in;
}

static uint8_t flash_byte(struct bk_sim *s, uint8_t in)
{
	struct frame *fr = &s->fr;

	if (fr->pos == 0)
		return flash_opcode(s, in);
	if (fr->ignored)
		return 0x00;
	if (fr->pos <= 3)
		fr->addr = fr->addr << 8 | in;
	switch (fr->op) {
	case OP_RDSR1: case OP_RDSR2: case OP_RDSR3:
		return status_byte(s);
	case OP_JEDEC:
		return fr->pos <= 3 ? s->jedec[fr->pos - 1] : 0x00;
	case OP_REMS:
		return rems_byte(s);
	case OP_PP:
		page_data(s, in);
		return 0x00;
	case OP_WRSR: case OP_WRSR2:
		if (fr->pos <= 2)
			fr->sr_data[fr->pos - 1] = in;
		return 0x00;
	default:
		return 0x00;
	}
}

static void flash_bytes(struct bk_sim *s, const uint8_t *in, uint8_t *out,
			size_t n)
{
	struct frame *fr = &s->fr;

	for (size_t i = 0; i < n; i++) {
		if (fr->op == OP_READ && !fr->ignored && fr->pos >= 4) {
			read_wrapping(s, (uint64_t)fr->addr + (fr->pos - 4),
				      out + i, n - i);
			s->stats.read_bytes += n - i;
			fr->pos += n - i;
			break;
		}
		out[i] = flash_byte(s, in[i]);
		fr->pos++;
	}
	garble_output(s, out, n);
}

/* -------------------------------------------------- flash: at CS rising */

static int write_enabled(struct bk_sim *s)
{
	if (s->wel)
		return 1;
	s->stats.rejected++;
	return 0;
}

/* Protected byte range [*lo, *hi) from BP and CMP (model in the header). */
static void protected_range(const struct bk_sim *s, uint32_t *lo, uint32_t *hi)
{
	unsigned bp = (s->sr1 >> BP_SHIFT) & ((1u << s->part->bp_bits) - 1);
	uint32_t len = bp == 0 ? 0 : bp >= 6 ? s->size : s->size >> (6 - bp);

	if (s->part->sr_bytes == 2 && (s->sr2 & SR2_CMP)) {
		*lo = 0;
		*hi = s->size - len;
	} else {
		*lo = s->size - len;
		*hi = s->size;
	}
}

static int range_writable(struct bk_sim *s, uint32_t addr, uint32_t len)
{
	uint32_t lo, hi;

	protected_range(s, &lo, &hi);
	if (lo < hi && addr < hi && lo < addr + len) {
		s->stats.rejected++;
		return 0;
	}
	return 1;
}

static void write_status(struct bk_sim *s)
{
	const struct frame *fr = &s->fr;

	if (fr->pos < 2 || !write_enabled(s))
		return;
	if (s->sr2 & SR2_SRP1) {
		s->stats.rejected++;
		return;
	}
	if (fr->op == OP_WRSR2) {
		s->sr2 = fr->sr_data[0] & SR2_NV_MASK;
	} else {
		s->sr1 = fr->sr_data[0] & SR1_NV_MASK;
		if (s->part->sr_bytes == 2 && fr->pos >= 3)
			s->sr2 = fr->sr_data[1] & SR2_NV_MASK;
	}
	s->stats.sr_writes++;
	start_busy(s, WRSR_NS, 0);
}

static void program_page(struct bk_sim *s)
{
	const struct frame *fr = &s->fr;
	uint32_t base = fr->addr & (s->size - 1) & ~(uint32_t)(PAGE_SIZE_BYTES - 1);

	if (fr->pos < 5 || !write_enabled(s) ||
	    !range_writable(s, base, PAGE_SIZE_BYTES))
		return;
	if (!s->stuck_busy) {   /* a hung program never lands */
		uint8_t cur[PAGE_SIZE_BYTES];

		if (store_read(s, base, cur, sizeof(cur)))
			s->io_failed = 1;
		for (size_t i = 0; i < sizeof(cur); i++)
			cur[i] &= fr->page[i];   /* NOR: bits only go 1 -> 0 */
		if (store_write(s, base, cur, sizeof(cur)))
			s->io_failed = 1;
	}
	s->stats.page_programs++;
	s->stats.program_bytes += fr->pos - 4;
	start_busy(s, PAGE_PROGRAM_NS, 1);
}

static void erase(struct bk_sim *s)
{
	const struct frame *fr = &s->fr;
	uint32_t unit = s->size, base;
	uint64_t ns = CHIP_ERASE_NS;

	switch (fr->op) {
	case OP_SE: unit = SECTOR_SIZE; ns = SECTOR_ERASE_NS; break;
	case OP_BE32: unit = BLOCK32_SIZE; ns = BLOCK32_ERASE_NS; break;
	case OP_BE64: unit = BLOCK64_SIZE; ns = BLOCK64_ERASE_NS; break;
	default: break;
	}
	if (unit != s->size && fr->pos < 4)
		return;   /* address incomplete */
	base = fr->addr & (s->size - 1) & ~(unit - 1);
	if (!write_enabled(s) || !range_writable(s, base, unit))
		return;
	if (!s->stuck_busy)   /* a hung erase never lands */
		store_erase(s, base, unit);
	if (fr->op == OP_SE)
		s->stats.sector_erases++;
	else if (fr->op == OP_BE32 || fr->op == OP_BE64)
		s->stats.block_erases++;
	else
		s->stats.chip_erases++;
	start_busy(s, ns, 1);
}

static void flash_commit(struct bk_sim *s)
{
	if (s->fr.ignored || s->fr.pos == 0)
		return;
	switch (s->fr.op) {
	case OP_WREN: s->wel = 1; break;
	case OP_WRDI: s->wel = 0; break;
	case OP_WRSR: case OP_WRSR2: write_status(s); break;
	case OP_PP: program_page(s); break;
	case OP_SE: case OP_BE32: case OP_BE64: case OP_CE: case OP_CE60:
		erase(s);
		break;
	default: break;
	}
}

/* ------------------------------------------------------------- the bus */

/* SPI modes 1/2: the other side samples one bit late (see header). */
static uint8_t sample_late(uint8_t b, uint8_t *prev)
{
	uint8_t seen = (uint8_t)(*prev << 7 | b >> 1);

	*prev = b & 1;
	return seen;
}

/* CS falls: a new frame, decoded in SPI mode `mode`. */
static void frame_open(struct bk_sim *s, int mode)
{
	struct frame *fr = &s->fr;

	fr->open = 1;
	fr->pos = 0;
	fr->ignored = 0;
	fr->late_sampling = (mode & 3) == 1 || (mode & 3) == 2;
	fr->prev_in = fr->prev_out = 0;
	fr->op = 0;
	fr->addr = 0;
	if (s->state == CHIP_ENTERING && s->now_ns >= s->switch_at_ns)
		s->state = CHIP_FLASH;
	fr->in_flash = s->state == CHIP_FLASH;
	s->stats.frames++;
}

/* The clock of the bytes shifted from now on (it may change within a frame). */
static void shift_begin(struct bk_sim *s, uint32_t clock_hz)
{
	struct frame *fr = &s->fr;
	const uint64_t bit8_ns = 8000000000ull;

	fr->t0 = s->now_ns;
	fr->pos0 = fr->pos;
	fr->hz = clock_hz;
	fr->ns_quot = clock_hz ? bit8_ns / clock_hz : 0;
	fr->ns_rem = clock_hz ? bit8_ns % clock_hz : 0;
	fr->overclocked = s->maxclock_hz && clock_hz > s->maxclock_hz;
}

static void chip_input(struct bk_sim *s, const uint8_t *tx, uint8_t *in,
		       size_t n)
{
	if (tx)
		memcpy(in, tx, n);
	else
		memset(in, 0, n);
	if (s->fr.late_sampling)
		for (size_t i = 0; i < n; i++)
			in[i] = sample_late(in[i], &s->fr.prev_in);
}

static void host_output(struct bk_sim *s, uint8_t *out, uint8_t *rx, size_t n)
{
	if (s->fr.late_sampling)
		for (size_t i = 0; i < n; i++)
			out[i] = sample_late(out[i], &s->fr.prev_out);
	if (rx)
		memcpy(rx, out, n);
}

/* With pace, sleep until real time has caught up with model time. */
static void keep_pace(const struct bk_sim *s)
{
	struct timespec ts;
	uint64_t real;

	if (!s->paced)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	real = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - s->real_start_ns;
	if (real >= s->now_ns)
		return;
	ts.tv_sec = (time_t)((s->now_ns - real) / 1000000000u);
	ts.tv_nsec = (long)((s->now_ns - real) % 1000000000u);
	nanosleep(&ts, NULL);
}

/* CS rises: the frame's command takes effect. */
static void frame_close(struct bk_sim *s)
{
	s->fr.open = 0;
	if (s->fr.in_flash)
		flash_commit(s);
	keep_pace(s);
}

/* Bytes of the open frame, in chunks. */
static void frame_shift(struct bk_sim *s, const uint8_t *tx, uint8_t *rx, size_t len)
{
	uint8_t in[FRAME_CHUNK], out[FRAME_CHUNK];

	for (size_t done = 0; done < len;) {
		size_t n = len - done < FRAME_CHUNK ? len - done : FRAME_CHUNK;

		chip_input(s, tx ? tx + done : NULL, in, n);
		if (s->fr.in_flash)
			flash_bytes(s, in, out, n);
		else
			entry_bytes(s, in, out, n);
		host_output(s, out, rx ? rx + done : NULL, n);
		done += n;
	}
	s->stats.bytes_clocked += len;
}

void bk_sim_select(struct bk_sim *s, int level)
{
	if (!level && !s->fr.open)
		frame_open(s, 0);
	else if (level && s->fr.open)
		frame_close(s);
}

void bk_sim_shift(struct bk_sim *s, const uint8_t *tx, uint8_t *rx, size_t len,
		  uint32_t clock_hz)
{
	shift_begin(s, clock_hz);
	if (s->fr.open) {
		frame_shift(s, tx, rx, len);
		s->now_ns = frame_time(s, s->fr.pos);
	} else {
		if (rx)   /* CS high: the chip does not drive MISO (0x00, see the header) */
			memset(rx, 0, len);
		s->now_ns = frame_time(s, s->fr.pos + len);
	}
	keep_pace(s);
}

void bk_sim_transfer(struct bk_sim *s, const uint8_t *tx, uint8_t *rx,
		     size_t len, uint32_t clock_hz, int mode)
{
	if (s->fr.open)
		frame_close(s);
	frame_open(s, mode);
	shift_begin(s, clock_hz);
	frame_shift(s, tx, rx, len);
	s->now_ns = frame_time(s, s->fr.pos);
	frame_close(s);
}

void bk_sim_delay(struct bk_sim *s, uint64_t ns)
{
	s->now_ns += ns;
	keep_pace(s);
}

uint64_t bk_sim_now(const struct bk_sim *s)
{
	return s->now_ns;
}

void bk_sim_get_stats(const struct bk_sim *s, struct bk_sim_stats *out)
{
	*out = s->stats;
	out->model_ns = s->now_ns;
}

uint32_t bk_sim_flash_size(const struct bk_sim *s)
{
	return s->size;
}

int bk_sim_peek(const struct bk_sim *s, uint32_t addr, uint8_t *buf, size_t len)
{
	if (addr > s->size || len > s->size - addr)
		return -1;
	return store_read(s, addr, buf, len);
}

/* ---------------------------------------------------------------- close */

typedef int (*fill_fn)(const void *ctx, int fd);

static int fill_flash(const void *ctx, int fd)
{
	const struct bk_sim *s = ctx;

	uint8_t *buf = malloc(IO_CHUNK);
	int rc = buf ? 0 : -1;

	for (uint32_t off = 0; !rc && off < s->size; off += IO_CHUNK) {
		size_t n = s->size - off < IO_CHUNK ? s->size - off : IO_CHUNK;

		rc = store_read(s, off, buf, n) || sim_write_full(fd, buf, n);
	}
	free(buf);
	return rc;
}

static int fill_state(const void *ctx, int fd)
{
	const struct bk_sim *s = ctx;

	char text[64];
	int n = snprintf(text, sizeof(text), "sr1 0x%02x\nsr2 0x%02x\n",
			 s->sr1, s->sr2);

	return sim_write_full(fd, (const uint8_t *)text, (size_t)n);
}

static const struct {
	const char *name;
	size_t offset;
} stat_fields[] = {
#define STAT(f) { #f, offsetof(struct bk_sim_stats, f) }
	STAT(model_ns), STAT(bytes_clocked), STAT(frames), STAT(read_bytes),
	STAT(sector_erases), STAT(block_erases), STAT(chip_erases),
	STAT(page_programs), STAT(program_bytes), STAT(sr_writes),
	STAT(busy_ns), STAT(rejected), STAT(entries),
#undef STAT
};

static int fill_stats(const void *ctx, int fd)
{
	const struct bk_sim *s = ctx;

	struct bk_sim_stats st;
	char text[1024];
	size_t used = 0;

	bk_sim_get_stats(s, &st);
	for (size_t i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		uint64_t v;

		memcpy(&v, (const char *)&st + stat_fields[i].offset, sizeof(v));
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "%s %llu\n", stat_fields[i].name,
					 (unsigned long long)v);
	}
	return sim_write_full(fd, (const uint8_t *)text, used);
}

/* A device or FIFO (save=/dev/null) is written in place, never replaced. */
/* Every file is attempted; the first failure is the one reported. */
int bk_sim_close(struct bk_sim *s, char *err, size_t errlen)
{
	static const char *const keys[] = { "save", "state", "stats" };
	static const fill_fn fills[] = { fill_flash, fill_state, fill_stats };
	const char *paths[3];
	char later[256] = "";
	int rc = 0;

	if (!s)
		return 0;
	paths[0] = s->save_path;
	paths[1] = s->state_path;
	paths[2] = s->stats_path;
	if (s->io_failed) {
		sim_set_err(err, errlen, "bk72xx sim: I/O error on the flash store");
		rc = -1;
	}
	for (size_t i = 0; i < 3; i++)
		if (paths[i] && sim_write_file("bk72xx", keys[i], paths[i], fills[i], s,
						 rc ? later : err,
						 rc ? sizeof(later) : errlen))
			rc = -1;
	free_sim(s);
	return rc;
}
