/* lifecycle_state.c - the lifecycle's changelog (state.h, docs/design.md):
 * every lead record a call changed, encoded for the compacted state topic, and
 * the restore that reads it back.
 *
 * One value per lead record (state.h primitives), names instead of indexes so
 * that a roster or rulebook change does not scramble it:
 *   version, seq, first_seen, last_decided, assigned_at, due_at,
 *   stage, state, phase, flags (SLA bits and recent[] cursor),
 *   tier, team, owner, attempt, reassignments, assign_seq,
 *   owners (count, names), score, source, campaign, policy,
 *   clock (0 | 1, due, order), recent[4]. */
#include "lifecycle_impl.h"

#include <string.h>

void lr_lifecycle_track_changes(lr_lifecycle *lc, bool on) { lr_records_track(lc->recs, on); }
size_t lr_lifecycle_count(const lr_lifecycle *lc) { return lr_records_count(lc->recs); }
size_t lr_lifecycle_make_room(lr_lifecycle *lc, size_t want) {
    return lr_records_make_room(lc->recs, want);
}

static void lead_key(lr_buf *key, const char *id) {
    lr_buf_reset(key);
    lr_buf_append(key, LR_STATE_KEY_LEAD, sizeof(LR_STATE_KEY_LEAD) - 1);
    lr_buf_append(key, id, strlen(id));
}

static void encode_rec(const lr_lifecycle *lc, const lr_lead_rec *r, lr_buf *b) {
    lr_buf_reset(b);
    lr_buf_putc(b, LR_STATE_VERSION);
    lr_state_put_i64(b, r->seq);
    lr_state_put_i64(b, r->first_seen);
    lr_state_put_i64(b, r->last_decided);
    lr_state_put_i64(b, r->assigned_at);
    lr_state_put_i64(b, r->due_at);
    lr_state_put_u64(b, r->stage);
    lr_state_put_u64(b, r->state);
    lr_state_put_u64(b, r->phase);
    lr_state_put_u64(b, r->flags & (LR_REC_SLA_MASK | LR_REC_RECENT_MASK));
    lr_state_put_str(b, lr_lifecycle_tier_of(lc, r));
    lr_state_put_str(b, r->team >= 0 ? lr_lifecycle_team_name(lc, r->team) : NULL);
    lr_state_put_str(b, r->owner >= 0 ? lr_lifecycle_rep_name(lc, r->owner) : NULL);
    lr_state_put_i64(b, r->attempt);
    lr_state_put_i64(b, r->reassignments);
    lr_state_put_i64(b, r->assign_seq);
    lr_state_put_u64(b, r->n_owners);
    for (uint8_t i = 0; i < r->n_owners; i++) lr_state_put_str(b, lr_lifecycle_rep_name(lc, r->owners[i]));
    lr_state_put_f64(b, r->score);
    lr_state_put_str(b, r->source_id ? lr_kpi_name(lc->kpi, LR_KPI_SOURCE, r->source_id) : NULL);
    lr_state_put_str(b, r->campaign_id ? lr_kpi_name(lc->kpi, LR_KPI_CAMPAIGN, r->campaign_id)
                                       : NULL);
    lr_state_put_str(b, lr_sla_policy_name(lc->scfg, r->policy));
    lr_state_put_u64(b, r->clock ? 1 : 0);
    if (r->clock) {
        lr_state_put_i64(b, r->clock_due);
        lr_state_put_u64(b, r->clock_order);
    }
    for (int i = 0; i < LR_RECENT_ACTIVITIES; i++) lr_state_put_fixed64(b, r->recent[i]);
}

typedef struct drain {
    const lr_lifecycle *lc;
    lr_buf *key, *val;
    lr_state_sink_fn sink;
    void *ctx;
} drain;

static void emit(void *ctx, const char *id, const lr_lead_rec *r) {
    drain *d = ctx;
    lead_key(d->key, id);
    if (!r) {
        d->sink(d->ctx, (const char *)d->key->data, d->key->len, NULL, 0);
        return;
    }
    encode_rec(d->lc, r, d->val);
    d->sink(d->ctx, (const char *)d->key->data, d->key->len, d->val->data, d->val->len);
}

size_t lr_lifecycle_changes(lr_lifecycle *lc, lr_buf *key, lr_buf *val, lr_state_sink_fn sink,
                            void *ctx) {
    drain d = {lc, key, val, sink, ctx};
    return lr_records_changes(lc->recs, emit, &d);
}

