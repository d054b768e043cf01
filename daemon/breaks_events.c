/* The break state machine's events for `smctl watch` and smbreak-notify:
 * each is logged and, as a PROTO_EVENT, carries its kind, the break or
 * pause, its lists, whom it is for, start, end and what remains. Here too
 * the warnings before a start (once per start) and the refusals of blocked
 * names (once per service per BREAKS_BLOCKED_EVERY). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaks_internal.h"
#include "log.h"

/* Each kind and its word in the human form (`smctl watch`'s second column). */
static const struct {
	const char *kind, *word;
} kinds[] = {
    {"warning", "warn"},          {"started", "start"},   {"ended", "end"},
    {"extended", "extend"},       {"skipped", "skip"},    {"resumed", "resume"},
    {"unlock-pending", "unlock"}, {"relocked", "relock"}, {"reloaded", "reload"},
    {"blocked", "block"},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *word_of(const char *kind)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].word;
	return kind;
}

static const char *kind_of(const char *word)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (strcmp(kinds[i].word, word) == 0)
			return kinds[i].kind;
	return word;
}

static void put_lists(struct proto_msg *m, const struct conf *c, uint64_t mask)
{
	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++)
		if (mask & (UINT64_C(1) << i))
			proto_put_str(m, PROTO_A_LIST, c->lists[i].name);
}

static void put_whom(struct proto_msg *m, const struct whom *w)
{
	long nest;

	if (!w || whom_everyone(w) || (nest = proto_nest_start(m, PROTO_A_WHOM)) < 0)
		return;
	for (uint32_t i = 0; i < w->n_uids && i < SMB_WHOM_USERS_MAX; i++)
		proto_put_u32(m, PROTO_A_UID, w->uids[i]);
	for (uint32_t i = 0; i < SMB_DEVICES_MAX; i++)
		if (w->devices >> i & 1u)
			proto_put_u32(m, PROTO_A_WHOM_DEVICE, i);
	proto_nest_end(m, nest);
}

static void emit_v(struct breaks *b, time_t now, const struct breaks_event *ev, const char *fmt,
                   va_list ap)
{
	struct proto_msg *m;
	char line[512];
	time_t to = !strcmp(ev->kind, "warning") ? ev->start : ev->end;

	vsnprintf(line, sizeof(line), fmt, ap);
	log_notice("%s", line);
	if (!b->hooks.event || !(m = malloc(sizeof(*m))))
		return;
	proto_msg_init(m, PROTO_EVENT);
	proto_put_str(m, PROTO_A_EVENT, ev->word ? ev->word : word_of(ev->kind));
	proto_put_i64(m, PROTO_A_NOW, now);
	proto_put_str(m, PROTO_A_MESSAGE, line);
	proto_put_str(m, PROTO_A_KIND, ev->kind);
	if (ev->name)
		proto_put_str(m, PROTO_A_NAME, ev->name);
	if (ev->id)
		proto_put_u32(m, PROTO_A_ID, ev->id);
	if (ev->domain)
		proto_put_str(m, PROTO_A_DOMAIN, ev->domain);
	put_lists(m, b->conf, ev->lists);
	put_whom(m, ev->whom);
	if (ev->start)
		proto_put_i64(m, PROTO_A_START, ev->start);
	if (ev->end)
		proto_put_i64(m, PROTO_A_END, ev->end);
	if (to > now)
		proto_put_u64(m, PROTO_A_REMAINING, (uint64_t)(to - now));
	if (ev->budget) {
		proto_put_u64(m, PROTO_A_USED, ev->used);
		proto_put_u64(m, PROTO_A_BUDGET, ev->budget);
	}
	if (proto_msg_finish(m) > 0)
		b->hooks.event(b->hooks.arg, m);
	free(m);
}

void breaks_event(struct breaks *b, time_t now, const struct breaks_event *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit_v(b, now, ev, fmt, ap);
	va_end(ap);
}

void breaks_emit(struct breaks *b, time_t now, const char *word, const char *fmt, ...)
{
	struct breaks_event ev = {.kind = kind_of(word), .word = word};
	va_list ap;

	va_start(ap, fmt);
	emit_v(b, now, &ev, fmt, ap);
	va_end(ap);
}

/* ---- warnings ---- */

