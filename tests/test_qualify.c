/* test_qualify.c - thresholds, tiers, overrides and their order, defaults,
 * the example configuration, and configuration errors with their lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfg.h"
#include "rules.h"
#include "lead.h"
#include "qualify.h"
#include "score.h"

#define NOW 1795000000000LL

static lr_str S(const char *s) { return (lr_str){s, (uint32_t)strlen(s)}; }

static void lead_init(lr_lead *l) {
    memset(l, 0, sizeof(*l));
    l->lead_id = S("L1");
    l->event_time = NOW;
    l->company_size = -1;
    l->annual_revenue = -1;
}

static lr_score score_of(double total) {
    lr_score s;
    memset(&s, 0, sizeof(s));
    s.total = total;
    s.fit = total;
    return s;
}

typedef struct fixture {
    lr_cfg_doc *doc;
    lr_qualify_config *cfg;
} fixture;

static lr_qualify_config *load(fixture *f, const char *yaml, lr_err *err) {
    f->doc = lr_cfg_load_string("q.yaml", yaml, err);
    assert_non_null(f->doc);
    f->cfg = lr_qualify_config_parse(lr_cfg_get(lr_cfg_root(f->doc), "qualification"), err);
    return f->cfg;
}

static void unload(fixture *f) {
    lr_qualify_config_free(f->cfg);
    lr_cfg_free(f->doc);
}

static void expect_error(const char *yaml, const char *want_prefix, const char *part) {
    fixture f;
    lr_err err = {0};
    if (load(&f, yaml, &err)) fail_msg("expected an error for:\n%s", yaml);
    if (strncmp(err.msg, want_prefix, strlen(want_prefix)) != 0 || !strstr(err.msg, part))
        fail_msg("error '%s' lacks '%s' / '%s'", err.msg, want_prefix, part);
    unload(&f);
}

static lr_qualification q_of(const lr_qualify_config *cfg, const lr_lead *l, double total) {
    lr_score s = score_of(total);
    lr_qualification q;
    memset(&q, 0xAB, sizeof(q)); /* every field must be written */
    lr_qualify(cfg, l, &s, &q);
    return q;
}

static void test_defaults(void **state) {
    (void)state;
    lr_err err = {0};
    lr_qualify_config *cfg = lr_qualify_config_parse(NULL, &err);
    assert_non_null(cfg);
    lr_lead l;
    lead_init(&l);
    assert_int_equal(lr_qualify_duplicate_window_ms(cfg), 7 * LR_DAY_MS);
    assert_int_equal(lr_qualify_tier_count(cfg), 0);

    lr_qualification q = q_of(cfg, &l, 60);
    assert_int_equal(q.stage, LR_STAGE_SALES_READY);
    assert_string_equal(q.why, "score >= sales_ready_score 60");
    assert_int_equal(q.tier, -1);
    assert_null(q.tier_name);
    assert_null(q.override);
    q = q_of(cfg, &l, 59.99);
    assert_int_equal(q.stage, LR_STAGE_MARKETING_QUALIFIED);
    assert_string_equal(q.why, "score >= marketing_qualified_score 30");
    q = q_of(cfg, &l, 30);
    assert_int_equal(q.stage, LR_STAGE_MARKETING_QUALIFIED);
    q = q_of(cfg, &l, 29.5);
    assert_int_equal(q.stage, LR_STAGE_NURTURE);
    assert_string_equal(q.why, "score < marketing_qualified_score 30");
    /* no disqualify_below by default: however low, it stays nurture */
    q = q_of(cfg, &l, -1000);
    assert_int_equal(q.stage, LR_STAGE_NURTURE);
    lr_qualify_config_free(cfg);
}

