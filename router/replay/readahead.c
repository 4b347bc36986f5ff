/* readahead.c - see replay.h (lr_replay_readahead).
 *
 * Why: reading and parsing a line costs about as much as one core deciding
 * it, so on a machine with two CPUs a diff or a replay of a large file runs
 * up to twice as fast when the reading happens on a thread of its own. The
 * reader fills a ring of slots, each with its own arena; the slot handed out
 * is given back at the next call, which keeps its strings valid until then,
 * as the source contract says. One mutex and two condition variables, taken
 * once per batch, not per event (signalled only when the other side waits:
 * a wake-up is a system call); no allocation once the ring exists. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define SLOTS 256
#define BATCH 32 /* events the reader parses between two looks at the lock */

typedef struct slot {
    lr_json_input ev;
    lr_arena arena;
    long pos;
    int status; /* as next() returns it */
    lr_err err;
} slot;

struct lr_replay_readahead {
    lr_replay_source inner;
    slot *ring;
    size_t head, tail; /* under lock: slots given back / slots filled */
    size_t mine, seen;  /* the consumer's: next slot to hand out, tail as last seen */
    bool handed, stop, done, reader_waits, consumer_waits;
    pthread_mutex_t lock;
    pthread_cond_t filled, freed;
    pthread_t thread;
};

static void *reader(void *arg) {
    lr_replay_readahead *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while (r->tail - r->head == SLOTS && !r->stop) {
            r->reader_waits = true;
            pthread_cond_wait(&r->freed, &r->lock);
            r->reader_waits = false;
        }
        bool stop = r->stop;
        size_t room = SLOTS - (r->tail - r->head), at = r->tail;
        pthread_mutex_unlock(&r->lock);
        if (stop) return NULL;
        size_t k = 0;
        int status = 0;
        while (k < room && k < BATCH && status == 0) {
            slot *s = &r->ring[(at + k++) % SLOTS];
            status = s->status = r->inner.next(r->inner.ctx, &s->ev, &s->arena, &s->pos, &s->err);
        }
        pthread_mutex_lock(&r->lock);
        r->tail += k;
        if (r->consumer_waits) pthread_cond_signal(&r->filled);
        pthread_mutex_unlock(&r->lock);
        if (status != 0) return NULL; /* the end, or an error: nothing after it */
    }
}

static int next(void *ctx, lr_json_input *ev, lr_arena *arena, long *pos, lr_err *err) {
    (void)arena;
    lr_replay_readahead *r = ctx;
    if (r->done) return 1;
    if (r->handed) r->mine++;
    r->handed = false;
    if (r->mine == r->seen) {
        pthread_mutex_lock(&r->lock);
        r->head = r->mine;
        if (r->reader_waits) pthread_cond_signal(&r->freed);
        while (r->tail == r->mine) {
            r->consumer_waits = true;
            pthread_cond_wait(&r->filled, &r->lock);
            r->consumer_waits = false;
        }
        r->seen = r->tail;
        pthread_mutex_unlock(&r->lock);
    }
    slot *s = &r->ring[r->mine % SLOTS];
    if (s->status != 0) {
        r->done = true;
        if (s->status < 0) *err = s->err;
        return s->status;
    }
    memcpy(ev, &s->ev, sizeof(*ev));
    *pos = s->pos;
    r->handed = true;
    return 0;
}

lr_replay_readahead *lr_replay_readahead_new(const lr_replay_source *inner, lr_replay_source *out) {
    lr_replay_readahead *r = calloc(1, sizeof(*r));
    r->inner = *inner;
    r->ring = calloc(SLOTS, sizeof(*r->ring));
    for (size_t i = 0; i < SLOTS; i++) lr_arena_init(&r->ring[i].arena, 16 * 1024);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->filled, NULL);
    pthread_cond_init(&r->freed, NULL);
    if (pthread_create(&r->thread, NULL, reader, r) != 0) abort();
    *out = (lr_replay_source){.name = inner->name, .next = next, .ctx = r};
    return r;
}

void lr_replay_readahead_free(lr_replay_readahead *r) {
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->freed);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    for (size_t i = 0; i < SLOTS; i++) lr_arena_destroy(&r->ring[i].arena);
    free(r->ring);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->filled);
    pthread_cond_destroy(&r->freed);
    free(r);
}
