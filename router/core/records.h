/* records.h - the lead records: one fixed-size record per lead, found by lead
 * id, holding its owner, history and per-lead sequence number, the duplicate
 * window (records are evicted once closed and past it), the sales activity
 * ids seen recently (duplicates), and the changelog marks (records changed
 * since the last drain, tombstones of evicted ones).
 *
 * Cost: O(1) expected per find, add and mark; memory grows amortized and
 * follows the leads still worth keeping, nothing is allocated per lead in
 * steady state. Records live in chunks that never move (leadtab.h), so an
 * index and a record pointer stay valid until the record is removed. Owns its
 * records; pure (time comes in as `now`). The SLA engine (sla.h) runs the
 * clocks whose state sits in the record; lifecycle.h ties both together. */
#ifndef LR_RECORDS_H
#define LR_RECORDS_H

#include "common.h"
#include "event.h"
#include "lead.h"
#include "sla.h"

#define LR_MAX_OWNERS (LR_SLA_MAX_REASSIGNMENTS + 1) /* owner history kept per lead (no ping-pong) */
#define LR_RECENT_ACTIVITIES 4 /* sales activity ids remembered per lead */
#define LR_RECORDS_NONE UINT32_MAX

/* What happened to the lead so far (docs/sla.md, "lead states"). */
typedef enum lr_rec_state {
    LR_REC_NEW = 0,      /* created for a sequence number, not decided yet */
    LR_REC_NURTURE,      /* marketing-qualified or nurture      (no owner) */
    LR_REC_DISQUALIFIED, /*                                     (no owner) */
    LR_REC_QUEUED,       /* sales-ready, waiting in a queue     (no owner) */
    LR_REC_OPEN,         /* assigned, waiting for the first touch */
    LR_REC_CONTACTED,    /* first touch done, clock stopped */
    LR_REC_ACCEPTED,     /* accepted by the owner */
    LR_REC_CLOSED,       /* rejected, converted or recycled: load released */
    LR_REC__COUNT
} lr_rec_state;

/* lr_lead_rec.flags */
#define LR_REC_BREACHED 0x01  /* the current assignment breached */
#define LR_REC_ESCALATED 0x02 /* ... and its ladder escalated: the SLA life ended */
#define LR_REC_DIRTY 0x04     /* changed since the last changelog drain */
#define LR_REC_PENDING 0x08   /* restored with a clock that restore_done arms */
#define LR_REC_RECENT_SHIFT 6 /* bits 6-7: next slot of recent[] */
#define LR_REC_SLA_MASK (LR_REC_BREACHED | LR_REC_ESCALATED)
#define LR_REC_RECENT_MASK (3u << LR_REC_RECENT_SHIFT)

/* What is kept per lead. Fixed size: no allocation per lead. */
typedef struct lr_lead_rec {
    char id[LR_MAX_ID_LEN + 1];
    int64_t seq;               /* last sequence number used for this lead's events */
    lr_time_ms first_seen;     /* event_time of the lead message that created the
                                * record; "@<first_seen>" ends every event id */
    lr_time_ms last_decided;   /* duplicate window runs from here */
    lr_stage stage;
    int32_t tier;              /* -1 untiered */
    int32_t team, owner;       /* -1 when none */
    int32_t attempt;           /* assignments so far */
    int32_t reassignments;     /* by escalation */
    int32_t owners[LR_MAX_OWNERS]; /* everyone who had it, oldest first */
    uint8_t n_owners;
    uint8_t state;             /* lr_rec_state */
    double score;
    lr_time_ms assigned_at;    /* current assignment */
    uint16_t source_id, campaign_id; /* interned, for KPIs */
    /* SLA state of the current assignment (sla.h, docs/sla.md). */
    uint32_t clock;            /* timing-wheel clock id, 0 when no clock runs */
    int16_t policy;            /* SLA policy index, -1 when none applies */
    uint8_t phase;             /* what the clock fires next: warning, breach, step k */
    uint8_t flags;             /* LR_REC_* */
    int32_t assign_seq;        /* seq of the current assignment's decision, 0 when none */
    lr_time_ms due_at;         /* first-touch deadline, LR_TIME_NONE when no policy */
    uint64_t recent[LR_RECENT_ACTIVITIES]; /* hashes of recent activity ids (duplicates) */
    /* The running clock's next instant and when it was (re)armed, counted per
     * engine: the wheel fires equal instants in arming order, and a restore
     * re-arms in this order to reproduce it. */
    lr_time_ms clock_due;
    uint64_t clock_order;
} lr_lead_rec;

