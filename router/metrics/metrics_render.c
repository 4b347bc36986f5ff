/* metrics_render.c - the Prometheus text exposition format 0.0.4 of a
 * snapshot (docs/operations.md lists every metric). Runs on the HTTP thread
 * only; librdkafka's statistics JSON is parsed here, at scrape time. */
#include "metrics_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
    char **buf;
    size_t *cap, len;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = *o->cap - o->len;
        int n = vsnprintf(*o->buf + o->len, room, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if ((size_t)n < room) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = *o->cap * 2 + (size_t)n + 1;
        char *b = realloc(*o->buf, cap);
        if (!b) abort();
        *o->buf = b;
        *o->cap = cap;
    }
}

/* A label value as the format wants it: \\, \" and \n escaped. */
static const char *esc(const char *s, char *tmp, size_t n) {
    size_t j = 0;
    for (; *s && j + 2 < n; s++) {
        if (*s == '\\' || *s == '"') tmp[j++] = '\\', tmp[j++] = *s;
        else if (*s == '\n') tmp[j++] = '\\', tmp[j++] = 'n';
        else tmp[j++] = *s;
    }
    tmp[j] = 0;
    return tmp;
}

static void head(out *o, const char *name, const char *type, const char *help) {
    put(o, "# HELP lead_router_%s %s\n# TYPE lead_router_%s %s\n", name, help, name, type);
}

static void scalar(out *o, const char *name, const char *type, const char *help, double v) {
    head(o, name, type, help);
    put(o, "lead_router_%s %.17g\n", name, v);
}

