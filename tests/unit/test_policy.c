/* Unit tests of the break policy at fixed instants (Europe/Berlin): what is
 * in force when scheduled and ad-hoc breaks overlap, how a pause merges into
 * a running one, resume and skip, the verdict of `smctl check`, the schedule,
 * and the strict veto for every kind of loosening. No clock, no root, no
 * daemon: configs are parsed from text, instants written as ISO strings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "users.h"
#include "domains.h"
#include "policy.h"
#include "sched.h"

#define BOOT "0123abcd-0123-4567-89ab-0123456789ab"

static time_t T(const char *iso)
{
	time_t t = 0;

	if (sched_parse_iso(iso, &t) != 0)
		fprintf(stderr, "bad instant in the test: %s\n", iso);
	return t;
}

static struct conf *parse(const char *text)
{
	struct conf_errors errs = {0};
	struct conf *c = NULL;
	int r = conf_parse("test.conf", text, strlen(text), &c, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	CHECK_INT(r, 0);
	conf_errors_clear(&errs);
	if (c)
		users_resolve(c, NULL);
	return c;
}

/* A clock at iso, with CLOCK_BOOTTIME at boot seconds. */
static struct policy_clock at(const char *iso, int64_t boot)
{
	return (struct policy_clock){.now = T(iso), .boottime = boot, .boot_id = BOOT};
}

static uint64_t list_bit(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_lists; i++)
		if (strcmp(c->lists[i].name, name) == 0)
			return UINT64_C(1) << i;
	return 0;
}

static const char *base_conf = "[list social]\n"
                               "domains = instagram.com reddit.com\n"
                               "services = instagram tiktok\n"
                               "[list video]\n"
                               "domains = youtube.com\n"
                               "[break work]\n"
                               "days = mon-fri\n"
                               "times = 09:00-12:00 13:00-17:30\n"
                               "lists = social\n"
                               "[break night]\n"
                               "days = daily\n"
                               "times = 22:30-07:00\n"
                               "lists = social video\n"
                               "strict = yes\n";

static struct state_adhoc pause_req(const struct state_adhoc *a, struct policy_pause_req *req,
                                    const struct policy_clock *clk, enum policy_pause_outcome want)
{
	struct state_adhoc out;

	CHECK_INT(policy_pause(a, req, clk, 3600, &out), want);
	return out;
}

/* 2026-03-09 is a Monday; Berlin is on CET (+01:00) then. */
static void test_inforce(void)
{
	struct conf *c = parse(base_conf);
	struct state s = {0};
	struct policy_clock clk = at("2026-03-09T11:00:00+01:00", 1000);
	struct policy p;

	/* The work break alone. */
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(p.in.lists, list_bit(c, "social"));
	CHECK(!p.in.strict);
	CHECK_INT(p.in.end, T("2026-03-09T12:00:00+01:00"));
	CHECK_INT(p.in.until, T("2026-03-09T12:00:00+01:00"));
	CHECK_STR(p.in.reason, "break work until 12:00");
	CHECK(p.breaks[0].on && !p.breaks[1].on);
	CHECK_INT(p.next, 0); /* work again at 13:00, before night at 22:30 */
	CHECK_INT(p.breaks[0].next_start, T("2026-03-09T13:00:00+01:00"));
	policy_clear(&p);

	/* A pause on video overlapping it, past its end. */
	struct policy_pause_req req = {.have_end = true, .end = T("2026-03-09T13:30:00+01:00")};
	snprintf(req.lists[0], sizeof(req.lists[0]), "video");
	req.n_lists = 1;
	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_STARTED);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(p.in.lists, list_bit(c, "social") | list_bit(c, "video"));
	CHECK_INT(p.in.end, T("2026-03-09T13:30:00+01:00"));
	CHECK_INT(p.in.until, T("2026-03-09T12:00:00+01:00"));
	CHECK_STR(p.in.reason, "pause until 13:30, break work until 12:00");
	CHECK(p.pause_on && !p.pause_strict);
	CHECK_INT(p.pause_lists, list_bit(c, "video"));
	policy_clear(&p);

	/* Skipped: the work break is active but not in force. */
	CHECK_INT(state_add_skip(&s, "work", T("2026-03-09T12:00:00+01:00")), 0);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.breaks[0].active && p.breaks[0].skipped && !p.breaks[0].on);
	CHECK_INT(p.in.lists, list_bit(c, "video"));
	policy_clear(&p);

	/* Past its end the pause is expired, and the caller is told. */
	clk = at("2026-03-09T14:00:00+01:00", 11800);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(!p.pause_on && p.pause_expired);
	CHECK_INT(p.in.lists, list_bit(c, "social"));
	policy_clear(&p);

	/* The strict night break, crossing midnight. */
	memset(&s, 0, sizeof(s));
	clk = at("2026-03-09T23:00:00+01:00", 1000);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.in.strict);
	CHECK_INT(p.in.end, T("2026-03-10T07:00:00+01:00"));
	CHECK_STR(p.in.reason, "break night until Tue 07:00");
	policy_clear(&p);
	conf_free(c);
}

static void test_pause_merge(void)
{
	struct conf *c = parse(base_conf);
	struct policy_clock clk = at("2026-03-09T10:00:00+01:00", 5000);
	struct state_adhoc a = {0}, b;
	struct policy_pause_req req = {0};

	/* Bare pause, none running: pause_default. */
	a = pause_req(&a, &req, &clk, POLICY_PAUSE_STARTED);
	CHECK(a.on && !a.strict);
	CHECK_INT(a.end, T("2026-03-09T11:00:00+01:00"));
	CHECK_INT(a.n_lists, 0);
	/* Bare pause on a running one toggles it off (the caller resumes). */
	pause_req(&a, &req, &clk, POLICY_PAUSE_TOGGLE);

	/* Extended, never shortened. */
	req = (struct policy_pause_req){.have_end = true, .end = T("2026-03-09T10:30:00+01:00")};
	b = pause_req(&a, &req, &clk, POLICY_PAUSE_UNCHANGED);
	CHECK_INT(b.end, T("2026-03-09T11:00:00+01:00"));
	req.end = T("2026-03-09T12:00:00+01:00");
	a = pause_req(&a, &req, &clk, POLICY_PAUSE_EXTENDED);
	CHECK_INT(a.end, T("2026-03-09T12:00:00+01:00"));

	/* --strict with no length tightens the running pause, to its end. */
	req = (struct policy_pause_req){.strict = true};
	b = pause_req(&a, &req, &clk, POLICY_PAUSE_EXTENDED);
	CHECK(b.on && b.strict);
	CHECK_INT(b.end, T("2026-03-09T12:00:00+01:00"));
	CHECK_INT(b.strict_end, T("2026-03-09T12:00:00+01:00"));
	CHECK_INT(b.boot_start, 5000);
	CHECK_INT(b.length, 7200);
	CHECK_STR(b.boot_id, BOOT);
	/* ... and again is no change. */
	pause_req(&b, &req, &clk, POLICY_PAUSE_UNCHANGED);

	/* --list with no length tightens too: a pause on every list stays so. */
	req = (struct policy_pause_req){.n_lists = 1};
	snprintf(req.lists[0], sizeof(req.lists[0]), "video");
	b = pause_req(&a, &req, &clk, POLICY_PAUSE_UNCHANGED);
	CHECK_INT(b.n_lists, 0);
	/* A pause on some lists gains the new one, never loses one. */
	struct state_adhoc v = a;
	snprintf(v.lists[0], sizeof(v.lists[0]), "social");
	v.n_lists = 1;
	b = pause_req(&v, &req, &clk, POLICY_PAUSE_EXTENDED);
	CHECK_INT(b.n_lists, 2);
	CHECK_STR(b.lists[1], "video");
	CHECK_INT(b.end, v.end);
	/* A longer pause on every list widens it. */
	req = (struct policy_pause_req){.have_end = true, .end = T("2026-03-09T13:00:00+01:00")};
	b = pause_req(&v, &req, &clk, POLICY_PAUSE_EXTENDED);
	CHECK_INT(b.n_lists, 0);

	/* A strict pause started with a length: strict on both clocks. */
	struct state_adhoc none = {0};
	req = (struct policy_pause_req){
	    .have_end = true, .end = T("2026-03-09T11:00:00+01:00"), .strict = true};
	a = pause_req(&none, &req, &clk, POLICY_PAUSE_STARTED);
	CHECK(a.strict);
	CHECK_INT(a.strict_end, T("2026-03-09T11:00:00+01:00"));
	CHECK_INT(a.length, 3600);
	conf_free(c);
}

