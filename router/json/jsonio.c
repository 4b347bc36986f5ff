/* jsonio.c - JSON lines in and out for replay (see jsonio.h).
 *
 * Reading goes through jansson: replay is not the hot path, and a real parser
 * gives exact error positions. Writing is done by hand into an lr_buf so that
 * the bytes depend on nothing but the event: keys in schema order, strings
 * escaped one fixed way, doubles printed from an integer count of 1/10000. */
#include "jsonio.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "isotime.h"

/* ======================================================================
 * Input
 * ==================================================================== */

typedef struct rd {
    const char *name;
    long lineno;
    lr_arena *arena;
    lr_err *err;
} rd;

static int rd_fail(rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rd_fail(rd *r, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lr_err_set(r->err, LR_ERR_FATAL, "%s:%ld: %s", r->name ? r->name : "<input>", r->lineno,
               msg);
    return -1;
}

static const char *json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

static int wrong_type(rd *r, const char *field, const char *want, const json_t *v) {
    return rd_fail(r, "field '%s' must be %s, not %s", field, want, json_kind(v));
}

static lr_str copy_str(rd *r, const json_t *v) {
    size_t n = json_string_length(v);
    return (lr_str){lr_arena_strndup(r->arena, json_string_value(v), n), (uint32_t)n};
}

/* Required string: present and a string. */
static int get_str(rd *r, const char *field, const json_t *v, lr_str *out) {
    if (!json_is_string(v)) return wrong_type(r, field, "a string", v);
    *out = copy_str(r, v);
    return 0;
}

/* Optional string: a string or null. */
static int get_opt_str(rd *r, const char *field, const json_t *v, lr_str *out) {
    if (json_is_null(v)) {
        *out = LR_STR_NULL;
        return 0;
    }
    return get_str(r, field, v, out);
}

static int get_opt_long(rd *r, const char *field, const json_t *v, int64_t *out) {
    if (json_is_null(v)) {
        *out = -1;
        return 0;
    }
    if (!json_is_integer(v)) return wrong_type(r, field, "an integer or null", v);
    /* -1 stands for "absent" inside the router: a negative count is refused
     * rather than silently read as null. */
    if (json_integer_value(v) < 0) return rd_fail(r, "field '%s' must not be negative", field);
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int get_time(rd *r, const char *field, const json_t *v, lr_time_ms *out) {
    if (json_is_integer(v)) {
        *out = (lr_time_ms)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        if (lr_isotime_parse(json_string_value(v), json_string_length(v), out)) return 0;
        return rd_fail(r, "field '%s': '%s' is not an ISO-8601 UTC time "
                       "(e.g. 2026-11-20T10:15:00Z)", field, json_string_value(v));
    }
    return wrong_type(r, field, "integer ms since the epoch or an ISO-8601 string", v);
}

/* ---- enums, in either case */

static int get_activity_type(rd *r, const json_t *v, lr_activity_type *out) {
    if (!json_is_string(v)) return wrong_type(r, "activities[].type", "a string", v);
    if (!lr_activity_type_parse(json_string_value(v), out))
        return rd_fail(r, "unknown activity type '%s'", json_string_value(v));
    return 0;
}

/* ---- lead */

typedef struct str_field {
    const char *name;
    size_t off;
} str_field;

#define LEAD_STR(f) {#f, offsetof(lr_lead, f)}
static const str_field lead_opt_strs[] = {
    LEAD_STR(source),       LEAD_STR(channel),        LEAD_STR(campaign),
    LEAD_STR(email),        LEAD_STR(first_name),     LEAD_STR(last_name),
    LEAD_STR(job_title),    LEAD_STR(phone),          LEAD_STR(company_name),
    LEAD_STR(company_domain), LEAD_STR(industry),     LEAD_STR(country),
    LEAD_STR(region),       LEAD_STR(language),       LEAD_STR(product_interest),
};

static const char *const lead_keys =
    "type, lead_id, event_time, source, channel, campaign, email, first_name, last_name, "
    "job_title, phone, company_name, company_domain, industry, company_size, "
    "annual_revenue, country, region, language, product_interest, consent, activities, "
    "attributes";

static int parse_activity(rd *r, const json_t *obj, size_t idx, lr_activity *a) {
    if (!json_is_object(obj)) return rd_fail(r, "activities[%zu] must be an object", idx);
    bool have_type = false, have_at = false;
    const char *k;
    json_t *v;
    a->detail = LR_STR_NULL;
    json_object_foreach((json_t *)obj, k, v) {
        if (strcmp(k, "type") == 0) {
            if (get_activity_type(r, v, &a->type) < 0) return -1;
            have_type = true;
        } else if (strcmp(k, "at") == 0) {
            if (get_time(r, "activities[].at", v, &a->at) < 0) return -1;
            have_at = true;
        } else if (strcmp(k, "detail") == 0) {
            if (get_opt_str(r, "activities[].detail", v, &a->detail) < 0) return -1;
        } else {
            return rd_fail(r, "unknown field 'activities[%zu].%s' (known: type, at, detail)",
                           idx, k);
        }
    }
    if (!have_type) return rd_fail(r, "activities[%zu]: missing field 'type'", idx);
    if (!have_at) return rd_fail(r, "activities[%zu]: missing field 'at'", idx);
    return 0;
}

static int parse_activities(rd *r, const json_t *v, lr_lead *l) {
    if (!json_is_array(v)) return wrong_type(r, "activities", "an array", v);
    for (size_t i = 0; i < json_array_size(v); i++) {
        lr_activity tmp;
        if (parse_activity(r, json_array_get(v, i), i, &tmp) < 0) return -1;
        if (l->n_activities < LR_MAX_ACTIVITIES)
            l->activities[l->n_activities++] = tmp;
        else
            l->activities_dropped++;
    }
    return 0;
}

static int parse_attributes(rd *r, const json_t *v, lr_lead *l) {
    if (!json_is_object(v)) return wrong_type(r, "attributes", "an object of strings", v);
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val) {
        if (!json_is_string(val))
            return rd_fail(r, "attributes.%s must be a string, not %s", k, json_kind(val));
        if (l->n_attrs >= LR_MAX_ATTRS) {
            l->attrs_dropped++;
            continue;
        }
        lr_attr *a = &l->attrs[l->n_attrs++];
        a->key = (lr_str){lr_arena_strndup(r->arena, k, strlen(k)), (uint32_t)strlen(k)};
        a->value = copy_str(r, val);
    }
    return 0;
}

static int parse_lead_field(rd *r, const char *k, const json_t *v, lr_lead *l, bool *have_id,
                            bool *have_time) {
    for (size_t i = 0; i < sizeof(lead_opt_strs) / sizeof(lead_opt_strs[0]); i++)
        if (strcmp(k, lead_opt_strs[i].name) == 0)
            return get_opt_str(r, k, v, (lr_str *)((char *)l + lead_opt_strs[i].off));
    if (strcmp(k, "lead_id") == 0) {
        *have_id = true;
        return get_str(r, k, v, &l->lead_id);
    }
    if (strcmp(k, "event_time") == 0) {
        *have_time = true;
        return get_time(r, k, v, &l->event_time);
    }
    if (strcmp(k, "company_size") == 0) return get_opt_long(r, k, v, &l->company_size);
    if (strcmp(k, "annual_revenue") == 0) return get_opt_long(r, k, v, &l->annual_revenue);
    if (strcmp(k, "consent") == 0) {
        if (json_is_null(v)) return 0;
        if (!json_is_boolean(v)) return wrong_type(r, k, "true, false or null", v);
        l->consent_known = true;
        l->consent = json_is_true(v);
        return 0;
    }
    if (strcmp(k, "activities") == 0) return parse_activities(r, v, l);
    if (strcmp(k, "attributes") == 0) return parse_attributes(r, v, l);
    return rd_fail(r, "unknown field '%s' in a lead (known: %s)", k, lead_keys);
}

static int parse_lead(rd *r, const json_t *obj, lr_lead *l) {
    memset(l, 0, sizeof(*l));
    l->company_size = l->annual_revenue = -1;
    bool have_id = false, have_time = false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (strcmp(k, "type") == 0) continue;
        if (parse_lead_field(r, k, v, l, &have_id, &have_time) < 0) return -1;
    }
    if (!have_id) return rd_fail(r, "lead: missing field 'lead_id'");
    if (!have_time) return rd_fail(r, "lead: missing field 'event_time'");
    const char *why = lr_lead_contract_violation(l);
    if (why) return rd_fail(r, "contract violation: %s", why);
    return 0;
}

