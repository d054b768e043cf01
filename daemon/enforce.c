/* Enforcement over nftables: the one place that decides what the table looks
 * like for a given set of lists in force. */
#include "enforce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "log.h"
#include "nft.h"

/* nft's `meta time` is in nanoseconds since the epoch, 64 bits: ends past
 * this (a break that is always on) mean "no end". */
#define ENFORCE_END_MAX ((time_t)(INT64_MAX / 1000000000))

struct enforce {
	struct nft *nft;
	bool blocking;
	bool strict;
};

static void log_nft(struct enforce *e, const char *what, int r)
{
	const char *why = nft_error(e->nft);

	log_error("nft: %s failed: %s", what, *why ? why : strerror(-r));
}

static uint64_t until_ns(time_t end)
{
	return end > 0 && end < ENFORCE_END_MAX ? (uint64_t)end * 1000000000u : 0;
}

int enforce_new(const struct conf *c, uint32_t mark, struct enforce **out)
{
	struct enforce *e = calloc(1, sizeof(*e));
	/* IPv6 goes to the forwarder whatever `listen` holds: to [::1] at the
	 * intercept port when `listen` has no IPv6 address. What the machine
	 * routes goes to that port of the address it arrives at. */
	struct nft_config cfg = {
	    .mark = mark,
	    .dns6 = in6addr_loopback,
	    .dns6_port = DNS_INTERCEPT_PORT,
	    .routed_port = c->intercept ? DNS_INTERCEPT_PORT : 0,
	};
	bool have4 = false, have6 = false;
	int r;

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_listen; i++) {
		const struct sockaddr_storage *ss = &c->listen[i].ss;
		if (ss->ss_family == AF_INET && !have4) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
			cfg.dns4 = sin->sin_addr;
			cfg.dns_port = ntohs(sin->sin_port);
			have4 = true;
		} else if (ss->ss_family == AF_INET6 && !have6) {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
			cfg.dns6 = sin6->sin6_addr;
			cfg.dns6_port = ntohs(sin6->sin6_port);
			have6 = true;
		}
	}
	r = nft_new(&e->nft);
	if (r < 0) {
		log_error("nft: cannot open a netlink socket: %s", strerror(-r));
		free(e);
		return r;
	}
	/* Intercept stays off until the DNS forwarder listens: redirecting port 53
	 * to nothing would take the machine's DNS away. */
	r = nft_table_replace(e->nft, &cfg);
	if (r < 0) {
		log_nft(e,
		        r == -EPERM ? "create table inet smbreak (smbreakd needs CAP_NET_ADMIN)"
		                    : "create table inet smbreak",
		        r);
		nft_free(e->nft);
		free(e);
		return r;
	}
	log_info("nft: table inet smbreak created");
	*out = e;
	return 0;
}

void enforce_apply(struct enforce *e, const struct inforce *in)
{
	bool on = in->lists != 0;
	time_t now = time(NULL);
	int r;

	r = nft_set_blocking(e->nft, on, on ? until_ns(in->end) : 0);
	if (r < 0)
		log_nft(e, on ? "add the reject rules" : "remove the reject rules", r);
	else if (on != e->blocking)
		log_info("nft: reject rules %s", on ? "in force" : "removed");
	e->blocking = on && r == 0;

	/* During a strict break no learned address may expire before it ends. */
	uint32_t floor_ms = 0;
	if (in->strict && in->end > now)
		floor_ms = in->end - now > UINT32_MAX / 1000 ? UINT32_MAX
		                                             : (uint32_t)(in->end - now) * 1000;
	if (floor_ms || e->strict) {
		r = nft_set_timeout_floor(e->nft, floor_ms);
		if (r < 0)
			log_nft(e, "set the strict timeout floor", r);
	}
	e->strict = in->strict;
}

int enforce_set_intercept(struct enforce *e, bool on)
{
	int r = nft_set_intercept(e->nft, on);

	if (r < 0)
		log_nft(e, on ? "turn the port-53 redirect on" : "turn the port-53 redirect off",
		        r);
	else
		log_info("nft: port-53 redirect to the forwarder %s", on ? "on" : "off");
	return r;
}

void enforce_learn(struct enforce *e, const struct nft_elem *add, size_t n_add,
                   const struct nft_elem *del, size_t n_del)
{
	int r;

	if (n_del && (r = nft_elements_del(e->nft, del, n_del)) < 0)
		log_nft(e, "take shared addresses out of the sets", r);
	if (n_add && (r = nft_elements_add(e->nft, add, n_add)) < 0)
		log_nft(e, "add learned addresses", r);
}

void enforce_put_status(struct enforce *e, struct proto_msg *reply)
{
	struct nft_counts n;

	if (nft_counts(e->nft, &n) < 0) {
		log_nft(e, "read the table back", -EIO);
		return;
	}
	proto_put_counter(reply, "addresses4", n.learned4);
	proto_put_counter(reply, "addresses6", n.learned6);
	proto_put_counter(reply, "reject_rules", n.block_rules);
}

void enforce_free(struct enforce *e)
{
	int r;

	if (!e)
		return;
	if (e->strict && e->blocking) {
		r = nft_table_leave(e->nft);
		if (r < 0)
			log_nft(e, "leave the table for the strict break", r);
		else
			log_notice("nft: a strict break is on: its rules and addresses stay "
			           "until it ends");
	} else {
		r = nft_table_delete(e->nft);
		if (r < 0)
			log_nft(e, "remove table inet smbreak", r);
		else
			log_info("nft: table inet smbreak removed");
	}
	nft_free(e->nft);
	free(e);
}
