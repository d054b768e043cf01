/* What the daemon must remember across restarts: the ad-hoc break, skipped
 * scheduled breaks, and counters. A small versioned text file, parsed strictly
 * and written atomically (temp file, fsync, rename, fsync of the directory). */
#ifndef SMB_STATE_H
#define SMB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "allowance.h"
#include "conf.h"

#define STATE_SKIPS_MAX   32
#define STATE_HOLDS_MAX   32
#define STATE_PLANS_MAX   32
#define STATE_FILE_MAX    (64 * 1024)
#define STATE_BOOT_ID_LEN 36

/* The ad-hoc break of `smctl pause`. It ends at `end` (wall clock). A strict
 * one is strict until `strict_end` (<= end: a non-strict extension may run
 * past it), and that strict part also runs for `length` seconds of
 * CLOCK_BOOTTIME from `boot_start` and ends only when both have passed, so
 * setting the clock forward cannot end it. The boot measure holds only
 * within the boot whose id it carries. */
struct state_adhoc {
	bool on;
	bool strict;
	time_t start;
	time_t end;
	time_t strict_end;  /* when strict: the end of the strict part */
	int64_t boot_start; /* CLOCK_BOOTTIME seconds at start */
	int64_t length;     /* seconds */
	char boot_id[STATE_BOOT_ID_LEN + 1];
	uint32_t cycle, cycles; /* of a focus cycle, 0 of 0 otherwise */
	/* Friction (`--unlock-delay`): a resume takes effect unlock_delay
	 * seconds after it was asked for, at unlock_at (0: none pending). */
	int64_t unlock_delay;
	time_t unlock_at;
	/* list names; none means every list */
	char lists[SMB_LISTS_MAX][VALUE_NAME_MAX + 1];
	size_t n_lists;
	/* `smctl pause --user`: the uids it is for; none, everyone. One pause
	 * runs at a time, so a pause for other users waits for it to end. */
	struct whom whom;
	/* `smctl pause --device` (gateway mode): the devices it is for, by
	 * name, resolved against the config in force at each evaluation as
	 * its lists are (policy_pause_whom), so a reload that drops or
	 * renumbers [device] sections cannot move it to another device.
	 * whom.devices stays 0 here. */
	char devices[SMB_DEVICES_MAX][VALUE_NAME_MAX + 1];
	size_t n_devices;
};

/* A scheduled break ended early with `smctl skip`: the occurrence that ends at
 * `until` stays off. */
struct state_skip {
	char name[VALUE_NAME_MAX + 1];
	time_t until;
	time_t at; /* of a skip waiting out its break's unlock_delay: when it applies */
};

/* A strict scheduled break in force, measured on CLOCK_BOOTTIME as well:
 * within the boot `boot_id` it stays on until `boot_end` (CLOCK_BOOTTIME
 * seconds) whatever the wall clock or the timezone says, so neither a clock
 * step nor a zone change ends it early. `end` is its wall-clock end as it
 * was scheduled. */
struct state_hold {
	char name[VALUE_NAME_MAX + 1];
	time_t start, end;
	int64_t boot_end;
	char boot_id[STATE_BOOT_ID_LEN + 1];
};

/* A pause planned for later (`smctl pause --at`, or a focus cycle): it
 * starts at `start` as `smctl pause` would, until `end`. `cycle` of
 * `cycles` (0 of 0 for a single one). */
#define STATE_PLAN_LISTS 16
struct state_plan {
	uint32_t id;
	time_t start, end;
	bool strict;
	uint32_t cycle, cycles;
	char lists[STATE_PLAN_LISTS][VALUE_NAME_MAX + 1];
	size_t n_lists;
	/* whom it is for, as the pause it becomes (struct state_adhoc) */
	struct whom whom;
	char devices[SMB_DEVICES_MAX][VALUE_NAME_MAX + 1];
	size_t n_devices;
};

struct state {
	struct state_adhoc adhoc;
	struct state_plan plans[STATE_PLANS_MAX];
	size_t n_plans;
	uint32_t next_plan_id;
	struct state_skip skips[STATE_SKIPS_MAX];
	size_t n_skips;
	struct state_skip unlocks[STATE_SKIPS_MAX]; /* skips asked for, not yet in effect */
	size_t n_unlocks;
	struct state_hold holds[STATE_HOLDS_MAX];
	size_t n_holds;
	/* The minutes the allowances used: in a file of their own (allowance.h),
	 * written each minute of use, not with the rest of the state. */
	struct allowance_state allow;
};

/* Pure text form. state_format returns the length written or -ENOSPC;
 * state_parse returns 0, or -EINVAL with a reason "line N: why" in err. */
int state_format(const struct state *s, char *buf, size_t len);
int state_parse(const char *text, size_t len, struct state *out, char *err, size_t errlen);

/* Load DIR/state. A missing file is an empty state. A file that cannot be
 * parsed is renamed to DIR/state.bad (replacing an older one) and the state
 * starts empty: returns 1 in that case with the reason in err, so the caller
 * can log it. Returns 0 on success, negative errno on I/O errors. */
int state_load(const char *dir, struct state *out, char *err, size_t errlen);
/* state_load that leaves a bad file for state_load to set aside and log
 * (a judgement made before the daemon starts). */
int state_peek(const char *dir, struct state *out, char *err, size_t errlen);
/* Write DIR/state atomically. 0 or negative errno. */
int state_save(const char *dir, const struct state *s);

/* Drops skips that are over at `now`. */
void state_prune(struct state *s, time_t now);
bool state_is_skipped(const struct state *s, const char *name, time_t until);
int state_add_skip(struct state *s, const char *name, time_t until);

/* The boot id of the running kernel (/proc/sys/kernel/random/boot_id). */
int state_boot_id(char out[STATE_BOOT_ID_LEN + 1]);
int64_t state_boottime(void);

#endif
