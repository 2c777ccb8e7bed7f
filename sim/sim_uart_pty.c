/* SPDX-License-Identifier: MIT */
/*
 * The pty runner for UART device models (sim/sim_uart.h), in real time.
 *
 * The device side is the pty master, non-blocking, served by one thread
 * (every signal blocked there, so the host's SIGINT handling is untouched).
 * Each loop: read the slave's termios (TCGETS2 on the master acts on the
 * slave) and tell the model about changes, hand over DTR/RTS events queued
 * by uart_sim_set_modem(), move host bytes into the model (as many as it
 * takes; the rest waits in the pty and back-pressures the host), move the
 * model's bytes out, then sleep in ppoll until the model's next event, the
 * pty, an eventfd (modem, stop) or 2 ms for the next termios look.
 *
 * The master's own termios is the kernel's raw default (ioctls on a master
 * act on the slave, so it is never touched). The runner keeps an fd on the
 * slave for its whole life so the master never sees a hangup while no host
 * has the slave open; the slave keeps the pty's default (echo, canonical)
 * until a host makes it raw.
 *
 * pace=1 models the line rate: the device's bytes leave at most baud/10 per
 * second at the rate the model gives for them, and host bytes are read no
 * faster than baud/10 per second at the host's baud. pace=0 moves bytes as
 * fast as the pty allows, in the same order. Model time is monotonic time
 * since start.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "sim_uart_run.h"
#include "sim_file.h"

/* struct termios2 and TCGETS2; this file must not include <termios.h>. */
#include <asm/termbits.h>
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

enum {
	MODEM_QUEUE = 64,
	IO_BUF = 4096,
	PACE_BATCH = 8,   /* paced: wake when this many byte slots are due */
};

static const uint64_t LINE_POLL_NS = 2000000;   /* termios look every 2 ms */
/* Bytes read this soon after a settings change may predate it (the kernel
 * moves pty data to the reader asynchronously). */
static const uint64_t LINE_GRACE_NS = 5000000;

struct modem_event {
	char which;
	int value;
};

struct sim_pty {
	struct uart_sim_dev d;
	int master, slave, wake;
	char slave_path[128];
	int pace;
	uint64_t t0;
	pthread_t thread;

	pthread_mutex_t lock;   /* guards stop and the modem queue */
	int stop;
	char parity;            /* from uart_sim_set_parity, 0 = none given */
	struct modem_event modem[MODEM_QUEUE];
	size_t modem_len;

	/* the thread's own */
	struct uart_sim_line line, prev_line;   /* prev_line: before the last change */
	int have_line, have_prev;
	uint64_t t_change, t_empty;   /* last change seen; last read that found none */
	uint64_t rx_next, tx_next;   /* paced: when the next byte slot starts */
	int rx_idle, tx_idle;
	uint8_t pend[IO_BUF];        /* pulled from the model, not yet written */
	size_t pend_len, pend_off;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ------------------------------------------------------------ the line */

static unsigned cbaud_rate(unsigned cbaud)
{
	static const struct {
		unsigned code, rate;
	} table[] = {
		{ B50, 50 }, { B75, 75 }, { B110, 110 }, { B134, 134 },
		{ B150, 150 }, { B200, 200 }, { B300, 300 }, { B600, 600 },
		{ B1200, 1200 }, { B1800, 1800 }, { B2400, 2400 },
		{ B4800, 4800 }, { B9600, 9600 }, { B19200, 19200 },
		{ B38400, 38400 }, { B57600, 57600 }, { B115200, 115200 },
		{ B230400, 230400 }, { B460800, 460800 }, { B500000, 500000 },
		{ B576000, 576000 }, { B921600, 921600 }, { B1000000, 1000000 },
		{ B1152000, 1152000 }, { B1500000, 1500000 },
		{ B2000000, 2000000 }, { B2500000, 2500000 },
		{ B3000000, 3000000 }, { B3500000, 3500000 },
		{ B4000000, 4000000 },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == cbaud)
			return table[i].rate;
	return 0;
}

/* Without termios2 (qemu-user lacks it): the classic settings, speeds from CBAUD. */
static int read_classic(int fd, struct termios2 *t2)
{
	struct termios t;

	if (ioctl(fd, TCGETS, &t))
		return -1;
	memset(t2, 0, sizeof(*t2));
	t2->c_iflag = t.c_iflag;
	t2->c_cflag = t.c_cflag;
	t2->c_lflag = t.c_lflag;
	return 0;
}

/* The slave's settings, through the master. */
static int read_line(int fd, struct uart_sim_line *l)
{
	struct termios2 t;

	if (ioctl(fd, TCGETS2, &t) && read_classic(fd, &t))
		return -1;
	l->baud = t.c_ospeed ? t.c_ospeed : cbaud_rate(t.c_cflag & CBAUD);
	if (!(t.c_cflag & PARENB))
		l->parity = 'n';
	else if (t.c_cflag & CMSPAR)
		l->parity = (t.c_cflag & PARODD) ? 'm' : 's';
	else
		l->parity = (t.c_cflag & PARODD) ? 'o' : 'e';
	switch (t.c_cflag & CSIZE) {
	case CS5: l->bits = 5; break;
	case CS6: l->bits = 6; break;
	case CS7: l->bits = 7; break;
	default: l->bits = 8; break;
	}
	l->inpck = !!(t.c_iflag & INPCK);
	l->raw = !(t.c_lflag & (ICANON | ECHO));
	return 0;
}

static void poll_line(struct sim_pty *s, uint64_t now)
{
	struct uart_sim_line l;

	if (read_line(s->master, &l))
		return;
	pthread_mutex_lock(&s->lock);
	if (s->parity)
		l.parity = s->parity;
	pthread_mutex_unlock(&s->lock);
	if (s->have_line && l.baud == s->line.baud && l.parity == s->line.parity &&
	    l.bits == s->line.bits && l.inpck == s->line.inpck &&
	    l.raw == s->line.raw)
		return;
	if (s->have_line) {
		s->prev_line = s->line;
		s->have_prev = 1;
		s->t_change = now;
	}
	s->line = l;
	s->have_line = 1;
	sim_dev_line(&s->d, now, &l);
}

static void deliver_modem(struct sim_pty *s, uint64_t now)
{
	struct modem_event ev[MODEM_QUEUE];
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->modem_len;
	memcpy(ev, s->modem, n * sizeof(ev[0]));
	s->modem_len = 0;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++)
		sim_dev_modem(&s->d, now, ev[i].which, ev[i].value);
}

