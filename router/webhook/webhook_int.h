/* webhook_int.h - private to router/webhook/: the queue item, a sink and
 * the lr_webhook struct shared by webhook.c (queues, senders) and
 * webhook_body.c (the JSON and Slack bodies). */
#ifndef LR_WEBHOOK_INT_H
#define LR_WEBHOOK_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "webhook.h"

/* An alert as delivered: fixed fields, copied from the event (whose text
 * lives only until the batch is reset). */
typedef struct wh_item {
    char event_id[LR_MAX_ID_LEN + 96];
    char lead_id[LR_MAX_ID_LEN + 1];
    char policy[64], tier[48], team[64], owner[64], addressed_to[64], action[32];
    lr_alert_kind kind;
    int32_t step;
    int64_t assigned_at, due_at, fired_at, late_by_ms;
    uint32_t sinks;             /* bit i: sink i wants it */
} wh_item;

typedef struct wh_sink {
    struct lr_webhook *w;
    lr_webhook_config cfg;
    CURL *curl;                 /* the sender's; reused, so connections are kept */
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;       /* ring, stopping */
    pthread_cond_t wake;
    wh_item *ring;
    size_t cap, head, n;
    bool stopping, stop_now;
} wh_sink;

struct lr_webhook {
    lr_alerts_config cfg;       /* copied; its webhooks are not used (sinks[i].cfg are) */
    wh_sink *sinks;
    size_t n_sinks;
    lr_webhook_counts counts;
    /* processing thread: the staged alerts, the first n_sealed of them
     * belonging to the window whose commit runs */
    wh_item *stage;
    size_t n_staged, n_sealed, stage_cap;
};

/* The body of item for a sink of that format into buf; returns its length. */
size_t lr_webhook_body(const wh_item *it, lr_webhook_format f, char *buf, size_t cap);

#endif
