/*
 * extract.c — what copying one function out of a large module costs
 * (issue E1: at most 1 ms per function on Lua).
 *
 *   bench_extract MODULE.bc [RUNS]
 *
 * Adds the module to a JIT in lazy mode (no function is copied) and in
 * lazy-ir mode (every function is copied out at once: kj_wrap_extract,
 * written as bitcode, read back into the JIT's IR context and linked into
 * a module of its own), RUNS times each, and prints the medians and their
 * difference per function: the whole cost of one function's copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kjit.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double add_once(const char *path, kjit_mode mode, uint64_t *nfns) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    kjit *jit;
    if (kjit_create(&o, &jit) != KJIT_OK || kjit_llvm_load() != KJIT_OK) exit(1);
    double t = now_ms();
    if (kjit_add_module_file(jit, path) != KJIT_OK) {
        fprintf(stderr, "bench_extract: %s\n", kjit_errmsg());
        exit(1);
    }
    t = now_ms() - t;
    kjit_stats s;
    kjit_get_stats(jit, &s);
    *nfns = s.defined;
    kjit_destroy(jit);
    return t;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_extract MODULE.bc [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > 100) runs = 5;
    double lazy[100], ir[100];
    uint64_t n = 0;
    add_once(argv[1], KJIT_MODE_LAZY, &n); /* warm the file cache and LLVM */
    for (int i = 0; i < runs; i++) {
        lazy[i] = add_once(argv[1], KJIT_MODE_LAZY, &n);
        ir[i] = add_once(argv[1], KJIT_MODE_LAZY_IR, &n);
    }
    qsort(lazy, (size_t)runs, sizeof *lazy, cmp);
    qsort(ir, (size_t)runs, sizeof *ir, cmp);
    double l = lazy[runs / 2], c = ir[runs / 2];
    printf("{\"functions\": %llu, \"add_lazy_ms\": %.1f, \"add_lazy_ir_ms\": %.1f, "
           "\"per_function_ms\": %.3f}\n",
           (unsigned long long)n, l, c, (c - l) / (double)(n ? n : 1));
    return 0;
}
