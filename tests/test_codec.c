/* test_codec.c - the Avro codec: round trips, agreement with avro-c in both
 * directions, framing, corrupt input (truncation at every byte, 200,000 random
 * mutations) and schema evolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <avro.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "gen.h"
#include "schemas.h"
#include "wire.h"

static const lr_codec_ids IDS = {1, 2, 3, 4, 5};
#define MAX_BYTES (1 << 20)

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */

static lr_codec *codec_new(void) {
    lr_err err = {0};
    lr_codec *c = lr_codec_new(&IDS, MAX_BYTES, &err);
    if (!c) fail_msg("lr_codec_new: %s", err.msg);
    return c;
}

static lr_str S(const char *s) { return s ? (lr_str){s, (uint32_t)strlen(s)} : LR_STR_NULL; }

static void assert_str_eq(lr_str a, lr_str b, const char *what) {
    if (!a.s || !b.s) {
        if (a.s != b.s) fail_msg("%s: %s vs %s", what, a.s ? a.s : "(null)", b.s ? b.s : "(null)");
        return;
    }
    if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0 || strlen(a.s) != a.len ||
        strlen(b.s) != b.len)
        fail_msg("%s: '%s' vs '%s'", what, a.s, b.s);
}

static void assert_cstr_eq(const char *a, const char *b, const char *what) {
    assert_str_eq(S(a), S(b), what);
}

/* Two records are equal field for field, walking the wire tables: a field
 * added to a schema is compared without touching this test. Absent optional
 * values compare their presence only. */
static void assert_record_eq(const lr_wire_record *rec, const void *a, const void *b) {
    for (uint32_t i = 0; i < rec->n; i++) {
        const lr_wire_field *f = &rec->f[i];
        char what[128];
        snprintf(what, sizeof(what), "%s.%s", rec->name, f->name);
        switch (f->type) {
        case LR_F_STR:
        case LR_F_OPT_STR:
            assert_str_eq(*LR_CSLOT(a, f->off, lr_str), *LR_CSLOT(b, f->off, lr_str), what);
            break;
        case LR_F_CSTR:
        case LR_F_OPT_CSTR:
            assert_cstr_eq(*LR_CSLOT(a, f->off, const char *), *LR_CSLOT(b, f->off, const char *),
                           what);
            break;
        case LR_F_VERSION: break;
        case LR_F_LONG:
        case LR_F_OPT_LONG:
        case LR_F_OPT_TIME:
            assert_int_equal(*LR_CSLOT(a, f->off, int64_t), *LR_CSLOT(b, f->off, int64_t));
            break;
        case LR_F_INT: assert_int_equal(*LR_CSLOT(a, f->off, int32_t), *LR_CSLOT(b, f->off, int32_t)); break;
        case LR_F_COUNT:
            assert_int_equal(*LR_CSLOT(a, f->off, uint32_t), *LR_CSLOT(b, f->off, uint32_t));
            break;
        case LR_F_DOUBLE: assert_true(*LR_CSLOT(a, f->off, double) == *LR_CSLOT(b, f->off, double)); break;
        case LR_F_OPT_DOUBLE:
            assert_int_equal(*LR_CSLOT(a, f->flag, bool), *LR_CSLOT(b, f->flag, bool));
            if (*LR_CSLOT(a, f->flag, bool))
                assert_true(*LR_CSLOT(a, f->off, double) == *LR_CSLOT(b, f->off, double));
            break;
        case LR_F_OPT_BOOL: {
            bool known = true;
            if (f->flag != LR_NO_OFF) {
                assert_int_equal(*LR_CSLOT(a, f->flag, bool), *LR_CSLOT(b, f->flag, bool));
                known = *LR_CSLOT(a, f->flag, bool);
            }
            if (f->flag2 != LR_NO_OFF) known = known && *LR_CSLOT(a, f->flag2, int64_t) >= 0;
            if (known) assert_int_equal(*LR_CSLOT(a, f->off, bool), *LR_CSLOT(b, f->off, bool));
            break;
        }
        case LR_F_ENUM: assert_int_equal(*LR_CSLOT(a, f->off, int), *LR_CSLOT(b, f->off, int)); break;
        case LR_F_ARRAY:
        case LR_F_MAP: {
            uint32_t n = *LR_CSLOT(a, f->flag, uint32_t);
            assert_int_equal(n, *LR_CSLOT(b, f->flag, uint32_t));
            assert_int_equal(*LR_CSLOT(a, f->flag2, uint32_t), *LR_CSLOT(b, f->flag2, uint32_t));
            for (uint32_t k = 0; k < n && f->type == LR_F_ARRAY; k++)
                assert_record_eq(f->items, LR_CSLOT(a, f->off, uint8_t) + k * f->items->size,
                                 LR_CSLOT(b, f->off, uint8_t) + k * f->items->size);
            for (uint32_t k = 0; k < n && f->type == LR_F_MAP; k++) {
                const lr_attr *x = LR_CSLOT(a, f->off, lr_attr) + k, *y = LR_CSLOT(b, f->off, lr_attr) + k;
                assert_str_eq(x->key, y->key, "attr key");
                assert_str_eq(x->value, y->value, "attr value");
            }
            break;
        }
        }
    }
}

static void assert_lead_eq(const lr_lead *a, const lr_lead *b) {
    assert_record_eq(lr_wire_record_of(LR_SCHEMA_LEAD), a, b);
}

static void assert_sales_eq(const lr_sales_activity *a, const lr_sales_activity *b) {
    assert_record_eq(lr_wire_record_of(LR_SCHEMA_SALES_ACTIVITY), a, b);
}

/* A lead with every field set, UTF-8 text, activities and attributes. */
static void fill_lead(lr_lead *l) {
    memset(l, 0, sizeof(*l));
    l->lead_id = S("L0000042");
    l->event_time = 1795000000123LL;
    l->source = S("web");
    l->channel = S("organic");
    l->campaign = S("brand-2026");
    l->email = S("j\xc3\xbcrgen.m\xc3\xbcller@megabank.de");
    l->first_name = S("J\xc3\xbcrgen");
    l->last_name = S("M\xc3\xbcller");
    l->job_title = S("Head of Payments \xe2\x82\xac");
    l->phone = S("+49 301 2345");
    l->company_name = S("MegaBank AG");
    l->company_domain = S("megabank.de");
    l->industry = S("fintech");
    l->company_size = 12000;
    l->annual_revenue = 4000000000LL;
    l->country = S("DE");
    l->region = S("EU");
    l->language = S("de");
    l->product_interest = S("routing");
    l->consent_known = true;
    l->consent = false;
    l->n_activities = 3;
    l->activities[0] = (lr_activity){LR_ACT_DEMO_REQUEST, 1794990000000LL, S("/demo")};
    l->activities[1] = (lr_activity){LR_ACT_SPAM_COMPLAINT, 1794995000000LL, LR_STR_NULL};
    l->activities[2] = (lr_activity){LR_ACT_PRICING_PAGE, 1794000000000LL, S("")};
    l->n_attrs = 2;
    l->attrs[0] = (lr_attr){S("plan"), S("enterprise")};
    l->attrs[1] = (lr_attr){S("utm_term"), S("")};
}

/* Only what the contract requires; everything else absent. */
static void fill_minimal_lead(lr_lead *l) {
    memset(l, 0, sizeof(*l));
    l->lead_id = S("x");
    l->event_time = LR_TIME_MIN_VALID;
    l->company_size = -1;
    l->annual_revenue = -1;
}

static void fill_sales(lr_sales_activity *a, bool with_value) {
    memset(a, 0, sizeof(*a));
    a->activity_id = S("crm-778");
    a->lead_id = S("L0000042");
    a->kind = with_value ? LR_SALES_CONVERTED : LR_SALES_REJECTED;
    a->rep_id = S("dieter");
    a->occurred_at = 1795000900000LL;
    a->assignment_id = with_value ? S("L0000042:decision:1") : LR_STR_NULL;
    a->reason = with_value ? LR_STR_NULL : S("bad_fit");
    a->has_value = with_value;
    a->opportunity_value = with_value ? 125000.5 : 0;
}

static void fill_decision(lr_event *ev, int n_reasons) {
    memset(ev, 0, sizeof(*ev));
    ev->kind = LR_EVENT_DECISION;
    lr_decision *d = &ev->u.decision;
    d->event_id = "L0000042:decision:3";
    d->seq = 3;
    d->lead_id = S("L0000042");
    d->stage = LR_STAGE_SALES_READY;
    d->tier = "hot";
    d->team = "emea_enterprise";
    d->rep = "dieter";
    d->queue = NULL;
    d->score = 91.25;
    d->fit = 60;
    d->engagement = 31.25;
    d->cause = LR_CAUSE_SLA_REASSIGN;
    d->attempt = 2;
    d->event_time = 1795000000123LL;
    d->decided_at = 1795000000200LL;
    d->sla_due_at = 1795000900200LL;
    d->source = S("web");
    d->campaign = LR_STR_NULL;
    for (int i = 0; i < n_reasons; i++) {
        lr_reason_kind k = (lr_reason_kind)(i % LR_REASON__COUNT);
        lr_decision_add_reason(d, k, i % 3 ? "rule" : NULL, i % 2 ? "emma" : NULL, i * 0.5 - 3,
                               i % 4 ? "detail \xc3\xa9" : NULL);
    }
}

static void fill_status(lr_event *ev, bool contacted) {
    memset(ev, 0, sizeof(*ev));
    ev->kind = LR_EVENT_STATUS;
    lr_status *s = &ev->u.status;
    s->event_id = "L0000042:status:4";
    s->seq = 4;
    s->lead_id = S("L0000042");
    s->status = contacted ? LR_STATUS_CONTACTED : LR_STATUS_CONVERTED;
    s->at = 1795000950000LL;
    s->occurred_at = 1795000900000LL;
    s->team = "emea_enterprise";
    s->rep = contacted ? "dieter" : NULL;
    s->source = S("web");
    s->campaign = contacted ? LR_STR_NULL : S("brand-2026");
    s->tier = "hot";
    s->reason = contacted ? NULL : "won";
    s->has_value = !contacted;
    s->value = contacted ? 0 : 99000;
    s->sla_elapsed_ms = contacted ? 600000 : -1;
    s->sla_met = contacted;
}

static void fill_alert(lr_event *ev) {
    memset(ev, 0, sizeof(*ev));
    ev->kind = LR_EVENT_ALERT;
    lr_alert *a = &ev->u.alert;
    a->event_id = "L0000042:alert:5";
    a->seq = 5;
    a->lead_id = S("L0000042");
    a->kind = LR_ALERT_ESCALATION;
    a->policy = "hot_first_touch";
    a->tier = "hot";
    a->team = NULL;
    a->owner = "dieter";
    a->addressed_to = "global-queue";
    a->action = "escalate";
    a->step = 3;
    a->assigned_at = 1795000000200LL;
    a->due_at = 1795000900200LL;
    a->fired_at = 1795002700200LL;
    a->late_by_ms = 1800000;
}

/* ---- avro-c generic values: the independent implementation ---- */

static avro_schema_t parse_schema(const char *json) {
    avro_schema_t s;
    if (avro_schema_from_json_length(json, strlen(json), &s))
        fail_msg("schema: %s", avro_strerror());
    return s;
}

