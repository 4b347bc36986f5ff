/* cfg.c - YAML to a node tree with line numbers, and declarative field maps.
 *
 * libyaml's event API gives us marks (line numbers) that a plain loader would
 * lose; we keep them on every node so that errors point at the line. Anchors
 * and aliases are refused: a configuration should read top to bottom. */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "arena.h"
#include "hash.h"
#include "isotime.h"
#include "tz.h"

struct lr_cfg_doc {
    lr_arena arena;
    char *file;
    lr_cfg_node *root;
};

static int vfail_at(lr_err *err, const char *file, int line, const char *fmt, va_list ap) {
    if (!err) return -1;
    char msg[400];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    lr_err_set(err, LR_ERR_FATAL, "%s:%d: %s", file ? file : "<config>", line, msg);
    return -1;
}

int lr_cfg_fail(lr_err *err, const lr_cfg_node *at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = vfail_at(err, at ? at->file : NULL, at ? at->line : 0, fmt, ap);
    va_end(ap);
    return r;
}

int lr_cfg_fail_key(lr_err *err, const lr_cfg_node *map, size_t i, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = vfail_at(err, map->file, map->key_lines[i], fmt, ap);
    va_end(ap);
    return r;
}

/* ---- building the tree ------------------------------------------------ */

typedef struct builder {
    lr_cfg_doc *doc;
    yaml_parser_t parser;
    lr_err *err;
    const unsigned char *text; /* the whole file, for the line of a byte offset */
    size_t len;
    size_t nodes;              /* made so far, against LR_CFG_MAX_NODES */
} builder;

/* 1-based line of byte `off`: libyaml's reader errors (bad UTF-8, a NUL)
 * come with an offset only. */
static int line_of_offset(const builder *b, size_t off) {
    int line = 1;
    for (size_t i = 0; i < off && i < b->len; i++) line += b->text[i] == '\n';
    return line;
}

static lr_cfg_node *node_new(builder *b, lr_cfg_kind kind, const yaml_mark_t *mark) {
    b->nodes++;
    lr_cfg_node *n = lr_arena_alloc(&b->doc->arena, sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->file = b->doc->file;
    n->line = (int)mark->line + 1;
    return n;
}

static int next_event(builder *b, yaml_event_t *ev) {
    if (!yaml_parser_parse(&b->parser, ev)) {
        bool reader = b->parser.error == YAML_READER_ERROR;
        lr_err_set(b->err, LR_ERR_FATAL, "%s:%d: %s: %s%s%s", b->doc->file,
                   reader ? line_of_offset(b, b->parser.problem_offset)
                          : (int)b->parser.problem_mark.line + 1,
                   reader ? "bad bytes" : "YAML syntax error",
                   b->parser.problem ? b->parser.problem : "unknown",
                   b->parser.context ? " " : "", b->parser.context ? b->parser.context : "");
        return -1;
    }
    return 0;
}

static lr_cfg_node *parse_node(builder *b, yaml_event_t *ev, int depth);

/* -1 with the error when a map or list gets one entry too many, or the file
 * one node too many. */
static int check_counts(builder *b, size_t entries, const yaml_event_t *ev) {
    const char *what = entries >= LR_CFG_MAX_ENTRIES ? "entries in one map or list"
                       : b->nodes >= LR_CFG_MAX_NODES ? "keys, values and items in the file"
                                                      : NULL;
    if (!what) return 0;
    lr_err_set(b->err, LR_ERR_FATAL, "%s:%d: more than %d %s", b->doc->file,
               (int)ev->start_mark.line + 1,
               entries >= LR_CFG_MAX_ENTRIES ? LR_CFG_MAX_ENTRIES : LR_CFG_MAX_NODES, what);
    return -1;
}


/* Collects children into a temporary growable array, then copies it to the
 * arena: configs are small, this runs once. */
typedef struct vec {
    void **p;
    size_t n, cap;
} vec;

static void vec_push(vec *v, void *x) {
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->p = realloc(v->p, v->cap * sizeof(void *));
        if (!v->p) abort();
    }
    v->p[v->n++] = x;
}

/* The keys of one map, as a set: open addressing over indices into keys.p,
 * so that the duplicate check is linear in the map, not quadratic. */
typedef struct key_set {
    uint32_t *slot; /* index + 1; 0: empty */
    size_t cap;
} key_set;

static size_t key_set_find(const key_set *ks, const vec *keys, const char *key, size_t len) {
    size_t mask = ks->cap - 1, i = (size_t)lr_hash64(key, len) & mask;
    while (ks->slot[i] && strcmp(keys->p[ks->slot[i] - 1], key) != 0) i = (i + 1) & mask;
    return i;
}

