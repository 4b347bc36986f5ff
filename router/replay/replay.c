/* replay.c - see replay.h.
 *
 * The clock is each event's own timestamp; it never runs backwards, so an
 * event older than one already replayed is handled at the later time (as a
 * live router would see a late message). Such events are counted and warned
 * about with their line, because a file out of order is usually a mistake
 * (two exports concatenated, a wrong sort key) and deciding them late changes
 * SLA due times and KPIs without a sign. Between two events the clock visits
 * every SLA deadline in order, so a warning, a breach or a reassignment
 * happens at its own instant, as it would live, not at the next event's time.
 * Summary figures are counted from the events themselves, so they describe
 * exactly what was written. */
#include "replay.h"

#include <errno.h>
#include <inttypes.h>
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
    uint64_t back_in_time;     /* events older than the clock when read */
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
    uint64_t shed = lr_core_stats_get(core)->shed;
    if (shed)
        fprintf(f, "shed: %llu new leads, the lead table was full (qualification.max_leads)\n",
                (unsigned long long)shed);
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
    fprintf(f, "events back in time: %llu (decided at the later clock time)\n",
            (unsigned long long)s->back_in_time);
    char *kpi = lr_kpijson_lifecycle(lr_core_lifecycle(core));
    if (kpi) fprintf(f, "kpi: %s\n", kpi);
    free(kpi);
}

/* What one run holds: the input and output streams, the core and its
 * buffers, the clock and the figures the summary prints. */
typedef struct run {
    const lr_replay_opts *o;
    const lr_config *cfg;
    const char *in_name, *out_name;
    FILE *in, *out;
    bool own_in, own_out;
    lr_core *core;
    lr_out events;
    lr_arena arena;
    lr_buf line;
    lr_json_input *ev;
    lr_time_ms clock;
    summary s;
} run;

static int write_out(run *r) {
    lr_out *out = &r->events;
    for (size_t i = 0; i < out->n; i++) {
        count(r->cfg, &r->s, &out->ev[i]);
        lr_buf_reset(&r->line);
        lr_jsonio_write_event(&out->ev[i], &r->line);
        if (fwrite(r->line.data, 1, r->line.len, r->out) != r->line.len) return -1;
    }
    lr_out_reset(out);
    return 0;
}

/* Moves the core's clock to `target` one deadline at a time. */
static int advance_through(run *r, lr_time_ms target) {
    for (;;) {
        lr_time_ms due = lr_core_next_due(r->core);
        if (due == LR_TIME_NONE || due > target) break;
        /* next_due is exact or earlier, never later: insist on progress */
        lr_time_ms step = (r->clock == LR_TIME_NONE || due > r->clock) ? due : r->clock + 1;
        if (step > target) break;
        r->clock = step;
        lr_core_advance(r->core, step, &r->events);
        if (write_out(r)) return -1;
    }
    if (r->clock == LR_TIME_NONE || target > r->clock) r->clock = target;
    return 0;
}

static int write_failed(run *r, lr_err *err) {
    lr_err_set(err, LR_ERR_FATAL, "%s: cannot write output: %s", r->out_name, strerror(errno));
    return 1;
}

/* The first warnings name their lines; past these, only the count (in the
 * last warning and the summary) grows, so a file sorted the wrong way round
 * does not bury the summary under a line per event. */
#define BACK_IN_TIME_WARNINGS 10

static void note_back_in_time(run *r, long lineno, lr_time_ms t) {
    uint64_t n = ++r->s.back_in_time;
    if (!r->o->warnings || n > BACK_IN_TIME_WARNINGS) return;
    fprintf(r->o->warnings,
            "%s:%ld: warning: event goes back in time by %" PRId64 " ms; decided at the "
            "clock's later time%s\n",
            r->in_name, lineno, r->clock - t,
            n == BACK_IN_TIME_WARNINGS ? " (further ones are only counted)" : "");
}

static int feed_event(run *r, long lineno, lr_err *err) {
    const lr_json_input *ev = r->ev;
    if (r->clock != LR_TIME_NONE && ev->time < r->clock) note_back_in_time(r, lineno, ev->time);
    if (advance_through(r, ev->time)) return write_failed(r, err);
    if (ev->kind == LR_JSON_LEAD) {
        r->s.leads++;
        if (!lr_core_on_lead(r->core, &ev->u.lead, r->clock, &r->events) && r->o->warnings &&
            lr_core_stats_get(r->core)->shed == 1) /* one line, when the limit is first hit */
            fprintf(r->o->warnings,
                    "%s:%ld: warning: the lead table is full (qualification.max_leads %lld): "
                    "new leads are shed (over_capacity) until records close\n",
                    r->in_name, lineno, (long long)lr_qualify_max_leads(r->cfg->rules.qualify));
    } else {
        r->s.activities++;
        lr_core_on_sales(r->core, &ev->u.sales, r->clock, &r->events);
    }
    return write_out(r) ? write_failed(r, err) : 0;
}

/* One line into *buf, with its '\n'; its length, or -1 at the end of the
 * file or on a read error. A line longer than `max` (plus "\r\n") is read
 * only that far, and the length returned is one over, which the parser
 * refuses: so a hostile line costs at most max_message_bytes of buffer,
 * where getline would hold all of it. */
static ssize_t read_line(FILE *in, char **buf, size_t *cap, size_t max) {
    size_t len = 0, limit = max + 3; /* the body, "\r\n" and one byte over */
    int c = EOF;
    flockfile(in);
    while (len < limit && (c = getc_unlocked(in)) != EOF) {
        if (len + 2 > *cap) {
            *cap = *cap ? *cap * 2 : 4096;
            if (*cap > limit + 2) *cap = limit + 2;
            *buf = realloc(*buf, *cap);
            if (!*buf) abort();
        }
        (*buf)[len++] = (char)c;
        if (c == '\n') break;
    }
    funlockfile(in);
    if (len == 0) return -1;
    (*buf)[len] = '\0';
    return (ssize_t)len;
}