/* The field, or for a union the branch of the wanted type, selected. */
static void select_branch(avro_value_t *f, avro_type_t want, avro_value_t *out) {
    if (avro_value_get_type(f) != AVRO_UNION) {
        *out = *f;
        return;
    }
    avro_schema_t u = avro_value_get_schema(f);
    for (size_t i = 0; i < avro_schema_union_size(u); i++) {
        avro_schema_t b = avro_schema_union_branch(u, (int)i);
        if (avro_typeof(b) == want ||
            (want == AVRO_STRING && avro_typeof(b) == AVRO_BYTES) ||
            (want == AVRO_INT64 && avro_typeof(b) == AVRO_INT32) ||
            (want == AVRO_DOUBLE && avro_typeof(b) == AVRO_FLOAT)) {
            assert_int_equal(avro_value_set_branch(f, (int)i, out), 0);
            return;
        }
    }
    fail_msg("no union branch of type %d", (int)want);
}

static void gfield(avro_value_t *rec, const char *name, avro_value_t *out) {
    if (avro_value_get_by_name(rec, name, out, NULL)) fail_msg("no field %s", name);
}

static void gset_str(avro_value_t *rec, const char *name, const char *s) {
    avro_value_t f, b;
    gfield(rec, name, &f);
    if (!s) {
        select_branch(&f, AVRO_NULL, &b);
        avro_value_set_null(&b);
        return;
    }
    select_branch(&f, AVRO_STRING, &b);
    if (avro_value_get_type(&b) == AVRO_BYTES)
        avro_value_set_bytes(&b, (void *)s, strlen(s));
    else
        avro_value_set_string(&b, s);
}

/* absent < 0 when the field is nullable and v says null */
static void gset_long(avro_value_t *rec, const char *name, int64_t v, bool null) {
    avro_value_t f, b;
    gfield(rec, name, &f);
    if (null) {
        select_branch(&f, AVRO_NULL, &b);
        avro_value_set_null(&b);
        return;
    }
    select_branch(&f, AVRO_INT64, &b);
    if (avro_value_get_type(&b) == AVRO_INT32)
        avro_value_set_int(&b, (int32_t)v);
    else
        avro_value_set_long(&b, v);
}

static void gset_bool(avro_value_t *rec, const char *name, bool v, bool null) {
    avro_value_t f, b;
    gfield(rec, name, &f);
    if (null) {
        select_branch(&f, AVRO_NULL, &b);
        avro_value_set_null(&b);
        return;
    }
    select_branch(&f, AVRO_BOOLEAN, &b);
    avro_value_set_boolean(&b, v);
}

static void gset_double(avro_value_t *rec, const char *name, double v, bool null) {
    avro_value_t f, b;
    gfield(rec, name, &f);
    if (null) {
        select_branch(&f, AVRO_NULL, &b);
        avro_value_set_null(&b);
        return;
    }
    select_branch(&f, AVRO_DOUBLE, &b);
    if (avro_value_get_type(&b) == AVRO_FLOAT) avro_value_set_float(&b, (float)v);
    else if (avro_value_get_type(&b) == AVRO_INT64) avro_value_set_long(&b, (int64_t)v);
    else avro_value_set_double(&b, v);
}

static void gset_enum(avro_value_t *rec, const char *name, const char *symbol) {
    avro_value_t f;
    gfield(rec, name, &f);
    int i = avro_schema_enum_get_by_name(avro_value_get_schema(&f), symbol);
    if (i < 0) fail_msg("no symbol %s", symbol);
    avro_value_set_enum(&f, i);
}

static bool has_field(avro_value_t *rec, const char *name) {
    avro_value_t f;
    return avro_value_get_by_name(rec, name, &f, NULL) == 0;
}

