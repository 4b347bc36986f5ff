/* test_replay.c - replay through its public API (lr_replay_run) on the
 * documented example configuration: events that go back in time are decided
 * but counted and warned about (the first 10 with FILE:LINE, then a total),
 * times before 2000 are refused at FILE:LINE, read errors are errors, --until
 * is range-checked, identical input gives byte-identical output, and a
 * source's prepare hook (--from-state) hands the cores the state a core that
 * decided earlier events wrote: they then continue exactly as it does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "replay.h"

#define EXAMPLE "docs/lead-router.example.yaml"

typedef struct fixture {
    lr_config *cfg;
    char dir[64];
    char in[96], out[96];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof(*f));
    if (!f) return -1;
    lr_err err = {0};
    f->cfg = lr_config_load(EXAMPLE, &err);
    if (!f->cfg) {
        fprintf(stderr, "%s\n", err.msg);
        free(f);
        return -1;
    }
    snprintf(f->dir, sizeof(f->dir), "/tmp/lr-test-replay-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->in, sizeof(f->in), "%s/in.jsonl", f->dir);
    snprintf(f->out, sizeof(f->out), "%s/out.jsonl", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    unlink(f->in);
    unlink(f->out);
    rmdir(f->dir);
    lr_config_free(f->cfg);
    free(f);
    return 0;
}

/* A lead at minute `min` after 2026-11-17T15:00:00Z. */
static void put_lead(FILE *fp, const char *id, int min) {
    fprintf(fp,
            "{\"type\":\"lead\",\"lead_id\":\"%s\",\"event_time\":%lld,\"country\":\"US\","
            "\"region\":\"NA\",\"company_size\":450,\"consent\":true,\"activities\":"
            "[{\"type\":\"demo_request\",\"at\":%lld}]}\n",
            id, 1794927600000LL + min * 60000LL, 1794927600000LL + min * 60000LL - 1000);
}

static void write_input(const fixture *f, const char *text) {
    FILE *fp = fopen(f->in, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int replay(const fixture *f, const char *in, lr_time_ms until, FILE *warnings,
                  lr_replay_stats *stats, lr_err *err) {
    lr_replay_opts o = {.cfg = f->cfg, .input = in, .output = f->out, .until = until,
                        .warnings = warnings, .stats = stats};
    return lr_replay_run(&o, err);
}

static char *slurp(FILE *fp, size_t *n) {
    fflush(fp);
    long len = ftell(fp);
    char *s = calloc(1, (size_t)len + 1);
    rewind(fp);
    *n = fread(s, 1, (size_t)len, fp);
    return s;
}

static char *slurp_path(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    char *s = slurp(fp, n);
    fclose(fp);
    return s;
}

static size_t count_of(const char *s, const char *needle) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

/* Roster and account-owner lines apply in time order, to the decisions after
 * them: a rep removed, an owner set, a refused line warned about and skipped. */
static void test_roster_lines(void **state) {
    fixture *f = *state;
    FILE *fp = fopen(f->in, "w");
    assert_non_null(fp);
    put_lead(fp, "before", 0);
    fprintf(fp, "{\"type\":\"roster\",\"time\":%lld,\"id\":\"alice\",\"removed\":true}\n",
            1794927600000LL + 60000);
    fprintf(fp, "{\"type\":\"roster\",\"time\":%lld,\"id\":\"zed\",\"teams\":"
                "[{\"team\":\"nope\"}]}\n", 1794927600000LL + 61000);
    fprintf(fp, "{\"type\":\"account_owner\",\"time\":%lld,\"domain\":\"acme-test.com\","
                "\"owner\":\"bob\",\"team\":null}\n", 1794927600000LL + 62000);
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "after%d", i);
        put_lead(fp, id, 2 + i);
    }
    fprintf(fp, "{\"type\":\"lead\",\"lead_id\":\"acct\",\"event_time\":%lld,"
                "\"email\":\"cfo@acme-test.com\",\"country\":\"US\",\"region\":\"NA\","
                "\"company_size\":450,\"consent\":true,\"activities\":"
                "[{\"type\":\"demo_request\",\"at\":%lld}]}\n",
            1794927600000LL + 10 * 60000, 1794927600000LL + 10 * 60000 - 1000);
    fclose(fp);
    FILE *warn = tmpfile();
    lr_err err = {0};
    lr_replay_stats st;
    assert_int_equal(replay(f, f->in, LR_TIME_NONE, warn, &st, &err), 0);
    assert_int_equal(st.roster_changes, 3);
    size_t n;
    char *w = slurp(warn, &n);
    assert_non_null(strstr(w, "in.jsonl:3: warning: refused, the previous value stays: "
                              "rep 'zed': unknown team 'nope'"));
    char *out = slurp_path(f->out, &n);
    const char *first = strstr(out, "\"lead_id\":\"after0\"");
    assert_non_null(first);
    assert_null(strstr(first, "\"rep\":\"alice\"")); /* never after the removal */
    assert_int_equal(count_of(first, "roster_version 2"), 5);
    const char *acct = strstr(out, "\"lead_id\":\"acct\"");
    assert_non_null(acct);
    assert_non_null(strstr(acct, "\"rep\":\"bob\""));
    assert_non_null(strstr(acct, "email_domain matches account acme-test.com"));
    free(out);
    free(w);
    fclose(warn);
}

