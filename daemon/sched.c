/* Weekly break schedules: maps each window occurrence to instants under the C
 * library's timezone rules, merges the occurrences of a break into intervals,
 * and finds the transitions around an instant. Pure: no I/O, no logging. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

_Static_assert(sizeof(time_t) == 8, "sched needs a 64-bit time_t");

#define DAY 86400LL

/* How far around an instant the occurrences are generated. The schedule is
 * weekly, so any interval that stays on for more than eight days of local time
 * covers every wall-clock second of the week: it never ends. An instant is
 * covered by occurrences that start on its own day or the day before; DST can
 * empty every occurrence of a window for one week, so the next interval may
 * start up to two weeks ahead. */
#define LOOK_BACK      3  /* days, first try */
#define LOOK_BACK_MAX  10 /* days: an interval reaching further back began never */
#define LOOK_AHEAD     8  /* days, first try */
#define LOOK_AHEAD_MAX 24 /* days: an interval reaching further ahead ends never */
#define SPANS_MAX      ((LOOK_BACK_MAX + LOOK_AHEAD_MAX + 1) * CONF_WINDOWS_MAX)
_Static_assert(SPANS_MAX * sizeof(time_t) * 2 <= 32768, "spans are on the stack");

/* Instants outside this range are refused, so that day arithmetic around them
 * stays far from overflow and inside what localtime_r can express. */
#define T_MIN (SCHED_START_OF_TIME + 64 * DAY)
#define T_MAX (SCHED_END_OF_TIME - 64 * DAY)

struct span {
	time_t s, e;
};

/* Days since 1970-01-01 of a proleptic Gregorian date; d may run past the end
 * of the month (it simply counts on). */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static long long floor_div(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Seconds east of UTC in effect at t. */
static long long utc_offset(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return tm.tm_gmtoff;
}

/* The local wall time of t as seconds since 1970-01-01T00:00 local. */
static long long wall_of(time_t t)
{
	return (long long)t + utc_offset(t);
}

/* The local day number (days since 1970-01-01) that t falls on. */
static long long local_day(time_t t)
{
	return floor_div(wall_of(t), DAY);
}

/* Monday = 0 ... Sunday = 6; day 0 (1970-01-01) was a Thursday. */
static int weekday(long long day)
{
	return (int)(((day + 3) % 7 + 7) % 7);
}

/* The instant of a local wall time given as seconds since 1970-01-01T00:00
 * local. The offsets in effect a day either side (and at the wall time read as
 * UTC) are the only candidates; a candidate is a real occurrence if its own
 * offset agrees. Several (a repeated time): the first. None (a skipped time):
 * the first instant whose wall time is at or past it, which is the transition
 * that skipped it. */
static time_t instant_of_wall(long long wall)
{
	long long offs[3] = {utc_offset(wall - DAY), utc_offset(wall), utc_offset(wall + DAY)};
	long long omin = offs[0], omax = offs[0];
	bool found = false;
	long long best = 0;

	for (int i = 0; i < 3; i++) {
		if (offs[i] < omin)
			omin = offs[i];
		if (offs[i] > omax)
			omax = offs[i];
		if ((i > 0 && offs[i] == offs[0]) || (i > 1 && offs[i] == offs[1]))
			continue;
		long long c = wall - offs[i];
		if (utc_offset(c) == offs[i] && (!found || c < best)) {
			best = c;
			found = true;
		}
	}
	if (found)
		return best;

	/* A gap: wall_of jumps over `wall` between the candidates. Within the
	 * bracket wall_of is increasing, so bisect for the first instant at or
	 * past it; fall back to a wide bracket if the zone misbehaves. */
	long long lo = wall - omax, hi = wall - omin;
	if (!(wall_of(lo) < wall && wall_of(hi) >= wall)) {
		lo = wall - 2 * DAY;
		hi = wall + 2 * DAY;
	}
	while (hi - lo > 1) {
		long long mid = lo + (hi - lo) / 2;
		if (wall_of(mid) >= wall)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

time_t sched_local_instant(int y, int m, int d, unsigned secs)
{
	/* Normalise the month so that callers may step months by arithmetic. */
	long long yy = y + floor_div(m - 1, 12);
	int mm = (int)(m - 1 - floor_div(m - 1, 12) * 12) + 1;

	return instant_of_wall(days_from_civil(yy, mm, d) * DAY + secs);
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->e != y->e)
		return x->e < y->e ? -1 : 1;
	return 0;
}

/* The merged intervals of the occurrences of b that start on local days
 * lo..hi, in order. Returns their number. */
static size_t build_spans(const struct conf_break *b, long long lo, long long hi, struct span *v)
{
	size_t nw = b->n_windows < CONF_WINDOWS_MAX ? b->n_windows : CONF_WINDOWS_MAX;
	size_t n = 0;

	for (long long day = lo; day <= hi; day++) {
		if (!(b->days & VALUE_DAY(weekday(day))))
			continue;
		for (size_t i = 0; i < nw; i++) {
			const struct conf_window *w = &b->windows[i];
			if (w->start >= DAY || w->end > DAY)
				continue;
			time_t s = instant_of_wall(day * DAY + w->start);
			long long eday = w->end <= w->start ? day + 1 : day;
			time_t e = instant_of_wall(eday * DAY + w->end);
			/* A DST change can swallow a window whole. */
			if (e > s && n < SPANS_MAX)
				v[n++] = (struct span){s, e};
		}
	}
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), span_cmp);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if (v[i].s <= v[k].e) {
			if (v[i].e > v[k].e)
				v[k].e = v[i].e;
		} else {
			v[++k] = v[i];
		}
	}
	return k + 1;
}

