/* hosts(5): the names a machine resolves without DNS. Someone who adds
 * "157.240.1.35 www.instagram.com" to /etc/hosts during a break reaches the
 * site without asking the forwarder; the daemon learns such lines as it
 * learns answers (dns_hosts.c). Pure: parses the text it is given. */
#ifndef SMB_HOSTS_H
#define SMB_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#define HOSTS_PATH_DEFAULT "/etc/hosts"
#define HOSTS_FILE_MAX     (32u << 20) /* larger files are not read (ad-block lists run to ~5 MB) */
#define HOSTS_NAME_MAX     253

/* One name of a line with its address (4 or 16 bytes); name is not
 * NUL-terminated and is as written (any case, a trailing dot kept). */
typedef void (*hosts_entry_fn)(void *ctx, int family, const uint8_t *addr, const char *name,
                               size_t len);

/* Calls fn for every name of every line, in file order, the way glibc reads
 * the file: `#` starts a comment anywhere; fields are separated by blanks
 * (spaces, tabs; CR is a blank too); the first field is an IPv4 dotted quad
 * or an IPv6 address and the others are names. Skipped: lines whose address
 * does not parse (an IPv6 address with a %scope included: glibc refuses it
 * too), names longer than HOSTS_NAME_MAX or holding a NUL byte. Returns
 * the number of lines skipped for a bad address. */
size_t hosts_parse(const char *text, size_t len, hosts_entry_fn fn, void *ctx);

#endif
