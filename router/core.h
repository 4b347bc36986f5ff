/* core.h - the decision core: one lead or sales activity and a clock in,
 * events out. Pure and deterministic: the same events at the same times give
 * the same output, live (wall clock) or in replay (event time). */
#ifndef LR_CORE_H
#define LR_CORE_H

#include "config.h"
#include "event.h"

typedef struct lr_core lr_core;

typedef struct lr_core_stats {
    uint64_t leads, sales_activities, duplicates;
    uint64_t by_stage[LR_STAGE__COUNT];
    uint64_t assigned, queued, reassigned;
} lr_core_stats;

lr_core *lr_core_new(const lr_config *cfg, size_t expected_leads);
void lr_core_free(lr_core *core);

/* Each call first fires what fell due up to `now`, then handles the event. */
void lr_core_on_lead(lr_core *core, const lr_lead *lead, lr_time_ms now, lr_out *out);
void lr_core_on_sales(lr_core *core, const lr_sales_activity *a, lr_time_ms now, lr_out *out);
/* Fires warnings, breaches and escalation steps due at or before `now`. */
void lr_core_advance(lr_core *core, lr_time_ms now, lr_out *out);
/* Earliest instant something falls due; LR_TIME_NONE when nothing is open. */
lr_time_ms lr_core_next_due(const lr_core *core);

const lr_core_stats *lr_core_stats_get(const lr_core *core);
lr_lifecycle *lr_core_lifecycle(lr_core *core);
lr_route_state *lr_core_route_state(lr_core *core);

#endif
