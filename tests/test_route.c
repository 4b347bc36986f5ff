/* test_route.c - routing decisions and their reasons: strategies, every skip
 * reason, caps and the daily reset, working hours across daylight-saving
 * changes, out-of-office, skills, account and previous owners, exclusions,
 * overflow and queues, fairness over 100,000 leads, the example config, and
 * configuration errors with line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "rules.h"
#include "event.h"
#include "lead.h"
#include "route.h"
#include "tz.h"

/* ---- fixtures ---- */

typedef struct fx {
    lr_tz_db *tz;
    lr_cfg_doc *doc;
    lr_route_config *cfg;
    lr_route_state *st;
    lr_arena text;
    lr_decision d;
    lr_route_result res;
} fx;

static fx *fx_new(const char *yaml) {
    fx *f = calloc(1, sizeof(*f));
    lr_err err = {0};
    f->tz = lr_tz_db_new(NULL);
    f->doc = lr_cfg_load_string("t.yaml", yaml, &err);
    if (!f->doc) fail_msg("yaml: %s", err.msg);
    f->cfg = lr_route_config_parse(lr_cfg_root(f->doc), f->tz, &err);
    if (!f->cfg) fail_msg("config: %s", err.msg);
    f->st = lr_route_state_new(f->cfg);
    lr_arena_init(&f->text, 0);
    return f;
}

static void fx_free(fx *f) {
    lr_route_state_free(f->st);
    lr_route_config_free(f->cfg);
    lr_cfg_free(f->doc);
    lr_tz_db_free(f->tz);
    lr_arena_destroy(&f->text);
    free(f);
}

/* Parses and expects failure; returns the message. */
static const char *config_error(const char *yaml) {
    static lr_err err;
    memset(&err, 0, sizeof(err));
    lr_tz_db *tz = lr_tz_db_new(NULL);
    lr_cfg_doc *doc = lr_cfg_load_string("t.yaml", yaml, &err);
    assert_non_null(doc);
    lr_route_config *cfg = lr_route_config_parse(lr_cfg_root(doc), tz, &err);
    if (cfg) fail_msg("config accepted, expected an error:\n%s", yaml);
    lr_cfg_free(doc);
    lr_tz_db_free(tz);
    return err.msg;
}

static lr_str S(const char *s) { return s ? (lr_str){s, (uint32_t)strlen(s)} : LR_STR_NULL; }

static void lead_init(lr_lead *l) {
    memset(l, 0, sizeof(*l));
    l->lead_id = S("L1");
    l->company_size = -1;
    l->annual_revenue = -1;
}

/* UTC instant of a UTC wall-clock time. */
static lr_time_ms T(int y, int mo, int d, int h, int mi) {
    return (lr_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

static int32_t rep(fx *f, const char *name) {
    int32_t r = lr_route_rep_index(f->cfg, name, strlen(name));
    assert_true(r >= 0);
    return r;
}

static int32_t team(fx *f, const char *name) {
    int32_t t = lr_route_team_index(f->cfg, name);
    assert_true(t >= 0);
    return t;
}

/* Routes a lead; returns the rep id, or NULL when queued. */
static const char *route_req(fx *f, const lr_lead *l, lr_time_ms now,
                             const lr_route_request *req) {
    memset(&f->d, 0, sizeof(f->d));
    lr_route_assign(f->cfg, f->st, l, now, req, &f->res, &f->d, &f->text);
    if (f->res.rep >= 0) {
        assert_non_null(f->res.rep_name);
        assert_null(f->res.queue);
    } else {
        assert_non_null(f->res.queue);
    }
    return f->res.rep_name;
}

static const char *route(fx *f, const lr_lead *l, lr_time_ms now) {
    return route_req(f, l, now, NULL);
}

/* Index of the first reason of that kind (and rep, when given) whose detail
 * equals `detail` (or starts with it when it ends in '*'); -1 when none. */
static int find_reason(const lr_decision *d, lr_reason_kind kind, const char *rep,
                       const char *detail) {
    for (uint32_t i = 0; i < d->n_reasons; i++) {
        const lr_reason *r = &d->reasons[i];
        if (r->kind != kind) continue;
        if (rep && (!r->rep || strcmp(r->rep, rep) != 0)) continue;
        if (detail) {
            size_t n = strlen(detail);
            if (!r->detail) continue;
            if (n && detail[n - 1] == '*') {
                if (strncmp(r->detail, detail, n - 1) != 0) continue;
            } else if (strcmp(r->detail, detail) != 0) {
                continue;
            }
        }
        return (int)i;
    }
    return -1;
}

static void dump(const lr_decision *d) {
    for (uint32_t i = 0; i < d->n_reasons; i++)
        print_message("  %s rule=%s rep=%s detail=%s\n", lr_reason_kind_name(d->reasons[i].kind),
                      d->reasons[i].rule ? d->reasons[i].rule : "-",
                      d->reasons[i].rep ? d->reasons[i].rep : "-",
                      d->reasons[i].detail ? d->reasons[i].detail : "-");
}

static void assert_reason_at(const fx *f, lr_reason_kind kind, const char *rep,
                             const char *detail, const char *file, int line) {
    if (find_reason(&f->d, kind, rep, detail) >= 0) return;
    dump(&f->d);
    fail_msg("%s:%d: missing reason %s rep=%s detail=%s", file, line, lr_reason_kind_name(kind),
             rep ? rep : "-", detail ? detail : "-");
}

static void assert_no_reason_at(const fx *f, lr_reason_kind kind, const char *rep,
                                const char *file, int line) {
    if (find_reason(&f->d, kind, rep, NULL) < 0) return;
    dump(&f->d);
    fail_msg("%s:%d: unexpected reason %s rep=%s", file, line, lr_reason_kind_name(kind),
             rep ? rep : "-");
}

#define ASSERT_REASON(f, kind, rep, detail) assert_reason_at(f, kind, rep, detail, __FILE__, __LINE__)
#define ASSERT_NO_REASON(f, kind, rep) assert_no_reason_at(f, kind, rep, __FILE__, __LINE__)

static void assert_near(double got, double want) {
    if (got < want - 1e-12 || got > want + 1e-12) fail_msg("got %.15f, want %.15f", got, want);
}

/* A Monday at noon UTC, far from any daylight-saving change. */
#define MONDAY_NOON T(2026, 6, 15, 12, 0)

static const char *three_rr =
    "routing:\n"
    "  rules:\n"
    "    - { name: all, team: t }\n"
    "teams:\n"
    "  - name: t\n"
    "    strategy: round_robin\n"
    "    queue: t-queue\n"
    "    members: [{ rep: a }, { rep: b }, { rep: c }]\n"
    "reps:\n"
    "  - { id: a, timezone: UTC }\n"
    "  - { id: b, timezone: UTC }\n"
    "  - { id: c, timezone: UTC }\n";

/* ---- strategies ---- */

static void test_round_robin_order(void **state) {
    fx *f = fx_new(three_rr);
    lr_lead l;
    lead_init(&l);
    const char *want[] = {"a", "b", "c", "a", "b", "c", "a"};
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(route(f, &l, MONDAY_NOON), want[i]);
        char cursor[32];
        snprintf(cursor, sizeof(cursor), "round_robin cursor %zu", i % 3);
        ASSERT_REASON(f, LR_REASON_STRATEGY, NULL, cursor);
        ASSERT_REASON(f, LR_REASON_CHOSEN, want[i], "open *");
        ASSERT_REASON(f, LR_REASON_ROUTING_RULE, NULL, "no conditions (matches every lead)");
        assert_string_equal(f->res.rule, "all");
        assert_string_equal(f->res.team_name, "t");
        assert_false(f->res.overflowed);
    }
    /* the counters moved: a had three leads, none closed */
    assert_int_equal(f->st->reps[rep(f, "a")].open, 3);
    assert_int_equal(f->st->reps[rep(f, "a")].today, 3);
    fx_free(f);
}

static void test_round_robin_skips_before_chosen(void **state) {
    fx *f = fx_new("routing: { rules: [{ name: all, team: t }] }\n"
                   "teams:\n"
                   "  - { name: t, members: [{ rep: a }, { rep: b }, { rep: c }] }\n"
                   "reps:\n"
                   "  - { id: a }\n"
                   "  - { id: b, assignable: false }\n"
                   "  - { id: c }\n");
    lr_lead l;
    lead_init(&l);
    assert_string_equal(route(f, &l, MONDAY_NOON), "a"); /* cursor now at b */
    ASSERT_NO_REASON(f, LR_REASON_SKIPPED, NULL);
    assert_string_equal(route(f, &l, MONDAY_NOON), "c");
    ASSERT_REASON(f, LR_REASON_STRATEGY, NULL, "round_robin cursor 1");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "b", "not_assignable");
    /* only members considered before the chosen one leave a skip */
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    ASSERT_NO_REASON(f, LR_REASON_SKIPPED, NULL);
    assert_int_equal(f->st->teams[0].rr_next, 1);
    fx_free(f);
}

