/* SPDX-License-Identifier: MIT */
/*
 * The Ingenic USB boot protocol (../shared/notes/ingenic.md): the boot
 * ROM's vendor requests, the SPL's, and the stage-2 burner's ("cloner"),
 * on the USB layer (usbboot/usb.h). Every wait is on the device's clock,
 * so against an emulator it costs no real time.
 */
#ifndef UNBRICK_INGENIC_H
#define UNBRICK_INGENIC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "usb.h"

#define INGENIC_VID 0xA108
#define INGENIC_CPU_INFO_LEN 8

/* One a108:* ROM (notes §4.1). */
struct ingenic_chip {
	const char *name;
	uint16_t pid;
	uint32_t ginfo_addr, spl_addr, stage2_addr;
	uint32_t d2i_len;  /* the SET_DATA_LENGTH before PROGRAM_START1 */
};

/* The table, ending with a NULL name. */
extern const struct ingenic_chip ingenic_chips[];

/*
 * A chip by name, as will-tm looks it up: case and '-'/'_' ignored, exact,
 * then the first whose name starts the given one ("t31zx" -> t31). NULL if none.
 */
const struct ingenic_chip *ingenic_chip_find(const char *name);
/* The chip a T-series ROM's CPU info names ("T 2 0 V " -> t20), or NULL. */
const struct ingenic_chip *ingenic_chip_from_rom(const char *cpu_info);
/* The ids of the a108:* devices, for the USB layer; *n of them. */
const struct ub_usb_id *ingenic_usb_ids(size_t *n);

enum ingenic_stage { INGENIC_STAGE_ROM, INGENIC_STAGE_BURNER };

/*
 * Which stage answered: the T-series ROM (and the SPL) answer "T N N V "
 * with a space after each character; a burner answers its build's id
 * ("BOOTx152", "X2580", "PRJ"). A choice: the ROMs of other a108 parts
 * are not known to answer that way.
 */
enum ingenic_stage ingenic_stage_of(const char *cpu_info);

/* CRC-32/IEEE, init 0xFFFFFFFF, no final XOR (JAMCRC), as the burner's (notes §3.4). */
uint32_t ingenic_crc32(const uint8_t *data, size_t len);

/* The medium of a WRITE/READ: ops = medium << 16 | subtype (notes §3.2). */
enum {
	INGENIC_OPS_SFC_NOR = 0x00060000,
	INGENIC_OPS_MMC0 = 0x00020000,
};

/* A pin held while in the ROM (will-tm's --gpio, notes §1.3). */
struct ingenic_gpio {
	uint8_t port;  /* 0 = A .. 3 = D */
	uint8_t pin;   /* 0..31 */
	uint8_t high;
};

/* The boot blobs: ginfo, SPL and the stage-2 burner (U-Boot). */
struct ingenic_blobs {
	const uint8_t *ginfo, *spl, *uboot;
	size_t ginfo_len, spl_len, uboot_len;
};

struct ingenic_config {
	struct ub_usb *usb;
	struct ub_log *log;
	volatile sig_atomic_t *stop;   /* set by a signal: stop between transfers */
	int layout;                    /* of WRITE/READ: 64 or 32 (enum ingenic_layout) */
	int busy_timeout_ms;           /* how long INIT and a WRITE may stay busy */
};

struct ingenic;

struct ingenic *ingenic_new(const struct ingenic_config *cfg, struct ub_err *err);
void ingenic_free(struct ingenic *d);

/* GET_CPU_INFO: 8 bytes, NUL-terminated into info. */
int ingenic_cpu_info(struct ingenic *d, char info[INGENIC_CPU_INFO_LEN + 1], struct ub_err *err);

/*
 * From the ROM to the burner (notes §1.3, §2): the GPIO pokes, ginfo and
 * the SPL with PROGRAM_START1 after SET_DATA_LENGTH(d2i_len), the SPL's
 * answer, the burner through it (FLUSH_CACHES, PROGRAM_START2), the
 * burner's answer, whose CPU info goes to burner_info.
 */
int ingenic_boot(struct ingenic *d, const struct ingenic_chip *chip,
		 const struct ingenic_blobs *blobs, const struct ingenic_gpio *gpio, size_t ngpio,
		 char burner_info[INGENIC_CPU_INFO_LEN + 1], struct ub_err *err);

/* UPDATE_CFG: the 40-byte length, the config TLVs, GET_ACK == 0. */
int ingenic_update_cfg(struct ingenic *d, const uint8_t *cfg, size_t len, struct ub_err *err);
/* GET_FLASH_INFO: the NOR's JEDEC id (valid after a POLICY that picks SFC NOR). */
int ingenic_flash_id(struct ingenic *d, uint32_t *jedec, struct ub_err *err);
/* INIT, then GET_ACK until it is not busy (a chip erase may run meanwhile). */
int ingenic_init(struct ingenic *d, struct ub_err *err);
/* SET_DATA_LENGTH: the burner's full_size before a write. */
int ingenic_set_length(struct ingenic *d, uint32_t len, struct ub_err *err);

/* One WRITE: the command with the data's CRC, the data, GET_ACK until done. */
int ingenic_write(struct ingenic *d, uint32_t ops, uint64_t offset, const uint8_t *data,
		  size_t len, struct ub_err *err);
/*
 * One READ: the command, GET_CRC, the data by bulk IN, GET_ACK; the data's
 * CRC is checked against the burner's (a mismatch: status 1). *crc gets it.
 */
int ingenic_read(struct ingenic *d, uint32_t ops, uint64_t offset, uint8_t *buf, size_t len,
		 uint32_t *crc, struct ub_err *err);
/* REBOOT; the device leaves the bus, so what the transfer says is not an error. */
int ingenic_reboot(struct ingenic *d, struct ub_err *err);

#endif