/* One lead in order, then 12 that each go back by a minute: all decided,
 * 12 counted, 10 warned about by line, then one total. */
static void test_back_in_time(void **state) {
    fixture *f = *state;
    FILE *fp = fopen(f->in, "w");
    assert_non_null(fp);
    put_lead(fp, "B-0", 100);
    for (int i = 1; i <= 12; i++) {
        char id[16];
        snprintf(id, sizeof(id), "B-%d", i);
        put_lead(fp, id, 100 - i);
    }
    fclose(fp);
    FILE *warn = tmpfile();
    lr_replay_stats st = {0};
    lr_err err = {0};
    assert_int_equal(replay(f, f->in, LR_TIME_NONE, warn, &st, &err), 0);
    assert_int_equal(st.leads, 13);
    assert_int_equal(st.back_in_time, 12);
    assert_true(st.decisions >= 13); /* every lead still decided */
    size_t n;
    char *w = slurp(warn, &n);
    fclose(warn);
    assert_int_equal(count_of(w, "warning: event goes back in time"), 10);
    char want[160];
    snprintf(want, sizeof(want), "%s:2: warning: event goes back in time by 60000 ms", f->in);
    assert_non_null(strstr(w, want));
    snprintf(want, sizeof(want), "%s:11: warning: event goes back in time by 600000 ms", f->in);
    assert_non_null(strstr(w, want));
    snprintf(want, sizeof(want), "%s:12:", f->in);
    assert_null(strstr(w, want));
    assert_non_null(strstr(w, "12 events in all went back in time"));
    free(w);

    /* the summary carries the count; in order, nothing is counted */
    FILE *sum = tmpfile();
    lr_replay_opts o = {.cfg = f->cfg, .input = f->in, .output = f->out,
                        .until = LR_TIME_NONE, .summary = sum};
    assert_int_equal(lr_replay_run(&o, &err), 0);
    char *s = slurp(sum, &n);
    fclose(sum);
    assert_non_null(strstr(s, "events back in time: 12 "));
    free(s);
    fp = fopen(f->in, "w");
    put_lead(fp, "C-1", 1);
    put_lead(fp, "C-2", 1); /* the same time is not back in time */
    put_lead(fp, "C-3", 2);
    fclose(fp);
    assert_int_equal(replay(f, f->in, LR_TIME_NONE, NULL, &st, &err), 0);
    assert_int_equal(st.back_in_time, 0);
}

/* Seconds where milliseconds are expected: refused at FILE:LINE, for a lead,
 * an activity time and a sales activity alike. */
static void test_time_before_2000(void **state) {
    fixture *f = *state;
    static const struct {
        const char *line, *msg;
    } cases[] = {
        {"{\"type\":\"lead\",\"lead_id\":\"S-1\",\"event_time\":1794927600}",
         "contract violation: event_time is before 2000-01-01: seconds given where "
         "milliseconds are expected?"},
        {"{\"type\":\"lead\",\"lead_id\":\"S-1\",\"event_time\":\"1999-12-31T23:59:59Z\"}",
         "contract violation: event_time is before 2000-01-01"},
        {"{\"type\":\"lead\",\"lead_id\":\"S-1\",\"event_time\":1794927600000,"
         "\"activities\":[{\"type\":\"page_view\",\"at\":1794927600}]}",
         "contract violation: activities[].at is before 2000-01-01"},
        {"{\"type\":\"activity\",\"activity_id\":\"A\",\"lead_id\":\"S-1\",\"kind\":"
         "\"contacted\",\"rep_id\":\"r\",\"occurred_at\":1794927600}",
         "contract violation: occurred_at is before 2000-01-01"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "# a comment\n%s\n", cases[i].line);
        write_input(f, text);
        lr_err err = {0};
        assert_int_equal(replay(f, f->in, LR_TIME_NONE, NULL, NULL, &err), 1);
        char want[256];
        snprintf(want, sizeof(want), "%s:2: %s", f->in, cases[i].msg);
        if (strncmp(err.msg, want, strlen(want)) != 0) fail_msg("got '%s', want '%s'", err.msg, want);
    }
    /* the first valid instant is accepted */
    write_input(f, "{\"type\":\"lead\",\"lead_id\":\"S-2\",\"event_time\":"
                   "\"2000-01-01T00:00:00Z\"}\n");
    lr_err err = {0};
    assert_int_equal(replay(f, f->in, LR_TIME_NONE, NULL, NULL, &err), 0);
}

