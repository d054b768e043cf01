/* What the table holds for a configuration, as batch messages: the sets of
 * each list (learned addresses, ranges) and of the endpoints, the reject
 * rules of the lists in force, elements into the sets of their lists, and a
 * reload's move from one set of lists to another. Pure: no socket (nft.c
 * sends what these build). */
#include "nft_build.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Transaction ids, unique in the table: rules name the sets by them too, so
 * that they find sets made in the same batch. */
static uint32_t set_id(enum nft_set_kind kind, int family, unsigned list)
{
	return 1 + (uint32_t)kind * 2 * (NFT_LIST_ENDPOINTS + 1) +
	       (family == AF_INET ? 0 : NFT_LIST_ENDPOINTS + 1) + list;
}

void nft_build_set_name(const struct nft_config *c, char *out, enum nft_set_kind kind, int family,
                        unsigned list)
{
	if (list == NFT_LIST_ENDPOINTS)
		nft_set_name(out, kind == NFT_KIND_RANGES ? NFT_SET_RESOLVERS : NFT_SET_ENDPOINTS,
		             family, NULL);
	else
		nft_set_name(out, kind == NFT_KIND_RANGES ? NFT_SET_RANGES : NFT_SET_LEARNED,
		             family, c->lists[list]);
}

bool nft_build_has_ranges(const struct nft_config *c, unsigned list)
{
	for (size_t i = 0; i < c->n_ranges; i++)
		if (c->ranges[i].list == list)
			return true;
	return false;
}

static int find_list(const struct nft_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_lists; i++)
		if (strcmp(c->lists[i], name) == 0)
			return (int)i;
	return -1;
}

/* The learned (or endpoints) sets of one list, both families. */
static int add_learned_sets(struct nft_batch *b, const struct nft_config *c, unsigned list)
{
	char name[NFT_SET_NAME_MAX];
	int r = 0;

	for (int f = 0; f < 2 && r == 0; f++) {
		int family = f == 0 ? AF_INET : AF_INET6;
		nft_build_set_name(c, name, NFT_KIND_LEARNED, family, list);
		r = nft_msg_set_add(b, name, family, set_id(NFT_KIND_LEARNED, family, list), false,
		                    NFT_LEARNED_MAX);
	}
	return r;
}

/* The interval sets of one list's ranges, both families, with the ranges
 * merged. */
static int add_range_sets(struct nft_batch *b, const struct nft_config *c, unsigned list)
{
	struct nft_prefix *mine = malloc(c->n_ranges * sizeof(*mine));
	struct nft_interval *iv = malloc(c->n_ranges * sizeof(*iv));
	char name[NFT_SET_NAME_MAX];
	size_t k = 0;
	int r = mine && iv ? 0 : -ENOMEM;

	for (size_t i = 0; i < c->n_ranges && r == 0; i++)
		if (c->ranges[i].list == list)
			mine[k++] = c->ranges[i];
	for (int f = 0; f < 2 && r == 0; f++) {
		int family = f == 0 ? AF_INET : AF_INET6;
		nft_build_set_name(c, name, NFT_KIND_RANGES, family, list);
		r = nft_msg_set_add(b, name, family, set_id(NFT_KIND_RANGES, family, list), true,
		                    0);
		if (r == 0)
			r = nft_prefixes_merge(mine, k, family, iv);
		if (r > 0)
			r = nft_msg_intervals_add(b, name, family, iv, (size_t)r);
	}
	free(mine);
	free(iv);
	return r;
}

static int del_sets(struct nft_batch *b, const struct nft_config *c, enum nft_set_kind kind,
                    unsigned list)
{
	char name[NFT_SET_NAME_MAX];
	int r = 0;

	for (int f = 0; f < 2 && r == 0; f++) {
		nft_build_set_name(c, name, kind, f == 0 ? AF_INET : AF_INET6, list);
		r = nft_msg_set_del(b, name);
	}
	return r;
}

static int block_rule(struct nft_batch *b, const struct nft_config *c, enum nft_set_kind kind,
                      int family, unsigned list, uint64_t until_ns)
{
	char name[NFT_SET_NAME_MAX];

	nft_build_set_name(c, name, kind, family, list);
	return nft_msg_rule_block(b, family, name, set_id(kind, family, list), until_ns);
}

