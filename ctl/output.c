/* smctl's human output: one formatter per reply, short and aligned, what
 * went wrong on stderr and the rest on stdout. Times are local (TZ is
 * honoured) and written by the rules in value.h that the daemon shares. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include "smctl.h"
#include "value.h"
#include "whom.h"

#define SMCTL_BREAKS_MAX 512 /* rows shown of one reply */

/* ---- time and duration formatting for humans ---- */

/* A span: the end without its day when it is on the start's day. */
static void fmt_span(int64_t start, int64_t end, char *buf, size_t len)
{
	time_t ts = (time_t)start, te = (time_t)end;
	struct tm a, b;
	char s[24], e[16];

	localtime_r(&ts, &a);
	localtime_r(&te, &b);
	strftime(s, sizeof(s), "%a %d %b %H:%M", &a);
	if (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)
		strftime(e, sizeof(e), "%H:%M", &b);
	else
		strftime(e, sizeof(e), "%a %H:%M", &b);
	snprintf(buf, len, "%s-%s", s, e);
}

/* ---- reading replies ---- */

struct brk {
	const char *name, *kind;
	int64_t start, end, unlock_at, warn_at;
	uint32_t id, cycle, cycles;
	bool have_start, have_end, on, strict, skipped;
	const char *lists[SMB_LISTS_MAX];
	int n_lists;
	const char *users[SMB_WHOM_USERS_MAX]; /* none: everyone */
	int n_users;
	const char *devices[SMB_DEVICES_MAX]; /* of the LAN, gateway mode */
	int n_devices;
};

static void brk_parse(const struct proto_attr *nest, struct brk *b)
{
	struct proto_iter it;
	struct proto_attr a;

	memset(b, 0, sizeof(*b));
	b->name = "?";
	b->kind = "";
	proto_attr_nest(nest, &it);
	while (proto_iter_next(&it, &a)) {
		switch (a.type) {
		case PROTO_A_NAME:
			b->name = proto_attr_str(&a);
			break;
		case PROTO_A_KIND:
			b->kind = proto_attr_str(&a);
			break;
		case PROTO_A_START:
			b->start = proto_attr_i64(&a);
			b->have_start = true;
			break;
		case PROTO_A_END:
			b->end = proto_attr_i64(&a);
			b->have_end = true;
			break;
		case PROTO_A_ON:
			b->on = true;
			break;
		case PROTO_A_STRICT:
			b->strict = true;
			break;
		case PROTO_A_SKIPPED:
			b->skipped = true;
			break;
		case PROTO_A_ID:
			b->id = proto_attr_u32(&a);
			break;
		case PROTO_A_CYCLE:
			b->cycle = proto_attr_u32(&a);
			break;
		case PROTO_A_CYCLES:
			b->cycles = proto_attr_u32(&a);
			break;
		case PROTO_A_UNLOCK_AT:
			b->unlock_at = proto_attr_i64(&a);
			break;
		case PROTO_A_WARN_AT:
			b->warn_at = proto_attr_i64(&a);
			break;
		case PROTO_A_LIST:
			if (b->n_lists < SMB_LISTS_MAX)
				b->lists[b->n_lists++] = proto_attr_str(&a);
			break;
		case PROTO_A_USER:
			if (b->n_users < SMB_WHOM_USERS_MAX)
				b->users[b->n_users++] = proto_attr_str(&a);
			break;
		case PROTO_A_FOR_DEVICE:
			if (b->n_devices < SMB_DEVICES_MAX)
				b->devices[b->n_devices++] = proto_attr_str(&a);
			break;
		default:
			break;
		}
	}
}

