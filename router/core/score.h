/* score.h - fit and engagement scoring: pure, deterministic.
 *
 * Fit rules test who the lead is; engagement rules add points per activity,
 * halved every half-life of age (age = now - activity time), capped per type.
 * The breakdown says which rule gave how many points. */
#ifndef LR_SCORE_H
#define LR_SCORE_H

#include "cfg.h"
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

/* Parses the `scoring:` section (NULL node: no rules, every score 0). */
lr_score_config *lr_score_config_parse(const lr_cfg_node *scoring, lr_err *err);
void lr_score_config_free(lr_score_config *cfg);

/* Scores a lead at time `now`. No allocation. */
void lr_score_compute(const lr_score_config *cfg, const lr_lead *lead, lr_time_ms now,
                      lr_score *out);

#endif
