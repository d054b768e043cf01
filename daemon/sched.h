/* Weekly break schedules in local time: which breaks are on at an instant, and
 * when the next transition is. Pure: takes instants, uses the C library's
 * timezone rules (TZ is honoured), does no I/O.
 *
 * DST: a window edge that falls in a skipped local time happens at the first
 * valid instant after it; one in a repeated local time happens at its first
 * occurrence. Overlapping windows of one break merge into one interval. */
#ifndef SMB_SCHED_H
#define SMB_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"

/* The instant (UTC seconds) of local date y-m-d (m 1..12) plus `secs` seconds
 * after local midnight (0..86400), under the DST rules above. */
time_t sched_local_instant(int y, int m, int d, unsigned secs);

/* A break on around the clock (every day 00:00-24:00, say) has an interval
 * without edges; these stand in for them. Both are instants localtime_r can
 * still format (0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z). Instants
 * within 64 days of them are outside what the functions below accept. */
#define SCHED_START_OF_TIME ((time_t)-62135596800LL)
#define SCHED_END_OF_TIME   ((time_t)253402300799LL)

/* If break b is on at instant t, returns true with the interval it is in
 * ([*start, *end), after merging overlapping and touching occurrences);
 * otherwise false. start or end may be NULL. */
bool sched_active(const struct conf_break *b, time_t t, time_t *start, time_t *end);

/* The next interval of b that starts strictly after t. Returns false if b
 * has no windows or days, or if it is on around the clock (it never starts
 * again). */
bool sched_next_interval(const struct conf_break *b, time_t t, time_t *start, time_t *end);

struct sched_transition {
	time_t at;
	bool start; /* true: the break starts; false: it ends */
	size_t brk; /* index in conf.breaks */
};

/* The earliest transition of any break strictly after t; ties in conf order,
 * ends before starts. Returns false if the conf has no breaks (or none that
 * ever changes state). Other transitions at the same instant are not
 * reported: to list a schedule, use sched_next_all. */
bool sched_next(const struct conf *c, time_t t, struct sched_transition *out);

/* Every transition at the earliest instant strictly after t (at most max of
 * them, max >= c->n_breaks gives all), ends first, each in conf order. Returns
 * how many were written to out; 0 when there is none. */
size_t sched_next_all(const struct conf *c, time_t t, struct sched_transition *out, size_t max);

/* Writes up to `count` transitions strictly after t, one per line
 * "2026-03-08T09:00:00-04:00 start work", to buf (NUL-terminated, truncated
 * at a line boundary if short). Returns the number of lines written. */
size_t sched_format_transitions(const struct conf *c, time_t t, size_t count, char *buf,
                                size_t len);

/* ISO 8601 in local time: "2026-03-08T09:00:00-04:00", never "Z". An offset
 * with seconds (local mean time, before 1900) is written +hh:mm:ss.
 * buf >= 40 bytes. */
void sched_format_iso(time_t t, char *buf, size_t len);
/* Parses "2026-03-08T00:00:00", "2026-03-08T00:00", "2026-03-08" (local time,
 * under the DST rules above) or, with a time, a "Z" / "+hh:mm" / "-hh:mm"
 * offset. A space may stand for the T. Years 0001..9999. 0 or -EINVAL. */
int sched_parse_iso(const char *s, time_t *out);

/* When a pause ends or starts, as people write it, seen from now in local
 * time (the DST rules above): "17:30" (today if still ahead, else
 * tomorrow), "today 17:30", "tomorrow 09:00", "sun 16:00" or "sunday
 * 16:00" (that weekday: today if still ahead, else next week's),
 * "2026-10-04T16:00", "2026-10-04 16:00" (seconds optional). 0, -EINVAL
 * for a form it does not know, -ERANGE for an instant not after now. */
int sched_parse_when(const char *s, time_t now, time_t *out);

#endif
