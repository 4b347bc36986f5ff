/* metrics_core.c - a decision core's counts and KPIs added into a snapshot
 * (see metrics.h), on the processing thread at each publish: O(teams x reps
 * + histogram buckets), never per lead. And a rulebook's names as the
 * metrics' labels, at start and at a reload. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "kpi.h"
#include "metrics.h"
#include "rulebook.h"

static const char **names(size_t n, const char *(*name)(const void *, size_t), const void *cfg) {
    const char **v = calloc(n + 1, sizeof(char *));
    if (!v) abort();
    for (size_t i = 0; i < n; i++) v[i] = name(cfg, i);
    return v;
}
static const char *tier_name(const void *c, size_t i) { return lr_qualify_tier_name(c, i); }
static const char *team_name(const void *c, size_t i) {
    return lr_route_team_name(c, (int32_t)i);
}
static const char *rep_name(const void *c, size_t i) { return lr_route_rep_name(c, (int32_t)i); }

void lr_metrics_shape_of(lr_metrics_shape *sh, const lr_rulebook *rules) {
    const lr_route_config *rc = rules->route;
    memset(sh, 0, sizeof(*sh));
    sh->n_tiers = lr_qualify_tier_count(rules->qualify);
    sh->n_teams = lr_route_team_count(rc);
    sh->n_reps = lr_route_rep_count(rc);
    sh->tiers = names(sh->n_tiers, tier_name, rules->qualify);
    sh->teams = names(sh->n_teams, team_name, rc);
    sh->reps = names(sh->n_reps, rep_name, rc);
}

void lr_metrics_shape_destroy(lr_metrics_shape *sh) {
    free((void *)sh->tiers);
    free((void *)sh->teams);
    free((void *)sh->reps);
    sh->tiers = sh->teams = sh->reps = NULL;
}

void lr_metrics_add_core(lr_metrics_snap *s, const lr_metrics *m, lr_core *core) {
    const lr_core_counts *k = lr_core_counts_get(core);
    size_t n_tiers = lr_metrics_n_tiers(m), n_teams = lr_metrics_n_teams(m),
           n_reps = lr_metrics_n_reps(m);
    s->duplicates += lr_core_stats_get(core)->duplicates;
    s->shed += lr_core_stats_get(core)->shed;
    if (k->n_tiers == n_tiers)
        for (size_t i = 0; i < (size_t)LR_STAGE__COUNT * (n_tiers + 1); i++)
            s->decisions[i] += k->decisions[i];
    if (k->n_teams == n_teams && k->n_reps == n_reps)
        for (size_t i = 0; i < n_teams * n_reps; i++) s->assignments[i] += k->assignments[i];
    lr_lifecycle *life = lr_core_lifecycle(core);
    s->open_clocks += lr_lifecycle_open_clocks(life);
    const lr_kpi *kpi = lr_lifecycle_kpi(life);
    static const lr_kpi_counter which[LR_MT__COUNT] = {
        LR_KPI_SLA_WARNINGS, LR_KPI_SLA_BREACHED, LR_KPI_SLA_ESCALATED, LR_KPI_SLA_MET,
        LR_KPI_SLA_MISSED};
    for (int c = 0; c < LR_MT__COUNT; c++) s->sla_total[c] += lr_kpi_total(kpi)->c[which[c]];
    for (size_t t = 0; t < n_teams && t < lr_kpi_team_count(kpi); t++)
        for (int c = 0; c < LR_MT__COUNT; c++)
            s->sla_team[t * LR_MT__COUNT + (size_t)c] += lr_kpi_team(kpi, t)->c[which[c]];
    lr_metrics_hist_merge(&s->hist[LR_MH_LATENCY], LR_MH_LATENCY,
                          lr_kpi_get_hist(kpi, LR_KPI_LATENCY));
    lr_metrics_hist_merge(&s->hist[LR_MH_TTFT], LR_MH_TTFT, lr_kpi_get_hist(kpi, LR_KPI_TTFT));
}
