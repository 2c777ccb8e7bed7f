/* SPDX-License-Identifier: MIT */
/*
 * Emulators of Ingenic T20, T31 and T41 cameras in USB boot (sim/sim_ingenic.h):
 * the boot ROM, the SPL and the stage-2 burner, behind the USB runner
 * (sim/sim_usb.h). Written from ../shared/notes/ingenic.md (cited as §n)
 * and the two vendor captures in ../shared/data/ingenic/captures, never
 * from host code.
 */
#include "sim_ingenic.h"
#include "sim_usb.h"
#include "sim_file.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint64_t NEVER = UINT64_MAX;
static const uint64_t MS = 1000000;

/* Acks as the burner sets them (§3.1): 0 or -errno. */
enum {
	ACK_EIO = -5,
	ACK_ENODEV = -19,
	ACK_EBUSY = -16,
	ACK_EINVAL = -22,
	ACK_ENOSYS = -38,
};

enum {
	GINFO_ADDR = 0x80001000u,
	MAX_LOADS = 16,
	MAX_PARTS = 10,
	MAX_CFG = 64 * 1024,
	MAX_CHUNK = 32 * 1024 * 1024,   /* the largest WRITE/READ length taken (a choice) */
	CMD_LEN = 40,
	EP_OUT = 0x01,
	EP_IN = 0x81,
	MEDIUM_MMC = 2,
	MEDIUM_SFC = 6,
	MEDIUM_REGISTER = 5,
	MEDIUM_MEMORY = 0,
	MTD_MODE = 0,
};

/* What differs between the three models (§1.2, §2, §3.5, §3.7, §4). */
struct chip {
	const char *name;
	char rom_id[9], burner_id[9];
	uint32_t jedec;
	uint64_t rom_ns;          /* ROM/SPL bulk OUT, per byte */
	uint64_t stage2_ms;       /* START2 -> burner answers */
	uint64_t init_ms;         /* INIT without erase */
	uint64_t chip_erase_ms;
	uint64_t d2i_max;
	int init_erases;          /* spi_erase 1 erases the chip at INIT (T20/T31-era burners) */
};

static const struct chip chips[] = {
	/* CAP-T20: 390480 B in 211 ms; stage 2 up 169 ms after START2; INIT 5 ms; GD25Q127 48 s (§3.4). */
	{ "t20", "T 2 0 V ", "BOOTx152", 0xC84018, 540, 169, 5, 48000, 0x4000, 1 },
	/* prj008's burner "PRJ" (§2); W25Q128 chip erase 14 s (§3.4); the rest as the T20 (a choice). */
	{ "t31", "T 3 1 V ", "PRJ\0\0\0\0\0", 0xEF7018, 540, 169, 5, 14000, 0x7000, 1 },
	/* CAP-T41: ROM says T31; 404688 B in 308 ms; stage 2 up after 145 ms; INIT 472 ms. */
	{ "t41", "T 3 1 V ", "X2580\0\0\0", 0x0B4018, 760, 145, 472, 14000, 0x7000, 0 },
};

enum stage { S_ROM, S_SPL, S_BURNER, S_HUNG, S_GONE };
static const char *const stage_names[] = { "rom", "spl", "burner", "hung", "gone" };

enum expect { X_NONE, X_CFG, X_WRITE };

struct load {
	uint32_t addr, len;
	uint8_t head[8];
};

struct part {
	char name[33];
	uint32_t size, offset, mask, mode;
	int erased;
};

struct cmd {
	uint64_t partition, offset, length;
	uint32_t ops, crc;
};

struct ing_stats {
	uint64_t controls, stalls, bulk_out_bytes, bulk_in_bytes, rom_boots, spl_boots,
		stage2_boots, hangs, configs, inits, writes, bytes_written, reads, bytes_read,
		erased_bytes, chip_erases, crc_errors, write_back_errors, reboots, disconnects,
		injected_stalls, injected_timeouts, injected_bad_crcs, injected_bad_reads,
		elapsed_ns;
};

struct ing {
	const struct chip *chip;
	int pace;
	uint64_t now;
	FILE *trace;
	char *image_path, *save_path, *stats_path;
	struct ing_stats stats;
	uint32_t crc_table[256];

	/* options */
	uint64_t flash_size, mmc_size, jedec, seed, layout32, start_burner;
	uint64_t rom_ns, spl_ms, stage2_ms, init_ms, read_ns, chip_erase_ms, erase_32k_ms,
		erase_64k_ms, page_us, mmc_ns, reset_ms, d2i_max;
	uint64_t stall_at, timeout_at, bad_crc_at, bad_read_at, disconnect_at, stall_ppm,
		timeout_ppm;
	uint64_t rng;

	/* the device */
	enum stage stage, boot_to;
	uint64_t boot_at, back_at, busy_until;
	uint8_t *flash, *mmc;

	/* ROM and SPL */
	struct load loads[MAX_LOADS];
	size_t nloads;
	int have_addr, flushed;
	uint32_t addr, length;

	/* burner */
	int32_t ack;
	int configured, inited, medium, use_sfc_nor, data_chk, write_back_chk;
	uint32_t ddr_type, full_size;
	enum expect expect;
	uint8_t *buf;
	size_t buf_len, buf_got;
	struct cmd wcmd;
	/* the SFC medium (§3.3) */
	uint32_t download_params, erase_block, spi_erase, chip_size, mmc_erase;
	int addr4;
	struct part parts[MAX_PARTS];
	size_t nparts;
	/* a READ */
	uint8_t *rbuf;
	size_t rlen, rpos;
	int32_t rack;
	uint32_t rcrc;
	int read_pending, read_queued;
	/* fault counters */
	uint64_t nwrites, nreads, write_bytes;
	int io_failed;
};

/* ------------------------------------------------------------ helpers */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > NEVER - b ? NEVER : a + b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t busy_ns(const struct ing *m, uint64_t ns)
{
	return m->pace ? ns : 0;
}

static void crc_init(uint32_t table[256])
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
}

static uint32_t jamcrc(const struct ing *m, const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++)
		c = m->crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c;
}

