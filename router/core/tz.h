/* tz.h - time zones from TZif data: UTC offsets, local time and civil dates
 * without the C library's TZ variable or localtime(). Lookups are O(log
 * transitions) and pure; a zone is built once from the bytes of its TZif file
 * (config/tzdb.h reads the files and owns the zones), and the core only holds
 * `const lr_tz *`. */
#ifndef LR_TZ_H
#define LR_TZ_H

#include "common.h"

typedef struct lr_tz lr_tz;

/* The instants the zone functions compute with: 0001-01-01T00:00:00Z to
 * 9999-12-31T23:59:59.999Z. Any int64 is accepted; an instant outside is
 * clamped to the nearest end first, so no conversion overflows and every
 * year fits an int (the contract in lead.h keeps real inputs well inside). */
#define LR_TZ_MIN_MS (-62135596800000LL)
#define LR_TZ_MAX_MS 253402300799999LL

/* lr_time_ms clamped to [LR_TZ_MIN_MS, LR_TZ_MAX_MS]. */
static inline lr_time_ms lr_tz_clamp(lr_time_ms t) {
    return t < LR_TZ_MIN_MS ? LR_TZ_MIN_MS : t > LR_TZ_MAX_MS ? LR_TZ_MAX_MS : t;
}

/* A zone from the bytes of a TZif file (v1, or v2+ with its POSIX footer
 * rule); NULL when they are not one. lr_tz_utc: offset 0, no table. */
lr_tz *lr_tz_parse(const char *name, const void *bytes, size_t len);
lr_tz *lr_tz_utc(const char *name);
void lr_tz_free(lr_tz *tz);
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
 * moved forward by the gap; in an overlap (fall back) the earlier instant wins.
 * The year is clamped to 0..10000 so that the result cannot overflow. */
lr_time_ms lr_tz_to_utc(const lr_tz *tz, int year, int month, int mday, int minute_of_day);

/* Civil-date helpers, UTC and proleptic Gregorian. */
int64_t lr_days_from_civil(int year, int month, int mday);
void lr_civil_from_days(int64_t days, int *year, int *month, int *mday);

#endif
