/* test_calendar.c - business-hours arithmetic: Friday evening to Monday
 * morning, holidays, daylight-saving weeks in Europe/Berlin and
 * America/New_York, business days as durations, and config errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "cfg.h"
#include "rules.h"
#include "tz.h"

static lr_tz_db *tzdb;

/* A UTC instant from its UTC calendar fields. */
static lr_time_ms utc(int y, int mo, int d, int h, int mi) {
    return lr_days_from_civil(y, mo, d) * LR_DAY_MS + h * LR_HOUR_MS + mi * LR_MINUTE_MS;
}

typedef struct cal_fixture {
    lr_cfg_doc *doc;
    lr_calendar cal;
} cal_fixture;

static int load_cal(cal_fixture *f, const char *yaml, lr_err *err) {
    memset(f, 0, sizeof(*f));
    f->doc = lr_cfg_load_string("cal.yaml", yaml, err);
    if (!f->doc) return -1;
    return lr_calendar_parse(lr_cfg_root(f->doc), tzdb, &f->cal, err);
}

static void unload(cal_fixture *f) {
    lr_calendar_destroy(&f->cal);
    lr_cfg_free(f->doc);
}

static const char *berlin_yaml =
    "name: emea_business\n"
    "timezone: Europe/Berlin\n"
    "days: [mon, tue, wed, thu, fri]\n"
    "start: \"09:00\"\n"
    "end: \"17:00\"\n"
    "holidays: [2026-12-25, 2026-12-24, 2026-12-26, 2027-01-01, 2026-12-24]\n";

static const char *ny_yaml =
    "name: na_business\n"
    "timezone: America/New_York\n"
    "days: [mon, tue, wed, thu, fri]\n"
    "start: \"09:00\"\n"
    "end: \"17:00\"\n"
    "holidays: [2026-11-26]\n";

static int setup(void **state) {
    (void)state;
    tzdb = lr_tz_db_new(NULL);
    return tzdb ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    lr_tz_db_free(tzdb);
    return 0;
}

static void test_friday_evening_to_monday_morning(void **state) {
    (void)state;
    cal_fixture f;
    lr_err err = {0};
    assert_int_equal(load_cal(&f, berlin_yaml, &err), 0);
    assert_int_equal(f.cal.n_holidays, 4); /* duplicates folded */
    assert_int_equal(f.cal.day_ms, 8 * LR_HOUR_MS);
    /* Friday 2026-11-20 18:30 CET (17:30Z): nothing counts until Monday 09:00 */
    lr_time_ms fri_evening = utc(2026, 11, 20, 17, 30);
    assert_int_equal(lr_calendar_add(&f.cal, fri_evening, 4 * LR_HOUR_MS),
                     utc(2026, 11, 23, 12, 0)); /* Monday 13:00 CET */
    assert_int_equal(lr_calendar_add(&f.cal, fri_evening, 1), utc(2026, 11, 23, 8, 0) + 1);
    /* Friday 16:00 CET: one hour on Friday, three on Monday */
    lr_time_ms fri_16 = utc(2026, 11, 20, 15, 0);
    assert_int_equal(lr_calendar_add(&f.cal, fri_16, 4 * LR_HOUR_MS), utc(2026, 11, 23, 11, 0));
    assert_int_equal(lr_calendar_elapsed(&f.cal, fri_16, utc(2026, 11, 23, 11, 0)),
                     4 * LR_HOUR_MS);
    /* a weekend touch: only Friday's last hour has elapsed */
    assert_int_equal(lr_calendar_elapsed(&f.cal, fri_16, utc(2026, 11, 21, 12, 0)), LR_HOUR_MS);
    /* zero business time: the instant itself, even outside hours */
    assert_int_equal(lr_calendar_add(&f.cal, fri_evening, 0), fri_evening);
    assert_int_equal(lr_calendar_elapsed(&f.cal, fri_evening, fri_evening - 5), 0);
    /* ending exactly at close: Friday 17:00, not Monday 09:00 (the earliest instant) */
    assert_int_equal(lr_calendar_add(&f.cal, fri_16, LR_HOUR_MS), utc(2026, 11, 20, 16, 0));
    unload(&f);
}