uint32_t ingenic_sim_crc32(const uint8_t *p, size_t n)
{
	uint32_t table[256], c = 0xFFFFFFFFu;

	/* a byte at a time: the emulator checks whole MiB chunks (and runs under valgrind in CI) */
	for (uint32_t b = 0; b < 256; b++) {
		c = b;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[b] = c;
	}
	c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c;
}

static int chance(struct ing *m, uint64_t ppm)
{
	return ppm && sim_random(&m->rng) % 1000000 < ppm;
}

static void flip_bit(struct ing *m, uint8_t *p, size_t n)
{
	uint64_t r = sim_random(&m->rng);

	if (n)
		p[(r >> 3) % n] ^= (uint8_t)(1u << (r & 7));
}

/* ------------------------------------------------------------ the clock */

static void reset_to_rom(struct ing *m)
{
	m->stage = S_ROM;
	m->back_at = m->boot_at = NEVER;
	m->busy_until = 0;
	m->nloads = 0;
	m->have_addr = m->flushed = 0;
	m->configured = m->inited = 0;
	m->medium = -1;
	m->expect = X_NONE;
	m->read_pending = m->read_queued = 0;
	m->nparts = 0;
	m->stats.rom_boots++;
	sim_trace(m->trace, "%llu rom: attached", (unsigned long long)m->now);
}

/* Timed changes up to t: a stage booting, a reset device coming back. */
static void reach(struct ing *m, uint64_t t)
{
	if (t > m->now)
		m->now = t;
	if (m->boot_at <= m->now) {
		m->stage = m->boot_to;
		m->boot_at = NEVER;
		if (m->stage == S_SPL)
			m->stats.spl_boots++;
		else if (m->stage == S_BURNER)
			m->stats.stage2_boots++;
		sim_trace(m->trace, "%llu %s: up", (unsigned long long)m->now,
			  stage_names[m->stage]);
	}
	if (m->stage == S_GONE && m->back_at <= m->now)
		reset_to_rom(m);
	m->stats.elapsed_ns = m->now;
}

static uint64_t ing_next_event(void *dev, uint64_t now)
{
	struct ing *m = dev;
	uint64_t t = NEVER;

	if (m->boot_at > now)
		t = m->boot_at;
	if (m->stage == S_GONE && m->back_at > now && m->back_at < t)
		t = m->back_at;
	return t;
}

static void ing_advance(void *dev, uint64_t now)
{
	reach(dev, now);
}

static void hang(struct ing *m, const char *why)
{
	m->stage = S_HUNG;
	m->boot_at = NEVER;
	m->stats.hangs++;
	sim_trace(m->trace, "%llu hang: %s", (unsigned long long)m->now, why);
}

static void detach(struct ing *m, uint64_t back_after_ns, const char *why)
{
	m->stage = S_GONE;
	m->boot_at = NEVER;
	m->back_at = back_after_ns == NEVER ? NEVER : add_sat(m->now, back_after_ns);
	sim_trace(m->trace, "%llu detached: %s", (unsigned long long)m->now, why);
}

/* ------------------------------------------------------- the descriptors */

static int ing_describe(void *dev, uint64_t now, struct usb_sim_device *d)
{
	struct ing *m = dev;

	reach(m, now);
	if (m->stage == S_GONE)
		return -1;
	d->vid = 0xA108;
	d->pid = 0xC309;
	d->bcd_device = 0x0100;
	strcpy(d->manufacturer, "Ingenic");
	/* The ROM's product string starts with U+00C3 U+0009 (§1.1, CAP-T20). */
	strcpy(d->product, "\xC3\x83\t USB Boot Device");
	d->serial[0] = '\0';
	d->ep_out = EP_OUT;
	d->ep_in = EP_IN;
	d->max_packet = 512;
	return 0;
}

/* ------------------------------------------------------------ the media */

static uint64_t nor_addr(const struct ing *m, uint64_t a)
{
	/* 3-byte opcodes without EN4B reach only the low 16 MiB (§7, W:git 22b187d). */
	if (!m->addr4 && m->flash_size > 0x1000000)
		a &= 0xFFFFFF;
	return a % m->flash_size;
}

static uint64_t erase_time(const struct ing *m, uint64_t bytes)
{
	uint64_t blk = m->erase_block ? m->erase_block : 0x10000;
	uint64_t n = (bytes + blk - 1) / blk;
	uint64_t per = blk <= 0x8000 ? m->erase_32k_ms * blk / 0x8000 : m->erase_64k_ms * blk / 0x10000;

	return n * per * MS;
}

static void nor_erase(struct ing *m, uint64_t start, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		m->flash[nor_addr(m, start + i)] = 0xFF;
	m->stats.erased_bytes += len;
	sim_trace(m->trace, "%llu erase 0x%llx+0x%llx", (unsigned long long)m->now,
		  (unsigned long long)start, (unsigned long long)len);
}

static void nor_program(struct ing *m, uint64_t off, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m->flash[nor_addr(m, off + i)] &= p[i];
}

static uint64_t part_size(const struct ing *m, const struct part *p)
{
	uint64_t chip = m->chip_size ? m->chip_size : m->flash_size;

	if (p->size != 0xFFFFFFFFu)
		return p->size;
	return chip > p->offset ? chip - p->offset : 0;
}

static struct part *find_part(struct ing *m, uint64_t off, uint64_t len)
{
	for (size_t i = 0; i < m->nparts; i++) {
		struct part *p = &m->parts[i];

		if (off >= p->offset && off + len <= p->offset + part_size(m, p))
			return p;
	}
	return NULL;
}

/* The erase a WRITE does first (§3.4 "Burner behaviour per WRITE chunk"); its time. */
static uint64_t write_erase(struct ing *m, struct part *p, uint64_t off, uint64_t len)
{
	uint64_t blk = m->erase_block ? m->erase_block : 0x10000, start, end;

	if (m->chip->init_erases && m->spi_erase == 1)
		return 0;
	if (p->mode == MTD_MODE) {
		if (p->erased)
			return 0;
		p->erased = 1;
		nor_erase(m, p->offset, part_size(m, p));
		return erase_time(m, part_size(m, p));
	}
	start = off / blk * blk;
	end = (off + len + blk - 1) / blk * blk;
	nor_erase(m, start, end - start);
	return erase_time(m, end - start);
}

