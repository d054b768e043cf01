/* The transition timer and the watchers of the things that move local time. */
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"

/* With nothing to wait for we still arm the timer, far ahead, because only an
 * armed timer reports clock steps. A year keeps idle wake-ups at zero. */
#define CLOCK_FAR_AHEAD (366 * 24 * 3600)

struct clock {
	int tfd;
	int ifd;
	struct event *tev;
	struct event *iev;
	time_t armed;
	clock_fn fn;
	void *arg;
};

static int clock_rearm(struct clock *c)
{
	struct itimerspec its = {0};
	time_t at = c->armed;

	if (at == 0)
		at = time(NULL) + CLOCK_FAR_AHEAD;
	its.it_value.tv_sec = at;
	if (timerfd_settime(c->tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0)
		return -errno;
	return 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct clock *c = arg;
	uint64_t n;
	enum clock_reason why = CLOCK_EXPIRED;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0) {
		if (errno == EAGAIN)
			return;
		if (errno != ECANCELED) {
			log_error("clock: read timerfd: %s", strerror(errno));
			return;
		}
		why = CLOCK_STEPPED;
	}
	/* The owner re-arms from its callback; after a step the timer must be re-armed
	 * in any case or it stays cancelled. */
	if (why == CLOCK_STEPPED && clock_rearm(c) < 0)
		log_error("clock: re-arm after clock step failed: %s", strerror(errno));
	c->fn(c->arg, why);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct clock *c = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool tz = false;
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->len && strcmp(ev->name, "localtime") == 0)
				tz = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (tz) {
		tzset();
		c->fn(c->arg, CLOCK_TZ_CHANGED);
	}
}

int clock_new(struct event_base *base, clock_fn fn, void *arg, struct clock **out)
{
	struct clock *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->arg = arg;
	c->ifd = -1;
	c->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->tfd < 0) {
		r = -errno;
		goto fail;
	}
	c->tev = event_new(base, c->tfd, EV_READ | EV_PERSIST, on_timer, c);
	if (!c->tev || event_add(c->tev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	/* /etc/localtime is usually a symlink that timedatectl replaces: watch the
	 * directory for the name. Without inotify we lose only TZ-change detection. */
	c->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (c->ifd >= 0 &&
	    inotify_add_watch(c->ifd, "/etc",
	                      IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE) >= 0) {
		c->iev = event_new(base, c->ifd, EV_READ | EV_PERSIST, on_inotify, c);
		if (c->iev)
			event_add(c->iev, NULL);
	} else {
		log_warn("clock: cannot watch /etc/localtime, timezone changes apply at the next "
		         "transition: %s",
		         strerror(errno));
	}
	r = clock_rearm(c);
	if (r < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	clock_free(c);
	return r;
}

int clock_arm(struct clock *c, time_t at)
{
	c->armed = at;
	return clock_rearm(c);
}

void clock_free(struct clock *c)
{
	if (!c)
		return;
	if (c->tev)
		event_free(c->tev);
	if (c->iev)
		event_free(c->iev);
	if (c->tfd >= 0)
		close(c->tfd);
	if (c->ifd >= 0)
		close(c->ifd);
	free(c);
}
