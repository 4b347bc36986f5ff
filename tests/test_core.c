/* test_core.c - the decision core through its public API only (core.h):
 * lr_core_new on a rulebook loaded from a small YAML string, on_lead,
 * on_sales, advance, next_due, stats, and changes / restore. No Kafka, no
 * JSON: events are read from the lr_out the core fills. Covers routing, a
 * duplicate, an SLA warning and breach firing on advance with no new event,
 * a first touch stopping the clock, and a restored core giving the same next
 * decisions as the one it was restored from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "core.h"
#include "lifecycle.h"

/* One team of two reps in round robin; size >= 100 and a demo request make a
 * hot, sales-ready lead; hot leads must be touched within 10 minutes, with a
 * warning at half time and the manager told at the breach. */
static const char rulebook[] =
    "scoring:\n"
    "  fit:\n"
    "    - { name: big, field: company_size, range: { min: 100 }, points: 40 }\n"
    "  engagement:\n"
    "    half_life: 14d\n"
    "    rules:\n"
    "      - { activity: demo_request, points: 40, cap: 40 }\n"
    "qualification:\n"
    "  duplicate_window: 7d\n"
    "  sales_ready_score: 60\n"
    "  marketing_qualified_score: 35\n"
    "  tiers: [{ name: hot, min_score: 60 }]\n"
    "routing:\n"
    "  default_queue: unrouted\n"
    "  rules: [{ name: all, team: sales }]\n"
    "teams:\n"
    "  - name: sales\n"
    "    strategy: round_robin\n"
    "    timezone: UTC\n"
    "    manager: boss\n"
    "    members: [{ rep: ann }, { rep: ben }]\n"
    "reps:\n"
    "  - { id: ann, timezone: UTC }\n"
    "  - { id: ben, timezone: UTC }\n"
    "  - { id: boss, timezone: UTC, assignable: false }\n"
    "sla:\n"
    "  policies:\n"
    "    - name: hot_touch\n"
    "      tier: hot\n"
    "      first_touch: 10m\n"
    "      warn_at: 50%\n"
    "      escalation:\n"
    "        - { action: notify_manager }\n";

#define T0 1794927600000LL /* Tuesday 2026-11-17T15:00:00Z */
#define MIN 60000LL

typedef struct fixture {
    lr_config *cfg;
    lr_out out;
    lr_lead lead;
    lr_buf seen; /* the events of the last call, one line each */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof(*f));
    if (!f) return -1;
    lr_err err = {0};
    f->cfg = lr_config_load_string("core.yaml", rulebook, &err);
    if (!f->cfg) {
        fprintf(stderr, "%s\n", err.msg);
        free(f);
        return -1;
    }
    lr_out_init(&f->out);
    lr_buf_init(&f->seen);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    lr_buf_free(&f->seen);
    lr_out_destroy(&f->out);
    lr_config_free(f->cfg);
    free(f);
    return 0;
}

static lr_str S(const char *s) { return (lr_str){s, (uint32_t)strlen(s)}; }
static const char *or_dash(const char *s) { return s ? s : "-"; }

/* A hot lead: big company, a demo request a minute before. */
static const lr_lead *hot_lead(fixture *f, const char *id, lr_time_ms t) {
    lr_lead *l = &f->lead;
    memset(l, 0, sizeof(*l));
    l->lead_id = S(id);
    l->event_time = t;
    l->company_size = 500;
    l->annual_revenue = -1;
    l->n_activities = 1;
    l->activities[0] = (lr_activity){LR_ACT_DEMO_REQUEST, t - MIN, LR_STR_NULL};
    return l;
}

/* The events the core appended, one line each, then clears them: what a
 * reader of the output topics would see, in order. */
