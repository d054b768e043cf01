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

/* Opens a break's nest and puts what every break has; the caller adds its
 * own attributes and ends the nest (proto_nest_end ignores a failed one). */
static long put_break(struct proto_msg *m, uint16_t type, const char *name, const char *kind,
                      time_t start, time_t end, bool on, bool strict, const struct conf *c,
                      uint64_t lists)
{
	long nest = proto_nest_start(m, type);

	if (nest < 0)
		return nest;
	proto_put_str(m, PROTO_A_NAME, name);
	proto_put_str(m, PROTO_A_KIND, kind);
	proto_put_i64(m, PROTO_A_START, start);
	proto_put_i64(m, PROTO_A_END, end);
	if (on)
		proto_put_flag(m, PROTO_A_ON);
	if (strict)
		proto_put_flag(m, PROTO_A_STRICT);
	put_lists(m, PROTO_A_LIST, c, lists);
	return nest;
}

void breaks_reply_result(struct proto_msg *m, enum proto_result r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	proto_put_u32(m, PROTO_A_RESULT, r);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	proto_put_str(m, PROTO_A_MESSAGE, buf);
}

/* The pause on now, with its focus cycle and a resume waiting out its delay. */
static void put_pause(const struct breaks *b, struct proto_msg *m, uint16_t type)
{
	const struct policy *p = &b->pol;
	const struct state_adhoc *a = &b->state.adhoc;
	long nest = put_break(m, type, "pause", "adhoc", a->start, p->pause_end, true,
	                      p->pause_strict, b->conf, p->pause_lists);

	if (nest < 0)
		return;
	if (a->cycles) {
		proto_put_u32(m, PROTO_A_CYCLE, a->cycle);
		proto_put_u32(m, PROTO_A_CYCLES, a->cycles);
	}
	breaks_put_users(m, &a->whom);
	for (size_t i = 0; i < a->n_devices; i++) /* as asked: a device gone shows too */
		proto_put_str(m, PROTO_A_FOR_DEVICE, a->devices[i]);
	if (a->unlock_delay)
		proto_put_u64(m, PROTO_A_UNLOCK_DELAY, (uint64_t)a->unlock_delay);
	if (p->pause_unlock_at)
		proto_put_i64(m, PROTO_A_UNLOCK_AT, p->pause_unlock_at);
	proto_nest_end(m, nest);
}

static void put_scheduled(const struct breaks *b, struct proto_msg *m, uint16_t type, size_t brk,
                          time_t start, time_t end)
{
	const struct conf_break *br = &b->conf->breaks[brk];
	const struct state *s = &b->state;
	time_t now = b->pol.now;
	long nest = put_break(m, type, br->name, "scheduled", start, end, start <= now && now < end,
	                      br->strict, b->conf, policy_break_lists(br));

	if (nest < 0)
		return;
	if (state_is_skipped(s, br->name, end))
		proto_put_flag(m, PROTO_A_SKIPPED);
	for (size_t k = 0; k < br->n_users; k++) /* as written: an unknown one shows too */
		proto_put_str(m, PROTO_A_USER, br->users[k]);
	breaks_put_devices(m, b->conf, br->whom.devices);
	for (size_t k = 0; k < s->n_unlocks; k++) /* a skip waiting out its delay */
		if (strcmp(s->unlocks[k].name, br->name) == 0 && s->unlocks[k].until == end)
			proto_put_i64(m, PROTO_A_UNLOCK_AT, s->unlocks[k].at);
	if (br->warn && start > now) /* when its warning is (or was) given */
		proto_put_i64(m, PROTO_A_WARN_AT, start - (time_t)br->warn);
	proto_nest_end(m, nest);
}

/* The lists a pause naming these lists blocks, as policy_pause_lists reads
 * them (a planned one's, before it is a pause). */
static uint64_t named_lists(const struct conf *c, const char (*names)[VALUE_NAME_MAX + 1], size_t n)
{
	struct state_adhoc a = {.n_lists = n};

	for (size_t k = 0; k < n && k < SMB_LISTS_MAX; k++)
		memcpy(a.lists[k], names[k], sizeof(a.lists[k]));
	return policy_pause_lists(c, &a);
}

