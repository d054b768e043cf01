/* libFuzzer target for the bytes allowances read from outside: the usage
 * file (allowance_parse; a parsed one must format and parse back to the
 * same value) and the kernel's NFLOG messages (usage_parse). */
#include "allowance.h"
#include "usage.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void seen(void *arg, const char *name)
{
	*(size_t *)arg += strlen(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct allowance_state s, t;
	static char buf[ALLOWANCE_FILE_MAX];
	char err[128];
	size_t n = 0;

	if (allowance_parse((const char *)data, size, &s, err, sizeof(err)) == 0) {
		int len = allowance_format(&s, buf, sizeof(buf));
		if (len < 0 || allowance_parse(buf, (size_t)len, &t, err, sizeof(err)) != 0 ||
		    memcmp(&s, &t, sizeof(s)) != 0)
			abort();
	}
	/* netlink messages are read into an aligned buffer */
	void *copy = malloc(size ? size : 1);
	if (copy) {
		memcpy(copy, data, size);
		usage_parse(copy, size, seen, &n);
		free(copy);
	}
	return 0;
}
