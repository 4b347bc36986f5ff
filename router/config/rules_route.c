/* rules_route.c - `routing:`, `teams:` and `reps:` into an lr_route_config
 * (see rules.h). Reps first, then the teams that list them, then the rules
 * and accounts that name both; every name is checked here, with the line of
 * the node that holds it, and handed to the core's builder (roster.h) as an
 * index. */
#include "rules.h"

#include <stdlib.h>
#include <string.h>

static const char *const strategy_names[LR_STRATEGY__COUNT] = {"round_robin", "weighted",
                                                               "least_loaded"};
/* Indexed by lr_local_time.wday (0 = Sunday). */
static const char *const day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

#define WEIGHT_MAX 1000000
#define CAP_MAX 1000000

static int expect_seq(const lr_cfg_node *n, const char *what, lr_err *err) {
    return lr_cfg_expect(n, LR_CFG_SEQ, what, err);
}

static int expect_name(const lr_cfg_node *n, const char *what, lr_err *err) {
    if (lr_cfg_expect(n, LR_CFG_SCALAR, what, err) < 0) return -1;
    if (!n->scalar[0]) return lr_cfg_fail(err, n, "%s must not be empty", what);
    return 0;
}


static int get_zone(lr_tz_db *tzdb, const lr_cfg_node *at, const char *name, const lr_tz **out,
                    lr_err *err) {
    lr_err e = {0};
    *out = lr_tz_get(tzdb, name, &e);
    if (!*out) return lr_cfg_fail(err, at, "%s", e.msg[0] ? e.msg : "unknown time zone");
    return 0;
}

static size_t seq_len(const lr_cfg_node *n) { return n && n->kind == LR_CFG_SEQ ? n->n : 0; }

/* ---- reps: ---- */

typedef struct hours_raw {
    const lr_cfg_node *days, *start, *end;
} hours_raw;

static const lr_cfg_field hours_fields[] = {
    {"days", LR_CFG_T_NODE, offsetof(hours_raw, days), true, NULL, 0, 0},
    {"start", LR_CFG_T_NODE, offsetof(hours_raw, start), true, NULL, 0, 0},
    {"end", LR_CFG_T_NODE, offsetof(hours_raw, end), true, NULL, 0, 0},
};

static int parse_hours(lr_route_rep_spec *r, const lr_cfg_node *n, lr_err *err) {
    hours_raw h = {0};
    if (lr_cfg_apply(n, hours_fields, LR_CFG_COUNT(hours_fields), &h, "working_hours", err))
        return -1;
    if (expect_seq(h.days, "working_hours.days", err) < 0) return -1;
    if (h.days->n == 0) return lr_cfg_fail(err, h.days, "working_hours.days is empty");
    for (size_t i = 0; i < h.days->n; i++) {
        const lr_cfg_node *dn = h.days->items[i];
        if (lr_cfg_expect(dn, LR_CFG_SCALAR, "a day name", err) < 0) return -1;
        int wd = -1;
        for (int k = 0; k < 7; k++)
            if (strcmp(dn->scalar, day_keys[k]) == 0) wd = k;
        if (wd < 0)
            return lr_cfg_fail(err, dn, "'%s' is not a day (mon, tue, wed, thu, fri, sat, sun)",
                               dn->scalar);
        if (r->days & (1u << wd))
            return lr_cfg_fail(err, dn, "day '%s' is listed twice", dn->scalar);
        r->days |= (uint8_t)(1u << wd);
    }
    if (lr_cfg_as_clock_minutes(h.start, &r->start_min, err) < 0) return -1;
    if (lr_cfg_as_clock_minutes(h.end, &r->end_min, err) < 0) return -1;
    if (r->start_min >= r->end_min)
        return lr_cfg_fail(err, h.end, "working_hours: end %s must be after start %s "
                           "(shifts across midnight are not supported)",
                           h.end->scalar, h.start->scalar);
    r->has_hours = true;
    return 0;
}

