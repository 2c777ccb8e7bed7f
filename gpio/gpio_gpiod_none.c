/* SPDX-License-Identifier: MIT */
/* Built without libgpiod: GPIO character-device lines cannot be opened. */
#include "gpio.h"

#include <stddef.h>

const char *ub_gpiod_api(void)
{
	return "none";
}

int ub_gpiod_open_offset(const char *chip, unsigned int offset,
			 const char *consumer, int initial,
			 struct ub_gpio_line **out, struct ub_err *err)
{
	(void)consumer;
	(void)initial;
	*out = NULL;
	return ub_fail(err, UB_EUSAGE,
		       "cannot open GPIO line %s:%u: this program was built without libgpiod (rebuild with libgpiod installed)",
		       chip, offset);
}

int ub_gpiod_open_name(const char *name, const char *consumer, int initial,
		       struct ub_gpio_line **out, struct ub_err *err)
{
	(void)consumer;
	(void)initial;
	*out = NULL;
	return ub_fail(err, UB_EUSAGE,
		       "cannot open GPIO line %s: this program was built without libgpiod (rebuild with libgpiod installed)",
		       name);
}
