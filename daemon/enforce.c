/* Enforcement over nftables: the one place that decides what the table looks
 * like for a given set of lists in force. */
#include "enforce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <linux/filter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addrset.h"
#include "dns.h"
#include "file.h"
#include "log.h"
#include "nft.h"
#include "nft_mon.h"

/* nft's `meta time` is in nanoseconds since the epoch, 64 bits: ends past
 * this (a break that is always on) mean "no end". */
#define ENFORCE_END_MAX ((time_t)(INT64_MAX / 1000000000))

_Static_assert(DNS_ADDRS_MAX == NFT_LEARNED_MAX,
               "a kernel set holds what the forwarder's table holds, and no more");

/* The learned elements kept over a clean stop, in the state directory: one
 * line per element and set, "ADDRESS EXPIRES LIST" (EXPIRES: seconds since
 * the epoch; LIST: a list's name, or @endpoints), read back at the next start
 * when there is no old table to read them from. */
#define ENFORCE_LEARNED_FILE "learned"
#define ENFORCE_LEARNED_MAX  (16u << 20) /* bytes; some 300,000 elements */
#define ENFORCE_ENDPOINTS    "@endpoints"

/* The watch on the table: one datagram of notifications read at a time (the
 * kernel fills one up to a page or so), at most WATCH_READS per wake-up so
 * that a flood of other processes' changes cannot hold the loop, and a
 * receive buffer for the changes of a whole `nft -f` of someone else's. */
#define WATCH_BUF    (64u * 1024u)
#define WATCH_READS  256
#define WATCH_RCVBUF (8 * 1024 * 1024)

struct enforce {
	struct nft *nft;
	char *state_dir;
	uint64_t blocking; /* the lists whose rules are in */
	size_t n_some;     /* and how many entries for some users have theirs */
	bool strict;
	struct nft_elem *carried; /* read back from the table replaced at start */
	size_t n_carried;
	const struct lists_bypass *bypass; /* its resolver addresses: every break blocks them */
	size_t n_devices; /* gateway mode: conf->n_devices, for the per-device rules */
	size_t n_lists;   /* the lists' names, for the learned file */
	char lists[SMB_LISTS_MAX][VALUE_NAME_MAX + 1];
	/* the watch on the table (enforce_watch) */
	struct nl_sock *watch_sk;
	struct event *watch_ev;
	uint8_t *watch_buf;
	struct nft_mon mon;
	enforce_learned_fn learned;
	void *learned_arg;
	uint64_t restores;
};

static void log_nft(struct enforce *e, const char *what, int r)
{
	const char *why = nft_error(e->nft);

	log_error("nft: %s failed: %s", what, *why ? why : strerror(-r));
}

/* ---- the learned elements over a clean stop ---- */

static void keep_names(struct enforce *e, const struct conf *c)
{
	e->n_lists = c->n_lists;
	for (size_t i = 0; i < c->n_lists; i++)
		snprintf(e->lists[i], sizeof(e->lists[i]), "%s", c->lists[i].name);
}

/* Writes the learned elements now in the sets, so that the next start puts
 * them back (a clean stop removes the table). */
static void save_learned(struct enforce *e)
{
	struct nft_elem *v = NULL;
	size_t n = 0, off = 0;
	char *buf = NULL;
	time_t now = time(NULL);
	int r = nft_elements_read(e->nft, &v, &n);

	if (r == 0 && n)
		r = (buf = malloc(ENFORCE_LEARNED_MAX)) ? 0 : -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		char a[INET6_ADDRSTRLEN];
		unsigned l =
		    v[i].endpoint ? NFT_LIST_ENDPOINTS : (unsigned)__builtin_ctzll(v[i].lists);
		inet_ntop(v[i].family, &v[i].addr, a, sizeof(a));
		if (file_appendf(buf, ENFORCE_LEARNED_MAX, &off, "%s %lld %s\n", a,
		                 (long long)now + (v[i].timeout_ms + 999) / 1000,
		                 l == NFT_LIST_ENDPOINTS ? ENFORCE_ENDPOINTS : e->lists[l]) < 0)
			break; /* the file's bound: the rest is not kept */
	}
	if (r == 0 && n)
		r = file_write_atomic(e->state_dir, ENFORCE_LEARNED_FILE, buf, off);
	if (r < 0)
		log_warn("nft: cannot keep the learned addresses in %s/%s: %s", e->state_dir,
		         ENFORCE_LEARNED_FILE, strerror(-r));
	else if (n)
		log_info("nft: %zu learned addresses kept in %s/%s for the next start", n,
		         e->state_dir, ENFORCE_LEARNED_FILE);
	free(buf);
	free(v);
}

