/* lifecycle.c - a lead's life after the decision; see lifecycle.h and
 * docs/sla.md.
 *
 * The glue between the lead records (records.c), the SLA engine (sla.c) and
 * the KPIs (kpi.c): it applies a decision or a sales activity to the record,
 * starts and stops the clock, and emits the status and alert events. The
 * changelog of the records is in lifecycle_state.c.
 *
 * A record's state (records.h) moves NEW -> NURTURE | DISQUALIFIED | QUEUED
 * | OPEN (assigned) -> CONTACTED -> ACCEPTED, and CLOSED when rejected,
 * converted or recycled. An OPEN lead whose ladder escalated is reported as
 * "escalated". */
#include "lifecycle_impl.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[LR_REC__COUNT] = {
    "new", "nurture", "disqualified", "queued", "open", "contacted", "accepted", "closed"};

static lr_str name_str(const char *s) {
    return s ? (lr_str){s, (uint32_t)strlen(s)} : LR_STR_NULL;
}

lr_lifecycle *lr_lifecycle_new(const lr_sla_config *scfg, const lr_qualify_config *qcfg,
                               const lr_route_config *rcfg, lr_route_state *rstate,
                               size_t expected_leads) {
    lr_lifecycle *lc = calloc(1, sizeof(*lc));
    if (!lc) abort();
    lc->scfg = scfg;
    lc->qcfg = qcfg;
    lc->rcfg = rcfg;
    lc->rstate = rstate;
    int64_t window = qcfg ? lr_qualify_duplicate_window_ms(qcfg) : 7 * LR_DAY_MS;
    lc->recs = lr_records_new(expected_leads, window);
    size_t n_teams = rcfg ? lr_route_team_count(rcfg) : 0;
    lc->team_names = calloc(n_teams ? n_teams : 1, sizeof(char *));
    if (!lc->team_names) abort();
    for (size_t t = 0; t < n_teams; t++) lc->team_names[t] = lr_route_team_name(rcfg, (int32_t)t);
    lc->kpi = lr_kpi_new(n_teams, lc->team_names);
    lc->sla = lr_sla_new(scfg, lc->recs, lc->kpi, expected_leads);
    return lc;
}

void lr_lifecycle_free(lr_lifecycle *lc) {
    if (!lc) return;
    lr_sla_free(lc->sla);
    lr_records_free(lc->recs);
    lr_kpi_free(lc->kpi);
    free(lc->team_names);
    free(lc);
}

static inline lr_lead_rec *rec_at(const lr_lifecycle *lc, uint32_t idx) {
    return lr_records_at(lc->recs, idx);
}

static lr_kpi_key key_of(const lr_lead_rec *r) {
    return (lr_kpi_key){r->team, r->source_id, r->campaign_id};
}

/* The record of a lead, created when absent (first seen at the lead's event
 * time, else the latest time seen), and marked changed. */
static uint32_t record(lr_lifecycle *lc, lr_str id, const lr_lead *lead, lr_time_ms now) {
    lr_records_note_now(lc->recs, now);
    lr_time_ms first_seen = lead ? lead->event_time : lr_records_now(lc->recs);
    uint32_t idx = lr_records_get(lc->recs, id, first_seen);
    lr_records_mark(lc->recs, idx);
    return idx;
}

const lr_lead_rec *lr_lifecycle_find(const lr_lifecycle *lc, const char *lead_id, size_t len) {
    uint32_t idx = lr_records_find(lc->recs, lead_id, len);
    return idx == LR_RECORDS_NONE ? NULL : rec_at(lc, idx);
}

void lr_lifecycle_prefetch(lr_lifecycle *lc, const char *lead_id, size_t len, lr_time_ms now) {
    lr_records_prefetch_id(lc->recs, lead_id, len);
    lr_sla_prefetch(lc->sla, now);
}

const lr_lead_rec *lr_lifecycle_lookup(lr_lifecycle *lc, const char *lead_id, size_t len) {
    uint32_t idx = lr_records_lookup(lc->recs, lead_id, len);
    return idx == LR_RECORDS_NONE ? NULL : rec_at(lc, idx);
}

int64_t lr_lifecycle_next_seq_since(lr_lifecycle *lc, const lr_lead *lead, lr_time_ms *since) {
    /* the record's first_seen comes from the lead; `now` (for eviction) is
     * noted by the decision that follows */
    uint32_t idx = lr_records_get(lc->recs, lead->lead_id, lead->event_time);
    lr_records_mark(lc->recs, idx);
    lr_lead_rec *r = rec_at(lc, idx);
    if (since) *since = r->first_seen;
    return lr_records_next_seq(r);
}

