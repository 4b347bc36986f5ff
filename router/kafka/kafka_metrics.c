/* kafka_metrics.c - the live adapter's side of /metrics, /healthz and
 * /readyz (metrics.h): a few times a second, on a loop turn, the main thread
 * adds up its counters and every core's into the back snapshot and publishes
 * it; readiness follows assignments, restores and broker errors. Nothing here
 * runs per lead: the per-lead counts are the plain fields the core and the
 * loop keep anyway. Every function does nothing when the run has no metrics. */
#include <stdlib.h>
#include <string.h>

#include "kafka_int.h"

#define PUBLISH_EVERY_MS 200

static void publish(runner *r, lr_metrics *m) {
    lr_metrics_snap *s = lr_metrics_back(m);
    s->leads_in = r->stats->leads_in;
    s->sales_in = r->stats->sales_in;
    s->transactions = r->stats->transactions;
    s->aborts = r->stats->aborts;
    memcpy(s->dead_letters, r->mx.dead, sizeof(s->dead_letters));
    for (int i = 0; i < r->state.n_cores; i++)
        if (r->state.cores[i]) lr_metrics_add_core(s, m, r->state.cores[i]);
    s->hist[LR_MH_COMMIT] = r->mx.commit;
    s->producer_queue = r->clients.producer ? (uint64_t)rd_kafka_outq_len(r->clients.producer) : 0;
    s->restores = r->mx.restores;
    s->restore_records = r->mx.restore_records;
    s->restore_seconds = r->mx.restore_seconds;
    lr_metrics_publish(m);
}

void lr_kafka_metrics_tick(runner *r, lr_time_ms now) {
    lr_metrics *m = r->opts->metrics;
    if (!m) return;
    /* `now` is already read once per turn; a clock set back publishes too */
    if (now - r->mx.last_publish < PUBLISH_EVERY_MS && now >= r->mx.last_publish) return;
    r->mx.last_publish = now;
    int64_t mono = lr_metrics_mono_ms();
    lr_metrics_heartbeat(m, mono);
    publish(r, m);
    lr_board *b = r->opts->board;
    if (b && lr_board_due(b, mono)) { /* somebody watches the dashboard */
        lr_board_begin(b, now);
        for (int i = 0; i < r->state.n_cores; i++)
            if (r->state.cores[i]) lr_board_add_core(b, r->state.cores[i], now);
        lr_board_publish(b);
    }
}

/* The dashboard says which partitions this instance decides. */
void lr_kafka_metrics_partitions(runner *r, const rd_kafka_topic_partition_list_t *parts) {
    if (!r->opts->board) return;
    char text[256];
    size_t n = 0;
    text[0] = 0;
    for (int i = 0; parts && i < parts->cnt && n < sizeof(text) - 32; i++) {
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        bool same = i > 0 && strcmp(parts->elems[i - 1].topic, tp->topic) == 0;
        int w = same ? snprintf(text + n, sizeof(text) - n, ",%d", (int)tp->partition)
                     : snprintf(text + n, sizeof(text) - n, "%s%.64s %d", i ? "; " : "",
                                tp->topic, (int)tp->partition);
        if (w > 0) n += (size_t)w;
    }
    lr_board_set_partitions(r->opts->board, n ? text : "none");
}

void lr_kafka_metrics_final(runner *r) {
    if (r->opts->metrics) publish(r, r->opts->metrics);
}

void lr_kafka_metrics_flush(runner *r) {
    if (r->opts->metrics) publish(r, r->opts->metrics);
}

void lr_kafka_metrics_reshape(runner *r, const lr_rulebook *rules) {
    if (!r->opts->metrics) return;
    lr_metrics_shape sh;
    lr_metrics_shape_of(&sh, rules);
    lr_metrics_reshape(r->opts->metrics, &sh);
    lr_metrics_shape_destroy(&sh);
}

void lr_kafka_metrics_heartbeat(runner *r) {
    if (r->opts->metrics) lr_metrics_heartbeat(r->opts->metrics, lr_metrics_mono_ms());
}

/* librdkafka reports the loss of every broker once, as this error; what
 * clears it is a message consumed or a statistics report with a broker up. */
void lr_kafka_metrics_error(runner *r, rd_kafka_resp_err_t e) {
    if (r->opts->metrics && e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        lr_metrics_set_brokers_down(r->opts->metrics, true);
}

void lr_kafka_metrics_restoring(runner *r, bool on, uint64_t records, double seconds) {
    if (!r->opts->metrics) return;
    if (!on) {
        r->mx.restores++;
        r->mx.restore_records += records;
        r->mx.restore_seconds = seconds;
        publish(r, r->opts->metrics);
    }
    lr_metrics_set_restoring(r->opts->metrics, on);
}

static void stats_free(void *json) { rd_kafka_mem_free(NULL, json); }

/* Served by the consumer's poll on the main thread, once per
 * statistics.interval.ms: the JSON is handed over as it is (returning 1 keeps
 * it), and parsed only when /metrics is scraped. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk;
    (void)len;
    runner *r = opaque;
    lr_metrics *m = r->opts->metrics;
    if (lr_metrics_brokers_down(m) &&
        (strstr(json, "\"state\":\"UP\"") || strstr(json, "\"state\": \"UP\"")))
        lr_metrics_set_brokers_down(m, false);
    lr_metrics_consumer_stats(m, json, stats_free);
    return 1;
}

int lr_kafka_metrics_conf(runner *r, rd_kafka_conf_t *conf) {
    if (!r->opts->metrics) return 0;
    char v[32], errstr[256];
    size_t n = sizeof(v);
    if (rd_kafka_conf_get(conf, "statistics.interval.ms", v, &n) == RD_KAFKA_CONF_OK &&
        strcmp(v, "0") == 0 &&
        rd_kafka_conf_set(conf, "statistics.interval.ms", "1000", errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
        lr_err_set(r->err, LR_ERR_FATAL, "statistics.interval.ms: %s", errstr);
        return -1;
    }
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    return 0;
}
