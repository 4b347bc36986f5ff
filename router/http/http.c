/* http.c - see http.h. Every answer is built on the HTTP thread; the
 * handler never touches Kafka or the decision state. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lr_http {
    struct MHD_Daemon *d;
    lr_http_opts opts;
    lr_http_config cfg;
    pthread_mutex_t lock;  /* the render buffer (MHD may serve on one thread only, but be safe) */
    char *buf;
    size_t cap;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
                              const char *body, size_t len, enum MHD_ResponseMemoryMode mode) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg) {
    return answer(c, status, "text/plain; charset=utf-8", msg, strlen(msg),
                  MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result metrics(lr_http *h, struct MHD_Connection *c) {
    pthread_mutex_lock(&h->lock);
    size_t n = lr_metrics_render(h->opts.metrics, &h->buf, &h->cap);
    enum MHD_Result ok = answer(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                                h->buf, n, MHD_RESPMEM_MUST_COPY);
    pthread_mutex_unlock(&h->lock);
    return ok;
}

static enum MHD_Result healthz(lr_http *h, struct MHD_Connection *c) {
    if (lr_metrics_healthy(h->opts.metrics, lr_metrics_mono_ms(), h->cfg.health_timeout_ms))
        return text(c, MHD_HTTP_OK, "ok\n");
    return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the main loop has not turned in time\n");
}

static enum MHD_Result readyz(lr_http *h, struct MHD_Connection *c) {
    const char *why;
    bool ready = lr_metrics_ready(h->opts.metrics, &why);
    char msg[128];
    snprintf(msg, sizeof(msg), "%s\n", why);
    return text(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, msg);
}

static enum MHD_Result reload(lr_http *h, struct MHD_Connection *c) {
    if (!h->cfg.enable_reload)
        return text(c, MHD_HTTP_FORBIDDEN, "reload over HTTP is off (http.enable_reload)\n");
    if (!h->opts.reload) return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "reload not available\n");
    if (!h->opts.reload(h->opts.reload_ctx))
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "reload not accepted\n");
    return text(c, MHD_HTTP_ACCEPTED, "reload requested\n");
}

extern const char lr_dashboard_html[]; /* router/http/dashboard.html, built in */

static enum MHD_Result dashboard(lr_http *h, struct MHD_Connection *c, bool page) {
    if (!h->opts.board) return text(c, MHD_HTTP_NOT_FOUND, "no dashboard in this run\n");
    if (page)
        return answer(c, MHD_HTTP_OK, "text/html; charset=utf-8", lr_dashboard_html,
                      strlen(lr_dashboard_html), MHD_RESPMEM_PERSISTENT);
    char *json = lr_board_render(h->opts.board, lr_metrics_mono_ms());
    if (!json) return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render\n");
    return answer(c, MHD_HTTP_OK, "application/json", json, strlen(json), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls) {
    lr_http *h = cls;
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (strcmp(url, "/-/reload") == 0) {
        if (strcmp(method, "POST") != 0) return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST\n");
        /* the first call only announces the request; answer once its body is read */
        if (*con_cls == NULL) {
            *con_cls = h;
            return MHD_YES;
        }
        if (*upload_size) {
            *upload_size = 0; /* the body is ignored */
            return MHD_YES;
        }
        return reload(h, c);
    }
    if (!get) return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET\n");
    if (strcmp(url, "/metrics") == 0) return metrics(h, c);
    if (strcmp(url, "/healthz") == 0) return healthz(h, c);
    if (strcmp(url, "/readyz") == 0) return readyz(h, c);
    if (strcmp(url, "/") == 0 || strcmp(url, "/dashboard") == 0) return dashboard(h, c, true);
    if (strcmp(url, "/api/state") == 0) return dashboard(h, c, false);
    return text(c, MHD_HTTP_NOT_FOUND,
                "not found: /, /api/state, /metrics, /healthz, /readyz, /-/reload\n");
}

lr_http *lr_http_start(const lr_http_opts *opts, lr_err *err) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)opts->cfg->port);
    if (inet_pton(AF_INET, opts->cfg->address, &sa.sin_addr) != 1) {
        lr_err_set(err, LR_ERR_FATAL, "http.address %s is not an IPv4 address",
                   opts->cfg->address);
        return NULL;
    }
    lr_http *h = calloc(1, sizeof(*h));
    if (!h) abort();
    h->opts = *opts;
    h->cfg = *opts->cfg;
    pthread_mutex_init(&h->lock, NULL);
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                            (uint16_t)opts->cfg->port, NULL, NULL, handle, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
    if (!h->d) {
        lr_err_set(err, LR_ERR_FATAL, "http: cannot listen on %s:%lld", opts->cfg->address,
                   (long long)opts->cfg->port);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    return h;
}

int lr_http_port(const lr_http *h) {
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? (int)i->port : (int)h->cfg.port;
}

void lr_http_stop(lr_http *h) {
    if (!h) return;
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->lock);
    free(h->buf);
    free(h);
}
