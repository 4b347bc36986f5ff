/* test_lifecycle.c - the lead lifecycle and its SLA clocks, event by event.
 *
 * A small driver plays the decision core's part (route, then report to the
 * lifecycle; route again when an escalation step asks to reassign) so that each
 * test controls tiers and times exactly. Every event is rendered as one line
 * and compared with the expected lines in full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cfg.h"
#include "config.h"
#include "core.h"
#include "event.h"
#include "kpijson.h"
#include "lifecycle.h"
#include "qualify.h"
#include "route.h"
#include "tz.h"

/* Wednesday 2026-11-18 10:00:00 UTC */
#define T0 1794996000000LL
#define MIN LR_MINUTE_MS

static const char *config_yaml =
    "qualification:\n"
    "  tiers:\n"
    "    - { name: hot, min_score: 80 }\n"
    "    - { name: warm, min_score: 50 }\n"
    "    - { name: cold, min_score: 25 }\n"
    "  sales_ready_score: 60\n"
    "  marketing_qualified_score: 30\n"
    "  duplicate_window: 7d\n"
    "routing:\n"
    "  rules:\n"
    "    - { name: all, team: sales }\n"
    "teams:\n"
    "  - name: sales\n"
    "    strategy: round_robin\n"
    "    timezone: UTC\n"
    "    queue: sales-queue\n"
    "    manager: mona\n"
    "    members: [{ rep: ann }, { rep: ben }, { rep: cat }, { rep: dan }]\n"
    "  - name: solo\n"
    "    strategy: round_robin\n"
    "    timezone: UTC\n"
    "    queue: solo-queue\n"
    "    members: [{ rep: eve }]\n"
    "reps:\n"
    "  - { id: ann, timezone: UTC }\n"
    "  - { id: ben, timezone: UTC }\n"
    "  - { id: cat, timezone: UTC }\n"
    "  - { id: dan, timezone: UTC }\n"
    "  - { id: eve, timezone: UTC }\n"
    "  - { id: mona, timezone: UTC, assignable: false }\n"
    "sla:\n"
    "  calendars:\n"
    "    - name: berlin\n"
    "      timezone: Europe/Berlin\n"
    "      days: [mon, tue, wed, thu, fri]\n"
    "      start: \"09:00\"\n"
    "      end: \"17:00\"\n"
    "      holidays: [2026-12-24, 2026-12-25]\n"
    "  policies:\n"
    "    - name: partner_fast\n"
    "      source: partner\n"
    "      first_touch: 1h\n"
    "      escalation:\n"
    "        - { action: escalate, after: 10m }\n"
    "    - name: hot_ft\n"
    "      tier: hot\n"
    "      first_touch: 10m\n"
    "      warn_at: 80%%\n" /* config_yaml is a printf format (fx_new) */
    "      escalation:\n"
    "        - { action: notify_manager }\n"
    "        - { action: reassign, after: 5m }\n"
    "        - { action: escalate, after: 30m, to: vp-sales }\n"
    "    - name: warm_biz\n"
    "      tier: warm\n"
    "      first_touch: 4h\n"
    "      calendar: berlin\n"
    "      warn_at: 1h\n"
    "      escalation:\n"
    "        - { action: reassign }\n"
    "  max_reassignments: %d\n";

typedef struct fx {
    lr_tz_db *tz;
    lr_cfg_doc *doc;
    lr_qualify_config *q;
    lr_route_config *r;
    lr_sla_config *s;
    lr_route_state *rs;
    lr_lifecycle *lc;
    lr_out out;
    char log[16384];
    size_t log_len;
} fx;

static fx *fx_new(int max_reassignments) {
    fx *f = calloc(1, sizeof(*f));
    char yaml[4096];
    snprintf(yaml, sizeof(yaml), config_yaml, max_reassignments);
    lr_err err = {0};
    f->tz = lr_tz_db_new(NULL);
    f->doc = lr_cfg_load_string("t.yaml", yaml, &err);
    assert_non_null(f->doc);
    const lr_cfg_node *root = lr_cfg_root(f->doc);
    f->q = lr_qualify_config_parse(lr_cfg_get(root, "qualification"), &err);
    assert_non_null(f->q);
    f->r = lr_route_config_parse(root, f->tz, &err);
    if (!f->r) fail_msg("%s", err.msg);
    f->s = lr_sla_config_parse(lr_cfg_get(root, "sla"), f->tz, f->q, f->r, &err);
    if (!f->s) fail_msg("%s", err.msg);
    f->rs = lr_route_state_new(f->r);
    f->lc = lr_lifecycle_new(f->s, f->q, f->r, f->rs, 16);
    lr_out_init(&f->out);
    return f;
}

static void fx_free(fx *f) {
    lr_lifecycle_free(f->lc);
    lr_route_state_free(f->rs);
    lr_sla_config_free(f->s);
    lr_route_config_free(f->r);
    lr_qualify_config_free(f->q);
    lr_cfg_free(f->doc);
    lr_tz_db_free(f->tz);
    lr_out_destroy(&f->out);
    free(f);
}

/* ---- rendering ---------------------------------------------------------------- */

static const char *rel(char *buf, lr_time_ms t) {
    if (t == LR_TIME_NONE) return "-";
    lr_time_ms d = t - T0;
    if (d % 1000) snprintf(buf, 32, "%+lldms", (long long)d);
    else snprintf(buf, 32, "%+llds", (long long)(d / 1000));
    return buf;
}

static const char *str(const char *s) { return s ? s : "-"; }

static void render(fx *f) {
    for (size_t i = 0; i < f->out.n; i++) {
        const lr_event *e = &f->out.ev[i];
        char a[32], b[32], c[32];
        char line[400];
        if (e->kind == LR_EVENT_DECISION) {
            const lr_decision *d = &e->u.decision;
            snprintf(line, sizeof(line), "decision %s %s rep=%s team=%s queue=%s attempt=%d due=%s",
                     d->event_id, lr_cause_name(d->cause), str(d->rep), str(d->team),
                     str(d->queue), d->attempt, rel(a, d->sla_due_at));
        } else if (e->kind == LR_EVENT_STATUS) {
            const lr_status *s = &e->u.status;
            char tail[64] = "";
            if (s->sla_elapsed_ms >= 0)
                snprintf(tail, sizeof(tail), " elapsed=%llds met=%d",
                         (long long)(s->sla_elapsed_ms / 1000), s->sla_met);
            if (s->has_value) snprintf(tail, sizeof(tail), " value=%.2f", s->value);
            snprintf(line, sizeof(line), "status %s %s rep=%s team=%s tier=%s reason=%s at=%s occurred=%s%s",
                     s->event_id, lr_status_kind_name(s->status), str(s->rep), str(s->team),
                     str(s->tier), str(s->reason), rel(a, s->at), rel(b, s->occurred_at), tail);
        } else {
            const lr_alert *al = &e->u.alert;
            snprintf(line, sizeof(line), "alert %s %s %s step=%d policy=%s owner=%s to=%s due=%s fired=%s late=%llds",
                     al->event_id, lr_alert_kind_name(al->kind), al->action, al->step,
                     str(al->policy), str(al->owner), str(al->addressed_to), rel(a, al->due_at),
                     rel(b, al->fired_at), (long long)(al->late_by_ms / 1000));
            (void)c;
        }
        f->log_len += (size_t)snprintf(f->log + f->log_len, sizeof(f->log) - f->log_len, "%s\n", line);
    }
    lr_out_reset(&f->out);
}

static void clear_log(fx *f) {
    f->log_len = 0;
    f->log[0] = '\0';
}

static void expect(fx *f, const char *const *want, size_t n) {
    char exp[16384];
    size_t len = 0;
    exp[0] = '\0';
    for (size_t i = 0; i < n; i++) len += (size_t)snprintf(exp + len, sizeof(exp) - len, "%s\n", want[i]);
    if (strcmp(exp, f->log) != 0) {
        print_error("--- expected\n%s--- got\n%s", exp, f->log);
        fail();
    }
    clear_log(f);
    f->log[0] = '\0';
}

