/* Unit tests of the nf_tables notification reader: a change another process
 * made to table inet smbreak is counted once its transaction's NEWGEN comes,
 * whatever datagram it comes in; the daemon's own changes, other tables and
 * families are not; messages cut short end the datagram. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>

#include "check.h"
#include "nft_mon.h"

#define SELF  0x1234u
#define OTHER 0x5678u

struct dgram {
	uint8_t buf[4096];
	size_t len;
};

/* Appends an attribute to the message that starts at d->buf + start. */
static void put_attr(struct dgram *d, size_t start, uint16_t type, const void *v, size_t n)
{
	struct nlattr *a = (struct nlattr *)(d->buf + d->len);
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + n);
	memcpy(d->buf + d->len + NLA_HDRLEN, v, n);
	d->len += NLA_ALIGN(a->nla_len);
	((struct nlmsghdr *)(d->buf + start))->nlmsg_len = (uint32_t)(d->len - start);
}

static size_t put_msg(struct dgram *d, uint8_t type, uint8_t family, uint32_t portid)
{
	size_t start = d->len;
	struct nlmsghdr *h = (struct nlmsghdr *)(d->buf + start);
	memset(h, 0, NLMSG_LENGTH(sizeof(struct nfgenmsg)));
	h->nlmsg_type = (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type);
	h->nlmsg_pid = portid;
	struct nfgenmsg *g = NLMSG_DATA(h);
	g->nfgen_family = family;
	d->len += NLMSG_LENGTH(sizeof(struct nfgenmsg));
	h->nlmsg_len = (uint32_t)(d->len - start);
	return start;
}

static void obj(struct dgram *d, uint8_t type, uint8_t family, uint32_t portid, const char *table)
{
	size_t s = put_msg(d, type, family, portid);
	put_attr(d, s, 1, table, strlen(table) + 1);
}

static void gen(struct dgram *d, uint32_t portid, uint32_t pid, const char *comm)
{
	size_t s = put_msg(d, NFT_MSG_NEWGEN, AF_UNSPEC, portid);
	uint32_t id = htonl(7), p = htonl(pid);
	put_attr(d, s, NFTA_GEN_ID, &id, 4);
	put_attr(d, s, NFTA_GEN_PROC_PID, &p, 4);
	put_attr(d, s, NFTA_GEN_PROC_NAME, comm, strlen(comm) + 1);
}

int main(void)
{
	struct nft_mon m = {.self = SELF};
	struct dgram d = {0};

	/* nft delete table inet smbreak */
	obj(&d, NFT_MSG_DELTABLE, NFPROTO_INET, OTHER, "smbreak");
	gen(&d, OTHER, 4242, "nft");
	CHECK_INT(nft_mon_feed(&m, d.buf, d.len), 1);
	CHECK_INT(m.pid, 4242);
	CHECK_STR(m.comm, "nft");
	CHECK(!m.touched);

	/* our own batch, the same messages: nothing */
	d.len = 0;
	obj(&d, NFT_MSG_DELTABLE, NFPROTO_INET, SELF, "smbreak");
	obj(&d, NFT_MSG_NEWSETELEM, NFPROTO_INET, SELF, "smbreak");
	gen(&d, SELF, 99, "smbreakd");
	CHECK_INT(nft_mon_feed(&m, d.buf, d.len), 0);

	/* another table, another family's table of the same name, a transaction
	 * that touched nothing of ours */
	d.len = 0;
	obj(&d, NFT_MSG_NEWRULE, NFPROTO_INET, OTHER, "filter");
	obj(&d, NFT_MSG_DELCHAIN, NFPROTO_IPV4, OTHER, "smbreak");
	obj(&d, NFT_MSG_DELRULE, NFPROTO_INET, OTHER, "smbreaker");
	gen(&d, OTHER, 4243, "nft");
	gen(&d, OTHER, 4244, "nft");
	CHECK_INT(nft_mon_feed(&m, d.buf, d.len), 0);

	/* a flush of one learned set in two datagrams: counted at its NEWGEN */
	d.len = 0;
	obj(&d, NFT_MSG_DELSETELEM, NFPROTO_INET, OTHER, "smbreak");
	CHECK_INT(nft_mon_feed(&m, d.buf, d.len), 0);
	CHECK(m.touched);
	d.len = 0;
	obj(&d, NFT_MSG_DELSETELEM, NFPROTO_INET, OTHER, "smbreak");
	gen(&d, OTHER, 5000, "a-very-long-process-name");
	CHECK_INT(nft_mon_feed(&m, d.buf, d.len), 1);
	CHECK_INT(m.pid, 5000);
	CHECK_STR(m.comm, "a-very-long-pro");

	/* two foreign transactions in one datagram (flush ruleset, then a rule
	 * deleted), a NEWGEN without the process attributes */
	d.len = 0;
	obj(&d, NFT_MSG_DELTABLE, NFPROTO_INET, OTHER, "smbreak");
	gen(&d, OTHER, 6000, "nft");
	obj(&d, NFT_MSG_DELRULE, NFPROTO_INET, OTHER, "smbreak");
	put_msg(&d, NFT_MSG_NEWGEN, AF_UNSPEC, OTHER);
	CHECK_INT(nft_mon_feed(&m, d.buf, d.len), 2);
	CHECK_INT(m.pid, 0);
	CHECK_STR(m.comm, "");

	/* another subsystem's message with our port id or not: passed over */
	d.len = 0;
	size_t s = put_msg(&d, NFT_MSG_DELTABLE, NFPROTO_INET, OTHER);
	((struct nlmsghdr *)(d.buf + s))->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8;
	put_attr(&d, s, 1, "smbreak", 8);
	gen(&d, OTHER, 1, "x");
	CHECK_INT(nft_mon_feed(&m, d.buf, d.len), 0);

	/* cut short: a length past the datagram, a header without its nfgenmsg,
	 * an attribute running past its message */
	d.len = 0;
	obj(&d, NFT_MSG_DELTABLE, NFPROTO_INET, OTHER, "smbreak");
	CHECK_INT(nft_mon_feed(&m, d.buf, d.len - 4), -EBADMSG);
	m.touched = false;
	d.len = 0;
	s = put_msg(&d, NFT_MSG_DELTABLE, NFPROTO_INET, OTHER);
	((struct nlmsghdr *)(d.buf + s))->nlmsg_len = NLMSG_HDRLEN;
	CHECK_INT(nft_mon_feed(&m, d.buf, NLMSG_HDRLEN), -EBADMSG);
	d.len = 0;
	obj(&d, NFT_MSG_DELTABLE, NFPROTO_INET, OTHER, "smbreak");
	((struct nlattr *)(d.buf + NLMSG_LENGTH(sizeof(struct nfgenmsg))))->nla_len = 200;
	CHECK_INT(nft_mon_feed(&m, d.buf, d.len), 0);
	CHECK(!m.touched);
	CHECK_INT(nft_mon_feed(&m, d.buf, 0), 0);

	CHECK_DONE();
}
