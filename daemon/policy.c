/* The break policy (see policy.h): what is in force at an instant, pause
 * merging, resume and skip, planned pauses, all from values passed in (the
 * judgements of a reload are policy_veto.c's). Every evaluation starts from
 * the facts (config, state, instant) rather than from remembered
 * transitions, so a clock step, a reload or a restart converge on the same
 * answer. */
#include "policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowance.h"
#include "sched.h"
#include "users.h"

/* ---- lists ---- */

uint64_t policy_break_lists(const struct conf_break *br)
{
	uint64_t m = 0;

	for (size_t i = 0; i < br->n_lists; i++)
		if (br->lists[i] < SMB_LISTS_MAX)
			m |= UINT64_C(1) << br->lists[i];
	return m;
}

static uint64_t all_lists(const struct conf *c)
{
	return c->n_lists >= SMB_LISTS_MAX ? UINT64_MAX : (UINT64_C(1) << c->n_lists) - 1;
}

static ssize_t list_index(const struct conf *c, const char *name)
{
	for (size_t j = 0; j < c->n_lists && j < SMB_LISTS_MAX; j++)
		if (strcmp(name, c->lists[j].name) == 0)
			return (ssize_t)j;
	return -1;
}

uint64_t policy_pause_lists(const struct conf *c, const struct state_adhoc *a)
{
	uint64_t m = 0;

	if (a->n_lists == 0)
		return all_lists(c);
	for (size_t i = 0; i < a->n_lists; i++) {
		ssize_t j = list_index(c, a->lists[i]);
		if (j >= 0)
			m |= UINT64_C(1) << j;
	}
	return m;
}

void policy_pause_whom(const struct conf *c, const struct state_adhoc *a, struct whom *out)
{
	*out = a->whom;
	out->devices = 0;
	for (size_t i = 0; i < a->n_devices; i++) {
		int d = conf_find_device(c, a->devices[i]);
		if (d >= 0 && d < SMB_DEVICES_MAX)
			out->devices |= UINT64_C(1) << d;
	}
	if (a->n_devices && whom_everyone(out)) {
		out->uids[0] = USERS_NOBODY;
		out->n_uids = 1;
	}
}

/* Whether two pauses name the same devices (each name once, in any order). */
static bool same_devices(const struct state_adhoc *a, const struct policy_pause_req *req)
{
	if (a->n_devices != req->n_devices)
		return false;
	for (size_t i = 0; i < req->n_devices; i++) {
		size_t k = 0;
		while (k < a->n_devices && strcmp(a->devices[k], req->devices[i]) != 0)
			k++;
		if (k == a->n_devices)
			return false;
	}
	return true;
}

void policy_list_names(const struct conf *c, uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++) {
		if (!(mask & (UINT64_C(1) << i)))
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", c->lists[i].name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "(none)");
}

/* ---- the pause's clocks ---- */

static bool same_boot(const struct state_adhoc *a, const struct policy_clock *clk)
{
	return a->boot_id[0] && clk->boot_id && strcmp(a->boot_id, clk->boot_id) == 0;
}

time_t policy_pause_strict_end(const struct state_adhoc *a, const struct policy_clock *clk)
{
	time_t end;

	if (!a->on || !a->strict)
		return 0;
	end = a->strict_end ? a->strict_end : a->end; /* 0: the whole pause */
	if (same_boot(a, clk)) {
		int64_t left = a->boot_start + a->length - clk->boottime;
		if (left > 0 && clk->now + left > end)
			end = clk->now + left;
	}
	return end;
}

time_t policy_pause_end(const struct state_adhoc *a, const struct policy_clock *clk)
{
	time_t end = a->end, se = policy_pause_strict_end(a, clk);

	return se > end ? se : end;
}

/* ---- evaluation ---- */