#define EXPECT(f, ...)                                                     \
    do {                                                                   \
        const char *const want_[] = {__VA_ARGS__};                         \
        expect(f, want_, sizeof(want_) / sizeof(want_[0]));                \
    } while (0)
#define EXPECT_NONE(f) expect(f, NULL, 0)

/* ---- the core's part ------------------------------------------------------------ */

static lr_lead make_lead(const char *id, lr_time_ms t, const char *source) {
    lr_lead l;
    memset(&l, 0, sizeof(l));
    l.lead_id = (lr_str){id, (uint32_t)strlen(id)};
    l.event_time = t;
    l.company_size = l.annual_revenue = -1;
    if (source) l.source = (lr_str){source, (uint32_t)strlen(source)};
    l.campaign = (lr_str){"spring", 6};
    return l;
}

static lr_decision *begin(fx *f, const lr_lead *l, lr_time_ms now) {
    lr_time_ms since;
    int64_t seq = lr_lifecycle_next_seq_since(f->lc, l, &since);
    lr_out_reserve(&f->out, 8);
    lr_decision *d = &lr_out_push(&f->out, LR_EVENT_DECISION)->u.decision;
    d->seq = seq;
    /* as the core builds it */
    d->event_id = lr_arena_printf(&f->out.arena, "%s:decision:%lld@%lld", l->lead_id.s,
                                  (long long)seq, (long long)since);
    d->lead_id = l->lead_id;
    d->event_time = l->event_time;
    d->decided_at = now;
    return d;
}

static void route(fx *f, const lr_lead *l, lr_decision *d, const lr_route_request *req,
                  lr_time_ms now) {
    lr_route_result res;
    lr_route_assign(f->r, f->rs, l, now, req, &res, d, &f->out.arena);
    d->team = res.team_name;
    d->rep = res.rep >= 0 ? res.rep_name : NULL;
    d->queue = res.rep >= 0 ? NULL : res.queue;
    lr_lifecycle_decided(f->lc, l, d, &res, now, &f->out);
}

/* Lead `l`, whose record is `rec` (NULL: new), decided sales-ready in `tier`
 * (NULL: untiered), or another stage; nothing rendered yet. */
static void decide_lead(fx *f, const lr_lead *l, const lr_lead_rec *rec, lr_stage stage,
                        const char *tier, lr_time_ms now) {
    lr_decision *d = begin(f, l, now);
    d->stage = stage;
    d->cause = rec ? LR_CAUSE_REENGAGED : LR_CAUSE_NEW;
    for (size_t i = 0; tier && i < lr_qualify_tier_count(f->q); i++)
        if (!strcmp(lr_qualify_tier_name(f->q, i), tier)) d->tier = lr_qualify_tier_name(f->q, i);
    if (stage == LR_STAGE_SALES_READY) {
        lr_route_request req = LR_ROUTE_REQUEST_INIT;
        if (rec && rec->n_owners) req.previous_owner = rec->owners[rec->n_owners - 1];
        d->attempt = (rec ? rec->attempt : 0) + 1;
        route(f, l, d, &req, now);
    } else {
        lr_lifecycle_decided(f->lc, l, d, NULL, now, &f->out);
    }
}

/* A lead decided sales-ready in `tier` (NULL: untiered), or another stage. */
static void decide(fx *f, const char *id, lr_stage stage, const char *tier, const char *source,
                   lr_time_ms now) {
    lr_lead l = make_lead(id, now, source);
    decide_lead(f, &l, lr_lifecycle_find(f->lc, id, strlen(id)), stage, tier, now);
    render(f);
}

static void assign(fx *f, const char *id, const char *tier, lr_time_ms now) {
    decide(f, id, LR_STAGE_SALES_READY, tier, NULL, now);
}

static void advance(fx *f, lr_time_ms now) {
    lr_reassign ra[2]; /* small on purpose: exercises "call again while it returns max" */
    for (;;) {
        size_t n = lr_lifecycle_advance(f->lc, now, &f->out, ra, 2);
        for (size_t i = 0; i < n; i++) {
            const lr_lead_rec *rec = ra[i].rec;
            lr_lead l = make_lead(rec->id, rec->first_seen, NULL);
            lr_decision *d = begin(f, &l, now);
            d->stage = LR_STAGE_SALES_READY;
            d->cause = LR_CAUSE_SLA_REASSIGN;
            d->attempt = rec->attempt + 1;
            d->tier = rec->tier >= 0 ? lr_qualify_tier_name(f->q, (size_t)rec->tier) : NULL;
            lr_route_request req = LR_ROUTE_REQUEST_INIT;
            req.team = ra[i].team;
            req.exclude = ra[i].exclude;
            req.n_exclude = ra[i].n_exclude;
            route(f, &l, d, &req, now);
        }
        if (n < 2) break;
    }
    render(f);
}

/* An activity (reason and assignment_id may be NULL) decided at `now`; the
 * rendered status is left in the log. */
static void activity(fx *f, const char *act_id, const char *lead, lr_sales_kind kind,
                     const char *rep, lr_time_ms occurred, lr_time_ms now, const char *reason,
                     const char *assignment_id, double value) {
    lr_sales_activity a;
    memset(&a, 0, sizeof(a));
    a.activity_id = (lr_str){act_id, (uint32_t)strlen(act_id)};
    a.lead_id = (lr_str){lead, (uint32_t)strlen(lead)};
    a.kind = kind;
    a.rep_id = (lr_str){rep, (uint32_t)strlen(rep)};
    a.occurred_at = occurred;
    if (reason) a.reason = (lr_str){reason, (uint32_t)strlen(reason)};
    if (assignment_id) a.assignment_id = (lr_str){assignment_id, (uint32_t)strlen(assignment_id)};
    if (kind == LR_SALES_CONVERTED) {
        a.has_value = true;
        a.opportunity_value = value;
    }
    lr_lifecycle_on_sales(f->lc, &a, now, &f->out);
    render(f);
}

static void sales(fx *f, const char *act_id, const char *lead, lr_sales_kind kind,
                  const char *rep, lr_time_ms occurred, lr_time_ms now, const char *reason) {
    activity(f, act_id, lead, kind, rep, occurred, now, reason, NULL, 5000);
}

static int32_t open_of(fx *f, const char *rep) {
    return f->rs->reps[lr_route_rep_index(f->r, rep, strlen(rep))].open;
}

/* ---- scenarios ------------------------------------------------------------------ */

/* The whole ladder with max_reassignments 1: warning at 80 %, breach, the
 * manager, a reassignment that skips the first owner, the second breach, then
 * the reassign step escalates instead (to the ladder's escalate target). */
