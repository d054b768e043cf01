/* Bounded reads, loads that set a corrupt file aside, and atomic writes of the
 * daemon's small files. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int file_appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return -ENOSPC;
	*off += (size_t)n;
	return 0;
}

/* Opens path for reading without blocking (a FIFO must not hang the
 * daemon) and takes only a regular file: -EISDIR for a directory, -EINVAL
 * for anything else that is not a regular file, -ELOOP for a symbolic link
 * when flags has O_NOFOLLOW. */
static int open_regular(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return r;
	}
	return fd;
}

static int read_fd(int fd, size_t max, char **text, size_t *len)
{
	size_t n = 0;
	char *buf;
	int r = 0;

	buf = max < SIZE_MAX ? malloc(max + 1) : NULL;
	if (!buf)
		return -ENOMEM;
	/* Read one byte past the limit to tell a file at the limit from a larger one. */
	while (n <= max) {
		ssize_t got = read(fd, buf + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (r == 0 && n > max)
		r = -EFBIG;
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int file_read_all(const char *path, size_t max, char **text, size_t *len)
{
	int fd = open_regular(path, 0), r;

	if (fd < 0)
		return fd;
	r = read_fd(fd, max, text, len);
	close(fd);
	return r;
}

/* Renames path to bad, or, when something that rename cannot replace is in
 * the way (a directory), to bad.1 .. bad.9. */
static int set_aside(const char *path, const char *bad)
{
	char alt[4096 + 8];

	if (rename(path, bad) == 0)
		return 0;
	for (int i = 1; i <= 9; i++) {
		snprintf(alt, sizeof(alt), "%s.%d", bad, i);
		if (rename(path, alt) == 0)
			return 0;
	}
	return -errno;
}

static int load(const char *dir, const char *name, size_t max, file_parse_fn parse, void *out,
                char *err, size_t errlen, bool keep_bad)
{
	char path[4096], bad[4096];
	char *text = NULL;
	size_t len = 0;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open_regular(path, O_NOFOLLOW);
	if (fd == -ENOENT)
		return 0;
	if (fd == -ELOOP || fd == -EISDIR || fd == -EINVAL || fd == -ENXIO) {
		snprintf(err, errlen, "%s",
		         fd == -ELOOP    ? "a symbolic link, not a file"
		         : fd == -EISDIR ? "a directory, not a file"
		                         : "not a regular file");
		r = 1;
	} else if (fd < 0) {
		return fd;
	} else {
		r = read_fd(fd, max, &text, &len);
		close(fd);
		if (r == -EFBIG)
			snprintf(err, errlen, "larger than %zu bytes", max);
		else if (r < 0)
			return r;
		else
			r = parse(text, len, out, err, errlen);
		free(text);
		if (r == 0 || r == -ENOMEM)
			return r;
	}
	if (!keep_bad)
		return 1;
	snprintf(bad, sizeof(bad), "%s/%s.bad", dir, name);
	r = set_aside(path, bad);
	return r < 0 ? r : 1;
}

int file_load(const char *dir, const char *name, size_t max, file_parse_fn parse, void *out,
              char *err, size_t errlen)
{
	return load(dir, name, max, parse, out, err, errlen, true);
}

int file_peek(const char *dir, const char *name, size_t max, file_parse_fn parse, void *out,
              char *err, size_t errlen)
{
	return load(dir, name, max, parse, out, err, errlen, false);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int file_write_atomic(const char *dir, const char *name, const char *buf, size_t len)
{
	char path[4096], tmp[4096];
	int fd, dfd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	/* The rename is durable only once the directory is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = fsync(dfd) < 0 ? -errno : 0;
	close(dfd);
	return r;
}
