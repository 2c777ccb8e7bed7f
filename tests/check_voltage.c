/* SPDX-License-Identifier: MIT */
/*
 * The supply-voltage check (common/voltage.c, with voltage_iio.c when built
 * with libiio).
 *
 * "spec" runs anywhere: parsing, and malformed specs through parse and check
 * (which must fail before opening any IIO context); without libiio a good
 * spec fails with "built without libiio".
 *
 * "sysfs" runs the check against libiio's real local backend on a fake
 * sysfs: each test (in its own process when Check forks) enters a private
 * mount namespace and mounts a tmpfs over all of /sys, so the context holds
 * exactly the devices below and nothing of the host (hwmon, debugfs). It
 * needs root and mount namespaces, and is skipped with a message otherwise.
 *
 * libiio 0.24's local backend needs no more than /sys/bus/iio/devices/ID/
 * directories (real sysfs has symlinks there; stat() follows them) holding
 * regular files named as the IIO ABI does: "name" and "label" (optional),
 * in_voltageN_raw, in_voltageN_scale or the shared in_voltage_scale,
 * in_voltageN_offset, in_voltageN_input.
 *
 * UB_EXPECT_IIO ("libiio 0.x" or "none"), if given, is the backend the
 * build chose.
 */
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "voltage.h"

#define SYSFS "/sys"
#define NO_VOLTS -1.0

#define assert_msg_has(err, needle)                                          \
	ck_assert_msg(strstr((err).msg, (needle)) != NULL,                    \
		      "error message \"%s\" should mention \"%s\"", (err).msg, \
		      (needle))

/* ---- helpers ---- */

static char last_info[512];

static void capture(void *arg, enum ub_level level, const char *msg)
{
	(void)arg;
	if (level == UB_LOG_INFO)
		snprintf(last_info, sizeof(last_info), "%s", msg);
}

static const struct ub_log test_log = { UB_LOG_DEBUG, capture, NULL };

/* What the programs do: parse, then check. */
static int parse_and_check(const char *spec, double *volts, struct ub_err *err)
{
	struct ub_voltage_spec vs;

	if (ub_voltage_parse(spec, &vs, err))
		return -1;
	return ub_voltage_check_parsed(&vs, &test_log, volts, err);
}

/* Check `spec` expecting failure with `status`; *volts is what it left. */
static void check_fails(const char *spec, int status, double *volts,
			struct ub_err *err)
{
	*volts = NO_VOLTS;
	ub_err_clear(err);
	ck_assert_int_eq(parse_and_check(spec, volts, err), -1);
	ck_assert_msg(err->status == status, "%s: status %d, expected %d (%s)",
		      spec ? spec : "(null)", err->status, status, err->msg);
	ck_assert_msg(strchr(err->msg, '\n') == NULL, "not one line: %s", err->msg);
}

/* Check `spec` expecting success and a reading of `expect` volts. */
static void check_reads(const char *spec, double expect)
{
	struct ub_err err;
	double volts = NO_VOLTS;

	ub_err_clear(&err);
	last_info[0] = '\0';
	ck_assert_msg(parse_and_check(spec, &volts, &err) == 0,
		      "%s: %s", spec, err.msg);
	ck_assert_double_eq_tol(volts, expect, 1e-9);
}

START_TEST(backend_matches_build)
{
#ifdef UB_EXPECT_IIO
	ck_assert_str_eq(ub_voltage_backend(), UB_EXPECT_IIO);
#else
	ck_assert_msg(strcmp(ub_voltage_backend(), "libiio 0.x") == 0 ||
		      strcmp(ub_voltage_backend(), "none") == 0,
		      "unknown backend %s", ub_voltage_backend());
#endif
}
END_TEST

/* ---- spec: no IIO context ---- */

START_TEST(defaults)
{
	struct ub_voltage_spec vs;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_voltage_parse("ads1015:voltage0", &vs, &err), 0);
	ck_assert_str_eq(vs.device, "ads1015");
	ck_assert_str_eq(vs.channel, "voltage0");
	ck_assert_str_eq(vs.uri, "");
	ck_assert_double_eq(vs.min, 3.0);
	ck_assert_double_eq(vs.max, 3.6);
	ck_assert_double_eq(vs.divider, 1.0);
}
END_TEST

