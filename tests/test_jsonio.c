/* test_jsonio.c - JSON lines: parsing leads and sales activities (both time
 * forms, enum case, attributes, errors with their line, contract checks) and
 * writing each event kind byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "event.h"
#include "jsonio.h"
#include "lead.h"

static lr_str S(const char *s) { return (lr_str){s, (uint32_t)strlen(s)}; }

typedef struct fixture {
    lr_arena arena;
    lr_json_input in;
    lr_err err;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof(*f));
    if (!f) return -1;
    lr_arena_init(&f->arena, 4096);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    lr_arena_destroy(&f->arena);
    free(f);
    return 0;
}

/* The limit replay passes by default: kafka.max_message_bytes, 1 MiB. */
#define MAX_LINE (1024 * 1024)

static int parse(fixture *f, const char *line, long lineno) {
    memset(&f->err, 0, sizeof(f->err));
    return lr_jsonio_parse_line(line, strlen(line), MAX_LINE, "in.jsonl", lineno, &f->in,
                                &f->arena, &f->err);
}

static void expect_error(fixture *f, const char *line, long lineno, const char *msg) {
    if (parse(f, line, lineno) != -1) fail_msg("expected an error for %s", line);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "in.jsonl:%ld: ", lineno);
    if (strncmp(f->err.msg, prefix, strlen(prefix)) != 0 || !strstr(f->err.msg, msg))
        fail_msg("error '%s' lacks '%s' / '%s'", f->err.msg, prefix, msg);
}

/* An error names the field, never the value: a lead's personal data must
 * not reach a log or a terminal through a bad line (docs/operations.md). */
static void expect_error_without(fixture *f, const char *line, long lineno, const char *msg,
                                 const char *secret) {
    expect_error(f, line, lineno, msg);
    if (strstr(f->err.msg, secret)) fail_msg("error '%s' repeats '%s'", f->err.msg, secret);
}

static void assert_str(lr_str got, const char *want) {
    if (!want) {
        assert_null(got.s);
        return;
    }
    assert_non_null(got.s);
    assert_string_equal(got.s, want);
    assert_int_equal(got.len, strlen(want));
}

/* ---- input */

static void test_parse_lead(void **state) {
    fixture *f = *state;
    const char *line =
        "{\"type\": \"lead\", \"lead_id\": \"L-1\", \"event_time\": 1795169700000,"
        " \"source\": \"web\", \"channel\": null, \"email\": \"jane@bigcorp.com\","
        " \"job_title\": \"VP Sales\", \"company_size\": 2500, \"annual_revenue\": null,"
        " \"country\": \"US\", \"consent\": true,"
        " \"activities\": ["
        "   {\"type\": \"DEMO_REQUEST\", \"at\": \"2026-11-20T10:15:00Z\", \"detail\": \"/demo\"},"
        "   {\"type\": \"pricing_page\", \"at\": \"2026-11-20T12:15:00.5+02:00\"},"
        "   {\"type\": \"Email_Open\", \"at\": 1709251199000, \"detail\": null}],"
        " \"attributes\": {\"plan\": \"enterprise\", \"utm_source\": \"linkedin\"}}\n";
    assert_int_equal(parse(f, line, 1), 0);
    assert_int_equal(f->in.kind, LR_JSON_LEAD);
    const lr_lead *l = &f->in.u.lead;
    assert_int_equal(f->in.time, 1795169700000LL);
    assert_int_equal(l->event_time, 1795169700000LL);
    assert_str(l->lead_id, "L-1");
    assert_str(l->source, "web");
    assert_str(l->channel, NULL);
    assert_str(l->campaign, NULL);
    assert_str(l->email, "jane@bigcorp.com");
    assert_str(l->job_title, "VP Sales");
    assert_int_equal(l->company_size, 2500);
    assert_int_equal(l->annual_revenue, -1);
    assert_str(l->country, "US");
    assert_true(l->consent_known);
    assert_true(l->consent);
    assert_int_equal(l->n_activities, 3);
    assert_int_equal(l->activities[0].type, LR_ACT_DEMO_REQUEST);
    assert_int_equal(l->activities[0].at, 1795169700000LL);
    assert_str(l->activities[0].detail, "/demo");
    assert_int_equal(l->activities[1].type, LR_ACT_PRICING_PAGE);
    assert_int_equal(l->activities[1].at, 1795169700500LL); /* 12:15:00.5 at +02:00 */
    assert_str(l->activities[1].detail, NULL);
    assert_int_equal(l->activities[2].type, LR_ACT_EMAIL_OPEN);
    assert_int_equal(l->activities[2].at, 1709251199000LL);
    assert_int_equal(l->n_attrs, 2);
    assert_str(l->attrs[0].key, "plan");
    assert_str(l->attrs[0].value, "enterprise");
    assert_str(l->attrs[1].key, "utm_source");
    assert_str(l->attrs[1].value, "linkedin");
    assert_null(lr_lead_contract_violation(l));
}

