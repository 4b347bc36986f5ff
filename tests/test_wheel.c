/* test_wheel.c - the SLA timing wheel: order, never early, cascading from far
 * levels, stop/rearm anywhere, exact next_due. A brute-force model checks the
 * randomized runs clock by clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wheel.h"

/* xorshift64*: the tests must be reproducible, so no rand() */
static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void test_same_due_in_start_order(void **state) {
    (void)state;
    lr_wheel *w = lr_wheel_new(0);
    lr_wheel_advance(w, 1000);
    uint32_t a = lr_wheel_start(w, 1030, 1);
    uint32_t b = lr_wheel_start(w, 1010, 2);
    uint32_t c = lr_wheel_start(w, 1020, 3);
    uint32_t d = lr_wheel_start(w, 1010, 4);
    assert_int_equal(lr_wheel_count(w), 4);
    assert_int_equal(lr_wheel_pop(w, 1009), LR_WHEEL_NONE);
    assert_int_equal(lr_wheel_next_due(w), 1010);
    assert_int_equal(lr_wheel_pop(w, 1010), b);
    assert_int_equal(lr_wheel_pop(w, 1010), d);
    assert_int_equal(lr_wheel_pop(w, 1010), LR_WHEEL_NONE);
    assert_int_equal(lr_wheel_data(w, d), 4);
    assert_int_equal(lr_wheel_due(w, d), 1010);
    lr_wheel_stop(w, b);
    lr_wheel_stop(w, d);
    assert_int_equal(lr_wheel_pop(w, 5000), c);
    assert_int_equal(lr_wheel_pop(w, 5000), a);
    assert_int_equal(lr_wheel_pop(w, 5000), LR_WHEEL_NONE);
    lr_wheel_stop(w, a);
    lr_wheel_stop(w, c);
    assert_int_equal(lr_wheel_count(w), 0);
    assert_int_equal(lr_wheel_next_due(w), LR_TIME_NONE);
    lr_wheel_free(w);
}

/* Clocks due already (at or before the wheel's time) are ready at once, and a
 * clock due between the wheel's time and `now` of a later pop is not skipped. */
static void test_due_in_past_and_stop_ready(void **state) {
    (void)state;
    lr_wheel *w = lr_wheel_new(4);
    lr_wheel_advance(w, 10000);
    uint32_t late = lr_wheel_start(w, 9000, 1);
    uint32_t gone = lr_wheel_start(w, 9500, 2);
    uint32_t soon = lr_wheel_start(w, 10001, 3);
    assert_int_equal(lr_wheel_next_due(w), 9000);
    lr_wheel_stop(w, gone); /* stopped while ready: must never come out */
    assert_int_equal(lr_wheel_pop(w, 8000), LR_WHEEL_NONE); /* now before its due */
    assert_int_equal(lr_wheel_pop(w, 10000), late);
    assert_int_equal(lr_wheel_pop(w, 10000), LR_WHEEL_NONE);
    assert_int_equal(lr_wheel_pop(w, 10001), soon);
    lr_wheel_stop(w, late);
    lr_wheel_stop(w, soon);
    lr_wheel_free(w);
}

/* Far-future clocks start on high levels and cascade down as time passes; each
 * fires at exactly its due instant, whether time moves in small steps or one
 * jump. */
