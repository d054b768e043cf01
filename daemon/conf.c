/* Parses smbreak.conf into a fresh struct conf and validates it whole, collecting
 * every error as "file:line: message"; also the typed value parsers shared with
 * smctl and the state file. inih does the INI syntax; our line reader in front
 * of it checks every raw line first, so that nothing inih would cut reaches it. */
#include "conf.h"
#include "value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* inih keeps section and key names in 50-byte buffers (NUL included) and cuts
 * longer ones without telling; we refuse such lines before inih sees them. */
#define INI_NAME_LIMIT 50

/* Longest quoted piece of user text in a message. */
#define QUOTE_MAX 72

/* inih's comment prefixes, set explicitly because our line classifier mirrors
 * them; they are writable arrays because inih declares the globals non-const. */
static char ini_comment_start[] = ";#";
static char ini_comment_inline[] = ";";

#define DEFAULT_LISTEN   "127.0.0.153:53"
#define DEFAULT_DNS_PORT 53
#define DEFAULT_GROUP    "smbreak"
#define MINUTE           60u
#define HOUR             3600u
#define DAY              86400u

/* ---- characters ---- */

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* isspace() of the C locale, which is what inih strips. */
static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}


/* A group name as useradd takes it by default: [a-z_][a-z0-9_-]*. */
static bool valid_group(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_GROUP_MAX || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* Checks a domain name in place (lowercasing it and dropping a trailing dot);
 * returns NULL when plausible, else why not. */
static const char *check_domain(char *d)
{
	size_t n = strlen(d), label = 0;

	if (strstr(d, "://") || strchr(d, '/'))
		return "write the name only, like example.com";
	if (d[0] == '*' && d[1] == '.')
		return "leave out '*.': a domain always covers its subdomains";
	if (n > 0 && d[n - 1] == '.')
		d[--n] = '\0';
	if (n == 0)
		return "empty name";
	if (n > 253)
		return "longer than 253 bytes";
	for (size_t i = 0; i <= n; i++) {
		char ch = d[i];
		if (ch == '.' || ch == '\0') {
			if (label == 0)
				return "empty label (two dots in a row, or a leading dot)";
			if (label > 63)
				return "a label is longer than 63 bytes";
			label = 0;
			continue;
		}
		ch = lower(ch);
		d[i] = ch;
		if (!((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '-' || ch == '_'))
			return "only letters, digits, '-' and '_' may appear between the dots";
		label++;
	}
	return NULL;
}

/* ---- "did you mean" ---- */

#define LEV_MAX 64

static unsigned levenshtein(const char *a, const char *b)
{
	unsigned row[LEV_MAX + 1], prev_diag, tmp;
	size_t la = strlen(a), lb = strlen(b);

	if (la > LEV_MAX || lb > LEV_MAX)
		return UINT32_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		prev_diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = prev_diag + (lower(a[i - 1]) == b[j - 1] ? 0 : 1);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev_diag = tmp;
		}
	}
	return row[lb];
}

/* The closest candidate so far: edit distance <= 2 (and less than the word's
 * length), or else one of the two is a prefix of the other. */
struct best {
	const char *word;
	const char *found;
	unsigned score;
};

static void best_try(struct best *b, const char *cand)
{
	size_t lw = strlen(b->word), lc = strlen(cand), shorter = lw < lc ? lw : lc;
	unsigned d = levenshtein(b->word, cand), score;

	if (d <= 2 && d < lw)
		score = d;
	else if (shorter >= 3 && strncmp(b->word, cand, shorter) == 0)
		score = 3;
	else
		return;
	if (!b->found || score < b->score) {
		b->found = cand;
		b->score = score;
	}
}

/* ---- the parser ---- */

enum sect { SECT_NONE, SECT_DAEMON, SECT_LIST, SECT_BREAK, SECT_SKIP };

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
	K_SERVICES,
	K_DOMAINS,
	K_FILES,
	K_ALLOW,
	K_DAYS,
	K_TIMES,
	K_LISTS,
	K_STRICT,
	K_COUNT
};

static const struct {
	const char *name;
	enum sect sect;
	bool multi; /* takes a list of words, and so continuation lines */
} keys[K_COUNT] = {
    [K_LISTEN] = {"listen", SECT_DAEMON, true},
    [K_UPSTREAM] = {"upstream", SECT_DAEMON, true},
    [K_INTERCEPT] = {"intercept", SECT_DAEMON, false},
    [K_BLOCKED_ANSWER] = {"blocked_answer", SECT_DAEMON, false},
    [K_BLOCKED_TTL] = {"blocked_ttl", SECT_DAEMON, false},
    [K_LEARN_MIN] = {"learn_min", SECT_DAEMON, false},
    [K_LEARN_MAX] = {"learn_max", SECT_DAEMON, false},
    [K_PAUSE_DEFAULT] = {"pause_default", SECT_DAEMON, false},
    [K_CONTROL_GROUP] = {"control_group", SECT_DAEMON, false},
    [K_SERVICES] = {"services", SECT_LIST, true},
    [K_DOMAINS] = {"domains", SECT_LIST, true},
    [K_FILES] = {"files", SECT_LIST, true},
    [K_ALLOW] = {"allow", SECT_LIST, true},
    [K_DAYS] = {"days", SECT_BREAK, true},
    [K_TIMES] = {"times", SECT_BREAK, true},
    [K_LISTS] = {"lists", SECT_BREAK, true},
    [K_STRICT] = {"strict", SECT_BREAK, false},
};

/* Ranges of the duration keys, in seconds. */
static const struct {
	enum key key;
	uint32_t min, max;
} dur_ranges[] = {
    {K_BLOCKED_TTL, 0, DAY},
    {K_LEARN_MIN, MINUTE, 7 * DAY},
    {K_LEARN_MAX, MINUTE, 7 * DAY},
    {K_PAUSE_DEFAULT, MINUTE, 7 * DAY},
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
	bool windows_full; /* "too many windows" already reported */
};

struct parser {
	const char *path;
	struct conf *c;
	struct conf_errors *errs;
	size_t errs_start;
	unsigned *err_lines; /* line of each error this parse kept, for sorting */
	size_t n_errors;     /* errors this parse found, kept or dropped */
	bool oom;

