/* qualify.c - from a score to a stage and a tier, with overrides (see qualify.h).
 *
 * Order of decision, per lead:
 *   1. overrides, in file order; the first that matches sets the stage (and the
 *      tier when it names one);
 *   2. otherwise the thresholds: sales_ready_score, marketing_qualified_score,
 *      disqualify_below, else nurture.
 * The tier comes from the total score (tiers sorted by min_score, highest
 * first) unless the deciding override names one.
 *
 * Every `why` text is formatted here at configuration time, so qualifying a
 * lead allocates nothing. */
#include "qualify.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tier {
    char *name;
    double min_score;
    int line;
} tier;

typedef struct override {
    char *name;
    lr_stage stage;
    int tier;                 /* -1: keep the tier from the score */
    bool by_activity;
    lr_activity_type activity;
    lr_predicate *pred;
    char *why;
} override;

struct lr_qualify_config {
    size_t n_tiers;
    tier *tiers;              /* min_score descending */
    double sales_ready, mql;
    bool has_disqualify;
    double disqualify_below;
    size_t n_overrides;
    override *overrides;
    int64_t duplicate_window_ms;
    char *why_sales_ready, *why_mql, *why_disqualified, *why_nurture;
};

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) abort();
    memcpy(p, s, n);
    return p;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = malloc((size_t)n + 1);
    if (!p) abort();
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* Thresholds as people wrote them: 60, 72.5, -20 (no trailing zeros). */
static void fmt_num(char *buf, size_t cap, double v) {
    snprintf(buf, cap, "%.4f", v);
    char *dot = strchr(buf, '.');
    if (!dot) return;
    char *end = buf + strlen(buf) - 1;
    while (end > dot && *end == '0') *end-- = '\0';
    if (end == dot) *end = '\0';
    if (strcmp(buf, "-0") == 0) strcpy(buf, "0");
}

/* ---- tiers */

static int cmp_tier(const void *a, const void *b) {
    const tier *x = a, *y = b;
    if (x->min_score != y->min_score) return x->min_score > y->min_score ? -1 : 1;
    return x->line - y->line; /* never reached: equal scores are refused */
}

static const lr_cfg_field tier_fields[] = {
    {"name", LR_CFG_T_STR, offsetof(tier, name), true, NULL, 0, 0},
    {"min_score", LR_CFG_T_DOUBLE, offsetof(tier, min_score), true, NULL, 0, 0},
};

static int parse_tiers(lr_qualify_config *cfg, const lr_cfg_node *seq, lr_err *err) {
    if (!seq) return 0;
    if (lr_cfg_expect(seq, LR_CFG_SEQ, "qualification.tiers", err) < 0) return -1;
    cfg->tiers = calloc(seq->n ? seq->n : 1, sizeof(*cfg->tiers));
    if (!cfg->tiers) abort();
    for (size_t i = 0; i < seq->n; i++) {
        const lr_cfg_node *t = seq->items[i];
        tier tv = {0};
        if (lr_cfg_apply(t, tier_fields, LR_CFG_COUNT(tier_fields), &tv, "a tier", err) < 0)
            return -1;
        if (!tv.name[0]) return lr_cfg_fail(err, t, "tier name is empty");
        for (size_t j = 0; j < cfg->n_tiers; j++) {
            if (strcmp(cfg->tiers[j].name, tv.name) == 0)
                return lr_cfg_fail(err, t, "duplicate tier name '%s'", tv.name);
            /* Two tiers at one score: the second could never be chosen. */
            if (cfg->tiers[j].min_score == tv.min_score)
                return lr_cfg_fail(err, t, "tiers '%s' and '%s' have the same min_score",
                                   cfg->tiers[j].name, tv.name);
        }
        tier *dst = &cfg->tiers[cfg->n_tiers++];
        dst->name = xstrdup(tv.name);
        dst->min_score = tv.min_score;
        dst->line = t->line;
    }
    qsort(cfg->tiers, cfg->n_tiers, sizeof(*cfg->tiers), cmp_tier);
    return 0;
}

static int tier_index(const lr_qualify_config *cfg, const char *name) {
    for (size_t i = 0; i < cfg->n_tiers; i++)
        if (strcmp(cfg->tiers[i].name, name) == 0) return (int)i;
    return -1;
}

/* ---- overrides */

static const char *const stage_keys[LR_STAGE__COUNT] = {
    "sales_ready", "marketing_qualified", "nurture", "disqualified",
};

static int parse_stage(const lr_cfg_node *n, lr_stage *out, lr_err *err) {
    if (lr_cfg_expect(n, LR_CFG_SCALAR, "stage", err) < 0) return -1;
    for (int s = 0; s < LR_STAGE__COUNT; s++) {
        if (strcmp(n->scalar, stage_keys[s]) == 0) {
            *out = (lr_stage)s;
            return 0;
        }
    }
    return lr_cfg_fail(err, n, "unknown stage '%s' (known: sales_ready, marketing_qualified, "
                       "nurture, disqualified)", n->scalar);
}

static const char *const override_keys[] = {"name", "stage", "tier", NULL};