static void test_holidays(void **state) {
    (void)state;
    cal_fixture f;
    lr_err err = {0};
    assert_int_equal(load_cal(&f, berlin_yaml, &err), 0);
    /* Wed 2026-12-23 15:00 CET: 2 h left that day, Thu 24 and Fri 25 are holidays,
     * then the weekend: due Monday 28th 11:00 CET (10:00Z) */
    lr_time_ms wed = utc(2026, 12, 23, 14, 0);
    assert_int_equal(lr_calendar_add(&f.cal, wed, 4 * LR_HOUR_MS), utc(2026, 12, 28, 10, 0));
    assert_false(lr_calendar_is_business_day(&f.cal, lr_days_from_civil(2026, 12, 24)));
    assert_false(lr_calendar_is_business_day(&f.cal, lr_days_from_civil(2026, 12, 26)));
    assert_true(lr_calendar_is_business_day(&f.cal, lr_days_from_civil(2026, 12, 28)));
    /* New Year's Day, a Friday: Thursday 31st 16:00 + 2 h -> Monday 4 Jan 10:00 CET */
    assert_int_equal(lr_calendar_add(&f.cal, utc(2026, 12, 31, 15, 0), 2 * LR_HOUR_MS),
                     utc(2027, 1, 4, 9, 0));
    assert_int_equal(lr_calendar_elapsed(&f.cal, wed, utc(2026, 12, 28, 10, 0)), 4 * LR_HOUR_MS);
    unload(&f);

    assert_int_equal(load_cal(&f, ny_yaml, &err), 0);
    /* Thanksgiving Thursday 2026-11-26: Wed 16:00 EST + 3 h -> Fri 11:00 EST (16:00Z) */
    assert_int_equal(lr_calendar_add(&f.cal, utc(2026, 11, 25, 21, 0), 3 * LR_HOUR_MS),
                     utc(2026, 11, 27, 16, 0));
    unload(&f);
}

/* The weekend of a daylight-saving change: Monday's window is an hour earlier
 * (spring) or later (autumn) in UTC than Friday's; a UTC-only computation
 * would be off by that hour. */
static void test_dst_weeks_berlin(void **state) {
    (void)state;
    cal_fixture f;
    lr_err err = {0};
    assert_int_equal(load_cal(&f, berlin_yaml, &err), 0);
    /* spring: DST starts Sun 2026-03-29. Fri 16:00 CET (15:00Z) + 4 h -> Mon 12:00 CEST */
    lr_time_ms fri = utc(2026, 3, 27, 15, 0);
    lr_time_ms due = lr_calendar_add(&f.cal, fri, 4 * LR_HOUR_MS);
    assert_int_equal(due, utc(2026, 3, 30, 10, 0));
    assert_int_equal(lr_calendar_elapsed(&f.cal, fri, due), 4 * LR_HOUR_MS);
    /* autumn: DST ends Sun 2026-10-25. Fri 16:00 CEST (14:00Z) + 4 h -> Mon 12:00 CET */
    fri = utc(2026, 10, 23, 14, 0);
    due = lr_calendar_add(&f.cal, fri, 4 * LR_HOUR_MS);
    assert_int_equal(due, utc(2026, 10, 26, 11, 0));
    assert_int_equal(lr_calendar_elapsed(&f.cal, fri, due), 4 * LR_HOUR_MS);
    unload(&f);
}

static void test_dst_weeks_new_york(void **state) {
    (void)state;
    cal_fixture f;
    lr_err err = {0};
    assert_int_equal(load_cal(&f, ny_yaml, &err), 0);
    /* spring: DST starts Sun 2026-03-08. Fri 16:00 EST (21:00Z) + 2 h -> Mon 10:00 EDT */
    assert_int_equal(lr_calendar_add(&f.cal, utc(2026, 3, 6, 21, 0), 2 * LR_HOUR_MS),
                     utc(2026, 3, 9, 14, 0));
    /* autumn: DST ends Sun 2026-11-01. Fri 16:00 EDT (20:00Z) + 2 h -> Mon 10:00 EST */
    assert_int_equal(lr_calendar_add(&f.cal, utc(2026, 10, 30, 20, 0), 2 * LR_HOUR_MS),
                     utc(2026, 11, 2, 15, 0));
    unload(&f);
}

