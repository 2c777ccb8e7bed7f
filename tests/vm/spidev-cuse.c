/* SPDX-License-Identifier: MIT */
/*
 * spidev-cuse: a character device that behaves like Linux spidev
 * (/dev/spidev0.0), served from user space through CUSE, with the BK72xx
 * emulator (sim/sim_bk72xx.c) on the other end of the bus. scripts/vm-test runs
 * it inside its QEMU guest so that beken-spi's spidev backend issues real
 * ioctls on a real character device. A test tool: not part of the library.
 *
 * Usage:
 *   spidev-cuse -f -s --sim=MODEL[,OPTS] --cen=FILE [--counts=FILE]
 *               [--speeds=FILE] [--name=spidev0.0] [--bufsiz=4096]
 *               [--align=8] [--max-speed=1M] [other libfuse options]
 *   --sim     the emulator: "bk7231n,image=/x.bin,save=/out/flash.bin,
 *             stats=/out/stats" (bk_sim_create's model and options;
 *             "pace" is always added, see Time)
 *   --cen     a file holding the CEN level as "0"/"1": the gpio-sim line's
 *             /sys/devices/platform/gpio-sim.N/gpiochipM/sim_gpio3/value
 *   --counts  written at exit: "ioctls N" (SPI_IOC_MESSAGE calls),
 *             "largest_frame N" (bytes in the largest one), "cen_edges N"
 *   --speeds  the clocks the device saw, a line each as it happens: "open"
 *             for each open(), "max_speed HZ" for each SPI_IOC_WR_MAX_SPEED_HZ,
 *             "frame HZ" for the first frame after an open and each frame
 *             whose clock differs from the one before
 *   --bufsiz, --align  spidev's bufsiz module parameter and the kernel's
 *             ARCH_KMALLOC_MINALIGN (8 on x86-64, 128 on arm64 before 6.5):
 *             as in spidev 6.1, the tx and the rx bytes of one message,
 *             each transfer's length rounded up to align, must each fit in
 *             bufsiz, or the ioctl fails with EMSGSIZE
 *   --max-speed  the device's initial max_speed_hz (SPI_IOC_RD_MAX_SPEED_HZ)
 * Run it with -f -s (foreground, single-threaded: the emulator is not
 * thread-safe). SIGTERM or SIGINT ends it; the emulator's save=, state= and
 * stats= files and the counts file are written then.
 *
 * ioctls (CUSE_UNRESTRICTED_IOCTL: the kernel tells us nothing about the
 * argument, so each call asks for the user memory it needs by retrying):
 *   SPI_IOC_{RD,WR}_{MODE,MODE32,LSB_FIRST,BITS_PER_WORD,MAX_SPEED_HZ}: one
 *     retry (fetch the input or map the output), then the reply. Modes 0-3
 *     only, LSB first 0 only, 8 bits per word only (0 means 8): EINVAL else.
 *   SPI_IOC_MESSAGE(n): two retries, (1) fetch the transfer array, (2) fetch
 *     the tx buffers and map the rx buffers; then the reply carries the
 *     concatenated rx bytes and, as spidev, the total byte count.
 *     The transfers form ONE CS-low frame given to bk_sim_transfer (tx_buf 0
 *     clocks zeros), at the first transfer's speed_hz (or the device's max
 *     speed when 0) and the device's SPI mode; a cs_change on a transfer
 *     other than the last ends the frame there, as on a real controller.
 *     delay_usecs is honoured at the end of a frame only (the emulator has no
 *     pause inside a frame). At most 64 transfers per message (the kernel
 *     allows 256 iovecs per CUSE ioctl; spidev has no such limit).
 *
 * CEN: the gpio-sim line's sysfs value follows the line's output while
 * beken-spi holds it (and falls back to the pull when it lets go). Nothing
 * notifies a change of that value: gpio-sim's sysfs attribute does not
 * poll(), and the GPIO character device gives no edge events on an output
 * line someone else holds. So the value is read before each ioctl (the chip
 * sees CEN exactly as it is when the frame starts) and also by a thread every
 * 1 ms (beken-spi holds CEN low for 100 ms between two frames with no ioctl
 * in between; a pulse shorter than the poll period could be missed).
 *
 * Time: the emulator keeps model time. Before each ioctl and each CEN edge
 * model time is moved up to real time (the host's sleeps happen in real
 * time), and "pace" makes each frame take its wire time in real time too,
 * as a real spidev ioctl does, so the two clocks stay together.
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 31

#include <cuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse_opt.h>
#include <linux/spi/spidev.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "sim_bk72xx.h"
#include "parse.h"

#define MAX_XFERS 64
#define CEN_POLL_NS 1000000L
#define MAX_MESSAGE (16u << 20)  /* bytes in one message, all transfers */

