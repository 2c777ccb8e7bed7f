/* SPDX-License-Identifier: MIT */
/*
 * The SPI and GPIO layers' backend tables (spiflash/spi.c, gpio/gpio.c), the
 * spec's speed= (the SPI layer's own option) and how ub_beken_connect uses it,
 * and a signal during entry into flash mode (spiflash/beken.c).
 *
 * Library cases run on the BK72xx emulator (sim:) in model time, through a
 * recording SPI master wrapped around it: it notes the clock of every frame
 * and every CEN edge, and can raise the stop flag after a number of frames
 * or waits. Program cases run UB_BUILD_DIR/beken-spi.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "beken.h"
#include "gpio.h"
#include "gpio_gpiod.h"
#include "spi.h"
#include "testutil.h"

#define MAN_PAGE "Documentation/beken-spi.1"
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define assert_msg_has(err, needle)                                          \
	ck_assert_msg(strstr((err).msg, (needle)) != NULL,                    \
		      "error message \"%s\" should mention \"%s\"", (err).msg, \
		      (needle))

/* ---- the recording master ---- */

struct rec {
	const struct ub_spi_ops *ops;  /* the emulator's */
	void *priv;
	uint32_t hz;
	unsigned frames, cen_sets, delays;
	uint32_t first_hz, min_hz, max_hz;
	volatile sig_atomic_t stop;
	unsigned stop_after_frames;    /* 0: never */
	unsigned stop_after_delays;    /* 0: never */
	struct ub_gpio_line *cen;      /* the emulator's own CEN */
};

static int rec_frame(void *priv, const struct ub_spi_seg *segs, size_t nsegs,
		     struct ub_err *err)
{
	struct rec *r = priv;

	if (!r->frames++)
		r->first_hz = r->min_hz = r->max_hz = r->hz;
	if (r->hz < r->min_hz)
		r->min_hz = r->hz;
	if (r->hz > r->max_hz)
		r->max_hz = r->hz;
	if (r->stop_after_frames && r->frames == r->stop_after_frames)
		r->stop = SIGINT;
	return r->ops->frame(r->priv, segs, nsegs, err);
}

static int rec_set_speed(void *priv, uint32_t hz, uint32_t *actual, struct ub_err *err)
{
	struct rec *r = priv;

	r->hz = hz;
	return r->ops->set_speed(r->priv, hz, actual, err);
}

static void rec_delay_us(void *priv, uint64_t us)
{
	struct rec *r = priv;

	if (r->stop_after_delays && ++r->delays == r->stop_after_delays)
		r->stop = SIGINT;
	r->ops->delay_us(r->priv, us);
}

static uint64_t rec_now_ns(void *priv)
{
	struct rec *r = priv;

	return r->ops->now_ns(r->priv);
}

static int rec_close(void *priv, struct ub_err *err)
{
	struct rec *r = priv;

	return r->ops->close(r->priv, err);
}

static const struct ub_spi_ops rec_ops = {
	.frame = rec_frame,
	.set_speed = rec_set_speed,
	.delay_us = rec_delay_us,
	.now_ns = rec_now_ns,
	.close = rec_close,
};

static int rec_cen_set(void *priv, int value, struct ub_err *err)
{
	struct rec *r = priv;

	r->cen_sets++;
	return ub_gpio_set(r->cen, value, err);
}

static const struct ub_gpio_ops rec_cen_ops = { .set = rec_cen_set };

/* Open spec (an emulator) and put the recorder between it and the caller. */
static struct ub_spi *rec_open(const char *spec, struct rec *r, struct ub_gpio_line **cen)
{
	struct ub_spi *spi = NULL;
	struct ub_err err;

