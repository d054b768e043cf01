/* libFuzzer target for the state file (state_parse), which a person or a
 * crash may have left in any shape: any bytes parse or give a reason, and a
 * parsed state formats to a text that parses back to the same text. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state s, t;
	static char a[STATE_FILE_MAX], b[STATE_FILE_MAX];
	char err[128] = "";

	if (state_parse((const char *)data, size, &s, err, sizeof(err)) != 0) {
		if (!err[0])
			abort();
		return 0;
	}
	int la = state_format(&s, a, sizeof(a));
	if (la < 0)
		return 0; /* more than a file holds: refused when written, not here */
	if (state_parse(a, (size_t)la, &t, err, sizeof(err)) != 0)
		abort();
	int lb = state_format(&t, b, sizeof(b));
	if (lb != la || memcmp(a, b, (size_t)la) != 0)
		abort();
	return 0;
}
