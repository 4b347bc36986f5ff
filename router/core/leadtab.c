/* leadtab.c - lead records by id; see leadtab.h. */
#include "leadtab.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define CHUNK_BITS 12
#define CHUNK (1u << CHUNK_BITS)  /* records per chunk: ~1 MB, allocated as needed */

typedef struct slot {
    uint32_t tag;  /* low 32 bits of the id's hash: home position and quick compare */
    uint32_t ref;  /* record index + 1; 0 = empty */
} slot;

struct lr_leadtab {
    lr_lead_rec **chunk;
    size_t n_chunks, chunk_cap;
    uint32_t hw;          /* indexes below this were handed out at least once */
    uint32_t free_head;   /* removed records, linked through their seq field */
    size_t count;
    slot *index;
    size_t cap;           /* slots, a power of two */
    lr_leadtab_evictable_fn evictable;
    void *ctx;
    /* The record last added or looked up: a decision finds its lead several
     * times in a row (duplicate check, sequence, outcome), and comparing one
     * id is much cheaper than hashing it and probing a large index again. */
    uint32_t hot;
    /* The id last prefetched and its hash, kept by value: a lookup or add of
     * the same bytes then skips hashing it again. */
    char pf_id[LR_MAX_ID_LEN];
    size_t pf_len;         /* 0: none */
    uint64_t pf_hash;
};

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (!q) abort(); /* out of memory in the hot path: nothing sane to do */
    return q;
}

static inline size_t clamp_len(size_t len) { return len > LR_MAX_ID_LEN ? LR_MAX_ID_LEN : len; }

/* lr_hash64(id, len) (len already clamped). */
static inline uint64_t id_hash(const lr_leadtab *t, const char *id, size_t len) {
    if (len && len == t->pf_len && !memcmp(id, t->pf_id, len)) return t->pf_hash;
    return lr_hash64(id, len);
}

lr_lead_rec *lr_leadtab_at(const lr_leadtab *t, uint32_t idx) {
    return &t->chunk[idx >> CHUNK_BITS][idx & (CHUNK - 1)];
}

static size_t pow2_at_least(size_t n) {
    size_t p = 16;
    while (p < n) p *= 2;
    return p;
}

lr_leadtab *lr_leadtab_new(size_t expected, lr_leadtab_evictable_fn evictable, void *ctx) {
    lr_leadtab *t = calloc(1, sizeof(*t));
    if (!t) abort();
    t->cap = pow2_at_least(expected + expected / 2 + 1); /* load <= 2/3 when full as expected */
    t->index = calloc(t->cap, sizeof(slot));
    if (!t->index) abort();
    t->free_head = LR_LEADTAB_NONE;
    t->hot = LR_LEADTAB_NONE;
    t->evictable = evictable;
    t->ctx = ctx;
    return t;
}

void lr_leadtab_free(lr_leadtab *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_chunks; i++) free(t->chunk[i]);
    free(t->chunk);
    free(t->index);
    free(t);
}

static bool same_id(const lr_lead_rec *r, const char *id, size_t len) {
    return memcmp(r->id, id, len) == 0 && r->id[len] == '\0';
}

/* A record with a non-empty id is always in the index (removal clears the
 * id), so an id match on the hot record is the answer a probe would give. */
static inline bool hot_is(const lr_leadtab *t, const char *id, size_t len) {
    return t->hot != LR_LEADTAB_NONE && len > 0 && same_id(lr_leadtab_at(t, t->hot), id, len);
}

uint32_t lr_leadtab_find(const lr_leadtab *t, const char *id, size_t len) {
    len = clamp_len(len);
    if (hot_is(t, id, len)) return t->hot;
    uint32_t tag = (uint32_t)id_hash(t, id, len);
    size_t mask = t->cap - 1;
    for (size_t i = tag & mask;; i = (i + 1) & mask) {
        const slot *s = &t->index[i];
        if (!s->ref) return LR_LEADTAB_NONE;
        if (s->tag == tag && same_id(lr_leadtab_at(t, s->ref - 1), id, len)) return s->ref - 1;
    }
}

void lr_leadtab_prefetch(lr_leadtab *t, const char *id, size_t len) {
    len = clamp_len(len);
    if (!len) return;
    uint64_t h = lr_hash64(id, len);
    memcpy(t->pf_id, id, len);
    t->pf_len = len;
    t->pf_hash = h;
    __builtin_prefetch(&t->index[(uint32_t)h & (t->cap - 1)]);
}

