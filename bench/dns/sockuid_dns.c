/* The forwarder's extra cost per query during a break for some users, both
 * ways dns.c's sender_lists knows the sender: a UDP query's mark (set by the
 * output hook, read with SO_RCVMARK: datagrams received in batches of 32
 * with and without reading the mark), and the sock_diag lookup TCP and
 * unmarked queries take (getsockname of the listener, then one lookup),
 * over real sockets on loopback. Without a break naming users the forwarder
 * does neither, so that figure is 0. See BENCHMARKS.md, "Per-user breaks".
 *
 *   bench_dns_sockuid [--n N] [--sockets K]
 *
 * K other UDP sockets are opened first (a busy machine's hash table). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_RCVMARK
#define SO_RCVMARK 75
#endif

#include "sockuid.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int udp_on(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0)
		return -1;
	return fd;
}

#define BATCH 32

/* ns per datagram to receive n datagrams of 40 bytes in batches, reading
 * each one's mark when `marks`. */
static double recv_cost(int rfd, int sfd, const struct sockaddr_in *to, long n, bool marks)
{
	static uint8_t buf[BATCH][64], ctl[BATCH][CMSG_SPACE(sizeof(uint32_t))];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	uint8_t q[40] = {0};
	uint64_t sum = 0;
	double spent = 0;
	int on = marks;

	setsockopt(rfd, SOL_SOCKET, SO_RCVMARK, &on, sizeof(on));
	for (long done = 0; done < n; done += BATCH) {
		for (int i = 0; i < BATCH; i++)
			sendto(sfd, q, sizeof(q), 0, (const struct sockaddr *)to, sizeof(*to));
		memset(m, 0, sizeof(m));
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
			if (marks) {
				m[i].msg_hdr.msg_control = ctl[i];
				m[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
			}
		}
		double t0 = now_ns();
		int got = 0;
		while (got < BATCH) {
			int r = recvmmsg(rfd, m + got, BATCH - got, 0, NULL);
			if (r <= 0)
				break;
			got += r;
		}
		for (int i = 0; marks && i < got; i++)
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&m[i].msg_hdr); c;
			     c = CMSG_NXTHDR(&m[i].msg_hdr, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_MARK) {
					uint32_t v;
					memcpy(&v, CMSG_DATA(c), sizeof(v));
					sum += v;
				}
		spent += now_ns() - t0;
	}
	if (marks && !sum)
		fprintf(stderr, "bench_dns_sockuid: no marks read\n");
	return spent / (double)n;
}

int main(int argc, char **argv)
{
	long n = 200000, k = 1000;
	struct sockaddr_in srv, cli;
	struct sockaddr_storage peer, local;
	struct sockuid *s;
	uint32_t uid = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--n") == 0)
			n = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--sockets") == 0)
			k = atol(argv[i + 1]);
	}
	for (long i = 0; i < k; i++) {
		struct sockaddr_in x;
		if (udp_on(&x) < 0)
			break;
	}
	int lfd = udp_on(&srv), cfd = udp_on(&cli);
	if (lfd < 0 || cfd < 0 || connect(cfd, (struct sockaddr *)&srv, sizeof(srv)) < 0 ||
	    sockuid_new(&s) < 0) {
		perror("bench_dns_sockuid: setup");
		return 1;
	}
	memcpy(&peer, &cli, sizeof(cli));
	if (sockuid_lookup(s, IPPROTO_UDP, &peer, (struct sockaddr_storage *)&srv, &uid) < 0 ||
	    uid != getuid()) {
		fprintf(stderr, "bench_dns_sockuid: the lookup does not find the client\n");
		return 1;
	}
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		socklen_t len = sizeof(local);
		getsockname(lfd, (struct sockaddr *)&local, &len);
		sockuid_lookup(s, IPPROTO_UDP, &peer, &local, &uid);
	}
	double per = (now_ns() - t0) / (double)n;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		sockuid_lookup(s, IPPROTO_UDP, &peer, (struct sockaddr_storage *)&srv, &uid);
	double diag = (now_ns() - t0) / (double)n;
	peer.ss_family = AF_INET;
	((struct sockaddr_in *)&peer)->sin_port = htons(9); /* nobody: another machine's */
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		sockuid_lookup(s, IPPROTO_UDP, &peer, (struct sockaddr_storage *)&srv, &uid);
	double miss = (now_ns() - t0) / (double)n;
	/* the mark: a sender whose datagrams carry one, as the output rule sets */
	struct sockaddr_in rcv;
	int rfd = udp_on(&rcv), sfd = socket(AF_INET, SOCK_DGRAM, 0);
	uint32_t mark = 0x80000000u | 1000u;
	setsockopt(sfd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	double plain = 0, marked = 0;
	for (int round = 0; round < 3; round++) { /* interleaved, against drift */
		plain += recv_cost(rfd, sfd, &rcv, n / 3, false);
		marked += recv_cost(rfd, sfd, &rcv, n / 3, true);
	}
	printf("receiving a query: %.0f ns, with its mark read: %.0f ns (%+.0f ns)\n", plain / 3,
	       marked / 3, (marked - plain) / 3);
	printf("sender lookup per query (getsockname + sock_diag): %.0f ns\n", per);
	printf("  of which sock_diag: %.0f ns; a sender with no local socket: %.0f ns\n", diag,
	       miss);
	printf("  (%ld lookups, %ld other UDP sockets open; without a break naming users: 0 ns)\n",
	       n, k);
	sockuid_free(s);
	return 0;
}
