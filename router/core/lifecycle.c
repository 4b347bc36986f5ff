/* lifecycle.c - a lead's life after the decision; see lifecycle.h and
 * docs/sla.md.
 *
 * One fixed-size record per lead (leadtab), one timing-wheel clock per open
 * SLA (wheel), business-hours arithmetic (calendar), counters (kpi). A clock
 * goes through phases: the warning, the breach, then escalation step 1..n;
 * each phase re-arms the same clock for the next one, so a lead holds at most
 * one clock and the order of everything that fires is the wheel's
 * (due, start order), which replay reproduces byte for byte.
 *
 * Record states:
 *   NEW          created by next_seq, not decided yet
 *   NURTURE      marketing-qualified or nurture      (no owner)
 *   DISQUALIFIED                                     (no owner)
 *   QUEUED       sales-ready, waiting in a queue     (no owner)
 *   OPEN         assigned, waiting for the first touch (the clock may run,
 *                may have finished its ladder, or the lead was escalated)
 *   CONTACTED    first touch done, clock stopped
 *   ACCEPTED     accepted by the owner
 *   CLOSED       rejected, converted or recycled: the owner's load released
 * An OPEN lead whose ladder escalated is reported as "escalated". */
#include "lifecycle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "rules.h" /* the SLA parser below reads calendars */
#include "kpi.h"
#include "leadtab.h"
#include "wheel.h"

enum rec_state {
    ST_NEW = 0,
    ST_NURTURE,
    ST_DISQUALIFIED,
    ST_QUEUED,
    ST_OPEN,
    ST_CONTACTED,
    ST_ACCEPTED,
    ST_CLOSED,
    ST__COUNT
};

static const char *const state_names[ST__COUNT] = {"new",    "nurture",   "disqualified",
                                                   "queued", "open",      "contacted",
                                                   "accepted", "closed"};

/* Clock phases: what fires next. */
enum { PH_WARN = 0, PH_BREACH = 1, PH_STEP0 = 2 };

/* rec->flags */
#define F_BREACHED 0x01  /* the current assignment breached */
#define F_ESCALATED 0x02 /* ... and its ladder escalated: the SLA life ended */
#define F_RECENT_SHIFT 6 /* bits 6-7: next slot of rec->recent[] */
#define F_SLA_MASK (F_BREACHED | F_ESCALATED)
#define F_DIRTY 0x04     /* changed since the last changelog drain */
#define F_PENDING 0x08   /* restored with a clock that restore_done arms */
#define F_RECENT_MASK (3u << F_RECENT_SHIFT)

/* ---- configuration --------------------------------------------------------- */

typedef enum sla_action { ACT_NOTIFY_MANAGER = 0, ACT_REASSIGN, ACT_ESCALATE } sla_action;

static const char *const action_names[] = {"notify_manager", "reassign", "escalate"};

typedef struct sla_step {
    sla_action action;
    int64_t after;    /* after the previous step, in the policy's clock */
    const char *to;   /* escalate: queue or person; NULL: the team's queue */
} sla_step;

typedef struct sla_policy {
    const char *name;
    int32_t tier, team;      /* -1: any */
    const char *source;      /* NULL: any */
    int32_t calendar;        /* -1: wall-clock time */
    int64_t first_touch;     /* in the policy's clock */
    int64_t warn_offset;     /* from the assignment to the warning; 0: no warning */
    sla_step *steps;
    size_t n_steps;
} sla_policy;

struct lr_sla_config {
    lr_calendar *cals;
    size_t n_cals;
    sla_policy *policies;
    size_t n_policies;
    int32_t max_reassignments;
};

typedef struct sla_raw {
    const lr_cfg_node *calendars, *policies;
    int64_t max_reassignments;
} sla_raw;

static const lr_cfg_field sla_fields[] = {
    {"calendars", LR_CFG_T_NODE, offsetof(sla_raw, calendars), false, NULL, 0, 0},
    {"policies", LR_CFG_T_NODE, offsetof(sla_raw, policies), false, NULL, 0, 0},
    {"max_reassignments", LR_CFG_T_INT, offsetof(sla_raw, max_reassignments), false, "2", 0,
     LR_MAX_OWNERS - 1},
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

static int parse_warn(const lr_cfg_node *n, const lr_calendar *cal, sla_policy *p, lr_err *err) {
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

static int parse_step(const lr_cfg_node *n, const lr_calendar *cal, sla_step *s, lr_err *err) {
    step_raw raw = {0};
    if (lr_cfg_apply(n, step_fields, LR_CFG_COUNT(step_fields), &raw, "escalation step", err))
        return -1;
    int a = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(raw.action, action_names[i])) a = i;
    if (a < 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "action"),
                           "unknown action '%s' (notify_manager, reassign, escalate)", raw.action);
    s->action = (sla_action)a;
    s->after = 0;
    if (raw.after && policy_duration(raw.after, cal, "after", &s->after, err) < 0) return -1;
    s->to = NULL;
    if (raw.to) {
        if (s->action != ACT_ESCALATE)
            return lr_cfg_fail(err, raw.to, "'to' only applies to action escalate");
        if (expect_name(raw.to, "escalation 'to'", err) < 0) return -1;
        s->to = raw.to->scalar;
    }
    return 0;
}