/* Skill names into skills[] (room for n->n), no repeats. */
static int parse_skills(lr_route_rep_spec *r, const char **skills, const lr_cfg_node *n,
                        lr_err *err) {
    if (expect_seq(n, "skills", err) < 0) return -1;
    for (size_t i = 0; i < n->n; i++) {
        if (expect_name(n->items[i], "a skill name", err) < 0) return -1;
        const char *s = n->items[i]->scalar;
        for (size_t k = 0; k < r->n_skills; k++)
            if (strcmp(skills[k], s) == 0)
                return lr_cfg_fail(err, n->items[i], "skill '%s' is listed twice", s);
        skills[r->n_skills++] = s;
    }
    return 0;
}

typedef struct ooo_raw {
    const lr_cfg_node *from, *until;
} ooo_raw;

static const lr_cfg_field ooo_fields[] = {
    {"from", LR_CFG_T_NODE, offsetof(ooo_raw, from), true, NULL, 0, 0},
    {"until", LR_CFG_T_NODE, offsetof(ooo_raw, until), true, NULL, 0, 0},
};

/* Out-of-office entries into ooo[] (room for n->n). */
static int parse_ooo(lr_route_rep_spec *r, lr_route_ooo *ooo, const lr_cfg_node *n,
                     lr_err *err) {
    if (expect_seq(n, "out_of_office", err) < 0) return -1;
    for (size_t i = 0; i < n->n; i++) {
        ooo_raw o = {0};
        if (lr_cfg_expect(n->items[i], LR_CFG_MAP, "out_of_office entry", err) < 0) return -1;
        if (lr_cfg_apply(n->items[i], ooo_fields, LR_CFG_COUNT(ooo_fields), &o,
                         "out_of_office entry", err))
            return -1;
        lr_route_ooo *x = &ooo[r->n_ooo];
        if (lr_cfg_as_local_date(o.from, "out_of_office from", &x->from_day, err) < 0 ||
            lr_cfg_as_local_date(o.until, "out_of_office until", &x->until_day, err) < 0)
            return -1;
        if (x->until_day <= x->from_day)
            return lr_cfg_fail(err, o.until, "out_of_office: until %s must be after from %s "
                               "(until is the first day back)", o.until->scalar, o.from->scalar);
        r->n_ooo++;
    }
    return 0;
}

typedef struct rep_raw {
    const char *id, *timezone;
    const lr_cfg_node *working_hours, *skills, *out_of_office;
    int64_t max_open, max_per_day;
    bool assignable;
} rep_raw;

static const lr_cfg_field rep_fields[] = {
    {"id", LR_CFG_T_STR, offsetof(rep_raw, id), true, NULL, 0, 0},
    {"timezone", LR_CFG_T_STR, offsetof(rep_raw, timezone), false, NULL, 0, 0},
    {"working_hours", LR_CFG_T_NODE, offsetof(rep_raw, working_hours), false, NULL, 0, 0},
    {"max_open", LR_CFG_T_INT, offsetof(rep_raw, max_open), false, NULL, 1, CAP_MAX},
    {"max_per_day", LR_CFG_T_INT, offsetof(rep_raw, max_per_day), false, NULL, 1, CAP_MAX},
    {"skills", LR_CFG_T_NODE, offsetof(rep_raw, skills), false, NULL, 0, 0},
    {"out_of_office", LR_CFG_T_NODE, offsetof(rep_raw, out_of_office), false, NULL, 0, 0},
    {"assignable", LR_CFG_T_BOOL, offsetof(rep_raw, assignable), false, "true", 0, 0},
};

/* The parts of a rep after its id: zone, hours, skills, out of office; then
 * the rep is added, while the spec's arrays live. */
