/* kafka.c - see kafka.h.
 *
 * One thread, one consumer, one producer. Messages are consumed one at a time
 * with rd_kafka_consumer_poll: librdkafka 2.0.2's batch API can misdeliver
 * around a rebalance, and poll is as fast since messages are queued inside the
 * library anyway. Outputs of a commit window are produced as they are made and
 * committed together with the input offsets.
 *
 * The decision state is durable: each commit window also writes what changed
 * in it (lr_core_changes) to the compacted state topic, in the same
 * transaction, and a start or an aborted transaction rebuilds the core from
 * that topic before any input is decided (docs/design.md).
 *
 * With kafka.topics.repartition set, instances in one group share the work by
 * routing domain, in two stages within the same consumer, producer and
 * transaction: stage 1 reads the input topics, finds each message's routing
 * domain (lr_route_lead_domain: rulebook only, no state) and forwards the
 * original bytes to the repartition partition of that domain; stage 2 reads
 * the repartition topic and decides with one core per repartition partition,
 * whose state lives in the same-numbered partition of the state topic and is
 * restored when the partition is assigned, dropped when it is revoked.
 *
 * Commits are pipelined: a window's commit (send_offsets_to_transaction and
 * commit_transaction, or at least once the wait for the window's deliveries
 * and the offset commit) runs on a worker thread while the main thread reads
 * and decides the next window. The producer takes nothing while a
 * transaction commits, so in exactly_once what the next window makes waits in
 * an outbox and is produced when the commit completes; an abort drops it with
 * the state that made it. At least once there is no transaction to wait for:
 * the next window produces at once, and each record's delivery report counts
 * it off its own window. Only the blocking calls move to the worker: every
 * decision, and every reaction to a commit's outcome, stays on the main
 * thread. */
#include "kafka.h"

#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "codec.h"
#include "domaintab.h"
#include "kpijson.h"
#include "leadtab.h"
#include "outbox.h"
#include "worker.h"

typedef enum out_topic {
    OUT_ASSIGNMENTS, OUT_NURTURE, OUT_STATUS, OUT_ALERTS, OUT_DEAD_LETTER, OUT_STATE,
    OUT_REPARTITION, OUT_LEAD_DOMAINS, OUT__COUNT
} out_topic;

/* Marks a lead that stage 1 found within the duplicate window of its first
 * message (shared mode): stage 2 reports it as a duplicate. Stage 1 removes
 * it from input, so that no producer can make a new lead look repeated. */
#define REPEAT_HEADER "lead-router-repeat"

/* A changelog record of the lead-to-domain table is written at the latest at
 * this size, before its window closes. */
#define DOMAIN_BATCH_MAX (256 * 1024)

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

struct runner {
    const lr_kafka_opts *opts;
    const lr_config *cfg;
    const lr_kafka_config *kc;
    lr_kafka_stats *stats;
    rd_kafka_t *consumer, *producer;
    lr_codec *codec;
    /* Single instance: one core (cores[0]) over the whole state topic.
     * Partitioned: one core per repartition partition this instance owns,
     * NULL for the others; core i's state is state-topic partition i. */
    lr_core **cores;
    int n_cores;
    bool partitioned;
    int32_t *domain_partition;  /* routing domain -> repartition partition */
    /* Stage 1's table of where recent leads went (docs/design.md, "Repeats
     * keep their domain"): lead -> repartition partition of its domain, for
     * the leads partitions this instance reads, each changelogged (by domain
     * name) to the same partition of kafka.topics.lead_domains. */
    lr_domaintab *domains;
    bool *domains_owned;        /* per leads partition: its entries are here */
    lr_buf *domain_batch;       /* per leads partition: the window's new entries */
    uint64_t domain_batch_seq;  /* makes each changelog record's key unique */
    int n_lead_parts;
    int32_t sink_partition;     /* where state_sink writes */
    lr_out out;
    lr_arena decode_arena;
    lr_buf enc;
    lr_lead lead;
    lr_sales_activity sales;
    bool eos;
    bool txn_open;
    uint64_t txn_began_us;     /* monotonic: when the open transaction began */
    int64_t txn_timeout_ms;    /* the producer's transaction.timeout.ms */
    bool txn_failed;           /* the open transaction refused a message: abort it */
    bool renew_producer;       /* a renewable fatal error: see renewable() */
    bool abandoned;            /* stopped mid-recovery: commit nothing more */
    int renewals;              /* producers renewed since the last commit */
    bool fatal;
    lr_err *err;
    lr_time_ms window_started; /* when the open commit window began */
    int64_t window_messages;
    bool have_progress;        /* consumed since the last commit */
    uint64_t state_records;    /* changelog records written */
    /* Output topic handles, made once: producing by name would look the
     * topic up (and allocate) for every record. */
    rd_kafka_topic_t *out_rkt[OUT__COUNT];
    /* what each consumed topic is, by its handle: no name compared per message */
    struct {
        const rd_kafka_topic_t *rkt;
        int kind;
        bool stage2;
    } seen_topics[4];
    int n_seen_topics;
    /* the pipelined commit (see the top of this file) */
    lr_worker *worker;
    bool committing;           /* a commit runs on the worker */
    commit_job job;
    lr_outbox outbox;          /* records made meanwhile */
    /* at least once: records not yet acknowledged, per window (the one that
     * commits and the open one: slot gen & 1). A record carries a pointer to
     * its window's count as its opaque, and its delivery report takes it off
     * on librdkafka's background thread, which wakes the worker through
     * `acked` when a count reaches zero. */
    unsigned window_gen;
    atomic_llong unacked[2];
    pthread_mutex_t acked_lock;
    pthread_cond_t acked;
    /* at least once: the first record the producer gave up on (its delivery
     * report can come on the worker's wait) */
    atomic_bool delivery_claimed;
    atomic_int delivery_err;
    char delivery_topic[256];
};

lr_time_ms lr_wall_clock_ms(void *unused) {
    (void)unused;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (lr_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static lr_time_ms now_ms(runner *r) {
    return r->opts->clock ? r->opts->clock(r->opts->clock_ctx) : lr_wall_clock_ms(NULL);
}

static void logf_(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(runner *r, const char *fmt, ...) {
    if (r->opts->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("lead-router: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void fail(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(runner *r, const char *fmt, ...) {
    if (r->fatal) return; /* keep the first reason */
    r->fatal = true;
    va_list ap;
    va_start(ap, fmt);
    char msg[480];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lr_err_set(r->err, LR_ERR_FATAL, "%s", msg);
}

/* ---- configuration ------------------------------------------------------- */

static int set_prop(rd_kafka_conf_t *conf, const char *k, const char *v, lr_err *err) {
    char errstr[256];
    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        lr_err_set(err, LR_ERR_FATAL, "kafka property %s=%s: %s", k, v, errstr);
        return -1;
    }
    return 0;
}

static rd_kafka_conf_t *base_conf(runner *r) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < r->kc->n_props; i++)
        if (set_prop(conf, r->kc->prop_keys[i], r->kc->prop_values[i], r->err)) goto fail;
    for (const char *const *p = r->opts->extra_props; p && p[0]; p += 2)
        if (set_prop(conf, p[0], p[1], r->err)) goto fail;
    /* Without it, replies stall ~40 ms whenever several requests are in flight. */
    if (set_prop(conf, "socket.nagle.disable", "true", r->err)) goto fail;
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque);

/* Whether kafka.properties (or the caller's extra properties) names `key`. */
static bool user_sets(runner *r, const char *key) {
    for (size_t i = 0; i < r->kc->n_props; i++)
        if (strcmp(r->kc->prop_keys[i], key) == 0) return true;
    for (const char *const *p = r->opts->extra_props; p && p[0]; p += 2)
        if (strcmp(p[0], key) == 0) return true;
    return false;
}

/* At least once, every record is counted off its window when the broker has
 * it, so that the window's offsets commit once all its records are safe,
 * while the next window's are already on their way (a flush would wait for
 * those too). A record the producer gave up on (message.timeout.ms passed,
 * or the broker refused it for good) must stop the offsets that led to it
 * from being committed: the first one is kept, and the commit that would
 * pass it stops the router instead. */
static void delivered(runner *r, const rd_kafka_message_t *m) {
    bool wake = m->_private && atomic_fetch_sub((atomic_llong *)m->_private, 1) == 1;
    if (m->err && !atomic_exchange(&r->delivery_claimed, true)) {
        snprintf(r->delivery_topic, sizeof(r->delivery_topic), "%s",
                 rd_kafka_topic_name(m->rkt));
        atomic_store(&r->delivery_err, (int)m->err);
        wake = true;
    }
    if (wake) {
        pthread_mutex_lock(&r->acked_lock);
        pthread_cond_broadcast(&r->acked);
        pthread_mutex_unlock(&r->acked_lock);
    }
}

/* The reports come as events on librdkafka's background thread (the
 * producer's main queue is forwarded there), in batches: the main thread,
 * which decides, spends nothing on them. A callback served by the main
 * thread's poll cost a fifth of the throughput. */
static void on_producer_event(rd_kafka_t *rk, rd_kafka_event_t *ev, void *opaque) {
    (void)rk;
    runner *r = opaque;
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DR) {
        const rd_kafka_message_t *m;
        while ((m = rd_kafka_event_message_next(ev))) delivered(r, m);
    } else if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_ERROR) {
        /* what a poll would have logged (a fatal one also fails the next
         * produce, which stops the router) */
        logf_(r, "producer: %s", rd_kafka_event_error_string(ev));
    }
    rd_kafka_event_destroy(ev);
}