static int parse_policy(lr_sla_config *c, const lr_cfg_node *n, sla_policy *p,
                        const lr_qualify_config *q, const lr_route_config *r, lr_err *err) {
    policy_raw raw = {0};
    if (lr_cfg_apply(n, policy_fields, LR_CFG_COUNT(policy_fields), &raw, "sla.policies[]", err))
        return -1;
    if (!raw.name[0])
        return lr_cfg_fail(err, lr_cfg_get(n, "name"), "policy name must not be empty");
    for (sla_policy *o = c->policies; o < p; o++)
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
        p->steps = calloc(p->n_steps ? p->n_steps : 1, sizeof(sla_step));
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
        c->policies = calloc(raw.policies->n ? raw.policies->n : 1, sizeof(sla_policy));
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

size_t lr_sla_policy_count(const lr_sla_config *cfg) { return cfg ? cfg->n_policies : 0; }

const char *lr_sla_policy_name(const lr_sla_config *cfg, int32_t i) {
    return cfg && i >= 0 && (size_t)i < cfg->n_policies ? cfg->policies[i].name : NULL;
}

/* ---- lifecycle ------------------------------------------------------------- */

static lr_str name_str(const char *s) {
    return s ? (lr_str){s, (uint32_t)strlen(s)} : LR_STR_NULL;
}

struct lr_lifecycle {
    const lr_sla_config *sla;
    const lr_qualify_config *qcfg;
    const lr_route_config *rcfg;
    lr_route_state *rstate;
    lr_leadtab *tab;
    lr_wheel *wheel;
    lr_kpi *kpi;
    const char **team_names;   /* for the KPI table */
    uint16_t *policy_source;   /* interned source of each policy, 0: any */
    int64_t window;            /* duplicate window: closed records are kept this long */
    lr_time_ms now;            /* latest time seen: eviction age is measured to it */
    /* changelog */
    bool track, restoring;
    uint64_t arm_seq;          /* last clock_order given out */
    uint32_t *dirty, *pending; /* record indexes; may hold stale or repeated ones */
    size_t n_dirty, cap_dirty, n_pending, cap_pending;
    char (*tomb)[LR_MAX_ID_LEN + 1]; /* ids evicted since the last drain */
    size_t n_tomb, cap_tomb;
};

static void push_idx(uint32_t **a, size_t *n, size_t *cap, uint32_t idx) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *a = realloc(*a, *cap * sizeof(**a));
        if (!*a) abort();
    }
    (*a)[(*n)++] = idx;
}

/* Evicted records must leave the changelog too, or a restore would bring them
 * back. The table calls evictable() only right before removing the record. */
static void tombstone(lr_lifecycle *lc, const lr_lead_rec *r) {
    if (lc->n_tomb == lc->cap_tomb) {
        lc->cap_tomb = lc->cap_tomb ? lc->cap_tomb * 2 : 256;
        lc->tomb = realloc(lc->tomb, lc->cap_tomb * sizeof(*lc->tomb));
        if (!lc->tomb) abort();
    }
    memcpy(lc->tomb[lc->n_tomb++], r->id, sizeof(r->id));
}

static bool evictable(const lr_lead_rec *r, void *ctx) {
    lr_lifecycle *lc = ctx;
    if (r->clock || lc->restoring) return false;
    if (r->state != ST_NURTURE && r->state != ST_DISQUALIFIED && r->state != ST_QUEUED &&
        r->state != ST_CLOSED)
        return false; /* an owner still holds it: a later activity must find it */
    if (r->last_decided == LR_TIME_NONE || lc->now - r->last_decided < lc->window) return false;
    if (lc->track) tombstone(lc, r);
    return true;
}

lr_lifecycle *lr_lifecycle_new(const lr_sla_config *scfg, const lr_qualify_config *qcfg,
                               const lr_route_config *rcfg, lr_route_state *rstate,
                               size_t expected_leads) {
    lr_lifecycle *lc = calloc(1, sizeof(*lc));
    if (!lc) abort();
    lc->sla = scfg;
    lc->qcfg = qcfg;
    lc->rcfg = rcfg;
    lc->rstate = rstate;
    lc->window = qcfg ? lr_qualify_duplicate_window_ms(qcfg) : 7 * LR_DAY_MS;
    lc->now = LR_TIME_NONE;
    lc->tab = lr_leadtab_new(expected_leads, evictable, lc);
    lc->wheel = lr_wheel_new(expected_leads / 4);
    size_t n_teams = rcfg ? lr_route_team_count(rcfg) : 0;
    lc->team_names = calloc(n_teams ? n_teams : 1, sizeof(char *));
    if (!lc->team_names) abort();
    for (size_t t = 0; t < n_teams; t++) lc->team_names[t] = lr_route_team_name(rcfg, (int32_t)t);
    lc->kpi = lr_kpi_new(n_teams, lc->team_names);
    size_t np = lr_sla_policy_count(scfg);
    lc->policy_source = calloc(np ? np : 1, sizeof(uint16_t));
    if (!lc->policy_source) abort();
    for (size_t i = 0; i < np; i++) {
        const char *s = scfg->policies[i].source;
        if (s) lc->policy_source[i] = lr_kpi_intern(lc->kpi, LR_KPI_SOURCE, name_str(s));
    }
    return lc;
}

void lr_lifecycle_free(lr_lifecycle *lc) {
    if (!lc) return;
    lr_leadtab_free(lc->tab);
    lr_wheel_free(lc->wheel);
    lr_kpi_free(lc->kpi);
    free(lc->team_names);
    free(lc->policy_source);
    free(lc->dirty);
    free(lc->pending);
    free(lc->tomb);
    free(lc);
}

static void note_now(lr_lifecycle *lc, lr_time_ms now) {
    if (lc->now == LR_TIME_NONE || now > lc->now) lc->now = now;
}

static inline lr_lead_rec *rec_at(const lr_lifecycle *lc, uint32_t idx) {
    return lr_leadtab_at(lc->tab, idx);
}

/* The record changed: the next changelog drain writes it. */
static void mark(lr_lifecycle *lc, uint32_t idx) {
    if (!lc->track) return;
    lr_lead_rec *r = rec_at(lc, idx);
    if (r->flags & F_DIRTY) return;
    r->flags |= F_DIRTY;
    push_idx(&lc->dirty, &lc->n_dirty, &lc->cap_dirty, idx);
}

static lr_kpi_key key_of(const lr_lead_rec *r) {
    return (lr_kpi_key){r->team, r->source_id, r->campaign_id};
}

/* The record of a lead, created when absent. */
static uint32_t record(lr_lifecycle *lc, lr_str id, const lr_lead *lead) {
    uint32_t idx = lr_leadtab_lookup(lc->tab, id.s, id.len);
    if (idx != LR_LEADTAB_NONE) return idx;
    idx = lr_leadtab_add(lc->tab, id.s, id.len);
    lr_lead_rec *r = rec_at(lc, idx);
    r->first_seen = lead ? lead->event_time : lc->now;
    r->last_decided = LR_TIME_NONE;
    r->assigned_at = LR_TIME_NONE;
    r->due_at = LR_TIME_NONE;
    r->stage = LR_STAGE_NURTURE;
    r->state = ST_NEW;
    r->tier = r->team = r->owner = -1;
    r->policy = -1; /* source and campaign are interned when it is decided */
    return idx;
}

const lr_lead_rec *lr_lifecycle_find(const lr_lifecycle *lc, const char *lead_id, size_t len) {
    uint32_t idx = lr_leadtab_find(lc->tab, lead_id, len);
    return idx == LR_LEADTAB_NONE ? NULL : rec_at(lc, idx);
}

