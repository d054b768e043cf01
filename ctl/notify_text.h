/* The texts of smbreak-notify's desktop notifications (notify_text.c). */
#ifndef SMB_NOTIFY_TEXT_H
#define SMB_NOTIFY_TEXT_H

#include <stdbool.h>

#include "smctl.h"

struct notify_text {
	char summary[160];
	char body[512];
};

/* The notification for the PROTO_EVENT ev: warning, started, ended and
 * blocked are shown; false for the other kinds. */
bool notify_text(const struct reply *ev, struct notify_text *out);

#endif
