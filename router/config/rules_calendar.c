/* rules_calendar.c - a calendar map of the YAML file into an lr_calendar, and
 * durations written in a calendar's days and weeks (see rules.h). */
#include "rules.h"

#include <stdlib.h>
#include <string.h>

static const char *const day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

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

/* Local day numbers into *out (malloc'd, NULL when there are none). */
static int parse_holidays(const lr_cfg_node *n, int64_t **out, size_t *count, lr_err *err) {
    *out = NULL;
    *count = 0;
    if (!n) return 0;
    if (lr_cfg_expect(n, LR_CFG_SEQ, "calendar holidays", err) < 0) return -1;
    if (n->n == 0) return 0;
    *out = malloc(n->n * sizeof(int64_t));
    if (!*out) abort();
    for (size_t i = 0; i < n->n; i++)
        if (lr_cfg_as_local_date(n->items[i], "holiday", &(*out)[i], err) < 0) return -1;
    *count = n->n;
    return 0;
}

int lr_calendar_parse(const lr_cfg_node *map, lr_tz_db *tzdb, lr_calendar *out, lr_err *err) {
    memset(out, 0, sizeof(*out));
    cal_raw raw = {0};
    if (lr_cfg_apply(map, cal_fields, LR_CFG_COUNT(cal_fields), &raw, "sla.calendars[]", err))
        return -1;
    if (!raw.name[0]) return lr_cfg_fail(err, map, "calendar name must not be empty");
    lr_err e = {0};
    const lr_tz *tz = lr_tz_get(tzdb, raw.timezone, &e);
    if (!tz)
        return lr_cfg_fail(err, lr_cfg_get(map, "timezone"), "calendar '%s': %s", raw.name,
                           e.msg[0] ? e.msg : "unknown time zone");
    uint8_t days = 0;
    int start_min = 0, end_min = 0;
    if (parse_days(raw.days, &days, err) < 0) return -1;
    if (lr_cfg_as_clock_minutes(raw.start, &start_min, err) < 0) return -1;
    if (lr_cfg_as_clock_minutes(raw.end, &end_min, err) < 0) return -1;
    if (start_min >= end_min)
        return lr_cfg_fail(err, raw.end, "calendar '%s': end %s must be after start %s "
                           "(windows across midnight are not supported)",
                           raw.name, raw.end->scalar, raw.start->scalar);
    int64_t *holidays;
    size_t n_holidays;
    int rc = parse_holidays(raw.holidays, &holidays, &n_holidays, err);
    if (rc == 0)
        lr_calendar_init(out, raw.name, tz, days, start_min, end_min, holidays, n_holidays);
    free(holidays);
    return rc;
}

int64_t lr_calendar_duration(const lr_calendar *cal, const lr_cfg_node *node, int64_t ms) {
    if (!cal || !node || node->kind != LR_CFG_SCALAR) return ms;
    /* the unit is what follows the number: "2d", "1.5w" */
    char *end;
    (void)strtod(node->scalar, &end);
    if (!strcmp(end, "d")) return lr_calendar_scale(cal, LR_CAL_DAYS, ms);
    if (!strcmp(end, "w")) return lr_calendar_scale(cal, LR_CAL_WEEKS, ms);
    return lr_calendar_scale(cal, LR_CAL_WALL, ms);
}
