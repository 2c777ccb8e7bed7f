/* SPDX-License-Identifier: MIT */
/* GPIO lines through libgpiod 1.x (Debian 12, Buildroot BR2_PACKAGE_LIBGPIOD). */
#include "gpio_gpiod.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct v1_line {
	struct gpiod_chip *chip;
	struct gpiod_line *line;
	char label[96];
};

const char *ub_gpiod_api(void)
{
	return "v1";
}

static int v1_set(void *priv, int value, struct ub_err *err)
{
	struct v1_line *l = priv;

	if (gpiod_line_set_value(l->line, value) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno,
				     "cannot set GPIO line %s to %d", l->label, value);
	return 0;
}

static void v1_close(void *priv)
{
	struct v1_line *l = priv;

	gpiod_line_release(l->line);
	gpiod_chip_close(l->chip);
	free(l);
}

static const struct ub_gpio_ops v1_ops = {
	.set = v1_set,
	.close = v1_close,
};

static int line_busy(struct gpiod_line *line, const char *label, struct ub_err *err)
{
	const char *holder = NULL;

	if (gpiod_line_update(line) == 0)
		holder = gpiod_line_consumer(line);
	if (holder && *holder)
		return ub_fail(err, UB_EFAIL,
			       "GPIO line %s is busy: already requested by \"%s\"",
			       label, holder);
	return ub_fail(err, UB_EFAIL,
		       "GPIO line %s is busy: already requested by another user", label);
}

/* Request `line` of `chip` as an output; takes ownership of chip. */
static int request_output(struct gpiod_chip *chip, struct gpiod_line *line,
			  const char *label, const char *consumer, int initial,
			  struct ub_gpio_line **out, struct ub_err *err)
{
	struct v1_line *l;

	if (gpiod_line_request_output(line, consumer, initial ? 1 : 0) < 0) {
		int errnum = errno;

		if (errnum == EBUSY)
			line_busy(line, label, err);
		else
			ub_fail_errno(err, UB_EFAIL, errnum,
				      "cannot request GPIO line %s as output", label);
		gpiod_chip_close(chip);
		return -1;
	}
	l = calloc(1, sizeof(*l));
	*out = l ? ub_gpio_line_new(&v1_ops, l, label) : NULL;
	if (!*out) {
		free(l);
		gpiod_chip_close(chip);
		return ub_fail(err, UB_EFAIL, "out of memory opening GPIO line %s", label);
	}
	l->chip = chip;
	l->line = line;
	snprintf(l->label, sizeof(l->label), "%s", label);
	return 0;
}

int ub_gpiod_open_offset(const char *chip_path, unsigned int offset,
			 const char *consumer, int initial,
			 struct ub_gpio_line **out, struct ub_err *err)
{
	struct gpiod_chip *chip;
	struct gpiod_line *line;
	unsigned int num_lines;
	char label[96];

	*out = NULL;
	chip = gpiod_chip_open(chip_path);
	if (!chip)
		return ub_gpio_chip_open_failed(chip_path, errno, err);
	snprintf(label, sizeof(label), "%s:%u", gpiod_chip_name(chip), offset);
	num_lines = gpiod_chip_num_lines(chip);
	if (offset >= num_lines) {
		ub_fail(err, UB_EUSAGE,
			"GPIO line %s out of range: %s (%s) has %u lines (0-%u)",
			label, gpiod_chip_name(chip), chip_path, num_lines,
			num_lines ? num_lines - 1 : 0);
		gpiod_chip_close(chip);
		return -1;
	}
	line = gpiod_chip_get_line(chip, offset);
	if (!line) {
		ub_fail_errno(err, UB_EFAIL, errno, "cannot get GPIO line %s", label);
		gpiod_chip_close(chip);
		return -1;
	}
	return request_output(chip, line, label, consumer, initial, out, err);
}

int ub_gpiod_open_name(const char *name, const char *consumer, int initial,
		       struct ub_gpio_line **out, struct ub_err *err)
{
	struct gpiod_line *line;
	struct gpiod_chip *chip;
	char label[96];

	*out = NULL;
	errno = 0;
	line = gpiod_line_find(name);
	if (!line) {
		if (errno == ENOENT || errno == 0)
			return ub_fail(err, UB_ENODEV,
				       "no GPIO line named \"%s\" on any GPIO chip (gpioinfo lists the names)",
				       name);
		if (errno == EACCES || errno == EPERM)
			return ub_fail_errno(err, UB_ENODEV, errno,
					     "cannot search the GPIO chips for line \"%s\" (add the user to the gpio group)",
					     name);
		return ub_fail_errno(err, UB_ENODEV, errno,
				     "cannot search the GPIO chips for line \"%s\"", name);
	}
	chip = gpiod_line_get_chip(line);
	snprintf(label, sizeof(label), "%s (%s:%u)", name, gpiod_chip_name(chip),
		 gpiod_line_offset(line));
	return request_output(chip, line, label, consumer, initial, out, err);
}
