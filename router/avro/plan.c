/* plan.c - writer schemas compiled into decode plans (see codec_int.h).
 *
 * Compiling resolves, once per writer schema, everything a decoder would
 * otherwise work out per message: which of our fields a writer field fills,
 * how its type is promoted, which writer fields are skipped, what an enum
 * symbol maps to, and the defaults of fields the writer lacks. */
#include "codec_int.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lr_plan_free(lr_plan *p) {
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

static uint32_t node_new(lr_plan *p, lr_op o, const char *name) {
    p->nodes = grow(p->nodes, &p->cap_nodes, p->n_nodes + 1, sizeof(lr_node));
    lr_node *n = &p->nodes[p->n_nodes];
    memset(n, 0, sizeof(*n));
    n->op = (uint8_t)o;
    n->off = n->flag = n->flag2 = LR_NO_OFF;
    n->name = name;
    return p->n_nodes++;
}

/* Reserves count kid slots; they are filled once the kids are compiled, which
 * lets a record refer to itself (recursive writer schemas). */
static uint32_t kids_reserve(lr_plan *p, uint32_t count) {
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
    lr_plan *p;
    lr_err *err;
    skip_memo *memo;
    uint32_t n_memo, cap_memo;
} cc;


const char *lr_avro_type_name(avro_schema_t s) {
    s = lr_avro_deref(s);
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

static int compile_skip(cc *c, avro_schema_t w, const char *name, uint32_t *out);

/* A writer record we have no slot for: each field skipped. Memoized per
 * schema, so a recursive record refers to its own node. */
static int compile_skip_record(cc *c, avro_schema_t w, const char *name, uint32_t *out) {
    lr_plan *p = c->p;
    for (uint32_t i = 0; i < c->n_memo; i++) {
        if (c->memo[i].schema == w) {
            *out = c->memo[i].node;
            return 0;
        }
    }
    uint32_t id = node_new(p, OP_SKIP_RECORD, name);
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
    *out = id;
    return 0;
}

static int compile_skip(cc *c, avro_schema_t w, const char *name, uint32_t *out) {
    lr_plan *p = c->p;
    w = lr_avro_deref(w);
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
    case AVRO_RECORD: return compile_skip_record(c, w, name, out);
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

/* A writer enum: each writer symbol mapped to our value by name, once. */
static uint32_t compile_enum(lr_plan *p, avro_schema_t w, const lr_wire_field *f,
                             avro_schema_t r) {
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
    uint32_t id = node_new(p, OP_ENUM, f->name);
    p->nodes[id].off = f->off;
    p->nodes[id].n = nw;
    p->nodes[id].kids = first;
    return id;
}

/* An array or map node of field f whose items are read by node kid. */
static uint32_t container_node(lr_plan *p, lr_op o, const lr_wire_field *f, uint32_t kid) {
    uint32_t id = node_new(p, o, f->name), k = kids_reserve(p, 1);
    lr_node *n = &p->nodes[id];
    n->off = f->off;
    n->flag = f->flag;
    n->flag2 = f->flag2;
    n->n = f->max;
    n->kids = k;
    n->rd = o == OP_ARRAY ? f->items : NULL;
    p->kids[k] = kid;
    return id;
}

static int compile_value(cc *c, avro_schema_t w, const lr_wire_field *f, avro_schema_t r,
                         uint32_t *out, const char **why);

/* A writer map into f's lr_attr[]: its values must read as strings. */
static int compile_map(cc *c, avro_schema_t w, const lr_wire_field *f, uint32_t *out,
                       const char **why) {
    avro_schema_t wv = lr_avro_deref(avro_schema_map_values(w));
    uint32_t val;
    const char *vwhy;
    int rc = is_avro_union(wv) ? -1 : compile_value(c, wv, lr_wire_attr_value(), NULL, &val, &vwhy);
    if (rc == -2) return -2; /* err is set */
    if (rc < 0) {
        *why = "map values must be strings";
        return -1;
    }
    *out = container_node(c->p, OP_MAP, f, val);
    return 0;
}

/* A non-union writer type read into field f (reader type r, needed for enums
 * and arrays). Returns the node, or -1 with *why set to a static reason when
 * the types do not match; hard errors (nested) go to c->err and return -2. */
static int compile_value(cc *c, avro_schema_t w, const lr_wire_field *f, avro_schema_t r,
                         uint32_t *out, const char **why) {
    lr_plan *p = c->p;
    avro_type_t wt = avro_typeof(w);
    lr_op o;
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
    case LR_F_ENUM:
        if (wt != AVRO_ENUM) break;
        *out = compile_enum(p, w, f, r);
        return 0;
    case LR_F_ARRAY: {
        if (wt != AVRO_ARRAY) break;
        avro_schema_t wi = lr_avro_deref(avro_schema_array_items(w));
        if (!is_avro_record(wi)) {
            *why = "array items are not records";
            return -1;
        }
        uint32_t item;
        if (compile_record(c, wi, lr_avro_deref(avro_schema_array_items(r)), f->items, f->name, &item))
            return -2;
        *out = container_node(p, OP_ARRAY, f, item);
        return 0;
    }
    case LR_F_MAP:
        if (wt != AVRO_MAP) break;
        return compile_map(c, w, f, out, why);
    }
    *why = "types do not match";
    return -1;
}

/* Turns a [null, leaf] union node into one fused node. */
static void fuse_optional(lr_plan *p, uint32_t id) {
    lr_node *u = &p->nodes[id];
    if (u->n != 2) return;
    const lr_node *a = &p->nodes[p->kids[u->kids]], *b = &p->nodes[p->kids[u->kids + 1]];
    uint32_t null_branch = a->op == OP_SKIP_NONE ? 0 : b->op == OP_SKIP_NONE ? 1 : 2;
    if (null_branch == 2) return;
    const lr_node *leaf = null_branch == 0 ? b : a;
    lr_op fused;
    switch ((lr_op)leaf->op) {
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
    lr_plan *p = c->p;
    const char *why;
    int rc;
    w = lr_avro_deref(w);
    if (!is_avro_union(w)) {
        rc = compile_value(c, w, f, r, out, &why);
        if (rc == -1)
            lr_err_set(c->err, LR_ERR_FATAL, "%s.%s: writer type %s cannot be read as %s: %s",
                       rec, f->name, lr_avro_type_name(w), lr_wire_type_name(f->type), why);
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
        avro_schema_t b = lr_avro_deref(avro_schema_union_branch(w, (int)i));
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

static uint32_t tmpl_new(lr_plan *p, const lr_wire_record *rd) {
    p->tmpls = grow(p->tmpls, &p->cap_tmpls, p->n_tmpls + 1, sizeof(lr_defaults_tmpl));
    lr_defaults_tmpl *t = &p->tmpls[p->n_tmpls];
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
    lr_plan *p = c->p;
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
            avro_schema_t rt = r ? lr_avro_deref(avro_schema_record_field_get_by_index(r, (int)j)) : NULL;
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
lr_plan *lr_plan_compile(avro_schema_t w, avro_schema_t r, lr_schema_kind which, lr_err *err) {
    const lr_wire_record *rd = lr_wire_record_of(which);
    w = lr_avro_deref(w);
    if (!is_avro_record(w)) {
        lr_err_set(err, LR_ERR_FATAL, "%s: the writer schema is a %s, not a record", rd->name,
                   lr_avro_type_name(w));
        return NULL;
    }
    lr_plan *p = calloc(1, sizeof(*p));
    if (!p) abort();
    p->schema = avro_schema_incref(w);
    cc c = {.p = p, .err = err};
    int rc = compile_record(&c, w, r, rd, rd->name, &p->root);
    free(c.memo);
    if (rc) {
        lr_plan_free(p);
        return NULL;
    }
    return p;
}