static void test_read_errors(void **state) {
    fixture *f = *state;
    lr_err err = {0};
    assert_int_equal(replay(f, f->dir, LR_TIME_NONE, NULL, NULL, &err), 1);
    char want[128];
    snprintf(want, sizeof(want), "%s: cannot read: Is a directory", f->dir);
    assert_string_equal(err.msg, want);

    snprintf(want, sizeof(want), "%s/missing.jsonl", f->dir);
    assert_int_equal(replay(f, want, LR_TIME_NONE, NULL, NULL, &err), 1);
    assert_non_null(strstr(err.msg, "No such file or directory"));

    /* an output that cannot be opened */
    write_input(f, "");
    lr_replay_opts o = {.cfg = f->cfg, .input = f->in, .output = f->dir,
                        .until = LR_TIME_NONE};
    assert_int_equal(lr_replay_run(&o, &err), 1);
    assert_non_null(strstr(err.msg, f->dir));
}

static void test_until_bounds(void **state) {
    fixture *f = *state;
    write_input(f, "");
    lr_err err = {0};
    assert_int_equal(replay(f, f->in, 1794927600, NULL, NULL, &err), 1);
    assert_non_null(strstr(err.msg, "outside 2000-01-01..9999-12-31"));
    assert_int_equal(replay(f, f->in, LR_TIME_END_VALID, NULL, NULL, &err), 1);
    assert_int_equal(replay(f, f->in, LR_TIME_MIN_VALID, NULL, NULL, &err), 0);
}

/* Same input, same configuration: the same bytes, SLA alerts included. */
static void test_byte_identical(void **state) {
    fixture *f = *state;
    FILE *fp = fopen(f->in, "w");
    assert_non_null(fp);
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof(id), "D-%d", i);
        put_lead(fp, id, i * 7);
    }
    fprintf(fp, "{\"type\":\"activity\",\"activity_id\":\"A-1\",\"lead_id\":\"D-3\",\"kind\":"
                "\"contacted\",\"rep_id\":\"nobody\",\"occurred_at\":%lld}\n",
            1794927600000LL + 400 * 60000LL);
    fclose(fp);
    lr_time_ms until = 1794927600000LL + 7 * 24 * 3600000LL;
    lr_err err = {0};
    lr_replay_stats a = {0}, b = {0};
    assert_int_equal(replay(f, f->in, until, NULL, &a, &err), 0);
    size_t n1, n2;
    char *first = slurp_path(f->out, &n1);
    assert_int_equal(replay(f, f->in, until, NULL, &b, &err), 0);
    char *second = slurp_path(f->out, &n2);
    assert_true(n1 > 0);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, second, n1);
    assert_int_equal(a.decisions, b.decisions);
    assert_non_null(strstr(first, "\"type\":\"alert\"")); /* --until fired SLA clocks */
    free(first);
    free(second);
}


/* ---- prepare: the state another core wrote --------------------------------- */

/* Changelog records, as lr_core_changes wrote them (last write wins on apply). */
typedef struct records {
    lr_buf keys, vals;
    size_t n, klen[4096], vlen[4096];
    bool tomb[4096];
} records;

static void keep(void *ctx, const char *key, size_t klen, const void *val, size_t vlen) {
    records *r = ctx;
    assert_true(r->n < 4096);
    lr_buf_append(&r->keys, key, klen);
    if (val) lr_buf_append(&r->vals, val, vlen);
    r->klen[r->n] = klen;
    r->vlen[r->n] = val ? vlen : 0;
    r->tomb[r->n++] = val == NULL;
}

