/* hash.h - the one string hash of lead-router.
 *
 * lr_hash64 is FNV-1a over the bytes, finished with MurmurHash3's 64-bit
 * mixer (FNV's low bits mix poorly, and tables index by them). It is
 * PERSISTED in effect and must never change: in shared mode a routing
 * domain's partition of the repartition topic is lr_hash64(name) modulo the
 * partition count (router/kafka/kafka_stage1.c), and instances of different
 * versions must agree on it; a lead's changelog record keeps the hashes of
 * its last sales-activity ids (router/core/records.c), which a restore by a
 * newer version compares with new ones. tests/test_hash.c pins its values.
 *
 * lr_hash64_nocase is the same over ASCII-lower-cased bytes, for tables
 * whose names compare without case. lr_hash64_second is a hash of another
 * construction, for tables that keep two hashes as a 128-bit fingerprint
 * (two ids colliding in one are not more likely to collide in the other).
 *
 * Pure; O(length); no allocation. */
#ifndef LR_HASH_H
#define LR_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t lr_hash64(const void *s, size_t n);
uint64_t lr_hash64_nocase(const void *s, size_t n);
uint64_t lr_hash64_second(const void *s, size_t n);

#endif
