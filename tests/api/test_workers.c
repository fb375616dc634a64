/*
 * test_workers.c — several background compiler threads at once
 * (kjit_options.compile_threads = 4): 200 T0 functions become hot together,
 * each is compiled at T2 exactly once, all stubs end at T2 code, and every
 * result is right before, during and after.  (On a machine of 2 cores the
 * default is one thread: this forces the concurrent case.)
 */
#include "api_test.h"

int main(void) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = KJIT_MODE_TIERED;
    o.hot_threshold = 5;
    o.compile_threads = 4;
    kjit *jit;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    enum { N = 200 };
    static t_fn defs[N];
    char name[32];
    t_define_weighted(jit, defs, N);
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(name, sizeof name, "w%d", i);
            double (*f)(double, double) = (double (*)(double, double))kjit_address(jit, name);
            CHECK(f(1, 2) == i + 1 + 4);
        }
    }
    kjit_drain(jit);
    int at_t2 = 0, once = 0;
    for (int i = 0; i < N; i++) {
        kjit_fn_info info;
        snprintf(name, sizeof name, "w%d", i);
        CHECK(kjit_fn_info_get(jit, name, &info) == KJIT_OK);
        at_t2 += info.state == KJIT_FN_T2;
        once += atomic_load(&defs[i].calls) == 1;
        CHECK(((double (*)(double, double))kjit_address(jit, name))(3, 4) == i + 3 + 8);
    }
    CHECK(at_t2 == N);
    CHECK(once == N);
    kjit_stats st;
    kjit_get_stats(jit, &st);
    CHECK(st.compiled_t2 == N && st.t2_failed == 0);
    printf("%llu compiler threads\n", (unsigned long long)st.compile_threads);
    CHECK(st.compile_threads >= 2 && st.compile_threads <= 4);
    kjit_destroy(jit);
    return t_done("test_workers");
}
