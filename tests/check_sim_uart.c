/* SPDX-License-Identifier: MIT */
/*
 * The UART emulator runner (sim/sim_uart*.c) with small models of its own:
 * model time (the clock, the line rate, a read's timeout and latency, a
 * write into a full buffer, the host's settings per byte), the pty runner,
 * and models that leave every optional callback NULL.
 */
#include "testutil.h"
#include "ttyview.h"
#include "sim_uart.h"
#include "../sim/sim_uart_run.h"   /* the runners, to run models not in the table */

#include <asm/termbits.h>
#include <sys/ioctl.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000ull
#define SLOT_9600 (10000000000ull / 9600)
#define SLOT_115200 (10000000000ull / 115200)

/* ---- echo: create, input and output only; every other callback NULL ---- */

struct echo {
	uint8_t buf[65536];
	size_t len;
	uint64_t last_input_ns;
	struct uart_sim_line last_alt;
	int alt_seen;
};

static void *echo_create(const char *opts, int pace, char *err, size_t errlen)
{
	(void)opts;
	(void)pace;
	(void)err;
	(void)errlen;
	return calloc(1, sizeof(struct echo));
}

static void echo_input(void *dev, uint64_t now, const uint8_t *buf, size_t n,
		       const struct uart_sim_line *alt)
{
	struct echo *e = dev;

	ck_assert_uint_le(e->len + n, sizeof(e->buf));
	memcpy(e->buf + e->len, buf, n);
	e->len += n;
	e->last_input_ns = now;
	if (alt) {
		e->last_alt = *alt;
		e->alt_seen++;
	}
}

static size_t echo_output(void *dev, uint64_t now, uint8_t *buf, size_t cap)
{
	struct echo *e = dev;
	size_t n = e->len < cap ? e->len : cap;

	(void)now;
	memcpy(buf, e->buf, n);
	memmove(e->buf, e->buf + n, e->len - n);
	e->len -= n;
	return n;
}

static const struct uart_sim_model echo_model = {
	.name = "echo",
	.create = echo_create,
	.input = echo_input,
	.output = echo_output,
};

/* ---- tick: says "t" every 50 ms of its clock (next_event), takes no input ---- */

struct tick {
	uint64_t next;
	int due;
};

static void *tick_create(const char *opts, int pace, char *err, size_t errlen)
{
	struct tick *t = calloc(1, sizeof(struct tick));

	(void)opts;
	(void)pace;
	(void)err;
	(void)errlen;
	t->next = 50 * MS;
	return t;
}

static size_t tick_room(void *dev, uint64_t now)
{
	(void)dev;
	(void)now;
	return 0;
}

static void tick_input(void *dev, uint64_t now, const uint8_t *buf, size_t n,
		       const struct uart_sim_line *alt)
{
	(void)dev;
	(void)now;
	(void)buf;
	(void)n;
	(void)alt;
	ck_abort_msg("tick has no room, yet got input");
}

static size_t tick_output(void *dev, uint64_t now, uint8_t *buf, size_t cap)
{
	struct tick *t = dev;

	if (now < t->next || !cap)
		return 0;
	t->next += 50 * MS;
	buf[0] = 't';
	return 1;
}

static uint64_t tick_next_event(void *dev, uint64_t now)
{
	const struct tick *t = dev;

	(void)now;
	return t->next;
}

static unsigned tick_rate(void *dev, uint64_t now)
{
	(void)dev;
	(void)now;
	return 9600;
}

static const struct uart_sim_model tick_model = {
	.name = "tick",
	.create = tick_create,
	.room = tick_room,
	.input = tick_input,
	.rate = tick_rate,
	.output = tick_output,
	.next_event = tick_next_event,
};

static const struct uart_sim_line line_9600 = { 9600, 'n', 8, 1, 1 };
static const struct uart_sim_line line_115200 = { 115200, 'n', 8, 1, 1 };

static struct uart_sim_dev make_dev(const struct uart_sim_model *m)
{
	struct uart_sim_dev d = { m, m->create("", 1, NULL, 0) };

	ck_assert_ptr_nonnull(d.dev);
	return d;
}

static struct sim_step *step_new(struct uart_sim_dev *d, const struct uart_sim_model *m,
				 const struct uart_sim_line *line)
{
	struct sim_step *s;

	*d = make_dev(m);
	s = sim_step_new(*d, 1, 0);
	ck_assert_ptr_nonnull(s);
	sim_step_set_line(s, line);
	return s;
}

static void step_free(struct sim_step *s, struct uart_sim_dev *d)
{
	sim_step_free(s);
	ck_assert_int_eq(sim_dev_finish(d, NULL, 0), 0);
}

/* ---------------------------------------------------------- model time */