struct learned_file {
	struct enforce *e;
	struct nft_elem *v;
	size_t n;
	time_t now;
};

/* One line; 0 when it is kept or skipped (expired, a list gone), -EINVAL
 * when it does not parse. */
static int learned_line(struct learned_file *f, char *line)
{
	char *addr = strtok(line, " "), *exp = strtok(NULL, " "), *list = strtok(NULL, " "), *end;
	struct nft_elem x = {0};
	uint8_t a[16];

	if (!list || strtok(NULL, " ") || value_parse_ip(addr, &x.family, a) < 0)
		return -EINVAL;
	long long expires = strtoll(exp, &end, 10);
	if (*end || expires <= f->now)
		return *end ? -EINVAL : 0;
	memcpy(&x.addr, a, x.family == AF_INET ? 4 : 16);
	x.timeout_ms =
	    expires - f->now > UINT32_MAX / 1000 ? UINT32_MAX : (uint32_t)(expires - f->now) * 1000;
	if (strcmp(list, ENFORCE_ENDPOINTS) == 0) {
		x.endpoint = true;
	} else {
		size_t i = 0;
		while (i < f->e->n_lists && strcmp(f->e->lists[i], list) != 0)
			i++;
		if (i == f->e->n_lists)
			return 0;
		x.lists = 1ull << i;
	}
	f->v[f->n++] = x;
	return 0;
}

static int parse_learned(const char *text, size_t len, void *out, char *err, size_t errlen)
{
	struct learned_file *f = out;
	size_t lines = 0;
	char *copy = malloc(len + 1);

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	f->v = calloc(lines + 1, sizeof(*f->v));
	if (!copy || !f->v) {
		free(copy);
		return -ENOMEM;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	int r = 0, n = 0;
	for (char *p = copy, *nl; r == 0 && *p; p = nl + 1, n++) {
		nl = strchr(p, '\n');
		if (!nl)
			break; /* a last line cut short is not used */
		*nl = '\0';
		r = learned_line(f, p);
		if (r < 0)
			snprintf(err, errlen, "line %d does not parse", n + 1);
	}
	free(copy);
	return r;
}

/* At start, with no old table to read from: the elements a clean stop kept,
 * into the new sets (the file is used once). */
static void load_learned(struct enforce *e)
{
	struct learned_file f = {e, NULL, 0, time(NULL)};
	char err[128] = "";
	int r = file_load(e->state_dir, ENFORCE_LEARNED_FILE, ENFORCE_LEARNED_MAX, parse_learned,
	                  &f, err, sizeof(err));

	if (r == 1)
		log_warn("nft: %s/%s set aside: %s", e->state_dir, ENFORCE_LEARNED_FILE, err);
	else if (r < 0)
		log_warn("nft: cannot read %s/%s: %s", e->state_dir, ENFORCE_LEARNED_FILE,
		         strerror(-r));
	if (r == 0 && f.n && (r = nft_elements_add(e->nft, f.v, f.n)) < 0)
		log_nft(e, "put back the learned addresses kept over the stop", r);
	if (r == 0 && f.n) {
		log_info("nft: %zu learned addresses put back from %s/%s", f.n, e->state_dir,
		         ENFORCE_LEARNED_FILE);
		e->carried = f.v;
		e->n_carried = f.n;
		f.v = NULL;
	}
	free(f.v);
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", e->state_dir, ENFORCE_LEARNED_FILE) <
	    (int)sizeof(path))
		unlink(path);
}

