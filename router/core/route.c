/* route.c - see route.h.
 *
 * Everything with a name (reps, teams, skills, account domains, rules) is
 * resolved to an index while the configuration is parsed; an assignment walks
 * small arrays and never compares names. Name lookups that remain (rep ids on
 * sales activity, config-time references) go through open-addressing hash
 * tables built once.
 *
 * The order of an assignment, each step leaving reasons in the decision:
 *   1. team: the request's team, else the first routing rule that matches;
 *   2. the previous owner (re-engaged lead), when allowed and available;
 *   3. the account owner (email or company domain), when available;
 *   4. the team's strategy over its available members;
 *   5. the overflow chain, team by team, with the same strategy rules;
 *   6. the original team's queue (or routing.default_queue when no rule matched).
 * "Available" is one function, rep_unavailable(), so every path skips reps for
 * the same reasons and explains them the same way. */
#include "route.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "predicate.h"
#include "rules.h"

typedef enum strategy {
    STRAT_ROUND_ROBIN = 0,
    STRAT_WEIGHTED,
    STRAT_LEAST_LOADED,
    STRAT__COUNT
} strategy;

static const char *const strategy_names[STRAT__COUNT] = {"round_robin", "weighted",
                                                         "least_loaded"};
/* Indexed by lr_local_time.wday (0 = Sunday). */
static const char *const day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const day_labels[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

#define WEIGHT_MAX 1000000
#define CAP_MAX 1000000

/* ---- name tables ----------------------------------------------------------
 * Sized once for a known number of keys (load factor <= 1/2), never grown. */

typedef struct ntab {
    uint32_t mask;
    int32_t *val;      /* -1: empty slot */
    const char **key;
    uint32_t *klen;
    bool nocase;       /* domains compare without ASCII case */
} ntab;

static inline unsigned char lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static uint64_t ntab_hash(const ntab *t, const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= t->nocase ? lower((unsigned char)s[i]) : (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static bool ntab_eq(const ntab *t, size_t slot, const char *s, size_t n) {
    if (t->klen[slot] != n) return false;
    const char *k = t->key[slot];
    if (!t->nocase) return memcmp(k, s, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)k[i]) != lower((unsigned char)s[i])) return false;
    return true;
}

static void ntab_init(ntab *t, lr_arena *mem, size_t n, bool nocase) {
    size_t cap = 8;
    while (cap < n * 2) cap <<= 1;
    t->mask = (uint32_t)(cap - 1);
    t->val = lr_arena_alloc(mem, cap * sizeof(*t->val));
    t->key = lr_arena_alloc(mem, cap * sizeof(*t->key));
    t->klen = lr_arena_alloc(mem, cap * sizeof(*t->klen));
    for (size_t i = 0; i < cap; i++) t->val[i] = -1;
    t->nocase = nocase;
}

static int32_t ntab_get(const ntab *t, const char *s, size_t n) {
    if (!t->val || !s) return -1;
    for (uint64_t i = ntab_hash(t, s, n) & t->mask;; i = (i + 1) & t->mask) {
        if (t->val[i] < 0) return -1;
        if (ntab_eq(t, (size_t)i, s, n)) return t->val[i];
    }
}

/* Inserts key -> v; returns the existing value instead when the key is there. */
static int32_t ntab_put(ntab *t, const char *s, int32_t v) {
    size_t n = strlen(s);
    for (uint64_t i = ntab_hash(t, s, n) & t->mask;; i = (i + 1) & t->mask) {
        if (t->val[i] < 0) {
            t->val[i] = v;
            t->key[i] = s;
            t->klen[i] = (uint32_t)n;
            return -1;
        }
        if (ntab_eq(t, (size_t)i, s, n)) return t->val[i];
    }
}

/* ---- configuration ---------------------------------------------------------- */

typedef struct rt_ooo {
    int64_t from_day, until_day; /* local day numbers, [from, until) */
} rt_ooo;

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
    rt_ooo *ooo;
    size_t n_ooo;
    int32_t first_team;    /* first team listing the rep, config order; -1 none */
    const lr_cfg_node *src; /* parse time only: for error lines */
    bool tz_given;
} rt_rep;

typedef struct rt_team {
    const char *name;
    strategy strat;
    const lr_tz *tz;       /* NULL when not set */
    const char *queue;     /* never NULL after parse: falls back to default_queue */
    const char *manager;   /* may be NULL */
    int32_t overflow;      /* -1 none */
    size_t n_members;
    int32_t *members;      /* rep indexes */
    int64_t *weights;
    int64_t total_weight;
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
    int32_t owner;
    const char *why_email, *why_company; /* ACCOUNT_OWNER detail prefixes */
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
    ntab rep_ix, team_ix, skill_ix, account_ix;
    bool prefer_previous_owner;
    const char *default_queue;
    /* routing domains: see lr_route_lead_domain */
    int32_t *team_domain, *rep_domain;
    const char **domain_names;
    size_t n_domains;      /* the last one is the unrouted domain */
};

static const char *cdup(lr_route_config *c, const char *s) {
    return lr_arena_strndup(&c->mem, s, strlen(s));
}

static void *calloc_mem(lr_route_config *c, size_t n, size_t size) {
    size_t bytes = (n ? n : 1) * size;
    void *p = lr_arena_alloc(&c->mem, bytes);
    memset(p, 0, bytes);
    return p;
}

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

/* ---- reps: ---- */

typedef struct hours_raw {
    const lr_cfg_node *days, *start, *end;
} hours_raw;

static const lr_cfg_field hours_fields[] = {
    {"days", LR_CFG_T_NODE, offsetof(hours_raw, days), true, NULL, 0, 0},
    {"start", LR_CFG_T_NODE, offsetof(hours_raw, start), true, NULL, 0, 0},
    {"end", LR_CFG_T_NODE, offsetof(hours_raw, end), true, NULL, 0, 0},
};

