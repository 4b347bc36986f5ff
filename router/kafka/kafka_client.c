/* kafka_client.c - the clients of a run and their librdkafka properties:
 * the producer (transactional in exactly_once; idempotent with its delivery
 * reports on librdkafka's background thread at least once), the group
 * consumer, the state readers that restore changelogs, and the output topic
 * handles. kafka.properties comes first and the caller's extra properties
 * after; the defaults set here give way when kafka.properties names the key.
 * Every client's error callback keeps the first error no retry can fix (a
 * wrong password or CA) for the main thread to stop with.
 * Everything here runs at start, on assignment or on producer renewal,
 * except the delivery reports. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_int.h"

/* ---- configuration ------------------------------------------------------- */

/* A secret in kafka.properties (sasl.password, ssl.key.password, ssl.key.pem,
 * sasl.oauthbearer.client.secret...) never reaches a message, even when its
 * key is misspelt ("sasl.pasword"): every sasl.* and ssl.* value is hidden. */
static bool is_secret(const char *key) {
    return strncmp(key, "sasl.", 5) == 0 || strncmp(key, "ssl.", 4) == 0 || strstr(key, "pass") ||
           strstr(key, "secret") || strstr(key, "jaas") || strstr(key, "token");
}

static int set_prop(rd_kafka_conf_t *conf, const char *k, const char *v, lr_err *err) {
    char errstr[256];
    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        /* librdkafka's "Invalid value ..." quotes the value; "No such
         * configuration property" does not */
        bool hide = is_secret(k), unknown = strstr(errstr, "No such") != NULL;
        lr_err_set(err, LR_ERR_FATAL, "kafka property %s=%s: %s", k, hide ? "(hidden)" : v,
                   hide && !unknown ? "invalid value" : errstr);
        return -1;
    }
    return 0;
}

/* librdkafka's own lines, from its threads, through the process's logger
 * (thread-safe, one write per line). Its levels are syslog's. */
static void on_rdkafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    lr_log_level l = level <= 3 ? LR_LOG_ERROR : level == 4 ? LR_LOG_WARN
                   : level <= 6 ? LR_LOG_INFO : LR_LOG_DEBUG;
    lr_log_kv(l, buf, LR_LOG_STR("source", "librdkafka"), LR_LOG_STR("facility", fac),
              LR_LOG_STR("client", rd_kafka_name(rk)));
}

static void drop_rdkafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk, (void)level, (void)fac, (void)buf;
}

/* Errors that no retry fixes: librdkafka reconnects forever after them, so
 * the router would wait silently. A handshake that fails on a disconnect is
 * reported as a transport error, not as SSL: a broker restart is not this. */
static const char *denied_advice(rd_kafka_resp_err_t err, const char *reason) {
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
        return "check sasl.mechanism, sasl.username and sasl.password in kafka.properties";
    if (err == RD_KAFKA_RESP_ERR__SSL && strstr(reason, "SSL handshake failed"))
        return "check ssl.ca.location in kafka.properties";
    return NULL;
}

/* Every client's errors, on the thread that serves them (the consumers' poll
 * on the main thread; at least once, the producer's background thread).
 * Those a retry may fix are logged as librdkafka would log them without a
 * callback; the first one no retry fixes is kept for the main thread to
 * stop with. */
static void note_error(runner *r, const rd_kafka_t *rk, rd_kafka_resp_err_t err,
                       const char *reason) {
    const char *advice = denied_advice(err, reason);
    if (!advice) {
        if (!r->opts->quiet)
            lr_log_kv(LR_LOG_WARN, reason, LR_LOG_STR("source", "librdkafka"),
                      LR_LOG_STR("error", rd_kafka_err2name(err)),
                      LR_LOG_STR("client", rd_kafka_name(rk)));
        return;
    }
    if (atomic_exchange(&r->denied.claimed, true)) return;
    snprintf(r->denied.why, sizeof(r->denied.why), "the broker refused the connection: %s (%s)",
             reason, advice);
    atomic_store(&r->denied.set, true);
}

