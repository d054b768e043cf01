/* The break state machine's lifecycle: it loads the state, evaluates the
 * policy (policy.c) whenever the clock, a command or a reload may have
 * changed what is in force, announces every start and end, hands a changed
 * set to enforcement, and arms the timer for the next transition. The
 * control commands are in commands.c, the reload in reload.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "breaks_internal.h"
#include "clock.h"
#include "domains.h"
#include "file.h"
#include "lists.h"
#include "log.h"
#include "notify.h"

/* Stats are written at most this often while attempts come in, and at stop. */
#define BREAKS_STATS_SAVE_SECS 60
/* A state that could not be written (a full disk) is tried again this often. */
#define BREAKS_SAVE_RETRY_SECS 10

/* ---- evaluation ---- */

void breaks_clock(const struct breaks *b, struct policy_clock *clk)
{
	clk->now = time(NULL);
	clk->boottime = state_boottime();
	clk->boot_id = b->boot_id;
}

/* Announces the pause and each break that started or ended since the last
 * evaluation. */
static void announce(struct breaks *b, const struct policy *p)
{
	const struct conf *c = b->conf;
	char when[32], lists[256];

	if (p->pause_on && !b->pause_was_on) {
		struct breaks_event ev = {.kind = "started",
		                          .name = "pause",
		                          .lists = p->pause_lists,
		                          .whom = &p->pause_whom,
		                          .start = b->state.adhoc.start,
		                          .end = p->pause_end};
		char who[256];
		value_format_when(p->pause_end, p->now, when, sizeof(when));
		policy_list_names(c, p->pause_lists, lists, sizeof(lists));
		breaks_pause_describe(&b->state.adhoc, who, sizeof(who));
		breaks_event(b, p->now, &ev, "pause started: lists %s until %s%s%s", lists, when,
		             who, p->pause_strict ? " (strict)" : "");
		/* Not at the first evaluation: a pause restored at start is no new one. */
		if (b->pol.now)
			breaks_count(b, STATS_PAUSED);
	} else if (!p->pause_on && b->pause_was_on) {
		struct breaks_event ev = {.kind = "ended", .name = "pause"};
		breaks_event(b, p->now, &ev, "pause ended");
	}
	b->pause_was_on = p->pause_on;
	for (size_t i = 0; i < c->n_breaks; i++) {
		const struct conf_break *br = &c->breaks[i];
		bool on = p->breaks[i].on;
		struct breaks_event ev = {.name = br->name,
		                          .lists = policy_break_lists(br),
		                          .whom = &br->whom,
		                          .start = p->breaks[i].start,
		                          .end = p->breaks[i].end};

		if (on && !b->was_on[i]) {
			ev.kind = "started";
			value_format_when(p->breaks[i].end, p->now, when, sizeof(when));
			policy_list_names(c, ev.lists, lists, sizeof(lists));
			breaks_event(b, p->now, &ev, "break %s started: lists %s until %s%s",
			             br->name, lists, when, br->strict ? " (strict)" : "");
		} else if (!on && b->was_on[i]) {
			ev.kind = "ended";
			ev.start = ev.end = 0;
			breaks_event(b, p->now, &ev, "break %s ended", br->name);
			if (!p->breaks[i].active) /* over, not skipped */
				breaks_count(b, STATS_KEPT);
		}
		b->was_on[i] = on;
	}
}

/* The resume and skips whose unlock delay is over at now, which
 * policy_unlock_due is about to apply: each is an event and ends a break
 * early. */