enum {
	WANT_NEXT = 1,        /* the next interval starting after t */
	WANT_NEXT_IF_OFF = 2, /* the same, only when t is in no interval */
};

struct where {
	bool on;
	struct span cur; /* when on */
	bool has_next;
	struct span next;
};

/* Finds the interval of b containing t and/or the next one after it, growing
 * the range of days looked at until the intervals found cannot be extended by
 * occurrences outside it. */
static bool locate(const struct conf_break *b, time_t t, int want, struct where *w)
{
	struct span v[SPANS_MAX];
	long long day, lo, hi;

	memset(w, 0, sizeof(*w));
	if (t < T_MIN || t > T_MAX)
		return false;
	if (b->dated) {
		/* One interval between two local times, read in the zone of now. */
		struct span d = {
		    sched_local_instant(b->from.y, b->from.m, b->from.d, b->from.secs),
		    sched_local_instant(b->until.y, b->until.m, b->until.d, b->until.secs)};
		w->on = d.s <= t && t < d.e;
		w->cur = d;
		w->has_next = t < d.s && d.s < d.e;
		w->next = d;
		return true;
	}
	day = local_day(t);
	lo = day - LOOK_BACK;
	hi = day + LOOK_AHEAD;
	for (;;) {
		size_t n = build_spans(b, lo, hi, v), i;
		bool grow_back = false, grow_ahead = false;

		/* Occurrences that start before day lo end by the end of day lo
		 * (a day of margin on top keeps DST at midnight out of it); those
		 * after hi start at the beginning of day hi + 1 or later. */
		time_t left = instant_of_wall((lo + 2) * DAY);
		time_t right = instant_of_wall((hi + 1) * DAY);

		memset(w, 0, sizeof(*w));
		for (i = 0; i < n && v[i].s <= t; i++) {
			if (t < v[i].e) {
				w->on = true;
				w->cur = v[i];
			}
		}
		if (i < n) {
			w->has_next = true;
			w->next = v[i];
		}
		if (w->on && w->cur.s < left) {
			if (lo > day - LOOK_BACK_MAX)
				grow_back = true;
			else
				w->cur.s = SCHED_START_OF_TIME;
		}
		bool need_next = (want & WANT_NEXT) || ((want & WANT_NEXT_IF_OFF) && !w->on);
		bool open_ahead = (w->on && w->cur.e >= right) ||
		                  (need_next && (!w->has_next || w->next.e >= right));
		if (open_ahead) {
			if (hi < day + LOOK_AHEAD_MAX) {
				grow_ahead = true;
			} else {
				if (w->on && w->cur.e >= right)
					w->cur.e = SCHED_END_OF_TIME;
				if (w->has_next && w->next.e >= right)
					w->next.e = SCHED_END_OF_TIME;
			}
		}
		if (!grow_back && !grow_ahead)
			return true;
		if (grow_back)
			lo = day - LOOK_BACK_MAX;
		if (grow_ahead)
			hi = hi + 8 < day + LOOK_AHEAD_MAX ? hi + 8 : day + LOOK_AHEAD_MAX;
	}
}

