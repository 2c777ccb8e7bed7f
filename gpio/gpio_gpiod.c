/* SPDX-License-Identifier: MIT */
/* The GPIO character device's spec and errors, for either libgpiod API. */
#include "gpio_gpiod.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "parse.h"

/* "gpiochip0" -> "/dev/gpiochip0"; "/dev/..." stays. */
static int chip_path(const char *chip, char *path, size_t len)
{
	int n = chip[0] == '/' ? snprintf(path, len, "%s", chip)
			       : snprintf(path, len, "/dev/%s", chip);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* A chip path may hold ':', so the offset is after the last one. */
int ub_gpiod_open(const char *spec, const char *consumer, int initial,
		  struct ub_gpio_line **out, struct ub_err *err)
{
	char chip[256], path[300];
	const char *colon;
	uint64_t offset;

	*out = NULL;
	colon = strrchr(spec, ':');
	if (!colon)
		return ub_gpiod_open_name(spec, consumer, initial, out, err);
	if ((size_t)(colon - spec) >= sizeof(chip) || colon == spec ||
	    ub_parse_u64(colon + 1, &offset) || offset > 0xffff)
		return ub_fail(err, UB_EUSAGE,
			       "bad GPIO line '%s': expected gpiochipN:OFFSET or a line name",
			       spec);
	memcpy(chip, spec, (size_t)(colon - spec));
	chip[colon - spec] = '\0';
	if (chip_path(chip, path, sizeof(path)))
		return ub_fail(err, UB_EUSAGE, "bad GPIO chip '%s'", chip);
	return ub_gpiod_open_offset(path, (unsigned int)offset, consumer, initial,
				    out, err);
}

int ub_gpio_chip_open_failed(const char *path, int errnum, struct ub_err *err)
{
	struct stat st;

	if (errnum == EACCES || errnum == EPERM)
		return ub_fail(err, UB_ENODEV,
			       "cannot open GPIO chip %s: %s; add the user to the gpio group (or run as root)",
			       path, strerror(errnum));
	/* libgpiod checks the device's sysfs subsystem: ENOTTY/ENODEV mean "not GPIO". */
	if (stat(path, &st) == 0 &&
	    (!S_ISCHR(st.st_mode) || errnum == ENOTTY || errnum == ENODEV))
		return ub_fail(err, UB_EUSAGE,
			       "%s is not a GPIO chip (expected a GPIO character device such as /dev/gpiochip0)",
			       path);
	return ub_fail(err, UB_ENODEV,
		       "cannot open GPIO chip %s: %s; is the GPIO character device there (ls /dev/gpiochip*)?",
		       path, strerror(errnum));
}