static void announce_unlocks(struct breaks *b, const struct policy_clock *clk)
{
	const struct state *s = &b->state;
	time_t now = clk->now;

	if (s->adhoc.on && s->adhoc.unlock_at && s->adhoc.unlock_at <= now &&
	    !(s->adhoc.strict && policy_pause_strict_end(&s->adhoc, clk) > now)) {
		struct breaks_event ev = {.kind = "resumed", .word = "unlock", .name = "pause"};
		breaks_event(b, now, &ev, "the unlock delay is over: the pause ends");
		breaks_count(b, STATS_EARLY);
	}
	for (size_t i = 0; i < s->n_unlocks; i++) {
		if (s->unlocks[i].at > now)
			continue;
		struct breaks_event ev = {
		    .kind = "skipped", .word = "unlock", .name = s->unlocks[i].name};
		breaks_event(b, now, &ev, "the unlock delay is over: break %s is skipped",
		             s->unlocks[i].name);
		breaks_count(b, STATS_EARLY);
	}
}

static bool inforce_changed(const struct inforce *a, const struct inforce *b)
{
	if (a->n_some != b->n_some)
		return true;
	for (size_t i = 0; i < a->n_some; i++)
		if (a->some[i].lists != b->some[i].lists ||
		    !whom_equal(&a->some[i].whom, &b->some[i].whom))
			return true;
	return a->lists != b->lists || a->strict != b->strict || a->end != b->end ||
	       strcmp(a->reason, b->reason) != 0;
}

void breaks_describe(const struct breaks *b, bool stopped, char *buf, size_t len)
{
	const struct policy *p = &b->pol;
	char when[32], lists[256];
	time_t now = time(NULL);

	value_format_when(p->in.end, now, when, sizeof(when));
	policy_list_names(b->conf, p->in.lists, lists, sizeof(lists));
	if (stopped) {
		char at[32];
		value_format_when(now, now, at, sizeof(at));
		if (inforce_any(&p->in) && p->in.strict)
			snprintf(buf, len,
			         "stopped at %s during a strict break: its reject rules stay until "
			         "%s; names are not filtered",
			         at, when);
		else
			snprintf(buf, len, "stopped at %s: nothing is filtered", at);
	} else if (p->in.lists) {
		snprintf(buf, len, "blocking %s until %s%s%s", lists, when,
		         p->in.strict ? " (strict)" : "",
		         p->in.n_some ? ", more for some users" : "");
	} else if (p->in.n_some) {
		snprintf(buf, len, "blocking for some users only until %s%s", when,
		         p->in.strict ? " (strict)" : "");
	} else if (p->next >= 0) {
		value_format_when(p->breaks[p->next].next_start, now, when, sizeof(when));
		snprintf(buf, len, "nothing blocked; next break %s at %s",
		         b->conf->breaks[p->next].name, when);
	} else {
		snprintf(buf, len, "nothing blocked; no break scheduled");
	}
}