static uint64_t until_ns(time_t end)
{
	return end > 0 && end < ENFORCE_END_MAX ? (uint64_t)end * 1000000000u : 0;
}

/* The lists of c by name and their ranges, as the table holds them, and
 * the shipped resolver addresses as the endpoints' ranges; *ranges:
 * malloc'ed, the caller frees it once the table has copied it. */
static int table_lists(const struct enforce *e, const struct conf *c, struct nft_config *cfg,
                       struct nft_prefix **ranges)
{
	size_t n = e->bypass->n_resolvers, k = 0;

	cfg->n_lists = c->n_lists;
	for (size_t i = 0; i < c->n_lists; i++) {
		snprintf(cfg->lists[i], sizeof(cfg->lists[i]), "%s", c->lists[i].name);
		n += c->lists[i].n_addresses;
	}
	*ranges = n ? malloc(n * sizeof(**ranges)) : NULL;
	if (n && !*ranges)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_lists; i++)
		for (size_t j = 0; j < c->lists[i].n_addresses; j++) {
			const struct conf_range *r = &c->lists[i].addresses[j];
			struct nft_prefix *p = &(*ranges)[k++];
			memset(p, 0, sizeof(*p));
			p->family = r->family;
			p->len = r->len;
			memcpy(p->addr, r->addr, sizeof(p->addr));
			p->list = (uint8_t)i;
		}
	for (size_t i = 0; i < e->bypass->n_resolvers; i++) {
		const struct lists_resolver *r = &e->bypass->resolvers[i];
		struct nft_prefix *p = &(*ranges)[k++];
		memset(p, 0, sizeof(*p));
		p->family = r->family;
		p->len = r->family == AF_INET ? 32 : 128;
		memcpy(p->addr, r->addr, sizeof(p->addr));
		p->list = (uint8_t)NFT_LIST_ENDPOINTS;
	}
	cfg->ranges = *ranges;
	cfg->n_ranges = n;
	cfg->usage_rate = c->active_rate;
	for (size_t i = 0; i < c->n_allowances && i < NFT_USAGE_MAX; i++) {
		snprintf(cfg->usage[i].name, sizeof(cfg->usage[i].name), "%s",
		         c->allowances[i].b.name);
		for (size_t j = 0; j < c->allowances[i].b.n_lists; j++)
			cfg->usage[i].lists |= 1ull << c->allowances[i].b.lists[j];
		cfg->usage[i].whom = c->allowances[i].b.whom;
	}
	cfg->n_usage = c->n_allowances < NFT_USAGE_MAX ? c->n_allowances : NFT_USAGE_MAX;
	return 0;
}

/* Gateway mode: the LAN interfaces and each identity (MAC, range) of each
 * device; *whos: malloc'ed, the caller frees it once the table copied it. */
static int table_devices(struct enforce *e, const struct conf *c, struct nft_config *cfg,
                         struct nft_who **whos)
{
	size_t n = 0, k = 0;

	*whos = NULL;
	e->n_devices = c->mode == CONF_MODE_GATEWAY ? c->n_devices : 0;
	if (c->mode != CONF_MODE_GATEWAY)
		return 0;
	cfg->n_lan = c->n_lan;
	for (size_t i = 0; i < c->n_lan; i++)
		snprintf(cfg->lan[i], sizeof(cfg->lan[i]), "%s", c->lan[i]);
	for (size_t i = 0; i < c->n_devices; i++)
		n += c->devices[i].n_macs + c->devices[i].n_addresses;
	if (n == 0)
		return 0;
	if (!(*whos = calloc(n, sizeof(**whos))))
		return -ENOMEM;
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct conf_device *d = &c->devices[i];
		for (size_t j = 0; j < d->n_macs; j++, k++) {
			(*whos)[k].device = (uint8_t)i;
			memcpy((*whos)[k].mac, d->macs[j], 6);
		}
		for (size_t j = 0; j < d->n_addresses; j++, k++) {
			struct nft_prefix *p = &(*whos)[k].range;
			(*whos)[k].device = (uint8_t)i;
			p->family = d->addresses[j].family;
			p->len = d->addresses[j].len;
			memcpy(p->addr, d->addresses[j].addr, sizeof(p->addr));
		}
	}
	cfg->whos = *whos;
	cfg->n_whos = n;
	return 0;
}

