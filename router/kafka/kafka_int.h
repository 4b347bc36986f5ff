/* kafka_int.h - private to the live adapter: the state of one lr_kafka_run
 * and what its files share. Not for use outside router/kafka/.
 *
 * The run's state is one `runner`, on lr_kafka_run's stack, in named parts:
 * the clients, the output topic handles, the open transaction, the commit
 * window, the at-least-once delivery count, the decision state (cores) with
 * its changelog, stage 1 of shared mode, and the per-message scratch. Beside
 * the parts sit what every file reads: the options, the configuration, the
 * counters (lr_kafka_stats) and the first fatal error.
 *
 * The files, each with its own prefix:
 *   kafka.c          lr_kafka_*          the main loop, rebalances, consuming
 *   kafka_client.c   lr_kafka_client_*   librdkafka properties, producer,
 *                                        consumer, state readers, topic handles
 *   kafka_txn.c      lr_kafka_txn_*      transactions and commit windows
 *                                        (exactly once and at least once),
 *                                        error classes, producer renewal
 *   kafka_produce.c  lr_kafka_produce*   records out: events, dead letters
 *   kafka_restore.c  lr_kafka_restore_*  decision state from the changelog
 *   kafka_stage1.c   lr_kafka_stage1_*   shared mode's stage 1: repartition,
 *                                        the lead -> domain table
 *   kafka_roster.c   lr_kafka_roster_*   the roster and account-owner topics
 *
 * Cost: nothing here allocates per message; every part is set up at start
 * (or on assignment) and reused. Threads: the main thread owns the runner;
 * while a commit runs, the worker writes `win.job` and waits on `acks`,
 * calling the clients, and librdkafka's background thread writes `acks`
 * (delivery reports); both only read the rest, to log (kafka_txn.c,
 * kafka_client.c). Not pure: every file talks to Kafka. */
#ifndef LR_KAFKA_INT_H
#define LR_KAFKA_INT_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "buf.h"
#include "codec.h"
#include "domaintab.h"
#include "kafka.h"
#include "log.h"
#include "outbox.h"
#include "rosterwire.h"
#include "worker.h"

typedef enum out_topic {
    OUT_ASSIGNMENTS, OUT_NURTURE, OUT_STATUS, OUT_ALERTS, OUT_DEAD_LETTER, OUT_STATE,
    OUT_REPARTITION, OUT_LEAD_DOMAINS, OUT__COUNT
} out_topic;

typedef enum msg_kind { MSG_LEAD, MSG_SALES, MSG_OTHER } msg_kind;

/* Marks a lead that stage 1 found within the duplicate window of its first
 * message (shared mode): stage 2 reports it as a duplicate. Stage 1 removes
 * it from input, so that no producer can make a new lead look repeated. */
#define REPEAT_HEADER "lead-router-repeat"

typedef struct runner runner;

/* One window's commit, run by the worker thread; the results are read by
 * the main thread once lr_worker_wait has returned. */
typedef struct commit_job {
    runner *r;
    rd_kafka_topic_partition_list_t *offsets; /* owned; NULL: no input read */
    uint64_t t0;                               /* when the window was closed */
    rd_kafka_error_t *error;                   /* exactly once: why `what` failed */
    const char *what;
    rd_kafka_resp_err_t offsets_err;           /* at least once: the offset commit */
    unsigned gen;                              /* at least once: the window's number */
    uint64_t offsets_us, done_us;
} commit_job;

/* The two clients of the run (state readers are made and destroyed where
 * they are used). */
typedef struct lr_kafka_clients {
    rd_kafka_t *consumer, *producer;
} lr_kafka_clients;

typedef struct lr_kafka_handles {
    /* Output topic handles, made once: producing by name would look the
     * topic up (and allocate) for every record. */
    rd_kafka_topic_t *out[OUT__COUNT];
    /* what each consumed topic is, by its handle: no name compared per message */
    struct {
        const rd_kafka_topic_t *rkt;
        int kind;
        bool stage2;
    } seen[4];
    int n_seen;
} lr_kafka_handles;

/* exactly once: the open transaction and what its errors decided */
typedef struct lr_kafka_txn {
    bool open;
    uint64_t began_us;     /* monotonic: when the open transaction began */
    int64_t timeout_ms;    /* the producer's transaction.timeout.ms */
    bool failed;           /* the open transaction refused a message: abort it */
    bool renew_producer;   /* a renewable fatal error: see lr_kafka_txn_renewable() */
    bool abandoned;        /* stopped mid-recovery: commit nothing more */
    int renewals;          /* producers renewed since the last commit */
} lr_kafka_txn;

/* The open commit window and the pipelined commit of the previous one (see
 * the top of kafka.c). */
typedef struct lr_kafka_window {
    lr_time_ms started;    /* when the open commit window began */
    int64_t messages;
    bool have_progress;    /* consumed since the last commit */
    lr_worker *worker;
    bool committing;       /* a commit runs on the worker */
    commit_job job;
    lr_outbox outbox;      /* records made meanwhile */
    unsigned gen;          /* at least once: the open window's number */
} lr_kafka_window;

