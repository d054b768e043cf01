/* The break state machine and the control commands that act on it. Every
 * evaluation starts from the facts (config, state, clock) rather than from
 * remembered transitions, so a clock step, a reload or a restart all converge
 * on the same answer. */
#include "breaks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

#include "clock.h"
#include "domains.h"
#include "lists.h"
#include "log.h"
#include "notify.h"
#include "paths.h"
#include "sched.h"
#include "state.h"
#include "stats.h"

/* Stats are written at most this often while attempts come in, and at stop. */
#define BREAKS_STATS_SAVE_SECS 60
/* Replies that wait for one reload run. control.c bounds the replies it lets
 * a handler defer; this bounds what is kept of them here. */
#define BREAKS_RELOAD_WAITERS_MAX 64

/* The slow half of a reload, run on a thread of its own so that DNS is served
 * meanwhile: reading the file and building its lists (a big list takes a
 * fraction of a second). It touches no daemon state; its one shared resource
 * is the logger, which build_domains uses, and log.c writes each line with one
 * fwrite on stderr (locked by stdio) under settings fixed before the loop
 * runs. conf_load sets inih's comment prefixes, globals: only one job runs at
 * a time. */
struct reload_job {
	char *path;
	const char *data_dir;
	struct conf *conf;       /* results, handed to the loop */
	struct domains *domains; /* built from conf */
	struct conf_errors errs;
	int load_rc;  /* conf_load's */
	int build_rc; /* build_domains's, when the conf loaded */
	int done_fd;  /* one byte written here when done */
	thrd_t thread;
	bool threaded; /* else it ran on the loop: nothing to join */
};

/* Whose replies wait for a reload run, and whether a run is wanted at all
 * (SIGHUP wants one without a reply). */
struct reload_waiters {
	struct proto_msg *replies[BREAKS_RELOAD_WAITERS_MAX];
	size_t n;
	bool wanted;
};

struct breaks {
	struct event_base *base;
	struct conf *conf;
	struct domains *domains; /* built from conf's lists; swapped with it */
	char *state_dir;
	char *data_dir;
	struct state state;
	struct clock *clock;
	struct breaks_hooks hooks;
	struct stats *stats;
	struct event *stats_ev; /* pending while unsaved attempts exist */
	/* Per conf break: on at the last evaluation (skipped ones count as off). */
	bool *was_on;
	bool adhoc_was_on;
	bool started;
	struct inforce inforce;
	char boot_id[STATE_BOOT_ID_LEN + 1];
	/* Reloads: the one running, those it will answer, and those that came
	 * while it ran, which a fresh run after it answers (so each sees the file
	 * as it was when asked). */
	struct reload_job job;
	bool job_running;
	struct reload_waiters current, next;
	int job_pipe[2];
	struct event *job_ev;
};

/* ---- small formatting helpers ---- */

static void fmt_lists(const struct conf *c, uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++) {
		if (!(mask & (UINT64_C(1) << i)))
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", c->lists[i].name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "(none)");
}

static uint64_t all_lists(const struct conf *c)
{
	return c->n_lists >= 64 ? UINT64_MAX : (UINT64_C(1) << c->n_lists) - 1;
}

static uint64_t break_lists(const struct conf *c, const struct conf_break *br)
{
	uint64_t m = 0;

	for (size_t i = 0; i < br->n_lists; i++)
		if (br->lists[i] < SMB_LISTS_MAX)
			m |= UINT64_C(1) << br->lists[i];
	(void)c;
	return m;
}

static uint64_t adhoc_lists(const struct conf *c, const struct state_adhoc *a)
{
	uint64_t m = 0;

	if (a->n_lists == 0)
		return all_lists(c);
	for (size_t i = 0; i < a->n_lists; i++)
		for (size_t j = 0; j < c->n_lists && j < SMB_LISTS_MAX; j++)
			if (strcmp(a->lists[i], c->lists[j].name) == 0)
				m |= UINT64_C(1) << j;
	return m;
}

/* ---- the ad-hoc break's clocks ---- */

static bool same_boot(const struct breaks *b)
{
	return b->state.adhoc.boot_id[0] && strcmp(b->state.adhoc.boot_id, b->boot_id) == 0;
}

/* When the ad-hoc break ends, as a wall-clock instant seen from now. A strict
 * one ends only when its wall-clock end and its CLOCK_BOOTTIME length have
 * both passed; the boot measure is known only within its own boot. */
static time_t adhoc_end(const struct breaks *b, time_t now)
{
	const struct state_adhoc *a = &b->state.adhoc;
	time_t end = a->end;

	if (a->strict && same_boot(b)) {
		int64_t left = a->boot_start + a->length - state_boottime();
		if (left > 0 && now + left > end)
			end = now + left;
	}
	return end;
}

/* ---- events ---- */

static void put_break(struct proto_msg *m, uint16_t type, const char *name, const char *kind,
                      time_t start, time_t end, bool on, bool strict, bool skipped,
                      const struct conf *c, uint64_t lists)
{
	long nest = proto_nest_start(m, type);

	if (nest < 0)
		return;
	proto_put_str(m, PROTO_A_NAME, name);
	proto_put_str(m, PROTO_A_KIND, kind);
	proto_put_i64(m, PROTO_A_START, start);
	proto_put_i64(m, PROTO_A_END, end);
	if (on)
		proto_put_flag(m, PROTO_A_ON);
	if (strict)
		proto_put_flag(m, PROTO_A_STRICT);
	if (skipped)
		proto_put_flag(m, PROTO_A_SKIPPED);
	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++)
		if (lists & (UINT64_C(1) << i))
			proto_put_str(m, PROTO_A_LIST, c->lists[i].name);
	proto_nest_end(m, nest);
}