void breaks_evaluate(struct breaks *b)
{
	struct policy_clock clk;
	struct policy p;
	char when[32], lists[256];
	bool dirty;
	int r;

	breaks_clock(b, &clk);
	size_t skips = b->state.n_skips;
	state_prune(&b->state, clk.now);
	dirty = skips != b->state.n_skips;
	dirty |= policy_start_plans(&b->state, &clk, b->conf->pause_default);
	announce_unlocks(b, &clk);
	dirty |= policy_unlock_due(&b->state, &clk);
	if (policy_eval(b->conf, &b->state, &clk, &p) < 0) {
		/* Keep what is in force; the timer tries again in a second. */
		log_error("breaks: out of memory evaluating the breaks");
		clock_arm(b->clock, clk.now + 1);
		return;
	}
	if (p.pause_expired) {
		b->state.adhoc.on = false;
		dirty = true;
		breaks_count(b, STATS_KEPT);
	}
	dirty |= policy_hold(b->conf, &p, &clk, &b->state);
	if (dirty)
		breaks_save_state(b);
	announce(b, &p);
	bool changed = !b->started || inforce_changed(&p.in, &b->pol.in);
	policy_clear(&b->pol);
	b->pol = p;
	breaks_warn_due(b, &b->pol);
	if (changed) {
		policy_list_names(b->conf, p.in.lists, lists, sizeof(lists));
		value_format_when(p.in.end, p.now, when, sizeof(when));
		if (p.in.lists)
			log_info("in force: %s until %s%s%s", lists, when,
			         p.in.strict ? " (strict)" : "",
			         p.in.n_some ? ", more for some users" : "");
		else if (p.in.n_some)
			log_info("in force for some users only, until %s%s", when,
			         p.in.strict ? " (strict)" : "");
		else
			log_info("in force: nothing");
		char status[256];
		breaks_describe(b, false, status, sizeof(status));
		notify_status(status);
		b->started = true;
		if (b->hooks.enforce)
			b->hooks.enforce(b->hooks.arg, &b->pol.in);
	}
	time_t held[SMB_LISTS_MAX];
	policy_strict_until(b->conf, &b->pol, held);
	if (b->hooks.hold && (changed || memcmp(held, b->held, sizeof(held)) != 0))
		b->hooks.hold(b->hooks.arg, b->conf, held);
	memcpy(b->held, held, sizeof(held));
	if ((r = clock_arm(b->clock, p.in.until)) < 0)
		log_error("clock: cannot arm the timer: %s", strerror(-r));
	if (p.in.until) {
		value_format_when(p.in.until, p.now, when, sizeof(when));
		log_debug("next evaluation at %s", when);
	}
}

int breaks_save_state(struct breaks *b)
{
	struct timeval tv = {BREAKS_SAVE_RETRY_SECS, 0};
	int r = state_save(b->state_dir, &b->state);

	if (r == 0) {
		if (b->save_failed)
			log_notice("state: %s/state written again", b->state_dir);
		b->save_failed = false;
		if (b->save_ev)
			evtimer_del(b->save_ev);
		return 0;
	}
	if (!b->save_failed)
		log_error("state: cannot write %s/state: %s; trying again every %d s", b->state_dir,
		          strerror(-r), BREAKS_SAVE_RETRY_SECS);
	b->save_failed = true;
	if (b->save_ev && !evtimer_pending(b->save_ev, NULL))
		evtimer_add(b->save_ev, &tv);
	return r;
}

static void on_save_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	breaks_save_state(arg);
}

static void on_clock(void *arg, enum clock_reason why)
{
	struct breaks *b = arg;

	if (why == CLOCK_STEPPED) {
		log_info("clock: the system clock was set; re-evaluating breaks");
		/* the holds' time left is counted from the wall clock: write them again */
		memset(b->held, 0, sizeof(b->held));
	} else if (why == CLOCK_TZ_CHANGED)
		log_info("clock: the timezone changed; re-evaluating breaks");
	breaks_evaluate(b);
}

/* ---- domain lists ---- */

static void on_list_error(void *ctx, const char *msg)
{
	struct conf_errors *errs = ctx;

	log_warn("%s", msg);
	if (errs && errs->n >= CONF_ERRORS_MAX)
		errs->dropped++;
	else if (errs && conf_errors_add(errs, "%s", msg) < 0)
		errs->dropped++;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* "list social: 1234 entries from 2 services, 1 domain and 3 files (1 allow
 * entry); 2 bad lines skipped": where a list's names came from. */
