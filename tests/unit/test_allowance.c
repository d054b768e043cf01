/* Unit tests of allowance.c at fixed instants in Europe/Berlin: a minute is
 * counted once, which day and window a minute belongs to (across midnight
 * and both DST changes), the break of a used-up allowance and its end, the
 * strict veto, the usage file, the warning before a budget runs out; and
 * the [allowance] section of the config.
 * Instants: python3 zoneinfo, or `TZ=Europe/Berlin date -d @EPOCH`. */
#include "allowance.h"
#include "check.h"
#include "conf.h"
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct conf *parse(const char *text)
{
	struct conf *c = NULL;
	struct conf_errors errs = {0};

	if (conf_parse("t.conf", text, strlen(text), &c, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		c = NULL;
	}
	conf_errors_clear(&errs);
	return c;
}

static const char LIST[] = "[list social]\ndomains = example.com\n[list video]\ndomains = "
                           "video.example\n";

static struct conf *parse_with(const char *allowance)
{
	char text[1024];
	snprintf(text, sizeof(text), "%s%s", LIST, allowance);
	return parse(text);
}

static void test_conf_values(void)
{
	struct conf *c =
	    parse_with("[daemon]\nactive_rate = 25k\n[allowance social-time]\nlists = "
	               "social\nper_day = 30m\nwarn = 5m\nstrict = yes\ndays = mon-fri\n");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_INT(c->active_rate, 25000);
	CHECK_INT(c->n_allowances, 1);
	const struct conf_allowance *a = conf_find_allowance(c, "social-time");
	CHECK(a != NULL);
	CHECK_INT(a->per_day, 1800);
	CHECK_INT(a->warn, 300);
	CHECK(a->b.strict);
	CHECK_INT(a->b.days, 0x1f);
	CHECK_INT(a->b.n_lists, 1);
	CHECK_INT(a->b.n_windows, 1); /* the whole day */
	CHECK_INT(a->b.windows[0].start, 0);
	CHECK_INT(a->b.windows[0].end, 86400);
	CHECK(whom_everyone(&a->b.whom));
	conf_free(c);

	c = parse_with("[allowance x]\nper_day = 1h\n");
	CHECK(c && c->active_rate == CONF_ACTIVE_RATE_DEFAULT);
	CHECK(c && c->allowances[0].b.n_lists == 2); /* every list */
	conf_free(c);
	c = parse_with("[daemon]\nactive_rate = 2M\n[allowance x]\nper_day = 1h\n");
	CHECK(c && c->active_rate == 2000000);
	conf_free(c);
}

/* Whole day, 2 minutes, on Tuesday 2026-03-10. */
static void test_minutes(void)
{
	struct conf *c = parse_with("[allowance a]\nper_day = 2m\n");
	struct allowance_state s = {0};
	struct allowance_now an;

	CHECK(allowance_mark(&s, &c->allowances[0], 1773133205));  /* 10:00:05 */
	CHECK(!allowance_mark(&s, &c->allowances[0], 1773133250)); /* 10:00:50: counted */
	CHECK_INT(allowance_used(&s, "a", 20260310), 1);
	allowance_eval(&c->allowances[0], &s, 1773133250, &an);
	CHECK(an.in_window && !an.on);
	CHECK_INT(an.date, 20260310);
	CHECK_INT(an.used, 1);
	CHECK_INT(an.per_day, 2);
	CHECK_INT(an.next, 0); /* nothing changes by the clock alone */
	CHECK(allowance_mark(&s, &c->allowances[0], 1773133270)); /* 10:01:10 */
	/* Used up during 10:01: that minute is granted, the break starts at 10:02. */
	allowance_eval(&c->allowances[0], &s, 1773133290, &an);
	CHECK(!an.on);
	CHECK_INT(an.next, 1773133320);
	allowance_eval(&c->allowances[0], &s, 1773133320, &an);
	CHECK(an.on);
	CHECK_INT(an.end, 1773183600); /* local midnight */
	CHECK_INT(an.next, 1773183600);
	/* Used up: no more minutes count. */
	CHECK(!allowance_mark(&s, &c->allowances[0], 1773133330));
	CHECK_INT(allowance_used(&s, "a", 20260310), 2);
	/* The next day starts fresh. */
	allowance_eval(&c->allowances[0], &s, 1773183600, &an);
	CHECK(!an.on);
	CHECK_INT(an.date, 20260311);
	CHECK_INT(an.used, 0);
	CHECK(allowance_mark(&s, &c->allowances[0], 1773183600 + 5));
	CHECK_INT(allowance_used(&s, "a", 20260311), 1);
	CHECK_INT(allowance_used(&s, "a", 20260310), 2);
	/* A clock set back counts no minute twice. */
	CHECK(!allowance_mark(&s, &c->allowances[0], 1773183600 - 600));
	conf_free(c);
}

/* The days of the DST changes are 23 and 25 hours long: the budget lasts
 * until the real local midnight. */
static void test_dst(void)
{
	struct conf *c = parse_with("[allowance a]\nper_day = 1m\n");
	struct allowance_state s = {0};
	struct allowance_now an;
	uint32_t date;
	time_t st, end;

	CHECK(allowance_window(&c->allowances[0], 1774745940, &date, &st, &end)); /* 03-29 01:59 */
	CHECK_INT(date, 20260329);
	CHECK_INT(st, 1774738800);
	CHECK_INT(end, 1774821600);
	CHECK_INT(end - st, 23 * 3600);
	CHECK(allowance_mark(&s, &c->allowances[0], 1774745940));
	allowance_eval(&c->allowances[0], &s, 1774745940 + 60, &an);
	CHECK(an.on);
	CHECK_INT(an.end, 1774821600);
	CHECK(allowance_window(&c->allowances[0], 1792888200, &date, &st, &end)); /* 10-25 02:30 */
	CHECK_INT(date, 20261025);
	CHECK_INT(st, 1792879200);
	CHECK_INT(end, 1792969200);
	CHECK_INT(end - st, 25 * 3600);
	conf_free(c);
}

/* A window past midnight belongs to the day it starts on. */
static void test_evening(void)
{
	struct conf *c =
	    parse_with("[allowance a]\nper_day = 1m\ndays = tue\ntimes = 22:00-02:00\n");
	const struct conf_allowance *a = &c->allowances[0];
	struct allowance_state s = {0};
	struct allowance_now an;
	uint32_t date;
	time_t st, end;

	CHECK(allowance_window(a, 1773178200, &date, &st, &end)); /* Tue 22:30 */
	CHECK_INT(date, 20260310);
	CHECK(allowance_window(a, 1773189000, &date, &st, &end)); /* Wed 01:30 */
	CHECK_INT(date, 20260310);
	CHECK_INT(end, 1773190800);
	CHECK(!allowance_window(a, 1773190800, &date, &st, &end)); /* Wed 02:00 */
	CHECK(!allowance_window(a, 1773264600, &date, &st, &end)); /* Wed 22:30: not a tue */
	CHECK(!allowance_mark(&s, a, 1773264600));                 /* outside: no use */
	CHECK(allowance_mark(&s, a, 1773189000));
	CHECK_INT(allowance_used(&s, "a", 20260310), 1);
	allowance_eval(a, &s, 1773189000 + 60, &an);
	CHECK(an.on);
	CHECK_INT(an.end, 1773190800);
	allowance_eval(a, &s, 1773190800, &an);
	CHECK(!an.on && !an.in_window);
	conf_free(c);
}

/* Two windows share one day's budget: used up in the first, the second
 * starts blocked; the break ends with each window. */
static void test_two_windows(void)
{
	struct conf *c = parse_with("[allowance a]\nlists = video\nper_day = 1m\ntimes = "
	                            "12:00-13:00 18:00-19:00\n");
	struct state s;
	struct policy p;
	struct policy_clock clk = {.now = 1773141060, .boot_id = ""};
	memset(&s, 0, sizeof(s));

	CHECK(allowance_mark(&s.allow, &c->allowances[0], 1773141000)); /* 12:10 */
	CHECK(policy_eval(c, &s, &clk, &p) == 0);
	CHECK_INT(p.in.lists, 2); /* video */
	CHECK_INT(p.in.until, 1773144000);
	CHECK_INT(p.in.end, 1773144000);
	CHECK(strstr(p.in.reason, "allowance a used up until 13:00") != NULL);
	policy_clear(&p);
	clk.now = 1773144000;
	CHECK(policy_eval(c, &s, &clk, &p) == 0);
	CHECK_INT(p.in.lists, 0);
	CHECK_INT(p.in.until, 1773162000); /* the evening window starts used up */
	policy_clear(&p);
	clk.now = 1773162000;
	CHECK(policy_eval(c, &s, &clk, &p) == 0);
	CHECK_INT(p.in.lists, 2);
	CHECK_INT(p.in.until, 1773165600);
	policy_clear(&p);
	conf_free(c);
}

static void test_veto(void)
{
	struct conf *oc = parse_with("[allowance a]\nper_day = 10m\nstrict = yes\ntimes = "
	                             "09:00-17:00\n");
	struct conf *raised = parse_with("[allowance a]\nper_day = 20m\nstrict = yes\ntimes = "
	                                 "09:00-17:00\n");
	struct conf *lowered = parse_with("[allowance a]\nper_day = 5m\nstrict = yes\ntimes = "
	                                  "09:00-17:00\n");
	struct conf *gone = parse(LIST);
	struct conf_errors errs = {0};

	CHECK_INT(allowance_veto(oc, raised, 1773133205, &errs), 1); /* 10:00 */
	CHECK(errs.n == 1 && strstr(errs.msgs[0], "strict allowance a runs until 17:00: its "
	                                          "per_day would be raised"));
	CHECK_INT(allowance_veto(oc, lowered, 1773133205, &errs), 0);
	CHECK_INT(allowance_veto(oc, gone, 1773133205, &errs), 1);
	CHECK_INT(allowance_veto(oc, gone, 1773178200, &errs), 0); /* 22:30: not running */
	CHECK(allowance_strict_window(oc, 1773133205));
	CHECK(!allowance_strict_window(oc, 1773178200));
	CHECK(!allowance_strict_window(lowered, 1773178200));
	struct state s;
	memset(&s, 0, sizeof(s));
	struct policy_clock clk = {.now = 1773133205, .boot_id = ""};
	CHECK(policy_veto(oc, raised, NULL, NULL, &s, &clk, &errs) >= 1);
	conf_errors_clear(&errs);

	/* a strict allowance for a device keeps it (policy_whom_kept) */
#define GW                                                                                         \
	"[daemon]\nmode = gateway\nlan = br-lan\n[device phone1]\nmac = 02:00:00:00:00:01\n"       \
	"[device phone2]\nmac = 02:00:00:00:00:02\n[allowance a]\nper_day = 10m\n"                 \
	"strict = yes\ntimes = 09:00-17:00\n"
	struct conf *dev = parse_with(GW "devices = phone1\n");
	struct conf *both = parse_with(GW "devices = phone1 phone2\n");
	struct conf *other = parse_with(GW "devices = phone2\n");
#undef GW
	CHECK_INT(allowance_veto(dev, both, 1773133205, &errs), 0);
	CHECK_INT(allowance_veto(dev, other, 1773133205, &errs), 1);
	CHECK(errs.n == 1 && strstr(errs.msgs[0], "strict allowance a runs until 17:00: the break "
	                                          "cannot drop device 'phone1'"));
	conf_errors_clear(&errs);
	conf_free(dev);
	conf_free(both);
	conf_free(other);
	conf_free(oc);
	conf_free(raised);
	conf_free(lowered);
	conf_free(gone);
}

static void test_file(void)
{
	struct allowance_state s = {0}, t;
	char buf[4096], err[128];
	struct conf *c = parse_with("[allowance a]\nper_day = 10m\n[allowance b]\nper_day = 1h\n");

	allowance_mark(&s, &c->allowances[0], 1773133205);
	allowance_mark(&s, &c->allowances[0], 1773183605);
	allowance_mark(&s, &c->allowances[1], 1773133205);
	int n = allowance_format(&s, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_STR(buf, "smbreak-allowances 1\nallowance a 29553060\nday 20260310 1\nday 20260311 "
	               "1\nallowance b 29552220\nday 20260310 1\n");
	CHECK_INT(allowance_parse(buf, (size_t)n, &t, err, sizeof(err)), 0);
	CHECK_INT(memcmp(&s, &t, sizeof(s)), 0);
	static const char *const bad[] = {
	    "",
	    "smbreak-allowances 2\n",
	    "smbreak-allowances 1\nday 20260310 1\n",
	    "smbreak-allowances 1\nallowance A 1\n",
	    "smbreak-allowances 1\nallowance a 1\nday 20260311 1\nday 20260310 1\n",
	    "smbreak-allowances 1\nallowance a 1\nday 20260311 99999\n",
	    "smbreak-allowances 1\nallowance a 1\nallowance a 2\n",
	    "smbreak-allowances 1\nallowance a 1 x\n",
	    "smbreak-allowances 1\nallowance a 1 0\n",
	    "smbreak-allowances 1\nallowance a 1 20260310 x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(allowance_parse(bad[i], strlen(bad[i]), &t, err, sizeof(err)), -EINVAL);
	/* Days beyond ALLOWANCE_DAYS drop the oldest. */
	for (int d = 0; d < ALLOWANCE_DAYS + 3; d++)
		allowance_mark(&s, &c->allowances[1], 1773133205 + (time_t)d * 86400);
	CHECK_INT(allowance_find(&s, "b")->n_days, ALLOWANCE_DAYS);
	conf_free(c);
}

/* The warning before the end of a budget, on Tuesday 2026-03-10: when the
 * counted minute leaves warn or less, once a day, kept across a restart. */
static void test_warn(void)
{
	struct conf *c = parse_with("[allowance a]\nper_day = 3m\nwarn = 1m\n");
	struct allowance_state s = {0}, t;
	struct allowance_warning w;
	char buf[256], err[64];

	CHECK(c != NULL);
	if (!c)
		return;
	const struct conf_allowance *a = &c->allowances[0];
	CHECK(allowance_mark(&s, a, 1773133205)); /* 10:00:05: 1 of 3, 2 left */
	CHECK(!allowance_warn(&s, a, 1773133205, &w));
	CHECK(allowance_mark(&s, a, 1773133265)); /* 10:01:05: 2 of 3, 1 left */
	CHECK(allowance_warn(&s, a, 1773133265, &w));
	CHECK_INT(w.used, 2);
	CHECK_INT(w.per_day, 3);
	CHECK_INT(w.out, 1773133380); /* 10:03, if 10:02 is used too */
	CHECK_INT(w.end, 1773183600); /* midnight */
	CHECK_INT(allowance_find(&s, "a")->warned, 20260310);
	CHECK(!allowance_warn(&s, a, 1773133270, &w)); /* once */
	/* A restart keeps it: the file says the day was warned. */
	int n = allowance_format(&s, buf, sizeof(buf));
	CHECK_STR(buf, "smbreak-allowances 1\nallowance a 29552221 20260310\nday 20260310 2\n");
	CHECK_INT(allowance_parse(buf, (size_t)n, &t, err, sizeof(err)), 0);
	CHECK(!allowance_warn(&t, a, 1773133270, &w));
	/* The minute that uses it up brings the break, not a warning. */
	CHECK(allowance_mark(&t, a, 1773133325));
	CHECK(!allowance_warn(&t, a, 1773133325, &w));
	/* The next day warns afresh. */
	CHECK(allowance_mark(&s, a, 1773133205 + 86400));
	CHECK(allowance_mark(&s, a, 1773133265 + 86400));
	CHECK(allowance_warn(&s, a, 1773133265 + 86400, &w));
	CHECK_INT(allowance_find(&s, "a")->warned, 20260311);
	conf_free(c);

	/* warn 0: never. */
	c = parse_with("[allowance a]\nper_day = 3m\nwarn = 0\n");
	memset(&s, 0, sizeof(s));
	CHECK(c && allowance_mark(&s, &c->allowances[0], 1773133205));
	CHECK(c && allowance_mark(&s, &c->allowances[0], 1773133265));
	CHECK(c && !allowance_warn(&s, &c->allowances[0], 1773133265, &w));
	conf_free(c);

	/* The [daemon] warn (5m) over a 2m budget: at the first minute, which
	 * leaves one; over 1m, never (the first minute uses it up). */
	c = parse_with("[allowance a]\nper_day = 2m\n[allowance b]\nper_day = 1m\n");
	memset(&s, 0, sizeof(s));
	CHECK(c && allowance_mark(&s, &c->allowances[0], 1773133205));
	CHECK(c && allowance_warn(&s, &c->allowances[0], 1773133205, &w));
	CHECK(c && allowance_mark(&s, &c->allowances[1], 1773133205));
	CHECK(c && !allowance_warn(&s, &c->allowances[1], 1773133205, &w));
	conf_free(c);

	/* warn in seconds counts in whole minutes, rounded up: 30s warns with one
	 * minute left, 61s with two. */
	c = parse_with("[allowance a]\nper_day = 3m\nwarn = 30s\n[allowance b]\nper_day = "
	               "3m\nwarn = 61s\n");
	memset(&s, 0, sizeof(s));
	CHECK(c && allowance_mark(&s, &c->allowances[0], 1773133205));
	CHECK(c && !allowance_warn(&s, &c->allowances[0], 1773133205, &w));
	CHECK(c && allowance_mark(&s, &c->allowances[0], 1773133265));
	CHECK(c && allowance_warn(&s, &c->allowances[0], 1773133265, &w));
	CHECK(c && allowance_mark(&s, &c->allowances[1], 1773133205));
	CHECK(c && allowance_warn(&s, &c->allowances[1], 1773133205, &w));
	conf_free(c);

	/* A window that ends before the budget would: no instant it runs out. */
	c = parse_with("[allowance a]\nper_day = 10m\nwarn = 9m\ntimes = 10:00-10:03\n");
	memset(&s, 0, sizeof(s));
	CHECK(c && allowance_mark(&s, &c->allowances[0], 1773133205));
	CHECK(c && allowance_warn(&s, &c->allowances[0], 1773133205, &w));
	CHECK_INT(w.out, 0);
	CHECK_INT(w.end, 1773133380); /* 10:03 */
	conf_free(c);
}

/* An [allowance] without `warn` takes the [daemon] one, wherever [daemon] is. */
static void test_warn_default(void)
{
	struct conf *c = parse_with("[allowance a]\nper_day = 30m\n");
	CHECK(c && c->allowances[0].warn == 300);
	conf_free(c);
	c = parse_with("[allowance a]\nper_day = 30m\n[daemon]\nwarn = 3m\n");
	CHECK(c && c->allowances[0].warn == 180);
	conf_free(c);
	c = parse_with("[daemon]\nwarn = 0\n[allowance a]\nper_day = 30m\n");
	CHECK(c && c->allowances[0].warn == 0);
	conf_free(c);
	c = parse_with("[daemon]\nwarn = 0\n[allowance a]\nper_day = 30m\nwarn = 2m\n");
	CHECK(c && c->allowances[0].warn == 120);
	conf_free(c);
}

/* A strict allowance used up is a strict hold of its lists until its
 * window's end (policy_strict_until), one that is not strict is none. */
static void test_strict_hold(void)
{
	struct conf *c = parse_with("[allowance kept]\nlists = social\nper_day = 1m\nstrict = yes\n"
	                            "[allowance loose]\nlists = video\nper_day = 1m\n");
	struct policy_clock clk = {.now = 1773133320, .boot_id = ""}; /* Tue 10:02 */
	struct state st = {0};
	struct policy p;
	time_t until[SMB_LISTS_MAX];

	if (!c)
		return;
	CHECK(allowance_mark(&st.allow, &c->allowances[0], 1773133205)); /* 10:00:05 */
	CHECK(allowance_mark(&st.allow, &c->allowances[1], 1773133205));
	CHECK_INT(policy_eval(c, &st, &clk, &p), 0);
	CHECK_INT(p.in.lists, 3); /* both used up */
	policy_strict_until(c, &p, until);
	CHECK_INT(until[0], 1773183600); /* social: local midnight */
	CHECK_INT(until[1], 0);          /* video: not strict */
	policy_clear(&p);
	conf_free(c);
}

int main(void)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	test_conf_values();
	test_minutes();
	test_dst();
	test_evening();
	test_two_windows();
	test_veto();
	test_file();
	test_warn();
	test_warn_default();
	test_strict_hold();
	CHECK_DONE();
}
