/* event.c - event ids, reasons and the names of event enums (the Avro symbols). */
#include "event.h"

#include <stdlib.h>
#include <string.h>

void lr_decision_add_reason(lr_decision *d, lr_reason_kind kind, const char *rule,
                            const char *rep, double points, const char *detail) {
    if (d->n_reasons >= LR_MAX_REASONS) {
        d->reasons_dropped++;
        return;
    }
    d->reasons[d->n_reasons++] = (lr_reason){kind, rule, rep, points, detail};
}

/* ---- event ids ---------------------------------------------------------------- */

typedef struct id_kind {
    const char *mid;
    size_t len;
} id_kind;

static const id_kind id_kinds[] = {
    [LR_EVENT_DECISION] = {":decision:", 10},
    [LR_EVENT_STATUS] = {":status:", 8},
    [LR_EVENT_ALERT] = {":alert:", 7},
};

const char *lr_event_id(lr_arena *arena, lr_str lead_id, lr_event_kind kind, int64_t seq,
                        lr_time_ms since) {
    const id_kind *k = &id_kinds[kind];
    return lr_arena_join_num2_n(arena, lead_id.s, lead_id.len, k->mid, k->len, (long long)seq,
                                '@', (long long)since);
}

/* A decimal integer (optional '-', then at least one digit) at *p, up to the
 * first other byte or end; false on none or overflow. */
static bool parse_dec(const char **p, const char *end, int64_t *out) {
    const char *q = *p;
    bool neg = q < end && *q == '-';
    if (neg) q++;
    if (q == end || *q < '0' || *q > '9') return false;
    uint64_t v = 0, limit = (uint64_t)INT64_MAX + neg;
    for (; q < end && *q >= '0' && *q <= '9'; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    *p = q;
    return true;
}

int lr_event_id_parse(lr_str id, lr_str lead_id, lr_event_kind kind, int64_t *seq,
                      lr_time_ms *since) {
    const id_kind *k = &id_kinds[kind];
    size_t n = lead_id.len;
    const char *s = id.s, *end = s + id.len;
    if (!s || id.len <= n + k->len || memcmp(s, lead_id.s, n) || memcmp(s + n, k->mid, k->len))
        return -1;
    const char *p = s + n + k->len;
    if (*p == '-' || !parse_dec(&p, end, seq)) return -1;
    if (p == end) return 0; /* the format before since */
    int64_t at;
    if (*p++ != '@' || !parse_dec(&p, end, &at) || p != end) return -1;
    *since = at;
    return 1;
}

static const char *const stage_names[LR_STAGE__COUNT] = {
    "SALES_READY", "MARKETING_QUALIFIED", "NURTURE", "DISQUALIFIED"};
static const char *const reason_names[LR_REASON__COUNT] = {
    "FIT_RULE", "ENGAGEMENT_RULE", "NEGATIVE_SIGNAL", "THRESHOLD", "OVERRIDE",
    "DUPLICATE", "REENGAGED", "ROUTING_RULE", "ACCOUNT_OWNER", "PREVIOUS_OWNER",
    "STRATEGY", "SKIPPED", "CHOSEN", "OVERFLOW", "SLA"};
static const char *const status_names[LR_STATUS__COUNT] = {
    "ASSIGNED", "QUEUED", "NURTURE", "DISQUALIFIED", "DUPLICATE", "CONTACTED",
    "ACCEPTED", "REJECTED", "CONVERTED", "RECYCLED", "SLA_BREACHED", "REASSIGNED"};
static const char *const alert_names[] = {"WARNING", "BREACH", "ESCALATION"};
static const char *const cause_names[] = {"NEW", "REENGAGED", "SLA_REASSIGN"};

#define NAME_OF(table, v) \
    (((int)(v) >= 0 && (size_t)(v) < sizeof(table) / sizeof((table)[0])) ? (table)[v] : "?")

const char *lr_stage_name(lr_stage s) { return NAME_OF(stage_names, s); }
const char *lr_reason_kind_name(lr_reason_kind k) { return NAME_OF(reason_names, k); }
const char *lr_status_kind_name(lr_status_kind k) { return NAME_OF(status_names, k); }
const char *lr_alert_kind_name(lr_alert_kind k) { return NAME_OF(alert_names, k); }
const char *lr_cause_name(lr_decision_cause c) { return NAME_OF(cause_names, c); }
