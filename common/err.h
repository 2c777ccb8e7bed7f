/* SPDX-License-Identifier: MIT */
/*
 * Errors and exit statuses. Library code never prints and never exits: it
 * fills a struct ub_err with one line and the exit status the program should
 * use, and returns -1.
 */
#ifndef UNBRICK_ERR_H
#define UNBRICK_ERR_H

enum ub_status {
	UB_OK = 0,
	UB_EFAIL = 1,    /* the operation failed: device error, verify mismatch */
	UB_EUSAGE = 2,   /* usage or bad input: arguments, image file, config */
	UB_ENODEV = 3,   /* no device, or no answer */
	UB_EINTR = 130,  /* interrupted by SIGINT */
};

struct ub_err {
	int status;
	char msg[512];
};

/* Record the error (first one wins unless ub_err_clear) and return -1. */
int ub_fail(struct ub_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, appending ": strerror(errno)". */
int ub_fail_errno(struct ub_err *err, int status, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void ub_err_clear(struct ub_err *err);

#endif
