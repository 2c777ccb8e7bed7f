/* SPDX-License-Identifier: MIT */
#include "ser2net.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *find_ser2net(char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[1024];
	char *dir, *save = NULL;

	/* sbin is often not on a user's PATH */
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/usr/local/sbin", path ? path : "");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/ser2net", dir);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

int tu_ser2net_missing(void)
{
	char buf[PATH_MAX];

	if (find_ser2net(buf, sizeof(buf)))
		return 0;
	fprintf(stderr, "skipped: ser2net is not installed (apt install ser2net)\n");
	return 1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Two distinct free TCP ports on 127.0.0.1: bound together, then released. */
static void free_ports(unsigned *a, unsigned *b)
{
	int fds[2], i;
	unsigned *ports[2] = { a, b };

	for (i = 0; i < 2; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(sin);

		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_msg(fds[i] >= 0, "socket: %s", strerror(errno));
		ck_assert_msg(bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
			      getsockname(fds[i], (struct sockaddr *)&sin, &len) == 0,
			      "cannot find a free port: %s", strerror(errno));
		*ports[i] = ntohs(sin.sin_port);
	}
	close(fds[0]);
	close(fds[1]);
}

static void write_config(const struct tu_ser2net *s, const char *path, unsigned baud)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fprintf(f, "%%YAML 1.1\n---\n"
		"connection: &raw\n"
		"  accepter: tcp,127.0.0.1,%u\n"
		"  connector: serialdev,%s,%un81,local\n"
		"connection: &rfc2217\n"
		"  accepter: telnet(rfc2217),tcp,127.0.0.1,%u\n"
		"  connector: serialdev,%s,%un81,local\n",
		s->raw_port, s->device, baud, s->rfc2217_port, s->device, baud);
	ck_assert_int_eq(fclose(f), 0);
}

static void spawn(struct tu_ser2net *s, const char *program, const char *config)
{
	char log[128];
	int fd;

	snprintf(log, sizeof(log), "%s/log", s->dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", log, strerror(errno));
	s->pid = fork();
	ck_assert_msg(s->pid >= 0, "fork: %s", strerror(errno));
	if (s->pid == 0) {
		/* Do not outlive a test that crashes or times out. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(program, "ser2net", "-d", "-c", config, (char *)NULL);
		_exit(127);
	}
	close(fd);
}

/* Whether /proc/net/tcp shows a listening socket on 127.0.0.1:port. */
static int listening(unsigned port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[256], want[32];
	int found = 0;

	if (!f)
		return 0;
	snprintf(want, sizeof(want), "0100007F:%04X", port);
	while (!found && fgets(line, sizeof(line), f)) {
		char local[32], state[8];

		found = sscanf(line, "%*s %31s %*s %7s", local, state) == 2 &&
			!strcmp(local, want) && !strcmp(state, "0A");
	}
	fclose(f);
	return found;
}

static void remove_files(struct tu_ser2net *s)
{
	char path[128];

	if (!s->dir[0])
		return;
	snprintf(path, sizeof(path), "%s/ser2net.yaml", s->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/log", s->dir);
	unlink(path);
	rmdir(s->dir);
	s->dir[0] = '\0';
}

static void failed_to_start(struct tu_ser2net *s, const char *why)
{
	char log[128], text[2048] = "";
	FILE *f;
	size_t n = 0;

	snprintf(log, sizeof(log), "%s/log", s->dir);
	f = fopen(log, "r");
	if (f) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	tu_ser2net_stop(s);
	ck_abort_msg("ser2net %s; its output: %s", why, text);
}

/* Wait until it listens on both ports, without touching the device. */
static void wait_listening(struct tu_ser2net *s)
{
	long deadline = now_ms() + 5000;
	int status;

	while (!listening(s->raw_port) || !listening(s->rfc2217_port)) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			failed_to_start(s, "exited at start");
		}
		if (now_ms() > deadline)
			failed_to_start(s, "does not listen after 5 s");
		poll(NULL, 0, 5);
	}
}

int tu_ser2net_start(struct tu_ser2net *s, const char *device_path, unsigned baud)
{
	char program[PATH_MAX], config[128], device[PATH_MAX];

	memset(s, 0, sizeof(*s));
	if (!find_ser2net(program, sizeof(program)))
		return tu_ser2net_missing();
	ck_assert_msg(realpath(device_path, device) != NULL, "%s: %s", device_path,
		      strerror(errno));
	ck_assert_msg(strlen(device) < sizeof(s->device), "%s: path too long", device);
	strcpy(s->device, device);
	snprintf(s->dir, sizeof(s->dir), "/tmp/unbrick-ser2net-XXXXXX");
	ck_assert_msg(mkdtemp(s->dir) != NULL, "mkdtemp: %s", strerror(errno));
	free_ports(&s->raw_port, &s->rfc2217_port);
	snprintf(s->raw_spec, sizeof(s->raw_spec), "tcp:127.0.0.1:%u", s->raw_port);
	snprintf(s->rfc2217_spec, sizeof(s->rfc2217_spec), "rfc2217:127.0.0.1:%u",
		 s->rfc2217_port);
	snprintf(config, sizeof(config), "%s/ser2net.yaml", s->dir);
	write_config(s, config, baud);
	spawn(s, program, config);
	wait_listening(s);
	/* It has read its config; a test that dies now leaves no files. */
	remove_files(s);
	return 0;
}

/* Whether ser2net has the device open (one of its fds points at it). */
static int device_open(const struct tu_ser2net *s)
{
	char dir[64], link[PATH_MAX], target[PATH_MAX];
	int fd, open_now = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", s->pid);
	for (fd = 0; fd < 256 && !open_now; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%d", dir, fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		open_now = !strcmp(target, s->device);
	}
	return open_now;
}

void tu_ser2net_idle(const struct tu_ser2net *s)
{
	long deadline = now_ms() + 3000;

	while (device_open(s)) {
		ck_assert_msg(now_ms() < deadline, "ser2net keeps %s open 3 s after its client left",
			      s->device);
		poll(NULL, 0, 2);
	}
}

void tu_ser2net_stop(struct tu_ser2net *s)
{
	long deadline = now_ms() + 2000;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		while (waitpid(s->pid, NULL, WNOHANG) == 0) {
			if (now_ms() > deadline) {
				kill(s->pid, SIGKILL);
				waitpid(s->pid, NULL, 0);
				break;
			}
			poll(NULL, 0, 5);
		}
		s->pid = 0;
	}
	remove_files(s);
}

int tu_ser2net_sim_start(struct tu_ser2net_sim *s, const char *spec)
{
	memset(s, 0, sizeof(*s));
	s->slave = -1;
	if (tu_ser2net_missing())
		return 1;
	tu_sim_start(&s->sim, spec);
	s->slave = open(s->sim.path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_msg(s->slave >= 0, "%s: %s", s->sim.path, strerror(errno));
	return tu_ser2net_start(&s->net, s->sim.path, 115200);
}

void tu_ser2net_sim_stop(struct tu_ser2net_sim *s)
{
	tu_ser2net_stop(&s->net);
	if (s->slave >= 0)
		close(s->slave);
	s->slave = -1;
	tu_sim_stop(&s->sim);
}
