/* bench_sla_clocks.c - one million open SLA clocks.
 *
 * Part 1, the timing wheel alone: heap bytes per open clock (mallinfo2, every
 * allocation included), ns to start / stop / fire one clock, and how late
 * clocks fire when time advances in fixed steps (in 1 ms ticks), plus the cost
 * of one advance call under that load.
 *
 * Part 2, the whole lifecycle: one million leads assigned with an open clock
 * (lead records, id index, clocks, KPIs): bytes per open lead, ns per
 * assignment, ns per fired phase including the alert events.
 *
 * Usage: bench_sla_clocks [clocks] [step_ms]   (defaults 1000000, 10); the
 * wheel part also runs with 1 s steps, where the per-call overhead is spread
 * over more clocks per call. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "cfg.h"
#include "rules.h"
#include "event.h"
#include "lifecycle.h"
#include "qualify.h"
#include "route.h"
#include "rules.h"
#include "tz.h"
#include "wheel.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const lr_time_ms *sort_due;
static int cmp_by_due(const void *a, const void *b) {
    lr_time_ms x = sort_due[*(const size_t *)a], y = sort_due[*(const size_t *)b];
    return (x > y) - (x < y);
}

/* ---- part 1: the wheel ------------------------------------------------------- */

static void bench_wheel(size_t n, lr_time_ms step, bool hint) {
    const lr_time_ms t0 = 1800000000000LL;
    const lr_time_ms span = 2 * LR_DAY_MS; /* deadlines from 1 s to 2 days ahead */
    uint32_t *ids = malloc(n * sizeof(uint32_t));
    lr_time_ms *due = malloc(n * sizeof(lr_time_ms));
    for (size_t i = 0; i < n; i++) due[i] = t0 + 1000 + (lr_time_ms)(rnd() % (uint64_t)span);

    size_t before = heap_used();
    lr_wheel *w = lr_wheel_new(hint ? n : 0); /* without a hint, growth slack counts */
    lr_wheel_advance(w, t0);
    double t = now_ns();
    for (size_t i = 0; i < n; i++) ids[i] = lr_wheel_start(w, due[i], (uint32_t)i);
    double start_ns = (now_ns() - t) / (double)n;
    size_t bytes = heap_used() - before;

    /* stop and restart a tenth of them, at random */
    size_t m = n / 10;
    size_t *pick = malloc(m * sizeof(size_t));
    for (size_t i = 0; i < m; i++) pick[i] = (size_t)(rnd() % n);
    t = now_ns();
    for (size_t i = 0; i < m; i++) {
        if (ids[pick[i]]) lr_wheel_stop(w, ids[pick[i]]);
        ids[pick[i]] = 0;
    }
    double stop_ns = (now_ns() - t) / (double)m;
    for (size_t i = 0; i < m; i++)
        if (!ids[pick[i]]) ids[pick[i]] = lr_wheel_start(w, due[pick[i]], (uint32_t)pick[i]);

    /* next_due while the earliest clocks are stopped one by one, as when reps
     * answer in deadline order (the worst case for its cached minimum) */
    size_t k = n < 100000 ? n : 100000;
    size_t *order = malloc(n * sizeof(size_t));
    for (size_t i = 0; i < n; i++) order[i] = i;
    sort_due = due;
    qsort(order, n, sizeof(size_t), cmp_by_due);
    double *nd_ns = malloc(k * sizeof(double));
    for (size_t i = 0; i < k; i++) {
        double c0 = now_ns();
        volatile lr_time_ms nd = lr_wheel_next_due(w);
        (void)nd;
        nd_ns[i] = now_ns() - c0;
        lr_wheel_stop(w, ids[order[i]]);
    }
    for (size_t i = 0; i < k; i++) ids[order[i]] = lr_wheel_start(w, due[order[i]], (uint32_t)order[i]);
    qsort(nd_ns, k, sizeof(double), cmp_double);
    free(order);

    /* fire everything, advancing in fixed steps as a live timer would */
    size_t fired = 0, calls = 0;
    double late_sum = 0;
    lr_time_ms late_max = 0;
    size_t n_samples = (size_t)(span / step) + 2;
    double *call_ns = malloc(n_samples * sizeof(double));
    double fire_total = 0;
    for (lr_time_ms now = t0; fired < n; now += step) {
        double c0 = now_ns();
        uint32_t id;
        while ((id = lr_wheel_pop(w, now)) != LR_WHEEL_NONE) {
            lr_time_ms late = now - lr_wheel_due(w, id);
            if (late < 0) {
                fprintf(stderr, "fired %lld ms early\n", (long long)-late);
                exit(1);
            }
            late_sum += (double)late;
            if (late > late_max) late_max = late;
            lr_wheel_stop(w, id);
            fired++;
        }
        double dt = now_ns() - c0;
        fire_total += dt;
        if (calls < n_samples) call_ns[calls] = dt;
        calls++;
    }
    size_t ns = calls < n_samples ? calls : n_samples;
    qsort(call_ns, ns, sizeof(double), cmp_double);
    printf("wheel: %zu open clocks, deadlines 1 s .. 2 d ahead, 1 ms resolution\n", n);
    printf("  memory          %.1f bytes per open clock (heap, all overhead, %s)\n",
           (double)bytes / (double)n, hint ? "sized for n up front" : "grown on demand");
    printf("  start           %.1f ns per clock\n", start_ns);
    printf("  stop            %.1f ns per clock (random clocks)\n", stop_ns);
    printf("  fire            %.1f ns per clock (all advance calls / clocks fired: pop, stop,\n"
           "                  cascades and the calls that fire nothing included)\n",
           fire_total / (double)fired);
    printf("  next_due        p50 %.0f ns, p99 %.0f ns, max %.0f ns (earliest clocks stopped one "
           "by one)\n", nd_ns[k / 2], nd_ns[k * 99 / 100], nd_ns[k - 1]);
    free(nd_ns);
    printf("  advance step    %lld ms: %zu advance calls\n", (long long)step, calls);
    printf("  lateness        mean %.2f ticks, max %lld ticks (1 tick = 1 ms; bound: step - 1)\n",
           late_sum / (double)fired, (long long)late_max);
    printf("  advance call    p50 %.0f ns, p99 %.0f ns, max %.0f ns\n", call_ns[ns / 2],
           call_ns[ns * 99 / 100], call_ns[ns - 1]);
    lr_wheel_free(w);
    free(call_ns);
    free(pick);
    free(ids);
    free(due);
}