	/* the reader */
	const char *p, *end;
	unsigned lineno; /* line being handed to inih (and so handled) */
	char *out;       /* that line as inih gets it, '\n'-terminated */
	size_t out_len, out_pos;
	char *tok; /* scratch for one word of a value */
	char *val; /* scratch for a value */

	/* our model of inih's line state */
	bool have_prev; /* inih remembers a key: indented lines continue it */
	bool cont_ok;   /* ... and that key was accepted, so continuations count */
	bool cur_cont;  /* the current line is a continuation */
	int cur_key;    /* key of the current line or of what it continues; -1 none */

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
	struct break_aux *aux; /* parallel to c->breaks */
};

/* Prints user text safely and briefly: bytes outside printable ASCII as \xNN,
 * long text cut with "...". buf has QUOTE_MAX + 8 bytes. */
static const char *escape(char *buf, const char *s)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (o > QUOTE_MAX - 9) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch >= 0x20 && ch < 0x7f)
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

static const char *quote(char *buf, const char *s)
{
	size_t n;

	buf[0] = '\'';
	escape(buf + 1, s);
	n = strlen(buf);
	buf[n] = '\'';
	buf[n + 1] = '\0';
	return buf;
}

static void oom(struct parser *st)
{
	st->oom = true;
}

__attribute__((format(printf, 3, 4))) static void err(struct parser *st, unsigned line,
                                                      const char *fmt, ...)
{
	char *body = NULL, *msg = NULL, **msgs;
	unsigned *lines;
	size_t kept = st->errs->n - st->errs_start;
	va_list ap;
	int r;

	st->n_errors++;
	if (kept >= CONF_ERRORS_MAX) {
		st->errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	r = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (r < 0)
		return oom(st);
	if (line)
		r = asprintf(&msg, "%s:%u: %s", st->path, line, body);
	else
		r = asprintf(&msg, "%s: %s", st->path, body);
	free(body);
	if (r < 0)
		return oom(st);
	msgs = realloc(st->errs->msgs, (st->errs->n + 1) * sizeof(*msgs));
	lines = realloc(st->err_lines, (kept + 1) * sizeof(*lines));
	if (msgs)
		st->errs->msgs = msgs;
	if (lines)
		st->err_lines = lines;
	if (!msgs || !lines) {
		free(msg);
		return oom(st);
	}
	msgs[st->errs->n++] = msg;
	lines[kept] = line;
}

/* Whether another error would be kept; lets costly hints be skipped. */
static bool err_room(const struct parser *st)
{
	return st->errs->n - st->errs_start < CONF_ERRORS_MAX;
}

/* Appends to an array that grows in powers of two, so no capacity is kept. */
static void *grow(void *arr, size_t n, size_t size)
{
	if (n & (n - 1))
		return arr;
	if (n > SIZE_MAX / 2 / size)
		return NULL;
	return realloc(arr, (n ? 2 * n : 1) * size);
}

static void push_str(struct parser *st, char ***arr, size_t *n, const char *s)
{
	char **a = grow(*arr, *n, sizeof(**arr));
	char *copy;

	if (!a)
		return oom(st);
	*arr = a;
	copy = strdup(s);
	if (!copy)
		return oom(st);
	a[(*n)++] = copy;
}

static struct conf_list *cur_list(struct parser *st)
{
	return &st->c->lists[st->sect_idx];
}

static struct conf_break *cur_break(struct parser *st)
{
	return &st->c->breaks[st->sect_idx];
}

static bool addr_eq(const struct value_addr *a, const struct value_addr *b)
{
	return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* ---- sections ---- */

static void finish_section(struct parser *st)
{
	char q[QUOTE_MAX + 8];

	switch (st->sect) {
	case SECT_DAEMON:
		if (st->key_line[K_LISTEN] && st->key_words[K_LISTEN] == 0)
			err(st, st->key_line[K_LISTEN],
			    "'listen' has no value (give one or more addresses, like %s)",
			    DEFAULT_LISTEN);
		if (st->key_line[K_UPSTREAM]) {
			if (st->key_words[K_UPSTREAM] == 0)
				err(st, st->key_line[K_UPSTREAM],
				    "'upstream' has no value (use auto, or addresses like "
				    "9.9.9.9)");
			else if (st->upstream_auto && st->c->n_upstreams)
				err(st, st->key_line[K_UPSTREAM],
				    "upstream is either 'auto' or a list of addresses, not both");
			else
				st->c->upstream_auto = st->upstream_auto;
		}
		break;
	case SECT_LIST:
		if (!st->sect_rejected &&
		    st->key_words[K_SERVICES] + st->key_words[K_DOMAINS] + st->key_words[K_FILES] ==
		        0)
			err(st, st->sect_line,
			    "list %s blocks nothing (give it services, domains or files)",
			    quote(q, cur_list(st)->name));
		break;
	case SECT_BREAK:
		if (st->sect_rejected)
			break;
		if (!st->key_line[K_TIMES])
			err(st, st->sect_line,
			    "break %s has no times (add a line like times = 09:00-17:00)",
			    quote(q, cur_break(st)->name));
		else if (st->key_words[K_TIMES] == 0)
			err(st, st->key_line[K_TIMES],
			    "'times' has no value (give windows like 09:00-12:00 13:00-17:30)");
		if (st->key_line[K_DAYS] && st->key_words[K_DAYS] == 0)
			err(st, st->key_line[K_DAYS],
			    "'days' has no value (like mon-fri; leave the key out for every day)");
		if (st->key_line[K_LISTS] && st->key_words[K_LISTS] == 0)
			err(st, st->key_line[K_LISTS],
			    "'lists' has no value (name [list] sections; leave the key out for "
			    "all)");
		break;
	case SECT_NONE:
	case SECT_SKIP:
		break;
	}
	st->sect = SECT_SKIP;
	memset(st->key_line, 0, sizeof(st->key_line));
	memset(st->key_words, 0, sizeof(st->key_words));
	st->upstream_auto = false;
	st->sect_rejected = false;
}

static void open_list(struct parser *st, const char *name, unsigned line)
{
	struct conf *c = st->c;
	struct conf_list *l;
	const struct conf_list *dup = conf_find_list(c, name);

	if (dup)
		err(st, line, "duplicate section [list %s] (first on line %u)", name, dup->line);
	if (c->n_lists >= SMB_LISTS_MAX) {
		err(st, line, "too many [list] sections (at most %d)", SMB_LISTS_MAX);
		return;
	}
	l = grow(c->lists, c->n_lists, sizeof(*l));
	if (!l)
		return oom(st);
	c->lists = l;
	l = &c->lists[c->n_lists];
	memset(l, 0, sizeof(*l));
	strcpy(l->name, name);
	l->line = line;
	st->sect = SECT_LIST;
	st->sect_idx = c->n_lists++;
	snprintf(st->sect_label, sizeof(st->sect_label), "[list %s]", name);
}

static void open_break(struct parser *st, const char *name, unsigned line)
{
	struct conf *c = st->c;
	struct conf_break *b;
	struct break_aux *aux;
	const struct conf_break *dup = conf_find_break(c, name);

	if (dup)
		err(st, line, "duplicate section [break %s] (first on line %u)", name, dup->line);
	if (c->n_breaks >= CONF_BREAKS_MAX) {
		err(st, line, "too many [break] sections (at most %d)", CONF_BREAKS_MAX);
		return;
	}
	b = grow(c->breaks, c->n_breaks, sizeof(*b));
	if (!b)
		return oom(st);
	c->breaks = b;
	aux = grow(st->aux, c->n_breaks, sizeof(*aux));
	if (!aux)
		return oom(st);
	st->aux = aux;
	b = &c->breaks[c->n_breaks];
	memset(b, 0, sizeof(*b));
	memset(&st->aux[c->n_breaks], 0, sizeof(*aux));
	strcpy(b->name, name);
	b->line = line;
	b->days = VALUE_DAYS_ALL;
	st->sect = SECT_BREAK;
	st->sect_idx = c->n_breaks++;
	snprintf(st->sect_label, sizeof(st->sect_label), "[break %s]", name);
}

/* A syntactically complete header "[...]" with `inner` its text. */
static void open_section(struct parser *st, char *inner, unsigned line)
{
	static const char *const kinds[] = {"daemon", "list", "break"};
	char q[QUOTE_MAX + 8], q2[QUOTE_MAX + 8], *kind, *name, *e;

	finish_section(st);
	st->sect_line = line;
	while (is_space(*inner))
		inner++;
	for (e = inner + strlen(inner); e > inner && is_space(e[-1]);)
		*--e = '\0';
	kind = inner;
	for (name = kind; *name && !is_space(*name); name++)
		;
	if (*name) {
		*name++ = '\0';
		while (is_space(*name))
			name++;
	}
	if (strcmp(kind, "daemon") == 0) {
		if (*name) {
			err(st, line, "[daemon] takes no name (found [daemon %s])",
			    escape(q, name));
			return;
		}
		if (st->daemon_line)
			err(st, line, "duplicate section [daemon] (first on line %u)",
			    st->daemon_line);
		else
			st->daemon_line = line;
		st->sect = SECT_DAEMON;
		snprintf(st->sect_label, sizeof(st->sect_label), "[daemon]");
		return;
	}
	if (strcmp(kind, "list") == 0 || strcmp(kind, "break") == 0) {
		if (!*name)
			err(st, line, "[%s] needs a name, like [%s]", kind,
			    kind[0] == 'l' ? "list social" : "break work");
		else if (!value_valid_name(name))
			err(st, line,
			    "bad %s name %s: names use a-z, 0-9, _ and - (at most %d bytes)", kind,
			    quote(q, name), VALUE_NAME_MAX);
		else if (kind[0] == 'l')
			open_list(st, name, line);
		else
			open_break(st, name, line);
		return;
	}
	if (err_room(st)) {
		struct best b = {.word = kind};
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			best_try(&b, kinds[i]);
		escape(q, kind);
		escape(q2, name);
		if (b.found)
			err(st, line, "unknown section [%s%s%s] (did you mean [%s%s%s]?)", q,
			    *name ? " " : "", q2, b.found, *name ? " " : "", q2);
		else
			err(st, line,
			    "unknown section [%s%s%s] (sections are [daemon], [list NAME] and "
			    "[break NAME])",
			    q, *name ? " " : "", q2);
	} else {
		err(st, line, "unknown section");
	}
}

/* ---- the line reader in front of inih ---- */

/* Where inih would stop looking for one of `chars`: at it, at an inline ';'
 * comment (a ';' after whitespace), or at the end. */
static const char *find_sep(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
		was_space = is_space(*s);
		s++;
	}
	return s;
}

/* A line that is not given to inih: what follows it as continuation belongs to
 * nothing, and if it was meant as a section header, its keys must not land in
 * the section before it. */
static void reject_line(struct parser *st, const char *line)
{
	const char *s = line;

	st->cont_ok = false;
	while (is_space(*s))
		s++;
	if (*s == '[' && !(st->have_prev && s > line)) {
		finish_section(st);
		st->sect_line = st->lineno;
	}
	st->sect_rejected = true;
}

static bool section_line(struct parser *st, const char *s)
{
	char q[QUOTE_MAX + 8], inner[INI_NAME_LIMIT];
	const char *close = find_sep(s + 1, "]"), *t;
	size_t n = (size_t)(close - s - 1);

	if (*close != ']') {
		err(st, st->lineno, "section header %s has no closing ']'", quote(q, s));
		return false;
	}
	if (n >= INI_NAME_LIMIT) {
		err(st, st->lineno, "section header %s is too long (at most %d bytes inside [])",
		    quote(q, s), INI_NAME_LIMIT - 1);
		return false;
	}
	for (t = close + 1; is_space(*t); t++)
		;
	if (*t && *t != ';' && *t != '#')
		err(st, st->lineno, "unexpected text %s after ']' (comments start with ';')",
		    quote(q, t));
	memcpy(inner, s + 1, n);
	inner[n] = '\0';
	open_section(st, inner, st->lineno);
	st->have_prev = false;
	st->cont_ok = false;
	return true;
}

static bool key_line(struct parser *st, const char *s)
{
	char q[QUOTE_MAX + 8], *name = st->tok;
	const char *sep = find_sep(s, "=:");
	size_t n = (size_t)(sep - s);

	if (*sep != '=' && *sep != ':') {
		err(st, st->lineno,
		    "expected 'key = value', found %s (to continue a value, indent the line)",
		    quote(q, s));
		return false;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	memcpy(name, s, n);
	name[n] = '\0';
	if (n == 0) {
		err(st, st->lineno, "missing key name before '%c'", *sep);
		return false;
	}
	if (n >= INI_NAME_LIMIT) {
		err(st, st->lineno, "key name %s is too long (at most %d bytes)", quote(q, name),
		    INI_NAME_LIMIT - 1);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = lower(name[i]);
		if (!((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '_' || ch == '-' ||
		      ch == '.')) {
			err(st, st->lineno, "bad key name %s (a line is 'key = value')",
			    quote(q, name));
			return false;
		}
	}
	st->have_prev = true;
	st->cont_ok = true;
	return true;
}

/* Decides what inih will make of the line in st->out, checks it, and tells
 * whether to hand it over; mirrors inih's own rules so that we always know
 * which section and key inih is in. */
static bool check_line(struct parser *st, const char *line)
{
	char q[QUOTE_MAX + 8];
	const char *s = line;

	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == ';' || *s == '#')
		return true;
	if (st->have_prev && s > line) {
		if (!st->cont_ok || st->cur_key < 0)
			return false;
		/* "[break x]" indented after a key reads as more of its value; say so
		 * rather than complain about a strange value. IPv6 "[::1]" is fine. */
		const char *close = find_sep(s, "]");
		if (*s == '[' && *close == ']' && !memchr(s, ':', (size_t)(close - s))) {
			err(st, st->lineno,
			    "indented %s continues the value of '%s' (start a section header "
			    "at the beginning of the line)",
			    quote(q, s), keys[st->cur_key].name);
			st->cont_ok = false;
			return false;
		}
		st->cur_cont = true;
		return true;
	}
	if (*s == '[')
		return section_line(st, s);
	return key_line(st, s);
}

/* Moves to the next raw line: strips CR and BOM, checks it, and prepares what
 * inih gets (the line, or an empty line in its place). */
static bool next_line(struct parser *st)
{
	const char *s = st->p, *nl;
	size_t len;
	bool pass;

	if (st->p >= st->end)
		return false;
	nl = memchr(s, '\n', (size_t)(st->end - s));
	len = nl ? (size_t)(nl - s) : (size_t)(st->end - s);
	st->p = nl ? nl + 1 : st->end;
	st->lineno++;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (st->lineno == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		len -= 3;
	}
	st->cur_cont = false;
	st->out_pos = 0;
	if (len > CONF_LINE_MAX) {
		err(st, st->lineno,
		    "line is longer than %d bytes (split a long list over indented "
		    "continuation lines)",
		    CONF_LINE_MAX);
		memcpy(st->out, s, 64);
		st->out[64] = '\0';
		pass = false;
	} else {
		memcpy(st->out, s, len);
		st->out[len] = '\0';
		if (memchr(s, '\0', len)) {
			err(st, st->lineno, "line contains a NUL byte");
			pass = false;
		} else {
			pass = check_line(st, st->out);
		}
	}
	if (!pass)
		reject_line(st, st->out);
	if (pass) {
		st->out[len] = '\n';
		st->out_len = len + 1;
	} else {
		st->out[0] = '\n';
		st->out_len = 1;
	}
	return true;
}

/* inih's fgets-like reader. With a growing heap buffer inih may ask several
 * times for one line; the line number moves only when a new line begins. */
static char *reader(char *buf, int num, void *stream)
{
	struct parser *st = stream;
	size_t n;

	if (num < 2)
		return NULL;
	if (st->out_pos == st->out_len && !next_line(st))
		return NULL;
	n = st->out_len - st->out_pos;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(buf, st->out + st->out_pos, n);
	buf[n] = '\0';
	st->out_pos += n;
	return buf;
}

/* ---- values ---- */

/* The next word of *pp into st->tok; words are separated by whitespace, and
 * by commas too unless `spaces_only`. */
static bool next_word(struct parser *st, const char **pp, bool spaces_only)
{
	const char *p = *pp;
	size_t n = 0;

	while (is_space(*p) || (!spaces_only && *p == ','))
		p++;
	if (!*p)
		return false;
	while (p[n] && !is_space(p[n]) && (spaces_only || p[n] != ','))
		n++;
	memcpy(st->tok, p, n);
	st->tok[n] = '\0';
	*pp = p + n;
	return true;
}

static void value_listen(struct parser *st, const char *v, bool cont)
{
	struct conf *c = st->c;
	char q[QUOTE_MAX + 8];
	struct value_addr a;

	if (!cont)
		c->n_listen = 0;
	while (next_word(st, &v, false)) {
		int r = value_parse_addr(st->tok, DEFAULT_DNS_PORT, &a);
		bool dup = false;

		st->key_words[K_LISTEN]++;
		if (r == -ERANGE) {
			err(st, st->lineno, "bad port in %s: ports go from 1 to 65535",
			    quote(q, st->tok));
			continue;
		}
		if (r < 0) {
			err(st, st->lineno,
			    "bad address %s: use ip or ip:port, like 127.0.0.153:53 or [::1]:53",
			    quote(q, st->tok));
			continue;
		}
		for (size_t i = 0; i < c->n_listen; i++)
			dup |= addr_eq(&c->listen[i], &a);
		if (dup)
			err(st, st->lineno, "listen address %s is given twice", quote(q, st->tok));
		else if (c->n_listen == CONF_LISTEN_MAX)
			err(st, st->lineno, "too many listen addresses (at most %d)",
			    CONF_LISTEN_MAX);
		else
			c->listen[c->n_listen++] = a;
	}
}

static void value_upstream(struct parser *st, const char *v)
{
	struct conf *c = st->c;
	char q[QUOTE_MAX + 8];
	struct value_addr a;

	st->upstream_line = st->key_line[K_UPSTREAM];
	while (next_word(st, &v, false)) {
		int r;

		st->key_words[K_UPSTREAM]++;
		if (strcmp(st->tok, "auto") == 0) {
			st->upstream_auto = true;
			continue;
		}
		r = value_parse_addr(st->tok, DEFAULT_DNS_PORT, &a);
		if (r == -ERANGE) {
			err(st, st->lineno, "bad port in %s: ports go from 1 to 65535",
			    quote(q, st->tok));
		} else if (r < 0) {
			err(st, st->lineno,
			    "bad upstream %s: use auto, or ip[:port] like 9.9.9.9 or "
			    "[2620:fe::fe]:53",
			    quote(q, st->tok));
		} else if (c->n_upstreams == CONF_UPSTREAMS_MAX) {
			err(st, st->lineno, "too many upstream addresses (at most %d)",
			    CONF_UPSTREAMS_MAX);
		} else {
			struct value_addr *u = grow(c->upstreams, c->n_upstreams, sizeof(*u));
			if (!u)
				return oom(st);
			c->upstreams = u;
			u[c->n_upstreams++] = a;
		}
	}
}

static void value_duration(struct parser *st, enum key k, const char *v)
{
	char q[QUOTE_MAX + 8], lo[32], hi[32];
	uint32_t min = 0, max = 0, *dst = NULL;
	uint64_t secs;
	size_t digits = strspn(v, "0123456789");
	int r;

	for (size_t i = 0; i < sizeof(dur_ranges) / sizeof(dur_ranges[0]); i++)
		if (dur_ranges[i].key == k) {
			min = dur_ranges[i].min;
			max = dur_ranges[i].max;
		}
	switch (k) {
	case K_BLOCKED_TTL:
		dst = &st->c->blocked_ttl;
		break;
	case K_LEARN_MIN:
		dst = &st->c->learn_min;
		st->learn_min_line = st->lineno;
		break;
	case K_LEARN_MAX:
		dst = &st->c->learn_max;
		st->learn_max_line = st->lineno;
		break;
	default:
		dst = &st->c->pause_default;
		break;
	}
	r = value_parse_duration(v, &secs);
	if (r == -EINVAL) {
		if (digits > 0 && digits == strlen(v) && digits < 12)
			err(st, st->lineno,
			    "bad duration %s: a duration needs a unit, like %ss or %sm",
			    quote(q, v), v, v);
		else
			err(st, st->lineno,
			    "bad duration %s: use a number with a unit s, m, h or d, like 90s or "
			    "1h30m",
			    quote(q, v));
	} else if (r < 0 || secs < min || secs > max) {
		value_format_duration(min, lo, sizeof(lo));
		value_format_duration(max, hi, sizeof(hi));
		err(st, st->lineno, "%s %s is out of range (%s to %s)", keys[k].name, quote(q, v),
		    lo, hi);
		r = -ERANGE;
	} else {
		*dst = (uint32_t)secs;
	}
	if (r < 0 && (k == K_LEARN_MIN || k == K_LEARN_MAX))
		st->learn_bad = true;
}

static void value_bool(struct parser *st, enum key k, const char *v, bool *dst)
{
	char q[QUOTE_MAX + 8];

	if (value_parse_bool(v, dst) < 0)
		err(st, st->lineno, "bad value %s for %s: use yes or no", quote(q, v),
		    keys[k].name);
}

static void value_answer(struct parser *st, const char *v)
{
	static const char *const names[] = {[CONF_ANSWER_NXDOMAIN] = "nxdomain",
	                                    [CONF_ANSWER_NULL] = "null",
	                                    [CONF_ANSWER_REFUSED] = "refused"};
	char q[QUOTE_MAX + 8];
	struct best b = {.word = v};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i]) == 0) {
			st->c->blocked_answer = (enum conf_answer)i;
			return;
		}
		best_try(&b, names[i]);
	}
	if (b.found)
		err(st, st->lineno,
		    "bad blocked_answer %s: use nxdomain, null or refused (did you mean '%s'?)",
		    quote(q, v), b.found);
	else
		err(st, st->lineno, "bad blocked_answer %s: use nxdomain, null or refused",
		    quote(q, v));
}

