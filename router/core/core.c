/* core.c - the decision pipeline: duplicate check, score, qualify, route,
 * then the lifecycle (status, SLA clock). It only orchestrates; each step's
 * logic lives in its own module. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#include "qualify.h"
#include "route.h"
#include "score.h"

/* Most events a single lead produces in one call (decision, status) plus what
 * the lifecycle may add; reserved up front so pointers stay valid. */
#define EVENTS_PER_CALL 8
#define REASSIGN_BATCH 32

struct lr_core {
    const lr_rulebook *rules;
    lr_route_state *route;
    lr_lifecycle *life;
    lr_score score;              /* scratch, reused for every lead */
    lr_qualification qual;
    lr_reassign reassign[REASSIGN_BATCH];
    lr_core_stats stats;
    lr_core_counts counts;
    size_t max_leads;            /* qualification.max_leads; 0: no limit */
    uint64_t shed_retry;         /* stats.shed at which make_room may run again */
    /* durable state: NULL until tracking is on */
    lr_state_route *route_shadow;
    lr_buf key, val;             /* scratch for changelog records */
    lr_core_restore_stats restore;
};

lr_core *lr_core_new(const lr_rulebook *rules, size_t expected_leads) {
    lr_core *c = calloc(1, sizeof(*c));
    if (!c) abort();
    c->rules = rules;
    c->route = lr_route_state_new(rules->route);
    c->life = lr_lifecycle_new(rules->sla, rules->qualify, rules->route, c->route, expected_leads);
    lr_core_counts *k = &c->counts;
    k->n_tiers = lr_qualify_tier_count(rules->qualify);
    k->n_teams = lr_route_team_count(rules->route);
    k->n_reps = lr_route_rep_count(rules->route);
    k->decisions = calloc((size_t)LR_STAGE__COUNT * (k->n_tiers + 1), sizeof(uint64_t));
    k->assignments = calloc(k->n_teams * k->n_reps + 1, sizeof(uint64_t));
    if (!k->decisions || !k->assignments) abort();
    c->max_leads = rules->qualify ? (size_t)lr_qualify_max_leads(rules->qualify) : 0;
    return c;
}

void lr_core_free(lr_core *c) {
    if (!c) return;
    lr_state_route_free(c->route_shadow);
    lr_buf_free(&c->key);
    lr_buf_free(&c->val);
    lr_lifecycle_free(c->life);
    lr_route_state_free(c->route);
    free(c->counts.decisions);
    free(c->counts.assignments);
    free(c);
}

const lr_core_stats *lr_core_stats_get(const lr_core *c) { return &c->stats; }
const lr_core_counts *lr_core_counts_get(const lr_core *c) { return &c->counts; }
const lr_rulebook *lr_core_rulebook(const lr_core *c) { return c->rules; }

static void count_decision(lr_core *c, lr_stage stage, int tier) {
    lr_core_counts *k = &c->counts;
    size_t t = tier >= 0 && (size_t)tier < k->n_tiers ? (size_t)tier + 1 : 0;
    k->decisions[(size_t)stage * (k->n_tiers + 1) + t]++;
}
lr_lifecycle *lr_core_lifecycle(lr_core *c) { return c->life; }
lr_route_state *lr_core_route_state(lr_core *c) { return c->route; }
lr_time_ms lr_core_next_due(const lr_core *c) { return lr_lifecycle_next_due(c->life); }

/* A decision with the next seq of the lead. Its id ends in "@<since>", the
 * record's first_seen, like every event id the lifecycle makes: a lead evicted
 * and seen again restarts at seq 1 and must not repeat its old ids. */
static lr_decision *decision_begin(lr_core *c, const lr_lead *lead, lr_time_ms now, lr_out *out) {
    lr_time_ms since;
    int64_t seq = lr_lifecycle_next_seq_since(c->life, lead, &since);
    lr_decision *d = &lr_out_push(out, LR_EVENT_DECISION)->u.decision;
    d->seq = seq;
    d->event_id = lr_event_id(&out->arena, lead->lead_id, LR_EVENT_DECISION, seq, since);
    d->lead_id = lead->lead_id;
    d->event_time = lead->event_time;
    d->decided_at = now;
    d->source = lead->source;
    d->campaign = lead->campaign;
    d->attempt = 0;
    return d;
}

static void explain_score(const lr_score *s, lr_decision *d) {
    for (uint32_t i = 0; i < s->n_hits; i++) {
        const lr_score_hit *h = &s->hits[i];
        lr_reason_kind k = h->negative ? LR_REASON_NEGATIVE_SIGNAL
                           : h->engagement ? LR_REASON_ENGAGEMENT_RULE
                                           : LR_REASON_FIT_RULE;
        lr_decision_add_reason(d, k, h->rule, NULL, h->points, NULL);
    }
}