/* "5 min", "40 s": how far off a start is, minutes rounded up. */
static void format_in(time_t secs, char *buf, size_t len)
{
	if (secs >= 60)
		snprintf(buf, len, "%lld min", (long long)((secs + 59) / 60));
	else
		snprintf(buf, len, "%lld s", (long long)(secs > 0 ? secs : 0));
}

static bool warned(const struct breaks *b, const struct policy_warning *w)
{
	for (size_t i = 0; i < b->n_warned; i++)
		if (b->warned[i].start == w->start && b->warned[i].id == w->plan_id &&
		    strcmp(b->warned[i].name, w->name) == 0)
			return true;
	return false;
}

/* Remembers w as given; when the table is full, the warning of the
 * earliest start is forgotten (it is the nearest to being over). */
static void remember(struct breaks *b, const struct policy_warning *w)
{
	struct breaks_warned *e = &b->warned[0];

	if (b->n_warned < BREAKS_WARNED_MAX)
		e = &b->warned[b->n_warned++];
	else
		for (size_t i = 1; i < b->n_warned; i++)
			if (b->warned[i].start < e->start)
				e = &b->warned[i];
	snprintf(e->name, sizeof(e->name), "%s", w->name);
	e->id = w->plan_id;
	e->start = w->start;
}

void breaks_warn(struct breaks *b, time_t now, const struct policy_warning *w, const char *what)
{
	char in[32], at[32], until[32], lists[256];

	if (warned(b, w))
		return;
	remember(b, w);
	format_in(w->start - now, in, sizeof(in));
	value_format_when(w->start, now, at, sizeof(at));
	value_format_when(w->end, now, until, sizeof(until));
	policy_list_names(b->conf, w->lists, lists, sizeof(lists));
	struct breaks_event ev = {
	    .kind = "warning",
	    .name = w->name,
	    .id = w->plan_id,
	    .lists = w->lists,
	    .whom = w->whom,
	    .start = w->start,
	    .end = w->end,
	};
	breaks_event(b, now, &ev, "%s starts in %s (at %s, until %s): lists %s", what, in, at,
	             until, lists);
}

void breaks_warn_due(struct breaks *b, const struct policy *p)
{
	struct policy_warning v[16];
	size_t n = policy_warnings(b->conf, &b->state, p, v, sizeof(v) / sizeof(v[0])), j = 0;
	char what[VALUE_NAME_MAX + 16];

	/* A start that has come needs no memory of its warning. */
	for (size_t i = 0; i < b->n_warned; i++)
		if (b->warned[i].start > p->now)
			b->warned[j++] = b->warned[i];
	b->n_warned = j;
	for (size_t i = 0; i < n; i++) {
		if (v[i].plan_id)
			snprintf(what, sizeof(what), "planned pause %u", v[i].plan_id);
		else
			snprintf(what, sizeof(what), "break %s", v[i].name);
		breaks_warn(b, p->now, &v[i], what);
	}
}

/* ---- refusals ---- */

void breaks_blocked(struct breaks *b, const char *key, const char *name, size_t len)
{
	time_t now = time(NULL);
	struct breaks_seen *e = NULL;
	char domain[256];

	for (size_t i = 0; i < b->n_seen && !e; i++)
		if (strcmp(b->seen[i].key, key) == 0)
			e = &b->seen[i];
	if (e && now >= e->at && now - e->at < BREAKS_BLOCKED_EVERY)
		return;
	if (!e && b->n_seen < BREAKS_BLOCKED_KEYS) {
		e = &b->seen[b->n_seen++];
	} else if (!e) { /* full: the one told of longest ago makes room */
		e = &b->seen[0];
		for (size_t i = 1; i < b->n_seen; i++)
			if (b->seen[i].at < e->at)
				e = &b->seen[i];
	}
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->at = now;
	snprintf(domain, sizeof(domain), "%.*s", (int)(len < 255 ? len : 255), name);
	struct breaks_event ev = {
	    .kind = "blocked",
	    .name = key,
	    .domain = domain,
	    .end = b->pol.in.end,
	};
	breaks_event(b, now, &ev, "%s was refused: %s", domain,
	             b->pol.in.reason[0] ? b->pol.in.reason : "a break is on");
}
