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

/* The emulator as a process of its own (build/uart-sim SPEC) on a pty, which outlives runs. */
struct gxt_sim {
	struct tu_child child;
	char path[256];         /* the pty for -p */
};
void gxt_sim_start(struct gxt_sim *sim, const char *spec);
/* Stop it (SIGTERM), which writes its files; fails the test if it did not exit 0. */
void gxt_sim_stop(struct gxt_sim *sim);

/* What a user sees: exactly one "gx-upload: " line on stderr with msg, and the status. */
void gxt_assert_error(const struct tu_run *r, int status, const char *msg);

/* Files the box writes. */
int gxt_file_has(const char *path, const char *text);
/* Wait until the file has text (up to 10 s; a trace is written as the box runs). */
void gxt_wait_for_text(const char *path, const char *text);
int gxt_count_lines_starting(const char *path, const char *prefix);

#endif