static void test_weighted_sequence(void **state) {
    fx *f = fx_new("routing: { rules: [{ name: all, team: t }] }\n"
                   "teams:\n"
                   "  - name: t\n"
                   "    strategy: weighted\n"
                   "    members: [{ rep: a, weight: 2 }, { rep: b, weight: 1 }]\n"
                   "reps: [{ id: a }, { id: b }]\n");
    lr_lead l;
    lead_init(&l);
    /* smooth weighted round robin: a b a, a b a ... never a a in a burst */
    const char *want[] = {"a", "b", "a", "a", "b", "a"};
    for (size_t i = 0; i < 6; i++) assert_string_equal(route(f, &l, MONDAY_NOON), want[i]);
    ASSERT_REASON(f, LR_REASON_STRATEGY, NULL, "weighted 2 members, total weight 3");
    ASSERT_REASON(f, LR_REASON_CHOSEN, "a", "open 3, today 3, weight 2, credit 3");
    assert_near(lr_route_target_share(f->cfg, 0, rep(f, "a")), 2.0 / 3.0);
    fx_free(f);
}

static void test_least_loaded(void **state) {
    fx *f = fx_new("routing: { rules: [{ name: all, team: t }] }\n"
                   "teams:\n"
                   "  - { name: t, strategy: least_loaded,"
                   " members: [{ rep: a }, { rep: b }, { rep: c }] }\n"
                   "reps: [{ id: a }, { id: b }, { id: c }]\n");
    lr_lead l;
    lead_init(&l);
    /* all equal: member order */
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    ASSERT_REASON(f, LR_REASON_STRATEGY, NULL, "least_loaded 3 members");
    assert_string_equal(route(f, &l, MONDAY_NOON), "b");
    assert_string_equal(route(f, &l, MONDAY_NOON), "c");
    /* a closes a lead: fewest open wins */
    lr_route_release(f->st, rep(f, "a"));
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    ASSERT_REASON(f, LR_REASON_CHOSEN, "a", "open 0, today 1");
    /* b and c close one each: both open 0, b and c had one today, a had two;
     * the tie on open is broken by fewer today, then order */
    lr_route_release(f->st, rep(f, "b"));
    lr_route_release(f->st, rep(f, "c"));
    lr_route_release(f->st, rep(f, "a"));
    assert_string_equal(route(f, &l, MONDAY_NOON), "b");
    assert_string_equal(route(f, &l, MONDAY_NOON), "c");
    fx_free(f);
}

static void test_release_never_negative(void **state) {
    fx *f = fx_new(three_rr);
    int32_t a = rep(f, "a");
    lr_route_release(f->st, a);
    lr_route_release(f->st, a);
    assert_int_equal(f->st->reps[a].open, 0);
    lr_route_release(f->st, -1);   /* ignored */
    lr_route_release(f->st, 999);  /* ignored */
    fx_free(f);
}

/* ---- skip reasons ---- */

static const char *skip_cfg =
    "routing:\n"
    "  rules:\n"
    "    - name: german\n"
    "      when: [{ field: language, equals: de }]\n"
    "      team: t\n"
    "      require_skills: [german]\n"
    "    - { name: all, team: t }\n"
    "teams:\n"
    "  - name: t\n"
    "    strategy: least_loaded\n"
    "    queue: t-queue\n"
    "    members: [{ rep: na }, { rep: ex }, { rep: ooo }, { rep: hrs }, { rep: full },\n"
    "              { rep: capped }, { rep: ok }]\n"
    "reps:\n"
    "  - { id: na, assignable: false, skills: [german] }\n"
    "  - { id: ex, skills: [german] }\n"
    "  - id: ooo\n"
    "    skills: [german]\n"
    "    out_of_office: [{ from: 2026-06-01, until: 2026-06-22 }]\n"
    "  - id: hrs\n"
    "    timezone: Europe/Berlin\n"
    "    skills: [german]\n"
    "    working_hours: { days: [mon, tue, wed, thu, fri], start: \"09:00\", end: \"17:00\" }\n"
    "  - { id: full, max_open: 2, skills: [german] }\n"
    "  - { id: capped, max_per_day: 1, skills: [german] }\n"
    "  - { id: ok, skills: [english] }\n";

static void test_every_skip_reason(void **state) {
    fx *f = fx_new(skip_cfg);
    lr_lead l;
    lead_init(&l);
    int32_t full = rep(f, "full"), capped = rep(f, "capped");
    /* full has 2 open leads, capped had one today (same UTC day) */
    f->st->reps[full].open = 2;
    f->st->reps[capped].today = 1;
    f->st->reps[capped].local_day = lr_days_from_civil(2026, 6, 13);
    f->st->reps[capped].open = 0;
    int32_t ex = rep(f, "ex");
    lr_route_request req = LR_ROUTE_REQUEST_INIT;
    req.exclude = &ex;
    req.n_exclude = 1;
    lr_time_ms sat = T(2026, 6, 13, 8, 5); /* Saturday 10:05 in Berlin (CEST) */
    l.language = S("de");
    assert_null(route_req(f, &l, sat, &req));
    ASSERT_REASON(f, LR_REASON_ROUTING_RULE, NULL,
                  "language equals de; require_skills german");
    assert_string_equal(f->res.rule, "german");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "na", "not_assignable");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "ex", "excluded_previous_owner");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "ooo", "out_of_office until 2026-06-22");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "hrs", "off_hours local Sat 10:05");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "full", "at_max_open 2/2");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "capped", "at_daily_cap 1/1");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "ok", "missing_skill german");
    ASSERT_REASON(f, LR_REASON_OVERFLOW, NULL, "no rep available, queued to t-queue");
    assert_string_equal(f->res.queue, "t-queue");
    assert_int_equal(f->res.team, 0);
    /* every reason names the team that considered the rep */
    int i = find_reason(&f->d, LR_REASON_SKIPPED, "ok", NULL);
    assert_string_equal(f->d.reasons[i].rule, "t");
    /* without the skill requirement, ok takes it */
    l.language = S("en");
    assert_string_equal(route_req(f, &l, sat, &req), "ok");
    ASSERT_REASON(f, LR_REASON_CHOSEN, "ok", "open 0, today 0");
    fx_free(f);
}

static void test_daily_cap_resets_at_local_midnight(void **state) {
    fx *f = fx_new("routing: { rules: [{ name: all, team: t }] }\n"
                   "teams: [{ name: t, queue: q, members: [{ rep: ny }] }]\n"
                   "reps: [{ id: ny, timezone: America/New_York, max_per_day: 2 }]\n");
    lr_lead l;
    lead_init(&l);
    int32_t ny = rep(f, "ny");
    /* Tuesday 2026-03-10, EDT (UTC-4): 10:00 local = 14:00 UTC */
    assert_string_equal(route(f, &l, T(2026, 3, 10, 14, 0)), "ny");
    assert_string_equal(route(f, &l, T(2026, 3, 10, 15, 0)), "ny");
    assert_null(route(f, &l, T(2026, 3, 10, 16, 0)));
    ASSERT_REASON(f, LR_REASON_SKIPPED, "ny", "at_daily_cap 2/2");
    /* 01:30 UTC on the 11th is still 21:30 on the 10th in New York */
    assert_null(route(f, &l, T(2026, 3, 11, 1, 30)));
    ASSERT_REASON(f, LR_REASON_SKIPPED, "ny", "at_daily_cap 2/2");
    /* 03:59 UTC = 23:59 local: still capped */
    assert_null(route(f, &l, T(2026, 3, 11, 3, 59)));
    /* 04:00 UTC = local midnight: a new day */
    assert_string_equal(route(f, &l, T(2026, 3, 11, 4, 0)), "ny");
    ASSERT_REASON(f, LR_REASON_CHOSEN, "ny", "open 2, today 0/2");
    assert_int_equal(f->st->reps[ny].today, 1);
    assert_int_equal(f->st->reps[ny].local_day, lr_days_from_civil(2026, 3, 11));
    /* the open count does not reset with the day */
    assert_int_equal(f->st->reps[ny].open, 3);
    fx_free(f);
}

