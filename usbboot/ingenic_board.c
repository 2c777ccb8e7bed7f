/* SPDX-License-Identifier: MIT */
#include "ingenic_board.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* ---- little-endian fields ---------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static void copy_name(char dst[32], const uint8_t *src)
{
	memcpy(dst, src, 31);
	dst[31] = '\0';
}

/* ---- spiflashinfo.cfg --------------------------------------------------- */

/*
 * A [norkeyN] value is one quoted comma list (notes §5.1): name, JEDEC,
 * size, page, erase size, chip-erase cmd, quad mode, addr mode, block-erase
 * ms, tCHSH, tSLCH, tSHSL_RD, tSHSL_WR, 7 x (cmd, dummy, addr, mode), then
 * 3 x (cmd, shift, mask, val, len, dummy); -1 disables.
 */
#define NOR_FIELDS (13 + 4 * INGENIC_NOR_NCMDS + 6 * INGENIC_NOR_NSTATUS)

static int parse_signed(const char *s, long long *out)
{
	uint64_t v;

	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	if (ub_parse_u64(s, &v) < 0 || v > 0xffffffffu)
		return -1;
	*out = (long long)v;
	return 0;
}

static void fill_nor_params(struct ingenic_nor_params *p, const long long *v)
{
	size_t i, k = 13;

	p->jedec = (uint32_t)v[1];
	p->chip_size = (uint32_t)v[2];
	p->page_size = (uint32_t)v[3];
	p->erase_size = (uint32_t)v[4];
	p->chip_erase_cmd = (uint8_t)v[5];
	p->quad_mode = (uint16_t)v[6];
	p->addr_mode = (uint16_t)v[7];
	p->block_erase_ms = (uint32_t)v[8];
	p->tchsh = (uint32_t)v[9];
	p->tslch = (uint32_t)v[10];
	p->tshsl_rd = (uint32_t)v[11];
	p->tshsl_wr = (uint32_t)v[12];
	for (i = 0; i < INGENIC_NOR_NCMDS; i++, k += 4) {
		p->cmd[i].cmd = (uint16_t)v[k];
		p->cmd[i].dummy_bits = (uint8_t)v[k + 1];
		p->cmd[i].addr_bytes = (uint8_t)v[k + 2];
		p->cmd[i].mode = (uint8_t)v[k + 3];
	}
	for (i = 0; i < INGENIC_NOR_NSTATUS; i++, k += 6) {
		p->status[i].cmd = (uint16_t)v[k];
		p->status[i].bit_shift = (uint8_t)v[k + 1];
		p->status[i].mask = (uint8_t)v[k + 2];
		p->status[i].val = (uint8_t)v[k + 3];
		p->status[i].len = (uint8_t)v[k + 4];
		p->status[i].dummy = (uint8_t)v[k + 5];
	}
}

/* value="..." of one entry; 0, or -1 with the reason in why. */
static int parse_nor_value(char *text, struct ingenic_nor_params *p, const char **why)
{
	long long v[NOR_FIELDS];
	char *end = strrchr(text, '"'), *field, *save = NULL;
	size_t n = 0;

	if (*text != '"' || end == text) {
		*why = "the value is not in double quotes";
		return -1;
	}
	*end = '\0';
	for (field = strtok_r(text + 1, ",", &save); field; field = strtok_r(NULL, ",", &save)) {
		if (n == NOR_FIELDS) {
			*why = "more than 59 fields";
			return -1;
		}
		if (n == 0) {
			if (strlen(field) > 31) {
				*why = "the name is longer than 31 characters";
				return -1;
			}
			snprintf(p->name, sizeof(p->name), "%s", field);
			v[n++] = 0;
		} else if (parse_signed(field, &v[n++]) < 0) {
			*why = "a field is not a number";
			return -1;
		}
	}
	if (n != NOR_FIELDS) {
		*why = "fewer than 59 fields";
		return -1;
	}
	fill_nor_params(p, v);
	return 0;
}

static int db_add(struct ingenic_nor_db *db, const struct ingenic_nor_params *p)
{
	struct ingenic_nor_params *grown = realloc(db->chips, (db->count + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	db->chips = grown;
	db->chips[db->count++] = *p;
	return 0;
}

static int db_line(struct ingenic_nor_db *db, char *line, const char *path, int lineno,
		   struct ub_err *err)
{
	struct ingenic_nor_params p;
	const char *why = NULL;

	memset(&p, 0, sizeof(p));
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "value=", 6) != 0)
		return 0;  /* section headers, count=, blank lines */
	if (parse_nor_value(line + 6, &p, &why) < 0)
		return ub_fail(err, UB_EUSAGE, "%s:%d: %s", path, lineno, why);
	if (db_add(db, &p) < 0)
		return ub_fail_errno(err, UB_EFAIL, ENOMEM, "%s", path);
	return 0;
}

int ingenic_nor_db_load(const char *path, struct ingenic_nor_db *db, struct ub_err *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;

	db->chips = NULL;
	db->count = 0;
	if (!f)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot read '%s'", path);
	while (rc == 0 && getline(&line, &cap, f) >= 0)
		rc = db_line(db, line, path, ++lineno, err);
	free(line);
	fclose(f);
	if (rc == 0 && db->count == 0)
		rc = ub_fail(err, UB_EUSAGE, "%s: no value= entries", path);
	if (rc < 0)
		ingenic_nor_db_free(db);
	return rc;
}

void ingenic_nor_db_free(struct ingenic_nor_db *db)
{
	free(db->chips);
	db->chips = NULL;
	db->count = 0;
}

const struct ingenic_nor_params *ingenic_nor_db_find(const struct ingenic_nor_db *db,
						     uint32_t jedec, const char *name)
{
	size_t i = db->count;

	while (i-- > 0)
		if (db->chips[i].jedec == jedec && (!name || !*name || !strcmp(db->chips[i].name, name)))
			return &db->chips[i];
	return NULL;
}

/* ---- generating the blobs ----------------------------------------------- */

