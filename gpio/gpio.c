/* SPDX-License-Identifier: MIT */
#include "gpio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef UB_HAVE_GPIOD
#include "gpio_gpiod.h"
#endif

/* The character device's entry must be named CHARDEV: specs without a backend go to it. */
#define CHARDEV "gpiod"

const struct ub_gpio_backend ub_gpio_backends[] = {
#ifdef UB_HAVE_GPIOD
	{ { CHARDEV, UB_GPIOD_USAGE }, ub_gpiod_open },
#endif
	{ { NULL, NULL }, NULL },
};

const struct ub_backend_table ub_gpio_table = UB_BACKEND_TABLE(ub_gpio_backends);

#ifndef UB_HAVE_GPIOD
const char *ub_gpiod_api(void)
{
	return "none";
}
#endif

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

static const struct ub_gpio_backend *find_backend(const char *name, size_t len)
{
	return (const struct ub_gpio_backend *)ub_backend_find(&ub_gpio_table, name, len);
}

/* "; other lines: A or B", from the table, for the message without libgpiod. */
static const char *other_backends(char *buf, size_t len)
{
	char usages[200];

	if (!ub_gpio_backends[0].backend.name)
		return "";
	snprintf(buf, len, "; other lines: %s", ub_backend_usages(&ub_gpio_table, usages, sizeof(usages)));
	return buf;
}

int ub_gpio_open(const char *spec, const char *consumer, int initial,
		 struct ub_gpio_line **out, struct ub_err *err)
{
	const struct ub_gpio_backend *b;
	const char *colon;

	*out = NULL;
	if (!spec || !*spec)
		return ub_fail(err, UB_EUSAGE, "empty GPIO line spec");
	colon = strchr(spec, ':');
	b = colon ? find_backend(spec, (size_t)(colon - spec)) : NULL;
	if (b)
		return b->open(colon + 1, consumer, initial, out, err);
	b = find_backend(CHARDEV, strlen(CHARDEV));
	if (!b) {
		char others[256];

		return ub_fail(err, UB_EUSAGE,
			       "cannot open GPIO line '%s': built without libgpiod; rebuild with libgpiod-dev installed%s",
			       spec, other_backends(others, sizeof(others)));
	}
	return b->open(spec, consumer, initial, out, err);
}