/* ---------------------------------------------------------------- bytes */

/* Paced: byte slots due by now, counted from *next (no credit for idling). */
static size_t budget(uint64_t *next, const int *idle, uint64_t now, unsigned baud)
{
	if (*idle && *next < now)
		*next = now;
	if (*next > now)
		return 0;
	return (size_t)((now - *next) / sim_slot_ns(baud) + 1);
}

static int do_input(struct sim_pty *s, uint64_t now)
{
	uint8_t buf[IO_BUF];
	size_t want = sim_dev_room(&s->d, now);
	const struct uart_sim_line *alt;
	ssize_t r;

	if (want > sizeof(buf))
		want = sizeof(buf);
	if (s->pace) {
		size_t b = budget(&s->rx_next, &s->rx_idle, now, s->line.baud);

		if (want > b)
			want = b;
	}
	if (!want)
		return 0;
	r = read(s->master, buf, want);
	if (r <= 0) {
		s->rx_idle = 1;   /* EAGAIN; EIO cannot happen while we hold the slave */
		s->t_empty = now;
		return 0;
	}
	s->rx_idle = 0;
	s->rx_next += (uint64_t)r * sim_slot_ns(s->line.baud);
	/* A change seen now, or since these bytes could have come: either applies. */
	poll_line(s, now);
	alt = s->have_prev && s->t_change + LINE_GRACE_NS >= s->t_empty ?
	      &s->prev_line : NULL;
	sim_dev_input(&s->d, now, buf, (size_t)r, alt);
	return 1;
}

static int do_output(struct sim_pty *s, uint64_t now)
{
	int progress = 0;

	if (s->pend_off == s->pend_len) {
		unsigned rate = sim_dev_rate(&s->d, now, s->line.baud);
		size_t cap = sizeof(s->pend), n;

		if (s->pace) {
			size_t b = budget(&s->tx_next, &s->tx_idle, now, rate);

			if (cap > b)
				cap = b;
		}
		if (!cap)
			return 0;
		n = sim_dev_output(&s->d, now, s->pend, cap);
		s->pend_off = 0;
		s->pend_len = n;
		s->tx_idle = n == 0;
		s->tx_next += (uint64_t)n * sim_slot_ns(rate);
		progress = n > 0;
	}
	if (s->pend_off < s->pend_len) {
		ssize_t w = write(s->master, s->pend + s->pend_off,
				  s->pend_len - s->pend_off);

		if (w > 0) {
			s->pend_off += (size_t)w;
			progress = 1;
		}
	}
	return progress;
}

