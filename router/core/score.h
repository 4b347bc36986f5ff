/* score.h - fit and engagement scoring: pure, deterministic.
 *
 * Fit rules test who the lead is; engagement rules add points per activity,
 * halved every half-life of age (age = now - activity time), capped per type.
 * The breakdown says which rule gave how many points. */
#ifndef LR_SCORE_H
#define LR_SCORE_H

#include "lead.h"
#include "predicate.h"

#define LR_MAX_SCORE_HITS 48

typedef struct lr_score_config lr_score_config;

typedef struct lr_score_hit {
    const char *rule;     /* fit rule name, or the activity type name */
    double points;        /* after decay and cap */
    bool engagement;      /* false: fit rule */
    bool negative;        /* points < 0 */
} lr_score_hit;

typedef struct lr_score {
    double fit, engagement, total;
    uint32_t n_hits;
    lr_score_hit hits[LR_MAX_SCORE_HITS];
} lr_score;

/* Built once from plain values (config/rules.h reads them from the file):
 * no rules and a 14-day half-life to start with. The config owns its rules
 * and copies their names. */
lr_score_config *lr_score_config_new(void);
void lr_score_config_free(lr_score_config *cfg);
/* Half-life of engagement points, > 0 (a very long one disables decay). */
void lr_score_set_half_life(lr_score_config *cfg, int64_t half_life_ms);
/* A fit rule, tried in the order added; the config takes `pred`. Names are
 * unique: ask lr_score_has_fit first. */
bool lr_score_has_fit(const lr_score_config *cfg, const char *name);
void lr_score_add_fit(lr_score_config *cfg, const char *name, double points, lr_predicate *pred);
/* Points per activity of type t, capped within [-cap, cap] when cap > 0; one
 * rule per type (ask lr_score_has_engagement first). The breakdown lists
 * engagement hits in the order the rules were added. */
bool lr_score_has_engagement(const lr_score_config *cfg, lr_activity_type t);
void lr_score_add_engagement(lr_score_config *cfg, lr_activity_type t, double points,
                             double cap);

/* Scores a lead at time `now`. No allocation. */
void lr_score_compute(const lr_score_config *cfg, const lr_lead *lead, lr_time_ms now,
                      lr_score *out);

#endif
