/* kafka_roster.c - the roster and account-owner topics read like a Kafka
 * Streams global table (docs/routing.md, "Live rosters and account owners").
 *
 * At start, before the decision state is restored and before the first lead
 * is decided, every partition of both topics is read from the beginning to
 * its end (one consumer without a group, assign() only), each record applied
 * to the routing config; /readyz stays false meanwhile. The same consumer
 * then follows them from where it stopped: the main loop polls it between
 * two messages at most every FOLLOW_MS, so a change applies to every
 * decision after it is read and costs the hot path one clock comparison.
 * A record the rulebook refuses (unknown team, bad zone...) or that does not
 * decode goes to the dead-letter topic with the reason, and the previous
 * value stays in force; a compacted topic keeps a bad record until a good
 * one replaces it, so each start reports it again. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_int.h"
#include "rules.h"

#define FOLLOW_MS 100
#define FOLLOW_BATCH 1000 /* records applied per turn at most: leads keep flowing */

static void refuse(runner *r, const rd_kafka_message_t *m, const char *code, const char *why) {
    lr_kafka_log(r, "topic %s [%" PRId32 "] offset %" PRId64 ": refused (%s); the previous value "
                    "stays",
                 rd_kafka_topic_name(m->rkt), m->partition, m->offset, why);
    if (r->win.started == LR_TIME_NONE) r->win.started = lr_kafka_now(r);
    lr_kafka_produce_dead_letter(r, m, code, why);
    r->roster.refused++;
}

/* The key as a C string in the roster arena (keys are short ids and domains),
 * after a tombstone has been applied by `gone` (unknown already is fine:
 * compaction keeps tombstones for a while). NULL when that was all. */
static const char *key_or_tombstone(runner *r, const rd_kafka_message_t *m,
                                    int (*gone)(runner *r, const char *key, size_t len)) {
    lr_arena_reset(&r->roster.mem);
    const char *key = lr_arena_strndup(&r->roster.mem, m->key, m->key_len);
    if (m->payload) return key;
    if (gone(r, key, m->key_len) == 0) r->roster.applied++;
    return NULL;
}

static int remove_rep(runner *r, const char *key, size_t len) {
    lr_err err;
    return lr_roster_remove_rep(r->cfg->rules.route, key, len, &err);
}

static int clear_owner(runner *r, const char *key, size_t len) {
    lr_err err;
    (void)len;
    return lr_roster_clear_owner(r->cfg->rules.route, key, &err);
}

static void apply_rep(runner *r, int32_t p, const rd_kafka_message_t *m) {
    (void)p;
    lr_kafka_roster *ro = &r->roster;
    const char *key = key_or_tombstone(r, m, remove_rep);
    if (!key) return;
    lr_err err = {0};
    lr_rep_rec rec;
    char why[256];
    if (lr_roster_wire_decode_rep(ro->wire, m->payload, m->len, &ro->mem, &rec, why,
                                  sizeof(why)) < 0)
        return refuse(r, m, "malformed", why);
    if (strcmp(rec.id, key) != 0)
        return refuse(r, m, "contract", "the record's id differs from its key");
    if (lr_roster_apply_rep(r->cfg->rules.route, r->cfg->tz, &rec, false, &err) < 0)
        return refuse(r, m, "contract", err.msg);
    ro->applied++;
}

static void apply_owner(runner *r, int32_t p, const rd_kafka_message_t *m) {
    (void)p;
    lr_kafka_roster *ro = &r->roster;
    const char *key = key_or_tombstone(r, m, clear_owner);
    if (!key) return;
    lr_err err = {0};
    lr_owner_rec rec;
    char why[256];
    if (lr_roster_wire_decode_owner(ro->wire, m->payload, m->len, &ro->mem, &rec, why,
                                    sizeof(why)) < 0)
        return refuse(r, m, "malformed", why);
    if (strcmp(rec.domain, key) != 0)
        return refuse(r, m, "contract", "the record's domain differs from its key");
    if (lr_roster_apply_owner(r->cfg->rules.route, &rec, false, &err) < 0) return refuse(r, m, "contract", err.msg);
    ro->applied++;
}

/* Reads one topic whole; its partitions, at the offsets reached, go to
 * `follow`. 0; -2 stopped; -1 after lr_kafka_fail(). */