static int block_rule_uid(struct nft_batch *b, const struct nft_config *c, enum nft_set_kind kind,
                          int family, unsigned list, uint32_t uid, uint64_t until_ns)
{
	char name[NFT_SET_NAME_MAX];

	nft_build_set_name(c, name, kind, family, list);
	return nft_msg_rule_block_uid(b, family, name, set_id(kind, family, list), uid, until_ns);
}

/* The rules of one user's lists (those of every entry for some that names
 * the user): as for everyone, each behind `meta skuid uid`, so a packet of
 * another user leaves each at its first compare. The endpoints and port
 * 853 too, as during any break. */
static int user_rules(struct nft_batch *b, const struct nft_config *c, uint64_t lists, uint32_t uid,
                      bool endpoints, uint64_t until_ns)
{
	int r = 0;

	for (unsigned i = 0; i <= NFT_LIST_ENDPOINTS && r == 0; i++) {
		if (i < NFT_LIST_ENDPOINTS ? i >= c->n_lists || !(lists >> i & 1u) : !endpoints)
			continue;
		bool ranges = nft_build_has_ranges(c, i);
		for (int f = 0; f < 2 && r == 0; f++) {
			int family = f == 0 ? AF_INET : AF_INET6;
			r = block_rule_uid(b, c, NFT_KIND_LEARNED, family, i, uid, until_ns);
			if (r == 0 && ranges)
				r = block_rule_uid(b, c, NFT_KIND_RANGES, family, i, uid, until_ns);
		}
	}
	if (r == 0 && endpoints)
		r = nft_msg_rule_block_port_uid(b, IPPROTO_TCP, NFT_PORT_DOT, uid, until_ns);
	if (r == 0 && endpoints)
		r = nft_msg_rule_block_port_uid(b, IPPROTO_UDP, NFT_PORT_DOT, uid, until_ns);
	return r;
}

/* Per user named by c->some: the lists in force for them beyond those for
 * everyone. Users are gathered first, so a user of two entries gets one set
 * of rules. Devices (gateway mode) match elsewhere. */
static int some_rules(struct nft_batch *b, const struct nft_config *c, uint64_t everyone,
                      uint64_t until_ns)
{
	uint32_t uids[INFORCE_SOME_MAX * SMB_WHOM_USERS_MAX];
	uint64_t lists[INFORCE_SOME_MAX * SMB_WHOM_USERS_MAX];
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < c->n_some && i < INFORCE_SOME_MAX; i++) {
		const struct inforce_some *e = &c->some[i];
		for (uint32_t k = 0; k < e->whom.n_uids && k < SMB_WHOM_USERS_MAX; k++) {
			size_t j = 0;
			if (e->whom.uids[k] == UINT32_MAX) /* no process has it (users.h) */
				continue;
			while (j < n && uids[j] != e->whom.uids[k])
				j++;
			if (j == n) {
				uids[n] = e->whom.uids[k];
				lists[n++] = 0;
			}
			lists[j] |= e->lists;
		}
	}
	for (size_t j = 0; j < n && r == 0; j++) {
		/* lists for everyone already have their rules, the endpoints too */
		uint64_t extra = lists[j] & ~everyone;
		if (extra)
			r = user_rules(b, c, extra, uids[j], !everyone, until_ns);
	}
	return r;
}

/* While some break names users, every local socket's UDP datagram to a
 * local address at the forwarder's ports (53, and those the intercept
 * redirects to) carries its owner's uid as its mark, for the forwarder to
 * read; the other listen ports fall back to sock_diag. */
static int mark_rules(struct nft_batch *b, const struct nft_config *c, uint64_t until_ns)
{
	uint16_t ports[3] = {53, c->dns_port, c->dns6_port};
	bool users = false;
	int r = 0;

	for (size_t i = 0; i < c->n_some; i++)
		users |= c->some[i].whom.n_uids > 0;
	for (int i = 0; i < 3 && users && r == 0; i++)
		if (ports[i] && (i == 0 || (ports[i] != 53 && (i == 1 || ports[i] != ports[1]))))
			r = nft_msg_rule_mark_sender(b, ports[i], until_ns);
	return r;
}