#define TLV_HEAD 8
#define POLICY_BODY (4 * (INGENIC_POLICY_FLAGS + INGENIC_POLICY_OFFSETS))  /* 164 */
#define DEBUG_BODY 20
#define DDR_BODY 4
#define NOR_MAGIC "nor\0"
#define NOR_INFO_LEN 140        /* spi_nor_info after magic and version */
#define NOR_PART_LEN 48
#define NOR_MINI_LEN 100        /* mini_spi_nor_info */
#define NOR_BLOCK_LEN (8 + NOR_INFO_LEN + INGENIC_NOR_MAX_PARTS * NOR_PART_LEN + 12 + NOR_MINI_LEN)

static const char *const tlv_magic[] = {
	[INGENIC_TLV_DDR] = "\0RDD", [INGENIC_TLV_DEBUG] = "\0GBD", [INGENIC_TLV_POLICY] = "ILOP",
	[INGENIC_TLV_SFC] = "\0CFS", [INGENIC_TLV_MMC] = "\0CMM",
};
static const char *const tlv_name[] = {
	[INGENIC_TLV_DDR] = "ddr", [INGENIC_TLV_DEBUG] = "debug", [INGENIC_TLV_POLICY] = "policy",
	[INGENIC_TLV_SFC] = "sfc", [INGENIC_TLV_MMC] = "mmc",
};
#define NTLV_KINDS (sizeof(tlv_name) / sizeof(tlv_name[0]))

static size_t put_cmd(uint8_t *p, const struct ingenic_nor_cmd *c)
{
	put16(p, c->cmd);
	p[2] = c->dummy_bits;
	p[3] = c->addr_bytes;
	p[4] = c->mode;
	p[5] = 0;
	return 6;
}

static size_t put_status(uint8_t *p, const struct ingenic_nor_status *s)
{
	put16(p, s->cmd);
	p[2] = s->bit_shift;
	p[3] = s->mask;
	p[4] = s->val;
	p[5] = s->len;
	p[6] = s->dummy;
	p[7] = 0;
	return 8;
}

static size_t put_statuses(uint8_t *p, const struct ingenic_nor_params *n)
{
	size_t i, at = 0;

	for (i = 0; i < INGENIC_NOR_NSTATUS; i++)
		at += put_status(p + at, &n->status[i]);
	put16(p + at, n->quad_mode);
	put16(p + at + 2, n->addr_mode);
	return at + 4;
}

/* spi_nor_info (notes §3.3 table, from 0xF4 in prj008's cfg2) */
static void put_nor_info(uint8_t *p, const struct ingenic_nor_params *n)
{
	size_t i, at = 36;

	memcpy(p, n->name, 32);
	put32(p + 32, n->jedec);
	for (i = 0; i < INGENIC_NOR_NCMDS; i++)
		at += put_cmd(p + at, &n->cmd[i]);
	at += put_statuses(p + at, n) + 2;
	put32(p + at, n->tchsh);
	put32(p + at + 4, n->tslch);
	put32(p + at + 8, n->tshsl_rd);
	put32(p + at + 12, n->tshsl_wr);
	put32(p + at + 16, n->chip_size);
	put32(p + at + 20, n->page_size);
	put32(p + at + 24, n->erase_size);
	p[at + 28] = n->chip_erase_cmd;
}

/* mini_spi_nor_info: the SPL's copy, a subset of the same entry */
static void put_nor_mini(uint8_t *p, const struct ingenic_nor_params *n)
{
	static const int cmds[] = { INGENIC_NOR_READ, INGENIC_NOR_QUAD_READ, INGENIC_NOR_WREN,
				    INGENIC_NOR_EN4B };
	size_t i, at = 36;

	memcpy(p, n->name, 32);
	put32(p + 32, n->jedec);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		at += put_cmd(p + at, &n->cmd[cmds[i]]);
	at += put_statuses(p + at, n);
	put32(p + at, n->chip_size);
	put32(p + at + 4, n->page_size);
	put32(p + at + 8, n->erase_size);
}

static void put_part(uint8_t *p, const struct ingenic_nor_part *part)
{
	memcpy(p, part->name, 32);
	put32(p + 32, part->size);
	put32(p + 36, part->offset);
	put32(p + 40, part->access);
	put32(p + 44, part->mode);
}

static size_t put_sfc_body(const struct ingenic_board *b, uint8_t *p)
{
	size_t i, at = 0;
	uint8_t *nor;

	put32(p, b->sfc.download_params);
	put32(p + 4, b->sfc.quad_mode);
	put32(p + 8, b->sfc.erase_block_size);
	put32(p + 12, b->sfc.spi_erase);
	for (at = 16, i = 0; i < b->sfc.ntail; i++, at += 4)
		put32(p + at, b->sfc.tail[i]);
	nor = p + at;
	memset(nor, 0, NOR_BLOCK_LEN);
	memcpy(nor, NOR_MAGIC, 4);
	put32(nor + 4, b->sfc.version);
	put_nor_info(nor + 8, &b->sfc.nor);
	for (i = 0; i < b->sfc.nparts; i++)
		put_part(nor + 8 + NOR_INFO_LEN + i * NOR_PART_LEN, &b->sfc.part[i]);
	nor += 8 + NOR_INFO_LEN + INGENIC_NOR_MAX_PARTS * NOR_PART_LEN;
	put32(nor, (uint32_t)b->sfc.nparts);
	put32(nor + 4, b->sfc.fs_erase_size);
	nor[8] = b->sfc.uk_quad;
	put_nor_mini(nor + 12, &b->sfc.nor);
	return at + NOR_BLOCK_LEN;
}

static size_t put_policy_body(const struct ingenic_board *b, uint8_t *p)
{
	size_t i;

	for (i = 0; i < INGENIC_POLICY_FLAGS; i++)
		put32(p + 4 * i, b->policy[i]);
	for (i = 0; i < INGENIC_POLICY_OFFSETS; i++)
		put32(p + 4 * (INGENIC_POLICY_FLAGS + i), b->policy_offsets[i]);
	return POLICY_BODY;
}