static int parse_rep_rest(lr_route_config *c, lr_route_rep_spec *r, const lr_cfg_node *n,
                          const rep_raw *raw, lr_tz_db *tzdb, lr_err *err) {
    if (raw->timezone &&
        get_zone(tzdb, lr_cfg_get(n, "timezone"), raw->timezone, &r->tz, err) < 0)
        return -1;
    if (raw->working_hours && parse_hours(r, raw->working_hours, err) < 0) return -1;
    int rc = 0;
    const char **skills = calloc(raw->skills ? raw->skills->n + 1 : 1, sizeof(*skills));
    lr_route_ooo *ooo = calloc(raw->out_of_office ? raw->out_of_office->n + 1 : 1, sizeof(*ooo));
    if (!skills || !ooo) abort();
    r->skills = skills;
    r->ooo = ooo;
    if ((raw->skills && parse_skills(r, skills, raw->skills, err) < 0) ||
        (raw->out_of_office && parse_ooo(r, ooo, raw->out_of_office, err) < 0))
        rc = -1;
    if (rc == 0) lr_route_add_rep(c, r);
    free(skills);
    free(ooo);
    return rc;
}

static int parse_rep(lr_route_config *c, const lr_cfg_node *reps, size_t i, lr_tz_db *tzdb,
                     lr_err *err) {
    const lr_cfg_node *n = reps->items[i];
    rep_raw raw = {0};
    if (lr_cfg_expect(n, LR_CFG_MAP, "a rep (id, timezone, ...)", err) < 0) return -1;
    if (lr_cfg_apply(n, rep_fields, LR_CFG_COUNT(rep_fields), &raw, "rep", err)) return -1;
    const lr_cfg_node *idn = lr_cfg_get(n, "id");
    if (expect_name(idn, "rep id", err) < 0) return -1;
    int32_t prev = lr_route_rep_index(c, raw.id, strlen(raw.id));
    if (prev >= 0)
        return lr_cfg_fail(err, idn, "rep '%s' is listed twice (first at line %d)", raw.id,
                           reps->items[prev]->line);
    lr_route_rep_spec r = {.id = raw.id, .assignable = raw.assignable,
                           .max_open = (int32_t)raw.max_open,
                           .max_per_day = (int32_t)raw.max_per_day};
    return parse_rep_rest(c, &r, n, &raw, tzdb, err);
}

static int parse_reps(lr_route_config *c, const lr_cfg_node *reps, lr_tz_db *tzdb, lr_err *err) {
    if (reps && expect_seq(reps, "reps", err) < 0) return -1;
    for (size_t i = 0; reps && i < reps->n; i++)
        if (parse_rep(c, reps, i, tzdb, err) < 0) return -1;
    return 0;
}

/* ---- teams: ---- */

typedef struct member_raw {
    const char *rep;
    const lr_cfg_node *weight;
} member_raw;

static const lr_cfg_field member_fields[] = {
    {"rep", LR_CFG_T_STR, offsetof(member_raw, rep), true, NULL, 0, 0},
    {"weight", LR_CFG_T_NODE, offsetof(member_raw, weight), false, NULL, 0, 0},
};

static int parse_weight(const lr_cfg_node *w, int64_t *out, lr_err *err) {
    lr_err ignored = {0};
    if (w->kind != LR_CFG_SCALAR || lr_cfg_as_int(w, 1, WEIGHT_MAX, out, &ignored) < 0)
        return lr_cfg_fail(err, w, "weight must be a whole number from 1 to %d, not '%s'",
                           WEIGHT_MAX, w->kind == LR_CFG_SCALAR ? w->scalar : "a list or map");
    return 0;
}

/* Members into t (arrays with room for n->n). */
static int parse_members(lr_route_config *c, lr_route_team_spec *t, int32_t *members,
                         int64_t *weights, const lr_cfg_node *n, lr_err *err) {
    for (size_t i = 0; i < n->n; i++) {
        const lr_cfg_node *m = n->items[i];
        member_raw raw = {0};
        if (lr_cfg_expect(m, LR_CFG_MAP, "a member ({ rep: id, weight: n })", err) < 0) return -1;
        if (lr_cfg_apply(m, member_fields, LR_CFG_COUNT(member_fields), &raw, "member", err))
            return -1;
        const lr_cfg_node *rn = lr_cfg_get(m, "rep");
        int32_t rep = lr_route_rep_index(c, raw.rep, strlen(raw.rep));
        if (rep < 0)
            return lr_cfg_fail(err, rn, "team '%s': member '%s' is not in reps", t->name, raw.rep);
        for (size_t k = 0; k < t->n_members; k++)
            if (members[k] == rep)
                return lr_cfg_fail(err, rn, "team '%s': member '%s' is listed twice", t->name,
                                   raw.rep);
        int64_t w = 1;
        if (raw.weight && parse_weight(raw.weight, &w, err) < 0) return -1;
        members[t->n_members] = rep;
        weights[t->n_members] = w;
        t->n_members++;
    }
    return 0;
}