/* A strict pause extended by a longer non-strict one: only the strict part
 * stays strict. */
static void test_strict_part(void)
{
	struct conf *c = parse(base_conf);
	struct policy_clock clk = at("2026-03-09T10:00:00+01:00", 5000);
	struct state s = {0};
	struct policy_pause_req req = {
	    .have_end = true, .end = T("2026-03-09T11:00:00+01:00"), .strict = true};
	struct policy p;
	const char *brk = NULL;

	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_STARTED);
	req = (struct policy_pause_req){.have_end = true, .end = T("2026-03-09T13:00:00+01:00")};
	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_EXTENDED);
	CHECK_INT(s.adhoc.end, T("2026-03-09T13:00:00+01:00"));
	CHECK_INT(s.adhoc.strict_end, T("2026-03-09T11:00:00+01:00"));

	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.pause_on && p.pause_strict && p.in.strict);
	CHECK_INT(p.pause_end, T("2026-03-09T13:00:00+01:00"));
	CHECK_INT(p.pause_strict_end, T("2026-03-09T11:00:00+01:00"));
	CHECK_INT(p.in.until, T("2026-03-09T11:00:00+01:00")); /* strictness changes then */
	CHECK_INT(policy_resume(c, &p, &s, &brk), POLICY_RESUME_STRICT);
	policy_clear(&p);

	/* After the strict part the pause goes on, and may be ended. */
	clk = at("2026-03-09T11:30:00+01:00", 5000 + 5400);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.pause_on && !p.pause_strict);
	CHECK(!p.in.strict);
	CHECK_INT(policy_resume(c, &p, &s, &brk), POLICY_RESUME_OK);
	policy_clear(&p);

	/* The clock set forward past the strict end, in the same boot: the boot
	 * measure holds it strict for the 30 minutes of it really left. */
	clk = at("2026-03-09T12:00:00+01:00", 5000 + 1800);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.pause_strict);
	CHECK_INT(p.pause_strict_end, T("2026-03-09T12:30:00+01:00"));
	policy_clear(&p);
	/* ... past the whole pause even: it runs on as long as the strict part. */
	clk = at("2026-03-09T20:00:00+01:00", 5000 + 1800);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.pause_on && p.pause_strict && !p.pause_expired);
	CHECK_INT(p.pause_end, T("2026-03-09T20:30:00+01:00"));
	policy_clear(&p);
	/* ... but in another boot only the wall clock counts. */
	clk.boot_id = "ffffffff-0123-4567-89ab-0123456789ab";
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(!p.pause_on && p.pause_expired);
	policy_clear(&p);

	/* A strict extension of a strict pause makes the strict part longer. */
	clk = at("2026-03-09T10:30:00+01:00", 6800);
	req = (struct policy_pause_req){
	    .have_end = true, .end = T("2026-03-09T12:00:00+01:00"), .strict = true};
	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_EXTENDED);
	CHECK_INT(s.adhoc.strict_end, T("2026-03-09T12:00:00+01:00"));
	CHECK_INT(s.adhoc.end, T("2026-03-09T13:00:00+01:00"));
	CHECK_INT(s.adhoc.boot_start + s.adhoc.length, 6800 + 5400);
	conf_free(c);
}

static void test_resume_skip(void)
{
	struct conf *c = parse(base_conf);
	struct state s = {0};
	struct policy_clock clk = at("2026-03-09T11:00:00+01:00", 1000);
	struct policy p;
	const char *brk = NULL;
	bool skip[2], delayed[2], strict[2];

	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_resume(c, &p, &s, &brk), POLICY_RESUME_SCHEDULED);
	CHECK_STR(brk, "work");
	CHECK_INT(policy_skip(c, &p, skip, delayed, strict), 1);
	CHECK(skip[0] && !strict[0] && !skip[1] && !strict[1]);
	policy_clear(&p);

	clk = at("2026-03-09T20:00:00+01:00", 1000);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_resume(c, &p, &s, &brk), POLICY_RESUME_NONE);
	CHECK_INT(policy_skip(c, &p, skip, delayed, strict), 0);
	CHECK(!skip[0] && !strict[0] && !skip[1] && !strict[1]);
	policy_clear(&p);

	/* The strict night break cannot be skipped. */
	clk = at("2026-03-09T23:00:00+01:00", 1000);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_skip(c, &p, skip, delayed, strict), 0);
	CHECK(!skip[1] && strict[1]);
	policy_clear(&p);
	conf_free(c);
}

static void test_check_schedule(void)
{
	struct conf *c = parse(base_conf);
	struct state s = {0};
	struct policy_clock clk = at("2026-03-09T11:00:00+01:00", 1000);
	struct policy p;
	uint64_t social = list_bit(c, "social"), video = list_bit(c, "video");

	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_check(c, &p, social, 0, false), POLICY_BLOCKED_NOW);
	CHECK_INT(policy_check(c, &p, video, 0, false), POLICY_BLOCKED_DURING);
	CHECK_INT(policy_check(c, &p, 0, social, false), POLICY_ALLOWED);
	CHECK_INT(policy_check(c, &p, 0, 0, false), POLICY_UNLISTED);
	CHECK_INT(policy_check(c, &p, 0, 0, true), POLICY_BLOCKED_NOW); /* any break */
	policy_clear(&p);
	struct policy_clock evening = at("2026-03-09T20:00:00+01:00", 1000);
	CHECK_INT(policy_eval(c, &s, &evening, &p), 0);
	CHECK_INT(policy_check(c, &p, 0, 0, true), POLICY_BYPASS_DURING);
	CHECK_INT(policy_check(c, &p, video, 0, true), POLICY_BYPASS_DURING);
	policy_clear(&p);

	struct conf *c2 = parse("[list social]\ndomains = a.example\n[list spare]\n"
	                        "domains = b.example\n[break b]\ntimes = 09:00-10:00\n"
	                        "lists = social\n");
	CHECK_INT(policy_eval(c2, &s, &clk, &p), 0);
	CHECK_INT(policy_check(c2, &p, list_bit(c2, "spare"), 0, false), POLICY_LISTED_UNUSED);
	policy_clear(&p);
	conf_free(c2);

	/* Monday 11:00, two days (to Wednesday 11:00): work's two windows a day and
	 * night every day, sorted by start. */
	struct policy_entry v[16];
	size_t n = policy_schedule(c, clk.now, 2, v, 16);
	CHECK_INT(n, 7); /* and Wed 09:00, before the horizon */
	CHECK_INT(v[0].brk, 0);
	CHECK_INT(v[0].start, T("2026-03-09T09:00:00+01:00")); /* on now */
	CHECK_INT(v[1].start, T("2026-03-09T13:00:00+01:00"));
	CHECK_INT(v[2].brk, 1);
	CHECK_INT(v[2].start, T("2026-03-09T22:30:00+01:00"));
	CHECK_INT(v[2].end, T("2026-03-10T07:00:00+01:00"));
	CHECK_INT(v[3].start, T("2026-03-10T09:00:00+01:00"));
	CHECK_INT(v[5].start, T("2026-03-10T22:30:00+01:00"));
	CHECK_INT(policy_schedule(c, clk.now, 2, v, 2), 2);

	conf_free(c);
}

