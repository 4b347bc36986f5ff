/* serve.c - see serve.h. */
#include "serve.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

/* lr_hash64 of the file's bytes, as 16 hex digits ("" when unreadable). */
static void file_hash(const char *path, char out[17]) {
    out[0] = 0;
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) return;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            char *b = realloc(buf, cap);
            if (!b) abort();
            buf = b;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    snprintf(out, 17, "%016" PRIx64, lr_hash64(buf ? buf : "", len));
    free(buf);
}

int lr_serve_start(lr_serve *s, const char *config_path, const lr_config *cfg,
                   lr_http_reload_fn reload, void *reload_ctx, lr_err *err) {
    memset(s, 0, sizeof(*s));
    err->msg[0] = 0;
    s->webhooks = lr_webhook_new(&cfg->alerts, err);
    if (!s->webhooks && err->msg[0]) return -1;
    if (!cfg->http.enabled) return 0;
    s->config_path = config_path;
    char hash[17];
    file_hash(config_path, hash);
    lr_metrics_shape sh;
    lr_metrics_shape_of(&sh, &cfg->rules);
    sh.version = LR_VERSION;
    sh.rulebook_hash = hash;
    s->metrics = lr_metrics_new(&sh); /* copies the names */
    lr_metrics_shape_destroy(&sh);
    s->board = lr_board_new();
    if (s->webhooks) lr_metrics_set_webhook_counts(s->metrics, lr_webhook_counts_get(s->webhooks));
    lr_http_opts ho = {.cfg = &cfg->http, .metrics = s->metrics, .board = s->board,
                       .reload = reload, .reload_ctx = reload_ctx};
    if (!(s->http = lr_http_start(&ho, err))) {
        lr_metrics_free(s->metrics);
        lr_board_free(s->board);
        lr_webhook_free(s->webhooks);
        memset(s, 0, sizeof(*s));
        return -1;
    }
    return 0;
}

/* The file was read again moments ago by the reload that took effect; its
 * bytes are hashed here, once per reload, off the hot path. */
void lr_serve_on_reload(void *ctx, bool ok, lr_time_ms at) {
    lr_serve *s = ctx;
    if (!s->metrics) return;
    if (!ok) {
        lr_metrics_reload_failed(s->metrics);
        return;
    }
    char hash[17];
    file_hash(s->config_path, hash);
    lr_metrics_set_rulebook_hash(s->metrics, hash);
    lr_metrics_reload_succeeded(s->metrics, (double)at / 1000.0);
}

void lr_serve_stop(lr_serve *s) {
    lr_http_stop(s->http);
    lr_webhook_free(s->webhooks); /* drains before the metrics that count it go */
    lr_metrics_free(s->metrics);
    lr_board_free(s->board);
    memset(s, 0, sizeof(*s));
}
