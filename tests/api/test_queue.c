/*
 * test_queue.c — the order of the T2 queue.
 *   - A function that gets hot while the compiler thread is busy, a moment
 *     after a large one did, is compiled at T2 before it: a long compile
 *     yields to what gets hot while it would run (kj_tier_enqueue).
 *   - Both are compiled in the end, and compute what they did at T1.
 * The compiler thread is held busy by a client transform of T2 that waits,
 * in the compile of a third function, until the two are queued; the same
 * transform records the order of T2's compiles.
 */
#include <pthread.h>
#include <time.h>

#include "api_test.h"

#define BIG_OPS 3000 /* (T1 code of 50 KB on aarch64, 220 on x86-64: a long compile expected) */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int held, released;
static char order[8][16];
static int norder;

/* Wait (holding mu) until *flag is set, or a minute has passed: never for
 * ever, so a failing test ends. */
static void wait_for(const int *flag) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    while (!*flag && pthread_cond_timedwait(&cv, &mu, &until) == 0) {
    }
}

/* The T2 transform: notes the order; holds the compile of "blocker". */
static int hold(void *user, LLVMModuleRef mod, const char *name, char *err, size_t len) {
    (void)user, (void)mod, (void)err, (void)len;
    pthread_mutex_lock(&mu);
    if (norder < 8) snprintf(order[norder++], sizeof order[0], "%s", name);
    if (strcmp(name, "blocker") == 0) {
        held = 1;
        pthread_cond_broadcast(&cv);
        wait_for(&released);
    }
    pthread_mutex_unlock(&mu);
    return 0;
}

/* big(x): x, then BIG_OPS times x = x * 0.5 + 1 (no pass folds it at -O0,
 * and LLVM does not reassociate floating point without fast-math). */
static int gen_big(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    (void)user, (void)err, (void)len;
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c);
    LLVMTypeRef ty = LLVMFunctionType(dbl, &dbl, 1, 0);
    LLVMValueRef f = LLVMAddFunction(mod, symbol, ty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef x = LLVMGetParam(f, 0);
    for (int i = 0; i < BIG_OPS; i++)
        x = LLVMBuildFAdd(b, LLVMBuildFMul(b, x, LLVMConstReal(dbl, 0.5), ""),
                          LLVMConstReal(dbl, 1.0), "");
    LLVMBuildRet(b, x);
    LLVMDisposeBuilder(b);
    return 0;
}

static double big_ref(double x) {
    for (int i = 0; i < BIG_OPS; i++) x = x * 0.5 + 1.0;
    return x;
}

/* The size of big's T1 object, from the trace. */
static _Atomic uint64_t big_t1_bytes;
static void on_event(void *user, const kjit_event *ev) {
    (void)user;
    if (ev->kind == KJIT_EV_COMPILED && strcmp(ev->name, "big") == 0 && strcmp(ev->tier, "T1") == 0)
        atomic_store(&big_t1_bytes, ev->bytes);
}

static int position(const char *name) {
    for (int i = 0; i < norder; i++)
        if (strcmp(order[i], name) == 0) return i;
    return -1;
}

int main(void) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = KJIT_MODE_TIERED;
    o.hot_threshold = 10;
    o.ahead = 0;
    o.compile_threads = 1; /* (a second thread would take big while the first is held) */
    o.cache = 0; /* (an earlier run's marks would start them at T2) */
    kjit *jit;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    CHECK(kjit_set_transform(jit, 2, hold, NULL) == KJIT_OK);
    kjit_set_trace(jit, on_event, NULL);

    static t_fn blk = {.types = "d", .k = 1}, sml = {.types = "d", .k = 2};
    CHECK(kjit_define(jit, "blocker", "d(d)", t_generate, &blk, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "small", "d(d)", t_generate, &sml, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "big", "d(d)", gen_big, NULL, NULL) == KJIT_OK);
    double (*blocker)(double) = (double (*)(double))kjit_address(jit, "blocker");
    double (*small)(double) = (double (*)(double))kjit_address(jit, "small");
    double (*big)(double) = (double (*)(double))kjit_address(jit, "big");

    /* T1 code for all three first: the queue's order knows each T1 object's
     * size. */
    CHECK(big(3) == big_ref(3));
    CHECK(small(3) == 3 + 2);
    printf("big: T1 object of %llu bytes\n", (unsigned long long)atomic_load(&big_t1_bytes));
    CHECK(atomic_load(&big_t1_bytes) > 40000);

    /* The compiler thread takes blocker, and waits in it. */
    for (int i = 0; i < 20; i++) CHECK(blocker(1) == 1 + 1);
    pthread_mutex_lock(&mu);
    wait_for(&held);
    CHECK(held);
    pthread_mutex_unlock(&mu);

    /* big gets hot, then small, while it waits. */
    for (int i = 0; i < 20; i++) CHECK(big(1) == big_ref(1));
    for (int i = 0; i < 20; i++) CHECK(small(1) == 1 + 2);

    pthread_mutex_lock(&mu);
    released = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    kjit_drain(jit);

    for (int i = 0; i < norder; i++) printf("T2 %d: %s\n", i, order[i]);
    CHECK(norder == 3);
    CHECK(position("blocker") == 0);
    CHECK(position("small") == 1);
    CHECK(position("big") == 2);
    kjit_fn_info info;
    CHECK(kjit_fn_info_get(jit, "big", &info) == KJIT_OK && info.state == KJIT_FN_T2);
    CHECK(kjit_fn_info_get(jit, "small", &info) == KJIT_OK && info.state == KJIT_FN_T2);
    CHECK(big(2) == big_ref(2));
    CHECK(small(2) == 2 + 2);

    kjit_destroy(jit);
    return t_done("test_queue");
}
