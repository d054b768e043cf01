/* The control protocol between smbreakd and smctl, over a Unix stream socket.
 * Shared by both programs; pure (no I/O).
 *
 * A message is an 8-byte header followed by `len` bytes of attributes:
 *
 *   offset size field
 *   0      2    version  PROTO_VERSION; a peer answers another version with
 *                        PROTO_RESULT_USAGE and the message "protocol version"
 *   2      2    type     request: enum proto_cmd; answer: PROTO_REPLY;
 *                        unsolicited (smctl watch): PROTO_EVENT
 *   4      4    len      payload bytes, 0 .. PROTO_MSG_MAX - PROTO_HDR_LEN
 *
 * All integers are in host byte order (the socket never leaves the machine).
 * Each attribute is a 4-byte header {u16 len, u16 type} where len counts the
 * header and the value but not the padding (so 4 <= len <= 65535), then the
 * value, then zero padding to a multiple of 4 (netlink's layout). The padding
 * of every attribute, the last one included, is inside the payload and must be
 * zero, so a payload's length is a multiple of 4. Values are at 4-byte offsets
 * and are read with memcpy. Values by kind:
 *   u32, u64, i64 (seconds since the epoch): exactly 4/8/8 bytes;
 *   str: 1..PROTO_STR_MAX bytes including a terminating NUL, no other NUL,
 *        no control characters (0x01-0x1f, 0x7f) except tab; other bytes,
 *        UTF-8 included, pass unchecked;
 *   flag: empty; presence means true;
 *   nest: a sequence of attributes; a nest at the top level is at depth 1,
 *        one inside it at depth 2, and so on up to PROTO_NEST_MAX.
 * A request carries one command; the daemon answers each request with one
 * PROTO_REPLY carrying PROTO_A_RESULT, in order. Unknown attribute types are
 * skipped (a newer peer may add some; their values are not looked into, but
 * their framing and padding are checked); a known type with a bad length or
 * value makes the whole message malformed. proto_validate checks, attribute by
 * attribute in order: header fits, len >= 4, padded length fits, padding is
 * zero, then the value by its kind (nests recursively). */
#ifndef SMB_PROTO_H
#define SMB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION  1
#define PROTO_HDR_LEN  8
#define PROTO_MSG_MAX  65536
#define PROTO_STR_MAX  1024
#define PROTO_NEST_MAX 4

enum proto_cmd {
	PROTO_CMD_STATUS = 1, /* read-only */
	PROTO_CMD_PAUSE,      /* changes state: root or control_group */
	PROTO_CMD_RESUME,     /* changes state */
	PROTO_CMD_SKIP,       /* changes state */
	PROTO_CMD_SCHEDULE,   /* read-only */
	PROTO_CMD_RELOAD,     /* changes state */
	PROTO_CMD_CHECK,      /* read-only */
	PROTO_CMD_STATS,      /* read-only */
	PROTO_CMD_WATCH,      /* read-only; the connection then receives PROTO_EVENTs */
	PROTO_CMD_LISTS,      /* read-only: names of lists and breaks (completion);
	                         with PROTO_A_NAME, what that list holds */
	PROTO_CMD_SERVICES,   /* read-only: the service catalog with domain counts;
	                         with PROTO_A_NAME, that service's domains */
	PROTO_CMD_CANCEL,     /* changes state: drops the planned pause PROTO_A_ID */
	PROTO_CMD_DEVICES,    /* read-only: gateway mode's devices, their MACs and
	                         addresses, what is blocked for each */
	PROTO_CMD_MAX_,
	PROTO_REPLY = 0x100,
	PROTO_EVENT = 0x101,
};

enum proto_result {
	PROTO_RESULT_OK = 0,
	PROTO_RESULT_REFUSED = 1, /* not allowed now (strict, permission) or failed */
	PROTO_RESULT_USAGE = 2,   /* the request itself is wrong */
};

enum proto_kind {
	PROTO_K_NONE,
	PROTO_K_U32,
	PROTO_K_U64,
	PROTO_K_I64,
	PROTO_K_STR,
	PROTO_K_FLAG,
	PROTO_K_NEST
};

