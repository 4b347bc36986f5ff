/* test_score.c - fit arithmetic, engagement decay and caps, negative signals,
 * the breakdown, configuration errors, and the example configuration itself
 * scored on two realistic leads with totals worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "cfg.h"
#include "rules.h"
#include "lead.h"
#include "score.h"

#define NOW 1795000000000LL /* 2026-11-18T... UTC; any fixed instant will do */
#define EPS 1e-9

/* cmocka 1.1.5 has no assert_double_equal. */
#define assert_near(a, b, eps)                                                       \
    do {                                                                             \
        double a_ = (a), b_ = (b);                                                   \
        if (!(fabs(a_ - b_) <= (eps)))                                               \
            fail_msg("%s = %.17g, expected %.17g (line %d)", #a, a_, b_, __LINE__); \
    } while (0)

static lr_str S(const char *s) { return (lr_str){s, (uint32_t)strlen(s)}; }

static void lead_init(lr_lead *l) {
    memset(l, 0, sizeof(*l));
    l->lead_id = S("L1");
    l->event_time = NOW;
    l->company_size = -1;
    l->annual_revenue = -1;
}

static void add_act(lr_lead *l, lr_activity_type t, lr_time_ms at) {
    l->activities[l->n_activities++] = (lr_activity){t, at, LR_STR_NULL};
}

typedef struct fixture {
    lr_cfg_doc *doc;
    lr_score_config *cfg;
} fixture;

/* Parses `yaml` (a document whose top-level key is `scoring:`). */
static lr_score_config *load(fixture *f, const char *yaml, lr_err *err) {
    f->doc = lr_cfg_load_string("s.yaml", yaml, err);
    assert_non_null(f->doc);
    f->cfg = lr_score_config_parse(lr_cfg_get(lr_cfg_root(f->doc), "scoring"), err);
    return f->cfg;
}

static void unload(fixture *f) {
    lr_score_config_free(f->cfg);
    lr_cfg_free(f->doc);
    memset(f, 0, sizeof(*f));
}

static void expect_error(const char *yaml, const char *want_prefix, const char *part) {
    fixture f;
    lr_err err = {0};
    if (load(&f, yaml, &err)) fail_msg("expected an error for:\n%s", yaml);
    if (strncmp(err.msg, want_prefix, strlen(want_prefix)) != 0 || !strstr(err.msg, part))
        fail_msg("error '%s' lacks '%s' / '%s'", err.msg, want_prefix, part);
    unload(&f);
}

static const lr_score_hit *find_hit(const lr_score *s, const char *rule) {
    for (uint32_t i = 0; i < s->n_hits; i++)
        if (strcmp(s->hits[i].rule, rule) == 0) return &s->hits[i];
    return NULL;
}

static void test_no_section(void **state) {
    (void)state;
    lr_err err = {0};
    lr_score_config *cfg = lr_score_config_parse(NULL, &err);
    assert_non_null(cfg);
    lr_lead l;
    lead_init(&l);
    add_act(&l, LR_ACT_DEMO_REQUEST, NOW);
    lr_score s;
    lr_score_compute(cfg, &l, NOW, &s);
    assert_true(s.fit == 0 && s.engagement == 0 && s.total == 0);
    assert_int_equal(s.n_hits, 0);
    lr_score_config_free(cfg);
}

static void test_fit_arithmetic(void **state) {
    (void)state;
    fixture f;
    lr_err err = {0};
    static const char *yaml =
        "scoring:\n"
        "  fit:\n"
        "    - { name: big, field: company_size, range: { min: 100 }, points: 12.5 }\n"
        "    - { name: saas, field: industry, equals: saas, points: 10 }\n"
        "    - { name: gmail, field: email_domain, equals: gmail.com, points: -7 }\n"
        "    - { name: de, field: country, equals: DE, points: 3 }\n";
    assert_non_null(load(&f, yaml, &err));
    lr_lead l;
    lead_init(&l);
    l.company_size = 150;
    l.industry = S("SaaS");
    l.email = S("x@gmail.com");
    lr_score s;
    lr_score_compute(f.cfg, &l, NOW, &s);
    /* 12.5 + 10 - 7 = 15.5; country absent */
    assert_near(s.fit, 15.5, EPS);
    assert_near(s.engagement, 0, EPS);
    assert_near(s.total, 15.5, EPS);
    assert_int_equal(s.n_hits, 3);
    assert_string_equal(s.hits[0].rule, "big");
    assert_string_equal(s.hits[1].rule, "saas");
    assert_string_equal(s.hits[2].rule, "gmail");
    assert_near(s.hits[2].points, -7, EPS);
    assert_true(s.hits[2].negative);
    assert_false(s.hits[0].negative);
    assert_false(s.hits[0].engagement);
    unload(&f);
}

static const char *decay_yaml =
    "scoring:\n"
    "  engagement:\n"
    "    half_life: 1d\n"
    "    rules:\n"
    "      - { activity: webinar_attended, points: 16 }\n"
    "      - { activity: pricing_page, points: 10, cap: 25 }\n"
    "      - { activity: EMAIL_BOUNCED, points: -10, cap: 15 }\n"
    "      - { activity: unsubscribe, points: -8 }\n";

static void test_decay(void **state) {
    (void)state;
    fixture f;
    lr_err err = {0};
    assert_non_null(load(&f, decay_yaml, &err));
    lr_lead l;
    lr_score s;

    lead_init(&l);
    add_act(&l, LR_ACT_WEBINAR_ATTENDED, NOW - LR_DAY_MS); /* one half-life: 8 */
    lr_score_compute(f.cfg, &l, NOW, &s);
    assert_near(s.engagement, 8, EPS);

    lead_init(&l);
    add_act(&l, LR_ACT_WEBINAR_ATTENDED, NOW - 2 * LR_DAY_MS); /* two: 4 */
    lr_score_compute(f.cfg, &l, NOW, &s);
    assert_near(s.engagement, 4, EPS);

    lead_init(&l);
    add_act(&l, LR_ACT_WEBINAR_ATTENDED, NOW - 12 * LR_HOUR_MS); /* half: 16/sqrt(2) */
    lr_score_compute(f.cfg, &l, NOW, &s);
    assert_near(s.engagement, 16 / sqrt(2), EPS);

    /* the same lead later is worth less: decay is continuous */
    lr_score later;
    lr_score_compute(f.cfg, &l, NOW + LR_HOUR_MS, &later);
    assert_true(later.engagement < s.engagement);

    /* future activities (clock skew) count in full */
    lead_init(&l);
    add_act(&l, LR_ACT_WEBINAR_ATTENDED, NOW + 5 * LR_DAY_MS);
    lr_score_compute(f.cfg, &l, NOW, &s);
    assert_near(s.engagement, 16, EPS);
    unload(&f);
}

static void test_caps_and_negative(void **state) {
    (void)state;
    fixture f;
    lr_err err = {0};
    assert_non_null(load(&f, decay_yaml, &err));
    lr_lead l;
    lr_score s;

    lead_init(&l);
    for (int i = 0; i < 5; i++) add_act(&l, LR_ACT_PRICING_PAGE, NOW); /* 50, cap 25 */
    add_act(&l, LR_ACT_EMAIL_BOUNCED, NOW);                             /* -10 */
    add_act(&l, LR_ACT_EMAIL_BOUNCED, NOW);                             /* -20 -> floor -15 */
    add_act(&l, LR_ACT_UNSUBSCRIBE, NOW - LR_DAY_MS);                   /* -4, no cap */
    add_act(&l, LR_ACT_UNSUBSCRIBE, NOW - LR_DAY_MS);                   /* -8 total */
    add_act(&l, LR_ACT_PAGE_VIEW, NOW);                                 /* no rule */
    lr_score_compute(f.cfg, &l, NOW, &s);
    /* 25 - 15 - 8 = 2 */
    assert_near(s.engagement, 2, EPS);
    assert_near(s.total, 2, EPS);
    assert_int_equal(s.n_hits, 3); /* one per type with a rule, none for page_view */
    /* breakdown in rule order */
    assert_string_equal(s.hits[0].rule, "pricing_page");
    assert_near(s.hits[0].points, 25, EPS);
    assert_true(s.hits[0].engagement);
    assert_false(s.hits[0].negative);
    assert_string_equal(s.hits[1].rule, "email_bounced");
    assert_near(s.hits[1].points, -15, EPS);
    assert_true(s.hits[1].negative);
    assert_string_equal(s.hits[2].rule, "unsubscribe");
    assert_near(s.hits[2].points, -8, EPS);
    assert_null(find_hit(&s, "page_view"));

    /* under the cap nothing is clipped */
    lead_init(&l);
    add_act(&l, LR_ACT_PRICING_PAGE, NOW);
    add_act(&l, LR_ACT_PRICING_PAGE, NOW - LR_DAY_MS);
    lr_score_compute(f.cfg, &l, NOW, &s);
    assert_near(s.engagement, 15, EPS);
    unload(&f);
}

static void test_default_half_life(void **state) {
    (void)state;
    fixture f;
    lr_err err = {0};
    assert_non_null(load(&f,
                         "scoring:\n"
                         "  engagement:\n"
                         "    rules: [{ activity: free_trial, points: 20 }]\n",
                         &err));
    lr_lead l;
    lead_init(&l);
    add_act(&l, LR_ACT_FREE_TRIAL, NOW - 14 * LR_DAY_MS);
    lr_score s;
    lr_score_compute(f.cfg, &l, NOW, &s);
    assert_near(s.engagement, 10, EPS);
    unload(&f);
}

/* More hits than the breakdown holds: the first are kept, every point counts. */
static void test_hits_overflow(void **state) {
    (void)state;
    enum { N = LR_MAX_SCORE_HITS + 12 };
    char *yaml = malloc(64 * N + 64);
    assert_non_null(yaml);
    size_t off = (size_t)sprintf(yaml, "scoring:\n  fit:\n");
    for (int i = 0; i < N; i++)
        off += (size_t)sprintf(yaml + off,
                               "    - { name: r%d, field: region, equals: EU, points: 1 }\n", i);
    off += (size_t)sprintf(yaml + off, "  engagement:\n    rules:\n"
                                       "      - { activity: demo_request, points: 5 }\n");
    fixture f;
    lr_err err = {0};
    assert_non_null(load(&f, yaml, &err));
    lr_lead l;
    lead_init(&l);
    l.region = S("EU");
    add_act(&l, LR_ACT_DEMO_REQUEST, NOW);
    lr_score s;
    lr_score_compute(f.cfg, &l, NOW, &s);
    assert_int_equal(s.n_hits, LR_MAX_SCORE_HITS);
    assert_string_equal(s.hits[0].rule, "r0");
    assert_string_equal(s.hits[LR_MAX_SCORE_HITS - 1].rule, "r47");
    assert_near(s.fit, N, EPS);
    assert_near(s.total, N + 5, EPS);
    unload(&f);
    free(yaml);
}

/* Same input, same bits: the score is a pure function of (config, lead, now). */
static void test_deterministic(void **state) {
    (void)state;
    fixture f;
    lr_err err = {0};
    assert_non_null(load(&f, decay_yaml, &err));
    lr_lead l;
    lead_init(&l);
    for (int i = 0; i < 7; i++) add_act(&l, LR_ACT_WEBINAR_ATTENDED, NOW - i * 3333333LL);
    lr_score a, b;
    lr_score_compute(f.cfg, &l, NOW, &a);
    lr_score_compute(f.cfg, &l, NOW, &b);
    assert_memory_equal(&a.total, &b.total, sizeof(double));
    assert_memory_equal(&a.engagement, &b.engagement, sizeof(double));
    unload(&f);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("scoring:\n  fit:\n    - { name: a, field: region, equals: EU, points: 1 }\n"
                 "    - { name: a, field: region, equals: NA, points: 1 }\n",
                 "s.yaml:4: ", "duplicate fit rule name 'a'");
    expect_error("scoring:\n  fit:\n    - { name: a, field: region, equals: EU }\n",
                 "s.yaml:3: ", "without 'points'");
    expect_error("scoring:\n  fit:\n    - { field: region, equals: EU, points: 1 }\n",
                 "s.yaml:3: ", "without 'name'");
    expect_error("scoring:\n  fit:\n    - name: a\n      field: regio\n      equals: EU\n"
                 "      points: 1\n",
                 "s.yaml:4: ", "unknown field 'regio'");
    expect_error("scoring:\n  fit:\n    - name: a\n      field: region\n      equals: EU\n"
                 "      points: lots\n",
                 "s.yaml:6: ", "'lots' is not a number");
    expect_error("scoring:\n  fit:\n    - name: a\n      field: region\n      equals: EU\n"
                 "      points: 1\n      weight: 2\n",
                 "s.yaml:7: ", "unknown key 'weight'");
    expect_error("scoring:\n  fits: []\n", "s.yaml:2: ", "unknown key 'fits'");
    expect_error("scoring:\n  engagement:\n    half_life: 0\n", "s.yaml:3: ",
                 "half_life must be longer than 0");
    expect_error("scoring:\n  engagement:\n    half_life: 2 days\n", "s.yaml:3: ", "2 days");
    expect_error("scoring:\n  engagement:\n    rules:\n"
                 "      - { activity: demo_requested, points: 1 }\n",
                 "s.yaml:4: ", "unknown activity 'demo_requested' (known: other, demo_request");
    expect_error("scoring:\n  engagement:\n    rules:\n"
                 "      - { activity: demo_request, points: 1 }\n"
                 "      - { activity: demo_request, points: 2 }\n",
                 "s.yaml:5: ", "two engagement rules");
    expect_error("scoring:\n  engagement:\n    rules:\n"
                 "      - { activity: demo_request, points: 1, cap: 0 }\n",
                 "s.yaml:4: ", "cap must be positive");
    expect_error("scoring:\n  engagement:\n    rules:\n"
                 "      - { activity: demo_request, points: 1, decay: 2 }\n",
                 "s.yaml:4: ", "unknown key 'decay'");
    expect_error("scoring:\n  engagement:\n    rules:\n"
                 "      - { activity: demo_request }\n",
                 "s.yaml:4: ", "missing required key 'points'");
}

/* ---- the example configuration, scored by hand */

typedef struct example {
    lr_cfg_doc *doc;
    lr_score_config *cfg;
} example;

static int example_setup(void **state) {
    static example ex;
    lr_err err = {0};
    ex.doc = lr_cfg_load("docs/lead-router.example.yaml", &err);
    if (!ex.doc) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    ex.cfg = lr_score_config_parse(lr_cfg_get(lr_cfg_root(ex.doc), "scoring"), &err);
    if (!ex.cfg) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *state = &ex;
    return 0;
}

static int example_teardown(void **state) {
    example *ex = *state;
    lr_score_config_free(ex->cfg);
    lr_cfg_free(ex->doc);
    return 0;
}

/* An enterprise VP at a software company in North America.
 *   fit:  enterprise_size 30 (2500 >= 1000), target_industry 15 ("Software"),
 *         decision_maker 20 ("VP ..." matches the (?i) regex), us_or_eu 5 (NA),
 *         has_phone 5, enterprise_plan_interest 10 (attrs.plan = Enterprise)
 *         = 85; mid_market, free_mail, competitor, student do not match.
 *   engagement (half-life 14d):
 *         demo_request 14 days old: 40 * 0.5 = 20 (cap 40)
 *         pricing_page 4x now: 40, capped at 30
 *         email_open 28 days old: 1 * 0.25 = 0.25
 *         page_view: no rule, 0
 *         = 50.25
 *   total = 135.25 */
static void test_example_enterprise_lead(void **state) {
    example *ex = *state;
    lr_lead l;
    lead_init(&l);
    l.company_size = 2500;
    l.industry = S("Software");
    l.job_title = S("VP Engineering");
    l.region = S("NA");
    l.phone = S("+1 555 0100");
    l.email = S("jane@bigcorp.com");
    l.attrs[0] = (lr_attr){S("plan"), S("Enterprise")};
    l.n_attrs = 1;
    add_act(&l, LR_ACT_DEMO_REQUEST, NOW - 14 * LR_DAY_MS);
    for (int i = 0; i < 4; i++) add_act(&l, LR_ACT_PRICING_PAGE, NOW);
    add_act(&l, LR_ACT_EMAIL_OPEN, NOW - 28 * LR_DAY_MS);
    add_act(&l, LR_ACT_PAGE_VIEW, NOW);
    lr_score s;
    lr_score_compute(ex->cfg, &l, NOW, &s);
    assert_near(s.fit, 85, EPS);
    assert_near(s.engagement, 50.25, EPS);
    assert_near(s.total, 135.25, EPS);

    static const struct {
        const char *rule;
        double points;
        bool engagement;
    } want[] = {
        {"enterprise_size", 30, false}, {"target_industry", 15, false},
        {"decision_maker", 20, false},  {"us_or_eu", 5, false},
        {"has_phone", 5, false},        {"enterprise_plan_interest", 10, false},
        {"demo_request", 20, true},     {"pricing_page", 30, true},
        {"email_open", 0.25, true},
    };
    assert_int_equal(s.n_hits, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_string_equal(s.hits[i].rule, want[i].rule);
        assert_near(s.hits[i].points, want[i].points, EPS);
        assert_int_equal(s.hits[i].engagement, want[i].engagement);
        assert_false(s.hits[i].negative);
    }
}

/* A student on a free mail address who unsubscribed.
 *   fit:  free_mail -20 (gmail.com), student -30 ("Student assistant")
 *         = -50; no size, industry "Education", region APAC, no phone.
 *   engagement:
 *         content_download 42 days (3 half-lives) old: 8 / 8 = 1
 *         unsubscribe 7 days old: -25 * 2^-0.5 = -17.677669529663689
 *         email_bounced now: -15
 *         = -31.677669529663689
 *   total = -81.677669529663689 */
static void test_example_student_lead(void **state) {
    example *ex = *state;
    lr_lead l;
    lead_init(&l);
    l.industry = S("Education");
    l.job_title = S("Student assistant");
    l.region = S("APAC");
    l.email = S("bob@GMAIL.com");
    add_act(&l, LR_ACT_UNSUBSCRIBE, NOW - 7 * LR_DAY_MS);
    add_act(&l, LR_ACT_EMAIL_BOUNCED, NOW);
    add_act(&l, LR_ACT_CONTENT_DOWNLOAD, NOW - 42 * LR_DAY_MS);
    lr_score s;
    lr_score_compute(ex->cfg, &l, NOW, &s);
    double unsub = -25.0 / sqrt(2.0);
    assert_near(unsub, -17.677669529663689, 1e-12);
    assert_near(s.fit, -50, EPS);
    assert_near(s.engagement, 1 + unsub - 15, EPS);
    assert_near(s.total, -81.677669529663689, EPS);
    assert_int_equal(s.n_hits, 5);
    assert_string_equal(s.hits[0].rule, "free_mail");
    assert_string_equal(s.hits[1].rule, "student");
    assert_string_equal(s.hits[2].rule, "content_download");
    assert_near(s.hits[2].points, 1, EPS);
    assert_string_equal(s.hits[3].rule, "unsubscribe");
    assert_true(s.hits[3].negative && s.hits[3].engagement);
    assert_string_equal(s.hits[4].rule, "email_bounced");
    assert_near(s.hits[4].points, -15, EPS);
}

/* The competitor rule's -100 outweighs everything a competitor might do. */
static void test_example_competitor(void **state) {
    example *ex = *state;
    lr_lead l;
    lead_init(&l);
    l.email = S("spy@research.competitor.example");
    l.company_size = 500; /* mid_market_size 20 */
    add_act(&l, LR_ACT_CONTACT_SALES, NOW); /* 35 */
    lr_score s;
    lr_score_compute(ex->cfg, &l, NOW, &s);
    assert_near(s.fit, 20 - 100, EPS);
    assert_near(s.total, 20 - 100 + 35, EPS);
    const lr_score_hit *h = find_hit(&s, "competitor");
    assert_non_null(h);
    assert_true(h->negative);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_section),
        cmocka_unit_test(test_fit_arithmetic),
        cmocka_unit_test(test_decay),
        cmocka_unit_test(test_caps_and_negative),
        cmocka_unit_test(test_default_half_life),
        cmocka_unit_test(test_hits_overflow),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_errors),
    };
    const struct CMUnitTest example_tests[] = {
        cmocka_unit_test(test_example_enterprise_lead),
        cmocka_unit_test(test_example_student_lead),
        cmocka_unit_test(test_example_competitor),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("example", example_tests, example_setup,
                                          example_teardown);
    return failed;
}
