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
 * thread.
 *
 * This file holds the main loop, the rebalance callback and the reading of
 * each message (which input it is, decode, decide). The rest is cut by
 * concern, with the run's state in named parts (kafka_int.h): the clients in
 * kafka_client.c, transactions and commit windows in kafka_txn.c, producing
 * in kafka_produce.c, the restore from the changelog in kafka_restore.c,
 * shared mode's stage 1 in kafka_stage1.c and reloads in kafka_reload.c.
 *
 * The loop also tells systemd how it stands (router/notify/): restoring,
 * then READY=1 before the first poll, WATCHDOG=1 from the loop itself (at
 * most once per half period, from the clock read the turn already made), and
 * STOPPING=1 when it leaves. */
#include "kafka.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_int.h"
#include "kpijson.h"
#include "notify.h"

lr_time_ms lr_wall_clock_ms(void *unused) {
    (void)unused;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (lr_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

lr_time_ms lr_kafka_now(const runner *r) {
    return r->opts->clock ? r->opts->clock(r->opts->clock_ctx) : lr_wall_clock_ms(NULL);
}

void lr_kafka_log(const runner *r, const char *fmt, ...) {
    if (r->opts->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    lr_log_v(LR_LOG_INFO, NULL, 0, fmt, ap);
    va_end(ap);
}

void lr_kafka_warn(const runner *r, const char *fmt, ...) {
    if (r->opts->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    lr_log_v(LR_LOG_WARN, NULL, 0, fmt, ap);
    va_end(ap);
}

void lr_kafka_fail(runner *r, const char *fmt, ...) {
    if (r->fatal) return; /* keep the first reason */
    r->fatal = true;
    va_list ap;
    va_start(ap, fmt);
    char msg[480];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lr_err_set(r->err, LR_ERR_FATAL, "%s", msg);
}

/* ---- rebalances ------------------------------------------------------------- */

static bool is_repartition(runner *r, const rd_kafka_topic_partition_t *tp) {
    return r->partitioned && strcmp(tp->topic, r->kc->topics.repartition) == 0 &&
           tp->partition >= 0 && tp->partition < r->state.n_cores;
}

/* A single instance keeps every team's state: a second member of its group
 * would count its own copy of every rep's load. That is a deployment error
 * the router cannot fix, so it says so on every assignment that shows it. */
static void warn_if_not_alone(runner *r, rd_kafka_t *rk,
                              const rd_kafka_topic_partition_list_t *parts) {
    rd_kafka_resp_err_t why;
    int total = lr_kafka_client_partitions_of(rk, r->kc->topics.leads, 5000, &why) +
                lr_kafka_client_partitions_of(rk, r->kc->topics.sales_activity, 5000, &why);
    if (total > 0 && parts->cnt < total)
        lr_kafka_warn(r, "WARNING: group %s has another member (this instance got %d of %d input "
                        "partitions), but kafka.topics.repartition is not set: each instance keeps "
                        "its own rep loads and round robins, so caps and shares will be wrong; "
                        "see docs/operations.md, \"Several instances\"",
                     r->kc->group_id, parts->cnt, total);
}

/* Partitioned: a repartition partition brings its decision state with it. The
 * restore happens here, before the partition is handed to the consumer, so
 * no lead of it is decided before its state is back. */
static void assign_partitions(runner *r, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts) {
    if (r->partitioned) {
        bool *wanted = calloc((size_t)r->state.n_cores, sizeof(bool));
        if (!wanted) abort();
        int owned = 0;
        for (int i = 0; i < parts->cnt; i++)
            if (is_repartition(r, &parts->elems[i])) {
                wanted[parts->elems[i].partition] = true;
                owned++;
            }
        int rc = owned ? lr_kafka_restore_cores(r, wanted) : 0;
        free(wanted);
        if (rc == 0) rc = lr_kafka_stage1_assign(r, parts);
        if (rc < 0) {
            /* stopping (or failed): take nothing, so nothing is decided */
            rd_kafka_assign(rk, NULL);
            return;
        }
        lr_kafka_log(r, "deciding %d repartition partition(s)", owned);
    } else {
        warn_if_not_alone(r, rk, parts);
    }
    rd_kafka_assign(rk, parts);
}

void lr_kafka_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                                  rd_kafka_topic_partition_list_t *parts, void *opaque) {
    runner *r = opaque;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        lr_kafka_log(r, "assigned %d partition(s)", parts->cnt);
        assign_partitions(r, rk, parts);
        if (r->opts->metrics) lr_metrics_set_assigned(r->opts->metrics, parts->cnt > 0);
        lr_kafka_metrics_partitions(r, parts);
    } else {
        /* Commit what was decided from these partitions before they go, so
         * the next owner starts exactly after it, with the state it made. */
        lr_kafka_log(r, "revoking %d partition(s)%s", parts->cnt,
                     rd_kafka_assignment_lost(rk) ? " (lost: the group moved on without us)" : "");
        lr_kafka_txn_commit_window(r);
        for (int i = 0; i < parts->cnt; i++) {
            const rd_kafka_topic_partition_t *tp = &parts->elems[i];
            if (is_repartition(r, tp)) lr_kafka_restore_drop(&r->state, tp->partition);
            if (lr_kafka_stage1_is_leads(r, tp)) lr_kafka_stage1_revoke(&r->s1, tp->partition);
        }
        rd_kafka_assign(rk, NULL);
        if (r->opts->metrics) lr_metrics_set_assigned(r->opts->metrics, false);
        lr_kafka_metrics_partitions(r, NULL);
    }
}

/* ---- consuming -------------------------------------------------------------- */

/* Decodes into r->io.lead or r->io.sales; dead-letters what does not decode. */
static bool decode(runner *r, const rd_kafka_message_t *m, msg_kind kind) {
    const char *reason = NULL;
    lr_arena_reset(&r->io.arena);
    lr_codec_status st =
        kind == MSG_LEAD
            ? lr_codec_decode_lead(r->io.codec, m->payload, m->len, &r->io.lead, &r->io.arena,
                                   &reason)
            : lr_codec_decode_sales(r->io.codec, m->payload, m->len, &r->io.sales, &r->io.arena,
                                    &reason);
    if (st == LR_CODEC_OK) return true;
    lr_kafka_produce_dead_letter(r, m, lr_codec_status_name(st), reason ? reason : "undecodable");
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
    int k = lr_codec_kind_of(r->io.codec, m->payload, m->payload ? m->len : 0);
    return k == LR_SCHEMA_SALES_ACTIVITY ? MSG_SALES : MSG_LEAD;
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
    lr_core *core = r->state.cores[r->partitioned ? m->partition : 0];
    if (!core) {
        /* a message of a partition whose state is not here: never expected,
         * since the core is restored before the partition is assigned */
        lr_kafka_fail(r, "no decision state for %s [%d]", rd_kafka_topic_name(m->rkt),
                      (int)m->partition);
        return;
    }
    if (kind == MSG_LEAD && r->partitioned && is_repeat(m))
        lr_core_on_repeated_lead(core, &r->io.lead, now, &r->io.out);
    else if (kind == MSG_LEAD && !lr_core_on_lead(core, &r->io.lead, now, &r->io.out)) {
        /* the lead table is full and every record is held (core.h): the
         * lead goes to the dead-letter topic, and the log says so once */
        if (lr_core_stats_get(core)->shed == 1)
            lr_kafka_warn(r, "lead table full (qualification.max_leads): new leads are "
                          "dead-lettered as over_capacity until records close");
        lr_kafka_produce_dead_letter(r, m, "over_capacity",
                                     "the lead table is full (qualification.max_leads)");
    }
    else
        lr_core_on_sales(core, &r->io.sales, now, &r->io.out);
}

/* Which input a topic handle is: names are compared once per topic. */
static msg_kind topic_kind(runner *r, const rd_kafka_topic_t *rkt, bool *stage2) {
    for (int i = 0; i < r->topics.n_seen; i++)
        if (r->topics.seen[i].rkt == rkt) {
            *stage2 = r->topics.seen[i].stage2;
            return (msg_kind)r->topics.seen[i].kind;
        }
    const char *topic = rd_kafka_topic_name(rkt);
    *stage2 = r->partitioned && strcmp(topic, r->kc->topics.repartition) == 0;
    msg_kind kind = *stage2 ? MSG_OTHER : input_kind(r, topic);
    if (r->topics.n_seen < (int)(sizeof(r->topics.seen) / sizeof(r->topics.seen[0]))) {
        r->topics.seen[r->topics.n_seen].rkt = rkt;
        r->topics.seen[r->topics.n_seen].kind = kind;
        r->topics.seen[r->topics.n_seen++].stage2 = *stage2;
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
        lr_kafka_produce_dead_letter(r, m, "malformed", "empty value (tombstone)");
    } else if (kind == MSG_OTHER) {
        lr_kafka_produce_dead_letter(r, m, "unexpected_topic",
                                     "message from a topic the router does not read");
    } else if (decode(r, m, kind)) {
        if (r->partitioned && !stage2) lr_kafka_stage1_forward(r, m, kind, now);
        else decide(r, m, kind, now);
    }
    lr_kafka_produce_events(r);
    /* the consumer's position now covers this message: the next commit
     * records it (no per-message offset store, no allocation) */
    r->win.have_progress = true;
    r->win.messages++;
}

static int subscribe(runner *r) {
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(3);
    rd_kafka_topic_partition_list_add(topics, r->kc->topics.leads, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics, r->kc->topics.sales_activity,
                                      RD_KAFKA_PARTITION_UA);
    if (r->partitioned)
        rd_kafka_topic_partition_list_add(topics, r->kc->topics.repartition,
                                          RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(r->clients.consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        lr_err_set(r->err, LR_ERR_FATAL, "subscribe: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

static int poll_timeout_ms(runner *r, lr_time_ms now) {
    int64_t t = 100;
    for (int i = 0; i < r->state.n_cores; i++) {
        if (!r->state.cores[i]) continue;
        lr_time_ms due = lr_core_next_due(r->state.cores[i]);
        if (due != LR_TIME_NONE && due - now < t) t = due - now;
    }
    if (r->win.started != LR_TIME_NONE && !r->win.committing) {
        int64_t left = r->win.started + r->kc->commit_interval_ms - now;
        if (left < t) t = left;
    }
    /* a commit on the worker: look again soon, its outbox may be waiting
     * (and the open window, which waits for it, must not make this a busy
     * loop) */
    if (r->win.committing && t > 1) t = 1;
    return t < 0 ? 0 : (int)t;
}

/* Whether the open window should close now. While the previous window's
 * commit still runs, the open one goes on growing instead (it could not
 * commit before that one anyway), up to
 * twice commit_max_messages: waiting would idle the main thread for the
 * rest of that commit. */
static bool window_due(runner *r, lr_time_ms now) {
    if (r->win.started == LR_TIME_NONE) return false;
    int64_t max = r->kc->commit_max_messages;
    if (r->win.committing) return r->win.messages >= 2 * max;
    return now - r->win.started >= r->kc->commit_interval_ms || r->win.messages >= max;
}

static void loop(runner *r) {
    volatile sig_atomic_t *stop = r->opts->stop;
    /* one clock read per turn: the poll timeout, the decision, the window
     * and the SLA advance all use it (it is refreshed after a commit, which
     * can take tens of milliseconds) */
    lr_time_ms now = lr_kafka_now(r);
    while (!(stop && *stop) && !r->fatal) {
        int timeout_ms = poll_timeout_ms(r, now);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->clients.consumer, timeout_ms);
        if (lr_kafka_client_denied(r)) { /* a wrong password or CA: the reason is kept */
            if (m) rd_kafka_message_destroy(m);
            break;
        }
        now = lr_kafka_now(r);
        lr_kafka_roster_follow(r, now); /* between two messages, every 100 ms at most */
        if (!m) { /* it waited out its timeout: counted without a clock read */
            r->stats->empty_polls++;
            r->stats->empty_poll_ms_total += (uint64_t)timeout_ms;
        }
        if (m) {
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    lr_kafka_warn(r, "consumer: %s", rd_kafka_message_errstr(m));
                if (m->err == RD_KAFKA_RESP_ERR__FATAL) lr_kafka_fail(r, "consumer fatal error");
                lr_kafka_metrics_error(r, m->err);
            } else {
                if (r->opts->metrics && lr_metrics_brokers_down(r->opts->metrics))
                    lr_metrics_set_brokers_down(r->opts->metrics, false);
                if (r->win.started == LR_TIME_NONE) r->win.started = now;
                handle_message(r, m, now);
            }
            rd_kafka_message_destroy(m);
        }
        /* SLA clocks fire on the clock, not on traffic */
        for (int i = 0; i < r->state.n_cores; i++)
            if (r->state.cores[i]) lr_core_advance(r->state.cores[i], now, &r->io.out);
        if (r->io.out.n) {
            if (r->win.started == LR_TIME_NONE) r->win.started = now;
            lr_kafka_produce_events(r);
        }
        if (r->eos) rd_kafka_poll(r->clients.producer, 0);
        lr_kafka_txn_finish_commit(r, false);
        if (window_due(r, now)) {
            lr_kafka_txn_finish_commit(r, true); /* one commit at a time */
            lr_kafka_txn_close_window(r);
            now = lr_kafka_now(r);
        }
        /* between two windows: kafka_reload.c commits the open one first */
        if (lr_kafka_reload_pending() && !r->fatal && !(stop && *stop)) {
            lr_kafka_reload_run(r);
            now = lr_kafka_now(r);
        }
        lr_notify_watchdog(now);
        lr_kafka_metrics_tick(r, now);
    }
}

/* ---- the run -------------------------------------------------------------- */

/* The parts that need no broker; the run's counters start at zero. */
static void runner_init(runner *r, const lr_kafka_opts *opts, lr_kafka_stats *stats,
                        lr_err *err) {
    r->opts = opts;
    r->cfg = opts->cfg;
    r->kc = &opts->cfg->kafka;
    r->stats = stats;
    r->err = err;
    r->eos = r->kc->processing == LR_PROCESSING_EXACTLY_ONCE;
    r->partitioned = r->kc->topics.repartition != NULL;
    r->win.started = LR_TIME_NONE;
    memset(stats, 0, sizeof(*stats));
    pthread_mutex_init(&r->acks.lock, NULL);
    pthread_cond_init(&r->acks.cond, NULL);
    lr_out_init(&r->io.out);
    lr_outbox_init(&r->win.outbox);
    lr_arena_init(&r->io.arena, 64 * 1024);
    lr_buf_init(&r->io.enc);
}

/* Everything before the first poll: clients, transactions, topic handles,
 * and the state (single instance) or stage 1's layout (shared mode).
 * Returns 0; 1 after a failure (reason in r->err); -2 when stopped during
 * the restore, before anything was decided (a clean exit). */
static int runner_start(runner *r) {
    const lr_kafka_config *kc = r->kc;
    lr_codec_ids ids = {(int32_t)kc->schema_ids.lead, (int32_t)kc->schema_ids.sales_activity,
                        (int32_t)kc->schema_ids.decision, (int32_t)kc->schema_ids.status,
                        (int32_t)kc->schema_ids.alert};
    r->io.codec = lr_codec_new(&ids, (size_t)kc->max_message_bytes, r->err);
    if (!r->io.codec) return 1;
    if (lr_kafka_client_new(r)) return 1;
    r->win.worker = lr_worker_new();
    if (!r->win.worker) {
        lr_kafka_fail(r, "cannot start the commit thread");
        return 1;
    }
    if (r->eos && lr_kafka_txn_init(r)) {
        if (!r->fatal) lr_kafka_fail(r, "init_transactions failed");
        return 1;
    }
    if (lr_kafka_client_topics_open(r) < 0) return 1;
    /* reps and owners before the state: its records name them */
    int roster = lr_kafka_roster_start(r);
    if (roster == -2) return -2;
    if (roster < 0) return 1;
    if (r->partitioned) {
        /* each core is restored when its partition is assigned */
        if (lr_kafka_stage1_setup(r) < 0) return 1;
    } else {
        /* the state first: no input is decided before it is back */
        lr_notify_status("restoring");
        r->state.n_cores = 1;
        r->state.cores = calloc(1, sizeof(*r->state.cores));
        if (!r->state.cores) abort();
        int loaded = lr_kafka_restore_cores(r, NULL);
        if (loaded == -2) return -2;
        if (loaded < 0) return 1;
    }
    return subscribe(r) ? 1 : 0;
}

static void runner_destroy(runner *r) {
    lr_worker_free(r->win.worker); /* waits for a commit still running */
    r->stats->outbox_bytes = lr_outbox_allocated(&r->win.outbox);
    if (r->win.job.offsets) rd_kafka_topic_partition_list_destroy(r->win.job.offsets);
    if (r->win.job.error) rd_kafka_error_destroy(r->win.job.error);
    lr_outbox_free(&r->win.outbox, lr_kafka_txn_drop_headers);
    if (r->clients.consumer) rd_kafka_destroy(r->clients.consumer);
    lr_kafka_client_topics_close(&r->topics);
    /* its last reports use acks.lock */
    if (r->clients.producer) rd_kafka_destroy(r->clients.producer);
    pthread_cond_destroy(&r->acks.cond);
    pthread_mutex_destroy(&r->acks.lock);
    for (int i = 0; i < r->state.n_cores; i++) lr_core_free(r->state.cores[i]);
    free(r->state.cores);
    lr_config_free(r->reloaded); /* after the cores: they borrow its rulebook */
    if (r->s1.domains && !r->fatal)
        lr_kafka_log(r, "stage 1: %" PRIu64 " lead(s) re-sent within their duplicate window "
                        "went to their first domain as duplicates, %" PRIu64 " of them against "
                        "attributes that now point to another partition",
                     r->stats->repeats, r->stats->repeats_kept);
    lr_kafka_stage1_destroy(&r->s1);
    lr_kafka_roster_destroy(&r->roster);
    if (r->io.codec) lr_codec_free(r->io.codec);
    lr_buf_free(&r->io.enc);
    lr_arena_destroy(&r->io.arena);
    lr_out_destroy(&r->io.out);
}

int lr_kafka_run(const lr_kafka_opts *opts, lr_kafka_stats *stats, lr_err *err) {
    runner r = {0};
    runner_init(&r, opts, stats, err);
    lr_notify_init();
    int rc = runner_start(&r);
    if (rc == -2) rc = 0;
    else if (rc == 0) {
        rc = 1;
        lr_kafka_log(&r, "running (%s), group %s, transactional id %s%s",
                     r.eos ? "exactly once" : "at least once", r.kc->group_id,
                     r.eos ? r.kc->transactional_id : "(none)",
                     r.partitioned ? ", sharing the work by routing domain" : "");
        lr_notify_ready("routing");
        loop(&r);
        lr_notify_stopping("stopping");
        /* finish the batch in hand, then leave the group cleanly */
        lr_kafka_txn_commit_window(&r);
        if (r.txn.open && r.eos) lr_kafka_txn_abort_open(&r);
        lr_kafka_metrics_final(&r); /* the last figures, for a summary read after the run */
        rd_kafka_consumer_close(r.clients.consumer);
        /* the single instance's KPIs (partitioned cores left with their partitions) */
        if (opts->kpi_json_out && !r.partitioned && r.state.cores[0])
            *opts->kpi_json_out = lr_kpijson_lifecycle(lr_core_lifecycle(r.state.cores[0]));
        if (!r.fatal) {
            rd_kafka_flush(r.clients.producer, 10000);
            rc = 0;
        }
    }
    runner_destroy(&r);
    return rc;
}
