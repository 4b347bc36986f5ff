/* kafka_txn.c - transactions and commit windows: what a window's commit
 * is in each mode (exactly_once: send_offsets_to_transaction and
 * commit_transaction; at least once: the wait for the window's deliveries,
 * then the offset commit), the pipelined commit on the worker thread, the
 * reaction to librdkafka's error classes (retriable: again; abortable: abort,
 * rebuild the state, rewind the input; fatal: stop, or renew the producer
 * after a broker outage longer than transaction.timeout.ms or a hard broker
 * restart), and the changelog records each window writes. The top of kafka.c
 * tells the story. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_int.h"

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
 * A hard broker restart (SIGKILL) does the same through the idempotent
 * layer: a produce request in flight when the connection dropped is "possibly
 * persisted", 2.0.2 then expects the next sequence past it, and when the
 * broker never wrote it the retry is refused with OUT_OF_ORDER_SEQUENCE_NUMBER
 * and taken for a fatal "sequence desynchronization" (or "rewound sequence
 * number"; fixed in librdkafka 2.3.0, issue 4438). UNKNOWN_PRODUCER_ID and
 * __INCONSISTENT come from the same bookkeeping. In every one of these cases
 * the open transaction never commits (the new producer's init_transactions
 * aborts it), and the state and the offsets are read back from what did
 * commit, so renewing loses and repeats nothing.
 *
 * Fencing is taken for that only when the transaction it hit had been open
 * longer than transaction.timeout.ms. A second instance started with the same
 * transactional id fences a transaction that is younger: that one, and every
 * other fatal error (authorization, configuration), still stops the router. */
#define MAX_RENEWALS 5

static bool fenced_by_its_timeout(const runner *r, rd_kafka_resp_err_t fatal) {
    if (fatal != RD_KAFKA_RESP_ERR__FENCED && fatal != RD_KAFKA_RESP_ERR_PRODUCER_FENCED &&
        fatal != RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH)
        return false;
    return r->txn.open && r->txn.timeout_ms > 0 &&
           (int64_t)(lr_kafka_mono_us() - r->txn.began_us) / 1000 > r->txn.timeout_ms;
}

bool lr_kafka_txn_renewable(const runner *r) {
    if (!r->eos || r->txn.renewals >= MAX_RENEWALS) return false;
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(r->clients.producer, NULL, 0);
    switch (fatal) {
    case RD_KAFKA_RESP_ERR_INVALID_TXN_STATE:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
    case RD_KAFKA_RESP_ERR__INCONSISTENT: return true;
    default: return fenced_by_its_timeout(r, fatal);
    }
}

