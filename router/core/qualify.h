/* qualify.h - from a score to a stage and a tier, with overrides. Pure. */
#ifndef LR_QUALIFY_H
#define LR_QUALIFY_H

#include "cfg.h"
#include "event.h"
#include "lead.h"
#include "score.h"

typedef struct lr_qualify_config lr_qualify_config;

typedef struct lr_qualification {
    lr_stage stage;
    int tier;                 /* index into the configured tiers, -1 when untiered */
    const char *tier_name;    /* NULL when untiered */
    const char *override;     /* name of the override that decided, or NULL */
    const char *why;          /* "score >= sales_ready_score 60" or "override <name>", owned by config or static */
} lr_qualification;

/* Parses the `qualification:` section (NULL node: defaults). */
lr_qualify_config *lr_qualify_config_parse(const lr_cfg_node *qualification, lr_err *err);
void lr_qualify_config_free(lr_qualify_config *cfg);

void lr_qualify(const lr_qualify_config *cfg, const lr_lead *lead, const lr_score *score,
                lr_qualification *out);

int64_t lr_qualify_duplicate_window_ms(const lr_qualify_config *cfg);
size_t lr_qualify_tier_count(const lr_qualify_config *cfg);
const char *lr_qualify_tier_name(const lr_qualify_config *cfg, size_t i);

#endif