static void join_words(const char *const *w, int n_w, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < n_w && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "", w[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static void join_lists(const struct brk *b, char *buf, size_t len)
{
	join_words(b->lists, b->n_lists, buf, len);
}

/* ---- human formatters, one per reply ---- */

/* Whether this process's groups (fixed at login) include gid. */
static bool in_process_groups(gid_t gid)
{
	gid_t v[256];
	int n = getgroups(256, v);

	if (getegid() == gid)
		return true;
	for (int i = 0; i < n; i++)
		if (v[i] == gid)
			return true;
	return false;
}

bool output_group_hint(const char *group, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	struct group *gr = group ? getgrnam(group) : NULL;
	bool listed = false;

	if (!gr || !pw)
		return false;
	listed = pw->pw_gid == gr->gr_gid;
	for (char **m = gr->gr_mem; m && *m && !listed; m++)
		listed = strcmp(*m, pw->pw_name) == 0;
	/* The group database says yes but this login's groups predate it. */
	if (listed && !in_process_groups(gr->gr_gid))
		snprintf(buf, len,
		         "%s is in group '%s' since this login began: log in again (or run "
		         "`newgrp %s`) for it to count",
		         pw->pw_name, group, group);
	else if (!listed)
		snprintf(buf, len,
		         "join the group with: sudo adduser %s %s, then log in again (the "
		         "group counts from a new login)",
		         pw->pw_name, group);
	else
		return false;
	return true;
}

/* Every reply: the message (stdout when ok, else stderr), the errors and
 * warnings, and for a permission refusal how to get the permission. */
static void print_common(const struct reply *r)
{
	struct proto_iter it;
	struct proto_attr a;
	char hint[256];

	if (r->message && *r->message) {
		if (r->result == PROTO_RESULT_OK)
			printf("%s\n", r->message);
		else
			fprintf(stderr, "smctl: %s\n", r->message);
	}
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a))
		if (a.type == PROTO_A_ERROR)
			fprintf(stderr, "%s\n", proto_attr_str(&a));
		else if (a.type == PROTO_A_WARNING)
			fprintf(stderr, "smctl: warning: %s\n", proto_attr_str(&a));
	if (proto_find(r->payload, r->len, PROTO_A_GROUP, &a) &&
	    output_group_hint(proto_attr_str(&a), hint, sizeof(hint)))
		fprintf(stderr, "smctl: %s\n", hint);
}

/* A break as a table row: the parsed break and its two computed columns. */
struct row {
	struct brk b;
	char when[48], lists[160];
};

/* The columns of one row; the widths grow to fit it. */
static void row_fill(struct row *w, int64_t now, bool schedule, int width[4])
{
	const struct brk *b = &w->b;
	const char *col[4] = {b->name, b->kind, w->when, w->lists};

	if (schedule) {
		fmt_span(b->start, b->end, w->when, sizeof(w->when));
	} else if (b->id && b->have_start) { /* planned: when it starts */
		char t[32];
		value_format_when((time_t)b->start, now, t, sizeof(t));
		snprintf(w->when, sizeof(w->when), "from %s", t);
	} else if (b->have_end) {
		char t[32];
		value_format_when((time_t)b->end, now, t, sizeof(t));
		snprintf(w->when, sizeof(w->when), "until %s", t);
	} else {
		snprintf(w->when, sizeof(w->when), "until further notice");
	}
	join_lists(b, w->lists, sizeof(w->lists));
	for (int k = 0; k < 4; k++)
		if ((int)strlen(col[k]) > width[k])
			width[k] = (int)strlen(col[k]);
}