	memset(r, 0, sizeof(*r));
	ub_err_clear(&err);
	ck_assert_msg(ub_spi_open(spec, NULL, &spi, &err) == 0, "%s: %s", spec, err.msg);
	ck_assert_int_eq(ub_spi_own_line(spi, &r->cen, &err), 0);
	ck_assert_ptr_nonnull(r->cen);
	r->ops = spi->ops;
	r->priv = spi->priv;
	r->hz = spi->speed_hz;
	spi->ops = &rec_ops;
	spi->priv = r;
	*cen = ub_gpio_line_new(&rec_cen_ops, r, "sim CEN");
	ck_assert_ptr_nonnull(*cen);
	return spi;
}

static void rec_close_all(struct ub_spi *spi, struct rec *r, struct ub_gpio_line *cen)
{
	struct ub_err err;

	ub_gpio_close(cen);
	ub_gpio_close(r->cen);
	ub_err_clear(&err);
	ck_assert_msg(ub_spi_close(spi, &err) == 0, "%s", err.msg);
}

/* Connect through the recorder; returns ub_beken_connect's result. */
static int connect_with(const char *spec, uint32_t speed, struct rec *r,
			uint32_t *hz, struct ub_err *err)
{
	struct ub_gpio_line *cen;
	struct ub_spi *spi = rec_open(spec, r, &cen);
	uint8_t id[3];
	int rc;

	ub_err_clear(err);
	rc = ub_beken_connect(spi, cen, speed, &r->stop, id, NULL, err);
	*hz = spi->speed_hz;
	rec_close_all(spi, r, cen);
	return rc;
}

static void connects(const char *spec, uint32_t speed, struct rec *r, uint32_t want_hz)
{
	struct ub_err err;
	uint32_t hz;

	ck_assert_msg(connect_with(spec, speed, r, &hz, &err) == 0, "%s: %s", spec, err.msg);
	ck_assert_uint_eq(hz, want_hz);
}

/* ---- the tables ---- */

static char *man_page(void)
{
	return tu_read_man_page(MAN_PAGE);
}

START_TEST(spi_usages_in_man_page)
{
	char *man = man_page();
	const struct ub_spi_backend *b;

	for (b = ub_spi_backends; b->backend.name; b++) {
		ck_assert_msg(strncmp(b->backend.usage, b->backend.name, strlen(b->backend.name)) == 0 &&
			      b->backend.usage[strlen(b->backend.name)] == ':',
			      "usage '%s' does not start with '%s:'", b->backend.usage, b->backend.name);
		ck_assert_msg(strstr(man, b->backend.usage), MAN_PAGE " lacks the usage '%s'", b->backend.usage);
	}
	free(man);
}
END_TEST

START_TEST(gpio_usages_in_man_page)
{
	char *man = man_page();
	const struct ub_gpio_backend *b;

	/* the character device's line is there whether or not this build has it */
	ck_assert_msg(strstr(man, UB_GPIOD_USAGE), MAN_PAGE " lacks '%s'", UB_GPIOD_USAGE);
	for (b = ub_gpio_backends; b->backend.name; b++)
		ck_assert_msg(strstr(man, b->backend.usage), MAN_PAGE " lacks the usage '%s'", b->backend.usage);
	free(man);
}
END_TEST

START_TEST(unknown_spi_backend_lists_every_usage)
{
	const struct ub_spi_backend *b;
	struct ub_spi *spi = (struct ub_spi *)&spi;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_spi_open("foo:bar", NULL, &spi, &err), -1);
	ck_assert_ptr_null(spi);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	assert_msg_has(err, "unknown SPI backend 'foo' in 'foo:bar': use ");
	for (b = ub_spi_backends; b->backend.name; b++)
		assert_msg_has(err, b->backend.usage);
}
END_TEST

START_TEST(own_line)
{
	struct ub_gpio_line *a = NULL, *b = (struct ub_gpio_line *)&b;
	struct ub_spi *spi;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_spi_open("sim:bk7231n", NULL, &spi, &err), 0);
	ck_assert_int_eq(ub_spi_own_line(spi, &a, &err), 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(ub_spi_own_line(spi, &b, &err), -1);
	ck_assert_ptr_null(b);
	assert_msg_has(err, "CEN is already in use");
	ub_gpio_close(a);
	ck_assert_int_eq(ub_spi_close(spi, &err), 0);
}
END_TEST

