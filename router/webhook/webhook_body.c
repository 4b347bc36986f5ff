/* webhook_body.c - what a sink receives (docs/operations.md, "Webhooks"):
 * the alert as JSON, or a Slack-compatible {"text": ...}. Runs on a sender
 * thread, once per attempt. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "webhook_int.h"

static const char *iso(int64_t ms, char *buf, size_t cap) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return buf;
}

static json_t *opt(const char *s) { return s[0] ? json_string(s) : json_null(); }

static json_t *as_json(const wh_item *it) {
    char due[80], fired[80], assigned[80];
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:s, s:s, s:s, s:I}",
                     "event_id", it->event_id, "kind", lr_alert_kind_name(it->kind), "lead_id",
                     it->lead_id, "policy", opt(it->policy), "tier", opt(it->tier), "team",
                     opt(it->team), "owner", opt(it->owner), "addressed_to",
                     opt(it->addressed_to), "action", opt(it->action), "step", (int)it->step,
                     "assigned_at", iso(it->assigned_at, assigned, sizeof(assigned)), "due_at",
                     iso(it->due_at, due, sizeof(due)), "fired_at",
                     iso(it->fired_at, fired, sizeof(fired)), "late_by_ms",
                     (json_int_t)it->late_by_ms);
}

static json_t *as_slack(const wh_item *it) {
    char text[768], due[80];
    const char *what = it->kind == LR_ALERT_WARNING ? ":warning: SLA warning"
                       : it->kind == LR_ALERT_BREACH ? ":rotating_light: SLA breached"
                                                     : ":arrow_up: SLA escalation";
    int n = snprintf(text, sizeof(text), "%s: lead %s (team %s, owner %s) due %s", what,
                     it->lead_id, it->team[0] ? it->team : "-", it->owner[0] ? it->owner : "-",
                     iso(it->due_at, due, sizeof(due)));
    if (n > 0 && it->kind != LR_ALERT_WARNING && (size_t)n < sizeof(text))
        n += snprintf(text + n, sizeof(text) - (size_t)n, ", late by %lld s",
                      (long long)(it->late_by_ms / 1000));
    if (n > 0 && it->addressed_to[0] && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, "; %s to %s", it->action, it->addressed_to);
    return json_pack("{s:s, s:s}", "text", text, "event_id", it->event_id);
}

size_t lr_webhook_body(const wh_item *it, lr_webhook_format f, char *buf, size_t cap) {
    json_t *o = f == LR_WEBHOOK_SLACK ? as_slack(it) : as_json(it);
    size_t n = o ? json_dumpb(o, buf, cap - 1, JSON_COMPACT) : 0;
    json_decref(o);
    if (n >= cap) n = 0; /* cannot happen with the fields' bounds; send nothing rather than half */
    buf[n] = 0;
    return n;
}