static void value_group(struct parser *st, const char *v)
{
	char q[QUOTE_MAX + 8];

	if (!valid_group(v))
		err(st, st->lineno,
		    "bad group name %s: use a-z, 0-9, _ and -, starting with a letter or _ (at "
		    "most %d bytes)",
		    quote(q, v), CONF_GROUP_MAX);
	else
		strcpy(st->c->control_group, v);
}

static void value_names(struct parser *st, enum key k, const char *v)
{
	struct conf_list *l = cur_list(st);
	char q[QUOTE_MAX + 8];

	while (next_word(st, &v, false)) {
		st->key_words[k]++;
		if (!value_valid_name(st->tok))
			err(st, st->lineno,
			    "bad service name %s: names use a-z, 0-9, _ and - (at most %d bytes)",
			    quote(q, st->tok), VALUE_NAME_MAX);
		else
			push_str(st, &l->services, &l->n_services, st->tok);
		if (!l->services_line)
			l->services_line = st->lineno;
	}
}

static void value_domains(struct parser *st, enum key k, const char *v)
{
	struct conf_list *l = cur_list(st);
	char q[QUOTE_MAX + 8];

	while (next_word(st, &v, false)) {
		const char *why;

		st->key_words[k]++;
		quote(q, st->tok);
		why = check_domain(st->tok);
		if (why)
			err(st, st->lineno, "bad domain %s: %s", q, why);
		else if (k == K_DOMAINS)
			push_str(st, &l->domains, &l->n_domains, st->tok);
		else
			push_str(st, &l->allow, &l->n_allow, st->tok);
	}
}

