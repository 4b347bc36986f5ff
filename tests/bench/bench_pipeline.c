/* bench_pipeline.c - leads per second through codec plus decision core, one core.
 *
 *   bench_pipeline [leads] [runs]     (defaults: 300000 leads, 3 runs)
 *
 * A realistic rulebook is generated in memory: 30 scoring rules (20 fit, 10
 * engagement), 10 routing rules, 5 teams of 10 reps with caps, an account
 * table and SLA policies with escalation ladders. Leads come from lr_gen (about
 * 20 fields and a few activities each, 3 % repeats) at 20 leads per simulated
 * second, pre-encoded in one buffer as a fetched batch would hold them. Each
 * run builds a fresh core and replays every lead with event time, so SLA
 * warnings, breaches and reassignments fire along the way. Three passes per
 * run isolate the stages:
 *   decode              Avro -> lr_lead
 *   decode+core         ... -> score, qualify, route, lifecycle -> events
 *   decode+core+encode  ... -> every event Avro-encoded (the whole hot path)
 * Allocations are counted by interposing malloc in this binary, over the
 * second half of the last full pass (steady state). CPU time of this thread.
 * Timings never decide a pass or fail. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "config.h"
#include "core.h"
#include "gen.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static unsigned long long n_alloc; /* bench-only: counts every allocation in the process */

void *malloc(size_t n) {
    n_alloc++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
    n_alloc++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
    n_alloc++;
    return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }

static double cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* ---- the rulebook ------------------------------------------------------------ */

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return;
        }
        *cap *= 2;
        *buf = realloc(*buf, *cap);
    }
}

static const char *const regions[] = {"NA", "EU", "APAC", "LATAM", "MEA"};
static const char *const industries[] = {"software", "fintech", "healthcare", "retail",
                                         "manufacturing", "logistics", "education",
                                         "media", "energy", "telecom"};