/* Where intercepted queries go. IPv6 goes to the forwarder whatever
 * `listen` holds: to [::1] at the intercept port when `listen` has no IPv6
 * address. What the machine routes goes to that port of the address it
 * arrives at. */
static void listen_targets(const struct conf *c, struct nft_config *cfg)
{
	bool have4 = false, have6 = false;

	cfg->dns6 = in6addr_loopback;
	cfg->dns6_port = DNS_INTERCEPT_PORT;
	cfg->routed_port = c->intercept ? DNS_INTERCEPT_PORT : 0;
	for (size_t i = 0; i < c->n_listen; i++) {
		const struct sockaddr_storage *ss = &c->listen[i].ss;
		if (ss->ss_family == AF_INET && !have4) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
			cfg->dns4 = sin->sin_addr;
			cfg->dns_port = ntohs(sin->sin_port);
			have4 = true;
		} else if (ss->ss_family == AF_INET6 && !have6) {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
			cfg->dns6 = sin6->sin6_addr;
			cfg->dns6_port = ntohs(sin6->sin6_port);
			have6 = true;
		}
	}
}

int enforce_new(const struct conf *c, uint32_t mark, const char *state_dir,
                const struct lists_bypass *bypass, struct enforce **out)
{
	struct enforce *e = calloc(1, sizeof(*e));
	struct nft_config cfg = {.mark = mark};
	struct nft_prefix *ranges = NULL;
	struct nft_who *whos = NULL;
	int r;

	if (!e || !(e->state_dir = strdup(state_dir))) {
		free(e);
		return -ENOMEM;
	}
	e->bypass = bypass;
	keep_names(e, c);
	listen_targets(c, &cfg);
	r = table_lists(e, c, &cfg, &ranges);
	if (r == 0)
		r = table_devices(e, c, &cfg, &whos);
	if (r == 0)
		r = nft_new(&e->nft);
	if (r < 0) {
		log_error("nft: cannot open a netlink socket: %s", strerror(-r));
		free(ranges);
		free(whos);
		free(e->state_dir);
		free(e);
		return r;
	}
	/* Intercept stays off until the DNS forwarder listens: redirecting port 53
	 * to nothing would take the machine's DNS away. */
	r = nft_table_replace(e->nft, &cfg, &e->carried, &e->n_carried);
	free(ranges);
	free(whos);
	if (r < 0) {
		log_nft(e,
		        r == -EPERM ? "create table inet smbreak (smbreakd needs CAP_NET_ADMIN)"
		                    : "create table inet smbreak",
		        r);
		nft_free(e->nft);
		free(e->state_dir);
		free(e);
		return r;
	}
	if (!e->n_carried)
		load_learned(e);
	else if (e->n_carried)
		log_info("nft: table inet smbreak created, %zu learned addresses carried over "
		         "from the table it replaced",
		         e->n_carried);
	else
		log_info("nft: table inet smbreak created");
	*out = e;
	return 0;
}

void enforce_take_carried(struct enforce *e, struct nft_elem **v, size_t *n)
{
	*v = e->carried;
	*n = e->n_carried;
	e->carried = NULL;
	e->n_carried = 0;
}

void enforce_set_conf(struct enforce *e, const struct conf *c)
{
	struct nft_config cfg = {0};
	struct nft_prefix *ranges = NULL;
	struct nft_who *whos = NULL;
	int r = table_lists(e, c, &cfg, &ranges);

	keep_names(e, c);
	if (r == 0)
		r = table_devices(e, c, &cfg, &whos);
	if (r == 0)
		r = nft_set_lists(e->nft, &cfg);
	free(ranges);
	free(whos);
	if (r < 0)
		log_nft(e, "change the lists' sets", r);
}

