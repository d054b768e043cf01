/* smctl: the thin control client of smbreakd. It parses the command line,
 * checks what it can locally (for a good usage error), sends one request over
 * the control socket and prints the reply, one formatter per reply kind, in
 * short aligned human form or as stable JSON (--json).
 *
 * JSON shape (stable; for scripts and status bars): every message is one JSON
 * object on one line. Each attribute becomes a key named by proto_attr_name:
 *   u32 and u64 values are numbers ("result": 0 = ok, 1 = refused, 2 = usage);
 *   times (i64: "now", "start", "end") are numbers, seconds since the epoch;
 *   strings are strings; flags are `true` and absent when false;
 *   nests ("breaks", "next", "counters") are objects of the same shape;
 *   repeatable attributes ("breaks", "lists", "errors", "in_force",
 *   "counters") are always arrays, even of one element, and absent when empty.
 * Attributes this smctl does not know are left out. `smctl --json watch`
 * prints one object per event (JSON Lines), the events only; the first reply
 * is printed only if it is not ok. Local errors go to stderr as text. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "value.h"
#include "paths.h"
#include "proto.h"

#define SMCTL_TIMEOUT_SECS 10 /* to connect, and for each reply */
#define SMCTL_LISTS_MAX    64 /* lists shown per break */
#define SMCTL_BREAKS_MAX   512

enum exit_code {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

struct opts {
	const char *socket;
	bool json;
};

/* ---- usage ---- */

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: smctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
	    "\n"
	    "  status                     what is blocked now, until when, next break\n"
	    "  pause [DURATION|until HH:MM] [--strict] [--list NAME]...\n"
	    "                             start a break now; no argument toggles one\n"
	    "  resume                     end the pause (not a strict one)\n"
	    "  skip                       end the scheduled break that is on (not a strict one)\n"
	    "  schedule [--days N]        upcoming breaks\n"
	    "  check DOMAIN|ADDRESS       would DOMAIN be blocked, and why; or what the\n"
	    "                             address sets hold for ADDRESS\n"
	    "  stats [--days N]           blocked attempts per service per day\n"
	    "  reload                     re-read the configuration\n"
	    "  watch                      print events (breaks starting, ending) as they come\n"
	    "  lists                      names of the configured lists and breaks\n"
	    "  services                   the service catalog, with domain counts\n"
	    "\n"
	    "  -s, --socket SOCKET        control socket (default %s)\n"
	    "  -j, --json                 print the reply as JSON\n"
	    "  -h, --help                 this help\n"
	    "  -V, --version              print the version\n"
	    "\n"
	    "Durations: 90s, 45m, 1h30m, 2d. Exit status: 0 ok, 1 refused or failed,\n"
	    "2 usage, 3 the daemon is not reachable.\n",
	    SMB_SOCKET_PATH);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("smctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'smctl --help'.\n", stderr);
	return EXIT_USAGE;
}

/* ---- building requests ---- */

static struct proto_msg req;

static int parse_days(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || *s == '+' || v < 1 || v > 3660)
		return usage_error("--days takes a number of days, like --days 7 (got '%s')", s);
	*out = (uint32_t)v;
	return 0;
}

/* Arguments after the command: options of that command and positional words.
 * Global options (-s, --json) may come here too. */
struct args {
	const char *pos[4];
	int n_pos;
	bool strict;
	const char *lists[SMCTL_LISTS_MAX];
	int n_lists;
	const char *days;
};