static void test_full_ladder(void **state) {
    (void)state;
    fx *f = fx_new(1);
    assign(f, "L1", "hot", T0);
    EXPECT(f, "decision L1:decision:1@1794996000000 NEW rep=ann team=sales queue=- attempt=1 due=+600s",
           "status L1:status:2@1794996000000 ASSIGNED rep=ann team=sales tier=hot reason=- at=+0s occurred=+0s");
    assert_int_equal(lr_lifecycle_next_due(f->lc), T0 + 8 * MIN);
    advance(f, T0 + 8 * MIN - 1);
    EXPECT_NONE(f); /* never early */
    advance(f, T0 + 8 * MIN);
    EXPECT(f, "alert L1:alert:3@1794996000000 WARNING warn step=0 policy=hot_ft owner=ann to=- due=+600s fired=+480s late=-120s");
    advance(f, T0 + 10 * MIN + 1000); /* a second late */
    EXPECT(f, "alert L1:alert:4@1794996000000 BREACH breach step=0 policy=hot_ft owner=ann to=- due=+600s fired=+601s late=1s",
           "status L1:status:5@1794996000000 SLA_BREACHED rep=ann team=sales tier=hot reason=hot_ft at=+601s occurred=+600s",
           "alert L1:alert:6@1794996000000 ESCALATION notify_manager step=1 policy=hot_ft owner=ann to=mona due=+600s fired=+601s late=1s");
    assert_int_equal(lr_lifecycle_next_due(f->lc), T0 + 15 * MIN);
    advance(f, T0 + 15 * MIN);
    EXPECT(f, "alert L1:alert:7@1794996000000 ESCALATION reassign step=2 policy=hot_ft owner=ann to=- due=+600s fired=+900s late=300s",
           "decision L1:decision:8@1794996000000 SLA_REASSIGN rep=ben team=sales queue=- attempt=2 due=+1500s",
           "status L1:status:9@1794996000000 REASSIGNED rep=ben team=sales tier=hot reason=hot_ft at=+900s occurred=+900s");
    assert_int_equal(open_of(f, "ann"), 0); /* the first owner lost it */
    assert_int_equal(open_of(f, "ben"), 1);
    advance(f, T0 + 40 * MIN); /* everything of the second clock at once, in order */
    EXPECT(f, "alert L1:alert:10@1794996000000 WARNING warn step=0 policy=hot_ft owner=ben to=- due=+1500s fired=+2400s late=900s",
           "alert L1:alert:11@1794996000000 BREACH breach step=0 policy=hot_ft owner=ben to=- due=+1500s fired=+2400s late=900s",
           "status L1:status:12@1794996000000 SLA_BREACHED rep=ben team=sales tier=hot reason=hot_ft at=+2400s occurred=+1500s",
           "alert L1:alert:13@1794996000000 ESCALATION notify_manager step=1 policy=hot_ft owner=ben to=mona due=+1500s fired=+2400s late=900s",
           "alert L1:alert:14@1794996000000 ESCALATION escalate step=2 policy=hot_ft owner=ben to=vp-sales due=+1500s fired=+2400s late=900s");
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 0);
    assert_int_equal(lr_lifecycle_next_due(f->lc), LR_TIME_NONE);
    assert_string_equal(lr_lifecycle_state_name(lr_lifecycle_find(f->lc, "L1", 2)), "escalated");
    advance(f, T0 + 10 * LR_HOUR_MS);
    EXPECT_NONE(f);
    /* the escalated lead still belongs to ben: his touch is recorded, late */
    sales(f, "a1", "L1", LR_SALES_CONTACTED, "ben", T0 + 11 * LR_HOUR_MS, T0 + 11 * LR_HOUR_MS, NULL);
    EXPECT(f, "status L1:status:15@1794996000000 CONTACTED rep=ben team=sales tier=hot reason=- at=+39600s occurred=+39600s elapsed=38700s met=0");
    assert_string_equal(lr_lifecycle_state_name(lr_lifecycle_find(f->lc, "L1", 2)), "contacted");
    fx_free(f);
}

/* max_reassignments 2: two reassignments, never back to an earlier owner, then
 * the final escalation; the reassign alert order is defined. */
static void test_max_reassignments_and_no_ping_pong(void **state) {
    (void)state;
    fx *f = fx_new(2);
    assign(f, "L1", "hot", T0);
    advance(f, T0 + 15 * MIN);
    clear_log(f);
    advance(f, T0 + 30 * MIN);
    EXPECT(f, "alert L1:alert:10@1794996000000 WARNING warn step=0 policy=hot_ft owner=ben to=- due=+1500s fired=+1800s late=300s",
           "alert L1:alert:11@1794996000000 BREACH breach step=0 policy=hot_ft owner=ben to=- due=+1500s fired=+1800s late=300s",
           "status L1:status:12@1794996000000 SLA_BREACHED rep=ben team=sales tier=hot reason=hot_ft at=+1800s occurred=+1500s",
           "alert L1:alert:13@1794996000000 ESCALATION notify_manager step=1 policy=hot_ft owner=ben to=mona due=+1500s fired=+1800s late=300s",
           "alert L1:alert:14@1794996000000 ESCALATION reassign step=2 policy=hot_ft owner=ben to=- due=+1500s fired=+1800s late=300s",
           "decision L1:decision:15@1794996000000 SLA_REASSIGN rep=cat team=sales queue=- attempt=3 due=+2400s",
           "status L1:status:16@1794996000000 REASSIGNED rep=cat team=sales tier=hot reason=hot_ft at=+1800s occurred=+1800s");
    advance(f, T0 + 50 * MIN);
    EXPECT(f, "alert L1:alert:17@1794996000000 WARNING warn step=0 policy=hot_ft owner=cat to=- due=+2400s fired=+3000s late=600s",
           "alert L1:alert:18@1794996000000 BREACH breach step=0 policy=hot_ft owner=cat to=- due=+2400s fired=+3000s late=600s",
           "status L1:status:19@1794996000000 SLA_BREACHED rep=cat team=sales tier=hot reason=hot_ft at=+3000s occurred=+2400s",
           "alert L1:alert:20@1794996000000 ESCALATION notify_manager step=1 policy=hot_ft owner=cat to=mona due=+2400s fired=+3000s late=600s",
           "alert L1:alert:21@1794996000000 ESCALATION escalate step=2 policy=hot_ft owner=cat to=vp-sales due=+2400s fired=+3000s late=600s");
    const lr_lead_rec *rec = lr_lifecycle_find(f->lc, "L1", 2);
    assert_int_equal(rec->n_owners, 3);
    assert_int_equal(rec->reassignments, 2);
    for (int i = 0; i < rec->n_owners; i++)
        for (int j = i + 1; j < rec->n_owners; j++) assert_int_not_equal(rec->owners[i], rec->owners[j]);
    assert_int_equal(open_of(f, "ann") + open_of(f, "ben") + open_of(f, "cat"), 1);
    char *kpi = lr_kpijson_lifecycle(f->lc);
    json_t *o = json_loads(kpi, 0, NULL);
    json_t *sla = json_object_get(o, "sla");
    assert_int_equal(json_integer_value(json_object_get(sla, "breached")), 3);
    assert_int_equal(json_integer_value(json_object_get(sla, "warnings")), 3);
    assert_int_equal(json_integer_value(json_object_get(sla, "reassigned")), 2);
    assert_int_equal(json_integer_value(json_object_get(sla, "escalated")), 1);
    assert_int_equal(json_integer_value(json_object_get(sla, "manager_notified")), 3);
    assert_null(strstr(kpi, "ann")); /* no rep names, no personal data */
    json_decref(o);
    free(kpi);
    fx_free(f);
}

/* A reassignment that finds nobody leaves the lead queued, without a clock. */
static void test_reassign_to_queue(void **state) {
    (void)state;
    fx *f = fx_new(2);
    /* route the lead to the one-rep team by asking route for that team */
    lr_lead l = make_lead("S1", T0, NULL);
    lr_decision *d = begin(f, &l, T0);
    d->stage = LR_STAGE_SALES_READY;
    d->tier = lr_qualify_tier_name(f->q, 0);
    d->attempt = 1;
    lr_route_request req = LR_ROUTE_REQUEST_INIT;
    req.team = lr_route_team_index(f->r, "solo");
    route(f, &l, d, &req, T0);
    render(f);
    EXPECT(f, "decision S1:decision:1@1794996000000 NEW rep=eve team=solo queue=- attempt=1 due=+600s",
           "status S1:status:2@1794996000000 ASSIGNED rep=eve team=solo tier=hot reason=- at=+0s occurred=+0s");
    advance(f, T0 + 15 * MIN);
    EXPECT(f, "alert S1:alert:3@1794996000000 WARNING warn step=0 policy=hot_ft owner=eve to=- due=+600s fired=+900s late=300s",
           "alert S1:alert:4@1794996000000 BREACH breach step=0 policy=hot_ft owner=eve to=- due=+600s fired=+900s late=300s",
           "status S1:status:5@1794996000000 SLA_BREACHED rep=eve team=solo tier=hot reason=hot_ft at=+900s occurred=+600s",
           "alert S1:alert:6@1794996000000 ESCALATION notify_manager step=1 policy=hot_ft owner=eve to=solo-queue due=+600s fired=+900s late=300s",
           "alert S1:alert:7@1794996000000 ESCALATION reassign step=2 policy=hot_ft owner=eve to=- due=+600s fired=+900s late=300s",
           "decision S1:decision:8@1794996000000 SLA_REASSIGN rep=- team=solo queue=solo-queue attempt=2 due=-",
           "status S1:status:9@1794996000000 QUEUED rep=- team=solo tier=hot reason=hot_ft at=+900s occurred=+900s");
    assert_int_equal(open_of(f, "eve"), 0);
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 0);
    /* eve's late touch no longer counts: the lead is not assigned */
    sales(f, "x1", "S1", LR_SALES_CONTACTED, "eve", T0 + 16 * MIN, T0 + 16 * MIN, NULL);
    EXPECT(f, "status S1:status:10@1794996000000 CONTACTED rep=eve team=solo tier=hot reason=not_assigned at=+960s occurred=+960s");
    fx_free(f);
}

