/* The owner of a local socket by its addresses (see sockuid.h), over a
 * netlink socket of our own: a request of one inet_diag_req_v2 naming both
 * ends exactly, and one reply, an inet_diag_msg carrying idiag_uid or an
 * error. Blocking, but the kernel answers in the same system call. */
#include "sockuid.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sockuid {
	int fd;
	uint32_t seq;
};

int sockuid_new(struct sockuid **out)
{
	struct sockuid *s = calloc(1, sizeof(*s));
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};

	if (!s)
		return -ENOMEM;
	s->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (s->fd < 0) {
		int r = -errno;
		free(s);
		return r;
	}
	/* A kernel that never answers must not stall the loop. */
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*out = s;
	return 0;
}

void sockuid_free(struct sockuid *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

/* An address and port in diag form; an IPv4-mapped IPv6 address is its
 * IPv4 one, as the kernel keeps a socket that sent it. Returns the family,
 * or 0 for one that cannot be a local socket's. */
static int diag_addr(const struct sockaddr_storage *ss, __be32 addr[4], __be16 *port)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		addr[0] = a->sin_addr.s_addr;
		*port = a->sin_port;
		return AF_INET;
	}
	if (ss->ss_family != AF_INET6)
		return 0;
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
	*port = a->sin6_port;
	if (memcmp(a->sin6_addr.s6_addr, mapped, 12) == 0) {
		memcpy(&addr[0], a->sin6_addr.s6_addr + 12, 4);
		return AF_INET;
	}
	memcpy(addr, &a->sin6_addr, 16);
	return AF_INET6;
}

/* Reads replies until the one to seq: 0 with the uid, or its error. */
static int read_reply(struct sockuid *s, uint32_t seq, uint32_t *uid)
{
	union {
		struct nlmsghdr h;
		uint8_t b[1024];
	} buf;

	for (;;) {
		ssize_t n = recv(s->fd, &buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EINTR ? -EINTR : errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (struct nlmsghdr *h = &buf.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue; /* a late answer to an earlier timed-out ask */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				return e->error ? e->error : -ENOENT;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				return -EPROTO;
			*uid = ((const struct inet_diag_msg *)NLMSG_DATA(h))->idiag_uid;
			return 0;
		}
	}
}

int sockuid_lookup(struct sockuid *s, int protocol, const struct sockaddr_storage *peer,
                   const struct sockaddr_storage *local, uint32_t *uid)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	__be32 pa[4], la[4];
	__be16 pp, lp;
	int fp = diag_addr(peer, pa, &pp), fl = diag_addr(local, la, &lp);

	if (!fp || (fl && fl != fp))
		return -ENOENT;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = ++s->seq;
	req.r.sdiag_family = (uint8_t)fp;
	req.r.sdiag_protocol = (uint8_t)protocol;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	/* TCP names the socket's own end src; UDP's lookup takes them the
	 * other way round (the kernel says: for historical reasons). */
	bool udp = protocol == IPPROTO_UDP;
	memcpy(udp ? req.r.id.idiag_dst : req.r.id.idiag_src, pa, 16);
	memcpy(udp ? req.r.id.idiag_src : req.r.id.idiag_dst, la, 16);
	*(udp ? &req.r.id.idiag_dport : &req.r.id.idiag_sport) = pp;
	*(udp ? &req.r.id.idiag_sport : &req.r.id.idiag_dport) = lp;
	if (send(s->fd, &req, sizeof(req), 0) < 0)
		return -errno;
	return read_reply(s, req.h.nlmsg_seq, uid);
}
