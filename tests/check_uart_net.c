/* SPDX-License-Identifier: MIT */
/*
 * The tcp: and rfc2217: ports against a real ser2net in front of a pty: the
 * test plays the device on the pty master and reads the line settings ser2net
 * gave the slave, as real hardware would see them. A small fake RFC 2217
 * server covers what ser2net will not do: split telnet commands byte by byte,
 * answer a different baud, refuse the COM-PORT option.
 */
#include <asm/termbits.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "net.h"
#include "port.h"
#include "ser2net.h"
#include "testutil.h"
#include "ttyview.h"

static const struct ub_port_line line_115200 = { 115200, UB_PARITY_NONE, 0 };

static int master = -1, slave = -1;
static struct tu_ser2net srv;

static void make_raw(int fd, unsigned baud)
{
	struct termios2 t;

	ck_assert_int_eq(tu_tty_get(fd, &t), 0);
	t.c_iflag = t.c_oflag = t.c_lflag = 0;
	t.c_cflag = CS8 | CREAD | CLOCAL | BOTHER;
	t.c_ispeed = t.c_ospeed = baud;
	ck_assert_int_eq(tu_tty_set(fd, &t), 0);
}

/* The device side: a pty whose slave ser2net serves; the test keeps the
 * slave open too, so the master never reads EIO between clients. */
