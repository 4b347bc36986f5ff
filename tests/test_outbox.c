/* test_outbox.c - the records that wait for a commit: kept byte for byte and
 * in order across growth, keyless records stay keyless, headers are handed
 * back exactly once, and a reused outbox allocates nothing more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "outbox.h"

static int dropped[8];
static void drop(void *h) { dropped[*(int *)h]++; }

static void test_records_come_back_in_order_across_growth(void **s) {
    (void)s;
    lr_outbox ob;
    lr_outbox_init(&ob);
    char key[32], val[64];
    for (int i = 0; i < 5000; i++) { /* past the first record array and byte buffer */
        int kl = snprintf(key, sizeof(key), "lead-%d", i);
        int vl = snprintf(val, sizeof(val), "value of %d, some bytes", i);
        lr_outbox_push(&ob, i % 7, i % 3 - 1, key, (size_t)kl, val, (size_t)vl, NULL);
    }
    assert_int_equal(lr_outbox_count(&ob), 5000);
    for (int i = 0; i < 5000; i++) {
        const void *k, *v;
        lr_outbox_rec *r = lr_outbox_get(&ob, (size_t)i, &k, &v);
        int kl = snprintf(key, sizeof(key), "lead-%d", i);
        int vl = snprintf(val, sizeof(val), "value of %d, some bytes", i);
        assert_int_equal(r->topic, i % 7);
        assert_int_equal(r->partition, i % 3 - 1);
        assert_int_equal(r->key_len, (size_t)kl);
        assert_int_equal(r->val_len, (size_t)vl);
        assert_memory_equal(k, key, (size_t)kl);
        assert_memory_equal(v, val, (size_t)vl);
    }
    lr_outbox_free(&ob, NULL);
}

static void test_keyless_and_empty_records(void **s) {
    (void)s;
    lr_outbox ob;
    lr_outbox_init(&ob);
    lr_outbox_push(&ob, 1, 0, NULL, 0, "", 0, NULL);      /* nothing at all */
    lr_outbox_push(&ob, 2, 0, "", 0, "v", 1, NULL);       /* empty key, not no key */
    const void *k, *v;
    lr_outbox_rec *r = lr_outbox_get(&ob, 0, &k, &v);
    assert_null(k);
    assert_false(r->has_key);
    assert_int_equal(r->val_len, 0);
    assert_non_null(v);
    r = lr_outbox_get(&ob, 1, &k, &v);
    assert_non_null(k);
    assert_true(r->has_key);
    assert_int_equal(r->key_len, 0);
    assert_memory_equal(v, "v", 1);
    lr_outbox_free(&ob, NULL);
}

static void test_headers_not_taken_are_dropped_once(void **s) {
    (void)s;
    memset(dropped, 0, sizeof(dropped));
    int ids[3] = {0, 1, 2};
    lr_outbox ob;
    lr_outbox_init(&ob);
    for (int i = 0; i < 3; i++) lr_outbox_push(&ob, 0, 0, "k", 1, "v", 1, &ids[i]);
    const void *k, *v;
    lr_outbox_get(&ob, 1, &k, &v)->headers = NULL; /* taken by the producer */
    lr_outbox_clear(&ob, drop);
    assert_int_equal(dropped[0], 1);
    assert_int_equal(dropped[1], 0);
    assert_int_equal(dropped[2], 1);
    assert_int_equal(lr_outbox_count(&ob), 0);
    lr_outbox_clear(&ob, drop); /* nothing left to drop twice */
    assert_int_equal(dropped[0], 1);
    lr_outbox_push(&ob, 0, 0, "k", 1, "v", 1, &ids[1]);
    lr_outbox_free(&ob, drop); /* freeing drops what is still held */
    assert_int_equal(dropped[1], 1);
}

static void test_reuse_keeps_memory(void **s) {
    (void)s;
    lr_outbox ob;
    lr_outbox_init(&ob);
    char val[300];
    memset(val, 'x', sizeof(val));
    for (int i = 0; i < 2000; i++) lr_outbox_push(&ob, 0, 0, "key", 3, val, sizeof(val), NULL);
    const uint8_t *bytes = ob.bytes.data;
    const lr_outbox_rec *recs = ob.recs;
    size_t cap = ob.cap, bcap = ob.bytes.cap;
    for (int round = 0; round < 5; round++) {
        lr_outbox_clear(&ob, NULL);
        for (int i = 0; i < 2000; i++) lr_outbox_push(&ob, 0, 0, "key", 3, val, sizeof(val), NULL);
    }
    assert_ptr_equal(ob.bytes.data, bytes);
    assert_ptr_equal(ob.recs, recs);
    assert_int_equal(ob.cap, cap);
    assert_int_equal(ob.bytes.cap, bcap);
    lr_outbox_free(&ob, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_come_back_in_order_across_growth),
        cmocka_unit_test(test_keyless_and_empty_records),
        cmocka_unit_test(test_headers_not_taken_are_dropped_once),
        cmocka_unit_test(test_reuse_keeps_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
