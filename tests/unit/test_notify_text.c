/* Unit tests of smbreak-notify's texts (notify_text.c) for fixed events, in
 * UTC: a warning names the break and its start (an allowance's, the
 * minutes left and when it runs out), a start its end, a refusal
 * the name and the break; the other kinds show nothing, nor do breaks for
 * other users. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "notify_text.h"

#define NOW 1800000000 /* 2027-01-15 08:00:00 UTC */

static struct proto_msg m;

/* The event of kind for break name (NULL: none) from start to end. */
static struct reply event(const char *kind, const char *name, int64_t start, int64_t end,
                          const char *message)
{
	proto_msg_init(&m, PROTO_EVENT);
	proto_put_i64(&m, PROTO_A_NOW, NOW);
	proto_put_str(&m, PROTO_A_MESSAGE, message);
	proto_put_str(&m, PROTO_A_KIND, kind);
	if (name)
		proto_put_str(&m, PROTO_A_NAME, name);
	proto_put_str(&m, PROTO_A_LIST, "social");
	if (start)
		proto_put_i64(&m, PROTO_A_START, start);
	if (end)
		proto_put_i64(&m, PROTO_A_END, end);
	if (!strcmp(kind, "blocked"))
		proto_put_str(&m, PROTO_A_DOMAIN, "instagram.com");
	CHECK(proto_msg_finish(&m) > 0);
	return (struct reply){.payload = m.buf + PROTO_HDR_LEN,
	                      .len = m.len - PROTO_HDR_LEN,
	                      .type = PROTO_EVENT,
	                      .message = message,
	                      .now = NOW};
}

/* An allowance's warning: used of budget minutes, running out at out (0:
 * its window ends first at end). */
static struct reply allowance_warning(uint64_t used, uint64_t budget, int64_t out, int64_t end)
{
	proto_msg_init(&m, PROTO_EVENT);
	proto_put_i64(&m, PROTO_A_NOW, NOW);
	proto_put_str(&m, PROTO_A_KIND, "warning");
	proto_put_str(&m, PROTO_A_NAME, "social-time");
	proto_put_str(&m, PROTO_A_LIST, "social");
	if (out)
		proto_put_i64(&m, PROTO_A_START, out);
	proto_put_i64(&m, PROTO_A_END, end);
	proto_put_u64(&m, PROTO_A_USED, used);
	proto_put_u64(&m, PROTO_A_BUDGET, budget);
	CHECK(proto_msg_finish(&m) > 0);
	return (struct reply){.payload = m.buf + PROTO_HDR_LEN,
	                      .len = m.len - PROTO_HDR_LEN,
	                      .type = PROTO_EVENT,
	                      .now = NOW};
}

int main(void)
{
	struct notify_text t;
	struct reply r;

	setenv("TZ", "UTC", 1);
	tzset();
	r = event("warning", "work", NOW + 300, NOW + 3600, "");
	CHECK(notify_text(&r, 1000, &t));
	CHECK_STR(t.summary, "Break work starts in 5 min");
	CHECK_STR(t.body, "At 08:05 it blocks social until 09:00.");
	r = event("warning", "pause", NOW + 40, NOW + 600, "");
	CHECK(notify_text(&r, 1000, &t));
	CHECK_STR(t.summary, "Pause starts in 40 s");
	r = allowance_warning(25, 30, NOW + 360, NOW + 16 * 3600);
	CHECK(notify_text(&r, 1000, &t));
	CHECK_STR(t.summary, "social-time: 5 min left today");
	CHECK_STR(t.body,
	          "If use goes on, it runs out at 08:06 and blocks social until Sat 00:00.");
	r = allowance_warning(28, 30, 0, NOW + 60);
	CHECK(notify_text(&r, 1000, &t));
	CHECK_STR(t.summary, "social-time: 2 min left today");
	CHECK_STR(t.body, "28 of 30 min used; its time ends at 08:01 first.");
	r = event("started", "work", NOW, NOW + 3600, "");
	CHECK(notify_text(&r, 1000, &t));
	CHECK_STR(t.summary, "Break work started");
	CHECK_STR(t.body, "social is blocked until 09:00.");
	r = event("ended", "work", 0, 0, "");
	CHECK(notify_text(&r, 1000, &t));
	CHECK_STR(t.summary, "Break work ended");
	r = event("blocked", "social", 0, NOW + 3600,
	          "instagram.com was refused: break work until 09:00");
	CHECK(notify_text(&r, 1000, &t));
	CHECK_STR(t.summary, "instagram.com was refused");
	CHECK_STR(t.body, "break work until 09:00");
	/* A break for other users is not shown; one for this user is. */
	r = event("started", "kids", NOW, NOW + 3600, "");
	proto_msg_init(&m, PROTO_EVENT);
	proto_put_str(&m, PROTO_A_KIND, "started");
	long nest = proto_nest_start(&m, PROTO_A_WHOM);
	proto_put_u32(&m, PROTO_A_UID, 1001);
	proto_nest_end(&m, nest);
	CHECK(proto_msg_finish(&m) > 0);
	r.len = m.len - PROTO_HDR_LEN;
	CHECK(!notify_text(&r, 1000, &t));
	CHECK(notify_text(&r, 1001, &t));
	r = event("reloaded", NULL, 0, 0, "configuration reloaded");
	CHECK(!notify_text(&r, 1000, &t));
	CHECK_DONE();
}