/* Appends ", WHAT" (or WHAT first) to extra. */
static void extra_add(char *extra, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void extra_add(char *extra, size_t len, const char *fmt, ...)
{
	size_t off = strlen(extra);
	va_list ap;

	if (off && off + 2 < len)
		off += (size_t)snprintf(extra + off, len - off, ", ");
	va_start(ap, fmt);
	vsnprintf(extra + off, len - off, fmt, ap);
	va_end(ap);
}

/* "1h29m left", "on now, 1h29m left", then a planned pause's id, the focus
 * cycle, strict, skipped and when an unlock delay ends it. */
static void row_extra(const struct brk *b, int64_t now, bool schedule, char *extra, size_t len)
{
	char t[32] = "";

	extra[0] = 0;
	if (b->on && b->have_end) {
		value_format_left(b->end - now, t, sizeof(t));
		extra_add(extra, len, "%s%s left", schedule ? "on now, " : "", t);
	}
	if (b->id)
		extra_add(extra, len, "planned, id %u", b->id);
	if (b->cycles)
		extra_add(extra, len, "cycle %u of %u", b->cycle, b->cycles);
	if (b->n_users) {
		char who[160];
		join_words(b->users, b->n_users, who, sizeof(who));
		extra_add(extra, len, "for %s", who);
	}
	if (b->n_devices) {
		char who[256];
		join_words(b->devices, b->n_devices, who, sizeof(who));
		extra_add(extra, len, "for %s %s", b->n_devices > 1 ? "devices" : "device", who);
	}
	if (b->strict)
		extra_add(extra, len, "strict");
	if (b->skipped)
		extra_add(extra, len, "skipped");
	if (b->unlock_at) {
		value_format_when((time_t)b->unlock_at, now, t, sizeof(t));
		extra_add(extra, len, "ends %s (unlock delay)", t);
	}
}

enum { COL_NAME, COL_KIND, COL_WHEN, COL_LISTS };

static void print_rows(struct row *v, int n, int64_t now, bool schedule)
{
	int w[4] = {0};

	for (int i = 0; i < n; i++)
		row_fill(&v[i], now, schedule, w);
	for (int i = 0; i < n; i++) {
		char extra[320], line[768];
		size_t len;
		int r;

		row_extra(&v[i].b, now, schedule, extra, sizeof(extra));
		/* A row longer than the line is cut; the columns are bounded well below it. */
		if (schedule)
			r = snprintf(line, sizeof(line), "  %-*s  %-*s  %-*s  %s", w[COL_WHEN],
			             v[i].when, w[COL_NAME], v[i].b.name, w[COL_LISTS], v[i].lists,
			             extra);
		else
			r = snprintf(line, sizeof(line), "  %-*s  %-*s  %-*s  %-*s  %s",
			             w[COL_NAME], v[i].b.name, w[COL_KIND], v[i].b.kind,
			             w[COL_WHEN], v[i].when, w[COL_LISTS], v[i].lists, extra);
		if (r < 0)
			continue;
		/* No trailing blanks when the last columns are empty. */
		len = strlen(line);
		while (len > 0 && line[len - 1] == ' ')
			line[--len] = 0;
		puts(line);
	}
}

/* The reply's breaks as rows, at most SMCTL_BREAKS_MAX of them. */
static void print_breaks(const struct reply *r, bool schedule)
{
	struct proto_iter it;
	struct proto_attr a;
	struct row *v;
	int n = 0;

	v = calloc(SMCTL_BREAKS_MAX, sizeof(*v));
	if (!v) {
		fputs("smctl: out of memory\n", stderr);
		return;
	}
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a))
		if (a.type == PROTO_A_BREAK && n < SMCTL_BREAKS_MAX)
			brk_parse(&a, &v[n++].b);
	if (schedule && n == 0)
		printf("no breaks scheduled\n");
	print_rows(v, n, r->now, schedule);
	free(v);
}

/* What smctl status shows besides the rows of breaks. */
struct status {
	const char *version, *config;
	bool blocking, strict, have_next;
	char inforce[512], counters[1024];
	struct brk next;
};

/* "name value" of a counter nest, appended to buf with ", " between. */
static void add_counter(const struct proto_attr *nest, char *buf, size_t len)
{
	struct proto_attr name = {0}, value = {0};
	struct proto_iter ni;
	size_t off = strlen(buf);

	proto_attr_nest(nest, &ni);
	while (proto_iter_next(&ni, &value)) {
		if (value.type == PROTO_A_NAME)
			name = value;
		else if (value.type == PROTO_A_VALUE)
			break;
	}
	snprintf(buf + off, len - off, "%s%s %" PRIu64, off ? ", " : "",
	         name.len ? proto_attr_str(&name) : "?",
	         value.type == PROTO_A_VALUE ? proto_attr_u64(&value) : 0);
}

static void status_parse(const struct reply *r, struct status *s)
{
	struct proto_iter it;
	struct proto_attr a;
	size_t off;

	memset(s, 0, sizeof(*s));
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		switch (a.type) {
		case PROTO_A_VERSION:
			s->version = proto_attr_str(&a);
			break;
		case PROTO_A_CONFIG:
			s->config = proto_attr_str(&a);
			break;
		case PROTO_A_BLOCKING:
			s->blocking = true;
			break;
		case PROTO_A_STRICT:
			s->strict = true;
			break;
		case PROTO_A_INFORCE:
			off = strlen(s->inforce);
			snprintf(s->inforce + off, sizeof(s->inforce) - off, "%s%s", off ? " " : "",
			         proto_attr_str(&a));
			break;
		case PROTO_A_NEXT:
			brk_parse(&a, &s->next);
			s->have_next = true;
			break;
		case PROTO_A_COUNTER:
			add_counter(&a, s->counters, sizeof(s->counters));
			break;
		default:
			break;
		}
	}
}

