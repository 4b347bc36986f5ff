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
#include "rules.h"
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

/* ---- the JSON-lines file source ------------------------------------------- */

struct lr_replay_file {
    FILE *in;
    bool own;
    const char *name;
    size_t max_bytes;
    char *text;
    size_t cap;
    long lineno;
    lr_replay_readahead *ahead;
};

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

/* read_line's -1 is the end of the file or a read error (EISDIR for a
 * directory, EIO...): only ferror tells them apart, and a read error must not
 * pass for a short, successful replay. Blank lines and comments are skipped. */
static int file_next(void *ctx, lr_json_input *ev, lr_arena *arena, long *pos, lr_err *err) {
    lr_replay_file *f = ctx;
    ssize_t len;
    errno = 0;
    while ((len = read_line(f->in, &f->text, &f->cap, f->max_bytes)) >= 0) {
        f->lineno++;
        lr_arena_reset(arena);
        if ((size_t)len > f->max_bytes + 2 && f->text[len - 1] != '\n') {
            /* read_line stopped one byte over: the rest was never held */
            lr_err_set(err, LR_ERR_FATAL, "%s:%ld: line longer than %zu bytes "
                       "(kafka.max_message_bytes)", f->name, f->lineno, f->max_bytes);
            return -1;
        }
        int p = lr_jsonio_parse_line(f->text, (size_t)len, f->max_bytes, f->name, f->lineno, ev,
                                     arena, err);
        if (p < 0) return -1;
        if (p == 0) {
            *pos = f->lineno;
            return 0;
        }
        errno = 0;
    }
    if (ferror(f->in)) {
        lr_err_set(err, LR_ERR_FATAL, "%s: cannot read: %s", f->name, strerror(errno ? errno : EIO));
        return -1;
    }
    return 1;
}

lr_replay_file *lr_replay_file_open(const char *path, size_t max_bytes, lr_replay_source *src,
                                    lr_err *err) {
    lr_replay_file *f = calloc(1, sizeof(*f));
    f->own = path && strcmp(path, "-") != 0;
    f->name = f->own ? path : "<stdin>";
    f->max_bytes = max_bytes;
    f->in = f->own ? fopen(path, "r") : stdin;
    if (!f->in) {
        lr_err_set(err, LR_ERR_FATAL, "%s: %s", path, strerror(errno));
        free(f);
        return NULL;
    }
    lr_replay_source direct = {.name = f->name, .next = file_next, .ctx = f};
    f->ahead = lr_replay_readahead_new(&direct, src);
    return f;
}

void lr_replay_file_close(lr_replay_file *f) {
    if (!f) return;
    lr_replay_readahead_free(f->ahead); /* first: its thread reads the file */
    if (f->own) fclose(f->in);
    free(f->text);
    free(f);
}

/* ---- the driver -------------------------------------------------------------- */

/* One core and what it published for the event in hand. Each has its own
 * clock, since each visits its own SLA deadlines; all end at the event's
 * time. */
typedef struct lane {
    lr_core *core;
    lr_out events;
    lr_time_ms clock;
} lane;

typedef struct drive {
    const lr_replay_drive_opts *o;
    lane lanes[LR_REPLAY_MAX_CORES];
    lr_out *outs[LR_REPLAY_MAX_CORES];
    lr_replay_stats s;
} drive;

/* Moves the core's clock to `target` one deadline at a time. */
static void advance_through(lane *l, lr_time_ms target) {
    for (;;) {
        lr_time_ms due = lr_core_next_due(l->core);
        if (due == LR_TIME_NONE || due > target) break;
        /* next_due is exact or earlier, never later: insist on progress */
        lr_time_ms step = (l->clock == LR_TIME_NONE || due > l->clock) ? due : l->clock + 1;
        if (step > target) break;
        l->clock = step;
        lr_core_advance(l->core, step, &l->events);
    }
    if (l->clock == LR_TIME_NONE || target > l->clock) l->clock = target;
}

static int emit(drive *d, lr_err *err) {
    int rc = d->o->emit(d->o->emit_ctx, d->outs, d->o->n_cores, err);
    for (size_t i = 0; i < d->o->n_cores; i++) lr_out_reset(&d->lanes[i].events);
    return rc ? 1 : 0;
}

/* The first warnings name their positions; past these, only the count (in
 * the last warning and the summary) grows, so a file sorted the wrong way
 * round does not bury the summary under a line per event. */
#define BACK_IN_TIME_WARNINGS 10

static void note_back_in_time(drive *d, long pos, lr_time_ms t) {
    uint64_t n = ++d->s.back_in_time;
    if (!d->o->warnings || n > BACK_IN_TIME_WARNINGS) return;
    fprintf(d->o->warnings,
            "%s:%ld: warning: event goes back in time by %" PRId64 " ms; decided at the "
            "clock's later time%s\n",
            d->o->src->name, pos, d->lanes[0].clock - t,
            n == BACK_IN_TIME_WARNINGS ? " (further ones are only counted)" : "");
}