/* The group consumer's callbacks are served by its poll, on the main thread:
 * its loss of every broker tells /readyz (kafka_metrics.c), and a fatal error
 * (static membership fenced) stops the run there. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    runner *r = opaque;
    note_error(r, rk, (rd_kafka_resp_err_t)err, reason);
    if (rk != r->clients.consumer) return;
    lr_kafka_metrics_error(r, (rd_kafka_resp_err_t)err);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[256];
        rd_kafka_fatal_error(rk, why, sizeof(why));
        lr_kafka_fail(r, "consumer fatal error: %s", why);
    }
}

bool lr_kafka_client_denied(runner *r) {
    if (!atomic_load(&r->denied.set)) return false;
    lr_kafka_fail(r, "%s", r->denied.why);
    return true;
}

static rd_kafka_conf_t *base_conf(runner *r) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, r->opts->quiet ? drop_rdkafka_log : on_rdkafka_log);
    for (size_t i = 0; i < r->kc->n_props; i++)
        if (set_prop(conf, r->kc->prop_keys[i], r->kc->prop_values[i], r->err)) goto fail;
    for (const char *const *p = r->opts->extra_props; p && p[0]; p += 2)
        if (set_prop(conf, p[0], p[1], r->err)) goto fail;
    /* Without it, replies stall ~40 ms whenever several requests are in flight. */
    if (set_prop(conf, "socket.nagle.disable", "true", r->err)) goto fail;
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, r);
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

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
static void delivered(lr_kafka_acks *a, const rd_kafka_message_t *m) {
    bool wake = m->_private && atomic_fetch_sub((atomic_llong *)m->_private, 1) == 1;
    if (m->err && !atomic_exchange(&a->claimed, true)) {
        snprintf(a->topic, sizeof(a->topic), "%s", rd_kafka_topic_name(m->rkt));
        atomic_store(&a->err, (int)m->err);
        wake = true;
    }
    if (wake) {
        pthread_mutex_lock(&a->lock);
        pthread_cond_broadcast(&a->cond);
        pthread_mutex_unlock(&a->lock);
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
        while ((m = rd_kafka_event_message_next(ev))) delivered(&r->acks, m);
    } else if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_ERROR) {
        /* what a poll would have logged (a fatal one also fails the next
         * produce, which stops the router) */
        note_error(r, rk, rd_kafka_event_error(ev), rd_kafka_event_error_string(ev));
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

int lr_kafka_client_producer_new(runner *r) {
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
    r->clients.producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof(errstr));
    if (!r->clients.producer) {
        lr_err_set(r->err, LR_ERR_FATAL, "cannot create producer: %s", errstr);
        return -1;
    }
    if (!r->eos) {
        /* delivery reports to the background thread: the producer is
         * never polled from then on (a poll would drop them) */
        rd_kafka_queue_t *mainq = rd_kafka_queue_get_main(r->clients.producer);
        rd_kafka_queue_t *bg = rd_kafka_queue_get_background(r->clients.producer);
        rd_kafka_queue_forward(mainq, bg);
        rd_kafka_queue_destroy(bg);
        rd_kafka_queue_destroy(mainq);
    }
    char v[32];
    size_t vn = sizeof(v);
    r->txn.timeout_ms = 0; /* unknown: fencing always stops the router */
    if (rd_kafka_conf_get(rd_kafka_conf(r->clients.producer), "transaction.timeout.ms", v, &vn) ==
        RD_KAFKA_CONF_OK)
        r->txn.timeout_ms = strtoll(v, NULL, 10);
    return 0;
pfail:
    rd_kafka_conf_destroy(pc);
    return -1;
}

int lr_kafka_client_new(runner *r) {
    char errstr[512];
    if (lr_kafka_client_producer_new(r) < 0) return -1;
    rd_kafka_conf_t *cc = base_conf(r);
    if (!cc) return -1;
    if (set_prop(cc, "group.id", r->kc->group_id, r->err) ||
        set_prop(cc, "enable.auto.commit", "false", r->err) ||
        set_prop(cc, "enable.auto.offset.store", "false", r->err) ||
        set_prop(cc, "auto.offset.reset", "earliest", r->err) ||
        set_prop(cc, "isolation.level", "read_committed", r->err) ||
        consumer_defaults(r, cc) || lr_kafka_metrics_conf(r, cc)) {
        rd_kafka_conf_destroy(cc);
        return -1;
    }
    rd_kafka_conf_set_rebalance_cb(cc, lr_kafka_on_rebalance);
    rd_kafka_conf_set_opaque(cc, r);
    r->clients.consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr, sizeof(errstr));
    if (!r->clients.consumer) {
        lr_err_set(r->err, LR_ERR_FATAL, "cannot create consumer: %s", errstr);
        return -1;
    }
    rd_kafka_poll_set_consumer(r->clients.consumer);
    return 0;
}

