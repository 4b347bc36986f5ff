/* test_cfg.c - the YAML node tree and field maps: every error names its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"

static lr_cfg_doc *load(const char *yaml, lr_err *err) {
    return lr_cfg_load_string("t.yaml", yaml, err);
}

static void expect_error(const char *yaml, const char *want) {
    lr_err err = {0};
    lr_cfg_doc *d = load(yaml, &err);
    assert_null(d);
    if (!strstr(err.msg, want)) fail_msg("got '%s', want '%s'", err.msg, want);
}

static void test_tree_and_lines(void **s) {
    lr_err err = {0};
    lr_cfg_doc *d = load("a: 1\nb:\n  - x\n  - {k: v}\nc: \"quoted\"\n", &err);
    assert_non_null(d);
    const lr_cfg_node *root = lr_cfg_root(d);
    assert_int_equal(root->kind, LR_CFG_MAP);
    assert_int_equal(root->n, 3);
    assert_int_equal(root->key_lines[1], 2);
    const lr_cfg_node *b = lr_cfg_get(root, "b");
    assert_int_equal(b->kind, LR_CFG_SEQ);
    assert_int_equal(b->n, 2);
    assert_int_equal(b->items[1]->line, 4);
    assert_string_equal(lr_cfg_get(b->items[1], "k")->scalar, "v");
    assert_true(lr_cfg_get(root, "c")->quoted);
    assert_null(lr_cfg_get(root, "zzz"));
    lr_cfg_free(d);
}

static void test_syntax_errors(void **s) {
    expect_error("a: 1\nb: [1, 2\n", "t.yaml:");
    expect_error("a: 1\na: 2\n", "t.yaml:2: duplicate key 'a' (first at line 1)");
    expect_error("a: &x 1\nb: *x\n", "t.yaml:2: aliases are not supported");
    expect_error("- 1\n- 2\n", "must be a mapping");
    expect_error("a: 1\n---\nb: 2\n", "only one YAML document");
}

/* A growing YAML text for the limit tests. */
typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int w = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if ((size_t)w < t->cap - t->n) {
            t->n += (size_t)w;
            return;
        }
        t->cap = t->cap ? t->cap * 2 : 4096;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
        if (t->n == 0) t->p[0] = '\0';
    }
}

/* Loads `len` bytes through a real file, as `check` does: they may hold a NUL. */
static lr_cfg_doc *load_bytes(const void *bytes, size_t len, lr_err *err) {
    char path[] = "/tmp/test_cfg_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    lr_cfg_doc *d = lr_cfg_load(path, err);
    unlink(path);
    return d;
}

/* A map of 40,000 keys loads (the duplicate check was quadratic: 4 s); a
 * duplicate among them is found with both lines; one entry over the limit
 * is refused at its line. */
static void test_large_maps(void **s) {
    text t = {0};
    for (int i = 0; i < 40000; i++) put(&t, "k%d: %d\n", i, i);
    lr_err err = {0};
    lr_cfg_doc *d = load(t.p, &err);
    assert_non_null(d);
    assert_int_equal(lr_cfg_root(d)->n, 40000);
    assert_string_equal(lr_cfg_get(lr_cfg_root(d), "k39999")->scalar, "39999");
    lr_cfg_free(d);
    put(&t, "k123: again\n");
    expect_error(t.p, "t.yaml:40001: duplicate key 'k123' (first at line 124)");
    t.n = 0;
    for (int i = 0; i <= LR_CFG_MAX_ENTRIES; i++) put(&t, "- %d\n", i);
    expect_error(t.p, "t.yaml:100001: more than 100000 entries in one map or list");
    t.n = 0; /* 6 lists of 99,999 items: each within the limit, the file not */
    for (int l = 0; l < 6; l++) {
        put(&t, "l%d:\n", l);
        for (int i = 0; i < LR_CFG_MAX_ENTRIES - 1; i++) put(&t, "- 1\n");
    }
    expect_error(t.p, "more than 500000 keys, values and items in the file");
    free(t.p);
}