static void add_reason(struct inforce *in, const char *what, time_t until, time_t now)
{
	size_t off = strlen(in->reason);
	char when[32];

	value_format_when(until, now, when, sizeof(when));
	snprintf(in->reason + off, sizeof(in->reason) - off, "%s%s until %s", off ? ", " : "", what,
	         when);
}

/* t becomes the next transition when it is the soonest after now. */
static void consider(time_t *next, time_t t, time_t now)
{
	if (t > now && (*next == 0 || t < *next))
		*next = t;
}

static void eval_pause(const struct conf *c, const struct state_adhoc *a,
                       const struct policy_clock *clk, struct policy *p, time_t *next)
{
	time_t now = clk->now, end;

	if (!a->on)
		return;
	end = policy_pause_end(a, clk);
	if (end <= now) {
		p->pause_expired = true;
		return;
	}
	p->pause_on = true;
	p->pause_end = end;
	p->pause_strict_end = policy_pause_strict_end(a, clk);
	p->pause_strict = p->pause_strict_end > now;
	p->pause_lists = policy_pause_lists(c, a);
	p->pause_unlock_at = a->unlock_at;
	if (a->unlock_at)
		consider(next, a->unlock_at, now);
	policy_pause_whom(c, a, &p->pause_whom);
	policy_add_inforce(&p->in, p->pause_lists, &p->pause_whom);
	p->in.strict |= p->pause_strict;
	consider(next, end, now);
	if (p->pause_strict)
		consider(next, p->pause_strict_end, now);
	if (end > p->in.end)
		p->in.end = end;
	add_reason(&p->in, "pause", end, now);
}

/* The hold of a strict break within this boot, or NULL. */
static const struct state_hold *find_hold(const struct state *s, const char *name,
                                          const struct policy_clock *clk)
{
	for (size_t i = 0; i < s->n_holds; i++)
		if (strcmp(s->holds[i].name, name) == 0 && clk->boot_id &&
		    strcmp(s->holds[i].boot_id, clk->boot_id) == 0)
			return &s->holds[i];
	return NULL;
}

/* A strict break held on CLOCK_BOOTTIME stays on until its boot measure has
 * passed, even when the wall clock or the zone says its interval is over. */
static void apply_hold(const struct conf_break *br, const struct state *s,
                       const struct policy_clock *clk, struct policy_break *pb)
{
	const struct state_hold *h = br->strict ? find_hold(s, br->name, clk) : NULL;
	int64_t left = h ? h->boot_end - clk->boottime : 0;

	if (left <= 0)
		return;
	if (!pb->active) {
		pb->active = true;
		pb->skipped = false;
		pb->start = h->start;
		pb->end = clk->now + left;
	} else if (clk->now + left > pb->end) {
		pb->end = clk->now + left;
	}
}

void policy_add_inforce(struct inforce *in, uint64_t lists, const struct whom *w)
{
	if (!lists)
		return;
	if (!w || whom_everyone(w)) {
		in->lists |= lists;
		return;
	}
	for (size_t i = 0; i < in->n_some; i++)
		if (whom_equal(&in->some[i].whom, w)) {
			in->some[i].lists |= lists;
			return;
		}
	if (in->n_some == INFORCE_SOME_MAX) {
		in->lists |= lists; /* blocking too many beats blocking too few */
		return;
	}
	in->some[in->n_some].lists = lists;
	in->some[in->n_some++].whom = *w;
}

int policy_eval(const struct conf *c, const struct state *s, const struct policy_clock *clk,
                struct policy *p)
{
	time_t now = clk->now, next = 0;

