/* Which configuration a start runs on (startconf.h). The judgement is the
 * reload's (policy_veto, policy_unlock_wait), made before the daemon touches
 * anything, with the state file and the clock it would start with. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "allowance.h"
#include "breaks.h"
#include "domains.h"
#include "enforce.h"
#include "file.h"
#include "inforce.h"
#include "lists.h"
#include "log.h"
#include "nft.h"
#include "policy.h"
#include "startconf.h"
#include "state.h"

static void print_errors(const struct conf_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msgs[i]);
	if (errs->dropped)
		fprintf(stderr, "%zu more not shown\n", errs->dropped);
}

/* Bad lines of list files are the file's own business here: the start that
 * follows builds the lists again and logs them. */
static void quiet(void *ctx, const char *msg)
{
	(void)ctx, (void)msg;
}

/* What the last good configuration has in force now, by the state file. */
struct guard {
	char boot[STATE_BOOT_ID_LEN + 1];
	struct policy_clock clk;
	struct state s;
	bool strict; /* a strict break, or a strict allowance's window, is on */
	bool on;     /* anything is in force */
};

/* The state as the start will have it: the file's, with the table's strict
 * holds it lacks put back (breaks_restore_holds does the same after the
 * start), so that a deleted state file does not make a loosening file look
 * harmless. */
static int state_now(const struct conf *g, const char *state_dir, struct guard *gu)
{
	uint32_t keys[NFT_HOLD_MAX], ms[NFT_HOLD_MAX];
	time_t held[SMB_LISTS_MAX], unmatched;
	char err[256];
	struct policy p;
	int n;

	if (state_peek(state_dir, &gu->s, err, sizeof(err)) < 0)
		return -1;
	n = nft_read_holds(keys, ms, NFT_HOLD_MAX);
	if (n <= 0)
		return 0;
	unmatched = enforce_match_holds(g, keys, ms, (size_t)n, held);
	if (policy_eval(g, &gu->s, &gu->clk, &p) < 0)
		return -1;
	(void)policy_restore_holds(g, &p, held, unmatched, &gu->clk, g->pause_default, &gu->s);
	policy_clear(&p);
	return 0;
}

static void guard_now(const struct conf *g, const char *state_dir, struct guard *gu)
{
	struct policy p;

	if (state_boot_id(gu->boot) < 0)
		gu->boot[0] = '\0';
	gu->clk = (struct policy_clock){
	    .now = time(NULL), .boottime = state_boottime(), .boot_id = gu->boot};
	gu->strict = gu->on = false;
	if (state_now(g, state_dir, gu) < 0 || policy_eval(g, &gu->s, &gu->clk, &p) < 0)
		return;
	gu->strict = p.in.strict || allowance_strict_window(g, gu->clk.now);
	gu->on = inforce_any(&p.in) || gu->strict;
	policy_clear(&p);
}

/* The file c is good: whether it may start in place of g, as a reload of it
 * would be judged now. */
static enum startconf_kind judge(const struct conf *g, const struct conf *c, const char *state_dir,
                                 const char *data_dir)
{
	struct conf_errors why = {0};
	struct domains *gd = NULL, *cd = NULL;
	struct lists_summary sum;
	enum startconf_kind k = STARTCONF_FILE;
	struct guard gu;
	uint32_t delay = 0;

	guard_now(g, state_dir, &gu);
	if (!gu.on)
		return STARTCONF_FILE;
	/* Without both lists the names are not compared: the rest still is. */
	if (lists_build(g, data_dir, quiet, NULL, &gd, &sum) < 0 ||
	    lists_build(c, data_dir, quiet, NULL, &cd, &sum) < 0) {
		domains_free(gd);
		gd = cd = NULL;
	}
	if (gu.strict && policy_veto(g, c, gd, cd, &gu.s, &gu.clk, &why) != 0)
		k = STARTCONF_REFUSED;
	else if (policy_unlock_wait(g, c, gd, cd, &gu.s, &gu.clk, &why, &delay) > 0 && delay)
		k = STARTCONF_DEFERRED;
	if (k == STARTCONF_REFUSED)
		log_error("%s would loosen a strict break in force (below): smbreakd starts on the "
		          "last good configuration, %s/%s; reload the file once the break is over",
		          c->path, state_dir, BREAKS_GOOD_CONF);
	else if (k == STARTCONF_DEFERRED)
		log_warn("%s loosens a break with an unlock delay (below): smbreakd starts on the "
		         "last good configuration, %s/%s, and the file waits out the delay as a "
		         "reload would",
		         c->path, state_dir, BREAKS_GOOD_CONF);
	if (k != STARTCONF_FILE)
		print_errors(&why);
	conf_errors_clear(&why);
	domains_free(gd);
	domains_free(cd);
	return k;
}

/* Reads the last good configuration, named as the file (a reload reads the
 * real file again). */
static struct conf *load_good(const char *conf_path, const char *state_dir)
{
	struct conf_errors errs = {0};
	struct conf *g = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", state_dir, BREAKS_GOOD_CONF);
	if (access(path, F_OK) < 0 || conf_load(path, &g, &errs) < 0) {
		conf_errors_clear(&errs);
		return NULL;
	}
	conf_errors_clear(&errs);
	free(g->path);
	g->path = strdup(conf_path);
	if (!g->path) {
		conf_free(g);
		return NULL;
	}
	return g;
}

/* Whether the last good configuration's text is the file's. */
static bool same_as_good(const char *state_dir, const char *text, size_t len)
{
	char path[4096], *good = NULL;
	size_t glen = 0;
	bool same;

	snprintf(path, sizeof(path), "%s/%s", state_dir, BREAKS_GOOD_CONF);
	if (file_read_all(path, CONF_FILE_MAX, &good, &glen) < 0)
		return false;
	same = glen == len && memcmp(good, text, len) == 0;
	free(good);
	return same;
}

int startconf_choose(const char *conf_path, const char *state_dir, const char *data_dir,
                     struct startconf *out)
{
	struct conf_errors errs = {0};
	struct conf *c = NULL, *g;
	char *text = NULL;
	size_t len = 0;
	int r = conf_load_text(conf_path, &c, &errs, &text, &len);

	print_errors(&errs);
	conf_errors_clear(&errs);
	*out = (struct startconf){.kind = STARTCONF_FILE, .conf = c, .text = text, .len = len};
	if (r == 0 && same_as_good(state_dir, text, len))
		return 0;
	g = load_good(conf_path, state_dir);
	if (r == 0) {
		if (g)
			out->kind = judge(g, c, state_dir, data_dir);
		if (out->kind == STARTCONF_FILE) {
			conf_free(g);
			return 0;
		}
		conf_free(c);
		out->conf = g;
		return 0;
	}
	free(text);
	*out = (struct startconf){.kind = STARTCONF_BROKEN, .conf = g};
	if (g) {
		struct guard gu;

		guard_now(g, state_dir, &gu);
		if (gu.strict) {
			log_error(
			    "%s has errors (above), and a strict break is on: smbreakd starts on "
			    "the last good configuration, %s/%s, until the file is fixed and "
			    "reloaded",
			    conf_path, state_dir, BREAKS_GOOD_CONF);
			return 0;
		}
	}
	log_error("%s has errors (above) and no strict break is on: smbreakd does not start; fix "
	          "the file (smbreakd --check-config -f %s shows them)",
	          conf_path, conf_path);
	conf_free(g);
	*out = (struct startconf){0};
	return -EINVAL;
}

void startconf_clear(struct startconf *s)
{
	free(s->text);
	s->text = NULL;
}
