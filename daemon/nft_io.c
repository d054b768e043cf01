/* The netlink side of the nftables table: one libnl socket, each change one
 * batch sent with a single sendmsg, every acknowledgement matched to the
 * message it answers and every failure turned into a line naming the object
 * and the kernel's reason; the dumps that read the table back. */
#include "nft_int.h"

#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define RECV_BUF    (128u * 1024u)
#define RCVBUF_SIZE (4 * 1024 * 1024)

void nft_io_err(struct nft *n, const char *fmt, ...)
{
	va_list ap;

	if (n->err_len + 2 >= sizeof(n->err))
		return;
	if (n->err_len > 0)
		n->err[n->err_len++] = '\n';
	va_start(ap, fmt);
	int w = vsnprintf(n->err + n->err_len, sizeof(n->err) - n->err_len, fmt, ap);
	va_end(ap);
	if (w > 0)
		n->err_len += (size_t)w;
	if (n->err_len >= sizeof(n->err))
		n->err_len = sizeof(n->err) - 1;
}

static void sockopt_int(int fd, int level, int opt, int val)
{
	/* best effort: a failure shows up as a clear error on send or receive */
	(void)setsockopt(fd, level, opt, &val, sizeof(val));
}

int nft_new(struct nft **out)
{
	struct nft *n = calloc(1, sizeof(*n));
	int r;

	*out = NULL;
	if (!n)
		return -ENOMEM;
	n->rbuf = malloc(RECV_BUF);
	n->sk = nl_socket_alloc();
	if (!n->rbuf || !n->sk) {
		r = -ENOMEM;
		goto fail;
	}
	nl_socket_disable_auto_ack(n->sk);
	r = nl_connect(n->sk, NETLINK_NETFILTER);
	if (r < 0) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	n->fd = nl_socket_get_fd(n->sk);
	sockopt_int(n->fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	/* errors carry only the header of the failed message, not its payload, so
	 * that the failures of a large batch cannot overrun the receive buffer */
	sockopt_int(n->fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
	if (setsockopt(n->fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){RCVBUF_SIZE}, sizeof(int)) < 0)
		sockopt_int(n->fd, SOL_SOCKET, SO_RCVBUF, RCVBUF_SIZE);
	n->seq = (uint32_t)time(NULL);
	*out = n;
	return 0;
fail:
	nft_free(n);
	return r;
}

void nft_free(struct nft *n)
{
	if (!n)
		return;
	if (n->sk)
		nl_socket_free(n->sk);
	free(n->rbuf);
	free(n->ranges);
	free(n->whos);
	free(n);
}

const char *nft_error(const struct nft *n)
{
	return n->err;
}

void nft_last_batch(const struct nft *n, struct nft_batch_stats *out)
{
	*out = n->last;
}

/* ---- sending and acknowledgements ---- */

static int send_batch(struct nft *n, const struct nft_batch *b)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct iovec iov[NFT_BATCH_PAGES_MAX];
	struct msghdr mh = {
	    .msg_name = &kernel,
	    .msg_namelen = sizeof(kernel),
	    .msg_iov = iov,
	    .msg_iovlen = b->n_pages,
	};

	/* the whole transaction travels in one datagram, so the send buffer must
	 * hold it; the kernel doubles the value and keeps some for itself */
	if (b->bytes + 65536 > (size_t)n->sndbuf && b->bytes < (size_t)INT32_MAX / 2) {
		int want = (int)b->bytes + 65536;
		if (setsockopt(n->fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0)
			sockopt_int(n->fd, SOL_SOCKET, SO_SNDBUF, want);
		n->sndbuf = want;
	}
	for (size_t i = 0; i < b->n_pages; i++) {
		iov[i].iov_base = b->pages[i];
		iov[i].iov_len = b->page_len[i];
	}
	ssize_t w;
	do
		w = sendmsg(n->fd, &mh, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		int e = errno;
		nft_io_err(n, "nft: send batch of %zu bytes failed: %s", b->bytes, strerror(e));
		return -e;
	}
	n->last.bytes = b->bytes;
	n->last.messages = b->n_msgs;
	return 0;
}

/* Extended acknowledgement attributes after a struct nlmsgerr. */
static void ext_ack(const struct nlmsghdr *h, const char **msg, uint32_t *off)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t at = sizeof(*e);

	*msg = NULL;
	*off = 0;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		at += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	const uint8_t *p = (const uint8_t *)e + NLMSG_ALIGN(at);
	const uint8_t *end = (const uint8_t *)h + h->nlmsg_len;
	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		if (a->nla_len < sizeof(*a) || p + a->nla_len > end)
			break;
		const void *data = p + NLA_HDRLEN;
		size_t dlen = a->nla_len - NLA_HDRLEN;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && dlen > 0 &&
		    ((const char *)data)[dlen - 1] == '\0')
			*msg = data;
		else if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_OFFS && dlen == 4)
			memcpy(off, data, 4);
		p += NLA_ALIGN(a->nla_len);
	}
}

