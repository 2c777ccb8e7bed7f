/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image.h"
#include "testutil.h"

START_TEST(file_input)
{
	char path[64];
	struct ub_input in;
	struct ub_err err = { 0 };
	uint8_t buf[5];

	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, "hello", 5);
	ck_assert_int_eq(ub_input_open(path, &in, &err), 0);
	ck_assert_uint_eq(in.size, 5);
	ck_assert_int_eq(ub_input_read(&in, buf, 5, &err), 0);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_int_eq(ub_input_read(&in, buf, 1, &err), -1);
	ub_input_close(&in);
	unlink(path);
}
END_TEST

START_TEST(stdin_is_spooled)
{
	int fds[2];
	struct ub_input in;
	struct ub_err err = { 0 };
	uint8_t buf[7];

	int saved = dup(0);

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "piped!\n", 7), 7);
	close(fds[1]);
	dup2(fds[0], 0);
	ck_assert_int_eq(ub_input_open("-", &in, &err), 0);
	ck_assert_uint_eq(in.size, 7);
	ck_assert_int_eq(ub_input_read(&in, buf, 7, &err), 0);
	ck_assert_mem_eq(buf, "piped!\n", 7);
	ub_input_close(&in);
	dup2(saved, 0);
	close(saved);
	close(fds[0]);
}
END_TEST

