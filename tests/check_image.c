/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	tcase_add_test(tc, output_is_atomic);
	tcase_add_test(tc, output_to_a_fifo_stays_a_fifo);
	tcase_add_test(tc, refuses_terminal);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