START_TEST(silent_device_timeout_is_model_time)
{
	struct uart_sim_dev d;
	struct sim_step *s = step_new(&d, &echo_model, &line_115200);
	uint8_t b[8];

	ck_assert_uint_eq(sim_step_now(s), 0);
	ck_assert_int_eq(sim_step_read(s, b, sizeof(b), 30000 * MS), 0);
	ck_assert_uint_eq(sim_step_now(s), 30000 * MS);
	ck_assert_int_eq(sim_step_read(s, b, sizeof(b), 0), 0);
	ck_assert_uint_eq(sim_step_now(s), 30000 * MS);
	/* without a limit, on a device that will never send: an error, not a hang */
	ck_assert_int_eq(sim_step_read(s, b, sizeof(b), UINT64_MAX), -1);
	sim_step_sleep(s, 5 * MS);
	ck_assert_uint_eq(sim_step_now(s), 30005 * MS);
	step_free(s, &d);
}
END_TEST

/* 100 bytes at 9600 baud go out and come back: 101 byte times, plus a batch at most. */
START_TEST(echo_at_the_line_rate)
{
	struct uart_sim_dev d;
	struct sim_step *s = step_new(&d, &echo_model, &line_9600);
	uint8_t out[100], in[100];
	size_t got = 0;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(sim_step_write(s, out, sizeof(out)), 0);
	ck_assert_uint_eq(sim_step_now(s), 0);   /* a write does not wait for the wire */
	sim_step_drain(s);
	ck_assert_uint_eq(sim_step_now(s), 100 * SLOT_9600);
	while (got < sizeof(in)) {
		ssize_t n = sim_step_read(s, in + got, sizeof(in) - got, 1000 * MS);

		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_mem_eq(in, out, sizeof(out));
	ck_assert_uint_ge(sim_step_now(s), 101 * SLOT_9600);
	ck_assert_uint_le(sim_step_now(s), (101 + 32) * SLOT_9600);
	step_free(s, &d);
}
END_TEST

/* A read takes what arrives within 1 ms of its first byte, as from a USB adapter. */
START_TEST(read_latency_batches_a_stream)
{
	struct uart_sim_dev d;
	struct sim_step *s = step_new(&d, &echo_model, &line_115200);
	uint8_t out[200] = { 0 }, in[200];
	uint64_t t_first;

	ck_assert_int_eq(sim_step_write(s, out, sizeof(out)), 0);
	/* the first echoed byte, then one and the next 11 within 1 ms (86.8 us a byte) */
	ck_assert_int_eq(sim_step_read(s, in, 1, 1000 * MS), 1);
	t_first = sim_step_now(s);
	ck_assert_int_eq(sim_step_read(s, in, sizeof(in), 1000 * MS), 12);
	ck_assert_uint_eq(sim_step_now(s), t_first + 12 * SLOT_115200);
	step_free(s, &d);
}
END_TEST

/* The device's own events: a byte every 50 ms, each 1 byte time on the wire. */
START_TEST(next_event_wakes_a_read)
{
	struct uart_sim_dev d;
	struct sim_step *s = step_new(&d, &tick_model, &line_9600);
	uint8_t b[4];

	ck_assert_int_eq(sim_step_read(s, b, sizeof(b), 40 * MS), 0);
	ck_assert_uint_eq(sim_step_now(s), 40 * MS);
	ck_assert_int_eq(sim_step_read(s, b, sizeof(b), 1000 * MS), 1);
	ck_assert_int_eq(b[0], 't');
	ck_assert_uint_eq(sim_step_now(s), 50 * MS + SLOT_9600);
	sim_step_sleep(s, 200 * MS);
	/* what came meanwhile waits for the host; a flush drops it */
	ck_assert_int_eq(sim_step_read(s, b, sizeof(b), 0), 4);
	sim_step_flush_input(s);
	ck_assert_int_eq(sim_step_read(s, b, sizeof(b), 0), 0);
	step_free(s, &d);
}
END_TEST

/* A device that takes nothing: 4 KiB fit in the buffer, then 10 s of model time. */
START_TEST(write_into_a_full_buffer_gives_up)
{
	struct uart_sim_dev d;
	struct sim_step *s = step_new(&d, &tick_model, &line_115200);
	static uint8_t data[8192];

	ck_assert_int_eq(sim_step_write(s, data, 4096), 0);
	ck_assert_uint_eq(sim_step_now(s), 0);
	ck_assert_int_eq(sim_step_write(s, data, 1), -1);
	ck_assert_uint_ge(sim_step_now(s), 10000 * MS);
	ck_assert_uint_le(sim_step_now(s), 10050 * MS);
	step_free(s, &d);
}
END_TEST

/* Bytes keep the settings they were written with: alt, when those have changed. */
START_TEST(bytes_keep_their_settings)
{
	struct uart_sim_dev d;
	struct sim_step *s = step_new(&d, &echo_model, &line_9600);
	struct echo *e;

	ck_assert_int_eq(sim_step_write(s, (const uint8_t *)"ab", 2), 0);
	sim_step_set_line(s, &line_115200);
	ck_assert_int_eq(sim_step_write(s, (const uint8_t *)"cd", 2), 0);
	sim_step_drain(s);
	e = d.dev;
	ck_assert_int_eq(e->alt_seen, 1);
	ck_assert_uint_eq(e->last_alt.baud, 9600);
	/* "cd" leaves after "ab": 2 slots at 9600, then 2 at 115200 */
	ck_assert_uint_eq(sim_step_now(s), 2 * SLOT_9600 + 2 * SLOT_115200);
	step_free(s, &d);
}
END_TEST

/* Through the public API: the spec picks the mode; model names from the table. */
START_TEST(spec_picks_the_mode)
{
	char err[256] = "", names[64];
	struct uart_sim *m = uart_sim_open("gx,handshake=off", err, sizeof(err));
	struct uart_sim *p;
	uint8_t b[4];

	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_ptr_null(uart_sim_slave_path(m));
	uart_sim_set_line(m, &line_115200);
	ck_assert_int_eq(uart_sim_read(m, b, sizeof(b), 30000 * MS), 0);
	ck_assert_uint_eq(uart_sim_now(m), 30000 * MS);
	ck_assert_int_eq(uart_sim_stop(m, err, sizeof(err)), 0);
	p = uart_sim_open("gx,pty,handshake=off", err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_ptr_nonnull(uart_sim_slave_path(p));
	ck_assert_int_eq(uart_sim_write(p, "x", 1), -1);
	ck_assert_int_eq(uart_sim_stop(p, err, sizeof(err)), 0);
	/* The list starts with gx; models added later follow it. */
	ck_assert_int_eq(strncmp(uart_sim_model_names(names, sizeof(names)), "gx", 2), 0);
	ck_assert_msg(names[2] == '\0' || names[2] == ',', "%s", names);
	ck_assert_str_eq(uart_sim_model_names(names, 2), "g");
}
END_TEST

/* ------------------------------------------------------------ the pty */

static void raw_115200(int fd)
{
	struct termios2 t;

	ck_assert_int_eq(tu_tty_get(fd, &t), 0);
	t.c_iflag = 0;
	t.c_oflag = 0;
	t.c_lflag = 0;
	t.c_cflag = CS8 | CREAD | CLOCAL | BOTHER;
	t.c_ispeed = t.c_ospeed = 115200;
	memset(t.c_cc, 0, sizeof(t.c_cc));
	ck_assert_int_eq(tu_tty_set(fd, &t), 0);
}

/* The pty runner with a model whose optional callbacks are all NULL. */
START_TEST(pty_runner_without_optional_callbacks)
{
	char err[256] = "", got[16] = "";
	struct uart_sim_dev d = make_dev(&echo_model);
	struct sim_pty *p = sim_pty_start(d, 0, err, sizeof(err));
	size_t len = 0;
	int fd;

	ck_assert_msg(p != NULL, "%s", err);
	fd = open(sim_pty_slave_path(p), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(fd, 0);
	raw_115200(fd);
	sim_pty_set_modem(p, 'd', 1);
	sim_pty_set_parity(p, 'e');
	ck_assert_int_eq(write(fd, "hello", 5), 5);
	while (len < 5) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t n;

		ck_assert_int_gt(poll(&pf, 1, 3000), 0);
		n = read(fd, got + len, sizeof(got) - 1 - len);
		ck_assert_int_gt(n, 0);
		len += (size_t)n;
	}
	ck_assert_str_eq(got, "hello");
	close(fd);
	sim_pty_stop(p);
	ck_assert_int_eq(sim_dev_finish(&d, NULL, 0), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sim_uart");
	TCase *model = tcase_create("model_time");
	TCase *pty = tcase_create("pty");

	tcase_add_test(model, silent_device_timeout_is_model_time);
	tcase_add_test(model, echo_at_the_line_rate);
	tcase_add_test(model, read_latency_batches_a_stream);
	tcase_add_test(model, next_event_wakes_a_read);
	tcase_add_test(model, write_into_a_full_buffer_gives_up);
	tcase_add_test(model, bytes_keep_their_settings);
	tcase_add_test(model, spec_picks_the_mode);
	tcase_add_test(pty, pty_runner_without_optional_callbacks);
	suite_add_tcase(s, model);
	suite_add_tcase(s, pty);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
