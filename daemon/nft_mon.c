/* Reading nf_tables notifications for changes to table inet smbreak that the
 * daemon did not make; no I/O, see nft_mon.h. */
#include "nft_mon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <string.h>

#include "nft_msg.h"

/* In every object message (table, chain, rule, set, element list, object,
 * flowtable) attribute 1 names the table: NFTA_TABLE_NAME, NFTA_CHAIN_TABLE,
 * NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE,
 * NFTA_FLOWTABLE_TABLE. */
#define ATTR_TABLE 1
_Static_assert(NFTA_TABLE_NAME == ATTR_TABLE && NFTA_CHAIN_TABLE == ATTR_TABLE &&
                   NFTA_RULE_TABLE == ATTR_TABLE && NFTA_SET_TABLE == ATTR_TABLE &&
                   NFTA_SET_ELEM_LIST_TABLE == ATTR_TABLE && NFTA_OBJ_TABLE == ATTR_TABLE &&
                   NFTA_FLOWTABLE_TABLE == ATTR_TABLE,
               "the table's name is attribute 1 of every object message");

/* The payload of attribute `type` among the top-level attributes of h, or
 * NULL; *alen: its length. */
static const uint8_t *attr(const struct nlmsghdr *h, unsigned type, size_t *alen)
{
	const uint8_t *p = (const uint8_t *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const uint8_t *end = (const uint8_t *)h + h->nlmsg_len;

	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > end - p)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type) {
			*alen = a->nla_len - NLA_HDRLEN;
			return p + NLA_HDRLEN;
		}
		p += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static bool about_table(const struct nlmsghdr *h)
{
	const struct nfgenmsg *g = NLMSG_DATA(h);
	size_t len;
	const uint8_t *name = attr(h, ATTR_TABLE, &len);

	/* a string attribute carries its NUL */
	return g->nfgen_family == NFPROTO_INET && name && len == sizeof(NFT_TABLE) &&
	       memcmp(name, NFT_TABLE, sizeof(NFT_TABLE)) == 0;
}

/* The end of a transaction: who committed it, when the kernel says. */
static void gen_end(struct nft_mon *m, const struct nlmsghdr *h)
{
	size_t len;
	const uint8_t *pid = attr(h, NFTA_GEN_PROC_PID, &len);
	uint32_t v = 0;

	if (pid && len == 4)
		memcpy(&v, pid, 4);
	m->pid = ntohl(v);
	m->comm[0] = '\0';
	const uint8_t *comm = attr(h, NFTA_GEN_PROC_NAME, &len);
	if (comm && len > 0) {
		size_t n = strnlen((const char *)comm, len);
		if (n >= sizeof(m->comm))
			n = sizeof(m->comm) - 1;
		memcpy(m->comm, comm, n);
		m->comm[n] = '\0';
	}
}

int nft_mon_feed(struct nft_mon *m, const void *buf, size_t len)
{
	int ended = 0;

	for (size_t off = 0; off + NLMSG_HDRLEN <= len;) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)((const uint8_t *)buf + off);
		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - off)
			return -EBADMSG;
		off += NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES || h->nlmsg_pid == m->self)
			continue;
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
			return -EBADMSG;
		if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWGEN) {
			if (m->touched) {
				gen_end(m, h);
				ended++;
			}
			m->touched = false;
		} else if (about_table(h)) {
			m->touched = true;
		}
	}
	return ended;
}