/* `activity: <type>` overrides take no predicate keys: the map may only hold
 * name, stage, tier and activity. */
static int parse_activity_override(override *o, const lr_cfg_node *m, lr_err *err) {
    for (size_t i = 0; i < m->n; i++) {
        const char *k = m->keys[i];
        if (strcmp(k, "activity") == 0) continue;
        bool ok = false;
        for (const char *const *e = override_keys; *e; e++) ok = ok || strcmp(k, *e) == 0;
        if (!ok)
            return lr_cfg_fail_key(err, m, i, "unknown key '%s' in an activity override "
                                   "(use either activity or field plus one test)", k);
    }
    const lr_cfg_node *a = lr_cfg_get(m, "activity");
    if (lr_cfg_expect(a, LR_CFG_SCALAR, "activity", err) < 0) return -1;
    if (!lr_activity_type_parse(a->scalar, &o->activity))
        return lr_cfg_fail(err, a, "unknown activity '%s'", a->scalar);
    o->by_activity = true;
    o->why = xprintf("override %s: activity %s", o->name, lr_activity_type_name(o->activity));
    return 0;
}

static int parse_override(lr_qualify_config *cfg, const lr_cfg_node *m, lr_err *err) {
    if (lr_cfg_expect(m, LR_CFG_MAP, "an override", err) < 0) return -1;
    override *o = &cfg->overrides[cfg->n_overrides];
    o->tier = -1;
    const lr_cfg_node *name = lr_cfg_get(m, "name"), *stage = lr_cfg_get(m, "stage");
    const lr_cfg_node *tier_node = lr_cfg_get(m, "tier");
    if (!name) return lr_cfg_fail(err, m, "override without 'name'");
    if (lr_cfg_expect(name, LR_CFG_SCALAR, "name", err) < 0) return -1;
    for (size_t i = 0; i < cfg->n_overrides; i++)
        if (strcmp(cfg->overrides[i].name, name->scalar) == 0)
            return lr_cfg_fail(err, name, "duplicate override name '%s'", name->scalar);
    if (!stage) return lr_cfg_fail(err, m, "override '%s' without 'stage'", name->scalar);
    if (parse_stage(stage, &o->stage, err) < 0) return -1;
    if (tier_node) {
        if (lr_cfg_expect(tier_node, LR_CFG_SCALAR, "tier", err) < 0) return -1;
        o->tier = tier_index(cfg, tier_node->scalar);
        if (o->tier < 0)
            return lr_cfg_fail(err, tier_node, "override '%s': tier '%s' is not defined in "
                               "qualification.tiers", name->scalar, tier_node->scalar);
    }
    o->name = xstrdup(name->scalar);
    cfg->n_overrides++; /* from here on, free() releases what o holds */
    if (lr_cfg_get(m, "activity")) return parse_activity_override(o, m, err);
    if (!lr_cfg_get(m, "field"))
        return lr_cfg_fail(err, m, "override '%s' needs either 'activity' or 'field' with "
                           "one test", o->name);
    o->pred = lr_predicate_parse(m, override_keys, err);
    if (!o->pred) return -1;
    o->why = xprintf("override %s: %s", o->name, lr_predicate_describe(o->pred));
    return 0;
}

static int parse_overrides(lr_qualify_config *cfg, const lr_cfg_node *seq, lr_err *err) {
    if (!seq) return 0;
    if (lr_cfg_expect(seq, LR_CFG_SEQ, "qualification.overrides", err) < 0) return -1;
    cfg->overrides = calloc(seq->n ? seq->n : 1, sizeof(*cfg->overrides));
    if (!cfg->overrides) abort();
    for (size_t i = 0; i < seq->n; i++)
        if (parse_override(cfg, seq->items[i], err) < 0) return -1;
    return 0;
}

/* ---- section */

typedef struct qual_section {
    const lr_cfg_node *tiers, *overrides, *disqualify_below;
    double sales_ready, mql;
    int64_t duplicate_window_ms;
} qual_section;

static const lr_cfg_field qual_fields[] = {
    {"tiers", LR_CFG_T_NODE, offsetof(qual_section, tiers), false, NULL, 0, 0},
    {"sales_ready_score", LR_CFG_T_DOUBLE, offsetof(qual_section, sales_ready), false, "60", 0,
     0},
    {"marketing_qualified_score", LR_CFG_T_DOUBLE, offsetof(qual_section, mql), false, "30", 0,
     0},
    {"disqualify_below", LR_CFG_T_NODE, offsetof(qual_section, disqualify_below), false, NULL,
     0, 0},
    {"overrides", LR_CFG_T_NODE, offsetof(qual_section, overrides), false, NULL, 0, 0},
    {"duplicate_window", LR_CFG_T_DURATION, offsetof(qual_section, duplicate_window_ms), false,
     "7d", 0, 0},
};

