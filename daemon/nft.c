/* The nftables table `inet smbreak` over its lifetime: what goes into it for
 * a configuration, creating and restoring it, the changes of a reload, a
 * break, a device's break and the redirect, learned elements in and out, and
 * reading it back. The socket and its batches are nft_io.c's. */
#include "nft_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nft_build.h"

static int build_table(struct nft *n, struct nft_batch *b, const void *arg);

/* Runs one change; when it fails because the table was deleted by hand, the
 * table is recreated from what the daemon knows and the change made again. */
static int commit(struct nft *n, build_fn build, const void *arg)
{
	n->err_len = 0;
	n->err[0] = '\0';
	int r = nft_io_run(n, build, arg);
	if (r != -ENOENT || !n->have_table || nft_io_table_exists(n) != 0)
		return r;
	log_warn("nft: table inet %s was deleted while smbreakd runs; recreating it", NFT_TABLE);
	n->err_len = 0;
	n->err[0] = '\0';
	r = nft_io_run(n, build_table, NULL);
	if (r == 0)
		r = nft_io_run(n, build, arg);
	return r;
}

/* ---- what goes into the table ---- */

static int add_intercept_rules(struct nft_batch *b, const struct nft_config *c)
{
	int r = nft_msg_rule_mark_accept(b, c->mark);
	if (r == 0)
		r = nft_msg_rule_loopback_accept(b);
	for (int p = 0; p < 2 && r == 0; p++) {
		int proto = p == 0 ? IPPROTO_UDP : IPPROTO_TCP;
		r = nft_msg_rule_dnat53(b, AF_INET, proto, &c->dns4, c->dns_port);
		if (r == 0)
			r = nft_msg_rule_dnat53(b, AF_INET6, proto, &c->dns6, c->dns6_port);
	}
	/* the LAN's queries go to the forwarder whatever address they are for,
	 * the router's own included (gateway mode) */
	if (r == 0 && c->routed_port)
		r = nft_build_lan_redirects(b, c);
	if (r == 0 && c->routed_port)
		r = nft_msg_rule_routed_local_accept(b);
	for (int p = 0; p < 2 && r == 0 && c->routed_port; p++)
		r = nft_msg_rule_redirect53(b, p == 0 ? IPPROTO_UDP : IPPROTO_TCP, c->routed_port);
	return r;
}

/* The base chains: the reject rules' hooks (both jump to the block chain),
 * the redirects' (output for the machine, prerouting for what it routes) and
 * the guard of the routed port. */
static int add_hooks(struct nft_batch *b, const struct nft_config *c)
{
	int r;

	if ((r = nft_msg_base_chain_add(b, NFT_CHAIN_BLOCK_OUTPUT, "filter", NF_INET_LOCAL_OUT,
	                                NFT_PRIO_FILTER)) ||
	    (r = nft_msg_rule_jump(b, NFT_CHAIN_BLOCK_OUTPUT, NFT_CHAIN_BLOCK)) ||
	    (r = nft_msg_base_chain_add(b, NFT_CHAIN_BLOCK_FORWARD, "filter", NF_INET_FORWARD,
	                                NFT_PRIO_FILTER)) ||
	    (r = nft_msg_rule_jump(b, NFT_CHAIN_BLOCK_FORWARD, NFT_CHAIN_BLOCK)) ||
	    (c->n_lan &&
	     (r = nft_msg_rule_jump(b, NFT_CHAIN_BLOCK_FORWARD, NFT_CHAIN_BLOCK_DEVICES))))
		return r;
	if ((r = nft_msg_base_chain_add(b, NFT_CHAIN_INTERCEPT, "nat", NF_INET_LOCAL_OUT,
	                                NFT_PRIO_DSTNAT)) ||
	    (r = nft_msg_base_chain_add(b, NFT_CHAIN_INTERCEPT_ROUTED, "nat", NF_INET_PRE_ROUTING,
	                                NFT_PRIO_DSTNAT)))
		return r;
	if (!c->routed_port)
		return 0;
	if ((r = nft_msg_base_chain_add(b, NFT_CHAIN_GUARD, "filter", NF_INET_LOCAL_IN,
	                                NFT_PRIO_FILTER)) ||
	    (r = nft_msg_rule_guard(b, IPPROTO_UDP, c->routed_port)))
		return r;
	return nft_msg_rule_guard(b, IPPROTO_TCP, c->routed_port);
}

