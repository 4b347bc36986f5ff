/* kafka_stage1.c - shared mode's stage 1 (kafka.topics.repartition set):
 * each input message is forwarded, bytes unchanged, to the repartition
 * partition of its routing domain, and a lead re-sent within its duplicate
 * window goes where its first message went, marked as a repeat. The table
 * that remembers where leads went (lr_domaintab) is state: changelogged in
 * the window's transaction to kafka.topics.lead_domains, restored when a
 * leads partition is assigned and after an abort. Per message: a table
 * lookup and an append to the window's batch; headers are copied only when
 * the input has some. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "kafka_int.h"
#include "leadtab.h"

/* A changelog record of the lead-to-domain table is written at the latest at
 * this size, before its window closes. */
#define DOMAIN_BATCH_MAX (256 * 1024)

/* ---- stage 1's lead -> domain table ------------------------------------------ */

/* A domain's partition must be the same in every instance and every version,
 * and must not move when other domains come or go (its state would stay
 * behind), so it is a fixed function of the domain's name alone. */
static int32_t domain_partition_of(const char *name, size_t len, int np) {
    return (int32_t)(lr_hash64(name, len) % (uint64_t)np);
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
    int32_t part = domain_partition_of(name, name_len, dr->r->state.n_cores);
    lr_domaintab_put(dr->r->s1.domains, id, id_len, part, dr->part, since, dr->now);
}

static void apply_domain(runner *r, int32_t p, const rd_kafka_message_t *m) {
    domain_restore dr = {r, p, lr_kafka_now(r)};
    if (lr_domaintab_parse(m->payload, m->payload ? m->len : 0, restore_entry, &dr) < 0)
        lr_kafka_warn(r, "%s [%d] offset %" PRId64 ": a malformed record (what came before it "
                        "in the record is kept)",
                     r->kc->topics.lead_domains, (int)p, m->offset);
}

/* Writes the entries a window added for leads partition p, in its
 * transaction: one record, keyed uniquely (the topic is not compacted by
 * key; a compacted one must not merge two windows). */
static void domain_batch_flush(runner *r, int32_t p) {
    lr_buf *b = &r->s1.batch[p];
    if (b->len == 0) return;
    char key[64];
    int kl = snprintf(key, sizeof(key), "%d/%" PRId64 "/%" PRIu64, (int)p, (int64_t)lr_kafka_now(r),
                      r->s1.batch_seq++);
    lr_kafka_txn_begin(r);
    lr_kafka_produce(r, OUT_LEAD_DOMAINS, p, key, (size_t)kl, b->data, b->len, NULL);
    lr_buf_reset(b);
}

void lr_kafka_stage1_flush(runner *r) {
    for (int p = 0; r->s1.batch && p < r->s1.n_lead_parts && !r->fatal; p++)
        domain_batch_flush(r, p);
}

void lr_kafka_stage1_drop_batches(lr_kafka_stage1 *s1) {
    for (int p = 0; s1->batch && p < s1->n_lead_parts; p++)
        lr_buf_reset(&s1->batch[p]);
}

/* Forgets the wanted leads partitions' entries and reads them back from
 * kafka.topics.lead_domains, before those partitions are read: on
 * assignment and after an aborted transaction. `wanted` may be
 * r->s1.owned itself. Returns like lr_kafka_restore_cores. */
