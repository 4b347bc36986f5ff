/* codec.c - see codec.h.
 *
 * Two parts, around the field tables of wire.h (one per record, naming each
 * Avro field, its type and the slot of our C struct it lives in). The encoder
 * walks them, the decode-plan compiler matches writer fields against them,
 * and lr_codec_new checks them against the embedded schemas, so struct,
 * encoder and schema cannot drift apart silently.
 *  1. Decode plans: a writer schema compiled (once) into a small tree of nodes;
 *     decoding interprets it. avro-c is used only to parse schemas, because its
 *     generic values cost ~50 mallocs per lead and its resolved readers crash
 *     on the evolution cases we must support.
 *  2. Encoders and the Confluent framing. */
#include "codec.h"
#include "wire_tables.h"

#include <avro.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ------------------------------------------------------------------------ */
/* 2. Decode plans                                                           */

typedef enum op {
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
    OP_UNION,           /* branch index, then that branch's node */
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
} op;

typedef struct node {
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
} node;

/* A record with every field at its default, and the byte ranges to copy from
 * it: everything but the array and map storage, which counts make valid. One
 * memcpy or three replace a per-field loop on every message. */
typedef struct defaults_tmpl {
    uint8_t *bytes;
    uint32_t off[3], len[3];
    uint32_t n_spans;
} defaults_tmpl;

typedef struct plan {
    node *nodes;
    uint32_t n_nodes, cap_nodes;
    uint32_t *kids;
    uint32_t n_kids, cap_kids;
    int32_t *enums;          /* writer symbol index -> our value, -1: unknown */
    const char **enum_syms;  /* writer symbol names, for reasons */
    uint32_t n_enums, cap_enums, cap_syms;
    defaults_tmpl *tmpls;
    uint32_t n_tmpls, cap_tmpls;
    uint32_t root;
    avro_schema_t schema;    /* owns the names the nodes point at */
} plan;

static void plan_free(plan *p) {
    if (!p) return;
    free(p->nodes);
    free(p->kids);
    free(p->enums);
    free(p->enum_syms);
    for (uint32_t i = 0; i < p->n_tmpls; i++) free(p->tmpls[i].bytes);
    free(p->tmpls);
    if (p->schema) avro_schema_decref(p->schema);
    free(p);
}

static void *grow(void *ptr, uint32_t *cap, uint32_t need, size_t elem) {
    if (need <= *cap) return ptr;
    uint32_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(ptr, (size_t)c * elem);
    if (!q) abort();
    *cap = c;
    return q;
}

static uint32_t node_new(plan *p, op o, const char *name) {
    p->nodes = grow(p->nodes, &p->cap_nodes, p->n_nodes + 1, sizeof(node));
    node *n = &p->nodes[p->n_nodes];
    memset(n, 0, sizeof(*n));
    n->op = (uint8_t)o;
    n->off = n->flag = n->flag2 = LR_NO_OFF;
    n->name = name;
    return p->n_nodes++;
}

/* Reserves count kid slots; they are filled once the kids are compiled, which
 * lets a record refer to itself (recursive writer schemas). */
static uint32_t kids_reserve(plan *p, uint32_t count) {
    p->kids = grow(p->kids, &p->cap_kids, p->n_kids + count, sizeof(uint32_t));
    uint32_t first = p->n_kids;
    p->n_kids += count;
    return first;
}

typedef struct skip_memo {
    avro_schema_t schema;
    uint32_t node;
} skip_memo;

/* Compilation context. */
typedef struct cc {
    plan *p;
    lr_err *err;
    skip_memo *memo;
    uint32_t n_memo, cap_memo;
} cc;

static avro_schema_t deref(avro_schema_t s) {
    while (s && is_avro_link(s)) s = avro_schema_link_target(s);
    return s;
}

static const char *type_name(avro_schema_t s) {
    s = deref(s);
    if (!s) return "?";
    switch (avro_typeof(s)) {
    case AVRO_STRING: return "string";
    case AVRO_BYTES: return "bytes";
    case AVRO_INT32: return "int";
    case AVRO_INT64: return "long";
    case AVRO_FLOAT: return "float";
    case AVRO_DOUBLE: return "double";
    case AVRO_BOOLEAN: return "boolean";
    case AVRO_NULL: return "null";
    case AVRO_RECORD: return "record";
    case AVRO_ENUM: return "enum";
    case AVRO_FIXED: return "fixed";
    case AVRO_MAP: return "map";
    case AVRO_ARRAY: return "array";
    case AVRO_UNION: return "union";
    default: return "?";
    }
}

static int compile_skip(cc *c, avro_schema_t w, const char *name, uint32_t *out) {
    plan *p = c->p;
    w = deref(w);
    if (!w) {
        lr_err_set(c->err, LR_ERR_FATAL, "field %s: unresolved type", name);
        return -1;
    }
    uint32_t id;
    switch (avro_typeof(w)) {
    case AVRO_NULL: id = node_new(p, OP_SKIP_NONE, name); break;
    case AVRO_BOOLEAN: id = node_new(p, OP_SKIP_BOOL, name); break;
    case AVRO_INT32: id = node_new(p, OP_SKIP_INT, name); break;
    case AVRO_INT64: id = node_new(p, OP_SKIP_LONG, name); break;
    case AVRO_FLOAT:
        id = node_new(p, OP_SKIP_FIXED, name);
        p->nodes[id].n = 4;
        break;
    case AVRO_DOUBLE:
        id = node_new(p, OP_SKIP_FIXED, name);
        p->nodes[id].n = 8;
        break;
    case AVRO_FIXED: {
        int64_t size = avro_schema_fixed_size(w);
        if (size < 0 || size > INT32_MAX) {
            lr_err_set(c->err, LR_ERR_FATAL, "field %s: fixed size %lld out of range", name,
                       (long long)size);
            return -1;
        }
        id = node_new(p, OP_SKIP_FIXED, name);
        p->nodes[id].n = (uint32_t)size;
        break;
    }
    case AVRO_STRING:
    case AVRO_BYTES: id = node_new(p, OP_SKIP_BYTES, name); break;
    case AVRO_ENUM:
        id = node_new(p, OP_SKIP_ENUM, name);
        p->nodes[id].n = (uint32_t)avro_schema_enum_number_of_symbols(w);
        break;
    case AVRO_ARRAY:
    case AVRO_MAP: {
        bool arr = avro_typeof(w) == AVRO_ARRAY;
        id = node_new(p, arr ? OP_SKIP_ARRAY : OP_SKIP_MAP, name);
        uint32_t k = kids_reserve(p, 1), kid;
        if (compile_skip(c, arr ? avro_schema_array_items(w) : avro_schema_map_values(w),
                         name, &kid))
            return -1;
        p->nodes[id].n = 1;
        p->nodes[id].kids = k;
        p->kids[k] = kid;
        break;
    }
    case AVRO_RECORD: {
        for (uint32_t i = 0; i < c->n_memo; i++) {
            if (c->memo[i].schema == w) {
                *out = c->memo[i].node;
                return 0;
            }
        }
        id = node_new(p, OP_SKIP_RECORD, name);
        c->memo = grow(c->memo, &c->cap_memo, c->n_memo + 1, sizeof(skip_memo));
        c->memo[c->n_memo++] = (skip_memo){w, id};
        uint32_t nf = (uint32_t)avro_schema_record_size(w);
        uint32_t k = kids_reserve(p, nf);
        p->nodes[id].n = nf;
        p->nodes[id].kids = k;
        for (uint32_t i = 0; i < nf; i++) {
            uint32_t kid;
            if (compile_skip(c, avro_schema_record_field_get_by_index(w, (int)i),
                             avro_schema_record_field_name(w, (int)i), &kid))
                return -1;
            p->kids[k + i] = kid;
        }
        break;
    }
    case AVRO_UNION: {
        uint32_t nb = (uint32_t)avro_schema_union_size(w);
        id = node_new(p, OP_SKIP_UNION, name);
        uint32_t k = kids_reserve(p, nb);
        p->nodes[id].n = nb;
        p->nodes[id].kids = k;
        for (uint32_t i = 0; i < nb; i++) {
            uint32_t kid;
            if (compile_skip(c, avro_schema_union_branch(w, (int)i), name, &kid)) return -1;
            p->kids[k + i] = kid;
        }
        break;
    }
    default:
        lr_err_set(c->err, LR_ERR_FATAL, "field %s: unsupported writer type", name);
        return -1;
    }
    *out = id;
    return 0;
}

