/* test_tz.c - time zones: DST changes both ways, gaps and overlaps, zones
 * past the end of the TZif table (POSIX footer rule), the southern hemisphere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"
#include "tzdb.h"

static lr_tz_db *db;

static lr_time_ms utc(int y, int mo, int d, int h, int mi) {
    return (lr_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000LL;
}

static const lr_tz *zone(const char *name) {
    lr_err err = {0};
    const lr_tz *tz = lr_tz_get(db, name, &err);
    assert_non_null(tz);
    return tz;
}

static void test_berlin_spring_forward(void **s) {
    const lr_tz *tz = zone("Europe/Berlin");
    /* 2026-03-29 01:00 UTC: clocks go from 02:00 CET to 03:00 CEST */
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 3, 29, 0, 59)), 3600);
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 3, 29, 1, 0)), 7200);
    lr_local_time lt;
    lr_tz_local(tz, utc(2026, 3, 29, 1, 0), &lt);
    assert_int_equal(lt.minute_of_day, 3 * 60);
    assert_int_equal(lt.wday, 0); /* Sunday */
    /* 02:30 does not exist that night: moved forward by the hour */
    assert_int_equal(lr_tz_to_utc(tz, 2026, 3, 29, 150), utc(2026, 3, 29, 1, 30));
}

static void test_berlin_fall_back(void **s) {
    const lr_tz *tz = zone("Europe/Berlin");
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 10, 25, 0, 59)), 7200);
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 10, 25, 1, 0)), 3600);
    /* 02:30 happens twice: the earlier instant wins */
    assert_int_equal(lr_tz_to_utc(tz, 2026, 10, 25, 150), utc(2026, 10, 25, 0, 30));
    /* an ordinary time round-trips */
    assert_int_equal(lr_tz_to_utc(tz, 2026, 10, 26, 9 * 60), utc(2026, 10, 26, 8, 0));
}

static void test_new_york(void **s) {
    const lr_tz *tz = zone("America/New_York");
    /* 2026-03-08 07:00 UTC: 02:00 EST -> 03:00 EDT */
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 3, 8, 6, 59)), -5 * 3600);
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 3, 8, 7, 0)), -4 * 3600);
    /* 2026-11-01 06:00 UTC: 02:00 EDT -> 01:00 EST */
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 11, 1, 5, 59)), -4 * 3600);
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 11, 1, 6, 0)), -5 * 3600);
    lr_local_time lt;
    lr_tz_local(tz, utc(2026, 11, 17, 3, 0), &lt); /* 22:00 the day before, local */
    assert_int_equal(lt.mday, 16);
    assert_int_equal(lt.minute_of_day, 22 * 60);
    assert_int_equal(lt.day_number, lr_days_from_civil(2026, 11, 16));
}

static void test_beyond_table_uses_rule(void **s) {
    const lr_tz *tz = zone("Europe/Berlin");
    /* 2050: past the transitions in the file; the footer rule decides */
    assert_int_equal(lr_tz_offset_s(tz, utc(2050, 1, 15, 12, 0)), 3600);
    assert_int_equal(lr_tz_offset_s(tz, utc(2050, 7, 15, 12, 0)), 7200);
    /* last Sunday of March 2050 is the 27th */
    assert_int_equal(lr_tz_offset_s(tz, utc(2050, 3, 27, 0, 59)), 3600);
    assert_int_equal(lr_tz_offset_s(tz, utc(2050, 3, 27, 1, 0)), 7200);
}

static void test_southern_hemisphere(void **s) {
    const lr_tz *tz = zone("Australia/Sydney");
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 1, 15, 0, 0)), 11 * 3600);
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 7, 15, 0, 0)), 10 * 3600);
    assert_int_equal(lr_tz_offset_s(tz, utc(2055, 1, 15, 0, 0)), 11 * 3600);
    assert_int_equal(lr_tz_offset_s(tz, utc(2055, 7, 15, 0, 0)), 10 * 3600);
}

static void test_utc_and_unknown(void **s) {
    const lr_tz *tz = zone("UTC");
    assert_int_equal(lr_tz_offset_s(tz, utc(2026, 6, 1, 0, 0)), 0);
    assert_ptr_equal(tz, zone("UTC")); /* cached */
    lr_err err = {0};
    assert_null(lr_tz_get(db, "Mars/Olympus_Mons", &err));
    assert_non_null(strstr(err.msg, "unknown time zone 'Mars/Olympus_Mons'"));
    assert_null(lr_tz_get(db, "../etc/passwd", &err));
}

