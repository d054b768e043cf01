/* The break policy: from a configuration, the persistent state and an
 * instant, what is in force (which lists, how strict, until when, the next
 * transition), how a new pause merges into a running one, what resume and
 * skip may end, and which parts of a new configuration a strict break
 * refuses. Pure: no libevent, no I/O, no clock reads; the caller passes the
 * instant (and the CLOCK_BOOTTIME reading a strict pause is measured on), so
 * every decision is tested at fixed times in test_policy. */
#ifndef SMB_POLICY_H
#define SMB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "inforce.h"
#include "state.h"

/* The instant a decision is made at. */
struct policy_clock {
	time_t now;
	int64_t boottime;    /* CLOCK_BOOTTIME seconds at now */
	const char *boot_id; /* of the running boot; "" when unknown */
};

/* One scheduled break at the instant. */
struct policy_break {
	bool active;                 /* inside one of its intervals */
	bool skipped;                /* active, but ended early with `smctl skip` */
	bool on;                     /* active and not skipped: in force */
	time_t start, end;           /* the interval it is in, when active */
	time_t next_start, next_end; /* its next interval after now; 0 = none */
};

/* Everything in force at one instant, computed once. */
struct policy {
	time_t now;
	struct inforce in;
	bool pause_on;           /* the ad-hoc break is on (not over at now) */
	bool pause_expired;      /* the state says on, but it is over: the caller clears it */
	bool pause_strict;       /* on, and within its strict part */
	time_t pause_end;        /* when it ends, seen from now */
	time_t pause_strict_end; /* when its strict part ends, seen from now */
	uint64_t pause_lists;
	struct whom pause_whom;             /* whom it is for, policy_pause_whom's */
	time_t pause_unlock_at;             /* a resume waits out its delay until then; 0: none */
	time_t strict_until[SMB_LISTS_MAX]; /* policy_strict_until's */
	struct policy_break *breaks;        /* one per conf break, in conf order */
	size_t n_breaks;
	ssize_t next;     /* the break that starts next (by next_start), -1 = none */
	time_t next_warn; /* the soonest warning instant after now (policy_warn.c); 0: none */
};

/* Evaluates c and s at clk. Fills *p (free with policy_clear); -ENOMEM. */
int policy_eval(const struct conf *c, const struct state *s, const struct policy_clock *clk,
                struct policy *p);
void policy_clear(struct policy *p);

/* Until when each list of c is held strictly for everyone at p: by a strict
 * scheduled break on (its interval's end), the strict part of a pause for
 * everyone (pause_strict_end) or a strict allowance used up (the end of its
 * window); 0 when it is not. What the table keeps as its strict holds
 * (nft_set_holds), and what policy_restore_holds compares them with. */
void policy_strict_until(const struct conf *c, const struct policy *p, time_t until[SMB_LISTS_MAX]);

/* The table's strict holds outlived the state (held[i]: until when list i
 * was held, 0: not; unmatched: the latest end of holds of no list of c, 0:
 * none): a strict hold that p does not cover (within a second) comes back
 * as a strict pause for everyone on those lists until the latest such end,
 * merged into s->adhoc as `smctl pause --strict` would; an unmatched one
 * (its list renamed or removed as well) brings back every list, since what
 * it held is no longer known. Returns how many lists came back (s changed;
 * SMB_LISTS_MAX for every list), 0 when p covers them all, or -EBUSY when a
 * pause for some users or devices is on (it is left alone). */
int policy_restore_holds(const struct conf *c, const struct policy *p,
                         const time_t held[SMB_LISTS_MAX], time_t unmatched,
                         const struct policy_clock *clk, uint32_t pause_default, struct state *s);

/* Adds lists to what is in force for w (NULL or everyone: in->lists; else
 * the entry of in->some with the same whom, or a new one). Past
 * INFORCE_SOME_MAX distinct whoms, the rest are in force for everyone:
 * blocking too many beats blocking too few. */
void policy_add_inforce(struct inforce *in, uint64_t lists, const struct whom *w);

/* Keeps the holds of s (state.h) in step with p: each strict scheduled
 * break on gets one (or has its own extended) covering what is left of it
 * on CLOCK_BOOTTIME; those of breaks no longer on, or of another boot, go.
 * A held break stays on in policy_eval until its boot measure has passed.
 * Returns whether s changed (and needs saving). */
bool policy_hold(const struct conf *c, const struct policy *p, const struct policy_clock *clk,
                 struct state *s);

/* Cuts what a state read back from disk holds to what the daemon itself
 * could have written at clk: a pause ends within SMB_PAUSE_MAX of now (a
 * hand-written ten-year strict pause runs 30 days), its strict part within
 * it, its boot measure and the holds within SMB_PAUSE_MAX of this boot's
 * clock. Returns whether anything was cut. */
bool policy_bound(struct state *s, const struct policy_clock *clk);

/* The lists a scheduled break blocks, and those a pause blocks (all of them
 * when it names none; names that are no longer lists count for nothing). */