static void prefetch_rec(const lr_lifecycle *lc, uint32_t idx) {
    const char *r = (const char *)rec_at(lc, idx);
    for (size_t off = 0; off < sizeof(lr_lead_rec); off += 64) __builtin_prefetch(r + off);
}

void lr_lifecycle_prefetch(lr_lifecycle *lc, const char *lead_id, size_t len, lr_time_ms now) {
    lr_leadtab_prefetch(lc->tab, lead_id, len);
    /* the wheel moves to `now` here rather than in the next advance (nothing
     * is armed in between, so the same clocks fall due), and the record of
     * the first clock to fire starts loading */
    lr_wheel_advance(lc->wheel, now);
    uint32_t first = lr_wheel_peek(lc->wheel, now);
    if (first != LR_WHEEL_NONE) prefetch_rec(lc, lr_wheel_data(lc->wheel, first));
}

const lr_lead_rec *lr_lifecycle_lookup(lr_lifecycle *lc, const char *lead_id, size_t len) {
    uint32_t idx = lr_leadtab_lookup(lc->tab, lead_id, len);
    return idx == LR_LEADTAB_NONE ? NULL : rec_at(lc, idx);
}

int64_t lr_lifecycle_next_seq_since(lr_lifecycle *lc, const lr_lead *lead, lr_time_ms *since) {
    uint32_t idx = record(lc, lead->lead_id, lead);
    mark(lc, idx);
    lr_lead_rec *r = rec_at(lc, idx);
    if (since) *since = r->first_seen;
    return ++r->seq;
}

/* ---- events ------------------------------------------------------------------ */

static const sla_policy *policy_of(const lr_lifecycle *lc, const lr_lead_rec *r) {
    return r->policy >= 0 ? &lc->sla->policies[r->policy] : NULL;
}

static const lr_calendar *calendar_of(const lr_lifecycle *lc, const sla_policy *p) {
    return p && p->calendar >= 0 ? &lc->sla->cals[p->calendar] : NULL;
}

static const char *tier_name(const lr_lifecycle *lc, const lr_lead_rec *r) {
    return r->tier >= 0 && lc->qcfg ? lr_qualify_tier_name(lc->qcfg, (size_t)r->tier) : NULL;
}

static const char *team_name(const lr_lifecycle *lc, int32_t team) {
    return lc->rcfg ? lr_route_team_name(lc->rcfg, team) : NULL;
}

static const char *rep_name(const lr_lifecycle *lc, int32_t rep) {
    return lc->rcfg ? lr_route_rep_name(lc->rcfg, rep) : NULL;
}


/* Events outlive the record (it may be evicted and reused within the batch),
 * so the lead id is copied into the batch arena. Event ids are
 * "<lead>:<kind>:<seq>@<first_seen>": seq starts at 1 again when an evicted
 * lead comes back, first_seen (its first lead message's event_time) tells
 * the incarnations apart, and both come from input, so replay and a redone
 * transaction give the same ids. */
static lr_str id_copy(lr_out *out, const lr_lead_rec *r) {
    size_t len = strlen(r->id);
    return (lr_str){lr_arena_strndup(&out->arena, r->id, len), (uint32_t)len};
}

static lr_status *push_status(lr_lifecycle *lc, lr_lead_rec *r, lr_status_kind kind,
                              lr_time_ms now, lr_time_ms occurred, lr_out *out) {
    lr_status *s = &lr_out_push(out, LR_EVENT_STATUS)->u.status;
    s->seq = ++r->seq;
    s->lead_id = id_copy(out, r);
    s->event_id = lr_arena_join_num2_n(&out->arena, s->lead_id.s, s->lead_id.len, ":status:", 8,
                                       (long long)s->seq, '@', (long long)r->first_seen);
    s->status = kind;
    s->at = now;
    s->occurred_at = occurred;
    s->team = team_name(lc, r->team);
    s->rep = rep_name(lc, r->owner);
    s->source = name_str(lr_kpi_name(lc->kpi, LR_KPI_SOURCE, r->source_id));
    s->campaign = name_str(lr_kpi_name(lc->kpi, LR_KPI_CAMPAIGN, r->campaign_id));
    s->tier = tier_name(lc, r);
    s->sla_elapsed_ms = -1;
    return s;
}

static lr_alert *push_alert(lr_lifecycle *lc, lr_lead_rec *r, lr_alert_kind kind,
                            const char *action, int32_t step, const char *to, lr_time_ms now,
                            lr_out *out) {
    lr_alert *a = &lr_out_push(out, LR_EVENT_ALERT)->u.alert;
    a->seq = ++r->seq;
    a->lead_id = id_copy(out, r);
    a->event_id = lr_arena_join_num2_n(&out->arena, a->lead_id.s, a->lead_id.len, ":alert:", 7,
                                       (long long)a->seq, '@', (long long)r->first_seen);
    a->kind = kind;
    a->policy = lr_sla_policy_name(lc->sla, r->policy);
    a->tier = tier_name(lc, r);
    a->team = team_name(lc, r->team);
    a->owner = rep_name(lc, r->owner);
    a->addressed_to = to;
    a->action = action;
    a->step = step;
    a->assigned_at = r->assigned_at;
    a->due_at = r->due_at;
    a->fired_at = now;
    a->late_by_ms = now - r->due_at;
    return a;
}

/* ---- clocks ------------------------------------------------------------------ */

/* Starts r's clock (or moves it) to `due`; every arming takes the next order
 * number, as the wheel does internally. */
static void clock_arm(lr_lifecycle *lc, lr_lead_rec *r, uint32_t idx, lr_time_ms due) {
    r->clock_due = due;
    r->clock_order = ++lc->arm_seq;
    if (r->clock) lr_wheel_rearm(lc->wheel, r->clock, due);
    else r->clock = lr_wheel_start(lc->wheel, due, idx);
}

static void clock_end(lr_lifecycle *lc, lr_lead_rec *r) {
    if (!r->clock) return;
    lr_wheel_stop(lc->wheel, r->clock);
    r->clock = 0;
}

/* First policy whose tier, team and source (each optional) match. */
static int32_t match_policy(const lr_lifecycle *lc, const lr_lead_rec *r) {
    for (size_t i = 0; i < lr_sla_policy_count(lc->sla); i++) {
        const sla_policy *p = &lc->sla->policies[i];
        if ((p->tier < 0 || p->tier == r->tier) && (p->team < 0 || p->team == r->team) &&
            (!lc->policy_source[i] || lc->policy_source[i] == r->source_id))
            return (int32_t)i;
    }
    return -1;
}

