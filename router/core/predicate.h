/* predicate.h - one test on one lead field, shared by fit rules, overrides and
 * routing conditions: equals, one_of, range, prefix, suffix, regex, present.
 *
 * Parsed from a map that holds `field` plus exactly one test key; other keys of
 * that map (name, points, team...) belong to the caller, which names them in
 * `extra_keys` so that anything else is rejected as unknown. */
#ifndef LR_PREDICATE_H
#define LR_PREDICATE_H

#include "cfg.h"
#include "lead.h"

typedef struct lr_predicate lr_predicate;

/* extra_keys: NULL-terminated list of keys the caller handles; may be NULL. */
lr_predicate *lr_predicate_parse(const lr_cfg_node *map, const char *const *extra_keys,
                                 lr_err *err);
void lr_predicate_free(lr_predicate *p);
bool lr_predicate_match(const lr_predicate *p, const lr_lead *lead);
/* hits[i] = lr_predicate_match(ps[i], lead) for i < n: a rulebook's worth of
 * conditions in one call, with no call per test. */
void lr_predicate_match_many(const lr_predicate *const *ps, size_t n, const lr_lead *lead,
                             bool *hits);
/* "industry one_of [software,fintech]" for explanations; owned by p. */
const char *lr_predicate_describe(const lr_predicate *p);

#endif