/* ---- sales activity */

static const char *const sales_keys =
    "type, activity_id, lead_id, kind, rep_id, occurred_at, assignment_id, reason, "
    "opportunity_value";

/* Required fields seen, as bits; the order matches `required` below. */
enum {
    HAVE_ACTIVITY_ID = 1,
    HAVE_LEAD_ID = 2,
    HAVE_REP_ID = 4,
    HAVE_OCCURRED_AT = 8,
    HAVE_KIND = 16,
};

static int parse_sales_field(rd *r, const char *k, const json_t *v, lr_sales_activity *a,
                             unsigned *have) {
    if (strcmp(k, "activity_id") == 0) {
        *have |= HAVE_ACTIVITY_ID;
        return get_str(r, k, v, &a->activity_id);
    }
    if (strcmp(k, "lead_id") == 0) {
        *have |= HAVE_LEAD_ID;
        return get_str(r, k, v, &a->lead_id);
    }
    if (strcmp(k, "rep_id") == 0) {
        *have |= HAVE_REP_ID;
        return get_str(r, k, v, &a->rep_id);
    }
    if (strcmp(k, "occurred_at") == 0) {
        *have |= HAVE_OCCURRED_AT;
        return get_time(r, k, v, &a->occurred_at);
    }
    if (strcmp(k, "kind") == 0) {
        *have |= HAVE_KIND;
        if (!json_is_string(v)) return wrong_type(r, k, "a string", v);
        if (!lr_sales_kind_parse(json_string_value(v), &a->kind))
            return rd_fail(r, "unknown sales activity kind '%s' (known: CONTACTED, ACCEPTED, "
                           "REJECTED, CONVERTED, RECYCLED)", json_string_value(v));
        return 0;
    }
    if (strcmp(k, "assignment_id") == 0) return get_opt_str(r, k, v, &a->assignment_id);
    if (strcmp(k, "reason") == 0) return get_opt_str(r, k, v, &a->reason);
    if (strcmp(k, "opportunity_value") == 0) {
        if (json_is_null(v)) return 0;
        if (!json_is_number(v)) return wrong_type(r, k, "a number or null", v);
        a->has_value = true;
        a->opportunity_value = json_number_value(v);
        return 0;
    }
    return rd_fail(r, "unknown field '%s' in an activity (known: %s)", k, sales_keys);
}

