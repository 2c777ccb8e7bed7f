/* SPDX-License-Identifier: MIT */
/*
 * The tty backend and the --reset language on a real pty pair: what the
 * "device" end (the master) sees of the settings, bytes both ways, locking,
 * and the errors for missing, busy and wrong ports.
 */
#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "port.h"
#include "reset.h"
#include "testutil.h"

static int master = -1;
static char slave[128];

static void open_pair(void)
{
	master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	snprintf(slave, sizeof(slave), "%s", ptsname(master));
}

static void close_pair(void)
{
	close(master);
}

/* On Linux a termios ioctl on the master reads the slave's settings. */
static struct termios2 device_view(void)
{
	struct termios2 t;

	ck_assert_int_eq(ioctl(master, TCGETS2, &t), 0);
	return t;
}

static struct ub_port *open_port(unsigned baud, enum ub_parity parity, int inpck)
{
	struct ub_port_line line = { baud, parity, inpck };
	struct ub_port *port;
	struct ub_err err = { 0 };

	ck_assert_msg(ub_port_open(slave, &line, &port, &err) == 0, "%s", err.msg);
	return port;
}

START_TEST(raw_8n1_with_inpck)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct termios2 t = device_view();

	ck_assert_uint_eq(t.c_ospeed, 115200);
	ck_assert_uint_eq(t.c_cflag & CSIZE, CS8);
	ck_assert(!(t.c_cflag & (PARENB | CSTOPB | CRTSCTS)));
	ck_assert(t.c_cflag & CLOCAL);
	ck_assert_uint_eq(t.c_iflag, INPCK);
	ck_assert(!(t.c_lflag & (ICANON | ECHO | ISIG)));
	ck_assert_uint_eq(t.c_oflag, 0);
	ub_port_close(port);
}
END_TEST

START_TEST(nonstandard_baud_and_parity)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 0);
	struct ub_port_line even = { 100000, UB_PARITY_EVEN, 1 };
	struct ub_port_line odd = { 250000, UB_PARITY_ODD, 0 };
	struct ub_err err = { 0 };
	struct termios2 t;

	ck_assert_int_eq(ub_port_set_line(port, &even, &err), 0);
	t = device_view();
	ck_assert_uint_eq(t.c_ospeed, 100000);
	ck_assert_uint_eq(t.c_cflag & CBAUD, BOTHER);
	/* A pty forces CS8 and clears PARENB (pty_set_termios), so parity is
	 * asserted through the emulator's view instead (check_gx_upload). */
	ck_assert(t.c_iflag & INPCK);
	ck_assert_int_eq(ub_port_set_line(port, &odd, &err), 0);
	t = device_view();
	ck_assert_uint_eq(t.c_ospeed, 250000);
	ck_assert(!(t.c_iflag & INPCK));
	ck_assert_int_eq(ub_port_set_baud(port, 115200, &err), 0);
	t = device_view();
	ck_assert_uint_eq(t.c_cflag & CBAUD, B115200);
	ub_port_close(port);
}
END_TEST

START_TEST(all_bytes_both_ways)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	uint8_t out[256], in[256];
	struct ub_err err = { 0 };
	size_t got = 0;

	for (int i = 0; i < 256; i++)
		out[i] = (uint8_t)i;
	ck_assert_int_eq(ub_port_write(port, out, sizeof(out), &err), 0);
	ck_assert_int_eq(ub_port_drain(port, &err), 0);
	while (got < sizeof(in)) {
		ssize_t n = read(master, in + got, sizeof(in) - got);

		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_mem_eq(in, out, sizeof(out));
	ck_assert_int_eq(write(master, out, sizeof(out)), sizeof(out));
	for (got = 0; got < sizeof(in);) {
		ssize_t n = ub_port_read(port, in + got, sizeof(in) - got, 1000, &err);

		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_mem_eq(in, out, sizeof(out));
	ub_port_close(port);
}
END_TEST

START_TEST(read_timeout_and_flush)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct ub_err err = { 0 };
	uint8_t buf[16];
	int64_t t0 = ub_port_now_ms();

	ck_assert_int_eq(ub_port_read(port, buf, sizeof(buf), 150, &err), 0);
	ck_assert_int_ge(ub_port_now_ms() - t0, 140);
	ck_assert_int_le(ub_port_now_ms() - t0, 1000);
	ck_assert_int_eq(write(master, "stale", 5), 5);
	usleep(50000);
	ck_assert_int_eq(ub_port_flush_input(port, &err), 0);
	ck_assert_int_eq(ub_port_read(port, buf, sizeof(buf), 50, &err), 0);
	ub_port_close(port);
}
END_TEST

START_TEST(pty_has_no_modem_lines)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct ub_err err = { 0 };

	/* Not an error by itself: a pty, a raw TCP port, a bare adapter. */
	ck_assert_int_eq(ub_port_set_modem(port, 'd', 1, &err), 1);
	ck_assert_int_eq(ub_port_set_modem(port, 'r', 0, &err), 1);
	ck_assert_int_eq(err.status, 0);
	ub_port_close(port);
}
END_TEST

START_TEST(second_open_is_refused)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1), *again;
	struct ub_port_line line = { 115200, UB_PARITY_NONE, 1 };
	struct ub_err err = { 0 };

	ck_assert_int_eq(ub_port_open(slave, &line, &again, &err), -1);
	ck_assert_int_eq(err.status, UB_ENODEV);
	ck_assert_msg(strstr(err.msg, "is in use by another program"), "%s", err.msg);
	ck_assert_ptr_null(again);
	ub_port_close(port);
	port = open_port(115200, UB_PARITY_NONE, 1);
	ub_port_close(port);
}
END_TEST

