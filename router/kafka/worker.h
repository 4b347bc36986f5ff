/* worker.h - one background thread that runs one call at a time.
 *
 * The live adapter hands it a window's transaction commit (or, at least
 * once, the flush and offset commit): those calls block for the round trips
 * to the broker, tens of milliseconds under load, and the main thread reads
 * and decides the next window meanwhile. The call's results go back through
 * its argument: everything the call wrote is visible to the thread that
 * returns from lr_worker_wait. */
#ifndef LR_WORKER_H
#define LR_WORKER_H

#include <stdbool.h>

typedef struct lr_worker lr_worker;
typedef void (*lr_worker_fn)(void *arg);

/* NULL when the thread cannot be started. */
lr_worker *lr_worker_new(void);
/* Waits for the call in hand, then stops the thread. */
void lr_worker_free(lr_worker *w);

/* Runs fn(arg) on the thread. The worker must be idle (lr_worker_wait). */
void lr_worker_start(lr_worker *w, lr_worker_fn fn, void *arg);
/* Whether a call is still running: one atomic load, for polling each turn. */
bool lr_worker_busy(lr_worker *w);
/* Blocks until the call in hand (if any) has returned. */
void lr_worker_wait(lr_worker *w);

#endif
