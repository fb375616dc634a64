/* tls.c — thread-local variables: _Thread_local with a non-zero
 * initialiser, a zero one and an array, each pthread seeing its own copy
 * (initialised, at its own address), changed in JIT'd functions. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

_Thread_local int tls_counter = 42;
_Thread_local long tls_zero;
static _Thread_local char tls_name[16] = "init";

#define NTHREADS 4

struct result {
    int counter_at_start;
    long zero_at_start;
    char name_at_start[16];
    int counter;
    long zero;
    char name[16];
    uintptr_t addr;
};
static struct result results[NTHREADS + 1];

__attribute__((noinline)) static void bump(int by) {
    tls_counter += by;
    tls_zero += by * 2;
}

__attribute__((noinline)) int *counter_addr(void) { return &tls_counter; }

static void work(int id) {
    struct result *r = &results[id];
    r->counter_at_start = tls_counter;
    r->zero_at_start = tls_zero;
    memcpy(r->name_at_start, tls_name, sizeof tls_name);
    snprintf(tls_name, sizeof tls_name, "thread%d", id);
    for (int i = 0; i < 1000 * (id + 1); i++) bump(id + 1);
    r->counter = tls_counter;
    r->zero = tls_zero;
    memcpy(r->name, tls_name, sizeof tls_name);
    r->addr = (uintptr_t)counter_addr();
    CHECK(counter_addr() == &tls_counter);
}

static pthread_barrier_t barrier;

static void *thread_main(void *arg) {
    int id = (int)(intptr_t)arg;
    /* All threads alive at once, so their TLS blocks are all live. */
    pthread_barrier_wait(&barrier);
    work(id);
    pthread_barrier_wait(&barrier);
    return NULL;
}

int main(void) {
    pthread_t t[NTHREADS];
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (int i = 1; i <= NTHREADS; i++)
        CHECK(pthread_create(&t[i - 1], NULL, thread_main, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    /* The main thread's copy is untouched by the others. */
    CHECK_EQ(tls_counter, 42);
    CHECK_EQ(tls_zero, 0);
    CHECK(strcmp(tls_name, "init") == 0);
    work(0);
    for (int i = 0; i <= NTHREADS; i++) {
        struct result *r = &results[i];
        CHECK_EQ(r->counter_at_start, 42);
        CHECK_EQ(r->zero_at_start, 0);
        CHECK(strcmp(r->name_at_start, "init") == 0);
        CHECK_EQ(r->counter, 42 + (i + 1) * 1000 * (i + 1));
        CHECK_EQ(r->zero, 2L * (i + 1) * 1000 * (i + 1));
        for (int j = 0; j < i; j++) CHECK(results[j].addr != r->addr);
        printf("thread %d: counter %d, zero %ld, name %s\n", i, r->counter, r->zero, r->name);
    }
    printf("main after: counter %d, name %s\n", tls_counter, tls_name);
    return check_done();
}