static void clock_start(lr_lifecycle *lc, lr_lead_rec *r, uint32_t idx, lr_time_ms now) {
    r->policy = (int16_t)match_policy(lc, r);
    const sla_policy *p = policy_of(lc, r);
    if (!p) {
        r->due_at = LR_TIME_NONE;
        return;
    }
    const lr_calendar *cal = calendar_of(lc, p);
    r->due_at = lr_calendar_add(cal, now, p->first_touch);
    lr_time_ms first = r->due_at;
    r->phase = PH_BREACH;
    if (p->warn_offset > 0 && p->warn_offset < p->first_touch) {
        first = lr_calendar_add(cal, now, p->warn_offset);
        r->phase = PH_WARN;
    }
    clock_arm(lc, r, idx, first);
}

/* Arms step k of the ladder (counted from `from`), or ends the clock after the
 * last step. */
static void ladder_next(lr_lifecycle *lc, lr_lead_rec *r, size_t k, lr_time_ms from) {
    const sla_policy *p = policy_of(lc, r);
    if (k >= p->n_steps) {
        clock_end(lc, r);
        return;
    }
    r->phase = (uint8_t)(PH_STEP0 + k);
    lr_time_ms at = lr_calendar_add(calendar_of(lc, p), from, p->steps[k].after);
    clock_arm(lc, r, 0, at);
}

static const char *team_queue(const lr_lifecycle *lc, int32_t team) {
    return lc->rcfg ? lr_route_team_queue(lc->rcfg, team) : NULL;
}

/* The final step: an alert to `to`, and the lead's SLA life ends. */
static void escalate(lr_lifecycle *lc, lr_lead_rec *r, int32_t step, const char *to,
                     lr_time_ms now, lr_out *out) {
    push_alert(lc, r, LR_ALERT_ESCALATION, "escalate", step, to ? to : team_queue(lc, r->team),
               now, out);
    r->flags |= F_ESCALATED;
    lr_kpi_count(lc->kpi, key_of(r), LR_KPI_SLA_ESCALATED);
    clock_end(lc, r);
}

/* Where a reassign step that may not reassign any more escalates to: the `to`
 * of the next escalate step of the ladder, else the team's queue. */
static const char *fallback_target(const sla_policy *p, size_t k) {
    for (size_t j = k + 1; j < p->n_steps; j++)
        if (p->steps[j].action == ACT_ESCALATE) return p->steps[j].to;
    return NULL;
}

/* Fires the phase of r's clock that fell due at `at`. Returns true when it
 * wrote a reassignment request to *ra. */
static bool fire(lr_lifecycle *lc, lr_lead_rec *r, lr_time_ms at, lr_time_ms now, lr_out *out,
                 lr_reassign *ra) {
    const sla_policy *p = policy_of(lc, r);
    lr_kpi_key key = key_of(r);
    if (r->phase == PH_WARN) {
        push_alert(lc, r, LR_ALERT_WARNING, "warn", 0, NULL, now, out);
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_WARNINGS);
        r->phase = PH_BREACH;
        clock_arm(lc, r, 0, r->due_at);
        return false;
    }
    if (r->phase == PH_BREACH) {
        push_alert(lc, r, LR_ALERT_BREACH, "breach", 0, NULL, now, out);
        lr_status *s = push_status(lc, r, LR_STATUS_SLA_BREACHED, now, r->due_at, out);
        s->reason = p->name;
        r->flags |= F_BREACHED;
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_BREACHED);
        lr_kpi_stage(lc->kpi, key, LR_STATUS_SLA_BREACHED);
        ladder_next(lc, r, 0, at);
        return false;
    }
    size_t k = (size_t)(r->phase - PH_STEP0);
    const sla_step *st = &p->steps[k];
    int32_t step = (int32_t)k + 1;
    switch (st->action) {
    case ACT_NOTIFY_MANAGER: {
        const char *mgr = lc->rcfg ? lr_route_team_manager(lc->rcfg, r->team) : NULL;
        push_alert(lc, r, LR_ALERT_ESCALATION, "notify_manager", step,
                   mgr ? mgr : team_queue(lc, r->team), now, out);
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_NOTIFIED);
        ladder_next(lc, r, k + 1, at);
        return false;
    }
    case ACT_REASSIGN:
        if (r->reassignments >= lc->sla->max_reassignments) {
            escalate(lc, r, step, fallback_target(p, k), now, out);
            return false;
        }
        push_alert(lc, r, LR_ALERT_ESCALATION, "reassign", step, NULL, now, out);
        r->reassignments++;
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_REASSIGNED);
        clock_end(lc, r); /* the new assignment starts its own clock */
        ra->rec = r;
        ra->team = r->team;
        ra->exclude = r->owners;
        ra->n_exclude = r->n_owners;
        ra->policy = p->name;
        return true;
    case ACT_ESCALATE:
        escalate(lc, r, step, st->to, now, out);
        return false;
    }
    return false;
}

size_t lr_lifecycle_advance(lr_lifecycle *lc, lr_time_ms now, lr_out *out,
                            lr_reassign *reassign, size_t max) {
    note_now(lc, now);
    size_t n = 0;
    while (n < max) {
        uint32_t id = lr_wheel_pop(lc->wheel, now);
        if (id == LR_WHEEL_NONE) break;
        uint32_t idx = lr_wheel_data(lc->wheel, id);
        /* records of firing clocks are scattered over a large table: start
         * loading the next one while this one fires */
        uint32_t next = lr_wheel_peek(lc->wheel, now);
        if (next != LR_WHEEL_NONE) prefetch_rec(lc, lr_wheel_data(lc->wheel, next));
        mark(lc, idx);
        lr_lead_rec *r = rec_at(lc, idx);
        if (fire(lc, r, lr_wheel_due(lc->wheel, id), now, out, &reassign[n])) n++;
    }
    return n;
}

lr_time_ms lr_lifecycle_next_due(const lr_lifecycle *lc) { return lr_wheel_next_due(lc->wheel); }
size_t lr_lifecycle_open_clocks(const lr_lifecycle *lc) { return lr_wheel_count(lc->wheel); }

/* ---- decisions ---------------------------------------------------------------- */

static bool holds_load(const lr_lead_rec *r) {
    return r->owner >= 0 && (r->state == ST_OPEN || r->state == ST_CONTACTED ||
                             r->state == ST_ACCEPTED);
}

