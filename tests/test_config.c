/* test_config.c - the configuration's `kafka:` section (config.c): the
 * defaults when it is absent, every key read, unknown keys refused with
 * FILE:LINE, processing values, commit_interval and other bounds,
 * repartition needing lead_domains, schema_ids; and the `http:` section.
 * The rule sections are tested with their modules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

/* The smallest rulebook that loads: the kafka section goes before it. */
static const char rules[] =
    "routing:\n"
    "  rules: [{ name: all, team: sales }]\n"
    "teams:\n"
    "  - { name: sales, strategy: round_robin, timezone: UTC, members: [{ rep: ann }] }\n"
    "reps:\n"
    "  - { id: ann, timezone: UTC }\n";

static lr_config *load(const char *kafka, lr_err *err) {
    char yaml[4096];
    snprintf(yaml, sizeof(yaml), "%s%s", kafka, rules);
    memset(err, 0, sizeof(*err));
    return lr_config_load_string("k.yaml", yaml, err);
}

static const lr_kafka_config *ok(const char *kafka, lr_config **keep) {
    lr_err err;
    *keep = load(kafka, &err);
    if (!*keep) fail_msg("refused: %s", err.msg);
    return &(*keep)->kafka;
}

/* Refused, with the message starting "k.yaml:LINE: " and containing part. */
static void refused(const char *kafka, int line, const char *part) {
    lr_err err;
    lr_config *cfg = load(kafka, &err);
    if (cfg) {
        lr_config_free(cfg);
        fail_msg("accepted, wanted '%s'", part);
    }
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "k.yaml:%d: ", line);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", err.msg, prefix);
    if (!strstr(err.msg, part)) fail_msg("'%s' lacks '%s'", err.msg, part);
}

/* Topics in lr_kafka_topics order; NULL for an unset one. */
static void expect_topics(const lr_kafka_topics *t, const char *const want[10]) {
    const char *const got[] = {t->leads,   t->sales_activity, t->assignments, t->nurture,
                               t->status,  t->alerts,         t->dead_letter, t->state,
                               t->repartition, t->lead_domains};
    for (size_t i = 0; i < 10; i++) {
        if (!want[i]) assert_null(got[i]);
        else assert_string_equal(got[i], want[i]);
    }
}

/* lead, sales_activity, decision, status, alert: base + 1 .. base + 5. */
static void expect_ids(const lr_kafka_schema_ids *ids, int64_t base) {
    const int64_t got[] = {ids->lead, ids->sales_activity, ids->decision, ids->status,
                           ids->alert};
    for (int i = 0; i < 5; i++) assert_int_equal(got[i], base + i + 1);
}

/* The scalar keys, as one expected row. */
typedef struct scalars {
    const char *group_id, *transactional_id;
    lr_processing processing;
    int64_t commit_interval_ms, commit_max_messages, max_message_bytes, lead_domains_memory_ms;
} scalars;

static void expect_scalars(const lr_kafka_config *k, scalars w) {
    assert_string_equal(k->group_id, w.group_id);
    assert_string_equal(k->transactional_id, w.transactional_id);
    assert_int_equal(k->processing, w.processing);
    assert_int_equal(k->commit_interval_ms, w.commit_interval_ms);
    assert_int_equal(k->commit_max_messages, w.commit_max_messages);
    assert_int_equal(k->max_message_bytes, w.max_message_bytes);
    assert_int_equal(k->lead_domains_memory_ms, w.lead_domains_memory_ms);
}

static void test_defaults(void **state) {
    (void)state;
    lr_config *cfg;
    const lr_kafka_config *k = ok("", &cfg);
    assert_int_equal(k->n_props, 0);
    expect_scalars(k, (scalars){"lead-router", "lead-router-1", LR_PROCESSING_EXACTLY_ONCE, 100,
                                10000, 1048576, 0});
    static const char *const topics[10] = {
        "leads",      "sales-activity",  "lead-assignments",  "lead-nurture", "lead-status",
        "sla-alerts", "lead-router-dlq", "lead-router-state", NULL,           NULL};
    expect_topics(&k->topics, topics);
    expect_ids(&k->schema_ids, 0);
    lr_config_free(cfg);
    /* an empty section is the same as none */
    k = ok("kafka: {}\n", &cfg);
    assert_string_equal(k->group_id, "lead-router");
    lr_config_free(cfg);
}