/* Depth, value length and file size each have a limit and a line. */
static void test_limits(void **s) {
    text t = {0};
    put(&t, "a: 1\nb: ");
    for (int i = 0; i <= LR_CFG_MAX_DEPTH; i++) put(&t, "[");
    for (int i = 0; i <= LR_CFG_MAX_DEPTH; i++) put(&t, "]");
    expect_error(t.p, "t.yaml:2: nested deeper than 64 levels");
    t.n = 0;
    put(&t, "a: 1\nb: \"");
    for (int i = 0; i <= LR_CFG_MAX_SCALAR; i++) put(&t, "x");
    put(&t, "\"\n");
    expect_error(t.p, "t.yaml:2: a value longer than 65536 bytes");
    t.n = 0;
    while (t.n <= LR_CFG_MAX_BYTES) put(&t, "# a comment line of some length, again and again\n");
    lr_err err = {0};
    assert_null(load_bytes(t.p, t.n, &err));
    if (!strstr(err.msg, ": the file is larger than 16777216 bytes (16 MiB)") ||
        strncmp(err.msg, "/tmp/test_cfg_", 14) != 0)
        fail_msg("got '%s'", err.msg);
    /* the line is where the limit falls, not line 0 or 1 */
    assert_non_null(strstr(err.msg, ":342393: "));
    free(t.p);
}

/* libyaml's reader reports bad bytes by offset; the error names their line. */
static void test_bad_bytes_lines(void **s) {
    expect_error("a: 1\nb: 2\nc: \xff\xfe\n", "t.yaml:3: bad bytes: invalid ");
    expect_error("a: 1\nb: \"\xc3\x28\"\n", "t.yaml:2: bad bytes:");
    static const char nul[] = "a: 1\nb: 2\nc: 3\nd: x\0y\n";
    lr_err err = {0};
    assert_null(load_bytes(nul, sizeof(nul) - 1, &err));
    if (!strstr(err.msg, ":4: bad bytes: control characters are not allowed"))
        fail_msg("got '%s'", err.msg);
}

typedef struct target {
    const char *name;
    int64_t n;
    double ratio;
    bool on;
    int64_t wait_ms;
    const lr_cfg_node *rest;
} target;

static const lr_cfg_field fields[] = {
    {"name", LR_CFG_T_STR, offsetof(target, name), true},
    {"n", LR_CFG_T_INT, offsetof(target, n), false, "7", 1, 100},
    {"ratio", LR_CFG_T_DOUBLE, offsetof(target, ratio), false, "0.5"},
    {"on", LR_CFG_T_BOOL, offsetof(target, on), false, "true"},
    {"wait", LR_CFG_T_DURATION, offsetof(target, wait_ms), false, "15m"},
    {"rest", LR_CFG_T_NODE, offsetof(target, rest)},
};

static int apply(const char *yaml, target *t, lr_err *err) {
    lr_cfg_doc *d = load(yaml, err);
    assert_non_null(d);
    memset(t, 0, sizeof(*t));
    int rc = lr_cfg_apply(lr_cfg_root(d), fields, LR_CFG_COUNT(fields), t, "section", err);
    lr_cfg_free(d);
    return rc;
}

static void test_apply_defaults_and_values(void **s) {
    lr_err err = {0};
    target t;
    lr_cfg_doc *d = load("name: x\nn: 42\nwait: 2h\n", &err);
    memset(&t, 0, sizeof(t));
    assert_int_equal(lr_cfg_apply(lr_cfg_root(d), fields, LR_CFG_COUNT(fields), &t, "s", &err), 0);
    assert_string_equal(t.name, "x");
    assert_int_equal(t.n, 42);
    assert_true(t.ratio == 0.5);
    assert_true(t.on);
    assert_int_equal(t.wait_ms, 2 * 3600 * 1000);
    lr_cfg_free(d);
}

