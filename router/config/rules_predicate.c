/* rules_predicate.c - a condition map of the YAML file into an lr_predicate
 * (see rules.h). The checks a reader of the file can fail (unknown field or
 * key, two tests, a number that is not one, an empty list, a bad range) are
 * made here with the line of the offending node; the core compiles what it
 * is given. */
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Test keys, indexed by lr_predicate_test. */
static const char *const test_keys[LR_PRED__COUNT] = {
    "equals", "one_of", "range", "prefix", "suffix", "regex", "present",
};

/* What the parse collects before the core builds the predicate. */
typedef struct pred_parse {
    lr_predicate_spec spec;
    bool numeric;
    const char **strs;   /* point into the node tree */
    double *nums;
} pred_parse;

static bool key_in(const char *key, const char *const *list) {
    if (!list) return false;
    for (; *list; list++)
        if (strcmp(key, *list) == 0) return true;
    return false;
}

static int test_kind_of(const char *key) {
    for (int k = 0; k < LR_PRED__COUNT; k++)
        if (strcmp(key, test_keys[k]) == 0) return k;
    return -1;
}

static int fail_unknown_field(lr_err *err, const lr_cfg_node *at, const char *name) {
    char known[512];
    size_t off = 0;
    known[0] = '\0';
    for (int f = LR_FIELD_NONE + 1; f < LR_FIELD__COUNT; f++) {
        if (f == LR_FIELD_ATTR) continue;
        int w = snprintf(known + off, sizeof(known) - off, "%s, ", lr_field_name((lr_field)f));
        if (w < 0 || (size_t)w >= sizeof(known) - off) break;
        off += (size_t)w;
    }
    snprintf(known + off, sizeof(known) - off, "attrs.<key>");
    return lr_cfg_fail(err, at, "unknown field '%s' (known: %s)", name, known);
}

static int fail_unknown_key(lr_err *err, const lr_cfg_node *map, size_t i,
                            const char *const *extra_keys) {
    char known[256];
    size_t off = (size_t)snprintf(known, sizeof(known), "field");
    for (int k = 0; k < LR_PRED__COUNT; k++)
        off += (size_t)snprintf(known + off, sizeof(known) - off, ", %s", test_keys[k]);
    for (; extra_keys && *extra_keys && off < sizeof(known); extra_keys++)
        off += (size_t)snprintf(known + off, sizeof(known) - off, ", %s", *extra_keys);
    return lr_cfg_fail_key(err, map, i, "unknown key '%s' (known: %s)", map->keys[i], known);
}

static void alloc_values(pred_parse *p, size_t n) {
    p->spec.n = n;
    p->strs = calloc(n ? n : 1, sizeof(*p->strs));
    p->nums = calloc(n ? n : 1, sizeof(*p->nums));
    if (!p->strs || !p->nums) abort();
    p->spec.strs = p->strs;
    p->spec.nums = p->nums;
}

/* A scalar value for equals / one_of / prefix / suffix: a number for numeric fields. */
static int parse_value(pred_parse *p, const lr_cfg_node *v, size_t i, const char *what,
                       lr_err *err) {
    if (lr_cfg_expect(v, LR_CFG_SCALAR, what, err) < 0) return -1;
    if (p->numeric) {
        lr_err ignored;
        if (lr_cfg_as_double(v, &p->nums[i], &ignored) < 0)
            return lr_cfg_fail(err, v, "'%s' is not a number (%s is numeric)", v->scalar,
                               p->spec.field);
    }
    p->strs[i] = v->scalar;
    return 0;
}

static int parse_one_of(pred_parse *p, const lr_cfg_node *v, lr_err *err) {
    if (lr_cfg_expect(v, LR_CFG_SEQ, "one_of", err) < 0) return -1;
    if (v->n == 0) return lr_cfg_fail(err, v, "one_of: the list is empty");
    alloc_values(p, v->n);
    for (size_t i = 0; i < v->n; i++)
        if (parse_value(p, v->items[i], i, "an item of one_of", err) < 0) return -1;
    return 0;
}

static int parse_range(pred_parse *p, const lr_cfg_node *v, lr_err *err) {
    lr_predicate_spec *s = &p->spec;
    if (!p->numeric)
        return lr_cfg_fail(err, v, "range needs a numeric field (company_size, "
                                   "annual_revenue), not '%s'", s->field);
    if (lr_cfg_expect(v, LR_CFG_MAP, "range ({min, max})", err) < 0)
        return -1;
    for (size_t i = 0; i < v->n; i++) {
        const char *k = v->keys[i];
        if (strcmp(k, "min") == 0) {
            if (lr_cfg_as_double(v->items[i], &s->min, err) < 0) return -1;
            s->has_min = true;
        } else if (strcmp(k, "max") == 0) {
            if (lr_cfg_as_double(v->items[i], &s->max, err) < 0) return -1;
            s->has_max = true;
        } else {
            return lr_cfg_fail_key(err, v, i, "range: unknown key '%s' (known: min, max)", k);
        }
    }
    if (!s->has_min && !s->has_max) return lr_cfg_fail(err, v, "range needs min, max or both");
    if (s->has_min && s->has_max && s->min > s->max)
        return lr_cfg_fail(err, v, "range: min %g is above max %g", s->min, s->max);
    return 0;
}

