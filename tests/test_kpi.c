/* test_kpi.c - histograms and percentiles, interning, counters by dimension,
 * and the KPI JSON (no personal data, only names of teams/sources/campaigns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "kpi.h"
#include "kpijson.h"

static void test_hist_exact_small_values(void **state) {
    (void)state;
    lr_hist h;
    memset(&h, 0, sizeof(h));
    assert_int_equal(lr_hist_percentile(&h, 50), 0);
    for (int v = 1; v <= 10; v++) lr_hist_add(&h, v);
    assert_int_equal(h.count, 10);
    assert_int_equal(lr_hist_percentile(&h, 50), 5);
    assert_int_equal(lr_hist_percentile(&h, 90), 9);
    assert_int_equal(lr_hist_percentile(&h, 99), 10);
    assert_int_equal(lr_hist_percentile(&h, 100), 10);
    lr_hist_add(&h, -7); /* clamped to 0 */
    assert_int_equal(h.bucket[0], 1);
}

static void test_hist_relative_error(void **state) {
    (void)state;
    lr_hist *h = calloc(1, sizeof(*h));
    /* 1000 values: 1 s, 2 s, ... 1000 s */
    for (int i = 1; i <= 1000; i++) lr_hist_add(h, (int64_t)i * 1000);
    int64_t p50 = lr_hist_percentile(h, 50), p90 = lr_hist_percentile(h, 90);
    int64_t p99 = lr_hist_percentile(h, 99);
    assert_true(p50 >= 500000 && p50 <= 500000 * 1125 / 1000);
    assert_true(p90 >= 900000 && p90 <= 900000 * 1125 / 1000);
    assert_true(p99 >= 990000 && p99 <= 1000000);           /* capped at max */
    assert_int_equal(lr_hist_percentile(h, 100), 1000000);
    /* huge values land in the last bucket without overflow */
    lr_hist_add(h, INT64_MAX);
    assert_int_equal(h->max, INT64_MAX);
    assert_int_equal(h->bucket[LR_HIST_BUCKETS - 1], 1);
    free(h);
}

static void test_intern(void **state) {
    (void)state;
    const char *teams[] = {"t1", "t2"};
    lr_kpi *k = lr_kpi_new(2, teams);
    uint16_t a = lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"web", 3});
    uint16_t b = lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"event", 5});
    assert_int_not_equal(a, b);
    assert_int_equal(lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"web", 3}), a);
    assert_int_equal(lr_kpi_intern(k, LR_KPI_SOURCE, LR_STR_NULL), LR_KPI_NO_NAME);
    /* separate namespaces per dimension */
    assert_int_equal(lr_kpi_intern(k, LR_KPI_CAMPAIGN, (lr_str){"event", 5}), 1);
    assert_string_equal(lr_kpi_name(k, LR_KPI_SOURCE, b), "event");
    assert_null(lr_kpi_name(k, LR_KPI_SOURCE, LR_KPI_NO_NAME));
    /* many names: the index grows and every id still resolves */
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof(buf), "c%d", i);
        uint16_t id = lr_kpi_intern(k, LR_KPI_CAMPAIGN, (lr_str){buf, (uint32_t)n});
        assert_string_equal(lr_kpi_name(k, LR_KPI_CAMPAIGN, id), buf);
    }
    assert_int_equal(lr_kpi_intern(k, LR_KPI_CAMPAIGN, (lr_str){"c17", 3}), 2 + 17);
    lr_kpi_free(k);
}

/* The index hashes only the ends of a name: names equal there but not in the
 * middle, or differing only in length, still get ids of their own. */