/* Elements into (add) or out of the sets of their lists. */
struct elems_arg {
	const struct nft_elem *v;
	size_t n;
	bool add;
	uint32_t min_timeout_ms;
};

static int build_elems(struct nft *n, struct nft_batch *b, const void *arg)
{
	const struct elems_arg *a = arg;
	return nft_build_elems(b, &n->cfg, a->v, a->n, a->add, a->min_timeout_ms);
}

static uint32_t floor_ms(const struct nft *n)
{
	if (!n->floor_deadline_ns)
		return 0;
	uint64_t now = now_ns(CLOCK_BOOTTIME);
	if (now >= n->floor_deadline_ns)
		return 0;
	uint64_t ms = (n->floor_deadline_ns - now + 999999u) / 1000000u;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* ---- the strict holds ---- */

#define HOLD_SET_ID 0x10000u /* above every set_id of nft_build.c */

uint32_t nft_hold_key(const char *list)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)list; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The hold elements still running, with what they have left. */
static int add_holds(struct nft *n, struct nft_batch *b)
{
	struct nft_elem v[NFT_HOLD_MAX];
	uint64_t now = now_ns(CLOCK_BOOTTIME);
	size_t k = 0;

	for (size_t i = 0; i < n->n_hold; i++) {
		if (n->hold_deadline_ns[i] <= now + 1000000u)
			continue;
		uint64_t ms = (n->hold_deadline_ns[i] - now) / 1000000u;
		memset(&v[k], 0, sizeof(v[k]));
		v[k].family = AF_INET;
		v[k].addr.v4.s_addr = htonl(n->hold_key[i]);
		v[k].timeout_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
		v[k].lists = 1;
		k++;
	}
	return k ? nft_msg_elems_add(b, NFT_SET_HOLD, AF_INET, 0, v, k, 0) : 0;
}

static int build_holds(struct nft *n, struct nft_batch *b, const void *arg)
{
	int r = nft_msg_elems_flush(b, NFT_SET_HOLD);

	(void)arg;
	return r ? r : add_holds(n, b);
}

/* Keeps count holds (count <= NFT_HOLD_MAX), their ends on CLOCK_BOOTTIME. */
static void keep_holds(struct nft *n, const uint32_t *keys, const uint32_t *remaining_ms,
                       size_t count)
{
	uint64_t now = now_ns(CLOCK_BOOTTIME);

	for (size_t i = 0; i < count; i++) {
		n->hold_key[i] = keys[i];
		n->hold_deadline_ns[i] = now + (uint64_t)remaining_ms[i] * 1000000u;
	}
	n->n_hold = count;
}

int nft_set_holds(struct nft *n, const uint32_t *keys, const uint32_t *remaining_ms, size_t count)
{
	if (count > NFT_HOLD_MAX)
		return -EINVAL;
	keep_holds(n, keys, remaining_ms, count);
	return n->have_table ? commit(n, build_holds, NULL) : 0;
}

size_t nft_old_holds(const struct nft *n, uint32_t *keys, uint32_t *left_ms, size_t max)
{
	size_t k = n->n_old < max ? n->n_old : max;

	memcpy(keys, n->old_key, k * sizeof(*keys));
	memcpy(left_ms, n->old_left_ms, k * sizeof(*left_ms));
	return k;
}

/* The whole table from n->cfg; arg: the elements carried from the old one
 * (a struct elems_arg), or NULL. */
static int build_table(struct nft *n, struct nft_batch *b, const void *arg)
{
	const struct nft_config *c = &n->cfg;
	int r;

	/* add-then-delete removes a stale table without failing when there is none */
	if ((r = nft_msg_table_add(b)) || (r = nft_msg_table_del(b)) || (r = nft_msg_table_add(b)))
		return r;
	if ((r = nft_build_sets(b, c)) || (arg && (r = build_elems(n, b, arg))))
		return r;
	if ((r = nft_msg_set_add(b, NFT_SET_HOLD, AF_INET, HOLD_SET_ID, false, NFT_HOLD_MAX)) ||
	    (r = add_holds(n, b)))
		return r;
	if ((r = nft_msg_chain_add(b, NFT_CHAIN_REFUSE)) || (r = nft_msg_rule_refuse_tcp(b)) ||
	    (r = nft_msg_rule_refuse_other(b)))
		return r;
	if ((r = nft_msg_chain_add(b, NFT_CHAIN_BLOCK)))
		return r;
	if ((c->blocking || c->n_some) &&
	    (r = nft_build_block_rules(b, c, c->blocking, c->block_until_ns)))
		return r;
	if (c->n_lan && ((r = nft_build_device_chains(b)) || (r = nft_build_device_rules(b, c))))
		return r;
	if ((r = add_hooks(b, c)))
		return r;
	if (c->intercept && (r = add_intercept_rules(b, c)))
		return r;
	return nft_build_usage(b, c, NULL);
}