/* Adds keys->p[keys->n - 1]; the caller checked it is not there. */
static void key_set_add(key_set *ks, const vec *keys) {
    if (keys->n * 2 > ks->cap) {
        free(ks->slot);
        ks->cap = ks->cap ? ks->cap * 2 : 64;
        ks->slot = calloc(ks->cap, sizeof(*ks->slot));
        if (!ks->slot) abort();
        for (size_t k = 0; k < keys->n; k++) {
            const char *key = keys->p[k];
            ks->slot[key_set_find(ks, keys, key, strlen(key))] = (uint32_t)k + 1;
        }
        return;
    }
    const char *key = keys->p[keys->n - 1];
    ks->slot[key_set_find(ks, keys, key, strlen(key))] = (uint32_t)keys->n;
}

static int check_scalar(builder *b, const yaml_event_t *ev) {
    if (ev->data.scalar.length <= LR_CFG_MAX_SCALAR) return 0;
    lr_err_set(b->err, LR_ERR_FATAL, "%s:%d: a value longer than %d bytes", b->doc->file,
               (int)ev->start_mark.line + 1, LR_CFG_MAX_SCALAR);
    return -1;
}

static lr_cfg_node *parse_seq(builder *b, lr_cfg_node *n, int depth) {
    vec items = {0};
    for (;;) {
        yaml_event_t ev;
        if (next_event(b, &ev)) goto fail;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (check_counts(b, items.n, &ev)) {
            yaml_event_delete(&ev);
            goto fail;
        }
        lr_cfg_node *child = parse_node(b, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!child) goto fail;
        vec_push(&items, child);
    }
    n->n = items.n;
    n->items = lr_arena_alloc(&b->doc->arena, (items.n + 1) * sizeof(*n->items));
    if (items.n) memcpy(n->items, items.p, items.n * sizeof(*n->items));
    free(items.p);
    return n;
fail:
    free(items.p);
    return NULL;
}

static lr_cfg_node *parse_map(builder *b, lr_cfg_node *n, int depth) {
    vec keys = {0}, vals = {0}, lines = {0};
    key_set seen = {0};
    for (;;) {
        yaml_event_t ev;
        if (next_event(b, &ev)) goto fail;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            lr_err_set(b->err, LR_ERR_FATAL, "%s:%d: a key must be a plain name", b->doc->file,
                       (int)ev.start_mark.line + 1);
            yaml_event_delete(&ev);
            goto fail;
        }
        if (check_counts(b, keys.n, &ev) || check_scalar(b, &ev)) {
            yaml_event_delete(&ev);
            goto fail;
        }
        b->nodes++;
        char *key = lr_arena_strndup(&b->doc->arena, (const char *)ev.data.scalar.value,
                                     ev.data.scalar.length);
        intptr_t line = (intptr_t)ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (keys.n) {
            uint32_t at = seen.slot[key_set_find(&seen, &keys, key, strlen(key))];
            if (at) {
                lr_err_set(b->err, LR_ERR_FATAL, "%s:%d: duplicate key '%.*s' (first at line %d)",
                           b->doc->file, (int)line, 200, key, (int)(intptr_t)lines.p[at - 1]);
                goto fail;
            }
        }
        if (next_event(b, &ev)) goto fail;
        lr_cfg_node *val = parse_node(b, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!val) goto fail;
        vec_push(&keys, key);
        key_set_add(&seen, &keys);
        vec_push(&vals, val);
        vec_push(&lines, (void *)line);
    }
    free(seen.slot);
    n->n = keys.n;
    n->keys = lr_arena_alloc(&b->doc->arena, (keys.n + 1) * sizeof(*n->keys));
    n->items = lr_arena_alloc(&b->doc->arena, (keys.n + 1) * sizeof(*n->items));
    n->key_lines = lr_arena_alloc(&b->doc->arena, (keys.n + 1) * sizeof(*n->key_lines));
    for (size_t i = 0; i < keys.n; i++) {
        n->keys[i] = keys.p[i];
        n->items[i] = vals.p[i];
        n->key_lines[i] = (int)(intptr_t)lines.p[i];
    }
    free(keys.p);
    free(vals.p);
    free(lines.p);
    return n;
fail:
    free(seen.slot);
    free(keys.p);
    free(vals.p);
    free(lines.p);
    return NULL;
}