static int compile_record(cc *c, avro_schema_t w, avro_schema_t r, const lr_wire_record *rd,
                          const char *name, uint32_t *out);

/* A non-union writer type read into field f (reader type r, needed for enums
 * and arrays). Returns the node, or -1 with *why set to a static reason when
 * the types do not match; hard errors (nested) go to c->err and return -2. */
static int compile_value(cc *c, avro_schema_t w, const lr_wire_field *f, avro_schema_t r,
                         uint32_t *out, const char **why) {
    plan *p = c->p;
    avro_type_t wt = avro_typeof(w);
    op o;
    *why = NULL;
    if (wt == AVRO_NULL) {
        if (!lr_wire_optional(f->type)) {
            *why = "null cannot be read into a field that is not nullable";
            return -1;
        }
        /* the defaults already say "absent" */
        *out = node_new(p, OP_SKIP_NONE, f->name);
        return 0;
    }
    switch (f->type) {
    case LR_F_STR:
    case LR_F_OPT_STR:
    case LR_F_CSTR:
    case LR_F_OPT_CSTR:
    case LR_F_VERSION:
        if (wt != AVRO_STRING && wt != AVRO_BYTES) break;
        o = f->type == LR_F_VERSION ? OP_SKIP_BYTES
            : (f->type == LR_F_STR || f->type == LR_F_OPT_STR) ? OP_STR : OP_CSTR;
        *out = node_new(p, o, f->name);
        p->nodes[*out].off = f->off;
        return 0;
    case LR_F_LONG:
    case LR_F_OPT_LONG:
    case LR_F_OPT_TIME:
        if (wt != AVRO_INT64 && wt != AVRO_INT32) break;
        *out = node_new(p, wt == AVRO_INT64 ? OP_LONG : OP_LONG_FROM_INT, f->name);
        p->nodes[*out].off = f->off;
        return 0;
    case LR_F_INT:
    case LR_F_COUNT:
        if (wt != AVRO_INT32) break;
        *out = node_new(p, f->type == LR_F_INT ? OP_INT : OP_COUNT, f->name);
        p->nodes[*out].off = f->off;
        return 0;
    case LR_F_DOUBLE:
    case LR_F_OPT_DOUBLE:
        if (wt == AVRO_DOUBLE) o = OP_DOUBLE;
        else if (wt == AVRO_FLOAT) o = OP_DOUBLE_FROM_FLOAT;
        else if (wt == AVRO_INT32 || wt == AVRO_INT64) o = OP_DOUBLE_FROM_LONG;
        else break;
        *out = node_new(p, o, f->name);
        p->nodes[*out].off = f->off;
        if (f->type == LR_F_OPT_DOUBLE) p->nodes[*out].flag = f->flag;
        return 0;
    case LR_F_OPT_BOOL:
        if (wt != AVRO_BOOLEAN) break;
        *out = node_new(p, OP_BOOL, f->name);
        p->nodes[*out].off = f->off;
        p->nodes[*out].flag = f->flag;
        return 0;
    case LR_F_ENUM: {
        if (wt != AVRO_ENUM) break;
        uint32_t nw = (uint32_t)avro_schema_enum_number_of_symbols(w);
        uint32_t first = p->n_enums;
        p->enums = grow(p->enums, &p->cap_enums, p->n_enums + nw, sizeof(int32_t));
        p->enum_syms = grow(p->enum_syms, &p->cap_syms, p->n_enums + nw, sizeof(const char *));
        for (uint32_t i = 0; i < nw; i++) {
            const char *s = avro_schema_enum_get(w, (int)i);
            /* exact symbol match against our reader schema, as Avro resolves */
            int v = avro_schema_enum_get_by_name(r, s);
            p->enums[first + i] = v >= 0 && v < f->nsym ? v : f->unknown_as;
            p->enum_syms[first + i] = s;
        }
        p->n_enums += nw;
        *out = node_new(p, OP_ENUM, f->name);
        p->nodes[*out].off = f->off;
        p->nodes[*out].n = nw;
        p->nodes[*out].kids = first;
        return 0;
    }
    case LR_F_ARRAY: {
        if (wt != AVRO_ARRAY) break;
        avro_schema_t wi = deref(avro_schema_array_items(w));
        if (!is_avro_record(wi)) {
            *why = "array items are not records";
            return -1;
        }
        uint32_t item;
        if (compile_record(c, wi, deref(avro_schema_array_items(r)), f->items, f->name, &item))
            return -2;
        uint32_t id = node_new(p, OP_ARRAY, f->name), k = kids_reserve(p, 1);
        node *n = &p->nodes[id];
        n->off = f->off;
        n->flag = f->flag;
        n->flag2 = f->flag2;
        n->n = f->max;
        n->kids = k;
        n->rd = f->items;
        p->kids[k] = item;
        *out = id;
        return 0;
    }
    case LR_F_MAP: {
        if (wt != AVRO_MAP) break;
        avro_schema_t wv = deref(avro_schema_map_values(w));
        uint32_t val;
        const char *vwhy;
        int rc = -1;
        if (is_avro_union(wv)) {
            *why = "map values must be strings";
            return -1;
        }
        rc = compile_value(c, wv, lr_wire_attr_value(), NULL, &val, &vwhy);
        if (rc == -2) return -2;
        if (rc < 0) {
            *why = "map values must be strings";
            return -1;
        }
        uint32_t id = node_new(p, OP_MAP, f->name), k = kids_reserve(p, 1);
        node *n = &p->nodes[id];
        n->off = f->off;
        n->flag = f->flag;
        n->flag2 = f->flag2;
        n->n = f->max;
        n->kids = k;
        p->kids[k] = val;
        *out = id;
        return 0;
    }
    }
    *why = "types do not match";
    return -1;
}

/* Turns a [null, leaf] union node into one fused node. */
static void fuse_optional(plan *p, uint32_t id) {
    node *u = &p->nodes[id];
    if (u->n != 2) return;
    const node *a = &p->nodes[p->kids[u->kids]], *b = &p->nodes[p->kids[u->kids + 1]];
    uint32_t null_branch = a->op == OP_SKIP_NONE ? 0 : b->op == OP_SKIP_NONE ? 1 : 2;
    if (null_branch == 2) return;
    const node *leaf = null_branch == 0 ? b : a;
    op fused;
    switch ((op)leaf->op) {
    case OP_STR: fused = OP_OPT_STR; break;
    case OP_CSTR: fused = OP_OPT_CSTR; break;
    case OP_LONG: fused = OP_OPT_LONG; break;
    case OP_DOUBLE: fused = OP_OPT_DOUBLE; break;
    case OP_BOOL: fused = OP_OPT_BOOL; break;
    default: return;
    }
    uint32_t off = leaf->off, flag = leaf->flag;
    u->op = (uint8_t)fused;
    u->off = off;
    u->flag = flag;
    u->n = null_branch;
}