/* One veto case: new config text against base_conf at `when` (a strict
 * break or pause in force), wanting `n` refusals, each containing one of
 * the substrings of want (NULL-terminated). */
static void veto_case(const struct state *s, const char *when, const char *next_text, size_t n,
                      const char *const *want)
{
	struct conf *oc = parse(base_conf), *nc = parse(next_text);
	struct policy_clock clk = at(when, 1000);
	struct conf_errors errs = {0};

	CHECK_INT(policy_veto(oc, nc, NULL, NULL, s, &clk, &errs), n);
	CHECK_INT(errs.n, n);
	for (size_t i = 0; want && want[i]; i++) {
		bool found = false;
		for (size_t k = 0; k < errs.n; k++)
			found |= strstr(errs.msgs[k], want[i]) != NULL;
		if (!found)
			fprintf(stderr, "veto case: no error names \"%s\"\n", want[i]);
		CHECK(found);
	}
	conf_errors_clear(&errs);
	conf_free(oc);
	conf_free(nc);
}

static void test_veto(void)
{
	const char *night = "2026-03-09T23:00:00+01:00";
	struct state none = {0};
	char text[2048];

	/* The same config, and a tighter one, go through. */
	veto_case(&none, night, base_conf, 0, NULL);
	snprintf(text, sizeof(text), "%s%s", base_conf, "[list more]\ndomains = x.example\n");
	veto_case(&none, night, text, 0, NULL);

	/* Every loss in a list of the strict break is named, not only the first. */
	veto_case(&none, night,
	          "[list social]\ndomains = reddit.com\nservices = \n"
	          "allow = old.reddit.com\n[list video]\ndomains = youtube.com\n"
	          "[break work]\ndays = mon-fri\ntimes = 09:00-12:00\nlists = social\n"
	          "[break night]\ndays = daily\ntimes = 22:30-07:00\nlists = social video\n"
	          "strict = yes\n",
	          4,
	          (const char *const[]){
	              "cannot lose domain 'instagram.com'", "cannot lose service 'instagram'",
	              "cannot lose service 'tiktok'", "cannot gain allow entry 'old.reddit.com'",
	              "refused during strict break 'night' (until Tue 07:00)", NULL});
	/* A list removed; the break dropping a list. */
	veto_case(&none, night,
	          "[list social]\ndomains = instagram.com reddit.com\n"
	          "services = instagram tiktok\n[break night]\ndays = daily\n"
	          "times = 22:30-07:00\nlists = social\nstrict = yes\n",
	          2,
	          (const char *const[]){"the break cannot drop list 'video'",
	                                "list 'video' cannot be removed", NULL});
	/* The break made non-strict, shortened, or removed. */
	const char *const must[] = {"the break must stay strict and on until then", NULL};
	veto_case(&none, night,
	          "[list social]\ndomains = instagram.com reddit.com\nservices = instagram "
	          "tiktok\n[list video]\ndomains = youtube.com\n[break night]\ndays = daily\n"
	          "times = 22:30-07:00\nlists = social video\nstrict = no\n",
	          1, must);
	veto_case(&none, night,
	          "[list social]\ndomains = instagram.com reddit.com\nservices = instagram "
	          "tiktok\n[list video]\ndomains = youtube.com\n[break night]\ndays = daily\n"
	          "times = 22:30-06:00\nlists = social video\nstrict = yes\n",
	          1, must);
	veto_case(&none, night,
	          "[list social]\ndomains = instagram.com reddit.com\nservices = instagram "
	          "tiktok\n[list video]\ndomains = youtube.com\n",
	          1, must);
	/* Outside the strict break the same loosening is fine. */
	veto_case(&none, "2026-03-09T20:00:00+01:00",
	          "[list social]\ndomains = reddit.com\n[break night]\ntimes = 23:00-01:00\n", 0,
	          NULL);

	/* A strict pause on video only guards video. */
	struct state s = {0};
	struct policy_clock clk = at("2026-03-09T20:00:00+01:00", 1000);
	struct policy_pause_req req = {
	    .have_end = true, .end = T("2026-03-09T21:00:00+01:00"), .strict = true, .n_lists = 1};
	snprintf(req.lists[0], sizeof(req.lists[0]), "video");
	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_STARTED);
	veto_case(&s, "2026-03-09T20:00:00+01:00",
	          "[list social]\ndomains = reddit.com\n[list video]\nfiles = /etc/x.txt\n", 1,
	          (const char *const[]){"refused during the strict pause (until 21:00): list "
	                                "'video' cannot lose domain 'youtube.com'",
	                                NULL});
	veto_case(&s, "2026-03-09T20:00:00+01:00", "[list social]\ndomains = reddit.com\n", 1,
	          (const char *const[]){"list 'video' cannot be removed", NULL});
}

/* Files and earlier errors: a list file dropped is refused; the veto counts
 * only its own refusals, so a list build's skipped-line reports already in
 * errs are not taken for one. */
static void test_veto_files(void)
{
	const char *old_text = "[list social]\nfiles = /etc/smbreak/lists.d/*.txt /srv/a.txt\n"
	                       "[break night]\ntimes = 22:30-07:00\nstrict = yes\n";
	struct conf *oc = parse(old_text);
	struct conf *nc = parse("[list social]\nfiles = /srv/a.txt\n[break night]\n"
	                        "times = 22:30-07:00\nstrict = yes\n");
	struct policy_clock clk = at("2026-03-09T23:00:00+01:00", 1000);
	struct conf_errors errs = {0};
	struct state s = {0};

	conf_errors_add(&errs, "/srv/a.txt:3: bad line skipped");
	CHECK_INT(policy_veto(oc, oc, NULL, NULL, &s, &clk, &errs), 0);
	CHECK_INT(errs.n, 1);
	CHECK_INT(policy_veto(oc, nc, NULL, NULL, &s, &clk, &errs), 1);
	CHECK_INT(errs.n, 2);
	CHECK(strstr(errs.msgs[1], "cannot lose file '/etc/smbreak/lists.d/*.txt'") != NULL);
	conf_errors_clear(&errs);
	conf_free(oc);
	conf_free(nc);
}

/* A strict scheduled break in force keeps its remaining length on
 * CLOCK_BOOTTIME: a clock step or a zone change does not end it early. */
