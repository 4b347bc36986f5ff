/* jsonfast.c - see jsonfast.h.
 *
 * Why: jansson builds a tree of allocated nodes for every line, about 127
 * allocations and most of the CPU time of a replay or a diff (measured with
 * tests/bench/bench_diff). Here the line is cut into tokens in a fixed array
 * first, then the tokens are read against the same field tables (wire.h). */
#include "jsonfast.h"

#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "wire.h"

typedef enum { T_OBJ, T_ARR, T_STR, T_INT, T_REAL, T_TRUE, T_FALSE, T_NULL } tok_type;

typedef struct tok {
    tok_type type;
    uint32_t start, len; /* strings: the bytes between the quotes */
    uint32_t size;       /* objects: keys; arrays: items */
    uint32_t next;       /* index of the token after this value and its children */
} tok;

#define MAX_TOKS 1024

typedef struct lexer {
    const char *s;
    size_t len, at;
    tok t[MAX_TOKS];
    uint32_t n;
} lexer;

static void skip_ws(lexer *x) {
    while (x->at < x->len && (x->s[x->at] == ' ' || x->s[x->at] == '\t' || x->s[x->at] == '\n' ||
                              x->s[x->at] == '\r'))
        x->at++;
}

static int value(lexer *x, int depth);

/* Length of the valid UTF-8 sequence at p (the shortest form, no
 * surrogates, at most U+10FFFF, as jansson checks), 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t avail) {
    unsigned c = p[0];
    size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (n == 0 || n > avail) return 0;
    uint32_t cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* A string without escapes or control characters, in valid UTF-8;
 * anything else declines. */
static int string(lexer *x) {
    size_t b = ++x->at;
    while (x->at < x->len) {
        unsigned char c = (unsigned char)x->s[x->at];
        if (c == '"') break;
        if (c == '\\' || c < 0x20) return -1;
        if (c < 0x80) {
            x->at++;
            continue;
        }
        size_t n = utf8_seq((const unsigned char *)x->s + x->at, x->len - x->at);
        if (n == 0) return -1;
        x->at += n;
    }
    if (x->at >= x->len || x->n >= MAX_TOKS) return -1;
    x->t[x->n++] = (tok){T_STR, (uint32_t)b, (uint32_t)(x->at - b), 0, 0};
    x->at++;
    return 0;
}

static int number(lexer *x) {
    size_t b = x->at;
    bool real = false;
    if (x->s[x->at] == '-') x->at++;
    if (x->at >= x->len || x->s[x->at] < '0' || x->s[x->at] > '9') return -1;
    if (x->s[x->at] == '0' && x->at + 1 < x->len && x->s[x->at + 1] >= '0' && x->s[x->at + 1] <= '9')
        return -1;
    while (x->at < x->len) {
        char c = x->s[x->at];
        if (c == '.' || c == 'e' || c == 'E' || c == '+' || (c == '-' && real)) real = true;
        else if (c < '0' || c > '9') break;
        x->at++;
    }
    /* integers only; 18 digits cannot overflow int64 */
    if (real || x->at - b > 18 || x->n >= MAX_TOKS) return -1;
    x->t[x->n++] = (tok){T_INT, (uint32_t)b, (uint32_t)(x->at - b), 0, 0};
    return 0;
}

static int literal(lexer *x, const char *word, tok_type type) {
    size_t n = strlen(word);
    if (x->len - x->at < n || memcmp(x->s + x->at, word, n) != 0 || x->n >= MAX_TOKS) return -1;
    x->t[x->n++] = (tok){type, (uint32_t)x->at, (uint32_t)n, 0, 0};
    x->at += n;
    return 0;
}

/* An object or array: its token, then key and value tokens (objects) or
 * value tokens (arrays). */
static int container(lexer *x, int depth, bool obj) {
    if (depth > 8 || x->n >= MAX_TOKS) return -1;
    uint32_t me = x->n++;
    x->t[me] = (tok){obj ? T_OBJ : T_ARR, (uint32_t)x->at, 0, 0, 0};
    x->at++;
    skip_ws(x);
    if (x->at < x->len && x->s[x->at] == (obj ? '}' : ']')) {
        x->at++;
        x->t[me].next = x->n;
        return 0;
    }
    for (;;) {
        skip_ws(x);
        if (obj) {
            if (x->at >= x->len || x->s[x->at] != '"' || string(x)) return -1;
            skip_ws(x);
            if (x->at >= x->len || x->s[x->at++] != ':') return -1;
        }
        if (value(x, depth + 1)) return -1;
        x->t[me].size++;
        skip_ws(x);
        if (x->at >= x->len) return -1;
        char c = x->s[x->at++];
        if (c == ',') continue;
        if (c != (obj ? '}' : ']')) return -1;
        x->t[me].next = x->n;
        return 0;
    }
}