static void test_parse_minimal_lead(void **state) {
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"type\":\"lead\",\"lead_id\":\"x\","
                              "\"event_time\":\"2026-11-20T10:15:00Z\"}", 3), 0);
    const lr_lead *l = &f->in.u.lead;
    assert_int_equal(f->in.time, 1795169700000LL);
    assert_str(l->email, NULL);
    assert_int_equal(l->company_size, -1);
    assert_int_equal(l->annual_revenue, -1);
    assert_false(l->consent_known);
    assert_int_equal(l->n_activities, 0);
    assert_int_equal(l->n_attrs, 0);
}

static void test_parse_sales(void **state) {
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"type\":\"activity\",\"activity_id\":\"A-9\",\"lead_id\":\"L-1\","
                              "\"kind\":\"CONVERTED\",\"rep_id\":\"alice\","
                              "\"occurred_at\":\"2026-11-20T05:15:00-05:00\","
                              "\"assignment_id\":null,\"reason\":null,"
                              "\"opportunity_value\":12500.5}", 2), 0);
    assert_int_equal(f->in.kind, LR_JSON_SALES);
    const lr_sales_activity *a = &f->in.u.sales;
    assert_str(a->activity_id, "A-9");
    assert_str(a->lead_id, "L-1");
    assert_int_equal(a->kind, LR_SALES_CONVERTED);
    assert_str(a->rep_id, "alice");
    assert_int_equal(a->occurred_at, 1795169700000LL);
    assert_int_equal(f->in.time, 1795169700000LL);
    assert_str(a->assignment_id, NULL);
    assert_true(a->has_value);
    assert_true(a->opportunity_value == 12500.5);

    assert_int_equal(parse(f, "{\"type\":\"activity\",\"activity_id\":\"A-10\",\"lead_id\":\"L-1\","
                              "\"kind\":\"rejected\",\"rep_id\":\"bob\",\"occurred_at\":1795169760000,"
                              "\"reason\":\"no_budget\",\"assignment_id\":\"L-1:decision:1\"}", 3),
                     0);
    a = &f->in.u.sales;
    assert_int_equal(a->kind, LR_SALES_REJECTED);
    assert_str(a->reason, "no_budget");
    assert_str(a->assignment_id, "L-1:decision:1");
    assert_false(a->has_value);
}

static void test_skip_lines(void **state) {
    fixture *f = *state;
    assert_int_equal(parse(f, "", 1), 1);
    assert_int_equal(parse(f, "   \t\r\n", 2), 1);
    assert_int_equal(parse(f, "# a comment {\"type\":\"lead\"}", 3), 1);
    assert_int_equal(parse(f, "  # indented comment", 4), 1);
}

