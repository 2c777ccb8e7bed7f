/* SPDX-License-Identifier: MIT */
/* USB captures for the golden tests; see usbcap.h. */
#include "usbcap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/err.h"

/* ------------------------------------------------------------ sequences */

static struct usbcap_xfer *seq_push(struct usbcap_seq *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct usbcap_xfer *x = realloc(s->x, cap * sizeof(*x));

		if (!x)
			return NULL;
		s->x = x;
		s->cap = cap;
	}
	memset(&s->x[s->n], 0, sizeof(s->x[0]));
	return &s->x[s->n++];
}

void usbcap_seq_free(struct usbcap_seq *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->x[i].data);
	free(s->x);
	memset(s, 0, sizeof(*s));
}

static int set_data(struct usbcap_xfer *x, const uint8_t *p, size_t n)
{
	free(x->data);
	x->data = NULL;
	x->data_len = 0;
	if (!n)
		return 0;
	x->data = malloc(n);
	if (!x->data)
		return -1;
	memcpy(x->data, p, n);
	x->data_len = n;
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ------------------------------------------------------------ usbmon */

#define LINKTYPE_USB_LINUX 189        /* 48-byte header */
#define LINKTYPE_USB_LINUX_MMAPPED 220 /* 64-byte header */

/* A transfer of any device while reading, with what matching needs. */
struct pending {
	uint64_t id;
	unsigned bus, devnum;
	int open;             /* submitted, not yet completed */
};

struct reader {
	struct usbcap_seq all;
	struct pending *p;    /* parallel to all.x */
	size_t pcap;
	int have_t0;
	uint64_t t0_us;
};

static int reader_grow(struct reader *r)
{
	if (r->all.n < r->pcap)
		return 0;
	size_t cap = r->pcap ? 2 * r->pcap : 256;
	struct pending *p = realloc(r->p, cap * sizeof(*p));

	if (!p)
		return -1;
	r->p = p;
	r->pcap = cap;
	return 0;
}

static enum usbcap_kind kind_of(uint8_t xfer_type)
{
	switch (xfer_type) {
	case 2: return USBCAP_CONTROL;
	case 3: return USBCAP_BULK;
	default: return USBCAP_OTHER;
	}
}

/* The newest open transfer with this URB id on this bus; -1 if none. */
static long find_open(const struct reader *r, uint64_t id, unsigned bus)
{
	for (size_t i = r->all.n; i-- > 0;)
		if (r->p[i].open && r->p[i].id == id && r->p[i].bus == bus)
			return (long)i;
	return -1;
}

static int usbmon_event(struct reader *r, const uint8_t *pkt, size_t len, int linktype,
			struct ub_err *err)
{
	size_t hdr = linktype == LINKTYPE_USB_LINUX_MMAPPED ? 64 : 48;

	if (len < hdr)
		return 0;  /* a cut record carries nothing we can use */
	uint64_t id = le64(pkt);
	uint8_t type = pkt[8];
	unsigned bus = le16(pkt + 12), devnum = pkt[11];
	uint64_t t = le64(pkt + 16) * 1000000u + le32(pkt + 24);
	int status = (int)le32(pkt + 28);
	uint32_t length = le32(pkt + 32);
	const uint8_t *data = pkt + hdr;
	size_t data_len = le32(pkt + 36);

	if (data_len > len - hdr)
		data_len = len - hdr;
	if (!r->have_t0) {
		r->have_t0 = 1;
		r->t0_us = t;
	}
	t -= r->t0_us;
	if (type == 'S') {
		if (reader_grow(r) < 0)
			return ub_fail(err, UB_EFAIL, "out of memory");
		struct usbcap_xfer *x = seq_push(&r->all);

		if (!x)
			return ub_fail(err, UB_EFAIL, "out of memory");
		r->p[r->all.n - 1] = (struct pending){ id, bus, devnum, 1 };
		x->bus = bus;
		x->devnum = devnum;
		x->kind = kind_of(pkt[9]);
		x->ep = pkt[10];
		x->asked = length;
		x->t_us = x->done_us = t;
		if (x->kind == USBCAP_CONTROL && pkt[14] == 0) {
			memcpy(x->setup, pkt + 40, 8);
			x->ep = x->setup[0] & 0x80;
		}
		/* OUT data goes with the submission (flag_data 0: present) */
		if (!(x->ep & 0x80) && pkt[15] == 0 && set_data(x, data, data_len) < 0)
			return ub_fail(err, UB_EFAIL, "out of memory");
		return 0;
	}
	if (type != 'C' && type != 'E')
		return 0;
	long i = find_open(r, id, bus);

	if (i < 0)
		return 0;  /* submitted before the capture began */
	struct usbcap_xfer *x = &r->all.x[i];

	r->p[i].open = 0;
	x->status = status;
	x->moved = type == 'E' ? 0 : length;
	x->done_us = t;
	if ((x->ep & 0x80) && pkt[15] == 0 && set_data(x, data, data_len) < 0)
		return ub_fail(err, UB_EFAIL, "out of memory");
	return 0;
}

/* ------------------------------------------------------------ files */

static uint8_t *slurp(const char *path, size_t *len, struct ub_err *err)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		ub_fail_errno(err, UB_EUSAGE, errno, "%s", path);
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 1 << 16;
			uint8_t *nb = realloc(buf, ncap);

			if (!nb) {
				free(buf);
				fclose(f);
				ub_fail(err, UB_EFAIL, "out of memory");
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	int bad = ferror(f);

	fclose(f);
	if (bad) {
		free(buf);
		ub_fail(err, UB_EUSAGE, "%s: read error", path);
		return NULL;
	}
	*len = n;
	return buf;
}

static int check_linktype(const char *path, uint32_t lt, struct ub_err *err)
{
	if (lt == LINKTYPE_USB_LINUX || lt == LINKTYPE_USB_LINUX_MMAPPED)
		return 0;
	return ub_fail(err, UB_EUSAGE, "%s: link type %" PRIu32 " is not Linux usbmon (189, 220)",
		       path, lt);
}

static int read_classic(struct reader *r, const char *path, const uint8_t *b, size_t n,
			struct ub_err *err)
{
	if (n < 24)
		return ub_fail(err, UB_EUSAGE, "%s: short pcap header", path);
	uint32_t lt = le32(b + 20);

	if (check_linktype(path, lt, err) < 0)
		return -1;
	for (size_t off = 24; off + 16 <= n;) {
		uint32_t incl = le32(b + off + 8);

		if (incl > n - off - 16)
			return ub_fail(err, UB_EUSAGE, "%s: record at %zu cut short", path, off);
		if (usbmon_event(r, b + off + 16, incl, (int)lt, err) < 0)
			return -1;
		off += 16 + incl;
	}
	return 0;
}

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 1u
#define PCAPNG_SPB 3u
#define PCAPNG_EPB 6u

static int read_pcapng(struct reader *r, const char *path, const uint8_t *b, size_t n,
		       struct ub_err *err)
{
	uint32_t lt[16];
	unsigned nif = 0;

	for (size_t off = 0; off + 12 <= n;) {
		uint32_t type = le32(b + off), blen = le32(b + off + 4);

		if (blen < 12 || blen % 4 || blen > n - off)
			return ub_fail(err, UB_EUSAGE, "%s: bad block at %zu", path, off);
		const uint8_t *body = b + off + 8;
		size_t blen_body = blen - 12;

		if (type == PCAPNG_SHB) {
			if (blen_body < 4 || le32(body) != 0x1A2B3C4Du)
				return ub_fail(err, UB_EUSAGE, "%s: not a little-endian pcapng", path);
			nif = 0;
		} else if (type == PCAPNG_IDB) {
			if (blen_body < 8)
				return ub_fail(err, UB_EUSAGE, "%s: short interface block", path);
			if (nif == sizeof(lt) / sizeof(lt[0]))
				return ub_fail(err, UB_EUSAGE, "%s: too many interfaces", path);
			lt[nif] = le16(body);
			if (check_linktype(path, lt[nif], err) < 0)
				return -1;
			nif++;
		} else if (type == PCAPNG_EPB) {
			if (blen_body < 20)
				return ub_fail(err, UB_EUSAGE, "%s: short packet block", path);
			uint32_t ifc = le32(body), cap = le32(body + 12);

			if (ifc >= nif || cap > blen_body - 20)
				return ub_fail(err, UB_EUSAGE, "%s: bad packet block at %zu", path, off);
			if (usbmon_event(r, body + 20, cap, (int)lt[ifc], err) < 0)
				return -1;
		} else if (type == PCAPNG_SPB) {
			if (blen_body < 4 || nif == 0)
				return ub_fail(err, UB_EUSAGE, "%s: bad simple packet block", path);
			uint32_t orig = le32(body);
			size_t cap = orig < blen_body - 4 ? orig : blen_body - 4;

			if (usbmon_event(r, body + 4, cap, (int)lt[0], err) < 0)
				return -1;
		}
		off += blen;
	}
	return 0;
}

/* The device a GET_DESCRIPTOR(device) answer names with vid; 0 if found. */
static int find_by_vid(const struct reader *r, uint16_t vid, unsigned *bus, unsigned *devnum)
{
	for (size_t i = 0; i < r->all.n; i++) {
		const struct usbcap_xfer *x = &r->all.x[i];

		/* address 0 is every device while it enumerates */
		if (x->kind != USBCAP_CONTROL || r->p[i].devnum == 0 || x->setup[0] != 0x80 ||
		    x->setup[1] != 6 || x->setup[3] != 1 || x->data_len < 10 ||
		    le16(x->data + 8) != vid)
			continue;
		*bus = r->p[i].bus;
		*devnum = r->p[i].devnum;
		return 0;
	}
	return -1;
}

static int keep_device(struct reader *r, unsigned bus, unsigned devnum, struct usbcap_seq *out,
		       struct ub_err *err)
{
	for (size_t i = 0; i < r->all.n; i++) {
		struct usbcap_xfer *x = &r->all.x[i];

		if (r->p[i].bus != bus || r->p[i].devnum != devnum)
			continue;
		struct usbcap_xfer *y = seq_push(out);

		if (!y)
			return ub_fail(err, UB_EFAIL, "out of memory");
		*y = *x;
		x->data = NULL;  /* now out's */
	}
	return 0;
}

int usbcap_read_pcap(const char *path, const struct usbcap_select *sel, struct usbcap_seq *out,
		     struct ub_err *err)
{
	struct reader r = { 0 };
	size_t n = 0;
	uint8_t *b = slurp(path, &n, err);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!b)
		return -1;
	if (n >= 4 && le32(b) == PCAPNG_SHB)
		rc = read_pcapng(&r, path, b, n, err);
	else if (n >= 4 && le32(b) == 0xA1B2C3D4u)
		rc = read_classic(&r, path, b, n, err);
	else
		rc = ub_fail(err, UB_EUSAGE, "%s: not a little-endian pcap or pcapng file", path);
	free(b);
	if (rc == 0) {
		unsigned bus = sel->bus, devnum = sel->devnum;

		if (sel->vid && find_by_vid(&r, sel->vid, &bus, &devnum) < 0)
			rc = ub_fail(err, UB_EUSAGE, "%s: no device with vendor id %04x", path, sel->vid);
		else
			rc = keep_device(&r, bus, devnum, out, err);
	}
	usbcap_seq_free(&r.all);
	free(r.p);
	if (rc < 0)
		usbcap_seq_free(out);
	return rc;
}