static const char every_key[] =
    "kafka:\n"
    "  properties:\n"
    "    bootstrap.servers: \"broker:9092\"\n"
    "    linger.ms: 5\n"
    "  group_id: g\n"
    "  processing: at_least_once\n"
    "  transactional_id: t-7\n"
    "  commit_interval: 2s\n"
    "  commit_max_messages: 500\n"
    "  max_message_bytes: 4096\n"
    "  lead_domains_memory: 8d\n"
    "  topics:\n"
    "    leads: l\n"
    "    sales_activity: sa\n"
    "    assignments: as\n"
    "    nurture: nu\n"
    "    status: st\n"
    "    alerts: al\n"
    "    dead_letter: dl\n"
    "    state: sx\n"
    "    repartition: rp\n"
    "    lead_domains: ld\n"
    "  schema_ids: { lead: 11, sales_activity: 12, decision: 13, status: 14, alert: 15 }\n";

static void test_every_key(void **state) {
    (void)state;
    lr_config *cfg;
    const lr_kafka_config *k = ok(every_key, &cfg);
    assert_int_equal(k->n_props, 2);
    assert_string_equal(k->prop_keys[0], "bootstrap.servers");
    assert_string_equal(k->prop_values[0], "broker:9092");
    assert_string_equal(k->prop_keys[1], "linger.ms");
    assert_string_equal(k->prop_values[1], "5");
    expect_scalars(k, (scalars){"g", "t-7", LR_PROCESSING_AT_LEAST_ONCE, 2000, 500, 4096,
                                8 * LR_DAY_MS});
    static const char *const topics[10] = {"l", "sa", "as", "nu", "st",
                                           "al", "dl", "sx", "rp", "ld"};
    expect_topics(&k->topics, topics);
    expect_ids(&k->schema_ids, 10);
    lr_config_free(cfg);
}

static void test_unknown_keys(void **state) {
    (void)state;
    refused("kafka:\n  group_id: g\n  group_idd: g\n", 3, "group_idd");
    refused("kafka:\n  topics:\n    leads: l\n    leeds: l\n", 4, "leeds");
    refused("kafka:\n  schema_ids:\n    lead: 1\n    order: 9\n", 4, "order");
    refused("kafka:\n  properties:\n    linger.ms: [1, 2]\n", 3, "single value");
    refused("kafka: 7\n", 1, "kafka");
}

static void test_processing(void **state) {
    (void)state;
    lr_config *cfg;
    assert_int_equal(ok("kafka:\n  processing: exactly_once\n", &cfg)->processing,
                     LR_PROCESSING_EXACTLY_ONCE);
    lr_config_free(cfg);
    assert_int_equal(ok("kafka:\n  processing: at_least_once\n", &cfg)->processing,
                     LR_PROCESSING_AT_LEAST_ONCE);
    lr_config_free(cfg);
    refused("kafka:\n  processing: exactly-once\n", 2,
            "processing must be exactly_once or at_least_once, not 'exactly-once'");
}

static void test_bounds(void **state) {
    (void)state;
    lr_config *cfg;
    assert_int_equal(ok("kafka:\n  commit_interval: 1ms\n", &cfg)->commit_interval_ms, 1);
    lr_config_free(cfg);
    assert_int_equal(ok("kafka:\n  commit_interval: 60s\n", &cfg)->commit_interval_ms, 60000);
    lr_config_free(cfg);
    refused("kafka:\n  commit_interval: 0ms\n", 2, "commit_interval must be between 1ms and 60s");
    refused("kafka:\n  commit_interval: 61s\n", 2, "commit_interval must be between 1ms and 60s");
    refused("kafka:\n  commit_interval: soon\n", 2, "'soon' is not a duration");
    refused("kafka:\n  commit_max_messages: 0\n", 2, "0 is out of range [1, 10000000]");
    refused("kafka:\n  max_message_bytes: 63\n", 2, "63 is out of range [64, 104857600]");
    refused("kafka:\n  max_message_bytes: 104857601\n", 2, "out of range");
    assert_int_equal(ok("kafka:\n  max_message_bytes: 104857600\n", &cfg)->max_message_bytes,
                     104857600);
    lr_config_free(cfg);
}