/* One rule per set of each list in force, and during any break those of the
 * endpoints (learned, and the shipped resolver addresses) and of port 853
 * (DNS over TLS and over QUIC, TCP and UDP): a packet meets as many lookups
 * as there are lists in force (see BENCHMARKS.md). First, while a break names
 * users, the marks of their queries (mark_rules); then the rules of the
 * lists in force for some users (some_rules). */
int nft_build_block_rules(struct nft_batch *b, const struct nft_config *c, uint64_t lists,
                          uint64_t until_ns)
{
	int r = mark_rules(b, c, until_ns);

	if (r == 0)
		r = nft_msg_rule_local_return(b);
	if (r == 0 && c->n_some)
		r = some_rules(b, c, lists, until_ns);
	for (unsigned i = 0; i < c->n_lists && r == 0; i++) {
		if (!(lists >> i & 1u))
			continue;
		bool ranges = nft_build_has_ranges(c, i);
		for (int f = 0; f < 2 && r == 0; f++) {
			int family = f == 0 ? AF_INET : AF_INET6;
			r = block_rule(b, c, NFT_KIND_LEARNED, family, i, until_ns);
			if (r == 0 && ranges)
				r = block_rule(b, c, NFT_KIND_RANGES, family, i, until_ns);
		}
	}
	if (!lists)
		return r;
	bool resolvers = nft_build_has_ranges(c, NFT_LIST_ENDPOINTS);
	for (int f = 0; f < 2 && r == 0; f++) {
		int family = f == 0 ? AF_INET : AF_INET6;
		r = block_rule(b, c, NFT_KIND_LEARNED, family, NFT_LIST_ENDPOINTS, until_ns);
		if (r == 0 && resolvers)
			r = block_rule(b, c, NFT_KIND_RANGES, family, NFT_LIST_ENDPOINTS, until_ns);
	}
	if (r == 0)
		r = nft_msg_rule_block_port(b, IPPROTO_TCP, NFT_PORT_DOT, until_ns);
	if (r == 0)
		r = nft_msg_rule_block_port(b, IPPROTO_UDP, NFT_PORT_DOT, until_ns);
	return r;
}

int nft_build_elems(struct nft_batch *b, const struct nft_config *c, const struct nft_elem *v,
                    size_t n, bool add, uint32_t min_timeout_ms)
{
	char name[NFT_SET_NAME_MAX];
	uint64_t lists = 0;
	bool endpoints = false;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		lists |= v[i].lists;
		endpoints |= v[i].endpoint;
	}
	for (unsigned l = 0; l <= NFT_LIST_ENDPOINTS && r == 0; l++) {
		if (l < NFT_LIST_ENDPOINTS ? l >= c->n_lists || !(lists >> l & 1u) : !endpoints)
			continue;
		for (int f = 0; f < 2 && r == 0; f++) {
			int family = f == 0 ? AF_INET : AF_INET6;
			nft_build_set_name(c, name, NFT_KIND_LEARNED, family, l);
			r = add ? nft_msg_elems_add(b, name, family, l, v, n, min_timeout_ms)
			        : nft_msg_elems_del(b, name, family, l, v, n);
		}
	}
	return r;
}

int nft_build_sets(struct nft_batch *b, const struct nft_config *c)
{
	int r = 0;

	for (unsigned i = 0; i < c->n_lists && r == 0; i++) {
		r = add_learned_sets(b, c, i);
		if (r == 0 && nft_build_has_ranges(c, i))
			r = add_range_sets(b, c, i);
	}
	if (r == 0)
		r = add_learned_sets(b, c, NFT_LIST_ENDPOINTS);
	if (r == 0 && nft_build_has_ranges(c, NFT_LIST_ENDPOINTS))
		r = add_range_sets(b, c, NFT_LIST_ENDPOINTS);
	return r;
}

static void usage_chain(char out[NFT_CHAIN_NAME_MAX], size_t i)
{
	snprintf(out, NFT_CHAIN_NAME_MAX, "%s_%zu", NFT_CHAIN_USAGE, i);
}

/* Whether some allowance names a user who exists: the usage_output chain
 * exists then, and only then, so that no packet meets an empty hook. */
static bool usage_users(const struct nft_config *c)
{
	for (size_t i = 0; i < c->n_usage; i++)
		for (uint32_t k = 0; k < c->usage[i].whom.n_uids && k < SMB_WHOM_USERS_MAX; k++)
			if (c->usage[i].whom.uids[k] != UINT32_MAX)
				return true;
	return false;
}