/* offset 0 with download_params: the burner writes its parameters into the SPL header (§3.4). */
static void inject_spl_params(struct ing *m, uint8_t *p, size_t n)
{
	if (n >= 132)
		put_le32(p + 128, m->ddr_type);
	if (n >= 516) {
		uint32_t w = le32(p + 512);

		if (w == 0 || w > 65535)
			put_le32(p + 512, 0x1111);
	}
}

static int32_t nor_write(struct ing *m, const struct cmd *c, uint8_t *p, uint64_t *ns)
{
	struct part *part = find_part(m, c->offset, c->length);
	uint64_t t;

	if (!part) {
		sim_trace(m->trace, "%llu write 0x%llx+0x%llx: out of partition",
			  (unsigned long long)m->now, (unsigned long long)c->offset,
			  (unsigned long long)c->length);
		return ACK_EIO;
	}
	if (part->mask == 2)
		return ACK_EIO;
	t = write_erase(m, part, c->offset, c->length);
	if (c->offset == 0 && m->download_params)
		inject_spl_params(m, p, c->length);
	nor_program(m, c->offset, p, c->length);
	t += (c->length + 255) / 256 * m->page_us * 1000;
	*ns = t;
	m->stats.bytes_written += c->length;
	if (m->write_back_chk)
		for (uint64_t i = 0; i < c->length; i++)
			if (m->flash[nor_addr(m, c->offset + i)] != p[i]) {
				m->stats.write_back_errors++;
				sim_trace(m->trace, "%llu write back: 0x%llx differs",
					  (unsigned long long)m->now,
					  (unsigned long long)(c->offset + i));
				return ACK_EIO;
			}
	return 0;
}

static int mmc_ready(struct ing *m)
{
	if (!m->mmc) {
		m->mmc = malloc(m->mmc_size);
		if (!m->mmc) {
			m->io_failed = 1;
			return -1;
		}
		memset(m->mmc, 0, m->mmc_size);
	}
	return 0;
}

/* -------------------------------------------------------- the ROM and SPL */

static struct load *load_at(struct ing *m, uint32_t addr)
{
	for (size_t i = m->nloads; i-- > 0;)
		if (m->loads[i].addr == addr && m->loads[i].len)
			return &m->loads[i];
	return NULL;
}

static void start1(struct ing *m, uint32_t entry)
{
	struct load *ginfo = load_at(m, GINFO_ADDR), *spl = load_at(m, entry);

	sim_trace(m->trace, "%llu rom: START1 0x%08x d2i 0x%x", (unsigned long long)m->now,
		  entry, m->length);
	if (!spl)
		return hang(m, "START1 to an address nothing was loaded at");
	if (!m->length || m->length > m->d2i_max)
		return hang(m, "d2i length beyond the I-cache");
	/* The SPL reads its board info (ginfo) at 0x80001000 (§1.3, §1.4). */
	if (!ginfo || memcmp(ginfo->head, "FIDB", 4))
		return hang(m, "no ginfo at 0x80001000: DDR init fails");
	m->boot_to = S_SPL;
	m->boot_at = add_sat(m->now, busy_ns(m, m->spl_ms * MS));
}

static void start2(struct ing *m, uint32_t entry)
{
	sim_trace(m->trace, "%llu spl: START2 0x%08x", (unsigned long long)m->now, entry);
	if (!load_at(m, entry))
		return hang(m, "START2 to an address nothing was loaded at");
	if (!m->flushed)
		return hang(m, "START2 without FLUSH_CACHES after the load");
	m->boot_to = S_BURNER;
	m->boot_at = add_sat(m->now, busy_ns(m, m->stage2_ms * MS));
	m->configured = m->inited = 0;
	m->ack = 0;
}

static enum usb_sim_status rom_request(struct ing *m, const struct usb_sim_setup *s,
				       uint8_t *data, size_t *actual)
{
	uint32_t value = (uint32_t)s->wValue << 16 | s->wIndex;
	int in = s->bmRequestType & 0x80, spl = m->stage == S_SPL;

	switch (s->bRequest) {
	case 0x00:
		if (!in)
			return USB_SIM_STALL;
		memcpy(data, m->chip->rom_id, s->wLength < 8 ? s->wLength : 8);
		*actual = s->wLength < 8 ? s->wLength : 8;
		return USB_SIM_OK;
	case 0x01:
		m->addr = value;
		m->have_addr = 1;
		if (m->nloads == MAX_LOADS)
			memmove(m->loads, m->loads + 1, sizeof(m->loads[0]) * --m->nloads);
		m->loads[m->nloads++] = (struct load){ value, 0, { 0 } };
		return USB_SIM_OK;
	case 0x02:
		m->length = value;
		return USB_SIM_OK;
	case 0x03:
		/* will-tm: the ROM lacks 0x03/0x05; the SPL serves them (§1.2). */
		if (!spl)
			return USB_SIM_STALL;
		m->flushed = 1;
		return USB_SIM_OK;
	case 0x04:
		if (spl)
			return USB_SIM_STALL;
		start1(m, value);
		return USB_SIM_OK;
	case 0x05:
		if (!spl)
			return USB_SIM_STALL;
		start2(m, value);
		return USB_SIM_OK;
	default:
		return USB_SIM_STALL;
	}
}

static enum usb_sim_status rom_bulk_out(struct ing *m, uint8_t ep, const uint8_t *p, size_t n,
					size_t *taken, uint64_t *done)
{
	struct load *l;

	if (ep != EP_OUT || !m->have_addr || !m->nloads)
		return USB_SIM_STALL;
	l = &m->loads[m->nloads - 1];
	for (size_t i = 0; i < n && l->len + i < sizeof(l->head); i++)
		l->head[l->len + i] = p[i];
	if (l->len == 0 && n == 4 && (l->addr & 0xFFFF0000u) == 0xB0010000u)
		sim_trace(m->trace, "%llu gpio poke 0x%08x = 0x%08x", (unsigned long long)m->now,
			  l->addr, le32(p));
	l->len += (uint32_t)n;
	m->flushed = 0;
	*taken = n;
	*done = m->now + busy_ns(m, n * m->rom_ns);
	return USB_SIM_OK;
}