static void log_summary(const struct conf_list *l, size_t entries, size_t files, size_t errors)
{
	char from[256] = "", bad[64] = "";
	size_t off = 0, k = 0;
	const struct {
		size_t n;
		const char *one, *many;
	} part[] = {{l->n_services, "service", "services"},
	            {l->n_domains, "domain", "domains"},
	            {files, "file", "files"}};
	size_t parts = 0;

	for (size_t i = 0; i < 3; i++)
		parts += part[i].n != 0;
	for (size_t i = 0; i < 3 && off < sizeof(from); i++) {
		if (!part[i].n)
			continue;
		k++;
		int n = snprintf(from + off, sizeof(from) - off, "%s%zu %s",
		                 k == 1       ? " from "
		                 : k == parts ? " and "
		                              : ", ",
		                 part[i].n, plural(part[i].n, part[i].one, part[i].many));
		off += n > 0 ? (size_t)n : 0;
	}
	if (l->n_allow && off < sizeof(from))
		snprintf(from + off, sizeof(from) - off, " (%zu allow %s)", l->n_allow,
		         plural(l->n_allow, "entry", "entries"));
	if (errors)
		snprintf(bad, sizeof(bad), "; %zu bad %s skipped", errors,
		         plural(errors, "line", "lines"));
	log_info("list %s: %zu %s%s%s", l->name, entries, plural(entries, "entry", "entries"), from,
	         bad);
}

/* Builds the domain structure of a configuration. Bad lines are reported and
 * skipped; a missing file or unknown service fails the build, and with it the
 * start or the reload. */
int breaks_build_domains(const char *data_dir, const struct conf *c, struct conf_errors *errs,
                         struct domains **out)
{
	struct lists_summary sum;
	int r = lists_build(c, data_dir, on_list_error, errs, out, &sum);

	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++)
		log_summary(&c->lists[i], sum.entries[i], sum.files[i], sum.errors[i]);
	return 0;
}

/* ---- stats ---- */

static void save_stats(struct breaks *b)
{
	int r = stats_save(b->state_dir, b->stats);

	if (r < 0)
		log_error("stats: cannot write %s/stats: %s", b->state_dir, strerror(-r));
}

static void on_stats_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	save_stats(arg);
}

/* History is rare (a few events a day) and worth keeping through a crash:
 * written at once. */
void breaks_count(struct breaks *b, enum stats_history what)
{
	stats_count(b->stats, stats_date(time(NULL)), what);
	save_stats(b);
}

void breaks_count_blocked(struct breaks *b, const char *key)
{
	struct timeval tv = {BREAKS_STATS_SAVE_SECS, 0};

	stats_add(b->stats, stats_date(time(NULL)), key);
	if (!evtimer_pending(b->stats_ev, NULL))
		evtimer_add(b->stats_ev, &tv);
}

/* ---- lifecycle ---- */

int breaks_new(struct event_base *base, struct conf *conf, const char *state_dir,
               const char *data_dir, const struct breaks_hooks *hooks, struct breaks **out)
{
	struct breaks *b = calloc(1, sizeof(*b));
	char err[256] = "";
	int r;

	if (!b)
		return -ENOMEM;
	b->base = base;
	if (hooks)
		b->hooks = *hooks;
	r = breaks_reload_init(b);
	if (r < 0)
		goto fail;
	b->state_dir = strdup(state_dir);
	b->data_dir = strdup(data_dir);
	b->was_on = calloc(conf->n_breaks ? conf->n_breaks : 1, sizeof(bool));
	if (!b->state_dir || !b->data_dir || !b->was_on) {
		r = -ENOMEM;
		goto fail;
	}
	r = breaks_build_domains(data_dir, conf, NULL, &b->domains);
	if (r < 0) {
		log_error("lists: cannot build the domain lists of %s: %s", conf->path,
		          strerror(-r));
		goto fail;
	}
	if (state_boot_id(b->boot_id) < 0)
		b->boot_id[0] = '\0';
	r = state_load(state_dir, &b->state, err, sizeof(err));
	if (r == 1) {
		log_error("state: %s/state is unreadable (%s); kept as state.bad, starting with no "
		          "pause and no skips",
		          state_dir, err);
	} else if (r < 0) {
		log_error("state: cannot read %s/state: %s", state_dir, strerror(-r));
		goto fail;
	} else if (b->state.adhoc.on) {
		char when[32];
		value_format_when(b->state.adhoc.end, time(NULL), when, sizeof(when));
		log_info("state: restored the pause that ends at %s", when);
	}
	breaks_allow_load(b);
	struct policy_clock clk;
	breaks_clock(b, &clk);
	if (policy_bound(&b->state, &clk)) {
		log_warn("state: %s/state holds a pause or hold longer than %d days; cut to that",
		         state_dir, SMB_PAUSE_MAX / 86400);
		breaks_save_state(b);
	}
	b->stats = calloc(1, sizeof(*b->stats));
	b->stats_ev = evtimer_new(base, on_stats_timer, b);
	b->save_ev = evtimer_new(base, on_save_retry, b);
	if (!b->stats || !b->stats_ev || !b->save_ev) {
		r = -ENOMEM;
		goto fail;
	}
	r = stats_load(state_dir, b->stats, err, sizeof(err));
	if (r == 1)
		log_error("stats: %s/stats is unreadable (%s); kept as stats.bad, counting afresh",
		          state_dir, err);
	else if (r < 0)
		log_error("stats: cannot read %s/stats: %s; counting afresh", state_dir,
		          strerror(-r));
	r = clock_new(base, on_clock, b, &b->clock);
	if (r < 0) {
		log_error("clock: cannot create the timer: %s", strerror(-r));
		goto fail;
	}
	b->conf = conf;
	*out = b;
	return 0;
fail:
	breaks_free(b);
	conf_free(conf);
	return r;
}

