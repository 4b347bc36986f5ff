/* records.c - the lead records; see records.h. The table (leadtab.c) finds
 * and stores them; this file decides what a new record holds, when one may be
 * evicted, and keeps the changelog marks. */
#include "records.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "leadtab.h"

_Static_assert(LR_SLA_MAX_REASSIGNMENTS < LR_MAX_OWNERS,
               "the owner history must hold every owner a lead may have");

/* What evictable() answers for: the normal rule (closed and past the
 * window), counting ages for make_room, or make_room's cut. */
typedef enum evict_mode { EVICT_WINDOW, EVICT_COUNT_AGES, EVICT_OLDER } evict_mode;
#define AGE_BUCKETS 64 /* bucket b: last decided 2^(b-1) to 2^b - 1 ms before now */

struct lr_records {
    lr_leadtab *tab;
    evict_mode mode;
    lr_time_ms cutoff;         /* EVICT_OLDER: last decided at or before this */
    size_t ages[AGE_BUCKETS];  /* EVICT_COUNT_AGES: unowned records per age bucket */
    int64_t window;            /* duplicate window: closed records are kept this long */
    lr_time_ms now;            /* latest time seen: eviction age is measured to it */
    bool track, restoring;
    uint32_t *dirty;           /* record indexes; may hold stale ones */
    size_t n_dirty, cap_dirty;
    char (*tomb)[LR_MAX_ID_LEN + 1]; /* ids evicted since the last drain */
    size_t n_tomb, cap_tomb;
};

/* Evicted records must leave the changelog too, or a restore would bring them
 * back. The table calls evictable() only right before removing the record. */
static void tombstone(lr_records *rs, const lr_lead_rec *r) {
    if (rs->n_tomb == rs->cap_tomb) {
        rs->cap_tomb = rs->cap_tomb ? rs->cap_tomb * 2 : 256;
        rs->tomb = realloc(rs->tomb, rs->cap_tomb * sizeof(*rs->tomb));
        if (!rs->tomb) abort();
    }
    memcpy(rs->tomb[rs->n_tomb++], r->id, sizeof(r->id));
}

static int age_bucket(int64_t age) {
    return age <= 0 ? 0 : 64 - __builtin_clzll((uint64_t)age);
}

static bool evictable(const lr_lead_rec *r, void *ctx) {
    lr_records *rs = ctx;
    if (r->clock || rs->restoring) return false;
    if (r->state != LR_REC_NURTURE && r->state != LR_REC_DISQUALIFIED &&
        r->state != LR_REC_QUEUED && r->state != LR_REC_CLOSED)
        return false; /* an owner still holds it: a later activity must find it */
    if (r->last_decided == LR_TIME_NONE) return false;
    if (rs->mode == EVICT_COUNT_AGES) {
        int b = age_bucket(rs->now - r->last_decided);
        rs->ages[b < AGE_BUCKETS ? b : AGE_BUCKETS - 1]++;
        return false;
    }
    if (rs->mode == EVICT_OLDER ? r->last_decided > rs->cutoff
                                : rs->now - r->last_decided < rs->window)
        return false;
    if (rs->track) tombstone(rs, r);
    return true;
}

size_t lr_records_make_room(lr_records *rs, size_t want) {
    if (rs->restoring || rs->now == LR_TIME_NONE) return 0;
    memset(rs->ages, 0, sizeof(rs->ages));
    rs->mode = EVICT_COUNT_AGES;
    lr_leadtab_sweep(rs->tab);
    /* the oldest buckets first, down to the one that makes `want` */
    size_t n = 0;
    int b = AGE_BUCKETS - 1;
    for (; b > 0 && n + rs->ages[b] < want; b--) n += rs->ages[b];
    rs->mode = EVICT_OLDER;
    rs->cutoff = b > 0 ? rs->now - ((int64_t)1 << (b - 1)) : rs->now;
    size_t removed = lr_leadtab_sweep(rs->tab);
    rs->mode = EVICT_WINDOW;
    return removed;
}

lr_records *lr_records_new(size_t expected_leads, int64_t window) {
    lr_records *rs = calloc(1, sizeof(*rs));
    if (!rs) abort();
    rs->window = window;
    rs->now = LR_TIME_NONE;
    rs->tab = lr_leadtab_new(expected_leads, evictable, rs);
    return rs;
}

void lr_records_free(lr_records *rs) {
    if (!rs) return;
    lr_leadtab_free(rs->tab);
    free(rs->dirty);
    free(rs->tomb);
    free(rs);
}

void lr_records_note_now(lr_records *rs, lr_time_ms now) {
    if (rs->now == LR_TIME_NONE || now > rs->now) rs->now = now;
}

lr_time_ms lr_records_now(const lr_records *rs) { return rs->now; }

uint32_t lr_records_find(const lr_records *rs, const char *id, size_t len) {
    uint32_t idx = lr_leadtab_find(rs->tab, id, len);
    return idx == LR_LEADTAB_NONE ? LR_RECORDS_NONE : idx;
}

