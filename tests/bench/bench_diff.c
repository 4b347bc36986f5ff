/* bench_diff.c - `lead-router diff` over a generated day: wall time of the
 * whole diff (reading and parsing the JSON lines once, both cores deciding
 * every event, the comparison, the per-lead file and the report).
 *
 *   bench_diff [leads] [runs]     (defaults: 1,000,000 leads, 1 run)
 *
 * Input: leads from lr_gen (3 % repeats, about 12 leads per simulated
 * second, so SLA clocks warn, breach and reassign along the way), written
 * as JSON lines with lr_jsonio_write_input to a temporary file. Rulebooks:
 * the documented example, and the same with the decision_maker rule worth
 * 30 points instead of 20. Allocations are counted by interposing malloc
 * over the run, to show that they do not grow with the leads. Timings never
 * decide a pass or fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "gen.h"
#include "jsonio.h"
#include "whatif.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static unsigned long long n_alloc; /* bench-only: every allocation in the process */

void *malloc(size_t n) {
    n_alloc++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t s) {
    n_alloc++;
    return __libc_calloc(n, s);
}
void *realloc(void *p, size_t n) {
    n_alloc++;
    return __libc_realloc(p, n);
}

static double clock_s(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void write_input(const char *path, long n) {
    FILE *f = fopen(path, "w");
    if (!f) exit(1);
    lr_gen *g = lr_gen_new(42, 1794927600000LL, 12.0);
    lr_arena arena;
    lr_arena_init(&arena, 64 * 1024);
    lr_buf line;
    lr_buf_init(&line);
    lr_json_input *in = calloc(1, sizeof(*in));
    in->kind = LR_JSON_LEAD;
    for (long i = 0; i < n; i++) {
        lr_arena_reset(&arena);
        lr_gen_next_lead(g, &in->u.lead, &arena);
        lr_buf_reset(&line);
        lr_jsonio_write_input(in, &line);
        fwrite(line.data, 1, line.len, f);
    }
    fclose(f);
    free(in);
    lr_buf_free(&line);
    lr_arena_destroy(&arena);
    lr_gen_free(g);
}

/* The example with one weight changed, written next to the input. */
static void write_proposed(const char *example, const char *path) {
    FILE *in = fopen(example, "r"), *out = fopen(path, "w");
    if (!in || !out) exit(1);
    char line[1024];
    bool in_rule = false;
    while (fgets(line, sizeof(line), in)) {
        if (strstr(line, "name: decision_maker")) in_rule = true;
        if (in_rule && strstr(line, "points: 20")) {
            fputs("      points: 30\n", out);
            in_rule = false;
            continue;
        }
        fputs(line, out);
    }
    fclose(in);
    fclose(out);
}

/* Reading alone: what the diff's input costs before any core decides. */
static void parse_only(const char *input, const lr_config *cfg) {
    lr_err err = {0};
    lr_replay_source src;
    lr_replay_file *f = lr_replay_file_open(input, (size_t)cfg->kafka.max_message_bytes, &src, &err);
    lr_json_input *ev = malloc(sizeof(*ev));
    lr_arena arena;
    lr_arena_init(&arena, 64 * 1024);
    long pos, n = 0;
    double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    while (src.next(src.ctx, ev, &arena, &pos, &err) == 0) n++;
    printf("reading and parsing alone: %ld events, %.2f s CPU\n", n,
           clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu);
    lr_arena_destroy(&arena);
    free(ev);
    lr_replay_file_close(f);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int runs = argc > 2 ? atoi(argv[2]) : 1;
    const char *example = LR_SOURCE_DIR "/docs/lead-router.example.yaml";
    char dir[] = "/tmp/lr-bench-diff-XXXXXX", input[128], proposed[128], leads[128];
    if (!mkdtemp(dir)) return 1;
    snprintf(input, sizeof(input), "%s/day.jsonl", dir);
    snprintf(proposed, sizeof(proposed), "%s/proposed.yaml", dir);
    snprintf(leads, sizeof(leads), "%s/leads.jsonl", dir);
    double t0 = clock_s(CLOCK_MONOTONIC);
    write_input(input, n);
    write_proposed(example, proposed);
    printf("generated %ld leads in %.1f s\n", n, clock_s(CLOCK_MONOTONIC) - t0);
    lr_err err = {0};
    lr_config *a = lr_config_load(example, &err), *z = a ? lr_config_load(proposed, &err) : NULL;
    if (!z) return fprintf(stderr, "%s\n", err.msg), 1;
    FILE *devnull = fopen("/dev/null", "w");
    parse_only(input, a);
    for (int r = 0; r < runs; r++) {
        lr_replay_source src;
        lr_replay_file *f = lr_replay_file_open(input, (size_t)a->kafka.max_message_bytes, &src, &err);
        lr_whatif_opts o = {.before = a, .after = z, .before_name = "example",
                            .after_name = "proposed", .report = devnull, .leads_path = leads,
                            .until = LR_TIME_NONE, .fail_pct = -1};
        bool exceeded;
        unsigned long long alloc0 = n_alloc;
        double t = clock_s(CLOCK_MONOTONIC), cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        int rc = lr_whatif_run(&o, &src, &exceeded, &err);
        double dt = clock_s(CLOCK_MONOTONIC) - t, dcpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
        lr_replay_file_close(f);
        if (rc) return fprintf(stderr, "%s\n", err.msg), 1;
        printf("diff of %ld leads: %.2f s wall (%.0f leads/s), %.2f s CPU, %llu allocations "
               "in the run\n", n, dt, (double)n / dt, dcpu, n_alloc - alloc0);
    }
    fclose(devnull);
    unlink(input);
    unlink(proposed);
    unlink(leads);
    rmdir(dir);
    lr_config_free(z);
    lr_config_free(a);
    return 0;
}
