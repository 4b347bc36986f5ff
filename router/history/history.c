/* history.c - see history.h.
 *
 * One consumer queue brings every partition's records; each goes to its
 * partition's FIFO, so that the merge can ask a given partition for its next
 * record. A partition whose FIFO holds many records (it runs ahead of the
 * others in event time) is paused until the merge has drained it, which
 * bounds memory. A partition holds at most one decoded record, its head; the
 * head handed out is refilled at the next call, which is why its strings
 * stay valid until then. */
#include "history.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "history_int.h"

/* How long the broker may stay silent before the range's end (broker gone). */
#define SILENCE_MS 30000
/* A partition this far ahead of the merge stops fetching until drained. */
#define PAUSE_AT 2000
#define RESUME_AT 200

typedef struct part {
    const char *topic;
    int kind; /* 0 leads, 1 sales activity: the tie-break order */
    int32_t partition;
    int64_t end;  /* first offset past the range */
    bool done, has_head;
    int64_t head_offset;
    rd_kafka_message_t **fifo; /* records fetched, not yet decoded: a ring */
    size_t first, count, cap;
    bool paused;
    lr_arena arena;
    lr_json_input head;
} part;

struct lr_history {
    const lr_config *cfg;
    rd_kafka_t *rk;
    lr_codec *codec;
    lr_time_ms since, until;
    part *parts;
    size_t n_parts;
    part *taken; /* handed out at the last call: refill first */
    uint64_t read, decided, undecodable, outside;
    int64_t last_data; /* monotonic ms of the last record or partition event */
    bool from_state;
    lr_history_state state; /* what --from-state read and applied */
};

static int set(rd_kafka_conf_t *c, const char *k, const char *v, lr_err *err) {
    char errstr[256];
    if (rd_kafka_conf_set(c, k, v, errstr, sizeof(errstr)) == RD_KAFKA_CONF_OK) return 0;
    lr_err_set(err, LR_ERR_FATAL, "kafka property %s=%s: %s", k, v, errstr);
    return -1;
}

/* kafka.properties first (brokers, security), then what makes this a
 * reader that joins nothing and commits nothing. librdkafka wants a group id
 * even for assign(); it is never joined. */
rd_kafka_t *lr_history_reader_new(const lr_config *cfg, lr_err *err) {
    const lr_kafka_config *kc = &cfg->kafka;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char group[512], errstr[512];
    snprintf(group, sizeof(group), "%s.replay", kc->group_id ? kc->group_id : "lead-router");
    for (size_t i = 0; i < kc->n_props; i++)
        if (set(c, kc->prop_keys[i], kc->prop_values[i], err)) goto fail;
    if (set(c, "group.id", group, err) || set(c, "enable.auto.commit", "false", err) ||
        set(c, "enable.auto.offset.store", "false", err) ||
        set(c, "enable.partition.eof", "true", err) ||
        set(c, "isolation.level", "read_committed", err) ||
        set(c, "allow.auto.create.topics", "false", err) ||
        set(c, "fetch.wait.max.ms", "10", err))
        goto fail;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof(errstr));
    if (!rk) lr_err_set(err, LR_ERR_FATAL, "kafka: cannot create the reader: %s", errstr);
    return rk;
fail:
    rd_kafka_conf_destroy(c);
    return NULL;
}

int lr_history_partition_count(rd_kafka_t *rk, const char *topic, lr_err *err) {
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, META_TIMEOUT_MS);
    int n = -1;
    if (!e && md->topic_cnt == 1 && !md->topics[0].err) n = md->topics[0].partition_cnt;
    else if (!e) e = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (n < 0) lr_err_set(err, LR_ERR_FATAL, "kafka: topic %s: %s", topic, rd_kafka_err2str(e));
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return n;
}