static int parse_sales(rd *r, const json_t *obj, lr_sales_activity *a) {
    static const char *const required[] = {"activity_id", "lead_id", "rep_id", "occurred_at",
                                           "kind"};
    memset(a, 0, sizeof(*a));
    unsigned have = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (strcmp(k, "type") == 0) continue;
        if (parse_sales_field(r, k, v, a, &have) < 0) return -1;
    }
    for (unsigned i = 0; i < 5; i++)
        if (!(have & (1u << i))) return rd_fail(r, "activity: missing field '%s'", required[i]);
    const char *why = lr_sales_contract_violation(a);
    if (why) return rd_fail(r, "contract violation: %s", why);
    return 0;
}

/* ---- line */

static bool skippable(const char *line, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        return c == '#';
    }
    return true;
}

static int parse_object(rd *r, const json_t *root, lr_json_input *out) {
    if (!json_is_object(root)) return rd_fail(r, "expected a JSON object, found %s",
                                              json_kind(root));
    const json_t *type = json_object_get(root, "type");
    if (!type) return rd_fail(r, "missing field 'type' (lead or activity)");
    if (!json_is_string(type)) return wrong_type(r, "type", "a string", type);
    const char *t = json_string_value(type);
    if (strcmp(t, "lead") == 0) {
        out->kind = LR_JSON_LEAD;
        if (parse_lead(r, root, &out->u.lead) < 0) return -1;
        out->time = out->u.lead.event_time;
        return 0;
    }
    if (strcmp(t, "activity") == 0) {
        out->kind = LR_JSON_SALES;
        if (parse_sales(r, root, &out->u.sales) < 0) return -1;
        out->time = out->u.sales.occurred_at;
        return 0;
    }
    return rd_fail(r, "unknown type '%s' (known: lead, activity)", t);
}

int lr_jsonio_parse_line(const char *line, size_t len, const char *name, long lineno,
                         lr_json_input *out, lr_arena *arena, lr_err *err) {
    if (skippable(line, len)) return 1;
    rd r = {name, lineno, arena, err};
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) return rd_fail(&r, "invalid JSON at column %d: %s", jerr.column, jerr.text);
    int rc = parse_object(&r, root, out);
    json_decref(root);
    return rc;
}

/* ======================================================================
 * Output
 * ==================================================================== */

typedef struct wr {
    lr_buf *b;
    bool first;
} wr;