static size_t put_body(const struct ingenic_board *b, enum ingenic_tlv kind, uint8_t *p)
{
	size_t i;

	switch (kind) {
	case INGENIC_TLV_DDR:
		put32(p, b->ddr_type);
		return DDR_BODY;
	case INGENIC_TLV_DEBUG:
		for (i = 0; i < 5; i++)
			put32(p + 4 * i, b->debug[i]);
		return DEBUG_BODY;
	case INGENIC_TLV_POLICY:
		return put_policy_body(b, p);
	case INGENIC_TLV_SFC:
		return put_sfc_body(b, p);
	case INGENIC_TLV_MMC:
		memset(p, 0, b->mmc.body_size);
		put32(p, b->mmc.open_card);
		put32(p + 4, b->mmc.erase);
		put32(p + 8, b->mmc.range_count);
		return b->mmc.body_size;
	}
	return 0;
}

static size_t put_tlv(const struct ingenic_board *b, enum ingenic_tlv kind, uint8_t *p)
{
	size_t len = put_body(b, kind, p + TLV_HEAD);

	memcpy(p, tlv_magic[kind], 4);
	put32(p + 4, (uint32_t)len);
	return TLV_HEAD + len;
}

size_t ingenic_board_cfg1(const struct ingenic_board *b, uint8_t *buf)
{
	return put_tlv(b, INGENIC_TLV_POLICY, buf);
}

size_t ingenic_board_cfg2(const struct ingenic_board *b, uint8_t *buf)
{
	size_t i, at = 0;

	for (i = 0; i < b->ntlv; i++)
		at += put_tlv(b, b->cfg2[i], buf + at);
	return at;
}

void ingenic_board_ep0(uint32_t len, uint8_t out[INGENIC_EP0_LEN])
{
	memset(out, 0, INGENIC_EP0_LEN);
	put32(out, len);
}

void ingenic_board_set_erase(struct ingenic_board *b, enum ingenic_erase mode)
{
	size_t i;

	b->sfc.spi_erase = mode == INGENIC_ERASE_CHIP;
	if (mode == INGENIC_ERASE_CHIP)
		return;
	for (i = 0; i < b->sfc.nparts; i++)
		b->sfc.part[i].mode = mode == INGENIC_ERASE_RANGE ? INGENIC_PART_MTD_D : INGENIC_PART_MTD;
}

static void board_defaults(struct ingenic_board *b)
{
	memset(b, 0, sizeof(*b));
	b->layout = INGENIC_LAYOUT_64;
	b->transfer_size = 0x10000;
	b->read_size = 0x100000;
}

/* ---- reading the captured blobs ------------------------------------------ */

struct blob {
	char path[4096];
	const char *name;       /* "cfg2_bulk.bin", for messages */
	uint8_t data[INGENIC_BOARD_CFG_MAX];
	size_t len;
};

static int read_blob(const char *dir, const char *name, struct blob *bl, struct ub_err *err)
{
	FILE *f;

	snprintf(bl->path, sizeof(bl->path), "%s/%s", dir, name);
	bl->name = name;
	f = fopen(bl->path, "rb");
	if (!f)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot read '%s'", bl->path);
	bl->len = fread(bl->data, 1, sizeof(bl->data), f);
	if (ferror(f) || !feof(f) || fgetc(f) != EOF) {
		fclose(f);
		return ub_fail(err, UB_EUSAGE, "%s: unreadable, or larger than %d bytes", bl->path,
			       INGENIC_BOARD_CFG_MAX);
	}
	fclose(f);
	return 0;
}

static int tlv_kind(const uint8_t *magic)
{
	size_t k;

	for (k = 0; k < NTLV_KINDS; k++)
		if (memcmp(magic, tlv_magic[k], 4) == 0)
			return (int)k;
	return -1;
}

static void take_policy(struct ingenic_board *b, const uint8_t *p)
{
	size_t i;

	for (i = 0; i < INGENIC_POLICY_FLAGS; i++)
		b->policy[i] = get32(p + 4 * i);
	for (i = 0; i < INGENIC_POLICY_OFFSETS; i++)
		b->policy_offsets[i] = get32(p + 4 * (INGENIC_POLICY_FLAGS + i));
}

static int take_sfc(struct ingenic_board *b, const struct blob *bl, const uint8_t *p, size_t len,
		    const struct ingenic_nor_db *db, struct ub_err *err)
{
	size_t header = len - NOR_BLOCK_LEN, i;
	const uint8_t *nor = p + header, *parts = nor + 8 + NOR_INFO_LEN;
	const uint8_t *after = parts + INGENIC_NOR_MAX_PARTS * NOR_PART_LEN;
	const struct ingenic_nor_params *entry;
	char name[32];

	if (len < NOR_BLOCK_LEN + 16 || header % 4 || header > 16 + 4 * INGENIC_SFC_MAX_TAIL ||
	    memcmp(nor, NOR_MAGIC, 4) != 0)
		return ub_fail(err, UB_EUSAGE, "%s: an SFC body of %zu bytes has no \"nor\" block "
			       "where this burner layout puts it", bl->path, len);
	b->sfc.download_params = get32(p);
	b->sfc.quad_mode = get32(p + 4);
	b->sfc.erase_block_size = get32(p + 8);
	b->sfc.spi_erase = get32(p + 12);
	b->sfc.ntail = (header - 16) / 4;
	for (i = 0; i < b->sfc.ntail; i++)
		b->sfc.tail[i] = get32(p + 16 + 4 * i);
	b->sfc.version = get32(nor + 4);
	copy_name(name, nor + 8);
	entry = ingenic_nor_db_find(db, get32(nor + 40), name);
	if (!entry)
		return ub_fail(err, UB_EUSAGE, "%s: flash %s, JEDEC 0x%06x, is not in spiflashinfo.cfg",
			       bl->path, name, (unsigned)get32(nor + 40));
	b->sfc.nor = *entry;
	b->sfc.nparts = get32(after);
	if (b->sfc.nparts > INGENIC_NOR_MAX_PARTS)
		return ub_fail(err, UB_EUSAGE, "%s: %zu partitions; the table holds %d", bl->path,
			       b->sfc.nparts, INGENIC_NOR_MAX_PARTS);
	for (i = 0; i < b->sfc.nparts; i++) {
		const uint8_t *e = parts + i * NOR_PART_LEN;

		copy_name(b->sfc.part[i].name, e);
		b->sfc.part[i].size = get32(e + 32);
		b->sfc.part[i].offset = get32(e + 36);
		b->sfc.part[i].access = get32(e + 40);
		b->sfc.part[i].mode = get32(e + 44);
	}
	b->sfc.fs_erase_size = get32(after + 4);
	b->sfc.uk_quad = after[8];
	return 0;
}

