/* SPDX-License-Identifier: MIT */
/*
 * USB captures for the golden tests: one device's transfers out of a Linux
 * usbmon capture, and their reduction to the "vendor request" sequence a
 * host protocol is compared by.
 *
 * Read: classic pcap and pcapng, link types 220 (usbmon, mmapped: 64-byte
 * header) and 189 (usbmon: 48-byte header); also the runner's wire= file
 * (sim/sim_usb.h), so the emulator's side reduces with the same code.
 *
 * Reduce: one struct usbcap_vreq per vendor control request (bmRequestType
 * 0x40 or 0xC0), with the 40-byte command's named fields (notes §3.2), the
 * device's answer, and the bulk bytes moved until the next vendor request.
 * Polls (GET_CPU_INFO 0x00, GET_ACK 0x10) repeated with nothing between
 * become one request with a count.
 */
#ifndef UNBRICK_USBCAP_H
#define UNBRICK_USBCAP_H

#include <stddef.h>
#include <stdint.h>

struct ub_err;

enum usbcap_kind { USBCAP_CONTROL, USBCAP_BULK, USBCAP_OTHER };

/* One transfer as the host made it: submitted, then completed. */
struct usbcap_xfer {
	enum usbcap_kind kind;
	uint8_t ep;            /* endpoint address, 0x80 set for IN (0x00/0x80 control) */
	uint8_t setup[8];      /* control only, as on the wire */
	int status;            /* 0, or a negative errno at completion (-32 stall, -110 timeout) */
	uint32_t asked;        /* bytes the host asked to move (wLength for control) */
	uint32_t moved;        /* bytes moved */
	uint8_t *data;         /* OUT data the host sent, or IN data received (len data_len) */
	size_t data_len;       /* may be short of moved: a capture's snap length */
	uint64_t t_us;         /* submission, microseconds since the capture's first event */
	uint64_t done_us;      /* completion */
	unsigned bus, devnum;  /* usbmon's (0 in a wire= file) */
};

struct usbcap_seq {
	struct usbcap_xfer *x;
	size_t n, cap;
};

/* Which device: by idVendor seen in a GET_DESCRIPTOR(device) answer, or by bus and address. */
struct usbcap_select {
	uint16_t vid;          /* 0: use bus and devnum */
	unsigned bus, devnum;
};

/* A capture file's transfers of one device (pcap or pcapng; see above). 0 or -1 with err. */
int usbcap_read_pcap(const char *path, const struct usbcap_select *sel, struct usbcap_seq *out,
		     struct ub_err *err);
/* A wire= file of sim/sim_usb.c (all its transfers). 0 or -1 with err. */
int usbcap_read_wire(const char *path, struct usbcap_seq *out, struct ub_err *err);
void usbcap_seq_free(struct usbcap_seq *s);

/* One vendor request and what followed it until the next. */
struct usbcap_vreq {
	uint8_t type;          /* bmRequestType: 0x40 or 0xC0 */
	uint8_t request;
	uint16_t value, index, length;
	int has_cmd;           /* 40 named bytes sent (WRITE, READ, UPDATE_CFG, 0x15, CHECK) */
	uint8_t cmd[40];
	unsigned count;        /* polls collapsed into this one (1 for the rest) */
	int status;            /* of the last of them */
	uint8_t answer[16];    /* IN data of the last of them */
	size_t answer_len;
	uint64_t bulk_out, bulk_in;       /* bytes moved after it, before the next vendor request */
	uint64_t bulk_in_asked;
	unsigned bulk_out_n, bulk_in_n;   /* bulk transfers making those up */
	int bulk_status;       /* first nonzero bulk status among them, or 0 */
	uint64_t t_us, last_us;           /* its submission; the last poll's completion */
};

struct usbcap_vseq {
	struct usbcap_vreq *v;
	size_t n, cap;
};

/* The vendor-request sequence of a transfer sequence (see above). 0, -1 out of memory. */
int usbcap_reduce(const struct usbcap_seq *s, struct usbcap_vseq *out);
void usbcap_vseq_free(struct usbcap_vseq *v);

/* What format prints. */
enum {
	USBCAP_HOST = 0,           /* only what the host sends: compared by the golden test */
	USBCAP_ANSWERS = 1 << 0,   /* the device's answers, statuses and bulk IN moved */
	USBCAP_TIMES = 1 << 1,     /* milliseconds since the first vendor request */
	USBCAP_COUNTS = 1 << 2,    /* how many polls a line stands for */
	USBCAP_ALL = USBCAP_ANSWERS | USBCAP_TIMES | USBCAP_COUNTS,
};

/*
 * One line of text for v->v[i] (no newline) into buf; returns buf. The host
 * part: direction, bRequest, name, wValue, wIndex (hex), wLength, the named
 * fields of a 40-byte command, then the bulk bytes moved before the next
 * vendor request, e.g.
 *   "OUT 13 READ             0000 0000 40 part=0x0 off=0x0 len=0x10000 ops=0x60000"
 *   "IN  19 GET_CRC          0000 0000 8 | bulk-in 65536"
 * After " #", as asked: "xN" (polls), the answer ("T 2 0 V ", ack=0,
 * ack=0 crc=0x..., id=18 40 c8), status=-errno, bulk details. With
 * USBCAP_TIMES the line starts with the milliseconds.
 */
char *usbcap_format(const struct usbcap_vseq *v, size_t i, unsigned what, char *buf, size_t len);
/* The whole sequence, one line each, malloc'd (NULL out of memory). */
char *usbcap_format_all(const struct usbcap_vseq *v, unsigned what);

/* The name of a vendor request (notes §1.2, §3.1), or "?". */
const char *usbcap_request_name(uint8_t type, uint8_t request);

/*
 * Compare two sequences' host parts line by line. 0 when the same; else -1
 * with line 1-based line number of the first difference, and both lines in
 * a and b ("(end)" for a missing line).
 */
int usbcap_compare(const struct usbcap_vseq *x, const struct usbcap_vseq *y, size_t *line,
		   char *a, char *b, size_t len);

#endif
