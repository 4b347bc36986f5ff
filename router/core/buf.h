/* buf.h - a growable byte buffer, reused across messages so that encoding an
 * event allocates nothing once the buffer has reached its working size. */
#ifndef LR_BUF_H
#define LR_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct lr_buf {
    uint8_t *data;
    size_t len, cap;
} lr_buf;

static inline void lr_buf_init(lr_buf *b) { b->data = NULL; b->len = b->cap = 0; }
static inline void lr_buf_free(lr_buf *b) { free(b->data); lr_buf_init(b); }
static inline void lr_buf_reset(lr_buf *b) { b->len = 0; }

/* Makes room for n more bytes and returns where they go. */
static inline uint8_t *lr_buf_reserve(lr_buf *b, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) abort();
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

static inline void lr_buf_append(lr_buf *b, const void *p, size_t n) {
    memcpy(lr_buf_reserve(b, n), p, n);
    b->len += n;
}

static inline void lr_buf_putc(lr_buf *b, uint8_t c) {
    *lr_buf_reserve(b, 1) = c;
    b->len++;
}

#endif
