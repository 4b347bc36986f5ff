/* wire.c - see wire.h. The tables themselves are in wire_tables.h. */
#include "wire.h"

#include <strings.h>

#include "wire_tables.h"

const lr_wire_record *lr_wire_record_of(lr_schema_kind k) {
    return (unsigned)k < LR_SCHEMA__COUNT ? lr_wire_records[k] : NULL;
}

const lr_wire_field *lr_wire_attr_value(void) { return &lr_wire_attr_value_field; }

/* Decoders overwrite what the writer sent; required fields a writer lacks
 * are refused before any message is read, so their values here never
 * survive. */
void lr_wire_defaults(const lr_wire_record *rec, void *base) {
    for (uint32_t i = 0; i < rec->n; i++) {
        const lr_wire_field *f = &rec->f[i];
        switch (f->type) {
        case LR_F_STR:
        case LR_F_OPT_STR: *LR_SLOT(base, f->off, lr_str) = LR_STR_NULL; break;
        case LR_F_CSTR:
        case LR_F_OPT_CSTR: *LR_SLOT(base, f->off, const char *) = NULL; break;
        case LR_F_VERSION: break;
        case LR_F_LONG: *LR_SLOT(base, f->off, int64_t) = 0; break;
        case LR_F_OPT_LONG: *LR_SLOT(base, f->off, int64_t) = -1; break;
        case LR_F_OPT_TIME: *LR_SLOT(base, f->off, int64_t) = LR_TIME_NONE; break;
        case LR_F_INT: *LR_SLOT(base, f->off, int32_t) = 0; break;
        case LR_F_COUNT: *LR_SLOT(base, f->off, uint32_t) = 0; break;
        case LR_F_DOUBLE: *LR_SLOT(base, f->off, double) = 0; break;
        case LR_F_OPT_DOUBLE:
            *LR_SLOT(base, f->off, double) = 0;
            *LR_SLOT(base, f->flag, bool) = false;
            break;
        case LR_F_OPT_BOOL:
            *LR_SLOT(base, f->off, bool) = false;
            if (f->flag != LR_NO_OFF) *LR_SLOT(base, f->flag, bool) = false;
            break;
        case LR_F_ENUM:
            *LR_SLOT(base, f->off, int) = f->unknown_as > 0 ? f->unknown_as : 0;
            break;
        case LR_F_ARRAY:
        case LR_F_MAP:
            *LR_SLOT(base, f->flag, uint32_t) = 0;
            *LR_SLOT(base, f->flag2, uint32_t) = 0;
            break;
        }
    }
}

bool lr_wire_enum_parse(const lr_wire_field *f, const char *name, int *out) {
    for (int v = 0; v < f->nsym; v++) {
        if (strcasecmp(f->sym(v), name) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

const char *lr_wire_type_name(lr_wire_type t) {
    switch (t) {
    case LR_F_STR: case LR_F_CSTR: case LR_F_VERSION: return "string";
    case LR_F_OPT_STR: case LR_F_OPT_CSTR: return "[null, string]";
    case LR_F_LONG: return "long";
    case LR_F_OPT_LONG: case LR_F_OPT_TIME: return "[null, long]";
    case LR_F_INT: case LR_F_COUNT: return "int";
    case LR_F_DOUBLE: return "double";
    case LR_F_OPT_DOUBLE: return "[null, double]";
    case LR_F_OPT_BOOL: return "[null, boolean]";
    case LR_F_ENUM: return "enum";
    case LR_F_ARRAY: return "array";
    case LR_F_MAP: return "map";
    }
    return "?";
}
