/* rules_qualify.c - the `qualification:` section into an lr_qualify_config
 * (see rules.h): thresholds, tiers, then the overrides that name them. */
#include "rules.h"

#include <stdlib.h>
#include <string.h>

/* ---- tiers */

typedef struct tier_raw {
    const char *name;
    double min_score;
} tier_raw;

static const lr_cfg_field tier_fields[] = {
    {"name", LR_CFG_T_STR, offsetof(tier_raw, name), true, NULL, 0, 0},
    {"min_score", LR_CFG_T_DOUBLE, offsetof(tier_raw, min_score), true, NULL, 0, 0},
};

static int parse_tiers(lr_qualify_config *cfg, const lr_cfg_node *seq, lr_err *err) {
    if (!seq) return 0;
    if (lr_cfg_expect(seq, LR_CFG_SEQ, "qualification.tiers", err) < 0) return -1;
    /* earlier tiers in file order, for the errors */
    tier_raw *seen = calloc(seq->n ? seq->n : 1, sizeof(*seen));
    if (!seen) abort();
    int rc = 0;
    for (size_t i = 0; i < seq->n && rc == 0; i++) {
        const lr_cfg_node *t = seq->items[i];
        tier_raw tv = {0};
        if (lr_cfg_apply(t, tier_fields, LR_CFG_COUNT(tier_fields), &tv, "a tier", err) < 0) {
            rc = -1;
            break;
        }
        if (!tv.name[0]) rc = lr_cfg_fail(err, t, "tier name is empty");
        for (size_t j = 0; j < i && rc == 0; j++) {
            if (strcmp(seen[j].name, tv.name) == 0)
                rc = lr_cfg_fail(err, t, "duplicate tier name '%s'", tv.name);
            /* Two tiers at one score: the second could never be chosen. */
            else if (seen[j].min_score == tv.min_score)
                rc = lr_cfg_fail(err, t, "tiers '%s' and '%s' have the same min_score",
                                 seen[j].name, tv.name);
        }
        if (rc == 0) {
            seen[i] = tv;
            lr_qualify_add_tier(cfg, tv.name, tv.min_score);
        }
    }
    free(seen);
    return rc;
}

/* ---- overrides */

static const char *const stage_keys[LR_STAGE__COUNT] = {
    "sales_ready", "marketing_qualified", "nurture", "disqualified",
};

static int parse_stage(const lr_cfg_node *n, lr_stage *out, lr_err *err) {
    if (lr_cfg_expect(n, LR_CFG_SCALAR, "stage", err) < 0) return -1;
    for (int s = 0; s < LR_STAGE__COUNT; s++) {
        if (strcmp(n->scalar, stage_keys[s]) == 0) {
            *out = (lr_stage)s;
            return 0;
        }
    }
    return lr_cfg_fail(err, n, "unknown stage '%s' (known: sales_ready, marketing_qualified, "
                       "nurture, disqualified)", n->scalar);
}

static const char *const override_keys[] = {"name", "stage", "tier", NULL};

/* `activity: <type>` overrides take no predicate keys: the map may only hold
 * name, stage, tier and activity. */
static int parse_activity_override(lr_qualify_override *o, const lr_cfg_node *m, lr_err *err) {
    for (size_t i = 0; i < m->n; i++) {
        const char *k = m->keys[i];
        if (strcmp(k, "activity") == 0) continue;
        bool ok = false;
        for (const char *const *e = override_keys; *e; e++) ok = ok || strcmp(k, *e) == 0;
        if (!ok)
            return lr_cfg_fail_key(err, m, i, "unknown key '%s' in an activity override "
                                   "(use either activity or field plus one test)", k);
    }
    const lr_cfg_node *a = lr_cfg_get(m, "activity");
    if (lr_cfg_expect(a, LR_CFG_SCALAR, "activity", err) < 0) return -1;
    if (!lr_activity_type_parse(a->scalar, &o->activity))
        return lr_cfg_fail(err, a, "unknown activity '%s'", a->scalar);
    return 0;
}