static void test_contacted_in_time(void **state) {
    (void)state;
    fx *f = fx_new(2);
    assign(f, "L2", "hot", T0);
    clear_log(f);
    sales(f, "a1", "L2", LR_SALES_CONTACTED, "ann", T0 + 5 * MIN, T0 + 5 * MIN + 2000, NULL);
    EXPECT(f, "status L2:status:3@1794996000000 CONTACTED rep=ann team=sales tier=hot reason=- at=+302s occurred=+300s elapsed=300s met=1");
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 0);
    advance(f, T0 + LR_DAY_MS);
    EXPECT_NONE(f);
    sales(f, "a2", "L2", LR_SALES_ACCEPTED, "ann", T0 + 6 * MIN, T0 + 6 * MIN, NULL);
    sales(f, "a3", "L2", LR_SALES_CONVERTED, "ann", T0 + 7 * MIN, T0 + 7 * MIN, NULL);
    EXPECT(f, "status L2:status:4@1794996000000 ACCEPTED rep=ann team=sales tier=hot reason=- at=+360s occurred=+360s",
           "status L2:status:5@1794996000000 CONVERTED rep=ann team=sales tier=hot reason=- at=+420s occurred=+420s value=5000.00");
    assert_int_equal(open_of(f, "ann"), 0);
    fx_free(f);
}

static void test_contacted_late(void **state) {
    (void)state;
    fx *f = fx_new(2);
    assign(f, "L3", "hot", T0);
    advance(f, T0 + 12 * MIN);
    clear_log(f);
    sales(f, "a1", "L3", LR_SALES_CONTACTED, "ann", T0 + 13 * MIN, T0 + 13 * MIN, NULL);
    EXPECT(f, "status L3:status:7@1794996000000 CONTACTED rep=ann team=sales tier=hot reason=- at=+780s occurred=+780s elapsed=780s met=0");
    advance(f, T0 + LR_DAY_MS); /* no reassignment once touched */
    EXPECT_NONE(f);
    assert_int_equal(open_of(f, "ann"), 1);
    /* the deadline instant itself is late; a millisecond before is in time */
    assign(f, "L3b", "hot", T0 + LR_DAY_MS);
    assign(f, "L3c", "hot", T0 + LR_DAY_MS);
    clear_log(f);
    lr_time_ms due = T0 + LR_DAY_MS + 10 * MIN;
    sales(f, "b", "L3b", LR_SALES_CONTACTED, "ben", due, due, NULL);
    sales(f, "c", "L3c", LR_SALES_CONTACTED, "cat", due - 1, due, NULL);
    EXPECT(f, "status L3b:status:3@1795082400000 CONTACTED rep=ben team=sales tier=hot reason=- at=+87000s occurred=+87000s elapsed=600s met=0",
           "status L3c:status:3@1795082400000 CONTACTED rep=cat team=sales tier=hot reason=- at=+87000s occurred=+86999999ms elapsed=599s met=1");
    fx_free(f);
}

/* The same activity id twice counts once; a repeated touch with a new id is
 * recorded without effect. */
static void test_duplicate_activity(void **state) {
    (void)state;
    fx *f = fx_new(2);
    assign(f, "L4", "hot", T0);
    clear_log(f);
    sales(f, "dup", "L4", LR_SALES_CONTACTED, "ann", T0 + MIN, T0 + MIN, NULL);
    sales(f, "dup", "L4", LR_SALES_CONTACTED, "ann", T0 + MIN, T0 + 2 * MIN, NULL);
    sales(f, "dup", "L4", LR_SALES_REJECTED, "ann", T0 + MIN, T0 + 2 * MIN, "bad_fit");
    sales(f, "other", "L4", LR_SALES_CONTACTED, "ann", T0 + 3 * MIN, T0 + 3 * MIN, NULL);
    EXPECT(f, "status L4:status:3@1794996000000 CONTACTED rep=ann team=sales tier=hot reason=- at=+60s occurred=+60s elapsed=60s met=1",
           "status L4:status:4@1794996000000 CONTACTED rep=ann team=sales tier=hot reason=already_contacted at=+180s occurred=+180s");
    /* an unknown lead: no event, counted */
    sales(f, "z", "nobody", LR_SALES_CONTACTED, "ann", T0, T0, NULL);
    EXPECT_NONE(f);
    char *kpi = lr_kpijson_lifecycle(f->lc);
    json_t *o = json_loads(kpi, 0, NULL);
    json_t *act = json_object_get(o, "sales_activity");
    assert_int_equal(json_integer_value(json_object_get(act, "duplicate")), 2);
    assert_int_equal(json_integer_value(json_object_get(act, "unknown_lead")), 1);
    assert_int_equal(json_integer_value(json_object_get(act, "not_counted")), 1);
    json_decref(o);
    free(kpi);
    fx_free(f);
}

/* Activity older than the assignment it would answer, or naming another
 * assignment, does not stop the clock; a touch that happened in time but
 * arrives after the breach is met (and counted as reported late). */
static void test_out_of_order_activity(void **state) {
    (void)state;
    fx *f = fx_new(2);
    assign(f, "L5", "hot", T0 + MIN);
    clear_log(f);
    sales(f, "old", "L5", LR_SALES_CONTACTED, "ann", T0, T0 + 2 * MIN, NULL);
    lr_sales_activity a;
    memset(&a, 0, sizeof(a));
    a.activity_id = (lr_str){"wrong", 5};
    a.lead_id = (lr_str){"L5", 2};
    a.kind = LR_SALES_CONTACTED;
    a.rep_id = (lr_str){"ann", 3};
    a.occurred_at = T0 + 2 * MIN;
    a.assignment_id = (lr_str){"L5:decision:7", 13};
    lr_lifecycle_on_sales(f->lc, &a, T0 + 2 * MIN, &f->out);
    render(f);
    EXPECT(f, "status L5:status:3@1794996060000 CONTACTED rep=ann team=sales tier=hot reason=stale_activity at=+120s occurred=+0s",
           "status L5:status:4@1794996060000 CONTACTED rep=ann team=sales tier=hot reason=stale_activity at=+120s occurred=+120s");
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 1);
    advance(f, T0 + 11 * MIN + 500);
    clear_log(f);
    /* touched at +10m (before the +11m deadline), reported after the breach */
    a.activity_id = (lr_str){"late-report", 11};
    a.assignment_id = (lr_str){"L5:decision:1", 13};
    a.occurred_at = T0 + 10 * MIN;
    lr_lifecycle_on_sales(f->lc, &a, T0 + 12 * MIN, &f->out);
    render(f);
    EXPECT(f, "status L5:status:9@1794996060000 CONTACTED rep=ann team=sales tier=hot reason=- at=+720s occurred=+600s elapsed=540s met=1");
    advance(f, T0 + LR_DAY_MS); /* the pending reassign step is cancelled */
    EXPECT_NONE(f);
    char *kpi = lr_kpijson_lifecycle(f->lc);
    json_t *o = json_loads(kpi, 0, NULL);
    json_t *sla = json_object_get(o, "sla");
    assert_int_equal(json_integer_value(json_object_get(sla, "met")), 1);
    assert_int_equal(json_integer_value(json_object_get(sla, "late_reported")), 1);
    json_decref(o);
    free(kpi);
    fx_free(f);
}

