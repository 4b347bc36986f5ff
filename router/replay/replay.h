/* replay.h - drive the decision core from JSON lines with event time, and
 * write every event the router would publish as JSON lines. The same input
 * and configuration always give byte-identical output. */
#ifndef LR_REPLAY_H
#define LR_REPLAY_H

#include <stdio.h>

#include "config.h"

typedef struct lr_replay_opts {
    const lr_config *cfg;
    const char *input;   /* path, or NULL / "-" for standard input */
    const char *output;  /* path, or NULL / "-" for standard output */
    lr_time_ms until;    /* advance the clock to here at the end; LR_TIME_NONE: don't */
    FILE *summary;       /* where the human summary goes (stderr); NULL: none */
} lr_replay_opts;

/* 0 on success; 1 with err set ("input.jsonl:12: unknown field 'x'"). */
int lr_replay_run(const lr_replay_opts *opts, lr_err *err);

#endif