static int take_tlv(struct ingenic_board *b, const struct blob *bl, int kind, const uint8_t *p,
		    size_t len, const struct ingenic_nor_db *db, struct ub_err *err)
{
	static const size_t fixed[] = { [INGENIC_TLV_DDR] = DDR_BODY, [INGENIC_TLV_DEBUG] = DEBUG_BODY,
					[INGENIC_TLV_POLICY] = POLICY_BODY };
	size_t i;

	if (kind <= INGENIC_TLV_POLICY && len != fixed[kind])
		return ub_fail(err, UB_EUSAGE, "%s: a %s body of %zu bytes; this layout has %zu",
			       bl->path, tlv_name[kind], len, fixed[kind]);
	switch ((enum ingenic_tlv)kind) {
	case INGENIC_TLV_DDR:
		b->ddr_type = get32(p);
		return 0;
	case INGENIC_TLV_DEBUG:
		for (i = 0; i < 5; i++)
			b->debug[i] = get32(p + 4 * i);
		return 0;
	case INGENIC_TLV_POLICY:
		take_policy(b, p);
		return 0;
	case INGENIC_TLV_SFC:
		return take_sfc(b, bl, p, len, db, err);
	case INGENIC_TLV_MMC:
		if (len < 12)
			return ub_fail(err, UB_EUSAGE, "%s: an MMC body of %zu bytes", bl->path, len);
		b->mmc.open_card = get32(p);
		b->mmc.erase = get32(p + 4);
		b->mmc.range_count = get32(p + 8);
		b->mmc.body_size = (uint32_t)len;
		return 0;
	}
	return 0;
}

static int take_cfg2(struct ingenic_board *b, const struct blob *bl, const struct ingenic_nor_db *db,
		     struct ub_err *err)
{
	size_t at = 0;

	while (at < bl->len) {
		size_t len;
		int kind;

		if (bl->len - at < TLV_HEAD)
			return ub_fail(err, UB_EUSAGE, "%s: a TLV header cut short at 0x%zx", bl->path, at);
		kind = tlv_kind(bl->data + at);
		len = get32(bl->data + at + 4);
		if (kind < 0)
			return ub_fail(err, UB_EUSAGE, "%s: unknown TLV magic %02x %02x %02x %02x at 0x%zx",
				       bl->path, bl->data[at], bl->data[at + 1], bl->data[at + 2],
				       bl->data[at + 3], at);
		if (len > bl->len - at - TLV_HEAD)
			return ub_fail(err, UB_EUSAGE, "%s: the %s TLV at 0x%zx runs past the end",
				       bl->path, tlv_name[kind], at);
		if (b->ntlv == INGENIC_BOARD_MAX_TLVS)
			return ub_fail(err, UB_EUSAGE, "%s: more than %d TLVs", bl->path,
				       INGENIC_BOARD_MAX_TLVS);
		b->cfg2[b->ntlv++] = (enum ingenic_tlv)kind;
		if (take_tlv(b, bl, kind, bl->data + at + TLV_HEAD, len, db, err) < 0)
			return -1;
		at += TLV_HEAD + len;
	}
	return 0;
}

/* What the struct gives back must be the blob: anything else was not understood. */
static int check_reproduced(const struct blob *bl, const uint8_t *mine, size_t len,
			    struct ub_err *err)
{
	size_t i;

	for (i = 0; i < len && i < bl->len; i++)
		if (mine[i] != bl->data[i])
			break;
	if (i == len && len == bl->len)
		return 0;
	return ub_fail(err, UB_EUSAGE, "%s: byte 0x%zx is not reproduced by the fields read "
		       "(a NOR parameter not as in spiflashinfo.cfg, or an unknown field)",
		       bl->path, i);
}

int ingenic_board_from_blobs(const char *dir, const struct ingenic_nor_db *db,
			     struct ingenic_board *b, struct ub_err *err)
{
	struct blob *bl = malloc(sizeof(*bl));
	uint8_t *mine = malloc(INGENIC_BOARD_CFG_MAX);
	int rc = -1;

	board_defaults(b);
	if (!bl || !mine) {
		rc = ub_fail_errno(err, UB_EFAIL, ENOMEM, "%s", dir);
		goto out;
	}
	if (read_blob(dir, "cfg2_bulk.bin", bl, err) < 0 || take_cfg2(b, bl, db, err) < 0 ||
	    check_reproduced(bl, mine, ingenic_board_cfg2(b, mine), err) < 0)
		goto out;
	if (read_blob(dir, "cfg1_bulk.bin", bl, err) < 0)
		goto out;
	if (bl->len < TLV_HEAD || tlv_kind(bl->data) != INGENIC_TLV_POLICY) {
		rc = ub_fail(err, UB_EUSAGE, "%s: not one POLICY TLV", bl->path);
		goto out;
	}
	rc = check_reproduced(bl, mine, ingenic_board_cfg1(b, mine), err);
out:
	free(bl);
	free(mine);
	return rc;
}

/* ---- the board file ------------------------------------------------------ */

static const char *const policy_names[INGENIC_POLICY_FLAGS] = {
	"nand_mgr", "nand_mtd", "mmc0", "mmc1", "mmc2", "sfc_nor", "sfc_nand", "spi_nand", "spi_nor",
};
static const char *const debug_keys[5] = {
	"log", "transfer_check", "write_back_check", "transfer_size", "stage2_timeout",
};
static const char *const erase_names[] = { "write", "chip" };               /* spi_erase */
static const char *const mode_names[] = { "partition", "ubi", "range" };   /* manager_mode */
static const char *const access_names[] = { "rw", "wo", "ro" };            /* mask_flags */
#define NAMES(a) (sizeof(a) / sizeof(a[0]))