enum proto_attr_type {
	/* requests */
	PROTO_A_DURATION = 1, /* u64 seconds: pause length */
	PROTO_A_UNTIL,        /* str WHEN (sched_parse_when): pause until, daemon's local
	                         time; with PROTO_A_AT, seen from that start */
	PROTO_A_STRICT,       /* flag */
	PROTO_A_LIST,         /* str, repeated: list names */
	PROTO_A_DAYS,         /* u32: schedule horizon in days */
	PROTO_A_DOMAIN,       /* str: smctl check */
	/* replies */
	PROTO_A_RESULT,   /* u32 enum proto_result */
	PROTO_A_MESSAGE,  /* str: one human sentence */
	PROTO_A_ERROR,    /* str, repeated: e.g. config errors "file:line: ..." */
	PROTO_A_NOW,      /* i64: the daemon's clock */
	PROTO_A_BLOCKING, /* flag: some list is in force */
	PROTO_A_INFORCE,  /* str, repeated: lists in force now */
	PROTO_A_BREAK,    /* nest: a break (see below) */
	PROTO_A_NAME,     /* str */
	PROTO_A_KIND,     /* str: "scheduled" | "adhoc" */
	PROTO_A_START,    /* i64 */
	PROTO_A_END,      /* i64 */
	PROTO_A_ON,       /* flag: the break is on now */
	PROTO_A_SKIPPED,  /* flag: this occurrence was skipped */
	PROTO_A_COUNTER,  /* nest: PROTO_A_NAME + PROTO_A_VALUE */
	PROTO_A_VALUE,    /* u64 */
	PROTO_A_CONFIG,   /* str: path of the config in force */
	PROTO_A_VERSION,  /* str: daemon version */
	PROTO_A_EVENT,    /* str: an event's word in the human form ("start", "end", ...);
	                     PROTO_A_KIND is its kind ("warning", "started", ...) */
	PROTO_A_NEXT,     /* nest: like PROTO_A_BREAK, the next scheduled break */
	PROTO_A_MATCH,    /* nest, repeated: a list entry that matched (smctl check):
	                     LIST, KIND ("block" | "allow"), ENTRY, SOURCE, LINE */
	PROTO_A_ENTRY,    /* str: the list entry that matched */
	PROTO_A_SOURCE,   /* str: where it came from ("service facebook", a file) */
	PROTO_A_LINE,     /* u32: line in that file */
	PROTO_A_BLOCKED,  /* flag: the name is blocked (now, or in that break) */
	PROTO_A_SERVICE,  /* nest, repeated: NAME + COUNT (domains) of a catalog entry;
	                     `services NAME` adds its SOURCE (file) and DOMAINS */
	PROTO_A_DAY,      /* nest, repeated: DATE + COUNTERs, blocked attempts of a day */
	PROTO_A_DATE,     /* str: a local date, "2026-11-25" */
	PROTO_A_ADDRESS,  /* str: the address smctl check looked up */
	PROTO_A_GROUP,    /* str: the control group a permission refusal names */
	PROTO_A_WARNING,  /* str, repeated: something the user should fix (no upstream) */
	PROTO_A_DOMAINS,  /* str, repeated: the names of a service or a list's `domains =` */
	PROTO_A_ALLOW,    /* str, repeated: a list's `allow =` names */
	PROTO_A_FILE,     /* nest, repeated: NAME (a path) + COUNT (names read) of a list */
	PROTO_A_COUNT,    /* u64: how many names */
	/* planned pauses, focus cycles and unlock delays (pause, resume, cancel) */
	PROTO_A_AT,           /* str WHEN: the pause is planned to start then */
	PROTO_A_CYCLES,       /* u32: focus cycles (request); in a break, of how many */
	PROTO_A_REST,         /* u64 seconds between focus cycles */
	PROTO_A_UNLOCK_DELAY, /* u64 seconds: a resume of the pause waits this long */
	PROTO_A_CANCEL,       /* flag: resume --cancel takes back a waiting resume */
	PROTO_A_ID,           /* u32: a planned pause (cancel; in its break nest) */
	PROTO_A_CYCLE,        /* u32: in a break, which focus cycle it is (1-based) */
	PROTO_A_UNLOCK_AT,    /* i64: in a break, when a resume or skip asked applies */
	/* in a PROTO_A_DAY of smctl stats: the history of that day */
	PROTO_A_KEPT,   /* u64: breaks and pauses that ran to their end */
	PROTO_A_PAUSES, /* u64: pauses started */
	PROTO_A_EARLY,  /* u64: breaks ended early (resume, skip, an unlock delay over) */
	/* structured events (smctl watch; see daemon/breaks_events.c) and status */
	PROTO_A_WHOM,        /* nest: whom a break is for, when not everyone: UIDs, DEVICEs */
	PROTO_A_UID,         /* u32, repeated: a user of PROTO_A_WHOM */
	PROTO_A_WHOM_DEVICE, /* u32, repeated: a [device] of PROTO_A_WHOM, by its index */
	PROTO_A_REMAINING,   /* u64 seconds: to the start of a warned break, else to its end */
	PROTO_A_WARN_AT,     /* i64: in a break nest, when its warning is (or was) given */
	/* nest, repeated: an allowance, NAME + USED (+ BUDGET, ON, END in status);
	 * in a PROTO_A_DAY of smctl stats, its use that day. USED and BUDGET
	 * also sit in the PROTO_EVENT of an allowance's warning (NAME is it) */
	PROTO_A_ALLOWANCE,
	PROTO_A_USED,   /* u64: minutes used */
	PROTO_A_BUDGET, /* u64: minutes a day (per_day) */
	PROTO_A_USER,   /* str, repeated: a user name or uid (pause --user, check --user);
	                   in a break nest, the users it is for (none: everyone) */
	PROTO_A_SOME,   /* nest, repeated (status): LISTs in force for some USERs only */
	/* smctl devices (gateway mode) */
	PROTO_A_DEVICE,      /* nest, repeated: NAME, MACs, RANGES, ADDRESSES, INFORCE
	                        (lists blocked for it now), END (until when) */
	PROTO_A_MAC,         /* str, repeated: "3c:22:fb:12:34:56" */
	PROTO_A_RANGES,      /* str, repeated: a device's `addresses =`, "192.168.1.40/32" */
	PROTO_A_ADDRESSES,   /* str, repeated: addresses the neighbour table has for it */
	PROTO_A_NEIGHBOUR,   /* nest, repeated: ADDRESSES + MAC of a LAN neighbour that is
	                        no configured device */
	PROTO_A_DEVICE_NAME, /* str: smctl check --device: the device asked about */
	PROTO_A_FOR_DEVICE,  /* str, repeated: a device name (pause --device); in a
	                        break nest, the devices it is for */
	PROTO_A_MAX_,
};