/* n->cfg = *cfg, with a copy of its ranges. */
static int take_cfg(struct nft *n, const struct nft_config *cfg)
{
	struct nft_prefix *copy = NULL;

	if (cfg->n_lists > SMB_LISTS_MAX)
		return -EINVAL;
	if (cfg->n_ranges > 0) {
		copy = malloc(cfg->n_ranges * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, cfg->ranges, cfg->n_ranges * sizeof(*copy));
	}
	struct nft_who *whos = NULL;
	if (cfg->n_whos > NFT_WHOS_MAX || cfg->n_lan > NFT_LAN_MAX) {
		free(copy);
		return -EINVAL;
	}
	if (cfg->n_whos > 0) {
		whos = malloc(cfg->n_whos * sizeof(*whos));
		if (!whos) {
			free(copy);
			return -ENOMEM;
		}
		memcpy(whos, cfg->whos, cfg->n_whos * sizeof(*whos));
	}
	free(n->ranges);
	free(n->whos);
	n->ranges = copy;
	n->whos = whos;
	n->cfg = *cfg;
	n->cfg.ranges = copy;
	n->cfg.whos = whos;
	n->have_cfg = true;
	return 0;
}

static int read_back(struct nft *n, struct nft_elem **v, size_t *count);

int nft_table_replace(struct nft *n, const struct nft_config *cfg, struct nft_elem **carried,
                      size_t *n_carried)
{
	struct nft_elem *v = NULL;
	size_t count = 0;
	int r = take_cfg(n, cfg);

	if (carried) {
		*carried = NULL;
		*n_carried = 0;
	}
	if (r == 0)
		r = read_back(n, &v, &count);
	if (r < 0) {
		free(v);
		return r;
	}
	struct elems_arg a = {v, count, true, floor_ms(n)};
	n->err_len = 0;
	n->err[0] = '\0';
	r = nft_io_run(n, build_table, &a);
	if (r == 0)
		n->have_table = true;
	if (r == 0 && carried) {
		*carried = v;
		*n_carried = count;
	} else {
		free(v);
	}
	return r;
}

int nft_table_restore(struct nft *n, const struct nft_elem *v, size_t count)
{
	struct elems_arg a = {v, count, true, floor_ms(n)};

	n->err_len = 0;
	n->err[0] = '\0';
	if (!n->have_cfg) {
		nft_io_err(n,
		           "nft: restoring the table needs what it holds: nft_table_replace first");
		return -EINVAL;
	}
	int r = nft_io_run(n, build_table, &a);
	if (r == 0)
		n->have_table = true;
	return r;
}

int nft_adopt(struct nft *n, const struct nft_config *cfg)
{
	int r = take_cfg(n, cfg);
	if (r == 0)
		n->have_table = true;
	n->have_cfg = false; /* the redirect target is the other process's */
	return r;
}

struct relist_arg {
	const struct nft_config *old;
	uint64_t blocking; /* the lists in force, indices of the new config */
};

static int build_relist(struct nft *n, struct nft_batch *b, const void *arg)
{
	const struct relist_arg *a = arg;
	/* the device rules name the lists' sets too; n_lan stays what it was at
	 * start (mode and lan are not reloaded) */
	int r = a->old->n_lan ? nft_build_device_flush(b, a->old) : 0;
	if (r == 0)
		r = nft_build_relist(b, a->old, &n->cfg, a->blocking, n->cfg.block_until_ns);
	if (r == 0 && n->cfg.n_lan)
		r = nft_build_device_rules(b, &n->cfg);
	return r;
}

