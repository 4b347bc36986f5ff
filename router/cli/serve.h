/* serve.h - what `lead-router run` serves besides Kafka: the metrics of the
 * run (metrics.h) and, when the configuration has an `http:` section, the
 * HTTP listener (http.h). Set up once at start, stopped at exit; nothing here
 * runs per lead. Owns both; not pure (files, threads, sockets). */
#ifndef LR_SERVE_H
#define LR_SERVE_H

#include "http.h"
#include "metrics.h"
#include "webhook.h"

typedef struct lr_serve {
    lr_metrics *metrics; /* NULL when http is off: the run then counts nothing extra */
    lr_http *http;
    lr_board *board;     /* the dashboard's data; NULL when http is off */
    lr_webhook *webhooks; /* alerts.webhooks' senders; NULL when there are none */
    const char *config_path; /* borrowed */
} lr_serve;

/* Starts the webhook senders of cfg->alerts and the listener of cfg->http
 * (each only when configured). The rulebook
 * hash in build_info is lr_hash64 of config_path's bytes (NULL: none). reload may be NULL
 * (POST /-/reload then answers 503). Returns 0, or -1 with err set. */
int lr_serve_start(lr_serve *s, const char *config_path, const lr_config *cfg,
                   lr_http_reload_fn reload, void *reload_ctx, lr_err *err);
/* lr_kafka_opts.on_reload (ctx: the lr_serve): a refused reload counts in
 * config_reload_failures_total; one that took effect sets the time of the
 * last success and build_info's rulebook_hash to the file's bytes now. The
 * labels follow the new rulebook in the live adapter (kafka_metrics.c). */
void lr_serve_on_reload(void *ctx, bool ok, lr_time_ms at);
void lr_serve_stop(lr_serve *s);

#endif
