/* SPDX-License-Identifier: MIT */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- input ---- */

static int too_large(const struct ub_input *in, uint64_t max, const char *what,
		     struct ub_err *err)
{
	return ub_fail(err, UB_EUSAGE, "%s is larger than %s (%" PRIu64 " bytes)", in->name,
		       what ? what : "the device", max);
}

/*
 * Copy input of unknown size to a temporary file, stopping past max bytes.
 * read(2), not stdio, so that no more than max + 1 bytes are taken from it.
 */
static int spool(int from, uint64_t max, const char *what, struct ub_input *in,
		 struct ub_err *err)
{
	uint8_t buf[65536];

	in->f = tmpfile();
	if (!in->f)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot create a temporary file for %s", in->name);
	for (;;) {
		uint64_t room = max - in->size;
		ssize_t n = read(from, buf, room < sizeof(buf) ? (size_t)room + 1 : sizeof(buf));

		if (n < 0 && errno == EINTR)  /* a stop signal: the program reports it */
			return ub_fail(err, UB_EINTR, "interrupted while reading %s", in->name);
		if (n < 0)
			return ub_fail_errno(err, UB_EUSAGE, errno, "cannot read %s", in->name);
		if (n == 0)
			break;
		if ((uint64_t)n > room)
			return too_large(in, max, what, err);
		if (fwrite(buf, 1, (size_t)n, in->f) != (size_t)n)
			return ub_fail_errno(err, UB_EFAIL, errno, "cannot spool %s", in->name);
		in->size += (uint64_t)n;
	}
	if (fflush(in->f) != 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot spool %s", in->name);
	rewind(in->f);
	return 0;
}

static int open_file(const char *path, uint64_t max, const char *what, struct ub_input *in,
		     struct ub_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot open image '%s'", path);
	if (fstat(fd, &st) != 0) {
		rc = ub_fail_errno(err, UB_EUSAGE, errno, "cannot open image '%s'", path);
	} else if (S_ISDIR(st.st_mode)) {
		rc = ub_fail(err, UB_EUSAGE, "image '%s' is a directory", path);
	} else if (!S_ISREG(st.st_mode)) {
		rc = spool(fd, max, what, in, err);
	} else if ((uint64_t)st.st_size > max) {
		rc = too_large(in, max, what, err);
	} else if (!(in->f = fdopen(fd, "rb"))) {
		rc = ub_fail_errno(err, UB_EFAIL, errno, "cannot open image '%s'", path);
	} else {
		in->size = (uint64_t)st.st_size;
		return 0;
	}
	close(fd);
	return rc;
}

int ub_input_open_max(const char *path, uint64_t max, const char *what,
		      struct ub_input *in, struct ub_err *err)
{
	int rc;

