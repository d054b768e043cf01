/* smctl's human form of the allowances: one line each in `smctl status`
 * ("social-time: 12m of 30m used today, 18m left") and their minutes per
 * day in `smctl stats`. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "smctl.h"
#include "value.h"

/* An allowance nest of a reply. */
struct allow {
	const char *name;
	uint64_t used, budget;
	bool on, strict;
	int64_t end;
};

static void allow_parse(const struct proto_attr *nest, struct allow *a)
{
	struct proto_iter it;
	struct proto_attr d;

	*a = (struct allow){.name = "?"};
	proto_attr_nest(nest, &it);
	while (proto_iter_next(&it, &d)) {
		if (d.type == PROTO_A_NAME)
			a->name = proto_attr_str(&d);
		else if (d.type == PROTO_A_USED)
			a->used = proto_attr_u64(&d);
		else if (d.type == PROTO_A_BUDGET)
			a->budget = proto_attr_u64(&d);
		else if (d.type == PROTO_A_ON)
			a->on = true;
		else if (d.type == PROTO_A_STRICT)
			a->strict = true;
		else if (d.type == PROTO_A_END)
			a->end = proto_attr_i64(&d);
	}
}

void output_allowances(const struct reply *r)
{
	struct proto_iter it;
	struct proto_attr at;

	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &at)) {
		struct allow a;
		char used[32], budget[32], left[32], when[32];

		if (at.type != PROTO_A_ALLOWANCE)
			continue;
		allow_parse(&at, &a);
		value_format_duration(a.used * 60, used, sizeof(used));
		value_format_duration(a.budget * 60, budget, sizeof(budget));
		value_format_duration(a.used < a.budget ? (a.budget - a.used) * 60 : 0, left,
		                      sizeof(left));
		printf("Allowance: %s: %s of %s used today, %s left", a.name, used, budget, left);
		if (a.on) {
			value_format_when((time_t)a.end, (time_t)r->now, when, sizeof(when));
			printf("; blocked until %s", when);
		}
		printf("%s\n", a.strict ? " (strict)" : "");
	}
}

void output_allowance_days(const struct reply *r)
{
	struct proto_iter it, dit;
	struct proto_attr at, d;
	bool header = false;

	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &at)) {
		const char *date = "";

		if (at.type != PROTO_A_DAY)
			continue;
		proto_attr_nest(&at, &dit);
		while (proto_iter_next(&dit, &d)) {
			struct allow a;
			char used[32];

			if (d.type == PROTO_A_DATE)
				date = proto_attr_str(&d);
			if (d.type != PROTO_A_ALLOWANCE)
				continue;
			allow_parse(&d, &a);
			if (!a.used)
				continue;
			if (!header)
				printf("\n%-10s  %-12s %6s\n", "allowances", "", "used");
			header = true;
			value_format_duration(a.used * 60, used, sizeof(used));
			printf("%-10s  %-12s %6s\n", date, a.name, used);
		}
	}
}
