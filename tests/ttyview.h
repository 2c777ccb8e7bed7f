/* SPDX-License-Identifier: MIT */
/*
 * A test's own view of a tty's settings, with the classic fallback the
 * programs have: qemu-user translates no TCGETS2, and its classic termios
 * translation knows only some Bnnn codes (qemu 7.2: up to B460800).
 * A file that calls tu_tty_get or tu_tty_set includes <asm/termbits.h> (not
 * <termios.h>) for struct termios2.
 */
#ifndef UNBRICK_TTYVIEW_H
#define UNBRICK_TTYVIEW_H

struct termios2;

/*
 * The settings as termios2: TCGETS2, or TCGETS where the tty has none, the
 * speeds then from the Bnnn code (0 for one without a rate). 0, or -1 with errno.
 */
int tu_tty_get(int fd, struct termios2 *t);
/*
 * Set them: TCSETS2, or TCSETS where the tty has no termios2, c_ospeed as its
 * Bnnn code (-1 with EINVAL for a rate that has none). 0, or -1 with errno.
 */
int tu_tty_set(int fd, const struct termios2 *t);

/* A pty in this process can be set to baud and reads it back. */
int tu_pty_takes(unsigned baud);
/*
 * Under qemu-user, when a pty cannot be set to baud there: print the skip
 * line for test (tu_skip_under_qemu) and return 1. Else 0, natively always.
 */
int tu_skip_unless_pty_takes(unsigned baud, const char *test);

/*
 * "921600", or "460800" where a pty cannot take 921600 (qemu-user 7.2's
 * classic termios stops at B460800): a fast rate for a case that is about
 * the pty path, not the rate.
 */
const char *tu_pty_fast_rate(void);

#endif
