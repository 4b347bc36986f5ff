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
 * lead allocates nothing. Reading the section from the configuration file is
 * config/rules_qualify.c's job. */
#include "qualify.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tier {
    char *name;
    double min_score;
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
    int64_t max_leads;
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

/* ---- construction */

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

lr_qualify_config *lr_qualify_config_new(const lr_qualify_thresholds *t) {
    lr_qualify_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg) abort();
    cfg->sales_ready = t->sales_ready;
    cfg->mql = t->mql;
    cfg->has_disqualify = t->has_disqualify;
    cfg->disqualify_below = t->has_disqualify ? t->disqualify_below : 0;
    cfg->duplicate_window_ms = t->duplicate_window_ms;
    cfg->max_leads = t->max_leads;
    build_why(cfg);
    return cfg;
}

/* Kept sorted by min_score, highest first, as tier_for reads them. */
void lr_qualify_add_tier(lr_qualify_config *cfg, const char *name, double min_score) {
    cfg->tiers = realloc(cfg->tiers, (cfg->n_tiers + 1) * sizeof(*cfg->tiers));
    if (!cfg->tiers) abort();
    size_t at = cfg->n_tiers;
    while (at > 0 && cfg->tiers[at - 1].min_score < min_score) {
        cfg->tiers[at] = cfg->tiers[at - 1];
        at--;
    }
    cfg->tiers[at].name = xstrdup(name);
    cfg->tiers[at].min_score = min_score;
    cfg->n_tiers++;
}

int lr_qualify_tier_index(const lr_qualify_config *cfg, const char *name) {
    for (size_t i = 0; i < cfg->n_tiers; i++)
        if (strcmp(cfg->tiers[i].name, name) == 0) return (int)i;
    return -1;
}

bool lr_qualify_has_override(const lr_qualify_config *cfg, const char *name) {
    for (size_t i = 0; i < cfg->n_overrides; i++)
        if (strcmp(cfg->overrides[i].name, name) == 0) return true;
    return false;
}

void lr_qualify_add_override(lr_qualify_config *cfg, const lr_qualify_override *spec) {
    cfg->overrides = realloc(cfg->overrides, (cfg->n_overrides + 1) * sizeof(*cfg->overrides));
    if (!cfg->overrides) abort();
    override *o = &cfg->overrides[cfg->n_overrides++];
    memset(o, 0, sizeof(*o));
    o->name = xstrdup(spec->name);
    o->stage = spec->stage;
    o->tier = spec->tier;
    o->by_activity = !spec->pred;
    o->activity = spec->activity;
    o->pred = spec->pred;
    if (o->by_activity)
        o->why = xprintf("override %s: activity %s", o->name, lr_activity_type_name(o->activity));
    else
        o->why = xprintf("override %s: %s", o->name, lr_predicate_describe(o->pred));
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

int64_t lr_qualify_max_leads(const lr_qualify_config *cfg) { return cfg->max_leads; }

int64_t lr_qualify_duplicate_window_ms(const lr_qualify_config *cfg) {
    return cfg->duplicate_window_ms;
}

size_t lr_qualify_tier_count(const lr_qualify_config *cfg) { return cfg->n_tiers; }

const char *lr_qualify_tier_name(const lr_qualify_config *cfg, size_t i) {
    return i < cfg->n_tiers ? cfg->tiers[i].name : NULL;
}