static void test_non_owner_activity(void **state) {
    (void)state;
    fx *f = fx_new(2);
    assign(f, "L6", "hot", T0);
    clear_log(f);
    sales(f, "b1", "L6", LR_SALES_CONTACTED, "ben", T0 + MIN, T0 + MIN, NULL);
    sales(f, "b2", "L6", LR_SALES_REJECTED, "stranger", T0 + MIN, T0 + MIN, "bad_fit");
    EXPECT(f, "status L6:status:3@1794996000000 CONTACTED rep=ben team=sales tier=hot reason=not_current_owner at=+60s occurred=+60s",
           "status L6:status:4@1794996000000 REJECTED rep=stranger team=sales tier=hot reason=not_current_owner at=+60s occurred=+60s");
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 1); /* still running */
    advance(f, T0 + 10 * MIN);
    EXPECT(f, "alert L6:alert:5@1794996000000 WARNING warn step=0 policy=hot_ft owner=ann to=- due=+600s fired=+600s late=0s",
           "alert L6:alert:6@1794996000000 BREACH breach step=0 policy=hot_ft owner=ann to=- due=+600s fired=+600s late=0s",
           "status L6:status:7@1794996000000 SLA_BREACHED rep=ann team=sales tier=hot reason=hot_ft at=+600s occurred=+600s",
           "alert L6:alert:8@1794996000000 ESCALATION notify_manager step=1 policy=hot_ft owner=ann to=mona due=+600s fired=+600s late=0s");
    fx_free(f);
}

static void test_reject_releases_load(void **state) {
    (void)state;
    fx *f = fx_new(2);
    assign(f, "L7", "hot", T0);
    assert_int_equal(open_of(f, "ann"), 1);
    clear_log(f);
    sales(f, "r1", "L7", LR_SALES_REJECTED, "ann", T0 + MIN, T0 + MIN, "bad_fit");
    EXPECT(f, "status L7:status:3@1794996000000 REJECTED rep=ann team=sales tier=hot reason=bad_fit at=+60s occurred=+60s");
    assert_int_equal(open_of(f, "ann"), 0);
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 0);
    sales(f, "r2", "L7", LR_SALES_CONVERTED, "ann", T0 + 2 * MIN, T0 + 2 * MIN, NULL);
    EXPECT(f, "status L7:status:4@1794996000000 CONVERTED rep=ann team=sales tier=hot reason=already_closed at=+120s occurred=+120s");
    assert_int_equal(open_of(f, "ann"), 0); /* released once only */
    /* recycle also releases */
    assign(f, "L8", "hot", T0);
    int32_t owner = lr_lifecycle_find(f->lc, "L8", 2)->owner;
    const char *rep = lr_route_rep_name(f->r, owner);
    assert_int_equal(open_of(f, rep), 1);
    clear_log(f);
    sales(f, "r3", "L8", LR_SALES_RECYCLED, rep, T0 + MIN, T0 + MIN, "not_now");
    assert_int_equal(open_of(f, rep), 0);
    fx_free(f);
}

/* A business-hours policy: assigned Friday evening in Berlin, warned and due
 * on Monday; the breach reassigns at once (after 0) and the new clock counts
 * from Monday 13:00. */
static void test_business_hours_policy(void **state) {
    (void)state;
    fx *f = fx_new(2);
    const lr_time_ms fri = 1795195800000LL;          /* Fri 2026-11-20 17:30Z = 18:30 CET */
    const lr_time_ms mon12 = 1795431600000LL;        /* Mon 2026-11-23 11:00Z = 12:00 CET */
    const lr_time_ms mon13 = mon12 + LR_HOUR_MS;
    assign(f, "W1", "warm", fri);
    const lr_lead_rec *rec = lr_lifecycle_find(f->lc, "W1", 2);
    assert_int_equal(rec->due_at, mon13);
    assert_int_equal(lr_lifecycle_next_due(f->lc), mon12);
    clear_log(f);
    advance(f, mon12 - 1);
    EXPECT_NONE(f);
    advance(f, mon12);
    assert_non_null(strstr(f->log, "WARNING warn step=0 policy=warm_biz owner=ann"));
    clear_log(f);
    advance(f, mon13);
    assert_non_null(strstr(f->log, "BREACH breach"));
    assert_non_null(strstr(f->log, "ESCALATION reassign step=1"));
    assert_non_null(strstr(f->log, "REASSIGNED rep=ben"));
    clear_log(f);
    rec = lr_lifecycle_find(f->lc, "W1", 2);
    assert_int_equal(rec->due_at, mon13 + 4 * LR_HOUR_MS); /* Monday 17:00 CET */
    /* ben touches at Mon 16:00 CET: 3 business hours */
    sales(f, "w", "W1", LR_SALES_CONTACTED, "ben", mon13 + 3 * LR_HOUR_MS, mon13 + 3 * LR_HOUR_MS, NULL);
    assert_non_null(strstr(f->log, "elapsed=10800s met=1"));
    fx_free(f);
}

/* An escalate step reached by time, to the team's queue by default; a policy
 * chosen by source. */
static void test_escalate_step_and_source_policy(void **state) {
    (void)state;
    fx *f = fx_new(2);
    decide(f, "P1", LR_STAGE_SALES_READY, "hot", "partner", T0);
    EXPECT(f, "decision P1:decision:1@1794996000000 NEW rep=ann team=sales queue=- attempt=1 due=+3600s",
           "status P1:status:2@1794996000000 ASSIGNED rep=ann team=sales tier=hot reason=- at=+0s occurred=+0s");
    advance(f, T0 + 2 * LR_HOUR_MS);
    EXPECT(f, "alert P1:alert:3@1794996000000 BREACH breach step=0 policy=partner_fast owner=ann to=- due=+3600s fired=+7200s late=3600s",
           "status P1:status:4@1794996000000 SLA_BREACHED rep=ann team=sales tier=hot reason=partner_fast at=+7200s occurred=+3600s",
           "alert P1:alert:5@1794996000000 ESCALATION escalate step=1 policy=partner_fast owner=ann to=sales-queue due=+3600s fired=+7200s late=3600s");
    /* untiered, unknown source: no policy, no clock */
    assign(f, "U1", NULL, T0);
    EXPECT(f, "decision U1:decision:1@1794996000000 NEW rep=ben team=sales queue=- attempt=1 due=-",
           "status U1:status:2@1794996000000 ASSIGNED rep=ben team=sales tier=- reason=- at=+0s occurred=+0s");
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 0);
    fx_free(f);
}

/* Other stages, duplicates, re-engagement: statuses and the record. */
static void test_stages_duplicate_reengaged(void **state) {
    (void)state;
    fx *f = fx_new(2);
    decide(f, "N1", LR_STAGE_NURTURE, NULL, NULL, T0);
    decide(f, "D1", LR_STAGE_DISQUALIFIED, NULL, NULL, T0);
    decide(f, "M1", LR_STAGE_MARKETING_QUALIFIED, "cold", NULL, T0);
    EXPECT(f, "decision N1:decision:1@1794996000000 NEW rep=- team=- queue=- attempt=0 due=-",
           "status N1:status:2@1794996000000 NURTURE rep=- team=- tier=- reason=- at=+0s occurred=+0s",
           "decision D1:decision:1@1794996000000 NEW rep=- team=- queue=- attempt=0 due=-",
           "status D1:status:2@1794996000000 DISQUALIFIED rep=- team=- tier=- reason=- at=+0s occurred=+0s",
           "decision M1:decision:1@1794996000000 NEW rep=- team=- queue=- attempt=0 due=-",
           "status M1:status:2@1794996000000 NURTURE rep=- team=- tier=cold reason=- at=+0s occurred=+0s");
    lr_lead l = make_lead("N1", T0 + MIN, NULL);
    lr_lifecycle_duplicate(f->lc, &l, T0 + MIN, &f->out);
    render(f);
    EXPECT(f, "status N1:status:3@1794996000000 DUPLICATE rep=- team=- tier=- reason=within_duplicate_window at=+60s occurred=+60s");
    const lr_lead_rec *rec = lr_lifecycle_find(f->lc, "N1", 2);
    assert_int_equal(rec->last_decided, T0);
    assert_string_equal(lr_lifecycle_state_name(rec), "nurture");
    /* re-engaged after the window: sales-ready now, and its seq continues */
    assign(f, "N1", "hot", T0 + 8 * LR_DAY_MS);
    EXPECT(f, "decision N1:decision:4@1794996000000 REENGAGED rep=ann team=sales queue=- attempt=1 due=+691800s",
           "status N1:status:5@1794996000000 ASSIGNED rep=ann team=sales tier=hot reason=reengaged at=+691200s occurred=+691200s");
    /* re-engaged again while still open: the old clock stops, ann is released
     * and gets it back (previous owner preferred) */
    assign(f, "N1", "hot", T0 + 16 * LR_DAY_MS);
    EXPECT(f, "decision N1:decision:6@1794996000000 REENGAGED rep=ann team=sales queue=- attempt=2 due=+1383000s",
           "status N1:status:7@1794996000000 ASSIGNED rep=ann team=sales tier=hot reason=reengaged at=+1382400s occurred=+1382400s");
    assert_int_equal(open_of(f, "ann"), 1);
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 1);
    fx_free(f);
}