static void print_next(const struct status *s, int64_t now)
{
	const struct brk *next = &s->next;
	char when[32], in[32];

	if (!s->have_next || !next->have_start) {
		printf("Next:      no break scheduled\n");
		return;
	}
	value_format_when((time_t)next->start, now, when, sizeof(when));
	value_format_left(next->start - now, in, sizeof(in));
	/* Within its warning the start is what matters: "starts in 3 min". */
	if (next->warn_at && next->warn_at <= now && now < next->start) {
		int64_t left = next->start - now;
		printf("Next:      %s starts in %lld %s, at %s", next->name,
		       (long long)(left >= 60 ? (left + 59) / 60 : left), left >= 60 ? "min" : "s",
		       when);
	} else {
		printf("Next:      %s at %s (in %s)", next->name, when, in);
	}
	if (next->have_end) {
		value_format_left(next->end - next->start, in, sizeof(in));
		printf(" for %s", in);
	}
	if (next->strict)
		fputs(", strict", stdout);
	if (next->warn_at > now) {
		value_format_when((time_t)next->warn_at, now, when, sizeof(when));
		printf("; warning at %s", when);
	}
	putchar('\n');
}

/* "Label:     text" with the text wrapped at ", " to lines of about 78. */
static void print_wrapped(const char *label, const char *text)
{
	const char *p = text;
	int col = printf("%-11s", label);

	while (*p) {
		const char *comma = strstr(p, ", ");
		int n = comma ? (int)(comma - p) + 1 : (int)strlen(p);

		if (p != text && col + n > 78)
			col = printf("\n%-11s", "") - 1;
		else if (p != text)
			col += printf(" ");
		col += printf("%.*s", n, p);
		p += n;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

/* "Blocking:  social, for alice bob" for each set of lists in force for
 * some users only; whether there was one. */
static bool print_some(const struct reply *r)
{
	struct proto_iter it;
	struct proto_attr a;
	bool any = false;

	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		struct brk b;
		char lists[160], who[160];

		if (a.type != PROTO_A_SOME)
			continue;
		brk_parse(&a, &b);
		join_lists(&b, lists, sizeof(lists));
		join_words(b.users, b.n_users, who, sizeof(who));
		printf("Blocking:  %s, for %s only\n", lists, b.n_users ? who : "some users");
		any = true;
	}
	return any;
}

/* Short: what is blocked, for whom, until when, the next break, and what the
 * user must fix; the daemon's counters and identity only with -v. */
static void print_status(const struct reply *r, bool verbose)
{
	struct proto_iter it;
	struct proto_attr a;
	struct status s;

	if (r->result != PROTO_RESULT_OK) {
		print_common(r);
		return;
	}
	status_parse(r, &s);
	if (r->message && *r->message)
		printf("%s\n", r->message);
	if (s.blocking)
		printf("Blocking:  %s%s, for everyone on this machine\n",
		       s.inforce[0] ? s.inforce : "yes", s.strict ? " (strict)" : "");
	/* then the lists for some users only, and for some devices */
	bool some = print_some(r);
	if (output_status_devices(r) == 0 && !some && !s.blocking)
		printf("Blocking:  nothing\n");
	print_breaks(r, false);
	print_next(&s, r->now);
	output_allowances(r);
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a))
		if (a.type == PROTO_A_WARNING)
			printf("Warning:   %s\n", proto_attr_str(&a));
	if (!verbose)
		return;
	if (s.counters[0])
		print_wrapped("Counters:", s.counters);
	if (s.version || s.config)
		printf("Daemon:    smbreakd %s, %s\n", s.version ? s.version : "?",
		       s.config ? s.config : "?");
}

static void print_schedule(const struct reply *r)
{
	if (r->result != PROTO_RESULT_OK) {
		print_common(r);
		return;
	}
	if (r->message && *r->message)
		printf("%s\n", r->message);
	print_breaks(r, true);
}