/* The members, then the team is added while the arrays live. */
static int add_team(lr_route_config *c, lr_route_team_spec *t, const lr_cfg_node *n,
                    lr_err *err) {
    if (expect_seq(n, "members", err) < 0) return -1;
    if (n->n == 0) return lr_cfg_fail(err, n, "team '%s' has no members", t->name);
    int32_t *members = calloc(n->n, sizeof(*members));
    int64_t *weights = calloc(n->n, sizeof(*weights));
    if (!members || !weights) abort();
    t->members = members;
    t->weights = weights;
    int rc = parse_members(c, t, members, weights, n, err);
    if (rc == 0) lr_route_add_team(c, t);
    free(members);
    free(weights);
    return rc;
}

typedef struct team_raw {
    const char *name, *strategy, *timezone, *overflow, *queue, *manager;
    const lr_cfg_node *members;
} team_raw;

static const lr_cfg_field team_fields[] = {
    {"name", LR_CFG_T_STR, offsetof(team_raw, name), true, NULL, 0, 0},
    {"strategy", LR_CFG_T_STR, offsetof(team_raw, strategy), false, "round_robin", 0, 0},
    {"timezone", LR_CFG_T_STR, offsetof(team_raw, timezone), false, NULL, 0, 0},
    {"overflow", LR_CFG_T_STR, offsetof(team_raw, overflow), false, NULL, 0, 0},
    {"queue", LR_CFG_T_STR, offsetof(team_raw, queue), false, NULL, 0, 0},
    {"manager", LR_CFG_T_STR, offsetof(team_raw, manager), false, NULL, 0, 0},
    {"members", LR_CFG_T_NODE, offsetof(team_raw, members), true, NULL, 0, 0},
};

static int parse_team(lr_route_config *c, const lr_cfg_node *n, lr_tz_db *tzdb, lr_err *err) {
    team_raw raw = {0};
    if (lr_cfg_expect(n, LR_CFG_MAP, "a team (name, strategy, members, ...)", err) < 0) return -1;
    if (lr_cfg_apply(n, team_fields, LR_CFG_COUNT(team_fields), &raw, "team", err)) return -1;
    const lr_cfg_node *namen = lr_cfg_get(n, "name");
    if (expect_name(namen, "team name", err) < 0) return -1;
    if (lr_route_team_index(c, raw.name) >= 0)
        return lr_cfg_fail(err, namen, "team '%s' is defined twice", raw.name);
    lr_route_team_spec t = {.name = raw.name};
    int s = -1;
    for (int k = 0; k < LR_STRATEGY__COUNT; k++)
        if (strcmp(raw.strategy, strategy_names[k]) == 0) s = k;
    if (s < 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "strategy"),
                           "unknown strategy '%s' (round_robin, weighted, least_loaded)",
                           raw.strategy);
    t.strategy = (lr_route_strategy)s;
    if (raw.timezone && get_zone(tzdb, lr_cfg_get(n, "timezone"), raw.timezone, &t.tz, err) < 0)
        return -1;
    if (raw.queue) {
        if (expect_name(lr_cfg_get(n, "queue"), "queue", err) < 0) return -1;
        t.queue = raw.queue;
    }
    if (raw.manager) {
        const lr_cfg_node *mn = lr_cfg_get(n, "manager");
        if (lr_route_rep_index(c, raw.manager, strlen(raw.manager)) < 0)
            return lr_cfg_fail(err, mn, "team '%s': manager '%s' is not in reps "
                               "(list managers with assignable: false)", raw.name, raw.manager);
        t.manager = raw.manager;
    }
    return add_team(c, &t, raw.members, err);
}

