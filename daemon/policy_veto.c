/* The judgements of a reload against what is in force (see policy.h): the
 * strict veto (what a strict break or pause refuses to lose) and the unlock
 * wait (what a break with an unlock delay makes wait), both comparing the
 * old configuration's lists, names and keys with the new one's. */
#include "policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "allowance.h"
#include "domains.h"
#include "users.h"

/* Each of need[] that is not in have[] is one error "WHY: list 'L' cannot
 * VERB KIND 'x'". */
static size_t report_missing(char *const *need, size_t n, char *const *have, size_t m,
                             const char *why, const char *list, const char *what,
                             struct conf_errors *errs)
{
	size_t lost = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < m && strcmp(need[i], have[j]) != 0)
			j++;
		if (j < m)
			continue;
		conf_errors_add(errs, "%s: list '%s' cannot %s '%s'", why, list, what, need[i]);
		lost++;
	}
	return lost;
}

/* A list under a strict break may gain entries but not lose any, and may not
 * gain allow entries. */
static size_t check_list_kept(const struct conf_list *o, const struct conf *nc, const char *why,
                              struct conf_errors *errs)
{
	const struct conf_list *n = conf_find_list(nc, o->name);

	if (!n) {
		conf_errors_add(errs, "%s: list '%s' cannot be removed", why, o->name);
		return 1;
	}
	return report_missing(o->domains, o->n_domains, n->domains, n->n_domains, why, o->name,
	                      "lose domain", errs) +
	       report_missing(o->services, o->n_services, n->services, n->n_services, why, o->name,
	                      "lose service", errs) +
	       report_missing(o->files, o->n_files, n->files, n->n_files, why, o->name, "lose file",
	                      errs) +
	       report_missing(n->allow, n->n_allow, o->allow, o->n_allow, why, o->name,
	                      "gain allow entry", errs);
}

static size_t check_lists_kept(const struct conf *oc, uint64_t mask, const struct conf *nc,
                               const char *why, struct conf_errors *errs)
{
	size_t lost = 0;

	for (size_t i = 0; i < oc->n_lists && i < SMB_LISTS_MAX; i++)
		if (mask & (UINT64_C(1) << i))
			lost += check_list_kept(&oc->lists[i], nc, why, errs);
	return lost;
}

/* A break may not leave out anyone it is for: one for everyone may not
 * become one for some users, one for users may not lose any of them. */
/* A device a strict break or pause is for keeps its name, and every MAC
 * and range it is known by: a device renamed, or given another MAC, would
 * leave the phone the break holds free. */
static size_t check_device_kept(const struct conf *oc, size_t d, const struct conf *nc,
                                const char *why, struct conf_errors *errs)
{
	const struct conf_device *o = &oc->devices[d];
	int k = conf_find_device(nc, o->name);
	size_t lost = 0;

	if (k < 0) {
		conf_errors_add(errs, "%s: device '%s' cannot be removed", why, o->name);
		return 1;
	}
	const struct conf_device *n = &nc->devices[k];
	for (size_t i = 0; i < o->n_macs; i++) {
		size_t j = 0;
		while (j < n->n_macs && memcmp(o->macs[i], n->macs[j], 6) != 0)
			j++;
		if (j == n->n_macs) {
			conf_errors_add(errs, "%s: device '%s' cannot lose a MAC", why, o->name);
			lost++;
		}
	}
	for (size_t i = 0; i < o->n_addresses; i++) {
		const struct conf_range *a = &o->addresses[i];
		size_t j = 0;
		while (j < n->n_addresses &&
		       (n->addresses[j].family != a->family || n->addresses[j].len != a->len ||
		        memcmp(n->addresses[j].addr, a->addr, sizeof(a->addr)) != 0))
			j++;
		if (j == n->n_addresses) {
			conf_errors_add(errs, "%s: device '%s' cannot lose an address", why,
			                o->name);
			lost++;
		}
	}
	return lost;
}

size_t policy_whom_kept(const struct conf *oc, const struct conf_break *ob, const struct conf *nc,
                        const struct conf_break *nb, const char *why, struct conf_errors *errs)
{
	size_t lost = 0;

	if (whom_everyone(&nb->whom))
		return 0;
	if (whom_everyone(&ob->whom)) {
		conf_errors_add(errs, "%s: the break cannot be narrowed to some users or devices",
		                why);
		return 1;
	}
	for (uint32_t i = 0; i < ob->whom.n_uids; i++) {
		struct whom_id id = {.have_uid = true, .uid = ob->whom.uids[i], .device = -1};
		if (id.uid == USERS_NOBODY || whom_covers(&nb->whom, &id))
			continue;
		conf_errors_add(errs, "%s: the break cannot drop user %u", why, ob->whom.uids[i]);
		lost++;
	}
	for (size_t d = 0; d < oc->n_devices && d < SMB_DEVICES_MAX; d++) {
		if (!(ob->whom.devices >> d & 1u))
			continue;
		int k = conf_find_device(nc, oc->devices[d].name);
		if (k >= 0 && !(nb->whom.devices >> k & 1u)) {
			conf_errors_add(errs, "%s: the break cannot drop device '%s'", why,
			                oc->devices[d].name);
			lost++;
			continue;
		}
		lost += check_device_kept(oc, d, nc, why, errs);
	}
	return lost;
}