/* Calls until it succeeds or fails other than retriably. Any thread. */
static rd_kafka_error_t *txn_call_retrying(runner *r, const char *what, txn_call call,
                                           void *arg) {
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *e = call(r, arg);
        if (!e || !rd_kafka_error_is_retriable(e) || attempt >= 50) return e;
        if (atomic_load(&r->denied.set)) return e; /* no retry fixes that */
        lr_kafka_warn(r, "%s: %s (retrying)", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
}

/* What a transactional call's error means (taking it): 0 none, 1 the
 * transaction must be aborted, -1 fatal. Main thread only. */
static int txn_outcome(runner *r, const char *what, rd_kafka_error_t *e) {
    if (!e) return 0;
    if (rd_kafka_error_txn_requires_abort(e)) {
        lr_kafka_warn(r, "%s: %s (aborting the transaction)", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return 1;
    }
    if (lr_kafka_txn_renewable(r)) {
        long long open_ms =
            r->txn.open ? (long long)((lr_kafka_mono_us() - r->txn.began_us) / 1000) : 0LL;
        lr_kafka_warn(r, "%s: %s (the transaction was open for %lld ms; the producer is renewed)",
                     what, rd_kafka_error_string(e), open_ms);
        rd_kafka_error_destroy(e);
        r->txn.renew_producer = true;
        return 1;
    }
    lr_kafka_fail(r, "%s: %s (fatal)", what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return -1;
}

static int txn_retry(runner *r, const char *what, txn_call call, void *arg) {
    return txn_outcome(r, what, txn_call_retrying(r, what, call, arg));
}

/* In steps of 2 s, polling in between: with a wrong password or CA the
 * producer never connects, and only a poll lets the error callback see why
 * (lr_kafka_client_denied). 15 steps make the 30 s of one attempt. */
static rd_kafka_error_t *call_init(runner *r, void *arg) {
    (void)arg;
    for (int step = 1;; step++) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(r->clients.producer, 2000);
        if (!e || !rd_kafka_error_is_retriable(e) || step == 15) return e;
        rd_kafka_poll(r->clients.producer, 0);
        if (lr_kafka_client_denied(r)) return e;
        rd_kafka_error_destroy(e);
    }
}
static rd_kafka_error_t *call_begin(runner *r, void *arg) {
    return rd_kafka_begin_transaction(r->clients.producer);
}
static rd_kafka_error_t *call_commit(runner *r, void *arg) {
    return rd_kafka_commit_transaction(r->clients.producer, 30000);
}
static rd_kafka_error_t *call_abort(runner *r, void *arg) {
    return rd_kafka_abort_transaction(r->clients.producer, 30000);
}
static rd_kafka_error_t *call_send_offsets(runner *r, void *arg) {
    rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata(r->clients.consumer);
    rd_kafka_error_t *e = rd_kafka_send_offsets_to_transaction(
        r->clients.producer, (rd_kafka_topic_partition_list_t *)arg, md, 30000);
    rd_kafka_consumer_group_metadata_destroy(md);
    return e;
}

/* At start and on a renewed producer: fences the previous producer with the
 * same transactional id and aborts what it left open. */
int lr_kafka_txn_init(runner *r) {
    return txn_retry(r, "init_transactions", call_init, NULL);
}

/* At shutdown: a transaction still open after the last commit holds nothing
 * that may be committed. */
void lr_kafka_txn_abort_open(runner *r) {
    txn_retry(r, "abort_transaction", call_abort, NULL);
}

void lr_kafka_txn_begin(runner *r) {
    /* while one commits, the next window's records wait in the outbox */
    if (!r->eos || r->txn.open || r->fatal || r->win.committing) return;
    if (txn_retry(r, "begin_transaction", call_begin, NULL) == 0) {
        r->txn.open = true;
        r->txn.began_us = lr_kafka_mono_us();
    }
}

/* Offsets to commit: the position (next offset to read) of every assigned
 * partition that has one. */
static rd_kafka_topic_partition_list_t *positions(rd_kafka_t *consumer) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts)
        return NULL;
    rd_kafka_position(consumer, parts);
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
    if (rd_kafka_assignment(r->clients.consumer, &parts) || !parts) return;
    if (parts->cnt == 0) {
        /* Nothing assigned: after a hard broker restart the group may have
         * forgotten the member ("Unknown member") and revoked everything.
         * The next assignment starts at the committed offsets by itself;
         * seeking an empty list is an error ("partitions must be
         * specified") that stopped the router in test_broker_restart. */
        rd_kafka_topic_partition_list_destroy(parts);
        return;
    }
    if (rd_kafka_committed(r->clients.consumer, parts, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].offset < 0) parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_error_t *e = rd_kafka_seek_partitions(r->clients.consumer, parts, 30000);
        if (e) {
            lr_kafka_fail(r, "seek after abort: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        lr_kafka_fail(r, "cannot read committed offsets after an abort");
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/* ---- the commit window ---------------------------------------------------- */

/* Writes what the window changed to the state topic, inside its transaction. */
static void state_sink(void *ctx, const char *key, size_t klen, const void *val, size_t vlen) {
    runner *r = ctx;
    if (r->fatal) return;
    lr_kafka_txn_begin(r);
    lr_kafka_produce(r, OUT_STATE, r->state.sink_partition, key, klen, val, vlen, NULL);
    r->state.records++;
}

static void window_reset(lr_kafka_window *w) {
    w->have_progress = false;
    w->messages = 0;
    w->started = LR_TIME_NONE;
}

/* A new producer with the same transactional id: init_transactions fences the
 * old one's epoch and aborts what it left open. */
static int producer_renew(runner *r) {
    r->txn.renewals++;
    r->stats->producer_renewals++;
    lr_kafka_client_topics_close(&r->topics);
    rd_kafka_destroy(r->clients.producer); /* what it still held is aborted anyway */
    r->clients.producer = NULL;
    r->txn.renew_producer = false;
    if (lr_kafka_client_producer_new(r) < 0) {
        r->fatal = true; /* the reason is in r->err */
        return -1;
    }
    if (lr_kafka_txn_init(r) != 0) {
        if (!r->fatal) lr_kafka_fail(r, "init_transactions failed on the renewed producer");
        return -1;
    }
    if (lr_kafka_client_topics_open(r) < 0) return -1;
    lr_kafka_warn(r, "producer renewed (%d in a row)", r->txn.renewals);
    return 0;
}

/* An aborted window: its output is gone, so the state that made it must go
 * too. The core is rebuilt from the changelog (which holds exactly what
 * committed) and the consumer goes back to the committed offsets, so the same
 * input is decided again from the same state. */
static void txn_abort(runner *r) {
    r->stats->aborts++;
    if (!r->txn.renew_producer && txn_retry(r, "abort_transaction", call_abort, NULL) < 0) return;
    if (r->txn.renew_producer && producer_renew(r) < 0) return;
    r->txn.open = false;
    r->txn.failed = false;
    lr_out_reset(&r->io.out);
    if (r->opts->webhooks) lr_webhook_discard(r->opts->webhooks); /* the redo fires them again */
    lr_kafka_stage1_drop_batches(&r->s1); /* the table is read back below, without them */
    window_reset(&r->win);
    bool *owned = calloc((size_t)r->state.n_cores, sizeof(bool));
    if (!owned) abort();
    for (int i = 0; i < r->state.n_cores; i++) owned[i] = r->state.cores[i] != NULL;
    int rc = lr_kafka_restore_cores(r, owned);
    free(owned);
    /* stage 1's entries of the aborted window are gone from the changelog too */
    if (rc == 0 && r->s1.domains) rc = lr_kafka_stage1_restore(r, r->s1.owned);
    if (rc == -2) {
        /* Asked to stop before the state was back: nothing may commit now
         * (the offsets would pass input whose state is gone). The next
         * start redoes it from the committed offsets. */
        r->txn.abandoned = true;
        lr_kafka_log(r, "stopped while rebuilding the state after an aborted transaction: nothing "
                        "more is committed; the next start redoes the input since the last commit");
        return;
    }
    if (rc < 0) return;
    rewind_to_committed(r);
    lr_kafka_warn(r, "transaction aborted: state rebuilt, input rewound to the committed offsets");
}

/* Hands every core's changes to state_sink, each to its own state partition,
 * and stage 1's new table entries to their changelog. */
static void drain_changes(runner *r) {
    lr_kafka_stage1_flush(r);
    for (int i = 0; i < r->state.n_cores && !r->fatal; i++) {
        if (!r->state.cores[i]) continue;
        r->state.sink_partition = r->partitioned ? i : RD_KAFKA_PARTITION_UA;
        lr_core_changes(r->state.cores[i], state_sink, r);
    }
}

static void count_commit(lr_kafka_stats *s, const commit_job *j) {
    uint64_t us = j->done_us - j->t0;
    s->commits++;
    s->commit_us_total += us;
    s->offsets_us_total += j->offsets_us;
    if (us > s->commit_us_max) s->commit_us_max = us;
}

void lr_kafka_txn_drop_headers(void *h) { rd_kafka_headers_destroy(h); }

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
            uint64_t t1 = lr_kafka_mono_us();
            j->what = "send_offsets_to_transaction";
            j->error = txn_call_retrying(r, j->what, call_send_offsets, j->offsets);
            j->offsets_us = lr_kafka_mono_us() - t1;
        }
        if (!j->error) {
            j->what = "commit_transaction";
            j->error = txn_call_retrying(r, j->what, call_commit, NULL);
        }
    } else {
        /* at least once: everything the window produced (state included)
         * must be acknowledged before the offsets that led to it are
         * committed (see delivered() in kafka_client.c) */
        atomic_llong *unacked = &r->acks.unacked[j->gen & 1];
        pthread_mutex_lock(&r->acks.lock);
        while (atomic_load(unacked) > 0 && !atomic_load(&r->acks.err))
            pthread_cond_wait(&r->acks.cond, &r->acks.lock);
        pthread_mutex_unlock(&r->acks.lock);
        if (j->offsets && !atomic_load(&r->acks.err)) {
            uint64_t t1 = lr_kafka_mono_us();
            j->offsets_err = rd_kafka_commit(r->clients.consumer, j->offsets, 0);
            j->offsets_us = lr_kafka_mono_us() - t1;
        }
    }
    j->done_us = lr_kafka_mono_us();
}

