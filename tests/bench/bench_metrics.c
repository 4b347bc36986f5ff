/* bench_metrics.c - what /metrics costs, in CPU time per call:
 *   publish  what the processing thread does every 200 ms: zero the back
 *            snapshot, add a core's counts and KPIs (lr_metrics_add_core),
 *            swap (lr_metrics_publish)
 *   render   what the HTTP thread does per scrape (lr_metrics_render)
 * on the example rulebook (docs/lead-router.example.yaml) after N generated
 * leads were decided, so that every series and histogram holds data.
 *
 *   build/bench_metrics [leads] [calls]
 *
 * The processing thread's share is publish time x 5 per second; the
 * per-lead counting is a few increments inside lr_core_on_lead, measured with
 * it by bench_pipeline. Prints figures; never passes or fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "core.h"
#include "gen.h"
#include "metrics.h"
#include "qualify.h"
#include "route.h"

static double cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static lr_metrics *metrics_for(const lr_config *cfg) {
    const lr_route_config *rc = cfg->rules.route;
    lr_metrics_shape sh = {.n_tiers = lr_qualify_tier_count(cfg->rules.qualify),
                           .n_teams = lr_route_team_count(rc),
                           .n_reps = lr_route_rep_count(rc),
                           .version = "bench", .rulebook_hash = "0000000000000000"};
    const char **t = calloc(sh.n_tiers + 1, sizeof(char *));
    const char **tm = calloc(sh.n_teams + 1, sizeof(char *));
    const char **rp = calloc(sh.n_reps + 1, sizeof(char *));
    for (size_t i = 0; i < sh.n_tiers; i++) t[i] = lr_qualify_tier_name(cfg->rules.qualify, i);
    for (size_t i = 0; i < sh.n_teams; i++) tm[i] = lr_route_team_name(rc, (int32_t)i);
    for (size_t i = 0; i < sh.n_reps; i++) rp[i] = lr_route_rep_name(rc, (int32_t)i);
    sh.tiers = t;
    sh.teams = tm;
    sh.reps = rp;
    lr_metrics *m = lr_metrics_new(&sh);
    free(t);
    free(tm);
    free(rp);
    return m;
}

int main(int argc, char **argv) {
    long n_leads = argc > 1 ? atol(argv[1]) : 200000;
    long calls = argc > 2 ? atol(argv[2]) : 20000;
    lr_err err = {0};
    lr_config *cfg = lr_config_load(LR_SOURCE_DIR "/docs/lead-router.example.yaml", &err);
    if (!cfg) return fprintf(stderr, "bench_metrics: %s\n", err.msg), 1;
    lr_core *core = lr_core_new(&cfg->rules, (size_t)n_leads);
    lr_gen *g = lr_gen_new(7, 1794927600000LL, 20.0);
    lr_arena arena;
    lr_arena_init(&arena, 1 << 16);
    lr_out out;
    lr_out_init(&out);
    lr_lead lead;
    for (long i = 0; i < n_leads; i++) {
        if (i % 1000 == 0) lr_arena_reset(&arena);
        lr_gen_next_lead(g, &lead, &arena);
        lr_core_on_lead(core, &lead, lead.event_time, &out);
        lr_out_reset(&out);
    }
    lr_metrics *m = metrics_for(cfg);
    double t0 = cpu_ns();
    for (long i = 0; i < calls; i++) {
        lr_metrics_snap *s = lr_metrics_back(m);
        lr_metrics_add_core(s, m, core);
        lr_metrics_publish(m);
    }
    double publish = (cpu_ns() - t0) / (double)calls;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    t0 = cpu_ns();
    for (long i = 0; i < calls; i++) len = lr_metrics_render(m, &buf, &cap);
    double render = (cpu_ns() - t0) / (double)calls;
    printf("bench_metrics: %ld leads decided, example rulebook (%zu teams, %zu reps)\n",
           n_leads, lr_route_team_count(cfg->rules.route), lr_route_rep_count(cfg->rules.route));
    printf("publish: %.2f us per call; at 5 per second %.4f %% of the processing thread\n",
           publish / 1e3, publish * 5 / 1e9 * 100);
    printf("render:  %.2f us per scrape (%zu bytes), on the HTTP thread\n", render / 1e3, len);
    free(buf);
    lr_metrics_free(m);
    lr_out_destroy(&out);
    lr_arena_destroy(&arena);
    lr_gen_free(g);
    lr_core_free(core);
    lr_config_free(cfg);
    return 0;
}
