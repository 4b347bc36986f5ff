/* hist.c - fixed-bucket histograms; see hist.h. */
#include "hist.h"

#define HIST_MAX_EXP 40 /* 2^41 ms and above share the last bucket */

static unsigned bucket_of(int64_t v) {
    if (v < 16) return (unsigned)(v < 0 ? 0 : v);
    unsigned e = (unsigned)(63 - __builtin_clzll((uint64_t)v));
    if (e > HIST_MAX_EXP) return LR_HIST_BUCKETS - 1;
    unsigned sub = (unsigned)((uint64_t)v >> (e - 3)) & 7;
    return 16 + (e - 4) * 8 + sub;
}

static int64_t bucket_upper(unsigned b) {
    if (b < 16) return b;
    unsigned e = 4 + (b - 16) / 8, sub = (b - 16) % 8;
    return (int64_t)(((uint64_t)(8 + sub + 1) << (e - 3)) - 1);
}

void lr_hist_add(lr_hist *h, int64_t v) {
    if (v < 0) v = 0;
    h->bucket[bucket_of(v)]++;
    h->count++;
    /* saturates: an absurd value must not wrap the sum /metrics exports */
    h->sum = v > INT64_MAX - h->sum ? INT64_MAX : h->sum + v;
    if (v > h->max) h->max = v;
}

int64_t lr_hist_percentile(const lr_hist *h, double p) {
    if (!h || !h->count) return 0;
    double r = p / 100.0 * (double)h->count;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r || rank == 0) rank++;
    if (rank > h->count) rank = h->count;
    uint64_t seen = 0;
    for (unsigned b = 0; b < LR_HIST_BUCKETS; b++) {
        seen += h->bucket[b];
        if (seen >= rank) {
            int64_t up = bucket_upper(b);
            return up < h->max ? up : h->max;
        }
    }
    return h->max;
}

uint64_t lr_hist_count_le(const lr_hist *h, int64_t v) {
    uint64_t n = 0;
    if (!h || v < 0) return 0;
    for (unsigned b = 0; b < LR_HIST_BUCKETS && bucket_upper(b) <= v; b++) n += h->bucket[b];
    return n;
}