static void test_parse_errors(void **state) {
    fixture *f = *state;
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,\"colour\":\"red\"}", 7,
                 "unknown field 'colour' in a lead");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,"
                    "\"activities\":[{\"type\":\"demo_request\",\"at\":1,\"url\":\"/\"}]}", 8,
                 "unknown field 'activities[0].url'");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,"
                    "\"company_size\":\"big\"}",
                 9, "field 'company_size' must be an integer or null, not a string");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,\"company_size\":12.5}",
                 10, "field 'company_size' must be an integer or null, not a number");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,\"annual_revenue\":-2}",
                 31, "field 'annual_revenue' must not be negative");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":7,\"event_time\":1}", 11,
                 "field 'lead_id' must be a string");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":true}", 12,
                 "field 'event_time' must be integer ms");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":\"2026-11-20 10:15\"}",
                 13, "not an ISO-8601 UTC time");
    expect_error(f, "{\"type\":\"lead\",\"event_time\":1}", 14, "missing field 'lead_id'");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\"}", 15, "missing field 'event_time'");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"has space\",\"event_time\":1}", 16,
                 "contract violation: lead_id contains whitespace");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":0}", 17,
                 "contract violation: event_time");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,"
                    "\"activities\":[{\"at\":1}]}", 19, "activities[0]: missing field 'type'");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,"
                    "\"attributes\":{\"seats\":10}}", 20, "attributes.seats must be a string");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,\"consent\":\"yes\"}",
                 21, "field 'consent' must be true, false or null");
    expect_error(f, "{\"type\":\"activity\",\"activity_id\":\"a\",\"lead_id\":\"x\","
                    "\"kind\":\"called\",\"rep_id\":\"r\",\"occurred_at\":1}", 22,
                 "field 'kind': a value of 6 bytes that is not one of: contacted, accepted, "
                 "rejected, converted, recycled");
    expect_error(f, "{\"type\":\"activity\",\"activity_id\":\"a\",\"lead_id\":\"x\","
                    "\"kind\":\"contacted\",\"occurred_at\":1}", 23, "missing field 'rep_id'");
    expect_error(f, "{\"type\":\"activity\",\"activity_id\":\"\",\"lead_id\":\"x\","
                    "\"kind\":\"contacted\",\"rep_id\":\"r\",\"occurred_at\":1}", 24,
                 "contract violation: activity_id is missing or empty");
    expect_error(f, "{\"type\":\"activity\",\"activity_id\":\"a\",\"lead_id\":\"x\","
                    "\"kind\":\"contacted\",\"rep_id\":\"r\",\"occurred_at\":1,\"note\":\"\"}", 25,
                 "unknown field 'note' in an activity");
    expect_error(f, "{\"type\":\"click\"}", 26, "unknown type, a string of 5 bytes");
    expect_error(f, "{\"lead_id\":\"x\"}", 27, "missing field 'type'");
    expect_error(f, "{\"type\":\"lead\",", 28, "invalid JSON");
    expect_error(f, "[1,2]", 29, "expected a JSON object");
    expect_error(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"lead_id\":\"y\",\"event_time\":1}", 30,
                 "invalid JSON");
}

/* A line is read under the same contract as a Kafka message: -1 is an
 * unknown count, an unknown activity type is OTHER, and a line over
 * kafka.max_message_bytes is refused. */
static void test_errors_carry_no_values(void **state) {
    fixture *f = *state;
    expect_error_without(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":"
                            "\"pii-canary-123@example.com\"}", 1, "field 'event_time'",
                         "canary");
    expect_error_without(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,"
                            "\"Zebulon Canary\":\"CanaryCorp\"}", 2, "unknown field", "Canary");
    expect_error_without(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"email\":\"pii-canary-1@x\""
                            " \"event_time\":1}", 3, "invalid JSON", "canary");
    expect_error_without(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"email\":pii-canary@x}", 4,
                         "invalid JSON", "canary");
    expect_error_without(f, "{\"type\":\"pii-canary@example.com\"}", 5, "unknown type",
                         "canary");
    expect_error_without(f, "{\"type\":\"activity\",\"activity_id\":\"a\",\"lead_id\":\"x\","
                            "\"kind\":\"CanaryCorp\",\"rep_id\":\"r\",\"occurred_at\":1}", 6,
                         "field 'kind'", "Canary");
    expect_error_without(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1,"
                            "\"attributes\":{\"+1-555-0100-999\":10}}", 7, "must be a string",
                         "555");
}

