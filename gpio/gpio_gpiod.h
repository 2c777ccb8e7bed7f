/* SPDX-License-Identifier: MIT */
/*
 * The GPIO character device through libgpiod (builds with UB_HAVE_GPIOD):
 * gpio_gpiod.c reads the spec, gpio_gpiod_v1.c or gpio_gpiod_v2.c (the
 * Makefile picks one) opens the line with that libgpiod API.
 */
#ifndef UNBRICK_GPIO_GPIOD_H
#define UNBRICK_GPIO_GPIOD_H

#include "gpio.h"

#define UB_GPIOD_USAGE "gpiochipN:OFFSET or a line name such as GPIO22"

/* The table entry's open: gpiochipN:OFFSET, /dev/gpiochipN:OFFSET or a name. */
int ub_gpiod_open(const char *spec, const char *consumer, int initial,
		  struct ub_gpio_line **out, struct ub_err *err);

/*
 * Once per libgpiod API. chip is a path such as /dev/gpiochip0; a line name
 * is searched on every chip.
 */
int ub_gpiod_open_offset(const char *chip, unsigned int offset,
			 const char *consumer, int initial,
			 struct ub_gpio_line **out, struct ub_err *err);
int ub_gpiod_open_name(const char *name, const char *consumer, int initial,
		       struct ub_gpio_line **out, struct ub_err *err);

/* The error for a chip that would not open. */
int ub_gpio_chip_open_failed(const char *path, int errnum, struct ub_err *err);

#endif