static const char *upper(const char *s, char *buf, size_t cap) {
    size_t i;
    for (i = 0; s[i] && i + 1 < cap; i++) buf[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    buf[i] = '\0';
    return buf;
}

/* Fills a generic Lead value (any writer schema close to ours) from l;
 * fields the writer lacks are left out. */
static void gfill_lead(avro_value_t *v, const lr_lead *l) {
    char sym[64];
    avro_value_reset(v);
    gset_str(v, "lead_id", l->lead_id.s);
    gset_long(v, "event_time", l->event_time, false);
#define OPT(f) if (has_field(v, #f)) gset_str(v, #f, l->f.s)
    OPT(source); OPT(channel); OPT(campaign); OPT(email); OPT(first_name); OPT(last_name);
    OPT(job_title); OPT(phone); OPT(company_name); OPT(company_domain); OPT(industry);
    OPT(country); OPT(region); OPT(language); OPT(product_interest);
#undef OPT
    if (has_field(v, "company_size")) gset_long(v, "company_size", l->company_size, l->company_size < 0);
    if (has_field(v, "annual_revenue"))
        gset_long(v, "annual_revenue", l->annual_revenue, l->annual_revenue < 0);
    if (has_field(v, "consent")) gset_bool(v, "consent", l->consent, !l->consent_known);
    if (has_field(v, "activities")) {
        avro_value_t arr, item;
        gfield(v, "activities", &arr);
        for (uint32_t i = 0; i < l->n_activities; i++) {
            avro_value_append(&arr, &item, NULL);
            gset_enum(&item, "type", upper(lr_activity_type_name(l->activities[i].type), sym, sizeof(sym)));
            gset_long(&item, "at", l->activities[i].at, false);
            if (has_field(&item, "detail")) gset_str(&item, "detail", l->activities[i].detail.s);
        }
    }
    if (has_field(v, "attributes")) {
        avro_value_t map, val;
        gfield(v, "attributes", &map);
        for (uint32_t i = 0; i < l->n_attrs; i++) {
            avro_value_add(&map, l->attrs[i].key.s, &val, NULL, NULL);
            if (avro_value_get_type(&val) == AVRO_BYTES)
                avro_value_set_bytes(&val, (void *)l->attrs[i].value.s, l->attrs[i].value.len);
            else
                avro_value_set_string(&val, l->attrs[i].value.s);
        }
    }
}

/* Confluent-frames the Avro encoding of v into buf. */
static size_t gwrite(avro_value_t *v, int32_t id, uint8_t *buf, size_t cap) {
    buf[0] = 0;
    buf[1] = (uint8_t)((uint32_t)id >> 24);
    buf[2] = (uint8_t)((uint32_t)id >> 16);
    buf[3] = (uint8_t)((uint32_t)id >> 8);
    buf[4] = (uint8_t)id;
    avro_writer_t w = avro_writer_memory((const char *)buf + 5, (int64_t)(cap - 5));
    if (avro_value_write(w, v)) fail_msg("avro_value_write: %s", avro_strerror());
    size_t n = (size_t)avro_writer_tell(w);
    avro_writer_free(w);
    return n + 5;
}

/* A generic value of schema s, read by avro-c from our framed bytes. */
typedef struct gval {
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t v;
} gval;

static void gval_new(gval *g, const char *json) {
    g->schema = parse_schema(json);
    g->iface = avro_generic_class_from_schema(g->schema);
    assert_int_equal(avro_generic_value_new(g->iface, &g->v), 0);
}

static void gval_free(gval *g) {
    avro_value_decref(&g->v);
    avro_value_iface_decref(g->iface);
    avro_schema_decref(g->schema);
}

static void gread(gval *g, const lr_buf *b) {
    assert_true(b->len >= 5);
    avro_reader_t r = avro_reader_memory((const char *)b->data + 5, (int64_t)(b->len - 5));
    avro_value_reset(&g->v);
    if (avro_value_read(r, &g->v)) fail_msg("avro_value_read: %s", avro_strerror());
    avro_reader_free(r);
    /* avro-c consumed every byte: its own encoding of what it read is ours */
    static uint8_t again[1 << 16];
    size_t n = gwrite(&g->v, (int32_t)lr_codec_peek_schema_id(b->data, b->len), again, sizeof(again));
    assert_int_equal(n, b->len);
    assert_memory_equal(again, b->data, n);
}

/* Current value of a field, union resolved: NULL branch -> false. */
static bool gget(avro_value_t *rec, const char *name, avro_value_t *out) {
    avro_value_t f;
    gfield(rec, name, &f);
    if (avro_value_get_type(&f) == AVRO_UNION) {
        avro_value_t b;
        assert_int_equal(avro_value_get_current_branch(&f, &b), 0);
        if (avro_value_get_type(&b) == AVRO_NULL) return false;
        *out = b;
        return true;
    }
    *out = f;
    return true;
}

static const char *gget_str(avro_value_t *rec, const char *name) {
    avro_value_t f;
    if (!gget(rec, name, &f)) return NULL;
    const char *s;
    size_t size;
    assert_int_equal(avro_value_get_string(&f, &s, &size), 0);
    return s;
}

static int64_t gget_long(avro_value_t *rec, const char *name, int64_t null_as) {
    avro_value_t f;
    if (!gget(rec, name, &f)) return null_as;
    if (avro_value_get_type(&f) == AVRO_INT32) {
        int32_t i;
        avro_value_get_int(&f, &i);
        return i;
    }
    int64_t l;
    assert_int_equal(avro_value_get_long(&f, &l), 0);
    return l;
}

static double gget_double(avro_value_t *rec, const char *name, bool *present) {
    avro_value_t f;
    double d = 0;
    *present = gget(rec, name, &f);
    if (*present) assert_int_equal(avro_value_get_double(&f, &d), 0);
    return d;
}

static const char *gget_enum(avro_value_t *rec, const char *name) {
    avro_value_t f;
    int i;
    gfield(rec, name, &f);
    assert_int_equal(avro_value_get_enum(&f, &i), 0);
    return avro_schema_enum_get(avro_value_get_schema(&f), i);
}

static void assert_gstr(avro_value_t *rec, const char *name, const char *want) {
    assert_cstr_eq(gget_str(rec, name), want, name);
}

static void assert_genum(avro_value_t *rec, const char *name, const char *our_name) {
    char buf[64];
    assert_string_equal(gget_enum(rec, name), upper(our_name, buf, sizeof(buf)));
}

static const char *schema_text(lr_schema_kind k) { return lr_schemas_json(k, NULL); }

/* ------------------------------------------------------------------------ */
/* schemas                                                                   */

/* The embedded text is the file's text, byte for byte (the build generates
 * it), and each parses to the record its kind names. */
static void test_schemas_match_files(void **state) {
    (void)state;
    for (int k = 0; k < LR_SCHEMA__COUNT; k++) {
        char path[256];
        snprintf(path, sizeof(path), "schemas/%s", lr_schemas_file((lr_schema_kind)k));
        FILE *f = fopen(path, "rb");
        if (!f) fail_msg("%s: cannot open (run from the repository root)", path);
        static char file[1 << 16];
        size_t flen = fread(file, 1, sizeof(file), f);
        fclose(f);
        assert_true(flen < sizeof(file));
        size_t len;
        const char *text = lr_schemas_json((lr_schema_kind)k, &len);
        assert_int_equal(strlen(text), len);
        assert_int_equal(len, flen);
        if (memcmp(text, file, len) != 0) fail_msg("embedded text differs from %s", path);
        json_error_t err;
        json_t *mine = json_loadb(text, len, 0, &err);
        if (!mine) fail_msg("embedded %s: %s", path, err.text);
        assert_string_equal(json_string_value(json_object_get(mine, "name")),
                            lr_schemas_name((lr_schema_kind)k));
        json_decref(mine);
    }
    assert_null(lr_schemas_json(LR_SCHEMA__COUNT, NULL));
}

static void test_codec_new_checks(void **state) {
    (void)state;
    lr_err err = {0};
    lr_codec_ids dup = {1, 2, 3, 4, 1};
    assert_null(lr_codec_new(&dup, MAX_BYTES, &err));
    assert_non_null(strstr(err.msg, "schema id 1"));
    assert_null(lr_codec_new(&IDS, 4, &err));
    assert_non_null(strstr(err.msg, "max_message_bytes"));
    lr_codec *c = codec_new();
    assert_int_equal(lr_codec_schema_id(c, LR_SCHEMA_LEAD), 1);
    assert_int_equal(lr_codec_schema_id(c, LR_SCHEMA_ALERT), 5);
    lr_codec_free(c);
    lr_codec_free(NULL);
}

static void test_status_names(void **state) {
    (void)state;
    assert_string_equal(lr_codec_status_name(LR_CODEC_OK), "ok");
    assert_string_equal(lr_codec_status_name(LR_CODEC_TOO_LARGE), "too_large");
    assert_string_equal(lr_codec_status_name(LR_CODEC_BAD_MAGIC), "bad_magic");
    assert_string_equal(lr_codec_status_name(LR_CODEC_UNKNOWN_SCHEMA), "unknown_schema");
    assert_string_equal(lr_codec_status_name(LR_CODEC_MALFORMED), "malformed");
    assert_string_equal(lr_codec_status_name(LR_CODEC_CONTRACT), "contract");
}

/* ------------------------------------------------------------------------ */
/* round trips                                                               */

static lr_lead lead_a, lead_b; /* large: keep them off the stack */

static void test_lead_roundtrip(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    lr_buf b;
    lr_buf_init(&b);
    const char *why = "unset";

    fill_lead(&lead_a);
    lr_codec_encode_lead(c, &lead_a, &b);
    assert_int_equal(lr_codec_peek_schema_id(b.data, b.len), 1);
    memset(&lead_b, 0xA5, sizeof(lead_b)); /* defaults must overwrite garbage */
    assert_int_equal(lr_codec_decode_lead(c, b.data, b.len, &lead_b, &arena, &why), LR_CODEC_OK);
    assert_null(why);
    assert_lead_eq(&lead_a, &lead_b);

    fill_minimal_lead(&lead_a);
    lr_buf_reset(&b);
    lr_codec_encode_lead(c, &lead_a, &b);
    memset(&lead_b, 0xA5, sizeof(lead_b));
    assert_int_equal(lr_codec_decode_lead(c, b.data, b.len, &lead_b, &arena, &why), LR_CODEC_OK);
    assert_lead_eq(&lead_a, &lead_b);
    assert_null(lead_b.email.s);
    assert_int_equal(lead_b.company_size, -1);
    assert_false(lead_b.consent_known);

    /* encoding is deterministic */
    lr_buf b2;
    lr_buf_init(&b2);
    lr_codec_encode_lead(c, &lead_b, &b2);
    assert_int_equal(b.len, b2.len);
    assert_memory_equal(b.data, b2.data, b.len);

    lr_buf_free(&b);
    lr_buf_free(&b2);
    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

static void test_sales_roundtrip(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    for (int v = 0; v < 2; v++) {
        lr_sales_activity a, b;
        lr_buf buf;
        lr_buf_init(&buf);
        fill_sales(&a, v);
        lr_codec_encode_sales(c, &a, &buf);
        assert_int_equal(lr_codec_peek_schema_id(buf.data, buf.len), 2);
        const char *why;
        assert_int_equal(lr_codec_decode_sales(c, buf.data, buf.len, &b, &arena, &why), LR_CODEC_OK);
        assert_sales_eq(&a, &b);
        /* a sales activity on the leads topic is an unknown schema there */
        assert_int_equal(lr_codec_decode_lead(c, buf.data, buf.len, &lead_b, &arena, &why),
                         LR_CODEC_UNKNOWN_SCHEMA);
        assert_string_equal(why, "unknown schema id 2 (expected 1)");
        lr_buf_free(&buf);
    }
    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

static lr_event ev_a, ev_b;

static void roundtrip_event(lr_codec *c, lr_arena *arena) {
    lr_buf b;
    lr_buf_init(&b);
    lr_codec_encode_event(c, &ev_a, &b);
    memset(&ev_b, 0x5A, sizeof(ev_b));
    const char *why = NULL;
    lr_codec_status st = lr_codec_decode_event(c, b.data, b.len, &ev_b, arena, &why);
    if (st != LR_CODEC_OK) fail_msg("decode_event: %s", why);
    assert_int_equal(ev_b.kind, ev_a.kind);
    switch (ev_a.kind) {
    case LR_EVENT_DECISION:
        assert_record_eq(lr_wire_record_of(LR_SCHEMA_DECISION), &ev_a.u.decision, &ev_b.u.decision);
        break;
    case LR_EVENT_STATUS:
        assert_record_eq(lr_wire_record_of(LR_SCHEMA_STATUS), &ev_a.u.status, &ev_b.u.status);
        break;
    case LR_EVENT_ALERT:
        assert_record_eq(lr_wire_record_of(LR_SCHEMA_ALERT), &ev_a.u.alert, &ev_b.u.alert);
        break;
    }
    lr_buf_free(&b);
}

static void test_event_roundtrips(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);

    fill_decision(&ev_a, 9);
    roundtrip_event(c, &arena);
    /* no SLA clock, queued, no reasons */
    fill_decision(&ev_a, 0);
    ev_a.u.decision.sla_due_at = LR_TIME_NONE;
    ev_a.u.decision.rep = NULL;
    ev_a.u.decision.queue = "emea-queue";
    ev_a.u.decision.tier = NULL;
    ev_a.u.decision.stage = LR_STAGE_DISQUALIFIED;
    ev_a.u.decision.cause = LR_CAUSE_REENGAGED;
    roundtrip_event(c, &arena);
    /* more reasons than fit: the count of the dropped ones travels too */
    fill_decision(&ev_a, LR_MAX_REASONS + 7);
    assert_int_equal(ev_a.u.decision.reasons_dropped, 7);
    roundtrip_event(c, &arena);

    fill_status(&ev_a, true);
    roundtrip_event(c, &arena);
    fill_status(&ev_a, false);
    roundtrip_event(c, &arena);
    assert_false(ev_b.u.status.sla_met);

    fill_alert(&ev_a);
    roundtrip_event(c, &arena);
    ev_a.u.alert.kind = LR_ALERT_WARNING;
    ev_a.u.alert.addressed_to = NULL;
    ev_a.u.alert.late_by_ms = -180000;
    ev_a.u.alert.step = 0;
    roundtrip_event(c, &arena);

    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

/* Reasons with every kind of string (absent, empty, short, past the 32-byte
 * copy, multi-byte UTF-8) and a kind outside the enum, which is written as
 * the first symbol, as for any other enum field. */
static void test_reason_edges(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    static const char *const texts[] = {NULL, "", "x", "exactly-sixteen!", "seventeen bytes!!",
                                        "a detail that is longer than thirty-two bytes, by far",
                                        "\xc3\xa9t\xc3\xa9 \xe2\x82\xac"};
    enum { NT = sizeof(texts) / sizeof(texts[0]) };
    fill_decision(&ev_a, 0);
    lr_decision *d = &ev_a.u.decision;
    for (int i = 0; i < NT * NT; i++)
        lr_decision_add_reason(d, (lr_reason_kind)(i % LR_REASON__COUNT), texts[i % NT],
                               texts[(i / NT) % NT], i % 2 ? -1e300 : 0.125 * i,
                               texts[(i + 3) % NT]);
    roundtrip_event(c, &arena);
    d->reasons[0].kind = (lr_reason_kind)LR_REASON__COUNT;
    d->reasons[1].kind = (lr_reason_kind)-1;
    lr_buf b;
    lr_buf_init(&b);
    lr_codec_encode_event(c, &ev_a, &b);
    const char *why = NULL;
    assert_int_equal(lr_codec_decode_event(c, b.data, b.len, &ev_b, &arena, &why), LR_CODEC_OK);
    assert_int_equal(ev_b.u.decision.reasons[0].kind, 0);
    assert_int_equal(ev_b.u.decision.reasons[1].kind, 0);
    assert_int_equal(ev_b.u.decision.n_reasons, d->n_reasons);
    assert_cstr_eq(ev_b.u.decision.reasons[2].detail, d->reasons[2].detail, "detail");
    lr_buf_free(&b);
    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

static void test_version_and_event_ids(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_buf b;
    lr_buf_init(&b);
    fill_decision(&ev_a, 2);
    lr_codec_encode_event(c, &ev_a, &b);
    assert_int_equal(lr_codec_peek_schema_id(b.data, b.len), 3);
    gval g;
    gval_new(&g, schema_text(LR_SCHEMA_DECISION));
    gread(&g, &b);
    assert_gstr(&g.v, "router_version", LR_VERSION);
    gval_free(&g);

    lr_buf_reset(&b);
    fill_status(&ev_a, true);
    lr_codec_encode_event(c, &ev_a, &b);
    assert_int_equal(lr_codec_peek_schema_id(b.data, b.len), 4);
    lr_buf_reset(&b);
    fill_alert(&ev_a);
    lr_codec_encode_event(c, &ev_a, &b);
    assert_int_equal(lr_codec_peek_schema_id(b.data, b.len), 5);
    lr_buf_free(&b);
    lr_codec_free(c);
}

/* ------------------------------------------------------------------------ */
/* agreement with avro-c                                                     */

static uint8_t gbuf[1 << 16];

static void test_avro_c_writes_we_read(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    gval g;
    gval_new(&g, schema_text(LR_SCHEMA_LEAD));
    const char *why;

    fill_lead(&lead_a);
    gfill_lead(&g.v, &lead_a);
    size_t n = gwrite(&g.v, 1, gbuf, sizeof(gbuf));
    assert_int_equal(lr_codec_decode_lead(c, gbuf, n, &lead_b, &arena, &why), LR_CODEC_OK);
    assert_lead_eq(&lead_a, &lead_b);
    /* and byte-identical to our own encoding */
    lr_buf b;
    lr_buf_init(&b);
    lr_codec_encode_lead(c, &lead_a, &b);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, gbuf, n);

    fill_minimal_lead(&lead_a);
    gfill_lead(&g.v, &lead_a);
    n = gwrite(&g.v, 1, gbuf, sizeof(gbuf));
    assert_int_equal(lr_codec_decode_lead(c, gbuf, n, &lead_b, &arena, &why), LR_CODEC_OK);
    assert_lead_eq(&lead_a, &lead_b);

    /* more activities and attributes than we keep: counted, not stored */
    static lr_lead big;
    fill_lead(&big);
    gfill_lead(&g.v, &big);
    avro_value_t arr, item, map, val;
    gfield(&g.v, "activities", &arr);
    gfield(&g.v, "attributes", &map);
    for (int i = 0; i < LR_MAX_ACTIVITIES + 10 - 3; i++) {
        avro_value_append(&arr, &item, NULL);
        gset_enum(&item, "type", "PAGE_VIEW");
        gset_long(&item, "at", 1794000000000LL + i, false);
        gset_str(&item, "detail", "/x");
    }
    for (int i = 0; i < LR_MAX_ATTRS + 5 - 2; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        avro_value_add(&map, key, &val, NULL, NULL);
        avro_value_set_string(&val, "v");
    }
    n = gwrite(&g.v, 1, gbuf, sizeof(gbuf));
    assert_int_equal(lr_codec_decode_lead(c, gbuf, n, &lead_b, &arena, &why), LR_CODEC_OK);
    assert_int_equal(lead_b.n_activities, LR_MAX_ACTIVITIES);
    assert_int_equal(lead_b.activities_dropped, 10);
    assert_int_equal(lead_b.activities[0].type, LR_ACT_DEMO_REQUEST);
    assert_int_equal(lead_b.activities[3].type, LR_ACT_PAGE_VIEW);
    assert_int_equal(lead_b.n_attrs, LR_MAX_ATTRS);
    assert_int_equal(lead_b.attrs_dropped, 5);

    /* sales activity written by avro-c */
    gval s;
    gval_new(&s, schema_text(LR_SCHEMA_SALES_ACTIVITY));
    lr_sales_activity sa, sb;
    for (int v = 0; v < 2; v++) {
        fill_sales(&sa, v);
        avro_value_reset(&s.v);
        gset_str(&s.v, "activity_id", sa.activity_id.s);
        gset_str(&s.v, "lead_id", sa.lead_id.s);
        char sym[32];
        gset_enum(&s.v, "kind", upper(lr_sales_kind_name(sa.kind), sym, sizeof(sym)));
        gset_str(&s.v, "rep_id", sa.rep_id.s);
        gset_long(&s.v, "occurred_at", sa.occurred_at, false);
        gset_str(&s.v, "assignment_id", sa.assignment_id.s);
        gset_str(&s.v, "reason", sa.reason.s);
        gset_double(&s.v, "opportunity_value", sa.opportunity_value, !sa.has_value);
        n = gwrite(&s.v, 2, gbuf, sizeof(gbuf));
        assert_int_equal(lr_codec_decode_sales(c, gbuf, n, &sb, &arena, &why), LR_CODEC_OK);
        assert_sales_eq(&sa, &sb);
    }
    gval_free(&s);

    lr_buf_free(&b);
    gval_free(&g);
    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

static void check_lead_generic(avro_value_t *v, const lr_lead *l) {
    assert_gstr(v, "lead_id", l->lead_id.s);
    assert_int_equal(gget_long(v, "event_time", -99), l->event_time);
#define OPT(f) assert_gstr(v, #f, l->f.s)
    OPT(source); OPT(channel); OPT(campaign); OPT(email); OPT(first_name); OPT(last_name);
    OPT(job_title); OPT(phone); OPT(company_name); OPT(company_domain); OPT(industry);
    OPT(country); OPT(region); OPT(language); OPT(product_interest);
#undef OPT
    assert_int_equal(gget_long(v, "company_size", -1), l->company_size);
    assert_int_equal(gget_long(v, "annual_revenue", -1), l->annual_revenue);
    avro_value_t f, item, val;
    if (gget(v, "consent", &f)) {
        int bv;
        assert_true(l->consent_known);
        avro_value_get_boolean(&f, &bv);
        assert_int_equal(bv, l->consent);
    } else {
        assert_false(l->consent_known);
    }
    size_t n;
    gfield(v, "activities", &f);
    avro_value_get_size(&f, &n);
    assert_int_equal(n, l->n_activities);
    for (size_t i = 0; i < n; i++) {
        avro_value_get_by_index(&f, i, &item, NULL);
        assert_genum(&item, "type", lr_activity_type_name(l->activities[i].type));
        assert_int_equal(gget_long(&item, "at", -99), l->activities[i].at);
        assert_gstr(&item, "detail", l->activities[i].detail.s);
    }
    gfield(v, "attributes", &f);
    avro_value_get_size(&f, &n);
    assert_int_equal(n, l->n_attrs);
    for (size_t i = 0; i < n; i++) {
        const char *key, *s;
        size_t size;
        avro_value_get_by_index(&f, i, &val, &key);
        avro_value_get_string(&val, &s, &size);
        bool found = false;
        for (uint32_t k = 0; k < l->n_attrs; k++)
            if (!strcmp(l->attrs[k].key.s, key)) found = !strcmp(l->attrs[k].value.s, s);
        assert_true(found);
    }
}

static void test_we_write_avro_c_reads(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_buf b;
    lr_buf_init(&b);
    gval g;
    bool present;

    /* Lead */
    gval_new(&g, schema_text(LR_SCHEMA_LEAD));
    fill_lead(&lead_a);
    lr_codec_encode_lead(c, &lead_a, &b);
    gread(&g, &b);
    check_lead_generic(&g.v, &lead_a);
    fill_minimal_lead(&lead_a);
    lr_buf_reset(&b);
    lr_codec_encode_lead(c, &lead_a, &b);
    gread(&g, &b);
    check_lead_generic(&g.v, &lead_a);
    gval_free(&g);

    /* SalesActivity */
    gval_new(&g, schema_text(LR_SCHEMA_SALES_ACTIVITY));
    for (int v = 0; v < 2; v++) {
        lr_sales_activity a;
        fill_sales(&a, v);
        lr_buf_reset(&b);
        lr_codec_encode_sales(c, &a, &b);
        gread(&g, &b);
        assert_gstr(&g.v, "activity_id", a.activity_id.s);
        assert_gstr(&g.v, "lead_id", a.lead_id.s);
        assert_genum(&g.v, "kind", lr_sales_kind_name(a.kind));
        assert_gstr(&g.v, "rep_id", a.rep_id.s);
        assert_int_equal(gget_long(&g.v, "occurred_at", -99), a.occurred_at);
        assert_gstr(&g.v, "assignment_id", a.assignment_id.s);
        assert_gstr(&g.v, "reason", a.reason.s);
        double x = gget_double(&g.v, "opportunity_value", &present);
        assert_int_equal(present, a.has_value);
        if (present) assert_true(x == a.opportunity_value);
    }
    gval_free(&g);

    /* LeadDecision, with and without optional parts */
    gval_new(&g, schema_text(LR_SCHEMA_DECISION));
    for (int variant = 0; variant < 2; variant++) {
        fill_decision(&ev_a, variant ? 0 : LR_MAX_REASONS + 2);
        lr_decision *d = &ev_a.u.decision;
        if (variant) {
            d->sla_due_at = LR_TIME_NONE;
            d->rep = NULL;
            d->queue = "na-queue";
        }
        lr_buf_reset(&b);
        lr_codec_encode_event(c, &ev_a, &b);
        gread(&g, &b);
        assert_gstr(&g.v, "event_id", d->event_id);
        assert_int_equal(gget_long(&g.v, "seq", -99), d->seq);
        assert_gstr(&g.v, "lead_id", d->lead_id.s);
        assert_genum(&g.v, "stage", lr_stage_name(d->stage));
        assert_gstr(&g.v, "tier", d->tier);
        assert_gstr(&g.v, "team", d->team);
        assert_gstr(&g.v, "rep", d->rep);
        assert_gstr(&g.v, "queue", d->queue);
        assert_true(gget_double(&g.v, "score", &present) == d->score);
        assert_true(gget_double(&g.v, "fit_score", &present) == d->fit);
        assert_true(gget_double(&g.v, "engagement_score", &present) == d->engagement);
        assert_genum(&g.v, "cause", lr_cause_name(d->cause));
        assert_int_equal(gget_long(&g.v, "attempt", -99), d->attempt);
        assert_int_equal(gget_long(&g.v, "event_time", -99), d->event_time);
        assert_int_equal(gget_long(&g.v, "decided_at", -99), d->decided_at);
        assert_int_equal(gget_long(&g.v, "sla_due_at", LR_TIME_NONE), d->sla_due_at);
        assert_gstr(&g.v, "source", d->source.s);
        assert_gstr(&g.v, "campaign", d->campaign.s);
        assert_int_equal(gget_long(&g.v, "reasons_dropped", -99), d->reasons_dropped);
        assert_gstr(&g.v, "router_version", LR_VERSION);
        avro_value_t arr, item;
        size_t n;
        gfield(&g.v, "reasons", &arr);
        avro_value_get_size(&arr, &n);
        assert_int_equal(n, d->n_reasons);
        for (size_t i = 0; i < n; i++) {
            avro_value_get_by_index(&arr, i, &item, NULL);
            assert_genum(&item, "kind", lr_reason_kind_name(d->reasons[i].kind));
            assert_gstr(&item, "rule", d->reasons[i].rule);
            assert_gstr(&item, "rep", d->reasons[i].rep);
            assert_true(gget_double(&item, "points", &present) == d->reasons[i].points);
            assert_gstr(&item, "detail", d->reasons[i].detail);
        }
    }
    gval_free(&g);

    /* LeadStatus */
    gval_new(&g, schema_text(LR_SCHEMA_STATUS));
    for (int v = 0; v < 2; v++) {
        fill_status(&ev_a, v);
        lr_status *s = &ev_a.u.status;
        lr_buf_reset(&b);
        lr_codec_encode_event(c, &ev_a, &b);
        gread(&g, &b);
        assert_gstr(&g.v, "event_id", s->event_id);
        assert_int_equal(gget_long(&g.v, "seq", -99), s->seq);
        assert_gstr(&g.v, "lead_id", s->lead_id.s);
        assert_genum(&g.v, "status", lr_status_kind_name(s->status));
        assert_int_equal(gget_long(&g.v, "at", -99), s->at);
        assert_int_equal(gget_long(&g.v, "occurred_at", -99), s->occurred_at);
        assert_gstr(&g.v, "team", s->team);
        assert_gstr(&g.v, "rep", s->rep);
        assert_gstr(&g.v, "source", s->source.s);
        assert_gstr(&g.v, "campaign", s->campaign.s);
        assert_gstr(&g.v, "tier", s->tier);
        assert_gstr(&g.v, "reason", s->reason);
        double x = gget_double(&g.v, "value", &present);
        assert_int_equal(present, s->has_value);
        if (present) assert_true(x == s->value);
        assert_int_equal(gget_long(&g.v, "sla_elapsed_ms", -1), s->sla_elapsed_ms);
        avro_value_t f;
        bool met_present = gget(&g.v, "sla_met", &f);
        assert_int_equal(met_present, s->sla_elapsed_ms >= 0);
        if (met_present) {
            int bv;
            avro_value_get_boolean(&f, &bv);
            assert_int_equal(bv, s->sla_met);
        }
    }
    gval_free(&g);

    /* SlaAlert */
    gval_new(&g, schema_text(LR_SCHEMA_ALERT));
    fill_alert(&ev_a);
    lr_alert *a = &ev_a.u.alert;
    lr_buf_reset(&b);
    lr_codec_encode_event(c, &ev_a, &b);
    gread(&g, &b);
    assert_gstr(&g.v, "event_id", a->event_id);
    assert_int_equal(gget_long(&g.v, "seq", -99), a->seq);
    assert_gstr(&g.v, "lead_id", a->lead_id.s);
    assert_genum(&g.v, "kind", lr_alert_kind_name(a->kind));
    assert_gstr(&g.v, "policy", a->policy);
    assert_gstr(&g.v, "tier", a->tier);
    assert_gstr(&g.v, "team", a->team);
    assert_gstr(&g.v, "owner", a->owner);
    assert_gstr(&g.v, "addressed_to", a->addressed_to);
    assert_gstr(&g.v, "action", a->action);
    assert_int_equal(gget_long(&g.v, "step", -99), a->step);
    assert_int_equal(gget_long(&g.v, "assigned_at", -99), a->assigned_at);
    assert_int_equal(gget_long(&g.v, "due_at", -99), a->due_at);
    assert_int_equal(gget_long(&g.v, "fired_at", -99), a->fired_at);
    assert_int_equal(gget_long(&g.v, "late_by_ms", -99), a->late_by_ms);
    gval_free(&g);

    lr_buf_free(&b);
    lr_codec_free(c);
}

/* ------------------------------------------------------------------------ */
/* framing and corrupt input                                                 */

static lr_codec_status decode(lr_codec *c, const uint8_t *p, size_t n, lr_arena *a,
                              const char **why) {
    return lr_codec_decode_lead(c, p, n, &lead_b, a, why);
}

static void test_framing(void **state) {
    (void)state;
    lr_err err;
    lr_codec_ids ids = IDS;
    lr_codec *c = lr_codec_new(&ids, 300, &err);
    assert_non_null(c);
    lr_arena arena;
    lr_arena_init(&arena, 0);
    lr_buf b;
    lr_buf_init(&b);
    const char *why;
    fill_lead(&lead_a);
    lr_codec_encode_lead(c, &lead_a, &b);
    assert_true(b.len < 300);
    assert_int_equal(decode(c, b.data, b.len, &arena, &why), LR_CODEC_OK);

    uint8_t big[301] = {0};
    assert_int_equal(decode(c, big, sizeof(big), &arena, &why), LR_CODEC_TOO_LARGE);
    assert_non_null(strstr(why, "301 bytes"));
    assert_int_equal(decode(c, big, 0, &arena, &why), LR_CODEC_MALFORMED);

    uint8_t m[512];
    memcpy(m, b.data, b.len);
    m[0] = 1;
    assert_int_equal(decode(c, m, b.len, &arena, &why), LR_CODEC_BAD_MAGIC);
    assert_non_null(strstr(why, "magic byte 1"));
    m[0] = 7;
    assert_int_equal(decode(c, m, b.len, &arena, &why), LR_CODEC_BAD_MAGIC);
    assert_non_null(strstr(why, "magic byte 7"));
    assert_int_equal(decode(c, m, 1, &arena, &why), LR_CODEC_BAD_MAGIC);
    m[0] = 0;
    assert_int_equal(decode(c, m, 3, &arena, &why), LR_CODEC_MALFORMED);
    assert_non_null(strstr(why, "header"));
    m[4] = 9;
    assert_int_equal(decode(c, m, b.len, &arena, &why), LR_CODEC_UNKNOWN_SCHEMA);
    assert_string_equal(why, "unknown schema id 9 (expected 1)");
    m[1] = 0x80, m[4] = 1; /* negative ids too */
    assert_int_equal(decode(c, m, b.len, &arena, &why), LR_CODEC_UNKNOWN_SCHEMA);
    assert_string_equal(why, "unknown schema id -2147483647 (expected 1)");
    assert_int_equal(lr_codec_peek_schema_id(m, 4), -1);

    /* trailing garbage */
    memcpy(m, b.data, b.len);
    m[b.len] = 0;
    assert_int_equal(decode(c, m, b.len + 1, &arena, &why), LR_CODEC_MALFORMED);
    assert_non_null(strstr(why, "trailing"));

    /* a lead is not an event */
    assert_int_equal(lr_codec_decode_event(c, b.data, b.len, &ev_b, &arena, &why),
                     LR_CODEC_UNKNOWN_SCHEMA);
    assert_string_equal(why, "unknown schema id 1 (expected one of 3, 4, 5)");

    lr_buf_free(&b);
    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

static void test_contract(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    lr_buf b;
    lr_buf_init(&b);
    const char *why;

    fill_lead(&lead_a);
    lead_a.lead_id = S("");
    lr_codec_encode_lead(c, &lead_a, &b);
    assert_int_equal(decode(c, b.data, b.len, &arena, &why), LR_CODEC_CONTRACT);
    assert_non_null(strstr(why, "lead_id"));

    lr_buf_reset(&b);
    fill_lead(&lead_a);
    lead_a.lead_id = S("has space");
    lr_codec_encode_lead(c, &lead_a, &b);
    assert_int_equal(decode(c, b.data, b.len, &arena, &why), LR_CODEC_CONTRACT);

    lr_buf_reset(&b);
    fill_lead(&lead_a);
    lead_a.event_time = 0;
    lr_codec_encode_lead(c, &lead_a, &b);
    assert_int_equal(decode(c, b.data, b.len, &arena, &why), LR_CODEC_CONTRACT);
    assert_non_null(strstr(why, "event_time"));

    lr_sales_activity a, o;
    fill_sales(&a, true);
    a.rep_id = S("");
    lr_buf_reset(&b);
    lr_codec_encode_sales(c, &a, &b);
    assert_int_equal(lr_codec_decode_sales(c, b.data, b.len, &o, &arena, &why), LR_CODEC_CONTRACT);
    assert_non_null(strstr(why, "rep_id"));

    lr_buf_free(&b);
    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

/* Hand-made bodies: each breaks one rule. The prefix is a valid start of a
 * Lead: lead_id "a", event_time 2000-01-01T00:00:00Z (the contract's first
 * valid instant, a 6-byte varint: T2000). */
#define T2000 0x80, 0xb0, 0xfd, 0xac, 0x8d, 0x37
static void expect_malformed(lr_codec *c, lr_arena *a, const uint8_t *body, size_t n,
                             const char *reason_part) {
    uint8_t m[512] = {0, 0, 0, 0, 1};
    memcpy(m + 5, body, n);
    const char *why;
    lr_codec_status st = decode(c, m, n + 5, a, &why);
    if (st != LR_CODEC_MALFORMED) fail_msg("expected malformed (%s), got %s", reason_part,
                                           lr_codec_status_name(st));
    if (!strstr(why, reason_part)) fail_msg("reason '%s' lacks '%s'", why, reason_part);
}

static void test_malformed_cases(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    /* lead_id "a", event_time T2000, 18 null unions (source..consent), empty
     * activities (byte 26) and attributes (byte 27) */
    uint8_t ok[32] = {2, 'a', T2000};
    size_t n = 8;
    for (int i = 0; i < 18; i++) ok[n++] = 0;
    ok[n++] = 0;
    ok[n++] = 0;
    const char *why;
    uint8_t m[64] = {0, 0, 0, 0, 1};
    memcpy(m + 5, ok, n);
    assert_int_equal(decode(c, m, n + 5, &arena, &why), LR_CODEC_OK);

    uint8_t b[64];
    /* varint of 11 bytes */
    memcpy(b, ok, n);
    uint8_t longv[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    memcpy(b + 2, longv, 11);
    expect_malformed(c, &arena, b, 13, "varint");
    /* 10th byte with more than bit 63 */
    longv[9] = 0x02;
    memcpy(b + 2, longv, 10);
    expect_malformed(c, &arena, b, 12, "64 bits");
    /* union branch 2 of [null, string], and a negative branch */
    memcpy(b, ok, n);
    b[8] = 4;
    expect_malformed(c, &arena, b, n, "union branch");
    b[8] = 1;
    expect_malformed(c, &arena, b, n, "union branch");
    /* negative string length, length past the end, huge length */
    memcpy(b, ok, n);
    b[0] = 3;
    expect_malformed(c, &arena, b, n, "negative");
    b[0] = 0x7e;
    expect_malformed(c, &arena, b, n, "past the end");
    uint8_t huge[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    memcpy(b, huge, sizeof(huge));
    expect_malformed(c, &arena, b, sizeof(huge) + 4, "past the end");
    /* consent (byte 25): branch boolean, then the byte 2 */
    memcpy(b, ok, 25);
    uint8_t boolean[] = {2, 2, 0, 0};
    memcpy(b + 25, boolean, sizeof(boolean));
    expect_malformed(c, &arena, b, 25 + sizeof(boolean), "boolean");
    boolean[1] = 1;
    memcpy(m + 5, b, 25);
    memcpy(m + 30, boolean, sizeof(boolean));
    assert_int_equal(decode(c, m, 5 + 25 + sizeof(boolean), &arena, &why), LR_CODEC_OK);
    assert_true(lead_b.consent_known && lead_b.consent);
    /* activities: a count far beyond the input */
    memcpy(b, ok, n);
    uint8_t cnt[] = {0xfe, 0xff, 0xff, 0xff, 0x0f};
    memcpy(b + 26, cnt, sizeof(cnt));
    expect_malformed(c, &arena, b, 26 + sizeof(cnt), "more items");
    /* activity with an enum index out of range (14 symbols) */
    uint8_t act[] = {2, 28, T2000, 0, 0, 0};
    memcpy(b, ok, 26);
    memcpy(b + 26, act, sizeof(act));
    expect_malformed(c, &arena, b, 26 + sizeof(act), "enum index");
    act[1] = 26; /* SPAM_COMPLAINT: fine */
    memcpy(b + 26, act, sizeof(act));
    memcpy(m + 5, b, 26 + sizeof(act));
    assert_int_equal(decode(c, m, 5 + 26 + sizeof(act), &arena, &why), LR_CODEC_OK);
    assert_int_equal(lead_b.activities[0].type, LR_ACT_SPAM_COMPLAINT);
    /* a negative block count with its byte size is valid Avro */
    uint8_t neg[] = {1, 16, 2, T2000, 0, 0, 0};
    memcpy(b + 26, neg, sizeof(neg));
    memcpy(m + 5, b, 26 + sizeof(neg));
    assert_int_equal(decode(c, m, 5 + 26 + sizeof(neg), &arena, &why), LR_CODEC_OK);
    assert_int_equal(lead_b.n_activities, 1);
    assert_int_equal(lead_b.activities[0].type, LR_ACT_DEMO_REQUEST);
    neg[1] = 0x7e; /* byte size past the end */
    memcpy(b + 26, neg, sizeof(neg));
    expect_malformed(c, &arena, b, 26 + sizeof(neg), "block size");
    /* attributes: a key that is not UTF-8 */
    uint8_t attr[] = {0, 2, 2, 0xff, 2, 'v', 0};
    memcpy(b + 26, attr, sizeof(attr));
    expect_malformed(c, &arena, b, 26 + sizeof(attr), "UTF-8");
    /* invalid UTF-8, overlong form, surrogate, embedded NUL */
    const char *bad[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "a\0b", "\xe2\x82"};
    const size_t badlen[] = {1, 2, 3, 3, 2};
    for (int i = 0; i < 5; i++) {
        memcpy(b, ok, n);
        b[0] = (uint8_t)(badlen[i] * 2);
        memcpy(b + 1, bad[i], badlen[i]);
        memcpy(b + 1 + badlen[i], ok + 2, n - 2);
        expect_malformed(c, &arena, b, n - 1 + badlen[i], "UTF-8");
    }
    /* valid multi-byte UTF-8 of each length passes */
    memcpy(b, ok, n);
    const char *good = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    b[0] = 18;
    memcpy(b + 1, good, 9);
    memcpy(b + 10, ok + 2, n - 2);
    memcpy(m + 5, b, n + 8);
    assert_int_equal(decode(c, m, 5 + n + 8, &arena, &why), LR_CODEC_OK);
    assert_string_equal(lead_b.lead_id.s, good);

    /* a decision whose attempt does not fit an int */
    lr_buf buf;
    lr_buf_init(&buf);
    fill_decision(&ev_a, 0);
    ev_a.u.decision.attempt = 77; /* zig-zag 154: two bytes, 0x9a 0x01 */
    lr_codec_encode_event(c, &ev_a, &buf);
    assert_int_equal(lr_codec_decode_event(c, buf.data, buf.len, &ev_b, &arena, &why), LR_CODEC_OK);
    uint8_t *at = NULL;
    for (size_t i = 0; i + 1 < buf.len; i++) {
        if (buf.data[i] == 0x9a && buf.data[i + 1] == 0x01) {
            assert_null(at); /* the pattern must be unique to be the attempt */
            at = buf.data + i;
        }
    }
    assert_non_null(at);
    uint8_t wide[600];
    size_t pre = (size_t)(at - buf.data);
    memcpy(wide, buf.data, pre);
    const uint8_t big_int[] = {0x80, 0x80, 0x80, 0x80, 0x20}; /* 2^32 after zig-zag */
    memcpy(wide + pre, big_int, sizeof(big_int));
    memcpy(wide + pre + sizeof(big_int), at + 2, buf.len - pre - 2);
    assert_int_equal(lr_codec_decode_event(c, wide, buf.len + 3, &ev_b, &arena, &why),
                     LR_CODEC_MALFORMED);
    assert_non_null(strstr(why, "32-bit"));
    assert_non_null(strstr(why, "attempt"));
    lr_buf_free(&buf);

    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

/* Every proper prefix of a valid message must fail cleanly. */
static void truncate_all(lr_codec *c, const lr_buf *b, int which) {
    lr_arena arena;
    lr_arena_init(&arena, 0);
    for (size_t n = 0; n < b->len; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size: valgrind sees overreads */
        memcpy(copy, b->data, n);
        const char *why = NULL;
        lr_codec_status st;
        if (which == 0) st = lr_codec_decode_lead(c, copy, n, &lead_b, &arena, &why);
        else if (which == 1) {
            lr_sales_activity s;
            st = lr_codec_decode_sales(c, copy, n, &s, &arena, &why);
        } else {
            st = lr_codec_decode_event(c, copy, n, &ev_b, &arena, &why);
        }
        if (st == LR_CODEC_OK) fail_msg("prefix of %zu of %zu bytes decoded", n, b->len);
        assert_non_null(why);
        free(copy);
        lr_arena_reset(&arena);
    }
    lr_arena_destroy(&arena);
}

static void test_truncation(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_buf b;
    lr_buf_init(&b);
    fill_lead(&lead_a);
    lr_codec_encode_lead(c, &lead_a, &b);
    truncate_all(c, &b, 0);
    lr_sales_activity s;
    fill_sales(&s, true);
    lr_buf_reset(&b);
    lr_codec_encode_sales(c, &s, &b);
    truncate_all(c, &b, 1);
    fill_decision(&ev_a, 5);
    lr_buf_reset(&b);
    lr_codec_encode_event(c, &ev_a, &b);
    truncate_all(c, &b, 2);
    fill_status(&ev_a, true);
    lr_buf_reset(&b);
    lr_codec_encode_event(c, &ev_a, &b);
    truncate_all(c, &b, 2);
    fill_alert(&ev_a);
    lr_buf_reset(&b);
    lr_codec_encode_event(c, &ev_a, &b);
    truncate_all(c, &b, 2);
    lr_buf_free(&b);
    lr_codec_free(c);
}

static size_t rich_writer_message(lr_codec *c, int32_t id, uint8_t *out, size_t cap);

/* The test's own PRNG (splitmix64), fixed seed. */
static uint64_t fz_state = 20261122;
static uint64_t fz_next(void) {
    uint64_t z = (fz_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Mutates a valid message (flip bits, overwrite, insert, delete, stretch a
 * varint) and decodes it: never a crash, never more arena than the message
 * can justify. LR_FUZZ_N overrides the count (for valgrind runs). */
static void test_mutation_fuzz(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_buf seeds[6];
    for (int i = 0; i < 6; i++) lr_buf_init(&seeds[i]);
    fill_lead(&lead_a);
    lr_codec_encode_lead(c, &lead_a, &seeds[0]);
    fill_minimal_lead(&lead_a);
    lr_codec_encode_lead(c, &lead_a, &seeds[1]);
    lr_sales_activity s;
    fill_sales(&s, true);
    lr_codec_encode_sales(c, &s, &seeds[2]);
    fill_decision(&ev_a, 6);
    lr_codec_encode_event(c, &ev_a, &seeds[3]);
    fill_status(&ev_a, true);
    lr_codec_encode_event(c, &ev_a, &seeds[4]);
    /* a writer with extra fields of every type: exercises the skip paths */
    size_t rich = rich_writer_message(c, 21, gbuf, sizeof(gbuf));
    assert_true(rich < 900);
    lr_buf_append(&seeds[5], gbuf, rich);

    lr_arena arena;
    lr_arena_init(&arena, 0);
    const char *env = getenv("LR_FUZZ_N");
    long total = env ? atol(env) : 200000;
    long ok = 0, counts[6] = {0};
    uint8_t m[1024];
    for (long it = 0; it < total; it++) {
        const lr_buf *seed = &seeds[fz_next() % 6];
        size_t n = seed->len;
        memcpy(m, seed->data, n);
        int edits = 1 + (int)(fz_next() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = n ? fz_next() % n : 0;
            switch (fz_next() % 6) {
            case 0: if (n) m[at] ^= (uint8_t)(1u << (fz_next() % 8)); break;
            case 1: if (n) m[at] = (uint8_t)fz_next(); break;
            case 2: /* insert a byte */
                if (n < sizeof(m) - 1) {
                    memmove(m + at + 1, m + at, n - at);
                    m[at] = (uint8_t)fz_next();
                    n++;
                }
                break;
            case 3: /* delete a byte */
                if (n) {
                    memmove(m + at, m + at + 1, n - at - 1);
                    n--;
                }
                break;
            case 4: if (n) m[at] |= 0x80; break; /* stretch a varint */
            case 5: if (at > 5) n = at; break;   /* cut */
            }
        }
        if (it % 7 == 0 && n >= 1) m[0] = 0; /* keep most past the magic check */
        if (it % 3 == 0 && n >= 5) memcpy(m + 1, seed->data + 1, 4);
        const char *why = NULL;
        lr_codec_status st;
        if (seed == &seeds[2]) st = lr_codec_decode_sales(c, m, n, &s, &arena, &why);
        else if (seed == &seeds[3] || seed == &seeds[4])
            st = lr_codec_decode_event(c, m, n, &ev_b, &arena, &why);
        else st = lr_codec_decode_lead(c, m, n, &lead_b, &arena, &why);
        counts[st]++;
        if (st == LR_CODEC_OK) {
            ok++;
            assert_null(why);
        } else {
            assert_non_null(why);
            assert_true(strlen(why) < 400);
        }
        /* the string reservation is the message size; reasons are short */
        if (arena.bytes_used > n + 1024) fail_msg("arena grew to %zu for %zu bytes", arena.bytes_used, n);
        lr_arena_reset(&arena);
    }
    print_message("fuzz: %ld runs: ok %ld, bad_magic %ld, unknown_schema %ld, malformed %ld, "
                  "contract %ld\n", total, ok, counts[LR_CODEC_BAD_MAGIC],
                  counts[LR_CODEC_UNKNOWN_SCHEMA], counts[LR_CODEC_MALFORMED],
                  counts[LR_CODEC_CONTRACT]);
    assert_true(counts[LR_CODEC_MALFORMED] > total / 4); /* the mutations did reach the decoder */
    for (int i = 0; i < 6; i++) lr_buf_free(&seeds[i]);
    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

/* ------------------------------------------------------------------------ */
/* schema evolution                                                          */

/* Our Lead schema with text replaced: the writer schemas below. */
static char *lead_schema_with(const char *from, const char *to) {
    const char *base = schema_text(LR_SCHEMA_LEAD);
    const char *at = strstr(base, from);
    if (!at) fail_msg("'%s' not in Lead.avsc", from);
    size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    return s;
}

static char *replace_all(char *s, const char *from, const char *to) {
    size_t pos = 0;
    char *at;
    while ((at = strstr(s + pos, from)) != NULL) {
        size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
        char *t = malloc(n);
        snprintf(t, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
        pos = (size_t)(at - s) + strlen(to); /* never rescan what was put in */
        free(s);
        s = t;
    }
    return s;
}

/* Writes lead_a with avro-c under writer schema json (registered as id),
 * decodes it with ours into lead_b. */
static lr_codec_status evolve(lr_codec *c, const char *json, int32_t id, lr_arena *arena,
                              const char **why) {
    lr_err err = {0};
    if (lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, id, json, strlen(json), &err))
        fail_msg("add_writer_schema: %s", err.msg);
    gval g;
    gval_new(&g, json);
    gfill_lead(&g.v, &lead_a);
    size_t n = gwrite(&g.v, id, gbuf, sizeof(gbuf));
    gval_free(&g);
    return lr_codec_decode_lead(c, gbuf, n, &lead_b, arena, why);
}

static void test_evolution_missing_fields(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    const char *why;
    /* no phone, no industry; Activity without detail. The record still holds
     * both the array of records and the map (the avro-c crash case). */
    char *w = lead_schema_with(
        "    {\"name\": \"phone\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"Personal data.\"},\n", "");
    w = replace_all(w, "    {\"name\": \"industry\", \"type\": [\"null\", \"string\"], \"default\": null},\n", "");
    w = replace_all(w, ",\n         {\"name\": \"detail\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"URL, asset or email step.\"}", "");
    assert_null(strstr(w, "\"phone\""));
    assert_null(strstr(w, "\"detail\""));
    fill_lead(&lead_a);
    assert_int_equal(evolve(c, w, 11, &arena, &why), LR_CODEC_OK);
    assert_null(lead_b.phone.s);
    assert_null(lead_b.industry.s);
    assert_null(lead_b.activities[0].detail.s);
    assert_int_equal(lead_b.n_activities, 3);
    assert_int_equal(lead_b.activities[0].type, LR_ACT_DEMO_REQUEST);
    assert_int_equal(lead_b.activities[2].at, lead_a.activities[2].at);
    assert_int_equal(lead_b.n_attrs, 2);
    assert_string_equal(lead_b.attrs[0].value.s, "enterprise");
    assert_string_equal(lead_b.email.s, lead_a.email.s);
    assert_string_equal(lead_b.product_interest.s, "routing");
    free(w);

    /* no activities and no attributes at all: both default to empty */
    w = lead_schema_with("    {\"name\": \"activities\"", "    {\"name\": \"old_activities\"");
    w = replace_all(w, "\"name\": \"attributes\"", "\"name\": \"old_attributes\"");
    lr_err err;
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 12, w, strlen(w), &err), 0);
    gval g;
    gval_new(&g, w);
    fill_lead(&lead_a);
    gfill_lead(&g.v, &lead_a); /* old_* are left empty */
    size_t n = gwrite(&g.v, 12, gbuf, sizeof(gbuf));
    gval_free(&g);
    assert_int_equal(lr_codec_decode_lead(c, gbuf, n, &lead_b, &arena, &why), LR_CODEC_OK);
    assert_int_equal(lead_b.n_activities, 0);
    assert_int_equal(lead_b.n_attrs, 0);
    free(w);

    /* a field without a default cannot be missing */
    w = lead_schema_with("{\"name\": \"event_time\"", "{\"name\": \"created\"");
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 13, w, strlen(w), &err), -1);
    assert_non_null(strstr(err.msg, "lacks field event_time"));
    free(w);
    w = lead_schema_with("{\"name\": \"at\"", "{\"name\": \"when\"");
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 13, w, strlen(w), &err), -1);
    assert_non_null(strstr(err.msg, "Activity: the writer schema lacks field at"));
    free(w);

    /* an old LeadDecision writer without reasons_dropped */
    const char *dec = schema_text(LR_SCHEMA_DECISION);
    const char *from = strstr(dec, "    {\"name\": \"reasons_dropped\"");
    const char *to = strstr(dec, "    {\"name\": \"router_version\"");
    char *old = malloc(strlen(dec) + 1);
    snprintf(old, strlen(dec) + 1, "%.*s%s", (int)(from - dec), dec, to);
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_DECISION, 33, old, strlen(old), &err), 0);
    gval_new(&g, old);
    gset_str(&g.v, "event_id", "L1:decision:1");
    gset_long(&g.v, "seq", 1, false);
    gset_str(&g.v, "lead_id", "L1");
    gset_enum(&g.v, "stage", "NURTURE");
    gset_double(&g.v, "score", 12.5, false);
    gset_double(&g.v, "fit_score", 10, false);
    gset_double(&g.v, "engagement_score", 2.5, false);
    gset_enum(&g.v, "cause", "NEW");
    gset_long(&g.v, "attempt", 1, false);
    gset_long(&g.v, "event_time", 5, false);
    gset_long(&g.v, "decided_at", 6, false);
    gset_long(&g.v, "sla_due_at", 0, true);
    gset_str(&g.v, "tier", NULL);
    gset_str(&g.v, "team", NULL);
    gset_str(&g.v, "rep", NULL);
    gset_str(&g.v, "queue", NULL);
    gset_str(&g.v, "source", NULL);
    gset_str(&g.v, "campaign", NULL);
    gset_str(&g.v, "router_version", "0.0.1");
    n = gwrite(&g.v, 33, gbuf, sizeof(gbuf));
    gval_free(&g);
    assert_int_equal(lr_codec_decode_event(c, gbuf, n, &ev_b, &arena, &why), LR_CODEC_OK);
    assert_int_equal(ev_b.kind, LR_EVENT_DECISION);
    assert_int_equal(ev_b.u.decision.reasons_dropped, 0);
    assert_int_equal(ev_b.u.decision.stage, LR_STAGE_NURTURE);
    assert_int_equal(ev_b.u.decision.sla_due_at, LR_TIME_NONE);
    assert_null(ev_b.u.decision.tier);
    free(old);

    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

/* Registers, under id, a Lead writer with extra fields of every Avro type
 * (in the lead and in the activity, including a recursive linked list), and
 * writes fill_lead()'s lead with it into out. */
static size_t rich_writer_message(lr_codec *c, int32_t id, uint8_t *out, size_t cap) {
    /* extra fields of every kind, in the lead and in the activity, including
     * a recursive record (a linked list) */
    char *w = lead_schema_with(
        "    {\"name\": \"source\"",
        "    {\"name\": \"x_double\", \"type\": \"double\", \"default\": 0},\n"
        "    {\"name\": \"x_tags\", \"type\": {\"type\": \"array\", \"items\": \"string\"}, \"default\": []},\n"
        "    {\"name\": \"x_meta\", \"type\": {\"type\": \"record\", \"name\": \"Meta\", \"fields\": [\n"
        "       {\"name\": \"a\", \"type\": \"int\"}, {\"name\": \"f\", \"type\": [\"null\", {\"type\": \"fixed\", \"name\": \"F4\", \"size\": 4}]},\n"
        "       {\"name\": \"m\", \"type\": {\"type\": \"map\", \"values\": \"long\"}}, {\"name\": \"e\", \"type\": {\"type\": \"enum\", \"name\": \"Color\", \"symbols\": [\"RED\", \"BLUE\"]}},\n"
        "       {\"name\": \"b\", \"type\": \"bytes\"}, {\"name\": \"fl\", \"type\": \"float\"}, {\"name\": \"ok\", \"type\": \"boolean\"}]}},\n"
        "    {\"name\": \"x_list\", \"type\": [\"null\", {\"type\": \"record\", \"name\": \"Node\", \"fields\": [\n"
        "       {\"name\": \"v\", \"type\": \"long\"}, {\"name\": \"next\", \"type\": [\"null\", \"Node\"]}]}], \"default\": null},\n"
        "    {\"name\": \"source\"");
    w = replace_all(w, "{\"name\": \"at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}},",
                    "{\"name\": \"at\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}},\n"
                    "         {\"name\": \"x_weight\", \"type\": \"float\", \"default\": 1},");
    lr_err err;
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, id, w, strlen(w), &err), 0);
    gval g;
    gval_new(&g, w);
    fill_lead(&lead_a);
    gfill_lead(&g.v, &lead_a);
    avro_value_t f, x, node, br;
    gset_double(&g.v, "x_double", 3.5, false);
    gfield(&g.v, "x_tags", &f);
    for (int i = 0; i < 3; i++) {
        avro_value_append(&f, &x, NULL);
        avro_value_set_string(&x, "tag");
    }
    gfield(&g.v, "x_meta", &f);
    gset_long(&f, "a", -7, false);
    gfield(&f, "f", &x);
    avro_value_set_branch(&x, 1, &br);
    avro_value_set_fixed(&br, (void *)"abcd", 4);
    gfield(&f, "m", &x);
    avro_value_add(&x, "k", &br, NULL, NULL);
    avro_value_set_long(&br, 99);
    gset_enum(&f, "e", "BLUE");
    gfield(&f, "b", &x);
    avro_value_set_bytes(&x, (void *)"\0\1\2", 3);
    gfield(&f, "fl", &x);
    avro_value_set_float(&x, 1.5f);
    gset_bool(&f, "ok", true, false);
    /* x_list: 3 nodes deep */
    gfield(&g.v, "x_list", &f);
    avro_value_set_branch(&f, 1, &node);
    for (int i = 0; i < 3; i++) {
        gset_long(&node, "v", i, false);
        gfield(&node, "next", &x);
        avro_value_set_branch(&x, i < 2 ? 1 : 0, &br);
        if (i == 2) avro_value_set_null(&br);
        node = br;
    }
    gfield(&g.v, "activities", &f);
    for (size_t i = 0; i < lead_a.n_activities; i++) {
        avro_value_get_by_index(&f, i, &x, NULL);
        gfield(&x, "x_weight", &br);
        avro_value_set_float(&br, 0.25f);
    }
    size_t n = gwrite(&g.v, id, out, cap);
    gval_free(&g);
    free(w);
    return n;
}

static void test_evolution_extra_fields(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    const char *why;
    size_t n = rich_writer_message(c, 21, gbuf, sizeof(gbuf));
    assert_int_equal(lr_codec_decode_lead(c, gbuf, n, &lead_b, &arena, &why), LR_CODEC_OK);
    assert_lead_eq(&lead_a, &lead_b);
    lr_err err;
    char *w;

    /* a recursive writer cannot nest without bound */
    w = lead_schema_with(
        "    {\"name\": \"source\"",
        "    {\"name\": \"x_list\", \"type\": [\"null\", {\"type\": \"record\", \"name\": \"Node\", \"fields\": [\n"
        "       {\"name\": \"next\", \"type\": [\"null\", \"Node\"]}]}], \"default\": null},\n"
        "    {\"name\": \"source\"");
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 22, w, strlen(w), &err), 0);
    uint8_t m[256] = {0, 0, 0, 0, 22, 2, 'a', 2};
    size_t k = 8;
    for (int i = 0; i < 100; i++) m[k++] = 2; /* 100 nested "next" branches */
    m[k++] = 0;
    assert_int_equal(lr_codec_decode_lead(c, m, k, &lead_b, &arena, &why), LR_CODEC_MALFORMED);
    assert_non_null(strstr(why, "nested"));
    free(w);

    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

static void test_evolution_reordered(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    const char *why;
    /* Lead fields in reverse order; Activity fields reversed too; the enum's
     * symbols reversed, so symbols must be matched by name, not index. */
    json_error_t jerr;
    json_t *j = json_loads(schema_text(LR_SCHEMA_LEAD), 0, &jerr);
    json_t *fields = json_object_get(j, "fields"), *rev = json_array();
    for (size_t i = json_array_size(fields); i-- > 0;) json_array_append(rev, json_array_get(fields, i));
    json_object_set_new(j, "fields", rev);
    json_t *act = NULL;
    for (size_t i = 0; i < json_array_size(rev); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(rev, i), "name")), "activities"))
            act = json_object_get(json_object_get(json_array_get(rev, i), "type"), "items");
    assert_non_null(act);
    json_t *af = json_object_get(act, "fields"), *arev = json_array();
    for (size_t i = json_array_size(af); i-- > 0;) json_array_append(arev, json_array_get(af, i));
    json_t *type = json_object_get(json_array_get(af, 0), "type");
    json_t *syms = json_object_get(type, "symbols"), *srev = json_array();
    for (size_t i = json_array_size(syms); i-- > 0;) json_array_append(srev, json_array_get(syms, i));
    json_object_set_new(type, "symbols", srev);
    json_object_set_new(act, "fields", arev);
    char *w = json_dumps(j, JSON_COMPACT);
    json_decref(j);

    fill_lead(&lead_a);
    assert_int_equal(evolve(c, w, 31, &arena, &why), LR_CODEC_OK);
    assert_lead_eq(&lead_a, &lead_b);
    free(w);
    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

