/* SPDX-License-Identifier: MIT */
/*
 * Ingenic board sets: the stage-2 configuration the burner gets with
 * UPDATE_CFG (../shared/notes/ingenic.md §3.3, §3.6), read from the captured
 * blobs (cfg1_*.bin, cfg2_*.bin) or from a readable board file, and turned
 * back into those blobs. NOR parameters come from the vendor's
 * spiflashinfo.cfg, keyed by JEDEC id.
 */
#ifndef UNBRICK_INGENIC_BOARD_H
#define UNBRICK_INGENIC_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- spiflashinfo.cfg -------------------------------------------------- */

struct ingenic_nor_cmd {        /* one opcode: -1 in the file is all ones */
	uint16_t cmd;
	uint8_t dummy_bits, addr_bytes, mode;
};

struct ingenic_nor_status {     /* a status-register operation */
	uint16_t cmd;
	uint8_t bit_shift, mask, val, len, dummy;
};

enum { INGENIC_NOR_READ, INGENIC_NOR_QUAD_READ, INGENIC_NOR_PROGRAM, INGENIC_NOR_QUAD_PROGRAM,
       INGENIC_NOR_ERASE, INGENIC_NOR_WREN, INGENIC_NOR_EN4B, INGENIC_NOR_NCMDS };
enum { INGENIC_NOR_QUAD_SET, INGENIC_NOR_QUAD_GET, INGENIC_NOR_BUSY, INGENIC_NOR_NSTATUS };

/* One [norkeyN] entry, in the order of its value's fields. */
struct ingenic_nor_params {
	char name[32];
	uint32_t jedec, chip_size, page_size, erase_size;
	uint8_t chip_erase_cmd;
	uint16_t quad_mode, addr_mode;
	uint32_t block_erase_ms;        /* the file's only; not in the blob */
	uint32_t tchsh, tslch, tshsl_rd, tshsl_wr;
	struct ingenic_nor_cmd cmd[INGENIC_NOR_NCMDS];
	struct ingenic_nor_status status[INGENIC_NOR_NSTATUS];
};

struct ingenic_nor_db {
	struct ingenic_nor_params *chips;  /* in file order */
	size_t count;
};

/* Read spiflashinfo.cfg (its lines are longer than inih's 200). */
int ingenic_nor_db_load(const char *path, struct ingenic_nor_db *db, struct ub_err *err);
void ingenic_nor_db_free(struct ingenic_nor_db *db);
/*
 * The entry for jedec (named name, unless name is NULL or ""); of several,
 * the last in the file, as the vendor's tools resolve duplicates. NULL if none.
 */
const struct ingenic_nor_params *ingenic_nor_db_find(const struct ingenic_nor_db *db,
						     uint32_t jedec, const char *name);

/* ---- the board ---------------------------------------------------------- */

enum ingenic_tlv { INGENIC_TLV_DDR, INGENIC_TLV_DEBUG, INGENIC_TLV_POLICY, INGENIC_TLV_SFC,
		   INGENIC_TLV_MMC };

#define INGENIC_BOARD_MAX_TLVS 8
#define INGENIC_POLICY_FLAGS 9
#define INGENIC_POLICY_OFFSETS 32
#define INGENIC_SFC_MAX_TAIL 4          /* header words after spi_erase */
#define INGENIC_NOR_MAX_PARTS 10
#define INGENIC_BOARD_CFG_MAX 2048      /* room for any cfg blob */
#define INGENIC_EP0_LEN 40

/* nor_partition.manager_mode: how a WRITE erases when spi_erase is 0 */
enum ingenic_part_mode { INGENIC_PART_MTD = 0, INGENIC_PART_UBI = 1, INGENIC_PART_MTD_D = 2 };
/* nor_partition.mask_flags */
enum ingenic_part_access { INGENIC_PART_RW = 0, INGENIC_PART_WO = 1, INGENIC_PART_RO = 2 };

struct ingenic_nor_part {
	char name[32];
	uint32_t offset, size, access, mode;
};

enum ingenic_layout { INGENIC_LAYOUT_64 = 64, INGENIC_LAYOUT_32 = 32 };

struct ingenic_board {
	/* host side, not in the blobs */
	enum ingenic_layout layout;     /* of the 40-byte WRITE/READ commands */
	uint32_t transfer_size;         /* bytes per WRITE */
	uint32_t read_size;             /* bytes per READ */

	enum ingenic_tlv cfg2[INGENIC_BOARD_MAX_TLVS];  /* cfg2's TLVs in order */
	size_t ntlv;

	/* POLICY: use_nand_mgr .. use_spi_nor, then offsets (cfg1 and cfg2) */
	uint32_t policy[INGENIC_POLICY_FLAGS];
	uint32_t policy_offsets[INGENIC_POLICY_OFFSETS];
	/* DEBUG: log_enabled, transfer_data_chk, write_back_chk, transfer_size, stage2_timeout */
	uint32_t debug[5];
	uint32_t ddr_type;

	struct {
		uint32_t download_params, quad_mode, erase_block_size, spi_erase;
		uint32_t tail[INGENIC_SFC_MAX_TAIL];  /* meaning per burner build */
		size_t ntail;
		uint32_t version;
		struct ingenic_nor_params nor;
		struct ingenic_nor_part part[INGENIC_NOR_MAX_PARTS];
		size_t nparts;
		uint32_t fs_erase_size;
		uint8_t uk_quad;
	} sfc;

	struct {
		uint32_t open_card, erase, range_count;
		uint32_t body_size;             /* the rest of the body is zero */
	} mmc;
};

/* What `write --erase` means (notes §3.3, §3.4). */
enum ingenic_erase {
	INGENIC_ERASE_CHIP,       /* spi_erase 1: INIT erases the chip (T20/T31-era burners) */
	INGENIC_ERASE_PARTITION,  /* spi_erase 0, MTD_MODE: first write in a partition erases it */
	INGENIC_ERASE_RANGE,      /* spi_erase 0, MTD_D_MODE: each write erases its range */
};

/*
 * Read dir's cfg1_bulk.bin and cfg2_bulk.bin (the ep0 blobs hold only the
 * lengths). Refuses what it cannot give back byte for byte. The host-side
 * fields get will-tm's 64 KiB writes, the vendor readers' 1 MiB reads and
 * the 64-bit layout.
 */
int ingenic_board_from_blobs(const char *dir, const struct ingenic_nor_db *db,
			     struct ingenic_board *b, struct ub_err *err);
/* The board file's text; malloc'd. */
char *ingenic_board_export(const struct ingenic_board *b, struct ub_err *err);
/* Parse a board file; errors name path and line. */
int ingenic_board_parse(const char *path, const struct ingenic_nor_db *db,
			struct ingenic_board *b, struct ub_err *err);

/* The bulk blobs into buf (INGENIC_BOARD_CFG_MAX bytes); their length. */
size_t ingenic_board_cfg1(const struct ingenic_board *b, uint8_t *buf);
size_t ingenic_board_cfg2(const struct ingenic_board *b, uint8_t *buf);
/* UPDATE_CFG's 40-byte payload for a bulk of len bytes: len, then zeros. */
void ingenic_board_ep0(uint32_t len, uint8_t out[INGENIC_EP0_LEN]);

/* Set spi_erase and every partition's mode for a `write --erase` choice. */
void ingenic_board_set_erase(struct ingenic_board *b, enum ingenic_erase mode);

#endif
