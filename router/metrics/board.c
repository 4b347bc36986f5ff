/* board.c - the dashboard's snapshot; see board.h. Filling runs on the
 * processing thread, rendering (jansson) on the HTTP thread. */
#include "board_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "kpi.h"
#include "metrics.h"


lr_board *lr_board_new(void) {
    lr_board *b = calloc(1, sizeof(*b));
    if (!b) abort();
    b->front = &b->snaps[0];
    b->back = &b->snaps[1];
    pthread_mutex_init(&b->lock, NULL);
    atomic_init(&b->viewed_ms, (int64_t)0);
    snprintf(b->partitions, sizeof(b->partitions), "none yet");
    return b;
}

static void free_names(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
}

void lr_board_free(lr_board *b) {
    if (!b) return;
    for (int i = 0; i < 2; i++) {
        b_snap *s = &b->snaps[i];
        free_names(s->teams, s->n_teams);
        free_names(s->rep_names, s->n_reps);
        free(s->teams);
        free(s->rep_names);
        free(s->reps);
        free(s->member);
    }
    pthread_mutex_destroy(&b->lock);
    free(b);
}

/* ---- processing thread -------------------------------------------------------- */

/* Appends s (at most cap - 1 - *n bytes) at buf + *n. */
static void append(char *buf, size_t cap, size_t *n, const char *s) {
    size_t len = s ? strlen(s) : 0;
    if (*n + len >= cap) len = cap - 1 - *n;
    memcpy(buf + *n, s ? s : "", len);
    *n += len;
    buf[*n] = 0;
}

void lr_board_note(lr_board *b, const lr_decision *d) {
    if (!b->watching) return; /* nobody looks: no cost per decision */
    b_decision *o = &b->ring[b->ring_next];
    b->ring_next = (b->ring_next + 1) % LR_BOARD_DECISIONS;
    if (b->ring_n < LR_BOARD_DECISIONS) b->ring_n++;
    lr_copy_cut(o->lead, sizeof(o->lead), d->lead_id.s, d->lead_id.len);
    LR_COPY_CUT(o->team, d->team);
    LR_COPY_CUT(o->rep, d->rep);
    LR_COPY_CUT(o->tier, d->tier);
    LR_COPY_CUT(o->queue, d->queue);
    o->stage = d->stage;
    o->score = d->score;
    o->at_ms = d->decided_at;
    o->latency_ms = d->decided_at - d->event_time;
    /* "why here": the routing reasons (rule, owner, chosen, overflow), not
     * every scoring line and skipped candidate */
    size_t n = 0;
    for (uint32_t i = 0; i < d->n_reasons && n < 3; i++) {
        const lr_reason *r = &d->reasons[i];
        if (r->kind != LR_REASON_ROUTING_RULE && r->kind != LR_REASON_ACCOUNT_OWNER &&
            r->kind != LR_REASON_PREVIOUS_OWNER && r->kind != LR_REASON_CHOSEN &&
            r->kind != LR_REASON_OVERFLOW && r->kind != LR_REASON_SLA &&
            r->kind != LR_REASON_THRESHOLD && r->kind != LR_REASON_OVERRIDE)
            continue;
        /* a detail that names its rule already says it all */
        const char *rule = r->rule && !(r->detail && strstr(r->detail, r->rule)) ? r->rule : "";
        char *w = o->why[n++];
        size_t len = 0;
        w[0] = 0;
        append(w, sizeof(o->why[0]), &len, lr_reason_kind_name(r->kind));
        append(w, sizeof(o->why[0]), &len, " ");
        append(w, sizeof(o->why[0]), &len, rule);
        if (rule[0] && r->detail) append(w, sizeof(o->why[0]), &len, ": ");
        append(w, sizeof(o->why[0]), &len, r->detail);
    }
    for (; n < 3; n++) o->why[n][0] = 0;
}

bool lr_board_due(lr_board *b, int64_t mono_ms) {
    int64_t v = atomic_load_explicit(&b->viewed_ms, memory_order_relaxed);
    b->watching = v && mono_ms - v <= LR_BOARD_IDLE_MS;
    if (!b->watching) return false;
    return mono_ms - b->filled_ms >= LR_BOARD_EVERY_MS || mono_ms < b->filled_ms;
}

void lr_board_begin(lr_board *b, int64_t now_ms) {
    b_snap *s = b->back;
    s->now_ms = now_ms;
    s->shaped = false;
    s->n_clocks = 0;
    s->open_clocks = s->breached = 0;
    s->n_dec = 0;
    memset(s->sla, 0, sizeof(s->sla));
    s->ttft_n = s->lat_n = 0;
    s->ttft_p50 = s->ttft_p90 = s->lat_p50 = s->lat_p99 = 0;
    memset(s->n_names, 0, sizeof(s->n_names));
}

/* Whether the snapshot's names are still the rulebook's: O(teams + reps)
 * comparisons, once per fill (a fill walks every rep anyway). */