static void run_far(lr_time_ms step) {
    const lr_time_ms t0 = 1764000000000LL; /* Nov 2025 */
    const lr_time_ms offs[] = {1,
                               63,
                               64,
                               LR_SECOND_MS,
                               4095,
                               4096,
                               LR_HOUR_MS + 7,
                               30 * LR_DAY_MS + 3,
                               3650 * LR_DAY_MS + 11,
                               73000LL * LR_DAY_MS + 13};
    const size_t n = sizeof(offs) / sizeof(offs[0]);
    lr_wheel *w = lr_wheel_new(0);
    lr_wheel_advance(w, t0);
    for (size_t i = n; i-- > 0;) lr_wheel_start(w, t0 + offs[i], (uint32_t)i);
    size_t fired = 0;
    lr_time_ms now = t0;
    for (int guard = 0; fired < n; guard++) {
        assert_true(guard < 100000); /* a clock that never fires fails, not hangs */
        lr_time_ms next = lr_wheel_next_due(w);
        assert_int_equal(next, t0 + offs[fired]);
        /* small steps: walk up to it; big step: jump straight past it */
        lr_time_ms target = step ? now + step : next;
        if (step && target > next) target = next;
        if (step && next - now > 1000 * step) target = next - 1; /* skip the long gaps */
        now = target;
        uint32_t id;
        while ((id = lr_wheel_pop(w, now)) != LR_WHEEL_NONE) {
            assert_true(lr_wheel_due(w, id) <= now);
            assert_int_equal(lr_wheel_data(w, id), fired);
            assert_int_equal(lr_wheel_due(w, id), now); /* fired at its instant, not later */
            lr_wheel_stop(w, id);
            fired++;
        }
    }
    assert_int_equal(lr_wheel_count(w), 0);
    lr_wheel_free(w);
}

static void test_far_future_cascade(void **state) {
    (void)state;
    run_far(0);
    run_far(1);
    run_far(37);
}

/* Whole range: negative times and keys whose top bits differ from the wheel's. */
static void test_extreme_times(void **state) {
    (void)state;
    lr_wheel *w = lr_wheel_new(0);
    lr_wheel_advance(w, -5000000000000LL);
    uint32_t a = lr_wheel_start(w, -4000000000000LL, 1);
    uint32_t b = lr_wheel_start(w, 5, 2);
    uint32_t c = lr_wheel_start(w, INT64_MAX - 1, 3);
    assert_int_equal(lr_wheel_next_due(w), -4000000000000LL);
    assert_int_equal(lr_wheel_pop(w, -4000000000001LL), LR_WHEEL_NONE);
    assert_int_equal(lr_wheel_pop(w, 4), a);
    assert_int_equal(lr_wheel_pop(w, 4), LR_WHEEL_NONE);
    assert_int_equal(lr_wheel_next_due(w), 5);
    assert_int_equal(lr_wheel_pop(w, 5), b);
    assert_int_equal(lr_wheel_next_due(w), INT64_MAX - 1);
    assert_int_equal(lr_wheel_pop(w, INT64_MAX - 2), LR_WHEEL_NONE);
    assert_int_equal(lr_wheel_pop(w, INT64_MAX), c);
    lr_wheel_free(w);
}

/* Rearm: a popped clock put back later, an armed one moved earlier; a rearm
 * counts as a fresh start for ties. */
static void test_rearm(void **state) {
    (void)state;
    lr_wheel *w = lr_wheel_new(0);
    lr_wheel_advance(w, 0);
    uint32_t a = lr_wheel_start(w, 100, 1);
    uint32_t b = lr_wheel_start(w, 200, 2);
    uint32_t c = lr_wheel_start(w, 900000, 3);
    assert_int_equal(lr_wheel_pop(w, 150), a);
    lr_wheel_rearm(w, a, 200); /* same due as b, started later: after b */
    lr_wheel_rearm(w, c, 200); /* moved from a high level, later still */
    assert_int_equal(lr_wheel_count(w), 3);
    assert_int_equal(lr_wheel_next_due(w), 200);
    assert_int_equal(lr_wheel_pop(w, 300), b);
    lr_wheel_rearm(w, b, 250); /* popped, rearmed into the past: ready, ordered by due */
    assert_int_equal(lr_wheel_pop(w, 300), a);
    assert_int_equal(lr_wheel_pop(w, 300), c);
    assert_int_equal(lr_wheel_pop(w, 300), b);
    assert_int_equal(lr_wheel_pop(w, 300), LR_WHEEL_NONE);
    lr_wheel_stop(w, a);
    lr_wheel_stop(w, b);
    lr_wheel_stop(w, c);
    lr_wheel_free(w);
}

/* ---- randomized run against a brute-force model ------------------------------ */

typedef struct model_clock {
    uint32_t id;
    lr_time_ms due;
    uint64_t order; /* start or rearm order */
    bool live;
} model_clock;

#define M_MAX 6000

static model_clock model[M_MAX];
static size_t model_n;
static uint64_t model_order;