/* Writer type w (possibly a union) read into field f of our record. */
static int compile_read(cc *c, avro_schema_t w, const lr_wire_field *f, avro_schema_t r,
                        const char *rec, uint32_t *out) {
    plan *p = c->p;
    const char *why;
    int rc;
    w = deref(w);
    if (!is_avro_union(w)) {
        rc = compile_value(c, w, f, r, out, &why);
        if (rc == -1)
            lr_err_set(c->err, LR_ERR_FATAL, "%s.%s: writer type %s cannot be read as %s: %s",
                       rec, f->name, type_name(w), lr_wire_type_name(f->type), why);
        return rc < 0 ? -1 : 0;
    }
    /* A writer union resolves branch by branch at run time: a branch that
     * cannot be read as ours is an error only for messages that use it. */
    uint32_t nb = (uint32_t)avro_schema_union_size(w);
    uint32_t id = node_new(p, OP_UNION, f->name), k = kids_reserve(p, nb);
    p->nodes[id].n = nb;
    p->nodes[id].kids = k;
    uint32_t usable = 0, values = 0; /* branches other than null: all, readable */
    for (uint32_t i = 0; i < nb; i++) {
        avro_schema_t b = deref(avro_schema_union_branch(w, (int)i));
        uint32_t kid;
        rc = is_avro_union(b) ? -1 : compile_value(c, b, f, r, &kid, &why);
        if (rc == -2) return -1;
        if (!is_avro_null(b)) values++;
        if (rc < 0) {
            kid = node_new(p, OP_FAIL, f->name);
            p->nodes[kid].why = why ? why : "union branch cannot be read as our field type";
        } else if (!is_avro_null(b)) {
            usable++;
        }
        p->kids[k + i] = kid;
    }
    /* a union whose only readable branch is null carries nothing we can use:
     * refuse it now rather than dead-letter every message that has a value */
    if (values && !usable) {
        lr_err_set(c->err, LR_ERR_FATAL, "%s.%s: no branch of the writer union can be read as %s",
                   rec, f->name, lr_wire_type_name(f->type));
        return -1;
    }
    fuse_optional(p, id);
    *out = id;
    return 0;
}

static uint32_t tmpl_new(plan *p, const lr_wire_record *rd) {
    p->tmpls = grow(p->tmpls, &p->cap_tmpls, p->n_tmpls + 1, sizeof(defaults_tmpl));
    defaults_tmpl *t = &p->tmpls[p->n_tmpls];
    memset(t, 0, sizeof(*t));
    t->bytes = calloc(1, rd->size);
    if (!t->bytes) abort();
    lr_wire_defaults(rd, t->bytes);
    uint32_t ex_off[2], ex_end[2], nex = 0;
    for (uint32_t i = 0; i < rd->n && nex < 2; i++) {
        const lr_wire_field *f = &rd->f[i];
        if (f->type == LR_F_ARRAY || f->type == LR_F_MAP) {
            uint32_t item = f->type == LR_F_ARRAY ? f->items->size : (uint32_t)sizeof(lr_attr);
            ex_off[nex] = f->off;
            ex_end[nex++] = f->off + f->max * item;
        }
    }
    if (nex == 2 && ex_off[1] < ex_off[0]) {
        uint32_t o = ex_off[0], e = ex_end[0];
        ex_off[0] = ex_off[1], ex_end[0] = ex_end[1];
        ex_off[1] = o, ex_end[1] = e;
    }
    uint32_t at = 0;
    for (uint32_t i = 0; i <= nex; i++) {
        uint32_t stop = i < nex ? ex_off[i] : rd->size;
        if (stop > at) {
            t->off[t->n_spans] = at;
            t->len[t->n_spans++] = stop - at;
        }
        if (i < nex) at = ex_end[i];
    }
    return p->n_tmpls++;
}

static int compile_record(cc *c, avro_schema_t w, avro_schema_t r, const lr_wire_record *rd,
                          const char *name, uint32_t *out) {
    plan *p = c->p;
    uint32_t nf = (uint32_t)avro_schema_record_size(w);
    uint32_t id = node_new(p, OP_RECORD, name), k = kids_reserve(p, nf);
    uint64_t seen = 0;
    p->nodes[id].n = nf;
    p->nodes[id].kids = k;
    p->nodes[id].rd = rd;
    p->nodes[id].tmpl = tmpl_new(p, rd);
    for (uint32_t i = 0; i < nf; i++) {
        const char *fname = avro_schema_record_field_name(w, (int)i);
        avro_schema_t ft = avro_schema_record_field_get_by_index(w, (int)i);
        uint32_t j, kid;
        for (j = 0; j < rd->n; j++)
            if (strcmp(rd->f[j].name, fname) == 0) break;
        if (j == rd->n) {
            if (compile_skip(c, ft, fname, &kid)) return -1;
        } else {
            if (seen & (1ULL << j)) {
                lr_err_set(c->err, LR_ERR_FATAL, "%s: field %s appears twice", rd->name, fname);
                return -1;
            }
            seen |= 1ULL << j;
            avro_schema_t rt = r ? deref(avro_schema_record_field_get_by_index(r, (int)j)) : NULL;
            if (compile_read(c, ft, &rd->f[j], rt, rd->name, &kid)) return -1;
        }
        p->kids[k + i] = kid;
    }
    for (uint32_t j = 0; j < rd->n; j++) {
        if (!(seen & (1ULL << j)) && !rd->f[j].has_default) {
            lr_err_set(c->err, LR_ERR_FATAL,
                       "%s: the writer schema lacks field %s, which has no default", rd->name,
                       rd->f[j].name);
            return -1;
        }
    }
    *out = id;
    return 0;
}

/* Compiles a writer schema (taking a reference to it) against record type
 * which, whose reader schema is r. */
static plan *plan_compile(avro_schema_t w, avro_schema_t r, lr_schema_kind which, lr_err *err) {
    const lr_wire_record *rd = lr_wire_record_of(which);
    w = deref(w);
    if (!is_avro_record(w)) {
        lr_err_set(err, LR_ERR_FATAL, "%s: the writer schema is a %s, not a record", rd->name,
                   type_name(w));
        return NULL;
    }
    plan *p = calloc(1, sizeof(*p));
    if (!p) abort();
    p->schema = avro_schema_incref(w);
    cc c = {.p = p, .err = err};
    int rc = compile_record(&c, w, r, rd, rd->name, &p->root);
    free(c.memo);
    if (rc) {
        plan_free(p);
        return NULL;
    }
    return p;
}

/* ---- the interpreter ---- */

typedef struct dec {
    const uint8_t *p, *end;
    char *str, *str_end;  /* arena space reserved for this message's strings */
    size_t items_left;    /* array/map items still allowed: one per input byte */
    const plan *pl;
    int depth;
    const char *why;      /* first failure */
    const node *at;       /* where */
    const uint8_t *fail_pos;
    const char *detail;   /* e.g. the unknown enum symbol */
} dec;

