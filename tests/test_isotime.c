/* test_isotime.c - the one ISO-8601 parser, and the configuration's use of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cfg.h"
#include "isotime.h"

static void test_parse_instant(void **state) {
    (void)state;
    static const struct {
        const char *s;
        lr_time_ms want;
    } ok[] = {
        {"2026-11-20T10:15:00Z", 1795169700000LL},
        {"2026-11-20t10:15:00z", 1795169700000LL},
        {"2026-11-20T10:15:00.5Z", 1795169700500LL},
        {"2026-11-20T10:15:00.123456Z", 1795169700123LL}, /* truncated to ms */
        {"2026-11-20T10:15:00+02:00", 1795162500000LL},
        {"2026-11-20T10:15:00-05:30", 1795189500000LL},
        {"2024-02-29T23:59:59Z", 1709251199000LL},
        {"1970-01-01T00:00:00Z", 0},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        lr_time_ms t = -1;
        if (!lr_isotime_parse(ok[i].s, strlen(ok[i].s), &t) || t != ok[i].want)
            fail_msg("%s -> %lld, want %lld", ok[i].s, (long long)t, (long long)ok[i].want);
    }
    static const char *const bad[] = {
        "2026-11-20T10:15:00",    "2026-11-20",           "2026-11-20T10:15Z",
        "2025-02-29T00:00:00Z",   "2026-13-01T00:00:00Z", "2026-11-20T24:00:00Z",
        "2026-11-20T10:60:00Z",   "2026-11-20T10:15:00.Z", "2026-11-20T10:15:00Zjunk",
        "2026-11-20T10:15:00+2:00", "2026-11-20T10:15:00+02", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lr_time_ms t;
        if (lr_isotime_parse(bad[i], strlen(bad[i]), &t)) fail_msg("accepted '%s'", bad[i]);
    }
    /* length-bounded: the rest of the buffer is not read */
    lr_time_ms t;
    assert_true(lr_isotime_parse("2026-11-20T10:15:00Zxyz", 20, &t));
    assert_int_equal(t, 1795169700000LL);
}

static void test_parse_date(void **state) {
    (void)state;
    int64_t day = -1;
    assert_true(lr_isotime_parse_date("1970-01-01", 10, &day));
    assert_int_equal(day, 0);
    assert_true(lr_isotime_parse_date("2024-02-29", 10, &day));
    assert_int_equal(day, 19782);
    static const char *const bad[] = {"2025-02-29", "2026-1-01", "2026-01-01Z",
                                      "2026-01-01T00:00:00Z", "26-01-01", " 2026-01-01", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (lr_isotime_parse_date(bad[i], strlen(bad[i]), &day)) fail_msg("accepted '%s'", bad[i]);
}

/* The configuration reads times with the same parser: a bare date is midnight
 * UTC, and a date-time without a zone is refused as in event lines. */
static int cfg_time(const char *text, lr_time_ms *out) {
    lr_err err = {0};
    char yaml[128];
    snprintf(yaml, sizeof(yaml), "at: \"%s\"\n", text);
    lr_cfg_doc *doc = lr_cfg_load_string("t.yaml", yaml, &err);
    if (!doc) fail_msg("%s", err.msg);
    int rc = lr_cfg_as_time_ms(lr_cfg_get(lr_cfg_root(doc), "at"), out, &err);
    if (rc < 0) assert_non_null(strstr(err.msg, "is not a date"));
    lr_cfg_free(doc);
    return rc;
}

static void test_cfg_time(void **state) {
    (void)state;
    lr_time_ms t = 0;
    assert_int_equal(cfg_time("2026-12-25", &t), 0);
    assert_int_equal(t, 1798156800000LL);
    assert_int_equal(cfg_time("2026-11-20T10:15:00Z", &t), 0);
    assert_int_equal(t, 1795169700000LL);
    assert_int_equal(cfg_time("2026-11-20T10:15:00+02:00", &t), 0);
    assert_int_equal(t, 1795162500000LL);
    assert_int_equal(cfg_time("2026-11-20T10:15:00", &t), -1);
    assert_int_equal(cfg_time("2026-11-20 10:15:00Z", &t), -1);
    assert_int_equal(cfg_time("2026-02-30", &t), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_instant),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_cfg_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
