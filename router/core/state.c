/* state.c - see state.h. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

/* ---- encoding ---------------------------------------------------------------- */

void lr_state_put_u64(lr_buf *b, uint64_t v) {
    uint8_t *p = lr_buf_reserve(b, 10);
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    b->len += n;
}

void lr_state_put_i64(lr_buf *b, int64_t v) {
    lr_state_put_u64(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void lr_state_put_fixed64(lr_buf *b, uint64_t v) {
    uint8_t *p = lr_buf_reserve(b, 8);
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
    b->len += 8;
}

void lr_state_put_f64(lr_buf *b, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    lr_state_put_fixed64(b, u);
}

/* 0: absent; n + 1: n bytes follow. */
void lr_state_put_str(lr_buf *b, const char *s) {
    if (!s) {
        lr_state_put_u64(b, 0);
        return;
    }
    size_t n = strlen(s);
    lr_state_put_u64(b, (uint64_t)n + 1);
    lr_buf_append(b, s, n);
}

uint64_t lr_state_get_u64(lr_state_reader *r) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) break;
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) return v;
    }
    r->bad = true;
    return 0;
}

int64_t lr_state_get_i64(lr_state_reader *r) {
    uint64_t u = lr_state_get_u64(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

uint64_t lr_state_get_fixed64(lr_state_reader *r) {
    if (r->end - r->p < 8) {
        r->bad = true;
        r->p = r->end;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    return v;
}

double lr_state_get_f64(lr_state_reader *r) {
    uint64_t u = lr_state_get_fixed64(r);
    double v;
    memcpy(&v, &u, sizeof(v));
    return v;
}

const char *lr_state_get_str(lr_state_reader *r, size_t *len) {
    uint64_t n = lr_state_get_u64(r);
    *len = 0;
    if (r->bad || n == 0) return NULL;
    if ((uint64_t)(r->end - r->p) < n - 1) {
        r->bad = true;
        r->p = r->end;
        return NULL;
    }
    const char *s = (const char *)r->p;
    *len = (size_t)(n - 1);
    r->p += n - 1;
    return s;
}

/* ---- route state --------------------------------------------------------------- */

struct lr_state_route {
    const lr_route_config *cfg;
    size_t n_reps, n_teams;
    lr_rep_load *reps;     /* as last emitted */
    uint32_t *rr_next;
    int64_t **current;
    size_t *size;          /* slots in current[t]: follows the state's n_current */
};

/* Live roster changes grow the state (lr_route_state_sync); the copy follows,
 * a new slot or rep counting as changed so that it is written. */
static void follow_growth(lr_state_route *sr, const lr_route_state *st) {
    if (sr->n_reps < st->n_reps) {
        sr->reps = realloc(sr->reps, st->n_reps * sizeof(*sr->reps));
        if (!sr->reps) abort();
        for (size_t i = sr->n_reps; i < st->n_reps; i++)
            sr->reps[i] = (lr_rep_load){-1, -1, INT64_MIN};
        sr->n_reps = st->n_reps;
    }
    for (size_t t = 0; t < sr->n_teams; t++) {
        size_t n = st->teams[t].n_current;
        if (n <= sr->size[t]) continue;
        sr->current[t] = realloc(sr->current[t], n * sizeof(int64_t));
        if (!sr->current[t]) abort();
        for (size_t k = sr->size[t]; k < n; k++) sr->current[t][k] = INT64_MIN;
        sr->size[t] = n;
    }
}

lr_state_route *lr_state_route_new(const lr_route_config *cfg, const lr_route_state *st) {
    lr_state_route *sr = calloc(1, sizeof(*sr));
    if (!sr) abort();
    sr->cfg = cfg;
    sr->n_reps = st->n_reps;
    sr->n_teams = st->n_teams;
    sr->reps = calloc(sr->n_reps ? sr->n_reps : 1, sizeof(*sr->reps));
    sr->rr_next = calloc(sr->n_teams ? sr->n_teams : 1, sizeof(*sr->rr_next));
    sr->current = calloc(sr->n_teams ? sr->n_teams : 1, sizeof(*sr->current));
    sr->size = calloc(sr->n_teams ? sr->n_teams : 1, sizeof(*sr->size));
    if (!sr->reps || !sr->rr_next || !sr->current || !sr->size) abort();
    for (size_t t = 0; t < sr->n_teams; t++) {
        size_t n = st->teams[t].n_current;
        sr->size[t] = n;
        sr->current[t] = calloc(n ? n : 1, sizeof(int64_t));
        if (!sr->current[t]) abort();
    }
    lr_state_route_sync(sr, st);
    return sr;
}

void lr_state_route_free(lr_state_route *sr) {
    if (!sr) return;
    for (size_t t = 0; t < sr->n_teams; t++) free(sr->current[t]);
    free(sr->current);
    free(sr->size);
    free(sr->rr_next);
    free(sr->reps);
    free(sr);
}

void lr_state_route_sync(lr_state_route *sr, const lr_route_state *st) {
    follow_growth(sr, st);
    memcpy(sr->reps, st->reps, sr->n_reps * sizeof(*sr->reps));
    for (size_t t = 0; t < sr->n_teams; t++) {
        sr->rr_next[t] = st->teams[t].rr_next;
        memcpy(sr->current[t], st->teams[t].current, sr->size[t] * sizeof(int64_t));
    }
}

static void make_key(lr_buf *key, const char *prefix, const char *name) {
    lr_buf_reset(key);
    lr_buf_append(key, prefix, strlen(prefix));
    lr_buf_append(key, name, strlen(name));
}

static bool rep_same(const lr_rep_load *a, const lr_rep_load *b) {
    return a->open == b->open && a->today == b->today && a->local_day == b->local_day;
}

static void emit_rep(const lr_route_config *cfg, const lr_route_state *st, size_t i, lr_buf *key,
                     lr_buf *val, lr_state_sink_fn sink, void *ctx) {
    const lr_rep_load *l = &st->reps[i];
    make_key(key, LR_STATE_KEY_REP, lr_route_rep_name(cfg, (int32_t)i));
    lr_buf_reset(val);
    lr_buf_putc(val, LR_STATE_VERSION);
    lr_state_put_i64(val, l->open);
    lr_state_put_i64(val, l->today);
    lr_state_put_i64(val, l->local_day);
    sink(ctx, (const char *)key->data, key->len, val->data, val->len);
}

static void emit_team(const lr_route_config *cfg, const lr_route_state *st, size_t t, lr_buf *key,
                      lr_buf *val, lr_state_sink_fn sink, void *ctx) {
    const lr_team_cursor *c = &st->teams[t];
    size_t m = lr_route_team_size(cfg, (int32_t)t);
    make_key(key, LR_STATE_KEY_TEAM, lr_route_team_name(cfg, (int32_t)t));
    lr_buf_reset(val);
    lr_buf_putc(val, LR_STATE_VERSION);
    lr_state_put_u64(val, c->rr_next);
    lr_state_put_u64(val, m);
    for (size_t k = 0; k < m; k++) lr_state_put_i64(val, c->current[k]);
    sink(ctx, (const char *)key->data, key->len, val->data, val->len);
}

size_t lr_state_route_changes(lr_state_route *sr, const lr_route_state *st, lr_buf *key,
                              lr_buf *val, lr_state_sink_fn sink, void *ctx) {
    size_t n = 0;
    follow_growth(sr, st);
    for (size_t i = 0; i < sr->n_reps; i++) {
        if (rep_same(&st->reps[i], &sr->reps[i])) continue;
        sr->reps[i] = st->reps[i];
        emit_rep(sr->cfg, st, i, key, val, sink, ctx);
        n++;
    }
    for (size_t t = 0; t < sr->n_teams; t++) {
        const lr_team_cursor *c = &st->teams[t];
        size_t m = sr->size[t];
        if (c->rr_next == sr->rr_next[t] && !memcmp(c->current, sr->current[t], m * sizeof(int64_t)))
            continue;
        sr->rr_next[t] = c->rr_next;
        memcpy(sr->current[t], c->current, m * sizeof(int64_t));
        emit_team(sr->cfg, st, t, key, val, sink, ctx);
        n++;
    }
    return n;
}

size_t lr_state_route_snapshot(const lr_route_config *cfg, const lr_route_state *st, lr_buf *key,
                               lr_buf *val, lr_state_sink_fn sink, void *ctx) {
    size_t nr = lr_route_rep_count(cfg), nt = lr_route_team_count(cfg);
    for (size_t i = 0; i < nr; i++) emit_rep(cfg, st, i, key, val, sink, ctx);
    for (size_t t = 0; t < nt; t++) emit_team(cfg, st, t, key, val, sink, ctx);
    return nr + nt;
}

static bool version_ok(lr_state_reader *r) {
    return r->p < r->end && *r->p++ == LR_STATE_VERSION;
}

int lr_state_restore_rep(const lr_route_config *cfg, lr_route_state *st, const char *name,
                         size_t len, const void *val, size_t vlen) {
    if (!val) return 0; /* never written; nothing to undo */
    lr_state_reader r = lr_state_reader_of(val, vlen);
    if (!version_ok(&r)) return -1;
    lr_rep_load l;
    l.open = (int32_t)lr_state_get_i64(&r);
    l.today = (int32_t)lr_state_get_i64(&r);
    l.local_day = lr_state_get_i64(&r);
    if (r.bad) return -1;
    lr_route_state_sync(cfg, st);
    int32_t rep = lr_route_rep_index(cfg, name, len);
    if (rep < 0 || (size_t)rep >= st->n_reps) return 1;
    st->reps[rep] = l;
    return 0;
}

int lr_state_restore_team(const lr_route_config *cfg, lr_route_state *st, const char *name,
                          size_t len, const void *val, size_t vlen) {
    if (!val) return 0;
    lr_state_reader r = lr_state_reader_of(val, vlen);
    if (!version_ok(&r)) return -1;
    uint64_t rr = lr_state_get_u64(&r), m = lr_state_get_u64(&r);
    if (r.bad || m > (uint64_t)(r.end - r.p)) return -1; /* each credit is >= 1 byte */
    lr_state_reader check = r; /* validate before anything is written */
    for (uint64_t k = 0; k < m; k++) lr_state_get_i64(&check);
    if (check.bad) return -1;
    char tmp[256];
    if (len >= sizeof(tmp)) return 1;
    memcpy(tmp, name, len);
    tmp[len] = '\0';
    lr_route_state_sync(cfg, st);
    int32_t team = lr_route_team_index(cfg, tmp);
    size_t size = team >= 0 && (size_t)team < st->n_teams ? st->teams[team].n_current : 0;
    if (team < 0 || (size_t)team >= st->n_teams || size != m) return 1;
    int64_t *cur = st->teams[team].current;
    for (size_t k = 0; k < size; k++) cur[k] = lr_state_get_i64(&r);
    st->teams[team].rr_next = (uint32_t)rr;
    return 0;
}