void breaks_restore_holds(struct breaks *b, const time_t *held, time_t unmatched)
{
	struct policy_clock clk;
	struct policy p;
	char when[32], lists[256];
	int n;

	breaks_clock(b, &clk);
	if (policy_eval(b->conf, &b->state, &clk, &p) < 0)
		return;
	n = policy_restore_holds(b->conf, &p, held, unmatched, &clk, b->conf->pause_default,
	                         &b->state);
	policy_clear(&p);
	if (n == -EBUSY) {
		log_warn(
		    "state: the table holds a strict break that the state file does not, but a "
		    "pause for some users or devices is on; it is not restored");
		return;
	}
	if (n <= 0)
		return;
	breaks_save_state(b);
	value_format_when(b->state.adhoc.end, clk.now, when, sizeof(when));
	policy_list_names(b->conf, policy_pause_lists(b->conf, &b->state.adhoc), lists,
	                  sizeof(lists));
	log_warn("state: the table holds a strict break that the state file does not (it was "
	         "deleted or replaced): kept as a strict pause of %s until %s%s",
	         lists, when,
	         unmatched ? " (every list: a held list is no longer in the configuration)" : "");
}

void breaks_keep_good(struct breaks *b, const char *text, size_t len)
{
	int r = file_write_atomic(b->state_dir, BREAKS_GOOD_CONF, text, len);

	if (r < 0)
		log_warn("state: cannot keep the configuration as %s/%s: %s", b->state_dir,
		         BREAKS_GOOD_CONF, strerror(-r));
}

void breaks_set_fallback(struct breaks *b, const char *why)
{
	free(b->fallback);
	b->fallback = why ? strdup(why) : NULL;
}

int breaks_start(struct breaks *b)
{
	breaks_evaluate(b);
	return 0;
}

void breaks_free(struct breaks *b)
{
	if (!b)
		return;
	breaks_reload_free(b);
	if (b->stats_ev) {
		if (evtimer_pending(b->stats_ev, NULL))
			save_stats(b);
		event_free(b->stats_ev);
	}
	if (b->save_ev) {
		if (b->save_failed) /* one last try */
			state_save(b->state_dir, &b->state);
		event_free(b->save_ev);
	}
	free(b->stats);
	clock_free(b->clock);
	conf_free(b->conf);
	domains_free(b->domains);
	free(b->was_on);
	free(b->fallback);
	policy_clear(&b->pol);
	free(b->state_dir);
	free(b->data_dir);
	free(b);
}

const struct domains *breaks_domains(const struct breaks *b)
{
	return b->domains;
}
