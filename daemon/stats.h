/* Blocked attempts per service per day, and the history of the breaks of
 * each day (kept to their end, ended early, pauses taken), kept for
 * STATS_DAYS days in a small text file beside the state, written
 * atomically. Pure apart from the file functions. */
#ifndef SMB_STATS_H
#define SMB_STATS_H

#include <stddef.h>
#include <stdint.h>

#define STATS_DAYS     90 /* days kept */
#define STATS_KEYS     64 /* services (or lists) counted on one day */
#define STATS_KEY_MAX  32
#define STATS_FILE_MAX (256 * 1024)

struct stats_key {
	char name[STATS_KEY_MAX + 1];
	uint64_t count;
};

/* One local calendar day, as yyyymmdd. */
struct stats_day {
	uint32_t date;
	struct stats_key keys[STATS_KEYS];
	size_t n_keys;
	uint64_t other;      /* attempts past STATS_KEYS keys */
	uint64_t history[3]; /* by enum stats_history */
};

/* What happened to the breaks of a day. */
enum stats_history {
	STATS_KEPT,   /* a break or pause ran to its end */
	STATS_PAUSED, /* a pause started */
	STATS_EARLY,  /* a break or pause was ended early: resume, skip, an unlock delay over */
};

/* Days in ascending date order. */
struct stats {
	struct stats_day days[STATS_DAYS];
	size_t n_days;
};

/* Counts one attempt for `key` on `date`; drops days older than the last
 * STATS_DAYS. A date earlier than the newest day (clock set back) counts on
 * the day it names if that day is kept, else it is dropped. */
void stats_add(struct stats *s, uint32_t date, const char *key);
/* Counts one event of the day's history, under the same window. */
void stats_count(struct stats *s, uint32_t date, enum stats_history what);
/* The date of a local instant, yyyymmdd. */
uint32_t stats_date(int64_t t);

int stats_format(const struct stats *s, char *buf, size_t len);
/* 0, or -EINVAL with "line N: why" in err. */
int stats_parse(const char *text, size_t len, struct stats *out, char *err, size_t errlen);
/* DIR/stats: a missing file is empty stats; an unreadable one is set aside as
 * DIR/stats.bad and 1 returned with the reason in err. */
int stats_load(const char *dir, struct stats *out, char *err, size_t errlen);
int stats_save(const char *dir, const struct stats *s);

#endif
