/* SPDX-License-Identifier: MIT */
#include "ingenictest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const ingt_no_config[] = { "XDG_CONFIG_HOME=/nonexistent",
				       "XDG_DATA_HOME=/nonexistent", NULL };

struct ingt_files ingt;

void ingt_make_files(unsigned seed)
{
	char buf[512], *abs;

	ingt.have = tu_shared("ingenic/prj008/ginfo.bin", buf, sizeof(buf)) != NULL;
	if (!ingt.have)
		return;
	/* absolute: a symlink in another directory points at it */
	buf[strlen(buf) - strlen("/prj008/ginfo.bin")] = '\0';
	abs = realpath(buf, NULL);
	ck_assert_msg(abs && strlen(abs) < sizeof(ingt.data), "realpath %s", buf);
	snprintf(ingt.data, sizeof(ingt.data), "%s", abs);
	free(abs);
	snprintf(ingt.prj008, sizeof(ingt.prj008), "%s/prj008", ingt.data);
	snprintf(ingt.mmc0, sizeof(ingt.mmc0), "%s/prj008_mmc0", ingt.data);
	snprintf(ingt.t20, sizeof(ingt.t20), "%s/t20-vendor", ingt.data);
	snprintf(ingt.t41, sizeof(ingt.t41), "%s/t41n-vendor", ingt.data);
	tu_tmpfile(ingt.old, sizeof(ingt.old));
	tu_tmpfile(ingt.img16, sizeof(ingt.img16));
	tu_tmpfile(ingt.part, sizeof(ingt.part));
	tu_random_file(ingt.old, INGT_FLASH, seed);
	tu_random_file(ingt.img16, INGT_FLASH, seed + 1);
	tu_random_file(ingt.part, INGT_PART_LEN, seed + 2);
}

void ingt_remove_files(void)
{
	if (!ingt.have)
		return;
	unlink(ingt.old);
	unlink(ingt.img16);
	unlink(ingt.part);
}

const char *ingt_dev_start(struct ingt_dev *d, const char *model, const char *more)
{
	tu_tmpfile(d->save, sizeof(d->save));
	tu_tmpfile(d->stats, sizeof(d->stats));
	tu_tmpfile(d->wire, sizeof(d->wire));
	tu_tmpfile(d->trace, sizeof(d->trace));
	snprintf(d->spec, sizeof(d->spec), "sim:%s,save=%s,stats=%s,wire=%s,trace=%s%s%s", model,
		 d->save, d->stats, d->wire, d->trace, more[0] ? "," : "", more);
	return d->spec;
}

const char *ingt_dev_with_old(struct ingt_dev *d, const char *model, const char *more)
{
	char image[600];

	snprintf(image, sizeof(image), "image=%s%s%s", ingt.old, more[0] ? "," : "", more);
	return ingt_dev_start(d, model, image);
}

void ingt_dev_free(struct ingt_dev *d)
{
	unlink(d->save);
	unlink(d->stats);
	unlink(d->wire);
	unlink(d->trace);
}

int ingt_holds_part(const struct ingt_dev *d, size_t at)
{
	size_t flen, plen;
	uint8_t *flash = tu_read_file(d->save, &flen);
	uint8_t *part = tu_read_file(ingt.part, &plen);
	int holds = flen >= at + plen && !memcmp(flash + at, part, plen);

	free(flash);
	free(part);
	return holds;
}

static int file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)st.st_size : -1;
}

int ingt_untouched(const struct ingt_dev *d)
{
	int quiet_stats = file_size(d->stats) <= 0 || tu_stat(d->stats, "controls") == 0;
	int quiet_wire = file_size(d->wire) <= 0 ||
			 (ingt_count_in_file(d->wire, " control ") == 0 &&
			  ingt_count_in_file(d->wire, " bulk ") == 0);

	return quiet_stats && quiet_wire;
}

int ingt_nothing_written(const struct ingt_dev *d)
{
	return file_size(d->stats) > 0 && tu_stat(d->stats, "inits") == 0 &&
	       tu_stat(d->stats, "writes") == 0 && tu_stat(d->stats, "erased_bytes") == 0;
}

void ingt_run(struct tu_run *r, int quiet, const char *spec, const char *board,
	      const char *stdin_path, const char *const *args)
{
	const char *argv[48];
	int n = 0;

	if (quiet)
		argv[n++] = "-q";
	argv[n++] = "--usb";
	argv[n++] = spec;
	if (board) {
		argv[n++] = "--board-dir";
		argv[n++] = board;
	}
	tu_append_args(argv, n, args, ingt.part);
	tu_run(r, "ingenic-usbboot", stdin_path, ingt_no_config, argv);
}

int ingt_count_in_file(const char *path, const char *text)
{
	size_t len, tl = strlen(text);
	char *data = (char *)tu_read_file(path, &len);
	int n = 0;

	for (char *p = data; (p = strstr(p, text)); p += tl)
		n++;
	free(data);
	return n;
}

void ingt_copy_file(const char *from_dir, const char *name, const char *to_dir)
{
	char a[600], b[600];
	size_t len;
	uint8_t *data;

	snprintf(a, sizeof(a), "%s/%s", from_dir, name);
	snprintf(b, sizeof(b), "%s/%s", to_dir, name);
	data = tu_read_file(a, &len);
	tu_write_file(b, data, len);
	free(data);
}

void ingt_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/unbrick-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

void ingt_remove_tree(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
