/* The control commands that only look things up: smctl check (which entry
 * of which list decides a name), lists, services and stats. The commands
 * that change what is in force are in commands.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaks_internal.h"
#include "domains.h"
#include "lists.h"
#include "users.h"

#define STATS_DAYS_DEFAULT 7 /* smctl stats without --days */

static void put_match(struct proto_msg *m, const char *list, const char *kind, const char *entry,
                      const char *source, unsigned line)
{
	long nest = proto_nest_start(m, PROTO_A_MATCH);

	if (nest < 0)
		return;
	proto_put_str(m, PROTO_A_LIST, list);
	proto_put_str(m, PROTO_A_KIND, kind);
	proto_put_str(m, PROTO_A_ENTRY, entry);
	proto_put_str(m, PROTO_A_SOURCE, source);
	if (line)
		proto_put_u32(m, PROTO_A_LINE, line);
	proto_nest_end(m, nest);
}

static void put_hit(struct breaks *b, struct proto_msg *m, unsigned list, const char *kind,
                    const struct domains_hit *h)
{
	const char *src = domains_origin(b->domains, h->origin, NULL, NULL);

	put_match(m, b->conf->lists[list].name, kind, h->entry, src ? src : "?", h->line);
}

/* The block and allow entries that decide name in each list it matches. */
static void put_hits(struct breaks *b, struct proto_msg *reply, const char *name, size_t nlen,
                     const struct domains_match *m)
{
	for (unsigned i = 0; i < b->conf->n_lists && i < SMB_LISTS_MAX; i++) {
		struct domains_why w;
		if (!((m->block | m->allow) & (UINT64_C(1) << i)))
			continue;
		domains_explain(b->domains, name, nlen, i, &w);
		if (w.block.found)
			put_hit(b, reply, i, "block", &w.block);
		if (w.allow.found)
			put_hit(b, reply, i, "allow", &w.allow);
	}
}

static void put_check_break(struct proto_msg *reply, const char *name, const struct whom *w,
                            const char *kind, bool on, bool skipped, bool blocks)
{
	long nest = proto_nest_start(reply, PROTO_A_BREAK);

	if (nest < 0)
		return;
	proto_put_str(reply, PROTO_A_NAME, name);
	proto_put_str(reply, PROTO_A_KIND, kind);
	breaks_put_users(reply, w);
	if (on)
		proto_put_flag(reply, PROTO_A_ON);
	if (skipped)
		proto_put_flag(reply, PROTO_A_SKIPPED);
	if (blocks)
		proto_put_flag(reply, PROTO_A_BLOCKED);
	proto_nest_end(reply, nest);
}

/* The sentence of smctl check's verdict: by a bypass rule (rule), through
 * a CNAME chain (chain), or by the lists; `during`: the breaks that block it. */
static void reply_verdict(struct proto_msg *reply, enum policy_verdict v, const char *name,
                          const char *rule_now, const char *rule, const char *chain,
                          const char *during)
{
	if (v == POLICY_BLOCKED_NOW && rule_now)
		breaks_reply_result(reply, PROTO_RESULT_OK,
		                    "%s is blocked now: %s, blocked during every break", name,
		                    rule_now);
	else if (v == POLICY_BLOCKED_NOW && chain)
		breaks_reply_result(
		    reply, PROTO_RESULT_OK,
		    "%s is blocked now: its answer's CNAME chain %s reaches a listed "
		    "name",
		    name, chain);
	else if (v == POLICY_BLOCKED_NOW)
		breaks_reply_result(reply, PROTO_RESULT_OK, "%s is blocked now", name);
	else if (v == POLICY_BYPASS_DURING)
		breaks_reply_result(reply, PROTO_RESULT_OK,
		                    "%s is not blocked now; as %s it is blocked during every break",
		                    name, rule);
	else if (v == POLICY_BLOCKED_DURING)
		breaks_reply_result(reply, PROTO_RESULT_OK,
		                    "%s is not blocked now; breaks that block it: %s", name,
		                    during);
	else if (v == POLICY_LISTED_UNUSED)
		breaks_reply_result(
		    reply, PROTO_RESULT_OK,
		    "%s is not blocked now; it is listed, but no break uses its lists "
		    "(a pause blocks it)",
		    name);
	else if (v == POLICY_ALLOWED)
		breaks_reply_result(reply, PROTO_RESULT_OK,
		                    "%s is never blocked: an allow entry frees it", name);
	else
		breaks_reply_result(reply, PROTO_RESULT_OK, "%s is in no list", name);
}