static bool same_names(const b_snap *s, const lr_route_config *rc) {
    if (lr_route_team_count(rc) != s->n_teams || lr_route_rep_count(rc) != s->n_reps)
        return false;
    for (size_t t = 0; t < s->n_teams; t++)
        if (strcmp(s->teams[t], lr_route_team_name(rc, (int32_t)t)) != 0) return false;
    for (size_t r = 0; r < s->n_reps; r++)
        if (strcmp(s->rep_names[r], lr_route_rep_name(rc, (int32_t)r)) != 0) return false;
    return true;
}

static char *dup_name(const char *v) {
    char *d = strdup(v ? v : "");
    if (!d) abort();
    return d;
}

/* The snapshot takes the rulebook's teams and reps (the first core of a
 * fill): names copied again only after a reload or a roster change, and
 * the per-rep arrays cleared. */
static void b_shape(b_snap *s, const lr_route_config *rc) {
    if (!same_names(s, rc)) {
        free_names(s->teams, s->n_teams);
        free_names(s->rep_names, s->n_reps);
        s->n_teams = lr_route_team_count(rc);
        s->n_reps = lr_route_rep_count(rc);
        if (!s->reps || s->n_teams > s->cap_teams || s->n_reps > s->cap_reps) {
            s->cap_teams = s->n_teams > s->cap_teams ? s->n_teams : s->cap_teams;
            s->cap_reps = s->n_reps > s->cap_reps ? s->n_reps * 2 : s->cap_reps;
            free(s->teams);
            free(s->rep_names);
            free(s->reps);
            free(s->member);
            s->teams = calloc(s->cap_teams + 1, sizeof(char *));
            s->rep_names = calloc(s->cap_reps + 1, sizeof(char *));
            s->reps = calloc(s->cap_reps + 1, sizeof(b_rep));
            s->member = calloc(s->cap_teams * s->cap_reps + 1, 1);
            if (!s->teams || !s->rep_names || !s->reps || !s->member) abort();
        }
        for (size_t t = 0; t < s->n_teams; t++)
            s->teams[t] = dup_name(lr_route_team_name(rc, (int32_t)t));
        for (size_t r = 0; r < s->n_reps; r++)
            s->rep_names[r] = dup_name(lr_route_rep_name(rc, (int32_t)r));
    }
    memset(s->reps, 0, (s->n_reps + 1) * sizeof(b_rep));
    memset(s->member, 0, s->n_teams * s->n_reps + 1);
    s->shaped = true;
}

/* The clocks kept form a max-heap on due_at while filling: a clock sooner
 * than the latest kept replaces it, so a fill costs O(open x log 200). */
static bool later(const b_clock *a, const b_clock *b) { return a->due_at > b->due_at; }

