/* SPDX-License-Identifier: MIT */
/*
 * TCP plumbing shared by the network port backends (uart/port_tcp.c and
 * uart/port_rfc2217.c), defined in uart/net.c. name is the port's name for
 * messages, e.g. "tcp:192.0.2.10:3333".
 */
#ifndef UNBRICK_NET_H
#define UNBRICK_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"


/*
 * Check arg, "HOST:PORT" or "[IPV6]:PORT", without connecting: 0, or -1
 * with status 2 and a message naming prefix ("tcp", "rfc2217").
 */
int ub_net_check_addr(const char *prefix, const char *arg, struct ub_err *err);

/*
 * Connect to arg, "HOST:PORT" or "[IPV6]:PORT", giving up after 5 s. prefix
 * is the spec's name ("tcp", "rfc2217"), for messages. Returns a non-blocking
 * socket with TCP_NODELAY, or -1: status 2 for a malformed arg, 3 when
 * nothing answers.
 */
int ub_net_connect(const char *prefix, const char *arg, struct ub_err *err);

/*
 * Wait at most timeout_ms (-1 = forever) for bytes and read what is there.
 * Returns bytes read (>= 1), 0 on timeout, -1 on error or when the peer has
 * closed the connection.
 */
ssize_t ub_net_read(int fd, const char *name, void *buf, size_t cap, int timeout_ms,
		    struct ub_err *err);

/* Write all of buf; a peer that stops taking data for 10 s is an error. */
int ub_net_write(int fd, const char *name, const void *buf, size_t len,
		 struct ub_err *err);

/* Wait (at most 10 s) until the peer has acknowledged everything written. */
int ub_net_drain(int fd, const char *name, struct ub_err *err);

#endif
