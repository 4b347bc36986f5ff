/* tz.c - time zones from the bytes of TZif files (config/tzdb.c reads them,
 * once, at configuration time).
 *
 * The C library's localtime() depends on the process-wide TZ variable, which a
 * pure core must not touch, so we read the zone's transition table ourselves
 * (TZif v2+ 64-bit section) and, past its last transition, follow the POSIX
 * rule in the file's footer (e.g. "CET-1CEST,M3.5.0,M10.5.0/3"). */
#include "tz.h"

#include <stdlib.h>
#include <string.h>

typedef struct tz_rule_date {
    int month, week, wday; /* Mm.w.d: week 5 = last */
    int32_t time_s;        /* local time of day of the change */
} tz_rule_date;

typedef struct tz_rule {
    bool valid, has_dst;
    int32_t std_off, dst_off; /* seconds east of UTC */
    tz_rule_date start, end;  /* start of DST (in standard time), end (in DST) */
} tz_rule;

struct lr_tz {
    char *name;
    size_t n;          /* transitions */
    int64_t *at;       /* transition instants, seconds UTC, ascending */
    int32_t *off_after;/* offset in force from at[i] */
    int32_t off_before;/* offset before the first transition */
    tz_rule rule;      /* after the last transition */
};

/* ---- civil dates ---------------------------------------------------------- */

