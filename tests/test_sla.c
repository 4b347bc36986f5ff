/* test_sla.c - the SLA engine on its own: rules built as plain structs (no
 * YAML), one record, and what each phase of its clock fires. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"
#include "kpi.h"
#include "records.h"
#include "sla.h"

typedef struct fixture {
    lr_sla_step steps[3];
    lr_sla_policy policy;
    lr_sla_config cfg;
    lr_kpi *kpi;
    lr_records *recs;
    lr_sla *sla;
} fixture;

static void setup_rules(fixture *f, int32_t max_reassignments) {
    f->steps[0] = (lr_sla_step){LR_SLA_NOTIFY_MANAGER, 100, NULL};
    f->steps[1] = (lr_sla_step){LR_SLA_REASSIGN, 100, NULL};
    f->steps[2] = (lr_sla_step){LR_SLA_ESCALATE, 100, "director"};
    f->policy = (lr_sla_policy){.name = "hot", .tier = -1, .team = -1, .calendar = -1,
                                .first_touch = 1000, .warn_offset = 800,
                                .steps = f->steps, .n_steps = 3};
    f->cfg = (lr_sla_config){.policies = &f->policy, .n_policies = 1,
                             .max_reassignments = max_reassignments};
    f->kpi = lr_kpi_new(0, NULL);
    f->recs = lr_records_new(16, 1000);
    f->sla = lr_sla_new(&f->cfg, f->recs, f->kpi, 16);
}

static void teardown_rules(fixture *f) {
    lr_sla_free(f->sla);
    lr_records_free(f->recs);
    lr_kpi_free(f->kpi);
}

static uint32_t assigned(fixture *f, lr_time_ms at) {
    uint32_t idx = lr_records_get(f->recs, (lr_str){"L1", 2}, at);
    lr_lead_rec *r = lr_records_at(f->recs, idx);
    r->state = LR_REC_OPEN;
    r->assigned_at = at;
    lr_sla_start(f->sla, r, idx, at);
    return idx;
}

static lr_sla_fire pop(fixture *f, lr_time_ms now, uint32_t want_idx, int32_t *step) {
    lr_sla_fired fired;
    assert_int_equal(lr_sla_pop(f->sla, now, &fired), want_idx);
    if (step) *step = fired.step;
    return fired.what;
}

static void test_phases_in_order(void **state) {
    fixture f;
    setup_rules(&f, 0);
    uint32_t idx = assigned(&f, 10000);
    const lr_lead_rec *r = lr_records_at(f.recs, idx);
    assert_int_equal(r->due_at, 11000);
    assert_int_equal(lr_sla_next_due(f.sla), 10800);
    assert_int_equal(lr_sla_pop(f.sla, 10799, &(lr_sla_fired){0}), LR_RECORDS_NONE);
    int32_t step = -1;
    assert_int_equal(pop(&f, 10800, idx, &step), LR_SLA_FIRE_WARNING);
    assert_int_equal(pop(&f, 11000, idx, &step), LR_SLA_FIRE_BREACH);
    assert_true(r->flags & LR_REC_BREACHED);
    assert_int_equal(pop(&f, 11100, idx, &step), LR_SLA_FIRE_NOTIFY);
    assert_int_equal(step, 1);
    /* no reassignment allowed: the reassign step escalates to the next
     * escalate step's target and the SLA life ends */
    lr_sla_fired fired;
    assert_int_equal(lr_sla_pop(f.sla, 11200, &fired), idx);
    assert_int_equal(fired.what, LR_SLA_FIRE_ESCALATE);
    assert_string_equal(fired.to, "director");
    assert_true(r->flags & LR_REC_ESCALATED);
    assert_int_equal(r->clock, 0);
    assert_int_equal(lr_sla_open_clocks(f.sla), 0);
    assert_int_equal(lr_sla_next_due(f.sla), LR_TIME_NONE);
    teardown_rules(&f);
}

static void test_reassign_ends_the_clock(void **state) {
    fixture f;
    setup_rules(&f, 1);
    uint32_t idx = assigned(&f, 0);
    const lr_lead_rec *r = lr_records_at(f.recs, idx);
    int32_t step;
    assert_int_equal(pop(&f, 800, idx, NULL), LR_SLA_FIRE_WARNING);
    assert_int_equal(pop(&f, 1000, idx, NULL), LR_SLA_FIRE_BREACH);
    assert_int_equal(pop(&f, 1100, idx, NULL), LR_SLA_FIRE_NOTIFY);
    assert_int_equal(pop(&f, 1200, idx, &step), LR_SLA_FIRE_REASSIGN);
    assert_int_equal(step, 2);
    assert_int_equal(r->reassignments, 1);
    assert_int_equal(r->clock, 0);
    /* the first touch is measured from the assignment */
    assert_int_equal(lr_sla_elapsed(f.sla, r, 1500), 1500);
    teardown_rules(&f);
}

/* Clocks started at the ends of int64, with and without a business calendar:
 * deadlines saturate instead of wrapping, every call returns, and the phases
 * still fire in order when the wheel reaches them. */
static void test_extreme_times(void **state) {
    (void)state;
    lr_tz *utc = lr_tz_utc("UTC");
    lr_calendar cal;
    lr_calendar_init(&cal, "weekdays", utc, 0x3e, 9 * 60, 17 * 60, NULL, 0);
    const lr_time_ms starts[] = {INT64_MAX - 500, INT64_MAX, INT64_MIN + 1, LR_TZ_MAX_MS};
    for (int with_cal = 0; with_cal < 2; with_cal++) {
        for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
            fixture f;
            setup_rules(&f, 0);
            f.cfg.cals = &cal;
            f.cfg.n_cals = 1;
            f.policy.calendar = with_cal ? 0 : -1;
            uint32_t idx = assigned(&f, starts[i]);
            const lr_lead_rec *r = lr_records_at(f.recs, idx);
            /* a calendar clamps to the years it knows; wall-clock time saturates */
            assert_true(r->due_at >= (with_cal ? lr_tz_clamp(starts[i]) : starts[i]));
            assert_true(lr_sla_elapsed(f.sla, r, INT64_MAX) >= 0);
            assert_int_equal(lr_sla_elapsed(f.sla, r, INT64_MIN), 0);
            /* the wheel can reach every deadline: warning, then breach */
            int32_t step;
            assert_int_equal(pop(&f, INT64_MAX, idx, &step), LR_SLA_FIRE_WARNING);
            assert_int_equal(pop(&f, INT64_MAX, idx, &step), LR_SLA_FIRE_BREACH);
            teardown_rules(&f);
        }
    }
    lr_calendar_destroy(&cal);
    lr_tz_free(utc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phases_in_order),
        cmocka_unit_test(test_reassign_ends_the_clock),
        cmocka_unit_test(test_extreme_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
