/* Blocked attempts per service per day, and the day's history. The file is
 * one line per counter,
 *
 *   version 1
 *   20261125 facebook 12
 *   20261125 :kept 2
 *
 * in date order, parsed strictly like the state file. The history's keys
 * (:kept, :paused, :early) start with a colon as :other does, so they never
 * meet a service's name. */
#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "file.h"

#define STATS_VERSION 1

static const char *const history_keys[] = {
    [STATS_KEPT] = ":kept", [STATS_PAUSED] = ":paused", [STATS_EARLY] = ":early"};
#define N_HISTORY (sizeof(history_keys) / sizeof(history_keys[0]))
_Static_assert(N_HISTORY == sizeof(((struct stats_day *)0)->history) / sizeof(uint64_t),
               "a key per history counter");

/* The history counter a ":key" names, or -1. */
static int history_index(const char *key)
{
	for (size_t i = 0; i < N_HISTORY; i++)
		if (strcmp(key, history_keys[i]) == 0)
			return (int)i;
	return -1;
}

uint32_t stats_date(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

/* Days from 0000-03-01 to a yyyymmdd date, for the retention window. */
static int64_t day_number(uint32_t date)
{
	int64_t y = date / 10000, m = date / 100 % 100, d = date % 100;

	if (m < 3) {
		y--;
		m += 12;
	}
	return 365 * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + d - 1;
}

static bool valid_key(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > STATS_KEY_MAX || k[0] == ':') /* ':' starts the file's own keys */
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '-' ||
		      *k == '_' || *k == ':'))
			return false;
	return true;
}

static void keep_window(struct stats *s)
{
	if (!s->n_days)
		return;
	int64_t newest = day_number(s->days[s->n_days - 1].date);
	size_t drop = 0;

	while (drop < s->n_days && newest - day_number(s->days[drop].date) >= STATS_DAYS)
		drop++;
	memmove(s->days, s->days + drop, (s->n_days - drop) * sizeof(s->days[0]));
	s->n_days -= drop;
}

static struct stats_day *day_for(struct stats *s, uint32_t date)
{
	size_t i = 0;

	while (i < s->n_days && s->days[i].date < date)
		i++;
	if (i < s->n_days && s->days[i].date == date)
		return &s->days[i];
	if (s->n_days == STATS_DAYS) {
		if (i == 0)
			return NULL; /* older than every day kept */
		memmove(s->days, s->days + 1, (s->n_days - 1) * sizeof(s->days[0]));
		s->n_days--;
		i--;
	}
	memmove(s->days + i + 1, s->days + i, (s->n_days - i) * sizeof(s->days[0]));
	memset(&s->days[i], 0, sizeof(s->days[i]));
	s->days[i].date = date;
	s->n_days++;
	/* A new newest day pushes out days past the window; a day set back past the
	 * window is pushed out itself. */
	keep_window(s);
	for (size_t j = 0; j < s->n_days; j++)
		if (s->days[j].date == date)
			return &s->days[j];
	return NULL;
}

static void day_add(struct stats_day *d, const char *key, uint64_t n)
{
	for (size_t i = 0; i < d->n_keys; i++)
		if (strcmp(d->keys[i].name, key) == 0) {
			d->keys[i].count += n;
			return;
		}
	if (d->n_keys == STATS_KEYS) {
		d->other += n;
		return;
	}
	snprintf(d->keys[d->n_keys].name, sizeof(d->keys[0].name), "%s", key);
	d->keys[d->n_keys++].count = n;
}

void stats_add(struct stats *s, uint32_t date, const char *key)
{
	struct stats_day *d = valid_key(key) ? day_for(s, date) : NULL;

	if (d)
		day_add(d, key, 1);
}

void stats_count(struct stats *s, uint32_t date, enum stats_history what)
{
	struct stats_day *d = (size_t)what < N_HISTORY ? day_for(s, date) : NULL;

	if (d)
		d->history[what]++;
}

