/* sla.c - the SLA engine: clocks, warnings, breaches and the escalation
 * ladder; see sla.h and docs/sla.md. */
#include "sla.h"

#include <stdlib.h>
#include <string.h>

#include "kpi.h"
#include "records.h"
#include "wheel.h"

static const char *const action_names[LR_SLA_ACTION__COUNT] = {"notify_manager", "reassign",
                                                               "escalate"};

const char *lr_sla_action_name(lr_sla_action a) {
    return (unsigned)a < LR_SLA_ACTION__COUNT ? action_names[a] : NULL;
}

size_t lr_sla_policy_count(const lr_sla_config *cfg) { return cfg ? cfg->n_policies : 0; }

const char *lr_sla_policy_name(const lr_sla_config *cfg, int32_t i) {
    return cfg && i >= 0 && (size_t)i < cfg->n_policies ? cfg->policies[i].name : NULL;
}

/* ---- the engine ------------------------------------------------------------------ */

struct lr_sla {
    const lr_sla_config *cfg;
    lr_records *recs;
    lr_wheel *wheel;
    uint16_t *policy_source;   /* interned source of each policy, 0: any */
    uint64_t arm_seq;          /* last clock_order given out */
    uint32_t *pending;         /* restored records whose clocks restore_done arms */
    size_t n_pending, cap_pending;
};

static lr_str name_str(const char *s) {
    return s ? (lr_str){s, (uint32_t)strlen(s)} : LR_STR_NULL;
}

lr_sla *lr_sla_new(const lr_sla_config *cfg, lr_records *recs, lr_kpi *kpi,
                   size_t expected_leads) {
    lr_sla *sla = calloc(1, sizeof(*sla));
    if (!sla) abort();
    sla->cfg = cfg;
    sla->recs = recs;
    sla->wheel = lr_wheel_new(expected_leads / 4);
    size_t np = lr_sla_policy_count(cfg);
    sla->policy_source = calloc(np ? np : 1, sizeof(uint16_t));
    if (!sla->policy_source) abort();
    for (size_t i = 0; i < np; i++) {
        const char *s = cfg->policies[i].source;
        if (s) sla->policy_source[i] = lr_kpi_intern(kpi, LR_KPI_SOURCE, name_str(s));
    }
    return sla;
}

void lr_sla_free(lr_sla *sla) {
    if (!sla) return;
    lr_wheel_free(sla->wheel);
    free(sla->policy_source);
    free(sla->pending);
    free(sla);
}

const lr_sla_config *lr_sla_rules(const lr_sla *sla) { return sla->cfg; }

const lr_sla_policy *lr_sla_policy_of(const lr_sla *sla, const lr_lead_rec *r) {
    return r->policy >= 0 ? &sla->cfg->policies[r->policy] : NULL;
}

static const lr_calendar *calendar_of(const lr_sla *sla, const lr_sla_policy *p) {
    return p && p->calendar >= 0 ? &sla->cfg->cals[p->calendar] : NULL;
}

int64_t lr_sla_elapsed(const lr_sla *sla, const lr_lead_rec *r, lr_time_ms at) {
    return lr_calendar_elapsed(calendar_of(sla, lr_sla_policy_of(sla, r)), r->assigned_at, at);
}

/* Starts r's clock (or moves it) to `due`; every arming takes the next order
 * number, as the wheel does internally. */
static void clock_arm(lr_sla *sla, lr_lead_rec *r, uint32_t idx, lr_time_ms due) {
    r->clock_due = due;
    r->clock_order = ++sla->arm_seq;
    if (r->clock) lr_wheel_rearm(sla->wheel, r->clock, due);
    else r->clock = lr_wheel_start(sla->wheel, due, idx);
}

void lr_sla_stop(lr_sla *sla, lr_lead_rec *r) {
    if (!r->clock) return;
    lr_wheel_stop(sla->wheel, r->clock);
    r->clock = 0;
}

/* First policy whose tier, team and source (each optional) match. */
static int32_t match_policy(const lr_sla *sla, const lr_lead_rec *r) {
    for (size_t i = 0; i < lr_sla_policy_count(sla->cfg); i++) {
        const lr_sla_policy *p = &sla->cfg->policies[i];
        if ((p->tier < 0 || p->tier == r->tier) && (p->team < 0 || p->team == r->team) &&
            (!sla->policy_source[i] || sla->policy_source[i] == r->source_id))
            return (int32_t)i;
    }
    return -1;
}

void lr_sla_start(lr_sla *sla, lr_lead_rec *r, uint32_t idx, lr_time_ms now) {
    r->policy = (int16_t)match_policy(sla, r);
    const lr_sla_policy *p = lr_sla_policy_of(sla, r);
    if (!p) {
        r->due_at = LR_TIME_NONE;
        return;
    }
    const lr_calendar *cal = calendar_of(sla, p);
    r->due_at = lr_calendar_add(cal, now, p->first_touch);
    lr_time_ms first = r->due_at;
    r->phase = LR_SLA_PHASE_BREACH;
    if (p->warn_offset > 0 && p->warn_offset < p->first_touch) {
        first = lr_calendar_add(cal, now, p->warn_offset);
        r->phase = LR_SLA_PHASE_WARN;
    }
    clock_arm(sla, r, idx, first);
}

/* Arms step k of the ladder (counted from `from`), or ends the clock after the
 * last step. */
static void ladder_next(lr_sla *sla, lr_lead_rec *r, size_t k, lr_time_ms from) {
    const lr_sla_policy *p = lr_sla_policy_of(sla, r);
    if (k >= p->n_steps) {
        lr_sla_stop(sla, r);
        return;
    }
    r->phase = (uint8_t)(LR_SLA_PHASE_STEP0 + k);
    lr_time_ms at = lr_calendar_add(calendar_of(sla, p), from, p->steps[k].after);
    clock_arm(sla, r, 0, at);
}

