/* kafka_restore.c - the decision state from the changelog: fresh cores are
 * rebuilt from kafka.topics.state (read_committed, to the high watermark) at
 * start, when a repartition partition is assigned, and after an aborted
 * transaction, before any input is decided with them. The reading itself
 * (lr_kafka_restore_targets, lr_kafka_restore_read) also restores stage 1's
 * table (kafka_stage1.c). Half a state never decides: a restore stopped
 * midway drops its cores. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "kafka_int.h"
#include "notify.h"

static lr_core *core_new(runner *r) {
    lr_core *c = lr_core_new(&r->cfg->rules, 100000);
    lr_core_track_changes(c);
    return c;
}

int lr_kafka_restore_state_partitions(runner *r, rd_kafka_t *rk) {
    return lr_kafka_client_topic_partitions(r, rk, r->kc->topics.state, "kafka.topics.state",
                                            "cleanup.policy=compact");
}

/* Marks each wanted partition with records as not done, with its end (see
 * lr_kafka_restore_part), and adds it to `parts` from the beginning.
 * Returns how many there are; -1 after lr_kafka_fail(). */
int lr_kafka_restore_targets(runner *r, const char *topic, lr_kafka_restore_part *rp, int np,
                                    rd_kafka_topic_partition_list_t *parts) {
    rd_kafka_t *wm = lr_kafka_client_reader_new(r, "read_uncommitted");
    if (!wm) return -1;
    int remaining = 0;
    for (int p = 0; p < np && remaining >= 0; p++) {
        rp[p].done = true;
        if (!rp[p].wanted) continue;
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(wm, topic, p, &lo, &hi, 30000);
        if (e) {
            lr_kafka_fail(r, "topic %s [%d]: cannot read offsets: %s", topic, p,
                          rd_kafka_err2str(e));
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
    return r->partitioned ? r->state.cores[p] : r->state.cores[0];
}

static void restore_log(runner *r, const lr_kafka_restore_part *rp, int p, lr_time_ms t0) {
    lr_core *core = restore_core(r, p);
    const lr_core_restore_stats *st = lr_core_restore_stats_get(core);
    char which[64] = "";
    if (r->partitioned) snprintf(which, sizeof(which), " [%d]", p);
    lr_kafka_log(r, "state restored from %s%s: %" PRIu64 " records, %" PRIu64 " applied, %" PRIu64
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
    const lr_route_state *st = lr_core_route_state(r->state.cores[p]);
    const lr_route_config *rc = r->cfg->rules.route;
    char names[320] = "";
    size_t len = 0;
    int reps = 0;
    long open = 0;
    for (size_t i = 0; i < st->n_reps; i++) {
        if (st->reps[i].open <= 0 ||
            r->s1.domain_partition[lr_route_rep_domain(rc, (int32_t)i)] == p)
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
        lr_kafka_warn(r, "WARNING: state partition %d holds %ld open lead(s) of %d rep(s) whose "
                        "routing domain is decided on another partition now: %s. The rulebook "
                        "moved them: their loads count from zero there until these leads close, "
                        "and the leads' clocks still fire here (docs/operations.md, \"Several "
                        "instances\")",
                     p, open, reps, names);
}

static void apply_state(runner *r, int32_t p, const rd_kafka_message_t *m) {
    lr_core_restore(restore_core(r, p), m->key, m->key_len, m->payload, m->len);
}

/* Reads the wanted partitions of a changelog from the beginning to their end
 * (read_committed: what committed transactions wrote), all at once, each
 * keyed record to `apply`. Returns 0; -2 when a stop was requested meanwhile
 * (what was restored is then incomplete); -1 after lr_kafka_fail(). */
int lr_kafka_restore_read(runner *r, rd_kafka_t *rk, const char *topic,
                          lr_kafka_restore_part *rp, int np, int remaining,
                          lr_kafka_restore_apply_fn *apply) {
    lr_time_ms last_progress = lr_wall_clock_ms(NULL), last_note = last_progress;
    lr_time_ms last_beat = last_progress;
    while (remaining > 0) {
        volatile sig_atomic_t *stop = r->opts->stop;
        if (stop && *stop) return -2;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (lr_kafka_client_denied(r)) {
            if (m) rd_kafka_message_destroy(m);
            return -1;
        }
        lr_time_ms now = lr_wall_clock_ms(NULL);
        lr_notify_watchdog(now); /* a long restore is progress, not a stuck loop */
        if (now - last_beat >= 200) { /* alive (/healthz) while not ready (/readyz) */
            lr_kafka_metrics_heartbeat(r);
            last_beat = now;
        }
        if (!m) {
            if (now - last_progress > 900000) {
                lr_kafka_fail(r, "topic %s: no progress for 15 minutes while restoring", topic);
                return -1;
            }
            if (now - last_note > 5000) {
                lr_kafka_log(r, "topic %s: waiting for an open transaction to end before the "
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
            lr_kafka_warn(r, "state reader: %s", rd_kafka_message_errstr(m));
            if (m->err == RD_KAFKA_RESP_ERR__FATAL || m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                lr_kafka_fail(r, "topic %s: %s", topic, rd_kafka_message_errstr(m));
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
 * dropped: half a state must never decide); -1 after lr_kafka_fail(). */
int lr_kafka_restore_cores(runner *r, const bool *wanted) {
    lr_time_ms t0 = lr_wall_clock_ms(NULL);
    lr_kafka_metrics_restoring(r, true, 0, 0);
    uint64_t restored = 0;
    rd_kafka_t *rk = lr_kafka_client_reader_new(r, "read_committed");
    if (!rk) return -1;
    int np = lr_kafka_restore_state_partitions(r, rk);
    int rc = -1;
    lr_kafka_restore_part *rp = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (np < 0) goto out;
    rp = calloc((size_t)np, sizeof(*rp));
    if (!rp) abort();
    for (int p = 0; p < np; p++)
        rp[p].wanted = !r->partitioned || (p < r->state.n_cores && wanted[p]);
    for (int i = 0; i < r->state.n_cores; i++) {
        if (r->partitioned && !rp[i].wanted) continue;
        lr_core_free(r->state.cores[i]);
        r->state.cores[i] = core_new(r);
    }
    parts = rd_kafka_topic_partition_list_new(np);
    int remaining = lr_kafka_restore_targets(r, r->kc->topics.state, rp, np, parts);
    if (remaining < 0) goto out;
    rd_kafka_assign(rk, parts);
    rc = lr_kafka_restore_read(r, rk, r->kc->topics.state, rp, np, remaining, apply_state);
    if (rc < 0) goto out;
    for (int i = 0; i < r->state.n_cores; i++) {
        if (!r->state.cores[i] || (r->partitioned && !rp[i].wanted)) continue;
        lr_core_restore_done(r->state.cores[i]);
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
        for (int i = 0; i < r->state.n_cores; i++)
            if (!r->partitioned || (i < np && rp && rp[i].wanted)) {
                lr_core_free(r->state.cores[i]);
                r->state.cores[i] = NULL;
            }
    if (parts) rd_kafka_topic_partition_list_destroy(parts);
    for (int p = 0; rc >= 0 && p < np; p++)
        if (rp[p].wanted) restored += rp[p].records;
    free(rp);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    lr_kafka_metrics_restoring(r, false, restored,
                               (double)(lr_wall_clock_ms(NULL) - t0) / 1000.0);
    return rc;
}

/* A revoked repartition partition's state goes with it. */
void lr_kafka_restore_drop(lr_kafka_state *st, int i) {
    lr_core_free(st->cores[i]);
    st->cores[i] = NULL;
}