START_TEST(all_options)
{
	struct ub_voltage_spec vs;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_voltage_parse("iio:device0:voltage3,min=1.7V,max=1.9,divider=2.5,uri=ip:192.168.2.1",
					  &vs, &err), 0);
	ck_assert_str_eq(vs.device, "iio:device0");
	ck_assert_str_eq(vs.channel, "voltage3");
	ck_assert_double_eq(vs.min, 1.7);
	ck_assert_double_eq(vs.max, 1.9);
	ck_assert_double_eq(vs.divider, 2.5);
	ck_assert_str_eq(vs.uri, "ip:192.168.2.1");
}
END_TEST

START_TEST(uri_takes_the_rest)
{
	struct ub_voltage_spec vs;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_voltage_parse("adc:voltage0,max=3.5,uri=serial:/dev/ttyUSB0,115200,8n1",
					  &vs, &err), 0);
	ck_assert_str_eq(vs.uri, "serial:/dev/ttyUSB0,115200,8n1");
	ck_assert_double_eq(vs.max, 3.5);
}
END_TEST

struct bad_spec {
	const char *spec, *says;
};

static const struct bad_spec bad_specs[] = {
	{ "ads1015", "missing CHANNEL" },
	{ "ads1015:", "missing CHANNEL" },
	{ "ads1015,min=3", "missing CHANNEL" },
	{ ":voltage0", "expected DEVICE:CHANNEL" },
	{ ",min=3", "expected DEVICE:CHANNEL" },
	{ "ads1015:voltage0,min=abc", "bad min 'abc'" },
	{ "ads1015:voltage0,min", "bad min ''" },
	{ "ads1015:voltage0,max=", "bad max ''" },
	{ "ads1015:voltage0,min=-1", "bad min '-1'" },
	{ "ads1015:voltage0,max=inf", "bad max 'inf'" },
	{ "ads1015:voltage0,max=nan", "bad max 'nan'" },
	{ "ads1015:voltage0,max=3.3x", "bad max '3.3x'" },
	{ "ads1015:voltage0,max= 3.3", "bad max ' 3.3'" },
	{ "ads1015:voltage0,divider=2V", "bad divider '2V'" },
	{ "ads1015:voltage0,divider=0", "divider must be above 0" },
	{ "ads1015:voltage0,min=3.6,max=3.0", "min 3.60 V is not below max 3.00 V" },
	{ "ads1015:voltage0,min=3.3,max=3.3", "is not below" },
	{ "ads1015:voltage0,max=2", "min 3.00 V is not below max 2.00 V" },
	{ "ads1015:voltage0,volts=3", "unknown option 'volts'" },
	{ "ads1015:voltage0,min=3,min=3.1", "min given twice" },
	{ "ads1015:voltage0,,min=3", "empty or overlong option" },
	{ "ads1015:voltage0,uri=", "uri needs a libiio URI" },
	{ "ads1015:voltage0,uri=localhost", "uri needs a libiio URI" },
	{ "ads1015:voltage0,min=3,uri=:x", "uri needs a libiio URI" },
};

