/* tz.h - time zones from the system's TZif files, loaded at configuration
 * time; lookups afterwards are pure (no TZ variable, no localtime()).
 *
 * A lr_tz_db caches zones by name; it belongs to the configuration. */
#ifndef LR_TZ_H
#define LR_TZ_H

#include "common.h"

typedef struct lr_tz lr_tz;
typedef struct lr_tz_db lr_tz_db;

/* dir NULL: $LR_ZONEINFO or /usr/share/zoneinfo. */
lr_tz_db *lr_tz_db_new(const char *dir);
void lr_tz_db_free(lr_tz_db *db);
/* Loads (once) and returns a zone: "UTC", "Europe/Berlin"... NULL with
 * err->msg "unknown time zone 'X'" when there is no such zone. */
const lr_tz *lr_tz_get(lr_tz_db *db, const char *name, lr_err *err);
const char *lr_tz_name(const lr_tz *tz);

/* Offset from UTC in seconds at that instant (+3600 for CET). */
int32_t lr_tz_offset_s(const lr_tz *tz, lr_time_ms utc);

typedef struct lr_local_time {
    int year, month, mday;  /* 1-based month and day */
    int wday;               /* 0 = Sunday .. 6 = Saturday */
    int minute_of_day;      /* 0..1439 */
    int64_t day_number;     /* days since 1970-01-01 in local time: a key for "per local day" */
    int32_t offset_s;
} lr_local_time;

void lr_tz_local(const lr_tz *tz, lr_time_ms utc, lr_local_time *out);

/* UTC instant of a local wall-clock time. In a gap (spring forward) the time is
 * moved forward by the gap; in an overlap (fall back) the earlier instant wins. */
lr_time_ms lr_tz_to_utc(const lr_tz *tz, int year, int month, int mday, int minute_of_day);

/* Civil-date helpers, UTC and proleptic Gregorian. */
int64_t lr_days_from_civil(int year, int month, int mday);
void lr_civil_from_days(int64_t days, int *year, int *month, int *mday);

#endif
