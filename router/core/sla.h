/* sla.h - the SLA rules as plain structs: calendars, policies and their
 * escalation ladders (docs/sla.md). Built by config/rules_sla.c from `sla:`;
 * the core only reads them. Pure data: no I/O, nothing allocated here.
 * Durations are in the policy's clock (business time when it has a calendar,
 * see calendar.h). */
#ifndef LR_SLA_H
#define LR_SLA_H

#include "calendar.h"
#include "common.h"

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

#endif