/* Start offsets (the first record with a timestamp at or after since) and
 * ends (the end of each partition now). The end is not looked up by time:
 * a partition's timestamps need not grow with its offsets (a record produced
 * late with an early time), and offsets_for_times(until) would stop at the
 * first record past until, leaving out what follows it. Records past until
 * are read, counted and skipped instead. */
static int find_range(lr_history *h, rd_kafka_topic_partition_list_t *starts, lr_err *err) {
    for (int i = 0; i < starts->cnt; i++) starts->elems[i].offset = h->since;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(h->rk, starts, META_TIMEOUT_MS);
    for (int i = 0; !e && i < starts->cnt; i++) {
        part *p = &h->parts[i];
        int64_t lo = 0, hi = 0;
        e = rd_kafka_query_watermark_offsets(h->rk, p->topic, p->partition, &lo, &hi,
                                             META_TIMEOUT_MS);
        if (!e) e = starts->elems[i].err;
        p->end = hi;
        if (starts->elems[i].offset < 0) starts->elems[i].offset = hi; /* nothing that late */
        p->done = starts->elems[i].offset >= hi;
    }
    if (e) lr_err_set(err, LR_ERR_FATAL, "kafka: cannot read offsets for the range: %s",
                      rd_kafka_err2str(e));
    return e ? -1 : 0;
}

static int add_topic(lr_history *h, const char *topic, int kind, lr_err *err) {
    int n = lr_history_partition_count(h->rk, topic, err);
    if (n < 0) return -1;
    h->parts = realloc(h->parts, (h->n_parts + (size_t)n) * sizeof(*h->parts));
    for (int i = 0; i < n; i++) {
        part *p = &h->parts[h->n_parts++];
        memset(p, 0, sizeof(*p));
        p->topic = topic;
        p->kind = kind;
        p->partition = i;
        lr_arena_init(&p->arena, 16 * 1024);
    }
    return 0;
}

/* Decodes m into p's head; false (counted) when it does not decode or lies
 * outside the range. */
static bool take(lr_history *h, part *p, const rd_kafka_message_t *m) {
    h->read++;
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    if (ts < h->since || (h->until != LR_TIME_NONE && ts > h->until)) {
        h->outside++;
        return false;
    }
    const char *reason = NULL;
    lr_arena_reset(&p->arena);
    lr_codec_status st;
    if (p->kind == 0) {
        p->head.kind = LR_JSON_LEAD;
        st = lr_codec_decode_lead(h->codec, m->payload, m->len, &p->head.u.lead, &p->arena, &reason);
        p->head.time = p->head.u.lead.event_time;
    } else {
        p->head.kind = LR_JSON_SALES;
        st = lr_codec_decode_sales(h->codec, m->payload, m->len, &p->head.u.sales, &p->arena,
                                   &reason);
        p->head.time = p->head.u.sales.occurred_at;
    }
    if (st != LR_CODEC_OK) {
        h->undecodable++;
        return false;
    }
    p->head_offset = m->offset;
    return true;
}

static void set_paused(lr_history *h, part *p, bool pause) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
    if (pause) rd_kafka_pause_partitions(h->rk, l);
    else rd_kafka_resume_partitions(h->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    p->paused = pause;
}

static part *part_of(lr_history *h, const rd_kafka_message_t *m) {
    if (!m->rkt) return NULL;
    const char *topic = rd_kafka_topic_name(m->rkt);
    for (size_t i = 0; i < h->n_parts; i++)
        if (h->parts[i].partition == m->partition && strcmp(h->parts[i].topic, topic) == 0)
            return &h->parts[i];
    return NULL;
}

int64_t lr_history_mono_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One record (or event) from the consumer into its partition's FIFO. An
 * error of the client as a whole (a broker down) is retried by librdkafka:
 * it stops the replay only once nothing has come for SILENCE_MS. */
