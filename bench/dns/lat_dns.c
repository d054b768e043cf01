/* Latency of DNS answers at a fixed query rate, for bench/dns/run.sh: sends one
 * A query per name of a file at RATE per second to one server over UDP, takes
 * the send time just before sendto and the receive time from the kernel's
 * socket timestamp (SO_TIMESTAMPNS, so that the client's own wake-up is not
 * counted), and prints percentiles. dnsperf only reports a mean.
 * Usage: bench_dns_lat ADDR PORT NAMES_FILE RATE SECONDS
 * Output: one line "sent N answered N lost N errors N p50 US p90 US p99 US
 * p999 US max US", errors being answers other than NOERROR. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_NS 1000000000LL

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t build_query(uint16_t id, const char *name, uint8_t *p)
{
	uint8_t hdr[12] = {(uint8_t)(id >> 8), (uint8_t)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	size_t o = sizeof(hdr);
	memcpy(p, hdr, o);
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[o++] = (uint8_t)l;
		memcpy(p + o, name, l);
		o += l;
		name += l + (dot ? 1 : 0);
	}
	p[o++] = 0;
	p[o++] = 0, p[o++] = 1; /* A */
	p[o++] = 0, p[o++] = 1; /* IN */
	return o;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

struct state {
	int fd;
	int64_t sent_at[65536];
	int64_t *lat;
	size_t answered, errors;
};

static void drain(struct state *s)
{
	for (;;) {
		uint8_t buf[4096];
		char cbuf[256];
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = cbuf,
		                    .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		int64_t at = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				at = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
			}
		if (!at)
			at = now_ns();
		if (n < 12)
			continue;
		uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
		if (!s->sent_at[id])
			continue; /* late duplicate, or an answer after its timeout */
		int64_t d = at - s->sent_at[id];
		s->sent_at[id] = 0;
		if (d > TIMEOUT_NS)
			continue;
		s->lat[s->answered++] = d;
		if ((buf[3] & 0x0f) != 0)
			s->errors++;
	}
}

static void wait_until(struct state *s, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ns();
		if (left <= 0)
			return;
		struct timespec ts = {left / 1000000000LL, left % 1000000000LL};
		struct pollfd p = {s->fd, POLLIN, 0};
		if (ppoll(&p, 1, &ts, NULL) > 0)
			drain(s);
	}
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s ADDR PORT NAMES_FILE RATE SECONDS\n", argv[0]);
		return 2;
	}
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1)
		return 2;
	double rate = atof(argv[4]);
	double secs = atof(argv[5]);
	size_t total = (size_t)(rate * secs);
	if (rate <= 0 || total == 0 || rate * (double)TIMEOUT_NS / 1e9 > 30000)
		return 2; /* ids must not wrap within one timeout */

	FILE *f = fopen(argv[3], "r");
	if (!f) {
		perror(argv[3]);
		return 1;
	}
	char **names = calloc(total, sizeof(char *));
	char line[512];
	size_t nn = 0;
	while (nn < total && fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0])
			names[nn++] = strdup(line);
	}
	fclose(f);
	if (nn == 0) {
		free(names);
		return 1;
	}

	/* Precise pacing: no timer slack on our sleeps. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	static struct state s;
	s.lat = calloc(total, sizeof(int64_t));
	s.fd = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	if (s.fd < 0 || setsockopt(s.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
	    connect(s.fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("socket");
		return 1;
	}
	int64_t start = now_ns() + 1000000, gap = (int64_t)(1e9 / rate);
	for (size_t i = 0; i < total; i++) {
		wait_until(&s, start + (int64_t)i * gap);
		uint8_t pkt[512];
		uint16_t id = (uint16_t)i;
		size_t len = build_query(id, names[i % nn], pkt);
		s.sent_at[id] = now_ns();
		if (send(s.fd, pkt, len, 0) < 0)
			s.sent_at[id] = 0;
	}
	wait_until(&s, now_ns() + TIMEOUT_NS);

	qsort(s.lat, s.answered, sizeof(int64_t), cmp64);
	double us[5] = {0};
	if (s.answered) {
		const double q[4] = {0.5, 0.9, 0.99, 0.999};
		for (int k = 0; k < 4; k++)
			us[k] = (double)s.lat[(size_t)(q[k] * (double)(s.answered - 1))] / 1e3;
		us[4] = (double)s.lat[s.answered - 1] / 1e3;
	}
	printf("sent %zu answered %zu lost %zu errors %zu p50 %.1f p90 %.1f p99 %.1f p999 %.1f "
	       "max %.1f\n",
	       total, s.answered, total - s.answered, s.errors, us[0], us[1], us[2], us[3], us[4]);
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(s.lat);
	close(s.fd);
	return 0;
}
