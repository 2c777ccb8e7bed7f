/* SPDX-License-Identifier: MIT */
#include "bekentest.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const names[BT_TRANSPORTS] = { "sim", "ch341a" };

/* Test code only: a checked fixture sets it in the process that runs the test. */
static enum bt_transport current;

enum bt_transport bt_transport(void)
{
	return current;
}

const char *bt_transport_name(void)
{
	return names[current];
}

int bt_fixed_clock(void)
{
	return current == BT_CH341A;
}

static void use_sim(void)
{
	current = BT_SIM;
}

static void use_ch341a(void)
{
	current = BT_CH341A;
}

void bt_add_cases(Suite *s, double timeout, void (*add)(TCase *tc, enum bt_transport t))
{
	static const SFun setups[BT_TRANSPORTS] = { use_sim, use_ch341a };

	for (int t = 0; t < BT_TRANSPORTS; t++) {
		TCase *tc = tcase_create(names[t]);

		tcase_set_timeout(tc, timeout);
		tcase_add_checked_fixture(tc, setups[t], NULL);
		add(tc, (enum bt_transport)t);
		suite_add_tcase(s, tc);
	}
}

/* Keys the CH341A emulator or its USB runner takes for itself (sim/sim_ch341a.h, sim/sim_usb.h). */
static int adapter_key(const char *item, size_t len)
{
	static const char *const keys[] = { "stats", "trace", "unplug", "chip", "pace", "wire" };
	size_t klen = strcspn(item, "=");

	if (klen > len)
		klen = len;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == klen && !strncmp(item, keys[i], klen))
			return 1;
	return 0;
}

static size_t append(char *buf, size_t len, size_t at, const char *prefix, const char *s,
		     size_t n)
{
	int w = snprintf(buf + at, len - at, ",%s%.*s", prefix, (int)n, s);

	ck_assert_msg(w >= 0 && (size_t)w < len - at, "spec too long");
	return at + (size_t)w;
}

void bt_spec(char *buf, size_t len, const char *model, const char *chip_opts,
	     const char *adapter_opts)
{
	int ch341a = current == BT_CH341A;
	int w = snprintf(buf, len, ch341a ? "ch341a:sim,chip=%s" : "sim:%s", model);
	size_t at;

	ck_assert_msg(w >= 0 && (size_t)w < len, "spec too long");
	at = (size_t)w;
	for (const char *p = chip_opts; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n)
			at = append(buf, len, at, ch341a && adapter_key(p, n) ? "chip-" : "", p, n);
		p += n + (p[n] == ',');
	}
	ck_assert_msg(ch341a || !adapter_opts, "adapter options over sim");
	if (adapter_opts && *adapter_opts)
		append(buf, len, at, "", adapter_opts, strlen(adapter_opts));
}

const char *const *bt_incidental_speed(const char **out, size_t n, const char *const *argv)
{
	size_t k = 0;

	for (size_t i = 0; argv[i]; i++) {
		if (bt_fixed_clock() && !strcmp(argv[i], "--speed") && argv[i + 1]) {
			i++;
			continue;
		}
		ck_assert_uint_lt(k, n - 1);
		out[k++] = argv[i];
	}
	out[k] = NULL;
	return out;
}

void bt_assert_no_speed_advice(const struct tu_run *r, const char *const *argv)
{
	if (!bt_fixed_clock())
		return;
	for (size_t i = 0; argv[i]; i++)
		if (!strcmp(argv[i], "--speed"))
			return;
	ck_assert_msg(!strstr(r->err, "--speed"),
		      "a message advises --speed, which the %s refuses: %s", bt_transport_name(),
		      r->err);
}

int bt_chip_opened(const char *stats_path)
{
	struct stat st;

	return stat(stats_path, &st) == 0 && st.st_size > 0;
}

void bt_assert_clock_refused(const struct tu_run *r, const char *stats_path)
{
	char text[64];

	snprintf(text, sizeof(text), "%s: this adapter's SPI clock is its own", bt_transport_name());
	tu_assert_one_error(r, "beken-spi", 2, text);
	ck_assert_uint_eq(r->outlen, 0);
	ck_assert_msg(!bt_chip_opened(stats_path), "the chip was opened");
}