/* A match (which entry of which list) or a break of smctl check's reply. */
struct check_row {
	const char *str[5]; /* by enum check_str, "" when absent */
	uint32_t line;
	bool on, blocked, skipped;
	char users[160]; /* ", for alice bob" when the break is for some users */
};

enum check_str { CS_LIST, CS_KIND, CS_ENTRY, CS_SOURCE, CS_NAME };

static void check_row_parse(const struct proto_attr *nest, struct check_row *c)
{
	static const uint16_t types[] = {PROTO_A_LIST, PROTO_A_KIND, PROTO_A_ENTRY, PROTO_A_SOURCE,
	                                 PROTO_A_NAME};
	struct proto_iter it;
	struct proto_attr n;

	*c = (struct check_row){.str = {"", "", "", "", ""}};
	proto_attr_nest(nest, &it);
	while (proto_iter_next(&it, &n)) {
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			if (n.type == types[k])
				c->str[k] = proto_attr_str(&n);
		if (n.type == PROTO_A_LINE)
			c->line = proto_attr_u32(&n);
		else if (n.type == PROTO_A_ON)
			c->on = true;
		else if (n.type == PROTO_A_BLOCKED)
			c->blocked = true;
		else if (n.type == PROTO_A_SKIPPED)
			c->skipped = true;
		else if (n.type == PROTO_A_USER) {
			size_t off = strlen(c->users);
			snprintf(c->users + off, sizeof(c->users) - off, "%s%s",
			         off ? " " : ", for ", proto_attr_str(&n));
		}
	}
}

/* smctl check: the verdict, the entries that decide it, and each break. */
static void print_check(const struct reply *r)
{
	struct proto_iter it;
	struct proto_attr a;
	struct check_row c;

	print_common(r);
	if (r->result != PROTO_RESULT_OK)
		return;
	if (proto_find(r->payload, r->len, PROTO_A_USER, &a))
		printf("  (as user %s: breaks for some users count for them)\n",
		       proto_attr_str(&a));
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		const char *const *s = c.str;

		if (a.type != PROTO_A_MATCH && a.type != PROTO_A_BREAK)
			continue;
		check_row_parse(&a, &c);
		if (a.type == PROTO_A_MATCH && c.line)
			printf("  list %-12s %-5s %s  (%s:%u)\n", s[CS_LIST], s[CS_KIND],
			       s[CS_ENTRY], s[CS_SOURCE], c.line);
		else if (a.type == PROTO_A_MATCH)
			printf("  list %-12s %-5s %s  (%s)\n", s[CS_LIST], s[CS_KIND], s[CS_ENTRY],
			       s[CS_SOURCE]);
		else if (strcmp(s[CS_KIND], "adhoc") == 0) /* "pause", not "pause pause" */
			printf("  %-24s %s%s%s\n", "pause",
			       c.blocked ? "blocks it" : "does not block it",
			       c.on ? " (on now)" : "", c.users);
		else
			printf("  break %-18s %s%s%s\n", s[CS_NAME],
			       c.blocked ? "blocks it" : "does not block it",
			       c.skipped ? " (on now, skipped)"
			       : c.on    ? " (on now)"
			                 : "",
			       c.users);
	}
}

/* A SERVICE or FILE nest: its name, count and source. */
struct named {
	const char *name, *source;
	uint64_t count;
};

static void named_parse(const struct proto_attr *nest, struct named *v)
{
	struct proto_iter it;
	struct proto_attr n;

	*v = (struct named){.name = "?", .source = ""};
	proto_attr_nest(nest, &it);
	while (proto_iter_next(&it, &n)) {
		if (n.type == PROTO_A_NAME)
			v->name = proto_attr_str(&n);
		else if (n.type == PROTO_A_SOURCE)
			v->source = proto_attr_str(&n);
		else if (n.type == PROTO_A_COUNT)
			v->count = proto_attr_u64(&n);
	}
}

static const char *domains_word(uint64_t n)
{
	return n == 1 ? "domain" : "domains";
}