size_t lr_lifecycle_snapshot(lr_lifecycle *lc, lr_buf *key, lr_buf *val, lr_state_sink_fn sink,
                             void *ctx) {
    drain d = {lc, key, val, sink, ctx};
    return lr_records_each(lc->recs, emit, &d);
}

/* A name from the changelog, resolved to today's index; -1 when absent,
 * -2 when the configuration no longer has it. */
static int32_t resolve_team(const lr_lifecycle *lc, const char *s, size_t len) {
    if (!s) return -1;
    char tmp[256];
    if (!lc->rcfg || len >= sizeof(tmp)) return -2;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    int32_t t = lr_route_team_index(lc->rcfg, tmp);
    return t >= 0 ? t : -2;
}

static int32_t resolve_rep(const lr_lifecycle *lc, const char *s, size_t len) {
    if (!s) return -1;
    if (!lc->rcfg) return -2;
    int32_t rep = lr_route_rep_index(lc->rcfg, s, len);
    return rep >= 0 ? rep : -2;
}

static int32_t resolve_tier(const lr_lifecycle *lc, const char *s, size_t len) {
    if (!s) return -1;
    size_t n = lc->qcfg ? lr_qualify_tier_count(lc->qcfg) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = lr_qualify_tier_name(lc->qcfg, i);
        if (strlen(t) == len && !memcmp(t, s, len)) return (int32_t)i;
    }
    return -2;
}

static int32_t resolve_policy(const lr_lifecycle *lc, const char *s, size_t len) {
    if (!s) return -1;
    for (size_t i = 0; i < lr_sla_policy_count(lc->scfg); i++) {
        const char *p = lr_sla_policy_name(lc->scfg, (int32_t)i);
        if (strlen(p) == len && !memcmp(p, s, len)) return (int32_t)i;
    }
    return -2;
}

/* Decodes a value into *r (id untouched). 0, 1 (unknown name), -1 (malformed). */
static int decode_rec(lr_lifecycle *lc, const void *val, size_t vlen, lr_lead_rec *r) {
    lr_state_reader rd = lr_state_reader_of(val, vlen);
    if (rd.p >= rd.end || *rd.p++ != LR_STATE_VERSION) return -1;
    const char *s;
    size_t len;
    bool unknown = false;
    r->seq = lr_state_get_i64(&rd);
    r->first_seen = lr_state_get_i64(&rd);
    r->last_decided = lr_state_get_i64(&rd);
    r->assigned_at = lr_state_get_i64(&rd);
    r->due_at = lr_state_get_i64(&rd);
    uint64_t stage = lr_state_get_u64(&rd), state = lr_state_get_u64(&rd);
    uint64_t phase = lr_state_get_u64(&rd), flags = lr_state_get_u64(&rd);
    if (stage >= LR_STAGE__COUNT || state >= LR_REC__COUNT || phase > 255 ||
        (flags & ~(uint64_t)(LR_REC_SLA_MASK | LR_REC_RECENT_MASK)))
        return -1;
    r->stage = (lr_stage)stage;
    r->state = (uint8_t)state;
    r->phase = (uint8_t)phase;
    r->flags = (uint8_t)flags;
    s = lr_state_get_str(&rd, &len);
    r->tier = resolve_tier(lc, s, len);
    s = lr_state_get_str(&rd, &len);
    r->team = resolve_team(lc, s, len);
    s = lr_state_get_str(&rd, &len);
    r->owner = resolve_rep(lc, s, len);
    unknown |= r->tier == -2 || r->team == -2 || r->owner == -2;
    r->attempt = (int32_t)lr_state_get_i64(&rd);
    r->reassignments = (int32_t)lr_state_get_i64(&rd);
    r->assign_seq = (int32_t)lr_state_get_i64(&rd);
    uint64_t n_owners = lr_state_get_u64(&rd);
    if (n_owners > LR_MAX_OWNERS) return -1;
    r->n_owners = (uint8_t)n_owners;
    for (uint8_t i = 0; i < r->n_owners; i++) {
        s = lr_state_get_str(&rd, &len);
        r->owners[i] = resolve_rep(lc, s, len);
        unknown |= r->owners[i] < 0;
    }
    r->score = lr_state_get_f64(&rd);
    s = lr_state_get_str(&rd, &len);
    r->source_id = s ? lr_kpi_intern(lc->kpi, LR_KPI_SOURCE, (lr_str){s, (uint32_t)len}) : 0;
    s = lr_state_get_str(&rd, &len);
    r->campaign_id = s ? lr_kpi_intern(lc->kpi, LR_KPI_CAMPAIGN, (lr_str){s, (uint32_t)len}) : 0;
    s = lr_state_get_str(&rd, &len);
    int32_t policy = resolve_policy(lc, s, len);
    unknown |= policy == -2;
    r->policy = (int16_t)policy;
    uint64_t has_clock = lr_state_get_u64(&rd);
    if (has_clock > 1) return -1;
    if (has_clock) {
        r->clock_due = lr_state_get_i64(&rd);
        r->clock_order = lr_state_get_u64(&rd);
        r->flags |= LR_REC_PENDING;
        /* a clock names its policy's phase: without a policy it cannot run */
        if (policy < 0) return -1;
        if (policy >= 0 && phase >= LR_SLA_PHASE_STEP0 &&
            phase - LR_SLA_PHASE_STEP0 >= lc->scfg->policies[policy].n_steps)
            unknown = true; /* the ladder got shorter */
    }
    for (int i = 0; i < LR_RECENT_ACTIVITIES; i++) r->recent[i] = lr_state_get_fixed64(&rd);
    if (rd.bad || rd.p != rd.end) return -1;
    return unknown ? 1 : 0;
}