static void test_max_open_and_release(void **state) {
    fx *f = fx_new("routing: { rules: [{ name: all, team: t }] }\n"
                   "teams: [{ name: t, queue: q, members: [{ rep: a }] }]\n"
                   "reps: [{ id: a, max_open: 2 }]\n");
    lr_lead l;
    lead_init(&l);
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    ASSERT_REASON(f, LR_REASON_CHOSEN, "a", "open 1/2, today 1");
    assert_null(route(f, &l, MONDAY_NOON));
    ASSERT_REASON(f, LR_REASON_SKIPPED, "a", "at_max_open 2/2");
    lr_route_release(f->st, rep(f, "a"));
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    fx_free(f);
}

/* ---- working hours across daylight-saving changes ---- */

static fx *hours_fx(const char *zone, const char *days, const char *start, const char *end) {
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "routing: { rules: [{ name: all, team: t }] }\n"
             "teams: [{ name: t, queue: q, members: [{ rep: r }] }]\n"
             "reps:\n"
             "  - id: r\n"
             "    timezone: %s\n"
             "    working_hours: { days: [%s], start: \"%s\", end: \"%s\" }\n",
             zone, days, start, end);
    return fx_new(yaml);
}

static bool works(fx *f, lr_time_ms now) {
    lr_lead l;
    lead_init(&l);
    bool ok = route(f, &l, now) != NULL;
    lr_route_release(f->st, 0);
    return ok;
}

#define ALL_DAYS "mon, tue, wed, thu, fri, sat, sun"

static void test_hours_new_york_spring_forward(void **state) {
    /* 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00 UTC) */
    fx *f = hours_fx("America/New_York", ALL_DAYS, "03:00", "04:00");
    assert_true(works(f, T(2026, 3, 7, 8, 0)));    /* Sat 03:00 EST */
    assert_false(works(f, T(2026, 3, 7, 7, 59)));  /* Sat 02:59 EST */
    assert_false(works(f, T(2026, 3, 8, 6, 59)));  /* Sun 01:59 EST */
    assert_true(works(f, T(2026, 3, 8, 7, 0)));    /* Sun 03:00 EDT */
    assert_true(works(f, T(2026, 3, 8, 7, 59)));   /* Sun 03:59 EDT */
    assert_false(works(f, T(2026, 3, 8, 8, 0)));   /* Sun 04:00 EDT */
    ASSERT_REASON(f, LR_REASON_SKIPPED, "r", "off_hours local Sun 04:00");
    assert_true(works(f, T(2026, 3, 9, 7, 30)));   /* Mon 03:30 EDT */
    assert_false(works(f, T(2026, 3, 9, 8, 30)));  /* Mon 04:30 EDT: EST would say 03:30 */
    fx_free(f);

    f = hours_fx("America/New_York", "mon, tue, wed, thu, fri", "09:00", "17:00");
    assert_false(works(f, T(2026, 3, 6, 13, 30))); /* Fri 08:30 EST */
    assert_true(works(f, T(2026, 3, 6, 14, 0)));   /* Fri 09:00 EST */
    assert_false(works(f, T(2026, 3, 9, 12, 59))); /* Mon 08:59 EDT */
    ASSERT_REASON(f, LR_REASON_SKIPPED, "r", "off_hours local Mon 08:59");
    assert_true(works(f, T(2026, 3, 9, 13, 0)));   /* Mon 09:00 EDT */
    assert_true(works(f, T(2026, 3, 9, 20, 59)));  /* Mon 16:59 EDT */
    assert_false(works(f, T(2026, 3, 9, 21, 0)));  /* Mon 17:00 EDT */
    assert_false(works(f, T(2026, 3, 8, 15, 0)));  /* Sunday */
    ASSERT_REASON(f, LR_REASON_SKIPPED, "r", "off_hours local Sun 11:00");
    fx_free(f);
}

static void test_hours_new_york_fall_back(void **state) {
    /* 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00 UTC); 01:xx happens twice */
    fx *f = hours_fx("America/New_York", ALL_DAYS, "01:00", "02:00");
    assert_false(works(f, T(2026, 11, 1, 4, 59)));  /* 00:59 EDT */
    assert_true(works(f, T(2026, 11, 1, 5, 0)));    /* 01:00 EDT */
    assert_true(works(f, T(2026, 11, 1, 5, 59)));   /* 01:59 EDT */
    assert_true(works(f, T(2026, 11, 1, 6, 0)));    /* 01:00 EST, again */
    assert_true(works(f, T(2026, 11, 1, 6, 59)));   /* 01:59 EST */
    assert_false(works(f, T(2026, 11, 1, 7, 0)));   /* 02:00 EST */
    ASSERT_REASON(f, LR_REASON_SKIPPED, "r", "off_hours local Sun 02:00");
    assert_true(works(f, T(2026, 11, 2, 6, 0)));    /* Mon 01:00 EST */
    assert_false(works(f, T(2026, 11, 2, 5, 0)));   /* Mon 00:00 EST */
    fx_free(f);
}

static void test_hours_berlin(void **state) {
    fx *f = hours_fx("Europe/Berlin", ALL_DAYS, "09:00", "17:00");
    /* 2026-03-29: 02:00 CET becomes 03:00 CEST */
    assert_false(works(f, T(2026, 3, 28, 7, 59)));  /* Sat 08:59 CET */
    assert_true(works(f, T(2026, 3, 28, 8, 0)));    /* Sat 09:00 CET */
    assert_false(works(f, T(2026, 3, 28, 16, 0)));  /* Sat 17:00 CET */
    assert_false(works(f, T(2026, 3, 29, 6, 59)));  /* Sun 08:59 CEST */
    assert_true(works(f, T(2026, 3, 29, 7, 0)));    /* Sun 09:00 CEST */
    assert_true(works(f, T(2026, 3, 29, 14, 59)));  /* Sun 16:59 CEST */
    assert_false(works(f, T(2026, 3, 29, 15, 0)));  /* Sun 17:00 CEST */
    /* 2026-10-25: 03:00 CEST becomes 02:00 CET */
    assert_true(works(f, T(2026, 10, 24, 7, 0)));   /* Sat 09:00 CEST */
    assert_false(works(f, T(2026, 10, 25, 7, 0)));  /* Sun 08:00 CET */
    ASSERT_REASON(f, LR_REASON_SKIPPED, "r", "off_hours local Sun 08:00");
    assert_true(works(f, T(2026, 10, 25, 8, 0)));   /* Sun 09:00 CET */
    assert_false(works(f, T(2026, 10, 25, 16, 0))); /* Sun 17:00 CET */
    fx_free(f);

    /* "24:00" closes the day at midnight */
    f = hours_fx("Europe/Berlin", "fri", "20:00", "24:00");
    assert_true(works(f, T(2026, 6, 19, 21, 59)));  /* Fri 23:59 CEST */
    assert_false(works(f, T(2026, 6, 19, 22, 0)));  /* Sat 00:00 */
    ASSERT_REASON(f, LR_REASON_SKIPPED, "r", "off_hours local Sat 00:00");
    fx_free(f);
}

/* ---- out of office ---- */

