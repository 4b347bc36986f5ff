/* test_lead.c - the input contract shared by the Avro decoder (Kafka) and the
 * JSON-lines reader (replay): ids, the time bounds, numeric limits, sales
 * activity requirements; and the field names and accessors rules use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lead.h"

static lr_str S(const char *s) { return (lr_str){s, (uint32_t)strlen(s)}; }

#define T_2026 1795169700000LL /* 2026-11-20T10:15:00Z */

static void valid_lead(lr_lead *l) {
    memset(l, 0, sizeof(*l));
    l->lead_id = S("L-1");
    l->event_time = T_2026;
    l->company_size = l->annual_revenue = -1;
    l->n_activities = 1;
    l->activities[0] = (lr_activity){LR_ACT_DEMO_REQUEST, T_2026 - 1000, LR_STR_NULL};
}

static void valid_sales(lr_sales_activity *a) {
    memset(a, 0, sizeof(*a));
    a->activity_id = S("A-1");
    a->lead_id = S("L-1");
    a->kind = LR_SALES_CONTACTED;
    a->rep_id = S("alice");
    a->occurred_at = T_2026;
}

/* part NULL: the event must pass; else the reason must contain part. */
static void expect_why(const char *why, const char *part) {
    if (!part) {
        if (why) fail_msg("unexpected violation: %s", why);
        return;
    }
    if (!why) fail_msg("expected a violation containing '%s'", part);
    if (!strstr(why, part)) fail_msg("'%s' lacks '%s'", why, part);
}

#define expect_lead(l, part) expect_why(lr_lead_contract_violation(l), part)
#define expect_sales(a, part) expect_why(lr_sales_contract_violation(a), part)

static void test_time_bounds(void **state) {
    (void)state;
    assert_false(lr_lead_time_in_range(LR_TIME_NONE));
    assert_false(lr_lead_time_in_range(0));
    assert_false(lr_lead_time_in_range(1795169700LL)); /* epoch seconds */
    assert_false(lr_lead_time_in_range(LR_TIME_MIN_VALID - 1));
    assert_true(lr_lead_time_in_range(LR_TIME_MIN_VALID));
    assert_true(lr_lead_time_in_range(T_2026));
    assert_true(lr_lead_time_in_range(LR_TIME_END_VALID - 1)); /* 9999-12-31T23:59:59.999Z */
    assert_false(lr_lead_time_in_range(LR_TIME_END_VALID));
    assert_false(lr_lead_time_in_range(INT64_MAX));
    /* the bounds are the instants their comments name */
    assert_int_equal(LR_TIME_MIN_VALID, (lr_time_ms)10957 * LR_DAY_MS);
    assert_int_equal(LR_TIME_END_VALID, (lr_time_ms)2932897 * LR_DAY_MS);
}

static void test_lead_contract(void **state) {
    (void)state;
    lr_lead l;
    valid_lead(&l);
    expect_lead(&l, NULL);

    l.event_time = 1795169700LL; /* seconds where milliseconds are expected */
    expect_lead(&l, "event_time is before 2000-01-01: seconds given where milliseconds are "
                    "expected?");
    l.event_time = 0;
    expect_lead(&l, "event_time is before 2000-01-01");
    l.event_time = -1;
    expect_lead(&l, "event_time is before 2000-01-01");
    l.event_time = LR_TIME_MIN_VALID;
    expect_lead(&l, NULL);
    l.event_time = LR_TIME_END_VALID - 1;
    expect_lead(&l, NULL);
    l.event_time = LR_TIME_END_VALID;
    expect_lead(&l, "event_time is after 9999-12-31");

    valid_lead(&l);
    l.activities[0].at = 1795169700LL;
    expect_lead(&l, "activities[].at is before 2000-01-01");
    l.activities[0].at = INT64_MAX;
    expect_lead(&l, "activities[].at is after 9999-12-31");
    /* every kept activity is checked, not only the first */
    valid_lead(&l);
    l.n_activities = 3;
    l.activities[1] = l.activities[0];
    l.activities[2] = (lr_activity){LR_ACT_OTHER, 5, LR_STR_NULL};
    expect_lead(&l, "activities[].at is before 2000-01-01");

    valid_lead(&l);
    l.company_size = -1; /* -1 is unknown, on both paths */
    l.annual_revenue = -1;
    expect_lead(&l, NULL);
    l.company_size = -2;
    expect_lead(&l, "company_size is negative");
    l.company_size = 10;
    l.annual_revenue = -2;
    expect_lead(&l, "annual_revenue is negative");
}

