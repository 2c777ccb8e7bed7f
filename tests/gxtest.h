/* SPDX-License-Identifier: MIT */
/*
 * GX test fixtures: a flash image and a loader the emulator accepts, a box's
 * files, the emulator as a process of its own, and what a user sees.
 */
#ifndef UNBRICK_GXTEST_H
#define UNBRICK_GXTEST_H

#include <stddef.h>
#include <stdint.h>

#include "testutil.h"

#define GXT_FLASH_SIZE (4u << 20)
#define GXT_OTP_SIZE 1024u

/* Made by gxt_make_files (an unchecked fixture), removed by gxt_remove_files. */
extern char gxt_flash[64], gxt_otp[64], gxt_loader[64];
void gxt_make_files(void);
void gxt_remove_files(void);

/* Random bytes from the suites' one generator. */
void gxt_random_file(const char *path, size_t len);
/* A loader the emulator accepts: the "toob" header, chip id and baud, then code. */
void gxt_make_loader(const char *path, uint16_t chip, uint32_t baud, size_t len);

/* The emulator's files for one box, and its model spec over gxt_flash and gxt_otp. */
struct gxt_box {
	char trace[64], rx[64], save[64], stats[64];
	char model_spec[512];   /* "gx,image=...,otp=...,trace=...,rx=...,save=...,stats=..." */
};
void gxt_box_files(struct gxt_box *b);
void gxt_box_free(struct gxt_box *b);

/* Does [at, at + len) of the saved flash differ from the image? */
int gxt_flash_differs_from(const char *saved, const char *image, size_t at, size_t len);

/* What a user sees: exactly one "gx-upload: " line on stderr with msg, and the status. */
void gxt_assert_error(const struct tu_run *r, int status, const char *msg);


#endif
