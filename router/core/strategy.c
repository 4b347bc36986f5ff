/* strategy.c - whether a rep can take a lead now, and how a team picks one:
 * round robin, smooth weighted round robin, least loaded (see route_int.h).
 *
 * "Available" is one function, lr_route_unavailable(), so every path (the
 * strategies here, the previous and account owners in route.c) skips reps
 * for the same reasons and explains them the same way. Each skipped member
 * leaves a SKIPPED reason, the winner a CHOSEN one. No allocation except
 * explanation text in the batch arena. */
#include "route_int.h"

#include <stdarg.h>
#include <string.h>

/* Indexed by lr_local_time.wday (0 = Sunday). */
static const char *const day_labels[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

const char *lr_route_say(const route_ctx *c, const char *code, const char *fmt, ...) {
    if (!c->d || !c->text) return code;
    va_list ap;
    va_start(ap, fmt);
    const char *s = lr_arena_vprintf(c->text, fmt, ap);
    va_end(ap);
    return s;
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

static const lr_route_ooo *away(const rt_rep *r, int64_t day) {
    for (size_t i = 0; i < r->n_ooo; i++)
        if (day >= r->ooo[i].from_day && day < r->ooo[i].until_day) return &r->ooo[i];
    return NULL;
}

/* NULL when the rep can take a lead now; else the machine-friendly reason.
 * The order puts what never changes during the day first, so the detail names
 * the most lasting cause. */
const char *lr_route_unavailable(const route_ctx *c, int32_t rep, rep_view *v) {
    const rt_rep *r = &c->cfg->reps[rep];
    const lr_rep_load *l = &c->st->reps[rep];
    if (r->removed) return "removed";
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
    const lr_route_ooo *o = away(r, v->lt.day_number);
    if (o) {
        int y, m, d;
        lr_civil_from_days(o->until_day, &y, &m, &d);
        return lr_route_say(c, "out_of_office", "out_of_office until %04d-%02d-%02d", y, m, d);
    }
    if (r->has_hours && (!(r->days & (1u << v->lt.wday)) || v->lt.minute_of_day < r->start_min ||
                         v->lt.minute_of_day >= r->end_min))
        return lr_route_say(c, "off_hours", "off_hours local %s %02d:%02d", day_labels[v->lt.wday],
                   v->lt.minute_of_day / 60, v->lt.minute_of_day % 60);
    if (r->max_open && v->open >= r->max_open)
        return lr_route_say(c, "at_max_open", "at_max_open %d/%d", v->open, r->max_open);
    if (r->max_per_day && v->today >= r->max_per_day)
        return lr_route_say(c, "at_daily_cap", "at_daily_cap %d/%d", v->today, r->max_per_day);
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
const char *lr_route_load_text(const route_ctx *c, int32_t rep, const rep_view *v,
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
void lr_route_take(route_ctx *c, int32_t rep, const rep_view *v) {
    lr_rep_load *l = &c->st->reps[rep];
    if (l->local_day != v->lt.day_number) {
        l->local_day = v->lt.day_number;
        l->today = 0;
    }
    l->today++;
    l->open++;
}

/* ---- strategies: each returns the member index chosen, or -1. */

/* Whether member m can take the lead now; a SKIPPED reason when not. */
static inline bool member_free(route_ctx *c, const rt_team *t, size_t m, rep_view *v) {
    const char *why = lr_route_unavailable(c, t->members[m], v);
    if (why) lr_route_reason(c, LR_REASON_SKIPPED, t->name, t->members[m], why);
    return !why;
}

static int round_robin(route_ctx *c, const rt_team *t, lr_team_cursor *cur, rep_view *v) {
    size_t n = t->n_members, start = cur->rr_next % n;
    lr_route_reason(c, LR_REASON_STRATEGY, t->name, -1,
           lr_route_say(c, "round_robin", "round_robin cursor %zu", start));
    for (size_t i = 0; i < n; i++) {
        size_t m = (start + i) % n;
        if (t->members[m] < 0) continue; /* left the team: no turn, no reason */
        if (!member_free(c, t, m, v)) continue;
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
    lr_route_reason(c, LR_REASON_STRATEGY, t->name, -1, t->strategy_text);
    for (size_t m = 0; m < t->n_members; m++) {
        if (t->members[m] < 0 || !member_free(c, t, m, v)) continue;
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
    lr_route_reason(c, LR_REASON_STRATEGY, t->name, -1, t->strategy_text);
    for (size_t m = 0; m < t->n_members; m++) {
        if (t->members[m] < 0 || !member_free(c, t, m, v)) continue;
        if (best < 0 || v->open < best_view->open ||
            (v->open == best_view->open && v->today < best_view->today)) {
            best = (int)m;
            *best_view = *v;
        }
    }
    return best;
}

/* Runs team's strategy; on success the rep has the lead. Returns the rep or -1. */
int32_t lr_route_assign_in_team(route_ctx *c, int32_t team) {
    const rt_team *t = &c->cfg->teams[team];
    lr_team_cursor *cur = &c->st->teams[team];
    rep_view v, chosen;
    int m;
    switch (t->strat) {
    case LR_STRATEGY_ROUND_ROBIN:
        m = round_robin(c, t, cur, &v);
        chosen = v;
        break;
    case LR_STRATEGY_WEIGHTED: m = weighted(c, t, cur, &v, &chosen); break;
    default: m = least_loaded(c, t, &v, &chosen); break;
    }
    if (m < 0) return -1;
    int32_t rep = t->members[m];
    const char *extra = NULL;
    if (t->strat == LR_STRATEGY_WEIGHTED)
        extra = lr_route_say(c, "", ", weight %lld, credit %lld", (long long)t->weights[m],
                    (long long)chosen.credit);
    lr_route_reason(c, LR_REASON_CHOSEN, t->name, rep, lr_route_load_text(c, rep, &chosen, NULL, extra));
    lr_route_take(c, rep, &chosen);
    return rep;
}


void lr_route_rep_now(const lr_route_config *cfg, const lr_route_state *st, int32_t rep,
                      lr_time_ms now, lr_rep_now *out) {
    const rt_rep *r = &cfg->reps[rep];
    /* a rep the roster topic added since this state's last lead has no load yet */
    static const lr_rep_load none = {0, 0, INT64_MIN};
    const lr_rep_load *l = (size_t)rep < st->n_reps ? &st->reps[rep] : &none;
    lr_local_time lt;
    lr_tz_local(r->tz, now, &lt);
    out->open = l->open;
    out->max_open = r->max_open;
    out->today = l->local_day == lt.day_number ? l->today : 0;
    out->max_per_day = r->max_per_day;
    out->away = NULL;
    if (!r->assignable) out->away = "not_assignable";
    else if (away(r, lt.day_number)) out->away = "out_of_office";
    else if (r->has_hours && (!(r->days & (1u << lt.wday)) || lt.minute_of_day < r->start_min ||
                              lt.minute_of_day >= r->end_min))
        out->away = "off_hours";
}
