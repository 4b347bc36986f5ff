/* rosterwire.c - see rosterwire.h. avro-c's generic values, one per schema,
 * reused for every record: these topics carry one record per rep or domain
 * and are read at start and on change, never per lead. */
#include "rosterwire.h"

#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char lr_schema_Rep[], lr_schema_AccountOwner[];

typedef struct one {
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
    int32_t id;
} one;

struct lr_roster_wire {
    one rep, owner;
    avro_reader_t rd;
};

static int one_init(one *o, const char *json, int32_t id, lr_err *err) {
    o->id = id;
    if (avro_schema_from_json_length(json, strlen(json), &o->schema)) {
        snprintf(err->msg, sizeof(err->msg), "embedded schema: %s", avro_strerror());
        return -1;
    }
    o->iface = avro_generic_class_from_schema(o->schema);
    if (!o->iface || avro_generic_value_new(o->iface, &o->value)) {
        snprintf(err->msg, sizeof(err->msg), "embedded schema: %s", avro_strerror());
        return -1;
    }
    return 0;
}

static void one_destroy(one *o) {
    if (o->iface) {
        avro_value_decref(&o->value);
        avro_value_iface_decref(o->iface);
    }
    if (o->schema) avro_schema_decref(o->schema);
}

lr_roster_wire *lr_roster_wire_new(int32_t rep_id, int32_t owner_id, lr_err *err) {
    lr_roster_wire *w = calloc(1, sizeof(*w));
    if (!w) abort();
    if (one_init(&w->rep, lr_schema_Rep, rep_id, err) < 0 ||
        one_init(&w->owner, lr_schema_AccountOwner, owner_id, err) < 0) {
        lr_roster_wire_free(w);
        return NULL;
    }
    w->rd = avro_reader_memory(NULL, 0);
    return w;
}

void lr_roster_wire_free(lr_roster_wire *w) {
    if (!w) return;
    one_destroy(&w->rep);
    one_destroy(&w->owner);
    if (w->rd) avro_reader_free(w->rd);
    free(w);
}

/* ---- decoding */

typedef struct dec {
    lr_arena *mem;
    char *why;
    size_t why_len;
    bool bad;
} dec;

static void fail(dec *d, const char *what) {
    if (!d->bad) snprintf(d->why, d->why_len, "%s", what);
    d->bad = true;
}

static avro_value_t field(const avro_value_t *v, const char *name) {
    avro_value_t f;
    memset(&f, 0, sizeof(f));
    avro_value_get_by_name(v, name, &f, NULL);
    return f;
}

static const char *str_of(dec *d, const avro_value_t *v) {
    const char *s = NULL;
    size_t n = 0;
    if (avro_value_get_string(v, &s, &n) || !s) {
        fail(d, "not a string");
        return "";
    }
    if (n && s[n - 1] == '\0') n--;
    if (memchr(s, '\0', n)) fail(d, "string with a NUL byte");
    return lr_arena_strndup(d->mem, s, n);
}

/* ["null", X]: the X branch, or false for null. */
static bool branch(const avro_value_t *u, avro_value_t *out) {
    int disc = 0;
    if (avro_value_get_discriminant(u, &disc) || disc == 0) return false;
    return avro_value_get_current_branch(u, out) == 0;
}

/* Items of an array field, at most max; more is an error. */
static size_t items(dec *d, const avro_value_t *arr, size_t max, const char *name) {
    size_t n = 0;
    avro_value_get_size(arr, &n);
    if (n > max) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: more than %zu items", name, max);
        fail(d, msg);
        return 0;
    }
    return n;
}

static avro_value_t item(const avro_value_t *arr, size_t i) {
    avro_value_t e;
    avro_value_get_by_index(arr, i, &e, NULL);
    return e;
}