/* ------------------------------------------------------------- the burner */

static void parse_cmd(const struct ing *m, const uint8_t *p, struct cmd *c)
{
	c->partition = le64(p);
	if (m->layout32) {
		c->ops = le32(p + 8);
		c->offset = le32(p + 12);
		c->length = le32(p + 16);
		c->crc = le32(p + 20);
	} else {
		c->offset = le64(p + 8);
		c->length = le64(p + 16);
		c->ops = le32(p + 24);
		c->crc = le32(p + 28);
	}
}

static int parse_sfc(struct ing *m, const uint8_t *b, size_t len)
{
	size_t at = 0;
	const uint8_t *nor;

	while (at + 4 <= len && memcmp(b + at, "nor\0", 4))
		at += 4;
	/* Header words before "nor\0": 5 to 7 per burner build (§3.3). */
	if (at + 4 > len || at < 16 || at + 0x278 > len)
		return ACK_EINVAL;
	m->download_params = le32(b);
	m->erase_block = le32(b + 8);
	m->spi_erase = le32(b + 12);
	nor = b + at;
	m->chip_size = le32(nor + 0x84);
	m->addr4 = nor[0x2C + 3] == 4 || !(nor[0x50] == 0xFF && nor[0x51] == 0xFF);
	m->nparts = le32(nor + 0x274);
	if (m->nparts > MAX_PARTS)
		m->nparts = MAX_PARTS;
	for (size_t i = 0; i < m->nparts; i++) {
		const uint8_t *p = nor + 0x94 + 48 * i;
		struct part *q = &m->parts[i];

		memcpy(q->name, p, 32);
		q->name[32] = '\0';
		q->size = le32(p + 32);
		q->offset = le32(p + 36);
		q->mask = le32(p + 40);
		q->mode = le32(p + 44);
		q->erased = 0;
	}
	m->medium = MEDIUM_SFC;
	sim_trace(m->trace, "%llu cfg sfc: erase block 0x%x spi_erase %u params %u parts %zu",
		  (unsigned long long)m->now, m->erase_block, m->spi_erase, m->download_params,
		  m->nparts);
	return 0;
}

/* The TLV walk (§3.3): to magic 0 or the end; the last SFC/MMC/NAND TLV is the medium. */
static int32_t parse_cfg(struct ing *m, const uint8_t *b, size_t len)
{
	size_t at = 0;

	while (at + 8 <= len) {
		uint32_t magic = le32(b + at), size = le32(b + at + 4);
		const uint8_t *body = b + at + 8;

		if (!magic)
			break;
		if (size > len - at - 8)
			return ACK_EINVAL;
		if (!memcmp(b + at, "ILOP", 4) && size >= 24) {
			m->use_sfc_nor = le32(body + 20) != 0;
		} else if (!memcmp(b + at, "\0GBD", 4) && size >= 12) {
			m->data_chk = le32(body + 4) != 0;
			m->write_back_chk = le32(body + 8) != 0;
		} else if (!memcmp(b + at, "\0RDD", 4) && size >= 4) {
			m->ddr_type = le32(body);
		} else if (!memcmp(b + at, "\0CFS", 4)) {
			if (parse_sfc(m, body, size))
				return ACK_EINVAL;
		} else if (!memcmp(b + at, "\0CMM", 4) && size >= 8) {
			m->medium = MEDIUM_MMC;
			m->mmc_erase = le32(body + 4);
		} else if (!memcmp(b + at, "DNAN", 4)) {
			m->medium = 1;
		}
		at += 8 + size;
	}
	m->stats.configs++;
	return 0;
}

static void init_medium(struct ing *m, uint64_t *ns)
{
	*ns = busy_ns(m, m->init_ms * MS);
	m->inited = 1;
	m->stats.inits++;
	if (m->medium == MEDIUM_SFC && m->chip->init_erases && m->spi_erase == 1) {
		nor_erase(m, 0, m->flash_size);
		m->stats.chip_erases++;
		*ns += busy_ns(m, m->chip_erase_ms * MS);
	} else if (m->medium == MEDIUM_MMC) {
		if (mmc_ready(m)) {
			m->ack = ACK_ENODEV;
			return;
		}
		if (m->mmc_erase == 1)
			memset(m->mmc, 0, m->mmc_size);
	}
	m->ack = m->medium == MEDIUM_SFC || m->medium == MEDIUM_MMC ? 0 : ACK_ENOSYS;
	sim_trace(m->trace, "%llu INIT medium %d -> ack %d", (unsigned long long)m->now,
		  m->medium, m->ack);
}

static int medium_ok(const struct ing *m, uint32_t ops)
{
	return m->inited && (int)(ops >> 16) == m->medium;
}

/* A WRITE's data has all come. */
static void finish_write(struct ing *m)
{
	struct cmd *c = &m->wcmd;
	uint64_t ns = 0;
	uint32_t medium = c->ops >> 16;

	m->expect = X_NONE;
	m->stats.writes++;
	if (m->data_chk && jamcrc(m, m->buf, c->length) != c->crc) {
		m->stats.crc_errors++;
		m->ack = ACK_EINVAL;
	} else if (medium == MEDIUM_REGISTER) {
		m->ack = c->partition > 0xB0000000u && c->partition < 0xB8000000u ? 0 : ACK_ENODEV;
	} else if (medium == MEDIUM_MEMORY) {
		m->ack = 0;
	} else if (!medium_ok(m, c->ops)) {
		m->ack = ACK_ENOSYS;
	} else if (medium == MEDIUM_SFC) {
		m->ack = nor_write(m, c, m->buf, &ns);
	} else if (c->offset + c->length > m->mmc_size) {
		m->ack = ACK_EIO;
	} else {
		memcpy(m->mmc + c->offset, m->buf, c->length);
		m->stats.bytes_written += c->length;
		ns = c->length * m->mmc_ns;
	}
	m->busy_until = m->now + busy_ns(m, ns);
	sim_trace(m->trace, "%llu WRITE 0x%llx+0x%llx ops 0x%x -> ack %d",
		  (unsigned long long)m->now, (unsigned long long)c->offset,
		  (unsigned long long)c->length, c->ops, m->ack);
	free(m->buf);
	m->buf = NULL;
}

