/* SPDX-License-Identifier: MIT */
/*
 * The UART emulator models, by spec name: the one place a model is listed.
 * Add a model with its declaration and one line in the table.
 */
#include "sim_uart_run.h"

extern const struct uart_sim_model uart_sim_model_gx;   /* sim/sim_gx.c */
extern const struct uart_sim_model uart_sim_model_w800, uart_sim_model_w600;   /* sim/sim_w800.c */
extern const struct uart_sim_model uart_sim_model_ecr6600;   /* sim/sim_ecr6600.c */

const struct uart_sim_model *const uart_sim_models[] = {
	&uart_sim_model_gx,
	&uart_sim_model_w800, &uart_sim_model_w600,
	&uart_sim_model_ecr6600,
	NULL,
};
