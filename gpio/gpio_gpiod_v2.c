/* SPDX-License-Identifier: MIT */
/* GPIO lines through libgpiod 2.x (Debian 13, Buildroot BR2_PACKAGE_LIBGPIOD2). */
#include "gpio_gpiod.h"

#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct v2_line {
	struct gpiod_line_request *request;
	unsigned int offset;
	char label[96];
};

const char *ub_gpiod_api(void)
{
	return "v2";
}

static enum gpiod_line_value line_value(int value)
{
	return value ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
}

static int v2_set(void *priv, int value, struct ub_err *err)
{
	struct v2_line *l = priv;

	if (gpiod_line_request_set_value(l->request, l->offset, line_value(value)) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno,
				     "cannot set GPIO line %s to %d", l->label, value);
	return 0;
}

static void v2_close(void *priv)
{
	struct v2_line *l = priv;

	gpiod_line_request_release(l->request);
	free(l);
}

static const struct ub_gpio_ops v2_ops = {
	.set = v2_set,
	.close = v2_close,
};

static int line_busy(struct gpiod_chip *chip, unsigned int offset,
		     const char *label, struct ub_err *err)
{
	struct gpiod_line_info *info = gpiod_chip_get_line_info(chip, offset);
	const char *holder = info ? gpiod_line_info_get_consumer(info) : NULL;

	if (holder && *holder)
		ub_fail(err, UB_EFAIL,
			"GPIO line %s is busy: already requested by \"%s\"", label, holder);
	else
		ub_fail(err, UB_EFAIL,
			"GPIO line %s is busy: already requested by another user", label);
	gpiod_line_info_free(info);
	return -1;
}

/* One output line, driven to `initial` as soon as it is requested. */
static struct gpiod_line_request *request_output_line(struct gpiod_chip *chip,
						      unsigned int offset,
						      const char *consumer,
						      int initial)
{
	struct gpiod_line_settings *settings = gpiod_line_settings_new();
	struct gpiod_line_config *line_cfg = gpiod_line_config_new();
	struct gpiod_request_config *req_cfg = gpiod_request_config_new();
	struct gpiod_line_request *request = NULL;
	int saved_errno;

	errno = ENOMEM;
	if (settings && line_cfg && req_cfg &&
	    gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_OUTPUT) == 0 &&
	    gpiod_line_settings_set_output_value(settings, line_value(initial)) == 0 &&
	    gpiod_line_config_add_line_settings(line_cfg, &offset, 1, settings) == 0) {
		gpiod_request_config_set_consumer(req_cfg, consumer);
		request = gpiod_chip_request_lines(chip, req_cfg, line_cfg);
	}
	saved_errno = errno;
	gpiod_request_config_free(req_cfg);
	gpiod_line_config_free(line_cfg);
	gpiod_line_settings_free(settings);
	errno = saved_errno;
	return request;
}

/*
 * Request `offset` of `chip` as an output and wrap it. The request does not
 * need the chip afterwards, so the caller closes the chip either way.
 */
static int open_line(struct gpiod_chip *chip, unsigned int offset,
		     const char *label, const char *consumer, int initial,
		     struct ub_gpio_line **out, struct ub_err *err)
{
	struct gpiod_line_request *request;
	struct v2_line *l;

	request = request_output_line(chip, offset, consumer, initial);
	if (!request) {
		if (errno == EBUSY)
			return line_busy(chip, offset, label, err);
		return ub_fail_errno(err, UB_EFAIL, errno,
				     "cannot request GPIO line %s as output", label);
	}
	l = calloc(1, sizeof(*l));
	*out = l ? ub_gpio_line_new(&v2_ops, l, label) : NULL;
	if (!*out) {
		free(l);
		gpiod_line_request_release(request);
		return ub_fail(err, UB_EFAIL, "out of memory opening GPIO line %s", label);
	}
	l->request = request;
	l->offset = offset;
	snprintf(l->label, sizeof(l->label), "%s", label);
	return 0;
}

/*
 * Label the line for messages ("gpiochip0:22", or "GPIO22 (gpiochip0:22)"
 * when it was found by name), check the offset and request the line.
 */
static int open_on_chip(struct gpiod_chip *chip, const char *path,
			unsigned int offset, const char *line_name,
			const char *consumer, int initial,
			struct ub_gpio_line **out, struct ub_err *err)
{
	struct gpiod_chip_info *info = gpiod_chip_get_info(chip);
	char chip_name[64], label[96];
	size_t num_lines;

