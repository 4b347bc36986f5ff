/* whatif.h - `lead-router diff`: two rulebooks decide the same events in one
 * pass over the input (replay's driver with two cores), and the diff layer
 * compares and reports. Not pure: writes the report, the per-lead file and
 * the HTML page. Single-threaded; allocates per run, never per event. */
#ifndef LR_WHATIF_H
#define LR_WHATIF_H

#include "replay.h"

typedef struct lr_whatif_opts {
    const lr_config *before, *after;
    const char *before_name, *after_name; /* labels in the report: the file names */
    FILE *report;           /* the terminal table or the JSON (stdout) */
    bool json;              /* JSON instead of the table */
    const char *leads_path; /* per-lead JSON lines of leads whose outcome differs; NULL: none */
    const char *html_path;  /* the HTML page; NULL: none */
    lr_time_ms until;       /* as replay's --until */
    FILE *warnings;         /* as replay's */
    double fail_pct;        /* > this % of decided leads changed: *exceeded; < 0: never */
} lr_whatif_opts;

/* 0 with *exceeded set, or 1 with err set (a bad input line, a write error). */
int lr_whatif_run(const lr_whatif_opts *o, lr_replay_source *src, bool *exceeded, lr_err *err);

#endif
