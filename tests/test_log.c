/* test_log.c - the logger: every line is one valid JSON object with time,
 * level, message and fields; levels filter; text keeps the old form; lines of
 * several threads never interleave; bytes that are not UTF-8 or are control
 * characters stay inside their string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

typedef struct fixture {
    FILE *f;
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof(*fx));
    fx->f = tmpfile();
    *state = fx;
    return fx->f ? 0 : -1;
}

static int teardown(void **state) {
    fixture *fx = *state;
    lr_log_setup(LR_LOG_TEXT, LR_LOG_INFO, STDERR_FILENO);
    fclose(fx->f);
    free(fx);
    return 0;
}

/* Everything written so far, as lines; returns how many (at most max). */
static size_t read_lines(fixture *fx, char **lines, size_t max) {
    rewind(fx->f);
    size_t n = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (n < max && (len = getline(&line, &cap, fx->f)) > 0) {
        assert_int_equal(line[len - 1], '\n');
        lines[n++] = strndup(line, (size_t)len - 1);
    }
    free(line);
    return n;
}

static json_t *parse(const char *line) {
    json_error_t e;
    json_t *j = json_loads(line, 0, &e);
    if (!j) fail_msg("not JSON (%s): %s", e.text, line);
    return j;
}

static void test_json_line(void **state) {
    fixture *fx = *state;
    lr_log_setup(LR_LOG_JSON, LR_LOG_INFO, fileno(fx->f));
    lr_log_kv(LR_LOG_WARN, "consumer: broker down", LR_LOG_STR("topic", "leads"),
              LR_LOG_INT("partition", 3));
    lr_log(LR_LOG_INFO, "assigned %d partition(s)", 6);
    char *lines[4];
    assert_int_equal(read_lines(fx, lines, 4), 2);
    json_t *j = parse(lines[0]);
    const char *t = json_string_value(json_object_get(j, "time"));
    assert_non_null(t);
    assert_int_equal(strlen(t), 24); /* 2026-12-04T16:51:42.123Z */
    assert_int_equal(t[10], 'T');
    assert_int_equal(t[19], '.');
    assert_int_equal(t[23], 'Z');
    assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "consumer: broker down");
    assert_string_equal(json_string_value(json_object_get(j, "topic")), "leads");
    assert_int_equal(json_integer_value(json_object_get(j, "partition")), 3);
    json_decref(j);
    j = parse(lines[1]);
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "assigned 6 partition(s)");
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    json_decref(j);
    free(lines[0]);
    free(lines[1]);
}

static void test_levels_filter(void **state) {
    fixture *fx = *state;
    lr_log_setup(LR_LOG_JSON, LR_LOG_WARN, fileno(fx->f));
    lr_log(LR_LOG_DEBUG, "debug");
    lr_log(LR_LOG_INFO, "info");
    lr_log(LR_LOG_WARN, "warn");
    lr_log(LR_LOG_ERROR, "error");
    char *lines[8];
    assert_int_equal(read_lines(fx, lines, 8), 2);
    assert_non_null(strstr(lines[0], "\"msg\":\"warn\""));
    assert_non_null(strstr(lines[1], "\"level\":\"error\""));
    free(lines[0]);
    free(lines[1]);
    assert_int_equal(lr_log_level_parse("debug"), LR_LOG_DEBUG);
    assert_int_equal(lr_log_level_parse("error"), LR_LOG_ERROR);
    assert_int_equal(lr_log_level_parse("verbose"), -1);
    assert_int_equal(lr_log_format_parse("json"), LR_LOG_JSON);
    assert_int_equal(lr_log_format_parse("yaml"), -1);
}

static void test_text_line(void **state) {
    fixture *fx = *state;
    lr_log_setup(LR_LOG_TEXT, LR_LOG_INFO, fileno(fx->f));
    lr_log_kv(LR_LOG_INFO, "state restored", LR_LOG_INT("records", 5));
    lr_log(LR_LOG_WARN, "two\nlines");
    char *lines[4];
    assert_int_equal(read_lines(fx, lines, 4), 2);
    assert_string_equal(lines[0], "lead-router: state restored records=5");
    assert_string_equal(lines[1], "lead-router: warning: two lines");
    free(lines[0]);
    free(lines[1]);
}

/* Quotes, backslashes, control bytes, invalid UTF-8 and an overlong line:
 * still one valid JSON object each, and valid UTF-8 kept as it is. */
static void test_escaping_and_length(void **state) {
    fixture *fx = *state;
    lr_log_setup(LR_LOG_JSON, LR_LOG_DEBUG, fileno(fx->f));
    lr_log_kv(LR_LOG_INFO, "q\"b\\c\x01\x7f\n\xff\xc3(z \xc3\xa9", LR_LOG_STR("k\"", "\x80v"));
    char big[3 * LR_LOG_LINE_MAX];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    lr_log_kv(LR_LOG_INFO, "long", LR_LOG_STR("a", big), LR_LOG_INT("after", 1));
    lr_log_write(LR_LOG_INFO, big, NULL, 0);
    char *lines[4];
    assert_int_equal(read_lines(fx, lines, 4), 3);
    json_t *j = parse(lines[0]);
    assert_string_equal(json_string_value(json_object_get(j, "msg")),
                        "q\"b\\c\x01\x7f\n\xef\xbf\xbd\xef\xbf\xbd(z \xc3\xa9");
    assert_string_equal(json_string_value(json_object_get(j, "k\"")), "\xef\xbf\xbdv");
    json_decref(j);
    for (int i = 1; i < 3; i++) {
        assert_true(strlen(lines[i]) < LR_LOG_LINE_MAX);
        j = parse(lines[i]);
        assert_non_null(json_object_get(j, "msg"));
        json_decref(j);
    }
    for (int i = 0; i < 3; i++) free(lines[i]);
}

#define THREADS 4
#define PER_THREAD 2000

static void *writer(void *arg) {
    long id = (long)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++)
        lr_log_kv(LR_LOG_INFO, "from a thread", LR_LOG_INT("thread", id), LR_LOG_INT("i", i));
    return NULL;
}

/* librdkafka logs from its own threads: each line is written whole. */
static void test_threads_do_not_interleave(void **state) {
    fixture *fx = *state;
    lr_log_setup(LR_LOG_JSON, LR_LOG_INFO, fileno(fx->f));
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    char **lines = calloc(THREADS * PER_THREAD + 1, sizeof(char *));
    size_t n = read_lines(fx, lines, THREADS * PER_THREAD + 1);
    assert_int_equal(n, THREADS * PER_THREAD);
    int next[THREADS] = {0};
    for (size_t i = 0; i < n; i++) {
        json_t *j = parse(lines[i]);
        int id = (int)json_integer_value(json_object_get(j, "thread"));
        assert_true(id >= 0 && id < THREADS);
        assert_int_equal(json_integer_value(json_object_get(j, "i")), next[id]++);
        json_decref(j);
        free(lines[i]);
    }
    free(lines);
}

static void test_time_format(void **state) {
    (void)state;
    char out[32];
    lr_log_format_time(1795000000123LL, out);
    assert_string_equal(out, "2026-11-18T11:06:40.123Z");
    lr_log_format_time(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_levels_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaping_and_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_do_not_interleave, setup, teardown),
        cmocka_unit_test(test_time_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
