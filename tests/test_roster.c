/* test_roster.c - live roster and owner changes (roster.h, "Live changes"):
 * sequences before and after a rep is added, removed, goes out of office and
 * returns, changes weight; account owners set, changed and cleared; the
 * roster version in decisions; states made before a change; growth past the
 * sizes of the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "event.h"
#include "lead.h"
#include "roster.h"
#include "route.h"
#include "rules.h"
#include "tz.h"

typedef struct fx {
    lr_tz_db *tz;
    lr_cfg_doc *doc;
    lr_route_config *cfg;
    lr_route_state *st;
    lr_arena text;
    lr_decision d;
    lr_route_result res;
    lr_lead lead;
} fx;

static lr_time_ms T(int y, int mo, int d, int h) {
    return (lr_days_from_civil(y, mo, d) * 86400 + h * 3600) * 1000;
}
#define NOON T(2026, 6, 1, 12)

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
    f->lead.lead_id = (lr_str){"L1", 2};
    f->lead.company_size = -1;
    f->lead.annual_revenue = -1;
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

static const char *route_with(fx *f, lr_route_state *st) {
    memset(&f->d, 0, sizeof(f->d));
    lr_route_assign(f->cfg, st, &f->lead, NOON, NULL, &f->res, &f->d, &f->text);
    return f->res.rep >= 0 ? f->res.rep_name : "(queued)";
}

static const char *route(fx *f) { return route_with(f, f->st); }

/* The next n reps chosen, joined: "a b c". */
static const char *seq(fx *f, int n) {
    static char out[512];
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strcat(out, " ");
        strcat(out, route(f));
    }
    return out;
}

static bool has_reason(const lr_decision *d, const char *rep, const char *detail) {
    for (uint32_t i = 0; i < d->n_reasons; i++) {
        const lr_reason *r = &d->reasons[i];
        if (rep && (!r->rep || strcmp(r->rep, rep))) continue;
        if (r->detail && !strcmp(r->detail, detail)) return true;
    }
    return false;
}

/* Sets a rep with plain values: member of `team` (weight w), optional
 * out-of-office days [from, until). */
static int32_t set_rep(fx *f, const char *id, const char *team, int64_t w, int64_t from,
                       int64_t until) {
    lr_route_ooo ooo = {from, until};
    lr_route_rep_spec s = {.id = id, .tz = lr_tz_get(f->tz, "UTC", NULL), .assignable = true,
                           .ooo = &ooo, .n_ooo = from < until};
    lr_route_membership m = {lr_route_team_index(f->cfg, team), w};
    return lr_route_roster_set_rep(f->cfg, &s, &m, team ? 1 : 0);
}

static const char *RR =
    "routing: { rules: [{ name: all, team: t }] }\n"
    "teams: [{ name: t, members: [{ rep: a }, { rep: b }, { rep: c }, { rep: d }] }]\n"
    "reps: [{ id: a }, { id: b }, { id: c }, { id: d }]\n";

static void test_rr_remove_and_return(void **state) {
    (void)state;
    fx *f = fx_new(RR);
    assert_string_equal(seq(f, 2), "a b");
    assert_int_equal(lr_route_roster_version(f->cfg), 0);
    /* b leaves mid-cycle: c and d keep their turns, then a */
    assert_int_equal(lr_route_roster_remove_rep(f->cfg, "b", 1), 0);
    assert_int_equal(lr_route_roster_remove_rep(f->cfg, "b", 1), -1);
    assert_int_equal(lr_route_roster_version(f->cfg), 1);
    assert_string_equal(seq(f, 6), "c d a c d a");
    assert_true(has_reason(&f->d, NULL, "roster_version 1"));
    assert_false(has_reason(&f->d, "b", "removed")); /* a vacant slot says nothing */
    /* b comes back into their old slot: one turn per cycle from now on */
    set_rep(f, "b", "t", 1, 0, 0);
    assert_string_equal(seq(f, 8), "b c d a b c d a");
    assert_int_equal(lr_route_team_size(f->cfg, 0), 4);
    fx_free(f);
}