/* The kind of each attribute type, PROTO_K_NONE for unknown ones. */
enum proto_kind proto_attr_kind(uint16_t type);
/* Its JSON name ("duration", "until", ...), NULL for unknown ones. Types that
 * may repeat within one message or nest have plural names ("lists", "breaks",
 * "errors", "in_force", "counters") and proto_attr_repeated says so. */
const char *proto_attr_name(uint16_t type);
bool proto_attr_repeated(uint16_t type);
/* A command's name ("status", ...) and whether it changes state. */
const char *proto_cmd_name(uint16_t cmd);
bool proto_cmd_changes_state(uint16_t cmd);

/* Building. Every put fails with -EMSGSIZE once the message would pass
 * PROTO_MSG_MAX (or a nest would pass 65535 bytes); the builder then stays
 * failed, so callers may check once at proto_msg_finish. Opening a nest deeper
 * than PROTO_NEST_MAX fails with -ELOOP, and finishing with a nest still open
 * or ending a nest that was not started with -EINVAL. */
struct proto_msg {
	uint8_t buf[PROTO_MSG_MAX];
	size_t len;
	int err;
	unsigned depth; /* nests open */
};

void proto_msg_init(struct proto_msg *m, uint16_t type);
int proto_put(struct proto_msg *m, uint16_t type, const void *data, size_t len);
int proto_put_u32(struct proto_msg *m, uint16_t type, uint32_t v);
int proto_put_u64(struct proto_msg *m, uint16_t type, uint64_t v);
int proto_put_i64(struct proto_msg *m, uint16_t type, int64_t v);
/* Cut at PROTO_STR_MAX-1 bytes (on a UTF-8 boundary); control characters
 * other than tab become '?' so the message always validates. */
int proto_put_str(struct proto_msg *m, uint16_t type, const char *s);
int proto_put_flag(struct proto_msg *m, uint16_t type);
/* A PROTO_A_COUNTER nest: PROTO_A_NAME and PROTO_A_VALUE. */
int proto_put_counter(struct proto_msg *m, const char *name, uint64_t value);
/* Returns an offset for proto_nest_end, or a negative errno. */
long proto_nest_start(struct proto_msg *m, uint16_t type);
void proto_nest_end(struct proto_msg *m, long offset);
/* Fills in the header's length; returns the total bytes to send or m->err. */
int proto_msg_finish(struct proto_msg *m);

/* Parsing. proto_hdr_parse looks at the first bytes of a stream: returns 0 with
 * the header when at least PROTO_HDR_LEN bytes are there and it is acceptable,
 * -EAGAIN when fewer bytes are there, -EPROTONOSUPPORT for another version,
 * -EMSGSIZE for a length over the bound. */
struct proto_hdr {
	uint16_t version;
	uint16_t type;
	uint32_t len;
};
int proto_hdr_parse(const void *buf, size_t len, struct proto_hdr *out);

/* Validates a whole payload: every attribute's framing, every known type's
 * length and string rules, nests recursively. 0 or -EPROTO. */
int proto_validate(const void *payload, size_t len);

struct proto_attr {
	uint16_t type;
	uint16_t len; /* value bytes */
	const uint8_t *data;
};
struct proto_iter {
	const uint8_t *p, *end;
};
/* Iterates over a validated payload or nest (proto_attr_nest). Never reads
 * out of bounds even on unvalidated bytes: it stops at bad framing. The value
 * getters return 0 / "" for a value of the wrong length. */
void proto_iter_init(struct proto_iter *it, const void *payload, size_t len);
bool proto_iter_next(struct proto_iter *it, struct proto_attr *a);
void proto_attr_nest(const struct proto_attr *a, struct proto_iter *it);
uint32_t proto_attr_u32(const struct proto_attr *a);
uint64_t proto_attr_u64(const struct proto_attr *a);
int64_t proto_attr_i64(const struct proto_attr *a);
const char *proto_attr_str(const struct proto_attr *a);
/* The first attribute of `type` in a validated payload, or false. */
bool proto_find(const void *payload, size_t len, uint16_t type, struct proto_attr *out);

#endif