START_TEST(bad_spec)
{
	const struct bad_spec *bs = &bad_specs[_i];
	const char *spec = bs->spec;
	struct ub_voltage_spec vs;
	struct ub_err err;
	double volts;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_voltage_parse(spec, &vs, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	assert_msg_has(err, spec);
	assert_msg_has(err, bs->says);

	check_fails(spec, UB_EUSAGE, &volts, &err);
	assert_msg_has(err, bs->says);
	ck_assert_double_eq(volts, NO_VOLTS);
}
END_TEST

START_TEST(empty_and_null_spec)
{
	struct ub_err err;
	double volts;

	check_fails("", UB_EUSAGE, &volts, &err);
	assert_msg_has(err, "empty voltage spec");
	check_fails(NULL, UB_EUSAGE, &volts, &err);
	assert_msg_has(err, "empty voltage spec");
}
END_TEST

START_TEST(overlong_names)
{
	char spec[700];
	struct ub_err err;
	double volts;

	snprintf(spec, sizeof(spec), "%0300d:voltage0", 7);
	check_fails(spec, UB_EUSAGE, &volts, &err);
	assert_msg_has(err, "too long");
	snprintf(spec, sizeof(spec), "adc:voltage0,uri=ip:%0600d", 7);
	check_fails(spec, UB_EUSAGE, &volts, &err);
	ck_assert_str_eq(err.msg, "voltage spec too long (620 characters, at most 511)");
}
END_TEST

/* ---- sysfs: libiio's local backend on a fake /sys ---- */

/*
 * Readings in millivolts at the ADC are (raw + offset) * scale:
 *   ads1015  per-channel scale 2: 3.31 V, 4.98 V, 0.02 V, 1.65 V
 *   xadc     shared in_voltage_scale 0.5, voltage1 with offset 600: 3.30 V
 *   proc     processed in_voltage0_input only: 3.30 V
 *   broken   raw that is not a number
 *   ads1115  labelled "vtarget": 3.29 V
 */
static void fake_tree(void)
{
	tu_iio_put("iio:device0", "name", "ads1015");
	tu_iio_put("iio:device0", "in_voltage0_raw", "1655");
	tu_iio_put("iio:device0", "in_voltage0_scale", "2.000000000");
	tu_iio_put("iio:device0", "in_voltage1_raw", "2490");
	tu_iio_put("iio:device0", "in_voltage1_scale", "2.000000000");
	tu_iio_put("iio:device0", "in_voltage2_raw", "10");
	tu_iio_put("iio:device0", "in_voltage2_scale", "2.000000000");
	tu_iio_put("iio:device0", "in_voltage3_raw", "825");
	tu_iio_put("iio:device0", "in_voltage3_scale", "2.000000000");
	tu_iio_put("iio:device0", "in_temp0_raw", "3300");
	tu_iio_put("iio:device0", "out_voltage0_raw", "4095");
	tu_iio_put("iio:device0", "sampling_frequency", "1600");

	tu_iio_put("iio:device1", "name", "xadc");
	tu_iio_put("iio:device1", "in_voltage_scale", "0.500000");
	tu_iio_put("iio:device1", "in_voltage0_raw", "6620");
	tu_iio_put("iio:device1", "in_voltage1_raw", "6000");
	tu_iio_put("iio:device1", "in_voltage1_offset", "600");

	tu_iio_put("iio:device2", "name", "proc");
	tu_iio_put("iio:device2", "in_voltage0_input", "3300");

	tu_iio_put("iio:device3", "name", "broken");
	tu_iio_put("iio:device3", "in_voltage0_raw", "junk");

	tu_iio_put("iio:device4", "name", "ads1115");
	tu_iio_put("iio:device4", "label", "vtarget");
	tu_iio_put("iio:device4", "in_voltage0_raw", "26320");
	tu_iio_put("iio:device4", "in_voltage0_scale", "0.125000000");
}

static void sysfs_setup(void)
{
	int e = tu_private_sysfs();

	ck_assert_msg(e == 0, "fake sysfs: %s", strerror(e));
	fake_tree();
}

static void sysfs_teardown(void)
{
	umount2(SYSFS, MNT_DETACH);
}

START_TEST(in_range)
{
	check_reads("ads1015:voltage0", 3.31);
	ck_assert_str_eq(last_info, "supply 3.31 V on ads1015:voltage0 (3.00-3.60 V)");
}
END_TEST

START_TEST(by_id_and_label)
{
	check_reads("iio:device0:voltage0", 3.31);
	ck_assert_str_eq(last_info, "supply 3.31 V on iio:device0:voltage0 (3.00-3.60 V)");
	check_reads("vtarget:voltage0", 3.29);
}
END_TEST

START_TEST(above_5v)
{
	struct ub_err err;
	double volts;

	check_fails("ads1015:voltage1", UB_EFAIL, &volts, &err);
	ck_assert_str_eq(err.msg, "supply reads 4.98 V on ads1015:voltage1, outside 3.00-3.60 V: "
			 "is the adapter set to 5 V? refusing to write");
	ck_assert_double_eq_tol(volts, 4.98, 1e-9);
}
END_TEST

START_TEST(above_max)
{
	struct ub_err err;
	double volts;

	check_fails("ads1015:voltage0,min=2.5,max=3.0", UB_EFAIL, &volts, &err);
	ck_assert_str_eq(err.msg, "supply reads 3.31 V on ads1015:voltage0, outside 2.50-3.00 V: "
			 "too high for the chip: refusing to write");
	ck_assert_double_eq_tol(volts, 3.31, 1e-9);
}
END_TEST

START_TEST(below)
{
	struct ub_err err;
	double volts;

	check_fails("ads1015:voltage2", UB_EFAIL, &volts, &err);
	ck_assert_str_eq(err.msg, "supply reads 0.02 V on ads1015:voltage2, outside 3.00-3.60 V: "
			 "is the target powered? refusing to write");
	ck_assert_double_eq_tol(volts, 0.02, 1e-9);
}
END_TEST

START_TEST(own_range)
{
	check_reads("ads1015:voltage1,min=4.5,max=5.5V", 4.98);
	ck_assert_str_eq(last_info, "supply 4.98 V on ads1015:voltage1 (4.50-5.50 V)");
}
END_TEST

START_TEST(divider)
{
	struct ub_err err;
	double volts;

	check_fails("ads1015:voltage3", UB_EFAIL, &volts, &err);
	assert_msg_has(err, "supply reads 1.65 V");
	check_reads("ads1015:voltage3,divider=2", 3.30);
}
END_TEST

START_TEST(shared_scale_and_offset)
{
	check_reads("xadc:voltage0", 3.31);
	/* the offset is added before scaling: 3.60 V would mean after */
	check_reads("xadc:voltage1", 3.30);
}
END_TEST

START_TEST(processed_input)
{
	check_reads("proc:voltage0", 3.30);
}
END_TEST

START_TEST(parsed_then_checked)
{
	struct ub_voltage_spec vs;
	struct ub_err err;
	double volts = NO_VOLTS;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_voltage_parse("ads1015:voltage0,uri=local:", &vs, &err), 0);
	ck_assert_int_eq(ub_voltage_check_parsed(&vs, NULL, &volts, &err), 0);
	ck_assert_double_eq_tol(volts, 3.31, 1e-9);
	ck_assert_int_eq(ub_voltage_check_parsed(&vs, &test_log, NULL, &err), 0);
}
END_TEST