static const struct ub_spi_ops no_line_ops = { .frame = NULL };

START_TEST(own_line_none)
{
	struct ub_spi spi = { .ops = &no_line_ops };
	struct ub_gpio_line *line = (struct ub_gpio_line *)&line;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_spi_own_line(&spi, &line, &err), 0);
	ck_assert_ptr_null(line);
	ck_assert_int_eq(err.status, UB_OK);
}
END_TEST

/* ---- speed= in the spec ---- */

struct bad_speed {
	const char *spec, *says;
};

static const struct bad_speed bad_speeds[] = {
	{ "sim:bk7231n,speed=fast", "sim: bad speed 'fast' (e.g. speed=1M)" },
	{ "sim:bk7231n,speed=", "sim: bad speed ''" },
	{ "sim:bk7231n,speed", "sim: bad speed ''" },
	{ "sim:bk7231n,speed=0", "sim: bad speed '0'" },
	{ "sim:bk7231n,speed=300M", "sim: bad speed '300M'" },
	{ "sim:bk7231n,speed=1M,dead,speed=2M", "sim: speed given twice" },
	{ "spidev:/dev/null,speed=fast", "spidev: bad speed 'fast'" },
	/* the rest still goes to the backend */
	{ "sim:bk7231n,speed=1M,bogus=1", "bogus" },
	{ "spidev:/dev/null,speed=1M,mode=2", "use mode=0 or mode=3" },
};

START_TEST(bad_spec_speed)
{
	const struct bad_speed *bs = &bad_speeds[_i];
	struct ub_spi *spi = (struct ub_spi *)&spi;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_spi_open(bs->spec, NULL, &spi, &err), -1);
	ck_assert_ptr_null(spi);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	assert_msg_has(err, bs->says);
}
END_TEST

START_TEST(spec_speed_sets_the_clock)
{
	struct ub_spi *spi;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_spi_open("sim:bk7231n,speed=500k,size=1M", NULL, &spi, &err), 0);
	ck_assert_uint_eq(spi->spec_hz, 500000);
	ck_assert_uint_eq(spi->speed_hz, 500000);
	ck_assert_int_eq(ub_spi_close(spi, &err), 0);
	ck_assert_int_eq(ub_spi_open("sim:bk7231n", NULL, &spi, &err), 0);
	ck_assert_uint_eq(spi->spec_hz, 0);
	ck_assert_int_eq(ub_spi_close(spi, &err), 0);
}
END_TEST

/* No --speed, speed=H: a fixed run at H, no ladder. */
START_TEST(spec_speed_is_a_fixed_run)
{
	struct rec r;

	connects("sim:bk7231n,speed=500k", UB_BEKEN_SPEED_DEFAULT, &r, 500000);
	ck_assert_uint_eq(r.min_hz, 500000);
	ck_assert_uint_eq(r.max_hz, 500000);
}
END_TEST

/* A fixed run does not step down: all ten tries are at H. */
START_TEST(spec_speed_fixed_does_not_step_down)
{
	struct ub_err err;
	struct rec r;
	uint32_t hz;

	ck_assert_int_eq(connect_with("sim:bk7231n,speed=5M,dead", UB_BEKEN_SPEED_DEFAULT,
				      &r, &hz, &err), -1);
	ck_assert_int_eq(err.status, UB_ENODEV);
	ck_assert_uint_eq(r.frames, UB_BEKEN_TRIES);
	ck_assert_uint_eq(r.min_hz, 5000000);
	ck_assert_uint_eq(r.max_hz, 5000000);
	assert_msg_has(err, "after 10 tries at 5 MHz");
}
END_TEST