/* Where a reassign step that may not reassign any more escalates to: the `to`
 * of the next escalate step of the ladder, else the team's queue. */
static const char *fallback_target(const lr_sla_policy *p, size_t k) {
    for (size_t j = k + 1; j < p->n_steps; j++)
        if (p->steps[j].action == LR_SLA_ESCALATE) return p->steps[j].to;
    return NULL;
}

/* Moves r past the phase that fell due at `at` and says what it was. */
static void fire(lr_sla *sla, lr_lead_rec *r, lr_time_ms at, lr_sla_fired *f) {
    const lr_sla_policy *p = lr_sla_policy_of(sla, r);
    *f = (lr_sla_fired){.policy = p};
    if (r->phase == LR_SLA_PHASE_WARN) {
        f->what = LR_SLA_FIRE_WARNING;
        r->phase = LR_SLA_PHASE_BREACH;
        clock_arm(sla, r, 0, r->due_at);
        return;
    }
    if (r->phase == LR_SLA_PHASE_BREACH) {
        f->what = LR_SLA_FIRE_BREACH;
        r->flags |= LR_REC_BREACHED;
        ladder_next(sla, r, 0, at);
        return;
    }
    size_t k = (size_t)(r->phase - LR_SLA_PHASE_STEP0);
    const lr_sla_step *st = &p->steps[k];
    f->step = (int32_t)k + 1;
    if (st->action == LR_SLA_NOTIFY_MANAGER) {
        f->what = LR_SLA_FIRE_NOTIFY;
        ladder_next(sla, r, k + 1, at);
        return;
    }
    if (st->action == LR_SLA_REASSIGN && r->reassignments < sla->cfg->max_reassignments) {
        f->what = LR_SLA_FIRE_REASSIGN;
        r->reassignments++;
        lr_sla_stop(sla, r); /* the new assignment starts its own clock */
        return;
    }
    f->what = LR_SLA_FIRE_ESCALATE;
    f->to = st->action == LR_SLA_REASSIGN ? fallback_target(p, k) : st->to;
    r->flags |= LR_REC_ESCALATED;
    lr_sla_stop(sla, r);
}

void lr_sla_prefetch(lr_sla *sla, lr_time_ms now) {
    /* the wheel moves to `now` here rather than in the next pop (nothing is
     * armed in between, so the same clocks fall due), and the record of the
     * first clock to fire starts loading */
    lr_wheel_advance(sla->wheel, now);
    uint32_t first = lr_wheel_peek(sla->wheel, now);
    if (first != LR_WHEEL_NONE) lr_records_prefetch(sla->recs, lr_wheel_data(sla->wheel, first));
}

uint32_t lr_sla_pop(lr_sla *sla, lr_time_ms now, lr_sla_fired *f) {
    uint32_t id = lr_wheel_pop(sla->wheel, now);
    if (id == LR_WHEEL_NONE) return LR_RECORDS_NONE;
    uint32_t idx = lr_wheel_data(sla->wheel, id);
    /* records of firing clocks are scattered over a large table: start
     * loading the next one while this one fires */
    uint32_t next = lr_wheel_peek(sla->wheel, now);
    if (next != LR_WHEEL_NONE) lr_records_prefetch(sla->recs, lr_wheel_data(sla->wheel, next));
    fire(sla, lr_records_at(sla->recs, idx), lr_wheel_due(sla->wheel, id), f);
    return idx;
}

lr_time_ms lr_sla_next_due(const lr_sla *sla) { return lr_wheel_next_due(sla->wheel); }
size_t lr_sla_open_clocks(const lr_sla *sla) { return lr_wheel_count(sla->wheel); }

/* ---- restore ------------------------------------------------------------------- */

void lr_sla_restore_clock(lr_sla *sla, lr_lead_rec *r, uint32_t idx) {
    if (sla->n_pending == sla->cap_pending) {
        sla->cap_pending = sla->cap_pending ? sla->cap_pending * 2 : 1024;
        sla->pending = realloc(sla->pending, sla->cap_pending * sizeof(*sla->pending));
        if (!sla->pending) abort();
    }
    sla->pending[sla->n_pending++] = idx;
    if (r->clock_order > sla->arm_seq) sla->arm_seq = r->clock_order;
}

typedef struct pending_clock {
    uint64_t order;
    uint32_t idx;
} pending_clock;

static int by_order(const void *a, const void *b) {
    const pending_clock *x = a, *y = b;
    return x->order < y->order   ? -1
           : x->order > y->order ? 1
                                 : (x->idx > y->idx) - (x->idx < y->idx);
}

void lr_sla_restore_done(lr_sla *sla) {
    pending_clock *p = malloc((sla->n_pending ? sla->n_pending : 1) * sizeof(*p));
    if (!p) abort();
    size_t n = 0;
    for (size_t i = 0; i < sla->n_pending; i++) {
        const lr_lead_rec *r = lr_records_at(sla->recs, sla->pending[i]);
        if (r->id[0] && (r->flags & LR_REC_PENDING))
            p[n++] = (pending_clock){r->clock_order, sla->pending[i]};
    }
    qsort(p, n, sizeof(*p), by_order);
    for (size_t i = 0; i < n; i++) {
        lr_lead_rec *r = lr_records_at(sla->recs, p[i].idx);
        if (!(r->flags & LR_REC_PENDING)) continue; /* listed twice */
        r->flags &= (uint8_t)~LR_REC_PENDING;
        r->clock = lr_wheel_start(sla->wheel, r->clock_due, p[i].idx);
    }
    free(p);
    sla->n_pending = 0;
}
