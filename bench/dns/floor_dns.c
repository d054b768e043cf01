/* The floor of bench/dns/run.sh: the least a DNS server on UDP sockets can do
 * on this machine, so that smbreakd's figures can be read against the kernel's
 * own cost rather than only against other daemons.
 *
 *   bench_dns_floor echo ADDR            answers every query itself (QR set,
 *                                        the question echoed): a cache hit
 *                                        with no cache, recvmmsg/sendmmsg in
 *                                        batches of 64, as smbreakd reads and
 *                                        answers;
 *   bench_dns_floor relay ADDR UPSTREAM  forwards every query to UPSTREAM:53
 *                                        over one connected socket and its
 *                                        answer back (ids are not rewritten:
 *                                        one client at a time), with the same
 *                                        wake-ups a forwarder has and no work.
 *
 * Both listen on ADDR:53, single-threaded, epoll. Not a DNS server: no
 * checks, no timeouts, no state beyond the last client of each id. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define PKT   1232

static uint8_t buf[BATCH][PKT];
static struct sockaddr_in from[BATCH];
static struct iovec iov[BATCH];
static struct mmsghdr msg[BATCH];
static struct sockaddr_in client_of[65536];

static int udp_socket(const char *addr, int bind_it)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    (bind_it ? bind(fd, (struct sockaddr *)&sa, sizeof(sa))
	             : connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0) {
		perror(addr);
		exit(1);
	}
	return fd;
}

static void batch_reset(void)
{
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){buf[i], PKT};
		msg[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
		                                 .msg_namelen = sizeof(from[i]),
		                                 .msg_iov = &iov[i],
		                                 .msg_iovlen = 1};
	}
}

/* Every datagram waiting on fd, answered in place: QR set, RA set. */
static void echo(int fd)
{
	int n;

	batch_reset();
	while ((n = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL)) > 0) {
		for (int i = 0; i < n; i++) {
			buf[i][2] |= 0x80;
			buf[i][3] |= 0x80;
			iov[i].iov_len = msg[i].msg_len;
		}
		(void)!sendmmsg(fd, msg, (unsigned)n, MSG_DONTWAIT);
		if (n < BATCH)
			return;
		batch_reset();
	}
}

static void relay_queries(int fd, int up)
{
	int n;

	batch_reset();
	while ((n = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL)) > 0) {
		for (int i = 0; i < n; i++) {
			if (msg[i].msg_len < 12)
				continue;
			client_of[buf[i][0] << 8 | buf[i][1]] = from[i];
			(void)!send(up, buf[i], msg[i].msg_len, MSG_DONTWAIT);
		}
		if (n < BATCH)
			return;
		batch_reset();
	}
}

static void relay_answers(int fd, int up)
{
	ssize_t n;

	while ((n = recv(up, buf[0], PKT, MSG_DONTWAIT)) >= 12) {
		struct sockaddr_in *to = &client_of[buf[0][0] << 8 | buf[0][1]];
		(void)!sendto(fd, buf[0], (size_t)n, MSG_DONTWAIT, (struct sockaddr *)to,
		              sizeof(*to));
	}
}

int main(int argc, char **argv)
{
	int relay = argc == 4 && !strcmp(argv[1], "relay");

	if (!relay && !(argc == 3 && !strcmp(argv[1], "echo"))) {
		fprintf(stderr, "usage: bench_dns_floor echo ADDR | relay ADDR UPSTREAM\n");
		return 2;
	}
	int fd = udp_socket(argv[2], 1), up = relay ? udp_socket(argv[3], 0) : -1;
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ||
	    (relay && epoll_ctl(ep, EPOLL_CTL_ADD, up, &(struct epoll_event){EPOLLIN, {.fd = up}})))
		return perror("epoll"), 1;
	for (;;) {
		struct epoll_event got[2];
		int n = epoll_wait(ep, got, 2, -1);
		for (int i = 0; i < n; i++) {
			if (!relay)
				echo(fd);
			else if (got[i].data.fd == fd)
				relay_queries(fd, up);
			else
				relay_answers(fd, up);
		}
	}
}