static void test_parse_kafka_contract(void **state) {
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1795000000000,"
                              "\"company_size\":-1,\"annual_revenue\":-1,"
                              "\"activities\":[{\"type\":\"fax\",\"at\":1795000000000,\"detail\":\"d\"}]}",
                     1),
                     0);
    lr_lead *l = &f->in.u.lead;
    assert_int_equal(l->company_size, -1);
    assert_int_equal(l->annual_revenue, -1);
    assert_int_equal(l->n_activities, 1);
    assert_int_equal(l->activities[0].type, LR_ACT_OTHER);
    assert_str(l->activities[0].detail, "d");

    const char *line = "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1795000000000}\n";
    size_t body = strlen(line) - 1;
    memset(&f->err, 0, sizeof(f->err));
    assert_int_equal(lr_jsonio_parse_line(line, strlen(line), body, "in.jsonl", 2, &f->in,
                                          &f->arena, &f->err),
                     0); /* the newline does not count */
    assert_int_equal(lr_jsonio_parse_line(line, strlen(line), body - 1, "in.jsonl", 3, &f->in,
                                          &f->arena, &f->err),
                     -1);
    assert_non_null(strstr(f->err.msg, "in.jsonl:3: line of 56 bytes is over the limit of 55"));
    assert_int_equal(lr_jsonio_parse_line(line, strlen(line), 0, "in.jsonl", 4, &f->in,
                                          &f->arena, &f->err),
                     0); /* 0: no limit */
}

/* More activities and attributes than a lead holds are counted, not kept. */
static void test_parse_overflow(void **state) {
    fixture *f = *state;
    char *line = malloc(16384);
    assert_non_null(line);
    size_t off = (size_t)sprintf(line, "{\"type\":\"lead\",\"lead_id\":\"x\",\"event_time\":1795169700000,"
                                       "\"activities\":[");
    for (int i = 0; i < LR_MAX_ACTIVITIES + 3; i++)
        off += (size_t)sprintf(line + off, "%s{\"type\":\"page_view\",\"at\":%lld}", i ? "," : "",
                               1795169700000LL + i + 1);
    off += (size_t)sprintf(line + off, "],\"attributes\":{");
    for (int i = 0; i < LR_MAX_ATTRS + 2; i++)
        off += (size_t)sprintf(line + off, "%s\"k%d\":\"v\"", i ? "," : "", i);
    sprintf(line + off, "}}");
    assert_int_equal(parse(f, line, 1), 0);
    assert_int_equal(f->in.u.lead.n_activities, LR_MAX_ACTIVITIES);
    assert_int_equal(f->in.u.lead.activities_dropped, 3);
    assert_int_equal(f->in.u.lead.activities[LR_MAX_ACTIVITIES - 1].at, 1795169700000LL + LR_MAX_ACTIVITIES);
    assert_int_equal(f->in.u.lead.n_attrs, LR_MAX_ATTRS);
    assert_int_equal(f->in.u.lead.attrs_dropped, 2);
    free(line);
}

/* ---- output */

static char *render(const lr_event *ev) {
    lr_buf b;
    lr_buf_init(&b);
    lr_jsonio_write_event(ev, &b);
    char *s = malloc(b.len + 1);
    memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    lr_buf_free(&b);
    return s;
}

