/* Reading nf_tables replies and the messages the daemon sent: the elements of
 * a set dump, and the one-line description of a sent message that an error
 * names ("add set element 203.0.113.7 to learned4"). Building is in
 * nft_msg.c; both are declared in nft_msg.h. */
#include "nft_msg.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <string.h>

#define NFGEN_LEN ((int)sizeof(struct nfgenmsg))

static const struct nlattr *find(const struct nlattr *head, int len, int type)
{
	const struct nlattr *a;
	int rem;

	nla_for_each_attr(a, (struct nlattr *)head, len, rem)
	{
		if (nla_type(a) == type)
			return a;
	}
	return NULL;
}

static const struct nlattr *find_in(const struct nlattr *parent, int type)
{
	return find(nla_data(parent), nla_len(parent), type);
}

/* The key value of an element nest: its address bytes and length. */
static int elem_key(const struct nlattr *el, const uint8_t **val)
{
	const struct nlattr *k = find_in(el, NFTA_SET_ELEM_KEY);
	if (!k)
		return -1;
	const struct nlattr *v = find_in(k, NFTA_DATA_VALUE);
	if (!v || (nla_len(v) != 4 && nla_len(v) != 16))
		return -1;
	*val = nla_data(v);
	return nla_len(v);
}

static uint64_t get_be64(const struct nlattr *a)
{
	uint64_t v;
	if (!a || nla_len(a) != 8)
		return 0;
	memcpy(&v, nla_data(a), 8);
	return be64toh(v);
}

int nft_msg_parse_elems(const struct nlmsghdr *h,
                        void (*fn)(const struct nft_elem_info *e, void *arg), void *arg)
{
	if (h->nlmsg_len < NLMSG_HDRLEN + NFGEN_LEN)
		return -EINVAL;
	const struct nlattr *list = find(nlmsg_attrdata(h, NFGEN_LEN), nlmsg_attrlen(h, NFGEN_LEN),
	                                 NFTA_SET_ELEM_LIST_ELEMENTS);
	if (!list)
		return 0;
	const struct nlattr *el;
	int rem, count = 0;
	nla_for_each_nested(el, (struct nlattr *)list, rem)
	{
		struct nft_elem_info e;
		const uint8_t *key;
		memset(&e, 0, sizeof(e));
		int alen = elem_key(el, &key);
		if (alen < 0)
			return -EINVAL;
		e.family = alen == 4 ? AF_INET : AF_INET6;
		memcpy(e.addr, key, (size_t)alen);
		const struct nlattr *f = find_in(el, NFTA_SET_ELEM_FLAGS);
		if (f && nla_len(f) == 4)
			e.interval_end = (ntohl(nla_get_u32((struct nlattr *)f)) &
			                  NFT_SET_ELEM_INTERVAL_END) != 0;
		e.timeout_ms = get_be64(find_in(el, NFTA_SET_ELEM_TIMEOUT));
		e.expiration_ms = get_be64(find_in(el, NFTA_SET_ELEM_EXPIRATION));
		count++;
		if (fn)
			fn(&e, arg);
	}
	return count;
}

static const char *attr_str(const struct nlattr *a)
{
	if (!a || nla_len(a) < 1 || ((const char *)nla_data(a))[nla_len(a) - 1] != '\0')
		return "?";
	return nla_data(a);
}

static void describe_elems(const struct nlmsghdr *h, const struct nlattr *attrs, int len,
                           uint32_t bad_off, bool add, char *out, size_t size)
{
	const char *set = attr_str(find(attrs, len, NFTA_SET_ELEM_LIST_SET));
	const char *verb = add ? "add" : "delete";
	const char *prep = add ? "to" : "from";
	const struct nlattr *list = find(attrs, len, NFTA_SET_ELEM_LIST_ELEMENTS);
	const struct nlattr *el;
	int rem, n = 0;

	if (!list) {
		snprintf(out, size, "%s set %s", add ? "add to" : "flush", set);
		return;
	}
	const struct nlattr *only = NULL;
	bool found = false;
	nla_for_each_nested(el, (struct nlattr *)list, rem)
	{
		uint32_t off = (uint32_t)((const char *)el - (const char *)h);
		n++;
		only = el;
		if (bad_off >= off && bad_off < off + el->nla_len) {
			found = true;
			break;
		}
	}
	/* the offending element, or the only one when the kernel blamed the set */
	if (only && (found || n == 1)) {
		const uint8_t *key;
		char txt[INET6_ADDRSTRLEN];
		int alen = elem_key(only, &key);
		if (alen < 0 || !inet_ntop(alen == 4 ? AF_INET : AF_INET6, key, txt, sizeof(txt)))
			snprintf(txt, sizeof(txt), "?");
		snprintf(out, size, "%s set element %s %s %s", verb, txt, prep, set);
		return;
	}
	snprintf(out, size, "%s %d set elements %s %s", verb, n, prep, set);
}

void nft_msg_describe(const struct nlmsghdr *h, uint32_t bad_off, char *out, size_t size)
{
	if (h->nlmsg_type == NFNL_MSG_BATCH_BEGIN || h->nlmsg_type == NFNL_MSG_BATCH_END) {
		snprintf(out, size, "commit batch");
		return;
	}
	if (h->nlmsg_len < NLMSG_HDRLEN + NFGEN_LEN ||
	    (h->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) {
		snprintf(out, size, "message type %u", h->nlmsg_type);
		return;
	}
	const struct nlattr *a = nlmsg_attrdata(h, NFGEN_LEN);
	int len = nlmsg_attrlen(h, NFGEN_LEN);
	switch (h->nlmsg_type & 0xff) {
	case NFT_MSG_NEWTABLE:
		snprintf(out, size, "add table inet %s", attr_str(find(a, len, NFTA_TABLE_NAME)));
		break;
	case NFT_MSG_DELTABLE:
		snprintf(out, size, "delete table inet %s",
		         attr_str(find(a, len, NFTA_TABLE_NAME)));
		break;
	case NFT_MSG_GETTABLE:
		snprintf(out, size, "get table inet %s", attr_str(find(a, len, NFTA_TABLE_NAME)));
		break;
	case NFT_MSG_NEWCHAIN:
		snprintf(out, size, "add chain %s", attr_str(find(a, len, NFTA_CHAIN_NAME)));
		break;
	case NFT_MSG_NEWRULE:
		snprintf(out, size, "add rule to chain %s",
		         attr_str(find(a, len, NFTA_RULE_CHAIN)));
		break;
	case NFT_MSG_DELRULE:
		snprintf(out, size, "flush chain %s", attr_str(find(a, len, NFTA_RULE_CHAIN)));
		break;
	case NFT_MSG_GETRULE:
		snprintf(out, size, "list chain %s", attr_str(find(a, len, NFTA_RULE_CHAIN)));
		break;
	case NFT_MSG_NEWSET:
		snprintf(out, size, "add set %s", attr_str(find(a, len, NFTA_SET_NAME)));
		break;
	case NFT_MSG_DELSET:
		snprintf(out, size, "delete set %s", attr_str(find(a, len, NFTA_SET_NAME)));
		break;
	case NFT_MSG_NEWSETELEM:
		describe_elems(h, a, len, bad_off, true, out, size);
		break;
	case NFT_MSG_DELSETELEM:
		describe_elems(h, a, len, bad_off, false, out, size);
		break;
	case NFT_MSG_GETSETELEM:
		snprintf(out, size, "list set %s", attr_str(find(a, len, NFTA_SET_ELEM_LIST_SET)));
		break;
	default:
		snprintf(out, size, "nf_tables message %u", h->nlmsg_type & 0xff);
		break;
	}
}
