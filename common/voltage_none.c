/* SPDX-License-Identifier: MIT */
/* Built without libiio: the supply voltage cannot be read, so any check fails. */
#include "voltage.h"

#include <string.h>

const char *ub_voltage_backend(void)
{
	return "none";
}

int ub_voltage_parse(const char *spec, struct ub_voltage_spec *out,
		     struct ub_err *err)
{
	memset(out, 0, sizeof(*out));
	return ub_fail(err, UB_EUSAGE,
		       "cannot check the supply voltage '%s': this program was built without libiio (rebuild with libiio installed)",
		       spec ? spec : "");
}

int ub_voltage_check_parsed(const struct ub_voltage_spec *vs,
			    const struct ub_log *log, double *volts,
			    struct ub_err *err)
{
	(void)log;
	(void)volts;
	return ub_fail(err, UB_EUSAGE,
		       "cannot check the supply voltage on %s:%s: this program was built without libiio (rebuild with libiio installed)",
		       vs->device, vs->channel);
}

int ub_voltage_check(const char *spec, const struct ub_log *log, double *volts,
		     struct ub_err *err)
{
	struct ub_voltage_spec vs;

	(void)log;
	(void)volts;
	return ub_voltage_parse(spec, &vs, err);
}