/* ---- events ------------------------------------------------------------------ */

/* Events outlive the record (it may be evicted and reused within the batch),
 * so the lead id is copied into the batch arena; ids are lr_event_id's. */
static lr_str id_copy(lr_out *out, const lr_lead_rec *r) {
    size_t len = strlen(r->id);
    return (lr_str){lr_arena_strndup(&out->arena, r->id, len), (uint32_t)len};
}

static lr_status *push_status(lr_lifecycle *lc, lr_lead_rec *r, lr_status_kind kind,
                              lr_time_ms now, lr_time_ms occurred, lr_out *out) {
    lr_status *s = &lr_out_push(out, LR_EVENT_STATUS)->u.status;
    s->seq = lr_records_next_seq(r);
    s->lead_id = id_copy(out, r);
    s->event_id = lr_event_id(&out->arena, s->lead_id, LR_EVENT_STATUS, s->seq, r->first_seen);
    s->status = kind;
    s->at = now;
    s->occurred_at = occurred;
    s->team = lr_lifecycle_team_name(lc, r->team);
    s->rep = lr_lifecycle_rep_name(lc, r->owner);
    s->source = name_str(lr_kpi_name(lc->kpi, LR_KPI_SOURCE, r->source_id));
    s->campaign = name_str(lr_kpi_name(lc->kpi, LR_KPI_CAMPAIGN, r->campaign_id));
    s->tier = lr_lifecycle_tier_of(lc, r);
    s->sla_elapsed_ms = -1;
    return s;
}

static lr_alert *push_alert(lr_lifecycle *lc, lr_lead_rec *r, lr_alert_kind kind,
                            const char *action, int32_t step, const char *to, lr_time_ms now,
                            lr_out *out) {
    lr_alert *a = &lr_out_push(out, LR_EVENT_ALERT)->u.alert;
    a->seq = lr_records_next_seq(r);
    a->lead_id = id_copy(out, r);
    a->event_id = lr_event_id(&out->arena, a->lead_id, LR_EVENT_ALERT, a->seq, r->first_seen);
    a->kind = kind;
    a->policy = lr_sla_policy_name(lc->scfg, r->policy);
    a->tier = lr_lifecycle_tier_of(lc, r);
    a->team = lr_lifecycle_team_name(lc, r->team);
    a->owner = lr_lifecycle_rep_name(lc, r->owner);
    a->addressed_to = to;
    a->action = action;
    a->step = step;
    a->assigned_at = r->assigned_at;
    a->due_at = r->due_at;
    a->fired_at = now;
    a->late_by_ms = now - r->due_at;
    return a;
}

/* ---- clocks ------------------------------------------------------------------ */

static const char *team_queue(const lr_lifecycle *lc, int32_t team) {
    return lc->rcfg ? lr_route_team_queue(lc->rcfg, team) : NULL;
}

/* Reports what the SLA engine fired for r (it already moved r on). Returns
 * true when it wrote a reassignment request to *ra. */
static bool report(lr_lifecycle *lc, lr_lead_rec *r, const lr_sla_fired *f, lr_time_ms now,
                   lr_out *out, lr_reassign *ra) {
    lr_kpi_key key = key_of(r);
    switch (f->what) {
    case LR_SLA_FIRE_WARNING:
        push_alert(lc, r, LR_ALERT_WARNING, "warn", 0, NULL, now, out);
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_WARNINGS);
        return false;
    case LR_SLA_FIRE_BREACH: {
        push_alert(lc, r, LR_ALERT_BREACH, "breach", 0, NULL, now, out);
        lr_status *s = push_status(lc, r, LR_STATUS_SLA_BREACHED, now, r->due_at, out);
        s->reason = f->policy->name;
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_BREACHED);
        lr_kpi_stage(lc->kpi, key, LR_STATUS_SLA_BREACHED);
        return false;
    }
    case LR_SLA_FIRE_NOTIFY: {
        const char *mgr = lc->rcfg ? lr_route_team_manager(lc->rcfg, r->team) : NULL;
        push_alert(lc, r, LR_ALERT_ESCALATION, "notify_manager", f->step,
                   mgr ? mgr : team_queue(lc, r->team), now, out);
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_NOTIFIED);
        return false;
    }
    case LR_SLA_FIRE_REASSIGN:
        push_alert(lc, r, LR_ALERT_ESCALATION, "reassign", f->step, NULL, now, out);
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_REASSIGNED);
        ra->rec = r;
        ra->team = r->team;
        ra->exclude = r->owners;
        ra->n_exclude = r->n_owners;
        ra->policy = f->policy->name;
        return true;
    case LR_SLA_FIRE_ESCALATE:
        push_alert(lc, r, LR_ALERT_ESCALATION, "escalate", f->step,
                   f->to ? f->to : team_queue(lc, r->team), now, out);
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_ESCALATED);
        return false;
    }
    return false;
}