/* smctl check: is the name blocked now, would it be during each break, and
 * which entry of which list (or which allow entry) decides it. An address
 * goes to the check_addr hook, which knows the sets. */
int breaks_cmd_check(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	struct policy pd = b->pol; /* with --device or --user: what holds for them */
	const struct policy *p = &pd;
	char name[DOMAINS_NAME_MAX + 1], during[256] = "";
	struct domains_match m;
	struct proto_attr at;
	const char *arg, *why = NULL;
	uint8_t addr[16];
	size_t nlen, off = 0;

	if (!proto_find(payload, len, PROTO_A_DOMAIN, &at)) {
		breaks_reply_result(reply, PROTO_RESULT_USAGE, "bad domain name: none given");
		return 0;
	}
	arg = proto_attr_str(&at);
	if (breaks_check_device(b, payload, len, reply, &pd.in.lists) < 0)
		return 0;
	/* --user: the verdict as that user sees it, breaks for some users
	 * included; without, the breaks for everyone. */
	char who[80] = "";
	if (proto_find(payload, len, PROTO_A_USER, &at)) {
		struct whom_id id = {.have_uid = true, .device = -1};
		if (users_lookup(proto_attr_str(&at), &id.uid) < 0) {
			breaks_reply_result(reply, PROTO_RESULT_USAGE, "no user named '%s'",
			                    proto_attr_str(&at));
			return 0;
		}
		pd.in.lists = inforce_lists_for(&b->pol.in, &id);
		snprintf(who, sizeof(who), "%s", proto_attr_str(&at));
	}
	int family = 0;
	if (value_parse_ip(arg, &family, addr) < 0)
		family = 0;
	if (family && b->hooks.check_addr) {
		b->hooks.check_addr(b->hooks.arg, family, addr, p->in.lists, reply);
		if (who[0])
			proto_put_str(reply, PROTO_A_USER, who);
		return 0;
	}
	if (domains_normalize(arg, strlen(arg), name, &nlen, &why) < 0) {
		breaks_reply_result(reply, PROTO_RESULT_USAGE, "bad domain name: %s", why);
		return 0;
	}
	domains_match(b->domains, name, nlen, &m);
	struct breaks_bypass_hit bh;
	bool bypass = b->hooks.check_bypass && b->hooks.check_bypass(b->hooks.arg, name, nlen, &bh);
	/* A name in no list whose answer was seen to reach a listed one through
	 * CNAMEs is blocked as that one is (cloaking). */
	struct breaks_cloak_hit ch;
	bool cloaked = !m.lists && !m.allow && b->hooks.check_cloak &&
	               b->hooks.check_cloak(b->hooks.arg, name, nlen, &ch);
	if (cloaked) {
		struct domains_match tm;
		domains_match(b->domains, ch.target, strlen(ch.target), &tm);
		m.lists = m.block = tm.lists;
		cloaked = tm.lists != 0;
	}
	for (size_t i = 0; i < c->n_breaks; i++) {
		if (!(policy_break_lists(&c->breaks[i]) & m.lists))
			continue;
		int n = snprintf(during + off, sizeof(during) - off, "%s%s", off ? ", " : "",
		                 c->breaks[i].name);
		if (n > 0 && (size_t)n < sizeof(during) - off)
			off += (size_t)n;
	}
	enum policy_verdict v = policy_check(c, p, m.lists, m.allow, bypass);
	reply_verdict(reply, v, name, bypass && !(m.lists & p->in.lists) ? bh.rule : NULL,
	              bypass ? bh.rule : NULL, cloaked ? ch.chain : NULL, during);
	proto_put_str(reply, PROTO_A_DOMAIN, name);
	if (who[0])
		proto_put_str(reply, PROTO_A_USER, who);
	if (v == POLICY_BLOCKED_NOW)
		proto_put_flag(reply, PROTO_A_BLOCKED);
	if (cloaked) {
		for (unsigned i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++)
			if (m.lists & (UINT64_C(1) << i))
				put_match(reply, c->lists[i].name, "cname", ch.target, ch.chain, 0);
	} else {
		put_hits(b, reply, name, nlen, &m);
	}
	if (bypass)
		put_match(reply, "bypass", "block", bh.entry, bh.source, bh.line);
	if (p->pause_on)
		put_check_break(reply, "pause", &b->state.adhoc.whom, "adhoc", true, false,
		                bypass || (p->pause_lists & m.lists) != 0);
	for (size_t i = 0; i < c->n_breaks; i++)
		put_check_break(reply, c->breaks[i].name, &c->breaks[i].whom, "scheduled",
		                p->breaks[i].on, p->breaks[i].skipped,
		                bypass || (policy_break_lists(&c->breaks[i]) & m.lists) != 0);
	return 0;
}

