/* sla.h - the SLA engine and its rules (docs/sla.md).
 *
 * The rules are plain structs: calendars, policies and their escalation
 * ladders, built by config/rules_sla.c from `sla:`; durations are in the
 * policy's clock (business time when it has a calendar, see calendar.h).
 *
 * The engine runs one timing-wheel clock per open SLA (wheel.h). A clock goes
 * through phases: the warning, the breach, then escalation step 1..n; each
 * phase re-arms the same clock for the next one, so a lead holds at most one
 * clock and the order of everything that fires is the wheel's (due, arming
 * order), which replay reproduces byte for byte. The clock's state lives in
 * the lead record (records.h); the engine changes that state and says what
 * fired, and the lifecycle (lifecycle.h) turns it into events and KPIs.
 * Cost: O(1) to start or stop a clock, see wheel.h for advancing. Owns its
 * wheel; borrows the rules and the records. Pure: time comes in as `now`. */
#ifndef LR_SLA_H
#define LR_SLA_H

#include "calendar.h"
#include "common.h"

typedef struct lr_lead_rec lr_lead_rec;
typedef struct lr_records lr_records;
typedef struct lr_kpi lr_kpi;

/* At most this many reassignments per lead: the owner history (LR_MAX_OWNERS
 * in records.h) keeps the first owner and every later one. */
#define LR_SLA_MAX_REASSIGNMENTS 7

typedef enum lr_sla_action {
    LR_SLA_NOTIFY_MANAGER = 0,
    LR_SLA_REASSIGN,
    LR_SLA_ESCALATE,
    LR_SLA_ACTION__COUNT
} lr_sla_action;

typedef struct lr_sla_step {
    lr_sla_action action;
    int64_t after;    /* after the previous step, in the policy's clock */
    const char *to;   /* escalate: queue or person; NULL: the team's queue */
} lr_sla_step;

typedef struct lr_sla_policy {
    const char *name;
    int32_t tier, team;      /* -1: any */
    const char *source;      /* NULL: any */
    int32_t calendar;        /* -1: wall-clock time */
    int64_t first_touch;     /* in the policy's clock */
    int64_t warn_offset;     /* from the assignment to the warning; 0: no warning */
    lr_sla_step *steps;
    size_t n_steps;
} lr_sla_policy;

/* The `sla:` section. Owned by whoever built it (the configuration). */
typedef struct lr_sla_config {
    lr_calendar *cals;
    size_t n_cals;
    lr_sla_policy *policies;
    size_t n_policies;
    int32_t max_reassignments;
} lr_sla_config;

/* "notify_manager", "reassign", "escalate"; NULL when out of range. */
const char *lr_sla_action_name(lr_sla_action a);
size_t lr_sla_policy_count(const lr_sla_config *cfg);
/* Name of policy i (rec->policy), NULL when out of range. */
const char *lr_sla_policy_name(const lr_sla_config *cfg, int32_t i);

/* ---- the engine ---------------------------------------------------------------- */

/* What a clock fires next (lr_lead_rec.phase). */
enum { LR_SLA_PHASE_WARN = 0, LR_SLA_PHASE_BREACH = 1, LR_SLA_PHASE_STEP0 = 2 };

typedef struct lr_sla lr_sla;

/* What fell due, after the engine moved the record on (re-armed or ended its
 * clock, counted a reassignment, set the breached / escalated flags). */
typedef enum lr_sla_fire {
    LR_SLA_FIRE_WARNING = 0,
    LR_SLA_FIRE_BREACH,
    LR_SLA_FIRE_NOTIFY,   /* notify_manager step */
    LR_SLA_FIRE_REASSIGN, /* reassign step: the clock ended, the core routes again */
    LR_SLA_FIRE_ESCALATE, /* escalate step (or a reassign past the limit): SLA life ends */
} lr_sla_fire;

typedef struct lr_sla_fired {
    lr_sla_fire what;
    int32_t step;                 /* escalation step, 1-based; 0 for warning / breach */
    const char *to;               /* escalate: target; NULL: the team's queue */
    const lr_sla_policy *policy;
} lr_sla_fired;

/* cfg NULL: no SLA. Policy sources are interned in kpi once, so matching a
 * policy compares ids. */
lr_sla *lr_sla_new(const lr_sla_config *cfg, lr_records *recs, lr_kpi *kpi,
                   size_t expected_leads);
void lr_sla_free(lr_sla *sla);
const lr_sla_config *lr_sla_rules(const lr_sla *sla);

/* A new assignment of record idx at `now`: picks the first policy whose tier,
 * team and source match, sets due_at (LR_TIME_NONE when none) and arms the
 * clock for the warning or the breach. */
void lr_sla_start(lr_sla *sla, lr_lead_rec *r, uint32_t idx, lr_time_ms now);
/* Stops r's clock, if any. */
void lr_sla_stop(lr_sla *sla, lr_lead_rec *r);
/* The policy of r's assignment, NULL when none. */
const lr_sla_policy *lr_sla_policy_of(const lr_sla *sla, const lr_lead_rec *r);
/* Time from r's assignment to `at` in its policy's clock. */
int64_t lr_sla_elapsed(const lr_sla *sla, const lr_lead_rec *r, lr_time_ms at);

/* Moves the wheel to `now` and starts loading the record of the first clock
 * due by then (nothing fires: the next pop does). */
void lr_sla_prefetch(lr_sla *sla, lr_time_ms now);
/* Fires the next clock due at or before `now`: returns its record index and
 * fills *f, or LR_RECORDS_NONE when nothing is due. */
uint32_t lr_sla_pop(lr_sla *sla, lr_time_ms now, lr_sla_fired *f);
/* The earliest time something is due, LR_TIME_NONE when no clock is open. */
lr_time_ms lr_sla_next_due(const lr_sla *sla);
size_t lr_sla_open_clocks(const lr_sla *sla);

/* Restore (state.h): r came back with a clock at r->clock_due; it is armed by
 * lr_sla_restore_done, in the original arming order. */
void lr_sla_restore_clock(lr_sla *sla, lr_lead_rec *r, uint32_t idx);
void lr_sla_restore_done(lr_sla *sla);

#endif
