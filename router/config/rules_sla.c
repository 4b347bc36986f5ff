/* rules_sla.c - `sla:` into lr_sla_config; see rules.h and docs/sla.md.
 * The field maps below are the whole vocabulary of the section: an unknown
 * key is refused with its line. */

#include "rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sla_raw {
    const lr_cfg_node *calendars, *policies;
    int64_t max_reassignments;
} sla_raw;

static const lr_cfg_field sla_fields[] = {
    {"calendars", LR_CFG_T_NODE, offsetof(sla_raw, calendars), false, NULL, 0, 0},
    {"policies", LR_CFG_T_NODE, offsetof(sla_raw, policies), false, NULL, 0, 0},
    {"max_reassignments", LR_CFG_T_INT, offsetof(sla_raw, max_reassignments), false, "2", 0,
     LR_SLA_MAX_REASSIGNMENTS},
};

typedef struct policy_raw {
    const char *name;
    const lr_cfg_node *tier, *team, *source, *first_touch, *calendar, *warn_at, *escalation;
} policy_raw;

static const lr_cfg_field policy_fields[] = {
    {"name", LR_CFG_T_STR, offsetof(policy_raw, name), true, NULL, 0, 0},
    {"tier", LR_CFG_T_NODE, offsetof(policy_raw, tier), false, NULL, 0, 0},
    {"team", LR_CFG_T_NODE, offsetof(policy_raw, team), false, NULL, 0, 0},
    {"source", LR_CFG_T_NODE, offsetof(policy_raw, source), false, NULL, 0, 0},
    {"first_touch", LR_CFG_T_NODE, offsetof(policy_raw, first_touch), true, NULL, 0, 0},
    {"calendar", LR_CFG_T_NODE, offsetof(policy_raw, calendar), false, NULL, 0, 0},
    {"warn_at", LR_CFG_T_NODE, offsetof(policy_raw, warn_at), false, NULL, 0, 0},
    {"escalation", LR_CFG_T_NODE, offsetof(policy_raw, escalation), false, NULL, 0, 0},
};

typedef struct step_raw {
    const char *action;
    const lr_cfg_node *after, *to;
} step_raw;

static const lr_cfg_field step_fields[] = {
    {"action", LR_CFG_T_STR, offsetof(step_raw, action), true, NULL, 0, 0},
    {"after", LR_CFG_T_NODE, offsetof(step_raw, after), false, NULL, 0, 0},
    {"to", LR_CFG_T_NODE, offsetof(step_raw, to), false, NULL, 0, 0},
};

static int expect_name(const lr_cfg_node *n, const char *what, lr_err *err) {
    if (lr_cfg_expect(n, LR_CFG_SCALAR, what, err) < 0) return -1;
    if (!n->scalar[0]) return lr_cfg_fail(err, n, "%s must not be empty", what);
    return 0;
}

/* A duration in the policy's clock: business time when it has a calendar. */
static int policy_duration(const lr_cfg_node *n, const lr_calendar *cal, const char *what,
                           int64_t *out, lr_err *err) {
    int64_t ms;
    if (lr_cfg_expect(n, LR_CFG_SCALAR, what, err) < 0) return -1;
    if (lr_cfg_as_duration_ms(n, &ms, err) < 0) return -1;
    *out = lr_calendar_duration(cal, n, ms);
    /* the core walks at most LR_CALENDAR_MAX_DAYS (about 20 years) and calls
     * anything further "never" (calendar.h): refuse what needs half of that
     * at the calendar's nominal rate, leaving room for holidays */
    if (cal && *out / (LR_CALENDAR_MAX_DAYS / 14) > cal->week_ms)
        return lr_cfg_fail(err, n, "%s '%s' is more business time than calendar '%s' has in "
                           "%d days: such a deadline would never fall due", what, n->scalar,
                           cal->name, LR_CALENDAR_MAX_DAYS / 2);
    return 0;
}