/* Logs one line and sends the same sentence to `smctl watch`. */
static void emit(struct breaks *b, time_t now, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void emit(struct breaks *b, time_t now, const char *kind, const char *fmt, ...)
{
	struct proto_msg *m;
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_notice("%s", line);
	if (!b->hooks.event)
		return;
	m = malloc(sizeof(*m));
	if (!m)
		return;
	proto_msg_init(m, PROTO_EVENT);
	proto_put_str(m, PROTO_A_EVENT, kind);
	proto_put_i64(m, PROTO_A_NOW, now);
	proto_put_str(m, PROTO_A_MESSAGE, line);
	if (proto_msg_finish(m) > 0)
		b->hooks.event(b->hooks.arg, m);
	free(m);
}

/* ---- evaluation ---- */

static int save_state(struct breaks *b)
{
	int r = state_save(b->state_dir, &b->state);

	if (r < 0)
		log_error("state: cannot write %s/state: %s", b->state_dir, strerror(-r));
	return r;
}

static void add_reason(struct inforce *in, const char *what, const char *until)
{
	size_t off = strlen(in->reason);

	snprintf(in->reason + off, sizeof(in->reason) - off, "%s%s until %s", off ? ", " : "", what,
	         until);
}

static void consider(time_t *next, time_t t, time_t now)
{
	if (t > now && (*next == 0 || t < *next))
		*next = t;
}

static void evaluate(struct breaks *b)
{
	const struct conf *c = b->conf;
	struct inforce in = {0};
	time_t now = time(NULL), next = 0;
	char when[32], lists[256];
	bool state_dirty = false;

	size_t before = b->state.n_skips;
	state_prune(&b->state, now);
	state_dirty |= before != b->state.n_skips;

	/* The ad-hoc break first: it may have just ended. */
	struct state_adhoc *a = &b->state.adhoc;
	if (a->on && adhoc_end(b, now) <= now) {
		a->on = false;
		state_dirty = true;
	}
	if (a->on) {
		time_t end = adhoc_end(b, now);
		in.lists |= adhoc_lists(c, a);
		in.strict |= a->strict;
		consider(&next, end, now);
		if (end > in.end)
			in.end = end;
		value_format_when(end, now, when, sizeof(when));
		add_reason(&in, "pause", when);
		if (!b->adhoc_was_on) {
			value_format_when(end, now, when, sizeof(when));
			fmt_lists(c, adhoc_lists(c, a), lists, sizeof(lists));
			emit(b, now, "start", "pause started: lists %s until %s%s", lists, when,
			     a->strict ? " (strict)" : "");
		}
	} else if (b->adhoc_was_on) {
		emit(b, now, "end", "pause ended");
	}
	b->adhoc_was_on = a->on;

	for (size_t i = 0; i < c->n_breaks; i++) {
		const struct conf_break *br = &c->breaks[i];
		time_t s, e;
		bool on = sched_active(br, now, &s, &e);

		if (on) {
			consider(&next, e, now);
			if (state_is_skipped(&b->state, br->name, e))
				on = false;
		}
		if (sched_next_interval(br, now, &s, &e))
			consider(&next, s, now);
		if (on) {
			in.lists |= break_lists(c, br);
			in.strict |= br->strict;
			sched_active(br, now, &s, &e);
			if (e > in.end)
				in.end = e;
			value_format_when(e, now, when, sizeof(when));
			char what[VALUE_NAME_MAX + 8];
			snprintf(what, sizeof(what), "break %s", br->name);
			add_reason(&in, what, when);
		}
		if (on && !b->was_on[i]) {
			sched_active(br, now, &s, &e);
			value_format_when(e, now, when, sizeof(when));
			fmt_lists(c, break_lists(c, br), lists, sizeof(lists));
			emit(b, now, "start", "break %s started: lists %s until %s%s", br->name,
			     lists, when, br->strict ? " (strict)" : "");
		} else if (!on && b->was_on[i]) {
			emit(b, now, "end", "break %s ended", br->name);
		}
		b->was_on[i] = on;
	}
	in.until = next;

	if (state_dirty)
		save_state(b);
	if (!b->started || in.lists != b->inforce.lists || in.strict != b->inforce.strict ||
	    in.end != b->inforce.end || strcmp(in.reason, b->inforce.reason) != 0) {
		fmt_lists(c, in.lists, lists, sizeof(lists));
		value_format_when(in.end, now, when, sizeof(when));
		if (in.lists)
			log_info("in force: %s until %s%s", lists, when,
			         in.strict ? " (strict)" : "");
		else
			log_info("in force: nothing");
		b->inforce = in;
		b->started = true;
		if (b->hooks.enforce)
			b->hooks.enforce(b->hooks.arg, c, &b->inforce);
	}
	b->inforce.until = in.until;
	if (clock_arm(b->clock, next) < 0)
		log_error("clock: cannot arm the timer: %s", strerror(errno));
	if (next) {
		value_format_when(next, now, when, sizeof(when));
		log_debug("next evaluation at %s", when);
	}
}

static void on_clock(void *arg, enum clock_reason why)
{
	struct breaks *b = arg;

	if (why == CLOCK_STEPPED)
		log_info("clock: the system clock was set; re-evaluating breaks");
	else if (why == CLOCK_TZ_CHANGED)
		log_info("clock: the timezone changed; re-evaluating breaks");
	evaluate(b);
}

static void add_error(struct conf_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_error(struct conf_errors *errs, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	char **v;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	v = realloc(errs->msgs, (errs->n + 1) * sizeof(*v));
	if (!v)
		return;
	errs->msgs = v;
	if ((v[errs->n] = strdup(buf)))
		errs->n++;
}

/* ---- domain lists ---- */

static void on_list_error(void *ctx, const char *msg)
{
	struct conf_errors *errs = ctx;

	log_warn("%s", msg);
	if (errs)
		add_error(errs, "%s", msg);
}

/* Builds the domain structure of a configuration. Bad lines are reported and
 * skipped; a missing file or unknown service fails the build, and with it the
 * start or the reload. */
static int build_domains(const char *data_dir, const struct conf *c, struct conf_errors *errs,
                         struct domains **out)
{
	struct lists_summary sum;
	int r = lists_build(c, data_dir, on_list_error, errs, out, &sum);

	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++)
		log_info("list %s: %zu entries from %zu files, %zu bad lines skipped",
		         c->lists[i].name, sum.entries[i], sum.files[i], sum.errors[i]);
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

void breaks_count_blocked(struct breaks *b, const char *key)
{
	struct timeval tv = {BREAKS_STATS_SAVE_SECS, 0};

	stats_add(b->stats, stats_date(time(NULL)), key);
	if (!evtimer_pending(b->stats_ev, NULL))
		evtimer_add(b->stats_ev, &tv);
}

/* ---- lifecycle ---- */

static void on_job_done(evutil_socket_t fd, short what, void *arg);

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
	b->job_pipe[0] = b->job_pipe[1] = -1;
	if (pipe2(b->job_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	b->job_ev = event_new(base, b->job_pipe[0], EV_READ | EV_PERSIST, on_job_done, b);
	if (!b->job_ev || event_add(b->job_ev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	b->state_dir = strdup(state_dir);
	b->data_dir = strdup(data_dir);
	b->was_on = calloc(conf->n_breaks ? conf->n_breaks : 1, sizeof(bool));
	if (!b->state_dir || !b->data_dir || !b->was_on) {
		r = -ENOMEM;
		goto fail;
	}
	r = build_domains(data_dir, conf, NULL, &b->domains);
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
		log_info("state: restored the pause that ends at %jd",
		         (intmax_t)b->state.adhoc.end);
	}
	b->stats = calloc(1, sizeof(*b->stats));
	b->stats_ev = evtimer_new(base, on_stats_timer, b);
	if (!b->stats || !b->stats_ev) {
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

int breaks_start(struct breaks *b)
{
	evaluate(b);
	return 0;
}

static void job_clear(struct reload_job *j);

void breaks_free(struct breaks *b)
{
	if (!b)
		return;
	/* The replies waiting are control's to free; the job's results are ours. */
	if (b->job_running) {
		if (b->job.threaded)
			thrd_join(b->job.thread, NULL);
		job_clear(&b->job);
	}
	if (b->job_ev)
		event_free(b->job_ev);
	if (b->job_pipe[0] >= 0)
		close(b->job_pipe[0]);
	if (b->job_pipe[1] >= 0)
		close(b->job_pipe[1]);
	if (b->stats_ev) {
		if (evtimer_pending(b->stats_ev, NULL))
			save_stats(b);
		event_free(b->stats_ev);
	}
	free(b->stats);
	clock_free(b->clock);
	conf_free(b->conf);
	domains_free(b->domains);
	free(b->was_on);
	free(b->state_dir);
	free(b->data_dir);
	free(b);
}

const struct conf *breaks_conf(const struct breaks *b)
{
	return b->conf;
}

const struct domains *breaks_domains(const struct breaks *b)
{
	return b->domains;
}

/* ---- reload ---- */

/* The first of need[] that is not in have[], or NULL. */
static const char *missing(char *const *need, size_t n, char *const *have, size_t m)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < m && strcmp(need[i], have[j]) != 0)
			j++;
		if (j == m)
			return need[i];
	}
	return NULL;
}

/* A list under a strict break may gain entries but not lose any, and may not
 * gain allow entries. */
static void check_list_kept(const struct conf_list *o, const struct conf *nc, const char *why,
                            struct conf_errors *errs)
{
	const struct conf_list *n = conf_find_list(nc, o->name);
	const char *m;

	if (!n) {
		add_error(errs, "%s: list '%s' cannot be removed", why, o->name);
		return;
	}
	if ((m = missing(o->domains, o->n_domains, n->domains, n->n_domains)))
		add_error(errs, "%s: list '%s' cannot lose domain '%s'", why, o->name, m);
	if ((m = missing(o->services, o->n_services, n->services, n->n_services)))
		add_error(errs, "%s: list '%s' cannot lose service '%s'", why, o->name, m);
	if ((m = missing(o->files, o->n_files, n->files, n->n_files)))
		add_error(errs, "%s: list '%s' cannot lose file '%s'", why, o->name, m);
	if ((m = missing(n->allow, n->n_allow, o->allow, o->n_allow)))
		add_error(errs, "%s: list '%s' cannot gain allow entry '%s'", why, o->name, m);
}

/* During a strict break a reload may tighten but not loosen what is blocked
 * right now. */
static void check_strict(const struct breaks *b, const struct conf *nc, time_t now,
                         struct conf_errors *errs)
{
	const struct conf *oc = b->conf;
	const struct state_adhoc *a = &b->state.adhoc;
	char why[128], when[32];

	if (a->on && a->strict) {
		value_format_when(adhoc_end(b, now), now, when, sizeof(when));
		snprintf(why, sizeof(why), "refused during the strict pause (until %s)", when);
		uint64_t m = adhoc_lists(oc, a);
		for (size_t i = 0; i < oc->n_lists && i < SMB_LISTS_MAX; i++)
			if (m & (UINT64_C(1) << i))
				check_list_kept(&oc->lists[i], nc, why, errs);
	}
	for (size_t i = 0; i < oc->n_breaks; i++) {
		const struct conf_break *ob = &oc->breaks[i], *nb;
		time_t s, e, ns, ne;

		if (!ob->strict || !b->was_on[i] || !sched_active(ob, now, &s, &e))
			continue;
		value_format_when(e, now, when, sizeof(when));
		snprintf(why, sizeof(why), "refused during strict break '%s' (until %s)", ob->name,
		         when);
		nb = conf_find_break(nc, ob->name);
		if (!nb || !nb->strict || !sched_active(nb, now, &ns, &ne) || ne < e) {
			add_error(errs, "%s: the break must stay strict and on until then", why);
			continue;
		}
		for (size_t j = 0; j < ob->n_lists; j++) {
			const struct conf_list *ol = &oc->lists[ob->lists[j]];
			size_t k = 0;
			while (k < nb->n_lists && strcmp(nc->lists[nb->lists[k]].name, ol->name))
				k++;
			if (k == nb->n_lists)
				add_error(errs, "%s: the break cannot drop list '%s'", why,
				          ol->name);
			check_list_kept(ol, nc, why, errs);
		}
	}
}

/* Reads the file and builds its lists: the part of a reload that may run on
 * a thread (see struct reload_job). */
static void job_run(struct reload_job *j)
{
	j->load_rc = j->path ? conf_load(j->path, &j->conf, &j->errs) : -ENOMEM;
	if (j->load_rc < 0)
		return;
	j->build_rc = build_domains(j->data_dir, j->conf, &j->errs, &j->domains);
}

static void job_clear(struct reload_job *j)
{
	free(j->path);
	conf_free(j->conf);
	domains_free(j->domains);
	conf_errors_clear(&j->errs);
	*j = (struct reload_job){.done_fd = -1};
}

/* The rest of a reload, on the loop: judge the built configuration against
 * the running one and swap it in. Takes the job's conf and domains either way;
 * errs holds the job's errors and gets any more. */
static int reload_apply(struct breaks *b, struct reload_job *j, struct conf_errors *errs)
{
	struct conf *nc = j->conf, *oc = b->conf;
	struct domains *nd = j->domains;
	time_t now = time(NULL);
	bool *was_on;

	j->conf = NULL;
	j->domains = NULL;
	if (j->load_rc < 0) {
		if (!errs->n && !errs->dropped)
			add_error(errs, "%s: %s", oc->path, strerror(-j->load_rc));
		log_error("reload: %s rejected with %zu error(s); the running configuration stays",
		          oc->path, errs->n + errs->dropped);
		for (size_t i = 0; i < errs->n; i++)
			log_error("%s", errs->msgs[i]);
		return -EINVAL;
	}
	if (j->build_rc < 0) {
		if (!errs->n)
			add_error(errs, "%s: cannot build the domain lists: %s", nc->path,
			          strerror(-j->build_rc));
		log_error("reload: the lists of %s cannot be built; the running configuration "
		          "stays",
		          nc->path);
		conf_free(nc);
		return -EINVAL;
	}
	if (b->inforce.strict) {
		/* Only what check_strict adds refuses: the list build's reports of
		 * skipped lines are already in errs, and harmless. */
		size_t before = errs->n + errs->dropped;
		check_strict(b, nc, now, errs);
		if (errs->n + errs->dropped > before) {
			log_warn("reload: refused, it would loosen a strict break; the running "
			         "configuration stays");
			for (size_t i = before; i < errs->n; i++)
				log_warn("%s", errs->msgs[i]);
			conf_free(nc);
			domains_free(nd);
			return -EPERM;
		}
	}
	was_on = calloc(nc->n_breaks ? nc->n_breaks : 1, sizeof(bool));
	if (!was_on) {
		conf_free(nc);
		domains_free(nd);
		return -ENOMEM;
	}
	/* Carry "on" over by name so a break that stays on is not announced again. */
	for (size_t i = 0; i < nc->n_breaks; i++)
		for (size_t k = 0; k < oc->n_breaks; k++)
			if (strcmp(nc->breaks[i].name, oc->breaks[k].name) == 0)
				was_on[i] = b->was_on[k];
	for (size_t i = 0; i < b->state.adhoc.n_lists; i++)
		if (!conf_find_list(nc, b->state.adhoc.lists[i]))
			log_warn("reload: the pause names list '%s', which no longer exists",
			         b->state.adhoc.lists[i]);
	free(b->was_on);
	b->was_on = was_on;
	b->conf = nc;
	b->started = false; /* list indices may have moved: hand enforcement the new set */
	log_notice("reload: %s loaded (%zu lists, %zu breaks)", nc->path, nc->n_lists,
	           nc->n_breaks);
	struct domains *od = b->domains;
	b->domains = nd;
	if (b->hooks.reloaded)
		b->hooks.reloaded(b->hooks.arg, nc);
	evaluate(b);
	conf_free(oc);
	domains_free(od);
	return 0;
}

static int job_thread(void *arg)
{
	struct reload_job *j = arg;
	int fd = j->done_fd;
	ssize_t n;

	job_run(j);
	/* The job belongs to the loop from here on. */
	do
		n = write(fd, "", 1);
	while (n < 0 && errno == EINTR);
	return 0;
}

/* Starts a run for the waiters in b->current. It cannot fail: without a
 * thread the job runs here, on the loop, as reloads did before; either way
 * its end arrives through the pipe, never before this returns. */
static void job_start(struct breaks *b)
{
	struct reload_job *j = &b->job;
	sigset_t all, old;
	int r;

	notify_reloading();
	*j = (struct reload_job){
	    .path = strdup(b->conf->path), .data_dir = b->data_dir, .done_fd = b->job_pipe[1]};
	b->job_running = true;
	log_info("reload: reading %s", b->conf->path);
	/* Signals are the loop's (libevent catches them there). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = thrd_create(&j->thread, job_thread, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == thrd_success) {
		j->threaded = true;
		return;
	}
	log_warn("reload: no thread for it (%s); reloading on the main loop",
	         r == thrd_nomem ? "out of memory" : "thrd_create failed");
	job_run(j);
	if (write(j->done_fd, "", 1) < 0)
		log_error("reload: cannot wake the loop: %s", strerror(errno));
}

static void reply_reload(const struct breaks *b, struct proto_msg *reply, int r,
                         const struct conf_errors *errs);

static void on_job_done(evutil_socket_t fd, short what, void *arg)
{
	struct breaks *b = arg;
	struct reload_waiters done;
	struct conf_errors errs;
	char buf[16];
	int r;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (!b->job_running)
		return;
	if (b->job.threaded)
		thrd_join(b->job.thread, NULL);
	b->job_running = false;
	errs = b->job.errs;
	b->job.errs = (struct conf_errors){0};
	r = reload_apply(b, &b->job, &errs);
	job_clear(&b->job);
	notify_ready();
	/* The next run starts before these replies go out: a reload asked for by
	 * one of their clients right after must wait for a run of its own. */
	done = b->current;
	b->current = b->next;
	b->next = (struct reload_waiters){0};
	if (b->current.wanted)
		job_start(b);
	for (size_t i = 0; i < done.n; i++) {
		reply_reload(b, done.replies[i], r, &errs);
		b->hooks.finish(b->hooks.arg, done.replies[i]);
	}
	conf_errors_clear(&errs);
}

int breaks_reload_async(struct breaks *b, struct proto_msg *reply)
{
	struct reload_waiters *w = b->job_running ? &b->next : &b->current;

	if (reply && !b->hooks.finish)
		return -EINVAL;
	if (reply && w->n == BREAKS_RELOAD_WAITERS_MAX)
		return -EBUSY;
	if (reply)
		w->replies[w->n++] = reply;
	w->wanted = true;
	if (!b->job_running)
		job_start(b);
	return 0;
}

/* ---- control commands ---- */

static void reply_result(struct proto_msg *m, enum proto_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reply_result(struct proto_msg *m, enum proto_result r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	proto_put_u32(m, PROTO_A_RESULT, r);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	proto_put_str(m, PROTO_A_MESSAGE, buf);
}

static void put_adhoc(const struct breaks *b, struct proto_msg *m, uint16_t type, time_t now)
{
	const struct state_adhoc *a = &b->state.adhoc;

	put_break(m, type, "pause", "adhoc", a->start, adhoc_end(b, now), true, a->strict, false,
	          b->conf, adhoc_lists(b->conf, a));
}

static int cmd_resume(struct breaks *b, struct proto_msg *reply, time_t now)
{
	struct state_adhoc *a = &b->state.adhoc;
	char when[32], left[32];

	if (!a->on) {
		for (size_t i = 0; i < b->conf->n_breaks; i++)
			if (b->was_on[i]) {
				reply_result(reply, PROTO_RESULT_REFUSED,
				             "no pause is on; break '%s' is scheduled (smctl skip "
				             "ends it early)",
				             b->conf->breaks[i].name);
				return 0;
			}
		reply_result(reply, PROTO_RESULT_REFUSED, "no pause is on");
		return 0;
	}
	if (a->strict) {
		time_t end = adhoc_end(b, now);
		value_format_when(end, now, when, sizeof(when));
		value_format_left(end - now, left, sizeof(left));
		reply_result(
		    reply, PROTO_RESULT_REFUSED,
		    "this pause is strict and cannot be ended early; it ends at %s (in %s)", when,
		    left);
		return 0;
	}
	struct state_adhoc old = *a;
	a->on = false;
	if (save_state(b) < 0) {
		*a = old;
		reply_result(reply, PROTO_RESULT_REFUSED, "cannot save the state; nothing changed");
		return 0;
	}
	evaluate(b);
	reply_result(reply, PROTO_RESULT_OK, "pause ended");
	return 0;
}

static int cmd_pause(struct breaks *b, const struct control_peer *peer, const uint8_t *payload,
                     size_t len, struct proto_msg *reply, time_t now)
{
	const struct conf *c = b->conf;
	struct state_adhoc *a = &b->state.adhoc, old = *a;
	struct proto_iter it;
	struct proto_attr at;
	bool have_len = false, strict = false;
	char names[SMB_LISTS_MAX][VALUE_NAME_MAX + 1];
	size_t n_names = 0;
	time_t end = 0;

	proto_iter_init(&it, payload, len);
	while (proto_iter_next(&it, &at)) {
		if (at.type == PROTO_A_DURATION) {
			uint64_t d = proto_attr_u64(&at);
			if (d == 0 || d > BREAKS_PAUSE_MAX) {
				reply_result(reply, PROTO_RESULT_USAGE,
				             "a pause lasts from 1s to 30d");
				return 0;
			}
			end = now + (time_t)d;
			have_len = true;
		} else if (at.type == PROTO_A_UNTIL) {
			const char *s = proto_attr_str(&at);
			uint32_t tod;
			struct tm tm;
			if (value_parse_time_of_day(s, false, &tod) < 0) {
				reply_result(reply, PROTO_RESULT_USAGE,
				             "bad time '%s': use HH:MM, like 17:30", s);
				return 0;
			}
			localtime_r(&now, &tm);
			end =
			    sched_local_instant(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tod);
			for (int d = 1; end <= now && d <= 2; d++) {
				struct tm t2 = tm;
				t2.tm_mday += d;
				t2.tm_hour = 12;
				t2.tm_isdst = -1;
				time_t noon = mktime(&t2);
				localtime_r(&noon, &t2);
				end = sched_local_instant(t2.tm_year + 1900, t2.tm_mon + 1,
				                          t2.tm_mday, tod);
			}
			have_len = true;
		} else if (at.type == PROTO_A_STRICT) {
			strict = true;
		} else if (at.type == PROTO_A_LIST) {
			const char *s = proto_attr_str(&at);
			if (!conf_find_list(c, s)) {
				char all[256];
				fmt_lists(c, all_lists(c), all, sizeof(all));
				reply_result(reply, PROTO_RESULT_USAGE,
				             "no list named '%s' (lists: %s)", s, all);
				return 0;
			}
			if (n_names == SMB_LISTS_MAX) {
				reply_result(reply, PROTO_RESULT_USAGE, "too many lists");
				return 0;
			}
			snprintf(names[n_names++], sizeof(names[0]), "%s", s);
		}
	}
	/* No length given: `smctl pause` toggles. */
	if (!have_len) {
		if (a->on)
			return cmd_resume(b, reply, now);
		end = now + (time_t)c->pause_default;
	}

	if (!a->on) {
		memset(a, 0, sizeof(*a));
		a->on = true;
		a->start = now;
		a->end = end;
		a->strict = strict;
		for (size_t i = 0; i < n_names; i++)
			memcpy(a->lists[i], names[i], sizeof(names[i]));
		a->n_lists = n_names;
	} else {
		/* Extend, never shorten; strictness and lists only grow. */
		if (end > a->end)
			a->end = end;
		if (a->n_lists && n_names) {
			for (size_t i = 0; i < n_names; i++) {
				size_t j = 0;
				while (j < a->n_lists && strcmp(a->lists[j], names[i]))
					j++;
				if (j == a->n_lists && a->n_lists < SMB_LISTS_MAX)
					memcpy(a->lists[a->n_lists++], names[i], sizeof(names[i]));
			}
		} else {
			a->n_lists = 0;
		}
		a->strict |= strict;
	}
	if (a->strict) {
		/* The boot measure covers the whole remaining length from now on. */
		int64_t boot_now = state_boottime();
		if (!old.strict || !same_boot(b)) {
			a->boot_start = boot_now;
			a->length = a->end - now;
		} else if (a->boot_start + a->length < boot_now + (a->end - now)) {
			a->length = boot_now + (a->end - now) - a->boot_start;
		}
		snprintf(a->boot_id, sizeof(a->boot_id), "%s", b->boot_id);
	}
	if (save_state(b) < 0) {
		*a = old;
		reply_result(reply, PROTO_RESULT_REFUSED, "cannot save the state; nothing changed");
		return 0;
	}
	char when[32], left[32], lists[256];
	time_t e = adhoc_end(b, now);
	value_format_when(e, now, when, sizeof(when));
	value_format_left(e - now, left, sizeof(left));
	fmt_lists(c, adhoc_lists(c, a), lists, sizeof(lists));
	log_info("pause %s by uid %u: until %s, lists %s%s", old.on ? "extended" : "requested",
	         (unsigned)peer->uid, when, lists, a->strict ? ", strict" : "");
	if (old.on && a->end == old.end && a->strict == old.strict)
		reply_result(reply, PROTO_RESULT_OK, "already paused until %s (in %s): lists %s%s",
		             when, left, lists, a->strict ? ", strict" : "");
	else
		reply_result(reply, PROTO_RESULT_OK, "paused until %s (%s): lists %s%s", when, left,
		             lists, a->strict ? ", strict" : "");
	put_adhoc(b, reply, PROTO_A_BREAK, now);
	evaluate(b);
	return 0;
}

static int cmd_skip(struct breaks *b, const struct control_peer *peer, struct proto_msg *reply,
                    time_t now)
{
	const struct conf *c = b->conf;
	struct state old = b->state;
	char skipped[256] = "", strict[256] = "", when[32];
	size_t n_skipped = 0, n_strict = 0;

	for (size_t i = 0; i < c->n_breaks; i++) {
		const struct conf_break *br = &c->breaks[i];
		time_t s, e;
		size_t off;

		if (!b->was_on[i] || !sched_active(br, now, &s, &e))
			continue;
		if (br->strict) {
			value_format_when(e, now, when, sizeof(when));
			off = strlen(strict);
			snprintf(strict + off, sizeof(strict) - off,
			         "%s'%s' is strict and ends at %s", n_strict ? "; " : "", br->name,
			         when);
			n_strict++;
			continue;
		}
		if (state_add_skip(&b->state, br->name, e) < 0)
			continue;
		off = strlen(skipped);
		snprintf(skipped + off, sizeof(skipped) - off, "%s%s", n_skipped ? ", " : "",
		         br->name);
		n_skipped++;
	}
	if (!n_skipped) {
		if (n_strict)
			reply_result(reply, PROTO_RESULT_REFUSED, "cannot skip: %s", strict);
		else
			reply_result(reply, PROTO_RESULT_REFUSED, "no scheduled break is on");
		return 0;
	}
	if (save_state(b) < 0) {
		b->state = old;
		reply_result(reply, PROTO_RESULT_REFUSED, "cannot save the state; nothing changed");
		return 0;
	}
	log_info("skip by uid %u: %s", (unsigned)peer->uid, skipped);
	evaluate(b);
	if (n_strict)
		reply_result(reply, PROTO_RESULT_OK, "skipped %s; %s", skipped, strict);
	else
		reply_result(reply, PROTO_RESULT_OK, "skipped %s", skipped);
	return 0;
}

struct entry {
	size_t brk;
	time_t start, end;
};

static int entry_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->brk < b->brk ? -1 : a->brk > b->brk;
}

static void put_scheduled(const struct breaks *b, struct proto_msg *m, uint16_t type,
                          const struct entry *e, time_t now)
{
	const struct conf_break *br = &b->conf->breaks[e->brk];
	bool on = e->start <= now && now < e->end;

	put_break(m, type, br->name, "scheduled", e->start, e->end, on, br->strict,
	          state_is_skipped(&b->state, br->name, e->end), b->conf, break_lists(b->conf, br));
}

static int cmd_schedule(struct breaks *b, const uint8_t *payload, size_t len,
                        struct proto_msg *reply, time_t now)
{
	const struct conf *c = b->conf;
	struct proto_attr at;
	uint32_t days = BREAKS_SCHEDULE_DAYS;
	struct entry *v;
	size_t n = 0;

	if (proto_find(payload, len, PROTO_A_DAYS, &at)) {
		days = proto_attr_u32(&at);
		if (days < 1 || days > 60) {
			reply_result(reply, PROTO_RESULT_USAGE, "--days takes 1 to 60");
			return 0;
		}
	}
	v = calloc(BREAKS_SCHEDULE_MAX, sizeof(*v));
	if (!v)
		return -ENOMEM;
	time_t horizon = now + (time_t)days * 86400;
	for (size_t i = 0; i < c->n_breaks; i++) {
		time_t s, e, t = now;
		if (sched_active(&c->breaks[i], now, &s, &e) && n < BREAKS_SCHEDULE_MAX)
			v[n++] = (struct entry){i, s, e};
		while (n < BREAKS_SCHEDULE_MAX && sched_next_interval(&c->breaks[i], t, &s, &e) &&
		       s < horizon) {
			v[n++] = (struct entry){i, s, e};
			t = s;
		}
	}
	qsort(v, n, sizeof(*v), entry_cmp);
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_i64(reply, PROTO_A_NOW, now);
	if (b->state.adhoc.on)
		put_adhoc(b, reply, PROTO_A_BREAK, now);
	for (size_t i = 0; i < n; i++)
		put_scheduled(b, reply, PROTO_A_BREAK, &v[i], now);
	free(v);
	return 0;
}

static int cmd_status(struct breaks *b, struct proto_msg *reply, time_t now)
{
	const struct conf *c = b->conf;
	struct entry next = {0};
	bool have_next = false;

	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_i64(reply, PROTO_A_NOW, now);
	proto_put_str(reply, PROTO_A_VERSION, SMB_VERSION);
	proto_put_str(reply, PROTO_A_CONFIG, c->path);
	if (b->inforce.lists)
		proto_put_flag(reply, PROTO_A_BLOCKING);
	if (b->inforce.strict)
		proto_put_flag(reply, PROTO_A_STRICT);
	for (size_t i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++)
		if (b->inforce.lists & (UINT64_C(1) << i))
			proto_put_str(reply, PROTO_A_INFORCE, c->lists[i].name);
	if (b->state.adhoc.on)
		put_adhoc(b, reply, PROTO_A_BREAK, now);
	for (size_t i = 0; i < c->n_breaks; i++) {
		time_t s, e;
		if (sched_active(&c->breaks[i], now, &s, &e)) {
			struct entry en = {i, s, e};
			put_scheduled(b, reply, PROTO_A_BREAK, &en, now);
		}
		if (sched_next_interval(&c->breaks[i], now, &s, &e) &&
		    (!have_next || s < next.start)) {
			next = (struct entry){i, s, e};
			have_next = true;
		}
	}
	if (have_next)
		put_scheduled(b, reply, PROTO_A_NEXT, &next, now);
	if (b->hooks.status)
		b->hooks.status(b->hooks.arg, reply);
	return 0;
}

static void reply_reload(const struct breaks *b, struct proto_msg *reply, int r,
                         const struct conf_errors *errs)
{
	if (r == 0) {
		reply_result(reply, PROTO_RESULT_OK, "configuration reloaded from %s",
		             b->conf->path);
	} else if (r == -EPERM) {
		reply_result(reply, PROTO_RESULT_REFUSED,
		             "reload refused: it would loosen a strict break; the running "
		             "configuration stays");
	} else if (r == -EINVAL) {
		reply_result(reply, PROTO_RESULT_REFUSED,
		             "%s has errors; the running configuration stays", b->conf->path);
	} else {
		reply_result(reply, PROTO_RESULT_REFUSED, "reload failed: %s", strerror(-r));
	}
	for (size_t i = 0; i < errs->n; i++)
		proto_put_str(reply, PROTO_A_ERROR, errs->msgs[i]);
	if (errs->dropped)
		proto_put_str(reply, PROTO_A_ERROR, "(more errors not shown)");
}

/* Answered when the reload is done (CONTROL_DEFER). */
static int cmd_reload(struct breaks *b, struct proto_msg *reply)
{
	int r = breaks_reload_async(b, reply);

	if (r == 0)
		return CONTROL_DEFER;
	if (r == -EBUSY)
		reply_result(reply, PROTO_RESULT_REFUSED,
		             "busy: too many reloads waiting, try again");
	else
		reply_result(reply, PROTO_RESULT_REFUSED, "reload failed: %s", strerror(-r));
	return 0;
}

static int cmd_lists(struct breaks *b, struct proto_msg *reply)
{
	const struct conf *c = b->conf;

	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	for (size_t i = 0; i < c->n_lists; i++)
		proto_put_str(reply, PROTO_A_LIST, c->lists[i].name);
	for (size_t i = 0; i < c->n_breaks; i++) {
		long nest = proto_nest_start(reply, PROTO_A_BREAK);
		if (nest < 0)
			break;
		proto_put_str(reply, PROTO_A_NAME, c->breaks[i].name);
		proto_nest_end(reply, nest);
	}
	return 0;
}

static void put_hit(struct breaks *b, struct proto_msg *m, unsigned list, const char *kind,
                    const struct domains_hit *h)
{
	const char *src = domains_origin(b->domains, h->origin, NULL, NULL);
	long nest = proto_nest_start(m, PROTO_A_MATCH);

	if (nest < 0)
		return;
	proto_put_str(m, PROTO_A_LIST, b->conf->lists[list].name);
	proto_put_str(m, PROTO_A_KIND, kind);
	proto_put_str(m, PROTO_A_ENTRY, h->entry);
	proto_put_str(m, PROTO_A_SOURCE, src ? src : "?");
	if (h->line)
		proto_put_u32(m, PROTO_A_LINE, h->line);
	proto_nest_end(m, nest);
}

/* smctl check: is the name blocked now, would it be during each break, and
 * which entry of which list (or which allow entry) decides it. */
static int cmd_check(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply,
                     time_t now)
{
	const struct conf *c = b->conf;
	char name[DOMAINS_NAME_MAX + 1], during[256] = "";
	struct domains_match m;
	struct proto_attr at;
	const char *why = NULL;
	size_t nlen, off = 0;

	uint8_t addr[16];
	if (proto_find(payload, len, PROTO_A_DOMAIN, &at) && b->hooks.check_addr) {
		const char *arg = proto_attr_str(&at);
		int family = inet_pton(AF_INET, arg, addr) == 1    ? AF_INET
		             : inet_pton(AF_INET6, arg, addr) == 1 ? AF_INET6
		                                                   : 0;
		if (family) {
			b->hooks.check_addr(b->hooks.arg, family, addr, b->inforce.lists != 0,
			                    reply);
			return 0;
		}
	}
	if (!proto_find(payload, len, PROTO_A_DOMAIN, &at) ||
	    domains_normalize(proto_attr_str(&at), strlen(proto_attr_str(&at)), name, &nlen, &why) <
	        0) {
		reply_result(reply, PROTO_RESULT_USAGE, "bad domain name: %s",
		             why ? why : "none given");
		return 0;
	}
	domains_match(b->domains, name, nlen, &m);
	bool now_blocked = (m.lists & b->inforce.lists) != 0;

	for (size_t i = 0; i < c->n_breaks; i++) {
		if (!(break_lists(c, &c->breaks[i]) & m.lists))
			continue;
		int n = snprintf(during + off, sizeof(during) - off, "%s%s", off ? ", " : "",
		                 c->breaks[i].name);
		if (n > 0 && (size_t)n < sizeof(during) - off)
			off += (size_t)n;
	}
	if (now_blocked)
		reply_result(reply, PROTO_RESULT_OK, "%s is blocked now", name);
	else if (m.lists && off)
		reply_result(reply, PROTO_RESULT_OK,
		             "%s is not blocked now; breaks that block it: %s", name, during);
	else if (m.lists)
		reply_result(reply, PROTO_RESULT_OK,
		             "%s is not blocked now; it is listed, but no break uses its lists "
		             "(a pause blocks it)",
		             name);
	else if (m.allow)
		reply_result(reply, PROTO_RESULT_OK, "%s is never blocked: an allow entry frees it",
		             name);
	else
		reply_result(reply, PROTO_RESULT_OK, "%s is in no list", name);
	proto_put_str(reply, PROTO_A_DOMAIN, name);
	if (now_blocked)
		proto_put_flag(reply, PROTO_A_BLOCKED);
	for (unsigned i = 0; i < c->n_lists && i < SMB_LISTS_MAX; i++) {
		uint64_t bit = UINT64_C(1) << i;
		struct domains_why w;
		if (!((m.block | m.allow) & bit))
			continue;
		domains_explain(b->domains, name, nlen, i, &w);
		if (w.block.found)
			put_hit(b, reply, i, "block", &w.block);
		if (w.allow.found)
			put_hit(b, reply, i, "allow", &w.allow);
	}
	if (b->state.adhoc.on) {
		long nest = proto_nest_start(reply, PROTO_A_BREAK);
		proto_put_str(reply, PROTO_A_NAME, "pause");
		proto_put_str(reply, PROTO_A_KIND, "adhoc");
		proto_put_flag(reply, PROTO_A_ON);
		if (adhoc_lists(c, &b->state.adhoc) & m.lists)
			proto_put_flag(reply, PROTO_A_BLOCKED);
		proto_nest_end(reply, nest);
	}
	for (size_t i = 0; i < c->n_breaks; i++) {
		long nest = proto_nest_start(reply, PROTO_A_BREAK);
		proto_put_str(reply, PROTO_A_NAME, c->breaks[i].name);
		proto_put_str(reply, PROTO_A_KIND, "scheduled");
		if (b->was_on[i])
			proto_put_flag(reply, PROTO_A_ON);
		if (break_lists(c, &c->breaks[i]) & m.lists)
			proto_put_flag(reply, PROTO_A_BLOCKED);
		proto_nest_end(reply, nest);
	}
	(void)now;
	return 0;
}

/* smctl stats: blocked attempts per service for each of the last N days. */
static int cmd_stats(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply,
                     time_t now)
{
	struct proto_attr at;
	uint32_t days = BREAKS_SCHEDULE_DAYS;

	if (proto_find(payload, len, PROTO_A_DAYS, &at)) {
		days = proto_attr_u32(&at);
		if (days < 1 || days > STATS_DAYS) {
			reply_result(reply, PROTO_RESULT_USAGE, "--days takes 1 to %d", STATS_DAYS);
			return 0;
		}
	}
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_i64(reply, PROTO_A_NOW, now);
	for (uint32_t i = 0; i < days; i++) {
		/* Noon of each day back steps over DST changes safely. */
		struct tm tm;
		localtime_r(&now, &tm);
		tm.tm_mday -= (int)i;
		tm.tm_hour = 12;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		uint32_t date = stats_date(t);
		char when[16];
		snprintf(when, sizeof(when), "%04u-%02u-%02u", date / 10000, date / 100 % 100,
		         date % 100);
		long nest = proto_nest_start(reply, PROTO_A_DAY);
		if (nest < 0)
			break;
		proto_put_str(reply, PROTO_A_DATE, when);
		for (size_t d = 0; d < b->stats->n_days; d++) {
			const struct stats_day *sd = &b->stats->days[d];
			if (sd->date != date)
				continue;
			for (size_t k = 0; k < sd->n_keys; k++)
				proto_put_counter(reply, sd->keys[k].name, sd->keys[k].count);
			if (sd->other)
				proto_put_counter(reply, "other", sd->other);
		}
		proto_nest_end(reply, nest);
	}
	return 0;
}

static int count_name(void *ctx, const char *name, size_t len, unsigned line)
{
	(void)name, (void)len, (void)line;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int cmd_services(struct breaks *b, struct proto_msg *reply)
{
	char **names = NULL;
	size_t n = 0;
	int r = lists_services(b->data_dir, &names, &n);

	if (r < 0) {
		reply_result(reply, PROTO_RESULT_REFUSED,
		             "cannot read the catalog in %s/services: %s", b->data_dir,
		             strerror(-r));
		return 0;
	}
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	for (size_t i = 0; i < n; i++) {
		uint64_t count = 0;
		struct lists_stats st;
		if (lists_load_service(b->data_dir, names[i], count_name, NULL, &count, &st) < 0)
			continue;
		long nest = proto_nest_start(reply, PROTO_A_SERVICE);
		proto_put_str(reply, PROTO_A_NAME, names[i]);
		proto_put_u64(reply, PROTO_A_VALUE, count);
		proto_nest_end(reply, nest);
	}
	lists_strv_free(names, n);
	return 0;
}

int breaks_handle_request(void *arg, const struct control_peer *peer, uint16_t cmd,
                          const uint8_t *payload, size_t len, struct proto_msg *reply)
{
	struct breaks *b = arg;
	time_t now = time(NULL);

	switch (cmd) {
	case PROTO_CMD_STATUS:
		return cmd_status(b, reply, now);
	case PROTO_CMD_PAUSE:
		return cmd_pause(b, peer, payload, len, reply, now);
	case PROTO_CMD_RESUME:
		return cmd_resume(b, reply, now);
	case PROTO_CMD_SKIP:
		return cmd_skip(b, peer, reply, now);
	case PROTO_CMD_SCHEDULE:
		return cmd_schedule(b, payload, len, reply, now);
	case PROTO_CMD_RELOAD:
		return cmd_reload(b, reply);
	case PROTO_CMD_LISTS:
		return cmd_lists(b, reply);
	case PROTO_CMD_CHECK:
		return cmd_check(b, payload, len, reply, now);
	case PROTO_CMD_SERVICES:
		return cmd_services(b, reply);
	case PROTO_CMD_STATS:
		return cmd_stats(b, payload, len, reply, now);
	case PROTO_CMD_WATCH:
		reply_result(reply, PROTO_RESULT_OK, "watching breaks");
		return 1;
	default:
		reply_result(reply, PROTO_RESULT_USAGE, "'%s' is not supported by this daemon",
		             proto_cmd_name(cmd) ? proto_cmd_name(cmd) : "?");
		return 0;
	}
}
