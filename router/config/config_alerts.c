/* config_alerts.c - the `alerts:` section: webhook sinks for SLA alerts
 * (config.h, docs/configuration.md "alerts"). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "config.h"
#include "event.h"

static int parse_kinds(const lr_cfg_node *n, unsigned *kinds, lr_err *err) {
    static const char *const names[] = {"warning", "breach", "escalation"};
    *kinds = (1u << LR_ALERT_WARNING) | (1u << LR_ALERT_BREACH) | (1u << LR_ALERT_ESCALATION);
    if (!n) return 0;
    if (lr_cfg_expect(n, LR_CFG_SEQ, "alerts.webhooks[].kinds", err)) return -1;
    if (n->n == 0) return lr_cfg_fail(err, n, "alerts.webhooks[].kinds is empty: list one of "
                                              "warning, breach, escalation, or leave it out");
    *kinds = 0;
    for (size_t i = 0; i < n->n; i++) {
        const lr_cfg_node *k = n->items[i];
        size_t j = 0;
        while (j < LR_CFG_COUNT(names) &&
               !(k->kind == LR_CFG_SCALAR && strcmp(k->scalar, names[j]) == 0))
            j++;
        if (j == LR_CFG_COUNT(names))
            return lr_cfg_fail(err, k, "unknown alert kind '%s' (known: warning, breach, "
                               "escalation)", k->kind == LR_CFG_SCALAR ? k->scalar : "?");
        *kinds |= 1u << j;
    }
    return 0;
}

typedef struct hook_parse {
    lr_webhook_config w;
    const char *format;
    const lr_cfg_node *kinds;
} hook_parse;

static int parse_hook(const lr_cfg_node *n, lr_webhook_config *out, lr_err *err) {
    hook_parse p = {0};
    const lr_cfg_field fields[] = {
        {"url", LR_CFG_T_STR, offsetof(hook_parse, w.url), true, NULL},
        {"kinds", LR_CFG_T_NODE, offsetof(hook_parse, kinds), false, NULL},
        {"format", LR_CFG_T_STR, offsetof(hook_parse, format), false, "json"},
        {"timeout", LR_CFG_T_DURATION, offsetof(hook_parse, w.timeout_ms), false, "5s"},
    };
    if (lr_cfg_expect(n, LR_CFG_MAP, "alerts.webhooks[]", err) ||
        lr_cfg_apply(n, fields, LR_CFG_COUNT(fields), &p, "alerts.webhooks[]", err))
        return -1;
    if (strncmp(p.w.url, "http://", 7) != 0 && strncmp(p.w.url, "https://", 8) != 0)
        return lr_cfg_fail(err, lr_cfg_get(n, "url"),
                           "alerts.webhooks[].url must start with http:// or https://");
    if (strcmp(p.format, "json") == 0) p.w.format = LR_WEBHOOK_JSON;
    else if (strcmp(p.format, "slack") == 0) p.w.format = LR_WEBHOOK_SLACK;
    else
        return lr_cfg_fail(err, lr_cfg_get(n, "format"),
                           "alerts.webhooks[].format must be json or slack, not '%s'", p.format);
    if (p.w.timeout_ms < 100 || p.w.timeout_ms > 120000)
        return lr_cfg_fail(err, lr_cfg_get(n, "timeout"),
                           "alerts.webhooks[].timeout must be between 100ms and 2m");
    if (parse_kinds(p.kinds, &p.w.kinds, err)) return -1;
    *out = p.w;
    return 0;
}

typedef struct alerts_parse {
    lr_alerts_config a;
    const lr_cfg_node *webhooks;
} alerts_parse;

int lr_alerts_config_parse(const lr_cfg_node *node, lr_alerts_config *out, lr_err *err) {
    alerts_parse p = {0};
    const lr_cfg_field fields[] = {
        {"webhooks", LR_CFG_T_NODE, offsetof(alerts_parse, webhooks), false, NULL},
        {"queue_size", LR_CFG_T_INT, offsetof(alerts_parse, a.queue_size), false, "10000", 1,
         1000000},
        {"retry_initial", LR_CFG_T_DURATION, offsetof(alerts_parse, a.retry_initial_ms), false,
         "500ms"},
        {"retry_max", LR_CFG_T_DURATION, offsetof(alerts_parse, a.retry_max_ms), false, "30s"},
        {"give_up_after", LR_CFG_T_DURATION, offsetof(alerts_parse, a.give_up_after_ms), false,
         "1h"},
        {"drain_timeout", LR_CFG_T_DURATION, offsetof(alerts_parse, a.drain_timeout_ms), false,
         "5s"},
    };
    if (lr_cfg_apply(node, fields, LR_CFG_COUNT(fields), &p, "alerts", err)) return -1;
    if (p.a.retry_initial_ms < 10 || p.a.retry_max_ms < p.a.retry_initial_ms)
        return lr_cfg_fail(err, lr_cfg_get(node, "retry_max") ? lr_cfg_get(node, "retry_max")
                                                                : node,
                           "alerts: retry_initial must be at least 10ms and retry_max at least "
                           "retry_initial");
    if (p.webhooks) {
        if (lr_cfg_expect(p.webhooks, LR_CFG_SEQ, "alerts.webhooks", err)) return -1;
        if (p.webhooks->n > 32) /* a 32-bit mask says which sinks want an alert */
            return lr_cfg_fail(err, p.webhooks, "alerts.webhooks: at most 32 sinks");
        p.a.webhooks = calloc(p.webhooks->n + 1, sizeof(lr_webhook_config));
        if (!p.a.webhooks) abort();
        p.a.n_webhooks = p.webhooks->n;
        for (size_t i = 0; i < p.webhooks->n; i++)
            if (parse_hook(p.webhooks->items[i], &p.a.webhooks[i], err)) {
                free(p.a.webhooks);
                return -1;
            }
    }
    *out = p.a;
    return 0;
}
