/* metrics.c - the snapshots, their publication and the health flags; see
 * metrics.h. Rendering is in metrics_render.c. */
#include "metrics_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double bounds[LR_MH__COUNT][LR_METRICS_HIST_BOUNDS] = {
    /* routing latency: event time to decision */
    {0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
    /* time to first touch: minutes to days */
    {30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800},
    /* commit duration */
    {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
};

const double *lr_metrics_hist_bounds(lr_metrics_hist_kind k) { return bounds[k]; }

void lr_metrics_hist_add(lr_metrics_hist *h, lr_metrics_hist_kind k, double seconds) {
    for (int i = 0; i < LR_METRICS_HIST_BOUNDS; i++)
        if (seconds <= bounds[k][i]) h->le[i]++;
    h->count++;
    h->sum += seconds;
}

void lr_metrics_hist_merge(lr_metrics_hist *h, lr_metrics_hist_kind k, const lr_hist *src) {
    if (!src) return;
    for (int i = 0; i < LR_METRICS_HIST_BOUNDS; i++)
        h->le[i] += lr_hist_count_le(src, (int64_t)(bounds[k][i] * 1000.0 + 0.5));
    h->count += src->count;
    h->sum += (double)src->sum / 1000.0;
}

lr_metrics_dl lr_metrics_dl_of(const char *code) {
    static const char *const names[LR_DL_OTHER] = {"too_large", "bad_magic", "unknown_schema",
                                                   "malformed", "contract", "unexpected_topic",
                                                   "over_capacity"};
    for (int i = 0; i < LR_DL_OTHER; i++)
        if (strcmp(code, names[i]) == 0) return (lr_metrics_dl)i;
    return LR_DL_OTHER;
}

int64_t lr_metrics_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char **copy_names(size_t n, const char *const *names) {
    char **out = calloc(n + 1, sizeof(char *));
    if (!out) abort();
    for (size_t i = 0; i < n; i++)
        if (!(out[i] = strdup(names[i] ? names[i] : ""))) abort();
    return out;
}

static void free_names(size_t n, char **names) {
    if (!names) return;
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void snap_init(lr_metrics_snap *s, const lr_metrics *m) {
    s->decisions = calloc((size_t)LR_STAGE__COUNT * (m->n_tiers + 1), sizeof(uint64_t));
    s->assignments = calloc(m->n_teams * m->n_reps + 1, sizeof(uint64_t));
    s->sla_team = calloc(m->n_teams * LR_MT__COUNT + 1, sizeof(uint64_t));
    if (!s->decisions || !s->assignments || !s->sla_team) abort();
}

static void snap_clear(lr_metrics_snap *s, const lr_metrics *m) {
    uint64_t *d = s->decisions, *a = s->assignments, *t = s->sla_team;
    memset(d, 0, (size_t)LR_STAGE__COUNT * (m->n_tiers + 1) * sizeof(uint64_t));
    memset(a, 0, (m->n_teams * m->n_reps + 1) * sizeof(uint64_t));
    memset(t, 0, (m->n_teams * LR_MT__COUNT + 1) * sizeof(uint64_t));
    memset(s, 0, sizeof(*s));
    s->decisions = d;
    s->assignments = a;
    s->sla_team = t;
}

lr_metrics *lr_metrics_new(const lr_metrics_shape *sh) {
    lr_metrics *m = calloc(1, sizeof(*m));
    if (!m) abort();
    m->n_tiers = sh->n_tiers;
    m->n_teams = sh->n_teams;
    m->n_reps = sh->n_reps;
    m->tiers = copy_names(sh->n_tiers, sh->tiers);
    m->teams = copy_names(sh->n_teams, sh->teams);
    m->reps = copy_names(sh->n_reps, sh->reps);
    m->version = strdup(sh->version ? sh->version : "");
    snprintf(m->rulebook_hash, sizeof(m->rulebook_hash), "%s",
             sh->rulebook_hash ? sh->rulebook_hash : "");
    if (!m->version) abort();
    snap_init(&m->snaps[0], m);
    snap_init(&m->snaps[1], m);
    snap_init(&m->carried, m);
    m->front = &m->snaps[0];
    m->back = &m->snaps[1];
    pthread_mutex_init(&m->lock, NULL);
    atomic_init(&m->loop_mono_ms, lr_metrics_mono_ms());
    atomic_init(&m->assigned, false);
    atomic_init(&m->restoring, false);
    atomic_init(&m->brokers_down, false);
    /* the configuration in force was loaded at start */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    atomic_init(&m->reload_ok_ms, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    atomic_init(&m->reload_failures, (uint64_t)0);
    atomic_init(&m->reloads, (uint64_t)0);
    return m;
}

static void snap_destroy(lr_metrics_snap *s) {
    free(s->decisions);
    free(s->assignments);
    free(s->sla_team);
}

/* What lr_metrics_reshape replaces: the names and the three snapshots. */
static void shape_destroy(lr_metrics *m) {
    snap_destroy(&m->snaps[0]);
    snap_destroy(&m->snaps[1]);
    snap_destroy(&m->carried);
    free_names(m->n_tiers, m->tiers);
    free_names(m->n_teams, m->teams);
    free_names(m->n_reps, m->reps);
}

void lr_metrics_free(lr_metrics *m) {
    if (!m) return;
    shape_destroy(m);
    free(m->version);
    if (m->stats_json && m->stats_free) m->stats_free(m->stats_json);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static void hist_add_all(lr_metrics_hist *h, const lr_metrics_hist *src) {
    for (int i = 0; i < LR_METRICS_HIST_BOUNDS; i++) h->le[i] += src->le[i];
    h->count += src->count;
    h->sum += src->sum;
}

/* The counts a core makes (lr_metrics_add_core), as opposed to the run's:
 * those without a name label, then those by tier, team and rep. */
static void add_core_totals(lr_metrics_snap *s, const lr_metrics_snap *c) {
    s->duplicates += c->duplicates;
    s->shed += c->shed;
    for (int k = 0; k < LR_MT__COUNT; k++) s->sla_total[k] += c->sla_total[k];
    hist_add_all(&s->hist[LR_MH_LATENCY], &c->hist[LR_MH_LATENCY]);
    hist_add_all(&s->hist[LR_MH_TTFT], &c->hist[LR_MH_TTFT]);
}

static void add_core_counts(lr_metrics_snap *s, const lr_metrics_snap *c, const lr_metrics *m) {
    add_core_totals(s, c);
    for (size_t i = 0; i < (size_t)LR_STAGE__COUNT * (m->n_tiers + 1); i++)
        s->decisions[i] += c->decisions[i];
    for (size_t i = 0; i < m->n_teams * m->n_reps; i++) s->assignments[i] += c->assignments[i];
    for (size_t i = 0; i < m->n_teams * LR_MT__COUNT; i++) s->sla_team[i] += c->sla_team[i];
}

lr_metrics_snap *lr_metrics_back(lr_metrics *m) {
    snap_clear(m->back, m);
    add_core_counts(m->back, &m->carried, m);
    return m->back;
}

void lr_metrics_publish(lr_metrics *m) {
    pthread_mutex_lock(&m->lock);
    lr_metrics_snap *t = m->front;
    m->front = m->back;
    m->back = t;
    m->published = true;
    pthread_mutex_unlock(&m->lock);
}

size_t lr_metrics_n_tiers(const lr_metrics *m) { return m->n_tiers; }
size_t lr_metrics_n_teams(const lr_metrics *m) { return m->n_teams; }
size_t lr_metrics_n_reps(const lr_metrics *m) { return m->n_reps; }

void lr_metrics_heartbeat(lr_metrics *m, int64_t mono_ms) {
    atomic_store_explicit(&m->loop_mono_ms, mono_ms, memory_order_relaxed);
}
void lr_metrics_set_assigned(lr_metrics *m, bool v) { atomic_store(&m->assigned, v); }
void lr_metrics_set_restoring(lr_metrics *m, bool v) { atomic_store(&m->restoring, v); }
void lr_metrics_set_brokers_down(lr_metrics *m, bool v) { atomic_store(&m->brokers_down, v); }
bool lr_metrics_brokers_down(const lr_metrics *m) {
    return atomic_load_explicit(&((lr_metrics *)m)->brokers_down, memory_order_relaxed);
}

void lr_metrics_consumer_stats(lr_metrics *m, char *json, void (*free_fn)(void *)) {
    pthread_mutex_lock(&m->lock);
    char *old = m->stats_json;
    void (*old_free)(void *) = m->stats_free;
    m->stats_json = json;
    m->stats_free = free_fn;
    pthread_mutex_unlock(&m->lock);
    if (old && old_free) old_free(old);
}

/* ---- reshape (a reload) ----------------------------------------------------- */

/* For each old name, its index among the new ones, or -1. */
static long *name_map(char **old, size_t n_old, char **now, size_t n_now) {
    long *map = calloc(n_old + 1, sizeof(long));
    if (!map) abort();
    for (size_t i = 0; i < n_old; i++) {
        map[i] = -1;
        for (size_t j = 0; j < n_now && map[i] < 0; j++)
            if (strcmp(old[i], now[j]) == 0) map[i] = (long)j;
    }
    return map;
}

/* c (zeroed, next's shape) = the core counts of f (m's shape), by name. */
static void carry(lr_metrics_snap *c, const lr_metrics *next, const lr_metrics_snap *f,
                  const lr_metrics *m) {
    long *tier = name_map(m->tiers, m->n_tiers, next->tiers, next->n_tiers);
    long *team = name_map(m->teams, m->n_teams, next->teams, next->n_teams);
    long *rep = name_map(m->reps, m->n_reps, next->reps, next->n_reps);
    add_core_totals(c, f);
    for (size_t st = 0; st < (size_t)LR_STAGE__COUNT; st++)
        for (size_t t = 0; t <= m->n_tiers; t++) {
            long to = t ? tier[t - 1] + 1 : 0; /* 0: untiered */
            if (to >= 0) c->decisions[st * (next->n_tiers + 1) + (size_t)to] +=
                             f->decisions[st * (m->n_tiers + 1) + t];
        }
    for (size_t t = 0; t < m->n_teams; t++) {
        for (size_t r = 0; r < m->n_reps; r++)
            if (team[t] >= 0 && rep[r] >= 0)
                c->assignments[(size_t)team[t] * next->n_reps + (size_t)rep[r]] +=
                    f->assignments[t * m->n_reps + r];
        for (size_t k = 0; k < LR_MT__COUNT; k++) {
            uint64_t v = f->sla_team[t * LR_MT__COUNT + k];
            if (team[t] >= 0) c->sla_team[(size_t)team[t] * LR_MT__COUNT + k] += v;
            else c->sla_total[k] -= v; /* not "none"'s: the series ends */
        }
    }
    free(tier);
    free(team);
    free(rep);
}

void lr_metrics_reshape(lr_metrics *m, const lr_metrics_shape *sh) {
    lr_metrics next = {.n_tiers = sh->n_tiers, .n_teams = sh->n_teams, .n_reps = sh->n_reps};
    next.tiers = copy_names(sh->n_tiers, sh->tiers);
    next.teams = copy_names(sh->n_teams, sh->teams);
    next.reps = copy_names(sh->n_reps, sh->reps);
    snap_init(&next.snaps[0], &next);
    snap_init(&next.snaps[1], &next);
    snap_init(&next.carried, &next);
    /* only this thread publishes: the front is the old cores' last counts */
    carry(&next.carried, &next, m->front, m);
    /* the front to scrape until the next publish: the same figures */
    lr_metrics_snap *nf = &next.snaps[0];
    uint64_t *d = nf->decisions, *a = nf->assignments, *t = nf->sla_team;
    *nf = *m->front;
    nf->decisions = d;
    nf->assignments = a;
    nf->sla_team = t;
    memcpy(d, next.carried.decisions, (size_t)LR_STAGE__COUNT * (next.n_tiers + 1) * sizeof(*d));
    memcpy(a, next.carried.assignments, next.n_teams * next.n_reps * sizeof(*a));
    memcpy(t, next.carried.sla_team, next.n_teams * LR_MT__COUNT * sizeof(*t));
    memcpy(nf->sla_total, next.carried.sla_total, sizeof(nf->sla_total));
    lr_metrics old = {.n_tiers = m->n_tiers, .n_teams = m->n_teams, .n_reps = m->n_reps,
                      .tiers = m->tiers, .teams = m->teams, .reps = m->reps,
                      .snaps = {m->snaps[0], m->snaps[1]}, .carried = m->carried};
    pthread_mutex_lock(&m->lock);
    m->n_tiers = next.n_tiers, m->n_teams = next.n_teams, m->n_reps = next.n_reps;
    m->tiers = next.tiers, m->teams = next.teams, m->reps = next.reps;
    m->snaps[0] = next.snaps[0];
    m->snaps[1] = next.snaps[1];
    m->carried = next.carried;
    m->front = &m->snaps[0];
    m->back = &m->snaps[1];
    pthread_mutex_unlock(&m->lock);
    shape_destroy(&old);
}

void lr_metrics_reload_succeeded(lr_metrics *m, double unix_s) {
    atomic_store(&m->reload_ok_ms, (int64_t)(unix_s * 1000.0));
    atomic_fetch_add(&m->reloads, 1);
}
void lr_metrics_set_rulebook_hash(lr_metrics *m, const char *hash) {
    pthread_mutex_lock(&m->lock);
    snprintf(m->rulebook_hash, sizeof(m->rulebook_hash), "%s", hash ? hash : "");
    pthread_mutex_unlock(&m->lock);
}

void lr_metrics_set_webhook_counts(lr_metrics *m, const lr_webhook_counts *c) {
    m->webhooks = c;
}

void lr_metrics_reload_failed(lr_metrics *m) { atomic_fetch_add(&m->reload_failures, 1); }

bool lr_metrics_healthy(const lr_metrics *m, int64_t now, int64_t timeout_ms) {
    int64_t t = atomic_load_explicit(&((lr_metrics *)m)->loop_mono_ms, memory_order_relaxed);
    return now - t <= timeout_ms;
}

bool lr_metrics_ready(const lr_metrics *m, const char **why) {
    lr_metrics *w = (lr_metrics *)m;
    const char *no = NULL;
    if (atomic_load(&w->restoring)) no = "restoring the decision state";
    else if (!atomic_load(&w->assigned)) no = "no partitions assigned";
    else if (atomic_load(&w->brokers_down)) no = "all brokers are down";
    if (why) *why = no ? no : "ready";
    return no == NULL;
}