static void test_evolution_unknown_symbols(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    const char *why;
    /* a new activity type we do not know: becomes OTHER */
    char *w = lead_schema_with("\"symbols\": [\"OTHER\", ", "\"symbols\": [\"CHAT_STARTED\", \"OTHER\", ");
    lr_err err;
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 41, w, strlen(w), &err), 0);
    gval g;
    gval_new(&g, w);
    fill_lead(&lead_a);
    gfill_lead(&g.v, &lead_a);
    avro_value_t arr, item;
    gfield(&g.v, "activities", &arr);
    avro_value_append(&arr, &item, NULL);
    gset_enum(&item, "type", "CHAT_STARTED");
    gset_long(&item, "at", 1794000000077LL, false);
    gset_str(&item, "detail", "widget");
    size_t n = gwrite(&g.v, 41, gbuf, sizeof(gbuf));
    gval_free(&g);
    assert_int_equal(lr_codec_decode_lead(c, gbuf, n, &lead_b, &arena, &why), LR_CODEC_OK);
    assert_int_equal(lead_b.n_activities, 4);
    assert_int_equal(lead_b.activities[0].type, LR_ACT_DEMO_REQUEST); /* index 2 in the writer */
    assert_int_equal(lead_b.activities[1].type, LR_ACT_SPAM_COMPLAINT);
    assert_int_equal(lead_b.activities[3].type, LR_ACT_OTHER);
    assert_string_equal(lead_b.activities[3].detail.s, "widget");
    free(w);

    /* a sales kind we do not know has no default: the message is refused,
     * saying which symbol; known symbols still decode */
    const char *sales = schema_text(LR_SCHEMA_SALES_ACTIVITY);
    const char *at = strstr(sales, "\"RECYCLED\"");
    char ws[4096];
    snprintf(ws, sizeof(ws), "%.*s\"RECYCLED\", \"MEETING_BOOKED\"%s", (int)(at - sales), sales,
             at + strlen("\"RECYCLED\""));
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_SALES_ACTIVITY, 42, ws, strlen(ws), &err), 0);
    gval_new(&g, ws);
    lr_sales_activity sa, sb;
    fill_sales(&sa, false);
    gset_str(&g.v, "activity_id", sa.activity_id.s);
    gset_str(&g.v, "lead_id", sa.lead_id.s);
    gset_enum(&g.v, "kind", "MEETING_BOOKED");
    gset_str(&g.v, "rep_id", sa.rep_id.s);
    gset_long(&g.v, "occurred_at", sa.occurred_at, false);
    gset_str(&g.v, "assignment_id", NULL);
    gset_str(&g.v, "reason", NULL);
    gset_double(&g.v, "opportunity_value", 0, true);
    n = gwrite(&g.v, 42, gbuf, sizeof(gbuf));
    assert_int_equal(lr_codec_decode_sales(c, gbuf, n, &sb, &arena, &why), LR_CODEC_MALFORMED);
    assert_non_null(strstr(why, "MEETING_BOOKED"));
    gset_enum(&g.v, "kind", "REJECTED");
    n = gwrite(&g.v, 42, gbuf, sizeof(gbuf));
    assert_int_equal(lr_codec_decode_sales(c, gbuf, n, &sb, &arena, &why), LR_CODEC_OK);
    assert_int_equal(sb.kind, LR_SALES_REJECTED);
    gval_free(&g);

    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

