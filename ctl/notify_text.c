/* What smbreak-notify shows for an event of `smctl watch`: a warning before
 * a break with its name and start, or before an allowance runs out with the
 * minutes left, a start with its end, an end, and a refused name with the
 * break that refused it. Pure, so the unit test reads the texts of fixed
 * events. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "notify_text.h"
#include "value.h"

/* "Break work" or "Pause" (the ad-hoc break, and a planned one). */
static void title(const char *name, char *buf, size_t len)
{
	if (strcmp(name, "pause") == 0)
		snprintf(buf, len, "Pause");
	else
		snprintf(buf, len, "Break %s", name);
}

/* The lists, space-separated, "every list" when the event names none. */
static void lists(const struct reply *ev, char *buf, size_t len)
{
	struct proto_iter it;
	struct proto_attr a;
	size_t off = 0;

	buf[0] = '\0';
	proto_iter_init(&it, ev->payload, ev->len);
	while (proto_iter_next(&it, &a) && off < len) {
		if (a.type != PROTO_A_LIST)
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", proto_attr_str(&a));
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "every list");
}

static const char *str(const struct reply *ev, uint16_t type)
{
	struct proto_attr a;

	return proto_find(ev->payload, ev->len, type, &a) ? proto_attr_str(&a) : "";
}

static uint64_t u64(const struct reply *ev, uint16_t type)
{
	struct proto_attr a;

	return proto_find(ev->payload, ev->len, type, &a) ? proto_attr_u64(&a) : 0;
}

static int64_t i64(const struct reply *ev, uint16_t type)
{
	struct proto_attr a;

	return proto_find(ev->payload, ev->len, type, &a) ? proto_attr_i64(&a) : 0;
}

/* An event without whom is for everyone; one with is for its users only
 * (a break for some devices of the LAN is nothing to tell this machine). */
static bool for_uid(const struct reply *ev, uint32_t uid)
{
	struct proto_attr a, u;
	struct proto_iter it;

	if (!proto_find(ev->payload, ev->len, PROTO_A_WHOM, &a))
		return true;
	proto_attr_nest(&a, &it);
	while (proto_iter_next(&it, &u))
		if (u.type == PROTO_A_UID && proto_attr_u32(&u) == uid)
			return true;
	return false;
}

bool notify_text(const struct reply *ev, uint32_t uid, struct notify_text *out)
{
	const char *kind = str(ev, PROTO_A_KIND), *name = str(ev, PROTO_A_NAME);
	time_t now = (time_t)ev->now, start = (time_t)i64(ev, PROTO_A_START);
	time_t end = (time_t)i64(ev, PROTO_A_END);
	char what[96], ls[256], at[32], until[32];

	if (!for_uid(ev, uid))
		return false;
	title(*name ? name : "pause", what, sizeof(what));
	lists(ev, ls, sizeof(ls));
	value_format_when(start, now, at, sizeof(at));
	value_format_when(end, now, until, sizeof(until));
	if (strcmp(kind, "warning") == 0 && u64(ev, PROTO_A_BUDGET)) {
		/* An allowance running out: what is left matters more than when. */
		uint64_t budget = u64(ev, PROTO_A_BUDGET), used = u64(ev, PROTO_A_USED);
		snprintf(out->summary, sizeof(out->summary), "%s: %" PRIu64 " min left today", name,
		         used < budget ? budget - used : 0);
		if (start)
			snprintf(out->body, sizeof(out->body),
			         "If use goes on, it runs out at %s and blocks %s until %s.", at,
			         ls, until);
		else
			snprintf(out->body, sizeof(out->body),
			         "%" PRIu64 " of %" PRIu64 " min used; its time ends at %s first.",
			         used, budget, until);
	} else if (strcmp(kind, "warning") == 0) {
		int64_t left = start > now ? start - now : 0;
		snprintf(out->summary, sizeof(out->summary), "%s starts in %" PRId64 " %s", what,
		         left >= 60 ? (left + 59) / 60 : left, left >= 60 ? "min" : "s");
		snprintf(out->body, sizeof(out->body), "At %s it blocks %s until %s.", at, ls,
		         until);
	} else if (strcmp(kind, "started") == 0) {
		snprintf(out->summary, sizeof(out->summary), "%s started", what);
		snprintf(out->body, sizeof(out->body), "%s %s blocked until %s.", ls,
		         strchr(ls, ' ') ? "are" : "is", until);
	} else if (strcmp(kind, "ended") == 0) {
		snprintf(out->summary, sizeof(out->summary), "%s ended", what);
		snprintf(out->body, sizeof(out->body), "What it blocked is open again.");
	} else if (strcmp(kind, "blocked") == 0) {
		/* The daemon's sentence: "instagram.com was refused: break work until 12:00". */
		const char *msg = ev->message ? ev->message : "", *colon = strstr(msg, ": ");
		snprintf(out->summary, sizeof(out->summary), "%s was refused",
		         str(ev, PROTO_A_DOMAIN));
		snprintf(out->body, sizeof(out->body), "%s", colon ? colon + 2 : msg);
	} else {
		return false;
	}
	return true;
}