static int32_t tier_index(const lr_lifecycle *lc, const char *tier) {
    if (!tier || !lc->qcfg) return -1;
    size_t n = lr_qualify_tier_count(lc->qcfg);
    for (size_t i = 0; i < n; i++) /* a handful of tiers; pointers match first */
        if (lr_qualify_tier_name(lc->qcfg, i) == tier) return (int32_t)i;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(lr_qualify_tier_name(lc->qcfg, i), tier)) return (int32_t)i;
    return -1;
}

static void add_owner(lr_lead_rec *r, int32_t rep) {
    for (uint8_t i = 0; i < r->n_owners; i++)
        if (r->owners[i] == rep) return;
    if (r->n_owners == LR_MAX_OWNERS) { /* cannot happen with max_reassignments < 8 */
        memmove(r->owners, r->owners + 1, (LR_MAX_OWNERS - 1) * sizeof(int32_t));
        r->n_owners--;
    }
    r->owners[r->n_owners++] = rep;
}

/* The previous assignment, if any, is over: its clock stops and its owner's
 * open count drops (route already counted the new one). */
static void supersede(lr_lifecycle *lc, lr_lead_rec *r) {
    clock_end(lc, r);
    if (holds_load(r) && lc->rstate) lr_route_release(lc->rstate, r->owner);
    r->flags &= (uint8_t)~F_SLA_MASK;
    r->policy = -1;
    r->due_at = LR_TIME_NONE;
    r->assign_seq = 0;
}

/* Records where the decision sent the lead; returns the status to report. */
static lr_status_kind apply(lr_lifecycle *lc, lr_lead_rec *r, uint32_t idx, lr_decision *d,
                            const lr_route_result *res, lr_time_ms now) {
    if (d->stage == LR_STAGE_SALES_READY && res && res->rep >= 0) {
        r->team = res->team;
        r->owner = res->rep;
        r->state = ST_OPEN;
        r->assigned_at = now;
        r->attempt = d->attempt > 0 ? d->attempt : r->attempt + 1;
        r->assign_seq = (int32_t)d->seq;
        add_owner(r, res->rep);
        clock_start(lc, r, idx, now);
        d->sla_due_at = r->due_at; /* before any push: d lives in out->ev */
        return d->cause == LR_CAUSE_SLA_REASSIGN ? LR_STATUS_REASSIGNED : LR_STATUS_ASSIGNED;
    }
    r->owner = -1;
    r->assigned_at = LR_TIME_NONE;
    if (d->stage == LR_STAGE_SALES_READY) {
        r->team = res ? res->team : -1;
        r->state = ST_QUEUED;
        return LR_STATUS_QUEUED;
    }
    r->team = -1;
    if (d->stage == LR_STAGE_DISQUALIFIED) {
        r->state = ST_DISQUALIFIED;
        return LR_STATUS_DISQUALIFIED;
    }
    r->state = ST_NURTURE;
    return LR_STATUS_NURTURE;
}

void lr_lifecycle_decided(lr_lifecycle *lc, const lr_lead *lead, lr_decision *d,
                          const lr_route_result *res, lr_time_ms now, lr_out *out) {
    note_now(lc, now);
    bool reassign = d->cause == LR_CAUSE_SLA_REASSIGN;
    /* a reassignment's lead is a stand-in built from the record: keep the
     * record's source and campaign */
    uint32_t idx = record(lc, lead ? lead->lead_id : d->lead_id, reassign ? NULL : lead);
    mark(lc, idx);
    lr_lead_rec *r = rec_at(lc, idx);
    if (d->seq > r->seq) r->seq = d->seq;
    int16_t breached_policy = r->policy;
    supersede(lc, r);
    if (!reassign) {
        if (lead) {
            r->source_id = lr_kpi_intern(lc->kpi, LR_KPI_SOURCE, lead->source);
            r->campaign_id = lr_kpi_intern(lc->kpi, LR_KPI_CAMPAIGN, lead->campaign);
        }
        r->tier = tier_index(lc, d->tier);
        r->last_decided = now;
        r->reassignments = 0; /* the owner history stays: nobody gets it back on breach */
    }
    r->stage = d->stage;
    r->score = d->score;
    lr_status_kind kind = apply(lc, r, idx, d, res, now);

    lr_kpi_key key = key_of(r);
    if (!reassign) lr_kpi_observe(lc->kpi, key, LR_KPI_LATENCY, d->decided_at - d->event_time);
    if (kind == LR_STATUS_ASSIGNED) lr_kpi_count(lc->kpi, key, LR_KPI_HANDED_TO_SALES);
    lr_kpi_stage(lc->kpi, key, kind);
    lr_status *s = push_status(lc, r, kind, now, reassign ? now : d->event_time, out);
    if (reassign) s->reason = lr_sla_policy_name(lc->sla, breached_policy);
    else if (d->cause == LR_CAUSE_REENGAGED) s->reason = "reengaged";
}

void lr_lifecycle_duplicate(lr_lifecycle *lc, const lr_lead *lead, lr_time_ms now, lr_out *out) {
    note_now(lc, now);
    uint32_t idx = record(lc, lead->lead_id, lead);
    mark(lc, idx);
    lr_lead_rec *r = rec_at(lc, idx);
    if (r->state == ST_NEW && r->last_decided == LR_TIME_NONE) {
        /* Shared mode only: stage 1 saw the first message within the window,
         * but its decision has already left this table. Closed, so that the
         * record leaves again after a window instead of staying forever. */
        r->state = ST_CLOSED;
        r->last_decided = now;
    }
    lr_status *s = push_status(lc, r, LR_STATUS_DUPLICATE, now, lead->event_time, out);
    s->reason = "within_duplicate_window";
    lr_kpi_stage(lc->kpi, key_of(r), LR_STATUS_DUPLICATE);
}

/* ---- sales activity --------------------------------------------------------- */

/* Remembers the activity id; false when it was seen recently (a duplicate). */
static bool remember(lr_lead_rec *r, const lr_sales_activity *a) {
    if (!a->activity_id.s) return true; /* required by the contract; nothing to compare */
    uint64_t h = lr_leadtab_hash(a->activity_id.s, a->activity_id.len);
    if (!h) h = 1; /* 0 marks an empty slot */
    for (int i = 0; i < LR_RECENT_ACTIVITIES; i++)
        if (r->recent[i] == h) return false;
    unsigned next = (r->flags >> F_RECENT_SHIFT) & 3u;
    r->recent[next] = h;
    r->flags = (uint8_t)((r->flags & ~(3u << F_RECENT_SHIFT)) |
                         (((next + 1) % LR_RECENT_ACTIVITIES) << F_RECENT_SHIFT));
    return true;
}

