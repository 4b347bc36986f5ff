/* domaintab.c - see domaintab.h.
 *
 * Entries sit in one array and are found through chained buckets (indexes,
 * so the array may move when it grows). A ring of (entry, generation) in
 * insertion order finds the oldest entries to expire without a scan; an
 * entry that is replaced or dropped gets a new generation, and its old ring
 * items are skipped when they come up. */
#include "domaintab.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "leadtab.h"

typedef struct entry {
    uint64_t h1, h2;   /* the lead id's two hashes */
    lr_time_ms since;  /* when the lead was first forwarded */
    int32_t dest;      /* where the lead went (see lr_domaintab_find) */
    int32_t part;      /* input partition; -1: the slot is free */
    uint32_t next;     /* next in the bucket's chain, or in the free list (index + 1) */
    uint32_t gen;
} entry;

typedef struct ring_item {
    uint32_t idx, gen;
} ring_item;

struct lr_domaintab {
    int64_t window;
    entry *e;
    size_t n_used, cap;  /* slots ever used; allocated */
    uint32_t free_head;  /* index + 1 */
    size_t count;
    uint32_t *bucket;    /* index + 1 of the chain's first entry */
    size_t n_buckets;    /* a power of two */
    ring_item *ring;
    size_t ring_head, ring_len, ring_cap; /* ring_cap: a power of two */
    size_t ring_stale;   /* items whose entry has moved on */
};

lr_domaintab *lr_domaintab_new(int64_t window_ms) {
    lr_domaintab *t = calloc(1, sizeof(*t));
    if (!t) abort();
    t->window = window_ms;
    t->n_buckets = 1024;
    t->bucket = calloc(t->n_buckets, sizeof(*t->bucket));
    t->ring_cap = 1024;
    t->ring = malloc(t->ring_cap * sizeof(*t->ring));
    if (!t->bucket || !t->ring) abort();
    return t;
}

void lr_domaintab_free(lr_domaintab *t) {
    if (!t) return;
    free(t->e);
    free(t->bucket);
    free(t->ring);
    free(t);
}

size_t lr_domaintab_count(const lr_domaintab *t) { return t->count; }

size_t lr_domaintab_bytes(const lr_domaintab *t) {
    return sizeof(*t) + t->cap * sizeof(entry) + t->n_buckets * sizeof(uint32_t) +
           t->ring_cap * sizeof(ring_item);
}

static uint32_t *chain_of(lr_domaintab *t, uint64_t h1) {
    return &t->bucket[h1 & (t->n_buckets - 1)];
}

static uint32_t lookup(const lr_domaintab *t, uint64_t h1, uint64_t h2) {
    for (uint32_t i = t->bucket[h1 & (t->n_buckets - 1)]; i; i = t->e[i - 1].next)
        if (t->e[i - 1].h1 == h1 && t->e[i - 1].h2 == h2) return i;
    return 0;
}

int32_t lr_domaintab_find(const lr_domaintab *t, const char *id, size_t len, lr_time_ms now) {
    uint32_t i = lookup(t, lr_hash64(id, len), lr_hash64_second(id, len));
    if (!i) return -1;
    const entry *e = &t->e[i - 1];
    return now - e->since < t->window ? e->dest : -1;
}

static void unlink_entry(lr_domaintab *t, uint32_t i) {
    entry *e = &t->e[i - 1];
    uint32_t *link = chain_of(t, e->h1);
    while (*link != i) link = &t->e[*link - 1].next;
    *link = e->next;
    e->part = -1;
    e->gen++; /* its ring items are stale now */
    e->next = t->free_head;
    t->free_head = i;
    t->count--;
    t->ring_stale++;
}

static void rehash(lr_domaintab *t) {
    size_t nb = t->n_buckets * 2;
    uint32_t *b = calloc(nb, sizeof(*b));
    if (!b) abort();
    for (size_t k = 0; k < t->n_used; k++) {
        entry *e = &t->e[k];
        if (e->part < 0) continue;
        uint32_t *head = &b[e->h1 & (nb - 1)];
        e->next = *head;
        *head = (uint32_t)k + 1;
    }
    free(t->bucket);
    t->bucket = b;
    t->n_buckets = nb;
}

static uint32_t alloc_entry(lr_domaintab *t) {
    if (t->free_head) {
        uint32_t i = t->free_head;
        t->free_head = t->e[i - 1].next;
        return i;
    }
    if (t->n_used == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->e = realloc(t->e, t->cap * sizeof(*t->e));
        if (!t->e) abort();
    }
    t->e[t->n_used].gen = 0;
    return (uint32_t)++t->n_used;
}

static ring_item *ring_at(lr_domaintab *t, size_t k) {
    return &t->ring[(t->ring_head + k) & (t->ring_cap - 1)];
}

/* Drops the stale items: after many replacements or a dropped partition they
 * could otherwise outnumber the live ones for a whole window. */
static void ring_compact(lr_domaintab *t) {
    size_t kept = 0;
    for (size_t k = 0; k < t->ring_len; k++) {
        ring_item it = *ring_at(t, k);
        const entry *e = &t->e[it.idx];
        if (e->part >= 0 && e->gen == it.gen) *ring_at(t, kept++) = it;
    }
    t->ring_len = kept;
    t->ring_stale = 0;
}