	memset(p, 0, sizeof(*p));
	p->now = now;
	p->next = -1;
	p->breaks = calloc(c->n_breaks ? c->n_breaks : 1, sizeof(*p->breaks));
	if (!p->breaks)
		return -ENOMEM;
	p->n_breaks = c->n_breaks;
	eval_pause(c, &s->adhoc, clk, p, &next);
	for (size_t i = 0; i < s->n_plans; i++)
		consider(&next, s->plans[i].start, now);
	for (size_t i = 0; i < s->n_unlocks; i++)
		consider(&next, s->unlocks[i].at, now);
	for (size_t i = 0; i < c->n_breaks; i++) {
		const struct conf_break *br = &c->breaks[i];
		struct policy_break *pb = &p->breaks[i];

		pb->active = sched_active(br, now, &pb->start, &pb->end);
		apply_hold(br, s, clk, pb);
		if (pb->active) {
			consider(&next, pb->end, now);
			pb->skipped = state_is_skipped(s, br->name, pb->end);
			pb->on = !pb->skipped;
		}
		if (sched_next_interval(br, now, &pb->next_start, &pb->next_end)) {
			consider(&next, pb->next_start, now);
			if (p->next < 0 || pb->next_start < p->breaks[p->next].next_start)
				p->next = (ssize_t)i;
		} else {
			pb->next_start = pb->next_end = 0;
		}
		if (!pb->on)
			continue;
		policy_add_inforce(&p->in, policy_break_lists(br), &br->whom);
		p->in.strict |= br->strict;
		if (pb->end > p->in.end)
			p->in.end = pb->end;
		char what[VALUE_NAME_MAX + 8];
		snprintf(what, sizeof(what), "break %s", br->name);
		add_reason(&p->in, what, pb->end, now);
	}
	allowance_inforce(c, &s->allow, now, &p->in, &next, p->strict_until);
	/* Warnings are transitions too: the timer wakes for the next one. */
	for (size_t i = 0; i < c->n_breaks; i++)
		if (p->breaks[i].next_start)
			policy_warn_due(p->breaks[i].next_start, c->breaks[i].warn, now,
			                &p->next_warn);
	for (size_t i = 0; i < s->n_plans; i++)
		policy_warn_due(s->plans[i].start, c->warn, now, &p->next_warn);
	if (p->next_warn)
		consider(&next, p->next_warn, now);
	p->in.until = next;
	return 0;
}

void policy_clear(struct policy *p)
{
	free(p->breaks);
	p->breaks = NULL;
	p->n_breaks = 0;
}

bool policy_hold(const struct conf *c, const struct policy *p, const struct policy_clock *clk,
                 struct state *s)
{
	bool changed = false;
	size_t j = 0;

	/* Holds of breaks no longer on, or of another boot, go. */
	for (size_t i = 0; i < s->n_holds; i++) {
		const struct conf_break *br = conf_find_break(c, s->holds[i].name);
		size_t k = br ? (size_t)(br - c->breaks) : 0;
		bool keep = br && br->strict && k < p->n_breaks && p->breaks[k].on &&
		            clk->boot_id && strcmp(s->holds[i].boot_id, clk->boot_id) == 0;
		if (keep)
			s->holds[j++] = s->holds[i];
		else
			changed = true;
	}
	s->n_holds = j;
	/* Each strict break on gets one, covering what is left of it. */
	for (size_t i = 0; i < c->n_breaks && i < p->n_breaks; i++) {
		const struct policy_break *pb = &p->breaks[i];
		int64_t boot_end = clk->boottime + (pb->end - p->now);
		struct state_hold *h;

		if (boot_end > clk->boottime + SMB_PAUSE_MAX) /* around the clock, say */
			boot_end = clk->boottime + SMB_PAUSE_MAX;

		if (!c->breaks[i].strict || !pb->on || !clk->boot_id || !clk->boot_id[0])
			continue;
		h = (struct state_hold *)find_hold(s, c->breaks[i].name, clk);
		if (!h) {
			if (s->n_holds == STATE_HOLDS_MAX)
				continue;
			h = &s->holds[s->n_holds++];
			memset(h, 0, sizeof(*h));
			snprintf(h->name, sizeof(h->name), "%s", c->breaks[i].name);
			snprintf(h->boot_id, sizeof(h->boot_id), "%s", clk->boot_id);
			h->start = pb->start;
			h->boot_end = 0;
		}
		/* Seconds of both clocks tick apart: a second's jitter is no change. */
		if (boot_end > h->boot_end + 1) {
			h->boot_end = boot_end;
			h->end = pb->end;
			changed = true;
		}
	}
	return changed;
}

