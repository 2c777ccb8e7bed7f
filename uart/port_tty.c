/* SPDX-License-Identifier: MIT */
/*
 * A local tty: raw 8-bit, any baud rate (termios2 with BOTHER for rates
 * without a Bnnn constant; the classic calls and the standard rates where a
 * tty has no termios2), optional parity and INPCK, non-blocking I/O with
 * poll, an exclusive flock. Only <asm/termbits.h> is used for termios, as
 * glibc's <termios.h> cannot express BOTHER rates and clashes with it.
 */
#include "port.h"

#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct tty {
	int fd;
	int classic;   /* the tty has no termios2: standard rates through TCSETS */
	char path[128];
};

/* Write stalls (hardware flow control, a wedged adapter) end after this. */
#define TTY_WRITE_STALL_MS 10000

static const struct { unsigned baud; unsigned code; } standard_rates[] = {
	{ 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
	{ 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
	{ 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 },
	{ 500000, B500000 }, { 921600, B921600 }, { 1000000, B1000000 },
	{ 1500000, B1500000 }, { 2000000, B2000000 }, { 3000000, B3000000 },
};

static unsigned baud_code(unsigned baud)
{
	for (size_t i = 0; i < sizeof(standard_rates) / sizeof(standard_rates[0]); i++)
		if (standard_rates[i].baud == baud)
			return standard_rates[i].code;
	return BOTHER;
}

static void make_raw(struct termios2 *t, const struct ub_port_line *line)
{
	t->c_iflag = line->inpck ? INPCK : 0;
	t->c_oflag = 0;
	t->c_lflag = 0;
	t->c_cflag = CS8 | CREAD | CLOCAL | baud_code(line->baud);
	if (line->parity != UB_PARITY_NONE)
		t->c_cflag |= PARENB;
	if (line->parity == UB_PARITY_ODD)
		t->c_cflag |= PARODD;
	t->c_ispeed = line->baud;
	t->c_ospeed = line->baud;
	memset(t->c_cc, 0, sizeof(t->c_cc));
}

/* The termios2 settings through the classic struct, which has no speed fields. */
static void to_classic(const struct termios2 *t2, struct termios *t)
{
	t->c_iflag = t2->c_iflag;
	t->c_oflag = t2->c_oflag;
	t->c_cflag = t2->c_cflag;
	t->c_lflag = t2->c_lflag;
	t->c_line = t2->c_line;
	memcpy(t->c_cc, t2->c_cc, sizeof(t->c_cc));
}

/*
 * A tty without termios2: qemu-user does not translate TCGETS2, and other
 * odd drivers may lack it. The standard rates need only the classic calls.
 */
static int takes_baud_classic(const struct tty *tty, unsigned baud, struct ub_err *err)
{
	if (baud_code(baud) != BOTHER)
		return 1;
	ub_fail(err, UB_EUSAGE, "%s has no termios2, so it takes only the standard rates "
		"(such as 115200, 230400, 921600, 2000000), not %u baud", tty->path, baud);
	return 0;
}

static int set_line_classic(struct tty *tty, const struct ub_port_line *line,
			    struct ub_err *err)
{
	struct termios2 t2 = { 0 };
	struct termios t;

	if (!takes_baud_classic(tty, line->baud, err))
		return -1;
	if (ioctl(tty->fd, TCGETS, &t) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot read the settings of %s",
				     tty->path);
	t2.c_line = t.c_line;
	make_raw(&t2, line);
	to_classic(&t2, &t);
	if (ioctl(tty->fd, TCSETS, &t) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot set %s to %u baud",
				     tty->path, line->baud);
	if (ioctl(tty->fd, TCGETS, &t) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot read the settings of %s",
				     tty->path);
	if ((t.c_cflag & CBAUD) != baud_code(line->baud))
		return ub_fail(err, UB_EFAIL, "%s cannot run at %u baud", tty->path, line->baud);
	return 0;
}

static int no_termios2(int errnum)
{
	return errnum == ENOSYS || errnum == ENOTTY || errnum == EINVAL;
}

/* Known once a first set_line (at open) has found whether termios2 works. */
static int tty_takes_baud(void *priv, unsigned baud, struct ub_err *err)
{
	const struct tty *tty = priv;

	return tty->classic ? takes_baud_classic(tty, baud, err) : 1;
}

static int tty_set_line(void *priv, const struct ub_port_line *line, struct ub_err *err)
{
	struct tty *tty = priv;
	struct termios2 t;

	if (line->baud == 0)
		return ub_fail(err, UB_EUSAGE, "baud rate 0 for %s", tty->path);
	if (!tty->classic && ioctl(tty->fd, TCGETS2, &t) < 0) {
		if (!no_termios2(errno))
			return ub_fail_errno(err, UB_EFAIL, errno, "cannot read the settings of %s",
					     tty->path);
		tty->classic = 1;
	}
	if (tty->classic)
		return set_line_classic(tty, line, err);
	make_raw(&t, line);
	if (ioctl(tty->fd, TCSETS2, &t) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot set %s to %u baud",
				     tty->path, line->baud);
	if (ioctl(tty->fd, TCGETS2, &t) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot read the settings of %s",
				     tty->path);
	/* A driver rounds to what its divisor can do; 3 % off breaks framing. */
	if (t.c_ospeed * 100ULL < line->baud * 97ULL || t.c_ospeed * 100ULL > line->baud * 103ULL)
		return ub_fail(err, UB_EFAIL, "%s cannot run at %u baud (its driver set %u)",
			       tty->path, line->baud, t.c_ospeed);
	return 0;
}

static int wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n;
}

static int gone(struct tty *tty, int errnum, struct ub_err *err)
{
	if (errnum == EIO || errnum == ENXIO || errnum == ENODEV)
		return ub_fail(err, UB_ENODEV, "%s went away (adapter unplugged?)", tty->path);
	return ub_fail_errno(err, UB_EFAIL, errnum, "I/O error on %s", tty->path);
}

static int tty_write(void *priv, const void *buf, size_t len, struct ub_err *err)
{
	struct tty *tty = priv;
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(tty->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int ready = wait_for(tty->fd, POLLOUT, TTY_WRITE_STALL_MS);

			if (ready == 0)
				return ub_fail(err, UB_EFAIL, "%s does not take data "
					       "(flow control or a wedged adapter?)", tty->path);
			if (ready < 0)
				return gone(tty, errno, err);
			continue;
		}
		if (n < 0)
			return gone(tty, errno, err);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t tty_read(void *priv, void *buf, size_t cap, int timeout_ms, struct ub_err *err)
{
	struct tty *tty = priv;

	for (;;) {
		ssize_t n = read(tty->fd, buf, cap);

		if (n > 0)
			return n;
		if (n == 0 || errno == EAGAIN) {
			int ready = wait_for(tty->fd, POLLIN, timeout_ms);

			if (ready == 0)
				return 0;
			if (ready < 0)
				return gone(tty, errno, err);
			/* Hang-up: let the next read() report it. */
			if (n == 0) {
				n = read(tty->fd, buf, cap);
				if (n > 0)
					return n;
				if (n == 0)
					return gone(tty, EIO, err);
			}
			continue;
		}
		if (errno != EINTR)
			return gone(tty, errno, err);
	}
}

static int tty_drain(void *priv, struct ub_err *err)
{
	struct tty *tty = priv;

	while (ioctl(tty->fd, TCSBRK, 1) < 0)
		if (errno != EINTR)
			return gone(tty, errno, err);
	return 0;
}

static int tty_flush_input(void *priv, struct ub_err *err)
{
	struct tty *tty = priv;

	if (ioctl(tty->fd, TCFLSH, TCIFLUSH) < 0)
		return gone(tty, errno, err);
	return 0;
}

static int tty_set_modem(void *priv, char which, int value, struct ub_err *err)
{
	struct tty *tty = priv;
	int bits = which == 'd' ? TIOCM_DTR : TIOCM_RTS;

	if (ioctl(tty->fd, value ? TIOCMBIS : TIOCMBIC, &bits) == 0)
		return 0;
	/* ptys and some adapters have no modem lines: not an error here. */
	if (errno == ENOTTY || errno == EINVAL)
		return 1;
	return gone(tty, errno, err);
}

static int tty_close(void *priv, struct ub_err *err)
{
	struct tty *tty = priv;

	(void)err;
	close(tty->fd);
	free(tty);
	return 0;
}

static const struct ub_port_ops tty_ops = {
	.set_line = tty_set_line,
	.takes_baud = tty_takes_baud,
	.write = tty_write,
	.read = tty_read,
	.drain = tty_drain,
	.flush_input = tty_flush_input,
	.set_modem = tty_set_modem,
	.close = tty_close,
};

static int open_failed(const char *path, int errnum, struct ub_err *err)
{
	if (errnum == ENOENT)
		return ub_fail(err, UB_ENODEV, "no serial port %s (is the adapter plugged in?)",
			       path);
	if (errnum == EACCES)
		return ub_fail(err, UB_ENODEV, "cannot open %s: permission denied "
			       "(add yourself to its group, e.g. dialout, and log in again)", path);
	if (errnum == EBUSY)
		return ub_fail(err, UB_ENODEV, "%s is busy (opened exclusively by another program)",
			       path);
	return ub_fail_errno(err, UB_ENODEV, errnum, "cannot open %s", path);
}

int ub_tty_open(const char *path, const char *opts, const struct ub_port_line *line,
		struct ub_port **out, struct ub_err *err)
{
	struct tty *tty;
	int fd;

	*out = NULL;
	if (opts && *opts)
		return ub_fail(err, UB_EUSAGE, "tty:%s: a serial port takes no options (got '%s')",
			       path, opts);
	if (!*path)
		return ub_fail(err, UB_EUSAGE, "tty: needs a path, e.g. tty:/dev/ttyUSB0");
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return open_failed(path, errno, err);
	if (!isatty(fd)) {
		close(fd);
		return ub_fail(err, UB_EUSAGE, "%s is not a serial port", path);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int errnum = errno;

		close(fd);
		if (errnum == EWOULDBLOCK)
			return ub_fail(err, UB_ENODEV, "%s is in use by another program "
				       "(it holds a lock on the port)", path);
		return ub_fail_errno(err, UB_ENODEV, errnum, "cannot lock %s", path);
	}
	tty = calloc(1, sizeof(*tty));
	if (!tty) {
		close(fd);
		return ub_fail(err, UB_EFAIL, "out of memory");
	}
	tty->fd = fd;
	snprintf(tty->path, sizeof(tty->path), "%s", path);
	if (tty_set_line(tty, line, err) < 0) {
		tty_close(tty, NULL);
		return -1;
	}
	*out = ub_port_new(&tty_ops, tty, path);
	if (!*out) {
		tty_close(tty, NULL);
		return ub_fail(err, UB_EFAIL, "out of memory");
	}
	return 0;
}