static int parse_args(int argc, char **argv, struct opts *o, const char *cmd, bool take_strict,
                      bool take_list, bool take_days, struct args *a)
{
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		const char *val = NULL;

		if (strcmp(s, "--") == 0) {
			for (i++; i < argc; i++) {
				if (a->n_pos == 4)
					return usage_error("%s: too many arguments", cmd);
				a->pos[a->n_pos++] = argv[i];
			}
			break;
		}
		if (s[0] != '-' || s[1] == 0) {
			if (a->n_pos == 4)
				return usage_error("%s: too many arguments", cmd);
			a->pos[a->n_pos++] = s;
			continue;
		}
		if (strcmp(s, "--json") == 0 || strcmp(s, "-j") == 0) {
			o->json = true;
			continue;
		}
		if (take_strict && strcmp(s, "--strict") == 0) {
			a->strict = true;
			continue;
		}
		/* Options with a value: "--opt VALUE" or "--opt=VALUE". */
		const char *names[] = {"-s", "--socket", "--list", "--days"};
		size_t which = 4;
		for (size_t k = 0; k < 4; k++) {
			size_t n = strlen(names[k]);
			if (strcmp(s, names[k]) == 0) {
				if (i + 1 >= argc)
					return usage_error("%s needs a value", names[k]);
				val = argv[++i];
				which = k;
				break;
			}
			if (k > 0 && strncmp(s, names[k], n) == 0 && s[n] == '=') {
				val = s + n + 1;
				which = k;
				break;
			}
		}
		switch (which) {
		case 0:
		case 1:
			o->socket = val;
			continue;
		case 2:
			if (!take_list)
				break;
			if (!value_valid_name(val))
				return usage_error("bad list name '%s': lists are named with a-z, "
				                   "0-9, _ and -",
				                   val);
			if (a->n_lists == SMCTL_LISTS_MAX)
				return usage_error("too many --list options");
			a->lists[a->n_lists++] = val;
			continue;
		case 3:
			if (!take_days)
				break;
			a->days = val;
			continue;
		default:
			break;
		}
		return usage_error("%s: unknown option '%s'", cmd, s);
	}
	return 0;
}

static int build_pause(const struct args *a)
{
	uint64_t secs;
	int r;

	if (a->n_pos >= 1 && strcmp(a->pos[0], "until") == 0) {
		if (a->n_pos != 2)
			return usage_error(
			    "pause until needs a time, like: smctl pause until 17:30");
		if (value_parse_time_of_day(a->pos[1], false, &(uint32_t){0}) < 0)
			return usage_error("bad time '%s': use HH:MM, like 17:30", a->pos[1]);
		proto_put_str(&req, PROTO_A_UNTIL, a->pos[1]);
	} else if (a->n_pos == 1) {
		r = value_parse_duration(a->pos[0], &secs);
		if (r == -ERANGE)
			return usage_error("duration '%s' is too long", a->pos[0]);
		if (r < 0 && value_parse_time_of_day(a->pos[0], false, &(uint32_t){0}) == 0)
			return usage_error("bad duration '%s'; did you mean: smctl pause until %s",
			                   a->pos[0], a->pos[0]);
		if (r < 0)
			return usage_error("bad duration '%s': use a number with a unit s, m, h "
			                   "or d, like 90s, 45m, 1h30m, 2d",
			                   a->pos[0]);
		if (secs == 0)
			return usage_error("a pause must last longer than 0s");
		proto_put_u64(&req, PROTO_A_DURATION, secs);
	} else if (a->n_pos > 1) {
		return usage_error("pause takes one duration or 'until HH:MM'");
	}
	if (a->strict)
		proto_put_flag(&req, PROTO_A_STRICT);
	for (int i = 0; i < a->n_lists; i++)
		proto_put_str(&req, PROTO_A_LIST, a->lists[i]);
	return 0;
}

static int build_days(const struct args *a)
{
	uint32_t days = 0;
	int r;

	if (a->n_pos)
		return usage_error("unexpected argument '%s'", a->pos[0]);
	if (a->days) {
		r = parse_days(a->days, &days);
		if (r)
			return r;
		proto_put_u32(&req, PROTO_A_DAYS, days);
	}
	return 0;
}

static int build_check(const struct args *a)
{
	const char *d;

	if (a->n_pos != 1)
		return usage_error("check needs one domain or address, like: smctl check "
		                   "www.instagram.com");
	d = a->pos[0];
	uint8_t addr[16];
	bool is_addr = inet_pton(AF_INET, d, addr) == 1 || inet_pton(AF_INET6, d, addr) == 1;
	if (!is_addr && (strlen(d) > 253 || strlen(d) == 0 || strpbrk(d, " \t/:@")))
		return usage_error("bad domain '%s': give a name like www.instagram.com or an "
		                   "address",
		                   d);
	proto_put_str(&req, PROTO_A_DOMAIN, d);
	return 0;
}

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
	int64_t start, end;
	bool have_start, have_end, on, strict, skipped;
	const char *lists[SMCTL_LISTS_MAX];
	int n_lists;
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
		case PROTO_A_LIST:
			if (b->n_lists < SMCTL_LISTS_MAX)
				b->lists[b->n_lists++] = proto_attr_str(&a);
			break;
		default:
			break;
		}
	}
}

