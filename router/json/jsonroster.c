/* jsonroster.c - see jsonroster.h. jansson only: these lines are rare next
 * to leads, so they skip jsonfast's path. */
#include "jsonroster.h"

#include <stdio.h>
#include <string.h>

typedef struct rd {
    lr_arena *arena;
    char *why;
    size_t why_len;
    bool bad;
} rd;

static void bad(rd *r, const char *what, const char *field) {
    if (!r->bad) snprintf(r->why, r->why_len, "%s '%s'", what, field);
    r->bad = true;
}

/* A string field: required, optional (NULL when absent or null). */
static const char *str(rd *r, const json_t *o, const char *field, bool required) {
    const json_t *v = json_object_get(o, field);
    if (!v || json_is_null(v)) {
        if (required) bad(r, "missing field", field);
        return NULL;
    }
    if (!json_is_string(v)) return bad(r, "must be a string: field", field), NULL;
    return lr_arena_strndup(r->arena, json_string_value(v), json_string_length(v));
}

static int64_t num(rd *r, const json_t *o, const char *field, int64_t dflt) {
    const json_t *v = json_object_get(o, field);
    if (!v) return dflt;
    if (!json_is_integer(v)) return bad(r, "must be a whole number: field", field), dflt;
    return json_integer_value(v);
}

static const json_t *arr(rd *r, const json_t *o, const char *field, size_t max) {
    const json_t *v = json_object_get(o, field);
    if (!v) return NULL;
    if (!json_is_array(v)) return bad(r, "must be an array: field", field), NULL;
    if (json_array_size(v) > max) return bad(r, "too many items in field", field), NULL;
    return v;
}

static void hours(rd *r, const json_t *o, lr_rep_rec *rec) {
    const json_t *h = json_object_get(o, "working_hours");
    if (!h || json_is_null(h)) return;
    if (!json_is_object(h)) return bad(r, "must be an object: field", "working_hours");
    rec->has_hours = true;
    const json_t *days = arr(r, h, "days", 7);
    for (size_t i = 0; days && i < json_array_size(days); i++) {
        const json_t *d = json_array_get(days, i);
        if (!json_is_string(d)) return bad(r, "must be strings: field", "working_hours.days");
        rec->days[rec->n_days++] = lr_arena_strndup(r->arena, json_string_value(d),
                                                    json_string_length(d));
    }
    rec->start = str(r, h, "start", true);
    rec->end = str(r, h, "end", true);
}

static void rep(rd *r, const json_t *o, lr_rep_rec *rec) {
    memset(rec, 0, sizeof(*rec));
    rec->id = str(r, o, "id", true);
    const json_t *teams = arr(r, o, "teams", LR_REP_MAX_TEAMS);
    for (size_t i = 0; teams && i < json_array_size(teams); i++) {
        const json_t *m = json_array_get(teams, i);
        if (!json_is_object(m)) return bad(r, "must be objects: field", "teams");
        rec->teams[i].team = str(r, m, "team", true);
        rec->teams[i].weight = num(r, m, "weight", 1);
        rec->n_teams++;
    }
    const json_t *active = json_object_get(o, "active");
    rec->active = !active || json_is_true(active);
    rec->max_open = (int32_t)num(r, o, "max_open", 0);
    rec->max_per_day = (int32_t)num(r, o, "max_per_day", 0);
    rec->timezone = str(r, o, "timezone", false);
    hours(r, o, rec);
    const json_t *skills = arr(r, o, "skills", LR_REP_MAX_SKILLS);
    for (size_t i = 0; skills && i < json_array_size(skills); i++) {
        const json_t *s = json_array_get(skills, i);
        if (!json_is_string(s)) return bad(r, "must be strings: field", "skills");
        rec->skills[rec->n_skills++] = lr_arena_strndup(r->arena, json_string_value(s),
                                                        json_string_length(s));
    }
    const json_t *ooo = arr(r, o, "out_of_office", LR_REP_MAX_OOO);
    for (size_t i = 0; ooo && i < json_array_size(ooo); i++) {
        const json_t *w = json_array_get(ooo, i);
        if (!json_is_object(w)) return bad(r, "must be objects: field", "out_of_office");
        rec->ooo[i].from = str(r, w, "from", true);
        rec->ooo[i].until = str(r, w, "until", true);
        rec->n_ooo++;
    }
}

int lr_jsonroster_parse(const json_t *root, bool owner, lr_json_input *out, lr_arena *arena,
                        char *why, size_t why_len) {
    rd r = {arena, why, why_len, false};
    const json_t *t = json_object_get(root, "time");
    if (!t || !json_is_integer(t)) {
        snprintf(why, why_len, "field 'time' (ms since the epoch) is missing or not a number");
        return -1;
    }
    out->time = json_integer_value(t);
    if (owner) {
        out->kind = LR_JSON_OWNER;
        out->u.owner.domain = str(&r, root, "domain", true);
        out->u.owner.owner = str(&r, root, "owner", false); /* null: cleared */
        out->u.owner.team = str(&r, root, "team", false);
    } else {
        out->kind = LR_JSON_ROSTER;
        const json_t *removed = json_object_get(root, "removed");
        out->removed = removed && json_is_true(removed);
        if (out->removed) {
            memset(&out->u.rep, 0, sizeof(out->u.rep));
            out->u.rep.id = str(&r, root, "id", true);
        } else {
            rep(&r, root, &out->u.rep);
        }
    }
    return r.bad ? -1 : 0;
}
