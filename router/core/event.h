/* event.h - the events the decision core publishes (the buffer it publishes
 * them into is out.h).
 *
 * Mirrors schemas/LeadDecision.avsc, schemas/LeadStatus.avsc and
 * schemas/SlaAlert.avsc. The core appends to an lr_out; the adapter (Kafka,
 * replay) encodes and sends them, then resets the buffer. Every string an
 * event holds is owned by the config, by the caller's decode arena, or by
 * out->arena, so the whole batch lives until lr_out_reset. */
#ifndef LR_EVENT_H
#define LR_EVENT_H

#include "arena.h"
#include "common.h"
#include "lead.h"

#define LR_MAX_REASONS 64

typedef enum lr_stage {
    LR_STAGE_SALES_READY = 0,
    LR_STAGE_MARKETING_QUALIFIED,
    LR_STAGE_NURTURE,
    LR_STAGE_DISQUALIFIED,
    LR_STAGE__COUNT
} lr_stage;

/* What a reason line says. Order matches the Avro enum ReasonKind. */
typedef enum lr_reason_kind {
    LR_REASON_FIT_RULE = 0,     /* a fit rule added/subtracted points */
    LR_REASON_ENGAGEMENT_RULE,  /* engagement points after decay and cap */
    LR_REASON_NEGATIVE_SIGNAL,  /* a negative rule subtracted */
    LR_REASON_THRESHOLD,        /* tier / stage from the score thresholds */
    LR_REASON_OVERRIDE,         /* an override decided the stage */
    LR_REASON_DUPLICATE,        /* seen within the duplicate window */
    LR_REASON_REENGAGED,        /* came back after the window */
    LR_REASON_ROUTING_RULE,     /* the routing rule that matched */
    LR_REASON_ACCOUNT_OWNER,    /* the account table gave the owner */
    LR_REASON_PREVIOUS_OWNER,   /* a re-engaged lead went back to its owner */
    LR_REASON_STRATEGY,         /* the team's strategy and its state */
    LR_REASON_SKIPPED,          /* a candidate rep was skipped; detail says why */
    LR_REASON_CHOSEN,           /* the rep chosen, and why */
    LR_REASON_OVERFLOW,         /* no rep: overflow team or queue */
    LR_REASON_SLA,              /* SLA breach led to this (re)assignment */
    LR_REASON__COUNT
} lr_reason_kind;

typedef struct lr_reason {
    lr_reason_kind kind;
    const char *rule;   /* rule, team or policy name; may be NULL */
    const char *rep;    /* rep id for SKIPPED / CHOSEN; may be NULL */
    double points;      /* points for scoring reasons, else 0 */
    const char *detail; /* short machine-friendly text: "over_daily_cap 20/20" */
} lr_reason;

typedef enum lr_decision_cause {
    LR_CAUSE_NEW = 0,     /* first time this lead was decided */
    LR_CAUSE_REENGAGED,   /* seen again after the duplicate window */
    LR_CAUSE_SLA_REASSIGN,/* reassigned by an escalation step */
} lr_decision_cause;

typedef struct lr_decision {
    const char *event_id;  /* deterministic idempotency key: "<lead>:decision:<seq>@<since>" */
    int64_t seq;           /* per-lead sequence number across all its events */
    lr_str lead_id;
    lr_stage stage;
    const char *tier;      /* tier name from config; may be NULL */
    const char *team;      /* NULL unless assigned or queued */
    const char *rep;       /* NULL when queued or not sales-ready */
    const char *queue;     /* overflow queue name when no rep */
    double score, fit, engagement;
    lr_decision_cause cause;
    int32_t attempt;       /* 1 for the first assignment, +1 per reassignment */
    lr_time_ms event_time; /* the lead's event time */
    lr_time_ms decided_at; /* the core's clock when decided */
    lr_time_ms sla_due_at; /* first-touch deadline, LR_TIME_NONE when no clock */
    lr_str source, campaign;
    uint32_t n_reasons;
    uint32_t reasons_dropped;
    lr_reason reasons[LR_MAX_REASONS];
} lr_decision;

