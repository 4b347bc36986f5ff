/* outbox.h - records made while the producer may not take them.
 *
 * While one commit window's transaction commits on the worker thread, the
 * producer refuses new records (librdkafka allows one transaction at a time
 * and a committing one takes nothing more). The main thread goes on reading
 * and deciding the next window meanwhile; what that produces waits here,
 * copied, and is produced when the commit completes, or dropped when it
 * aborts. The outbox keeps its memory: after the first windows it allocates
 * nothing. */
#ifndef LR_OUTBOX_H
#define LR_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct lr_outbox_rec {
    int topic;            /* the caller's topic index */
    int32_t partition;
    bool has_key;
    size_t key_off, key_len;
    size_t val_off, val_len;
    void *headers;        /* owned by the record until it is produced or dropped */
} lr_outbox_rec;

typedef struct lr_outbox {
    lr_buf bytes;         /* keys and values, back to back */
    lr_outbox_rec *recs;
    size_t n, cap;
} lr_outbox;

void lr_outbox_init(lr_outbox *ob);
/* Frees the memory; headers still held are handed to drop_headers (may be NULL). */
void lr_outbox_free(lr_outbox *ob, void (*drop_headers)(void *));

/* Copies key (NULL: no key) and value. */
void lr_outbox_push(lr_outbox *ob, int topic, int32_t partition, const void *key,
                    size_t key_len, const void *val, size_t val_len, void *headers);

static inline size_t lr_outbox_count(const lr_outbox *ob) { return ob->n; }

/* Memory the outbox holds now (it keeps it between windows). */
static inline size_t lr_outbox_allocated(const lr_outbox *ob) {
    return ob->bytes.cap + ob->cap * sizeof(lr_outbox_rec);
}

/* Record i, with pointers to its key (NULL when it has none) and value.
 * Valid until the next push or clear. */
lr_outbox_rec *lr_outbox_get(lr_outbox *ob, size_t i, const void **key,
                             const void **val);

/* Empties the outbox, keeping its memory. Headers not taken (set to NULL by
 * the caller once produced) go to drop_headers. */
void lr_outbox_clear(lr_outbox *ob, void (*drop_headers)(void *));

#endif