struct bad_port {
	const char *spec;
	int status;
	const char *msg;
};

static const struct bad_port bad_ports[] = {
	{ "/dev/ttyNOSUCH0", UB_ENODEV, "no serial port /dev/ttyNOSUCH0 (is the adapter plugged in?)" },
	{ "/dev/null", UB_EUSAGE, "/dev/null is not a serial port" },
	{ "", UB_EUSAGE, "no port given" },
	{ "usb:1-2", UB_EUSAGE, "unknown port type 'usb'" },
	{ "sim:", UB_EUSAGE, "sim needs a model" },
};

START_TEST(bad_port_specs)
{
	struct ub_port_line line = { 115200, UB_PARITY_NONE, 1 };
	struct ub_port *port;
	struct ub_err err = { 0 };

	ck_assert_int_eq(ub_port_open(bad_ports[_i].spec, &line, &port, &err), -1);
	ck_assert_int_eq(err.status, bad_ports[_i].status);
	ck_assert_msg(strstr(err.msg, bad_ports[_i].msg), "'%s': %s", bad_ports[_i].spec, err.msg);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}
END_TEST

/* ---- --reset ---- */

START_TEST(reset_syntax)
{
	static const char *const good[] = { "", "dtr=1", "rts=0,dtr=1,100ms,dtr=0,0ms",
					    "gpiochip0:17=0,200ms,gpiochip0:17=1", "GPIO22=1" };
	static const char *const bad[] = { "dtr", "dtr=2", "100", "100s", "=1", "rts=1,,dtr=0x",
					   "xms", "dtr=1,fast" };
	struct ub_reset *r;
	struct ub_err err = { 0 };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(ub_reset_parse(good[i], &r, &err) == 0, "%s: %s", good[i], err.msg);
		ck_assert_int_eq(ub_reset_empty(r), i == 0);
		ub_reset_free(r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ub_err_clear(&err);
		ck_assert_msg(ub_reset_parse(bad[i], &r, &err) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(err.status, UB_EUSAGE);
		ck_assert_msg(strstr(err.msg, "in --reset: use dtr=0|1, rts=0|1, GPIOSPEC=0|1 or NNNms"),
			      "%s", err.msg);
	}
}
END_TEST

START_TEST(reset_pauses_and_needs_modem_lines)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct ub_reset *r;
	struct ub_err err = { 0 };
	int64_t t0;

	ck_assert_int_eq(ub_reset_parse("120ms,30ms", &r, &err), 0);
	t0 = ub_port_now_ms();
	ck_assert_int_eq(ub_reset_run(r, port, "check_uart_tty", &err), 0);
	ck_assert_int_ge(ub_port_now_ms() - t0, 148);
	ub_reset_free(r);
	ck_assert_int_eq(ub_reset_parse("10ms,dtr=1", &r, &err), 0);
	ck_assert_int_eq(ub_reset_run(r, port, "check_uart_tty", &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_msg(strstr(err.msg, "--reset sets dtr, but /dev/pts/") &&
		      strstr(err.msg, "has no DTR line"), "%s", err.msg);
	ub_reset_free(r);
	ub_port_close(port);
}
END_TEST

/* The sim backend shows the emulator what the program set, parity included. */
START_TEST(sim_port_device_view)
{
	struct ub_port_line line = { 115200, UB_PARITY_NONE, 1 };
	struct ub_port_line even = { 57600, UB_PARITY_EVEN, 0 };
	struct ub_port *port;
	struct ub_err err = { 0 };
	char trace[64], spec[128], *text;
	size_t len;

	tu_tmpfile(trace, sizeof(trace));
	snprintf(spec, sizeof(spec), "sim:gx,handshake=off,trace=%s", trace);
	ck_assert_msg(ub_port_open(spec, &line, &port, &err) == 0, "%s", err.msg);
	usleep(100000);
	ck_assert_int_eq(ub_port_set_modem(port, 'r', 1, &err), 0);
	ck_assert_int_eq(ub_port_set_line(port, &even, &err), 0);
	usleep(100000);
	ck_assert_int_eq(ub_port_set_modem(port, 'd', 1, &err), 0);
	ub_port_close(port);
	text = (char *)tu_read_file(trace, &len);
	ck_assert_msg(strstr(text, "line baud=115200 parity=none inpck=1\n"), "%s", text);
	ck_assert_msg(strstr(text, "modem rts=1\n"), "%s", text);
	ck_assert_msg(strstr(text, "line baud=57600 parity=even inpck=0\n"), "%s", text);
	ck_assert_msg(strstr(text, "modem dtr=1\n"), "%s", text);
	free(text);
	unlink(trace);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("uart_tty");
	TCase *tc = tcase_create("tty");

	tcase_add_checked_fixture(tc, open_pair, close_pair);
	tcase_add_test(tc, raw_8n1_with_inpck);
	tcase_add_test(tc, nonstandard_baud_and_parity);
	tcase_add_test(tc, all_bytes_both_ways);
	tcase_add_test(tc, read_timeout_and_flush);
	tcase_add_test(tc, pty_has_no_modem_lines);
	tcase_add_test(tc, second_open_is_refused);
	tcase_add_loop_test(tc, bad_port_specs, 0, sizeof(bad_ports) / sizeof(bad_ports[0]));
	tcase_add_test(tc, reset_syntax);
	tcase_add_test(tc, reset_pauses_and_needs_modem_lines);
	tcase_add_test(tc, sim_port_device_view);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
