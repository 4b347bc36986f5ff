/* kafka_reload.c - a new rulebook while running (docs/operations.md,
 * "Reload").
 *
 * A request (SIGHUP, POST /-/reload) only sets a flag; the main loop sees it
 * between two messages and calls lr_kafka_reload_run, which
 *   1. re-reads and validates the file exactly as `check` does
 *      (lr_config_load); a broken file is refused with FILE:LINE in the log
 *      and the old rules stay;
 *   2. reports the settings that need a restart (everything under `kafka:`
 *      and `http:`) and keeps running with the old ones; the rest applies;
 *   3. commits the open window and waits for it, so that every transaction
 *      holds the decisions of one rulebook only (in at_least_once: every
 *      record acknowledged and the offsets committed);
 *   4. moves the decision state to a core built on the new rulebook, by name,
 *      as a restart would restore it (lr_core_move);
 *   5. applies log.format and log.level;
 *   6. gives /metrics the new rulebook's tiers, teams and reps as labels,
 *      every count so far carried over by name (lr_metrics_reshape).
 * Shared mode (kafka.topics.repartition) refuses reloads: there the
 * rulebook also decides which partition decides a lead, and changing it
 * under running instances would split a lead's state; restart the
 * instances instead.
 *
 * Cost: none per lead; a reload reads a file and walks the state once. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "kafka_int.h"
#include "notify.h"

/* Set by a signal handler or by the HTTP thread, read by the main loop: a
 * lock-free atomic is safe for both. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a reload request must be async-signal-safe");
static atomic_int reload_requested;

void lr_kafka_request_reload(void) { atomic_store(&reload_requested, 1); }

bool lr_kafka_reload_pending(void) {
    return atomic_load_explicit(&reload_requested, memory_order_relaxed) != 0;
}

static void outcome(runner *r, bool ok) {
    if (ok) r->stats->reloads++;
    else r->stats->reload_failures++;
    if (r->opts->on_reload) r->opts->on_reload(r->opts->on_reload_ctx, ok, lr_wall_clock_ms(NULL));
    lr_notify_ready("routing");
}

/* Step 2: the new file's kafka settings are not applied; say which differ. */
static void report_restart_keys(runner *r, const lr_config *next) {
    const char *names[16];
    size_t n = lr_config_restart_keys(r->opts->cfg, next, r->opts->transactional_id_overridden,
                                      names, 16);
    if (!n) return;
    char list[512];
    size_t at = 0;
    for (size_t i = 0; i < n && i < 16 && at < sizeof(list); i++)
        at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "", names[i]);
    lr_log_kv(LR_LOG_WARN,
              "reload: these settings cannot change while running and keep their running "
              "values until a restart",
              LR_LOG_STR("needs_restart", list));
}

/* Step 4: each core on the new rulebook, its state moved by name. */
static void move_cores(runner *r, const lr_config *next) {
    for (int i = 0; i < r->state.n_cores; i++) {
        lr_core *old = r->state.cores[i];
        if (!old) continue;
        lr_core *c = lr_core_move(old, &next->rules, 100000);
        lr_core_free(old);
        r->state.cores[i] = c;
        const lr_core_restore_stats *st = lr_core_restore_stats_get(c);
        lr_log_kv(LR_LOG_INFO, "reload: decision state moved to the new rulebook",
                  LR_LOG_INT("records", st->applied + st->skipped + st->malformed),
                  LR_LOG_INT("applied", st->applied), LR_LOG_INT("skipped", st->skipped),
                  LR_LOG_INT("leads", lr_lifecycle_count(lr_core_lifecycle(c))),
                  LR_LOG_INT("open_clocks", lr_lifecycle_open_clocks(lr_core_lifecycle(c))));
    }
}

void lr_kafka_reload_run(runner *r) {
    atomic_store(&reload_requested, 0);
    lr_notify_reloading("reloading");
    if (!r->opts->config_path) {
        lr_log(LR_LOG_ERROR, "reload refused: this run has no configuration file to re-read");
        return outcome(r, false);
    }
    if (r->partitioned) {
        lr_log_kv(LR_LOG_ERROR,
                  "reload refused: with kafka.topics.repartition the rulebook decides which "
                  "instance decides a lead; restart the instances instead",
                  LR_LOG_STR("file", r->opts->config_path));
        return outcome(r, false);
    }
    lr_err err = {0};
    lr_config *next = lr_config_load(r->opts->config_path, &err);
    if (!next) {
        lr_log_kv(LR_LOG_ERROR, "reload refused, the old rules stay in force",
                  LR_LOG_STR("reason", err.msg), LR_LOG_STR("file", r->opts->config_path));
        return outcome(r, false);
    }
    report_restart_keys(r, next);
    /* Step 3: the window decided with the old rules commits on its own. */
    lr_kafka_txn_commit_window(r);
    if (r->fatal) {
        lr_config_free(next);
        return;
    }
    lr_kafka_metrics_flush(r); /* the old cores' last counts, before they go */
    move_cores(r, next);
    lr_kafka_metrics_reshape(r, &next->rules);
    r->cfg = next;
    lr_config_free(r->reloaded); /* nothing points into the previous one now */
    r->reloaded = next;
    lr_log_setup(next->log.format, next->log.level, STDERR_FILENO);
    lr_log_kv(LR_LOG_INFO, "reload: the new rules are in force",
              LR_LOG_STR("file", r->opts->config_path),
              LR_LOG_INT("teams", lr_route_team_count(next->rules.route)),
              LR_LOG_INT("reps", lr_route_rep_count(next->rules.route)));
    outcome(r, true);
}
