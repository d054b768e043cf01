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

/* If break b is on at instant t, returns true with the interval it is in
 * ([*start, *end), after merging overlapping windows); otherwise false. */
bool sched_active(const struct conf_break *b, time_t t, time_t *start, time_t *end);

/* The next interval of b that starts strictly after t. Returns false only if
 * b has no windows (never for a validated conf). */
bool sched_next_interval(const struct conf_break *b, time_t t, time_t *start, time_t *end);

struct sched_transition {
	time_t at;
	bool start;   /* true: the break starts; false: it ends */
	size_t brk;   /* index in conf.breaks */
};

/* The earliest transition of any break strictly after t; ties in conf order,
 * ends before starts. Returns false if the conf has no breaks. */
bool sched_next(const struct conf *c, time_t t, struct sched_transition *out);

/* Writes up to `count` transitions after t, one per line
 * "2026-03-08T09:00:00-04:00 start work", to buf (NUL-terminated, truncated
 * at a line boundary if short). Returns the number of lines written. */
size_t sched_format_transitions(const struct conf *c, time_t t, size_t count, char *buf,
				size_t len);

/* ISO 8601 in local time: "2026-03-08T09:00:00-04:00". buf >= 32 bytes. */
void sched_format_iso(time_t t, char *buf, size_t len);
/* Parses "2026-03-08T00:00:00", "2026-03-08T00:00", "2026-03-08" (local time)
 * or with a "Z" / "+hh:mm" / "-hh:mm" offset. 0 or -EINVAL. */
int sched_parse_iso(const char *s, time_t *out);

#endif