static model_clock *model_min(lr_time_ms limit) {
    model_clock *best = NULL;
    for (size_t i = 0; i < model_n; i++) {
        model_clock *m = &model[i];
        if (!m->live || m->due > limit) continue;
        if (!best || m->due < best->due || (m->due == best->due && m->order < best->order))
            best = m;
    }
    return best;
}


static void test_random_against_model(void **state) {
    (void)state;
    rng_state = 0x9E3779B97F4A7C15ULL;
    lr_wheel *w = lr_wheel_new(16); /* small: forces growth */
    lr_time_ms now = 1700000000000LL;
    lr_wheel_advance(w, now);
    model_n = 0;
    model_order = 0;
    size_t fired = 0, exact = 0;
    for (int round = 0; round < 20000; round++) {
        uint64_t op = rnd() % 100;
        if (op < 45 && model_n < M_MAX) {
            /* spans from "already due" to years ahead, biased to SLA-like ranges */
            static const lr_time_ms spans[] = {2, 100, 5000, 900000, 14400000, 604800000,
                                               100000000000LL};
            lr_time_ms span = spans[rnd() % 7];
            lr_time_ms due = now - 10 + (lr_time_ms)(rnd() % (uint64_t)span);
            uint32_t id = lr_wheel_start(w, due, (uint32_t)model_n);
            model[model_n++] = (model_clock){id, due, ++model_order, true};
        } else if (op < 60) {
            /* stop or rearm a random live clock */
            size_t i = (size_t)(rnd() % (model_n ? model_n : 1));
            if (i < model_n && model[i].live) {
                if (rnd() & 1) {
                    lr_wheel_stop(w, model[i].id);
                    model[i].live = false;
                } else {
                    lr_time_ms due = now + (lr_time_ms)(rnd() % 3600000) - 5;
                    lr_wheel_rearm(w, model[i].id, due);
                    model[i].due = due;
                    model[i].order = ++model_order;
                }
            }
        } else if (op < 75) {
            model_clock *m = model_min(INT64_MAX);
            lr_time_ms nd = lr_wheel_next_due(w);
            if (!m) assert_int_equal(nd, LR_TIME_NONE);
            else if (nd == m->due) exact++;
            else assert_true(nd < m->due); /* a bound: never later than the earliest */
        } else {
            static const lr_time_ms steps[] = {0, 1, 7, 1000, 60000, 3600000, 86400000};
            now += steps[rnd() % 7];
            uint32_t id;
            while ((id = lr_wheel_pop(w, now)) != LR_WHEEL_NONE) {
                model_clock *want = model_min(now);
                assert_non_null(want);
                assert_int_equal(id, want->id);
                assert_true(lr_wheel_due(w, id) <= now);
                want->live = false;
                lr_wheel_stop(w, id);
                fired++;
            }
            assert_null(model_min(now)); /* nothing due was left behind */
        }
        size_t live = 0;
        for (size_t i = 0; i < model_n; i++) live += model[i].live;
        assert_int_equal(lr_wheel_count(w), live);
        if (model_n == M_MAX && live == 0) model_n = 0;
    }
    assert_true(fired > 1000);
    assert_true(exact > 2000); /* almost always exact */
    /* drain: everything fires, in model order */
    uint32_t id;
    while ((id = lr_wheel_pop(w, INT64_MAX)) != LR_WHEEL_NONE) {
        model_clock *want = model_min(INT64_MAX);
        assert_non_null(want);
        assert_int_equal(id, want->id);
        want->live = false;
        lr_wheel_stop(w, id);
    }
    assert_null(model_min(INT64_MAX));
    lr_wheel_free(w);
}

/* A big upper-level slot whose earliest clock was stopped answers with a
 * bound: never after the earliest clock, and each advance to it gets closer. */
