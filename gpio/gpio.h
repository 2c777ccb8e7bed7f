/* SPDX-License-Identifier: MIT */
/*
 * One output line (a reset or boot pin), whatever drives it: the GPIO
 * character device through libgpiod, a pin of a USB adapter, or an emulator.
 */
#ifndef UNBRICK_GPIO_H
#define UNBRICK_GPIO_H

#include "err.h"

struct ub_gpio_ops {
	int (*set)(void *priv, int value, struct ub_err *err);
	void (*close)(void *priv);
};

struct ub_gpio_line {
	const struct ub_gpio_ops *ops;
	void *priv;
	char name[96];  /* for messages: "gpiochip0:22", "GPIO22", "sim" */
};

/*
 * Open a line of the GPIO character device and drive it to `initial`:
 *   gpiochipN:OFFSET, /dev/gpiochipN:OFFSET, or a line name (e.g. GPIO22).
 * consumer is the label the kernel shows (the program name).
 */
int ub_gpio_open(const char *spec, const char *consumer, int initial,
		 struct ub_gpio_line **out, struct ub_err *err);

/* Wrap a backend's own line (emulator, USB adapter pin). */
struct ub_gpio_line *ub_gpio_line_new(const struct ub_gpio_ops *ops, void *priv,
				      const char *name);

int ub_gpio_set(struct ub_gpio_line *line, int value, struct ub_err *err);
void ub_gpio_close(struct ub_gpio_line *line);

/* The libgpiod API this build uses: "v1", "v2" or "none". */
const char *ub_gpiod_api(void);

/*
 * Implemented once per libgpiod API (gpio/gpio_gpiod_v1.c, gpio/gpio_gpiod_v2.c,
 * gpio/gpio_gpiod_none.c; the Makefile picks one). chip is a path such as
 * /dev/gpiochip0; a NULL chip with a line name searches every chip.
 */
int ub_gpiod_open_offset(const char *chip, unsigned int offset,
			 const char *consumer, int initial,
			 struct ub_gpio_line **out, struct ub_err *err);
int ub_gpiod_open_name(const char *name, const char *consumer, int initial,
		       struct ub_gpio_line **out, struct ub_err *err);

/* For the gpiod backends: the error for a chip that would not open. */
int ub_gpio_chip_open_failed(const char *path, int errnum, struct ub_err *err);

#endif