/* ---- part 2: the lifecycle --------------------------------------------------- */

static const char *yaml =
    "qualification:\n"
    "  tiers: [{ name: hot, min_score: 80 }]\n"
    "routing:\n"
    "  rules: [{ name: all, team: t }]\n"
    "teams:\n"
    "  - { name: t, strategy: round_robin, timezone: UTC, queue: q, manager: m,\n"
    "      members: [{ rep: r0 }, { rep: r1 }, { rep: r2 }, { rep: r3 }] }\n"
    "reps: [{ id: r0 }, { id: r1 }, { id: r2 }, { id: r3 }, { id: m, assignable: false }]\n"
    "sla:\n"
    "  policies:\n"
    "    - name: hot\n"
    "      tier: hot\n"
    "      first_touch: 4h\n"
    "      warn_at: 80%\n"
    "      escalation: [{ action: notify_manager }, { action: escalate, after: 1h }]\n";

static void bench_lifecycle(size_t n, lr_time_ms step) {
    lr_err err = {0};
    lr_tz_db *tz = lr_tz_db_new(NULL);
    lr_cfg_doc *doc = lr_cfg_load_string("bench.yaml", yaml, &err);
    const lr_cfg_node *root = doc ? lr_cfg_root(doc) : NULL;
    lr_qualify_config *q = root ? lr_qualify_config_parse(lr_cfg_get(root, "qualification"), &err) : NULL;
    lr_route_config *r = q ? lr_route_config_parse(root, tz, &err) : NULL;
    lr_sla_config *s = r ? lr_sla_config_parse(lr_cfg_get(root, "sla"), tz, q, r, &err) : NULL;
    if (!s) {
        fprintf(stderr, "bench config: %s\n", err.msg);
        exit(1);
    }
    lr_route_state *rs = lr_route_state_new(r);
    lr_out out;
    lr_out_init(&out);
    const lr_time_ms t0 = 1800000000000LL;
    char id[32];
    /* grow the output buffer to its working size first: it is not the lifecycle's */
    for (int i = 0; i < 4200; i++) lr_out_push(&out, LR_EVENT_DECISION);
    for (int i = 0; i < 4200; i++) lr_arena_printf(&out.arena, "lead-%d:status:%d", i, i);
    lr_out_reset(&out);

    size_t before = heap_used();
    lr_lifecycle *lc = lr_lifecycle_new(s, q, r, rs, n); /* the core passes expected_leads */
    double assign_total = 0;
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(id, sizeof(id), "lead-%zu", i);
        lr_lead lead;
        memset(&lead, 0, sizeof(lead));
        lead.lead_id = (lr_str){id, (uint32_t)len};
        lead.source = (lr_str){"web", 3};
        lead.campaign = (lr_str){i % 2 ? "spring" : "autumn", 6};
        lr_time_ms now = t0 + (lr_time_ms)(i % 3600000); /* a million leads within an hour */
        lead.event_time = now;
        double c0 = now_ns();
        int64_t seq = lr_lifecycle_next_seq_since(lc, &lead, NULL);
        lr_decision *d = &lr_out_push(&out, LR_EVENT_DECISION)->u.decision;
        d->seq = seq;
        d->lead_id = lead.lead_id;
        d->stage = LR_STAGE_SALES_READY;
        d->tier = lr_qualify_tier_name(q, 0);
        d->event_time = now;
        d->decided_at = now;
        lr_route_result res = {0, (int32_t)(i % 4), "t", NULL, NULL, "all", false};
        lr_lifecycle_decided(lc, &lead, d, &res, now, &out);
        assign_total += now_ns() - c0;
        if (out.n > 4096) lr_out_reset(&out);
    }
    lr_out_reset(&out);
    size_t bytes = heap_used() - before;
    size_t open = lr_lifecycle_open_clocks(lc);

    /* fire: warning, breach (+ status), notify, escalate per lead */
    lr_reassign ra[8];
    size_t events = 0;
    double fire_total = 0;
    lr_time_ms end = t0 + 3600000 + 6 * LR_HOUR_MS;
    for (lr_time_ms now = t0; now <= end; now += step) {
        double c0 = now_ns();
        lr_lifecycle_advance(lc, now, &out, ra, 8);
        fire_total += now_ns() - c0;
        events += out.n;
        lr_out_reset(&out);
    }
    printf("lifecycle: %zu leads assigned, %zu open clocks\n", n, open);
    printf("  memory          %.1f bytes per open lead (record %zu B + id index + clock + KPIs)\n",
           (double)bytes / (double)n, sizeof(lr_lead_rec));
    printf("  assign          %.1f ns per lead (record, policy, deadline, clock, status event)\n",
           assign_total / (double)n);
    printf("  fire            %.1f ns per event (%zu warnings/breaches/statuses/escalations)\n",
           fire_total / (double)events, events);
    lr_lifecycle_free(lc);
    lr_out_destroy(&out);
    lr_route_state_free(rs);
    lr_sla_config_free(s);
    lr_route_config_free(r);
    lr_qualify_config_free(q);
    lr_cfg_free(doc);
    lr_tz_db_free(tz);
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    lr_time_ms step = argc > 2 ? strtoll(argv[2], NULL, 10) : 10;
    if (!n || step <= 0) {
        fprintf(stderr, "usage: %s [clocks] [step_ms]\n", argv[0]);
        return 2;
    }
    bench_wheel(n, step, false);
    if (step != 1000) bench_wheel(n, 1000, true);
    bench_lifecycle(n, step);
    return 0;
}
