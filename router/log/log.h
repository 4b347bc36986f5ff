/* log.h - the process's one logger: a line per record on a file descriptor
 * (stderr), as a JSON object (`log.format: json`) or as readable text.
 *
 * A record is a level, a message and a few fields (key = string or integer).
 * Messages and fields carry operational facts only: topics, partitions,
 * codes, counts, lead ids. Never a lead's email, names, phone, company or
 * free text (docs/operations.md, "Logs"): callers pass what they log
 * explicitly, and no value decoded from a lead reaches a message.
 *
 * Cost: one formatting pass into a stack buffer (no allocation) and one
 * write(2) per line. Nothing logs per lead in steady state. Threads: any
 * thread may log at any time (librdkafka logs from its own threads); each
 * line is one write(2) of at most LR_LOG_LINE_MAX bytes, so lines never
 * interleave. Settings are atomics read once per record. Not pure: it reads
 * the wall clock and writes to a descriptor. */
#ifndef LR_LOG_H
#define LR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

typedef enum lr_log_level {
    LR_LOG_DEBUG = 0,
    LR_LOG_INFO,
    LR_LOG_WARN,
    LR_LOG_ERROR,
    LR_LOG_OFF, /* as a threshold: nothing is written */
} lr_log_level;

typedef enum lr_log_format { LR_LOG_TEXT = 0, LR_LOG_JSON } lr_log_format;

/* Longest line written; a longer message is cut (and stays valid JSON). */
#define LR_LOG_LINE_MAX 4096

typedef struct lr_log_field {
    const char *key;
    const char *str; /* NULL: the field is the integer `num` */
    int64_t num;
} lr_log_field;

static inline lr_log_field lr_log_str_field(const char *k, const char *v) {
    return (lr_log_field){k, v ? v : "", 0};
}
#define LR_LOG_STR(k, v) lr_log_str_field((k), (v))
#define LR_LOG_INT(k, v) ((lr_log_field){(k), NULL, (int64_t)(v)})

/* Where and how lines go; defaults: stderr, text, info. Safe to call while
 * other threads log (a reload changes level and format). */
void lr_log_setup(lr_log_format format, lr_log_level min_level, int fd);
bool lr_log_enabled(lr_log_level level);

/* "debug", "info", "warn", "error" -> level; -1 for anything else. */
int lr_log_level_parse(const char *s);
/* "json", "text" -> format; -1 for anything else. */
int lr_log_format_parse(const char *s);
const char *lr_log_level_name(lr_log_level level);

/* One record: a message and n fields. */
void lr_log_write(lr_log_level level, const char *msg, const lr_log_field *fields, size_t n);
/* One record, the message printf-formatted, no fields. */
void lr_log(lr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with a va_list and fields. */
void lr_log_v(lr_log_level level, const lr_log_field *fields, size_t n, const char *fmt,
              va_list ap);

/* lr_log_kv(LR_LOG_WARN, "message", LR_LOG_STR("topic", t), LR_LOG_INT("partition", p)) */
#define lr_log_kv(level, msg, ...)                                                   \
    lr_log_write((level), (msg), (const lr_log_field[]){__VA_ARGS__},                \
                 sizeof((const lr_log_field[]){__VA_ARGS__}) / sizeof(lr_log_field))

/* Formats "YYYY-MM-DDTHH:MM:SS.mmmZ" (RFC 3339, UTC, milliseconds) into out
 * (at least 32 bytes) from milliseconds since the epoch. */
void lr_log_format_time(int64_t ms, char *out);

/* Writes s into out as the body of a JSON string (no quotes), escaping
 * quotes, backslashes and control bytes, and replacing bytes that are not
 * valid UTF-8 with U+FFFD. Returns the bytes written (always < cap; out is
 * NUL-terminated). Exposed for the tests. */
size_t lr_log_json_escape(const char *s, char *out, size_t cap);

#endif
