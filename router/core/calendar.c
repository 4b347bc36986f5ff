/* calendar.c - business-hours arithmetic; see calendar.h.
 *
 * Both operations walk local days from the instant they start at. For each
 * working day the window [start, end) is converted to UTC with lr_tz_to_utc,
 * so the length of a window on a daylight-saving day is what the wall clock
 * shows (a 00:00-24:00 window is 23 h on the spring-forward day). Windows that
 * fall in a gap move forward with it, as lr_tz_to_utc documents. */
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/* 1970-01-01 was a Thursday. */
static inline int weekday(int64_t day) { return (int)(((day % 7) + 11) % 7); }

bool lr_calendar_is_business_day(const lr_calendar *cal, int64_t day) {
    if (!(cal->days & (1u << weekday(day)))) return false;
    size_t lo = 0, hi = cal->n_holidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->holidays[mid] == day) return false;
        if (cal->holidays[mid] < day) lo = mid + 1;
        else hi = mid;
    }
    return true;
}

/* UTC bounds of a working day's window. */
static void window(const lr_calendar *cal, int64_t day, lr_time_ms *s, lr_time_ms *e) {
    int y, m, d;
    lr_civil_from_days(day, &y, &m, &d);
    *s = lr_tz_to_utc(cal->tz, y, m, d, cal->start_min);
    if (cal->end_min >= 1440) {
        lr_civil_from_days(day + 1, &y, &m, &d);
        *e = lr_tz_to_utc(cal->tz, y, m, d, 0);
    } else {
        *e = lr_tz_to_utc(cal->tz, y, m, d, cal->end_min);
    }
}

static int64_t local_day(const lr_calendar *cal, lr_time_ms t) {
    lr_local_time lt;
    lr_tz_local(cal->tz, t, &lt);
    return lt.day_number;
}

lr_time_ms lr_calendar_add(const lr_calendar *cal, lr_time_ms t, int64_t business_ms) {
    if (business_ms <= 0) return t;
    if (!cal) return t + business_ms;
    /* the local day of t may have a window that started the day before only if
     * windows crossed midnight, which the parser refuses; start from t's day */
    for (int64_t day = local_day(cal, t);; day++) {
        if (!lr_calendar_is_business_day(cal, day)) continue;
        lr_time_ms s, e;
        window(cal, day, &s, &e);
        if (e <= t) continue;
        lr_time_ms from = s > t ? s : t;
        if (business_ms <= e - from) return from + business_ms;
        business_ms -= e - from;
    }
}

int64_t lr_calendar_elapsed(const lr_calendar *cal, lr_time_ms from, lr_time_ms to) {
    if (to <= from) return 0;
    if (!cal) return to - from;
    int64_t total = 0, last = local_day(cal, to);
    for (int64_t day = local_day(cal, from); day <= last; day++) {
        if (!lr_calendar_is_business_day(cal, day)) continue;
        lr_time_ms s, e;
        window(cal, day, &s, &e);
        if (s < from) s = from;
        if (e > to) e = to;
        if (e > s) total += e - s;
    }
    return total;
}

/* Scales `ms` by num/den without overflowing for any valid duration. */
static int64_t scale(int64_t ms, int64_t num, int64_t den) {
    return (ms / den) * num + (ms % den) * num / den;
}

int64_t lr_calendar_duration(const lr_calendar *cal, const lr_cfg_node *node, int64_t ms) {
    if (!cal || !node || node->kind != LR_CFG_SCALAR) return ms;
    char *end;
    (void)strtod(node->scalar, &end);
    if (!strcmp(end, "d")) return scale(ms, cal->day_ms, LR_DAY_MS);
    if (!strcmp(end, "w")) return scale(ms, cal->week_ms, 7 * LR_DAY_MS);
    return ms;
}

/* ---- configuration ------------------------------------------------------- */

typedef struct cal_raw {
    const char *name, *timezone;
    const lr_cfg_node *days, *start, *end, *holidays;
} cal_raw;