static void drop(lr_lifecycle *lc, uint32_t idx) {
    lr_sla_stop(lc->sla, lr_records_at(lc->recs, idx));
    lr_records_remove(lc->recs, idx);
}

int lr_lifecycle_restore(lr_lifecycle *lc, const char *id, size_t len, const void *val,
                         size_t vlen) {
    if (len == 0 || len > LR_MAX_ID_LEN) return -1;
    /* no eviction until restore_done: nothing is "now" yet */
    lr_records_restoring(lc->recs, true);
    uint32_t idx = lr_records_find(lc->recs, id, len);
    if (!val) {
        if (idx != LR_RECORDS_NONE) drop(lc, idx);
        return 0;
    }
    lr_lead_rec tmp;
    memset(&tmp, 0, sizeof(tmp));
    int rc = decode_rec(lc, val, vlen, &tmp);
    if (rc != 0) {
        /* last write wins: an older value must not stand in for this one */
        if (idx != LR_RECORDS_NONE) drop(lc, idx);
        return rc;
    }
    if (idx == LR_RECORDS_NONE) idx = lr_records_get(lc->recs, (lr_str){id, (uint32_t)len}, 0);
    lr_lead_rec *r = lr_records_at(lc->recs, idx);
    lr_sla_stop(lc->sla, r);
    memcpy(tmp.id, r->id, sizeof(tmp.id));
    *r = tmp;
    if (r->flags & LR_REC_PENDING) lr_sla_restore_clock(lc->sla, r, idx);
    return 0;
}

void lr_lifecycle_restore_done(lr_lifecycle *lc) {
    lr_sla_restore_done(lc->sla);
    lr_records_restoring(lc->recs, false);
}

/* ---- the dashboard's view of the running clocks ------------------------------ */

typedef struct clock_walk {
    const lr_lifecycle *lc;
    lr_time_ms now;
    void (*fn)(void *ctx, const lr_clock_view *c);
    void *ctx;
} clock_walk;

static void clock_of(void *ctx, const char *id, const lr_lead_rec *r) {
    (void)id;
    const clock_walk *w = ctx;
    if (!r->clock) return;
    lr_clock_view v = {
        .lead_id = r->id,
        .team = r->team >= 0 ? lr_lifecycle_team_name(w->lc, r->team) : NULL,
        .rep = r->owner >= 0 ? lr_lifecycle_rep_name(w->lc, r->owner) : NULL,
        .tier = lr_lifecycle_tier_of(w->lc, r),
        .assigned_at = r->assigned_at,
        .due_at = r->due_at,
        .next_at = r->clock_due,
        .breached = r->due_at != LR_TIME_NONE && w->now >= r->due_at,
    };
    w->fn(w->ctx, &v);
}

void lr_lifecycle_each_clock(const lr_lifecycle *lc, lr_time_ms now,
                             void (*fn)(void *ctx, const lr_clock_view *c), void *ctx) {
    clock_walk w = {lc, now, fn, ctx};
    lr_records_each(lc->recs, clock_of, &w);
}
