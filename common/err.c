/* SPDX-License-Identifier: MIT */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int record(struct ub_err *err, int status, int errnum,
		  const char *fmt, va_list ap)
{
	size_t n;

	if (!err || err->status != UB_OK)
		return -1;
	err->status = status;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	n = strlen(err->msg);
	if (errnum && n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	return -1;
}

int ub_fail(struct ub_err *err, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(err, status, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int ub_fail_errno(struct ub_err *err, int status, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(err, status, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

void ub_err_clear(struct ub_err *err)
{
	err->status = UB_OK;
	err->msg[0] = '\0';
}
