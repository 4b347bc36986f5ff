/* lifecycle_impl.h - the lifecycle's parts, shared by lifecycle.c (decisions,
 * sales activity, SLA events) and lifecycle_state.c (its changelog). Not for
 * other modules: use lifecycle.h. */
#ifndef LR_LIFECYCLE_IMPL_H
#define LR_LIFECYCLE_IMPL_H

#include "kpi.h"
#include "lifecycle.h"

struct lr_lifecycle {
    const lr_sla_config *scfg;
    const lr_qualify_config *qcfg;
    const lr_route_config *rcfg;
    lr_route_state *rstate;    /* open counts: released when a lead leaves its owner */
    lr_records *recs;          /* the lead records */
    lr_sla *sla;               /* the clocks */
    lr_kpi *kpi;
    const char **team_names;   /* for the KPI table */
};

static inline const char *lr_lifecycle_tier_of(const lr_lifecycle *lc, const lr_lead_rec *r) {
    return r->tier >= 0 && lc->qcfg ? lr_qualify_tier_name(lc->qcfg, (size_t)r->tier) : NULL;
}

static inline const char *lr_lifecycle_team_name(const lr_lifecycle *lc, int32_t team) {
    return lc->rcfg ? lr_route_team_name(lc->rcfg, team) : NULL;
}

static inline const char *lr_lifecycle_rep_name(const lr_lifecycle *lc, int32_t rep) {
    return lc->rcfg ? lr_route_rep_name(lc->rcfg, rep) : NULL;
}

#endif
