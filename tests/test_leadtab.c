/* test_leadtab.c - lead records by id: find/add/remove through growth, stable
 * record addresses, backward-shift deletion, eviction before growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"
#include "leadtab.h"

static size_t key(char *buf, unsigned i) { return (size_t)snprintf(buf, 32, "lead-%u", i); }

static void test_add_find_remove(void **state) {
    (void)state;
    lr_leadtab *t = lr_leadtab_new(0, NULL, NULL);
    enum { N = 50000 };
    static lr_lead_rec *addr[N];
    char k[32];
    for (unsigned i = 0; i < N; i++) {
        size_t len = key(k, i);
        assert_int_equal(lr_leadtab_find(t, k, len), LR_LEADTAB_NONE);
        uint32_t idx = lr_leadtab_add(t, k, len);
        lr_lead_rec *r = lr_leadtab_at(t, idx);
        assert_string_equal(r->id, k);
        r->seq = i;
        addr[i] = r;
    }
    assert_int_equal(lr_leadtab_count(t), N);
    /* growth moved the index, never the records */
    for (unsigned i = 0; i < N; i++) {
        size_t len = key(k, i);
        uint32_t idx = lr_leadtab_find(t, k, len);
        assert_int_not_equal(idx, LR_LEADTAB_NONE);
        assert_ptr_equal(lr_leadtab_at(t, idx), addr[i]);
        assert_int_equal(addr[i]->seq, i);
    }
    /* a prefix of a stored id is another id */
    assert_int_equal(lr_leadtab_find(t, "lead-1", 5), LR_LEADTAB_NONE);
    /* remove every third: the rest stay reachable across shifted chains */
    for (unsigned i = 0; i < N; i += 3) {
        size_t len = key(k, i);
        lr_leadtab_remove(t, lr_leadtab_find(t, k, len));
    }
    for (unsigned i = 0; i < N; i++) {
        size_t len = key(k, i);
        uint32_t idx = lr_leadtab_find(t, k, len);
        if (i % 3 == 0) {
            assert_int_equal(idx, LR_LEADTAB_NONE);
        } else {
            assert_int_not_equal(idx, LR_LEADTAB_NONE);
            assert_int_equal(lr_leadtab_at(t, idx)->seq, i);
        }
    }
    /* freed records are reused before new memory is taken */
    size_t bytes = lr_leadtab_bytes(t);
    for (unsigned i = 0; i < N; i += 3) {
        size_t len = key(k, N + i);
        uint32_t idx = lr_leadtab_add(t, k, len);
        assert_int_equal(lr_leadtab_at(t, idx)->seq, 0); /* zeroed */
    }
    assert_int_equal(lr_leadtab_bytes(t), bytes);
    assert_int_equal(lr_leadtab_count(t), N);
    lr_leadtab_free(t);
}

static void test_long_ids_are_cut(void **state) {
    (void)state;
    lr_leadtab *t = lr_leadtab_new(4, NULL, NULL);
    char long_id[LR_MAX_ID_LEN + 10];
    memset(long_id, 'x', sizeof(long_id));
    uint32_t idx = lr_leadtab_add(t, long_id, sizeof(long_id));
    assert_int_equal(strlen(lr_leadtab_at(t, idx)->id), LR_MAX_ID_LEN);
    assert_int_equal(lr_leadtab_find(t, long_id, sizeof(long_id)), idx);
    assert_int_equal(lr_leadtab_find(t, long_id, LR_MAX_ID_LEN), idx);
    lr_leadtab_free(t);
}

/* Records marked closed (stage field used as a flag here) are evicted when the
 * index would grow, instead of growing it. */
static bool closed(const lr_lead_rec *r, void *ctx) {
    (*(int *)ctx)++;
    return r->state == 9;
}

