/* test_metrics.c - the metrics snapshot (metrics/): what a
 * published snapshot renders in the text format, labels escaped, histogram
 * buckets cumulative, readiness and health flags. The HTTP listener and the
 * whole path through Kafka are tested against a real Prometheus in
 * tests/integration/test_metrics.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hist.h"
#include "metrics.h"

static lr_metrics *two_teams(void) {
    const char *tiers[] = {"hot", "cold"}, *teams[] = {"emea", "na"};
    const char *reps[] = {"ann", "bo\"b"};
    lr_metrics_shape sh = {2, 2, 2, tiers, teams, reps, "1.2.3", "00ff00ff00ff00ff"};
    return lr_metrics_new(&sh);
}

static const char *has(const char *text, const char *line) {
    const char *p = strstr(text, line);
    if (!p) fail_msg("no line '%s' in:\n%s", line, text);
    return p;
}

static void test_render_a_snapshot(void **state) {
    lr_metrics *m = two_teams();
    lr_metrics_snap *s = lr_metrics_back(m);
    s->leads_in = 7;
    s->decisions[LR_STAGE_SALES_READY * 3 + 1] = 4; /* tier hot */
    s->decisions[LR_STAGE_NURTURE * 3 + 0] = 2;     /* untiered */
    s->assignments[1 * 2 + 1] = 3;                  /* na, bo"b */
    s->dead_letters[lr_metrics_dl_of("bad_magic")] = 2;
    s->dead_letters[lr_metrics_dl_of("over_capacity")] = 5; /* a full lead table */
    s->shed = 5;
    s->sla_team[1 * LR_MT__COUNT + LR_MT_BREACHES] = 1;
    s->sla_total[LR_MT_BREACHES] = 3;               /* 2 without a team */
    lr_metrics_hist_add(&s->hist[LR_MH_COMMIT], LR_MH_COMMIT, 0.004);
    lr_metrics_hist_add(&s->hist[LR_MH_COMMIT], LR_MH_COMMIT, 0.2);
    char *buf = NULL;
    size_t cap = 0;
    lr_metrics_render(m, &buf, &cap);
    has(buf, "lead_router_leads_in_total 0\n"); /* nothing published yet */
    lr_metrics_publish(m);
    size_t n = lr_metrics_render(m, &buf, &cap);
    assert_int_equal(n, strlen(buf));
    has(buf, "lead_router_build_info{version=\"1.2.3\",rulebook_hash=\"00ff00ff00ff00ff\"} 1\n");
    has(buf, "# TYPE lead_router_leads_in_total counter\nlead_router_leads_in_total 7\n");
    has(buf, "lead_router_decisions_total{stage=\"SALES_READY\",tier=\"hot\"} 4\n");
    has(buf, "lead_router_decisions_total{stage=\"NURTURE\",tier=\"none\"} 2\n");
    assert_null(strstr(buf, "tier=\"cold\"")); /* no series before its first count */
    has(buf, "lead_router_assignments_total{team=\"na\",rep=\"bo\\\"b\"} 3\n");
    has(buf, "lead_router_dead_letters_total{reason=\"bad_magic\"} 2\n");
    has(buf, "lead_router_dead_letters_total{reason=\"over_capacity\"} 5\n");
    has(buf, "lead_router_dead_letters_total{reason=\"other\"} 0\n");
    has(buf, "# TYPE lead_router_leads_shed_total counter\nlead_router_leads_shed_total 5\n");
    has(buf, "lead_router_sla_breaches_total{team=\"na\"} 1\n");
    has(buf, "lead_router_sla_breaches_total{team=\"emea\"} 0\n");
    has(buf, "lead_router_sla_breaches_total{team=\"none\"} 2\n");
    has(buf, "lead_router_commit_duration_seconds_bucket{le=\"0.0025\"} 0\n");
    has(buf, "lead_router_commit_duration_seconds_bucket{le=\"0.005\"} 1\n");
    has(buf, "lead_router_commit_duration_seconds_bucket{le=\"0.25\"} 2\n");
    has(buf, "lead_router_commit_duration_seconds_bucket{le=\"+Inf\"} 2\n");
    has(buf, "lead_router_commit_duration_seconds_count 2\n");
    free(buf);
    lr_metrics_free(m);
}

