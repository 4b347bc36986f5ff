/* kpi.h - lead lifecycle KPIs: counters and fixed-bucket histograms, overall
 * and by team, source and campaign.
 *
 * Sources and campaigns are interned to small ids once per lead, so counting
 * never looks a name up. Nothing personal is kept: team, source and campaign
 * names only. Histograms have fixed log-linear buckets (exact below 16, then 8
 * per power of two: a percentile is at most 12.5 % above the true value) and
 * are allocated the first time a dimension records a value. */
#ifndef LR_KPI_H
#define LR_KPI_H

#include "common.h"
#include "event.h"
#include "hist.h"

/* ---- KPI table ---------------------------------------------------------------- */

typedef struct lr_kpi lr_kpi;

typedef enum lr_kpi_counter {
    LR_KPI_HANDED_TO_SALES = 0, /* first assignment to a rep of a lead's life */
    LR_KPI_SLA_MET,             /* first touch before the deadline */
    LR_KPI_SLA_MISSED,          /* first touch at or after the deadline */
    LR_KPI_SLA_BREACHED,        /* breach alerts */
    LR_KPI_SLA_WARNINGS,
    LR_KPI_SLA_NOTIFIED,        /* notify_manager steps */
    LR_KPI_SLA_REASSIGNED,      /* reassign steps handed to the core */
    LR_KPI_SLA_ESCALATED,       /* final escalations (SLA life ended) */
    LR_KPI_SLA_LATE_REPORTED,   /* touch in time, reported after the breach fired */
    LR_KPI_ACT_NOT_COUNTED,     /* sales activity recorded without effect */
    LR_KPI_ACT_DUPLICATE,       /* same activity id again */
    LR_KPI_ACT_UNKNOWN_LEAD,    /* activity for a lead without a record */
    LR_KPI__COUNT
} lr_kpi_counter;

typedef enum lr_kpi_hist {
    LR_KPI_TTFT = 0,   /* time to first touch, as the policy counts it */
    LR_KPI_LATENCY,    /* routing latency: decided_at - event_time */
    LR_KPI_HIST__COUNT
} lr_kpi_hist;

typedef enum lr_kpi_dim { LR_KPI_SOURCE = 0, LR_KPI_CAMPAIGN, LR_KPI_DIM__COUNT } lr_kpi_dim;

#define LR_KPI_NO_NAME 0        /* id of an absent source or campaign */
#define LR_KPI_OTHER 0xFFFFu    /* id shared by names past the 65534th */

/* Where a count goes besides the overall total. team -1: no team. */
typedef struct lr_kpi_key {
    int32_t team;
    uint16_t source, campaign;
} lr_kpi_key;

/* team_names: n_teams names owned by the caller (the routing config). */
lr_kpi *lr_kpi_new(size_t n_teams, const char *const *team_names);
void lr_kpi_free(lr_kpi *k);

/* Id of a source or campaign name (allocated the first time it is seen). */
uint16_t lr_kpi_intern(lr_kpi *k, lr_kpi_dim dim, lr_str name);
/* The name of an id: NULL for LR_KPI_NO_NAME; stable for the table's life. */
const char *lr_kpi_name(const lr_kpi *k, lr_kpi_dim dim, uint16_t id);

void lr_kpi_stage(lr_kpi *k, lr_kpi_key key, lr_status_kind s); /* a lead entered status s */
void lr_kpi_count(lr_kpi *k, lr_kpi_key key, lr_kpi_counter c);
void lr_kpi_observe(lr_kpi *k, lr_kpi_key key, lr_kpi_hist h, int64_t v);
void lr_kpi_value(lr_kpi *k, lr_kpi_key key, double converted_value);

/* What is counted for one dimension value (overall, a team, a source...). */
typedef struct lr_kpi_counts {
    uint64_t stage[LR_STATUS__COUNT];
    uint64_t c[LR_KPI__COUNT];
    double value;                      /* converted opportunity value */
    lr_hist *hist[LR_KPI_HIST__COUNT]; /* allocated on first use; NULL: none */
} lr_kpi_counts;

/* Reading the table (json/kpijson.c renders it). Pointers stay valid until
 * the next count. */
const lr_kpi_counts *lr_kpi_total(const lr_kpi *k);
size_t lr_kpi_team_count(const lr_kpi *k);
const char *lr_kpi_team_name(const lr_kpi *k, size_t t);
const lr_kpi_counts *lr_kpi_team(const lr_kpi *k, size_t t);
/* Ids 1..n of a dimension are in use; LR_KPI_OTHER has counts only once the
 * ids ran out (NULL before). */
uint32_t lr_kpi_name_count(const lr_kpi *k, lr_kpi_dim dim);
const lr_kpi_counts *lr_kpi_of_name(const lr_kpi *k, lr_kpi_dim dim, uint16_t id);
/* False for a name interned ahead of use (a policy's source): nothing yet. */
bool lr_kpi_counts_used(const lr_kpi_counts *c);

uint64_t lr_kpi_get(const lr_kpi *k, lr_kpi_counter c);        /* overall */
uint64_t lr_kpi_get_stage(const lr_kpi *k, lr_status_kind s);  /* overall */
const lr_hist *lr_kpi_get_hist(const lr_kpi *k, lr_kpi_hist h); /* overall */

#endif
