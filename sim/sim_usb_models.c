/* SPDX-License-Identifier: MIT */
/*
 * The USB emulator models, by spec name: the one place a model is listed.
 * Add a model with its declaration and one line in the table.
 */
#include "sim_usb.h"

#include <stddef.h>

extern const struct usb_sim_model usb_sim_model_t20, usb_sim_model_t31,
	usb_sim_model_t41;   /* sim/sim_ingenic.c */
extern const struct usb_sim_model usb_sim_model_ch341a;   /* sim/sim_ch341a.c */

extern const struct usb_sim_model *const usb_sim_models[];
const struct usb_sim_model *const usb_sim_models[] = {
	&usb_sim_model_t20, &usb_sim_model_t31, &usb_sim_model_t41,
	&usb_sim_model_ch341a,
	NULL,
};
