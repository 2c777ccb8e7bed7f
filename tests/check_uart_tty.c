/* SPDX-License-Identifier: MIT */
/*
 * The tty backend and the --reset language on a real pty pair: what the
 * "device" end (the master) sees of the settings, bytes both ways, locking,
 * and the errors for missing, busy and wrong ports.
 */
#include <asm/termbits.h>
#include <errno.h>
#include <glob.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "port.h"
#include "reset.h"
#include "testutil.h"
#include "ttyview.h"

static int master = -1;
static char slave[128];

/*
 * A tty without termios2, as under qemu-user: with this set, TCGETS2 and
 * the TCSETS2 family fail with ENOSYS on every fd but the test's master.
 * This ioctl stands in for the C library's in the whole test program.
 */
static int without_termios2;

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (without_termios2 && fd != master &&
	    (request == TCGETS2 || request == TCSETS2 || request == TCSETSW2 ||
	     request == TCSETSF2)) {
		errno = ENOSYS;
		return -1;
	}
	return (int)syscall(SYS_ioctl, fd, request, arg);
}

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
	without_termios2 = 0;
	close(master);
}

/* On Linux a termios ioctl on the master reads the slave's settings. */
static struct termios2 device_view(void)
{
	struct termios2 t;

	ck_assert_int_eq(tu_tty_get(master, &t), 0);
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
	ub_port_close(port, NULL);
}
END_TEST

START_TEST(nonstandard_baud_and_parity)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 0);
	struct ub_port_line even = { 100000, UB_PARITY_EVEN, 1 };
	struct ub_port_line odd = { 250000, UB_PARITY_ODD, 0 };
	struct ub_err err = { 0 };
	struct termios2 t;

	if (tu_skip_unless_pty_takes(100000, "nonstandard_baud_and_parity")) {
		ub_port_close(port, NULL);
		return;
	}
	ck_assert_int_eq(ub_port_takes_baud(port, 100000, &err), 1);
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
	ub_port_close(port, NULL);
}
END_TEST

START_TEST(without_termios2_the_standard_rates_still_work)
{
	struct ub_port *port;
	struct ub_err err = { 0 };
	struct termios2 t;

	if (tu_skip_unless_pty_takes(2000000, "without_termios2_the_standard_rates_still_work"))
		return;
	without_termios2 = 1;
	port = open_port(115200, UB_PARITY_NONE, 1);
	t = device_view();
	ck_assert_uint_eq(t.c_cflag & CBAUD, B115200);
	ck_assert_uint_eq(t.c_cflag & CSIZE, CS8);
	ck_assert(t.c_cflag & CLOCAL);
	ck_assert_uint_eq(t.c_iflag, INPCK);
	ck_assert(!(t.c_lflag & (ICANON | ECHO | ISIG)));
	ck_assert_int_eq(ub_port_set_baud(port, 2000000, &err), 0);
	t = device_view();
	ck_assert_uint_eq(t.c_cflag & CBAUD, B2000000);
	ck_assert_uint_eq(t.c_ospeed, 2000000);
	ub_port_close(port, NULL);
}
END_TEST

START_TEST(without_termios2_another_rate_is_refused)
{
	struct ub_port *port;
	struct ub_port_line odd = { 250000, UB_PARITY_NONE, 0 };
	struct ub_err err = { 0 };
	char want[256];

	without_termios2 = 1;
	port = open_port(115200, UB_PARITY_NONE, 0);
	snprintf(want, sizeof(want), "%s has no termios2, so it takes only the standard rates "
		 "(such as 115200, 230400, 921600, 2000000), not 250000 baud", slave);
	/* asked first, as a program does before telling a chip to switch */
	ck_assert_int_eq(ub_port_takes_baud(port, 921600, &err), 1);
	ck_assert_int_eq(ub_port_takes_baud(port, 250000, &err), 0);
	ck_assert_str_eq(err.msg, want);
	ub_err_clear(&err);
	ck_assert_int_eq(ub_port_set_line(port, &odd, &err), -1);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_uint_eq(device_view().c_cflag & CBAUD, B115200);
	ub_port_close(port, NULL);
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
	ub_port_close(port, NULL);
}
END_TEST