/* Gateway mode: what each device gets beyond the breaks for everyone. */
static void apply_devices(struct enforce *e, const struct inforce *in)
{
	uint64_t dev[SMB_DEVICES_MAX] = {0}, any = 0;

	if (!e->n_devices)
		return;
	for (size_t i = 0; i < e->n_devices && i < SMB_DEVICES_MAX; i++) {
		struct whom_id id = {.device = (int)i};
		dev[i] = inforce_lists_for(in, &id) & ~in->lists;
		any |= dev[i];
	}
	int r = nft_set_device_blocking(e->nft, dev, any ? until_ns(in->end) : 0);
	if (r < 0)
		log_nft(e, "change the reject rules for devices", r);
}

void enforce_apply(struct enforce *e, const struct inforce *in)
{
	uint64_t on = in->lists;
	bool any = inforce_any(in);
	time_t now = time(NULL);
	int r;

	/* Breaks for some users get rules of their own (meta skuid). */
	r = nft_set_blocking_some(e->nft, on, in->some, in->n_some, any ? until_ns(in->end) : 0);
	if (r < 0)
		log_nft(e, any ? "add the reject rules" : "remove the reject rules", r);
	else if (on != e->blocking || in->n_some != e->n_some)
		log_info("nft: reject rules %s%s",
		         any ? "in force for the lists in force" : "removed",
		         in->n_some ? ", some of them for some users only" : "");
	e->blocking = r == 0 ? on : 0;
	e->n_some = r == 0 ? in->n_some : 0;
	apply_devices(e, in);

	/* During a strict break no learned address may expire before it ends. */
	uint32_t floor_ms = 0;
	if (in->strict && in->end > now)
		floor_ms = in->end - now > UINT32_MAX / 1000 ? UINT32_MAX
		                                             : (uint32_t)(in->end - now) * 1000;
	if (floor_ms || e->strict) {
		r = nft_set_timeout_floor(e->nft, floor_ms);
		if (r < 0)
			log_nft(e, "set the strict timeout floor", r);
	}
	e->strict = in->strict;
}

void enforce_set_holds(struct enforce *e, const struct conf *c, const time_t *until)
{
	uint32_t keys[NFT_HOLD_MAX], ms[NFT_HOLD_MAX];
	time_t now = time(NULL);
	size_t n = 0;

	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX && n < NFT_HOLD_MAX; i++) {
		if (until[i] <= now)
			continue;
		uint64_t left = (uint64_t)(until[i] - now) * 1000u;
		keys[n] = nft_hold_key(c->lists[i].name);
		ms[n++] = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	}
	int r = nft_set_holds(e->nft, keys, ms, n);
	if (r < 0)
		log_nft(e, "write the strict holds", r);
}

time_t enforce_match_holds(const struct conf *c, const uint32_t *keys, const uint32_t *ms, size_t n,
                           time_t *held)
{
	time_t now = time(NULL), unmatched = 0;

	memset(held, 0, SMB_LISTS_MAX * sizeof(*held));
	for (size_t k = 0; k < n; k++) {
		time_t end = now + (time_t)((ms[k] + 999) / 1000);
		bool found = false;
		for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++)
			if (nft_hold_key(c->lists[i].name) == keys[k]) {
				found = true;
				if (end > held[i])
					held[i] = end;
			}
		if (!found && end > unmatched)
			unmatched = end;
	}
	return unmatched;
}

time_t enforce_old_holds(const struct enforce *e, const struct conf *c, time_t *held)
{
	uint32_t keys[NFT_HOLD_MAX], ms[NFT_HOLD_MAX];
	size_t n = nft_old_holds(e->nft, keys, ms, NFT_HOLD_MAX);

	return enforce_match_holds(c, keys, ms, n, held);
}

int enforce_set_intercept(struct enforce *e, bool on)
{
	int r = nft_set_intercept(e->nft, on);

	if (r < 0)
		log_nft(e, on ? "turn the port-53 redirect on" : "turn the port-53 redirect off",
		        r);
	else
		log_info("nft: port-53 redirect to the forwarder %s", on ? "on" : "off");
	return r;
}

