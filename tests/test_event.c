/* test_event.c - the output buffer: every pushed event starts cleared (the
 * parts a reader may look at), whatever the slot held before; reasons past
 * the capacity are counted, not written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "out.h"

/* Every byte of [from, to) of the event is zero. */
static void assert_zero(const lr_event *e, size_t from, size_t to) {
    const unsigned char *p = (const unsigned char *)e;
    for (size_t i = from; i < to; i++)
        if (p[i]) fail_msg("byte %zu of a fresh event is 0x%02x", i, p[i]);
}

static void test_push_clears_reused_slots(void **state) {
    (void)state;
    lr_out out;
    lr_out_init(&out);
    for (int round = 0; round < 3; round++) {
        lr_out_reserve(&out, 3);
        /* dirty every slot as a previous batch would have left it */
        memset(out.ev, 0xA5, out.cap * sizeof(lr_event));
        lr_event *d = lr_out_push(&out, LR_EVENT_DECISION);
        lr_event *s = lr_out_push(&out, LR_EVENT_STATUS);
        lr_event *a = lr_out_push(&out, LR_EVENT_ALERT);
        assert_int_equal(out.n, 3);
        assert_int_equal(d->kind, LR_EVENT_DECISION);
        assert_int_equal(s->kind, LR_EVENT_STATUS);
        assert_int_equal(a->kind, LR_EVENT_ALERT);

        /* a decision: everything before the reasons array */
        lr_event ref;
        memset(&ref, 0, sizeof(ref));
        ref.kind = LR_EVENT_DECISION;
        ref.u.decision.sla_due_at = LR_TIME_NONE;
        assert_memory_equal(d, &ref, offsetof(lr_event, u) + offsetof(lr_decision, reasons));
        assert_int_equal(d->u.decision.n_reasons, 0);
        assert_null(d->u.decision.event_id);
        assert_null(d->u.decision.rep);

        /* a status and an alert: the whole struct */
        memset(&ref, 0, sizeof(ref));
        ref.kind = LR_EVENT_STATUS;
        ref.u.status.sla_elapsed_ms = -1;
        assert_memory_equal(s, &ref, offsetof(lr_event, u) + sizeof(lr_status));
        assert_zero(a, sizeof(a->kind), offsetof(lr_event, u) + sizeof(lr_alert));
        assert_null(a->u.alert.addressed_to);
        lr_out_reset(&out);
    }
    lr_out_destroy(&out);
}

static void test_reasons_past_capacity(void **state) {
    (void)state;
    lr_out out;
    lr_out_init(&out);
    lr_decision *d = &lr_out_push(&out, LR_EVENT_DECISION)->u.decision;
    for (int i = 0; i < LR_MAX_REASONS + 5; i++)
        lr_decision_add_reason(d, LR_REASON_FIT_RULE, "r", NULL, i, NULL);
    assert_int_equal(d->n_reasons, LR_MAX_REASONS);
    assert_int_equal(d->reasons_dropped, 5);
    assert_true(d->reasons[LR_MAX_REASONS - 1].points == LR_MAX_REASONS - 1);
    lr_out_destroy(&out);
}

/* One function builds every kind of id; the parse reads back what it built,
 * and the older "<lead>:decision:<seq>" format still reads (without since). */
static void test_event_id_round_trip(void **state) {
    (void)state;
    lr_arena a;
    lr_arena_init(&a, 1024);
    lr_str lead = {"L-1", 3};
    assert_string_equal(lr_event_id(&a, lead, LR_EVENT_DECISION, 3, 1700000000000),
                        "L-1:decision:3@1700000000000");
    assert_string_equal(lr_event_id(&a, lead, LR_EVENT_STATUS, 4, -5), "L-1:status:4@-5");
    assert_string_equal(lr_event_id(&a, lead, LR_EVENT_ALERT, 12, 0), "L-1:alert:12@0");
    int64_t seq = 0, since = 7;
    const char *id = lr_event_id(&a, lead, LR_EVENT_DECISION, 9, 1234);
    assert_int_equal(lr_event_id_parse((lr_str){id, (uint32_t)strlen(id)}, lead,
                                       LR_EVENT_DECISION, &seq, &since), 1);
    assert_int_equal(seq, 9);
    assert_int_equal(since, 1234);
    since = 7;
    assert_int_equal(lr_event_id_parse((lr_str){"L-1:decision:5", 14}, lead, LR_EVENT_DECISION,
                                       &seq, &since), 0);
    assert_int_equal(seq, 5);
    assert_int_equal(since, 7);
    static const char *const bad[] = {"L-1:status:5@1", "L-2:decision:5@1", "L-1:decision:",
                                      "L-1:decision:-5@1", "L-1:decision:5@", "L-1:decision:5@1x",
                                      "L-1:decision:99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(lr_event_id_parse((lr_str){bad[i], (uint32_t)strlen(bad[i])}, lead,
                                           LR_EVENT_DECISION, &seq, &since), -1);
    lr_arena_destroy(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_clears_reused_slots),
        cmocka_unit_test(test_reasons_past_capacity),
        cmocka_unit_test(test_event_id_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
