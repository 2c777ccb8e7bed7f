/* SPDX-License-Identifier: MIT */
/*
 * ingenic-usbboot test fixtures, for its end-to-end and hostile suites: the
 * prj008 board set of ../shared/data/ingenic, a flash of old firmware and
 * images to write, an emulated camera's files, and the program's run.
 */
#ifndef UNBRICK_INGENICTEST_H
#define UNBRICK_INGENICTEST_H

#include <stddef.h>

#include "testutil.h"

#define INGT_MIB (1u << 20)
#define INGT_FLASH (16u * INGT_MIB)
/* An image inside prj008's rootfs, cut off the 32 KiB erase blocks at both ends. */
#define INGT_PART_AT 0x301234u
#define INGT_PART_LEN (300u * 1024 + 0x100)
#define INGT_PART_AT_S "0x301234"

/* No config file is read: the runs see only their command line. */
extern const char *const ingt_no_config[];

/* Made by ingt_make_files (an unchecked fixture), removed by ingt_remove_files. */
struct ingt_files {
	int have;               /* 0: ../shared/data is absent, and the cases skip */
	char data[200];         /* ../shared/data/ingenic, absolute */
	char prj008[256], mmc0[256], t20[256], t41[256];  /* board sets in it */
	char old[64];           /* INGT_FLASH bytes: the flash before a write */
	char img16[64];         /* INGT_FLASH bytes: a whole-flash image */
	char part[64];          /* INGT_PART_LEN bytes: the image for INGT_PART_AT */
};
extern struct ingt_files ingt;

/* The random files from seed, seed + 1 and seed + 2 (a suite's own data). */
void ingt_make_files(unsigned seed);
void ingt_remove_files(void);

/* One emulated camera's files: they start empty and the emulator fills them. */
struct ingt_dev {
	char save[64], stats[64], wire[64], trace[64];
	char spec[1024];
};
/* "sim:MODEL,save=...,stats=...,wire=...,trace=...[,MORE]"; returns d->spec. */
const char *ingt_dev_start(struct ingt_dev *d, const char *model, const char *more);
/* The same with image=ingt.old first in MORE: the camera holds the old flash. */
const char *ingt_dev_with_old(struct ingt_dev *d, const char *model, const char *more);
void ingt_dev_free(struct ingt_dev *d);
/* Does the flash the camera saved hold ingt.part at offset at? */
int ingt_holds_part(const struct ingt_dev *d, size_t at);
/* No transfer reached the camera: no stats, or none counted, and none on the wire. */
int ingt_untouched(const struct ingt_dev *d);
/*
 * Booted and asked for its flash id, perhaps, but nothing set up or written:
 * no INIT (0x11, which may erase the chip) and no WRITE (0x12).
 */
int ingt_nothing_written(const struct ingt_dev *d);

/*
 * ingenic-usbboot [-q] --usb SPEC [--board-dir BOARD] ARGS... ("@IMAGE" is
 * ingt.part), stdin from stdin_path (NULL: /dev/null), without config files.
 */
void ingt_run(struct tu_run *r, int quiet, const char *spec, const char *board,
	      const char *stdin_path, const char *const *args);

/* How often text occurs in a file (a wire= or trace= file). */
int ingt_count_in_file(const char *path, const char *text);
void ingt_copy_file(const char *from_dir, const char *name, const char *to_dir);
/* A new directory /tmp/unbrick-test-XXXXXX (path in buf), and its removal with all in it. */
void ingt_tmpdir(char *buf, size_t len);
void ingt_remove_tree(const char *dir);

#endif