/* --speed auto, speed=H on a step: the ladder starts at H. */
START_TEST(auto_starts_at_spec_step)
{
	struct rec r;

	connects("sim:bk7231n,speed=5M", UB_BEKEN_SPEED_AUTO, &r, 5000000);
	ck_assert_uint_eq(r.first_hz, 5000000);
	ck_assert_uint_eq(r.max_hz, 5000000);
}
END_TEST

/* --speed auto, speed=H between steps: H first, then the steps below H. */
START_TEST(auto_tries_spec_then_steps_below)
{
	struct rec r;

	connects("sim:bk7231n,speed=3M,maxclock=2500k", UB_BEKEN_SPEED_AUTO, &r, 2000000);
	ck_assert_uint_eq(r.first_hz, 3000000);
	ck_assert_uint_eq(r.max_hz, 3000000);
}
END_TEST

/* Below the slowest step: H is the only speed, and the message says so. */
START_TEST(auto_below_the_ladder)
{
	struct ub_err err;
	struct rec r;
	uint32_t hz;

	connects("sim:bk7231n,speed=20k", UB_BEKEN_SPEED_AUTO, &r, 20000);
	ck_assert_uint_eq(r.max_hz, 20000);
	ck_assert_int_eq(connect_with("sim:bk7231n,speed=20k,dead", UB_BEKEN_SPEED_AUTO,
				      &r, &hz, &err), -1);
	ck_assert_int_eq(err.status, UB_ENODEV);
	assert_msg_has(err, "no answer to 0xD2 after 2 tries at 20 kHz");
}
END_TEST

START_TEST(auto_failure_names_the_ladder_from_spec)
{
	struct ub_err err;
	struct rec r;
	uint32_t hz;

	ck_assert_int_eq(connect_with("sim:bk7231n,speed=3M,dead", UB_BEKEN_SPEED_AUTO,
				      &r, &hz, &err), -1);
	assert_msg_has(err, "no answer to 0xD2 at any speed from 3 MHz down to 30 kHz");
	ck_assert_uint_eq(r.max_hz, 3000000);
	ck_assert_uint_eq(r.min_hz, 30000);
}
END_TEST

/* Neither: auto from the top of the ladder, as before. */
START_TEST(no_spec_speed_auto_from_the_top)
{
	struct rec r;

	connects("sim:bk7231n", UB_BEKEN_SPEED_DEFAULT, &r, 20000000);
	ck_assert_uint_eq(r.first_hz, 20000000);
	connects("sim:bk7231n,maxclock=1M", UB_BEKEN_SPEED_AUTO, &r, 1000000);
	ck_assert_uint_eq(r.first_hz, 20000000);
}
END_TEST

START_TEST(fixed_speed_at_or_below_spec)
{
	struct rec r;

	connects("sim:bk7231n,speed=1M", 500000, &r, 500000);
	ck_assert_uint_eq(r.max_hz, 500000);
	connects("sim:bk7231n,speed=1M", 1000000, &r, 1000000);
	connects("sim:bk7231n", 2000000, &r, 2000000);
}
END_TEST

