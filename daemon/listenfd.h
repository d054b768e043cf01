/* Sockets handed over by systemd socket activation (smbreakd.socket). The
 * DNS listener whose address matches takes one, so that the service needs no
 * right to bind port 53, and queries sent while the daemon restarts wait in
 * the socket instead of being refused. */
#ifndef SMB_LISTENFD_H
#define SMB_LISTENFD_H

#include <stddef.h>

#include "conf.h"

#define LISTENFD_MAX 32 /* more than CONF_LISTEN_MAX addresses times UDP and TCP */

struct listenfd {
	int fd[LISTENFD_MAX]; /* -1 once taken or closed */
	size_t n;
};

/* Reads LISTEN_PID and LISTEN_FDS (the sockets are fds 3..3+n-1) and unsets
 * them, so that nothing the daemon starts mistakes them for its own. No
 * variables, or variables for another process: n = 0. Returns 0 or -EINVAL
 * for variables that do not parse (the fds are then left alone). */
int listenfd_init(struct listenfd *lf);
/* The inherited socket of `type` (SOCK_DGRAM, SOCK_STREAM) bound to exactly
 * this address, now nonblocking and close-on-exec and the caller's to close;
 * -ENOENT when there is none. */
int listenfd_take(struct listenfd *lf, const struct value_addr *a, int type);
/* Describes the socket at index i that nothing took ("127.0.0.1:5353 (UDP)"),
 * closes it and returns 1; 0 once past the end. Lets main warn about each. */
int listenfd_close_unused(struct listenfd *lf, size_t *i, char *desc, size_t desc_len);

#endif