static void put_plan(const struct breaks *b, struct proto_msg *m, const struct state_plan *pl)
{
	long nest = put_break(m, PROTO_A_BREAK, "pause", "planned", pl->start, pl->end, false,
	                      pl->strict, b->conf, named_lists(b->conf, pl->lists, pl->n_lists));

	if (nest < 0)
		return;
	proto_put_u32(m, PROTO_A_ID, pl->id);
	if (b->conf->warn && pl->start > b->pol.now)
		proto_put_i64(m, PROTO_A_WARN_AT, pl->start - (time_t)b->conf->warn);
	if (pl->cycles) {
		proto_put_u32(m, PROTO_A_CYCLE, pl->cycle);
		proto_put_u32(m, PROTO_A_CYCLES, pl->cycles);
	}
	breaks_put_users(m, &pl->whom);
	for (size_t i = 0; i < pl->n_devices; i++)
		proto_put_str(m, PROTO_A_FOR_DEVICE, pl->devices[i]);
	proto_nest_end(m, nest);
}

/* ---- pause, resume, skip ---- */

/* resume --cancel: takes back a resume waiting out its unlock delay. */
static int cmd_resume_cancel(struct breaks *b, struct proto_msg *reply)
{
	char when[48];

	if (!policy_resume_cancel(&b->state)) {
		breaks_reply_result(reply, PROTO_RESULT_REFUSED,
		                    "no resume is waiting out an unlock delay");
		return 0;
	}
	int saved = breaks_save_state(b);
	breaks_evaluate(b);
	value_format_instant(b->pol.pause_end, b->pol.now, when, sizeof(when));
	breaks_emit(b, b->pol.now, "relock", "resume taken back: the pause runs until %s", when);
	breaks_reply_result(reply, PROTO_RESULT_OK, "resume taken back: the pause runs until %s%s",
	                    when, saved < 0 ? UNSAVED : "");
	return 0;
}

static int cmd_resume(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply)
{
	struct policy *p = &b->pol;
	struct state_adhoc *a = &b->state.adhoc;
	struct proto_attr at;
	const char *brk = NULL;
	char when[32], left[32];
	enum policy_resume_outcome o;

	if (proto_find(payload, len, PROTO_A_CANCEL, &at))
		return cmd_resume_cancel(b, reply);
	switch ((o = policy_resume(b->conf, p, &b->state, &brk))) {
	case POLICY_RESUME_NONE:
		breaks_reply_result(reply, PROTO_RESULT_REFUSED, "no pause is on");
		return 0;
	case POLICY_RESUME_SCHEDULED:
		breaks_reply_result(
		    reply, PROTO_RESULT_REFUSED,
		    "no pause is on; break '%s' is scheduled (smctl skip ends it early)", brk);
		return 0;
	case POLICY_RESUME_STRICT:
		value_format_when(p->pause_strict_end, p->now, when, sizeof(when));
		value_format_left(p->pause_strict_end - p->now, left, sizeof(left));
		breaks_reply_result(
		    reply, PROTO_RESULT_REFUSED,
		    "this pause is strict and cannot be ended early; it ends at %s (in %s)", when,
		    left);
		return 0;
	case POLICY_RESUME_DELAYED:
	case POLICY_RESUME_PENDING:
		value_format_when(p->pause_unlock_at, p->now, when, sizeof(when));
		value_format_left(p->pause_unlock_at - p->now, left, sizeof(left));
		if (o == POLICY_RESUME_DELAYED)
			breaks_emit(b, p->now, "unlock",
			            "resume asked: the pause ends at %s, after its unlock delay",
			            when);
		breaks_save_state(b);
		breaks_evaluate(b);
		breaks_reply_result(reply, PROTO_RESULT_OK,
		                    "the pause ends at %s (in %s), after its unlock delay; smctl "
		                    "resume --cancel or smctl pause takes that back",
		                    when, left);
		return 0;
	case POLICY_RESUME_OK:
		break;
	}
	/* Ending a pause that is not strict breaks no promise if the state
	 * cannot be written (a full disk): it applies, and the save is retried. */
	a->on = false;
	int saved = breaks_save_state(b);
	breaks_count(b, STATS_EARLY);
	breaks_event(b, p->now, &(struct breaks_event){.kind = "resumed", .name = "pause"},
	             "pause resumed early");
	breaks_evaluate(b);
	breaks_reply_result(reply, PROTO_RESULT_OK, "pause ended%s", saved < 0 ? UNSAVED : "");
	return 0;
}

/* A pause request as read, then resolved at the instant: a pause now, or
 * one planned for later (--at) or in focus cycles. */
