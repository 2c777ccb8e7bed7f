/* SPDX-License-Identifier: MIT */
#include "progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define REDRAW_NS 100000000u

int ub_progress_mode_parse(const char *s)
{
	if (strcmp(s, "auto") == 0)
		return UB_PROGRESS_AUTO;
	if (strcmp(s, "always") == 0)
		return UB_PROGRESS_ALWAYS;
	if (strcmp(s, "never") == 0)
		return UB_PROGRESS_NEVER;
	return -1;
}

void ub_progress_start(struct ub_progress *p, enum ub_progress_mode mode,
		       const char *label, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->f = stderr;
	p->label = label;
	p->total = total;
	p->enabled = mode == UB_PROGRESS_ALWAYS ||
		     (mode == UB_PROGRESS_AUTO && isatty(STDERR_FILENO));
	p->start_ns = ub_clock_ns();
}

static void draw(struct ub_progress *p, uint64_t done, uint64_t t)
{
	double secs = (double)(t - p->start_ns) / 1e9;
	double rate = secs > 0 ? (double)done / secs : 0;
	unsigned pct = p->total ? (unsigned)(done * 100 / p->total) : 100;
	long eta = rate > 0 ? (long)((double)(p->total - done) / rate) : 0;

	fprintf(p->f, "\r%s %3u%% %8.1f KiB/s ETA %ld:%02ld ", p->label, pct,
		rate / 1024, eta / 60, eta % 60);
	fflush(p->f);
	p->drawn = 1;
}

void ub_progress_update(struct ub_progress *p, uint64_t done)
{
	uint64_t t;

	if (!p->enabled)
		return;
	t = ub_clock_ns();
	if (done < p->total && p->drawn && t - p->last_ns < REDRAW_NS)
		return;
	p->last_ns = t;
	draw(p, done > p->total ? p->total : done, t);
}

void ub_progress_end(struct ub_progress *p)
{
	if (p->enabled && p->drawn)
		fprintf(p->f, "\r\033[K");
	p->drawn = 0;
}
