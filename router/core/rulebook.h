/* rulebook.h - the decision sections of the configuration, which is all the
 * core is built from: scoring, qualification, routing and SLA rules as plain
 * structs. The configuration (lr_config, in the config layer) owns them and
 * embeds one beside its adapter settings; the core only borrows it (it must
 * outlive every core made from it). Pure data. */
#ifndef LR_RULEBOOK_H
#define LR_RULEBOOK_H

#include "qualify.h"
#include "route.h"
#include "score.h"
#include "sla.h"

typedef struct lr_rulebook {
    lr_score_config *score;
    lr_qualify_config *qualify;
    lr_route_config *route;
    lr_sla_config *sla;
} lr_rulebook;

#endif