bool sched_active(const struct conf_break *b, time_t t, time_t *start, time_t *end)
{
	struct where w;

	if (!locate(b, t, 0, &w) || !w.on)
		return false;
	if (start)
		*start = w.cur.s;
	if (end)
		*end = w.cur.e;
	return true;
}

bool sched_next_interval(const struct conf_break *b, time_t t, time_t *start, time_t *end)
{
	struct where w;

	if (!locate(b, t, WANT_NEXT, &w) || !w.has_next)
		return false;
	if (start)
		*start = w.next.s;
	if (end)
		*end = w.next.e;
	return true;
}

/* The next transition of one break after t, if it has one. */
static bool break_next(const struct conf_break *b, time_t t, time_t *at, bool *start)
{
	struct where w;

	if (!locate(b, t, WANT_NEXT_IF_OFF, &w))
		return false;
	if (w.on) {
		if (w.cur.e == SCHED_END_OF_TIME)
			return false;
		*at = w.cur.e;
		*start = false;
		return true;
	}
	if (!w.has_next)
		return false;
	*at = w.next.s;
	*start = true;
	return true;
}

/* Ends before starts, then conf order. */
static bool transition_before(time_t at, bool start, size_t i, const struct sched_transition *o)
{
	if (at != o->at)
		return at < o->at;
	if (start != o->start)
		return !start;
	return i < o->brk;
}

bool sched_next(const struct conf *c, time_t t, struct sched_transition *out)
{
	bool found = false;

	for (size_t i = 0; i < c->n_breaks; i++) {
		time_t at;
		bool start;
		if (!break_next(&c->breaks[i], t, &at, &start))
			continue;
		if (!found || transition_before(at, start, i, out)) {
			*out = (struct sched_transition){.at = at, .start = start, .brk = i};
			found = true;
		}
	}
	return found;
}

size_t sched_next_all(const struct conf *c, time_t t, struct sched_transition *out, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return 0;
	/* One pass: keep the transitions at the earliest instant seen so far,
	 * in order; a break has at most one transition at one instant. */
	for (size_t i = 0; i < c->n_breaks; i++) {
		time_t at;
		bool start;
		if (!break_next(&c->breaks[i], t, &at, &start))
			continue;
		if (n > 0 && at > out[0].at)
			continue;
		if (n > 0 && at < out[0].at)
			n = 0;
		size_t k = n;
		while (k > 0 && transition_before(at, start, i, &out[k - 1]))
			k--;
		if (k == max)
			continue;
		if (n == max)
			n--;
		memmove(&out[k + 1], &out[k], (n - k) * sizeof(*out));
		out[k] = (struct sched_transition){.at = at, .start = start, .brk = i};
		n++;
	}
	return n;
}

size_t sched_format_transitions(const struct conf *c, time_t t, size_t count, char *buf, size_t len)
{
	struct sched_transition *v;
	size_t lines = 0, used = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (c->n_breaks == 0 || count == 0)
		return 0;
	v = calloc(c->n_breaks, sizeof(*v));
	if (!v)
		return 0;
	while (lines < count) {
		size_t n = sched_next_all(c, t, v, c->n_breaks);
		if (n == 0)
			break;
		for (size_t i = 0; i < n && lines < count; i++) {
			char iso[48], line[128];
			sched_format_iso(v[i].at, iso, sizeof(iso));
			int k = snprintf(line, sizeof(line), "%s %s %s\n", iso,
			                 v[i].start ? "start" : "end", c->breaks[v[i].brk].name);
			if (k < 0 || (size_t)k >= sizeof(line) || used + (size_t)k + 1 > len)
				goto out;
			memcpy(buf + used, line, (size_t)k + 1);
			used += (size_t)k;
			lines++;
		}
		t = v[0].at;
	}
out:
	free(v);
	return lines;
}