/* The learned and range sets of each of `lists`, both families, for fn. */
typedef int (*usage_set_fn)(struct nft_batch *b, int family, const char *set, uint32_t set_id,
                            const void *arg);

static int each_set(struct nft_batch *b, const struct nft_config *c, uint64_t lists,
                    usage_set_fn fn, const void *arg)
{
	char set[NFT_SET_NAME_MAX];
	int r = 0;

	for (unsigned l = 0; l < c->n_lists && r == 0; l++) {
		if (!(lists >> l & 1u))
			continue;
		int kinds = nft_build_has_ranges(c, l) ? 2 : 1;
		for (int f = 0; f < 2 && r == 0; f++) {
			int family = f == 0 ? AF_INET : AF_INET6;
			for (int k = 0; k < kinds && r == 0; k++) {
				enum nft_set_kind kind =
				    k == 0 ? NFT_KIND_LEARNED : NFT_KIND_RANGES;
				nft_build_set_name(c, set, kind, family, l);
				r = fn(b, family, set, set_id(kind, family, l), arg);
			}
		}
	}
	return r;
}

static int set_jump(struct nft_batch *b, int family, const char *set, uint32_t id,
                    const void *chain)
{
	return nft_msg_rule_usage_jump(b, family, set, id, chain);
}

struct mark_arg {
	unsigned label;
	uint32_t uid;
	const struct nft_who *who;
};

static int set_mark(struct nft_batch *b, int family, const char *set, uint32_t id, const void *arg)
{
	const struct mark_arg *a = arg;

	if (!a->who)
		return nft_msg_rule_usage_mark_uid(b, family, set, id, a->uid, a->label);
	/* a range is of one family, a MAC of both */
	if (a->who->range.family && a->who->range.family != family)
		return 0;
	return nft_msg_rule_usage_mark_who(b, a->who, family, set, id, a->label);
}

/* The label bit of each allowance for some (labels[i], unset for one for
 * everyone), from its name rather than its place in the file: the kernel
 * keeps a label with its connection, so a reload or a restart that reorders
 * allowances leaves open connections counted for the allowance they were.
 * A name whose slot is taken gets the next free one, in file order. */
