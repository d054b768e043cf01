/* Allowances ("30 minutes of social media a day"): the minutes of use of
 * each [allowance] per local day, which day and window an instant belongs
 * to, and the break an allowance used up puts on its lists until the end of
 * its window. Pure: no libevent, no clock reads; the usage file's text form
 * is here, its reading and writing go through file.c.
 *
 * A minute counts once: the kernel reports active use at most once a minute
 * (usage.c) and allowance_mark counts the minute of the report, t / 60, only
 * if no report counted it before. A window (a `times` window on one of its
 * `days`; the whole day without `times`) belongs to the local date it starts
 * on, so an evening window past midnight is one budget; with the whole day,
 * the budget resets at local midnight (DST-correct: sched_local_instant). */
#ifndef SMB_ALLOWANCE_H
#define SMB_ALLOWANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "inforce.h"

#define ALLOWANCE_DAYS     14 /* days of use kept per allowance, for smctl stats */
#define ALLOWANCE_FILE     "allowances"
#define ALLOWANCE_FILE_MAX (64 * 1024)

/* Minutes used on one local date (yyyymmdd). */
struct allowance_day {
	uint32_t date;
	uint32_t used;
};

/* What one allowance (by name) used. */
struct allowance_usage {
	char name[VALUE_NAME_MAX + 1];
	int64_t last_minute;                       /* the last minute counted, t / 60; 0: none */
	uint32_t warned;                           /* the date whose warning was given; 0: none */
	struct allowance_day days[ALLOWANCE_DAYS]; /* ascending date */
	size_t n_days;
};

/* The usage of every allowance, kept beside the state (allowance_save). */
struct allowance_state {
	struct allowance_usage v[CONF_ALLOWANCES_MAX];
	size_t n;
};

/* Where an instant stands for one allowance. */
struct allowance_now {
	bool in_window;    /* use counts now and the budget applies */
	uint32_t date;     /* the day of that window; else the local date of now */
	time_t start, end; /* the window, when in_window */
	uint32_t used;     /* minutes used on date */
	uint32_t per_day;  /* minutes */
	bool on;           /* used up and in the window: its lists are blocked until end */
	time_t next;       /* when this changes by the clock alone (0: not before new use) */
};

/* Whether t is in one of a's windows; its date (yyyymmdd) and bounds. */
bool allowance_window(const struct conf_allowance *a, time_t t, uint32_t *date, time_t *start,
                      time_t *end);
/* a at t, from the usage in s. */
void allowance_eval(const struct conf_allowance *a, const struct allowance_state *s, time_t t,
                    struct allowance_now *out);
/* A report of active use of a at t: counts its minute unless it was counted,
 * t is outside a's windows, or the budget is used up already. Returns
 * whether it counted (and s needs saving). */
bool allowance_mark(struct allowance_state *s, const struct conf_allowance *a, time_t t);
/* The warning that an allowance is about to run out. */
struct allowance_warning {
	uint32_t used, per_day; /* minutes, on the window's date */
	time_t out;             /* when it runs out if use goes on; 0: its window ends first */
	time_t end;             /* the window's end: the break would last until then */
};
/* Whether the minute allowance_mark just counted at t leaves a->warn or less
 * of a's budget (in whole minutes, rounded up), but some, and the day of that window has had no
 * warning: then it records the warning as given (s needs saving, so a restart does not repeat it)
 * and fills *out. Once per allowance and day; never with warn 0; per_day <= warn warns at the first
 * minute that leaves some. */
bool allowance_warn(struct allowance_state *s, const struct conf_allowance *a, time_t t,
                    struct allowance_warning *out);
/* Minutes used by the allowance `name` on date; 0 when none. */
uint32_t allowance_used(const struct allowance_state *s, const char *name, uint32_t date);
const struct allowance_usage *allowance_find(const struct allowance_state *s, const char *name);

/* The allowances of c used up at now go into *in as breaks on their lists
 * (for their whom, through policy_add_inforce), with their strictness, end
 * and reason; *next is lowered to the next instant any of them changes by
 * the clock (the exhaustion at the end of the last minute, a window's end,
 * a later window of a used-up day). A strict one for everyone raises
 * strict_until[i] of each of its lists i to its end (NULL: not asked). */
void allowance_inforce(const struct conf *c, const struct allowance_state *s, time_t now,
                       struct inforce *in, time_t *next, time_t *strict_until);

/* A reload from oc to nc during a strict allowance of oc (in one of its
 * windows at now): removing it, making it not strict, raising per_day,
 * dropping a list, days or times that no longer cover now, leaving out
 * users or devices it is for (policy_whom_kept) are losses, one error each
 * in errs. Returns their number, or -ENOMEM. */
int allowance_veto(const struct conf *oc, const struct conf *nc, time_t now,
                   struct conf_errors *errs);

/* Whether a strict allowance of c is in one of its windows at now (so a
 * reload is judged by allowance_veto). */
bool allowance_strict_window(const struct conf *c, time_t now);

/* The usage file: "smbreak-allowances 1", then per allowance
 * "allowance NAME LAST_MINUTE [WARNED]" (WARNED: the date of the last
 * warning, when there was one) and its days "day DATE MINUTES". */
int allowance_format(const struct allowance_state *s, char *buf, size_t len);
/* 0, or -EINVAL with "line N: why" in err. out is an allowance_state. */
int allowance_parse(const char *text, size_t len, void *out, char *err, size_t errlen);
/* DIR/allowances: missing is empty; a bad one is set aside (1, err says why). */
int allowance_load(const char *dir, struct allowance_state *out, char *err, size_t errlen);
int allowance_save(const char *dir, const struct allowance_state *s);

#endif
