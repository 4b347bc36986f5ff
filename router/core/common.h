/* common.h - types every module shares: time, string slices, error objects.
 *
 * The decision core never reads the wall clock: time is an lr_time_ms passed in
 * by the caller (wall clock live, event time in replay). */
#ifndef LR_COMMON_H
#define LR_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef LR_VERSION
#define LR_VERSION "0.0.0"
#endif

/* Milliseconds since the Unix epoch, UTC. */
typedef int64_t lr_time_ms;
#define LR_TIME_NONE INT64_MIN

#define LR_SECOND_MS 1000LL
#define LR_MINUTE_MS (60LL * LR_SECOND_MS)
#define LR_HOUR_MS (60LL * LR_MINUTE_MS)
#define LR_DAY_MS (24LL * LR_HOUR_MS)

/* A string that belongs to someone else (a decode buffer, the config).
 * s == NULL means absent (Avro null); otherwise s is NUL-terminated and
 * len == strlen(s). */
typedef struct lr_str {
    const char *s;
    uint32_t len;
} lr_str;

#define LR_STR_NULL ((lr_str){NULL, 0})
static inline bool lr_str_present(lr_str v) { return v.s != NULL; }

/* Copies at most cap - 1 bytes of s (len bytes; NULL: none) into dst and
 * ends it: snapshots that keep text in fixed fields (metrics/board.c,
 * webhook/). */
static inline void lr_copy_cut(char *dst, size_t cap, const char *s, size_t len) {
    if (!s) len = 0;
    if (len >= cap) len = cap - 1;
    for (size_t i = 0; i < len; i++) dst[i] = s[i];
    dst[len] = 0;
}
#define LR_COPY_CUT(dst, s) lr_copy_cut((dst), sizeof(dst), (s), (s) ? strlen(s) : 0)

/* Error classes, after librdkafka's: a retriable error may succeed if tried
 * again, an abortable one undoes the batch in hand, a fatal one ends the process. */
typedef enum lr_err_class {
    LR_ERR_NONE = 0,
    LR_ERR_RETRIABLE,
    LR_ERR_ABORTABLE,
    LR_ERR_FATAL,
} lr_err_class;

typedef struct lr_err {
    lr_err_class cls;
    char msg[512];
} lr_err;

void lr_err_set(lr_err *err, lr_err_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