/* The same input twice gives the same bytes, and many leads due at the same
 * instant fire in the order their clocks started. */
static void run_many(fx *f) {
    char id[16];
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof(id), "M%02d", (i * 7) % 40);
        assign(f, id, "hot", T0);
    }
    advance(f, T0 + 8 * MIN);
}

static void test_deterministic_order(void **state) {
    (void)state;
    fx *a = fx_new(2), *b = fx_new(2);
    run_many(a);
    run_many(b);
    assert_string_equal(a->log, b->log);
    /* warnings come out in assignment order: M00, M07, M14, ... */
    const char *p = strstr(a->log, "alert M00:alert:3@1794996000000 WARNING");
    const char *q = strstr(a->log, "alert M07:alert:3@1794996000000 WARNING");
    const char *r = strstr(a->log, "alert M14:alert:3@1794996000000 WARNING");
    assert_non_null(p);
    assert_true(p < q && q < r);
    fx_free(a);
    fx_free(b);
}

/* Deciding with the core's fast path (prefetch, then the SLA clocks, then a
 * lookup that keeps the record hot) gives the very same events as plain
 * finds: leads arriving while clocks fire, repeats, reassignments. */
static void run_stream(fx *f, bool fast, char *log, size_t cap) {
    size_t len = 0;
    char id[16];
    for (int i = 0; i < 120; i++) {
        lr_time_ms now = T0 + (lr_time_ms)i * 97 * 1000;
        snprintf(id, sizeof(id), "S%02d", (i * 7) % 53);
        const char *tier = i % 3 == 0 ? "hot" : i % 3 == 1 ? "warm" : NULL;
        if (fast) lr_lifecycle_prefetch(f->lc, id, strlen(id), now);
        advance(f, now);
        lr_lead l = make_lead(id, now, i % 5 == 0 ? "partner" : "web");
        const lr_lead_rec *rec = fast ? lr_lifecycle_lookup(f->lc, id, strlen(id))
                                      : lr_lifecycle_find(f->lc, id, strlen(id));
        if (rec && now - rec->last_decided < 2 * 60 * MIN) {
            lr_lifecycle_duplicate(f->lc, &l, now, &f->out);
        } else {
            decide_lead(f, &l, rec, i % 4 == 3 ? LR_STAGE_NURTURE : LR_STAGE_SALES_READY, tier,
                        now);
        }
        render(f);
        len += (size_t)snprintf(log + len, cap - len, "%s", f->log);
        assert_true(len < cap);
        clear_log(f);
    }
    advance(f, T0 + 3 * 24 * 60 * MIN);
    len += (size_t)snprintf(log + len, cap - len, "%s", f->log);
    assert_true(len < cap);
    clear_log(f);
}

static void test_prefetch_and_lookup_change_nothing(void **state) {
    (void)state;
    enum { CAP = 1 << 20 };
    char *la = malloc(CAP), *lb = malloc(CAP);
    fx *a = fx_new(1), *b = fx_new(1);
    run_stream(a, false, la, CAP);
    run_stream(b, true, lb, CAP);
    assert_non_null(strstr(la, "WARNING"));
    assert_non_null(strstr(la, "DUPLICATE"));
    assert_non_null(strstr(la, "REENGAGED"));
    assert_non_null(strstr(la, "SLA_REASSIGN"));
    assert_string_equal(la, lb);
    fx_free(a);
    fx_free(b);
    free(la);
    free(lb);
}

/* ---- incarnations: a lead evicted and seen again ---------------------------- */

#define LATER (T0 + 8 * LR_DAY_MS) /* past the 7-day duplicate window */

/* `n` leads decided into nurture at `now`: the table grows past its first
 * size, and before growing it evicts every record past its window. */
static void fill(fx *f, const char *prefix, int n, lr_time_ms now) {
    char id[16];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "%s%02d", prefix, i);
        decide(f, id, LR_STAGE_NURTURE, NULL, NULL, now);
    }
    clear_log(f);
}

/* The event ids in the log (each line's second word), appended to ids[]. */
static size_t collect_ids(fx *f, char ids[][96], size_t n, size_t cap) {
    for (const char *l = f->log; *l; l = strchr(l, '\n') + 1) {
        const char *a = strchr(l, ' ') + 1, *b = strchr(a, ' ');
        assert_true(n < cap && (size_t)(b - a) < 96);
        memcpy(ids[n], a, (size_t)(b - a));
        ids[n++][b - a] = '\0';
    }
    clear_log(f);
    return n;
}

static const char *owner_of(fx *f, const char *id) {
    const lr_lead_rec *r = lr_lifecycle_find(f->lc, id, strlen(id));
    assert_non_null(r);
    return lr_route_rep_name(f->r, r->owner);
}

/* A sales activity naming an assignment; the rendered status is left in the log. */
static void answer(fx *f, const char *act_id, const char *lead, lr_sales_kind kind,
                   const char *rep, lr_time_ms at, const char *assignment_id) {
    activity(f, act_id, lead, kind, rep, at, at, NULL, assignment_id, 100);
}

/* Assigns `id` at `now`, touches and converts it (closed: evictable after its
 * window); returns the assignment's decision id in `assignment`. */
static void assign_and_close(fx *f, const char *id, lr_time_ms now, char *assignment, size_t cap) {
    assign(f, id, "hot", now);
    snprintf(assignment, cap, "%s:decision:1@%lld", id, (long long)now);
    assert_non_null(strstr(f->log, assignment));
    const char *rep = owner_of(f, id);
    answer(f, "touch", id, LR_SALES_CONTACTED, rep, now + MIN, NULL);
    answer(f, "won", id, LR_SALES_CONVERTED, rep, now + 2 * MIN, NULL);
    assert_non_null(strstr(f->log, "CONVERTED"));
    clear_log(f);
}

static void evict_all_closed(fx *f, const char *id) {
    fill(f, "F", 30, LATER);
    assert_null(lr_lifecycle_find(f->lc, id, strlen(id)));
}

/* The lead's decision, statuses and alerts of its second life restart at seq
 * 1 but carry their own since, so none repeats an id of the first life (a
 * consumer deduplicating by event_id would drop it). */
static void test_evicted_lead_gets_new_event_ids(void **state) {
    (void)state;
    fx *f = fx_new(1);
    char first[16][96], second[16][96];
    size_t n1 = 0, n2 = 0;
    assign(f, "E1", "hot", T0);
    advance(f, T0 + 8 * MIN); /* the warning */
    const char *rep = owner_of(f, "E1");
    answer(f, "touch", "E1", LR_SALES_CONTACTED, rep, T0 + 9 * MIN, NULL);
    answer(f, "won", "E1", LR_SALES_CONVERTED, rep, T0 + 10 * MIN, NULL);
    n1 = collect_ids(f, first, n1, 16);
    assert_int_equal(n1, 5);
    assert_string_equal(first[0], "E1:decision:1@1794996000000");
    assert_string_equal(first[1], "E1:status:2@1794996000000");
    assert_string_equal(first[2], "E1:alert:3@1794996000000");
    assert_string_equal(first[4], "E1:status:5@1794996000000");

    evict_all_closed(f, "E1");
    lr_time_ms back = LATER + MIN;
    assign(f, "E1", "hot", back);
    advance(f, back + 8 * MIN);
    n2 = collect_ids(f, second, n2, 16);
    assert_int_equal(n2, 3);
    char want[96];
    const char *kinds[] = {"decision", "status", "alert"};
    for (size_t i = 0; i < n2; i++) {
        snprintf(want, sizeof(want), "E1:%s:%zu@%lld", kinds[i], i + 1, (long long)back);
        assert_string_equal(second[i], want);
        for (size_t k = 0; k < n1; k++) assert_string_not_equal(second[i], first[k]);
    }
    /* the new record started from this message: same seq, another since */
    const lr_lead_rec *r = lr_lifecycle_find(f->lc, "E1", 2);
    assert_int_equal(r->first_seen, back);
    assert_int_equal(r->seq, 3);
    fx_free(f);
}

