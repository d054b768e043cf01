/* The reload of the configuration: the file is read and its lists built on
 * a thread of its own (struct reload_job) so that DNS is served meanwhile,
 * then judged against the running configuration (the strict veto of
 * policy.c) and swapped in on the loop. A failed or refused reload changes
 * nothing in effect. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "breaks_internal.h"
#include "domains.h"
#include "log.h"
#include "notify.h"

/* Reads the file and builds its lists: the part of a reload that may run on
 * a thread (see struct reload_job). */
static void job_run(struct reload_job *j)
{
	j->load_rc =
	    j->path ? conf_load_text(j->path, &j->conf, &j->errs, &j->text, &j->text_len) : -ENOMEM;
	if (j->load_rc < 0)
		return;
	j->build_rc = breaks_build_domains(j->data_dir, j->conf, &j->errs, &j->domains);
}

static void job_clear(struct reload_job *j)
{
	free(j->path);
	free(j->text);
	conf_free(j->conf);
	domains_free(j->domains);
	conf_errors_clear(&j->errs);
	*j = (struct reload_job){.done_fd = -1};
}

/* Whether a strict break in force refuses the new configuration (nc, its
 * lists nd), judged at this instant, not at the last timer. Only what the
 * veto adds refuses: the list build's reports of skipped lines are already
 * in errs, and harmless. */
static bool vetoed(struct breaks *b, const struct conf *nc, const struct domains *nd,
                   struct conf_errors *errs)
{
	struct policy_clock clk;
	size_t before = errs->n;

	breaks_evaluate(b);
	if (!b->pol.in.strict && !allowance_strict_window(b->conf, b->pol.now))
		return false;
	breaks_clock(b, &clk);
	if (policy_veto(b->conf, nc, b->domains, nd, &b->state, &clk, errs) == 0)
		return false;
	log_warn("reload: refused, it would loosen a strict break; the running configuration "
	         "stays");
	for (size_t i = before; i < errs->n; i++)
		log_warn("%s", errs->msgs[i]);
	return true;
}

/* Puts nc (its lists nd, parsed from text) in force in place of the running
 * configuration; takes nc and nd whatever the outcome. */
static int reload_swap(struct breaks *b, struct conf *nc, struct domains *nd, const char *text,
                       size_t text_len, struct conf_errors *errs)
{
	struct conf *oc = b->conf;
	bool *was_on = calloc(nc->n_breaks ? nc->n_breaks : 1, sizeof(bool));

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
	log_notice("reload: %s loaded (%zu %s, %zu %s)", nc->path, nc->n_lists,
	           nc->n_lists == 1 ? "list" : "lists", nc->n_breaks,
	           nc->n_breaks == 1 ? "break" : "breaks");
	struct domains *od = b->domains;
	b->domains = nd;
	if (b->hooks.reloaded)
		b->hooks.reloaded(b->hooks.arg, nc, errs);
	breaks_evaluate(b);
	breaks_keep_good(b, text, text_len);
	if (b->fallback) {
		log_notice("reload: %s is good again; the last good configuration is no longer "
		           "in force",
		           nc->path);
		breaks_set_fallback(b, NULL);
	}
	conf_free(oc);
	domains_free(od);
	return 0;
}

/* Whether nc loosens a break in force that has an unlock delay; *delay then
 * the longest such delay. */
static bool policy_unlock_wait_at(struct breaks *b, const struct conf *nc, const struct domains *nd,
                                  struct conf_errors *waits, uint32_t *delay)
{
	struct policy_clock clk;

	breaks_clock(b, &clk);
	return policy_unlock_wait(b->conf, nc, b->domains, nd, &b->state, &clk, waits, delay) > 0;
}

static void drop_deferred(struct breaks *b, const char *why)
{
	if (!b->deferred.conf)
		return;
	log_info("reload: the reload that waited for its unlock delay is dropped: %s", why);
	breaks_emit(b, time(NULL), "relock", "a delayed reload was taken back (%s)", why);
	conf_free(b->deferred.conf);
	domains_free(b->deferred.domains);
	free(b->deferred.text);
	b->deferred = (struct reload_job){.done_fd = -1};
	evtimer_del(b->deferred_ev);
}

/* A loosening reload waits out the unlock delay: kept, and applied by the
 * timer unless a newer reload comes first. */
