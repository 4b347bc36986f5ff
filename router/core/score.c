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
 * lead at the same `now` always gives bit-identical scores. */
#include "score.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HALF_LIFE "14d"

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

/* ---- fit rules */

static const char *const fit_extra_keys[] = {"name", "points", NULL};

static int parse_fit_rule(lr_score_config *cfg, const lr_cfg_node *r, lr_err *err) {
    if (lr_cfg_expect(r, LR_CFG_MAP, "a fit rule", err) < 0) return -1;
    const lr_cfg_node *name = lr_cfg_get(r, "name");
    const lr_cfg_node *points = lr_cfg_get(r, "points");
    if (!name) return lr_cfg_fail(err, r, "fit rule without 'name'");
    if (lr_cfg_expect(name, LR_CFG_SCALAR, "name", err) < 0) return -1;
    if (!name->scalar[0]) return lr_cfg_fail(err, name, "fit rule name is empty");
    for (size_t i = 0; i < cfg->n_fit; i++)
        if (strcmp(cfg->fit[i].name, name->scalar) == 0)
            return lr_cfg_fail(err, name, "duplicate fit rule name '%s'", name->scalar);
    if (!points) return lr_cfg_fail(err, r, "fit rule '%s' without 'points'", name->scalar);
    double pts;
    if (lr_cfg_as_double(points, &pts, err) < 0) return -1;
    lr_predicate *pred = lr_predicate_parse(r, fit_extra_keys, err);
    if (!pred) return -1;
    fit_rule *fr = &cfg->fit[cfg->n_fit++];
    fr->name = xstrdup(name->scalar);
    fr->pred = pred;
    fr->points = pts;
    return 0;
}

static int parse_fit(lr_score_config *cfg, const lr_cfg_node *fit, lr_err *err) {
    if (!fit) return 0;
    if (lr_cfg_expect(fit, LR_CFG_SEQ, "scoring.fit", err) < 0) return -1;
    cfg->fit = calloc(fit->n ? fit->n : 1, sizeof(*cfg->fit));
    if (!cfg->fit) abort();
    for (size_t i = 0; i < fit->n; i++)
        if (parse_fit_rule(cfg, fit->items[i], err) < 0) return -1;
    cfg->fit_preds = calloc(cfg->n_fit ? cfg->n_fit : 1, sizeof(*cfg->fit_preds));
    if (!cfg->fit_preds) abort();
    for (size_t i = 0; i < cfg->n_fit; i++) cfg->fit_preds[i] = cfg->fit[i].pred;
    return 0;
}

/* ---- engagement rules */

typedef struct eng_fields {
    const char *activity;
    double points;
    const lr_cfg_node *cap;
} eng_fields;

static const lr_cfg_field eng_rule_fields[] = {
    {"activity", LR_CFG_T_STR, offsetof(eng_fields, activity), true, NULL, 0, 0},
    {"points", LR_CFG_T_DOUBLE, offsetof(eng_fields, points), true, NULL, 0, 0},
    {"cap", LR_CFG_T_NODE, offsetof(eng_fields, cap), false, NULL, 0, 0},
};

static int fail_unknown_activity(lr_err *err, const lr_cfg_node *at, const char *name) {
    char known[400];
    size_t off = 0;
    known[0] = '\0';
    for (int t = 0; t < LR_ACT__COUNT; t++)
        off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s", t ? ", " : "",
                                lr_activity_type_name((lr_activity_type)t));
    return lr_cfg_fail(err, at, "unknown activity '%s' (known: %s)", name, known);
}

static int parse_eng_rule(lr_score_config *cfg, const lr_cfg_node *r, lr_err *err) {
    eng_fields f = {0};
    if (lr_cfg_apply(r, eng_rule_fields, LR_CFG_COUNT(eng_rule_fields), &f,
                     "an engagement rule", err) < 0)
        return -1;
    const lr_cfg_node *act_node = lr_cfg_get(r, "activity");
    lr_activity_type t;
    if (!lr_activity_type_parse(f.activity, &t))
        return fail_unknown_activity(err, act_node, f.activity);
    eng_rule *e = &cfg->eng[t];
    if (e->active)
        return lr_cfg_fail(err, act_node, "activity '%s' has two engagement rules", f.activity);
    if (f.cap) {
        if (lr_cfg_as_double(f.cap, &e->cap, err) < 0) return -1;
        if (e->cap <= 0) return lr_cfg_fail(err, f.cap, "cap must be positive, not %s",
                                            f.cap->scalar);
        e->has_cap = true;
    }
    e->active = true;
    e->points = f.points;
    e->name = lr_activity_type_name(t);
    cfg->order[cfg->n_order++] = t;
    return 0;
}

typedef struct eng_section {
    int64_t half_life_ms;
    const lr_cfg_node *rules;
} eng_section;

static const lr_cfg_field eng_fields_map[] = {
    {"half_life", LR_CFG_T_DURATION, offsetof(eng_section, half_life_ms), false,
     DEFAULT_HALF_LIFE, 0, 0},
    {"rules", LR_CFG_T_NODE, offsetof(eng_section, rules), false, NULL, 0, 0},
};

static int parse_engagement(lr_score_config *cfg, const lr_cfg_node *eng, lr_err *err) {
    eng_section s = {0};
    if (lr_cfg_apply(eng, eng_fields_map, LR_CFG_COUNT(eng_fields_map), &s,
                     "scoring.engagement", err) < 0)
        return -1;
    /* A zero half-life would make every past activity worth nothing and the
     * formula divide by zero; a very long one (e.g. 520w) disables decay. */
    if (s.half_life_ms <= 0)
        return lr_cfg_fail(err, lr_cfg_get(eng, "half_life"),
                           "half_life must be longer than 0 (use e.g. 520w for no decay)");
    cfg->half_life_ms = s.half_life_ms;
    if (!s.rules) return 0;
    if (lr_cfg_expect(s.rules, LR_CFG_SEQ, "scoring.engagement.rules", err) < 0) return -1;
    for (size_t i = 0; i < s.rules->n; i++)
        if (parse_eng_rule(cfg, s.rules->items[i], err) < 0) return -1;
    return 0;
}

/* ---- section */

typedef struct scoring_section {
    const lr_cfg_node *fit, *engagement;
} scoring_section;

static const lr_cfg_field scoring_fields[] = {
    {"fit", LR_CFG_T_NODE, offsetof(scoring_section, fit), false, NULL, 0, 0},
    {"engagement", LR_CFG_T_NODE, offsetof(scoring_section, engagement), false, NULL, 0, 0},
};

lr_score_config *lr_score_config_parse(const lr_cfg_node *scoring, lr_err *err) {
    lr_score_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg) abort();
    cfg->half_life_ms = 14 * LR_DAY_MS;
    scoring_section s = {0};
    if (lr_cfg_apply(scoring, scoring_fields, LR_CFG_COUNT(scoring_fields), &s, "scoring",
                     err) < 0 ||
        parse_fit(cfg, s.fit, err) < 0 ||
        (s.engagement && parse_engagement(cfg, s.engagement, err) < 0)) {
        lr_score_config_free(cfg);
        return NULL;
    }
    return cfg;
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
