/* SPDX-License-Identifier: MIT */
/*
 * Ingenic board sets: the captured stage-2 blobs, the board file exported
 * from them, and the blobs generated back from that file (issue 11, Must
 * show 2), plus the board file's errors.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingenic_board.h"
#include "testutil.h"

static const char *const board_sets[] = { "prj008", "prj008_mmc0", "t20-vendor", "t41n-vendor" };

/* One entry of the vendor's spiflashinfo.cfg, for the tests that need no shared data. */
static const char tiny_db[] =
	"[norkey0]\n"
	"value=\"W25Q128JVSM,0xef7018,16777216,256,32768,0x60,1,0,120,3,5,10,50,0x03,0,3,0,"
	"0x6b,8,3,5,0x02,0,3,0,0x32,0,3,5,0x52,0,3,0,0x06,0,0,0,-1,-1,-1,-1,0x31,1,1,1,1,0,"
	"0x35,1,1,1,1,0,0x05,0,1,0,1,0\"\n\n[spinor]\ncount=1\n";

static int load_shared_db(struct ingenic_nor_db *db)
{
	char path[4096];
	struct ub_err err = { 0 };

	if (!tu_shared("ingenic/spiflashinfo.cfg", path, sizeof(path)))
		return -1;
	ck_assert_msg(ingenic_nor_db_load(path, db, &err) == 0, "%s", err.msg);
	return 0;
}

static void load_tiny_db(struct ingenic_nor_db *db, char *path, size_t len)
{
	struct ub_err err = { 0 };

	tu_text_file(path, len, tiny_db);
	ck_assert_msg(ingenic_nor_db_load(path, db, &err) == 0, "%s", err.msg);
}

static void assert_file_is(const char *dir, const char *name, const uint8_t *mine, size_t len)
{
	char path[4096];
	size_t flen;
	uint8_t *want;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	want = tu_read_file(path, &flen);
	ck_assert_msg(flen == len, "%s: %zu bytes generated, %zu captured", path, len, flen);
	ck_assert_msg(memcmp(want, mine, len) == 0, "%s differs", path);
	free(want);
}

/* UPDATE_CFG's payload: the captured length, zeros where the host sent stack garbage. */
static void assert_ep0(const char *dir, const char *name, size_t bulk_len)
{
	char path[4096];
	size_t flen;
	uint8_t *want, mine[INGENIC_EP0_LEN], zeros[INGENIC_EP0_LEN - 4] = { 0 };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	want = tu_read_file(path, &flen);
	ck_assert_uint_eq(flen, INGENIC_EP0_LEN);
	ingenic_board_ep0((uint32_t)bulk_len, mine);
	ck_assert_mem_eq(mine, want, 4);
	ck_assert_mem_eq(mine + 4, zeros, sizeof(zeros));
	free(want);
}

/* `ingenic-usbboot board export DIR -o FILE`, the command a user runs. */
static char *program_export(const char *dir, char *path, size_t len)
{
	struct tu_run r;
	size_t n;
	char *text;

	tu_tmpfile(path, len);
	tu_run(&r, "ingenic-usbboot", NULL, NULL,
	       (const char *const[]){ "board", "export", dir, "-o", path, NULL });
	ck_assert_msg(r.status == 0, "board export %s: exit %d: %s", dir, r.status, r.err);
	tu_run_free(&r);
	text = (char *)tu_read_file(path, &n);
	ck_assert_uint_gt(n, 0);
	return text;
}

START_TEST(board_file_round_trip)
{
	const char *set = board_sets[_i];
	struct ingenic_nor_db db;
	struct ingenic_board from_file;
	struct ub_err err = { 0 };
	char rel[64], dir[4096], path[64];
	uint8_t buf[INGENIC_BOARD_CFG_MAX];
	size_t len;
	char *text;

	snprintf(rel, sizeof(rel), "ingenic/%s", set);
	if (load_shared_db(&db) < 0 || !tu_shared(rel, dir, sizeof(dir)))
		return;
	text = program_export(dir, path, sizeof(path));
	ck_assert_msg(ingenic_board_parse(path, &db, &from_file, &err) == 0, "%s\n%s", err.msg, text);
	len = ingenic_board_cfg1(&from_file, buf);
	assert_file_is(dir, "cfg1_bulk.bin", buf, len);
	assert_ep0(dir, "cfg1_ep0.bin", len);
	len = ingenic_board_cfg2(&from_file, buf);
	assert_file_is(dir, "cfg2_bulk.bin", buf, len);
	assert_ep0(dir, "cfg2_ep0.bin", len);
	unlink(path);
	free(text);
	ingenic_nor_db_free(&db);
}
END_TEST