/* A decimal integer (optional '-', then at least one digit) at *p, up to the
 * first other byte or end; false on none or overflow. */
static bool parse_dec(const char **p, const char *end, int64_t *out) {
    const char *q = *p;
    bool neg = q < end && *q == '-';
    if (neg) q++;
    if (q == end || *q < '0' || *q > '9') return false;
    uint64_t v = 0, limit = (uint64_t)INT64_MAX + neg;
    for (; q < end && *q >= '0' && *q <= '9'; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    *p = q;
    return true;
}

/* Does assignment_id name the current assignment? "<lead>:decision:<seq>@<since>"
 * must match its seq and the record's first_seen: a lead evicted and seen
 * again counts seq from 1, and only since tells its assignments from those
 * of the earlier incarnation. "<lead>:decision:<seq>", the format before
 * since was added, which CRMs may still hold, matches by seq alone. */
static bool answers_current(const lr_lead_rec *r, lr_str assignment_id) {
    if (!assignment_id.s) return true; /* the CRM did not say: any is fine */
    size_t n = strlen(r->id);
    static const char mid[] = ":decision:";
    const char *s = assignment_id.s, *end = s + assignment_id.len;
    if (assignment_id.len <= n + sizeof(mid) - 1 || memcmp(s, r->id, n) ||
        memcmp(s + n, mid, sizeof(mid) - 1))
        return false;
    const char *p = s + n + sizeof(mid) - 1;
    int64_t seq, since;
    if (*p == '-' || !parse_dec(&p, end, &seq) || seq != r->assign_seq) return false;
    if (p == end) return true; /* old format */
    if (*p++ != '@' || !parse_dec(&p, end, &since)) return false;
    return p == end && since == r->first_seen;
}

/* Why an activity changes nothing, or NULL when it counts. */
static const char *why_not_counted(const lr_lead_rec *r, const lr_sales_activity *a, int32_t rep) {
    if (r->state < ST_OPEN) return "not_assigned";
    if (rep < 0 || rep != r->owner) return "not_current_owner";
    if (a->occurred_at < r->assigned_at || !answers_current(r, a->assignment_id))
        return "stale_activity";
    if (r->state == ST_CLOSED) return "already_closed";
    if (a->kind == LR_SALES_CONTACTED && r->state != ST_OPEN) return "already_contacted";
    if (a->kind == LR_SALES_ACCEPTED && r->state == ST_ACCEPTED) return "already_accepted";
    return NULL;
}

static const lr_status_kind sales_status[LR_SALES__COUNT] = {
    LR_STATUS_CONTACTED, LR_STATUS_ACCEPTED, LR_STATUS_REJECTED, LR_STATUS_CONVERTED,
    LR_STATUS_RECYCLED};

/* The first touch: stops the clock and measures the time it took. */
static void first_touch(lr_lifecycle *lc, lr_lead_rec *r, lr_time_ms at, lr_status *s) {
    const sla_policy *p = policy_of(lc, r);
    clock_end(lc, r);
    s->sla_elapsed_ms = lr_calendar_elapsed(calendar_of(lc, p), r->assigned_at, at);
    lr_kpi_key key = key_of(r);
    lr_kpi_observe(lc->kpi, key, LR_KPI_TTFT, s->sla_elapsed_ms);
    if (!p) return; /* no SLA: nothing to meet */
    s->sla_met = at < r->due_at;
    lr_kpi_count(lc->kpi, key, s->sla_met ? LR_KPI_SLA_MET : LR_KPI_SLA_MISSED);
    if (s->sla_met && (r->flags & F_BREACHED))
        lr_kpi_count(lc->kpi, key, LR_KPI_SLA_LATE_REPORTED);
}

void lr_lifecycle_on_sales(lr_lifecycle *lc, const lr_sales_activity *a, lr_time_ms now,
                           lr_out *out) {
    note_now(lc, now);
    uint32_t idx = lr_leadtab_find(lc->tab, a->lead_id.s, a->lead_id.len);
    if ((unsigned)a->kind >= LR_SALES__COUNT) return; /* the decoder never lets one through */
    if (idx == LR_LEADTAB_NONE) {
        lr_kpi_count(lc->kpi, (lr_kpi_key){-1, 0, 0}, LR_KPI_ACT_UNKNOWN_LEAD);
        return;
    }
    mark(lc, idx);
    lr_lead_rec *r = rec_at(lc, idx);
    if (!remember(r, a)) {
        lr_kpi_count(lc->kpi, key_of(r), LR_KPI_ACT_DUPLICATE);
        return;
    }
    int32_t rep = lc->rcfg ? lr_route_rep_index(lc->rcfg, a->rep_id.s, a->rep_id.len) : -1;
    lr_status_kind kind = sales_status[a->kind];
    const char *why = why_not_counted(r, a, rep);
    if (why) {
        lr_status *s = push_status(lc, r, kind, now, a->occurred_at, out);
        s->rep = rep >= 0 ? rep_name(lc, rep) : a->rep_id.s;
        s->reason = why;
        lr_kpi_count(lc->kpi, key_of(r), LR_KPI_ACT_NOT_COUNTED);
        return;
    }
    lr_status *s = push_status(lc, r, kind, now, a->occurred_at, out);
    s->reason = a->reason.s;
    if (a->kind == LR_SALES_CONTACTED || (a->kind == LR_SALES_ACCEPTED && r->state == ST_OPEN))
        first_touch(lc, r, a->occurred_at, s);
    if (a->kind == LR_SALES_CONVERTED && a->has_value) {
        s->has_value = true;
        s->value = a->opportunity_value;
        lr_kpi_value(lc->kpi, key_of(r), a->opportunity_value);
    }
    lr_kpi_stage(lc->kpi, key_of(r), kind);
    switch (a->kind) {
    case LR_SALES_CONTACTED:
        r->state = ST_CONTACTED;
        break;
    case LR_SALES_ACCEPTED:
        r->state = ST_ACCEPTED;
        break;
    default: /* rejected, converted, recycled: the lead leaves its owner */
        clock_end(lc, r);
        if (lc->rstate) lr_route_release(lc->rstate, r->owner);
        r->state = ST_CLOSED;
        break;
    }
}

/* ---- reports ---------------------------------------------------------------- */

char *lr_lifecycle_kpi_json(const lr_lifecycle *lc) {
    return lr_kpi_json(lc->kpi, lr_wheel_count(lc->wheel));
}

const char *lr_lifecycle_state_name(const lr_lead_rec *rec) {
    if (rec->state == ST_OPEN && (rec->flags & F_ESCALATED)) return "escalated";
    return rec->state < ST__COUNT ? state_names[rec->state] : "unknown";
}

/* ---- changelog ----------------------------------------------------------------
 * One value per lead record (state.h primitives), names instead of indexes so
 * that a roster or rulebook change does not scramble it:
 *   version, seq, first_seen, last_decided, assigned_at, due_at,
 *   stage, state, phase, flags (SLA bits and recent[] cursor),
 *   tier, team, owner, attempt, reassignments, assign_seq,
 *   owners (count, names), score, source, campaign, policy,
 *   clock (0 | 1, due, order), recent[4]. */

void lr_lifecycle_track_changes(lr_lifecycle *lc, bool on) { lc->track = on; }
size_t lr_lifecycle_count(const lr_lifecycle *lc) { return lr_leadtab_count(lc->tab); }

static void lead_key(lr_buf *key, const char *id) {
    lr_buf_reset(key);
    lr_buf_append(key, LR_STATE_KEY_LEAD, sizeof(LR_STATE_KEY_LEAD) - 1);
    lr_buf_append(key, id, strlen(id));
}

static void encode_rec(const lr_lifecycle *lc, const lr_lead_rec *r, lr_buf *b) {
    lr_buf_reset(b);
    lr_buf_putc(b, LR_STATE_VERSION);
    lr_state_put_i64(b, r->seq);
    lr_state_put_i64(b, r->first_seen);
    lr_state_put_i64(b, r->last_decided);
    lr_state_put_i64(b, r->assigned_at);
    lr_state_put_i64(b, r->due_at);
    lr_state_put_u64(b, r->stage);
    lr_state_put_u64(b, r->state);
    lr_state_put_u64(b, r->phase);
    lr_state_put_u64(b, r->flags & (F_SLA_MASK | F_RECENT_MASK));
    lr_state_put_str(b, tier_name(lc, r));
    lr_state_put_str(b, r->team >= 0 ? team_name(lc, r->team) : NULL);
    lr_state_put_str(b, r->owner >= 0 ? rep_name(lc, r->owner) : NULL);
    lr_state_put_i64(b, r->attempt);
    lr_state_put_i64(b, r->reassignments);
    lr_state_put_i64(b, r->assign_seq);
    lr_state_put_u64(b, r->n_owners);
    for (uint8_t i = 0; i < r->n_owners; i++) lr_state_put_str(b, rep_name(lc, r->owners[i]));
    lr_state_put_f64(b, r->score);
    lr_state_put_str(b, r->source_id ? lr_kpi_name(lc->kpi, LR_KPI_SOURCE, r->source_id) : NULL);
    lr_state_put_str(b, r->campaign_id ? lr_kpi_name(lc->kpi, LR_KPI_CAMPAIGN, r->campaign_id)
                                       : NULL);
    lr_state_put_str(b, lr_sla_policy_name(lc->sla, r->policy));
    lr_state_put_u64(b, r->clock ? 1 : 0);
    if (r->clock) {
        lr_state_put_i64(b, r->clock_due);
        lr_state_put_u64(b, r->clock_order);
    }
    for (int i = 0; i < LR_RECENT_ACTIVITIES; i++) lr_state_put_fixed64(b, r->recent[i]);
}

size_t lr_lifecycle_changes(lr_lifecycle *lc, lr_buf *key, lr_buf *val, lr_state_sink_fn sink,
                            void *ctx) {
    size_t n = 0;
    /* tombstones first: a lead evicted and seen again in the same window ends
     * with its new value */
    for (size_t i = 0; i < lc->n_tomb; i++, n++) {
        lead_key(key, lc->tomb[i]);
        sink(ctx, (const char *)key->data, key->len, NULL, 0);
    }
    lc->n_tomb = 0;
    for (size_t i = 0; i < lc->n_dirty; i++) {
        lr_lead_rec *r = rec_at(lc, lc->dirty[i]);
        /* an evicted slot is empty or holds another lead (marked on its own) */
        if (!r->id[0] || !(r->flags & F_DIRTY)) continue;
        r->flags &= (uint8_t)~F_DIRTY;
        lead_key(key, r->id);
        encode_rec(lc, r, val);
        sink(ctx, (const char *)key->data, key->len, val->data, val->len);
        n++;
    }
    lc->n_dirty = 0;
    return n;
}

/* A name from the changelog, resolved to today's index; -1 when absent,
 * -2 when the configuration no longer has it. */
static int32_t resolve_team(const lr_lifecycle *lc, const char *s, size_t len) {
    if (!s) return -1;
    char tmp[256];
    if (!lc->rcfg || len >= sizeof(tmp)) return -2;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    int32_t t = lr_route_team_index(lc->rcfg, tmp);
    return t >= 0 ? t : -2;
}

static int32_t resolve_rep(const lr_lifecycle *lc, const char *s, size_t len) {
    if (!s) return -1;
    if (!lc->rcfg) return -2;
    int32_t rep = lr_route_rep_index(lc->rcfg, s, len);
    return rep >= 0 ? rep : -2;
}

static int32_t resolve_tier(const lr_lifecycle *lc, const char *s, size_t len) {
    if (!s) return -1;
    size_t n = lc->qcfg ? lr_qualify_tier_count(lc->qcfg) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = lr_qualify_tier_name(lc->qcfg, i);
        if (strlen(t) == len && !memcmp(t, s, len)) return (int32_t)i;
    }
    return -2;
}