static void test_civil_round_trip(void **s) {
    for (int64_t d = -800000; d < 800000; d += 97) {
        int y, m, dd;
        lr_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(lr_days_from_civil(y, m, dd), d);
    }
    assert_int_equal(lr_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(lr_days_from_civil(2000, 3, 1), 11017);
}

/* The core builds a zone from bytes alone (no file, no environment): the
 * same offsets as the database's zone, and garbage is refused. */
static void test_parse_from_bytes(void **s) {
    const char *dir = getenv("LR_ZONEINFO");
    char path[512];
    snprintf(path, sizeof(path), "%s/Europe/Berlin", dir ? dir : "/usr/share/zoneinfo");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    lr_tz *tz = lr_tz_parse("Europe/Berlin", buf, len);
    assert_non_null(tz);
    assert_string_equal(lr_tz_name(tz), "Europe/Berlin");
    const lr_tz *db_tz = zone("Europe/Berlin");
    for (int m = 1; m <= 12; m++)
        assert_int_equal(lr_tz_offset_s(tz, utc(2031, m, 15, 12, 0)),
                         lr_tz_offset_s(db_tz, utc(2031, m, 15, 12, 0)));
    lr_tz_free(tz);
    assert_null(lr_tz_parse("X", "TZif-not-really", 15));
    assert_null(lr_tz_parse("X", buf, 30));
    lr_tz *u = lr_tz_utc("UTC");
    assert_int_equal(lr_tz_offset_s(u, utc(2026, 7, 1, 0, 0)), 0);
    lr_tz_free(u);
}

/* Instants from anywhere in int64 are clamped to 0001..9999 before any
 * arithmetic: no overflow (UBSan would say), sane fields, monotone. */
static void test_extreme_instants(void **s) {
    const lr_tz *tz = zone("Europe/Berlin");
    const lr_time_ms xs[] = {INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1,
                             LR_TZ_MAX_MS + 1, LR_TZ_MIN_MS - 1, 9223372036854775LL};
    for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
        lr_local_time lt;
        lr_tz_local(tz, xs[i], &lt);
        assert_true(lt.year >= 1 && lt.year <= 10000);
        assert_true(lt.month >= 1 && lt.month <= 12 && lt.mday >= 1 && lt.mday <= 31);
        assert_true(lt.minute_of_day >= 0 && lt.minute_of_day < 1440);
        assert_true(lt.wday >= 0 && lt.wday <= 6);
        int32_t off = lr_tz_offset_s(tz, xs[i]);
        assert_true(off == 3600 || off == 7200 || (off > 0 && off < 7200));
    }
    lr_local_time hi, lo;
    lr_tz_local(tz, INT64_MAX, &hi);
    assert_int_equal(hi.year, 10000); /* 9999-12-31T23:59Z is already next year in Berlin */
    assert_int_equal(hi.month, 1);
    lr_tz_local(tz, INT64_MIN, &lo);
    assert_int_equal(lo.year, 1);
    assert_int_equal(lr_tz_clamp(INT64_MAX), LR_TZ_MAX_MS);
    assert_int_equal(lr_tz_clamp(INT64_MIN), LR_TZ_MIN_MS);
    assert_int_equal(lr_tz_clamp(0), 0);
    /* years outside 0..10000 and nonsense fields are clamped, not overflowed */
    lr_time_ms far = lr_tz_to_utc(tz, 2147483647, 12, 31, 1439);
    assert_int_equal(far, lr_tz_to_utc(tz, 10000, 12, 31, 1439));
    assert_true(far > LR_TZ_MAX_MS && far < LR_TZ_MAX_MS + 400 * 86400000LL);
    lr_time_ms early = lr_tz_to_utc(tz, -2147483647 - 1, 1, 1, 0);
    assert_int_equal(early, lr_tz_to_utc(tz, 0, 1, 1, 0));
    assert_int_equal(lr_tz_to_utc(tz, 2026, 13, 40, 99999), lr_tz_to_utc(tz, 2026, 1, 1, 0));
}

static int setup(void **s) {
    db = lr_tz_db_new(NULL);
    return 0;
}
static int teardown(void **s) {
    lr_tz_db_free(db);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_berlin_spring_forward), cmocka_unit_test(test_berlin_fall_back),
        cmocka_unit_test(test_new_york),              cmocka_unit_test(test_beyond_table_uses_rule),
        cmocka_unit_test(test_southern_hemisphere),   cmocka_unit_test(test_utc_and_unknown),
        cmocka_unit_test(test_civil_round_trip),     cmocka_unit_test(test_parse_from_bytes),
        cmocka_unit_test(test_extreme_instants),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