/* librdkafka 2.0.2 compares queued.min.messages, meant per partition, with
 * the length of the consumer's one shared queue, and once it is exceeded
 * looks again only about once a second. With the default (100,000) a router
 * catching up on a backlog stopped fetching after every 100,000 messages and
 * then ran dry for 0.2-0.4 s each time: up to a third of a benchmark run
 * went to waiting for input that was on the broker. A high count leaves
 * queued.max.messages.kbytes (64 MB by default) as the bound, memory being
 * what the limit is for; the queue then holds more than the second of work
 * that covers the recheck. kafka.properties decides when it names the key. */
static int consumer_defaults(runner *r, rd_kafka_conf_t *conf) {
    if (user_sets(r, "queued.min.messages")) return 0;
    return set_prop(conf, "queued.min.messages", "1000000", r->err);
}

static int create_producer(runner *r) {
    char errstr[512];
    rd_kafka_conf_t *pc = base_conf(r);
    if (!pc) return -1;
    if (r->eos) {
        if (set_prop(pc, "transactional.id", r->kc->transactional_id, r->err)) goto pfail;
    } else {
        /* every report is needed, to count records off their window: a
         * kafka.properties asking for failures only would stall the commit */
        if (set_prop(pc, "enable.idempotence", "true", r->err) ||
            set_prop(pc, "delivery.report.only.error", "false", r->err))
            goto pfail;
        rd_kafka_conf_set_events(pc, RD_KAFKA_EVENT_DR);
        rd_kafka_conf_set_background_event_cb(pc, on_producer_event);
        rd_kafka_conf_set_opaque(pc, r);
    }
    /* In exactly_once the commit waits for records still lingering, and
     * the window already batches: 1 ms halved the commit time (15 -> 9 ms at
     * 2,000 leads/s) at the same throughput. Without transactions a longer
     * linger makes bigger batches for free. kafka.properties decides when
     * it names either key. */
    if (!user_sets(r, "linger.ms") && !user_sets(r, "queue.buffering.max.ms") &&
        set_prop(pc, "linger.ms", r->eos ? "1" : "5", r->err))
        goto pfail;
    r->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof(errstr));
    if (!r->producer) {
        lr_err_set(r->err, LR_ERR_FATAL, "cannot create producer: %s", errstr);
        return -1;
    }
    if (!r->eos) {
        /* delivery reports to the background thread: the producer is
         * never polled from then on (a poll would drop them) */
        rd_kafka_queue_t *mainq = rd_kafka_queue_get_main(r->producer);
        rd_kafka_queue_t *bg = rd_kafka_queue_get_background(r->producer);
        rd_kafka_queue_forward(mainq, bg);
        rd_kafka_queue_destroy(bg);
        rd_kafka_queue_destroy(mainq);
    }
    char v[32];
    size_t vn = sizeof(v);
    r->txn_timeout_ms = 0; /* unknown: fencing always stops the router */
    if (rd_kafka_conf_get(rd_kafka_conf(r->producer), "transaction.timeout.ms", v, &vn) ==
        RD_KAFKA_CONF_OK)
        r->txn_timeout_ms = strtoll(v, NULL, 10);
    return 0;
pfail:
    rd_kafka_conf_destroy(pc);
    return -1;
}

static int create_clients(runner *r) {
    char errstr[512];
    if (create_producer(r) < 0) return -1;
    rd_kafka_conf_t *cc = base_conf(r);
    if (!cc) return -1;
    if (set_prop(cc, "group.id", r->kc->group_id, r->err) ||
        set_prop(cc, "enable.auto.commit", "false", r->err) ||
        set_prop(cc, "enable.auto.offset.store", "false", r->err) ||
        set_prop(cc, "auto.offset.reset", "earliest", r->err) ||
        set_prop(cc, "isolation.level", "read_committed", r->err) ||
        consumer_defaults(r, cc)) {
        rd_kafka_conf_destroy(cc);
        return -1;
    }
    rd_kafka_conf_set_rebalance_cb(cc, rebalance_cb);
    rd_kafka_conf_set_opaque(cc, r);
    r->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr, sizeof(errstr));
    if (!r->consumer) {
        lr_err_set(r->err, LR_ERR_FATAL, "cannot create consumer: %s", errstr);
        return -1;
    }
    rd_kafka_poll_set_consumer(r->consumer);
    return 0;
}

/* ---- transactions ---------------------------------------------------------- */

/* Runs a transactional call until it succeeds or cannot be retried. Returns 0,
 * 1 when the transaction must be aborted, -1 on a fatal error. */
typedef rd_kafka_error_t *(*txn_call)(runner *r, void *arg);

/* A broker outage longer than transaction.timeout.ms ends with the
 * coordinator aborting the open transaction on its own timeout and bumping
 * the producer's epoch, and librdkafka 2.0.2 (without KIP-588) makes that
 * fatal: INVALID_TXN_STATE when a message timed out meanwhile (librdkafka
 * issue 3297), or "fenced" when the commit reaches the coordinator. Nothing is
 * wrong with the state: a new producer with the same transactional id
 * (init_transactions bumps the epoch) continues where the committed offsets
 * are, as a restart would, so the router does that in-process, a few times in
 * a row at most.
 *
 * Fencing is taken for that only when the transaction it hit had been open
 * longer than transaction.timeout.ms. A second instance started with the same
 * transactional id fences a transaction that is younger: that one, and every
 * other fatal error, still stops the router. */
#define MAX_RENEWALS 5

static bool fenced_by_its_timeout(runner *r, rd_kafka_resp_err_t fatal) {
    if (fatal != RD_KAFKA_RESP_ERR__FENCED && fatal != RD_KAFKA_RESP_ERR_PRODUCER_FENCED &&
        fatal != RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH)
        return false;
    return r->txn_open && r->txn_timeout_ms > 0 &&
           (int64_t)(mono_us() - r->txn_began_us) / 1000 > r->txn_timeout_ms;
}

static bool renewable(runner *r) {
    if (!r->eos || r->renewals >= MAX_RENEWALS) return false;
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(r->producer, NULL, 0);
    return fatal == RD_KAFKA_RESP_ERR_INVALID_TXN_STATE || fenced_by_its_timeout(r, fatal);
}

/* Calls until it succeeds or fails other than retriably. Any thread. */
static rd_kafka_error_t *txn_call_retrying(runner *r, const char *what, txn_call call,
                                           void *arg) {
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *e = call(r, arg);
        if (!e || !rd_kafka_error_is_retriable(e) || attempt >= 50) return e;
        logf_(r, "%s: %s (retrying)", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
}

/* What a transactional call's error means (taking it): 0 none, 1 the
 * transaction must be aborted, -1 fatal. Main thread only. */
static int txn_outcome(runner *r, const char *what, rd_kafka_error_t *e) {
    if (!e) return 0;
    if (rd_kafka_error_txn_requires_abort(e)) {
        logf_(r, "%s: %s (aborting the transaction)", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return 1;
    }
    if (renewable(r)) {
        logf_(r, "%s: %s (the transaction was open for %lld ms; the producer is renewed)", what,
              rd_kafka_error_string(e),
              r->txn_open ? (long long)((mono_us() - r->txn_began_us) / 1000) : 0LL);
        rd_kafka_error_destroy(e);
        r->renew_producer = true;
        return 1;
    }
    fail(r, "%s: %s (fatal)", what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return -1;
}

static int txn_retry(runner *r, const char *what, txn_call call, void *arg) {
    return txn_outcome(r, what, txn_call_retrying(r, what, call, arg));
}

static rd_kafka_error_t *call_init(runner *r, void *arg) {
    return rd_kafka_init_transactions(r->producer, 30000);
}
static rd_kafka_error_t *call_begin(runner *r, void *arg) {
    return rd_kafka_begin_transaction(r->producer);
}
static rd_kafka_error_t *call_commit(runner *r, void *arg) {
    return rd_kafka_commit_transaction(r->producer, 30000);
}
static rd_kafka_error_t *call_abort(runner *r, void *arg) {
    return rd_kafka_abort_transaction(r->producer, 30000);
}
static rd_kafka_error_t *call_send_offsets(runner *r, void *arg) {
    rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata(r->consumer);
    rd_kafka_error_t *e = rd_kafka_send_offsets_to_transaction(
        r->producer, (rd_kafka_topic_partition_list_t *)arg, md, 30000);
    rd_kafka_consumer_group_metadata_destroy(md);
    return e;
}

static void txn_begin_if_needed(runner *r) {
    /* while one commits, the next window's records wait in the outbox */
    if (!r->eos || r->txn_open || r->fatal || r->committing) return;
    if (txn_retry(r, "begin_transaction", call_begin, NULL) == 0) {
        r->txn_open = true;
        r->txn_began_us = mono_us();
    }
}

/* Offsets to commit: the position (next offset to read) of every assigned
 * partition that has one. */
static rd_kafka_topic_partition_list_t *positions(runner *r) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(r->consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts)
        return NULL;
    rd_kafka_position(r->consumer, parts);
    rd_kafka_topic_partition_list_t *valid = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].offset >= 0)
            rd_kafka_topic_partition_list_add(valid, parts->elems[i].topic,
                                              parts->elems[i].partition)
                ->offset = parts->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(parts);
    return valid;
}

