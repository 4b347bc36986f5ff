/* demo.c - see demo.h. */
#include "demo.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "codec.h"
#include "config.h"
#include "gen.h"
#include "kafka.h"
#include "serve.h"

extern const char lr_example_config[]; /* docs/lead-router.example.yaml, built in */

/* Tuesday 2026-11-17 15:00 UTC: business hours in Europe and North America at
 * once, so the demo shows routing across both territories. */
#define DEMO_SIM_START 1794927600000LL

typedef struct pending {
    lr_time_ms due;
    lr_sales_kind kind;
    char lead_id[LR_MAX_ID_LEN + 1];
    char rep[64];
    char assignment_id[128];
    const char *reason;
    double value;
    uint64_t n;
} pending;

typedef struct demo {
    const lr_demo_opts *o;
    lr_config *cfg;
    rd_kafka_t *host;              /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mock;
    const char *bootstraps;
    lr_time_ms real_start;
    volatile sig_atomic_t router_stop;
    pthread_mutex_t lock;
    pending *heap;                 /* min-heap of scheduled sales activities by due */
    size_t n_heap, cap_heap;
    uint64_t rng, n_scheduled;
    uint64_t produced_leads, produced_broken, produced_duplicates, produced_sales;
    uint64_t duplicates_seen, reassigned;
} demo;

