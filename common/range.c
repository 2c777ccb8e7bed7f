/* SPDX-License-Identifier: MIT */
#include "range.h"

#include <inttypes.h>

int ub_range_check(uint64_t offset, uint64_t len, uint64_t size, const char *what,
		   struct ub_err *err)
{
	if (offset >= size)
		return ub_fail(err, UB_EUSAGE, "offset 0x%06" PRIx64 " is past the end of the %" PRIu64
			       " KiB flash", offset, size / 1024);
	if (len > size)
		return ub_fail(err, UB_EUSAGE, "%s (%" PRIu64 " bytes) is larger than the flash (%" PRIu64
			       " bytes)", what, len, size);
	if (offset + len > size)
		return ub_fail(err, UB_EUSAGE, "%s at 0x%06" PRIx64 " ends at 0x%06" PRIx64 ", past the "
			       "end of the flash (0x%06" PRIx64 ")", what, offset, offset + len, size);
	return 0;
}

int ub_range_from_opts(const struct ub_common_opts *o, uint64_t size, uint64_t *offset,
		       uint64_t *len, struct ub_err *err)
{
	*offset = o->has_offset ? o->offset : 0;
	*len = 0;
	if (o->has_length && !o->length)
		return ub_fail(err, UB_EUSAGE, "--length is 0: nothing to do");
	if (*offset >= size)
		return ub_range_check(*offset, 0, size, "the range", err);
	*len = o->has_length ? o->length : size - *offset;
	return ub_range_check(*offset, *len, size, "the range", err);
}