static int fail(dec *d, const node *n, const char *why) {
    if (!d->why) {
        d->why = why;
        d->at = n;
        d->fail_pos = d->p;
    }
    return -1;
}

static int rd_long_slow(dec *d, const node *n, int64_t *v) {
    const uint8_t *p = d->p;
    uint64_t u = 0;
    if (d->end - p >= 10) { /* room for the longest varint: no check per byte */
        for (int i = 0; i < 10; i++) {
            uint8_t b = p[i];
            u |= (uint64_t)(b & 0x7f) << (7 * i);
            if (!(b & 0x80)) {
                if (i == 9 && b > 1) return fail(d, n, "varint longer than 64 bits");
                d->p = p + i + 1;
                *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
                return 0;
            }
        }
        return fail(d, n, "varint longer than 10 bytes");
    }
    for (int i = 0; i < 10; i++) {
        if (p >= d->end) return fail(d, n, "truncated varint");
        uint8_t b = *p++;
        if (i == 9 && b > 1) return fail(d, n, "varint longer than 64 bits");
        u |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            d->p = p;
            *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
            return 0;
        }
    }
    return fail(d, n, "varint longer than 10 bytes");
}

/* Zig-zag varint; at most 10 bytes, the 10th carrying only bit 63. One-byte
 * values (union branches, short lengths) take the inline path. */
static inline __attribute__((always_inline)) int rd_long(dec *d, const node *n, int64_t *v) {
    const uint8_t *p = d->p;
    if (p < d->end && *p < 0x80) {
        d->p = p + 1;
        *v = (int64_t)(*p >> 1) ^ -(int64_t)(*p & 1);
        return 0;
    }
    return rd_long_slow(d, n, v);
}

static inline __attribute__((always_inline)) int rd_int(dec *d, const node *n, int64_t *v) {
    if (rd_long(d, n, v)) return -1;
    if (*v < INT32_MIN || *v > INT32_MAX) return fail(d, n, "int out of 32-bit range");
    return 0;
}

/* Full UTF-8 check (no overlongs, no surrogates, nothing past U+10FFFF),
 * for strings that are not plain ASCII. */