static void value_files(struct parser *st, const char *v)
{
	struct conf_list *l = cur_list(st);
	char q[QUOTE_MAX + 8];

	while (next_word(st, &v, true)) {
		st->key_words[K_FILES]++;
		if (st->tok[0] != '/')
			err(st, st->lineno,
			    "files entry %s is not an absolute path (like "
			    "/etc/smbreak/lists.d/*.txt)",
			    quote(q, st->tok));
		else if (strlen(st->tok) >= 4096)
			err(st, st->lineno, "files entry is longer than 4095 bytes");
		else
			push_str(st, &l->files, &l->n_files, st->tok);
	}
}

static void value_days(struct parser *st, const char *v, bool cont)
{
	struct conf_break *b = cur_break(st);
	char q[QUOTE_MAX + 8];

	if (!cont)
		b->days = 0;
	while (next_word(st, &v, false)) {
		st->key_words[K_DAYS]++;
		struct best best = {.word = st->tok};
		uint8_t m;

		if (value_parse_days(st->tok, &m) == 0) {
			b->days |= m;
			continue;
		}
		if (err_room(st) && !strchr(st->tok, '-'))
			for (size_t i = 0; value_days_word(i); i++)
				best_try(&best, value_days_word(i));
		if (best.found)
			err(st, st->lineno,
			    "bad day %s: use mon..sun, ranges like mon-fri, daily, weekdays or "
			    "weekends (did you mean '%s'?)",
			    quote(q, st->tok), best.found);
		else
			err(st, st->lineno,
			    "bad day %s: use mon..sun, ranges like mon-fri, daily, weekdays or "
			    "weekends",
			    quote(q, st->tok));
	}
}

