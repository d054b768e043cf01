/* Who sent a query: the uid owning the local socket at the other end of a
 * UDP datagram or TCP connection, asked of the kernel through sock_diag
 * (NETLINK_SOCK_DIAG, one exact lookup per query, no dump). Used by the
 * forwarder only while some break is for some users. */
#ifndef SMB_SOCKUID_H
#define SMB_SOCKUID_H

#include <stdint.h>
#include <sys/socket.h>

struct sockuid;

/* 0 or a negative errno. */
int sockuid_new(struct sockuid **out);
void sockuid_free(struct sockuid *s);
/* The uid of the local socket of protocol (IPPROTO_UDP or IPPROTO_TCP) whose
 * address is peer and that talks to local (the address the query arrived
 * at: a socket connected elsewhere does not match). 0, -ENOENT when no
 * local socket has that address (a query from another machine, or one
 * gone already), or a negative errno. */
int sockuid_lookup(struct sockuid *s, int protocol, const struct sockaddr_storage *peer,
                   const struct sockaddr_storage *local, uint32_t *uid);

#endif