static void report(struct nft *n, const struct nft_batch *b, const struct nlmsghdr *h, int error)
{
	const char *kmsg;
	uint32_t off;
	char what[160];
	const struct nlmsghdr *sent = nft_batch_find(b, h->nlmsg_seq);

	ext_ack(h, &kmsg, &off);
	if (sent)
		nft_msg_describe(sent, off, what, sizeof(what));
	else
		snprintf(what, sizeof(what), "message %u", h->nlmsg_seq);
	if (kmsg)
		nft_io_err(n, "nft: %s failed: %s (%s)", what, strerror(error), kmsg);
	else
		nft_io_err(n, "nft: %s failed: %s", what, strerror(error));
}

/* Waits (bounded) until the socket has data; 0 on data, -ETIMEDOUT. */
static int wait_readable(struct nft *n, uint64_t deadline)
{
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = n->fd, .events = POLLIN};
		int ms = (int)((deadline - now) / 1000000u) + 1;
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Reads one datagram into rbuf; its length, or a negative errno. */
static ssize_t recv_one(struct nft *n, uint64_t deadline)
{
	for (;;) {
		ssize_t len = recv(n->fd, n->rbuf, RECV_BUF, MSG_DONTWAIT | MSG_TRUNC);
		if (len > (ssize_t)RECV_BUF)
			return -EMSGSIZE;
		if (len >= 0)
			return len;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int r = wait_readable(n, deadline);
		if (r < 0)
			return r;
	}
}

static int collect_acks(struct nft *n, const struct nft_batch *b)
{
	size_t expected = nft_batch_acks(b), got = 0;
	uint32_t first = b->seq_first, last = b->seq_first + (uint32_t)b->n_msgs - 1;
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + NFT_ACK_TIMEOUT_MS * 1000000ull;
	int result = 0;

	while (got < expected) {
		ssize_t len = recv_one(n, deadline);
		if (len < 0) {
			if (len == -ENOBUFS)
				nft_io_err(n, "nft: acknowledgements lost: %s", strerror(ENOBUFS));
			else
				nft_io_err(n,
				           "nft: reading acknowledgements (%zu of %zu) failed: %s",
				           got, expected, strerror((int)-len));
			return (int)len;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)n->rbuf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq - first > last - first || h->nlmsg_type != NLMSG_ERROR)
				continue; /* a late answer to an earlier call */
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				continue;
			const struct nlmsgerr *e = NLMSG_DATA(h);
			if (e->error != 0) {
				report(n, b, h, -e->error);
				if (result == 0)
					result = e->error;
			}
			/* an answer to begin or end means the whole batch was refused
			 * or its commit failed: nothing else will come */
			if (h->nlmsg_seq == first || h->nlmsg_seq == last)
				return result ? result : -EPROTO;
			got++;
		}
	}
	return result;
}

int nft_io_run(struct nft *n, build_fn build, const void *arg)
{
	struct nft_batch b;
	int r = nft_batch_init(&b, n->seq);

	if (r == 0)
		r = build(n, &b, arg);
	if (r == 0)
		r = nft_batch_end(&b);
	n->seq += (uint32_t)b.n_msgs + 1;
	if (r < 0) {
		nft_io_err(n, "nft: building the batch failed: %s", strerror(-r));
	} else if (nft_batch_acks(&b) > 0) { /* an empty change is not sent */
		r = send_batch(n, &b);
		if (r == 0)
			r = collect_acks(n, &b);
	}
	nft_batch_release(&b);
	return r;
}

int nft_io_table_exists(struct nft *n)
{
	uint8_t req[NFT_REQ_MAX];
	uint32_t seq = n->seq++;
	int len = nft_msg_req_table(req, seq);

	if (len < 0)
		return len;
	if (send(n->fd, req, (size_t)len, 0) < 0)
		return -errno;
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + NFT_ACK_TIMEOUT_MS * 1000000ull;
	int found = 0;
	for (;;) {
		ssize_t got = recv_one(n, deadline);
		if (got < 0)
			return (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)n->rbuf; NLMSG_OK(h, (size_t)got);
		     h = NLMSG_NEXT(h, got)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error == -ENOENT)
					return 0;
				if (e->error != 0)
					return e->error;
				return found;
			}
			found = 1;
		}
	}
}

uint32_t nft_portid(const struct nft *n)
{
	return nl_socket_get_local_port(n->sk);
}

/* ---- dumps ---- */

int nft_io_dump(struct nft *n, int (*req)(void *buf, uint32_t seq, const char *name),
                const char *name, dump_fn fn, void *arg)
{
	uint8_t buf[NFT_REQ_MAX];
	uint32_t seq = n->seq++;
	int len = req(buf, seq, name);

	if (len < 0)
		return len;
	if (send(n->fd, buf, (size_t)len, 0) < 0) {
		int e = errno;
		nft_io_err(n, "nft: list %s failed: %s", name, strerror(e));
		return -e;
	}
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + NFT_ACK_TIMEOUT_MS * 1000000ull;
	for (;;) {
		ssize_t got = recv_one(n, deadline);
		if (got < 0) {
			nft_io_err(n, "nft: list %s failed: %s", name, strerror((int)-got));
			return (int)got;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)n->rbuf; NLMSG_OK(h, (size_t)got);
		     h = NLMSG_NEXT(h, got)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error == 0)
					return 0;
				nft_io_err(n, "nft: list %s failed: %s", name, strerror(-e->error));
				return e->error;
			}
			fn(h, arg);
		}
	}
}