static void put_lit(lr_buf *b, const char *s) { lr_buf_append(b, s, strlen(s)); }

/* Length of a valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    size_t len;
    uint32_t min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
    else return 0;
    if (len > n) return 0;
    uint32_t cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

/* A JSON string. Invalid UTF-8 becomes U+FFFD so that every line stays valid
 * JSON whatever bytes an upstream system put in a field. */
static void put_json_str(lr_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    lr_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        /* copy a run of bytes that need no escaping in one go */
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            lr_buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t l = utf8_len(p + i, n - i);
            if (l) {
                lr_buf_append(b, p + i, l);
                i += l;
            } else {
                put_lit(b, "\\ufffd");
                i++;
            }
            continue;
        }
        switch (c) {
        case '"': put_lit(b, "\\\""); break;
        case '\\': put_lit(b, "\\\\"); break;
        case '\n': put_lit(b, "\\n"); break;
        case '\r': put_lit(b, "\\r"); break;
        case '\t': put_lit(b, "\\t"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                lr_buf_append(b, u, 6);
            } else {
                lr_buf_putc(b, c);
            }
        }
        i++;
    }
    lr_buf_putc(b, '"');
}

static void key(wr *w, const char *k) {
    if (!w->first) lr_buf_putc(w->b, ',');
    w->first = false;
    lr_buf_putc(w->b, '"');
    put_lit(w->b, k);
    put_lit(w->b, "\":");
}

/* Required string: NULL prints as "" so the line still fits the schema. */
static void kv_str(wr *w, const char *k, const char *v) {
    key(w, k);
    put_json_str(w->b, v ? v : "", v ? strlen(v) : 0);
}

static void kv_opt(wr *w, const char *k, const char *v) {
    key(w, k);
    if (v) put_json_str(w->b, v, strlen(v));
    else put_lit(w->b, "null");
}

static void kv_lrstr(wr *w, const char *k, lr_str v, bool optional) {
    key(w, k);
    if (v.s) put_json_str(w->b, v.s, v.len);
    else put_lit(w->b, optional ? "null" : "\"\"");
}

static void put_int(lr_buf *b, int64_t v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    lr_buf_append(b, tmp, (size_t)n);
}

static void kv_int(wr *w, const char *k, int64_t v) {
    key(w, k);
    put_int(w->b, v);
}

static void kv_time_opt(wr *w, const char *k, lr_time_ms v) {
    key(w, k);
    if (v == LR_TIME_NONE) put_lit(w->b, "null");
    else put_int(w->b, v);
}

void lr_jsonio_put_double(lr_buf *b, double v) {
    if (!isfinite(v)) {
        put_lit(b, "null"); /* JSON has no NaN or infinity */
        return;
    }
    /* Up to 9e14 a count of 1/10000 fits an int64 exactly: print that
     * integer with the decimal point put back, trailing zeros dropped. */
    if (fabs(v) < 9.0e14) {
        long long q = llround(v * 10000.0);
        if (q == 0) {
            lr_buf_putc(b, '0');
            return;
        }
        if (q < 0) lr_buf_putc(b, '-');
        unsigned long long a = q < 0 ? (unsigned long long)(-q) : (unsigned long long)q;
        char tmp[32];
        int n = snprintf(tmp, sizeof(tmp), "%llu", a / 10000);
        lr_buf_append(b, tmp, (size_t)n);
        unsigned frac = (unsigned)(a % 10000);
        if (frac) {
            char f[6] = {'.', (char)('0' + frac / 1000), (char)('0' + frac / 100 % 10),
                         (char)('0' + frac / 10 % 10), (char)('0' + frac % 10), 0};
            size_t fl = 5;
            while (f[fl - 1] == '0') fl--;
            lr_buf_append(b, f, fl);
        }
        return;
    }
    char tmp[400];
    int n = snprintf(tmp, sizeof(tmp), "%.0f", v); /* past 2^49 decimals are noise anyway */
    lr_buf_append(b, tmp, (size_t)n);
}

static void kv_double(wr *w, const char *k, double v) {
    key(w, k);
    lr_jsonio_put_double(w->b, v);
}

static void write_reason(lr_buf *b, const lr_reason *r) {
    wr w = {b, true};
    lr_buf_putc(b, '{');
    kv_str(&w, "kind", lr_reason_kind_name(r->kind));
    kv_opt(&w, "rule", r->rule);
    kv_opt(&w, "rep", r->rep);
    kv_double(&w, "points", r->points);
    kv_opt(&w, "detail", r->detail);
    lr_buf_putc(b, '}');
}