static void test_evolution_promotions(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_arena arena;
    lr_arena_init(&arena, 0);
    const char *why;
    /* int -> long, bytes -> string, [null, int] -> [null, long], plain
     * string -> [null, string], [null, string] -> string */
    char *w = lead_schema_with("{\"name\": \"company_size\", \"type\": [\"null\", \"long\"]",
                               "{\"name\": \"company_size\", \"type\": \"int\"");
    w = replace_all(w, "{\"name\": \"annual_revenue\", \"type\": [\"null\", \"long\"]",
                    "{\"name\": \"annual_revenue\", \"type\": [\"null\", \"int\"]");
    w = replace_all(w, "{\"type\": \"map\", \"values\": \"string\"}", "{\"type\": \"map\", \"values\": \"bytes\"}");
    w = replace_all(w, "{\"name\": \"email\", \"type\": [\"null\", \"string\"]", "{\"name\": \"email\", \"type\": \"bytes\"");
    w = replace_all(w, "{\"name\": \"lead_id\", \"type\": \"string\"", "{\"name\": \"lead_id\", \"type\": [\"null\", \"string\"]");
    fill_lead(&lead_a);
    lead_a.annual_revenue = 2000000000;
    assert_int_equal(evolve(c, w, 51, &arena, &why), LR_CODEC_OK);
    assert_lead_eq(&lead_a, &lead_b);

    /* int -> long for event_time decodes, but 32 bits hold epoch seconds at
     * best, never milliseconds since 2000: the contract refuses the lead */
    char *wt = lead_schema_with("{\"name\": \"event_time\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}",
                                "{\"name\": \"event_time\", \"type\": \"int\"");
    lead_a.event_time = 1700000000;
    assert_int_equal(evolve(c, wt, 55, &arena, &why), LR_CODEC_CONTRACT);
    assert_int_equal(lead_b.event_time, 1700000000);
    assert_non_null(strstr(why, "before 2000-01-01"));
    free(wt);
    fill_lead(&lead_a);
    lead_a.annual_revenue = 2000000000;

    /* the null branch of a writer union, read into our required lead_id */
    gval g;
    gval_new(&g, w);
    gfill_lead(&g.v, &lead_a);
    gset_str(&g.v, "lead_id", NULL);
    size_t n = gwrite(&g.v, 51, gbuf, sizeof(gbuf));
    gval_free(&g);
    assert_int_equal(lr_codec_decode_lead(c, gbuf, n, &lead_b, &arena, &why), LR_CODEC_MALFORMED);
    assert_non_null(strstr(why, "lead_id"));
    free(w);

    /* float and long opportunity values */
    const char *sales = schema_text(LR_SCHEMA_SALES_ACTIVITY);
    const char *at = strstr(sales, "[\"null\", \"double\"]");
    for (int v = 0; v < 2; v++) {
        char ws[4096];
        snprintf(ws, sizeof(ws), "%.*s%s%s", (int)(at - sales), sales,
                 v ? "[\"null\", \"float\"]" : "[\"long\", \"null\"]", at + strlen("[\"null\", \"double\"]"));
        lr_err err;
        if (v == 0) { /* a default must match the first branch: drop it for this writer */
            char *d = strstr(ws, "[\"long\", \"null\"], \"default\": null");
            assert_non_null(d);
            memmove(d + strlen("[\"long\", \"null\"]"), d + strlen("[\"long\", \"null\"], \"default\": null"),
                    strlen(d + strlen("[\"long\", \"null\"], \"default\": null")) + 1);
        }
        assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_SALES_ACTIVITY, 52 + v, ws, strlen(ws), &err), 0);
        gval_new(&g, ws);
        lr_sales_activity sa, sb;
        fill_sales(&sa, true);
        sa.opportunity_value = 1500;
        gset_str(&g.v, "activity_id", sa.activity_id.s);
        gset_str(&g.v, "lead_id", sa.lead_id.s);
        gset_enum(&g.v, "kind", "CONVERTED");
        gset_str(&g.v, "rep_id", sa.rep_id.s);
        gset_long(&g.v, "occurred_at", sa.occurred_at, false);
        gset_str(&g.v, "assignment_id", sa.assignment_id.s);
        gset_str(&g.v, "reason", NULL);
        avro_value_t f, br;
        gfield(&g.v, "opportunity_value", &f);
        avro_value_set_branch(&f, v ? 1 : 0, &br);
        if (v) avro_value_set_float(&br, 1500.0f);
        else avro_value_set_long(&br, 1500);
        n = gwrite(&g.v, 52 + v, gbuf, sizeof(gbuf));
        gval_free(&g);
        assert_int_equal(lr_codec_decode_sales(c, gbuf, n, &sb, &arena, &why), LR_CODEC_OK);
        assert_sales_eq(&sa, &sb);
    }

    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