/* Shared mode: stage 1 can mark a lead as a repeat while the domain that
 * decided it has already let its record go. The repeat is reported as a
 * duplicate, and the record that this makes is closed, so that it leaves the
 * table after a window like any other instead of staying for ever. */
static void test_repeat_without_a_record_is_closed_and_evicted(void **state) {
    (void)state;
    fx *f = fx_new(1);
    lr_lead l = make_lead("R1", T0, "web");
    lr_lifecycle_duplicate(f->lc, &l, T0, &f->out);
    render(f);
    const char *want[] = {
        "status R1:status:1@1794996000000 DUPLICATE rep=- team=- tier=- "
        "reason=within_duplicate_window at=+0s occurred=+0s"};
    expect(f, want, 1);
    const lr_lead_rec *r = lr_lifecycle_find(f->lc, "R1", 2);
    assert_non_null(r);
    assert_int_equal(r->last_decided, T0);
    evict_all_closed(f, "R1");
    fx_free(f);
}

/* An assignment_id naming the first life's assignment (same seq 1) is stale
 * for the second; so is any malformed "@since"; the current one counts. */
static void test_assignment_id_of_previous_incarnation(void **state) {
    (void)state;
    fx *f = fx_new(1);
    char old_id[96], cur_id[96];
    assign_and_close(f, "E2", T0, old_id, sizeof(old_id));
    evict_all_closed(f, "E2");
    lr_time_ms back = LATER + MIN;
    assign(f, "E2", "hot", back);
    snprintf(cur_id, sizeof(cur_id), "E2:decision:1@%lld", (long long)back);
    assert_non_null(strstr(f->log, cur_id));
    clear_log(f);
    const char *rep = owner_of(f, "E2");
    assert_string_equal(old_id, "E2:decision:1@1794996000000");

    char tail0[128], twice[128], seq2[128];
    snprintf(tail0, sizeof(tail0), "%s0", cur_id);                            /* since * 10 */
    snprintf(twice, sizeof(twice), "%s@%lld", cur_id, (long long)back);        /* since twice */
    snprintf(seq2, sizeof(seq2), "E2:decision:2@%lld", (long long)back);       /* another seq */
    const char *stale[] = {old_id, "E2:decision:1@", "E2:decision:1@x", "E2:decision:1@-",
                           "E2:decision:-1", "E2:decision:1@99999999999999999999",
                           tail0, twice, seq2};
    char act[16];
    for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
        snprintf(act, sizeof(act), "stale%zu", i);
        answer(f, act, "E2", LR_SALES_CONTACTED, rep, back + MIN, stale[i]);
        if (!strstr(f->log, "CONTACTED") || !strstr(f->log, "reason=stale_activity"))
            fail_msg("%s: %s", stale[i], f->log);
        clear_log(f);
        assert_int_equal(lr_lifecycle_open_clocks(f->lc), 1);
    }
    answer(f, "current", "E2", LR_SALES_CONTACTED, rep, back + 2 * MIN, cur_id);
    assert_non_null(strstr(f->log, "CONTACTED"));
    assert_non_null(strstr(f->log, "reason=- "));
    assert_non_null(strstr(f->log, "elapsed=120s met=1"));
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 0);
    fx_free(f);
}

/* Ids from before "@since" (CRMs may hold them across an upgrade) still match
 * by seq alone: a wrong seq is stale, the current seq counts, whichever life
 * the CRM meant. A lead id with '@' in it is read the same way. */
static void test_old_format_assignment_id_matches_by_seq(void **state) {
    (void)state;
    fx *f = fx_new(1);
    char id1[96];
    assign_and_close(f, "E3", T0, id1, sizeof(id1));
    evict_all_closed(f, "E3");
    assign(f, "E3", "hot", LATER + MIN);
    clear_log(f);
    const char *rep = owner_of(f, "E3");
    answer(f, "a1", "E3", LR_SALES_CONTACTED, rep, LATER + 2 * MIN, "E3:decision:2");
    assert_non_null(strstr(f->log, "reason=stale_activity"));
    clear_log(f);
    answer(f, "a2", "E3", LR_SALES_CONTACTED, rep, LATER + 3 * MIN, "E3:decision:1");
    assert_non_null(strstr(f->log, "reason=- "));
    clear_log(f);
    assert_int_equal(lr_lifecycle_open_clocks(f->lc), 0);

    assign(f, "me@x.io", "hot", LATER);
    clear_log(f);
    rep = owner_of(f, "me@x.io");
    char cur[96];
    snprintf(cur, sizeof(cur), "me@x.io:decision:1@%lld", (long long)LATER);
    answer(f, "b1", "me@x.io", LR_SALES_ACCEPTED, rep, LATER + MIN, "me@x.io:decision:1@0");
    assert_non_null(strstr(f->log, "reason=stale_activity"));
    clear_log(f);
    answer(f, "b2", "me@x.io", LR_SALES_ACCEPTED, rep, LATER + MIN, "me@x.io:decision:1");
    assert_non_null(strstr(f->log, "ACCEPTED"));
    assert_non_null(strstr(f->log, "reason=- "));
    clear_log(f);
    answer(f, "b3", "me@x.io", LR_SALES_CONVERTED, rep, LATER + 2 * MIN, cur);
    assert_non_null(strstr(f->log, "CONVERTED"));
    assert_non_null(strstr(f->log, "reason=- "));
    fx_free(f);
}

/* The same through the decision core: its decision ids carry the record's
 * since too, from the lead message's event_time. */
static const lr_event *find_kind(const lr_out *out, lr_event_kind kind) {
    for (size_t i = 0; i < out->n; i++)
        if (out->ev[i].kind == kind) return &out->ev[i];
    fail_msg("no event of kind %d", (int)kind);
    return NULL;
}

static void test_core_decision_ids_carry_since(void **state) {
    (void)state;
    char yaml[4096];
    snprintf(yaml, sizeof(yaml), config_yaml, 1);
    lr_err err = {0};
    lr_config *cfg = lr_config_load_string("t.yaml", yaml, &err);
    if (!cfg) fail_msg("%s", err.msg);
    lr_core *core = lr_core_new(&cfg->rules, 16);
    lr_out out;
    lr_out_init(&out);
    lr_lead l = make_lead("C1", T0, "web");
    lr_core_on_lead(core, &l, T0, &out);
    assert_string_equal(find_kind(&out, LR_EVENT_DECISION)->u.decision.event_id,
                        "C1:decision:1@1794996000000");
    assert_string_equal(find_kind(&out, LR_EVENT_STATUS)->u.status.event_id,
                        "C1:status:2@1794996000000");
    lr_out_reset(&out);
    /* a duplicate within the window keeps the record and its since */
    l.event_time = T0 + MIN;
    lr_core_on_lead(core, &l, T0 + MIN, &out);
    assert_string_equal(find_kind(&out, LR_EVENT_STATUS)->u.status.event_id,
                        "C1:status:3@1794996000000");
    lr_out_reset(&out);
    char id[16];
    for (int i = 0; i < 30; i++) {
        snprintf(id, sizeof(id), "G%02d", i);
        lr_lead g = make_lead(id, LATER, "web");
        lr_core_on_lead(core, &g, LATER, &out);
        lr_out_reset(&out);
    }
    assert_null(lr_lifecycle_find(lr_core_lifecycle(core), "C1", 2));
    l.event_time = LATER + MIN;
    lr_core_on_lead(core, &l, LATER + MIN + 5, &out);
    const lr_decision *d = &find_kind(&out, LR_EVENT_DECISION)->u.decision;
    assert_int_equal(d->cause, LR_CAUSE_NEW);
    char want[96];
    snprintf(want, sizeof(want), "C1:decision:1@%lld", (long long)(LATER + MIN));
    assert_string_equal(d->event_id, want);
    lr_out_destroy(&out);
    lr_core_free(core);
    lr_config_free(cfg);
}

