/* rules.h - the decision sections of the YAML file (scoring, qualification,
 * routing with its teams and reps, SLA policies, calendars, conditions) turned into the
 * core's plain rule objects.
 *
 * The core modules (predicate, calendar, score, qualify, route) know nothing
 * of YAML: they are built through their own constructors. These parsers walk
 * the node tree, check what a reader of the file can get wrong, and report it
 * as "FILE:LINE: what is wrong" at the offending node. Configuration time
 * only: nothing here runs per lead. The objects returned belong to the
 * caller (free them with the core's _free / _destroy); strings they keep are
 * copied, except a calendar's name, which points into the node tree. */
#ifndef LR_RULES_H
#define LR_RULES_H

#include "calendar.h"
#include "cfg.h"
#include "predicate.h"
#include "qualify.h"
#include "roster.h"
#include "rosterrec.h"
#include "route.h"
#include "score.h"
#include "sla.h"
#include "tzdb.h"

/* One condition: a map holding `field` plus exactly one test key; other keys
 * of that map (name, points, team...) belong to the caller, which names them
 * in `extra_keys` (NULL-terminated, may be NULL) so that anything else is
 * rejected as unknown. */
lr_predicate *lr_predicate_parse(const lr_cfg_node *map, const char *const *extra_keys,
                                 lr_err *err);

/* One calendar map {name, timezone, days, start, end, holidays} into `out`
 * (the name points into the config tree). 0, or -1 with "FILE:LINE: ...". */
int lr_calendar_parse(const lr_cfg_node *map, lr_tz_db *tzdb, lr_calendar *out, lr_err *err);

/* A configured duration in the calendar's units (see lr_calendar_scale): the
 * unit is read from how the value is written, "2d" or "48h". `node` must
 * already be a valid duration; `ms` is its wall-clock value. */
int64_t lr_calendar_duration(const lr_calendar *cal, const lr_cfg_node *node, int64_t ms);

/* The `scoring:` section (NULL node: no rules, every score 0). */
lr_score_config *lr_score_config_parse(const lr_cfg_node *scoring, lr_err *err);

/* The `qualification:` section (NULL node: defaults). */
lr_qualify_config *lr_qualify_config_parse(const lr_cfg_node *qualification, lr_err *err);

/* `routing:`, `teams:` and `reps:` from the root map; zones by name from tzdb. */
lr_route_config *lr_route_config_parse(const lr_cfg_node *root, lr_tz_db *tzdb, lr_err *err);

/* Live roster records (roster_apply.c): checked against the rulebook (known
 * teams, zone, hours, dates, weights, caps; an owner must be a known rep),
 * then applied between two leads unless dry_run (the CLI validates with it).
 * -1 with err->msg = "rep 'x': what is wrong" (or "account 'd': ..."), and
 * nothing changed. */
int lr_roster_apply_rep(lr_route_config *rc, lr_tz_db *tzdb, const lr_rep_rec *r, bool dry_run,
                        lr_err *err);
int lr_roster_remove_rep(lr_route_config *rc, const char *id, size_t len, lr_err *err);
int lr_roster_apply_owner(lr_route_config *rc, const lr_owner_rec *o, bool dry_run, lr_err *err);
int lr_roster_clear_owner(lr_route_config *rc, const char *domain, lr_err *err);

/* `sla:`; policies name tiers from qualification and teams from routing,
 * which are checked here. NULL node: no SLA (no clocks). The result owns its
 * calendars and policy arrays; its strings point into the configuration
 * document, which must outlive it. */
lr_sla_config *lr_sla_config_parse(const lr_cfg_node *sla, lr_tz_db *tzdb,
                                   const lr_qualify_config *qcfg,
                                   const lr_route_config *rcfg, lr_err *err);
void lr_sla_config_free(lr_sla_config *cfg);

#endif
