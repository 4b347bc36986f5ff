/* worker.c - see worker.h. A mutex and two condition variables; the busy
 * flag is also atomic so that the main loop can look at it every turn
 * without taking the lock. */
#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct lr_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t has_work, done;
    lr_worker_fn fn;
    void *arg;
    atomic_bool busy;
    bool quit;
};

static void *worker_main(void *p) {
    lr_worker *w = p;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->fn && !w->quit) pthread_cond_wait(&w->has_work, &w->mu);
        if (!w->fn) break; /* quit, nothing in hand */
        lr_worker_fn fn = w->fn;
        void *arg = w->arg;
        pthread_mutex_unlock(&w->mu);
        fn(arg);
        pthread_mutex_lock(&w->mu);
        w->fn = NULL;
        atomic_store(&w->busy, false);
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

lr_worker *lr_worker_new(void) {
    lr_worker *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->has_work, NULL);
    pthread_cond_init(&w->done, NULL);
    atomic_init(&w->busy, false);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_cond_destroy(&w->done);
        pthread_cond_destroy(&w->has_work);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void lr_worker_start(lr_worker *w, lr_worker_fn fn, void *arg) {
    pthread_mutex_lock(&w->mu);
    while (w->fn) pthread_cond_wait(&w->done, &w->mu); /* misuse: wait rather than lose it */
    w->fn = fn;
    w->arg = arg;
    atomic_store(&w->busy, true);
    pthread_cond_signal(&w->has_work);
    pthread_mutex_unlock(&w->mu);
}

bool lr_worker_busy(lr_worker *w) { return atomic_load(&w->busy); }

void lr_worker_wait(lr_worker *w) {
    pthread_mutex_lock(&w->mu);
    while (w->fn) pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

void lr_worker_free(lr_worker *w) {
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    while (w->fn) pthread_cond_wait(&w->done, &w->mu);
    w->quit = true;
    pthread_cond_signal(&w->has_work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->has_work);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
