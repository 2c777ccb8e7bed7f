/* SPDX-License-Identifier: MIT */
/*
 * The entry sequence of every UART program (--reset SEQ): comma-separated
 * steps run in order,
 *   dtr=0|1  rts=0|1   a modem line of the port (1 = asserted)
 *   SPEC=0|1           a GPIO line, as beken-spi's --cen (gpiochip0:22, GPIO22)
 *   NNNms              a pause
 * e.g. "rts=1,dtr=0,100ms,rts=0,200ms". GPIO lines stay driven until
 * ub_reset_free, so a reset line released by the sequence stays released.
 */
#ifndef UNBRICK_RESET_H
#define UNBRICK_RESET_H

#include "err.h"
#include "port.h"

struct ub_reset;

/* Check the syntax (nothing is opened); NULL or "" gives an empty sequence. */
int ub_reset_parse(const char *seq, struct ub_reset **out, struct ub_err *err);

/* Run it on port; consumer labels the GPIO lines (the program name). */
int ub_reset_run(struct ub_reset *reset, struct ub_port *port, const char *consumer,
		 struct ub_err *err);

/* Whether the sequence has any step. */
int ub_reset_empty(const struct ub_reset *reset);

void ub_reset_free(struct ub_reset *reset);

#endif