static void setup(void)
{
	char path[64];

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_msg(master >= 0, "posix_openpt: %s", strerror(errno));
	ck_assert(grantpt(master) == 0 && unlockpt(master) == 0);
	ck_assert_int_eq(ptsname_r(master, path, sizeof(path)), 0);
	slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_msg(slave >= 0, "%s: %s", path, strerror(errno));
	/* no echo or line editing before ser2net has set the slave up */
	make_raw(slave, 115200);
	ck_assert_int_eq(fcntl(master, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(tu_ser2net_start(&srv, path, 115200), 0);
}

static void teardown(void)
{
	tu_ser2net_stop(&srv);
	close(slave);
	close(master);
}

static struct ub_port *open_port(const char *spec, const struct ub_port_line *line)
{
	struct ub_err err = { 0 };
	struct ub_port *port;

	ck_assert_msg(ub_port_open(spec, line, &port, &err) == 0, "%s: %s", spec, err.msg);
	return port;
}

/* Write to the device side; small amounts fit the pty buffer. */
static void dev_put(const void *buf, size_t len)
{
	ck_assert_int_eq(write(master, buf, len), (ssize_t)len);
}

/* Read exactly len bytes from the device side within 5 s. */
static void dev_get(void *buf, size_t len)
{
	int64_t deadline = ub_clock_ms() + 5000;
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;

		ck_assert_msg(ub_clock_ms() < deadline, "the device got %zu of %zu bytes",
			      got, len);
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(master, (uint8_t *)buf + got, len - got);
		ck_assert_msg(n > 0 || errno == EAGAIN, "pty read: %s", strerror(errno));
		if (n > 0)
			got += (size_t)n;
	}
}

static void port_get(struct ub_port *port, void *buf, size_t len)
{
	struct ub_err err = { 0 };
	size_t got = 0;

	while (got < len) {
		ssize_t n = ub_port_read(port, (uint8_t *)buf + got, len - got, 5000, &err);

		ck_assert_msg(n > 0, "%s: got %zu of %zu bytes: %s", port->name, got, len,
			      n < 0 ? err.msg : "timeout");
		got += (size_t)n;
	}
}

static void port_put(struct ub_port *port, const void *buf, size_t len)
{
	struct ub_err err = { 0 };

	ck_assert_msg(ub_port_write(port, buf, len, &err) == 0, "%s", err.msg);
	ck_assert_msg(ub_port_drain(port, &err) == 0, "%s", err.msg);
}

/* The device side of a big transfer runs in a thread (buffers are finite). */
struct dev_job {
	uint8_t *buf;
	size_t len, done;
	int writing;
	pthread_t thread;
};

static void *dev_run(void *arg)
{
	struct dev_job *j = arg;
	int64_t deadline = ub_clock_ms() + 10000;

	while (j->done < j->len && ub_clock_ms() < deadline) {
		struct pollfd p = { .fd = master, .events = j->writing ? POLLOUT : POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = j->writing ? write(master, j->buf + j->done, j->len - j->done) :
				 read(master, j->buf + j->done, j->len - j->done);
		if (n > 0)
			j->done += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			break;
	}
	return NULL;
}

/* All 256 values, the telnet-sensitive sequences, then 64 KiB of noise. */
static uint8_t *test_data(size_t *len)
{
	static const uint8_t tricky[] = {
		0x0d, 0x00, 0x0d, 0x0a, 0x0d, 0xff, 0xff, 0xff, 0xfa, 0x2c, 0x01, 0xff, 0xf0,
		0xff, 0xfb, 0x01, 0xff, 0x0d, 0x00, 0x00, 0x0d,
	};
	size_t n = 256 + sizeof(tricky) + 65536, i;
	uint8_t *buf = malloc(n);
	uint32_t x = 12345;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < 256; i++)
		buf[i] = (uint8_t)i;
	memcpy(buf + 256, tricky, sizeof(tricky));
	for (i = 256 + sizeof(tricky); i < n; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	*len = n;
	return buf;
}

static void roundtrip(const char *spec)
{
	struct ub_port *port = open_port(spec, &line_115200);
	struct dev_job job = { 0 };
	size_t len;
	uint8_t *data = test_data(&len), *got = malloc(len);

	ck_assert_ptr_nonnull(got);
	job.buf = got;
	job.len = len;
	ck_assert_int_eq(pthread_create(&job.thread, NULL, dev_run, &job), 0);
	port_put(port, data, len);
	pthread_join(job.thread, NULL);
	ck_assert_msg(job.done == len, "%s: the device got %zu of %zu bytes", spec, job.done, len);
	ck_assert_msg(memcmp(got, data, len) == 0, "%s: host to device bytes differ", spec);

	memset(got, 0, len);
	job = (struct dev_job){ .buf = data, .len = len, .writing = 1 };
	ck_assert_int_eq(pthread_create(&job.thread, NULL, dev_run, &job), 0);
	port_get(port, got, len);
	pthread_join(job.thread, NULL);
	ck_assert_msg(memcmp(got, data, len) == 0, "%s: device to host bytes differ", spec);
	ub_port_close(port, NULL);
	free(got);
	free(data);
}

START_TEST(roundtrip_tcp)
{
	roundtrip(srv.raw_spec);
}
END_TEST

START_TEST(roundtrip_rfc2217)
{
	roundtrip(srv.rfc2217_spec);
}
END_TEST

static struct termios2 slave_settings(void)
{
	struct termios2 t;

	/* termios ioctls on a pty master act on its slave */
	ck_assert_int_eq(tu_tty_get(master, &t), 0);
	return t;
}

static void set_line(struct ub_port *port, unsigned baud, enum ub_parity parity)
{
	struct ub_port_line line = { baud, parity, 0 };
	struct ub_err err = { 0 };

	ck_assert_msg(ub_port_set_line(port, &line, &err) == 0, "%u baud: %s", baud, err.msg);
}

START_TEST(rfc2217_line_settings)
{
	struct ub_port *port = open_port(srv.rfc2217_spec, &line_115200);
	/* ser2net sets them; reading them back takes termios2 */
	int odd_rates_readable = !tu_skip_unless_pty_takes(100000, "rfc2217_line_settings (reading "
							   "100000 and 65535 baud back)");
	uint8_t buf[4];

	ck_assert_uint_eq(slave_settings().c_ospeed, 115200);
	/* data that comes while set_line waits for the answers is kept */
	dev_put("\xff\xfa\x2c", 3);
	poll(NULL, 0, 50);
	set_line(port, 100000, UB_PARITY_NONE);
	if (odd_rates_readable) {
		ck_assert_uint_eq(slave_settings().c_ospeed, 100000);
		ck_assert_uint_eq(slave_settings().c_ispeed, 100000);
	}
	port_get(port, buf, 3);
	ck_assert(memcmp(buf, "\xff\xfa\x2c", 3) == 0);
	/* 0xff in a command's value is escaped both ways */
	set_line(port, 0xffff, UB_PARITY_NONE);
	if (odd_rates_readable)
		ck_assert_uint_eq(slave_settings().c_ospeed, 0xffff);
	set_line(port, 115200, UB_PARITY_NONE);
	ck_assert_uint_eq(slave_settings().c_ospeed, 115200);
	/*
	 * The pty clears PARENB whatever is asked; PARODD shows that ser2net
	 * passed the parity on, and its answer (checked by set_line) that it
	 * took even parity.
	 */
	set_line(port, 115200, UB_PARITY_ODD);
	ck_assert(slave_settings().c_cflag & PARODD);
	set_line(port, 115200, UB_PARITY_EVEN);
	ck_assert(!(slave_settings().c_cflag & PARODD));
	ck_assert_int_eq(port->line.parity, UB_PARITY_EVEN);
	ck_assert_uint_eq(slave_settings().c_ospeed, 115200);
	ck_assert_uint_eq(slave_settings().c_cflag & CSIZE, CS8);
	ck_assert(!(slave_settings().c_cflag & CSTOPB));

	port_put(port, "\xff\x0d\x00\x01", 4);
	dev_get(buf, 4);
	ck_assert(memcmp(buf, "\xff\x0d\x00\x01", 4) == 0);
	ub_port_close(port, NULL);
}
END_TEST

START_TEST(tcp_fixed_speed)
{
	char want[512], spec[64];
	struct ub_port_line fast = { 100000, UB_PARITY_NONE, 0 };
	struct ub_port_line even = { 115200, UB_PARITY_EVEN, 0 };
	struct ub_err err = { 0 };
	struct ub_port *port = open_port(srv.raw_spec, &line_115200);

	ck_assert_int_eq(ub_port_set_line(port, &line_115200, &err), 0);
	snprintf(want, sizeof(want), "tcp:127.0.0.1:%u is a raw TCP port at 115200 baud; it "
		 "cannot switch to 100000 baud (use rfc2217:127.0.0.1:%u, or set the remote "
		 "port to 100000 and give tcp:127.0.0.1:%u,baud=100000)",
		 srv.raw_port, srv.raw_port, srv.raw_port);
	/* asked first, as a program does before telling a chip to switch */
	ck_assert_int_eq(ub_port_takes_baud(port, 115200, &err), 1);
	ck_assert_int_eq(ub_port_takes_baud(port, 100000, &err), 0);
	ck_assert_str_eq(err.msg, want);
	ub_err_clear(&err);
	ck_assert_int_eq(ub_port_set_line(port, &fast, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_str_eq(err.msg, want);
	ub_err_clear(&err);
	ck_assert_int_eq(ub_port_set_line(port, &even, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot switch to even parity"));
	ck_assert_uint_eq(port->line.baud, 115200);
	ck_assert_int_eq(ub_port_set_modem(port, 'd', 1, &err), 1);
	ub_port_close(port, NULL);

	/* refused before connecting, too */
	ub_err_clear(&err);
	ck_assert_int_eq(ub_port_open(srv.raw_spec, &fast, &port, &err), -1);
	ck_assert_str_eq(err.msg, want);

	tu_ser2net_idle(&srv);
	snprintf(spec, sizeof(spec), "%s,baud=100000", srv.raw_spec);
	port = open_port(spec, &fast);
	ck_assert_str_eq(port->name, srv.raw_spec);
	ub_port_close(port, NULL);
}
END_TEST

static void read_times_out(const char *spec)
{
	struct ub_port *port = open_port(spec, &line_115200);
	struct ub_err err = { 0 };
	uint8_t buf[16];
	int64_t t0 = ub_port_clock_ms(port), took;

	ck_assert_int_eq(ub_port_read(port, buf, sizeof(buf), 300, &err), 0);
	took = ub_port_clock_ms(port) - t0;
	ck_assert_msg(took >= 290 && took < 1000, "%s: a 300 ms read took %lld ms", spec,
		      (long long)took);
	ck_assert_int_eq(ub_port_read(port, buf, sizeof(buf), 0, &err), 0);
	ck_assert_int_eq(err.status, UB_OK);
	ub_port_close(port, NULL);
}

START_TEST(read_timeout)
{
	read_times_out(srv.raw_spec);
	tu_ser2net_idle(&srv);
	read_times_out(srv.rfc2217_spec);
}
END_TEST

static void flushes_input(const char *spec)
{
	struct ub_port *port = open_port(spec, &line_115200);
	struct ub_err err = { 0 };
	uint8_t buf[5];

	dev_put("stale", 5);
	poll(NULL, 0, 100);
	ck_assert_msg(ub_port_flush_input(port, &err) == 0, "%s", err.msg);
	dev_put("fresh", 5);
	port_get(port, buf, 5);
	ck_assert(memcmp(buf, "fresh", 5) == 0);
	ub_port_close(port, NULL);
}

START_TEST(flush_input)
{
	flushes_input(srv.raw_spec);
	tu_ser2net_idle(&srv);
	flushes_input(srv.rfc2217_spec);
}
END_TEST

START_TEST(rfc2217_modem_on_pty)
{
	struct ub_port *port = open_port(srv.rfc2217_spec, &line_115200);
	struct ub_err err = { 0 };
	int64_t t0;
	uint8_t buf[3];
	int rc;

	/* ser2net cannot drive modem lines on a pty and does not answer */
	t0 = ub_port_clock_ms(port);
	rc = ub_port_set_modem(port, 'd', 1, &err);
	ck_assert_msg(rc == 0 || rc == 1, "%s", err.msg);
	ck_assert_int_lt(ub_port_clock_ms(port) - t0, 1500);
	t0 = ub_port_clock_ms(port);
	rc = ub_port_set_modem(port, 'r', 0, &err);
	ck_assert_msg(rc == 0 || rc == 1, "%s", err.msg);
	ck_assert_int_lt(ub_port_clock_ms(port) - t0, 500);
	port_put(port, "ok\xff", 3);
	dev_get(buf, 3);
	ck_assert(memcmp(buf, "ok\xff", 3) == 0);
	dev_put("\xff\x00\x0d", 3);
	port_get(port, buf, 3);
	ck_assert(memcmp(buf, "\xff\x00\x0d", 3) == 0);
	ub_port_close(port, NULL);
}
END_TEST

static void sees_close(const char *spec)
{
	struct ub_port *port = open_port(spec, &line_115200);
	struct ub_err err = { 0 };
	uint8_t buf[4];

	tu_ser2net_stop(&srv);
	ck_assert_int_eq(ub_port_read(port, buf, sizeof(buf), 3000, &err), -1);
	ck_assert_int_eq(err.status, UB_ENODEV);
	ck_assert_msg(strstr(err.msg, " closed the connection") && strstr(err.msg, spec),
		      "%s", err.msg);
	ub_port_close(port, NULL);
}

START_TEST(server_goes_away_tcp)
{
	sees_close(srv.raw_spec);
}
END_TEST

START_TEST(server_goes_away_rfc2217)
{
	sees_close(srv.rfc2217_spec);
}
END_TEST

START_TEST(device_in_use)
{
	struct ub_port *raw = open_port(srv.raw_spec, &line_115200), *port;
	struct ub_err err = { 0 };
	uint8_t buf[1];

	/* make sure ser2net has opened the device for the raw client */
	port_put(raw, "x", 1);
	dev_get(buf, 1);
	ck_assert_int_eq(ub_port_open(srv.rfc2217_spec, &line_115200, &port, &err), -1);
	ck_assert_int_eq(err.status, UB_ENODEV);
	ck_assert_msg(strstr(err.msg, srv.rfc2217_spec) && strstr(err.msg, "closed"), "%s",
		      err.msg);
	/*
	 * ser2net says "Port's device already in use" before it hangs up, but
	 * the words are lost when it resets the connection (it does when our
	 * commands are still unread); then the message is only "closed".
	 */
	ck_assert_msg(!strstr(err.msg, "said") || strstr(err.msg, "already in use"), "%s",
		      err.msg);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	ub_port_close(raw, NULL);
}
END_TEST

START_TEST(rfc2217_on_raw_port)
{
	char spec[64];
	struct ub_err err = { 0 };
	struct ub_port *port;

	snprintf(spec, sizeof(spec), "rfc2217:127.0.0.1:%u", srv.raw_port);
	ck_assert_int_eq(ub_port_open(spec, &line_115200, &port, &err), -1);
	ck_assert_int_eq(err.status, UB_ENODEV);
	ck_assert_msg(strstr(err.msg, "does not speak telnet RFC 2217") &&
		      strstr(err.msg, "use tcp:127.0.0.1:"), "%s", err.msg);
}
END_TEST

/* Specs and addresses, without ser2net. */

START_TEST(connect_refused)
{
	static const char *const kinds[] = { "tcp", "rfc2217" };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	/* bound but not listening: a port nobody can take meanwhile */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t i;

	ck_assert(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	for (i = 0; i < 2; i++) {
		char spec[64], want[128];
		struct ub_err err = { 0 };
		struct ub_port *port;

		snprintf(spec, sizeof(spec), "%s:127.0.0.1:%u", kinds[i], ntohs(sin.sin_port));
		snprintf(want, sizeof(want), "cannot connect to %s: connection refused", spec);
		ck_assert_int_eq(ub_port_open(spec, &line_115200, &port, &err), -1);
		ck_assert_int_eq(err.status, UB_ENODEV);
		ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
		ck_assert_ptr_null(strchr(err.msg, '\n'));
	}
	close(fd);
}
END_TEST

START_TEST(bad_specs)
{
	static const struct { const char *spec, *says; } bad[] = {
		{ "tcp:", "tcp: needs an address; use tcp:HOST:PORT" },
		{ "tcp:host", "tcp:host: no port; use tcp:HOST:PORT" },
		{ "tcp:host:99999", "tcp:host:99999: the port must be a number from 1 to 65535" },
		{ "tcp:host:0", "the port must be a number from 1 to 65535" },
		{ "tcp:host:12ab", "the port must be a number from 1 to 65535" },
		{ "tcp:host:", "the port must be a number from 1 to 65535" },
		{ "tcp::3333", "tcp::3333: no host" },
		{ "tcp:fd00::2:3333", "an IPv6 address needs brackets" },
		{ "tcp:[fd00::2:3333", "an IPv6 address needs [ADDR]:PORT" },
		{ "tcp:127.0.0.1:3333,baud=fast", "bad baud 'fast'" },
		{ "tcp:127.0.0.1:3333,baud=0", "bad baud '0'" },
		{ "tcp:127.0.0.1:3333,speed=9600", "unknown option 'speed'" },
		{ "rfc2217:", "rfc2217: needs an address; use rfc2217:HOST:PORT" },
		{ "rfc2217:host", "rfc2217:host: no port" },
		{ "rfc2217:127.0.0.1:3333,baud=9600", "unknown options 'baud=9600'" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ub_err err = { 0 };
		struct ub_port *port;

		ck_assert_int_eq(ub_port_open(bad[i].spec, &line_115200, &port, &err), -1);
		ck_assert_msg(err.status == UB_EUSAGE, "%s: status %d: %s", bad[i].spec,
			      err.status, err.msg);
		ck_assert_msg(strstr(err.msg, bad[i].says), "%s: '%s'", bad[i].spec, err.msg);
		ck_assert_ptr_null(strchr(err.msg, '\n'));
	}
}
END_TEST

/*
 * A fake RFC 2217 server in a thread: it sends its telnet commands one byte
 * at a time, answers COM-PORT commands (the baud as told), and on 'G' from
 * the client sends a scripted stream in 1 to 3 byte pieces.
 */
enum { SE = 240, NOP = 241, SB = 250, WILL = 251, WONT = 252, DO = 253, DONT = 254,
       IAC = 255 };

struct fake {
	int lfd;
	unsigned port;
	int refuse_comport;
	uint32_t baud_answer;  /* 0: the baud asked for */
	int saw_dont_echo;
	pthread_t thread;
	char spec[40];
};

static void fake_send(int fd, const uint8_t *p, size_t n, size_t piece)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = piece ? piece : 1 + i % 3;
		if (k > n - i)
			k = n - i;
		if (send(fd, p + i, k, MSG_NOSIGNAL) != (ssize_t)k)
			return;
		poll(NULL, 0, 1);
	}
}

/* All byte values and CR NUL as telnet data, with commands in between. */
static size_t fake_script(uint8_t *out)
{
	static const uint8_t modemstate[] = { IAC, SB, 44, 107, IAC, IAC, IAC, SE };
	static const uint8_t will_sga[] = { IAC, WILL, 3 };
	size_t n = 0;
	int i;

	for (i = 0; i < 256; i++) {
		if (i % 37 == 0) {
			out[n++] = IAC;
			out[n++] = NOP;
		}
		if (i == 100) {
			memcpy(out + n, modemstate, sizeof(modemstate));
			n += sizeof(modemstate);
		}
		if (i == 200) {
			memcpy(out + n, will_sga, sizeof(will_sga));
			n += sizeof(will_sga);
		}
		out[n++] = (uint8_t)i;
		if (i == IAC)
			out[n++] = IAC;
	}
	memcpy(out + n, "\r\0\r\n", 4);
	return n + 4;
}

static void fake_answer(struct fake *f, int fd, const uint8_t *sb, size_t len)
{
	uint8_t out[32];
	size_t n = 0, i;

	if (len < 2 || sb[0] != 44)
		return;
	out[n++] = IAC;
	out[n++] = SB;
	out[n++] = 44;
	out[n++] = (uint8_t)(sb[1] + 100);
	for (i = 2; i < len && i < 6; i++) {
		uint8_t b = sb[i];

		if (sb[1] == 1 && f->baud_answer)
			b = (uint8_t)(f->baud_answer >> (8 * (5 - i)));
		out[n++] = b;
		if (b == IAC)
			out[n++] = IAC;
	}
	out[n++] = IAC;
	out[n++] = SE;
	fake_send(fd, out, n, n);
}

static void *fake_run(void *arg)
{
	static const uint8_t hello[] = { IAC, DO, 44, IAC, WILL, 1, IAC, WILL, 0, IAC, DO, 0,
					 IAC, WILL, 3 };
	static const uint8_t refuse[] = { IAC, WILL, 0, IAC, DO, 0, IAC, DONT, 44 };
	struct fake *f = arg;
	uint8_t buf[256], sb[16], script[512], verb = 0;
	size_t sblen = 0;
	int state = 0, fd = accept(f->lfd, NULL, NULL);
	ssize_t n;

	if (fd < 0)
		return NULL;
	if (f->refuse_comport)
		fake_send(fd, refuse, sizeof(refuse), 1);
	else
		fake_send(fd, hello, sizeof(hello), 1);
	/* states: 0 data, 1 IAC, 2 option, 3 SB, 4 SB IAC */
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			uint8_t c = buf[i];

			if (state == 0 && c == IAC) {
				state = 1;
			} else if (state == 0 && c == 'G') {
				fake_send(fd, script, fake_script(script), 0);
			} else if (state == 1) {
				state = c == SB ? 3 : c >= WILL && c <= DONT ? 2 : 0;
				verb = c;
				sblen = 0;
			} else if (state == 2) {
				f->saw_dont_echo |= verb == DONT && c == 1;
				state = 0;
			} else if (state == 3) {
				if (c == IAC)
					state = 4;
				else if (sblen < sizeof(sb))
					sb[sblen++] = c;
			} else if (state == 4) {
				state = c == IAC ? 3 : 0;
				if (c == IAC && sblen < sizeof(sb))
					sb[sblen++] = c;
				if (c == SE)
					fake_answer(f, fd, sb, sblen);
			}
		}
	}
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert(f->lfd >= 0);
	ck_assert(bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ck_assert(getsockname(f->lfd, (struct sockaddr *)&sin, &len) == 0);
	ck_assert(listen(f->lfd, 1) == 0);
	f->port = ntohs(sin.sin_port);
	snprintf(f->spec, sizeof(f->spec), "rfc2217:127.0.0.1:%u", f->port);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->lfd);
}

START_TEST(rfc2217_split_commands)
{
	struct fake f = { 0 };
	struct ub_port *port;
	uint8_t want[300], got[300];
	int i;

	fake_start(&f);
	port = open_port(f.spec, &line_115200);
	for (i = 0; i < 256; i++)
		want[i] = (uint8_t)i;
	memcpy(want + 256, "\r\0\r\n", 4);
	port_put(port, "G", 1);
	port_get(port, got, 260);
	ck_assert(memcmp(got, want, 260) == 0);
	ub_port_close(port, NULL);
	fake_stop(&f);
	ck_assert(f.saw_dont_echo);
}
END_TEST

START_TEST(rfc2217_other_baud)
{
	struct fake f = { .baud_answer = 115200 };
	struct ub_port_line fast = { 100000, UB_PARITY_NONE, 0 };
	struct ub_err err = { 0 };
	struct ub_port *port;
	char want[160];

	fake_start(&f);
	port = open_port(f.spec, &line_115200);
	ck_assert_int_eq(ub_port_set_line(port, &fast, &err), -1);
	ck_assert_int_eq(err.status, UB_EFAIL);
	snprintf(want, sizeof(want), "%s set 115200 baud, not 100000 (", f.spec);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
	ck_assert_uint_eq(port->line.baud, 115200);
	ub_port_close(port, NULL);
	fake_stop(&f);
}
END_TEST

START_TEST(rfc2217_refused)
{
	struct fake f = { .refuse_comport = 1 };
	struct ub_err err = { 0 };
	struct ub_port *port;

	fake_start(&f);
	ck_assert_int_eq(ub_port_open(f.spec, &line_115200, &port, &err), -1);
	ck_assert_int_eq(err.status, UB_ENODEV);
	ck_assert_msg(strstr(err.msg, "refused the RFC 2217 COM-PORT option"), "%s", err.msg);
	fake_stop(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("uart_net");
	TCase *plain = tcase_create("plain");
	TCase *ser2net;

	tcase_add_test(plain, bad_specs);
	tcase_add_test(plain, connect_refused);
	tcase_add_test(plain, rfc2217_split_commands);
	tcase_add_test(plain, rfc2217_other_baud);
	tcase_add_test(plain, rfc2217_refused);
	suite_add_tcase(s, plain);
	if (tu_ser2net_missing())
		return tu_main(s);
	ser2net = tcase_create("ser2net");
	tcase_add_checked_fixture(ser2net, setup, teardown);
	tcase_set_timeout(ser2net, 30);
	tcase_add_test(ser2net, roundtrip_tcp);
	tcase_add_test(ser2net, roundtrip_rfc2217);
	tcase_add_test(ser2net, rfc2217_line_settings);
	tcase_add_test(ser2net, tcp_fixed_speed);
	tcase_add_test(ser2net, read_timeout);
	tcase_add_test(ser2net, flush_input);
	tcase_add_test(ser2net, rfc2217_modem_on_pty);
	tcase_add_test(ser2net, server_goes_away_tcp);
	tcase_add_test(ser2net, server_goes_away_rfc2217);
	tcase_add_test(ser2net, device_in_use);
	tcase_add_test(ser2net, rfc2217_on_raw_port);
	suite_add_tcase(s, ser2net);
	return tu_main(s);
}