static int expect_bulk(struct ing *m, enum expect what, size_t len)
{
	free(m->buf);
	m->buf = malloc(len ? len : 1);
	if (!m->buf) {
		m->io_failed = 1;
		return -1;
	}
	m->expect = what;
	m->buf_len = len;
	m->buf_got = 0;
	m->ack = ACK_EBUSY;
	return 0;
}

static void write_cmd(struct ing *m, const uint8_t *p)
{
	parse_cmd(m, p, &m->wcmd);
	m->nwrites++;
	if (m->wcmd.length > MAX_CHUNK) {
		m->ack = ACK_EIO;
		return;
	}
	if (!m->wcmd.length) {
		m->ack = 0;
		return;
	}
	if (expect_bulk(m, X_WRITE, m->wcmd.length))
		m->ack = ACK_EIO;
}

static void read_cmd(struct ing *m, const uint8_t *p)
{
	struct cmd c;
	uint32_t medium;

	parse_cmd(m, p, &c);
	medium = c.ops >> 16;
	m->read_pending = 1;
	m->read_queued = 0;
	m->nreads++;
	free(m->rbuf);
	m->rbuf = NULL;
	m->rlen = m->rpos = 0;
	if (c.length > MAX_CHUNK || !medium_ok(m, c.ops) ||
	    (medium == MEDIUM_MMC && c.offset + c.length > m->mmc_size)) {
		m->rack = medium_ok(m, c.ops) ? ACK_EIO : ACK_ENOSYS;
		return;
	}
	m->rbuf = malloc(c.length ? c.length : 1);
	if (!m->rbuf) {
		m->io_failed = 1;
		m->rack = ACK_EIO;
		return;
	}
	for (uint64_t i = 0; i < c.length; i++)
		m->rbuf[i] = medium == MEDIUM_SFC ? m->flash[nor_addr(m, c.offset + i)] :
						     m->mmc[c.offset + i];
	m->rlen = c.length;
	m->rack = 0;
	m->rcrc = jamcrc(m, m->rbuf, m->rlen);
	m->stats.reads++;
	m->stats.bytes_read += c.length;
	/* The burner reads synchronously; EP0 NAKs meanwhile (CAP-T20: 194 ms per MiB). */
	m->busy_until = m->now + busy_ns(m, c.length * m->read_ns);
	if (m->bad_read_at && m->nreads == m->bad_read_at && m->rlen) {
		m->stats.injected_bad_reads++;
		flip_bit(m, m->rbuf, m->rlen);
	}
	sim_trace(m->trace, "%llu READ 0x%llx+0x%llx -> crc 0x%08x", (unsigned long long)m->now,
		  (unsigned long long)c.offset, (unsigned long long)c.length, m->rcrc);
}

static void reboot(struct ing *m, int off)
{
	static const uint8_t blank[4] = { 0xFF, 0xFF, 0xFF, 0xFF };
	/* The ROM falls back to USB boot only when the flash does not boot (§7). */
	int rom_again = !off && memcmp(m->flash, blank, 4) == 0;

	m->stats.reboots++;
	detach(m, rom_again ? busy_ns(m, m->reset_ms * MS) : NEVER, off ? "power off" : "reboot");
}

static enum usb_sim_status burner_in(struct ing *m, const struct usb_sim_setup *s,
				     uint8_t *data, size_t *actual)
{
	uint8_t out[8] = { 0 };
	size_t n;

	switch (s->bRequest) {
	case 0x00:
		memcpy(out, m->chip->burner_id, 8);
		n = 8;
		break;
	case 0x10:
		/* GET_ACK before any config traps the burner (§2, thingino's note). */
		if (!m->configured) {
			hang(m, "GET_ACK before any config");
			return USB_SIM_TIMEOUT;
		}
		put_le32(out, (uint32_t)m->ack);
		n = 4;
		break;
	case 0x19:
		if (!m->read_pending) {
			put_le32(out, (uint32_t)ACK_EINVAL);
		} else {
			put_le32(out, (uint32_t)m->rack);
			put_le32(out + 4, m->rcrc);
			m->ack = m->rack;
			m->read_queued = m->rack >= 0 && m->rlen;
			m->read_pending = 0;
		}
		n = 8;
		break;
	case 0x26: {
		uint32_t id = m->use_sfc_nor ? (uint32_t)m->jedec : 0;

		out[0] = (uint8_t)id;
		out[1] = (uint8_t)(id >> 8);
		out[2] = (uint8_t)(id >> 16);
		n = 3;
		break;
	}
	default:
		return USB_SIM_STALL;
	}
	n = n < s->wLength ? n : s->wLength;
	memcpy(data, out, n);
	*actual = n;
	return USB_SIM_OK;
}

static enum usb_sim_status burner_out(struct ing *m, const struct usb_sim_setup *s,
				      const uint8_t *data, uint64_t *ns)
{
	int is_cmd = s->bRequest >= 0x12 && s->bRequest <= 0x15 ? 1 : s->bRequest == 0x18;

	if (is_cmd && s->wLength != CMD_LEN)
		return USB_SIM_STALL;
	switch (s->bRequest) {
	case 0x01:
	case 0x02:
		m->full_size = (uint32_t)s->wValue << 16 | s->wIndex;
		return USB_SIM_OK;
	case 0x11:
		if (!m->configured) {
			hang(m, "INIT before any config");
			return USB_SIM_OK;
		}
		if (!m->inited)
			init_medium(m, ns);
		else
			m->ack = 0;
		return USB_SIM_OK;
	case 0x12:
		write_cmd(m, data);
		return USB_SIM_OK;
	case 0x13:
		read_cmd(m, data);
		return USB_SIM_OK;
	case 0x14: {
		uint32_t len = le32(data);

		m->configured = 1;
		if (len > MAX_CFG)
			m->ack = ACK_EIO;
		else if (expect_bulk(m, X_CFG, len))
			m->ack = ACK_EIO;
		return USB_SIM_OK;
	}
	case 0x15:
	case 0x18:
		m->ack = 0;
		return USB_SIM_OK;
	case 0x16:
	case 0x17:
		reboot(m, s->bRequest == 0x17);
		return USB_SIM_OK;
	default:
		return USB_SIM_STALL;
	}
}