static void defer(struct breaks *b, struct reload_job *j, struct conf *nc, struct domains *nd,
                  uint32_t delay, struct conf_errors *waits, struct conf_errors *errs)
{
	struct timeval tv = {(time_t)delay, 0};
	char when[32];

	drop_deferred(b, "a newer reload replaces it");
	b->deferred.conf = nc;
	b->deferred.domains = nd;
	b->deferred.text = j->text;
	b->deferred.text_len = j->text_len;
	j->text = NULL;
	b->deferred_at = time(NULL) + (time_t)delay;
	evtimer_add(b->deferred_ev, &tv);
	value_format_when(b->deferred_at, time(NULL), when, sizeof(when));
	log_notice("reload: %s loosens a break with an unlock delay; it applies at %s", nc->path,
	           when);
	breaks_emit(b, time(NULL), "unlock", "a reload that loosens a break applies at %s", when);
	for (size_t i = 0; i < waits->n; i++)
		conf_errors_add(errs, "%s", waits->msgs[i]);
	conf_errors_clear(waits);
}

static void on_deferred(evutil_socket_t fd, short what, void *arg)
{
	struct breaks *b = arg;
	struct conf_errors errs = {0};
	struct reload_job d = b->deferred;

	(void)fd, (void)what;
	if (!d.conf)
		return;
	b->deferred = (struct reload_job){.done_fd = -1};
	/* A strict break may have started meanwhile: it still has its say. */
	if (vetoed(b, d.conf, d.domains, &errs)) {
		conf_free(d.conf);
		domains_free(d.domains);
	} else if (reload_swap(b, d.conf, d.domains, d.text, d.text_len, &errs) == 0) {
		breaks_event(b, time(NULL),
		             &(struct breaks_event){.kind = "reloaded", .word = "unlock"},
		             "the delayed reload is in force");
	}
	free(d.text);
	conf_errors_clear(&errs);
}

/* The rest of a reload, on the loop: judge the built configuration against
 * the running one and swap it in. Takes the job's conf and domains either way;
 * errs holds the job's errors and gets any more. */
static int reload_apply(struct breaks *b, struct reload_job *j, struct conf_errors *errs)
{
	struct conf *nc = j->conf, *oc = b->conf;
	struct domains *nd = j->domains;

	j->conf = NULL;
	j->domains = NULL;
	if (j->load_rc < 0) {
		if (!errs->n && !errs->dropped)
			conf_errors_add(errs, "%s: %s", oc->path, strerror(-j->load_rc));
		size_t n = errs->n + errs->dropped;
		log_error("reload: %s rejected with %zu %s; the running configuration stays",
		          oc->path, n, n == 1 ? "error" : "errors");
		for (size_t i = 0; i < errs->n; i++)
			log_error("%s", errs->msgs[i]);
		return -EINVAL;
	}
	if (j->build_rc < 0) {
		if (!errs->n)
			conf_errors_add(errs, "%s: cannot build the domain lists: %s", nc->path,
			                strerror(-j->build_rc));
		log_error("reload: the lists of %s cannot be built; the running configuration "
		          "stays",
		          nc->path);
		conf_free(nc);
		return -EINVAL;
	}
	if (vetoed(b, nc, nd, errs)) {
		conf_free(nc);
		domains_free(nd);
		return -EPERM;
	}
	uint32_t delay = 0;
	struct conf_errors waits = {0};
	if (policy_unlock_wait_at(b, nc, nd, &waits, &delay) && delay > 0) {
		defer(b, j, nc, nd, delay, &waits, errs);
		return RELOAD_DEFERRED;
	}
	conf_errors_clear(&waits);
	drop_deferred(b, "a newer reload replaces it");
	int r = reload_swap(b, nc, nd, j->text, j->text_len, errs);
	if (r == 0)
		breaks_event(b, time(NULL), &(struct breaks_event){.kind = "reloaded"},
		             "configuration reloaded from %s", b->conf->path);
	return r;
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
		breaks_reply_reload(b, done.replies[i], r, &errs);
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

int breaks_reload_init(struct breaks *b)
{
	b->deferred.done_fd = -1;
	b->deferred_ev = evtimer_new(b->base, on_deferred, b);
	if (!b->deferred_ev)
		return -ENOMEM;
	b->job_pipe[0] = b->job_pipe[1] = -1;
	if (pipe2(b->job_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	b->job_ev = event_new(b->base, b->job_pipe[0], EV_READ | EV_PERSIST, on_job_done, b);
	if (!b->job_ev || event_add(b->job_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

void breaks_reload_free(struct breaks *b)
{
	/* The replies waiting are control's to free; the job's results are ours. */
	if (b->job_running) {
		if (b->job.threaded)
			thrd_join(b->job.thread, NULL);
		job_clear(&b->job);
	}
	if (b->job_ev)
		event_free(b->job_ev);
	if (b->deferred_ev) {
		conf_free(b->deferred.conf);
		domains_free(b->deferred.domains);
		free(b->deferred.text);
		event_free(b->deferred_ev);
	}
	if (b->job_pipe[0] >= 0)
		close(b->job_pipe[0]);
	if (b->job_pipe[1] >= 0)
		close(b->job_pipe[1]);
}