static void route_and_fill(lr_core *c, const lr_lead *lead, lr_time_ms now,
                           const lr_route_request *req, lr_decision *d, lr_route_result *res,
                           lr_out *out) {
    lr_route_assign(c->rules->route, c->route, lead, now, req, res, d, &out->arena);
    d->team = res->team_name;
    d->rep = res->rep >= 0 ? res->rep_name : NULL;
    d->queue = res->rep >= 0 ? NULL : res->queue;
    if (res->rep >= 0) {
        c->stats.assigned++;
        if (res->team >= 0 && (size_t)res->team < c->counts.n_teams &&
            (size_t)res->rep < c->counts.n_reps)
            c->counts.assignments[(size_t)res->team * c->counts.n_reps + (size_t)res->rep]++;
    } else {
        c->stats.queued++;
    }
}

/* An escalation step asked for a new owner: route within the lead's team,
 * excluding every previous owner, and report it as a new assignment. */
static void reassign_one(lr_core *c, const lr_reassign *r, lr_time_ms now, lr_out *out) {
    const lr_lead_rec *rec = r->rec;
    lr_lead lead;
    memset(&lead, 0, sizeof(lead));
    lead.lead_id = (lr_str){rec->id, (uint32_t)strlen(rec->id)};
    lead.event_time = rec->first_seen;
    lead.company_size = lead.annual_revenue = -1;
    lr_decision *d = decision_begin(c, &lead, now, out);
    d->stage = LR_STAGE_SALES_READY;
    d->tier = rec->tier >= 0 ? lr_qualify_tier_name(c->rules->qualify, (size_t)rec->tier) : NULL;
    d->score = rec->score;
    d->cause = LR_CAUSE_SLA_REASSIGN;
    count_decision(c, d->stage, rec->tier);
    d->attempt = rec->attempt + 1;
    const char *prev = rec->owner >= 0 ? lr_route_rep_name(c->rules->route, rec->owner) : NULL;
    lr_decision_add_reason(d, LR_REASON_SLA, r->policy, prev, 0,
                           /* the lifecycle counted this reassignment when it asked */
                           lr_arena_printf(&out->arena, "first touch breached; reassignment %d",
                                           rec->reassignments));
    lr_route_request req = LR_ROUTE_REQUEST_INIT;
    req.team = r->team;
    req.exclude = r->exclude;
    req.n_exclude = r->n_exclude;
    lr_route_result res;
    route_and_fill(c, &lead, now, &req, d, &res, out);
    c->stats.reassigned++;
    lr_lifecycle_decided(c->life, &lead, d, &res, now, out);
}

void lr_core_advance(lr_core *c, lr_time_ms now, lr_out *out) {
    for (;;) {
        size_t n = lr_lifecycle_advance(c->life, now, out, c->reassign, REASSIGN_BATCH);
        for (size_t i = 0; i < n; i++) {
            lr_out_reserve(out, EVENTS_PER_CALL);
            reassign_one(c, &c->reassign[i], now, out);
        }
        if (n < REASSIGN_BATCH) break;
    }
}

/* The capacity rule of core.h for a lead that needs a new record: true when
 * there is room for it, after making some if needed. */
static bool has_room(lr_core *c) {
    if (!c->max_leads || lr_lifecycle_count(c->life) < c->max_leads) return true;
    if (c->stats.shed >= c->shed_retry &&
        lr_lifecycle_make_room(c->life, c->max_leads / 8 + 1) == 0)
        c->shed_retry = c->stats.shed + c->max_leads / 8 + 1;
    return lr_lifecycle_count(c->life) < c->max_leads;
}

bool lr_core_on_lead(lr_core *c, const lr_lead *lead, lr_time_ms now, lr_out *out) {
    /* The lead's slot in a large table and the records of clocks falling due
     * are cache misses: they are requested first and used after the scoring
     * (pure: it needs no record and emits nothing), which overlaps them. A
     * duplicate is scored for nothing, a small price for the 97 % of leads
     * that are not. */
    lr_lifecycle_prefetch(c->life, lead->lead_id.s, lead->lead_id.len, now);
    lr_score_compute(c->rules->score, lead, now, &c->score);
    lr_qualify(c->rules->qualify, lead, &c->score, &c->qual);
    lr_core_advance(c, now, out);
    lr_out_reserve(out, EVENTS_PER_CALL);
    c->stats.leads++;
    const lr_lead_rec *rec = lr_lifecycle_lookup(c->life, lead->lead_id.s, lead->lead_id.len);
    lr_decision_cause cause = LR_CAUSE_NEW;
    if (rec) {
        int64_t window = lr_qualify_duplicate_window_ms(c->rules->qualify);
        if (now - rec->last_decided < window) {
            c->stats.duplicates++;
            lr_lifecycle_duplicate(c->life, lead, now, out);
            return true;
        }
        cause = LR_CAUSE_REENGAGED;
    } else if (!has_room(c)) {
        c->stats.shed++;
        return false;
    }
    /* rec stays valid: next_seq (in decision_begin) adds (and so may evict)
     * only when there was no record, and a record it creates is zeroed, as a
     * NULL rec reads below */
    lr_decision *d = decision_begin(c, lead, now, out);
    d->stage = c->qual.stage;
    d->tier = c->qual.tier_name;
    d->fit = c->score.fit;
    d->engagement = c->score.engagement;
    d->score = c->score.total;
    d->cause = cause;
    if (cause == LR_CAUSE_REENGAGED)
        lr_decision_add_reason(d, LR_REASON_REENGAGED, NULL, NULL, 0,
                               lr_arena_printf(&out->arena, "last decided %lld s ago",
                                               (long long)((now - rec->last_decided) / 1000)));
    explain_score(&c->score, d);
    lr_decision_add_reason(d, c->qual.override ? LR_REASON_OVERRIDE : LR_REASON_THRESHOLD,
                           c->qual.override, NULL, 0, c->qual.why);
    c->stats.by_stage[d->stage]++;
    count_decision(c, d->stage, c->qual.tier);
    lr_route_result res;
    const lr_route_result *routed = NULL;
    if (d->stage == LR_STAGE_SALES_READY) {
        lr_route_request req = LR_ROUTE_REQUEST_INIT;
        if (cause == LR_CAUSE_REENGAGED && rec && rec->n_owners > 0)
            req.previous_owner = rec->owners[rec->n_owners - 1];
        d->attempt = (rec ? rec->attempt : 0) + 1;
        route_and_fill(c, lead, now, &req, d, &res, out);
        routed = &res;
    }
    lr_lifecycle_decided(c->life, lead, d, routed, now, out);
    return true;
}

