/* replay.h - drive the decision core from JSON lines with event time, and
 * write every event the router would publish as JSON lines. The same input
 * and configuration always give byte-identical output. Lines are held to the
 * same input contract as Kafka messages (docs/events.md, "One contract for
 * every input"). The same driver runs two cores for `diff` (whatif.h) and
 * reads Kafka for --from-kafka (history.h). Not pure: reads and writes files;
 * the core and the output run on the caller's thread, a file is read ahead
 * on a thread of its own (lr_replay_readahead). */
#ifndef LR_REPLAY_H
#define LR_REPLAY_H

#include <stdio.h>

#include "config.h"
#include "core.h"
#include "jsonio.h"

/* What a run counted, for callers that check it (tests, tools). */
typedef struct lr_replay_stats {
    uint64_t leads, activities, decisions;
    uint64_t back_in_time; /* events older than the clock, decided at the clock */
    uint64_t roster_changes; /* roster and account_owner lines applied (or refused) */
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

/* ---- the driver, shared by replay and diff ----------------------------------
 * An input source hands out events in the order they are to be decided: a
 * JSON-lines file (below), or a time range of Kafka topics (history.h).
 * next: 0 with *ev set (strings in `arena`, valid until the next call) and
 * *pos its position for warnings (line or record number); 1 at the end; -1
 * with err set. */
typedef struct lr_replay_source {
    const char *name; /* "input.jsonl", "kafka": warnings say NAME:POS */
    int (*next)(void *ctx, lr_json_input *ev, lr_arena *arena, long *pos, lr_err *err);
    void *ctx;
    /* Optional (NULL: the cores start empty): called once with every fresh
     * core before the first event, for a source that knows the state as of
     * its start (history.h, --from-state). 0, or -1 with err set. */
    int (*prepare)(void *ctx, lr_core *const *cores, size_t n, lr_err *err);
} lr_replay_source;

/* Called once per input event (and once for --until), after every core has
 * decided it: outs[i] holds what core i published, in order. 0, or -1 with
 * err set (a write error). The driver resets the buffers afterwards. */
typedef int (*lr_replay_emit_fn)(void *ctx, lr_out *const *outs, size_t n, lr_err *err);

#define LR_REPLAY_MAX_CORES 2

typedef struct lr_replay_drive_opts {
    lr_replay_source *src;
    lr_core *cores[LR_REPLAY_MAX_CORES]; /* borrowed; each gets every event */
    size_t n_cores;
    size_t max_bytes;                  /* kafka.max_message_bytes, for sources that check */
    lr_replay_emit_fn emit;
    void *emit_ctx;
    lr_time_ms until;                  /* as in lr_replay_opts */
    FILE *warnings;                    /* as in lr_replay_opts */
    lr_tz_db *tz;                      /* zones named by roster lines; NULL: none known */
} lr_replay_drive_opts;

/* Feeds every event of src to every core in event time, visiting each SLA
 * deadline on the way. 0, or 1 with err set. stats: leads, activities and
 * back_in_time (decisions are the emitter's to count). Allocates per run,
 * never per event. */
int lr_replay_drive(const lr_replay_drive_opts *o, lr_replay_stats *stats, lr_err *err);

/* Reads `inner` ahead on a thread of its own into a ring of events, so that
 * reading and parsing overlap with deciding; *out is the source to use.
 * Only for sources whose events live in the arena they are given (the file
 * source does this itself). Stops the thread and frees the ring on _free. */
typedef struct lr_replay_readahead lr_replay_readahead;
lr_replay_readahead *lr_replay_readahead_new(const lr_replay_source *inner, lr_replay_source *out);
void lr_replay_readahead_free(lr_replay_readahead *r);

/* A JSON-lines file (or standard input for NULL / "-") as a source, read
 * ahead on a thread (lr_replay_readahead). */
typedef struct lr_replay_file lr_replay_file;
lr_replay_file *lr_replay_file_open(const char *path, size_t max_bytes, lr_replay_source *src,
                                    lr_err *err);
void lr_replay_file_close(lr_replay_file *f);

/* 0 on success; 1 with err set: "input.jsonl:12: unknown field 'x'" for a bad
 * line or a contract violation (the same contract as Kafka's), "PATH: cannot
 * read: Is a directory" for a read error, never a short success. Allocates
 * the core and per-run buffers once; nothing per event. */
int lr_replay_run(const lr_replay_opts *opts, lr_err *err);

/* The same from any source (opts->input is ignored): replay --from-kafka. */
int lr_replay_run_from(const lr_replay_opts *opts, lr_replay_source *src, lr_err *err);

#endif