/* A round-the-clock calendar counts real elapsed time: the spring-forward day
 * has 23 business hours, the fall-back day 25. */
static void test_dst_day_lengths(void **state) {
    (void)state;
    cal_fixture f;
    lr_err err = {0};
    assert_int_equal(load_cal(&f,
                              "name: always\ntimezone: Europe/Berlin\n"
                              "days: [sun, mon, tue, wed, thu, fri, sat]\n"
                              "start: \"00:00\"\nend: \"24:00\"\n",
                              &err),
                     0);
    lr_time_ms sun = utc(2026, 3, 28, 23, 0); /* Sunday 00:00 CET */
    lr_time_ms mon = utc(2026, 3, 29, 22, 0); /* Monday 00:00 CEST */
    assert_int_equal(lr_calendar_elapsed(&f.cal, sun, mon), 23 * LR_HOUR_MS);
    /* Sat 00:00 CET + 48 h of real time = Mon 01:00 CEST, not Mon 00:00 */
    assert_int_equal(lr_calendar_add(&f.cal, utc(2026, 3, 27, 23, 0), 48 * LR_HOUR_MS),
                     utc(2026, 3, 29, 23, 0));
    lr_time_ms sun_oct = utc(2026, 10, 24, 22, 0); /* Sunday 00:00 CEST */
    lr_time_ms mon_oct = utc(2026, 10, 25, 23, 0); /* Monday 00:00 CET */
    assert_int_equal(lr_calendar_elapsed(&f.cal, sun_oct, mon_oct), 25 * LR_HOUR_MS);
    unload(&f);
}

static void test_business_days_as_duration(void **state) {
    (void)state;
    cal_fixture f;
    lr_err err = {0};
    assert_int_equal(load_cal(&f, ny_yaml, &err), 0);
    lr_cfg_doc *doc = lr_cfg_load_string("d.yaml", "a: 2d\nb: 1w\nc: 90m\nd: 1.5d\n", &err);
    assert_non_null(doc);
    const lr_cfg_node *root = lr_cfg_root(doc);
    int64_t ms;
    assert_int_equal(lr_cfg_as_duration_ms(lr_cfg_get(root, "a"), &ms, &err), 0);
    int64_t two_days = lr_calendar_duration(&f.cal, lr_cfg_get(root, "a"), ms);
    assert_int_equal(two_days, 16 * LR_HOUR_MS);
    assert_int_equal(lr_calendar_duration(NULL, lr_cfg_get(root, "a"), ms), 2 * LR_DAY_MS);
    assert_int_equal(lr_cfg_as_duration_ms(lr_cfg_get(root, "b"), &ms, &err), 0);
    assert_int_equal(lr_calendar_duration(&f.cal, lr_cfg_get(root, "b"), ms), 40 * LR_HOUR_MS);
    assert_int_equal(lr_cfg_as_duration_ms(lr_cfg_get(root, "c"), &ms, &err), 0);
    assert_int_equal(lr_calendar_duration(&f.cal, lr_cfg_get(root, "c"), ms), 90 * LR_MINUTE_MS);
    assert_int_equal(lr_cfg_as_duration_ms(lr_cfg_get(root, "d"), &ms, &err), 0);
    assert_int_equal(lr_calendar_duration(&f.cal, lr_cfg_get(root, "d"), ms), 12 * LR_HOUR_MS);
    /* Thursday 2026-11-19 10:00 EST + 2 business days: 7 h Thu, 8 h Fri, 1 h Mon */
    assert_int_equal(lr_calendar_add(&f.cal, utc(2026, 11, 19, 15, 0), two_days),
                     utc(2026, 11, 23, 15, 0));
    /* over Thanksgiving: Wed 10:00 + 2 days -> Thu off -> Mon 10:00 */
    assert_int_equal(lr_calendar_add(&f.cal, utc(2026, 11, 25, 15, 0), two_days),
                     utc(2026, 11, 30, 15, 0));
    lr_cfg_free(doc);
    unload(&f);
}

