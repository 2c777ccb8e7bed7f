/* SPDX-License-Identifier: MIT */
#include "gpio.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

struct ub_gpio_line *ub_gpio_line_new(const struct ub_gpio_ops *ops, void *priv,
				      const char *name)
{
	struct ub_gpio_line *line = calloc(1, sizeof(*line));

	if (!line)
		return NULL;
	line->ops = ops;
	line->priv = priv;
	snprintf(line->name, sizeof(line->name), "%s", name);
	return line;
}

int ub_gpio_set(struct ub_gpio_line *line, int value, struct ub_err *err)
{
	return line->ops->set(line->priv, value ? 1 : 0, err);
}

void ub_gpio_close(struct ub_gpio_line *line)
{
	if (!line)
		return;
	if (line->ops->close)
		line->ops->close(line->priv);
	free(line);
}

/* "gpiochip0" -> "/dev/gpiochip0"; "/dev/..." stays. */
static int chip_path(const char *chip, char *path, size_t len)
{
	int n = chip[0] == '/' ? snprintf(path, len, "%s", chip)
			       : snprintf(path, len, "/dev/%s", chip);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int ub_gpio_open(const char *spec, const char *consumer, int initial,
		 struct ub_gpio_line **out, struct ub_err *err)
{
	char chip[256], path[300];
	const char *colon;
	uint64_t offset;

	*out = NULL;
	if (!spec || !*spec)
		return ub_fail(err, UB_EUSAGE, "empty GPIO line spec");
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