static void test_out_of_office_boundaries(void **state) {
    fx *f = fx_new("routing: { rules: [{ name: all, team: t }] }\n"
                   "teams: [{ name: t, queue: q, members: [{ rep: r }] }]\n"
                   "reps:\n"
                   "  - id: r\n"
                   "    timezone: Europe/Berlin\n"
                   "    out_of_office:\n"
                   "      - { from: 2026-12-21, until: 2027-01-04 }\n"
                   "      - { from: 2027-02-01, until: 2027-02-02 }\n");
    /* CET is UTC+1: local midnight is 23:00 UTC the day before */
    assert_true(works(f, T(2026, 12, 20, 22, 59)));  /* Sun 20th 23:59 local */
    assert_false(works(f, T(2026, 12, 20, 23, 0)));  /* Mon 21st 00:00 local */
    ASSERT_REASON(f, LR_REASON_SKIPPED, "r", "out_of_office until 2027-01-04");
    assert_false(works(f, T(2027, 1, 3, 22, 59)));   /* Sun 3rd 23:59 local */
    assert_true(works(f, T(2027, 1, 3, 23, 0)));     /* Mon 4th 00:00 local: back */
    /* a one-day absence */
    assert_true(works(f, T(2027, 1, 31, 22, 59)));
    assert_false(works(f, T(2027, 2, 1, 12, 0)));
    ASSERT_REASON(f, LR_REASON_SKIPPED, "r", "out_of_office until 2027-02-02");
    assert_true(works(f, T(2027, 2, 1, 23, 0)));
    fx_free(f);
}

/* ---- owners ---- */

static const char *owner_cfg =
    "routing:\n"
    "  rules:\n"
    "    - name: us\n"
    "      when: [{ field: country, equals: US }]\n"
    "      team: na\n"
    "    - { name: rest, team: world }\n"
    "  accounts:\n"
    "    - { domain: BigCorp.com, owner: acc }\n"
    "    - { domain: eu.bigcorp.com, owner: euacc }\n"
    "teams:\n"
    "  - { name: na, queue: na-q, members: [{ rep: a }, { rep: b }] }\n"
    "  - { name: world, queue: world-q, members: [{ rep: c }, { rep: acc }, { rep: euacc }] }\n"
    "  - { name: other, members: [{ rep: acc }] }\n"
    "reps:\n"
    "  - { id: a }\n"
    "  - { id: b }\n"
    "  - { id: c }\n"
    "  - { id: acc, max_open: 1 }\n"
    "  - { id: euacc }\n"
    "  - { id: loner }\n";

static void test_account_owner(void **state) {
    fx *f = fx_new(owner_cfg);
    lr_lead l;
    lead_init(&l);
    l.country = S("US");
    l.email = S("jane@BIGCORP.com");
    /* the owner gets it although the rule says na; booked under the owner's
     * first team because they are not in na */
    assert_string_equal(route(f, &l, MONDAY_NOON), "acc");
    ASSERT_REASON(f, LR_REASON_ACCOUNT_OWNER, "acc",
                  "email_domain matches account bigcorp.com; open 0/1, today 0");
    assert_string_equal(f->d.reasons[find_reason(&f->d, LR_REASON_ACCOUNT_OWNER, NULL, NULL)].rule,
                        "bigcorp.com");
    assert_string_equal(f->res.team_name, "world");
    assert_string_equal(f->res.rule, "us");
    ASSERT_NO_REASON(f, LR_REASON_STRATEGY, NULL);
    /* owner at capacity: skipped with the reason, then the team decides */
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "acc", "at_max_open 1/1");
    int i = find_reason(&f->d, LR_REASON_SKIPPED, "acc", NULL);
    assert_string_equal(f->d.reasons[i].rule, "bigcorp.com");
    assert_true(i < find_reason(&f->d, LR_REASON_STRATEGY, NULL, NULL));
    assert_string_equal(f->res.team_name, "na");
    /* a subdomain finds its most specific entry */
    l.email = S("x@sales.eu.bigcorp.com");
    assert_string_equal(route(f, &l, MONDAY_NOON), "euacc");
    /* company domain when the email says nothing */
    l.email = S("someone@gmail.com");
    l.company_domain = S("www.bigcorp.com");
    lr_route_release(f->st, rep(f, "acc"));
    assert_string_equal(route(f, &l, MONDAY_NOON), "acc");
    ASSERT_REASON(f, LR_REASON_ACCOUNT_OWNER, "acc", "company_domain matches account *");
    /* no match on a mere suffix of a label, nor on the top-level domain */
    l.company_domain = S("notbigcorp.com");
    assert_string_equal(route(f, &l, MONDAY_NOON), "b");
    ASSERT_NO_REASON(f, LR_REASON_ACCOUNT_OWNER, NULL);
    fx_free(f);
}

static void test_previous_owner(void **state) {
    fx *f = fx_new(owner_cfg);
    lr_lead l;
    lead_init(&l);
    l.country = S("US");
    lr_route_request req = LR_ROUTE_REQUEST_INIT;
    /* a member of the routed team */
    req.previous_owner = rep(f, "b");
    assert_string_equal(route_req(f, &l, MONDAY_NOON, &req), "b");
    ASSERT_REASON(f, LR_REASON_PREVIOUS_OWNER, "b", "previous owner; open 0, today 0");
    assert_string_equal(f->res.team_name, "na");
    /* not a member: booked under their first team */
    req.previous_owner = rep(f, "c");
    assert_string_equal(route_req(f, &l, MONDAY_NOON, &req), "c");
    assert_string_equal(f->res.team_name, "world");
    /* in no team at all: booked under the routed team */
    req.previous_owner = rep(f, "loner");
    assert_string_equal(route_req(f, &l, MONDAY_NOON, &req), "loner");
    assert_string_equal(f->res.team_name, "na");
    /* previous owner comes before the account owner */
    l.email = S("j@bigcorp.com");
    req.previous_owner = rep(f, "a");
    assert_string_equal(route_req(f, &l, MONDAY_NOON, &req), "a");
    ASSERT_NO_REASON(f, LR_REASON_ACCOUNT_OWNER, NULL);
    /* excluded previous owner: skipped, then the account owner */
    int32_t a = rep(f, "a");
    req.exclude = &a;
    req.n_exclude = 1;
    assert_string_equal(route_req(f, &l, MONDAY_NOON, &req), "acc");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "a", "excluded_previous_owner");
    assert_string_equal(
        f->d.reasons[find_reason(&f->d, LR_REASON_SKIPPED, "a", NULL)].rule, "previous_owner");
    fx_free(f);

    /* prefer_previous_owner: false ignores the previous owner */
    f = fx_new("routing: { prefer_previous_owner: false, rules: [{ name: all, team: t }] }\n"
               "teams: [{ name: t, members: [{ rep: a }, { rep: b }] }]\n"
               "reps: [{ id: a }, { id: b }]\n");
    req = LR_ROUTE_REQUEST_INIT;
    req.previous_owner = rep(f, "b");
    assert_string_equal(route_req(f, &l, MONDAY_NOON, &req), "a");
    ASSERT_NO_REASON(f, LR_REASON_PREVIOUS_OWNER, NULL);
    fx_free(f);
}

static void test_requested_team_with_exclusions(void **state) {
    fx *f = fx_new(skip_cfg);
    lr_lead l;
    lead_init(&l);
    l.language = S("de");
    /* a reassignment: team given, every previous owner excluded; the rule's
     * skills still hold */
    int32_t excl[] = {rep(f, "ex"), rep(f, "full")};
    lr_route_request req = LR_ROUTE_REQUEST_INIT;
    req.team = team(f, "t");
    req.exclude = excl;
    req.n_exclude = 2;
    /* Monday 14:00 in Berlin: hrs works; ooo is away until 06-22 */
    assert_string_equal(route_req(f, &l, MONDAY_NOON, &req), "hrs");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "ooo", "out_of_office until 2026-06-22");
    ASSERT_REASON(f, LR_REASON_ROUTING_RULE, NULL,
                  "requested team t; require_skills german (rule german)");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "ex", "excluded_previous_owner");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "full", "excluded_previous_owner");
    assert_null(f->res.rule);
    fx_free(f);
}

/* ---- overflow and queues ---- */