/* Produces what waited for the commit that just completed. */
static void outbox_release(runner *r) {
    size_t n = lr_outbox_count(&r->win.outbox);
    if (n > r->stats->outbox_peak_records) r->stats->outbox_peak_records = n;
    for (size_t i = 0; i < n && !r->fatal; i++) {
        const void *key, *val;
        lr_outbox_rec *rec = lr_outbox_get(&r->win.outbox, i, &key, &val);
        lr_kafka_txn_begin(r);
        lr_kafka_produce(r, (out_topic)rec->topic, rec->partition, key, rec->key_len, val,
                         rec->val_len, rec->headers);
        rec->headers = NULL; /* the producer took them (or produce freed them) */
    }
    lr_outbox_clear(&r->win.outbox, lr_kafka_txn_drop_headers);
}

/* Takes the outcome of the commit on the worker, if one runs: waits for it
 * when `block`, else returns at once while it still runs. On success the
 * outbox goes out in the next transaction; on an abort it is dropped, since
 * txn_abort rebuilds the state that made it and rewinds the input. */
void lr_kafka_txn_finish_commit(runner *r, bool block) {
    if (!r->win.committing) return;
    if (!block && lr_worker_busy(r->win.worker)) return;
    uint64_t w0 = lr_kafka_mono_us();
    lr_worker_wait(r->win.worker);
    r->stats->commit_wait_us_total += lr_kafka_mono_us() - w0;
    r->win.committing = false;
    commit_job *j = &r->win.job;
    if (j->offsets) rd_kafka_topic_partition_list_destroy(j->offsets);
    j->offsets = NULL;
    if (r->eos) {
        int rc = txn_outcome(r, j->what, j->error);
        j->error = NULL;
        if (rc != 0) {
            lr_outbox_clear(&r->win.outbox, lr_kafka_txn_drop_headers);
            if (r->opts->webhooks) lr_webhook_discard(r->opts->webhooks);
            if (rc > 0) txn_abort(r);
            return;
        }
        r->txn.open = false;
        r->txn.renewals = 0;
        r->stats->transactions++;
    } else {
        int e = atomic_load(&r->acks.err);
        if (e) {
            /* its input must be read again: not committing the offsets
             * and stopping leaves that to the restart */
            lr_outbox_clear(&r->win.outbox, lr_kafka_txn_drop_headers);
            if (r->opts->webhooks) lr_webhook_discard(r->opts->webhooks);
            lr_kafka_fail(r, "cannot deliver to %s: %s (the input offsets stay before it)",
                          r->acks.topic, rd_kafka_err2str((rd_kafka_resp_err_t)e));
            return;
        }
        if (j->offsets_err && j->offsets_err != RD_KAFKA_RESP_ERR__NO_OFFSET)
            lr_kafka_warn(r, "offset commit failed: %s (will retry)",
                         rd_kafka_err2str(j->offsets_err));
    }
    count_commit(r->stats, j);
    /* committed (at least once: the window's deliveries acknowledged): its
     * alerts may now reach people */
    if (r->opts->webhooks) lr_webhook_release(r->opts->webhooks);
    lr_metrics_hist_add(&r->mx.commit, LR_MH_COMMIT, (double)(j->done_us - j->t0) / 1e6);
    outbox_release(r);
}