struct pause_ask {
	struct policy_pause_req req;
	const char *until, *at; /* WHEN strings */
	uint64_t duration, rest;
	uint32_t cycles;
	bool plan;
	time_t start, length; /* a plan's: its start, the length of each */
};

static int bad_when(struct proto_msg *reply, const char *s, int r, bool after_at)
{
	if (r == -ERANGE && after_at)
		breaks_reply_result(reply, PROTO_RESULT_USAGE, "'%s' is not after the --at start",
		                    s);
	else if (r == -ERANGE)
		breaks_reply_result(reply, PROTO_RESULT_USAGE, "'%s' is not in the future", s);
	else
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "bad time '%s': use HH:MM, like 17:30, 'tomorrow 09:00', "
		                    "'sun 16:00' or 2026-10-04T16:00",
		                    s);
	return -EINVAL;
}

static int usage(struct proto_msg *reply, const char *why)
{
	breaks_reply_result(reply, PROTO_RESULT_USAGE, "%s", why);
	return -EINVAL;
}

/* The instants of ask at now: the start (--at, else now), the end (until
 * seen from the start, or the duration), and for a plan the length of
 * each. Everything ends within SMB_PAUSE_MAX of now. */
static int resolve_pause(const struct breaks *b, struct pause_ask *ask, struct proto_msg *reply)
{
	time_t now = b->pol.now, from = now;
	uint32_t n = ask->cycles ? ask->cycles : 1;
	int r;

	if (ask->at && (r = sched_parse_when(ask->at, now, &from)) < 0)
		return bad_when(reply, ask->at, r, false);
	if (ask->until && (r = sched_parse_when(ask->until, from, &ask->req.end)) < 0)
		return bad_when(reply, ask->until, r, ask->at != NULL);
	if (!ask->until && ask->duration)
		ask->req.end = from + (time_t)ask->duration;
	ask->req.have_end = ask->until || ask->duration;
	if (ask->rest && !ask->cycles)
		return usage(reply, "--rest goes with --cycles");
	if (ask->cycles && (!ask->rest || !ask->duration))
		return usage(reply, "--cycles needs the length of each and a --rest, like: smctl "
		                    "pause 25m --cycles 4 --rest 5m");
	ask->plan = ask->at || ask->cycles;
	if (ask->plan && ask->req.unlock_delay)
		return usage(reply, "--unlock-delay goes with a pause that starts now, not with "
		                    "--at or --cycles");
	ask->start = from;
	ask->length = ask->req.have_end ? ask->req.end - from : (time_t)b->conf->pause_default;
	time_t last = from + (time_t)(n - 1) * (ask->length + (time_t)ask->rest) + ask->length;
	if (last - now > SMB_PAUSE_MAX) {
		char end[48];
		value_format_instant(last, now, end, sizeof(end));
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "%s ends %s: a pause ends within 30d of now",
		                    ask->plan ? "the plan" : "the pause", end);
		return -EINVAL;
	}
	return 0;
}

/* Reads a pause request and resolves it; 0, or -EINVAL with the usage error
 * in reply. */
static int read_pause(const struct breaks *b, const uint8_t *payload, size_t len,
                      struct pause_ask *ask, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	struct policy_pause_req *req = &ask->req;
	struct proto_iter it;
	struct proto_attr at;

	memset(ask, 0, sizeof(*ask));
	proto_iter_init(&it, payload, len);
	while (proto_iter_next(&it, &at)) {
		uint64_t v = at.len == 8 ? proto_attr_u64(&at) : proto_attr_u32(&at);
		if (at.type == PROTO_A_DURATION) {
			if (v == 0 || v > SMB_PAUSE_MAX)
				return usage(reply, "a pause lasts from 1s to 30d");
			ask->duration = v;
		} else if (at.type == PROTO_A_UNTIL) {
			ask->until = proto_attr_str(&at);
		} else if (at.type == PROTO_A_AT) {
			ask->at = proto_attr_str(&at);
		} else if (at.type == PROTO_A_CYCLES) {
			if (v < 1 || v > STATE_PLANS_MAX)
				return usage(reply, "--cycles takes 1 to 32");
			ask->cycles = (uint32_t)v;
		} else if (at.type == PROTO_A_REST) {
			if (v == 0 || v > SMB_PAUSE_MAX)
				return usage(reply, "--rest lasts from 1s to 30d");
			ask->rest = v;
		} else if (at.type == PROTO_A_UNLOCK_DELAY) {
			if (v == 0 || v > 86400)
				return usage(reply, "--unlock-delay takes 1s to 1d");
			req->unlock_delay = (int64_t)v;
		} else if (at.type == PROTO_A_STRICT) {
			req->strict = true;
		} else if (at.type == PROTO_A_LIST) {
			const char *s = proto_attr_str(&at);
			if (!conf_find_list(c, s)) {
				char all[256];
				policy_list_names(c, UINT64_MAX, all, sizeof(all));
				breaks_reply_result(reply, PROTO_RESULT_USAGE,
				                    "no list named '%s' (lists: %s)", s, all);
				return -EINVAL;
			}
			if (req->n_lists == SMB_LISTS_MAX)
				return usage(reply, "too many lists");
			snprintf(req->lists[req->n_lists++], sizeof(req->lists[0]), "%s", s);
		} else if (breaks_read_whom(c, &at, req, reply) < 0) {
			return -EINVAL;
		}
	}
	return resolve_pause(b, ask, reply);
}

