/* SPDX-License-Identifier: MIT */
/* The TCP plumbing of the network port backends (uart/net.h). */
#include "net.h"

#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define CONNECT_MS 5000
/* A peer that takes no data, or acknowledges none, for this long is stuck. */
#define STALL_MS 10000

/* Poll one fd until deadline (ms on ub_clock_ms; -1 = none). */
static int wait_until(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do {
		int64_t left = deadline - ub_clock_ms();

		n = poll(&p, 1, deadline < 0 ? -1 : left > 0 ? (int)left : 0);
	} while (n < 0 && errno == EINTR);
	return n;
}

static int bad_addr(const char *prefix, const char *arg, const char *why,
		    struct ub_err *err)
{
	return ub_fail(err, UB_EUSAGE, "%s:%s: %s; use %s:HOST:PORT, e.g. %s:192.168.1.20:3333 "
		       "or %s:[fd00::2]:3333", prefix, arg, why, prefix, prefix, prefix);
}

/* Split "HOST:PORT" or "[V6]:PORT" into host and a checked decimal port. */
static int split_addr(const char *prefix, const char *arg, char *host, size_t hostlen,
		      char *port, size_t portlen, struct ub_err *err)
{
	const char *h = arg, *colon, *digits;
	size_t hlen, dlen;
	unsigned long n;

	if (!*arg)
		return ub_fail(err, UB_EUSAGE, "%s: needs an address; use %s:HOST:PORT, "
			       "e.g. %s:192.168.1.20:3333", prefix, prefix, prefix);
	if (*arg == '[') {
		const char *end = strchr(arg, ']');

		if (!end || end[1] != ':')
			return bad_addr(prefix, arg, "an IPv6 address needs [ADDR]:PORT", err);
		h = arg + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strchr(arg, ':');
		if (!colon)
			return bad_addr(prefix, arg, "no port", err);
		if (strchr(colon + 1, ':'))
			return bad_addr(prefix, arg, "an IPv6 address needs brackets", err);
		hlen = (size_t)(colon - arg);
	}
	if (hlen == 0)
		return bad_addr(prefix, arg, "no host", err);
	if (hlen >= hostlen)
		return bad_addr(prefix, arg, "host name too long", err);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	digits = colon + 1;
	dlen = strlen(digits);
	n = dlen && dlen < portlen && strspn(digits, "0123456789") == dlen ?
	    strtoul(digits, NULL, 10) : 0;
	if (n == 0 || n > 65535)
		return bad_addr(prefix, arg, "the port must be a number from 1 to 65535", err);
	snprintf(port, portlen, "%lu", n);
	return 0;
}

int ub_net_check_addr(const char *prefix, const char *arg, struct ub_err *err)
{
	char host[256], port[8];

	return split_addr(prefix, arg, host, sizeof(host), port, sizeof(port), err);
}

/* Connect one address before deadline; the socket, or -1 with *errnum. */
static int try_connect(const struct addrinfo *ai, int64_t deadline, int *errnum)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	socklen_t len = sizeof(*errnum);

	if (fd < 0) {
		*errnum = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	*errnum = errno;
	if (*errnum == EINPROGRESS) {
		int ready = wait_until(fd, POLLOUT, deadline);

		if (ready == 0)
			*errnum = ETIMEDOUT;
		else if (ready < 0)
			*errnum = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, errnum, &len) < 0)
			*errnum = errno;
		if (*errnum == 0)
			return fd;
	}
	close(fd);
	return -1;
}

static int connect_failed(const char *name, int errnum, struct ub_err *err)
{
	if (errnum == ECONNREFUSED)
		return ub_fail(err, UB_ENODEV, "cannot connect to %s: connection refused "
			       "(nothing listens there; is ser2net running, and is the port right?)",
			       name);
	if (errnum == ETIMEDOUT)
		return ub_fail(err, UB_ENODEV, "cannot connect to %s: no answer within %d s "
			       "(is the host up and reachable?)", name, CONNECT_MS / 1000);
	return ub_fail(err, UB_ENODEV, "cannot connect to %s: %s (check the address and "
		       "the network)", name, strerror(errnum));
}

int ub_net_connect(const char *prefix, const char *arg, struct ub_err *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char host[256], port[8], name[300];
	int64_t deadline = ub_clock_ms() + CONNECT_MS;
	int fd = -1, errnum = ETIMEDOUT, rc, one = 1;

	if (split_addr(prefix, arg, host, sizeof(host), port, sizeof(port), err) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s:%s", prefix, arg);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return ub_fail(err, UB_ENODEV, "cannot connect to %s: host '%s' not found: %s "
			       "(check the name)", name, host,
			       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	for (ai = res; ai && fd < 0 && ub_clock_ms() < deadline; ai = ai->ai_next)
		fd = try_connect(ai, deadline, &errnum);
	freeaddrinfo(res);
	if (fd < 0)
		return connect_failed(name, errnum, err);
	/* Protocols wait for short answers: do not hold small writes back. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		errnum = errno;
		close(fd);
		return ub_fail_errno(err, UB_EFAIL, errnum, "%s: cannot set TCP_NODELAY", name);
	}
	return fd;
}

static int io_failed(const char *name, int errnum, struct ub_err *err)
{
	if (errnum == EPIPE || errnum == ECONNRESET)
		return ub_fail(err, UB_ENODEV, "connection to %s closed (did the server stop, "
			       "or give the port to another client?)", name);
	return ub_fail_errno(err, UB_EFAIL, errnum, "I/O error on %s", name);
}

ssize_t ub_net_read(int fd, const char *name, void *buf, size_t cap, int timeout_ms,
		    struct ub_err *err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : ub_clock_ms() + timeout_ms;

	if (cap == 0)
		return 0;
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		int ready;

		if (n > 0)
			return n;
		if (n == 0)
			return ub_fail(err, UB_ENODEV, "%s closed the connection (did the server "
				       "stop, or give the port to another client?)", name);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return io_failed(name, errno, err);
		ready = wait_until(fd, POLLIN, deadline);
		if (ready == 0)
			return 0;
		if (ready < 0)
			return io_failed(name, errno, err);
	}
}

int ub_net_write(int fd, const char *name, const void *buf, size_t len, struct ub_err *err)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		int ready;

		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return io_failed(name, errno, err);
		ready = wait_until(fd, POLLOUT, ub_clock_ms() + STALL_MS);
		if (ready == 0)
			return ub_fail(err, UB_EFAIL, "%s takes no data for %d s (is the server "
				       "stuck?)", name, STALL_MS / 1000);
		if (ready < 0)
			return io_failed(name, errno, err);
	}
	return 0;
}

int ub_net_drain(int fd, const char *name, struct ub_err *err)
{
	int64_t deadline = ub_clock_ms() + STALL_MS;
	int queued;

	for (;;) {
		if (ioctl(fd, SIOCOUTQ, &queued) < 0)
			return io_failed(name, errno, err);
		if (queued == 0)
			return 0;
		if (ub_clock_ms() >= deadline)
			return ub_fail(err, UB_EFAIL, "%s has not taken the last %d bytes in %d s "
				       "(is the server stuck?)", name, queued, STALL_MS / 1000);
		poll(NULL, 0, 1);
	}
}
