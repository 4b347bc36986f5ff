/* qualify.h - from a score to a stage and a tier, with overrides. Pure. */
#ifndef LR_QUALIFY_H
#define LR_QUALIFY_H

#include "event.h"
#include "lead.h"
#include "predicate.h"
#include "score.h"

typedef struct lr_qualify_config lr_qualify_config;

typedef struct lr_qualification {
    lr_stage stage;
    int tier;                 /* index into the configured tiers, -1 when untiered */
    const char *tier_name;    /* NULL when untiered */
    const char *override;     /* name of the override that decided, or NULL */
    const char *why;          /* "score >= sales_ready_score 60" or "override <name>", owned by config or static */
} lr_qualification;

/* The thresholds, already checked: sales_ready >= mql >= disqualify_below. */
typedef struct lr_qualify_thresholds {
    double sales_ready, mql;
    bool has_disqualify;
    double disqualify_below;
    int64_t duplicate_window_ms;
    int64_t max_leads;        /* lead records kept at most (docs/configuration.md, "Limits"); 0: no limit */
} lr_qualify_thresholds;

/* One override: the stage (and tier, or -1) for leads that match `pred`, or,
 * when pred is NULL, that have an activity of type `activity`. */
typedef struct lr_qualify_override {
    const char *name;
    lr_stage stage;
    int tier;                 /* lr_qualify_tier_index, or -1: the tier from the score */
    lr_activity_type activity;
    lr_predicate *pred;       /* taken by the config */
} lr_qualify_override;

/* Built once from plain values (config/rules.h reads them from the file).
 * Names are copied; the config owns its overrides' predicates. */
lr_qualify_config *lr_qualify_config_new(const lr_qualify_thresholds *t);
void lr_qualify_config_free(lr_qualify_config *cfg);
/* Tiers may come in any order (names and min_scores unique); add them all
 * before the overrides that name them. */
void lr_qualify_add_tier(lr_qualify_config *cfg, const char *name, double min_score);
int lr_qualify_tier_index(const lr_qualify_config *cfg, const char *name); /* -1 */
/* Overrides are tried in the order added; names are unique. */
bool lr_qualify_has_override(const lr_qualify_config *cfg, const char *name);
void lr_qualify_add_override(lr_qualify_config *cfg, const lr_qualify_override *o);

void lr_qualify(const lr_qualify_config *cfg, const lr_lead *lead, const lr_score *score,
                lr_qualification *out);

int64_t lr_qualify_duplicate_window_ms(const lr_qualify_config *cfg);
int64_t lr_qualify_max_leads(const lr_qualify_config *cfg); /* 0: no limit */
size_t lr_qualify_tier_count(const lr_qualify_config *cfg);
const char *lr_qualify_tier_name(const lr_qualify_config *cfg, size_t i);

#endif
