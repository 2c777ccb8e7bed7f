/* SPDX-License-Identifier: MIT */
/*
 * The transports the beken-spi end-to-end suites run over: the emulated chip
 * straight on the SPI layer ("sim:MODEL,...") and the emulated CH341A in
 * front of it ("ch341a:sim,chip=MODEL,..."). Each suite adds its tests once
 * per transport, in a Check case named after it, so a failure says which.
 */
#ifndef UNBRICK_BEKENTEST_H
#define UNBRICK_BEKENTEST_H

#include <check.h>
#include <stddef.h>

#include "testutil.h"

enum bt_transport { BT_SIM, BT_CH341A, BT_TRANSPORTS };

/* The transport of the running test, and its case's name ("sim", "ch341a"). */
enum bt_transport bt_transport(void);
const char *bt_transport_name(void);
/* The adapter's clock is its own: --speed HZ, speed= and a config's speed are refused. */
int bt_fixed_clock(void);

/* One case per transport in s, with timeout seconds a test and the tests add() adds. */
void bt_add_cases(Suite *s, double timeout, void (*add)(TCase *tc, enum bt_transport t));

/*
 * The --spi spec of the emulated MODEL over the running test's transport.
 * chip_opts ("KEY[=V],...", or NULL) are the chip's: over the CH341A the
 * keys the adapter or its USB runner also has (stats=, trace=, pace, ...)
 * become chip-KEY. adapter_opts (or NULL) are the CH341A's own (unplug=N,
 * stats=, trace=); over sim they must be NULL.
 */
void bt_spec(char *buf, size_t len, const char *model, const char *chip_opts,
	     const char *adapter_opts);

/*
 * argv (NULL-terminated) with "--speed X" taken out over a fixed-clock
 * transport, for tests where the speed is incidental; out holds n entries.
 */
const char *const *bt_incidental_speed(const char **out, size_t n, const char *const *argv);

/*
 * Over a fixed-clock transport, a run whose command line asked for no
 * --speed has no message that advises one: it would be refused.
 */
void bt_assert_no_speed_advice(const struct tu_run *r, const char *const *argv);

/* The emulator wrote its stats file there: it was opened. */
int bt_chip_opened(const char *stats_path);

/*
 * A clock was asked for over a fixed-clock transport: exit 2, one line
 * saying the adapter's clock is its own, and the chip (its stats file)
 * never opened.
 */
void bt_assert_clock_refused(const struct tu_run *r, const char *stats_path);

#endif