static void test_put_double(void **state) {
    (void)state;
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {72.5, "72.5"},         {40, "40"},           {-12.3456, "-12.3456"},
        {0.1 + 0.2, "0.3"},     {-0.00001, "0"},      {-0.0, "0"},
        {1.0 / 3, "0.3333"},    {2.0 / 3, "0.6667"},  {-17.677669529663689, "-17.6777"},
        {0.00005, "0.0001"},    {1e20, "100000000000000000000"},
        {123456789.01234, "123456789.0123"},          {-1000, "-1000"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lr_buf b;
        lr_buf_init(&b);
        lr_jsonio_put_double(&b, cases[i].v);
        lr_buf_putc(&b, '\0');
        if (strcmp((char *)b.data, cases[i].want) != 0)
            fail_msg("%.17g -> %s, want %s", cases[i].v, (char *)b.data, cases[i].want);
        lr_buf_free(&b);
    }
}

static void fill_decision(lr_event *ev) {
    memset(ev, 0, sizeof(*ev));
    ev->kind = LR_EVENT_DECISION;
    lr_decision *d = &ev->u.decision;
    d->event_id = "L-1:decision:1";
    d->seq = 1;
    d->lead_id = S("L-1");
    d->stage = LR_STAGE_SALES_READY;
    d->tier = "hot";
    d->team = "na_commercial";
    d->rep = "alice";
    d->score = 135.25;
    d->fit = 85;
    d->engagement = 50.25;
    d->cause = LR_CAUSE_NEW;
    d->attempt = 1;
    d->event_time = 1795169700000LL;
    d->decided_at = 1795169700500LL;
    d->sla_due_at = 1795170600500LL;
    d->source = S("web");
    d->campaign = LR_STR_NULL;
    lr_decision_add_reason(d, LR_REASON_FIT_RULE, "enterprise_size", NULL, 30, NULL);
    lr_decision_add_reason(d, LR_REASON_NEGATIVE_SIGNAL, "unsubscribe", NULL,
                           -17.677669529663689, NULL);
    lr_decision_add_reason(d, LR_REASON_THRESHOLD, NULL, NULL, 0,
                           "score >= sales_ready_score 60");
    lr_decision_add_reason(d, LR_REASON_CHOSEN, "round_robin", "alice", 0, "next in turn");
}

static void test_write_decision(void **state) {
    (void)state;
    lr_event ev;
    fill_decision(&ev);
    char *got = render(&ev);
    const char *want =
        "{\"type\":\"decision\",\"lead_id\":\"L-1\",\"event_id\":\"L-1:decision:1\",\"seq\":1,"
        "\"stage\":\"SALES_READY\",\"tier\":\"hot\",\"team\":\"na_commercial\",\"rep\":\"alice\","
        "\"queue\":null,\"score\":135.25,\"fit_score\":85,\"engagement_score\":50.25,"
        "\"cause\":\"NEW\",\"attempt\":1,\"event_time\":1795169700000,"
        "\"decided_at\":1795169700500,\"sla_due_at\":1795170600500,\"source\":\"web\","
        "\"campaign\":null,\"reasons\":["
        "{\"kind\":\"FIT_RULE\",\"rule\":\"enterprise_size\",\"rep\":null,\"points\":30,"
        "\"detail\":null},"
        "{\"kind\":\"NEGATIVE_SIGNAL\",\"rule\":\"unsubscribe\",\"rep\":null,\"points\":-17.6777,"
        "\"detail\":null},"
        "{\"kind\":\"THRESHOLD\",\"rule\":null,\"rep\":null,\"points\":0,"
        "\"detail\":\"score >= sales_ready_score 60\"},"
        "{\"kind\":\"CHOSEN\",\"rule\":\"round_robin\",\"rep\":\"alice\",\"points\":0,"
        "\"detail\":\"next in turn\"}],\"reasons_dropped\":0,"
        "\"router_version\":\"" LR_VERSION "\"}\n";
    assert_string_equal(got, want);
    /* same event, same bytes */
    char *again = render(&ev);
    assert_string_equal(got, again);
    free(again);
    free(got);

    /* a nurture decision: no team, no rep, no clock, no reasons */
    lr_decision *d = &ev.u.decision;
    d->stage = LR_STAGE_NURTURE;
    d->tier = d->team = d->rep = NULL;
    d->sla_due_at = LR_TIME_NONE;
    d->cause = LR_CAUSE_REENGAGED;
    d->n_reasons = 0;
    d->reasons_dropped = 3;
    d->source = LR_STR_NULL;
    d->campaign = S("q4-webinar");
    got = render(&ev);
    assert_non_null(strstr(got, "\"stage\":\"NURTURE\",\"tier\":null,\"team\":null,\"rep\":null,"));
    assert_non_null(strstr(got, "\"cause\":\"REENGAGED\""));
    assert_non_null(strstr(got, "\"sla_due_at\":null,\"source\":null,\"campaign\":\"q4-webinar\","
                                "\"reasons\":[],\"reasons_dropped\":3,"));
    free(got);
}

