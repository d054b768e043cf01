/* Whole-file reads with a bound, loading a file that may be corrupt (set aside
 * as NAME.bad, never half-used), and atomic replacement (temp file, fsync,
 * rename, fsync of the directory) so a crash leaves the old or the new file,
 * never half of one. Shared by the config, the state, the stats and resolv. */
#ifndef SMB_FILE_H
#define SMB_FILE_H

#include <stddef.h>

/* printf at buf + *off, advancing *off; -ENOSPC (and nothing counted) when
 * it does not fit in len. For building a file's text before writing it. */
int file_appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reads all of path into a new buffer (*text, NUL-terminated, freed by the
 * caller) of *len bytes. A regular file of up to max bytes is read; a larger
 * one is -EFBIG, a directory -EISDIR, anything else that is not a regular
 * file (a FIFO, a device) -EINVAL, never waited on; otherwise 0 or a
 * negative errno, and *text is set only on success. */
int file_read_all(const char *path, size_t max, char **text, size_t *len);

/* Parses a file's text into out; 0, or negative with a reason in err. */
typedef int (*file_parse_fn)(const char *text, size_t len, void *out, char *err, size_t errlen);
/* Loads DIR/NAME (at most max bytes) through parse. Returns 0 when it parsed
 * or does not exist (out is then as parse or the caller left it); 1 when it
 * was larger than max, did not parse, or is not a regular file (a symbolic
 * link is not followed; a directory or FIFO is not read): it is renamed to
 * DIR/NAME.bad (replacing an older file; NAME.bad.1 .. 9 when a directory is
 * in the way) so that a person can look at it, and err says why;
 * a negative errno when it cannot be read or set aside, or -ENOMEM from
 * parse (a good file is not set aside for want of memory). */
int file_load(const char *dir, const char *name, size_t max, file_parse_fn parse, void *out,
              char *err, size_t errlen);
/* file_load that leaves a bad file where it is (returning 1 all the same):
 * for a look before the one that owns the file loads it. */
int file_peek(const char *dir, const char *name, size_t max, file_parse_fn parse, void *out,
              char *err, size_t errlen);
/* Replaces DIR/NAME with buf atomically. 0 or negative errno. */
int file_write_atomic(const char *dir, const char *name, const char *buf, size_t len);

#endif
