/* test_state.c - the decision state as a changelog: run traffic through a
 * core, collect its changelog, restore it into a fresh core, and check that
 * both then produce byte-identical events for the same following traffic,
 * including clocks that fire later and clocks already due at restore time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "core.h"
#include "gen.h"
#include "jsonio.h"
#include "lifecycle.h"
#include "state.h"

/* Wednesday 2026-11-18 10:00:00 UTC: inside both business calendars */
#define T0 1794996000000LL

/* ---- the changelog, as a topic would hold it (in write order) --------------- */

typedef struct rec {
    char *key;
    size_t klen;
    void *val; /* NULL: tombstone */
    size_t vlen;
} rec;

typedef struct log_t {
    rec *r;
    size_t n, cap;
    size_t bytes;
} log_t;

static void sink(void *ctx, const char *key, size_t klen, const void *val, size_t vlen) {
    log_t *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->r = realloc(l->r, l->cap * sizeof(*l->r));
        assert_non_null(l->r);
    }
    rec *r = &l->r[l->n++];
    r->key = malloc(klen);
    memcpy(r->key, key, klen);
    r->klen = klen;
    r->val = NULL;
    r->vlen = vlen;
    if (val) {
        r->val = malloc(vlen ? vlen : 1);
        memcpy(r->val, val, vlen);
    }
    l->bytes += klen + vlen;
}

static void log_free(log_t *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->r[i].key);
        free(l->r[i].val);
    }
    free(l->r);
    memset(l, 0, sizeof(*l));
}

static lr_core *restore_from(const lr_config *cfg, const log_t *l) {
    lr_core *c = lr_core_new(&cfg->rules, 1000);
    lr_core_track_changes(c);
    for (size_t i = 0; i < l->n; i++)
        assert_int_equal(lr_core_restore(c, l->r[i].key, l->r[i].klen, l->r[i].val, l->r[i].vlen),
                         0);
    lr_core_restore_done(c);
    return c;
}

/* ---- traffic: leads from the generator, sales answering the assignments ----- */

typedef struct pending {
    lr_time_ms at;
    lr_sales_activity a;
} pending;

typedef struct sim {
    lr_gen *gen;
    lr_arena arena;         /* activity text; lives for the whole test */
    pending *q;             /* activities not yet delivered, by time */
    size_t n, cap;
    lr_lead next;           /* the next lead, generated ahead */
    lr_arena lead_arena;
} sim;

static void sim_init(sim *s, uint64_t seed) {
    memset(s, 0, sizeof(*s));
    s->gen = lr_gen_new(seed, T0, 2.0);
    lr_arena_init(&s->arena, 1 << 16);
    lr_arena_init(&s->lead_arena, 1 << 16);
    lr_gen_next_lead(s->gen, &s->next, &s->lead_arena);
}

static void sim_free(sim *s) {
    lr_gen_free(s->gen);
    lr_arena_destroy(&s->arena);
    lr_arena_destroy(&s->lead_arena);
    free(s->q);
}

static void enqueue(sim *s, const lr_sales_activity *a) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->q = realloc(s->q, s->cap * sizeof(*s->q));
        assert_non_null(s->q);
    }
    size_t i = s->n++;
    while (i > 0 && s->q[i - 1].at > a->occurred_at) { /* stable: equal times keep order */
        s->q[i] = s->q[i - 1];
        i--;
    }
    s->q[i].at = a->occurred_at;
    s->q[i].a = *a;
}

