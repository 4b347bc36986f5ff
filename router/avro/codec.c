/* codec.c - the codec object (see codec.h and, for how the work is split
 * across files, codec_int.h): writer schemas by id, and the start-up check
 * that the embedded schemas agree with the field tables of wire.h, so that
 * struct, encoder and schema cannot drift apart silently. */
#include "codec_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *lr_codec_status_name(lr_codec_status s) {
    switch (s) {
    case LR_CODEC_OK: return "ok";
    case LR_CODEC_TOO_LARGE: return "too_large";
    case LR_CODEC_BAD_MAGIC: return "bad_magic";
    case LR_CODEC_UNKNOWN_SCHEMA: return "unknown_schema";
    case LR_CODEC_MALFORMED: return "malformed";
    case LR_CODEC_CONTRACT: return "contract";
    }
    return "?";
}

/* ---- checking the embedded schemas against the field tables ---- */

static bool is_opt_of(avro_schema_t s, avro_type_t t) {
    if (!is_avro_union(s) || avro_schema_union_size(s) != 2) return false;
    avro_schema_t a = lr_avro_deref(avro_schema_union_branch(s, 0));
    avro_schema_t b = lr_avro_deref(avro_schema_union_branch(s, 1));
    return is_avro_null(a) && b && avro_typeof(b) == t;
}

static bool type_agrees(const lr_wire_field *f, avro_schema_t s) {
    switch (f->type) {
    case LR_F_STR: case LR_F_CSTR: case LR_F_VERSION: return is_avro_string(s);
    case LR_F_OPT_STR: case LR_F_OPT_CSTR: return is_opt_of(s, AVRO_STRING);
    case LR_F_LONG: return is_avro_int64(s);
    case LR_F_OPT_LONG: case LR_F_OPT_TIME: return is_opt_of(s, AVRO_INT64);
    case LR_F_INT: case LR_F_COUNT: return is_avro_int32(s);
    case LR_F_DOUBLE: return is_avro_double(s);
    case LR_F_OPT_DOUBLE: return is_opt_of(s, AVRO_DOUBLE);
    case LR_F_OPT_BOOL: return is_opt_of(s, AVRO_BOOLEAN);
    case LR_F_ENUM: return is_avro_enum(s);
    case LR_F_ARRAY: return is_avro_array(s) && is_avro_record(lr_avro_deref(avro_schema_array_items(s)));
    case LR_F_MAP: return is_avro_map(s) && is_avro_string(lr_avro_deref(avro_schema_map_values(s)));
    }
    return false;
}

/* A field type of the form {"type": "long", "logicalType": "timestamp-millis"}. */
static bool is_timestamp(json_t *type) {
    const char *lt = json_string_value(json_object_get(type, "logicalType"));
    return lt && strcmp(lt, "timestamp-millis") == 0;
}

/* s: the avro-c record; j: the same record as JSON, for the defaults avro-c
 * does not expose. */