/* A strict scheduled break must stay strict, on until its end (held or
 * not), and on every list it has, and those lists whole. */
static size_t check_break_kept(const struct conf *oc, size_t i, const struct policy *op,
                               const struct conf *nc, const struct policy *np, const char *why,
                               struct conf_errors *errs)
{
	const struct conf_break *ob = &oc->breaks[i];
	const struct conf_break *nb = conf_find_break(nc, ob->name);
	const struct policy_break *n = nb ? &np->breaks[nb - nc->breaks] : NULL;
	size_t lost = 0;

	if (!nb || (ob->strict && !nb->strict) || !n->on || n->end < op->breaks[i].end) {
		conf_errors_add(errs, "%s: the break must stay %son until then", why,
		                ob->strict ? "strict and " : "");
		return 1;
	}
	lost += policy_whom_kept(oc, ob, nc, nb, why, errs);
	for (size_t j = 0; j < ob->n_lists; j++) {
		const char *name = oc->lists[ob->lists[j]].name;
		size_t k = 0;
		while (k < nb->n_lists && strcmp(nc->lists[nb->lists[k]].name, name))
			k++;
		if (k == nb->n_lists) {
			conf_errors_add(errs, "%s: the break cannot drop list '%s'", why, name);
			lost++;
		}
	}
	return lost + check_lists_kept(oc, policy_break_lists(ob), nc, why, errs);
}

/* The names blocked now (an entry of a guarded list, not allowed there)
 * that the new domains would no longer block in the list of that name. */
struct names_check {
	const struct conf *oc, *nc;
	const struct domains *od, *nd;
	uint64_t guarded;           /* old list indices */
	ssize_t map[SMB_LISTS_MAX]; /* old list index -> new, -1 when gone */
	const char *why;
	struct conf_errors *errs;
	size_t lost;
};

static int check_name(void *ctx, const char *name, size_t len, uint64_t block, uint64_t allow)
{
	struct names_check *nc = ctx;
	struct domains_match om, nm;
	uint64_t want = block & nc->guarded & ~allow;

	if (!want)
		return 0;
	domains_match(nc->od, name, len, &om);
	want &= om.lists; /* a parent's allow entry may free it already */
	if (!want)
		return 0;
	domains_match(nc->nd, name, len, &nm);
	for (size_t i = 0; i < nc->oc->n_lists && i < SMB_LISTS_MAX; i++) {
		if (!(want & (UINT64_C(1) << i)) || nc->map[i] < 0)
			continue;
		if (nm.lists & (UINT64_C(1) << nc->map[i]))
			continue;
		if (++nc->lost <= POLICY_VETO_NAMES)
			conf_errors_add(nc->errs, "%s: list '%s' would no longer block '%.*s'",
			                nc->why, nc->oc->lists[i].name, (int)len, name);
	}
	return 0;
}

/* Every name a guarded list blocks now must stay blocked by the list of the
 * same name: what the lists expand to, not the words that name them (an
 * emptied list file or service file loses names its config line still
 * has). The first POLICY_VETO_NAMES are named, the rest counted. */
static size_t check_names(const struct conf *oc, const struct conf *nc, const struct domains *od,
                          const struct domains *nd, uint64_t guarded, const char *why,
                          struct conf_errors *errs)
{
	struct names_check ck = {oc, nc, od, nd, guarded, {0}, why, errs, 0};

	for (size_t i = 0; i < oc->n_lists && i < SMB_LISTS_MAX; i++) {
		const struct conf_list *l = conf_find_list(nc, oc->lists[i].name);
		ck.map[i] = l ? (ssize_t)(l - nc->lists) : -1;
	}
	domains_foreach(od, check_name, &ck);
	if (ck.lost > POLICY_VETO_NAMES)
		conf_errors_add(errs, "%s: and %zu more names would no longer be blocked", why,
		                ck.lost - POLICY_VETO_NAMES);
	return ck.lost;
}

/* The [daemon] keys that would weaken what is blocked now. */
static size_t check_daemon_kept(const struct conf *oc, const struct conf *nc, const char *why,
                                struct conf_errors *errs)
{
	/* REFUSED sends a client on to its next resolver; the others stop it. */
	static const int strength[] = {
	    [CONF_ANSWER_NXDOMAIN] = 2, [CONF_ANSWER_NULL] = 2, [CONF_ANSWER_REFUSED] = 1};
	char a[64];
	size_t lost = 0;