/* Every line, in order. read_line's -1 is the end of the file or a read error
 * (EISDIR for a directory, EIO...): only ferror tells them apart, and a read
 * error must not pass for a short, successful replay. */
static int read_events(run *r, lr_err *err) {
    char *text = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0;
    errno = 0;
    size_t max = (size_t)r->cfg->kafka.max_message_bytes;
    while ((len = read_line(r->in, &text, &cap, max)) >= 0) {
        lineno++;
        lr_arena_reset(&r->arena);
        if ((size_t)len > max + 2 && text[len - 1] != '\n') {
            lr_err_set(err, LR_ERR_FATAL, "%s:%ld: line longer than %zu bytes "
                       "(kafka.max_message_bytes)", r->in_name, lineno, max);
            rc = 1;
            break;
        }
        int p = lr_jsonio_parse_line(text, (size_t)len, max,
                                     r->in_name, lineno, r->ev, &r->arena, err);
        if (p < 0 || (p == 0 && feed_event(r, lineno, err))) {
            rc = 1;
            break;
        }
        errno = 0;
    }
    if (rc == 0 && ferror(r->in)) {
        lr_err_set(err, LR_ERR_FATAL, "%s: cannot read: %s", r->in_name,
                   strerror(errno ? errno : EIO));
        rc = 1;
    }
    free(text);
    if (rc == 0 && r->o->warnings && r->s.back_in_time > BACK_IN_TIME_WARNINGS)
        fprintf(r->o->warnings, "%s: warning: %" PRIu64 " events in all went back in time\n",
                r->in_name, r->s.back_in_time);
    return rc;
}

static int open_streams(run *r, const lr_replay_opts *o, lr_err *err) {
    r->own_in = o->input && strcmp(o->input, "-") != 0;
    r->own_out = o->output && strcmp(o->output, "-") != 0;
    r->in_name = r->own_in ? o->input : "<stdin>";
    r->out_name = r->own_out ? o->output : "<stdout>";
    r->in = r->own_in ? fopen(o->input, "r") : stdin;
    if (!r->in) {
        lr_err_set(err, LR_ERR_FATAL, "%s: %s", o->input, strerror(errno));
        return 1;
    }
    r->out = r->own_out ? fopen(o->output, "w") : stdout;
    if (!r->out) {
        lr_err_set(err, LR_ERR_FATAL, "%s: %s", o->output, strerror(errno));
        return 1;
    }
    return 0;
}

static void run_init(run *r, const lr_replay_opts *o) {
    memset(r, 0, sizeof(*r));
    r->o = o;
    const lr_config *cfg = r->cfg = o->cfg;
    size_t n_teams = lr_route_team_count(cfg->rules.route), n_reps = lr_route_rep_count(cfg->rules.route);
    r->s.by_tier = calloc(lr_qualify_tier_count(cfg->rules.qualify) + 1, sizeof(uint64_t));
    r->s.team_assigned = calloc(n_teams + 1, sizeof(uint64_t));
    r->s.team_queued = calloc(n_teams + 1, sizeof(uint64_t));
    r->s.rep_in_team = calloc(n_teams * n_reps + 1, sizeof(uint64_t));
    r->core = lr_core_new(&cfg->rules, 1024);
    lr_out_init(&r->events);
    lr_arena_init(&r->arena, 64 * 1024);
    lr_buf_init(&r->line);
    r->ev = malloc(sizeof(*r->ev));
    r->clock = LR_TIME_NONE;
}

static void run_destroy(run *r) {
    free(r->ev);
    lr_buf_free(&r->line);
    lr_arena_destroy(&r->arena);
    lr_out_destroy(&r->events);
    lr_core_free(r->core);
    free(r->s.by_tier);
    free(r->s.team_assigned);
    free(r->s.team_queued);
    free(r->s.rep_in_team);
    if (r->own_in && r->in) fclose(r->in);
    if (r->own_out && r->out) fclose(r->out);
}

/* --until: fire what falls due up to that instant, then settle the clock
 * there even if nothing was due. */
static int finish_until(run *r, lr_err *err) {
    lr_time_ms until = r->o->until;
    if (until == LR_TIME_NONE || (r->clock != LR_TIME_NONE && until <= r->clock)) return 0;
    if (advance_through(r, until)) return write_failed(r, err);
    lr_core_advance(r->core, until, &r->events);
    return write_out(r) ? write_failed(r, err) : 0;
}

int lr_replay_run(const lr_replay_opts *o, lr_err *err) {
    if (o->until != LR_TIME_NONE && !lr_lead_time_in_range(o->until)) {
        lr_err_set(err, LR_ERR_FATAL, "until %" PRId64 " is outside 2000-01-01..9999-12-31",
                   o->until);
        return 1;
    }
    run r;
    run_init(&r, o);
    int rc = open_streams(&r, o, err);
    if (rc == 0) rc = read_events(&r, err);
    if (rc == 0) rc = finish_until(&r, err);
    if (r.out && fflush(r.out) != 0 && rc == 0) rc = write_failed(&r, err);
    if (rc == 0 && o->stats) *o->stats = (lr_replay_stats){r.s.leads, r.s.activities,
                                                           r.s.decisions, r.s.back_in_time};
    if (rc == 0 && o->summary) print_summary(r.cfg, &r.s, r.core, o->summary);
    run_destroy(&r);
    return rc;
}
