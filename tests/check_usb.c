/* SPDX-License-Identifier: MIT */
/*
 * The USB layer (usbboot/usb.c): specs, usages, the transfers' messages and
 * the clock, through a scripted backend of the test's own and through
 * sim:t31 (sim/sim_ingenic.h), in model time; the libusb backend as far as
 * a machine without the device goes.
 */
#include "testutil.h"
#include "clock.h"
#include "usb.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef UB_HAVE_LIBUSB
#include <libusb.h>
#endif

static const struct ub_usb_id INGENIC = { 0xA108, 0 };
static const struct ub_usb_id NOBODY = { 0xDEAD, 0xBEEF };

static void assert_one_line(const struct ub_err *err, int status, const char *text)
{
	ck_assert_msg(err->status == status, "status %d, want %d: %s", err->status, status,
		      err->msg);
	ck_assert_msg(strstr(err->msg, text) != NULL, "no '%s' in: %s", text, err->msg);
	ck_assert_msg(!strchr(err->msg, '\n'), "not one line: %s", err->msg);
}

static struct ub_usb *open_ok(const char *spec)
{
	struct ub_err err = { 0 };
	struct ub_usb *usb;

	ck_assert_msg(ub_usb_open(spec, &INGENIC, 1, 0, &usb, &err) == 0, "%s: %s", spec, err.msg);
	return usb;
}

static void close_ok(struct ub_usb *usb)
{
	struct ub_err err = { 0 };

	ck_assert_msg(ub_usb_close(usb, &err) == 0, "%s", err.msg);
}

static const struct ub_usb_setup CPU_INFO = { 0xC0, 0x00, 0, 0, 8 };

/* ------------------------------------------------------------ the specs */

