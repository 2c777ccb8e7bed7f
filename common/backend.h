/* SPDX-License-Identifier: MIT */
/*
 * What every layer's backend table shares. An entry of the SPI, GPIO, port
 * (and next USB) tables starts with a struct ub_backend, its spec name and
 * one-line usage, so lookups, messages and --help lists are written once.
 */
#ifndef UNBRICK_BACKEND_H
#define UNBRICK_BACKEND_H

#include <stddef.h>
#include <stdio.h>

struct ub_backend {
	const char *name;   /* the spec's prefix: "spidev", "tcp" */
	const char *usage;  /* one line: "tcp:HOST:PORT[,baud=N]" */
};

/* A layer's table: entries of stride bytes, each starting with a struct ub_backend, ended by a NULL name. */
struct ub_backend_table {
	const struct ub_backend *first;
	size_t stride;
};

#define UB_BACKEND_TABLE(array) { &(array)[0].backend, sizeof((array)[0]) }

/* The entry named by the len bytes at name, or NULL. */
const struct ub_backend *ub_backend_find(const struct ub_backend_table *t, const char *name,
					 size_t len);
/* "A, B or C": every usage, for messages. */
char *ub_backend_usages(const struct ub_backend_table *t, char *buf, size_t len);
/* --help: a title line, then one usage a line. */
void ub_backend_print(FILE *f, const char *title, const struct ub_backend_table *t);

#endif