START_TEST(unknown_device)
{
	struct ub_err err;
	double volts;

	check_fails("ads1016:voltage0", UB_ENODEV, &volts, &err);
	ck_assert_str_eq(err.msg, "no IIO device 'ads1016' (found: ads1015, xadc, proc, broken, ads1115)");
	ck_assert_double_eq(volts, NO_VOLTS);
}
END_TEST

START_TEST(unknown_channel)
{
	struct ub_err err;
	double volts;

	check_fails("ads1015:voltage9", UB_ENODEV, &volts, &err);
	assert_msg_has(err, "IIO device 'ads1015' has no input channel 'voltage9' (has: ");
	assert_msg_has(err, "voltage3");
	assert_msg_has(err, "temp0");
	ck_assert_double_eq(volts, NO_VOLTS);
}
END_TEST

START_TEST(not_a_voltage)
{
	struct ub_err err;
	double volts;

	check_fails("ads1015:temp0", UB_EUSAGE, &volts, &err);
	ck_assert_str_eq(err.msg, "IIO channel ads1015:temp0 is not a voltage channel");
}
END_TEST

START_TEST(unreadable)
{
	struct ub_err err;
	double volts;

	check_fails("broken:voltage0", UB_EFAIL, &volts, &err);
	assert_msg_has(err, "cannot read raw of broken:voltage0");
	ck_assert_double_eq(volts, NO_VOLTS);
}
END_TEST