/* Overflow names resolve once every team is known. */
static int link_teams(lr_route_config *c, const lr_cfg_node *teams, lr_err *err) {
    for (size_t i = 0; i < teams->n; i++) {
        const lr_cfg_node *on = lr_cfg_get(teams->items[i], "overflow");
        if (!on) continue;
        const char *name = lr_route_team_name(c, (int32_t)i);
        int32_t o = lr_route_team_index(c, on->scalar);
        if (o < 0)
            return lr_cfg_fail(err, on, "team '%s': overflow team '%s' is not defined", name,
                               on->scalar);
        if (o == (int32_t)i) return lr_cfg_fail(err, on, "team '%s' overflows to itself", name);
        lr_route_set_overflow(c, (int32_t)i, o);
    }
    return 0;
}

static int parse_teams(lr_route_config *c, const lr_cfg_node *teams, lr_tz_db *tzdb,
                       lr_err *err) {
    if (teams && expect_seq(teams, "teams", err) < 0) return -1;
    for (size_t i = 0; teams && i < teams->n; i++)
        if (parse_team(c, teams->items[i], tzdb, err) < 0) return -1;
    return teams ? link_teams(c, teams, err) : 0;
}

/* A rep without `timezone` works in the zone of the first team listing them,
 * else UTC. */
static int default_rep_zones(lr_route_config *c, const lr_cfg_node *reps, lr_tz_db *tzdb,
                             lr_err *err) {
    for (size_t i = 0; reps && i < reps->n; i++) {
        const lr_tz *z = lr_route_rep_zone(c, (int32_t)i);
        if (!z && get_zone(tzdb, reps->items[i], "UTC", &z, err) < 0) return -1;
        lr_route_set_rep_zone(c, (int32_t)i, z);
    }
    return 0;
}

/* ---- routing: ---- */

/* Conditions into when[] (room for n->n); *n_when counts what must be freed. */
static int parse_when(lr_predicate **when, size_t *n_when, const lr_cfg_node *n, lr_err *err) {
    static const char *const no_extra[] = {NULL};
    if (expect_seq(n, "when (a list of conditions)", err) < 0) return -1;
    for (size_t i = 0; i < n->n; i++) {
        lr_predicate *p = lr_predicate_parse(n->items[i], no_extra, err);
        if (!p) return -1;
        when[(*n_when)++] = p;
    }
    return 0;
}

static int parse_require(lr_route_config *c, const char *rule, int32_t *skills, size_t *n_skills,
                         const lr_cfg_node *n, lr_err *err) {
    if (expect_seq(n, "require_skills", err) < 0) return -1;
    for (size_t i = 0; i < n->n; i++) {
        if (expect_name(n->items[i], "a skill name", err) < 0) return -1;
        const char *s = n->items[i]->scalar;
        int32_t id = lr_route_skill_index(c, s);
        if (id < 0)
            return lr_cfg_fail(err, n->items[i], "rule '%s': no rep has skill '%s'", rule, s);
        skills[(*n_skills)++] = id;
    }
    return 0;
}

typedef struct rule_raw {
    const char *name, *team, *activity;
    const lr_cfg_node *when, *require_skills;
} rule_raw;

static const lr_cfg_field rule_fields[] = {
    {"name", LR_CFG_T_STR, offsetof(rule_raw, name), true, NULL, 0, 0},
    {"when", LR_CFG_T_NODE, offsetof(rule_raw, when), false, NULL, 0, 0},
    {"team", LR_CFG_T_STR, offsetof(rule_raw, team), true, NULL, 0, 0},
    {"activity", LR_CFG_T_STR, offsetof(rule_raw, activity), false, NULL, 0, 0},
    {"require_skills", LR_CFG_T_NODE, offsetof(rule_raw, require_skills), false, NULL, 0, 0},
};

