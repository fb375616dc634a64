/*
 * test_threads.c — 8 threads race first calls on 1,000 uncompiled
 * functions.  Each function must be generated and compiled exactly once,
 * and every call must return that function's own result.
 */
#include <pthread.h>

#include "api_test.h"

#define NFN 1000
#define NTHREADS 8

static kjit *jit;
static t_fn fns[NFN];
static atomic_int wrong;

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    for (int j = 0; j < NFN; j++) {
        /* Different orders per thread, so first calls collide everywhere. */
        int i = (t % 2 == 0) ? (j * (2 * t + 1)) % NFN : NFN - 1 - j;
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        double (*f)(double) = (double (*)(double))kjit_address(jit, name);
        if (!f || f(2.0) != i + 2.0) atomic_fetch_add(&wrong, 1);
    }
    return NULL;
}

int main(void) {
    CHECK(kjit_create(NULL, &jit) == KJIT_OK);
    for (int i = 0; i < NFN; i++) {
        fns[i] = (t_fn){.types = "d", .k = i};
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        CHECK(kjit_define(jit, name, "d(d)", t_generate, &fns[i], NULL) == KJIT_OK);
    }
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    CHECK(atomic_load(&wrong) == 0);
    int once = 0;
    for (int i = 0; i < NFN; i++) once += atomic_load(&fns[i].calls) == 1;
    CHECK(once == NFN);
    kjit_stats s;
    kjit_get_stats(jit, &s);
    CHECK(s.compiled == NFN && s.ir_generated == NFN);
    kjit_destroy(jit);
    return t_done("test_threads");
}
