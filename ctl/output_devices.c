/* smctl devices in the human form: a block per configured device (its MACs
 * and ranges, the addresses the router sees it at, what is blocked for it
 * and until when), then the LAN neighbours that are no configured device. */
#include <stdio.h>
#include <string.h>

#include "smctl.h"
#include "value.h"

#define ROW_MAX 1024 /* one printed row of words */

/* Appends word to row, space-separated, as far as it fits. */
static void add_word(char *row, const char *word)
{
	size_t n = strlen(row);

	if (n + strlen(word) + 2 < ROW_MAX)
		snprintf(row + n, ROW_MAX - n, "%s%s", n ? " " : "", word);
}

static void print_device(const struct proto_attr *nest, int64_t now)
{
	char macs[ROW_MAX] = "", addrs[ROW_MAX] = "", lists[ROW_MAX] = "", until[40] = "";
	const char *name = "?";
	struct proto_iter it;
	struct proto_attr a;

	proto_attr_nest(nest, &it);
	while (proto_iter_next(&it, &a)) {
		if (a.type == PROTO_A_NAME)
			name = proto_attr_str(&a);
		else if (a.type == PROTO_A_MAC || a.type == PROTO_A_RANGES)
			add_word(macs, proto_attr_str(&a));
		else if (a.type == PROTO_A_ADDRESSES)
			add_word(addrs, proto_attr_str(&a));
		else if (a.type == PROTO_A_INFORCE)
			add_word(lists, proto_attr_str(&a));
		else if (a.type == PROTO_A_END)
			value_format_when((time_t)proto_attr_i64(&a), (time_t)now, until,
			                  sizeof(until));
	}
	printf("%-16s %s\n", name, macs);
	printf("  %-10s %s\n", "seen at", addrs[0] ? addrs : "(not in the neighbour table now)");
	if (lists[0] && until[0])
		printf("  %-10s %s until %s\n", "blocked", lists, until);
	else
		printf("  %-10s %s\n", "blocked", lists[0] ? lists : "nothing now");
}

void output_devices(const struct reply *r)
{
	struct proto_iter it, nit;
	struct proto_attr a, n;
	bool header = false;

	if (r->result != PROTO_RESULT_OK)
		return;
	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		if (a.type == PROTO_A_DEVICE) {
			print_device(&a, r->now);
			continue;
		}
		if (a.type != PROTO_A_NEIGHBOUR)
			continue;
		const char *addr = "?", *mac = "?";
		proto_attr_nest(&a, &nit);
		while (proto_iter_next(&nit, &n))
			if (n.type == PROTO_A_ADDRESSES)
				addr = proto_attr_str(&n);
			else if (n.type == PROTO_A_MAC)
				mac = proto_attr_str(&n);
		if (!header)
			printf("on the LAN, no configured device:\n");
		header = true;
		printf("  %-40s %s\n", addr, mac);
	}
}

int output_status_devices(const struct reply *r)
{
	struct proto_iter it, nit;
	struct proto_attr a, n;
	int count = 0;

	proto_iter_init(&it, r->payload, r->len);
	while (proto_iter_next(&it, &a)) {
		char lists[ROW_MAX] = "", until[40] = "";
		const char *name = "?";

		if (a.type != PROTO_A_DEVICE)
			continue;
		proto_attr_nest(&a, &nit);
		while (proto_iter_next(&nit, &n))
			if (n.type == PROTO_A_NAME)
				name = proto_attr_str(&n);
			else if (n.type == PROTO_A_INFORCE)
				add_word(lists, proto_attr_str(&n));
			else if (n.type == PROTO_A_END)
				value_format_when((time_t)proto_attr_i64(&n), (time_t)r->now, until,
				                  sizeof(until));
		printf("Blocking:  %s, for device %s%s%s\n", lists, name, until[0] ? " until " : "",
		       until);
		count++;
	}
	return count;
}
