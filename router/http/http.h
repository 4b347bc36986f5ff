/* http.h - the HTTP listener: /metrics (Prometheus text format 0.0.4),
 * /healthz, /readyz, the dashboard (GET / and /api/state, board.h) and,
 * when enabled, POST /-/reload.
 *
 * It runs on libmicrohttpd's own thread (MHD_USE_INTERNAL_POLLING_THREAD)
 * and only reads lr_metrics (metrics.h): the processing thread never waits
 * for a scrape beyond the pointer swap of a publish.
 *
 * Memory: lr_http owns its daemon and its render buffer; the metrics and the
 * reload context are borrowed and must outlive lr_http_stop. Not pure. */
#ifndef LR_HTTP_H
#define LR_HTTP_H

#include "common.h"
#include "config.h"
#include "board.h"
#include "metrics.h"

/* Asks for a reload (called on the HTTP thread). Returns true when the
 * request was accepted (answered 202): the callback only records it, the
 * processing loop acts on it between two batches. */
typedef bool (*lr_http_reload_fn)(void *ctx);

typedef struct lr_http_opts {
    const lr_http_config *cfg;
    lr_metrics *metrics;
    lr_board *board;            /* NULL: no dashboard (404) */
    lr_http_reload_fn reload;   /* NULL: POST /-/reload answers 503 */
    void *reload_ctx;
} lr_http_opts;

typedef struct lr_http lr_http;

/* Listens on cfg->address:cfg->port. NULL with err set when it cannot. */
lr_http *lr_http_start(const lr_http_opts *opts, lr_err *err);
void lr_http_stop(lr_http *h);
/* The port listened on (the one the system chose when cfg->port was 0). */
int lr_http_port(const lr_http *h);

#endif