/* ------------------------------------------------------------ wire= files */

static int status_of(const char *word)
{
	static const struct { const char *name; int st; } map[] = {
		{ "ok", 0 }, { "stall", -EPIPE }, { "timeout", -ETIMEDOUT }, { "gone", -ENODEV },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(word, map[i].name))
			return map[i].st;
	return 1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits (or "-") into x->data. */
static int wire_data(struct usbcap_xfer *x, const char *hex)
{
	size_t n = strlen(hex);

	if (!strcmp(hex, "-"))
		return 0;
	if (n % 2)
		return -1;
	x->data = malloc(n / 2 + 1);
	if (!x->data)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		x->data[i] = (uint8_t)(hi << 4 | lo);
	}
	x->data_len = n / 2;
	return 0;
}

/* One wire= line (format in sim/sim_usb.h); 0, or -1 if it does not parse. */
static int wire_line(struct usbcap_xfer *x, const char *line)
{
	uint64_t t0, t1;
	unsigned a, b, c, d, e, moved, asked, ep;
	char st[16], hex[2 * 65536 + 2];
	int n = 0;

	if (sscanf(line, "%" SCNu64 " %" SCNu64 " control %2x %2x %4x %4x %4x %15s %u %131073s%n",
		   &t0, &t1, &a, &b, &c, &d, &e, st, &moved, hex, &n) == 10 && n) {
		x->kind = USBCAP_CONTROL;
		x->setup[0] = (uint8_t)a;
		x->setup[1] = (uint8_t)b;
		x->setup[2] = (uint8_t)c;
		x->setup[3] = (uint8_t)(c >> 8);
		x->setup[4] = (uint8_t)d;
		x->setup[5] = (uint8_t)(d >> 8);
		x->setup[6] = (uint8_t)e;
		x->setup[7] = (uint8_t)(e >> 8);
		x->ep = (uint8_t)(a & 0x80);
		x->asked = e;
		if (wire_data(x, hex) < 0)
			return -1;
	} else if (sscanf(line, "%" SCNu64 " %" SCNu64 " bulk %2x %u %u %15s%n",
			  &t0, &t1, &ep, &asked, &moved, st, &n) == 6 && n) {
		x->kind = USBCAP_BULK;
		x->ep = (uint8_t)ep;
		x->asked = asked;
	} else {
		return -1;
	}
	x->moved = moved;
	x->status = status_of(st);
	x->t_us = t0 / 1000;
	x->done_us = t1 / 1000;
	return x->status > 0 ? -1 : 0;
}

