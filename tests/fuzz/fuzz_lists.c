/* Fuzz target for the list-line parser and the matcher: any bytes as one line
 * must give valid, already-normalised names or a reason, and those names must
 * then match themselves (and the input, as a query, must never crash). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domains.h"
#include "lists.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lists_line ln;
	int n = lists_parse_line((const char *)data, size, &ln);
	if (n < 0 && !ln.why[0])
		abort();
	struct domains_builder *b = domains_builder_new();
	int o = domains_builder_origin(b, 3, false, "fuzz");
	for (int i = 0; i < n; i++) {
		char again[DOMAINS_NAME_MAX + 1];
		size_t len;
		if (ln.lens[i] == 0 || ln.lens[i] > DOMAINS_NAME_MAX ||
		    strlen(ln.names[i]) != ln.lens[i])
			abort();
		if (domains_normalize(ln.names[i], ln.lens[i], again, &len, NULL) != 0 ||
		    len != ln.lens[i] || memcmp(again, ln.names[i], len) != 0)
			abort();
		if (domains_builder_add(b, ln.names[i], ln.lens[i], (uint32_t)o, 1) != 0)
			abort();
	}
	struct domains *d = domains_builder_finish(b);
	if (!d)
		abort();
	struct domains_match m;
	for (int i = 0; i < n; i++)
		if (!domains_match(d, ln.names[i], ln.lens[i], &m) || m.lists != 1u << 3)
			abort();
	domains_match(d, (const char *)data, size, &m);
	struct domains_why w;
	domains_explain(d, (const char *)data, size, 3, &w);
	domains_free(d);
	return 0;
}
