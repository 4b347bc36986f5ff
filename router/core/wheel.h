/* wheel.h - a hierarchical timing wheel for SLA clocks.
 *
 * Clocks live in one array of fixed-size nodes addressed by a 32-bit id; the
 * links are inside the nodes (intrusive), so starting and stopping a clock is
 * O(1) and allocates nothing once the array has grown to its working size.
 *
 * Resolution is 1 ms: a clock never fires before its due instant. Eleven
 * levels of 64 slots cover the whole int64 range, and a bitmap per level lets
 * the wheel jump over empty slots, so moving time forward costs
 * O(levels + clocks moved), however far it jumps. Clocks that fall due are
 * handed out in (due, start order) order, which makes replay byte-identical.
 *
 * Pure data structure: no clock of its own, time comes in as arguments. */
#ifndef LR_WHEEL_H
#define LR_WHEEL_H

#include "common.h"

typedef struct lr_wheel lr_wheel;

#define LR_WHEEL_NONE 0u /* never a valid clock id */

/* `expected`: open clocks to size the node array for (0: grow on demand). */
lr_wheel *lr_wheel_new(size_t expected);
void lr_wheel_free(lr_wheel *w);

/* Arms a new clock due at `due` that carries `data`; returns its id. A due
 * instant at or before the wheel's time makes the clock ready at once. */
uint32_t lr_wheel_start(lr_wheel *w, lr_time_ms due, uint32_t data);
/* Gives clock `id` (armed or popped) a new due instant. It counts as a new
 * start for the ordering of clocks due at the same instant. */
void lr_wheel_rearm(lr_wheel *w, uint32_t id, lr_time_ms due);
/* Disarms clock `id` (armed or popped) and frees its id. */
void lr_wheel_stop(lr_wheel *w, uint32_t id);

/* Moves the wheel's time forward to `now` (never backwards); clocks due by
 * then become ready. */
void lr_wheel_advance(lr_wheel *w, lr_time_ms now);
/* Advances to `now`, then detaches and returns the ready clock with the
 * smallest (due, start order), or LR_WHEEL_NONE when none is due at or before
 * `now`. The popped clock keeps its id and data until the caller rearms or
 * stops it. */
uint32_t lr_wheel_pop(lr_wheel *w, lr_time_ms now);
/* The clock lr_wheel_pop(w, now) would return if nothing changed before it,
 * without detaching it or advancing the wheel: among the clocks already
 * ready only. For prefetching what that clock's owner will touch. */
uint32_t lr_wheel_peek(const lr_wheel *w, lr_time_ms now);

lr_time_ms lr_wheel_due(const lr_wheel *w, uint32_t id);
uint32_t lr_wheel_data(const lr_wheel *w, uint32_t id);

/* The earliest due instant of an armed clock, LR_TIME_NONE when none. O(1)
 * or a scan of at most LR_WHEEL_SCAN_MAX clocks. Exact, with one exception:
 * when the earliest clock sits in an upper-level slot of more than
 * LR_WHEEL_SCAN_MAX clocks whose cached minimum was stopped, it returns the
 * slot's first instant instead: earlier than every clock, later than the
 * wheel's time. Advancing to it fires nothing and moves that slot down, so the
 * next answer is closer; a caller that sleeps until the answer and asks again
 * wakes at most once per level too early. Not const: it refreshes the cached
 * minimum of the slot it inspects. */
#define LR_WHEEL_SCAN_MAX 128
lr_time_ms lr_wheel_next_due(lr_wheel *w);

size_t lr_wheel_count(const lr_wheel *w);  /* clocks started and not stopped */
size_t lr_wheel_bytes(const lr_wheel *w);  /* heap memory the wheel holds */

#endif