uint64_t policy_break_lists(const struct conf_break *br);
uint64_t policy_pause_lists(const struct conf *c, const struct state_adhoc *a);
/* Whom the pause a is for under c: its uids and the devices of c it names.
 * A pause naming devices none of which c has any more (and no users) is
 * for nobody (USERS_NOBODY), never for everyone. */
void policy_pause_whom(const struct conf *c, const struct state_adhoc *a, struct whom *out);
/* The names of the lists in mask, space-separated; "(none)" for none. */
void policy_list_names(const struct conf *c, uint64_t mask, char *buf, size_t len);

/* The pause's end as a wall-clock instant seen from clk, and the end of its
 * strict part: the strict part ends only when both its wall-clock end and
 * its CLOCK_BOOTTIME length have passed (the boot measure counts within its
 * own boot only), so setting the clock forward does not end it early. */
time_t policy_pause_end(const struct state_adhoc *a, const struct policy_clock *clk);
time_t policy_pause_strict_end(const struct state_adhoc *a, const struct policy_clock *clk);

/* `smctl pause` as the daemon received it. */
struct policy_pause_req {
	bool have_end; /* a duration or an `until` was given */
	time_t end;
	bool strict;
	int64_t unlock_delay; /* --unlock-delay, seconds; 0: none */
	char lists[SMB_LISTS_MAX][VALUE_NAME_MAX + 1];
	size_t n_lists;
	struct whom whom; /* --user: uids in ascending order; none, everyone */
	char devices[SMB_DEVICES_MAX][VALUE_NAME_MAX + 1]; /* --device, each once */
	size_t n_devices;
};

enum policy_pause_outcome {
	POLICY_PAUSE_STARTED,   /* a new pause */
	POLICY_PAUSE_EXTENDED,  /* the running one grew (longer, stricter or more lists) */
	POLICY_PAUSE_UNCHANGED, /* the running one already covers the request */
	POLICY_PAUSE_TOGGLE,    /* bare `smctl pause` on a running pause: resume it */
	POLICY_PAUSE_OTHER,     /* the running pause is for other users or devices:
	                           refused, since one pause runs at a time and
	                           growing it for some would lengthen it for the
	                           others */
};

/* Merges req into the pause *a at clk: a new pause runs pause_default when
 * no end is given; a running one is extended, never shortened; strictness
 * and lists only grow (a pause naming lists widens to every list when the
 * request names none); `--strict` or `--list` without a length tightens
 * the running pause without ending it. A strict request makes the pause
 * strict from now to the request's end (or the pause's end, with no
 * length); a later non-strict extension leaves the strict part where it was.
 * Writes the merged pause to *out (a may equal out). */
enum policy_pause_outcome policy_pause(const struct state_adhoc *a,
                                       const struct policy_pause_req *req,
                                       const struct policy_clock *clk, uint32_t pause_default,
                                       struct state_adhoc *out);

/* Plans pauses for later in s (`smctl pause --at`): one from `at` for
 * `length` seconds, or `cycles` of them (focus cycles) with `rest` seconds
 * between, each with req's strictness and lists; the first one's id in
 * *first_id. -ENOSPC past STATE_PLANS_MAX, -E2BIG past STATE_PLAN_LISTS. */
int policy_plan(struct state *s, const struct policy_pause_req *req, time_t at, time_t length,
                uint32_t cycles, time_t rest, uint32_t *first_id);
/* Drops a planned pause before it starts, strict or not; false when no plan
 * has that id. */
bool policy_cancel(struct state *s, uint32_t id);
/* Starts the planned pauses due at clk: each merges into the pause as
 * `smctl pause` would (policy_pause); one that was missed whole goes.
 * Returns whether s changed. policy_eval counts their starts among the
 * transitions. */
bool policy_start_plans(struct state *s, const struct policy_clock *clk, uint32_t pause_default);

enum policy_resume_outcome {
	POLICY_RESUME_OK,        /* the pause can be ended */
	POLICY_RESUME_NONE,      /* no pause is on, nor any scheduled break */
	POLICY_RESUME_SCHEDULED, /* no pause, but a scheduled break is on (skip ends it) */
	POLICY_RESUME_STRICT,    /* the pause is strict until p->pause_strict_end */
	POLICY_RESUME_DELAYED,   /* it has an unlock delay: it ends at p->pause_unlock_at,
	                            which policy_resume has set in the state */
	POLICY_RESUME_PENDING,   /* a delayed resume is already on its way */
};
/* What `smctl resume` may do; *brk names the scheduled break for
 * POLICY_RESUME_SCHEDULED. A pause with an unlock delay is not ended: its
 * resume is set to apply after the delay (in s, and p->pause_unlock_at). */
enum policy_resume_outcome policy_resume(const struct conf *c, struct policy *p, struct state *s,
                                         const char **brk);
/* `smctl resume --cancel`: takes back a resume waiting out its delay.
 * Returns whether one was waiting. */
bool policy_resume_cancel(struct state *s);

/* What `smctl skip` may do: skip[i] for each break that is on and not
 * strict (delayed[i] too when it has an unlock_delay: the skip applies
 * then), strict[i] for each on and strict (which stays). Returns how many
 * are skipped, at once or delayed. */