static void test_overflow_chain_and_queue(void **state) {
    fx *f = fx_new("routing: { rules: [{ name: all, team: a }] }\n"
                   "teams:\n"
                   "  - { name: a, overflow: b, queue: a-q, members: [{ rep: x }] }\n"
                   "  - { name: b, overflow: c, queue: b-q, members: [{ rep: y }] }\n"
                   "  - { name: c, overflow: a, members: [{ rep: z }] }\n"
                   "reps:\n"
                   "  - { id: x, max_open: 1 }\n"
                   "  - { id: y, max_open: 1 }\n"
                   "  - { id: z, max_open: 1 }\n");
    lr_lead l;
    lead_init(&l);
    assert_string_equal(route(f, &l, MONDAY_NOON), "x");
    assert_false(f->res.overflowed);
    assert_string_equal(route(f, &l, MONDAY_NOON), "y");
    assert_true(f->res.overflowed);
    assert_string_equal(f->res.team_name, "b");
    ASSERT_REASON(f, LR_REASON_OVERFLOW, NULL, "no rep available in a, overflow to b");
    assert_string_equal(route(f, &l, MONDAY_NOON), "z");
    ASSERT_REASON(f, LR_REASON_OVERFLOW, NULL, "no rep available in b, overflow to c");
    assert_string_equal(f->res.team_name, "c");
    /* everyone full: c overflows back to a, which is not tried twice; the lead
     * waits in the ORIGINAL team's queue */
    assert_null(route(f, &l, MONDAY_NOON));
    assert_string_equal(f->res.queue, "a-q");
    assert_string_equal(f->res.team_name, "a");
    ASSERT_REASON(f, LR_REASON_OVERFLOW, NULL, "no rep available, queued to a-q");
    assert_int_equal(find_reason(&f->d, LR_REASON_OVERFLOW, NULL, "no rep available in c*"), -1);
    uint32_t strategies = 0;
    for (uint32_t i = 0; i < f->d.n_reasons; i++)
        strategies += f->d.reasons[i].kind == LR_REASON_STRATEGY;
    assert_int_equal(strategies, 3);
    /* a team without queue uses routing.default_queue */
    assert_string_equal(lr_route_team_queue(f->cfg, team(f, "c")), "unrouted");
    fx_free(f);
}

static void test_no_rule_matched(void **state) {
    fx *f = fx_new("routing:\n"
                   "  default_queue: triage\n"
                   "  rules:\n"
                   "    - { name: us, when: [{ field: country, equals: US }], team: t }\n"
                   "  accounts: [{ domain: acme.io, owner: a }]\n"
                   "teams: [{ name: t, members: [{ rep: a }] }]\n"
                   "reps: [{ id: a }]\n");
    lr_lead l;
    lead_init(&l);
    l.country = S("FR");
    assert_null(route(f, &l, MONDAY_NOON));
    assert_string_equal(f->res.queue, "triage");
    assert_int_equal(f->res.team, -1);
    assert_null(f->res.team_name);
    assert_null(f->res.rule);
    ASSERT_REASON(f, LR_REASON_OVERFLOW, NULL, "no routing rule matched, queued to triage");
    /* the account owner still gets an unmatched lead */
    l.email = S("p@acme.io");
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    assert_string_equal(f->res.team_name, "t");
    fx_free(f);

    /* no routing section at all: every lead waits in "unrouted" */
    f = fx_new("reps: [{ id: a }]\n");
    lead_init(&l);
    assert_null(route(f, &l, MONDAY_NOON));
    assert_string_equal(f->res.queue, "unrouted");
    fx_free(f);
}

/* A demo request jumps the territory rules: the same signal as the
 * qualification override demo_request_fast_lane. */
static void test_activity_rule(void **state) {
    fx *f = fx_new("routing:\n"
                   "  rules:\n"
                   "    - name: demo_fast_lane\n"
                   "      activity: demo_request\n"
                   "      when: [{ field: region, equals: EU }]\n"
                   "      team: sdr\n"
                   "    - { name: rest, team: t }\n"
                   "teams:\n"
                   "  - { name: sdr, members: [{ rep: s }] }\n"
                   "  - { name: t, members: [{ rep: a }] }\n"
                   "reps: [{ id: s }, { id: a }]\n");
    lr_lead l;
    lead_init(&l);
    l.region = S("EU");
    l.n_activities = 2;
    l.activities[0].type = LR_ACT_PAGE_VIEW;
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    l.activities[1].type = LR_ACT_DEMO_REQUEST;
    assert_string_equal(route(f, &l, MONDAY_NOON), "s");
    assert_string_equal(f->res.rule, "demo_fast_lane");
    ASSERT_REASON(f, LR_REASON_ROUTING_RULE, NULL, "activity demo_request and region equals EU");
    l.region = S("NA");
    assert_string_equal(route(f, &l, MONDAY_NOON), "a");
    fx_free(f);
}

static void test_decide_without_explaining(void **state) {
    fx *f = fx_new(skip_cfg);
    lr_lead l;
    lead_init(&l);
    lr_route_assign(f->cfg, f->st, &l, T(2026, 6, 13, 8, 5), NULL, &f->res, NULL, NULL);
    assert_string_equal(f->res.rep_name, "ex");
    fx_free(f);
}

/* ---- fairness over 100,000 leads ---- */

#define N_LEADS 100000

static void test_weighted_shares(void **state) {
    fx *f = fx_new("routing: { rules: [{ name: all, team: t }] }\n"
                   "teams:\n"
                   "  - name: t\n"
                   "    strategy: weighted\n"
                   "    members: [{ rep: a, weight: 5 }, { rep: b, weight: 3 }, { rep: c, weight: 2 }]\n"
                   "reps: [{ id: a }, { id: b }, { id: c }]\n");
    lr_lead l;
    lead_init(&l);
    long count[3] = {0};
    for (long i = 0; i < N_LEADS; i++) {
        route(f, &l, MONDAY_NOON + i * LR_MINUTE_MS);
        count[f->res.rep]++;
        lr_route_release(f->st, f->res.rep);
        if (i % 1000 == 0) lr_arena_reset(&f->text);
    }
    for (int r = 0; r < 3; r++) {
        double share = (double)count[r] / N_LEADS, target = lr_route_target_share(f->cfg, 0, r);
        print_message("weighted rep %d: %ld leads, share %.4f, target %.4f\n", r, count[r], share,
                      target);
        assert_true(share > target * 0.99 && share < target * 1.01);
    }
    fx_free(f);
}

static void test_round_robin_exactly_even(void **state) {
    fx *f = fx_new("routing: { rules: [{ name: all, team: t }] }\n"
                   "teams: [{ name: t, members: [{ rep: a }, { rep: b }, { rep: c }, { rep: d }] }]\n"
                   "reps: [{ id: a }, { id: b }, { id: c }, { id: d }]\n");
    lr_lead l;
    lead_init(&l);
    long count[4] = {0};
    for (long i = 0; i < N_LEADS; i++) {
        route(f, &l, MONDAY_NOON + i * LR_MINUTE_MS);
        count[f->res.rep]++;
        if (i % 1000 == 0) lr_arena_reset(&f->text);
    }
    for (int r = 0; r < 4; r++) assert_int_equal(count[r], N_LEADS / 4);
    fx_free(f);
}

/* One lead every 10 minutes from 2026-01-01; rep `c` is out of office from
 * 2026-02-01 until 2026-03-01. After return, c must get no more than its normal
 * share (no catch-up), and not much less either. */
static void return_from_vacation(const char *strategy, const char *weights,
                                 double c_target) {
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "routing: { rules: [{ name: all, team: t }] }\n"
             "teams: [{ name: t, strategy: %s, members: [%s] }]\n"
             "reps:\n"
             "  - { id: a }\n"
             "  - { id: b }\n"
             "  - id: c\n"
             "    out_of_office: [{ from: 2026-02-01, until: 2026-03-01 }]\n",
             strategy, weights);
    fx *f = fx_new(yaml);
    lr_lead l;
    lead_init(&l);
    int32_t c = rep(f, "c");
    lr_time_ms t0 = T(2026, 1, 1, 0, 0), back = T(2026, 3, 1, 0, 0);
    long after = 0, c_after = 0, c_first_day = 0, first_day = 0, c_away = 0;
    for (long i = 0; i < N_LEADS; i++) {
        lr_time_ms now = t0 + i * 10 * LR_MINUTE_MS;
        route(f, &l, now);
        lr_route_release(f->st, f->res.rep);
        if (i % 1000 == 0) lr_arena_reset(&f->text);
        bool is_c = f->res.rep == c;
        if (now >= T(2026, 2, 1, 0, 0) && now < back) c_away += is_c;
        if (now < back) continue;
        after++;
        c_after += is_c;
        if (now < back + LR_DAY_MS) {
            first_day++;
            c_first_day += is_c;
        }
    }
    print_message("%s: c got %ld of %ld leads after return (target %.3f), %ld of %ld on day one\n",
                  strategy, c_after, after, c_target, c_first_day, first_day);
    assert_int_equal(c_away, 0);
    assert_true(c_first_day <= (long)(c_target * first_day) + 1);
    assert_true(c_after <= (long)(c_target * after) + 1);
    assert_true(c_after >= (long)(c_target * after * 0.99));
    fx_free(f);
}

