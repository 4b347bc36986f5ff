/* metrics_int.h - private to router/metrics/: the lr_metrics struct shared
 * by metrics.c (publication, flags) and metrics_render.c (the text format). */
#ifndef LR_METRICS_INT_H
#define LR_METRICS_INT_H

#include <pthread.h>

#include "metrics.h"

struct lr_metrics {
    size_t n_tiers, n_teams, n_reps;
    char **tiers, **teams, **reps;
    char *version;
    char rulebook_hash[64];        /* under lock: a reload may change it */
    /* front: read by the HTTP thread under lock; back: the processing
     * thread's, swapped in by lr_metrics_publish */
    lr_metrics_snap snaps[2];
    lr_metrics_snap *front, *back;
    /* counts of the cores of earlier rulebooks, by this shape's names
     * (lr_metrics_reshape); lr_metrics_back starts every snapshot from it */
    lr_metrics_snap carried;
    bool published;
    pthread_mutex_t lock;
    char *stats_json;              /* librdkafka's last consumer statistics */
    void (*stats_free)(void *);
    _Atomic int64_t loop_mono_ms;
    atomic_bool assigned, restoring, brokers_down;
    _Atomic int64_t reload_ok_ms;  /* unix ms of the last successful reload; 0: none */
    _Atomic uint64_t reload_failures, reloads;
    const lr_webhook_counts *webhooks;  /* NULL: no sinks */
};

#endif