static void test_evolution_refused(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_err err;
    /* types that cannot be read as ours */
    char *w = lead_schema_with("{\"name\": \"lead_id\", \"type\": \"string\"", "{\"name\": \"lead_id\", \"type\": \"int\"");
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 61, w, strlen(w), &err), -1);
    assert_non_null(strstr(err.msg, "Lead.lead_id"));
    free(w);
    w = lead_schema_with("{\"name\": \"consent\", \"type\": [\"null\", \"boolean\"]",
                         "{\"name\": \"consent\", \"type\": [\"null\", \"string\"]");
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 61, w, strlen(w), &err), -1);
    assert_non_null(strstr(err.msg, "consent"));
    free(w);
    w = lead_schema_with("\"type\": {\"type\": \"map\", \"values\": \"string\"}",
                         "\"type\": {\"type\": \"map\", \"values\": \"long\"}");
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 61, w, strlen(w), &err), -1);
    free(w);
    /* not JSON, not a record */
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 61, "{", 1, &err), -1);
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 61, "\"string\"", 8, &err), -1);
    /* an id another record type uses */
    const char *lead = schema_text(LR_SCHEMA_LEAD);
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 2, lead, strlen(lead), &err), -1);
    assert_non_null(strstr(err.msg, "SalesActivity"));
    /* at most LR_CODEC_MAX_WRITERS per type; re-registering replaces */
    for (int i = 1; i < LR_CODEC_MAX_WRITERS; i++)
        assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 100 + i, lead, strlen(lead), &err), 0);
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 200, lead, strlen(lead), &err), -1);
    assert_int_equal(lr_codec_add_writer_schema(c, LR_SCHEMA_LEAD, 101, lead, strlen(lead), &err), 0);
    /* and the codec still works */
    lr_arena arena;
    lr_arena_init(&arena, 0);
    lr_buf b;
    lr_buf_init(&b);
    fill_lead(&lead_a);
    lr_codec_encode_lead(c, &lead_a, &b);
    b.data[4] = 101;
    const char *why;
    assert_int_equal(lr_codec_decode_lead(c, b.data, b.len, &lead_b, &arena, &why), LR_CODEC_OK);
    assert_lead_eq(&lead_a, &lead_b);
    lr_buf_free(&b);
    lr_arena_destroy(&arena);
    lr_codec_free(c);
}

