/* Unit tests of usage_parse: the kernel's NFLOG messages as the usage rules
 * make them, and the ones it must ignore (another prefix, another message
 * type, a name that is not one, a prefix without its NUL). */
#include "check.h"
#include "nft_msg.h"
#include "usage.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <string.h>

struct seen {
	char names[4][64];
	size_t n;
};

static void on_name(void *arg, const char *name)
{
	struct seen *s = arg;
	if (s->n < 4)
		snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", name);
}

/* Appends one NFLOG packet message with a prefix of len bytes (NUL included
 * when the caller counts it) to buf at *off. */
static void put_msg(uint8_t *buf, size_t *off, uint16_t type, const char *prefix, size_t len)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + *off);
	struct nfgenmsg *g = (struct nfgenmsg *)(h + 1);
	struct nlattr *hw = (struct nlattr *)((uint8_t *)g + NLMSG_ALIGN(sizeof(*g)));
	struct nlattr *a;

	memset(h, 0, 256);
	/* an attribute before the prefix, as the kernel puts the packet header first */
	hw->nla_type = NFULA_PACKET_HDR;
	hw->nla_len = NLA_HDRLEN + 4;
	a = (struct nlattr *)((uint8_t *)hw + NLA_ALIGN(hw->nla_len));
	a->nla_type = NFULA_PREFIX;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((uint8_t *)a + NLA_HDRLEN, prefix, len);
	h->nlmsg_type = type;
	h->nlmsg_len = (uint32_t)((uint8_t *)a + NLA_ALIGN(a->nla_len) - (uint8_t *)h);
	g->nfgen_family = 2;
	g->res_id = htons(NFT_USAGE_GROUP);
	*off += NLMSG_ALIGN(h->nlmsg_len);
}

int main(void)
{
	static uint8_t buf[4096] __attribute__((aligned(4)));
	const uint16_t pkt = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	const char good[] = NFT_USAGE_PREFIX "social-time", other[] = "something else",
	           bad[] = NFT_USAGE_PREFIX "Not a Name", empty[] = NFT_USAGE_PREFIX;
	struct seen s = {0};
	size_t off = 0;

	put_msg(buf, &off, pkt, good, sizeof(good));
	put_msg(buf, &off, pkt, other, sizeof(other));
	put_msg(buf, &off, pkt, bad, sizeof(bad));
	put_msg(buf, &off, pkt, empty, sizeof(empty));
	put_msg(buf, &off, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, good, sizeof(good));
	put_msg(buf, &off, pkt, good, sizeof(good) - 1); /* no NUL: still bounded */
	usage_parse(buf, off, on_name, &s);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.names[0], "social-time");
	CHECK_STR(s.names[1], "social-time");
	/* A cut buffer reads only whole messages. */
	memset(&s, 0, sizeof(s));
	usage_parse(buf, 20, on_name, &s);
	CHECK_INT(s.n, 0);
	CHECK_DONE();
}
