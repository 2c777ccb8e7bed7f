/* SPDX-License-Identifier: MIT */
/*
 * One SPI master: a const table of operations plus private data, opened from
 * a spec string ("spidev:/dev/spidev0.0,speed=1M,mode=3", "sim:bk7231n,...").
 * The name before the first ':' picks a backend from ub_spi_backends; the
 * speed=HZ option is the layer's own (the master's clock, for every backend),
 * every other option is the backend's. A command is one CS-low frame made of
 * segments sent back to back.
 */
#ifndef UNBRICK_SPI_H
#define UNBRICK_SPI_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "err.h"
#include "gpio.h"
#include "log.h"

/* One segment of a frame: tx (NULL = zeros) and rx (NULL = discard), len bytes each. */
struct ub_spi_seg {
	const uint8_t *tx;
	uint8_t *rx;
	size_t len;
};

/* One frame of a batch, and how long CS stays high after it before the next starts. */
struct ub_spi_frame {
	const struct ub_spi_seg *segs;
	size_t nsegs;
	uint32_t gap_us;
};

struct ub_spi_ops {
	/* One CS-low frame; the segments' bytes are clocked back to back. */
	int (*frame)(void *priv, const struct ub_spi_seg *segs, size_t nsegs,
		     struct ub_err *err);
	/*
	 * Optional, for an adapter where each call costs a USB round trip:
	 * several frames, their gaps timed by the adapter, in one. NULL: frame
	 * by frame, with delay_us for the gaps.
	 */
	int (*frames)(void *priv, const struct ub_spi_frame *frames, size_t n,
		      struct ub_err *err);
	/* Ask for a clock; *actual gets what the controller will use. NULL: a fixed clock. */
	int (*set_speed)(void *priv, uint32_t hz, uint32_t *actual, struct ub_err *err);
	/* Wait; on an emulator this advances model time instead of sleeping. */
	void (*delay_us)(void *priv, uint64_t us);
	/* Monotonic nanoseconds (model time on an emulator), for timeouts. */
	uint64_t (*now_ns)(void *priv);
	/* The adapter's own reset line (emulator CEN, CH341A D2), or NULL. */
	struct ub_gpio_line *(*own_line)(void *priv, struct ub_err *err);
	/* Release; an emulator saves its files here, so this can fail. */
	int (*close)(void *priv, struct ub_err *err);
};

struct ub_spi {
	const struct ub_spi_ops *ops;
	void *priv;
	size_t max_frame;      /* most bytes one frame may carry */
	uint32_t speed_hz;     /* current clock */
	uint32_t spec_hz;      /* the spec's speed=, 0 when it has none */
	char desc[128];        /* for messages: "spidev:/dev/spidev0.0" */
};

/*
 * A backend: spec "NAME:ARG[,OPTIONS]" goes to open(ARG, OPTIONS) with spi
 * zeroed; open fills ops, priv, max_frame, speed_hz and desc. A backend that
 * needs an optional library is listed only #ifdef UB_HAVE_<LIBRARY>.
 */
struct ub_spi_backend {
	struct ub_backend backend;  /* "spidev", "spidev:/dev/spidevB.C[,speed=HZ][,mode=0|3]" */
	int (*open)(const char *arg, const char *opts, const struct ub_log *log,
		    struct ub_spi *spi, struct ub_err *err);
	uint32_t fixed_hz;          /* the adapter's own clock, which nothing sets; 0: settable */
};
extern const struct ub_spi_backend ub_spi_backends[];  /* ends with a NULL name */
extern const struct ub_backend_table ub_spi_table;     /* the same, for common/backend.h */

int ub_spi_open(const char *spec, const struct ub_log *log, struct ub_spi **out,
		struct ub_err *err);
/*
 * Before anything is opened: refuse a clock asked for (hz, or the spec's
 * speed=) from a backend whose clock is its own. what names the ask.
 */
int ub_spi_check_speed(const char *spec, uint32_t hz, const char *what, struct ub_err *err);
int ub_spi_close(struct ub_spi *spi, struct ub_err *err);

int ub_spi_frame(struct ub_spi *spi, const struct ub_spi_seg *segs, size_t nsegs,
		 struct ub_err *err);
/*
 * Frames one after another, each gap_us with CS high after it: in one round
 * trip on an adapter that batches (see ub_spi_batches), frame by frame
 * elsewhere. Nothing looks at one frame's answer before the next is sent.
 */
int ub_spi_frames(struct ub_spi *spi, const struct ub_spi_frame *frames, size_t n,
		  struct ub_err *err);
/* True when a call costs a round trip however little it carries: batch frames. */
int ub_spi_batches(const struct ub_spi *spi);
/*
 * Advice for a message: ", or try a lower --speed" (with lower replaced by
 * words when given), or "" on an adapter whose clock nothing sets.
 */
const char *ub_spi_speed_advice(const struct ub_spi *spi, const char *advice);
/* Send tx, then read rxlen bytes, in one frame. */
int ub_spi_cmd(struct ub_spi *spi, const uint8_t *tx, size_t txlen,
	       uint8_t *rx, size_t rxlen, struct ub_err *err);
int ub_spi_set_speed(struct ub_spi *spi, uint32_t hz, struct ub_err *err);
void ub_spi_delay_us(struct ub_spi *spi, uint64_t us);
uint64_t ub_spi_now_ns(struct ub_spi *spi);

/*
 * The adapter's own reset line (the emulator's CEN, later a CH341A pin) in
 * *out, for the caller to close; 0 with *out NULL when the backend has none.
 */
int ub_spi_own_line(struct ub_spi *spi, struct ub_gpio_line **out, struct ub_err *err);

/* Backend constructors, for the table in spi.c. */
int ub_spidev_open(const char *path, const char *opts, const struct ub_log *log,
		   struct ub_spi *spi, struct ub_err *err);
int ub_spisim_open(const char *model, const char *opts, const struct ub_log *log,
		   struct ub_spi *spi, struct ub_err *err);
int ub_ch341a_open(const char *arg, const char *opts, const struct ub_log *log,
		   struct ub_spi *spi, struct ub_err *err);

#endif