static char *rulebook(void) {
    size_t cap = 1 << 16, len = 0;
    char *y = malloc(cap);
    y[0] = '\0';
#define A(...) append(&y, &len, &cap, __VA_ARGS__)
    A("scoring:\n  fit:\n");
    A("    - {name: size_1000, field: company_size, range: {min: 1000}, points: 30}\n");
    A("    - {name: size_200, field: company_size, range: {min: 200, max: 999}, points: 20}\n");
    A("    - {name: size_small, field: company_size, range: {max: 49}, points: -10}\n");
    A("    - {name: revenue_big, field: annual_revenue, range: {min: 100000000}, points: 15}\n");
    for (int i = 0; i < 5; i++)
        A("    - {name: industry_%d, field: industry, equals: %s, points: %d}\n", i, industries[i],
          5 + i);
    A("    - {name: title_exec, field: job_title, regex: \"(?i)(chief|vp|vice president|head of|director)\", points: 20}\n");
    A("    - {name: title_manager, field: job_title, regex: \"(?i)manager\", points: 8}\n");
    A("    - {name: student, field: job_title, prefix: student, points: -30}\n");
    A("    - {name: free_mail, field: email_domain, one_of: [gmail.com, yahoo.com, hotmail.com, outlook.com, gmx.de, web.de], points: -20}\n");
    A("    - {name: competitor, field: email_domain, suffix: competitor.example, points: -100}\n");
    A("    - {name: has_phone, field: phone, present: true, points: 5}\n");
    A("    - {name: no_company, field: company_name, present: false, points: -10}\n");
    A("    - {name: region_core, field: region, one_of: [NA, EU], points: 5}\n");
    A("    - {name: paid, field: source, equals: paid_search, points: 3}\n");
    A("    - {name: event, field: source, equals: event, points: 4}\n");
    A("    - {name: plan_enterprise, field: attrs.plan, equals: enterprise, points: 10}\n");
    A("  engagement:\n    half_life: 14d\n    rules:\n");
    A("      - {activity: demo_request, points: 40, cap: 40}\n"
      "      - {activity: pricing_page, points: 10, cap: 30}\n"
      "      - {activity: webinar_attended, points: 15, cap: 30}\n"
      "      - {activity: content_download, points: 8, cap: 24}\n"
      "      - {activity: email_click, points: 3, cap: 15}\n"
      "      - {activity: email_open, points: 1, cap: 5}\n"
      "      - {activity: free_trial, points: 25, cap: 25}\n"
      "      - {activity: unsubscribe, points: -25}\n"
      "      - {activity: email_bounced, points: -15}\n"
      "      - {activity: spam_complaint, points: -50}\n");
    A("qualification:\n  tiers:\n    - {name: hot, min_score: 80}\n    - {name: warm, min_score: 50}\n"
      "    - {name: cold, min_score: 25}\n  sales_ready_score: 55\n  marketing_qualified_score: 30\n"
      "  disqualify_below: -20\n  overrides:\n"
      "    - {name: no_consent, field: consent, equals: \"false\", stage: disqualified}\n"
      "    - {name: fast_lane, activity: demo_request, stage: sales_ready, tier: hot}\n"
      "  duplicate_window: 7d\n");
    A("routing:\n  rules:\n");
    for (int i = 0; i < 9; i++)
        A("    - name: rule_%d\n      when:\n        - {field: region, equals: %s}\n"
          "        - {field: industry, one_of: [%s, %s]}\n      team: team_%d\n",
          i, regions[i % 5], industries[i % 10], industries[(i + 3) % 10], i % 5);
    A("    - {name: catch_all, team: team_4}\n");
    A("  accounts:\n");
    for (int i = 0; i < 20; i++) A("    - {domain: account%d.example, owner: rep_%d_%d}\n", i, i % 5, i % 10);
    A("teams:\n");
    static const char *const strategies[] = {"round_robin", "weighted", "least_loaded"};
    for (int t = 0; t < 5; t++) {
        A("  - name: team_%d\n    strategy: %s\n    timezone: UTC\n    queue: queue_%d\n"
          "    manager: mgr_%d\n%s    members:\n",
          t, strategies[t % 3], t, t, t < 4 ? "    overflow: team_4\n" : "");
        for (int r = 0; r < 10; r++) A("      - {rep: rep_%d_%d, weight: %d}\n", t, r, 1 + r % 3);
    }
    A("reps:\n");
    for (int t = 0; t < 5; t++) {
        A("  - {id: mgr_%d, assignable: false}\n", t);
        for (int r = 0; r < 10; r++)
            A("  - {id: rep_%d_%d, timezone: %s, max_open: 100000, skills: [english]}\n", t, r,
              t == 1 ? "Europe/Berlin" : "America/New_York");
    }
    A("sla:\n  policies:\n"
      "    - {name: hot, tier: hot, first_touch: 15m, warn_at: 80%%, escalation: [{action: notify_manager}, {action: reassign, after: 15m}]}\n"
      "    - {name: warm, tier: warm, first_touch: 4h, warn_at: 75%%, escalation: [{action: notify_manager}]}\n"
      "    - {name: other, first_touch: 2d, escalation: [{action: notify_manager}]}\n"
      "  max_reassignments: 1\n");
#undef A
    return y;
}

/* ---- the run --------------------------------------------------------------------- */

typedef struct batch {
    uint8_t *bytes;
    size_t *off; /* n + 1 offsets */
    size_t n;
} batch;

static batch make_batch(lr_codec *codec, size_t n) {
    batch b = {0};
    lr_gen *g = lr_gen_new(7, 1794927600000LL, 20.0);
    lr_arena arena;
    lr_arena_init(&arena, 1 << 16);
    lr_buf buf;
    lr_buf_init(&buf);
    lr_lead *lead = malloc(sizeof(*lead));
    b.off = malloc((n + 1) * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        lr_arena_reset(&arena);
        lr_gen_next_lead(g, lead, &arena);
        b.off[i] = buf.len;
        lr_codec_encode_lead(codec, lead, &buf);
    }
    b.off[n] = buf.len;
    b.bytes = buf.data;
    b.n = n;
    free(lead);
    lr_arena_destroy(&arena);
    lr_gen_free(g);
    return b;
}

