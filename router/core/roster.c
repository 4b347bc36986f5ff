/* roster.c - the routing configuration built from plain values (roster.h),
 * its lookups, the mutable routing state, and the routing domains.
 *
 * Everything with a name (reps, teams, skills, account domains, rules) is
 * resolved to an index here, once; explanation texts that never change
 * (a rule's conditions, a strategy's summary) are formatted here too, so an
 * assignment only copies pointers. */
#include "route_int.h"

#include <stdlib.h>
#include <string.h>

static inline unsigned char lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static const char *cdup(lr_route_config *c, const char *s) {
    return lr_arena_strndup(&c->mem, s, strlen(s));
}

static void *calloc_mem(lr_route_config *c, size_t n, size_t size) {
    size_t bytes = (n ? n : 1) * size;
    void *p = lr_arena_alloc(&c->mem, bytes);
    memset(p, 0, bytes);
    return p;
}


lr_route_config *lr_route_config_new(const lr_route_limits *max, bool prefer_previous_owner,
                                     const char *default_queue) {
    lr_route_config *c = calloc(1, sizeof(*c));
    if (!c) abort();
    lr_arena_init(&c->mem, 16 * 1024);
    c->prefer_previous_owner = prefer_previous_owner;
    c->default_queue = cdup(c, default_queue);
    c->reps = calloc_mem(c, max->reps, sizeof(*c->reps));
    c->cap_reps = max->reps;
    c->cap_accounts = max->accounts;
    c->skill_names = calloc_mem(c, max->skills, sizeof(*c->skill_names));
    c->skill_missing = calloc_mem(c, max->skills, sizeof(*c->skill_missing));
    c->teams = calloc_mem(c, max->teams, sizeof(*c->teams));
    c->rules = calloc_mem(c, max->rules, sizeof(*c->rules));
    c->accounts = calloc_mem(c, max->accounts, sizeof(*c->accounts));
    lr_ntab_init(&c->rep_ix, &c->mem, max->reps, false);
    lr_ntab_init(&c->skill_ix, &c->mem, max->skills, false);
    lr_ntab_init(&c->team_ix, &c->mem, max->teams, false);
    lr_ntab_init(&c->account_ix, &c->mem, max->accounts, true);
    return c;
}

/* ---- reps */

static int32_t intern_skill(lr_route_config *c, const char *name) {
    int32_t id = lr_ntab_get(&c->skill_ix, name, strlen(name));
    if (id >= 0) return id;
    id = (int32_t)c->n_skills++;
    c->skill_names[id] = cdup(c, name);
    c->skill_missing[id] = lr_arena_printf(&c->mem, "missing_skill %s", name);
    lr_ntab_put(&c->skill_ix, c->skill_names[id], id);
    return id;
}

int32_t lr_route_skill_index(const lr_route_config *c, const char *name) {
    return lr_ntab_get(&c->skill_ix, name, strlen(name));
}

void lr_route_rep_fields(rt_rep *r, const lr_route_rep_spec *s) {
    r->tz = s->tz;
    r->assignable = s->assignable;
    r->removed = false;
    r->has_hours = s->has_hours;
    r->days = s->days;
    r->start_min = s->start_min;
    r->end_min = s->end_min;
    r->max_open = s->max_open;
    r->max_per_day = s->max_per_day;
}

int32_t lr_route_add_rep(lr_route_config *c, const lr_route_rep_spec *s) {
    int32_t ix = (int32_t)c->n_reps++;
    rt_rep *r = &c->reps[ix];
    r->id = cdup(c, s->id);
    lr_route_rep_fields(r, s);
    r->first_team = -1;
    lr_ntab_put(&c->rep_ix, r->id, ix);
    r->skills = calloc_mem(c, s->n_skills, sizeof(*r->skills));
    for (size_t i = 0; i < s->n_skills; i++) r->skills[r->n_skills++] = intern_skill(c, s->skills[i]);
    r->ooo = calloc_mem(c, s->n_ooo, sizeof(*r->ooo));
    /* memcpy's source may not be NULL even for 0 bytes (a rep without any) */
    if (s->n_ooo) memcpy(r->ooo, s->ooo, s->n_ooo * sizeof(*r->ooo));
    r->n_ooo = s->n_ooo;
    return ix;
}

/* A rep without a zone works in the zone of the first team listing them:
 * a team of one office need not repeat its zone on every rep. */
const lr_tz *lr_route_rep_zone(const lr_route_config *c, int32_t rep) {
    const rt_rep *r = &c->reps[rep];
    if (r->tz) return r->tz;
    return r->first_team >= 0 ? c->teams[r->first_team].tz : NULL;
}

void lr_route_set_rep_zone(lr_route_config *c, int32_t rep, const lr_tz *tz) {
    c->reps[rep].tz = tz;
}

/* ---- teams */

int32_t lr_route_add_team(lr_route_config *c, const lr_route_team_spec *s) {
    int32_t ix = (int32_t)c->n_teams++;
    rt_team *t = &c->teams[ix];
    t->name = cdup(c, s->name);
    t->overflow = -1;
    lr_ntab_put(&c->team_ix, t->name, ix);
    t->strat = s->strategy;
    t->tz = s->tz;
    t->queue = s->queue ? cdup(c, s->queue) : NULL;
    t->manager = s->manager ? cdup(c, s->manager) : NULL;
    t->members = calloc_mem(c, s->n_members, sizeof(*t->members));
    t->weights = calloc_mem(c, s->n_members, sizeof(*t->weights));
    t->cap_members = s->n_members;
    t->n_active = s->n_members;
    for (size_t i = 0; i < s->n_members; i++) {
        int32_t rep = s->members[i];
        t->members[t->n_members] = rep;
        t->weights[t->n_members] = s->weights[i];
        t->n_members++;
        t->total_weight += s->weights[i];
        lr_route_rep_joined(c, rep, ix);
        if (c->reps[rep].first_team < 0) c->reps[rep].first_team = ix;
    }
    if (t->strat == LR_STRATEGY_WEIGHTED)
        t->strategy_text = lr_arena_printf(&c->mem, "weighted %zu members, total weight %lld",
                                           t->n_members, (long long)t->total_weight);
    else if (t->strat == LR_STRATEGY_LEAST_LOADED)
        t->strategy_text = lr_arena_printf(&c->mem, "least_loaded %zu members", t->n_members);
    return ix;
}

