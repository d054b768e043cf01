/* Fuzz target for the hosts(5) reader: any bytes give entries whose name
 * lies inside the input, holds no blank, '#', newline or NUL, is 1 to 253 bytes,
 * and whose address prints and parses back to itself. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const char *start;
	size_t size;
};

static void on_entry(void *ctx, int family, const uint8_t *addr, const char *name, size_t len)
{
	const struct span *in = ctx;
	char text[INET6_ADDRSTRLEN];
	uint8_t again[16];

	if (len == 0 || len > HOSTS_NAME_MAX || name < in->start ||
	    name + len > in->start + in->size)
		abort();
	for (size_t i = 0; i < len; i++)
		if (name[i] == '\0' || strchr(" \t\r\v\f\n#", name[i]))
			abort();
	if ((family != AF_INET && family != AF_INET6) ||
	    !inet_ntop(family, addr, text, sizeof(text)) || inet_pton(family, text, again) != 1 ||
	    memcmp(again, addr, family == AF_INET ? 4 : 16))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = {(const char *)data, size};

	hosts_parse((const char *)data, size, on_entry, &in);
	return 0;
}
