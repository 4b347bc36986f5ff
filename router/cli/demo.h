/* demo.h - `lead-router demo`: the whole system on an embedded broker.
 *
 * librdkafka's in-process mock cluster stands in for Kafka; a generator
 * produces realistic leads (and a few broken messages), simulated reps answer
 * their assignments, and the router runs exactly as `run` does, on a clock
 * that runs faster than real time so SLA warnings and breaches show within
 * seconds. It prints a line per decision and alert, then a JSON summary. */
#ifndef LR_DEMO_H
#define LR_DEMO_H

#include <signal.h>

#include "common.h"

typedef struct lr_demo_opts {
    const char *config_path;   /* NULL: the built-in example configuration */
    double seconds;            /* real seconds to run */
    double speed;              /* simulated seconds per real second */
    double leads_per_second;   /* real-time production rate */
    uint64_t seed;
    bool quiet;                /* summary only */
    volatile sig_atomic_t *stop;
} lr_demo_opts;

/* 0 on success (the summary printed), 1 on failure with err set. */
int lr_demo_run(const lr_demo_opts *opts, lr_err *err);

#endif
