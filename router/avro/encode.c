/* encode.c - our structs written as Avro in the Confluent framing (see
 * codec_int.h), by walking the field tables. The tables are included as
 * constants (wire_tables.h) so that the per-event encoders below unroll. */
#include "codec_int.h"
#include "wire_tables.h"

#include <limits.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Encoders                                                                  */

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
    lr_copy_short((char *)p + n, (const uint8_t *)s, len);
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
    lr_copy_short((char *)p, (const uint8_t *)s, len);
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

/* An array of records: one block of n items, then the end marker. */
static inline __attribute__((always_inline)) void enc_array(const lr_wire_field *f,
                                                            const void *base, lr_buf *b) {
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
}

/* A map of strings (lr_attr[]): one block, then the end marker. */
static inline __attribute__((always_inline)) void enc_map(const lr_wire_field *f,
                                                          const void *base, lr_buf *b) {
    uint32_t n = *LR_CSLOT(base, f->flag, uint32_t);
    if (n > f->max) n = f->max;
    if (n) {
        wr_long(b, n);
        const lr_attr *a = LR_CSLOT(base, f->off, lr_attr);
        for (uint32_t k = 0; k < n; k++) {
            wr_bytes(b, a[k].key.s ? a[k].key.s : "", a[k].key.s ? a[k].key.len : 0);
            wr_bytes(b, a[k].value.s ? a[k].value.s : "", a[k].value.s ? a[k].value.len : 0);
        }
    }
    wr_long(b, 0);
}

/* One field; inlined into the generic loop and into the unrolled encoders
 * of the three events. */
/* A [null, string] union: branch 0 for null, else branch 1 (zig-zag 2) and the bytes. */
static inline __attribute__((always_inline)) void wr_opt_bytes(lr_buf *b, const char *s,
                                                               size_t len) {
    if (!s) {
        lr_buf_putc(b, 0);
        return;
    }
    lr_buf_putc(b, 2);
    wr_bytes(b, s, len);
}

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
        wr_opt_bytes(b, s.s, s.len);
        break;
    }
    case LR_F_CSTR: wr_cstr(b, *LR_CSLOT(base, f->off, const char *)); break;
    case LR_F_OPT_CSTR: {
        const char *s = *LR_CSLOT(base, f->off, const char *);
        wr_opt_bytes(b, s, s ? strlen(s) : 0);
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
    case LR_F_ARRAY: enc_array(f, base, b); break;
    case LR_F_MAP: enc_map(f, base, b); break;
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
