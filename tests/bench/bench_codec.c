/* bench_codec.c - cost of the Avro codec on one core, against avro-c.
 *
 *   bench_codec [leads] [runs]      (defaults: 1000000 leads, 3 runs)
 *
 * Generates the leads with lr_gen, frames them one after another in a single
 * buffer (as a fetched Kafka batch would hold them), then times:
 *   - our decode of every lead (arena reset every 1000 leads, like a batch),
 *   - our encode of a typical sales-ready decision per lead (9 reasons),
 *   - our encode of the lead itself,
 *   - avro-c's generic decode of the same bytes (value reset and reused).
 * Allocations are counted by interposing malloc/calloc/realloc/free in this
 * binary (glibc's __libc_* entry points do the real work); the counts are
 * taken after a warm-up pass, so they show steady state. Times are the
 * thread's CPU time, so other processes on a shared machine inflate them
 * less than wall time would. Prints a table with the median of the runs.
 * Timings never decide a pass or fail. */
#include "codec.h"
#include "gen.h"

#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- allocation counting ---- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static unsigned long long n_alloc; /* bench-only global: counts every process allocation */

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

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return v[n / 2];
}

/* A decision like the core makes for a sales-ready lead. */
static void make_decision(lr_decision *d, const lr_lead *l, char *id, size_t id_cap, int64_t seq) {
    memset(d, 0, offsetof(lr_decision, reasons));
    snprintf(id, id_cap, "%s:decision:%lld", l->lead_id.s, (long long)seq);
    d->event_id = id;
    d->seq = seq;
    d->lead_id = l->lead_id;
    d->stage = LR_STAGE_SALES_READY;
    d->tier = "hot";
    d->team = "na_commercial";
    d->rep = "alice";
    d->score = 87.5;
    d->fit = 55;
    d->engagement = 32.5;
    d->cause = LR_CAUSE_NEW;
    d->attempt = 1;
    d->event_time = l->event_time;
    d->decided_at = l->event_time + 3;
    d->sla_due_at = l->event_time + 15 * LR_MINUTE_MS;
    d->source = l->source;
    d->campaign = l->campaign;
    lr_decision_add_reason(d, LR_REASON_FIT_RULE, "enterprise_size", NULL, 30, "company_size 4200 >= 1000");
    lr_decision_add_reason(d, LR_REASON_FIT_RULE, "decision_maker", NULL, 20, "job_title matches");
    lr_decision_add_reason(d, LR_REASON_ENGAGEMENT_RULE, "demo_request", NULL, 38.2, "1x, decayed");
    lr_decision_add_reason(d, LR_REASON_ENGAGEMENT_RULE, "pricing_page", NULL, 9.1, "1x, decayed");
    lr_decision_add_reason(d, LR_REASON_THRESHOLD, "hot", NULL, 0, "score 87.5 >= 80");
    lr_decision_add_reason(d, LR_REASON_ROUTING_RULE, "north_america", NULL, 0, "country US");
    lr_decision_add_reason(d, LR_REASON_STRATEGY, "na_commercial", NULL, 0, "least_loaded");
    lr_decision_add_reason(d, LR_REASON_SKIPPED, NULL, "carol", 0, "out_of_office");
    lr_decision_add_reason(d, LR_REASON_CHOSEN, NULL, "alice", 0, "open 3/25");
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 1000) n = 1000;
    if (runs < 1) runs = 1;
    if (runs > 15) runs = 15;

    lr_err err = {0};
    lr_codec_ids ids = {1, 2, 3, 4, 5};
    lr_codec *c = lr_codec_new(&ids, 1 << 20, &err);
    if (!c) {
        fprintf(stderr, "codec: %s\n", err.msg);
        return 1;
    }

    /* the input: n framed leads, back to back */
    lr_gen *g = lr_gen_new(1, 1795000000000LL, 200);
    lr_arena arena;
    lr_arena_init(&arena, 0);
    lr_buf in;
    lr_buf_init(&in);
    size_t *off = __libc_malloc((n + 1) * sizeof(size_t));
    lr_lead *lead = __libc_malloc(sizeof(*lead));
    for (size_t i = 0; i < n; i++) {
        if (i % 1000 == 0) lr_arena_reset(&arena);
        lr_gen_next_lead(g, lead, &arena);
        off[i] = in.len;
        lr_codec_encode_lead(c, lead, &in);
    }
    off[n] = in.len;
    lr_gen_free(g);
    printf("%zu leads, %.1f bytes each on average, %d runs, median shown\n", n,
           (double)in.len / (double)n, runs);

    double dec_ns[15], dec_al[15], encd_ns[15], encd_al[15], encl_ns[15], encl_al[15];
    double avro_ns[15], avro_al[15];
    lr_buf out;
    lr_buf_init(&out);
    lr_event *ev = __libc_malloc(sizeof(*ev));
    ev->kind = LR_EVENT_DECISION;
    char id[128];
    size_t bad = 0, out_bytes = 0;

    /* avro-c's generic reader over the same bytes */
    size_t slen;
    const char *sjson = lr_schemas_json(LR_SCHEMA_LEAD, &slen);
    avro_schema_t schema;
    if (avro_schema_from_json_length(sjson, slen, &schema)) {
        fprintf(stderr, "avro: %s\n", avro_strerror());
        return 1;
    }
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t value;
    avro_generic_value_new(iface, &value);

    for (int r = -1; r < runs; r++) { /* run -1 warms arenas and buffers */
        /* our decode */
        unsigned long long a0 = n_alloc;
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            if (i % 1000 == 0) lr_arena_reset(&arena);
            const char *why;
            if (lr_codec_decode_lead(c, in.data + off[i], off[i + 1] - off[i], lead, &arena, &why))
                bad++;
        }
        double t1 = now_ns();
        if (r >= 0) {
            dec_ns[r] = (t1 - t0) / (double)n;
            dec_al[r] = (double)(n_alloc - a0) / (double)n;
        }

        /* our encode of a decision per lead (the lead decoded last stands in) */
        make_decision(&ev->u.decision, lead, id, sizeof(id), 1);
        a0 = n_alloc;
        t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            if (i % 1000 == 0) {
                out_bytes = out.len;
                lr_buf_reset(&out);
            }
            ev->u.decision.seq = (int64_t)i;
            lr_codec_encode_event(c, ev, &out);
        }
        t1 = now_ns();
        if (r >= 0) {
            encd_ns[r] = (t1 - t0) / (double)n;
            encd_al[r] = (double)(n_alloc - a0) / (double)n;
        }

        /* our encode of leads */
        lr_arena_reset(&arena);
        lr_codec_decode_lead(c, in.data + off[0], off[1] - off[0], lead, &arena, NULL);
        a0 = n_alloc;
        t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            if (i % 1000 == 0) lr_buf_reset(&out);
            lr_codec_encode_lead(c, lead, &out);
        }
        t1 = now_ns();
        if (r >= 0) {
            encl_ns[r] = (t1 - t0) / (double)n;
            encl_al[r] = (double)(n_alloc - a0) / (double)n;
        }

        /* avro-c generic decode */
        a0 = n_alloc;
        t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            avro_reader_t rd = avro_reader_memory((const char *)in.data + off[i] + 5,
                                                  (int64_t)(off[i + 1] - off[i] - 5));
            avro_value_reset(&value);
            if (avro_value_read(rd, &value)) bad++;
            avro_reader_free(rd);
        }
        t1 = now_ns();
        if (r >= 0) {
            avro_ns[r] = (t1 - t0) / (double)n;
            avro_al[r] = (double)(n_alloc - a0) / (double)n;
        }
    }

    /* avro_reader_memory itself allocates one reader per message: count it
     * apart so the table shows the decode's own allocations */
    unsigned long long a0 = n_alloc;
    for (int i = 0; i < 1000; i++) avro_reader_free(avro_reader_memory((const char *)in.data, 10));
    double reader_allocs = (double)(n_alloc - a0) / 1000.0;

    double md = median(dec_ns, runs), me = median(encd_ns, runs), ml = median(encl_ns, runs);
    double ma = median(avro_ns, runs);
    printf("\n| operation | ns / message | allocations / message |\n");
    printf("| --- | ---: | ---: |\n");
    printf("| lr_codec_decode_lead (with contract check) | %.0f | %.2f |\n", md, median(dec_al, runs));
    printf("| lr_codec_encode_event (decision, 9 reasons) | %.0f | %.2f |\n", me,
           median(encd_al, runs));
    printf("| lr_codec_encode_lead | %.0f | %.2f |\n", ml, median(encl_al, runs));
    printf("| avro-c avro_value_read, generic value reused | %.0f | %.2f (+%.0f for its memory reader) |\n",
           ma, median(avro_al, runs) - reader_allocs, reader_allocs);
    printf("\ndecode + decision encode: %.0f ns per lead = %.2f M leads/s on one core, codec alone\n",
           md + me, 1e3 / (md + me));
    printf("avro-c generic decode is %.1fx slower than ours\n", ma / md);
    printf("decision size %zu bytes; failures %zu (must be 0)\n", out_bytes / 1000, bad);

    avro_value_decref(&value);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
    lr_codec_free(c);
    lr_arena_destroy(&arena);
    lr_buf_free(&in);
    lr_buf_free(&out);
    __libc_free(off);
    __libc_free(lead);
    __libc_free(ev);
    return bad != 0;
}