static int verify_record(const lr_wire_record *rd, avro_schema_t s, json_t *j, lr_err *err) {
    json_t *jf = json_object_get(j, "fields");
    if (!is_avro_record(s) || strcmp(avro_schema_name(s), rd->name) != 0) {
        lr_err_set(err, LR_ERR_FATAL, "embedded schema: %s is not a record named so", rd->name);
        return -1;
    }
    if (avro_schema_record_size(s) != rd->n || json_array_size(jf) != rd->n) {
        lr_err_set(err, LR_ERR_FATAL, "embedded schema %s has %zu fields, the codec %u",
                   rd->name, avro_schema_record_size(s), rd->n);
        return -1;
    }
    for (uint32_t i = 0; i < rd->n; i++) {
        const lr_wire_field *f = &rd->f[i];
        const char *name = avro_schema_record_field_name(s, (int)i);
        avro_schema_t t = lr_avro_deref(avro_schema_record_field_get_by_index(s, (int)i));
        json_t *fj = json_array_get(jf, i);
        if (strcmp(name, f->name) != 0) {
            lr_err_set(err, LR_ERR_FATAL, "embedded schema %s: field %u is %s, the codec has %s",
                       rd->name, i, name, f->name);
            return -1;
        }
        if (!type_agrees(f, t)) {
            lr_err_set(err, LR_ERR_FATAL, "embedded schema %s.%s: type %s, the codec writes %s",
                       rd->name, name, lr_avro_type_name(t), lr_wire_type_name(f->type));
            return -1;
        }
        if (f->type == LR_F_LONG && is_timestamp(json_object_get(fj, "type")) != f->is_time) {
            lr_err_set(err, LR_ERR_FATAL, "embedded schema %s.%s: %s, the tables say %s",
                       rd->name, name, f->is_time ? "a plain long" : "a timestamp",
                       f->is_time ? "a time" : "a plain long");
            return -1;
        }
        if ((json_object_get(fj, "default") != NULL) != f->has_default) {
            lr_err_set(err, LR_ERR_FATAL, "embedded schema %s.%s: default %s, the codec %s",
                       rd->name, name, f->has_default ? "missing" : "present",
                       f->has_default ? "assumes one" : "requires the field");
            return -1;
        }
        if (f->type == LR_F_ENUM) {
            int n = avro_schema_enum_number_of_symbols(t);
            if (n != f->nsym) {
                lr_err_set(err, LR_ERR_FATAL, "embedded schema %s.%s: %d symbols, our enum %d",
                           rd->name, name, n, f->nsym);
                return -1;
            }
            for (int k = 0; k < n; k++) {
                if (strcasecmp(avro_schema_enum_get(t, k), f->sym(k)) != 0) {
                    lr_err_set(err, LR_ERR_FATAL,
                               "embedded schema %s.%s: symbol %d is %s, our enum says %s",
                               rd->name, name, k, avro_schema_enum_get(t, k), f->sym(k));
                    return -1;
                }
            }
            json_t *def = json_object_get(json_object_get(fj, "type"), "default");
            int want = json_is_string(def) ? avro_schema_enum_get_by_name(t, json_string_value(def))
                                           : -1;
            if (want != f->unknown_as) {
                lr_err_set(err, LR_ERR_FATAL,
                           "embedded schema %s.%s: enum default disagrees with the codec",
                           rd->name, name);
                return -1;
            }
        }
        if (f->type == LR_F_ARRAY &&
            verify_record(f->items, lr_avro_deref(avro_schema_array_items(t)),
                          json_object_get(json_object_get(fj, "type"), "items"), err))
            return -1;
    }
    return 0;
}

