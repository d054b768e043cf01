/* The texts of smbreak-notify's desktop notifications (notify_text.c). */
#ifndef SMB_NOTIFY_TEXT_H
#define SMB_NOTIFY_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "smctl.h"

struct notify_text {
	char summary[160];
	char body[512];
};

/* The notification for the PROTO_EVENT ev shown to user uid: warning,
 * started, ended and blocked are shown, of breaks for everyone or for uid;
 * false for the others. */
bool notify_text(const struct reply *ev, uint32_t uid, struct notify_text *out);

#endif