static int read_framed(lr_roster_wire *w, one *o, const uint8_t *buf, size_t len, dec *d) {
    if (len < 5) return fail(d, "shorter than the 5-byte header"), -1;
    if (buf[0] != 0) return fail(d, "bad magic byte (expected 0)"), -1;
    int32_t id = (int32_t)((uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 |
                           (uint32_t)buf[3] << 8 | buf[4]);
    if (id != o->id) {
        char msg[96];
        snprintf(msg, sizeof(msg), "unknown schema id %d (expected %d)", id, o->id);
        return fail(d, msg), -1;
    }
    avro_value_reset(&o->value);
    avro_reader_memory_set_source(w->rd, (const char *)buf + 5, (int64_t)(len - 5));
    if (avro_value_read(w->rd, &o->value)) {
        char msg[256];
        snprintf(msg, sizeof(msg), "malformed: %s", avro_strerror());
        return fail(d, msg), -1;
    }
    return 0;
}

static void rep_rest(dec *d, const avro_value_t *v, lr_rep_rec *r) {
    avro_value_t f = field(v, "timezone"), b;
    if (branch(&f, &b)) r->timezone = str_of(d, &b);
    f = field(v, "working_hours");
    if (branch(&f, &b)) {
        r->has_hours = true;
        avro_value_t days = field(&b, "days"), x;
        r->n_days = items(d, &days, 7, "working_hours.days");
        for (size_t i = 0; i < r->n_days; i++) r->days[i] = str_of(d, (x = item(&days, i), &x));
        r->start = str_of(d, (x = field(&b, "start"), &x));
        r->end = str_of(d, (x = field(&b, "end"), &x));
    }
    f = field(v, "skills");
    r->n_skills = items(d, &f, LR_REP_MAX_SKILLS, "skills");
    for (size_t i = 0; i < r->n_skills; i++) r->skills[i] = str_of(d, (b = item(&f, i), &b));
    f = field(v, "out_of_office");
    r->n_ooo = items(d, &f, LR_REP_MAX_OOO, "out_of_office");
    for (size_t i = 0; i < r->n_ooo; i++) {
        avro_value_t o = item(&f, i), x;
        r->ooo[i].from = str_of(d, (x = field(&o, "from"), &x));
        r->ooo[i].until = str_of(d, (x = field(&o, "until"), &x));
    }
}

int lr_roster_wire_decode_rep(lr_roster_wire *w, const uint8_t *buf, size_t len, lr_arena *mem,
                              lr_rep_rec *r, char *why, size_t why_len) {
    dec d = {mem, why, why_len, false};
    memset(r, 0, sizeof(*r));
    if (read_framed(w, &w->rep, buf, len, &d) < 0) return -1;
    const avro_value_t *v = &w->rep.value;
    avro_value_t f = field(v, "id"), x;
    r->id = str_of(&d, &f);
    f = field(v, "teams");
    r->n_teams = items(&d, &f, LR_REP_MAX_TEAMS, "teams");
    for (size_t i = 0; i < r->n_teams; i++) {
        avro_value_t m = item(&f, i);
        r->teams[i].team = str_of(&d, (x = field(&m, "team"), &x));
        x = field(&m, "weight");
        avro_value_get_long(&x, &r->teams[i].weight);
    }
    int active = 1;
    x = field(v, "active");
    avro_value_get_boolean(&x, &active);
    r->active = active != 0;
    x = field(v, "max_open");
    avro_value_get_int(&x, &r->max_open);
    x = field(v, "max_per_day");
    avro_value_get_int(&x, &r->max_per_day);
    rep_rest(&d, v, r);
    return d.bad ? -1 : 0;
}

int lr_roster_wire_decode_owner(lr_roster_wire *w, const uint8_t *buf, size_t len, lr_arena *mem,
                                lr_owner_rec *o, char *why, size_t why_len) {
    dec d = {mem, why, why_len, false};
    memset(o, 0, sizeof(*o));
    if (read_framed(w, &w->owner, buf, len, &d) < 0) return -1;
    const avro_value_t *v = &w->owner.value;
    avro_value_t f = field(v, "domain"), b;
    o->domain = str_of(&d, &f);
    f = field(v, "owner");
    o->owner = str_of(&d, &f);
    f = field(v, "team");
    if (branch(&f, &b)) o->team = str_of(&d, &b);
    return d.bad ? -1 : 0;
}

/* ---- encoding */

static void set_str(avro_value_t *v, const char *name, const char *s) {
    avro_value_t f = field(v, name);
    avro_value_set_string(&f, s ? s : "");
}

static void set_opt_str(avro_value_t *v, const char *name, const char *s) {
    avro_value_t f = field(v, name), b;
    avro_value_set_branch(&f, s ? 1 : 0, &b);
    if (s) avro_value_set_string(&b, s);
    else avro_value_set_null(&b);
}

static avro_value_t append(avro_value_t *arr) {
    avro_value_t e;
    avro_value_append(arr, &e, NULL);
    return e;
}

static void append_str(avro_value_t *arr, const char *s) {
    avro_value_t e = append(arr);
    avro_value_set_string(&e, s ? s : "");
}

/* avro-c's setters are macros that evaluate their argument twice */
static void set_long(avro_value_t *v, const char *name, int64_t x) {
    avro_value_t f = field(v, name);
    avro_value_set_long(&f, x);
}

static void set_int(avro_value_t *v, const char *name, int32_t x) {
    avro_value_t f = field(v, name);
    avro_value_set_int(&f, x);
}

static void set_bool(avro_value_t *v, const char *name, bool x) {
    avro_value_t f = field(v, name);
    avro_value_set_boolean(&f, x);
}

static void write_framed(lr_roster_wire *w, one *o, lr_buf *out) {
    int64_t size = 0;
    avro_value_sizeof(&o->value, (size_t *)&size);
    uint8_t *p = lr_buf_reserve(out, 5 + (size_t)size);
    p[0] = 0;
    p[1] = (uint8_t)((uint32_t)o->id >> 24);
    p[2] = (uint8_t)((uint32_t)o->id >> 16);
    p[3] = (uint8_t)((uint32_t)o->id >> 8);
    p[4] = (uint8_t)o->id;
    avro_writer_t wr = avro_writer_memory((char *)p + 5, size);
    avro_value_write(wr, &o->value);
    avro_writer_free(wr);
    out->len += 5 + (size_t)size;
    (void)w;
}

static void rep_rest_put(avro_value_t *v, const lr_rep_rec *r) {
    avro_value_t f = field(v, "working_hours"), b;
    avro_value_set_branch(&f, r->has_hours ? 1 : 0, &b);
    if (r->has_hours) {
        avro_value_t days = field(&b, "days");
        for (size_t i = 0; i < r->n_days; i++) append_str(&days, r->days[i]);
        set_str(&b, "start", r->start);
        set_str(&b, "end", r->end);
    } else {
        avro_value_set_null(&b);
    }
    f = field(v, "skills");
    for (size_t i = 0; i < r->n_skills; i++) append_str(&f, r->skills[i]);
    f = field(v, "out_of_office");
    for (size_t i = 0; i < r->n_ooo; i++) {
        avro_value_t o = append(&f);
        set_str(&o, "from", r->ooo[i].from);
        set_str(&o, "until", r->ooo[i].until);
    }
}

void lr_roster_wire_encode_rep(lr_roster_wire *w, const lr_rep_rec *r, lr_buf *out) {
    avro_value_t *v = &w->rep.value, f;
    avro_value_reset(v);
    set_str(v, "id", r->id);
    f = field(v, "teams");
    for (size_t i = 0; i < r->n_teams; i++) {
        avro_value_t m = append(&f);
        set_str(&m, "team", r->teams[i].team);
        set_long(&m, "weight", r->teams[i].weight);
    }
    set_bool(v, "active", r->active);
    set_int(v, "max_open", r->max_open);
    set_int(v, "max_per_day", r->max_per_day);
    set_opt_str(v, "timezone", r->timezone);
    rep_rest_put(v, r);
    write_framed(w, &w->rep, out);
}

void lr_roster_wire_encode_owner(lr_roster_wire *w, const lr_owner_rec *o, lr_buf *out) {
    avro_value_t *v = &w->owner.value;
    avro_value_reset(v);
    set_str(v, "domain", o->domain);
    set_str(v, "owner", o->owner);
    set_opt_str(v, "team", o->team);
    write_framed(w, &w->owner, out);
}