	if (oc->intercept && !nc->intercept) {
		conf_errors_add(errs, "%s: intercept cannot be turned off", why);
		lost++;
	}
	for (size_t i = 0; i < oc->n_listen; i++) {
		size_t j = 0;
		while (j < nc->n_listen &&
		       (nc->listen[j].len != oc->listen[i].len ||
		        memcmp(&nc->listen[j].ss, &oc->listen[i].ss, oc->listen[i].len) != 0))
			j++;
		if (j < nc->n_listen)
			continue;
		value_addr_format(&oc->listen[i], a, sizeof(a));
		conf_errors_add(errs, "%s: listen cannot lose %s", why, a);
		lost++;
	}
	if (strength[nc->blocked_answer] < strength[oc->blocked_answer]) {
		conf_errors_add(errs,
		                "%s: blocked_answer cannot become refused (clients would ask "
		                "another resolver)",
		                why);
		lost++;
	}
	if (nc->learn_min < oc->learn_min || nc->learn_max < oc->learn_max) {
		conf_errors_add(errs, "%s: learn_min and learn_max cannot be lowered", why);
		lost++;
	}
	return lost;
}

/* What a loosening is judged against: the strict breaks and pause in force
 * (a veto), or the others that have an unlock delay (a wait). */
enum guard { GUARD_STRICT, GUARD_DELAYED };

static bool guarded_break(const struct conf_break *b, enum guard g)
{
	return g == GUARD_STRICT ? b->strict : !b->strict && b->unlock_delay > 0;
}

static int judge(const struct conf *oc, const struct conf *nc, const struct domains *od,
                 const struct domains *nd, const struct state *s, const struct policy_clock *clk,
                 enum guard g, struct conf_errors *errs, uint32_t *delay)
{
	const char *verb = g == GUARD_STRICT ? "refused during" : "delayed by";
	struct policy op, np;
	char why[128], when[32];
	uint64_t guarded = 0;
	int lost = 0;

	if (policy_eval(oc, s, clk, &op) < 0)
		return -ENOMEM;
	if (policy_eval(nc, s, clk, &np) < 0) {
		policy_clear(&op);
		return -ENOMEM;
	}
	if (g == GUARD_STRICT && op.pause_strict) {
		value_format_when(op.pause_strict_end, op.now, when, sizeof(when));
		snprintf(why, sizeof(why), "refused during the strict pause (until %s)", when);
		lost += (int)check_lists_kept(oc, op.pause_lists, nc, why, errs);
		guarded |= op.pause_lists;
		/* its devices by name: one gone, or known by other MACs, would end
		 * the pause for it */
		for (size_t i = 0; i < s->adhoc.n_devices; i++) {
			int d = conf_find_device(oc, s->adhoc.devices[i]);
			if (d >= 0)
				lost += (int)check_device_kept(oc, (size_t)d, nc, why, errs);
		}
	}
	for (size_t i = 0; i < oc->n_breaks; i++) {
		const struct conf_break *ob = &oc->breaks[i];

		if (!guarded_break(ob, g) || !op.breaks[i].on)
			continue;
		value_format_when(op.breaks[i].end, op.now, when, sizeof(when));
		snprintf(why, sizeof(why), "%s %sbreak '%s' (until %s)", verb,
		         g == GUARD_STRICT ? "strict " : "the unlock delay of ", ob->name, when);
		lost += (int)check_break_kept(oc, i, &op, nc, &np, why, errs);
		guarded |= policy_break_lists(ob);
		if (delay && ob->unlock_delay > *delay)
			*delay = ob->unlock_delay;
	}
	if (guarded) {
		snprintf(why, sizeof(why), "%s a %s break", verb,
		         g == GUARD_STRICT ? "strict" : "delayed");
		lost += (int)check_daemon_kept(oc, nc, why, errs);
		if (od && nd)
			lost += (int)check_names(oc, nc, od, nd, guarded, why, errs);
	}
	policy_clear(&op);
	policy_clear(&np);
	return lost;
}

int policy_veto(const struct conf *oc, const struct conf *nc, const struct domains *od,
                const struct domains *nd, const struct state *s, const struct policy_clock *clk,
                struct conf_errors *errs)
{
	int r = judge(oc, nc, od, nd, s, clk, GUARD_STRICT, errs, NULL);
	int a = r < 0 ? 0 : allowance_veto(oc, nc, clk->now, errs);
	return r < 0 ? r : a < 0 ? a : r + a;
}

int policy_unlock_wait(const struct conf *oc, const struct conf *nc, const struct domains *od,
                       const struct domains *nd, const struct state *s,
                       const struct policy_clock *clk, struct conf_errors *errs, uint32_t *delay)
{
	*delay = 0;
	int r = judge(oc, nc, od, nd, s, clk, GUARD_DELAYED, errs, delay);
	if (r <= 0)
		*delay = 0;
	return r;
}