/* x = min(x, max), noting a cut. */
static void cut(int64_t *x, int64_t max, bool *changed)
{
	if (*x > max) {
		*x = max;
		*changed = true;
	}
}

bool policy_bound(struct state *s, const struct policy_clock *clk)
{
	struct state_adhoc *a = &s->adhoc;
	int64_t boot_max = clk->boottime + SMB_PAUSE_MAX;
	bool changed = false;

	if (a->on) {
		int64_t end = a->end, strict_end = a->strict_end;
		cut(&end, (int64_t)clk->now + SMB_PAUSE_MAX, &changed);
		cut(&strict_end, end, &changed);
		a->end = (time_t)end;
		a->strict_end = (time_t)strict_end;
		if (a->start > a->end)
			a->start = a->end;
		cut(&a->length, SMB_PAUSE_MAX, &changed);
		if (same_boot(a, clk)) {
			cut(&a->boot_start, clk->boottime, &changed);
			cut(&a->length, boot_max - a->boot_start, &changed);
		}
	}
	for (size_t i = 0; i < s->n_holds; i++)
		if (clk->boot_id && strcmp(s->holds[i].boot_id, clk->boot_id) == 0)
			cut(&s->holds[i].boot_end, boot_max, &changed);
	return changed;
}

/* ---- pause, resume, skip ---- */

/* Adds the requested list names the pause does not have yet; a pause on
 * every list (none named) stays on every list. */
static void merge_lists(struct state_adhoc *a, const struct policy_pause_req *req)
{
	if (a->n_lists == 0)
		return;
	if (req->n_lists == 0) {
		a->n_lists = 0;
		return;
	}
	for (size_t i = 0; i < req->n_lists; i++) {
		size_t j = 0;
		while (j < a->n_lists && strcmp(a->lists[j], req->lists[i]))
			j++;
		if (j == a->n_lists && a->n_lists < SMB_LISTS_MAX)
			memcpy(a->lists[a->n_lists++], req->lists[i], sizeof(req->lists[i]));
	}
}

/* Makes [now, until) strict, on both clocks, keeping a longer strict part. */
static void make_strict(struct state_adhoc *a, bool was_strict, time_t until,
                        const struct policy_clock *clk)
{
	int64_t boot_end = clk->boottime + (until - clk->now);

	if (!was_strict || !same_boot(a, clk)) {
		a->boot_start = clk->boottime;
		a->length = until - clk->now;
		a->strict_end = was_strict && a->strict_end > until ? a->strict_end : until;
	} else {
		if (a->boot_start + a->length < boot_end)
			a->length = boot_end - a->boot_start;
		if (until > a->strict_end)
			a->strict_end = until;
	}
	a->strict = true;
	snprintf(a->boot_id, sizeof(a->boot_id), "%s", clk->boot_id ? clk->boot_id : "");
}

enum policy_pause_outcome policy_pause(const struct state_adhoc *a,
                                       const struct policy_pause_req *req,
                                       const struct policy_clock *clk, uint32_t pause_default,
                                       struct state_adhoc *out)
{
	time_t now = clk->now;
	bool running = a->on && policy_pause_end(a, clk) > now;
	struct state_adhoc old = *a, n;

