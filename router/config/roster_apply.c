/* roster_apply.c - records of the roster and account-owner topics (and of
 * replay's JSON lines, and of the CLI) checked against the rulebook and
 * applied to the routing config; see rules.h. Every check runs before
 * anything changes, so a refused record leaves the previous value in force. */
#include "rules.h"

#include <stdio.h>
#include <string.h>

#include "isotime.h"

#define WEIGHT_MAX 1000000
#define CAP_MAX 1000000

static const char *const day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int bad(lr_err *err, const char *id, const char *fmt, const char *a, const char *b) {
    char what[256];
    snprintf(what, sizeof(what), fmt, a ? a : "", b ? b : "");
    snprintf(err->msg, sizeof(err->msg), "rep '%s': %s", id ? id : "", what);
    return -1;
}

/* "HH:MM", 00:00 to 24:00. */
static bool clock_minutes(const char *s, int *out) {
    int h, m;
    char tail;
    if (!s || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || strlen(s) != 5) return false;
    if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m)) return false;
    *out = h * 60 + m;
    return true;
}

/* "YYYY-MM-DD", a real date. */
static bool local_date(const char *s, int64_t *day) {
    int y, mo, d;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3) return false;
    *day = lr_days_from_civil(y, mo, d);
    int y2, mo2, d2;
    lr_civil_from_days(*day, &y2, &mo2, &d2);
    return y == y2 && mo == mo2 && d == d2;
}

static int check_hours(const lr_rep_rec *r, lr_route_rep_spec *s, lr_err *err) {
    if (!r->has_hours) return 0;
    for (size_t i = 0; i < r->n_days; i++) {
        int wd = -1;
        for (int k = 0; k < 7; k++)
            if (!strcmp(r->days[i], day_keys[k])) wd = k;
        if (wd < 0)
            return bad(err, r->id, "'%s' is not a day (mon, tue, wed, thu, fri, sat, sun)",
                       r->days[i], NULL);
        if (s->days & (1u << wd)) return bad(err, r->id, "day '%s' is listed twice", r->days[i], NULL);
        s->days |= (uint8_t)(1u << wd);
    }
    if (!clock_minutes(r->start, &s->start_min) || !clock_minutes(r->end, &s->end_min))
        return bad(err, r->id, "working_hours: '%s'-'%s' is not HH:MM-HH:MM", r->start, r->end);
    if (s->start_min >= s->end_min)
        return bad(err, r->id, "working_hours: end %s must be after start %s", r->end, r->start);
    s->has_hours = true;
    return 0;
}

static int check_ooo(const lr_rep_rec *r, lr_route_ooo *ooo, lr_err *err) {
    for (size_t i = 0; i < r->n_ooo; i++) {
        if (!local_date(r->ooo[i].from, &ooo[i].from_day) ||
            !local_date(r->ooo[i].until, &ooo[i].until_day))
            return bad(err, r->id, "out_of_office: '%s'/'%s' is not a YYYY-MM-DD date pair",
                       r->ooo[i].from, r->ooo[i].until);
        if (ooo[i].until_day <= ooo[i].from_day)
            return bad(err, r->id, "out_of_office: until %s must be after from %s",
                       r->ooo[i].until, r->ooo[i].from);
    }
    return 0;
}

