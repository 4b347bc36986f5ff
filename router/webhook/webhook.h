/* webhook.h - SLA alerts delivered to people: each alert the router
 * commits is POSTed to the webhook sinks of `alerts.webhooks` that want its
 * kind (docs/operations.md, "Webhooks"), as the alert's JSON or a
 * Slack-compatible {"text": ...}, with the event id as Idempotency-Key.
 *
 * Delivery is at least once: an alert is handed to the senders only after
 * the commit that produced it completed (lr_webhook_release); a sink that
 * fails (an error, a timeout, 5xx, 408 or 429) is retried with exponential
 * backoff until alerts.give_up_after, so a sink may see the same key twice
 * (an answer lost on its way back). An aborted window's alerts are dropped
 * (lr_webhook_discard): the redo of its input fires them again with the same
 * event ids.
 *
 * Cost on the processing thread: lr_webhook_stage copies an alert's fields
 * into a fixed slot (no allocation, no lock); lr_webhook_release takes each
 * sink's lock once per commit. Each sink has its own bounded queue and
 * sender thread (libcurl), so a failing sink delays no other; a full queue
 * drops the delivery and counts it (lead_router_webhook_dropped_total).
 *
 * Memory: lr_webhook owns its queues, threads and curl handles, sized at
 * lr_webhook_new; the config is copied. No personal data leaves: lead id,
 * rulebook names and times only. Not pure (threads, sockets). */
#ifndef LR_WEBHOOK_H
#define LR_WEBHOOK_H

#include "config.h"
#include "event.h"
#include "metrics.h"

typedef struct lr_webhook lr_webhook;

/* Starts one sender per sink. NULL with err set when it cannot; NULL with
 * err untouched when the config has no sinks. */
lr_webhook *lr_webhook_new(const lr_alerts_config *cfg, lr_err *err);
/* Gives what waits alerts.drain_timeout to go, then stops the senders;
 * what is still undelivered then counts as failed. */
void lr_webhook_free(lr_webhook *w);
const lr_webhook_counts *lr_webhook_counts_get(const lr_webhook *w);

/* ---- processing thread -------------------------------------------------------- */

/* An alert produced in the open window. */
void lr_webhook_stage(lr_webhook *w, const lr_alert *a);
/* The open window's commit starts: what is staged belongs to it. */
void lr_webhook_seal(lr_webhook *w);
/* That commit completed: its alerts go to the senders. */
void lr_webhook_release(lr_webhook *w);
/* That commit failed or the window aborted: every staged alert is dropped
 * (the input is read again and fires them again). */
void lr_webhook_discard(lr_webhook *w);

#endif