int stats_format(const struct stats *s, char *buf, size_t len)
{
	size_t off = 0;
	int r = file_appendf(buf, len, &off,
	                     "# blocked attempts and breaks per day, written by smbreakd\n"
	                     "version %d\n",
	                     STATS_VERSION);

	for (size_t i = 0; r == 0 && i < s->n_days; i++) {
		const struct stats_day *d = &s->days[i];
		for (size_t k = 0; r == 0 && k < d->n_keys; k++)
			r = file_appendf(buf, len, &off, "%08" PRIu32 " %s %" PRIu64 "\n", d->date,
			                 d->keys[k].name, d->keys[k].count);
		if (r == 0 && d->other)
			r = file_appendf(buf, len, &off, "%08" PRIu32 " :other %" PRIu64 "\n",
			                 d->date, d->other);
		for (size_t h = 0; r == 0 && h < N_HISTORY; h++)
			if (d->history[h])
				r = file_appendf(buf, len, &off, "%08" PRIu32 " %s %" PRIu64 "\n",
				                 d->date, history_keys[h], d->history[h]);
	}
	return r < 0 ? r : (int)off;
}

static bool valid_date(uint32_t date)
{
	uint32_t m = date / 100 % 100, d = date % 100;

	return date >= 19700101 && date <= 99991231 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

int stats_parse(const char *text, size_t len, struct stats *out, char *err, size_t errlen)
{
	struct stats *s = calloc(1, sizeof(*s));
	size_t pos = 0, lineno = 0;
	bool version = false;

	if (!s)
		return -ENOMEM;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		char line[128], key[STATS_KEY_MAX + 2];
		size_t n = nl ? (size_t)(nl - text - pos) : len - pos;
		unsigned long long count;
		unsigned date;
		int used = 0;

		lineno++;
		if (!nl || n >= sizeof(line) || memchr(text + pos, '\0', n)) {
			snprintf(err, errlen, "line %zu: %s", lineno,
			         !nl ? "unterminated (truncated file?)" : "malformed");
			goto bad;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!version) {
			if (strcmp(line, "version 1") != 0) {
				snprintf(err, errlen, "line %zu: expected 'version %d'", lineno,
				         STATS_VERSION);
				goto bad;
			}
			version = true;
			continue;
		}
		if (sscanf(line, "%8u %33s %20llu%n", &date, key, &count, &used) != 3 ||
		    (size_t)used != n || !valid_date(date) ||
		    (strcmp(key, ":other") != 0 && history_index(key) < 0 && !valid_key(key)) ||
		    (s->n_days && s->days[s->n_days - 1].date > date)) {
			snprintf(err, errlen, "line %zu: bad counter", lineno);
			goto bad;
		}
		struct stats_day *d = day_for(s, date);
		if (!d)
			continue; /* outside the window: dropped */
		if (strcmp(key, ":other") == 0)
			d->other += count;
		else if (history_index(key) >= 0)
			d->history[history_index(key)] += count;
		else
			day_add(d, key, count);
	}
	if (!version) {
		snprintf(err, errlen, "empty or without a version line");
		goto bad;
	}
	*out = *s;
	free(s);
	return 0;
bad:
	free(s);
	return -EINVAL;
}

static int parse_file(const char *text, size_t len, void *out, char *err, size_t errlen)
{
	return stats_parse(text, len, out, err, errlen);
}

int stats_load(const char *dir, struct stats *out, char *err, size_t errlen)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = file_load(dir, "stats", STATS_FILE_MAX, parse_file, out, err, errlen);
	if (r == 1)
		memset(out, 0, sizeof(*out)); /* the bad file was set aside: count afresh */
	return r;
}

int stats_save(const char *dir, const struct stats *s)
{
	char *buf = malloc(STATS_FILE_MAX);
	int len, r;

	if (!buf)
		return -ENOMEM;
	len = stats_format(s, buf, STATS_FILE_MAX);
	r = len < 0 ? len : file_write_atomic(dir, "stats", buf, (size_t)len);
	free(buf);
	return r;
}