enum { DECODE_ONLY, WITH_CORE, WITH_ENCODE };

typedef struct result {
    double ns;
    uint64_t events;
    unsigned long long allocs_half; /* allocations over the second half */
} result;

static result run(const lr_config *cfg, lr_codec *codec, const batch *b, int mode) {
    lr_core *core = lr_core_new(&cfg->rules, b->n);
    lr_out out;
    lr_out_init(&out);
    lr_arena arena;
    lr_arena_init(&arena, 1 << 16);
    lr_buf enc;
    lr_buf_init(&enc);
    lr_lead *lead = malloc(sizeof(*lead));
    const char *reason;
    result r = {0};
    unsigned long long a0 = 0;
    double t0 = cpu_ns();
    for (size_t i = 0; i < b->n; i++) {
        if (i == b->n / 2) a0 = n_alloc;
        if (i % 1000 == 0) lr_arena_reset(&arena); /* a fetched batch */
        if (lr_codec_decode_lead(codec, b->bytes + b->off[i], b->off[i + 1] - b->off[i], lead,
                                 &arena, &reason) != LR_CODEC_OK)
            continue;
        if (mode == DECODE_ONLY) continue;
        lr_core_on_lead(core, lead, lead->event_time, &out);
        r.events += out.n;
        if (mode == WITH_ENCODE) {
            for (size_t e = 0; e < out.n; e++) {
                lr_buf_reset(&enc);
                lr_codec_encode_event(codec, &out.ev[e], &enc);
            }
        }
        lr_out_reset(&out);
    }
    r.ns = cpu_ns() - t0;
    r.allocs_half = n_alloc - a0;
    free(lead);
    lr_buf_free(&enc);
    lr_arena_destroy(&arena);
    lr_out_destroy(&out);
    lr_core_free(core);
    return r;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 300000;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    if (runs < 1 || runs > 15) runs = 3;
    char *yaml = rulebook();
    lr_err err = {0};
    lr_config *cfg = lr_config_load_string("<bench rulebook>", yaml, &err);
    if (!cfg) {
        fprintf(stderr, "bench rulebook refused: %s\n", err.msg);
        return 1;
    }
    lr_codec_ids ids = {1, 2, 3, 4, 5};
    lr_codec *codec = lr_codec_new(&ids, 1 << 20, &err);
    batch b = make_batch(codec, n);
    printf("bench_pipeline: %zu leads (%.0f bytes avg), rulebook of 30 scoring rules, 10 routing "
           "rules, 5 teams x 10 reps; median of %d runs, one core\n",
           n, (double)b.off[n] / (double)n, runs);
    const char *names[] = {"decode", "decode+core", "decode+core+encode"};
    double med[3];
    result last[3];
    for (int m = 0; m < 3; m++) {
        double v[15];
        for (int i = 0; i < runs; i++) {
            last[m] = run(cfg, codec, &b, m);
            v[i] = last[m].ns;
        }
        qsort(v, (size_t)runs, sizeof(double), cmp);
        med[m] = v[runs / 2];
    }
    printf("%-20s %12s %12s %14s %16s\n", "stage", "ns/lead", "leads/s", "events/lead",
           "allocs/lead");
    for (int m = 0; m < 3; m++)
        printf("%-20s %12.0f %12.0f %14.2f %16.4f\n", names[m], med[m] / (double)n,
               (double)n / (med[m] / 1e9), (double)last[m].events / (double)n,
               (double)last[m].allocs_half / (double)(n - n / 2));
    printf("core alone: %.0f ns/lead (%.0f leads/s); encode of its events: %.0f ns/lead\n",
           (med[1] - med[0]) / (double)n, (double)n / ((med[1] - med[0]) / 1e9),
           (med[2] - med[1]) / (double)n);
    lr_codec_free(codec);
    lr_config_free(cfg);
    free(b.bytes);
    free(b.off);
    free(yaml);
    return 0;
}
