/* fuzz_jsonl.c - libFuzzer harness for the JSON-lines reader driving the
 * decision core, as `lead-router replay` does: each line of the input is
 * parsed (json/jsonio.c, the same contract as Kafka's), every accepted event
 * is fed to a core built from the small fixed rulebook below at the event's
 * own time, and the clock is advanced through every deadline that falls due,
 * then a day past the last event, so SLA warnings, breaches, escalations and
 * reassignments on business-hours calendars run too. Every event the core
 * publishes is written as a JSON line, so the writer is fuzzed as well.
 *
 * A fresh core per input: an input is a whole replay. Run by
 * tests/fuzz/run.sh; the seed corpus is tests/fuzz/corpus/fuzz_jsonl/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core.h"
#include "jsonio.h"

#define MAX_LINE_BYTES 65536
#define DAY_MS (24LL * 3600 * 1000)

static const char RULEBOOK[] =
    "kafka:\n"
    "  properties: { bootstrap.servers: \"127.0.0.1:9092\" }\n"
    "scoring:\n"
    "  fit:\n"
    "    - { name: big, field: company_size, range: { min: 200 }, points: 30 }\n"
    "    - { name: sw, field: industry, one_of: [software, fintech], points: 15 }\n"
    "    - { name: boss, field: job_title, regex: \"(?i)(chief|vp|director)\", points: 20 }\n"
    "    - { name: free, field: email_domain, one_of: [gmail.com], points: -20 }\n"
    "    - { name: plan, field: attrs.plan, equals: enterprise, points: 10 }\n"
    "  engagement:\n"
    "    half_life: 14d\n"
    "    rules:\n"
    "      - { activity: demo_request, points: 40, cap: 40 }\n"
    "      - { activity: pricing_page, points: 10, cap: 30 }\n"
    "      - { activity: unsubscribe, points: -25 }\n"
    "qualification:\n"
    "  tiers: [{ name: hot, min_score: 80 }, { name: warm, min_score: 50 }]\n"
    "  sales_ready_score: 50\n"
    "  marketing_qualified_score: 30\n"
    "  disqualify_below: -20\n"
    "  overrides:\n"
    "    - { name: no_consent, field: consent, equals: \"false\", stage: disqualified }\n"
    "    - { name: fast, activity: demo_request, stage: sales_ready, tier: hot }\n"
    "  duplicate_window: 1d\n"
    "routing:\n"
    "  rules:\n"
    "    - { name: eu, when: [{ field: region, equals: EU }], team: emea }\n"
    "    - { name: us, when: [{ field: country, one_of: [US, CA] }], team: na }\n"
    "  accounts: [{ domain: bigcorp.com, owner: alice }]\n"
    "  prefer_previous_owner: true\n"
    "  default_queue: unrouted\n"
    "teams:\n"
    "  - { name: emea, strategy: weighted, timezone: Europe/Berlin, overflow: na, queue: eq,\n"
    "      manager: erika, members: [{ rep: dieter, weight: 2 }, { rep: emma }] }\n"
    "  - { name: na, strategy: least_loaded, timezone: America/New_York, queue: nq,\n"
    "      manager: erika, members: [{ rep: alice }, { rep: bob }] }\n"
    "reps:\n"
    "  - { id: alice, timezone: America/New_York, max_open: 3, max_per_day: 2,\n"
    "      working_hours: { days: [mon, tue, wed, thu, fri], start: \"08:00\", end: \"18:00\" } }\n"
    "  - { id: bob, timezone: America/Chicago, max_open: 5,\n"
    "      out_of_office: [{ from: 2026-12-21, until: 2027-01-04 }] }\n"
    "  - { id: dieter, timezone: Europe/Berlin, max_open: 4,\n"
    "      working_hours: { days: [mon, tue, wed, thu, fri], start: \"08:30\", end: \"17:30\" } }\n"
    "  - { id: emma, timezone: Europe/London }\n"
    "  - { id: erika, timezone: Europe/Berlin, assignable: false }\n"
    "sla:\n"
    "  calendars:\n"
    "    - { name: eu_biz, timezone: Europe/Berlin, days: [mon, tue, wed, thu, fri],\n"
    "        start: \"09:00\", end: \"17:00\", holidays: [2026-12-24, 2026-12-25] }\n"
    "  policies:\n"
    "    - name: hot\n"
    "      tier: hot\n"
    "      first_touch: 15m\n"
    "      warn_at: 80%\n"
    "      escalation:\n"
    "        - { action: notify_manager }\n"
    "        - { action: reassign, after: 15m }\n"
    "        - { action: escalate, after: 30m, to: eq }\n"
    "    - { name: warm, first_touch: 4h, calendar: eu_biz, warn_at: 75%,\n"
    "        escalation: [{ action: reassign }] }\n"
    "  max_reassignments: 2\n";

static lr_config *cfg;
static lr_json_input ev;
static lr_arena arena;
static lr_out out;
static lr_buf line;

static void setup(void) {
    lr_err err = {0};
    cfg = lr_config_load_string("rulebook.yaml", RULEBOOK, &err);
    if (!cfg) {
        fprintf(stderr, "fuzz_jsonl: the fixed rulebook does not load: %s\n", err.msg);
        abort();
    }
    lr_arena_init(&arena, 64 * 1024);
    lr_out_init(&out);
    lr_buf_init(&line);
}

static void drain(void) {
    for (size_t i = 0; i < out.n; i++) {
        lr_buf_reset(&line);
        lr_jsonio_write_event(&out.ev[i], &line);
    }
    lr_out_reset(&out);
}

/* Fires every deadline up to target, one at a time as replay does; the core
 * must make progress, so the loop is bounded by the deadlines it reports. */
static lr_time_ms advance_to(lr_core *core, lr_time_ms clock, lr_time_ms target) {
    for (;;) {
        lr_time_ms due = lr_core_next_due(core);
        if (due == LR_TIME_NONE || due > target) break;
        lr_time_ms step = (clock == LR_TIME_NONE || due > clock) ? due : clock + 1;
        if (step > target) break;
        clock = step;
        lr_core_advance(core, step, &out);
        drain();
    }
    return (clock == LR_TIME_NONE || target > clock) ? target : clock;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!cfg) setup();
    lr_core *core = lr_core_new(&cfg->rules, 16);
    lr_time_ms clock = LR_TIME_NONE;
    const char *text = (const char *)data, *end = text + size;
    long lineno = 0;
    while (text < end) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        size_t len = nl ? (size_t)(nl - text) + 1 : (size_t)(end - text);
        lr_err err = {0};
        lr_arena_reset(&arena);
        int p = lr_jsonio_parse_line(text, len, MAX_LINE_BYTES, "fuzz.jsonl", ++lineno, &ev,
                                     &arena, &err);
        text += len;
        if (p != 0) continue; /* a blank line, a comment or a refused line */
        clock = advance_to(core, clock, ev.time);
        if (ev.kind == LR_JSON_LEAD) lr_core_on_lead(core, &ev.u.lead, clock, &out);
        else lr_core_on_sales(core, &ev.u.sales, clock, &out);
        drain();
    }
    if (clock != LR_TIME_NONE) advance_to(core, clock, clock + DAY_MS);
    lr_core_free(core);
    return 0;
}
