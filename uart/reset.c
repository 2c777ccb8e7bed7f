/* SPDX-License-Identifier: MIT */
/* The --reset entry-sequence language (see reset.h and unbrick.conf(5)). */
#include "reset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpio.h"
#include "parse.h"

#define RESET_MAX_STEPS 32

enum step_kind { STEP_MODEM, STEP_GPIO, STEP_PAUSE };

struct step {
	enum step_kind kind;
	char what[96];  /* "dtr"/"rts" or the GPIO spec */
	int value;      /* line level, or pause in ms */
};

struct ub_reset {
	struct step steps[RESET_MAX_STEPS];
	int nsteps;
	struct ub_gpio_line *lines[RESET_MAX_STEPS];  /* opened on first use */
};

static int empty_step(const char *seq, struct ub_err *err)
{
	return ub_fail(err, UB_EUSAGE, "empty step in --reset '%s': use dtr=0|1, rts=0|1, "
		       "GPIOSPEC=0|1 or NNNms, separated by commas", seq);
}

static int bad_step(const char *step, struct ub_err *err)
{
	return ub_fail(err, UB_EUSAGE, "bad step '%s' in --reset: use dtr=0|1, rts=0|1, "
		       "GPIOSPEC=0|1 or NNNms, separated by commas", step);
}

static int parse_step(const char *text, struct step *st, struct ub_err *err)
{
	const char *eq = strrchr(text, '=');
	size_t len = strlen(text);
	uint64_t ms;

	if (!eq) {
		char num[32];

		if (len < 3 || len - 2 >= sizeof(num) || strcmp(text + len - 2, "ms"))
			return bad_step(text, err);
		memcpy(num, text, len - 2);
		num[len - 2] = 0;
		if (ub_parse_u64(num, &ms) < 0 || ms > 600000)
			return bad_step(text, err);
		st->kind = STEP_PAUSE;
		st->value = (int)ms;
		return 0;
	}
	if ((strcmp(eq, "=0") && strcmp(eq, "=1")) || eq == text ||
	    (size_t)(eq - text) >= sizeof(st->what))
		return bad_step(text, err);
	memcpy(st->what, text, (size_t)(eq - text));
	st->what[eq - text] = 0;
	st->value = eq[1] - '0';
	st->kind = !strcmp(st->what, "dtr") || !strcmp(st->what, "rts") ? STEP_MODEM : STEP_GPIO;
	return 0;
}

/* Split on commas; every step must have text ("dtr=1,,100ms" is a typo). */
static int parse_steps(struct ub_reset *r, const char *seq, struct ub_err *err)
{
	char buf[1024];
	char *tok = buf;

	if (strlen(seq) >= sizeof(buf))
		return ub_fail(err, UB_EUSAGE, "--reset sequence is too long");
	snprintf(buf, sizeof(buf), "%s", seq);
	if (!*buf)
		return 0;
	for (;;) {
		char *comma = strchr(tok, ',');

		if (comma)
			*comma = 0;
		if (!*tok)
			return empty_step(seq, err);
		if (r->nsteps == RESET_MAX_STEPS)
			return ub_fail(err, UB_EUSAGE, "--reset has more than %d steps",
				       RESET_MAX_STEPS);
		if (parse_step(tok, &r->steps[r->nsteps++], err) < 0)
			return -1;
		if (!comma)
			return 0;
		tok = comma + 1;
	}
}

int ub_reset_parse(const char *seq, struct ub_reset **out, struct ub_err *err)
{
	struct ub_reset *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return ub_fail(err, UB_EFAIL, "out of memory");
	if (parse_steps(r, seq ? seq : "", err) < 0) {
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

int ub_reset_empty(const struct ub_reset *reset)
{
	return !reset || reset->nsteps == 0;
}

static int set_modem(struct ub_port *port, const struct step *st, struct ub_err *err)
{
	int rc = ub_port_set_modem(port, st->what[0], st->value, err);

	if (rc == 1)
		return ub_fail(err, UB_EUSAGE, "--reset sets %s, but %s has no %s line "
			       "(a pty, a raw TCP port or an adapter without modem lines); "
			       "wire the reset to a GPIO and use GPIOSPEC=0|1",
			       st->what, port->name, st->what[0] == 'd' ? "DTR" : "RTS");
	return rc;
}

/* Steps naming the same GPIO share its line. */
static int set_gpio(struct ub_reset *r, int i, const char *consumer, struct ub_err *err)
{
	const struct step *st = &r->steps[i];

	for (int j = 0; j < i; j++)
		if (r->lines[j] && !strcmp(r->steps[j].what, st->what))
			return ub_gpio_set(r->lines[j], st->value, err);
	return ub_gpio_open(st->what, consumer, st->value, &r->lines[i], err);
}

int ub_reset_run(struct ub_reset *r, struct ub_port *port, const char *consumer,
		 struct ub_err *err)
{
	for (int i = 0; i < r->nsteps; i++) {
		const struct step *st = &r->steps[i];
		int rc = 0;

		if (st->kind == STEP_PAUSE)
			ub_port_sleep_ms(port, st->value);
		else if (st->kind == STEP_MODEM)
			rc = set_modem(port, st, err);
		else
			rc = set_gpio(r, i, consumer, err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

void ub_reset_free(struct ub_reset *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nsteps; i++)
		if (r->lines[i])
			ub_gpio_close(r->lines[i]);
	free(r);
}
