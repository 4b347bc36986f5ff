/* test_hash.c - lr_hash64 and its companions keep their values: shared mode
 * places routing domains on partitions by lr_hash64, so a changed constant
 * would move domains between instances of different versions. The values
 * below are those of the hash the lead table has always used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

static uint64_t h(const char *s) { return lr_hash64(s, strlen(s)); }

static void test_values_are_pinned(void **state) {
    (void)state;
    assert_true(h("") == 0xd725c98e9509182eULL);
    assert_true(h("lead-1") == 0x0b20d5be2ef27635ULL);
    assert_true(h("EMEA") == 0x4ff012d9fe7a4a83ULL);
    assert_true(h("L-000001") == 0x58a44ad6cd105b76ULL);
    assert_true(lr_hash64_second("lead-1", 6) == 0x0f40e5637db99bbeULL);
}

static void test_nocase_folds_ascii_only(void **state) {
    (void)state;
    assert_true(lr_hash64_nocase("EMEA", 4) == h("emea"));
    assert_true(lr_hash64_nocase("emea", 4) == h("emea"));
    /* bytes outside A-Z are hashed as they are */
    assert_true(lr_hash64_nocase("\xc3\x84", 2) == lr_hash64("\xc3\x84", 2));
}

static void test_length_not_terminator(void **state) {
    (void)state;
    assert_true(lr_hash64("a1x", 2) == h("a1"));
    assert_true(lr_hash64("a\0b", 3) != lr_hash64("a\0c", 3));
    assert_true(lr_hash64_second("a1", 2) != h("a1"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_are_pinned),
        cmocka_unit_test(test_nocase_folds_ascii_only),
        cmocka_unit_test(test_length_not_terminator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
