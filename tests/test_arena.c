/* test_arena.c - the per-batch arena and its formatter: the fast path for
 * simple conversions must produce exactly what snprintf produces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"

#define SAME(...)                                                       \
    do {                                                                \
        char ref[4096];                                                 \
        snprintf(ref, sizeof(ref), __VA_ARGS__);                        \
        assert_string_equal(lr_arena_printf(&a, __VA_ARGS__), ref);     \
    } while (0)

static void test_format_matches_snprintf(void **s) {
    lr_arena a;
    lr_arena_init(&a, 256);
    SAME("%s:decision:%lld", "L-1", (long long)42);
    SAME("open %d/%d, today %u", -5, 25, 7u);
    SAME("%lld %lld %d %d", LLONG_MIN, LLONG_MAX, INT_MIN, INT_MAX);
    SAME("%zu%%%c|%ld|%lu|%llu", (size_t)SIZE_MAX, 'Q', LONG_MIN, ULONG_MAX, 0ULL);
    SAME("plain text, no conversions");
    SAME("%s%s", "", "");
    SAME("%.1f s late, %5d", 3.14159, 42);   /* falls back to vsnprintf */
    SAME("%-8s|%08x", "pad", 0xbeefu);       /* falls back too */
    SAME("off_hours local %s %02d:%02d", "Tue", 7, 5);
    SAME("until %04d-%02d-%02d", 2027, 1, 4);
    SAME("%03d|%02d|%05lld|%02u", -7, 123, -42LL, 0u);
    for (int i = -1000; i < 1000; i += 7) SAME("v=%d;%u;%lld", i, (unsigned)i * 3u, (long long)i * 1000003LL);
    /* longer than one chunk: a chunk of its own */
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    SAME("%s-%d", big, 7);
    lr_arena_destroy(&a);
}

static void test_reset_reuses_memory(void **s) {
    lr_arena a;
    lr_arena_init(&a, 1024);
    char *first = lr_arena_alloc(&a, 100);
    lr_arena_alloc(&a, 2000); /* oversized: freed at reset */
    lr_arena_reset(&a);
    assert_int_equal(a.bytes_used, 0);
    char *again = lr_arena_alloc(&a, 100);
    assert_ptr_equal(first, again); /* the same chunk came back */
    assert_int_equal(((uintptr_t)lr_arena_alloc(&a, 3)) % 8, 0);
    assert_string_equal(lr_arena_strndup(&a, "abcdef", 3), "abc");
    lr_arena_destroy(&a);
}

/* The event-id builder writes what "%s%s%lld" would, with only s[0..n) and
 * mid[0..m) counting. */
static void test_join_num_matches_printf(void **s) {
    (void)s;
    lr_arena a;
    lr_arena_init(&a, 128);
    const long long vals[] = {0, 1, 9, 10, 42, -1, -10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    const char *ids[] = {"L-1", "", "a-rather-long-lead-id-0123456789abcdef0123456789"};
    char ref[256];
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
            char *p = lr_arena_join_num_n(&a, ids[i], strlen(ids[i]), ":alert:XX", 7, vals[k]);
            snprintf(ref, sizeof(ref), "%s:alert:%lld", ids[i], vals[k]);
            assert_string_equal(p, ref);
        }
    }
    /* ids longer than a chunk get a chunk of their own */
    char big[600];
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char bref[700];
    snprintf(bref, sizeof(bref), "%s:decision:%lld", big, 7LL);
    assert_string_equal(lr_arena_join_num_n(&a, big, strlen(big), ":decision:", 10, 7), bref);
    lr_arena_destroy(&a);
}

/* Two numbers with a separator, as event ids "<lead>:<kind>:<seq>@<since>"
 * are built: the same bytes as printf, only s[0..n) and mid[0..m) counting,
 * extremes of both numbers included, and a text longer than a chunk. */
static void test_join_num2_matches_printf(void **s) {
    (void)s;
    lr_arena a;
    lr_arena_init(&a, 128);
    const long long vals[] = {0, 1, 9, 10, 42, -1, -10, 1794927600000LL, LLONG_MAX, LLONG_MIN};
    const char *ids[] = {"L-1", "", "a-rather-long-lead-id-0123456789abcdef0123456789"};
    char ref[256];
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
            for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
                snprintf(ref, sizeof(ref), "%s:decision:%lld@%lld", ids[i], vals[k], vals[j]);
                char *p = lr_arena_join_num2_n(&a, ids[i], strlen(ids[i]), ":decision:XX", 10,
                                               vals[k], '@', vals[j]);
                assert_string_equal(p, ref);
            }
        }
    }
    /* the id is taken by length: the bytes after n do not appear */
    assert_string_equal(lr_arena_join_num2_n(&a, "R-1xyz", 3, ":alert:", 7, 3, '@', 5), "R-1:alert:3@5");
    char big[600];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char bref[700];
    snprintf(bref, sizeof(bref), "%s:status:%lld@%lld", big, 12LL, 1794927600000LL);
    assert_string_equal(lr_arena_join_num2_n(&a, big, strlen(big), ":status:", 8, 12, '@',
                                             1794927600000LL),
                        bref);
    lr_arena_destroy(&a);
}

/* A text longer than the formatter's stack buffer takes the vsnprintf path
 * with the same result, at every length around the boundary. */
static void test_format_long_texts(void **s) {
    (void)s;
    lr_arena a;
    lr_arena_init(&a, 1024);
    char str[400];
    for (size_t n = 230; n < 300; n++) {
        memset(str, 'a' + (char)(n % 26), n);
        str[n] = '\0';
        SAME("%s", str);
        SAME("x%s|%d", str, (int)n);
        SAME("%s%c%%", str, 'z');
    }
    /* a literal run past the buffer */
    char fmt[400];
    memset(fmt, 'f', 290);
    memcpy(fmt + 290, "%d", 3);
    SAME(fmt, 5);
    lr_arena_destroy(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_matches_snprintf),
        cmocka_unit_test(test_join_num_matches_printf),
        cmocka_unit_test(test_join_num2_matches_printf),
        cmocka_unit_test(test_format_long_texts),
        cmocka_unit_test(test_reset_reuses_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