/* Sales answers every assignment the events made (the generator decides how). */
static void answer(sim *s, const lr_out *out) {
    for (size_t i = 0; i < out->n; i++) {
        const lr_event *ev = &out->ev[i];
        if (ev->kind != LR_EVENT_DECISION || !ev->u.decision.rep) continue;
        lr_sales_activity acts[4];
        size_t n = lr_gen_answer(s->gen, &ev->u.decision, acts, 4, &s->arena);
        for (size_t k = 0; k < n; k++) {
            /* copy what points into the batch arena */
            acts[k].assignment_id.s =
                acts[k].assignment_id.s
                    ? lr_arena_strndup(&s->arena, acts[k].assignment_id.s, acts[k].assignment_id.len)
                    : NULL;
            acts[k].lead_id.s = lr_arena_strndup(&s->arena, acts[k].lead_id.s, acts[k].lead_id.len);
            acts[k].rep_id.s = lr_arena_strndup(&s->arena, acts[k].rep_id.s, acts[k].rep_id.len);
            enqueue(s, &acts[k]);
        }
    }
}

static void render(const lr_out *out, lr_buf *text) {
    for (size_t i = 0; i < out->n; i++) lr_jsonio_write_event(&out->ev[i], text);
}

/* Delivers events up to `until` (exclusive) in time order to every core in
 * cores[0..n), rendering each core's output to texts[i]. The generator's
 * answers follow cores[0]'s decisions. Returns events delivered. */
static size_t run(sim *s, lr_core **cores, lr_buf *texts, size_t n, lr_time_ms until,
                  log_t *changes, size_t commit_every) {
    lr_out out;
    lr_out_init(&out);
    size_t delivered = 0;
    for (;;) {
        bool lead_next = s->next.event_time < until &&
                         (s->n == 0 || s->next.event_time <= s->q[0].at);
        bool act_next = !lead_next && s->n > 0 && s->q[0].at < until;
        if (!lead_next && !act_next) break;
        pending p = act_next ? s->q[0] : (pending){0};
        if (act_next) memmove(s->q, s->q + 1, --s->n * sizeof(*s->q));
        for (size_t c = 0; c < n; c++) {
            lr_out_reset(&out);
            if (lead_next) lr_core_on_lead(cores[c], &s->next, s->next.event_time, &out);
            else lr_core_on_sales(cores[c], &p.a, p.at, &out);
            render(&out, &texts[c]);
            if (c == 0) answer(s, &out);
        }
        if (lead_next) {
            lr_arena_reset(&s->lead_arena);
            lr_gen_next_lead(s->gen, &s->next, &s->lead_arena);
        }
        delivered++;
        if (changes && delivered % commit_every == 0) lr_core_changes(cores[0], sink, changes);
    }
    lr_out_destroy(&out);
    return delivered;
}

static size_t count_lines(const lr_buf *b, const char *needle) {
    size_t n = 0;
    for (const char *p = (const char *)b->data, *end = p + b->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break;
        char tmp[4096];
        size_t len = (size_t)(nl - p) < sizeof(tmp) - 1 ? (size_t)(nl - p) : sizeof(tmp) - 1;
        memcpy(tmp, p, len);
        tmp[len] = '\0';
        if (strstr(tmp, needle)) n++;
        p = nl + 1;
    }
    return n;
}

static void assert_same(const lr_buf *a, const lr_buf *b) {
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len);
}

static lr_config *load(void) {
    lr_err err = {0};
    lr_config *cfg = lr_config_load("docs/lead-router.example.yaml", &err);
    if (!cfg) fail_msg("%s", err.msg);
    return cfg;
}

