/* SPDX-License-Identifier: MIT */
#include "stub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int read_whole(FILE *f, size_t max, uint8_t **out, size_t *len, const char *name,
		      struct ub_err *err)
{
	uint8_t *buf = malloc(max + 1);
	size_t n;

	if (!buf)
		return ub_fail(err, UB_EFAIL, "out of memory loading %s", name);
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		free(buf);
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot read %s", name);
	}
	if (n > max) {
		free(buf);
		return ub_fail(err, UB_EUSAGE, "%s is larger than a stub can be (%zu bytes)", name, max);
	}
	*out = buf;
	*len = n;
	return 0;
}

static int gunzip(const uint8_t *in, size_t in_len, size_t max, struct ub_stub *stub,
		  struct ub_err *err)
{
	z_stream z;
	uint8_t *out = malloc(max + 1);
	int rc;

	if (!out)
		return ub_fail(err, UB_EFAIL, "out of memory loading %s", stub->name);
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		return ub_fail(err, UB_EFAIL, "cannot start gunzip for %s", stub->name);
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)in_len;
	z.next_out = out;
	z.avail_out = (uInt)(max + 1);
	rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		if (z.total_out > max)
			return ub_fail(err, UB_EUSAGE, "%s unpacks to more than a stub can be (%zu bytes)",
				       stub->name, max);
		return ub_fail(err, UB_EUSAGE, "%s is not a whole gzip stream (%s)", stub->name,
			       z.msg ? z.msg : "truncated");
	}
	stub->data = out;
	stub->len = z.total_out;
	stub->gzipped = 1;
	return 0;
}

int ub_stub_load(const char *path, size_t max, struct ub_stub *stub, struct ub_err *err)
{
	FILE *f;
	uint8_t *raw = NULL;
	size_t len = 0;
	int rc;

	memset(stub, 0, sizeof *stub);
	snprintf(stub->name, sizeof stub->name, "%s", path);
	f = fopen(path, "rb");
	if (!f)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot open stub %s", path);
	rc = read_whole(f, max, &raw, &len, stub->name, err);
	fclose(f);
	if (rc < 0)
		return -1;
	if (len >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		rc = gunzip(raw, len, max, stub, err);
		free(raw);
		if (rc < 0)
			return -1;
	} else {
		stub->data = raw;
		stub->len = len;
	}
	if (stub->len == 0) {
		ub_stub_free(stub);
		return ub_fail(err, UB_EUSAGE, "stub %s is empty", path);
	}
	return 0;
}

void ub_stub_free(struct ub_stub *stub)
{
	free(stub->data);
	stub->data = NULL;
	stub->len = 0;
}