static enum usb_sim_status burner_bulk_out(struct ing *m, uint8_t ep, const uint8_t *p,
					   size_t n, size_t *taken, uint64_t *done)
{
	size_t room = m->buf_len - m->buf_got, k = n < room ? n : room;

	if (ep != EP_OUT || m->expect == X_NONE)
		return USB_SIM_STALL;
	if (m->expect == X_WRITE && m->disconnect_at && m->write_bytes < m->disconnect_at &&
	    m->write_bytes + k >= m->disconnect_at) {
		size_t part = (size_t)(m->disconnect_at - m->write_bytes);

		m->write_bytes += part;
		*taken = part;
		m->stats.disconnects++;
		m->expect = X_NONE;
		detach(m, busy_ns(m, m->reset_ms * MS), "disconnect fault");
		return USB_SIM_GONE;
	}
	memcpy(m->buf + m->buf_got, p, k);
	m->buf_got += k;
	*taken = k;
	*done = m->now;
	if (m->expect == X_WRITE)
		m->write_bytes += k;
	if (m->buf_got < m->buf_len)
		return USB_SIM_OK;
	if (m->expect == X_CFG) {
		m->expect = X_NONE;
		m->ack = parse_cfg(m, m->buf, m->buf_len);
		return USB_SIM_OK;
	}
	if (m->bad_crc_at && m->nwrites == m->bad_crc_at) {
		m->stats.injected_bad_crcs++;
		flip_bit(m, m->buf, m->buf_len);
	}
	finish_write(m);
	/* More than the command announced waits, NAKed, for ever. */
	if (k < n)
		*done = NEVER;
	return USB_SIM_OK;
}

static enum usb_sim_status burner_bulk_in(struct ing *m, uint8_t ep, uint8_t *buf, size_t cap,
					  size_t *actual, uint64_t *ready)
{
	size_t k;

	if (ep != EP_IN)
		return USB_SIM_STALL;
	if (!m->read_queued) {
		*ready = NEVER;
		return USB_SIM_OK;
	}
	k = m->rlen - m->rpos < cap ? m->rlen - m->rpos : cap;
	memcpy(buf, m->rbuf + m->rpos, k);
	m->rpos += k;
	*actual = k;
	if (m->rpos == m->rlen) {
		m->read_queued = 0;
		m->ack = 0;
	}
	return USB_SIM_OK;
}

/* ------------------------------------------------------------ transfers */

/* A seeded fault on this control transfer: STALL, TIMEOUT or OK (none). */
static enum usb_sim_status control_fault(struct ing *m)
{
	uint64_t n = m->stats.controls;

	if ((m->stall_at && n == m->stall_at) || chance(m, m->stall_ppm)) {
		m->stats.injected_stalls++;
		sim_trace(m->trace, "%llu fault: stall control %llu", (unsigned long long)m->now,
			  (unsigned long long)n);
		return USB_SIM_STALL;
	}
	if ((m->timeout_at && n == m->timeout_at) || chance(m, m->timeout_ppm)) {
		m->stats.injected_timeouts++;
		sim_trace(m->trace, "%llu fault: control %llu unanswered",
			  (unsigned long long)m->now, (unsigned long long)n);
		return USB_SIM_TIMEOUT;
	}
	return USB_SIM_OK;
}

static enum usb_sim_status ing_control(void *dev, uint64_t now, const struct usb_sim_setup *s,
				       uint8_t *data, size_t *actual, uint64_t *done)
{
	struct ing *m = dev;
	enum usb_sim_status st;
	uint64_t ns = 0;

	reach(m, now);
	if (m->stage == S_GONE)
		return USB_SIM_GONE;
	/* Busy or booting: NAK until then (the captures' held GET_ACK, GET_CRC, CPU info). */
	reach(m, max_u64(m->busy_until, m->boot_at == NEVER ? 0 : m->boot_at));
	if (m->stage == S_HUNG)
		return USB_SIM_TIMEOUT;
	m->stats.controls++;
	st = control_fault(m);
	if (st != USB_SIM_OK) {
		if (st == USB_SIM_STALL)
			m->stats.stalls++;
		return st;
	}
	*actual = 0;
	if ((s->bmRequestType & 0x60) == 0x00)
		st = usb_sim_standard_request(s, data, actual);
	else if ((s->bmRequestType & 0x60) != 0x40)
		st = USB_SIM_STALL;
	else if (m->stage != S_BURNER)
		st = rom_request(m, s, data, actual);
	else if (s->bmRequestType & 0x80)
		st = burner_in(m, s, data, actual);
	else
		st = burner_out(m, s, data, &ns);
	if (st == USB_SIM_OK && !(s->bmRequestType & 0x80))
		*actual = s->wLength;  /* an OUT stage the device took whole */
	if (st == USB_SIM_STALL)
		m->stats.stalls++;
	if (ns)
		m->busy_until = m->now + ns;
	*done = m->now;
	return st;
}

static enum usb_sim_status ing_bulk_out(void *dev, uint64_t now, uint8_t ep, const uint8_t *p,
					size_t n, size_t *taken, uint64_t *done)
{
	struct ing *m = dev;

	reach(m, now);
	*taken = 0;
	*done = now;
	if (m->stage == S_GONE)
		return USB_SIM_GONE;
	if (m->stage == S_HUNG || m->boot_at != NEVER) {
		*done = m->boot_at;
		return USB_SIM_OK;
	}
	if (m->busy_until > now) {
		*done = m->busy_until;
		return USB_SIM_OK;
	}
	m->stats.bulk_out_bytes += n;
	if (m->stage == S_BURNER)
		return burner_bulk_out(m, ep, p, n, taken, done);
	return rom_bulk_out(m, ep, p, n, taken, done);
}