static const char *take(fixture *f) {
    lr_buf_reset(&f->seen);
    char line[256];
    for (size_t i = 0; i < f->out.n; i++) {
        const lr_event *ev = &f->out.ev[i];
        switch (ev->kind) {
        case LR_EVENT_DECISION: {
            const lr_decision *d = &ev->u.decision;
            snprintf(line, sizeof(line), "decision %s #%lld %s %s %s %s due=%lld\n", d->lead_id.s,
                     (long long)d->seq, lr_stage_name(d->stage), or_dash(d->tier),
                     or_dash(d->team), or_dash(d->rep),
                     d->sla_due_at == LR_TIME_NONE ? -1LL : (long long)(d->sla_due_at - T0));
            break;
        }
        case LR_EVENT_STATUS: {
            const lr_status *s = &ev->u.status;
            snprintf(line, sizeof(line), "status %s #%lld %s %s at=%lld\n", s->lead_id.s,
                     (long long)s->seq, lr_status_kind_name(s->status), or_dash(s->rep),
                     (long long)(s->at - T0));
            break;
        }
        case LR_EVENT_ALERT: {
            const lr_alert *a = &ev->u.alert;
            snprintf(line, sizeof(line), "alert %s #%lld %s %s to=%s at=%lld\n", a->lead_id.s,
                     (long long)a->seq, lr_alert_kind_name(a->kind), or_dash(a->owner),
                     or_dash(a->addressed_to), (long long)(a->fired_at - T0));
            break;
        }
        }
        lr_buf_append(&f->seen, line, strlen(line));
    }
    lr_buf_append(&f->seen, "", 1); /* NUL */
    lr_out_reset(&f->out);
    return (const char *)f->seen.data;
}

static void expect_events(fixture *f, const char *want) {
    const char *got = take(f);
    if (strcmp(got, want) != 0) fail_msg("events:\n%s\nwanted:\n%s", got, want);
}

static void test_routing_and_duplicate(void **state) {
    fixture *f = *state;
    lr_core *core = lr_core_new(&f->cfg->rules, 16);
    assert_int_equal(lr_core_next_due(core), LR_TIME_NONE);

    lr_core_on_lead(core, hot_lead(f, "L1", T0), T0, &f->out);
    expect_events(f, "decision L1 #1 SALES_READY hot sales ann due=600000\n"
                     "status L1 #2 ASSIGNED ann at=0\n");
    lr_core_on_lead(core, hot_lead(f, "L2", T0 + MIN), T0 + MIN, &f->out);
    expect_events(f, "decision L2 #1 SALES_READY hot sales ben due=660000\n"
                     "status L2 #2 ASSIGNED ben at=60000\n");
    /* the same lead again within the window: a status, no second routing */
    lr_core_on_lead(core, hot_lead(f, "L1", T0 + 2 * MIN), T0 + 2 * MIN, &f->out);
    expect_events(f, "status L1 #3 DUPLICATE ann at=120000\n");

    /* a small company without activity stays with marketing */
    lr_lead *cold = &f->lead;
    hot_lead(f, "L3", T0 + 3 * MIN);
    cold->company_size = 5;
    cold->n_activities = 0;
    lr_core_on_lead(core, cold, T0 + 3 * MIN, &f->out);
    const char *got = take(f);
    assert_non_null(strstr(got, "decision L3 #1 NURTURE - - - due=-1\n"));

    const lr_core_stats *st = lr_core_stats_get(core);
    assert_int_equal(st->leads, 4);
    assert_int_equal(st->duplicates, 1);
    assert_int_equal(st->assigned, 2);
    assert_int_equal(st->by_stage[LR_STAGE_SALES_READY], 2);
    assert_int_equal(st->by_stage[LR_STAGE_NURTURE], 1);
    lr_core_free(core);
}

/* With no new event, advancing the clock alone fires the warning at half
 * time and the breach at the deadline; a first touch stops the other clock. */
static void test_sla_on_advance(void **state) {
    fixture *f = *state;
    lr_core *core = lr_core_new(&f->cfg->rules, 16);
    lr_core_on_lead(core, hot_lead(f, "L1", T0), T0, &f->out);
    lr_core_on_lead(core, hot_lead(f, "L2", T0 + MIN), T0 + MIN, &f->out);
    take(f);
    /* next_due may be early, never late */
    assert_true(lr_core_next_due(core) <= T0 + 5 * MIN);

    lr_core_advance(core, T0 + 5 * MIN - 1, &f->out);
    expect_events(f, "");
    lr_core_advance(core, T0 + 5 * MIN, &f->out);
    expect_events(f, "alert L1 #3 WARNING ann to=- at=300000\n");

    /* ben touches L2 before its deadline: no breach for it */
    lr_sales_activity a = {.activity_id = S("A-1"), .lead_id = S("L2"),
                           .kind = LR_SALES_CONTACTED, .rep_id = S("ben"),
                           .occurred_at = T0 + 3 * MIN};
    lr_core_on_sales(core, &a, T0 + 5 * MIN, &f->out);
    assert_non_null(strstr(take(f), "status L2 #3 CONTACTED ben"));

    lr_core_advance(core, T0 + 10 * MIN, &f->out);
    expect_events(f, "alert L1 #4 BREACH ann to=- at=600000\n"
                     "status L1 #5 SLA_BREACHED ann at=600000\n"
                     "alert L1 #6 ESCALATION ann to=boss at=600000\n");
    lr_core_advance(core, T0 + 60 * MIN, &f->out);
    expect_events(f, "");
    assert_int_equal(lr_core_next_due(core), LR_TIME_NONE);
    assert_int_equal(lr_core_stats_get(core)->sales_activities, 1);
    lr_core_free(core);
}

