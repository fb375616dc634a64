/* small_stack.c — first calls on threads with small stacks.  kjit compiles
 * a function (or loads it from the code cache) on the thread that first
 * calls it, and LLVM needs far more stack than such a thread has: threads
 * made with 16 KiB (PTHREAD_STACK_MIN), 32 and 64 KiB stacks, and one on
 * a stack the program allocated itself (pthread_attr_setstack), each
 * first-call functions with loops, a recursive one and one taking many
 * arguments.  Natively they fit; each result is checked against main's. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

__attribute__((noinline)) static long loops(long n) {
    long s = 0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < 8; j++) s += (i * j) % 7;
    return s;
}

__attribute__((noinline)) static long depth(int n) { return n == 0 ? 0 : 1 + depth(n - 1); }

__attribute__((noinline)) static double many(int a, double b, long c, float d, int e, double f,
                                             long g, int h, double i, long j) {
    return a + b + (double)c + d + e + f + (double)g + h + i + (double)j;
}

typedef struct job {
    int k;
    long loops, depth;
    double many;
} job;

__attribute__((noinline)) static void *run(void *arg) {
    job *w = arg;
    w->loops = loops(100 + w->k);
    w->depth = depth(50);
    w->many = many(w->k, 1.5, 2, 2.5f, 3, 3.5, 4, 5, 5.5, 6);
    return NULL;
}

static long loops_ref(long n) {
    long s = 0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < 8; j++) s += (i * j) % 7;
    return s;
}

int main(void) {
    size_t sizes[] = {PTHREAD_STACK_MIN, 32768, 65536};
    for (int k = 0; k < 3; k++)
        if (sizes[k] < (size_t)PTHREAD_STACK_MIN) sizes[k] = PTHREAD_STACK_MIN;
    job jobs[4];
    for (int k = 0; k < 4; k++) jobs[k] = (job){.k = k};
    for (int k = 0; k < 3; k++) {
        pthread_attr_t at;
        pthread_attr_init(&at);
        CHECK_EQ(pthread_attr_setstacksize(&at, sizes[k]), 0);
        pthread_t t;
        CHECK_EQ(pthread_create(&t, &at, run, &jobs[k]), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
        pthread_attr_destroy(&at);
    }
    size_t own = 65536;
    void *mem = NULL;
    CHECK_EQ(posix_memalign(&mem, 4096, own), 0);
    pthread_attr_t at;
    pthread_attr_init(&at);
    CHECK_EQ(pthread_attr_setstack(&at, mem, own), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, &at, run, &jobs[3]), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&at);
    free(mem);
    for (int k = 0; k < 4; k++) {
        CHECK_EQ(jobs[k].loops, loops_ref(100 + k));
        CHECK_EQ(jobs[k].depth, 50);
        CHECK(jobs[k].many == k + 33.0);
        printf("thread %d: %ld %ld %.1f\n", k, jobs[k].loops, jobs[k].depth, jobs[k].many);
    }
    return check_done();
}