int lr_kafka_stage1_restore(runner *r, const bool *wanted) {
    lr_time_ms t0 = lr_wall_clock_ms(NULL);
    const char *topic = r->kc->topics.lead_domains;
    int np = r->s1.n_lead_parts, n_wanted = 0, rc = -1;
    lr_kafka_restore_part *rp = calloc((size_t)np, sizeof(*rp));
    if (!rp) abort();
    for (int p = 0; p < np; p++) {
        rp[p].wanted = wanted[p];
        if (!wanted[p]) continue;
        n_wanted++;
        lr_domaintab_drop_partition(r->s1.domains, p);
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    rd_kafka_t *rk = n_wanted ? lr_kafka_client_reader_new(r, "read_committed") : NULL;
    uint64_t records = 0;
    if (n_wanted && !rk) goto out;
    int remaining = n_wanted ? lr_kafka_restore_targets(r, topic, rp, np, parts) : 0;
    if (remaining < 0) goto out;
    if (remaining > 0) {
        rd_kafka_assign(rk, parts);
        rc = lr_kafka_restore_read(r, rk, topic, rp, np, remaining, apply_domain);
        if (rc < 0) goto out;
    }
    rc = 0;
    for (int p = 0; p < np; p++) {
        if (wanted[p]) r->s1.owned[p] = true;
        records += rp[p].records;
    }
    if (n_wanted)
        lr_kafka_log(r, "lead domains restored from %s: %d partition(s), %" PRIu64 " records, "
                        "%zu leads remembered in all, %lld ms",
                     topic, n_wanted, records, lr_domaintab_count(r->s1.domains),
                     (long long)(lr_wall_clock_ms(NULL) - t0));
out:
    if (rc < 0) /* half a table must not decide what is a repeat */
        for (int p = 0; p < np; p++)
            if (wanted[p]) {
                lr_domaintab_drop_partition(r->s1.domains, p);
                r->s1.owned[p] = false;
            }
    rd_kafka_topic_partition_list_destroy(parts);
    free(rp);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    return rc;
}

bool lr_kafka_stage1_is_leads(const runner *r, const rd_kafka_topic_partition_t *tp) {
    return r->partitioned && strcmp(tp->topic, r->kc->topics.leads) == 0 && tp->partition >= 0 &&
           tp->partition < r->s1.n_lead_parts;
}

/* A revoked leads partition's entries go with it (its next owner reads them
 * from the changelog). */
void lr_kafka_stage1_revoke(lr_kafka_stage1 *s1, int32_t partition) {
    lr_domaintab_drop_partition(s1->domains, partition);
    s1->owned[partition] = false;
}

/* Stage 1: the leads partitions assigned bring their table entries. */
int lr_kafka_stage1_assign(runner *r, const rd_kafka_topic_partition_list_t *parts) {
    bool *wanted = calloc((size_t)r->s1.n_lead_parts, sizeof(bool));
    if (!wanted) abort();
    for (int i = 0; i < parts->cnt; i++)
        if (lr_kafka_stage1_is_leads(r, &parts->elems[i])) wanted[parts->elems[i].partition] = true;
    int rc = lr_kafka_stage1_restore(r, wanted);
    free(wanted);
    return rc;
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
    lr_str id = r->io.lead.lead_id;
    if (m->partition >= r->s1.n_lead_parts) {
        /* partitions added to the leads topic while running: its table and
         * changelog layout were fixed at start */
        lr_kafka_fail(r, "%s has a partition %d now, more than the %d it had at start: add as many "
                         "to kafka.topics.lead_domains %s and restart the router",
                      r->kc->topics.leads, (int)m->partition, r->s1.n_lead_parts,
                      r->kc->topics.lead_domains);
        return 0;
    }
    int32_t domain = lr_route_lead_domain(rc, &r->io.lead);
    int32_t part = r->s1.domain_partition[domain];
    int32_t first = lr_domaintab_claim(r->s1.domains, id.s, id.len, part, m->partition, now,
                                       lr_qualify_duplicate_window_ms(r->cfg->rules.qualify));
    if (first >= 0) {
        if (!*h) *h = rd_kafka_headers_new(1);
        rd_kafka_header_add(*h, REPEAT_HEADER, -1, "1", 1);
        r->stats->repeats++;
        if (first != part) r->stats->repeats_kept++;
        return first;
    }
    const char *name = lr_route_domain_name(rc, domain);
    lr_buf *b = &r->s1.batch[m->partition];
    lr_domaintab_append(b, id.s, id.len, now, name, strlen(name)); /* sizes checked at start */
    if (b->len >= DOMAIN_BATCH_MAX) domain_batch_flush(r, m->partition);
    return part;
}

/* Stage 1: the original key, value and headers go on to the repartition
 * partition of the message's routing domain: a lead's from its attributes or
 * the table, an activity's from the table (its lead's domain) when the lead
 * came through this instance within the window, else from its rep. */
void lr_kafka_stage1_forward(runner *r, const rd_kafka_message_t *m, msg_kind kind,
                             lr_time_ms now) {
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
        lr_str lead = r->io.sales.lead_id;
        part = lead.s ? lr_domaintab_find(r->s1.domains, lead.s, lead.len, now) : -1;
        if (part < 0)
            part = r->s1.domain_partition[lr_route_rep_domain(
                rc, lr_route_rep_index(rc, r->io.sales.rep_id.s, r->io.sales.rep_id.len))];
    }
    lr_kafka_txn_begin(r);
    lr_kafka_produce(r, OUT_REPARTITION, part, m->key, m->key_len, m->payload, m->len, h);
}