/* smctl services: a row per service; with NAME its file and every domain. */
static void print_services(const struct reply *r)
{
	struct proto_iter it, nit;
	struct proto_attr a, n;

	print_common(r);
	if (r->result != PROTO_RESULT_OK)
		return;
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		struct named v;

		if (a.type != PROTO_A_SERVICE)
			continue;
		named_parse(&a, &v);
		if (!*v.source) {
			printf("%-12s %4llu %s\n", v.name, (unsigned long long)v.count,
			       domains_word(v.count));
			continue;
		}
		printf("%s: %llu %s, from %s\n", v.name, (unsigned long long)v.count,
		       domains_word(v.count), v.source);
		proto_attr_nest(&a, &nit);
		while (proto_iter_next(&nit, &n))
			if (n.type == PROTO_A_DOMAINS)
				printf("  %s\n", proto_attr_str(&n));
	}
}

/* smctl lists: "list NAME" and "break NAME" rows; with NAME, what the list
 * holds, a row per source. */
static void print_lists(const struct reply *r)
{
	struct proto_iter it;
	struct proto_attr a;
	bool detail = proto_find(r->payload, r->len, PROTO_A_NAME, &a);
	char breaks[512] = "";

	print_common(r);
	if (r->result != PROTO_RESULT_OK)
		return;
	if (detail) {
		struct proto_attr c;
		uint64_t n =
		    proto_find(r->payload, r->len, PROTO_A_COUNT, &c) ? proto_attr_u64(&c) : 0;
		printf("list %s: %llu %s\n", proto_attr_str(&a), (unsigned long long)n,
		       n == 1 ? "name" : "names");
	}
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		struct named v;
		struct brk b;

		switch (a.type) {
		case PROTO_A_LIST:
			printf("list   %s\n", proto_attr_str(&a));
			break;
		case PROTO_A_BREAK:
			brk_parse(&a, &b);
			if (!detail)
				printf("break  %s\n", b.name);
			else
				snprintf(breaks + strlen(breaks), sizeof(breaks) - strlen(breaks),
				         "%s%s", breaks[0] ? ", " : "", b.name);
			break;
		case PROTO_A_SERVICE:
		case PROTO_A_FILE:
			named_parse(&a, &v);
			printf("  %-8s %-30s %6llu %s\n",
			       a.type == PROTO_A_SERVICE ? "service" : "file", v.name,
			       (unsigned long long)v.count, v.count == 1 ? "name" : "names");
			break;
		case PROTO_A_DOMAINS:
			printf("  %-8s %s\n", "domain", proto_attr_str(&a));
			break;
		case PROTO_A_ALLOW:
			printf("  %-8s %s\n", "allow", proto_attr_str(&a));
			break;
		default:
			break;
		}
	}
	if (detail)
		printf("  %-8s %s\n", "breaks", breaks[0] ? breaks : "none use it (a pause does)");
}

/* A day's history: its date, breaks kept and ended early, pauses taken. */
struct day_history {
	const char *date;
	uint64_t kept, early, pauses;
};

static void history_parse(const struct proto_attr *day, struct day_history *h)
{
	struct proto_iter it;
	struct proto_attr d;

	*h = (struct day_history){.date = ""};
	proto_attr_nest(day, &it);
	while (proto_iter_next(&it, &d)) {
		if (d.type == PROTO_A_DATE)
			h->date = proto_attr_str(&d);
		else if (d.type == PROTO_A_KEPT)
			h->kept = proto_attr_u64(&d);
		else if (d.type == PROTO_A_EARLY)
			h->early = proto_attr_u64(&d);
		else if (d.type == PROTO_A_PAUSES)
			h->pauses = proto_attr_u64(&d);
	}
}

/* The days that had breaks: how many were kept to their end (#) and ended
 * early (x), as a bar (scaled down only past its width), and pauses taken.
 * Nothing when no day shown had any. */
