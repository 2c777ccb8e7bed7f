/* SPDX-License-Identifier: MIT */
#include "verify.h"

#include <inttypes.h>

void ub_verify_start(struct ub_verify *v, struct ub_input *in, uint64_t offset)
{
	*v = (struct ub_verify){ .in = in, .at = offset };
}

static void count_differences(struct ub_verify *v, const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		if (!v->bad)
			v->first_bad = v->at + i;
		v->bad++;
	}
}

int ub_verify_sink(void *arg, const uint8_t *data, size_t len, struct ub_err *err)
{
	struct ub_verify *v = arg;
	uint8_t image[4096];

	while (len) {
		size_t n = len < sizeof(image) ? len : sizeof(image);

		if (ub_input_read(v->in, image, n, err) < 0)
			return -1;
		count_differences(v, data, image, n);
		v->at += n;
		data += n;
		len -= n;
	}
	return 0;
}

int ub_verify_result(const struct ub_verify *v, struct ub_err *err)
{
	if (!v->bad)
		return 0;
	return ub_fail(err, UB_EFAIL, "verify failed: %" PRIu64 " bytes differ, the first at 0x%06"
		       PRIx64, v->bad, v->first_bad);
}
