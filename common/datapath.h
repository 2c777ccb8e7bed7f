/* SPDX-License-Identifier: MIT */
/*
 * Vendor files (loaders, stubs, board sets) by chip name: the user's data
 * directory first, then the installed one, or one directory the user named.
 */
#ifndef UNBRICK_DATAPATH_H
#define UNBRICK_DATAPATH_H

#include <stddef.h>

#include "err.h"

#define UB_DATAPATH_DIRS 2

struct ub_datapath {
	int n;
	int given;  /* one directory the user named: that it cannot be read is an error */
	char dirs[UB_DATAPATH_DIRS][4096];
};

/*
 * dir (an explicit --loader-dir) alone when given; otherwise
 * $XDG_DATA_HOME/unbrick/SUBDIR (~/.local/share/unbrick/SUBDIR when unset,
 * left out without a HOME), then UB_DATADIR/unbrick/SUBDIR.
 */
int ub_datapath_init(struct ub_datapath *dp, const char *subdir, const char *dir,
		     struct ub_err *err);

/* What is looked for, and the words its messages use. */
struct ub_vendor_file {
	const char *what;    /* "loader" */
	const char *option;  /* "--chip" */
	const char *suffix;  /* ".boot" */
	const char *hint;    /* ends the not-found message, e.g. "give -L FILE.boot"; or NULL */
};

/*
 * The one file that name picks, case-insensitively: NAME+suffix (name may
 * carry the suffix), else the files that start with "NAME-", else those
 * that contain NAME. A file in an earlier directory hides one of the same
 * name in a later one; a missing directory is skipped. Writes DIR/FILE to
 * path. Status 2 when nothing matches (the message names the directories
 * and what they hold) or several files match equally well (it lists them).
 */
int ub_datapath_find(const struct ub_datapath *dp, const struct ub_vendor_file *vf,
		     const char *name, char *path, size_t cap, struct ub_err *err);

#endif
