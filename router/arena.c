/* arena.c - see arena.h. */
#include "arena.h"
#include "common.h"

#include <stdio.h>
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

void *lr_arena_alloc(lr_arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->head->used + n > a->head->size) {
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
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    a->bytes_used += n;
    return p;
}

char *lr_arena_strndup(lr_arena *a, const char *s, size_t n) {
    char *p = lr_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *lr_arena_vprintf(lr_arena *a, const char *fmt, va_list ap) {
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
