/* The neighbour table's plumbing: a libnl cache manager for route/neigh,
 * its socket in the event loop, and each change it reports mirrored into
 * the neigh_tab that the DNS layer asks (neigh_tab.c holds the decisions). */
#include "neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <netlink/cache.h>
#include <netlink/route/neighbour.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "log.h"

#define NEIGH_RCVBUF (1 << 20) /* bytes of notifications the socket holds */

struct neigh {
	struct event_base *base;
	struct nl_cache_mngr *mngr;
	struct nl_cache *cache;
	struct event *ev;
	bool full_logged; /* "table full" said once */
	struct neigh_tab tab;
};

/* An entry with a link-layer address is a neighbour; FAILED and INCOMPLETE
 * ones have none, or a stale one, and are dropped. */
static void mirror(struct neigh *n, struct rtnl_neigh *o, bool gone)
{
	struct nl_addr *dst = rtnl_neigh_get_dst(o), *ll = rtnl_neigh_get_lladdr(o);
	int family = rtnl_neigh_get_family(o);
	int state = rtnl_neigh_get_state(o);

	if (!dst || (family != AF_INET && family != AF_INET6) ||
	    nl_addr_get_len(dst) != (family == AF_INET ? 4 : 16))
		return;
	const uint8_t *addr = nl_addr_get_binary_addr(dst);
	if (gone || !ll || nl_addr_get_len(ll) != 6 ||
	    (state >= 0 && (state & (NUD_FAILED | NUD_INCOMPLETE)))) {
		neigh_tab_del(&n->tab, family, addr);
		return;
	}
	if (neigh_tab_put(&n->tab, family, addr, nl_addr_get_binary_addr(ll),
	                  rtnl_neigh_get_ifindex(o)) == -ENOSPC &&
	    !n->full_logged) {
		log_warn("neigh: more than %d neighbours; the others are not told apart",
		         NEIGH_MAX);
		n->full_logged = true;
	}
}

static void on_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	(void)cache;
	mirror(arg, (struct rtnl_neigh *)obj, action == NL_ACT_DEL);
}

static void on_each(struct nl_object *obj, void *arg)
{
	mirror(arg, (struct rtnl_neigh *)obj, false);
}

static void on_ready(evutil_socket_t fd, short what, void *arg);

static void unsubscribe(struct neigh *n)
{
	if (n->ev)
		event_free(n->ev);
	if (n->mngr)
		nl_cache_mngr_free(n->mngr);
	n->ev = NULL;
	n->mngr = NULL;
	n->cache = NULL;
}

/* A cache manager, the whole table read into it and mirrored, and its
 * socket in the loop; the socket's buffer holds a burst of changes (a
 * bridge coming up with a houseful of devices). */
static int subscribe(struct neigh *n)
{
	int r, rcvbuf = NEIGH_RCVBUF;

	if ((r = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, 0, &n->mngr)) < 0 ||
	    (r = nl_cache_mngr_add(n->mngr, "route/neigh", on_change, n, &n->cache)) < 0) {
		log_error("neigh: cannot read the neighbour table: %s", nl_geterror(r));
		unsubscribe(n);
		return -EIO;
	}
	int fd = nl_cache_mngr_get_fd(n->mngr);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	nl_cache_foreach(n->cache, on_each, n);
	n->ev = event_new(n->base, fd, EV_READ | EV_PERSIST, on_ready, n);
	if (!n->ev || event_add(n->ev, NULL) < 0) {
		unsubscribe(n);
		return -ENOMEM;
	}
	return 0;
}

/* A failed read (the kernel dropped notifications when the buffer was
 * full) leaves the mirror out of date: read the whole table again. */
static void on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct neigh *n = arg;
	(void)fd, (void)what;

	int r = nl_cache_mngr_data_ready(n->mngr);
	if (r >= 0)
		return;
	log_warn("neigh: neighbour notifications lost (%s); reading the table again",
	         nl_geterror(r));
	const struct conf *c = n->tab.conf;
	unsubscribe(n);
	neigh_tab_init(&n->tab, c);
	if (subscribe(n) < 0)
		log_error("neigh: the LAN's devices are not told apart until a restart");
}

int neigh_new(struct event_base *base, const struct conf *c, struct neigh **out)
{
	struct neigh *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->base = base;
	neigh_tab_init(&n->tab, c);
	int r = subscribe(n);
	if (r < 0) {
		free(n);
		return r;
	}
	log_info("neigh: %zu neighbours known", n->tab.n);
	*out = n;
	return 0;
}

void neigh_free(struct neigh *n)
{
	if (!n)
		return;
	unsubscribe(n);
	free(n);
}

void neigh_set_conf(struct neigh *n, const struct conf *c)
{
	neigh_tab_set_conf(&n->tab, c);
}

const struct neigh_tab *neigh_table(const struct neigh *n)
{
	return &n->tab;
}
