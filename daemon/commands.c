/* The control commands of smctl: each reads its request, asks the policy
 * (policy.c) at the current instant what may be done, changes the state
 * where it may, and fills the reply. Replies carry instants and names; smctl
 * formats them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaks_internal.h"
#include "domains.h"
#include "lists.h"
#include "log.h"
#include "paths.h"
#include "sched.h"

/* Said of a change that applies though the state file could not be written. */
#define UNSAVED              " (not yet saved: the state directory cannot be written; retrying)"
#define BREAKS_SCHEDULE_DAYS 7   /* smctl schedule without --days */
#define BREAKS_SCHEDULE_MAX  400 /* entries in one schedule reply */

/* ---- building replies ---- */

/* One attribute of type `type` per list in mask. */
static void put_lists(struct proto_msg *m, uint16_t type, const struct conf *c, uint64_t mask)
{
	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++)
		if (mask & (UINT64_C(1) << i))
			proto_put_str(m, type, c->lists[i].name);
}

static void put_break(struct proto_msg *m, uint16_t type, const char *name, const char *kind,
                      time_t start, time_t end, bool on, bool strict, bool skipped,
                      const struct conf *c, uint64_t lists)
{
	long nest = proto_nest_start(m, type);

	if (nest < 0)
		return;
	proto_put_str(m, PROTO_A_NAME, name);
	proto_put_str(m, PROTO_A_KIND, kind);
	proto_put_i64(m, PROTO_A_START, start);
	proto_put_i64(m, PROTO_A_END, end);
	if (on)
		proto_put_flag(m, PROTO_A_ON);
	if (strict)
		proto_put_flag(m, PROTO_A_STRICT);
	if (skipped)
		proto_put_flag(m, PROTO_A_SKIPPED);
	put_lists(m, PROTO_A_LIST, c, lists);
	proto_nest_end(m, nest);
}