static void ring_push(lr_domaintab *t, uint32_t idx, uint32_t gen) {
    if (t->ring_stale > 1024 && t->ring_stale > t->ring_len / 2) ring_compact(t);
    if (t->ring_len == t->ring_cap) {
        size_t cap = t->ring_cap * 2;
        ring_item *r = malloc(cap * sizeof(*r));
        if (!r) abort();
        for (size_t k = 0; k < t->ring_len; k++) r[k] = *ring_at(t, k);
        free(t->ring);
        t->ring = r;
        t->ring_cap = cap;
        t->ring_head = 0;
    }
    *ring_at(t, t->ring_len++) = (ring_item){idx, gen};
}

static void ring_pop(lr_domaintab *t) {
    t->ring_head = (t->ring_head + 1) & (t->ring_cap - 1);
    t->ring_len--;
}

/* Oldest first, until the first live entry still inside the window. */
static void expire(lr_domaintab *t, lr_time_ms now) {
    while (t->ring_len) {
        ring_item it = *ring_at(t, 0);
        entry *e = &t->e[it.idx];
        if (e->part < 0 || e->gen != it.gen) {
            ring_pop(t);
            if (t->ring_stale) t->ring_stale--;
            continue;
        }
        if (now - e->since < t->window) break;
        ring_pop(t);
        unlink_entry(t, it.idx + 1);
        t->ring_stale--; /* the item just popped was that entry's */
    }
}

/* Sets entry i (0: a new one for h1, h2) and queues it for expiry. */
static void store(lr_domaintab *t, uint32_t i, uint64_t h1, uint64_t h2, int32_t dest,
                  int32_t part, lr_time_ms since) {
    if (i) {
        t->ring_stale++; /* its current item */
    } else {
        if (t->count >= t->n_buckets) rehash(t);
        i = alloc_entry(t);
        entry *e = &t->e[i - 1];
        e->h1 = h1;
        e->h2 = h2;
        uint32_t *head = chain_of(t, h1);
        e->next = *head;
        *head = i;
        t->count++;
    }
    entry *e = &t->e[i - 1];
    e->since = since;
    e->dest = dest;
    e->part = part;
    e->gen++;
    ring_push(t, i - 1, e->gen);
}

void lr_domaintab_put(lr_domaintab *t, const char *id, size_t len, int32_t dest, int32_t part,
                      lr_time_ms since, lr_time_ms now) {
    expire(t, now);
    if (now - since >= t->window) return;
    uint64_t h1 = lr_hash64(id, len), h2 = lr_hash64_second(id, len);
    store(t, lookup(t, h1, h2), h1, h2, dest, part, since);
}

int32_t lr_domaintab_claim(lr_domaintab *t, const char *id, size_t len, int32_t dest,
                           int32_t part, lr_time_ms now, int64_t fresh_ms) {
    expire(t, now);
    uint64_t h1 = lr_hash64(id, len), h2 = lr_hash64_second(id, len);
    uint32_t i = lookup(t, h1, h2);
    if (i && now - t->e[i - 1].since < fresh_ms) return t->e[i - 1].dest;
    store(t, i, h1, h2, dest, part, now);
    return -1;
}

size_t lr_domaintab_drop_partition(lr_domaintab *t, int32_t part) {
    size_t n = 0;
    for (size_t k = 0; k < t->n_used; k++)
        if (t->e[k].part >= 0 && t->e[k].part == part) {
            unlink_entry(t, (uint32_t)k + 1);
            n++;
        }
    return n;
}

#define FORMAT 1

int lr_domaintab_append(lr_buf *out, const char *id, size_t id_len, lr_time_ms since,
                        const char *name, size_t name_len) {
    if (id_len == 0 || id_len > 255 || name_len == 0 || name_len > LR_DOMAINTAB_NAME_MAX)
        return -1;
    if (out->len == 0) lr_buf_putc(out, FORMAT);
    uint8_t *p = lr_buf_reserve(out, 1 + id_len + 8 + 1 + name_len);
    *p++ = (uint8_t)id_len;
    memcpy(p, id, id_len);
    p += id_len;
    uint64_t u = (uint64_t)since;
    for (int i = 0; i < 8; i++) *p++ = (uint8_t)(u >> (56 - 8 * i));
    *p++ = (uint8_t)name_len;
    memcpy(p, name, name_len);
    out->len += 1 + id_len + 8 + 1 + name_len;
    return 0;
}

long lr_domaintab_parse(const void *val, size_t len, lr_domaintab_entry_fn fn, void *ctx) {
    const uint8_t *p = val, *end = p + len;
    if (!val || len < 1 || *p++ != FORMAT) return -1;
    long n = 0;
    while (p < end) {
        size_t id_len = *p++;
        if (id_len == 0 || (size_t)(end - p) < id_len + 9) return -1;
        const char *id = (const char *)p;
        p += id_len;
        uint64_t u = 0;
        for (int i = 0; i < 8; i++) u = u << 8 | *p++;
        size_t name_len = *p++;
        if (name_len == 0 || (size_t)(end - p) < name_len) return -1;
        fn(ctx, id, id_len, (lr_time_ms)u, (const char *)p, name_len);
        p += name_len;
        n++;
    }
    return n;
}