static void join_lists(const struct brk *b, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < b->n_lists && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "", b->lists[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

struct reply {
	const uint8_t *payload;
	size_t len;
	uint16_t type;
	uint32_t result;
	const char *message;
	int64_t now;
};

/* ---- JSON ---- */

static void json_str(const char *s)
{
	const uint8_t *p = (const uint8_t *)s;

	putchar('"');
	while (*p) {
		uint8_t c = *p;
		size_t n = c < 0x80             ? 1
		           : (c & 0xe0) == 0xc0 ? 2
		           : (c & 0xf0) == 0xe0 ? 3
		           : (c & 0xf8) == 0xf0 ? 4
		                                : 0;
		bool ok = n > 0;

		/* Valid UTF-8 passes through; anything else becomes U+FFFD. */
		for (size_t i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (ok && n == 2 && c < 0xc2)
			ok = false; /* overlong */
		if (ok && n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
			ok = false; /* overlong, surrogates */
		if (ok && n == 4 &&
		    ((c == 0xf0 && p[1] < 0x90) || c > 0xf4 || (c == 0xf4 && p[1] >= 0x90)))
			ok = false;
		if (!ok) {
			fputs("\\ufffd", stdout);
			p++;
			continue;
		}
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			fwrite(p, 1, n, stdout);
		p += n;
	}
	putchar('"');
}

static void json_object(const uint8_t *payload, size_t len, unsigned depth);

static void json_value(const struct proto_attr *a, unsigned depth)
{
	switch (proto_attr_kind(a->type)) {
	case PROTO_K_U32:
		printf("%" PRIu32, proto_attr_u32(a));
		break;
	case PROTO_K_U64:
		printf("%" PRIu64, proto_attr_u64(a));
		break;
	case PROTO_K_I64:
		printf("%" PRId64, proto_attr_i64(a));
		break;
	case PROTO_K_STR:
		json_str(proto_attr_str(a));
		break;
	case PROTO_K_FLAG:
		fputs("true", stdout);
		break;
	case PROTO_K_NEST:
		json_object(a->data, a->len, depth + 1);
		break;
	case PROTO_K_NONE:
		fputs("null", stdout);
		break;
	}
}

/* Keys in the order of their first appearance; a repeatable type gathers all
 * of its occurrences into one array, a single one keeps its first. */
static void json_object(const uint8_t *payload, size_t len, unsigned depth)
{
	bool seen[PROTO_A_MAX_] = {false};
	struct proto_iter it, it2;
	struct proto_attr a, b;
	bool first = true;

	putchar('{');
	proto_iter_init(&it, payload, len);
	while (proto_iter_next(&it, &a)) {
		const char *name = proto_attr_name(a.type);

		if (!name || seen[a.type] || depth > PROTO_NEST_MAX)
			continue;
		seen[a.type] = true;
		printf("%s\"%s\": ", first ? "" : ", ", name);
		first = false;
		if (!proto_attr_repeated(a.type)) {
			json_value(&a, depth);
			continue;
		}
		putchar('[');
		it2 = it;
		json_value(&a, depth);
		while (proto_iter_next(&it2, &b)) {
			if (b.type != a.type)
				continue;
			fputs(", ", stdout);
			json_value(&b, depth);
		}
		putchar(']');
	}
	putchar('}');
}

static void print_json(const struct reply *r)
{
	json_object(r->payload, r->len, 0);
	putchar('\n');
}

/* ---- human formatters, one per reply ---- */

/* Every reply: the message (stdout when ok, else stderr) and the errors. */
static void print_common(const struct reply *r)
{
	struct proto_iter it;
	struct proto_attr a;

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
}

static void print_break_rows(struct brk *v, int n, int64_t now, bool schedule)
{
	static char when[SMCTL_BREAKS_MAX][48], lists[SMCTL_BREAKS_MAX][160];
	int w_name = 0, w_kind = 0, w_when = 0, w_lists = 0;

	for (int i = 0; i < n; i++) {
		if (schedule)
			fmt_span(v[i].start, v[i].end, when[i], sizeof(when[i]));
		else if (v[i].have_end) {
			char t[32];
			value_format_when((time_t)v[i].end, now, t, sizeof(t));
			snprintf(when[i], sizeof(when[i]), "until %s", t);
		} else {
			snprintf(when[i], sizeof(when[i]), "until further notice");
		}
		join_lists(&v[i], lists[i], sizeof(lists[i]));
		w_name = (int)strlen(v[i].name) > w_name ? (int)strlen(v[i].name) : w_name;
		w_kind = (int)strlen(v[i].kind) > w_kind ? (int)strlen(v[i].kind) : w_kind;
		w_when = (int)strlen(when[i]) > w_when ? (int)strlen(when[i]) : w_when;
		w_lists = (int)strlen(lists[i]) > w_lists ? (int)strlen(lists[i]) : w_lists;
	}
	for (int i = 0; i < n; i++) {
		char left[32] = "", extra[64] = "", line[512];
		size_t len;

		if (v[i].on && v[i].have_end) {
			value_format_left(v[i].end - now, left, sizeof(left));
			snprintf(extra, sizeof(extra), "%s%s left", schedule ? "on now, " : "",
			         left);
		}
		if (v[i].strict)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%sstrict",
			         extra[0] ? ", " : "");
		if (v[i].skipped)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%sskipped",
			         extra[0] ? ", " : "");
		/* A row longer than the line is cut; the columns are bounded well below it. */
		int w;
		if (schedule)
			w = snprintf(line, sizeof(line), "  %-*s  %-*s  %-*s  %s", w_when, when[i],
			             w_name, v[i].name, w_lists, lists[i], extra);
		else
			w = snprintf(line, sizeof(line), "  %-*s  %-*s  %-*s  %-*s  %s", w_name,
			             v[i].name, w_kind, v[i].kind, w_when, when[i], w_lists,
			             lists[i], extra);
		if (w < 0)
			continue;
		/* No trailing blanks when the last columns are empty. */
		len = strlen(line);
		while (len > 0 && line[len - 1] == ' ')
			line[--len] = 0;
		puts(line);
	}
}

static int collect_breaks(const struct reply *r, uint16_t type, struct brk *v, int max)
{
	struct proto_iter it;
	struct proto_attr a;
	int n = 0;

	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a))
		if (a.type == type && n < max)
			brk_parse(&a, &v[n++]);
	return n;
}