	if (!info)
		return ub_fail_errno(err, UB_EFAIL, errno,
				     "cannot read GPIO chip info of %s", path);
	snprintf(chip_name, sizeof(chip_name), "%s", gpiod_chip_info_get_name(info));
	num_lines = gpiod_chip_info_get_num_lines(info);
	gpiod_chip_info_free(info);
	if (line_name)
		snprintf(label, sizeof(label), "%s (%s:%u)", line_name, chip_name, offset);
	else
		snprintf(label, sizeof(label), "%s:%u", chip_name, offset);
	if (offset >= num_lines)
		return ub_fail(err, UB_EUSAGE,
			       "GPIO line %s out of range: %s (%s) has %zu lines (0-%zu)",
			       label, chip_name, path, num_lines,
			       num_lines ? num_lines - 1 : 0);
	return open_line(chip, offset, label, consumer, initial, out, err);
}

int ub_gpiod_open_offset(const char *chip_path, unsigned int offset,
			 const char *consumer, int initial,
			 struct ub_gpio_line **out, struct ub_err *err)
{
	struct gpiod_chip *chip;
	int ret;

	*out = NULL;
	chip = gpiod_chip_open(chip_path);
	if (!chip)
		return ub_gpio_chip_open_failed(chip_path, errno, err);
	ret = open_on_chip(chip, chip_path, offset, NULL, consumer, initial, out, err);
	gpiod_chip_close(chip);
	return ret;
}

static int is_gpiochip_entry(const struct dirent *entry)
{
	return strncmp(entry->d_name, "gpiochip", 8) == 0;
}

/* gpiochip2 before gpiochip10, so the first match is the lowest-numbered chip. */
static int by_chip_number(const struct dirent **a, const struct dirent **b)
{
	unsigned long na = strtoul((*a)->d_name + 8, NULL, 10);
	unsigned long nb = strtoul((*b)->d_name + 8, NULL, 10);

	if (na != nb)
		return na < nb ? -1 : 1;
	return strcmp((*a)->d_name, (*b)->d_name);
}

struct name_search {
	const char *name;
	char denied_path[300];  /* first chip we may not open, for the hint */
	int denied_errno;
};

/* 1, with the open chip and the offset, if `path` is a chip with the line. */
static int chip_has_line(const char *path, struct name_search *search,
			 struct gpiod_chip **chip_out, unsigned int *offset_out)
{
	struct gpiod_chip *chip;
	int offset;

	if (!gpiod_is_gpiochip_device(path))
		return 0;
	chip = gpiod_chip_open(path);
	if (!chip) {
		if (!search->denied_errno && (errno == EACCES || errno == EPERM)) {
			search->denied_errno = errno;
			snprintf(search->denied_path, sizeof(search->denied_path),
				 "%s", path);
		}
		return 0;
	}
	offset = gpiod_chip_get_line_offset_from_name(chip, search->name);
	if (offset < 0) {
		gpiod_chip_close(chip);
		return 0;
	}
	*chip_out = chip;
	*offset_out = (unsigned int)offset;
	return 1;
}

/* libgpiod 2 has no global lookup: try each /dev/gpiochip*. */
static int find_line(struct name_search *search, char *path, size_t pathlen,
		     struct gpiod_chip **chip, unsigned int *offset)
{
	struct dirent **entries;
	int n, i, found = 0;

	n = scandir("/dev", &entries, is_gpiochip_entry, by_chip_number);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!found) {
			snprintf(path, pathlen, "/dev/%s", entries[i]->d_name);
			found = chip_has_line(path, search, chip, offset);
		}
		free(entries[i]);
	}
	free(entries);
	return found;
}

static int line_not_found(const struct name_search *search, struct ub_err *err)
{
	if (search->denied_errno)
		return ub_fail(err, UB_ENODEV,
			       "no GPIO line named \"%s\" on the GPIO chips this user may open; %s: %s (add the user to the gpio group)",
			       search->name, search->denied_path,
			       strerror(search->denied_errno));
	return ub_fail(err, UB_ENODEV,
		       "no GPIO line named \"%s\" on any GPIO chip (gpioinfo lists the names)",
		       search->name);
}

int ub_gpiod_open_name(const char *name, const char *consumer, int initial,
		       struct ub_gpio_line **out, struct ub_err *err)
{
	struct name_search search = { .name = name };
	struct gpiod_chip *chip = NULL;
	unsigned int offset = 0;
	char path[300];
	int found, ret;

	*out = NULL;
	found = find_line(&search, path, sizeof(path), &chip, &offset);
	if (found < 0)
		return ub_fail_errno(err, UB_ENODEV, errno,
				     "cannot list /dev to find GPIO line \"%s\"", name);
	if (!found)
		return line_not_found(&search, err);
	ret = open_on_chip(chip, path, offset, name, consumer, initial, out, err);
	gpiod_chip_close(chip);
	return ret;
}
