/* config.c - top-level sections and the `kafka:` section; each decision
 * section is parsed by its own module (score, qualify, route, lifecycle). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "predicate.h"

static const char *const sections[] = {"kafka", "scoring", "qualification", "routing",
                                       "teams", "reps",    "sla",           "http",
                                       "alerts", "log"};

static int check_sections(const lr_cfg_node *root, lr_err *err) {
    for (size_t k = 0; k < root->n; k++) {
        bool known = false;
        for (size_t i = 0; i < LR_CFG_COUNT(sections); i++)
            if (strcmp(root->keys[k], sections[i]) == 0) known = true;
        if (!known)
            return lr_cfg_fail_key(err, root, k,
                                   "unknown section '%s' (known: kafka, scoring, qualification, "
                                   "routing, teams, reps, sla, http, alerts, log)",
                                   root->keys[k]);
    }
    return 0;
}

/* The parsed section plus the raw nodes of its sub-maps, so that one field map
 * covers every key of `kafka:` and rejects the unknown ones. */
typedef struct kafka_parse {
    lr_kafka_config k;
    const lr_cfg_node *properties, *topics, *schema_ids;
    const char *processing;
} kafka_parse;

static int parse_properties(const lr_cfg_node *props, lr_kafka_config *k, lr_err *err) {
    if (!props) return 0;
    if (lr_cfg_expect(props, LR_CFG_MAP, "kafka.properties", err)) return -1;
    k->n_props = props->n;
    k->prop_keys = calloc(props->n + 1, sizeof(char *));
    k->prop_values = calloc(props->n + 1, sizeof(char *));
    for (size_t i = 0; i < props->n; i++) {
        if (props->items[i]->kind != LR_CFG_SCALAR)
            return lr_cfg_fail(err, props->items[i], "kafka.properties.%s must be a single value",
                               props->keys[i]);
        k->prop_keys[i] = props->keys[i];
        k->prop_values[i] = props->items[i]->scalar;
    }
    return 0;
}

#define KF(key, type, member, def, ...) \
    {key, type, offsetof(kafka_parse, member), false, def, __VA_ARGS__}