static int parse_tier(const lr_cfg_node *n, const lr_qualify_config *q, int32_t *out,
                      lr_err *err) {
    if (expect_name(n, "policy tier", err) < 0) return -1;
    size_t nt = q ? lr_qualify_tier_count(q) : 0;
    for (size_t i = 0; i < nt; i++)
        if (!strcmp(lr_qualify_tier_name(q, i), n->scalar)) {
            *out = (int32_t)i;
            return 0;
        }
    char known[256] = "";
    size_t off = 0;
    for (size_t i = 0; i < nt && off < sizeof(known); i++)
        off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s", i ? ", " : "",
                                lr_qualify_tier_name(q, i));
    return lr_cfg_fail(err, n, "unknown tier '%s' (qualification.tiers: %s)", n->scalar,
                       nt ? known : "none");
}

static int parse_warn(const lr_cfg_node *n, const lr_calendar *cal, lr_sla_policy *p, lr_err *err) {
    if (lr_cfg_expect(n, LR_CFG_SCALAR, "warn_at", err) < 0) return -1;
    size_t len = strlen(n->scalar);
    if (len && n->scalar[len - 1] == '%') {
        char *end;
        double pct = strtod(n->scalar, &end);
        if (end != n->scalar + len - 1 || !isfinite(pct))
            return lr_cfg_fail(err, n, "warn_at '%s' is not a percentage (e.g. 80%%)", n->scalar);
        if (pct <= 0 || pct >= 100)
            return lr_cfg_fail(err, n, "warn_at %s must be above 0%% and below 100%%", n->scalar);
        p->warn_offset = (int64_t)((double)p->first_touch * pct / 100.0);
        if (p->warn_offset <= 0) p->warn_offset = 1;
        return 0;
    }
    int64_t before;
    if (policy_duration(n, cal, "warn_at", &before, err) < 0) return -1;
    if (before <= 0 || before >= p->first_touch)
        return lr_cfg_fail(err, n, "warn_at %s (before the deadline) must be above 0 and "
                           "below first_touch", n->scalar);
    p->warn_offset = p->first_touch - before;
    return 0;
}

static int parse_step(const lr_cfg_node *n, const lr_calendar *cal, lr_sla_step *s, lr_err *err) {
    step_raw raw = {0};
    if (lr_cfg_apply(n, step_fields, LR_CFG_COUNT(step_fields), &raw, "escalation step", err))
        return -1;
    int a = -1;
    for (int i = 0; i < LR_SLA_ACTION__COUNT; i++)
        if (!strcmp(raw.action, lr_sla_action_name((lr_sla_action)i))) a = i;
    if (a < 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "action"),
                           "unknown action '%s' (notify_manager, reassign, escalate)", raw.action);
    s->action = (lr_sla_action)a;
    s->after = 0;
    if (raw.after && policy_duration(raw.after, cal, "after", &s->after, err) < 0) return -1;
    s->to = NULL;
    if (raw.to) {
        if (s->action != LR_SLA_ESCALATE)
            return lr_cfg_fail(err, raw.to, "'to' only applies to action escalate");
        if (expect_name(raw.to, "escalation 'to'", err) < 0) return -1;
        s->to = raw.to->scalar;
    }
    return 0;
}

