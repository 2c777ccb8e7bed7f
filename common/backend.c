/* SPDX-License-Identifier: MIT */
#include "backend.h"

#include <string.h>

static const struct ub_backend *entry(const struct ub_backend_table *t, size_t i)
{
	return (const struct ub_backend *)((const char *)t->first + i * t->stride);
}

const struct ub_backend *ub_backend_find(const struct ub_backend_table *t, const char *name,
					 size_t len)
{
	for (size_t i = 0; entry(t, i)->name; i++) {
		const struct ub_backend *b = entry(t, i);

		if (strlen(b->name) == len && !strncmp(b->name, name, len))
			return b;
	}
	return NULL;
}

char *ub_backend_usages(const struct ub_backend_table *t, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; entry(t, i)->name && used < len; i++) {
		const char *sep = i == 0 ? "" : entry(t, i + 1)->name ? ", " : " or ";
		int n = snprintf(buf + used, len - used, "%s%s", sep, entry(t, i)->usage);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

void ub_backend_print(FILE *f, const char *title, const struct ub_backend_table *t)
{
	fprintf(f, "\n%s\n", title);
	if (!entry(t, 0)->name)
		fprintf(f, "  (none in this build)\n");
	for (size_t i = 0; entry(t, i)->name; i++)
		fprintf(f, "  %s\n", entry(t, i)->usage);
}