static void test_hold(void)
{
	struct conf *c = parse(base_conf);
	struct state s = {0};
	struct policy_clock clk = at("2026-03-09T23:00:00+01:00", 1000);
	struct policy p;

	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(policy_hold(c, &p, &clk, &s));
	CHECK_INT(s.n_holds, 1);
	CHECK_STR(s.holds[0].name, "night");
	CHECK_INT(s.holds[0].boot_end, 1000 + 8 * 3600);
	CHECK_INT(s.holds[0].end, T("2026-03-10T07:00:00+01:00"));
	CHECK(!policy_hold(c, &p, &clk, &s)); /* in step already */
	policy_clear(&p);
	/* The non-strict work break gets none. */
	struct policy_clock w = at("2026-03-10T10:00:00+01:00", 1000 + 11 * 3600);
	struct state ws = {0};
	CHECK_INT(policy_eval(c, &ws, &w, &p), 0);
	CHECK(p.breaks[0].on);
	CHECK(!policy_hold(c, &p, &w, &ws));
	CHECK_INT(ws.n_holds, 0);
	policy_clear(&p);

	/* The clock set 10 hours forward, ten minutes later: still on, for the
	 * 7h50m really left. */
	clk = at("2026-03-10T09:10:00+01:00", 1000 + 600);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.breaks[1].on && p.in.strict);
	CHECK_INT(p.breaks[1].end, T("2026-03-10T17:00:00+01:00"));
	CHECK_INT(p.in.until, T("2026-03-10T12:00:00+01:00")); /* work, on now, ends sooner */
	CHECK(!policy_hold(c, &p, &clk, &s));
	CHECK_INT(s.n_holds, 1);
	/* The veto holds it too: the same config passes, dropping its strictness does not. */
	struct conf_errors errs = {0};
	CHECK_INT(policy_veto(c, c, NULL, NULL, &s, &clk, &errs), 0);
	struct conf *loose = parse("[list social]\ndomains = instagram.com\n");
	CHECK(policy_veto(c, loose, NULL, NULL, &s, &clk, &errs) > 0);
	conf_errors_clear(&errs);
	conf_free(loose);
	policy_clear(&p);

	/* A zone change: the same instants read in another zone, still on. */
	setenv("TZ", "America/New_York", 1);
	tzset();
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.breaks[1].on);
	policy_clear(&p);
	setenv("TZ", "Europe/Berlin", 1);
	tzset();

	/* In another boot only the wall clock counts, and the hold goes. */
	clk.boot_id = "ffffffff-0123-4567-89ab-0123456789ab";
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(!p.breaks[1].on);
	CHECK(policy_hold(c, &p, &clk, &s));
	CHECK_INT(s.n_holds, 0);
	policy_clear(&p);

	/* Once the boot measure has passed, it ends, and the hold goes. */
	s.n_holds = 1;
	clk = at("2026-03-10T17:00:01+01:00", 1000 + 8 * 3600 + 1);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(!p.breaks[1].on);
	CHECK(policy_hold(c, &p, &clk, &s));
	CHECK_INT(s.n_holds, 0);
	policy_clear(&p);
	conf_free(c);
}

/* Domains for [list social] (index 0) from names; allow entries after "!". */
static struct domains *mkdomains(const char *const *names)
{
	struct domains_builder *b = domains_builder_new();
	int block = domains_builder_origin(b, 0, false, "test");
	int allow = domains_builder_origin(b, 0, true, "test allow");

	for (size_t i = 0; names[i]; i++) {
		bool al = names[i][0] == '!';
		const char *n = names[i] + al;
		CHECK_INT(domains_builder_add(b, n, strlen(n), (uint32_t)(al ? allow : block), 0),
		          0);
	}
	return domains_builder_finish(b);
}

/* The veto compares what the lists block, not the words that name them, and
 * guards the [daemon] keys too. */
static void test_veto_names(void)
{
	const char *text = "[daemon]\nintercept = yes\nlisten = 127.0.0.153:53\n"
	                   "[list social]\nfiles = /srv/social.txt\n"
	                   "[break night]\ntimes = 22:30-07:00\nstrict = yes\n";
	struct conf *oc = parse(text), *nc = parse(text);
	struct policy_clock clk = at("2026-03-09T23:00:00+01:00", 1000);
	struct conf_errors errs = {0};
	struct state s = {0};
	struct domains *od = mkdomains((const char *const[]){"a.example", "b.example", NULL});
	struct domains *same = mkdomains((const char *const[]){"b.example", "a.example", NULL});
	struct domains *emptied = mkdomains((const char *const[]){"a.example", NULL});
	struct domains *freed =
	    mkdomains((const char *const[]){"a.example", "b.example", "!b.example", NULL});

	CHECK_INT(policy_veto(oc, nc, od, same, &s, &clk, &errs), 0);
	CHECK_INT(policy_veto(oc, nc, od, emptied, &s, &clk, &errs), 1);
	CHECK_INT(errs.n, 1);
	CHECK_STR(errs.msgs[0], "refused during a strict break: list 'social' would no longer "
	                        "block 'b.example'");
	conf_errors_clear(&errs);
	CHECK_INT(policy_veto(oc, nc, od, freed, &s, &clk, &errs), 1);
	conf_errors_clear(&errs);
	/* Outside the strict break nothing is guarded. */
	struct policy_clock day = at("2026-03-09T12:00:00+01:00", 1000);
	CHECK_INT(policy_veto(oc, nc, od, emptied, &s, &day, &errs), 0);

	/* Many names lost: the first 20 named, the rest counted. */
	const char *many[32];
	char bufs[30][16];
	for (int i = 0; i < 30; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "n%d.example", i);
		many[i] = bufs[i];
	}
	many[30] = NULL;
	struct domains *big = mkdomains(many);
	CHECK_INT(policy_veto(oc, nc, big, emptied, &s, &clk, &errs), 30);
	CHECK_INT(errs.n, POLICY_VETO_NAMES + 1);
	CHECK(strstr(errs.msgs[errs.n - 1], "and 10 more names") != NULL);
	conf_errors_clear(&errs);

	/* [daemon] keys that loosen, each named. */
	struct conf *loose = parse("[daemon]\nintercept = no\nlisten = 127.0.0.1:5353\n"
	                           "blocked_answer = refused\nlearn_max = 1h\n"
	                           "[list social]\nfiles = /srv/social.txt\n"
	                           "[break night]\ntimes = 22:30-07:00\nstrict = yes\n");
	CHECK_INT(policy_veto(oc, loose, od, same, &s, &clk, &errs), 4);
	const char *const want[] = {
	    "intercept cannot be turned off", "listen cannot lose 127.0.0.153:53",
	    "blocked_answer cannot become refused", "learn_min and learn_max cannot be lowered"};
	for (size_t i = 0; i < 4 && i < errs.n; i++)
		CHECK(strstr(errs.msgs[i], want[i]) != NULL);
	conf_errors_clear(&errs);
	/* The other way is tightening, but for the listen address it drops. */
	CHECK_INT(policy_veto(loose, oc, same, od, &s, &clk, &errs), 1);
	CHECK(errs.n == 1 && strstr(errs.msgs[0], "listen cannot lose 127.0.0.1:5353"));
	conf_errors_clear(&errs);

	conf_free(loose);
	domains_free(big);
	domains_free(od);
	domains_free(same);
	domains_free(emptied);
	domains_free(freed);
	conf_free(oc);
	conf_free(nc);
}

/* A dated break: one interval between two local times, strict like any. */
static void test_dated(void)
{
	struct conf *c = parse("[list social]\ndomains = a.example\n[break off]\n"
	                       "from = 2026-10-02 15:30\nuntil = 2026-10-04 16:00\nstrict = yes\n");
	struct state s = {0};
	struct policy_clock clk = at("2026-10-01T12:00:00+02:00", 1000);
	struct policy p;
	bool skip[1], delayed[1], strict[1];

	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(!p.breaks[0].on);
	CHECK_INT(p.breaks[0].next_start, T("2026-10-02T15:30:00+02:00"));
	CHECK_INT(p.in.until, T("2026-10-02T15:25:00+02:00")); /* its warning */
	policy_clear(&p);
	clk = at("2026-10-03T12:00:00+02:00", 1000);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.breaks[0].on && p.in.strict);
	CHECK_INT(p.in.end, T("2026-10-04T16:00:00+02:00"));
	CHECK_INT(policy_skip(c, &p, skip, delayed, strict), 0);
	CHECK(strict[0]);
	policy_clear(&p);
	clk = at("2026-10-04T16:00:00+02:00", 1000);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(!p.breaks[0].on && p.next < 0 && p.in.until == 0); /* over, for good */
	policy_clear(&p);
	struct policy_entry v[4];
	CHECK_INT(policy_schedule(c, T("2026-09-30T12:00:00+02:00"), 7, v, 4), 1);
	CHECK_INT(v[0].end, T("2026-10-04T16:00:00+02:00"));
	conf_free(c);
}

