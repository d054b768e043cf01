/* Parses smbreak.conf into a fresh struct conf and validates it whole,
 * collecting every error as "file:line: message": the line reader in front of
 * inih, the sections, the checks of the file as a whole, and loading and
 * freeing. The keys and their values are in conf_keys.c.
 *
 * Line numbers are the reader's own: it cuts the text into lines and counts
 * them, and hands inih one line at a time, alone in a few-line document of
 * its own (see read_line), so inih never sees a second line it could number.
 * inih finishes a line before it asks for the next, so every handler call,
 * section header and error it reports belongs to the line just handed over,
 * and inih decides all of the INI syntax: we never guess what it will do. */
#include "conf_int.h"
#include "users.h"

#include "file.h"

#include <errno.h>
#include <ini.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_GROUP "smbreak"
#define MINUTE        60u
#define HOUR          3600u

/* ---- errors and small helpers ---- */

bool conf_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

const char *conf_escape(char buf[VALUE_ESCAPE_SIZE], const char *s)
{
	return value_escape(s, strlen(s), buf);
}

const char *conf_quote(char buf[QUOTE_SIZE], const char *s)
{
	size_t n;

	buf[0] = '\'';
	value_escape(s, strlen(s), buf + 1);
	n = strlen(buf);
	buf[n] = '\'';
	buf[n + 1] = '\0';
	return buf;
}

int conf_errors_add(struct conf_errors *errs, const char *fmt, ...)
{
	char *msg = NULL, **msgs;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	msgs = realloc(errs->msgs, (errs->n + 1) * sizeof(*msgs));
	if (!msgs) {
		free(msg);
		return -ENOMEM;
	}
	errs->msgs = msgs;
	msgs[errs->n++] = msg;
	return 0;
}

void conf_oom(struct parser *st)
{
	st->oom = true;
}

void conf_err(struct parser *st, unsigned line, const char *fmt, ...)
{
	char *body = NULL;
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
		return conf_oom(st);
	lines = realloc(st->err_lines, (kept + 1) * sizeof(*lines));
	if (lines)
		st->err_lines = lines;
	if (!lines || (line ? conf_errors_add(st->errs, "%s:%u: %s", st->path, line, body)
	                    : conf_errors_add(st->errs, "%s: %s", st->path, body)) < 0) {
		free(body);
		return conf_oom(st);
	}
	free(body);
	lines[kept] = line;
}

bool conf_err_room(const struct parser *st)
{
	return st->errs->n - st->errs_start < CONF_ERRORS_MAX;
}

void *conf_grow(void *arr, size_t n, size_t size)
{
	if (n & (n - 1))
		return arr;
	if (n > SIZE_MAX / 2 / size)
		return NULL;
	return realloc(arr, (n ? 2 * n : 1) * size);
}

void conf_push_str(struct parser *st, char ***arr, size_t *n, const char *s)
{
	char **a = conf_grow(*arr, *n, sizeof(**arr));
	char *copy;

	if (!a)
		return conf_oom(st);
	*arr = a;
	copy = strdup(s);
	if (!copy)
		return conf_oom(st);
	a[(*n)++] = copy;
}

/* ---- sections ---- */

/* A dated break has from and until, until after from, and no weekly keys. */
static void finish_dated(struct parser *st)
{
	struct conf_break *b = cur_break(st);
	char q[QUOTE_SIZE];

	conf_quote(q, b->name);
	if (st->key_line[K_DAYS] || st->key_line[K_TIMES])
		conf_err(st, st->key_line[K_DAYS] ? st->key_line[K_DAYS] : st->key_line[K_TIMES],
		         "break %s has from/until and days/times: a break is either dated or "
		         "weekly (make two breaks)",
		         q);
	else if (!st->key_line[K_FROM] || !st->key_line[K_UNTIL])
		conf_err(st, st->key_line[K_FROM] ? st->key_line[K_FROM] : st->key_line[K_UNTIL],
		         "break %s needs both from and until (like from = 2026-10-02 15:30 and "
		         "until = 2026-10-04 16:00)",
		         q);
	else if (b->dated && value_date_cmp(&b->until, &b->from) <= 0)
		conf_err(st, st->key_line[K_UNTIL], "break %s: until must be after from", q);
}

