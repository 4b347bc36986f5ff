/* jsonio.c - JSON lines in and out for replay (see jsonio.h).
 *
 * Reading goes through jansson, which gives exact error positions, after a
 * fast path (jsonfast.c) that takes the common lines without allocating. Writing is done by hand into an lr_buf so that
 * the bytes depend on nothing but the event: keys in schema order, strings
 * escaped one fixed way, doubles printed from an integer count of 1/10000. */
#include "jsonio.h"
#include "jsonroster.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "isotime.h"
#include "jsonfast.h"
#include "wire.h"

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

/* Errors go to logs and to the operator's terminal, and a line carries a
 * lead's personal data (email, names, phone, company, free text): an error
 * names the field and what was wrong, never a value from the line. A key
 * the line made up is named only when it looks like a field name (letters,
 * digits, '_', '-', '.', at most 64 bytes): a key can carry data too. */
static const char *key_name(const char *k) {
    size_t n = 0;
    for (; k[n]; n++) {
        char c = k[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok || n >= 64) return "(a key that is not a field name)";
    }
    return n ? k : "(an empty key)";
}

/* jansson's message without its " near '<token>'" tail: the token is input. */
static const char *json_error_text(json_error_t *e) {
    char *near = strstr(e->text, " near ");
    if (near) *near = '\0';
    return e->text;
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

/* A field's key as errors name it: "company_size", "activities[].at". */
static const char *label(const char *prefix, const char *name, char *buf, size_t cap) {
    if (!prefix) return name;
    snprintf(buf, cap, "%s[].%s", prefix, name);
    return buf;
}

/* Comma-separated field names of a record, after `first` when not NULL. */
static const char *known_keys(const lr_wire_record *rec, const char *first, char *buf,
                              size_t cap) {
    size_t at = (size_t)snprintf(buf, cap, "%s", first ? first : "");
    for (uint32_t i = 0; i < rec->n && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", at ? ", " : "", rec->f[i].name);
    return buf;
}

static int get_time(rd *r, const char *field, const json_t *v, lr_time_ms *out) {
    if (json_is_integer(v)) {
        *out = (lr_time_ms)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        if (lr_isotime_parse(json_string_value(v), json_string_length(v), out)) return 0;
        return rd_fail(r, "field '%s': a string of %zu bytes that is not an ISO-8601 UTC time "
                       "(e.g. 2026-11-20T10:15:00Z)", field, json_string_length(v));
    }
    return wrong_type(r, field, "integer ms since the epoch or an ISO-8601 string", v);
}

/* An optional count (company_size, annual_revenue): -1 is the wire's
 * "unknown" (docs/events.md), as on Kafka; other negatives are refused. */
static int get_opt_long(rd *r, const char *field, const json_t *v, int64_t *out) {
    if (json_is_null(v)) {
        *out = -1;
        return 0;
    }
    if (!json_is_integer(v)) return wrong_type(r, field, "an integer or null", v);
    if (json_integer_value(v) < -1) return rd_fail(r, "field '%s' must not be negative", field);
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* An enum symbol in any case; one we do not know becomes the field's
 * unknown_as (Activity.type: OTHER), as the Avro decoder does. */
static int get_enum(rd *r, const char *field, const lr_wire_field *f, const json_t *v,
                    int *out) {
    if (!json_is_string(v)) return wrong_type(r, field, "a string", v);
    if (lr_wire_enum_parse(f, json_string_value(v), out)) return 0;
    if (f->unknown_as >= 0) {
        *out = f->unknown_as;
        return 0;
    }
    char known[256];
    size_t at = 0;
    for (int k = 0; k < f->nsym && at < sizeof(known); k++)
        at += (size_t)snprintf(known + at, sizeof(known) - at, "%s%s", k ? ", " : "",
                               f->sym(k));
    return rd_fail(r, "field '%s': a value of %zu bytes that is not one of: %s", field,
                   json_string_length(v), known);
}

static int parse_record(rd *r, const json_t *obj, const lr_wire_record *rec, void *base,
                        const char *prefix, const char *what);

static int parse_array(rd *r, const char *field, const lr_wire_field *f, const json_t *v,
                       void *base) {
    if (!json_is_array(v)) return wrong_type(r, field, "an array", v);
    uint8_t item[512];
    _Static_assert(sizeof(lr_activity) <= sizeof(item), "array items fit the scratch item");
    if (f->items->size > sizeof(item)) return rd_fail(r, "field '%s': items too large", field);
    for (size_t i = 0; i < json_array_size(v); i++) {
        char what[64];
        snprintf(what, sizeof(what), "%s[%zu]", f->name, i);
        if (parse_record(r, json_array_get(v, i), f->items, item, f->name, what) < 0) return -1;
        lr_json_keep_item(f, base, item);
    }
    return 0;
}

static int parse_map(rd *r, const char *field, const lr_wire_field *f, const json_t *v,
                     void *base) {
    if (!json_is_object(v)) return wrong_type(r, field, "an object of strings", v);
    uint32_t *n = LR_SLOT(base, f->flag, uint32_t), *dropped = LR_SLOT(base, f->flag2, uint32_t);
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val) {
        if (!json_is_string(val))
            return rd_fail(r, "%s.%s must be a string, not %s", field, key_name(k),
                           json_kind(val));
        if (*n >= f->max) {
            (*dropped)++;
            continue;
        }
        lr_attr *a = LR_SLOT(base, f->off, lr_attr) + (*n)++;
        a->key = (lr_str){lr_arena_strndup(r->arena, k, strlen(k)), (uint32_t)strlen(k)};
        a->value = copy_str(r, val);
    }
    return 0;
}

/* One field's value into its slot. Strings, times, counts, enums, arrays and
 * maps are what the input records hold; the other types are output-only. */
static int parse_field(rd *r, const char *field, const lr_wire_field *f, const json_t *v,
                       void *base) {
    bool null_ok = lr_wire_optional(f->type);
    if (null_ok && json_is_null(v)) return 0; /* stays at its default: absent */
    switch (f->type) {
    case LR_F_STR:
    case LR_F_OPT_STR:
        if (!json_is_string(v)) return wrong_type(r, field, "a string", v);
        *LR_SLOT(base, f->off, lr_str) = copy_str(r, v);
        return 0;
    case LR_F_LONG:
        if (f->is_time) return get_time(r, field, v, LR_SLOT(base, f->off, lr_time_ms));
        if (!json_is_integer(v)) return wrong_type(r, field, "an integer", v);
        *LR_SLOT(base, f->off, int64_t) = (int64_t)json_integer_value(v);
        return 0;
    case LR_F_OPT_LONG: return get_opt_long(r, field, v, LR_SLOT(base, f->off, int64_t));
    case LR_F_OPT_TIME: return get_time(r, field, v, LR_SLOT(base, f->off, lr_time_ms));
    case LR_F_OPT_DOUBLE:
        if (!json_is_number(v)) return wrong_type(r, field, "a number or null", v);
        *LR_SLOT(base, f->off, double) = json_number_value(v);
        *LR_SLOT(base, f->flag, bool) = true;
        return 0;
    case LR_F_OPT_BOOL:
        if (!json_is_boolean(v)) return wrong_type(r, field, "true, false or null", v);
        *LR_SLOT(base, f->off, bool) = json_is_true(v);
        if (f->flag != LR_NO_OFF) *LR_SLOT(base, f->flag, bool) = true;
        return 0;
    case LR_F_ENUM: return get_enum(r, field, f, v, LR_SLOT(base, f->off, int));
    case LR_F_ARRAY: return parse_array(r, field, f, v, base);
    case LR_F_MAP: return parse_map(r, field, f, v, base);
    default: return rd_fail(r, "field '%s' cannot be read from a line", field);
    }
}

/* An object of `rec`, keyed by the table's field names. prefix: the array
 * the object is an item of (for error names), NULL at the top level, where
 * the "type" key is the line's and skipped. what: the object, for errors. */
static int parse_record(rd *r, const json_t *obj, const lr_wire_record *rec, void *base,
                        const char *prefix, const char *what) {
    if (!json_is_object(obj)) return rd_fail(r, "%s must be an object", what);
    memset(base, 0, rec->size);
    lr_wire_defaults(rec, base);
    uint64_t seen = 0; /* fields given, as bits (records have fewer than 64) */
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (!prefix && strcmp(k, "type") == 0) continue;
        uint32_t i = 0;
        while (i < rec->n && strcmp(rec->f[i].name, k) != 0) i++;
        char known[600], name[96];
        if (i == rec->n && prefix)
            return rd_fail(r, "unknown field '%s.%s' (known: %s)", what, key_name(k),
                           known_keys(rec, NULL, known, sizeof(known)));
        if (i == rec->n)
            return rd_fail(r, "unknown field '%s' in %s %s (known: %s)", key_name(k),
                           strchr("aeiou", what[0]) ? "an" : "a", what,
                           known_keys(rec, "type", known, sizeof(known)));
        if (i < 64) seen |= 1ull << i;
        if (parse_field(r, label(prefix, k, name, sizeof(name)), &rec->f[i], v, base) < 0)
            return -1;
    }
    for (uint32_t i = 0; i < rec->n && i < 64; i++)
        if (!rec->f[i].has_default && !(seen & (1ull << i)))
            return rd_fail(r, "%s: missing field '%s'", what, rec->f[i].name);
    return 0;
}

static int parse_lead(rd *r, const json_t *obj, lr_lead *l) {
    if (parse_record(r, obj, lr_wire_record_of(LR_SCHEMA_LEAD), l, NULL, "lead") < 0)
        return -1;
    const char *why = lr_lead_contract_violation(l);
    if (why) return rd_fail(r, "contract violation: %s", why);
    return 0;
}

static int parse_sales(rd *r, const json_t *obj, lr_sales_activity *a) {
    if (parse_record(r, obj, lr_wire_record_of(LR_SCHEMA_SALES_ACTIVITY), a, NULL,
                     "activity") < 0)
        return -1;
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
    bool owner = strcmp(t, "account_owner") == 0;
    if (owner || strcmp(t, "roster") == 0) {
        char why[300];
        if (lr_jsonroster_parse(root, owner, out, r->arena, why, sizeof(why)) < 0)
            return rd_fail(r, "%s", why);
        return 0;
    }
    return rd_fail(r, "unknown type, a string of %zu bytes (known: lead, activity, roster, "
                   "account_owner)", json_string_length(type));
}

int lr_jsonio_parse_line(const char *line, size_t len, size_t max_bytes, const char *name,
                         long lineno, lr_json_input *out, lr_arena *arena, lr_err *err) {
    rd r = {name, lineno, arena, err};
    size_t body = len;
    while (body && (line[body - 1] == '\n' || line[body - 1] == '\r')) body--;
    if (max_bytes && body > max_bytes)
        return rd_fail(&r, "line of %zu bytes is over the limit of %zu "
                       "(kafka.max_message_bytes)", body, max_bytes);
    if (skippable(line, len)) return 1;
    if (lr_jsonfast_parse(line, len, out, arena) == 0) return 0;
    return lr_jsonio_parse_line_full(line, len, name, lineno, out, arena, err);
}

int lr_jsonio_parse_line_full(const char *line, size_t len, const char *name, long lineno,
                              lr_json_input *out, lr_arena *arena, lr_err *err) {
    rd r = {name, lineno, arena, err};
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return rd_fail(&r, "invalid JSON at column %d: %s", jerr.column, json_error_text(&jerr));
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

static void put_int(lr_buf *b, int64_t v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    lr_buf_append(b, tmp, (size_t)n);
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

static void put_lrstr(lr_buf *b, lr_str v, bool optional) {
    if (v.s) put_json_str(b, v.s, v.len);
    else put_lit(b, optional ? "null" : "\"\"");
}

static void put_cstr(lr_buf *b, const char *v, bool optional) {
    if (v) put_json_str(b, v, strlen(v));
    else put_lit(b, optional ? "null" : "\"\"");
}

static void put_record(lr_buf *b, const lr_wire_record *rec, const void *base, bool lead_first,
                       const char *type);

/* One field's value, as the Avro encoder writes it but in JSON: a required
 * string that is NULL prints as "" so the line still fits the schema; an
 * absent optional value prints as null. */
static void put_value(lr_buf *b, const lr_wire_field *f, const void *base) {
    switch (f->type) {
    case LR_F_STR:
    case LR_F_OPT_STR:
        put_lrstr(b, *LR_CSLOT(base, f->off, lr_str), f->type == LR_F_OPT_STR);
        break;
    case LR_F_CSTR:
    case LR_F_OPT_CSTR:
        put_cstr(b, *LR_CSLOT(base, f->off, const char *), f->type == LR_F_OPT_CSTR);
        break;
    case LR_F_VERSION: put_json_str(b, LR_VERSION, strlen(LR_VERSION)); break;
    case LR_F_LONG: put_int(b, *LR_CSLOT(base, f->off, int64_t)); break;
    case LR_F_OPT_LONG: {
        int64_t v = *LR_CSLOT(base, f->off, int64_t);
        if (v >= 0) put_int(b, v);
        else put_lit(b, "null");
        break;
    }
    case LR_F_OPT_TIME: {
        lr_time_ms v = *LR_CSLOT(base, f->off, lr_time_ms);
        if (v != LR_TIME_NONE) put_int(b, v);
        else put_lit(b, "null");
        break;
    }
    case LR_F_INT: put_int(b, *LR_CSLOT(base, f->off, int32_t)); break;
    case LR_F_COUNT: put_int(b, *LR_CSLOT(base, f->off, uint32_t)); break;
    case LR_F_DOUBLE: lr_jsonio_put_double(b, *LR_CSLOT(base, f->off, double)); break;
    case LR_F_OPT_DOUBLE:
        if (*LR_CSLOT(base, f->flag, bool)) lr_jsonio_put_double(b, *LR_CSLOT(base, f->off, double));
        else put_lit(b, "null");
        break;
    case LR_F_OPT_BOOL: {
        /* e.g. sla_met means something only when sla_elapsed_ms does */
        bool present = (f->flag == LR_NO_OFF || *LR_CSLOT(base, f->flag, bool)) &&
                       (f->flag2 == LR_NO_OFF || *LR_CSLOT(base, f->flag2, int64_t) >= 0);
        if (!present) put_lit(b, "null");
        else put_lit(b, *LR_CSLOT(base, f->off, bool) ? "true" : "false");
        break;
    }
    case LR_F_ENUM: put_cstr(b, f->sym(*LR_CSLOT(base, f->off, int)), false); break;
    case LR_F_ARRAY: {
        uint32_t n = *LR_CSLOT(base, f->flag, uint32_t);
        if (n > f->max) n = f->max;
        const uint8_t *items = LR_CSLOT(base, f->off, uint8_t);
        lr_buf_putc(b, '[');
        for (uint32_t i = 0; i < n; i++) {
            if (i) lr_buf_putc(b, ',');
            put_record(b, f->items, items + (size_t)i * f->items->size, false, NULL);
        }
        lr_buf_putc(b, ']');
        break;
    }
    case LR_F_MAP: {
        uint32_t n = *LR_CSLOT(base, f->flag, uint32_t);
        if (n > f->max) n = f->max;
        const lr_attr *a = LR_CSLOT(base, f->off, lr_attr);
        lr_buf_putc(b, '{');
        for (uint32_t i = 0; i < n; i++) {
            if (i) lr_buf_putc(b, ',');
            put_lrstr(b, a[i].key, false);
            lr_buf_putc(b, ':');
            put_lrstr(b, a[i].value, false);
        }
        lr_buf_putc(b, '}');
        break;
    }
    }
}

/* An object with the record's fields in schema order. Output lines put
 * "type" first and lead_id second, so that a line says what it is and whose
 * it is before anything else. */
static void put_record(lr_buf *b, const lr_wire_record *rec, const void *base, bool lead_first,
                       const char *type) {
    wr w = {b, true};
    lr_buf_putc(b, '{');
    if (type) {
        key(&w, "type");
        put_cstr(b, type, false);
    }
    const lr_wire_field *lead = NULL;
    for (uint32_t i = 0; lead_first && i < rec->n; i++)
        if (strcmp(rec->f[i].name, "lead_id") == 0) lead = &rec->f[i];
    if (lead) {
        key(&w, lead->name);
        put_value(b, lead, base);
    }
    for (uint32_t i = 0; i < rec->n; i++) {
        if (&rec->f[i] == lead) continue;
        key(&w, rec->f[i].name);
        put_value(b, &rec->f[i], base);
    }
    lr_buf_putc(b, '}');
}

void lr_jsonio_write_event(const lr_event *ev, lr_buf *out) {
    switch (ev->kind) {
    case LR_EVENT_DECISION:
        put_record(out, lr_wire_record_of(LR_SCHEMA_DECISION), &ev->u.decision, true, "decision");
        break;
    case LR_EVENT_STATUS:
        put_record(out, lr_wire_record_of(LR_SCHEMA_STATUS), &ev->u.status, true, "status");
        break;
    case LR_EVENT_ALERT:
        put_record(out, lr_wire_record_of(LR_SCHEMA_ALERT), &ev->u.alert, true, "alert");
        break;
    }
    lr_buf_putc(out, '\n');
}

void lr_jsonio_write_input(const lr_json_input *in, lr_buf *out) {
    if (in->kind == LR_JSON_LEAD)
        put_record(out, lr_wire_record_of(LR_SCHEMA_LEAD), &in->u.lead, false, "lead");
    else
        put_record(out, lr_wire_record_of(LR_SCHEMA_SALES_ACTIVITY), &in->u.sales, false,
                   "activity");
    lr_buf_putc(out, '\n');
}