static int parse_kafka(const lr_cfg_node *node, lr_kafka_config *out, lr_err *err) {
    kafka_parse p = {0};
    const lr_cfg_field fields[] = {
        KF("properties", LR_CFG_T_NODE, properties, NULL, 0, 0),
        KF("group_id", LR_CFG_T_STR, k.group_id, "lead-router", 0, 0),
        KF("processing", LR_CFG_T_STR, processing, "exactly_once", 0, 0),
        KF("transactional_id", LR_CFG_T_STR, k.transactional_id, "lead-router-1", 0, 0),
        KF("commit_interval", LR_CFG_T_DURATION, k.commit_interval_ms, "100ms", 0, 0),
        KF("commit_max_messages", LR_CFG_T_INT, k.commit_max_messages, "10000", 1, 10000000),
        KF("topics", LR_CFG_T_NODE, topics, NULL, 0, 0),
        KF("schema_ids", LR_CFG_T_NODE, schema_ids, NULL, 0, 0),
        KF("max_message_bytes", LR_CFG_T_INT, k.max_message_bytes, "1048576", 64,
           100 * 1024 * 1024),
        KF("lead_domains_memory", LR_CFG_T_DURATION, k.lead_domains_memory_ms, NULL, 0, 0),
    };
    if (lr_cfg_apply(node, fields, LR_CFG_COUNT(fields), &p, "kafka", err)) return -1;
    lr_kafka_config *k = &p.k;
    if (strcmp(p.processing, "exactly_once") == 0) k->processing = LR_PROCESSING_EXACTLY_ONCE;
    else if (strcmp(p.processing, "at_least_once") == 0)
        k->processing = LR_PROCESSING_AT_LEAST_ONCE;
    else
        return lr_cfg_fail(err, lr_cfg_get(node, "processing"),
                           "processing must be exactly_once or at_least_once, not '%s'",
                           p.processing);
    if (k->commit_interval_ms < 1 || k->commit_interval_ms > 60000)
        return lr_cfg_fail(err, lr_cfg_get(node, "commit_interval"),
                           "commit_interval must be between 1ms and 60s");
    const lr_cfg_field topic_fields[] = {
        {"leads", LR_CFG_T_STR, offsetof(lr_kafka_topics, leads), false, "leads"},
        {"sales_activity", LR_CFG_T_STR, offsetof(lr_kafka_topics, sales_activity), false,
         "sales-activity"},
        {"assignments", LR_CFG_T_STR, offsetof(lr_kafka_topics, assignments), false,
         "lead-assignments"},
        {"nurture", LR_CFG_T_STR, offsetof(lr_kafka_topics, nurture), false, "lead-nurture"},
        {"status", LR_CFG_T_STR, offsetof(lr_kafka_topics, status), false, "lead-status"},
        {"alerts", LR_CFG_T_STR, offsetof(lr_kafka_topics, alerts), false, "sla-alerts"},
        {"dead_letter", LR_CFG_T_STR, offsetof(lr_kafka_topics, dead_letter), false,
         "lead-router-dlq"},
        {"state", LR_CFG_T_STR, offsetof(lr_kafka_topics, state), false, "lead-router-state"},
        /* unset: one instance decides everything; set: instances share the
         * work by routing domain through this topic (docs/design.md) */
        {"repartition", LR_CFG_T_STR, offsetof(lr_kafka_topics, repartition), false, NULL},
        /* with repartition: where stage 1 remembers each recent lead's domain */
        {"lead_domains", LR_CFG_T_STR, offsetof(lr_kafka_topics, lead_domains), false, NULL},
        /* compacted, read whole as global tables (docs/routing.md); unset: YAML only */
        {"roster", LR_CFG_T_STR, offsetof(lr_kafka_topics, roster), false, NULL},
        {"account_owners", LR_CFG_T_STR, offsetof(lr_kafka_topics, account_owners), false, NULL},
    };
    if (lr_cfg_apply(p.topics, topic_fields, LR_CFG_COUNT(topic_fields), &k->topics,
                     "kafka.topics", err))
        return -1;
    if (k->topics.repartition && !k->topics.lead_domains)
        return lr_cfg_fail(err, lr_cfg_get(p.topics, "repartition"),
                           "kafka.topics.repartition needs kafka.topics.lead_domains too: "
                           "stage 1 remembers there which routing domain each recent lead "
                           "went to, so that a re-sent lead is not decided twice");
    if (k->lead_domains_memory_ms && !k->topics.repartition)
        return lr_cfg_fail(err, lr_cfg_get(node, "lead_domains_memory"),
                           "kafka.lead_domains_memory is only used with "
                           "kafka.topics.repartition");
    if (k->topics.lead_domains && !k->topics.repartition)
        return lr_cfg_fail(err, lr_cfg_get(p.topics, "lead_domains"),
                           "kafka.topics.lead_domains is only used with "
                           "kafka.topics.repartition");
#define SID(key, member, def) \
    {key, LR_CFG_T_INT, offsetof(lr_kafka_schema_ids, member), false, def, 0, INT32_MAX}
    const lr_cfg_field id_fields[] = {
        SID("lead", lead, "1"),         SID("sales_activity", sales_activity, "2"),
        SID("decision", decision, "3"), SID("status", status, "4"),
        SID("alert", alert, "5"),
        SID("rep", rep, "6"),           SID("account_owner", account_owner, "7"),
    };
#undef SID
    if (lr_cfg_apply(p.schema_ids, id_fields, LR_CFG_COUNT(id_fields), &k->schema_ids,
                     "kafka.schema_ids", err))
        return -1;
    *out = *k;
    return parse_properties(p.properties, out, err);
}

/* `log:` - how the process logs (router/log/log.h); both keys may change on
 * a reload. */
typedef struct log_parse {
    const char *format, *level;
} log_parse;

static int parse_log(const lr_cfg_node *node, lr_log_config *out, lr_err *err) {
    log_parse p = {0};
    const lr_cfg_field fields[] = {
        {"format", LR_CFG_T_STR, offsetof(log_parse, format), false, "text", 0, 0},
        {"level", LR_CFG_T_STR, offsetof(log_parse, level), false, "info", 0, 0},
    };
    if (lr_cfg_apply(node, fields, LR_CFG_COUNT(fields), &p, "log", err)) return -1;
    int format = lr_log_format_parse(p.format), level = lr_log_level_parse(p.level);
    if (format < 0)
        return lr_cfg_fail(err, lr_cfg_get(node, "format"),
                           "log.format '%s' is not one of: json, text", p.format);
    if (level < 0)
        return lr_cfg_fail(err, lr_cfg_get(node, "level"),
                           "log.level '%s' is not one of: debug, info, warn, error", p.level);
    out->format = (lr_log_format)format;
    out->level = (lr_log_level)level;
    return 0;
}

