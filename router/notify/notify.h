/* notify.h - the service manager's view of the router: systemd's notify
 * protocol (sd_notify, libsystemd) for a unit with Type=notify
 * (docker/lead-router.service, docs/operations.md "systemd").
 *
 * READY=1 once the state is restored and the router decides; STATUS= lines
 * saying what it does (restoring, routing, reloading); RELOADING=1 ... READY=1
 * around a reload; STOPPING=1 on shutdown; WATCHDOG=1 every WatchdogSec/2
 * when systemd set $WATCHDOG_USEC, fed from the main loop so that a stuck
 * loop stops feeding it.
 *
 * Without $NOTIFY_SOCKET every call returns at once (no syscall). Cost: one
 * datagram per call; lr_notify_watchdog is called once per loop turn and
 * sends at most one datagram per half period (a comparison otherwise).
 * Threads: the main thread only. Not pure: it talks to a socket. */
#ifndef LR_NOTIFY_H
#define LR_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Reads $NOTIFY_SOCKET and $WATCHDOG_USEC (once, at start). */
void lr_notify_init(void);
/* Whether a service manager listens. */
bool lr_notify_enabled(void);

void lr_notify_ready(const char *status);
void lr_notify_status(const char *status);
void lr_notify_reloading(const char *status);
void lr_notify_stopping(const char *status);

/* Feeds the watchdog if half its period passed since the last time; now_ms
 * is any clock in milliseconds the caller already has (a clock that goes
 * back feeds it at once). */
void lr_notify_watchdog(int64_t now_ms);
/* The watchdog period in ms, 0 when off (for the tests and the log). */
int64_t lr_notify_watchdog_ms(void);

#endif
