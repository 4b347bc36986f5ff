/* bench_open_leads.c - memory of open leads through the whole core, and the
 * lead-table limit (qualification.max_leads) holding it flat.
 *
 * Part 1: N hot leads (default 1,000,000), each assigned to a rep with an SLA
 * clock running and never touched, so every record stays open: heap bytes per
 * open lead (mallinfo2: records, id index, clocks, KPIs, route state, all
 * allocator overhead) and ns per lead.
 * Part 2: the same N leads with max_leads = N/2: half are shed, the heap stays
 * at the size of N/2 open leads, and the cost per shed lead.
 *
 * Usage: bench_open_leads [leads]   (docs/performance.md quotes its output) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "config.h"
#include "core.h"
#include "lifecycle.h"


/* Every lead is hot (size and a demo request) and goes to one of 20 reps. */
static const char rulebook[] =
    "scoring:\n"
    "  fit: [{ name: big, field: company_size, range: { min: 100 }, points: 40 }]\n"
    "  engagement: { half_life: 14d, rules: [{ activity: demo_request, points: 40, cap: 40 }] }\n"
    "qualification:\n"
    "  max_leads: %zu\n"
    "  sales_ready_score: 60\n"
    "  tiers: [{ name: hot, min_score: 60 }]\n"
    "routing:\n"
    "  rules: [{ name: all, team: sales }]\n"
    "teams:\n"
    "  - name: sales\n"
    "    strategy: round_robin\n"
    "    timezone: UTC\n"
    "    members: [%s]\n"
    "reps: [%s]\n"
    "sla:\n"
    "  policies: [{ name: hot, tier: hot, first_touch: 30d, escalation: [{ action: notify_manager }] }]\n";

#define T0 1794927600000LL

static lr_config *load(size_t max_leads) {
    char members[1024] = "", reps[1024] = "", yaml[4096];
    for (int i = 0; i < 20; i++) {
        size_t m = strlen(members), r = strlen(reps);
        snprintf(members + m, sizeof(members) - m, "%s{ rep: r%d }", i ? ", " : "", i);
        snprintf(reps + r, sizeof(reps) - r, "%s{ id: r%d, timezone: UTC }", i ? ", " : "", i);
    }
    snprintf(yaml, sizeof(yaml), rulebook, max_leads, members, reps);
    lr_err err = {0};
    lr_config *cfg = lr_config_load_string("bench.yaml", yaml, &err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    return cfg;
}

/* Feeds n distinct hot leads, one ms apart; returns ns per lead. */
static double feed(lr_core *core, size_t n) {
    lr_out out;
    lr_out_init(&out);
    lr_lead lead;
    char id[32];
    double t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        memset(&lead, 0, sizeof(lead));
        int len = snprintf(id, sizeof(id), "lead-%zu", i);
        lead.lead_id = (lr_str){id, (uint32_t)len};
        lead.event_time = T0 + (lr_time_ms)i;
        lead.company_size = 500;
        lead.annual_revenue = -1;
        lead.n_activities = 1;
        lead.activities[0] = (lr_activity){LR_ACT_DEMO_REQUEST, lead.event_time - 1000, LR_STR_NULL};
        lr_core_on_lead(core, &lead, lead.event_time, &out);
        lr_out_reset(&out);
    }
    double ns = (now_ns() - t0) / (double)n;
    lr_out_destroy(&out);
    return ns;
}

static void run(size_t n, size_t max_leads, const char *what) {
    lr_config *cfg = load(max_leads);
    size_t before = heap_used();
    lr_core *core = lr_core_new(&cfg->rules, 0); /* grown on demand, as in service */
    double ns = feed(core, n);
    size_t held = lr_lifecycle_count(lr_core_lifecycle(core));
    size_t bytes = heap_used() - before;
    const lr_core_stats *st = lr_core_stats_get(core);
    printf("%s: %zu leads, max_leads %zu\n", what, n, max_leads);
    printf("  open leads      %zu held, %llu shed\n", held, (unsigned long long)st->shed);
    printf("  memory          %.1f MB, %.1f bytes per open lead (heap, all overhead)\n",
           (double)bytes / 1048576.0, (double)bytes / (double)held);
    printf("  per lead        %.0f ns (score, route, record, clock, events)\n", ns);
    lr_core_free(core);
    lr_config_free(cfg);
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    if (n < 16) n = 16;
    run(n, n, "no limit reached");
    run(n, n / 2, "limit at half");
    return 0;
}
