/* hist.h - histograms with fixed log-linear buckets: exact below 16, then 8
 * per power of two, so a percentile is at most 12.5 % above the true value.
 * Adding is O(1), a percentile O(buckets); an lr_hist is a plain struct the
 * caller owns (about 2.5 KB; zeroed is empty). Pure. */
#ifndef LR_HIST_H
#define LR_HIST_H

#include "common.h"

#define LR_HIST_BUCKETS (16 + 37 * 8) /* up to 2^41 ms (~70 years), then clamped */

typedef struct lr_hist {
    uint64_t count;
    int64_t max;
    int64_t sum;        /* of the values added (negative ones as 0), for /metrics' _sum */
    uint64_t bucket[LR_HIST_BUCKETS];
} lr_hist;

void lr_hist_add(lr_hist *h, int64_t v);     /* negative values count as 0 */
/* The value at percentile p (0 < p <= 100): the upper bound of the bucket
 * holding that rank, never above the largest value seen; 0 when empty. */
int64_t lr_hist_percentile(const lr_hist *h, double p);
/* How many values are at most v, counting whole buckets only: exact for
 * v < 16 and for v on a bucket's upper bound, otherwise the count up to the
 * largest bound below v (never more than the true count). */
uint64_t lr_hist_count_le(const lr_hist *h, int64_t v);

#endif