static void finish_section(struct parser *st)
{
	char q[QUOTE_SIZE];

	switch (st->sect) {
	case SECT_DAEMON:
		if (st->key_line[K_LISTEN] && st->key_words[K_LISTEN] == 0)
			conf_err(st, st->key_line[K_LISTEN],
			         "'listen' has no value (give one or more addresses, like %s)",
			         DEFAULT_LISTEN);
		if (st->key_line[K_UPSTREAM]) {
			if (st->key_words[K_UPSTREAM] == 0)
				conf_err(st, st->key_line[K_UPSTREAM],
				         "'upstream' has no value (use auto, or addresses like "
				         "9.9.9.9)");
			else if (st->upstream_auto && st->c->n_upstreams)
				conf_err(
				    st, st->key_line[K_UPSTREAM],
				    "upstream is either 'auto' or a list of addresses, not both");
			else
				st->c->upstream_auto = st->upstream_auto;
		}
		break;
	case SECT_LIST:
		if (!st->sect_rejected && st->key_words[K_SERVICES] + st->key_words[K_DOMAINS] +
		                                  st->key_words[K_FILES] +
		                                  st->key_words[K_ADDRESSES] ==
		                              0)
			conf_err(st, st->sect_line,
			         "list %s blocks nothing (give it services, domains, files or "
			         "addresses)",
			         conf_quote(q, cur_list(st)->name));
		break;
	case SECT_BREAK:
		if (st->sect_rejected)
			break;
		if (st->key_line[K_FROM] || st->key_line[K_UNTIL]) {
			finish_dated(st);
			break;
		}
		if (!st->key_line[K_TIMES])
			conf_err(st, st->sect_line,
			         "break %s has no times (add a line like times = 09:00-17:00)",
			         conf_quote(q, cur_break(st)->name));
		else if (st->key_words[K_TIMES] == 0)
			conf_err(
			    st, st->key_line[K_TIMES],
			    "'times' has no value (give windows like 09:00-12:00 13:00-17:30)");
		if (st->key_line[K_DAYS] && st->key_words[K_DAYS] == 0)
			conf_err(
			    st, st->key_line[K_DAYS],
			    "'days' has no value (like mon-fri; leave the key out for every day)");
		if (st->key_line[K_LISTS] && st->key_words[K_LISTS] == 0)
			conf_err(
			    st, st->key_line[K_LISTS],
			    "'lists' has no value (name [list] sections; leave the key out for "
			    "all)");
		if (st->key_line[K_USERS] && st->key_words[K_USERS] == 0)
			conf_err(st, st->key_line[K_USERS],
			         "'users' has no value (name users or uids; leave the key out for "
			         "everyone)");
		/* `users =` with `devices =` is gateway mode only since `devices =`
		 * is (conf_device_check). */
		break;
	case SECT_ALLOWANCE:
		conf_allow_finish(st);
		break;
	case SECT_DEVICE:
		conf_device_finish(st);
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
		conf_err(st, line, "duplicate section [list %s] (first on line %u)", name,
		         dup->line);
	if (c->n_lists >= SMB_LISTS_MAX) {
		conf_err(st, line, "too many [list] sections (at most %d)", SMB_LISTS_MAX);
		return;
	}
	l = conf_grow(c->lists, c->n_lists, sizeof(*l));
	if (!l)
		return conf_oom(st);
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
		conf_err(st, line, "duplicate section [break %s] (first on line %u)", name,
		         dup->line);
	if (c->n_breaks >= CONF_BREAKS_MAX) {
		conf_err(st, line, "too many [break] sections (at most %d)", CONF_BREAKS_MAX);
		return;
	}
	b = conf_grow(c->breaks, c->n_breaks, sizeof(*b));
	if (!b)
		return conf_oom(st);
	c->breaks = b;
	aux = conf_grow(st->aux, c->n_breaks, sizeof(*aux));
	if (!aux)
		return conf_oom(st);
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
	static const char *const kinds[] = {"daemon", "list", "break", "allowance", "device"};
	char q[QUOTE_SIZE], q2[QUOTE_SIZE], *kind, *name, *e;

	finish_section(st);
	st->sect_line = line;
	while (conf_is_space(*inner))
		inner++;
	for (e = inner + strlen(inner); e > inner && conf_is_space(e[-1]);)
		*--e = '\0';
	kind = inner;
	for (name = kind; *name && !conf_is_space(*name); name++)
		;
	if (*name) {
		*name++ = '\0';
		while (conf_is_space(*name))
			name++;
	}
	if (strcmp(kind, "daemon") == 0) {
		if (*name) {
			conf_err(st, line, "[daemon] takes no name (found [daemon %s])",
			         conf_escape(q, name));
			return;
		}
		if (st->daemon_line)
			conf_err(st, line, "duplicate section [daemon] (first on line %u)",
			         st->daemon_line);
		else
			st->daemon_line = line;
		st->sect = SECT_DAEMON;
		snprintf(st->sect_label, sizeof(st->sect_label), "[daemon]");
		return;
	}
	if (strcmp(kind, "list") == 0 || strcmp(kind, "break") == 0 ||
	    strcmp(kind, "allowance") == 0 || strcmp(kind, "device") == 0) {
		if (!*name)
			conf_err(st, line, "[%s] needs a name, like [%s]", kind,
			         kind[0] == 'l'   ? "list social"
			         : kind[0] == 'a' ? "allowance social-time"
			         : kind[0] == 'd' ? "device kids-tablet"
			                          : "break work");
		else if (!value_valid_name(name))
			conf_err(st, line,
			         "bad %s name %s: names use a-z, 0-9, _ and - (at most %d bytes)",
			         kind, conf_quote(q, name), VALUE_NAME_MAX);
		else if (kind[0] == 'l')
			open_list(st, name, line);
		else if (kind[0] == 'a')
			conf_allow_open(st, name, line);
		else if (kind[0] == 'd')
			conf_device_open(st, name, line);
		else
			open_break(st, name, line);
		return;
	}
	if (conf_err_room(st)) {
		struct best b = {.word = kind};
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			conf_keys_best_try(&b, kinds[i]);
		conf_escape(q, kind);
		conf_escape(q2, name);
		if (b.found)
			conf_err(st, line, "unknown section [%s%s%s] (did you mean [%s%s%s]?)", q,
			         *name ? " " : "", q2, b.found, *name ? " " : "", q2);
		else
			conf_err(st, line,
			         "unknown section [%s%s%s] (sections are [daemon], [list NAME], "
			         "[break NAME], [allowance NAME] and [device NAME])",
			         q, *name ? " " : "", q2);
	} else {
		conf_err(st, line, "unknown section");
	}
}

/* ---- the line reader in front of inih ---- */

/* The lines of our own around a line of the file in the document inih reads
 * for it. Each holds a newline inside, which no line of the file can. */
static const char DOC_SECTION[] = "[\n]"; /* a section no header can name */
static const char DOC_KEY[] = "c\nc=";    /* a key for an indented line to continue */
static const char DOC_PROBE[] = "p\np=";  /* its section: inih's after the line */
#define DOC_SECTION_NAME "\n"
#define DOC_KEY_NAME     "c\nc"

/* A line that is not taken: what follows it as continuation belongs to
 * nothing, and if it was meant as a section header, its keys must not land
 * in the section before it. */
static void reject_line(struct parser *st)
{
	const char *s = st->line;

	st->cur_key = -1;
	while (conf_is_space(*s))
		s++;
	if (*s == '[') {
		finish_section(st);
		st->sect_line = st->lineno;
	}
	st->sect_rejected = true;
}

/* inih's fgets-like reader: the next line of the document, '\n'-terminated. */
static char *reader(char *buf, int num, void *stream)
{
	struct parser *st = stream;
	const char *s;
	size_t n;

	if (st->doc_i == st->n_doc || num < 2)
		return NULL;
	s = st->doc[st->doc_i++];
	n = st->doc_i == st->line_doc ? st->line_len : strlen(s);
	if (n + 2 > (size_t)num) {
		/* inih would cut the line and read the rest as a line of its own */
		st->too_long = num - 2;
		n = 0;
	}
	memcpy(buf, s, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	return buf;
}

/* Which line of the document inih is on tells whose a call is: inih has
 * asked for exactly the lines up to it. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *st = user;

	if (st->oom || !section || !name || !value)
		return 1;
	if (st->doc_i == st->line_doc + 1) {
		if (strcmp(section, DOC_SECTION_NAME) != 0) {
			st->header = true;
			snprintf(st->header_name, sizeof(st->header_name), "%s", section);
		}
	} else if (st->doc_i == st->line_doc) {
		if (strcmp(name, DOC_KEY_NAME) == 0)
			conf_keys_continue(st, value);
		else
			conf_keys_line(st, name, value);
	}
	return 1;
}

/* A line inih read as a section header; it gives the name (cut to the size of
 * its buffer) and nothing else, so the rest is checked against the line. */
static void header_line(struct parser *st, const char *s)
{
	char q[QUOTE_SIZE], inner[sizeof(st->header_name)];
	size_t n = strlen(st->header_name);
	const char *t = s + 1 + n;

	if (strncmp(s + 1, st->header_name, n) != 0 || *t != ']') {
		conf_err(st, st->lineno,
		         "section header %s is too long (at most %zu bytes inside [])",
		         conf_quote(q, s), n);
		reject_line(st);
		return;
	}
	for (t++; conf_is_space(*t); t++)
		;
	if (*t && *t != ';' && *t != '#')
		conf_err(st, st->lineno, "unexpected text %s after ']' (comments start with ';')",
		         conf_quote(q, t));
	memcpy(inner, st->header_name, n + 1);
	open_section(st, inner, st->lineno);
	st->after_key = false;
	st->cur_key = -1;
}

/* inih's options are process-wide. They are written here once, before the
 * first parse, and only read after that, so parses on several threads at
 * once are safe; nothing else in smbreakd touches them. A heap line buffer
 * that holds any line we accept (and the newline and NUL) from the start,
 * and the syntax read_line's documents are built for, pinned rather than
 * taken from however the library was built. */
static char ini_comment_start[] = ";#";
static char ini_comment_inline[] = ";";
static pthread_once_t ini_once = PTHREAD_ONCE_INIT;

static void ini_setup(void)
{
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = CONF_LINE_MAX + 2; /* the line, its newline, the NUL */
	ini_max_line = CONF_LINE_MAX + 2;
	ini_allow_multiline = true;
	ini_allow_inline_comments = true;
	ini_start_comment_prefixes = ini_comment_start;
	ini_inline_comment_prefixes = ini_comment_inline;
	ini_allow_bom = false; /* the line reader strips it */
	ini_stop_on_first_error = false;
	ini_allow_no_value = false;
}

/* Hands the current line to inih alone, in a document of its own:
 *
 *   [\n]      a section no header can name, so that a header shows
 *   c\nc=     only after a key line: the key an indented line continues
 *   LINE      the line as the file has it, less CR, BOM and newline
 *   p\np=     a key whose section is LINE's if LINE was a header
 *
 * and acts on what inih made of it: a key line or a continuation (through
 * the handler), a header, a line it refused, or a comment or blank line. */
static void read_line(struct parser *st)
{
	char q[QUOTE_SIZE];
	const char *s = st->line;
	int r;

	st->n_doc = 0;
	st->doc[st->n_doc++] = DOC_SECTION;
	if (st->after_key)
		st->doc[st->n_doc++] = DOC_KEY;
	st->doc[st->n_doc++] = st->line;
	st->line_doc = st->n_doc;
	st->doc[st->n_doc++] = DOC_PROBE;
	st->doc_i = 0;
	st->too_long = 0;
	st->header = false;
	pthread_once(&ini_once, ini_setup);
	r = ini_parse_stream(reader, st, handler, st);
	while (conf_is_space(*s))
		s++;
	if (r == -2) {
		conf_oom(st);
	} else if (st->too_long) {
		conf_err(st, st->lineno,
		         "line is longer than %d bytes (split a long list over indented "
		         "continuation lines)",
		         st->too_long);
		reject_line(st);
	} else if (r == (int)st->line_doc) {
		if (*s == '[')
			conf_err(st, st->lineno, "section header %s has no closing ']'",
			         conf_quote(q, s));
		else
			conf_err(st, st->lineno,
			         "expected 'key = value', found %s (to continue a value, indent "
			         "the line)",
			         conf_quote(q, s));
		reject_line(st);
	} else if (st->header) {
		header_line(st, s);
	}
}

/* Cuts the next line out of the text, without its newline, a CR before that
 * and, on the first line, a UTF-8 BOM; false at the end (or out of memory). */
static bool next_line(struct parser *st)
{
	const char *s = st->p, *nl;
	size_t len;

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
	if (len + 1 > st->line_cap) {
		char *line = realloc(st->line, len + 1), *tok, *val;
		if (line)
			st->line = line;
		tok = line ? realloc(st->tok, len + 1) : NULL;
		if (tok)
			st->tok = tok;
		val = tok ? realloc(st->val, len + 1) : NULL;
		if (!val) {
			conf_oom(st);
			return false;
		}
		st->val = val;
		st->line_cap = len + 1;
	}
	memcpy(st->line, s, len);
	st->line[len] = '\0';
	st->line_len = len;
	return true;
}

/* ---- the whole file ---- */

void conf_resolve_lists(struct parser *st, struct conf_break *b, struct break_aux *aux,
                        const char *kind)
{
	struct conf *c = st->c;
	char q[QUOTE_SIZE], q2[QUOTE_SIZE];
	bool used[SMB_LISTS_MAX];

	if (c->n_lists == 0 && aux->n_refs == 0) {
		conf_err(st, b->line, "%s %s has no list to block (define a [list NAME] section)",
		         kind, conf_quote(q, b->name));
		return;
	}
	b->lists = calloc(c->n_lists ? c->n_lists : 1, sizeof(*b->lists));
	if (!b->lists)
		return conf_oom(st);
	if (aux->n_refs == 0) {
		for (size_t j = 0; j < c->n_lists; j++)
			b->lists[b->n_lists++] = j;
		return;
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
		if (conf_err_room(st))
			for (size_t m = 0; m < c->n_lists; m++)
				conf_keys_best_try(&best, c->lists[m].name);
		if (best.found)
			conf_err(st, aux->refs[j].line,
			         "%s %s uses list %s, which is not defined (did you mean '%s'?)",
			         kind, conf_quote(q, b->name), conf_quote(q2, aux->refs[j].name),
			         best.found);
		else
			conf_err(st, aux->refs[j].line,
			         "%s %s uses list %s, which is not defined (lists are [list NAME] "
			         "sections)",
			         kind, conf_quote(q, b->name), conf_quote(q2, aux->refs[j].name));
	}
}

static void resolve_lists(struct parser *st)
{
	for (size_t i = 0; i < st->c->n_breaks && !st->oom; i++)
		conf_resolve_lists(st, &st->c->breaks[i], &st->aux[i], "break");
}

static void check_whole(struct parser *st)
{
	struct conf *c = st->c;
	char a[64], b[64];

	if (!st->learn_bad && c->learn_min > c->learn_max) {
		value_format_duration(c->learn_min, a, sizeof(a));
		value_format_duration(c->learn_max, b, sizeof(b));
		conf_err(st,
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
				conf_err(st, st->upstream_line,
				         "upstream %s is this daemon's own listen address (queries "
				         "would loop)",
				         a);
			}
	resolve_lists(st);
	conf_allow_resolve(st);
	conf_device_check(st);
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
	c->warn = 5 * MINUTE;
	c->cache = 10000;
	c->stale_max = 24 * HOUR;
	strcpy(c->control_group, DEFAULT_GROUP);
	c->active_rate = CONF_ACTIVE_RATE_DEFAULT;
	return c;
}

int conf_parse(const char *path, const char *text, size_t len, struct conf **out,
               struct conf_errors *errs)
{
	struct parser st = {0};
	int ret = 0;

	if (!path || !out || !errs || (!text && len))
		return -EINVAL;
	st.path = path;
	st.errs = errs;
	st.errs_start = errs->n;
	st.cur_key = -1;
	st.sect = SECT_NONE;
	if (len > CONF_FILE_MAX) {
		conf_err(&st, 0, "file is larger than %d bytes", CONF_FILE_MAX);
		free(st.err_lines);
		return st.oom ? -ENOMEM : -EINVAL;
	}
	st.c = conf_new(path);
	if (!st.c) {
		ret = -ENOMEM;
		goto done;
	}
	st.p = text;
	st.end = text + len;
	while (!st.oom && next_line(&st)) {
		if (memchr(st.line, '\0', st.line_len)) {
			conf_err(&st, st.lineno, "line contains a NUL byte");
			reject_line(&st);
		} else {
			read_line(&st);
		}
	}
	finish_section(&st);
	check_whole(&st);
	/* [daemon] may come after the breaks: its warn is known only now. */
	for (size_t i = 0; i < st.c->n_breaks; i++)
		if (!st.c->breaks[i].warn_set)
			st.c->breaks[i].warn = st.c->warn;
	for (size_t i = 0; i < st.c->n_allowances; i++)
		if (!st.c->allowances[i].b.warn_set)
			st.c->allowances[i].warn = st.c->warn;
	sort_errors(&st);
	if (st.oom)
		ret = -ENOMEM;
	else if (st.n_errors)
		ret = -EINVAL;

done:
	for (size_t i = 0; st.c && i < st.c->n_breaks; i++) {
		free(st.aux[i].refs);
		free(st.aux[i].dev_refs);
	}
	free(st.aux);
	conf_allow_cleanup(&st);
	free(st.err_lines);
	free(st.line);
	free(st.tok);
	free(st.val);
	if (ret < 0) {
		conf_free(st.c);
		return ret;
	}
	*out = st.c;
	return 0;
}

int conf_load(const char *path, struct conf **out, struct conf_errors *errs)
{
	return conf_load_text(path, out, errs, NULL, NULL);
}

int conf_load_text(const char *path, struct conf **out, struct conf_errors *errs, char **textp,
                   size_t *lenp)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!path || !out || !errs)
		return -EINVAL;
	r = file_read_all(path, CONF_FILE_MAX, &text, &len);
	if (r == 0) {
		r = conf_parse(path, text, len, out, errs);
		if (r == 0 && users_resolve(*out, errs) < 0) {
			conf_free(*out);
			*out = NULL;
			r = -ENOMEM;
		}
		if (r == 0 && textp) {
			*textp = text;
			*lenp = len;
		} else {
			free(text);
		}
		return r;
	}
	if (r == -EFBIG
	        ? conf_errors_add(errs, "%s: file is larger than %d bytes", path, CONF_FILE_MAX)
	        : conf_errors_add(errs, "%s: cannot read: %s", path, strerror(-r)) < 0)
		return -ENOMEM;
	return r;
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
		free(c->lists[i].addresses);
	}
	for (size_t i = 0; i < c->n_breaks; i++)
		free(c->breaks[i].lists);
	for (size_t i = 0; i < c->n_allowances; i++)
		free(c->allowances[i].b.lists);
	free(c->lists);
	free(c->breaks);
	free(c->allowances);
	conf_device_free(c);
	free(c->upstreams);
	free(c->path);
	free(c);
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