uint32_t lr_leadtab_lookup(lr_leadtab *t, const char *id, size_t len) {
    uint32_t idx = lr_leadtab_find(t, id, len);
    if (idx != LR_LEADTAB_NONE) t->hot = idx;
    return idx;
}

static void index_put(slot *index, size_t mask, uint32_t tag, uint32_t ref) {
    size_t i = tag & mask;
    while (index[i].ref) i = (i + 1) & mask;
    index[i] = (slot){tag, ref};
}

static void index_grow(lr_leadtab *t) {
    size_t cap = t->cap * 2;
    slot *index = calloc(cap, sizeof(slot));
    if (!index) abort();
    for (size_t i = 0; i < t->cap; i++)
        if (t->index[i].ref) index_put(index, cap - 1, t->index[i].tag, t->index[i].ref);
    free(t->index);
    t->index = index;
    t->cap = cap;
}

/* Removal keeps probe chains unbroken by shifting later entries back
 * (no tombstones, so lookups never slow down with churn). */
static void index_delete(lr_leadtab *t, size_t i) {
    size_t mask = t->cap - 1;
    for (size_t j = (i + 1) & mask; t->index[j].ref; j = (j + 1) & mask) {
        size_t home = t->index[j].tag & mask;
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            t->index[i] = t->index[j];
            i = j;
        }
    }
    t->index[i] = (slot){0, 0};
}

void lr_leadtab_remove(lr_leadtab *t, uint32_t idx) {
    lr_lead_rec *r = lr_leadtab_at(t, idx);
    size_t len = strlen(r->id);
    uint32_t tag = (uint32_t)lr_hash64(r->id, len);
    size_t mask = t->cap - 1;
    for (size_t i = tag & mask; t->index[i].ref; i = (i + 1) & mask) {
        if (t->index[i].ref == idx + 1) {
            index_delete(t, i);
            break;
        }
    }
    r->id[0] = '\0';
    if (t->hot == idx) t->hot = LR_LEADTAB_NONE;
    r->seq = t->free_head;
    t->free_head = idx;
    t->count--;
}

size_t lr_leadtab_sweep(lr_leadtab *t) {
    if (!t->evictable) return 0;
    size_t removed = 0;
    for (uint32_t idx = 0; idx < t->hw; idx++) {
        lr_lead_rec *r = lr_leadtab_at(t, idx);
        if (r->id[0] && t->evictable(r, t->ctx)) {
            lr_leadtab_remove(t, idx);
            removed++;
        }
    }
    return removed;
}

static uint32_t rec_alloc(lr_leadtab *t) {
    if (t->free_head != LR_LEADTAB_NONE) {
        uint32_t idx = t->free_head;
        t->free_head = (uint32_t)lr_leadtab_at(t, idx)->seq;
        return idx;
    }
    if (t->hw == (uint32_t)(t->n_chunks * CHUNK)) {
        if (t->n_chunks == t->chunk_cap) {
            t->chunk_cap = t->chunk_cap ? t->chunk_cap * 2 : 16;
            t->chunk = xrealloc(t->chunk, t->chunk_cap * sizeof(*t->chunk));
        }
        t->chunk[t->n_chunks++] = xrealloc(NULL, CHUNK * sizeof(lr_lead_rec));
    }
    return t->hw++;
}

uint32_t lr_leadtab_add(lr_leadtab *t, const char *id, size_t len) {
    len = clamp_len(len);
    if ((t->count + 1) * 4 > t->cap * 3) {
        /* evicting first keeps memory at what is worth keeping; grow only when
         * the table would stay over half full, so sweeps are amortized O(1) */
        lr_leadtab_sweep(t);
        if ((t->count + 1) * 2 > t->cap) index_grow(t);
    }
    uint32_t idx = rec_alloc(t);
    lr_lead_rec *r = lr_leadtab_at(t, idx);
    memset(r, 0, sizeof(*r));
    memcpy(r->id, id, len);
    r->id[len] = '\0';
    index_put(t->index, t->cap - 1, (uint32_t)id_hash(t, id, len), idx + 1);
    t->count++;
    t->hot = idx;
    return idx;
}

size_t lr_leadtab_count(const lr_leadtab *t) { return t->count; }
uint32_t lr_leadtab_high(const lr_leadtab *t) { return t->hw; }

size_t lr_leadtab_bytes(const lr_leadtab *t) {
    return sizeof(*t) + t->chunk_cap * sizeof(*t->chunk) +
           t->n_chunks * (size_t)CHUNK * sizeof(lr_lead_rec) + t->cap * sizeof(slot);
}