START_TEST(paths)
{
	static const struct {
		const char *spec;
		int path;
	} cases[] = {
		{ "1-1.2", 1 }, { "1-1", 1 }, { "3-10.4.1", 1 }, { "sim:t31", 0 }, { "1-", 0 },
		{ "x-1", 0 }, { "1-1.", 0 }, { "1-1..2", 0 }, { "-1", 0 }, { "1", 0 },
		{ "1-1:1.0", 0 }, { "1-1.2,x", 0 }, { "", 0 }, { "100-100.100.100.100.100.100.100.100", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(ub_usb_is_path(cases[i].spec) == cases[i].path, "'%s'", cases[i].spec);
	ck_assert_int_eq(ub_usb_is_path(NULL), 0);
}
END_TEST

START_TEST(usages)
{
	char buf[256], small[12];

#ifdef UB_HAVE_LIBUSB
	ck_assert_str_eq(ub_usb_usages(buf, sizeof(buf)),
			 "[libusb:]BUS-PORT or sim:MODEL[,KEY=VALUE...]");
	ck_assert_str_eq(ub_usb_backends[0].backend.name, "libusb");
#else
	ck_assert_str_eq(ub_usb_usages(buf, sizeof(buf)), "sim:MODEL[,KEY=VALUE...]");
#endif
	ub_usb_usages(small, sizeof(small));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(strncmp(small, buf, sizeof(small) - 1), 0);
}
END_TEST

START_TEST(ids_in_messages)
{
	const struct ub_usb_id ids[] = { { 0xA108, 0 }, { 0x1A86, 0x5512 }, { 0x1234, 1 } };
	char buf[64];

	ck_assert_str_eq(ub_usb_ids_text(ids, 3, buf, sizeof(buf)), "a108:*, 1a86:5512 or 1234:0001");
	ck_assert_str_eq(ub_usb_ids_text(ids, 1, buf, sizeof(buf)), "a108:*");
	ck_assert_str_eq(ub_usb_ids_text(ids, 0, buf, sizeof(buf)), "any");
	ck_assert_int_eq(ub_usb_id_match(ids, 3, 0xA108, 0xC309), 1);
	ck_assert_int_eq(ub_usb_id_match(ids, 3, 0x1A86, 0x5523), 0);
	ck_assert_int_eq(ub_usb_id_match(ids, 0, 0x1A86, 0x5523), 1);
}
END_TEST

START_TEST(unknown_spec)
{
	struct ub_err err = { 0 };
	struct ub_usb_desc *list = (void *)1;
	struct ub_usb *usb = (void *)1;
	char usages[256], want[300];
	size_t n = 7;

	snprintf(want, sizeof(want), "(use %s)", ub_usb_usages(usages, sizeof(usages)));
	ck_assert_int_eq(ub_usb_open("spidev:/dev/x", &INGENIC, 1, 0, &usb, &err), -1);
	ck_assert_ptr_null(usb);
	assert_one_line(&err, UB_EUSAGE, "unknown USB device type 'spidev' in 'spidev:/dev/x'");
	assert_one_line(&err, UB_EUSAGE, want);
	ub_err_clear(&err);
	ck_assert_int_eq(ub_usb_list("nope", &INGENIC, 1, &list, &n, &err), -1);
	ck_assert_ptr_null(list);
	ck_assert_uint_eq(n, 0);
	assert_one_line(&err, UB_EUSAGE, "unknown USB device type 'nope'");
}
END_TEST

START_TEST(sim_needs_a_known_model)
{
	struct ub_err err = { 0 };
	struct ub_usb *usb;

	ck_assert_int_eq(ub_usb_open("sim", &INGENIC, 1, 0, &usb, &err), -1);
	assert_one_line(&err, UB_EUSAGE, "sim needs a model: sim:MODEL (models: t20, t31, t41, ch341a)");
	ub_err_clear(&err);
	ck_assert_int_eq(ub_usb_open("sim:t99", &INGENIC, 1, 0, &usb, &err), -1);
	assert_one_line(&err, UB_EUSAGE, "unknown USB emulator 't99' (known: t20, t31, t41, ch341a)");
	ub_err_clear(&err);
	ck_assert_int_eq(ub_usb_open("sim:t31,flash=huge", &INGENIC, 1, 0, &usb, &err), -1);
	assert_one_line(&err, UB_EUSAGE, "flash=huge: want a number");
	ck_assert_ptr_null(usb);
}
END_TEST

/* ------------------------------------------- a scripted backend: the layer */

/* Bulk OUT keeps the data; bulk IN gives it back; short_out sends one byte less. */
struct fake {
	uint8_t ep[4];
	size_t nep;
	uint8_t data[64];
	size_t len;
	int short_out;
	enum ub_usb_status status;
	int closed;
};

static enum ub_usb_status fake_control(void *priv, const struct ub_usb_setup *setup,
				       uint8_t *data, size_t *actual, int timeout_ms,
				       struct ub_err *err)
{
	struct fake *f = priv;

	(void)setup, (void)data, (void)timeout_ms, (void)err;
	*actual = 0;
	return f->status;
}

static enum ub_usb_status fake_bulk(void *priv, uint8_t ep, uint8_t *data, size_t len,
				    size_t *actual, int timeout_ms, struct ub_err *err)
{
	struct fake *f = priv;

	(void)timeout_ms;
	f->ep[f->nep++ % 4] = ep;
	if (f->status == UB_USB_ERROR)
		ub_fail(err, UB_EFAIL, "fake: the host controller says no");
	if (f->status != UB_USB_OK)
		return f->status;
	if (ep & 0x80) {
		*actual = f->len < len ? f->len : len;
		memcpy(data, f->data, *actual);
		return UB_USB_OK;
	}
	ck_assert_uint_le(len, sizeof(f->data));
	memcpy(f->data, data, len);
	f->len = len;
	*actual = len - (f->short_out ? 1 : 0);
	return UB_USB_OK;
}

static int fake_close(void *priv, struct ub_err *err)
{
	struct fake *f = priv;

	(void)err;
	f->closed = 1;
	return 0;
}

static const struct ub_usb_ops fake_ops = {
	.control = fake_control, .bulk = fake_bulk, .close = fake_close,
};

static struct ub_usb *fake_usb(struct fake *f)
{
	struct ub_usb_desc desc = { .path = "9-9", .ep_out = 0x02, .ep_in = 0x83 };
	struct ub_usb *usb = ub_usb_new(&fake_ops, f, "usb 9-9", &desc);

	ck_assert_ptr_nonnull(usb);
	return usb;
}

START_TEST(bulk_round_trip_on_the_descriptor_endpoints)
{
	struct fake f = { 0 };
	struct ub_usb *usb = fake_usb(&f);
	struct ub_err err = { 0 };
	uint8_t got[16];
	size_t n = 0;

	ck_assert_int_eq(ub_usb_bulk_out(usb, (const uint8_t *)"hello", 5, 100, &err), UB_USB_OK);
	ck_assert_int_eq(ub_usb_bulk_in(usb, got, sizeof(got), &n, 100, &err), UB_USB_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(got, "hello", 5);
	ck_assert_uint_eq(f.ep[0], 0x02);
	ck_assert_uint_eq(f.ep[1], 0x83);
	ck_assert_int_eq(err.status, 0);
	ck_assert_int_eq(ub_usb_close(usb, &err), 0);
	ck_assert_int_eq(f.closed, 1);
	ck_assert_int_eq(ub_usb_close(NULL, &err), 0);
}
END_TEST

START_TEST(a_short_bulk_out_is_an_error)
{
	struct fake f = { .short_out = 1 };
	struct ub_usb *usb = fake_usb(&f);
	struct ub_err err = { 0 };

	ck_assert_int_eq(ub_usb_bulk_out(usb, (const uint8_t *)"hello", 5, 100, &err),
			 UB_USB_ERROR);
	assert_one_line(&err, UB_EFAIL, "usb 9-9: bulk OUT of 5 bytes to endpoint 0x02 (4 sent) failed");
	close_ok(usb);
}
END_TEST

START_TEST(exchange_without_a_queue_sends_the_outs_then_the_ins)
{
	struct fake f = { 0 };
	struct ub_usb *usb = fake_usb(&f);
	struct ub_err err = { 0 };
	const struct ub_usb_out outs[2] = { { (const uint8_t *)"ab", 2 },
					    { (const uint8_t *)"cde", 3 } };
	uint8_t in[8];
	size_t got = 99;

	ck_assert_int_eq(ub_usb_exchange(usb, outs, 2, in, 4, 2, &got, 100, &err), UB_USB_OK);
	/* The fake gives back the last OUT, to each IN. */
	ck_assert_uint_eq(got, 6);
	ck_assert_mem_eq(in, "cdecde", 6);
	ck_assert_uint_eq(f.nep, 4);
	ck_assert_uint_eq(f.ep[0], 0x02);
	ck_assert_uint_eq(f.ep[1], 0x02);
	ck_assert_uint_eq(f.ep[2], 0x83);
	ck_assert_uint_eq(f.ep[3], 0x83);
	/* cppcheck-suppress unreadVariable ; the fake backend (usb's priv) reads it */
	f.short_out = 1;
	ck_assert_int_eq(ub_usb_exchange(usb, outs, 2, in, 4, 2, &got, 100, &err), UB_USB_ERROR);
	assert_one_line(&err, UB_EFAIL, "usb 9-9: bulk OUT of 5 bytes with 2 IN transfers queued "
			"(0 bytes in) failed");
	close_ok(usb);
}
END_TEST

START_TEST(exchange_of_too_many_outs_is_refused)
{
	struct fake f = { 0 };
	struct ub_usb *usb = fake_usb(&f);
	struct ub_err err = { 0 };
	struct ub_usb_out outs[UB_USB_MAX_OUTS + 1];
	uint8_t in[4];
	size_t got;

	for (size_t i = 0; i < UB_USB_MAX_OUTS + 1; i++)
		outs[i] = (struct ub_usb_out){ (const uint8_t *)"x", 1 };
	ck_assert_int_eq(ub_usb_exchange(usb, outs, UB_USB_MAX_OUTS + 1, in, 4, 1, &got, 100, &err),
			 UB_USB_ERROR);
	assert_one_line(&err, UB_EFAIL, "internal: 9 OUT transfers in one exchange");
	ck_assert_uint_eq(f.nep, 0);
	close_ok(usb);
}
END_TEST

START_TEST(statuses_have_their_messages)
{
	static const struct {
		enum ub_usb_status st;
		int status;
		const char *control, *bulk_in;
	} cases[] = {
		{ UB_USB_STALL, UB_EFAIL,
		  "usb 9-9: request 0x42 (type 0xc0, value 0x1234, index 0x5678, length 8) stalled",
		  "usb 9-9: bulk IN of up to 16 bytes from endpoint 0x83 stalled" },
		{ UB_USB_TIMEOUT, UB_ENODEV,
		  "usb 9-9: request 0x42 (type 0xc0, value 0x1234, index 0x5678, length 8) got no "
		  "answer in 250 ms",
		  "usb 9-9: bulk IN of up to 16 bytes from endpoint 0x83 got no answer in 250 ms" },
		{ UB_USB_GONE, UB_ENODEV, "length 8) failed: the device left the bus",
		  "endpoint 0x83 failed: the device left the bus" },
		{ UB_USB_ERROR, UB_EFAIL, "length 8) failed", "fake: the host controller says no" },
	};
	const struct ub_usb_setup setup = { 0xC0, 0x42, 0x1234, 0x5678, 8 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f = { .status = cases[i].st };
		struct ub_usb *usb = fake_usb(&f);
		struct ub_err err = { 0 };
		uint8_t buf[16];
		size_t n = 99;

		ck_assert_int_eq(ub_usb_control(usb, &setup, buf, &n, 250, &err), cases[i].st);
		ck_assert_uint_eq(n, 0);
		assert_one_line(&err, cases[i].status, cases[i].control);
		ub_err_clear(&err);
		ck_assert_int_eq(ub_usb_bulk_in(usb, buf, sizeof(buf), NULL, 250, &err), cases[i].st);
		assert_one_line(&err, cases[i].status, cases[i].bulk_in);
		close_ok(usb);
	}
}
END_TEST

START_TEST(no_clock_of_its_own_is_the_wall_clock)
{
	struct fake f = { 0 };
	struct ub_usb *usb = fake_usb(&f);
	int64_t t0 = ub_usb_clock_ms(usb), w0 = ub_clock_ms();

	ub_usb_sleep_ms(usb, 30);
	ck_assert_int_ge(ub_usb_clock_ms(usb) - t0, 30);
	ck_assert_int_ge(ub_clock_ms() - w0, 30);
	close_ok(usb);
}
END_TEST

/* ------------------------------------------------------------- sim:t31 */

START_TEST(sim_lists_its_device)
{
	struct ub_err err = { 0 };
	struct ub_usb_desc *list;
	size_t n;

	ck_assert_int_eq(ub_usb_list("sim:t31", &INGENIC, 1, &list, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].path, "sim");
	ck_assert_uint_eq(list[0].vid, 0xA108);
	ck_assert_uint_eq(list[0].pid, 0xC309);
	ck_assert_uint_eq(list[0].bcd_device, 0x0100);
	ck_assert_str_eq(list[0].manufacturer, "Ingenic");
	ck_assert_ptr_nonnull(strstr(list[0].product, "USB Boot Device"));
	ck_assert_str_eq(list[0].serial, "");
	ck_assert_uint_eq(list[0].ep_out, 0x01);
	ck_assert_uint_eq(list[0].ep_in, 0x81);
	ck_assert_uint_eq(list[0].max_packet, 512);
	free(list);
	ck_assert_int_eq(ub_usb_list("sim:t31", &NOBODY, 1, &list, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(list);
	ck_assert_int_eq(ub_usb_list("sim:t31", NULL, 0, &list, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	free(list);
}
END_TEST

START_TEST(sim_opens_its_device)
{
	struct ub_usb *usb = open_ok("sim:t31");

	ck_assert_str_eq(usb->name, "sim:t31");
	ck_assert_str_eq(usb->desc.path, "sim");
	ck_assert_uint_eq(usb->desc.vid, 0xA108);
	ck_assert_uint_eq(usb->desc.pid, 0xC309);
	ck_assert_uint_eq(usb->desc.ep_out, 0x01);
	ck_assert_uint_eq(usb->desc.ep_in, 0x81);
	ck_assert_uint_eq(usb->desc.max_packet, 512);
	close_ok(usb);
}
END_TEST

START_TEST(sim_with_other_ids_is_no_device)
{
	struct ub_err err = { 0 };
	struct ub_usb *usb;

	ck_assert_int_eq(ub_usb_open("sim:t31", &NOBODY, 1, 0, &usb, &err), -1);
	ck_assert_ptr_null(usb);
	assert_one_line(&err, UB_ENODEV, "no USB device dead:beef found (sim:t31 is a108:c309)");
}
END_TEST

START_TEST(sim_open_sends_set_configuration)
{
	char stats[64], spec[200];
	struct ub_usb *usb;

	tu_tmpfile(stats, sizeof(stats));
	snprintf(spec, sizeof(spec), "sim:t31,stats=%s", stats);
	usb = open_ok(spec);
	close_ok(usb);
	ck_assert_uint_eq(tu_stat(stats, "controls"), 1);
	ck_assert_uint_eq(tu_stat(stats, "stalls"), 0);
	unlink(stats);
}
END_TEST

START_TEST(sim_cpu_info)
{
	struct ub_usb *usb = open_ok("sim:t31");
	struct ub_err err = { 0 };
	uint8_t buf[8];
	size_t n = 0;

	ck_assert_int_eq(ub_usb_control(usb, &CPU_INFO, buf, &n, 1000, &err), UB_USB_OK);
	ck_assert_uint_eq(n, 8);
	ck_assert_mem_eq(buf, "T 3 1 V ", 8);
	close_ok(usb);
}
END_TEST

START_TEST(sim_stalls_an_unknown_request)
{
	const struct ub_usb_setup bogus = { 0xC0, 0x42, 0, 0, 4 };
	struct ub_usb *usb = open_ok("sim:t31");
	struct ub_err err = { 0 };
	uint8_t buf[8];

	ck_assert_int_eq(ub_usb_control(usb, &bogus, buf, NULL, 1000, &err), UB_USB_STALL);
	assert_one_line(&err, UB_EFAIL, "sim:t31: request 0x42 (type 0xc0, value 0x0000, index "
			"0x0000, length 4) stalled");
	ub_err_clear(&err);
	/* A control endpoint's stall ends with the next setup packet. */
	ck_assert_int_eq(ub_usb_control(usb, &CPU_INFO, buf, NULL, 1000, &err), UB_USB_OK);
	close_ok(usb);
}
END_TEST

START_TEST(sim_timeout_takes_model_time)
{
	/* Control 1 is open's SET_CONFIGURATION: the test's first is the 2nd. */
	struct ub_usb *usb = open_ok("sim:t31,timeout=2");
	struct ub_err err = { 0 };
	int64_t model0 = ub_usb_clock_ms(usb), wall0 = ub_clock_ms();
	uint8_t buf[8];

	ck_assert_int_eq(ub_usb_control(usb, &CPU_INFO, buf, NULL, 5000, &err), UB_USB_TIMEOUT);
	ck_assert_int_lt(ub_clock_ms() - wall0, 50);
	ck_assert_int_eq(ub_usb_clock_ms(usb) - model0, 5000);
	assert_one_line(&err, UB_ENODEV, "sim:t31: request 0x00 (type 0xc0, value 0x0000, index "
			"0x0000, length 8) got no answer in 5000 ms");
	ub_err_clear(&err);
	ck_assert_int_eq(ub_usb_control(usb, &CPU_INFO, buf, NULL, 5000, &err), UB_USB_OK);
	close_ok(usb);
}
END_TEST

START_TEST(sim_open_fails_when_set_configuration_does)
{
	struct ub_err err = { 0 };
	struct ub_usb *usb;

	ck_assert_int_eq(ub_usb_open("sim:t31,timeout=1", &INGENIC, 1, 0, &usb, &err), -1);
	ck_assert_ptr_null(usb);
	assert_one_line(&err, UB_ENODEV, "sim:t31: request 0x09 (type 0x00, value 0x0001");
}
END_TEST

/* SET_DATA_ADDRESS (ROM request 0x01): value = addr >> 16, index = addr & 0xFFFF. */
static enum ub_usb_status set_data_address(struct ub_usb *usb, uint32_t addr, struct ub_err *err)
{
	const struct ub_usb_setup setup = { 0x40, 0x01, (uint16_t)(addr >> 16), (uint16_t)addr, 0 };

	return ub_usb_control(usb, &setup, NULL, NULL, 1000, err);
}

START_TEST(sim_bulk_out_reaches_the_rom)
{
	static const uint8_t word[4] = { 0x78, 0x56, 0x34, 0x12 };
	char trace[64], spec[128];
	struct ub_err err = { 0 };
	struct ub_usb *usb;

	tu_tmpfile(trace, sizeof(trace));
	snprintf(spec, sizeof(spec), "sim:t31,trace=%s", trace);
	usb = open_ok(spec);
	ck_assert_int_eq(ub_usb_bulk_out(usb, word, 4, 1000, &err), UB_USB_STALL);
	assert_one_line(&err, UB_EFAIL, "sim:t31: bulk OUT of 4 bytes to endpoint 0x01 (0 sent) "
			"stalled");
	ub_err_clear(&err);
	ck_assert_int_eq(set_data_address(usb, 0xB0010040, &err), UB_USB_OK);
	ck_assert_int_eq(ub_usb_bulk_out(usb, word, 4, 1000, &err), UB_USB_OK);
	ck_assert_int_eq(err.status, 0);
	close_ok(usb);
	ck_assert_msg(tu_file_has(trace, "gpio poke 0xb0010040 = 0x12345678"), "no poke in the trace");
	unlink(trace);
}
END_TEST

START_TEST(sim_bulk_in_on_the_rom_times_out_in_model_time)
{
	struct ub_usb *usb = open_ok("sim:t31");
	struct ub_err err = { 0 };
	int64_t model0 = ub_usb_clock_ms(usb), wall0 = ub_clock_ms();
	uint8_t buf[512];
	size_t n = 99;

	ck_assert_int_eq(ub_usb_bulk_in(usb, buf, sizeof(buf), &n, 3000, &err), UB_USB_TIMEOUT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ub_usb_clock_ms(usb) - model0, 3000);
	ck_assert_int_lt(ub_clock_ms() - wall0, 50);
	assert_one_line(&err, UB_ENODEV, "sim:t31: bulk IN of up to 512 bytes from endpoint 0x81 "
			"got no answer in 3000 ms");
	close_ok(usb);
}
END_TEST

START_TEST(sim_device_gone_after_reboot)
{
	const struct ub_usb_setup reboot = { 0x40, 0x16, 0, 0, 0 };
	struct ub_usb *usb = open_ok("sim:t31,stage=burner");
	struct ub_err err = { 0 };
	uint8_t buf[8];

	ck_assert_int_eq(ub_usb_control(usb, &reboot, NULL, NULL, 1000, &err), UB_USB_OK);
	ck_assert_int_eq(ub_usb_control(usb, &CPU_INFO, buf, NULL, 1000, &err), UB_USB_GONE);
	assert_one_line(&err, UB_ENODEV, "sim:t31: request 0x00 (type 0xc0, value 0x0000, index "
			"0x0000, length 8) failed: the device left the bus");
	ub_err_clear(&err);
	ck_assert_int_eq(ub_usb_bulk_out(usb, buf, 4, 1000, &err), UB_USB_GONE);
	assert_one_line(&err, UB_ENODEV, "bulk OUT of 4 bytes to endpoint 0x01 (0 sent) failed: the "
			"device left the bus");
	close_ok(usb);
}
END_TEST

/*
 * The emulated CH341A: three transfers of UIO pin reads (each answered by one
 * byte) queued in one exchange cost one round trip, and their replies come
 * back in order.
 */
START_TEST(sim_exchange_over_the_ch341a_is_one_round_trip)
{
	static const struct ub_usb_id ch341a = { 0x1A86, 0x5512 };
	const uint8_t read_pins[3] = { 0xAB, 0x00, 0x20 };
	const uint8_t drive[32] = { 0xAB, 0x80 | 0x36, 0x40 | 0x3F, 0x20 };
	const struct ub_usb_out outs[3] = { { read_pins, 3 }, { drive, 32 }, { read_pins, 3 } };
	struct ub_err err = { 0 };
	struct ub_usb *usb;
	char stats[64], spec[128];
	uint8_t in[3 * 31];
	size_t got = 0;
	int64_t t0;

	tu_tmpfile(stats, sizeof(stats));
	snprintf(spec, sizeof(spec), "sim:ch341a,stats=%s", stats);
	ck_assert_msg(ub_usb_open(spec, &ch341a, 1, 0, &usb, &err) == 0, "%s", err.msg);
	t0 = ub_usb_clock_ms(usb);
	ck_assert_int_eq(ub_usb_exchange(usb, outs, 3, in, 31, 2, &got, 1000, &err), UB_USB_OK);
	ck_assert_uint_le((uint64_t)(ub_usb_clock_ms(usb) - t0), 2);
	/* Two replies: the pins pulled up, then D0 (CS) driven low, the rest as driven. */
	ck_assert_uint_eq(got, 2);
	ck_assert_uint_eq(in[0] & 0x3F, 0x3F);
	ck_assert_uint_eq(in[1] & 0x3F, 0x36);
	close_ok(usb);
	ck_assert_uint_eq(tu_stat(stats, "round_trips"), 1);
	ck_assert_uint_eq(tu_stat(stats, "packets_out"), 3);
	unlink(stats);
}
END_TEST

START_TEST(sim_sleep_is_model_time)
{
	struct ub_usb *usb = open_ok("sim:t31");
	int64_t model0 = ub_usb_clock_ms(usb), wall0 = ub_clock_ms();

	ub_usb_sleep_ms(usb, 2500);
	ck_assert_int_eq(ub_usb_clock_ms(usb) - model0, 2500);
	ub_usb_sleep_ms(usb, 0);
	ub_usb_sleep_ms(usb, -5);
	ck_assert_int_eq(ub_usb_clock_ms(usb) - model0, 2500);
	ck_assert_int_lt(ub_clock_ms() - wall0, 50);
	close_ok(usb);
}
END_TEST

START_TEST(sim_close_reports_the_emulator_files)
{
	struct ub_usb *usb = open_ok("sim:t31,save=/nonexistent/dir/x");
	struct ub_err err = { 0 };

	ck_assert_int_eq(ub_usb_close(usb, &err), -1);
	assert_one_line(&err, UB_EFAIL, "USB emulator: ");
	assert_one_line(&err, UB_EFAIL, "/nonexistent/dir/x");
}
END_TEST

/* -------------------------------------------------------------- libusb */

#ifdef UB_HAVE_LIBUSB
/* Whether libusb starts here (a container may have no USB at all). */
static int libusb_starts(void)
{
	libusb_context *ctx;

	if (libusb_init(&ctx) < 0)
		return 0;
	libusb_exit(ctx);
	return 1;
}

START_TEST(libusb_lists_nothing_for_absent_ids)
{
	struct ub_err err = { 0 };
	struct ub_usb_desc *list = (void *)1;
	size_t n = 7;
	int rc = ub_usb_list("", &NOBODY, 1, &list, &n, &err);

	ck_assert_ptr_null(list);
	ck_assert_uint_eq(n, 0);
	if (libusb_starts()) {
		ck_assert_msg(rc == 0, "%s", err.msg);
	} else {
		ck_assert_int_eq(rc, -1);
		assert_one_line(&err, UB_ENODEV, "libusb cannot start: LIBUSB_ERROR_");
	}
}
END_TEST

START_TEST(libusb_waits_for_an_absent_path)
{
	struct ub_err err = { 0 };
	struct ub_usb *usb = (void *)1;
	int64_t wall0 = ub_clock_ms();

	ck_assert_int_eq(ub_usb_open("libusb:9-9.9.9", &INGENIC, 1, 300, &usb, &err), -1);
	ck_assert_ptr_null(usb);
	if (libusb_starts()) {
		ck_assert_int_ge(ub_clock_ms() - wall0, 300);
		assert_one_line(&err, UB_ENODEV, "no USB device a108:* found at 9-9.9.9 in 0.3 s");
	} else {
		assert_one_line(&err, UB_ENODEV, "libusb cannot start: LIBUSB_ERROR_");
	}
}
END_TEST

START_TEST(libusb_takes_a_bare_path)
{
	struct ub_err err = { 0 };
	struct ub_usb *usb;

	ck_assert_int_eq(ub_usb_open("9-9.9.9", &NOBODY, 1, 0, &usb, &err), -1);
	if (libusb_starts())
		assert_one_line(&err, UB_ENODEV, "no USB device dead:beef found at 9-9.9.9");
	ub_err_clear(&err);
	ck_assert_int_eq(ub_usb_open(NULL, &NOBODY, 1, 0, &usb, &err), -1);
	if (libusb_starts())
		assert_one_line(&err, UB_ENODEV, "no USB device dead:beef found");
}
END_TEST

START_TEST(libusb_checks_its_spec)
{
	struct ub_err err = { 0 };
	struct ub_usb *usb;

	ck_assert_int_eq(ub_usb_open("libusb:x-1", &INGENIC, 1, 0, &usb, &err), -1);
	assert_one_line(&err, UB_EUSAGE, "bad USB path 'x-1' (want BUS-PORT");
	ub_err_clear(&err);
	ck_assert_int_eq(ub_usb_open("libusb:1-1,speed=1", &INGENIC, 1, 0, &usb, &err), -1);
	assert_one_line(&err, UB_EUSAGE, "libusb takes no options (got 'speed=1')");
}
END_TEST
#else
START_TEST(no_libusb_in_this_build)
{
	struct ub_err err = { 0 };
	struct ub_usb *usb;

	ck_assert_int_eq(ub_usb_open("1-1.2", &INGENIC, 1, 0, &usb, &err), -1);
	assert_one_line(&err, UB_EUSAGE, "this build has no libusb-1.0");
}
END_TEST
#endif

static Suite *suite(void)
{
	Suite *s = suite_create("usb");
	TCase *specs = tcase_create("specs");
	TCase *layer = tcase_create("layer");
	TCase *sim = tcase_create("sim");
	TCase *lib = tcase_create("libusb");

	tcase_add_test(specs, paths);
	tcase_add_test(specs, usages);
	tcase_add_test(specs, ids_in_messages);
	tcase_add_test(specs, unknown_spec);
	tcase_add_test(specs, sim_needs_a_known_model);
	tcase_add_test(layer, bulk_round_trip_on_the_descriptor_endpoints);
	tcase_add_test(layer, a_short_bulk_out_is_an_error);
	tcase_add_test(layer, exchange_without_a_queue_sends_the_outs_then_the_ins);
	tcase_add_test(layer, exchange_of_too_many_outs_is_refused);
	tcase_add_test(layer, statuses_have_their_messages);
	tcase_add_test(layer, no_clock_of_its_own_is_the_wall_clock);
	tcase_add_test(sim, sim_lists_its_device);
	tcase_add_test(sim, sim_opens_its_device);
	tcase_add_test(sim, sim_with_other_ids_is_no_device);
	tcase_add_test(sim, sim_open_sends_set_configuration);
	tcase_add_test(sim, sim_cpu_info);
	tcase_add_test(sim, sim_stalls_an_unknown_request);
	tcase_add_test(sim, sim_timeout_takes_model_time);
	tcase_add_test(sim, sim_open_fails_when_set_configuration_does);
	tcase_add_test(sim, sim_bulk_out_reaches_the_rom);
	tcase_add_test(sim, sim_bulk_in_on_the_rom_times_out_in_model_time);
	tcase_add_test(sim, sim_device_gone_after_reboot);
	tcase_add_test(sim, sim_exchange_over_the_ch341a_is_one_round_trip);
	tcase_add_test(sim, sim_sleep_is_model_time);
	tcase_add_test(sim, sim_close_reports_the_emulator_files);
#ifdef UB_HAVE_LIBUSB
	tcase_add_test(lib, libusb_lists_nothing_for_absent_ids);
	tcase_add_test(lib, libusb_waits_for_an_absent_path);
	tcase_add_test(lib, libusb_takes_a_bare_path);
	tcase_add_test(lib, libusb_checks_its_spec);
#else
	tcase_add_test(lib, no_libusb_in_this_build);
#endif
	suite_add_tcase(s, specs);
	suite_add_tcase(s, layer);
	suite_add_tcase(s, sim);
	suite_add_tcase(s, lib);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