/* Everything checked, into spec/teams/ooo (which must outlive the apply). */
static int check_rep(const lr_route_config *rc, lr_tz_db *tzdb, const lr_rep_rec *r,
                     lr_route_rep_spec *s, lr_route_membership *teams, lr_route_ooo *ooo,
                     lr_err *err) {
    memset(s, 0, sizeof(*s));
    if (!r->id || !r->id[0]) return bad(err, r->id, "the id is empty", NULL, NULL);
    s->id = r->id;
    s->assignable = r->active;
    for (size_t i = 0; i < r->n_teams; i++) {
        teams[i].team = lr_route_team_index(rc, r->teams[i].team);
        teams[i].weight = r->teams[i].weight;
        if (teams[i].team < 0) return bad(err, r->id, "unknown team '%s'", r->teams[i].team, NULL);
        if (r->teams[i].weight < 1 || r->teams[i].weight > WEIGHT_MAX)
            return bad(err, r->id, "team '%s': weight must be 1 to 1000000", r->teams[i].team, NULL);
        for (size_t k = 0; k < i; k++)
            if (teams[k].team == teams[i].team)
                return bad(err, r->id, "team '%s' is listed twice", r->teams[i].team, NULL);
    }
    if (r->max_open < 0 || r->max_open > CAP_MAX || r->max_per_day < 0 || r->max_per_day > CAP_MAX)
        return bad(err, r->id, "max_open and max_per_day must be 0 (no cap) to 1000000", NULL, NULL);
    s->max_open = r->max_open;
    s->max_per_day = r->max_per_day;
    lr_err zerr = {0};
    const char *zone = r->timezone;
    if (!zone && r->n_teams) s->tz = lr_route_team_zone(rc, teams[0].team);
    if (!s->tz && !(s->tz = lr_tz_get(tzdb, zone ? zone : "UTC", &zerr)))
        return bad(err, r->id, "unknown time zone '%s'%s", zone, NULL);
    if (check_hours(r, s, err) < 0 || check_ooo(r, ooo, err) < 0) return -1;
    s->skills = r->skills;
    s->n_skills = r->n_skills;
    s->ooo = ooo;
    s->n_ooo = r->n_ooo;
    return 0;
}

int lr_roster_apply_rep(lr_route_config *rc, lr_tz_db *tzdb, const lr_rep_rec *r, bool dry_run,
                        lr_err *err) {
    lr_route_rep_spec s;
    lr_route_membership teams[LR_REP_MAX_TEAMS];
    lr_route_ooo ooo[LR_REP_MAX_OOO];
    if (check_rep(rc, tzdb, r, &s, teams, ooo, err) < 0) return -1;
    if (!dry_run) lr_route_roster_set_rep(rc, &s, teams, r->n_teams);
    return 0;
}

int lr_roster_remove_rep(lr_route_config *rc, const char *id, size_t len, lr_err *err) {
    if (lr_route_roster_remove_rep(rc, id, len) == 0) return 0;
    snprintf(err->msg, sizeof(err->msg), "rep '%.*s': unknown or removed already", (int)len, id);
    return -1;
}

/* A domain as the key of an owner: lower case, no trailing dot, with a dot. */
static bool domain_ok(const char *d) {
    size_t n = d ? strlen(d) : 0;
    if (n < 3 || n > 253 || d[n - 1] == '.' || d[0] == '.' || !strchr(d, '.')) return false;
    for (size_t i = 0; i < n; i++)
        if (d[i] <= ' ' || d[i] == '@' || d[i] == '/' || (d[i] >= 'A' && d[i] <= 'Z')) return false;
    return true;
}

int lr_roster_apply_owner(lr_route_config *rc, const lr_owner_rec *o, bool dry_run, lr_err *err) {
    if (!domain_ok(o->domain)) {
        snprintf(err->msg, sizeof(err->msg),
                 "account '%s': not a normalised domain (lower case, no trailing dot)",
                 o->domain ? o->domain : "");
        return -1;
    }
    int32_t rep = o->owner ? lr_route_rep_index(rc, o->owner, strlen(o->owner)) : -1;
    if (rep < 0 || lr_route_rep_removed(rc, rep)) {
        snprintf(err->msg, sizeof(err->msg), "account '%s': unknown rep '%s'", o->domain,
                 o->owner ? o->owner : "");
        return -1;
    }
    if (o->team && lr_route_team_index(rc, o->team) < 0) {
        snprintf(err->msg, sizeof(err->msg), "account '%s': unknown team '%s'", o->domain, o->team);
        return -1;
    }
    if (!dry_run) lr_route_owner_set(rc, o->domain, rep);
    return 0;
}

int lr_roster_clear_owner(lr_route_config *rc, const char *domain, lr_err *err) {
    if (lr_route_owner_clear(rc, domain) == 0) return 0;
    snprintf(err->msg, sizeof(err->msg), "account '%s': no owner to clear", domain);
    return -1;
}