size_t lr_lifecycle_advance(lr_lifecycle *lc, lr_time_ms now, lr_out *out,
                            lr_reassign *reassign, size_t max) {
    lr_records_note_now(lc->recs, now);
    size_t n = 0;
    lr_sla_fired f;
    while (n < max) {
        uint32_t idx = lr_sla_pop(lc->sla, now, &f);
        if (idx == LR_RECORDS_NONE) break;
        lr_records_mark(lc->recs, idx);
        if (report(lc, rec_at(lc, idx), &f, now, out, &reassign[n])) n++;
    }
    return n;
}

lr_time_ms lr_lifecycle_next_due(const lr_lifecycle *lc) { return lr_sla_next_due(lc->sla); }
size_t lr_lifecycle_open_clocks(const lr_lifecycle *lc) { return lr_sla_open_clocks(lc->sla); }

/* ---- decisions ---------------------------------------------------------------- */

static bool holds_load(const lr_lead_rec *r) {
    return r->owner >= 0 && (r->state == LR_REC_OPEN || r->state == LR_REC_CONTACTED ||
                             r->state == LR_REC_ACCEPTED);
}

static int32_t tier_index(const lr_lifecycle *lc, const char *tier) {
    if (!tier || !lc->qcfg) return -1;
    size_t n = lr_qualify_tier_count(lc->qcfg);
    for (size_t i = 0; i < n; i++) /* a handful of tiers; pointers match first */
        if (lr_qualify_tier_name(lc->qcfg, i) == tier) return (int32_t)i;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(lr_qualify_tier_name(lc->qcfg, i), tier)) return (int32_t)i;
    return -1;
}

static void add_owner(lr_lead_rec *r, int32_t rep) {
    for (uint8_t i = 0; i < r->n_owners; i++)
        if (r->owners[i] == rep) return;
    if (r->n_owners == LR_MAX_OWNERS) { /* cannot happen with max_reassignments < 8 */
        memmove(r->owners, r->owners + 1, (LR_MAX_OWNERS - 1) * sizeof(int32_t));
        r->n_owners--;
    }
    r->owners[r->n_owners++] = rep;
}

/* The previous assignment, if any, is over: its clock stops and its owner's
 * open count drops (route already counted the new one). */
static void supersede(lr_lifecycle *lc, lr_lead_rec *r) {
    lr_sla_stop(lc->sla, r);
    if (holds_load(r) && lc->rstate) lr_route_release(lc->rstate, r->owner);
    r->flags &= (uint8_t)~LR_REC_SLA_MASK;
    r->policy = -1;
    r->due_at = LR_TIME_NONE;
    r->assign_seq = 0;
}

/* Records where the decision sent the lead; returns the status to report. */
static lr_status_kind apply(lr_lifecycle *lc, lr_lead_rec *r, uint32_t idx, lr_decision *d,
                            const lr_route_result *res, lr_time_ms now) {
    if (d->stage == LR_STAGE_SALES_READY && res && res->rep >= 0) {
        r->team = res->team;
        r->owner = res->rep;
        r->state = LR_REC_OPEN;
        r->assigned_at = now;
        r->attempt = d->attempt > 0 ? d->attempt : r->attempt + 1;
        r->assign_seq = (int32_t)d->seq;
        add_owner(r, res->rep);
        lr_sla_start(lc->sla, r, idx, now);
        d->sla_due_at = r->due_at; /* before any push: d lives in out->ev */
        return d->cause == LR_CAUSE_SLA_REASSIGN ? LR_STATUS_REASSIGNED : LR_STATUS_ASSIGNED;
    }
    r->owner = -1;
    r->assigned_at = LR_TIME_NONE;
    if (d->stage == LR_STAGE_SALES_READY) {
        r->team = res ? res->team : -1;
        r->state = LR_REC_QUEUED;
        return LR_STATUS_QUEUED;
    }
    r->team = -1;
    if (d->stage == LR_STAGE_DISQUALIFIED) {
        r->state = LR_REC_DISQUALIFIED;
        return LR_STATUS_DISQUALIFIED;
    }
    r->state = LR_REC_NURTURE;
    return LR_STATUS_NURTURE;
}

