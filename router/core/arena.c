/* arena.c - see arena.h. */
#include "arena.h"
#include "common.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

struct lr_arena_chunk {
    lr_arena_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

static lr_arena_chunk *chunk_new(size_t size) {
    lr_arena_chunk *c = malloc(sizeof(*c) + size);
    if (!c) abort(); /* out of memory in the hot path: nothing sane to do */
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void lr_arena_init(lr_arena *a, size_t chunk_size) {
    memset(a, 0, sizeof(*a));
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

static void free_list(lr_arena_chunk *c) {
    while (c) {
        lr_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
}

void lr_arena_destroy(lr_arena *a) {
    free_list(a->head);
    free_list(a->spare);
    memset(a, 0, sizeof(*a));
}

/* A new chunk when the head has no room for n (already rounded). */
static __attribute__((noinline)) void arena_refill(lr_arena *a, size_t n) {
    lr_arena_chunk *c;
    if (n <= a->chunk_size && a->spare) {
        c = a->spare;
        a->spare = c->next;
        c->used = 0;
    } else {
        c = chunk_new(n > a->chunk_size ? n : a->chunk_size);
    }
    c->next = a->head;
    a->head = c;
}

/* Inlined into the formatters of this file: they run several times per lead. */
static inline void *arena_take(lr_arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->head->used + n > a->head->size) arena_refill(a, n);
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    a->bytes_used += n;
    return p;
}

void *lr_arena_alloc(lr_arena *a, size_t n) { return arena_take(a, n); }

char *lr_arena_strndup(lr_arena *a, const char *s, size_t n) {
    char *p = arena_take(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Decimal digits of v into the end of buf; returns the first digit. */
static char *utoa_rev(unsigned long long v, char *end) {
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* The same two digits at a time: event ids carry a 13-digit millisecond
 * time, written several times per lead, and this halves the divisions. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Exactly four digits of x < 10000 before end. */
static inline char *put4_rev(uint32_t x, char *end) {
    end -= 4;
    memcpy(end, digit_pairs + 2 * (x / 100), 2);
    memcpy(end + 2, digit_pairs + 2 * (x % 100), 2);
    return end;
}

static char *utoa2_rev(unsigned long long v, char *end) {
    /* eight digits at a time in independent 32-bit halves: a millisecond
     * time takes three dependent divisions instead of seven */
    while (v >= 100000000) {
        uint32_t lo = (uint32_t)(v % 100000000);
        v /= 100000000;
        end = put4_rev(lo % 10000, end);
        end = put4_rev(lo / 10000, end);
    }
    uint32_t w = (uint32_t)v;
    for (; w >= 100; w /= 100) {
        end -= 2;
        memcpy(end, digit_pairs + 2 * (w % 100), 2);
    }
    if (w >= 10) {
        end -= 2;
        memcpy(end, digit_pairs + 2 * w, 2);
    } else {
        *--end = (char)('0' + w);
    }
    return end;
}

/* Signed decimal of v into the end of buf; returns the first character. */
static char *ltoa_rev(long long v, char *end) {
    char *d = utoa2_rev(v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, end);
    if (v < 0) *--d = '-';
    return d;
}

/* Reason details are built for every lead, and glibc's vsnprintf costs
 * about a microsecond each time. Formats made only of %s, %d, %u, %ld, %lu,
 * %lld, %llu, %zu, %c and %% (integers may be zero-padded to a width, as in
 * %02d) are written here directly, in one pass into a buffer on the stack;
 * any other conversion (precision, floats, hex) or a text longer than the
 * buffer returns -1 and the caller falls back to vsnprintf. */
#define FAST_MAX 256

static int fast_format(lr_arena *a, const char *fmt, va_list ap, char **out) {
    char buf[FAST_MAX];
    size_t n = 0;
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            if (n == FAST_MAX) return -1;
            buf[n++] = *f;
            continue;
        }
        f++;
        if (*f == '%') {
            if (n == FAST_MAX) return -1;
            buf[n++] = '%';
            continue;
        }
        unsigned w = 0;
        if (*f == '0')
            for (f++; *f >= '0' && *f <= '9' && w < 20; f++) w = w * 10 + (unsigned)(*f - '0');
        int longs = 0;
        bool size = false;
        while (*f == 'l') longs++, f++;
        if (*f == 'z') size = true, f++;
        if (longs > 2) return -1;
        char k = *f;
        if (k == 's') {
            if (longs || size || w) return -1;
            const char *str = va_arg(ap, const char *);
            if (!str) str = "(null)";
            size_t len = strlen(str);
            if (len > FAST_MAX - n) return -1;
            memcpy(buf + n, str, len);
            n += len;
            continue;
        }
        if (k == 'c') {
            if (longs || size || w || n == FAST_MAX) return -1;
            buf[n++] = (char)(unsigned char)va_arg(ap, int);
            continue;
        }
        unsigned long long v;
        bool neg = false;
        if (k == 'd' || k == 'i') {
            long long sv = size ? (long long)va_arg(ap, ssize_t)
                           : longs == 2 ? va_arg(ap, long long)
                           : longs == 1 ? va_arg(ap, long)
                                        : va_arg(ap, int);
            neg = sv < 0;
            v = neg ? 0ULL - (unsigned long long)sv : (unsigned long long)sv;
        } else if (k == 'u') {
            v = size ? va_arg(ap, size_t)
                : longs == 2 ? va_arg(ap, unsigned long long)
                : longs == 1 ? va_arg(ap, unsigned long)
                             : va_arg(ap, unsigned);
        } else {
            return -1; /* also the end of the format right after '%' */
        }
        char digits[48], *end = digits + sizeof(digits), *d = utoa_rev(v, end);
        while ((size_t)(end - d) + neg < w) *--d = '0';
        if (neg) *--d = '-';
        size_t len = (size_t)(end - d);
        if (len > FAST_MAX - n) return -1;
        memcpy(buf + n, d, len);
        n += len;
    }
    char *p = arena_take(a, n + 1);
    memcpy(p, buf, n);
    p[n] = '\0';
    *out = p;
    return 0;
}

char *lr_arena_vprintf(lr_arena *a, const char *fmt, va_list ap) {
    char *fast;
    va_list ap0;
    va_copy(ap0, ap);
    int rc = fast_format(a, fmt, ap0, &fast);
    va_end(ap0);
    if (rc == 0) return fast;
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) n = 0;
    char *p = lr_arena_alloc(a, (size_t)n + 1);
    if ((size_t)n < sizeof(small))
        memcpy(p, small, (size_t)n + 1);
    else
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

/* s, mid and the k bytes at d, joined into one string of the arena. */
static char *join3(lr_arena *a, const char *s, size_t n, const char *mid, size_t m,
                   const char *d, size_t k) {
    char *p = arena_take(a, n + m + k + 1);
    memcpy(p, s, n);
    memcpy(p + n, mid, m);
    memcpy(p + n + m, d, k);
    p[n + m + k] = '\0';
    return p;
}

char *lr_arena_join_num_n(lr_arena *a, const char *s, size_t n, const char *mid, size_t m,
                          long long v) {
    char digits[24], *end = digits + sizeof(digits);
    char *d = ltoa_rev(v, end);
    return join3(a, s, n, mid, m, d, (size_t)(end - d));
}

char *lr_arena_join_num2_n(lr_arena *a, const char *s, size_t n, const char *mid, size_t m,
                           long long v, char sep, long long w) {
    char digits[48], *end = digits + sizeof(digits);
    char *d = ltoa_rev(w, end);
    *--d = sep;
    d = ltoa_rev(v, d);
    return join3(a, s, n, mid, m, d, (size_t)(end - d));
}

char *lr_arena_printf(lr_arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *p = lr_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

/* Keep every chunk: oversized ones are freed so one huge message does not pin
 * memory forever. */
void lr_arena_reset(lr_arena *a) {
    lr_arena_chunk *c = a->head;
    while (c) {
        lr_arena_chunk *n = c->next;
        if (c->size > a->chunk_size) {
            free(c);
        } else {
            c->next = a->spare;
            a->spare = c;
        }
        c = n;
    }
    a->head = NULL;
    a->bytes_used = 0;
}