static struct brk breaks[SMCTL_BREAKS_MAX];

static void print_status(const struct reply *r)
{
	struct proto_iter it;
	struct proto_attr a;
	const char *version = NULL, *config = NULL;
	bool blocking = false, strict = false, have_next = false;
	char inforce[512] = "", counters[512] = "";
	struct brk next;
	int n;

	if (r->result != PROTO_RESULT_OK) {
		print_common(r);
		return;
	}
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		size_t off;

		switch (a.type) {
		case PROTO_A_VERSION:
			version = proto_attr_str(&a);
			break;
		case PROTO_A_CONFIG:
			config = proto_attr_str(&a);
			break;
		case PROTO_A_BLOCKING:
			blocking = true;
			break;
		case PROTO_A_STRICT:
			strict = true;
			break;
		case PROTO_A_INFORCE:
			off = strlen(inforce);
			snprintf(inforce + off, sizeof(inforce) - off, "%s%s", off ? " " : "",
			         proto_attr_str(&a));
			break;
		case PROTO_A_NEXT:
			brk_parse(&a, &next);
			have_next = true;
			break;
		case PROTO_A_COUNTER: {
			struct proto_attr name = {0}, value = {0};
			struct proto_iter ni;
			proto_attr_nest(&a, &ni);
			while (proto_iter_next(&ni, &value)) {
				if (value.type == PROTO_A_NAME)
					name = value;
				else if (value.type == PROTO_A_VALUE)
					break;
			}
			off = strlen(counters);
			snprintf(counters + off, sizeof(counters) - off, "%s%s %" PRIu64,
			         off ? ", " : "", name.len ? proto_attr_str(&name) : "?",
			         value.type == PROTO_A_VALUE ? proto_attr_u64(&value) : 0);
			break;
		}
		default:
			break;
		}
	}
	if (r->message && *r->message)
		printf("%s\n", r->message);
	if (blocking)
		printf("Blocking:  %s%s\n", inforce[0] ? inforce : "yes",
		       strict ? " (strict)" : "");
	else
		printf("Blocking:  nothing\n");
	n = collect_breaks(r, PROTO_A_BREAK, breaks, SMCTL_BREAKS_MAX);
	print_break_rows(breaks, n, r->now, false);
	if (have_next && next.have_start) {
		char when[32], in[32];

		value_format_when((time_t)next.start, r->now, when, sizeof(when));
		value_format_left(next.start - r->now, in, sizeof(in));
		printf("Next:      %s at %s (in %s)", next.name, when, in);
		if (next.have_end) {
			value_format_left(next.end - next.start, in, sizeof(in));
			printf(" for %s", in);
		}
		if (next.strict)
			fputs(", strict", stdout);
		putchar('\n');
	} else {
		printf("Next:      no break scheduled\n");
	}
	if (counters[0])
		printf("Counters:  %s\n", counters);
	if (version || config)
		printf("Daemon:    smbreakd %s, %s\n", version ? version : "?",
		       config ? config : "?");
}

