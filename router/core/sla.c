/* sla.c - names of the SLA rules (sla.h). */
#include "sla.h"

static const char *const action_names[LR_SLA_ACTION__COUNT] = {"notify_manager", "reassign",
                                                               "escalate"};

const char *lr_sla_action_name(lr_sla_action a) {
    return (unsigned)a < LR_SLA_ACTION__COUNT ? action_names[a] : NULL;
}

size_t lr_sla_policy_count(const lr_sla_config *cfg) { return cfg ? cfg->n_policies : 0; }

const char *lr_sla_policy_name(const lr_sla_config *cfg, int32_t i) {
    return cfg && i >= 0 && (size_t)i < cfg->n_policies ? cfg->policies[i].name : NULL;
}