static int pump(lr_history *h, lr_err *err) {
    if (!h->last_data) h->last_data = lr_history_mono_ms();
    rd_kafka_message_t *m = rd_kafka_consumer_poll(h->rk, 1000);
    part *p = m ? part_of(h, m) : NULL;
    if (!m || (!p && m->err && !rd_kafka_fatal_error(h->rk, NULL, 0))) {
        bool silent = lr_history_mono_ms() - h->last_data > SILENCE_MS;
        if (silent)
            lr_err_set(err, LR_ERR_FATAL, "kafka: nothing read for %d s before the end of the "
                       "range%s%s", SILENCE_MS / 1000, m ? ": " : "",
                       m ? rd_kafka_message_errstr(m) : "");
        if (m) rd_kafka_message_destroy(m);
        return silent ? -1 : 0;
    }
    h->last_data = lr_history_mono_ms();
    if (!p || (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)) {
        lr_err_set(err, LR_ERR_FATAL, "kafka: %s", m->err ? rd_kafka_message_errstr(m)
                                                          : "a record of a partition not read");
        rd_kafka_message_destroy(m);
        return -1;
    }
    if (p->count == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 256;
        rd_kafka_message_t **f = malloc(cap * sizeof(*f));
        for (size_t i = 0; i < p->count; i++) f[i] = p->fifo[(p->first + i) % p->cap];
        free(p->fifo);
        p->fifo = f;
        p->first = 0;
        p->cap = cap;
    }
    p->fifo[(p->first + p->count++) % p->cap] = m;
    if (p->count >= PAUSE_AT && !p->paused) set_paused(h, p, true);
    return 0;
}

/* Reads p up to its next record in range, or its end. */
static int fill(lr_history *h, part *p, lr_err *err) {
    while (!p->done && !p->has_head) {
        if (p->count == 0) {
            if (pump(h, err)) return -1;
            continue;
        }
        rd_kafka_message_t *m = p->fifo[p->first];
        p->first = (p->first + 1) % p->cap;
        p->count--;
        if (p->paused && p->count <= RESUME_AT) set_paused(h, p, false);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || m->offset >= p->end) {
            p->done = true;
        } else {
            p->has_head = take(h, p, m);
            if (m->offset + 1 >= p->end) p->done = true;
        }
        rd_kafka_message_destroy(m);
    }
    return 0;
}

static bool before(const part *a, const part *b) {
    if (a->head.time != b->head.time) return a->head.time < b->head.time;
    if (a->kind != b->kind) return a->kind < b->kind;
    if (a->partition != b->partition) return a->partition < b->partition;
    return a->head_offset < b->head_offset;
}

/* A linear scan for the smallest head: topics have a handful of partitions,
 * fewer than a heap would pay off for. */
static int next(void *ctx, lr_json_input *ev, lr_arena *arena, long *pos, lr_err *err) {
    (void)arena;
    lr_history *h = ctx;
    if (h->taken && fill(h, h->taken, err)) return -1;
    h->taken = NULL;
    part *best = NULL;
    for (size_t i = 0; i < h->n_parts; i++)
        if (h->parts[i].has_head && (!best || before(&h->parts[i], best))) best = &h->parts[i];
    if (!best) return 1;
    *ev = best->head;
    best->has_head = false;
    h->taken = best;
    *pos = (long)++h->decided;
    return 0;
}

/* Every partition assigned at its start offset (those with nothing in the
 * range are not read at all); then every head is read. */
static int start(lr_history *h, rd_kafka_topic_partition_list_t *list, lr_err *err) {
    rd_kafka_poll_set_consumer(h->rk);
    for (int i = list->cnt - 1; i >= 0; i--)
        if (h->parts[i].done) rd_kafka_topic_partition_list_del_by_idx(list, i);
    rd_kafka_resp_err_t e = rd_kafka_assign(h->rk, list);
    if (e) {
        lr_err_set(err, LR_ERR_FATAL, "kafka: cannot assign the partitions: %s", rd_kafka_err2str(e));
        return -1;
    }
    for (size_t i = 0; i < h->n_parts; i++)
        if (fill(h, &h->parts[i], err)) return -1;
    return 0;
}