static void test_apply_errors(void **s) {
    lr_err err = {0};
    target t;
    assert_int_equal(apply("name: x\nbogus: 1\n", &t, &err), -1);
    assert_non_null(strstr(err.msg, "t.yaml:2: unknown key 'bogus' in section"));
    assert_int_equal(apply("n: 3\n", &t, &err), -1);
    assert_non_null(strstr(err.msg, "missing required key 'name'"));
    assert_int_equal(apply("name: x\nn: 1000\n", &t, &err), -1);
    assert_non_null(strstr(err.msg, "t.yaml:2: 1000 is out of range [1, 100]"));
    assert_int_equal(apply("name: x\n\nratio: lots\n", &t, &err), -1);
    assert_non_null(strstr(err.msg, "t.yaml:3: 'lots' is not a number"));
    assert_int_equal(apply("name: x\non: maybe\n", &t, &err), -1);
    assert_non_null(strstr(err.msg, "'maybe' is not true or false"));
    assert_int_equal(apply("name: x\nwait: 5 parsecs\n", &t, &err), -1);
    assert_non_null(strstr(err.msg, "unknown unit"));
    assert_int_equal(apply("name: [1]\n", &t, &err), -1);
    assert_non_null(strstr(err.msg, "t.yaml:1:"));
}

static void test_scalars(void **s) {
    lr_err err = {0};
    lr_cfg_doc *d = load("a: 500ms\nb: 30\nc: 1.5d\nd: \"09:30\"\ne: \"24:00\"\nf: \"25:00\"\n"
                         "g: 2026-12-25\nh: 2026-02-30\ni: 2026-11-22T10:00:00Z\n",
                         &err);
    const lr_cfg_node *r = lr_cfg_root(d);
    int64_t ms;
    int min;
    lr_time_ms t;
    assert_int_equal(lr_cfg_as_duration_ms(lr_cfg_get(r, "a"), &ms, &err), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(lr_cfg_as_duration_ms(lr_cfg_get(r, "b"), &ms, &err), 0);
    assert_int_equal(ms, 30000);
    assert_int_equal(lr_cfg_as_duration_ms(lr_cfg_get(r, "c"), &ms, &err), 0);
    assert_int_equal(ms, 36 * 3600 * 1000LL);
    assert_int_equal(lr_cfg_as_clock_minutes(lr_cfg_get(r, "d"), &min, &err), 0);
    assert_int_equal(min, 9 * 60 + 30);
    assert_int_equal(lr_cfg_as_clock_minutes(lr_cfg_get(r, "e"), &min, &err), 0);
    assert_int_equal(min, 1440);
    assert_int_equal(lr_cfg_as_clock_minutes(lr_cfg_get(r, "f"), &min, &err), -1);
    assert_non_null(strstr(err.msg, "t.yaml:6:"));
    assert_int_equal(lr_cfg_as_time_ms(lr_cfg_get(r, "g"), &t, &err), 0);
    assert_int_equal(t, 1798156800000LL);
    assert_int_equal(lr_cfg_as_time_ms(lr_cfg_get(r, "h"), &t, &err), -1);
    assert_non_null(strstr(err.msg, "t.yaml:8: '2026-02-30' is not a date"));
    int64_t day;
    assert_int_equal(lr_cfg_as_local_date(lr_cfg_get(r, "g"), "holiday", &day, &err), 0);
    assert_int_equal(day, 1798156800000LL / 86400000); /* 2026-12-25 */
    assert_int_equal(lr_cfg_as_local_date(lr_cfg_get(r, "h"), "holiday", &day, &err), -1);
    assert_non_null(strstr(err.msg, "t.yaml:8: holiday '2026-02-30' is not a calendar date"));
    assert_int_equal(lr_cfg_as_local_date(lr_cfg_get(r, "i"), "holiday", &day, &err), -1);
    assert_non_null(strstr(err.msg, "t.yaml:9: holiday '2026-11-22T10:00:00Z' is not a date"));
    assert_int_equal(lr_cfg_as_time_ms(lr_cfg_get(r, "i"), &t, &err), 0);
    assert_int_equal(t, 1795341600000LL); /* 2026-11-22T10:00Z */
    lr_cfg_free(d);
}

static void test_load_missing_file(void **s) {
    lr_err err = {0};
    assert_null(lr_cfg_load("/nonexistent/lead-router.yaml", &err));
    assert_non_null(strstr(err.msg, "/nonexistent/lead-router.yaml:0: cannot open"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_and_lines),   cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_apply_defaults_and_values), cmocka_unit_test(test_apply_errors),
        cmocka_unit_test(test_scalars),          cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_large_maps),       cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_bytes_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
