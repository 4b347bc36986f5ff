/* rules_score.c - the `scoring:` section into an lr_score_config (see rules.h). */
#include "rules.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_HALF_LIFE "14d"

/* ---- fit rules */

static const char *const fit_extra_keys[] = {"name", "points", NULL};

static int parse_fit_rule(lr_score_config *cfg, const lr_cfg_node *r, lr_err *err) {
    if (lr_cfg_expect(r, LR_CFG_MAP, "a fit rule", err) < 0) return -1;
    const lr_cfg_node *name = lr_cfg_get(r, "name");
    const lr_cfg_node *points = lr_cfg_get(r, "points");
    if (!name) return lr_cfg_fail(err, r, "fit rule without 'name'");
    if (lr_cfg_expect(name, LR_CFG_SCALAR, "name", err) < 0) return -1;
    if (!name->scalar[0]) return lr_cfg_fail(err, name, "fit rule name is empty");
    if (lr_score_has_fit(cfg, name->scalar))
        return lr_cfg_fail(err, name, "duplicate fit rule name '%s'", name->scalar);
    if (!points) return lr_cfg_fail(err, r, "fit rule '%s' without 'points'", name->scalar);
    double pts;
    if (lr_cfg_as_double(points, &pts, err) < 0) return -1;
    lr_predicate *pred = lr_predicate_parse(r, fit_extra_keys, err);
    if (!pred) return -1;
    lr_score_add_fit(cfg, name->scalar, pts, pred);
    return 0;
}

static int parse_fit(lr_score_config *cfg, const lr_cfg_node *fit, lr_err *err) {
    if (!fit) return 0;
    if (lr_cfg_expect(fit, LR_CFG_SEQ, "scoring.fit", err) < 0) return -1;
    for (size_t i = 0; i < fit->n; i++)
        if (parse_fit_rule(cfg, fit->items[i], err) < 0) return -1;
    return 0;
}

/* ---- engagement rules */

typedef struct eng_fields {
    const char *activity;
    double points;
    const lr_cfg_node *cap;
} eng_fields;

static const lr_cfg_field eng_rule_fields[] = {
    {"activity", LR_CFG_T_STR, offsetof(eng_fields, activity), true, NULL, 0, 0},
    {"points", LR_CFG_T_DOUBLE, offsetof(eng_fields, points), true, NULL, 0, 0},
    {"cap", LR_CFG_T_NODE, offsetof(eng_fields, cap), false, NULL, 0, 0},
};

static int fail_unknown_activity(lr_err *err, const lr_cfg_node *at, const char *name) {
    char known[400];
    size_t off = 0;
    known[0] = '\0';
    for (int t = 0; t < LR_ACT__COUNT; t++)
        off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s", t ? ", " : "",
                                lr_activity_type_name((lr_activity_type)t));
    return lr_cfg_fail(err, at, "unknown activity '%s' (known: %s)", name, known);
}

static int parse_eng_rule(lr_score_config *cfg, const lr_cfg_node *r, lr_err *err) {
    eng_fields f = {0};
    if (lr_cfg_apply(r, eng_rule_fields, LR_CFG_COUNT(eng_rule_fields), &f,
                     "an engagement rule", err) < 0)
        return -1;
    const lr_cfg_node *act_node = lr_cfg_get(r, "activity");
    lr_activity_type t;
    if (!lr_activity_type_parse(f.activity, &t))
        return fail_unknown_activity(err, act_node, f.activity);
    if (lr_score_has_engagement(cfg, t))
        return lr_cfg_fail(err, act_node, "activity '%s' has two engagement rules", f.activity);
    double cap = 0;
    if (f.cap) {
        if (lr_cfg_as_double(f.cap, &cap, err) < 0) return -1;
        if (cap <= 0) return lr_cfg_fail(err, f.cap, "cap must be positive, not %s",
                                         f.cap->scalar);
    }
    lr_score_add_engagement(cfg, t, f.points, cap);
    return 0;
}

typedef struct eng_section {
    int64_t half_life_ms;
    const lr_cfg_node *rules;
} eng_section;

static const lr_cfg_field eng_fields_map[] = {
    {"half_life", LR_CFG_T_DURATION, offsetof(eng_section, half_life_ms), false,
     DEFAULT_HALF_LIFE, 0, 0},
    {"rules", LR_CFG_T_NODE, offsetof(eng_section, rules), false, NULL, 0, 0},
};

static int parse_engagement(lr_score_config *cfg, const lr_cfg_node *eng, lr_err *err) {
    eng_section s = {0};
    if (lr_cfg_apply(eng, eng_fields_map, LR_CFG_COUNT(eng_fields_map), &s,
                     "scoring.engagement", err) < 0)
        return -1;
    /* A zero half-life would make every past activity worth nothing and the
     * formula divide by zero; a very long one (e.g. 520w) disables decay. */
    if (s.half_life_ms <= 0)
        return lr_cfg_fail(err, lr_cfg_get(eng, "half_life"),
                           "half_life must be longer than 0 (use e.g. 520w for no decay)");
    lr_score_set_half_life(cfg, s.half_life_ms);
    if (!s.rules) return 0;
    if (lr_cfg_expect(s.rules, LR_CFG_SEQ, "scoring.engagement.rules", err) < 0) return -1;
    for (size_t i = 0; i < s.rules->n; i++)
        if (parse_eng_rule(cfg, s.rules->items[i], err) < 0) return -1;
    return 0;
}

/* ---- section */

typedef struct scoring_section {
    const lr_cfg_node *fit, *engagement;
} scoring_section;

static const lr_cfg_field scoring_fields[] = {
    {"fit", LR_CFG_T_NODE, offsetof(scoring_section, fit), false, NULL, 0, 0},
    {"engagement", LR_CFG_T_NODE, offsetof(scoring_section, engagement), false, NULL, 0, 0},
};

lr_score_config *lr_score_config_parse(const lr_cfg_node *scoring, lr_err *err) {
    lr_score_config *cfg = lr_score_config_new();
    scoring_section s = {0};
    if (lr_cfg_apply(scoring, scoring_fields, LR_CFG_COUNT(scoring_fields), &s, "scoring",
                     err) < 0 ||
        parse_fit(cfg, s.fit, err) < 0 ||
        (s.engagement && parse_engagement(cfg, s.engagement, err) < 0)) {
        lr_score_config_free(cfg);
        return NULL;
    }
    return cfg;
}
