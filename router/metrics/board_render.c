/* board_render.c - the dashboard's snapshot as JSON (GET /api/state), on
 * the HTTP thread, under the board's lock; see board.h and
 * docs/operations.md for the fields. */
#include <jansson.h>
#include <stdlib.h>

#include "board_int.h"
#include "metrics.h"

static json_t *str_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }

static json_t *teams_json(const b_snap *s) {
    json_t *teams = json_array();
    for (size_t t = 0; t < s->n_teams; t++) {
        json_t *reps = json_array();
        for (size_t r = 0; r < s->n_reps; r++) {
            if (!s->member[t * s->n_reps + r]) continue;
            const b_rep *p = &s->reps[r];
            json_array_append_new(
                reps, json_pack("{s:s, s:i, s:i, s:i, s:i, s:b, s:o}", "rep", s->rep_names[r],
                                "open", (json_int_t)p->now.open, "max_open",
                                (json_int_t)p->now.max_open, "today", (json_int_t)p->now.today,
                                "max_per_day", (json_int_t)p->now.max_per_day, "available",
                                p->seen && !p->away[0], "away", str_or_null(p->away)));
        }
        json_array_append_new(teams, json_pack("{s:s, s:o}", "team", s->teams[t], "reps", reps));
    }
    return teams;
}

static json_t *clocks_json(const b_snap *s) {
    json_t *a = json_array();
    for (size_t i = 0; i < s->n_clocks; i++) {
        const b_clock *c = &s->clocks[i];
        json_array_append_new(
            a, json_pack("{s:s, s:o, s:o, s:I, s:I, s:I}", "lead_id", c->lead, "team",
                         str_or_null(c->team), "rep", str_or_null(c->rep), "assigned_at_ms",
                         (json_int_t)c->assigned_at, "due_at_ms", (json_int_t)c->due_at,
                         "left_ms", (json_int_t)(c->due_at - s->now_ms)));
    }
    return a;
}

static json_t *decisions_json(const b_snap *s) {
    json_t *a = json_array();
    for (size_t i = 0; i < s->n_dec; i++) {
        const b_decision *d = &s->dec[i];
        json_t *why = json_array();
        for (int k = 0; k < 3; k++)
            if (d->why[k][0]) json_array_append_new(why, json_string(d->why[k]));
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:f, s:I, s:I, s:o}", "lead_id",
                         d->lead, "stage", lr_stage_name(d->stage), "tier", str_or_null(d->tier),
                         "team", str_or_null(d->team), "rep", str_or_null(d->rep), "queue",
                         str_or_null(d->queue), "score", d->score, "decided_at_ms",
                         (json_int_t)d->at_ms, "latency_ms", (json_int_t)d->latency_ms, "why",
                         why));
    }
    return a;
}

static json_t *names_json(const b_snap *s, int dim) {
    json_t *a = json_array();
    for (size_t i = 0; i < s->n_names[dim]; i++) {
        const b_name *n = &s->names[dim][i];
        json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I, s:I}", "name", n->name,
                                           "handed_to_sales", (json_int_t)n->handed, "converted",
                                           (json_int_t)n->converted, "sla_met",
                                           (json_int_t)n->met, "sla_missed",
                                           (json_int_t)n->missed));
    }
    return a;
}

static json_t *kpis_json(const b_snap *s) {
    uint64_t met = s->sla[LR_KPI_SLA_MET], missed = s->sla[LR_KPI_SLA_MISSED];
    json_t *k = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "sla_met", (json_int_t)met,
        "sla_missed", (json_int_t)missed, "sla_warnings", (json_int_t)s->sla[LR_KPI_SLA_WARNINGS],
        "sla_breaches", (json_int_t)s->sla[LR_KPI_SLA_BREACHED], "first_touches",
        (json_int_t)s->ttft_n, "ttft_p50_ms", (json_int_t)s->ttft_p50, "ttft_p90_ms",
        (json_int_t)s->ttft_p90, "decisions", (json_int_t)s->lat_n, "routing_latency_p50_ms",
        (json_int_t)s->lat_p50, "routing_latency_p99_ms", (json_int_t)s->lat_p99);
    json_object_set_new(k, "sla_compliance",
                        met + missed ? json_real((double)met / (double)(met + missed))
                                     : json_null());
    json_object_set_new(k, "by_source", names_json(s, LR_KPI_SOURCE));
    json_object_set_new(k, "by_campaign", names_json(s, LR_KPI_CAMPAIGN));
    return k;
}

char *lr_board_render(lr_board *b, int64_t mono_ms) {
    atomic_store_explicit(&b->viewed_ms, mono_ms ? mono_ms : 1, memory_order_relaxed);
    pthread_mutex_lock(&b->lock);
    const b_snap *s = b->front;
    json_t *root = json_pack("{s:I, s:s, s:b, s:I, s:I}", "now_ms", (json_int_t)s->now_ms,
                             "partitions", b->partitions, "filled", s->now_ms != 0,
                             "open_clocks", (json_int_t)s->open_clocks, "breached",
                             (json_int_t)s->breached);
    json_object_set_new(root, "teams", teams_json(s));
    json_object_set_new(root, "clocks", clocks_json(s));
    json_object_set_new(root, "decisions", decisions_json(s));
    json_object_set_new(root, "kpis", kpis_json(s));
    pthread_mutex_unlock(&b->lock);
    char *out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return out;
}