/* Lead status reported back to marketing: the feedback loop. */
typedef enum lr_status_kind {
    LR_STATUS_ASSIGNED = 0,
    LR_STATUS_QUEUED,        /* sales-ready but no rep: waiting in a queue */
    LR_STATUS_NURTURE,       /* marketing-qualified or nurture */
    LR_STATUS_DISQUALIFIED,
    LR_STATUS_DUPLICATE,     /* ignored: within the duplicate window */
    LR_STATUS_CONTACTED,
    LR_STATUS_ACCEPTED,
    LR_STATUS_REJECTED,
    LR_STATUS_CONVERTED,
    LR_STATUS_RECYCLED,
    LR_STATUS_SLA_BREACHED,
    LR_STATUS_REASSIGNED,
    LR_STATUS__COUNT
} lr_status_kind;

typedef struct lr_status {
    const char *event_id;   /* "<lead>:status:<seq>@<since>" */
    int64_t seq;
    lr_str lead_id;
    lr_status_kind status;
    lr_time_ms at;          /* core clock */
    lr_time_ms occurred_at; /* the triggering event's own time */
    const char *team, *rep; /* current owner, may be NULL */
    lr_str source, campaign;
    const char *tier;
    const char *reason;     /* rejection reason, breach policy... may be NULL */
    bool has_value;
    double value;           /* converted opportunity value */
    int64_t sla_elapsed_ms; /* contacted: time to first touch; -1 when n/a */
    bool sla_met;           /* contacted: within the SLA */
} lr_status;

typedef enum lr_alert_kind {
    LR_ALERT_WARNING = 0,  /* before the breach (e.g. 80 % of the time) */
    LR_ALERT_BREACH,       /* at the deadline */
    LR_ALERT_ESCALATION,   /* an escalation step addressed to someone */
} lr_alert_kind;

typedef struct lr_alert {
    const char *event_id;   /* "<lead>:alert:<seq>@<since>" */
    int64_t seq;
    lr_str lead_id;
    lr_alert_kind kind;
    const char *policy;
    const char *tier;
    const char *team;
    const char *owner;      /* rep who holds the lead */
    const char *addressed_to; /* manager or queue for escalations; NULL otherwise */
    const char *action;     /* "warn", "notify_manager", "reassign", "escalate" */
    int32_t step;           /* escalation step, 0 for warning / first breach */
    lr_time_ms assigned_at;
    lr_time_ms due_at;
    lr_time_ms fired_at;    /* core clock when it fired */
    int64_t late_by_ms;     /* fired_at - due_at for breaches (>= 0), negative for warnings */
} lr_alert;

typedef enum lr_event_kind {
    LR_EVENT_DECISION = 0,
    LR_EVENT_STATUS,
    LR_EVENT_ALERT,
} lr_event_kind;

typedef struct lr_event {
    lr_event_kind kind;
    union {
        lr_decision decision;
        lr_status status;
        lr_alert alert;
    } u;
} lr_event;

/* ---- event ids ---------------------------------------------------------------
 * Every event id is "<lead>:<kind>:<seq>@<since>", kind "decision", "status"
 * or "alert": seq is the lead record's sequence number, since its first_seen
 * (the event_time of the lead message that created the record). seq restarts
 * at 1 when an evicted lead comes back and since tells the incarnations apart;
 * both come from input, so replay and a redone transaction give the same ids. */

/* Builds the id in `arena` (one copy of the text, no other allocation). */
const char *lr_event_id(lr_arena *arena, lr_str lead_id, lr_event_kind kind, int64_t seq,
                        lr_time_ms since);
/* Reads an id of `kind` for lead `lead_id`: 1 with *since set, 0 for the
 * format before since was added ("<lead>:<kind>:<seq>", which CRMs may still
 * hold; *since untouched), -1 when it is not such an id. */
int lr_event_id_parse(lr_str id, lr_str lead_id, lr_event_kind kind, int64_t *seq,
                      lr_time_ms *since);

/* Adds a reason; past LR_MAX_REASONS it counts reasons_dropped instead. */
void lr_decision_add_reason(lr_decision *d, lr_reason_kind kind, const char *rule,
                            const char *rep, double points, const char *detail);

/* The Avro enum symbols: "SALES_READY", "FIT_RULE", "ASSIGNED"... */
const char *lr_stage_name(lr_stage s);
const char *lr_reason_kind_name(lr_reason_kind k);
const char *lr_status_kind_name(lr_status_kind k);
const char *lr_alert_kind_name(lr_alert_kind k);
const char *lr_cause_name(lr_decision_cause c);

#endif