/* One HH:MM-HH:MM window. */
static void value_window(struct parser *st, struct conf_break *b, struct break_aux *aux,
                         const char *w)
{
	char q[QUOTE_MAX + 8], q2[QUOTE_MAX + 8], a[16], z[16];
	const char *dash = strchr(w, '-');
	uint32_t start = 0, end = 0;
	size_t la, lz;
	int rs, re;

	if (!dash || strchr(dash + 1, '-')) {
		err(st, st->lineno, "bad time window %s: write it as HH:MM-HH:MM, like 09:00-12:00",
		    quote(q, w));
		return;
	}
	la = (size_t)(dash - w);
	lz = strlen(dash + 1);
	if (la >= sizeof(a) || lz >= sizeof(z)) {
		err(st, st->lineno, "bad time window %s: write it as HH:MM-HH:MM, like 09:00-12:00",
		    quote(q, w));
		return;
	}
	memcpy(a, w, la);
	a[la] = '\0';
	memcpy(z, dash + 1, lz + 1);
	rs = value_parse_time_of_day(a, false, &start);
	re = value_parse_time_of_day(z, true, &end);
	if (rs == -ERANGE)
		err(st, st->lineno,
		    "start time %s in window %s is out of range (00:00 to 23:59; 24:00 only as "
		    "an end)",
		    quote(q, a), quote(q2, w));
	else if (rs < 0)
		err(st, st->lineno, "bad time %s in window %s: use HH:MM, like 09:00 or 17:30",
		    quote(q, a), quote(q2, w));
	if (re == -ERANGE)
		err(st, st->lineno, "end time %s in window %s is out of range (00:00 to 24:00)",
		    quote(q, z), quote(q2, w));
	else if (re < 0)
		err(st, st->lineno, "bad time %s in window %s: use HH:MM, like 09:00 or 17:30",
		    quote(q, z), quote(q2, w));
	if (rs < 0 || re < 0)
		return;
	if (start == end) {
		err(st, st->lineno,
		    "empty window %s: it starts when it ends (for a whole day write "
		    "00:00-24:00)",
		    quote(q, w));
		return;
	}
	if (b->n_windows == CONF_WINDOWS_MAX) {
		if (!aux->windows_full)
			err(st, st->lineno, "too many time windows in break %s (at most %d)",
			    quote(q, b->name), CONF_WINDOWS_MAX);
		aux->windows_full = true;
		return;
	}
	b->windows[b->n_windows].start = start;
	b->windows[b->n_windows].end = end;
	b->n_windows++;
}