static lr_cfg_node *parse_node(builder *b, yaml_event_t *ev, int depth) {
    if (depth > LR_CFG_MAX_DEPTH) {
        lr_err_set(b->err, LR_ERR_FATAL, "%s:%d: nested deeper than %d levels", b->doc->file,
                   (int)ev->start_mark.line + 1, LR_CFG_MAX_DEPTH);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        if (check_scalar(b, ev)) return NULL;
        lr_cfg_node *n = node_new(b, LR_CFG_SCALAR, &ev->start_mark);
        n->scalar = lr_arena_strndup(&b->doc->arena, (const char *)ev->data.scalar.value,
                                     ev->data.scalar.length);
        n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        return n;
    }
    case YAML_SEQUENCE_START_EVENT:
        return parse_seq(b, node_new(b, LR_CFG_SEQ, &ev->start_mark), depth);
    case YAML_MAPPING_START_EVENT:
        return parse_map(b, node_new(b, LR_CFG_MAP, &ev->start_mark), depth);
    case YAML_ALIAS_EVENT:
        lr_err_set(b->err, LR_ERR_FATAL, "%s:%d: aliases are not supported", b->doc->file,
                   (int)ev->start_mark.line + 1);
        return NULL;
    default:
        lr_err_set(b->err, LR_ERR_FATAL, "%s:%d: unexpected YAML structure", b->doc->file,
                   (int)ev->start_mark.line + 1);
        return NULL;
    }
}

static lr_cfg_doc *load(const char *name, const unsigned char *text, size_t len, lr_err *err) {
    if (len > LR_CFG_MAX_BYTES) {
        int line = 1;
        for (size_t i = 0; i < LR_CFG_MAX_BYTES; i++) line += text[i] == '\n';
        lr_err_set(err, LR_ERR_FATAL, "%s:%d: the file is larger than %u bytes (16 MiB)", name,
                   line, LR_CFG_MAX_BYTES);
        return NULL;
    }
    lr_cfg_doc *doc = calloc(1, sizeof(*doc));
    if (!doc) abort();
    lr_arena_init(&doc->arena, 16 * 1024);
    doc->file = lr_arena_strndup(&doc->arena, name, strlen(name));
    builder b = {.doc = doc, .err = err, .text = text, .len = len};
    yaml_parser_initialize(&b.parser);
    yaml_parser_set_input_string(&b.parser, text, len);
    yaml_event_t ev;
    int ok = 0;
    /* stream start, document start */
    for (;;) {
        if (next_event(&b, &ev)) goto done;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (t == YAML_STREAM_END_EVENT) { /* empty file */
            yaml_event_delete(&ev);
            yaml_mark_t m = {0};
            doc->root = node_new(&b, LR_CFG_MAP, &m);
            doc->root->keys = NULL;
            ok = 1;
            goto done;
        }
        doc->root = parse_node(&b, &ev, 0);
        yaml_event_delete(&ev);
        ok = doc->root != NULL;
        break;
    }
    if (ok) {
        /* a second document in the same file is a mistake worth reporting */
        if (next_event(&b, &ev)) { ok = 0; goto done; }
        if (ev.type == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            if (next_event(&b, &ev)) { ok = 0; goto done; }
        }
        if (ev.type == YAML_DOCUMENT_START_EVENT) {
            lr_err_set(err, LR_ERR_FATAL, "%s:%d: only one YAML document is allowed", doc->file,
                       (int)ev.start_mark.line + 1);
            ok = 0;
        }
        yaml_event_delete(&ev);
    }
    if (ok && doc->root->kind != LR_CFG_MAP) {
        lr_cfg_fail(err, doc->root, "the configuration must be a mapping of sections");
        ok = 0;
    }
done:
    yaml_parser_delete(&b.parser);
    if (!ok) {
        lr_cfg_free(doc);
        return NULL;
    }
    return doc;
}

lr_cfg_doc *lr_cfg_load_string(const char *name, const char *yaml, lr_err *err) {
    return load(name, (const unsigned char *)yaml, strlen(yaml), err);
}

