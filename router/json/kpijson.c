/* kpijson.c - the KPI table as JSON (jansson); see kpijson.h. Keys are sorted
 * and reals printed with 6 significant digits, so the same counts always give
 * the same text (replay's summary is compared byte for byte). */
#include "kpijson.h"

#include <jansson.h>
#include <stdlib.h>

static const char *const stage_keys[LR_STATUS__COUNT] = {
    "assigned",  "queued",   "nurture",   "disqualified", "duplicate",    "contacted",
    "accepted",  "rejected", "converted", "recycled",     "sla_breached", "reassigned"};

static json_t *hist_json(const lr_hist *h) {
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer(h ? (json_int_t)h->count : 0));
    json_object_set_new(o, "p50", json_integer(lr_hist_percentile(h, 50)));
    json_object_set_new(o, "p90", json_integer(lr_hist_percentile(h, 90)));
    json_object_set_new(o, "p99", json_integer(lr_hist_percentile(h, 99)));
    json_object_set_new(o, "max", json_integer(h ? h->max : 0));
    return o;
}

static json_t *rate(uint64_t num, uint64_t den) {
    return den ? json_real((double)num / (double)den) : json_null();
}

static json_t *block_json(const lr_kpi_counts *b) {
    json_t *o = json_object();
    json_t *st = json_object();
    for (int s = 0; s < LR_STATUS__COUNT; s++)
        json_object_set_new(st, stage_keys[s], json_integer((json_int_t)b->stage[s]));
    json_object_set_new(o, "leads_by_stage", st);
    json_t *sla = json_object();
    json_object_set_new(sla, "met", json_integer((json_int_t)b->c[LR_KPI_SLA_MET]));
    json_object_set_new(sla, "missed", json_integer((json_int_t)b->c[LR_KPI_SLA_MISSED]));
    json_object_set_new(sla, "breached", json_integer((json_int_t)b->c[LR_KPI_SLA_BREACHED]));
    json_object_set_new(sla, "warnings", json_integer((json_int_t)b->c[LR_KPI_SLA_WARNINGS]));
    json_object_set_new(sla, "manager_notified",
                        json_integer((json_int_t)b->c[LR_KPI_SLA_NOTIFIED]));
    json_object_set_new(sla, "reassigned", json_integer((json_int_t)b->c[LR_KPI_SLA_REASSIGNED]));
    json_object_set_new(sla, "escalated", json_integer((json_int_t)b->c[LR_KPI_SLA_ESCALATED]));
    json_object_set_new(sla, "late_reported",
                        json_integer((json_int_t)b->c[LR_KPI_SLA_LATE_REPORTED]));
    json_object_set_new(o, "sla", sla);
    json_object_set_new(o, "time_to_first_touch_ms", hist_json(b->hist[LR_KPI_TTFT]));
    json_object_set_new(o, "routing_latency_ms", hist_json(b->hist[LR_KPI_LATENCY]));
    uint64_t handed = b->c[LR_KPI_HANDED_TO_SALES];
    json_object_set_new(o, "handed_to_sales", json_integer((json_int_t)handed));
    json_object_set_new(o, "acceptance_rate", rate(b->stage[LR_STATUS_ACCEPTED], handed));
    json_object_set_new(o, "conversion_rate", rate(b->stage[LR_STATUS_CONVERTED], handed));
    json_object_set_new(o, "conversion_value", json_real(b->value));
    return o;
}

static json_t *names_json(const lr_kpi *k, lr_kpi_dim dim) {
    json_t *o = json_object();
    uint32_t n = lr_kpi_name_count(k, dim);
    for (uint32_t id = 1; id <= n; id++) {
        const lr_kpi_counts *c = lr_kpi_of_name(k, dim, (uint16_t)id);
        if (lr_kpi_counts_used(c))
            json_object_set_new(o, lr_kpi_name(k, dim, (uint16_t)id), block_json(c));
    }
    const lr_kpi_counts *other = lr_kpi_of_name(k, dim, LR_KPI_OTHER);
    if (other) json_object_set_new(o, "(other)", block_json(other));
    return o;
}

char *lr_kpijson_render(const lr_kpi *k, size_t open_clocks) {
    const lr_kpi_counts *total = lr_kpi_total(k);
    json_t *o = block_json(total);
    json_t *act = json_object();
    json_object_set_new(act, "not_counted",
                        json_integer((json_int_t)total->c[LR_KPI_ACT_NOT_COUNTED]));
    json_object_set_new(act, "duplicate",
                        json_integer((json_int_t)total->c[LR_KPI_ACT_DUPLICATE]));
    json_object_set_new(act, "unknown_lead",
                        json_integer((json_int_t)total->c[LR_KPI_ACT_UNKNOWN_LEAD]));
    json_object_set_new(o, "sales_activity", act);
    json_object_set_new(o, "open_clocks", json_integer((json_int_t)open_clocks));
    json_t *teams = json_object();
    for (size_t t = 0; t < lr_kpi_team_count(k); t++)
        json_object_set_new(teams, lr_kpi_team_name(k, t), block_json(lr_kpi_team(k, t)));
    json_object_set_new(o, "by_team", teams);
    json_object_set_new(o, "by_source", names_json(k, LR_KPI_SOURCE));
    json_object_set_new(o, "by_campaign", names_json(k, LR_KPI_CAMPAIGN));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
    json_decref(o);
    if (!s) abort();
    return s;
}

char *lr_kpijson_lifecycle(const lr_lifecycle *lc) {
    return lr_kpijson_render(lr_lifecycle_kpi(lc), lr_lifecycle_open_clocks(lc));
}
