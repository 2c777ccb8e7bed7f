/* SPDX-License-Identifier: MIT */
/*
 * Emulators of Ingenic cameras in USB boot: "t20", "t31" and "t41". Each is
 * the boot ROM, the SPL and the stage-2 burner ("cloner") of one a108:c309
 * device, with a SPI NOR flash (and an eMMC when a config picks it).
 * Written from ../shared/notes/ingenic.md (§n below) and the vendor
 * captures in ../shared/data/ingenic/captures (CAP-T20, CAP-T41), never from
 * host code. They run behind the USB runner (sim/sim_usb.h), in model time:
 *
 *     usb_sim_open("t31,image=old.bin,save=new.bin", err, sizeof(err))
 *
 * pace=1 (the default) adds the bus (sim/sim_usb.c) and the device's own
 * times below; pace=0 makes them all zero (a hung device stays hung).
 *
 * ------------------------------------------------------------- the models
 *            ROM id      burner id   flash (JEDEC)        d2i max  INIT     chip erase
 *   t20      "T 2 0 V "  "BOOTx152"  GD25Q127 0xC84018    0x4000   5 ms     48 s
 *   t31      "T 3 1 V "  "PRJ"+5 NUL W25Q128  0xEF7018    0x7000   5 ms     14 s
 *   t41      "T 3 1 V "  "X2580"+NUL XT25F128B 0x0B4018   0x7000   472 ms   (none at INIT)
 * (CAP-T20, CAP-T41, §2, §3.4. The T41N ROM says T31, as captured. The t31
 * burner is prj008's; its times are the T20's, a choice.)
 * Descriptors: a108:c309, bcdDevice 0x0100, "Ingenic", a product string
 * starting U+00C3 U+0009 " USB Boot Device" (as the ROM's), no serial,
 * bulk OUT 0x01, bulk IN 0x81, 512 bytes. The same through all stages.
 *
 * ---------------------------------------------------------------- options
 * Numbers: decimal or 0x hex, K/M suffixes.
 *   flash=SIZE (16M)     the NOR's size; jedec=0xMMTTCC its id (the model's)
 *   mmc=SIZE (32M)       the eMMC's size (allocated, zeroed, at its INIT)
 *   layout=64|32         the 40-byte command layout the burner reads (§3.2):
 *                        64 (default, all three vendor builds) or 32 (older)
 *   stage=rom|burner     where it starts (default rom; burner: as if booted)
 *   image=FILE           the initial NOR, from offset 0, at most flash= bytes;
 *                        the rest (default: all) is pseudo-random from seed,
 *                        "old firmware", so what an erase leaves shows
 *   save=FILE            the NOR at stop (the eMMC is not saved)
 *   trace=FILE           one line per event, with its model time in ns
 *   stats=FILE           "name value" lines at stop: controls stalls
 *                        bulk_out_bytes bulk_in_bytes rom_boots spl_boots
 *                        stage2_boots hangs configs inits writes
 *                        bytes_written reads bytes_read erased_bytes
 *                        chip_erases crc_errors write_back_errors reboots
 *                        disconnects injected_stalls injected_timeouts
 *                        injected_bad_crcs injected_bad_reads elapsed_ns
 *   seed=N (1)           the flash contents and every random fault
 * Times (pace=1; defaults from the captures where they show them):
 *   rom-ns=N             ROM/SPL bulk OUT per byte (t20/t31 540: CAP-T20
 *                        390480 B in 211 ms; t41 760: CAP-T41)
 *   spl-ms=N (300)       START1 to the SPL answering (a choice: the vendor
 *                        waits 1.1 s blind, will-tm polls)
 *   stage2-ms=N          START2 to the burner answering (169; t41 145)
 *   init-ms=N            INIT's own time (5; t41 472)
 *   read-ns=N (185)      READ per byte (CAP-T20 194 ms per MiB, CAP-T41
 *                        12 ms per 64 KiB)
 *   chip-erase-ms=N      the chip erase at INIT (48000 t20, 14000 t31, §3.4)
 *   erase-32k-ms=N (120), erase-64k-ms=N (150)  per erase block (datasheet
 *                        typicals of 25Q parts, a choice); other block sizes
 *                        pro rata
 *   page-us=N (400)      per 256-byte page programmed
 *   mmc-ns=N (50)        eMMC write per byte
 *   reset-ms=N (1000)    detached after a reboot or a disconnect, before the
 *                        ROM is back (when it comes back at all)
 *   d2i-max=N            the largest d2i length START1 survives (table above)
 * Faults (once each, counted over the run from 1; ppm ones drawn from seed):
 *   stall=N              the Nth control transfer is stalled, without effect
 *   timeout=N            the Nth control transfer is never answered (NAK to
 *                        the host's timeout), without effect
 *   stall-ppm=P, timeout-ppm=P   the same at random, P per million transfers
 *   bad-crc=N            the Nth WRITE's data arrives with one bit flipped:
 *                        DEBUG transfer_data_chk=1 acks -22 (nothing written),
 *                        else the bad data is written
 *   bad-read=N           the Nth READ's bulk IN data has one bit flipped
 *                        (GET_CRC gives the CRC of the good data)
 *   disconnect=N         the device drops off the bus when the Nth byte of
 *                        WRITE data (over the run) arrives: the transfer ends
 *                        USB_SIM_GONE, the chunk is not written (earlier
 *                        chunks are); reset-ms later the ROM is back
 *
 * --------------------------------------------------------- the ROM (§1.2)
 * Vendor requests (0x40 OUT / 0xC0 IN; value = wValue<<16 | wIndex):
 * 0x00 CPU info (8 bytes), 0x01 SET_DATA_ADDRESS (starts a load there),
 * 0x02 SET_DATA_LENGTH, 0x04 PROGRAM_START1. 0x03 and 0x05, as every other
 * request, STALL (will-tm: the SPL serves them). Bulk OUT after 0x01 loads
 * at that address (any length, in any number of transfers; before any 0x01:
 * STALL), at rom-ns per byte. 4-byte loads into 0xB001xxxx are traced as
 * GPIO pokes. Standard requests: SET_CONFIGURATION, SET_INTERFACE,
 * CLEAR_FEATURE, GET_STATUS answered; others STALL. Bulk IN: NAK.
 * START1 hangs the device (silent: every transfer times out) when nothing
 * was loaded at the entry, when the last SET_DATA_LENGTH (the d2i length)
 * is 0 or above d2i-max, or when no ginfo ("FIDB" first) was loaded at
 * 0x80001000 (the SPL's DDR init needs it); else the SPL answers spl-ms
 * later, transfers NAKing meanwhile.
 *
 * ---------------------------------------------------------- the SPL (§2)
 * As the ROM, plus 0x03 FLUSH_CACHES and 0x05 PROGRAM_START2; 0x04 STALLs.
 * START2 hangs the device when nothing was loaded at the entry or no FLUSH
 * came after the last bulk data (stale cache: a choice); else the burner
 * answers stage2-ms later.
 *
 * ------------------------------------------------------ the burner (§3)
 * 0x00 CPU info (burner id), 0x01/0x02 set full_size, 0x10 GET_ACK (s32),
 * 0x11 INIT, 0x12 WRITE, 0x13 READ, 0x14 UPDATE_CFG, 0x15 SYNC_TIME,
 * 0x16 REBOOT, 0x17 POWEROFF, 0x18 CHECK, 0x19 GET_CRC (s32 ack, u32 crc),
 * 0x26 GET_FLASH_INFO (JEDEC, LSB first; 00 00 00 until a POLICY with
 * use_sfc_nor). Anything else (SEC_* 0x20-0x25 included) STALLs, as does a
 * command request (0x12-0x15, 0x18) whose wLength is not 40.
 * - Ack: UPDATE_CFG and WRITE set -16 until their bulk data has all come;
 *   then 0 or -errno: -22 bad config or CRC mismatch, -5 out of partition,
 *   read-only partition, write-back mismatch, or a length above 32 MiB,
 *   -38 an ops medium that INIT did not set up, -19 REGISTER address
 *   outside 0xB0000000-0xB8000000. Only the leading fields of the 40 bytes
 *   are read.
 * - GET_ACK or INIT before any UPDATE_CFG traps the burner (silent until
 *   reset; thingino's note, §2). INIT is one-shot (again: ack 0).
 * - Busy: INIT, READ and a WRITE's erase and program take their times; EP0
 *   and bulk OUT NAK until done (as GET_ACK after INIT and GET_CRC after
 *   READ are held in the captures).
 * - Config (§3.3): TLVs to magic 0 or the end (a size past the end: -22);
 *   unknown magics skipped. POLICY use_sfc_nor @20; DEBUG transfer_data_chk
 *   @4, write_back_chk @8; DDR ddr_type @0; SFC: header words up to the
 *   "nor\0" magic (at least 4: download_params, quad, erase block size,
 *   spi_erase), then spiflash_info: chip_size @+0x84, partitions @+0x94
 *   (10 x 48 B), their count @+0x274, read cmd addr bytes @+0x2F, EN4B
 *   @+0x50; MMC: mmc_erase @4 (1 = all, zeroed at INIT; ranges not
 *   modelled). The last SFC/MMC/NAND TLV is INIT's medium (NAND: -38).
 * - INIT on SFC: on t20/t31 spi_erase 1 erases the whole chip (chip-erase-ms);
 *   on t41 it does not (§3.3: inferred from CAP-T41).
 * - WRITE on SFC (§3.4): the first partition holding [offset, offset+length)
 *   (size 0xFFFFFFFF: to chip_size), else -5; mask 2 (RO) -5 (a choice).
 *   Erase unless t20/t31 with spi_erase 1: manager_mode 0 (MTD_MODE) the
 *   whole partition the first time a write lands in it (again after a new
 *   SFC config), 2 (MTD_D_MODE) and 1 (UBI, a choice) the written range
 *   widened to the erase block size (header word 2). Then the data is
 *   programmed (ANDed: NOR). At offset 0 with download_params != 0 the
 *   burner puts ddr_type at +128 and 0x1111 at +512 when that word is 0 or
 *   above 65535 (the flash parameters it also injects are not modelled).
 *   transfer_data_chk: the JAMCRC (CRC-32, no final XOR) is checked first;
 *   write_back_chk: the flash is compared after programming.
 *   A NOR above 16 MiB addressed with 3-byte opcodes and no EN4B sees only
 *   its low 16 MiB (addresses wrap, §7).
 * - READ: the range (NOR addresses wrap at the chip's end; eMMC past its end
 *   -5), its JAMCRC; GET_CRC then queues the data for bulk IN, and GET_ACK
 *   says 0 once it is all read. GET_CRC without a READ: ack -22, crc 0.
 * - REBOOT: detached; the ROM comes back reset-ms later only when the NOR
 *   starts FF FF FF FF (the ROM falls back to USB when the flash does not
 *   boot, §7), else never. POWEROFF: detached for good.
 *
 * ------------------------------------------------------------- trace lines
 * "NS rom: attached", "NS spl|burner: up", "NS rom: START1 ...",
 * "NS spl: START2 ...", "NS gpio poke ADDR = VALUE", "NS hang: REASON",
 * "NS detached: REASON", "NS cfg sfc: ...", "NS INIT medium N -> ack A",
 * "NS erase 0xSTART+0xLEN", "NS WRITE 0xOFF+0xLEN ops 0xOPS -> ack A",
 * "NS write 0x..: out of partition", "NS write back: 0xADDR differs",
 * "NS READ 0xOFF+0xLEN -> crc 0xCRC", "NS fault: ...".
 */
#ifndef UNBRICK_SIM_INGENIC_H
#define UNBRICK_SIM_INGENIC_H

#include <stddef.h>
#include <stdint.h>

/* The burner's CRC: CRC-32/IEEE reflected, init 0xFFFFFFFF, no final XOR (§3.4). */
uint32_t ingenic_sim_crc32(const uint8_t *p, size_t n);

#endif