/* Deletes what it can: an element the kernel no longer holds (expired there
 * a moment before the forwarder's table says) fails the whole batch, so the
 * batch is halved around it rather than losing the others. */
static int del_elements(struct enforce *e, const struct nft_elem *v, size_t n)
{
	int r = nft_elements_del(e->nft, v, n);

	if (r != -ENOENT || n < 2)
		return r == -ENOENT ? 0 : r;
	r = del_elements(e, v, n / 2);
	int r2 = del_elements(e, v + n / 2, n - n / 2);
	return r ? r : r2;
}

void enforce_learn(struct enforce *e, const struct nft_elem *add, size_t n_add,
                   const struct nft_elem *del, size_t n_del)
{
	int r;

	/* adds first: an address learned and then found shared (or evicted) in
	 * the same turn must end up out */
	if (n_add && (r = nft_elements_add(e->nft, add, n_add)) < 0)
		log_nft(e, "add learned addresses", r);
	if (n_del && (r = del_elements(e, del, n_del)) < 0)
		log_nft(e, "take shared or evicted addresses out of the sets", r);
}

/* ---- the table put back when someone else changes it ---- */

/* The forwarder's learned addresses, which the kernel's learned sets mirror,
 * as elements with the time each has left; *out: malloc'ed, NULL when none. */
static int learned_elems(struct enforce *e, struct nft_elem **out, size_t *n)
{
	const struct addrset *s = e->learned ? e->learned(e->learned_arg) : NULL;
	time_t now = time(NULL);
	size_t cap = 0, k = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; s && s->v && i <= s->mask; i++)
		cap += s->v[i].family && s->v[i].expires > now;
	if (!cap)
		return 0;
	struct nft_elem *v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i <= s->mask; i++) {
		const struct addrset_entry *a = &s->v[i];
		if (!a->family || a->expires <= now)
			continue;
		struct nft_elem *x = &v[k++];
		x->family = a->family;
		memcpy(&x->addr, a->addr, a->family == AF_INET ? 4 : 16);
		x->lists = a->lists;
		x->endpoint = a->endpoint;
		x->timeout_ms = a->expires - now > UINT32_MAX / 1000
		                    ? UINT32_MAX
		                    : (uint32_t)(a->expires - now) * 1000;
	}
	*out = v;
	*n = k;
	return 0;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The whole table again, as the daemon last made it: rebuilding is one
 * transaction whatever was done to it (the table deleted, a chain or a set
 * flushed, a rule deleted, an element added), and the same every time. */
static void restore(struct enforce *e, int changes, bool lost, uint64_t seen_us)
{
	struct nft_elem *v = NULL;
	size_t n = 0;
	char who[64];
	int r = learned_elems(e, &v, &n);

	if (r == 0)
		r = nft_table_restore(e->nft, v, n);
	free(v);
	if (r < 0) {
		log_nft(e, "restore table inet smbreak", r);
		return;
	}
	e->restores++;
	if (lost)
		snprintf(who, sizeof(who), "a change whose notifications were lost");
	else if (e->mon.pid)
		snprintf(who, sizeof(who), "process %u (%s)", e->mon.pid, e->mon.comm);
	else
		snprintf(who, sizeof(who), "another process");
	log_warn("nft: table inet smbreak was changed by %s%s, not by smbreakd; restored with "
	         "%zu learned addresses in %.1f ms",
	         who, changes > 1 ? " and others" : "", n, (double)(now_us() - seen_us) / 1000.0);
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct enforce *e = arg;
	uint64_t seen = now_us();
	int changes = 0;
	bool lost = false;

	(void)what;
	for (int i = 0; i < WATCH_READS; i++) {
		ssize_t len = recv(fd, e->watch_buf, WATCH_BUF, MSG_DONTWAIT | MSG_TRUNC);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (len < 0 && errno != ENOBUFS) {
			log_error("nft: reading the table's notifications failed: %s; changes made "
			          "to it by hand are no longer undone",
			          strerror(errno));
			event_del(e->watch_ev);
			break;
		}
		/* the socket's buffer ran over, or a datagram did not fit: what
		 * happened is unknown, so the table is made again */
		int r = len < 0 || len > (ssize_t)WATCH_BUF
		            ? -ENOBUFS
		            : nft_mon_feed(&e->mon, e->watch_buf, (size_t)len);
		if (r < 0) {
			lost = true;
			e->mon.touched = false;
		} else {
			changes += r;
		}
	}
	if (changes || lost)
		restore(e, changes, lost, seen);
}

