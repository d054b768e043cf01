/* The transition timer: one timerfd on CLOCK_REALTIME, absolute expiry, with
 * cancel-on-set, so a clock step or a resume from suspend wakes us at once;
 * plus an inotify watch on /etc/localtime for timezone changes. Armed for the
 * next transition only: an idle daemon does not wake between transitions. */
#ifndef SMB_CLOCK_H
#define SMB_CLOCK_H

#include <event2/event.h>
#include <time.h>

enum clock_reason {
	CLOCK_EXPIRED,     /* the armed instant has come */
	CLOCK_STEPPED,     /* the wall clock was set or jumped */
	CLOCK_TZ_CHANGED,  /* /etc/localtime changed */
};

typedef void (*clock_fn)(void *arg, enum clock_reason why);

struct clock;

int clock_new(struct event_base *base, clock_fn fn, void *arg, struct clock **out);
/* Arms for the wall-clock instant `at`; 0 = nothing to wait for (the timer
 * still watches for clock steps). */
int clock_arm(struct clock *c, time_t at);
void clock_free(struct clock *c);

#endif