	if (!running) {
		memset(&n, 0, sizeof(n));
		n.on = true;
		n.start = now;
		n.end = req->have_end ? req->end : now + (time_t)pause_default;
		for (size_t i = 0; i < req->n_lists; i++)
			memcpy(n.lists[i], req->lists[i], sizeof(req->lists[i]));
		n.n_lists = req->n_lists;
		n.unlock_delay = req->unlock_delay;
		n.whom = req->whom;
		for (size_t i = 0; i < req->n_devices; i++)
			memcpy(n.devices[i], req->devices[i], sizeof(req->devices[i]));
		n.n_devices = req->n_devices;
		if (req->strict)
			make_strict(&n, false, n.end, clk);
		*out = n;
		return POLICY_PAUSE_STARTED;
	}
	if (!whom_equal(&old.whom, &req->whom) || !same_devices(&old, req)) {
		*out = old;
		return POLICY_PAUSE_OTHER;
	}
	bool bare = !req->have_end && !req->strict && req->n_lists == 0 && !req->unlock_delay;
	if (bare && !old.unlock_at) {
		*out = old;
		return POLICY_PAUSE_TOGGLE;
	}
	n = old;
	n.unlock_at = 0; /* any pause takes back a resume that waits out its delay */
	if (req->unlock_delay > n.unlock_delay)
		n.unlock_delay = req->unlock_delay;
	/* The boot measure may hold a strict part past the wall-clock end. */
	n.end = policy_pause_end(&old, clk);
	if (req->have_end && req->end > n.end)
		n.end = req->end;
	if (req->have_end || req->n_lists)
		merge_lists(&n, req);
	if (req->strict) {
		bool strict_now = old.strict && policy_pause_strict_end(&old, clk) > now;
		make_strict(&n, strict_now, req->have_end ? req->end : n.end, clk);
	}
	*out = n;
	if (n.end == old.end && n.strict == old.strict && n.strict_end == old.strict_end &&
	    n.length == old.length && n.n_lists == old.n_lists && n.unlock_at == old.unlock_at &&
	    n.unlock_delay == old.unlock_delay)
		return POLICY_PAUSE_UNCHANGED;
	return POLICY_PAUSE_EXTENDED;
}

static void hold_lists(time_t until[SMB_LISTS_MAX], uint64_t lists, time_t end)
{
	for (unsigned i = 0; i < SMB_LISTS_MAX; i++)
		if (lists >> i & 1u && end > until[i])
			until[i] = end;
}

void policy_strict_until(const struct conf *c, const struct policy *p, time_t until[SMB_LISTS_MAX])
{
	memcpy(until, p->strict_until, SMB_LISTS_MAX * sizeof(*until)); /* the allowances' */
	for (size_t i = 0; i < c->n_breaks && i < p->n_breaks; i++) {
		const struct conf_break *br = &c->breaks[i];
		if (p->breaks[i].on && br->strict && whom_everyone(&br->whom))
			hold_lists(until, policy_break_lists(br), p->breaks[i].end);
	}
	if (p->pause_on && p->pause_strict && whom_everyone(&p->pause_whom))
		hold_lists(until, p->pause_lists, p->pause_strict_end);
}

int policy_restore_holds(const struct conf *c, const struct policy *p,
                         const time_t held[SMB_LISTS_MAX], time_t unmatched,
                         const struct policy_clock *clk, uint32_t pause_default, struct state *s)
{
	struct policy_pause_req req = {.have_end = true, .strict = true};
	time_t now = clk->now, until[SMB_LISTS_MAX];
	struct state_adhoc out;
	bool every = false;

	policy_strict_until(c, p, until);
	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++) {
		if (held[i] <= now + 1 || held[i] <= until[i] + 1)
			continue;
		snprintf(req.lists[req.n_lists++], sizeof(req.lists[0]), "%s", c->lists[i].name);
		if (held[i] > req.end)
			req.end = held[i];
	}
	if (unmatched > now + 1) {
		every = true;
		req.n_lists = 0; /* every list */
		if (unmatched > req.end)
			req.end = unmatched;
	}
	if (!every && req.n_lists == 0)
		return 0;
	enum policy_pause_outcome o = policy_pause(&s->adhoc, &req, clk, pause_default, &out);
	if (o == POLICY_PAUSE_OTHER || o == POLICY_PAUSE_TOGGLE)
		return -EBUSY;
	s->adhoc = out;
	return every ? SMB_LISTS_MAX : (int)req.n_lists;
}