int usbcap_read_wire(const char *path, struct usbcap_seq *out, struct ub_err *err)
{
	FILE *f = fopen(path, "r");
	size_t cap = 2 * 65536 + 512;
	char *line = malloc(cap);
	unsigned no = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!f || !line) {
		free(line);
		if (f)
			fclose(f);
		return f ? ub_fail(err, UB_EFAIL, "out of memory")
			 : ub_fail_errno(err, UB_EUSAGE, errno, "%s", path);
	}
	while (rc == 0 && fgets(line, (int)cap, f)) {
		no++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		struct usbcap_xfer *x = seq_push(out);

		if (!x)
			rc = ub_fail(err, UB_EFAIL, "out of memory");
		else if (wire_line(x, line) < 0)
			rc = ub_fail(err, UB_EUSAGE, "%s:%u: not a wire= line", path, no);
	}
	fclose(f);
	free(line);
	if (rc < 0)
		usbcap_seq_free(out);
	return rc;
}

/* ------------------------------------------------------------ reduce */

/* Requests carrying the 40-byte union cmd (notes §3.1). */
static int has_cmd(uint8_t type, uint8_t req)
{
	return type == 0x40 && (req == 0x12 || req == 0x13 || req == 0x14 || req == 0x15 ||
				req == 0x18);
}

