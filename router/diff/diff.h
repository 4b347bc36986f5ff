/* diff.h - what changes when a proposed rulebook replaces the current one:
 * two cores decide the same events (replay's driver feeds both), and this
 * module compares what they published, event by event, and renders the
 * comparison as a terminal table, JSON or one self-contained HTML page.
 *
 * Compared per lead: the decision each lead event gets (stage, tier, team,
 * rep, queue, reasons). Counted per side: assignments per team and rep,
 * stages, tiers, queue and overflow, reassignments after a breach, SLA
 * warnings and breaches, first touches within or past the SLA.
 *
 * Pure and deterministic: links the core only, reads no clock or file. Cost:
 * lr_diff_add is a few hash lookups per decision and allocates nothing in
 * steady state (the per-lead line buffer grows to its high-water mark).
 * Memory: the diff owns its tables; the rulebooks are borrowed and must
 * outlive it. Single-threaded. */
#ifndef LR_DIFF_H
#define LR_DIFF_H

#include "buf.h"
#include "out.h"
#include "rulebook.h"

typedef struct lr_diff lr_diff;

lr_diff *lr_diff_new(const lr_rulebook *before, const lr_rulebook *after);
void lr_diff_free(lr_diff *d);

/* One input event's output from each side (what the driver hands its
 * emitter). When `leads` is not NULL, a JSON line is appended to it for a
 * lead whose decision differs: lead id, before, after, the first reason that
 * differs. */
void lr_diff_add(lr_diff *d, const lr_out *before, const lr_out *after, lr_buf *leads);

/* Leads decided by both sides, and those whose owner or stage differs. */
uint64_t lr_diff_decided(const lr_diff *d);
uint64_t lr_diff_changed(const lr_diff *d);
double lr_diff_changed_pct(const lr_diff *d); /* 0 when nothing was decided */
/* True when more than pct % of decided leads changed owner or stage. */
bool lr_diff_changed_more_than(const lr_diff *d, double pct);

/* The report. Names label the sides ("current.yaml"); output is appended,
 * byte-identical for the same input. html is one page: inline CSS and SVG,
 * no script, no external asset. */
void lr_diff_text(const lr_diff *d, const char *before, const char *after, lr_buf *out);
void lr_diff_json(const lr_diff *d, const char *before, const char *after, lr_buf *out);
void lr_diff_html(const lr_diff *d, const char *before, const char *after, lr_buf *out);

#endif
