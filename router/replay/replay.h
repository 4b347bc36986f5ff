/* replay.h - drive the decision core from JSON lines with event time, and
 * write every event the router would publish as JSON lines. The same input
 * and configuration always give byte-identical output. Lines are held to the
 * same input contract as Kafka messages (docs/events.md, "One contract for
 * every input"). Not pure: reads and writes files; single-threaded. */
#ifndef LR_REPLAY_H
#define LR_REPLAY_H

#include <stdio.h>

#include "config.h"

/* What a run counted, for callers that check it (tests, tools). */
typedef struct lr_replay_stats {
    uint64_t leads, activities, decisions;
    uint64_t back_in_time; /* events older than the clock, decided at the clock */
} lr_replay_stats;

typedef struct lr_replay_opts {
    const lr_config *cfg;
    const char *input;   /* path, or NULL / "-" for standard input */
    const char *output;  /* path, or NULL / "-" for standard output */
    lr_time_ms until;    /* advance the clock to here at the end; LR_TIME_NONE: don't.
                          * Else within the contract's time bounds (lead.h). */
    FILE *summary;       /* where the human summary goes (stderr); NULL: none */
    FILE *warnings;      /* "FILE:LINE: warning: ..." for events that go back in
                          * time (stderr, the first 10 then a count); NULL: none */
    lr_replay_stats *stats; /* filled on success when not NULL */
} lr_replay_opts;

/* 0 on success; 1 with err set: "input.jsonl:12: unknown field 'x'" for a bad
 * line or a contract violation (the same contract as Kafka's), "PATH: cannot
 * read: Is a directory" for a read error, never a short success. Allocates
 * the core and per-run buffers once; nothing per event. */
int lr_replay_run(const lr_replay_opts *opts, lr_err *err);

#endif
