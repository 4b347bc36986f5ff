/* metrics.h - the process's figures for /metrics, /healthz and /readyz:
 * what the processing thread counted, published as a snapshot that the HTTP
 * thread reads, plus health and readiness flags.
 *
 * Cost: the processing thread counts in its own plain uint64 fields (core,
 * kafka stats) and calls lr_metrics_publish a few times a second (once per
 * loop turn at most, never per lead): it fills the back snapshot and swaps it
 * with the front one under a mutex held for a pointer swap. The HTTP thread
 * renders the front snapshot under the same mutex. Flags are relaxed atomics.
 * librdkafka's statistics JSON is kept as it came (a pointer swap on the
 * thread that served the callback) and parsed with jansson only when scraped.
 *
 * Memory: lr_metrics owns copies of every name (tiers, teams, reps) and both
 * snapshots, all sized at lr_metrics_new and again at a reload that changes
 * the rulebook (lr_metrics_reshape); nothing is allocated per publish.
 * Labels are bounded: stage, tier, team, rep, dead-letter reason code, topic
 * and partition. Never a lead id or any personal data.
 *
 * Not pure (threads, clocks); no Kafka or HTTP here. */
#ifndef LR_METRICS_H
#define LR_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "hist.h"

typedef struct lr_metrics lr_metrics;

/* Dead-letter reason codes (the `lead-router-error-code` header's values). */
typedef enum lr_metrics_dl {
    LR_DL_TOO_LARGE = 0, LR_DL_BAD_MAGIC, LR_DL_UNKNOWN_SCHEMA, LR_DL_MALFORMED,
    LR_DL_CONTRACT, LR_DL_UNEXPECTED_TOPIC, LR_DL_OVER_CAPACITY, LR_DL_OTHER, LR_DL__COUNT
} lr_metrics_dl;
lr_metrics_dl lr_metrics_dl_of(const char *code);

/* Per-team SLA counters, in this order. */
enum { LR_MT_WARNINGS = 0, LR_MT_BREACHES, LR_MT_ESCALATIONS, LR_MT_MET, LR_MT_MISSED,
       LR_MT__COUNT };

/* A Prometheus histogram with fixed bounds (lr_metrics_hist_bounds). */
#define LR_METRICS_HIST_BOUNDS 14
typedef struct lr_metrics_hist {
    uint64_t le[LR_METRICS_HIST_BOUNDS]; /* cumulative counts, bound by bound */
    uint64_t count;
    double sum;                          /* seconds */
} lr_metrics_hist;
typedef enum lr_metrics_hist_kind {
    LR_MH_LATENCY = 0, LR_MH_TTFT, LR_MH_COMMIT, LR_MH__COUNT
} lr_metrics_hist_kind;
/* The upper bounds of kind k, in seconds. */
const double *lr_metrics_hist_bounds(lr_metrics_hist_kind k);
/* Adds one observation (seconds) to a histogram. */
void lr_metrics_hist_add(lr_metrics_hist *h, lr_metrics_hist_kind k, double seconds);
/* Adds a core histogram of milliseconds (lr_hist_count_le per bound: a value
 * between two of lr_hist's bucket bounds counts in the next bound up). */
void lr_metrics_hist_merge(lr_metrics_hist *h, lr_metrics_hist_kind k, const lr_hist *src);

/* One snapshot: what the processing thread fills at each publish. Arrays
 * are sized by the shape given to lr_metrics_new. */
typedef struct lr_metrics_snap {
    uint64_t leads_in, sales_in, duplicates, shed, transactions, aborts;
    uint64_t dead_letters[LR_DL__COUNT];
    uint64_t *decisions;   /* [stage * (n_tiers + 1) + tier + 1], as lr_core_counts */
    uint64_t *assignments; /* [team * n_reps + rep] */
    uint64_t *sla_team;    /* [team * LR_MT__COUNT + counter] */
    uint64_t sla_total[LR_MT__COUNT]; /* every team and none */
    uint64_t open_clocks;
    lr_metrics_hist hist[LR_MH__COUNT];
    uint64_t producer_queue;        /* messages and requests in the producer's queue */
    uint64_t restore_records;       /* changelog records read by restores */
    double restore_seconds;         /* the last restore */
    uint64_t restores;
} lr_metrics_snap;

typedef struct lr_metrics_shape {
    size_t n_tiers, n_teams, n_reps;
    const char *const *tiers, *const *teams, *const *reps; /* copied */
    const char *version;
    const char *rulebook_hash;  /* hex of lr_hash64 over the config file's bytes */
} lr_metrics_shape;