/* One line, when a core's lead table is first full (the summary counts the
 * rest): from then on new leads are shed until records close. */
static void note_shed(drive *d, lane *l, long pos) {
    if (!d->o->warnings || lr_core_stats_get(l->core)->shed != 1) return;
    fprintf(d->o->warnings,
            "%s:%ld: warning: the lead table is full (qualification.max_leads %lld): "
            "new leads are shed (over_capacity) until records close\n",
            d->o->src->name, pos, (long long)lr_qualify_max_leads(lr_core_rulebook(l->core)->qualify));
}

/* A roster or owner line: applied once to each rulebook (two lanes may share
 * one) after the clocks reached its time, like a record the live router
 * reads between two leads; a refused one is a warning, and the previous
 * value stays, as the live path dead-letters it. */
static int feed_roster(drive *d, const lr_json_input *ev, long pos, lr_err *err) {
    for (size_t i = 0; i < d->o->n_cores; i++) advance_through(&d->lanes[i], ev->time);
    for (size_t i = 0; i < d->o->n_cores; i++) {
        lr_route_config *rc = lr_core_rulebook(d->lanes[i].core)->route;
        bool seen = false;
        for (size_t k = 0; k < i; k++) seen |= lr_core_rulebook(d->lanes[k].core)->route == rc;
        if (seen) continue;
        lr_err why = {0};
        int rc_;
        if (ev->kind == LR_JSON_OWNER)
            rc_ = ev->u.owner.owner ? lr_roster_apply_owner(rc, &ev->u.owner, false, &why)
                                    : lr_roster_clear_owner(rc, ev->u.owner.domain, &why);
        else
            rc_ = ev->removed ? lr_roster_remove_rep(rc, ev->u.rep.id, strlen(ev->u.rep.id), &why)
                              : lr_roster_apply_rep(rc, d->o->tz, &ev->u.rep, false, &why);
        if (rc_ < 0 && d->o->warnings)
            fprintf(d->o->warnings, "%s:%ld: warning: refused, the previous value stays: %s\n",
                    d->o->src->name, pos, why.msg);
    }
    d->s.roster_changes++;
    return emit(d, err);
}

static int feed_event(drive *d, const lr_json_input *ev, long pos, lr_err *err) {
    if (d->lanes[0].clock != LR_TIME_NONE && ev->time < d->lanes[0].clock)
        note_back_in_time(d, pos, ev->time);
    if (ev->kind == LR_JSON_ROSTER || ev->kind == LR_JSON_OWNER) return feed_roster(d, ev, pos, err);
    if (ev->kind == LR_JSON_LEAD) d->s.leads++;
    else d->s.activities++;
    for (size_t i = 0; i < d->o->n_cores; i++) {
        lane *l = &d->lanes[i];
        advance_through(l, ev->time);
        if (ev->kind != LR_JSON_LEAD)
            lr_core_on_sales(l->core, &ev->u.sales, l->clock, &l->events);
        else if (!lr_core_on_lead(l->core, &ev->u.lead, l->clock, &l->events))
            note_shed(d, l, pos);
    }
    return emit(d, err);
}

/* --until: fire what falls due up to that instant, then settle the clock
 * there even if nothing was due. */
static int finish_until(drive *d, lr_err *err) {
    lr_time_ms until = d->o->until;
    if (until == LR_TIME_NONE) return 0;
    for (size_t i = 0; i < d->o->n_cores; i++) {
        lane *l = &d->lanes[i];
        if (l->clock != LR_TIME_NONE && until <= l->clock) continue;
        advance_through(l, until);
        lr_core_advance(l->core, until, &l->events);
    }
    return emit(d, err);
}

int lr_replay_drive(const lr_replay_drive_opts *o, lr_replay_stats *stats, lr_err *err) {
    if (o->until != LR_TIME_NONE && !lr_lead_time_in_range(o->until)) {
        lr_err_set(err, LR_ERR_FATAL, "until %" PRId64 " is outside 2000-01-01..9999-12-31",
                   o->until);
        return 1;
    }
    drive d;
    memset(&d, 0, sizeof(d));
    d.o = o;
    for (size_t i = 0; i < o->n_cores; i++) {
        d.lanes[i].core = o->cores[i];
        d.lanes[i].clock = LR_TIME_NONE;
        lr_out_init(&d.lanes[i].events);
        d.outs[i] = &d.lanes[i].events;
    }
    lr_arena arena;
    lr_arena_init(&arena, 64 * 1024);
    lr_json_input *ev = malloc(sizeof(*ev));
    long pos = 0;
    int rc = 0, got = 0;
    if (o->src->prepare && o->src->prepare(o->src->ctx, o->cores, o->n_cores, err)) got = -1;
    while (got == 0 && (got = o->src->next(o->src->ctx, ev, &arena, &pos, err)) == 0)
        if ((rc = feed_event(&d, ev, pos, err)) != 0) break;
    rc = got < 0 ? 1 : got == 0 ? rc : finish_until(&d, err);
    if (rc == 0 && o->warnings && d.s.back_in_time > BACK_IN_TIME_WARNINGS)
        fprintf(o->warnings, "%s: warning: %" PRIu64 " events in all went back in time\n",
                o->src->name, d.s.back_in_time);
    free(ev);
    lr_arena_destroy(&arena);
    for (size_t i = 0; i < o->n_cores; i++) lr_out_destroy(&d.lanes[i].events);
    if (stats) *stats = d.s;
    return rc;
}

