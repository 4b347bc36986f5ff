/* arena.h - bump allocator reset per batch.
 *
 * Strings decoded from a message and text built for output events live here
 * until the batch is encoded; reset keeps the memory, so steady state does no
 * malloc at all. */
#ifndef LR_ARENA_H
#define LR_ARENA_H

#include <stddef.h>
#include <stdarg.h>

typedef struct lr_arena_chunk lr_arena_chunk;

typedef struct lr_arena {
    lr_arena_chunk *head;   /* chunk being filled */
    lr_arena_chunk *spare;  /* emptied chunks kept for reuse */
    size_t chunk_size;
    size_t bytes_used;      /* total live bytes, for stats */
} lr_arena;

void lr_arena_init(lr_arena *a, size_t chunk_size);
void lr_arena_destroy(lr_arena *a);
void *lr_arena_alloc(lr_arena *a, size_t n);           /* 8-byte aligned, never NULL */
char *lr_arena_strndup(lr_arena *a, const char *s, size_t n);
char *lr_arena_printf(lr_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *lr_arena_vprintf(lr_arena *a, const char *fmt, va_list ap);
/* The same bytes as lr_arena_printf(a, "%.*s%.*s%lld", ...), without parsing
 * a format: text with a number is built for every event. s[0..n) and
 * mid[0..mid_len), no NUL inside. */
char *lr_arena_join_num_n(lr_arena *a, const char *s, size_t n, const char *mid, size_t mid_len,
                          long long v);
/* s[0..n) mid[0..mid_len) v sep w: the same bytes as
 * lr_arena_printf(a, "%.*s%.*s%lld%c%lld", ...), for ids with two numbers
 * ("<lead id>:status:7@1794927600000"). */
char *lr_arena_join_num2_n(lr_arena *a, const char *s, size_t n, const char *mid, size_t mid_len,
                           long long v, char sep, long long w);
void lr_arena_reset(lr_arena *a);

#endif
