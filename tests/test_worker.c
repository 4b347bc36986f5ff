/* test_worker.c - the commit thread: a call runs on another thread, busy
 * tells while it runs, wait returns only after it has, what it wrote is
 * seen after wait, and calls run one at a time in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "worker.h"

typedef struct job {
    atomic_bool release;    /* the call blocks until the test lets it go */
    pthread_t ran_on;
    int result;
    int seq;
    int *order;
    atomic_int *next;
} job;

static void blocking_call(void *arg) {
    job *j = arg;
    while (!atomic_load(&j->release)) usleep(100);
    j->ran_on = pthread_self();
    j->result = 42;
}

static void test_runs_elsewhere_and_reports_busy(void **s) {
    (void)s;
    lr_worker *w = lr_worker_new();
    assert_non_null(w);
    assert_false(lr_worker_busy(w));
    job j = {0};
    atomic_init(&j.release, false);
    lr_worker_start(w, blocking_call, &j);
    assert_true(lr_worker_busy(w));
    usleep(20000);
    assert_true(lr_worker_busy(w)); /* still held by the test */
    atomic_store(&j.release, true);
    lr_worker_wait(w);
    assert_false(lr_worker_busy(w));
    assert_int_equal(j.result, 42); /* written on the worker, seen here */
    assert_false(pthread_equal(j.ran_on, pthread_self()));
    lr_worker_free(w);
}

static void ordered_call(void *arg) {
    job *j = arg;
    j->order[atomic_fetch_add(j->next, 1)] = j->seq;
}

static void test_calls_run_one_at_a_time_in_order(void **s) {
    (void)s;
    lr_worker *w = lr_worker_new();
    int order[100];
    atomic_int next;
    atomic_init(&next, 0);
    job jobs[100];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < 100; i++) {
        jobs[i].seq = i;
        jobs[i].order = order;
        jobs[i].next = &next;
        lr_worker_start(w, ordered_call, &jobs[i]); /* waits for the previous one */
    }
    lr_worker_wait(w);
    assert_int_equal(atomic_load(&next), 100);
    for (int i = 0; i < 100; i++) assert_int_equal(order[i], i);
    lr_worker_free(w);
}

static void test_free_waits_for_the_call_in_hand(void **s) {
    (void)s;
    lr_worker *w = lr_worker_new();
    job j = {0};
    atomic_init(&j.release, true);
    lr_worker_start(w, blocking_call, &j);
    lr_worker_free(w);
    assert_int_equal(j.result, 42);
    lr_worker_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_elsewhere_and_reports_busy),
        cmocka_unit_test(test_calls_run_one_at_a_time_in_order),
        cmocka_unit_test(test_free_waits_for_the_call_in_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