/* Closes the open window: what it changed goes to the state topic, and its
 * commit, with the offsets read so far, starts on the worker. */
void lr_kafka_txn_close_window(runner *r) {
    if (r->fatal || r->txn.abandoned) return;
    commit_job *j = &r->win.job;
    j->t0 = lr_kafka_mono_us();
    drain_changes(r);
    if (r->fatal) return;
    if (r->eos && !r->txn.open) { /* nothing produced, so nothing to commit */
        window_reset(&r->win);
        return;
    }
    if (r->eos && r->txn.failed) return txn_abort(r); /* what it holds is incomplete */
    j->r = r;
    j->offsets = NULL;
    if (r->win.have_progress) {
        j->offsets = positions(r->clients.consumer);
        if (j->offsets && j->offsets->cnt == 0) {
            rd_kafka_topic_partition_list_destroy(j->offsets);
            j->offsets = NULL;
        }
    }
    r->win.committing = true;
    if (r->opts->webhooks) lr_webhook_seal(r->opts->webhooks); /* the alerts of this commit */
    j->gen = r->win.gen++; /* what is produced from now on is the next window's */
    lr_worker_start(r->win.worker, commit_run, j);
    window_reset(&r->win);
}

/* Commits everything decided so far and waits for it: on revoke and at
 * shutdown. Output, dead letters, state and input offsets go together. */
void lr_kafka_txn_commit_window(runner *r) {
    lr_kafka_txn_finish_commit(r, true);
    lr_kafka_txn_close_window(r);
    lr_kafka_txn_finish_commit(r, true);
}

