/* SPDX-License-Identifier: MIT */
/*
 * One output line (a reset or boot pin), whatever drives it: the GPIO
 * character device through libgpiod, a pin of a USB adapter, or an emulator.
 */
#ifndef UNBRICK_GPIO_H
#define UNBRICK_GPIO_H

#include "backend.h"
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
 * A backend: open(ARG) gets what follows "NAME:" in the spec; it returns a
 * line from ub_gpio_line_new() driven to `initial`. consumer is the label
 * the kernel shows (the program name). A backend that needs an optional
 * library is listed only #ifdef UB_HAVE_<LIBRARY>.
 */
struct ub_gpio_backend {
	struct ub_backend backend;  /* "gpiod" (later "ch341a"), "gpiochipN:OFFSET or a line name ..." */
	int (*open)(const char *arg, const char *consumer, int initial,
		    struct ub_gpio_line **out, struct ub_err *err);
};
extern const struct ub_gpio_backend ub_gpio_backends[];  /* ends with a NULL name */
extern const struct ub_backend_table ub_gpio_table;      /* the same, for common/backend.h */

/*
 * Open a line and drive it to `initial`. When the text before the first ':'
 * names a backend, that backend gets the rest ("gpiod:GPIO22"); any other
 * spec is the GPIO character device's: gpiochipN:OFFSET,
 * /dev/gpiochipN:OFFSET, or a line name (e.g. GPIO22).
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

#endif