/* smctl stats: blocked attempts per service, and the breaks kept, ended early
 * and paused, for each of the last N days. */
int breaks_cmd_stats(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply)
{
	time_t now = b->pol.now;
	struct proto_attr at;
	uint32_t days = STATS_DAYS_DEFAULT;

	if (proto_find(payload, len, PROTO_A_DAYS, &at)) {
		days = proto_attr_u32(&at);
		if (days < 1 || days > STATS_DAYS) {
			breaks_reply_result(reply, PROTO_RESULT_USAGE, "--days takes 1 to %d",
			                    STATS_DAYS);
			return 0;
		}
	}
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_i64(reply, PROTO_A_NOW, now);
	for (uint32_t i = 0; i < days; i++) {
		/* Noon of each day back steps over DST changes safely. */
		struct tm tm;
		localtime_r(&now, &tm);
		tm.tm_mday -= (int)i;
		tm.tm_hour = 12;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		uint32_t date = stats_date(t);
		char when[16];
		snprintf(when, sizeof(when), "%04u-%02u-%02u", date / 10000, date / 100 % 100,
		         date % 100);
		long nest = proto_nest_start(reply, PROTO_A_DAY);
		if (nest < 0)
			break;
		proto_put_str(reply, PROTO_A_DATE, when);
		const struct stats_day *sd = NULL;
		for (size_t d = 0; d < b->stats->n_days; d++)
			if (b->stats->days[d].date == date)
				sd = &b->stats->days[d];
		for (size_t k = 0; sd && k < sd->n_keys; k++)
			proto_put_counter(reply, sd->keys[k].name, sd->keys[k].count);
		if (sd && sd->other)
			proto_put_counter(reply, "other", sd->other);
		/* Every day has its history, zero or not, so --json has one shape. */
		proto_put_u64(reply, PROTO_A_KEPT, sd ? sd->history[STATS_KEPT] : 0);
		proto_put_u64(reply, PROTO_A_PAUSES, sd ? sd->history[STATS_PAUSED] : 0);
		proto_put_u64(reply, PROTO_A_EARLY, sd ? sd->history[STATS_EARLY] : 0);
		breaks_allow_put_day(b, reply, date);
		proto_nest_end(reply, nest);
	}
	return 0;
}

/* Counts the names of a service file, and with `names` set also puts each. */
struct service_walk {
	uint64_t count;
	struct proto_msg *names;
};

static int walk_name(void *ctx, const char *name, size_t len, unsigned line)
{
	struct service_walk *w = ctx;

	(void)len, (void)line;
	w->count++;
	if (w->names)
		proto_put_str(w->names, PROTO_A_DOMAINS, name);
	return 0;
}

/* One service: its name and count, and with detail its file and domains. */
static int put_service(struct breaks *b, struct proto_msg *reply, const char *name, bool detail)
{
	struct service_walk w = {.names = detail ? reply : NULL};
	struct lists_stats st;
	char path[1024];
	long nest = proto_nest_start(reply, PROTO_A_SERVICE);
	int r;

	if (nest < 0)
		return nest;
	proto_put_str(reply, PROTO_A_NAME, name);
	if (detail) {
		snprintf(path, sizeof(path), "%s/services/%s.list", b->data_dir, name);
		proto_put_str(reply, PROTO_A_SOURCE, path);
	}
	r = lists_load_service(b->data_dir, name, walk_name, NULL, &w, &st);
	proto_put_u64(reply, PROTO_A_COUNT, w.count);
	proto_nest_end(reply, nest);
	return r;
}

