/* Unit tests of the schedule module at fixed instants under real tz rules
 * (America/New_York, Europe/Berlin, Australia/Lord_Howe). Expected instants
 * are written as ISO strings with explicit offsets, checked by hand with
 * `TZ=... date -d @EPOCH -Iseconds`; the parser itself is anchored to epoch
 * numbers first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "sched.h"

static void set_tz(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

/* An instant from an ISO string with an offset; a bad string fails a check. */
static time_t T(const char *iso)
{
	time_t t = 0;
	int r = sched_parse_iso(iso, &t);

	if (r != 0)
		fprintf(stderr, "bad instant in the test: %s\n", iso);
	CHECK_INT(r, 0);
	return t;
}

/* Local ISO form of t, in one of a few rotating buffers. */
static const char *iso(time_t t)
{
	static char bufs[4][48];
	static int k;
	char *b = bufs[k++ % 4];

	sched_format_iso(t, b, 48);
	return b;
}

static uint32_t hhmm(const char *s)
{
	return (uint32_t)(((s[0] - '0') * 10 + (s[1] - '0')) * 3600 +
	                  ((s[3] - '0') * 10 + (s[4] - '0')) * 60);
}

/* A break from "HH:MM-HH:MM HH:MM-HH:MM ...". */
static struct conf_break mkbreak(const char *name, uint8_t days, const char *times)
{
	struct conf_break b;

	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "%s", name);
	b.days = days;
	for (const char *p = times; *p && b.n_windows < CONF_WINDOWS_MAX;) {
		b.windows[b.n_windows].start = hhmm(p);
		b.windows[b.n_windows].end = hhmm(p + 6);
		b.n_windows++;
		p += 11; /* "HH:MM-HH:MM" */
		if (*p == ' ')
			p++;
	}
	return b;
}

#define MON      VALUE_DAY(0)
#define TUE      VALUE_DAY(1)
#define WED      VALUE_DAY(2)
#define THU      VALUE_DAY(3)
#define FRI      VALUE_DAY(4)
#define SAT      VALUE_DAY(5)
#define SUN      VALUE_DAY(6)
#define WEEKDAYS (MON | TUE | WED | THU | FRI)

/* Checks that b is on at t with the interval [s, e) (ISO strings). */
#define CHECK_ON(b, t, s, e)                                                                       \
	do {                                                                                       \
		time_t s_ = 0, e_ = 0;                                                             \
		CHECK(sched_active(&(b), (t), &s_, &e_));                                          \
		CHECK_STR(iso(s_), s);                                                             \
		CHECK_STR(iso(e_), e);                                                             \
	} while (0)

#define CHECK_OFF(b, t) CHECK(!sched_active(&(b), (t), NULL, NULL))

/* Checks the next interval of b after t. */
#define CHECK_NEXT(b, t, s, e)                                                                     \
	do {                                                                                       \
		time_t s_ = 0, e_ = 0;                                                             \
		CHECK(sched_next_interval(&(b), (t), &s_, &e_));                                   \
		CHECK_STR(iso(s_), s);                                                             \
		CHECK_STR(iso(e_), e);                                                             \
	} while (0)

