/* test_domaintab.c - stage 1's lead-to-domain table: a lead is found for its
 * window and not after, a re-sent lead after the window starts a new entry
 * that its old one cannot expire early, a revoked partition takes only its
 * own entries, memory follows the live entries, and the changelog value
 * round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "domaintab.h"

#define W 1000 /* window, ms */

static void put(lr_domaintab *t, const char *id, int32_t domain, int32_t part, lr_time_ms at) {
    lr_domaintab_put(t, id, strlen(id), domain, part, at, at);
}

static int32_t find(const lr_domaintab *t, const char *id, lr_time_ms now) {
    return lr_domaintab_find(t, id, strlen(id), now);
}

static void test_found_within_the_window_only(void **s) {
    (void)s;
    lr_domaintab *t = lr_domaintab_new(W);
    put(t, "L1", 3, 0, 100);
    assert_int_equal(find(t, "L1", 100), 3);
    assert_int_equal(find(t, "L1", 100 + W - 1), 3);
    assert_int_equal(find(t, "L1", 100 + W), -1);
    assert_int_equal(find(t, "L2", 100), -1);
    assert_int_equal(find(t, "L", 100), -1); /* a prefix is another id */
    lr_domaintab_free(t);
}

/* What stage 1 does per lead: the first claim remembers, a claim within the
 * window answers the first destination and changes nothing, a claim after
 * it starts a new entry. */
static void test_claim_is_find_then_put(void **s) {
    (void)s;
    lr_domaintab *t = lr_domaintab_new(W);
    assert_int_equal(lr_domaintab_claim(t, "L1", 2, 4, 0, 100, W), -1);
    assert_int_equal(find(t, "L1", 100), 4);
    assert_int_equal(lr_domaintab_claim(t, "L1", 2, 6, 0, 100 + W - 1, W), 4);
    assert_int_equal(find(t, "L1", 100 + W - 1), 4); /* the repeat moved nothing */
    assert_int_equal(lr_domaintab_claim(t, "L1", 2, 6, 1, 100 + W, W), -1);
    assert_int_equal(find(t, "L1", 100 + W), 6);
    assert_int_equal(lr_domaintab_count(t), 1);
    assert_int_equal(lr_domaintab_drop_partition(t, 0), 0); /* now of partition 1 */
    assert_int_equal(lr_domaintab_drop_partition(t, 1), 1);
    lr_domaintab_free(t);
}

/* A memory longer than the duplicate window (kafka.lead_domains_memory):
 * past the window a lead is claimed anew (its attributes route it again)
 * and remembered from then; sales activities find it for the whole memory. */
static void test_memory_longer_than_the_duplicate_window(void **s) {
    (void)s;
    lr_domaintab *t = lr_domaintab_new(10 * W);
    assert_int_equal(lr_domaintab_claim(t, "L1", 2, 4, 0, 0, W), -1);
    assert_int_equal(lr_domaintab_claim(t, "L1", 2, 5, 0, W - 1, W), 4); /* a repeat */
    assert_int_equal(find(t, "L1", 9 * W), 4); /* an activity, long after the window */
    assert_int_equal(lr_domaintab_claim(t, "L1", 2, 5, 0, 9 * W, W), -1); /* back, re-routed */
    assert_int_equal(find(t, "L1", 9 * W), 5);
    assert_int_equal(find(t, "L1", 18 * W), 5); /* remembered from its last claim */
    assert_int_equal(find(t, "L1", 19 * W), -1);
    assert_int_equal(lr_domaintab_claim(t, "L2", 2, 1, 0, 19 * W, W), -1); /* expires L1 */
    assert_int_equal(lr_domaintab_count(t), 1);
    lr_domaintab_free(t);
}

static void test_a_new_entry_outlives_its_old_ring_item(void **s) {
    (void)s;
    lr_domaintab *t = lr_domaintab_new(W);
    put(t, "L1", 1, 0, 0);
    put(t, "L1", 2, 0, W + 10); /* re-sent after the window: another domain */
    /* other leads move the clock on: L1's first item reaches the ring's head
     * and must not take the second entry with it */
    put(t, "L2", 1, 0, 2 * W);
    assert_int_equal(find(t, "L1", 2 * W), 2);
    assert_int_equal(find(t, "L1", 2 * W + 9), 2);
    assert_int_equal(find(t, "L1", 2 * W + 10), -1);
    assert_int_equal(lr_domaintab_count(t), 2);
    lr_domaintab_free(t);
}

static void test_expired_entries_are_removed(void **s) {
    (void)s;
    lr_domaintab *t = lr_domaintab_new(W);
    char id[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof(id), "lead-%d", i);
        put(t, id, i % 5, i % 3, i / 100); /* 0..199 ms */
    }
    assert_int_equal(lr_domaintab_count(t), 20000);
    for (int i = 0; i < 20000; i += 997) {
        snprintf(id, sizeof(id), "lead-%d", i);
        assert_int_equal(find(t, id, 500), i % 5);
    }
    put(t, "late", 0, 0, 100 + W); /* everything before 101 ms expires */
    assert_int_equal(lr_domaintab_count(t), 1 + (20000 - 10100));
    put(t, "later", 0, 0, 200 + W);
    assert_int_equal(lr_domaintab_count(t), 2);
    lr_domaintab_free(t);
}

