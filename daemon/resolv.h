/* `upstream = auto`: the system's real resolvers, read from resolv.conf(5) the
 * way glibc reads it, minus every address that would send our queries back to
 * us. Pure apart from reading the one file it is given and looking up the
 * interface of a %scope; never logs. */
#ifndef SMB_RESOLV_H
#define SMB_RESOLV_H

#include <stddef.h>

#include "conf.h"

/* systemd-resolved writes the real upstreams here; /etc/resolv.conf then
 * usually names only its stub at 127.0.0.53. */
#define RESOLV_PATH_RESOLVED "/run/systemd/resolve/resolv.conf"
#define RESOLV_PATH_DEFAULT  "/etc/resolv.conf"
#define RESOLV_FILE_MAX      (64 * 1024) /* larger files are refused (-EFBIG) */
#define RESOLV_PORT          53
#define RESOLV_NOTES_MAX     16 /* notes kept in a report; more are only counted */
#define RESOLV_VALUE_MAX     63 /* bytes of the offending value kept in a note */

enum resolv_note_kind {
	RESOLV_NOTE_MALFORMED,  /* a nameserver line whose address does not parse */
	RESOLV_NOTE_LINK_LOCAL, /* fe80::/10 without a %scope: unusable */
	RESOLV_NOTE_LOOP,       /* would reach this daemon or resolved's stub */
	RESOLV_NOTE_DUPLICATE,  /* same address as an earlier line */
	RESOLV_NOTE_TOO_MANY,   /* beyond the `max` the caller asked for */
};

/* One skipped nameserver line: which line, why, and what it said. */
struct resolv_note {
	enum resolv_note_kind kind;
	unsigned line; /* 1-based */
	char value[RESOLV_VALUE_MAX + 1];
};

/* What a parse skipped, for the caller to log once. `path` is set by
 * resolv_load to the file it read (a static string or the caller's) and kept
 * by resolv_parse, which clears the rest: set it, or NULL, before calling
 * resolv_parse directly. */
struct resolv_report {
	const char *path;
	unsigned nameserver_lines; /* `nameserver` lines seen, used or not */
	struct resolv_note notes[RESOLV_NOTES_MAX];
	size_t n_notes;
	size_t dropped; /* notes beyond RESOLV_NOTES_MAX */
};

/* Parses `len` bytes of resolv.conf text (no NUL needed; LF or CRLF lines)
 * and writes up to `max` upstreams to out[0..*n), in file order, port 53.
 *
 * As glibc: only lines starting with `nameserver` followed by a blank count;
 * the address is the next word (up to a blank, `#` or `;`) and the rest of the
 * line is ignored; `#` and `;` lines, `search`, `options` and unknown keywords
 * are ignored. IPv4 is a dotted quad; IPv6 may carry `%scope` (an interface
 * name, looked up with if_nametoindex, or a number).
 *
 * Skipped, each with a note in rep (which may be NULL): malformed addresses,
 * link-local IPv6 without a scope, duplicates, entries beyond `max`, and loops:
 * 127.0.0.53 and 127.0.0.54 (systemd-resolved's stubs), the unspecified
 * address (this host), an address equal to one in skip[] whose port is 53, and
 * any loopback address when skip[] has a wildcard (0.0.0.0 or ::) on port 53.
 * IPv4-mapped IPv6 addresses compare as IPv4. A caller that listens on a
 * wildcard and wants the machine's other addresses skipped passes them too.
 *
 * Returns 0 with *n >= 1; -ENODATA when no usable nameserver is left (the
 * report and resolv_describe say why); -EINVAL for bad arguments. */
int resolv_parse(const char *text, size_t len, const struct value_addr *skip, size_t n_skip,
                 struct value_addr *out, size_t max, size_t *n, struct resolv_report *rep);

/* Reads the first file of paths[0..n_paths) that exists and parses it as
 * resolv_parse does; rep->path names the file read. A missing file moves on to
 * the next; any other read error stops. Returns as resolv_parse, or -ENOENT
 * when none exists, -EFBIG above RESOLV_FILE_MAX, or the negative errno of
 * the failed open or read. */
int resolv_load_from(const char *const *paths, size_t n_paths, const struct value_addr *skip,
                     size_t n_skip, struct value_addr *out, size_t max, size_t *n,
                     struct resolv_report *rep);

/* resolv_load_from with `path` alone, or with RESOLV_PATH_RESOLVED then
 * RESOLV_PATH_DEFAULT when path is NULL. */
int resolv_load(const char *path, const struct value_addr *skip, size_t n_skip,
                struct value_addr *out, size_t max, size_t *n, struct resolv_report *rep);

/* One line for a note: "PATH:LINE: nameserver VALUE skipped: WHY" (PATH is
 * "resolv.conf" when the report has none). Always NUL-terminated if len > 0. */
void resolv_note_format(const struct resolv_report *rep, const struct resolv_note *note, char *buf,
                        size_t len);

/* One line for the outcome of resolv_parse/resolv_load returning rc, the
 * message to log or show when upstream = auto fails: "PATH: no nameserver
 * line", "PATH: no usable nameserver (2 loops, 1 malformed)", "PATH: No such
 * file or directory", or "PATH: 2 upstreams" on success. */
void resolv_describe(int rc, const struct resolv_report *rep, size_t n, char *buf, size_t len);

#endif