static void test_write_status(void **state) {
    (void)state;
    lr_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = LR_EVENT_STATUS;
    lr_status *s = &ev.u.status;
    s->event_id = "L-1:status:3";
    s->seq = 3;
    s->lead_id = S("L-1");
    s->status = LR_STATUS_CONTACTED;
    s->at = 1795170000000LL;
    s->occurred_at = 1795169999000LL;
    s->team = "na_commercial";
    s->rep = "alice";
    s->source = S("web");
    s->tier = "hot";
    s->sla_elapsed_ms = 299500;
    s->sla_met = true;
    char *got = render(&ev);
    assert_string_equal(got,
                        "{\"type\":\"status\",\"lead_id\":\"L-1\",\"event_id\":\"L-1:status:3\","
                        "\"seq\":3,\"status\":\"CONTACTED\",\"at\":1795170000000,"
                        "\"occurred_at\":1795169999000,\"team\":\"na_commercial\","
                        "\"rep\":\"alice\",\"source\":\"web\",\"campaign\":null,\"tier\":\"hot\","
                        "\"reason\":null,\"value\":null,\"sla_elapsed_ms\":299500,"
                        "\"sla_met\":true}\n");
    free(got);

    s->status = LR_STATUS_CONVERTED;
    s->has_value = true;
    s->value = 12500.5;
    s->sla_elapsed_ms = -1;
    got = render(&ev);
    assert_non_null(strstr(got, "\"status\":\"CONVERTED\""));
    assert_non_null(strstr(got, "\"value\":12500.5,\"sla_elapsed_ms\":null,\"sla_met\":null}\n"));
    free(got);
}

static void test_write_alert(void **state) {
    (void)state;
    lr_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = LR_EVENT_ALERT;
    lr_alert *a = &ev.u.alert;
    a->event_id = "L-1:alert:4";
    a->seq = 4;
    a->lead_id = S("L-1");
    a->kind = LR_ALERT_ESCALATION;
    a->policy = "hot_first_touch";
    a->tier = "hot";
    a->team = "na_commercial";
    a->owner = "alice";
    a->addressed_to = "nancy";
    a->action = "notify_manager";
    a->step = 1;
    a->assigned_at = 1795169700500LL;
    a->due_at = 1795170600500LL;
    a->fired_at = 1795170600500LL;
    a->late_by_ms = 0;
    char *got = render(&ev);
    assert_string_equal(got,
                        "{\"type\":\"alert\",\"lead_id\":\"L-1\",\"event_id\":\"L-1:alert:4\","
                        "\"seq\":4,\"kind\":\"ESCALATION\",\"policy\":\"hot_first_touch\","
                        "\"tier\":\"hot\",\"team\":\"na_commercial\",\"owner\":\"alice\","
                        "\"addressed_to\":\"nancy\",\"action\":\"notify_manager\",\"step\":1,"
                        "\"assigned_at\":1795169700500,\"due_at\":1795170600500,"
                        "\"fired_at\":1795170600500,\"late_by_ms\":0}\n");
    free(got);

    a->kind = LR_ALERT_WARNING;
    a->addressed_to = NULL;
    a->action = "warn";
    a->step = 0;
    a->late_by_ms = -180000;
    got = render(&ev);
    assert_non_null(strstr(got, "\"kind\":\"WARNING\""));
    assert_non_null(strstr(got, "\"addressed_to\":null,\"action\":\"warn\",\"step\":0,"));
    assert_non_null(strstr(got, "\"late_by_ms\":-180000}\n"));
    free(got);
}

