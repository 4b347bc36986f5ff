/* leadtab.h - the lead records, found by lead id.
 *
 * Records are fixed-size and live in chunks that never move, so a record's
 * address and index stay valid until it is removed. An open-addressing index
 * (linear probing, backward-shift deletion) maps ids to record indexes. Memory
 * grows amortized; steady state allocates nothing per lead. Before the index
 * grows, records the owner calls evictable (closed and past the duplicate
 * window) are removed, so memory follows the leads still worth keeping. */
#ifndef LR_LEADTAB_H
#define LR_LEADTAB_H

#include "records.h"

#define LR_LEADTAB_NONE UINT32_MAX

typedef struct lr_leadtab lr_leadtab;
typedef bool (*lr_leadtab_evictable_fn)(const lr_lead_rec *rec, void *ctx);

/* `evictable` may be NULL: nothing is ever evicted. */
lr_leadtab *lr_leadtab_new(size_t expected, lr_leadtab_evictable_fn evictable, void *ctx);
void lr_leadtab_free(lr_leadtab *t);

/* Index of the record of that id, or LR_LEADTAB_NONE. */
uint32_t lr_leadtab_find(const lr_leadtab *t, const char *id, size_t len);
/* The same answer as lr_leadtab_find; a record found (or added) is kept as
 * the hot one, which the next lookup of the same id answers without a probe. */
uint32_t lr_leadtab_lookup(lr_leadtab *t, const char *id, size_t len);
/* Starts loading the index slot of id, to be looked up soon after: with a
 * large table that slot is a cache miss, which other work can then overlap.
 * The id's hash is kept (by value) for that lookup and the add after it. */
void lr_leadtab_prefetch(lr_leadtab *t, const char *id, size_t len);
/* Adds a zeroed record for an id not in the table (1..LR_MAX_ID_LEN bytes;
 * longer ids are cut) and returns its index. May first evict, which removes
 * other records: indexes of records the caller judged evictable become stale. */
uint32_t lr_leadtab_add(lr_leadtab *t, const char *id, size_t len);
lr_lead_rec *lr_leadtab_at(const lr_leadtab *t, uint32_t idx);
void lr_leadtab_remove(lr_leadtab *t, uint32_t idx);
/* Removes every evictable record now; returns how many. */
size_t lr_leadtab_sweep(lr_leadtab *t);

size_t lr_leadtab_count(const lr_leadtab *t);
/* Every index handed out so far is below this (removed ones have an empty id). */
uint32_t lr_leadtab_high(const lr_leadtab *t);
size_t lr_leadtab_bytes(const lr_leadtab *t);

#endif