void sched_format_iso(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0)
		return;
	if (!localtime_r(&t, &tm)) {
		snprintf(buf, len, "@%lld", (long long)t);
		return;
	}
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	/* Local mean time before standard zones has offsets with seconds; keep
	 * them rather than print a wrong instant. */
	if (off % 60)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld:%02ld",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		         tm.tm_sec, sign, off / 3600, off / 60 % 60, off % 60);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
		         off / 3600, off / 60 % 60);
}

/* Exactly n decimal digits at *p, advancing p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];
		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (ch - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int sched_parse_iso(const char *s, time_t *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0;
	const char *p = s;

	if (!s || !digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return -EINVAL;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap_year(y)))
		return -EINVAL;
	if (*p == '\0') {
		*out = sched_local_instant(y, mo, d, 0);
		return 0;
	}
	if (*p != 'T' && *p != ' ')
		return -EINVAL;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
		return -EINVAL;
	if (*p == ':' && (p++, !digits(&p, 2, &sec)))
		return -EINVAL;
	if (h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	unsigned secs = (unsigned)(h * 3600 + mi * 60 + sec);
	if (*p == '\0') {
		*out = sched_local_instant(y, mo, d, secs);
		return 0;
	}
	long long off;
	if (*p == 'Z' && p[1] == '\0') {
		off = 0;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		char sign = *p++;
		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || *p != '\0')
			return -EINVAL;
		if (oh > 23 || om > 59)
			return -EINVAL;
		off = (oh * 3600LL + om * 60LL) * (sign == '-' ? -1 : 1);
	} else {
		return -EINVAL;
	}
	*out = (time_t)(days_from_civil(y, mo, d) * DAY + secs - off);
	return 0;
}

/* The first instant at or after local day `day` + tod that is after now,
 * trying `step`-day strides (1: every day, 7: that weekday) up to `tries`. */
static time_t next_on(long long day, unsigned tod, time_t now, int step, int tries)
{
	for (int i = 0; i < tries; i++, day += step) {
		time_t t = instant_of_wall(day * DAY + tod);
		if (t > now)
			return t;
	}
	return 0;
}

int sched_parse_when(const char *s, time_t now, time_t *out)
{
	char word[16];
	const char *sp;
	uint32_t tod;
	time_t t = 0;
	long long today = local_day(now);

	if (!s)
		return -EINVAL;
	if (strlen(s) >= 10 && s[4] == '-') { /* a date */
		if (sched_parse_iso(s, &t) < 0)
			return -EINVAL;
		if (t <= now)
			return -ERANGE;
		*out = t;
		return 0;
	}
	sp = strchr(s, ' ');
	if (!sp) {
		if (value_parse_time_of_day(s, false, &tod) < 0)
			return -EINVAL;
		*out = next_on(today, tod, now, 1, 3); /* today if still ahead, else tomorrow */
		return *out ? 0 : -EINVAL;
	}
	if ((size_t)(sp - s) >= sizeof(word) || value_parse_time_of_day(sp + 1, false, &tod) < 0)
		return -EINVAL;
	memcpy(word, s, (size_t)(sp - s));
	word[sp - s] = '\0';
	for (char *c = word; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	if (strcmp(word, "today") == 0) {
		t = instant_of_wall(today * DAY + tod);
	} else if (strcmp(word, "tomorrow") == 0) {
		t = instant_of_wall((today + 1) * DAY + tod);
	} else {
		uint8_t mask;
		int wd = -1;
		if (strchr(word, '-') || strchr(word, ',') || value_parse_days(word, &mask) < 0)
			return -EINVAL;
		for (int i = 0; i < 7; i++)
			if (mask == VALUE_DAY(i))
				wd = i;
		if (wd < 0) /* "weekends", "daily": not one day */
			return -EINVAL;
		long long d = today + ((wd - weekday(today)) % 7 + 7) % 7;
		t = next_on(d, tod, now, 7, 2); /* that day this week if still ahead */
	}
	if (t <= now)
		return -ERANGE;
	*out = t;
	return 0;
}
