/* SPDX-License-Identifier: MIT */
/*
 * The libgpiod backend this binary is built with (gpio/gpio_gpiod.c with
 * gpio_gpiod_v1.c or gpio_gpiod_v2.c, or none), through the public gpio.h API.
 *
 * "errors" runs anywhere: missing chips, files that are not chips, unknown
 * line names, bad specs. "gpio-sim" needs a real kernel GPIO chip from the
 * gpio-sim driver (scripts/vm-test sets one up) and is skipped unless
 *   UNBRICK_GPIOSIM_CHIP   the chip's character device, e.g. /dev/gpiochip0
 *   UNBRICK_GPIOSIM_SYSFS  its sysfs dir holding sim_gpioN/value, e.g.
 *                          /sys/devices/platform/gpio-sim.0/gpiochip0
 * are set; UNBRICK_GPIOSIM_NAME (default "unbrick-cen") names the line at
 * UNBRICK_GPIOSIM_NAME_OFFSET (default 3). The chip needs at least 4 lines,
 * all of them free.
 *
 * UB_EXPECT_GPIOD_API ("v1", "v2" or "none") is the API the build chose.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpio.h"
#include "gpio_gpiod.h"

#ifndef UB_EXPECT_GPIOD_API
#error "build with -DUB_EXPECT_GPIOD_API=\"v1\" (or \"v2\", \"none\")"
#endif

#define CONSUMER "check_gpiod"

#define assert_msg_has(err, needle)                                          \
	ck_assert_msg(strstr((err).msg, (needle)) != NULL,                    \
		      "error message \"%s\" should mention \"%s\"", (err).msg, \
		      (needle))

/* Open `spec` expecting failure with `status`; the message is left in *err. */
static void open_fails(const char *spec, int status, struct ub_err *err)
{
	static struct ub_gpio_line untouched;
	struct ub_gpio_line *line = &untouched;

	ub_err_clear(err);
	ck_assert_int_eq(ub_gpio_open(spec, CONSUMER, 0, &line, err), -1);
	ck_assert_ptr_null(line);
	ck_assert_msg(err->status == status, "%s: status %d, expected %d (%s)",
		      spec, err->status, status, err->msg);
}

START_TEST(api_matches_build)
{
	ck_assert_str_eq(ub_gpiod_api(), UB_EXPECT_GPIOD_API);
}
END_TEST

/* ---- errors: no GPIO hardware needed ---- */

START_TEST(missing_chip_in_dev)
{
	struct ub_err err;

	open_fails("gpiochip-nonexistent:3", UB_ENODEV, &err);
	assert_msg_has(err, "/dev/gpiochip-nonexistent");
	assert_msg_has(err, strerror(ENOENT));
}
END_TEST

#ifdef UB_HAVE_GPIOD
START_TEST(missing_chip_by_offset)
{
	struct ub_gpio_line *line = NULL;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_gpiod_open_offset("/dev/gpiochip-nonexistent", 0,
					      CONSUMER, 1, &line, &err), -1);
	ck_assert_ptr_null(line);
	ck_assert_int_eq(err.status, UB_ENODEV);
	assert_msg_has(err, "/dev/gpiochip-nonexistent");
	assert_msg_has(err, "GPIO character device");
}
END_TEST
#endif

START_TEST(missing_chip_in_temp_dir)
{
	char dir[] = "/tmp/check_gpiod.XXXXXX", spec[128], path[64];
	struct ub_err err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gpiochip0", dir);
	snprintf(spec, sizeof(spec), "%s:0", path);
	open_fails(spec, UB_ENODEV, &err);
	rmdir(dir);
	assert_msg_has(err, path);
	assert_msg_has(err, strerror(ENOENT));
}
END_TEST

START_TEST(dev_null_is_not_a_chip)
{
	struct ub_err err;

	open_fails("/dev/null:0", UB_EUSAGE, &err);
	assert_msg_has(err, "/dev/null");
	assert_msg_has(err, "not a GPIO chip");
}
END_TEST