static lr_time_ms real_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (lr_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static lr_time_ms sim_clock(void *ctx) {
    demo *d = ctx;
    return DEMO_SIM_START + (lr_time_ms)((double)(real_ms() - d->real_start) * d->o->speed);
}

static uint64_t next_rand(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(next_rand(s) >> 11) / 9007199254740992.0; }

/* ---- scheduled sales activity (simulated reps) ---------------------------- */

static bool heap_less(const pending *a, const pending *b) {
    return a->due < b->due || (a->due == b->due && a->n < b->n);
}

static void heap_push(demo *d, const pending *p) {
    if (d->n_heap == d->cap_heap) {
        d->cap_heap = d->cap_heap ? d->cap_heap * 2 : 256;
        d->heap = realloc(d->heap, d->cap_heap * sizeof(*d->heap));
        if (!d->heap) abort();
    }
    size_t i = d->n_heap++;
    d->heap[i] = *p;
    d->heap[i].n = d->n_scheduled++;
    while (i > 0 && heap_less(&d->heap[i], &d->heap[(i - 1) / 2])) {
        pending t = d->heap[i];
        d->heap[i] = d->heap[(i - 1) / 2];
        d->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static bool heap_pop_due(demo *d, lr_time_ms now, pending *out) {
    if (d->n_heap == 0 || d->heap[0].due > now) return false;
    *out = d->heap[0];
    d->heap[0] = d->heap[--d->n_heap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < d->n_heap && heap_less(&d->heap[l], &d->heap[m])) m = l;
        if (r < d->n_heap && heap_less(&d->heap[r], &d->heap[m])) m = r;
        if (m == i) break;
        pending t = d->heap[i];
        d->heap[i] = d->heap[m];
        d->heap[m] = t;
        i = m;
    }
    return true;
}

/* A rep answers an assignment: most touch it in time, some late enough to
 * breach a hot lead's 15 minutes, a few never; then accept, reject or convert. */
static void simulate_rep(demo *d, const lr_decision *dec) {
    static const char *const reasons[] = {"bad_fit", "no_budget", "wrong_territory", "duplicate"};
    double u = uniform(&d->rng);
    if (u < 0.15) return; /* never answers: the SLA ladder takes over */
    pending p = {0};
    snprintf(p.lead_id, sizeof(p.lead_id), "%s", dec->lead_id.s);
    snprintf(p.rep, sizeof(p.rep), "%s", dec->rep);
    snprintf(p.assignment_id, sizeof(p.assignment_id), "%s", dec->event_id);
    lr_time_ms t = dec->decided_at + (lr_time_ms)(60e3 + uniform(&d->rng) * 25 * 60e3);
    p.due = t;
    p.kind = LR_SALES_CONTACTED;
    heap_push(d, &p);
    p.due = t + (lr_time_ms)(uniform(&d->rng) * 10 * 60e3);
    double v = uniform(&d->rng);
    if (v < 0.6) {
        p.kind = LR_SALES_ACCEPTED;
        heap_push(d, &p);
        if (v < 0.25) {
            p.due += (lr_time_ms)(uniform(&d->rng) * 20 * 60e3);
            p.kind = LR_SALES_CONVERTED;
            p.value = 5000 + (double)(next_rand(&d->rng) % 95000);
            heap_push(d, &p);
        }
    } else if (v < 0.85) {
        p.kind = LR_SALES_REJECTED;
        p.reason = reasons[next_rand(&d->rng) % 4];
        heap_push(d, &p);
    }
}

/* ---- printing ------------------------------------------------------------------ */

static void hhmmss(lr_time_ms t, char *buf, size_t n) {
    time_t s = (time_t)(t / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, n, "%H:%M:%S", &tm);
}

static const char *reason_of(const lr_decision *dec, lr_reason_kind k, bool want_detail) {
    for (uint32_t i = 0; i < dec->n_reasons; i++)
        if (dec->reasons[i].kind == k)
            return want_detail ? dec->reasons[i].detail : dec->reasons[i].rule;
    return NULL;
}

static void print_decision(const lr_decision *dec) {
    char t[16];
    hhmmss(dec->decided_at, t, sizeof(t));
    printf("%s %-10s %-19s %-5s %6.1f", t, dec->lead_id.s, lr_stage_name(dec->stage),
           dec->tier ? dec->tier : "-", dec->score);
    if (dec->stage == LR_STAGE_SALES_READY) {
        char dest[128], why[256];
        snprintf(dest, sizeof(dest), "%s/%s", dec->team ? dec->team : "-",
                 dec->rep ? dec->rep : dec->queue ? dec->queue : "-");
        /* "rule X; strategy; why", skipping the parts a decision does not have */
        const char *parts[4];
        size_t n = 0, off = 0;
        const char *rule = reason_of(dec, LR_REASON_ROUTING_RULE, false);
        char rule_text[96];
        if (rule) {
            snprintf(rule_text, sizeof(rule_text), "rule %s", rule);
            parts[n++] = rule_text;
        }
        const char *strategy = reason_of(dec, LR_REASON_STRATEGY, true);
        if (strategy) parts[n++] = strategy;
        if (dec->cause == LR_CAUSE_SLA_REASSIGN) parts[n++] = "reassigned after SLA breach";
        else if (reason_of(dec, LR_REASON_ACCOUNT_OWNER, false)) parts[n++] = "account owner";
        else if (reason_of(dec, LR_REASON_PREVIOUS_OWNER, false)) parts[n++] = "previous owner";
        if (!dec->rep) parts[n++] = "queued";
        why[0] = '\0';
        for (size_t i = 0; i < n && off < sizeof(why); i++)
            off += (size_t)snprintf(why + off, sizeof(why) - off, "%s%s", i ? "; " : "", parts[i]);
        printf("  -> %-28s %s", dest, why);
    }
    putchar('\n');
}

static void print_alert(const lr_alert *a) {
    char t[16], due[16];
    hhmmss(a->fired_at, t, sizeof(t));
    hhmmss(a->due_at, due, sizeof(due));
    printf("%s %-10s SLA %-15s %-5s policy %s, owner %s, due %s%s%s (%+.1f s)\n", t, a->lead_id.s,
           lr_alert_kind_name(a->kind), a->tier ? a->tier : "-", a->policy,
           a->owner ? a->owner : "-", due, a->addressed_to ? ", to " : "",
           a->addressed_to ? a->addressed_to : "", (double)a->late_by_ms / 1000.0);
}

static void observe(void *ctx, const lr_event *ev) {
    demo *d = ctx;
    switch (ev->kind) {
    case LR_EVENT_DECISION: {
        const lr_decision *dec = &ev->u.decision;
        if (dec->cause == LR_CAUSE_SLA_REASSIGN) d->reassigned++;
        if (!d->o->quiet) print_decision(dec);
        if (dec->stage == LR_STAGE_SALES_READY && dec->rep) {
            pthread_mutex_lock(&d->lock);
            simulate_rep(d, dec);
            pthread_mutex_unlock(&d->lock);
        }
        break;
    }
    case LR_EVENT_ALERT:
        if (!d->o->quiet) print_alert(&ev->u.alert);
        break;
    case LR_EVENT_STATUS:
        if (ev->u.status.status == LR_STATUS_DUPLICATE) d->duplicates_seen++;
        break;
    }
}

/* ---- the generator thread -------------------------------------------------------- */

static rd_kafka_t *demo_producer(demo *d, lr_err *err) {
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", d->bootstraps, NULL, 0);
    rd_kafka_conf_set(conf, "socket.nagle.disable", "true", NULL, 0);
    rd_kafka_conf_set(conf, "linger.ms", "5", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) lr_err_set(err, LR_ERR_FATAL, "demo producer: %s", errstr);
    return rk;
}

static void send_msg(rd_kafka_t *rk, const char *topic, const void *key, size_t klen,
                 const void *val, size_t vlen) {
    while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, klen),
                             RD_KAFKA_V_VALUE((void *)val, vlen),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 10);
}

