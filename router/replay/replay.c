/* replay.c - see replay.h.
 *
 * The clock is each event's own timestamp; it never runs backwards, so an
 * event older than one already replayed is handled at the later time (as a
 * live router would see a late message). Between two events the clock visits
 * every SLA deadline in order, so a warning, a breach or a reassignment
 * happens at its own instant, as it would live, not at the next event's time.
 * Summary figures are counted from the events themselves, so they describe
 * exactly what was written. */
#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "core.h"
#include "jsonio.h"
#include "kpijson.h"

typedef struct summary {
    uint64_t leads, activities, decisions, statuses, alerts;
    uint64_t by_stage[LR_STAGE__COUNT];
    uint64_t untiered;
    uint64_t *by_tier;         /* per configured tier */
    uint64_t *team_assigned;   /* per team */
    uint64_t *team_queued;
    uint64_t *rep_in_team;     /* team * n_reps + rep */
    uint64_t queued_total, overflowed, reassigned;
    uint64_t alert_kinds[3];
} summary;

static void count(const lr_config *cfg, summary *s, const lr_event *ev) {
    size_t n_reps = lr_route_rep_count(cfg->rules.route);
    switch (ev->kind) {
    case LR_EVENT_STATUS: s->statuses++; return;
    case LR_EVENT_ALERT:
        s->alerts++;
        if ((int)ev->u.alert.kind >= 0 && ev->u.alert.kind < 3) s->alert_kinds[ev->u.alert.kind]++;
        return;
    case LR_EVENT_DECISION: break;
    }
    const lr_decision *d = &ev->u.decision;
    s->decisions++;
    if (d->cause == LR_CAUSE_SLA_REASSIGN) s->reassigned++;
    else {
        s->by_stage[d->stage]++;
        bool tiered = false;
        for (size_t t = 0; d->tier && t < lr_qualify_tier_count(cfg->rules.qualify); t++) {
            if (strcmp(lr_qualify_tier_name(cfg->rules.qualify, t), d->tier) == 0) {
                s->by_tier[t]++;
                tiered = true;
            }
        }
        if (!tiered) s->untiered++;
    }
    if (d->stage != LR_STAGE_SALES_READY) return;
    for (uint32_t i = 0; i < d->n_reasons; i++)
        if (d->reasons[i].kind == LR_REASON_OVERFLOW) {
            s->overflowed++;
            break;
        }
    int32_t team = d->team ? lr_route_team_index(cfg->rules.route, d->team) : -1;
    if (!d->rep) {
        s->queued_total++;
        if (team >= 0) s->team_queued[team]++;
        return;
    }
    int32_t rep = lr_route_rep_index(cfg->rules.route, d->rep, strlen(d->rep));
    if (team >= 0) {
        s->team_assigned[team]++;
        if (rep >= 0) s->rep_in_team[(size_t)team * n_reps + (size_t)rep]++;
    }
}

static void print_summary(const lr_config *cfg, const summary *s, lr_core *core, FILE *f) {
    fprintf(f, "replay: %llu leads, %llu sales activities -> %llu decisions, %llu status "
               "events, %llu alerts\n",
            (unsigned long long)s->leads, (unsigned long long)s->activities,
            (unsigned long long)s->decisions, (unsigned long long)s->statuses,
            (unsigned long long)s->alerts);
    fprintf(f, "stages:");
    for (int i = 0; i < LR_STAGE__COUNT; i++)
        fprintf(f, " %s %llu", lr_stage_name((lr_stage)i), (unsigned long long)s->by_stage[i]);
    fprintf(f, "  (duplicates ignored %llu)\n",
            (unsigned long long)lr_core_stats_get(core)->duplicates);
    fprintf(f, "tiers:");
    for (size_t t = 0; t < lr_qualify_tier_count(cfg->rules.qualify); t++)
        fprintf(f, " %s %llu", lr_qualify_tier_name(cfg->rules.qualify, t),
                (unsigned long long)s->by_tier[t]);
    fprintf(f, " untiered %llu\n", (unsigned long long)s->untiered);
    size_t n_reps = lr_route_rep_count(cfg->rules.route);
    fprintf(f, "assignments per team and rep (share of the team's assignments vs target):\n");
    for (size_t t = 0; t < lr_route_team_count(cfg->rules.route); t++) {
        fprintf(f, "  %-20s assigned %llu, queued %llu\n", lr_route_team_name(cfg->rules.route, (int32_t)t),
                (unsigned long long)s->team_assigned[t], (unsigned long long)s->team_queued[t]);
        for (size_t r = 0; r < n_reps; r++) {
            if (!lr_route_rep_in_team(cfg->rules.route, (int32_t)t, (int32_t)r)) continue;
            uint64_t got = s->rep_in_team[t * n_reps + r];
            double share = s->team_assigned[t] ? 100.0 * (double)got / (double)s->team_assigned[t] : 0;
            fprintf(f, "    %-18s %6llu  %5.1f%%  target %5.1f%%\n",
                    lr_route_rep_name(cfg->rules.route, (int32_t)r), (unsigned long long)got, share,
                    100.0 * lr_route_target_share(cfg->rules.route, (int32_t)t, (int32_t)r));
        }
    }
    fprintf(f, "overflowed %llu, queued %llu, reassigned after SLA breach %llu\n",
            (unsigned long long)s->overflowed, (unsigned long long)s->queued_total,
            (unsigned long long)s->reassigned);
    fprintf(f, "alerts: WARNING %llu, BREACH %llu, ESCALATION %llu\n",
            (unsigned long long)s->alert_kinds[0], (unsigned long long)s->alert_kinds[1],
            (unsigned long long)s->alert_kinds[2]);
    char *kpi = lr_kpijson_lifecycle(lr_core_lifecycle(core));
    if (kpi) fprintf(f, "kpi: %s\n", kpi);
    free(kpi);
}