/* ---- changes and restore */

typedef struct record {
    char *key;
    void *val; /* NULL: tombstone */
    size_t klen, vlen;
} record;

typedef struct records {
    record *r;
    size_t n;
} records;

static void keep(void *ctx, const char *key, size_t klen, const void *val, size_t vlen) {
    records *rs = ctx;
    rs->r = realloc(rs->r, (rs->n + 1) * sizeof(record));
    record *r = &rs->r[rs->n++];
    r->key = malloc(klen);
    memcpy(r->key, key, klen);
    r->klen = klen;
    r->val = val ? malloc(vlen ? vlen : 1) : NULL;
    if (val) memcpy(r->val, val, vlen);
    r->vlen = vlen;
}

static void records_free(records *rs) {
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->r[i].key);
        free(rs->r[i].val);
    }
    free(rs->r);
}

/* Feeds the same events to both cores and wants the same output from each. */
static void same_next(fixture *f, lr_core *a, lr_core *b, const char *what, lr_time_ms t,
                      const char *lead_id) {
    char first[2048];
    lr_core *cores[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (lead_id) lr_core_on_lead(cores[i], hot_lead(f, lead_id, t), t, &f->out);
        else lr_core_advance(cores[i], t, &f->out);
        const char *got = take(f);
        if (i == 0) snprintf(first, sizeof(first), "%s", got);
        else if (strcmp(first, got) != 0)
            fail_msg("%s: original gave\n%s\nrestored gave\n%s", what, first, got);
    }
    assert_true(first[0] != '\0');
}

static void test_restore_same_decisions(void **state) {
    fixture *f = *state;
    lr_core *a = lr_core_new(&f->cfg->rules, 16);
    lr_core_track_changes(a);
    lr_core_on_lead(a, hot_lead(f, "L1", T0), T0, &f->out);
    lr_core_on_lead(a, hot_lead(f, "L2", T0 + MIN), T0 + MIN, &f->out);
    lr_core_advance(a, T0 + 5 * MIN, &f->out); /* L1's warning is behind us */
    take(f);
    records rs = {0};
    assert_true(lr_core_changes(a, keep, &rs) > 0);
    size_t n = rs.n;
    assert_int_equal(lr_core_changes(a, keep, &rs), 0); /* the marks were cleared */
    assert_int_equal(rs.n, n);

    lr_core *b = lr_core_new(&f->cfg->rules, 16);
    for (size_t i = 0; i < rs.n; i++)
        assert_int_equal(lr_core_restore(b, rs.r[i].key, rs.r[i].klen, rs.r[i].val,
                                         rs.r[i].vlen), 0);
    lr_core_restore_done(b);
    assert_int_equal(lr_core_restore_stats_get(b)->applied, rs.n);

    /* the same deadlines, the same round-robin turn, the same lead records */
    assert_true(lr_core_next_due(b) <= T0 + 6 * MIN);
    same_next(f, a, b, "L2's warning and L1's breach", T0 + 10 * MIN, NULL);
    same_next(f, a, b, "the next lead", T0 + 11 * MIN, "L3");
    same_next(f, a, b, "a duplicate of a restored lead", T0 + 12 * MIN, "L1");
    same_next(f, a, b, "the last breach", T0 + 30 * MIN, NULL);
    assert_int_equal(lr_core_next_due(a), lr_core_next_due(b));
    records_free(&rs);
    lr_core_free(a);
    lr_core_free(b);
}

/* ---- reload: the state moved to a new rulebook by name */

/* The same rulebook: the moved core decides as the original would. */
static void test_move_same_rulebook(void **state) {
    fixture *f = *state;
    lr_core *a = lr_core_new(&f->cfg->rules, 16);
    lr_core_track_changes(a);
    lr_core_on_lead(a, hot_lead(f, "L1", T0), T0, &f->out);
    lr_core_on_lead(a, hot_lead(f, "L2", T0 + MIN), T0 + MIN, &f->out);
    lr_core_advance(a, T0 + 5 * MIN, &f->out);
    take(f);
    records rs = {0};
    lr_core_changes(a, keep, &rs);
    lr_core *b = lr_core_move(a, &f->cfg->rules, 16);
    /* 2 leads, 3 reps, 1 team; nothing left marked in the new core */
    assert_int_equal(lr_core_restore_stats_get(b)->applied, 6);
    assert_int_equal(lr_core_restore_stats_get(b)->skipped, 0);
    assert_int_equal(lr_core_changes(b, keep, &rs), 0);
    same_next(f, a, b, "L2's warning and L1's breach", T0 + 10 * MIN, NULL);
    same_next(f, a, b, "the next lead", T0 + 11 * MIN, "L3");
    same_next(f, a, b, "a duplicate of a moved lead", T0 + 12 * MIN, "L1");
    records_free(&rs);
    lr_core_free(a);
    lr_core_free(b);
}