int nft_set_lists(struct nft *n, const struct nft_config *cfg)
{
	struct nft_config old = n->cfg;
	struct nft_prefix *old_ranges = n->ranges;
	uint64_t blocking = nft_build_remap(&old, cfg, old.blocking);

	n->ranges = NULL; /* kept for the batch, freed below */
	/* only the lists and ranges are new: the rules in force and the
	 * redirect's target stay, for the redirect and for a restore */
	struct nft_config c = old;
	c.blocking = blocking;
	for (size_t i = 0; i < c.n_some; i++)
		c.some[i].lists = nft_build_remap(&old, cfg, old.some[i].lists);
	c.n_lists = cfg->n_lists;
	memcpy(c.lists, cfg->lists, sizeof(c.lists));
	c.ranges = cfg->ranges;
	c.n_ranges = cfg->n_ranges;
	c.usage_rate = cfg->usage_rate;
	c.n_usage = cfg->n_usage;
	memcpy(c.usage, cfg->usage, sizeof(c.usage));
	c.whos = cfg->whos;
	c.n_whos = cfg->n_whos;
	for (size_t i = 0; i < SMB_DEVICES_MAX; i++)
		c.dev_lists[i] = nft_build_remap(&old, cfg, old.dev_lists[i]);
	int r = take_cfg(n, &c);
	if (r < 0) {
		n->ranges = old_ranges;
		n->cfg = old;
		return r;
	}
	struct relist_arg a = {&old, blocking};
	r = commit(n, build_relist, &a);
	free(old_ranges);
	return r;
}

static int build_delete(struct nft *n, struct nft_batch *b, const void *arg)
{
	(void)n;
	(void)arg;
	int r = nft_msg_table_add(b);
	return r ? r : nft_msg_table_del(b);
}

int nft_table_delete(struct nft *n)
{
	n->have_table = false;
	n->err_len = 0;
	n->err[0] = '\0';
	return nft_io_run(n, build_delete, NULL);
}

static int build_intercept(struct nft *n, struct nft_batch *b, const void *arg)
{
	const bool *on = arg;
	int r = nft_msg_chain_flush(b, NFT_CHAIN_INTERCEPT);
	if (r == 0)
		r = nft_msg_chain_flush(b, NFT_CHAIN_INTERCEPT_ROUTED);
	if (r == 0 && *on)
		r = add_intercept_rules(b, &n->cfg);
	return r;
}

int nft_table_leave(struct nft *n)
{
	static const bool off = false;
	int r = commit(n, build_intercept, &off);
	if (r == 0)
		n->cfg.intercept = false;
	return r;
}

struct blocking_arg {
	uint64_t lists;
	const struct inforce_some *some;
	size_t n_some;
	uint64_t until_ns;
};

static int build_blocking(struct nft *n, struct nft_batch *b, const void *arg)
{
	const struct blocking_arg *a = arg;
	int r = nft_msg_chain_flush(b, NFT_CHAIN_BLOCK);
	if (r || (!a->lists && !a->n_some))
		return r;
	/* the rules of the new set of breaks, built before the config holds it */
	struct nft_config *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = n->cfg;
	if (a->n_some) /* some is NULL with none */
		memcpy(c->some, a->some, a->n_some * sizeof(c->some[0]));
	c->n_some = a->n_some;
	r = nft_build_block_rules(b, c, a->lists, a->until_ns);
	free(c);
	return r;
}

int nft_set_blocking_some(struct nft *n, uint64_t lists, const struct inforce_some *some,
                          size_t n_some, uint64_t until_ns)
{
	if (n_some > INFORCE_SOME_MAX)
		return -EINVAL;
	struct blocking_arg a = {lists, some, n_some, until_ns};
	int r = commit(n, build_blocking, &a);
	if (r == 0) {
		n->cfg.blocking = lists;
		if (n_some)
			memcpy(n->cfg.some, some, n_some * sizeof(n->cfg.some[0]));
		n->cfg.n_some = n_some;
		n->cfg.block_until_ns = until_ns;
	}
	return r;
}

int nft_set_blocking(struct nft *n, uint64_t lists, uint64_t until_ns)
{
	return nft_set_blocking_some(n, lists, NULL, 0, until_ns);
}

static int build_device_blocking(struct nft *n, struct nft_batch *b, const void *arg)
{
	const struct nft_config *c = arg;
	int r = nft_build_device_flush(b, &n->cfg); /* what is in the table now */
	return r ? r : nft_build_device_rules(b, c);
}