/* smctl pause --at WHEN, or --cycles: plans the pauses in the state; the
 * first of a cycle starting now starts at once. */
static int cmd_plan(struct breaks *b, const struct control_peer *peer, struct pause_ask *ask,
                    struct proto_msg *reply)
{
	struct state *s = &b->state;
	uint32_t id, n = ask->cycles ? ask->cycles : 1;
	char from[48], until[48], lists[256], each[24], rest[24], who[256];
	int r =
	    policy_plan(s, &ask->req, ask->start, ask->length, ask->cycles, (time_t)ask->rest, &id);

	if (r == -ENOSPC) {
		breaks_reply_result(
		    reply, PROTO_RESULT_REFUSED,
		    "too many planned pauses (at most %d); smctl cancel ID drops one",
		    STATE_PLANS_MAX);
		return 0;
	}
	if (r < 0) {
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "a planned pause names at most %d lists", STATE_PLAN_LISTS);
		return 0;
	}
	/* As for a strict pause now: a strict plan a restart could forget is
	 * refused; any other stands unsaved while the save is retried. */
	int saved = breaks_save_state(b);
	if (saved < 0 && ask->req.strict) {
		for (uint32_t i = 0; i < n; i++)
			policy_cancel(s, id + i);
		breaks_save_state(b);
		breaks_reply_result(reply, PROTO_RESULT_REFUSED,
		                    "cannot save the state (%s), and a strict planned pause must "
		                    "survive a restart; nothing changed",
		                    strerror(-saved));
		return 0;
	}
	breaks_evaluate(b);
	time_t now = b->pol.now;
	if (ask->start <= now)
		snprintf(from, sizeof(from), "now");
	else
		value_format_instant(ask->start, now, from, sizeof(from));
	value_format_instant(ask->start + (time_t)(n - 1) * (ask->length + (time_t)ask->rest) +
	                         ask->length,
	                     now, until, sizeof(until));
	policy_list_names(b->conf, named_lists(b->conf, ask->req.lists, ask->req.n_lists), lists,
	                  sizeof(lists));
	value_format_duration((uint64_t)ask->length, each, sizeof(each));
	value_format_duration(ask->rest, rest, sizeof(rest));
	breaks_whom_describe(&ask->req.whom, (const char(*)[VALUE_NAME_MAX + 1]) ask->req.devices,
	                     ask->req.n_devices, who, sizeof(who));
	log_info("pause planned by uid %u: id %u, %u from %s until %s", (unsigned)peer->uid, id, n,
	         from, until);
	if (ask->cycles)
		breaks_reply_result(reply, PROTO_RESULT_OK,
		                    "%u cycles of %s with %s rests, from %s until %s: lists %s%s%s "
		                    "(ids %u-%u; smctl cancel ID drops one)%s",
		                    n, each, rest, from, until, lists,
		                    ask->req.strict ? ", strict" : "", who, id, id + n - 1,
		                    saved < 0 ? UNSAVED : "");
	else
		breaks_reply_result(
		    reply, PROTO_RESULT_OK,
		    "pause %u planned from %s until %s: lists %s%s%s (smctl cancel %u "
		    "drops it)%s",
		    id, from, until, lists, ask->req.strict ? ", strict" : "", who, id,
		    saved < 0 ? UNSAVED : "");
	proto_put_u32(reply, PROTO_A_ID, id);
	if (b->pol.pause_on)
		put_pause(b, reply, PROTO_A_BREAK);
	for (size_t i = 0; i < s->n_plans; i++)
		if (s->plans[i].id >= id && s->plans[i].id < id + n)
			put_plan(b, reply, &s->plans[i]);
	return 0;
}
/* "paused until WHEN (LEFT): lists ..., strict until ...". An end given as
 * a WHEN is written in full, weekday and date, so that a typo shows. */