struct conf {
	char *sim;
	char *cen;
	char *counts;
	char *speeds;
	char *name;
	char *bufsiz;
	char *align;
	char *max_speed;
};

struct dev {
	struct bk_sim *sim;
	pthread_mutex_t lock;
	atomic_int stop;
	int cen_fd;
	int cen;                /* level last given to the emulator */
	uint64_t t0_ns;         /* real time of model time 0 */
	uint32_t mode;          /* SPI_MODE_0..3 */
	uint32_t max_hz;
	size_t bufsiz, align;
	uint64_t ioctls, largest, cen_edges;
	FILE *speeds;           /* the --speeds log, or NULL */
	uint32_t logged_hz;     /* the last "frame" line's clock; 0 after an open */
};

/* A transfer register: which value an SPI_IOC_RD_/WR_ ioctl reads or sets. */
enum reg { REG_MODE, REG_LSB_FIRST, REG_BITS, REG_SPEED };

static const struct {
	unsigned int cmd;
	enum reg reg;
} reg_ioctls[] = {
	{ SPI_IOC_RD_MODE, REG_MODE },       { SPI_IOC_WR_MODE, REG_MODE },
	{ SPI_IOC_RD_MODE32, REG_MODE },     { SPI_IOC_WR_MODE32, REG_MODE },
	{ SPI_IOC_RD_LSB_FIRST, REG_LSB_FIRST }, { SPI_IOC_WR_LSB_FIRST, REG_LSB_FIRST },
	{ SPI_IOC_RD_BITS_PER_WORD, REG_BITS }, { SPI_IOC_WR_BITS_PER_WORD, REG_BITS },
	{ SPI_IOC_RD_MAX_SPEED_HZ, REG_SPEED }, { SPI_IOC_WR_MAX_SPEED_HZ, REG_SPEED },
};

/* ------------------------------------------------------------ time, CEN */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Move model time up to real time (the host slept in real time). */
static void sync_time(struct dev *d)
{
	uint64_t real = mono_ns() - d->t0_ns, model = bk_sim_now(d->sim);

	if (real > model)
		bk_sim_delay(d->sim, real - model);
}

/* The CEN file's level: 0, 1, or -1 when it cannot be read. */
static int read_cen(const struct dev *d)
{
	char buf[8];
	ssize_t n = pread(d->cen_fd, buf, sizeof(buf) - 1, 0);

	if (n < 1)
		return -1;
	return buf[0] == '1' ? 1 : buf[0] == '0' ? 0 : -1;
}

/* A line of the --speeds log. */
static void log_speed(struct dev *d, const char *what, uint32_t hz)
{
	if (!d->speeds)
		return;
	if (hz)
		fprintf(d->speeds, "%s %u\n", what, hz);
	else
		fprintf(d->speeds, "%s\n", what);
	fflush(d->speeds);
}

/* Caller holds d->lock. */
static void sync_cen(struct dev *d)
{
	int level = read_cen(d);

	if (level < 0 || level == d->cen)
		return;
	sync_time(d);
	bk_sim_set_cen(d->sim, level);
	d->cen = level;
	d->cen_edges++;
}

