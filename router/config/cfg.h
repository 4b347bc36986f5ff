/* cfg.h - YAML configuration as a tree of nodes that remember their line, and
 * declarative field maps that reject unknown keys.
 *
 * Section parsers (scoring, routing, SLA, Kafka...) walk the tree with these
 * helpers so that every error reads "FILE:LINE: what is wrong". Strings handed
 * out point into the tree, which lives as long as the configuration. */
#ifndef LR_CFG_H
#define LR_CFG_H

#include "common.h"

typedef enum lr_cfg_kind { LR_CFG_SCALAR, LR_CFG_MAP, LR_CFG_SEQ } lr_cfg_kind;

typedef struct lr_cfg_node lr_cfg_node;
struct lr_cfg_node {
    lr_cfg_kind kind;
    const char *file;
    int line;            /* 1-based */
    const char *scalar;  /* SCALAR: the text ("" for an empty value) */
    bool quoted;         /* SCALAR: was quoted in the file */
    size_t n;            /* MAP: pairs; SEQ: items */
    lr_cfg_node **items; /* MAP: values; SEQ: items */
    const char **keys;   /* MAP: keys, in file order */
    int *key_lines;      /* MAP: the line of each key */
};

typedef struct lr_cfg_doc lr_cfg_doc; /* owns every node and string */

/* Limits on what a configuration file may hold, so that a hostile or broken
 * file is refused with "FILE:LINE: ..." instead of exhausting memory or time
 * (loading is linear in the file: a duplicate key is found with a hash set).
 * At these limits a load stays well under 100 MB. */
#define LR_CFG_MAX_BYTES (16u << 20) /* the file */
#define LR_CFG_MAX_DEPTH 64          /* maps and lists inside each other */
#define LR_CFG_MAX_ENTRIES 100000    /* keys of one map, items of one list */
#define LR_CFG_MAX_NODES 500000      /* keys, values and items in the file */
#define LR_CFG_MAX_SCALAR 65536      /* bytes of one key or value */

/* Loads a YAML file. NULL on failure with err->msg "FILE:LINE: ...". */
lr_cfg_doc *lr_cfg_load(const char *path, lr_err *err);
lr_cfg_doc *lr_cfg_load_string(const char *name, const char *yaml, lr_err *err);
const lr_cfg_node *lr_cfg_root(const lr_cfg_doc *doc);
void lr_cfg_free(lr_cfg_doc *doc);

/* Formats "FILE:LINE: message" into err (class FATAL) and returns -1, so a
 * parser can write `return lr_cfg_fail(err, node, "...", ...);`. */
int lr_cfg_fail(lr_err *err, const lr_cfg_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, pointing at the line of key i of a map. */
int lr_cfg_fail_key(lr_err *err, const lr_cfg_node *map, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Value of a key in a map, or NULL. */
const lr_cfg_node *lr_cfg_get(const lr_cfg_node *map, const char *key);
/* -1 with "expected a mapping/list/scalar" unless node has that kind. */
int lr_cfg_expect(const lr_cfg_node *node, lr_cfg_kind kind, const char *what, lr_err *err);

/* Scalar conversions; each fails with file:line and the offending text. */
int lr_cfg_as_int(const lr_cfg_node *n, int64_t min, int64_t max, int64_t *out, lr_err *err);
int lr_cfg_as_double(const lr_cfg_node *n, double *out, lr_err *err);
int lr_cfg_as_bool(const lr_cfg_node *n, bool *out, lr_err *err);
/* "500ms", "30s", "15m", "4h", "2d", "1w" or a bare number of seconds. */
int lr_cfg_as_duration_ms(const lr_cfg_node *n, int64_t *out, lr_err *err);
/* "09:00" -> minutes since midnight (0..1440; "24:00" allowed). */
int lr_cfg_as_clock_minutes(const lr_cfg_node *n, int *out, lr_err *err);
/* "2026-12-25", a local calendar date (holidays, out-of-office) -> days since
 * 1970-01-01; a date that does not exist is refused. `what` names the value in
 * the error: "holiday '2026-13-01' is not a calendar date". */
int lr_cfg_as_local_date(const lr_cfg_node *n, const char *what, int64_t *day, lr_err *err);
/* "2026-12-25" (midnight UTC) or an lr_isotime_parse instant -> ms. */
int lr_cfg_as_time_ms(const lr_cfg_node *n, lr_time_ms *out, lr_err *err);

/* Declarative field maps, after Fluent Bit's config maps: one table per
 * section, applied to a struct. Keys not in the table are errors. */
typedef enum lr_cfg_type {
    LR_CFG_T_STR,      /* const char *               */
    LR_CFG_T_INT,      /* int64_t, within [min,max]   */
    LR_CFG_T_DOUBLE,   /* double                      */
    LR_CFG_T_BOOL,     /* bool                        */
    LR_CFG_T_DURATION, /* int64_t milliseconds        */
    LR_CFG_T_NODE,     /* const lr_cfg_node *: parsed by the caller */
} lr_cfg_type;

typedef struct lr_cfg_field {
    const char *key;
    lr_cfg_type type;
    size_t offset;     /* offsetof(target struct, member) */
    bool required;
    const char *def;   /* default as YAML text, parsed like a value; NULL: leave as is */
    int64_t min, max;  /* LR_CFG_T_INT only; both 0 means unbounded */
} lr_cfg_field;

/* Applies fields to target from a map node (NULL map: defaults only).
 * Returns 0, or -1 with err set: unknown key, missing required key, bad value. */
int lr_cfg_apply(const lr_cfg_node *map, const lr_cfg_field *fields, size_t n_fields,
                 void *target, const char *section, lr_err *err);

#define LR_CFG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
