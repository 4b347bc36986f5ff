/* diff_int.h - the diff's tables, shared by diff.c (counting) and the
 * renderers (diff_report.c, diff_html.c). Names are unions over both
 * rulebooks, so a team or rep that exists on one side only still has a row.
 * Internal to the diff layer. */
#ifndef LR_DIFF_INT_H
#define LR_DIFF_INT_H

#include "diff.h"

/* What one side published, counted. Team, rep and tier arrays are indexed by
 * the union index; the last team index means "no team". */
typedef struct lr_diff_side {
    const lr_rulebook *rules;
    int32_t *team_u, *rep_u, *tier_u; /* this rulebook's index -> union index */
    uint64_t decisions, by_stage[LR_STAGE__COUNT];
    uint64_t *by_tier;                 /* n_tiers + 1: untiered last */
    uint64_t *team_assigned, *team_queued;
    uint64_t *pair;                    /* team * n_reps + rep */
    uint64_t queued, overflowed, reassigned, duplicates;
    uint64_t alerts[3];                /* WARNING, BREACH, ESCALATION */
    uint64_t touched_in_sla, touched_late;
} lr_diff_side;

/* A row of the per-lead comparison: stage index LR_STAGE__COUNT means the
 * side decided nothing for this event (a duplicate there). */
#define LR_DIFF_NONE LR_STAGE__COUNT

struct lr_diff {
    lr_diff_side side[2];
    const char **teams, **reps, **tiers; /* borrowed from the rulebooks */
    size_t n_teams, n_reps, n_tiers;
    uint64_t decided, changed, owner_changed, stage_changed, tier_changed;
    uint64_t stage_moves[LR_STAGE__COUNT + 1][LR_STAGE__COUNT + 1];
    uint64_t *tier_moves; /* (n_tiers + 1)^2, untiered last */
    uint64_t *flows;      /* (n_teams + 1)^2, "no team" last */
};

/* Stage names for reports: the Avro symbols, "NONE" for LR_DIFF_NONE. */
const char *lr_diff_stage_name(int stage);
/* The same by row index, and tier names ("(untiered)" last), for tables. */
const char *lr_diff_stage_label(const lr_diff *d, size_t s);
const char *lr_diff_tier_label(const lr_diff *d, size_t t);
/* Appends s as a JSON (or HTML, html=true) string body, escaped. */
void lr_diff_put_escaped(lr_buf *b, const char *s, size_t len, bool html);
void lr_diff_puts(lr_buf *b, const char *s);
void lr_diff_printf(lr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The report's model, shared by the three renderers so they cannot
 * disagree: rows of before/after figures, and the flows sorted largest first
 * (ties by team order). lr_diff_flows returns how many, into a malloc'd array
 * the caller frees. */
typedef struct lr_diff_outcome {
    const char *key, *label;
    uint64_t before, after;
} lr_diff_outcome;
#define LR_DIFF_OUTCOMES 8
void lr_diff_outcomes(const lr_diff *d, lr_diff_outcome out[LR_DIFF_OUTCOMES]);

typedef struct lr_diff_flow {
    uint64_t leads;
    size_t from, to; /* union team indexes; n_teams: no team */
} lr_diff_flow;
size_t lr_diff_flows(const lr_diff *d, lr_diff_flow **out);

/* Team or "(none)"; whether union rep r is in union team t on either side,
 * or got leads there. */
const char *lr_diff_team_label(const lr_diff *d, size_t t);
bool lr_diff_rep_row(const lr_diff *d, size_t t, size_t r);
uint64_t lr_diff_pair(const lr_diff *d, int side, size_t t, size_t r);

#endif