static void pause_reply(const struct breaks *b, const struct control_peer *peer,
                        enum policy_pause_outcome o, bool full, int saved, struct proto_msg *reply)
{
	const struct policy *p = &b->pol;
	char when[48], left[32], lists[256], delay[64] = "", who[256];
	const char *strict = p->pause_strict ? ", strict" : "";

	breaks_pause_describe(&b->state.adhoc, who, sizeof(who));
	value_format_when(p->pause_end, p->now, when, sizeof(when));
	value_format_left(p->pause_end - p->now, left, sizeof(left));
	policy_list_names(b->conf, p->pause_lists, lists, sizeof(lists));
	if (p->pause_strict && p->pause_strict_end < p->pause_end) {
		char se[32];
		value_format_when(p->pause_strict_end, p->now, se, sizeof(se));
		snprintf(lists + strlen(lists), sizeof(lists) - strlen(lists), ", strict until %s",
		         se);
		strict = "";
	}
	if (b->state.adhoc.unlock_delay) {
		char d[24];
		value_format_duration((uint64_t)b->state.adhoc.unlock_delay, d, sizeof(d));
		snprintf(delay, sizeof(delay), ", unlock delay %s", d);
	}
	log_info("pause %s by uid %u: until %s, lists %s%s%s%s",
	         o == POLICY_PAUSE_STARTED ? "requested" : "extended", (unsigned)peer->uid, when,
	         lists, strict, delay, who);
	if (o == POLICY_PAUSE_UNCHANGED)
		breaks_reply_result(reply, PROTO_RESULT_OK,
		                    "already paused until %s (in %s): lists %s%s%s%s", when, left,
		                    lists, strict, delay, who);
	else if (full) {
		value_format_instant(p->pause_end, p->now, when, sizeof(when));
		breaks_reply_result(reply, PROTO_RESULT_OK, "paused until %s: lists %s%s%s%s%s",
		                    when, lists, strict, delay, who, saved < 0 ? UNSAVED : "");
	} else
		breaks_reply_result(reply, PROTO_RESULT_OK,
		                    "paused until %s (%s): lists %s%s%s%s%s", when, left, lists,
		                    strict, delay, who, saved < 0 ? UNSAVED : "");
	put_pause(b, reply, PROTO_A_BREAK);
}

/* One pause runs at a time: a pause for other users than the running one's
 * is refused rather than merged, since merging would lengthen it for users
 * who did not ask. */
static int other_pause(const struct breaks *b, struct proto_msg *reply)
{
	char when[48], who[256];

	value_format_when(b->pol.pause_end, b->pol.now, when, sizeof(when));
	breaks_pause_describe(&b->state.adhoc, who, sizeof(who));
	breaks_reply_result(reply, PROTO_RESULT_REFUSED,
	                    "a pause%s is on until %s; one pause runs at a time, so a pause "
	                    "for other users or devices waits until it ends",
	                    who[0] ? who : " for everyone", when);
	put_pause(b, reply, PROTO_A_BREAK);
	return 0;
}