static const char *tiers_yaml =
    "qualification:\n"
    "  tiers:\n"
    "    - { name: cold, min_score: 25 }\n"
    "    - { name: hot, min_score: 80 }\n"
    "    - { name: warm, min_score: 50.5 }\n"
    "  sales_ready_score: 70.5\n"
    "  marketing_qualified_score: 40\n"
    "  disqualify_below: -20\n"
    "  duplicate_window: 36h\n";

static void test_thresholds_and_tiers(void **state) {
    (void)state;
    fixture f;
    lr_err err = {0};
    assert_non_null(load(&f, tiers_yaml, &err));
    assert_int_equal(lr_qualify_duplicate_window_ms(f.cfg), 36 * LR_HOUR_MS);
    /* sorted by min_score, highest first, whatever the file order */
    assert_int_equal(lr_qualify_tier_count(f.cfg), 3);
    assert_string_equal(lr_qualify_tier_name(f.cfg, 0), "hot");
    assert_string_equal(lr_qualify_tier_name(f.cfg, 1), "warm");
    assert_string_equal(lr_qualify_tier_name(f.cfg, 2), "cold");
    assert_null(lr_qualify_tier_name(f.cfg, 3));

    lr_lead l;
    lead_init(&l);
    static const struct {
        double total;
        lr_stage stage;
        const char *tier;
        const char *why;
    } cases[] = {
        {120, LR_STAGE_SALES_READY, "hot", "score >= sales_ready_score 70.5"},
        {80, LR_STAGE_SALES_READY, "hot", NULL},
        {79.99, LR_STAGE_SALES_READY, "warm", NULL},
        {70.5, LR_STAGE_SALES_READY, "warm", NULL},
        {70.49, LR_STAGE_MARKETING_QUALIFIED, "warm", "score >= marketing_qualified_score 40"},
        {50.5, LR_STAGE_MARKETING_QUALIFIED, "warm", NULL},
        {50, LR_STAGE_MARKETING_QUALIFIED, "cold", NULL},
        {40, LR_STAGE_MARKETING_QUALIFIED, "cold", NULL},
        {25, LR_STAGE_NURTURE, "cold", "score < marketing_qualified_score 40"},
        {24.9, LR_STAGE_NURTURE, NULL, NULL},
        {-20, LR_STAGE_NURTURE, NULL, NULL},
        {-20.01, LR_STAGE_DISQUALIFIED, NULL, "score < disqualify_below -20"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lr_qualification q = q_of(f.cfg, &l, cases[i].total);
        if (q.stage != cases[i].stage) fail_msg("total %g: stage %d", cases[i].total, q.stage);
        if (cases[i].tier) {
            assert_non_null(q.tier_name);
            assert_string_equal(q.tier_name, cases[i].tier);
            assert_string_equal(lr_qualify_tier_name(f.cfg, (size_t)q.tier), cases[i].tier);
        } else {
            assert_null(q.tier_name);
            assert_int_equal(q.tier, -1);
        }
        if (cases[i].why) assert_string_equal(q.why, cases[i].why);
        assert_null(q.override);
    }
    unload(&f);
}

/* ---- overrides, on the example configuration */

static void test_example_overrides(void **state) {
    (void)state;
    lr_err err = {0};
    lr_cfg_doc *doc = lr_cfg_load("docs/lead-router.example.yaml", &err);
    if (!doc) fail_msg("%s", err.msg);
    lr_qualify_config *cfg =
        lr_qualify_config_parse(lr_cfg_get(lr_cfg_root(doc), "qualification"), &err);
    if (!cfg) fail_msg("%s", err.msg);
    assert_int_equal(lr_qualify_duplicate_window_ms(cfg), 7 * LR_DAY_MS);
    assert_int_equal(lr_qualify_tier_count(cfg), 3);

    lr_lead l;
    lead_init(&l);
    l.consent_known = true;
    l.consent = true;

    /* a plain lead: thresholds */
    lr_qualification q = q_of(cfg, &l, 55);
    assert_int_equal(q.stage, LR_STAGE_MARKETING_QUALIFIED);
    assert_string_equal(q.tier_name, "warm");
    q = q_of(cfg, &l, -25);
    assert_int_equal(q.stage, LR_STAGE_DISQUALIFIED);

    /* a demo request goes to sales at once, as hot, whatever its score */
    l.activities[l.n_activities++] = (lr_activity){LR_ACT_DEMO_REQUEST, NOW, LR_STR_NULL};
    q = q_of(cfg, &l, 5);
    assert_int_equal(q.stage, LR_STAGE_SALES_READY);
    assert_string_equal(q.override, "demo_request_fast_lane");
    assert_string_equal(q.tier_name, "hot");
    assert_string_equal(lr_qualify_tier_name(cfg, (size_t)q.tier), "hot");
    assert_string_equal(q.why, "override demo_request_fast_lane: activity demo_request");

    /* first match wins, and the disqualifying overrides come first: no consent
     * disqualifies even a demo request */
    l.consent = false;
    q = q_of(cfg, &l, 5);
    assert_int_equal(q.stage, LR_STAGE_DISQUALIFIED);
    assert_string_equal(q.override, "no_consent");

    /* without the demo request, no consent disqualifies; the tier stays the score's */
    l.n_activities = 0;
    q = q_of(cfg, &l, 95);
    assert_int_equal(q.stage, LR_STAGE_DISQUALIFIED);
    assert_string_equal(q.override, "no_consent");
    assert_string_equal(q.tier_name, "hot");
    assert_string_equal(q.why, "override no_consent: consent equals false");

    /* unknown consent is not "false" */
    l.consent_known = false;
    q = q_of(cfg, &l, 95);
    assert_int_equal(q.stage, LR_STAGE_SALES_READY);
    assert_null(q.override);

    /* a predicate override on a derived field */
    l.email = S("temp@Mailinator.com");
    q = q_of(cfg, &l, 95);
    assert_int_equal(q.stage, LR_STAGE_DISQUALIFIED);
    assert_string_equal(q.override, "blocked_domain");
    assert_string_equal(q.why,
                        "override blocked_domain: email_domain one_of [mailinator.com, "
                        "example.invalid]");

    lr_qualify_config_free(cfg);
    lr_cfg_free(doc);
}

/* Order is the file's: swapping two overrides swaps the winner. */
static void test_override_order(void **state) {
    (void)state;
    const char *a = "qualification:\n"
                    "  tiers: [{ name: vip, min_score: 1000 }]\n"
                    "  overrides:\n"
                    "    - { name: trial, activity: FREE_TRIAL, stage: marketing_qualified }\n"
                    "    - { name: de, field: country, equals: de, stage: nurture, tier: vip }\n";
    const char *b = "qualification:\n"
                    "  tiers: [{ name: vip, min_score: 1000 }]\n"
                    "  overrides:\n"
                    "    - { name: de, field: country, equals: de, stage: nurture, tier: vip }\n"
                    "    - { name: trial, activity: free_trial, stage: marketing_qualified }\n";
    lr_lead l;
    lead_init(&l);
    l.country = S("DE");
    l.activities[l.n_activities++] = (lr_activity){LR_ACT_FREE_TRIAL, NOW, LR_STR_NULL};
    fixture f;
    lr_err err = {0};

    assert_non_null(load(&f, a, &err));
    lr_qualification q = q_of(f.cfg, &l, 0);
    assert_string_equal(q.override, "trial");
    assert_int_equal(q.stage, LR_STAGE_MARKETING_QUALIFIED);
    assert_null(q.tier_name);
    unload(&f);

    assert_non_null(load(&f, b, &err));
    q = q_of(f.cfg, &l, 0);
    assert_string_equal(q.override, "de");
    assert_int_equal(q.stage, LR_STAGE_NURTURE);
    assert_string_equal(q.tier_name, "vip");
    assert_int_equal(q.tier, 0);

    /* neither matches: thresholds decide */
    l.country = S("FR");
    l.n_activities = 0;
    q = q_of(f.cfg, &l, 61);
    assert_null(q.override);
    assert_int_equal(q.stage, LR_STAGE_SALES_READY);
    unload(&f);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("qualification:\n  overrides:\n"
                 "    - name: x\n      activity: demo_request\n      stage: hot_lead\n",
                 "q.yaml:5: ", "unknown stage 'hot_lead'");
    expect_error("qualification:\n  tiers: [{ name: hot, min_score: 80 }]\n  overrides:\n"
                 "    - name: x\n      activity: demo_request\n      stage: sales_ready\n"
                 "      tier: warm\n",
                 "q.yaml:7: ", "tier 'warm' is not defined");
    expect_error("qualification:\n  marketing_qualified_score: 50\n  sales_ready_score: 40\n",
                 "q.yaml:3: ", "sales_ready_score (40) is below marketing_qualified_score (50)");
    expect_error("qualification:\n  sales_ready_score: 20\n",
                 "q.yaml:2: ", "below marketing_qualified_score (30)");
    expect_error("qualification:\n  disqualify_below: 31\n", "q.yaml:2: ",
                 "disqualify_below (31) is above marketing_qualified_score (30)");
    expect_error("qualification:\n  disqualify_below: low\n", "q.yaml:2: ", "'low'");
    expect_error("qualification:\n  tiers:\n    - { name: hot, min_score: 80 }\n"
                 "    - { name: hot, min_score: 50 }\n",
                 "q.yaml:4: ", "duplicate tier name 'hot'");
    expect_error("qualification:\n  tiers:\n    - { name: hot, min_score: 80 }\n"
                 "    - { name: warm, min_score: 80 }\n",
                 "q.yaml:4: ", "same min_score");
    expect_error("qualification:\n  tiers:\n    - { name: hot }\n", "q.yaml:3: ",
                 "missing required key 'min_score'");
    expect_error("qualification:\n  tier: []\n", "q.yaml:2: ", "unknown key 'tier'");
    expect_error("qualification:\n  overrides:\n    - name: x\n      stage: nurture\n"
                 "      activity: demo_request\n      field: region\n      equals: EU\n",
                 "q.yaml:6: ", "unknown key 'field' in an activity override");
    expect_error("qualification:\n  overrides:\n    - name: x\n      stage: nurture\n",
                 "q.yaml:3: ", "needs either 'activity' or 'field'");
    expect_error("qualification:\n  overrides:\n    - name: x\n      activity: demo\n"
                 "      stage: nurture\n",
                 "q.yaml:4: ", "unknown activity 'demo'");
    expect_error("qualification:\n  overrides:\n    - { activity: demo_request, stage: nurture }\n",
                 "q.yaml:3: ", "without 'name'");
    expect_error("qualification:\n  overrides:\n    - { name: x, activity: demo_request }\n",
                 "q.yaml:3: ", "without 'stage'");
    expect_error("qualification:\n  overrides:\n"
                 "    - { name: x, activity: demo_request, stage: nurture }\n"
                 "    - { name: x, activity: free_trial, stage: nurture }\n",
                 "q.yaml:4: ", "duplicate override name 'x'");
    expect_error("qualification:\n  overrides:\n"
                 "    - { name: x, field: regionn, equals: EU, stage: nurture }\n",
                 "q.yaml:3: ", "unknown field 'regionn'");
    expect_error("qualification:\n  overrides:\n"
                 "    - { name: x, field: region, equals: EU, stage: nurture, points: 3 }\n",
                 "q.yaml:3: ", "unknown key 'points'");
    expect_error("qualification:\n  duplicate_window: soon\n", "q.yaml:2: ", "'soon'");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_thresholds_and_tiers),
        cmocka_unit_test(test_example_overrides),
        cmocka_unit_test(test_override_order),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
