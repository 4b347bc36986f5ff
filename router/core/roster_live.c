/* roster_live.c - reps and account owners changed between two leads (the
 * "Live changes" of roster.h), and the states sized to follow them.
 *
 * Nothing here moves an index: a rep keeps its index for the life of the
 * config (a removed one is marked, so its open leads and activities still
 * name it), and a member leaving a team leaves a vacant slot that remembers
 * them. Round-robin cursors and weighted credits are indexed by slot, so
 * the turn of every other member is exactly where it was. Growth comes from
 * the config's arena (old arrays stay there; changes are rare). Pure. */
#include "route_int.h"

#include <stdlib.h>
#include <string.h>

void *lr_route_grow(lr_route_config *c, void *old, size_t used, size_t have, size_t want,
                    size_t size, size_t *cap) {
    size_t n = have ? have * 2 : 8;
    while (n < want) n *= 2;
    void *p = lr_arena_alloc(&c->mem, n * size);
    memset(p, 0, n * size);
    if (used) memcpy(p, old, used * size);
    *cap = n;
    return p;
}

uint64_t lr_route_roster_version(const lr_route_config *c) { return c->version; }

const lr_tz *lr_route_team_zone(const lr_route_config *c, int32_t team) {
    return team >= 0 && (size_t)team < c->n_teams ? c->teams[team].tz : NULL;
}

static void describe_strategy(lr_route_config *c, rt_team *t) {
    if (t->strat == LR_STRATEGY_WEIGHTED)
        t->strategy_text = lr_arena_printf(&c->mem, "weighted %zu members, total weight %lld",
                                           t->n_active, (long long)t->total_weight);
    else if (t->strat == LR_STRATEGY_LEAST_LOADED)
        t->strategy_text = lr_arena_printf(&c->mem, "least_loaded %zu members", t->n_active);
}

/* The slot of `rep` in team t, present or vacated by them; -1 none. */
static ptrdiff_t slot_of(const rt_team *t, int32_t rep) {
    for (size_t i = 0; i < t->n_members; i++)
        if (t->members[i] == rep || t->members[i] == -1 - rep) return (ptrdiff_t)i;
    return -1;
}

static void leave_team(lr_route_config *c, rt_team *t, int32_t rep) {
    ptrdiff_t s = slot_of(t, rep);
    if (s < 0 || t->members[s] < 0) return;
    lr_route_rep_left(c, rep, (int32_t)(t - c->teams));
    t->members[s] = -1 - rep;
    t->total_weight -= t->weights[s];
    t->n_active--;
}

/* Joins (or rejoins, in the slot they left) with weight w. */
static void join_team(lr_route_config *c, rt_team *t, int32_t rep, int64_t w) {
    ptrdiff_t s = slot_of(t, rep);
    if (s >= 0 && t->members[s] >= 0) {
        t->total_weight += w - t->weights[s];
        t->weights[s] = w;
        return;
    }
    if (s < 0) {
        if (t->n_members == t->cap_members) {
            size_t cap = t->cap_members;
            t->members = lr_route_grow(c, t->members, t->n_members, cap, cap + 1,
                                       sizeof(*t->members), &t->cap_members);
            t->weights = lr_route_grow(c, t->weights, t->n_members, cap, cap + 1,
                                       sizeof(*t->weights), &cap);
        }
        s = (ptrdiff_t)t->n_members++;
    }
    t->members[s] = rep;
    t->weights[s] = w;
    t->total_weight += w;
    t->n_active++;
    lr_route_rep_joined(c, rep, (int32_t)(t - c->teams));
}