static void test_parse_iso(void)
{
	time_t t;

	set_tz("America/New_York");
	/* With offsets: independent of TZ. */
	CHECK_INT(sched_parse_iso("2026-03-08T03:00:00-04:00", &t), 0);
	CHECK_INT(t, 1772953200);
	CHECK_INT(sched_parse_iso("2026-03-08T07:00:00Z", &t), 0);
	CHECK_INT(t, 1772953200);
	CHECK_INT(sched_parse_iso("2026-03-08T07:00Z", &t), 0);
	CHECK_INT(t, 1772953200);
	CHECK_INT(sched_parse_iso("2026-10-04T02:30:00+11:00", &t), 0);
	CHECK_INT(t, 1791041400);
	CHECK_INT(sched_parse_iso("2026-04-05T02:00:00+10:30", &t), 0);
	CHECK_INT(t, 1775316600);
	CHECK_INT(sched_parse_iso("1970-01-01T00:00:00+00:00", &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(sched_parse_iso("1969-12-31T23:59:59Z", &t), 0);
	CHECK_INT(t, -1);
	CHECK_INT(sched_parse_iso("2028-02-29T12:00:00Z", &t), 0);
	CHECK_INT(t, 1835438400);

	/* Local time, New York. */
	CHECK_INT(sched_parse_iso("2026-03-08", &t), 0);
	CHECK_INT(t, 1772946000);
	CHECK_INT(sched_parse_iso("2026-03-08T00:00:00", &t), 0);
	CHECK_INT(t, 1772946000);
	CHECK_INT(sched_parse_iso("2026-03-04T09:00", &t), 0);
	CHECK_INT(t, 1772632800);
	CHECK_INT(sched_parse_iso("2026-03-04 09:00", &t), 0);
	CHECK_INT(t, 1772632800);
	CHECK_INT(sched_parse_iso("2026-03-08T02:30:00", &t), 0); /* skipped: 03:00 EDT */
	CHECK_INT(t, 1772953200);
	CHECK_INT(sched_parse_iso("2026-11-01T01:30:00", &t), 0); /* repeated: the EDT one */
	CHECK_INT(t, 1793511000);

	/* Bad inputs leave *out alone. */
	static const char *bad[] = {
	    "",
	    "2026",
	    "2026-03",
	    "26-03-08",
	    "2026-3-8",
	    "2026/03/08",
	    "2026-00-10",
	    "2026-13-01",
	    "2026-02-29",
	    "2026-04-31",
	    "2026-03-00",
	    "0000-01-01",
	    "2026-03-08T",
	    "2026-03-08T9:00",
	    "2026-03-08T09",
	    "2026-03-08T24:00",
	    "2026-03-08T09:60",
	    "2026-03-08T09:00:60",
	    "2026-03-08T09:00:0",
	    "2026-03-08Z",
	    "2026-03-08+01:00",
	    "2026-03-08T09:00:00 ",
	    "2026-03-08T09:00:00Zx",
	    "2026-03-08T09:00:00z",
	    "2026-03-08T09:00:00+04",
	    "2026-03-08T09:00:00+0400",
	    "2026-03-08T09:00:00+24:00",
	    "2026-03-08T09:00:00+04:60",
	    "2026-03-08T09:00:00+04:00x",
	    " 2026-03-08",
	    "+2026-03-08",
	    "2026-03-08x09:00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		int r = sched_parse_iso(bad[i], &t);
		if (r != -EINVAL)
			fprintf(stderr, "accepted bad input \"%s\"\n", bad[i]);
		CHECK_INT(r, -EINVAL);
		CHECK_INT(t, 42);
	}
	CHECK_INT(sched_parse_iso(NULL, &t), -EINVAL);
}

static void test_format_iso(void)
{
	char buf[48];

	set_tz("America/New_York");
	sched_format_iso(1772953200, buf, sizeof(buf));
	CHECK_STR(buf, "2026-03-08T03:00:00-04:00");
	sched_format_iso(1772953199, buf, sizeof(buf));
	CHECK_STR(buf, "2026-03-08T01:59:59-05:00");
	set_tz("Australia/Lord_Howe");
	sched_format_iso(1775313900, buf, sizeof(buf));
	CHECK_STR(buf, "2026-04-05T01:45:00+11:00");
	sched_format_iso(1775313900 + 3600, buf, sizeof(buf));
	CHECK_STR(buf, "2026-04-05T02:15:00+10:30");
	/* Local mean time, before the zone had standard time. */
	sched_format_iso(SCHED_START_OF_TIME, buf, sizeof(buf));
	CHECK_STR(buf, "0001-01-01T10:36:20+10:36:20");
	set_tz("UTC");
	sched_format_iso(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01T00:00:00+00:00");
	set_tz("America/St_Johns");
	sched_format_iso(1767600000, buf, sizeof(buf));
	CHECK_STR(buf, "2026-01-05T04:30:00-03:30");
	set_tz("Asia/Kolkata");
	sched_format_iso(1767600000, buf, sizeof(buf));
	CHECK_STR(buf, "2026-01-05T13:30:00+05:30");
	/* Short buffers are cut, still terminated. */
	sched_format_iso(1767600000, buf, 11);
	CHECK_STR(buf, "2026-01-05");
}

static void test_local_instant(void)
{
	set_tz("America/New_York");
	CHECK_INT(sched_local_instant(2026, 1, 5, 9 * 3600), 1767621600);
	CHECK_INT(sched_local_instant(2026, 3, 8, 0), 1772946000);
	CHECK_INT(sched_local_instant(2026, 3, 7, 86400), 1772946000); /* 24:00 */
	CHECK_INT(sched_local_instant(2026, 3, 8, 7199), 1772953199);  /* 01:59:59 EST */
	CHECK_INT(sched_local_instant(2026, 3, 8, 7200), 1772953200);  /* 02:00 skipped */
	CHECK_INT(sched_local_instant(2026, 3, 8, 9000), 1772953200);  /* 02:30 skipped */
	CHECK_INT(sched_local_instant(2026, 3, 8, 10799), 1772953200); /* 02:59:59 skipped */
	CHECK_INT(sched_local_instant(2026, 3, 8, 10800), 1772953200); /* 03:00 EDT */
	CHECK_INT(sched_local_instant(2026, 3, 8, 10801), 1772953201);
	CHECK_INT(sched_local_instant(2026, 11, 1, 3600), T("2026-11-01T01:00:00-04:00"));
	CHECK_INT(sched_local_instant(2026, 11, 1, 5400), 1793511000); /* 01:30 EDT */
	CHECK_INT(sched_local_instant(2026, 11, 1, 7199), T("2026-11-01T01:59:59-04:00"));
	CHECK_INT(sched_local_instant(2026, 11, 1, 7200), 1793516400); /* 02:00 EST */
	CHECK_INT(sched_local_instant(2026, 11, 1, 10800), 1793520000);
	/* Month arithmetic wraps into the next year. */
	CHECK_INT(sched_local_instant(2026, 13, 1, 0), T("2027-01-01T00:00:00-05:00"));

	set_tz("Europe/Berlin");
	CHECK_INT(sched_local_instant(2026, 3, 29, 2 * 3600 + 1800), 1774746000);
	CHECK_INT(sched_local_instant(2026, 3, 29, 2 * 3600), T("2026-03-29T03:00:00+02:00"));
	CHECK_INT(sched_local_instant(2026, 3, 29, 1 * 3600), T("2026-03-29T01:00:00+01:00"));
	CHECK_INT(sched_local_instant(2026, 10, 25, 2 * 3600 + 1800), 1792888200);
	CHECK_INT(sched_local_instant(2026, 10, 25, 3 * 3600), T("2026-10-25T03:00:00+01:00"));

	set_tz("Australia/Lord_Howe");
	CHECK_INT(sched_local_instant(2026, 10, 4, 2 * 3600 + 900), 1791041400);  /* 02:15 */
	CHECK_INT(sched_local_instant(2026, 10, 4, 2 * 3600), 1791041400);        /* 02:00 */
	CHECK_INT(sched_local_instant(2026, 10, 4, 2 * 3600 + 1800), 1791041400); /* 02:30 */
	CHECK_INT(sched_local_instant(2026, 10, 4, 3600 + 3540), T("2026-10-04T01:59:00+10:30"));
	CHECK_INT(sched_local_instant(2026, 4, 5, 3600 + 2700), 1775313900); /* 01:45 +11 */
	CHECK_INT(sched_local_instant(2026, 4, 5, 3600 + 1800), T("2026-04-05T01:30:00+11:00"));
	CHECK_INT(sched_local_instant(2026, 4, 5, 3600 + 1740), T("2026-04-05T01:29:00+11:00"));
	CHECK_INT(sched_local_instant(2026, 4, 5, 2 * 3600), 1775316600); /* 02:00 +10:30 */
}

static void test_weekly(void)
{
	set_tz("America/New_York");
	/* 2026-01-05 is a Monday; January is EST (-05:00) throughout. */
	struct conf_break work = mkbreak("work", WEEKDAYS, "09:00-17:00");

	CHECK_ON(work, T("2026-01-05T10:00:00-05:00"), "2026-01-05T09:00:00-05:00",
	         "2026-01-05T17:00:00-05:00");
	CHECK_OFF(work, T("2026-01-05T08:59:59-05:00"));
	CHECK_NEXT(work, T("2026-01-05T08:59:59-05:00"), "2026-01-05T09:00:00-05:00",
	           "2026-01-05T17:00:00-05:00");
	/* Exactly at a start: on; exactly at an end: off. */
	CHECK_ON(work, T("2026-01-05T09:00:00-05:00"), "2026-01-05T09:00:00-05:00",
	         "2026-01-05T17:00:00-05:00");
	CHECK_ON(work, T("2026-01-05T16:59:59-05:00"), "2026-01-05T09:00:00-05:00",
	         "2026-01-05T17:00:00-05:00");
	CHECK_OFF(work, T("2026-01-05T17:00:00-05:00"));
	/* The next interval starts strictly after t, also while on. */
	CHECK_NEXT(work, T("2026-01-05T09:00:00-05:00"), "2026-01-06T09:00:00-05:00",
	           "2026-01-06T17:00:00-05:00");
	CHECK_NEXT(work, T("2026-01-05T17:00:00-05:00"), "2026-01-06T09:00:00-05:00",
	           "2026-01-06T17:00:00-05:00");
	/* The weekend. */
	CHECK_OFF(work, T("2026-01-10T10:00:00-05:00"));
	CHECK_OFF(work, T("2026-01-11T10:00:00-05:00"));
	CHECK_NEXT(work, T("2026-01-09T17:00:00-05:00"), "2026-01-12T09:00:00-05:00",
	           "2026-01-12T17:00:00-05:00");

	/* Several windows a day. */
	struct conf_break two = mkbreak("two", WEEKDAYS, "09:00-12:00 13:00-17:30");
	CHECK_ON(two, T("2026-01-07T11:00:00-05:00"), "2026-01-07T09:00:00-05:00",
	         "2026-01-07T12:00:00-05:00");
	CHECK_OFF(two, T("2026-01-07T12:30:00-05:00"));
	CHECK_NEXT(two, T("2026-01-07T12:30:00-05:00"), "2026-01-07T13:00:00-05:00",
	           "2026-01-07T17:30:00-05:00");
	CHECK_ON(two, T("2026-01-07T17:29:59-05:00"), "2026-01-07T13:00:00-05:00",
	         "2026-01-07T17:30:00-05:00");
	CHECK_NEXT(two, T("2026-01-07T09:30:00-05:00"), "2026-01-07T13:00:00-05:00",
	           "2026-01-07T17:30:00-05:00");
	CHECK_NEXT(two, T("2026-01-09T13:30:00-05:00"), "2026-01-12T09:00:00-05:00",
	           "2026-01-12T12:00:00-05:00");

	/* Crossing midnight, daily. */
	struct conf_break night = mkbreak("night", VALUE_DAYS_ALL, "22:30-07:00");
	CHECK_ON(night, T("2026-01-06T03:00:00-05:00"), "2026-01-05T22:30:00-05:00",
	         "2026-01-06T07:00:00-05:00");
	CHECK_ON(night, T("2026-01-06T00:00:00-05:00"), "2026-01-05T22:30:00-05:00",
	         "2026-01-06T07:00:00-05:00");
	CHECK_OFF(night, T("2026-01-06T07:00:00-05:00"));
	CHECK_NEXT(night, T("2026-01-06T03:00:00-05:00"), "2026-01-06T22:30:00-05:00",
	           "2026-01-07T07:00:00-05:00");

	/* Sunday night into Monday: the week wraps. 2026-01-04 is a Sunday. */
	struct conf_break sun = mkbreak("sun", SUN, "22:00-06:00");
	CHECK_ON(sun, T("2026-01-05T02:00:00-05:00"), "2026-01-04T22:00:00-05:00",
	         "2026-01-05T06:00:00-05:00");
	CHECK_OFF(sun, T("2026-01-05T06:00:00-05:00"));
	CHECK_OFF(sun, T("2026-01-04T21:59:59-05:00"));
	CHECK_NEXT(sun, T("2026-01-04T21:00:00-05:00"), "2026-01-04T22:00:00-05:00",
	           "2026-01-05T06:00:00-05:00");
	CHECK_NEXT(sun, T("2026-01-05T07:00:00-05:00"), "2026-01-11T22:00:00-05:00",
	           "2026-01-12T06:00:00-05:00");
	/* Monday night is not Sunday night. */
	CHECK_OFF(sun, T("2026-01-06T02:00:00-05:00"));

	/* Daily, from a Saturday afternoon. */
	struct conf_break noon = mkbreak("noon", VALUE_DAYS_ALL, "12:00-13:00");
	CHECK_NEXT(noon, T("2026-01-10T14:00:00-05:00"), "2026-01-11T12:00:00-05:00",
	           "2026-01-11T13:00:00-05:00");
	CHECK_ON(noon, T("2026-01-11T12:59:00-05:00"), "2026-01-11T12:00:00-05:00",
	         "2026-01-11T13:00:00-05:00");

	/* A window that is the whole day, and a window of exactly 24 hours
	 * (end == start ends the next day). */
	struct conf_break wed = mkbreak("wed", WED, "00:00-24:00");
	CHECK_ON(wed, T("2026-01-07T23:59:59-05:00"), "2026-01-07T00:00:00-05:00",
	         "2026-01-08T00:00:00-05:00");
	CHECK_OFF(wed, T("2026-01-08T00:00:00-05:00"));
	struct conf_break day24 = mkbreak("day24", WED, "09:00-09:00");
	CHECK_ON(day24, T("2026-01-08T08:00:00-05:00"), "2026-01-07T09:00:00-05:00",
	         "2026-01-08T09:00:00-05:00");
}

static void test_merge(void)
{
	set_tz("America/New_York");
	/* Overlapping windows of one break form one interval. */
	struct conf_break ov = mkbreak("ov", MON, "09:00-12:00 11:00-13:00");
	CHECK_ON(ov, T("2026-01-05T12:30:00-05:00"), "2026-01-05T09:00:00-05:00",
	         "2026-01-05T13:00:00-05:00");
	CHECK_ON(ov, T("2026-01-05T10:00:00-05:00"), "2026-01-05T09:00:00-05:00",
	         "2026-01-05T13:00:00-05:00");
	CHECK_NEXT(ov, T("2026-01-05T08:00:00-05:00"), "2026-01-05T09:00:00-05:00",
	           "2026-01-05T13:00:00-05:00");
	/* A window inside another, listed second. */
	struct conf_break in = mkbreak("in", MON, "10:00-11:00 09:00-17:00");
	CHECK_ON(in, T("2026-01-05T10:30:00-05:00"), "2026-01-05T09:00:00-05:00",
	         "2026-01-05T17:00:00-05:00");
	CHECK_NEXT(in, T("2026-01-05T09:30:00-05:00"), "2026-01-12T09:00:00-05:00",
	           "2026-01-12T17:00:00-05:00");
	/* Touching windows, and 22:00-24:00 plus 00:00-07:00 daily. */
	struct conf_break touch = mkbreak("touch", VALUE_DAYS_ALL, "22:00-24:00 00:00-07:00");
	CHECK_ON(touch, T("2026-01-06T23:00:00-05:00"), "2026-01-06T22:00:00-05:00",
	         "2026-01-07T07:00:00-05:00");
	CHECK_ON(touch, T("2026-01-07T00:00:00-05:00"), "2026-01-06T22:00:00-05:00",
	         "2026-01-07T07:00:00-05:00");
	CHECK_NEXT(touch, T("2026-01-06T21:00:00-05:00"), "2026-01-06T22:00:00-05:00",
	           "2026-01-07T07:00:00-05:00");
	/* A night window of one day merges with the next day's morning one. */
	struct conf_break chain = mkbreak("chain", MON | TUE, "20:00-02:00 01:00-08:00");
	CHECK_ON(chain, T("2026-01-06T05:00:00-05:00"), "2026-01-05T20:00:00-05:00",
	         "2026-01-06T08:00:00-05:00");
	CHECK_ON(chain, T("2026-01-05T01:30:00-05:00"), "2026-01-05T01:00:00-05:00",
	         "2026-01-05T08:00:00-05:00");

	/* Six whole days in a row: the interval reaches further than the first
	 * look around t, both backwards and ahead. */
	struct conf_break six = mkbreak("six", WEEKDAYS | SAT, "00:00-24:00");
	CHECK_ON(six, T("2026-01-10T12:00:00-05:00"), "2026-01-05T00:00:00-05:00",
	         "2026-01-11T00:00:00-05:00");
	CHECK_NEXT(six, T("2026-01-10T12:00:00-05:00"), "2026-01-12T00:00:00-05:00",
	           "2026-01-18T00:00:00-05:00");
	CHECK_NEXT(six, T("2026-01-11T12:00:00-05:00"), "2026-01-12T00:00:00-05:00",
	           "2026-01-18T00:00:00-05:00");

	/* Around the clock: no edges, no transitions. */
	struct conf_break all = mkbreak("all", VALUE_DAYS_ALL, "00:00-24:00");
	time_t s = 0, e = 0;
	CHECK(sched_active(&all, T("2026-01-07T12:00:00-05:00"), &s, &e));
	CHECK_INT(s, SCHED_START_OF_TIME);
	CHECK_INT(e, SCHED_END_OF_TIME);
	CHECK(!sched_next_interval(&all, T("2026-01-07T12:00:00-05:00"), &s, &e));
	struct conf_break all2 = mkbreak("all2", VALUE_DAYS_ALL, "09:00-09:00");
	CHECK(sched_active(&all2, T("2026-03-08T02:00:00-05:00"), &s, &e));
	CHECK_INT(e, SCHED_END_OF_TIME);

	/* No days, no windows. */
	struct conf_break none = mkbreak("none", 0, "09:00-17:00");
	CHECK(!sched_active(&none, T("2026-01-05T10:00:00-05:00"), &s, &e));
	CHECK(!sched_next_interval(&none, T("2026-01-05T10:00:00-05:00"), &s, &e));
	struct conf_break empty = mkbreak("empty", VALUE_DAYS_ALL, "");
	CHECK_INT(empty.n_windows, 0);
	CHECK(!sched_next_interval(&empty, T("2026-01-05T10:00:00-05:00"), &s, &e));

	/* Instants out of range are refused, not overflowed. */
	CHECK(!sched_active(&all, SCHED_END_OF_TIME, &s, &e));
	CHECK(!sched_next_interval(&all, (time_t)INT64_MIN, &s, &e));
	CHECK(!sched_active(&none, (time_t)INT64_MAX, &s, &e));
}

static void test_transitions(void)
{
	set_tz("America/New_York");
	struct conf_break v[4] = {
	    mkbreak("work", WEEKDAYS, "09:00-17:00"),
	    mkbreak("lunch", VALUE_DAYS_ALL, "12:00-14:00"),
	    mkbreak("eve", VALUE_DAYS_ALL, "17:00-18:00"),
	    mkbreak("focus", MON, "08:00-09:00 16:00-17:00"),
	};
	struct conf c = {.breaks = v, .n_breaks = 4};
	struct sched_transition tr, all[4];
	char buf[2048];

	/* Overlapping breaks each have their own transitions; at one instant
	 * ends come first, each kind in conf order. */
	CHECK_INT(
	    sched_format_transitions(&c, T("2026-01-05T00:00:00-05:00"), 11, buf, sizeof(buf)), 11);
	CHECK_STR(buf, "2026-01-05T08:00:00-05:00 start focus\n"
	               "2026-01-05T09:00:00-05:00 end focus\n"
	               "2026-01-05T09:00:00-05:00 start work\n"
	               "2026-01-05T12:00:00-05:00 start lunch\n"
	               "2026-01-05T14:00:00-05:00 end lunch\n"
	               "2026-01-05T16:00:00-05:00 start focus\n"
	               "2026-01-05T17:00:00-05:00 end work\n"
	               "2026-01-05T17:00:00-05:00 end focus\n"
	               "2026-01-05T17:00:00-05:00 start eve\n"
	               "2026-01-05T18:00:00-05:00 end eve\n"
	               "2026-01-06T09:00:00-05:00 start work\n");
	/* Strictly after t: the transitions at t itself are not listed. */
	CHECK_INT(sched_format_transitions(&c, T("2026-01-05T17:00:00-05:00"), 2, buf, sizeof(buf)),
	          2);
	CHECK_STR(buf, "2026-01-05T18:00:00-05:00 end eve\n"
	               "2026-01-06T09:00:00-05:00 start work\n");
	/* A short buffer is cut at a line boundary. */
	const char *two = "2026-01-05T08:00:00-05:00 start focus\n"
	                  "2026-01-05T09:00:00-05:00 end focus\n";
	CHECK_INT(
	    sched_format_transitions(&c, T("2026-01-05T00:00:00-05:00"), 5, buf, strlen(two) + 1),
	    2);
	CHECK_STR(buf, two);
	CHECK_INT(sched_format_transitions(&c, T("2026-01-05T00:00:00-05:00"), 5, buf, strlen(two)),
	          1);
	CHECK_STR(buf, "2026-01-05T08:00:00-05:00 start focus\n");
	CHECK_INT(sched_format_transitions(&c, T("2026-01-05T00:00:00-05:00"), 0, buf, sizeof(buf)),
	          0);
	CHECK_STR(buf, "");
	CHECK_INT(sched_format_transitions(&c, T("2026-01-05T00:00:00-05:00"), 3, buf, 1), 0);
	CHECK_STR(buf, "");

	/* sched_next: the first of them. */
	CHECK(sched_next(&c, T("2026-01-05T16:30:00-05:00"), &tr));
	CHECK_STR(iso(tr.at), "2026-01-05T17:00:00-05:00");
	CHECK(!tr.start);
	CHECK_INT(tr.brk, 0);
	CHECK(sched_next(&c, T("2026-01-05T08:30:00-05:00"), &tr));
	CHECK_STR(iso(tr.at), "2026-01-05T09:00:00-05:00");
	CHECK(!tr.start);
	CHECK_INT(tr.brk, 3);
	CHECK(sched_next(&c, T("2026-01-05T09:00:00-05:00"), &tr));
	CHECK_STR(iso(tr.at), "2026-01-05T12:00:00-05:00");
	CHECK(tr.start);
	CHECK_INT(tr.brk, 1);

	/* sched_next_all, whole and cut. */
	CHECK_INT(sched_next_all(&c, T("2026-01-05T16:30:00-05:00"), all, 4), 3);
	CHECK(!all[0].start && all[0].brk == 0);
	CHECK(!all[1].start && all[1].brk == 3);
	CHECK(all[2].start && all[2].brk == 2);
	CHECK_INT(all[2].at, T("2026-01-05T17:00:00-05:00"));
	CHECK_INT(sched_next_all(&c, T("2026-01-05T16:30:00-05:00"), all, 2), 2);
	CHECK(!all[0].start && all[0].brk == 0);
	CHECK(!all[1].start && all[1].brk == 3);
	CHECK_INT(sched_next_all(&c, T("2026-01-05T16:30:00-05:00"), all, 1), 1);
	CHECK(!all[0].start && all[0].brk == 0);
	CHECK_INT(sched_next_all(&c, T("2026-01-05T08:30:00-05:00"), all, 1), 1);
	CHECK(!all[0].start && all[0].brk == 3);
	CHECK_INT(sched_next_all(&c, T("2026-01-05T08:30:00-05:00"), all, 0), 0);

	/* A break on around the clock has no transitions; the others still do. */
	struct conf_break w2[2] = {mkbreak("all", VALUE_DAYS_ALL, "00:00-24:00"),
	                           mkbreak("work", WEEKDAYS, "09:00-17:00")};
	struct conf c2 = {.breaks = w2, .n_breaks = 1};
	CHECK(!sched_next(&c2, T("2026-01-05T00:00:00-05:00"), &tr));
	CHECK_INT(
	    sched_format_transitions(&c2, T("2026-01-05T00:00:00-05:00"), 3, buf, sizeof(buf)), 0);
	c2.n_breaks = 2;
	CHECK(sched_next(&c2, T("2026-01-05T00:00:00-05:00"), &tr));
	CHECK_INT(tr.brk, 1);
	CHECK_INT(tr.at, T("2026-01-05T09:00:00-05:00"));
	struct conf c0 = {0};
	CHECK(!sched_next(&c0, 0, &tr));
	CHECK_INT(sched_next_all(&c0, 0, all, 4), 0);
}

static void test_dst_new_york(void)
{
	set_tz("America/New_York");
	time_t s = 0, e = 0;

	/* Spring forward, Sunday 2026-03-08: 02:00 EST becomes 03:00 EDT. */
	struct conf_break late = mkbreak("late", VALUE_DAYS_ALL, "02:30-04:00");
	CHECK_NEXT(late, T("2026-03-08T00:00:00-05:00"), "2026-03-08T03:00:00-04:00",
	           "2026-03-08T04:00:00-04:00");
	CHECK(sched_next_interval(&late, T("2026-03-08T00:00:00-05:00"), &s, &e));
	CHECK_INT(s, 1772953200);
	CHECK_INT(e - s, 3600);
	CHECK_NEXT(late, T("2026-03-07T12:00:00-05:00"), "2026-03-08T03:00:00-04:00",
	           "2026-03-08T04:00:00-04:00");
	CHECK_OFF(late, T("2026-03-08T01:59:59-05:00"));
	CHECK_NEXT(late, T("2026-03-08T03:00:00-04:00"), "2026-03-09T02:30:00-04:00",
	           "2026-03-09T04:00:00-04:00");

	struct conf_break early = mkbreak("early", SUN, "01:00-03:00");
	CHECK(sched_next_interval(&early, T("2026-03-07T00:00:00-05:00"), &s, &e));
	CHECK_STR(iso(s), "2026-03-08T01:00:00-05:00");
	CHECK_STR(iso(e), "2026-03-08T03:00:00-04:00");
	CHECK_INT(e - s, 3600);
	CHECK_ON(early, T("2026-03-08T01:59:59-05:00"), "2026-03-08T01:00:00-05:00",
	         "2026-03-08T03:00:00-04:00");
	CHECK_OFF(early, T("2026-03-08T03:00:00-04:00"));

	/* A window inside the skipped hour does not happen that day. */
	struct conf_break gap = mkbreak("gap", SUN, "02:00-02:30");
	CHECK_NEXT(gap, T("2026-03-08T00:00:00-05:00"), "2026-03-15T02:00:00-04:00",
	           "2026-03-15T02:30:00-04:00");
	CHECK_OFF(gap, T("2026-03-08T03:00:00-04:00"));
	/* Around it the two nights touch and merge. */
	struct conf_break around = mkbreak("around", SUN, "00:00-02:00 03:00-05:00");
	CHECK_ON(around, T("2026-03-08T03:00:00-04:00"), "2026-03-08T00:00:00-05:00",
	         "2026-03-08T05:00:00-04:00");
	CHECK_ON(around, T("2026-03-15T01:00:00-04:00"), "2026-03-15T00:00:00-04:00",
	         "2026-03-15T02:00:00-04:00");

	/* Fall back, Sunday 2026-11-01: 02:00 EDT becomes 01:00 EST. */
	struct conf_break rep = mkbreak("rep", SUN, "01:30-03:00");
	CHECK_NEXT(rep, T("2026-11-01T00:00:00-04:00"), "2026-11-01T01:30:00-04:00",
	           "2026-11-01T03:00:00-05:00");
	CHECK(sched_next_interval(&rep, T("2026-11-01T00:00:00-04:00"), &s, &e));
	CHECK_INT(s, 1793511000);
	CHECK_INT(e - s, 9000);
	/* It starts once: at the second 01:30 it is simply on. */
	CHECK_ON(rep, T("2026-11-01T01:30:00-05:00"), "2026-11-01T01:30:00-04:00",
	         "2026-11-01T03:00:00-05:00");
	struct conf_break rc[1] = {rep};
	struct conf c = {.breaks = rc, .n_breaks = 1};
	char buf[512];
	CHECK_INT(sched_format_transitions(&c, T("2026-11-01T00:00:00-04:00"), 3, buf, sizeof(buf)),
	          3);
	CHECK_STR(buf, "2026-11-01T01:30:00-04:00 start rep\n"
	               "2026-11-01T03:00:00-05:00 end rep\n"
	               "2026-11-08T01:30:00-05:00 start rep\n");

	/* A window ending at 01:30 ends at the first 01:30. */
	struct conf_break upto = mkbreak("upto", SUN, "00:00-01:30");
	CHECK_ON(upto, T("2026-11-01T01:00:00-04:00"), "2026-11-01T00:00:00-04:00",
	         "2026-11-01T01:30:00-04:00");
	CHECK_OFF(upto, T("2026-11-01T01:30:00-04:00"));
	CHECK_OFF(upto, T("2026-11-01T01:00:00-05:00"));
	CHECK_OFF(upto, T("2026-11-01T01:15:00-05:00"));
	/* 01:00-02:00 that day holds the repeated hour: two hours long. */
	struct conf_break hour = mkbreak("hour", SUN, "01:00-02:00");
	CHECK(sched_next_interval(&hour, T("2026-11-01T00:00:00-04:00"), &s, &e));
	CHECK_STR(iso(s), "2026-11-01T01:00:00-04:00");
	CHECK_STR(iso(e), "2026-11-01T02:00:00-05:00");
	CHECK_INT(e - s, 7200);
	/* A night across the change is an hour longer than on the clock. */
	struct conf_break night = mkbreak("night", SAT, "22:00-07:00");
	CHECK_ON(night, T("2026-11-01T01:30:00-05:00"), "2026-10-31T22:00:00-04:00",
	         "2026-11-01T07:00:00-05:00");
	CHECK(sched_active(&night, T("2026-11-01T01:30:00-05:00"), &s, &e));
	CHECK_INT(e - s, 10 * 3600);
}

static void test_dst_berlin(void)
{
	set_tz("Europe/Berlin");
	time_t s = 0, e = 0;

	/* Spring forward, Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST. */
	struct conf_break spring = mkbreak("spring", SUN, "02:15-04:00");
	CHECK_NEXT(spring, T("2026-03-28T12:00:00+01:00"), "2026-03-29T03:00:00+02:00",
	           "2026-03-29T04:00:00+02:00");
	CHECK(sched_next_interval(&spring, T("2026-03-28T12:00:00+01:00"), &s, &e));
	CHECK_INT(s, 1774746000);
	struct conf_break night = mkbreak("night", SAT, "23:00-07:00");
	CHECK_ON(night, T("2026-03-29T02:59:59+01:00") + 1, "2026-03-28T23:00:00+01:00",
	         "2026-03-29T07:00:00+02:00");
	CHECK(sched_active(&night, T("2026-03-29T05:00:00+02:00"), &s, &e));
	CHECK_INT(e - s, 7 * 3600);

	/* Fall back, Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET. */
	struct conf_break fall = mkbreak("fall", SUN, "02:30-05:00");
	CHECK_NEXT(fall, T("2026-10-25T00:00:00+02:00"), "2026-10-25T02:30:00+02:00",
	           "2026-10-25T05:00:00+01:00");
	CHECK(sched_next_interval(&fall, T("2026-10-25T00:00:00+02:00"), &s, &e));
	CHECK_INT(s, 1792888200);
	struct conf_break before = mkbreak("before", SUN, "01:00-02:30");
	CHECK_ON(before, T("2026-10-25T02:00:00+02:00"), "2026-10-25T01:00:00+02:00",
	         "2026-10-25T02:30:00+02:00");
	CHECK_OFF(before, T("2026-10-25T02:15:00+01:00"));
	CHECK_NEXT(before, T("2026-10-25T02:15:00+01:00"), "2026-11-01T01:00:00+01:00",
	           "2026-11-01T02:30:00+01:00");
}

static void test_dst_lord_howe(void)
{
	set_tz("Australia/Lord_Howe");
	time_t s = 0, e = 0;

	/* Spring forward, Sunday 2026-10-04: 02:00 +10:30 becomes 02:30 +11:00. */
	struct conf_break spring = mkbreak("lh", SUN, "02:15-03:00");
	CHECK(sched_next_interval(&spring, T("2026-10-03T00:00:00+10:30"), &s, &e));
	CHECK_INT(s, 1791041400);
	CHECK_STR(iso(s), "2026-10-04T02:30:00+11:00");
	CHECK_STR(iso(e), "2026-10-04T03:00:00+11:00");
	CHECK_INT(e - s, 1800);
	struct conf_break in_gap = mkbreak("in_gap", SUN, "02:00-02:30");
	CHECK_NEXT(in_gap, T("2026-10-03T00:00:00+10:30"), "2026-10-11T02:00:00+11:00",
	           "2026-10-11T02:30:00+11:00");

	/* Fall back, Sunday 2026-04-05: 02:00 +11:00 becomes 01:30 +10:30. */
	struct conf_break fall = mkbreak("lh", SUN, "01:45-03:00");
	CHECK(sched_next_interval(&fall, T("2026-04-04T00:00:00+11:00"), &s, &e));
	CHECK_INT(s, 1775313900);
	CHECK_INT(e - s, 6300); /* 1h15m on the clock plus the repeated 30 minutes */
	CHECK_ON(fall, T("2026-04-05T01:45:00+10:30"), "2026-04-05T01:45:00+11:00",
	         "2026-04-05T03:00:00+10:30");
	struct conf_break fc[1] = {fall};
	struct conf c = {.breaks = fc, .n_breaks = 1};
	char buf[512];
	CHECK_INT(sched_format_transitions(&c, T("2026-04-04T00:00:00+11:00"), 4, buf, sizeof(buf)),
	          4);
	CHECK_STR(buf, "2026-04-05T01:45:00+11:00 start lh\n"
	               "2026-04-05T03:00:00+10:30 end lh\n"
	               "2026-04-12T01:45:00+10:30 start lh\n"
	               "2026-04-12T03:00:00+10:30 end lh\n");
	struct conf_break sc[1] = {spring};
	c.breaks = sc;
	CHECK_INT(sched_format_transitions(&c, T("2026-10-03T00:00:00+10:30"), 3, buf, sizeof(buf)),
	          3);
	CHECK_STR(buf, "2026-10-04T02:30:00+11:00 start lh\n"
	               "2026-10-04T03:00:00+11:00 end lh\n"
	               "2026-10-11T02:15:00+11:00 start lh\n");
}

/* Against a slow reference: at every step through a few weeks spanning the
 * DST changes, a break is on exactly when some single occurrence holds t
 * (merging changes no instant's state); and states change exactly at the
 * reported transitions. */
static bool reference_on(const struct conf_break *b, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	for (int back = 0; back <= 2; back++) {
		struct tm d = tm;
		d.tm_mday -= back;
		d.tm_hour = 12;
		d.tm_min = d.tm_sec = 0;
		d.tm_isdst = -1;
		mktime(&d);
		int wd = (d.tm_wday + 6) % 7;
		if (!(b->days & VALUE_DAY(wd)))
			continue;
		for (size_t i = 0; i < b->n_windows; i++) {
			const struct conf_window *w = &b->windows[i];
			time_t s = sched_local_instant(d.tm_year + 1900, d.tm_mon + 1, d.tm_mday,
			                               w->start);
			time_t e = w->end <= w->start
			               ? sched_local_instant(d.tm_year + 1900, d.tm_mon + 1,
			                                     d.tm_mday + 1, w->end)
			               : sched_local_instant(d.tm_year + 1900, d.tm_mon + 1,
			                                     d.tm_mday, w->end);
			if (s <= t && t < e)
				return true;
		}
	}
	return false;
}

static void sweep(const char *zone, const char *from, int days)
{
	set_tz(zone);
	struct conf_break v[5] = {
	    mkbreak("a", WEEKDAYS, "09:00-12:00 11:00-13:00"),
	    mkbreak("b", VALUE_DAYS_ALL, "22:30-07:00"),
	    mkbreak("c", SUN | SAT, "01:15-02:45 02:45-03:10"),
	    mkbreak("d", SUN, "23:00-24:00 00:00-01:00"),
	    mkbreak("e", MON | SAT, "02:00-02:00"),
	};
	struct conf c = {.breaks = v, .n_breaks = 5};
	time_t t0 = T(from), t = t0;
	int mismatches = 0, bad_transitions = 0;

	for (time_t u = t0; u < t0 + days * 86400; u += 300) {
		for (size_t i = 0; i < c.n_breaks; i++) {
			time_t s, e;
			bool on = sched_active(&v[i], u, &s, &e);
			if (on != reference_on(&v[i], u) || (on && !(s <= u && u < e))) {
				if (mismatches++ < 5)
					fprintf(stderr, "%s: break %s at %s: on=%d\n", zone,
					        v[i].name, iso(u), on);
			}
		}
	}
	CHECK_INT(mismatches, 0);
	/* Walk the transitions: each one flips its break, nothing flips between. */
	struct sched_transition all[5];
	bool state[5];
	for (size_t i = 0; i < c.n_breaks; i++)
		state[i] = sched_active(&v[i], t, NULL, NULL);
	for (int k = 0; k < 200; k++) {
		size_t n = sched_next_all(&c, t, all, 5);
		if (n == 0 || all[0].at > t0 + days * 86400)
			break;
		for (size_t i = 0; i < c.n_breaks; i++)
			if (sched_active(&v[i], all[0].at - 1, NULL, NULL) != state[i])
				bad_transitions++;
		for (size_t j = 0; j < n; j++) {
			if (state[all[j].brk] == all[j].start)
				bad_transitions++;
			state[all[j].brk] = all[j].start;
		}
		for (size_t i = 0; i < c.n_breaks; i++)
			if (sched_active(&v[i], all[0].at, NULL, NULL) != state[i])
				bad_transitions++;
		t = all[0].at;
	}
	CHECK_INT(bad_transitions, 0);
}

/* The WHEN of `smctl pause until` and `--at`, at fixed instants in Berlin. */
static void test_when(void)
{
	time_t now = T("2026-03-09T11:00:00+01:00"), t = 0; /* a Monday */

	set_tz("Europe/Berlin");
	CHECK_INT(sched_parse_when("17:30", now, &t), 0);
	CHECK_STR(iso(t), "2026-03-09T17:30:00+01:00");
	CHECK_INT(sched_parse_when("09:00", now, &t), 0); /* passed: tomorrow */
	CHECK_STR(iso(t), "2026-03-10T09:00:00+01:00");
	CHECK_INT(sched_parse_when("today 17:30", now, &t), 0);
	CHECK_STR(iso(t), "2026-03-09T17:30:00+01:00");
	CHECK_INT(sched_parse_when("today 09:00", now, &t), -ERANGE);
	CHECK_INT(sched_parse_when("tomorrow 09:00", now, &t), 0);
	CHECK_STR(iso(t), "2026-03-10T09:00:00+01:00");
	CHECK_INT(sched_parse_when("Sun 16:00", now, &t), 0);
	CHECK_STR(iso(t), "2026-03-15T16:00:00+01:00");
	CHECK_INT(sched_parse_when("monday 12:00", now, &t), 0); /* today, still ahead */
	CHECK_STR(iso(t), "2026-03-09T12:00:00+01:00");
	CHECK_INT(sched_parse_when("mon 10:00", now, &t), 0); /* passed: next week */
	CHECK_STR(iso(t), "2026-03-16T10:00:00+01:00");
	CHECK_INT(sched_parse_when("2026-10-04T16:00", now, &t), 0);
	CHECK_STR(iso(t), "2026-10-04T16:00:00+02:00");
	CHECK_INT(sched_parse_when("2026-10-04 16:00:30", now, &t), 0);
	CHECK_STR(iso(t), "2026-10-04T16:00:30+02:00");
	CHECK_INT(sched_parse_when("2026-03-01T16:00", now, &t), -ERANGE);
	/* Across DST (Berlin springs forward on 2026-03-29): a skipped time is
	 * the first valid instant after it; across midnight. */
	CHECK_INT(sched_parse_when("02:30", T("2026-03-28T23:00:00+01:00"), &t), 0);
	CHECK_STR(iso(t), "2026-03-29T03:00:00+02:00");
	CHECK_INT(sched_parse_when("sun 02:30", T("2026-03-28T23:00:00+01:00"), &t), 0);
	CHECK_STR(iso(t), "2026-03-29T03:00:00+02:00");
	CHECK_INT(sched_parse_when("00:15", T("2026-03-09T23:50:00+01:00"), &t), 0);
	CHECK_STR(iso(t), "2026-03-10T00:15:00+01:00");
	/* Errors. */
	const char *bad[] = {"",
	                     "25:00",
	                     "17",
	                     "someday 10:00",
	                     "weekends 10:00",
	                     "mon-fri 10:00",
	                     "tomorrow",
	                     "2026-13-01T10:00",
	                     "tomorrow  09:00",
	                     "17:30 extra"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = sched_parse_when(bad[i], now, &t);
		if (r != -EINVAL)
			fprintf(stderr, "sched_parse_when(\"%s\") = %d\n", bad[i], r);
		CHECK_INT(r, -EINVAL);
	}
}

int main(void)
{
	test_parse_iso();
	test_format_iso();
	test_local_instant();
	test_when();
	test_weekly();
	test_merge();
	test_transitions();
	test_dst_new_york();
	test_dst_berlin();
	test_dst_lord_howe();
	sweep("America/New_York", "2026-02-28T00:00:00-05:00", 21);
	sweep("America/New_York", "2026-10-24T00:00:00-04:00", 21);
	sweep("Europe/Berlin", "2026-03-21T00:00:00+01:00", 21);
	sweep("Europe/Berlin", "2026-10-17T00:00:00+02:00", 21);
	sweep("Australia/Lord_Howe", "2026-03-28T00:00:00+11:00", 21);
	sweep("Australia/Lord_Howe", "2026-09-26T00:00:00+10:30", 21);
	CHECK_DONE();
}