void lr_lifecycle_decided(lr_lifecycle *lc, const lr_lead *lead, lr_decision *d,
                          const lr_route_result *res, lr_time_ms now, lr_out *out) {
    bool reassign = d->cause == LR_CAUSE_SLA_REASSIGN;
    /* a reassignment's lead is a stand-in built from the record: keep the
     * record's source and campaign */
    uint32_t idx = record(lc, lead ? lead->lead_id : d->lead_id, reassign ? NULL : lead, now);
    lr_lead_rec *r = rec_at(lc, idx);
    if (d->seq > r->seq) r->seq = d->seq;
    int16_t breached_policy = r->policy;
    supersede(lc, r);
    if (!reassign) {
        if (lead) {
            r->source_id = lr_kpi_intern(lc->kpi, LR_KPI_SOURCE, lead->source);
            r->campaign_id = lr_kpi_intern(lc->kpi, LR_KPI_CAMPAIGN, lead->campaign);
        }
        r->tier = tier_index(lc, d->tier);
        r->last_decided = now;
        r->reassignments = 0; /* the owner history stays: nobody gets it back on breach */
    }
    r->stage = d->stage;
    r->score = d->score;
    lr_status_kind kind = apply(lc, r, idx, d, res, now);

    lr_kpi_key key = key_of(r);
    if (!reassign) lr_kpi_observe(lc->kpi, key, LR_KPI_LATENCY, d->decided_at - d->event_time);
    if (kind == LR_STATUS_ASSIGNED) lr_kpi_count(lc->kpi, key, LR_KPI_HANDED_TO_SALES);
    lr_kpi_stage(lc->kpi, key, kind);
    lr_status *s = push_status(lc, r, kind, now, reassign ? now : d->event_time, out);
    if (reassign) s->reason = lr_sla_policy_name(lc->scfg, breached_policy);
    else if (d->cause == LR_CAUSE_REENGAGED) s->reason = "reengaged";
}

void lr_lifecycle_duplicate(lr_lifecycle *lc, const lr_lead *lead, lr_time_ms now, lr_out *out) {
    uint32_t idx = record(lc, lead->lead_id, lead, now);
    lr_lead_rec *r = rec_at(lc, idx);
    if (r->state == LR_REC_NEW && r->last_decided == LR_TIME_NONE) {
        /* Shared mode only: stage 1 saw the first message within the window,
         * but its decision has already left this table. Closed, so that the
         * record leaves again after a window instead of staying forever. */
        r->state = LR_REC_CLOSED;
        r->last_decided = now;
    }
    lr_status *s = push_status(lc, r, LR_STATUS_DUPLICATE, now, lead->event_time, out);
    s->reason = "within_duplicate_window";
    lr_kpi_stage(lc->kpi, key_of(r), LR_STATUS_DUPLICATE);
}

/* ---- sales activity --------------------------------------------------------- */
/* Does assignment_id name the current assignment? Its seq must match, and its
 * since the record's first_seen: a lead evicted and seen again counts seq
 * from 1, and only since tells its assignments from those of the earlier
 * incarnation. An id in the format before since matches by seq alone. */
static bool answers_current(const lr_lead_rec *r, lr_str assignment_id) {
    if (!assignment_id.s) return true; /* the CRM did not say: any is fine */
    lr_str lead = {r->id, (uint32_t)strlen(r->id)};
    int64_t seq;
    lr_time_ms since;
    int rc = lr_event_id_parse(assignment_id, lead, LR_EVENT_DECISION, &seq, &since);
    if (rc < 0 || seq != r->assign_seq) return false;
    return rc == 0 || since == r->first_seen;
}

/* Why an activity changes nothing, or NULL when it counts. */
static const char *why_not_counted(const lr_lead_rec *r, const lr_sales_activity *a, int32_t rep) {
    if (r->state < LR_REC_OPEN) return "not_assigned";
    if (rep < 0 || rep != r->owner) return "not_current_owner";
    if (a->occurred_at < r->assigned_at || !answers_current(r, a->assignment_id))
        return "stale_activity";
    if (r->state == LR_REC_CLOSED) return "already_closed";
    if (a->kind == LR_SALES_CONTACTED && r->state != LR_REC_OPEN) return "already_contacted";
    if (a->kind == LR_SALES_ACCEPTED && r->state == LR_REC_ACCEPTED) return "already_accepted";
    return NULL;
}