static void test_write_escaping(void **state) {
    (void)state;
    lr_event ev;
    fill_decision(&ev);
    lr_decision *d = &ev.u.decision;
    d->n_reasons = 0;
    d->source = S("say \"hi\"\\ now\n\ttab\x01");
    d->campaign = S("M\xc3\xbcller \xe2\x82\xac bad\xff end");
    char *got = render(&ev);
    assert_non_null(strstr(got, "\"source\":\"say \\\"hi\\\"\\\\ now\\n\\ttab\\u0001\""));
    assert_non_null(strstr(got, "\"campaign\":\"M\xc3\xbcller \xe2\x82\xac bad\\ufffd end\""));
    /* and the line is valid JSON */
    json_error_t jerr;
    json_t *j = json_loads(got, 0, &jerr);
    if (!j) fail_msg("invalid JSON: %s", jerr.text);
    json_decref(j);
    free(got);
}

/* Output keys are the Avro schema's fields, in order, with "type" first and
 * lead_id moved to second place. */
static void check_keys_against_schema(const char *line, const char *schema_path) {
    json_error_t jerr;
    json_t *schema = json_load_file(schema_path, 0, &jerr);
    if (!schema) fail_msg("%s: %s", schema_path, jerr.text);
    json_t *out = json_loads(line, JSON_PRESERVE_ORDER, &jerr);
    if (!out) fail_msg("invalid JSON: %s", jerr.text);
    const char *want[64];
    size_t n = 0;
    want[n++] = "type";
    want[n++] = "lead_id";
    json_t *fields = json_object_get(schema, "fields"), *fld;
    size_t i;
    json_array_foreach(fields, i, fld) {
        const char *name = json_string_value(json_object_get(fld, "name"));
        if (strcmp(name, "lead_id") != 0) want[n++] = name;
    }
    assert_int_equal(json_object_size(out), n);
    const char *k;
    json_t *v;
    size_t pos = 0;
    json_object_foreach(out, k, v) {
        if (strcmp(k, want[pos]) != 0) fail_msg("%s: key %zu is %s, want %s", schema_path, pos,
                                                k, want[pos]);
        pos++;
    }
    json_decref(out);
    json_decref(schema);
}

static void test_keys_match_schemas(void **state) {
    (void)state;
    lr_event ev;
    fill_decision(&ev);
    char *s = render(&ev);
    check_keys_against_schema(s, "schemas/LeadDecision.avsc");
    free(s);
    memset(&ev, 0, sizeof(ev));
    ev.kind = LR_EVENT_STATUS;
    ev.u.status.sla_elapsed_ms = -1;
    s = render(&ev);
    check_keys_against_schema(s, "schemas/LeadStatus.avsc");
    free(s);
    memset(&ev, 0, sizeof(ev));
    ev.kind = LR_EVENT_ALERT;
    s = render(&ev);
    check_keys_against_schema(s, "schemas/SlaAlert.avsc");
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_lead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_minimal_lead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_sales, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_kafka_contract, setup, teardown),
        cmocka_unit_test(test_put_double),
        cmocka_unit_test(test_write_decision),
        cmocka_unit_test(test_write_status),
        cmocka_unit_test(test_write_alert),
        cmocka_unit_test_setup_teardown(test_errors_carry_no_values, setup, teardown),
        cmocka_unit_test(test_write_escaping),
        cmocka_unit_test(test_keys_match_schemas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