lr_cfg_doc *lr_cfg_load(const char *path, lr_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        lr_err_set(err, LR_ERR_FATAL, "%s:0: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    size_t r;
    /* one byte over the limit is enough for load() to refuse the file */
    while (buf && len <= LR_CFG_MAX_BYTES && (r = fread(buf + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    int rerr = ferror(f);
    fclose(f);
    if (!buf || rerr) {
        free(buf);
        lr_err_set(err, LR_ERR_FATAL, "%s:0: cannot read", path);
        return NULL;
    }
    lr_cfg_doc *doc = load(path, (unsigned char *)buf, len, err);
    free(buf);
    return doc;
}

const lr_cfg_node *lr_cfg_root(const lr_cfg_doc *doc) { return doc->root; }

void lr_cfg_free(lr_cfg_doc *doc) {
    if (!doc) return;
    lr_arena_destroy(&doc->arena);
    free(doc);
}

/* ---- access -------------------------------------------------------------- */

const lr_cfg_node *lr_cfg_get(const lr_cfg_node *map, const char *key) {
    if (!map || map->kind != LR_CFG_MAP) return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0) return map->items[i];
    return NULL;
}

static const char *kind_name(lr_cfg_kind k) {
    return k == LR_CFG_MAP ? "a mapping" : k == LR_CFG_SEQ ? "a list" : "a single value";
}

int lr_cfg_expect(const lr_cfg_node *node, lr_cfg_kind kind, const char *what, lr_err *err) {
    if (node && node->kind == kind) return 0;
    return lr_cfg_fail(err, node, "%s must be %s, not %s", what ? what : "value", kind_name(kind),
                       node ? kind_name(node->kind) : "missing");
}

static int need_scalar(const lr_cfg_node *n, const char *what, lr_err *err) {
    if (n && n->kind == LR_CFG_SCALAR) return 0;
    return lr_cfg_fail(err, n, "expected %s, found %s", what, n ? kind_name(n->kind) : "nothing");
}

int lr_cfg_as_int(const lr_cfg_node *n, int64_t min, int64_t max, int64_t *out, lr_err *err) {
    if (need_scalar(n, "a whole number", err)) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(n->scalar, &end, 10);
    if (errno || end == n->scalar || *end)
        return lr_cfg_fail(err, n, "'%s' is not a whole number", n->scalar);
    if ((min || max) && (v < min || v > max))
        return lr_cfg_fail(err, n, "%lld is out of range [%lld, %lld]", v, (long long)min,
                           (long long)max);
    *out = v;
    return 0;
}

int lr_cfg_as_double(const lr_cfg_node *n, double *out, lr_err *err) {
    if (need_scalar(n, "a number", err)) return -1;
    char *end;
    errno = 0;
    double v = strtod(n->scalar, &end);
    if (errno || end == n->scalar || *end || !isfinite(v))
        return lr_cfg_fail(err, n, "'%s' is not a number", n->scalar);
    *out = v;
    return 0;
}

int lr_cfg_as_bool(const lr_cfg_node *n, bool *out, lr_err *err) {
    if (need_scalar(n, "true or false", err)) return -1;
    const char *s = n->scalar;
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) *out = true;
    else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) *out = false;
    else return lr_cfg_fail(err, n, "'%s' is not true or false", s);
    return 0;
}

int lr_cfg_as_duration_ms(const lr_cfg_node *n, int64_t *out, lr_err *err) {
    if (need_scalar(n, "a duration (e.g. 15m)", err)) return -1;
    const char *s = n->scalar;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0 || !isfinite(v))
        return lr_cfg_fail(err, n, "'%s' is not a duration (use 500ms, 30s, 15m, 4h, 2d, 1w)", s);
    double unit;
    if (!*end || !strcmp(end, "s")) unit = 1000;
    else if (!strcmp(end, "ms")) unit = 1;
    else if (!strcmp(end, "m")) unit = 60e3;
    else if (!strcmp(end, "h")) unit = 3600e3;
    else if (!strcmp(end, "d")) unit = 86400e3;
    else if (!strcmp(end, "w")) unit = 7 * 86400e3;
    else return lr_cfg_fail(err, n, "'%s': unknown unit '%s' (use ms, s, m, h, d, w)", s, end);
    double ms = v * unit;
    if (ms > 9.0e15) return lr_cfg_fail(err, n, "'%s' is too long", s);
    *out = (int64_t)llround(ms);
    return 0;
}

int lr_cfg_as_clock_minutes(const lr_cfg_node *n, int *out, lr_err *err) {
    if (need_scalar(n, "a time of day (HH:MM)", err)) return -1;
    int h, m;
    char extra;
    if (sscanf(n->scalar, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || m < 0 || m > 59 ||
        h > 24 || (h == 24 && m != 0) || strlen(n->scalar) < 4)
        return lr_cfg_fail(err, n, "'%s' is not a time of day (HH:MM, 00:00 to 24:00)",
                           n->scalar);
    *out = h * 60 + m;
    return 0;
}

/* "DDDD-DD-DD": shaped like a date, whether or not the calendar has it. */
static bool date_shaped(const char *s) {
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) return false;
    return s[10] == '\0';
}

