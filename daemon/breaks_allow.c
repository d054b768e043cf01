/* The allowances in the break state machine: reading and writing their
 * usage, a minute of use reported by the kernel, and what status and stats
 * show of them. The decisions are allowance.c's. */
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
	allowance_eval(a, &b->state.allow, clk.now, &an);
	log_debug("allowance %s: %u of %u minutes used", name, an.used, an.per_day);
	int r = allowance_save(b->state_dir, &b->state.allow);
	if (r < 0)
		log_error("allowances: cannot write %s/%s: %s", b->state_dir, ALLOWANCE_FILE,
		          strerror(-r));
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
