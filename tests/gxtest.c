/* SPDX-License-Identifier: MIT */
#include "gxtest.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char gxt_flash[64], gxt_otp[64], gxt_loader[64];

static uint32_t rng = 12345;

static uint8_t next_random(void)
{
	rng = rng * 1103515245u + 12345u;
	return (uint8_t)(rng >> 16);
}

void gxt_random_file(const char *path, size_t len)
{
	uint8_t *b = malloc(len);

	for (size_t i = 0; i < len; i++)
		b[i] = next_random();
	tu_write_file(path, b, len);
	free(b);
}

void gxt_make_loader(const char *path, uint16_t chip, uint32_t baud, size_t len)
{
	uint8_t *b = malloc(len);

	for (size_t i = 0; i < len; i++)
		b[i] = next_random();
	memset(b, 0, 0x20);
	memcpy(b, "toob", 4);
	b[5] = 1;
	b[6] = (uint8_t)chip;
	b[7] = (uint8_t)(chip >> 8);
	for (int i = 0; i < 4; i++)
		b[8 + i] = (uint8_t)(baud >> (8 * i));
	tu_write_file(path, b, len);
	free(b);
}

/* Half random, half never programmed: OTP bits only go 0 -> 1. */
static void make_otp(const char *path)
{
	uint8_t otp[GXT_OTP_SIZE] = { 0 };

	for (size_t i = 0; i < GXT_OTP_SIZE / 2; i++)
		otp[i] = next_random();
	tu_write_file(path, otp, sizeof(otp));
}

void gxt_make_files(void)
{
	tu_tmpfile(gxt_flash, sizeof(gxt_flash));
	gxt_random_file(gxt_flash, GXT_FLASH_SIZE);
	tu_tmpfile(gxt_otp, sizeof(gxt_otp));
	make_otp(gxt_otp);
	tu_tmpfile(gxt_loader, sizeof(gxt_loader));
	gxt_make_loader(gxt_loader, 0x6701, 115200, 24 * 1024);
}

void gxt_remove_files(void)
{
	unlink(gxt_flash);
	unlink(gxt_otp);
	unlink(gxt_loader);
}

void gxt_box_files(struct gxt_box *b)
{
	memset(b, 0, sizeof(*b));
	tu_tmpfile(b->trace, sizeof(b->trace));
	tu_tmpfile(b->rx, sizeof(b->rx));
	tu_tmpfile(b->save, sizeof(b->save));
	tu_tmpfile(b->stats, sizeof(b->stats));
	snprintf(b->model_spec, sizeof(b->model_spec),
		 "gx,image=%s,otp=%s,trace=%s,rx=%s,save=%s,stats=%s", gxt_flash, gxt_otp, b->trace,
		 b->rx, b->save, b->stats);
}

void gxt_box_free(struct gxt_box *b)
{
	unlink(b->trace);
	unlink(b->rx);
	unlink(b->save);
	unlink(b->stats);
}

int gxt_flash_differs_from(const char *saved, const char *image, size_t at, size_t len)
{
	size_t slen, ilen;
	uint8_t *s = tu_read_file(saved, &slen), *i = tu_read_file(image, &ilen);
	int differs = slen < at + len || ilen < at + len || memcmp(s + at, i + at, len) != 0;

	free(s);
	free(i);
	return differs;
}

void gxt_assert_error(const struct tu_run *r, int status, const char *msg)
{
	tu_assert_one_error(r, "gx-upload", status, msg);
}