static int is_poll(uint8_t type, uint8_t req)
{
	return type == 0xC0 && (req == 0x00 || req == 0x10);
}

static int same_setup(const struct usbcap_vreq *v, const struct usbcap_xfer *x)
{
	return v->type == x->setup[0] && v->request == x->setup[1] &&
	       v->value == le16(x->setup + 2) && v->index == le16(x->setup + 4) &&
	       v->length == le16(x->setup + 6);
}

static void take_answer(struct usbcap_vreq *v, const struct usbcap_xfer *x)
{
	v->status = x->status;
	v->last_us = x->done_us;
	v->answer_len = 0;
	if (x->ep & 0x80) {
		v->answer_len = x->data_len < sizeof(v->answer) ? x->data_len : sizeof(v->answer);
		if (v->answer_len)
			memcpy(v->answer, x->data, v->answer_len);
	}
}

static struct usbcap_vreq *vseq_push(struct usbcap_vseq *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;
		struct usbcap_vreq *nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		v->v = nv;
		v->cap = cap;
	}
	memset(&v->v[v->n], 0, sizeof(v->v[0]));
	return &v->v[v->n++];
}

static void add_bulk(struct usbcap_vreq *v, const struct usbcap_xfer *x)
{
	if (x->ep & 0x80) {
		v->bulk_in += x->moved;
		v->bulk_in_asked += x->asked;
		v->bulk_in_n++;
	} else {
		v->bulk_out += x->moved;
		v->bulk_out_n++;
	}
	if (x->status && !v->bulk_status)
		v->bulk_status = x->status;
}