static void test_rr_add_rep(void **state) {
    (void)state;
    fx *f = fx_new(RR);
    assert_string_equal(seq(f, 3), "a b c");
    int32_t e = set_rep(f, "e", "t", 1, 0, 0);
    assert_int_equal(e, 4);
    assert_int_equal(lr_route_rep_index(f->cfg, "e", 1), 4);
    /* e joins at the end of the cycle; the others' order is unchanged */
    assert_string_equal(seq(f, 10), "d e a b c d e a b c");
    assert_true(has_reason(&f->d, NULL, "roster_version 1"));
    fx_free(f);
}

static void test_rr_out_of_office_and_back(void **state) {
    (void)state;
    fx *f = fx_new(RR);
    int64_t today = lr_days_from_civil(2026, 6, 1);
    assert_string_equal(seq(f, 1), "a");
    set_rep(f, "c", "t", 1, today - 1, today + 7);
    assert_string_equal(seq(f, 5), "b d a b d");
    assert_true(has_reason(&f->d, "c", "out_of_office until 2026-06-08"));
    /* back early: a share from now on, no catching up on missed turns */
    set_rep(f, "c", "t", 1, 0, 0);
    assert_string_equal(seq(f, 8), "a b c d a b c d");
    fx_free(f);
}

static const char *W =
    "routing: { rules: [{ name: all, team: t }] }\n"
    "teams: [{ name: t, strategy: weighted,"
    " members: [{ rep: a }, { rep: b }, { rep: c }] }]\n"
    "reps: [{ id: a }, { id: b }, { id: c }]\n";

static int count(const char *s, const char *rep) {
    int n = 0;
    for (const char *p = s; *p; p++)
        if (*p == rep[0] && (p == s || p[-1] == ' ') && (p[1] == ' ' || !p[1])) n++;
    return n;
}

static void test_weighted_newcomer_not_flooded(void **state) {
    (void)state;
    fx *f = fx_new(W);
    for (int i = 0; i < 100; i++) route(f);
    set_rep(f, "d", "t", 1, 0, 0);
    /* the newcomer starts at the team's level: one lead in each four */
    const char *s = seq(f, 8);
    assert_int_equal(count(s, "d"), 2);
    assert_int_equal(count(s, "a"), 2);
    assert_int_equal(count(s, "b"), 2);
    assert_int_equal(count(s, "c"), 2);
    assert_true(has_reason(&f->d, NULL, "weighted 4 members, total weight 4"));
    /* a weight change applies from the next lead: d now twice the others */
    set_rep(f, "d", "t", 2, 0, 0);
    s = seq(f, 20);
    assert_int_equal(count(s, "d"), 8);
    assert_int_equal(count(s, "a"), 4);
    fx_free(f);
}

static void test_weighted_return_from_leave(void **state) {
    (void)state;
    fx *f = fx_new(W);
    int64_t today = lr_days_from_civil(2026, 6, 1);
    set_rep(f, "a", "t", 1, today, today + 14);
    const char *s = seq(f, 30); /* a is away for 30 leads */
    assert_int_equal(count(s, "a"), 0);
    set_rep(f, "a", "t", 1, 0, 0);
    /* back: a third from now on, never a run of a */
    s = seq(f, 9);
    assert_int_equal(count(s, "a"), 3);
    assert_null(strstr(s, "a a"));
    fx_free(f);
}

