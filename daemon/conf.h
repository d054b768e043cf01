/* The configuration as a value: parsed from an INI file (with the system's
 * inih) into a fresh struct, validated whole, then swapped in by the caller.
 * Pure: no logging, no libevent; errors are collected as "file:line: message".
 * The parser is in conf.c (lines, sections, the whole file) and conf_keys.c
 * (keys and values). */
#ifndef SMB_CONF_H
#define SMB_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "value.h"
#include "whom.h"

#define CONF_FILE_MAX (1 << 20) /* the config file itself, bytes */
/* One line, bytes; a longer line is an error naming it, never cut. */
#define CONF_LINE_MAX      8192
#define CONF_ERRORS_MAX    100 /* errors reported for one file; more are summarised */
#define CONF_WINDOWS_MAX   32  /* time windows in one break */
#define CONF_GROUP_MAX     64
#define CONF_USER_MAX      32   /* bytes of a user name, as useradd allows */
#define CONF_LISTEN_MAX    4    /* listen addresses */
#define CONF_UPSTREAMS_MAX 16   /* upstream addresses */
#define CONF_BREAKS_MAX    256  /* [break] sections */
#define CONF_RANGES_MAX    4096 /* `addresses =` entries of one list */
#define CONF_LAN_MAX       8    /* `lan =` interfaces (gateway mode) */
#define CONF_IFNAME_MAX    15   /* an interface name, as the kernel's IFNAMSIZ - 1 */
#define CONF_MACS_MAX      8    /* `mac =` entries of one device */
#define CONF_DEV_ADDRS_MAX 64   /* `addresses =` entries of one device */

#define CONF_ALLOWANCES_MAX 16 /* [allowance] sections */
/* active_rate's default, bytes/s: see BENCHMARKS.md, "What counts as use" */
#define CONF_ACTIVE_RATE_DEFAULT 40000u
#define CONF_ACTIVE_RATE_MIN     1000u
#define CONF_ACTIVE_RATE_MAX     100000000u
#define CONF_CACHE_MAX           1000000 /* `cache =`, answers */

enum conf_answer {
	CONF_ANSWER_NXDOMAIN,
	CONF_ANSWER_NULL, /* 0.0.0.0 / :: */
	CONF_ANSWER_REFUSED,
};

/* One entry of a list's `addresses =`: an address or a CIDR range, its host
 * bits zero (a bare address is /32 or /128). */
struct conf_range {
	int family; /* AF_INET or AF_INET6 */
	uint8_t len;
	uint8_t addr[16];
	unsigned line;
};

/* A [list NAME] section. Strings are owned by the list. Service and list names
 * are valid names (value_valid_name); domains and allow entries are lowercased
 * and stored without a trailing dot, IDNs as punycode (domains_normalize);
 * files are absolute globs, as written. */
struct conf_list {
	char name[VALUE_NAME_MAX + 1];
	unsigned line; /* line of the section header */
	char **services;
	size_t n_services;
	unsigned services_line; /* line of the services key, for catalog errors */
	char **domains;
	size_t n_domains;
	unsigned domains_line; /* line of the first domains key, for smctl check */
	char **files;          /* globs, as written */
	size_t n_files;
	char **allow;
	size_t n_allow;
	unsigned allow_line;          /* line of the first allow key */
	struct conf_range *addresses; /* blocked by address with the list */
	size_t n_addresses;
};

enum conf_mode {
	CONF_MODE_HOST,    /* this machine's own traffic */
	CONF_MODE_GATEWAY, /* a router: the LAN's traffic too (DESIGN.md 9) */
};

/* A [device NAME] section (gateway mode): a device of the LAN, known by its
 * MACs (stored as 6 bytes) and/or its address ranges. */
struct conf_device {
	char name[VALUE_NAME_MAX + 1];
	unsigned line;
	uint8_t macs[CONF_MACS_MAX][6];
	size_t n_macs;
	struct conf_range *addresses;
	size_t n_addresses;
};

/* One weekly window: starts on each day of `days` at `start` (seconds after
 * local midnight) and ends at `end`; end <= start means it ends the next day.
 * 24:00 is allowed as an end. */
struct conf_window {
	uint32_t start; /* 0 .. 86399 */
	uint32_t end;   /* 0 .. 86400 */
};

/* A [break NAME] section. `days` defaults to every day when the section has
 * no `days` key; `times` is required. */