/* The whole round trip: traffic, changelog, restore, same future. */
static void test_restore_continues_identically(void **state) {
    lr_config *cfg = load();
    sim s;
    sim_init(&s, 11);
    lr_core *a = lr_core_new(&cfg->rules, 1000);
    lr_core_track_changes(a);
    log_t log = {0};
    lr_buf text[2];
    lr_buf_init(&text[0]);
    lr_buf_init(&text[1]);

    /* 40 minutes of traffic (about 4,800 leads), committed every 50 events */
    lr_time_ms cut = T0 + 40 * LR_MINUTE_MS;
    size_t n1 = run(&s, &a, text, 1, cut, &log, 50);
    lr_core_changes(a, sink, &log);
    assert_true(n1 > 4000);
    size_t open_a = lr_lifecycle_open_clocks(lr_core_lifecycle(a));
    assert_true(open_a > 10);
    /* nothing changed since: nothing to write */
    log_t again = {0};
    assert_int_equal(lr_core_changes(a, sink, &again), 0);

    lr_core *b = restore_from(cfg, &log);
    assert_int_equal(lr_core_restore_stats_get(b)->applied, log.n);
    assert_int_equal(lr_lifecycle_open_clocks(lr_core_lifecycle(b)), open_a);
    assert_int_equal(lr_lifecycle_count(lr_core_lifecycle(b)),
                     lr_lifecycle_count(lr_core_lifecycle(a)));
    const lr_route_state *ra = lr_core_route_state(a), *rb = lr_core_route_state(b);
    assert_memory_equal(ra->reps, rb->reps, ra->n_reps * sizeof(*ra->reps));
    for (size_t t = 0; t < ra->n_teams; t++) {
        assert_int_equal(ra->teams[t].rr_next, rb->teams[t].rr_next);
        size_t m = lr_route_team_size(cfg->rules.route, (int32_t)t);
        assert_memory_equal(ra->teams[t].current, rb->teams[t].current, m * sizeof(int64_t));
    }
    /* a restore alone changes nothing worth writing */
    assert_int_equal(lr_core_changes(b, sink, &again), 0);

    /* The router was down for 20 minutes: clocks that fell due meanwhile fire
     * at the first advance, identically in both, and only once. */
    lr_buf_reset(&text[0]);
    lr_out out;
    lr_out_init(&out);
    lr_time_ms back = cut + 20 * LR_MINUTE_MS;
    lr_core *both[2] = {a, b};
    for (int c = 0; c < 2; c++) {
        lr_out_reset(&out);
        lr_core_advance(both[c], back, &out);
        render(&out, &text[c]);
        if (c == 0) answer(&s, &out);
    }
    assert_same(&text[0], &text[1]);
    assert_true(count_lines(&text[1], "\"kind\":\"BREACH\"") > 0);
    lr_out_reset(&out);
    lr_core_advance(b, back, &out);
    assert_int_equal(out.n, 0);
    /* the leads that arrived while it was down are decided late, at their
     * own event time (the cores never go back) */
    lr_buf_reset(&text[0]);
    lr_buf_reset(&text[1]);

    /* Then 90 more minutes of traffic: later clocks, sales answers, reassignments. */
    size_t n2 = run(&s, both, text, 2, back + 90 * LR_MINUTE_MS, NULL, 0);
    assert_true(n2 > 4000);
    for (int c = 0; c < 2; c++) {
        lr_out_reset(&out);
        lr_core_advance(both[c], back + 6 * 3600 * 1000LL, &out);
        render(&out, &text[c]);
    }
    assert_true(count_lines(&text[0], "\"type\":\"alert\"") > 0);
    assert_true(count_lines(&text[0], "\"cause\":\"SLA_REASSIGN\"") > 0);
    assert_same(&text[0], &text[1]);

    /* and B's own changelog, restored once more, still agrees with A */
    log_t log_b = {0};
    lr_core_changes(b, sink, &log_b);
    lr_core_changes(a, sink, &again);
    assert_int_equal(log_b.n, again.n);

    lr_out_destroy(&out);
    lr_buf_free(&text[0]);
    lr_buf_free(&text[1]);
    log_free(&log);
    log_free(&log_b);
    log_free(&again);
    lr_core_free(a);
    lr_core_free(b);
    sim_free(&s);
    lr_config_free(cfg);
}

