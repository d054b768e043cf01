/* What breaks.c (lifecycle, timer, logging, hooks), commands.c and
 * commands_query.c (the control commands) and reload.c (the reload thread)
 * share: the runtime context of the break state machine. Nothing outside
 * those files includes it. */
#ifndef SMB_BREAKS_INTERNAL_H
#define SMB_BREAKS_INTERNAL_H

#include <stdbool.h>
#include <threads.h>

#include "breaks.h"
#include "policy.h"
#include "state.h"
#include "stats.h"

/* Replies that wait for one reload run. control.c bounds the replies it lets
 * a handler defer; this bounds what is kept of them here. */
#define BREAKS_RELOAD_WAITERS_MAX 64

/* The slow half of a reload, run on a thread of its own so that DNS is served
 * meanwhile: reading the file and building its lists (a big list takes a
 * fraction of a second). It touches no daemon state; its one shared resource
 * is the logger, which the list build uses, and log.c writes each line with
 * one fwrite on stderr (locked by stdio) under settings fixed before the loop
 * runs. */
struct reload_job {
	char *path;
	const char *data_dir;
	struct conf *conf; /* results, handed to the loop */
	char *text;        /* the text conf was parsed from */
	size_t text_len;
	struct domains *domains; /* built from conf */
	struct conf_errors errs;
	int load_rc;  /* conf_load's */
	int build_rc; /* the list build's, when the conf loaded */
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

/* Warnings given, so that each start is warned of once (breaks_events.c). */
#define BREAKS_WARNED_MAX 64
struct breaks_warned {
	char name[VALUE_NAME_MAX + 1];
	uint32_t id; /* a planned pause's */
	time_t start;
};

/* Refusals of blocked names are told once per key (a service or list) per
 * this many seconds, so a page full of blocked requests costs one event. */
#define BREAKS_BLOCKED_EVERY 300
#define BREAKS_BLOCKED_KEYS  64
struct breaks_seen {
	char key[VALUE_NAME_MAX + 1];
	time_t at;
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
	struct event *save_ev;  /* pending while the state could not be written */
	bool save_failed;
	/* Set when the daemon runs on the last good configuration because the
	 * file has errors; shown by `smctl status` until a reload succeeds. */
	char *fallback;
	/* The last evaluation, and what of it was announced: per conf break, on
	 * (skipped ones count as off), and the pause. */
	struct policy pol;
	time_t held[SMB_LISTS_MAX]; /* what hooks.hold was last given */
	bool *was_on;
	bool pause_was_on;
	bool started;
	char boot_id[STATE_BOOT_ID_LEN + 1];
	/* Reloads: the one running, those it will answer, and those that came
	 * while it ran, which a fresh run after it answers (so each sees the file
	 * as it was when asked). */
	struct reload_job job;
	bool job_running;
	struct reload_waiters current, next;
	int job_pipe[2];
	struct event *job_ev;
	/* A loosening reload waiting out an unlock delay (conf NULL: none). */
	struct reload_job deferred;
	time_t deferred_at;
	struct event *deferred_ev;
	/* breaks_events.c */
	struct breaks_warned warned[BREAKS_WARNED_MAX];
	size_t n_warned;
	struct breaks_seen seen[BREAKS_BLOCKED_KEYS];
	size_t n_seen;
};

/* breaks.c */
/* Re-evaluates at the current instant: announces what started and ended,
 * hands a changed set to enforcement, re-arms the timer; b->pol is then the
 * policy at that instant. */
void breaks_evaluate(struct breaks *b);

/* breaks_events.c */
/* One event: its kind (the JSON "kind": "warning", "started", "ended",
 * "extended", "skipped", "resumed", "unlock-pending", "relocked",
 * "reloaded", "blocked") and what it is about; fields 0 or NULL are left
 * out. */
struct breaks_event {
	const char *kind;
	const char *word;        /* the human form's word ("start"); NULL: the kind's */
	const char *name;        /* the break, "pause", or the service refused */
	uint32_t id;             /* a planned pause */
	const char *domain;      /* the name refused */
	uint64_t lists;          /* of the running conf */
	const struct whom *whom; /* NULL or everyone: left out */
	time_t start, end;       /* remaining counts to start for a warning, else to end */
	uint32_t used, budget;   /* an allowance's warning: its minutes; budget 0: none */
};
/* Logs one line and sends the same sentence with ev to `smctl watch`. */
void breaks_event(struct breaks *b, time_t now, const struct breaks_event *ev, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with only the human form's word ("start", "end", "unlock",
 * "relock"; "unlock" is kind "unlock-pending", "relock" "relocked"). */
void breaks_emit(struct breaks *b, time_t now, const char *word, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A warning that w->start is near ("break work starts in 5 min ..."; what
 * names it: "break work"), given once per name, id and start. An allowance
 * about to run out warns apart (breaks_allow.c; allowance_warn says when). */
void breaks_warn(struct breaks *b, time_t now, const struct policy_warning *w, const char *what);
/* Gives the warnings policy_warnings finds due at p. */
void breaks_warn_due(struct breaks *b, const struct policy *p);
/* Counts one event of today's history in the stats (and writes them). */
void breaks_count(struct breaks *b, enum stats_history what);
/* The instant for a policy decision now. */
void breaks_clock(const struct breaks *b, struct policy_clock *clk);
/* Writes the state. On failure (a full disk, say) it logs once and tries
 * again every few seconds until it is written: the caller decides whether
 * what it changed may stand unsaved meanwhile. 0 or a negative errno. */
int breaks_save_state(struct breaks *b);
/* Builds the domain structure of a configuration, logging a line per list.
 * Bad lines are reported (into errs when not NULL) and skipped; a missing
 * file or unknown service fails the build. */
int breaks_build_domains(const char *data_dir, const struct conf *c, struct conf_errors *errs,
                         struct domains **out);

/* breaks_allow.c: the allowances */
/* Reads their usage from the state directory (a bad file is set aside). */
void breaks_allow_load(struct breaks *b);
/* Each allowance with its use today (status: with its budget and break). */
void breaks_allow_put(const struct breaks *b, struct proto_msg *reply, bool status);
/* In a PROTO_A_DAY of smctl stats: each allowance's use on date. */
void breaks_allow_put_day(const struct breaks *b, struct proto_msg *reply, uint32_t date);

/* reload.c */
int breaks_reload_init(struct breaks *b);
void breaks_reload_free(struct breaks *b);

/* reload_apply's outcome for a reload that waits out an unlock delay. */
#define RELOAD_DEFERRED 1

/* commands.c */
/* Fills a deferred `smctl reload` reply with the outcome r of its run. */
void breaks_reply_reload(const struct breaks *b, struct proto_msg *reply, int r,
                         const struct conf_errors *errs);
/* PROTO_A_RESULT r and a PROTO_A_MESSAGE of one sentence. */
void breaks_reply_result(struct proto_msg *m, enum proto_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* commands_whom.c: whom a pause is for, in requests, replies and sentences. */
/* One PROTO_A_USER per user of w, by name where it has one (none: everyone). */
void breaks_put_users(struct proto_msg *m, const struct whom *w);
/* One PROTO_A_FOR_DEVICE per device of c in the mask `devices`. */
void breaks_put_devices(struct proto_msg *m, const struct conf *c, uint64_t devices);
/* " for alice, phone1": the users and devices of the pause a; "" for everyone. */
void breaks_pause_describe(const struct state_adhoc *a, char *buf, size_t len);
/* The same for any whom and device names (a planned pause's). */
void breaks_whom_describe(const struct whom *w, const char (*devices)[VALUE_NAME_MAX + 1],
                          size_t n_devices, char *buf, size_t len);
/* A PROTO_A_USER (a user name or uid) or PROTO_A_FOR_DEVICE (a device of c,
 * gateway mode only) of a pause request into req; other attributes are
 * ignored. 0, or -EINVAL with the usage error in reply. */
int breaks_read_whom(const struct conf *c, const struct proto_attr *at,
                     struct policy_pause_req *req, struct proto_msg *reply);

/* commands_query.c: the read-only lookups, each filling its reply; 0 or a
 * negative errno. */
int breaks_cmd_check(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply);
int breaks_cmd_stats(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply);
int breaks_cmd_services(struct breaks *b, const uint8_t *payload, size_t len,
                        struct proto_msg *reply);
int breaks_cmd_lists(struct breaks *b, const uint8_t *payload, size_t len, struct proto_msg *reply);
/* commands_devices.c: smctl devices. */
int breaks_cmd_devices(struct breaks *b, struct proto_msg *reply);
/* smctl status, gateway mode: a PROTO_A_DEVICE (NAME, INFORCE, END) for
 * each device with lists in force beyond those for everyone. */
void breaks_status_devices(struct breaks *b, struct proto_msg *reply);
/* smctl check --device D: the lists in force for that device into *lists
 * (without --device: those for everyone), 0; or -EINVAL with a usage reply
 * (no such device, host mode). */
int breaks_check_device(struct breaks *b, const uint8_t *payload, size_t len,
                        struct proto_msg *reply, uint64_t *lists);

#endif