static int32_t new_rep(lr_route_config *c, const char *id) {
    if (c->n_reps == c->cap_reps) {
        size_t cap = c->cap_reps;
        c->reps = lr_route_grow(c, c->reps, c->n_reps, cap, cap + 1, sizeof(*c->reps),
                                &c->cap_reps);
        c->rep_domain = lr_route_grow(c, c->rep_domain, c->n_reps, cap, cap + 1,
                                      sizeof(*c->rep_domain), &cap);
        lr_ntab_grow(&c->rep_ix, &c->mem, c->cap_reps);
    }
    int32_t ix = (int32_t)c->n_reps++;
    rt_rep *r = &c->reps[ix];
    memset(r, 0, sizeof(*r));
    r->id = lr_arena_strndup(&c->mem, id, strlen(id));
    r->first_team = -1;
    lr_ntab_put(&c->rep_ix, r->id, ix);
    return ix;
}

/* Everything of the spec but the id; skills no rule requires are dropped
 * (they cannot change a decision, and the skill table is sized by the file). */
static void copy_rep(lr_route_config *c, rt_rep *r, const lr_route_rep_spec *s) {
    lr_route_rep_fields(r, s);
    r->skills = lr_arena_alloc(&c->mem, (s->n_skills ? s->n_skills : 1) * sizeof(*r->skills));
    r->n_skills = 0;
    for (size_t i = 0; i < s->n_skills; i++) {
        int32_t k = lr_route_skill_index(c, s->skills[i]);
        if (k >= 0) r->skills[r->n_skills++] = k;
    }
    r->ooo = lr_arena_alloc(&c->mem, (s->n_ooo ? s->n_ooo : 1) * sizeof(*r->ooo));
    if (s->n_ooo) memcpy(r->ooo, s->ooo, s->n_ooo * sizeof(*r->ooo));
    r->n_ooo = s->n_ooo;
}

int32_t lr_route_roster_set_rep(lr_route_config *c, const lr_route_rep_spec *s,
                                const lr_route_membership *teams, size_t n_teams) {
    int32_t ix = lr_ntab_get(&c->rep_ix, s->id, strlen(s->id));
    bool added = ix < 0;
    if (added) ix = new_rep(c, s->id);
    rt_rep *r = &c->reps[ix];
    copy_rep(c, r, s);
    r->first_team = -1;
    for (size_t t = 0; t < c->n_teams; t++) {
        const lr_route_membership *m = NULL;
        for (size_t k = 0; k < n_teams && !m; k++)
            if (teams[k].team == (int32_t)t) m = &teams[k];
        if (m) join_team(c, &c->teams[t], ix, m->weight);
        else if (lr_route_team_has(c, (int32_t)t, ix)) leave_team(c, &c->teams[t], ix);
        if (m && r->first_team < 0) r->first_team = (int32_t)t;
        describe_strategy(c, &c->teams[t]);
    }
    /* a new rep decides in the domain of their first team (domains are not
     * re-split live: see docs/routing.md) */
    if (added)
        c->rep_domain[ix] = r->first_team >= 0 ? c->team_domain[r->first_team]
                                               : (int32_t)c->n_domains - 1;
    c->version++;
    return ix;
}

int lr_route_roster_remove_rep(lr_route_config *c, const char *id, size_t len) {
    int32_t ix = lr_ntab_get(&c->rep_ix, id, len);
    if (ix < 0 || c->reps[ix].removed) return -1;
    c->reps[ix].removed = true;
    for (size_t t = 0; t < c->n_teams; t++) {
        leave_team(c, &c->teams[t], ix);
        describe_strategy(c, &c->teams[t]);
    }
    c->version++;
    return 0;
}

bool lr_route_rep_removed(const lr_route_config *c, int32_t rep) {
    return rep >= 0 && (size_t)rep < c->n_reps && c->reps[rep].removed;
}

int lr_route_owner_set(lr_route_config *c, const char *domain, int32_t owner) {
    if (owner < 0 || (size_t)owner >= c->n_reps) return -1;
    int32_t a = lr_ntab_get(&c->account_ix, domain, strlen(domain));
    if (a >= 0) c->accounts[a].owner = owner;
    else if (lr_route_add_account(c, domain, owner) < 0) return -1;
    c->version++;
    return 0;
}