static int prepare(void *ctx, lr_core *const *cores, size_t n, lr_err *err) {
    lr_history *h = ctx;
    return lr_history_state_read(h->cfg, h->since, cores, n, &h->state, err);
}

lr_history *lr_history_open(const lr_config *cfg, lr_time_ms since, lr_time_ms until,
                            bool from_state, lr_replay_source *src, lr_err *err) {
    lr_history *h = calloc(1, sizeof(*h));
    h->cfg = cfg;
    h->from_state = from_state;
    h->since = since;
    h->until = until;
    const lr_kafka_config *kc = &cfg->kafka;
    lr_codec_ids ids = {(int32_t)kc->schema_ids.lead, (int32_t)kc->schema_ids.sales_activity,
                        (int32_t)kc->schema_ids.decision, (int32_t)kc->schema_ids.status,
                        (int32_t)kc->schema_ids.alert};
    h->codec = lr_codec_new(&ids, (size_t)kc->max_message_bytes, err);
    h->rk = h->codec ? lr_history_reader_new(cfg, err) : NULL;
    if (!h->rk || add_topic(h, kc->topics.leads, 0, err) ||
        add_topic(h, kc->topics.sales_activity, 1, err)) {
        lr_history_close(h);
        return NULL;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)h->n_parts);
    for (size_t i = 0; i < h->n_parts; i++)
        rd_kafka_topic_partition_list_add(list, h->parts[i].topic, h->parts[i].partition);
    int rc = find_range(h, list, err);
    if (rc == 0) rc = start(h, list, err);
    rd_kafka_topic_partition_list_destroy(list);
    if (rc) {
        lr_history_close(h);
        return NULL;
    }
    *src = (lr_replay_source){.name = "kafka", .next = next, .ctx = h,
                              .prepare = from_state ? prepare : NULL};
    return h;
}

/* "state: ..." for --from-state: diff's second core is the proposed rulebook,
 * whose skipped records are the names it lacks. */
static void report_state(const lr_history *h, FILE *f) {
    const lr_history_state *st = &h->state;
    fprintf(f, "state: %" PRIu64 " records of %s before --since (%d partitions, %" PRId64 " ms)",
            st->records, h->cfg->kafka.topics.state, st->partitions, st->ms);
    for (size_t i = 0; i < st->n_cores; i++)
        fprintf(f, "%s%" PRIu64 " applied, %" PRIu64 " skipped (names the rulebook lacks), %" PRIu64
                   " malformed: %zu leads, %zu open clocks",
                i == 0 ? (st->n_cores > 1 ? "; current: " : ": ") : "; proposed: ",
                st->cores[i].applied, st->cores[i].skipped,
                st->cores[i].malformed, st->leads[i], st->clocks[i]);
    fputc('\n', f);
}

void lr_history_report(const lr_history *h, FILE *f) {
    fprintf(f, "kafka: %zu partitions, %" PRIu64 " records read: %" PRIu64 " replayed, %" PRIu64
               " undecodable (skipped; live they go to the dead-letter topic), %" PRIu64
               " outside the time range\n",
            h->n_parts, h->read, h->decided, h->undecodable, h->outside);
    if (h->from_state) report_state(h, f);
}

void lr_history_close(lr_history *h) {
    if (!h) return;
    for (size_t i = 0; i < h->n_parts; i++) {
        part *p = &h->parts[i];
        for (size_t k = 0; k < p->count; k++) rd_kafka_message_destroy(p->fifo[(p->first + k) % p->cap]);
        free(p->fifo);
        lr_arena_destroy(&p->arena);
    }
    if (h->rk) {
        rd_kafka_assign(h->rk, NULL);
        rd_kafka_destroy(h->rk);
    }
    lr_codec_free(h->codec);
    free(h->parts);
    free(h);
}