static void value_times(struct parser *st, const char *v)
{
	while (next_word(st, &v, false)) {
		st->key_words[K_TIMES]++;
		value_window(st, cur_break(st), &st->aux[st->sect_idx], st->tok);
	}
}

static void value_lists(struct parser *st, const char *v)
{
	struct break_aux *aux = &st->aux[st->sect_idx];
	char q[QUOTE_MAX + 8];

	while (next_word(st, &v, false)) {
		struct list_ref *r;

		st->key_words[K_LISTS]++;
		if (!value_valid_name(st->tok)) {
			err(st, st->lineno,
			    "bad list name %s: names use a-z, 0-9, _ and - (at most %d bytes)",
			    quote(q, st->tok), VALUE_NAME_MAX);
			continue;
		}
		r = grow(aux->refs, aux->n_refs, sizeof(*r));
		if (!r)
			return oom(st);
		aux->refs = r;
		strcpy(r[aux->n_refs].name, st->tok);
		r[aux->n_refs++].line = st->lineno;
	}
}

static void apply_value(struct parser *st, enum key k, const char *v, bool cont)
{
	const char *hash;

	/* Only ';' starts a comment after a value; a '#' there would be read as
	 * part of it, so say so and ignore the rest of the line. */
	for (hash = v; (hash = strchr(hash, '#')); hash++) {
		if (hash == v || is_space(hash[-1])) {
			size_t n = (size_t)(hash - v);
			err(st, st->lineno,
			    "'#' starts a comment only at the beginning of a line (after a value "
			    "use ';')");
			memcpy(st->val, v, n);
			while (n > 0 && is_space(st->val[n - 1]))
				n--;
			st->val[n] = '\0';
			v = st->val;
			break;
		}
	}
	if (!keys[k].multi && !*v) {
		err(st, st->lineno, "'%s' has no value (leave the key out to get the default)",
		    keys[k].name);
		return;
	}
	switch (k) {
	case K_LISTEN:
		value_listen(st, v, cont);
		break;
	case K_UPSTREAM:
		value_upstream(st, v);
		break;
	case K_INTERCEPT:
		value_bool(st, k, v, &st->c->intercept);
		break;
	case K_BLOCKED_ANSWER:
		value_answer(st, v);
		break;
	case K_BLOCKED_TTL:
	case K_LEARN_MIN:
	case K_LEARN_MAX:
	case K_PAUSE_DEFAULT:
		value_duration(st, k, v);
		break;
	case K_CONTROL_GROUP:
		value_group(st, v);
		break;
	case K_SERVICES:
		value_names(st, k, v);
		break;
	case K_DOMAINS:
	case K_ALLOW:
		value_domains(st, k, v);
		break;
	case K_FILES:
		value_files(st, v);
		break;
	case K_DAYS:
		value_days(st, v, cont);
		break;
	case K_TIMES:
		value_times(st, v);
		break;
	case K_LISTS:
		value_lists(st, v);
		break;
	case K_STRICT:
		value_bool(st, k, v, &cur_break(st)->strict);
		break;
	case K_COUNT:
		break;
	}
}