static int parse_hours(rt_rep *r, const lr_cfg_node *n, lr_err *err) {
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

static int32_t intern_skill(lr_route_config *c, const char *name) {
    int32_t id = ntab_get(&c->skill_ix, name, strlen(name));
    if (id >= 0) return id;
    id = (int32_t)c->n_skills++;
    c->skill_names[id] = cdup(c, name);
    c->skill_missing[id] = lr_arena_printf(&c->mem, "missing_skill %s", name);
    ntab_put(&c->skill_ix, c->skill_names[id], id);
    return id;
}

static int parse_skills(lr_route_config *c, rt_rep *r, const lr_cfg_node *n, lr_err *err) {
    if (expect_seq(n, "skills", err) < 0) return -1;
    r->skills = calloc_mem(c, n->n, sizeof(*r->skills));
    for (size_t i = 0; i < n->n; i++) {
        if (expect_name(n->items[i], "a skill name", err) < 0) return -1;
        int32_t id = intern_skill(c, n->items[i]->scalar);
        for (size_t k = 0; k < r->n_skills; k++)
            if (r->skills[k] == id)
                return lr_cfg_fail(err, n->items[i], "skill '%s' is listed twice",
                                   n->items[i]->scalar);
        r->skills[r->n_skills++] = id;
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

static int parse_ooo(lr_route_config *c, rt_rep *r, const lr_cfg_node *n, lr_err *err) {
    if (expect_seq(n, "out_of_office", err) < 0) return -1;
    r->ooo = calloc_mem(c, n->n, sizeof(*r->ooo));
    for (size_t i = 0; i < n->n; i++) {
        ooo_raw o = {0};
        if (lr_cfg_expect(n->items[i], LR_CFG_MAP, "out_of_office entry", err) < 0) return -1;
        if (lr_cfg_apply(n->items[i], ooo_fields, LR_CFG_COUNT(ooo_fields), &o,
                         "out_of_office entry", err))
            return -1;
        rt_ooo *x = &r->ooo[r->n_ooo];
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

static int parse_rep(lr_route_config *c, rt_rep *r, const lr_cfg_node *n, lr_tz_db *tzdb,
                     lr_err *err) {
    rep_raw raw = {0};
    if (lr_cfg_expect(n, LR_CFG_MAP, "a rep (id, timezone, ...)", err) < 0) return -1;
    if (lr_cfg_apply(n, rep_fields, LR_CFG_COUNT(rep_fields), &raw, "rep", err)) return -1;
    const lr_cfg_node *idn = lr_cfg_get(n, "id");
    if (expect_name(idn, "rep id", err) < 0) return -1;
    r->id = cdup(c, raw.id);
    r->src = n;
    r->first_team = -1;
    r->assignable = raw.assignable;
    r->max_open = (int32_t)raw.max_open;
    r->max_per_day = (int32_t)raw.max_per_day;
    int32_t prev = ntab_put(&c->rep_ix, r->id, (int32_t)(r - c->reps));
    if (prev >= 0)
        return lr_cfg_fail(err, idn, "rep '%s' is listed twice (first at line %d)", r->id,
                           c->reps[prev].src->line);
    if (raw.timezone) {
        if (get_zone(tzdb, lr_cfg_get(n, "timezone"), raw.timezone, &r->tz, err) < 0) return -1;
        r->tz_given = true;
    }
    if (raw.working_hours && parse_hours(r, raw.working_hours, err) < 0) return -1;
    if (raw.skills && parse_skills(c, r, raw.skills, err) < 0) return -1;
    if (raw.out_of_office && parse_ooo(c, r, raw.out_of_office, err) < 0) return -1;
    return 0;
}

static int parse_reps(lr_route_config *c, const lr_cfg_node *reps, lr_tz_db *tzdb, lr_err *err) {
    size_t n = reps ? reps->n : 0, skill_bound = 0;
    if (reps && expect_seq(reps, "reps", err) < 0) return -1;
    /* The skill table is sized from an upper bound: every skill listed anywhere. */
    for (size_t i = 0; i < n; i++) {
        const lr_cfg_node *s = lr_cfg_get(reps->items[i], "skills");
        if (s && s->kind == LR_CFG_SEQ) skill_bound += s->n;
    }
    c->reps = calloc_mem(c, n, sizeof(*c->reps));
    c->skill_names = calloc_mem(c, skill_bound, sizeof(*c->skill_names));
    c->skill_missing = calloc_mem(c, skill_bound, sizeof(*c->skill_missing));
    ntab_init(&c->rep_ix, &c->mem, n, false);
    ntab_init(&c->skill_ix, &c->mem, skill_bound, false);
    for (size_t i = 0; i < n; i++) {
        if (parse_rep(c, &c->reps[i], reps->items[i], tzdb, err) < 0) return -1;
        c->n_reps++;
    }
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

static int parse_members(lr_route_config *c, rt_team *t, const lr_cfg_node *n, lr_err *err) {
    if (expect_seq(n, "members", err) < 0) return -1;
    if (n->n == 0) return lr_cfg_fail(err, n, "team '%s' has no members", t->name);
    t->members = calloc_mem(c, n->n, sizeof(*t->members));
    t->weights = calloc_mem(c, n->n, sizeof(*t->weights));
    for (size_t i = 0; i < n->n; i++) {
        const lr_cfg_node *m = n->items[i];
        member_raw raw = {0};
        if (lr_cfg_expect(m, LR_CFG_MAP, "a member ({ rep: id, weight: n })", err) < 0) return -1;
        if (lr_cfg_apply(m, member_fields, LR_CFG_COUNT(member_fields), &raw, "member", err))
            return -1;
        const lr_cfg_node *rn = lr_cfg_get(m, "rep");
        int32_t rep = ntab_get(&c->rep_ix, raw.rep, strlen(raw.rep));
        if (rep < 0)
            return lr_cfg_fail(err, rn, "team '%s': member '%s' is not in reps", t->name, raw.rep);
        for (size_t k = 0; k < t->n_members; k++)
            if (t->members[k] == rep)
                return lr_cfg_fail(err, rn, "team '%s': member '%s' is listed twice", t->name,
                                   raw.rep);
        int64_t w = 1;
        if (raw.weight && parse_weight(raw.weight, &w, err) < 0) return -1;
        t->members[t->n_members] = rep;
        t->weights[t->n_members] = w;
        t->n_members++;
        t->total_weight += w;
        if (c->reps[rep].first_team < 0) c->reps[rep].first_team = (int32_t)(t - c->teams);
    }
    return 0;
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

static int parse_team(lr_route_config *c, rt_team *t, const lr_cfg_node *n, lr_tz_db *tzdb,
                      lr_err *err) {
    team_raw raw = {0};
    if (lr_cfg_expect(n, LR_CFG_MAP, "a team (name, strategy, members, ...)", err) < 0) return -1;
    if (lr_cfg_apply(n, team_fields, LR_CFG_COUNT(team_fields), &raw, "team", err)) return -1;
    const lr_cfg_node *namen = lr_cfg_get(n, "name");
    if (expect_name(namen, "team name", err) < 0) return -1;
    t->name = cdup(c, raw.name);
    t->overflow = -1;
    int32_t prev = ntab_put(&c->team_ix, t->name, (int32_t)(t - c->teams));
    if (prev >= 0)
        return lr_cfg_fail(err, namen, "team '%s' is defined twice", t->name);
    int s = -1;
    for (int k = 0; k < STRAT__COUNT; k++)
        if (strcmp(raw.strategy, strategy_names[k]) == 0) s = k;
    if (s < 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "strategy"),
                           "unknown strategy '%s' (round_robin, weighted, least_loaded)",
                           raw.strategy);
    t->strat = (strategy)s;
    if (raw.timezone && get_zone(tzdb, lr_cfg_get(n, "timezone"), raw.timezone, &t->tz, err) < 0)
        return -1;
    if (raw.queue) {
        if (expect_name(lr_cfg_get(n, "queue"), "queue", err) < 0) return -1;
        t->queue = cdup(c, raw.queue);
    }
    if (raw.manager) {
        const lr_cfg_node *mn = lr_cfg_get(n, "manager");
        if (ntab_get(&c->rep_ix, raw.manager, strlen(raw.manager)) < 0)
            return lr_cfg_fail(err, mn, "team '%s': manager '%s' is not in reps "
                               "(list managers with assignable: false)", t->name, raw.manager);
        t->manager = cdup(c, raw.manager);
    }
    if (parse_members(c, t, raw.members, err) < 0) return -1;
    if (t->strat == STRAT_WEIGHTED)
        t->strategy_text = lr_arena_printf(&c->mem, "weighted %zu members, total weight %lld",
                                           t->n_members, (long long)t->total_weight);
    else if (t->strat == STRAT_LEAST_LOADED)
        t->strategy_text = lr_arena_printf(&c->mem, "least_loaded %zu members", t->n_members);
    return 0;
}

/* Overflow chains are resolved once: the teams tried after `t`, in order, each
 * at most once. Two teams may back each other up (a -> b -> a); the chain just
 * stops where it would repeat. */
static void build_chain(lr_route_config *c, rt_team *t) {
    t->chain = calloc_mem(c, c->n_teams, sizeof(*t->chain));
    int32_t self = (int32_t)(t - c->teams);
    for (int32_t next = t->overflow; next >= 0 && next != self; next = c->teams[next].overflow) {
        bool seen = false;
        for (size_t k = 0; k < t->n_chain; k++) seen |= t->chain[k] == next;
        if (seen) break;
        t->chain[t->n_chain++] = next;
    }
}

static int link_teams(lr_route_config *c, const lr_cfg_node *teams, lr_err *err) {
    for (size_t i = 0; i < c->n_teams; i++) {
        rt_team *t = &c->teams[i];
        const lr_cfg_node *on = lr_cfg_get(teams->items[i], "overflow");
        if (!t->queue) t->queue = c->default_queue;
        if (!on) continue;
        int32_t o = ntab_get(&c->team_ix, on->scalar, strlen(on->scalar));
        if (o < 0)
            return lr_cfg_fail(err, on, "team '%s': overflow team '%s' is not defined", t->name,
                               on->scalar);
        if (o == (int32_t)i)
            return lr_cfg_fail(err, on, "team '%s' overflows to itself", t->name);
        t->overflow = o;
    }
    for (size_t i = 0; i < c->n_teams; i++) build_chain(c, &c->teams[i]);
    return 0;
}

static int parse_teams(lr_route_config *c, const lr_cfg_node *teams, lr_tz_db *tzdb,
                       lr_err *err) {
    size_t n = teams ? teams->n : 0;
    if (teams && expect_seq(teams, "teams", err) < 0) return -1;
    c->teams = calloc_mem(c, n, sizeof(*c->teams));
    ntab_init(&c->team_ix, &c->mem, n, false);
    for (size_t i = 0; i < n; i++) {
        if (parse_team(c, &c->teams[i], teams->items[i], tzdb, err) < 0) return -1;
        c->n_teams++;
    }
    return n ? link_teams(c, teams, err) : 0;
}

/* A rep without `timezone` works in the zone of the first team listing them,
 * else UTC: a team of one office need not repeat its zone on every rep. */
static int default_rep_zones(lr_route_config *c, lr_tz_db *tzdb, lr_err *err) {
    for (size_t i = 0; i < c->n_reps; i++) {
        rt_rep *r = &c->reps[i];
        if (r->tz) continue;
        if (r->first_team >= 0 && c->teams[r->first_team].tz) {
            r->tz = c->teams[r->first_team].tz;
        } else if (get_zone(tzdb, r->src, "UTC", &r->tz, err) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- routing: ---- */

static int parse_when(lr_route_config *c, rt_rule *r, const lr_cfg_node *n, lr_err *err) {
    static const char *const no_extra[] = {NULL};
    if (expect_seq(n, "when (a list of conditions)", err) < 0) return -1;
    r->when = calloc_mem(c, n->n, sizeof(*r->when));
    for (size_t i = 0; i < n->n; i++) {
        lr_predicate *p = lr_predicate_parse(n->items[i], no_extra, err);
        if (!p) return -1;
        r->when[r->n_when++] = p;
    }
    return 0;
}

static int parse_require(lr_route_config *c, rt_rule *r, const lr_cfg_node *n, lr_err *err) {
    if (expect_seq(n, "require_skills", err) < 0) return -1;
    r->skills = calloc_mem(c, n->n, sizeof(*r->skills));
    for (size_t i = 0; i < n->n; i++) {
        if (expect_name(n->items[i], "a skill name", err) < 0) return -1;
        const char *s = n->items[i]->scalar;
        int32_t id = ntab_get(&c->skill_ix, s, strlen(s));
        if (id < 0)
            return lr_cfg_fail(err, n->items[i], "rule '%s': no rep has skill '%s'", r->name, s);
        r->skills[r->n_skills++] = id;
    }
    return 0;
}

/* The explanation of a rule never changes: build it once. */
static void describe_rule(lr_route_config *c, rt_rule *r) {
    const char *text = "";
    if (r->by_activity)
        text = lr_arena_printf(&c->mem, "activity %s", lr_activity_type_name(r->activity));
    for (size_t i = 0; i < r->n_when; i++)
        text = lr_arena_printf(&c->mem, "%s%s%s", text, text[0] ? " and " : "",
                               lr_predicate_describe(r->when[i]));
    if (!text[0]) text = "no conditions (matches every lead)";
    if (r->n_skills) {
        const char *sk = "require_skills ";
        for (size_t i = 0; i < r->n_skills; i++)
            sk = lr_arena_printf(&c->mem, "%s%s%s", sk, i ? "," : "", c->skill_names[r->skills[i]]);
        r->skills_text = sk;
        text = lr_arena_printf(&c->mem, "%s; %s", text, sk);
    }
    r->why = text;
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

static int parse_rule(lr_route_config *c, rt_rule *r, const lr_cfg_node *n, lr_err *err) {
    rule_raw raw = {0};
    if (lr_cfg_expect(n, LR_CFG_MAP, "a routing rule (name, when, team)", err) < 0) return -1;
    if (lr_cfg_apply(n, rule_fields, LR_CFG_COUNT(rule_fields), &raw, "routing rule", err))
        return -1;
    const lr_cfg_node *namen = lr_cfg_get(n, "name");
    if (expect_name(namen, "rule name", err) < 0) return -1;
    r->name = cdup(c, raw.name);
    for (rt_rule *o = c->rules; o < r; o++)
        if (strcmp(o->name, r->name) == 0)
            return lr_cfg_fail(err, namen, "routing rule '%s' is defined twice", r->name);
    r->team = ntab_get(&c->team_ix, raw.team, strlen(raw.team));
    if (r->team < 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "team"), "rule '%s': team '%s' is not defined",
                           r->name, raw.team);
    if (raw.activity) {
        if (!lr_activity_type_parse(raw.activity, &r->activity))
            return lr_cfg_fail(err, lr_cfg_get(n, "activity"), "rule '%s': unknown activity '%s'",
                               r->name, raw.activity);
        r->by_activity = true;
    }
    if (raw.when && parse_when(c, r, raw.when, err) < 0) return -1;
    if (raw.require_skills && parse_require(c, r, raw.require_skills, err) < 0) return -1;
    describe_rule(c, r);
    return 0;
}

typedef struct account_raw {
    const char *domain, *owner;
} account_raw;

static const lr_cfg_field account_fields[] = {
    {"domain", LR_CFG_T_STR, offsetof(account_raw, domain), true, NULL, 0, 0},
    {"owner", LR_CFG_T_STR, offsetof(account_raw, owner), true, NULL, 0, 0},
};

static int parse_account(lr_route_config *c, rt_account *a, const lr_cfg_node *n, lr_err *err) {
    account_raw raw = {0};
    if (lr_cfg_expect(n, LR_CFG_MAP, "an account ({ domain, owner })", err) < 0) return -1;
    if (lr_cfg_apply(n, account_fields, LR_CFG_COUNT(account_fields), &raw, "account", err))
        return -1;
    const lr_cfg_node *dn = lr_cfg_get(n, "domain");
    size_t len = strlen(raw.domain);
    if (!len || strchr(raw.domain, '@') || raw.domain[0] == '.' || raw.domain[len - 1] == '.')
        return lr_cfg_fail(err, dn, "'%s' is not a domain (e.g. bigcorp.com)", raw.domain);
    char *d = lr_arena_strndup(&c->mem, raw.domain, len);
    for (char *p = d; *p; p++) *p = (char)lower((unsigned char)*p);
    a->domain = d;
    a->owner = ntab_get(&c->rep_ix, raw.owner, strlen(raw.owner));
    if (a->owner < 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "owner"), "account '%s': owner '%s' is not in reps",
                           raw.domain, raw.owner);
    if (ntab_put(&c->account_ix, a->domain, (int32_t)(a - c->accounts)) >= 0)
        return lr_cfg_fail(err, dn, "account domain '%s' is listed twice", raw.domain);
    a->why_email = lr_arena_printf(&c->mem, "email_domain matches account %s", d);
    a->why_company = lr_arena_printf(&c->mem, "company_domain matches account %s", d);
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
static int parse_routing_head(lr_route_config *c, const lr_cfg_node *n, routing_raw *raw,
                              lr_err *err) {
    if (lr_cfg_apply(n, routing_fields, LR_CFG_COUNT(routing_fields), raw, "routing", err))
        return -1;
    if (strcmp(raw->return_policy, "no_catch_up") != 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "return_policy"),
                           "unknown return_policy '%s' (no_catch_up)", raw->return_policy);
    if (!raw->default_queue[0])
        return lr_cfg_fail(err, lr_cfg_get(n, "default_queue"), "default_queue must not be empty");
    c->prefer_previous_owner = raw->prefer_previous_owner;
    c->default_queue = cdup(c, raw->default_queue);
    return 0;
}

static int parse_routing_lists(lr_route_config *c, const routing_raw *raw, lr_err *err) {
    const lr_cfg_node *rules = raw->rules, *accounts = raw->accounts;
    if (rules) {
        if (expect_seq(rules, "routing.rules", err) < 0) return -1;
        c->rules = calloc_mem(c, rules->n, sizeof(*c->rules));
        for (size_t i = 0; i < rules->n; i++) {
            /* counted first so that config_free releases a half-parsed rule */
            c->n_rules++;
            if (parse_rule(c, &c->rules[i], rules->items[i], err) < 0) return -1;
        }
    }
    size_t na = accounts ? accounts->n : 0;
    if (accounts && expect_seq(accounts, "routing.accounts", err) < 0) return -1;
    c->accounts = calloc_mem(c, na, sizeof(*c->accounts));
    ntab_init(&c->account_ix, &c->mem, na, true);
    for (size_t i = 0; i < na; i++) {
        if (parse_account(c, &c->accounts[i], accounts->items[i], err) < 0) return -1;
        c->n_accounts++;
    }
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

static void build_domains(lr_route_config *c);

lr_route_config *lr_route_config_parse(const lr_cfg_node *root, lr_tz_db *tzdb, lr_err *err) {
    lr_route_config *c = calloc(1, sizeof(*c));
    if (!c) abort();
    lr_arena_init(&c->mem, 16 * 1024);
    const lr_cfg_node *routing, *teams, *reps;
    routing_raw raw = {0};
    if (section(root, "routing", LR_CFG_MAP, &routing, err) < 0 ||
        section(root, "teams", LR_CFG_SEQ, &teams, err) < 0 ||
        section(root, "reps", LR_CFG_SEQ, &reps, err) < 0 ||
        parse_routing_head(c, routing, &raw, err) < 0 || parse_reps(c, reps, tzdb, err) < 0 ||
        parse_teams(c, teams, tzdb, err) < 0 || default_rep_zones(c, tzdb, err) < 0 ||
        parse_routing_lists(c, &raw, err) < 0) {
        lr_route_config_free(c);
        return NULL;
    }
    for (size_t i = 0; i < c->n_reps; i++) c->reps[i].src = NULL; /* the tree may go away */
    build_domains(c);
    return c;
}

void lr_route_config_free(lr_route_config *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_rules; i++)
        for (size_t k = 0; k < c->rules[i].n_when; k++) lr_predicate_free(c->rules[i].when[k]);
    lr_arena_destroy(&c->mem);
    free(c);
}

/* ---- state ------------------------------------------------------------------ */

lr_route_state *lr_route_state_new(const lr_route_config *cfg) {
    lr_route_state *st = calloc(1, sizeof(*st));
    if (!st) abort();
    st->n_reps = cfg->n_reps;
    st->n_teams = cfg->n_teams;
    st->reps = calloc(cfg->n_reps ? cfg->n_reps : 1, sizeof(*st->reps));
    st->teams = calloc(cfg->n_teams ? cfg->n_teams : 1, sizeof(*st->teams));
    if (!st->reps || !st->teams) abort();
    for (size_t i = 0; i < cfg->n_reps; i++) st->reps[i].local_day = INT64_MIN;
    for (size_t i = 0; i < cfg->n_teams; i++) {
        st->teams[i].current = calloc(cfg->teams[i].n_members, sizeof(int64_t));
        if (!st->teams[i].current) abort();
    }
    return st;
}

size_t lr_route_team_size(const lr_route_config *cfg, int32_t team) {
    return team >= 0 && (size_t)team < cfg->n_teams ? cfg->teams[team].n_members : 0;
}

void lr_route_state_free(lr_route_state *st) {
    if (!st) return;
    for (size_t i = 0; i < st->n_teams; i++) free(st->teams[i].current);
    free(st->teams);
    free(st->reps);
    free(st);
}

void lr_route_release(lr_route_state *st, int32_t rep) {
    if (!st || rep < 0 || (size_t)rep >= st->n_reps) return;
    if (st->reps[rep].open > 0) st->reps[rep].open--;
}

/* ---- assignment ------------------------------------------------------------- */

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
static const char *say(const route_ctx *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *say(const route_ctx *c, const char *code, const char *fmt, ...) {
    if (!c->d || !c->text) return code;
    va_list ap;
    va_start(ap, fmt);
    const char *s = lr_arena_vprintf(c->text, fmt, ap);
    va_end(ap);
    return s;
}

static void reason(const route_ctx *c, lr_reason_kind kind, const char *rule, int32_t rep,
                   const char *detail) {
    if (!c->d) return;
    lr_decision_add_reason(c->d, kind, rule, rep >= 0 ? c->cfg->reps[rep].id : NULL, 0, detail);
}

static bool excluded(const lr_route_request *req, int32_t rep) {
    for (size_t i = 0; i < req->n_exclude; i++)
        if (req->exclude[i] == rep) return true;
    return false;
}

static int32_t missing_skill(const route_ctx *c, const rt_rep *r) {
    if (!c->rule) return -1;
    for (size_t i = 0; i < c->rule->n_skills; i++) {
        bool has = false;
        for (size_t k = 0; k < r->n_skills && !has; k++) has = r->skills[k] == c->rule->skills[i];
        if (!has) return c->rule->skills[i];
    }
    return -1;
}

static const rt_ooo *away(const rt_rep *r, int64_t day) {
    for (size_t i = 0; i < r->n_ooo; i++)
        if (day >= r->ooo[i].from_day && day < r->ooo[i].until_day) return &r->ooo[i];
    return NULL;
}

/* NULL when the rep can take a lead now; else the machine-friendly reason.
 * The order puts what never changes during the day first, so the detail names
 * the most lasting cause. */
static const char *rep_unavailable(const route_ctx *c, int32_t rep, rep_view *v) {
    const rt_rep *r = &c->cfg->reps[rep];
    const lr_rep_load *l = &c->st->reps[rep];
    if (!r->assignable) return "not_assignable";
    if (excluded(c->req, rep)) return "excluded_previous_owner";
    int32_t sk = missing_skill(c, r);
    if (sk >= 0) return c->cfg->skill_missing[sk];
    if (c->memo->tz != r->tz) {
        lr_tz_local(r->tz, c->now, &c->memo->lt);
        c->memo->tz = r->tz;
    }
    v->lt = c->memo->lt;
    v->open = l->open;
    v->today = l->local_day == v->lt.day_number ? l->today : 0;
    const rt_ooo *o = away(r, v->lt.day_number);
    if (o) {
        int y, m, d;
        lr_civil_from_days(o->until_day, &y, &m, &d);
        return say(c, "out_of_office", "out_of_office until %04d-%02d-%02d", y, m, d);
    }
    if (r->has_hours && (!(r->days & (1u << v->lt.wday)) || v->lt.minute_of_day < r->start_min ||
                         v->lt.minute_of_day >= r->end_min))
        return say(c, "off_hours", "off_hours local %s %02d:%02d", day_labels[v->lt.wday],
                   v->lt.minute_of_day / 60, v->lt.minute_of_day % 60);
    if (r->max_open && v->open >= r->max_open)
        return say(c, "at_max_open", "at_max_open %d/%d", v->open, r->max_open);
    if (r->max_per_day && v->today >= r->max_per_day)
        return say(c, "at_daily_cap", "at_daily_cap %d/%d", v->today, r->max_per_day);
    return NULL;
}

/* Decimal v at p (at most 11 bytes); returns the end. */
static char *put_int(char *p, int32_t v) {
    char tmp[12], *e = tmp + sizeof(tmp), *d = e;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    do {
        *--d = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--d = '-';
    memcpy(p, d, (size_t)(e - d));
    return p + (e - d);
}

/* "open 3/25, today 2/15" (a cap that is not set shows no "/n"). */
static const char *load_text(const route_ctx *c, int32_t rep, const rep_view *v,
                             const char *prefix, const char *suffix) {
    const rt_rep *r = &c->cfg->reps[rep];
    if (!c->d || !c->text) return "chosen";
    /* written directly: it is built for every assignment, and a generic
     * formatter costs several times more */
    size_t np = prefix ? strlen(prefix) : 0, ns = suffix ? strlen(suffix) : 0;
    char *s = lr_arena_alloc(c->text, np + ns + 80), *p = s;
    if (prefix) {
        memcpy(p, prefix, np);
        memcpy(p + np, "; ", 2);
        p += np + 2;
    }
    memcpy(p, "open ", 5);
    p = put_int(p + 5, v->open);
    if (r->max_open) *p++ = '/', p = put_int(p, r->max_open);
    memcpy(p, ", today ", 8);
    p = put_int(p + 8, v->today);
    if (r->max_per_day) *p++ = '/', p = put_int(p, r->max_per_day);
    memcpy(p, suffix ? suffix : "", ns);
    p[ns] = '\0';
    return s;
}

/* The lead is theirs: one more open lead, one more today (on their local day). */
static void take(route_ctx *c, int32_t rep, const rep_view *v) {
    lr_rep_load *l = &c->st->reps[rep];
    if (l->local_day != v->lt.day_number) {
        l->local_day = v->lt.day_number;
        l->today = 0;
    }
    l->today++;
    l->open++;
}

static bool in_team(const rt_team *t, int32_t rep) {
    for (size_t i = 0; i < t->n_members; i++)
        if (t->members[i] == rep) return true;
    return false;
}

/* The team an owner's lead is booked under: the routed team when they belong
 * to it, else the first team listing them, else the routed team anyway. */
static int32_t owner_team(const lr_route_config *cfg, int32_t team, int32_t rep) {
    if (team >= 0 && in_team(&cfg->teams[team], rep)) return team;
    if (cfg->reps[rep].first_team >= 0) return cfg->reps[rep].first_team;
    return team;
}

static void result_rep(const lr_route_config *cfg, lr_route_result *res, int32_t team,
                       int32_t rep) {
    res->team = team;
    res->team_name = team >= 0 ? cfg->teams[team].name : NULL;
    res->rep = rep;
    res->rep_name = cfg->reps[rep].id;
    res->queue = NULL;
}

/* ---- strategies: each returns the member index chosen, or -1. */

static int round_robin(route_ctx *c, const rt_team *t, lr_team_cursor *cur, rep_view *v) {
    size_t n = t->n_members, start = cur->rr_next % n;
    reason(c, LR_REASON_STRATEGY, t->name, -1,
           say(c, "round_robin", "round_robin cursor %zu", start));
    for (size_t i = 0; i < n; i++) {
        size_t m = (start + i) % n;
        const char *why = rep_unavailable(c, t->members[m], v);
        if (why) {
            reason(c, LR_REASON_SKIPPED, t->name, t->members[m], why);
            continue;
        }
        cur->rr_next = (uint32_t)((m + 1) % n);
        return (int)m;
    }
    return -1;
}

/* Smooth weighted round robin (as in nginx): every available member earns its
 * weight in credit, the richest is chosen and pays the total earned this
 * round. Members away earn nothing, so they come back with the credit they
 * left with, not with a debt of missed turns: no flood on return. */
static int weighted(route_ctx *c, const rt_team *t, lr_team_cursor *cur, rep_view *v,
                    rep_view *best_view) {
    int64_t total = 0;
    int best = -1;
    reason(c, LR_REASON_STRATEGY, t->name, -1, t->strategy_text);
    for (size_t m = 0; m < t->n_members; m++) {
        const char *why = rep_unavailable(c, t->members[m], v);
        if (why) {
            reason(c, LR_REASON_SKIPPED, t->name, t->members[m], why);
            continue;
        }
        cur->current[m] += t->weights[m];
        total += t->weights[m];
        if (best < 0 || cur->current[m] > cur->current[best]) {
            best = (int)m;
            *best_view = *v;
            best_view->credit = cur->current[m];
        }
    }
    if (best >= 0) cur->current[best] -= total;
    return best;
}

static int least_loaded(route_ctx *c, const rt_team *t, rep_view *v, rep_view *best_view) {
    int best = -1;
    reason(c, LR_REASON_STRATEGY, t->name, -1, t->strategy_text);
    for (size_t m = 0; m < t->n_members; m++) {
        const char *why = rep_unavailable(c, t->members[m], v);
        if (why) {
            reason(c, LR_REASON_SKIPPED, t->name, t->members[m], why);
            continue;
        }
        if (best < 0 || v->open < best_view->open ||
            (v->open == best_view->open && v->today < best_view->today)) {
            best = (int)m;
            *best_view = *v;
        }
    }
    return best;
}

/* Runs team's strategy; on success the rep has the lead. Returns the rep or -1. */
static int32_t assign_in_team(route_ctx *c, int32_t team) {
    const rt_team *t = &c->cfg->teams[team];
    lr_team_cursor *cur = &c->st->teams[team];
    rep_view v, chosen;
    int m;
    switch (t->strat) {
    case STRAT_ROUND_ROBIN:
        m = round_robin(c, t, cur, &v);
        chosen = v;
        break;
    case STRAT_WEIGHTED: m = weighted(c, t, cur, &v, &chosen); break;
    default: m = least_loaded(c, t, &v, &chosen); break;
    }
    if (m < 0) return -1;
    int32_t rep = t->members[m];
    const char *extra = NULL;
    if (t->strat == STRAT_WEIGHTED)
        extra = say(c, "", ", weight %lld, credit %lld", (long long)t->weights[m],
                    (long long)chosen.credit);
    reason(c, LR_REASON_CHOSEN, t->name, rep, load_text(c, rep, &chosen, NULL, extra));
    take(c, rep, &chosen);
    return rep;
}

/* ---- rules and owners */

/* Same meaning as qualification's `activity:` override, so a fast lane can
 * qualify and route on one signal. */
static bool has_activity(const lr_lead *lead, lr_activity_type t) {
    for (uint32_t i = 0; i < lead->n_activities; i++)
        if (lead->activities[i].type == t) return true;
    return false;
}

static bool rule_matches(const rt_rule *r, const lr_lead *lead) {
    if (r->by_activity && !has_activity(lead, r->activity)) return false;
    for (size_t i = 0; i < r->n_when; i++)
        if (!lr_predicate_match(r->when[i], lead)) return false;
    return true;
}

static const rt_rule *first_rule(const lr_route_config *cfg, const lr_lead *lead) {
    for (size_t i = 0; i < cfg->n_rules; i++)
        if (rule_matches(&cfg->rules[i], lead)) return &cfg->rules[i];
    return NULL;
}

/* An account entry covers its subdomains: eu.bigcorp.com finds bigcorp.com.
 * The most specific entry wins; a bare top-level label is never looked up. */
static int32_t match_domain(const lr_route_config *cfg, const char *s, size_t n) {
    while (n && s[n - 1] == '.') n--;
    for (;;) {
        int32_t a = ntab_get(&cfg->account_ix, s, n);
        if (a >= 0) return a;
        const char *dot = memchr(s, '.', n);
        if (!dot) return -1;
        n -= (size_t)(dot + 1 - s);
        s = dot + 1;
        if (!memchr(s, '.', n)) return -1;
    }
}

static int32_t find_account(const lr_route_config *cfg, const lr_lead *lead, bool *by_email) {
    if (!cfg->n_accounts) return -1;
    if (lead->email.s) {
        /* the domain is what follows the last '@' */
        size_t at = lead->email.len;
        while (at > 0 && lead->email.s[at - 1] != '@') at--;
        if (at > 0) {
            int32_t a = match_domain(cfg, lead->email.s + at, lead->email.len - at);
            if (a >= 0) {
                *by_email = true;
                return a;
            }
        }
    }
    if (lead->company_domain.s) {
        int32_t a = match_domain(cfg, lead->company_domain.s, lead->company_domain.len);
        if (a >= 0) {
            *by_email = false;
            return a;
        }
    }
    return -1;
}

/* Tries an owner found outside the team strategy (previous or account owner). */
static bool try_owner(route_ctx *c, int32_t rep, int32_t team, lr_reason_kind kind,
                      const char *label, const char *why_prefix, lr_route_result *res) {
    rep_view v;
    const char *why = rep_unavailable(c, rep, &v);
    if (why) {
        reason(c, LR_REASON_SKIPPED, label, rep, why);
        return false;
    }
    reason(c, kind, label, rep, load_text(c, rep, &v, why_prefix, NULL));
    /* every assignment ends with CHOSEN, whichever path picked the rep, so a
     * reader (or a sink) finds the winner in one place */
    reason(c, LR_REASON_CHOSEN, label, rep, why_prefix);
    take(c, rep, &v);
    result_rep(c->cfg, res, owner_team(c->cfg, team, rep), rep);
    return true;
}

static void explain_team(route_ctx *c, int32_t team, lr_route_result *res) {
    const rt_rule *r = c->rule;
    if (team >= 0 && team == c->req->team) {
        if (r && r->skills_text)
            reason(c, LR_REASON_ROUTING_RULE, NULL, -1,
                   say(c, "requested_team", "requested team %s; %s (rule %s)",
                       c->cfg->teams[team].name, r->skills_text, r->name));
        else
            reason(c, LR_REASON_ROUTING_RULE, NULL, -1,
                   say(c, "requested_team", "requested team %s", c->cfg->teams[team].name));
    } else if (r) {
        res->rule = r->name;
        reason(c, LR_REASON_ROUTING_RULE, r->name, -1, r->why);
    }
}

static void queue_to(route_ctx *c, lr_route_result *res, int32_t team, const char *queue,
                     const char *why) {
    res->team = team;
    res->team_name = team >= 0 ? c->cfg->teams[team].name : NULL;
    res->rep = -1;
    res->rep_name = NULL;
    res->queue = queue;
    reason(c, LR_REASON_OVERFLOW, team >= 0 ? c->cfg->teams[team].name : NULL, -1, why);
}

void lr_route_assign(const lr_route_config *cfg, lr_route_state *st, const lr_lead *lead,
                     lr_time_ms now, const lr_route_request *req, lr_route_result *res,
                     lr_decision *d, lr_arena *text) {
    lr_route_request none = LR_ROUTE_REQUEST_INIT;
    if (!req) req = &none;
    tz_memo memo = {NULL};
    route_ctx c = {cfg, st, now, req, NULL, d, text, &memo};
    memset(res, 0, sizeof(*res));
    res->team = res->rep = -1;

    /* 1. team. A requested team (reassignment) still takes the skills of the
     * rule the lead matches: the lead needs them whoever serves it. */
    c.rule = first_rule(cfg, lead);
    int32_t team = -1;
    if (req->team >= 0 && (size_t)req->team < cfg->n_teams) team = req->team;
    else if (c.rule) team = c.rule->team;
    explain_team(&c, team, res);

    /* 2. previous owner */
    int32_t prev = req->previous_owner;
    if (cfg->prefer_previous_owner && prev >= 0 && (size_t)prev < cfg->n_reps &&
        try_owner(&c, prev, team, LR_REASON_PREVIOUS_OWNER, "previous_owner", "previous owner",
                  res))
        return;

    /* 3. account owner */
    bool by_email = false;
    int32_t acct = find_account(cfg, lead, &by_email);
    if (acct >= 0) {
        const rt_account *a = &cfg->accounts[acct];
        if (try_owner(&c, a->owner, team, LR_REASON_ACCOUNT_OWNER, a->domain,
                      by_email ? a->why_email : a->why_company, res))
            return;
    }

    if (team < 0) {
        queue_to(&c, res, -1, cfg->default_queue,
                 say(&c, "no_rule_matched", "no routing rule matched, queued to %s",
                     cfg->default_queue));
        return;
    }

    /* 4-5. the team, then its overflow chain */
    const rt_team *t = &cfg->teams[team];
    int32_t at = team;
    for (size_t hop = 0;; hop++) {
        int32_t rep = assign_in_team(&c, at);
        if (rep >= 0) {
            result_rep(cfg, res, at, rep);
            res->overflowed = at != team;
            return;
        }
        if (hop >= t->n_chain) break;
        int32_t next = t->chain[hop];
        reason(&c, LR_REASON_OVERFLOW, cfg->teams[at].name, -1,
               say(&c, "overflow", "no rep available in %s, overflow to %s", cfg->teams[at].name,
                   cfg->teams[next].name));
        at = next;
    }

    /* 6. the original team's queue */
    queue_to(&c, res, team, t->queue,
             say(&c, "queued", "no rep available, queued to %s", t->queue));
}

/* ---- lookups ------------------------------------------------------------------ */

size_t lr_route_rep_count(const lr_route_config *cfg) { return cfg->n_reps; }
size_t lr_route_team_count(const lr_route_config *cfg) { return cfg->n_teams; }

const char *lr_route_rep_name(const lr_route_config *cfg, int32_t rep) {
    return rep >= 0 && (size_t)rep < cfg->n_reps ? cfg->reps[rep].id : NULL;
}

const char *lr_route_team_name(const lr_route_config *cfg, int32_t team) {
    return team >= 0 && (size_t)team < cfg->n_teams ? cfg->teams[team].name : NULL;
}

int32_t lr_route_rep_index(const lr_route_config *cfg, const char *name, size_t len) {
    return ntab_get(&cfg->rep_ix, name, len);
}

int32_t lr_route_team_index(const lr_route_config *cfg, const char *name) {
    return name ? ntab_get(&cfg->team_ix, name, strlen(name)) : -1;
}

const char *lr_route_team_manager(const lr_route_config *cfg, int32_t team) {
    return team >= 0 && (size_t)team < cfg->n_teams ? cfg->teams[team].manager : NULL;
}

const char *lr_route_team_queue(const lr_route_config *cfg, int32_t team) {
    return team >= 0 && (size_t)team < cfg->n_teams ? cfg->teams[team].queue
                                                     : cfg->default_queue;
}

double lr_route_target_share(const lr_route_config *cfg, int32_t team, int32_t rep) {
    if (team < 0 || (size_t)team >= cfg->n_teams) return 0;
    const rt_team *t = &cfg->teams[team];
    for (size_t i = 0; i < t->n_members; i++) {
        if (t->members[i] != rep) continue;
        if (t->strat == STRAT_WEIGHTED) return (double)t->weights[i] / (double)t->total_weight;
        return 1.0 / (double)t->n_members;
    }
    return 0;
}

bool lr_route_rep_in_team(const lr_route_config *cfg, int32_t team, int32_t rep) {
    return team >= 0 && (size_t)team < cfg->n_teams && in_team(&cfg->teams[team], rep);
}

/* ---- routing domains -------------------------------------------------------------
 * A routing domain is the smallest set of teams and reps whose state a decision
 * can touch together: a team and its overflow chain, teams that share a rep,
 * and, when accounts are configured, each owner with every team a rule names
 * (the rules decide when the owner is unavailable). Domains share no state, so
 * each can be decided by a different instance (docs/design.md). Nodes of the
 * union-find: teams 0..n_teams-1, then reps. */

static int32_t uf_find(int32_t *up, int32_t x) {
    while (up[x] != x) {
        up[x] = up[up[x]];
        x = up[x];
    }
    return x;
}

static void uf_union(int32_t *up, int32_t a, int32_t b) {
    a = uf_find(up, a);
    b = uf_find(up, b);
    if (a != b) up[a < b ? b : a] = a < b ? a : b; /* the lower index roots: stable names */
}

static void link_domain_nodes(const lr_route_config *c, int32_t *up) {
    int32_t nt = (int32_t)c->n_teams;
    for (size_t i = 0; i < c->n_teams; i++) {
        const rt_team *t = &c->teams[i];
        for (size_t k = 0; k < t->n_chain; k++) uf_union(up, (int32_t)i, t->chain[k]);
        for (size_t k = 0; k < t->n_members; k++) uf_union(up, (int32_t)i, nt + t->members[k]);
    }
    for (size_t a = 0; a < c->n_accounts; a++)
        for (size_t r = 0; r < c->n_rules; r++)
            uf_union(up, nt + c->accounts[a].owner, c->rules[r].team);
}

static bool owns_account(const lr_route_config *c, int32_t rep) {
    for (size_t a = 0; a < c->n_accounts; a++)
        if (c->accounts[a].owner == rep) return true;
    return false;
}

/* A domain is named after its first team in file order (or its rep, for an
 * account owner in no team), so that names survive edits that do not change
 * membership. A rep in no team who owns no account holds no routing state
 * and belongs to the unrouted domain. */
static void build_domains(lr_route_config *c) {
    size_t nodes = c->n_teams + c->n_reps;
    int32_t *up = calloc_mem(c, nodes, sizeof(*up));
    int32_t *root_domain = calloc_mem(c, nodes, sizeof(*root_domain));
    for (size_t i = 0; i < nodes; i++) {
        up[i] = (int32_t)i;
        root_domain[i] = -1;
    }
    link_domain_nodes(c, up);
    c->team_domain = calloc_mem(c, c->n_teams, sizeof(*c->team_domain));
    c->rep_domain = calloc_mem(c, c->n_reps, sizeof(*c->rep_domain));
    c->domain_names = calloc_mem(c, nodes + 1, sizeof(*c->domain_names));
    for (size_t i = 0; i < nodes; i++) {
        int32_t root = uf_find(up, (int32_t)i);
        bool team_root = (size_t)root < c->n_teams;
        int32_t rep = (int32_t)(i - c->n_teams);
        if (root_domain[root] < 0 && (team_root || owns_account(c, rep))) {
            root_domain[root] = (int32_t)c->n_domains;
            c->domain_names[c->n_domains++] =
                team_root ? c->teams[root].name
                          : lr_arena_printf(&c->mem, "rep:%s", c->reps[rep].id);
        }
        if (i < c->n_teams) c->team_domain[i] = root_domain[root];
        else c->rep_domain[rep] = root_domain[root]; /* -1: unrouted, set below */
    }
    /* leads no rule and no owner takes touch no team: a domain of their own */
    int32_t unrouted = (int32_t)c->n_domains;
    c->domain_names[c->n_domains++] = "~unrouted";
    for (size_t r = 0; r < c->n_reps; r++)
        if (c->rep_domain[r] < 0) c->rep_domain[r] = unrouted;
}

size_t lr_route_domain_count(const lr_route_config *cfg) { return cfg->n_domains; }

const char *lr_route_domain_name(const lr_route_config *cfg, int32_t domain) {
    return domain >= 0 && (size_t)domain < cfg->n_domains ? cfg->domain_names[domain] : NULL;
}

int32_t lr_route_lead_domain(const lr_route_config *cfg, const lr_lead *lead) {
    bool by_email;
    int32_t acct = find_account(cfg, lead, &by_email);
    if (acct >= 0) return cfg->rep_domain[cfg->accounts[acct].owner];
    const rt_rule *r = first_rule(cfg, lead);
    if (r) return cfg->team_domain[r->team];
    return (int32_t)cfg->n_domains - 1;
}

int32_t lr_route_rep_domain(const lr_route_config *cfg, int32_t rep) {
    if (rep < 0 || (size_t)rep >= cfg->n_reps) return (int32_t)cfg->n_domains - 1;
    return cfg->rep_domain[rep];
}

int32_t lr_route_team_domain(const lr_route_config *cfg, int32_t team) {
    if (team < 0 || (size_t)team >= cfg->n_teams) return (int32_t)cfg->n_domains - 1;
    return cfg->team_domain[team];
}