void lr_core_on_repeated_lead(lr_core *c, const lr_lead *lead, lr_time_ms now, lr_out *out) {
    lr_core_advance(c, now, out);
    lr_out_reserve(out, EVENTS_PER_CALL);
    c->stats.leads++;
    c->stats.duplicates++;
    lr_lifecycle_duplicate(c->life, lead, now, out);
}

void lr_core_on_sales(lr_core *c, const lr_sales_activity *a, lr_time_ms now, lr_out *out) {
    lr_core_advance(c, now, out);
    lr_out_reserve(out, EVENTS_PER_CALL);
    c->stats.sales_activities++;
    lr_lifecycle_on_sales(c->life, a, now, out);
}

/* ---- durable state ----------------------------------------------------------- */

void lr_core_track_changes(lr_core *c) {
    if (c->route_shadow) return;
    c->route_shadow = lr_state_route_new(c->rules->route, c->route);
    lr_lifecycle_track_changes(c->life, true);
}

size_t lr_core_changes(lr_core *c, lr_state_sink_fn sink, void *ctx) {
    if (!c->route_shadow) return 0;
    size_t n = lr_lifecycle_changes(c->life, &c->key, &c->val, sink, ctx);
    return n + lr_state_route_changes(c->route_shadow, c->route, &c->key, &c->val, sink, ctx);
}

static bool has_prefix(const char *key, size_t klen, const char *prefix, size_t *plen) {
    *plen = strlen(prefix);
    return klen > *plen && !memcmp(key, prefix, *plen);
}

int lr_core_restore(lr_core *c, const char *key, size_t klen, const void *val, size_t vlen) {
    size_t pl;
    int rc;
    if (has_prefix(key, klen, LR_STATE_KEY_LEAD, &pl))
        rc = lr_lifecycle_restore(c->life, key + pl, klen - pl, val, vlen);
    else if (has_prefix(key, klen, LR_STATE_KEY_REP, &pl))
        rc = lr_state_restore_rep(c->rules->route, c->route, key + pl, klen - pl, val, vlen);
    else if (has_prefix(key, klen, LR_STATE_KEY_TEAM, &pl))
        rc = lr_state_restore_team(c->rules->route, c->route, key + pl, klen - pl, val, vlen);
    else
        rc = 1; /* written by a later version: not ours to interpret */
    if (rc == 0) c->restore.applied++;
    else if (rc > 0) c->restore.skipped++;
    else c->restore.malformed++;
    return rc;
}

void lr_core_restore_done(lr_core *c) {
    lr_lifecycle_restore_done(c->life);
    if (c->route_shadow) lr_state_route_sync(c->route_shadow, c->route);
}

const lr_core_restore_stats *lr_core_restore_stats_get(const lr_core *c) { return &c->restore; }

size_t lr_core_snapshot(lr_core *c, lr_state_sink_fn sink, void *ctx) {
    size_t n = lr_lifecycle_snapshot(c->life, &c->key, &c->val, sink, ctx);
    return n + lr_state_route_snapshot(c->rules->route, c->route, &c->key, &c->val, sink, ctx);
}

static void restore_into(void *ctx, const char *key, size_t klen, const void *val, size_t vlen) {
    lr_core_restore(ctx, key, klen, val, vlen);
}

lr_core *lr_core_move(lr_core *old, const lr_rulebook *rules, size_t expected_leads) {
    lr_core *c = lr_core_new(rules, expected_leads);
    if (old->route_shadow) lr_core_track_changes(c);
    lr_core_snapshot(old, restore_into, c);
    lr_core_restore_done(c);
    return c;
}