/* Planned pauses and focus cycles: kept in the state, started when due,
 * cancellable before. */
static void test_plans(void)
{
	struct conf *c = parse(base_conf);
	struct state s = {0};
	struct policy_clock clk = at("2026-03-09T14:00:00+01:00", 1000);
	struct policy_pause_req req = {.strict = true};
	struct policy p;
	uint32_t id;

	/* Four 25-minute cycles with 5 minutes of rest, from 15:00. */
	CHECK_INT(policy_plan(&s, &req, T("2026-03-09T15:00:00+01:00"), 25 * 60, 4, 5 * 60, &id),
	          0);
	CHECK_INT(id, 1);
	CHECK_INT(s.n_plans, 4);
	CHECK_INT(s.plans[3].start, T("2026-03-09T16:30:00+01:00"));
	CHECK_INT(s.plans[3].end, T("2026-03-09T16:55:00+01:00"));
	CHECK_INT(s.plans[3].cycle, 4);
	/* One more, later: its id follows. */
	req = (struct policy_pause_req){.n_lists = 1};
	snprintf(req.lists[0], sizeof(req.lists[0]), "video");
	CHECK_INT(policy_plan(&s, &req, T("2026-03-09T20:00:00+01:00"), 3600, 0, 0, &id), 0);
	CHECK_INT(id, 5);
	/* Nothing is due yet; the first start's warning is the next transition. */
	CHECK(!policy_start_plans(&s, &clk, 3600));
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(p.in.until, T("2026-03-09T14:55:00+01:00")); /* its warning */
	policy_clear(&p);
	/* A strict plan can be cancelled before it starts. */
	CHECK(policy_cancel(&s, 2));
	CHECK(!policy_cancel(&s, 2));
	CHECK_INT(s.n_plans, 4);

	/* At 15:00 the first cycle starts: a strict pause, cycle 1 of 4. */
	clk = at("2026-03-09T15:00:00+01:00", 4600);
	CHECK(policy_start_plans(&s, &clk, 3600));
	CHECK_INT(s.n_plans, 3);
	CHECK(s.adhoc.on && s.adhoc.strict);
	CHECK_INT(s.adhoc.end, T("2026-03-09T15:25:00+01:00"));
	CHECK_INT(s.adhoc.cycle, 1);
	CHECK_INT(s.adhoc.cycles, 4);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.pause_on && p.pause_strict);
	policy_clear(&p);

	/* Round trip through the state file. */
	char buf[8192], err[128];
	struct state t2;
	int len = state_format(&s, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK_INT(state_parse(buf, (size_t)len, &t2, err, sizeof(err)), 0);
	CHECK_INT(t2.n_plans, 3);
	CHECK_INT(t2.plans[2].id, 5);
	CHECK_STR(t2.plans[2].lists[0], "video");
	CHECK_INT(t2.adhoc.cycle, 1);
	CHECK_INT(t2.next_plan_id, 6);

	/* A plan missed whole (the daemon was down) is dropped, not started. */
	clk = at("2026-03-09T21:30:00+01:00", 30000);
	CHECK(policy_start_plans(&s, &clk, 3600));
	CHECK_INT(s.n_plans, 0);
	conf_free(c);
}

/* Friction: a resume or skip with an unlock delay applies only after it,
 * and a pause takes a waiting resume back. */
static void test_unlock(void)
{
	struct conf *c = parse("[list social]\ndomains = a.example\n[break work]\n"
	                       "times = 09:00-17:00\nunlock_delay = 15m\n");
	struct policy_clock clk = at("2026-03-09T10:00:00+01:00", 1000);
	struct state s = {0};
	struct policy p;
	struct policy_pause_req req = {
	    .have_end = true, .end = T("2026-03-09T12:00:00+01:00"), .unlock_delay = 120};
	const char *brk = NULL;
	bool skip[1], delayed[1], strict[1];

	CHECK_INT(c->breaks[0].unlock_delay, 900);
	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_STARTED);
	CHECK_INT(s.adhoc.unlock_delay, 120);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_resume(c, &p, &s, &brk), POLICY_RESUME_DELAYED);
	CHECK_INT(s.adhoc.unlock_at, clk.now + 120);
	CHECK_INT(policy_resume(c, &p, &s, &brk), POLICY_RESUME_PENDING);
	policy_clear(&p);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.pause_on);
	CHECK_INT(p.pause_unlock_at, clk.now + 120);
	CHECK_INT(p.in.until, clk.now + 120);
	policy_clear(&p);
	/* A bare pause takes the waiting resume back (and does not toggle). */
	struct policy_pause_req bare = {0};
	s.adhoc = pause_req(&s.adhoc, &bare, &clk, POLICY_PAUSE_EXTENDED);
	CHECK_INT(s.adhoc.unlock_at, 0);
	CHECK(s.adhoc.on);
	/* Asked again, it applies once the delay is over. */
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_resume(c, &p, &s, &brk), POLICY_RESUME_DELAYED);
	policy_clear(&p);
	CHECK(policy_resume_cancel(&s));
	CHECK(!policy_resume_cancel(&s));
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_resume(c, &p, &s, &brk), POLICY_RESUME_DELAYED);
	policy_clear(&p);
	struct policy_clock later = at("2026-03-09T10:01:59+01:00", 1119);
	CHECK(!policy_unlock_due(&s, &later));
	later = at("2026-03-09T10:02:00+01:00", 1120);
	CHECK(policy_unlock_due(&s, &later));
	CHECK(!s.adhoc.on);

	/* A skip of the work break waits its 15 minutes. */
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_skip(c, &p, skip, delayed, strict), 1);
	CHECK(skip[0] && delayed[0] && !strict[0]);
	policy_clear(&p);
	s.unlocks[0] =
	    (struct state_skip){.until = T("2026-03-09T17:00:00+01:00"), .at = clk.now + 900};
	snprintf(s.unlocks[0].name, sizeof(s.unlocks[0].name), "work");
	s.n_unlocks = 1;
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.breaks[0].on);
	CHECK_INT(p.in.until, clk.now + 900);
	policy_clear(&p);
	later = at("2026-03-09T10:15:00+01:00", 1900);
	CHECK(policy_unlock_due(&s, &later));
	CHECK_INT(policy_eval(c, &s, &later, &p), 0);
	CHECK(p.breaks[0].skipped && !p.breaks[0].on);
	policy_clear(&p);
	conf_free(c);
}

/* A state written by hand cannot hold more than the daemon would write. */
static void test_bound(void)
{
	struct policy_clock clk = at("2026-03-09T10:00:00+01:00", 5000);
	struct state s = {0};

	CHECK(!policy_bound(&s, &clk));
	s.adhoc.on = s.adhoc.strict = true;
	s.adhoc.start = clk.now;
	s.adhoc.end = s.adhoc.strict_end = clk.now + 10 * 365 * 86400;
	s.adhoc.boot_start = 5000;
	s.adhoc.length = 10 * 365 * 86400;
	snprintf(s.adhoc.boot_id, sizeof(s.adhoc.boot_id), "%s", BOOT);
	snprintf(s.holds[0].name, sizeof(s.holds[0].name), "night");
	snprintf(s.holds[0].boot_id, sizeof(s.holds[0].boot_id), "%s", BOOT);
	s.holds[0].boot_end = 5000 + 400 * 86400;
	s.n_holds = 1;
	CHECK(policy_bound(&s, &clk));
	CHECK_INT(s.adhoc.end, clk.now + SMB_PAUSE_MAX);
	CHECK_INT(s.adhoc.strict_end, clk.now + SMB_PAUSE_MAX);
	CHECK_INT(s.adhoc.length, SMB_PAUSE_MAX);
	CHECK_INT(s.holds[0].boot_end, 5000 + SMB_PAUSE_MAX);
	CHECK(!policy_bound(&s, &clk)); /* within the bounds now */
	struct policy p;
	struct conf *c = parse(base_conf);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(p.pause_end, clk.now + SMB_PAUSE_MAX);
	policy_clear(&p);
	conf_free(c);
}