/* Conditions and skills, then the rule is added (taking the conditions). */
static int add_rule(lr_route_config *c, lr_route_rule_spec *r, const rule_raw *raw,
                    lr_err *err) {
    lr_predicate **when = calloc(seq_len(raw->when) + 1, sizeof(*when));
    int32_t *skills = calloc(seq_len(raw->require_skills) + 1, sizeof(*skills));
    if (!when || !skills) abort();
    r->when = when;
    r->skills = skills;
    int rc = 0;
    if ((raw->when && parse_when(when, &r->n_when, raw->when, err) < 0) ||
        (raw->require_skills &&
         parse_require(c, r->name, skills, &r->n_skills, raw->require_skills, err) < 0)) {
        for (size_t i = 0; i < r->n_when; i++) lr_predicate_free(when[i]);
        rc = -1;
    } else {
        lr_route_add_rule(c, r);
    }
    free(when);
    free(skills);
    return rc;
}

static int parse_rule(lr_route_config *c, const lr_cfg_node *rules, size_t i, lr_err *err) {
    const lr_cfg_node *n = rules->items[i];
    rule_raw raw = {0};
    if (lr_cfg_expect(n, LR_CFG_MAP, "a routing rule (name, when, team)", err) < 0) return -1;
    if (lr_cfg_apply(n, rule_fields, LR_CFG_COUNT(rule_fields), &raw, "routing rule", err))
        return -1;
    const lr_cfg_node *namen = lr_cfg_get(n, "name");
    if (expect_name(namen, "rule name", err) < 0) return -1;
    for (size_t k = 0; k < i; k++) /* the earlier rules parsed: their names are scalars */
        if (strcmp(lr_cfg_get(rules->items[k], "name")->scalar, raw.name) == 0)
            return lr_cfg_fail(err, namen, "routing rule '%s' is defined twice", raw.name);
    lr_route_rule_spec r = {.name = raw.name, .team = lr_route_team_index(c, raw.team)};
    if (r.team < 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "team"), "rule '%s': team '%s' is not defined",
                           r.name, raw.team);
    if (raw.activity) {
        if (!lr_activity_type_parse(raw.activity, &r.activity))
            return lr_cfg_fail(err, lr_cfg_get(n, "activity"), "rule '%s': unknown activity '%s'",
                               r.name, raw.activity);
        r.by_activity = true;
    }
    return add_rule(c, &r, &raw, err);
}

typedef struct account_raw {
    const char *domain, *owner;
} account_raw;

static const lr_cfg_field account_fields[] = {
    {"domain", LR_CFG_T_STR, offsetof(account_raw, domain), true, NULL, 0, 0},
    {"owner", LR_CFG_T_STR, offsetof(account_raw, owner), true, NULL, 0, 0},
};

static int parse_account(lr_route_config *c, const lr_cfg_node *n, lr_err *err) {
    account_raw raw = {0};
    if (lr_cfg_expect(n, LR_CFG_MAP, "an account ({ domain, owner })", err) < 0) return -1;
    if (lr_cfg_apply(n, account_fields, LR_CFG_COUNT(account_fields), &raw, "account", err))
        return -1;
    const lr_cfg_node *dn = lr_cfg_get(n, "domain");
    size_t len = strlen(raw.domain);
    if (!len || strchr(raw.domain, '@') || raw.domain[0] == '.' || raw.domain[len - 1] == '.')
        return lr_cfg_fail(err, dn, "'%s' is not a domain (e.g. bigcorp.com)", raw.domain);
    int32_t owner = lr_route_rep_index(c, raw.owner, strlen(raw.owner));
    if (owner < 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "owner"), "account '%s': owner '%s' is not in reps",
                           raw.domain, raw.owner);
    if (lr_route_add_account(c, raw.domain, owner) < 0)
        return lr_cfg_fail(err, dn, "account domain '%s' is listed twice", raw.domain);
    return 0;
}

typedef struct routing_raw {
    const lr_cfg_node *rules, *accounts;
    bool prefer_previous_owner;
    const char *return_policy, *default_queue;
} routing_raw;

