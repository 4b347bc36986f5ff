/* isotime.c - see isotime.h. Hand-written rather than sscanf: sscanf skips
 * blanks, accepts signs and one-digit fields, and needs a NUL-terminated
 * string, all of which let malformed times through. */
#include "isotime.h"

#include "tz.h"

/* count decimal digits at s[at..] into *out; false when any is missing. */
static bool digits(const char *s, size_t n, size_t at, size_t count, int *out) {
    if (at + count > n) return false;
    int v = 0;
    for (size_t i = 0; i < count; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

static bool valid_date(int y, int m, int d) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* The YYYY-MM-DD prefix of s, checked to be a calendar date. */
static bool date_prefix(const char *s, size_t n, int64_t *day) {
    int y, mo, d;
    if (!digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || !digits(s, n, 5, 2, &mo) ||
        s[7] != '-' || !digits(s, n, 8, 2, &d) || !valid_date(y, mo, d))
        return false;
    *day = lr_days_from_civil(y, mo, d);
    return true;
}

bool lr_isotime_parse_date(const char *s, size_t n, int64_t *day) {
    return n == 10 && date_prefix(s, n, day);
}

/* The zone at s[*i..]: "Z" or ±HH:MM, as seconds east of UTC. */
static bool zone(const char *s, size_t n, size_t *i, int *off_s) {
    if (*i < n && (s[*i] == 'Z' || s[*i] == 'z')) {
        *off_s = 0;
        (*i)++;
        return true;
    }
    if (*i >= n || (s[*i] != '+' && s[*i] != '-')) return false;
    int oh, om;
    if (!digits(s, n, *i + 1, 2, &oh) || *i + 3 >= n || s[*i + 3] != ':' ||
        !digits(s, n, *i + 4, 2, &om) || oh > 23 || om > 59)
        return false;
    *off_s = (oh * 3600 + om * 60) * (s[*i] == '-' ? -1 : 1);
    *i += 6;
    return true;
}

bool lr_isotime_parse(const char *s, size_t n, lr_time_ms *out) {
    int64_t day;
    int h, mi, sec, ms = 0, off_s;
    if (!date_prefix(s, n, &day) || n < 19 || (s[10] != 'T' && s[10] != 't') ||
        !digits(s, n, 11, 2, &h) || s[13] != ':' || !digits(s, n, 14, 2, &mi) ||
        s[16] != ':' || !digits(s, n, 17, 2, &sec) || h > 23 || mi > 59 || sec > 59)
        return false;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        int scale = 100;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            ms += (s[i] - '0') * scale; /* digits past the millisecond are dropped */
            scale /= 10;
        }
        if (i == start) return false;
    }
    if (!zone(s, n, &i, &off_s) || i != n) return false;
    *out = (day * 86400 + h * 3600 + mi * 60 + sec - off_s) * 1000 + ms;
    return true;
}