/* A name from the table, or the raw number for a value it does not name. */
static void put_enum(FILE *f, const char *key, uint32_t v, const char *const *names, size_t n)
{
	if (v < n)
		fprintf(f, "%s = %s\n", key, names[v]);
	else
		fprintf(f, "%s = %u\n", key, (unsigned)v);
}

static void export_board(FILE *f, const struct ingenic_board *b)
{
	size_t i;

	fprintf(f, "; unbrick Ingenic board file: the stage-2 configuration.\n"
		"; cfg2 lists the UPDATE_CFG TLVs in the order they are sent; cfg1 is [policy].\n"
		"[board]\ncfg2 =");
	for (i = 0; i < b->ntlv; i++)
		fprintf(f, "%s %s", i ? "," : "", tlv_name[b->cfg2[i]]);
	fprintf(f, "\n; the 40-byte WRITE/READ commands: 64 (u64 offset @8) or 32 (older burners)\n"
		"command_layout = %d\n; bytes per WRITE and per READ\n"
		"transfer_size = 0x%x\nread_size = 0x%x\n", (int)b->layout,
		(unsigned)b->transfer_size, (unsigned)b->read_size);
}

static void export_policy(FILE *f, const struct ingenic_board *b)
{
	size_t i, n = INGENIC_POLICY_OFFSETS;
	const char *sep = " ";

	fprintf(f, "\n; the media the burner may use: nand_mgr nand_mtd mmc0 mmc1 mmc2 sfc_nor\n"
		"; sfc_nand spi_nand spi_nor (a name=N for a value other than 1)\n[policy]\nuse =");
	for (i = 0; i < INGENIC_POLICY_FLAGS; i++) {
		if (b->policy[i] == 1)
			fprintf(f, "%s%s", sep, policy_names[i]);
		else if (b->policy[i])
			fprintf(f, "%s%s=%u", sep, policy_names[i], (unsigned)b->policy[i]);
		if (b->policy[i])
			sep = ", ";
	}
	fputc('\n', f);
	while (n > 0 && b->policy_offsets[n - 1] == 0)
		n--;
	if (n)
		fprintf(f, "offsets =");
	for (i = 0; i < n; i++)
		fprintf(f, "%s0x%x", i ? ", " : " ", (unsigned)b->policy_offsets[i]);
	if (n)
		fputc('\n', f);
}

static void export_debug(FILE *f, const struct ingenic_board *b)
{
	size_t i;

	fprintf(f, "\n; transfer_check: the burner checks each WRITE's CRC; write_back_check:\n"
		"; it reads each write back and compares\n[debug]\n");
	for (i = 0; i < 5; i++)
		fprintf(f, "%s = %u\n", debug_keys[i], (unsigned)b->debug[i]);
}

static void export_sfc(FILE *f, const struct ingenic_board *b)
{
	size_t i;

	fprintf(f, "\n; SFC NOR. erase: chip = INIT erases the whole chip (T20/T31-era burners;\n"
		"; probably not on T41), write = each WRITE erases as its partition says\n"
		"[sfc]\ndownload_params = %u\nquad_mode = %u\nerase_block_size = 0x%x\n",
		(unsigned)b->sfc.download_params, (unsigned)b->sfc.quad_mode,
		(unsigned)b->sfc.erase_block_size);
	put_enum(f, "erase", b->sfc.spi_erase, erase_names, NAMES(erase_names));
	fprintf(f, "; header words after erase, raw: their meaning differs per burner build\n"
		"; (prj008: sfc_frequency, 0, an unknown 0x6800)\nheader_tail =");
	for (i = 0; i < b->sfc.ntail; i++)
		fprintf(f, "%s0x%x", i ? ", " : " ", (unsigned)b->sfc.tail[i]);
	fprintf(f, "\nversion = %u\n; the flash's parameters come from spiflashinfo.cfg\n"
		"flash = %s\njedec = 0x%06x\nfs_erase_size = 0x%x\nuk_quad = %u\n",
		(unsigned)b->sfc.version, b->sfc.nor.name, (unsigned)b->sfc.nor.jedec,
		(unsigned)b->sfc.fs_erase_size, (unsigned)b->sfc.uk_quad);
	if (b->sfc.nparts)
		fprintf(f, "\n; partitions in table order. erase (with erase = write): partition =\n"
			"; the whole partition at its first write, range = just what is written\n");
	for (i = 0; i < b->sfc.nparts; i++) {
		const struct ingenic_nor_part *p = &b->sfc.part[i];

		fprintf(f, "[partition %s]\noffset = 0x%x\nsize = 0x%x\n", p->name,
			(unsigned)p->offset, (unsigned)p->size);
		put_enum(f, "access", p->access, access_names, NAMES(access_names));
		put_enum(f, "erase", p->mode, mode_names, NAMES(mode_names));
	}
}

static void export_tlv(FILE *f, const struct ingenic_board *b, enum ingenic_tlv kind)
{
	switch (kind) {
	case INGENIC_TLV_DDR:
		fprintf(f, "\n[ddr]\ntype = 0x%08x\n", (unsigned)b->ddr_type);
		break;
	case INGENIC_TLV_DEBUG:
		export_debug(f, b);
		break;
	case INGENIC_TLV_POLICY:
		break;  /* always written */
	case INGENIC_TLV_SFC:
		export_sfc(f, b);
		break;
	case INGENIC_TLV_MMC:
		fprintf(f, "\n; eMMC (notes 3.6); erase: 1 all, 2 partitions. The rest of the body\n"
			"; is zeros.\n[mmc]\nopen_card = %u\nerase = %u\nerase_range_count = %u\n"
			"body_size = %u\n", (unsigned)b->mmc.open_card, (unsigned)b->mmc.erase,
			(unsigned)b->mmc.range_count, (unsigned)b->mmc.body_size);
		break;
	}
}