static void unknown_key(struct parser *st, const char *name)
{
	static const char *const kinds[] = {
	    [SECT_DAEMON] = "[daemon]", [SECT_LIST] = "[list NAME]", [SECT_BREAK] = "[break NAME]"};
	char q[QUOTE_MAX + 8];
	struct best b = {.word = name};

	if (!err_room(st)) {
		err(st, st->lineno, "unknown key");
		return;
	}
	for (int k = 0; k < K_COUNT; k++)
		if (strcmp(name, keys[k].name) == 0 && keys[k].sect != st->sect) {
			err(st, st->lineno, "unknown key %s in %s ('%s' belongs in a %s section)",
			    quote(q, name), st->sect_label, name, kinds[keys[k].sect]);
			return;
		}
	for (int k = 0; k < K_COUNT; k++)
		if (keys[k].sect == st->sect)
			best_try(&b, keys[k].name);
	if (b.found)
		err(st, st->lineno, "unknown key %s in %s (did you mean '%s'?)", quote(q, name),
		    st->sect_label, b.found);
	else
		err(st, st->lineno, "unknown key %s in %s", quote(q, name), st->sect_label);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *st = user;
	char q[QUOTE_MAX + 8];
	int k;

	(void)section; /* we track sections ourselves, headers inih never saw included */
	if (!st->cur_cont) {
		st->cur_key = -1;
		st->cont_ok = false;
	}
	if (st->oom || !name || !value)
		return 1;
	if (st->cur_cont) {
		if (st->cur_key < 0)
			return 1;
		if (!keys[st->cur_key].multi) {
			err(st, st->lineno,
			    "'%s' takes one value, but this indented line continues it (remove "
			    "the indentation)",
			    keys[st->cur_key].name);
			return 1;
		}
		apply_value(st, (enum key)st->cur_key, value, true);
		return 1;
	}
	if (st->sect == SECT_SKIP)
		return 1;
	if (st->sect == SECT_NONE) {
		err(st, st->lineno,
		    "key %s is outside any section (put it under [daemon], [list NAME] or "
		    "[break NAME])",
		    quote(q, name));
		return 1;
	}
	for (k = 0; k < K_COUNT; k++)
		if (keys[k].sect == st->sect && strcmp(name, keys[k].name) == 0)
			break;
	if (k == K_COUNT) {
		unknown_key(st, name);
		return 1;
	}
	if (st->key_line[k]) {
		err(st, st->lineno,
		    "duplicate key '%s' in %s (first set on line %u; to continue a long "
		    "value, indent the next lines)",
		    name, st->sect_label, st->key_line[k]);
		return 1;
	}
	st->key_line[k] = st->lineno;
	st->cur_key = k;
	st->cont_ok = true;
	apply_value(st, (enum key)k, value, false);
	return 1;
}

/* ---- the whole file ---- */

static void resolve_lists(struct parser *st)
{
	struct conf *c = st->c;
	char q[QUOTE_MAX + 8], q2[QUOTE_MAX + 8];
	bool used[SMB_LISTS_MAX];

	for (size_t i = 0; i < c->n_breaks && !st->oom; i++) {
		struct conf_break *b = &c->breaks[i];
		struct break_aux *aux = &st->aux[i];

		if (c->n_lists == 0 && aux->n_refs == 0) {
			err(st, b->line,
			    "break %s has no list to block (define a [list NAME] section)",
			    quote(q, b->name));
			continue;
		}
		b->lists = calloc(c->n_lists ? c->n_lists : 1, sizeof(*b->lists));
		if (!b->lists)
			return oom(st);
		if (aux->n_refs == 0) {
			for (size_t j = 0; j < c->n_lists; j++)
				b->lists[b->n_lists++] = j;
			continue;
		}
		memset(used, 0, sizeof(used));
		for (size_t j = 0; j < aux->n_refs; j++) {
			const struct conf_list *l = conf_find_list(c, aux->refs[j].name);
			struct best best = {.word = aux->refs[j].name};
			size_t idx;

			if (l) {
				idx = (size_t)(l - c->lists);
				if (!used[idx])
					b->lists[b->n_lists++] = idx;
				used[idx] = true;
				continue;
			}
			if (err_room(st))
				for (size_t m = 0; m < c->n_lists; m++)
					best_try(&best, c->lists[m].name);
			if (best.found)
				err(st, aux->refs[j].line,
				    "break %s uses list %s, which is not defined (did you mean "
				    "'%s'?)",
				    quote(q, b->name), quote(q2, aux->refs[j].name), best.found);
			else
				err(st, aux->refs[j].line,
				    "break %s uses list %s, which is not defined (lists are "
				    "[list NAME] sections)",
				    quote(q, b->name), quote(q2, aux->refs[j].name));
		}
	}
}

static void check_whole(struct parser *st)
{
	struct conf *c = st->c;
	char a[64], b[64];

	if (!st->learn_bad && c->learn_min > c->learn_max) {
		value_format_duration(c->learn_min, a, sizeof(a));
		value_format_duration(c->learn_max, b, sizeof(b));
		err(st,
		    st->learn_max_line > st->learn_min_line ? st->learn_max_line
		                                            : st->learn_min_line,
		    "learn_min %s is longer than learn_max %s (learn_min must not exceed "
		    "learn_max)",
		    a, b);
	}
	for (size_t i = 0; i < c->n_upstreams; i++)
		for (size_t j = 0; j < c->n_listen; j++)
			if (addr_eq(&c->upstreams[i], &c->listen[j])) {
				value_addr_format(&c->upstreams[i], a, sizeof(a));
				err(st, st->upstream_line,
				    "upstream %s is this daemon's own listen address (queries "
				    "would loop)",
				    a);
			}
	resolve_lists(st);
}

/* Stable by line, so errors found after the whole file was read (list
 * references) sit among the others. */