/* ---- replay: one core, events as JSON lines ----------------------------------- */

typedef struct run {
    const lr_config *cfg;
    const char *out_name;
    FILE *out;
    lr_buf line;
    summary s;
} run;

static int write_events(void *ctx, lr_out *const *outs, size_t n, lr_err *err) {
    run *r = ctx;
    lr_out *out = outs[0];
    for (size_t i = 0; i < out->n; i++) {
        count(r->cfg, &r->s, &out->ev[i]);
        lr_buf_reset(&r->line);
        lr_jsonio_write_event(&out->ev[i], &r->line);
        if (fwrite(r->line.data, 1, r->line.len, r->out) != r->line.len) {
            lr_err_set(err, LR_ERR_FATAL, "%s: cannot write output: %s", r->out_name,
                       strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void summary_init(summary *s, const lr_config *cfg) {
    memset(s, 0, sizeof(*s));
    size_t n_teams = lr_route_team_count(cfg->rules.route), n_reps = lr_route_rep_count(cfg->rules.route);
    s->by_tier = calloc(lr_qualify_tier_count(cfg->rules.qualify) + 1, sizeof(uint64_t));
    s->team_assigned = calloc(n_teams + 1, sizeof(uint64_t));
    s->team_queued = calloc(n_teams + 1, sizeof(uint64_t));
    s->rep_in_team = calloc(n_teams * n_reps + 1, sizeof(uint64_t));
}

static void summary_destroy(summary *s) {
    free(s->by_tier);
    free(s->team_assigned);
    free(s->team_queued);
    free(s->rep_in_team);
}

int lr_replay_run_from(const lr_replay_opts *o, lr_replay_source *src, lr_err *err) {
    run r = {.cfg = o->cfg};
    bool own_out = o->output && strcmp(o->output, "-") != 0;
    r.out_name = own_out ? o->output : "<stdout>";
    r.out = own_out ? fopen(o->output, "w") : stdout;
    if (!r.out) {
        lr_err_set(err, LR_ERR_FATAL, "%s: %s", o->output, strerror(errno));
        return 1;
    }
    summary_init(&r.s, o->cfg);
    lr_buf_init(&r.line);
    lr_core *core = lr_core_new(&o->cfg->rules, 1024);
    lr_replay_drive_opts d = {.src = src, .cores = {core}, .n_cores = 1,
                              .emit = write_events, .emit_ctx = &r, .until = o->until,
                              .warnings = o->warnings, .tz = o->cfg->tz};
    lr_replay_stats st;
    int rc = lr_replay_drive(&d, &st, err);
    if (fflush(r.out) != 0 && rc == 0) {
        lr_err_set(err, LR_ERR_FATAL, "%s: cannot write output: %s", r.out_name, strerror(errno));
        rc = 1;
    }
    r.s.leads = st.leads;
    r.s.activities = st.activities;
    r.s.back_in_time = st.back_in_time;
    if (rc == 0 && o->stats) *o->stats = (lr_replay_stats){r.s.leads, r.s.activities,
                                                           r.s.decisions, r.s.back_in_time,
                                                           st.roster_changes};
    if (rc == 0 && o->summary) print_summary(r.cfg, &r.s, core, o->summary);
    lr_core_free(core);
    lr_buf_free(&r.line);
    summary_destroy(&r.s);
    if (own_out) fclose(r.out);
    return rc;
}

int lr_replay_run(const lr_replay_opts *o, lr_err *err) {
    if (o->until != LR_TIME_NONE && !lr_lead_time_in_range(o->until)) {
        lr_err_set(err, LR_ERR_FATAL, "until %" PRId64 " is outside 2000-01-01..9999-12-31",
                   o->until);
        return 1;
    }
    lr_replay_source src;
    lr_replay_file *f = lr_replay_file_open(o->input, (size_t)o->cfg->kafka.max_message_bytes,
                                            &src, err);
    if (!f) return 1;
    int rc = lr_replay_run_from(o, &src, err);
    lr_replay_file_close(f);
    return rc;
}