/* Moves a generated lead to the simulated present, activities included. */
static void shift_to(lr_lead *lead, lr_time_ms now) {
    lr_time_ms delta = now - lead->event_time;
    lead->event_time += delta;
    for (uint32_t i = 0; i < lead->n_activities; i++) lead->activities[i].at += delta;
}

typedef struct gen_ctx {
    demo *d;
    rd_kafka_t *rk;
    lr_codec *codec;
} gen_ctx;

/* The simulated reps' answers that fell due by sim_now, as sales activity. */
static void send_due_sales(gen_ctx *g, lr_time_ms sim_now, lr_buf *buf) {
    demo *d = g->d;
    const lr_kafka_topics *t = &d->cfg->kafka.topics;
    pending p;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        bool got = heap_pop_due(d, sim_now, &p);
        pthread_mutex_unlock(&d->lock);
        if (!got) break;
        char act_id[160];
        snprintf(act_id, sizeof(act_id), "%s:%s:%s", p.lead_id, lr_sales_kind_name(p.kind),
                 p.rep);
        lr_sales_activity a = {0};
        a.activity_id = (lr_str){act_id, (uint32_t)strlen(act_id)};
        a.lead_id = (lr_str){p.lead_id, (uint32_t)strlen(p.lead_id)};
        a.kind = p.kind;
        a.rep_id = (lr_str){p.rep, (uint32_t)strlen(p.rep)};
        a.occurred_at = p.due;
        a.assignment_id = (lr_str){p.assignment_id, (uint32_t)strlen(p.assignment_id)};
        if (p.reason) a.reason = (lr_str){p.reason, (uint32_t)strlen(p.reason)};
        if (p.kind == LR_SALES_CONVERTED) {
            a.has_value = true;
            a.opportunity_value = p.value;
        }
        lr_buf_reset(buf);
        lr_codec_encode_sales(g->codec, &a, buf);
        send_msg(g->rk, t->sales_activity, a.lead_id.s, a.lead_id.len, buf->data, buf->len);
        d->produced_sales++;
    }
}