static void test_removed_rep_as_owner(void **state) {
    (void)state;
    fx *f = fx_new("routing:\n"
                   "  rules: [{ name: all, team: t }]\n"
                   "  accounts: [{ domain: acme.io, owner: a }]\n"
                   "teams: [{ name: t, members: [{ rep: a }, { rep: b }] }]\n"
                   "reps: [{ id: a }, { id: b }]\n");
    f->lead.email = (lr_str){"x@acme.io", 9};
    assert_string_equal(route(f), "a");
    lr_route_roster_remove_rep(f->cfg, "a", 1);
    assert_true(lr_route_rep_removed(f->cfg, 0));
    /* the owner is unavailable: the team takes the lead */
    assert_string_equal(route(f), "b");
    assert_true(has_reason(&f->d, "a", "removed"));
    /* the owner changes */
    assert_int_equal(lr_route_owner_set(f->cfg, "ACME.io", 1), 0);
    assert_int_equal(lr_route_owner_of(f->cfg, "acme.io", 7), 1);
    assert_string_equal(route(f), "b");
    assert_true(has_reason(&f->d, "b", "email_domain matches account acme.io"));
    /* cleared: no account; the team's strategy decides */
    assert_int_equal(lr_route_owner_clear(f->cfg, "acme.io"), 0);
    assert_int_equal(lr_route_owner_clear(f->cfg, "acme.io"), -1);
    assert_int_equal(lr_route_owner_of(f->cfg, "acme.io", 7), -1);
    route(f);
    assert_false(has_reason(&f->d, NULL, "email_domain matches account acme.io"));
    assert_true(has_reason(&f->d, NULL, "roster_version 3"));
    fx_free(f);
}

static void test_owner_subdomain_after_clear(void **state) {
    (void)state;
    fx *f = fx_new("routing:\n"
                   "  rules: [{ name: all, team: t }]\n"
                   "  accounts: [{ domain: bigcorp.com, owner: a },"
                   " { domain: eu.bigcorp.com, owner: b }]\n"
                   "teams: [{ name: t, members: [{ rep: a }, { rep: b }] }]\n"
                   "reps: [{ id: a }, { id: b }]\n");
    f->lead.email = (lr_str){"x@eu.bigcorp.com", 16};
    assert_string_equal(route(f), "b");
    lr_route_owner_clear(f->cfg, "eu.bigcorp.com");
    /* the parent domain's owner covers the subdomain again */
    assert_string_equal(route(f), "a");
    fx_free(f);
}

static void test_state_made_before_change(void **state) {
    (void)state;
    fx *f = fx_new(RR);
    lr_route_state *other = lr_route_state_new(f->cfg);
    for (int i = 0; i < 5; i++) set_rep(f, (char[]){(char)('e' + i), 0}, "t", 1, 0, 0);
    assert_int_equal(lr_route_rep_count(f->cfg), 9);
    /* each state catches up at its next decision; both see 9 members */
    assert_string_equal(route_with(f, other), "a");
    assert_int_equal(other->n_reps, 9);
    assert_int_equal(other->teams[0].n_current, 9);
    assert_string_equal(seq(f, 9), "a b c d e f g h i");
    lr_route_release(other, 8);
    lr_route_state_free(other);
    fx_free(f);
}

/* Past the sizes of the file: thousands of reps and owners added live. */
static void test_growth(void **state) {
    (void)state;
    fx *f = fx_new(RR);
    char id[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof(id), "r%d", i);
        assert_int_equal(set_rep(f, id, i % 2 ? "t" : NULL, 1, 0, 0), 4 + i);
    }
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof(id), "d%d.example", i);
        assert_int_equal(lr_route_owner_set(f->cfg, id, 4 + i % 3000), 0);
    }
    for (int i = 0; i < 20000; i += 997) {
        snprintf(id, sizeof(id), "D%d.Example", i);
        assert_int_equal(lr_route_owner_of(f->cfg, id, strlen(id)), 4 + i % 3000);
    }
    assert_int_equal(lr_route_team_size(f->cfg, 0), 4 + 1500);
    assert_int_equal(lr_route_rep_index(f->cfg, "r2999", 5), 3003);
    f->lead.email = (lr_str){"x@d7.example", 12};
    assert_string_equal(route(f), "r7");
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rr_remove_and_return),
        cmocka_unit_test(test_rr_add_rep),
        cmocka_unit_test(test_rr_out_of_office_and_back),
        cmocka_unit_test(test_weighted_newcomer_not_flooded),
        cmocka_unit_test(test_weighted_return_from_leave),
        cmocka_unit_test(test_removed_rep_as_owner),
        cmocka_unit_test(test_owner_subdomain_after_clear),
        cmocka_unit_test(test_state_made_before_change),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