START_TEST(read_timeout_and_flush)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct ub_err err = { 0 };
	uint8_t buf[16];
	int64_t t0 = ub_port_clock_ms(port);

	ck_assert_int_eq(ub_port_read(port, buf, sizeof(buf), 150, &err), 0);
	ck_assert_int_ge(ub_port_clock_ms(port) - t0, 140);
	ck_assert_int_le(ub_port_clock_ms(port) - t0, 1000);
	ck_assert_int_eq(write(master, "stale", 5), 5);
	usleep(50000);
	ck_assert_int_eq(ub_port_flush_input(port, &err), 0);
	ck_assert_int_eq(ub_port_read(port, buf, sizeof(buf), 50, &err), 0);
	ub_port_close(port, NULL);
}
END_TEST

/* A writer on the device side: chunks with a pause before each. */
static void device_writes_later(const char *const *chunks, int n, int pause_ms)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid)
		return;
	for (int i = 0; i < n; i++) {
		usleep((useconds_t)pause_ms * 1000);
		if (write(master, chunks[i], strlen(chunks[i])) < 0)
			_exit(1);
	}
	_exit(0);
}

static void reap(void)
{
	int status;

	ck_assert_int_gt(wait(&status), 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(read_exact_gathers_pieces)
{
	static const char *const chunks[] = { "abc", "defgh", "ij" };
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct ub_err err = { 0 };
	char buf[16] = { 0 };

	device_writes_later(chunks, 3, 40);
	ck_assert_int_eq(ub_port_read_exact(port, buf, 8, 2000, &err), 8);
	ck_assert_mem_eq(buf, "abcdefgh", 8);
	ck_assert_int_eq(err.status, 0);
	reap();
	/* Nothing after the 8 bytes was taken: "ij" is still there. */
	ck_assert_int_eq(ub_port_read_exact(port, buf, 2, 1000, &err), 2);
	ck_assert_mem_eq(buf, "ij", 2);
	ub_port_close(port, NULL);
}
END_TEST

START_TEST(read_exact_times_out_saying_how_many_came)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct ub_err err = { 0 };
	char buf[8], want[160];
	int64_t t0;

	ck_assert_int_eq(write(master, "xyz", 3), 3);
	t0 = ub_port_clock_ms(port);
	ck_assert_int_eq(ub_port_read_exact(port, buf, 8, 150, &err), 0);
	ck_assert_int_ge(ub_port_clock_ms(port) - t0, 140);
	ck_assert_int_le(ub_port_clock_ms(port) - t0, 1000);
	ck_assert_mem_eq(buf, "xyz", 3);
	ck_assert_int_eq(err.status, UB_ENODEV);
	snprintf(want, sizeof(want), "%s: 3 of 8 bytes in 150 ms", slave);
	ck_assert_str_eq(err.msg, want);
	ub_port_close(port, NULL);
}
END_TEST

START_TEST(read_line_splits_lines_and_drops_cr)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct ub_err err = { 0 };
	char line[32];

	ck_assert_int_eq(write(master, "boot> ok\r\n\r\nsecond\nthird", 24), 24);
	ck_assert_int_eq(ub_port_read_line(port, line, sizeof(line), 1000, &err), 10);
	ck_assert_str_eq(line, "boot> ok");
	ck_assert_int_eq(ub_port_read_line(port, line, sizeof(line), 1000, &err), 2);
	ck_assert_str_eq(line, "");
	ck_assert_int_eq(ub_port_read_line(port, line, sizeof(line), 1000, &err), 7);
	ck_assert_str_eq(line, "second");
	ck_assert_int_eq(err.status, 0);
	ck_assert_int_eq(ub_port_read_line(port, line, sizeof(line), 100, &err), 0);
	ck_assert_str_eq(line, "third");
	ck_assert_int_eq(err.status, UB_ENODEV);
	ck_assert_msg(strstr(err.msg, ": no end of line in 100 ms (5 bytes)"), "%s", err.msg);
	ub_port_close(port, NULL);
}
END_TEST

START_TEST(read_line_refuses_a_line_longer_than_the_buffer)
{
	static const char *const chunks[] = { "0123", "456789\nnext\n" };
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct ub_err err = { 0 };
	char line[8], want[200];

	device_writes_later(chunks, 2, 20);
	ck_assert_int_eq(ub_port_read_line(port, line, sizeof(line), 2000, &err), -1);
	reap();
	snprintf(want, sizeof(want), "a line from %s is longer than 7 bytes", slave);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(err.status, UB_EFAIL);
	ub_err_clear(&err);
	/* A line that fits exactly (7 bytes and the NUL) is fine. */
	ck_assert_int_eq(ub_port_read_line(port, line, sizeof(line), 1000, &err), 3);
	ck_assert_str_eq(line, "89");
	ck_assert_int_eq(ub_port_read_line(port, line, sizeof(line), 1000, &err), 5);
	ck_assert_str_eq(line, "next");
	ck_assert_int_eq(write(master, "1234567\n", 8), 8);
	ck_assert_int_eq(ub_port_read_line(port, line, sizeof(line), 1000, &err), 8);
	ck_assert_str_eq(line, "1234567");
	ub_port_close(port, NULL);
}
END_TEST