/* Partitions of `topic` per the broker's metadata; 0 with *why set when the
 * metadata cannot be read or the topic does not exist. */
int lr_kafka_client_partitions_of(rd_kafka_t *rk, const char *topic, int timeout_ms,
                                         rd_kafka_resp_err_t *why) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int n = 0;
    *why = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) : rd_kafka_last_error();
    if (!*why) {
        if (md->topic_cnt != 1) *why = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        else if (md->topics[0].err) *why = md->topics[0].err;
        else if ((n = md->topics[0].partition_cnt) < 1)
            *why = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    }
    if (md) rd_kafka_metadata_destroy(md);
    if (rkt) rd_kafka_topic_destroy(rkt);
    return *why ? 0 : n;
}

/* Partitions of a topic the router needs and does not create, or -1 (with
 * the reason set) when it is missing: a changelog auto-created without
 * compaction would grow forever, and the repartition topic's partition count
 * is part of the state's layout. */
int lr_kafka_client_topic_partitions(runner *r, rd_kafka_t *rk, const char *topic, const char *key,
                                            const char *how) {
    rd_kafka_resp_err_t why;
    int n = 0;
    /* A router started while the broker restarts waits for it (up to 5
     * minutes, as for a broker outage while running) instead of taking the
     * timeout for a missing topic, which the soak saw happen. */
    for (int waited_s = 0; waited_s < 300; waited_s += 30) {
        n = lr_kafka_client_partitions_of(rk, topic, 30000, &why);
        if (n > 0) return n;
        if (why != RD_KAFKA_RESP_ERR__TIMED_OUT && why != RD_KAFKA_RESP_ERR__TRANSPORT &&
            why != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
            break;
        if (lr_kafka_client_denied(r) || (r->opts->stop && *r->opts->stop)) return -1;
        lr_kafka_warn(r, "topic %s: no answer from the broker yet (%s); waiting", topic,
                      rd_kafka_err2str(why));
    }
    if (lr_kafka_client_denied(r)) return -1;
    if (why == RD_KAFKA_RESP_ERR__TIMED_OUT || why == RD_KAFKA_RESP_ERR__TRANSPORT ||
        why == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        lr_kafka_fail(r, "cannot read the metadata of %s topic %s (%s): the broker did not "
                         "answer for 5 minutes (%s)",
                      key + strlen("kafka.topics."), topic, key, rd_kafka_err2str(why));
    else
        lr_kafka_fail(r, "%s topic %s (%s) does not exist: create it with %s before starting "
                         "the router (%s)",
                      key + strlen("kafka.topics."), topic, key, how, rd_kafka_err2str(why));
    return -1;
}


/* A consumer that never joins its group (partitions are assigned explicitly
 * and nothing is committed; librdkafka still wants a group id). */
rd_kafka_t *lr_kafka_client_reader_new(runner *r, const char *isolation) {
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
        lr_kafka_fail(r, "cannot create the state reader: %s", errstr);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

/* A handle per output topic, and its metadata: the producer learns where a
 * topic's partitions are when it first produces to it, and the window that
 * holds that first record waits for the answer (0.1 to 0.8 s measured, which
 * an alerts partition would otherwise pay with the first alert, hours into a
 * run). Asking at start pays it before any input is decided. Topics that do
 * not exist are left to the first produce to report. */
void lr_kafka_client_topics_close(lr_kafka_handles *t) {
    for (int i = 0; i < OUT__COUNT; i++) {
        if (t->out[i]) rd_kafka_topic_destroy(t->out[i]);
        t->out[i] = NULL;
    }
}

int lr_kafka_client_topics_open(runner *r) {
    const lr_kafka_topics *t = &r->kc->topics;
    const char *names[OUT__COUNT] = {t->assignments, t->nurture, t->status,
                                     t->alerts,      t->dead_letter, t->state,
                                     t->repartition, t->lead_domains};
    for (int i = 0; i < OUT__COUNT; i++) {
        if (lr_kafka_client_denied(r)) return -1;
        if (!names[i]) continue;
        r->topics.out[i] = rd_kafka_topic_new(r->clients.producer, names[i], NULL);
        if (!r->topics.out[i]) {
            lr_kafka_fail(r, "topic %s: %s", names[i], rd_kafka_err2str(rd_kafka_last_error()));
            return -1;
        }
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(r->clients.producer, 0, r->topics.out[i], &md, 10000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR)
            rd_kafka_metadata_destroy(md);
    }
    return 0;
}