/* Undo an aborted window: the consumer goes back to the last committed offsets
 * so that the same input is decided again. */
static void rewind_to_committed(runner *r) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(r->consumer, &parts) || !parts) return;
    if (rd_kafka_committed(r->consumer, parts, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].offset < 0) parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_error_t *e = rd_kafka_seek_partitions(r->consumer, parts, 30000);
        if (e) {
            fail(r, "seek after abort: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        fail(r, "cannot read committed offsets after an abort");
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

static void produce(runner *r, out_topic to, int32_t partition, const void *key,
                    size_t key_len, const void *val, size_t val_len, rd_kafka_headers_t *hdrs);

/* ---- durable state ------------------------------------------------------------ */

static lr_core *core_new(runner *r) {
    lr_core *c = lr_core_new(&r->cfg->rules, 100000);
    lr_core_track_changes(c);
    return c;
}

/* Partitions of a topic the router needs and does not create, or -1 (with
 * the reason set) when it is missing: a changelog auto-created without
 * compaction would grow forever, and the repartition topic's partition count
 * is part of the state's layout. */
/* Partitions of `topic` per the broker's metadata; 0 with *why set when the
 * metadata cannot be read or the topic does not exist. */
static int partitions_of(rd_kafka_t *rk, const char *topic, int timeout_ms,
                         rd_kafka_resp_err_t *why) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int n = 0;
    *why = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) : rd_kafka_last_error();
    if (!*why) {
        if (md->topic_cnt != 1) *why = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        else if (md->topics[0].err) *why = md->topics[0].err;
        else if ((n = md->topics[0].partition_cnt) < 1) *why = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    }
    if (md) rd_kafka_metadata_destroy(md);
    if (rkt) rd_kafka_topic_destroy(rkt);
    return *why ? 0 : n;
}

static int topic_partitions(runner *r, rd_kafka_t *rk, const char *topic, const char *key,
                            const char *how) {
    rd_kafka_resp_err_t why;
    int n = partitions_of(rk, topic, 30000, &why);
    if (n > 0) return n;
    fail(r, "%s topic %s (%s) does not exist: create it with %s before starting the router (%s)",
         key + strlen("kafka.topics."), topic, key, how, rd_kafka_err2str(why));
    return -1;
}

static int state_partitions(runner *r, rd_kafka_t *rk) {
    return topic_partitions(r, rk, r->kc->topics.state, "kafka.topics.state",
                            "cleanup.policy=compact");
}

/* A consumer that never joins its group (partitions are assigned explicitly
 * and nothing is committed; librdkafka still wants a group id). */
