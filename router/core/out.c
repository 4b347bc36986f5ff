/* out.c - the event buffer; see out.h. */
#include "out.h"

#include <stdlib.h>
#include <string.h>

void lr_out_init(lr_out *out) {
    memset(out, 0, sizeof(*out));
    lr_arena_init(&out->arena, 64 * 1024);
}

void lr_out_destroy(lr_out *out) {
    free(out->ev);
    lr_arena_destroy(&out->arena);
    memset(out, 0, sizeof(*out));
}

void lr_out_reset(lr_out *out) {
    out->n = 0;
    lr_arena_reset(&out->arena);
}

void lr_out_reserve(lr_out *out, size_t n) {
    if (out->n + n <= out->cap) return;
    size_t cap = out->cap ? out->cap : 64;
    while (cap < out->n + n) cap *= 2;
    lr_event *ev = realloc(out->ev, cap * sizeof(*ev));
    if (!ev) abort();
    out->ev = ev;
    out->cap = cap;
}

lr_event *lr_out_push(lr_out *out, lr_event_kind kind) {
    lr_out_reserve(out, 1);
    lr_event *e = &out->ev[out->n++];
    /* a decision carries a large reasons array: clear only the header and let
     * n_reasons bound what is read. The sizes are constants, so the clearing
     * is a few vector stores (a memset of this size became `rep stos`, whose
     * start-up cost is most of the work at ~170 bytes). */
    enum {
        DECISION_HEAD = offsetof(lr_event, u) + offsetof(lr_decision, reasons),
        OTHER_HEAD = offsetof(lr_event, u) +
                     (sizeof(lr_status) > sizeof(lr_alert) ? sizeof(lr_status) : sizeof(lr_alert)),
    };
    typedef struct __attribute__((may_alias)) { uint64_t w[2]; } z16; /* aliases like char */
    z16 *z = (z16 *)(void *)e;
    size_t words = kind == LR_EVENT_DECISION ? (DECISION_HEAD + 15) / 16 : (OTHER_HEAD + 15) / 16;
    for (size_t i = 0; i < words; i++) z[i] = (z16){{0, 0}};
    e->kind = kind;
    if (kind == LR_EVENT_DECISION) e->u.decision.sla_due_at = LR_TIME_NONE;
    if (kind == LR_EVENT_STATUS) e->u.status.sla_elapsed_ms = -1;
    return e;
}