enum policy_resume_outcome policy_resume(const struct conf *c, struct policy *p, struct state *s,
                                         const char **brk)
{
	if (!p->pause_on) {
		for (size_t i = 0; i < c->n_breaks && i < p->n_breaks; i++)
			if (p->breaks[i].on) {
				*brk = c->breaks[i].name;
				return POLICY_RESUME_SCHEDULED;
			}
		return POLICY_RESUME_NONE;
	}
	if (p->pause_strict)
		return POLICY_RESUME_STRICT;
	if (s->adhoc.unlock_at)
		return POLICY_RESUME_PENDING;
	if (s->adhoc.unlock_delay > 0) {
		s->adhoc.unlock_at = p->now + (time_t)s->adhoc.unlock_delay;
		p->pause_unlock_at = s->adhoc.unlock_at;
		return POLICY_RESUME_DELAYED;
	}
	return POLICY_RESUME_OK;
}

bool policy_resume_cancel(struct state *s)
{
	bool was = s->adhoc.on && s->adhoc.unlock_at;

	s->adhoc.unlock_at = 0;
	return was;
}

bool policy_unlock_due(struct state *s, const struct policy_clock *clk)
{
	bool changed = false;
	size_t j = 0;

	if (s->adhoc.on && s->adhoc.unlock_at && s->adhoc.unlock_at <= clk->now &&
	    !(s->adhoc.strict && policy_pause_strict_end(&s->adhoc, clk) > clk->now)) {
		s->adhoc.on = false;
		s->adhoc.unlock_at = 0;
		changed = true;
	}
	for (size_t i = 0; i < s->n_unlocks; i++) {
		const struct state_skip *u = &s->unlocks[i];
		if (u->at > clk->now) {
			s->unlocks[j++] = *u;
			continue;
		}
		state_add_skip(s, u->name, u->until);
		changed = true;
	}
	s->n_unlocks = j;
	return changed;
}

size_t policy_skip(const struct conf *c, const struct policy *p, bool *skip, bool *delayed,
                   bool *strict)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_breaks && i < p->n_breaks; i++) {
		skip[i] = delayed[i] = strict[i] = false;
		if (!p->breaks[i].on)
			continue;
		if (c->breaks[i].strict) {
			strict[i] = true;
			continue;
		}
		skip[i] = true;
		delayed[i] = c->breaks[i].unlock_delay > 0;
		n++;
	}
	return n;
}

/* ---- planned pauses ---- */

