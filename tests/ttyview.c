/* SPDX-License-Identifier: MIT */
#include "ttyview.h"

#include <asm/termbits.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "testutil.h"

static const struct {
	unsigned code, rate;
} rates[] = {
	{ B50, 50 }, { B75, 75 }, { B110, 110 }, { B134, 134 }, { B150, 150 }, { B200, 200 },
	{ B300, 300 }, { B600, 600 }, { B1200, 1200 }, { B1800, 1800 }, { B2400, 2400 },
	{ B4800, 4800 }, { B9600, 9600 }, { B19200, 19200 }, { B38400, 38400 },
	{ B57600, 57600 }, { B115200, 115200 }, { B230400, 230400 }, { B460800, 460800 },
	{ B500000, 500000 }, { B576000, 576000 }, { B921600, 921600 }, { B1000000, 1000000 },
	{ B1152000, 1152000 }, { B1500000, 1500000 }, { B2000000, 2000000 },
	{ B2500000, 2500000 }, { B3000000, 3000000 }, { B3500000, 3500000 },
	{ B4000000, 4000000 },
};

static unsigned rate_of(unsigned code)
{
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i].code == code)
			return rates[i].rate;
	return 0;
}

static unsigned code_of(unsigned rate)
{
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i].rate == rate)
			return rates[i].code;
	return BOTHER;
}

static int lacks_termios2(int errnum)
{
	return errnum == ENOSYS || errnum == ENOTTY || errnum == EINVAL;
}

int tu_tty_get(int fd, struct termios2 *t)
{
	struct termios c;

	if (ioctl(fd, TCGETS2, t) == 0)
		return 0;
	if (!lacks_termios2(errno))
		return -1;
	if (ioctl(fd, TCGETS, &c) < 0)
		return -1;
	memset(t, 0, sizeof(*t));
	t->c_iflag = c.c_iflag;
	t->c_oflag = c.c_oflag;
	t->c_cflag = c.c_cflag;
	t->c_lflag = c.c_lflag;
	t->c_line = c.c_line;
	memcpy(t->c_cc, c.c_cc, sizeof(c.c_cc));
	t->c_ospeed = rate_of(c.c_cflag & CBAUD);
	t->c_ispeed = t->c_ospeed;
	return 0;
}

int tu_tty_set(int fd, const struct termios2 *t)
{
	struct termios c;
	unsigned code = (t->c_cflag & CBAUD) == BOTHER ? code_of(t->c_ospeed) : t->c_cflag & CBAUD;

	if (ioctl(fd, TCSETS2, t) == 0)
		return 0;
	if (!lacks_termios2(errno))
		return -1;
	if (code == BOTHER) {
		errno = EINVAL;
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.c_iflag = t->c_iflag;
	c.c_oflag = t->c_oflag;
	c.c_cflag = (t->c_cflag & ~(tcflag_t)(CBAUD | CIBAUD)) | code;
	c.c_lflag = t->c_lflag;
	c.c_line = t->c_line;
	memcpy(c.c_cc, t->c_cc, sizeof(c.c_cc));
	return ioctl(fd, TCSETS, &c);
}

int tu_pty_takes(unsigned baud)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), ok = 0;
	struct termios2 t;

	if (master < 0)
		return 0;
	if (grantpt(master) == 0 && unlockpt(master) == 0 && tu_tty_get(master, &t) == 0) {
		t.c_cflag = (t.c_cflag & ~(tcflag_t)CBAUD) | BOTHER;
		t.c_ispeed = t.c_ospeed = baud;
		ok = tu_tty_set(master, &t) == 0 && tu_tty_get(master, &t) == 0 &&
		     t.c_ospeed == baud;
	}
	close(master);
	return ok;
}

int tu_skip_unless_pty_takes(unsigned baud, const char *test)
{
	char why[128];

	if (!tu_under_qemu() || tu_pty_takes(baud))
		return 0;
	snprintf(why, sizeof(why), "qemu-user cannot set a pty to %u baud (it translates no "
		 "termios2, nor every Bnnn code)", baud);
	return tu_skip_under_qemu(test, why);
}

const char *tu_pty_fast_rate(void)
{
	return tu_pty_takes(921600) ? "921600" : "460800";
}
