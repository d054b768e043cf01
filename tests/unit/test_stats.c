/* Unit tests for the stats: counting per day and key, the 90-day window, the
 * text form and its strict parser, and a bad file set aside. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "stats.h"

static uint64_t count(const struct stats *s, uint32_t date, const char *key)
{
	for (size_t i = 0; i < s->n_days; i++)
		if (s->days[i].date == date)
			for (size_t k = 0; k < s->days[i].n_keys; k++)
				if (strcmp(s->days[i].keys[k].name, key) == 0)
					return s->days[i].keys[k].count;
	return 0;
}

static void test_add(void)
{
	struct stats *s = calloc(1, sizeof(*s));

	stats_add(s, 20261125, "facebook");
	stats_add(s, 20261125, "facebook");
	stats_add(s, 20261125, "reddit");
	stats_add(s, 20261124, "facebook"); /* an earlier day, still in the window */
	stats_add(s, 20261125, "Bad Key");  /* ignored */
	CHECK_INT(s->n_days, 2);
	CHECK_INT(s->days[0].date, 20261124);
	CHECK_INT(count(s, 20261125, "facebook"), 2);
	CHECK_INT(count(s, 20261125, "reddit"), 1);
	CHECK_INT(count(s, 20261124, "facebook"), 1);

	/* 90 days after 2026-11-24 is 2027-02-22: the 24th falls out of the window. */
	stats_add(s, 20270222, "x");
	CHECK_INT(s->days[0].date, 20261125);
	stats_add(s, 20261001, "x"); /* long before the window: dropped */
	CHECK_INT(count(s, 20261001, "x"), 0);
	CHECK_INT(s->days[0].date, 20261125);

	/* Keys beyond the bound are counted as other. */
	char key[16];
	for (int i = 0; i < STATS_KEYS + 3; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		stats_add(s, 20270101, key);
	}
	for (size_t i = 0; i < s->n_days; i++)
		if (s->days[i].date == 20270101) {
			CHECK_INT(s->days[i].n_keys, STATS_KEYS);
			CHECK_INT(s->days[i].other, 3);
		}
	free(s);
}

static void test_text(void)
{
	struct stats *s = calloc(1, sizeof(*s)), *t = calloc(1, sizeof(*t));
	char buf[4096], err[128] = "";

	stats_add(s, 20261124, "reddit");
	stats_add(s, 20261125, "facebook");
	stats_add(s, 20261125, "facebook");
	int n = stats_format(s, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(strstr(buf, "version 1\n20261124 reddit 1\n20261125 facebook 2\n") != NULL);
	CHECK_INT(stats_parse(buf, (size_t)n, t, err, sizeof(err)), 0);
	CHECK_INT(count(t, 20261125, "facebook"), 2);
	CHECK_INT(count(t, 20261124, "reddit"), 1);

	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"", "empty or without a version line"},
	    {"version 2\n", "line 1: expected 'version 1'"},
	    {"version 1\n20261125 facebook\n", "line 2: bad counter"},
	    {"version 1\n20261125 facebook 1x\n", "line 2: bad counter"},
	    {"version 1\n20261345 facebook 1\n", "line 2: bad counter"},
	    {"version 1\n20261125 Face 1\n", "line 2: bad counter"},
	    {"version 1\n20261125 a 1\n20261124 a 1\n", "line 3: bad counter"},
	    {"version 1\n20261125 a 1", "line 2: unterminated (truncated file?)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(stats_parse(bad[i].text, strlen(bad[i].text), t, err, sizeof(err)),
		          -EINVAL);
		CHECK_STR(err, bad[i].why);
	}
	free(s);
	free(t);
}

/* The history of the breaks rides in the same file under keys of its own,
 * and no service can pose as one. */
static void test_history(void)
{
	struct stats *s = calloc(1, sizeof(*s)), *t = calloc(1, sizeof(*t));
	char buf[4096], err[128] = "";

	stats_count(s, 20261125, STATS_KEPT);
	stats_count(s, 20261125, STATS_KEPT);
	stats_count(s, 20261125, STATS_EARLY);
	stats_count(s, 20261126, STATS_PAUSED);
	stats_add(s, 20261126, ":kept"); /* refused: not a service */
	CHECK_INT(s->n_days, 2);
	CHECK_INT(s->days[0].history[STATS_KEPT], 2);
	CHECK_INT(s->days[0].history[STATS_EARLY], 1);
	CHECK_INT(s->days[1].history[STATS_PAUSED], 1);
	CHECK_INT(s->days[1].n_keys, 0);
	int n = stats_format(s, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(strstr(buf, "20261125 :kept 2\n20261125 :early 1\n20261126 :paused 1\n") != NULL);
	CHECK_INT(stats_parse(buf, (size_t)n, t, err, sizeof(err)), 0);
	CHECK_INT(t->days[0].history[STATS_KEPT], 2);
	CHECK_INT(t->days[0].history[STATS_EARLY], 1);
	CHECK_INT(t->days[1].history[STATS_PAUSED], 1);
	/* Kept 90 days like the blocked counts: a day 90 days on pushes it out. */
	stats_count(t, 20270224, STATS_KEPT);
	CHECK_INT(t->n_days, 1);
	CHECK_INT(t->days[0].date, 20270224);
	const char *bad = "version 1\n20261125 :nope 1\n";
	CHECK_INT(stats_parse(bad, strlen(bad), t, err, sizeof(err)), -EINVAL);
	free(s);
	free(t);
}

static void test_files(void)
{
	char dir[] = "/tmp/smb-stats-XXXXXX", path[256], err[128];
	struct stats *s = calloc(1, sizeof(*s)), *t = calloc(1, sizeof(*t));

	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(stats_load(dir, t, err, sizeof(err)), 0);
	CHECK_INT(t->n_days, 0);
	stats_add(s, 20261125, "tiktok");
	CHECK_INT(stats_save(dir, s), 0);
	CHECK_INT(stats_load(dir, t, err, sizeof(err)), 0);
	CHECK_INT(count(t, 20261125, "tiktok"), 1);
	snprintf(path, sizeof(path), "%s/stats", dir);
	FILE *f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	CHECK_INT(stats_load(dir, t, err, sizeof(err)), 1);
	CHECK_INT(t->n_days, 0);
	snprintf(path, sizeof(path), "%s/stats.bad", dir);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
	rmdir(dir);
	free(s);
	free(t);
}

int main(void)
{
	test_add();
	test_text();
	test_history();
	test_files();
	CHECK_DONE();
}