/* Lists in force for some senders: one entry per distinct whom, the
 * everyone lists for all, and past INFORCE_SOME_MAX the rest for everyone. */
static void test_whom(void)
{
	struct inforce in = {0};
	struct whom alice = {.n_uids = 1, .uids = {1001}};
	struct whom phone = {.devices = 1u << 3};
	struct whom_id as_alice = {.have_uid = true, .uid = 1001, .device = -1};
	struct whom_id as_bob = {.have_uid = true, .uid = 1002, .device = -1};
	struct whom_id from_phone = {.device = 3};
	struct whom_id from_other = {.device = 4};

	policy_add_inforce(&in, 0x1, &alice);
	policy_add_inforce(&in, 0x2, &phone);
	policy_add_inforce(&in, 0x4, &alice);
	policy_add_inforce(&in, 0x8, NULL);
	CHECK_INT(in.n_some, 2);
	CHECK_INT(in.lists, 0x8);
	CHECK_INT(inforce_lists_for(&in, &as_alice), 0xd);
	CHECK_INT(inforce_lists_for(&in, &as_bob), 0x8);
	CHECK_INT(inforce_lists_for(&in, &from_phone), 0xa);
	CHECK_INT(inforce_lists_for(&in, &from_other), 0x8);
	CHECK(inforce_any(&in));
	policy_add_inforce(&in, 0, &phone); /* nothing added is no entry */
	CHECK_INT(in.n_some, 2);

	struct inforce full = {0};
	for (uint32_t i = 0; i < INFORCE_SOME_MAX + 1; i++) {
		struct whom w = {.n_uids = 1, .uids = {2000 + i}};
		policy_add_inforce(&full, 0x10, &w);
	}
	CHECK_INT(full.n_some, INFORCE_SOME_MAX);
	CHECK_INT(full.lists, 0x10);
	CHECK(!inforce_any(&(struct inforce){0}));
}

/* `users =` resolved, breaks and pauses for some users in inforce.some,
 * one pause at a time, and the veto on narrowing a strict break's users. */
static void test_users(void)
{
	const char *night = "2026-03-09T23:00:00+01:00";
	struct conf_errors warn = {0};
	const char *bad = "[break kids]\ntimes = 22:00-23:30\nusers = 4242x Bob 4242x\n";
	struct conf *c = NULL;
	CHECK_INT(conf_parse("test.conf", bad, strlen(bad), &c, &warn), -EINVAL);
	CHECK_INT(warn.n, 4); /* no list; neither word is a user name nor a uid */
	CHECK(warn.n > 1 && strstr(warn.msgs[1], "bad user '4242x'") != NULL);
	conf_errors_clear(&warn);
	c = parse("[list social]\ndomains = x.example\n[break kids]\ntimes = 22:00-23:30\n"
	          "users = 0 4242 nosuchuser-zz root\n[break ghost]\ntimes = 22:00-23:30\n"
	          "users = nosuchuser-zz\n");
	if (!c)
		return;
	CHECK_INT(users_resolve(c, &warn), 2);
	CHECK_INT(warn.n, 2);
	CHECK(warn.n && strstr(warn.msgs[0], "test.conf:5: warning: user 'nosuchuser-zz' of break "
	                                     "'kids' does not exist") != NULL);
	CHECK_INT(c->breaks[0].whom.n_uids, 2); /* root is 0, given once */
	CHECK_INT(c->breaks[0].whom.uids[1], 4242);
	/* none of its users exists: for nobody, not for everyone */
	CHECK_INT(c->breaks[1].whom.n_uids, 1);
	CHECK_INT(c->breaks[1].whom.uids[0], USERS_NOBODY);
	conf_errors_clear(&warn);
	/* --user's order: ascending, once each, at most 16 */
	struct whom w = {0};
	CHECK_INT(users_add(&w, 9) + users_add(&w, 3) + users_add(&w, 9) + users_add(&w, 5), 0);
	CHECK(w.n_uids == 3 && w.uids[0] == 3 && w.uids[1] == 5 && w.uids[2] == 9);
	for (uint32_t u = 100; w.n_uids < SMB_WHOM_USERS_MAX; u++)
		users_add(&w, u);
	CHECK_INT(users_add(&w, 1), -E2BIG);
	char who[64];
	users_describe(&(struct whom){.n_uids = 2, .uids = {0, 4242}}, who, sizeof(who));
	CHECK_STR(who, " for root, 4242");

	struct state s = {0};
	struct policy p;
	struct policy_clock clk = at(night, 1000);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(p.in.lists, 0);
	CHECK_INT(p.in.n_some, 2);
	struct whom_id as = {.have_uid = true, .uid = 4242, .device = -1};
	CHECK_INT(inforce_lists_for(&p.in, &as), 1);
	as.uid = 1000;
	CHECK_INT(inforce_lists_for(&p.in, &as), 0);
	policy_clear(&p);

	/* A pause for 4242: for them only; another's waits; the same grows. */
	struct policy_pause_req req = {.have_end = true,
	                               .end = T("2026-03-10T00:00:00+01:00"),
	                               .whom = {.n_uids = 1, .uids = {4242}}};
	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_STARTED);
	CHECK_INT(s.adhoc.whom.n_uids, 1);
	struct policy_pause_req other = req;
	other.whom.uids[0] = 1000;
	pause_req(&s.adhoc, &other, &clk, POLICY_PAUSE_OTHER);
	struct policy_pause_req everyone = req;
	everyone.whom.n_uids = 0;
	pause_req(&s.adhoc, &everyone, &clk, POLICY_PAUSE_OTHER);
	req.end += 600;
	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_EXTENDED);
	/* a plan for everyone due meanwhile waits for the end of 4242's */
	uint32_t id;
	CHECK_INT(policy_plan(&s, &everyone, clk.now - 60, 7200, 0, 0, &id), 0);
	CHECK(!policy_start_plans(&s, &clk, 3600));
	CHECK_INT(s.n_plans, 1);
	CHECK_INT(s.adhoc.whom.n_uids, 1);
	struct policy_clock after = at("2026-03-10T00:10:01+01:00", 1000 + 4201);
	struct state later = s;
	CHECK(policy_start_plans(&later, &after, 3600)); /* 4242's is over: it starts */
	CHECK_INT(later.n_plans, 0);
	CHECK_INT(later.adhoc.whom.n_uids, 0);
	s.n_plans = 0;
	conf_free(c);
	c = parse(base_conf);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	/* night (strict, everyone) holds social and video; the pause is for 4242 */
	CHECK_INT(p.in.n_some, 1);
	CHECK(whom_equal(&p.in.some[0].whom, &req.whom));
	policy_clear(&p);
	conf_free(c);

	/* The strict break for everyone may not be narrowed to some users, nor
	 * one for users lose any. */
	struct state none = {0};
	const char *users_night = "[list social]\ndomains = instagram.com reddit.com\n"
	                          "services = instagram tiktok\n[list video]\n"
	                          "domains = youtube.com\n[break night]\ndays = daily\n"
	                          "times = 22:30-07:00\nlists = social video\nstrict = yes\n"
	                          "users = 4242\n";
	veto_case(&none, night, users_night, 1,
	          (const char *const[]){"the break cannot be narrowed to some users", NULL});
	struct conf *oc = parse(users_night), *nc = parse(users_night);
	struct conf_errors errs = {0};
	nc->breaks[0].whom.uids[0] = 1000;
	oc->breaks[0].whom = (struct whom){.n_uids = 2, .uids = {4242, 1000}};
	CHECK_INT(policy_veto(oc, nc, NULL, NULL, &none, &clk, &errs), 1);
	CHECK(errs.n && strstr(errs.msgs[0], "the break cannot drop user 4242") != NULL);
	conf_errors_clear(&errs);
	nc->breaks[0].whom.n_uids = 0; /* widened to everyone: fine */
	CHECK_INT(policy_veto(oc, nc, NULL, NULL, &none, &clk, &errs), 0);
	conf_free(oc);
	conf_free(nc);
}