static void print_history(const struct reply *r)
{
	enum { BAR = 30 };
	static const char kept[] = "##############################",
	                  early[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	struct proto_iter it;
	struct proto_attr a;
	struct day_history h;
	uint64_t max = 0;
	bool any = false;

	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		if (a.type != PROTO_A_DAY)
			continue;
		history_parse(&a, &h);
		max = h.kept + h.early > max ? h.kept + h.early : max;
		any |= h.kept || h.early || h.pauses;
	}
	if (!any)
		return;
	printf("\n%-10s  %4s %5s %6s  (# kept to the end, x ended early)\n", "breaks", "kept",
	       "early", "pauses");
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		if (a.type != PROTO_A_DAY)
			continue;
		history_parse(&a, &h);
		uint64_t all = h.kept + h.early;
		if (!all && !h.pauses)
			continue;
		uint64_t n = max > BAR ? (all * BAR + max - 1) / max : all;
		uint64_t k = all ? (h.kept * n + all / 2) / all : 0;
		printf("%-10s  %4llu %5llu %6llu  %.*s%.*s\n", h.date, (unsigned long long)h.kept,
		       (unsigned long long)h.early, (unsigned long long)h.pauses, (int)k, kept,
		       (int)(n - k), early);
	}
}

/* smctl stats: one block per day, a row per service with a bar scaled to the
 * busiest row shown, then the history of the breaks. */
static void print_stats(const struct reply *r)
{
	enum { BAR = 40 };
	struct proto_iter it, dit, cit;
	struct proto_attr a, d, c;
	uint64_t max = 0;

	print_common(r);
	if (r->result != PROTO_RESULT_OK)
		return;
	for (int pass = 0; pass < 2; pass++) {
		proto_iter_init(&it, r->payload, r->len);
		while (proto_iter_next(&it, &a)) {
			const char *date = "";
			bool any = false;

			if (a.type != PROTO_A_DAY)
				continue;
			proto_attr_nest(&a, &dit);
			while (proto_iter_next(&dit, &d)) {
				const char *name = "";
				uint64_t v = 0;

				if (d.type == PROTO_A_DATE) {
					date = proto_attr_str(&d);
					continue;
				}
				if (d.type != PROTO_A_COUNTER)
					continue;
				proto_attr_nest(&d, &cit);
				while (proto_iter_next(&cit, &c)) {
					if (c.type == PROTO_A_NAME)
						name = proto_attr_str(&c);
					else if (c.type == PROTO_A_VALUE)
						v = proto_attr_u64(&c);
				}
				if (pass == 0) {
					max = v > max ? v : max;
					continue;
				}
				int n = max ? (int)((v * BAR + max - 1) / max) : 0;
				printf("%-10s  %-12s %6llu  %.*s\n", any ? "" : date, name,
				       (unsigned long long)v, n,
				       "########################################");
				any = true;
			}
			if (pass == 1 && !any)
				printf("%-10s  (nothing blocked)\n", date);
		}
	}
	print_history(r);
	output_allowance_days(r);
}

/* One line per event: local time, kind, what happened. */
void output_event(const struct reply *r)
{
	struct proto_attr a;
	const char *kind = "event";
	char when[32] = "";
	time_t t = (time_t)r->now;
	struct tm tm;

	if (proto_find(r->payload, r->len, PROTO_A_EVENT, &a))
		kind = proto_attr_str(&a);
	if (r->now) {
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	}
	printf("%s %-6s", when, kind);
	if (r->message && *r->message) {
		printf(" %s", r->message);
	} else if (proto_find(r->payload, r->len, PROTO_A_BREAK, &a)) {
		struct brk b;
		char lists[160];

		brk_parse(&a, &b);
		join_lists(&b, lists, sizeof(lists));
		printf(" %s %s", b.name, lists);
	}
	putchar('\n');
	fflush(stdout);
}

void output_reply(uint16_t cmd, bool verbose, const struct reply *r)
{
	switch (cmd) {
	case PROTO_CMD_STATUS:
		print_status(r, verbose);
		break;
	case PROTO_CMD_SCHEDULE:
		print_schedule(r);
		break;
	case PROTO_CMD_CHECK:
		print_check(r);
		break;
	case PROTO_CMD_STATS:
		print_stats(r);
		break;
	case PROTO_CMD_LISTS:
		print_lists(r);
		break;
	case PROTO_CMD_SERVICES:
		print_services(r);
		break;
	case PROTO_CMD_DEVICES:
		print_common(r);
		output_devices(r);
		break;
	default: /* pause, resume, skip, reload, watch: the message says it all */
		print_common(r);
		break;
	}
}
