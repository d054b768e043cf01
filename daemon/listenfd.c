/* systemd's socket-activation protocol, the receiving side: LISTEN_PID names
 * us, LISTEN_FDS counts the sockets from fd 3 on. Small enough to write here
 * rather than link libsystemd for sd_listen_fds. */
#include "listenfd.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LISTENFD_FIRST 3

static int parse_uint(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int listenfd_init(struct listenfd *lf)
{
	const char *pid_s = getenv("LISTEN_PID"), *n_s = getenv("LISTEN_FDS");
	unsigned long pid, n;
	int r = 0;

	lf->n = 0;
	if (!pid_s && !n_s)
		return 0;
	if (parse_uint(pid_s, &pid) < 0 || parse_uint(n_s, &n) < 0 || n > LISTENFD_MAX) {
		r = -EINVAL;
		goto out;
	}
	if (pid != (unsigned long)getpid())
		goto out;
	for (unsigned long i = 0; i < n; i++) {
		int fd = LISTENFD_FIRST + (int)i;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			lf->fd[lf->n++] = -1; /* not open: nothing to take */
			continue;
		}
		lf->fd[lf->n++] = fd;
	}
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return r;
}

/* Address and port only: a socket's name may differ from a parsed address
 * in padding, flow label or scope. */
static bool same_addr(const struct sockaddr_storage *x, const struct sockaddr_storage *y)
{
	if (x->ss_family != y->ss_family)
		return false;
	if (x->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)x;
		const struct sockaddr_in *b = (const struct sockaddr_in *)y;
		return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (x->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)x;
		const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)y;
		return a->sin6_port == b->sin6_port &&
		       memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
	}
	return false;
}

static int sock_type(int fd)
{
	int t = 0;
	socklen_t len = sizeof(t);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) < 0 ? -1 : t;
}

int listenfd_take(struct listenfd *lf, const struct value_addr *a, int type)
{
	for (size_t i = 0; i < lf->n; i++) {
		struct value_addr name = {.len = sizeof(name.ss)};
		int fl, fd = lf->fd[i];

		if (fd < 0 || sock_type(fd) != type ||
		    getsockname(fd, (struct sockaddr *)&name.ss, &name.len) < 0 ||
		    !same_addr(&name.ss, &a->ss))
			continue;
		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			return -errno;
		lf->fd[i] = -1;
		return fd;
	}
	return -ENOENT;
}

static void describe(int fd, char *buf, size_t len)
{
	struct value_addr name = {.len = sizeof(name.ss)};
	char addr[INET6_ADDRSTRLEN + 8];
	int t = sock_type(fd);
	const char *kind = t == SOCK_DGRAM ? "UDP" : t == SOCK_STREAM ? "TCP" : "socket";

	if (getsockname(fd, (struct sockaddr *)&name.ss, &name.len) < 0 ||
	    (name.ss.ss_family != AF_INET && name.ss.ss_family != AF_INET6)) {
		snprintf(buf, len, "fd %d (%s)", fd, kind);
		return;
	}
	value_addr_format(&name, addr, sizeof(addr));
	snprintf(buf, len, "%s (%s)", addr, kind);
}

int listenfd_close_unused(struct listenfd *lf, size_t *i, char *desc, size_t desc_len)
{
	for (; *i < lf->n; (*i)++) {
		if (lf->fd[*i] < 0)
			continue;
		describe(lf->fd[*i], desc, desc_len);
		close(lf->fd[*i]);
		lf->fd[(*i)++] = -1;
		return 1;
	}
	return 0;
}