static void *cen_poller(void *arg)
{
	struct dev *d = arg;

	while (!atomic_load(&d->stop)) {
		struct timespec ts = { 0, CEN_POLL_NS };

		pthread_mutex_lock(&d->lock);
		sync_cen(d);
		pthread_mutex_unlock(&d->lock);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* ---------------------------------------------------- transfer registers */

static uint32_t reg_get(const struct dev *d, enum reg reg)
{
	switch (reg) {
	case REG_MODE:
		return d->mode;
	case REG_BITS:
		return 8;
	case REG_SPEED:
		return d->max_hz;
	default:
		return 0;
	}
}

/* Returns 0 or an errno. */
static int reg_set(struct dev *d, enum reg reg, uint32_t v)
{
	switch (reg) {
	case REG_MODE:
		if (v & ~(uint32_t)(SPI_CPHA | SPI_CPOL))
			return EINVAL;
		d->mode = v;
		return 0;
	case REG_BITS:
		return v == 0 || v == 8 ? 0 : EINVAL;
	case REG_SPEED:
		if (!v)
			return EINVAL;
		d->max_hz = v;
		log_speed(d, "max_speed", v);
		return 0;
	default:
		return v ? EINVAL : 0;
	}
}

static int find_reg(unsigned int cmd, enum reg *reg)
{
	for (size_t i = 0; i < sizeof(reg_ioctls) / sizeof(reg_ioctls[0]); i++) {
		if (reg_ioctls[i].cmd == cmd) {
			*reg = reg_ioctls[i].reg;
			return 0;
		}
	}
	return -1;
}

/* Values are __u8 or __u32, in host byte order. */
static uint32_t load_value(const void *buf, size_t size)
{
	uint32_t v32 = 0;
	uint8_t v8;

	if (size == 1) {
		memcpy(&v8, buf, 1);
		return v8;
	}
	memcpy(&v32, buf, sizeof(v32));
	return v32;
}

static void reply_value(fuse_req_t req, uint32_t v, size_t size)
{
	uint8_t v8 = (uint8_t)v;

	if (size == 1)
		fuse_reply_ioctl(req, 0, &v8, 1);
	else
		fuse_reply_ioctl(req, 0, &v, sizeof(v));
}

static void reg_ioctl(fuse_req_t req, struct dev *d, unsigned int cmd, void *arg,
		      size_t in_sz, const void *in, size_t out_sz)
{
	struct iovec iov = { arg, _IOC_SIZE(cmd) };
	enum reg reg;
	int e;

	if (find_reg(cmd, &reg) || (iov.iov_len != 1 && iov.iov_len != 4)) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (_IOC_DIR(cmd) == _IOC_READ) {
		if (out_sz < iov.iov_len)
			fuse_reply_ioctl_retry(req, NULL, 0, &iov, 1);
		else
			reply_value(req, reg_get(d, reg), iov.iov_len);
		return;
	}
	if (in_sz < iov.iov_len) {
		fuse_reply_ioctl_retry(req, &iov, 1, NULL, 0);
		return;
	}
	e = reg_set(d, reg, load_value(in, iov.iov_len));
	if (e)
		fuse_reply_err(req, e);
	else
		fuse_reply_ioctl(req, 0, NULL, 0);
}

/* --------------------------------------------------------- SPI messages */

static size_t round_up(size_t n, size_t align)
{
	return (n + align - 1) / align * align;
}

/* spidev 6.1's checks on a message; returns 0 or an errno. */
static int check_message(const struct dev *d, const struct spi_ioc_transfer *x,
			 size_t n)
{
	size_t tx = 0, rx = 0, total = 0;

	for (size_t i = 0; i < n; i++) {
		total += x[i].len;
		if (x[i].tx_buf)
			tx += round_up(x[i].len, d->align);
		if (x[i].rx_buf)
			rx += round_up(x[i].len, d->align);
		if (tx > d->bufsiz || rx > d->bufsiz || total > MAX_MESSAGE)
			return EMSGSIZE;
		if (x[i].tx_nbits > 1 || x[i].rx_nbits > 1 ||
		    (x[i].bits_per_word && x[i].bits_per_word != 8))
			return EINVAL;
	}
	return 0;
}

/* The user memory the message needs: the array then the tx buffers in, the
 * rx buffers out. Returns the byte counts through tx_total and rx_total. */
static void message_iovs(void *arg, size_t size, const struct spi_ioc_transfer *x,
			 size_t n, struct iovec *in, size_t *nin, struct iovec *out,
			 size_t *nout, size_t *tx_total, size_t *rx_total)
{
	in[0] = (struct iovec){ arg, size };
	*nin = 1;
	*nout = 0;
	*tx_total = *rx_total = 0;
	for (size_t i = 0; i < n; i++) {
		if (!x[i].len)
			continue;
		if (x[i].tx_buf) {
			in[(*nin)++] = (struct iovec){ (void *)(uintptr_t)x[i].tx_buf, x[i].len };
			*tx_total += x[i].len;
		}
		if (x[i].rx_buf) {
			out[(*nout)++] = (struct iovec){ (void *)(uintptr_t)x[i].rx_buf, x[i].len };
			*rx_total += x[i].len;
		}
	}
}

/* Lay the tx bytes out as the wire sees them: tx_buf 0 shifts zeros. */
static void gather_tx(const struct spi_ioc_transfer *x, size_t n,
		      const uint8_t *txdata, uint8_t *wire)
{
	for (size_t i = 0; i < n; wire += x[i].len, i++) {
		if (x[i].tx_buf && x[i].len) {
			memcpy(wire, txdata, x[i].len);
			txdata += x[i].len;
		} else {
			memset(wire, 0, x[i].len);
		}
	}
}

/* The rx bytes of the transfers that asked for them, in order. */
static size_t scatter_rx(const struct spi_ioc_transfer *x, size_t n,
			 const uint8_t *wire, uint8_t *rxdata)
{
	size_t at = 0;

	for (size_t i = 0; i < n; wire += x[i].len, i++) {
		if (x[i].rx_buf && x[i].len) {
			memcpy(rxdata + at, wire, x[i].len);
			at += x[i].len;
		}
	}
	return at;
}

/* Clock the wire bytes through the emulator: one frame per CS-low run. */
static void clock_frames(struct dev *d, const struct spi_ioc_transfer *x, size_t n,
			 const uint8_t *tx, uint8_t *rx)
{
	size_t start = 0, end = 0, first = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t hz;

		end += x[i].len;
		if (i + 1 < n && !x[i].cs_change)
			continue;
		hz = x[first].speed_hz ? x[first].speed_hz : d->max_hz;
		if (hz != d->logged_hz) {
			log_speed(d, "frame", hz);
			d->logged_hz = hz;
		}
		bk_sim_transfer(d->sim, tx + start, rx + start, end - start, hz,
				(int)(d->mode & 3));
		if (x[i].delay_usecs)
			bk_sim_delay(d->sim, (uint64_t)x[i].delay_usecs * 1000u);
		start = end;
		first = i + 1;
	}
}

static void run_message(fuse_req_t req, struct dev *d,
			const struct spi_ioc_transfer *x, size_t n,
			const uint8_t *txdata, size_t rx_total)
{
	size_t total = 0;
	uint8_t *tx, *rx, *rxdata;

	for (size_t i = 0; i < n; i++)
		total += x[i].len;
	tx = malloc(total + 1);
	rx = malloc(total + 1);
	rxdata = malloc(rx_total + 1);
	if (!tx || !rx || !rxdata) {
		fuse_reply_err(req, ENOMEM);
	} else {
		gather_tx(x, n, txdata, tx);
		sync_time(d);
		clock_frames(d, x, n, tx, rx);
		d->ioctls++;
		if (total > d->largest)
			d->largest = total;
		scatter_rx(x, n, rx, rxdata);
		fuse_reply_ioctl(req, (int)total, rxdata, rx_total);
	}
	free(tx);
	free(rx);
	free(rxdata);
}

static void message_ioctl(fuse_req_t req, struct dev *d, unsigned int cmd, void *arg,
			  size_t in_sz, const void *in, size_t out_sz)
{
	struct spi_ioc_transfer x[MAX_XFERS];
	struct iovec in_iov[MAX_XFERS + 1], out_iov[MAX_XFERS];
	size_t size = _IOC_SIZE(cmd), n = size / sizeof(x[0]);
	size_t nin, nout, tx_total, rx_total;
	int e;

	if (size % sizeof(x[0]) || n > MAX_XFERS) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!n) {
		fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	}
	if (in_sz < size) {
		fuse_reply_ioctl_retry(req, &(struct iovec){ arg, size }, 1, NULL, 0);
		return;
	}
	memcpy(x, in, size);
	e = check_message(d, x, n);
	if (e) {
		fuse_reply_err(req, e);
		return;
	}
	message_iovs(arg, size, x, n, in_iov, &nin, out_iov, &nout, &tx_total, &rx_total);
	if (in_sz != size + tx_total || out_sz != rx_total)
		fuse_reply_ioctl_retry(req, in_iov, nin, out_iov, nout);
	else
		run_message(req, d, x, n, (const uint8_t *)in + size, rx_total);
}