char *ingenic_board_export(const struct ingenic_board *b, struct ub_err *err)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		ub_fail_errno(err, UB_EFAIL, errno, "board file");
		return NULL;
	}
	export_board(f, b);
	export_policy(f, b);
	for (i = 0; i < b->ntlv; i++)
		export_tlv(f, b, b->cfg2[i]);
	if (fclose(f) != 0) {
		free(text);
		ub_fail_errno(err, UB_EFAIL, ENOMEM, "board file");
		return NULL;
	}
	return text;
}

/* ---- parsing a board file ------------------------------------------------ */

#define BOARD_MAX_LINE 200      /* inih's INI_MAX_LINE as Debian builds it */
#define MMC_MAX_BODY 512
#define SEC_BOARD NTLV_KINDS    /* section index after the TLV kinds */
#define NSECTIONS (NTLV_KINDS + 1)

struct board_parse {
	const char *path;
	FILE *f;
	int line, header_line, too_long;
	int section_header;             /* header line of the section being read */
	int error_line;                 /* where the first error was found */
	struct ingenic_board *b;
	struct ub_err *err;
	char section[64];
	int section_line[NSECTIONS];    /* header line of each, 0 if absent */
	int cfg2_line, jedec_line;
	char flash[32];
	struct ingenic_nor_part *part;  /* the [partition NAME] being read */
	int part_line[INGENIC_NOR_MAX_PARTS];
	unsigned part_have[INGENIC_NOR_MAX_PARTS];  /* 1 offset, 2 size */
};

/* inih's reader: fgets that counts lines and notes section headers. */
static char *read_line(char *str, int num, void *stream)
{
	struct board_parse *bp = stream;
	char *s = fgets(str, num, bp->f);
	const char *t = s;

	if (!s)
		return NULL;
	bp->line++;
	if (!strchr(s, '\n') && !feof(bp->f)) {
		bp->too_long = 1;
		return NULL;
	}
	while (*t == ' ' || *t == '\t')
		t++;
	if (*t == '[')
		bp->header_line = bp->line;
	return s;
}

static int bad(struct board_parse *bp, const char *fmt, const char *a, const char *c)
{
	char what[256];

	/* a long value from the file is cut, and shows it */
	if (snprintf(what, sizeof(what), fmt, a, c) >= (int)sizeof(what))
		memcpy(what + sizeof(what) - 4, "...", 4);
	if (!bp->error_line)
		bp->error_line = bp->line;
	return ub_fail(bp->err, UB_EUSAGE, "%s:%d: %s", bp->path, bp->line, what);
}

static int number(struct board_parse *bp, const char *name, const char *value, uint32_t *out)
{
	uint64_t v;

	if (ub_parse_u64(value, &v) < 0 || v > 0xffffffffu)
		return bad(bp, "%s = '%s' is not a 32-bit number", name, value);
	*out = (uint32_t)v;
	return 0;
}

static int enum_value(struct board_parse *bp, const char *name, const char *value,
		      const char *const *names, size_t n, uint32_t *out)
{
	size_t i;
	uint64_t v;

	for (i = 0; i < n; i++)
		if (strcmp(value, names[i]) == 0) {
			*out = (uint32_t)i;
			return 0;
		}
	if (ub_parse_u64(value, &v) == 0 && v <= 0xffffffffu) {
		*out = (uint32_t)v;
		return 0;
	}
	return bad(bp, "%s = '%s': not a known name nor a number", name, value);
}

/* Walk "a, b c" items; fn gets each. */
static int each_item(struct board_parse *bp, const char *name, const char *value,
		     int (*fn)(struct board_parse *, const char *, const char *, size_t),
		     size_t max)
{
	char item[64];
	size_t n = 0;

	for (;;) {
		size_t len;

		value += strspn(value, ", \t");
		if (!*value)
			return 0;
		len = strcspn(value, ", \t");
		if (len >= sizeof(item))
			return bad(bp, "%s: an item longer than 63 characters%s", name, "");
		if (n == max)
			return bad(bp, "%s: more than the items allowed%s", name, "");
		memcpy(item, value, len);
		item[len] = '\0';
		if (fn(bp, name, item, n++) < 0)
			return -1;
		value += len;
	}
}

static int cfg2_item(struct board_parse *bp, const char *name, const char *item, size_t i)
{
	size_t k, j;

	for (k = 0; k < NTLV_KINDS && strcmp(item, tlv_name[k]) != 0; k++)
		;
	if (k == NTLV_KINDS)
		return bad(bp, "%s: unknown TLV '%s' (ddr, debug, policy, sfc, mmc)", name, item);
	for (j = 0; j < i; j++)
		if (bp->b->cfg2[j] == (enum ingenic_tlv)k)
			return bad(bp, "%s: '%s' twice", name, item);
	bp->b->cfg2[i] = (enum ingenic_tlv)k;
	bp->b->ntlv = i + 1;
	return 0;
}

static int use_item(struct board_parse *bp, const char *name, const char *item, size_t i)
{
	char flag[64];
	const char *eq = strchr(item, '=');
	size_t k, len = eq ? (size_t)(eq - item) : strlen(item);

	(void)i;
	snprintf(flag, sizeof(flag), "%.*s", (int)len, item);
	for (k = 0; k < INGENIC_POLICY_FLAGS && strcmp(flag, policy_names[k]) != 0; k++)
		;
	if (k == INGENIC_POLICY_FLAGS)
		return bad(bp, "%s: unknown medium '%s'", name, flag);
	bp->b->policy[k] = 1;
	return eq ? number(bp, name, eq + 1, &bp->b->policy[k]) : 0;
}

static int offset_item(struct board_parse *bp, const char *name, const char *item, size_t i)
{
	return number(bp, name, item, &bp->b->policy_offsets[i]);
}

static int tail_item(struct board_parse *bp, const char *name, const char *item, size_t i)
{
	bp->b->sfc.ntail = i + 1;
	return number(bp, name, item, &bp->b->sfc.tail[i]);
}

