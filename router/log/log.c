/* log.c - see log.h.
 *
 * A line is built in a buffer on the caller's stack and written with one
 * write(2): POSIX keeps a write to a pipe of up to PIPE_BUF bytes whole, and
 * in practice a terminal or a file gets each write as one piece, so lines
 * of librdkafka's threads and of the main thread never interleave. Nothing
 * is locked: the settings are atomics. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_format = LR_LOG_TEXT;
static atomic_int log_level = LR_LOG_INFO;
static atomic_int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void lr_log_setup(lr_log_format format, lr_log_level min_level, int fd) {
    atomic_store(&log_format, (int)format);
    atomic_store(&log_level, (int)min_level);
    atomic_store(&log_fd, fd);
}

bool lr_log_enabled(lr_log_level level) { return (int)level >= atomic_load(&log_level); }

int lr_log_level_parse(const char *s) {
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, level_names[i]) == 0) return i;
    return -1;
}

int lr_log_format_parse(const char *s) {
    if (s && strcmp(s, "text") == 0) return LR_LOG_TEXT;
    if (s && strcmp(s, "json") == 0) return LR_LOG_JSON;
    return -1;
}

const char *lr_log_level_name(lr_log_level level) {
    return level >= LR_LOG_DEBUG && level <= LR_LOG_ERROR ? level_names[level] : "off";
}

void lr_log_format_time(int64_t ms, char *out) {
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(ms % 1000) % 1000u);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p) {
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) n = 2, min = 0x80;
    else if ((c & 0xF0) == 0xE0) n = 3, min = 0x800;
    else if ((c & 0xF8) == 0xF0) n = 4, min = 0x10000;
    else return 0;
    unsigned cp = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0; /* also stops at the NUL */
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

static size_t escape(const char *s, char *out, size_t cap, bool *cut) {
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char esc[8];
        const char *piece = esc;
        size_t len, adv = 1;
        unsigned c = *p;
        if (c == '"' || c == '\\') esc[0] = '\\', esc[1] = (char)c, len = 2;
        else if (c == '\n') memcpy(esc, "\\n", 2), len = 2;
        else if (c == '\t') memcpy(esc, "\\t", 2), len = 2;
        else if (c == '\r') memcpy(esc, "\\r", 2), len = 2;
        else if (c < 0x20 || c == 0x7F) len = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
        else if (c < 0x80) esc[0] = (char)c, len = 1;
        else if ((adv = utf8_len(p)) > 0) piece = (const char *)p, len = adv;
        else piece = "\xEF\xBF\xBD", len = 3, adv = 1; /* U+FFFD */
        if (o + len >= cap) { /* cut whole characters only */
            *cut = true;
            break;
        }
        memcpy(out + o, piece, len);
        o += len;
        p += adv;
    }
    out[o] = '\0';
    return o;
}

size_t lr_log_json_escape(const char *s, char *out, size_t cap) {
    bool cut = false;
    return escape(s, out, cap, &cut);
}

/* The line so far; appends stop at the end of the buffer. */
typedef struct line {
    char buf[LR_LOG_LINE_MAX];
    size_t n;
    bool full; /* something did not fit */
} line;

/* Keeps 3 bytes for a closing quote, "}" and "\n". */
static void put(line *l, const char *s, size_t len) {
    size_t room = sizeof(l->buf) - 3 - l->n;
    if (len > room) len = room, l->full = true;
    memcpy(l->buf + l->n, s, len);
    l->n += len;
}

static void puts_(line *l, const char *s) { put(l, s, strlen(s)); }

/* A string cut at the end of the buffer still closes its quote. */
static void put_json_str(line *l, const char *s) {
    put(l, "\"", 1);
    size_t room = sizeof(l->buf) - 3 - l->n;
    if (room > 1) {
        l->n += escape(s, l->buf + l->n, room, &l->full);
    } else if (*s) {
        l->full = true;
    }
    l->buf[l->n++] = '"';
}

static void put_int(line *l, int64_t v) {
    char tmp[24];
    put(l, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%lld", (long long)v));
}

static void build_json(line *l, const char *ts, lr_log_level level, const char *msg,
                       const lr_log_field *f, size_t n) {
    puts_(l, "{\"time\":\"");
    puts_(l, ts);
    puts_(l, "\",\"level\":\"");
    puts_(l, lr_log_level_name(level));
    puts_(l, "\",\"msg\":");
    put_json_str(l, msg);
    /* a field that does not fit whole is left out with those after it */
    for (size_t i = 0; i < n && !l->full; i++) {
        size_t before = l->n;
        put(l, ",", 1);
        put_json_str(l, f[i].key);
        put(l, ":", 1);
        if (f[i].str) put_json_str(l, f[i].str);
        else put_int(l, f[i].num);
        if (l->full) l->n = before;
    }
    l->buf[l->n++] = '}';
}

/* Text keeps the form the router always had, "lead-router: message", with
 * the fields after it; control bytes become spaces so a record stays one line. */
static void build_text(line *l, lr_log_level level, const char *msg, const lr_log_field *f,
                       size_t n) {
    puts_(l, "lead-router: ");
    if (level == LR_LOG_WARN && strncmp(msg, "WARNING", 7) != 0) puts_(l, "warning: ");
    if (level == LR_LOG_ERROR) puts_(l, "error: ");
    puts_(l, msg);
    for (size_t i = 0; i < n; i++) {
        put(l, " ", 1);
        puts_(l, f[i].key);
        put(l, "=", 1);
        if (f[i].str) puts_(l, f[i].str);
        else put_int(l, f[i].num);
    }
    for (size_t i = 0; i < l->n; i++)
        if ((unsigned char)l->buf[i] < 0x20) l->buf[i] = ' ';
}

void lr_log_write(lr_log_level level, const char *msg, const lr_log_field *fields, size_t n) {
    if (!lr_log_enabled(level) || level >= LR_LOG_OFF) return;
    int saved = errno;
    line l;
    l.n = 0;
    l.full = false;
    if (atomic_load(&log_format) == LR_LOG_JSON) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char when[32];
        lr_log_format_time((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, when);
        build_json(&l, when, level, msg, fields, n);
    } else {
        build_text(&l, level, msg, fields, n);
    }
    l.buf[l.n++] = '\n';
    int fd = atomic_load(&log_fd);
    const char *p = l.buf;
    size_t left = l.n;
    while (left) { /* one write in practice; finish a short one */
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        left -= (size_t)w;
    }
    errno = saved;
}

void lr_log_v(lr_log_level level, const lr_log_field *fields, size_t n, const char *fmt,
              va_list ap) {
    if (!lr_log_enabled(level)) return;
    char msg[LR_LOG_LINE_MAX / 2];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    lr_log_write(level, msg, fields, n);
}

void lr_log(lr_log_level level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    lr_log_v(level, NULL, 0, fmt, ap);
    va_end(ap);
}
