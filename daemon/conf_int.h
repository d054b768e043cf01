/* The config parser's own state, shared by its two files and no other module:
 * conf.c (the line reader in front of inih, sections, whole-file checks) and
 * conf_keys.c (the keys, their values, and "did you mean"). */
#ifndef SMB_CONF_INT_H
#define SMB_CONF_INT_H

#include "conf.h"

#include <string.h>

#define DEFAULT_LISTEN   "127.0.0.153:53"
#define DEFAULT_DNS_PORT 53

/* Room for user text quoted in a message: value_escape and two quotes. */
#define QUOTE_SIZE (VALUE_ESCAPE_SIZE + 2)

enum sect { SECT_NONE, SECT_DAEMON, SECT_LIST, SECT_BREAK, SECT_SKIP, SECT_ALLOWANCE, SECT_DEVICE };

enum key {
	K_LISTEN,
	K_UPSTREAM,
	K_INTERCEPT,
	K_BLOCKED_ANSWER,
	K_BLOCKED_TTL,
	K_LEARN_MIN,
	K_LEARN_MAX,
	K_PAUSE_DEFAULT,
	K_CONTROL_GROUP,
	K_CACHE,
	K_STALE_MAX,
	K_SERVICES,
	K_DOMAINS,
	K_FILES,
	K_ALLOW,
	K_ADDRESSES,
	K_DAYS,
	K_TIMES,
	K_LISTS,
	K_STRICT,
	K_FROM,
	K_UNTIL,
	K_UNLOCK_DELAY,
	K_PER_DAY,
	K_WARN, /* [daemon], [break] and [allowance] */
	K_ACTIVE_RATE,
	K_USERS,
	/* gateway mode (conf_device.c) */
	K_MODE,
	K_LAN,
	K_MAC,
	K_DEV_ADDRESSES,
	K_DEVICES,
	K_COUNT
};

/* A list name a break refers to, resolved once the whole file is read. */
struct list_ref {
	char name[VALUE_NAME_MAX + 1];
	unsigned line;
};

/* What the parser keeps about a break besides struct conf_break. */
struct break_aux {
	struct list_ref *refs;
	size_t n_refs;
	bool windows_full;         /* "too many windows" already reported */
	struct list_ref *dev_refs; /* `devices =`, resolved with the lists */
	size_t n_dev_refs;
};

struct parser {
	const char *path;
	struct conf *c;
	struct conf_errors *errs;
	size_t errs_start;
	unsigned *err_lines; /* line of each error this parse kept, for sorting */
	size_t n_errors;     /* errors this parse found, kept or dropped */
	bool oom;

	/* the line reader (conf.c) */
	const char *p, *end; /* the text not yet cut into lines */
	unsigned lineno;     /* the raw line being handled */
	char *line;          /* that line, without CR, BOM and newline */
	size_t line_len, line_cap;
	const char *doc[4]; /* what inih reads for it, see read_line */
	size_t n_doc, doc_i, line_doc;
	int too_long;         /* inih's buffer could not hold the line: its size, else 0 */
	bool header;          /* inih read the line as a section header ... */
	char header_name[64]; /* ... and kept this much of its name */
	char *tok;            /* scratch for one word of a value, line_cap bytes */
	char *val;            /* scratch for a value, line_cap bytes */

	/* what an indented line would continue */
	bool after_key; /* a key line came since the last section header */
	int cur_key;    /* the key it set, or -1: continuation lines are then ignored */

	/* the current section */
	enum sect sect;
	size_t sect_idx;
	unsigned sect_line;
	char sect_label[VALUE_NAME_MAX + 16];
	unsigned key_line[K_COUNT];
	size_t key_words[K_COUNT];
	bool upstream_auto;
	bool sect_rejected; /* a line of it was rejected: what seems missing may be there */

	unsigned daemon_line;
	unsigned upstream_line, learn_min_line, learn_max_line;
	bool learn_bad;
	struct break_aux *aux;        /* parallel to c->breaks */
	struct break_aux *allow_aux;  /* parallel to c->allowances */
	unsigned mode_line, lan_line; /* gateway mode keys, for whole-file checks */
	bool mode_bad;                /* no mode-dependent errors after a bad mode */
};

