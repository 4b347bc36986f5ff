/* route.c - see route.h.
 *
 * Everything with a name (reps, teams, skills, account domains, rules) is
 * resolved to an index when the configuration is built (roster.c); an
 * assignment walks small arrays and never compares names. The strategies
 * and the availability of a rep are in strategy.c.
 *
 * The order of an assignment, each step leaving reasons in the decision:
 *   1. team: the request's team, else the first routing rule that matches;
 *   2. the previous owner (re-engaged lead), when allowed and available;
 *   3. the account owner (email or company domain), when available;
 *   4. the team's strategy over its available members;
 *   5. the overflow chain, team by team, with the same strategy rules;
 *   6. the original team's queue (or routing.default_queue when no rule matched).
 * "Available" is one function, lr_route_unavailable(), so every path skips
 * reps for the same reasons and explains them the same way. */
#include "route_int.h"

#include <string.h>

/* The team an owner's lead is booked under: the routed team when they belong
 * to it, else the first team listing them, else the routed team anyway. */
static int32_t owner_team(const lr_route_config *cfg, int32_t team, int32_t rep) {
    if (team >= 0 && lr_route_team_has(cfg, team, rep)) return team;
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
        int32_t a = lr_ntab_get(&cfg->account_ix, s, n);
        if (a >= 0 && cfg->accounts[a].owner >= 0) return a; /* a cleared entry: go up */
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
    const char *why = lr_route_unavailable(c, rep, &v);
    if (why) {
        lr_route_reason(c, LR_REASON_SKIPPED, label, rep, why);
        return false;
    }
    lr_route_reason(c, kind, label, rep, lr_route_load_text(c, rep, &v, why_prefix, NULL));
    /* every assignment ends with CHOSEN, whichever path picked the rep, so a
     * reader (or a sink) finds the winner in one place */
    lr_route_reason(c, LR_REASON_CHOSEN, label, rep, why_prefix);
    lr_route_take(c, rep, &v);
    result_rep(c->cfg, res, owner_team(c->cfg, team, rep), rep);
    return true;
}

static void explain_team(route_ctx *c, int32_t team, lr_route_result *res) {
    const rt_rule *r = c->rule;
    if (team >= 0 && team == c->req->team) {
        if (r && r->skills_text)
            lr_route_reason(c, LR_REASON_ROUTING_RULE, NULL, -1,
                   lr_route_say(c, "requested_team", "requested team %s; %s (rule %s)",
                       c->cfg->teams[team].name, r->skills_text, r->name));
        else
            lr_route_reason(c, LR_REASON_ROUTING_RULE, NULL, -1,
                   lr_route_say(c, "requested_team", "requested team %s", c->cfg->teams[team].name));
    } else if (r) {
        res->rule = r->name;
        lr_route_reason(c, LR_REASON_ROUTING_RULE, r->name, -1, r->why);
    }
}

static void queue_to(route_ctx *c, lr_route_result *res, int32_t team, const char *queue,
                     const char *why) {
    res->team = team;
    res->team_name = team >= 0 ? c->cfg->teams[team].name : NULL;
    res->rep = -1;
    res->rep_name = NULL;
    res->queue = queue;
    lr_route_reason(c, LR_REASON_OVERFLOW, team >= 0 ? c->cfg->teams[team].name : NULL, -1, why);
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
    if (st->version != cfg->version) lr_route_state_sync(cfg, st);
    /* which roster decided, so that a replay can show it is the same one;
     * YAML-only setups (version 0) say nothing */
    if (cfg->version)
        lr_route_reason(&c, LR_REASON_ROUTING_RULE, "roster", -1,
                        lr_route_say(&c, "roster_version", "roster_version %llu",
                                     (unsigned long long)cfg->version));

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
        const char *why = lr_route_say(&c, "account_owner", "%s matches account %s",
                                       by_email ? "email_domain" : "company_domain", a->domain);
        if (try_owner(&c, a->owner, team, LR_REASON_ACCOUNT_OWNER, a->domain, why, res)) return;
    }

    if (team < 0) {
        queue_to(&c, res, -1, cfg->default_queue,
                 lr_route_say(&c, "no_rule_matched", "no routing rule matched, queued to %s",
                     cfg->default_queue));
        return;
    }

    /* 4-5. the team, then its overflow chain */
    const rt_team *t = &cfg->teams[team];
    int32_t at = team;
    for (size_t hop = 0;; hop++) {
        int32_t rep = lr_route_assign_in_team(&c, at);
        if (rep >= 0) {
            result_rep(cfg, res, at, rep);
            res->overflowed = at != team;
            return;
        }
        if (hop >= t->n_chain) break;
        int32_t next = t->chain[hop];
        lr_route_reason(&c, LR_REASON_OVERFLOW, cfg->teams[at].name, -1,
               lr_route_say(&c, "overflow", "no rep available in %s, overflow to %s", cfg->teams[at].name,
                   cfg->teams[next].name));
        at = next;
    }

    /* 6. the original team's queue */
    queue_to(&c, res, team, t->queue,
             lr_route_say(&c, "queued", "no rep available, queued to %s", t->queue));
}

int32_t lr_route_lead_domain(const lr_route_config *cfg, const lr_lead *lead) {
    bool by_email;
    int32_t acct = find_account(cfg, lead, &by_email);
    if (acct >= 0) return cfg->rep_domain[cfg->accounts[acct].owner];
    const rt_rule *r = first_rule(cfg, lead);
    if (r) return cfg->team_domain[r->team];
    return (int32_t)cfg->n_domains - 1;
}