static int is_message(unsigned int cmd)
{
	return _IOC_TYPE(cmd) == SPI_IOC_MAGIC && _IOC_DIR(cmd) == _IOC_WRITE &&
	       _IOC_NR(cmd) == _IOC_NR(SPI_IOC_MESSAGE(0));
}

/* ------------------------------------------------------------------ CUSE */

static void on_open(fuse_req_t req, struct fuse_file_info *fi)
{
	struct dev *d = fuse_req_userdata(req);

	pthread_mutex_lock(&d->lock);
	log_speed(d, "open", 0);
	d->logged_hz = 0;
	pthread_mutex_unlock(&d->lock);
	fuse_reply_open(req, fi);
}

/* libfuse passes cmd as int: _IOR values are negative there. */
static void on_ioctl(fuse_req_t req, int icmd, void *arg, struct fuse_file_info *fi,
		     unsigned int flags, const void *in, size_t in_sz, size_t out_sz)
{
	struct dev *d = fuse_req_userdata(req);
	unsigned int cmd = (unsigned int)icmd;

	(void)fi;
	(void)flags;
	if (_IOC_TYPE(cmd) != SPI_IOC_MAGIC) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	pthread_mutex_lock(&d->lock);
	sync_cen(d);
	if (is_message(cmd))
		message_ioctl(req, d, cmd, arg, in_sz, in, out_sz);
	else
		reg_ioctl(req, d, cmd, arg, in_sz, in, out_sz);
	pthread_mutex_unlock(&d->lock);
}