static void *generator(void *arg) {
    gen_ctx *g = arg;
    demo *d = g->d;
    const lr_kafka_topics *t = &d->cfg->kafka.topics;
    lr_gen *gen = lr_gen_new(d->o->seed, DEMO_SIM_START, d->o->leads_per_second / d->o->speed);
    lr_arena arena;
    lr_arena_init(&arena, 64 * 1024);
    lr_buf buf, prev;
    lr_buf_init(&buf);
    lr_buf_init(&prev);
    char prev_key[LR_MAX_ID_LEN + 1] = "";
    lr_lead lead;
    uint64_t n = 0;
    for (;;) {
        lr_time_ms elapsed = real_ms() - d->real_start;
        if ((d->o->stop && *d->o->stop) || elapsed >= (lr_time_ms)(d->o->seconds * 1000)) break;
        lr_time_ms sim_now = sim_clock(d);
        uint64_t target = (uint64_t)((double)elapsed / 1000.0 * d->o->leads_per_second);
        while (n < target) {
            n++;
            if (n % 97 == 0) { /* not Avro at all */
                static const char junk[] = "{\"lead_id\": \"this is JSON, not Avro\"}";
                send_msg(g->rk, t->leads, "junk", 4, junk, sizeof(junk) - 1);
                d->produced_broken++;
                continue;
            }
            if (n % 41 == 0 && prev.len) { /* marketing sent the same lead again */
                send_msg(g->rk, t->leads, prev_key, strlen(prev_key), prev.data, prev.len);
                d->produced_duplicates++;
                continue;
            }
            lr_arena_reset(&arena);
            lr_gen_next_lead(gen, &lead, &arena);
            shift_to(&lead, sim_now);
            if (n % 113 == 0) { /* decodes, but breaks the contract */
                lead.lead_id = (lr_str){"", 0};
                d->produced_broken++;
            } else {
                d->produced_leads++;
            }
            lr_buf_reset(&buf);
            lr_codec_encode_lead(g->codec, &lead, &buf);
            send_msg(g->rk, t->leads, lead.lead_id.s, lead.lead_id.len, buf.data, buf.len);
            if (lead.lead_id.len) {
                lr_buf_reset(&prev);
                lr_buf_append(&prev, buf.data, buf.len);
                snprintf(prev_key, sizeof(prev_key), "%s", lead.lead_id.s);
            }
        }
        send_due_sales(g, sim_now, &buf);
        rd_kafka_poll(g->rk, 0);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    rd_kafka_flush(g->rk, 5000);
    /* give the router a moment to drain what is in flight, then stop it */
    struct timespec ts = {0, 500 * 1000 * 1000};
    nanosleep(&ts, NULL);
    d->router_stop = 1;
    lr_gen_free(gen);
    lr_buf_free(&buf);
    lr_buf_free(&prev);
    lr_arena_destroy(&arena);
    return NULL;
}

/* ---- setup ---------------------------------------------------------------------- */

static int start_mock(demo *d, lr_err *err) {
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    d->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!d->host) {
        lr_err_set(err, LR_ERR_FATAL, "mock cluster host: %s", errstr);
        return -1;
    }
    d->mock = rd_kafka_mock_cluster_new(d->host, 1);
    if (!d->mock) {
        lr_err_set(err, LR_ERR_FATAL, "cannot start librdkafka's mock cluster");
        return -1;
    }
    d->bootstraps = rd_kafka_mock_cluster_bootstraps(d->mock);
    const lr_kafka_topics *t = &d->cfg->kafka.topics;
    const char *topics[] = {t->leads,  t->sales_activity, t->assignments, t->nurture,
                            t->status, t->alerts,         t->dead_letter, t->state};
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
        rd_kafka_mock_topic_create(d->mock, topics[i], 3, 1);
    return 0;
}