typedef struct lr_records lr_records;

/* window: how long a closed record is kept after its last decision (the
 * duplicate window). */
lr_records *lr_records_new(size_t expected_leads, int64_t window);
void lr_records_free(lr_records *rs);

/* The latest time seen; eviction age is measured to it. */
void lr_records_note_now(lr_records *rs, lr_time_ms now);
lr_time_ms lr_records_now(const lr_records *rs);

/* Index of the record of that id, or LR_RECORDS_NONE. */
uint32_t lr_records_find(const lr_records *rs, const char *id, size_t len);
/* The same, for the lead being decided: the calls that follow for the same
 * lead then find it without a probe. */
uint32_t lr_records_lookup(lr_records *rs, const char *id, size_t len);
/* The record of id, created (state NEW, first_seen as given) when absent.
 * Creating may evict other records (closed, past the window, no clock). */
uint32_t lr_records_get(lr_records *rs, lr_str id, lr_time_ms first_seen);
lr_lead_rec *lr_records_at(const lr_records *rs, uint32_t idx);
/* Makes room when the table is full (qualification.max_leads): removes the
 * records without an owner or a clock (nurture, disqualified, queued,
 * closed) whose last decision is oldest, even inside the duplicate window,
 * until about `want` are gone (ages are compared in powers of two, so it may
 * remove up to twice as many). Records an owner holds are never removed.
 * Returns how many went. Two passes over the table: call it rarely. */
size_t lr_records_make_room(lr_records *rs, size_t want);
/* Removes a record (its clock must be stopped first). */
void lr_records_remove(lr_records *rs, uint32_t idx);
size_t lr_records_count(const lr_records *rs);

/* Start loading the index slot of an id / a record, to be used soon. */
void lr_records_prefetch_id(lr_records *rs, const char *id, size_t len);
void lr_records_prefetch(const lr_records *rs, uint32_t idx);

/* Reserves the lead's next sequence number. */
static inline int64_t lr_records_next_seq(lr_lead_rec *r) { return ++r->seq; }
/* Remembers a sales activity id; false when it was seen recently. */
bool lr_records_remember(lr_lead_rec *r, lr_str activity_id);

/* ---- changelog marks ------------------------------------------------------------
 * Off by default (replay and tests pay nothing). When on, lr_records_mark
 * flags a record dirty (and lists it, amortized), and every evicted record
 * leaves a tombstone. While restoring, nothing is evicted. */
void lr_records_track(lr_records *rs, bool on);
void lr_records_restoring(lr_records *rs, bool on);
void lr_records_mark(lr_records *rs, uint32_t idx);
/* Calls fn for every tombstone (rec NULL) and then every record marked since
 * the last call, and clears the marks; returns how many calls. */
typedef void (*lr_records_emit_fn)(void *ctx, const char *id, const lr_lead_rec *rec);
size_t lr_records_changes(lr_records *rs, lr_records_emit_fn fn, void *ctx);
/* Calls fn for every record (a reload's state move, core.h; the dashboard's
 * clocks, now and then, never per lead): O(records ever handed out); the
 * marks are left as they are. Returns how many. */
size_t lr_records_each(const lr_records *rs, lr_records_emit_fn fn, void *ctx);

#endif