/* Each regex alone is bounded where it is parsed (test_predicate.c); all of
 * a file's together too, so that many costly ones cannot add up. Ten at the
 * single-pattern limit pass, the eleventh is refused at its line. */
static void test_regex_budget(void **state) {
    (void)state;
    char yaml[2048] = "scoring:\n  fit:\n";
    for (int i = 0; i < 11; i++) {
        size_t n = strlen(yaml);
        snprintf(yaml + n, sizeof(yaml) - n,
                 "    - { name: r%d, field: job_title, regex: \"(?i)(x{100}){20}\", points: 1 }\n", i);
        if (i == 9) {
            lr_config *cfg;
            ok(yaml, &cfg);
            lr_config_free(cfg);
        }
    }
    refused(yaml, 13, "the regexes of this file expand to more than 20000 atom copies together");
}

/* An empty file, or one without teams and reps, routes nothing: refused. */
static void test_routes_nothing(void **state) {
    (void)state;
    lr_err err = {0};
    const char *const files[] = {"", "# only a comment\n", "kafka:\n  group_id: g\n"};
    for (size_t i = 0; i < 3; i++) {
        lr_config *cfg = lr_config_load_string("e.yaml", files[i], &err);
        assert_null(cfg);
        assert_string_equal(err.msg, "e.yaml:1: the configuration routes nothing: no teams and "
                                     "no reps");
    }
}

static void test_repartition(void **state) {
    (void)state;
    refused("kafka:\n  topics:\n    repartition: rp\n", 3,
            "kafka.topics.repartition needs kafka.topics.lead_domains");
    refused("kafka:\n  topics:\n    lead_domains: ld\n", 3,
            "kafka.topics.lead_domains is only used with kafka.topics.repartition");
    refused("kafka:\n  lead_domains_memory: 30d\n", 2,
            "kafka.lead_domains_memory is only used with kafka.topics.repartition");
    /* stage 1 must remember a lead for at least its duplicate window (7d by default) */
    refused("kafka:\n  lead_domains_memory: 1d\n  topics: { repartition: rp, lead_domains: ld }\n",
            2, "is shorter than qualification.duplicate_window");
    lr_config *cfg;
    const lr_kafka_config *k =
        ok("kafka:\n  topics: { repartition: rp, lead_domains: ld }\n", &cfg);
    assert_string_equal(k->topics.repartition, "rp");
    assert_int_equal(k->lead_domains_memory_ms, 0); /* 0: the duplicate window */
    lr_config_free(cfg);
}

static void test_schema_ids(void **state) {
    (void)state;
    lr_config *cfg;
    const lr_kafka_config *k = ok("kafka:\n  schema_ids: { lead: 0, alert: 2147483647 }\n", &cfg);
    assert_int_equal(k->schema_ids.lead, 0);
    assert_int_equal(k->schema_ids.sales_activity, 2); /* the others keep their defaults */
    assert_int_equal(k->schema_ids.alert, 2147483647);
    lr_config_free(cfg);
    refused("kafka:\n  schema_ids:\n    lead: -1\n", 3, "-1 is out of range [0, 2147483647]");
    refused("kafka:\n  schema_ids:\n    decision: 2147483648\n", 3, "out of range");
    refused("kafka:\n  schema_ids:\n    status: four\n", 3, "four");
}