START_TEST(regular_file_is_not_a_chip)
{
	char path[] = "/tmp/check_gpiod.XXXXXX", spec[128];
	struct ub_err err;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(spec, sizeof(spec), "%s:1", path);
	open_fails(spec, UB_EUSAGE, &err);
	unlink(path);
	assert_msg_has(err, path);
	assert_msg_has(err, "not a GPIO chip");
}
END_TEST

START_TEST(directory_is_not_a_chip)
{
	struct ub_err err;

	open_fails("/tmp:0", UB_EUSAGE, &err);
	assert_msg_has(err, "/tmp");
	assert_msg_has(err, "not a GPIO chip");
}
END_TEST

START_TEST(unknown_line_name)
{
	struct ub_err err;

	open_fails("UNBRICK_NO_SUCH_LINE", UB_ENODEV, &err);
	assert_msg_has(err, "\"UNBRICK_NO_SUCH_LINE\"");
}
END_TEST

static const char *const bad_specs[] = {
	"", "gpiochip0:", "gpiochip0:abc", ":3", "gpiochip0:65536",
	"gpiochip0:-1", "gpiochip0:3x",
};

START_TEST(bad_spec)
{
	const char *spec = bad_specs[_i];
	struct ub_err err;

	open_fails(spec, UB_EUSAGE, &err);
	if (*spec)
		assert_msg_has(err, spec);
}
END_TEST

/* "gpiod:" names the backend: it gets the rest, a chip path with ':' in it. */
START_TEST(backend_prefix)
{
	struct ub_err err;

	open_fails("gpiod:/dev/null:0", UB_EUSAGE, &err);
	ck_assert_str_eq(err.msg, "/dev/null is not a GPIO chip (expected a GPIO character device such as /dev/gpiochip0)");
	open_fails("gpiod:gpiochip-nonexistent:3", UB_ENODEV, &err);
	assert_msg_has(err, "/dev/gpiochip-nonexistent");
	open_fails("gpiod:UNBRICK_NO_SUCH_LINE", UB_ENODEV, &err);
	assert_msg_has(err, "\"UNBRICK_NO_SUCH_LINE\"");
}
END_TEST

START_TEST(null_spec)
{
	struct ub_err err;

	open_fails(NULL, UB_EUSAGE, &err);
}
END_TEST

/* ---- built without libgpiod ---- */

START_TEST(none_refuses_offset)
{
	struct ub_err err;

	open_fails("gpiochip0:22", UB_EUSAGE, &err);
	ck_assert_str_eq(err.msg, "cannot open GPIO line 'gpiochip0:22': built without libgpiod; rebuild with libgpiod-dev installed");
	open_fails("gpiod:gpiochip0:22", UB_EUSAGE, &err);
	assert_msg_has(err, "built without libgpiod");
}
END_TEST

START_TEST(none_refuses_name)
{
	struct ub_err err;

	open_fails("GPIO22", UB_EUSAGE, &err);
	assert_msg_has(err, "without libgpiod");
	assert_msg_has(err, "GPIO22");
}
END_TEST

/* ---- gpio-sim: a real kernel GPIO chip ---- */

static const char *sim_chip(void)
{
	return getenv("UNBRICK_GPIOSIM_CHIP");
}

static const char *sim_name(void)
{
	const char *name = getenv("UNBRICK_GPIOSIM_NAME");

	return name && *name ? name : "unbrick-cen";
}

static unsigned int sim_name_offset(void)
{
	const char *offset = getenv("UNBRICK_GPIOSIM_NAME_OFFSET");

	return offset && *offset ? (unsigned int)strtoul(offset, NULL, 0) : 3;
}

/* "gpiochip3" from "/dev/gpiochip3" (the kernel names the device node so). */
static const char *sim_chip_name(void)
{
	const char *slash = strrchr(sim_chip(), '/');

	return slash ? slash + 1 : sim_chip();
}

/* The value the kernel drives on the simulated line. */
static int sim_value(unsigned int offset)
{
	char path[512];
	FILE *f;
	int value = -1;

	snprintf(path, sizeof(path), "%s/sim_gpio%u/value",
		 getenv("UNBRICK_GPIOSIM_SYSFS"), offset);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fscanf(f, "%d", &value), 1);
	fclose(f);
	return value;
}