static rd_kafka_t *state_reader_new(runner *r, const char *isolation) {
    char errstr[512];
    rd_kafka_conf_t *conf = base_conf(r);
    if (!conf) {
        r->fatal = true;
        return NULL;
    }
    char group[512];
    snprintf(group, sizeof(group), "%s.state-restore", r->kc->group_id);
    if (set_prop(conf, "group.id", group, r->err) ||
        set_prop(conf, "enable.auto.commit", "false", r->err) ||
        set_prop(conf, "enable.partition.eof", "true", r->err) ||
        set_prop(conf, "auto.offset.reset", "earliest", r->err) ||
        set_prop(conf, "allow.auto.create.topics", "false", r->err) ||
        /* the broker answers an empty fetch after this long: at the end of
         * a partition, that is what the restore would wait for */
        set_prop(conf, "fetch.wait.max.ms", "10", r->err) ||
        set_prop(conf, "isolation.level", isolation, r->err) || consumer_defaults(r, conf)) {
        rd_kafka_conf_destroy(conf);
        r->fatal = true; /* the reason is in r->err already */
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fail(r, "cannot create the state reader: %s", errstr);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

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
typedef struct restore_part {
    int64_t end;
    bool wanted, done;
    uint64_t records;
} restore_part;

static int restore_targets(runner *r, const char *topic, restore_part *rp, int np,
                           rd_kafka_topic_partition_list_t *parts) {
    rd_kafka_t *wm = state_reader_new(r, "read_uncommitted");
    if (!wm) return -1;
    int remaining = 0;
    for (int p = 0; p < np && remaining >= 0; p++) {
        rp[p].done = true;
        if (!rp[p].wanted) continue;
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(wm, topic, p, &lo, &hi, 30000);
        if (e) {
            fail(r, "topic %s [%d]: cannot read offsets: %s", topic, p, rd_kafka_err2str(e));
            remaining = -1;
        } else if (hi > lo) {
            rp[p].end = hi;
            rp[p].done = false;
            rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
            remaining++;
        }
    }
    rd_kafka_destroy(wm);
    return remaining;
}

/* The core a state record of partition p goes to. */
static lr_core *restore_core(runner *r, int32_t p) {
    return r->partitioned ? r->cores[p] : r->cores[0];
}

static void restore_log(runner *r, const restore_part *rp, int p, lr_time_ms t0) {
    lr_core *core = restore_core(r, p);
    const lr_core_restore_stats *st = lr_core_restore_stats_get(core);
    char which[64] = "";
    if (r->partitioned) snprintf(which, sizeof(which), " [%d]", p);
    logf_(r, "state restored from %s%s: %" PRIu64 " records, %" PRIu64 " applied, %" PRIu64
          " skipped (roster or rules changed), %" PRIu64 " malformed, %zu leads, %zu open "
          "clocks, %lld ms",
          r->kc->topics.state, which, rp[p].records, st->applied, st->skipped, st->malformed,
          lr_lifecycle_count(lr_core_lifecycle(core)),
          lr_lifecycle_open_clocks(lr_core_lifecycle(core)),
          (long long)(lr_wall_clock_ms(NULL) - t0));
}

/* A rulebook change can move a rep's routing domain to another repartition
 * partition. The rep's open leads (and their clocks) stay in the state of
 * this one, while the new partition counts the rep's load from zero: caps
 * and shares are off until those leads close. The router cannot merge two
 * partitions' state, so it says so, with the reps, at every restore that
 * shows it. */
static void warn_moved_state(runner *r, int p) {
    const lr_route_state *st = lr_core_route_state(r->cores[p]);
    const lr_route_config *rc = r->cfg->rules.route;
    char names[320] = "";
    size_t len = 0;
    int reps = 0;
    long open = 0;
    for (size_t i = 0; i < st->n_reps; i++) {
        if (st->reps[i].open <= 0 || r->domain_partition[lr_route_rep_domain(rc, (int32_t)i)] == p)
            continue;
        open += st->reps[i].open;
        if (len < sizeof(names) - 80)
            len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s (%d)",
                                    reps ? ", " : "", lr_route_rep_name(rc, (int32_t)i),
                                    st->reps[i].open);
        reps++;
    }
    r->stats->moved_open_leads += (uint64_t)open;
    if (reps)
        logf_(r, "WARNING: state partition %d holds %ld open lead(s) of %d rep(s) whose routing "
                 "domain is decided on another partition now: %s. The rulebook moved them: "
                 "their loads count from zero there until these leads close, and the leads' "
                 "clocks still fire here (docs/operations.md, \"Several instances\")",
              p, open, reps, names);
}

/* Where a restored record of partition p goes. */
typedef void restore_apply_fn(runner *r, int32_t p, const rd_kafka_message_t *m);

static void apply_state(runner *r, int32_t p, const rd_kafka_message_t *m) {
    lr_core_restore(restore_core(r, p), m->key, m->key_len, m->payload, m->len);
}

/* Reads the wanted partitions of a changelog from the beginning to their end
 * (read_committed: what committed transactions wrote), all at once, each
 * keyed record to `apply`. Returns 0; -2 when a stop was requested meanwhile
 * (what was restored is then incomplete); -1 after fail(). */
static int restore_read(runner *r, rd_kafka_t *rk, const char *topic, restore_part *rp, int np,
                        int remaining, restore_apply_fn *apply) {
    lr_time_ms last_progress = lr_wall_clock_ms(NULL), last_note = last_progress;
    while (remaining > 0) {
        volatile sig_atomic_t *stop = r->opts->stop;
        if (stop && *stop) return -2;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        lr_time_ms now = lr_wall_clock_ms(NULL);
        if (!m) {
            if (now - last_progress > 900000) {
                fail(r, "topic %s: no progress for 15 minutes while restoring", topic);
                return -1;
            }
            if (now - last_note > 5000) {
                logf_(r, "topic %s: waiting for an open transaction to end before the "
                         "restore can finish (an instance that stopped without committing; "
                         "the broker aborts it after its transaction.timeout.ms)",
                      topic);
                last_note = now;
            }
            continue;
        }
        int32_t p = m->partition;
        bool ours = p >= 0 && p < np && !rp[p].done;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (ours && m->offset >= rp[p].end) {
                rp[p].done = true;
                remaining--;
            }
        } else if (m->err) {
            logf_(r, "state reader: %s", rd_kafka_message_errstr(m));
            if (m->err == RD_KAFKA_RESP_ERR__FATAL || m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                fail(r, "topic %s: %s", topic, rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                return -1;
            }
        } else if (ours) {
            last_progress = now;
            if (m->key) {
                apply(r, p, m);
                rp[p].records++;
            }
        }
        rd_kafka_message_destroy(m);
    }
    return 0;
}

/* Fresh cores, restored from the state topic: slot i from partition i for
 * each wanted[i] when partitioned; slot 0 from every partition otherwise.
 * Returns 0; -2 when a stop was requested during the restore (those cores are
 * dropped: half a state must never decide); -1 after fail(). */
static int cores_load(runner *r, const bool *wanted) {
    lr_time_ms t0 = lr_wall_clock_ms(NULL);
    rd_kafka_t *rk = state_reader_new(r, "read_committed");
    if (!rk) return -1;
    int np = state_partitions(r, rk);
    int rc = -1;
    restore_part *rp = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (np < 0) goto out;
    rp = calloc((size_t)np, sizeof(*rp));
    if (!rp) abort();
    for (int p = 0; p < np; p++) rp[p].wanted = !r->partitioned || (p < r->n_cores && wanted[p]);
    for (int i = 0; i < r->n_cores; i++) {
        if (r->partitioned && !rp[i].wanted) continue;
        lr_core_free(r->cores[i]);
        r->cores[i] = core_new(r);
    }
    parts = rd_kafka_topic_partition_list_new(np);
    int remaining = restore_targets(r, r->kc->topics.state, rp, np, parts);
    if (remaining < 0) goto out;
    rd_kafka_assign(rk, parts);
    rc = restore_read(r, rk, r->kc->topics.state, rp, np, remaining, apply_state);
    if (rc < 0) goto out;
    for (int i = 0; i < r->n_cores; i++) {
        if (!r->cores[i] || (r->partitioned && !rp[i].wanted)) continue;
        lr_core_restore_done(r->cores[i]);
        if (r->partitioned) {
            restore_log(r, rp, i, t0);
            warn_moved_state(r, i);
        }
    }
    if (!r->partitioned) {
        for (int p = 1; p < np; p++) rp[0].records += rp[p].records;
        restore_log(r, rp, 0, t0);
    }
out:
    if (rc < 0)
        for (int i = 0; i < r->n_cores; i++)
            if (!r->partitioned || (i < np && rp && rp[i].wanted)) {
                lr_core_free(r->cores[i]);
                r->cores[i] = NULL;
            }
    if (parts) rd_kafka_topic_partition_list_destroy(parts);
    free(rp);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* ---- stage 1's lead -> domain table ------------------------------------------ */

/* A domain's partition must be the same in every instance and every version,
 * and must not move when other domains come or go (its state would stay
 * behind), so it is a fixed function of the domain's name alone. */
static int32_t domain_partition_of(const char *name, size_t len, int np) {
    return (int32_t)(lr_leadtab_hash(name, len) % (uint64_t)np);
}

typedef struct domain_restore {
    runner *r;
    int32_t part;
    lr_time_ms now;
} domain_restore;

/* The table holds the repartition partition each lead went to, found from
 * the domain's name. A domain the rulebook no longer has (renamed, merged)
 * still has that partition, and the lead's record is there: a repeat goes
 * there and is recognised. */
static void restore_entry(void *ctx, const char *id, size_t id_len, lr_time_ms since,
                          const char *name, size_t name_len) {
    domain_restore *dr = ctx;
    int32_t part = domain_partition_of(name, name_len, dr->r->n_cores);
    lr_domaintab_put(dr->r->domains, id, id_len, part, dr->part, since, dr->now);
}

static void apply_domain(runner *r, int32_t p, const rd_kafka_message_t *m) {
    domain_restore dr = {r, p, now_ms(r)};
    if (lr_domaintab_parse(m->payload, m->payload ? m->len : 0, restore_entry, &dr) < 0)
        logf_(r, "%s [%d] offset %" PRId64 ": a malformed record (what came before it in the "
                 "record is kept)",
              r->kc->topics.lead_domains, (int)p, m->offset);
}

/* Writes the entries a window added for leads partition p, in its
 * transaction: one record, keyed uniquely (the topic is not compacted by
 * key; a compacted one must not merge two windows). */
static void domain_batch_flush(runner *r, int32_t p) {
    lr_buf *b = &r->domain_batch[p];
    if (b->len == 0) return;
    char key[64];
    int kl = snprintf(key, sizeof(key), "%d/%" PRId64 "/%" PRIu64, (int)p, (int64_t)now_ms(r),
                      r->domain_batch_seq++);
    txn_begin_if_needed(r);
    produce(r, OUT_LEAD_DOMAINS, p, key, (size_t)kl, b->data, b->len, NULL);
    lr_buf_reset(b);
}

static void domain_batches_flush(runner *r) {
    for (int p = 0; r->domain_batch && p < r->n_lead_parts && !r->fatal; p++)
        domain_batch_flush(r, p);
}

static void domain_batches_drop(runner *r) {
    for (int p = 0; r->domain_batch && p < r->n_lead_parts; p++)
        lr_buf_reset(&r->domain_batch[p]);
}

/* Forgets the wanted leads partitions' entries and reads them back from
 * kafka.topics.lead_domains, before those partitions are read: on
 * assignment and after an aborted transaction. `wanted` may be
 * r->domains_owned itself. Returns like cores_load. */
static int domains_load(runner *r, const bool *wanted) {
    lr_time_ms t0 = lr_wall_clock_ms(NULL);
    const char *topic = r->kc->topics.lead_domains;
    int np = r->n_lead_parts, n_wanted = 0, rc = -1;
    restore_part *rp = calloc((size_t)np, sizeof(*rp));
    if (!rp) abort();
    for (int p = 0; p < np; p++) {
        rp[p].wanted = wanted[p];
        if (!wanted[p]) continue;
        n_wanted++;
        lr_domaintab_drop_partition(r->domains, p);
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    rd_kafka_t *rk = n_wanted ? state_reader_new(r, "read_committed") : NULL;
    uint64_t records = 0;
    if (n_wanted && !rk) goto out;
    int remaining = n_wanted ? restore_targets(r, topic, rp, np, parts) : 0;
    if (remaining < 0) goto out;
    if (remaining > 0) {
        rd_kafka_assign(rk, parts);
        rc = restore_read(r, rk, topic, rp, np, remaining, apply_domain);
        if (rc < 0) goto out;
    }
    rc = 0;
    for (int p = 0; p < np; p++) {
        if (wanted[p]) r->domains_owned[p] = true;
        records += rp[p].records;
    }
    if (n_wanted)
        logf_(r, "lead domains restored from %s: %d partition(s), %" PRIu64 " records, %zu leads "
              "remembered in all, %lld ms",
              topic, n_wanted, records, lr_domaintab_count(r->domains),
              (long long)(lr_wall_clock_ms(NULL) - t0));
out:
    if (rc < 0) /* half a table must not decide what is a repeat */
        for (int p = 0; p < np; p++)
            if (wanted[p]) {
                lr_domaintab_drop_partition(r->domains, p);
                r->domains_owned[p] = false;
            }
    rd_kafka_topic_partition_list_destroy(parts);
    free(rp);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    return rc;
}

static void core_drop(runner *r, int i) {
    lr_core_free(r->cores[i]);
    r->cores[i] = NULL;
}

/* Writes what the window changed to the state topic, inside its transaction. */
static void state_sink(void *ctx, const char *key, size_t klen, const void *val, size_t vlen) {
    runner *r = ctx;
    if (r->fatal) return;
    txn_begin_if_needed(r);
    produce(r, OUT_STATE, r->sink_partition, key, klen, val, vlen, NULL);
    r->state_records++;
}

static void window_reset(runner *r) {
    r->have_progress = false;
    r->window_messages = 0;
    r->window_started = LR_TIME_NONE;
}

static int output_topics_open(runner *r);
static void output_topics_close(runner *r);

/* A new producer with the same transactional id: init_transactions fences the
 * old one's epoch and aborts what it left open. */
static int producer_renew(runner *r) {
    r->renewals++;
    r->stats->producer_renewals++;
    output_topics_close(r);
    rd_kafka_destroy(r->producer); /* what it still held is aborted anyway */
    r->producer = NULL;
    r->renew_producer = false;
    if (create_producer(r) < 0) {
        r->fatal = true; /* the reason is in r->err */
        return -1;
    }
    if (txn_retry(r, "init_transactions", call_init, NULL) != 0) {
        if (!r->fatal) fail(r, "init_transactions failed on the renewed producer");
        return -1;
    }
    if (output_topics_open(r) < 0) return -1;
    logf_(r, "producer renewed (%d in a row)", r->renewals);
    return 0;
}

/* An aborted window: its output is gone, so the state that made it must go
 * too. The core is rebuilt from the changelog (which holds exactly what
 * committed) and the consumer goes back to the committed offsets, so the same
 * input is decided again from the same state. */
static void txn_abort(runner *r) {
    r->stats->aborts++;
    if (!r->renew_producer && txn_retry(r, "abort_transaction", call_abort, NULL) < 0) return;
    if (r->renew_producer && producer_renew(r) < 0) return;
    r->txn_open = false;
    r->txn_failed = false;
    lr_out_reset(&r->out);
    domain_batches_drop(r); /* the table is read back below, without them */
    window_reset(r);
    bool *owned = calloc((size_t)r->n_cores, sizeof(bool));
    if (!owned) abort();
    for (int i = 0; i < r->n_cores; i++) owned[i] = r->cores[i] != NULL;
    int rc = cores_load(r, owned);
    free(owned);
    /* stage 1's entries of the aborted window are gone from the changelog too */
    if (rc == 0 && r->domains) rc = domains_load(r, r->domains_owned);
    if (rc == -2) {
        /* Asked to stop before the state was back: nothing may commit now
         * (the offsets would pass input whose state is gone). The next
         * start redoes it from the committed offsets. */
        r->abandoned = true;
        logf_(r, "stopped while rebuilding the state after an aborted transaction: nothing "
                 "more is committed; the next start redoes the input since the last commit");
        return;
    }
    if (rc < 0) return;
    rewind_to_committed(r);
    logf_(r, "transaction aborted: state rebuilt, input rewound to the committed offsets");
}

/* Hands every core's changes to state_sink, each to its own state partition,
 * and stage 1's new table entries to their changelog. */
static void drain_changes(runner *r) {
    domain_batches_flush(r);
    for (int i = 0; i < r->n_cores && !r->fatal; i++) {
        if (!r->cores[i]) continue;
        r->sink_partition = r->partitioned ? i : RD_KAFKA_PARTITION_UA;
        lr_core_changes(r->cores[i], state_sink, r);
    }
}

static void count_commit(runner *r, const commit_job *j) {
    uint64_t us = j->done_us - j->t0;
    r->stats->commits++;
    r->stats->commit_us_total += us;
    r->stats->offsets_us_total += j->offsets_us;
    if (us > r->stats->commit_us_max) r->stats->commit_us_max = us;
}

static void drop_headers(void *h) { rd_kafka_headers_destroy(h); }

/* The worker's part of a commit: only the calls that wait for the broker. */
static void commit_run(void *arg) {
    commit_job *j = arg;
    runner *r = j->r;
    j->error = NULL;
    j->what = NULL;
    j->offsets_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    j->offsets_us = 0;
    if (r->eos) {
        if (j->offsets) {
            uint64_t t1 = mono_us();
            j->what = "send_offsets_to_transaction";
            j->error = txn_call_retrying(r, j->what, call_send_offsets, j->offsets);
            j->offsets_us = mono_us() - t1;
        }
        if (!j->error) {
            j->what = "commit_transaction";
            j->error = txn_call_retrying(r, j->what, call_commit, NULL);
        }
    } else {
        /* at least once: everything the window produced (state included)
         * must be acknowledged before the offsets that led to it are
         * committed (see delivered()) */
        atomic_llong *unacked = &r->unacked[j->gen & 1];
        pthread_mutex_lock(&r->acked_lock);
        while (atomic_load(unacked) > 0 && !atomic_load(&r->delivery_err))
            pthread_cond_wait(&r->acked, &r->acked_lock);
        pthread_mutex_unlock(&r->acked_lock);
        if (j->offsets && !atomic_load(&r->delivery_err)) {
            uint64_t t1 = mono_us();
            j->offsets_err = rd_kafka_commit(r->consumer, j->offsets, 0);
            j->offsets_us = mono_us() - t1;
        }
    }
    j->done_us = mono_us();
}

/* Produces what waited for the commit that just completed. */
static void outbox_release(runner *r) {
    size_t n = lr_outbox_count(&r->outbox);
    if (n > r->stats->outbox_peak_records) r->stats->outbox_peak_records = n;
    for (size_t i = 0; i < n && !r->fatal; i++) {
        const void *key, *val;
        lr_outbox_rec *rec = lr_outbox_get(&r->outbox, i, &key, &val);
        txn_begin_if_needed(r);
        produce(r, (out_topic)rec->topic, rec->partition, key, rec->key_len, val, rec->val_len,
                rec->headers);
        rec->headers = NULL; /* the producer took them (or produce freed them) */
    }
    lr_outbox_clear(&r->outbox, drop_headers);
}

/* Takes the outcome of the commit on the worker, if one runs: waits for it
 * when `block`, else returns at once while it still runs. On success the
 * outbox goes out in the next transaction; on an abort it is dropped, since
 * txn_abort rebuilds the state that made it and rewinds the input. */
static void commit_finish(runner *r, bool block) {
    if (!r->committing) return;
    if (!block && lr_worker_busy(r->worker)) return;
    uint64_t w0 = mono_us();
    lr_worker_wait(r->worker);
    r->stats->commit_wait_us_total += mono_us() - w0;
    r->committing = false;
    commit_job *j = &r->job;
    if (j->offsets) rd_kafka_topic_partition_list_destroy(j->offsets);
    j->offsets = NULL;
    if (r->eos) {
        int rc = txn_outcome(r, j->what, j->error);
        j->error = NULL;
        if (rc != 0) {
            lr_outbox_clear(&r->outbox, drop_headers);
            if (rc > 0) txn_abort(r);
            return;
        }
        r->txn_open = false;
        r->renewals = 0;
        r->stats->transactions++;
    } else {
        int e = atomic_load(&r->delivery_err);
        if (e) {
            /* its input must be read again: not committing the offsets
             * and stopping leaves that to the restart */
            lr_outbox_clear(&r->outbox, drop_headers);
            fail(r, "cannot deliver to %s: %s (the input offsets stay before it)",
                 r->delivery_topic, rd_kafka_err2str((rd_kafka_resp_err_t)e));
            return;
        }
        if (j->offsets_err && j->offsets_err != RD_KAFKA_RESP_ERR__NO_OFFSET)
            logf_(r, "offset commit failed: %s (will retry)", rd_kafka_err2str(j->offsets_err));
    }
    count_commit(r, j);
    outbox_release(r);
}

/* Closes the open window: what it changed goes to the state topic, and its
 * commit, with the offsets read so far, starts on the worker. */
static void window_close(runner *r) {
    if (r->fatal || r->abandoned) return;
    commit_job *j = &r->job;
    j->t0 = mono_us();
    drain_changes(r);
    if (r->fatal) return;
    if (r->eos && !r->txn_open) { /* nothing produced, so nothing to commit */
        window_reset(r);
        return;
    }
    if (r->eos && r->txn_failed) return txn_abort(r); /* what it holds is incomplete */
    j->r = r;
    j->offsets = NULL;
    if (r->have_progress) {
        j->offsets = positions(r);
        if (j->offsets && j->offsets->cnt == 0) {
            rd_kafka_topic_partition_list_destroy(j->offsets);
            j->offsets = NULL;
        }
    }
    r->committing = true;
    j->gen = r->window_gen++; /* what is produced from now on is the next window's */
    lr_worker_start(r->worker, commit_run, j);
    window_reset(r);
}

/* Commits everything decided so far and waits for it: on revoke and at
 * shutdown. Output, dead letters, state and input offsets go together. */
static void window_commit(runner *r) {
    commit_finish(r, true);
    window_close(r);
    commit_finish(r, true);
}

static bool is_repartition(runner *r, const rd_kafka_topic_partition_t *tp) {
    return r->partitioned && strcmp(tp->topic, r->kc->topics.repartition) == 0 &&
           tp->partition >= 0 && tp->partition < r->n_cores;
}

/* Partitioned: a repartition partition brings its decision state with it. The
 * restore happens here, before the partition is handed to the consumer, so
 * no lead of it is decided before its state is back. */
/* A single instance keeps every team's state: a second member of its group
 * would count its own copy of every rep's load. That is a deployment error
 * the router cannot fix, so it says so on every assignment that shows it. */
static void warn_if_not_alone(runner *r, rd_kafka_t *rk,
                              const rd_kafka_topic_partition_list_t *parts) {
    rd_kafka_resp_err_t why;
    int total = partitions_of(rk, r->kc->topics.leads, 5000, &why) +
                partitions_of(rk, r->kc->topics.sales_activity, 5000, &why);
    if (total > 0 && parts->cnt < total)
        logf_(r, "WARNING: group %s has another member (this instance got %d of %d input "
                 "partitions), but kafka.topics.repartition is not set: each instance keeps "
                 "its own rep loads and round robins, so caps and shares will be wrong; "
                 "see docs/operations.md, \"Several instances\"",
              r->kc->group_id, parts->cnt, total);
}

static bool is_leads(runner *r, const rd_kafka_topic_partition_t *tp) {
    return r->partitioned && strcmp(tp->topic, r->kc->topics.leads) == 0 && tp->partition >= 0 &&
           tp->partition < r->n_lead_parts;
}

/* Stage 1: the leads partitions assigned bring their table entries. */
static int domains_assign(runner *r, const rd_kafka_topic_partition_list_t *parts) {
    bool *wanted = calloc((size_t)r->n_lead_parts, sizeof(bool));
    if (!wanted) abort();
    for (int i = 0; i < parts->cnt; i++)
        if (is_leads(r, &parts->elems[i])) wanted[parts->elems[i].partition] = true;
    int rc = domains_load(r, wanted);
    free(wanted);
    return rc;
}

static void assign_partitions(runner *r, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts) {
    if (r->partitioned) {
        bool *wanted = calloc((size_t)r->n_cores, sizeof(bool));
        if (!wanted) abort();
        int owned = 0;
        for (int i = 0; i < parts->cnt; i++)
            if (is_repartition(r, &parts->elems[i])) {
                wanted[parts->elems[i].partition] = true;
                owned++;
            }
        int rc = owned ? cores_load(r, wanted) : 0;
        free(wanted);
        if (rc == 0) rc = domains_assign(r, parts);
        if (rc < 0) {
            /* stopping (or failed): take nothing, so nothing is decided */
            rd_kafka_assign(rk, NULL);
            return;
        }
        logf_(r, "deciding %d repartition partition(s)", owned);
    } else {
        warn_if_not_alone(r, rk, parts);
    }
    rd_kafka_assign(rk, parts);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    runner *r = opaque;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        logf_(r, "assigned %d partition(s)", parts->cnt);
        assign_partitions(r, rk, parts);
    } else {
        /* Commit what was decided from these partitions before they go, so
         * the next owner starts exactly after it, with the state it made. */
        logf_(r, "revoking %d partition(s)%s", parts->cnt,
              rd_kafka_assignment_lost(rk) ? " (lost: the group moved on without us)" : "");
        window_commit(r);
        for (int i = 0; i < parts->cnt; i++) {
            const rd_kafka_topic_partition_t *tp = &parts->elems[i];
            if (is_repartition(r, tp)) core_drop(r, tp->partition);
            if (is_leads(r, tp)) {
                lr_domaintab_drop_partition(r->domains, tp->partition);
                r->domains_owned[tp->partition] = false;
            }
        }
        rd_kafka_assign(rk, NULL);
    }
}

/* ---- producing -------------------------------------------------------------- */

static void delivery_check(runner *r, rd_kafka_resp_err_t e, const char *topic) {
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    fail(r, "cannot produce to %s: %s", topic, rd_kafka_err2str(e));
}

static void produce(runner *r, out_topic to, int32_t partition, const void *key,
                    size_t key_len, const void *val, size_t val_len, rd_kafka_headers_t *hdrs) {
    if (r->committing && r->eos) {
        lr_outbox_push(&r->outbox, to, partition, key, key_len, val, val_len, hdrs);
        return;
    }
    rd_kafka_topic_t *rkt = r->out_rkt[to];
    const char *topic = rd_kafka_topic_name(rkt);
    /* at least once: counted before the report can take it off */
    atomic_llong *unacked = r->eos ? NULL : &r->unacked[r->window_gen & 1];
    if (unacked) atomic_fetch_add(unacked, 1);
    for (;;) {
        /* the V_ macros expand to argument pairs, so no ?: around them */
        rd_kafka_resp_err_t e =
            hdrs ? rd_kafka_producev(r->producer, RD_KAFKA_V_RKT(rkt),
                                     RD_KAFKA_V_PARTITION(partition),
                                     RD_KAFKA_V_KEY(key, key_len),
                                     RD_KAFKA_V_VALUE((void *)val, val_len),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_OPAQUE(unacked),
                                     RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END)
                 : rd_kafka_producev(r->producer, RD_KAFKA_V_RKT(rkt),
                                     RD_KAFKA_V_PARTITION(partition),
                                     RD_KAFKA_V_KEY(key, key_len),
                                     RD_KAFKA_V_VALUE((void *)val, val_len),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_OPAQUE(unacked), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            r->stats->queue_full_waits++;
            /* let deliveries drain (at least once they drain by themselves) */
            if (r->eos) rd_kafka_poll(r->producer, 10);
            else nanosleep(&(struct timespec){0, 1000000}, NULL);
            continue;
        }
        if (e && unacked) atomic_fetch_sub(unacked, 1); /* no report will come */
        if (e && hdrs) rd_kafka_headers_destroy(hdrs);
        /* A transaction that already hit an abortable error (a produce
         * failure after a broker restart, say) refuses every new message with
         * __STATE. That is not fatal: the window is marked failed, and
         * window_commit aborts it, rebuilds the state and redoes the input. */
        if (e == RD_KAFKA_RESP_ERR__FATAL && renewable(r)) {
            if (!r->txn_failed)
                logf_(r, "cannot produce to %s: the producer failed; renewing it", topic);
            r->renew_producer = r->txn_failed = true;
            return;
        }
        if (e == RD_KAFKA_RESP_ERR__STATE && r->eos &&
            rd_kafka_fatal_error(r->producer, NULL, 0) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (!r->txn_failed)
                logf_(r, "cannot produce to %s: the transaction failed; aborting it", topic);
            r->txn_failed = true;
            return;
        }
        delivery_check(r, e, topic);
        return;
    }
}

static out_topic event_topic(const lr_event *ev) {
    switch (ev->kind) {
    case LR_EVENT_DECISION:
        return ev->u.decision.stage == LR_STAGE_SALES_READY ? OUT_ASSIGNMENTS : OUT_NURTURE;
    case LR_EVENT_STATUS: return OUT_STATUS;
    case LR_EVENT_ALERT: return OUT_ALERTS;
    }
    return OUT_STATUS;
}

static lr_str event_key(const lr_event *ev) {
    switch (ev->kind) {
    case LR_EVENT_DECISION: return ev->u.decision.lead_id;
    case LR_EVENT_STATUS: return ev->u.status.lead_id;
    case LR_EVENT_ALERT: return ev->u.alert.lead_id;
    }
    return LR_STR_NULL;
}

static void count_event(runner *r, const lr_event *ev) {
    lr_kafka_stats *s = r->stats;
    switch (ev->kind) {
    case LR_EVENT_DECISION:
        s->decisions++;
        s->by_stage[ev->u.decision.stage]++;
        if (ev->u.decision.stage == LR_STAGE_SALES_READY) {
            if (ev->u.decision.rep) s->assigned++;
            else s->queued++;
        }
        break;
    case LR_EVENT_STATUS: s->statuses++; break;
    case LR_EVENT_ALERT: s->alerts++; break;
    }
}

/* Sends every event the core made, then forgets them. */
static void flush_out(runner *r) {
    if (r->out.n == 0) return;
    txn_begin_if_needed(r);
    for (size_t i = 0; i < r->out.n && !r->fatal; i++) {
        const lr_event *ev = &r->out.ev[i];
        if (r->opts->observe) r->opts->observe(r->opts->observe_ctx, ev);
        count_event(r, ev);
        lr_buf_reset(&r->enc);
        lr_codec_encode_event(r->codec, ev, &r->enc);
        lr_str key = event_key(ev);
        produce(r, event_topic(ev), RD_KAFKA_PARTITION_UA, key.s, key.len, r->enc.data,
                r->enc.len, NULL);
    }
    lr_out_reset(&r->out);
}

static void add_header(rd_kafka_headers_t *h, const char *name, const char *v) {
    rd_kafka_header_add(h, name, -1, v, -1);
}

/* The original key, value and headers, plus why and where it came from. */
static void dead_letter(runner *r, const rd_kafka_message_t *m, const char *code,
                        const char *reason) {
    txn_begin_if_needed(r);
    rd_kafka_headers_t *orig = NULL;
    rd_kafka_headers_t *h = rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR
                                ? rd_kafka_headers_copy(orig)
                                : rd_kafka_headers_new(6);
    char num[32];
    add_header(h, "lr.error.code", code);
    add_header(h, "lr.error.reason", reason);
    add_header(h, "lr.source.topic", rd_kafka_topic_name(m->rkt));
    snprintf(num, sizeof(num), "%" PRId32, m->partition);
    add_header(h, "lr.source.partition", num);
    snprintf(num, sizeof(num), "%" PRId64, m->offset);
    add_header(h, "lr.source.offset", num);
    add_header(h, "lr.router.version", LR_VERSION);
    produce(r, OUT_DEAD_LETTER, RD_KAFKA_PARTITION_UA, m->key, m->key_len, m->payload,
            m->len, h);
    r->stats->dead_lettered++;
}

/* ---- consuming -------------------------------------------------------------- */

typedef enum msg_kind { MSG_LEAD, MSG_SALES, MSG_OTHER } msg_kind;

/* Decodes into r->lead or r->sales; dead-letters what does not decode. */
static bool decode(runner *r, const rd_kafka_message_t *m, msg_kind kind) {
    const char *reason = NULL;
    lr_arena_reset(&r->decode_arena);
    lr_codec_status st =
        kind == MSG_LEAD
            ? lr_codec_decode_lead(r->codec, m->payload, m->len, &r->lead, &r->decode_arena,
                                   &reason)
            : lr_codec_decode_sales(r->codec, m->payload, m->len, &r->sales, &r->decode_arena,
                                    &reason);
    if (st == LR_CODEC_OK) return true;
    dead_letter(r, m, lr_codec_status_name(st), reason ? reason : "undecodable");
    return false;
}

static msg_kind input_kind(runner *r, const char *topic) {
    if (strcmp(topic, r->kc->topics.leads) == 0) return MSG_LEAD;
    if (strcmp(topic, r->kc->topics.sales_activity) == 0) return MSG_SALES;
    return MSG_OTHER;
}

/* Stage 2 learns what a forwarded message is from its schema id, which
 * belongs to one record type only: no header to add or look up. What is
 * neither a lead nor an activity is decoded as a lead, so that the dead
 * letter says which schema id it had. */
static msg_kind forwarded_kind(runner *r, const rd_kafka_message_t *m) {
    int k = lr_codec_kind_of(r->codec, m->payload, m->payload ? m->len : 0);
    return k == LR_SCHEMA_SALES_ACTIVITY ? MSG_SALES : MSG_LEAD;
}

/* Stage 1's repartition partition for a lead. A lead first seen within the
 * duplicate window goes where its first message went, marked as a repeat,
 * even when its attributes now name another domain: only that domain's
 * partition knows it was decided. Otherwise its attributes choose, and the
 * table (with its changelog, in the same transaction) remembers the choice
 * for kafka.lead_domains_memory (by default the duplicate window). */
static int32_t lead_partition(runner *r, const rd_kafka_message_t *m, lr_time_ms now,
                              rd_kafka_headers_t **h) {
    const lr_route_config *rc = r->cfg->rules.route;
    lr_str id = r->lead.lead_id;
    if (m->partition >= r->n_lead_parts) {
        /* partitions added to the leads topic while running: its table and
         * changelog layout were fixed at start */
        fail(r, "%s has a partition %d now, more than the %d it had at start: add as many "
                "to kafka.topics.lead_domains %s and restart the router",
             r->kc->topics.leads, (int)m->partition, r->n_lead_parts, r->kc->topics.lead_domains);
        return 0;
    }
    int32_t domain = lr_route_lead_domain(rc, &r->lead);
    int32_t part = r->domain_partition[domain];
    int32_t first = lr_domaintab_claim(r->domains, id.s, id.len, part, m->partition, now,
                                       lr_qualify_duplicate_window_ms(r->cfg->rules.qualify));
    if (first >= 0) {
        if (!*h) *h = rd_kafka_headers_new(1);
        rd_kafka_header_add(*h, REPEAT_HEADER, -1, "1", 1);
        r->stats->repeats++;
        if (first != part) r->stats->repeats_kept++;
        return first;
    }
    const char *name = lr_route_domain_name(rc, domain);
    lr_buf *b = &r->domain_batch[m->partition];
    lr_domaintab_append(b, id.s, id.len, now, name, strlen(name)); /* sizes checked at start */
    if (b->len >= DOMAIN_BATCH_MAX) domain_batch_flush(r, m->partition);
    return part;
}

/* Stage 1: the original key, value and headers go on to the repartition
 * partition of the message's routing domain: a lead's from its attributes or
 * the table, an activity's from the table (its lead's domain) when the lead
 * came through this instance within the window, else from its rep. */
static void forward(runner *r, const rd_kafka_message_t *m, msg_kind kind, lr_time_ms now) {
    const lr_route_config *rc = r->cfg->rules.route;
    /* the producer takes the headers it is given: a copy, only when there
     * are any (most inputs have none, and then nothing is allocated) */
    rd_kafka_headers_t *orig = NULL;
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        h = rd_kafka_headers_copy(orig);
        rd_kafka_header_remove(h, REPEAT_HEADER); /* only stage 1 says what repeats */
    }
    int32_t part;
    if (kind == MSG_LEAD) {
        part = lead_partition(r, m, now, &h);
    } else {
        lr_str lead = r->sales.lead_id;
        part = lead.s ? lr_domaintab_find(r->domains, lead.s, lead.len, now) : -1;
        if (part < 0)
            part = r->domain_partition[lr_route_rep_domain(
                rc, lr_route_rep_index(rc, r->sales.rep_id.s, r->sales.rep_id.len))];
    }
    txn_begin_if_needed(r);
    produce(r, OUT_REPARTITION, part, m->key, m->key_len, m->payload, m->len, h);
}

static bool is_repeat(const rd_kafka_message_t *m) {
    rd_kafka_headers_t *h;
    const void *v;
    size_t n;
    return rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
           rd_kafka_header_get_last(h, REPEAT_HEADER, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* Stage 2 (or the single instance): the core that owns the partition decides. */
static void decide(runner *r, const rd_kafka_message_t *m, msg_kind kind, lr_time_ms now) {
    lr_core *core = r->cores[r->partitioned ? m->partition : 0];
    if (!core) {
        /* a message of a partition whose state is not here: never expected,
         * since the core is restored before the partition is assigned */
        fail(r, "no decision state for %s [%d]", rd_kafka_topic_name(m->rkt), (int)m->partition);
        return;
    }
    if (kind == MSG_LEAD && r->partitioned && is_repeat(m))
        lr_core_on_repeated_lead(core, &r->lead, now, &r->out);
    else if (kind == MSG_LEAD)
        lr_core_on_lead(core, &r->lead, now, &r->out);
    else
        lr_core_on_sales(core, &r->sales, now, &r->out);
}

/* Which input a topic handle is: names are compared once per topic. */
static msg_kind topic_kind(runner *r, const rd_kafka_topic_t *rkt, bool *stage2) {
    for (int i = 0; i < r->n_seen_topics; i++)
        if (r->seen_topics[i].rkt == rkt) {
            *stage2 = r->seen_topics[i].stage2;
            return (msg_kind)r->seen_topics[i].kind;
        }
    const char *topic = rd_kafka_topic_name(rkt);
    *stage2 = r->partitioned && strcmp(topic, r->kc->topics.repartition) == 0;
    msg_kind kind = *stage2 ? MSG_OTHER : input_kind(r, topic);
    if (r->n_seen_topics < (int)(sizeof(r->seen_topics) / sizeof(r->seen_topics[0]))) {
        r->seen_topics[r->n_seen_topics].rkt = rkt;
        r->seen_topics[r->n_seen_topics].kind = kind;
        r->seen_topics[r->n_seen_topics++].stage2 = *stage2;
    }
    return kind;
}

static void handle_message(runner *r, const rd_kafka_message_t *m, lr_time_ms now) {
    bool stage2;
    msg_kind kind = topic_kind(r, m->rkt, &stage2);
    if (stage2) kind = forwarded_kind(r, m);
    if (!stage2) {
        /* counted where they enter, once, whichever instance decides them */
        if (kind == MSG_LEAD) r->stats->leads_in++;
        if (kind == MSG_SALES) r->stats->sales_in++;
    }
    if (!m->payload) {
        dead_letter(r, m, "malformed", "empty value (tombstone)");
    } else if (kind == MSG_OTHER) {
        dead_letter(r, m, "unexpected_topic", "message from a topic the router does not read");
    } else if (decode(r, m, kind)) {
        if (r->partitioned && !stage2) forward(r, m, kind, now);
        else decide(r, m, kind, now);
    }
    flush_out(r);
    /* the consumer's position now covers this message: the next commit
     * records it (no per-message offset store, no allocation) */
    r->have_progress = true;
    r->window_messages++;
}

static int subscribe(runner *r) {
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(3);
    rd_kafka_topic_partition_list_add(topics, r->kc->topics.leads, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics, r->kc->topics.sales_activity,
                                      RD_KAFKA_PARTITION_UA);
    if (r->partitioned)
        rd_kafka_topic_partition_list_add(topics, r->kc->topics.repartition,
                                          RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(r->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        lr_err_set(r->err, LR_ERR_FATAL, "subscribe: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

static int poll_timeout_ms(runner *r, lr_time_ms now) {
    int64_t t = 100;
    for (int i = 0; i < r->n_cores; i++) {
        if (!r->cores[i]) continue;
        lr_time_ms due = lr_core_next_due(r->cores[i]);
        if (due != LR_TIME_NONE && due - now < t) t = due - now;
    }
    if (r->window_started != LR_TIME_NONE && !r->committing) {
        int64_t left = r->window_started + r->kc->commit_interval_ms - now;
        if (left < t) t = left;
    }
    /* a commit on the worker: look again soon, its outbox may be waiting
     * (and the open window, which waits for it, must not make this a busy
     * loop) */
    if (r->committing && t > 1) t = 1;
    return t < 0 ? 0 : (int)t;
}

/* Whether the open window should close now. While the previous window's
 * commit still runs, the open one goes on growing instead (it could not
 * commit before that one anyway), up to
 * twice commit_max_messages: waiting would idle the main thread for the
 * rest of that commit. */
static bool window_due(runner *r, lr_time_ms now) {
    if (r->window_started == LR_TIME_NONE) return false;
    int64_t max = r->kc->commit_max_messages;
    if (r->committing) return r->window_messages >= 2 * max;
    return now - r->window_started >= r->kc->commit_interval_ms || r->window_messages >= max;
}

static void loop(runner *r) {
    volatile sig_atomic_t *stop = r->opts->stop;
    /* one clock read per turn: the poll timeout, the decision, the window
     * and the SLA advance all use it (it is refreshed after a commit, which
     * can take tens of milliseconds) */
    lr_time_ms now = now_ms(r);
    while (!(stop && *stop) && !r->fatal) {
        int timeout_ms = poll_timeout_ms(r, now);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->consumer, timeout_ms);
        now = now_ms(r);
        if (!m) { /* it waited out its timeout: counted without a clock read */
            r->stats->empty_polls++;
            r->stats->empty_poll_ms_total += (uint64_t)timeout_ms;
        }
        if (m) {
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    logf_(r, "consumer: %s", rd_kafka_message_errstr(m));
                if (m->err == RD_KAFKA_RESP_ERR__FATAL) fail(r, "consumer fatal error");
            } else {
                if (r->window_started == LR_TIME_NONE) r->window_started = now;
                handle_message(r, m, now);
            }
            rd_kafka_message_destroy(m);
        }
        /* SLA clocks fire on the clock, not on traffic */
        for (int i = 0; i < r->n_cores; i++)
            if (r->cores[i]) lr_core_advance(r->cores[i], now, &r->out);
        if (r->out.n) {
            if (r->window_started == LR_TIME_NONE) r->window_started = now;
            flush_out(r);
        }
        if (r->eos) rd_kafka_poll(r->producer, 0);
        commit_finish(r, false);
        if (window_due(r, now)) {
            commit_finish(r, true); /* one commit at a time */
            window_close(r);
            now = now_ms(r);
        }
    }
}

/* A handle per output topic, and its metadata: the producer learns where a
 * topic's partitions are when it first produces to it, and the window that
 * holds that first record waits for the answer (0.1 to 0.8 s measured, which
 * an alerts partition would otherwise pay with the first alert, hours into a
 * run). Asking at start pays it before any input is decided. Topics that do
 * not exist are left to the first produce to report. */
static void output_topics_close(runner *r) {
    for (int i = 0; i < OUT__COUNT; i++) {
        if (r->out_rkt[i]) rd_kafka_topic_destroy(r->out_rkt[i]);
        r->out_rkt[i] = NULL;
    }
}

static int output_topics_open(runner *r) {
    const lr_kafka_topics *t = &r->kc->topics;
    const char *names[OUT__COUNT] = {t->assignments, t->nurture, t->status,
                                     t->alerts,      t->dead_letter, t->state,
                                     t->repartition, t->lead_domains};
    for (int i = 0; i < OUT__COUNT; i++) {
        if (!names[i]) continue;
        r->out_rkt[i] = rd_kafka_topic_new(r->producer, names[i], NULL);
        if (!r->out_rkt[i]) {
            fail(r, "topic %s: %s", names[i], rd_kafka_err2str(rd_kafka_last_error()));
            return -1;
        }
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(r->producer, 0, r->out_rkt[i], &md, 10000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR)
            rd_kafka_metadata_destroy(md);
    }
    return 0;
}

/* Stage 1's table: kafka.topics.lead_domains partition p holds the entries of
 * leads partition p, so the two must have the same partition count. */
static int lead_domains_setup(runner *r) {
    const char *leads = r->kc->topics.leads, *topic = r->kc->topics.lead_domains;
    int nl = topic_partitions(r, r->producer, leads, "kafka.topics.leads", "its partitions");
    if (nl < 0) return -1;
    int nt = topic_partitions(r, r->producer, topic, "kafka.topics.lead_domains",
                              "as many partitions as the leads topic, "
                              "cleanup.policy=delete and retention.ms at least the "
                              "duplicate window (or kafka.lead_domains_memory, when longer)");
    if (nt < 0) return -1;
    if (nt != nl) {
        fail(r, "kafka.topics.lead_domains %s has %d partitions and kafka.topics.leads %s has "
                "%d: they must be equal (partition p remembers the leads read from leads "
                "partition p)",
             topic, nt, leads, nl);
        return -1;
    }
    size_t nd = lr_route_domain_count(r->cfg->rules.route);
    for (size_t d = 0; d < nd; d++)
        if (strlen(lr_route_domain_name(r->cfg->rules.route, (int32_t)d)) > LR_DOMAINTAB_NAME_MAX) {
            fail(r, "routing domain %s: the name is longer than %d bytes",
                 lr_route_domain_name(r->cfg->rules.route, (int32_t)d), LR_DOMAINTAB_NAME_MAX);
            return -1;
        }
    r->n_lead_parts = nl;
    r->domains_owned = calloc((size_t)nl, sizeof(bool));
    r->domain_batch = calloc((size_t)nl, sizeof(lr_buf));
    if (!r->domains_owned || !r->domain_batch) abort();
    int64_t window = lr_qualify_duplicate_window_ms(r->cfg->rules.qualify);
    r->domains = lr_domaintab_new(r->kc->lead_domains_memory_ms > window
                                      ? r->kc->lead_domains_memory_ms
                                      : window);
    return 0;
}

/* The repartition and state topics must exist with the same partition count:
 * state partition i holds the state of the domains on repartition partition i. */
static int partitioned_setup(runner *r) {
    int np = topic_partitions(r, r->producer, r->kc->topics.repartition,
                              "kafka.topics.repartition", "as many partitions as the state topic");
    if (np < 0) return -1;
    int ns = state_partitions(r, r->producer);
    if (ns < 0) return -1;
    if (ns != np) {
        fail(r, "kafka.topics.repartition %s has %d partitions and kafka.topics.state %s has %d: "
                "they must be equal (state partition i holds the state decided from "
                "repartition partition i)",
             r->kc->topics.repartition, np, r->kc->topics.state, ns);
        return -1;
    }
    r->n_cores = np;
    r->cores = calloc((size_t)np, sizeof(*r->cores));
    size_t nd = lr_route_domain_count(r->cfg->rules.route);
    r->domain_partition = calloc(nd, sizeof(*r->domain_partition));
    if (!r->cores || !r->domain_partition) abort();
    for (size_t d = 0; d < nd; d++) {
        const char *name = lr_route_domain_name(r->cfg->rules.route, (int32_t)d);
        r->domain_partition[d] = domain_partition_of(name, strlen(name), np);
    }
    logf_(r, "%zu routing domain(s) over %d repartition partition(s)", nd, np);
    return lead_domains_setup(r);
}

int lr_kafka_run(const lr_kafka_opts *opts, lr_kafka_stats *stats, lr_err *err) {
    runner r = {0};
    r.opts = opts;
    r.cfg = opts->cfg;
    r.kc = &opts->cfg->kafka;
    r.stats = stats;
    r.err = err;
    r.eos = r.kc->processing == LR_PROCESSING_EXACTLY_ONCE;
    r.window_started = LR_TIME_NONE;
    memset(stats, 0, sizeof(*stats));
    pthread_mutex_init(&r.acked_lock, NULL);
    pthread_cond_init(&r.acked, NULL);
    lr_out_init(&r.out);
    lr_outbox_init(&r.outbox);
    lr_arena_init(&r.decode_arena, 64 * 1024);
    lr_buf_init(&r.enc);
    lr_codec_ids ids = {(int32_t)r.kc->schema_ids.lead, (int32_t)r.kc->schema_ids.sales_activity,
                        (int32_t)r.kc->schema_ids.decision, (int32_t)r.kc->schema_ids.status,
                        (int32_t)r.kc->schema_ids.alert};
    int rc = 1;
    r.codec = lr_codec_new(&ids, (size_t)r.kc->max_message_bytes, err);
    if (!r.codec) goto out;
    r.partitioned = r.kc->topics.repartition != NULL;
    if (create_clients(&r)) goto out;
    r.worker = lr_worker_new();
    if (!r.worker) {
        fail(&r, "cannot start the commit thread");
        goto out;
    }
    if (r.eos && txn_retry(&r, "init_transactions", call_init, NULL)) {
        if (!r.fatal) fail(&r, "init_transactions failed");
        goto out;
    }
    if (output_topics_open(&r) < 0) goto out;
    if (r.partitioned) {
        /* each core is restored when its partition is assigned */
        if (partitioned_setup(&r) < 0) goto out;
    } else {
        /* the state first: no input is decided before it is back */
        r.n_cores = 1;
        r.cores = calloc(1, sizeof(*r.cores));
        if (!r.cores) abort();
        int loaded = cores_load(&r, NULL);
        if (loaded == -2) { /* stopped before anything was decided: a clean exit */
            rc = 0;
            goto out;
        }
        if (loaded < 0) goto out;
    }
    if (subscribe(&r)) goto out;
    logf_(&r, "running (%s), group %s, transactional id %s%s", r.eos ? "exactly once" : "at least once",
          r.kc->group_id, r.eos ? r.kc->transactional_id : "(none)",
          r.partitioned ? ", sharing the work by routing domain" : "");
    loop(&r);
    /* finish the batch in hand, then leave the group cleanly */
    window_commit(&r);
    if (r.txn_open && r.eos) txn_retry(&r, "abort_transaction", call_abort, NULL);
    rd_kafka_consumer_close(r.consumer);
    /* the single instance's KPIs (partitioned cores left with their partitions) */
    if (opts->kpi_json_out && !r.partitioned && r.cores[0])
        *opts->kpi_json_out = lr_kpijson_lifecycle(lr_core_lifecycle(r.cores[0]));
    if (!r.fatal) {
        rd_kafka_flush(r.producer, 10000);
        rc = 0;
    }
out:
    lr_worker_free(r.worker); /* waits for a commit still running */
    stats->outbox_bytes = lr_outbox_allocated(&r.outbox);
    if (r.job.offsets) rd_kafka_topic_partition_list_destroy(r.job.offsets);
    if (r.job.error) rd_kafka_error_destroy(r.job.error);
    lr_outbox_free(&r.outbox, drop_headers);
    if (r.consumer) rd_kafka_destroy(r.consumer);
    output_topics_close(&r);
    if (r.producer) rd_kafka_destroy(r.producer); /* its last reports use acked_lock */
    pthread_cond_destroy(&r.acked);
    pthread_mutex_destroy(&r.acked_lock);
    for (int i = 0; i < r.n_cores; i++) lr_core_free(r.cores[i]);
    free(r.cores);
    free(r.domain_partition);
    if (r.domains && !r.fatal)
        logf_(&r, "stage 1: %" PRIu64 " lead(s) re-sent within their duplicate window went to "
                  "their first domain as duplicates, %" PRIu64 " of them against attributes that "
                  "now point to another partition",
              stats->repeats, stats->repeats_kept);
    lr_domaintab_free(r.domains);
    free(r.domains_owned);
    for (int p = 0; r.domain_batch && p < r.n_lead_parts; p++) lr_buf_free(&r.domain_batch[p]);
    free(r.domain_batch);
    if (r.codec) lr_codec_free(r.codec);
    lr_buf_free(&r.enc);
    lr_arena_destroy(&r.decode_arena);
    lr_out_destroy(&r.out);
    return rc;
}