static void sort_errors(struct parser *st)
{
	size_t n = st->errs->n - st->errs_start;
	char **m;

	if (n < 2)
		return;
	m = st->errs->msgs + st->errs_start;
	for (size_t i = 1; i < n; i++) {
		char *msg = m[i];
		unsigned line = st->err_lines[i];
		size_t j = i;
		for (; j > 0 && st->err_lines[j - 1] > line; j--) {
			m[j] = m[j - 1];
			st->err_lines[j] = st->err_lines[j - 1];
		}
		m[j] = msg;
		st->err_lines[j] = line;
	}
}

static struct conf *conf_new(const char *path)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->path = strdup(path);
	if (!c->path) {
		free(c);
		return NULL;
	}
	value_parse_addr(DEFAULT_LISTEN, DEFAULT_DNS_PORT, &c->listen[0]);
	c->n_listen = 1;
	c->upstream_auto = true;
	c->intercept = true;
	c->blocked_answer = CONF_ANSWER_NXDOMAIN;
	c->blocked_ttl = 10;
	c->learn_min = 10 * MINUTE;
	c->learn_max = 24 * HOUR;
	c->pause_default = HOUR;
	strcpy(c->control_group, DEFAULT_GROUP);
	return c;
}

int conf_parse(const char *path, const char *text, size_t len, struct conf **out,
               struct conf_errors *errs)
{
	struct parser st = {0};
	int r, ret = 0;

	if (!path || !out || !errs || (!text && len))
		return -EINVAL;
	if (!text)
		text = "";
	st.path = path;
	st.errs = errs;
	st.errs_start = errs->n;
	st.cur_key = -1;
	st.sect = SECT_NONE;
	if (len > CONF_FILE_MAX) {
		err(&st, 0, "file is larger than %d bytes", CONF_FILE_MAX);
		free(st.err_lines);
		return st.oom ? -ENOMEM : -EINVAL;
	}
	st.c = conf_new(path);
	st.out = malloc(CONF_LINE_MAX + 2);
	st.tok = malloc(CONF_LINE_MAX + 1);
	st.val = malloc(CONF_LINE_MAX + 1);
	if (!st.c || !st.out || !st.tok || !st.val) {
		ret = -ENOMEM;
		goto done;
	}
	st.p = text;
	st.end = text + len;

	/* Lines of up to CONF_LINE_MAX bytes plus '\n' and NUL in a growing heap
	 * buffer; our reader never hands over more, so inih never truncates. */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = CONF_LINE_MAX + 3;
	ini_allow_multiline = true;
	ini_allow_inline_comments = true;
	ini_start_comment_prefixes = ini_comment_start;
	ini_inline_comment_prefixes = ini_comment_inline;
	ini_allow_bom = false; /* the reader strips it */
	ini_stop_on_first_error = false;
	ini_allow_no_value = false;
	r = ini_parse_stream(reader, &st, handler, &st);
	if (r == -2) {
		ret = -ENOMEM;
		goto done;
	}
	if (r > 0 && st.n_errors == 0)
		/* Our reader should have caught whatever inih disliked. */
		err(&st, (unsigned)r, "line not understood");
	finish_section(&st);
	check_whole(&st);
	sort_errors(&st);
	if (st.oom)
		ret = -ENOMEM;
	else if (st.n_errors)
		ret = -EINVAL;

done:
	for (size_t i = 0; st.c && i < st.c->n_breaks; i++)
		free(st.aux[i].refs);
	free(st.aux);
	free(st.err_lines);
	free(st.out);
	free(st.tok);
	free(st.val);
	if (ret < 0) {
		conf_free(st.c);
		return ret;
	}
	*out = st.c;
	return 0;
}

/* The one error of a file that could not be read; returns r. */
static int load_error(const char *path, int r, struct conf_errors *errs)
{
	char **msgs = realloc(errs->msgs, (errs->n + 1) * sizeof(*msgs));
	char *msg;
	int n;

	if (!msgs)
		return -ENOMEM;
	errs->msgs = msgs;
	if (r == -EFBIG)
		n = asprintf(&msg, "%s: file is larger than %d bytes", path, CONF_FILE_MAX);
	else
		n = asprintf(&msg, "%s: cannot read: %s", path, strerror(-r));
	if (n < 0)
		return -ENOMEM;
	errs->msgs[errs->n++] = msg;
	return r;
}

int conf_load(const char *path, struct conf **out, struct conf_errors *errs)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	if (!path || !out || !errs)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		r = -EISDIR;
		goto fail;
	}
	buf = malloc(CONF_FILE_MAX + 1);
	if (!buf) {
		r = -ENOMEM;
		goto fail;
	}
	/* Read one byte past the limit to tell a file at the limit from a larger one. */
	while (len <= CONF_FILE_MAX) {
		ssize_t n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONF_FILE_MAX) {
		r = -EFBIG;
		goto fail;
	}
	close(fd);
	r = conf_parse(path, buf, len, out, errs);
	free(buf);
	return r;

fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return load_error(path, r, errs);
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_lists; i++) {
		free_strs(c->lists[i].services, c->lists[i].n_services);
		free_strs(c->lists[i].domains, c->lists[i].n_domains);
		free_strs(c->lists[i].files, c->lists[i].n_files);
		free_strs(c->lists[i].allow, c->lists[i].n_allow);
	}
	for (size_t i = 0; i < c->n_breaks; i++)
		free(c->breaks[i].lists);
	free(c->lists);
	free(c->breaks);
	free(c->upstreams);
	free(c->path);
	free(c);
}

void conf_errors_add(struct conf_errors *errs, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	char **v;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (errs->n >= CONF_ERRORS_MAX) {
		errs->dropped++;
		return;
	}
	v = realloc(errs->msgs, (errs->n + 1) * sizeof(*v));
	if (!v || !(v[errs->n] = strdup(buf))) {
		if (v)
			errs->msgs = v;
		errs->dropped++;
		return;
	}
	errs->msgs = v;
	errs->n++;
}

void conf_errors_clear(struct conf_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	errs->msgs = NULL;
	errs->n = 0;
	errs->dropped = 0;
}

const struct conf_list *conf_find_list(const struct conf *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_lists; i++)
		if (strcmp(c->lists[i].name, name) == 0)
			return &c->lists[i];
	return NULL;
}

const struct conf_break *conf_find_break(const struct conf *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_breaks; i++)
		if (strcmp(c->breaks[i].name, name) == 0)
			return &c->breaks[i];
	return NULL;
}