size_t policy_skip(const struct conf *c, const struct policy *p, bool *skip, bool *delayed,
                   bool *strict);
/* Applies what waited out its unlock delay at clk: a resume ends the pause,
 * a skip takes effect. Returns whether s changed. */
bool policy_unlock_due(struct state *s, const struct policy_clock *clk);

/* Checks a new configuration nc (its lists built into nd) against what the
 * strict breaks in force at clk block under the running one oc (built into
 * od, with the pause and holds of s): a strict break must stay strict and on
 * until its end and keep every list; each guarded list must keep every
 * domain, service and file, gain no allow entry, and still block every name
 * it blocks now (what the lists expand to: an emptied list or service file
 * is a loss); and the [daemon] keys may not weaken blocking (intercept off,
 * a listen address gone, blocked_answer to refused, learn bounds lowered).
 * Each refused part is one error in errs, naming the break and what it would
 * lose; every loss is named, the names lost up to POLICY_VETO_NAMES. od and
 * nd may be NULL (no name check). Returns how many losses it found (0:
 * nothing strict is loosened), or -ENOMEM. */
#define POLICY_VETO_NAMES 20
struct domains;
int policy_veto(const struct conf *oc, const struct conf *nc, const struct domains *od,
                const struct domains *nd, const struct state *s, const struct policy_clock *clk,
                struct conf_errors *errs);
/* Whether nb (in nc) is still for everyone ob (in oc) is for: one for
 * everyone may not become one for some users or devices, one for users or
 * devices may not lose any of them (devices by name, each with its MACs and
 * addresses). Each loss is one error "WHY: ..." in errs; returns how many.
 * Strict breaks and strict allowances are judged by it. */
size_t policy_whom_kept(const struct conf *oc, const struct conf_break *ob, const struct conf *nc,
                        const struct conf_break *nb, const char *why, struct conf_errors *errs);

/* The same judgement for the breaks in force that are not strict but have
 * an unlock delay: a reload that loosens one of them waits out the longest
 * such delay (*delay, seconds; 0 when it loosens none) before it applies.
 * Each loosened part is one line in errs; returns their number or -ENOMEM. */
int policy_unlock_wait(const struct conf *oc, const struct conf *nc, const struct domains *od,
                       const struct domains *nd, const struct state *s,
                       const struct policy_clock *clk, struct conf_errors *errs, uint32_t *delay);

/* `smctl check NAME`: the verdict for a name matching `lists` (block minus
 * allow) and freed by an allow entry in `allowed`, at p; `bypass` when it is
 * a resolver endpoint of the bypass list, blocked during every break. */
enum policy_verdict {
	POLICY_BLOCKED_NOW,    /* a list in force blocks it, or a bypass rule during a break */
	POLICY_BYPASS_DURING,  /* a bypass rule: every break blocks it; none is on now */
	POLICY_BLOCKED_DURING, /* a scheduled break would; none is on now */
	POLICY_LISTED_UNUSED,  /* listed, but no break uses its lists (a pause would) */
	POLICY_ALLOWED,        /* an allow entry frees it */
	POLICY_UNLISTED,       /* in no list */
};
enum policy_verdict policy_check(const struct conf *c, const struct policy *p, uint64_t lists,
                                 uint64_t allowed, bool bypass);

/* The upcoming breaks of the next `days` days: the intervals of every
 * scheduled break that is on at now or starts before now + days, sorted by
 * start (ties in conf order). Writes at most max; returns how many. */
struct policy_entry {
	size_t brk;
	time_t start, end;
};
size_t policy_schedule(const struct conf *c, time_t now, uint32_t days, struct policy_entry *v,
                       size_t max);

/* ---- warnings before a start (policy_warn.c) ---- */

/* One warning due: a break's next interval, or a planned pause, starts
 * within its `warn`. name is the break's, or "pause" for a plan. */
struct policy_warning {
	const char *name;
	size_t brk;       /* the conf break, when plan_id is 0 */
	uint32_t plan_id; /* the planned pause's id; 0: a break */
	time_t start, end;
	uint64_t lists;
	const struct whom *whom; /* whom it is for; NULL: everyone */
};

/* The one rule of every warning (breaks, planned pauses, an allowance about
 * to run out): whether a warning `warn` seconds before `at` is due at now,
 * i.e. now is in [at - warn, at). One still ahead is a transition: its
 * instant goes into *next when it is the soonest (next may be NULL), so the
 * daemon's one timer wakes for it and nothing polls. warn 0: never due. */
bool policy_warn_due(time_t at, uint32_t warn, time_t now, time_t *next);
/* Whether lists are all in force already for w (NULL: everyone) in in: a
 * warning then tells nothing (it would fall inside a previous break). */
bool policy_warn_covered(const struct inforce *in, uint64_t lists, const struct whom *w);
/* The warnings due at p->now (p from policy_eval of c and s): each break
 * whose next interval starts within its warn, each planned pause within the
 * [daemon] warn, but none whose lists are all in force already for whom it
 * is for. At most max in v; returns how many. */
size_t policy_warnings(const struct conf *c, const struct state *s, const struct policy *p,
                       struct policy_warning *v, size_t max);

#endif