static int cmd_pause(struct breaks *b, const struct control_peer *peer, const uint8_t *payload,
                     size_t len, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	struct state_adhoc *a = &b->state.adhoc, old = *a;
	struct pause_ask ask;
	struct policy_clock clk;
	enum policy_pause_outcome o;

	if (read_pause(b, payload, len, &ask, reply) < 0)
		return 0;
	if (ask.plan)
		return cmd_plan(b, peer, &ask, reply);
	breaks_clock(b, &clk);
	o = policy_pause(a, &ask.req, &clk, c->pause_default, a);
	if (o == POLICY_PAUSE_TOGGLE) /* a bare `smctl pause` toggles */
		return cmd_resume(b, NULL, 0, reply);
	if (o == POLICY_PAUSE_OTHER)
		return other_pause(b, reply);
	/* A strict pause that a restart could forget is a promise not kept:
	 * refused unless it is written. Any other applies, saved or not. */
	int saved = o == POLICY_PAUSE_UNCHANGED ? 0 : breaks_save_state(b);
	if (saved < 0 && a->strict) {
		*a = old;
		breaks_save_state(b);
		breaks_reply_result(reply, PROTO_RESULT_REFUSED,
		                    "cannot save the state (%s), and a strict pause must survive a "
		                    "restart; nothing changed",
		                    strerror(-saved));
		return 0;
	}
	if (old.on && old.unlock_at && !a->unlock_at)
		breaks_emit(b, clk.now, "relock", "resume taken back by a pause");
	if (o == POLICY_PAUSE_EXTENDED) {
		char when[32];
		value_format_when(policy_pause_end(a, &clk), clk.now, when, sizeof(when));
		breaks_event(b, clk.now,
		             &(struct breaks_event){.kind = "extended",
		                                    .name = "pause",
		                                    .lists = policy_pause_lists(c, a),
		                                    .start = a->start,
		                                    .end = policy_pause_end(a, &clk)},
		             "pause extended until %s", when);
	}
	breaks_evaluate(b);
	pause_reply(b, peer, o, ask.until != NULL, saved, reply);
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

/* Each break skipped now ends early; each skipped after its delay is an
 * event now (and ends early when the delay is over). */
static void skip_history(struct breaks *b, const bool *now, const bool *later)
{
	for (size_t i = 0; i < b->conf->n_breaks; i++) {
		char when[32];
		if (now[i]) {
			breaks_count(b, STATS_EARLY);
			breaks_event(b, b->pol.now,
			             &(struct breaks_event){.kind = "skipped",
			                                    .name = b->conf->breaks[i].name,
			                                    .whom = &b->conf->breaks[i].whom},
			             "break %s skipped", b->conf->breaks[i].name);
		}
		if (!later[i])
			continue;
		value_format_when(b->pol.now + (time_t)b->conf->breaks[i].unlock_delay, b->pol.now,
		                  when, sizeof(when));
		breaks_emit(b, b->pol.now, "unlock",
		            "skip asked: break %s ends at %s, after its unlock delay",
		            b->conf->breaks[i].name, when);
	}
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
	skip_history(b, skip, delayed); /* nothing when none is skipped */
	free(skip);
	if (!n) {
		if (refused[0])
			breaks_reply_result(reply, PROTO_RESULT_REFUSED, "cannot skip: %s",
			                    refused);
		else
			breaks_reply_result(reply, PROTO_RESULT_REFUSED,
			                    "no scheduled break is on");
		return 0;
	}
	/* Skipping a break that is not strict applies even unsaved (see resume). */
	int saved = breaks_save_state(b);
	log_info("skip by uid %u: %s", (unsigned)peer->uid, skipped);
	breaks_evaluate(b);
	breaks_reply_result(reply, PROTO_RESULT_OK, "%s%s%s%s%s%s", skipped[0] ? "skipped " : "",
	                    skipped, later, refused[0] ? "; " : "", refused,
	                    saved < 0 ? UNSAVED : "");
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
			breaks_reply_result(reply, PROTO_RESULT_USAGE, "--days takes 1 to 60");
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
	/* The planned pauses (sorted by start, whatever the horizon: there are
	 * few) merged by start into the scheduled breaks. */
	const struct state *s = &b->state;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		for (; k < s->n_plans && s->plans[k].start <= v[i].start; k++)
			put_plan(b, reply, &s->plans[k]);
		put_scheduled(b, reply, PROTO_A_BREAK, v[i].brk, v[i].start, v[i].end);
	}
	for (; k < s->n_plans; k++)
		put_plan(b, reply, &s->plans[k]);
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
	/* for some users (a break for some devices only is in the devices' lines) */
	for (size_t i = 0; i < p->in.n_some; i++) {
		if (!p->in.some[i].whom.n_uids)
			continue;
		long nest = proto_nest_start(reply, PROTO_A_SOME);
		if (nest < 0)
			break;
		put_lists(reply, PROTO_A_LIST, c, p->in.some[i].lists);
		breaks_put_users(reply, &p->in.some[i].whom);
		proto_nest_end(reply, nest);
	}
	breaks_status_devices(b, reply);
	if (p->pause_on)
		put_pause(b, reply, PROTO_A_BREAK);
	if (b->state.n_plans) /* the next planned pause: the next focus cycle, say */
		put_plan(b, reply, &b->state.plans[0]);
	for (size_t i = 0; i < c->n_breaks; i++)
		if (p->breaks[i].active)
			put_scheduled(b, reply, PROTO_A_BREAK, i, p->breaks[i].start,
			              p->breaks[i].end);
	if (p->next >= 0)
		put_scheduled(b, reply, PROTO_A_NEXT, (size_t)p->next,
		              p->breaks[p->next].next_start, p->breaks[p->next].next_end);
	breaks_allow_put(b, reply, true);
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
		breaks_reply_result(reply, PROTO_RESULT_OK, "configuration reloaded from %s",
		                    b->conf->path);
	} else if (r == RELOAD_DEFERRED) {
		char when[32];
		value_format_when(b->deferred_at, time(NULL), when, sizeof(when));
		breaks_reply_result(
		    reply, PROTO_RESULT_OK,
		    "accepted: it loosens a break with an unlock delay, so it applies "
		    "at %s (reload the old file to take it back)",
		    when);
	} else if (r == -EPERM) {
		breaks_reply_result(reply, PROTO_RESULT_REFUSED,
		                    "reload refused: it would loosen a strict break; the running "
		                    "configuration stays");
	} else if (r == -EINVAL) {
		breaks_reply_result(reply, PROTO_RESULT_REFUSED,
		                    "%s has errors; the running configuration stays",
		                    b->conf->path);
	} else {
		breaks_reply_result(reply, PROTO_RESULT_REFUSED, "reload failed: %s", strerror(-r));
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
		breaks_reply_result(reply, PROTO_RESULT_REFUSED,
		                    "busy: too many reloads waiting, try again");
	else
		breaks_reply_result(reply, PROTO_RESULT_REFUSED, "reload failed: %s", strerror(-r));
	return 0;
}