static int load_reader(lr_codec *c, lr_schema_kind k, lr_err *err) {
    size_t len;
    const char *text = lr_schemas_json(k, &len);
    if (avro_schema_from_json_length(text, len, &c->reader[k])) {
        lr_err_set(err, LR_ERR_FATAL, "embedded schema %s: %s", lr_schemas_file(k),
                   avro_strerror());
        c->reader[k] = NULL;
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    if (!j) {
        lr_err_set(err, LR_ERR_FATAL, "embedded schema %s: %s", lr_schemas_file(k), jerr.text);
        return -1;
    }
    int rc = verify_record(lr_wire_record_of(k), c->reader[k], j, err);
    json_decref(j);
    return rc;
}

static int add_plan(lr_codec *c, lr_schema_kind which, int32_t id, avro_schema_t w, lr_err *err) {
    for (int k = 0; k < LR_SCHEMA__COUNT; k++) {
        if (k != (int)which && lr_codec_find_writer(c, (lr_schema_kind)k, id)) {
            lr_err_set(err, LR_ERR_FATAL, "schema id %d is already used by %s", (int)id,
                       lr_schemas_name((lr_schema_kind)k));
            return -1;
        }
    }
    lr_writer *wr = lr_codec_find_writer(c, which, id);
    if (!wr && c->n_writers[which] == LR_CODEC_MAX_WRITERS) {
        lr_err_set(err, LR_ERR_FATAL, "%s: more than %d writer schemas", lr_schemas_name(which),
                   LR_CODEC_MAX_WRITERS);
        return -1;
    }
    lr_plan *p = lr_plan_compile(w, c->reader[which], which, err);
    if (!p) return -1;
    if (wr) {
        lr_plan_free(wr->p);
        wr->p = p;
    } else {
        c->writers[which][c->n_writers[which]++] = (lr_writer){id, p};
    }
    return 0;
}

lr_codec *lr_codec_new(const lr_codec_ids *ids, size_t max_message_bytes, lr_err *err) {
    lr_codec *c = calloc(1, sizeof(*c));
    if (!c) abort();
    c->max_bytes = max_message_bytes;
    c->ids[LR_SCHEMA_LEAD] = ids->lead;
    c->ids[LR_SCHEMA_SALES_ACTIVITY] = ids->sales_activity;
    c->ids[LR_SCHEMA_DECISION] = ids->decision;
    c->ids[LR_SCHEMA_STATUS] = ids->status;
    c->ids[LR_SCHEMA_ALERT] = ids->alert;
    if (max_message_bytes < LR_CODEC_HEADER_BYTES) {
        lr_err_set(err, LR_ERR_FATAL, "max_message_bytes %zu is smaller than the %d-byte header",
                   max_message_bytes, LR_CODEC_HEADER_BYTES);
        goto fail;
    }
    for (int k = 0; k < LR_SCHEMA__COUNT; k++) {
        if (load_reader(c, (lr_schema_kind)k, err)) goto fail;
        if (add_plan(c, (lr_schema_kind)k, c->ids[k], c->reader[k], err)) goto fail;
    }
    return c;
fail:
    lr_codec_free(c);
    return NULL;
}

void lr_codec_free(lr_codec *c) {
    if (!c) return;
    for (int k = 0; k < LR_SCHEMA__COUNT; k++) {
        for (uint32_t i = 0; i < c->n_writers[k]; i++) lr_plan_free(c->writers[k][i].p);
        if (c->reader[k]) avro_schema_decref(c->reader[k]);
    }
    free(c);
}

int lr_codec_add_writer_schema(lr_codec *c, lr_schema_kind which, int32_t schema_id,
                               const char *json, size_t len, lr_err *err) {
    if ((unsigned)which >= LR_SCHEMA__COUNT) {
        lr_err_set(err, LR_ERR_FATAL, "unknown record type %d", (int)which);
        return -1;
    }
    avro_schema_t w;
    if (avro_schema_from_json_length(json, len, &w)) {
        lr_err_set(err, LR_ERR_FATAL, "%s writer schema %d: %s", lr_schemas_name(which),
                   (int)schema_id, avro_strerror());
        return -1;
    }
    int rc = add_plan(c, which, schema_id, w, err);
    avro_schema_decref(w); /* the plan holds its own reference */
    return rc;
}

int32_t lr_codec_schema_id(const lr_codec *c, lr_schema_kind which) {
    return (unsigned)which < LR_SCHEMA__COUNT ? c->ids[which] : -1;
}

int64_t lr_codec_peek_schema_id(const uint8_t *buf, size_t len) {
    if (len < LR_CODEC_HEADER_BYTES || buf[0] != 0) return -1;
    return (int32_t)((uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 |
                     (uint32_t)buf[4]);
}

int lr_codec_kind_of(lr_codec *c, const uint8_t *buf, size_t len) {
    int64_t id = lr_codec_peek_schema_id(buf, len);
    for (int k = 0; id >= 0 && k < LR_SCHEMA__COUNT; k++)
        if (lr_codec_find_writer(c, (lr_schema_kind)k, (int32_t)id)) return k;
    return -1;
}
