/* smctl --json: a reply printed as stable JSON, for scripts and status bars.
 *
 * Shape: every message is one JSON object on one line. Each attribute becomes
 * a key named by proto_attr_name:
 *   u32 and u64 values are numbers ("result": 0 = ok, 1 = refused, 2 = usage);
 *   times (i64: "now", "start", "end") are numbers, seconds since the epoch;
 *   strings are strings; flags are `true` and absent when false;
 *   nests ("breaks", "next", "matches") are objects of the same shape;
 *   repeatable attributes ("breaks", "lists", "errors", "in_force",
 *   "warnings", "domains") are always arrays, even of one element, and absent
 *   when empty;
 *   named nests are one object keyed by their names: "counters" maps each
 *   name to its number ({"queries": 12}), "services" and "files" map each
 *   name to an object of the rest ({"facebook": {"count": 40}}).
 * Attributes this smctl does not know are left out. `smctl --json watch`
 * prints one object per event (JSON Lines), the events only; the first reply
 * is printed only if it is not ok. smctl's own errors (usage, the daemon not
 * reachable) are objects too, {"result": 2|3, "code": ..., "message": ...},
 * on stdout. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "smctl.h"

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

static void json_object(const uint8_t *payload, size_t len, unsigned depth, bool skip_name);
static bool json_members(const uint8_t *payload, size_t len, unsigned depth, bool skip_name);

/* Nests that are one object keyed by their PROTO_A_NAME. */
static bool keyed(uint16_t type)
{
	return type == PROTO_A_COUNTER || type == PROTO_A_SERVICE || type == PROTO_A_FILE;
}

/* "name": value of one keyed nest: a counter's number, else the rest of it. */
static void json_keyed(const struct proto_attr *a, unsigned depth)
{
	struct proto_iter it;
	struct proto_attr n, name = {0}, value = {0};

	proto_attr_nest(a, &it);
	while (proto_iter_next(&it, &n)) {
		if (n.type == PROTO_A_NAME && !name.data)
			name = n;
		else if (n.type == PROTO_A_VALUE)
			value = n;
	}
	json_str(name.data ? proto_attr_str(&name) : "");
	fputs(": ", stdout);
	if (a->type == PROTO_A_COUNTER)
		printf("%" PRIu64, value.data ? proto_attr_u64(&value) : 0);
	else
		json_object(a->data, a->len, depth + 1, true);
}

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
		json_object(a->data, a->len, depth + 1, false);
		break;
	case PROTO_K_NONE:
		fputs("null", stdout);
		break;
	}
}

/* Keys in the order of their first appearance; a repeatable type gathers all
 * of its occurrences into one array (or, keyed, one object), a single one
 * keeps its first. skip_name leaves out the name a keyed nest is keyed by. */
static void json_object(const uint8_t *payload, size_t len, unsigned depth, bool skip_name)
{
	putchar('{');
	json_members(payload, len, depth, skip_name);
	putchar('}');
}

/* The members of an object without its braces; whether there were any. */
static bool json_members(const uint8_t *payload, size_t len, unsigned depth, bool skip_name)
{
	bool seen[PROTO_A_MAX_] = {false};
	struct proto_iter it, it2;
	struct proto_attr a, b;
	bool first = true;

	proto_iter_init(&it, payload, len);
	while (proto_iter_next(&it, &a)) {
		const char *name = proto_attr_name(a.type);

		if (!name || seen[a.type] || depth > PROTO_NEST_MAX)
			continue;
		if (skip_name && a.type == PROTO_A_NAME)
			continue;
		seen[a.type] = true;
		printf("%s\"%s\": ", first ? "" : ", ", name);
		first = false;
		if (!proto_attr_repeated(a.type)) {
			json_value(&a, depth);
			continue;
		}
		bool obj = keyed(a.type);
		putchar(obj ? '{' : '[');
		it2 = it;
		if (obj)
			json_keyed(&a, depth);
		else
			json_value(&a, depth);
		while (proto_iter_next(&it2, &b)) {
			if (b.type != a.type)
				continue;
			fputs(", ", stdout);
			if (obj)
				json_keyed(&b, depth);
			else
				json_value(&b, depth);
		}
		putchar(obj ? '}' : ']');
	}
	return !first;
}

void json_print(const struct reply *r)
{
	struct proto_attr a;
	char hint[256];

	putchar('{');
	bool any = json_members(r->payload, r->len, 0, false);
	if (proto_find(r->payload, r->len, PROTO_A_GROUP, &a) &&
	    output_group_hint(proto_attr_str(&a), hint, sizeof(hint))) {
		printf("%s\"hint\": ", any ? ", " : "");
		json_str(hint);
	}
	puts("}");
}

void json_error(int result, const char *code, const char *message)
{
	printf("{\"result\": %d, \"code\": ", result);
	json_str(code);
	fputs(", \"message\": ", stdout);
	json_str(message);
	puts("}");
}
