/* SPDX-License-Identifier: MIT */
/*
 * XMODEM-1K with CRC-16/XMODEM on a port, both ways: send (the W800 ROM's
 * image upload, the ECR6600 custom stub's 0x91 write) and receive (the
 * ECR6600 stub's 0x92 read). Blocks are STX, number, 255 - number, 1024
 * bytes, CRC big-endian (../shared/notes/uart-chips.md §2.5, §3.3).
 */
#ifndef UNBRICK_XMODEM_H
#define UNBRICK_XMODEM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "port.h"

#define XM_SOH 0x01
#define XM_STX 0x02
#define XM_EOT 0x04
#define XM_ACK 0x06
#define XM_NAK 0x15
#define XM_CAN 0x18
#define XM_CRC_START 'C'
#define XM_BLOCK 1024

/* Where the bytes come from (send) and go to (receive); 0 or -1 with err. */
typedef int (*xm_source_fn)(void *arg, uint8_t *data, size_t len, struct ub_err *err);
typedef int (*xm_sink_fn)(void *arg, const uint8_t *data, size_t len, struct ub_err *err);

struct xmodem {
	struct ub_port *port;
	const struct ub_log *log;          /* may be NULL */
	volatile sig_atomic_t *stop;       /* checked between blocks and in waits; may be NULL */
	uint8_t pad;                       /* fills the last block: 0x00 wm_tool, 0xFF ECR stub */
	int receiver_ready;                /* send: the receiver's 'C' was already seen */
	int start_timeout_ms;              /* send: wait for 'C'; receive: for the first block */
	/*
	 * send: wait for ACK/NAK; receive: for a block. Receiving, make it
	 * longer than the sender's own wait for an ACK (the ECR stub's is 3 s):
	 * after a lost ACK the sender's resend then comes before our NAK.
	 */
	int block_timeout_ms;
	int max_tries;                     /* per block, per EOT, and 'C's sent when receiving */
	/*
	 * send: after no answer, pad until the receiver answers before the
	 * block goes again (a receiver that waits for lost bytes of a block
	 * would take the resent one's first bytes for them).
	 */
	int fill_on_timeout;
	/*
	 * send: stop at the first block not answered (after padding as above),
	 * for a receiver that would write a resent block twice; timed_out says
	 * so, and acked how far it got.
	 */
	int stop_on_timeout;
	void (*progress)(void *arg, uint64_t done, uint64_t total);  /* may be NULL */
	void *progress_arg;
	/* Out, for the caller's report and for ECR's lost-ACK rule. */
	unsigned resent;                   /* blocks sent again after a NAK or a timeout;
					      receive: NAKs sent */
	unsigned resent_after_timeout;     /* ... after a timeout: the receiver may hold it twice */
	unsigned duplicates;               /* receive: repeated blocks ACKed and dropped */
	int timed_out;                     /* send: stopped by stop_on_timeout */
	uint64_t acked;                    /* send: bytes of data the receiver acknowledged;
					      receive: bytes delivered to the sink */
};

/* Defaults: pad 0xFF, 'C' wait 10 s, block wait 3 s, 10 tries. */
void xmodem_init(struct xmodem *xm, struct ub_port *port);

/*
 * Send len bytes from source, then EOT. Each block is one write; NAK or no
 * answer in block_timeout_ms sends it again, other bytes are ignored, and a
 * 'C' counts as a NAK for block 1 once that block can have arrived. Fails
 * (status 1) on CAN, on a block not acknowledged after max_tries (CAN CAN
 * sent), or on EOT never acknowledged; status 3 when no 'C' came (a caller
 * that waits for its own prompt, such as the W600's 'P', sets
 * receiver_ready); UB_EINTR when stopped (CAN CAN sent). The message says
 * how many bytes were acknowledged (the offset of the block at hand);
 * blocks are counted from 1, not wrapped.
 */
int xmodem_send(struct xmodem *xm, uint64_t len, xm_source_fn source, void *arg,
		struct ub_err *err);

/*
 * Receive exactly len bytes into sink: send 'C' until the first block
 * (max_tries of them, start_timeout_ms / max_tries apart; status 3 when
 * none came), ACK good blocks (SOH or STX), ACK and drop a repeated one,
 * NAK a damaged one once the line is quiet, NAK after block_timeout_ms of
 * silence, ACK the EOT. Bytes past len (the sender's padding, whole blocks
 * of it too) are dropped. Fails (status 1) on CAN, a block out of sequence
 * (CAN CAN sent), an EOT before len bytes, or max_tries bad blocks in a
 * row (CAN CAN sent); UB_EINTR when stopped (CAN CAN sent).
 */
int xmodem_receive(struct xmodem *xm, uint64_t len, xm_sink_fn sink, void *arg,
		   struct ub_err *err);

#endif
