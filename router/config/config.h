/* config.h - the whole configuration: the Kafka adapter's settings and the
 * decision core's rulebook, loaded from one YAML file and validated as a unit.
 * A configuration either loads completely or is refused with FILE:LINE. */
#ifndef LR_CONFIG_H
#define LR_CONFIG_H

#include "cfg.h"
#include "log.h"
#include "rulebook.h"
#include "rules.h"
#include "tzdb.h"

typedef enum lr_processing {
    LR_PROCESSING_EXACTLY_ONCE = 0,
    LR_PROCESSING_AT_LEAST_ONCE,
} lr_processing;

typedef struct lr_kafka_topics {
    const char *leads, *sales_activity;
    const char *assignments, *nurture, *status, *alerts, *dead_letter;
    const char *state;      /* compacted changelog of the decision state */
    const char *repartition; /* NULL: single instance; else leads by routing domain */
    const char *lead_domains; /* with repartition: stage 1's lead -> domain changelog */
    const char *roster, *account_owners; /* NULL: reps and owners from the YAML only */
} lr_kafka_topics;

typedef struct lr_kafka_schema_ids {
    int64_t lead, sales_activity, decision, status, alert;
    int64_t rep, account_owner;  /* the roster and account-owner topics */
} lr_kafka_schema_ids;

typedef struct lr_kafka_config {
    size_t n_props;
    const char **prop_keys, **prop_values; /* passed to librdkafka as they are */
    const char *group_id;
    lr_processing processing;
    const char *transactional_id;
    int64_t commit_interval_ms;
    int64_t commit_max_messages;
    lr_kafka_topics topics;
    lr_kafka_schema_ids schema_ids;
    int64_t max_message_bytes;
    /* with repartition: how long stage 1 remembers where a lead went, for
     * its sales activities; 0: the duplicate window */
    int64_t lead_domains_memory_ms;
} lr_kafka_config;

/* `log:`: format json | text (default text), level debug | info | warn |
 * error (default info). */
typedef struct lr_log_config {
    lr_log_format format;
    lr_log_level level;
} lr_log_config;

/* `http:` - the listener for /metrics, /healthz, /readyz (router/http/).
 * Off when the section is absent. */
typedef struct lr_http_config {
    bool enabled;               /* the section is present */
    const char *address;        /* listen address, default 127.0.0.1 */
    int64_t port;               /* default 9464 */
    int64_t health_timeout_ms;  /* /healthz: the loop turned within this; default 10s */
    bool enable_reload;         /* POST /-/reload; default false */
} lr_http_config;

/* `alerts:` - where SLA alerts go besides the alerts topic: webhook sinks
 * (router/webhook/, docs/operations.md "Webhooks"). No sinks when absent. */
typedef enum lr_webhook_format { LR_WEBHOOK_JSON = 0, LR_WEBHOOK_SLACK } lr_webhook_format;
typedef struct lr_webhook_config {
    const char *url;            /* http:// or https:// */
    unsigned kinds;             /* bit (1 << lr_alert_kind) set: sent; default all three */
    lr_webhook_format format;   /* json (the alert) or slack ({"text": ...}) */
    int64_t timeout_ms;         /* one attempt; default 5s */
} lr_webhook_config;
typedef struct lr_alerts_config {
    lr_webhook_config *webhooks; /* malloc'd; n_webhooks of them */
    size_t n_webhooks;
    int64_t queue_size;         /* deliveries waiting at most; default 10000 */
    int64_t retry_initial_ms;   /* first backoff; default 500ms, doubled per attempt */
    int64_t retry_max_ms;       /* backoff cap; default 30s */
    int64_t give_up_after_ms;   /* a delivery failing this long counts as failed; default 1h */
    int64_t drain_timeout_ms;   /* at shutdown, time left to deliver what waits; default 5s */
} lr_alerts_config;
/* Parses `alerts:` (NULL node: no sinks); config_alerts.c. */
struct lr_cfg_node;
int lr_alerts_config_parse(const struct lr_cfg_node *node, lr_alerts_config *a, lr_err *err);

typedef struct lr_config {
    lr_cfg_doc *doc;       /* every string below points into it */
    lr_tz_db *tz;
    lr_kafka_config kafka;
    lr_log_config log;
    lr_http_config http;
    lr_alerts_config alerts;
    lr_rulebook rules;     /* what the decision core is built from */
} lr_config;

/* Loads and validates; NULL with err->msg "FILE:LINE: ..." when anything is wrong. */
lr_config *lr_config_load(const char *path, lr_err *err);
lr_config *lr_config_load_string(const char *name, const char *yaml, lr_err *err);
void lr_config_free(lr_config *cfg);

/* A reload (docs/operations.md, "Reload"): the settings a running router
 * cannot change (everything under `kafka:`, `http:` and `alerts:`) that differ
 * between the running configuration and a newly loaded one. Returns how many
 * differ and puts the first `max` names ("kafka.topics", ..., "http",
 * "alerts") in names. With
 * skip_transactional_id, kafka.transactional_id is not compared (the command
 * line overrode it). */
size_t lr_config_restart_keys(const lr_config *running, const lr_config *loaded,
                              bool skip_transactional_id, const char **names, size_t max);

#endif