/* A pause for devices names them: a reload that renumbers the [device]
 * sections moves it with them, one that drops them all leaves it for nobody
 * (never everyone), and a pause for other devices waits. */
static void test_pause_devices(void)
{
	const char *gw = "[daemon]\nmode = gateway\nlan = br-lan\n[list social]\n"
	                 "domains = instagram.com\n[device phone1]\nmac = 02:00:00:00:00:01\n"
	                 "[device phone2]\nmac = 02:00:00:00:00:02\n";
	const char *swapped = "[daemon]\nmode = gateway\nlan = br-lan\n[list social]\n"
	                      "domains = instagram.com\n[device phone2]\n"
	                      "mac = 02:00:00:00:00:02\n[device phone1]\n"
	                      "mac = 02:00:00:00:00:01\n";
	const char *gone = "[daemon]\nmode = gateway\nlan = br-lan\n[list social]\n"
	                   "domains = instagram.com\n[device tablet]\nmac = 02:00:00:00:00:03\n";
	struct policy_clock clk = at("2026-03-09T12:00:00+01:00", 1000);
	struct policy_pause_req req = {.have_end = true, .end = clk.now + 600, .n_devices = 1};
	struct state s = {0};
	struct policy p;
	struct whom w;

	snprintf(req.devices[0], sizeof(req.devices[0]), "phone1");
	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_STARTED);
	CHECK_INT(s.adhoc.n_devices, 1);
	CHECK_INT(s.adhoc.whom.devices, 0);
	for (int k = 0; k < 2; k++) {
		struct conf *c = parse(k ? swapped : gw);
		int phone1 = conf_find_device(c, "phone1"), phone2 = conf_find_device(c, "phone2");
		CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
		CHECK_INT(p.in.lists, 0);
		CHECK_INT(inforce_lists_for(&p.in, &(struct whom_id){.device = phone1}), 1);
		CHECK_INT(inforce_lists_for(&p.in, &(struct whom_id){.device = phone2}), 0);
		CHECK_INT(p.pause_whom.devices, UINT64_C(1) << phone1);
		policy_clear(&p);
		conf_free(c);
	}
	struct conf *c = parse(gone);
	policy_pause_whom(c, &s.adhoc, &w);
	CHECK(!whom_everyone(&w));
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(p.in.lists, 0);
	CHECK_INT(inforce_lists_for(&p.in, &(struct whom_id){.device = 0}), 0);
	policy_clear(&p);
	conf_free(c);

	struct policy_pause_req other = req, everyone = req, again = req;
	snprintf(other.devices[0], sizeof(other.devices[0]), "phone2");
	pause_req(&s.adhoc, &other, &clk, POLICY_PAUSE_OTHER);
	everyone.n_devices = 0;
	pause_req(&s.adhoc, &everyone, &clk, POLICY_PAUSE_OTHER);
	again.end += 600;
	s.adhoc = pause_req(&s.adhoc, &again, &clk, POLICY_PAUSE_EXTENDED);
	CHECK_INT(s.adhoc.n_devices, 1);

	/* A strict one: a reload may renumber its devices, not drop them. */
	struct conf_errors errs = {0};
	struct conf *oc = parse(gw), *sc = parse(swapped), *nc = parse(gone);
	again.strict = true;
	s.adhoc = pause_req(&s.adhoc, &again, &clk, POLICY_PAUSE_EXTENDED);
	CHECK_INT(policy_veto(oc, sc, NULL, NULL, &s, &clk, &errs), 0);
	CHECK_INT(policy_veto(oc, nc, NULL, NULL, &s, &clk, &errs), 1);
	CHECK(errs.n && strstr(errs.msgs[0], "device 'phone1' cannot be removed") != NULL);
	conf_errors_clear(&errs);
	/* nor give it another MAC: the phone the pause holds would be free */
	struct conf *mc =
	    parse("[daemon]\nmode = gateway\nlan = br-lan\n[list social]\n"
	          "domains = instagram.com\n[device phone1]\nmac = 02:00:00:00:00:09\n"
	          "[device phone2]\nmac = 02:00:00:00:00:02\n");
	CHECK_INT(policy_veto(oc, mc, NULL, NULL, &s, &clk, &errs), 1);
	CHECK(errs.n && strstr(errs.msgs[0], "device 'phone1' cannot lose a MAC") != NULL);
	conf_errors_clear(&errs);
	conf_free(mc);
	conf_free(oc);
	conf_free(sc);
	conf_free(nc);
}

/* A strict break for some devices keeps them: by name in `devices =`, and
 * each with its MACs and addresses; more of them is a tightening. */
static void test_veto_devices(void)
{
	const char *head = "[daemon]\nmode = gateway\nlan = br-lan\n[list social]\n"
	                   "domains = instagram.com\n[break night]\ndays = daily\n"
	                   "times = 22:30-07:00\nlists = social\nstrict = yes\n";
	struct policy_clock clk = at("2026-03-09T23:00:00+01:00", 1000);
	struct state none = {0};
	char oldc[1024], text[1024];
	static const struct {
		const char *devices, *sections;
		int lost;
		const char *why;
	} cases[] = {
	    {"phone1", "[device phone1]\nmac = 02:00:00:00:00:01\naddresses = 10.0.0.5\n", 0, NULL},
	    {"phone1 phone2",
	     "[device phone1]\nmac = 02:00:00:00:00:01\naddresses = 10.0.0.5\n"
	     "[device phone2]\nmac = 02:00:00:00:00:02\n",
	     0, NULL},
	    {"phone2",
	     "[device phone1]\nmac = 02:00:00:00:00:01\naddresses = 10.0.0.5\n"
	     "[device phone2]\nmac = 02:00:00:00:00:02\n",
	     1, "the break cannot drop device 'phone1'"},
	    {"phone1", "[device phone1]\nmac = 02:00:00:00:00:07\naddresses = 10.0.0.5\n", 1,
	     "device 'phone1' cannot lose a MAC"},
	    {"phone1", "[device phone1]\nmac = 02:00:00:00:00:01\naddresses = 10.0.0.6\n", 1,
	     "device 'phone1' cannot lose an address"},
	    {"tablet", "[device tablet]\nmac = 02:00:00:00:00:01\naddresses = 10.0.0.5\n", 1,
	     "device 'phone1' cannot be removed"},
	};

	snprintf(oldc, sizeof(oldc), "%sdevices = phone1\n%s", head, cases[0].sections);
	struct conf *oc = parse(oldc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf_errors errs = {0};
		snprintf(text, sizeof(text), "%sdevices = %s\n%s", head, cases[i].devices,
		         cases[i].sections);
		struct conf *nc = parse(text);
		CHECK_INT(policy_veto(oc, nc, NULL, NULL, &none, &clk, &errs), cases[i].lost);
		if (cases[i].why)
			CHECK(errs.n && strstr(errs.msgs[0], cases[i].why) != NULL);
		conf_errors_clear(&errs);
		conf_free(nc);
	}
	conf_free(oc);
}

/* A planned pause for some users becomes a pause for them, and waits while
 * a pause for others runs. */
