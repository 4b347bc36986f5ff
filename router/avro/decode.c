/* decode.c - Confluent framing and the decode-plan interpreter (see
 * codec_int.h). This is the hot path: the interpreter's step is inlined
 * into itself for the common leaf types, strings go into one arena
 * reservation per message, and every length and count is checked against
 * the bytes that remain before it is used. */
#include "codec_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the interpreter ---- */

typedef struct dec {
    const uint8_t *p, *end;
    char *str, *str_end;  /* arena space reserved for this message's strings */
    size_t items_left;    /* array/map items still allowed: one per input byte */
    const lr_plan *pl;
    int depth;
    const char *why;      /* first failure */
    const lr_node *at;       /* where */
    const uint8_t *fail_pos;
    const char *detail;   /* e.g. the unknown enum symbol */
} dec;

static int fail(dec *d, const lr_node *n, const char *why) {
    if (!d->why) {
        d->why = why;
        d->at = n;
        d->fail_pos = d->p;
    }
    return -1;
}

static int rd_long_slow(dec *d, const lr_node *n, int64_t *v) {
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
static inline __attribute__((always_inline)) int rd_long(dec *d, const lr_node *n, int64_t *v) {
    const uint8_t *p = d->p;
    if (p < d->end && *p < 0x80) {
        d->p = p + 1;
        *v = (int64_t)(*p >> 1) ^ -(int64_t)(*p & 1);
        return 0;
    }
    return rd_long_slow(d, n, v);
}

static inline __attribute__((always_inline)) int rd_int(dec *d, const lr_node *n, int64_t *v) {
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


#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* True when s[0..n) is ASCII without NUL: reads each byte once or twice with
 * overlapping word loads, never outside s. */
static inline __attribute__((always_inline)) bool ascii_clean(const uint8_t *s, size_t n) {
    uint64_t any = 0, zero = 0, w;
    if (n >= 8) {
        for (size_t i = 0; i + 8 <= n; i += 8) {
            w = lr_ld64(s + i);
            any |= w;
            zero |= (w - ONES) & ~w & HIGHS;
        }
        w = lr_ld64(s + n - 8);
    } else if (n >= 4) {
        w = lr_ld32(s) | lr_ld32(s + n - 4) << 32;
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


/* Strings must be UTF-8 without NUL, so that every lr_str stays a valid C
 * string of its own length and JSON writers downstream accept it. */
static inline __attribute__((always_inline)) int rd_str(dec *d, const lr_node *n, const char **s,
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
    lr_copy_short(dst, d->p, (size_t)l);
    dst[l] = '\0';
    d->str += l + 1;
    d->p += l;
    *s = dst;
    *len = (uint32_t)l;
    return 0;
}

static inline int need(dec *d, const lr_node *n, size_t k) {
    return (size_t)(d->end - d->p) >= k ? 0 : fail(d, n, "truncated");
}

/* Array and map block headers: a count, and for a negative count the block's
 * byte size too. Every item costs one unit of items_left (the input size), so
 * a message cannot make us loop more often than it has bytes. */
static int rd_block(dec *d, const lr_node *n, int64_t *count) {
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

static inline void apply_defaults(const lr_defaults_tmpl *t, void *base) {
    for (uint32_t i = 0; i < t->n_spans; i++)
        memcpy((uint8_t *)base + t->off[i], t->bytes + t->off[i], t->len[i]);
}

static int run_composite(dec *d, const lr_node *n, void *base);

/* The branch of a [null, T] / [T, null] union (n->n is the null branch's
 * index): 1 when T follows, 0 for null, -1 on failure. */
static inline __attribute__((always_inline)) int rd_opt(dec *d, const lr_node *n) {
    int64_t v;
    if (rd_long(d, n, &v)) return -1;
    if (v != 0 && v != 1) return fail(d, n, "union branch out of range");
    return v != n->n;
}

/* Marks an optional value present (flag: a bool slot, or LR_NO_OFF). */
static inline __attribute__((always_inline)) int present(const lr_node *n, void *base) {
    if (n->flag != LR_NO_OFF) *LR_SLOT(base, n->flag, bool) = true;
    return 0;
}

static inline __attribute__((always_inline)) int rd_enum(dec *d, const lr_node *n, void *base) {
    const lr_plan *pl = d->pl;
    int64_t v;
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

static int run_skip(dec *d, const lr_node *n, void *base);
static int run_promoted(dec *d, const lr_node *n, void *base);

/* One value: union branches and leaves here, inlined into every caller;
 * records, arrays and maps in run_composite, values the writer has and we do
 * not in run_skip (evolved writers only). Keeping the per-field path free of
 * calls is most of the decoder's speed. */
static inline __attribute__((always_inline)) int step(dec *d, const lr_node *n, void *base) {
    const lr_plan *pl = d->pl;
    int64_t v;
    int b;
    for (;;) {
        switch ((lr_op)n->op) {
        case OP_UNION:
        case OP_SKIP_UNION:
            /* a branch is never itself a union: loop instead of recursing */
            if (rd_long(d, n, &v)) return -1;
            if (v < 0 || v >= n->n) return fail(d, n, "union branch out of range");
            n = &pl->nodes[pl->kids[n->kids + v]];
            continue;
        /* [null, T] unions: the branch, then (unless null, when the default
         * stays) T's case below, so a field costs one dispatch, not two. */
        case OP_OPT_STR:
            if ((b = rd_opt(d, n)) <= 0) return b;
            /* fallthrough */
        case OP_STR: {
            lr_str *s = LR_SLOT(base, n->off, lr_str);
            return rd_str(d, n, &s->s, &s->len);
        }
        case OP_OPT_CSTR:
            if ((b = rd_opt(d, n)) <= 0) return b;
            /* fallthrough */
        case OP_CSTR: {
            uint32_t len;
            return rd_str(d, n, LR_SLOT(base, n->off, const char *), &len);
        }
        case OP_OPT_LONG:
            if ((b = rd_opt(d, n)) <= 0) return b;
            /* fallthrough */
        case OP_LONG:
            if (rd_long(d, n, &v)) return -1;
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
        case OP_OPT_DOUBLE:
            if ((b = rd_opt(d, n)) <= 0) return b;
            /* fallthrough */
        case OP_DOUBLE:
            if (need(d, n, 8)) return -1;
            memcpy(LR_SLOT(base, n->off, double), d->p, 8);
            d->p += 8;
            return present(n, base);
        case OP_LONG_FROM_INT:
        case OP_DOUBLE_FROM_FLOAT:
        case OP_DOUBLE_FROM_LONG: return run_promoted(d, n, base);
        case OP_OPT_BOOL:
            if ((b = rd_opt(d, n)) <= 0) return b;
            /* fallthrough */
        case OP_BOOL:
            if (need(d, n, 1)) return -1;
            if (*d->p > 1) return fail(d, n, "boolean byte is neither 0 nor 1");
            *LR_SLOT(base, n->off, bool) = *d->p++ == 1;
            return present(n, base);
        case OP_ENUM: return rd_enum(d, n, base);
        case OP_ARRAY:
        case OP_MAP:
        case OP_RECORD: return run_composite(d, n, base);
        default: return run_skip(d, n, base);
        }
    }
}

/* Values a writer wrote in a narrower type than ours, promoted as Avro allows
 * (evolved writers only, so kept out of step's inlined switch). */
static int run_promoted(dec *d, const lr_node *n, void *base) {
    int64_t v;
    switch ((lr_op)n->op) {
    case OP_LONG_FROM_INT:
        if (rd_int(d, n, &v)) return -1;
        *LR_SLOT(base, n->off, int64_t) = v;
        return 0;
    case OP_DOUBLE_FROM_FLOAT: {
        float x;
        if (need(d, n, 4)) return -1;
        memcpy(&x, d->p, 4);
        d->p += 4;
        *LR_SLOT(base, n->off, double) = x;
        return present(n, base);
    }
    case OP_DOUBLE_FROM_LONG:
        if (rd_long(d, n, &v)) return -1;
        *LR_SLOT(base, n->off, double) = (double)v;
        return present(n, base);
    default: return fail(d, n, "not a promotion");
    }
}

static int run_composite(dec *d, const lr_node *n, void *base) {
    const lr_plan *pl = d->pl;
    switch ((lr_op)n->op) {
    case OP_ARRAY: {
        if (++d->depth > LR_CODEC_MAX_DEPTH) return fail(d, n, "nested too deeply");
        uint32_t *count = LR_SLOT(base, n->flag, uint32_t);
        uint32_t *dropped = LR_SLOT(base, n->flag2, uint32_t);
        uint8_t *items = LR_SLOT(base, n->off, uint8_t);
        const lr_node *item = &pl->nodes[pl->kids[n->kids]];
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
        const lr_node *val = &pl->nodes[pl->kids[n->kids]];
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
    default:
        return run_skip(d, n, base);
    }
}

/* Arrays and maps the writer has and we do not: each item skipped. */
static int skip_block(dec *d, const lr_node *n, void *base) {
    if (++d->depth > LR_CODEC_MAX_DEPTH) return fail(d, n, "nested too deeply");
    const lr_node *item = &d->pl->nodes[d->pl->kids[n->kids]];
    int64_t k, v;
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

/* Values read only to be passed over, and union branches we cannot read. */
static int run_skip(dec *d, const lr_node *n, void *base) {
    int64_t v;
    switch ((lr_op)n->op) {
    case OP_FAIL: return fail(d, n, n->why);
    case OP_SKIP_NONE: return 0;
    case OP_SKIP_BOOL:
        if (need(d, n, 1)) return -1;
        if (*d->p > 1) return fail(d, n, "boolean byte is neither 0 nor 1");
        d->p++;
        return 0;
    case OP_SKIP_LONG: return rd_long(d, n, &v);
    case OP_SKIP_INT: return rd_int(d, n, &v);
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
    case OP_SKIP_ARRAY:
    case OP_SKIP_MAP: return skip_block(d, n, base);
    case OP_SKIP_RECORD: {
        if (++d->depth > LR_CODEC_MAX_DEPTH) return fail(d, n, "nested too deeply");
        const uint32_t *k = d->pl->kids + n->kids;
        for (uint32_t i = 0; i < n->n; i++)
            if (step(d, &d->pl->nodes[k[i]], base)) return -1;
        d->depth--;
        return 0;
    }
    default: return fail(d, n, "corrupt plan");
    }
}

static int run(dec *d, uint32_t ni, void *base) { return step(d, &d->pl->nodes[ni], base); }

/* Framing checks shared by every decoder: size, magic, schema id. Finds the
 * plan among the types in kinds[0..nk). */
static lr_codec_status frame(lr_codec *c, const uint8_t *buf, size_t len,
                             const lr_schema_kind *kinds, int nk, lr_arena *arena,
                             const char **reason, const lr_plan **pl, lr_schema_kind *which) {
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
        lr_writer *w = lr_codec_find_writer(c, kinds[i], id);
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

static lr_codec_status lr_plan_run(const lr_plan *pl, const uint8_t *buf, size_t len, void *out,
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
    const lr_plan *pl;
    lr_schema_kind which;
    const char *dummy;
    if (!reason) reason = &dummy;
    *reason = NULL;
    lr_codec_status st = frame(c, buf, len, kinds, 1, arena, reason, &pl, &which);
    if (st == LR_CODEC_OK) st = lr_plan_run(pl, buf, len, out, arena, reason);
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
    const lr_plan *pl;
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
    return lr_plan_run(pl, buf, len, target, arena, reason);
}
