/* Unit tests of the warnings before a start (policy_warn.c) at fixed
 * instants (Europe/Berlin): scheduled, dated and planned starts warn, a
 * warning inside a previous break is not given, a break that starts within
 * `warn` of the daemon's start warns at once, and the next warning is the
 * next transition. Also the `warn` key of [daemon] and [break]. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "policy.h"
#include "sched.h"

static time_t T(const char *iso)
{
	time_t t = 0;

	if (sched_parse_iso(iso, &t) != 0)
		fprintf(stderr, "bad instant in the test: %s\n", iso);
	return t;
}

static struct conf *parse(const char *text, int want)
{
	struct conf_errors errs = {0};
	struct conf *c = NULL;
	int r = conf_parse("test.conf", text, strlen(text), &c, &errs);

	if (want == 0)
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
	CHECK_INT(r, want);
	conf_errors_clear(&errs);
	return c;
}

/* 2026-03-09 is a Monday; work has two intervals three minutes apart. */
static const char *conf_text = "[list social]\n"
                               "domains = instagram.com\n"
                               "[list video]\n"
                               "domains = youtube.com\n"
                               "[break work]\n"
                               "days = mon-fri\n"
                               "times = 09:00-12:00 12:03-13:00\n"
                               "lists = social\n"
                               "[break evening]\n"
                               "times = 18:00-19:00\n"
                               "lists = video\n"
                               "warn = 10m\n"
                               "[break quiet]\n"
                               "times = 20:00-21:00\n"
                               "lists = video\n"
                               "warn = 0\n"
                               "[break trip]\n"
                               "from = 2026-03-10 10:00\n"
                               "until = 2026-03-10 11:00\n"
                               "lists = video\n"
                               "[daemon]\n"
                               "warn = 4m\n";

/* The warnings due at iso; *next_warn and the next transition too. */
static size_t due(const struct conf *c, const struct state *s, const char *iso,
                  struct policy_warning *v, time_t *next_warn, time_t *until)
{
	struct policy_clock clk = {.now = T(iso), .boottime = 100, .boot_id = "b"};
	struct policy p;
	size_t n;

	CHECK_INT(policy_eval(c, s, &clk, &p), 0);
	n = policy_warnings(c, s, &p, v, 8);
	*next_warn = p.next_warn;
	*until = p.in.until;
	policy_clear(&p);
	return n;
}

static void test_scheduled(void)
{
	struct conf *c = parse(conf_text, 0);
	struct state s = {0};
	struct policy_warning v[8];
	time_t nw, until;

	/* Per break, or the [daemon] one given after the breaks. */
	CHECK_INT(c->warn, 240);
	CHECK_INT(c->breaks[0].warn, 240);
	CHECK_INT(c->breaks[1].warn, 600);
	CHECK_INT(c->breaks[2].warn, 0);

	/* Before the warning: none, and its instant is the next transition. */
	CHECK_INT(due(c, &s, "2026-03-09T08:50:00+01:00", v, &nw, &until), 0);
	CHECK_INT(nw, T("2026-03-09T08:56:00+01:00"));
	CHECK_INT(until, nw);

	/* From it to the start, the warning of work's 09:00-12:00. */
	CHECK_INT(due(c, &s, "2026-03-09T08:56:00+01:00", v, &nw, &until), 1);
	CHECK_STR(v[0].name, "work");
	CHECK_INT(v[0].brk, 0);
	CHECK_INT(v[0].plan_id, 0);
	CHECK_INT(v[0].start, T("2026-03-09T09:00:00+01:00"));
	CHECK_INT(v[0].end, T("2026-03-09T12:00:00+01:00"));
	CHECK_INT(v[0].lists, 1);
	CHECK(v[0].whom == NULL);
	CHECK_INT(until, T("2026-03-09T09:00:00+01:00"));

	/* A daemon that starts two minutes before the break warns at once:
	 * the evaluation knows nothing of what came before. */
	CHECK_INT(due(c, &s, "2026-03-09T08:58:00+01:00", v, &nw, &until), 1);

	/* At the start it is no warning any more. */
	CHECK_INT(due(c, &s, "2026-03-09T09:00:00+01:00", v, &nw, &until), 0);

	/* 12:03 is within warn of 11:59, but work is on then: no warning. Once
	 * the first interval is over, the second warns. */
	CHECK_INT(due(c, &s, "2026-03-09T11:59:30+01:00", v, &nw, &until), 0);
	CHECK_INT(until, T("2026-03-09T12:00:00+01:00"));
	CHECK_INT(due(c, &s, "2026-03-09T12:00:00+01:00", v, &nw, &until), 1);
	CHECK_INT(v[0].start, T("2026-03-09T12:03:00+01:00"));

	/* A break's own warn: 10 minutes for evening; 0 for quiet, which never
	 * wakes the daemon. */
	CHECK_INT(due(c, &s, "2026-03-09T17:49:59+01:00", v, &nw, &until), 0);
	CHECK_INT(nw, T("2026-03-09T17:50:00+01:00"));
	CHECK_INT(due(c, &s, "2026-03-09T17:50:00+01:00", v, &nw, &until), 1);
	CHECK_STR(v[0].name, "evening");
	CHECK_INT(due(c, &s, "2026-03-09T19:58:00+01:00", v, &nw, &until), 0);
	CHECK_INT(until, T("2026-03-09T20:00:00+01:00"));
	CHECK(nw != T("2026-03-09T19:56:00+01:00"));

	/* A skipped interval no longer blocks: the next one warns. */
	CHECK_INT(state_add_skip(&s, "work", T("2026-03-09T12:00:00+01:00")), 0);
	CHECK_INT(due(c, &s, "2026-03-09T11:59:30+01:00", v, &nw, &until), 1);
	conf_free(c);
}