static void test_intern_similar_names(void **state) {
    (void)state;
    const char *teams[] = {"t1"};
    lr_kpi *k = lr_kpi_new(1, teams);
    char buf[64];
    uint16_t ids[300];
    for (int i = 0; i < 300; i++) {
        int n = snprintf(buf, sizeof(buf), "campaign_%03d_spring_2026_paid", i);
        ids[i] = lr_kpi_intern(k, LR_KPI_CAMPAIGN, (lr_str){buf, (uint32_t)n});
        assert_int_equal(ids[i], i + 1); /* ids follow first sight */
    }
    for (int i = 299; i >= 0; i--) {
        int n = snprintf(buf, sizeof(buf), "campaign_%03d_spring_2026_paid", i);
        assert_int_equal(lr_kpi_intern(k, LR_KPI_CAMPAIGN, (lr_str){buf, (uint32_t)n}), ids[i]);
        assert_string_equal(lr_kpi_name(k, LR_KPI_CAMPAIGN, ids[i]), buf);
    }
    /* short names and prefixes of one another */
    uint16_t e = lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"", 0});
    uint16_t a = lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"ab", 2});
    uint16_t ab = lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"abc", 3});
    assert_true(e != a && a != ab && e != ab);
    assert_int_equal(lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"abcdef", 2}), a);
    assert_int_equal(lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"", 0}), e);
    /* a name with a NUL inside is stored cut at it and never matches itself */
    uint16_t z1 = lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"x\0y", 3});
    uint16_t z2 = lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"x\0y", 3});
    assert_int_not_equal(z1, z2);
    assert_string_equal(lr_kpi_name(k, LR_KPI_SOURCE, z1), "x");
    lr_kpi_free(k);
}

static void test_json(void **state) {
    (void)state;
    const char *teams[] = {"emea", "na"};
    lr_kpi *k = lr_kpi_new(2, teams);
    lr_kpi_key key = {1, lr_kpi_intern(k, LR_KPI_SOURCE, (lr_str){"web", 3}),
                      lr_kpi_intern(k, LR_KPI_CAMPAIGN, (lr_str){"spring", 6})};
    lr_kpi_key none = {-1, 0, 0};
    for (int i = 0; i < 4; i++) {
        lr_kpi_stage(k, key, LR_STATUS_ASSIGNED);
        lr_kpi_count(k, key, LR_KPI_HANDED_TO_SALES);
    }
    lr_kpi_stage(k, key, LR_STATUS_ACCEPTED);
    lr_kpi_stage(k, key, LR_STATUS_CONVERTED);
    lr_kpi_value(k, key, 1250.5);
    lr_kpi_count(k, key, LR_KPI_SLA_MET);
    lr_kpi_observe(k, key, LR_KPI_TTFT, 12);
    lr_kpi_stage(k, none, LR_STATUS_NURTURE);
    lr_kpi_count(k, none, LR_KPI_ACT_UNKNOWN_LEAD);
    char *s = lr_kpijson_render(k, 3);
    json_error_t e;
    json_t *o = json_loads(s, 0, &e);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "open_clocks")), 3);
    json_t *st = json_object_get(o, "leads_by_stage");
    assert_int_equal(json_integer_value(json_object_get(st, "assigned")), 4);
    assert_int_equal(json_integer_value(json_object_get(st, "nurture")), 1);
    assert_true(json_real_value(json_object_get(o, "acceptance_rate")) == 0.25);
    assert_true(json_real_value(json_object_get(o, "conversion_rate")) == 0.25);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(o, "time_to_first_touch_ms"), "p50")), 12);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(o, "sales_activity"), "unknown_lead")), 1);
    json_t *na = json_object_get(json_object_get(o, "by_team"), "na");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(na, "sla"), "met")), 1);
    json_t *emea = json_object_get(json_object_get(o, "by_team"), "emea");
    assert_true(json_is_null(json_object_get(emea, "acceptance_rate")));
    json_t *web = json_object_get(json_object_get(o, "by_source"), "web");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(web, "leads_by_stage"), "converted")), 1);
    json_t *spring = json_object_get(json_object_get(o, "by_campaign"), "spring");
    assert_true(json_real_value(json_object_get(spring, "conversion_value")) == 1250.5);
    /* the same state gives the same bytes */
    char *again = lr_kpijson_render(k, 3);
    assert_string_equal(s, again);
    free(again);
    json_decref(o);
    free(s);
    lr_kpi_free(k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_exact_small_values),
        cmocka_unit_test(test_hist_relative_error),
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_intern_similar_names),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
