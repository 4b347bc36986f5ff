/* lifecycle.h - what happens to a lead after the decision: its record
 * (records.h), its SLA clock (sla.h), the sales activity that answers it, the
 * status events marketing reads, the warnings, breaches and escalation steps,
 * and the KPIs (kpi.h). This module is the glue between them; each call costs
 * O(1) expected, and nothing is allocated per lead in steady state. Owns its
 * records, clocks and KPIs; borrows the rules. Pure: time comes in as `now`.
 *
 * The core calls it for every decision it makes; the lifecycle emits the
 * lead-status and alert events into the same lr_out. When an escalation step
 * says "reassign", lr_lifecycle_advance hands a request back to the core, which
 * routes it (excluding everyone who already had the lead) and reports the new
 * assignment with lr_lifecycle_decided. */
#ifndef LR_LIFECYCLE_H
#define LR_LIFECYCLE_H

#include "event.h"
#include "kpi.h"
#include "out.h"
#include "lead.h"
#include "qualify.h"
#include "records.h"
#include "route.h"
#include "sla.h"
#include "state.h"

typedef struct lr_lifecycle lr_lifecycle;

lr_lifecycle *lr_lifecycle_new(const lr_sla_config *scfg, const lr_qualify_config *qcfg,
                               const lr_route_config *rcfg, lr_route_state *rstate,
                               size_t expected_leads);
void lr_lifecycle_free(lr_lifecycle *lc);

/* The record of a lead, or NULL when never decided (or evicted after its
 * duplicate window with nothing open). */
const lr_lead_rec *lr_lifecycle_find(const lr_lifecycle *lc, const char *lead_id, size_t len);
/* The same as lr_lifecycle_find, for the lead being decided: the calls that
 * follow for the same lead then find its record without a probe. */
const lr_lead_rec *lr_lifecycle_lookup(lr_lifecycle *lc, const char *lead_id, size_t len);
/* Starts fetching what deciding this lead at `now` will touch (its slot in
 * the lead table, the record of the first clock due by `now`); call it before
 * work that needs neither, which the memory accesses then overlap. Moves the
 * clock wheel to `now`, which the next lr_lifecycle_advance(now) would do
 * first anyway; changes nothing else. */
void lr_lifecycle_prefetch(lr_lifecycle *lc, const char *lead_id, size_t len, lr_time_ms now);

/* Reserves the next sequence number for a lead's event (creating its record);
 * *since (when not NULL) gets the record's first_seen. Every
 * event id is "<lead>:<kind>:<seq>@<since>": seq restarts at 1 when an
 * evicted lead comes back, since tells the incarnations apart. */
int64_t lr_lifecycle_next_seq_since(lr_lifecycle *lc, const lr_lead *lead, lr_time_ms *since);

/* The core decided `d` (any stage, any cause) for `lead`; for a sales-ready lead
 * `r` says where it went. Records it, starts or restarts the SLA clock, emits
 * the status event, counts the KPIs. Sets d->sla_due_at when a clock started
 * (call before the decision event is encoded). */
void lr_lifecycle_decided(lr_lifecycle *lc, const lr_lead *lead, lr_decision *d,
                          const lr_route_result *r, lr_time_ms now, lr_out *out);

/* The core ignored a lead seen within the duplicate window. */
void lr_lifecycle_duplicate(lr_lifecycle *lc, const lr_lead *lead, lr_time_ms now,
                            lr_out *out);

/* A sales activity arrived: first touch stops the clock, accept / reject /
 * convert / recycle end the SLA life; duplicates and out-of-order ones are
 * recorded without effect; the rep's open count drops when the lead closes. */
void lr_lifecycle_on_sales(lr_lifecycle *lc, const lr_sales_activity *a, lr_time_ms now,
                           lr_out *out);

/* A lead the core must route again because an escalation step said reassign. */
typedef struct lr_reassign {
    const lr_lead_rec *rec;
    int32_t team;                        /* route within this team */
    const int32_t *exclude;              /* every previous owner */
    size_t n_exclude;
    const char *policy;
} lr_reassign;

/* Fires every warning, breach and escalation step due at or before `now`,
 * emitting alerts and statuses. Reassignments it wants are written to
 * `reassign` (at most max); it returns how many. Call again while it returns
 * max. */
size_t lr_lifecycle_advance(lr_lifecycle *lc, lr_time_ms now, lr_out *out,
                            lr_reassign *reassign, size_t max);

/* The earliest time something is due, LR_TIME_NONE when no clock is open. */
lr_time_ms lr_lifecycle_next_due(const lr_lifecycle *lc);
size_t lr_lifecycle_open_clocks(const lr_lifecycle *lc);

/* One running SLA clock, as the dashboard shows it: names borrowed from the
 * rulebook, the id from the record (valid during the callback only). */
typedef struct lr_clock_view {
    const char *lead_id, *team, *rep, *tier;
    lr_time_ms assigned_at, due_at; /* first-touch deadline */
    lr_time_ms next_at;             /* the clock's next instant (warning, breach, step) */
    bool breached;                  /* the deadline has passed */
} lr_clock_view;
/* Calls fn for every lead whose clock runs: O(records), for a view taken a
 * few times a minute at most, never per lead. */
void lr_lifecycle_each_clock(const lr_lifecycle *lc, lr_time_ms now,
                             void (*fn)(void *ctx, const lr_clock_view *c), void *ctx);

/* KPIs by team, source and campaign (no personal data); json/kpijson.h
 * renders them. */
const lr_kpi *lr_lifecycle_kpi(const lr_lifecycle *lc);

/* "new", "nurture", "disqualified", "queued", "open", "escalated", "contacted",
 * "accepted", "closed": the record's lifecycle state (docs/sla.md). */
const char *lr_lifecycle_state_name(const lr_lead_rec *rec);

/* ---- changelog (see state.h and docs/design.md) ------------------------------
 * Off by default (replay and tests pay nothing). When on, every record a call
 * changes is marked dirty (a flag in the record plus an index list that grows
 * amortized) and every evicted record leaves a tombstone. */
void lr_lifecycle_track_changes(lr_lifecycle *lc, bool on);
/* Emits "lead/<id>" for every record changed since the last call (NULL value:
 * evicted) and clears the marks; key and val are scratch buffers. */
size_t lr_lifecycle_changes(lr_lifecycle *lc, lr_buf *key, lr_buf *val, lr_state_sink_fn sink,
                            void *ctx);
/* Emits "lead/<id>" for every record, whether changed or not (the marks stay). */
size_t lr_lifecycle_snapshot(lr_lifecycle *lc, lr_buf *key, lr_buf *val, lr_state_sink_fn sink,
                             void *ctx);
/* Applies one "lead/<id>" changelog value (NULL: tombstone) to a lifecycle
 * being restored: last write wins. Clocks are armed by restore_done. Returns
 * 0 applied, 1 skipped (a tier, team, rep or policy name the configuration no
 * longer has), -1 malformed. */
int lr_lifecycle_restore(lr_lifecycle *lc, const char *id, size_t len, const void *val,
                         size_t vlen);
/* Arms the restored clocks at their stored instants, in their original arming
 * order; clocks already due fire at the next advance. */
void lr_lifecycle_restore_done(lr_lifecycle *lc);
size_t lr_lifecycle_count(const lr_lifecycle *lc); /* records held */
/* lr_records_make_room on the lifecycle's records (core.c's capacity rule). */
size_t lr_lifecycle_make_room(lr_lifecycle *lc, size_t want);

#endif
