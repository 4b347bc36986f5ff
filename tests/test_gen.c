/* test_gen.c - the synthetic lead generator: deterministic, shaped as
 * intended, and always valid input for the codec and the core. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "gen.h"

#define START 1795000000000LL /* 2026-11-18 */

static lr_codec *codec_new(void) {
    lr_codec_ids ids = {1, 2, 3, 4, 5};
    lr_err err = {0};
    lr_codec *c = lr_codec_new(&ids, 1 << 20, &err);
    if (!c) fail_msg("lr_codec_new: %s", err.msg);
    return c;
}

static lr_lead lead, back;

/* n leads of a seed, encoded back to back */
static void encode_stream(lr_codec *c, uint64_t seed, int n, lr_buf *out) {
    lr_gen *g = lr_gen_new(seed, START, 100);
    lr_arena arena;
    lr_arena_init(&arena, 0);
    for (int i = 0; i < n; i++) {
        lr_arena_reset(&arena);
        lr_gen_next_lead(g, &lead, &arena);
        lr_codec_encode_lead(c, &lead, out);
    }
    assert_int_equal(lr_gen_count(g), n);
    lr_arena_destroy(&arena);
    lr_gen_free(g);
}

static void test_deterministic(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_buf a, b, d;
    lr_buf_init(&a);
    lr_buf_init(&b);
    lr_buf_init(&d);
    encode_stream(c, 42, 3000, &a);
    encode_stream(c, 42, 3000, &b);
    encode_stream(c, 43, 3000, &d);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_true(a.len != d.len || memcmp(a.data, d.data, a.len) != 0);
    lr_buf_free(&a);
    lr_buf_free(&b);
    lr_buf_free(&d);
    lr_codec_free(c);
}

static bool ci_contains(const char *s, const char *word) {
    size_t n = strlen(word);
    for (; s && *s; s++)
        if (strncasecmp(s, word, n) == 0) return true;
    return false;
}

static bool is_decision_maker(const char *t) {
    return ci_contains(t, "chief") || ci_contains(t, "vp") || ci_contains(t, "vice president") ||
           ci_contains(t, "head of") || ci_contains(t, "director");
}

static const char *region_of(const char *country) {
    static const char *const na[] = {"US", "CA"};
    static const char *const eu[] = {"GB", "DE", "FR", "NL", "ES", "IT", "AT", "CH", "SE"};
    for (size_t i = 0; i < 2; i++)
        if (!strcmp(country, na[i])) return "NA";
    for (size_t i = 0; i < sizeof(eu) / sizeof(eu[0]); i++)
        if (!strcmp(country, eu[i])) return "EU";
    return NULL; /* APAC, LATAM, MEA: anything but NA/EU */
}

#define N 20000

/* identities by lead number, to see that a repeated id is the same person */
static char *emails[N + 1];

static void assert_share(const char *what, int count, int total, double lo, double hi) {
    double share = (double)count / total;
    print_message("%-28s %6.2f %%\n", what, share * 100);
    if (share < lo || share > hi)
        fail_msg("%s: %.3f outside [%.3f, %.3f]", what, share, lo, hi);
}