static const struct cuse_lowlevel_ops cuse_ops = {
	.open = on_open,
	.ioctl = on_ioctl,
};

/* ----------------------------------------------------------- set-up, exit */

#define OPT(t, f) { t, offsetof(struct conf, f), 0 }
static const struct fuse_opt conf_opts[] = {
	OPT("--sim=%s", sim),       OPT("--cen=%s", cen),
	OPT("--counts=%s", counts), OPT("--speeds=%s", speeds),
	OPT("--name=%s", name),
	OPT("--bufsiz=%s", bufsiz), OPT("--align=%s", align),
	OPT("--max-speed=%s", max_speed),
	FUSE_OPT_END
};

static int usage(void)
{
	fprintf(stderr,
		"usage: spidev-cuse -f -s --sim=MODEL[,OPTS] --cen=FILE [--counts=FILE]\n"
		"       [--speeds=FILE] [--name=spidev0.0] [--bufsiz=4096] [--align=8]\n"
		"       [--max-speed=1M]\n");
	return 2;
}

static int parse_sizes(const struct conf *c, struct dev *d)
{
	uint64_t bufsiz = 4096, align = 8, hz = 1000000;

	if ((c->bufsiz && (ub_parse_u64(c->bufsiz, &bufsiz) || !bufsiz || bufsiz > MAX_MESSAGE)) ||
	    (c->align && (ub_parse_u64(c->align, &align) || !align || align > 4096)) ||
	    (c->max_speed && (ub_parse_hz(c->max_speed, &hz) || !hz || hz > UINT32_MAX))) {
		fprintf(stderr, "spidev-cuse: bad --bufsiz, --align or --max-speed\n");
		return -1;
	}
	d->bufsiz = (size_t)bufsiz;
	d->align = (size_t)align;
	d->max_hz = (uint32_t)hz;
	return 0;
}

/* "bk7231n,image=x" -> bk_sim_create("bk7231n", "image=x,pace"). */
static struct bk_sim *create_sim(const char *spec)
{
	const char *comma = strchr(spec, ',');
	size_t mlen = comma ? (size_t)(comma - spec) : strlen(spec);
	char model[32], opts[1024], err[256] = "";
	struct bk_sim *sim;

