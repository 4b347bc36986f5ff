/* calendar.h - business-hours arithmetic for SLA clocks.
 *
 * A calendar is a time zone, the working weekdays, one daily window of local
 * wall-clock time and a list of local holiday dates. Business time is the time
 * inside those windows. Each day's window is turned into UTC instants through
 * the zone, so a window that a daylight-saving change shortens or lengthens
 * counts exactly what the wall clock shows. Pure: no I/O, no wall clock. */
#ifndef LR_CALENDAR_H
#define LR_CALENDAR_H

#include "common.h"
#include "tz.h"

typedef struct lr_calendar {
    const char *name;
    const lr_tz *tz;
    uint8_t days;          /* bit d set: weekday d is a working day (0 = Sunday) */
    int start_min, end_min;/* local window, minutes since midnight; end may be 1440 */
    int64_t *holidays;     /* local day numbers (days since 1970-01-01), sorted, unique */
    size_t n_holidays;
    int64_t day_ms;        /* nominal business ms of one working day: end - start */
    int64_t week_ms;       /* nominal business ms of one week: working days x day_ms */
} lr_calendar;

/* Fills `cal` from plain values: working weekdays as bits (0 = Sunday), a
 * window start < end in minutes since local midnight (end may be 1440), and
 * holidays as local day numbers in any order, copied, sorted and made unique.
 * `name` and `tz` are kept as pointers and must outlive the calendar. */
void lr_calendar_init(lr_calendar *cal, const char *name, const lr_tz *tz, uint8_t days,
                      int start_min, int end_min, const int64_t *holidays, size_t n_holidays);
void lr_calendar_destroy(lr_calendar *cal);

/* True when that local day is a working day and not a holiday. */
bool lr_calendar_is_business_day(const lr_calendar *cal, int64_t local_day);

/* How far the calendar functions walk: at most this many local days (about
 * 20 years). Every loop over days is bounded by it, so no input can make them
 * spin; what needs more days saturates as documented below. */
#define LR_CALENDAR_MAX_DAYS 7320

/* The earliest instant u >= t such that `business_ms` of business time lies
 * between t and u. business_ms <= 0 gives t. A NULL calendar counts every
 * millisecond (u = t + business_ms, INT64_MAX when that overflows). t is
 * clamped with lr_tz_clamp; when u lies more than LR_CALENDAR_MAX_DAYS days
 * after t the answer is LR_TZ_MAX_MS ("not in this millennium"). Costs
 * O(days walked), at most LR_CALENDAR_MAX_DAYS. */
lr_time_ms lr_calendar_add(const lr_calendar *cal, lr_time_ms t, int64_t business_ms);

/* Business milliseconds between `from` and `to` (0 when to <= from). A NULL
 * calendar counts every millisecond (INT64_MAX when that overflows). Both
 * ends are clamped with lr_tz_clamp; past LR_CALENDAR_MAX_DAYS days from
 * `from`, whole weeks count week_ms each (holidays and daylight-saving
 * changes that far out are not looked at), so the cost stays bounded. */
int64_t lr_calendar_elapsed(const lr_calendar *cal, lr_time_ms from, lr_time_ms to);

/* The unit a duration was written in: days and weeks of business time are
 * shorter than wall-clock ones. */
typedef enum lr_calendar_unit {
    LR_CAL_WALL = 0, /* ms, s, m, h: counted as they are */
    LR_CAL_DAYS,     /* "2d": two working days of day_ms each */
    LR_CAL_WEEKS,    /* "1w": one working week of week_ms */
} lr_calendar_unit;

/* A duration of `ms` wall-clock milliseconds, written in `unit`, in the
 * calendar's business time. A NULL calendar gives ms. */
int64_t lr_calendar_scale(const lr_calendar *cal, lr_calendar_unit unit, int64_t ms);

#endif
