/* predicate.h - one test on one lead field, shared by fit rules, overrides and
 * routing conditions: equals, one_of, range, prefix, suffix, regex, present.
 *
 * Built once from plain values (lr_predicate_spec; config/rules.h reads them
 * from the YAML file) and matched per lead with no allocation and no lookup
 * by name. A predicate is a heap object owned by whoever built it; it copies
 * everything it keeps. Pure: matching reads only the lead. */
#ifndef LR_PREDICATE_H
#define LR_PREDICATE_H

#include "lead.h"

typedef struct lr_predicate lr_predicate;

typedef enum lr_predicate_test {
    LR_PRED_EQUALS = 0,
    LR_PRED_ONE_OF,
    LR_PRED_RANGE,
    LR_PRED_PREFIX,
    LR_PRED_SUFFIX,
    LR_PRED_REGEX,
    LR_PRED_PRESENT,
    LR_PRED__COUNT
} lr_predicate_test;

/* What a predicate tests, already checked by the caller: the field exists,
 * values are numbers for a numeric field (lr_field_is_numeric) and strings
 * otherwise, range has min or max. */
typedef struct lr_predicate_spec {
    const char *field;          /* "industry", "attrs.plan" */
    lr_predicate_test test;
    size_t n;                   /* equals, prefix, suffix, regex: 1; one_of: the list */
    const char *const *strs;    /* text field, or regex: the values (a regex's pattern
                                 * may start with "(?i)") */
    const double *nums;         /* numeric field: the values */
    bool has_min, has_max;      /* range, inclusive */
    double min, max;
    bool present;               /* present: wanted presence */
    const char *desc;           /* "industry one_of [software, fintech]", copied */
} lr_predicate_spec;

/* Limits on what a regex may compile to. glibc's regcomp copies the operand
 * of every '+' and '{n,m}' (x+ is xx*, x{3} is xxx), so stacked repetitions
 * grow the compiled form exponentially: "x++++++++++++++++++++++++" takes
 * 3 GB. Before regcomp a pattern is refused when it is longer than
 * LR_REGEX_MAX_LEN bytes, nests groups deeper than LR_REGEX_MAX_DEPTH, puts
 * a repetition right after another ("x++", "a*{2}"), has a {n,m} bound over
 * LR_REGEX_MAX_REPEAT, or would expand to more than LR_REGEX_MAX_COST copies
 * of its atoms (each '+' doubles its operand, {n,m} multiplies it by max(n,m)).
 * With these, regcomp stays under a few MB. */
#define LR_REGEX_MAX_LEN 512
#define LR_REGEX_MAX_DEPTH 8
#define LR_REGEX_MAX_REPEAT 100
#define LR_REGEX_MAX_COST 2000
/* Back-references (\1..\9, a glibc extension) are refused too: matching them
 * is exponential in the subject, "(x*)*\1y" does not finish on 4,000 bytes.
 * A configuration's patterns together may expand to LR_REGEX_MAX_TOTAL_COST
 * atom copies (config.c checks it), so many patterns cannot add up either:
 * glibc needs about 100 bytes per atom copy. */
#define LR_REGEX_MAX_TOTAL_COST 20000

/* NULL when `pattern` (without a leading "(?i)") is within the limits above,
 * with its expanded size in *cost (when not NULL), else why not ("repetition
 * of a repetition at byte 3"), in `why`. Pure. */
const char *lr_regex_check(const char *pattern, size_t *cost, char *why, size_t why_size);

/* NULL with err->msg when the field is unknown or the regex does not compile
 * ("bad regex '<pattern>': <why>"), or is over the limits above ("regex
 * '<pattern>' is too costly: <why>"). */
lr_predicate *lr_predicate_new(const lr_predicate_spec *spec, lr_err *err);
void lr_predicate_free(lr_predicate *p);
bool lr_predicate_match(const lr_predicate *p, const lr_lead *lead);
/* hits[i] = lr_predicate_match(ps[i], lead) for i < n: a rulebook's worth of
 * conditions in one call, with no call per test. */
void lr_predicate_match_many(const lr_predicate *const *ps, size_t n, const lr_lead *lead,
                             bool *hits);
/* The spec's description, for explanations; owned by p. */
const char *lr_predicate_describe(const lr_predicate *p);

#endif