int nft_set_device_blocking(struct nft *n, const uint64_t dev_lists[SMB_DEVICES_MAX],
                            uint64_t until_ns)
{
	if (!n->cfg.n_lan)
		return 0;
	struct nft_config c = n->cfg;
	memcpy(c.dev_lists, dev_lists, sizeof(c.dev_lists));
	c.dev_until_ns = until_ns;
	int r = commit(n, build_device_blocking, &c);
	if (r == 0) {
		memcpy(n->cfg.dev_lists, dev_lists, sizeof(n->cfg.dev_lists));
		n->cfg.dev_until_ns = until_ns;
	}
	return r;
}

int nft_set_intercept(struct nft *n, bool on)
{
	if (on && !n->have_cfg) {
		n->err_len = 0;
		nft_io_err(n,
		           "nft: intercept on needs the redirect target: nft_table_replace first");
		return -EINVAL;
	}
	int r = commit(n, build_intercept, &on);
	if (r == 0)
		n->cfg.intercept = on;
	return r;
}

int nft_elements_add(struct nft *n, const struct nft_elem *v, size_t count)
{
	struct elems_arg a = {v, count, true, floor_ms(n)};
	return commit(n, build_elems, &a);
}

int nft_elements_del(struct nft *n, const struct nft_elem *v, size_t count)
{
	struct elems_arg a = {v, count, false, 0};
	return commit(n, build_elems, &a);
}

static int build_flush(struct nft *n, struct nft_batch *b, const void *arg)
{
	(void)arg;
	return nft_build_flush(b, &n->cfg);
}

int nft_elements_flush(struct nft *n)
{
	return commit(n, build_flush, NULL);
}

/* ---- reading the table back ---- */

static int req_elems(void *buf, uint32_t seq, const char *name)
{
	return nft_msg_req_elems(buf, seq, name);
}

static int req_rules(void *buf, uint32_t seq, const char *name)
{
	return nft_msg_req_rules(buf, seq, name);
}

/* Elements read from one set, tagged with its list. */
struct elem_vec {
	struct nft_elem *v;
	size_t n, cap;
	unsigned list;
	uint32_t below_ms; /* only those expiring sooner (0: all), set to it */
	size_t counted;
	int err;
};

static void vec_elem(const struct nft_elem_info *e, void *arg)
{
	struct elem_vec *s = arg;
	uint64_t left = e->expiration_ms ? e->expiration_ms : e->timeout_ms;

	if (e->interval_end || s->err || (e->timeout_ms && !e->expiration_ms))
		return;
	if (s->below_ms && (e->timeout_ms == 0 || left >= s->below_ms))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct nft_elem *v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			s->err = -ENOMEM;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	struct nft_elem *x = &s->v[s->n++];
	memset(x, 0, sizeof(*x));
	x->family = e->family;
	memcpy(&x->addr, e->addr, e->family == AF_INET ? 4 : 16);
	x->timeout_ms = s->below_ms ? s->below_ms : left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	if (s->list == NFT_LIST_ENDPOINTS)
		x->endpoint = true;
	else
		x->lists = 1ull << s->list;
}

static void vec_msg(const struct nlmsghdr *h, void *arg)
{
	(void)nft_msg_parse_elems(h, vec_elem, arg);
}

/* The elements of every learned set of n->cfg's lists and of the endpoints
 * sets; a set or table that is not there has none. */
static int collect_learned(struct nft *n, struct elem_vec *s)
{
	char name[NFT_SET_NAME_MAX];

	for (unsigned l = 0; l <= NFT_LIST_ENDPOINTS; l++) {
		if (l < NFT_LIST_ENDPOINTS && l >= n->cfg.n_lists)
			continue;
		s->list = l;
		for (int f = 0; f < 2; f++) {
			nft_build_set_name(&n->cfg, name, NFT_KIND_LEARNED,
			                   f == 0 ? AF_INET : AF_INET6, l);
			int r = nft_io_dump(n, req_elems, name, vec_msg, s);
			if (r == -ENOENT) {
				n->err_len = 0;
				n->err[0] = '\0';
				continue;
			}
			if (r < 0)
				return r;
			if (s->err)
				return s->err;
		}
	}
	return 0;
}

/* The old table's holds into n->old_*; a table without the set has none. */
static int collect_holds(struct nft *n)
{
	struct elem_vec s = {0};
	int r = nft_io_dump(n, req_elems, NFT_SET_HOLD, vec_msg, &s);

	n->n_old = 0;
	if (r == -ENOENT) {
		n->err_len = 0;
		n->err[0] = '\0';
		r = 0;
	}
	if (r == 0 && s.err)
		r = s.err;
	for (size_t i = 0; r == 0 && i < s.n && n->n_old < NFT_HOLD_MAX; i++) {
		if (s.v[i].family != AF_INET || s.v[i].timeout_ms == 0)
			continue;
		n->old_key[n->n_old] = ntohl(s.v[i].addr.v4.s_addr);
		n->old_left_ms[n->n_old++] = s.v[i].timeout_ms;
	}
	free(s.v);
	return r;
}

