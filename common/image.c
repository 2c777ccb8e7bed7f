/* SPDX-License-Identifier: MIT */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int spool(FILE *from, struct ub_input *in, struct ub_err *err)
{
	uint8_t buf[65536];
	size_t n;

	in->f = tmpfile();
	if (!in->f)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot create a temporary file for %s", in->name);
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0) {
		if (fwrite(buf, 1, n, in->f) != n)
			return ub_fail_errno(err, UB_EFAIL, errno, "cannot spool %s", in->name);
		in->size += n;
	}
	if (ferror(from))
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot read %s", in->name);
	rewind(in->f);
	return 0;
}

int ub_input_open(const char *path, struct ub_input *in, struct ub_err *err)
{
	struct stat st;
	FILE *f;

	memset(in, 0, sizeof(*in));
	if (strcmp(path, "-") == 0) {
		snprintf(in->name, sizeof(in->name), "stdin");
		if (spool(stdin, in, err))
			return -1;
	} else {
		snprintf(in->name, sizeof(in->name), "%s", path);
		f = fopen(path, "rb");
		if (!f)
			return ub_fail_errno(err, UB_EUSAGE, errno, "cannot open image '%s'", path);
		if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
			fclose(f);
			return ub_fail(err, UB_EUSAGE, "image '%s' is a directory", path);
		}
		if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
			in->f = f;
			in->size = (uint64_t)st.st_size;
		} else {
			int rc = spool(f, in, err);

			fclose(f);
			if (rc)
				return -1;
		}
	}
	if (in->size == 0) {
		ub_input_close(in);
		return ub_fail(err, UB_EUSAGE, "image '%s' is empty", path);
	}
	return 0;
}

int ub_input_read(struct ub_input *in, uint8_t *buf, size_t len, struct ub_err *err)
{
	size_t n = fread(buf, 1, len, in->f);

	if (n != len)
		return ub_fail(err, UB_EUSAGE, "%s: %s", in->name,
			       ferror(in->f) ? strerror(errno) : "shorter than it was when opened");
	return 0;
}

void ub_input_close(struct ub_input *in)
{
	if (in->f)
		fclose(in->f);
	in->f = NULL;
}

/* mkstemp makes 0600; give the image the mode any new file of the user gets. */
static void make_like_new_file(int fd)
{
	mode_t mask = umask(0);

	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);  /* on failure the file just stays private */
}

/*
 * A device or FIFO (-o /dev/null, a named pipe) is written as it is: a
 * temporary file and rename would replace it with a regular file.
 */
static int open_in_place(struct ub_output *out, struct ub_err *err)
{
	out->f = fopen(out->path, "wb");
	if (!out->f)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot open '%s'", out->path);
	out->in_place = 1;
	return 0;
}

int ub_output_open(const char *path, struct ub_output *out, struct ub_err *err)
{
	struct stat st;
	int fd;

	memset(out, 0, sizeof(*out));
	if (!path || strcmp(path, "-") == 0) {
		if (isatty(STDOUT_FILENO))
			return ub_fail(err, UB_EUSAGE,
				       "refusing to write binary data to a terminal; use -o FILE or a pipe");
		out->f = stdout;
		out->to_stdout = 1;
		return 0;
	}
	if (strlen(path) + 8 > sizeof(out->tmp))
		return ub_fail(err, UB_EUSAGE, "output path too long");
	snprintf(out->path, sizeof(out->path), "%s", path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return open_in_place(out, err);
	snprintf(out->tmp, sizeof(out->tmp), "%s.XXXXXX", path);
	fd = mkstemp(out->tmp);
	if (fd < 0)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot create '%s'", path);
	make_like_new_file(fd);
	out->f = fdopen(fd, "wb");
	if (!out->f) {
		close(fd);
		unlink(out->tmp);
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot open '%s'", out->tmp);
	}
	return 0;
}

int ub_output_write(struct ub_output *out, const uint8_t *buf, size_t len,
		    struct ub_err *err)
{
	if (fwrite(buf, 1, len, out->f) != len)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot write %s",
				     out->to_stdout ? "stdout" : out->path);
	return 0;
}

int ub_output_commit(struct ub_output *out, struct ub_err *err)
{
	if (out->to_stdout) {
		if (fflush(stdout) != 0)
			return ub_fail_errno(err, UB_EFAIL, errno, "cannot write stdout");
		return 0;
	}
	if (out->in_place) {
		int rc = fclose(out->f);

		out->f = NULL;
		return rc ? ub_fail_errno(err, UB_EFAIL, errno, "cannot write '%s'", out->path) : 0;
	}
	if (fflush(out->f) != 0 || fsync(fileno(out->f)) != 0) {
		int e = errno;

		ub_output_abort(out);
		return ub_fail_errno(err, UB_EFAIL, e, "cannot write '%s'", out->path);
	}
	fclose(out->f);
	out->f = NULL;
	if (rename(out->tmp, out->path) != 0) {
		int e = errno;

		unlink(out->tmp);
		return ub_fail_errno(err, UB_EFAIL, e, "cannot rename to '%s'", out->path);
	}
	return 0;
}

void ub_output_abort(struct ub_output *out)
{
	if (out->to_stdout || !out->f)
		return;
	fclose(out->f);
	out->f = NULL;
	if (!out->in_place)
		unlink(out->tmp);
}