/* Stage 1's table: kafka.topics.lead_domains partition p holds the entries of
 * leads partition p, so the two must have the same partition count. */
static int lead_domains_setup(runner *r) {
    const char *leads = r->kc->topics.leads, *topic = r->kc->topics.lead_domains;
    rd_kafka_t *rk = r->clients.producer;
    int nl = lr_kafka_client_topic_partitions(r, rk, leads, "kafka.topics.leads",
                                              "its partitions");
    if (nl < 0) return -1;
    int nt = lr_kafka_client_topic_partitions(r, rk, topic, "kafka.topics.lead_domains",
                                              "as many partitions as the leads topic, "
                                              "cleanup.policy=delete and retention.ms at least "
                                              "the duplicate window (or "
                                              "kafka.lead_domains_memory, when longer)");
    if (nt < 0) return -1;
    if (nt != nl) {
        lr_kafka_fail(r, "kafka.topics.lead_domains %s has %d partitions and kafka.topics.leads "
                         "%s has %d: they must be equal (partition p remembers the leads read "
                         "from leads partition p)",
                      topic, nt, leads, nl);
        return -1;
    }
    size_t nd = lr_route_domain_count(r->cfg->rules.route);
    for (size_t d = 0; d < nd; d++)
        if (strlen(lr_route_domain_name(r->cfg->rules.route, (int32_t)d)) > LR_DOMAINTAB_NAME_MAX) {
            lr_kafka_fail(r, "routing domain %s: the name is longer than %d bytes",
                          lr_route_domain_name(r->cfg->rules.route, (int32_t)d), LR_DOMAINTAB_NAME_MAX);
            return -1;
        }
    r->s1.n_lead_parts = nl;
    r->s1.owned = calloc((size_t)nl, sizeof(bool));
    r->s1.batch = calloc((size_t)nl, sizeof(lr_buf));
    if (!r->s1.owned || !r->s1.batch) abort();
    int64_t window = lr_qualify_duplicate_window_ms(r->cfg->rules.qualify);
    r->s1.domains = lr_domaintab_new(r->kc->lead_domains_memory_ms > window
                                      ? r->kc->lead_domains_memory_ms
                                      : window);
    return 0;
}

/* The repartition and state topics must exist with the same partition count:
 * state partition i holds the state of the domains on repartition partition i. */
int lr_kafka_stage1_setup(runner *r) {
    int np = lr_kafka_client_topic_partitions(r, r->clients.producer, r->kc->topics.repartition,
                                              "kafka.topics.repartition",
                                              "as many partitions as the state topic");
    if (np < 0) return -1;
    int ns = lr_kafka_restore_state_partitions(r, r->clients.producer);
    if (ns < 0) return -1;
    if (ns != np) {
        lr_kafka_fail(r, "kafka.topics.repartition %s has %d partitions and kafka.topics.state "
                         "%s has %d: they must be equal (state partition i holds the state "
                         "decided from repartition partition i)",
                      r->kc->topics.repartition, np, r->kc->topics.state, ns);
        return -1;
    }
    r->state.n_cores = np;
    r->state.cores = calloc((size_t)np, sizeof(*r->state.cores));
    size_t nd = lr_route_domain_count(r->cfg->rules.route);
    r->s1.domain_partition = calloc(nd, sizeof(*r->s1.domain_partition));
    if (!r->state.cores || !r->s1.domain_partition) abort();
    for (size_t d = 0; d < nd; d++) {
        const char *name = lr_route_domain_name(r->cfg->rules.route, (int32_t)d);
        r->s1.domain_partition[d] = domain_partition_of(name, strlen(name), np);
    }
    lr_kafka_log(r, "%zu routing domain(s) over %d repartition partition(s)", nd, np);
    return lead_domains_setup(r);
}

void lr_kafka_stage1_destroy(lr_kafka_stage1 *s1) {
    free(s1->domain_partition);
    lr_domaintab_free(s1->domains);
    free(s1->owned);
    for (int p = 0; s1->batch && p < s1->n_lead_parts; p++) lr_buf_free(&s1->batch[p]);
    free(s1->batch);
}