static void usage_labels(const struct nft_config *c, unsigned labels[NFT_USAGE_MAX])
{
	uint32_t taken = 0;

	for (size_t i = 0; i < c->n_usage && i < NFT_USAGE_MAX; i++) {
		if (whom_everyone(&c->usage[i].whom))
			continue;
		uint32_t h = 2166136261u; /* FNV-1a */
		for (const char *p = c->usage[i].name; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		unsigned slot = h % NFT_USAGE_MAX;
		while (taken >> slot & 1u)
			slot = (slot + 1) % NFT_USAGE_MAX;
		taken |= 1u << slot;
		labels[i] = NFT_USAGE_LABEL(slot);
	}
}

/* An allowance for some: the connections of its users' sockets (output) and
 * of its devices' MACs and ranges (prerouting) to its lists' addresses get
 * its label, which its log rule requires. */
static int usage_marks(struct nft_batch *b, const struct nft_config *c, size_t i, unsigned label)
{
	const struct nft_usage *u = &c->usage[i];
	struct mark_arg a = {label, 0, NULL};
	int r = 0;

	for (uint32_t k = 0; k < u->whom.n_uids && k < SMB_WHOM_USERS_MAX && r == 0; k++) {
		if (u->whom.uids[k] == UINT32_MAX) /* no such user: nothing of theirs to count */
			continue;
		a.uid = u->whom.uids[k];
		r = each_set(b, c, u->lists, set_mark, &a);
	}
	for (size_t k = 0; k < c->n_whos && r == 0; k++) {
		if (c->whos[k].device >= SMB_DEVICES_MAX ||
		    !(u->whom.devices >> c->whos[k].device & 1u))
			continue;
		a.who = &c->whos[k];
		r = each_set(b, c, u->lists, set_mark, &a);
	}
	return r;
}

/* One chain per allowance with its log rule, and a jump to it from the
 * usage chain for each set of its lists: the limits live in that one rule,
 * so an allowance of several lists is still logged once a minute. An
 * allowance for some has its label rules too (usage_marks), and its log
 * rule requires the label; one for everyone has neither, so it costs no
 * conntrack lookup. */
int nft_build_usage(struct nft_batch *b, const struct nft_config *c, const struct nft_config *old)
{
	char chain[NFT_CHAIN_NAME_MAX], prefix[sizeof(NFT_USAGE_PREFIX) + VALUE_NAME_MAX];
	unsigned labels[NFT_USAGE_MAX];
	int r = 0;

	usage_labels(c, labels);
	if (!old)
		r = nft_msg_base_chain_add(b, NFT_CHAIN_USAGE, "filter", NF_INET_PRE_ROUTING,
		                           NFT_PRIO_FILTER);
	if (r == 0 && usage_users(c) && !(old && usage_users(old)))
		r = nft_msg_base_chain_add(b, NFT_CHAIN_USAGE_OUT, "filter", NF_INET_LOCAL_OUT,
		                           NFT_PRIO_FILTER);
	for (size_t i = 0; i < c->n_usage && i < NFT_USAGE_MAX && r == 0; i++) {
		bool some = !whom_everyone(&c->usage[i].whom);
		usage_chain(chain, i);
		snprintf(prefix, sizeof(prefix), "%s%s", NFT_USAGE_PREFIX, c->usage[i].name);
		if ((r = nft_msg_chain_add(b, chain)) ||
		    (r = nft_msg_rule_usage_log(b, chain, c->usage_rate, prefix,
		                                some ? (int)labels[i] : NFT_LABEL_NONE)) ||
		    (some && (r = usage_marks(b, c, i, labels[i]))))
			break;
		r = each_set(b, c, c->usage[i].lists, set_jump, chain);
	}
	return r;
}

/* The usage rules of o out (they name the sets, and their chains go); the
 * usage_output chain goes too unless c keeps it (then it is emptied). */
static int usage_out(struct nft_batch *b, const struct nft_config *o, const struct nft_config *c)
{
	char chain[NFT_CHAIN_NAME_MAX];
	int r = nft_msg_chain_flush(b, NFT_CHAIN_USAGE);

	if (r == 0 && usage_users(o))
		r = usage_users(c) ? nft_msg_chain_flush(b, NFT_CHAIN_USAGE_OUT)
		                   : nft_msg_chain_del(b, NFT_CHAIN_USAGE_OUT);
	for (size_t i = 0; i < o->n_usage && r == 0; i++) {
		usage_chain(chain, i);
		r = nft_msg_chain_del(b, chain);
	}
	return r;
}

int nft_build_relist(struct nft_batch *b, const struct nft_config *o, const struct nft_config *c,
                     uint64_t blocking, uint64_t until_ns)
{
	/* the rules name the sets, which cannot go while a rule names them */
	int r = nft_msg_chain_flush(b, NFT_CHAIN_BLOCK);

	if (r == 0)
		r = usage_out(b, o, c);

	for (unsigned i = 0; i < o->n_lists && r == 0; i++) {
		if (find_list(c, o->lists[i]) < 0)
			r = del_sets(b, o, NFT_KIND_LEARNED, i);
		if (r == 0 && nft_build_has_ranges(o, i))
			r = del_sets(b, o, NFT_KIND_RANGES, i);
	}
	for (unsigned i = 0; i < c->n_lists && r == 0; i++) {
		if (find_list(o, c->lists[i]) < 0)
			r = add_learned_sets(b, c, i);
		if (r == 0 && nft_build_has_ranges(c, i))
			r = add_range_sets(b, c, i);
	}
	if (r == 0 && (blocking || c->n_some))
		r = nft_build_block_rules(b, c, blocking, until_ns);
	if (r == 0)
		r = nft_build_usage(b, c, o);
	return r;
}

int nft_build_flush(struct nft_batch *b, const struct nft_config *c)
{
	char name[NFT_SET_NAME_MAX];
	int r = 0;

	for (unsigned l = 0; l <= NFT_LIST_ENDPOINTS && r == 0; l++) {
		if (l < NFT_LIST_ENDPOINTS && l >= c->n_lists)
			continue;
		for (int f = 0; f < 2 && r == 0; f++) {
			nft_build_set_name(c, name, NFT_KIND_LEARNED, f == 0 ? AF_INET : AF_INET6,
			                   l);
			r = nft_msg_elems_flush(b, name);
		}
	}
	return r;
}

uint64_t nft_build_remap(const struct nft_config *o, const struct nft_config *c, uint64_t lists)
{
	uint64_t out = 0;

	for (unsigned i = 0; i < o->n_lists; i++) {
		int j = find_list(c, o->lists[i]);
		if (lists >> i & 1u && j >= 0)
			out |= 1ull << j;
	}
	return out;
}

/* ---- gateway mode ---- */

int nft_build_lan_redirects(struct nft_batch *b, const struct nft_config *c)
{
	int r = 0;

	for (size_t i = 0; i < c->n_lan && r == 0; i++)
		for (int p = 0; p < 2 && r == 0; p++)
			r = nft_msg_rule_lan_redirect53(
			    b, c->lan[i], p == 0 ? IPPROTO_UDP : IPPROTO_TCP, c->routed_port);
	return r;
}

void nft_build_device_chain(char *out, unsigned device)
{
	snprintf(out, NFT_SET_NAME_MAX, "%s%u", NFT_CHAIN_DEVICE, device);
}

int nft_build_device_chains(struct nft_batch *b)
{
	char name[NFT_SET_NAME_MAX];
	int r = nft_msg_chain_add(b, NFT_CHAIN_BLOCK_DEVICES);

	for (unsigned d = 0; d < SMB_DEVICES_MAX && r == 0; d++) {
		nft_build_device_chain(name, d);
		r = nft_msg_chain_add(b, name);
	}
	return r;
}

/* A device's chain: the rules of its lists, and the endpoints' and port
 * 853's as during any break. */
static int device_chain_rules(struct nft_batch *b, const struct nft_config *c, unsigned d)
{
	char chain[NFT_SET_NAME_MAX], name[NFT_SET_NAME_MAX];
	uint64_t lists = c->dev_lists[d];
	int r = 0;

	nft_build_device_chain(chain, d);
	for (unsigned l = 0; l <= NFT_LIST_ENDPOINTS && r == 0; l++) {
		if (l < NFT_LIST_ENDPOINTS && (l >= c->n_lists || !(lists >> l & 1u)))
			continue;
		bool ranges = nft_build_has_ranges(c, l);
		for (int f = 0; f < 2 && r == 0; f++) {
			int family = f == 0 ? AF_INET : AF_INET6;
			for (int k = 0; k < (ranges ? 2 : 1) && r == 0; k++) {
				enum nft_set_kind kind =
				    k == 0 ? NFT_KIND_LEARNED : NFT_KIND_RANGES;
				nft_build_set_name(c, name, kind, family, l);
				r = nft_msg_rule_block_in(b, chain, family, name,
				                          set_id(kind, family, l), c->dev_until_ns);
			}
		}
	}
	for (int p = 0; p < 2 && r == 0; p++)
		r = nft_msg_rule_block_port_in(b, chain, p == 0 ? IPPROTO_TCP : IPPROTO_UDP,
		                               NFT_PORT_DOT, c->dev_until_ns);
	return r;
}

int nft_build_device_rules(struct nft_batch *b, const struct nft_config *c)
{
	char chain[NFT_SET_NAME_MAX];
	int r = 0;

	for (size_t i = 0; i < c->n_whos && r == 0; i++) {
		const struct nft_who *w = &c->whos[i];
		if (w->device < SMB_DEVICES_MAX && c->dev_lists[w->device]) {
			nft_build_device_chain(chain, w->device);
			r = nft_msg_rule_who_jump(b, w, chain);
		}
	}
	for (unsigned d = 0; d < SMB_DEVICES_MAX && r == 0; d++)
		if (c->dev_lists[d])
			r = device_chain_rules(b, c, d);
	return r;
}

int nft_build_device_flush(struct nft_batch *b, const struct nft_config *c)
{
	char chain[NFT_SET_NAME_MAX];
	int r = nft_msg_chain_flush(b, NFT_CHAIN_BLOCK_DEVICES);

	for (unsigned d = 0; d < SMB_DEVICES_MAX && r == 0; d++)
		if (c->dev_lists[d]) {
			nft_build_device_chain(chain, d);
			r = nft_msg_chain_flush(b, chain);
		}
	return r;
}
