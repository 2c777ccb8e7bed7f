/* SPDX-License-Identifier: MIT */
/*
 * Inside the UART emulator runner (sim/sim_uart*.c); nothing else includes
 * this. A model instance, with the defaults of its optional callbacks
 * (sim_uart.h), and the two ways to run one: on a pty in real time
 * (sim_uart_pty.c) and in-process in model time (sim_uart_step.c).
 */
#ifndef UNBRICK_SIM_UART_RUN_H
#define UNBRICK_SIM_UART_RUN_H

#include "sim_uart.h"

/* The model table (sim/sim_uart_models.c), ending with NULL. */
extern const struct uart_sim_model *const uart_sim_models[];

struct uart_sim_dev {
	const struct uart_sim_model *model;
	void *dev;
};

void sim_dev_line(const struct uart_sim_dev *d, uint64_t now, const struct uart_sim_line *l);
void sim_dev_modem(const struct uart_sim_dev *d, uint64_t now, char which, int value);
size_t sim_dev_room(const struct uart_sim_dev *d, uint64_t now);
void sim_dev_input(const struct uart_sim_dev *d, uint64_t now, const uint8_t *buf, size_t n,
		   const struct uart_sim_line *alt);
/* host_baud: the answer when the model has no rate(). */
unsigned sim_dev_rate(const struct uart_sim_dev *d, uint64_t now, unsigned host_baud);
size_t sim_dev_output(const struct uart_sim_dev *d, uint64_t now, uint8_t *buf, size_t cap);
uint64_t sim_dev_next_event(const struct uart_sim_dev *d, uint64_t now);
int sim_dev_finish(const struct uart_sim_dev *d, char *err, size_t errlen);

/* Time of one 10-bit byte at baud, in ns. */
uint64_t sim_slot_ns(unsigned baud);

/* On a pty pair, in real time; the runner owns dev from here on. */
struct sim_pty;
struct sim_pty *sim_pty_start(struct uart_sim_dev dev, int pace, char *err, size_t errlen);
const char *sim_pty_slave_path(const struct sim_pty *p);
void sim_pty_set_modem(struct sim_pty *p, char which, int value);
void sim_pty_set_parity(struct sim_pty *p, char parity);
/* Stops the thread and frees; the caller finishes the model. */
void sim_pty_stop(struct sim_pty *p);

/* In-process, in model time. */
struct sim_step;
/* latency_ns: how much later than their line time device bytes reach the host */
struct sim_step *sim_step_new(struct uart_sim_dev dev, int pace, uint64_t latency_ns);
void sim_step_set_line(struct sim_step *s, const struct uart_sim_line *line);
void sim_step_set_modem(struct sim_step *s, char which, int value);
void sim_step_set_parity(struct sim_step *s, char parity);
int sim_step_write(struct sim_step *s, const uint8_t *buf, size_t len);
ssize_t sim_step_read(struct sim_step *s, uint8_t *buf, size_t cap, uint64_t timeout_ns);
void sim_step_drain(struct sim_step *s);
void sim_step_flush_input(struct sim_step *s);
uint64_t sim_step_now(const struct sim_step *s);
void sim_step_sleep(struct sim_step *s, uint64_t ns);
void sim_step_free(struct sim_step *s);

#endif