void lr_route_set_overflow(lr_route_config *c, int32_t team, int32_t overflow) {
    c->teams[team].overflow = overflow;
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

bool lr_route_team_has(const lr_route_config *c, int32_t team, int32_t rep) {
    const rt_rep *r = &c->reps[rep];
    for (uint32_t i = 0; i < r->n_teams; i++)
        if (r->teams[i] == team) return true;
    return false;
}

void lr_route_rep_joined(lr_route_config *c, int32_t rep, int32_t team) {
    rt_rep *r = &c->reps[rep];
    if (lr_route_team_has(c, team, rep)) return;
    if (r->n_teams == r->cap_teams) {
        size_t cap = r->cap_teams;
        r->teams = lr_route_grow(c, r->teams, r->n_teams, cap ? cap : 2, r->n_teams + 1,
                                 sizeof(*r->teams), &cap);
        r->cap_teams = (uint32_t)cap;
    }
    r->teams[r->n_teams++] = team;
}

void lr_route_rep_left(lr_route_config *c, int32_t rep, int32_t team) {
    rt_rep *r = &c->reps[rep];
    for (uint32_t i = 0; i < r->n_teams; i++)
        if (r->teams[i] == team) {
            r->teams[i] = r->teams[--r->n_teams];
            return;
        }
}

/* ---- rules and accounts */

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

void lr_route_add_rule(lr_route_config *c, const lr_route_rule_spec *s) {
    rt_rule *r = &c->rules[c->n_rules++];
    r->name = cdup(c, s->name);
    r->team = s->team;
    r->by_activity = s->by_activity;
    r->activity = s->activity;
    r->when = calloc_mem(c, s->n_when, sizeof(*r->when));
    for (size_t i = 0; i < s->n_when; i++) r->when[r->n_when++] = s->when[i];
    r->skills = calloc_mem(c, s->n_skills, sizeof(*r->skills));
    for (size_t i = 0; i < s->n_skills; i++) r->skills[r->n_skills++] = s->skills[i];
    describe_rule(c, r);
}

int32_t lr_route_add_account(lr_route_config *c, const char *domain, int32_t owner) {
    if (c->n_accounts == c->cap_accounts) {
        c->accounts = lr_route_grow(c, c->accounts, c->n_accounts, c->cap_accounts,
                                    c->n_accounts + 1, sizeof(*c->accounts), &c->cap_accounts);
        lr_ntab_grow(&c->account_ix, &c->mem, c->cap_accounts);
    }
    rt_account *a = &c->accounts[c->n_accounts];
    char *d = lr_arena_strndup(&c->mem, domain, strlen(domain));
    for (char *p = d; *p; p++) *p = (char)lower((unsigned char)*p);
    if (lr_ntab_put(&c->account_ix, d, (int32_t)c->n_accounts) >= 0) return -1;
    a->domain = d;
    a->owner = owner;
    return (int32_t)c->n_accounts++;
}

static void build_domains(lr_route_config *c);

void lr_route_config_finish(lr_route_config *c) {
    for (size_t i = 0; i < c->n_teams; i++)
        if (!c->teams[i].queue) c->teams[i].queue = c->default_queue;
    for (size_t i = 0; i < c->n_teams; i++) build_chain(c, &c->teams[i]);
    build_domains(c);
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
        size_t n = cfg->teams[i].n_members;
        st->teams[i].current = calloc(n ? n : 1, sizeof(int64_t));
        if (!st->teams[i].current) abort();
        st->teams[i].n_current = n;
    }
    st->version = cfg->version;
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
    return lr_ntab_get(&cfg->rep_ix, name, len);
}

int32_t lr_route_team_index(const lr_route_config *cfg, const char *name) {
    return name ? lr_ntab_get(&cfg->team_ix, name, strlen(name)) : -1;
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
        if (t->strat == LR_STRATEGY_WEIGHTED) return (double)t->weights[i] / (double)t->total_weight;
        return 1.0 / (double)t->n_active;
    }
    return 0;
}

bool lr_route_rep_in_team(const lr_route_config *cfg, int32_t team, int32_t rep) {
    return team >= 0 && (size_t)team < cfg->n_teams && rep >= 0 && (size_t)rep < cfg->n_reps &&
           lr_route_team_has(cfg, team, rep);
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
        for (size_t k = 0; k < t->n_members; k++)
            if (t->members[k] >= 0) uf_union(up, (int32_t)i, nt + t->members[k]);
    }
    for (size_t a = 0; a < c->n_accounts; a++)
        for (size_t r = 0; r < c->n_rules && c->accounts[a].owner >= 0; r++)
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

int32_t lr_route_rep_domain(const lr_route_config *cfg, int32_t rep) {
    if (rep < 0 || (size_t)rep >= cfg->n_reps) return (int32_t)cfg->n_domains - 1;
    return cfg->rep_domain[rep];
}

int32_t lr_route_team_domain(const lr_route_config *cfg, int32_t team) {
    if (team < 0 || (size_t)team >= cfg->n_teams) return (int32_t)cfg->n_domains - 1;
    return cfg->team_domain[team];
}