static char *export_set(const char *set, struct ingenic_board *b)
{
	struct ingenic_nor_db db;
	struct ub_err err = { 0 };
	char rel[64], dir[4096];
	char *text;

	snprintf(rel, sizeof(rel), "ingenic/%s", set);
	if (load_shared_db(&db) < 0 || !tu_shared(rel, dir, sizeof(dir)))
		return NULL;
	ck_assert_msg(ingenic_board_from_blobs(dir, &db, b, &err) == 0, "%s", err.msg);
	text = ingenic_board_export(b, &err);
	ck_assert_msg(text != NULL, "%s", err.msg);
	ingenic_nor_db_free(&db);
	return text;
}

/* What a reader of prj008's board file sees. */
START_TEST(prj008_board_file_reads_well)
{
	struct ingenic_board b;
	char *text = export_set("prj008", &b);

	if (!text)
		return;
	ck_assert_ptr_nonnull(strstr(text, "[board]\ncfg2 = debug, policy, sfc\n"));
	ck_assert_ptr_nonnull(strstr(text, "[policy]\nuse = sfc_nor\n"));
	ck_assert_ptr_nonnull(strstr(text, "erase_block_size = 0x8000\nerase = chip\n"));
	ck_assert_ptr_nonnull(strstr(text, "header_tail = 0x2faf080, 0x0, 0x6800\n"));
	ck_assert_ptr_nonnull(strstr(text, "flash = W25Q128JVSM\njedec = 0xef7018\n"));
	ck_assert_ptr_nonnull(strstr(text, "[partition kernel]\noffset = 0x40000\nsize = 0x280000\n"
				     "access = rw\nerase = partition\n"));
	ck_assert_ptr_nonnull(strstr(text, "[partition all]\noffset = 0x0\nsize = 0xffffffff\n"));
	free(text);
}
END_TEST

START_TEST(mmc_board_file_reads_well)
{
	struct ingenic_board b;
	char *text = export_set("prj008_mmc0", &b);

	if (!text)
		return;
	ck_assert_ptr_nonnull(strstr(text, "cfg2 = debug, mmc, policy\n"));
	ck_assert_ptr_nonnull(strstr(text, "[policy]\nuse = mmc0\n"));
	ck_assert_ptr_nonnull(strstr(text, "[mmc]\nopen_card = 0\nerase = 0\nerase_range_count = 0\n"
				     "body_size = 248\n"));
	ck_assert_ptr_null(strstr(text, "[sfc]"));
	free(text);
}
END_TEST