static void test_dropping_a_partition_keeps_the_others(void **s) {
    (void)s;
    lr_domaintab *t = lr_domaintab_new(W);
    char id[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof(id), "lead-%d", i);
        put(t, id, 7, i % 3, 10);
    }
    assert_int_equal(lr_domaintab_drop_partition(t, 1), 1000);
    assert_int_equal(lr_domaintab_count(t), 2000);
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof(id), "lead-%d", i);
        assert_int_equal(find(t, id, 20), i % 3 == 1 ? -1 : 7);
    }
    /* a restore brings them back */
    for (int i = 1; i < 3000; i += 3) {
        snprintf(id, sizeof(id), "lead-%d", i);
        put(t, id, 8, 1, 10);
    }
    assert_int_equal(lr_domaintab_count(t), 3000);
    assert_int_equal(find(t, "lead-4", 20), 8);
    assert_int_equal(find(t, "lead-3", 20), 7);
    lr_domaintab_free(t);
}

static void test_old_records_are_not_restored(void **s) {
    (void)s;
    lr_domaintab *t = lr_domaintab_new(W);
    lr_domaintab_put(t, "L1", 2, 4, 0, 0, W); /* id, len, domain, part, since 0, now W: gone */
    lr_domaintab_put(t, "L2", 2, 5, 0, 1, W);
    assert_int_equal(lr_domaintab_count(t), 1);
    assert_int_equal(find(t, "L1", W), -1);
    assert_int_equal(find(t, "L2", W), 5);
    lr_domaintab_free(t);
}

/* The same lead re-sent again and again within its window leaves stale ring
 * items behind; they are compacted, so memory follows the live entries. */
static void test_replacements_do_not_grow_memory(void **s) {
    (void)s;
    lr_domaintab *t = lr_domaintab_new(1000000);
    put(t, "L1", 0, 0, 0);
    size_t before = lr_domaintab_bytes(t);
    for (int i = 1; i <= 200000; i++) put(t, "L1", i % 4, 0, i);
    assert_int_equal(lr_domaintab_count(t), 1);
    assert_int_equal(find(t, "L1", 200000), 0);
    assert_true(lr_domaintab_bytes(t) <= before + 64 * 1024);
    lr_domaintab_free(t);
}

typedef struct seen {
    int n;
    char ids[4][16], names[4][32];
    lr_time_ms since[4];
} seen;

static void collect(void *ctx, const char *id, size_t id_len, lr_time_ms since,
                    const char *name, size_t name_len) {
    seen *s = ctx;
    if (s->n == 4) return;
    snprintf(s->ids[s->n], sizeof(s->ids[0]), "%.*s", (int)id_len, id);
    snprintf(s->names[s->n], sizeof(s->names[0]), "%.*s", (int)name_len, name);
    s->since[s->n++] = since;
}

static void test_changelog_value_round_trips(void **st) {
    (void)st;
    lr_buf b;
    lr_buf_init(&b);
    assert_int_equal(lr_domaintab_append(&b, "L1", 2, 1794927600123LL, "emea_enterprise", 15), 0);
    assert_int_equal(lr_domaintab_append(&b, "L22", 3, -5, "~unrouted", 9), 0);
    assert_int_equal(lr_domaintab_append(&b, "L333", 4, 0, "na_commercial", 13), 0);
    char longid[300];
    memset(longid, 'x', sizeof(longid));
    size_t len = b.len;
    assert_int_equal(lr_domaintab_append(&b, longid, 256, 1, "d", 1), -1); /* id too long */
    assert_int_equal(lr_domaintab_append(&b, "L4", 2, 1, "", 0), -1);       /* no name */
    assert_int_equal(b.len, len); /* nothing appended by the refused ones */
    seen s = {0};
    assert_int_equal(lr_domaintab_parse(b.data, b.len, collect, &s), 3);
    assert_string_equal(s.ids[0], "L1");
    assert_string_equal(s.names[0], "emea_enterprise");
    assert_int_equal(s.since[0], 1794927600123LL);
    assert_string_equal(s.ids[1], "L22");
    assert_int_equal(s.since[1], -5);
    assert_string_equal(s.names[2], "na_commercial");
    /* cut anywhere inside the last entry: the first two, then -1 */
    for (size_t cut = len - 1; cut > len - 4 - 1 - 8 - 1 - 13; cut--) {
        seen t = {0};
        assert_int_equal(lr_domaintab_parse(b.data, cut, collect, &t), -1);
        assert_int_equal(t.n, 2);
    }
    uint8_t bad = 9; /* an unknown format */
    assert_int_equal(lr_domaintab_parse(&bad, 1, collect, &s), -1);
    assert_int_equal(lr_domaintab_parse(NULL, 0, collect, &s), -1);
    uint8_t empty = 1; /* a format byte and no entry */
    assert_int_equal(lr_domaintab_parse(&empty, 1, collect, &s), 0);
    lr_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found_within_the_window_only),
        cmocka_unit_test(test_claim_is_find_then_put),
        cmocka_unit_test(test_memory_longer_than_the_duplicate_window),
        cmocka_unit_test(test_a_new_entry_outlives_its_old_ring_item),
        cmocka_unit_test(test_expired_entries_are_removed),
        cmocka_unit_test(test_dropping_a_partition_keeps_the_others),
        cmocka_unit_test(test_old_records_are_not_restored),
        cmocka_unit_test(test_replacements_do_not_grow_memory),
        cmocka_unit_test(test_changelog_value_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