static int parse_http(const lr_cfg_node *node, lr_http_config *h, lr_err *err) {
    if (!node) return 0; /* off */
    const lr_cfg_field fields[] = {
        {"address", LR_CFG_T_STR, offsetof(lr_http_config, address), false, "127.0.0.1"},
        {"port", LR_CFG_T_INT, offsetof(lr_http_config, port), false, "9464", 1, 65535},
        {"health_timeout", LR_CFG_T_DURATION, offsetof(lr_http_config, health_timeout_ms), false,
         "10s"},
        {"enable_reload", LR_CFG_T_BOOL, offsetof(lr_http_config, enable_reload), false, "false"},
    };
    if (lr_cfg_apply(node, fields, LR_CFG_COUNT(fields), h, "http", err)) return -1;
    if (h->health_timeout_ms < 1000 || h->health_timeout_ms > 3600000)
        return lr_cfg_fail(err, lr_cfg_get(node, "health_timeout"),
                           "http.health_timeout must be between 1s and 1h");
    h->enabled = true;
    return 0;
}

/* Every `regex:` of the file together stays within LR_REGEX_MAX_TOTAL_COST
 * (predicate.h): each pattern alone is bounded where its condition is
 * parsed, but a file of many costly ones would still add up. One walk over
 * the tree, before any is compiled; the error names the pattern that goes
 * over. A pattern refused on its own is left to its condition's parser. */
