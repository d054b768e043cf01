/* libFuzzer target for the nf_tables bytes the daemon reads from the kernel:
 * notification datagrams (nft_mon_feed, which must count or refuse, never
 * read past the datagram) and element dump replies (nft_msg_parse_elems,
 * every element an IPv4 or IPv6 address). The input is the datagram; its
 * first message is also taken as a dump reply. */
#include "nft_mon.h"
#include "nft_msg.h"

#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void elem(const struct nft_elem_info *e, void *arg)
{
	if (e->family != AF_INET && e->family != AF_INET6)
		abort();
	(*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nft_mon m = {.self = 1234};
	size_t n = 0;
	/* netlink messages are read into an aligned buffer of their own size */
	void *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	int r = nft_mon_feed(&m, copy, size);
	if (r < -4096 || memchr(m.comm, '\0', sizeof(m.comm)) == NULL)
		abort();
	const struct nlmsghdr *h = copy;
	if (size >= sizeof(*h) && h->nlmsg_len >= sizeof(*h) && h->nlmsg_len <= size) {
		int k = nft_msg_parse_elems(h, elem, &n);
		if (k >= 0 && (size_t)k != n)
			abort();
	}
	free(copy);
	return 0;
}
