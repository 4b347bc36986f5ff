/* notify.c - see notify.h. A thin layer over sd_notify: the protocol is
 * libsystemd's to get right (abstract sockets, credentials, message size). */
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

static bool enabled;
static int64_t watchdog_ms;   /* the full period; fed every half */
static int64_t last_fed = INT64_MIN;

void lr_notify_init(void) {
    const char *sock = getenv("NOTIFY_SOCKET");
    enabled = sock && *sock;
    uint64_t usec = 0;
    /* 0: the variables stay set; no process is forked that could misread them */
    watchdog_ms = enabled && sd_watchdog_enabled(0, &usec) > 0 ? (int64_t)(usec / 1000) : 0;
    last_fed = INT64_MIN;
}

bool lr_notify_enabled(void) { return enabled; }

static void notify(const char *what, const char *status) {
    if (!enabled) return;
    if (status) sd_notifyf(0, "%s%sSTATUS=%s", what ? what : "", what ? "\n" : "", status);
    else if (what) sd_notify(0, what);
}

void lr_notify_ready(const char *status) { notify("READY=1", status); }
void lr_notify_status(const char *status) { notify(NULL, status); }
void lr_notify_reloading(const char *status) { notify("RELOADING=1", status); }
void lr_notify_stopping(const char *status) { notify("STOPPING=1", status); }

void lr_notify_watchdog(int64_t now_ms) {
    if (!watchdog_ms) return;
    if (last_fed != INT64_MIN && now_ms >= last_fed && now_ms - last_fed < watchdog_ms / 2)
        return;
    last_fed = now_ms;
    sd_notify(0, "WATCHDOG=1");
}

int64_t lr_notify_watchdog_ms(void) { return watchdog_ms; }