static int stop_requested(struct sim_pty *s)
{
	int stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* Sleep until something can happen. */
static void wait_events(struct sim_pty *s, uint64_t now)
{
	uint64_t deadline = min_u64(sim_dev_next_event(&s->d, now),
				    now + LINE_POLL_NS);
	int pending = s->pend_off < s->pend_len;
	struct pollfd p[2];
	struct timespec ts;
	uint64_t wait;

	p[0].fd = s->master;
	p[0].events = pending ? POLLOUT : 0;
	p[1].fd = s->wake;
	p[1].events = POLLIN;
	if (sim_dev_room(&s->d, now)) {
		if (!s->pace || s->rx_idle || s->rx_next <= now)
			p[0].events |= POLLIN;
		else
			deadline = min_u64(deadline, s->rx_next +
					   (PACE_BATCH - 1) * sim_slot_ns(s->line.baud));
	}
	if (deadline <= now) {
		/* output is due but blocked: by the pty (POLLOUT) or the pace */
		if (pending)
			deadline = now + LINE_POLL_NS;
		else if (s->pace && s->tx_next > now)
			deadline = s->tx_next + (PACE_BATCH - 1) *
				   sim_slot_ns(sim_dev_rate(&s->d, now, s->line.baud));
		else
			deadline = now;
	}
	wait = deadline > now ? deadline - now : 0;
	ts.tv_sec = (time_t)(wait / 1000000000u);
	ts.tv_nsec = (long)(wait % 1000000000u);
	if (ppoll(p, 2, &ts, NULL) > 0 && (p[1].revents & POLLIN)) {
		uint64_t v;

		if (read(s->wake, &v, sizeof(v)) < 0)
			return;   /* EAGAIN: someone else drained it */
	}
}

static void *run(void *arg)
{
	struct sim_pty *s = arg;

	while (!stop_requested(s)) {
		uint64_t now = mono_ns() - s->t0;
		int progress;

		poll_line(s, now);
		deliver_modem(s, now);
		progress = do_input(s, now);
		progress |= do_output(s, now);
		if (!progress)
			wait_events(s, now);
	}
	/* What the host did just before it stopped us still reaches the model. */
	poll_line(s, mono_ns() - s->t0);
	deliver_modem(s, mono_ns() - s->t0);
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

static void wake_thread(struct sim_pty *s)
{
	uint64_t one = 1;

	if (write(s->wake, &one, sizeof(one)) < 0)
		return;   /* counter full: the thread is awake anyway */
}

static int open_pty(struct sim_pty *s, char *err, size_t errlen)
{
	int flags;

	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->master < 0 || grantpt(s->master) || unlockpt(s->master) ||
	    ptsname_r(s->master, s->slave_path, sizeof(s->slave_path))) {
		sim_set_err(err, errlen, "uart sim: cannot create a pty: %s",
			strerror(errno));
		return -1;
	}
	s->slave = open(s->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->slave < 0) {
		sim_set_err(err, errlen, "uart sim: %s: %s", s->slave_path,
			strerror(errno));
		return -1;
	}
	flags = fcntl(s->master, F_GETFL);
	if (flags < 0 || fcntl(s->master, F_SETFL, flags | O_NONBLOCK)) {
		sim_set_err(err, errlen, "uart sim: pty master: %s", strerror(errno));
		return -1;
	}
	s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake < 0) {
		sim_set_err(err, errlen, "uart sim: eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void close_fds(struct sim_pty *s)
{
	if (s->master >= 0)
		close(s->master);
	if (s->slave >= 0)
		close(s->slave);
	if (s->wake >= 0)
		close(s->wake);
}


struct sim_pty *sim_pty_start(struct uart_sim_dev dev, int pace, char *err, size_t errlen)
{
	struct sim_pty *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int rc;

	if (!s) {
		sim_set_err(err, errlen, "uart sim: out of memory");
		return NULL;
	}
	s->master = s->slave = s->wake = -1;
	s->d = dev;
	s->pace = pace;
	if (open_pty(s, err, errlen))
		goto fail;
	pthread_mutex_init(&s->lock, NULL);
	s->t0 = mono_ns();
	s->rx_idle = s->tx_idle = 1;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		sim_set_err(err, errlen, "uart sim: cannot start a thread: %s", strerror(rc));
		pthread_mutex_destroy(&s->lock);
		goto fail;
	}
	return s;
fail:
	close_fds(s);
	free(s);
	return NULL;
}

const char *sim_pty_slave_path(const struct sim_pty *s)
{
	return s->slave_path;
}

void sim_pty_set_parity(struct sim_pty *s, char parity)
{
	pthread_mutex_lock(&s->lock);
	s->parity = parity;
	pthread_mutex_unlock(&s->lock);
	wake_thread(s);
}

void sim_pty_set_modem(struct sim_pty *s, char which, int value)
{
	pthread_mutex_lock(&s->lock);
	if (s->modem_len == MODEM_QUEUE)   /* never in practice: keep the newest */
		memmove(s->modem, s->modem + 1, (MODEM_QUEUE - 1) * sizeof(s->modem[0]));
	else
		s->modem_len++;
	s->modem[s->modem_len - 1].which = which;
	s->modem[s->modem_len - 1].value = !!value;
	pthread_mutex_unlock(&s->lock);
	wake_thread(s);
}

void sim_pty_stop(struct sim_pty *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_mutex_unlock(&s->lock);
	wake_thread(s);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	close_fds(s);
	free(s);
}