/* write --erase: spi_erase at body offset 12, manager_mode at +44 of each partition. */
START_TEST(erase_choices_set_the_fields)
{
	struct ingenic_board b;
	uint8_t buf[INGENIC_BOARD_CFG_MAX];
	char *text = export_set("prj008", &b);
	const size_t sfc_body = 0xd0, part0 = 0x180;

	if (!text)
		return;
	free(text);
	ingenic_board_set_erase(&b, INGENIC_ERASE_RANGE);
	ingenic_board_cfg2(&b, buf);
	ck_assert_uint_eq(buf[sfc_body + 12], 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(buf[part0 + 48 * i + 44], 2);
	ingenic_board_set_erase(&b, INGENIC_ERASE_PARTITION);
	ingenic_board_cfg2(&b, buf);
	ck_assert_uint_eq(buf[sfc_body + 12], 0);
	ck_assert_uint_eq(buf[part0 + 48 * 3 + 44], 0);
	ingenic_board_set_erase(&b, INGENIC_ERASE_CHIP);
	ingenic_board_cfg2(&b, buf);
	ck_assert_uint_eq(buf[sfc_body + 12], 1);
}
END_TEST

/* Written by hand, with the defaults: the blob a burner gets. */
START_TEST(minimal_board_file)
{
	struct ingenic_nor_db db;
	struct ingenic_board b;
	struct ub_err err = { 0 };
	char dbpath[64], path[64];
	uint8_t buf[INGENIC_BOARD_CFG_MAX];

	load_tiny_db(&db, dbpath, sizeof(dbpath));
	tu_text_file(path, sizeof(path),
		     "[board]\ncfg2 = policy, sfc\n[policy]\nuse = sfc_nor\n[sfc]\n"
		     "jedec = 0xef7018\nheader_tail = 0, 0\n[partition all]\noffset = 0\n"
		     "size = 0xffffffff\nerase = range\n");
	ck_assert_msg(ingenic_board_parse(path, &db, &b, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(b.layout, INGENIC_LAYOUT_64);
	ck_assert_uint_eq(b.transfer_size, 0x10000);
	ck_assert_uint_eq(ingenic_board_cfg1(&b, buf), 172);
	ck_assert_uint_eq(ingenic_board_cfg2(&b, buf), 172 + 8 + 24 + 740);
	ck_assert_mem_eq(buf + 172, "\0CFS", 4);
	ck_assert_mem_eq(buf + 172 + 8 + 24, "nor\0", 4);
	ck_assert_str_eq((const char *)buf + 172 + 8 + 24 + 8, "W25Q128JVSM");
	unlink(path);
	unlink(dbpath);
	ingenic_nor_db_free(&db);
}
END_TEST

struct bad_board {
	const char *text;
	const char *error;      /* after "PATH" */
};

static const struct bad_board bad_boards[] = {
	{ "cfg2 = policy\n", ":1: 'cfg2' is outside any section" },
	{ "[board\ncfg2 = policy\n", ":1: syntax error" },
	{ "[bored]\nx = 1\n", ":2: unknown section [bored]" },
	{ "[board]\ncfg2 = debug, policy, flash\n",
	  ":2: cfg2: unknown TLV 'flash' (ddr, debug, policy, sfc, mmc)" },
	{ "[board]\ncfg2 = policy, policy\n", ":2: cfg2: 'policy' twice" },
	{ "[board]\ncfg2 = policy\ntransfer_size = 64Q\n",
	  ":3: transfer_size = '64Q' is not a 32-bit number" },
	{ "[board]\ncfg2 = policy\ntransfer_size = 0\n", ":3: transfer_size = 0: must not be zero" },
	{ "[board]\ncommand_layout = 48\n", ":2: command_layout = '48': use 64 or 32" },
	{ "[board]\ncfg2 = policy\n[policy]\nuse = sdcard\n", ":4: use: unknown medium 'sdcard'" },
	{ "[board]\ncfg2 = policy\n[policy]\nuse = sfc_nor\n[board]\nread_size = 1\n",
	  ":6: [board] appears twice" },
	{ "[board]\ncfg2 = policy\n[policy]\nuse = sfc_nor\n[ddr]\ntype = 1\n",
	  ":5: [ddr] is not in [board] cfg2" },
	{ "[board]\ncfg2 = policy, debug\n[policy]\nuse = sfc_nor\n",
	  ":2: cfg2 lists debug, but there is no such section" },
	{ "[board]\ncfg2 = policy, sfc\n[policy]\nuse = sfc_nor\n[sfc]\njedec = 0x123456\n",
	  ":6: no spiflashinfo.cfg entry for this jedec" },
	{ "[board]\ncfg2 = policy, sfc\n[policy]\nuse = sfc_nor\n[sfc]\nflash = W25Q128JVSQ\n"
	  "jedec = 0xef7018\n", ":7: no spiflashinfo.cfg entry for this jedec and flash name" },
	{ "[board]\ncfg2 = policy, sfc\n[policy]\nuse = sfc_nor\n[sfc]\nerase = sometimes\n",
	  ":6: erase = 'sometimes': not a known name nor a number" },
	{ "[board]\ncfg2 = policy, sfc\n[policy]\nuse = sfc_nor\n[sfc]\nfrequency = 1\n",
	  ":6: unknown key 'frequency' in [sfc]" },
	{ "[board]\ncfg2 = policy, sfc\n[policy]\nuse = sfc_nor\n[sfc]\njedec = 0xef7018\n"
	  "[partition boot]\noffset = 0\n", ":7: [partition boot] needs offset and size" },
	{ "[board]\ncfg2 = policy, sfc\n[policy]\nuse = sfc_nor\n[sfc]\njedec = 0xef7018\n"
	  "[partition boot]\nsize = 1\n[partition boot]\noffset = 0\n",
	  ":10: [partition boot] appears twice" },
	{ "[board]\ncfg2 = policy\n[policy]\nuse = sfc_nor\n[partition boot]\nsize = 1\noffset = 0\n",
	  ":5: a partition, but cfg2 lists no sfc" },
	{ "[board]\ncfg2 = policy, mmc\n[policy]\nuse = mmc0\n[mmc]\nbody_size = 6\n",
	  ":6: body_size = 6: a multiple of 4 from 12 to 512" },
	{ "[board]\ncfg2 = policy, mmc\n[policy]\nuse = mmc0\n[mmc]\nerase = 1\n",
	  ":5: [mmc] has no body_size" },
	{ "[policy]\nuse = sfc_nor\n", ": no cfg2 = ... in [board]" },
	{ "[board]\ncfg2 = sfc\n", ": no [policy] section" },
};

START_TEST(bad_board_file)
{
	struct ingenic_nor_db db;
	struct ingenic_board b;
	struct ub_err err = { 0 };
	char dbpath[64], path[64], want[256];
	const struct bad_board *c = &bad_boards[_i];

	load_tiny_db(&db, dbpath, sizeof(dbpath));
	tu_text_file(path, sizeof(path), c->text);
	ck_assert_int_eq(ingenic_board_parse(path, &db, &b, &err), -1);
	snprintf(want, sizeof(want), "%s%s", path, c->error);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	unlink(path);
	unlink(dbpath);
	ingenic_nor_db_free(&db);
}
END_TEST

START_TEST(long_line_is_refused)
{
	struct ingenic_nor_db db;
	struct ingenic_board b;
	struct ub_err err = { 0 };
	char dbpath[64], path[64], want[256], text[400];

	load_tiny_db(&db, dbpath, sizeof(dbpath));
	snprintf(text, sizeof(text), "[board]\ncfg2 = policy%*s\n", 250, ",");
	tu_text_file(path, sizeof(path), text);
	ck_assert_int_eq(ingenic_board_parse(path, &db, &b, &err), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than 198 characters", path);
	ck_assert_str_eq(err.msg, want);
	unlink(path);
	unlink(dbpath);
	ingenic_nor_db_free(&db);
}
END_TEST

START_TEST(bad_spiflashinfo)
{
	struct ingenic_nor_db db;
	struct ub_err err = { 0 };
	char path[64], want[256];

	tu_text_file(path, sizeof(path), "[norkey0]\nvalue=\"X,0x1,2\"\n");
	ck_assert_int_eq(ingenic_nor_db_load(path, &db, &err), -1);
	snprintf(want, sizeof(want), "%s:2: fewer than 59 fields", path);
	ck_assert_str_eq(err.msg, want);
	unlink(path);
}
END_TEST

/* Duplicate JEDEC ids: the last entry in the file wins, unless the name picks one. */
START_TEST(spiflashinfo_lookup)
{
	struct ingenic_nor_db db;
	const struct ingenic_nor_params *p;

	if (load_shared_db(&db) < 0)
		return;
	ck_assert_uint_eq(db.count, 59);
	p = ingenic_nor_db_find(&db, 0xc84018, NULL);
	ck_assert_str_eq(p->name, "GD25Q127CSIG");
	ck_assert_uint_eq(p->chip_size, 16777216);
	ck_assert_uint_eq(p->cmd[INGENIC_NOR_EN4B].cmd, 0xb7);
	ck_assert_uint_eq(p->status[INGENIC_NOR_QUAD_SET].cmd, 0x31);
	p = ingenic_nor_db_find(&db, 0xef7018, NULL);
	ck_assert_uint_eq(p->cmd[INGENIC_NOR_EN4B].cmd, 0xffff);
	ck_assert_uint_eq(p->cmd[INGENIC_NOR_EN4B].addr_bytes, 0xff);
	ck_assert_str_eq(ingenic_nor_db_find(&db, 0xef4017, "W25Q64JV")->name, "W25Q64JV");
	ck_assert_str_eq(ingenic_nor_db_find(&db, 0xef4017, "W25Q64FV")->name, "W25Q64FV");
	ck_assert_ptr_null(ingenic_nor_db_find(&db, 0x123456, NULL));
	ingenic_nor_db_free(&db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ingenic_board");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, board_file_round_trip, 0, sizeof(board_sets) / sizeof(board_sets[0]));
	tcase_add_test(tc, prj008_board_file_reads_well);
	tcase_add_test(tc, mmc_board_file_reads_well);
	tcase_add_test(tc, erase_choices_set_the_fields);
	tcase_add_test(tc, minimal_board_file);
	tcase_add_loop_test(tc, bad_board_file, 0, sizeof(bad_boards) / sizeof(bad_boards[0]));
	tcase_add_test(tc, long_line_is_refused);
	tcase_add_test(tc, bad_spiflashinfo);
	tcase_add_test(tc, spiflashinfo_lookup);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