static void test_distributions(void **state) {
    (void)state;
    lr_gen *g = lr_gen_new(1, START, 100);
    lr_arena arena;
    lr_arena_init(&arena, 0);
    int repeats = 0, with_demo = 0, activities = 0, dm = 0, students = 0, no_title = 0;
    int bigcorp = 0, megabank = 0, freemail = 0, consent_true = 0, consent_false = 0;
    int consent_unknown = 0, plan = 0, utm = 0, na = 0, eu = 0, other = 0, no_region = 0;
    int by_type[LR_ACT__COUNT] = {0}, by_count[7] = {0}, big = 0, phones = 0;
    lr_time_ms last = 0;
    for (int i = 0; i < N; i++) {
        lr_gen_next_lead(g, &lead, &arena);
        /* time moves forward from the start */
        assert_true(lead.event_time >= START && lead.event_time >= last);
        last = lead.event_time;
        assert_int_equal(lr_gen_clock(g), lead.event_time);
        /* ids: L + 7 digits; a repeat keeps the identity */
        assert_int_equal(lead.lead_id.len, 8);
        assert_int_equal(lead.lead_id.s[0], 'L');
        int num = atoi(lead.lead_id.s + 1);
        assert_true(num >= 1 && num <= N);
        if (emails[num]) {
            repeats++;
            assert_string_equal(emails[num], lead.email.s);
        } else {
            emails[num] = strdup(lead.email.s);
        }
        /* activities: 0-6, before the event, within 30 days and 10 minutes */
        assert_true(lead.n_activities <= 6);
        by_count[lead.n_activities]++;
        activities += (int)lead.n_activities;
        bool demo = false;
        for (uint32_t k = 0; k < lead.n_activities; k++) {
            const lr_activity *a = &lead.activities[k];
            assert_true(a->at < lead.event_time);
            assert_true(a->at >= lead.event_time - 30 * LR_DAY_MS - 10 * LR_MINUTE_MS);
            if (k) assert_true(a->at >= lead.activities[k - 1].at);
            by_type[a->type]++;
            demo |= a->type == LR_ACT_DEMO_REQUEST;
        }
        with_demo += demo;
        if (!lead.job_title.s) no_title++;
        else if (is_decision_maker(lead.job_title.s)) dm++;
        else if (!strncmp(lead.job_title.s, "student", 7)) students++;
        if (lead.company_domain.s && !strcmp(lead.company_domain.s, "bigcorp.com")) bigcorp++;
        if (lead.company_domain.s && !strcmp(lead.company_domain.s, "megabank.de")) megabank++;
        const char *at = strchr(lead.email.s, '@');
        assert_non_null(at);
        if (!strcmp(at + 1, "gmail.com") || !strcmp(at + 1, "yahoo.com") ||
            !strcmp(at + 1, "hotmail.com") || !strcmp(at + 1, "outlook.com"))
            freemail++;
        if (!lead.consent_known) consent_unknown++;
        else if (lead.consent) consent_true++;
        else consent_false++;
        for (uint32_t k = 0; k < lead.n_attrs; k++) {
            if (!strcmp(lead.attrs[k].key.s, "plan")) plan++;
            if (!strcmp(lead.attrs[k].key.s, "utm_term")) utm++;
        }
        /* regions follow the example config's territories */
        assert_non_null(lead.country.s);
        const char *want = region_of(lead.country.s);
        if (!lead.region.s) no_region++;
        else if (want) assert_string_equal(lead.region.s, want);
        else assert_true(strcmp(lead.region.s, "NA") && strcmp(lead.region.s, "EU"));
        if (want && !strcmp(want, "NA")) na++;
        else if (want) eu++;
        else other++;
        if (lead.company_size >= 1000) big++;
        if (lead.phone.s) phones++;
        assert_true(lead.company_size == -1 || lead.company_size > 0);
        assert_true(lead.annual_revenue == -1 || lead.annual_revenue > 0);
        assert_non_null(lead.source.s);
        if (i % 1000 == 999) lr_arena_reset(&arena);
    }
    int dist[7];
    memcpy(dist, by_count, sizeof(dist));
    assert_share("repeated lead ids", repeats, N, 0.02, 0.045);
    assert_share("leads with a demo request", with_demo, N, 0.05, 0.15);
    assert_share("decision makers", dm, N, 0.15, 0.30);
    assert_share("students", students, N, 0.03, 0.12);
    assert_share("no job title", no_title, N, 0.04, 0.12);
    assert_share("bigcorp.com", bigcorp, N, 0.015, 0.05);
    assert_share("megabank.de", megabank, N, 0.01, 0.035);
    assert_share("free mail", freemail, N, 0.08, 0.16);
    assert_share("consent true", consent_true, N, 0.83, 0.92);
    assert_share("consent false", consent_false, N, 0.04, 0.10);
    assert_share("consent unknown", consent_unknown, N, 0.03, 0.08);
    assert_share("attrs.plan", plan, N, 0.65, 0.75);
    assert_share("attrs.utm_term", utm, N, 0.15, 0.30);
    assert_share("NA", na, N, 0.30, 0.45);
    assert_share("EU", eu, N, 0.35, 0.50);
    assert_share("elsewhere", other, N, 0.15, 0.30);
    assert_share("region missing", no_region, N, 0.01, 0.06);
    assert_share("1000+ employees", big, N, 0.15, 0.40);
    assert_share("with phone", phones, N, 0.45, 0.65);
    double mean = (double)activities / N;
    print_message("%-28s %6.2f\n", "activities per lead", mean);
    assert_true(mean > 2.3 && mean < 2.7);
    for (int k = 0; k <= 6; k++) assert_true(dist[k] > N / 20); /* every count occurs */
    /* page views lead; strong and negative signals exist but are rare */
    assert_true(by_type[LR_ACT_PAGE_VIEW] > by_type[LR_ACT_PRICING_PAGE]);
    assert_true(by_type[LR_ACT_PRICING_PAGE] > by_type[LR_ACT_DEMO_REQUEST]);
    assert_true(by_type[LR_ACT_DEMO_REQUEST] > by_type[LR_ACT_SPAM_COMPLAINT]);
    for (int t = 0; t < LR_ACT__COUNT; t++) assert_true(by_type[t] > 0);
    /* the rate: 100 leads/s, so about 200 s of event time */
    double span = (double)(last - START) / 1000.0;
    print_message("%-28s %6.1f s\n", "event time span", span);
    assert_true(span > 190 && span < 210);
    for (int i = 0; i <= N; i++) free(emails[i]);
    memset(emails, 0, sizeof(emails));
    lr_arena_destroy(&arena);
    lr_gen_free(g);
}