static unsigned int sim_num_lines(void)
{
	DIR *dir = opendir(getenv("UNBRICK_GPIOSIM_SYSFS"));
	const struct dirent *entry;
	unsigned int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((entry = readdir(dir)))
		n += strncmp(entry->d_name, "sim_gpio", 8) == 0;
	closedir(dir);
	return n;
}

static struct ub_gpio_line *sim_open(const char *spec, int initial)
{
	struct ub_gpio_line *line = NULL;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_msg(ub_gpio_open(spec, CONSUMER, initial, &line, &err) == 0,
		      "open %s: %s", spec, err.msg);
	ck_assert_ptr_nonnull(line);
	return line;
}

static void sim_set(struct ub_gpio_line *line, int value)
{
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_msg(ub_gpio_set(line, value, &err) == 0, "set %s to %d: %s",
		      line->name, value, err.msg);
}

static void drive_010(struct ub_gpio_line *line, unsigned int offset)
{
	ck_assert_int_eq(sim_value(offset), 0);
	sim_set(line, 1);
	ck_assert_int_eq(sim_value(offset), 1);
	sim_set(line, 0);
	ck_assert_int_eq(sim_value(offset), 0);
}

START_TEST(sim_offset_drives_line)
{
	struct ub_gpio_line *line;
	char spec[300], label[96];

	snprintf(spec, sizeof(spec), "%s:1", sim_chip());
	snprintf(label, sizeof(label), "%s:1", sim_chip_name());
	line = sim_open(spec, 0);
	ck_assert_str_eq(line->name, label);
	drive_010(line, 1);
	ub_gpio_close(line);
}
END_TEST

START_TEST(sim_short_chip_name)
{
	struct ub_gpio_line *line;
	char spec[300];

	snprintf(spec, sizeof(spec), "%s:2", sim_chip_name());
	line = sim_open(spec, 0);
	drive_010(line, 2);
	ub_gpio_close(line);
}
END_TEST

START_TEST(sim_initial_value_high)
{
	struct ub_gpio_line *line;
	char spec[300];

	snprintf(spec, sizeof(spec), "%s:0", sim_chip());
	line = sim_open(spec, 1);
	ck_assert_int_eq(sim_value(0), 1);
	sim_set(line, 0);
	ck_assert_int_eq(sim_value(0), 0);
	ub_gpio_close(line);
}
END_TEST

START_TEST(sim_name_drives_line)
{
	unsigned int offset = sim_name_offset();
	struct ub_gpio_line *line = sim_open(sim_name(), 0);
	char label[200];

	snprintf(label, sizeof(label), "%s (%s:%u)", sim_name(), sim_chip_name(),
		 offset);
	ck_assert_str_eq(line->name, label);
	drive_010(line, offset);
	ub_gpio_close(line);
}
END_TEST

START_TEST(sim_busy_names_holder)
{
	struct ub_gpio_line *holder = NULL, *second = NULL;
	struct ub_err err;
	char spec[300];

	snprintf(spec, sizeof(spec), "%s:1", sim_chip());
	ub_err_clear(&err);
	ck_assert_int_eq(ub_gpio_open(spec, "unbrick-holder", 1, &holder, &err), 0);
	ck_assert_int_eq(ub_gpio_open(spec, CONSUMER, 0, &second, &err), -1);
	ck_assert_ptr_null(second);
	ck_assert_int_eq(err.status, UB_EFAIL);
	assert_msg_has(err, "busy");
	assert_msg_has(err, "\"unbrick-holder\"");
	assert_msg_has(err, holder->name);
	ck_assert_int_eq(sim_value(1), 1);  /* the holder's value stays */
	ub_gpio_close(holder);
}
END_TEST

START_TEST(sim_busy_by_name)
{
	struct ub_gpio_line *holder = sim_open(sim_name(), 1), *second = NULL;
	struct ub_err err;

	ub_err_clear(&err);
	ck_assert_int_eq(ub_gpio_open(sim_name(), CONSUMER, 0, &second, &err), -1);
	ck_assert_int_eq(err.status, UB_EFAIL);
	assert_msg_has(err, sim_name());
	assert_msg_has(err, "\"" CONSUMER "\"");
	ub_gpio_close(holder);
}
END_TEST