static void print_schedule(const struct reply *r)
{
	int n;

	if (r->result != PROTO_RESULT_OK) {
		print_common(r);
		return;
	}
	if (r->message && *r->message)
		printf("%s\n", r->message);
	n = collect_breaks(r, PROTO_A_BREAK, breaks, SMCTL_BREAKS_MAX);
	if (n == 0)
		printf("no breaks scheduled\n");
	print_break_rows(breaks, n, r->now, true);
}

static void print_lists(const struct reply *r)
{
	struct proto_iter it;
	struct proto_attr a;

	print_common(r);
	if (r->result != PROTO_RESULT_OK)
		return;
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		if (a.type == PROTO_A_LIST) {
			printf("list   %s\n", proto_attr_str(&a));
		} else if (a.type == PROTO_A_BREAK) {
			struct brk b;

			brk_parse(&a, &b);
			printf("break  %s\n", b.name);
		}
	}
}

/* smctl check: the verdict, the entries that decide it, and each break. */
static void print_check(const struct reply *r)
{
	struct proto_iter it, nit;
	struct proto_attr a, n;

	print_common(r);
	if (r->result != PROTO_RESULT_OK)
		return;
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		const char *list = "", *kind = "", *entry = "", *source = "", *name = "";
		uint32_t line = 0;
		bool on = false, blocked = false;

		if (a.type != PROTO_A_MATCH && a.type != PROTO_A_BREAK)
			continue;
		proto_attr_nest(&a, &nit);
		while (proto_iter_next(&nit, &n)) {
			switch (n.type) {
			case PROTO_A_LIST:
				list = proto_attr_str(&n);
				break;
			case PROTO_A_KIND:
				kind = proto_attr_str(&n);
				break;
			case PROTO_A_ENTRY:
				entry = proto_attr_str(&n);
				break;
			case PROTO_A_SOURCE:
				source = proto_attr_str(&n);
				break;
			case PROTO_A_NAME:
				name = proto_attr_str(&n);
				break;
			case PROTO_A_LINE:
				line = proto_attr_u32(&n);
				break;
			case PROTO_A_ON:
				on = true;
				break;
			case PROTO_A_BLOCKED:
				blocked = true;
				break;
			}
		}
		if (a.type == PROTO_A_MATCH && line)
			printf("  list %-12s %-5s %s  (%s:%u)\n", list, kind, entry, source, line);
		else if (a.type == PROTO_A_MATCH)
			printf("  list %-12s %-5s %s  (%s)\n", list, kind, entry, source);
		else
			printf("  %-5s %-18s %s%s\n", strcmp(kind, "adhoc") ? "break" : "pause",
			       name, blocked ? "blocks it" : "does not block it",
			       on ? " (on now)" : "");
	}
}

static void print_services(const struct reply *r)
{
	struct proto_iter it, nit;
	struct proto_attr a, n;

	print_common(r);
	if (r->result != PROTO_RESULT_OK)
		return;
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		const char *name = "";
		uint64_t count = 0;

		if (a.type != PROTO_A_SERVICE)
			continue;
		proto_attr_nest(&a, &nit);
		while (proto_iter_next(&nit, &n)) {
			if (n.type == PROTO_A_NAME)
				name = proto_attr_str(&n);
			else if (n.type == PROTO_A_VALUE)
				count = proto_attr_u64(&n);
		}
		printf("%-12s %4llu domains\n", name, (unsigned long long)count);
	}
}