static int parse_policy(lr_sla_config *c, const lr_cfg_node *n, lr_sla_policy *p,
                        const lr_qualify_config *q, const lr_route_config *r, lr_err *err) {
    policy_raw raw = {0};
    if (lr_cfg_apply(n, policy_fields, LR_CFG_COUNT(policy_fields), &raw, "sla.policies[]", err))
        return -1;
    if (!raw.name[0])
        return lr_cfg_fail(err, lr_cfg_get(n, "name"), "policy name must not be empty");
    for (lr_sla_policy *o = c->policies; o < p; o++)
        if (!strcmp(o->name, raw.name))
            return lr_cfg_fail(err, lr_cfg_get(n, "name"), "policy '%s' is defined twice",
                               raw.name);
    p->name = raw.name;
    p->tier = p->team = p->calendar = -1;
    if (raw.tier && parse_tier(raw.tier, q, &p->tier, err) < 0) return -1;
    if (raw.team) {
        if (expect_name(raw.team, "policy team", err) < 0) return -1;
        p->team = r ? lr_route_team_index(r, raw.team->scalar) : -1;
        if (p->team < 0)
            return lr_cfg_fail(err, raw.team, "unknown team '%s' (not in teams:)",
                               raw.team->scalar);
    }
    if (raw.source) {
        if (expect_name(raw.source, "policy source", err) < 0) return -1;
        p->source = raw.source->scalar;
    }
    const lr_calendar *cal = NULL;
    if (raw.calendar) {
        if (expect_name(raw.calendar, "policy calendar", err) < 0) return -1;
        for (size_t i = 0; i < c->n_cals; i++)
            if (!strcmp(c->cals[i].name, raw.calendar->scalar)) p->calendar = (int32_t)i;
        if (p->calendar < 0)
            return lr_cfg_fail(err, raw.calendar, "unknown calendar '%s' (not in sla.calendars)",
                               raw.calendar->scalar);
        cal = &c->cals[p->calendar];
    }
    if (policy_duration(raw.first_touch, cal, "first_touch", &p->first_touch, err) < 0) return -1;
    if (p->first_touch <= 0)
        return lr_cfg_fail(err, raw.first_touch, "first_touch must be above 0");
    if (raw.warn_at && parse_warn(raw.warn_at, cal, p, err) < 0) return -1;
    if (raw.escalation) {
        if (lr_cfg_expect(raw.escalation, LR_CFG_SEQ, "escalation", err) < 0) return -1;
        p->n_steps = raw.escalation->n;
        p->steps = calloc(p->n_steps ? p->n_steps : 1, sizeof(lr_sla_step));
        if (!p->steps) abort();
        for (size_t i = 0; i < p->n_steps; i++)
            if (parse_step(raw.escalation->items[i], cal, &p->steps[i], err) < 0) return -1;
    }
    return 0;
}

static int parse_calendars(lr_sla_config *c, const lr_cfg_node *n, lr_tz_db *tzdb, lr_err *err) {
    if (!n) return 0;
    if (lr_cfg_expect(n, LR_CFG_SEQ, "sla.calendars", err) < 0) return -1;
    c->cals = calloc(n->n ? n->n : 1, sizeof(lr_calendar));
    if (!c->cals) abort();
    for (size_t i = 0; i < n->n; i++) {
        if (lr_calendar_parse(n->items[i], tzdb, &c->cals[i], err) < 0) return -1;
        c->n_cals = i + 1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->cals[j].name, c->cals[i].name))
                return lr_cfg_fail(err, lr_cfg_get(n->items[i], "name"),
                                   "calendar '%s' is defined twice", c->cals[i].name);
    }
    return 0;
}

lr_sla_config *lr_sla_config_parse(const lr_cfg_node *sla, lr_tz_db *tzdb,
                                   const lr_qualify_config *qcfg, const lr_route_config *rcfg,
                                   lr_err *err) {
    lr_sla_config *c = calloc(1, sizeof(*c));
    if (!c) abort();
    sla_raw raw = {0};
    if (lr_cfg_apply(sla, sla_fields, LR_CFG_COUNT(sla_fields), &raw, "sla", err)) goto fail;
    c->max_reassignments = (int32_t)raw.max_reassignments;
    if (parse_calendars(c, raw.calendars, tzdb, err) < 0) goto fail;
    if (raw.policies) {
        if (lr_cfg_expect(raw.policies, LR_CFG_SEQ, "sla.policies", err) < 0) goto fail;
        if (raw.policies->n > INT16_MAX) {
            lr_cfg_fail(err, raw.policies, "too many SLA policies (at most %d)", INT16_MAX);
            goto fail;
        }
        c->policies = calloc(raw.policies->n ? raw.policies->n : 1, sizeof(lr_sla_policy));
        if (!c->policies) abort();
        for (size_t i = 0; i < raw.policies->n; i++) {
            c->n_policies = i + 1;
            if (parse_policy(c, raw.policies->items[i], &c->policies[i], qcfg, rcfg, err) < 0)
                goto fail;
        }
    }
    return c;
fail:
    lr_sla_config_free(c);
    return NULL;
}

void lr_sla_config_free(lr_sla_config *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_cals; i++) lr_calendar_destroy(&c->cals[i]);
    free(c->cals);
    for (size_t i = 0; i < c->n_policies; i++) free(c->policies[i].steps);
    free(c->policies);
    free(c);
}