int lr_cfg_as_local_date(const lr_cfg_node *n, const char *what, int64_t *day, lr_err *err) {
    if (need_scalar(n, "a date (YYYY-MM-DD)", err)) return -1;
    if (lr_isotime_parse_date(n->scalar, strlen(n->scalar), day)) return 0;
    if (!date_shaped(n->scalar))
        return lr_cfg_fail(err, n, "%s '%s' is not a date (YYYY-MM-DD)", what, n->scalar);
    return lr_cfg_fail(err, n, "%s '%s' is not a calendar date", what, n->scalar);
}

int lr_cfg_as_time_ms(const lr_cfg_node *n, lr_time_ms *out, lr_err *err) {
    if (need_scalar(n, "a date (YYYY-MM-DD)", err)) return -1;
    /* A bare date is midnight UTC; a date-time must name its zone, exactly as
     * in event lines (one parser for both). */
    size_t len = strlen(n->scalar);
    int64_t day;
    if (lr_isotime_parse_date(n->scalar, len, &day)) {
        *out = day * 86400 * 1000;
        return 0;
    }
    if (lr_isotime_parse(n->scalar, len, out)) return 0;
    return lr_cfg_fail(err, n, "'%s' is not a date (YYYY-MM-DD) or an ISO-8601 time with "
                       "a zone (YYYY-MM-DDTHH:MM:SSZ)", n->scalar);
}

/* ---- field maps ------------------------------------------------------------ */

static int apply_one(const lr_cfg_node *v, const lr_cfg_field *f, void *target, lr_err *err) {
    char *p = (char *)target + f->offset;
    switch (f->type) {
    case LR_CFG_T_STR:
        if (need_scalar(v, "a single value", err)) return -1;
        *(const char **)p = v->scalar;
        return 0;
    case LR_CFG_T_INT:
        return lr_cfg_as_int(v, f->min, f->max, (int64_t *)p, err);
    case LR_CFG_T_DOUBLE:
        return lr_cfg_as_double(v, (double *)p, err);
    case LR_CFG_T_BOOL:
        return lr_cfg_as_bool(v, (bool *)p, err);
    case LR_CFG_T_DURATION:
        return lr_cfg_as_duration_ms(v, (int64_t *)p, err);
    case LR_CFG_T_NODE:
        *(const lr_cfg_node **)p = v;
        return 0;
    }
    return -1;
}

static void list_keys(const lr_cfg_field *fields, size_t n, char *buf, size_t cap) {
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? ", " : "", fields[i].key);
}

int lr_cfg_apply(const lr_cfg_node *map, const lr_cfg_field *fields, size_t n_fields,
                 void *target, const char *section, lr_err *err) {
    if (map && map->kind != LR_CFG_MAP)
        return lr_cfg_expect(map, LR_CFG_MAP, section, err);
    /* defaults first, parsed as if they were in the file */
    for (size_t i = 0; i < n_fields; i++) {
        const lr_cfg_field *f = &fields[i];
        if (!f->def || (map && lr_cfg_get(map, f->key))) continue;
        lr_cfg_node dn = {.kind = LR_CFG_SCALAR, .file = map ? map->file : "<default>",
                          .line = map ? map->line : 0, .scalar = f->def};
        if (f->type == LR_CFG_T_STR) {
            *(const char **)((char *)target + f->offset) = f->def; /* static string */
        } else if (apply_one(&dn, f, target, err)) {
            return -1;
        }
    }
    if (map) {
        for (size_t k = 0; k < map->n; k++) {
            const lr_cfg_field *f = NULL;
            for (size_t i = 0; i < n_fields; i++)
                if (strcmp(fields[i].key, map->keys[k]) == 0) f = &fields[i];
            if (!f) {
                char known[400];
                list_keys(fields, n_fields, known, sizeof(known));
                return lr_cfg_fail_key(err, map, k, "unknown key '%s' in %s (known: %s)",
                                       map->keys[k], section ? section : "this section", known);
            }
            if (apply_one(map->items[k], f, target, err)) return -1;
        }
    }
    for (size_t i = 0; i < n_fields; i++) {
        if (fields[i].required && !(map && lr_cfg_get(map, fields[i].key))) {
            if (map)
                return lr_cfg_fail(err, map, "%s: missing required key '%s'",
                                   section ? section : "section", fields[i].key);
            lr_err_set(err, LR_ERR_FATAL, "<config>:0: missing section %s (needs '%s')",
                       section ? section : "?", fields[i].key);
            return -1;
        }
    }
    return 0;
}