/* smctl stats: one block per day, a row per service with a bar scaled to the
 * busiest row shown. */
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
}

/* One line per event: local time, kind, what happened. */
static void print_event(const struct reply *r)
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

/* ---- the connection ---- */

static const char *socket_path;

static int unreachable(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int unreachable(const char *fmt, ...)
{
	va_list ap;

	fputs("smctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_UNREACHABLE;
}

static int connect_daemon(const char *path, int *out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {SMCTL_TIMEOUT_SECS, 0};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return usage_error("socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return unreachable("socket: %s", strerror(errno));
	/* A Unix connect waits on a full backlog for SO_SNDTIMEO. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		if (e == EAGAIN || e == EWOULDBLOCK)
			return unreachable("smbreakd at %s is not reachable: no answer within %d s",
			                   path, SMCTL_TIMEOUT_SECS);
		return unreachable("smbreakd is not reachable at %s: %s\n"
		                   "Is the daemon running? Start it with: systemctl start smbreakd",
		                   path, strerror(e));
	}
	*out = fd;
	return 0;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Reads exactly len bytes. 0, or an exit code. */
static int read_full(int fd, uint8_t *buf, size_t len, bool at_start)
{
	size_t have = 0;

	while (have < len) {
		ssize_t n = read(fd, buf + have, len - have);

		if (n > 0) {
			have += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			if (interrupted)
				return -1;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return unreachable("no answer from smbreakd at %s within %d s", socket_path,
			                   SMCTL_TIMEOUT_SECS);
		if (n == 0 && at_start && have == 0)
			return unreachable("smbreakd at %s closed the connection", socket_path);
		return unreachable("reading from smbreakd at %s: %s", socket_path,
		                   n == 0 ? "connection closed mid-message" : strerror(errno));
	}
	return 0;
}

static uint8_t rbuf[PROTO_MSG_MAX];

/* Reads one message. 0, -1 when interrupted, or an exit code. */
static int read_msg(int fd, struct reply *r)
{
	struct proto_hdr h;
	struct proto_attr a;
	int rc;

	rc = read_full(fd, rbuf, PROTO_HDR_LEN, true);
	if (rc)
		return rc;
	rc = proto_hdr_parse(rbuf, PROTO_HDR_LEN, &h);
	if (rc == -EPROTONOSUPPORT)
		return unreachable("smbreakd speaks protocol version %u, this smctl %u: "
		                   "upgrade them together",
		                   h.version, PROTO_VERSION);
	if (rc < 0)
		return unreachable("smbreakd sent a message too large (%u bytes)", h.len);
	rc = read_full(fd, rbuf + PROTO_HDR_LEN, h.len, false);
	if (rc)
		return rc;
	if (proto_validate(rbuf + PROTO_HDR_LEN, h.len) < 0)
		return unreachable("smbreakd sent a malformed message");
	memset(r, 0, sizeof(*r));
	r->payload = rbuf + PROTO_HDR_LEN;
	r->len = h.len;
	r->type = h.type;
	r->result = PROTO_RESULT_OK;
	if (proto_find(r->payload, r->len, PROTO_A_RESULT, &a))
		r->result = proto_attr_u32(&a);
	if (proto_find(r->payload, r->len, PROTO_A_MESSAGE, &a))
		r->message = proto_attr_str(&a);
	r->now = time(NULL);
	if (proto_find(r->payload, r->len, PROTO_A_NOW, &a))
		r->now = proto_attr_i64(&a);
	return 0;
}

static int send_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return unreachable("sending to smbreakd at %s: %s", socket_path,
			                   n < 0 ? strerror(errno) : "nothing sent");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int exit_for(uint32_t result)
{
	switch (result) {
	case PROTO_RESULT_OK:
		return EXIT_OK;
	case PROTO_RESULT_USAGE:
		return EXIT_USAGE;
	default:
		return EXIT_REFUSED;
	}
}

/* After the first reply: one line (or JSON object) per event until the daemon
 * closes the connection (exit 3) or SIGINT/SIGTERM (exit 0). */
static int watch_loop(int fd, const struct opts *o)
{
	struct timeval none = {0, 0};
	struct sigaction sa = {.sa_handler = on_signal};
	struct reply r;
	int rc;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: read returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		rc = read_msg(fd, &r);
		if (rc == -1 || interrupted)
			return EXIT_OK;
		if (rc)
			return rc;
		if (r.type != PROTO_EVENT)
			continue;
		if (o->json) {
			print_json(&r);
			fflush(stdout);
		} else {
			print_event(&r);
		}
	}
}

/* ---- commands ---- */

struct command {
	const char *name;
	uint16_t cmd;
	bool strict, list, days; /* options it takes */
	int (*build)(const struct args *a);
	void (*print)(const struct reply *r);
};

static int build_none(const struct args *a)
{
	if (a->n_pos)
		return usage_error("unexpected argument '%s'", a->pos[0]);
	return 0;
}

static const struct command commands[] = {
    {"status", PROTO_CMD_STATUS, false, false, false, build_none, print_status},
    {"pause", PROTO_CMD_PAUSE, true, true, false, build_pause, print_common},
    {"resume", PROTO_CMD_RESUME, false, false, false, build_none, print_common},
    {"skip", PROTO_CMD_SKIP, false, false, false, build_none, print_common},
    {"schedule", PROTO_CMD_SCHEDULE, false, false, true, build_days, print_schedule},
    {"reload", PROTO_CMD_RELOAD, false, false, false, build_none, print_common},
    {"check", PROTO_CMD_CHECK, false, false, false, build_check, print_check},
    {"stats", PROTO_CMD_STATS, false, false, true, build_days, print_stats},
    {"watch", PROTO_CMD_WATCH, false, false, false, build_none, print_common},
    {"lists", PROTO_CMD_LISTS, false, false, false, build_none, print_lists},
    {"services", PROTO_CMD_SERVICES, false, false, false, build_none, print_services},
};

int main(int argc, char **argv)
{
	struct opts o = {SMB_SOCKET_PATH, false};
	const struct command *c = NULL;
	struct args a = {0};
	struct reply r;
	int i, rc, fd = -1, n;

	/* Global options, up to the command. */
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(s, "-V") == 0 || strcmp(s, "--version") == 0) {
			printf("smctl %s\n", SMB_VERSION);
			return EXIT_OK;
		}
		if (strcmp(s, "-j") == 0 || strcmp(s, "--json") == 0) {
			o.json = true;
		} else if (strcmp(s, "-s") == 0 || strcmp(s, "--socket") == 0) {
			if (++i >= argc)
				return usage_error("%s needs a socket path", s);
			o.socket = argv[i];
		} else if (strncmp(s, "--socket=", 9) == 0) {
			o.socket = s + 9;
		} else if (s[0] == '-') {
			return usage_error("unknown option '%s'", s);
		} else {
			break;
		}
	}
	if (i >= argc)
		return usage_error("a command is needed, like: smctl status");
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			c = &commands[k];
	if (!c)
		return usage_error("unknown command '%s'", argv[i]);
	for (int k = i + 1; k < argc; k++)
		if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
	rc = parse_args(argc - i - 1, argv + i + 1, &o, c->name, c->strict, c->list, c->days, &a);
	if (rc)
		return rc;
	proto_msg_init(&req, c->cmd);
	rc = c->build(&a);
	if (rc)
		return rc;
	n = proto_msg_finish(&req);
	if (n < 0)
		return usage_error("the request is too large");

	socket_path = o.socket;
	rc = connect_daemon(o.socket, &fd);
	if (rc)
		return rc;
	rc = send_all(fd, req.buf, (size_t)n);
	if (rc == 0)
		rc = read_msg(fd, &r);
	/* A reply must answer; an event first would be a daemon bug, skip it. */
	while (rc == 0 && r.type == PROTO_EVENT)
		rc = read_msg(fd, &r);
	if (rc) {
		close(fd);
		return rc < 0 ? EXIT_OK : rc;
	}
	if (o.json) {
		if (c->cmd != PROTO_CMD_WATCH || r.result != PROTO_RESULT_OK)
			print_json(&r);
	} else {
		c->print(&r);
	}
	fflush(stdout);
	rc = exit_for(r.result);
	if (rc == EXIT_OK && c->cmd == PROTO_CMD_WATCH)
		rc = watch_loop(fd, &o);
	close(fd);
	return rc;
}
