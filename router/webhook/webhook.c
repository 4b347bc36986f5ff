/* webhook.c - staging, queues and the senders; see webhook.h. The body of
 * a delivery is built in webhook_body.c. */
#include "webhook_int.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static void count(_Atomic uint64_t *c, int64_t n) {
    atomic_fetch_add_explicit(c, (uint64_t)n, memory_order_relaxed);
}

/* ---- one attempt ------------------------------------------------------------------ */

typedef enum { SENT, RETRY, GIVE_UP } outcome;

static size_t discard_body(char *p, size_t size, size_t n, void *ctx) {
    (void)p;
    (void)ctx;
    return size * n;
}

static outcome attempt(wh_sink *s, const wh_item *it) {
    char body[2048], key[300];
    size_t len = lr_webhook_body(it, s->cfg.format, body, sizeof(body));
    snprintf(key, sizeof(key), "Idempotency-Key: %s", it->event_id);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, key);
    curl_easy_setopt(s->curl, CURLOPT_URL, s->cfg.url);
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, (long)s->cfg.timeout_ms);
    curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "lead-router/" LR_VERSION);
    curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, discard_body);
    CURLcode rc = curl_easy_perform(s->curl);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) return RETRY; /* refused, timed out, reset: try again */
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return SENT;
    if (status >= 500 || status == 408 || status == 429) return RETRY;
    return GIVE_UP; /* the sink refuses this alert: asking again would not help */
}

/* Waits ms on the sink's condition; false when it is time to stop. */
static bool backoff(wh_sink *s, int64_t ms) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stop_now && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0) {}
    bool go_on = !s->stop_now;
    pthread_mutex_unlock(&s->lock);
    return go_on;
}

/* Delivers one item: retried with doubling waits until it is sent, refused,
 * past give_up_after, or the sender must stop. */
/* A delivery given up, once per alert (rare; never per lead in steady
 * state). The sink by its index: a URL may hold a token. */
static void gave_up(wh_sink *s, const wh_item *it, const char *why) {
    count(&s->w->counts.failed, 1);
    lr_log_kv(LR_LOG_WARN, "webhook: delivery given up", LR_LOG_STR("reason", why),
              LR_LOG_INT("sink", s - s->w->sinks), LR_LOG_STR("event_id", it->event_id));
}

static void deliver(wh_sink *s, const wh_item *it) {
    const lr_alerts_config *c = &s->w->cfg;
    int64_t first = mono_ms(), wait = c->retry_initial_ms;
    for (;;) {
        outcome o = attempt(s, it);
        if (o == SENT) return count(&s->w->counts.sent, 1);
        if (o == GIVE_UP) return gave_up(s, it, "refused (4xx)");
        if (mono_ms() - first >= c->give_up_after_ms)
            return gave_up(s, it, "still failing after alerts.give_up_after");
        count(&s->w->counts.retried, 1);
        if (!backoff(s, wait)) return gave_up(s, it, "stopped with alerts.drain_timeout over");
        wait = wait * 2 > c->retry_max_ms ? c->retry_max_ms : wait * 2;
    }
}

static void *sender(void *arg) {
    wh_sink *s = arg;
    wh_item it;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (s->n == 0 && !s->stopping) pthread_cond_wait(&s->wake, &s->lock);
        if (s->n == 0 || s->stop_now) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        it = s->ring[s->head];
        pthread_mutex_unlock(&s->lock);
        deliver(s, &it);
        pthread_mutex_lock(&s->lock);
        s->head = (s->head + 1) % s->cap; /* popped once handled: the queue gauge counts it */
        s->n--;
        pthread_mutex_unlock(&s->lock);
        count(&s->w->counts.queued, -1);
    }
    return NULL;
}

/* ---- start and stop --------------------------------------------------------------- */

static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

lr_webhook *lr_webhook_new(const lr_alerts_config *cfg, lr_err *err) {
    if (!cfg->n_webhooks) return NULL;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init); /* not thread-safe itself: once, before any sender */
    lr_webhook *w = calloc(1, sizeof(*w));
    if (!w) abort();
    w->cfg = *cfg;
    w->cfg.webhooks = NULL;
    w->n_sinks = cfg->n_webhooks;
    w->sinks = calloc(w->n_sinks, sizeof(wh_sink));
    w->stage_cap = (size_t)cfg->queue_size;
    w->stage = calloc(w->stage_cap, sizeof(wh_item));
    if (!w->sinks || !w->stage) abort();
    for (size_t i = 0; i < w->n_sinks; i++) {
        wh_sink *s = &w->sinks[i];
        s->w = w;
        s->cfg = cfg->webhooks[i];
        if (!(s->cfg.url = strdup(cfg->webhooks[i].url))) abort();
        s->cap = (size_t)cfg->queue_size;
        if (!(s->ring = calloc(s->cap, sizeof(wh_item)))) abort();
        pthread_mutex_init(&s->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->wake, &ca);
        pthread_condattr_destroy(&ca);
        if (!(s->curl = curl_easy_init()) ||
            pthread_create(&s->thread, NULL, sender, s) != 0) {
            lr_err_set(err, LR_ERR_FATAL, "alerts.webhooks: cannot start the sender of %s",
                       s->cfg.url);
            lr_webhook_free(w);
            return NULL;
        }
        s->started = true;
    }
    return w;
}