/* Last write wins, tombstones remove, unknown names and bad bytes are counted. */
static void test_restore_edge_cases(void **state) {
    lr_config *cfg = load();
    sim s;
    sim_init(&s, 3);
    lr_core *a = lr_core_new(&cfg->rules, 100);
    lr_core_track_changes(a);
    log_t log = {0};
    lr_buf text;
    lr_buf_init(&text);
    run(&s, &a, &text, 1, T0 + 2 * LR_MINUTE_MS, &log, 10);
    lr_core_changes(a, sink, &log);
    assert_true(log.n > 20);

    lr_core *b = lr_core_new(&cfg->rules, 100);
    /* find one lead record and apply it, an older rubbish value first */
    const rec *lead = NULL;
    for (size_t i = 0; i < log.n && !lead; i++)
        if (!strncmp(log.r[i].key, "lead/", 5)) lead = &log.r[i];
    assert_non_null(lead);
    char id[80];
    snprintf(id, sizeof(id), "%.*s", (int)(lead->klen - 5), lead->key + 5);
    assert_int_equal(lr_core_restore(b, lead->key, lead->klen, "\x01\x02", 2), -1);
    assert_null(lr_lifecycle_find(lr_core_lifecycle(b), id, strlen(id)));
    assert_int_equal(lr_core_restore(b, lead->key, lead->klen, lead->val, lead->vlen), 0);
    assert_non_null(lr_lifecycle_find(lr_core_lifecycle(b), id, strlen(id)));
    /* a truncated value is malformed and does not leave the older one standing */
    assert_int_equal(lr_core_restore(b, lead->key, lead->klen, lead->val, lead->vlen - 1), -1);
    assert_null(lr_lifecycle_find(lr_core_lifecycle(b), id, strlen(id)));
    assert_int_equal(lr_core_restore(b, lead->key, lead->klen, lead->val, lead->vlen), 0);
    assert_int_equal(lr_core_restore(b, lead->key, lead->klen, NULL, 0), 0);
    assert_null(lr_lifecycle_find(lr_core_lifecycle(b), id, strlen(id)));

    /* roster changes: names the configuration no longer has are skipped */
    lr_buf v;
    lr_buf_init(&v);
    lr_buf_putc(&v, LR_STATE_VERSION);
    lr_state_put_i64(&v, 3);
    lr_state_put_i64(&v, 1);
    lr_state_put_i64(&v, 20000);
    assert_int_equal(lr_core_restore(b, "rep/nobody", 10, v.data, v.len), 1);
    lr_buf tv;
    lr_buf_init(&tv);
    lr_buf_putc(&tv, LR_STATE_VERSION);
    lr_state_put_u64(&tv, 1);
    lr_state_put_u64(&tv, 1);
    lr_state_put_i64(&tv, -4);
    assert_int_equal(lr_core_restore(b, "team/gone", 9, tv.data, tv.len), 1);
    lr_buf_free(&tv);
    assert_int_equal(lr_core_restore(b, "queue/x", 7, v.data, v.len), 1);
    const char *rep = lr_route_rep_name(cfg->rules.route, 0);
    char key[128];
    int kl = snprintf(key, sizeof(key), "rep/%s", rep);
    assert_int_equal(lr_core_restore(b, key, (size_t)kl, v.data, v.len), 0);
    assert_int_equal(lr_core_route_state(b)->reps[0].open, 3);
    assert_int_equal(lr_core_route_state(b)->reps[0].local_day, 20000);
    assert_int_equal(lr_core_restore(b, key, (size_t)kl, v.data, v.len - 1), -1);
    lr_core_restore_done(b);
    const lr_core_restore_stats *st = lr_core_restore_stats_get(b);
    assert_int_equal(st->skipped, 3);
    assert_int_equal(st->malformed, 3);

    /* the primitives round-trip their extremes */
    lr_buf_reset(&v);
    lr_state_put_i64(&v, INT64_MIN);
    lr_state_put_i64(&v, INT64_MAX);
    lr_state_put_i64(&v, -1);
    lr_state_put_str(&v, NULL);
    lr_state_put_str(&v, "");
    lr_state_put_f64(&v, 72.5);
    lr_state_reader r = lr_state_reader_of(v.data, v.len);
    assert_true(lr_state_get_i64(&r) == INT64_MIN);
    assert_true(lr_state_get_i64(&r) == INT64_MAX);
    assert_true(lr_state_get_i64(&r) == -1);
    size_t len;
    assert_null(lr_state_get_str(&r, &len));
    assert_non_null(lr_state_get_str(&r, &len));
    assert_int_equal(len, 0);
    assert_true(lr_state_get_f64(&r) == 72.5);
    assert_false(r.bad);
    lr_state_get_u64(&r);
    assert_true(r.bad);

    lr_buf_free(&v);
    lr_buf_free(&text);
    log_free(&log);
    lr_core_free(a);
    lr_core_free(b);
    sim_free(&s);
    lr_config_free(cfg);
}