/* add and elapsed agree, and add gives the earliest such instant. */
static void test_add_elapsed_inverse(void **state) {
    (void)state;
    cal_fixture f[2];
    lr_err err = {0};
    assert_int_equal(load_cal(&f[0], berlin_yaml, &err), 0);
    assert_int_equal(load_cal(&f[1], ny_yaml, &err), 0);
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 4000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const lr_calendar *cal = &f[i & 1].cal;
        lr_time_ms t = utc(2026, 1, 1, 0, 0) + (lr_time_ms)(x % (400 * (uint64_t)LR_DAY_MS));
        int64_t n = 1 + (int64_t)((x >> 20) % (uint64_t)(60 * LR_HOUR_MS));
        lr_time_ms u = lr_calendar_add(cal, t, n);
        assert_true(u >= t + n);
        assert_int_equal(lr_calendar_elapsed(cal, t, u), n);
        assert_int_equal(lr_calendar_elapsed(cal, t, u - 1), n - 1);
    }
    unload(&f[0]);
    unload(&f[1]);
}

static void expect_error(const char *yaml, const char *where, const char *what) {
    cal_fixture f;
    lr_err err = {0};
    assert_int_equal(load_cal(&f, yaml, &err), -1);
    if (!strstr(err.msg, where) || !strstr(err.msg, what)) {
        print_error("got '%s', want '%s' and '%s'\n", err.msg, where, what);
        fail();
    }
    lr_calendar_destroy(&f.cal);
    lr_cfg_free(f.doc);
}

static void test_config_errors(void **state) {
    (void)state;
    expect_error("name: c\ntimezone: UTC\ndays: []\nstart: \"09:00\"\nend: \"17:00\"\n",
                 "cal.yaml:3:", "empty");
    expect_error("name: c\ntimezone: UTC\ndays: [mon, funday]\nstart: \"09:00\"\nend: \"17:00\"\n",
                 "cal.yaml:3:", "'funday' is not a day");
    expect_error("name: c\ntimezone: UTC\ndays: [mon, mon]\nstart: \"09:00\"\nend: \"17:00\"\n",
                 "cal.yaml:3:", "twice");
    expect_error("name: c\ntimezone: Mars/Olympus\ndays: [mon]\nstart: \"09:00\"\nend: \"17:00\"\n",
                 "cal.yaml:2:", "Mars/Olympus");
    expect_error("name: c\ntimezone: UTC\ndays: [mon]\nstart: \"17:00\"\nend: \"09:00\"\n",
                 "cal.yaml:5:", "must be after start");
    expect_error("name: c\ntimezone: UTC\ndays: [mon]\nstart: \"09:00\"\nend: \"17:00\"\n"
                 "holidays: [2026-12-25,\n  2026-02-30]\n",
                 "cal.yaml:7:", "not a calendar date");
    expect_error("name: c\ntimezone: UTC\ndays: [mon]\nstart: \"09:00\"\nend: \"17:00\"\n"
                 "holidays: [2026-12-25T10:00:00Z]\n",
                 "cal.yaml:6:", "not a date");
    expect_error("name: c\ntimezone: UTC\ndays: [mon]\nstart: \"9am\"\nend: \"17:00\"\n",
                 "cal.yaml:4:", "time of day");
    expect_error("name: c\ntimezone: UTC\ndays: [mon]\nstart: \"09:00\"\nend: \"17:00\"\n"
                 "hours: 8\n",
                 "cal.yaml:6:", "unknown key 'hours'");
    expect_error("name: c\ntimezone: UTC\nstart: \"09:00\"\nend: \"17:00\"\n", "cal.yaml:1:",
                 "missing required key 'days'");
}