static void test_lead_ids(void **state) {
    (void)state;
    lr_lead l;
    valid_lead(&l);
    l.lead_id = LR_STR_NULL;
    expect_lead(&l, "lead_id is missing");
    l.lead_id = S("");
    expect_lead(&l, "lead_id is missing");
    char id[LR_MAX_ID_LEN + 2];
    memset(id, 'x', sizeof(id) - 1);
    id[LR_MAX_ID_LEN] = '\0';
    l.lead_id = S(id);
    expect_lead(&l, NULL);
    id[LR_MAX_ID_LEN] = 'x';
    id[LR_MAX_ID_LEN + 1] = '\0';
    l.lead_id = S(id);
    expect_lead(&l, "longer than 64 bytes");
    l.lead_id = S("a b");
    expect_lead(&l, "whitespace or control");
    l.lead_id = S("a\x7f");
    expect_lead(&l, "whitespace or control");
    /* the id is checked before the time: one reason, the first */
    l.event_time = 0;
    expect_lead(&l, "lead_id");
}

static void test_sales_contract(void **state) {
    (void)state;
    lr_sales_activity a;
    valid_sales(&a);
    expect_sales(&a, NULL);
    a.occurred_at = 1795169700LL;
    expect_sales(&a, "occurred_at is before 2000-01-01: seconds given where milliseconds are "
                     "expected?");
    a.occurred_at = LR_TIME_END_VALID;
    expect_sales(&a, "occurred_at is after 9999-12-31");
    a.occurred_at = LR_TIME_MIN_VALID;
    expect_sales(&a, NULL);

    valid_sales(&a);
    a.lead_id = S("");
    expect_sales(&a, "lead_id is missing");
    valid_sales(&a);
    a.activity_id = LR_STR_NULL;
    expect_sales(&a, "activity_id is missing");
    valid_sales(&a);
    a.rep_id = S("");
    expect_sales(&a, "rep_id is missing");
    valid_sales(&a);
    a.kind = LR_SALES__COUNT;
    expect_sales(&a, "kind is not a known");
}

static void test_fields_and_names(void **state) {
    (void)state;
    lr_field_ref ref;
    assert_true(lr_field_resolve("industry", &ref));
    assert_int_equal(ref.field, LR_FIELD_INDUSTRY);
    assert_true(lr_field_resolve("attrs.plan", &ref));
    assert_int_equal(ref.field, LR_FIELD_ATTR);
    assert_string_equal(ref.attr_key, "plan");
    assert_false(lr_field_resolve("attrs.", &ref));
    assert_false(lr_field_resolve("colour", &ref));
    assert_false(lr_field_resolve(NULL, &ref));

    lr_lead l;
    valid_lead(&l);
    l.email = S("ann@acme.example");
    l.company_size = 450;
    l.n_attrs = 1;
    l.attrs[0] = (lr_attr){S("plan"), S("pro")};
    assert_true(lr_field_resolve("email_domain", &ref));
    assert_string_equal(lr_lead_string(&l, &ref).s, "acme.example");
    assert_true(lr_field_resolve("attrs.plan", &ref));
    assert_string_equal(lr_lead_string(&l, &ref).s, "pro");
    double v;
    assert_true(lr_field_resolve("company_size", &ref));
    assert_true(lr_lead_number(&l, &ref, &v));
    assert_true(v == 450);
    assert_true(lr_field_resolve("annual_revenue", &ref));
    assert_false(lr_lead_number(&l, &ref, &v)); /* -1: unknown */

    lr_activity_type t;
    assert_true(lr_activity_type_parse("DEMO_REQUEST", &t));
    assert_int_equal(t, LR_ACT_DEMO_REQUEST);
    assert_string_equal(lr_activity_type_name(t), "demo_request");
    assert_false(lr_activity_type_parse("fax", &t));
    lr_sales_kind k;
    assert_true(lr_sales_kind_parse("Converted", &k));
    assert_int_equal(k, LR_SALES_CONVERTED);
    assert_string_equal(lr_sales_kind_name(k), "converted");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_bounds),
        cmocka_unit_test(test_lead_contract),
        cmocka_unit_test(test_lead_ids),
        cmocka_unit_test(test_sales_contract),
        cmocka_unit_test(test_fields_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