static int parse_test(pred_parse *p, const lr_cfg_node *v, lr_err *err) {
    lr_predicate_test t = p->spec.test;
    switch (t) {
    case LR_PRED_EQUALS:
        alloc_values(p, 1);
        return parse_value(p, v, 0, "equals", err);
    case LR_PRED_ONE_OF: return parse_one_of(p, v, err);
    case LR_PRED_RANGE: return parse_range(p, v, err);
    case LR_PRED_PREFIX:
    case LR_PRED_SUFFIX:
        if (p->numeric)
            return lr_cfg_fail(err, v, "%s needs a text field, not numeric '%s'", test_keys[t],
                               p->spec.field);
        alloc_values(p, 1);
        return parse_value(p, v, 0, test_keys[t], err);
    case LR_PRED_REGEX:
        if (p->numeric)
            return lr_cfg_fail(err, v, "regex needs a text field, not numeric '%s'",
                               p->spec.field);
        if (lr_cfg_expect(v, LR_CFG_SCALAR, "regex", err) < 0) return -1;
        alloc_values(p, 1);
        p->strs[0] = v->scalar;
        return 0;
    case LR_PRED_PRESENT:
        if (lr_cfg_expect(v, LR_CFG_SCALAR, "present", err) < 0) return -1;
        return lr_cfg_as_bool(v, &p->spec.present, err);
    default: return -1;
    }
}

/* The description, for explanations, as the file writes the test:
 * "industry one_of [software, fintech]". malloc'd. */
static char *describe(const pred_parse *p, const lr_cfg_node *v) {
    const lr_predicate_spec *s = &p->spec;
    size_t cap = strlen(s->field) + 64;
    if (v->kind == LR_CFG_SCALAR) cap += strlen(v->scalar);
    for (size_t i = 0; v->kind != LR_CFG_SCALAR && i < v->n; i++)
        if (v->items[i]->kind == LR_CFG_SCALAR) cap += strlen(v->items[i]->scalar) + 2;
    char *d = malloc(cap);
    if (!d) abort();
    int off = snprintf(d, cap, "%s %s ", s->field, test_keys[s->test]);
    switch (s->test) {
    case LR_PRED_ONE_OF:
        off += snprintf(d + off, cap - (size_t)off, "[");
        for (size_t i = 0; i < v->n; i++)
            off += snprintf(d + off, cap - (size_t)off, "%s%s", i ? ", " : "",
                            v->items[i]->scalar);
        snprintf(d + off, cap - (size_t)off, "]");
        break;
    case LR_PRED_RANGE: {
        const lr_cfg_node *mn = lr_cfg_get(v, "min"), *mx = lr_cfg_get(v, "max");
        snprintf(d + off, cap - (size_t)off, "[%s..%s]", mn ? mn->scalar : "",
                 mx ? mx->scalar : "");
        break;
    }
    case LR_PRED_PRESENT:
        snprintf(d + off, cap - (size_t)off, "%s", s->present ? "true" : "false");
        break;
    default:
        snprintf(d + off, cap - (size_t)off, "%s", v->scalar);
        break;
    }
    return d;
}

/* Finds `field` and the one test key; -1 with the error otherwise. */
static int split_keys(const lr_cfg_node *map, const char *const *extra_keys,
                      const lr_cfg_node **field, const lr_cfg_node **test, int *kind,
                      lr_err *err) {
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->keys[i];
        int tk = test_kind_of(k);
        if (strcmp(k, "field") == 0) {
            *field = map->items[i];
        } else if (tk >= 0) {
            if (*test)
                return lr_cfg_fail_key(err, map, i, "both '%s' and '%s': a condition takes "
                                       "exactly one test", test_keys[*kind], k);
            *test = map->items[i];
            *kind = tk;
        } else if (!key_in(k, extra_keys)) {
            return fail_unknown_key(err, map, i, extra_keys);
        }
    }
    if (!*field) return lr_cfg_fail(err, map, "condition without 'field'");
    if (lr_cfg_expect(*field, LR_CFG_SCALAR, "field", err) < 0) return -1;
    if (!*test)
        return lr_cfg_fail(err, map, "field '%s' without a test (one of equals, one_of, range, "
                           "prefix, suffix, regex, present)", (*field)->scalar);
    return 0;
}

lr_predicate *lr_predicate_parse(const lr_cfg_node *map, const char *const *extra_keys,
                                 lr_err *err) {
    if (lr_cfg_expect(map, LR_CFG_MAP, "a condition (field plus one test)", err) < 0)
        return NULL;
    const lr_cfg_node *field = NULL, *test = NULL;
    int kind = -1;
    if (split_keys(map, extra_keys, &field, &test, &kind, err) < 0) return NULL;
    lr_field_ref ref;
    if (!lr_field_resolve(field->scalar, &ref) || ref.field == LR_FIELD_NONE) {
        fail_unknown_field(err, field, field->scalar);
        return NULL;
    }
    pred_parse p = {.spec = {.field = field->scalar, .test = (lr_predicate_test)kind},
                    .numeric = lr_field_is_numeric(ref.field)};
    lr_predicate *pred = NULL;
    if (parse_test(&p, test, err) == 0) {
        char *desc = describe(&p, test);
        p.spec.desc = desc;
        lr_err e = {0};
        pred = lr_predicate_new(&p.spec, &e);
        if (!pred) lr_cfg_fail(err, test, "%s", e.msg);
        free(desc);
    }
    free(p.strs);
    free(p.nums);
    return pred;
}