	if (mlen >= sizeof(model) ||
	    (size_t)snprintf(opts, sizeof(opts), "%s%space", comma ? comma + 1 : "",
			     comma ? "," : "") >= sizeof(opts)) {
		fprintf(stderr, "spidev-cuse: --sim is too long\n");
		return NULL;
	}
	memcpy(model, spec, mlen);
	model[mlen] = '\0';
	sim = bk_sim_create(model, opts, err, sizeof(err));
	if (!sim)
		fprintf(stderr, "spidev-cuse: %s\n", err);
	return sim;
}

static int open_dev(const struct conf *c, struct dev *d)
{
	if (parse_sizes(c, d))
		return -1;
	d->cen_fd = open(c->cen, O_RDONLY | O_CLOEXEC);
	if (d->cen_fd < 0) {
		fprintf(stderr, "spidev-cuse: %s: %s\n", c->cen, strerror(errno));
		return -1;
	}
	if (c->speeds) {
		d->speeds = fopen(c->speeds, "we");
		if (!d->speeds) {
			fprintf(stderr, "spidev-cuse: %s: %s\n", c->speeds, strerror(errno));
			close(d->cen_fd);
			return -1;
		}
	}
	d->sim = create_sim(c->sim);
	if (!d->sim) {
		if (d->speeds)
			fclose(d->speeds);
		close(d->cen_fd);
		return -1;
	}
	pthread_mutex_init(&d->lock, NULL);
	d->t0_ns = mono_ns();
	d->cen = -1;
	sync_cen(d);       /* the level at start is not an edge */
	d->cen_edges = 0;
	return 0;
}

/* The poller must not take SIGTERM: the session loop waits for it. */
static int start_poller(struct dev *d, pthread_t *thread)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(thread, NULL, cen_poller, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e)
		fprintf(stderr, "spidev-cuse: pthread_create: %s\n", strerror(e));
	return e ? -1 : 0;
}

static int write_counts(const struct dev *d, const char *path)
{
	FILE *f;
	int bad;

	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "spidev-cuse: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "ioctls %llu\nlargest_frame %llu\ncen_edges %llu\n",
		(unsigned long long)d->ioctls, (unsigned long long)d->largest,
		(unsigned long long)d->cen_edges);
	bad = ferror(f);
	return fclose(f) || bad ? -1 : 0;
}

static int close_dev(struct dev *d, const char *counts)
{
	char err[256] = "";
	int rc = 0;

	if (bk_sim_close(d->sim, err, sizeof(err))) {
		fprintf(stderr, "spidev-cuse: %s\n", err);
		rc = -1;
	}
	close(d->cen_fd);
	if (d->speeds && fclose(d->speeds)) {
		fprintf(stderr, "spidev-cuse: writing the speed log: %s\n", strerror(errno));
		rc = -1;
	}
	pthread_mutex_destroy(&d->lock);
	return write_counts(d, counts) ? -1 : rc;
}

static int serve(struct fuse_args *args, const struct conf *c, struct dev *d)
{
	char devname[128];
	const char *info[] = { devname };
	struct cuse_info ci = { .dev_info_argc = 1, .dev_info_argv = info,
				.flags = CUSE_UNRESTRICTED_IOCTL };
	pthread_t poller;
	int rc;

	snprintf(devname, sizeof(devname), "DEVNAME=%s", c->name ? c->name : "spidev0.0");
	if (start_poller(d, &poller))
		return 1;
	rc = cuse_lowlevel_main(args->argc, args->argv, &ci, &cuse_ops, d);
	atomic_store(&d->stop, 1);
	pthread_join(poller, NULL);
	return rc;
}

static void free_conf(struct conf *c)
{
	free(c->sim);
	free(c->cen);
	free(c->counts);
	free(c->speeds);
	free(c->name);
	free(c->bufsiz);
	free(c->align);
	free(c->max_speed);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct conf c = { 0 };
	struct dev d = { 0 };
	int rc;

	if (fuse_opt_parse(&args, &c, conf_opts, NULL) || !c.sim || !c.cen) {
		rc = usage();
	} else if (open_dev(&c, &d)) {
		rc = 1;
	} else {
		rc = serve(&args, &c, &d) ? 1 : 0;
		if (close_dev(&d, c.counts))
			rc = 1;
	}
	fuse_opt_free_args(&args);
	free_conf(&c);
	return rc;
}