static int regex_budget(const lr_cfg_node *n, size_t *total, lr_err *err) {
    if (n->kind == LR_CFG_SCALAR) return 0;
    for (size_t i = 0; i < n->n; i++) {
        const lr_cfg_node *v = n->items[i];
        if (n->kind == LR_CFG_MAP && strcmp(n->keys[i], "regex") == 0 &&
            v->kind == LR_CFG_SCALAR) {
            const char *p = v->scalar;
            size_t cost = 0;
            char why[96];
            if (!lr_regex_check(strncmp(p, "(?i)", 4) ? p : p + 4, &cost, why, sizeof(why)) &&
                (*total += cost) > LR_REGEX_MAX_TOTAL_COST)
                return lr_cfg_fail(err, v, "the regexes of this file expand to more than %d "
                                   "atom copies together (each '+' doubles its operand, {n,m} "
                                   "copies it): simplify them", LR_REGEX_MAX_TOTAL_COST);
        } else if (regex_budget(v, total, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static lr_config *finish(lr_cfg_doc *doc, lr_err *err) {
    if (!doc) return NULL;
    lr_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg) abort();
    cfg->doc = doc;
    cfg->tz = lr_tz_db_new(NULL);
    const lr_cfg_node *root = lr_cfg_root(doc);
    size_t regex_total = 0;
    if (check_sections(root, err) || regex_budget(root, &regex_total, err) ||
        parse_kafka(lr_cfg_get(root, "kafka"), &cfg->kafka, err) ||
        parse_http(lr_cfg_get(root, "http"), &cfg->http, err) ||
        lr_alerts_config_parse(lr_cfg_get(root, "alerts"), &cfg->alerts, err) ||
        parse_log(lr_cfg_get(root, "log"), &cfg->log, err))
        goto fail;
    if (!(cfg->rules.score = lr_score_config_parse(lr_cfg_get(root, "scoring"), err))) goto fail;
    if (!(cfg->rules.qualify = lr_qualify_config_parse(lr_cfg_get(root, "qualification"), err)))
        goto fail;
    int64_t window = lr_qualify_duplicate_window_ms(cfg->rules.qualify);
    if (cfg->kafka.lead_domains_memory_ms && cfg->kafka.lead_domains_memory_ms < window) {
        lr_cfg_fail(err, lr_cfg_get(lr_cfg_get(root, "kafka"), "lead_domains_memory"),
                    "kafka.lead_domains_memory (%lld ms) is shorter than "
                    "qualification.duplicate_window (%lld ms): stage 1 must remember a lead "
                    "for at least its duplicate window",
                    (long long)cfg->kafka.lead_domains_memory_ms, (long long)window);
        goto fail;
    }
    if (!(cfg->rules.route = lr_route_config_parse(root, cfg->tz, err))) goto fail;
    if (!lr_route_team_count(cfg->rules.route) && !lr_route_rep_count(cfg->rules.route)) {
        /* an empty or truncated file would otherwise pass `check` and then send
         * every lead to nurture or the dead-letter topic */
        lr_err_set(err, LR_ERR_FATAL, "%s:1: the configuration routes nothing: no teams and no "
                   "reps", root->file);
        goto fail;
    }
    if (!(cfg->rules.sla = lr_sla_config_parse(lr_cfg_get(root, "sla"), cfg->tz, cfg->rules.qualify,
                                         cfg->rules.route, err)))
        goto fail;
    return cfg;
fail:
    lr_config_free(cfg);
    return NULL;
}

lr_config *lr_config_load(const char *path, lr_err *err) {
    return finish(lr_cfg_load(path, err), err);
}

lr_config *lr_config_load_string(const char *name, const char *yaml, lr_err *err) {
    return finish(lr_cfg_load_string(name, yaml, err), err);
}

/* ---- what a reload cannot change -------------------------------------------- */

static bool same_str(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_props(const lr_kafka_config *a, const lr_kafka_config *b) {
    if (a->n_props != b->n_props) return false;
    for (size_t i = 0; i < a->n_props; i++)
        if (!same_str(a->prop_keys[i], b->prop_keys[i]) ||
            !same_str(a->prop_values[i], b->prop_values[i]))
            return false;
    return true;
}

static bool same_http(const lr_http_config *a, const lr_http_config *b) {
    return a->enabled == b->enabled &&
           (!a->enabled || (same_str(a->address, b->address) && a->port == b->port &&
                            a->health_timeout_ms == b->health_timeout_ms &&
                            a->enable_reload == b->enable_reload));
}

/* The webhook senders copy their settings at start (router/webhook/). */
static bool same_alerts(const lr_alerts_config *a, const lr_alerts_config *b) {
    if (a->n_webhooks != b->n_webhooks || a->queue_size != b->queue_size ||
        a->retry_initial_ms != b->retry_initial_ms || a->retry_max_ms != b->retry_max_ms ||
        a->give_up_after_ms != b->give_up_after_ms || a->drain_timeout_ms != b->drain_timeout_ms)
        return false;
    for (size_t i = 0; i < a->n_webhooks; i++) {
        const lr_webhook_config *x = &a->webhooks[i], *y = &b->webhooks[i];
        if (!same_str(x->url, y->url) || x->kinds != y->kinds || x->format != y->format ||
            x->timeout_ms != y->timeout_ms)
            return false;
    }
    return true;
}

/* Every setting read once at start belongs here: the live adapter's, the
 * HTTP listener's (it is started before the run and keeps its socket) and
 * the webhook senders'. */
size_t lr_config_restart_keys(const lr_config *running, const lr_config *loaded,
                              bool skip_transactional_id, const char **names, size_t max) {
    const lr_kafka_config *a = &running->kafka, *b = &loaded->kafka;
    const lr_kafka_topics *ta = &a->topics, *tb = &b->topics;
    const lr_kafka_schema_ids *ia = &a->schema_ids, *ib = &b->schema_ids;
    struct {
        const char *name;
        bool same;
    } keys[] = {
        {"kafka.properties", same_props(a, b)},
        {"kafka.group_id", same_str(a->group_id, b->group_id)},
        {"kafka.processing", a->processing == b->processing},
        {"kafka.transactional_id",
         skip_transactional_id || same_str(a->transactional_id, b->transactional_id)},
        {"kafka.commit_interval", a->commit_interval_ms == b->commit_interval_ms},
        {"kafka.commit_max_messages", a->commit_max_messages == b->commit_max_messages},
        {"kafka.topics",
         same_str(ta->leads, tb->leads) && same_str(ta->sales_activity, tb->sales_activity) &&
             same_str(ta->assignments, tb->assignments) && same_str(ta->nurture, tb->nurture) &&
             same_str(ta->status, tb->status) && same_str(ta->alerts, tb->alerts) &&
             same_str(ta->dead_letter, tb->dead_letter) && same_str(ta->state, tb->state) &&
             same_str(ta->repartition, tb->repartition) &&
             same_str(ta->lead_domains, tb->lead_domains)},
        {"kafka.schema_ids", ia->lead == ib->lead && ia->sales_activity == ib->sales_activity &&
                                 ia->decision == ib->decision && ia->status == ib->status &&
                                 ia->alert == ib->alert},
        {"kafka.max_message_bytes", a->max_message_bytes == b->max_message_bytes},
        {"kafka.lead_domains_memory", a->lead_domains_memory_ms == b->lead_domains_memory_ms},
        {"http", same_http(&running->http, &loaded->http)},
        {"alerts", same_alerts(&running->alerts, &loaded->alerts)},
    };
    size_t n = 0;
    for (size_t i = 0; i < LR_CFG_COUNT(keys); i++)
        if (!keys[i].same) {
            if (n < max) names[n] = keys[i].name;
            n++;
        }
    return n;
}

void lr_config_free(lr_config *cfg) {
    if (!cfg) return;
    if (cfg->rules.sla) lr_sla_config_free(cfg->rules.sla);
    if (cfg->rules.route) lr_route_config_free(cfg->rules.route);
    if (cfg->rules.qualify) lr_qualify_config_free(cfg->rules.qualify);
    if (cfg->rules.score) lr_score_config_free(cfg->rules.score);
    free(cfg->kafka.prop_keys);
    free(cfg->kafka.prop_values);
    free(cfg->alerts.webhooks);
    lr_tz_db_free(cfg->tz);
    lr_cfg_free(cfg->doc);
    free(cfg);
}