static void test_hist_merge_from_core_buckets(void **state) {
    lr_hist h;
    memset(&h, 0, sizeof(h));
    lr_hist_add(&h, 1);    /* 1 ms */
    lr_hist_add(&h, 10);   /* 10 ms: exact, below 16 */
    lr_hist_add(&h, 3000); /* 3 s */
    lr_metrics_hist mh;
    memset(&mh, 0, sizeof(mh));
    lr_metrics_hist_merge(&mh, LR_MH_LATENCY, &h);
    const double *b = lr_metrics_hist_bounds(LR_MH_LATENCY);
    assert_true(b[0] == 0.001 && b[3] == 0.01);
    assert_int_equal(mh.le[0], 1);
    assert_int_equal(mh.le[3], 2);
    assert_int_equal(mh.le[LR_METRICS_HIST_BOUNDS - 1], 3); /* 30 s */
    assert_int_equal(mh.count, 3);
    assert_true(mh.sum > 3.0109 && mh.sum < 3.0111);
}

static void test_ready_and_healthy(void **state) {
    lr_metrics *m = two_teams();
    const char *why;
    assert_false(lr_metrics_ready(m, &why));
    assert_string_equal(why, "no partitions assigned");
    lr_metrics_set_assigned(m, true);
    assert_true(lr_metrics_ready(m, &why));
    lr_metrics_set_restoring(m, true);
    assert_false(lr_metrics_ready(m, &why));
    assert_string_equal(why, "restoring the decision state");
    lr_metrics_set_restoring(m, false);
    lr_metrics_set_brokers_down(m, true);
    assert_false(lr_metrics_ready(m, &why));
    assert_string_equal(why, "all brokers are down");
    lr_metrics_set_brokers_down(m, false);
    assert_true(lr_metrics_ready(m, NULL));
    lr_metrics_heartbeat(m, 1000);
    assert_true(lr_metrics_healthy(m, 5000, 4000));
    assert_false(lr_metrics_healthy(m, 5001, 4000));
    lr_metrics_reload_failed(m);
    lr_metrics_reload_succeeded(m, 1700000000.5);
    lr_metrics_set_rulebook_hash(m, "0123456789abcdef");
    char *buf = NULL;
    size_t cap = 0;
    lr_metrics_render(m, &buf, &cap);
    has(buf, "lead_router_config_reload_failures_total 1\n");
    has(buf, "lead_router_config_reloads_total 1\n");
    has(buf, "lead_router_config_last_reload_success_timestamp_seconds 1700000000.5\n");
    has(buf, "rulebook_hash=\"0123456789abcdef\"} 1\n");
    has(buf, "lead_router_ready 1\n");
    free(buf);
    lr_metrics_free(m);
}

/* Consumer lag comes from librdkafka's statistics JSON, parsed when rendered:
 * known lags of real partitions only. */
static void test_consumer_lag_from_statistics(void **state) {
    lr_metrics *m = two_teams();
    const char *json =
        "{\"name\":\"c\",\"brokers\":{},\"topics\":{\"leads\":{\"partitions\":{"
        "\"0\":{\"partition\":0,\"consumer_lag\":12},"
        "\"1\":{\"partition\":1,\"consumer_lag\":-1},"
        "\"-1\":{\"partition\":-1,\"consumer_lag\":5}}}}}";
    lr_metrics_consumer_stats(m, strdup(json), free);
    lr_metrics_consumer_stats(m, strdup(json), free); /* the first one is freed */
    char *buf = NULL;
    size_t cap = 0;
    lr_metrics_render(m, &buf, &cap);
    has(buf, "lead_router_consumer_lag_messages{topic=\"leads\",partition=\"0\"} 12\n");
    assert_null(strstr(buf, "partition=\"1\""));
    assert_null(strstr(buf, "partition=\"-1\""));
    free(buf);
    lr_metrics_free(m);
}

