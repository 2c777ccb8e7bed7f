/* SPDX-License-Identifier: MIT */
/* The wall clock (CLOCK_MONOTONIC), for transports that wait in real time. */
#ifndef UNBRICK_CLOCK_H
#define UNBRICK_CLOCK_H

#include <stdint.h>

uint64_t ub_clock_ns(void);
int64_t ub_clock_ms(void);
/* Sleep ms (nothing for ms <= 0), resumed across signals to its end. */
void ub_sleep_ms(int64_t ms);

#endif
