/* SPDX-License-Identifier: MIT */
/* Comparing what a device returns with an input image, as a sink for protocol reads. */
#ifndef UNBRICK_VERIFY_H
#define UNBRICK_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "image.h"

struct ub_verify {
	struct ub_input *in;  /* read from its current position */
	uint64_t at;          /* device address of the next byte */
	uint64_t bad, first_bad;
};

void ub_verify_start(struct ub_verify *v, struct ub_input *in, uint64_t offset);
/* A sink (arg = the struct ub_verify): compares data with the next bytes of the image. */
int ub_verify_sink(void *arg, const uint8_t *data, size_t len, struct ub_err *err);
/* 0 when every byte matched, else "verify failed: N bytes differ, the first at 0x...". */
int ub_verify_result(const struct ub_verify *v, struct ub_err *err);

#endif
