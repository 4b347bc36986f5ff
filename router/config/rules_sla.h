/* rules_sla.h - the `sla:` section of the configuration (YAML) into the
 * core's plain lr_sla_config (sla.h). Runs once at load; errors are
 * "FILE:LINE: ...". The result owns its calendars and policy arrays; its
 * strings point into the configuration document, which must outlive it. */
#ifndef LR_RULES_SLA_H
#define LR_RULES_SLA_H

#include "cfg.h"
#include "qualify.h"
#include "route.h"
#include "sla.h"
#include "tzdb.h"

/* Parses `sla:`; policies name tiers from qualification and teams from routing,
 * which are checked here. NULL node: no SLA (no clocks). */
lr_sla_config *lr_sla_config_parse(const lr_cfg_node *sla, lr_tz_db *tzdb,
                                   const lr_qualify_config *qcfg,
                                   const lr_route_config *rcfg, lr_err *err);
void lr_sla_config_free(lr_sla_config *cfg);

#endif
