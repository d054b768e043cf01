/* Binding the forwarder's listeners: each `listen` address on the socket
 * systemd handed over for it where there is one, else bound here, and the
 * listeners at DNS_INTERCEPT_PORT for intercepted traffic. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dns_int.h"
#include "log.h"

/* The listeners at DNS_INTERCEPT_PORT beside `listen`. [::1] is UDP only: a
 * socket bound to exactly that address answers from it, which conntrack
 * needs to map the answer back to the server the query was sent to (one on
 * [::] would answer from the client's own address); TCP connections carry
 * their local address, so the one on [::] takes them all. */
static const struct {
	const char *addr;
	bool tcp;
} intercept_listeners[] = {{"[::1]", false}, {"0.0.0.0", true}, {"[::]", true}};
static void set_rcvbuf(int fd, int type)
{
	/* Whatever holds the loop for a moment (a burst of learned addresses to
	 * commit, a slow disk under the state file), the queries of that time
	 * wait in this buffer instead of being dropped. */
	int size = DNS_UDP_RCVBUF;

	if (type == SOCK_DGRAM &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

static bool ipv6_available(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno != EAFNOSUPPORT;
	close(fd);
	return true;
}

/* The socket handed over by systemd for this address, else one of our own;
 * *inherited says which. */
static int bind_socket(struct listenfd *lf, const struct value_addr *a, int type, bool *inherited)
{
	int one = 1;
	int fd = listenfd_take(lf, a, type);

	*inherited = fd >= 0;
	if (fd >= 0) {
		set_rcvbuf(fd, type);
		return fd;
	}
	fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Listen on 127.0.0.153 or a LAN address before it is configured. */
	setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	set_rcvbuf(fd, type);
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* Says why a listener could not be had, with what to do where there is
 * something; `intercept`: one at DNS_INTERCEPT_PORT, whose purpose the
 * sentence names, since no `listen` line does. */
static void log_listen_error(const char *name, const char *proto, int err, bool intercept)
{
	const char *what = intercept ? ", where the port-53 redirect of `intercept = yes` sends "
	                               "the machine's IPv6 queries and those it routes"
	                             : "";

	if (err == -EACCES)
		log_error("dns: cannot listen on %s (%s)%s: %s; under systemd, ports below 1024 "
		          "come from smbreakd.socket: add the address there too (`systemctl edit "
		          "smbreakd.socket`, ListenDatagram= and ListenStream=), or run smbreakd "
		          "with CAP_NET_BIND_SERVICE",
		          name, proto, what, strerror(-err));
	else if (intercept && err == -EADDRINUSE)
		log_error("dns: cannot listen on %s (%s)%s: %s; port %d must be free for smbreakd "
		          "to intercept (or set intercept = no)",
		          name, proto, what, strerror(-err), DNS_INTERCEPT_PORT);
	else
		log_error("dns: cannot listen on %s (%s)%s: %s", name, proto, what, strerror(-err));
}

int dns_listen_on(struct dns *dns, const struct value_addr *a, bool tcp, bool intercept,
                  struct listenfd *inherited)
{
	struct listener *l = &dns->listeners[dns->n_listeners];
	char name[80];
	int tfd = -1;
	bool udp_inherited, tcp_inherited = false;

	value_addr_format(a, name, sizeof(name));
	l->dns = dns;
	l->udp = bind_socket(inherited, a, SOCK_DGRAM, &udp_inherited);
	if (l->udp < 0) {
		log_listen_error(name, "UDP", l->udp, intercept);
		return l->udp;
	}
	dns->n_listeners++;
	if (tcp) {
		tfd = bind_socket(inherited, a, SOCK_STREAM, &tcp_inherited);
		if (tfd < 0) {
			log_listen_error(name, "TCP", tfd, intercept);
			return tfd;
		}
		l->tcp = evconnlistener_new(dns->base, dns_on_tcp_accept, l, LEV_OPT_CLOSE_ON_FREE,
		                            -1, tfd);
	}
	l->udp_ev = event_new(dns->base, l->udp, EV_READ | EV_PERSIST, dns_on_udp, l);
	if ((tcp && !l->tcp) || !l->udp_ev || event_add(l->udp_ev, NULL) < 0) {
		if (tcp && !l->tcp)
			close(tfd);
		return -ENOMEM;
	}
	log_info("dns: listening on %s (%s%s)%s", name, tcp ? "UDP and TCP" : "UDP",
	         udp_inherited && (tcp_inherited || !tcp) ? ", from systemd"
	         : udp_inherited || tcp_inherited         ? ", one from systemd"
	                                                  : "",
	         intercept ? " for intercepted queries" : "");
	return 0;
}

/* The listeners at DNS_INTERCEPT_PORT. Without IPv6 in the kernel there is
 * no IPv6 traffic to intercept either, so those are left out. */
int dns_listen_intercept(struct dns *dns, struct listenfd *inherited)
{
	for (size_t i = 0; i < sizeof(intercept_listeners) / sizeof(intercept_listeners[0]); i++) {
		struct value_addr a;
		int r = value_parse_addr(intercept_listeners[i].addr, DNS_INTERCEPT_PORT, &a);
		if (r < 0)
			return r;
		if (a.ss.ss_family == AF_INET6 && !ipv6_available()) {
			log_info("dns: no IPv6 in this kernel: not listening on %s",
			         intercept_listeners[i].addr);
			continue;
		}
		r = dns_listen_on(dns, &a, intercept_listeners[i].tcp, true, inherited);
		if (r < 0)
			return r;
	}
	dns->intercept_bound = true;
	return 0;
}