static void test_contract_and_roundtrip(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_gen *g = lr_gen_new(99, START, 1000);
    lr_arena arena;
    lr_arena_init(&arena, 0);
    lr_buf a, b;
    lr_buf_init(&a);
    lr_buf_init(&b);
    for (int i = 0; i < N; i++) {
        lr_arena_reset(&arena);
        lr_gen_next_lead(g, &lead, &arena);
        const char *why = lr_lead_contract_violation(&lead);
        if (why) fail_msg("lead %d: %s", i, why);
        lr_buf_reset(&a);
        lr_buf_reset(&b);
        lr_codec_encode_lead(c, &lead, &a);
        why = NULL;
        lr_codec_status st = lr_codec_decode_lead(c, a.data, a.len, &back, &arena, &why);
        if (st != LR_CODEC_OK) fail_msg("lead %d: %s", i, why);
        lr_codec_encode_lead(c, &back, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
    }
    lr_buf_free(&a);
    lr_buf_free(&b);
    lr_arena_destroy(&arena);
    lr_gen_free(g);
    lr_codec_free(c);
}

static void test_repeat_rate(void **state) {
    (void)state;
    lr_gen *g = lr_gen_new(5, START, 10);
    lr_gen_set_repeat_rate(g, 0);
    lr_arena arena;
    lr_arena_init(&arena, 0);
    char expect[16];
    for (int i = 1; i <= 3000; i++) {
        lr_gen_next_lead(g, &lead, &arena);
        snprintf(expect, sizeof(expect), "L%07d", i);
        assert_string_equal(lead.lead_id.s, expect);
    }
    lr_gen_set_repeat_rate(g, 1); /* every lead now repeats a recent id */
    for (int i = 0; i < 500; i++) {
        lr_gen_next_lead(g, &lead, &arena);
        int num = atoi(lead.lead_id.s + 1);
        assert_true(num > 3000 - 1024 && num <= 3000);
    }
    lr_arena_destroy(&arena);
    lr_gen_free(g);
}

static void decision_for(lr_decision *d, const char *event_id, const char *rep, lr_time_ms at) {
    memset(d, 0, offsetof(lr_decision, reasons));
    d->event_id = event_id;
    d->lead_id = (lr_str){"L0000007", 8};
    d->stage = LR_STAGE_SALES_READY;
    d->rep = rep;
    d->team = "na_commercial";
    d->decided_at = at;
    d->event_time = at - 5;
    d->sla_due_at = LR_TIME_NONE;
}

static void test_answers(void **state) {
    (void)state;
    lr_codec *c = codec_new();
    lr_gen *g = lr_gen_new(3, START, 10);
    lr_arena arena;
    lr_arena_init(&arena, 0);
    lr_decision d;
    lr_sales_activity out[3], again[3], back_sa;
    int none = 0, by_kind[LR_SALES__COUNT] = {0}, fast = 0, total = 4000;
    char id[64];
    for (int i = 0; i < total; i++) {
        snprintf(id, sizeof(id), "L%07d:decision:%d", i, 1 + i % 3);
        decision_for(&d, id, i % 2 ? "alice" : "dieter", START + i * LR_MINUTE_MS);
        size_t n = lr_gen_answer(g, &d, out, 3, &arena);
        /* the same answer again, whatever was asked in between */
        lr_gen_answer(g, &d, again, 3, &arena);
        assert_true(n <= 3);
        if (n == 0) {
            none++;
            continue;
        }
        assert_int_equal(out[0].kind, LR_SALES_CONTACTED);
        if (out[0].occurred_at - d.decided_at <= 15 * LR_MINUTE_MS) fast++;
        lr_time_ms prev = d.decided_at;
        for (size_t k = 0; k < n; k++) {
            const lr_sales_activity *a = &out[k];
            assert_true(a->occurred_at > prev);
            prev = a->occurred_at;
            assert_string_equal(a->rep_id.s, d.rep);
            assert_string_equal(a->assignment_id.s, d.event_id);
            assert_string_equal(a->lead_id.s, "L0000007");
            assert_string_equal(a->activity_id.s, again[k].activity_id.s);
            assert_int_equal(a->occurred_at, again[k].occurred_at);
            assert_int_equal(a->kind, again[k].kind);
            assert_null(lr_sales_contract_violation(a));
            by_kind[a->kind]++;
            if (a->kind == LR_SALES_REJECTED) assert_non_null(a->reason.s);
            if (a->kind == LR_SALES_CONVERTED) {
                assert_true(a->has_value && a->opportunity_value >= 5000);
                assert_int_equal(out[k - 1].kind, LR_SALES_ACCEPTED);
            }
            /* and the codec carries it */
            lr_buf b;
            lr_buf_init(&b);
            lr_codec_encode_sales(c, a, &b);
            const char *why;
            assert_int_equal(lr_codec_decode_sales(c, b.data, b.len, &back_sa, &arena, &why),
                             LR_CODEC_OK);
            assert_int_equal(back_sa.kind, a->kind);
            assert_string_equal(back_sa.activity_id.s, a->activity_id.s);
            lr_buf_free(&b);
        }
        if (i % 500 == 499) lr_arena_reset(&arena);
    }
    print_message("never touched %.1f %%, contacted within 15 min %.1f %%, accepted %d, "
                  "rejected %d, recycled %d, converted %d\n", 100.0 * none / total,
                  100.0 * fast / (total - none), by_kind[LR_SALES_ACCEPTED],
                  by_kind[LR_SALES_REJECTED], by_kind[LR_SALES_RECYCLED],
                  by_kind[LR_SALES_CONVERTED]);
    assert_true(none > total * 0.06 && none < total * 0.14);
    assert_true(fast > (total - none) * 0.45 && fast < (total - none) * 0.65);
    assert_true(by_kind[LR_SALES_ACCEPTED] > by_kind[LR_SALES_REJECTED]);
    assert_true(by_kind[LR_SALES_REJECTED] > 0 && by_kind[LR_SALES_RECYCLED] > 0);
    assert_true(by_kind[LR_SALES_CONVERTED] > 0 &&
                by_kind[LR_SALES_CONVERTED] < by_kind[LR_SALES_ACCEPTED]);

    /* no rep (queued), or no room: nothing or less */
    decision_for(&d, "L0000001:decision:1", NULL, START);
    assert_int_equal(lr_gen_answer(g, &d, out, 3, &arena), 0);
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof(id), "L%07d:decision:9", i);
        decision_for(&d, id, "bob", START);
        assert_true(lr_gen_answer(g, &d, out, 1, &arena) <= 1);
    }
    /* another generator with the same seed answers the same */
    lr_gen *g2 = lr_gen_new(3, START + 1, 500);
    decision_for(&d, "L0000123:decision:1", "carol", START);
    size_t n1 = lr_gen_answer(g, &d, out, 3, &arena), n2 = lr_gen_answer(g2, &d, again, 3, &arena);
    assert_int_equal(n1, n2);
    for (size_t k = 0; k < n1; k++) assert_int_equal(out[k].occurred_at, again[k].occurred_at);
    lr_gen_free(g2);

    lr_arena_destroy(&arena);
    lr_gen_free(g);
    lr_codec_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_distributions),
        cmocka_unit_test(test_contract_and_roundtrip),
        cmocka_unit_test(test_repeat_rate),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
