/* kafka_produce.c - records out: every record goes through lr_kafka_produce
 * (into the outbox while an exactly_once commit runs, counted in its window
 * at least once), the core's events are encoded into one reused buffer, and
 * what cannot be decoded is dead-lettered with its origin. Per record:
 * nothing allocated beyond librdkafka's copy, no topic looked up by name. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kafka_int.h"

/* "Local: Fatal error" alone says nothing: the line names the producer's
 * own reason, and that the next start continues from the last commit. */
static void delivery_check(runner *r, rd_kafka_resp_err_t e, const char *topic) {
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    char why[256] = "";
    if (e == RD_KAFKA_RESP_ERR__FATAL &&
        rd_kafka_fatal_error(r->clients.producer, why, sizeof(why)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        lr_kafka_fail(r, "cannot produce to %s: the producer failed for good: %s (nothing "
                         "since the last commit is kept; a restart continues from there)",
                      topic, why);
        return;
    }
    lr_kafka_fail(r, "cannot produce to %s: %s", topic, rd_kafka_err2str(e));
}

void lr_kafka_produce(runner *r, out_topic to, int32_t partition, const void *key,
                      size_t key_len, const void *val, size_t val_len, rd_kafka_headers_t *hdrs) {
    if (r->win.committing && r->eos) {
        lr_outbox_push(&r->win.outbox, to, partition, key, key_len, val, val_len, hdrs);
        return;
    }
    rd_kafka_topic_t *rkt = r->topics.out[to];
    const char *topic = rd_kafka_topic_name(rkt);
    /* at least once: counted before the report can take it off */
    atomic_llong *unacked = r->eos ? NULL : &r->acks.unacked[r->win.gen & 1];
    if (unacked) atomic_fetch_add(unacked, 1);
    for (;;) {
        /* the V_ macros expand to argument pairs, so no ?: around them */
        rd_kafka_resp_err_t e =
            hdrs ? rd_kafka_producev(r->clients.producer, RD_KAFKA_V_RKT(rkt),
                                     RD_KAFKA_V_PARTITION(partition),
                                     RD_KAFKA_V_KEY(key, key_len),
                                     RD_KAFKA_V_VALUE((void *)val, val_len),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_OPAQUE(unacked),
                                     RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END)
                 : rd_kafka_producev(r->clients.producer, RD_KAFKA_V_RKT(rkt),
                                     RD_KAFKA_V_PARTITION(partition),
                                     RD_KAFKA_V_KEY(key, key_len),
                                     RD_KAFKA_V_VALUE((void *)val, val_len),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_OPAQUE(unacked), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            r->stats->queue_full_waits++;
            /* let deliveries drain (at least once they drain by themselves) */
            if (r->eos) rd_kafka_poll(r->clients.producer, 10);
            else nanosleep(&(struct timespec){0, 1000000}, NULL);
            continue;
        }
        if (e && unacked) atomic_fetch_sub(unacked, 1); /* no report will come */
        if (e && hdrs) rd_kafka_headers_destroy(hdrs);
        /* A transaction that already hit an abortable error (a produce
         * failure after a broker restart, say) refuses every new message with
         * __STATE. That is not fatal: the window is marked failed, and
         * lr_kafka_txn_close_window aborts it, rebuilds the state and redoes
         * the input. */
        if (e == RD_KAFKA_RESP_ERR__FATAL && lr_kafka_txn_renewable(r)) {
            if (!r->txn.failed)
                lr_kafka_warn(r, "cannot produce to %s: the producer failed; renewing it", topic);
            r->txn.renew_producer = r->txn.failed = true;
            return;
        }
        if (e == RD_KAFKA_RESP_ERR__STATE && r->eos &&
            rd_kafka_fatal_error(r->clients.producer, NULL, 0) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (!r->txn.failed)
                lr_kafka_warn(r, "cannot produce to %s: the transaction failed; aborting it", topic);
            r->txn.failed = true;
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

static void count_event(lr_kafka_stats *s, const lr_event *ev) {
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
void lr_kafka_produce_events(runner *r) {
    if (r->io.out.n == 0) return;
    lr_kafka_txn_begin(r);
    for (size_t i = 0; i < r->io.out.n && !r->fatal; i++) {
        const lr_event *ev = &r->io.out.ev[i];
        if (r->opts->observe) r->opts->observe(r->opts->observe_ctx, ev);
        if (r->opts->board && ev->kind == LR_EVENT_DECISION)
            lr_board_note(r->opts->board, &ev->u.decision);
        if (r->opts->webhooks && ev->kind == LR_EVENT_ALERT)
            lr_webhook_stage(r->opts->webhooks, &ev->u.alert); /* sent after the commit */
        count_event(r->stats, ev);
        lr_buf_reset(&r->io.enc);
        lr_codec_encode_event(r->io.codec, ev, &r->io.enc);
        lr_str key = event_key(ev);
        lr_kafka_produce(r, event_topic(ev), RD_KAFKA_PARTITION_UA, key.s, key.len, r->io.enc.data,
                         r->io.enc.len, NULL);
    }
    lr_out_reset(&r->io.out);
}

static void add_header(rd_kafka_headers_t *h, const char *name, const char *v) {
    rd_kafka_header_add(h, name, -1, v, -1);
}

/* The original key, value and headers, plus why and where it came from. */
void lr_kafka_produce_dead_letter(runner *r, const rd_kafka_message_t *m, const char *code,
                                         const char *reason) {
    r->mx.dead[lr_metrics_dl_of(code)]++; /* a few name compares, dead letters only */
    lr_kafka_txn_begin(r);
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
    lr_kafka_produce(r, OUT_DEAD_LETTER, RD_KAFKA_PARTITION_UA, m->key, m->key_len, m->payload,
                     m->len, h);
    r->stats->dead_lettered++;
}