/* --speed N above speed=H: refused before CEN or the bus is touched. */
START_TEST(fixed_speed_above_spec_refused)
{
	struct ub_err err;
	struct rec r;
	uint32_t hz;

	ck_assert_int_eq(connect_with("sim:bk7231n,speed=1M", 2000000, &r, &hz, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_str_eq(err.msg, "--speed 2 MHz is above speed=1 MHz of --spi sim:bk7231n: use a lower --speed, or raise speed=");
	ck_assert_uint_eq(r.frames, 0);
	ck_assert_uint_eq(r.cen_sets, 0);
}
END_TEST

/* ---- a signal while entering flash mode ---- */

START_TEST(stop_before_entry)
{
	struct ub_gpio_line *cen;
	struct rec r;
	struct ub_spi *spi = rec_open("sim:bk7231n", &r, &cen);
	struct ub_err err;
	uint8_t id[3];

	r.stop = SIGINT;
	ub_err_clear(&err);
	ck_assert_int_eq(ub_beken_connect(spi, cen, UB_BEKEN_SPEED_AUTO, &r.stop, id, NULL, &err), -1);
	ck_assert_int_eq(err.status, UB_EINTR);
	ck_assert_str_eq(err.msg, "interrupted while entering flash mode");
	ck_assert_uint_eq(r.frames, 0);
	rec_close_all(spi, &r, cen);
}
END_TEST

/* Between tries: no frame after the one that saw the signal. */
START_TEST(stop_between_tries)
{
	struct ub_gpio_line *cen;
	struct rec r;
	struct ub_spi *spi = rec_open("sim:bk7231n,dead", &r, &cen);
	struct ub_err err;
	uint8_t id[3];

	r.stop_after_frames = 3;
	ub_err_clear(&err);
	ck_assert_int_eq(ub_beken_connect(spi, cen, UB_BEKEN_SPEED_AUTO, &r.stop, id, NULL, &err), -1);
	ck_assert_int_eq(err.status, UB_EINTR);
	ck_assert_str_eq(err.msg, "interrupted while entering flash mode");
	ck_assert_uint_eq(r.frames, 3);
	rec_close_all(spi, &r, cen);
}
END_TEST

/* In the 100 ms CEN-low wait: it ends at the next slice, with no frame. */
START_TEST(stop_during_cen_wait)
{
	struct ub_gpio_line *cen;
	struct rec r;
	struct ub_spi *spi = rec_open("sim:bk7231n", &r, &cen);
	struct ub_err err;
	uint8_t id[3];

	r.stop_after_delays = 2;
	ub_err_clear(&err);
	ck_assert_int_eq(ub_beken_connect(spi, cen, 1000000, &r.stop, id, NULL, &err), -1);
	ck_assert_int_eq(err.status, UB_EINTR);
	ck_assert_uint_eq(r.delays, 2);
	ck_assert_uint_eq(r.frames, 0);
	ck_assert_uint_eq(r.cen_sets, 1);  /* CEN went low, and stays so */
	rec_close_all(spi, &r, cen);
}
END_TEST

/* ---- the program ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether the child's stderr so far holds needle. */
static int child_said(const struct tu_child *c, const char *needle)
{
	char buf[4096];
	ssize_t n = pread(c->err, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/*
 * issue 8 item 8: Ctrl-C at 0.3 s on a chip that never answers. The signal
 * goes once the first entry try has failed (-v says so), so that under
 * valgrind, where the program starts slowly, it still lands in the entry.
 */
START_TEST(sigint_while_entering)
{
	struct timespec tick = { 0, 10000000 };
	struct tu_child child;
	struct tu_run r;
	double t0, sent;
	const char *last;

	tu_spawn(&child, "beken-spi", ARGS("XDG_CONFIG_HOME=/nonexistent"),
		 ARGS("-v", "--spi", "sim:bk7231n,dead,pace", "detect"));
	t0 = now_s();
	while (!child_said(&child, "entry try 1:") || now_s() - t0 < 0.3) {
		ck_assert_msg(now_s() - t0 < 60, "no entry try in 60 s");
		nanosleep(&tick, NULL);
	}
	kill(child.pid, SIGINT);
	sent = now_s();
	tu_wait(&child, &r);
	ck_assert_msg(r.status == 130, "exit status %d: %s", r.status, r.err);
	last = strstr(r.err, "beken-spi: interrupted");
	ck_assert_msg(last && !strcmp(last, "beken-spi: interrupted while entering flash mode\n"),
		      "%s", r.err);
	ck_assert_msg(now_s() - sent < 2.0, "took %.2f s to stop", now_s() - sent);
	tu_run_free(&r);
}
END_TEST

START_TEST(program_spec_speed)
{
	struct tu_run r;

	tu_run(&r, "beken-spi", NULL, ARGS("XDG_CONFIG_HOME=/nonexistent"),
	       ARGS("--spi", "sim:bk7231n,speed=500k", "detect"));
	ck_assert_msg(r.status == 0, "%d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.out, "speed:      500 kHz\n"), "%s", r.out);
	tu_run_free(&r);
	tu_run(&r, "beken-spi", NULL, ARGS("XDG_CONFIG_HOME=/nonexistent"),
	       ARGS("--spi", "sim:bk7231n,speed=3M,maxclock=2500k", "--speed", "auto", "detect"));
	ck_assert_msg(r.status == 0, "%d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.out, "speed:      2 MHz\n"), "%s", r.out);
	ck_assert_msg(strstr(r.err, "using 2 MHz (--speed auto)"), "%s", r.err);
	tu_run_free(&r);
}
END_TEST

START_TEST(program_speed_above_spec)
{
	char stats[256];
	struct tu_run r;
	char spec[300];

	tu_tmpfile(stats, sizeof(stats));
	snprintf(spec, sizeof(spec), "sim:bk7231n,speed=1M,stats=%s", stats);
	tu_run(&r, "beken-spi", NULL, ARGS("XDG_CONFIG_HOME=/nonexistent"),
	       ARGS("--spi", spec, "--speed", "2M", "detect"));
	ck_assert_msg(r.status == 2, "%d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "--speed 2 MHz is above speed=1 MHz of --spi sim:bk7231n"), "%s", r.err);
	ck_assert_int_eq(tu_count_lines(r.err), 1);
	ck_assert_uint_eq(tu_stat(stats, "frames"), 0);
	ck_assert_uint_eq(tu_stat(stats, "entries"), 0);
	unlink(stats);
	tu_run_free(&r);
}
END_TEST

static Suite *spi_suite(void)
{
	Suite *s = suite_create("spi");
	TCase *tables = tcase_create("tables");
	TCase *speed = tcase_create("speed");
	TCase *stop = tcase_create("stop");
	TCase *program = tcase_create("program");

	tcase_add_test(tables, spi_usages_in_man_page);
	tcase_add_test(tables, gpio_usages_in_man_page);
	tcase_add_test(tables, unknown_spi_backend_lists_every_usage);
	tcase_add_test(tables, own_line);
	tcase_add_test(tables, own_line_none);
	suite_add_tcase(s, tables);

	tcase_add_loop_test(speed, bad_spec_speed, 0, (int)(sizeof(bad_speeds) / sizeof(bad_speeds[0])));
	tcase_add_test(speed, spec_speed_sets_the_clock);
	tcase_add_test(speed, spec_speed_is_a_fixed_run);
	tcase_add_test(speed, spec_speed_fixed_does_not_step_down);
	tcase_add_test(speed, auto_starts_at_spec_step);
	tcase_add_test(speed, auto_tries_spec_then_steps_below);
	tcase_add_test(speed, auto_below_the_ladder);
	tcase_add_test(speed, auto_failure_names_the_ladder_from_spec);
	tcase_add_test(speed, no_spec_speed_auto_from_the_top);
	tcase_add_test(speed, fixed_speed_at_or_below_spec);
	tcase_add_test(speed, fixed_speed_above_spec_refused);
	suite_add_tcase(s, speed);

	tcase_add_test(stop, stop_before_entry);
	tcase_add_test(stop, stop_between_tries);
	tcase_add_test(stop, stop_during_cen_wait);
	suite_add_tcase(s, stop);

	tcase_add_test(program, sigint_while_entering);
	tcase_add_test(program, program_spec_speed);
	tcase_add_test(program, program_speed_above_spec);
	suite_add_tcase(s, program);
	return s;
}

int main(void)
{
	return tu_main(spi_suite());
}