static int value(lexer *x, int depth) {
    skip_ws(x);
    if (x->at >= x->len) return -1;
    uint32_t me = x->n;
    int rc;
    switch (x->s[x->at]) {
    case '{': return container(x, depth, true);
    case '[': return container(x, depth, false);
    case '"': rc = string(x); break;
    case 't': rc = literal(x, "true", T_TRUE); break;
    case 'f': rc = literal(x, "false", T_FALSE); break;
    case 'n': rc = literal(x, "null", T_NULL); break;
    default: rc = number(x); break;
    }
    if (rc == 0) x->t[me].next = x->n;
    return rc;
}

/* ---- tokens into structs ---------------------------------------------------- */

typedef struct rd {
    const lexer *x;
    lr_arena *arena;
} rd;

static bool tok_is(const rd *r, const tok *t, const char *s) {
    return t->type == T_STR && t->len == strlen(s) && memcmp(r->x->s + t->start, s, t->len) == 0;
}

/* The token's own bytes only: a line need not end in a NUL, so strtoll on
 * the line itself could read past its end (ASan found it). A number longer
 * than int64_t's digits saturates like strtoll. */
static int64_t tok_int(const rd *r, const tok *t) {
    char digits[32];
    size_t n = t->len < sizeof(digits) - 1 ? t->len : sizeof(digits) - 1;
    memcpy(digits, r->x->s + t->start, n);
    digits[n] = '\0';
    return strtoll(digits, NULL, 10);
}

static lr_str tok_str(rd *r, const tok *t) {
    return (lr_str){lr_arena_strndup(r->arena, r->x->s + t->start, t->len), t->len};
}

static int record(rd *r, uint32_t obj, const lr_wire_record *rec, void *base, bool top);

static int array(rd *r, uint32_t at, const lr_wire_field *f, void *base) {
    const tok *t = &r->x->t[at];
    if (t->type != T_ARR) return -1;
    uint8_t item[512];
    if (f->items->size > sizeof(item)) return -1;
    uint32_t i = at + 1;
    for (uint32_t k = 0; k < t->size; k++, i = r->x->t[i].next) {
        if (record(r, i, f->items, item, false)) return -1;
        lr_json_keep_item(f, base, item);
    }
    return 0;
}

static int map(rd *r, uint32_t at, const lr_wire_field *f, void *base) {
    const tok *t = &r->x->t[at];
    if (t->type != T_OBJ) return -1;
    uint32_t *n = LR_SLOT(base, f->flag, uint32_t), *dropped = LR_SLOT(base, f->flag2, uint32_t);
    uint32_t i = at + 1;
    for (uint32_t k = 0; k < t->size; k++, i = r->x->t[i + 1].next) {
        const tok *key = &r->x->t[i], *v = &r->x->t[i + 1];
        if (v->type != T_STR) return -1;
        /* duplicate keys: the full parser refuses the line */
        for (uint32_t j = at + 1; j < i; j = r->x->t[j + 1].next)
            if (r->x->t[j].len == key->len &&
                memcmp(r->x->s + r->x->t[j].start, r->x->s + key->start, key->len) == 0)
                return -1;
        if (*n >= f->max) {
            (*dropped)++;
            continue;
        }
        lr_attr *a = LR_SLOT(base, f->off, lr_attr) + (*n)++;
        a->key = tok_str(r, key);
        a->value = tok_str(r, v);
    }
    return 0;
}

static int time_of(rd *r, const tok *t, lr_time_ms *out) {
    if (t->type == T_INT) {
        *out = tok_int(r, t);
        return 0;
    }
    return t->type == T_STR && lr_isotime_parse(r->x->s + t->start, t->len, out) ? 0 : -1;
}