static bool utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            if (c == 0) return false;
            i++;
            continue;
        }
        uint32_t cp, more;
        if (c >= 0xC2 && c <= 0xDF) { more = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { more = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { more = 3; cp = c & 0x07; }
        else return false;
        if (n - i <= more) return false;
        for (uint32_t k = 1; k <= more; k++) {
            uint8_t b = s[i + k];
            if ((b & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3F);
        }
        if ((more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += more + 1;
    }
    return true;
}

static inline uint64_t ld64(const uint8_t *p) { uint64_t w; memcpy(&w, p, 8); return w; }
static inline uint64_t ld32(const uint8_t *p) { uint32_t w; memcpy(&w, p, 4); return w; }

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* True when s[0..n) is ASCII without NUL: reads each byte once or twice with
 * overlapping word loads, never outside s. */
static inline __attribute__((always_inline)) bool ascii_clean(const uint8_t *s, size_t n) {
    uint64_t any = 0, zero = 0, w;
    if (n >= 8) {
        for (size_t i = 0; i + 8 <= n; i += 8) {
            w = ld64(s + i);
            any |= w;
            zero |= (w - ONES) & ~w & HIGHS;
        }
        w = ld64(s + n - 8);
    } else if (n >= 4) {
        w = ld32(s) | ld32(s + n - 4) << 32;
    } else if (n > 0) {
        w = (uint64_t)s[0] | (uint64_t)s[n >> 1] << 8 | (uint64_t)s[n - 1] << 16 |
            0x0101010101000000ULL;
    } else {
        return true;
    }
    any |= w;
    zero |= (w - ONES) & ~w & HIGHS;
    return !((any & HIGHS) | zero);
}

/* memcpy for the short strings a lead is made of, without a call. */
static inline __attribute__((always_inline)) void copy_short(char *dst, const uint8_t *src,
                                                             size_t n) {
    if (n > 32) {
        memcpy(dst, src, n);
    } else if (n > 16) {
        uint64_t a = ld64(src), b = ld64(src + 8), c = ld64(src + n - 16), e = ld64(src + n - 8);
        memcpy(dst, &a, 8);
        memcpy(dst + 8, &b, 8);
        memcpy(dst + n - 16, &c, 8);
        memcpy(dst + n - 8, &e, 8);
    } else if (n >= 8) {
        uint64_t a = ld64(src), b = ld64(src + n - 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a = (uint32_t)ld32(src), b = (uint32_t)ld32(src + n - 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n > 0) {
        dst[0] = (char)src[0];
        dst[n >> 1] = (char)src[n >> 1];
        dst[n - 1] = (char)src[n - 1];
    }
}

/* Strings must be UTF-8 without NUL, so that every lr_str stays a valid C
 * string of its own length and JSON writers downstream accept it. */
static inline __attribute__((always_inline)) int rd_str(dec *d, const node *n, const char **s,
                                                       uint32_t *len) {
    int64_t l;
    if (rd_long(d, n, &l)) return -1;
    if (l < 0) return fail(d, n, "negative string length");
    if ((uint64_t)l > (uint64_t)(d->end - d->p)) return fail(d, n, "string runs past the end");
    /* cannot happen (each string costs its length + 1 input bytes), but the
     * arena reservation must never be overrun whatever the input */
    if ((uint64_t)l >= (uint64_t)(d->str_end - d->str)) return fail(d, n, "string space");
    if (!ascii_clean(d->p, (size_t)l) && !utf8_valid(d->p, (size_t)l))
        return fail(d, n, "string is not UTF-8 or holds a NUL");
    char *dst = d->str;
    copy_short(dst, d->p, (size_t)l);
    dst[l] = '\0';
    d->str += l + 1;
    d->p += l;
    *s = dst;
    *len = (uint32_t)l;
    return 0;
}

static inline int need(dec *d, const node *n, size_t k) {
    return (size_t)(d->end - d->p) >= k ? 0 : fail(d, n, "truncated");
}

/* Array and map block headers: a count, and for a negative count the block's
 * byte size too. Every item costs one unit of items_left (the input size), so
 * a message cannot make us loop more often than it has bytes. */
static int rd_block(dec *d, const node *n, int64_t *count) {
    if (rd_long(d, n, count)) return -1;
    if (*count < 0) {
        int64_t bytes;
        if (*count == INT64_MIN) return fail(d, n, "invalid block count");
        *count = -*count;
        if (rd_long(d, n, &bytes)) return -1;
        if (bytes < 0 || (uint64_t)bytes > (uint64_t)(d->end - d->p))
            return fail(d, n, "block size runs past the end");
    }
    if ((uint64_t)*count > d->items_left) return fail(d, n, "more items than input bytes");
    d->items_left -= (size_t)*count;
    return 0;
}

static inline void apply_defaults(const defaults_tmpl *t, void *base) {
    for (uint32_t i = 0; i < t->n_spans; i++)
        memcpy((uint8_t *)base + t->off[i], t->bytes + t->off[i], t->len[i]);
}

static int run_composite(dec *d, const node *n, void *base);

/* The branch of a [null, T] / [T, null] union (n->n is the null branch's
 * index): 1 when T follows, 0 for null, -1 on failure. */
static inline __attribute__((always_inline)) int rd_opt(dec *d, const node *n) {
    int64_t v;
    if (rd_long(d, n, &v)) return -1;
    if (v != 0 && v != 1) return fail(d, n, "union branch out of range");
    return v != n->n;
}

/* One value: union branches and leaves here, inlined into every caller;
 * records, arrays and maps in run_composite. Keeping the per-field path free
 * of calls is most of the decoder's speed. */
static inline __attribute__((always_inline)) int step(dec *d, const node *n, void *base) {
    const plan *pl = d->pl;
    int64_t v;
    for (;;) {
        switch ((op)n->op) {
        case OP_UNION:
        case OP_SKIP_UNION:
            /* a branch is never itself a union: loop instead of recursing */
            if (rd_long(d, n, &v)) return -1;
            if (v < 0 || v >= n->n) return fail(d, n, "union branch out of range");
            n = &pl->nodes[pl->kids[n->kids + v]];
            continue;
        /* [null, T] unions: the branch, then T unless null (the default stays).
         * One case per T, so a field costs one dispatch, not two. */
        case OP_OPT_STR: {
            int b = rd_opt(d, n);
            if (b <= 0) return b;
            lr_str *s = LR_SLOT(base, n->off, lr_str);
            return rd_str(d, n, &s->s, &s->len);
        }
        case OP_OPT_CSTR: {
            int b = rd_opt(d, n);
            if (b <= 0) return b;
            uint32_t len;
            return rd_str(d, n, LR_SLOT(base, n->off, const char *), &len);
        }
        case OP_OPT_LONG: {
            int b = rd_opt(d, n);
            if (b <= 0) return b;
            if (rd_long(d, n, &v)) return -1;
            *LR_SLOT(base, n->off, int64_t) = v;
            return 0;
        }
        case OP_OPT_DOUBLE: {
            int b = rd_opt(d, n);
            if (b <= 0) return b;
            if (need(d, n, 8)) return -1;
            memcpy(LR_SLOT(base, n->off, double), d->p, 8);
            d->p += 8;
            if (n->flag != LR_NO_OFF) *LR_SLOT(base, n->flag, bool) = true;
            return 0;
        }
        case OP_OPT_BOOL: {
            int b = rd_opt(d, n);
            if (b <= 0) return b;
            if (need(d, n, 1)) return -1;
            if (*d->p > 1) return fail(d, n, "boolean byte is neither 0 nor 1");
            *LR_SLOT(base, n->off, bool) = *d->p++ == 1;
            if (n->flag != LR_NO_OFF) *LR_SLOT(base, n->flag, bool) = true;
            return 0;
        }
        case OP_STR: {
            lr_str *s = LR_SLOT(base, n->off, lr_str);
            return rd_str(d, n, &s->s, &s->len);
        }
        case OP_CSTR: {
            uint32_t len;
            return rd_str(d, n, LR_SLOT(base, n->off, const char *), &len);
        }
        case OP_LONG:
            if (rd_long(d, n, &v)) return -1;
            *LR_SLOT(base, n->off, int64_t) = v;
            return 0;
        case OP_LONG_FROM_INT:
            if (rd_int(d, n, &v)) return -1;
            *LR_SLOT(base, n->off, int64_t) = v;
            return 0;
        case OP_INT:
            if (rd_int(d, n, &v)) return -1;
            *LR_SLOT(base, n->off, int32_t) = (int32_t)v;
            return 0;
        case OP_COUNT:
            if (rd_int(d, n, &v)) return -1;
            if (v < 0) return fail(d, n, "negative count");
            *LR_SLOT(base, n->off, uint32_t) = (uint32_t)v;
            return 0;
        case OP_DOUBLE: {
            double x;
            if (need(d, n, 8)) return -1;
            memcpy(&x, d->p, 8);
            d->p += 8;
            *LR_SLOT(base, n->off, double) = x;
            if (n->flag != LR_NO_OFF) *LR_SLOT(base, n->flag, bool) = true;
            return 0;
        }
        case OP_DOUBLE_FROM_FLOAT: {
            float x;
            if (need(d, n, 4)) return -1;
            memcpy(&x, d->p, 4);
            d->p += 4;
            *LR_SLOT(base, n->off, double) = x;
            if (n->flag != LR_NO_OFF) *LR_SLOT(base, n->flag, bool) = true;
            return 0;
        }
        case OP_DOUBLE_FROM_LONG:
            if (rd_long(d, n, &v)) return -1;
            *LR_SLOT(base, n->off, double) = (double)v;
            if (n->flag != LR_NO_OFF) *LR_SLOT(base, n->flag, bool) = true;
            return 0;
        case OP_BOOL:
            if (need(d, n, 1)) return -1;
            if (*d->p > 1) return fail(d, n, "boolean byte is neither 0 nor 1");
            *LR_SLOT(base, n->off, bool) = *d->p++ == 1;
            if (n->flag != LR_NO_OFF) *LR_SLOT(base, n->flag, bool) = true;
            return 0;
        case OP_ENUM: {
            if (rd_long(d, n, &v)) return -1;
            if (v < 0 || v >= n->n) return fail(d, n, "enum index out of range");
            int32_t mine = pl->enums[n->kids + v];
            if (mine < 0) {
                d->detail = pl->enum_syms[n->kids + v];
                return fail(d, n, "enum symbol we do not know:");
            }
            *LR_SLOT(base, n->off, int) = mine;
            return 0;
        }
        case OP_FAIL:
            return fail(d, n, n->why);
        case OP_SKIP_NONE:
            return 0;
        case OP_SKIP_BOOL:
            if (need(d, n, 1)) return -1;
            if (*d->p > 1) return fail(d, n, "boolean byte is neither 0 nor 1");
            d->p++;
            return 0;
        case OP_SKIP_LONG:
            return rd_long(d, n, &v);
        case OP_SKIP_INT:
            return rd_int(d, n, &v);
        case OP_SKIP_FIXED:
            if (need(d, n, n->n)) return -1;
            d->p += n->n;
            return 0;
        case OP_SKIP_BYTES:
            if (rd_long(d, n, &v)) return -1;
            if (v < 0) return fail(d, n, "negative length");
            if ((uint64_t)v > (uint64_t)(d->end - d->p)) return fail(d, n, "bytes run past the end");
            d->p += v;
            return 0;
        case OP_SKIP_ENUM:
            if (rd_long(d, n, &v)) return -1;
            if (v < 0 || v >= n->n) return fail(d, n, "enum index out of range");
            return 0;
        default:
            return run_composite(d, n, base);
        }
    }
}

static int run_composite(dec *d, const node *n, void *base) {
    const plan *pl = d->pl;
    int64_t v;
    switch ((op)n->op) {
    case OP_ARRAY: {
        if (++d->depth > LR_CODEC_MAX_DEPTH) return fail(d, n, "nested too deeply");
        uint32_t *count = LR_SLOT(base, n->flag, uint32_t);
        uint32_t *dropped = LR_SLOT(base, n->flag2, uint32_t);
        uint8_t *items = LR_SLOT(base, n->off, uint8_t);
        const node *item = &pl->nodes[pl->kids[n->kids]];
        uint32_t stride = n->rd->size;
        _Alignas(16) uint8_t scratch[64]; /* where items past the capacity go */
        _Static_assert(sizeof(lr_activity) <= 64 && sizeof(lr_reason) <= 64, "scratch");
        int64_t k;
        for (;;) {
            if (rd_block(d, n, &k)) return -1;
            if (k == 0) break;
            for (int64_t i = 0; i < k; i++) {
                bool keep = *count < n->n;
                if (run_composite(d, item, keep ? items + (size_t)*count * stride : scratch))
                    return -1;
                if (keep) (*count)++;
                else (*dropped)++;
            }
        }
        d->depth--;
        return 0;
    }
    case OP_MAP: {
        uint32_t *count = LR_SLOT(base, n->flag, uint32_t);
        uint32_t *dropped = LR_SLOT(base, n->flag2, uint32_t);
        lr_attr *items = LR_SLOT(base, n->off, lr_attr), scratch;
        const node *val = &pl->nodes[pl->kids[n->kids]];
        int64_t k;
        for (;;) {
            if (rd_block(d, n, &k)) return -1;
            if (k == 0) break;
            for (int64_t i = 0; i < k; i++) {
                bool keep = *count < n->n;
                lr_attr *a = keep ? &items[*count] : &scratch;
                a->value = LR_STR_NULL;
                if (rd_str(d, n, &a->key.s, &a->key.len) || step(d, val, a)) return -1;
                if (keep) (*count)++;
                else (*dropped)++;
            }
        }
        return 0;
    }
    case OP_RECORD: {
        if (++d->depth > LR_CODEC_MAX_DEPTH) return fail(d, n, "nested too deeply");
        apply_defaults(&pl->tmpls[n->tmpl], base);
        const uint32_t *k = pl->kids + n->kids;
        for (uint32_t i = 0; i < n->n; i++)
            if (step(d, &pl->nodes[k[i]], base)) return -1;
        d->depth--;
        return 0;
    }
    case OP_SKIP_ARRAY:
    case OP_SKIP_MAP: {
        if (++d->depth > LR_CODEC_MAX_DEPTH) return fail(d, n, "nested too deeply");
        const node *item = &pl->nodes[pl->kids[n->kids]];
        int64_t k;
        for (;;) {
            if (rd_block(d, n, &k)) return -1;
            if (k == 0) break;
            for (int64_t i = 0; i < k; i++) {
                if (n->op == OP_SKIP_MAP) {
                    if (rd_long(d, n, &v)) return -1;
                    if (v < 0 || (uint64_t)v > (uint64_t)(d->end - d->p))
                        return fail(d, n, "map key runs past the end");
                    d->p += v;
                }
                if (step(d, item, base)) return -1;
            }
        }
        d->depth--;
        return 0;
    }
    case OP_SKIP_RECORD: {
        if (++d->depth > LR_CODEC_MAX_DEPTH) return fail(d, n, "nested too deeply");
        const uint32_t *k = pl->kids + n->kids;
        for (uint32_t i = 0; i < n->n; i++)
            if (step(d, &pl->nodes[k[i]], base)) return -1;
        d->depth--;
        return 0;
    }
    default:
        return fail(d, n, "corrupt plan");
    }
}

static int run(dec *d, uint32_t ni, void *base) { return step(d, &d->pl->nodes[ni], base); }

/* ------------------------------------------------------------------------ */
/* The codec                                                                 */

typedef struct writer {
    int32_t id;
    plan *p;
} writer;

struct lr_codec {
    size_t max_bytes;
    int32_t ids[LR_SCHEMA__COUNT];
    avro_schema_t reader[LR_SCHEMA__COUNT];  /* the embedded schemas */
    writer writers[LR_SCHEMA__COUNT][LR_CODEC_MAX_WRITERS];
    uint32_t n_writers[LR_SCHEMA__COUNT];
};

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
    avro_schema_t a = deref(avro_schema_union_branch(s, 0));
    avro_schema_t b = deref(avro_schema_union_branch(s, 1));
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
    case LR_F_ARRAY: return is_avro_array(s) && is_avro_record(deref(avro_schema_array_items(s)));
    case LR_F_MAP: return is_avro_map(s) && is_avro_string(deref(avro_schema_map_values(s)));
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
        avro_schema_t t = deref(avro_schema_record_field_get_by_index(s, (int)i));
        json_t *fj = json_array_get(jf, i);
        if (strcmp(name, f->name) != 0) {
            lr_err_set(err, LR_ERR_FATAL, "embedded schema %s: field %u is %s, the codec has %s",
                       rd->name, i, name, f->name);
            return -1;
        }
        if (!type_agrees(f, t)) {
            lr_err_set(err, LR_ERR_FATAL, "embedded schema %s.%s: type %s, the codec writes %s",
                       rd->name, name, type_name(t), lr_wire_type_name(f->type));
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
            verify_record(f->items, deref(avro_schema_array_items(t)),
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

static writer *find_writer(lr_codec *c, lr_schema_kind k, int32_t id) {
    for (uint32_t i = 0; i < c->n_writers[k]; i++)
        if (c->writers[k][i].id == id) return &c->writers[k][i];
    return NULL;
}

static int add_plan(lr_codec *c, lr_schema_kind which, int32_t id, avro_schema_t w, lr_err *err) {
    for (int k = 0; k < LR_SCHEMA__COUNT; k++) {
        if (k != (int)which && find_writer(c, (lr_schema_kind)k, id)) {
            lr_err_set(err, LR_ERR_FATAL, "schema id %d is already used by %s", (int)id,
                       lr_schemas_name((lr_schema_kind)k));
            return -1;
        }
    }
    writer *wr = find_writer(c, which, id);
    if (!wr && c->n_writers[which] == LR_CODEC_MAX_WRITERS) {
        lr_err_set(err, LR_ERR_FATAL, "%s: more than %d writer schemas", lr_schemas_name(which),
                   LR_CODEC_MAX_WRITERS);
        return -1;
    }
    plan *p = plan_compile(w, c->reader[which], which, err);
    if (!p) return -1;
    if (wr) {
        plan_free(wr->p);
        wr->p = p;
    } else {
        c->writers[which][c->n_writers[which]++] = (writer){id, p};
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
        for (uint32_t i = 0; i < c->n_writers[k]; i++) plan_free(c->writers[k][i].p);
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
        if (find_writer(c, (lr_schema_kind)k, (int32_t)id)) return k;
    return -1;
}

/* Framing checks shared by every decoder: size, magic, schema id. Finds the
 * plan among the types in kinds[0..nk). */
static lr_codec_status frame(lr_codec *c, const uint8_t *buf, size_t len,
                             const lr_schema_kind *kinds, int nk, lr_arena *arena,
                             const char **reason, const plan **pl, lr_schema_kind *which) {
    if (len > c->max_bytes) {
        *reason = lr_arena_printf(arena, "message of %zu bytes is over max_message_bytes %zu",
                                  len, c->max_bytes);
        return LR_CODEC_TOO_LARGE;
    }
    if (len == 0) {
        *reason = "empty message";
        return LR_CODEC_MALFORMED;
    }
    if (buf[0] != 0) {
        *reason = buf[0] == 1
            ? "magic byte 1 (schema id in headers) is not supported; expected Confluent magic 0"
            : lr_arena_printf(arena, "magic byte %u is not the Confluent magic byte 0", buf[0]);
        return LR_CODEC_BAD_MAGIC;
    }
    if (len < LR_CODEC_HEADER_BYTES) {
        *reason = "message shorter than the 5-byte Confluent header";
        return LR_CODEC_MALFORMED;
    }
    int32_t id = (int32_t)lr_codec_peek_schema_id(buf, len);
    for (int i = 0; i < nk; i++) {
        writer *w = find_writer(c, kinds[i], id);
        if (w) {
            *pl = w->p;
            *which = kinds[i];
            return LR_CODEC_OK;
        }
    }
    if (nk == 1)
        *reason = lr_arena_printf(arena, "unknown schema id %d (expected %d)", (int)id,
                                  (int)c->ids[kinds[0]]);
    else
        *reason = lr_arena_printf(arena, "unknown schema id %d (expected one of %d, %d, %d)",
                                  (int)id, (int)c->ids[kinds[0]], (int)c->ids[kinds[1]],
                                  (int)c->ids[kinds[nk - 1]]);
    return LR_CODEC_UNKNOWN_SCHEMA;
}

static lr_codec_status run_plan(const plan *pl, const uint8_t *buf, size_t len, void *out,
                                lr_arena *arena, const char **reason) {
    size_t body = len - LR_CODEC_HEADER_BYTES;
    dec d = {.p = buf + LR_CODEC_HEADER_BYTES, .end = buf + len, .items_left = body, .pl = pl};
    /* one reservation for every string: each costs at least its length + 1
     * input bytes (length varint), so body bytes always suffice */
    d.str = lr_arena_alloc(arena, body + 1);
    d.str_end = d.str + body + 1;
    if (run(&d, pl->root, out) == 0) {
        if (d.p == d.end) return LR_CODEC_OK;
        *reason = lr_arena_printf(arena, "%zu bytes of trailing garbage after the record at byte %zu",
                                  (size_t)(d.end - d.p), (size_t)(d.p - buf));
        return LR_CODEC_MALFORMED;
    }
    const char *field = d.at && d.at->name ? d.at->name : "?";
    if (d.detail)
        *reason = lr_arena_printf(arena, "%s %s (field %s, byte %zu)", d.why, d.detail, field,
                                  (size_t)(d.fail_pos - buf));
    else
        *reason = lr_arena_printf(arena, "%s (field %s, byte %zu)", d.why, field,
                                  (size_t)(d.fail_pos - buf));
    return LR_CODEC_MALFORMED;
}

/* Frames, decodes with the writer's plan, then applies the contract shared by
 * the Avro and JSON decoders. */
static lr_codec_status decode_input(lr_codec *c, lr_schema_kind kind, const uint8_t *buf,
                                    size_t len, void *out, const char *(*contract)(const void *),
                                    lr_arena *arena, const char **reason) {
    const lr_schema_kind kinds[] = {kind};
    const plan *pl;
    lr_schema_kind which;
    const char *dummy;
    if (!reason) reason = &dummy;
    *reason = NULL;
    lr_codec_status st = frame(c, buf, len, kinds, 1, arena, reason, &pl, &which);
    if (st == LR_CODEC_OK) st = run_plan(pl, buf, len, out, arena, reason);
    if (st == LR_CODEC_OK && (*reason = contract(out)) != NULL) st = LR_CODEC_CONTRACT;
    return st;
}

static const char *lead_contract(const void *v) { return lr_lead_contract_violation(v); }
static const char *sales_contract(const void *v) { return lr_sales_contract_violation(v); }

lr_codec_status lr_codec_decode_lead(lr_codec *c, const uint8_t *buf, size_t len, lr_lead *out,
                                     lr_arena *arena, const char **reason) {
    return decode_input(c, LR_SCHEMA_LEAD, buf, len, out, lead_contract, arena, reason);
}

lr_codec_status lr_codec_decode_sales(lr_codec *c, const uint8_t *buf, size_t len,
                                      lr_sales_activity *out, lr_arena *arena,
                                      const char **reason) {
    return decode_input(c, LR_SCHEMA_SALES_ACTIVITY, buf, len, out, sales_contract, arena,
                        reason);
}

lr_codec_status lr_codec_decode_event(lr_codec *c, const uint8_t *buf, size_t len,
                                      lr_event *out, lr_arena *arena, const char **reason) {
    static const lr_schema_kind kinds[] = {LR_SCHEMA_DECISION, LR_SCHEMA_STATUS,
                                           LR_SCHEMA_ALERT};
    const plan *pl;
    lr_schema_kind which;
    const char *dummy;
    if (!reason) reason = &dummy;
    *reason = NULL;
    lr_codec_status st = frame(c, buf, len, kinds, 3, arena, reason, &pl, &which);
    if (st != LR_CODEC_OK) return st;
    void *target;
    switch (which) {
    case LR_SCHEMA_DECISION: out->kind = LR_EVENT_DECISION; target = &out->u.decision; break;
    case LR_SCHEMA_STATUS: out->kind = LR_EVENT_STATUS; target = &out->u.status; break;
    default: out->kind = LR_EVENT_ALERT; target = &out->u.alert; break;
    }
    return run_plan(pl, buf, len, target, arena, reason);
}

/* ------------------------------------------------------------------------ */
/* 3. Encoders                                                               */

/* Zig-zag varint into p (room for 10 bytes); returns the bytes written. */
static inline __attribute__((always_inline)) size_t put_long(uint8_t *p, int64_t v) {
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (u >= 0x80) {
        p[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    p[n++] = (uint8_t)u;
    return n;
}

static inline __attribute__((always_inline)) void wr_long(lr_buf *b, int64_t v) {
    uint8_t *p = lr_buf_reserve(b, 10);
    b->len += put_long(p, v);
}

/* Length and bytes with a single capacity check. */
static inline __attribute__((always_inline)) void wr_bytes(lr_buf *b, const char *s, size_t len) {
    uint8_t *p = lr_buf_reserve(b, 10 + len);
    size_t n = put_long(p, (int64_t)len);
    copy_short((char *)p + n, (const uint8_t *)s, len);
    b->len += n + len;
}

static inline void wr_cstr(lr_buf *b, const char *s) {
    if (!s) s = "";
    wr_bytes(b, s, strlen(s));
}

static inline void wr_double(lr_buf *b, double x) { lr_buf_append(b, &x, 8); }

/* An optional string as the union [null, string]: the bytes of LR_F_OPT_CSTR. */
static inline uint8_t *put_ocstr(uint8_t *p, const char *s, size_t len) {
    if (!s) {
        *p = 0;
        return p + 1;
    }
    *p++ = 2; /* branch 1, zig-zag */
    p += put_long(p, (int64_t)len);
    copy_short((char *)p, (const uint8_t *)s, len);
    return p + len;
}

/* A decision's reasons (10-15 each) are most of what the router encodes:
 * each is written with one capacity check and no per-field dispatch. The
 * bytes are those enc_record writes from lr_wire_reason_fields, field for field:
 * kind (enum, out of range as 0), rule, rep (optional strings), points
 * (double), detail (optional string). */
static void enc_reasons(const lr_reason *r, uint32_t n, lr_buf *b) {
    _Static_assert(sizeof(lr_wire_reason_fields) / sizeof(lr_wire_reason_fields[0]) == 5,
                   "enc_reasons writes exactly the fields of lr_wire_reason_fields");
    for (uint32_t k = 0; k < n; k++, r++) {
        size_t l_rule = r->rule ? strlen(r->rule) : 0, l_rep = r->rep ? strlen(r->rep) : 0,
               l_detail = r->detail ? strlen(r->detail) : 0;
        uint8_t *p0 = lr_buf_reserve(b, 10 + 3 * 11 + 8 + l_rule + l_rep + l_detail), *p = p0;
        int kind = (int)r->kind;
        if (kind < 0 || kind >= LR_REASON__COUNT) kind = 0;
        p += put_long(p, kind);
        p = put_ocstr(p, r->rule, l_rule);
        p = put_ocstr(p, r->rep, l_rep);
        memcpy(p, &r->points, 8);
        p = put_ocstr(p + 8, r->detail, l_detail);
        b->len += (size_t)(p - p0);
    }
}

static void enc_record(const lr_wire_record *rd, const void *base, lr_buf *b);

/* One field; inlined into the generic loop and into the unrolled encoders
 * of the three events. */
static inline __attribute__((always_inline)) void enc_field(const lr_wire_field *f, const void *base,
                                                            lr_buf *b) {
    switch (f->type) {
    case LR_F_STR: {
        lr_str s = *LR_CSLOT(base, f->off, lr_str);
        if (s.s) wr_bytes(b, s.s, s.len);
        else wr_long(b, 0);
        break;
    }
    case LR_F_OPT_STR: {
        lr_str s = *LR_CSLOT(base, f->off, lr_str);
        if (s.s) {
            lr_buf_putc(b, 2); /* branch 1, zig-zag */
            wr_bytes(b, s.s, s.len);
        } else {
            lr_buf_putc(b, 0);
        }
        break;
    }
    case LR_F_CSTR: wr_cstr(b, *LR_CSLOT(base, f->off, const char *)); break;
    case LR_F_OPT_CSTR: {
        const char *s = *LR_CSLOT(base, f->off, const char *);
        if (s) {
            lr_buf_putc(b, 2);
            wr_cstr(b, s);
        } else {
            lr_buf_putc(b, 0);
        }
        break;
    }
    case LR_F_VERSION: wr_cstr(b, LR_VERSION); break;
    case LR_F_LONG: wr_long(b, *LR_CSLOT(base, f->off, int64_t)); break;
    case LR_F_OPT_LONG:
    case LR_F_OPT_TIME: {
        int64_t v = *LR_CSLOT(base, f->off, int64_t);
        bool null = f->type == LR_F_OPT_LONG ? v < 0 : v == LR_TIME_NONE;
        if (null) {
            lr_buf_putc(b, 0);
        } else {
            lr_buf_putc(b, 2);
            wr_long(b, v);
        }
        break;
    }
    case LR_F_INT: wr_long(b, *LR_CSLOT(base, f->off, int32_t)); break;
    case LR_F_COUNT: {
        uint32_t v = *LR_CSLOT(base, f->off, uint32_t);
        wr_long(b, v > INT32_MAX ? INT32_MAX : (int64_t)v);
        break;
    }
    case LR_F_DOUBLE: wr_double(b, *LR_CSLOT(base, f->off, double)); break;
    case LR_F_OPT_DOUBLE:
        if (*LR_CSLOT(base, f->flag, bool)) {
            lr_buf_putc(b, 2);
            wr_double(b, *LR_CSLOT(base, f->off, double));
        } else {
            lr_buf_putc(b, 0);
        }
        break;
    case LR_F_OPT_BOOL: {
        bool present = (f->flag == LR_NO_OFF || *LR_CSLOT(base, f->flag, bool)) &&
                       (f->flag2 == LR_NO_OFF || *LR_CSLOT(base, f->flag2, int64_t) >= 0);
        if (present) {
            lr_buf_putc(b, 2);
            lr_buf_putc(b, *LR_CSLOT(base, f->off, bool) ? 1 : 0);
        } else {
            lr_buf_putc(b, 0);
        }
        break;
    }
    case LR_F_ENUM: {
        int v = *LR_CSLOT(base, f->off, int);
        /* a value outside our enum is a bug upstream; keep the output valid */
        if (v < 0 || v >= f->nsym) v = f->unknown_as > 0 ? f->unknown_as : 0;
        wr_long(b, v);
        break;
    }
    case LR_F_ARRAY: {
        uint32_t n = *LR_CSLOT(base, f->flag, uint32_t);
        if (n > f->max) n = f->max;
        if (n) {
            wr_long(b, n);
            const uint8_t *items = LR_CSLOT(base, f->off, uint8_t);
            if (f->items == &lr_wire_reason)
                enc_reasons((const lr_reason *)items, n, b);
            else
                for (uint32_t k = 0; k < n; k++)
                    enc_record(f->items, items + (size_t)k * f->items->size, b);
        }
        wr_long(b, 0);
        break;
    }
    case LR_F_MAP: {
        uint32_t n = *LR_CSLOT(base, f->flag, uint32_t);
        if (n > f->max) n = f->max;
        if (n) {
            wr_long(b, n);
            const lr_attr *a = LR_CSLOT(base, f->off, lr_attr);
            for (uint32_t k = 0; k < n; k++) {
                wr_bytes(b, a[k].key.s ? a[k].key.s : "", a[k].key.s ? a[k].key.len : 0);
                wr_bytes(b, a[k].value.s ? a[k].value.s : "",
                         a[k].value.s ? a[k].value.len : 0);
            }
        }
        wr_long(b, 0);
        break;
    }
    }
}

static void enc_record(const lr_wire_record *rd, const void *base, lr_buf *b) {
    for (uint32_t i = 0; i < rd->n; i++) enc_field(&rd->f[i], base, b);
}

/* The events the router writes for every lead: their descriptors are
 * constants here, so with the loop unrolled the compiler resolves each
 * field's type at compile time and the per-field dispatch (an indirect jump
 * that mispredicts on every change of type) disappears. Same bytes as
 * enc_record. */
#define ENC_UNROLLED(fn, desc)                                                    \
    static void fn(const void *base, lr_buf *b) {                                 \
        _Pragma("GCC unroll 64") for (uint32_t i = 0; i < (desc).n; i++)          \
            enc_field(&(desc).f[i], base, b);                                     \
    }
ENC_UNROLLED(enc_decision, lr_wire_decision)
ENC_UNROLLED(enc_status, lr_wire_status)
ENC_UNROLLED(enc_alert, lr_wire_alert)

static void enc_header(lr_buf *b, int32_t id) {
    uint8_t *p = lr_buf_reserve(b, LR_CODEC_HEADER_BYTES);
    uint32_t u = (uint32_t)id;
    p[0] = 0;
    p[1] = (uint8_t)(u >> 24);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 8);
    p[4] = (uint8_t)u;
    b->len += LR_CODEC_HEADER_BYTES;
}

void lr_codec_encode_event(lr_codec *c, const lr_event *ev, lr_buf *out) {
    switch (ev->kind) {
    case LR_EVENT_DECISION:
        enc_header(out, c->ids[LR_SCHEMA_DECISION]);
        enc_decision(&ev->u.decision, out);
        break;
    case LR_EVENT_STATUS:
        enc_header(out, c->ids[LR_SCHEMA_STATUS]);
        enc_status(&ev->u.status, out);
        break;
    case LR_EVENT_ALERT:
        enc_header(out, c->ids[LR_SCHEMA_ALERT]);
        enc_alert(&ev->u.alert, out);
        break;
    }
}

void lr_codec_encode_lead(lr_codec *c, const lr_lead *lead, lr_buf *out) {
    enc_header(out, c->ids[LR_SCHEMA_LEAD]);
    enc_record(&lr_wire_lead, lead, out);
}

void lr_codec_encode_sales(lr_codec *c, const lr_sales_activity *a, lr_buf *out) {
    enc_header(out, c->ids[LR_SCHEMA_SALES_ACTIVITY]);
    enc_record(&lr_wire_sales, a, out);
}
