/* listenfd: real sockets placed at fds 3 and 4 as systemd passes them, then
 * taken by address and type, with the environment checks around them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../daemon/listenfd.h"
#include "check.h"

static struct sockaddr_in addr4(const char *ip, unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct value_addr conf4(const char *ip, unsigned port)
{
	struct value_addr c = {.len = sizeof(struct sockaddr_in)};
	struct sockaddr_in a = addr4(ip, port);
	memcpy(&c.ss, &a, sizeof(a));
	return c;
}

/* A socket bound to 127.0.0.1 on a free port, moved to fd `at`; its port. */
static unsigned bound_at(int type, int at)
{
	struct sockaddr_in a = addr4("127.0.0.1", 0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 8) < 0) ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0 || (fd != at && dup2(fd, at) < 0)) {
		perror("socket setup");
		exit(2);
	}
	if (fd != at)
		close(fd);
	return ntohs(a.sin_port);
}

static void set_env(const char *pid, const char *n)
{
	char buf[32];

	if (pid && pid[0] == '=') {
		snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		pid = buf;
	}
	if (pid)
		setenv("LISTEN_PID", pid, 1);
	else
		unsetenv("LISTEN_PID");
	if (n)
		setenv("LISTEN_FDS", n, 1);
	else
		unsetenv("LISTEN_FDS");
}

int main(void)
{
	struct listenfd lf;
	char desc[96];
	size_t i = 0;
	unsigned udp_port = bound_at(SOCK_DGRAM, 3), tcp_port = bound_at(SOCK_STREAM, 4);
	struct value_addr udp_a = conf4("127.0.0.1", udp_port), tcp_a = conf4("127.0.0.1", tcp_port);
	struct value_addr other = conf4("127.0.0.2", udp_port);

	/* Not activated: nothing, and no error. */
	set_env(NULL, NULL);
	CHECK_INT(listenfd_init(&lf), 0);
	CHECK_INT(lf.n, 0);
	CHECK_INT(listenfd_take(&lf, &udp_a, SOCK_DGRAM), -ENOENT);

	/* Variables meant for another process (our parent's): ignored, and unset. */
	set_env("1", "2");
	CHECK_INT(listenfd_init(&lf), 0);
	CHECK_INT(lf.n, 0);
	CHECK(getenv("LISTEN_FDS") == NULL);

	/* Garbage: an error, the fds untouched. */
	set_env("=", "2x");
	CHECK_INT(listenfd_init(&lf), -EINVAL);
	CHECK_INT(lf.n, 0);
	set_env("=", "-1");
	CHECK_INT(listenfd_init(&lf), -EINVAL);
	set_env("=", "999");
	CHECK_INT(listenfd_init(&lf), -EINVAL);
	CHECK(fcntl(3, F_GETFD) == 0); /* still without close-on-exec */

	/* Ours: both sockets, close-on-exec, the variables gone. */
	set_env("=", "2");
	CHECK_INT(listenfd_init(&lf), 0);
	CHECK_INT(lf.n, 2);
	CHECK(getenv("LISTEN_PID") == NULL && getenv("LISTEN_FDS") == NULL);
	CHECK(fcntl(3, F_GETFD) & FD_CLOEXEC);

	/* Taken by exact address and type only. */
	CHECK_INT(listenfd_take(&lf, &other, SOCK_DGRAM), -ENOENT);
	CHECK_INT(listenfd_take(&lf, &tcp_a, SOCK_DGRAM), -ENOENT);
	CHECK_INT(listenfd_take(&lf, &udp_a, SOCK_STREAM), udp_port == tcp_port ? 4 : -ENOENT);
	int fd = listenfd_take(&lf, &udp_a, SOCK_DGRAM);
	CHECK_INT(fd, 3);
	CHECK(fcntl(3, F_GETFL) & O_NONBLOCK);
	/* Once only. */
	CHECK_INT(listenfd_take(&lf, &udp_a, SOCK_DGRAM), -ENOENT);

	/* What nothing took is named and closed. */
	char want[64];
	snprintf(want, sizeof(want), "127.0.0.1:%u (TCP)", tcp_port);
	if (udp_port != tcp_port) {
		CHECK_INT(listenfd_close_unused(&lf, &i, desc, sizeof(desc)), 1);
		CHECK_STR(desc, want);
		CHECK(fcntl(4, F_GETFD) < 0 && errno == EBADF);
	}
	CHECK_INT(listenfd_close_unused(&lf, &i, desc, sizeof(desc)), 0);
	CHECK(fcntl(3, F_GETFD) >= 0); /* the taken one is the caller's */
	close(3);
	CHECK_DONE();
}