static void print_summary(demo *d, const lr_kafka_stats *s, const char *kpi) {
    json_t *o = json_object();
    json_object_set_new(o, "leads_in", json_integer((json_int_t)s->leads_in));
    json_object_set_new(o, "assigned", json_integer((json_int_t)s->assigned));
    json_object_set_new(o, "queued", json_integer((json_int_t)s->queued));
    json_object_set_new(
        o, "nurtured",
        json_integer((json_int_t)(s->by_stage[LR_STAGE_MARKETING_QUALIFIED] +
                                  s->by_stage[LR_STAGE_NURTURE])));
    json_object_set_new(o, "disqualified",
                        json_integer((json_int_t)s->by_stage[LR_STAGE_DISQUALIFIED]));
    json_object_set_new(o, "dead_lettered", json_integer((json_int_t)s->dead_lettered));
    json_object_set_new(o, "duplicates", json_integer((json_int_t)d->duplicates_seen));
    json_object_set_new(o, "reassigned", json_integer((json_int_t)d->reassigned));
    json_object_set_new(o, "sales_activities_in", json_integer((json_int_t)s->sales_in));
    json_object_set_new(o, "alerts", json_integer((json_int_t)s->alerts));
    json_object_set_new(o, "status_events", json_integer((json_int_t)s->statuses));
    json_object_set_new(o, "simulated_minutes",
                        json_real((double)(sim_clock(d) - DEMO_SIM_START) / 60000.0));
    json_object_set_new(o, "speed", json_real(d->o->speed));
    json_t *k = kpi ? json_loads(kpi, 0, NULL) : NULL;
    if (k) {
        /* one line a person can read: per-campaign figures stay in replay's summary */
        json_object_del(k, "by_campaign");
        json_object_set_new(o, "kpi", k);
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    printf("%s\n", text);
    free(text);
    json_decref(o);
}

/* The dashboard on the config's http section, else on 127.0.0.1:9464, else
 * on a port the system picks; its address is the demo's first line. */
static int start_dashboard(demo *d, lr_serve *serve, lr_err *err) {
    lr_http_config *h = &d->cfg->http;
    bool fixed = h->enabled;
    if (!fixed) {
        h->enabled = true;
        h->address = "127.0.0.1";
        h->port = 9464;
        h->health_timeout_ms = 10000;
    }
    if (lr_serve_start(serve, d->o->config_path, d->cfg, NULL, NULL, err) != 0) {
        if (fixed) return -1;
        *err = (lr_err){0};
        h->port = 0; /* 9464 taken (another demo, a real router): any free port */
        if (lr_serve_start(serve, d->o->config_path, d->cfg, NULL, NULL, err) != 0) return -1;
    }
    printf("demo: dashboard at http://%s:%d/\n", h->address, lr_http_port(serve->http));
    fflush(stdout);
    return 0;
}

/* A person's summary: a few lines to read at a glance before the JSON one. */
static void print_table(demo *d, const lr_kafka_stats *s, lr_metrics *m) {
    printf("\n%-28s %8s\n", "leads by stage", "leads");
    for (int st = 0; st < LR_STAGE__COUNT; st++)
        printf("  %-26s %8llu\n", lr_stage_name((lr_stage)st),
               (unsigned long long)s->by_stage[st]);
    printf("  %-26s %8llu\n  %-26s %8llu\n", "queued (no rep free)",
           (unsigned long long)s->queued, "dead-lettered", (unsigned long long)s->dead_lettered);
    lr_metrics_print_summary(m, stdout);
}

int lr_demo_run(const lr_demo_opts *o, lr_err *err) {
    demo d = {0};
    d.o = o;
    d.rng = o->seed ^ 0x5eedULL;
    pthread_mutex_init(&d.lock, NULL);
    int rc = 1;
    d.cfg = o->config_path ? lr_config_load(o->config_path, err)
                           : lr_config_load_string("<built-in example config>",
                                                   lr_example_config, err);
    if (!d.cfg) goto out;
    /* the mock cluster has no real transactions (see docs/operations.md) */
    d.cfg->kafka.processing = LR_PROCESSING_AT_LEAST_ONCE;
    if (start_mock(&d, err)) goto out;
    const lr_kafka_config *kc = &d.cfg->kafka;
    lr_codec_ids ids = {(int32_t)kc->schema_ids.lead, (int32_t)kc->schema_ids.sales_activity,
                        (int32_t)kc->schema_ids.decision, (int32_t)kc->schema_ids.status,
                        (int32_t)kc->schema_ids.alert};
    gen_ctx g = {.d = &d};
    g.codec = lr_codec_new(&ids, (size_t)kc->max_message_bytes, err);
    if (!g.codec) goto out;
    g.rk = demo_producer(&d, err);
    if (!g.rk) {
        lr_codec_free(g.codec);
        goto out;
    }
    lr_serve serve;
    if (start_dashboard(&d, &serve, err)) {
        rd_kafka_destroy(g.rk);
        lr_codec_free(g.codec);
        goto out;
    }
    if (!o->quiet)
        printf("demo: embedded Kafka at %s, simulated clock from 2026-11-17 15:00 UTC at %gx, "
               "%g leads/s for %g s\n",
               d.bootstraps, o->speed, o->leads_per_second, o->seconds);
    const char *extra[] = {"bootstrap.servers", d.bootstraps, "session.timeout.ms", "6000",
                           "log_level", "3", NULL};
    d.real_start = real_ms();
    pthread_t th;
    pthread_create(&th, NULL, generator, &g);
    lr_kafka_stats stats;
    char *kpi = NULL;
    lr_kafka_opts ko = {.cfg = d.cfg, .clock = sim_clock, .clock_ctx = &d, .observe = observe,
                        .observe_ctx = &d, .stop = &d.router_stop, .quiet = true,
                        .extra_props = extra, .kpi_json_out = &kpi,
                        .metrics = serve.metrics, .board = serve.board,
                        .webhooks = serve.webhooks};
    rc = lr_kafka_run(&ko, &stats, err);
    d.router_stop = 1;
    if (o->stop) *o->stop = 1; /* ends the generator if the router ended first */
    pthread_join(th, NULL);
    if (rc == 0 && !o->quiet) print_table(&d, &stats, serve.metrics);
    if (rc == 0) print_summary(&d, &stats, kpi);
    lr_serve_stop(&serve);
    free(kpi);
    rd_kafka_destroy(g.rk);
    lr_codec_free(g.codec);
out:
    if (d.mock) rd_kafka_mock_cluster_destroy(d.mock);
    if (d.host) rd_kafka_destroy(d.host);
    lr_config_free(d.cfg);
    free(d.heap);
    pthread_mutex_destroy(&d.lock);
    return rc;
}