int lr_route_owner_clear(lr_route_config *c, const char *domain) {
    int32_t a = lr_ntab_get(&c->account_ix, domain, strlen(domain));
    if (a < 0 || c->accounts[a].owner < 0) return -1;
    c->accounts[a].owner = -1;
    c->version++;
    return 0;
}

int32_t lr_route_owner_of(const lr_route_config *c, const char *domain, size_t len) {
    int32_t a = lr_ntab_get(&c->account_ix, domain, len);
    return a >= 0 ? c->accounts[a].owner : -1;
}

/* ---- states */

/* The credit a member starts with: the mean of the members present, so a
 * newcomer is neither owed the team's past (a flood) nor in debt for it. */
static int64_t team_level(const rt_team *t, const lr_team_cursor *cur) {
    int64_t sum = 0, n = 0;
    for (size_t i = 0; i < cur->n_current && i < t->n_members; i++)
        if (t->members[i] >= 0) sum += cur->current[i], n++;
    return n ? sum / n : 0;
}

void lr_route_state_sync(const lr_route_config *cfg, lr_route_state *st) {
    if (st->n_reps < cfg->n_reps) {
        st->reps = realloc(st->reps, cfg->n_reps * sizeof(*st->reps));
        if (!st->reps) abort();
        for (size_t i = st->n_reps; i < cfg->n_reps; i++)
            st->reps[i] = (lr_rep_load){0, 0, INT64_MIN};
        st->n_reps = cfg->n_reps;
    }
    for (size_t t = 0; t < st->n_teams; t++) {
        lr_team_cursor *cur = &st->teams[t];
        size_t n = cfg->teams[t].n_members;
        if (cur->n_current >= n) continue;
        int64_t level = team_level(&cfg->teams[t], cur);
        cur->current = realloc(cur->current, n * sizeof(int64_t));
        if (!cur->current) abort();
        for (size_t i = cur->n_current; i < n; i++) cur->current[i] = level;
        cur->n_current = n;
    }
    st->version = cfg->version;
}

/* ---- a rep as a record (the CLI edits the current value) */

static const char *const day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const char *hhmm(lr_arena *mem, int minutes) {
    return lr_arena_printf(mem, "%02d:%02d", minutes / 60, minutes % 60);
}

static const char *ymd(lr_arena *mem, int64_t day) {
    int y, m, d;
    lr_civil_from_days(day, &y, &m, &d);
    return lr_arena_printf(mem, "%04d-%02d-%02d", y, m, d);
}

void lr_route_rep_record(const lr_route_config *c, int32_t rep, lr_arena *mem, lr_rep_rec *out) {
    const rt_rep *r = &c->reps[rep];
    memset(out, 0, sizeof(*out));
    out->id = r->id;
    for (size_t t = 0; t < c->n_teams && out->n_teams < LR_REP_MAX_TEAMS; t++) {
        const rt_team *tm = &c->teams[t];
        for (size_t i = 0; i < tm->n_members; i++)
            if (tm->members[i] == rep) {
                out->teams[out->n_teams].team = tm->name;
                out->teams[out->n_teams++].weight = tm->weights[i];
            }
    }
    out->active = r->assignable;
    out->max_open = r->max_open;
    out->max_per_day = r->max_per_day;
    out->timezone = r->tz ? lr_tz_name(r->tz) : NULL;
    out->has_hours = r->has_hours;
    if (r->has_hours) {
        for (int d = 0; d < 7; d++)
            if (r->days & (1u << d)) out->days[out->n_days++] = day_keys[d];
        out->start = hhmm(mem, r->start_min);
        out->end = hhmm(mem, r->end_min);
    }
    for (size_t i = 0; i < r->n_skills && i < LR_REP_MAX_SKILLS; i++)
        out->skills[out->n_skills++] = c->skill_names[r->skills[i]];
    for (size_t i = 0; i < r->n_ooo && i < LR_REP_MAX_OOO; i++) {
        out->ooo[out->n_ooo].from = ymd(mem, r->ooo[i].from_day);
        out->ooo[out->n_ooo++].until = ymd(mem, r->ooo[i].until_day);
    }
}
