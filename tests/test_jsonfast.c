/* test_jsonfast.c - the JSON-lines fast path (json/jsonfast.c) against the
 * full parser: on generated leads it takes nearly every line and gives the
 * very event jansson gives (compared by writing both back), and it declines
 * every line whose reading needs the full parser: escapes, bad UTF-8, reals,
 * duplicate keys, unknown or missing fields, contract violations, garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gen.h"
#include "jsonfast.h"
#include "jsonio.h"

static void written(const lr_json_input *in, lr_buf *b) {
    lr_buf_reset(b);
    lr_jsonio_write_input(in, b);
}

static void generated_leads_read_the_same(void **state) {
    (void)state;
    lr_gen *g = lr_gen_new(7, 1794927600000LL, 12.0);
    lr_arena ga, fa, ja;
    lr_arena_init(&ga, 64 * 1024);
    lr_arena_init(&fa, 64 * 1024);
    lr_arena_init(&ja, 64 * 1024);
    lr_json_input *src = calloc(1, sizeof(*src)), *fast = calloc(1, sizeof(*fast)),
                  *full = calloc(1, sizeof(*full));
    lr_buf line, a, b;
    lr_buf_init(&line);
    lr_buf_init(&a);
    lr_buf_init(&b);
    int taken = 0, n = 20000;
    for (int i = 0; i < n; i++) {
        lr_arena_reset(&ga);
        lr_arena_reset(&fa);
        lr_arena_reset(&ja);
        src->kind = LR_JSON_LEAD;
        lr_gen_next_lead(g, &src->u.lead, &ga);
        written(src, &line);
        lr_err err = {0};
        assert_int_equal(lr_jsonio_parse_line_full((const char *)line.data, line.len, "gen", i + 1,
                                                   full, &ja, &err), 0);
        if (lr_jsonfast_parse((const char *)line.data, line.len, fast, &fa) != 0) continue;
        taken++;
        written(full, &a);
        written(fast, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        assert_int_equal(fast->time, full->time);
    }
    assert_true(taken >= n * 99 / 100);
    free(src);
    free(fast);
    free(full);
    lr_buf_free(&line);
    lr_buf_free(&a);
    lr_buf_free(&b);
    lr_arena_destroy(&ga);
    lr_arena_destroy(&fa);
    lr_arena_destroy(&ja);
    lr_gen_free(g);
}

#define LEAD_HEAD "{\"type\":\"lead\",\"lead_id\":\"F-1\",\"event_time\":\"2026-11-17T15:00:00Z\""

static void takes(const char *line, int want) {
    lr_arena arena;
    lr_arena_init(&arena, 4096);
    lr_json_input *in = calloc(1, sizeof(*in));
    int got = lr_jsonfast_parse(line, strlen(line), in, &arena);
    if (got != want) fail_msg("%s: %d, want %d", line, got, want);
    free(in);
    lr_arena_destroy(&arena);
}

static void common_lines_are_taken(void **state) {
    (void)state;
    takes(LEAD_HEAD "}", 0);
    takes(LEAD_HEAD ",\"company_size\":null,\"consent\":true,\"attributes\":{\"plan\":\"pro\"},"
                    "\"activities\":[{\"type\":\"demo_request\",\"at\":1794927500000}]}\n", 0);
    takes("{\"type\":\"activity\",\"activity_id\":\"A-1\",\"lead_id\":\"F-1\",\"rep\":\"alice\","
          "\"type_\":1}", -1); /* an unknown field: the full parser names it */
}

static void everything_else_is_declined(void **state) {
    (void)state;
    takes(LEAD_HEAD ",\"email\":\"a\\u00e9@x.example\"}", -1);  /* an escape */
    takes(LEAD_HEAD ",\"last_name\":\"M\xc3\xbcller\"}", 0);    /* UTF-8 */
    takes(LEAD_HEAD ",\"last_name\":\"M\xfcller\"}", -1);        /* not UTF-8 */
    takes(LEAD_HEAD ",\"last_name\":\"\xc0\xafx\"}", -1);         /* overlong */
    takes(LEAD_HEAD ",\"last_name\":\"\xed\xa0\x80\"}", -1);     /* a surrogate */
    takes(LEAD_HEAD ",\"company_size\":1.5}", -1);               /* a real */
    takes(LEAD_HEAD ",\"company_size\":12345678901234567890}", -1);
    takes(LEAD_HEAD ",\"source\":\"a\",\"source\":\"b\"}", -1);  /* duplicate key */
    takes(LEAD_HEAD ",\"type\":\"lead\"}", -1);
    takes(LEAD_HEAD ",\"attributes\":{\"k\":\"a\",\"k\":\"b\"}}", -1);
    takes(LEAD_HEAD ",\"bogus\":1}", -1);                        /* unknown field */
    takes("{\"type\":\"lead\",\"lead_id\":\"F-1\"}", -1);         /* missing event_time */
    takes("{\"type\":\"lead\",\"lead_id\":\"\",\"event_time\":1794927600000}", -1); /* contract */
    takes("{\"type\":\"lead\",\"lead_id\":\"F-1\",\"event_time\":5}", -1); /* before 2000 */
    takes(LEAD_HEAD "} x", -1);                                   /* trailing garbage */
    takes(LEAD_HEAD, -1);                                         /* cut short */
    takes("[1,2]", -1);
    takes("{\"type\":\"nurture\"}", -1);
    takes(LEAD_HEAD ",\"company_size\":-2}", -1);
    takes(LEAD_HEAD ",\"company_size\":01}", -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_leads_read_the_same),
        cmocka_unit_test(common_lines_are_taken),
        cmocka_unit_test(everything_else_is_declined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
