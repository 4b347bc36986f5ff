/* out.h - the buffer the core publishes events into: a growable array of
 * lr_event plus an arena for their text. The core appends; the adapter (Kafka,
 * replay) encodes and sends them, then resets the buffer, so every string an
 * event holds lives until lr_out_reset. In steady state it reaches its
 * high-water mark and allocates no more. Embedded by its owner (_init /
 * _destroy); pure. */
#ifndef LR_OUT_H
#define LR_OUT_H

#include "arena.h"
#include "event.h"

/* Growable buffer of events plus an arena for their text. In steady state it
 * reaches its high-water mark and allocates no more. */
typedef struct lr_out {
    lr_event *ev;
    size_t n, cap;
    lr_arena arena;
} lr_out;

void lr_out_init(lr_out *out);
void lr_out_destroy(lr_out *out);
void lr_out_reset(lr_out *out);
/* Makes room for n more events, so that pointers to events already pushed stay
 * valid while up to n more are pushed. */
void lr_out_reserve(lr_out *out, size_t n);
/* Appends a zeroed event of that kind and returns it. It may move earlier
 * events unless room was reserved. */
lr_event *lr_out_push(lr_out *out, lr_event_kind kind);

#endif
