/* route.h - who gets a sales-ready lead: ordered routing rules, account owners,
 * per-team strategies (round robin, weighted, least loaded) with capacity caps,
 * working hours in the rep's time zone, out-of-office and skills; overflow team,
 * then queue. Pure and deterministic: the state it changes is lr_route_state.
 *
 * Every candidate considered leaves a reason in the decision: skipped (and why)
 * or chosen (and why). */
#ifndef LR_ROUTE_H
#define LR_ROUTE_H

#include "arena.h"
#include "event.h"
#include "lead.h"
#include "tz.h"

typedef struct lr_route_config lr_route_config;

/* Mutable counters. Public so that a changelog can persist and restore them. */
typedef struct lr_rep_load {
    int32_t open;        /* leads assigned and not yet closed or reassigned */
    int32_t today;       /* leads assigned on local_day */
    int64_t local_day;   /* lr_local_time.day_number in the rep's zone of `today` */
} lr_rep_load;

typedef struct lr_team_cursor {
    uint32_t rr_next;    /* round robin: member index to try first */
    int64_t *current;    /* weighted: smooth-weighted-round-robin credit per member */
    size_t n_current;    /* member slots covered (grows with live roster changes) */
} lr_team_cursor;

typedef struct lr_route_state {
    uint64_t version;       /* roster version the arrays were sized for */
    size_t n_reps, n_teams;
    lr_rep_load *reps;      /* indexed by rep index */
    lr_team_cursor *teams;  /* indexed by team index */
} lr_route_state;

/* Built from plain values through roster.h (config/rules.h reads them from
 * the YAML file); reps and account owners may then change between two leads
 * (roster.h, "Live changes": the compacted roster and owner topics). */
void lr_route_config_free(lr_route_config *cfg);

lr_route_state *lr_route_state_new(const lr_route_config *cfg);
void lr_route_state_free(lr_route_state *st);

typedef struct lr_route_request {
    const int32_t *exclude;  /* reps that may not get it (previous owners on reassign) */
    size_t n_exclude;
    int32_t previous_owner;  /* re-engaged lead: tried first when allowed; -1 none */
    int32_t team;            /* -1: the rules pick; else route within this team (reassign) */
} lr_route_request;
#define LR_ROUTE_REQUEST_INIT ((lr_route_request){NULL, 0, -1, -1})

typedef struct lr_route_result {
    int32_t team;            /* team index, -1 when no team */
    int32_t rep;             /* rep index, -1 when queued */
    const char *team_name;
    const char *rep_name;
    const char *queue;       /* set when rep == -1 */
    const char *rule;        /* routing rule that matched, or NULL */
    bool overflowed;         /* the lead left its first team */
} lr_route_result;

/* Picks a rep, updates the state (load, daily count, cursors) and appends the
 * reasons to `d`; text for reason details comes from `text` (reset per batch by
 * the caller). Always returns a result: a rep, or a queue. */
void lr_route_assign(const lr_route_config *cfg, lr_route_state *st, const lr_lead *lead,
                     lr_time_ms now, const lr_route_request *req, lr_route_result *res,
                     lr_decision *d, lr_arena *text);

/* A lead left this rep (closed, recycled or reassigned): open count drops. */
void lr_route_release(lr_route_state *st, int32_t rep);
/* Sizes a state for reps and member slots added live since it was made; the
 * positions and credits it has are kept (roster.h). lr_route_assign calls it
 * when the roster version moved; cheap and idempotent. */
void lr_route_state_sync(const lr_route_config *cfg, lr_route_state *st);

size_t lr_route_rep_count(const lr_route_config *cfg);
size_t lr_route_team_count(const lr_route_config *cfg);
const char *lr_route_rep_name(const lr_route_config *cfg, int32_t rep);
const char *lr_route_team_name(const lr_route_config *cfg, int32_t team);
int32_t lr_route_rep_index(const lr_route_config *cfg, const char *name, size_t len); /* -1 */
int32_t lr_route_team_index(const lr_route_config *cfg, const char *name);           /* -1 */
const char *lr_route_team_manager(const lr_route_config *cfg, int32_t team);  /* may be NULL */
const char *lr_route_team_queue(const lr_route_config *cfg, int32_t team);
/* Weight share target of a rep in a team (0..1), for replay's summary. */
double lr_route_target_share(const lr_route_config *cfg, int32_t team, int32_t rep);
bool lr_route_rep_in_team(const lr_route_config *cfg, int32_t team, int32_t rep);
/* Member slots of a team (what its lr_team_cursor.current covers once
 * synced; a rep removed live leaves a vacant slot). */
size_t lr_route_team_size(const lr_route_config *cfg, int32_t team);

/* A rep right now, for the dashboard: load against the caps and whether
 * the rep could take a lead at `now` (a view taken now and then, not per
 * lead; the local time costs one lr_tz_local). */
typedef struct lr_rep_now {
    int32_t open, max_open;       /* max 0: no cap */
    int32_t today, max_per_day;   /* today: 0 once the rep's local day changed */
    const char *away;             /* NULL: available; "not_assignable", "out_of_office",
                                   * "off_hours" */
} lr_rep_now;
void lr_route_rep_now(const lr_route_config *cfg, const lr_route_state *st, int32_t rep,
                      lr_time_ms now, lr_rep_now *out);

/* ---- routing domains (docs/design.md, "Several instances") ----------------
 * Teams and reps fall into domains that share no routing state: a team with
 * its overflow chain, teams that share a rep, and, when accounts exist, every
 * account owner with every team a rule names. Leads of different domains can
 * be decided by different instances. The last domain is the unrouted one
 * (leads no rule and no owner takes). Domain indexes follow file order. */
size_t lr_route_domain_count(const lr_route_config *cfg);
const char *lr_route_domain_name(const lr_route_config *cfg, int32_t domain);
/* The domain whose state deciding this lead may touch: the account owner's
 * when an account matches, else the first matching rule's team's. Reads only
 * the lead and the rulebook, so any instance computes the same answer. */
int32_t lr_route_lead_domain(const lr_route_config *cfg, const lr_lead *lead);
/* The domain of a rep (of a sales activity): the unrouted one if unknown. */
int32_t lr_route_rep_domain(const lr_route_config *cfg, int32_t rep);
int32_t lr_route_team_domain(const lr_route_config *cfg, int32_t team);

#endif