/* smctl services [NAME]: the catalog with counts, or what one service holds. */
int breaks_cmd_services(struct breaks *b, const uint8_t *payload, size_t len,
                        struct proto_msg *reply)
{
	struct proto_attr at;
	char **names = NULL, known[1024];
	size_t n = 0;
	int r;

	if (proto_find(payload, len, PROTO_A_NAME, &at)) {
		const char *name = proto_attr_str(&at);
		if (!value_valid_name(name) || !lists_service_exists(b->data_dir, name)) {
			lists_unknown_service(b->data_dir, name, known, sizeof(known));
			breaks_reply_result(reply, PROTO_RESULT_REFUSED, "%s", known);
			return 0;
		}
		proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
		put_service(b, reply, name, true);
		return 0;
	}
	r = lists_services(b->data_dir, &names, &n);
	if (r < 0) {
		breaks_reply_result(reply, PROTO_RESULT_REFUSED,
		                    "cannot read the catalog in %s/services: %s", b->data_dir,
		                    strerror(-r));
		return 0;
	}
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	for (size_t i = 0; i < n; i++)
		put_service(b, reply, names[i], false);
	lists_strv_free(names, n);
	return 0;
}

/* A nest of `type` with NAME and COUNT. */
static void put_named_count(struct proto_msg *m, uint16_t type, const char *name, uint64_t count)
{
	long nest = proto_nest_start(m, type);

	if (nest < 0)
		return;
	proto_put_str(m, PROTO_A_NAME, name);
	proto_put_u64(m, PROTO_A_COUNT, count);
	proto_nest_end(m, nest);
}

/* A PROTO_A_BREAK nest with only the break's name. */
static void put_break_name(struct proto_msg *m, const char *name)
{
	long nest = proto_nest_start(m, PROTO_A_BREAK);

	if (nest < 0)
		return;
	proto_put_str(m, PROTO_A_NAME, name);
	proto_nest_end(m, nest);
}

/* smctl lists NAME: what the list holds, from the running structure's
 * origins (no file is read again): its services and files with the names
 * each gave, its `domains =` and `allow =`, and the breaks that use it. */
static int cmd_list_detail(struct breaks *b, const char *name, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	const struct conf_list *l = conf_find_list(c, name);
	const char *src;
	uint64_t total = 0;
	unsigned li;
	bool allow;

	if (!l) {
		char all[256];
		policy_list_names(c, UINT64_MAX, all, sizeof(all));
		breaks_reply_result(reply, PROTO_RESULT_REFUSED, "no list named '%s' (lists: %s)",
		                    name, all);
		return 0;
	}
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_str(reply, PROTO_A_NAME, l->name);
	for (uint32_t o = 0; (src = domains_origin(b->domains, o, &li, &allow)); o++) {
		size_t n = domains_origin_count(b->domains, o);
		if (li != (unsigned)(l - c->lists) || allow)
			continue;
		total += n;
		if (strncmp(src, "service ", 8) == 0)
			put_named_count(reply, PROTO_A_SERVICE, src + 8, n);
		else if (src[0] == '/' && strcmp(src, c->path) != 0)
			put_named_count(reply, PROTO_A_FILE, src, n);
	}
	for (size_t i = 0; i < l->n_domains; i++)
		proto_put_str(reply, PROTO_A_DOMAINS, l->domains[i]);
	for (size_t i = 0; i < l->n_allow; i++)
		proto_put_str(reply, PROTO_A_ALLOW, l->allow[i]);
	proto_put_u64(reply, PROTO_A_COUNT, total);
	for (size_t i = 0; i < c->n_breaks; i++) {
		if (policy_break_lists(&c->breaks[i]) & (UINT64_C(1) << (l - c->lists)))
			put_break_name(reply, c->breaks[i].name);
	}
	return 0;
}

/* smctl lists [NAME]: the names of the lists and breaks, or what one list holds. */
int breaks_cmd_lists(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	struct proto_attr at;

	if (proto_find(payload, len, PROTO_A_NAME, &at))
		return cmd_list_detail(b, proto_attr_str(&at), reply);

	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	for (size_t i = 0; i < c->n_lists; i++)
		proto_put_str(reply, PROTO_A_LIST, c->lists[i].name);
	for (size_t i = 0; i < c->n_breaks; i++)
		put_break_name(reply, c->breaks[i].name);
	return 0;
}