/* A socket on the nf_tables notifications. A filter drops those of the
 * daemon's own batches in the kernel (each notification datagram holds
 * messages of one transaction, all sent from one port, and the first
 * message's port is what the filter reads), so that a big restore of ours
 * cannot fill the buffer and, by the loss, ask for another. */
static int watch_open(struct enforce *e)
{
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_pid)),
	    /* BPF_ABS loads in network order */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(e->mon.self), 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	    BPF_STMT(BPF_RET | BPF_K, UINT32_MAX),
	};
	struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};

	e->watch_sk = nl_socket_alloc();
	if (!e->watch_sk)
		return -ENOMEM;
	nl_socket_disable_seq_check(e->watch_sk);
	if (nl_connect(e->watch_sk, NETLINK_NETFILTER) < 0 ||
	    nl_socket_add_membership(e->watch_sk, NFNLGRP_NFTABLES) < 0)
		return errno ? -errno : -EIO;
	int fd = nl_socket_get_fd(e->watch_sk);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){WATCH_RCVBUF}, sizeof(int)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){WATCH_RCVBUF}, sizeof(int));
	return fd;
}

int enforce_watch(struct enforce *e, struct event_base *base, enforce_learned_fn learned, void *arg)
{
	e->learned = learned;
	e->learned_arg = arg;
	e->mon.self = nft_portid(e->nft);
	int fd = watch_open(e);
	if (fd >= 0 && !(e->watch_buf = malloc(WATCH_BUF)))
		fd = -ENOMEM;
	if (fd >= 0 && (!(e->watch_ev = event_new(base, fd, EV_READ | EV_PERSIST, on_watch, e)) ||
	                event_add(e->watch_ev, NULL) < 0))
		fd = -ENOMEM;
	if (fd < 0) {
		log_error("nft: cannot watch table inet smbreak for changes made by hand: %s; "
		          "they are undone only at the next change",
		          strerror(-fd));
		return fd;
	}
	return 0;
}

void enforce_put_status(struct enforce *e, struct proto_msg *reply)
{
	struct nft_counts n;

	proto_put_counter(reply, "tamper_restores", e->restores);
	if (nft_counts(e->nft, &n) < 0) {
		log_nft(e, "read the table back", -EIO);
		return;
	}
	proto_put_counter(reply, "addresses4", n.learned4);
	proto_put_counter(reply, "addresses6", n.learned6);
	proto_put_counter(reply, "addresses_max_per_set", NFT_LEARNED_MAX);
	proto_put_counter(reply, "ranges4", n.ranges4);
	proto_put_counter(reply, "ranges6", n.ranges6);
	proto_put_counter(reply, "reject_rules", n.block_rules);
}

void enforce_free(struct enforce *e)
{
	int r;

	if (!e)
		return;
	if (e->strict && e->blocking) {
		r = nft_table_leave(e->nft);
		if (r < 0)
			log_nft(e, "leave the table for the strict break", r);
		else
			log_notice("nft: a strict break is on: its rules and addresses stay "
			           "until it ends");
	} else {
		save_learned(e);
		r = nft_table_delete(e->nft);
		if (r < 0)
			log_nft(e, "remove table inet smbreak", r);
		else
			log_info("nft: table inet smbreak removed");
	}
	if (e->watch_ev)
		event_free(e->watch_ev);
	if (e->watch_sk)
		nl_socket_free(e->watch_sk);
	free(e->watch_buf);
	nft_free(e->nft);
	free(e->carried);
	free(e->state_dir);
	free(e);
}
