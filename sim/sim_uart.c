/* SPDX-License-Identifier: MIT */
/*
 * The UART emulator runner (sim/sim_uart.h): the spec, the model table's
 * lookup, the defaults of a model's optional callbacks, and the choice
 * between the pty runner (sim_uart_pty.c) and the model-time stepper
 * (sim_uart_step.c).
 */
#include "sim_uart_run.h"
#include "sim_file.h"
#include "parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct uart_sim {
	struct uart_sim_dev d;
	struct sim_pty *pty;     /* one of these two */
	struct sim_step *step;
};

/* ------------------------------------------- a model's optional callbacks */

void sim_dev_line(const struct uart_sim_dev *d, uint64_t now, const struct uart_sim_line *l)
{
	if (d->model->line)
		d->model->line(d->dev, now, l);
}

void sim_dev_modem(const struct uart_sim_dev *d, uint64_t now, char which, int value)
{
	if (d->model->modem)
		d->model->modem(d->dev, now, which, value);
}

size_t sim_dev_room(const struct uart_sim_dev *d, uint64_t now)
{
	return d->model->room ? d->model->room(d->dev, now) : SIZE_MAX;
}

void sim_dev_input(const struct uart_sim_dev *d, uint64_t now, const uint8_t *buf, size_t n,
		   const struct uart_sim_line *alt)
{
	d->model->input(d->dev, now, buf, n, alt);
}

unsigned sim_dev_rate(const struct uart_sim_dev *d, uint64_t now, unsigned host_baud)
{
	return d->model->rate ? d->model->rate(d->dev, now) : host_baud;
}

size_t sim_dev_output(const struct uart_sim_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
	return d->model->output(d->dev, now, buf, cap);
}

uint64_t sim_dev_next_event(const struct uart_sim_dev *d, uint64_t now)
{
	return d->model->next_event ? d->model->next_event(d->dev, now) : UINT64_MAX;
}

int sim_dev_finish(const struct uart_sim_dev *d, char *err, size_t errlen)
{
	if (d->model->finish)
		return d->model->finish(d->dev, err, errlen);
	free(d->dev);
	return 0;
}

uint64_t sim_slot_ns(unsigned baud)
{
	return 10000000000ull / (baud ? baud : 1);
}

/* ------------------------------------------------------------ the spec */

static const char *model_name_at(size_t i)
{
	return uart_sim_models[i] ? uart_sim_models[i]->name : NULL;
}

char *uart_sim_model_names(char *buf, size_t len)
{
	return sim_join_names(model_name_at, buf, len);
}

static const struct uart_sim_model *find_model(const char *name, char *err, size_t errlen)
{
	long i = sim_find_name(model_name_at, name);
	char known[256];

	if (i >= 0)
		return uart_sim_models[i];
	sim_set_err(err, errlen, "unknown emulator '%s' (known: %s)", name,
		    uart_sim_model_names(known, sizeof(known)));
	return NULL;
}

struct runner_opts {
	int pty;
	int pace;        /* -1: not given */
	unsigned latency_ms;
};