static int32_t resolve_policy(const lr_lifecycle *lc, const char *s, size_t len) {
    if (!s) return -1;
    for (size_t i = 0; i < lr_sla_policy_count(lc->sla); i++) {
        const char *p = lr_sla_policy_name(lc->sla, (int32_t)i);
        if (strlen(p) == len && !memcmp(p, s, len)) return (int32_t)i;
    }
    return -2;
}

/* Decodes a value into *r (id untouched). 0, 1 (unknown name), -1 (malformed). */
static int decode_rec(lr_lifecycle *lc, const void *val, size_t vlen, lr_lead_rec *r) {
    lr_state_reader rd = lr_state_reader_of(val, vlen);
    if (rd.p >= rd.end || *rd.p++ != LR_STATE_VERSION) return -1;
    const char *s;
    size_t len;
    bool unknown = false;
    r->seq = lr_state_get_i64(&rd);
    r->first_seen = lr_state_get_i64(&rd);
    r->last_decided = lr_state_get_i64(&rd);
    r->assigned_at = lr_state_get_i64(&rd);
    r->due_at = lr_state_get_i64(&rd);
    uint64_t stage = lr_state_get_u64(&rd), state = lr_state_get_u64(&rd);
    uint64_t phase = lr_state_get_u64(&rd), flags = lr_state_get_u64(&rd);
    if (stage >= LR_STAGE__COUNT || state >= ST__COUNT || phase > 255 ||
        (flags & ~(uint64_t)(F_SLA_MASK | F_RECENT_MASK)))
        return -1;
    r->stage = (lr_stage)stage;
    r->state = (uint8_t)state;
    r->phase = (uint8_t)phase;
    r->flags = (uint8_t)flags;
    s = lr_state_get_str(&rd, &len);
    r->tier = resolve_tier(lc, s, len);
    s = lr_state_get_str(&rd, &len);
    r->team = resolve_team(lc, s, len);
    s = lr_state_get_str(&rd, &len);
    r->owner = resolve_rep(lc, s, len);
    unknown |= r->tier == -2 || r->team == -2 || r->owner == -2;
    r->attempt = (int32_t)lr_state_get_i64(&rd);
    r->reassignments = (int32_t)lr_state_get_i64(&rd);
    r->assign_seq = (int32_t)lr_state_get_i64(&rd);
    uint64_t n_owners = lr_state_get_u64(&rd);
    if (n_owners > LR_MAX_OWNERS) return -1;
    r->n_owners = (uint8_t)n_owners;
    for (uint8_t i = 0; i < r->n_owners; i++) {
        s = lr_state_get_str(&rd, &len);
        r->owners[i] = resolve_rep(lc, s, len);
        unknown |= r->owners[i] < 0;
    }
    r->score = lr_state_get_f64(&rd);
    s = lr_state_get_str(&rd, &len);
    r->source_id = s ? lr_kpi_intern(lc->kpi, LR_KPI_SOURCE, (lr_str){s, (uint32_t)len}) : 0;
    s = lr_state_get_str(&rd, &len);
    r->campaign_id = s ? lr_kpi_intern(lc->kpi, LR_KPI_CAMPAIGN, (lr_str){s, (uint32_t)len}) : 0;
    s = lr_state_get_str(&rd, &len);
    int32_t policy = resolve_policy(lc, s, len);
    unknown |= policy == -2;
    r->policy = (int16_t)policy;
    uint64_t has_clock = lr_state_get_u64(&rd);
    if (has_clock > 1) return -1;
    if (has_clock) {
        r->clock_due = lr_state_get_i64(&rd);
        r->clock_order = lr_state_get_u64(&rd);
        r->flags |= F_PENDING;
        /* a clock names its policy's phase: without a policy it cannot run */
        if (policy < 0) return -1;
        if (policy >= 0 && phase >= PH_STEP0 &&
            phase - PH_STEP0 >= lc->sla->policies[policy].n_steps)
            unknown = true; /* the ladder got shorter */
    }
    for (int i = 0; i < LR_RECENT_ACTIVITIES; i++) r->recent[i] = lr_state_get_fixed64(&rd);
    if (rd.bad || rd.p != rd.end) return -1;
    return unknown ? 1 : 0;
}