static int key_board(struct board_parse *bp, const char *name, const char *value)
{
	struct ingenic_board *b = bp->b;
	uint32_t v = 0;

	if (strcmp(name, "cfg2") == 0) {
		bp->cfg2_line = bp->line;
		b->ntlv = 0;
		return each_item(bp, name, value, cfg2_item, INGENIC_BOARD_MAX_TLVS);
	}
	if (strcmp(name, "command_layout") == 0) {
		if (strcmp(value, "64") && strcmp(value, "32"))
			return bad(bp, "%s = '%s': use 64 or 32", name, value);
		b->layout = value[0] == '6' ? INGENIC_LAYOUT_64 : INGENIC_LAYOUT_32;
		return 0;
	}
	if (strcmp(name, "transfer_size") && strcmp(name, "read_size"))
		return bad(bp, "unknown key '%s' in [%s]", name, "board");
	if (number(bp, name, value, &v) < 0)
		return -1;
	if (v == 0)
		return bad(bp, "%s = %s: must not be zero", name, value);
	*(name[0] == 't' ? &b->transfer_size : &b->read_size) = v;
	return 0;
}

static int key_policy(struct board_parse *bp, const char *name, const char *value)
{
	if (strcmp(name, "use") == 0)
		return each_item(bp, name, value, use_item, INGENIC_POLICY_FLAGS);
	if (strcmp(name, "offsets") == 0)
		return each_item(bp, name, value, offset_item, INGENIC_POLICY_OFFSETS);
	return bad(bp, "unknown key '%s' in [%s]", name, "policy");
}

static int key_debug(struct board_parse *bp, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < 5; i++)
		if (strcmp(name, debug_keys[i]) == 0)
			return number(bp, name, value, &bp->b->debug[i]);
	return bad(bp, "unknown key '%s' in [%s]", name, "debug");
}

static int key_sfc(struct board_parse *bp, const char *name, const char *value)
{
	struct ingenic_board *b = bp->b;
	static const char *const keys[] = { "download_params", "quad_mode", "erase_block_size",
					    "version", "jedec", "fs_erase_size" };
	uint32_t *const fields[] = { &b->sfc.download_params, &b->sfc.quad_mode,
				     &b->sfc.erase_block_size, &b->sfc.version, &b->sfc.nor.jedec,
				     &b->sfc.fs_erase_size };
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < NAMES(keys); i++)
		if (strcmp(name, keys[i]) == 0) {
			bp->jedec_line = i == 4 ? bp->line : bp->jedec_line;
			return number(bp, name, value, fields[i]);
		}
	if (strcmp(name, "erase") == 0)
		return enum_value(bp, name, value, erase_names, NAMES(erase_names), &b->sfc.spi_erase);
	if (strcmp(name, "header_tail") == 0) {
		b->sfc.ntail = 0;
		return each_item(bp, name, value, tail_item, INGENIC_SFC_MAX_TAIL);
	}
	if (strcmp(name, "flash") == 0) {
		if (strlen(value) > 31)
			return bad(bp, "flash = '%s': longer than 31 characters%s", value, "");
		snprintf(bp->flash, sizeof(bp->flash), "%s", value);
		return 0;
	}
	if (strcmp(name, "uk_quad") == 0) {
		if (number(bp, name, value, &v) < 0)
			return -1;
		if (v > 0xff)
			return bad(bp, "%s = %s: at most 255", name, value);
		b->sfc.uk_quad = (uint8_t)v;
		return 0;
	}
	return bad(bp, "unknown key '%s' in [%s]", name, "sfc");
}

static int key_mmc(struct board_parse *bp, const char *name, const char *value)
{
	struct ingenic_board *b = bp->b;
	static const char *const keys[] = { "open_card", "erase", "erase_range_count", "body_size" };
	uint32_t *const fields[] = { &b->mmc.open_card, &b->mmc.erase, &b->mmc.range_count,
				     &b->mmc.body_size };
	size_t i;

	for (i = 0; i < NAMES(keys); i++)
		if (strcmp(name, keys[i]) == 0) {
			if (number(bp, name, value, fields[i]) < 0)
				return -1;
			if (i == 3 && (b->mmc.body_size < 12 || b->mmc.body_size > MMC_MAX_BODY ||
				       b->mmc.body_size % 4))
				return bad(bp, "body_size = %s: a multiple of 4 from 12 to 512%s",
					   value, "");
			return 0;
		}
	return bad(bp, "unknown key '%s' in [%s]", name, "mmc");
}

static int key_partition(struct board_parse *bp, const char *name, const char *value)
{
	struct ingenic_nor_part *p = bp->part;
	size_t i = (size_t)(p - bp->b->sfc.part);

	if (strcmp(name, "offset") == 0 || strcmp(name, "size") == 0) {
		bp->part_have[i] |= name[0] == 'o' ? 1 : 2;
		return number(bp, name, value, name[0] == 'o' ? &p->offset : &p->size);
	}
	if (strcmp(name, "access") == 0)
		return enum_value(bp, name, value, access_names, NAMES(access_names), &p->access);
	if (strcmp(name, "erase") == 0)
		return enum_value(bp, name, value, mode_names, NAMES(mode_names), &p->mode);
	return bad(bp, "unknown key '%s' in [partition %s]", name, p->name);
}

static int start_partition(struct board_parse *bp, const char *name)
{
	struct ingenic_board *b = bp->b;
	size_t i;

	if (!*name || strlen(name) > 31 || strpbrk(name, " \t"))
		return bad(bp, "[partition %s]: the name must be 1 to 31 characters, no spaces%s",
			   name, "");
	for (i = 0; i < b->sfc.nparts; i++)
		if (strcmp(b->sfc.part[i].name, name) == 0)
			return bad(bp, "[partition %s] appears twice%s", name, "");
	if (b->sfc.nparts == INGENIC_NOR_MAX_PARTS)
		return bad(bp, "[partition %s]: the table holds 10 partitions%s", name, "");
	bp->part = &b->sfc.part[b->sfc.nparts];
	bp->part_line[b->sfc.nparts++] = bp->header_line;
	snprintf(bp->part->name, sizeof(bp->part->name), "%s", name);
	return 0;
}