static enum usb_sim_status ing_bulk_in(void *dev, uint64_t now, uint8_t ep, uint8_t *buf,
				       size_t cap, size_t *actual, uint64_t *ready)
{
	struct ing *m = dev;
	enum usb_sim_status st;

	reach(m, now);
	*actual = 0;
	*ready = NEVER;
	if (m->stage == S_GONE)
		return USB_SIM_GONE;
	if (m->stage != S_BURNER)
		return ep == EP_IN ? USB_SIM_OK : USB_SIM_STALL;
	st = burner_bulk_in(m, ep, buf, cap, actual, ready);
	m->stats.bulk_in_bytes += *actual;
	return st;
}

/* ------------------------------------------------------------ lifecycle */

#define STAT(f) SIM_STAT(struct ing_stats, f)
static const struct sim_stat stat_fields[] = {
	STAT(controls), STAT(stalls), STAT(bulk_out_bytes), STAT(bulk_in_bytes), STAT(rom_boots),
	STAT(spl_boots), STAT(stage2_boots), STAT(hangs), STAT(configs), STAT(inits),
	STAT(writes), STAT(bytes_written), STAT(reads), STAT(bytes_read), STAT(erased_bytes),
	STAT(chip_erases), STAT(crc_errors), STAT(write_back_errors), STAT(reboots),
	STAT(disconnects), STAT(injected_stalls), STAT(injected_timeouts),
	STAT(injected_bad_crcs), STAT(injected_bad_reads), STAT(elapsed_ns),
};
#undef STAT

static void free_ing(struct ing *m)
{
	if (!m)
		return;
	if (m->trace)
		fclose(m->trace);
	free(m->flash);
	free(m->mmc);
	free(m->buf);
	free(m->rbuf);
	free(m->image_path);
	free(m->save_path);
	free(m->stats_path);
	free(m);
}

static int fill_flash(const void *ctx, int fd)
{
	const struct ing *m = ctx;

	return sim_write_full(fd, m->flash, m->flash_size);
}