static int runner_latency(const char *val, unsigned *out, char *err, size_t errlen)
{
	uint64_t v;

	if (ub_parse_u64(val, &v) || v > 1000) {
		sim_set_err(err, errlen, "uart sim: latency=%s: want milliseconds, 0 to 1000", val);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int runner_flag(const char *key, const char *val, int *out, char *err, size_t errlen)
{
	if (*val && strcmp(val, "0") && strcmp(val, "1")) {
		sim_set_err(err, errlen, "uart sim: %s=%s: want 0 or 1", key, val);
		return -1;
	}
	*out = !*val || strcmp(val, "1") == 0;
	return 0;
}

/* The spec's options without the runner's own (pty, pace, latency). */
static int split_options(const char *opts, struct runner_opts *ro, char *out, size_t outlen,
			 char *err, size_t errlen)
{
	const char *cursor = opts;
	char key[32], val[512];
	size_t used = 0;
	int rc;

	out[0] = '\0';
	while ((rc = ub_kv_next(&cursor, key, sizeof(key), val, sizeof(val))) > 0) {
		int n;

		if (strcmp(key, "latency") == 0) {
			if (runner_latency(val, &ro->latency_ms, err, errlen))
				return -1;
			continue;
		}
		if (strcmp(key, "pace") == 0 || strcmp(key, "pty") == 0) {
			int *flag = strcmp(key, "pace") == 0 ? &ro->pace : &ro->pty;

			if (runner_flag(key, val, flag, err, errlen))
				return -1;
			continue;
		}
		n = snprintf(out + used, outlen - used, "%s%s%s%s", used ? "," : "",
			     key, *val ? "=" : "", val);
		if (n < 0 || (size_t)n >= outlen - used) {
			sim_set_err(err, errlen, "uart sim: option list too long");
			return -1;
		}
		used += (size_t)n;
	}
	if (rc < 0) {
		sim_set_err(err, errlen,
			    "uart sim: malformed option list '%s' (empty item or too long)", opts);
		return -1;
	}
	return 0;
}

static struct uart_sim *start(const char *spec, int force_pty, char *err, size_t errlen)
{
	struct runner_opts ro = { 0, -1, 0 };
	struct ub_spec sp;
	struct uart_sim *s;
	char opts[sizeof(sp.buf)];
	int pace;

	if (!spec || ub_spec_parse(spec, &sp)) {
		sim_set_err(err, errlen, "bad emulator spec '%s' (want MODEL[,key=value...], e.g. gx)",
			    spec ? spec : "");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		sim_set_err(err, errlen, "uart sim: out of memory");
		return NULL;
	}
	s->d.model = find_model(sp.name, err, errlen);
	if (!s->d.model)
		goto fail;
	if (*sp.arg) {
		sim_set_err(err, errlen, "emulator %s takes no ':' argument (got '%s')", sp.name,
			    sp.arg);
		goto fail;
	}
	if (split_options(sp.opts, &ro, opts, sizeof(opts), err, errlen))
		goto fail;
	ro.pty |= force_pty;
	if (ro.pty && ro.latency_ms) {
		sim_set_err(err, errlen, "uart sim: latency= is for model time; a pty has its own");
		goto fail;
	}
	pace = ro.pace >= 0 ? ro.pace : !ro.pty;
	s->d.dev = s->d.model->create(opts, pace, err, errlen);
	if (!s->d.dev)
		goto fail;
	if (ro.pty)
		s->pty = sim_pty_start(s->d, pace, err, errlen);
	else
		s->step = sim_step_new(s->d, pace, ro.latency_ms * 1000000ull);
	if (!s->pty && !s->step) {
		if (!ro.pty)
			sim_set_err(err, errlen, "uart sim: out of memory");
		sim_dev_finish(&s->d, NULL, 0);
		goto fail;
	}
	return s;
fail:
	free(s);
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

struct uart_sim *uart_sim_open(const char *spec, char *err, size_t errlen)
{
	return start(spec, 0, err, errlen);
}

struct uart_sim *uart_sim_start(const char *spec, char *err, size_t errlen)
{
	return start(spec, 1, err, errlen);
}

const char *uart_sim_slave_path(const struct uart_sim *s)
{
	return s->pty ? sim_pty_slave_path(s->pty) : NULL;
}

void uart_sim_set_parity(struct uart_sim *s, char parity)
{
	if (s && s->pty)
		sim_pty_set_parity(s->pty, parity);
	else if (s)
		sim_step_set_parity(s->step, parity);
}

void uart_sim_set_modem(struct uart_sim *s, char which, int value)
{
	if (!s || (which != 'd' && which != 'r'))
		return;
	if (s->pty)
		sim_pty_set_modem(s->pty, which, value);
	else
		sim_step_set_modem(s->step, which, value);
}

int uart_sim_stop(struct uart_sim *s, char *err, size_t errlen)
{
	int rc;

	if (!s)
		return 0;
	if (s->pty)
		sim_pty_stop(s->pty);
	else
		sim_step_free(s->step);
	rc = sim_dev_finish(&s->d, err, errlen);
	free(s);
	return rc;
}

/* --------------------------------------------------- the host, model time */

void uart_sim_set_line(struct uart_sim *s, const struct uart_sim_line *line)
{
	if (s->step)
		sim_step_set_line(s->step, line);
}

int uart_sim_write(struct uart_sim *s, const void *buf, size_t len)
{
	return s->step ? sim_step_write(s->step, buf, len) : -1;
}

ssize_t uart_sim_read(struct uart_sim *s, void *buf, size_t cap, uint64_t timeout_ns)
{
	return s->step ? sim_step_read(s->step, buf, cap, timeout_ns) : -1;
}

void uart_sim_drain(struct uart_sim *s)
{
	if (s->step)
		sim_step_drain(s->step);
}

void uart_sim_flush_input(struct uart_sim *s)
{
	if (s->step)
		sim_step_flush_input(s->step);
}

uint64_t uart_sim_now(const struct uart_sim *s)
{
	return s->step ? sim_step_now(s->step) : 0;
}

void uart_sim_sleep(struct uart_sim *s, uint64_t ns)
{
	if (s->step)
		sim_step_sleep(s->step, ns);
}