int usbcap_reduce(const struct usbcap_seq *s, struct usbcap_vseq *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->n; i++) {
		const struct usbcap_xfer *x = &s->x[i];
		struct usbcap_vreq *last = out->n ? &out->v[out->n - 1] : NULL;

		if (x->kind == USBCAP_BULK) {
			if (last)  /* before the first vendor request: enumeration, not ours */
				add_bulk(last, x);
			continue;
		}
		if (x->kind != USBCAP_CONTROL || (x->setup[0] != 0x40 && x->setup[0] != 0xC0))
			continue;
		if (last && is_poll(last->type, last->request) && same_setup(last, x) &&
		    !last->bulk_in_n && !last->bulk_out_n) {
			last->count++;
			take_answer(last, x);
			continue;
		}
		struct usbcap_vreq *v = vseq_push(out);

		if (!v) {
			usbcap_vseq_free(out);
			return -1;
		}
		v->type = x->setup[0];
		v->request = x->setup[1];
		v->value = le16(x->setup + 2);
		v->index = le16(x->setup + 4);
		v->length = le16(x->setup + 6);
		v->count = 1;
		v->t_us = x->t_us;
		if (has_cmd(v->type, v->request) && x->data_len >= 40) {
			v->has_cmd = 1;
			memcpy(v->cmd, x->data, 40);
		}
		take_answer(v, x);
	}
	return 0;
}

void usbcap_vseq_free(struct usbcap_vseq *v)
{
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* ------------------------------------------------------------ text */

const char *usbcap_request_name(uint8_t type, uint8_t request)
{
	static const char *const names[0x27] = {
		[0x00] = "GET_CPU_INFO", [0x01] = "SET_DATA_ADDRESS", [0x02] = "SET_DATA_LENGTH",
		[0x03] = "FLUSH_CACHES", [0x04] = "PROGRAM_START1", [0x05] = "PROGRAM_START2",
		[0x10] = "GET_ACK", [0x11] = "INIT", [0x12] = "WRITE", [0x13] = "READ",
		[0x14] = "UPDATE_CFG", [0x15] = "SYNC_TIME", [0x16] = "REBOOT", [0x17] = "POWEROFF",
		[0x18] = "CHECK", [0x19] = "GET_CRC", [0x26] = "GET_FLASH_INFO",
	};

	if ((type & 0x60) != 0x40 || request >= sizeof(names) / sizeof(names[0]) || !names[request])
		return "?";
	return names[request];
}

struct out {
	char *buf;
	size_t len, at;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->at >= o->len)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->at, o->len - o->at, fmt, ap);

	va_end(ap);
	if (n > 0)
		o->at += (size_t)n < o->len - o->at ? (size_t)n : o->len - o->at - 1;
}

/* The named fields of the 40-byte command (notes §3.2): what the host sends. */
static void put_cmd(struct out *o, const struct usbcap_vreq *v)
{
	const uint8_t *c = v->cmd;

	switch (v->request) {
	case 0x14:
		put(o, " cfg-len=0x%" PRIx32, le32(c));
		break;
	case 0x12:
	case 0x13:
		put(o, " part=0x%" PRIx64 " off=0x%" PRIx64 " len=0x%" PRIx64 " ops=0x%" PRIx32,
		    le64(c), le64(c + 8), le64(c + 16), le32(c + 24));
		if (v->request == 0x12)
			put(o, " crc=0x%08" PRIx32, le32(c + 28));
		break;
	case 0x18:
		put(o, " part=0x%" PRIx64 " off=0x%" PRIx64 " check=0x%" PRIx32 " ops=0x%" PRIx32,
		    le64(c), le64(c + 8), le32(c + 16), le32(c + 20));
		break;
	default:
		break;
	}
}

/* SYNC_TIME's rtc_time: the host's clock, so an answer-side (not compared) field. */
static void put_rtc(struct out *o, const struct usbcap_vreq *v)
{
	const uint8_t *c = v->cmd;

	put(o, " rtc=%04" PRIu32 "-%02" PRIu32 "-%02" PRIu32 "T%02" PRIu32 ":%02" PRIu32 ":%02" PRIu32,
	    le32(c + 20), le32(c + 16), le32(c + 12), le32(c + 8), le32(c + 4), le32(c));
}

