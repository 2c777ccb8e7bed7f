/* SPDX-License-Identifier: MIT */
/*
 * The flashes BK7231/BK7252 modules carry. Protect masks are SR1 | SR2 << 8:
 * BP bits (and TB/SEC) of SR1 plus CMP (SR2 bit 6) on parts with two status
 * bytes. Sources: notes/beken.md §1.3 and §5 (BK7231GUIFlashTool BKFlashList,
 * bk7231tools FLASH_SR_SIZE, flashrom flashchips).
 */
#include <string.h>

#include "nor.h"

#define MIB (1024u * 1024u)

static const struct ub_nor_chip chips[] = {
	/* SR1 bit 6 is QE on this part, not a protect bit (flashrom eon.c). */
	{ .name = "EN25QH16B", .id = { 0x1c, 0x70, 0x15 }, .size = 2 * MIB,
	  .sr_bytes = 1, .protect_mask = 0x003c },
	{ .name = "TH25Q16HB", .id = { 0xeb, 0x60, 0x15 }, .size = 2 * MIB,
	  .sr_bytes = 2, .protect_mask = 0x407c },
	{ .name = "XT25F16B", .id = { 0x0b, 0x40, 0x15 }, .size = 2 * MIB,
	  .sr_bytes = 2, .protect_mask = 0x407c },
	/* Read as one status byte by both the GUI and bk7231tools. */
	{ .name = "P25Q16HB", .id = { 0x85, 0x42, 0x15 }, .size = 2 * MIB,
	  .sr_bytes = 1, .protect_mask = 0x007c },
	{ .name = "P25Q16HBK", .id = { 0x85, 0x20, 0x15 }, .size = 2 * MIB,
	  .sr_bytes = 2, .protect_mask = 0x407c },
	{ .name = "GD25Q16", .id = { 0xc8, 0x40, 0x15 }, .size = 2 * MIB,
	  .sr_bytes = 2, .protect_mask = 0x407c },
	{ .name = "W25Q16", .id = { 0xef, 0x40, 0x15 }, .size = 2 * MIB,
	  .sr_bytes = 2, .protect_mask = 0x407c },
	{ .name = "W25Q32", .id = { 0xef, 0x40, 0x16 }, .size = 4 * MIB,
	  .sr_bytes = 2, .protect_mask = 0x407c },
	{ .name = "BY25Q16", .id = { 0x68, 0x40, 0x15 }, .size = 2 * MIB,
	  .sr_bytes = 2, .protect_mask = 0x407c },
	{ .name = NULL },
};

const struct ub_nor_chip *ub_nor_lookup(const uint8_t id[3])
{
	const struct ub_nor_chip *c;

	for (c = chips; c->name; c++)
		if (memcmp(c->id, id, 3) == 0)
			return c;
	return NULL;
}