static void test_evict_before_growth(void **state) {
    (void)state;
    int asked = 0;
    lr_leadtab *t = lr_leadtab_new(1000, closed, &asked);
    char k[32];
    for (unsigned i = 0; i < 200000; i++) {
        size_t len = key(k, i);
        uint32_t idx = lr_leadtab_add(t, k, len);
        if (i % 100 != 0) lr_leadtab_at(t, idx)->state = 9; /* 99 % close at once */
    }
    assert_true(asked > 0);
    /* the open ones are all still there */
    for (unsigned i = 0; i < 200000; i += 100) {
        size_t len = key(k, i);
        assert_int_not_equal(lr_leadtab_find(t, k, len), LR_LEADTAB_NONE);
    }
    /* far fewer than 200000 records are held: memory follows open leads */
    assert_true(lr_leadtab_count(t) < 4000);
    size_t swept = lr_leadtab_sweep(t);
    assert_int_equal(lr_leadtab_count(t), 2000);
    assert_true(swept > 0);
    lr_leadtab_free(t);
}

static void test_hash_is_fixed(void **state) {
    (void)state;
    /* the same bytes give the same hash in every run; different bytes differ */
    assert_int_equal(lr_hash64("a1", 2), lr_hash64("a1x", 2));
    assert_int_not_equal(lr_hash64("a1", 2), lr_hash64("a2", 2));
    assert_int_not_equal(lr_hash64("", 0), 0);
}

/* lookup and prefetch answer exactly as find does, whatever was looked up,
 * added or removed before: the hot record and the kept hash are verified by
 * the id's bytes, never trusted by address. */
static void test_lookup_and_prefetch_agree_with_find(void **state) {
    (void)state;
    lr_leadtab *t = lr_leadtab_new(16, NULL, NULL);
    char k[32], other[32];
    enum { N = 3000 };
    for (unsigned i = 0; i < N; i++) {
        size_t len = key(k, i);
        /* the bytes at the same address change from id to id */
        lr_leadtab_prefetch(t, k, len);
        assert_int_equal(lr_leadtab_lookup(t, k, len), LR_LEADTAB_NONE);
        uint32_t idx = lr_leadtab_add(t, k, len);
        assert_int_equal(lr_leadtab_lookup(t, k, len), idx);
        assert_int_equal(lr_leadtab_find(t, k, len), idx);
        assert_string_equal(lr_leadtab_at(t, idx)->id, k);
    }
    for (unsigned i = 0; i < N; i += 7) {
        size_t len = key(k, i);
        uint32_t idx = lr_leadtab_lookup(t, k, len);
        assert_int_equal(idx, lr_leadtab_find(t, k, len));
        /* a prefix of the hot id is not the hot id (it may be another id) */
        assert_int_not_equal(lr_leadtab_find(t, k, len - 1), idx);
        /* removing the hot record: it is not found any more */
        lr_leadtab_remove(t, idx);
        assert_int_equal(lr_leadtab_lookup(t, k, len), LR_LEADTAB_NONE);
        assert_int_equal(lr_leadtab_find(t, k, len), LR_LEADTAB_NONE);
        /* its record is reused by the next add, under another id */
        size_t olen = (size_t)snprintf(other, sizeof(other), "other-%u", i);
        lr_leadtab_prefetch(t, other, olen);
        uint32_t o = lr_leadtab_add(t, other, olen);
        assert_int_equal(o, idx);
        assert_int_equal(lr_leadtab_find(t, k, len), LR_LEADTAB_NONE);
        assert_int_equal(lr_leadtab_find(t, other, olen), o);
    }
    /* every id still reachable by a plain probe after all this */
    for (unsigned i = 0; i < N; i++) {
        size_t len = key(k, i);
        uint32_t idx = lr_leadtab_find(t, k, len);
        if (i % 7 == 0) assert_int_equal(idx, LR_LEADTAB_NONE);
        else assert_string_equal(lr_leadtab_at(t, idx)->id, k);
    }
    /* an empty id is never the hot one, even when a removed record is */
    assert_int_equal(lr_leadtab_find(t, "", 0), LR_LEADTAB_NONE);
    assert_int_equal(lr_leadtab_lookup(t, "", 0), LR_LEADTAB_NONE);
    lr_leadtab_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_and_prefetch_agree_with_find),
        cmocka_unit_test(test_add_find_remove),
        cmocka_unit_test(test_long_ids_are_cut),
        cmocka_unit_test(test_evict_before_growth),
        cmocka_unit_test(test_hash_is_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
