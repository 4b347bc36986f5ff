/* history_state.c - `--from-state`: the decision state as of --since, read
 * from the changelog (kafka.topics.state) into the replay's cores before the
 * first event, the way a restart reads it (router/kafka/kafka_restore.c),
 * but stopped at --since instead of the end of the topic.
 *
 * Each partition is read from its beginning to the first offset whose
 * record is stamped at or after --since (offsets_for_times): the router
 * writes a partition's records in time order, so that is the state it had
 * committed by then. read_committed: records of a transaction still open
 * there are waited for, those of an aborted one never arrive. Every keyed
 * record goes to every core (last write wins, a tombstone removes its lead);
 * a name a core's rulebook lacks is skipped and counted by that core. */
#include <stdlib.h>

#include "history_int.h"

/* How long an open transaction before --since may hold the read up: longer
 * than a transaction.timeout.ms of 60 s, after which the broker aborts the
 * transaction of an instance that stopped without committing. */
#define STATE_SILENCE_MS 120000

int64_t lr_history_state_end(int64_t at, int64_t lo, int64_t hi, bool *empty) {
    int64_t end = at < 0 || at > hi ? hi : at; /* nothing that late: all of it */
    *empty = end <= lo;
    return end;
}

typedef struct reading {
    const char *topic;
    int64_t *end;    /* per partition; -1 once done */
    int remaining;
} reading;

/* The partitions' ends, and the list to assign (every partition with records
 * before its end, from the beginning). */
static int plan(rd_kafka_t *rk, reading *rd, int np, lr_time_ms since,
                rd_kafka_topic_partition_list_t *assign, lr_err *err) {
    rd_kafka_topic_partition_list_t *at = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++) rd_kafka_topic_partition_list_add(at, rd->topic, p)->offset = since;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk, at, META_TIMEOUT_MS);
    for (int p = 0; !e && p < np; p++) {
        int64_t lo = 0, hi = 0;
        e = at->elems[p].err;
        if (!e) e = rd_kafka_query_watermark_offsets(rk, rd->topic, p, &lo, &hi, META_TIMEOUT_MS);
        bool empty = true;
        if (!e) rd->end[p] = lr_history_state_end(at->elems[p].offset, lo, hi, &empty);
        if (empty) {
            rd->end[p] = -1;
            continue;
        }
        rd_kafka_topic_partition_list_add(assign, rd->topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd->remaining++;
    }
    rd_kafka_topic_partition_list_destroy(at);
    if (e) lr_err_set(err, LR_ERR_FATAL, "kafka: topic %s: cannot read offsets for --since: %s",
                      rd->topic, rd_kafka_err2str(e));
    return e ? -1 : 0;
}

static void part_done(reading *rd, int32_t p) {
    rd->end[p] = -1;
    rd->remaining--;
}

/* One message: applied to every core when before its partition's end. */
static int take(reading *rd, int np, rd_kafka_message_t *m, lr_core *const *cores, size_t n,
                lr_history_state *st, lr_err *err) {
    int32_t p = m->partition;
    bool ours = p >= 0 && p < np && rd->end[p] >= 0;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        /* an EOF short of the end: a transaction still open before it */
        if (ours && m->offset >= rd->end[p]) part_done(rd, p);
        return 0;
    }
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__FATAL && m->err != RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC &&
            m->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            return 0; /* transient: librdkafka retries; the silence limit decides */
        lr_err_set(err, LR_ERR_FATAL, "kafka: topic %s: %s", rd->topic, rd_kafka_message_errstr(m));
        return -1;
    }
    if (!ours) return 0;
    if (m->offset >= rd->end[p]) {
        part_done(rd, p);
        return 0;
    }
    if (m->key) {
        st->records++;
        for (size_t i = 0; i < n; i++)
            lr_core_restore(cores[i], m->key, m->key_len, m->payload, m->len);
    }
    if (m->offset + 1 >= rd->end[p]) part_done(rd, p);
    return 0;
}

static int read_all(rd_kafka_t *rk, reading *rd, int np, lr_core *const *cores, size_t n,
                    lr_history_state *st, lr_err *err) {
    int64_t last = lr_history_mono_ms();
    while (rd->remaining > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m) {
            if (lr_history_mono_ms() - last <= STATE_SILENCE_MS) continue;
            lr_err_set(err, LR_ERR_FATAL, "kafka: topic %s: nothing read for %d s before the "
                       "offsets of --since (a transaction left open there, or the broker gone)",
                       rd->topic, STATE_SILENCE_MS / 1000);
            return -1;
        }
        last = lr_history_mono_ms();
        int rc = take(rd, np, m, cores, n, st, err);
        rd_kafka_message_destroy(m);
        if (rc) return -1;
    }
    return 0;
}

int lr_history_state_read(const lr_config *cfg, lr_time_ms since, lr_core *const *cores,
                          size_t n, lr_history_state *st, lr_err *err) {
    int64_t t0 = lr_history_mono_ms();
    reading rd = {.topic = cfg->kafka.topics.state};
    rd_kafka_t *rk = lr_history_reader_new(cfg, err);
    if (!rk) return -1;
    int np = lr_history_partition_count(rk, rd.topic, err);
    int rc = -1;
    rd_kafka_topic_partition_list_t *assign = rd_kafka_topic_partition_list_new(np > 0 ? np : 1);
    if (np < 0) goto out;
    rd.end = calloc((size_t)np + 1, sizeof(*rd.end));
    if (!rd.end) abort();
    st->partitions = np;
    if (plan(rk, &rd, np, since, assign, err)) goto out;
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, assign);
    if (e) {
        lr_err_set(err, LR_ERR_FATAL, "kafka: topic %s: cannot assign: %s", rd.topic,
                   rd_kafka_err2str(e));
        goto out;
    }
    rc = read_all(rk, &rd, np, cores, n, st, err);
    rd_kafka_assign(rk, NULL);
out:
    rd_kafka_topic_partition_list_destroy(assign);
    free(rd.end);
    rd_kafka_destroy(rk);
    if (rc) return -1;
    st->n_cores = n;
    for (size_t i = 0; i < n && i < LR_REPLAY_MAX_CORES; i++) {
        lr_core_restore_done(cores[i]);
        st->cores[i] = *lr_core_restore_stats_get(cores[i]);
        st->leads[i] = lr_lifecycle_count(lr_core_lifecycle(cores[i]));
        st->clocks[i] = lr_lifecycle_open_clocks(lr_core_lifecycle(cores[i]));
    }
    st->ms = lr_history_mono_ms() - t0;
    return 0;
}