static void heap_down(b_clock *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && later(&h[l], &h[m])) m = l;
        if (r < n && later(&h[r], &h[m])) m = r;
        if (m == i) return;
        b_clock t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_up(b_clock *h, size_t i) {
    while (i && later(&h[i], &h[(i - 1) / 2])) {
        b_clock t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static void clock_seen(void *ctx, const lr_clock_view *c) {
    b_snap *s = ctx;
    s->open_clocks++;
    if (c->breached) s->breached++;
    b_clock k;
    LR_COPY_CUT(k.lead, c->lead_id);
    LR_COPY_CUT(k.team, c->team);
    LR_COPY_CUT(k.rep, c->rep);
    k.assigned_at = c->assigned_at;
    k.due_at = c->due_at;
    if (s->n_clocks < LR_BOARD_CLOCKS) {
        s->clocks[s->n_clocks] = k;
        heap_up(s->clocks, s->n_clocks++);
    } else if (later(&s->clocks[0], &k)) {
        s->clocks[0] = k;
        heap_down(s->clocks, s->n_clocks, 0);
    }
}

static void hist_merge(lr_hist *into, const lr_hist *h) {
    if (!h) return;
    into->count += h->count;
    into->sum += h->sum;
    if (h->max > into->max) into->max = h->max;
    for (size_t i = 0; i < LR_HIST_BUCKETS; i++) into->bucket[i] += h->bucket[i];
}

/* A source or campaign into the table of the most handed-to-sales. */
static void name_seen(b_snap *s, int dim, const char *name, const lr_kpi_counts *c) {
    b_name n = {.handed = c->c[LR_KPI_HANDED_TO_SALES],
                .converted = c->stage[LR_STATUS_CONVERTED],
                .met = c->c[LR_KPI_SLA_MET], .missed = c->c[LR_KPI_SLA_MISSED]};
    LR_COPY_CUT(n.name, name);
    b_name *v = s->names[dim];
    for (size_t i = 0; i < s->n_names[dim]; i++)
        if (strcmp(v[i].name, n.name) == 0) { /* another core's share of the same name */
            v[i].handed += n.handed;
            v[i].converted += n.converted;
            v[i].met += n.met;
            v[i].missed += n.missed;
            return;
        }
    size_t at = s->n_names[dim];
    if (at == LR_BOARD_NAMES) {
        at = 0;
        for (size_t i = 1; i < LR_BOARD_NAMES; i++)
            if (v[i].handed < v[at].handed) at = i;
        if (v[at].handed >= n.handed) return;
    } else {
        s->n_names[dim]++;
    }
    v[at] = n;
}

static void add_kpis(lr_board *b, b_snap *s, const lr_kpi *k) {
    for (int c = 0; c < LR_KPI__COUNT; c++) s->sla[c] += lr_kpi_total(k)->c[c];
    hist_merge(&b->ttft, lr_kpi_get_hist(k, LR_KPI_TTFT));
    hist_merge(&b->lat, lr_kpi_get_hist(k, LR_KPI_LATENCY));
    for (int dim = 0; dim < LR_KPI_DIM__COUNT; dim++)
        for (uint32_t id = 1; id <= lr_kpi_name_count(k, (lr_kpi_dim)dim); id++) {
            const lr_kpi_counts *c = lr_kpi_of_name(k, (lr_kpi_dim)dim, (uint16_t)id);
            if (c && lr_kpi_counts_used(c))
                name_seen(s, dim, lr_kpi_name(k, (lr_kpi_dim)dim, (uint16_t)id), c);
        }
}

void lr_board_add_core(lr_board *b, lr_core *core, int64_t now_ms) {
    b_snap *s = b->back;
    const lr_route_config *rc = lr_core_rulebook(core)->route;
    const lr_route_state *st = lr_core_route_state(core);
    if (rc && !s->shaped) b_shape(s, rc); /* every core shares the rulebook */
    if (rc && lr_route_rep_count(rc) == s->n_reps && lr_route_team_count(rc) == s->n_teams) {
        for (size_t r = 0; r < s->n_reps; r++) {
            b_rep *o = &s->reps[r];
            lr_rep_now now;
            lr_route_rep_now(rc, st, (int32_t)r, now_ms, &now);
            if (o->seen) { /* several cores: loads add up */
                o->now.open += now.open;
                o->now.today += now.today;
                continue;
            }
            o->now = now;
            o->seen = true;
            LR_COPY_CUT(o->away, now.away);
        }
        for (size_t t = 0; t < s->n_teams; t++)
            for (size_t r = 0; r < s->n_reps; r++)
                if (lr_route_rep_in_team(rc, (int32_t)t, (int32_t)r))
                    s->member[t * s->n_reps + r] = 1;
    }
    lr_lifecycle *life = lr_core_lifecycle(core);
    lr_lifecycle_each_clock(life, now_ms, clock_seen, s);
    add_kpis(b, s, lr_lifecycle_kpi(life));
}

static int by_due(const void *a, const void *b) {
    int64_t x = ((const b_clock *)a)->due_at, y = ((const b_clock *)b)->due_at;
    return x < y ? -1 : x > y;
}

static int by_handed(const void *a, const void *b) {
    uint64_t x = ((const b_name *)a)->handed, y = ((const b_name *)b)->handed;
    return x > y ? -1 : x < y;
}

void lr_board_publish(lr_board *b) {
    b_snap *s = b->back;
    qsort(s->clocks, s->n_clocks, sizeof(b_clock), by_due);
    for (int dim = 0; dim < LR_KPI_DIM__COUNT; dim++)
        qsort(s->names[dim], s->n_names[dim], sizeof(b_name), by_handed);
    s->ttft_n = b->ttft.count;
    s->lat_n = b->lat.count;
    s->ttft_p50 = lr_hist_percentile(&b->ttft, 50);
    s->ttft_p90 = lr_hist_percentile(&b->ttft, 90);
    s->lat_p50 = lr_hist_percentile(&b->lat, 50);
    s->lat_p99 = lr_hist_percentile(&b->lat, 99);
    memset(&b->ttft, 0, sizeof(b->ttft));
    memset(&b->lat, 0, sizeof(b->lat));
    s->n_dec = b->ring_n;
    for (size_t i = 0; i < b->ring_n; i++) /* newest first */
        s->dec[i] = b->ring[(b->ring_next + LR_BOARD_DECISIONS - 1 - i) % LR_BOARD_DECISIONS];
    b->filled_ms = lr_metrics_mono_ms();
    pthread_mutex_lock(&b->lock);
    b->front = s;
    b->back = s == &b->snaps[0] ? &b->snaps[1] : &b->snaps[0];
    pthread_mutex_unlock(&b->lock);
}

void lr_board_set_partitions(lr_board *b, const char *text) {
    pthread_mutex_lock(&b->lock);
    snprintf(b->partitions, sizeof(b->partitions), "%s", text);
    pthread_mutex_unlock(&b->lock);
}
