/* wheel.c - hierarchical timing wheel; see wheel.h.
 *
 * Times are mapped to unsigned keys (sign bit flipped) so that ordering is
 * plain unsigned comparison. A clock due at key K while the wheel stands at
 * key C (K > C) sits on the level of the highest 6-bit group in which K and C
 * differ, in slot (K >> 6*level) & 63. Everything on level l then shares C's
 * bits above that level and lies in a slot after C's: so every clock on level
 * l is due before every clock on level l+1, the lowest occupied slot of the
 * lowest occupied level holds the earliest clock, and a clock's slot can be
 * recomputed from its key and the wheel's time (no slot field in the node).
 *
 * Moving the wheel from C to N empties the slots that N passed on each level
 * (found with the occupancy bitmaps, O(1) per level), and puts their clocks
 * back: onto a lower level, or into the ready heap when due. A clock moves down
 * at most once per level in its life. The ready heap orders what is due by
 * (due, start sequence); clocks armed at or before the wheel's time go there
 * directly, so whatever a caller does while popping, the order stays defined. */
#include "wheel.h"

#include <stdlib.h>
#include <string.h>

#define LEVELS 11                   /* 11 x 6 bits >= 64 bits of key */
#define SLOTS 64
#define N_SENT (LEVELS * SLOTS)     /* one list head per slot: ids 1..N_SENT */
#define CASCADE_ID (N_SENT + 1)     /* scratch list head used while cascading */
#define FIRST_ID (N_SENT + 2)       /* first id handed out for a clock */

enum { W_FREE = 0, W_WHEEL, W_HEAP, W_DETACHED, W_HEAD };

typedef struct wnode {
    uint32_t next, prev;  /* list links; in the heap, prev is the heap position */
    uint32_t data;
    uint32_t state;
    uint64_t key;         /* due instant, sign bit flipped */
    uint64_t seq;         /* start order: ties on key go to the older start */
} wnode;

struct lr_wheel {
    wnode *n;
    uint32_t cap;         /* nodes allocated */
    uint32_t hw;          /* ids below this have been handed out at least once */
    uint32_t free_head;   /* freed clock ids, linked through next */
    size_t count;
    uint64_t cur;         /* the wheel's time (key) */
    uint64_t seq;
    uint64_t occ[LEVELS];    /* bit s: slot s of the level holds clocks */
    uint64_t dirty[LEVELS];  /* bit s: min[] of that slot must be recomputed */
    uint64_t min[N_SENT];    /* smallest key in each slot, unless dirty */
    uint32_t in_slot[N_SENT]; /* clocks in each slot */
    uint32_t *heap;          /* ready clocks, a binary min-heap on (key, seq) */
    size_t heap_n, heap_cap;
};

static inline uint64_t to_key(lr_time_ms t) { return (uint64_t)t ^ (1ULL << 63); }
static inline lr_time_ms from_key(uint64_t k) { return (lr_time_ms)(k ^ (1ULL << 63)); }

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (!q) abort(); /* out of memory: no sane way to keep SLA promises */
    return q;
}

/* ---- intrusive lists ------------------------------------------------------- */

static inline void list_init(wnode *n, uint32_t head) {
    n[head].next = n[head].prev = head;
    n[head].state = W_HEAD;
}

static inline void list_append(wnode *n, uint32_t head, uint32_t id) {
    uint32_t last = n[head].prev;
    n[id].prev = last;
    n[id].next = head;
    n[last].next = id;
    n[head].prev = id;
}

static inline void list_unlink(wnode *n, uint32_t id) {
    n[n[id].prev].next = n[id].next;
    n[n[id].next].prev = n[id].prev;
}

/* Moves every node of list `from` to the end of list `to`. */
static inline void list_splice(wnode *n, uint32_t from, uint32_t to) {
    uint32_t first = n[from].next, last = n[from].prev;
    if (first == from) return;
    n[n[to].prev].next = first;
    n[first].prev = n[to].prev;
    n[last].next = to;
    n[to].prev = last;
    n[from].next = n[from].prev = from;
}

/* ---- slots ----------------------------------------------------------------- */

/* Level and slot of a key above the wheel's time (see the top comment). */
static inline unsigned slot_of(const lr_wheel *w, uint64_t key) {
    unsigned level = (unsigned)(63 - __builtin_clzll(key ^ w->cur)) / 6;
    return level * SLOTS + (unsigned)((key >> (6 * level)) & 63);
}

