/* roster.h - building a routing configuration from plain values: reps,
 * teams, routing rules and account owners, each resolved to an index once.
 *
 * config/rules.h reads them from the YAML file and checks what a reader can
 * get wrong (unknown or repeated names, bad hours) before calling these; the
 * functions here trust their input. Strings are copied into the config's
 * arena; predicates handed to lr_route_add_rule become the config's.
 * Configuration time, except the live changes at the end (between two
 * leads, on the thread that decides). Pure. */
#ifndef LR_ROSTER_H
#define LR_ROSTER_H

#include "predicate.h"
#include "route.h"
#include "rosterrec.h"

/* Upper bounds on what will be added: the name tables are sized once. */
typedef struct lr_route_limits {
    size_t reps, teams, rules, accounts;
    size_t skills;             /* every skill listed on any rep, repeats counted */
} lr_route_limits;

lr_route_config *lr_route_config_new(const lr_route_limits *max, bool prefer_previous_owner,
                                     const char *default_queue);

/* Out of office from one local day until another (the first day back). */
typedef struct lr_route_ooo {
    int64_t from_day, until_day;   /* local day numbers, [from, until) */
} lr_route_ooo;

typedef struct lr_route_rep_spec {
    const char *id;                /* unique: see lr_route_rep_index */
    const lr_tz *tz;               /* NULL: lr_route_rep_zone decides */
    bool assignable;
    bool has_hours;                /* working hours: */
    uint8_t days;                  /* bit wday set (0 = Sunday): works that day */
    int start_min, end_min;        /* local minutes, start < end */
    int32_t max_open, max_per_day; /* 0: no cap */
    const char *const *skills;     /* no repeats */
    size_t n_skills;
    const lr_route_ooo *ooo;
    size_t n_ooo;
} lr_route_rep_spec;

/* Adds a rep; returns its index (file order). */
int32_t lr_route_add_rep(lr_route_config *c, const lr_route_rep_spec *r);
int32_t lr_route_skill_index(const lr_route_config *c, const char *name); /* -1 */

typedef enum lr_route_strategy {
    LR_STRATEGY_ROUND_ROBIN = 0,
    LR_STRATEGY_WEIGHTED,
    LR_STRATEGY_LEAST_LOADED,
    LR_STRATEGY__COUNT
} lr_route_strategy;

typedef struct lr_route_team_spec {
    const char *name;              /* unique: see lr_route_team_index */
    lr_route_strategy strategy;
    const lr_tz *tz;               /* NULL: not set */
    const char *queue;             /* NULL: the default queue */
    const char *manager;           /* a rep id, or NULL */
    const int32_t *members;        /* rep indexes, no repeats, at least one */
    const int64_t *weights;        /* per member, >= 1 */
    size_t n_members;
} lr_route_team_spec;

/* Adds a team; returns its index (file order). */
int32_t lr_route_add_team(lr_route_config *c, const lr_route_team_spec *t);
/* The team tried after `team` when no member can take a lead (not itself). */
void lr_route_set_overflow(lr_route_config *c, int32_t team, int32_t overflow);

/* A rep's zone: their own, else that of the first team listing them, else
 * NULL (the caller gives UTC with lr_route_set_rep_zone). */
const lr_tz *lr_route_rep_zone(const lr_route_config *c, int32_t rep);
void lr_route_set_rep_zone(lr_route_config *c, int32_t rep, const lr_tz *tz);

typedef struct lr_route_rule_spec {
    const char *name;              /* unique */
    int32_t team;
    bool by_activity;              /* the lead must have an activity of this type */
    lr_activity_type activity;
    lr_predicate *const *when;     /* all must match; taken by the config */
    size_t n_when;
    const int32_t *skills;         /* required skills (lr_route_skill_index) */
    size_t n_skills;
} lr_route_rule_spec;

/* Adds a routing rule; rules are tried in the order added. */
void lr_route_add_rule(lr_route_config *c, const lr_route_rule_spec *r);

/* An account domain (e.g. bigcorp.com, any case) owned by a rep; -1 when the
 * domain is listed already, else its index. */
int32_t lr_route_add_account(lr_route_config *c, const char *domain, int32_t owner);

/* After everything is added: default queues, overflow chains, routing domains. */
void lr_route_config_finish(lr_route_config *c);

/* ---- Live changes (roster_live.c): the roster and owner topics ----------
 * Each applies between two leads and bumps the roster version, which every
 * routed decision then records ("roster_version N"). Fairness across a
 * change: a rep keeps their index forever and a member leaving a team leaves
 * a vacant slot (rejoining takes it back), so round-robin cursors and
 * weighted credits of the others are untouched; a new member's credit starts
 * at the mean of the members present (no flood, no debt); a returning rep
 * has the credit they left with. A removed rep's open leads stay theirs
 * until the SLA ladder's next step reassigns them (they are unavailable:
 * "removed"). Cost: O(teams + members of their teams) per rep change, O(1)
 * expected per owner change; growth doubles arrays in the config's arena. */
typedef struct lr_route_membership {
    int32_t team;                  /* lr_route_team_index */
    int64_t weight;                /* >= 1 */
} lr_route_membership;

uint64_t lr_route_roster_version(const lr_route_config *c);
const lr_tz *lr_route_team_zone(const lr_route_config *c, int32_t team); /* NULL: not set */
/* Adds the rep, or replaces everything about them (memberships included: the
 * teams not listed are left). Skills no rule requires are dropped. A NULL
 * tz means that of their first team, which the caller must then have. */
int32_t lr_route_roster_set_rep(lr_route_config *c, const lr_route_rep_spec *r,
                                const lr_route_membership *teams, size_t n_teams);
/* -1 when unknown or removed already. */
int lr_route_roster_remove_rep(lr_route_config *c, const char *id, size_t len);
bool lr_route_rep_removed(const lr_route_config *c, int32_t rep);
/* Owner of a domain (any case): set replaces, clear forgets (-1: unknown). */
int lr_route_owner_set(lr_route_config *c, const char *domain, int32_t owner);
int lr_route_owner_clear(lr_route_config *c, const char *domain);
int32_t lr_route_owner_of(const lr_route_config *c, const char *domain, size_t len); /* -1 */
/* The rep as a roster record (what a tombstone-free topic record would say);
 * strings are the config's or formatted into mem. */
void lr_route_rep_record(const lr_route_config *c, int32_t rep, lr_arena *mem, lr_rep_rec *out);

#endif