lr_metrics *lr_metrics_new(const lr_metrics_shape *shape);
void lr_metrics_free(lr_metrics *m);

/* ---- processing thread -------------------------------------------------------- */

/* The back snapshot, holding only what earlier rulebooks' cores counted
 * (zero until a reload): fill it, then publish. */
lr_metrics_snap *lr_metrics_back(lr_metrics *m);
/* Adds a core's counts, open clocks and KPIs (metrics_core.c); a core whose
 * rulebook has another shape than m's adds its KPIs only. */
struct lr_core;
void lr_metrics_add_core(lr_metrics_snap *s, const lr_metrics *m, struct lr_core *core);
void lr_metrics_publish(lr_metrics *m);
size_t lr_metrics_n_tiers(const lr_metrics *m);
size_t lr_metrics_n_teams(const lr_metrics *m);
size_t lr_metrics_n_reps(const lr_metrics *m);

/* The main loop turned (monotonic milliseconds). */
void lr_metrics_heartbeat(lr_metrics *m, int64_t mono_ms);
void lr_metrics_set_assigned(lr_metrics *m, bool assigned);
void lr_metrics_set_restoring(lr_metrics *m, bool restoring);
/* librdkafka said every broker is down (true), or something reached one (false). */
void lr_metrics_set_brokers_down(lr_metrics *m, bool down);
bool lr_metrics_brokers_down(const lr_metrics *m);
/* Keeps librdkafka's statistics JSON (a buffer the caller hands over);
 * free_fn frees the one it replaces. */
void lr_metrics_consumer_stats(lr_metrics *m, char *json, void (*free_fn)(void *));

/* Webhook deliveries (router/webhook/): counted by their owner with
 * relaxed atomics, read when /metrics is scraped. */
typedef struct lr_webhook_counts {
    _Atomic uint64_t sent;     /* delivered: a 2xx answer */
    _Atomic uint64_t retried;  /* attempts that failed and were tried again */
    _Atomic uint64_t failed;   /* given up: a 4xx answer, or failing past give_up_after */
    _Atomic uint64_t dropped;  /* the queue was full: never sent */
    _Atomic uint64_t queued;   /* waiting now (gauge) */
} lr_webhook_counts;
/* The counts to render (borrowed; NULL: no webhook lines). Before the HTTP
 * listener starts serving, or under no concurrent render. */
void lr_metrics_set_webhook_counts(lr_metrics *m, const lr_webhook_counts *c);

/* The labels of a rulebook (tiers, teams, reps); the name arrays are
 * malloc'd (the names are the rulebook's): lr_metrics_shape_destroy. */
struct lr_rulebook;
void lr_metrics_shape_of(lr_metrics_shape *sh, const struct lr_rulebook *rules);
void lr_metrics_shape_destroy(lr_metrics_shape *sh);

/* A reload moved the state to cores on another rulebook (processing thread,
 * after a publish of the old cores' counts and before any of the new ones'):
 * the labels become `sh`'s, and every count the old cores made carries on
 * under the same tier, team or rep name, so that no counter goes down
 * although the new cores count from zero. The counts of a name the new
 * rulebook lacks stop being exported (Prometheus sees that series end); a
 * new name starts at zero. O(names + old labels), under the lock only for
 * the pointer swaps. sh's version and rulebook_hash are ignored. */
void lr_metrics_reshape(lr_metrics *m, const lr_metrics_shape *sh);

/* For the reload (any thread): a reload took effect at unix time `unix_s`,
 * or was refused. */
void lr_metrics_reload_succeeded(lr_metrics *m, double unix_s);
void lr_metrics_reload_failed(lr_metrics *m);
/* The rulebook now in force (build_info's rulebook_hash), after a reload. */
void lr_metrics_set_rulebook_hash(lr_metrics *m, const char *hash);

/* ---- HTTP thread -------------------------------------------------------------- */

/* Renders the text exposition format 0.0.4 into *buf (grown with realloc;
 * *cap its size). Returns its length. */
size_t lr_metrics_render(lr_metrics *m, char **buf, size_t *cap);
/* The loop turned within timeout_ms of now. */
bool lr_metrics_healthy(const lr_metrics *m, int64_t now_mono_ms, int64_t timeout_ms);
/* Partitions assigned, state restored, a broker reachable; *why says what is not. */
bool lr_metrics_ready(const lr_metrics *m, const char **why);

int64_t lr_metrics_mono_ms(void);

/* A short table for a person (the demo's end): assignments per team and
 * rep, SLA met, missed and breached, routing latency. Reads the front
 * snapshot. */
#include <stdio.h>
void lr_metrics_print_summary(lr_metrics *m, FILE *f);

#endif