static void slot_insert(lr_wheel *w, uint32_t id) {
    uint64_t key = w->n[id].key;
    unsigned slot = slot_of(w, key), level = slot / SLOTS;
    uint64_t bit = 1ULL << (slot % SLOTS);
    if (!(w->occ[level] & bit)) {
        w->occ[level] |= bit;
        w->dirty[level] &= ~bit;
        w->min[slot] = key;
    } else if (!(w->dirty[level] & bit) && key < w->min[slot]) {
        w->min[slot] = key;
    }
    w->n[id].state = W_WHEEL;
    w->in_slot[slot]++;
    list_append(w->n, 1 + slot, id);
}

static void slot_remove(lr_wheel *w, uint32_t id) {
    uint64_t key = w->n[id].key;
    unsigned slot = slot_of(w, key), level = slot / SLOTS;
    uint64_t bit = 1ULL << (slot % SLOTS);
    list_unlink(w->n, id);
    w->in_slot[slot]--;
    if (w->n[1 + slot].next == 1 + slot) {
        w->occ[level] &= ~bit;
        w->dirty[level] &= ~bit;
    } else if (key == w->min[slot]) {
        w->dirty[level] |= bit; /* recomputed lazily by next_due */
    }
}

/* ---- ready heap ------------------------------------------------------------ */

static inline bool before(const wnode *n, uint32_t a, uint32_t b) {
    return n[a].key != n[b].key ? n[a].key < n[b].key : n[a].seq < n[b].seq;
}

static inline void heap_set(lr_wheel *w, size_t pos, uint32_t id) {
    w->heap[pos] = id;
    w->n[id].prev = (uint32_t)pos;
}

static void heap_up(lr_wheel *w, size_t pos) {
    uint32_t id = w->heap[pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (!before(w->n, id, w->heap[parent])) break;
        heap_set(w, pos, w->heap[parent]);
        pos = parent;
    }
    heap_set(w, pos, id);
}

static void heap_down(lr_wheel *w, size_t pos) {
    uint32_t id = w->heap[pos];
    for (;;) {
        size_t c = 2 * pos + 1;
        if (c >= w->heap_n) break;
        if (c + 1 < w->heap_n && before(w->n, w->heap[c + 1], w->heap[c])) c++;
        if (!before(w->n, w->heap[c], id)) break;
        heap_set(w, pos, w->heap[c]);
        pos = c;
    }
    heap_set(w, pos, id);
}

static void heap_push(lr_wheel *w, uint32_t id) {
    if (w->heap_n == w->heap_cap) {
        w->heap_cap = w->heap_cap ? w->heap_cap * 2 : 64;
        w->heap = xrealloc(w->heap, w->heap_cap * sizeof(*w->heap));
    }
    w->n[id].state = W_HEAP;
    w->heap[w->heap_n++] = id;
    heap_up(w, w->heap_n - 1);
}

static void heap_remove(lr_wheel *w, size_t pos) {
    uint32_t last = w->heap[--w->heap_n];
    if (pos == w->heap_n) return;
    heap_set(w, pos, last);
    heap_up(w, pos);
    heap_down(w, w->n[last].prev);
}

/* ---- clocks ---------------------------------------------------------------- */

static void place(lr_wheel *w, uint32_t id) {
    if (w->n[id].key <= w->cur) heap_push(w, id);
    else slot_insert(w, id);
}

static void detach(lr_wheel *w, uint32_t id) {
    if (w->n[id].state == W_WHEEL) slot_remove(w, id);
    else if (w->n[id].state == W_HEAP) heap_remove(w, w->n[id].prev);
    w->n[id].state = W_DETACHED;
}

static uint32_t node_alloc(lr_wheel *w) {
    if (w->free_head) {
        uint32_t id = w->free_head;
        w->free_head = w->n[id].next;
        return id;
    }
    if (w->hw == w->cap) {
        if (w->cap > UINT32_MAX / 2) abort(); /* 2^31 open clocks: far past any sane load */
        w->cap *= 2;
        w->n = xrealloc(w->n, (size_t)w->cap * sizeof(wnode));
    }
    return w->hw++;
}

lr_wheel *lr_wheel_new(size_t expected) {
    lr_wheel *w = calloc(1, sizeof(*w));
    if (!w) abort();
    size_t cap = FIRST_ID + (expected ? expected : 1024);
    if (cap > UINT32_MAX / 2) cap = UINT32_MAX / 2;
    w->cap = (uint32_t)cap;
    w->n = xrealloc(NULL, cap * sizeof(wnode));
    for (uint32_t h = 1; h <= CASCADE_ID; h++) list_init(w->n, h);
    w->hw = FIRST_ID;
    return w;
}

void lr_wheel_free(lr_wheel *w) {
    if (!w) return;
    free(w->n);
    free(w->heap);
    free(w);
}

uint32_t lr_wheel_start(lr_wheel *w, lr_time_ms due, uint32_t data) {
    uint32_t id = node_alloc(w);
    wnode *n = &w->n[id];
    n->key = to_key(due);
    n->seq = ++w->seq;
    n->data = data;
    n->state = W_DETACHED;
    place(w, id);
    w->count++;
    return id;
}

