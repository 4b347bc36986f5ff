/* outbox.c - see outbox.h. */
#include "outbox.h"

void lr_outbox_init(lr_outbox *ob) {
    lr_buf_init(&ob->bytes);
    ob->recs = NULL;
    ob->n = ob->cap = 0;
}

void lr_outbox_clear(lr_outbox *ob, void (*drop_headers)(void *)) {
    for (size_t i = 0; i < ob->n; i++)
        if (ob->recs[i].headers && drop_headers) drop_headers(ob->recs[i].headers);
    ob->n = 0;
    lr_buf_reset(&ob->bytes);
}

void lr_outbox_free(lr_outbox *ob, void (*drop_headers)(void *)) {
    lr_outbox_clear(ob, drop_headers);
    lr_buf_free(&ob->bytes);
    free(ob->recs);
    lr_outbox_init(ob);
}

void lr_outbox_push(lr_outbox *ob, int topic, int32_t partition, const void *key,
                    size_t key_len, const void *val, size_t val_len, void *headers) {
    if (ob->n == ob->cap) {
        size_t cap = ob->cap ? ob->cap * 2 : 1024;
        lr_outbox_rec *p = realloc(ob->recs, cap * sizeof(*p));
        if (!p) abort();
        ob->recs = p;
        ob->cap = cap;
    }
    /* offsets, not pointers: the byte buffer moves when it grows */
    lr_outbox_rec *r = &ob->recs[ob->n++];
    r->topic = topic;
    r->partition = partition;
    r->has_key = key != NULL;
    r->key_off = ob->bytes.len;
    r->key_len = key ? key_len : 0;
    if (key_len && key) lr_buf_append(&ob->bytes, key, key_len);
    r->val_off = ob->bytes.len;
    r->val_len = val_len;
    if (val_len) lr_buf_append(&ob->bytes, val, val_len);
    r->headers = headers;
}

lr_outbox_rec *lr_outbox_get(lr_outbox *ob, size_t i, const void **key,
                             const void **val) {
    static const uint8_t empty[1];
    const uint8_t *base = ob->bytes.data ? ob->bytes.data : empty; /* all records empty */
    lr_outbox_rec *r = &ob->recs[i];
    *key = r->has_key ? base + r->key_off : NULL;
    *val = base + r->val_off;
    return r;
}