int64_t lr_days_from_civil(int year, int month, int mday) {
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned m = (unsigned)month;
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)mday - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void lr_civil_from_days(int64_t z, int *year, int *month, int *mday) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *mday = (int)d;
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int days_in_month(int y, int m) {
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return md[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* ---- POSIX TZ rule ---------------------------------------------------------- */

static const char *parse_name(const char *p) {
    if (*p == '<') {
        while (*p && *p != '>') p++;
        return *p == '>' ? p + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] -> seconds */
static const char *parse_hms(const char *p, int32_t *out) {
    int sign = 1;
    if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
    if (*p < '0' || *p > '9') return NULL;
    int32_t h = 0, m = 0, s = 0;
    while (*p >= '0' && *p <= '9') h = h * 10 + (*p++ - '0');
    if (*p == ':') {
        p++;
        while (*p >= '0' && *p <= '9') m = m * 10 + (*p++ - '0');
        if (*p == ':') {
            p++;
            while (*p >= '0' && *p <= '9') s = s * 10 + (*p++ - '0');
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *parse_rule_date(const char *p, tz_rule_date *d) {
    if (*p != 'M') return NULL; /* Jn and n forms are not used by current tzdata */
    char *end;
    d->month = (int)strtol(p + 1, &end, 10);
    if (*end != '.') return NULL;
    d->week = (int)strtol(end + 1, &end, 10);
    if (*end != '.') return NULL;
    d->wday = (int)strtol(end + 1, &end, 10);
    p = end;
    d->time_s = 7200;
    if (*p == '/' && !(p = parse_hms(p + 1, &d->time_s))) return NULL;
    if (d->month < 1 || d->month > 12 || d->week < 1 || d->week > 5 || d->wday < 0 ||
        d->wday > 6)
        return NULL;
    return p;
}

static void parse_rule(const char *p, tz_rule *r) {
    memset(r, 0, sizeof(*r));
    int32_t off;
    if (!(p = parse_name(p)) || !(p = parse_hms(p, &off))) return;
    r->std_off = -off; /* POSIX counts west of UTC as positive */
    if (!*p) {
        r->valid = true;
        return;
    }
    if (!(p = parse_name(p))) return;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, &off))) return;
        r->dst_off = -off;
    }
    if (*p++ != ',' || !(p = parse_rule_date(p, &r->start))) return;
    if (*p++ != ',' || !(p = parse_rule_date(p, &r->end))) return;
    r->has_dst = true;
    r->valid = *p == '\0';
}

/* The local date of rule date d in year y, as days since the epoch. */
static int64_t rule_day(int y, const tz_rule_date *d) {
    int64_t first = lr_days_from_civil(y, d->month, 1);
    int wday_first = (int)((first % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    int day = 1 + (d->wday - wday_first + 7) % 7 + (d->week - 1) * 7;
    while (day > days_in_month(y, d->month)) day -= 7;
    return first + day - 1;
}

static int32_t rule_offset(const tz_rule *r, int64_t t) {
    if (!r->has_dst) return r->std_off;
    int y, m, d;
    lr_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
    int64_t start = rule_day(y, &r->start) * 86400 + r->start.time_s - r->std_off;
    int64_t end = rule_day(y, &r->end) * 86400 + r->end.time_s - r->dst_off;
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? r->dst_off : r->std_off;
}

/* ---- TZif ----------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

typedef struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static bool read_counts(const uint8_t *p, size_t len, tzif_counts *c) {
    if (len < 44 || memcmp(p, "TZif", 4) != 0) return false;
    c->isut = be32(p + 20);
    c->isstd = be32(p + 24);
    c->leap = be32(p + 28);
    c->time = be32(p + 32);
    c->type = be32(p + 36);
    c->chars = be32(p + 40);
    return c->type > 0 && c->type < 256;
}

static size_t block_len(const tzif_counts *c, int tsize) {
    return (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chars +
           (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

static bool parse_tzif(lr_tz *tz, const uint8_t *p, size_t len) {
    tzif_counts c;
    if (!read_counts(p, len, &c)) return false;
    int version = p[4];
    int tsize = 4;
    const uint8_t *data = p + 44;
    size_t remaining = len - 44;
    if (version >= '2') { /* skip the 32-bit block, use the 64-bit one */
        size_t skip = block_len(&c, 4);
        if (skip + 44 > remaining) return false;
        const uint8_t *h2 = data + skip;
        if (!read_counts(h2, remaining - skip, &c)) return false;
        data = h2 + 44;
        remaining -= skip + 44;
        tsize = 8;
    }
    if (block_len(&c, tsize) > remaining) return false;
    const uint8_t *times = data;
    const uint8_t *idx = times + (size_t)c.time * tsize;
    const uint8_t *types = idx + c.time;
    tz->n = c.time;
    tz->at = calloc(c.time + 1, sizeof(*tz->at));
    tz->off_after = calloc(c.time + 1, sizeof(*tz->off_after));
    if (!tz->at || !tz->off_after) return false;
    for (uint32_t i = 0; i < c.time; i++) {
        tz->at[i] = tsize == 8 ? be64(times + (size_t)i * 8) : (int32_t)be32(times + (size_t)i * 4);
        uint8_t ti = idx[i];
        if (ti >= c.type) return false;
        tz->off_after[i] = (int32_t)be32(types + (size_t)ti * 6);
    }
    /* before the first transition: the first standard-time type */
    tz->off_before = (int32_t)be32(types);
    for (uint32_t t = 0; t < c.type; t++) {
        if (!types[t * 6 + 4]) {
            tz->off_before = (int32_t)be32(types + (size_t)t * 6);
            break;
        }
    }
    if (tsize == 8) {
        const uint8_t *footer = data + block_len(&c, 8);
        const uint8_t *end = p + len;
        if (footer < end && *footer == '\n') {
            const uint8_t *nl = memchr(footer + 1, '\n', (size_t)(end - footer - 1));
            if (nl) {
                char rule[128];
                size_t n = (size_t)(nl - footer - 1);
                if (n < sizeof(rule)) {
                    memcpy(rule, footer + 1, n);
                    rule[n] = '\0';
                    parse_rule(rule, &tz->rule);
                }
            }
        }
    }
    return true;
}

void lr_tz_free(lr_tz *tz) {
    if (!tz) return;
    free(tz->name);
    free(tz->at);
    free(tz->off_after);
    free(tz);
}

/* ---- public -------------------------------------------------------------- */

lr_tz *lr_tz_utc(const char *name) {
    lr_tz *tz = calloc(1, sizeof(*tz));
    if (!tz) abort();
    tz->name = strdup(name);
    tz->rule.valid = true; /* offset 0, no table needed */
    return tz;
}

lr_tz *lr_tz_parse(const char *name, const void *bytes, size_t len) {
    lr_tz *tz = calloc(1, sizeof(*tz));
    if (!tz) abort();
    tz->name = strdup(name);
    if (!parse_tzif(tz, bytes, len)) {
        lr_tz_free(tz);
        return NULL;
    }
    return tz;
}

const char *lr_tz_name(const lr_tz *tz) { return tz->name; }

int32_t lr_tz_offset_s(const lr_tz *tz, lr_time_ms utc) {
    utc = lr_tz_clamp(utc);
    int64_t t = floor_div(utc, 1000);
    if (tz->n == 0) return tz->rule.valid ? rule_offset(&tz->rule, t) : tz->off_before;
    if (t < tz->at[0]) return tz->off_before;
    if (t >= tz->at[tz->n - 1] && tz->rule.valid) return rule_offset(&tz->rule, t);
    size_t lo = 0, hi = tz->n; /* last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t) lo = mid;
        else hi = mid;
    }
    return tz->off_after[lo];
}

void lr_tz_local(const lr_tz *tz, lr_time_ms utc, lr_local_time *out) {
    utc = lr_tz_clamp(utc);
    int32_t off = lr_tz_offset_s(tz, utc);
    int64_t local_s = floor_div(utc, 1000) + off;
    int64_t day = floor_div(local_s, 86400);
    int64_t sod = local_s - day * 86400;
    lr_civil_from_days(day, &out->year, &out->month, &out->mday);
    out->wday = (int)((day % 7 + 11) % 7);
    out->minute_of_day = (int)(sod / 60);
    out->day_number = day;
    out->offset_s = off;
}

lr_time_ms lr_tz_to_utc(const lr_tz *tz, int year, int month, int mday, int minute_of_day) {
    /* |local_s| stays below 2^39, so the * 1000 below cannot overflow */
    if (year < 0) year = 0;
    if (year > 10000) year = 10000;
    if (month < 1 || month > 12) month = 1;
    if (mday < 1 || mday > 31) mday = 1;
    if (minute_of_day < 0 || minute_of_day > 1440) minute_of_day = 0;
    int64_t local_s = lr_days_from_civil(year, month, mday) * 86400 + (int64_t)minute_of_day * 60;
    /* the offsets in force a day before and after bracket any single change */
    int32_t before = lr_tz_offset_s(tz, (local_s - 86400) * 1000);
    int32_t after = lr_tz_offset_s(tz, (local_s + 86400) * 1000);
    int64_t best = INT64_MAX;
    int32_t cands[2] = {before, after};
    for (int i = 0; i < 2; i++) {
        int64_t u = local_s - cands[i];
        if (lr_tz_offset_s(tz, u * 1000) == cands[i] && u < best) best = u;
    }
    if (best == INT64_MAX) best = local_s - before; /* in a gap: moved forward by it */
    return best * 1000;
}
