/* bench_util.h - what the benchmarks share: a monotonic clock in ns and the
 * heap in use (mallinfo2: small blocks plus the large ones glibc serves with
 * mmap, every allocation's overhead included). Header-only; glibc. */
#ifndef LR_BENCH_UTIL_H
#define LR_BENCH_UTIL_H

#include <malloc.h>
#include <time.h>

static inline double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline size_t heap_used(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

#endif