/* log: format and level, refused with FILE:LINE otherwise. */
static void test_log_section(void **state) {
    (void)state;
    lr_config *cfg;
    ok("", &cfg);
    assert_int_equal(cfg->log.format, LR_LOG_TEXT);
    assert_int_equal(cfg->log.level, LR_LOG_INFO);
    lr_config_free(cfg);
    ok("log:\n  format: json\n  level: warn\n", &cfg);
    assert_int_equal(cfg->log.format, LR_LOG_JSON);
    assert_int_equal(cfg->log.level, LR_LOG_WARN);
    lr_config_free(cfg);
    refused("log:\n  format: xml\n", 2, "log.format 'xml' is not one of: json, text");
    refused("log:\n  level: loud\n", 2, "log.level 'loud'");
    refused("log:\n  colour: red\n", 2, "colour");
}

/* A reload reports the kafka settings that differ, and only those. */
static void test_restart_keys(void **state) {
    (void)state;
    lr_config *a, *b;
    const char *names[16];
    ok("kafka:\n  group_id: g\n  properties: { bootstrap.servers: x }\n", &a);
    ok("kafka:\n  group_id: g\n  properties: { bootstrap.servers: x }\nlog: { level: debug }\n",
       &b);
    assert_int_equal(lr_config_restart_keys(a, b, false, names, 16), 0);
    lr_config_free(b);
    ok("kafka:\n  group_id: h\n  properties: { bootstrap.servers: y }\n"
       "  topics: { leads: other }\n  transactional_id: t2\n", &b);
    assert_int_equal(lr_config_restart_keys(a, b, false, names, 16), 4);
    assert_string_equal(names[0], "kafka.properties");
    assert_string_equal(names[1], "kafka.group_id");
    assert_string_equal(names[2], "kafka.transactional_id");
    assert_string_equal(names[3], "kafka.topics");
    /* --transactional-id on the command line: the file's is not compared */
    assert_int_equal(lr_config_restart_keys(a, b, true, names, 2), 3);
    assert_string_equal(names[1], "kafka.group_id");
    lr_config_free(b);
    /* the HTTP listener keeps its socket and settings: turning it on, or
     * changing one of its keys, needs a restart too */
    ok("kafka:\n  group_id: g\n  properties: { bootstrap.servers: x }\nhttp: {}\n", &b);
    assert_int_equal(lr_config_restart_keys(a, b, false, names, 16), 1);
    assert_string_equal(names[0], "http");
    lr_config_free(a);
    ok("kafka:\n  group_id: g\n  properties: { bootstrap.servers: x }\n"
       "http: { enable_reload: true }\n", &a);
    assert_int_equal(lr_config_restart_keys(a, b, false, names, 16), 1);
    assert_string_equal(names[0], "http");
    lr_config_free(a);
    lr_config_free(b);
    /* the webhook senders copy `alerts:` at start: a sink added, or a setting
     * changed, needs a restart; the same section again does not */
    const char *base = "kafka:\n  group_id: g\n  properties: { bootstrap.servers: x }\n";
    char y1[512], y2[512];
    snprintf(y1, sizeof(y1), "%salerts:\n  webhooks: [{ url: 'http://127.0.0.1:1/a' }]\n", base);
    snprintf(y2, sizeof(y2), "%salerts:\n  webhooks: [{ url: 'http://127.0.0.1:1/a', "
             "format: slack }]\n", base);
    ok(base, &a);
    ok(y1, &b);
    assert_int_equal(lr_config_restart_keys(a, b, false, names, 16), 1);
    assert_string_equal(names[0], "alerts");
    lr_config_free(a);
    ok(y2, &a);
    assert_int_equal(lr_config_restart_keys(a, b, false, names, 16), 1);
    assert_string_equal(names[0], "alerts");
    lr_config_free(a);
    ok(y1, &a);
    assert_int_equal(lr_config_restart_keys(a, b, false, names, 16), 0);
    lr_config_free(a);
    lr_config_free(b);
}

