/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef UB_BUILD_DIR
#define UB_BUILD_DIR "build"
#endif

static char *slurp_fd(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t got;

	ck_assert_ptr_nonnull(buf);
	lseek(fd, 0, SEEK_SET);
	while ((got = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap) {
			cap *= 2;
			char *bigger = realloc(buf, cap + 1);

			ck_assert_ptr_nonnull(bigger);
			buf = bigger;
		}
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static int temp_fd(void)
{
	char path[] = "/tmp/unbrick-test-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	return fd;
}

const char *tu_bindir(void)
{
	const char *dir = getenv("UB_TEST_BINDIR");

	return dir && *dir ? dir : UB_BUILD_DIR;
}

void tu_exec(const char *path, const char *const *args)
{
	const char *runner = getenv("UB_TEST_RUNNER");
	const char *argv[96];
	char words[512], *save = NULL;
	size_t n = 0;

	if (!runner || !*runner) {
		execv(path, (char *const *)args);
		return;
	}
	snprintf(words, sizeof(words), "%s", runner);
	for (char *w = strtok_r(words, " ", &save); w && n < 8; w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n++] = path;
	for (size_t i = 1; args[i] && n < 95; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	execvp(argv[0], (char *const *)argv);
}

int tu_under_qemu(void)
{
	const char *runner = getenv("UB_TEST_RUNNER");

	return runner && strstr(runner, "qemu") != NULL;
}

int tu_skip_under_qemu(const char *test, const char *why)
{
	if (!tu_under_qemu())
		return 0;
	fprintf(stderr, "skipped under qemu-user: %s: %s\n", test, why);
	return 1;
}

int tu_time_scale(void)
{
	const char *scale = getenv("UB_TEST_TIME_SCALE");

	if (scale && atoi(scale) >= 1)
		return atoi(scale);
	return tu_under_qemu() ? 10 : 1;
}

/* A script in dir that runs the program at path through the runner. */
static void write_wrapper(const char *dir, const char *name, const char *path)
{
	char script[512];
	FILE *f;

	snprintf(script, sizeof(script), "%s/%s", dir, name);
	f = fopen(script, "w");
	ck_assert_msg(f != NULL, "%s: %s", script, strerror(errno));
	fprintf(f, "#!/bin/sh\nexec $UB_TEST_RUNNER '%s' \"$@\"\n", path);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(script, 0755), 0);
}

const char *tu_path_dir(char *buf, size_t len)
{
	const char *runner = getenv("UB_TEST_RUNNER");
	char bin[512], root[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (!runner || !*runner)
		return tu_bindir();
	ck_assert_ptr_nonnull(realpath(tu_bindir(), root));
	snprintf(buf, len, "/tmp/unbrick-path-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(buf));
	d = opendir(root);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		int n = snprintf(bin, sizeof(bin), "%s/%s", root, e->d_name);

		if (n > 0 && (size_t)n < sizeof(bin) && e->d_name[0] != '.' && stat(bin, &st) == 0 &&
		    S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR))
			write_wrapper(buf, e->d_name, bin);
	}
	closedir(d);
	return buf;
}

void tu_path_dir_free(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	if (strcmp(dir, tu_bindir()) == 0 || (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);

		if (n > 0 && (size_t)n < sizeof(path) && e->d_name[0] != '.')
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void exec_child(const char *program, const char *stdin_path, int out, int err,
		       const char *const *env, const char *const *argv)
{
	char path[512];
	const char *args[64];
	int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY), i;

	snprintf(path, sizeof(path), "%s/%s", tu_bindir(), program);
	if (in < 0)
		_exit(126);
	dup2(in, 0);
	if (out >= 0)
		dup2(out, 1);
	else
		close(1);
	dup2(err, 2);
	for (i = 0; env && env[i]; i++)
		putenv((char *)env[i]);
	args[0] = program;
	for (i = 0; i < 62 && argv[i]; i++)
		args[i + 1] = argv[i];
	args[i + 1] = NULL;
	tu_exec(path, args);
	_exit(127);
}

void tu_spawn(struct tu_child *c, const char *program, const char *const *env,
	      const char *const *argv)
{
	c->out = temp_fd();
	c->err = temp_fd();
	c->pid = fork();
	ck_assert_int_ge(c->pid, 0);
	if (c->pid == 0)
		exec_child(program, NULL, c->out, c->err, env, argv);
}

void tu_wait(struct tu_child *c, struct tu_run *r)
{
	int ws = 0;

	ck_assert_int_eq(waitpid(c->pid, &ws, 0), c->pid);
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	r->out = slurp_fd(c->out, &r->outlen);
	r->err = slurp_fd(c->err, NULL);
	close(c->out);
	close(c->err);
}

void tu_run(struct tu_run *r, const char *program, const char *stdin_path,
	    const char *const *env, const char *const *argv)
{
	struct tu_child c;

	c.out = temp_fd();
	c.err = temp_fd();
	c.pid = fork();
	ck_assert_int_ge(c.pid, 0);
	if (c.pid == 0)
		exec_child(program, stdin_path, c.out, c.err, env, argv);
	tu_wait(&c, r);
}

void tu_run_stdout_closed(struct tu_run *r, const char *program, const char *const *env,
			  const char *const *argv)
{
	struct tu_child c;

	c.out = temp_fd();
	c.err = temp_fd();
	c.pid = fork();
	ck_assert_int_ge(c.pid, 0);
	if (c.pid == 0) {
		close(c.out);
		exec_child(program, NULL, -1, c.err, env, argv);
	}
	tu_wait(&c, r);
}

void tu_run_free(struct tu_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *tu_shared(const char *rel, char *buf, size_t len)
{
	const char *root = getenv("UNBRICK_SHARED");

	snprintf(buf, len, "%s/data/%s", root && *root ? root : "../shared", rel);
	if (access(buf, R_OK) == 0)
		return buf;
	fprintf(stderr, "skipped: %s is absent (shared test data)\n", buf);
	return NULL;
}

void tu_tmpfile(char *buf, size_t len)
{
	int fd;

	snprintf(buf, len, "/tmp/unbrick-test-XXXXXX");
	fd = mkstemp(buf);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

void tu_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	char *data;

	ck_assert_msg(fd >= 0, "cannot open %s", path);
	data = slurp_fd(fd, len);
	close(fd);
	return (uint8_t *)data;
}

int tu_files_equal(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *da = tu_read_file(a, &la), *db = tu_read_file(b, &lb);
	int same = la == lb && memcmp(da, db, la) == 0;

	free(da);
	free(db);
	return same;
}

uint64_t tu_stat(const char *stats_path, const char *name)
{
	FILE *f = fopen(stats_path, "r");
	char key[64];
	unsigned long long v;

	ck_assert_msg(f != NULL, "no stats file %s", stats_path);
	while (fscanf(f, "%63s %llu", key, &v) == 2)
		if (strcmp(key, name) == 0) {
			fclose(f);
			return v;
		}
	fclose(f);
	ck_abort_msg("no '%s' in %s", name, stats_path);
	return 0;
}

int tu_count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int tu_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void mkdirs(const char *path)
{
	char buf[512];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ck_assert_msg(mkdir(buf, 0755) == 0 || errno == EEXIST,
			      "mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	ck_assert_msg(mkdir(buf, 0755) == 0 || errno == EEXIST,
		      "mkdir %s: %s", buf, strerror(errno));
}

void tu_iio_put(const char *dev, const char *file, const char *text)
{
	char dir[256], path[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "/sys/bus/iio/devices/%s", dev);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fprintf(f, "%s\n", text);
	ck_assert_int_eq(fclose(f), 0);
}

int tu_private_sysfs(void)
{
	if (unshare(CLONE_NEWNS))
		return errno;
	/* the kernel ignores source and type here; valgrind flags NULLs */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL))
		return errno;
	if (mount("fake-sysfs", "/sys", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755"))
		return errno;
	return 0;
}

uint8_t *tu_read_capture(const char *path, size_t *len)
{
	size_t textlen, n = 0;
	char *text = (char *)tu_read_file(path, &textlen);
	char *body = strstr(text, "\n\n");
	uint8_t *bytes = malloc(textlen / 3 + 1);
	unsigned v;
	int used;

	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_nonnull(bytes);
	for (char *p = body; sscanf(p, " %2x%n", &v, &used) == 1; p += used)
		bytes[n++] = (uint8_t)v;
	free(text);
	*len = n;
	return bytes;
}

char *tu_read_man_page(const char *path)
{
	size_t len, o = 0;
	char *text = (char *)tu_read_file(path, &len);

	/* roff's \- is a '-', and \fB, \fI, \fP change fonts only */
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\' && i + 1 < len && text[i + 1] == '-')
			i++;
		else if (text[i] == '\\' && i + 2 < len && text[i + 1] == 'f') {
			i += 2;
			continue;
		}
		text[o++] = text[i];
	}
	text[o] = '\0';
	return text;
}

void tu_assert_one_error(const struct tu_run *r, const char *program, int status, const char *text)
{
	size_t n = strlen(program);

	ck_assert_msg(r->status == status, "exit %d, want %d; stderr: %s", r->status, status, r->err);
	ck_assert_msg(strstr(r->err, text) != NULL, "no '%s' in stderr: %s", text, r->err);
	ck_assert_msg(tu_count_lines(r->err) == 1, "not one line: %s", r->err);
	ck_assert_msg(!strncmp(r->err, program, n) && !strncmp(r->err + n, ": ", 2),
		      "not prefixed with '%s: ': %s", program, r->err);
}

void tu_text_file(char *buf, size_t len, const char *text)
{
	tu_tmpfile(buf, len);
	tu_write_file(buf, text, strlen(text));
}

int tu_append_args(const char **argv, int n, const char *const *args, const char *image)
{
	for (int i = 0; args[i]; i++)
		argv[n++] = strcmp(args[i], "@IMAGE") ? args[i] : image;
	argv[n] = NULL;
	return n;
}

/* uart-sim prints the pty's path on its first line. */
static void read_pty_path(struct tu_sim *sim)
{
	for (int i = 0; i < 500; i++) {
		ssize_t n = pread(sim->child.out, sim->path, sizeof(sim->path) - 1, 0);

		if (n > 0 && memchr(sim->path, '\n', (size_t)n)) {
			sim->path[n] = 0;
			sim->path[strcspn(sim->path, "\n")] = 0;
			return;
		}
		usleep(10000);
	}
	ck_abort_msg("uart-sim printed no pty path");
}

void tu_sim_start(struct tu_sim *sim, const char *spec)
{
	memset(sim, 0, sizeof(*sim));
	tu_spawn(&sim->child, "uart-sim", NULL, (const char *const[]){ spec, NULL });
	read_pty_path(sim);
}

void tu_sim_stop(struct tu_sim *sim)
{
	struct tu_run r;

	kill(sim->child.pid, SIGTERM);
	tu_wait(&sim->child, &r);
	ck_assert_msg(r.status == 0, "uart-sim: %s", r.err);
	tu_run_free(&r);
}

int tu_file_has(const char *path, const char *text)
{
	size_t len;
	char *data = (char *)tu_read_file(path, &len);
	int found = strstr(data, text) != NULL;

	free(data);
	return found;
}

void tu_wait_for_text(const char *path, const char *text)
{
	for (int i = 0; i < 1000 * tu_time_scale() && !tu_file_has(path, text); i++)
		usleep(10000);
	ck_assert_msg(tu_file_has(path, text), "no '%s' in %s", text, path);
}

int tu_count_lines_starting(const char *path, const char *prefix)
{
	size_t len, pl = strlen(prefix);
	char *data = (char *)tu_read_file(path, &len);
	int n = 0;

	for (char *line = data; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		n += !strncmp(line, prefix, pl);
	}
	free(data);
	return n;
}

void tu_random_file(const char *path, size_t len, unsigned seed)
{
	uint8_t *buf = malloc(len);
	uint32_t x = seed * 2654435761u + 1;

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	tu_write_file(path, buf, len);
	free(buf);
}

void tu_outdir_make(struct tu_outdir *o, const char *name)
{
	*o = (struct tu_outdir){ .dir = "/tmp/unbrick-test-XXXXXX" };
	ck_assert_ptr_nonnull(mkdtemp(o->dir));
	snprintf(o->out, sizeof(o->out), "%s/%s", o->dir, name);
}

int tu_dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

void tu_add_cases(TCase *tc, const struct tu_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tcase_add_loop_test(tc, *cases[i].test, 0, cases[i].variants);
}

int tu_corpus_main(const char *name, const struct tu_case *cases, size_t n, SFun setup,
		   SFun teardown)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create("corpus");

	if (setup || teardown)
		tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tu_add_cases(tc, cases, n);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