START_TEST(unsupported_uri)
{
	struct ub_err err;
	double volts;

	check_fails("ads1015:voltage0,uri=bogus:1", UB_EUSAGE, &volts, &err);
	ck_assert_str_eq(err.msg, "IIO URI 'bogus:1' is not supported by this libiio");
}
END_TEST

START_TEST(no_iio_at_all)
{
	struct ub_err err;
	double volts;

	ck_assert_int_eq(mount("empty-sysfs", SYSFS, "tmpfs", 0, "size=64k"), 0);
	check_fails("ads1015:voltage0", UB_ENODEV, &volts, &err);
	umount2(SYSFS, MNT_DETACH);
	ck_assert_str_eq(err.msg, "no IIO devices on this machine (no /sys/bus/iio/devices) for ads1015:voltage0");
}
END_TEST

/* ---- built without libiio ---- */

START_TEST(none_refuses)
{
	struct ub_voltage_spec vs = { "ads1015", "voltage0", "", 3.0, 3.6, 1.0 };
	struct ub_err err;
	double volts;

	check_fails("ads1015:voltage0,max=3.5", UB_EUSAGE, &volts, &err);
	ck_assert_str_eq(err.msg, "cannot check the supply voltage 'ads1015:voltage0,max=3.5': "
			 "built without libiio; rebuild with libiio-dev installed");
	ub_err_clear(&err);
	ck_assert_int_eq(ub_voltage_check_parsed(&vs, NULL, &volts, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_str_eq(err.msg, "cannot check the supply voltage on ads1015:voltage0: "
			 "built without libiio; rebuild with libiio-dev installed");
}
END_TEST

/* ---- suite ---- */

/* Whether this process may build a fake sysfs; prints why not. */
static int can_fake_sysfs(void)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		printf("check_voltage: skipped the fake-sysfs tests: not root\n");
		return 0;
	}
	pid = fork();
	if (pid == 0)
		_exit(tu_private_sysfs() & 0xff);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		printf("check_voltage: skipped the fake-sysfs tests: cannot mount a tmpfs on /sys in a private mount namespace: %s\n",
		       pid < 0 ? strerror(errno) :
		       WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "probe crashed");
		return 0;
	}
	return 1;
}

static TCase *sysfs_tcase(void)
{
	TCase *tc = tcase_create("sysfs");

	tcase_add_checked_fixture(tc, sysfs_setup, sysfs_teardown);
	tcase_add_test(tc, in_range);
	tcase_add_test(tc, by_id_and_label);
	tcase_add_test(tc, above_5v);
	tcase_add_test(tc, above_max);
	tcase_add_test(tc, below);
	tcase_add_test(tc, own_range);
	tcase_add_test(tc, divider);
	tcase_add_test(tc, shared_scale_and_offset);
	tcase_add_test(tc, processed_input);
	tcase_add_test(tc, parsed_then_checked);
	tcase_add_test(tc, unknown_device);
	tcase_add_test(tc, unknown_channel);
	tcase_add_test(tc, not_a_voltage);
	tcase_add_test(tc, unreadable);
	tcase_add_test(tc, unsupported_uri);
	tcase_add_test(tc, no_iio_at_all);
	return tc;
}

static Suite *voltage_suite(void)
{
	Suite *s = suite_create("voltage");
	TCase *tc = tcase_create("spec");

	tcase_add_test(tc, backend_matches_build);
	suite_add_tcase(s, tc);
	/* a bad spec gets its own message, with or without libiio */
	tcase_add_loop_test(tc, bad_spec, 0, (int)(sizeof(bad_specs) / sizeof(bad_specs[0])));
	tcase_add_test(tc, empty_and_null_spec);
	tcase_add_test(tc, overlong_names);
	if (strcmp(ub_voltage_backend(), "none") == 0) {
		tcase_add_test(tc, none_refuses);
		return s;
	}
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, all_options);
	tcase_add_test(tc, uri_takes_the_rest);
	if (can_fake_sysfs())
		suite_add_tcase(s, sysfs_tcase());
	return s;
}

int main(void)
{
	return tu_main(voltage_suite());
}