void lr_wheel_rearm(lr_wheel *w, uint32_t id, lr_time_ms due) {
    detach(w, id);
    w->n[id].key = to_key(due);
    w->n[id].seq = ++w->seq;
    place(w, id);
}

void lr_wheel_stop(lr_wheel *w, uint32_t id) {
    detach(w, id);
    w->n[id].state = W_FREE;
    w->n[id].next = w->free_head;
    w->free_head = id;
    w->count--;
}

/* Slots of a level passed when its slot index goes from oi to ni. */
static uint64_t passed_mask(uint64_t oi, uint64_t ni) {
    uint64_t diff = ni - oi;
    if (diff >= SLOTS) return ~0ULL;
    unsigned first = (unsigned)((oi + 1) & 63);
    uint64_t m = (1ULL << diff) - 1;
    return first ? (m << first) | (m >> (64 - first)) : m;
}

void lr_wheel_advance(lr_wheel *w, lr_time_ms now) {
    uint64_t to = to_key(now);
    if (to <= w->cur) return;
    for (unsigned level = 0; level < LEVELS; level++) {
        unsigned shift = 6 * level;
        uint64_t oi = w->cur >> shift, ni = to >> shift;
        if (oi == ni) break; /* higher levels did not move either */
        uint64_t pending = passed_mask(oi, ni) & w->occ[level];
        w->occ[level] &= ~pending;
        w->dirty[level] &= ~pending;
        while (pending) {
            unsigned s = (unsigned)__builtin_ctzll(pending);
            pending &= pending - 1;
            list_splice(w->n, 1 + level * SLOTS + s, CASCADE_ID);
            w->in_slot[level * SLOTS + s] = 0;
        }
    }
    w->cur = to;
    while (w->n[CASCADE_ID].next != CASCADE_ID) {
        uint32_t id = w->n[CASCADE_ID].next;
        /* the list is scattered over the node array: start loading the next
         * node while this one is placed */
        __builtin_prefetch(&w->n[w->n[id].next]);
        list_unlink(w->n, id);
        place(w, id);
    }
}

uint32_t lr_wheel_pop(lr_wheel *w, lr_time_ms now) {
    lr_wheel_advance(w, now);
    if (!w->heap_n || w->n[w->heap[0]].key > to_key(now)) return LR_WHEEL_NONE;
    uint32_t id = w->heap[0];
    heap_remove(w, 0);
    w->n[id].state = W_DETACHED;
    return id;
}

uint32_t lr_wheel_peek(const lr_wheel *w, lr_time_ms now) {
    if (!w->heap_n || w->n[w->heap[0]].key > to_key(now)) return LR_WHEEL_NONE;
    return w->heap[0];
}

lr_time_ms lr_wheel_due(const lr_wheel *w, uint32_t id) { return from_key(w->n[id].key); }
uint32_t lr_wheel_data(const lr_wheel *w, uint32_t id) { return w->n[id].data; }

/* The first instant a slot covers; above the wheel's time by construction. */
static uint64_t slot_start(const lr_wheel *w, unsigned level, unsigned s) {
    unsigned above = 6 * (level + 1);
    uint64_t prefix = above >= 64 ? 0 : (w->cur >> above) << above;
    return prefix | ((uint64_t)s << (6 * level));
}

lr_time_ms lr_wheel_next_due(lr_wheel *w) {
    /* ready clocks are due at or before the wheel's time, armed ones after */
    if (w->heap_n) return from_key(w->n[w->heap[0]].key);
    for (unsigned level = 0; level < LEVELS; level++) {
        if (!w->occ[level]) continue;
        unsigned s = (unsigned)__builtin_ctzll(w->occ[level]);
        unsigned slot = level * SLOTS + s;
        if (w->dirty[level] & (1ULL << s)) {
            /* callers ask on every message: never scan a big slot for it */
            if (w->in_slot[slot] > LR_WHEEL_SCAN_MAX) return from_key(slot_start(w, level, s));
            uint32_t head = 1 + slot;
            uint64_t m = UINT64_MAX;
            for (uint32_t id = w->n[head].next; id != head; id = w->n[id].next)
                if (w->n[id].key < m) m = w->n[id].key;
            w->min[slot] = m;
            w->dirty[level] &= ~(1ULL << s);
        }
        return from_key(w->min[slot]);
    }
    return LR_TIME_NONE;
}

size_t lr_wheel_count(const lr_wheel *w) { return w->count; }

size_t lr_wheel_bytes(const lr_wheel *w) {
    return sizeof(*w) + (size_t)w->cap * sizeof(wnode) + w->heap_cap * sizeof(uint32_t);
}