/* At least once: records not yet acknowledged, per window (the one that
 * commits and the open one: slot gen & 1). A record carries a pointer to its
 * window's count as its opaque, and its delivery report takes it off on
 * librdkafka's background thread, which wakes the worker through `cond`
 * when a count reaches zero. */
typedef struct lr_kafka_acks {
    atomic_llong unacked[2];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* the first record the producer gave up on (its delivery report can
     * come on the worker's wait) */
    atomic_bool claimed;
    atomic_int err;
    char topic[256];
} lr_kafka_acks;

/* A broker that refuses the connection for good: a wrong password (SASL) or
 * a certificate the CA does not vouch for. librdkafka retries those forever,
 * so the first one is kept here by the error callback (on whichever thread
 * serves it) and the main thread stops with it (lr_kafka_client_denied). */
typedef struct lr_kafka_denied {
    atomic_bool claimed, set; /* `why` is complete once `set` */
    char why[400];
} lr_kafka_denied;

/* The decision state. Single instance: one core (cores[0]) over the whole
 * state topic. Partitioned: one core per repartition partition this instance
 * owns, NULL for the others; core i's state is state-topic partition i. */
typedef struct lr_kafka_state {
    lr_core **cores;
    int n_cores;
    int32_t sink_partition; /* where the changelog writer writes */
    uint64_t records;       /* changelog records written */
} lr_kafka_state;

/* Shared mode, stage 1. Its table of where recent leads went (docs/design.md,
 * "Repeats keep their domain"): lead -> repartition partition of its domain,
 * for the leads partitions this instance reads, each changelogged (by domain
 * name) to the same partition of kafka.topics.lead_domains. */
typedef struct lr_kafka_stage1 {
    int32_t *domain_partition; /* routing domain -> repartition partition */
    lr_domaintab *domains;
    bool *owned;               /* per leads partition: its entries are here */
    lr_buf *batch;             /* per leads partition: the window's new entries */
    uint64_t batch_seq;        /* makes each changelog record's key unique */
    int n_lead_parts;
} lr_kafka_stage1;

/* Reused for every message: decoding and encoding allocate nothing per lead. */
typedef struct lr_kafka_io {
    lr_codec *codec;
    lr_out out;
    lr_arena arena;
    lr_buf enc;
    lr_lead lead;
    lr_sales_activity sales;
} lr_kafka_io;

/* What only /metrics needs, counted on the main thread (kafka_metrics.c). */
typedef struct lr_kafka_mx {
    lr_time_ms last_publish;
    uint64_t dead[LR_DL__COUNT];
    lr_metrics_hist commit;
    uint64_t restores, restore_records;
    double restore_seconds;
} lr_kafka_mx;

/* The roster and account-owner topics (kafka_roster.c): their reader, which
 * keeps following them once read whole. rk NULL: neither topic is set. */
typedef struct lr_kafka_roster {
    rd_kafka_t *rk;
    lr_roster_wire *wire;
    lr_arena mem;          /* one record's strings, reset per record */
    lr_time_ms last_poll;
    uint64_t applied, refused;
} lr_kafka_roster;

struct runner {
    const lr_kafka_opts *opts;
    /* the rulebook in force: opts->cfg until a reload, then the reloaded
     * file (owned: `reloaded`). The Kafka settings stay opts->cfg's (kc). */
    const lr_config *cfg;
    lr_config *reloaded;
    const lr_kafka_config *kc;
    lr_kafka_stats *stats;
    lr_err *err;
    bool fatal;
    bool eos;          /* kafka.processing is exactly_once */
    bool partitioned;  /* kafka.topics.repartition is set: shared mode */
    lr_kafka_clients clients;
    lr_kafka_handles topics;
    lr_kafka_txn txn;
    lr_kafka_window win;
    lr_kafka_acks acks;
    lr_kafka_denied denied;
    lr_kafka_state state;
    lr_kafka_stage1 s1;
    lr_kafka_io io;
    lr_kafka_mx mx;
    lr_kafka_roster roster;
};

/* Where each state partition's restore stands. The end is the high
 * watermark when the restore began, asked for with read_uncommitted (with
 * read_committed the broker answers the last stable offset instead). The
 * reader itself reads committed data, and its end-of-partition event comes at
 * the last stable offset, which may stop short of a transaction that has
 * committed but whose markers are not written yet (the previous owner's last
 * window, just before a rebalance), or of one a killed instance left open (it
 * ends when the broker aborts it). Stopping there would lose that window's
 * state while its input offsets are committed, so the restore waits for the
 * watermark. */
typedef struct lr_kafka_restore_part {
    int64_t end;
    bool wanted, done;
    uint64_t records;
} lr_kafka_restore_part;

/* Where a restored record of partition p goes. */
typedef void lr_kafka_restore_apply_fn(runner *r, int32_t p, const rd_kafka_message_t *m);

static inline uint64_t lr_kafka_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* kafka.c */
lr_time_ms lr_kafka_now(const runner *r);
/* The run's log lines (router/log/log.h), none when opts->quiet: info, and
 * warnings (something an operator should look at; the run goes on). */
void lr_kafka_log(const runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lr_kafka_warn(const runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Stops the run, keeping the first reason in r->err. */
void lr_kafka_fail(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lr_kafka_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                           rd_kafka_topic_partition_list_t *parts, void *opaque);

/* kafka_reload.c */
bool lr_kafka_reload_pending(void);
void lr_kafka_reload_run(runner *r);

/* kafka_client.c */
int lr_kafka_client_new(runner *r);
int lr_kafka_client_producer_new(runner *r);
rd_kafka_t *lr_kafka_client_reader_new(runner *r, const char *isolation);
int lr_kafka_client_partitions_of(rd_kafka_t *rk, const char *topic, int timeout_ms,
                                  rd_kafka_resp_err_t *why);
int lr_kafka_client_topic_partitions(runner *r, rd_kafka_t *rk, const char *topic,
                                     const char *key, const char *how);
int lr_kafka_client_topics_open(runner *r);
void lr_kafka_client_topics_close(lr_kafka_handles *t);
/* Main thread: true, after lr_kafka_fail() with the reason, once a broker
 * refused a client for good (see lr_kafka_denied). One atomic load. */
bool lr_kafka_client_denied(runner *r);

/* kafka_txn.c */
int lr_kafka_txn_init(runner *r);
void lr_kafka_txn_abort_open(runner *r);
bool lr_kafka_txn_renewable(const runner *r);
void lr_kafka_txn_begin(runner *r);
void lr_kafka_txn_drop_headers(void *h);
void lr_kafka_txn_finish_commit(runner *r, bool block);
void lr_kafka_txn_close_window(runner *r);
void lr_kafka_txn_commit_window(runner *r);

/* kafka_produce.c */
void lr_kafka_produce(runner *r, out_topic to, int32_t partition, const void *key,
                      size_t key_len, const void *val, size_t val_len, rd_kafka_headers_t *hdrs);
void lr_kafka_produce_events(runner *r);
void lr_kafka_produce_dead_letter(runner *r, const rd_kafka_message_t *m, const char *code,
                                  const char *reason);

/* kafka_restore.c */
int lr_kafka_restore_state_partitions(runner *r, rd_kafka_t *rk);
int lr_kafka_restore_targets(runner *r, const char *topic, lr_kafka_restore_part *rp, int np,
                             rd_kafka_topic_partition_list_t *parts);
int lr_kafka_restore_read(runner *r, rd_kafka_t *rk, const char *topic,
                          lr_kafka_restore_part *rp, int np, int remaining,
                          lr_kafka_restore_apply_fn *apply);
int lr_kafka_restore_cores(runner *r, const bool *wanted);
void lr_kafka_restore_drop(lr_kafka_state *st, int i);

/* kafka_metrics.c: each does nothing without opts->metrics */
void lr_kafka_metrics_tick(runner *r, lr_time_ms now);  /* once per loop turn */
/* Publishes the figures once more at shutdown. */
void lr_kafka_metrics_final(runner *r);
/* The partitions assigned (NULL: none), for the dashboard. */
void lr_kafka_metrics_partitions(runner *r, const rd_kafka_topic_partition_list_t *parts);
void lr_kafka_metrics_heartbeat(runner *r);             /* alive, outside the loop */
void lr_kafka_metrics_error(runner *r, rd_kafka_resp_err_t e);
void lr_kafka_metrics_restoring(runner *r, bool on, uint64_t records, double seconds);
int lr_kafka_metrics_conf(runner *r, rd_kafka_conf_t *conf);  /* statistics for the consumer */
/* a reload: the old cores' last counts published, then the labels of the
 * rulebook the new cores decide on (lr_metrics_reshape) */
void lr_kafka_metrics_flush(runner *r);
void lr_kafka_metrics_reshape(runner *r, const lr_rulebook *rules);

/* kafka_roster.c */
int lr_kafka_roster_start(runner *r);  /* 0; -2 stopped; -1 failed (reason kept) */
void lr_kafka_roster_follow(runner *r, lr_time_ms now);
void lr_kafka_roster_destroy(lr_kafka_roster *ro);

/* kafka_stage1.c */
int lr_kafka_stage1_setup(runner *r);
int lr_kafka_stage1_restore(runner *r, const bool *wanted);
int lr_kafka_stage1_assign(runner *r, const rd_kafka_topic_partition_list_t *parts);
void lr_kafka_stage1_revoke(lr_kafka_stage1 *s1, int32_t partition);
bool lr_kafka_stage1_is_leads(const runner *r, const rd_kafka_topic_partition_t *tp);
void lr_kafka_stage1_forward(runner *r, const rd_kafka_message_t *m, msg_kind kind,
                             lr_time_ms now);
void lr_kafka_stage1_flush(runner *r);
void lr_kafka_stage1_drop_batches(lr_kafka_stage1 *s1);
void lr_kafka_stage1_destroy(lr_kafka_stage1 *s1);

#endif
