/* test_diff.c - the diff layer through its public API (diff.h), with
 * decisions built by hand on the rulebooks of tests/diff/weight: pairing,
 * owner, stage and tier changes, flows, the per-lead line and its first
 * differing reason, a side that decides nothing, SLA outcomes, the
 * --fail-if-changed-more-than threshold, and the three renderings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "diff.h"

typedef struct fixture {
    lr_config *before, *after;
    lr_diff *diff;
    lr_out a, z;
    lr_buf leads, report;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof(*f));
    lr_err err = {0};
    f->before = lr_config_load("tests/diff/weight/current.yaml", &err);
    f->after = lr_config_load("tests/diff/weight/proposed.yaml", &err);
    if (!f->before || !f->after) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    f->diff = lr_diff_new(&f->before->rules, &f->after->rules);
    lr_out_init(&f->a);
    lr_out_init(&f->z);
    lr_buf_init(&f->leads);
    lr_buf_init(&f->report);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    lr_diff_free(f->diff);
    lr_out_destroy(&f->a);
    lr_out_destroy(&f->z);
    lr_buf_free(&f->leads);
    lr_buf_free(&f->report);
    lr_config_free(f->before);
    lr_config_free(f->after);
    free(f);
    return 0;
}

static lr_decision *decision(lr_out *o, const char *lead, lr_stage stage, const char *tier,
                             const char *team, const char *rep, double points) {
    lr_decision *d = &lr_out_push(o, LR_EVENT_DECISION)->u.decision;
    d->lead_id = (lr_str){lead, strlen(lead)};
    d->stage = stage;
    d->tier = tier;
    d->team = team;
    d->rep = rep;
    d->cause = LR_CAUSE_NEW;
    lr_decision_add_reason(d, LR_REASON_FIT_RULE, "mid_market_size", NULL, 20, NULL);
    lr_decision_add_reason(d, LR_REASON_FIT_RULE, "decision_maker", NULL, points, NULL);
    return d;
}

static void add(fixture *f) {
    lr_diff_add(f->diff, &f->a, &f->z, &f->leads);
    lr_out_reset(&f->a);
    lr_out_reset(&f->z);
}

static const char *text(fixture *f, int kind) {
    lr_buf_reset(&f->report);
    if (kind == 0) lr_diff_text(f->diff, "current.yaml", "proposed.yaml", &f->report);
    else if (kind == 1) lr_diff_json(f->diff, "current.yaml", "proposed.yaml", &f->report);
    else lr_diff_html(f->diff, "current.yaml", "proposed.yaml", &f->report);
    lr_buf_putc(&f->report, '\0');
    return (const char *)f->report.data;
}

static void same_decisions_change_nothing(void **state) {
    fixture *f = *state;
    decision(&f->a, "L-1", LR_STAGE_MARKETING_QUALIFIED, "warm", NULL, NULL, 20);
    decision(&f->z, "L-1", LR_STAGE_MARKETING_QUALIFIED, "warm", NULL, NULL, 20);
    add(f);
    assert_int_equal(lr_diff_decided(f->diff), 1);
    assert_int_equal(lr_diff_changed(f->diff), 0);
    assert_int_equal(f->leads.len, 0);
    assert_false(lr_diff_changed_more_than(f->diff, 0));
}

static void a_lead_that_moves(void **state) {
    fixture *f = *state;
    decision(&f->a, "L-1", LR_STAGE_MARKETING_QUALIFIED, "warm", NULL, NULL, 20);
    decision(&f->z, "L-1", LR_STAGE_SALES_READY, "warm", "emea_commercial", "greta", 30);
    add(f);
    decision(&f->a, "L-2", LR_STAGE_MARKETING_QUALIFIED, "cold", NULL, NULL, 20);
    decision(&f->z, "L-2", LR_STAGE_MARKETING_QUALIFIED, "cold", NULL, NULL, 20);
    add(f);
    assert_int_equal(lr_diff_decided(f->diff), 2);
    assert_int_equal(lr_diff_changed(f->diff), 1);
    assert_true(lr_diff_changed_more_than(f->diff, 49.9));
    assert_false(lr_diff_changed_more_than(f->diff, 50));
    lr_buf_putc(&f->leads, '\0');
    const char *line = (const char *)f->leads.data;
    assert_non_null(strstr(line, "{\"lead_id\":\"L-1\",\"before\":{\"stage\":\"MARKETING_QUALIFIED\""));
    assert_non_null(strstr(line, "\"after\":{\"stage\":\"SALES_READY\",\"tier\":\"warm\",\"team\":"
                                 "\"emea_commercial\",\"rep\":\"greta\""));
    assert_non_null(strstr(line, "\"first_difference\":{\"index\":1,\"before\":\"FIT_RULE "
                                 "rule=decision_maker points=20\",\"after\":\"FIT_RULE "
                                 "rule=decision_maker points=30\"}}\n"));
    assert_null(strstr(line, "L-2"));
    const char *t = text(f, 0);
    assert_non_null(strstr(t, "leads decided 2: 1 change owner or stage (50.00%); 1 another owner, "
                              "1 another stage, 0 another tier\n"));
    assert_non_null(strstr(t, "  MARKETING_QUALIFIED -> SALES_READY         1\n"));
    assert_non_null(strstr(t, "  (none) -> emea_commercial                1\n"));
    assert_non_null(strstr(t, "    greta                                  0         1        +1\n"));
    const char *j = text(f, 1);
    assert_non_null(strstr(j, "\"decided\":2,\"changed\":1,\"changed_pct\":50.0000"));
    assert_non_null(strstr(j, "\"flows\":[{\"from\":null,\"to\":\"emea_commercial\",\"leads\":1}]"));
}

static void a_side_that_decides_nothing(void **state) {
    fixture *f = *state;
    lr_status *st = &lr_out_push(&f->a, LR_EVENT_STATUS)->u.status;
    st->status = LR_STATUS_DUPLICATE;
    decision(&f->z, "L-9", LR_STAGE_NURTURE, NULL, NULL, NULL, 20);
    add(f);
    assert_int_equal(lr_diff_changed(f->diff), 1);
    lr_buf_putc(&f->leads, '\0');
    assert_non_null(strstr((const char *)f->leads.data, "\"before\":null,\"after\":{\"stage\":\"NURTURE\""));
    assert_non_null(strstr(text(f, 0), "  NONE -> NURTURE                          1\n"));
}

static void sla_outcomes_and_tiers(void **state) {
    fixture *f = *state;
    decision(&f->a, "L-1", LR_STAGE_SALES_READY, "warm", "emea_commercial", "hans", 20);
    decision(&f->z, "L-1", LR_STAGE_SALES_READY, "hot", "emea_commercial", "hans", 30);
    add(f);
    lr_status *st = &lr_out_push(&f->a, LR_EVENT_STATUS)->u.status;
    st->status = LR_STATUS_CONTACTED;
    st->sla_elapsed_ms = 1000;
    st->sla_met = true;
    lr_alert *al = &lr_out_push(&f->z, LR_EVENT_ALERT)->u.alert;
    al->kind = LR_ALERT_BREACH;
    add(f);
    assert_int_equal(lr_diff_decided(f->diff), 1);
    assert_int_equal(lr_diff_changed(f->diff), 0); /* a tier alone is not a change of owner or stage */
    lr_buf_putc(&f->leads, '\0');
    assert_non_null(strstr((const char *)f->leads.data, "\"tier\":\"hot\""));
    const char *j = text(f, 1);
    assert_non_null(strstr(j, "\"tier_changes\":[{\"from\":\"warm\",\"to\":\"hot\",\"leads\":1}]"));
    assert_non_null(strstr(j, "\"sla_breached\":{\"before\":0,\"after\":1}"));
    assert_non_null(strstr(j, "\"sla_met\":{\"before\":1,\"after\":0}"));
}

static void html_is_one_page(void **state) {
    fixture *f = *state;
    decision(&f->a, "L-1", LR_STAGE_MARKETING_QUALIFIED, "warm", NULL, NULL, 20);
    decision(&f->z, "L-1", LR_STAGE_SALES_READY, "warm", "emea_commercial", "greta", 30);
    add(f);
    const char *h = text(f, 2);
    assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(h, "</style></head><body>")); /* the style sheet whole */
    assert_non_null(strstr(h, "<b id=\"changed\">1</b>"));
    assert_non_null(strstr(h, "<svg id=\"chart-reps\""));
    assert_non_null(strstr(h, "<svg id=\"chart-flows\""));
    assert_non_null(strstr(h, "<svg id=\"chart-sla\""));
    /* nothing to fetch: no script, no link, no src= */
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "<link"));
    assert_null(strstr(h, "src="));
    assert_non_null(strstr(h, "</html>\n"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(same_decisions_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(a_lead_that_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(a_side_that_decides_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(sla_outcomes_and_tiers, setup, teardown),
        cmocka_unit_test_setup_teardown(html_is_one_page, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