/* ---- configuration errors ------------------------------------------------------ */

static void expect_sla_error(const char *sla_yaml, const char *where, const char *what) {
    char yaml[8192];
    const char *head = strstr(config_yaml, "sla:\n");
    size_t n = (size_t)(head - config_yaml);
    memcpy(yaml, config_yaml, n);
    snprintf(yaml + n, sizeof(yaml) - n, "%s", sla_yaml);
    lr_err err = {0};
    lr_tz_db *tz = lr_tz_db_new(NULL);
    lr_cfg_doc *doc = lr_cfg_load_string("t.yaml", yaml, &err);
    assert_non_null(doc);
    const lr_cfg_node *root = lr_cfg_root(doc);
    lr_qualify_config *q = lr_qualify_config_parse(lr_cfg_get(root, "qualification"), &err);
    lr_route_config *r = lr_route_config_parse(root, tz, &err);
    assert_non_null(q);
    assert_non_null(r);
    lr_sla_config *s = lr_sla_config_parse(lr_cfg_get(root, "sla"), tz, q, r, &err);
    assert_null(s);
    if (!strstr(err.msg, where) || !strstr(err.msg, what)) {
        print_error("got '%s', want '%s' and '%s'\n", err.msg, where, what);
        fail();
    }
    lr_route_config_free(r);
    lr_qualify_config_free(q);
    lr_cfg_free(doc);
    lr_tz_db_free(tz);
}

static void test_config_errors(void **state) {
    (void)state;
    /* the sla section starts on line 31 of the test config */
    expect_sla_error("sla:\n  policies:\n    - { name: p, tier: lukewarm, first_touch: 1h }\n",
                     "t.yaml:33:", "unknown tier 'lukewarm' (qualification.tiers: hot, warm, cold)");
    expect_sla_error("sla:\n  policies:\n    - { name: p, team: nobody, first_touch: 1h }\n",
                     "t.yaml:33:", "unknown team 'nobody'");
    expect_sla_error("sla:\n  policies:\n    - { name: p, calendar: mars, first_touch: 1h }\n",
                     "t.yaml:33:", "unknown calendar 'mars'");
    expect_sla_error("sla:\n  policies:\n    - { name: p, first_touch: 1h, warn_at: 120% }\n",
                     "t.yaml:33:", "above 0% and below 100%");
    expect_sla_error("sla:\n  policies:\n    - { name: p, first_touch: 1h, warn_at: eighty% }\n",
                     "t.yaml:33:", "not a percentage");
    expect_sla_error("sla:\n  policies:\n    - { name: p, first_touch: 1h, warn_at: 2h }\n",
                     "t.yaml:33:", "below first_touch");
    expect_sla_error("sla:\n  policies:\n    - { name: p, first_touch: 0s }\n", "t.yaml:33:",
                     "first_touch must be above 0");
    expect_sla_error("sla:\n  policies:\n    - { name: p, first_touch: 1h, color: red }\n",
                     "t.yaml:33:", "unknown key 'color'");
    expect_sla_error("sla:\n  policies:\n    - { name: p, first_touch: 1h }\n    - { name: p, first_touch: 2h }\n",
                     "t.yaml:34:", "defined twice");
    expect_sla_error("sla:\n  policies:\n    - name: p\n      first_touch: 1h\n      escalation:\n"
                     "        - { action: panic }\n",
                     "t.yaml:36:", "unknown action 'panic'");
    expect_sla_error("sla:\n  policies:\n    - name: p\n      first_touch: 1h\n      escalation:\n"
                     "        - { action: notify_manager, to: bob }\n",
                     "t.yaml:36:", "'to' only applies to action escalate");
    expect_sla_error("sla:\n  policies:\n    - name: p\n      first_touch: 1h\n      escalation:\n"
                     "        - { action: reassign, after: soon }\n",
                     "t.yaml:36:", "not a duration");
    expect_sla_error("sla:\n  max_reassignments: 9\n", "t.yaml:32:", "out of range");
    expect_sla_error("sla:\n  calendars:\n    - { name: c, timezone: UTC, days: [], start: \"09:00\", end: \"17:00\" }\n",
                     "t.yaml:33:", "empty");
    expect_sla_error("sla:\n  calendars:\n    - { name: c, timezone: UTC, days: [mon], start: \"09:00\", end: \"17:00\",\n"
                     "        holidays: [2026-13-01] }\n",
                     "t.yaml:34:", "holiday");
    expect_sla_error("sla:\n  escalation: []\n", "t.yaml:32:", "unknown key 'escalation'");
    /* more business time than the core walks (calendar.h): it would never fall due */
    expect_sla_error("sla:\n  calendars:\n    - { name: c, timezone: UTC, days: [mon], start: \"09:00\", end: \"17:00\" }\n"
                     "  policies:\n    - { name: p, calendar: c, first_touch: 5000h }\n",
                     "t.yaml:35:", "'5000h' is more business time than calendar 'c' has in 3660 days");
}

/* The example configuration's sla: section parses, and 2d with a calendar
 * means two business days. */
static void test_example_config(void **state) {
    (void)state;
    lr_err err = {0};
    lr_tz_db *tz = lr_tz_db_new(NULL);
    lr_cfg_doc *doc = lr_cfg_load("docs/lead-router.example.yaml", &err);
    if (!doc) fail_msg("%s", err.msg);
    const lr_cfg_node *root = lr_cfg_root(doc);
    lr_qualify_config *q = lr_qualify_config_parse(lr_cfg_get(root, "qualification"), &err);
    lr_route_config *r = lr_route_config_parse(root, tz, &err);
    assert_non_null(q);
    if (!r) fail_msg("%s", err.msg);
    lr_sla_config *s = lr_sla_config_parse(lr_cfg_get(root, "sla"), tz, q, r, &err);
    if (!s) fail_msg("%s", err.msg);
    assert_int_equal(lr_sla_policy_count(s), 4);
    assert_string_equal(lr_sla_policy_name(s, 3), "cold_first_touch");
    lr_sla_config_free(s);
    /* no sla: section at all is valid: no policies, no clocks */
    s = lr_sla_config_parse(NULL, tz, q, r, &err);
    assert_non_null(s);
    assert_int_equal(lr_sla_policy_count(s), 0);
    lr_sla_config_free(s);
    lr_route_config_free(r);
    lr_qualify_config_free(q);
    lr_cfg_free(doc);
    lr_tz_db_free(tz);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_ladder),
        cmocka_unit_test(test_max_reassignments_and_no_ping_pong),
        cmocka_unit_test(test_reassign_to_queue),
        cmocka_unit_test(test_contacted_in_time),
        cmocka_unit_test(test_contacted_late),
        cmocka_unit_test(test_duplicate_activity),
        cmocka_unit_test(test_out_of_order_activity),
        cmocka_unit_test(test_non_owner_activity),
        cmocka_unit_test(test_reject_releases_load),
        cmocka_unit_test(test_business_hours_policy),
        cmocka_unit_test(test_escalate_step_and_source_policy),
        cmocka_unit_test(test_stages_duplicate_reengaged),
        cmocka_unit_test(test_deterministic_order),
        cmocka_unit_test(test_prefetch_and_lookup_change_nothing),
        cmocka_unit_test(test_evicted_lead_gets_new_event_ids),
        cmocka_unit_test(test_repeat_without_a_record_is_closed_and_evicted),
        cmocka_unit_test(test_assignment_id_of_previous_incarnation),
        cmocka_unit_test(test_old_format_assignment_id_matches_by_seq),
        cmocka_unit_test(test_core_decision_ids_carry_since),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_example_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