static void hist(out *o, const char *name, const char *help, const lr_metrics_hist *h,
                 lr_metrics_hist_kind k) {
    head(o, name, "histogram", help);
    const double *b = lr_metrics_hist_bounds(k);
    for (int i = 0; i < LR_METRICS_HIST_BOUNDS; i++)
        put(o, "lead_router_%s_bucket{le=\"%g\"} %llu\n", name, b[i],
            (unsigned long long)h->le[i]);
    put(o, "lead_router_%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
    put(o, "lead_router_%s_sum %.17g\n", name, h->sum);
    put(o, "lead_router_%s_count %llu\n", name, (unsigned long long)h->count);
}

static void decisions(out *o, const lr_metrics *m, const lr_metrics_snap *s) {
    char a[256];
    head(o, "decisions_total", "counter",
         "Routing decisions made, by stage and tier (tier \"none\": untiered).");
    for (int st = 0; st < LR_STAGE__COUNT; st++)
        for (size_t t = 0; t <= m->n_tiers; t++) {
            uint64_t v = s->decisions[(size_t)st * (m->n_tiers + 1) + t];
            if (!v) continue;
            put(o, "lead_router_decisions_total{stage=\"%s\",tier=\"%s\"} %llu\n",
                lr_stage_name((lr_stage)st), t ? esc(m->tiers[t - 1], a, sizeof(a)) : "none",
                (unsigned long long)v);
        }
}

static void assignments(out *o, const lr_metrics *m, const lr_metrics_snap *s) {
    char a[256], b[256];
    head(o, "assignments_total", "counter", "Leads assigned to a rep, by team and rep.");
    for (size_t t = 0; t < m->n_teams; t++)
        for (size_t r = 0; r < m->n_reps; r++) {
            uint64_t v = s->assignments[t * m->n_reps + r];
            if (v)
                put(o, "lead_router_assignments_total{team=\"%s\",rep=\"%s\"} %llu\n",
                    esc(m->teams[t], a, sizeof(a)), esc(m->reps[r], b, sizeof(b)),
                    (unsigned long long)v);
        }
}

static void dead_letters(out *o, const lr_metrics_snap *s) {
    static const char *const names[LR_DL__COUNT] = {
        "too_large", "bad_magic", "unknown_schema", "malformed", "contract",
        "unexpected_topic", "over_capacity", "other"};
    head(o, "dead_letters_total", "counter",
         "Input messages sent to the dead-letter topic, by reason code.");
    for (int i = 0; i < LR_DL__COUNT; i++)
        put(o, "lead_router_dead_letters_total{reason=\"%s\"} %llu\n", names[i],
            (unsigned long long)s->dead_letters[i]);
}

static void sla(out *o, const lr_metrics *m, const lr_metrics_snap *s) {
    static const char *const names[LR_MT__COUNT][2] = {
        {"sla_warnings_total", "SLA warnings fired, by team."},
        {"sla_breaches_total", "SLA first-touch breaches, by team."},
        {"sla_escalations_total", "Final SLA escalations, by team."},
        {"sla_first_touch_met_total", "First touches before the deadline, by team."},
        {"sla_first_touch_missed_total", "First touches at or after the deadline, by team."}};
    char a[256];
    for (int c = 0; c < LR_MT__COUNT; c++) {
        head(o, names[c][0], "counter", names[c][1]);
        uint64_t teams = 0;
        for (size_t t = 0; t < m->n_teams; t++) {
            uint64_t v = s->sla_team[t * LR_MT__COUNT + (size_t)c];
            teams += v;
            put(o, "lead_router_%s{team=\"%s\"} %llu\n", names[c][0],
                esc(m->teams[t], a, sizeof(a)), (unsigned long long)v);
        }
        if (s->sla_total[c] > teams)
            put(o, "lead_router_%s{team=\"none\"} %llu\n", names[c][0],
                (unsigned long long)(s->sla_total[c] - teams));
    }
}

/* Consumer lag per partition from librdkafka's statistics (topics ->
 * partitions -> consumer_lag; -1 and the internal partition -1 left out). */
static void consumer_lag(out *o, const char *stats) {
    head(o, "consumer_lag_messages", "gauge",
         "Messages between the consumer's position and the partition's end, per partition.");
    json_t *root = stats ? json_loads(stats, 0, NULL) : NULL;
    json_t *topics = json_object_get(root, "topics");
    const char *tname, *pname;
    json_t *topic, *part;
    char a[256];
    json_object_foreach(topics, tname, topic) {
        json_object_foreach(json_object_get(topic, "partitions"), pname, part) {
            json_t *lag = json_object_get(part, "consumer_lag");
            if (strcmp(pname, "-1") == 0 || !json_is_integer(lag) || json_integer_value(lag) < 0)
                continue;
            put(o, "lead_router_consumer_lag_messages{topic=\"%s\",partition=\"%s\"} %lld\n",
                esc(tname, a, sizeof(a)), pname, (long long)json_integer_value(lag));
        }
    }
    json_decref(root);
}

static void counters(out *o, const lr_metrics_snap *s) {
    scalar(o, "leads_in_total", "counter", "Lead messages read from the leads topic.",
           (double)s->leads_in);
    scalar(o, "sales_activities_in_total", "counter",
           "Sales activity messages read from their topic.", (double)s->sales_in);
    scalar(o, "duplicates_total", "counter",
           "Leads seen again within their duplicate window.", (double)s->duplicates);
    scalar(o, "leads_shed_total", "counter",
           "New leads refused: the lead table was full (qualification.max_leads).",
           (double)s->shed);
    scalar(o, "sla_open_clocks", "gauge", "SLA clocks running.", (double)s->open_clocks);
    scalar(o, "transactions_committed_total", "counter",
           "Commit windows committed (Kafka transactions in exactly_once).",
           (double)s->transactions);
    scalar(o, "transactions_aborted_total", "counter", "Kafka transactions aborted.",
           (double)s->aborts);
    scalar(o, "producer_queue_messages", "gauge",
           "Messages and requests waiting in the producer's queue.", (double)s->producer_queue);
    scalar(o, "state_restores_total", "counter", "Restores of the decision state.",
           (double)s->restores);
    scalar(o, "state_restore_records_total", "counter",
           "Changelog records read by state restores.", (double)s->restore_records);
    scalar(o, "state_restore_duration_seconds", "gauge", "How long the last restore took.",
           s->restore_seconds);
}

static void webhooks(out *o, const lr_webhook_counts *w) {
    if (!w) return;
    lr_webhook_counts *c = (lr_webhook_counts *)w;
    scalar(o, "webhook_sent_total", "counter", "Alert deliveries a webhook answered with 2xx.",
           (double)atomic_load_explicit(&c->sent, memory_order_relaxed));
    scalar(o, "webhook_retried_total", "counter", "Webhook attempts that failed and were retried.",
           (double)atomic_load_explicit(&c->retried, memory_order_relaxed));
    scalar(o, "webhook_failed_total", "counter",
           "Alert deliveries given up (4xx, or failing past alerts.give_up_after).",
           (double)atomic_load_explicit(&c->failed, memory_order_relaxed));
    scalar(o, "webhook_dropped_total", "counter",
           "Alert deliveries never sent: the queue (alerts.queue_size) was full.",
           (double)atomic_load_explicit(&c->dropped, memory_order_relaxed));
    scalar(o, "webhook_queue", "gauge", "Alert deliveries waiting or being retried.",
           (double)atomic_load_explicit(&c->queued, memory_order_relaxed));
}

size_t lr_metrics_render(lr_metrics *m, char **buf, size_t *cap) {
    if (!*buf) {
        *cap = 16384;
        if (!(*buf = malloc(*cap))) abort();
    }
    out o = {buf, cap, 0};
    char a[256], b[256];
    head(&o, "build_info", "gauge", "Version and the hash of the configuration file's bytes.");
    pthread_mutex_lock(&m->lock);
    esc(m->rulebook_hash, b, sizeof(b));
    pthread_mutex_unlock(&m->lock);
    put(&o, "lead_router_build_info{version=\"%s\",rulebook_hash=\"%s\"} 1\n",
        esc(m->version, a, sizeof(a)), b);
    const char *why;
    scalar(&o, "ready", "gauge", "1 when /readyz answers 200.", lr_metrics_ready(m, &why));
    scalar(&o, "config_last_reload_success_timestamp_seconds", "gauge",
           "When the configuration in force was loaded (start or reload), unix seconds.",
           (double)atomic_load(&m->reload_ok_ms) / 1000.0);
    scalar(&o, "config_reloads_total", "counter", "Reloads that took effect.",
           (double)atomic_load(&m->reloads));
    scalar(&o, "config_reload_failures_total", "counter", "Reloads refused.",
           (double)atomic_load(&m->reload_failures));
    webhooks(&o, m->webhooks);
    pthread_mutex_lock(&m->lock);
    const lr_metrics_snap *s = m->front;
    counters(&o, s);
    decisions(&o, m, s);
    assignments(&o, m, s);
    dead_letters(&o, s);
    sla(&o, m, s);
    hist(&o, "routing_latency_seconds", "From the lead's event time to its decision.",
         &s->hist[LR_MH_LATENCY], LR_MH_LATENCY);
    hist(&o, "time_to_first_touch_seconds", "From assignment to first touch, as the SLA counts.",
         &s->hist[LR_MH_TTFT], LR_MH_TTFT);
    hist(&o, "commit_duration_seconds", "How long each commit window took to commit.",
         &s->hist[LR_MH_COMMIT], LR_MH_COMMIT);
    /* parsed outside the lock: a publish never waits for jansson */
    char *stats = m->stats_json ? strdup(m->stats_json) : NULL;
    pthread_mutex_unlock(&m->lock);
    consumer_lag(&o, stats);
    free(stats);
    return o.len;
}

/* The mean and the bound under which 99 % of the observations fall. */
static void latency_line(FILE *f, const char *what, const lr_metrics_hist *h,
                         lr_metrics_hist_kind k) {
    if (!h->count) {
        fprintf(f, "  %-26s %8s\n", what, "-");
        return;
    }
    const double *b = lr_metrics_hist_bounds(k);
    int i = 0;
    while (i < LR_METRICS_HIST_BOUNDS - 1 && (double)h->le[i] < 0.99 * (double)h->count) i++;
    bool over = (double)h->le[i] < 0.99 * (double)h->count; /* past the last bound */
    fprintf(f, "  %-26s mean %.3f s, 99 %% %s %g s\n", what, h->sum / (double)h->count,
            over ? "not under" : "under", b[i]);
}

void lr_metrics_print_summary(lr_metrics *m, FILE *f) {
    pthread_mutex_lock(&m->lock);
    const lr_metrics_snap *s = m->front;
    fprintf(f, "\n%-28s %8s\n", "assignments (team/rep)", "leads");
    char name[96];
    for (size_t t = 0; t < m->n_teams; t++)
        for (size_t r = 0; r < m->n_reps; r++) {
            uint64_t n = s->assignments[t * m->n_reps + r];
            if (!n) continue;
            snprintf(name, sizeof(name), "%s/%s", m->teams[t], m->reps[r]);
            fprintf(f, "  %-26s %8llu\n", name, (unsigned long long)n);
        }
    const uint64_t *k = s->sla_total;
    fprintf(f, "\n%-28s\n  %-26s %8llu\n  %-26s %8llu\n  %-26s %8llu\n  %-26s %8llu\n",
            "SLA", "met (first touch in time)", (unsigned long long)k[LR_MT_MET],
            "missed (touched late)", (unsigned long long)k[LR_MT_MISSED], "breaches",
            (unsigned long long)k[LR_MT_BREACHES], "warnings", (unsigned long long)k[LR_MT_WARNINGS]);
    fprintf(f, "\n%-28s\n", "latency");
    latency_line(f, "routing (router only)", &s->hist[LR_MH_LATENCY], LR_MH_LATENCY);
    latency_line(f, "first touch (the reps)", &s->hist[LR_MH_TTFT], LR_MH_TTFT);
    pthread_mutex_unlock(&m->lock);
    fprintf(f, "\n");
}
