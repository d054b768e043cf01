/* Whole-file reads with a bound, and atomic replacement (temp file, fsync,
 * rename, fsync of the directory) so a crash leaves the old or the new file,
 * never half of one. Shared by the state and the stats files. */
#ifndef SMB_FILE_H
#define SMB_FILE_H

#include <stddef.h>

/* printf at buf + *off, advancing *off; -ENOSPC (and nothing counted) when
 * it does not fit in len. For building a file's text before writing it. */
int file_appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reads all of path into buf; -EFBIG when it holds cap bytes or more. */
int file_read(const char *path, char *buf, size_t cap, size_t *len);
/* Replaces DIR/NAME with buf atomically. 0 or negative errno. */
int file_write_atomic(const char *dir, const char *name, const char *buf, size_t len);
/* Renames DIR/NAME to DIR/NAME.bad (replacing an older one). */
int file_set_aside(const char *dir, const char *name);

#endif