static void reply_result(struct proto_msg *m, enum proto_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reply_result(struct proto_msg *m, enum proto_result r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	proto_put_u32(m, PROTO_A_RESULT, r);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	proto_put_str(m, PROTO_A_MESSAGE, buf);
}

static void put_pause(const struct breaks *b, struct proto_msg *m, uint16_t type)
{
	const struct policy *p = &b->pol;

	put_break(m, type, "pause", "adhoc", b->state.adhoc.start, p->pause_end, true,
	          p->pause_strict, false, b->conf, p->pause_lists);
}

static void put_scheduled(const struct breaks *b, struct proto_msg *m, uint16_t type, size_t brk,
                          time_t start, time_t end)
{
	const struct conf_break *br = &b->conf->breaks[brk];
	time_t now = b->pol.now;

	put_break(m, type, br->name, "scheduled", start, end, start <= now && now < end, br->strict,
	          state_is_skipped(&b->state, br->name, end), b->conf, policy_break_lists(br));
}

/* ---- pause, resume, skip ---- */

static int cmd_resume(struct breaks *b, struct proto_msg *reply)
{
	struct policy *p = &b->pol;
	struct state_adhoc *a = &b->state.adhoc;
	const char *brk = NULL;
	char when[32], left[32];

	switch (policy_resume(b->conf, p, &b->state, &brk)) {
	case POLICY_RESUME_NONE:
		reply_result(reply, PROTO_RESULT_REFUSED, "no pause is on");
		return 0;
	case POLICY_RESUME_SCHEDULED:
		reply_result(reply, PROTO_RESULT_REFUSED,
		             "no pause is on; break '%s' is scheduled (smctl skip ends it early)",
		             brk);
		return 0;
	case POLICY_RESUME_STRICT:
		value_format_when(p->pause_strict_end, p->now, when, sizeof(when));
		value_format_left(p->pause_strict_end - p->now, left, sizeof(left));
		reply_result(
		    reply, PROTO_RESULT_REFUSED,
		    "this pause is strict and cannot be ended early; it ends at %s (in %s)", when,
		    left);
		return 0;
	case POLICY_RESUME_DELAYED:
	case POLICY_RESUME_PENDING:
		value_format_when(p->pause_unlock_at, p->now, when, sizeof(when));
		value_format_left(p->pause_unlock_at - p->now, left, sizeof(left));
		breaks_save_state(b);
		breaks_evaluate(b);
		reply_result(reply, PROTO_RESULT_OK,
		             "the pause ends at %s (in %s), after its unlock delay; smctl pause "
		             "takes that back",
		             when, left);
		return 0;
	case POLICY_RESUME_OK:
		break;
	}
	/* Ending a pause that is not strict breaks no promise if the state
	 * cannot be written (a full disk): it applies, and the save is retried. */
	a->on = false;
	int saved = breaks_save_state(b);
	breaks_evaluate(b);
	reply_result(reply, PROTO_RESULT_OK, "pause ended%s", saved < 0 ? UNSAVED : "");
	return 0;
}

/* Reads a pause request; 0, or -EINVAL with the usage error in reply. */
static int read_pause(const struct breaks *b, const uint8_t *payload, size_t len,
                      struct policy_pause_req *req, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	struct proto_iter it;
	struct proto_attr at;

	memset(req, 0, sizeof(*req));
	proto_iter_init(&it, payload, len);
	while (proto_iter_next(&it, &at)) {
		if (at.type == PROTO_A_DURATION) {
			uint64_t d = proto_attr_u64(&at);
			if (d == 0 || d > SMB_PAUSE_MAX) {
				reply_result(reply, PROTO_RESULT_USAGE,
				             "a pause lasts from 1s to 30d");
				return -EINVAL;
			}
			req->end = b->pol.now + (time_t)d;
			req->have_end = true;
		} else if (at.type == PROTO_A_UNTIL) {
			const char *s = proto_attr_str(&at);
			int r = sched_parse_when(s, b->pol.now, &req->end);
			if (r == -ERANGE) {
				reply_result(reply, PROTO_RESULT_USAGE, "'%s' is not in the future",
				             s);
				return -EINVAL;
			}
			if (r < 0) {
				reply_result(
				    reply, PROTO_RESULT_USAGE,
				    "bad time '%s': use HH:MM, like 17:30, 'tomorrow 09:00', "
				    "'sun 16:00' or 2026-10-04T16:00",
				    s);
				return -EINVAL;
			}
			req->have_end = true;
		} else if (at.type == PROTO_A_STRICT) {
			req->strict = true;
		} else if (at.type == PROTO_A_LIST) {
			const char *s = proto_attr_str(&at);
			if (!conf_find_list(c, s)) {
				char all[256];
				policy_list_names(c, UINT64_MAX, all, sizeof(all));
				reply_result(reply, PROTO_RESULT_USAGE,
				             "no list named '%s' (lists: %s)", s, all);
				return -EINVAL;
			}
			if (req->n_lists == SMB_LISTS_MAX) {
				reply_result(reply, PROTO_RESULT_USAGE, "too many lists");
				return -EINVAL;
			}
			snprintf(req->lists[req->n_lists++], sizeof(req->lists[0]), "%s", s);
		}
	}
	return 0;
}

static int cmd_pause(struct breaks *b, const struct control_peer *peer, const uint8_t *payload,
                     size_t len, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	struct state_adhoc *a = &b->state.adhoc, old = *a;
	struct policy_pause_req req;
	struct policy_clock clk;
	enum policy_pause_outcome o;

	if (read_pause(b, payload, len, &req, reply) < 0)
		return 0;
	breaks_clock(b, &clk);
	o = policy_pause(a, &req, &clk, c->pause_default, a);
	if (o == POLICY_PAUSE_TOGGLE) /* a bare `smctl pause` toggles */
		return cmd_resume(b, reply);
	/* A strict pause that a restart could forget is a promise not kept:
	 * refused unless it is written. Any other applies, saved or not. */
	int saved = o == POLICY_PAUSE_UNCHANGED ? 0 : breaks_save_state(b);
	if (saved < 0 && a->strict) {
		*a = old;
		breaks_save_state(b);
		reply_result(reply, PROTO_RESULT_REFUSED,
		             "cannot save the state (%s), and a strict pause must survive a "
		             "restart; nothing changed",
		             strerror(-saved));
		return 0;
	}
	breaks_evaluate(b);

	const struct policy *p = &b->pol;
	char when[32], left[32], lists[256];
	const char *strict = p->pause_strict ? ", strict" : "";
	value_format_when(p->pause_end, p->now, when, sizeof(when));
	value_format_left(p->pause_end - p->now, left, sizeof(left));
	policy_list_names(c, p->pause_lists, lists, sizeof(lists));
	if (p->pause_strict && p->pause_strict_end < p->pause_end) {
		char se[32];
		value_format_when(p->pause_strict_end, p->now, se, sizeof(se));
		snprintf(lists + strlen(lists), sizeof(lists) - strlen(lists), ", strict until %s",
		         se);
		strict = "";
	}
	log_info("pause %s by uid %u: until %s, lists %s%s",
	         o == POLICY_PAUSE_STARTED ? "requested" : "extended", (unsigned)peer->uid, when,
	         lists, strict);
	if (o == POLICY_PAUSE_UNCHANGED)
		reply_result(reply, PROTO_RESULT_OK, "already paused until %s (in %s): lists %s%s",
		             when, left, lists, strict);
	else
		reply_result(reply, PROTO_RESULT_OK, "paused until %s (%s): lists %s%s%s", when,
		             left, lists, strict, saved < 0 ? UNSAVED : "");
	put_pause(b, reply, PROTO_A_BREAK);
	return 0;
}

/* "NAME, NAME" or "'NAME' is strict and ends at WHEN; ..." for the breaks
 * flagged in pick. */
static void join_breaks(const struct breaks *b, const bool *pick, bool strict, char *buf,
                        size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < b->conf->n_breaks; i++) {
		char when[32];
		int n;

		if (!pick[i])
			continue;
		if (strict) {
			value_format_when(b->pol.breaks[i].end, b->pol.now, when, sizeof(when));
			n = snprintf(buf + off, len - off, "%s'%s' is strict and ends at %s",
			             off ? "; " : "", b->conf->breaks[i].name, when);
		} else {
			n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
			             b->conf->breaks[i].name);
		}
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

/* A skip of break i that applies after its unlock delay. */
static int add_unlock(struct breaks *b, size_t i)
{
	const struct conf_break *br = &b->conf->breaks[i];
	struct state *s = &b->state;
	struct state_skip *u;

	for (size_t k = 0; k < s->n_unlocks; k++)
		if (strcmp(s->unlocks[k].name, br->name) == 0 &&
		    s->unlocks[k].until == b->pol.breaks[i].end)
			return 0; /* already on its way */
	if (s->n_unlocks == STATE_SKIPS_MAX)
		return -ENOSPC;
	u = &s->unlocks[s->n_unlocks++];
	snprintf(u->name, sizeof(u->name), "%s", br->name);
	u->until = b->pol.breaks[i].end;
	u->at = b->pol.now + (time_t)br->unlock_delay;
	return 0;
}

static int cmd_skip(struct breaks *b, const struct control_peer *peer, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	bool *skip = calloc(c->n_breaks + 1, 3 * sizeof(bool)), *strict, *delayed;
	char skipped[256], refused[256];
	size_t n;

	if (!skip)
		return -ENOMEM;
	strict = skip + c->n_breaks + 1;
	delayed = strict + c->n_breaks + 1;
	n = policy_skip(c, &b->pol, skip, delayed, strict);
	for (size_t i = 0; i < c->n_breaks; i++) {
		if (!skip[i])
			continue;
		/* One with an unlock delay is skipped only once the delay is over. */
		if (delayed[i]
		        ? add_unlock(b, i) < 0
		        : state_add_skip(&b->state, c->breaks[i].name, b->pol.breaks[i].end) < 0)
			skip[i] = false, n--;
	}
	char later[256] = "";
	bool any_later = false;
	for (size_t i = 0; i < c->n_breaks; i++) {
		any_later |= skip[i] && delayed[i];
		delayed[i] = skip[i] && delayed[i];
		skip[i] = skip[i] && !delayed[i];
	}
	join_breaks(b, skip, false, skipped, sizeof(skipped));
	join_breaks(b, strict, true, refused, sizeof(refused));
	if (any_later) {
		char names[200];
		join_breaks(b, delayed, false, names, sizeof(names));
		snprintf(later, sizeof(later),
		         "%s%s ends after its unlock delay (smctl status shows when)",
		         skipped[0] ? "; " : "", names);
	}
	free(skip);
	if (!n) {
		if (refused[0])
			reply_result(reply, PROTO_RESULT_REFUSED, "cannot skip: %s", refused);
		else
			reply_result(reply, PROTO_RESULT_REFUSED, "no scheduled break is on");
		return 0;
	}
	/* Skipping a break that is not strict applies even unsaved (see resume). */
	int saved = breaks_save_state(b);
	log_info("skip by uid %u: %s", (unsigned)peer->uid, skipped);
	breaks_evaluate(b);
	reply_result(reply, PROTO_RESULT_OK, "%s%s%s%s%s%s", skipped[0] ? "skipped " : "", skipped,
	             later, refused[0] ? "; " : "", refused, saved < 0 ? UNSAVED : "");
	return 0;
}

/* ---- what is on ---- */

static int cmd_schedule(struct breaks *b, const uint8_t *payload, size_t len,
                        struct proto_msg *reply)
{
	struct proto_attr at;
	uint32_t days = BREAKS_SCHEDULE_DAYS;
	struct policy_entry *v;
	size_t n;

	if (proto_find(payload, len, PROTO_A_DAYS, &at)) {
		days = proto_attr_u32(&at);
		if (days < 1 || days > 60) {
			reply_result(reply, PROTO_RESULT_USAGE, "--days takes 1 to 60");
			return 0;
		}
	}
	v = calloc(BREAKS_SCHEDULE_MAX, sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = policy_schedule(b->conf, b->pol.now, days, v, BREAKS_SCHEDULE_MAX);
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_i64(reply, PROTO_A_NOW, b->pol.now);
	if (b->pol.pause_on)
		put_pause(b, reply, PROTO_A_BREAK);
	for (size_t i = 0; i < n; i++)
		put_scheduled(b, reply, PROTO_A_BREAK, v[i].brk, v[i].start, v[i].end);
	free(v);
	return 0;
}

static int cmd_status(struct breaks *b, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	const struct policy *p = &b->pol;

	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_i64(reply, PROTO_A_NOW, p->now);
	proto_put_str(reply, PROTO_A_VERSION, SMB_VERSION);
	proto_put_str(reply, PROTO_A_CONFIG, c->path);
	if (b->fallback)
		proto_put_str(reply, PROTO_A_WARNING, b->fallback);
	if (p->in.lists)
		proto_put_flag(reply, PROTO_A_BLOCKING);
	if (p->in.strict)
		proto_put_flag(reply, PROTO_A_STRICT);
	put_lists(reply, PROTO_A_INFORCE, c, p->in.lists);
	if (p->pause_on)
		put_pause(b, reply, PROTO_A_BREAK);
	for (size_t i = 0; i < c->n_breaks; i++)
		if (p->breaks[i].active)
			put_scheduled(b, reply, PROTO_A_BREAK, i, p->breaks[i].start,
			              p->breaks[i].end);
	if (p->next >= 0)
		put_scheduled(b, reply, PROTO_A_NEXT, (size_t)p->next,
		              p->breaks[p->next].next_start, p->breaks[p->next].next_end);
	if (b->hooks.warnings)
		b->hooks.warnings(b->hooks.arg, reply);
	if (b->hooks.status)
		b->hooks.status(b->hooks.arg, reply);
	return 0;
}

void breaks_reply_reload(const struct breaks *b, struct proto_msg *reply, int r,
                         const struct conf_errors *errs)
{
	if (r == 0) {
		reply_result(reply, PROTO_RESULT_OK, "configuration reloaded from %s",
		             b->conf->path);
	} else if (r == -EPERM) {
		reply_result(reply, PROTO_RESULT_REFUSED,
		             "reload refused: it would loosen a strict break; the running "
		             "configuration stays");
	} else if (r == -EINVAL) {
		reply_result(reply, PROTO_RESULT_REFUSED,
		             "%s has errors; the running configuration stays", b->conf->path);
	} else {
		reply_result(reply, PROTO_RESULT_REFUSED, "reload failed: %s", strerror(-r));
	}
	for (size_t i = 0; i < errs->n; i++)
		proto_put_str(reply, PROTO_A_ERROR, errs->msgs[i]);
	if (errs->dropped)
		proto_put_str(reply, PROTO_A_ERROR, "(more errors not shown)");
	/* A config that loads can still leave the forwarder nowhere to relay to. */
	if (b->hooks.warnings)
		b->hooks.warnings(b->hooks.arg, reply);
}

/* Answered when the reload is done (CONTROL_DEFER). */
static int cmd_reload(struct breaks *b, struct proto_msg *reply)
{
	int r = breaks_reload_async(b, reply);

	if (r == 0)
		return CONTROL_DEFER;
	if (r == -EBUSY)
		reply_result(reply, PROTO_RESULT_REFUSED,
		             "busy: too many reloads waiting, try again");
	else
		reply_result(reply, PROTO_RESULT_REFUSED, "reload failed: %s", strerror(-r));
	return 0;
}

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

static void put_check_break(struct proto_msg *reply, const char *name, const char *kind, bool on,
                            bool skipped, bool blocks)
{
	long nest = proto_nest_start(reply, PROTO_A_BREAK);

	if (nest < 0)
		return;
	proto_put_str(reply, PROTO_A_NAME, name);
	proto_put_str(reply, PROTO_A_KIND, kind);
	if (on)
		proto_put_flag(reply, PROTO_A_ON);
	if (skipped)
		proto_put_flag(reply, PROTO_A_SKIPPED);
	if (blocks)
		proto_put_flag(reply, PROTO_A_BLOCKED);
	proto_nest_end(reply, nest);
}

/* smctl check: is the name blocked now, would it be during each break, and
 * which entry of which list (or which allow entry) decides it. An address
 * goes to the check_addr hook, which knows the sets. */
static int cmd_check(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	const struct policy *p = &b->pol;
	char name[DOMAINS_NAME_MAX + 1], during[256] = "";
	struct domains_match m;
	struct proto_attr at;
	const char *arg, *why = NULL;
	uint8_t addr[16];
	size_t nlen, off = 0;

	if (!proto_find(payload, len, PROTO_A_DOMAIN, &at)) {
		reply_result(reply, PROTO_RESULT_USAGE, "bad domain name: none given");
		return 0;
	}
	arg = proto_attr_str(&at);
	int family = 0;
	if (value_parse_ip(arg, &family, addr) < 0)
		family = 0;
	if (family && b->hooks.check_addr) {
		b->hooks.check_addr(b->hooks.arg, family, addr, p->in.lists, reply);
		return 0;
	}
	if (domains_normalize(arg, strlen(arg), name, &nlen, &why) < 0) {
		reply_result(reply, PROTO_RESULT_USAGE, "bad domain name: %s", why);
		return 0;
	}
	domains_match(b->domains, name, nlen, &m);
	struct breaks_bypass_hit bh;
	bool bypass = b->hooks.check_bypass && b->hooks.check_bypass(b->hooks.arg, name, nlen, &bh);
	for (size_t i = 0; i < c->n_breaks; i++) {
		if (!(policy_break_lists(&c->breaks[i]) & m.lists))
			continue;
		int n = snprintf(during + off, sizeof(during) - off, "%s%s", off ? ", " : "",
		                 c->breaks[i].name);
		if (n > 0 && (size_t)n < sizeof(during) - off)
			off += (size_t)n;
	}
	enum policy_verdict v = policy_check(c, p, m.lists, m.allow, bypass);
	if (v == POLICY_BLOCKED_NOW && bypass && !(m.lists & p->in.lists))
		reply_result(reply, PROTO_RESULT_OK,
		             "%s is blocked now: %s, blocked during every break", name, bh.rule);
	else if (v == POLICY_BLOCKED_NOW)
		reply_result(reply, PROTO_RESULT_OK, "%s is blocked now", name);
	else if (v == POLICY_BYPASS_DURING)
		reply_result(reply, PROTO_RESULT_OK,
		             "%s is not blocked now; as %s it is blocked during every break", name,
		             bh.rule);
	else if (v == POLICY_BLOCKED_DURING)
		reply_result(reply, PROTO_RESULT_OK,
		             "%s is not blocked now; breaks that block it: %s", name, during);
	else if (v == POLICY_LISTED_UNUSED)
		reply_result(reply, PROTO_RESULT_OK,
		             "%s is not blocked now; it is listed, but no break uses its lists "
		             "(a pause blocks it)",
		             name);
	else if (v == POLICY_ALLOWED)
		reply_result(reply, PROTO_RESULT_OK, "%s is never blocked: an allow entry frees it",
		             name);
	else
		reply_result(reply, PROTO_RESULT_OK, "%s is in no list", name);
	proto_put_str(reply, PROTO_A_DOMAIN, name);
	if (v == POLICY_BLOCKED_NOW)
		proto_put_flag(reply, PROTO_A_BLOCKED);
	put_hits(b, reply, name, nlen, &m);
	if (bypass)
		put_match(reply, "bypass", "block", bh.entry, bh.source, bh.line);
	if (p->pause_on)
		put_check_break(reply, "pause", "adhoc", true, false,
		                bypass || (p->pause_lists & m.lists) != 0);
	for (size_t i = 0; i < c->n_breaks; i++)
		put_check_break(reply, c->breaks[i].name, "scheduled", p->breaks[i].on,
		                p->breaks[i].skipped,
		                bypass || (policy_break_lists(&c->breaks[i]) & m.lists) != 0);
	return 0;
}

/* smctl stats: blocked attempts per service for each of the last N days. */
static int cmd_stats(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply)
{
	time_t now = b->pol.now;
	struct proto_attr at;
	uint32_t days = BREAKS_SCHEDULE_DAYS;

	if (proto_find(payload, len, PROTO_A_DAYS, &at)) {
		days = proto_attr_u32(&at);
		if (days < 1 || days > STATS_DAYS) {
			reply_result(reply, PROTO_RESULT_USAGE, "--days takes 1 to %d", STATS_DAYS);
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
		for (size_t d = 0; d < b->stats->n_days; d++) {
			const struct stats_day *sd = &b->stats->days[d];
			if (sd->date != date)
				continue;
			for (size_t k = 0; k < sd->n_keys; k++)
				proto_put_counter(reply, sd->keys[k].name, sd->keys[k].count);
			if (sd->other)
				proto_put_counter(reply, "other", sd->other);
		}
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
static int cmd_services(struct breaks *b, const uint8_t *payload, size_t len,
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
			reply_result(reply, PROTO_RESULT_REFUSED, "%s", known);
			return 0;
		}
		proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
		put_service(b, reply, name, true);
		return 0;
	}
	r = lists_services(b->data_dir, &names, &n);
	if (r < 0) {
		reply_result(reply, PROTO_RESULT_REFUSED,
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
		reply_result(reply, PROTO_RESULT_REFUSED, "no list named '%s' (lists: %s)", name,
		             all);
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
		if (!(policy_break_lists(&c->breaks[i]) & (UINT64_C(1) << (l - c->lists))))
			continue;
		long nest = proto_nest_start(reply, PROTO_A_BREAK);
		if (nest < 0)
			break;
		proto_put_str(reply, PROTO_A_NAME, c->breaks[i].name);
		proto_nest_end(reply, nest);
	}
	return 0;
}

/* smctl lists [NAME]: the names of the lists and breaks, or what one list holds. */
static int cmd_lists(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	struct proto_attr at;

	if (proto_find(payload, len, PROTO_A_NAME, &at))
		return cmd_list_detail(b, proto_attr_str(&at), reply);

	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	for (size_t i = 0; i < c->n_lists; i++)
		proto_put_str(reply, PROTO_A_LIST, c->lists[i].name);
	for (size_t i = 0; i < c->n_breaks; i++) {
		long nest = proto_nest_start(reply, PROTO_A_BREAK);
		if (nest < 0)
			break;
		proto_put_str(reply, PROTO_A_NAME, c->breaks[i].name);
		proto_nest_end(reply, nest);
	}
	return 0;
}

int breaks_handle_request(void *arg, const struct control_peer *peer, uint16_t cmd,
                          const uint8_t *payload, size_t len, struct proto_msg *reply)
{
	struct breaks *b = arg;

	/* Every command sees what is in force at this instant, even when the
	 * timer that ends a break is still on its way. */
	breaks_evaluate(b);
	switch (cmd) {
	case PROTO_CMD_STATUS:
		return cmd_status(b, reply);
	case PROTO_CMD_PAUSE:
		return cmd_pause(b, peer, payload, len, reply);
	case PROTO_CMD_RESUME:
		return cmd_resume(b, reply);
	case PROTO_CMD_SKIP:
		return cmd_skip(b, peer, reply);
	case PROTO_CMD_SCHEDULE:
		return cmd_schedule(b, payload, len, reply);
	case PROTO_CMD_RELOAD:
		return cmd_reload(b, reply);
	case PROTO_CMD_LISTS:
		return cmd_lists(b, payload, len, reply);
	case PROTO_CMD_CHECK:
		return cmd_check(b, payload, len, reply);
	case PROTO_CMD_SERVICES:
		return cmd_services(b, payload, len, reply);
	case PROTO_CMD_STATS:
		return cmd_stats(b, payload, len, reply);
	case PROTO_CMD_WATCH:
		reply_result(reply, PROTO_RESULT_OK, "watching breaks");
		return 1;
	default:
		reply_result(reply, PROTO_RESULT_USAGE, "'%s' is not supported by this daemon",
		             proto_cmd_name(cmd) ? proto_cmd_name(cmd) : "?");
		return 0;
	}
}