uint32_t lr_records_lookup(lr_records *rs, const char *id, size_t len) {
    uint32_t idx = lr_leadtab_lookup(rs->tab, id, len);
    return idx == LR_LEADTAB_NONE ? LR_RECORDS_NONE : idx;
}

uint32_t lr_records_get(lr_records *rs, lr_str id, lr_time_ms first_seen) {
    uint32_t idx = lr_leadtab_lookup(rs->tab, id.s, id.len);
    if (idx != LR_LEADTAB_NONE) return idx;
    idx = lr_leadtab_add(rs->tab, id.s, id.len);
    lr_lead_rec *r = lr_leadtab_at(rs->tab, idx);
    r->first_seen = first_seen;
    r->last_decided = LR_TIME_NONE;
    r->assigned_at = LR_TIME_NONE;
    r->due_at = LR_TIME_NONE;
    r->stage = LR_STAGE_NURTURE;
    r->state = LR_REC_NEW;
    r->tier = r->team = r->owner = -1;
    r->policy = -1; /* source and campaign are interned when it is decided */
    return idx;
}

lr_lead_rec *lr_records_at(const lr_records *rs, uint32_t idx) {
    return lr_leadtab_at(rs->tab, idx);
}

void lr_records_remove(lr_records *rs, uint32_t idx) { lr_leadtab_remove(rs->tab, idx); }
size_t lr_records_count(const lr_records *rs) { return lr_leadtab_count(rs->tab); }

void lr_records_prefetch_id(lr_records *rs, const char *id, size_t len) {
    lr_leadtab_prefetch(rs->tab, id, len);
}

void lr_records_prefetch(const lr_records *rs, uint32_t idx) {
    const char *r = (const char *)lr_leadtab_at(rs->tab, idx);
    for (size_t off = 0; off < sizeof(lr_lead_rec); off += 64) __builtin_prefetch(r + off);
}

bool lr_records_remember(lr_lead_rec *r, lr_str activity_id) {
    if (!activity_id.s) return true; /* required by the contract; nothing to compare */
    uint64_t h = lr_hash64(activity_id.s, activity_id.len);
    if (!h) h = 1; /* 0 marks an empty slot */
    for (int i = 0; i < LR_RECENT_ACTIVITIES; i++)
        if (r->recent[i] == h) return false;
    unsigned next = (r->flags >> LR_REC_RECENT_SHIFT) & 3u;
    r->recent[next] = h;
    r->flags = (uint8_t)((r->flags & ~LR_REC_RECENT_MASK) |
                         (((next + 1) % LR_RECENT_ACTIVITIES) << LR_REC_RECENT_SHIFT));
    return true;
}

/* ---- changelog marks ------------------------------------------------------------ */

void lr_records_track(lr_records *rs, bool on) { rs->track = on; }
void lr_records_restoring(lr_records *rs, bool on) { rs->restoring = on; }

void lr_records_mark(lr_records *rs, uint32_t idx) {
    if (!rs->track) return;
    lr_lead_rec *r = lr_leadtab_at(rs->tab, idx);
    if (r->flags & LR_REC_DIRTY) return;
    r->flags |= LR_REC_DIRTY;
    if (rs->n_dirty == rs->cap_dirty) {
        rs->cap_dirty = rs->cap_dirty ? rs->cap_dirty * 2 : 1024;
        rs->dirty = realloc(rs->dirty, rs->cap_dirty * sizeof(*rs->dirty));
        if (!rs->dirty) abort();
    }
    rs->dirty[rs->n_dirty++] = idx;
}

size_t lr_records_each(const lr_records *rs, lr_records_emit_fn fn, void *ctx) {
    size_t n = 0;
    for (uint32_t i = 0; i < lr_leadtab_high(rs->tab); i++) {
        const lr_lead_rec *r = lr_leadtab_at(rs->tab, i);
        if (!r->id[0]) continue;
        fn(ctx, r->id, r);
        n++;
    }
    return n;
}

size_t lr_records_changes(lr_records *rs, lr_records_emit_fn fn, void *ctx) {
    size_t n = 0;
    /* tombstones first: a lead evicted and seen again in the same window ends
     * with its new value */
    for (size_t i = 0; i < rs->n_tomb; i++, n++) fn(ctx, rs->tomb[i], NULL);
    rs->n_tomb = 0;
    for (size_t i = 0; i < rs->n_dirty; i++) {
        lr_lead_rec *r = lr_leadtab_at(rs->tab, rs->dirty[i]);
        /* an evicted slot is empty or holds another lead (marked on its own) */
        if (!r->id[0] || !(r->flags & LR_REC_DIRTY)) continue;
        r->flags &= (uint8_t)~LR_REC_DIRTY;
        fn(ctx, r->id, r);
        n++;
    }
    rs->n_dirty = 0;
    return n;
}