/* Generated traffic round-trips too (the generator's own tests check more). */
static void test_generated_roundtrip(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_gen *g = lr_gen_new(7, 1795000000000LL, 50);
    lr_arena arena;
    lr_arena_init(&arena, 0);
    lr_buf b, b2;
    lr_buf_init(&b);
    lr_buf_init(&b2);
    gval gv;
    gval_new(&gv, schema_text(LR_SCHEMA_LEAD));
    for (int i = 0; i < 2000; i++) {
        lr_arena_reset(&arena);
        lr_gen_next_lead(g, &lead_a, &arena);
        lr_buf_reset(&b);
        lr_codec_encode_lead(c, &lead_a, &b);
        const char *why;
        assert_int_equal(lr_codec_decode_lead(c, b.data, b.len, &lead_b, &arena, &why), LR_CODEC_OK);
        assert_lead_eq(&lead_a, &lead_b);
        if (i % 50 == 0) { /* avro-c agrees on these bytes */
            gread(&gv, &b);
            check_lead_generic(&gv.v, &lead_a);
            gfill_lead(&gv.v, &lead_a);
            size_t n = gwrite(&gv.v, 1, gbuf, sizeof(gbuf));
            assert_int_equal(n, b.len);
            assert_memory_equal(gbuf, b.data, n);
        }
    }
    gval_free(&gv);
    lr_buf_free(&b);
    lr_buf_free(&b2);
    lr_arena_destroy(&arena);
    lr_gen_free(g);
    lr_codec_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schemas_match_files),
        cmocka_unit_test(test_codec_new_checks),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_lead_roundtrip),
        cmocka_unit_test(test_sales_roundtrip),
        cmocka_unit_test(test_event_roundtrips),
        cmocka_unit_test(test_reason_edges),
        cmocka_unit_test(test_version_and_event_ids),
        cmocka_unit_test(test_avro_c_writes_we_read),
        cmocka_unit_test(test_we_write_avro_c_reads),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_contract),
        cmocka_unit_test(test_malformed_cases),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_mutation_fuzz),
        cmocka_unit_test(test_evolution_missing_fields),
        cmocka_unit_test(test_evolution_extra_fields),
        cmocka_unit_test(test_evolution_reordered),
        cmocka_unit_test(test_evolution_unknown_symbols),
        cmocka_unit_test(test_evolution_promotions),
        cmocka_unit_test(test_evolution_refused),
        cmocka_unit_test(test_generated_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
