/* The allowances in the break state machine: reading and writing their
 * usage, a minute of use reported by the kernel and the warning it may
 * bring, and what status and stats show of them. The decisions are
 * allowance.c's. */
#include <stdio.h>
#include <string.h>

#include "allowance.h"
#include "breaks_internal.h"
#include "log.h"

void breaks_allow_load(struct breaks *b)
{
	char err[128];
	int r = allowance_load(b->state_dir, &b->state.allow, err, sizeof(err));

	if (r == 1)
		log_error("allowances: %s/%s is unreadable (%s); kept as %s.bad, counting afresh",
		          b->state_dir, ALLOWANCE_FILE, err, ALLOWANCE_FILE);
	else if (r < 0)
		log_error("allowances: cannot read %s/%s: %s; counting afresh", b->state_dir,
		          ALLOWANCE_FILE, strerror(-r));
}

/* The `warning` event of a that w says is due: the minutes left, and when
 * the break would start if use goes on. Its start is that instant (so the
 * event's remaining counts to it), its end the window's; used and budget
 * tell smctl watch and smbreak-notify that an allowance is running out. */
static void warn_allowance(struct breaks *b, time_t now, const struct conf_allowance *a,
                           const struct allowance_warning *w)
{
	char out[64] = "", until[32], lists[256];
	uint64_t mask = policy_break_lists(&a->b);

	if (w->out) {
		char at[32];
		value_format_when(w->out, now, at, sizeof(at));
		snprintf(out, sizeof(out), ", runs out at %s if use goes on", at);
	}
	value_format_when(w->end, now, until, sizeof(until));
	policy_list_names(b->conf, mask, lists, sizeof(lists));
	struct breaks_event ev = {
	    .kind = "warning",
	    .name = a->b.name,
	    .lists = mask,
	    .whom = whom_everyone(&a->b.whom) ? NULL : &a->b.whom,
	    .start = w->out,
	    .end = w->end,
	    .used = w->used,
	    .budget = w->per_day,
	};
	breaks_event(b, now, &ev, "allowance %s: %u min left today (%u of %u used)%s: lists %s",
	             a->b.name, w->per_day - w->used, w->used, w->per_day, out, lists);
}

void breaks_used(struct breaks *b, const char *name)
{
	const struct conf_allowance *a = conf_find_allowance(b->conf, name);
	struct policy_clock clk;

	if (!a)
		return; /* a rule of the configuration before a reload */
	breaks_clock(b, &clk);
	if (!allowance_mark(&b->state.allow, a, clk.now))
		return;
	struct allowance_now an;
	struct allowance_warning w;
	allowance_eval(a, &b->state.allow, clk.now, &an);
	log_debug("allowance %s: %u of %u minutes used", name, an.used, an.per_day);
	bool warn = allowance_warn(&b->state.allow, a, clk.now, &w);
	/* Saved before the warning goes out: a crash then loses the warning,
	 * never gives it twice. */
	int r = allowance_save(b->state_dir, &b->state.allow);
	if (r < 0)
		log_error("allowances: cannot write %s/%s: %s", b->state_dir, ALLOWANCE_FILE,
		          strerror(-r));
	if (warn)
		warn_allowance(b, clk.now, a, &w);
	breaks_evaluate(b);
}

void breaks_allow_put(const struct breaks *b, struct proto_msg *reply, bool status)
{
	for (size_t i = 0; i < b->conf->n_allowances; i++) {
		const struct conf_allowance *a = &b->conf->allowances[i];
		struct allowance_now an;

		allowance_eval(a, &b->state.allow, b->pol.now, &an);
		long nest = proto_nest_start(reply, PROTO_A_ALLOWANCE);
		if (nest < 0)
			return;
		proto_put_str(reply, PROTO_A_NAME, a->b.name);
		proto_put_u64(reply, PROTO_A_USED, an.used);
		if (status) {
			proto_put_u64(reply, PROTO_A_BUDGET, an.per_day);
			if (a->b.strict)
				proto_put_flag(reply, PROTO_A_STRICT);
			if (an.on) {
				proto_put_flag(reply, PROTO_A_ON);
				proto_put_i64(reply, PROTO_A_END, an.end);
			}
		}
		proto_nest_end(reply, nest);
	}
}

void breaks_allow_put_day(const struct breaks *b, struct proto_msg *reply, uint32_t date)
{
	for (size_t i = 0; i < b->conf->n_allowances; i++) {
		const char *name = b->conf->allowances[i].b.name;
		long nest = proto_nest_start(reply, PROTO_A_ALLOWANCE);
		if (nest < 0)
			return;
		proto_put_str(reply, PROTO_A_NAME, name);
		proto_put_u64(reply, PROTO_A_USED, allowance_used(&b->state.allow, name, date));
		proto_nest_end(reply, nest);
	}
}