int nft_read_holds(uint32_t *keys, uint32_t *left_ms, size_t max)
{
	struct nft *n;
	int r = nft_new(&n);

	if (r < 0)
		return r;
	r = nft_io_table_exists(n);
	if (r > 0)
		r = collect_holds(n);
	if (r == 0)
		r = (int)nft_old_holds(n, keys, left_ms, max);
	nft_free(n);
	return r;
}

static int read_back(struct nft *n, struct nft_elem **v, size_t *count)
{
	struct elem_vec s = {0};
	int exists = nft_io_table_exists(n), r = exists < 0 ? exists : 0;

	n->n_old = 0;
	if (exists > 0)
		r = collect_learned(n, &s);
	if (exists > 0 && r == 0)
		r = collect_holds(n);
	/* the new table keeps them until the first evaluation says what holds */
	if (r == 0)
		keep_holds(n, n->old_key, n->old_left_ms, n->n_old);
	*v = s.v;
	*count = s.n;
	return r < 0 ? r : 0;
}

int nft_elements_read(struct nft *n, struct nft_elem **v, size_t *count)
{
	struct elem_vec s = {0};

	n->err_len = 0;
	n->err[0] = '\0';
	int r = collect_learned(n, &s);
	*v = s.v;
	*count = s.n;
	return r;
}

static void count_elem(const struct nft_elem_info *e, void *arg)
{
	if (!e->interval_end)
		++*(size_t *)arg;
}

static void count_elems(const struct nlmsghdr *h, void *arg)
{
	(void)nft_msg_parse_elems(h, count_elem, arg);
}

static void count_rules(const struct nlmsghdr *h, void *arg)
{
	if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWRULE)
		++*(unsigned *)arg;
}

static int count_sets(struct nft *n, struct nft_counts *out)
{
	char name[NFT_SET_NAME_MAX];
	int r = 0;

	for (unsigned l = 0; l <= NFT_LIST_ENDPOINTS && r == 0; l++) {
		if (l < NFT_LIST_ENDPOINTS && l >= n->cfg.n_lists)
			continue;
		bool ranges = l < NFT_LIST_ENDPOINTS && nft_build_has_ranges(&n->cfg, l);
		for (int f = 0; f < 2 && r == 0; f++) {
			int family = f == 0 ? AF_INET : AF_INET6;
			nft_build_set_name(&n->cfg, name, NFT_KIND_LEARNED, family, l);
			r = nft_io_dump(n, req_elems, name, count_elems,
			                family == AF_INET ? &out->learned4 : &out->learned6);
			if (r == 0 && ranges) {
				nft_build_set_name(&n->cfg, name, NFT_KIND_RANGES, family, l);
				r = nft_io_dump(n, req_elems, name, count_elems,
				                family == AF_INET ? &out->ranges4 : &out->ranges6);
			}
		}
	}
	return r;
}

int nft_counts(struct nft *n, struct nft_counts *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	n->err_len = 0;
	n->err[0] = '\0';
	if ((r = count_sets(n, out)) ||
	    (r = nft_io_dump(n, req_rules, NFT_CHAIN_BLOCK, count_rules, &out->block_rules)) ||
	    (r = nft_io_dump(n, req_rules, NFT_CHAIN_INTERCEPT, count_rules,
	                     &out->intercept_rules)))
		return r;
	return 0;
}

int nft_set_timeout_floor(struct nft *n, uint32_t remaining_ms)
{
	n->err_len = 0;
	n->err[0] = '\0';
	if (remaining_ms == 0) {
		n->floor_deadline_ns = 0;
		return 0;
	}
	n->floor_deadline_ns = now_ns(CLOCK_BOOTTIME) + (uint64_t)remaining_ms * 1000000u;
	struct elem_vec s = {.below_ms = remaining_ms};
	int r = collect_learned(n, &s);
	if (r == 0 && s.n > 0) {
		struct elems_arg a = {s.v, s.n, true, remaining_ms};
		r = commit(n, build_elems, &a);
	}
	free(s.v);
	return r;
}