/* Evicted records leave tombstones, and a restore does not bring them back. */
static void test_eviction_tombstones(void **state) {
    FILE *f = fopen("docs/lead-router.example.yaml", "rb");
    assert_non_null(f);
    static char yaml[1 << 17];
    size_t n = fread(yaml, 1, sizeof(yaml) - 1, f);
    fclose(f);
    yaml[n] = '\0';
    char *w = strstr(yaml, "duplicate_window: 7d");
    assert_non_null(w);
    memcpy(w, "duplicate_window: 1m", 20); /* closed records may go after a minute */
    lr_err err = {0};
    lr_config *cfg = lr_config_load_string("short-window.yaml", yaml, &err);
    if (!cfg) fail_msg("%s", err.msg);
    sim s;
    sim_init(&s, 7);
    lr_core *a = lr_core_new(&cfg->rules, 16);
    lr_core_track_changes(a);
    log_t log = {0};
    lr_buf text;
    lr_buf_init(&text);
    run(&s, &a, &text, 1, T0 + 30 * LR_MINUTE_MS, &log, 25);
    lr_core_changes(a, sink, &log);
    size_t tombs = 0;
    for (size_t i = 0; i < log.n; i++) tombs += log.r[i].val == NULL;
    assert_true(tombs > 100);

    lr_core *b = restore_from(cfg, &log);
    const lr_lifecycle *la = lr_core_lifecycle(a), *lb = lr_core_lifecycle(b);
    assert_int_equal(lr_lifecycle_count(lb), lr_lifecycle_count(la));
    assert_int_equal(lr_lifecycle_open_clocks(lb), lr_lifecycle_open_clocks(la));
    /* every key's last word decides: absent after a tombstone, present otherwise */
    for (size_t i = 0; i < log.n; i++) {
        const rec *r = &log.r[i];
        if (strncmp(r->key, "lead/", 5)) continue;
        bool last = true;
        for (size_t j = i + 1; j < log.n && last; j++)
            last = !(log.r[j].klen == r->klen && !memcmp(log.r[j].key, r->key, r->klen));
        if (!last) continue;
        const lr_lead_rec *ra = lr_lifecycle_find(la, r->key + 5, r->klen - 5);
        const lr_lead_rec *rb = lr_lifecycle_find(lb, r->key + 5, r->klen - 5);
        assert_true((ra == NULL) == (r->val == NULL));
        assert_true((rb == NULL) == (r->val == NULL));
        if (ra) assert_int_equal(ra->seq, rb->seq);
    }
    lr_buf_free(&text);
    log_free(&log);
    lr_core_free(a);
    lr_core_free(b);
    sim_free(&s);
    lr_config_free(cfg);
}

/* Without tracking, a core records nothing (replay pays nothing). */
static void test_tracking_off_by_default(void **state) {
    lr_config *cfg = load();
    sim s;
    sim_init(&s, 5);
    lr_core *a = lr_core_new(&cfg->rules, 100);
    lr_buf text;
    lr_buf_init(&text);
    run(&s, &a, &text, 1, T0 + LR_MINUTE_MS, NULL, 0);
    log_t log = {0};
    assert_int_equal(lr_core_changes(a, sink, &log), 0);
    assert_true(text.len > 0);
    lr_buf_free(&text);
    lr_core_free(a);
    sim_free(&s);
    lr_config_free(cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_continues_identically),
        cmocka_unit_test(test_restore_edge_cases),
        cmocka_unit_test(test_eviction_tombstones),
        cmocka_unit_test(test_tracking_off_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
