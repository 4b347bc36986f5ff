/* ntab.c - name -> index tables; see ntab.h. lr_hash64 over the bytes
 * (lr_hash64_nocase for a nocase table), linear probing. */
#include "ntab.h"

#include <string.h>

#include "hash.h"

static inline unsigned char lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline uint64_t hash(const lr_ntab *t, const char *s, size_t n) {
    return t->nocase ? lr_hash64_nocase(s, n) : lr_hash64(s, n);
}

static bool eq(const lr_ntab *t, size_t slot, const char *s, size_t n) {
    if (t->klen[slot] != n) return false;
    const char *k = t->key[slot];
    if (!t->nocase) return memcmp(k, s, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)k[i]) != lower((unsigned char)s[i])) return false;
    return true;
}

void lr_ntab_init(lr_ntab *t, lr_arena *mem, size_t n, bool nocase) {
    size_t cap = 8;
    while (cap < n * 2) cap <<= 1;
    t->mask = (uint32_t)(cap - 1);
    t->val = lr_arena_alloc(mem, cap * sizeof(*t->val));
    t->key = lr_arena_alloc(mem, cap * sizeof(*t->key));
    t->klen = lr_arena_alloc(mem, cap * sizeof(*t->klen));
    for (size_t i = 0; i < cap; i++) t->val[i] = -1;
    t->nocase = nocase;
}

int32_t lr_ntab_get(const lr_ntab *t, const char *s, size_t n) {
    if (!t->val || !s) return -1;
    for (uint64_t i = hash(t, s, n) & t->mask;; i = (i + 1) & t->mask) {
        if (t->val[i] < 0) return -1;
        if (eq(t, (size_t)i, s, n)) return t->val[i];
    }
}

int32_t lr_ntab_put(lr_ntab *t, const char *s, int32_t v) {
    size_t n = strlen(s);
    for (uint64_t i = hash(t, s, n) & t->mask;; i = (i + 1) & t->mask) {
        if (t->val[i] < 0) {
            t->val[i] = v;
            t->key[i] = s;
            t->klen[i] = (uint32_t)n;
            return -1;
        }
        if (eq(t, (size_t)i, s, n)) return t->val[i];
    }
}

/* Rehashes into new arrays from `mem`; the old ones stay in the arena (a
 * table that doubles wastes at most as much as it holds). */
void lr_ntab_grow(lr_ntab *t, lr_arena *mem, size_t n) {
    size_t cap = (size_t)t->mask + 1;
    if (n * 2 <= cap) return;
    lr_ntab old = *t;
    lr_ntab_init(t, mem, n, old.nocase);
    for (size_t i = 0; i < cap; i++)
        if (old.val[i] >= 0) lr_ntab_put(t, old.key[i], old.val[i]);
}