/* A file source whose prepare applies the records to every core. */
typedef struct with_state {
    lr_replay_source inner;
    records *rec;
    int prepared;
} with_state;

static int ws_next(void *ctx, lr_json_input *ev, lr_arena *a, long *pos, lr_err *err) {
    with_state *w = ctx;
    return w->inner.next(w->inner.ctx, ev, a, pos, err);
}

static int ws_prepare(void *ctx, lr_core *const *cores, size_t n, lr_err *err) {
    (void)err;
    with_state *w = ctx;
    w->prepared++;
    for (size_t c = 0; c < n; c++) {
        size_t ko = 0, vo = 0;
        for (size_t i = 0; i < w->rec->n; i++) {
            const char *k = (const char *)w->rec->keys.data + ko;
            const void *v = w->rec->tomb[i] ? NULL : w->rec->vals.data + vo;
            assert_int_equal(lr_core_restore(cores[c], k, w->rec->klen[i], v, w->rec->vlen[i]), 0);
            ko += w->rec->klen[i];
            vo += w->rec->vlen[i];
        }
        lr_core_restore_done(cores[c]);
    }
    return 0;
}

static int to_json(void *ctx, lr_out *const *outs, size_t n, lr_err *err) {
    (void)err;
    for (size_t i = 0; i < outs[0]->n; i++) lr_jsonio_write_event(&outs[0]->ev[i], ctx);
    (void)n;
    return 0;
}

/* Drives `core` over the file, output as JSON lines into out; with rec, from
 * that state. */
static void drive(const fixture *f, lr_core *core, records *rec, lr_buf *out) {
    lr_err err = {0};
    lr_replay_source file;
    lr_replay_file *rf = lr_replay_file_open(f->in, 1 << 20, &file, &err);
    assert_non_null(rf);
    with_state w = {.inner = file, .rec = rec};
    lr_replay_source src = {.name = "in", .next = ws_next, .ctx = &w,
                            .prepare = rec ? ws_prepare : NULL};
    lr_replay_drive_opts o = {.src = &src, .cores = {core}, .n_cores = 1, .emit = to_json,
                              .emit_ctx = out, .until = LR_TIME_NONE};
    assert_int_equal(lr_replay_drive(&o, NULL, &err), 0);
    assert_int_equal(w.prepared, rec ? 1 : 0);
    lr_replay_file_close(rf);
}

static void test_prepare_restores_state(void **state) {
    fixture *f = *state;
    char text[8192] = "";
    FILE *fp = fmemopen(text, sizeof(text), "w");
    for (int i = 0; i < 9; i++) {
        char id[16];
        snprintf(id, sizeof(id), "S-%d", i);
        put_lead(fp, id, i);
    }
    fclose(fp);
    write_input(f, text);
    lr_core *live = lr_core_new(&f->cfg->rules, 64);
    lr_core_track_changes(live);
    lr_buf first, want, got, empty;
    lr_buf_init(&first), lr_buf_init(&want), lr_buf_init(&got), lr_buf_init(&empty);
    drive(f, live, NULL, &first);
    records *rec = calloc(1, sizeof(*rec));
    assert_true(lr_core_changes(live, keep, rec) > 0);
    /* the second batch: two repeats, then new leads, later */
    fp = fmemopen(text, sizeof(text), "w");
    put_lead(fp, "S-1", 30);
    put_lead(fp, "S-4", 31);
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof(id), "T-%d", i);
        put_lead(fp, id, 32 + i);
    }
    fclose(fp);
    write_input(f, text);
    drive(f, live, NULL, &want);
    lr_core *restored = lr_core_new(&f->cfg->rules, 64), *fresh = lr_core_new(&f->cfg->rules, 64);
    drive(f, restored, rec, &got);
    drive(f, fresh, NULL, &empty);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
    lr_buf_putc(&want, 0), lr_buf_putc(&empty, 0);
    assert_int_equal(count_of((char *)want.data, "\"status\":\"DUPLICATE\""), 2);
    assert_int_equal(count_of((char *)empty.data, "\"status\":\"DUPLICATE\""), 0);
    lr_core_free(live), lr_core_free(restored), lr_core_free(fresh);
    lr_buf_free(&first), lr_buf_free(&want), lr_buf_free(&got), lr_buf_free(&empty);
    lr_buf_free(&rec->keys), lr_buf_free(&rec->vals);
    free(rec);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_back_in_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_before_2000, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_until_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roster_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_restores_state, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