static const lr_cfg_field routing_fields[] = {
    {"rules", LR_CFG_T_NODE, offsetof(routing_raw, rules), false, NULL, 0, 0},
    {"accounts", LR_CFG_T_NODE, offsetof(routing_raw, accounts), false, NULL, 0, 0},
    {"prefer_previous_owner", LR_CFG_T_BOOL, offsetof(routing_raw, prefer_previous_owner), false,
     "true", 0, 0},
    {"return_policy", LR_CFG_T_STR, offsetof(routing_raw, return_policy), false, "no_catch_up",
     0, 0},
    {"default_queue", LR_CFG_T_STR, offsetof(routing_raw, default_queue), false, "unrouted", 0,
     0},
};

/* Reads the scalar keys of `routing:`; the rules and accounts come later,
 * once teams and reps are known. */
static int parse_routing_head(const lr_cfg_node *n, routing_raw *raw, lr_err *err) {
    if (lr_cfg_apply(n, routing_fields, LR_CFG_COUNT(routing_fields), raw, "routing", err))
        return -1;
    if (strcmp(raw->return_policy, "no_catch_up") != 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "return_policy"),
                           "unknown return_policy '%s' (no_catch_up)", raw->return_policy);
    if (!raw->default_queue[0])
        return lr_cfg_fail(err, lr_cfg_get(n, "default_queue"), "default_queue must not be empty");
    return 0;
}

static int parse_routing_lists(lr_route_config *c, const routing_raw *raw, lr_err *err) {
    const lr_cfg_node *rules = raw->rules, *accounts = raw->accounts;
    if (rules) {
        if (expect_seq(rules, "routing.rules", err) < 0) return -1;
        for (size_t i = 0; i < rules->n; i++)
            if (parse_rule(c, rules, i, err) < 0) return -1;
    }
    if (accounts && expect_seq(accounts, "routing.accounts", err) < 0) return -1;
    for (size_t i = 0; accounts && i < accounts->n; i++)
        if (parse_account(c, accounts->items[i], err) < 0) return -1;
    return 0;
}

static int section(const lr_cfg_node *root, const char *key, lr_cfg_kind kind,
                   const lr_cfg_node **out, lr_err *err) {
    *out = lr_cfg_get(root, key);
    if (!*out) return 0;
    /* "teams:" with nothing after it is an empty section, not an error */
    if ((*out)->kind == LR_CFG_SCALAR && !(*out)->scalar[0] && !(*out)->quoted) {
        *out = NULL;
        return 0;
    }
    return lr_cfg_expect(*out, kind, key, err);
}

/* The name tables are sized once: bounds from the node tree. */
static lr_route_limits limits(const lr_cfg_node *reps, const lr_cfg_node *teams,
                              const routing_raw *raw) {
    lr_route_limits max = {seq_len(reps), seq_len(teams), seq_len(raw->rules),
                           seq_len(raw->accounts), 0};
    /* every skill listed anywhere */
    for (size_t i = 0; i < max.reps; i++) {
        const lr_cfg_node *s = lr_cfg_get(reps->items[i], "skills");
        if (s && s->kind == LR_CFG_SEQ) max.skills += s->n;
    }
    return max;
}

lr_route_config *lr_route_config_parse(const lr_cfg_node *root, lr_tz_db *tzdb, lr_err *err) {
    const lr_cfg_node *routing, *teams, *reps;
    routing_raw raw = {0};
    if (section(root, "routing", LR_CFG_MAP, &routing, err) < 0 ||
        section(root, "teams", LR_CFG_SEQ, &teams, err) < 0 ||
        section(root, "reps", LR_CFG_SEQ, &reps, err) < 0 ||
        parse_routing_head(routing, &raw, err) < 0)
        return NULL;
    lr_route_limits max = limits(reps, teams, &raw);
    lr_route_config *c = lr_route_config_new(&max, raw.prefer_previous_owner, raw.default_queue);
    if (parse_reps(c, reps, tzdb, err) < 0 || parse_teams(c, teams, tzdb, err) < 0 ||
        default_rep_zones(c, reps, tzdb, err) < 0 || parse_routing_lists(c, &raw, err) < 0) {
        lr_route_config_free(c);
        return NULL;
    }
    lr_route_config_finish(c);
    return c;
}
