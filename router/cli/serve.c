/* serve.c - see serve.h. */
#include "serve.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "qualify.h"
#include "route.h"

/* lr_hash64 of the file's bytes, as 16 hex digits ("" when unreadable). */
static void file_hash(const char *path, char out[17]) {
    out[0] = 0;
    FILE *f = fopen(path, "rb");
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

static const char **names(size_t n, const char *(*name)(const void *, size_t), const void *cfg) {
    const char **v = calloc(n + 1, sizeof(char *));
    if (!v) abort();
    for (size_t i = 0; i < n; i++) v[i] = name(cfg, i);
    return v;
}
static const char *tier_name(const void *c, size_t i) { return lr_qualify_tier_name(c, i); }
static const char *team_name(const void *c, size_t i) {
    return lr_route_team_name(c, (int32_t)i);
}
static const char *rep_name(const void *c, size_t i) { return lr_route_rep_name(c, (int32_t)i); }

int lr_serve_start(lr_serve *s, const char *config_path, const lr_config *cfg,
                   lr_http_reload_fn reload, void *reload_ctx, lr_err *err) {
    memset(s, 0, sizeof(*s));
    if (!cfg->http.enabled) return 0;
    char hash[17];
    file_hash(config_path, hash);
    const lr_route_config *rc = cfg->rules.route;
    lr_metrics_shape sh = {
        .n_tiers = lr_qualify_tier_count(cfg->rules.qualify),
        .n_teams = lr_route_team_count(rc),
        .n_reps = lr_route_rep_count(rc),
        .version = LR_VERSION,
        .rulebook_hash = hash,
    };
    const char **tiers = names(sh.n_tiers, tier_name, cfg->rules.qualify);
    const char **teams = names(sh.n_teams, team_name, rc);
    const char **reps = names(sh.n_reps, rep_name, rc);
    sh.tiers = tiers;
    sh.teams = teams;
    sh.reps = reps;
    s->metrics = lr_metrics_new(&sh); /* copies the names */
    free(tiers);
    free(teams);
    free(reps);
    lr_http_opts ho = {.cfg = &cfg->http, .metrics = s->metrics, .reload = reload,
                       .reload_ctx = reload_ctx};
    if (!(s->http = lr_http_start(&ho, err))) {
        lr_metrics_free(s->metrics);
        s->metrics = NULL;
        return -1;
    }
    return 0;
}

void lr_serve_stop(lr_serve *s) {
    lr_http_stop(s->http);
    lr_metrics_free(s->metrics);
    memset(s, 0, sizeof(*s));
}