static int ing_finish(void *dev, char *err, size_t errlen)
{
	struct ing *m = dev;
	char later[256] = "";
	int rc = 0;

	if (m->io_failed) {
		sim_set_err(err, errlen, "%s sim: out of memory while running", m->chip->name);
		rc = -1;
	}
	if (m->save_path && sim_write_file(m->chip->name, "save", m->save_path, fill_flash, m,
					   rc ? later : err, rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->stats_path &&
	    sim_write_stats(m->chip->name, m->stats_path, &m->stats, stat_fields,
			    sizeof(stat_fields) / sizeof(stat_fields[0]), rc ? later : err,
			    rc ? sizeof(later) : errlen))
		rc = -1;
	if (m->trace && fclose(m->trace) && !rc) {
		sim_set_err(err, errlen, "%s sim: trace file: write failed", m->chip->name);
		rc = -1;
	}
	m->trace = NULL;
	free_ing(m);
	return rc;
}

/* -------------------------------------------------------------- options */

static int num(const struct ing *m, const char *key, const char *val, uint64_t min,
	       uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (ub_parse_u64(val, &v) || v < min || v > max) {
		sim_set_err(err, errlen, "%s sim: %s=%s: want a number from %llu to %llu",
			    m->chip->name, key, val, (unsigned long long)min,
			    (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

#define NUM_OPT(fn, field, lo, hi) \
	static int fn(void *dev, const char *k, const char *v, char *e, size_t el) \
	{ \
		struct ing *m = dev; \
		return num(m, k, v, lo, hi, &m->field, e, el); \
	}

NUM_OPT(opt_flash, flash_size, 64 * 1024, 256ull << 20)
NUM_OPT(opt_mmc, mmc_size, 64 * 1024, 1ull << 30)
NUM_OPT(opt_jedec, jedec, 0, 0xFFFFFF)
NUM_OPT(opt_seed, seed, 0, UINT64_MAX)
NUM_OPT(opt_rom_ns, rom_ns, 0, 1000000)
NUM_OPT(opt_spl_ms, spl_ms, 0, 600000)
NUM_OPT(opt_stage2_ms, stage2_ms, 0, 600000)
NUM_OPT(opt_init_ms, init_ms, 0, 600000)
NUM_OPT(opt_read_ns, read_ns, 0, 1000000)
NUM_OPT(opt_chip_erase_ms, chip_erase_ms, 0, 3600000)
NUM_OPT(opt_erase_32k_ms, erase_32k_ms, 0, 600000)
NUM_OPT(opt_erase_64k_ms, erase_64k_ms, 0, 600000)
NUM_OPT(opt_page_us, page_us, 0, 1000000)
NUM_OPT(opt_mmc_ns, mmc_ns, 0, 1000000)
NUM_OPT(opt_reset_ms, reset_ms, 0, 600000)
NUM_OPT(opt_d2i_max, d2i_max, 1, 0x100000)
NUM_OPT(opt_stall, stall_at, 1, UINT64_MAX)
NUM_OPT(opt_timeout, timeout_at, 1, UINT64_MAX)
NUM_OPT(opt_bad_crc, bad_crc_at, 1, UINT64_MAX)
NUM_OPT(opt_bad_read, bad_read_at, 1, UINT64_MAX)
NUM_OPT(opt_disconnect, disconnect_at, 1, UINT64_MAX)
NUM_OPT(opt_stall_ppm, stall_ppm, 0, 1000000)
NUM_OPT(opt_timeout_ppm, timeout_ppm, 0, 1000000)

static int opt_layout(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ing *m = dev;

	if (strcmp(v, "64") && strcmp(v, "32")) {
		sim_set_err(e, el, "%s sim: %s=%s: want 64 or 32", m->chip->name, k, v);
		return -1;
	}
	m->layout32 = strcmp(v, "32") == 0;
	return 0;
}

static int opt_stage(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ing *m = dev;

	if (strcmp(v, "rom") && strcmp(v, "burner")) {
		sim_set_err(e, el, "%s sim: %s=%s: want rom or burner", m->chip->name, k, v);
		return -1;
	}
	m->start_burner = strcmp(v, "burner") == 0;
	return 0;
}

static int opt_image(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ing *m = dev;

	return sim_set_path(&m->image_path, m->chip->name, k, v, e, el);
}

static int opt_save(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ing *m = dev;

	return sim_set_path(&m->save_path, m->chip->name, k, v, e, el);
}

static int opt_stats(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ing *m = dev;

	return sim_set_path(&m->stats_path, m->chip->name, k, v, e, el);
}

static int opt_trace(void *dev, const char *k, const char *v, char *e, size_t el)
{
	struct ing *m = dev;

	return sim_open_log(&m->trace, m->chip->name, k, v, e, el);
}

static const struct sim_option option_defs[] = {
	{ "flash", 1, opt_flash }, { "mmc", 1, opt_mmc }, { "jedec", 1, opt_jedec },
	{ "layout", 1, opt_layout }, { "stage", 1, opt_stage },
	{ "rom-ns", 1, opt_rom_ns }, { "spl-ms", 1, opt_spl_ms },
	{ "stage2-ms", 1, opt_stage2_ms }, { "init-ms", 1, opt_init_ms },
	{ "read-ns", 1, opt_read_ns }, { "chip-erase-ms", 1, opt_chip_erase_ms },
	{ "erase-32k-ms", 1, opt_erase_32k_ms }, { "erase-64k-ms", 1, opt_erase_64k_ms },
	{ "page-us", 1, opt_page_us }, { "mmc-ns", 1, opt_mmc_ns },
	{ "reset-ms", 1, opt_reset_ms }, { "d2i-max", 1, opt_d2i_max },
	{ "stall", 1, opt_stall }, { "timeout", 1, opt_timeout }, { "bad-crc", 1, opt_bad_crc },
	{ "bad-read", 1, opt_bad_read }, { "disconnect", 1, opt_disconnect },
	{ "stall-ppm", 1, opt_stall_ppm }, { "timeout-ppm", 1, opt_timeout_ppm },
	{ "image", 1, opt_image }, { "save", 1, opt_save }, { "trace", 1, opt_trace },
	{ "stats", 1, opt_stats }, { "seed", 1, opt_seed },
};

static void defaults(struct ing *m, const struct chip *c, int pace)
{
	m->chip = c;
	m->pace = pace;
	m->flash_size = 16u << 20;
	m->mmc_size = 32u << 20;
	m->jedec = c->jedec;
	m->seed = 1;
	m->rom_ns = c->rom_ns;
	m->spl_ms = 300;
	m->stage2_ms = c->stage2_ms;
	m->init_ms = c->init_ms;
	m->read_ns = 185;
	m->chip_erase_ms = c->chip_erase_ms;
	m->erase_32k_ms = 120;
	m->erase_64k_ms = 150;
	m->page_us = 400;
	m->mmc_ns = 50;
	m->reset_ms = 1000;
	m->d2i_max = c->d2i_max;
	m->boot_at = m->back_at = NEVER;
	m->medium = -1;
}

static int read_image(struct ing *m, char *err, size_t errlen)
{
	int fd = open(m->image_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > m->flash_size) {
		sim_set_err(err, errlen, "%s sim: image=%s: %s", m->chip->name, m->image_path,
			    fd < 0 ? strerror(errno) : "want a file no larger than the flash");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, m->flash + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sim_set_err(err, errlen, "%s sim: image=%s: short read", m->chip->name,
				    m->image_path);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

static void fill_random(uint64_t seed, uint8_t *p, size_t n)
{
	uint64_t rng = seed;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = sim_random(&rng);

		for (size_t k = 0; k < 8 && i + k < n; k++)
			p[i + k] = (uint8_t)(r >> (8 * k));
	}
}

static void *ing_create(const struct chip *c, const char *opts, int pace, char *err,
			size_t errlen)
{
	struct ing *m = calloc(1, sizeof(*m));

	if (!m) {
		sim_set_err(err, errlen, "%s sim: out of memory", c->name);
		return NULL;
	}
	defaults(m, c, pace);
	crc_init(m->crc_table);
	if (sim_parse_options(c->name, "sim/sim_ingenic.h", opts ? opts : "", option_defs,
			      sizeof(option_defs) / sizeof(option_defs[0]), m, err, errlen))
		goto fail;
	m->rng = m->seed ^ 0x696e67656e6963ull;   /* "ingenic" */
	m->flash = malloc(m->flash_size);
	if (!m->flash) {
		sim_set_err(err, errlen, "%s sim: out of memory", c->name);
		goto fail;
	}
	/* Old firmware: pseudo-random from seed, so what an erase leaves shows. */
	fill_random(m->seed ^ 0x666c617368ull, m->flash, m->flash_size);
	if (m->image_path && read_image(m, err, errlen))
		goto fail;
	reset_to_rom(m);
	if (m->start_burner) {
		m->stage = S_BURNER;
		m->stats.stage2_boots++;
	}
	return m;
fail:
	free_ing(m);
	return NULL;
}

#define MODEL(var, idx) \
	static void *create_##var(const char *opts, int pace, char *err, size_t errlen) \
	{ \
		return ing_create(&chips[idx], opts, pace, err, errlen); \
	} \
	const struct usb_sim_model usb_sim_model_##var = { \
		.name = #var, \
		.create = create_##var, \
		.describe = ing_describe, \
		.control = ing_control, \
		.bulk_out = ing_bulk_out, \
		.bulk_in = ing_bulk_in, \
		.next_event = ing_next_event, \
		.advance = ing_advance, \
		.finish = ing_finish, \
	};

MODEL(t20, 0)
MODEL(t31, 1)
MODEL(t41, 2)