static int check_thresholds(lr_qualify_config *cfg, const lr_cfg_node *sec,
                            const qual_section *s, lr_err *err) {
    const lr_cfg_node *at = lr_cfg_get(sec, "sales_ready_score");
    if (!at) at = lr_cfg_get(sec, "marketing_qualified_score");
    if (s->sales_ready < s->mql)
        return lr_cfg_fail(err, at ? at : sec, "sales_ready_score (%g) is below "
                           "marketing_qualified_score (%g)", s->sales_ready, s->mql);
    if (s->disqualify_below) {
        if (lr_cfg_as_double(s->disqualify_below, &cfg->disqualify_below, err) < 0) return -1;
        if (cfg->disqualify_below > s->mql)
            return lr_cfg_fail(err, s->disqualify_below, "disqualify_below (%g) is above "
                               "marketing_qualified_score (%g)", cfg->disqualify_below, s->mql);
        cfg->has_disqualify = true;
    }
    return 0;
}

static void build_why(lr_qualify_config *cfg) {
    char a[64], b[64];
    fmt_num(a, sizeof(a), cfg->sales_ready);
    cfg->why_sales_ready = xprintf("score >= sales_ready_score %s", a);
    fmt_num(b, sizeof(b), cfg->mql);
    cfg->why_mql = xprintf("score >= marketing_qualified_score %s", b);
    cfg->why_nurture = xprintf("score < marketing_qualified_score %s", b);
    fmt_num(a, sizeof(a), cfg->disqualify_below);
    cfg->why_disqualified = xprintf("score < disqualify_below %s", a);
}

lr_qualify_config *lr_qualify_config_parse(const lr_cfg_node *sec, lr_err *err) {
    lr_qualify_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg) abort();
    qual_section s = {0};
    /* Tiers before overrides: an override names a tier. */
    if (lr_cfg_apply(sec, qual_fields, LR_CFG_COUNT(qual_fields), &s, "qualification", err) < 0 ||
        check_thresholds(cfg, sec, &s, err) < 0 || parse_tiers(cfg, s.tiers, err) < 0 ||
        parse_overrides(cfg, s.overrides, err) < 0) {
        lr_qualify_config_free(cfg);
        return NULL;
    }
    cfg->sales_ready = s.sales_ready;
    cfg->mql = s.mql;
    cfg->duplicate_window_ms = s.duplicate_window_ms;
    build_why(cfg);
    return cfg;
}

void lr_qualify_config_free(lr_qualify_config *cfg) {
    if (!cfg) return;
    for (size_t i = 0; i < cfg->n_tiers; i++) free(cfg->tiers[i].name);
    free(cfg->tiers);
    for (size_t i = 0; i < cfg->n_overrides; i++) {
        free(cfg->overrides[i].name);
        free(cfg->overrides[i].why);
        lr_predicate_free(cfg->overrides[i].pred);
    }
    free(cfg->overrides);
    free(cfg->why_sales_ready);
    free(cfg->why_mql);
    free(cfg->why_nurture);
    free(cfg->why_disqualified);
    free(cfg);
}

/* ---- deciding */

static bool has_activity(const lr_lead *lead, lr_activity_type t) {
    uint32_t n = lead->n_activities < LR_MAX_ACTIVITIES ? lead->n_activities : LR_MAX_ACTIVITIES;
    for (uint32_t i = 0; i < n; i++)
        if (lead->activities[i].type == t) return true;
    return false;
}

static bool override_matches(const override *o, const lr_lead *lead) {
    return o->by_activity ? has_activity(lead, o->activity) : lr_predicate_match(o->pred, lead);
}

static int tier_for(const lr_qualify_config *cfg, double total) {
    for (size_t i = 0; i < cfg->n_tiers; i++)
        if (total >= cfg->tiers[i].min_score) return (int)i;
    return -1;
}

void lr_qualify(const lr_qualify_config *cfg, const lr_lead *lead, const lr_score *score,
                lr_qualification *out) {
    double total = score->total;
    out->tier = tier_for(cfg, total);
    out->override = NULL;
    for (size_t i = 0; i < cfg->n_overrides; i++) {
        const override *o = &cfg->overrides[i];
        if (!override_matches(o, lead)) continue;
        out->stage = o->stage;
        if (o->tier >= 0) out->tier = o->tier;
        out->override = o->name;
        out->why = o->why;
        goto done;
    }
    if (total >= cfg->sales_ready) {
        out->stage = LR_STAGE_SALES_READY;
        out->why = cfg->why_sales_ready;
    } else if (total >= cfg->mql) {
        out->stage = LR_STAGE_MARKETING_QUALIFIED;
        out->why = cfg->why_mql;
    } else if (cfg->has_disqualify && total < cfg->disqualify_below) {
        out->stage = LR_STAGE_DISQUALIFIED;
        out->why = cfg->why_disqualified;
    } else {
        out->stage = LR_STAGE_NURTURE;
        out->why = cfg->why_nurture;
    }
done:
    out->tier_name = out->tier >= 0 ? cfg->tiers[out->tier].name : NULL;
}

int64_t lr_qualify_duplicate_window_ms(const lr_qualify_config *cfg) {
    return cfg->duplicate_window_ms;
}

size_t lr_qualify_tier_count(const lr_qualify_config *cfg) { return cfg->n_tiers; }

const char *lr_qualify_tier_name(const lr_qualify_config *cfg, size_t i) {
    return i < cfg->n_tiers ? cfg->tiers[i].name : NULL;
}
