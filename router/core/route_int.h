/* route_int.h - what the routing files share and nobody else reads: the
 * layout of lr_route_config and the context of one assignment.
 *
 *   roster.c    building the config from plain values, lookups, state, domains
 *   strategy.c  availability of a rep, round robin, weighted, least loaded
 *   route.c     an assignment: rules, previous and account owners, overflow
 *
 * Everything with a name is an index here; an assignment walks small arrays
 * and never compares names. */
#ifndef LR_ROUTE_INT_H
#define LR_ROUTE_INT_H

#include "ntab.h"
#include "roster.h"

typedef struct rt_rep {
    const char *id;
    const lr_tz *tz;
    bool assignable;
    bool has_hours;
    uint8_t days;          /* bit wday set: works that day */
    int start_min, end_min;
    int32_t max_open;      /* 0: no cap */
    int32_t max_per_day;   /* 0: no cap */
    int32_t *skills;       /* skill indexes */
    size_t n_skills;
    lr_route_ooo *ooo;
    size_t n_ooo;
    int32_t first_team;    /* first team listing the rep, config order; -1 none */
    bool removed;          /* tombstoned live: keeps its index, never assignable */
    int32_t *teams;        /* teams the rep is a member of now: a membership test */
    uint32_t n_teams, cap_teams; /* without scanning a team of thousands */
} rt_rep;

typedef struct rt_team {
    const char *name;
    lr_route_strategy strat;
    const lr_tz *tz;       /* NULL when not set */
    const char *queue;     /* never NULL after finish: falls back to default_queue */
    const char *manager;   /* may be NULL */
    int32_t overflow;      /* -1 none */
    size_t n_members;      /* slots, vacant ones included */
    int32_t *members;      /* rep indexes; vacant slot: -1 - (rep who left it) */
    int64_t *weights;
    int64_t total_weight;  /* of the members present */
    size_t n_active;       /* members present */
    size_t cap_members;    /* room in members/weights (live additions) */
    int32_t *chain;        /* overflow teams in the order tried, no repeats */
    size_t n_chain;
    const char *strategy_text; /* STRATEGY detail of weighted / least_loaded (fixed text) */
} rt_team;

typedef struct rt_rule {
    const char *name;
    bool by_activity;      /* `activity:` set: the lead must have one of that type */
    lr_activity_type activity;
    lr_predicate **when;
    size_t n_when;
    int32_t team;
    int32_t *skills;       /* required skills */
    size_t n_skills;
    const char *why;       /* ROUTING_RULE detail: conditions and skills */
    const char *skills_text; /* "require_skills german" or NULL */
} rt_rule;

typedef struct rt_account {
    const char *domain;    /* lower case */
    int32_t owner;         /* -1: cleared live (the domain stays, owned by nobody) */
} rt_account;

struct lr_route_config {
    lr_arena mem;          /* every string and array below */
    rt_rep *reps;
    size_t n_reps;
    rt_team *teams;
    size_t n_teams;
    rt_rule *rules;
    size_t n_rules;
    rt_account *accounts;
    size_t n_accounts;
    const char **skill_names;
    const char **skill_missing; /* "missing_skill german" */
    size_t n_skills;
    lr_ntab rep_ix, team_ix, skill_ix, account_ix;
    bool prefer_previous_owner;
    const char *default_queue;
    /* routing domains: see lr_route_lead_domain */
    int32_t *team_domain, *rep_domain;
    const char **domain_names;
    size_t n_domains;      /* the last one is the unrouted one */
    /* live roster (roster_live.c): room in reps/rep_domain and accounts, and
     * the number of changes applied since the config was built */
    size_t cap_reps, cap_accounts;
    uint64_t version;
};

/* The plain fields of a rep spec (not id, skills, out of office). */
void lr_route_rep_fields(rt_rep *r, const lr_route_rep_spec *s);

/* Array growth in the config's arena for live changes: a new array of `want`
 * (at least double `have`) holding the first `used` elements of `old`. */
void *lr_route_grow(lr_route_config *c, void *old, size_t used, size_t have, size_t want,
                    size_t size, size_t *cap);

/* ---- one assignment */

/* Local time of the last zone asked for: `now` is fixed for one assignment
 * and the members of a team mostly share a zone, so one entry saves nearly
 * every lr_tz_local. */
typedef struct tz_memo {
    const lr_tz *tz;       /* NULL: empty */
    lr_local_time lt;
} tz_memo;

typedef struct route_ctx {
    const lr_route_config *cfg;
    lr_route_state *st;
    lr_time_ms now;
    const lr_route_request *req;
    const rt_rule *rule;   /* the matched rule: its skills bind every candidate */
    lr_decision *d;        /* NULL: decide without explaining */
    lr_arena *text;
    tz_memo *memo;
} route_ctx;

/* What a check learned about a rep, reused by the explanation and the commit. */
typedef struct rep_view {
    lr_local_time lt;
    int32_t open, today;   /* today: 0 once the rep's local day has changed */
    int64_t credit;        /* weighted: credit when chosen, before paying */
} rep_view;

/* Detail text: formatted into the batch arena, or just the code when there is
 * nowhere to put it (no decision, no arena). */
const char *lr_route_say(const route_ctx *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void lr_route_reason(const route_ctx *c, lr_reason_kind kind, const char *rule,
                                   int32_t rep, const char *detail) {
    if (!c->d) return;
    lr_decision_add_reason(c->d, kind, rule, rep >= 0 ? c->cfg->reps[rep].id : NULL, 0, detail);
}

/* NULL when the rep can take a lead now; else the machine-friendly reason. */
const char *lr_route_unavailable(const route_ctx *c, int32_t rep, rep_view *v);
/* "open 3/25, today 2/15" between an optional prefix and suffix. */
const char *lr_route_load_text(const route_ctx *c, int32_t rep, const rep_view *v,
                               const char *prefix, const char *suffix);
/* The lead is theirs: one more open lead, one more today. */
void lr_route_take(route_ctx *c, int32_t rep, const rep_view *v);
/* Runs the team's strategy; on success the rep has the lead. The rep or -1. */
int32_t lr_route_assign_in_team(route_ctx *c, int32_t team);

/* Whether rep is a member of team now: O(teams of the rep). */
bool lr_route_team_has(const lr_route_config *c, int32_t team, int32_t rep);
/* Keeps rt_rep.teams in step with the members of a team. */
void lr_route_rep_joined(lr_route_config *c, int32_t rep, int32_t team);
void lr_route_rep_left(lr_route_config *c, int32_t rep, int32_t team);

#endif
