/* kpi.c - counters and histograms by team, source and campaign; see kpi.h. */
#include "kpi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* ---- tables ------------------------------------------------------------------ */

typedef lr_kpi_counts block;

typedef struct names {
    lr_arena mem;        /* name bytes: never moves, so names stay valid */
    const char **name;   /* by id; [0] unused */
    uint32_t *len;       /* strlen of each name, by id */
    block *blocks;       /* by id; [0] unused */
    uint32_t n, cap;     /* ids 1..n in use */
    uint16_t *index;     /* open addressing on the name hash; 0 = empty */
    size_t index_cap;
    block other;         /* LR_KPI_OTHER */
} names;

struct lr_kpi {
    block total;
    size_t n_teams;
    const char *const *team_names;
    block *teams;
    names dim[LR_KPI_DIM__COUNT];
};

#define MAX_IDS 0xFFFEu

lr_kpi *lr_kpi_new(size_t n_teams, const char *const *team_names) {
    lr_kpi *k = calloc(1, sizeof(*k));
    if (!k) abort();
    k->n_teams = n_teams;
    k->team_names = team_names;
    k->teams = calloc(n_teams ? n_teams : 1, sizeof(block));
    if (!k->teams) abort();
    for (int d = 0; d < LR_KPI_DIM__COUNT; d++) lr_arena_init(&k->dim[d].mem, 16 * 1024);
    return k;
}

static void block_free(block *b) {
    for (int h = 0; h < LR_KPI_HIST__COUNT; h++) free(b->hist[h]);
}

void lr_kpi_free(lr_kpi *k) {
    if (!k) return;
    block_free(&k->total);
    for (size_t t = 0; t < k->n_teams; t++) block_free(&k->teams[t]);
    free(k->teams);
    for (int d = 0; d < LR_KPI_DIM__COUNT; d++) {
        names *nm = &k->dim[d];
        for (uint32_t i = 1; i <= nm->n; i++) block_free(&nm->blocks[i]);
        block_free(&nm->other);
        free(nm->name);
        free(nm->len);
        free(nm->blocks);
        free(nm->index);
        lr_arena_destroy(&nm->mem);
    }
    free(k);
}

/* Every decided lead interns its source and campaign, so the index hashes
 * only the length and the first and last 8 bytes (names differing only in
 * the middle share a probe chain, which the comparison resolves). Probe
 * positions never reach the output: ids follow first sight. */
static inline uint64_t name_hash(const char *s, size_t n) {
    const uint64_t k = 0x9E3779B97F4A7C15ULL;
    uint64_t h = (uint64_t)n * k, a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
    } else {
        for (size_t i = 0; i < n; i++) a |= (uint64_t)(unsigned char)s[i] << (8 * i);
    }
    h = (h ^ a) * k;
    h = (h ^ b) * k;
    return h ^ (h >> 32);
}

static void names_grow_index(names *nm) {
    size_t cap = nm->index_cap ? nm->index_cap * 2 : 64;
    uint16_t *index = calloc(cap, sizeof(uint16_t));
    if (!index) abort();
    for (uint32_t id = 1; id <= nm->n; id++) {
        size_t i = name_hash(nm->name[id], nm->len[id]) & (cap - 1);
        while (index[i]) i = (i + 1) & (cap - 1);
        index[i] = (uint16_t)id;
    }
    free(nm->index);
    nm->index = index;
    nm->index_cap = cap;
}

uint16_t lr_kpi_intern(lr_kpi *k, lr_kpi_dim dim, lr_str name) {
    if (!name.s) return LR_KPI_NO_NAME;
    names *nm = &k->dim[dim];
    if (!nm->index_cap) names_grow_index(nm);
    size_t mask = nm->index_cap - 1;
    size_t i = name_hash(name.s, name.len) & mask;
    for (; nm->index[i]; i = (i + 1) & mask) {
        uint16_t id = nm->index[i];
        if (nm->len[id] == name.len && !memcmp(nm->name[id], name.s, name.len)) return id;
    }
    if (nm->n >= MAX_IDS) return LR_KPI_OTHER;
    if (nm->n + 1 >= nm->cap) {
        nm->cap = nm->cap ? nm->cap * 2 : 64;
        nm->name = realloc(nm->name, nm->cap * sizeof(*nm->name));
        nm->len = realloc(nm->len, nm->cap * sizeof(*nm->len));
        nm->blocks = realloc(nm->blocks, nm->cap * sizeof(block));
        if (!nm->name || !nm->len || !nm->blocks) abort();
    }
    uint32_t id = ++nm->n;
    nm->name[id] = lr_arena_strndup(&nm->mem, name.s, name.len);
    nm->len[id] = (uint32_t)strlen(nm->name[id]); /* as written, so a NUL inside never matches */
    memset(&nm->blocks[id], 0, sizeof(block));
    nm->index[i] = (uint16_t)id;
    if (nm->n * 2 > nm->index_cap) names_grow_index(nm);
    return (uint16_t)id;
}