/* ---- conf.c: errors and small helpers ---- */

/* An error at `line` (0: the file as a whole), kept up to CONF_ERRORS_MAX. */
void conf_err(struct parser *st, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether another error would be kept; lets costly hints be skipped. */
bool conf_err_room(const struct parser *st);
void conf_oom(struct parser *st);
/* Appends to an array that grows in powers of two, so no capacity is kept. */
void *conf_grow(void *arr, size_t n, size_t size);
void conf_push_str(struct parser *st, char ***arr, size_t *n, const char *s);
/* value_escape of a C string, bare or in single quotes. */
const char *conf_escape(char buf[VALUE_ESCAPE_SIZE], const char *s);
const char *conf_quote(char buf[QUOTE_SIZE], const char *s);
/* isspace() of the C locale, which is what inih strips. */
bool conf_is_space(char ch);

static inline struct conf_list *cur_list(struct parser *st)
{
	return &st->c->lists[st->sect_idx];
}

static inline struct conf_device *cur_device(struct parser *st)
{
	return &st->c->devices[st->sect_idx];
}

/* An [allowance] section is parsed as a break (its days, times, lists,
 * strict and whom) with keys of its own, so both read those keys one way. */
static inline struct conf_break *cur_break(struct parser *st)
{
	if (st->sect == SECT_ALLOWANCE)
		return &st->c->allowances[st->sect_idx].b;
	return &st->c->breaks[st->sect_idx];
}

static inline struct break_aux *cur_aux(struct parser *st)
{
	return st->sect == SECT_ALLOWANCE ? &st->allow_aux[st->sect_idx] : &st->aux[st->sect_idx];
}

static inline bool addr_eq(const struct value_addr *a, const struct value_addr *b)
{
	return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* Resolves the list names of break (or allowance: `kind`) b into b->lists:
 * every list when it names none. */
void conf_resolve_lists(struct parser *st, struct conf_break *b, struct break_aux *aux,
                        const char *kind);

/* ---- conf_allow.c: [allowance NAME] ---- */

void conf_allow_open(struct parser *st, const char *name, unsigned line);
void conf_allow_finish(struct parser *st);
/* After the whole file: lists resolved, the parser's scratch freed. */
void conf_allow_resolve(struct parser *st);
void conf_allow_cleanup(struct parser *st);

/* ---- conf_keys.c ---- */

/* A key line inih read: `name` checked for its form, `value` inih's. */
void conf_keys_line(struct parser *st, const char *name, const char *value);
/* An indented line inih read as more of the value of the key before it. */
void conf_keys_continue(struct parser *st, const char *value);

/* The closest candidate so far for a misspelt word: edit distance <= 2 (and
 * less than the word's length), or else one of the two a prefix of the other. */
struct best {
	const char *word;
	const char *found;
	unsigned score;
};
void conf_keys_best_try(struct best *b, const char *cand);
/* The next word of *pp into st->tok (separated by whitespace and commas). */
bool conf_keys_word(struct parser *st, const char **pp);
/* st->tok as an address or CIDR range into *r; false (error reported) if bad. */
bool conf_keys_range(struct parser *st, struct conf_range *r);

/* ---- conf_break.c: the keys of a break (and of an allowance) ---- */

/* The value of K_DAYS, K_TIMES, K_LISTS, K_FROM, K_UNTIL or K_USERS into
 * cur_break; cont: a continuation line (days add to those before). */
void conf_break_value(struct parser *st, enum key k, const char *v, bool cont);

/* ---- conf_device.c: gateway mode and [device NAME] ---- */

void conf_device_open(struct parser *st, const char *name, unsigned line);
/* The value of one of K_MODE .. K_DEVICES. */
void conf_device_value(struct parser *st, enum key k, const char *v);
/* The end of a [device] section: it names the device somehow. */
void conf_device_finish(struct parser *st);
/* After the whole file: `devices =` resolved, mode checks, shared MACs. */
void conf_device_check(struct parser *st);
void conf_device_free(struct conf *c);

#endif
