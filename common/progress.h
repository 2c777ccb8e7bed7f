/* SPDX-License-Identifier: MIT */
/* Progress on stderr: percent, KiB/s and ETA on a terminal, silent in a pipe. */
#ifndef UNBRICK_PROGRESS_H
#define UNBRICK_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

enum ub_progress_mode { UB_PROGRESS_AUTO, UB_PROGRESS_ALWAYS, UB_PROGRESS_NEVER };

struct ub_progress {
	int enabled;
	FILE *f;
	const char *label;
	uint64_t total;
	uint64_t start_ns, last_ns;
	int drawn;
};

/* Parse "auto", "always", "never"; -1 if none. */
int ub_progress_mode_parse(const char *s);

void ub_progress_start(struct ub_progress *p, enum ub_progress_mode mode,
		       const char *label, uint64_t total);
void ub_progress_update(struct ub_progress *p, uint64_t done);
/* Clear the line. */
void ub_progress_end(struct ub_progress *p);

#endif