static void test_no_flood_after_vacation(void **state) {
    return_from_vacation("weighted", "{ rep: a, weight: 5 }, { rep: b, weight: 3 }, "
                                     "{ rep: c, weight: 2 }", 0.2);
    return_from_vacation("weighted", "{ rep: a }, { rep: b }, { rep: c }", 1.0 / 3);
    return_from_vacation("round_robin", "{ rep: a }, { rep: b }, { rep: c }", 1.0 / 3);
    return_from_vacation("least_loaded", "{ rep: a }, { rep: b }, { rep: c }", 1.0 / 3);
}

/* While c is away its turns are shared evenly by the others: no backup rep
 * absorbs them. Round robin restarts after the chosen member, so it cycles
 * over the members present; weighted gives c no credit while away. */
static void test_turns_while_away(void **state) {
    const char *fmt = "routing: { rules: [{ name: all, team: t }] }\n"
                      "teams: [{ name: t, strategy: %s, members: [{ rep: a }, { rep: b },"
                      " { rep: c }] }]\n"
                      "reps: [{ id: a }, { id: b }, { id: c, assignable: false }]\n";
    char yaml[512];
    long count[3];
    lr_lead l;
    lead_init(&l);
    snprintf(yaml, sizeof(yaml), fmt, "weighted");
    fx *f = fx_new(yaml);
    memset(count, 0, sizeof(count));
    for (int i = 0; i < 3000; i++) count[route(f, &l, MONDAY_NOON)[0] - 'a']++;
    assert_int_equal(count[0], 1500);
    assert_int_equal(count[1], 1500);
    fx_free(f);
    snprintf(yaml, sizeof(yaml), fmt, "round_robin");
    f = fx_new(yaml);
    memset(count, 0, sizeof(count));
    for (int i = 0; i < 3000; i++) count[route(f, &l, MONDAY_NOON)[0] - 'a']++;
    assert_int_equal(count[0], 1500);
    assert_int_equal(count[1], 1500);
    fx_free(f);
    /* the same with the away member in the middle of the list */
    snprintf(yaml, sizeof(yaml),
             "routing: { rules: [{ name: all, team: t }] }\n"
             "teams: [{ name: t, members: [{ rep: a }, { rep: c }, { rep: b }] }]\n"
             "reps: [{ id: a }, { id: b }, { id: c, assignable: false }]\n");
    f = fx_new(yaml);
    memset(count, 0, sizeof(count));
    for (int i = 0; i < 3000; i++) count[route(f, &l, MONDAY_NOON)[0] - 'a']++;
    assert_int_equal(count[0], 1500);
    assert_int_equal(count[1], 1500);
    fx_free(f);
}

/* ---- the example configuration is the contract ---- */

static void test_example_config(void **state) {
    lr_err err = {0};
    fx *f = calloc(1, sizeof(*f));
    f->tz = lr_tz_db_new(NULL);
    f->doc = lr_cfg_load("docs/lead-router.example.yaml", &err);
    if (!f->doc) fail_msg("%s", err.msg);
    f->cfg = lr_route_config_parse(lr_cfg_root(f->doc), f->tz, &err);
    if (!f->cfg) fail_msg("%s", err.msg);
    f->st = lr_route_state_new(f->cfg);
    lr_arena_init(&f->text, 0);
    assert_int_equal(lr_route_team_count(f->cfg), 4);
    assert_int_equal(lr_route_rep_count(f->cfg), 10);
    int32_t ent = team(f, "emea_enterprise");
    assert_string_equal(lr_route_team_manager(f->cfg, ent), "erika");
    assert_string_equal(lr_route_team_queue(f->cfg, ent), "emea-queue");
    assert_true(lr_route_rep_in_team(f->cfg, ent, rep(f, "dieter")));
    assert_false(lr_route_rep_in_team(f->cfg, ent, rep(f, "alice")));
    assert_near(lr_route_target_share(f->cfg, ent, rep(f, "dieter")), 2.0 / 3);
    assert_int_equal(lr_route_rep_index(f->cfg, "nobody", 6), -1);
    assert_int_equal(lr_route_rep_index(f->cfg, "alicex", 5), rep(f, "alice"));

    lr_lead l;
    /* Tuesday 2026-12-15 10:00 UTC: 11:00 in Berlin, 05:00 in New York */
    lr_time_ms tue = T(2026, 12, 15, 10, 0);
    lead_init(&l);
    l.region = S("EU");
    l.company_size = 5000;
    assert_string_equal(route(f, &l, tue), "dieter");
    assert_string_equal(f->res.rule, "enterprise_emea");
    ASSERT_REASON(f, LR_REASON_ROUTING_RULE, NULL,
                  "region equals EU and company_size range [1000..]");
    assert_string_equal(route(f, &l, tue), "emma");
    assert_string_equal(route(f, &l, tue), "dieter");

    /* German speaker outside the EU: emea_commercial, German speakers only */
    lead_init(&l);
    l.language = S("de");
    l.country = S("CH");
    assert_string_equal(route(f, &l, tue), "franz");
    assert_string_equal(f->res.rule, "german_speaking");
    assert_string_equal(route(f, &l, tue), "greta");
    assert_string_equal(route(f, &l, tue), "hans");

    /* North America at 05:00 Eastern: nobody works yet; overflow is not set,
     * so the lead waits in na-queue */
    lead_init(&l);
    l.country = S("US");
    assert_null(route(f, &l, tue));
    assert_string_equal(f->res.queue, "na-queue");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "alice", "off_hours local Tue 05:00");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "bob", "off_hours local Tue 04:00");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "carol", "off_hours local Tue 02:00");
    /* 18:00 UTC: alice (13:00) and bob (12:00) work; carol is out of office
     * from 2026-12-21 */
    lr_time_ms later = T(2026, 12, 22, 18, 0);
    assert_string_equal(route(f, &l, later), "alice");
    ASSERT_REASON(f, LR_REASON_SKIPPED, "carol", "out_of_office until 2027-01-04");
    assert_string_equal(route(f, &l, later), "bob");

    /* account owner: bigcorp.com goes to alice wherever it comes from */
    lead_init(&l);
    l.region = S("EU");
    l.email = S("cfo@bigcorp.com");
    assert_string_equal(route(f, &l, later), "alice");
    assert_string_equal(f->res.team_name, "na_commercial");
    ASSERT_REASON(f, LR_REASON_ACCOUNT_OWNER, "alice", "email_domain matches account *");

    /* everyone else: global_inbound */
    lead_init(&l);
    l.country = S("JP");
    assert_string_equal(route(f, &l, later), "bob");
    assert_string_equal(f->res.rule, "everyone_else");
    fx_free(f);
}

/* Every YAML block of docs/cookbook.md is a valid routing configuration. */
static void test_cookbook_parses(void **state) {
    FILE *fp = fopen("docs/cookbook.md", "rb");
    assert_non_null(fp);
    static char md[65536];
    size_t n = fread(md, 1, sizeof(md) - 1, fp);
    fclose(fp);
    md[n] = '\0';
    int blocks = 0;
    for (char *p = strstr(md, "```yaml\n"); p; p = strstr(p, "```yaml\n")) {
        p += 8;
        char *end = strstr(p, "```");
        assert_non_null(end);
        *end = '\0';
        lr_err err = {0};
        lr_tz_db *tz = lr_tz_db_new(NULL);
        lr_cfg_doc *doc = lr_cfg_load_string("cookbook.md", p, &err);
        if (!doc) fail_msg("cookbook block %d: %s", blocks + 1, err.msg);
        lr_route_config *cfg = lr_route_config_parse(lr_cfg_root(doc), tz, &err);
        if (!cfg) fail_msg("cookbook block %d: %s", blocks + 1, err.msg);
        assert_true(lr_route_team_count(cfg) > 0);
        lr_route_config_free(cfg);
        lr_cfg_free(doc);
        lr_tz_db_free(tz);
        blocks++;
        p = end + 3;
    }
    assert_true(blocks >= 7);
}