/* Business days and weeks scale by the calendar's window; other units not. */
static void test_scale_units(void **state) {
    cal_fixture f;
    lr_err err = {0};
    assert_int_equal(load_cal(&f, berlin_yaml, &err), 0);
    int64_t two_days = 2 * LR_DAY_MS;
    assert_int_equal(lr_calendar_scale(&f.cal, LR_CAL_DAYS, two_days), 2 * f.cal.day_ms);
    assert_int_equal(lr_calendar_scale(&f.cal, LR_CAL_WEEKS, 7 * LR_DAY_MS), f.cal.week_ms);
    assert_int_equal(lr_calendar_scale(&f.cal, LR_CAL_WALL, two_days), two_days);
    assert_int_equal(lr_calendar_scale(NULL, LR_CAL_DAYS, two_days), two_days);
    unload(&f);
}

/* The replay hang of issue 18: a lead at event_time INT64_MAX made the day
 * walk spin forever. Any instant and any duration now ends, saturated. */
static void test_extreme_times(void **state) {
    (void)state;
    cal_fixture f;
    lr_err err = {0};
    assert_int_equal(load_cal(&f, berlin_yaml, &err), 0);
    const lr_time_ms xs[] = {INT64_MAX, INT64_MIN, INT64_MIN + 1, LR_TZ_MAX_MS, LR_TZ_MIN_MS,
                             9223372036854775807LL / 1000};
    for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
        lr_time_ms u = lr_calendar_add(&f.cal, xs[i], 4 * LR_HOUR_MS);
        assert_true(u >= LR_TZ_MIN_MS && u <= LR_TZ_MAX_MS + 7 * LR_DAY_MS);
        assert_true(u >= lr_tz_clamp(xs[i]));
        lr_calendar_add(&f.cal, xs[i], INT64_MAX); /* ends: bounded walk */
        assert_true(lr_calendar_elapsed(&f.cal, xs[i], INT64_MAX) >= 0);
        assert_int_equal(lr_calendar_elapsed(&f.cal, INT64_MAX, xs[i]), 0);
    }
    /* a deadline past the walk saturates at the last supported instant */
    lr_time_ms t = utc(2026, 11, 20, 15, 0);
    assert_int_equal(lr_calendar_add(&f.cal, t, 9000000000000000LL), LR_TZ_MAX_MS);
    assert_int_equal(lr_calendar_add(&f.cal, t, (int64_t)LR_CALENDAR_MAX_DAYS * f.cal.day_ms),
                     LR_TZ_MAX_MS);
    /* whole span of the supported range: exact for the walk, nominal weeks
     * after it; never more than the wall-clock span, never negative */
    int64_t all = lr_calendar_elapsed(&f.cal, INT64_MIN, INT64_MAX);
    assert_true(all > 0 && all < LR_TZ_MAX_MS - LR_TZ_MIN_MS);
    int64_t weeks = (LR_TZ_MAX_MS - LR_TZ_MIN_MS) / (7 * LR_DAY_MS);
    assert_true(all > (weeks - 2 * LR_CALENDAR_MAX_DAYS / 7) * f.cal.week_ms);
    assert_true(all <= (weeks + 1) * f.cal.week_ms);
    /* no calendar: saturating, not wrapping */
    assert_int_equal(lr_calendar_add(NULL, INT64_MAX - 5, 10), INT64_MAX);
    assert_int_equal(lr_calendar_add(NULL, 100, 10), 110);
    assert_int_equal(lr_calendar_elapsed(NULL, INT64_MIN, INT64_MAX), INT64_MAX);
    unload(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_friday_evening_to_monday_morning),
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_dst_weeks_berlin),
        cmocka_unit_test(test_dst_weeks_new_york),
        cmocka_unit_test(test_dst_day_lengths),
        cmocka_unit_test(test_business_days_as_duration),
        cmocka_unit_test(test_add_elapsed_inverse),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_scale_units),
        cmocka_unit_test(test_extreme_times),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