static int plan_cmp(const void *x, const void *y)
{
	const struct state_plan *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

int policy_plan(struct state *s, const struct policy_pause_req *req, time_t at, time_t length,
                uint32_t cycles, time_t rest, uint32_t *first_id)
{
	uint32_t n = cycles ? cycles : 1;

	if (s->n_plans + n > STATE_PLANS_MAX)
		return -ENOSPC;
	if (req->n_lists > STATE_PLAN_LISTS)
		return -E2BIG;
	*first_id = s->next_plan_id ? s->next_plan_id : 1;
	for (uint32_t i = 0; i < n; i++) {
		struct state_plan *pl = &s->plans[s->n_plans++];
		memset(pl, 0, sizeof(*pl));
		pl->id = *first_id + i;
		pl->start = at + (time_t)i * (length + rest);
		pl->end = pl->start + length;
		pl->strict = req->strict;
		pl->cycle = cycles ? i + 1 : 0;
		pl->cycles = cycles;
		for (size_t k = 0; k < req->n_lists; k++)
			memcpy(pl->lists[k], req->lists[k], sizeof(pl->lists[k]));
		pl->n_lists = req->n_lists;
		pl->whom = req->whom;
		for (size_t k = 0; k < req->n_devices; k++)
			memcpy(pl->devices[k], req->devices[k], sizeof(pl->devices[k]));
		pl->n_devices = req->n_devices;
	}
	s->next_plan_id = *first_id + n;
	qsort(s->plans, s->n_plans, sizeof(s->plans[0]), plan_cmp);
	return 0;
}

bool policy_cancel(struct state *s, uint32_t id)
{
	for (size_t i = 0; i < s->n_plans; i++) {
		if (s->plans[i].id != id)
			continue;
		memmove(&s->plans[i], &s->plans[i + 1], (s->n_plans - i - 1) * sizeof(s->plans[0]));
		s->n_plans--;
		return true;
	}
	return false;
}

bool policy_start_plans(struct state *s, const struct policy_clock *clk, uint32_t pause_default)
{
	bool changed = false;
	size_t j = 0;

	for (size_t i = 0; i < s->n_plans; i++) {
		const struct state_plan *pl = &s->plans[i];
		if (pl->start > clk->now) {
			s->plans[j++] = *pl;
			continue;
		}
		if (pl->end <= clk->now) { /* missed whole, say while the machine was off */
			changed = true;
			continue;
		}
		struct policy_pause_req req = {
		    .have_end = true, .end = pl->end, .strict = pl->strict};
		for (size_t k = 0; k < pl->n_lists; k++)
			memcpy(req.lists[k], pl->lists[k], sizeof(pl->lists[k]));
		req.n_lists = pl->n_lists;
		req.whom = pl->whom;
		for (size_t k = 0; k < pl->n_devices; k++)
			memcpy(req.devices[k], pl->devices[k], sizeof(pl->devices[k]));
		req.n_devices = pl->n_devices;
		/* A pause for other users or devices runs: the plan waits for its
		 * end, the next evaluation, rather than lengthen it for them. */
		if (policy_pause(&s->adhoc, &req, clk, pause_default, &s->adhoc) ==
		    POLICY_PAUSE_OTHER) {
			s->plans[j++] = *pl;
			continue;
		}
		changed = true;
		s->adhoc.cycle = pl->cycle;
		s->adhoc.cycles = pl->cycles;
	}
	s->n_plans = j;
	return changed;
}

/* ---- smctl check and schedule ---- */

enum policy_verdict policy_check(const struct conf *c, const struct policy *p, uint64_t lists,
                                 uint64_t allowed, bool bypass)
{
	if ((lists & p->in.lists) || (bypass && p->in.lists))
		return POLICY_BLOCKED_NOW;
	if (bypass)
		return POLICY_BYPASS_DURING;
	if (lists) {
		for (size_t i = 0; i < c->n_breaks; i++)
			if (policy_break_lists(&c->breaks[i]) & lists)
				return POLICY_BLOCKED_DURING;
		return POLICY_LISTED_UNUSED;
	}
	return allowed ? POLICY_ALLOWED : POLICY_UNLISTED;
}

static int entry_cmp(const void *x, const void *y)
{
	const struct policy_entry *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->brk < b->brk ? -1 : a->brk > b->brk;
}

size_t policy_schedule(const struct conf *c, time_t now, uint32_t days, struct policy_entry *v,
                       size_t max)
{
	time_t horizon = now + (time_t)days * 86400;
	size_t n = 0;

	for (size_t i = 0; i < c->n_breaks; i++) {
		time_t s, e, t = now;
		if (sched_active(&c->breaks[i], now, &s, &e) && n < max)
			v[n++] = (struct policy_entry){i, s, e};
		while (n < max && sched_next_interval(&c->breaks[i], t, &s, &e) && s < horizon) {
			v[n++] = (struct policy_entry){i, s, e};
			t = s;
		}
	}
	qsort(v, n, sizeof(*v), entry_cmp);
	return n;
}
