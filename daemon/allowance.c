/* Allowances: minute accounting per local day, the window and day an instant
 * belongs to, the break of a used-up allowance, the strict veto on a reload,
 * and the usage file's text. See allowance.h. */
#include "allowance.h"

#include "file.h"
#include "policy.h"
#include "sched.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_SECS 86400u

/* The local date of t as yyyymmdd, and its y, m, d. */
static uint32_t local_date(time_t t, int *y, int *m, int *d)
{
	struct tm tm;

	localtime_r(&t, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
	return (uint32_t)(*y * 10000 + *m * 100 + *d);
}

/* Local day y-m-d+off (off may leave the month): its date, weekday bit and
 * y, m, d, found from its noon, which every zone's DST rules leave alone. */
static uint32_t day_step(int *y, int *m, int *d, int off, uint8_t *day_bit)
{
	struct tm tm;
	time_t noon = sched_local_instant(*y, *m, *d + off, 12 * 3600);

	localtime_r(&noon, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
	*day_bit = (uint8_t)VALUE_DAY((tm.tm_wday + 6) % 7);
	return (uint32_t)(*y * 10000 + *m * 100 + *d);
}

/* The bounds of window w when it starts on local day y-m-d: an end not after
 * its start is on the next day. */
static void window_bounds(const struct conf_window *w, int y, int m, int d, time_t *s, time_t *e)
{
	*s = sched_local_instant(y, m, d, w->start);
	*e = w->end > w->start ? sched_local_instant(y, m, d, w->end)
	                       : sched_local_instant(y, m, d + 1, w->end);
}

bool allowance_window(const struct conf_allowance *a, time_t t, uint32_t *date, time_t *start,
                      time_t *end)
{
	const struct conf_break *b = &a->b;
	bool found = false;
	int y0, m0, d0;

	local_date(t, &y0, &m0, &d0);
	/* A window that covers t started today or, past midnight, yesterday. */
	for (int off = -1; off <= 0; off++) {
		int y = y0, m = m0, d = d0;
		uint8_t bit;
		uint32_t dt = day_step(&y, &m, &d, off, &bit);

		if (!(b->days & bit))
			continue;
		for (size_t i = 0; i < b->n_windows; i++) {
			time_t s, e;
			window_bounds(&b->windows[i], y, m, d, &s, &e);
			if (s > t || t >= e || (found && e <= *end))
				continue;
			found = true;
			*date = dt;
			*start = s;
			*end = e;
		}
	}
	return found;
}

/* The earliest window of date (whose local day is y-m-d) starting after t;
 * 0 when none. */
static time_t later_window(const struct conf_allowance *a, uint32_t date, time_t t)
{
	int y = (int)(date / 10000), m = (int)(date / 100 % 100), d = (int)(date % 100);
	uint8_t bit;
	time_t best = 0;

	day_step(&y, &m, &d, 0, &bit);
	if (!(a->b.days & bit))
		return 0;
	for (size_t i = 0; i < a->b.n_windows; i++) {
		time_t s, e;
		window_bounds(&a->b.windows[i], y, m, d, &s, &e);
		if (s > t && (!best || s < best))
			best = s;
	}
	return best;
}

const struct allowance_usage *allowance_find(const struct allowance_state *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

uint32_t allowance_used(const struct allowance_state *s, const char *name, uint32_t date)
{
	const struct allowance_usage *u = allowance_find(s, name);

	for (size_t i = 0; u && i < u->n_days; i++)
		if (u->days[i].date == date)
			return u->days[i].used;
	return 0;
}

void allowance_eval(const struct conf_allowance *a, const struct allowance_state *s, time_t t,
                    struct allowance_now *out)
{
	const struct allowance_usage *u = allowance_find(s, a->b.name);
	int y, m, d;

	memset(out, 0, sizeof(*out));
	out->per_day = a->per_day / 60;
	out->in_window = allowance_window(a, t, &out->date, &out->start, &out->end);
	if (!out->in_window)
		out->date = local_date(t, &y, &m, &d);
	out->used = allowance_used(s, a->b.name, out->date);
	if (out->used < out->per_day)
		return;
	/* Used up: the minute that used it up is granted whole. */
	time_t from = u ? (time_t)(u->last_minute + 1) * 60 : t;
	if (out->in_window && from <= t) {
		out->on = true;
		out->next = out->end;
	} else if (out->in_window) {
		out->next = from;
	}
	/* A later window of the same day starts used up. */
	time_t later = later_window(a, out->date, t);
	if (later && (!out->next || later < out->next))
		out->next = later;
}

/* The usage of name, made when missing; a full table gives up the entry
 * used longest ago (an allowance gone from the configuration). */
static struct allowance_usage *usage_for(struct allowance_state *s, const char *name)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	if (s->n < CONF_ALLOWANCES_MAX) {
		k = s->n++;
	} else {
		for (size_t i = 1; i < s->n; i++)
			if (s->v[i].last_minute < s->v[k].last_minute)
				k = i;
	}
	memset(&s->v[k], 0, sizeof(s->v[k]));
	snprintf(s->v[k].name, sizeof(s->v[k].name), "%s", name);
	return &s->v[k];
}

bool allowance_mark(struct allowance_state *s, const struct conf_allowance *a, time_t t)
{
	struct allowance_now an;
	int64_t minute = (int64_t)(t / 60);

	allowance_eval(a, s, t, &an);
	if (!an.in_window || an.used >= an.per_day)
		return false;
	struct allowance_usage *u = usage_for(s, a->b.name);
	if (minute <= u->last_minute)
		return false; /* counted, or the clock went back: never twice */
	u->last_minute = minute;
	if (u->n_days && u->days[u->n_days - 1].date == an.date) {
		u->days[u->n_days - 1].used++;
		return true;
	}
	if (u->n_days == ALLOWANCE_DAYS) {
		memmove(u->days, u->days + 1, (ALLOWANCE_DAYS - 1) * sizeof(u->days[0]));
		u->n_days--;
	}
	u->days[u->n_days].date = an.date;
	u->days[u->n_days++].used = 1;
	return true;
}

bool allowance_warn(struct allowance_state *s, const struct conf_allowance *a, time_t t,
                    struct allowance_warning *out)
{
	struct allowance_now an;
	struct allowance_usage *u = (struct allowance_usage *)allowance_find(s, a->b.name);

	allowance_eval(a, s, t, &an);
	if (!a->warn || !u || !an.in_window || an.used >= an.per_day || u->warned == an.date)
		return false;
	uint32_t left = an.per_day - an.used;
	/* Use counts in whole minutes: a warn of 90s warns with 2 left. */
	if ((uint64_t)left * 60 >= (uint64_t)a->warn + 60)
		return false;
	u->warned = an.date;
	/* Each minute of use from the next one on: the last of them ends it. */
	time_t out_at = (time_t)(u->last_minute + 1 + left) * 60;
	*out = (struct allowance_warning){
	    .used = an.used,
	    .per_day = an.per_day,
	    .out = out_at < an.end ? out_at : 0,
	    .end = an.end,
	};
	return true;
}

void allowance_inforce(const struct conf *c, const struct allowance_state *s, time_t now,
                       struct inforce *in, time_t *next, time_t *strict_until)
{
	for (size_t i = 0; i < c->n_allowances; i++) {
		const struct conf_allowance *a = &c->allowances[i];
		struct allowance_now an;

		allowance_eval(a, s, now, &an);
		if (an.next > now && (!*next || an.next < *next))
			*next = an.next;
		if (!an.on)
			continue;
		policy_add_inforce(in, policy_break_lists(&a->b), &a->b.whom);
		in->strict |= a->b.strict;
		uint64_t lists = policy_break_lists(&a->b);
		for (unsigned k = 0;
		     strict_until && a->b.strict && whom_everyone(&a->b.whom) && k < SMB_LISTS_MAX;
		     k++)
			if (lists >> k & 1u && an.end > strict_until[k])
				strict_until[k] = an.end;
		if (an.end > in->end)
			in->end = an.end;
		size_t off = strlen(in->reason);
		char when[32];
		value_format_when(an.end, now, when, sizeof(when));
		snprintf(in->reason + off, sizeof(in->reason) - off,
		         "%sallowance %s used up until %s", off ? ", " : "", a->b.name, when);
	}
}

/* Whether every list of o (by name) is a list of n. */
static bool keeps_lists(const struct conf *oc, const struct conf_break *o, const struct conf *nc,
                        const struct conf_break *n)
{
	for (size_t i = 0; i < o->n_lists; i++) {
		const char *name = oc->lists[o->lists[i]].name;
		bool found = false;
		for (size_t j = 0; j < n->n_lists && !found; j++)
			found = strcmp(nc->lists[n->lists[j]].name, name) == 0;
		if (!found)
			return false;
	}
	return true;
}

int allowance_veto(const struct conf *oc, const struct conf *nc, time_t now,
                   struct conf_errors *errs)
{
	int n = 0;

	for (size_t i = 0; i < oc->n_allowances; i++) {
		const struct conf_allowance *o = &oc->allowances[i];
		const struct conf_allowance *a = conf_find_allowance(nc, o->b.name);
		uint32_t date;
		time_t st, end;
		const char *why = NULL;

		if (!o->b.strict || !allowance_window(o, now, &date, &st, &end))
			continue;
		if (!a)
			why = "it would be removed";
		else if (!a->b.strict)
			why = "it would no longer be strict";
		else if (a->per_day > o->per_day)
			why = "its per_day would be raised";
		else if (!keeps_lists(oc, &o->b, nc, &a->b))
			why = "it would lose a list";
		else if (!allowance_window(a, now, &date, &st, &end))
			why = "its days or times would no longer cover now";
		char when[32], what[96];
		value_format_when(end, now, when, sizeof(when));
		if (!why) { /* and whom it is for, kept whole */
			snprintf(what, sizeof(what), "strict allowance %s runs until %s", o->b.name,
			         when);
			n += (int)policy_whom_kept(oc, &o->b, nc, &a->b, what, errs);
			continue;
		}
		if (conf_errors_add(errs, "strict allowance %s runs until %s: %s", o->b.name, when,
		                    why) < 0)
			return -ENOMEM;
		n++;
	}
	return n;
}

bool allowance_strict_window(const struct conf *c, time_t now)
{
	uint32_t date;
	time_t st, end;

	for (size_t i = 0; i < c->n_allowances; i++)
		if (c->allowances[i].b.strict &&
		    allowance_window(&c->allowances[i], now, &date, &st, &end))
			return true;
	return false;
}

int allowance_format(const struct allowance_state *s, char *buf, size_t len)
{
	size_t off = 0;
	int r = file_appendf(buf, len, &off, "smbreak-allowances 1\n");

	for (size_t i = 0; i < s->n && r == 0; i++) {
		const struct allowance_usage *u = &s->v[i];
		r = file_appendf(buf, len, &off, "allowance %s %lld", u->name,
		                 (long long)u->last_minute);
		if (r == 0 && u->warned)
			r = file_appendf(buf, len, &off, " %u", u->warned);
		if (r == 0)
			r = file_appendf(buf, len, &off, "\n");
		for (size_t j = 0; j < u->n_days && r == 0; j++)
			r = file_appendf(buf, len, &off, "day %u %u\n", u->days[j].date,
			                 u->days[j].used);
	}
	return r < 0 ? r : (int)off;
}

/* One line of the file into s; NULL or why it is bad. */
static const char *parse_line(const char *line, struct allowance_state *s)
{
	char name[VALUE_NAME_MAX + 2];
	long long minute;
	unsigned date, used, warned = 0;
	int end = 0;

	/* The second %n moves only when the optional WARNED date is there. */
	int got = sscanf(line, "allowance %33s %lld%n %u%n", name, &minute, &end, &warned, &end);
	if (got >= 2 && !line[end]) {
		if (!value_valid_name(name) || minute < 0 ||
		    (got == 3 && (warned < 10000101 || warned > 99991231)))
			return "bad allowance line";
		if (allowance_find(s, name))
			return "allowance given twice";
		if (s->n == CONF_ALLOWANCES_MAX)
			return "too many allowances";
		struct allowance_usage *u = &s->v[s->n++];
		memcpy(u->name, name, strlen(name) + 1); /* a valid name fits */
		u->last_minute = minute;
		u->warned = warned;
		return NULL;
	}
	if (sscanf(line, "day %u %u%n", &date, &used, &end) == 2 && !line[end]) {
		if (!s->n)
			return "day before any allowance";
		struct allowance_usage *u = &s->v[s->n - 1];
		if (date < 10000101 || date > 99991231 || used > DAY_SECS / 60)
			return "bad day line";
		if (u->n_days && u->days[u->n_days - 1].date >= date)
			return "days out of order";
		if (u->n_days == ALLOWANCE_DAYS)
			return "too many days";
		u->days[u->n_days].date = date;
		u->days[u->n_days++].used = used;
		return NULL;
	}
	return "unknown line";
}

int allowance_parse(const char *text, size_t len, void *out, char *err, size_t errlen)
{
	struct allowance_state *s = out;
	char line[128];
	unsigned lineno = 0;
	const char *p = text, *end = text + len;

	memset(s, 0, sizeof(*s));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *why = NULL;

		lineno++;
		if (n >= sizeof(line) || memchr(p, '\0', n)) {
			why = "line too long or not text";
		} else {
			memcpy(line, p, n);
			line[n] = '\0';
			if (lineno == 1)
				why = strcmp(line, "smbreak-allowances 1")
				          ? "not an allowances file"
				          : NULL;
			else
				why = parse_line(line, s);
		}
		if (why) {
			snprintf(err, errlen, "line %u: %s", lineno, why);
			memset(s, 0, sizeof(*s));
			return -EINVAL;
		}
		p += n + (nl ? 1 : 0);
	}
	if (!lineno) {
		snprintf(err, errlen, "line 1: empty file");
		return -EINVAL;
	}
	return 0;
}

int allowance_load(const char *dir, struct allowance_state *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int r =
	    file_load(dir, ALLOWANCE_FILE, ALLOWANCE_FILE_MAX, allowance_parse, out, err, errlen);
	if (r == 1)
		memset(out, 0, sizeof(*out));
	return r;
}

int allowance_save(const char *dir, const struct allowance_state *s)
{
	char *buf = malloc(ALLOWANCE_FILE_MAX);
	int r = buf ? allowance_format(s, buf, ALLOWANCE_FILE_MAX) : -ENOMEM;

	if (r >= 0)
		r = file_write_atomic(dir, ALLOWANCE_FILE, buf, (size_t)r);
	free(buf);
	return r;
}