static const lr_cfg_field cal_fields[] = {
    {"name", LR_CFG_T_STR, offsetof(cal_raw, name), true, NULL, 0, 0},
    {"timezone", LR_CFG_T_STR, offsetof(cal_raw, timezone), true, NULL, 0, 0},
    {"days", LR_CFG_T_NODE, offsetof(cal_raw, days), true, NULL, 0, 0},
    {"start", LR_CFG_T_NODE, offsetof(cal_raw, start), true, NULL, 0, 0},
    {"end", LR_CFG_T_NODE, offsetof(cal_raw, end), true, NULL, 0, 0},
    {"holidays", LR_CFG_T_NODE, offsetof(cal_raw, holidays), false, NULL, 0, 0},
};

static int parse_days(const lr_cfg_node *n, uint8_t *out, lr_err *err) {
    if (lr_cfg_expect(n, LR_CFG_SEQ, "calendar days", err) < 0) return -1;
    if (n->n == 0) return lr_cfg_fail(err, n, "calendar days is empty: no business time at all");
    uint8_t days = 0;
    for (size_t i = 0; i < n->n; i++) {
        const lr_cfg_node *dn = n->items[i];
        if (lr_cfg_expect(dn, LR_CFG_SCALAR, "a day name", err) < 0) return -1;
        int wd = -1;
        for (int k = 0; k < 7; k++)
            if (!strcmp(dn->scalar, day_keys[k])) wd = k;
        if (wd < 0)
            return lr_cfg_fail(err, dn, "'%s' is not a day (mon, tue, wed, thu, fri, sat, sun)",
                               dn->scalar);
        if (days & (1u << wd)) return lr_cfg_fail(err, dn, "day '%s' is listed twice", dn->scalar);
        days |= (uint8_t)(1u << wd);
    }
    *out = days;
    return 0;
}


static int cmp_day(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int parse_holidays(const lr_cfg_node *n, lr_calendar *cal, lr_err *err) {
    if (!n) return 0;
    if (lr_cfg_expect(n, LR_CFG_SEQ, "calendar holidays", err) < 0) return -1;
    if (n->n == 0) return 0;
    cal->holidays = malloc(n->n * sizeof(int64_t));
    if (!cal->holidays) abort();
    for (size_t i = 0; i < n->n; i++)
        if (lr_cfg_as_local_date(n->items[i], "holiday", &cal->holidays[i], err) < 0) return -1;
    qsort(cal->holidays, n->n, sizeof(int64_t), cmp_day);
    size_t u = 0;
    for (size_t i = 0; i < n->n; i++)
        if (u == 0 || cal->holidays[u - 1] != cal->holidays[i])
            cal->holidays[u++] = cal->holidays[i];
    cal->n_holidays = u;
    return 0;
}

int lr_calendar_parse(const lr_cfg_node *map, lr_tz_db *tzdb, lr_calendar *out, lr_err *err) {
    memset(out, 0, sizeof(*out));
    cal_raw raw = {0};
    if (lr_cfg_apply(map, cal_fields, LR_CFG_COUNT(cal_fields), &raw, "sla.calendars[]", err))
        return -1;
    if (!raw.name[0]) return lr_cfg_fail(err, map, "calendar name must not be empty");
    out->name = raw.name;
    lr_err e = {0};
    out->tz = lr_tz_get(tzdb, raw.timezone, &e);
    if (!out->tz)
        return lr_cfg_fail(err, lr_cfg_get(map, "timezone"), "calendar '%s': %s", raw.name,
                           e.msg[0] ? e.msg : "unknown time zone");
    if (parse_days(raw.days, &out->days, err) < 0) return -1;
    if (lr_cfg_as_clock_minutes(raw.start, &out->start_min, err) < 0) return -1;
    if (lr_cfg_as_clock_minutes(raw.end, &out->end_min, err) < 0) return -1;
    if (out->start_min >= out->end_min)
        return lr_cfg_fail(err, raw.end, "calendar '%s': end %s must be after start %s "
                           "(windows across midnight are not supported)",
                           raw.name, raw.end->scalar, raw.start->scalar);
    if (parse_holidays(raw.holidays, out, err) < 0) {
        lr_calendar_destroy(out);
        return -1;
    }
    out->day_ms = (int64_t)(out->end_min - out->start_min) * LR_MINUTE_MS;
    out->week_ms = (int64_t)__builtin_popcount(out->days) * out->day_ms;
    return 0;
}

void lr_calendar_destroy(lr_calendar *cal) {
    if (!cal) return;
    free(cal->holidays);
    cal->holidays = NULL;
    cal->n_holidays = 0;
}
