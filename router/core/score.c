/* score.c - fit and engagement scoring (see score.h).
 *
 * Fit rules are predicates with points. Engagement is a per-activity-type
 * table indexed by lr_activity_type, filled at configuration time, so that
 * scoring a lead is a walk over its rules and activities with no lookup and
 * no allocation.
 *
 * Decay: an activity of age a (ms) is worth points * 2^(-a / half_life).
 * exp2 is the only transcendental function used, and sums run in a fixed
 * order (rules in file order, activities in the lead's order), so the same
 * lead at the same `now` always gives bit-identical scores.
 *
 * Reading the rules from the configuration file is config/rules_score.c's job. */
#include "score.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct fit_rule {
    char *name;
    lr_predicate *pred;
    double points;
} fit_rule;

typedef struct eng_rule {
    bool active;
    bool has_cap;
    double points;
    double cap;           /* > 0: the type's sum stays within [-cap, cap] */
    const char *name;     /* activity type name, static in lead.c */
} eng_rule;

struct lr_score_config {
    size_t n_fit;
    fit_rule *fit;
    const lr_predicate **fit_preds; /* fit[i].pred, contiguous for lr_predicate_match_many */
    int64_t half_life_ms;
    eng_rule eng[LR_ACT__COUNT];
    /* Activity types that have a rule, in file order: the breakdown lists
     * engagement hits in the order the user wrote the rules. */
    size_t n_order;
    lr_activity_type order[LR_ACT__COUNT];
};

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) abort();
    memcpy(p, s, n);
    return p;
}

/* ---- construction */

lr_score_config *lr_score_config_new(void) {
    lr_score_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg) abort();
    cfg->half_life_ms = 14 * LR_DAY_MS;
    return cfg;
}

void lr_score_set_half_life(lr_score_config *cfg, int64_t half_life_ms) {
    cfg->half_life_ms = half_life_ms;
}

bool lr_score_has_fit(const lr_score_config *cfg, const char *name) {
    for (size_t i = 0; i < cfg->n_fit; i++)
        if (strcmp(cfg->fit[i].name, name) == 0) return true;
    return false;
}

void lr_score_add_fit(lr_score_config *cfg, const char *name, double points, lr_predicate *pred) {
    size_t n = cfg->n_fit + 1;
    cfg->fit = realloc(cfg->fit, n * sizeof(*cfg->fit));
    cfg->fit_preds = realloc(cfg->fit_preds, n * sizeof(*cfg->fit_preds));
    if (!cfg->fit || !cfg->fit_preds) abort();
    fit_rule *fr = &cfg->fit[cfg->n_fit++];
    fr->name = xstrdup(name);
    fr->pred = pred;
    fr->points = points;
    cfg->fit_preds[n - 1] = pred;
}

bool lr_score_has_engagement(const lr_score_config *cfg, lr_activity_type t) {
    return (unsigned)t < LR_ACT__COUNT && cfg->eng[t].active;
}

void lr_score_add_engagement(lr_score_config *cfg, lr_activity_type t, double points,
                             double cap) {
    eng_rule *e = &cfg->eng[t];
    e->has_cap = cap > 0;
    e->cap = cap;
    e->active = true;
    e->points = points;
    e->name = lr_activity_type_name(t);
    cfg->order[cfg->n_order++] = t;
}

void lr_score_config_free(lr_score_config *cfg) {
    if (!cfg) return;
    for (size_t i = 0; i < cfg->n_fit; i++) {
        free(cfg->fit[i].name);
        lr_predicate_free(cfg->fit[i].pred);
    }
    free(cfg->fit);
    free(cfg->fit_preds);
    free(cfg);
}

/* ---- scoring */

static void add_hit(lr_score *out, const char *rule, double points, bool engagement) {
    if (out->n_hits >= LR_MAX_SCORE_HITS) return; /* points still count; see score.h */
    lr_score_hit *h = &out->hits[out->n_hits++];
    h->rule = rule;
    h->points = points;
    h->engagement = engagement;
    h->negative = points < 0;
}

static double decay(lr_time_ms now, lr_time_ms at, int64_t half_life_ms) {
    int64_t age_ms;
    /* A garbage timestamp far in the past must not overflow: it is just old. */
    if (__builtin_sub_overflow(now, at, &age_ms)) age_ms = at > now ? 0 : INT64_MAX;
    if (age_ms <= 0) return 1.0; /* future activities (clock skew) count in full */
    return exp2(-(double)age_ms / (double)half_life_ms);
}

void lr_score_compute(const lr_score_config *cfg, const lr_lead *lead, lr_time_ms now,
                      lr_score *out) {
    out->fit = out->engagement = out->total = 0;
    out->n_hits = 0;

    /* the conditions in batches, then the points in rule order */
    enum { BATCH = 64 };
    bool hit[BATCH];
    for (size_t at = 0; at < cfg->n_fit; at += BATCH) {
        size_t n = cfg->n_fit - at < BATCH ? cfg->n_fit - at : BATCH;
        lr_predicate_match_many(cfg->fit_preds + at, n, lead, hit);
        for (size_t i = 0; i < n; i++) {
            if (!hit[i]) continue;
            const fit_rule *r = &cfg->fit[at + i];
            out->fit += r->points;
            add_hit(out, r->name, r->points, false);
        }
    }

    double sum[LR_ACT__COUNT] = {0};
    bool seen[LR_ACT__COUNT] = {false};
    uint32_t n = lead->n_activities < LR_MAX_ACTIVITIES ? lead->n_activities : LR_MAX_ACTIVITIES;
    for (uint32_t i = 0; i < n; i++) {
        const lr_activity *a = &lead->activities[i];
        if ((unsigned)a->type >= LR_ACT__COUNT) continue;
        const eng_rule *e = &cfg->eng[a->type];
        if (!e->active) continue;
        sum[a->type] += e->points * decay(now, a->at, cfg->half_life_ms);
        seen[a->type] = true;
    }
    for (size_t k = 0; k < cfg->n_order; k++) {
        lr_activity_type t = cfg->order[k];
        if (!seen[t]) continue;
        const eng_rule *e = &cfg->eng[t];
        double v = sum[t];
        if (e->has_cap) {
            if (v > e->cap) v = e->cap;
            if (v < -e->cap) v = -e->cap;
        }
        out->engagement += v;
        add_hit(out, e->name, v, true);
    }
    out->total = out->fit + out->engagement;
}
