/* codec_int.h - what the Avro codec's files share; not for use outside
 * router/avro/.
 *
 * The codec is four files around the field tables of wire.h:
 *   codec.c   the codec object, writer schemas, and the start-up check that
 *             the embedded schemas agree with the tables;
 *   plan.c    a writer schema compiled (once) into a decode plan, a small
 *             tree of nodes matched to our structs by field name;
 *   decode.c  framing, and the interpreter that runs a plan over the bytes
 *             (the hot path: no allocation, every length checked);
 *   encode.c  our structs written as Avro by walking the tables.
 * avro-c is used only to parse schemas, because its generic values cost ~50
 * mallocs per lead and its resolved readers crash on the evolution cases we
 * must support. A plan is immutable once compiled; it owns its memory and a
 * reference to the writer schema whose names its nodes point at. */
#ifndef LR_CODEC_INT_H
#define LR_CODEC_INT_H

#include <avro.h>
#include <string.h>

#include "codec.h"
#include "wire.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "codec.c writes doubles as in memory: little-endian hosts only"
#endif

/* Enums are written through an int lvalue. */
_Static_assert(sizeof(lr_activity_type) == sizeof(int), "enum size");
_Static_assert(sizeof(lr_sales_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(lr_stage) == sizeof(int), "enum size");
_Static_assert(sizeof(lr_reason_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(lr_decision_cause) == sizeof(int), "enum size");
_Static_assert(sizeof(lr_status_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(lr_alert_kind) == sizeof(int), "enum size");


typedef enum lr_op {
    /* read into a slot of the current target */
    OP_STR,             /* string/bytes -> lr_str */
    OP_CSTR,            /* string/bytes -> const char * */
    OP_LONG,            /* long -> int64 */
    OP_LONG_FROM_INT,   /* int -> int64 */
    OP_INT,             /* int -> int32 */
    OP_COUNT,           /* int -> uint32, negative refused */
    OP_DOUBLE,          /* double -> double (+ flag) */
    OP_DOUBLE_FROM_FLOAT,
    OP_DOUBLE_FROM_LONG, /* int or long -> double */
    OP_BOOL,            /* boolean -> bool (+ flag) */
    OP_ENUM,            /* enum -> C enum through a symbol map */
    OP_ARRAY,           /* array of records -> item structs */
    OP_MAP,             /* map of strings -> lr_attr[] */
    OP_RECORD,          /* record: defaults, then each writer field */
    OP_UNION,           /* branch index, then that branch's lr_node */
    OP_FAIL,            /* a union branch we cannot read: error if taken */
    /* [null, x] unions fused with their leaf: one dispatch per field instead
     * of two, which matters because the dispatch is the decoder's main cost.
     * n is the index of the null branch. */
    OP_OPT_STR,
    OP_OPT_CSTR,
    OP_OPT_LONG,
    OP_OPT_DOUBLE,
    OP_OPT_BOOL,
    /* skip a writer value we have no slot for */
    OP_SKIP_NONE,       /* null: nothing to read */
    OP_SKIP_BOOL,
    OP_SKIP_LONG,
    OP_SKIP_INT,
    OP_SKIP_FIXED,      /* float, double, fixed: n bytes */
    OP_SKIP_BYTES,      /* string, bytes */
    OP_SKIP_ENUM,
    OP_SKIP_ARRAY,
    OP_SKIP_MAP,
    OP_SKIP_RECORD,
    OP_SKIP_UNION,
} lr_op;

typedef struct lr_node {
    uint8_t op;
    uint32_t off;   /* slot in the current target */
    uint32_t flag;  /* bool set when read (LR_NO_OFF: none); ARRAY/MAP: uint32 count */
    uint32_t flag2; /* ARRAY/MAP: uint32 dropped */
    uint32_t n;     /* kids; SKIP_FIXED: bytes; ENUM/SKIP_ENUM: writer symbols;
                     * ARRAY/MAP: capacity */
    uint32_t kids;  /* first index in plan->kids (ENUM: in plan->enums) */
    const lr_wire_record *rd;    /* RECORD: whose defaults apply; ARRAY: the item record */
    const char *name;   /* field name, for error reasons */
    const char *why;    /* FAIL: the reason */
    uint32_t tmpl;      /* RECORD: its defaults in plan->tmpls */
} lr_node;

/* A record with every field at its default, and the byte ranges to copy from
 * it: everything but the array and map storage, which counts make valid. One
 * memcpy or three replace a per-field loop on every message. */
typedef struct lr_defaults_tmpl {
    uint8_t *bytes;
    uint32_t off[3], len[3];
    uint32_t n_spans;
} lr_defaults_tmpl;

typedef struct lr_plan {
    lr_node *nodes;
    uint32_t n_nodes, cap_nodes;
    uint32_t *kids;
    uint32_t n_kids, cap_kids;
    int32_t *enums;          /* writer symbol index -> our value, -1: unknown */
    const char **enum_syms;  /* writer symbol names, for reasons */
    uint32_t n_enums, cap_enums, cap_syms;
    lr_defaults_tmpl *tmpls;
    uint32_t n_tmpls, cap_tmpls;
    uint32_t root;
    avro_schema_t schema;    /* owns the names the nodes point at */
} lr_plan;

typedef struct lr_writer {
    int32_t id;
    lr_plan *p;
} lr_writer;

struct lr_codec {
    size_t max_bytes;
    int32_t ids[LR_SCHEMA__COUNT];
    avro_schema_t reader[LR_SCHEMA__COUNT];  /* the embedded schemas */
    lr_writer writers[LR_SCHEMA__COUNT][LR_CODEC_MAX_WRITERS];
    uint32_t n_writers[LR_SCHEMA__COUNT];
};

/* Unaligned little-endian loads. */
static inline uint64_t lr_ld64(const uint8_t *p) { uint64_t w; memcpy(&w, p, 8); return w; }
static inline uint64_t lr_ld32(const uint8_t *p) { uint32_t w; memcpy(&w, p, 4); return w; }

/* memcpy for the short strings a lead is made of, without a call. */
static inline __attribute__((always_inline)) void lr_copy_short(char *dst, const uint8_t *src,
                                                             size_t n) {
    if (n > 32) {
        memcpy(dst, src, n);
    } else if (n > 16) {
        uint64_t a = lr_ld64(src), b = lr_ld64(src + 8), c = lr_ld64(src + n - 16), e = lr_ld64(src + n - 8);
        memcpy(dst, &a, 8);
        memcpy(dst + 8, &b, 8);
        memcpy(dst + n - 16, &c, 8);
        memcpy(dst + n - 8, &e, 8);
    } else if (n >= 8) {
        uint64_t a = lr_ld64(src), b = lr_ld64(src + n - 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a = (uint32_t)lr_ld32(src), b = (uint32_t)lr_ld32(src + n - 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n > 0) {
        dst[0] = (char)src[0];
        dst[n >> 1] = (char)src[n >> 1];
        dst[n - 1] = (char)src[n - 1];
    }
}

/* A schema with named-type references followed. */
static inline avro_schema_t lr_avro_deref(avro_schema_t s) {
    while (s && is_avro_link(s)) s = avro_schema_link_target(s);
    return s;
}

/* An Avro type as errors name it: "string", "record Lead"... */
const char *lr_avro_type_name(avro_schema_t s);

/* Compiles the plan that reads writer schema w into the struct of reader
 * schema r (record type which). NULL with err set when w cannot be read as
 * r: a field without default missing, a type that cannot be promoted. */
lr_plan *lr_plan_compile(avro_schema_t w, avro_schema_t r, lr_schema_kind which, lr_err *err);
void lr_plan_free(lr_plan *p);

/* The writer schema registered under id for record type k, or NULL. Inline:
 * framing looks it up for every message. */
static inline lr_writer *lr_codec_find_writer(lr_codec *c, lr_schema_kind k, int32_t id) {
    for (uint32_t i = 0; i < c->n_writers[k]; i++)
        if (c->writers[k][i].id == id) return &c->writers[k][i];
    return NULL;
}

#endif