static void test_next_due_bound(void **state) {
    (void)state;
    const lr_time_ms t0 = 1800000000000LL;
    lr_wheel *w = lr_wheel_new(0);
    lr_wheel_advance(w, t0);
    uint32_t first = lr_wheel_start(w, t0 + LR_HOUR_MS, 0);
    for (int i = 1; i <= 500; i++) lr_wheel_start(w, t0 + LR_HOUR_MS + i * 100, (uint32_t)i);
    assert_int_equal(lr_wheel_next_due(w), t0 + LR_HOUR_MS);
    lr_wheel_stop(w, first);
    lr_time_ms want = t0 + LR_HOUR_MS + 100, prev = t0;
    int wakeups = 0;
    for (;;) {
        lr_time_ms nd = lr_wheel_next_due(w);
        assert_true(nd <= want);
        assert_true(nd > prev);
        if (nd == want) break;
        assert_int_equal(lr_wheel_pop(w, nd), LR_WHEEL_NONE); /* an early wake-up fires nothing */
        prev = nd;
        wakeups++;
    }
    assert_true(wakeups >= 1 && wakeups <= 11);
    uint32_t id = lr_wheel_pop(w, want);
    assert_int_equal(lr_wheel_data(w, id), 1);
    lr_wheel_free(w);
}

/* Ids are reused after stop, and memory grows only with the number open. */
static void test_id_reuse(void **state) {
    (void)state;
    lr_wheel *w = lr_wheel_new(8);
    lr_wheel_advance(w, 0);
    size_t bytes0 = 0;
    for (int round = 0; round < 100; round++) {
        uint32_t ids[8];
        for (int i = 0; i < 8; i++) ids[i] = lr_wheel_start(w, 1000 + i, (uint32_t)i);
        for (int i = 0; i < 8; i++) lr_wheel_stop(w, ids[i]);
        if (round == 0) bytes0 = lr_wheel_bytes(w);
    }
    assert_int_equal(lr_wheel_bytes(w), bytes0);
    assert_int_equal(lr_wheel_count(w), 0);
    lr_wheel_free(w);
}

/* peek names the clock pop returns next, among ready clocks only, and
 * changes nothing: random clocks, stops and rearms in between. */
static void test_peek_is_next_pop(void **state) {
    (void)state;
    lr_wheel *w = lr_wheel_new(0);
    lr_wheel_advance(w, 1000);
    uint32_t a = lr_wheel_start(w, 1010, 7);
    /* due by 2000 but not yet moved to the ready clocks: peek does not advance */
    assert_int_equal(lr_wheel_peek(w, 2000), LR_WHEEL_NONE);
    lr_wheel_advance(w, 2000);
    assert_int_equal(lr_wheel_peek(w, 2000), a);
    assert_int_equal(lr_wheel_peek(w, 1009), LR_WHEEL_NONE); /* not due by then */
    assert_int_equal(lr_wheel_pop(w, 2000), a);
    assert_int_equal(lr_wheel_peek(w, 2000), LR_WHEEL_NONE);
    lr_wheel_stop(w, a);

    rng_state = 0x5eed5eedULL;
    enum { N = 4000 };
    lr_time_ms now = 2000;
    for (uint32_t i = 0; i < N; i++) lr_wheel_start(w, now + 1 + (lr_time_ms)(rnd() % 500000), i);
    size_t popped = 0;
    while (popped < N) {
        now += (lr_time_ms)(rnd() % 3000);
        lr_wheel_advance(w, now);
        for (;;) {
            uint32_t p = lr_wheel_peek(w, now);
            uint32_t q = lr_wheel_pop(w, now);
            assert_int_equal(p, q);
            if (q == LR_WHEEL_NONE) break;
            assert_true(lr_wheel_due(w, q) <= now);
            if (rnd() % 4 == 0) { /* some come back later */
                lr_wheel_rearm(w, q, now + 1 + (lr_time_ms)(rnd() % 10000));
            } else {
                lr_wheel_stop(w, q);
                popped++;
            }
        }
    }
    assert_int_equal(lr_wheel_count(w), 0);
    lr_wheel_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peek_is_next_pop),
        cmocka_unit_test(test_same_due_in_start_order),
        cmocka_unit_test(test_due_in_past_and_stop_ready),
        cmocka_unit_test(test_far_future_cascade),
        cmocka_unit_test(test_extreme_times),
        cmocka_unit_test(test_rearm),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_next_due_bound),
        cmocka_unit_test(test_id_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
