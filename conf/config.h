/* SPDX-License-Identifier: MIT */
/*
 * Config files (INI, parsed by inih): a [PROGRAM] section of defaults and
 * [board NAME] profiles, whose keys are the program's long options.
 */
#ifndef UNBRICK_CONFIG_H
#define UNBRICK_CONFIG_H

#include <stddef.h>

#include "err.h"

/* Called per key; return 0, or -1 with err for an unknown key or bad value. */
typedef int (*ub_conf_apply_fn)(void *ctx, const char *key, const char *value,
				struct ub_err *err);

/*
 * Find the config: explicit_path if given (it must exist), else the first of
 * $XDG_CONFIG_HOME/unbrick/unbrick.conf (~/.config when unset) and
 * SYSCONFDIR/unbrick/unbrick.conf that exists. Apply its [program] keys,
 * then its [board NAME] keys when board is given (the board must exist).
 * No file and no board: nothing to do. used gets the path read, or "".
 */
int ub_conf_load(const char *explicit_path, const char *program,
		 const char *board, ub_conf_apply_fn apply, void *ctx,
		 char *used, size_t usedlen, struct ub_err *err);

/* Where ub_conf_load looks when no file is given, for messages. */
const char *ub_conf_search_text(void);

#endif
