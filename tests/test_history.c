/* test_history.c - the pure part of --from-state: where a state partition's
 * read stops, from what offsets_for_times said for --since and the
 * partition's watermarks. The read itself runs on a real broker
 * (tests/integration/test_whatif.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "history_int.h"

static void test_state_end(void **state) {
    (void)state;
    static const struct {
        int64_t at, lo, hi, end;
        bool empty;
    } cases[] = {
        {5, 0, 10, 5, false},   /* the first record at or after --since is offset 5 */
        {-1, 0, 10, 10, false}, /* none that late: all of it */
        {0, 0, 10, 0, true},    /* the first record is already past --since */
        {3, 3, 10, 3, true},    /* compaction or retention removed what came before */
        {-1, 7, 7, 7, true},    /* an empty partition */
        {12, 0, 10, 10, false}, /* an answer past the end (a race with writes): the end */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool empty = !cases[i].empty;
        assert_int_equal(lr_history_state_end(cases[i].at, cases[i].lo, cases[i].hi, &empty),
                         cases[i].end);
        assert_int_equal(empty, cases[i].empty);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_state_end)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
