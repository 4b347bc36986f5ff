/* domaintab.h - stage 1's memory of where each recent lead went.
 *
 * With kafka.topics.repartition set, stage 1 forwards each lead to the
 * repartition partition of its routing domain, and only that domain's state
 * knows the lead was decided. A lead re-sent with attributes that put it in
 * another domain would be decided a second time there. So stage 1 remembers,
 * for every lead it forwarded within the duplicate window, where it went and
 * when: a repeat follows the first message to its domain, marked as a
 * duplicate (docs/design.md, "Repeats keep their domain").
 *
 * Entries are keyed by two independent 64-bit hashes of the lead id (no id is
 * kept: 40 bytes an entry instead of 100) and tagged with the input partition
 * whose changelog holds them, so a revoked partition's entries can be
 * dropped. Pure and deterministic: the caller gives the time. */
#ifndef LR_DOMAINTAB_H
#define LR_DOMAINTAB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"

typedef struct lr_domaintab lr_domaintab;

/* Entries live for `window_ms` after the lead was last claimed (its
 * memory: at least its duplicate window, longer to route sales activities
 * to a lead's domain for longer). */
lr_domaintab *lr_domaintab_new(int64_t window_ms);
void lr_domaintab_free(lr_domaintab *t);

/* Where the lead went (`dest` as given to put; kafka.c gives the repartition
 * partition of the lead's routing domain) if that was less than the window
 * before `now`; else -1. */
int32_t lr_domaintab_find(const lr_domaintab *t, const char *id, size_t len, lr_time_ms now);

/* Remembers that the lead went to `dest` (>= 0) at `since` from input partition
 * `part`, replacing what was known of it. Entries past the window at `now`
 * are dropped first, oldest first. Nothing is added when `since` is already
 * past the window at `now` (a restore of an old record). */
void lr_domaintab_put(lr_domaintab *t, const char *id, size_t len, int32_t dest, int32_t part,
                      lr_time_ms since, lr_time_ms now);

/* What stage 1 does for every lead, in one lookup: where the lead went if
 * that was less than `fresh_ms` (its duplicate window, at most the table's)
 * before `now`; else -1, and the lead is remembered as going to `dest` from
 * `now` on (a new lead, or one back after its duplicate window, which its
 * attributes route again). */
int32_t lr_domaintab_claim(lr_domaintab *t, const char *id, size_t len, int32_t dest,
                           int32_t part, lr_time_ms now, int64_t fresh_ms);

/* Forgets every entry of input partition `part`; returns how many. */
size_t lr_domaintab_drop_partition(lr_domaintab *t, int32_t part);

size_t lr_domaintab_count(const lr_domaintab *t);
size_t lr_domaintab_bytes(const lr_domaintab *t);

/* The changelog holds the new entries of one commit window and input
 * partition in one record (a record per lead cost a fifth of shared mode's
 * throughput): a format byte (1), then per entry the id's length (1 byte),
 * the id, `since` (8 bytes, big-endian), the domain name's length (1 byte)
 * and the name (its index would change with the rulebook). */
#define LR_DOMAINTAB_NAME_MAX 255

/* Appends an entry to a changelog value, starting one when `out` is empty.
 * -1 (nothing appended) when the id or the name is empty or too long. */
int lr_domaintab_append(lr_buf *out, const char *id, size_t id_len, lr_time_ms since,
                        const char *name, size_t name_len);

typedef void (*lr_domaintab_entry_fn)(void *ctx, const char *id, size_t id_len,
                                      lr_time_ms since, const char *name, size_t name_len);
/* Calls `fn` for each entry of a changelog value, in order. Returns the
 * number of entries, or -1 when the value is malformed (the entries before
 * the fault have been given). */
long lr_domaintab_parse(const void *val, size_t len, lr_domaintab_entry_fn fn, void *ctx);

#endif