static int read_whole(runner *r, const char *topic, const char *key,
                      lr_kafka_restore_apply_fn *apply, rd_kafka_topic_partition_list_t *follow) {
    rd_kafka_t *rk = r->roster.rk;
    int np = lr_kafka_client_topic_partitions(r, rk, topic, key, "cleanup.policy=compact");
    if (np <= 0) return -1;
    lr_kafka_restore_part *rp = calloc((size_t)np, sizeof(*rp));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    if (!rp || !parts) abort();
    for (int p = 0; p < np; p++) rp[p].wanted = true;
    int remaining = lr_kafka_restore_targets(r, topic, rp, np, parts);
    int rc = remaining < 0 ? -1 : 0;
    if (remaining > 0) {
        rd_kafka_assign(rk, parts);
        rc = lr_kafka_restore_read(r, rk, topic, rp, np, remaining, apply);
        rd_kafka_position(rk, parts);
    }
    for (int p = 0; p < np && rc == 0; p++) {
        int64_t at = RD_KAFKA_OFFSET_BEGINNING; /* empty: from its start */
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].partition == p && parts->elems[i].offset >= 0)
                at = parts->elems[i].offset;
        rd_kafka_topic_partition_list_add(follow, topic, p)->offset = at;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    free(rp);
    return rc;
}

int lr_kafka_roster_start(runner *r) {
    const lr_kafka_topics *t = &r->kc->topics;
    lr_kafka_roster *ro = &r->roster;
    if (!t->roster && !t->account_owners) return 0;
    lr_arena_init(&ro->mem, 16 * 1024);
    ro->wire = lr_roster_wire_new((int32_t)r->kc->schema_ids.rep,
                                  (int32_t)r->kc->schema_ids.account_owner, r->err);
    if (!ro->wire) return r->fatal = true, -1;
    ro->rk = lr_kafka_client_reader_new(r, "read_committed");
    if (!ro->rk) return -1;
    lr_time_ms t0 = lr_wall_clock_ms(NULL);
    lr_kafka_metrics_restoring(r, true, 0, 0);
    rd_kafka_topic_partition_list_t *follow = rd_kafka_topic_partition_list_new(8);
    int rc = 0;
    /* the roster first: owners name reps it may add */
    if (t->roster) rc = read_whole(r, t->roster, "kafka.topics.roster", apply_rep, follow);
    if (rc == 0 && t->account_owners)
        rc = read_whole(r, t->account_owners, "kafka.topics.account_owners", apply_owner, follow);
    if (rc == 0) rd_kafka_assign(ro->rk, follow);
    rd_kafka_topic_partition_list_destroy(follow);
    double secs = (double)(lr_wall_clock_ms(NULL) - t0) / 1000.0;
    lr_kafka_metrics_restoring(r, false, ro->applied, secs);
    if (rc == 0)
        lr_kafka_log(r, "roster read: %" PRIu64 " records applied, %" PRIu64 " refused, "
                        "%zu reps, roster version %" PRIu64 ", %.3f s",
                     ro->applied, ro->refused, lr_route_rep_count(r->cfg->rules.route),
                     lr_route_roster_version(r->cfg->rules.route), secs);
    ro->last_poll = lr_kafka_now(r);
    return rc;
}

void lr_kafka_roster_follow(runner *r, lr_time_ms now) {
    lr_kafka_roster *ro = &r->roster;
    if (!ro->rk || now - ro->last_poll < FOLLOW_MS) return;
    ro->last_poll = now;
    const char *roster = r->kc->topics.roster;
    for (int n = 0; n < FOLLOW_BATCH; n++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(ro->rk, 0);
        if (!m) return;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                lr_kafka_log(r, "roster reader: %s", rd_kafka_message_errstr(m));
        } else if (m->key) {
            /* two topics on one consumer: a name compare per roster record only */
            if (roster && !strcmp(rd_kafka_topic_name(m->rkt), roster)) apply_rep(r, 0, m);
            else apply_owner(r, 0, m);
        }
        rd_kafka_message_destroy(m);
    }
}

void lr_kafka_roster_destroy(lr_kafka_roster *ro) {
    if (ro->rk) rd_kafka_destroy(ro->rk);
    if (ro->wire) lr_roster_wire_free(ro->wire);
    lr_arena_destroy(&ro->mem);
    memset(ro, 0, sizeof(*ro));
}