static void drop(lr_lifecycle *lc, uint32_t idx) {
    clock_end(lc, rec_at(lc, idx));
    lr_leadtab_remove(lc->tab, idx);
}

int lr_lifecycle_restore(lr_lifecycle *lc, const char *id, size_t len, const void *val,
                         size_t vlen) {
    if (len == 0 || len > LR_MAX_ID_LEN) return -1;
    lc->restoring = true; /* no eviction until restore_done: nothing is "now" yet */
    uint32_t idx = lr_leadtab_find(lc->tab, id, len);
    if (!val) {
        if (idx != LR_LEADTAB_NONE) drop(lc, idx);
        return 0;
    }
    lr_lead_rec tmp;
    memset(&tmp, 0, sizeof(tmp));
    int rc = decode_rec(lc, val, vlen, &tmp);
    if (rc != 0) {
        /* last write wins: an older value must not stand in for this one */
        if (idx != LR_LEADTAB_NONE) drop(lc, idx);
        return rc;
    }
    if (idx == LR_LEADTAB_NONE) idx = lr_leadtab_add(lc->tab, id, len);
    lr_lead_rec *r = rec_at(lc, idx);
    clock_end(lc, r);
    memcpy(tmp.id, r->id, sizeof(tmp.id));
    *r = tmp;
    if (r->flags & F_PENDING) {
        push_idx(&lc->pending, &lc->n_pending, &lc->cap_pending, idx);
        if (r->clock_order > lc->arm_seq) lc->arm_seq = r->clock_order;
    }
    return 0;
}

typedef struct pending_clock {
    uint64_t order;
    uint32_t idx;
} pending_clock;

static int by_order(const void *a, const void *b) {
    const pending_clock *x = a, *y = b;
    return x->order < y->order ? -1 : x->order > y->order ? 1 : (x->idx > y->idx) - (x->idx < y->idx);
}

void lr_lifecycle_restore_done(lr_lifecycle *lc) {
    pending_clock *p = malloc((lc->n_pending ? lc->n_pending : 1) * sizeof(*p));
    if (!p) abort();
    size_t n = 0;
    for (size_t i = 0; i < lc->n_pending; i++) {
        const lr_lead_rec *r = rec_at(lc, lc->pending[i]);
        if (r->id[0] && (r->flags & F_PENDING)) p[n++] = (pending_clock){r->clock_order, lc->pending[i]};
    }
    qsort(p, n, sizeof(*p), by_order);
    for (size_t i = 0; i < n; i++) {
        lr_lead_rec *r = rec_at(lc, p[i].idx);
        if (!(r->flags & F_PENDING)) continue; /* listed twice */
        r->flags &= (uint8_t)~F_PENDING;
        r->clock = lr_wheel_start(lc->wheel, r->clock_due, p[i].idx);
    }
    free(p);
    lc->n_pending = 0;
    lc->restoring = false;
}
