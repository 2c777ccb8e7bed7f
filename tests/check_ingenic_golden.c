/* SPDX-License-Identifier: MIT */
/*
 * The golden test of ingenic-usbboot (issue 11, Must show 1): against
 * sim:t20 and sim:t41 with the board sets of the vendor captures, the
 * program sends the vendor requests the vendor's host sent, in the same
 * order: bRequest, wValue, wIndex, wLength, the 40-byte commands' named
 * fields (notes §3.2) and the bulk bytes between requests. tests/usbcap.h
 * reduces both sides (the capture, and the runner's wire= file) to the
 * same text, and a difference names the first differing line of each.
 *
 * Left out of the comparison by the reduction itself, never by the test:
 * what the device answers (CPU info, acks, CRCs, flash id: the emulator's
 * flash is not the camera's), how often a poll was repeated (GET_CPU_INFO,
 * GET_ACK), times and pauses, standard requests (GET_DESCRIPTOR,
 * SET_CONFIGURATION), the bytes after the named fields of a 40-byte
 * command (host stack garbage in the captures, §3.1) and how the bulk
 * bytes between two requests were split into transfers.
 *
 * Also the capture reader against facts in ../shared/notes/ingenic.md
 * (§1.3, §3.5, §3.7), the capture's own host replayed at the emulator, and
 * the comparison's ability to fail.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "sim_usb.h"
#include "testutil.h"
#include "usbcap.h"

#define PROG "ingenic-usbboot"
#define MIB (1u << 20)
#define T20_CAPTURE "ingenic/captures/t20-vendor-read-16m.pcap"
#define T41_CAPTURE "ingenic/captures/t41n-vendor-read-64k.pcapng"

static const struct usbcap_select a108 = { 0xa108, 0, 0 };

/* The capture's vendor requests; 0, or -1 (skip noted) when the shared data is absent. */
static int capture_vseq(const char *rel, struct usbcap_seq *s, struct usbcap_vseq *v)
{
	char path[4096];
	struct ub_err err = { 0 };

	if (!tu_shared(rel, path, sizeof(path)))
		return -1;
	ck_assert_msg(usbcap_read_pcap(path, &a108, s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(usbcap_reduce(s, v), 0);
	return 0;
}

static void free_both(struct usbcap_seq *s, struct usbcap_vseq *v)
{
	usbcap_seq_free(s);
	usbcap_vseq_free(v);
}

/* The i-th request (from 0) with this bRequest, or NULL. */
static const struct usbcap_vreq *nth(const struct usbcap_vseq *v, uint8_t request, unsigned i)
{
	for (size_t k = 0; k < v->n; k++)
		if (v->v[k].request == request && i-- == 0)
			return &v->v[k];
	return NULL;
}

static unsigned count_of(const struct usbcap_vseq *v, uint8_t request)
{
	unsigned n = 0;

	for (size_t k = 0; k < v->n; k++)
		n += v->v[k].request == request;
	return n;
}

static uint64_t cmd_u64(const struct usbcap_vreq *r, size_t at)
{
	uint64_t x = 0;

	for (size_t i = 8; i-- > 0;)
		x = x << 8 | r->cmd[at + i];
	return x;
}

static uint32_t answer_u32(const struct usbcap_vreq *r, size_t at)
{
	return (uint32_t)r->answer[at] | (uint32_t)r->answer[at + 1] << 8 |
	       (uint32_t)r->answer[at + 2] << 16 | (uint32_t)r->answer[at + 3] << 24;
}

/* The boot's downloads (notes §1.3, §2): three SET_DATA_LENGTHs followed by bulk, then d2i_len. */
static void assert_boot(const struct usbcap_vseq *v, const uint32_t sizes[3], uint16_t d2i)
{
	static const uint16_t addr_hi[3] = { 0x8000, 0x8000, 0x8010 }, addr_lo[3] = { 0x1000, 0x1800, 0 };

	for (unsigned i = 0; i < 3; i++) {
		const struct usbcap_vreq *a = nth(v, 0x01, i), *l = a + 1;

		ck_assert_ptr_nonnull(a);
		ck_assert_uint_eq(a->value, addr_hi[i]);
		ck_assert_uint_eq(a->index, addr_lo[i]);
		ck_assert_uint_eq(l->request, 0x02);
		ck_assert_uint_eq((uint32_t)l->value << 16 | l->index, sizes[i]);
		ck_assert_uint_eq(l->bulk_out, sizes[i]);
	}
	ck_assert_uint_eq(nth(v, 0x02, 2)->index, d2i);
	ck_assert_uint_eq(nth(v, 0x04, 0)->value, 0x8000);
	ck_assert_uint_eq(nth(v, 0x04, 0)->index, 0x1800);
}

START_TEST(t20_capture_facts)
{
	static const uint32_t sizes[3] = { 396, 10176, 390480 };
	struct usbcap_seq s;
	struct usbcap_vseq v;

	if (capture_vseq(T20_CAPTURE, &s, &v) < 0)
		return;
	ck_assert_uint_eq(v.v[0].request, 0x00);
	ck_assert_uint_eq(v.v[0].answer_len, 8);
	ck_assert_mem_eq(v.v[0].answer, "T 2 0 V ", 8);
	/* SET_DATA_LENGTH(0x4000) is T20's d2i_len (§1.3), before START1 */
	ck_assert_uint_eq(v.v[5].request, 0x02);
	assert_boot(&v, sizes, 0x4000);
	ck_assert_mem_eq(nth(&v, 0x00, 2)->answer, "BOOTx152", 8);
	ck_assert_uint_eq(cmd_u64(nth(&v, 0x14, 0), 0) & 0xffffffffu, 0xac);
	ck_assert_uint_eq(nth(&v, 0x14, 0)->bulk_out, 172);
	ck_assert_uint_eq(cmd_u64(nth(&v, 0x14, 1), 0) & 0xffffffffu, 0x3cc);
	ck_assert_uint_eq(nth(&v, 0x14, 1)->bulk_out, 972);
	ck_assert_mem_eq(nth(&v, 0x26, 0)->answer, "\x18\x40\xc8", 3);
	ck_assert_uint_eq(count_of(&v, 0x13), 16);
	for (unsigned i = 0; i < 16; i++) {
		const struct usbcap_vreq *rd = nth(&v, 0x13, i), *crc = rd + 1;

		ck_assert_uint_eq(cmd_u64(rd, 8), (uint64_t)i * MIB);
		ck_assert_uint_eq(cmd_u64(rd, 16), MIB);
		ck_assert_uint_eq(cmd_u64(rd, 24) & 0xffffffffu, 0x60000);
		ck_assert_uint_eq(crc->request, 0x19);
		ck_assert_uint_eq(answer_u32(crc, 0), 0);
		ck_assert_uint_eq(crc->bulk_in, MIB);
		/* §3.5: chunks 0x800000..0xE00000 all 0xB4E20CFF, 0xF00000 0xABFF47BD */
		if (i >= 8 && i <= 14)
			ck_assert_uint_eq(answer_u32(crc, 4), 0xB4E20CFFu);
		if (i == 15)
			ck_assert_uint_eq(answer_u32(crc, 4), 0xABFF47BDu);
		ck_assert_uint_eq(crc[1].request, 0x10);
	}
	ck_assert_uint_eq(v.v[v.n - 1].request, 0x16);
	free_both(&s, &v);
}
END_TEST

START_TEST(t41_capture_facts)
{
	static const uint32_t sizes[3] = { 384, 9856, 404688 };
	struct usbcap_seq s;
	struct usbcap_vseq v;
	const struct usbcap_vreq *rd;

	if (capture_vseq(T41_CAPTURE, &s, &v) < 0)
		return;
	ck_assert_mem_eq(v.v[0].answer, "T 3 1 V ", 8);
	assert_boot(&v, sizes, 0x7000);
	ck_assert_mem_eq(nth(&v, 0x00, 2)->answer, "X2580\0\0\0", 8);
	ck_assert_uint_eq(nth(&v, 0x14, 0)->bulk_out, 172);
	ck_assert_uint_eq(cmd_u64(nth(&v, 0x14, 1), 0) & 0xffffffffu, 0x3d8);
	ck_assert_uint_eq(nth(&v, 0x14, 1)->bulk_out, 984);
	ck_assert_mem_eq(nth(&v, 0x26, 0)->answer, "\x18\x40\x0b", 3);
	ck_assert_uint_eq(count_of(&v, 0x13), 1);
	rd = nth(&v, 0x13, 0);
	ck_assert_uint_eq(cmd_u64(rd, 8), 0);
	ck_assert_uint_eq(cmd_u64(rd, 16), 0x10000);
	ck_assert_uint_eq(cmd_u64(rd, 24) & 0xffffffffu, 0x60000);
	ck_assert_uint_eq(answer_u32(rd + 1, 4), 0x215481B1u);
	ck_assert_uint_eq(rd[1].bulk_in, 0x10000);
	ck_assert_uint_eq(v.v[v.n - 1].request, 0x16);
	ck_assert_uint_eq(v.n, 24);
	free_both(&s, &v);
}
END_TEST

/* The T20 capture has another device's traffic on the bus: only the a108 device's is kept. */
START_TEST(t20_capture_other_device_left_out)
{
	struct usbcap_seq s, by_addr;
	struct usbcap_vseq v;
	struct usbcap_select sel = { 0, 0, 0 };
	struct ub_err err = { 0 };
	char path[4096];

	if (capture_vseq(T20_CAPTURE, &s, &v) < 0)
		return;
	ck_assert_uint_eq(s.n, 97);
	ck_assert_uint_eq(s.x[0].bus, 3);
	ck_assert_uint_eq(s.x[0].devnum, 102);
	tu_shared(T20_CAPTURE, path, sizeof(path));
	sel.bus = 3;
	sel.devnum = 102;
	ck_assert_msg(usbcap_read_pcap(path, &sel, &by_addr, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(by_addr.n, s.n);
	usbcap_seq_free(&by_addr);
	sel.devnum = 85;  /* the other device: bulk and interrupt, no vendor requests */
	ck_assert_msg(usbcap_read_pcap(path, &sel, &by_addr, &err) == 0, "%s", err.msg);
	ck_assert_uint_gt(by_addr.n, 1000);
	usbcap_vseq_free(&v);
	ck_assert_int_eq(usbcap_reduce(&by_addr, &v), 0);
	ck_assert_uint_eq(v.n, 0);
	usbcap_seq_free(&by_addr);
	free_both(&s, &v);
}
END_TEST

START_TEST(capture_errors)
{
	struct usbcap_seq s;
	struct ub_err err = { 0 };
	char path[64], cap[4096];
	static const uint8_t ethernet[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, [16] = 0xff,
					      [20] = 1 };

	tu_write_file((tu_tmpfile(path, sizeof(path)), path), ethernet, sizeof(ethernet));
	ck_assert_int_eq(usbcap_read_pcap(path, &a108, &s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "link type 1 is not Linux usbmon"));
	ub_err_clear(&err);
	tu_write_file(path, "hello", 5);
	ck_assert_int_eq(usbcap_read_pcap(path, &a108, &s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a little-endian pcap or pcapng file"));
	unlink(path);
	if (!tu_shared(T41_CAPTURE, cap, sizeof(cap)))
		return;
	ub_err_clear(&err);
	ck_assert_int_eq(usbcap_read_pcap(cap, &(struct usbcap_select){ 0x1234, 0, 0 }, &s, &err),
			 -1);
	ck_assert_str_eq(strrchr(err.msg, ':'), ": no device with vendor id 1234");
}
END_TEST

/* ------------------------------------------------------------ reduce and compare */

static struct usbcap_xfer ctl(uint8_t type, uint8_t req, uint16_t value, uint16_t len, int status)
{
	return (struct usbcap_xfer){ .kind = USBCAP_CONTROL, .ep = type & 0x80,
				     .setup = { type, req, (uint8_t)value, (uint8_t)(value >> 8), 0,
						0, (uint8_t)len, (uint8_t)(len >> 8) },
				     .status = status, .asked = len };
}

static struct usbcap_xfer bulk(uint8_t ep, uint32_t n)
{
	return (struct usbcap_xfer){ .kind = USBCAP_BULK, .ep = ep, .asked = n, .moved = n };
}

START_TEST(polls_collapse)
{
	struct usbcap_xfer x[] = {
		ctl(0xC0, 0x00, 0, 8, -32), ctl(0xC0, 0x00, 0, 8, -32), ctl(0xC0, 0x00, 0, 8, 0),
		ctl(0x40, 0x11, 0, 0, 0),   ctl(0xC0, 0x10, 0, 4, 0),   ctl(0xC0, 0x10, 0, 4, 0),
		ctl(0xC0, 0x10, 0, 4, 0),   bulk(0x01, 100),            bulk(0x01, 28),
		ctl(0xC0, 0x10, 0, 4, 0),   bulk(0x81, 512),            ctl(0x80, 0x06, 0x100, 18, 0),
		ctl(0xC0, 0x10, 0, 4, 0),   ctl(0xC0, 0x10, 1, 4, 0),
	};
	struct usbcap_seq s = { x, sizeof(x) / sizeof(x[0]), sizeof(x) / sizeof(x[0]) };
	struct usbcap_vseq v;
	char *text;

	ck_assert_int_eq(usbcap_reduce(&s, &v), 0);
	text = usbcap_format_all(&v, USBCAP_COUNTS);
	ck_assert_str_eq(text, "IN  00 GET_CPU_INFO     0000 0000 8 # x3\n"
			       "OUT 11 INIT             0000 0000 0 # x1\n"
			       "IN  10 GET_ACK          0000 0000 4 | bulk-out 128 # x3\n"
			       "IN  10 GET_ACK          0000 0000 4 | bulk-in 512 # x1\n"
			       "IN  10 GET_ACK          0000 0000 4 # x1\n"
			       "IN  10 GET_ACK          0001 0000 4 # x1\n");
	ck_assert_int_eq(v.v[0].status, 0);
	free(text);
	usbcap_vseq_free(&v);
}
END_TEST

/* One wValue changed in the T20 sequence: the comparison finds it and names both lines. */
START_TEST(comparison_finds_a_changed_wvalue)
{
	struct usbcap_seq s;
	struct usbcap_vseq v, w;
	char a[512], b[512];
	size_t line = 0;

	if (capture_vseq(T20_CAPTURE, &s, &v) < 0)
		return;
	ck_assert_int_eq(usbcap_compare(&v, &v, &line, a, b, sizeof(a)), 0);
	w = v;
	w.v = malloc(v.n * sizeof(*v.v));
	memcpy(w.v, v.v, v.n * sizeof(*v.v));
	w.v[8].value = 0x8011;  /* SET_DATA_ADDRESS of uboot.bin */
	ck_assert_int_eq(usbcap_compare(&v, &w, &line, a, b, sizeof(a)), -1);
	ck_assert_uint_eq(line, 9);
	ck_assert_str_eq(a, "OUT 01 SET_DATA_ADDRESS 8010 0000 0");
	ck_assert_str_eq(b, "OUT 01 SET_DATA_ADDRESS 8011 0000 0");
	w.v[8].value = 0x8010;
	w.n--;
	ck_assert_int_eq(usbcap_compare(&v, &w, &line, a, b, sizeof(a)), -1);
	ck_assert_uint_eq(line, v.n);
	ck_assert_str_eq(a, "OUT 16 REBOOT           0000 0000 0");
	ck_assert_str_eq(b, "(end)");
	free(w.v);
	free_both(&s, &v);
}
END_TEST

/* The runner's wire= file, read back: what the device saw, reduced as a capture is. */
START_TEST(wire_file_reads_back)
{
	char wire[64], spec[128], err[256];
	struct usb_sim *sim;
	struct usb_sim_setup cpu = { 0xC0, 0x00, 0, 0, 8 }, addr = { 0x40, 0x01, 0x8000, 0x1000, 0 },
			     len = { 0x40, 0x02, 0, 4, 0 }, bogus = { 0xC0, 0x7f, 0, 0, 4 };
	uint8_t buf[8], data[4] = { 1, 2, 3, 4 };
	size_t got;
	struct usbcap_seq s;
	struct usbcap_vseq v;
	struct ub_err uerr = { 0 };
	char *text;

	tu_tmpfile(wire, sizeof(wire));
	snprintf(spec, sizeof(spec), "t20,wire=%s", wire);
	sim = usb_sim_open(spec, err, sizeof(err));
	ck_assert_msg(sim != NULL, "%s", err);
	ck_assert_int_eq(usb_sim_control(sim, &cpu, buf, &got, 1000000000), USB_SIM_OK);
	ck_assert_int_eq(usb_sim_control(sim, &cpu, buf, &got, 1000000000), USB_SIM_OK);
	ck_assert_int_eq(usb_sim_control(sim, &addr, NULL, &got, 1000000000), USB_SIM_OK);
	ck_assert_int_eq(usb_sim_control(sim, &len, NULL, &got, 1000000000), USB_SIM_OK);
	ck_assert_int_eq(usb_sim_bulk_out(sim, 0x01, data, 2, &got, 1000000000), USB_SIM_OK);
	ck_assert_int_eq(usb_sim_bulk_out(sim, 0x01, data + 2, 2, &got, 1000000000), USB_SIM_OK);
	ck_assert_int_eq(usb_sim_control(sim, &bogus, buf, &got, 1000000000), USB_SIM_STALL);
	ck_assert_msg(usb_sim_stop(sim, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(usbcap_read_wire(wire, &s, &uerr) == 0, "%s", uerr.msg);
	ck_assert_uint_eq(s.n, 7);
	ck_assert_uint_eq(s.x[4].kind, USBCAP_BULK);
	ck_assert_uint_gt(s.x[4].done_us, s.x[0].t_us);
	ck_assert_int_eq(usbcap_reduce(&s, &v), 0);
	text = usbcap_format_all(&v, USBCAP_ANSWERS | USBCAP_COUNTS);
	ck_assert_str_eq(text, "IN  00 GET_CPU_INFO     0000 0000 8 # x2 \"T 2 0 V \"\n"
			       "OUT 01 SET_DATA_ADDRESS 8000 1000 0 # x1\n"
			       "OUT 02 SET_DATA_LENGTH  0000 0004 0 | bulk-out 4 # x1 bulk-out-transfers=2\n"
			       "IN  7f ?                0000 0000 4 # x1 status=-32\n");
	free(text);
	free_both(&s, &v);
	unlink(wire);
}
END_TEST

START_TEST(wire_file_errors)
{
	char path[64], err[256];
	struct usbcap_seq s;
	struct ub_err uerr = { 0 };

	ck_assert_ptr_null(usb_sim_open("t20,wire=/nonexistent/dir/w", err, sizeof(err)));
	ck_assert_str_eq(err, "usb sim: wire=/nonexistent/dir/w: cannot create");
	ck_assert_ptr_null(usb_sim_open("t20,wire=", err, sizeof(err)));
	ck_assert_str_eq(err, "usb sim: wire= wants a file name");
	tu_text_file(path, sizeof(path), "# comment\n1 2 bulk 81 512 512 ok\n1 2 bulk 81 512\n");
	ck_assert_int_eq(usbcap_read_wire(path, &s, &uerr), -1);
	ck_assert_ptr_nonnull(strstr(uerr.msg, ":3: not a wire= line"));
	unlink(path);
}
END_TEST

/* ------------------------------------------------------------ the capture's host at the emulator */

#define SECOND 1000000000ull

/* A bulk transfer as the capture's host made it; OUT data past the snap length is zeros. */
static void replay_bulk(struct usb_sim *sim, const struct usbcap_xfer *x)
{
	uint8_t *buf = calloc(1, x->asked + 1);
	size_t got = 0, done = 0;

	if (!(x->ep & 0x80)) {
		memcpy(buf, x->data, x->data_len);
		ck_assert_int_eq(usb_sim_bulk_out(sim, x->ep, buf, x->asked, &got, 20 * SECOND),
				 USB_SIM_OK);
	}
	while ((x->ep & 0x80) && done < x->asked) {
		ck_assert_int_eq(usb_sim_bulk_in(sim, x->ep, buf, x->asked - done, &got, 20 * SECOND),
				 USB_SIM_OK);
		ck_assert_uint_gt(got, 0);
		done += got;
	}
	free(buf);
}

/*
 * The capture's host side, transfer by transfer, with the capture's pauses
 * (from one completion to the next submission); standard requests left out.
 */
static void replay(struct usb_sim *sim, const struct usbcap_seq *s)
{
	uint64_t last_done = s->x[0].t_us;

	for (size_t i = 0; i < s->n; i++) {
		const struct usbcap_xfer *x = &s->x[i];
		const uint8_t *p = x->setup;
		struct usb_sim_setup st = { p[0], p[1], (uint16_t)(p[2] | p[3] << 8),
					    (uint16_t)(p[4] | p[5] << 8), (uint16_t)(p[6] | p[7] << 8) };
		uint8_t data[64] = { 0 };
		size_t got;

		if (x->kind == USBCAP_CONTROL && (p[0] & 0x60) != 0x40)
			continue;
		if (x->t_us > last_done)
			usb_sim_sleep(sim, (x->t_us - last_done) * 1000);
		last_done = x->done_us;
		if (x->kind == USBCAP_BULK) {
			replay_bulk(sim, x);
			continue;
		}
		if (!(p[0] & 0x80) && x->data_len)
			memcpy(data, x->data, x->data_len < sizeof(data) ? x->data_len : sizeof(data));
		ck_assert_msg(usb_sim_control(sim, &st, data, &got, 5 * SECOND) == USB_SIM_OK,
			      "transfer %zu: request %02x stalled or timed out", i, p[1]);
	}
}

/*
 * The vendor host's own transfers, replayed at the emulator and reduced from
 * wire=, give back the capture's sequence: the emulator takes the vendor's
 * session, and the capture and wire= sides of the golden test line up.
 */
START_TEST(capture_replayed_at_emulator)
{
	const char *model = _i ? "t41" : "t20", *rel = _i ? T41_CAPTURE : T20_CAPTURE;
	struct usbcap_seq cs, ws;
	struct usbcap_vseq cv, wv;
	struct ub_err uerr = { 0 };
	char wire[64], spec[128], err[256], a[512], b[512];
	struct usb_sim *sim;
	size_t line = 0;

	if (capture_vseq(rel, &cs, &cv) < 0)
		return;
	tu_tmpfile(wire, sizeof(wire));
	snprintf(spec, sizeof(spec), "%s,wire=%s", model, wire);
	sim = usb_sim_open(spec, err, sizeof(err));
	ck_assert_msg(sim != NULL, "%s", err);
	replay(sim, &cs);
	ck_assert_msg(usb_sim_stop(sim, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(usbcap_read_wire(wire, &ws, &uerr) == 0, "%s", uerr.msg);
	ck_assert_int_eq(usbcap_reduce(&ws, &wv), 0);
	ck_assert_msg(usbcap_compare(&cv, &wv, &line, a, b, sizeof(a)) == 0,
		      "%s: line %zu:\n  capture: %s\n  wire=:   %s", model, line, a, b);
	/* the emulator's answers where they are the capture's */
	ck_assert_mem_eq(nth(&wv, 0x00, 2)->answer, nth(&cv, 0x00, 2)->answer, 8);
	ck_assert_mem_eq(nth(&wv, 0x26, 0)->answer, nth(&cv, 0x26, 0)->answer, 3);
	unlink(wire);
	free_both(&cs, &cv);
	free_both(&ws, &wv);
}
END_TEST

/* ------------------------------------------------------------ the program against the captures */

struct golden {
	const char *model, *board, *capture;
	const char *const extra[3];  /* after "read" */
	uint64_t out_len;
};

static const struct golden goldens[] = {
	{ "t20", "ingenic/t20-vendor", T20_CAPTURE, { NULL }, 16 * MIB },
	{ "t41", "ingenic/t41n-vendor", T41_CAPTURE, { "--length", "64K", NULL }, 64 * 1024 },
};

/* What the program did at the emulator, reduced; the run's result in r. */
static void run_program(const struct golden *g, const char *board, struct tu_run *r,
			struct usbcap_seq *s, struct usbcap_vseq *v)
{
	char wire[64], out[64], spec[128];
	const char *argv[16] = { "--usb", spec, "--board-dir", board, "read", "-o", out };
	struct ub_err err = { 0 };
	uint8_t *data;
	size_t len;
	int n = 7;

	tu_tmpfile(wire, sizeof(wire));
	tu_tmpfile(out, sizeof(out));
	snprintf(spec, sizeof(spec), "sim:%s,wire=%s", g->model, wire);
	for (size_t i = 0; g->extra[i]; i++)
		argv[n++] = g->extra[i];
	argv[n] = NULL;
	tu_run(r, PROG, NULL, NULL, argv);
	ck_assert_msg(r->status == 0, "%s %s: exit %d%s: %s", PROG, g->model, r->status,
		      r->status == 127 ? " (not built?)" : "", r->err);
	data = tu_read_file(out, &len);
	ck_assert_uint_eq(len, g->out_len);
	free(data);
	ck_assert_msg(usbcap_read_wire(wire, s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(usbcap_reduce(s, v), 0);
	unlink(wire);
	unlink(out);
}

START_TEST(program_matches_vendor_capture)
{
	const struct golden *g = &goldens[_i];
	struct usbcap_seq cs, ps;
	struct usbcap_vseq cv, pv;
	struct tu_run r;
	char board[4096], a[512], b[512];
	size_t line = 0;

	if (!tu_shared(g->board, board, sizeof(board)) || capture_vseq(g->capture, &cs, &cv) < 0)
		return;
	run_program(g, board, &r, &ps, &pv);
	if (usbcap_compare(&cv, &pv, &line, a, b, sizeof(a)) < 0) {
		char *theirs = usbcap_format_all(&pv, USBCAP_ALL);

		fprintf(stderr, "%s: the program's vendor requests:\n%s", g->model, theirs);
		free(theirs);
		ck_abort_msg("%s: vendor request %zu differs:\n  capture: %s\n  program: %s", g->model,
			     line, a, b);
	}
	tu_run_free(&r);
	free_both(&cs, &cv);
	free_both(&ps, &pv);
}
END_TEST

/*
 * The same comparison finds a program that does something else: the T41N
 * capture against a run with the T20 board set, whose ginfo is 396 bytes.
 */
START_TEST(another_board_set_is_told_apart)
{
	const struct golden g = { "t41", "ingenic/t20-vendor", T41_CAPTURE,
				  { "--length", "64K", NULL }, 64 * 1024 };
	struct usbcap_seq cs, ps;
	struct usbcap_vseq cv, pv;
	struct tu_run r;
	char board[4096], a[512], b[512];
	size_t line = 0;

	if (!tu_shared(g.board, board, sizeof(board)) || capture_vseq(g.capture, &cs, &cv) < 0)
		return;
	run_program(&g, board, &r, &ps, &pv);
	ck_assert_int_eq(usbcap_compare(&cv, &pv, &line, a, b, sizeof(a)), -1);
	ck_assert_uint_eq(line, 3);
	ck_assert_str_eq(a, "OUT 02 SET_DATA_LENGTH  0000 0180 0 | bulk-out 384");
	ck_assert_str_eq(b, "OUT 02 SET_DATA_LENGTH  0000 018c 0 | bulk-out 396");
	tu_run_free(&r);
	free_both(&cs, &cv);
	free_both(&ps, &pv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ingenic_golden");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, t20_capture_facts);
	tcase_add_test(tc, t41_capture_facts);
	tcase_add_test(tc, t20_capture_other_device_left_out);
	tcase_add_test(tc, capture_errors);
	tcase_add_test(tc, polls_collapse);
	tcase_add_test(tc, comparison_finds_a_changed_wvalue);
	tcase_add_test(tc, wire_file_reads_back);
	tcase_add_test(tc, wire_file_errors);
	tcase_add_loop_test(tc, capture_replayed_at_emulator, 0, 2);
	tcase_add_loop_test(tc, program_matches_vendor_capture, 0,
			    sizeof(goldens) / sizeof(goldens[0]));
	tcase_add_test(tc, another_board_set_is_told_apart);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
