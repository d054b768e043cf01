/* systemd's socket-activation protocol, the receiving side: LISTEN_PID names
 * us, LISTEN_FDS counts the sockets from fd 3 on. Small enough to write here
 * rather than link libsystemd for sd_listen_fds. */
#include "listenfd.h"

#include <arpa/inet.h>
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

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b, socklen_t blen)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET && blen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (b->sa_family == AF_INET6 && blen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

int listenfd_take(struct listenfd *lf, const struct sockaddr *sa, socklen_t len, int type)
{
	for (size_t i = 0; i < lf->n; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int t, fl;
		socklen_t tlen = sizeof(t);

		if (lf->fd[i] < 0)
			continue;
		if (getsockopt(lf->fd[i], SOL_SOCKET, SO_TYPE, &t, &tlen) < 0 || t != type ||
		    getsockname(lf->fd[i], (struct sockaddr *)&ss, &sslen) < 0 ||
		    !same_addr(&ss, sa, len))
			continue;
		fl = fcntl(lf->fd[i], F_GETFL);
		if (fl < 0 || fcntl(lf->fd[i], F_SETFL, fl | O_NONBLOCK) < 0)
			return -errno;
		int fd = lf->fd[i];
		lf->fd[i] = -1;
		return fd;
	}
	return -ENOENT;
}

static void describe(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	int t = 0;
	socklen_t tlen = sizeof(t);
	const char *kind;
	unsigned port = 0;

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &tlen);
	kind = t == SOCK_DGRAM ? "UDP" : t == SOCK_STREAM ? "TCP" : "socket";
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		snprintf(buf, len, "fd %d (%s)", fd, kind);
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
		snprintf(buf, len, "%s:%u (%s)", ip, port, kind);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
		snprintf(buf, len, "[%s]:%u (%s)", ip, port, kind);
	} else {
		snprintf(buf, len, "fd %d (%s, family %d)", fd, kind, ss.ss_family);
	}
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