/* smctl cancel ID: drops a planned pause before it starts, strict or not
 * (nothing is in force yet, so nothing is loosened). */
static int cmd_cancel(struct breaks *b, const struct control_peer *peer, const uint8_t *payload,
                      size_t len, struct proto_msg *reply)
{
	struct proto_attr at;
	uint32_t id;
	char when[48];
	time_t start = 0;

	if (!proto_find(payload, len, PROTO_A_ID, &at)) {
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "cancel needs the id of a planned pause (smctl schedule lists "
		                    "them)");
		return 0;
	}
	id = proto_attr_u32(&at);
	for (size_t i = 0; i < b->state.n_plans; i++)
		if (b->state.plans[i].id == id)
			start = b->state.plans[i].start;
	if (!policy_cancel(&b->state, id)) {
		breaks_reply_result(reply, PROTO_RESULT_REFUSED,
		                    "no planned pause %u (smctl schedule lists them; one that has "
		                    "started is the pause, which smctl resume ends)",
		                    id);
		return 0;
	}
	int saved = breaks_save_state(b);
	log_info("cancel by uid %u: planned pause %u", (unsigned)peer->uid, id);
	breaks_evaluate(b);
	value_format_instant(start, b->pol.now, when, sizeof(when));
	breaks_reply_result(reply, PROTO_RESULT_OK, "planned pause %u (from %s) cancelled%s", id,
	                    when, saved < 0 ? UNSAVED : "");
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
		return cmd_resume(b, payload, len, reply);
	case PROTO_CMD_SKIP:
		return cmd_skip(b, peer, reply);
	case PROTO_CMD_SCHEDULE:
		return cmd_schedule(b, payload, len, reply);
	case PROTO_CMD_RELOAD:
		return cmd_reload(b, reply);
	case PROTO_CMD_LISTS:
		return breaks_cmd_lists(b, payload, len, reply);
	case PROTO_CMD_CHECK:
		return breaks_cmd_check(b, payload, len, reply);
	case PROTO_CMD_SERVICES:
		return breaks_cmd_services(b, payload, len, reply);
	case PROTO_CMD_STATS:
		return breaks_cmd_stats(b, payload, len, reply);
	case PROTO_CMD_CANCEL:
		return cmd_cancel(b, peer, payload, len, reply);
	case PROTO_CMD_DEVICES:
		return breaks_cmd_devices(b, reply);
	case PROTO_CMD_WATCH:
		breaks_reply_result(reply, PROTO_RESULT_OK, "watching breaks");
		return 1;
	default:
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "'%s' is not supported by this daemon",
		                    proto_cmd_name(cmd) ? proto_cmd_name(cmd) : "?");
		return 0;
	}
}
