/* calendar.c - business-hours arithmetic; see calendar.h.
 *
 * Both operations walk local days from the instant they start at. For each
 * working day the window [start, end) is converted to UTC with lr_tz_to_utc,
 * so the length of a window on a daylight-saving day is what the wall clock
 * shows (a 00:00-24:00 window is 23 h on the spring-forward day). Windows that
 * fall in a gap move forward with it, as lr_tz_to_utc documents. Reading a
 * calendar from the configuration file is config/rules_calendar.c's job. */
#include "calendar.h"

#include <stdlib.h>
#include <string.h>

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
    lr_time_ms u;
    if (!cal) return __builtin_add_overflow(t, business_ms, &u) ? INT64_MAX : u;
    t = lr_tz_clamp(t);
    /* the local day of t may have a window that started the day before only if
     * windows crossed midnight, which the parser refuses; start from t's day */
    int64_t first = local_day(cal, t);
    for (int64_t day = first; day <= first + LR_CALENDAR_MAX_DAYS; day++) {
        if (!lr_calendar_is_business_day(cal, day)) continue;
        lr_time_ms s, e;
        window(cal, day, &s, &e);
        if (e <= t) continue;
        lr_time_ms from = s > t ? s : t;
        if (business_ms <= e - from) return from + business_ms;
        business_ms -= e - from;
    }
    return LR_TZ_MAX_MS;
}

int64_t lr_calendar_elapsed(const lr_calendar *cal, lr_time_ms from, lr_time_ms to) {
    if (to <= from) return 0;
    int64_t d;
    if (!cal) return __builtin_sub_overflow(to, from, &d) ? INT64_MAX : d;
    from = lr_tz_clamp(from);
    to = lr_tz_clamp(to);
    int64_t total = 0, first = local_day(cal, from), last = local_day(cal, to);
    int64_t stop = last - first > LR_CALENDAR_MAX_DAYS ? first + LR_CALENDAR_MAX_DAYS : last;
    for (int64_t day = first; day <= stop; day++) {
        if (!lr_calendar_is_business_day(cal, day)) continue;
        lr_time_ms s, e;
        window(cal, day, &s, &e);
        if (s < from) s = from;
        if (e > to) e = to;
        if (e > s) total += e - s;
    }
    /* beyond the walk: nominal weeks (under 10,000 years of them: no overflow) */
    if (stop < last) total += (last - stop) / 7 * cal->week_ms;
    return total;
}

/* Scales `ms` by num/den without overflowing for any valid duration. */
static int64_t scale(int64_t ms, int64_t num, int64_t den) {
    return (ms / den) * num + (ms % den) * num / den;
}

int64_t lr_calendar_scale(const lr_calendar *cal, lr_calendar_unit unit, int64_t ms) {
    if (!cal) return ms;
    if (unit == LR_CAL_DAYS) return scale(ms, cal->day_ms, LR_DAY_MS);
    if (unit == LR_CAL_WEEKS) return scale(ms, cal->week_ms, 7 * LR_DAY_MS);
    return ms;
}

/* ---- construction -------------------------------------------------------- */

static int cmp_day(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void lr_calendar_init(lr_calendar *cal, const char *name, const lr_tz *tz, uint8_t days,
                      int start_min, int end_min, const int64_t *holidays, size_t n_holidays) {
    memset(cal, 0, sizeof(*cal));
    cal->name = name;
    cal->tz = tz;
    cal->days = days;
    cal->start_min = start_min;
    cal->end_min = end_min;
    if (n_holidays) {
        cal->holidays = malloc(n_holidays * sizeof(int64_t));
        if (!cal->holidays) abort();
        memcpy(cal->holidays, holidays, n_holidays * sizeof(int64_t));
        qsort(cal->holidays, n_holidays, sizeof(int64_t), cmp_day);
        size_t u = 0;
        for (size_t i = 0; i < n_holidays; i++)
            if (u == 0 || cal->holidays[u - 1] != cal->holidays[i])
                cal->holidays[u++] = cal->holidays[i];
        cal->n_holidays = u;
    }
    cal->day_ms = (int64_t)(end_min - start_min) * LR_MINUTE_MS;
    cal->week_ms = (int64_t)__builtin_popcount(days) * cal->day_ms;
}

void lr_calendar_destroy(lr_calendar *cal) {
    if (!cal) return;
    free(cal->holidays);
    cal->holidays = NULL;
    cal->n_holidays = 0;
}