struct conf_break {
	char name[VALUE_NAME_MAX + 1];
	unsigned line;
	uint8_t days;
	struct conf_window windows[CONF_WINDOWS_MAX];
	size_t n_windows;
	/* A dated break (`from`/`until` instead of days and times): one interval
	 * between two local times. */
	bool dated;
	struct value_date from, until;
	size_t *lists; /* indices into conf.lists, no duplicates; every list when
	                * the section has no `lists` key */
	size_t n_lists;
	bool strict;
	uint32_t unlock_delay; /* seconds a skip waits before it applies; 0: none */
	struct whom whom;      /* `users =`, `devices =`; everyone by default */
	uint32_t warn;         /* seconds before a start to warn; 0: never */
	bool warn_set;         /* `warn =` in the section, else the [daemon] one */
	/* `users =` as written (names or numeric uids), resolved into whom.uids
	 * by users_resolve when the file is loaded, and again at each reload */
	char users[SMB_WHOM_USERS_MAX][CONF_USER_MAX + 1];
	size_t n_users;
	unsigned users_line;
};

/* An [allowance NAME] section: `per_day` of use a day of its lists, counted
 * in whole minutes of traffic (allowance.h) within its days and times (the
 * whole day when it has no `times`); once used up, a break on its lists
 * until the end of the window. Its days, windows, lists, strict and whom
 * are those of b, parsed as a break's. */
struct conf_allowance {
	struct conf_break b;
	uint32_t per_day; /* seconds, whole minutes, 1m .. 24h */
	uint32_t warn;    /* seconds left of the budget at which to warn; 0: none;
	                   * the [daemon] warn unless b.warn_set */
};

struct conf {
	char *path;
	/* [daemon] */
	struct value_addr listen[CONF_LISTEN_MAX];
	size_t n_listen;
	bool upstream_auto;
	struct value_addr *upstreams;
	size_t n_upstreams;
	bool intercept;
	enum conf_answer blocked_answer;
	uint32_t blocked_ttl;   /* seconds */
	uint32_t learn_min;     /* seconds */
	uint32_t learn_max;     /* seconds */
	uint32_t pause_default; /* seconds */
	uint32_t warn;          /* seconds before a break starts to warn of it; 0: never */
	char control_group[CONF_GROUP_MAX + 1];
	uint32_t active_rate; /* bytes/s: traffic of a minute above it is use of an allowance */
	uint32_t cache;       /* answers kept (`cache =`, at most CONF_CACHE_MAX), 0: none */
	uint32_t stale_max;   /* seconds past its TTL an answer may be served stale */
	/* [list NAME] and [break NAME], in file order */
	struct conf_list *lists;
	size_t n_lists;
	struct conf_break *breaks;
	size_t n_breaks;
	struct conf_allowance *allowances;
	size_t n_allowances;
	/* gateway mode: [daemon] mode and lan, and the [device NAME] sections
	 * (bit i of a whom's devices = devices[i]) */
	enum conf_mode mode;
	char lan[CONF_LAN_MAX][CONF_IFNAME_MAX + 1];
	size_t n_lan;
	struct conf_device *devices;
	size_t n_devices;
};

/* Errors of one parse, each a complete "file:line: message (hint)" string. */
struct conf_errors {
	char **msgs;
	size_t n;
	size_t dropped; /* errors beyond CONF_ERRORS_MAX, counted only */
};

/* Parse `len` bytes of `text` as the file `path` (used in messages). On success
 * returns 0 and a new conf in *out; otherwise -EINVAL with every error of the
 * file in errs (all in one pass), -ENOMEM, and *out untouched. Errors are
 * appended to errs, those of this parse sorted by line. Thread-safe: it sets
 * none of inih's process-wide options (it reads them at their defaults) and
 * keeps all its state in its own frame, so a reload may parse on a thread. */
int conf_parse(const char *path, const char *text, size_t len, struct conf **out,
               struct conf_errors *errs);
/* Read and parse a file. A file that cannot be read is one error "path: why"
 * and a negative errno (-EFBIG when larger than CONF_FILE_MAX). */
int conf_load(const char *path, struct conf **out, struct conf_errors *errs);
/* conf_load that also hands back the text it parsed (freed by the caller),
 * on success only: what was validated is what gets kept as the last good
 * configuration. */
int conf_load_text(const char *path, struct conf **out, struct conf_errors *errs, char **text,
                   size_t *len);
void conf_free(struct conf *c);
/* Appends one message, formatted as printf does, to errs: the one way every
 * module adds to a conf_errors (no count limit here; conf_parse keeps its own).
 * 0, or -ENOMEM with errs unchanged. */
int conf_errors_add(struct conf_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void conf_errors_clear(struct conf_errors *errs);

const struct conf_list *conf_find_list(const struct conf *c, const char *name);
const struct conf_break *conf_find_break(const struct conf *c, const char *name);
const struct conf_allowance *conf_find_allowance(const struct conf *c, const char *name);
/* The index of the device named `name` in c->devices, or -1. */
int conf_find_device(const struct conf *c, const char *name);
/* The configured device name closest to a misspelt `name` (the config's own
 * "did you mean" rule), or NULL. */
const char *conf_closest_device(const struct conf *c, const char *name);

#endif