static int field(rd *r, uint32_t at, const lr_wire_field *f, void *base) {
    const tok *t = &r->x->t[at];
    if (lr_wire_optional(f->type) && t->type == T_NULL) return 0;
    switch (f->type) {
    case LR_F_STR:
    case LR_F_OPT_STR:
        if (t->type != T_STR) return -1;
        *LR_SLOT(base, f->off, lr_str) = tok_str(r, t);
        return 0;
    case LR_F_LONG:
        if (f->is_time) return time_of(r, t, LR_SLOT(base, f->off, lr_time_ms));
        if (t->type != T_INT) return -1;
        *LR_SLOT(base, f->off, int64_t) = tok_int(r, t);
        return 0;
    case LR_F_OPT_LONG:
        if (t->type != T_INT || tok_int(r, t) < -1) return -1;
        *LR_SLOT(base, f->off, int64_t) = tok_int(r, t);
        return 0;
    case LR_F_OPT_TIME: return time_of(r, t, LR_SLOT(base, f->off, lr_time_ms));
    case LR_F_OPT_BOOL:
        if (t->type != T_TRUE && t->type != T_FALSE) return -1;
        *LR_SLOT(base, f->off, bool) = t->type == T_TRUE;
        if (f->flag != LR_NO_OFF) *LR_SLOT(base, f->flag, bool) = true;
        return 0;
    case LR_F_ENUM: {
        char sym[64];
        if (t->type != T_STR || t->len >= sizeof(sym)) return -1;
        memcpy(sym, r->x->s + t->start, t->len);
        sym[t->len] = '\0';
        int *out = LR_SLOT(base, f->off, int);
        if (lr_wire_enum_parse(f, sym, out)) return 0;
        if (f->unknown_as < 0) return -1;
        *out = f->unknown_as;
        return 0;
    }
    case LR_F_ARRAY: return array(r, at, f, base);
    case LR_F_MAP: return map(r, at, f, base);
    default: return -1; /* doubles and the output-only types: the full parser */
    }
}

/* The object at token `obj` as `rec`; at the top level "type" is skipped. */
static int record(rd *r, uint32_t obj, const lr_wire_record *rec, void *base, bool top) {
    const tok *t = &r->x->t[obj];
    if (t->type != T_OBJ) return -1;
    memset(base, 0, rec->size);
    lr_wire_defaults(rec, base);
    uint64_t seen = 0;
    bool type_seen = false;
    uint32_t i = obj + 1;
    for (uint32_t k = 0; k < t->size; k++, i = r->x->t[i + 1].next) {
        const tok *key = &r->x->t[i];
        if (top && tok_is(r, key, "type")) {
            if (type_seen) return -1;
            type_seen = true;
            continue;
        }
        uint32_t f = 0;
        while (f < rec->n && !tok_is(r, key, rec->f[f].name)) f++;
        if (f == rec->n || f >= 64 || (seen & (1ull << f))) return -1;
        seen |= 1ull << f;
        if (field(r, i + 1, &rec->f[f], base)) return -1;
    }
    for (uint32_t f = 0; f < rec->n && f < 64; f++)
        if (!rec->f[f].has_default && !(seen & (1ull << f))) return -1;
    return 0;
}

int lr_jsonfast_parse(const char *line, size_t len, lr_json_input *out, lr_arena *arena) {
    lexer *x = &(lexer){.s = line, .len = len};
    if (value(x, 0) || x->t[0].type != T_OBJ) return -1;
    skip_ws(x);
    if (x->at != len) return -1;
    rd r = {x, arena};
    const tok *type = NULL;
    uint32_t i = 1;
    for (uint32_t k = 0; k < x->t[0].size; k++, i = x->t[i + 1].next)
        if (tok_is(&r, &x->t[i], "type")) type = &x->t[i + 1];
    if (!type) return -1;
    if (tok_is(&r, type, "lead")) {
        out->kind = LR_JSON_LEAD;
        if (record(&r, 0, lr_wire_record_of(LR_SCHEMA_LEAD), &out->u.lead, true) ||
            lr_lead_contract_violation(&out->u.lead))
            return -1;
        out->time = out->u.lead.event_time;
        return 0;
    }
    if (tok_is(&r, type, "activity")) {
        out->kind = LR_JSON_SALES;
        if (record(&r, 0, lr_wire_record_of(LR_SCHEMA_SALES_ACTIVITY), &out->u.sales, true) ||
            lr_sales_contract_violation(&out->u.sales))
            return -1;
        out->time = out->u.sales.occurred_at;
        return 0;
    }
    return -1;
}