static lr_config *edited(const char *from, const char *to, const char *from2, const char *to2) {
    char text[sizeof(rulebook) + 256];
    const char *at = strstr(rulebook, from);
    assert_non_null(at);
    snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - rulebook), rulebook, to, at + strlen(from));
    char text2[sizeof(text) + 256];
    at = strstr(text, from2);
    assert_non_null(at);
    snprintf(text2, sizeof(text2), "%.*s%s%s", (int)(at - text), text, to2, at + strlen(from2));
    lr_err err = {0};
    lr_config *cfg = lr_config_load_string("core2.yaml", text2, &err);
    if (!cfg) fail_msg("%s", err.msg);
    return cfg;
}

static int64_t open_leads(lr_core *c, const lr_config *cfg, const char *rep) {
    int32_t i = lr_route_rep_index(cfg->rules.route, rep, strlen(rep));
    assert_true(i >= 0);
    return lr_core_route_state(c)->reps[i].open;
}

/* ben leaves (cat takes his place): what a restart on the new rulebook would
 * do. ben's open lead and its clock are forgotten (the record names a rep
 * the rulebook lacks); the team keeps its round-robin position, since its
 * member count is the same (cursors are by position); ann keeps her lead,
 * her load and her clock. */
static void test_move_removed_rep(void **state) {
    fixture *f = *state;
    lr_core *a = lr_core_new(&f->cfg->rules, 16);
    lr_core_track_changes(a);
    lr_core_on_lead(a, hot_lead(f, "L1", T0), T0, &f->out);          /* ann */
    lr_core_on_lead(a, hot_lead(f, "L2", T0 + MIN), T0 + MIN, &f->out); /* ben */
    take(f);
    lr_config *cfg2 = edited("{ rep: ben }", "{ rep: cat }", "{ id: ben,", "{ id: cat,");
    lr_core *b = lr_core_move(a, &cfg2->rules, 16);
    lr_core_free(a);
    const lr_core_restore_stats *st = lr_core_restore_stats_get(b);
    assert_int_equal(st->applied, 4); /* L1, rep ann, rep boss, team sales */
    assert_int_equal(st->skipped, 2); /* L2 (owner ben), rep ben */
    assert_int_equal(open_leads(b, cfg2, "ann"), 1);
    assert_int_equal(open_leads(b, cfg2, "cat"), 0);
    /* L1's clock still runs; L2's is gone */
    lr_core_advance(b, T0 + 10 * MIN, &f->out);
    const char *got = take(f);
    assert_non_null(strstr(got, "alert L1 #4 BREACH ann"));
    assert_null(strstr(got, "L2"));
    /* L1 is still a duplicate; L2 comes back as a new lead, to the first member */
    lr_core_on_lead(b, hot_lead(f, "L1", T0 + 11 * MIN), T0 + 11 * MIN, &f->out);
    assert_non_null(strstr(take(f), "status L1 #7 DUPLICATE ann"));
    lr_core_on_lead(b, hot_lead(f, "L2", T0 + 12 * MIN), T0 + 12 * MIN, &f->out);
    assert_non_null(strstr(take(f), "decision L2 #1 SALES_READY hot sales ann"));
    lr_core_free(b);
    lr_config_free(cfg2);
}

/* A renamed team is a removed team and a new one: its cursor starts over,
 * and leads it holds are forgotten like a removed rep's (their record names
 * the old team). */
static void test_move_renamed_team(void **state) {
    fixture *f = *state;
    lr_core *a = lr_core_new(&f->cfg->rules, 16);
    lr_core_on_lead(a, hot_lead(f, "L1", T0), T0, &f->out);
    take(f);
    lr_config *cfg2 = edited("team: sales }", "team: inside }", "- name: sales", "- name: inside");
    lr_core *b = lr_core_move(a, &cfg2->rules, 16);
    lr_core_free(a);
    const lr_core_restore_stats *st = lr_core_restore_stats_get(b);
    assert_int_equal(st->skipped, 2); /* L1 (team sales), team sales */
    assert_int_equal(open_leads(b, cfg2, "ann"), 1); /* a rep's load is the rep's */
    lr_core_on_lead(b, hot_lead(f, "L9", T0 + MIN), T0 + MIN, &f->out);
    assert_non_null(strstr(take(f), "decision L9 #1 SALES_READY hot inside ann"));
    lr_core_free(b);
    lr_config_free(cfg2);
}