/* A reload to a rulebook with other names: every count carries on under
 * its name, a removed name's series ends (its SLA counts do not become
 * "none"'s), a new one starts at zero, and the new cores' counts add to
 * what was carried, so no counter goes down. */
static void test_reshape_carries_counts_by_name(void **state) {
    lr_metrics *m = two_teams(); /* tiers hot, cold; teams emea, na; reps ann, bo"b */
    lr_metrics_snap *s = lr_metrics_back(m);
    s->leads_in = 7;
    s->duplicates = 1;
    s->decisions[LR_STAGE_SALES_READY * 3 + 1] = 4; /* hot */
    s->decisions[LR_STAGE_NURTURE * 3 + 0] = 2;     /* untiered */
    s->assignments[0 * 2 + 0] = 2;                  /* emea, ann */
    s->assignments[1 * 2 + 1] = 3;                  /* na, bo"b */
    s->sla_team[0 * LR_MT__COUNT + LR_MT_BREACHES] = 2; /* emea */
    s->sla_team[1 * LR_MT__COUNT + LR_MT_BREACHES] = 1; /* na */
    s->sla_total[LR_MT_BREACHES] = 5;                   /* 2 without a team */
    lr_metrics_hist_add(&s->hist[LR_MH_LATENCY], LR_MH_LATENCY, 0.02);
    lr_metrics_publish(m);

    const char *tiers[] = {"cold", "hot", "warm"}, *teams[] = {"na", "apac"};
    const char *reps[] = {"bo\"b", "cat"};
    lr_metrics_shape sh = {3, 2, 2, tiers, teams, reps, NULL, NULL};
    lr_metrics_reshape(m, &sh);
    assert_int_equal(lr_metrics_n_tiers(m), 3);
    char *buf = NULL;
    size_t cap = 0;
    lr_metrics_render(m, &buf, &cap); /* before the new cores publish anything */
    has(buf, "lead_router_leads_in_total 7\n");
    has(buf, "lead_router_decisions_total{stage=\"SALES_READY\",tier=\"hot\"} 4\n");
    has(buf, "lead_router_decisions_total{stage=\"NURTURE\",tier=\"none\"} 2\n");
    has(buf, "lead_router_assignments_total{team=\"na\",rep=\"bo\\\"b\"} 3\n");
    assert_null(strstr(buf, "team=\"emea\""));
    assert_null(strstr(buf, "rep=\"ann\""));
    has(buf, "lead_router_sla_breaches_total{team=\"na\"} 1\n");
    has(buf, "lead_router_sla_breaches_total{team=\"apac\"} 0\n");
    has(buf, "lead_router_sla_breaches_total{team=\"none\"} 2\n");

    /* the new cores count from zero; the snapshot starts from the carried counts */
    s = lr_metrics_back(m);
    assert_int_equal(s->leads_in, 0); /* the run's own counters are set, not carried */
    s->leads_in = 9;
    s->decisions[LR_STAGE_SALES_READY * 4 + 2] += 1;  /* hot, now the second tier */
    s->assignments[1 * 2 + 1] += 1;                   /* apac, cat */
    s->duplicates += 1;
    lr_metrics_publish(m);
    lr_metrics_render(m, &buf, &cap);
    has(buf, "lead_router_leads_in_total 9\n");
    has(buf, "lead_router_duplicates_total 2\n");
    has(buf, "lead_router_decisions_total{stage=\"SALES_READY\",tier=\"hot\"} 5\n");
    has(buf, "lead_router_assignments_total{team=\"apac\",rep=\"cat\"} 1\n");
    has(buf, "lead_router_assignments_total{team=\"na\",rep=\"bo\\\"b\"} 3\n");
    has(buf, "lead_router_routing_latency_seconds_count 1\n");
    free(buf);
    lr_metrics_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_a_snapshot),
        cmocka_unit_test(test_hist_merge_from_core_buckets),
        cmocka_unit_test(test_ready_and_healthy),
        cmocka_unit_test(test_consumer_lag_from_statistics),
        cmocka_unit_test(test_reshape_carries_counts_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