static void write_decision(wr *w, const lr_decision *d) {
    kv_str(w, "type", "decision");
    kv_lrstr(w, "lead_id", d->lead_id, false);
    kv_str(w, "event_id", d->event_id);
    kv_int(w, "seq", d->seq);
    kv_str(w, "stage", lr_stage_name(d->stage));
    kv_opt(w, "tier", d->tier);
    kv_opt(w, "team", d->team);
    kv_opt(w, "rep", d->rep);
    kv_opt(w, "queue", d->queue);
    kv_double(w, "score", d->score);
    kv_double(w, "fit_score", d->fit);
    kv_double(w, "engagement_score", d->engagement);
    kv_str(w, "cause", lr_cause_name(d->cause));
    kv_int(w, "attempt", d->attempt);
    kv_int(w, "event_time", d->event_time);
    kv_int(w, "decided_at", d->decided_at);
    kv_time_opt(w, "sla_due_at", d->sla_due_at);
    kv_lrstr(w, "source", d->source, true);
    kv_lrstr(w, "campaign", d->campaign, true);
    key(w, "reasons");
    lr_buf_putc(w->b, '[');
    uint32_t n = d->n_reasons < LR_MAX_REASONS ? d->n_reasons : LR_MAX_REASONS;
    for (uint32_t i = 0; i < n; i++) {
        if (i) lr_buf_putc(w->b, ',');
        write_reason(w->b, &d->reasons[i]);
    }
    lr_buf_putc(w->b, ']');
    kv_int(w, "reasons_dropped", d->reasons_dropped);
    kv_str(w, "router_version", LR_VERSION);
}

static void write_status(wr *w, const lr_status *s) {
    kv_str(w, "type", "status");
    kv_lrstr(w, "lead_id", s->lead_id, false);
    kv_str(w, "event_id", s->event_id);
    kv_int(w, "seq", s->seq);
    kv_str(w, "status", lr_status_kind_name(s->status));
    kv_int(w, "at", s->at);
    kv_int(w, "occurred_at", s->occurred_at);
    kv_opt(w, "team", s->team);
    kv_opt(w, "rep", s->rep);
    kv_lrstr(w, "source", s->source, true);
    kv_lrstr(w, "campaign", s->campaign, true);
    kv_opt(w, "tier", s->tier);
    kv_opt(w, "reason", s->reason);
    key(w, "value");
    if (s->has_value) lr_jsonio_put_double(w->b, s->value);
    else put_lit(w->b, "null");
    /* sla_elapsed_ms < 0 means "no SLA clock here": both fields are null. */
    key(w, "sla_elapsed_ms");
    if (s->sla_elapsed_ms >= 0) put_int(w->b, s->sla_elapsed_ms);
    else put_lit(w->b, "null");
    key(w, "sla_met");
    if (s->sla_elapsed_ms >= 0) put_lit(w->b, s->sla_met ? "true" : "false");
    else put_lit(w->b, "null");
}

static void write_alert(wr *w, const lr_alert *a) {
    kv_str(w, "type", "alert");
    kv_lrstr(w, "lead_id", a->lead_id, false);
    kv_str(w, "event_id", a->event_id);
    kv_int(w, "seq", a->seq);
    kv_str(w, "kind", lr_alert_kind_name(a->kind));
    kv_str(w, "policy", a->policy);
    kv_opt(w, "tier", a->tier);
    kv_opt(w, "team", a->team);
    kv_opt(w, "owner", a->owner);
    kv_opt(w, "addressed_to", a->addressed_to);
    kv_str(w, "action", a->action);
    kv_int(w, "step", a->step);
    kv_int(w, "assigned_at", a->assigned_at);
    kv_int(w, "due_at", a->due_at);
    kv_int(w, "fired_at", a->fired_at);
    kv_int(w, "late_by_ms", a->late_by_ms);
}

void lr_jsonio_write_event(const lr_event *ev, lr_buf *out) {
    wr w = {out, true};
    lr_buf_putc(out, '{');
    switch (ev->kind) {
    case LR_EVENT_DECISION: write_decision(&w, &ev->u.decision); break;
    case LR_EVENT_STATUS: write_status(&w, &ev->u.status); break;
    case LR_EVENT_ALERT: write_alert(&w, &ev->u.alert); break;
    }
    put_lit(out, "}\n");
}
