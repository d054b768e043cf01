/* sockuid: the owner of a local socket by its addresses, for UDP (connected
 * and not), TCP, IPv4 and IPv6, asked of the running kernel. The sockets
 * are made by a child running as another uid when the test runs as root,
 * so the uid found is not merely our own. */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sockuid.h"

#define OTHER_UID 4242

static socklen_t fill(int family, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
	a->sin6_family = AF_INET6;
	a->sin6_port = htons((uint16_t)port);
	a->sin6_addr = in6addr_loopback;
	return sizeof(*a);
}

/* A child as `uid` opens a socket of type to srv (connected or, for UDP,
 * not), sends a byte and waits to be killed. */
static pid_t client(int type, bool connected, const struct sockaddr_storage *srv, socklen_t len,
                    uid_t uid)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (uid != getuid() && setresuid(uid, uid, uid) < 0)
		_exit(1);
	int fd = socket(srv->ss_family, type, 0);
	if (connected && connect(fd, (const struct sockaddr *)srv, len) < 0)
		_exit(2);
	if (connected ? send(fd, "x", 1, 0) < 0
	              : sendto(fd, "x", 1, 0, (const struct sockaddr *)srv, len) < 0)
		_exit(3);
	pause();
	_exit(0);
}

static void finish(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_udp(struct sockuid *s, int family, bool connected, uid_t uid)
{
	struct sockaddr_storage srv, peer;
	socklen_t len = fill(family, 0, &srv), plen = sizeof(peer);
	int fd = socket(family, SOCK_DGRAM, 0);
	uint32_t got = 99;
	char b;

	CHECK_INT(bind(fd, (struct sockaddr *)&srv, len), 0);
	getsockname(fd, (struct sockaddr *)&srv, &len);
	pid_t pid = client(SOCK_DGRAM, connected, &srv, len, uid);
	CHECK_INT(recvfrom(fd, &b, 1, 0, (struct sockaddr *)&peer, &plen), 1);
	CHECK_INT(sockuid_lookup(s, IPPROTO_UDP, &peer, &srv, &got), 0);
	CHECK_INT(got, uid);
	/* the same port over TCP has no socket */
	CHECK_INT(sockuid_lookup(s, IPPROTO_TCP, &peer, &srv, &got), -ENOENT);
	finish(pid);
	/* gone with its process */
	CHECK_INT(sockuid_lookup(s, IPPROTO_UDP, &peer, &srv, &got), -ENOENT);
	close(fd);
}

static void test_tcp(struct sockuid *s, int family, uid_t uid)
{
	struct sockaddr_storage srv, peer, local;
	socklen_t len = fill(family, 0, &srv), plen = sizeof(peer), llen = sizeof(local);
	int fd = socket(family, SOCK_STREAM, 0);
	uint32_t got = 99;

	CHECK_INT(bind(fd, (struct sockaddr *)&srv, len), 0);
	CHECK_INT(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&srv, &len);
	pid_t pid = client(SOCK_STREAM, true, &srv, len, uid);
	int c = accept(fd, (struct sockaddr *)&peer, &plen);
	CHECK(c >= 0);
	getsockname(c, (struct sockaddr *)&local, &llen);
	CHECK_INT(sockuid_lookup(s, IPPROTO_TCP, &peer, &local, &got), 0);
	CHECK_INT(got, uid);
	finish(pid);
	close(c);
	close(fd);
}

int main(void)
{
	struct sockuid *s = NULL;
	uid_t uid = getuid() == 0 ? OTHER_UID : getuid();
	struct sockaddr_storage a, b;
	uint32_t got;

	CHECK_INT(sockuid_new(&s), 0);
	if (!s)
		CHECK_DONE();
	for (int f = 0; f < 2; f++) {
		int family = f ? AF_INET6 : AF_INET;
		test_udp(s, family, true, uid);
		test_udp(s, family, false, uid);
		test_tcp(s, family, uid);
	}
	/* nobody there; and no family to ask about */
	fill(AF_INET, 9, &a);
	fill(AF_INET, 53, &b);
	CHECK_INT(sockuid_lookup(s, IPPROTO_UDP, &a, &b, &got), -ENOENT);
	memset(&a, 0, sizeof(a));
	CHECK_INT(sockuid_lookup(s, IPPROTO_UDP, &a, &b, &got), -ENOENT);
	sockuid_free(s);
	sockuid_free(NULL);
	CHECK_DONE();
}
