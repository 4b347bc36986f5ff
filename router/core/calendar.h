/* calendar.h - business-hours arithmetic for SLA clocks.
 *
 * A calendar is a time zone, the working weekdays, one daily window of local
 * wall-clock time and a list of local holiday dates. Business time is the time
 * inside those windows. Each day's window is turned into UTC instants through
 * the zone, so a window that a daylight-saving change shortens or lengthens
 * counts exactly what the wall clock shows. Pure: no I/O, no wall clock. */
#ifndef LR_CALENDAR_H
#define LR_CALENDAR_H

#include "cfg.h"
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

/* Parses one calendar map {name, timezone, days, start, end, holidays} into
 * `out` (strings point into the config tree). 0, or -1 with "FILE:LINE: ...". */
int lr_calendar_parse(const lr_cfg_node *map, lr_tz_db *tzdb, lr_calendar *out, lr_err *err);
void lr_calendar_destroy(lr_calendar *cal);

/* True when that local day is a working day and not a holiday. */
bool lr_calendar_is_business_day(const lr_calendar *cal, int64_t local_day);

/* The earliest instant u >= t such that `business_ms` of business time lies
 * between t and u. business_ms <= 0 gives t. A NULL calendar counts every
 * millisecond (u = t + business_ms). */
lr_time_ms lr_calendar_add(const lr_calendar *cal, lr_time_ms t, int64_t business_ms);

/* Business milliseconds between `from` and `to` (0 when to <= from). A NULL
 * calendar counts every millisecond. */
int64_t lr_calendar_elapsed(const lr_calendar *cal, lr_time_ms from, lr_time_ms to);

/* A configured duration in the calendar's units: "2d" is two working days of
 * day_ms each and "1w" one working week; other units count as they are.
 * `node` must already be a valid duration; `ms` is its wall-clock value. */
int64_t lr_calendar_duration(const lr_calendar *cal, const lr_cfg_node *node, int64_t ms);

#endif
