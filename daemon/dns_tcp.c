/* The forwarder's TCP clients (RFC 7766): accepted within a bound, the
 * idlest one making room; their length-prefixed queries read with a bound
 * on those in flight per client, pipelined ones included; their answers
 * written; a client freed only once its last query is done. */
#include "dns_int.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <unistd.h>

#include "dns_msg.h"

void dns_tcp_send(struct tcp_client *tc, const uint8_t *pkt, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	if (!tc->bev)
		return;
	bufferevent_write(tc->bev, hdr, 2);
	bufferevent_write(tc->bev, pkt, len);
}

static void tcp_client_close(struct tcp_client *tc)
{
	struct dns *dns = tc->dns;

	if (tc->bev) {
		bufferevent_free(tc->bev);
		tc->bev = NULL;
		dns->n_tcp--;
		if (tc->prev)
			tc->prev->next = tc->next;
		else
			dns->tcp_clients = tc->next;
		if (tc->next)
			tc->next->prev = tc->prev;
	}
	if (!tc->pending)
		free(tc);
}

/* One of the client's queries is done; frees a client that left meanwhile. */
void dns_tcp_release(struct tcp_client *tc)
{
	tc->pending--;
	if (!tc->bev) {
		if (!tc->pending)
			free(tc);
		return;
	}
	if (!tc->reading && tc->pending < DNS_TCP_PENDING_MAX) {
		tc->reading = true;
		bufferevent_enable(tc->bev, EV_READ);
		/* Queries a pipelining client wrote at once may all be read
		 * already: no new byte would call on_tcp_read for them. Deferred,
		 * since this runs inside the relay's handling of a slot. */
		if (evbuffer_get_length(bufferevent_get_input(tc->bev)) >= 2)
			bufferevent_trigger(tc->bev, EV_READ,
			                    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	}
}

static void on_tcp_read(struct bufferevent *bev, void *arg)
{
	struct tcp_client *tc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t *pkt = tc->dns->tcp_buf;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);

	getpeername(bufferevent_getfd(bev), (struct sockaddr *)&from, &fromlen);
	while (evbuffer_get_length(in) >= 2) {
		uint8_t hdr[2];
		evbuffer_copyout(in, hdr, 2);
		size_t len = (size_t)hdr[0] << 8 | hdr[1];
		if (len < DNS_MSG_HDR_LEN) {
			tcp_client_close(tc); /* not DNS: the connection goes */
			return;
		}
		if (evbuffer_get_length(in) < 2 + len)
			return;
		if (tc->pending >= DNS_TCP_PENDING_MAX) {
			tc->reading = false;
			bufferevent_disable(bev, EV_READ);
			return;
		}
		evbuffer_drain(in, 2);
		evbuffer_remove(in, pkt, len);
		event_base_gettimeofday_cached(tc->dns->base, &tc->active);
		dns_handle_query(tc->dns, pkt, len, -1, &from, fromlen, tc);
		if (!tc->bev)
			return;
	}
}

static void on_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev, (void)what;
	tcp_client_close(arg); /* EOF, error or idle timeout */
}

/* The table of TCP clients is full: the one idle longest (no query in
 * flight, the oldest last query) makes room, as authoritative servers do,
 * so that idle connections cannot shut every TCP client out; a client that
 * floods connections loses its own first. False when every one is busy. */
static bool tcp_evict_idlest(struct dns *dns)
{
	struct tcp_client *idlest = NULL;

	for (struct tcp_client *tc = dns->tcp_clients; tc; tc = tc->next)
		if (!tc->pending && (!idlest || timercmp(&tc->active, &idlest->active, <)))
			idlest = tc;
	if (!idlest)
		return false;
	dns->n.tcp_evicted++;
	tcp_client_close(idlest);
	return true;
}

void dns_on_tcp_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                       int salen, void *arg)
{
	struct listener *l = arg;
	struct dns *dns = l->dns;
	struct timeval idle = {DNS_TCP_IDLE_SECS, 0};
	struct tcp_client *tc;

	(void)lev, (void)sa, (void)salen;
	if ((dns->n_tcp >= DNS_TCP_CLIENTS_MAX && !tcp_evict_idlest(dns)) ||
	    !(tc = calloc(1, sizeof(*tc)))) {
		dns->n.tcp_rejected++;
		close(fd);
		return;
	}
	tc->dns = dns;
	event_base_gettimeofday_cached(dns->base, &tc->active);
	tc->bev = bufferevent_socket_new(dns->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!tc->bev) {
		close(fd);
		free(tc);
		return;
	}
	dns->n_tcp++;
	tc->next = dns->tcp_clients;
	if (tc->next)
		tc->next->prev = tc;
	dns->tcp_clients = tc;
	tc->reading = true;
	bufferevent_setcb(tc->bev, on_tcp_read, NULL, on_tcp_event, tc);
	bufferevent_set_timeouts(tc->bev, &idle, &idle);
	bufferevent_enable(tc->bev, EV_READ | EV_WRITE);
}

void dns_tcp_close_all(struct dns *dns)
{
	while (dns->tcp_clients)
		tcp_client_close(dns->tcp_clients);
}