static void put_answer(struct out *o, const struct usbcap_vreq *v)
{
	const uint8_t *a = v->answer;

	if (v->status)
		put(o, " status=%d", v->status);
	if (v->request == 0x15 && v->has_cmd)
		put_rtc(o, v);
	if (!(v->type & 0x80) || !v->answer_len)
		return;
	if (v->request == 0x00) {
		put(o, " \"");
		for (size_t i = 0; i < v->answer_len; i++)
			put(o, a[i] >= 0x20 && a[i] < 0x7f && a[i] != '"' && a[i] != '\\' ? "%c"
											   : "\\x%02x",
			    a[i]);
		put(o, "\"");
	} else if (v->request == 0x10 && v->answer_len >= 4) {
		put(o, " ack=%d", (int)le32(a));
	} else if (v->request == 0x19 && v->answer_len >= 8) {
		put(o, " ack=%d crc=0x%08" PRIx32, (int)le32(a), le32(a + 4));
	} else {
		put(o, " id=");
		for (size_t i = 0; i < v->answer_len; i++)
			put(o, "%s%02x", i ? " " : "", a[i]);
	}
}

char *usbcap_format(const struct usbcap_vseq *vs, size_t i, unsigned what, char *buf, size_t len)
{
	const struct usbcap_vreq *v = &vs->v[i];
	struct out o = { buf, len, 0 };

	if (!len)
		return buf;
	buf[0] = '\0';
	if (what & USBCAP_TIMES)
		put(&o, "%10.3f ", (double)(v->t_us - vs->v[0].t_us) / 1000.0);
	put(&o, "%-3s %02x %-16s %04x %04x %u", v->type & 0x80 ? "IN" : "OUT", v->request,
	    usbcap_request_name(v->type, v->request), v->value, v->index, v->length);
	if (v->has_cmd)
		put_cmd(&o, v);
	if (v->bulk_out_n)
		put(&o, " | bulk-out %" PRIu64, v->bulk_out);
	if (v->bulk_in_n)
		put(&o, " | bulk-in %" PRIu64, v->bulk_in);
	if (!(what & (USBCAP_ANSWERS | USBCAP_COUNTS)))
		return buf;
	put(&o, " #");
	if (what & USBCAP_COUNTS)
		put(&o, " x%u", v->count);
	if (what & USBCAP_ANSWERS) {
		put_answer(&o, v);
		if (v->bulk_out_n > 1)
			put(&o, " bulk-out-transfers=%u", v->bulk_out_n);
		if (v->bulk_in_n)
			put(&o, " bulk-in-asked=%" PRIu64 " in %u", v->bulk_in_asked, v->bulk_in_n);
		if (v->bulk_status)
			put(&o, " bulk-status=%d", v->bulk_status);
	}
	if ((what & USBCAP_TIMES) && v->count > 1)
		put(&o, " until %.3f", (double)(v->last_us - vs->v[0].t_us) / 1000.0);
	return buf;
}

char *usbcap_format_all(const struct usbcap_vseq *v, unsigned what)
{
	size_t cap = (v->n + 1) * 512, at = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < v->n; i++) {
		usbcap_format(v, i, what, s + at, cap - at - 1);
		at += strlen(s + at);
		s[at++] = '\n';
		s[at] = '\0';
	}
	return s;
}

int usbcap_compare(const struct usbcap_vseq *x, const struct usbcap_vseq *y, size_t *line,
		   char *a, char *b, size_t len)
{
	size_t n = x->n > y->n ? x->n : y->n;

	for (size_t i = 0; i < n; i++) {
		if (i < x->n)
			usbcap_format(x, i, USBCAP_HOST, a, len);
		else
			snprintf(a, len, "(end)");
		if (i < y->n)
			usbcap_format(y, i, USBCAP_HOST, b, len);
		else
			snprintf(b, len, "(end)");
		if (strcmp(a, b)) {
			*line = i + 1;
			return -1;
		}
	}
	return 0;
}