static void test_plans_whom(void)
{
	struct conf *c = parse(base_conf);
	struct state s = {0};
	struct policy_clock clk = at("2026-03-09T14:00:00+01:00", 1000);
	struct policy_pause_req req = {.n_lists = 1};
	struct policy p;
	uint32_t id;

	if (!c)
		return;
	snprintf(req.lists[0], sizeof(req.lists[0]), "video");
	CHECK_INT(users_add(&req.whom, 4242), 0);
	CHECK_INT(policy_plan(&s, &req, T("2026-03-09T15:00:00+01:00"), 3600, 0, 0, &id), 0);
	CHECK_INT(s.plans[0].whom.n_uids, 1);
	/* At 14:30 a pause for 1000 starts; at 15:00 the plan for 4242 waits. */
	struct policy_pause_req other = {.have_end = true, .end = T("2026-03-09T15:10:00+01:00")};
	CHECK_INT(users_add(&other.whom, 1000), 0);
	clk = at("2026-03-09T14:30:00+01:00", 2800);
	s.adhoc = pause_req(&s.adhoc, &other, &clk, POLICY_PAUSE_STARTED);
	clk = at("2026-03-09T15:00:00+01:00", 4600);
	CHECK(!policy_start_plans(&s, &clk, 3600));
	CHECK_INT(s.n_plans, 1);
	CHECK_INT(s.adhoc.whom.uids[0], 1000);
	/* At 15:10 that one is over; at 15:11 the plan starts, for 4242 only,
	 * until its own end. */
	s.adhoc.on = false;
	clk = at("2026-03-09T15:11:00+01:00", 5260);
	CHECK(policy_start_plans(&s, &clk, 3600));
	CHECK_INT(s.n_plans, 0);
	CHECK(s.adhoc.on);
	CHECK_INT(s.adhoc.whom.n_uids, 1);
	CHECK_INT(s.adhoc.whom.uids[0], 4242);
	CHECK_INT(s.adhoc.end, T("2026-03-09T16:00:00+01:00"));
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(p.in.lists, list_bit(c, "social")); /* the work break, for everyone */
	CHECK_INT(p.in.n_some, 1);
	CHECK_INT(p.in.some[0].lists, list_bit(c, "video"));
	policy_clear(&p);
	conf_free(c);
}

/* The table's strict holds: what is held strictly for everyone, per list,
 * and a hold the state lost coming back as a strict pause. */
static void test_strict_holds(void)
{
	const char *night = "2026-03-09T23:00:00+01:00"; /* Monday, in `night` */
	struct conf *c = parse(base_conf);
	struct policy_clock clk = at(night, 5000);
	struct state s = {0};
	struct policy p;
	time_t until[SMB_LISTS_MAX], held[SMB_LISTS_MAX] = {0};

	if (!c)
		return;
	size_t social = (size_t)__builtin_ctzll(list_bit(c, "social"));
	size_t video = (size_t)__builtin_ctzll(list_bit(c, "video"));
	/* `night` is strict: both lists until 07:00. */
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	policy_strict_until(c, &p, until);
	CHECK_INT(until[social], T("2026-03-10T07:00:00+01:00"));
	CHECK_INT(until[video], T("2026-03-10T07:00:00+01:00"));
	/* nothing held that the policy covers: no pause made */
	held[social] = held[video] = T("2026-03-10T07:00:00+01:00");
	CHECK_INT(policy_restore_holds(c, &p, held, 0, &clk, 3600, &s), 0);
	CHECK(!s.adhoc.on);
	policy_clear(&p);

	/* At 20:00 nothing is strict; a strict pause of video until 21:30 is. */
	clk = at("2026-03-09T20:00:00+01:00", 5000);
	struct policy_pause_req req = {
	    .have_end = true, .end = T("2026-03-09T21:30:00+01:00"), .strict = true, .n_lists = 1};
	strcpy(req.lists[0], "video");
	s.adhoc = pause_req(&s.adhoc, &req, &clk, POLICY_PAUSE_STARTED);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	policy_strict_until(c, &p, until);
	CHECK_INT(until[social], 0);
	CHECK_INT(until[video], T("2026-03-09T21:30:00+01:00"));
	policy_clear(&p);

	/* The state lost: the table held social until 21:00 and video until
	 * 21:30; they come back as one strict pause of both until 21:30. */
	memset(&s, 0, sizeof(s));
	held[social] = T("2026-03-09T21:00:00+01:00");
	held[video] = T("2026-03-09T21:30:00+01:00");
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_restore_holds(c, &p, held, 0, &clk, 3600, &s), 2);
	policy_clear(&p);
	CHECK(s.adhoc.on && s.adhoc.strict);
	CHECK_INT(s.adhoc.end, T("2026-03-09T21:30:00+01:00"));
	CHECK_INT(s.adhoc.n_lists, 2);
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK(p.pause_strict);
	CHECK_INT(p.in.lists, list_bit(c, "social") | list_bit(c, "video"));
	/* the state covers the holds again: a second restore changes nothing */
	CHECK_INT(policy_restore_holds(c, &p, held, 0, &clk, 3600, &s), 0);
	policy_clear(&p);

	/* A hold that has run out, or one within a second of what is held,
	 * brings nothing back. */
	memset(&s, 0, sizeof(s));
	memset(held, 0, sizeof(held));
	held[social] = clk.now + 1;
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_restore_holds(c, &p, held, 0, &clk, 3600, &s), 0);
	policy_clear(&p);

	/* A hold of no list of c (renamed, removed) brings back every list. */
	memset(&s, 0, sizeof(s));
	memset(held, 0, sizeof(held));
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_restore_holds(c, &p, held, T("2026-03-09T20:30:00+01:00"), &clk, 3600, &s),
	          SMB_LISTS_MAX);
	policy_clear(&p);
	CHECK(s.adhoc.on && s.adhoc.strict);
	CHECK_INT(s.adhoc.n_lists, 0); /* every list */
	CHECK_INT(s.adhoc.end, T("2026-03-09T20:30:00+01:00"));
	/* A pause for some users is on: nothing is merged into it. */
	memset(&s, 0, sizeof(s));
	struct policy_pause_req some = {.have_end = true, .end = T("2026-03-09T20:10:00+01:00")};
	CHECK_INT(users_add(&some.whom, 1000), 0);
	s.adhoc = pause_req(&s.adhoc, &some, &clk, POLICY_PAUSE_STARTED);
	held[social] = T("2026-03-09T21:00:00+01:00");
	CHECK_INT(policy_eval(c, &s, &clk, &p), 0);
	CHECK_INT(policy_restore_holds(c, &p, held, 0, &clk, 3600, &s), -EBUSY);
	policy_clear(&p);
	CHECK_INT(s.adhoc.whom.n_uids, 1);
	CHECK(!s.adhoc.strict);

	/* A strict break for some users is no hold for everyone. */
	struct conf *u = parse("[list social]\ndomains = x.example\n[break kids]\n"
	                       "times = 22:00-23:30\nusers = 4242\nstrict = yes\n");
	if (u) {
		memset(&s, 0, sizeof(s));
		clk = at(night, 5000);
		CHECK_INT(policy_eval(u, &s, &clk, &p), 0);
		CHECK(p.in.strict && p.in.n_some == 1); /* on, strict, for 4242 */
		policy_strict_until(u, &p, until);
		CHECK_INT(until[0], 0);
		policy_clear(&p);
		conf_free(u);
	}
	conf_free(c);
}

int main(void)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	test_inforce();
	test_pause_merge();
	test_strict_part();
	test_resume_skip();
	test_check_schedule();
	test_veto();
	test_veto_files();
	test_hold();
	test_bound();
	test_veto_names();
	test_dated();
	test_plans();
	test_unlock();
	test_whom();
	test_veto_devices();
	test_users();
	test_pause_devices();
	test_strict_holds();
	test_plans_whom();
	CHECK_DONE();
}