/* ---- configuration errors ---- */

#define REPS_AB "reps:\n  - { id: a }\n  - { id: b }\n"

static void expect_error(const char *yaml, int line, const char *text) {
    const char *msg = config_error(yaml);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "t.yaml:%d: ", line);
    if (strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, text))
        fail_msg("expected '%s...%s', got '%s'", prefix, text, msg);
}

static void test_config_errors(void **state) {
    expect_error(REPS_AB "  - { id: a }\n", 4, "rep 'a' is listed twice (first at line 2)");
    expect_error("reps:\n  - { id: a, colour: red }\n", 2, "unknown key 'colour'");
    expect_error("reps:\n  - { id: a, timezone: Mars/Olympus }\n", 2,
                 "unknown time zone 'Mars/Olympus'");
    expect_error("reps:\n  - id: a\n    working_hours: { days: [mon, funday], start: \"09:00\","
                 " end: \"17:00\" }\n", 3, "'funday' is not a day");
    expect_error("reps:\n  - id: a\n    working_hours:\n      days: [mon]\n      start: \"17:00\"\n"
                 "      end: \"09:00\"\n", 6, "end 09:00 must be after start 17:00");
    expect_error("reps:\n  - id: a\n    working_hours: { days: [mon], start: \"09:00\" }\n", 3,
                 "missing required key 'end'");
    expect_error("reps:\n  - id: a\n    out_of_office:\n      - { from: 2026-12-21, until: "
                 "2026-12-21 }\n", 4, "until 2026-12-21 must be after from 2026-12-21");
    expect_error("reps:\n  - id: a\n    out_of_office: [{ from: 2026-02-30, until: 2026-03-02 }]\n",
                 3, "'2026-02-30' is not a calendar date");
    expect_error("reps:\n  - { id: a, max_open: 0 }\n", 2, "out of range");
    expect_error(REPS_AB "teams:\n  - { name: t, members: [{ rep: c }] }\n", 5,
                 "team 't': member 'c' is not in reps");
    expect_error(REPS_AB "teams:\n  - { name: t, strategy: random, members: [{ rep: a }] }\n", 5,
                 "unknown strategy 'random'");
    expect_error(REPS_AB "teams:\n  - name: t\n    strategy: weighted\n    members:\n"
                 "      - { rep: a, weight: 0 }\n", 8, "weight must be a whole number");
    expect_error(REPS_AB "teams:\n  - name: t\n    strategy: weighted\n    members:\n"
                 "      - { rep: a, weight: lots }\n", 8, "not 'lots'");
    expect_error(REPS_AB "teams:\n  - { name: t, members: [{ rep: a }, { rep: a }] }\n", 5,
                 "member 'a' is listed twice");
    expect_error(REPS_AB "teams:\n  - { name: t, members: [] }\n", 5, "team 't' has no members");
    expect_error(REPS_AB "teams:\n  - { name: t, members: [{ rep: a, role: x }] }\n", 5,
                 "unknown key 'role'");
    expect_error(REPS_AB "teams:\n  - { name: t, members: [{ rep: a }] }\n"
                 "  - { name: t, members: [{ rep: b }] }\n", 6, "team 't' is defined twice");
    expect_error(REPS_AB "teams:\n  - { name: t, overflow: u, members: [{ rep: a }] }\n", 5,
                 "overflow team 'u' is not defined");
    expect_error(REPS_AB "teams:\n  - name: t\n    overflow: t\n    members: [{ rep: a }]\n", 6,
                 "team 't' overflows to itself");
    expect_error(REPS_AB "teams:\n  - name: t\n    manager: boss\n    members: [{ rep: a }]\n", 6,
                 "manager 'boss' is not in reps");
    expect_error(REPS_AB "teams:\n  - name: t\n    timezone: Nowhere/City\n"
                 "    members: [{ rep: a }]\n", 6, "unknown time zone 'Nowhere/City'");
    expect_error(REPS_AB "teams:\n  - { name: t, members: [{ rep: a }], size: 3 }\n", 5,
                 "unknown key 'size' in team");
    expect_error(REPS_AB "teams: [{ name: t, members: [{ rep: a }] }]\n"
                 "routing:\n  rules:\n    - { name: r, team: nope }\n", 7,
                 "rule 'r': team 'nope' is not defined");
    expect_error(REPS_AB "teams: [{ name: t, members: [{ rep: a }] }]\n"
                 "routing:\n  rules:\n    - { name: r, team: t }\n    - { name: r, team: t }\n", 8,
                 "routing rule 'r' is defined twice");
    expect_error(REPS_AB "teams: [{ name: t, members: [{ rep: a }] }]\n"
                 "routing:\n  rules:\n    - name: r\n      team: t\n"
                 "      require_skills: [klingon]\n", 9, "no rep has skill 'klingon'");
    expect_error(REPS_AB "teams: [{ name: t, members: [{ rep: a }] }]\n"
                 "routing:\n  rules:\n    - name: r\n      team: t\n"
                 "      when: [{ field: shoe_size, equals: 9 }]\n", 9, "unknown field 'shoe_size'");
    expect_error(REPS_AB "teams: [{ name: t, members: [{ rep: a }] }]\n"
                 "routing:\n  rules:\n    - { name: r, team: t, priority: 1 }\n", 7,
                 "unknown key 'priority'");
    expect_error(REPS_AB "teams: [{ name: t, members: [{ rep: a }] }]\n"
                 "routing:\n  rules:\n    - name: r\n      team: t\n      activity: cold_call\n", 9,
                 "rule 'r': unknown activity 'cold_call'");
    expect_error(REPS_AB "routing:\n  accounts:\n    - { domain: acme.io, owner: zed }\n", 6,
                 "account 'acme.io': owner 'zed' is not in reps");
    expect_error(REPS_AB "routing:\n  accounts:\n    - { domain: acme.io, owner: a }\n"
                 "    - { domain: ACME.io, owner: b }\n", 7, "account domain 'ACME.io' is listed twice");
    expect_error(REPS_AB "routing:\n  return_policy: catch_up\n", 5,
                 "unknown return_policy 'catch_up'");
    expect_error(REPS_AB "routing:\n  strategy: weighted\n", 5, "unknown key 'strategy' in routing");
    expect_error("teams:\n  name: t\n", 2, "teams must be a list");
}


/* ---- routing domains ---- */

static const char *domains_yaml =
    "routing:\n"
    "  rules:\n"
    "    - { name: na, when: [{ field: country, equals: US }], team: na }\n"
    "    - { name: emea, when: [{ field: region, equals: EU }], team: emea_ent }\n"
    "    - { name: apac, when: [{ field: region, equals: APAC }], team: apac }\n"
    "teams:\n"
    "  - { name: na, strategy: round_robin, members: [{ rep: a1 }, { rep: a2 }] }\n"
    "  - { name: emea_ent, strategy: round_robin, overflow: emea_com, members: [{ rep: e1 }] }\n"
    "  - { name: emea_com, strategy: round_robin, members: [{ rep: e2 }] }\n"
    "  - { name: apac, strategy: round_robin, members: [{ rep: p1 }] }\n"
    "  - { name: apac_night, strategy: round_robin, members: [{ rep: p1 }, { rep: p2 }] }\n"
    "reps:\n"
    "  - { id: a1 }\n  - { id: a2 }\n  - { id: e1 }\n  - { id: e2 }\n"
    "  - { id: p1 }\n  - { id: p2 }\n  - { id: boss }\n";

static int32_t domain_of(fx *f, const char *team) {
    return lr_route_team_domain(f->cfg, lr_route_team_index(f->cfg, team));
}