	memset(in, 0, sizeof(*in));
	if (strcmp(path, "-") == 0) {
		snprintf(in->name, sizeof(in->name), "stdin");
		rc = spool(STDIN_FILENO, max, what, in, err);
	} else {
		snprintf(in->name, sizeof(in->name), "%s", path);
		rc = open_file(path, max, what, in, err);
	}
	if (rc == 0 && in->size == 0)
		rc = ub_fail(err, UB_EUSAGE, "image '%s' is empty", path);
	if (rc)
		ub_input_close(in);
	return rc;
}

int ub_input_open(const char *path, struct ub_input *in, struct ub_err *err)
{
	return ub_input_open_max(path, UINT64_MAX, NULL, in, err);
}

int ub_input_read(struct ub_input *in, uint8_t *buf, size_t len, struct ub_err *err)
{
	size_t n = fread(buf, 1, len, in->f);

	if (n != len)
		return ub_fail(err, UB_EUSAGE, "%s: %s", in->name,
			       ferror(in->f) ? strerror(errno) : "shorter than it was when opened");
	return 0;
}

int ub_input_rewind(struct ub_input *in, struct ub_err *err)
{
	if (!in->f)
		return ub_fail(err, UB_EFAIL, "cannot rewind %s: it is not open", in->name);
	if (fseek(in->f, 0, SEEK_SET) != 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot rewind %s", in->name);
	return 0;
}

void ub_input_close(struct ub_input *in)
{
	if (in->f)
		fclose(in->f);
	in->f = NULL;
}

/* ---- output ---- */

/* fsync, where the file can be synced at all (a pipe or /dev/null cannot). */
static int sync_fd(int fd)
{
	if (fsync(fd) == 0 || errno == EINVAL || errno == EROFS || errno == ENOTSUP)
		return 0;
	return -1;
}

/* Follow symlinks as a shell's > does, to a target that need not exist yet. */
static int resolve_links(const char *path, char *out, size_t cap, struct ub_err *err)
{
	char link[PATH_MAX];
	struct stat st;
	int hops;

	if (strlen(path) >= cap)
		return ub_fail(err, UB_EUSAGE, "output path too long");
	strcpy(out, path);
	for (hops = 0; lstat(out, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		ssize_t n = hops < 40 ? readlink(out, link, sizeof(link) - 1) : -1;
		char *slash = strrchr(out, '/');
		size_t dirlen;

		if (n < 0)
			return ub_fail_errno(err, UB_EUSAGE, hops < 40 ? errno : ELOOP,
					     "cannot follow the symlink '%s'", path);
		link[n] = '\0';
		dirlen = link[0] == '/' || !slash ? 0 : (size_t)(slash - out) + 1;
		if (dirlen + (size_t)n >= cap)
			return ub_fail(err, UB_EUSAGE, "output path too long");
		memcpy(out + dirlen, link, (size_t)n + 1);
	}
	return 0;
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

/* A file we replace: remember what to keep, and what a rename cannot keep. */
static void note_existing(struct ub_output *out, const struct stat *st)
{
	nlink_t others = st->st_nlink - 1;

	out->replaces = 1;
	out->uid = st->st_uid;
	out->gid = st->st_gid;
	out->mode = st->st_mode & 0777;
	if (others)
		snprintf(out->note, sizeof(out->note),
			 "'%s' has %ju other name%s (hard link%s), which keep%s the old contents",
			 out->path, (uintmax_t)others, others == 1 ? "" : "s",
			 others == 1 ? "" : "s", others == 1 ? "s" : "");
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
	if (!*path)
		return ub_fail(err, UB_EUSAGE, "the output file name is empty");
	if (resolve_links(path, out->path, sizeof(out->path), err))
		return -1;
	if (stat(out->path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return open_in_place(out, err);
		note_existing(out, &st);
	}
	if (strlen(out->path) + 8 > sizeof(out->tmp))
		return ub_fail(err, UB_EUSAGE, "output path too long");
	snprintf(out->tmp, sizeof(out->tmp), "%s.XXXXXX", out->path);
	fd = mkstemp(out->tmp);  /* 0600 */
	if (fd < 0)
		return ub_fail_errno(err, UB_EUSAGE, errno, "cannot create '%s'", out->path);
	out->f = fdopen(fd, "wb");
	if (!out->f) {
		int e = errno;

		close(fd);
		unlink(out->tmp);
		return ub_fail_errno(err, UB_EFAIL, e, "cannot open '%s'", out->tmp);
	}
	return 0;
}

int ub_output_write(struct ub_output *out, const uint8_t *buf, size_t len,
		    struct ub_err *err)
{
	if (!out->f)
		return ub_fail(err, UB_EFAIL, "cannot write %s: it is closed",
			       out->to_stdout ? "stdout" : out->path);
	if (fwrite(buf, 1, len, out->f) != len)
		return ub_fail_errno(err, UB_EFAIL, errno, "cannot write %s",
				     out->to_stdout ? "stdout" : out->path);
	return 0;
}

/*
 * The owner and group where we may (as root, or our own group), then the
 * mode; group bits only where the group is the old one, so that a rename
 * never opens the contents to another group.
 */
static void keep_identity(const struct ub_output *out, int fd)
{
	mode_t mode = out->mode;
	struct stat st;

	if (fchown(fd, out->uid, out->gid) != 0 && fchown(fd, (uid_t)-1, out->gid) != 0 &&
	    (fstat(fd, &st) != 0 || st.st_gid != out->gid))
		mode &= ~(mode_t)070;
	(void)fchmod(fd, mode);  /* on failure the file just stays 0600 */
}

static int sync_directory_of(const char *path)
{
	char dir[4096];
	char *slash;
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES ? 0 : -1;  /* a directory we may write but not open */
	rc = sync_fd(fd);
	close(fd);
	return rc;
}

static int commit_stream(struct ub_output *out, struct ub_err *err)
{
	const char *name = out->to_stdout ? "stdout" : out->path;
	int rc = fflush(out->f) != 0 || sync_fd(fileno(out->f)) != 0 ? -1 : 0;
	int e = errno;

	if (out->in_place && fclose(out->f) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	out->f = NULL;
	return rc ? ub_fail_errno(err, UB_EFAIL, e, "cannot write %s%s%s", out->to_stdout ? "" : "'",
				  name, out->to_stdout ? "" : "'") : 0;
}

int ub_output_commit(struct ub_output *out, struct ub_err *err)
{
	int e;

	if (!out->f)
		return ub_fail(err, UB_EFAIL, "cannot write %s: it is closed",
			       out->to_stdout ? "stdout" : out->path);
	if (out->to_stdout || out->in_place)
		return commit_stream(out, err);
	if (out->replaces)
		keep_identity(out, fileno(out->f));
	if (fflush(out->f) != 0 || fsync(fileno(out->f)) != 0) {
		e = errno;
		ub_output_abort(out);
		return ub_fail_errno(err, UB_EFAIL, e, "cannot write '%s'", out->path);
	}
	e = fclose(out->f) != 0 ? errno : 0;
	out->f = NULL;
	if (e || rename(out->tmp, out->path) != 0) {
		e = e ? e : errno;
		unlink(out->tmp);
		return ub_fail_errno(err, UB_EFAIL, e, "cannot write '%s'", out->path);
	}
	if (sync_directory_of(out->path) != 0)
		return ub_fail_errno(err, UB_EFAIL, errno, "'%s' is written, but its directory "
				     "cannot be synced", out->path);
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
