/* kafka.h - the live adapter: consume leads and sales activity, drive the
 * decision core on a clock, publish its events, dead-letter what cannot be
 * decoded, and commit input offsets with the output (Kafka transactions in
 * exactly_once mode, flush-then-commit in at_least_once mode). */
#ifndef LR_KAFKA_H
#define LR_KAFKA_H

#include <signal.h>

#include "config.h"
#include "core.h"
#include "board.h"
#include "webhook.h"
#include "metrics.h"

typedef lr_time_ms (*lr_clock_fn)(void *ctx);
/* Told the outcome of every reload, on the main thread, once the new rules
 * are in force (ok) or refused (!ok, the old rules stay); `at` is the wall
 * clock. The metrics' reload counters and last-success time hang here. */
typedef void (*lr_reload_fn)(void *ctx, bool ok, lr_time_ms at);
typedef void (*lr_observe_fn)(void *ctx, const lr_event *ev);

typedef struct lr_kafka_stats {
    uint64_t leads_in, sales_in, dead_lettered;
    uint64_t decisions, statuses, alerts;
    uint64_t by_stage[LR_STAGE__COUNT];
    uint64_t assigned, queued;
    uint64_t transactions, aborts;
    uint64_t producer_renewals; /* after librdkafka's fatal INVALID_TXN_STATE (kafka_txn.c) */
    /* time spent closing windows (state drain, offsets, commit), in
     * microseconds; the commit runs on a worker thread while the main
     * thread reads and decides the next window */
    uint64_t commits, commit_us_total, commit_us_max, offsets_us_total;
    /* how long the main thread waited for commits running on the worker
     * (a window closes only when the previous commit is done) */
    uint64_t commit_wait_us_total;
    /* the most records that waited for one commit, and the outbox's memory at the end */
    uint64_t outbox_peak_records, outbox_bytes;
    /* shared mode, stage 1: leads re-sent within their duplicate window, sent
     * to their first message's partition as duplicates; of them, those whose
     * attributes now point to another partition */
    uint64_t repeats, repeats_kept;
    /* shared mode, at restores: open leads of reps whose routing domain the
     * rulebook moved to another partition (their loads stay behind) */
    uint64_t moved_open_leads;
    /* where the main thread waits besides commits: polls that came back
     * with nothing (idle input, or a consumer that fell behind) and the sum
     * of their timeouts, and produce calls refused because the producer's
     * queue was full */
    uint64_t empty_polls, empty_poll_ms_total, queue_full_waits;
    /* reloads applied, and refused (a broken file, or shared mode) */
    uint64_t reloads, reload_failures;
} lr_kafka_stats;

typedef struct lr_kafka_opts {
    const lr_config *cfg;
    lr_clock_fn clock;            /* NULL: the wall clock */
    void *clock_ctx;
    lr_observe_fn observe;        /* called for every event before it is sent; may be NULL */
    void *observe_ctx;
    volatile sig_atomic_t *stop;  /* set to non-zero to stop after the batch in hand */
    bool quiet;                   /* no log lines on stderr */
    /* Extra librdkafka properties applied after the config's (the demo points
     * both at its in-process cluster this way). */
    const char *const *extra_props; /* key, value, key, value, ..., NULL */
    char **kpi_json_out;          /* if set: the KPIs as JSON at shutdown (malloc'd) */
    /* Reload (docs/operations.md, "Reload"): the file lr_kafka_request_reload
     * re-reads (NULL: a request is refused and counted as a failure), whether
     * the command line overrode kafka.transactional_id (the file's is then
     * not compared), and the hook told each outcome (may be NULL). */
    const char *config_path;
    bool transactional_id_overridden;
    lr_reload_fn on_reload;
    void *on_reload_ctx;
    /* if set: the run publishes its figures and readiness there a few
     * times a second (kafka_metrics.c); borrowed */
    lr_metrics *metrics;
    /* if set (with metrics): the dashboard's data, filled while viewed; borrowed */
    lr_board *board;
    /* if set: alerts go to webhooks once their commit completed; borrowed */
    lr_webhook *webhooks;
} lr_kafka_opts;

/* Runs until *stop. Returns 0 after a clean shutdown (batch finished, output
 * flushed, offsets committed, consumer closed); 1 on a fatal error, with the
 * reason in err. */
int lr_kafka_run(const lr_kafka_opts *opts, lr_kafka_stats *stats, lr_err *err);

lr_time_ms lr_wall_clock_ms(void *unused);

/* Asks the running loop to reload opts->config_path between two commit
 * windows. Async-signal-safe (it sets a flag): SIGHUP's handler and the
 * HTTP listener's POST /-/reload both call it. Requests made while a reload
 * is pending are one reload. */
void lr_kafka_request_reload(void);

#endif
