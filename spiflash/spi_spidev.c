/* SPDX-License-Identifier: MIT */
/* SPI master on Linux spidev: one SPI_IOC_MESSAGE per frame. */
#include "spi.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/spi/spidev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "parse.h"

#define SPIDEV_DEFAULT_HZ 1000000u
#define SPIDEV_MAX_SEGS 4
#define SPIDEV_BUFSIZ_PATH "/sys/module/spidev/parameters/bufsiz"
/*
 * spidev rounds each transfer up to ARCH_KMALLOC_MINALIGN before checking it
 * against bufsiz (128 on arm64 kernels before 6.5, as Raspberry Pi OS 12
 * runs; linux drivers/spi/spidev.c spidev_message). Budget in whole units of
 * the largest alignment: a page program (4 + 256 bytes) then needs 384.
 */
#define SPIDEV_ALIGN 128u
#define SPIDEV_MIN_BUFSIZ 384u

struct spidev {
	int fd;
	uint32_t speed_hz;
	char path[256];
};

/*
 * spidev refuses a message whose tx or rx total exceeds its bufsiz module
 * parameter (default 4096); older kernels count tx and rx together, so one
 * frame carries at most bufsiz bytes in all (notes/beken.md §3).
 */
static size_t spidev_bufsiz(void)
{
	FILE *f = fopen(SPIDEV_BUFSIZ_PATH, "r");
	unsigned long v = 0;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v >= 64 ? (size_t)v : 4096;
}

static int spidev_frame(void *priv, const struct ub_spi_seg *segs, size_t nsegs,
			struct ub_err *err)
{
	struct spidev *d = priv;
	struct spi_ioc_transfer xfer[SPIDEV_MAX_SEGS];
	size_t i, n = 0;

	if (nsegs > SPIDEV_MAX_SEGS)
		return ub_fail(err, UB_EFAIL, "internal: %zu segments in one SPI frame", nsegs);
	memset(xfer, 0, sizeof(xfer));
	for (i = 0; i < nsegs; i++) {
		if (!segs[i].len)
			continue;
		xfer[n].tx_buf = (uintptr_t)segs[i].tx;
		xfer[n].rx_buf = (uintptr_t)segs[i].rx;
		xfer[n].len = (uint32_t)segs[i].len;
		xfer[n].speed_hz = d->speed_hz;
		n++;
	}
	if (!n)
		return 0;
	if (ioctl(d->fd, SPI_IOC_MESSAGE(n), xfer) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "%s: SPI transfer failed%s", d->path,
				     errno == EMSGSIZE ? " (larger than the spidev bufsiz allows)" : "");
	return 0;
}

static int spidev_set_speed(void *priv, uint32_t hz, uint32_t *actual,
			    struct ub_err *err)
{
	struct spidev *d = priv;

	if (ioctl(d->fd, SPI_IOC_WR_MAX_SPEED_HZ, &hz) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno,
				     "%s: the controller refused %u Hz", d->path, hz);
	d->speed_hz = hz;
	*actual = hz;
	return 0;
}

static void spidev_delay_us(void *priv, uint64_t us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
			       .tv_nsec = (long)(us % 1000000) * 1000 };

	(void)priv;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t spidev_now_ns(void *priv)
{
	(void)priv;
	return ub_clock_ns();
}

static int spidev_close(void *priv, struct ub_err *err)
{
	struct spidev *d = priv;

	(void)err;
	close(d->fd);
	free(d);
	return 0;
}

static const struct ub_spi_ops spidev_ops = {
	.frame = spidev_frame,
	.set_speed = spidev_set_speed,
	.delay_us = spidev_delay_us,
	.now_ns = spidev_now_ns,
	.close = spidev_close,
};

/* speed= is the SPI layer's (spi.c); mode= is ours. */
static int spidev_parse_opts(const char *opts, uint64_t *mode, struct ub_err *err)
{
	char key[32], val[64];
	int r;

	while ((r = ub_kv_next(&opts, key, sizeof(key), val, sizeof(val))) == 1) {
		if (strcmp(key, "mode") != 0)
			return ub_fail(err, UB_EUSAGE, "spidev: unknown option '%s' (known: speed, mode)", key);
		if (ub_parse_u64(val, mode) || (*mode != 0 && *mode != 3))
			return ub_fail(err, UB_EUSAGE, "spidev: bad mode '%s': use mode=0 or mode=3", val);
	}
	return r < 0 ? ub_fail(err, UB_EUSAGE, "spidev: malformed options '%s'", opts) : 0;
}

static int spidev_configure(struct spidev *d, uint8_t mode, struct ub_err *err)
{
	uint8_t bits = 8;

	if (ioctl(d->fd, SPI_IOC_WR_MODE, &mode) < 0) {
		if (errno == ENOTTY)
			return ub_fail(err, UB_EUSAGE, "%s is not a spidev device", d->path);
		return ub_fail_errno(err, UB_EFAIL, errno, "%s: cannot set SPI mode %u", d->path, mode);
	}
	if (ioctl(d->fd, SPI_IOC_WR_BITS_PER_WORD, &bits) < 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "%s: cannot set 8 bits per word", d->path);
	return 0;
}

int ub_spidev_open(const char *path, const char *opts, const struct ub_log *log,
		   struct ub_spi *spi, struct ub_err *err)
{
	uint64_t mode = 0;
	struct spidev *d;

	if (!*path)
		return ub_fail(err, UB_EUSAGE, "spidev needs a device: spidev:/dev/spidev0.0");
	if (spidev_parse_opts(opts, &mode, err))
		return -1;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ub_fail(err, UB_EFAIL, "out of memory");
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		int e = errno;

		free(d);
		return ub_fail(err, UB_ENODEV, "cannot open %s: %s%s", path, strerror(e),
			       e == ENOENT ? " (on a Raspberry Pi, enable SPI: dtparam=spi=on)" :
			       e == EACCES ? " (add yourself to the spi group)" : "");
	}
	if (spidev_configure(d, (uint8_t)mode, err)) {
		spidev_close(d, NULL);
		return -1;
	}
	d->speed_hz = SPIDEV_DEFAULT_HZ;
	spi->ops = &spidev_ops;
	spi->priv = d;
	spi->max_frame = spidev_bufsiz() & ~(size_t)(SPIDEV_ALIGN - 1);
	if (spi->max_frame < SPIDEV_MIN_BUFSIZ) {
		spidev_close(d, NULL);
		return ub_fail(err, UB_EFAIL,
			       "spidev bufsiz %zu is too small: a page program needs %u bytes; boot with spidev.bufsiz=4096",
			       spidev_bufsiz(), SPIDEV_MIN_BUFSIZ);
	}
	spi->speed_hz = d->speed_hz;
	snprintf(spi->desc, sizeof(spi->desc), "spidev:%s", path);
	ub_debug(log, "%s: mode %u, %zu bytes per transfer", path, (unsigned)mode,
		 spi->max_frame);
	return 0;
}