START_TEST(bad_inputs)
{
	char path[64];
	struct ub_input in;
	struct ub_err err = { 0 };

	ck_assert_int_eq(ub_input_open("/nonexistent/x.bin", &in, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_str_eq(err.msg, "cannot open image '/nonexistent/x.bin': No such file or directory");

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ub_input_open("/tmp", &in, &err), -1);
	ck_assert_str_eq(err.msg, "image '/tmp' is a directory");

	memset(&err, 0, sizeof(err));
	tu_tmpfile(path, sizeof(path));
	ck_assert_int_eq(ub_input_open(path, &in, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "is empty"));
	unlink(path);
}
END_TEST

/*
 * stdin from a pipe fed by a child that writes len bytes, or forever (len 0).
 * The suites also run unforked (CK_FORK=no, under valgrind): stop_feeding
 * puts the old stdin back.
 */
struct feeder {
	pid_t pid;
	int saved_stdin;
	void (*saved_sigpipe)(int);
};

static void feed_stdin(struct feeder *f, size_t len)
{
	static const char zeros[4096];
	int fds[2];

	f->saved_sigpipe = signal(SIGPIPE, SIG_IGN);
	f->saved_stdin = dup(0);
	ck_assert_int_ge(f->saved_stdin, 0);
	ck_assert_int_eq(pipe(fds), 0);
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		size_t done = 0;

		close(fds[0]);
		while (!len || done < len) {
			size_t n = !len || len - done > sizeof(zeros) ? sizeof(zeros) : len - done;
			ssize_t w = write(fds[1], zeros, n);

			if (w <= 0)
				_exit(0);
			done += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(dup2(fds[0], 0), 0);
	close(fds[0]);
}

static void stop_feeding(struct feeder *f)
{
	ck_assert_int_eq(dup2(f->saved_stdin, 0), 0);  /* an endless writer gets EPIPE */
	close(f->saved_stdin);
	ck_assert_int_eq(waitpid(f->pid, NULL, 0), f->pid);
	signal(SIGPIPE, f->saved_sigpipe);
}

/* `cat /dev/urandom | PROGRAM write -` used to fill the disk. */
START_TEST(endless_stdin_stops_past_the_limit)
{
	struct ub_input in;
	struct ub_err err = { 0 };
	struct feeder feed;

	feed_stdin(&feed, 0);
	ck_assert_int_eq(ub_input_open_max("-", 100000, "the 96 KiB flash", &in, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_str_eq(err.msg, "stdin is larger than the 96 KiB flash (100000 bytes)");
	ck_assert_ptr_null(in.f);
	ub_input_close(&in);
	stop_feeding(&feed);
}
END_TEST

/* `PROGRAM write /dev/zero` likewise. */
START_TEST(endless_device_stops_past_the_limit)
{
	struct ub_input in;
	struct ub_err err = { 0 };

	ck_assert_int_eq(ub_input_open_max("/dev/zero", 4096, "partition KERNEL", &in, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_str_eq(err.msg, "/dev/zero is larger than partition KERNEL (4096 bytes)");
}
END_TEST

START_TEST(piped_input_at_the_limit)
{
	struct ub_input in;
	struct ub_err err = { 0 };
	uint8_t buf[70000];
	struct feeder feed;

	feed_stdin(&feed, 70000);
	ck_assert_int_eq(ub_input_open_max("-", 70000, "the flash", &in, &err), 0);
	ck_assert_uint_eq(in.size, 70000);
	ck_assert_int_eq(ub_input_read(&in, buf, sizeof(buf), &err), 0);
	ub_input_close(&in);
	stop_feeding(&feed);

	feed_stdin(&feed, 70001);
	ck_assert_int_eq(ub_input_open_max("-", 70000, "the flash", &in, &err), -1);
	ck_assert_str_eq(err.msg, "stdin is larger than the flash (70000 bytes)");
	stop_feeding(&feed);
}
END_TEST

static void note_signal(int sig)
{
	(void)sig;
}

/* SIGTERM while stdin stalls: the read ends, as interrupted, for the program's report. */
START_TEST(stalled_stdin_is_interrupted)
{
	struct sigaction sa = { .sa_handler = note_signal }, old;  /* no SA_RESTART, as the programs */
	struct itimerval timer = { .it_value = { 0, 50000 } };
	struct ub_input in;
	struct ub_err err = { 0 };
	int fds[2], saved = dup(0);

	ck_assert_int_eq(pipe(fds), 0);  /* the write end stays open: no data, no end */
	ck_assert_int_eq(dup2(fds[0], 0), 0);
	ck_assert_int_eq(write(fds[1], "some", 4), 4);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, &old), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &timer, NULL), 0);
	ck_assert_int_eq(ub_input_open_max("-", 1000, "the flash", &in, &err), -1);
	ck_assert_int_eq(err.status, UB_EINTR);
	ck_assert_str_eq(err.msg, "interrupted while reading stdin");
	ck_assert_ptr_null(in.f);
	sigaction(SIGALRM, &old, NULL);
	dup2(saved, 0);
	close(saved);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* A regular file is measured, not read: a sparse 64 GiB file is refused at once. */
START_TEST(large_regular_file_refused_unread)
{
	char path[64], want[160];
	struct ub_input in;
	struct ub_err err = { 0 };
	int fd;

	tu_tmpfile(path, sizeof(path));
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)64 << 30), 0);
	close(fd);
	ck_assert_int_eq(ub_input_open_max(path, 2u << 20, "the 2048 KiB flash", &in, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	snprintf(want, sizeof(want), "%s is larger than the 2048 KiB flash (2097152 bytes)", path);
	ck_assert_str_eq(err.msg, want);

	tu_write_file(path, "12345", 5);
	ub_err_clear(&err);
	ck_assert_int_eq(ub_input_open_max(path, 5, "partition BOOT", &in, &err), 0);
	ck_assert_uint_eq(in.size, 5);
	ub_input_close(&in);
	ck_assert_int_eq(ub_input_open_max(path, 4, "partition BOOT", &in, &err), -1);
	snprintf(want, sizeof(want), "%s is larger than partition BOOT (4 bytes)", path);
	ck_assert_str_eq(err.msg, want);
	unlink(path);
}
END_TEST

START_TEST(input_rewinds)
{
	char path[64];
	struct ub_input in;
	struct ub_err err = { 0 };
	uint8_t buf[5];
	struct feeder feed;

	tu_tmpfile(path, sizeof(path));
	tu_write_file(path, "hello", 5);
	ck_assert_int_eq(ub_input_open(path, &in, &err), 0);
	ck_assert_int_eq(ub_input_read(&in, buf, 3, &err), 0);
	ck_assert_int_eq(ub_input_rewind(&in, &err), 0);
	ck_assert_int_eq(ub_input_read(&in, buf, 5, &err), 0);
	ck_assert_mem_eq(buf, "hello", 5);
	ub_input_close(&in);
	ub_input_close(&in);
	ck_assert_int_eq(ub_input_rewind(&in, &err), -1);
	ck_assert_int_eq(err.status, UB_EFAIL);
	unlink(path);

	ub_err_clear(&err);
	feed_stdin(&feed, 5);
	ck_assert_int_eq(ub_input_open_max("-", 5, "the flash", &in, &err), 0);
	ck_assert_int_eq(ub_input_read(&in, buf, 5, &err), 0);
	ck_assert_int_eq(ub_input_rewind(&in, &err), 0);
	ck_assert_int_eq(ub_input_read(&in, buf, 5, &err), 0);
	ck_assert_mem_eq(buf, "\0\0\0\0\0", 5);
	ub_input_close(&in);
	stop_feeding(&feed);
}
END_TEST

static int count_temp_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strlen(e->d_name) > strlen(prefix);
	closedir(d);
	return n;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

START_TEST(output_is_atomic)
{
	char dir[] = "/tmp/unbrick-out-XXXXXX", path[128];
	struct ub_output out;
	struct ub_err err = { 0 };
	size_t len;
	uint8_t *data;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dump.bin", dir);
	tu_write_file(path, "old", 3);

	ck_assert_int_eq(ub_output_open(path, &out, &err), 0);
	ck_assert_int_eq(ub_output_write(&out, (const uint8_t *)"partial", 7, &err), 0);
	ub_output_abort(&out);
	data = tu_read_file(path, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(data, "old", 3);
	free(data);
	ck_assert_int_eq(count_temp_files(dir, "dump.bin."), 0);

	ck_assert_int_eq(ub_output_open(path, &out, &err), 0);
	ck_assert_int_eq(ub_output_write(&out, (const uint8_t *)"new data", 8, &err), 0);
	ck_assert_int_eq(ub_output_commit(&out, &err), 0);
	data = tu_read_file(path, &len);
	ck_assert_uint_eq(len, 8);
	ck_assert_mem_eq(data, "new data", 8);
	free(data);
	ck_assert_int_eq(count_temp_files(dir, "dump.bin."), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* -o /dev/null, or a FIFO: written as they are, never replaced by a file. */
START_TEST(output_to_a_fifo_stays_a_fifo)
{
	char dir[] = "/tmp/unbrick-fifo-XXXXXX", path[128], buf[16];
	struct ub_output out;
	struct ub_err err = { 0 };
	struct stat st;
	int reader;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pipe", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	reader = open(path, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(reader, 0);
	ck_assert_int_eq(ub_output_open(path, &out, &err), 0);
	ck_assert_int_eq(ub_output_write(&out, (const uint8_t *)"through", 7, &err), 0);
	ck_assert_int_eq(ub_output_commit(&out, &err), 0);
	ck_assert_int_eq(read(reader, buf, sizeof(buf)), 7);
	ck_assert_mem_eq(buf, "through", 7);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	close(reader);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---- -o FILE over what is there ---- */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	ck_assert_int_eq(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void write_output(const char *path, const char *text, struct ub_output *out)
{
	struct ub_err err = { 0 };

	ck_assert_int_eq(ub_output_open(path, out, &err), 0);
	ck_assert_int_eq(ub_output_write(out, (const uint8_t *)text, strlen(text), &err), 0);
	ck_assert_int_eq(ub_output_commit(out, &err), 0);
	ck_assert_int_eq(err.status, UB_OK);
}

static void assert_file(const char *path, const char *text)
{
	size_t len;
	uint8_t *data = tu_read_file(path, &len);

	ck_assert_uint_eq(len, strlen(text));
	ck_assert_mem_eq(data, text, len);
	free(data);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Dumps hold Wi-Fi credentials: a new file is 0600 whatever the umask allows. */
START_TEST(new_output_is_private)
{
	char dir[] = "/tmp/unbrick-out-XXXXXX", path[128];
	struct ub_output out;
	mode_t mask = umask(022);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dump.bin", dir);
	write_output(path, "secret", &out);
	umask(mask);
	ck_assert_uint_eq(mode_of(path), 0600);
	ck_assert_str_eq(out.note, "");
	remove_tree(dir);
}
END_TEST

START_TEST(existing_output_keeps_its_mode)
{
	static const mode_t modes[] = { 0600, 0640, 0644, 0400 };
	char dir[] = "/tmp/unbrick-out-XXXXXX", path[128];
	struct ub_output out;
	mode_t mask = umask(022);
	size_t i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dump.bin", dir);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		tu_write_file(path, "old", 3);
		ck_assert_int_eq(chmod(path, modes[i]), 0);
		if (geteuid() != 0 && !(modes[i] & 0200))
			continue;
		write_output(path, "new", &out);
		ck_assert_msg(mode_of(path) == modes[i], "0%o became 0%o", modes[i], mode_of(path));
		assert_file(path, "new");
		ck_assert_int_eq(count_temp_files(dir, "dump.bin."), 0);
	}
	umask(mask);
	remove_tree(dir);
}
END_TEST

/* As root, -o over another user's file leaves it theirs. */
START_TEST(existing_output_keeps_its_owner)
{
	char dir[] = "/tmp/unbrick-out-XXXXXX", path[128];
	struct ub_output out;
	struct stat st;

	if (geteuid() != 0)
		return;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dump.bin", dir);
	tu_write_file(path, "old", 3);
	ck_assert_int_eq(chown(path, 1, 2), 0);
	ck_assert_int_eq(chmod(path, 0640), 0);
	write_output(path, "new", &out);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 1);
	ck_assert_uint_eq(st.st_gid, 2);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	remove_tree(dir);
}
END_TEST

/* -o LINK writes LINK's target (in its own directory) and leaves the link a link. */
START_TEST(symlink_target_is_replaced)
{
	char top[] = "/tmp/unbrick-out-XXXXXX", d1[128], d2[128], link[160], chain[160],
	     real[160], dangling[160], created[160], target[160];
	struct ub_output out;
	struct ub_err err = { 0 };
	ssize_t n;

	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(d1, sizeof(d1), "%s/d1", top);
	snprintf(d2, sizeof(d2), "%s/d2", top);
	ck_assert_int_eq(mkdir(d1, 0700), 0);
	ck_assert_int_eq(mkdir(d2, 0700), 0);
	snprintf(real, sizeof(real), "%s/real.bin", d2);
	snprintf(link, sizeof(link), "%s/link.bin", d1);
	snprintf(chain, sizeof(chain), "%s/chain.bin", top);
	tu_write_file(real, "old", 3);
	ck_assert_int_eq(chmod(real, 0640), 0);
	ck_assert_int_eq(symlink("../d2/real.bin", link), 0);
	ck_assert_int_eq(symlink(link, chain), 0);  /* absolute, to a relative one */

	ck_assert_int_eq(ub_output_open(chain, &out, &err), 0);
	ck_assert_str_eq(realpath(out.path, target), real);
	ck_assert_int_eq(ub_output_write(&out, (const uint8_t *)"new", 3, &err), 0);
	ck_assert_int_eq(count_temp_files(d2, "real.bin."), 1);  /* beside the target */
	ck_assert_int_eq(count_temp_files(d1, "link.bin."), 0);
	ck_assert_int_eq(ub_output_commit(&out, &err), 0);
	assert_file(real, "new");
	ck_assert_uint_eq(mode_of(real), 0640);
	n = readlink(link, target, sizeof(target) - 1);
	ck_assert_int_eq(n, 14);
	target[n] = '\0';
	ck_assert_str_eq(target, "../d2/real.bin");
	n = readlink(chain, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(count_temp_files(d2, "real.bin."), 0);

	/* A dangling link is written through, as a shell's > does: a new, private file. */
	snprintf(dangling, sizeof(dangling), "%s/new.lnk", d1);
	snprintf(created, sizeof(created), "%s/new.bin", d2);
	ck_assert_int_eq(symlink("../d2/new.bin", dangling), 0);
	write_output(dangling, "fresh", &out);
	assert_file(created, "fresh");
	ck_assert_uint_eq(mode_of(created), 0600);
	ck_assert_int_eq(readlink(dangling, target, sizeof(target)), 13);
	remove_tree(top);
}
END_TEST

START_TEST(symlink_loop_is_refused)
{
	char dir[] = "/tmp/unbrick-out-XXXXXX", path[128], want[256];
	struct ub_output out;
	struct ub_err err = { 0 };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/loop", dir);
	ck_assert_int_eq(symlink("loop", path), 0);
	ck_assert_int_eq(ub_output_open(path, &out, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	snprintf(want, sizeof(want), "cannot follow the symlink '%s': %s", path, strerror(ELOOP));
	ck_assert_str_eq(err.msg, want);
	ub_output_abort(&out);
	remove_tree(dir);
}
END_TEST

/* A rename gives the name new contents; other hard links keep the old, and the program says so. */
START_TEST(hard_links_get_a_note)
{
	char dir[] = "/tmp/unbrick-out-XXXXXX", a[128], b[128], c[128], d[128], want[320];
	struct ub_output out;
	struct ub_err err = { 0 };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a.bin", dir);
	snprintf(b, sizeof(b), "%s/b.bin", dir);
	snprintf(c, sizeof(c), "%s/c.bin", dir);
	snprintf(d, sizeof(d), "%s/d.bin", dir);
	tu_write_file(a, "old", 3);
	ck_assert_int_eq(link(a, b), 0);
	ck_assert_int_eq(ub_output_open(a, &out, &err), 0);
	snprintf(want, sizeof(want), "'%s' has 1 other name (hard link), which keeps the old contents", a);
	ck_assert_str_eq(out.note, want);
	ck_assert_int_eq(ub_output_write(&out, (const uint8_t *)"new", 3, &err), 0);
	ck_assert_int_eq(ub_output_commit(&out, &err), 0);
	assert_file(a, "new");
	assert_file(b, "old");

	ck_assert_int_eq(link(b, c), 0);
	ck_assert_int_eq(link(b, d), 0);
	ck_assert_int_eq(ub_output_open(b, &out, &err), 0);
	snprintf(want, sizeof(want), "'%s' has 2 other names (hard links), which keep the old contents", b);
	ck_assert_str_eq(out.note, want);
	ub_output_abort(&out);
	remove_tree(dir);
}
END_TEST

START_TEST(empty_output_name_is_refused)
{
	char dir[] = "/tmp/unbrick-out-XXXXXX", cwd[512];
	struct ub_output out;
	struct ub_err err = { 0 };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(ub_output_open("", &out, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_str_eq(err.msg, "the output file name is empty");
	ub_output_abort(&out);
	ck_assert_int_eq(count_entries("."), 0);  /* no ".XXXXXX" left in the cwd */
	ck_assert_int_eq(chdir(cwd), 0);
	remove_tree(dir);
}
END_TEST

/*
 * SIGTERM and SIGHUP end a program through its normal path, which aborts the
 * output: abort must be safe whatever state the output is in.
 */
START_TEST(abort_is_safe_at_any_point)
{
	char dir[] = "/tmp/unbrick-out-XXXXXX", path[128];
	struct ub_output out = { 0 };
	struct ub_err err = { 0 };

	ub_output_abort(&out);  /* never opened */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/no/such/dir.bin", dir);
	ck_assert_int_eq(ub_output_open(path, &out, &err), -1);
	ub_output_abort(&out);
	ub_output_abort(&out);

	snprintf(path, sizeof(path), "%s/dump.bin", dir);
	ck_assert_int_eq(ub_output_open(path, &out, &err), 0);
	ub_output_abort(&out);  /* before any data */
	ub_output_abort(&out);
	ck_assert_int_eq(count_temp_files(dir, "dump.bin."), 0);
	ck_assert_int_eq(access(path, F_OK), -1);

	ck_assert_int_eq(ub_output_open(path, &out, &err), 0);
	ck_assert_int_eq(ub_output_write(&out, (const uint8_t *)"part", 4, &err), 0);
	ub_output_abort(&out);
	ub_output_abort(&out);
	ck_assert_int_eq(count_temp_files(dir, "dump.bin."), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ub_err_clear(&err);
	ck_assert_int_eq(ub_output_commit(&out, &err), -1);  /* nothing left to commit */
	ck_assert_int_eq(err.status, UB_EFAIL);

	write_output(path, "whole", &out);
	ub_output_abort(&out);  /* after commit: the file stays */
	ub_output_abort(&out);
	assert_file(path, "whole");
	ck_assert_int_eq(count_temp_files(dir, "dump.bin."), 0);
	remove_tree(dir);
}
END_TEST

/* /dev/null and stdout as a pipe cannot be synced; that is no error. */
START_TEST(unsyncable_outputs_commit)
{
	struct ub_output out;
	struct ub_err err = { 0 };
	int fds[2], saved = dup(1);
	char buf[8];

	write_output("/dev/null", "gone", &out);
	ck_assert_int_eq(pipe(fds), 0);
	dup2(fds[1], 1);
	close(fds[1]);
	ck_assert_int_eq(ub_output_open("-", &out, &err), 0);
	ck_assert_int_eq(ub_output_write(&out, (const uint8_t *)"piped", 5, &err), 0);
	ck_assert_int_eq(ub_output_commit(&out, &err), 0);
	dup2(saved, 1);
	close(saved);
	ck_assert_int_eq(read(fds[0], buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "piped", 5);
	close(fds[0]);
}
END_TEST

START_TEST(refuses_terminal)
{
	int master, slave;
	struct ub_output out;
	struct ub_err err = { 0 };

	int saved = dup(1);

	ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	dup2(slave, 1);
	ck_assert_int_eq(ub_output_open(NULL, &out, &err), -1);
	ck_assert_int_eq(err.status, UB_EUSAGE);
	ck_assert_str_eq(err.msg, "refusing to write binary data to a terminal; use -o FILE or a pipe");
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ub_output_open("-", &out, &err), -1);
	dup2(saved, 1);
	close(saved);
	close(slave);
	close(master);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, file_input);
	tcase_add_test(tc, stdin_is_spooled);
	tcase_add_test(tc, bad_inputs);
	tcase_add_test(tc, endless_stdin_stops_past_the_limit);
	tcase_add_test(tc, endless_device_stops_past_the_limit);
	tcase_add_test(tc, piped_input_at_the_limit);
	tcase_add_test(tc, stalled_stdin_is_interrupted);
	tcase_add_test(tc, large_regular_file_refused_unread);
	tcase_add_test(tc, input_rewinds);
	tcase_add_test(tc, output_is_atomic);
	tcase_add_test(tc, output_to_a_fifo_stays_a_fifo);
	tcase_add_test(tc, new_output_is_private);
	tcase_add_test(tc, existing_output_keeps_its_mode);
	tcase_add_test(tc, existing_output_keeps_its_owner);
	tcase_add_test(tc, symlink_target_is_replaced);
	tcase_add_test(tc, symlink_loop_is_refused);
	tcase_add_test(tc, hard_links_get_a_note);
	tcase_add_test(tc, empty_output_name_is_refused);
	tcase_add_test(tc, abort_is_safe_at_any_point);
	tcase_add_test(tc, unsyncable_outputs_commit);
	tcase_add_test(tc, refuses_terminal);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