static void test_dated_and_planned(void)
{
	struct conf *c = parse(conf_text, 0);
	struct state s = {0};
	struct policy_warning v[8];
	time_t nw, until;

	/* The dated trip blocks video, which the work break on then does not:
	 * it warns though another break is on. */
	CHECK_INT(due(c, &s, "2026-03-10T09:56:00+01:00", v, &nw, &until), 1);
	CHECK_STR(v[0].name, "trip");
	CHECK_INT(v[0].brk, 3);
	CHECK_INT(v[0].end, T("2026-03-10T11:00:00+01:00"));

	/* A planned pause warns by the [daemon] warn, named by its id. */
	struct policy_pause_req req = {0};
	uint32_t id;
	snprintf(req.lists[0], sizeof(req.lists[0]), "video");
	req.n_lists = 1;
	CHECK_INT(policy_plan(&s, &req, T("2026-03-09T15:00:00+01:00"), 1800, 0, 0, &id), 0);
	CHECK_INT(due(c, &s, "2026-03-09T14:50:00+01:00", v, &nw, &until), 0);
	CHECK_INT(nw, T("2026-03-09T14:56:00+01:00"));
	CHECK_INT(until, nw);
	CHECK_INT(due(c, &s, "2026-03-09T14:57:00+01:00", v, &nw, &until), 1);
	CHECK_STR(v[0].name, "pause");
	CHECK_INT(v[0].plan_id, id);
	CHECK_INT(v[0].start, T("2026-03-09T15:00:00+01:00"));
	CHECK_INT(v[0].end, T("2026-03-09T15:30:00+01:00"));
	CHECK_INT(v[0].lists, 2);

	/* Inside a pause on every list, the plan tells nothing new. */
	s.adhoc.on = true;
	s.adhoc.start = T("2026-03-09T14:00:00+01:00");
	s.adhoc.end = T("2026-03-09T16:00:00+01:00");
	CHECK_INT(due(c, &s, "2026-03-09T14:57:00+01:00", v, &nw, &until), 0);
	conf_free(c);
}

static void test_rule(void)
{
	time_t next = 0;

	CHECK(!policy_warn_due(1000, 0, 990, &next)); /* off */
	CHECK_INT(next, 0);
	CHECK(!policy_warn_due(1000, 60, 1000, &next)); /* started */
	CHECK(!policy_warn_due(1000, 60, 900, &next));
	CHECK_INT(next, 940);
	CHECK(!policy_warn_due(2000, 60, 900, &next)); /* a later one keeps the sooner */
	CHECK_INT(next, 940);
	CHECK(policy_warn_due(1000, 60, 940, &next));
	CHECK(policy_warn_due(1000, 60, 999, NULL));

	/* Covered for the same users only, not for others. */
	struct whom a = {.n_uids = 1, .uids = {1000}}, b = {.n_uids = 1, .uids = {1001}};
	struct inforce in = {0};
	policy_add_inforce(&in, 1, &a);
	CHECK(policy_warn_covered(&in, 1, &a));
	CHECK(!policy_warn_covered(&in, 1, &b));
	CHECK(!policy_warn_covered(&in, 1, NULL));
	policy_add_inforce(&in, 3, NULL);
	CHECK(policy_warn_covered(&in, 3, &b));
}

static void test_keys(void)
{
	const char *bad[] = {
	    "[daemon]\nwarn = 5\n",  /* a unit is needed but for 0 */
	    "[daemon]\nwarn = 2d\n", /* at most a day */
	    "[list x]\ndomains = a.example\nwarn = 1m\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse(bad[i], -22);
	struct conf *c = parse("[daemon]\nwarn = 0\n", 0);
	CHECK_INT(c->warn, 0);
	conf_free(c);
	c = parse("[list x]\ndomains = a.example\n[break b]\ntimes = 09:00-10:00\n", 0);
	CHECK_INT(c->warn, 300); /* the default */
	CHECK_INT(c->breaks[0].warn, 300);
	conf_free(c);
}

int main(void)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	test_scheduled();
	test_dated_and_planned();
	test_rule();
	test_keys();
	CHECK_DONE();
}