void lr_webhook_free(lr_webhook *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_sinks; i++) { /* drain: the senders end when empty */
        pthread_mutex_lock(&w->sinks[i].lock);
        w->sinks[i].stopping = true;
        pthread_cond_signal(&w->sinks[i].wake);
        pthread_mutex_unlock(&w->sinks[i].lock);
    }
    int64_t deadline = mono_ms() + w->cfg.drain_timeout_ms;
    for (size_t i = 0; i < w->n_sinks; i++) {
        wh_sink *s = &w->sinks[i];
        if (!s->started) continue;
        for (;;) {
            pthread_mutex_lock(&s->lock);
            bool empty = s->n == 0;
            if (!empty && mono_ms() >= deadline) { /* no more waiting: interrupt retries */
                s->stop_now = true;
                pthread_cond_signal(&s->wake);
            }
            bool go = empty || s->stop_now;
            pthread_mutex_unlock(&s->lock);
            if (go) break;
            struct timespec t = {0, 20 * 1000000};
            nanosleep(&t, NULL);
        }
        pthread_join(s->thread, NULL);
        count(&w->counts.failed, (int64_t)s->n); /* left undelivered */
    }
    for (size_t i = 0; i < w->n_sinks; i++) {
        wh_sink *s = &w->sinks[i];
        if (s->curl) curl_easy_cleanup(s->curl);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
        free(s->ring);
        free((char *)s->cfg.url);
    }
    free(w->sinks);
    free(w->stage);
    free(w);
}

const lr_webhook_counts *lr_webhook_counts_get(const lr_webhook *w) { return &w->counts; }

/* ---- processing thread ------------------------------------------------------------ */

void lr_webhook_stage(lr_webhook *w, const lr_alert *a) {
    uint32_t sinks = 0;
    for (size_t i = 0; i < w->n_sinks; i++)
        if (w->sinks[i].cfg.kinds & (1u << a->kind)) sinks |= 1u << i;
    if (!sinks) return;
    if (w->n_staged == w->stage_cap) {
        count(&w->counts.dropped, __builtin_popcount(sinks));
        return;
    }
    wh_item *it = &w->stage[w->n_staged++];
    LR_COPY_CUT(it->event_id, a->event_id);
    lr_copy_cut(it->lead_id, sizeof(it->lead_id), a->lead_id.s, a->lead_id.len);
    LR_COPY_CUT(it->policy, a->policy);
    LR_COPY_CUT(it->tier, a->tier);
    LR_COPY_CUT(it->team, a->team);
    LR_COPY_CUT(it->owner, a->owner);
    LR_COPY_CUT(it->addressed_to, a->addressed_to);
    LR_COPY_CUT(it->action, a->action);
    it->kind = a->kind;
    it->step = a->step;
    it->assigned_at = a->assigned_at;
    it->due_at = a->due_at;
    it->fired_at = a->fired_at;
    it->late_by_ms = a->late_by_ms;
    it->sinks = sinks;
}

void lr_webhook_seal(lr_webhook *w) { w->n_sealed = w->n_staged; }

void lr_webhook_release(lr_webhook *w) {
    size_t n = w->n_sealed;
    if (!n) return;
    for (size_t i = 0; i < w->n_sinks; i++) {
        wh_sink *s = &w->sinks[i];
        int64_t added = 0, dropped = 0;
        pthread_mutex_lock(&s->lock);
        for (size_t k = 0; k < n; k++) {
            if (!(w->stage[k].sinks & (1u << i))) continue;
            if (s->n == s->cap) {
                dropped++;
                continue;
            }
            s->ring[(s->head + s->n) % s->cap] = w->stage[k];
            s->n++;
            added++;
        }
        if (added) pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        count(&w->counts.queued, added);
        count(&w->counts.dropped, dropped);
        if (dropped) /* once per commit at most */
            lr_log_kv(LR_LOG_WARN, "webhook: queue full, alerts dropped",
                      LR_LOG_INT("sink", (int64_t)i), LR_LOG_INT("dropped", dropped));
    }
    memmove(w->stage, w->stage + n, (w->n_staged - n) * sizeof(wh_item));
    w->n_staged -= n;
    w->n_sealed = 0;
}

void lr_webhook_discard(lr_webhook *w) {
    w->n_staged = 0;
    w->n_sealed = 0;
}