static const lr_status_kind sales_status[LR_SALES__COUNT] = {
    LR_STATUS_CONTACTED, LR_STATUS_ACCEPTED, LR_STATUS_REJECTED, LR_STATUS_CONVERTED,
    LR_STATUS_RECYCLED};

/* The first touch: stops the clock and measures the time it took. */
static void first_touch(lr_lifecycle *lc, lr_lead_rec *r, lr_time_ms at, lr_status *s) {
    const lr_sla_policy *p = lr_sla_policy_of(lc->sla, r);
    lr_sla_stop(lc->sla, r);
    s->sla_elapsed_ms = lr_sla_elapsed(lc->sla, r, at);
    lr_kpi_key key = key_of(r);
    lr_kpi_observe(lc->kpi, key, LR_KPI_TTFT, s->sla_elapsed_ms);
    if (!p) return; /* no SLA: nothing to meet */
    s->sla_met = at < r->due_at;
    lr_kpi_count(lc->kpi, key, s->sla_met ? LR_KPI_SLA_MET : LR_KPI_SLA_MISSED);
    if (s->sla_met && (r->flags & LR_REC_BREACHED))
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_LATE_REPORTED);
}

void lr_lifecycle_on_sales(lr_lifecycle *lc, const lr_sales_activity *a, lr_time_ms now,
                           lr_out *out) {
    lr_records_note_now(lc->recs, now);
    uint32_t idx = lr_records_find(lc->recs, a->lead_id.s, a->lead_id.len);
    if ((unsigned)a->kind >= LR_SALES__COUNT) return; /* the decoder never lets one through */
    if (idx == LR_RECORDS_NONE) {
        lr_kpi_count(lc->kpi, (lr_kpi_key){-1, 0, 0}, LR_KPI_ACT_UNKNOWN_LEAD);
        return;
    }
    lr_records_mark(lc->recs, idx);
    lr_lead_rec *r = rec_at(lc, idx);
    if (!lr_records_remember(r, a->activity_id)) {
        lr_kpi_count(lc->kpi, key_of(r), LR_KPI_ACT_DUPLICATE);
        return;
    }
    int32_t rep = lc->rcfg ? lr_route_rep_index(lc->rcfg, a->rep_id.s, a->rep_id.len) : -1;
    lr_status_kind kind = sales_status[a->kind];
    const char *why = why_not_counted(r, a, rep);
    if (why) {
        lr_status *s = push_status(lc, r, kind, now, a->occurred_at, out);
        s->rep = rep >= 0 ? lr_lifecycle_rep_name(lc, rep) : a->rep_id.s;
        s->reason = why;
        lr_kpi_count(lc->kpi, key_of(r), LR_KPI_ACT_NOT_COUNTED);
        return;
    }
    lr_status *s = push_status(lc, r, kind, now, a->occurred_at, out);
    s->reason = a->reason.s;
    if (a->kind == LR_SALES_CONTACTED || (a->kind == LR_SALES_ACCEPTED && r->state == LR_REC_OPEN))
        first_touch(lc, r, a->occurred_at, s);
    if (a->kind == LR_SALES_CONVERTED && a->has_value) {
        s->has_value = true;
        s->value = a->opportunity_value;
        lr_kpi_value(lc->kpi, key_of(r), a->opportunity_value);
    }
    lr_kpi_stage(lc->kpi, key_of(r), kind);
    switch (a->kind) {
    case LR_SALES_CONTACTED:
        r->state = LR_REC_CONTACTED;
        break;
    case LR_SALES_ACCEPTED:
        r->state = LR_REC_ACCEPTED;
        break;
    default: /* rejected, converted, recycled: the lead leaves its owner */
        lr_sla_stop(lc->sla, r);
        if (lc->rstate) lr_route_release(lc->rstate, r->owner);
        r->state = LR_REC_CLOSED;
        break;
    }
}

/* ---- reports ---------------------------------------------------------------- */

const lr_kpi *lr_lifecycle_kpi(const lr_lifecycle *lc) { return lc->kpi; }

const char *lr_lifecycle_state_name(const lr_lead_rec *rec) {
    if (rec->state == LR_REC_OPEN && (rec->flags & LR_REC_ESCALATED)) return "escalated";
    return rec->state < LR_REC__COUNT ? state_names[rec->state] : "unknown";
}