/* Issue 8 item 6: a read with no room is not a hang-up, even with bytes waiting. */
START_TEST(read_with_no_room_is_not_a_hangup)
{
	struct ub_port *port = open_port(115200, UB_PARITY_NONE, 1);
	struct ub_err err = { 0 };
	uint8_t buf[8];

	ck_assert_int_eq(write(master, "boot> ", 6), 6);
	usleep(20000);
	ck_assert_int_eq(ub_port_read(port, buf, 0, 100, &err), 0);
	ck_assert_msg(err.status == 0, "%s", err.msg);
	ck_assert_int_eq(ub_port_read(port, buf, sizeof(buf), 100, &err), 6);
	ck_assert_mem_eq(buf, "boot> ", 6);
	ub_port_close(port, NULL);
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
	ub_port_close(port, NULL);
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
	ub_port_close(port, NULL);
	port = open_port(115200, UB_PARITY_NONE, 1);
	ub_port_close(port, NULL);
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

/* ---- the backend table ---- */


/* The man page's text with roff's \- as '-' and font escapes (\fB...) dropped. */
/* Every UART program's man page (one that documents --port) lists every port backend. */
START_TEST(port_usages_in_man_pages)
{
	const struct ub_port_backend *b;
	glob_t pages;
	int uart_programs = 0;

	ck_assert_int_eq(glob("Documentation/*.1", 0, NULL, &pages), 0);
	for (size_t i = 0; i < pages.gl_pathc; i++) {
		char *man = tu_read_man_page(pages.gl_pathv[i]);

		if (strstr(man, "--port")) {
			uart_programs++;
			for (b = ub_port_backends; b->backend.name; b++)
				ck_assert_msg(strstr(man, b->backend.usage), "%s lacks the usage '%s'",
					      pages.gl_pathv[i], b->backend.usage);
		}
		free(man);
	}
	globfree(&pages);
	ck_assert_int_ge(uart_programs, 1);
	for (b = ub_port_backends; b->backend.name; b++)
		ck_assert_msg(!strcmp(b->backend.name, "tty") ||
			      (!strncmp(b->backend.usage, b->backend.name, strlen(b->backend.name)) &&
			       b->backend.usage[strlen(b->backend.name)] == ':'),
			      "usage '%s' does not start with '%s:'", b->backend.usage, b->backend.name);
}
END_TEST

START_TEST(unknown_port_lists_every_usage)
{
	struct ub_port_line line = { 115200, UB_PARITY_NONE, 1 };
	struct ub_port *port;
	struct ub_err err = { 0 };
	char want[400], usages[256];

	ck_assert_int_eq(ub_port_open("usb:1-2", &line, &port, &err), -1);
	snprintf(want, sizeof(want), "unknown port type 'usb' in 'usb:1-2' (use %s)",
		 ub_port_usages(usages, sizeof(usages)));
	ck_assert_str_eq(err.msg, want);
	ck_assert_str_eq(usages, "/dev/ttyUSB0, tcp:HOST:PORT[,baud=N], rfc2217:HOST:PORT or "
			 "sim:MODEL[,pty][,KEY=VALUE...]");
	ub_err_clear(&err);
	ck_assert_int_eq(ub_port_open("", &line, &port, &err), -1);
	snprintf(want, sizeof(want), "no port given; use -p with %s", usages);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

/* tty:PATH is the tty backend by name; it takes no options. */
START_TEST(tty_by_name)
{
	struct ub_port_line line = { 115200, UB_PARITY_NONE, 1 };
	struct ub_port *port;
	struct ub_err err = { 0 };
	char spec[160], want[300];

	snprintf(spec, sizeof(spec), "tty:%s", slave);
	ck_assert_msg(ub_port_open(spec, &line, &port, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(port->name, slave);
	ub_port_close(port, NULL);
	snprintf(spec, sizeof(spec), "tty:%s,baud=9600", slave);
	ck_assert_int_eq(ub_port_open(spec, &line, &port, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	snprintf(want, sizeof(want), "tty:%s: a serial port takes no options (got 'baud=9600')",
		 slave);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

/* ---- --reset ---- */

START_TEST(reset_syntax)
{
	static const char *const good[] = { "", "dtr=1", "rts=0,dtr=1,100ms,dtr=0,0ms",
					    "gpiochip0:17=0,200ms,gpiochip0:17=1", "GPIO22=1" };
	static const char *const bad[] = { "dtr", "dtr=2", "100", "100s", "=1", "rts=1,dtr=0x",
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

/* Issue 8 item 12: an empty step is refused, not skipped. */
START_TEST(reset_refuses_empty_steps)
{
	static const char *const bad[] = { ",,,", ",", "dtr=1,", ",dtr=1", "rts=1,,dtr=0" };
	struct ub_reset *r = NULL;
	struct ub_err err = { 0 };
	char want[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ub_err_clear(&err);
		ck_assert_msg(ub_reset_parse(bad[i], &r, &err) == -1, "accepted '%s'", bad[i]);
		ck_assert_ptr_null(r);
		ck_assert_int_eq(err.status, UB_EUSAGE);
		snprintf(want, sizeof(want), "empty step in --reset '%s': use dtr=0|1, rts=0|1, "
			 "GPIOSPEC=0|1 or NNNms, separated by commas", bad[i]);
		ck_assert_str_eq(err.msg, want);
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
	t0 = ub_port_clock_ms(port);
	ck_assert_int_eq(ub_reset_run(r, port, "check_uart_tty", &err), 0);
	ck_assert_int_ge(ub_port_clock_ms(port) - t0, 148);
	ub_reset_free(r);
	ck_assert_int_eq(ub_reset_parse("10ms,dtr=1", &r, &err), 0);
	ck_assert_int_eq(ub_reset_run(r, port, "check_uart_tty", &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_msg(strstr(err.msg, "--reset sets dtr, but /dev/pts/") &&
		      strstr(err.msg, "has no DTR line"), "%s", err.msg);
	ub_reset_free(r);
	ub_port_close(port, NULL);
}
END_TEST

/* The sim backend shows the emulator what the program set, parity included,
 * in model time (_i 0) and on a pty (_i 1). */
START_TEST(sim_port_device_view)
{
	struct ub_port_line line = { 115200, UB_PARITY_NONE, 1 };
	struct ub_port_line even = { 57600, UB_PARITY_EVEN, 0 };
	struct ub_port *port;
	struct ub_err err = { 0 };
	char trace[64], spec[128], *text;
	size_t len;

	tu_tmpfile(trace, sizeof(trace));
	snprintf(spec, sizeof(spec), "sim:gx,handshake=off,trace=%s%s", trace, _i ? ",pty" : "");
	ck_assert_msg(ub_port_open(spec, &line, &port, &err) == 0, "%s", err.msg);
	/* on a pty the emulator looks at the termios every 2 ms */
	ub_port_sleep_ms(port, 100);
	ck_assert_int_eq(ub_port_set_modem(port, 'r', 1, &err), 0);
	ck_assert_int_eq(ub_port_set_line(port, &even, &err), 0);
	ub_port_sleep_ms(port, 100);
	ck_assert_int_eq(ub_port_set_modem(port, 'd', 1, &err), 0);
	ck_assert_int_eq(ub_port_close(port, &err), 0);
	text = (char *)tu_read_file(trace, &len);
	ck_assert_msg(strstr(text, "line baud=115200 parity=none inpck=1\n"), "%s", text);
	ck_assert_msg(strstr(text, "modem rts=1\n"), "%s", text);
	ck_assert_msg(strstr(text, "line baud=57600 parity=even inpck=0\n"), "%s", text);
	ck_assert_msg(strstr(text, "modem dtr=1\n"), "%s", text);
	free(text);
	unlink(trace);
}
END_TEST

/* sim: in model time: the port's clock is the emulator's; reads and sleeps advance it. */
START_TEST(sim_port_model_clock)
{
	struct ub_port_line line = { 115200, UB_PARITY_NONE, 1 };
	struct ub_port *port;
	struct ub_err err = { 0 };
	char text[64];
	uint8_t buf[8];
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ub_port_open("sim:gx,state=prompt", &line, &port, &err), 0);
	ck_assert_int_eq(ub_port_clock_ms(port), 0);
	ck_assert_int_eq(ub_port_read(port, buf, sizeof(buf), 30000, &err), 0);
	ck_assert_int_eq(ub_port_clock_ms(port), 30000);
	ub_port_sleep_ms(port, 250);
	ck_assert_int_eq(ub_port_clock_ms(port), 30250);
	/* the loader echoes the line, answers, and prompts again */
	ck_assert_int_eq(ub_port_write(port, "flash badinfo\n", 14, &err), 0);
	ck_assert_int_eq(ub_port_read_line(port, text, sizeof(text), 1000, &err), 15);
	ck_assert_str_eq(text, "flash badinfo");
	ck_assert_int_gt(ub_port_read_line(port, text, sizeof(text), 1000, &err), 0);
	ck_assert_str_eq(text, "flash badinfo: no bad blocks");
	ck_assert_int_eq(ub_port_read_exact(port, buf, 6, 1000, &err), 6);
	ck_assert_mem_eq(buf, "boot> ", 6);
	ck_assert_int_eq(ub_port_read_exact(port, buf, 1, 5000, &err), 0);
	ck_assert_str_eq(err.msg, "sim:gx: 0 of 1 bytes in 5000 ms");
	ck_assert_int_eq(ub_port_close(port, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);
}
END_TEST

/* When the first byte of the loader's answer reaches the host, on the model clock. */
static int64_t answer_ms(const char *spec)
{
	struct ub_port_line line = { 115200, UB_PARITY_NONE, 1 };
	struct ub_port *port;
	struct ub_err err = { 0 };
	uint8_t b;
	int64_t at;

	ck_assert_int_eq(ub_port_open(spec, &line, &port, &err), 0);
	ck_assert_int_eq(ub_port_write(port, "\n", 1, &err), 0);
	ck_assert_int_eq(ub_port_read(port, &b, 1, 1000, &err), 1);
	at = ub_port_clock_ms(port);
	ck_assert_int_eq(ub_port_close(port, NULL), 0);
	return at;
}

/* latency=MS (a USB-UART's latency timer): the device's bytes come MS later. */
START_TEST(sim_port_latency)
{
	int64_t prompt = answer_ms("sim:gx,state=prompt");

	ck_assert_int_eq(answer_ms("sim:gx,state=prompt,latency=16"), prompt + 16);
	ck_assert_int_eq(answer_ms("sim:gx,state=prompt,latency=0"), prompt);
}
END_TEST

/* The emulator's errors at close come back from ub_port_close, not on stderr. */
START_TEST(sim_port_close_reports_the_emulator)
{
	struct ub_port_line line = { 115200, UB_PARITY_NONE, 1 };
	struct ub_port *port;
	struct ub_err err = { 0 };

	ck_assert_int_eq(ub_port_open("sim:gx,save=/nonexistent/flash.bin", &line, &port, &err),
			 0);
	ck_assert_int_eq(ub_port_close(port, &err), -1);
	ck_assert_int_eq(err.status, UB_EFAIL);
	ck_assert_str_eq(err.msg, "emulator: gx sim: save=/nonexistent/flash.bin: "
			 "No such file or directory");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("uart_tty");
	TCase *tc = tcase_create("tty");

	tcase_add_checked_fixture(tc, open_pair, close_pair);
	tcase_add_test(tc, raw_8n1_with_inpck);
	tcase_add_test(tc, nonstandard_baud_and_parity);
	tcase_add_test(tc, without_termios2_the_standard_rates_still_work);
	tcase_add_test(tc, without_termios2_another_rate_is_refused);
	tcase_add_test(tc, all_bytes_both_ways);
	tcase_add_test(tc, read_timeout_and_flush);
	tcase_add_test(tc, read_exact_gathers_pieces);
	tcase_add_test(tc, read_exact_times_out_saying_how_many_came);
	tcase_add_test(tc, read_line_splits_lines_and_drops_cr);
	tcase_add_test(tc, read_line_refuses_a_line_longer_than_the_buffer);
	tcase_add_test(tc, read_with_no_room_is_not_a_hangup);
	tcase_add_test(tc, pty_has_no_modem_lines);
	tcase_add_test(tc, second_open_is_refused);
	tcase_add_loop_test(tc, bad_port_specs, 0, sizeof(bad_ports) / sizeof(bad_ports[0]));
	tcase_add_test(tc, port_usages_in_man_pages);
	tcase_add_test(tc, unknown_port_lists_every_usage);
	tcase_add_test(tc, tty_by_name);
	tcase_add_test(tc, reset_syntax);
	tcase_add_test(tc, reset_refuses_empty_steps);
	tcase_add_test(tc, reset_pauses_and_needs_modem_lines);
	tcase_add_loop_test(tc, sim_port_device_view, 0, 2);
	tcase_add_test(tc, sim_port_model_clock);
	tcase_add_test(tc, sim_port_latency);
	tcase_add_test(tc, sim_port_close_reports_the_emulator);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