static int32_t rep_domain(fx *f, const char *rep) {
    return lr_route_rep_domain(f->cfg, lr_route_rep_index(f->cfg, rep, strlen(rep)));
}

/* Overflow chains and shared reps join teams; separate territories stay apart. */
static void test_domains_join_what_shares_state(void **state) {
    (void)state;
    fx *f = fx_new(domains_yaml);
    assert_int_equal(lr_route_domain_count(f->cfg), 4); /* na, emea, apac, unrouted */
    assert_int_equal(domain_of(f, "emea_ent"), domain_of(f, "emea_com"));
    assert_int_equal(domain_of(f, "apac"), domain_of(f, "apac_night"));
    assert_int_not_equal(domain_of(f, "na"), domain_of(f, "emea_ent"));
    assert_int_not_equal(domain_of(f, "na"), domain_of(f, "apac"));
    assert_string_equal(lr_route_domain_name(f->cfg, domain_of(f, "emea_com")), "emea_ent");
    assert_int_equal(rep_domain(f, "e2"), domain_of(f, "emea_ent"));
    assert_int_equal(rep_domain(f, "p2"), domain_of(f, "apac"));
    /* a rep in no team holds no routing state: unrouted, like unknown reps */
    int32_t unrouted = (int32_t)lr_route_domain_count(f->cfg) - 1;
    assert_string_equal(lr_route_domain_name(f->cfg, unrouted), "~unrouted");
    assert_int_equal(rep_domain(f, "boss"), unrouted);
    assert_int_equal(rep_domain(f, "nobody"), unrouted);

    lr_lead l;
    lead_init(&l);
    l.country = S("US");
    assert_int_equal(lr_route_lead_domain(f->cfg, &l), domain_of(f, "na"));
    l.country = S("DE");
    l.region = S("EU");
    assert_int_equal(lr_route_lead_domain(f->cfg, &l), domain_of(f, "emea_com"));
    l.region = S("LATAM");
    assert_int_equal(lr_route_lead_domain(f->cfg, &l), unrouted);
    fx_free(f);
}

/* The rules decide when an account owner is unavailable, so an owner and every
 * team a rule names must be decided together. */
static void test_domains_accounts_join_rule_teams(void **state) {
    (void)state;
    char yaml[4096];
    snprintf(yaml, sizeof(yaml), "%s%s", domains_yaml,
             "  - { id: owner }\n");
    /* accounts go under routing: rebuild the document with them */
    const char *acc =
        "routing:\n"
        "  accounts: [{ domain: bigcorp.com, owner: owner }]\n"
        "  rules:\n";
    char *rules = strstr(yaml, "  rules:\n") + strlen("  rules:\n");
    char with[4096];
    snprintf(with, sizeof(with), "%s%s", acc, rules);
    fx *f = fx_new(with);
    assert_int_equal(lr_route_domain_count(f->cfg), 2); /* everything, and unrouted */
    assert_int_equal(domain_of(f, "na"), domain_of(f, "apac"));
    assert_int_equal(rep_domain(f, "owner"), domain_of(f, "na"));
    lr_lead l;
    lead_init(&l);
    l.email = S("x@eu.bigcorp.com");
    assert_int_equal(lr_route_lead_domain(f->cfg, &l), domain_of(f, "na"));
    fx_free(f);
}

/* The core builds a routing config from plain values, with no YAML: a
 * weighted team of two, a rule on a predicate, an account owner. */
static void test_built_without_yaml(void **state) {
    lr_err err = {0};
    lr_tz_db *db = lr_tz_db_new(NULL);
    const lr_tz *utc = lr_tz_get(db, "UTC", &err);
    assert_non_null(utc);
    lr_route_limits max = {.reps = 3, .teams = 1, .rules = 1, .accounts = 1, .skills = 1};
    lr_route_config *cfg = lr_route_config_new(&max, true, "unrouted");
    const char *const de[] = {"german"};
    lr_route_rep_spec a = {.id = "ana", .assignable = true, .skills = de, .n_skills = 1};
    lr_route_rep_spec b = {.id = "bo", .tz = utc, .assignable = true};
    lr_route_rep_spec o = {.id = "own", .tz = utc, .assignable = true};
    assert_int_equal(lr_route_add_rep(cfg, &a), 0);
    assert_int_equal(lr_route_add_rep(cfg, &b), 1);
    assert_int_equal(lr_route_add_rep(cfg, &o), 2);
    int32_t members[] = {0, 1};
    int64_t weights[] = {3, 1};
    lr_route_team_spec t = {.name = "emea", .strategy = LR_STRATEGY_WEIGHTED,
                            .members = members, .weights = weights, .n_members = 2};
    assert_int_equal(lr_route_add_team(cfg, &t), 0);
    assert_null(lr_route_rep_zone(cfg, 0)); /* no zone of its own, none on the team */
    lr_route_set_rep_zone(cfg, 0, utc);
    const char *const vals[] = {"DE"};
    lr_predicate_spec ps = {.field = "country", .test = LR_PRED_EQUALS, .n = 1, .strs = vals,
                            .desc = "country equals DE"};
    lr_predicate *p = lr_predicate_new(&ps, &err);
    assert_non_null(p);
    int32_t skill = lr_route_skill_index(cfg, "german");
    assert_int_equal(skill, 0);
    lr_route_rule_spec r = {.name = "dach", .team = 0, .when = &p, .n_when = 1,
                            .skills = &skill, .n_skills = 1};
    lr_route_add_rule(cfg, &r);
    assert_int_equal(lr_route_add_account(cfg, "BigCorp.com", 2), 0);
    assert_int_equal(lr_route_add_account(cfg, "bigcorp.com", 2), -1);
    lr_route_config_finish(cfg);
    assert_string_equal(lr_route_team_queue(cfg, 0), "unrouted");

    lr_route_state *st = lr_route_state_new(cfg);
    lr_lead l;
    lead_init(&l);
    l.country = S("DE");
    lr_route_result res;
    lr_route_assign(cfg, st, &l, T(2026, 3, 2, 10, 0), NULL, &res, NULL, NULL);
    assert_string_equal(res.rep_name, "ana"); /* bo lacks german */
    assert_string_equal(res.rule, "dach");
    l.country = S("US"); /* no rule: no skills bind the owner */
    l.email = S("x@eu.bigcorp.com");
    lr_route_assign(cfg, st, &l, T(2026, 3, 2, 10, 0), NULL, &res, NULL, NULL);
    assert_string_equal(res.rep_name, "own");
    lr_route_state_free(st);
    lr_route_config_free(cfg);
    lr_tz_db_free(db);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_robin_order),
        cmocka_unit_test(test_round_robin_skips_before_chosen),
        cmocka_unit_test(test_weighted_sequence),
        cmocka_unit_test(test_least_loaded),
        cmocka_unit_test(test_release_never_negative),
        cmocka_unit_test(test_every_skip_reason),
        cmocka_unit_test(test_daily_cap_resets_at_local_midnight),
        cmocka_unit_test(test_max_open_and_release),
        cmocka_unit_test(test_hours_new_york_spring_forward),
        cmocka_unit_test(test_hours_new_york_fall_back),
        cmocka_unit_test(test_hours_berlin),
        cmocka_unit_test(test_out_of_office_boundaries),
        cmocka_unit_test(test_account_owner),
        cmocka_unit_test(test_previous_owner),
        cmocka_unit_test(test_requested_team_with_exclusions),
        cmocka_unit_test(test_overflow_chain_and_queue),
        cmocka_unit_test(test_no_rule_matched),
        cmocka_unit_test(test_activity_rule),
        cmocka_unit_test(test_decide_without_explaining),
        cmocka_unit_test(test_weighted_shares),
        cmocka_unit_test(test_round_robin_exactly_even),
        cmocka_unit_test(test_no_flood_after_vacation),
        cmocka_unit_test(test_turns_while_away),
        cmocka_unit_test(test_example_config),
        cmocka_unit_test(test_cookbook_parses),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_domains_join_what_shares_state),
        cmocka_unit_test(test_domains_accounts_join_rule_teams),
        cmocka_unit_test(test_built_without_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