static int write_out(lr_out *out, lr_buf *line, FILE *f, const lr_config *cfg, summary *s) {
    for (size_t i = 0; i < out->n; i++) {
        count(cfg, s, &out->ev[i]);
        lr_buf_reset(line);
        lr_jsonio_write_event(&out->ev[i], line);
        if (fwrite(line->data, 1, line->len, f) != line->len) return -1;
    }
    lr_out_reset(out);
    return 0;
}

/* Moves the core's clock to `target` one deadline at a time. */
static int advance_through(lr_core *core, lr_time_ms *clock, lr_time_ms target, lr_out *out,
                           lr_buf *line, FILE *f, const lr_config *cfg, summary *s) {
    for (;;) {
        lr_time_ms due = lr_core_next_due(core);
        if (due == LR_TIME_NONE || due > target) break;
        /* next_due is exact or earlier, never later: insist on progress */
        lr_time_ms step = (*clock == LR_TIME_NONE || due > *clock) ? due : *clock + 1;
        if (step > target) break;
        *clock = step;
        lr_core_advance(core, step, out);
        if (write_out(out, line, f, cfg, s)) return -1;
    }
    if (*clock == LR_TIME_NONE || target > *clock) *clock = target;
    return 0;
}

int lr_replay_run(const lr_replay_opts *o, lr_err *err) {
    const lr_config *cfg = o->cfg;
    bool use_stdin = !o->input || strcmp(o->input, "-") == 0;
    bool use_stdout = !o->output || strcmp(o->output, "-") == 0;
    const char *in_name = use_stdin ? "<stdin>" : o->input;
    FILE *in = use_stdin ? stdin : fopen(o->input, "r");
    if (!in) {
        lr_err_set(err, LR_ERR_FATAL, "%s: %s", o->input, strerror(errno));
        return 1;
    }
    FILE *outf = use_stdout ? stdout : fopen(o->output, "w");
    if (!outf) {
        lr_err_set(err, LR_ERR_FATAL, "%s: %s", o->output, strerror(errno));
        if (!use_stdin) fclose(in);
        return 1;
    }
    size_t n_teams = lr_route_team_count(cfg->rules.route), n_reps = lr_route_rep_count(cfg->rules.route);
    summary s = {0};
    s.by_tier = calloc(lr_qualify_tier_count(cfg->rules.qualify) + 1, sizeof(uint64_t));
    s.team_assigned = calloc(n_teams + 1, sizeof(uint64_t));
    s.team_queued = calloc(n_teams + 1, sizeof(uint64_t));
    s.rep_in_team = calloc(n_teams * n_reps + 1, sizeof(uint64_t));
    lr_core *core = lr_core_new(&cfg->rules, 1024);
    lr_out out;
    lr_out_init(&out);
    lr_arena arena;
    lr_arena_init(&arena, 64 * 1024);
    lr_buf line;
    lr_buf_init(&line);
    lr_json_input *ev = malloc(sizeof(*ev));
    char *text = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    lr_time_ms clock = LR_TIME_NONE;
    int rc = 0;
    while ((len = getline(&text, &cap, in)) >= 0) {
        lineno++;
        lr_arena_reset(&arena);
        int p = lr_jsonio_parse_line(text, (size_t)len, in_name, lineno, ev, &arena, err);
        if (p < 0) {
            rc = 1;
            break;
        }
        if (p > 0) continue;
        if (advance_through(core, &clock, ev->time, &out, &line, outf, cfg, &s)) {
            lr_err_set(err, LR_ERR_FATAL, "cannot write output: %s", strerror(errno));
            rc = 1;
            break;
        }
        if (ev->kind == LR_JSON_LEAD) {
            s.leads++;
            lr_core_on_lead(core, &ev->u.lead, clock, &out);
        } else {
            s.activities++;
            lr_core_on_sales(core, &ev->u.sales, clock, &out);
        }
        if (write_out(&out, &line, outf, cfg, &s)) {
            lr_err_set(err, LR_ERR_FATAL, "cannot write output: %s", strerror(errno));
            rc = 1;
            break;
        }
    }
    if (rc == 0 && o->until != LR_TIME_NONE && (clock == LR_TIME_NONE || o->until > clock)) {
        if (advance_through(core, &clock, o->until, &out, &line, outf, cfg, &s) ||
            (lr_core_advance(core, o->until, &out), write_out(&out, &line, outf, cfg, &s))) {
            lr_err_set(err, LR_ERR_FATAL, "cannot write output: %s", strerror(errno));
            rc = 1;
        }
    }
    if (fflush(outf) != 0 && rc == 0) {
        lr_err_set(err, LR_ERR_FATAL, "cannot write output: %s", strerror(errno));
        rc = 1;
    }
    if (rc == 0 && o->summary) print_summary(cfg, &s, core, o->summary);
    free(text);
    free(ev);
    lr_buf_free(&line);
    lr_arena_destroy(&arena);
    lr_out_destroy(&out);
    lr_core_free(core);
    free(s.by_tier);
    free(s.team_assigned);
    free(s.team_queued);
    free(s.rep_in_team);
    if (!use_stdin) fclose(in);
    if (!use_stdout) fclose(outf);
    return rc;
}
