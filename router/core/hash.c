/* hash.c - see hash.h: the constants below are part of the persisted
 * contract; changing one moves routing domains to other partitions. */
#include "hash.h"

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static inline uint64_t finish(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t lr_hash64(const void *s, size_t n) {
    const unsigned char *p = s;
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return finish(h);
}

uint64_t lr_hash64_nocase(const void *s, size_t n) {
    const unsigned char *p = s;
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        h ^= (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
        h *= FNV_PRIME;
    }
    return finish(h);
}

uint64_t lr_hash64_second(const void *s, size_t n) {
    const unsigned char *p = s;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xc6a4a7935bd1e995ULL);
    for (size_t i = 0; i < n; i++) {
        h = (h + p[i]) * 0xc6a4a7935bd1e995ULL;
        h ^= h >> 47;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}
