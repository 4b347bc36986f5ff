/* wire.h - the wire contract's fields, listed once: for each record of
 * schemas/<Name>.avsc (Lead, SalesActivity, LeadDecision, LeadStatus, SlaAlert and
 * their nested Activity and Reason), each field's Avro name, its type and
 * the slot of our C struct that holds it.
 *
 * Everything that reads or writes events walks these tables instead of
 * naming fields again: the Avro codec (encoder, decode-plan compiler, and its
 * start-up check that the embedded schemas agree field for field), the
 * JSON-lines reader and writer, and the tests. Adding a field to a schema
 * means adding one line to wire_tables.h.
 *
 * Pure: plain data and small lookups, no allocation, no third-party library.
 * The tables are static constants; nothing here owns memory. */
#ifndef LR_WIRE_H
#define LR_WIRE_H

#include <stddef.h>

#include "common.h"

/* The top-level records, one per schemas/<Name>.avsc file. */
typedef enum lr_schema_kind {
    LR_SCHEMA_LEAD = 0,         /* schemas/Lead.avsc: input */
    LR_SCHEMA_SALES_ACTIVITY,   /* schemas/SalesActivity.avsc: input */
    LR_SCHEMA_DECISION,         /* schemas/LeadDecision.avsc: output */
    LR_SCHEMA_STATUS,           /* schemas/LeadStatus.avsc: output */
    LR_SCHEMA_ALERT,            /* schemas/SlaAlert.avsc: output */
    LR_SCHEMA__COUNT
} lr_schema_kind;

/* How a field is held in C and what Avro type it has. */
typedef enum lr_wire_type {
    LR_F_STR,        /* lr_str; "string" (NULL is written as "") */
    LR_F_OPT_STR,    /* lr_str; ["null","string"]; s == NULL when null */
    LR_F_CSTR,       /* const char *; "string" (NULL is written as "") */
    LR_F_OPT_CSTR,   /* const char *; ["null","string"] */
    LR_F_VERSION,    /* no slot: LR_VERSION when writing, checked and dropped when reading */
    LR_F_LONG,       /* int64_t; "long" (is_time: timestamp-millis) */
    LR_F_OPT_LONG,   /* int64_t; ["null","long"]; negative (-1) when null */
    LR_F_OPT_TIME,   /* lr_time_ms; ["null","long"]; LR_TIME_NONE when null */
    LR_F_INT,        /* int32_t; "int" */
    LR_F_COUNT,      /* uint32_t; "int" */
    LR_F_DOUBLE,     /* double; "double" */
    LR_F_OPT_DOUBLE, /* double + bool at flag; ["null","double"] */
    LR_F_OPT_BOOL,   /* bool; ["null","boolean"]; see flag/flag2 */
    LR_F_ENUM,       /* an int-sized C enum; Avro enum in the same order */
    LR_F_ARRAY,      /* item structs at off, uint32 count at flag, dropped at flag2 */
    LR_F_MAP,        /* lr_attr[] at off, uint32 count at flag, dropped at flag2 */
} lr_wire_type;

#define LR_NO_OFF UINT32_MAX

typedef struct lr_wire_record lr_wire_record;

typedef struct lr_wire_field {
    const char *name;     /* Avro field name, also the JSON key */
    lr_wire_type type;
    bool has_default;     /* the schema gives a default: writers may omit it */
    bool is_time;         /* LR_F_LONG: epoch ms (timestamp-millis) */
    uint32_t off;         /* slot in the struct */
    /* LR_F_OPT_DOUBLE: bool "present". LR_F_OPT_BOOL: bool "known" or
     * LR_NO_OFF. LR_F_ARRAY/LR_F_MAP: uint32 count. */
    uint32_t flag;
    /* LR_F_OPT_BOOL: an int64 that is >= 0 exactly when the bool is present,
     * or LR_NO_OFF. LR_F_ARRAY/LR_F_MAP: uint32 dropped. */
    uint32_t flag2;
    uint32_t max;                /* LR_F_ARRAY/LR_F_MAP: capacity */
    int nsym;                    /* LR_F_ENUM: our number of values */
    const char *(*sym)(int v);   /* LR_F_ENUM: our name of a value (any case) */
    int unknown_as;              /* LR_F_ENUM: value for symbols we lack; -1: error */
    const lr_wire_record *items; /* LR_F_ARRAY: the item record */
} lr_wire_field;

struct lr_wire_record {
    const char *name; /* Avro record name */
    uint32_t size;    /* sizeof the C struct (array item stride) */
    const lr_wire_field *f;
    uint32_t n;
};

#define LR_SLOT(base, off, type) ((type *)((uint8_t *)(base) + (off)))
#define LR_CSLOT(base, off, type) ((const type *)((const uint8_t *)(base) + (off)))

/* The record of a schema file; NULL for an unknown kind. */
const lr_wire_record *lr_wire_record_of(lr_schema_kind k);
/* A map value (Lead.attributes): the value slot of an lr_attr. */
const lr_wire_field *lr_wire_attr_value(void);

/* Puts every field of a record in its "absent" state: null strings, -1 for
 * optional counts, LR_TIME_NONE, empty arrays, an enum's unknown_as (or 0).
 * Bytes of the struct that no field names are left alone. */
void lr_wire_defaults(const lr_wire_record *rec, void *base);

/* An enum field's value named `name` (any case); false when it has none. */
bool lr_wire_enum_parse(const lr_wire_field *f, const char *name, int *out);

/* The Avro type a field has in the schema: "string", "[null, long]"... */
const char *lr_wire_type_name(lr_wire_type t);

/* True for the ["null", x] types. */
static inline bool lr_wire_optional(lr_wire_type t) {
    return t == LR_F_OPT_STR || t == LR_F_OPT_CSTR || t == LR_F_OPT_LONG ||
           t == LR_F_OPT_TIME || t == LR_F_OPT_DOUBLE || t == LR_F_OPT_BOOL;
}

#endif