/* `http:`: off when absent, defaults, every key, unknown keys and bounds. */
static void test_http(void **state) {
    lr_config *cfg;
    ok("", &cfg);
    assert_false(cfg->http.enabled);
    lr_config_free(cfg);
    ok("http: {}\n", &cfg);
    assert_true(cfg->http.enabled);
    assert_string_equal(cfg->http.address, "127.0.0.1");
    assert_int_equal(cfg->http.port, 9464);
    assert_int_equal(cfg->http.health_timeout_ms, 10000);
    assert_false(cfg->http.enable_reload);
    lr_config_free(cfg);
    ok("http:\n  address: 0.0.0.0\n  port: 8080\n  health_timeout: 30s\n"
       "  enable_reload: true\n", &cfg);
    assert_string_equal(cfg->http.address, "0.0.0.0");
    assert_int_equal(cfg->http.port, 8080);
    assert_int_equal(cfg->http.health_timeout_ms, 30000);
    assert_true(cfg->http.enable_reload);
    lr_config_free(cfg);
    refused("http:\n  port: 9464\n  prot: 1\n", 3, "prot");
    refused("http:\n  port: 0\n", 2, "out of range");
    refused("http:\n  port: 70000\n", 2, "out of range");
    refused("http:\n  health_timeout: 10ms\n", 2, "health_timeout");
    refused("htp:\n  port: 1\n", 1, "unknown section 'htp'");
}

/* `alerts:`: no sinks when absent, defaults, kinds and formats, and the
 * refusals with their FILE:LINE. */
static void test_alerts(void **state) {
    lr_config *cfg;
    ok("", &cfg);
    assert_int_equal(cfg->alerts.n_webhooks, 0);
    assert_int_equal(cfg->alerts.queue_size, 10000);
    lr_config_free(cfg);
    ok("alerts:\n  retry_max: 5s\n  webhooks:\n    - url: http://127.0.0.1:1/a\n"
       "    - { url: 'https://hooks.example/b', format: slack, kinds: [breach, escalation],"
       " timeout: 2s }\n", &cfg);
    const lr_alerts_config *a = &cfg->alerts;
    assert_int_equal(a->n_webhooks, 2);
    assert_int_equal(a->retry_max_ms, 5000);
    assert_int_equal(a->retry_initial_ms, 500);
    assert_string_equal(a->webhooks[0].url, "http://127.0.0.1:1/a");
    assert_int_equal(a->webhooks[0].format, LR_WEBHOOK_JSON);
    assert_int_equal(a->webhooks[0].kinds, 7);
    assert_int_equal(a->webhooks[0].timeout_ms, 5000);
    assert_int_equal(a->webhooks[1].format, LR_WEBHOOK_SLACK);
    assert_int_equal(a->webhooks[1].kinds, (1u << LR_ALERT_BREACH) | (1u << LR_ALERT_ESCALATION));
    assert_int_equal(a->webhooks[1].timeout_ms, 2000);
    lr_config_free(cfg);
    refused("alerts:\n  webhooks:\n    - url: ftp://x/\n", 3, "http:// or https://");
    refused("alerts:\n  webhooks:\n    - url: http://x/\n      format: teams\n", 4,
            "json or slack");
    refused("alerts:\n  webhooks:\n    - url: http://x/\n      kinds: [breach, panic]\n", 4,
            "unknown alert kind 'panic'");
    refused("alerts:\n  webhooks:\n    - format: json\n", 3, "url");
    refused("alerts:\n  webhooks:\n    - url: http://x/\n      secret: 1\n", 4, "secret");
    refused("alerts:\n  queue_size: 0\n", 2, "out of range");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_unknown_keys),  cmocka_unit_test(test_processing),
        cmocka_unit_test(test_bounds),        cmocka_unit_test(test_repartition),
        cmocka_unit_test(test_schema_ids),    cmocka_unit_test(test_log_section),
        cmocka_unit_test(test_restart_keys),  cmocka_unit_test(test_http),
        cmocka_unit_test(test_regex_budget),  cmocka_unit_test(test_routes_nothing),
        cmocka_unit_test(test_alerts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