static int parse_override(lr_qualify_config *cfg, const lr_cfg_node *m, lr_err *err) {
    if (lr_cfg_expect(m, LR_CFG_MAP, "an override", err) < 0) return -1;
    lr_qualify_override o = {.tier = -1};
    const lr_cfg_node *name = lr_cfg_get(m, "name"), *stage = lr_cfg_get(m, "stage");
    const lr_cfg_node *tier_node = lr_cfg_get(m, "tier");
    if (!name) return lr_cfg_fail(err, m, "override without 'name'");
    if (lr_cfg_expect(name, LR_CFG_SCALAR, "name", err) < 0) return -1;
    if (lr_qualify_has_override(cfg, name->scalar))
        return lr_cfg_fail(err, name, "duplicate override name '%s'", name->scalar);
    if (!stage) return lr_cfg_fail(err, m, "override '%s' without 'stage'", name->scalar);
    if (parse_stage(stage, &o.stage, err) < 0) return -1;
    if (tier_node) {
        if (lr_cfg_expect(tier_node, LR_CFG_SCALAR, "tier", err) < 0) return -1;
        o.tier = lr_qualify_tier_index(cfg, tier_node->scalar);
        if (o.tier < 0)
            return lr_cfg_fail(err, tier_node, "override '%s': tier '%s' is not defined in "
                               "qualification.tiers", name->scalar, tier_node->scalar);
    }
    o.name = name->scalar;
    if (lr_cfg_get(m, "activity")) {
        if (parse_activity_override(&o, m, err) < 0) return -1;
    } else if (!lr_cfg_get(m, "field")) {
        return lr_cfg_fail(err, m, "override '%s' needs either 'activity' or 'field' with "
                           "one test", o.name);
    } else if (!(o.pred = lr_predicate_parse(m, override_keys, err))) {
        return -1;
    }
    lr_qualify_add_override(cfg, &o);
    return 0;
}

static int parse_overrides(lr_qualify_config *cfg, const lr_cfg_node *seq, lr_err *err) {
    if (!seq) return 0;
    if (lr_cfg_expect(seq, LR_CFG_SEQ, "qualification.overrides", err) < 0) return -1;
    for (size_t i = 0; i < seq->n; i++)
        if (parse_override(cfg, seq->items[i], err) < 0) return -1;
    return 0;
}

/* ---- section */

typedef struct qual_section {
    const lr_cfg_node *tiers, *overrides, *disqualify_below;
    double sales_ready, mql;
    int64_t duplicate_window_ms;
    int64_t max_leads;
} qual_section;

static const lr_cfg_field qual_fields[] = {
    {"tiers", LR_CFG_T_NODE, offsetof(qual_section, tiers), false, NULL, 0, 0},
    {"sales_ready_score", LR_CFG_T_DOUBLE, offsetof(qual_section, sales_ready), false, "60", 0,
     0},
    {"marketing_qualified_score", LR_CFG_T_DOUBLE, offsetof(qual_section, mql), false, "30", 0,
     0},
    {"disqualify_below", LR_CFG_T_NODE, offsetof(qual_section, disqualify_below), false, NULL,
     0, 0},
    {"overrides", LR_CFG_T_NODE, offsetof(qual_section, overrides), false, NULL, 0, 0},
    {"duplicate_window", LR_CFG_T_DURATION, offsetof(qual_section, duplicate_window_ms), false,
     "7d", 0, 0},
    {"max_leads", LR_CFG_T_INT, offsetof(qual_section, max_leads), false, "5000000", 1,
     1000000000},
};

static int check_thresholds(lr_qualify_thresholds *t, const lr_cfg_node *sec,
                            const qual_section *s, lr_err *err) {
    const lr_cfg_node *at = lr_cfg_get(sec, "sales_ready_score");
    if (!at) at = lr_cfg_get(sec, "marketing_qualified_score");
    if (s->sales_ready < s->mql)
        return lr_cfg_fail(err, at ? at : sec, "sales_ready_score (%g) is below "
                           "marketing_qualified_score (%g)", s->sales_ready, s->mql);
    t->sales_ready = s->sales_ready;
    t->mql = s->mql;
    t->duplicate_window_ms = s->duplicate_window_ms;
    t->max_leads = s->max_leads;
    if (s->disqualify_below) {
        if (lr_cfg_as_double(s->disqualify_below, &t->disqualify_below, err) < 0) return -1;
        if (t->disqualify_below > s->mql)
            return lr_cfg_fail(err, s->disqualify_below, "disqualify_below (%g) is above "
                               "marketing_qualified_score (%g)", t->disqualify_below, s->mql);
        t->has_disqualify = true;
    }
    return 0;
}

lr_qualify_config *lr_qualify_config_parse(const lr_cfg_node *sec, lr_err *err) {
    qual_section s = {0};
    lr_qualify_thresholds t = {0};
    if (lr_cfg_apply(sec, qual_fields, LR_CFG_COUNT(qual_fields), &s, "qualification", err) < 0 ||
        check_thresholds(&t, sec, &s, err) < 0)
        return NULL;
    lr_qualify_config *cfg = lr_qualify_config_new(&t);
    /* Tiers before overrides: an override names a tier. */
    if (parse_tiers(cfg, s.tiers, err) < 0 || parse_overrides(cfg, s.overrides, err) < 0) {
        lr_qualify_config_free(cfg);
        return NULL;
    }
    return cfg;
}