const char *lr_kpi_name(const lr_kpi *k, lr_kpi_dim dim, uint16_t id) {
    if (id == LR_KPI_NO_NAME) return NULL;
    if (id == LR_KPI_OTHER) return "(other)";
    return id <= k->dim[dim].n ? k->dim[dim].name[id] : NULL;
}

static block *dim_block(lr_kpi *k, lr_kpi_dim dim, uint16_t id) {
    if (id == LR_KPI_NO_NAME) return NULL;
    if (id == LR_KPI_OTHER) return &k->dim[dim].other;
    return id <= k->dim[dim].n ? &k->dim[dim].blocks[id] : NULL;
}

/* The overall block and the key's team, source and campaign blocks. */
static size_t blocks_of(lr_kpi *k, lr_kpi_key key, block *out[4]) {
    size_t n = 0;
    out[n++] = &k->total;
    if (key.team >= 0 && (size_t)key.team < k->n_teams) out[n++] = &k->teams[key.team];
    block *b;
    if ((b = dim_block(k, LR_KPI_SOURCE, key.source))) out[n++] = b;
    if ((b = dim_block(k, LR_KPI_CAMPAIGN, key.campaign))) out[n++] = b;
    return n;
}

void lr_kpi_stage(lr_kpi *k, lr_kpi_key key, lr_status_kind s) {
    block *b[4];
    size_t n = blocks_of(k, key, b);
    for (size_t i = 0; i < n; i++) b[i]->stage[s]++;
}

void lr_kpi_count(lr_kpi *k, lr_kpi_key key, lr_kpi_counter c) {
    block *b[4];
    size_t n = blocks_of(k, key, b);
    for (size_t i = 0; i < n; i++) b[i]->c[c]++;
}

void lr_kpi_observe(lr_kpi *k, lr_kpi_key key, lr_kpi_hist h, int64_t v) {
    block *b[4];
    size_t n = blocks_of(k, key, b);
    for (size_t i = 0; i < n; i++) {
        if (!b[i]->hist[h]) {
            b[i]->hist[h] = calloc(1, sizeof(lr_hist));
            if (!b[i]->hist[h]) abort();
        }
        lr_hist_add(b[i]->hist[h], v);
    }
}

void lr_kpi_value(lr_kpi *k, lr_kpi_key key, double v) {
    if (!isfinite(v)) return; /* one bad amount must not poison the sums */
    block *b[4];
    size_t n = blocks_of(k, key, b);
    for (size_t i = 0; i < n; i++) b[i]->value += v;
}

uint64_t lr_kpi_get(const lr_kpi *k, lr_kpi_counter c) { return k->total.c[c]; }
uint64_t lr_kpi_get_stage(const lr_kpi *k, lr_status_kind s) { return k->total.stage[s]; }
const lr_hist *lr_kpi_get_hist(const lr_kpi *k, lr_kpi_hist h) { return k->total.hist[h]; }

/* ---- reading ------------------------------------------------------------------ */

const lr_kpi_counts *lr_kpi_total(const lr_kpi *k) { return &k->total; }
size_t lr_kpi_team_count(const lr_kpi *k) { return k->n_teams; }
const char *lr_kpi_team_name(const lr_kpi *k, size_t t) { return k->team_names[t]; }
const lr_kpi_counts *lr_kpi_team(const lr_kpi *k, size_t t) { return &k->teams[t]; }
uint32_t lr_kpi_name_count(const lr_kpi *k, lr_kpi_dim dim) { return k->dim[dim].n; }

const lr_kpi_counts *lr_kpi_of_name(const lr_kpi *k, lr_kpi_dim dim, uint16_t id) {
    const names *nm = &k->dim[dim];
    if (id == LR_KPI_OTHER) return nm->n >= MAX_IDS ? &nm->other : NULL;
    return id >= 1 && id <= nm->n ? &nm->blocks[id] : NULL;
}

/* Names interned ahead of use (a policy's source) have nothing to report yet. */
bool lr_kpi_counts_used(const lr_kpi_counts *b) {
    for (int s = 0; s < LR_STATUS__COUNT; s++)
        if (b->stage[s]) return true;
    for (int c = 0; c < LR_KPI__COUNT; c++)
        if (b->c[c]) return true;
    return b->hist[LR_KPI_TTFT] || b->hist[LR_KPI_LATENCY];
}
