/* The NFLOG reader of the allowances' usage rules. A raw NETLINK_NETFILTER
 * socket through libnl-3's core (nl_sock, attribute parsing) rather than
 * libnl-nf-3: the daemon needs one bind message and one attribute (the log
 * prefix), which is not worth a second library and package. */
#include "usage.h"

#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "nft_msg.h"
#include "value.h"

#define USAGE_BUF 8192 /* a message holds metadata only: some 200 bytes */

struct usage {
	struct nl_sock *sk;
	struct event *ev;
	usage_fn fn;
	void *arg;
	char buf[USAGE_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
};

void usage_parse(const void *buf, size_t len, usage_fn fn, void *arg)
{
	const size_t plen = sizeof(NFT_USAGE_PREFIX) - 1;
	int left = len > INT32_MAX ? INT32_MAX : (int)len;

	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; nlmsg_ok(h, left);
	     h = nlmsg_next(h, &left)) {
		struct nlattr *tb[NFULA_MAX + 1];
		char name[VALUE_NAME_MAX + 1];

		if (h->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET) ||
		    nlmsg_parse(h, sizeof(struct nfgenmsg), tb, NFULA_MAX, NULL) < 0 ||
		    !tb[NFULA_PREFIX])
			continue;
		/* The prefix attribute is NUL-terminated by the kernel; not trusted. */
		const char *p = nla_data(tb[NFULA_PREFIX]);
		size_t n = strnlen(p, (size_t)nla_len(tb[NFULA_PREFIX]));
		if (n <= plen || n - plen > VALUE_NAME_MAX || memcmp(p, NFT_USAGE_PREFIX, plen))
			continue;
		memcpy(name, p + plen, n - plen);
		name[n - plen] = '\0';
		if (value_valid_name(name))
			fn(arg, name);
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct usage *u = arg;
	(void)what;
	for (int i = 0; i < 64; i++) { /* a bound, so DNS is served meanwhile */
		ssize_t n = recv(fd, u->buf, sizeof(u->buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS)
			continue; /* the kernel dropped some: the next minute counts again */
		if (n <= 0)
			return;
		usage_parse(u->buf, (size_t)n, u->fn, u->arg);
	}
}

/* One NFULNL_MSG_CONFIG message for the group, acknowledged. */
static int config(struct nl_sock *sk, int type, const void *data, size_t len)
{
	struct nfgenmsg g = {
	    .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0, .res_id = htons(NFT_USAGE_GROUP)};
	struct nl_msg *m = nlmsg_alloc_simple((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG,
	                                      NLM_F_REQUEST | NLM_F_ACK);
	int r;

	if (!m)
		return -ENOMEM;
	if (nlmsg_append(m, &g, sizeof(g), NLMSG_ALIGNTO) < 0 ||
	    nla_put(m, type, (int)len, data) < 0) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	r = nl_send_auto(sk, m);
	nlmsg_free(m);
	if (r >= 0)
		r = nl_wait_for_ack(sk);
	if (r >= 0)
		return 0;
	return r == -NLE_BUSY ? -EBUSY : r == -NLE_PERM ? -EPERM : -EIO;
}

int usage_new(struct event_base *base, usage_fn fn, void *arg, struct usage **out)
{
	struct usage *u = calloc(1, sizeof(*u));
	struct nfulnl_msg_config_cmd bind = {.command = NFULNL_CFG_CMD_BIND};
	struct nfulnl_msg_config_mode mode = {.copy_range = 0, .copy_mode = NFULNL_COPY_NONE};
	int r = -ENOMEM;

	if (!u || !(u->sk = nl_socket_alloc()))
		goto fail;
	u->fn = fn;
	u->arg = arg;
	if ((r = nl_connect(u->sk, NETLINK_NETFILTER)) < 0) {
		r = -EPERM;
		goto fail;
	}
	if ((r = config(u->sk, NFULA_CFG_CMD, &bind, sizeof(bind))) < 0 ||
	    (r = config(u->sk, NFULA_CFG_MODE, &mode, sizeof(mode))) < 0)
		goto fail;
	u->ev = event_new(base, nl_socket_get_fd(u->sk), EV_READ | EV_PERSIST, on_read, u);
	if (!u->ev || event_add(u->ev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	*out = u;
	return 0;
fail:
	usage_free(u);
	return r;
}

void usage_free(struct usage *u)
{
	if (!u)
		return;
	if (u->ev)
		event_free(u->ev);
	nl_socket_free(u->sk);
	free(u);
}