#define HOUR (60 * MIN)

/* A lead scoring 0: nurture, no owner, no clock. */
static const lr_lead *cold_lead(fixture *f, const char *id, lr_time_ms t) {
    hot_lead(f, id, t);
    f->lead.company_size = 5;
    f->lead.n_activities = 0;
    return &f->lead;
}

static bool known(lr_core *core, const char *id) {
    return lr_lifecycle_find(lr_core_lifecycle(core), id, strlen(id)) != NULL;
}

/* qualification.max_leads: a full table first drops the unowned records
 * decided longest ago, then sheds new leads (no event, stats.shed, false)
 * when an owner or a clock holds every record; it never grows past it. */
static void test_capacity(void **state) {
    fixture *f = *state;
    char yaml[sizeof(rulebook) + 64];
    const char *at = strstr(rulebook, "  duplicate_window: 7d\n");
    snprintf(yaml, sizeof(yaml), "%.*s  max_leads: 8\n%s", (int)(at - rulebook), rulebook, at);
    lr_err err = {0};
    lr_config *cfg = lr_config_load_string("cap.yaml", yaml, &err);
    if (!cfg) fail_msg("%s", err.msg);
    lr_core *core = lr_core_new(&cfg->rules, 4);
    const lr_core_stats *st = lr_core_stats_get(core);
    lr_lifecycle *life = lr_core_lifecycle(core);
    const char *hot[] = {"H1", "H2", "H3", "H4", "X", "Y", "Z", "W", "V", "U"};
    for (int i = 0; i < 4; i++) assert_true(lr_core_on_lead(core, hot_lead(f, hot[i], T0), T0, &f->out));
    /* nurture leads decided 3 h, 2 h, 1 h and 30 min before X */
    const lr_time_ms cold_at[] = {T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 5 * HOUR / 2};
    const char *cold[] = {"N0", "N1", "N2", "N3"};
    for (int i = 0; i < 4; i++)
        assert_true(lr_core_on_lead(core, cold_lead(f, cold[i], cold_at[i]), cold_at[i], &f->out));
    assert_int_equal(lr_lifecycle_count(life), 8);
    take(f);
    /* full: room is made from the oldest unowned records, N0 and N1 (8/8+1
     * wanted), inside their duplicate window; owned records stay */
    lr_time_ms t = T0 + 3 * HOUR;
    assert_true(lr_core_on_lead(core, hot_lead(f, "X", t), t, &f->out));
    assert_non_null(strstr(take(f), "decision X #1 SALES_READY hot sales"));
    assert_false(known(core, "N0"));
    assert_false(known(core, "N1"));
    assert_true(known(core, "N2") && known(core, "N3") && known(core, "H1") && known(core, "H4"));
    assert_int_equal(lr_lifecycle_count(life), 7);
    assert_int_equal(st->shed, 0);
    /* Y fits; Z makes room from N2 and N3; W fits: 8 records, all owned */
    for (int i = 5; i < 8; i++) assert_true(lr_core_on_lead(core, hot_lead(f, hot[i], t), t, &f->out));
    assert_false(known(core, "N2") || known(core, "N3"));
    assert_int_equal(lr_lifecycle_count(life), 8);
    take(f);
    /* every record is held: V and U are shed, with no event and no record */
    for (int i = 8; i < 10; i++) {
        assert_false(lr_core_on_lead(core, hot_lead(f, hot[i], t), t, &f->out));
        assert_string_equal(take(f), "");
        assert_false(known(core, hot[i]));
    }
    assert_int_equal(st->shed, 2);
    assert_int_equal(lr_lifecycle_count(life), 8);
    /* leads the table holds are still handled: a duplicate is one */
    assert_true(lr_core_on_lead(core, hot_lead(f, "H1", t), t, &f->out));
    assert_non_null(strstr(take(f), "status H1 #"));
    assert_int_equal(st->shed, 2);
    lr_core_free(core);
    lr_config_free(cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routing_and_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sla_on_advance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_same_decisions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_same_rulebook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_removed_rep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_renamed_team, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
