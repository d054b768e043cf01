/* The sd_notify protocol, written for us: one datagram of "KEY=VALUE" lines to
 * the socket named by $NOTIFY_SOCKET. Without it (not run by systemd) every
 * call does nothing. */
#ifndef SMB_NOTIFY_H
#define SMB_NOTIFY_H

#include <stdint.h>

int notify_send(const char *state);
/* READY=1, STOPPING=1, RELOADING=1 (with MONOTONIC_USEC), WATCHDOG=1. */
int notify_ready(void);
int notify_stopping(void);
int notify_reloading(void);
int notify_watchdog(void);
/* STATUS=text: the line `systemctl status` shows (cut at about 500 bytes). */
int notify_status(const char *text);
/* The watchdog interval systemd asked for ($WATCHDOG_USEC for our pid), 0 if none. */
uint64_t notify_watchdog_usec(void);

#endif