START_TEST(sim_close_releases_line)
{
	struct ub_gpio_line *line;
	char spec[300];

	snprintf(spec, sizeof(spec), "%s:2", sim_chip());
	line = sim_open(spec, 1);
	ck_assert_int_eq(sim_value(2), 1);
	ub_gpio_close(line);
	/* Released, gpio-sim lets the line fall back to its pull (down). */
	ck_assert_int_eq(sim_value(2), 0);
	line = sim_open(spec, 1);
	ck_assert_int_eq(sim_value(2), 1);
	ub_gpio_close(line);
}
END_TEST

START_TEST(sim_offset_out_of_range)
{
	unsigned int n = sim_num_lines();
	char spec[300], label[96];
	struct ub_err err;

	snprintf(spec, sizeof(spec), "%s:%u", sim_chip(), n);
	snprintf(label, sizeof(label), "%s:%u", sim_chip_name(), n);
	open_fails(spec, UB_EUSAGE, &err);
	assert_msg_has(err, label);
	assert_msg_has(err, "out of range");
}
END_TEST

START_TEST(sim_unknown_name_with_chips_present)
{
	struct ub_err err;

	open_fails("unbrick-no-such-line", UB_ENODEV, &err);
	assert_msg_has(err, "\"unbrick-no-such-line\"");
}
END_TEST

static TCase *errors_case(void)
{
	TCase *tc = tcase_create("errors");

	tcase_add_test(tc, missing_chip_in_dev);
#ifdef UB_HAVE_GPIOD
	tcase_add_test(tc, missing_chip_by_offset);
#endif
	tcase_add_test(tc, missing_chip_in_temp_dir);
	tcase_add_test(tc, dev_null_is_not_a_chip);
	tcase_add_test(tc, regular_file_is_not_a_chip);
	tcase_add_test(tc, directory_is_not_a_chip);
	tcase_add_test(tc, unknown_line_name);
	tcase_add_loop_test(tc, bad_spec, 0, sizeof(bad_specs) / sizeof(bad_specs[0]));
	tcase_add_test(tc, backend_prefix);
	tcase_add_test(tc, null_spec);
	return tc;
}

static TCase *none_case(void)
{
	TCase *tc = tcase_create("none");

	tcase_add_test(tc, none_refuses_offset);
	tcase_add_test(tc, none_refuses_name);
	tcase_add_loop_test(tc, bad_spec, 0, sizeof(bad_specs) / sizeof(bad_specs[0]));
	return tc;
}

static TCase *sim_case(void)
{
	TCase *tc = tcase_create("gpio-sim");

	tcase_add_test(tc, sim_offset_drives_line);
	tcase_add_test(tc, sim_short_chip_name);
	tcase_add_test(tc, sim_initial_value_high);
	tcase_add_test(tc, sim_name_drives_line);
	tcase_add_test(tc, sim_busy_names_holder);
	tcase_add_test(tc, sim_busy_by_name);
	tcase_add_test(tc, sim_close_releases_line);
	tcase_add_test(tc, sim_offset_out_of_range);
	tcase_add_test(tc, sim_unknown_name_with_chips_present);
	return tc;
}

static int sim_configured(void)
{
	const char *sysfs = getenv("UNBRICK_GPIOSIM_SYSFS");

	return sim_chip() && *sim_chip() && sysfs && *sysfs;
}

static Suite *gpiod_suite(void)
{
	Suite *s = suite_create("gpiod-" UB_EXPECT_GPIOD_API);
	TCase *api = tcase_create("api");

	tcase_add_test(api, api_matches_build);
	suite_add_tcase(s, api);
	if (strcmp(ub_gpiod_api(), "none") == 0) {
		suite_add_tcase(s, none_case());
		return s;
	}
	suite_add_tcase(s, errors_case());
	if (sim_configured())
		suite_add_tcase(s, sim_case());
	else
		printf("check_gpiod: skipping the gpio-sim tests: set UNBRICK_GPIOSIM_CHIP and UNBRICK_GPIOSIM_SYSFS (scripts/vm-test does)\n");
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gpiod_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
