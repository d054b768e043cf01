/* The break state machine: from the configuration, the persistent state and
 * the clock it has the policy (policy.h) compute which lists are in force,
 * tells the enforcement layer when that changes, arms the timer for the next
 * transition, and answers the control commands that change or show breaks.
 * breaks.c holds the lifecycle, commands.c the commands, reload.c the
 * reload; breaks_internal.h is what they share. */
#ifndef SMB_BREAKS_H
#define SMB_BREAKS_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "domains.h"
#include "inforce.h"
#include "control.h"
#include "proto.h"

/* Called whenever the set in force changes (and once at start), after the
 * change is logged. */
typedef void (*breaks_enforce_fn)(void *arg, const struct inforce *in);
/* Called when what is held strictly for everyone changes: until[i], until
 * when list i of c is (policy_strict_until; 0: not). */
typedef void (*breaks_hold_fn)(void *arg, const struct conf *c, const time_t *until);
/* Called with a finished PROTO_EVENT message for `smctl watch`. */
typedef void (*breaks_event_fn)(void *arg, const struct proto_msg *ev);
/* Called after a new configuration was swapped in; what it appends to
 * warnings goes back to `smctl reload` with the list build's reports. */
typedef void (*breaks_reload_fn)(void *arg, const struct conf *c, struct conf_errors *warnings);
/* smctl check with an address instead of a name: fills the whole reply. */
typedef void (*breaks_check_addr_fn)(void *arg, int family, const uint8_t *addr, uint64_t inforce,
                                     struct proto_msg *reply);
/* smctl check with a name: whether the forwarder blocks it during every
 * break as a resolver endpoint (the bypass list), and by which entry. */
struct breaks_bypass_hit {
	char entry[DOMAINS_NAME_MAX + 1];
	const char *rule;   /* "a DoH/DoT endpoint", ... */
	const char *source; /* the file, or "built-in" */
	unsigned line;      /* 0 when not from a file */
};
typedef bool (*breaks_check_bypass_fn)(void *arg, const char *name, size_t len,
                                       struct breaks_bypass_hit *hit);
/* smctl check with a name in no list: whether the forwarder has seen its
 * answer's CNAME chain reach a listed name (cloaking), and which. */
struct breaks_cloak_hit {
	char target[256]; /* the listed name the chain reaches */
	char chain[512];  /* "a.example -> b.example -> listed.example" */
};
typedef bool (*breaks_check_cloak_fn)(void *arg, const char *name, size_t len,
                                      struct breaks_cloak_hit *hit);
/* Called while building the reply to smctl status, to add counters. */
typedef void (*breaks_status_fn)(void *arg, struct proto_msg *reply);
/* Called while building the replies to smctl status and reload, to add the
 * PROTO_A_WARNINGs of what the user should fix (no upstream to relay to). */
typedef void (*breaks_warnings_fn)(void *arg, struct proto_msg *reply);
/* smctl devices (gateway mode): the LAN's neighbour table, NULL when none. */
struct neigh_tab;
typedef const struct neigh_tab *(*breaks_neighbours_fn)(void *arg);
/* Called with a reply that breaks_handle_request deferred (CONTROL_DEFER),
 * now filled: hand it to control_finish. */
typedef void (*breaks_finish_fn)(void *arg, struct proto_msg *reply);

struct breaks_hooks {
	breaks_enforce_fn enforce;
	breaks_hold_fn hold;
	breaks_event_fn event;
	breaks_reload_fn reloaded;
	breaks_status_fn status;
	breaks_warnings_fn warnings;
	breaks_check_addr_fn check_addr;
	breaks_check_bypass_fn check_bypass;
	breaks_check_cloak_fn check_cloak;
	breaks_neighbours_fn neighbours;
	breaks_finish_fn finish; /* needed for smctl reload, whose reply it sends */
	void *arg;               /* passed to every hook */
};

struct breaks;
/* The kernel reported active use of allowance `name` now (usage.c): counts
 * its minute, writes the usage, and re-evaluates when it counted. */
void breaks_used(struct breaks *b, const char *name);

/* Takes ownership of conf and builds its domain lists (services from
 * data_dir/services). Loads the state from state_dir (a bad one is set
 * aside and logged) but does not evaluate until breaks_start. */
int breaks_new(struct event_base *base, struct conf *conf, const char *state_dir,
               const char *data_dir, const struct breaks_hooks *hooks, struct breaks **out);
/* The last good configuration, kept in the state directory. */
#define BREAKS_GOOD_CONF "last-good.conf"
/* Keeps text (the configuration just put in force; the caller's) as the
 * last good one, STATE_DIR/last-good.conf, for a start during a strict break
 * with a broken file. Logs a failure; nothing depends on it succeeding. */
void breaks_keep_good(struct breaks *b, const char *text, size_t len);
/* Marks the daemon as running on the last good configuration, with why,
 * until a reload succeeds: `smctl status` shows it. */
void breaks_set_fallback(struct breaks *b, const char *why);
/* Evaluates now, calls enforce, arms the timer. */
int breaks_start(struct breaks *b);
void breaks_free(struct breaks *b);

/* One line for systemd's STATUS=: what is blocked and until when, or the
 * next break; with `stopped`, what a stop at this instant leaves behind. */
void breaks_describe(const struct breaks *b, bool stopped, char *buf, size_t len);

/* The domain lists of the running configuration. */
const struct domains *breaks_domains(const struct breaks *b);
/* Re-reads the config file: the file is read and its lists built on a
 * thread, and the outcome applied and logged on the loop when that is done;
 * on failure the running config stays. A request
 * while a run is under way waits for a fresh run after it, which serves every
 * request that came meanwhile. `reply` (NULL for SIGHUP: logged only) is a
 * deferred control reply, filled and passed to hooks.finish when its run is
 * done; -EINVAL without that hook, -EBUSY when too many wait. Otherwise 0. */
int breaks_reload_async(struct breaks *b, struct proto_msg *reply);
/* Before breaks_start: the table's strict holds (held[i], until when list i
 * was held, unmatched those of no list; enforce_old_holds) that the state
 * does not cover come back as a strict pause (policy_restore_holds), logged
 * loudly: a state file deleted or replaced before a restart does not end a
 * strict break. */
void breaks_restore_holds(struct breaks *b, const time_t *held, time_t unmatched);

/* One blocked DNS attempt for the per-day stats, by service or list name. */
void breaks_count_blocked(struct breaks *b, const char *key);
/* The same attempt for `smctl watch` and desktop notifications: a "blocked"
 * event naming name (len bytes), once per key per BREAKS_BLOCKED_EVERY. */
void breaks_blocked(struct breaks *b, const char *key, const char *name, size_t len);

/* The control handler (control_handler_fn). PROTO_CMD_RELOAD returns
 * CONTROL_DEFER. */
int breaks_handle_request(void *arg, const struct control_peer *peer, uint16_t cmd,
                          const uint8_t *payload, size_t len, struct proto_msg *reply);

#endif