static int section_index(const char *section)
{
	size_t k;

	if (strcmp(section, "board") == 0)
		return SEC_BOARD;
	for (k = 0; k < NTLV_KINDS; k++)
		if (strcmp(section, tlv_name[k]) == 0)
			return (int)k;
	return -1;
}

static int start_section(struct board_parse *bp, const char *section)
{
	int k = section_index(section);

	snprintf(bp->section, sizeof(bp->section), "%s", section);
	bp->section_header = bp->header_line;
	bp->part = NULL;
	if (strncmp(section, "partition ", 10) == 0)
		return start_partition(bp, section + 10);
	if (k < 0)
		return bad(bp, "unknown section [%s]%s", section, "");
	if (bp->section_line[k])
		return bad(bp, "[%s] appears twice%s", section, "");
	bp->section_line[k] = bp->header_line;
	return 0;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct board_parse *bp = user;
	int k;

	if (bp->err->status)
		return 0;  /* stop at the first error */
	if (!*section)
		return bad(bp, "'%s' is outside any section%s", name, "");
	/* a header line of its own: [partition a] twice in a row is two sections */
	if ((strcmp(section, bp->section) != 0 || bp->header_line != bp->section_header) &&
	    start_section(bp, section) < 0)
		return 0;
	if (bp->part)
		return key_partition(bp, name, value) == 0;
	k = section_index(section);
	switch (k) {
	case SEC_BOARD:
		return key_board(bp, name, value) == 0;
	case INGENIC_TLV_POLICY:
		return key_policy(bp, name, value) == 0;
	case INGENIC_TLV_DEBUG:
		return key_debug(bp, name, value) == 0;
	case INGENIC_TLV_SFC:
		return key_sfc(bp, name, value) == 0;
	case INGENIC_TLV_MMC:
		return key_mmc(bp, name, value) == 0;
	default:  /* ddr */
		if (strcmp(name, "type") != 0)
			return bad(bp, "unknown key '%s' in [%s]", name, "ddr") == 0;
		return number(bp, name, value, &bp->b->ddr_type) == 0;
	}
}

static int fail_at(struct board_parse *bp, int line, const char *what, const char *a)
{
	bp->line = line;
	return bad(bp, what, a, "");
}

static int listed(const struct ingenic_board *b, enum ingenic_tlv kind)
{
	size_t i;

	for (i = 0; i < b->ntlv; i++)
		if (b->cfg2[i] == kind)
			return 1;
	return 0;
}

static int check_sections(struct board_parse *bp, const struct ingenic_nor_db *db)
{
	struct ingenic_board *b = bp->b;
	const struct ingenic_nor_params *nor;
	size_t i;
	int sfc = listed(b, INGENIC_TLV_SFC);

	if (!bp->cfg2_line)
		return ub_fail(bp->err, UB_EUSAGE, "%s: no cfg2 = ... in [board]", bp->path);
	if (!bp->section_line[INGENIC_TLV_POLICY])
		return ub_fail(bp->err, UB_EUSAGE, "%s: no [policy] section", bp->path);
	for (i = 0; i < b->ntlv; i++)
		if (!bp->section_line[b->cfg2[i]])
			return fail_at(bp, bp->cfg2_line, "cfg2 lists %s, but there is no such section",
				       tlv_name[b->cfg2[i]]);
	for (i = 0; i < NTLV_KINDS; i++)
		if (bp->section_line[i] && i != INGENIC_TLV_POLICY && !listed(b, (enum ingenic_tlv)i))
			return fail_at(bp, bp->section_line[i], "[%s] is not in [board] cfg2",
				       tlv_name[i]);
	if (bp->section_line[INGENIC_TLV_MMC] && b->mmc.body_size == 0)
		return fail_at(bp, bp->section_line[INGENIC_TLV_MMC], "[mmc] has no body_size%s", "");
	if (b->sfc.nparts && !sfc)
		return fail_at(bp, bp->part_line[0], "a partition, but cfg2 lists no sfc%s", "");
	for (i = 0; i < b->sfc.nparts; i++)
		if (bp->part_have[i] != 3)
			return fail_at(bp, bp->part_line[i], "[partition %s] needs offset and size",
				       b->sfc.part[i].name);
	if (!sfc)
		return 0;
	if (!bp->jedec_line)
		return fail_at(bp, bp->section_line[INGENIC_TLV_SFC], "[sfc] has no jedec%s", "");
	nor = ingenic_nor_db_find(db, b->sfc.nor.jedec, bp->flash);
	if (!nor)
		return fail_at(bp, bp->jedec_line, "no spiflashinfo.cfg entry for this jedec%s%s",
			       *bp->flash ? " and flash name" : "");
	b->sfc.nor = *nor;
	return 0;
}

int ingenic_board_parse(const char *path, const struct ingenic_nor_db *db,
			struct ingenic_board *b, struct ub_err *err)
{
	struct board_parse bp;
	struct ub_err inner = { 0 };
	int line;

	board_defaults(b);
	memset(&bp, 0, sizeof(bp));
	bp.path = path;
	bp.b = b;
	bp.err = &inner;
	bp.f = fopen(path, "r");
	if (!bp.f)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot read board file '%s'", path);
	line = ini_parse_stream(read_line, &bp, on_key, &bp);
	fclose(bp.f);
	if (bp.too_long)
		return ub_fail(err, UB_EUSAGE, "%s:%d: line longer than %d characters", path, bp.line,
			       BOARD_MAX_LINE - 2);
	if (line != 0 && line != bp.error_line)
		return ub_fail(err, UB_EUSAGE, "%s:%d: syntax error", path, line);
	if (inner.status)
		return ub_fail(err, inner.status, "%s", inner.msg);
	if (line != 0)
		return ub_fail(err, UB_EUSAGE, "%s:%d: syntax error", path, line);
	if (check_sections(&bp, db) < 0)
		return ub_fail(err, inner.status, "%s", inner.msg);
	return 0;
}
