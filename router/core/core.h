/* core.h - the decision core: one lead or sales activity and a clock in,
 * events out. Pure and deterministic: the same events at the same times give
 * the same output, live (wall clock) or in replay (event time). */
#ifndef LR_CORE_H
#define LR_CORE_H

#include "event.h"
#include "out.h"
#include "lifecycle.h"
#include "rulebook.h"
#include "state.h"

typedef struct lr_core lr_core;

typedef struct lr_core_stats {
    uint64_t leads, sales_activities, duplicates;
    uint64_t by_stage[LR_STAGE__COUNT];
    uint64_t assigned, queued, reassigned;
    uint64_t shed;      /* new leads refused: the lead table was full (lr_core_on_lead) */
} lr_core_stats;

/* Counts by rulebook index, for /metrics (kafka/, metrics/): plain arrays
 * sized from the rulebook when the core is made, counted without a lookup.
 * decisions[stage * (n_tiers + 1) + tier + 1] (tier -1: untiered, slot 0);
 * assignments[team * n_reps + rep]. */
typedef struct lr_core_counts {
    size_t n_tiers, n_teams, n_reps;
    uint64_t *decisions;
    uint64_t *assignments;
} lr_core_counts;

/* The rulebook is borrowed: it must outlive the core. */
lr_core *lr_core_new(const lr_rulebook *rules, size_t expected_leads);
void lr_core_free(lr_core *core);

/* Each call first fires what fell due up to `now`, then handles the event.
 *
 * Capacity (docs/configuration.md, "Limits"): a lead with no record while
 * the table holds qualification.max_leads records first makes room (the
 * unowned records decided longest ago go, about 1/8 of the table, even
 * inside their duplicate window); when every record is held by an owner or
 * a clock, the lead is shed: no event, stats.shed counts it and
 * lr_core_on_lead returns false, for the caller to report (dead letter
 * "over_capacity", a log line). Memory stays bounded; it never grows past
 * the limit. After a pass that freed nothing, the next one waits for 1/8 of
 * the limit in shed leads, so a full table costs O(1) amortized per lead. */
bool lr_core_on_lead(lr_core *core, const lr_lead *lead, lr_time_ms now, lr_out *out);
void lr_core_on_sales(lr_core *core, const lr_sales_activity *a, lr_time_ms now, lr_out *out);
/* A lead that stage 1 of shared mode (kafka.c) found within the duplicate
 * window of its first message: reported as a duplicate, whatever this core's
 * own clock says, since stage 1 saw every message of the lead and the lead's
 * attributes may no longer belong to this core's routing domain. */
void lr_core_on_repeated_lead(lr_core *core, const lr_lead *lead, lr_time_ms now, lr_out *out);
/* Fires warnings, breaches and escalation steps due at or before `now`. */
void lr_core_advance(lr_core *core, lr_time_ms now, lr_out *out);
/* Earliest instant something falls due; LR_TIME_NONE when nothing is open. */
lr_time_ms lr_core_next_due(const lr_core *core);

/* The rulebook the core was created from (borrowed, as passed to lr_core_new). */
const lr_rulebook *lr_core_rulebook(const lr_core *core);
const lr_core_stats *lr_core_stats_get(const lr_core *core);
const lr_core_counts *lr_core_counts_get(const lr_core *core);
lr_lifecycle *lr_core_lifecycle(lr_core *core);
lr_route_state *lr_core_route_state(lr_core *core);

/* ---- durable state (state.h, docs/design.md) --------------------------------
 * Turns on change tracking; until then lr_core_changes emits nothing. */
void lr_core_track_changes(lr_core *core);
/* Emits (key, value) for every lead record, rep load and team cursor changed
 * since the last call, then clears the marks. Keys "lead/<id>", "rep/<id>",
 * "team/<name>"; a NULL value is a tombstone (evicted lead). Returns how many. */
size_t lr_core_changes(lr_core *core, lr_state_sink_fn sink, void *ctx);

/* Applies one changelog record to a fresh core (last write wins). Returns 0
 * applied, 1 skipped (a name the configuration no longer has, or an unknown
 * key kind), -1 malformed. Call lr_core_restore_done after the last one. */
int lr_core_restore(lr_core *core, const char *key, size_t klen, const void *val, size_t vlen);
/* Arms the restored SLA clocks at their stored instants (those already due
 * fire at the first advance) and starts tracking from the restored state. */
void lr_core_restore_done(lr_core *core);

/* Emits the whole state as changelog records (every lead record, rep load and
 * team cursor, changed or not), leaving the change marks as they are. */
size_t lr_core_snapshot(lr_core *core, lr_state_sink_fn sink, void *ctx);

/* A reload (docs/operations.md, "Reload"): a new core on `rules` holding
 * old's state, moved by name through lr_core_snapshot and lr_core_restore,
 * so that the new core is exactly what a restart on `rules` would restore
 * from a changelog holding old's state: what `rules` no longer names is
 * skipped (lr_core_restore_stats_get tells how much). Change tracking is on
 * in the new core when it was in old, with nothing marked. old is left as it
 * was: the caller frees it. KPIs and lr_core_stats start at zero. */
lr_core *lr_core_move(lr_core *old, const lr_rulebook *rules, size_t expected_leads);

typedef struct lr_core_restore_stats {
    uint64_t applied, skipped, malformed;
} lr_core_restore_stats;
const lr_core_restore_stats *lr_core_restore_stats_get(const lr_core *core);

#endif
