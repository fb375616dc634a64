/*
 * test_osr.c — on-stack replacement of loops running at T0.
 *
 * The function: sum(n) = sum over i = 0 .. n-1 of i * k, for a constant k
 * fixed by the definition.  Its T0 entry runs the loop in C with a frame
 * {i, acc, n} and calls kjit_backedge at every back-edge; its OSR generator
 * writes `double entry(kjit_value *frame)`, the same loop resumed from the
 * frame.  Checked:
 *   - in tiered mode with a low threshold (t2_sync), a long call leaves T0
 *     inside the loop (osr_entries counts it) and returns the right sum;
 *   - a top-level run (kjit_backedge with NULL) is replaced the same way;
 *   - interp mode never compiles an entry;
 *   - redefinition while other threads run the loop (some in OSR code): each
 *     result is the sum for some k the thread could have seen, never an
 *     older one than the last it saw; replaced entries are reclaimed.
 */
#include <pthread.h>
#include <time.h>

#include "api_test.h"

typedef struct sum_def {
    double k;
    kjit_fn *self; /* NULL for a top-level run */
    double n;      /* top-level runs: the count */
} sum_def;

static atomic_int t0_backedges;

static kjit_value t0_sum(void *user, const kjit_value *args) {
    const sum_def *d = user;
    kjit_value frame[3] = {{.d = 0}, {.d = 0}, {.d = args ? args[0].d : d->n}};
    for (;;) {
        frame[1].d += frame[0].d * d->k;
        frame[0].d += 1;
        if (!(frame[0].d < frame[2].d)) break;
        atomic_fetch_add(&t0_backedges, 1);
        kjit_value r;
        if (kjit_backedge(d->self, 0, 1, frame, &r)) return r;
    }
    return frame[1];
}

/* double entry(ptr frame): resume the loop after a back-edge. */
static int osr_sum(void *user, LLVMModuleRef mod, const char *symbol, int loop, char *err,
                   size_t len) {
    const sum_def *d = user;
    if (loop != 0) {
        snprintf(err, len, "no loop %d", loop);
        return 1;
    }
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c), ptr = LLVMPointerTypeInContext(c, 0);
    LLVMTypeRef i64 = LLVMInt64TypeInContext(c);
    LLVMValueRef f = LLVMAddFunction(mod, symbol, LLVMFunctionType(dbl, &ptr, 1, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c, f, "entry");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c, f, "body");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c, f, "done");
    LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef fr = LLVMGetParam(f, 0);
    LLVMValueRef slot[3];
    for (int i = 0; i < 3; i++) {
        LLVMValueRef idx = LLVMConstInt(i64, (unsigned)i, 0);
        slot[i] = LLVMBuildLoad2(b, dbl, LLVMBuildGEP2(b, dbl, fr, &idx, 1, ""), "");
    }
    LLVMBuildBr(b, body);
    LLVMPositionBuilderAtEnd(b, body);
    LLVMValueRef i = LLVMBuildPhi(b, dbl, "i"), acc = LLVMBuildPhi(b, dbl, "acc");
    LLVMValueRef acc1 = LLVMBuildFAdd(b, acc, LLVMBuildFMul(b, i, LLVMConstReal(dbl, d->k), ""), "");
    LLVMValueRef i1 = LLVMBuildFAdd(b, i, LLVMConstReal(dbl, 1), "");
    LLVMBuildCondBr(b, LLVMBuildFCmp(b, LLVMRealOLT, i1, slot[2], ""), body, done);
    LLVMValueRef iv[] = {slot[0], i1}, av[] = {slot[1], acc1};
    LLVMBasicBlockRef from[] = {entry, body};
    LLVMAddIncoming(i, iv, from, 2);
    LLVMAddIncoming(acc, av, from, 2);
    LLVMPositionBuilderAtEnd(b, done);
    LLVMBuildRet(b, acc1);
    LLVMDisposeBuilder(b);
    return 0;
}

static double expect(double k, double n) { return k * n * (n - 1) / 2; }

static kjit *make(kjit_mode mode, int64_t hot, int sync) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    o.hot_threshold = hot;
    o.t2_sync = sync;
    kjit *jit = NULL;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    return jit;
}

static kjit_status define_sum(kjit *jit, sum_def *d, kjit_release rel) {
    kjit_def def;
    kjit_def_init(&def);
    def.sig = "d(d)";
    def.t0 = t0_sum;
    def.osr = osr_sum;
    def.user = d;
    def.release = rel;
    d->self = kjit_fn_get(jit, "sum");
    return kjit_define_ex(jit, "sum", &def);
}

static void test_function_and_top(void) {
    kjit *jit = make(KJIT_MODE_TIERED, 100, 1);
    static sum_def d = {.k = 3};
    CHECK(define_sum(jit, &d, NULL) == KJIT_OK);
    double (*sum)(double) = (double (*)(double))kjit_address(jit, "sum");
    atomic_store(&t0_backedges, 0);
    CHECK(sum(1e6) == expect(3, 1e6));
    /* Left T0 once hot: 1 entry + 99 back-edges; the rest ran compiled. */
    CHECK(atomic_load(&t0_backedges) == 99);
    kjit_stats st;
    kjit_get_stats(jit, &st);
    CHECK(st.osr_compiled == 1 && st.osr_entries == 1);
    /* The next call (no generator: it stays at T0) takes the entry at its
     * first back-edge. */
    atomic_store(&t0_backedges, 0);
    CHECK(sum(1000) == expect(3, 1000));
    kjit_fn_info info;
    CHECK(kjit_fn_info_get(jit, "sum", &info) == KJIT_OK && info.state == KJIT_FN_T0);
    CHECK(atomic_load(&t0_backedges) == 1);
    kjit_get_stats(jit, &st);
    CHECK(st.osr_compiled == 1 && st.osr_entries == 2);

    /* A top-level run: kjit_backedge(NULL, ...). */
    static sum_def top = {.k = 5, .n = 1e6};
    kjit_def def;
    kjit_def_init(&def);
    def.sig = "d()";
    def.t0 = t0_sum;
    def.osr = osr_sum;
    def.user = &top;
    kjit_value r = {0};
    atomic_store(&t0_backedges, 0);
    CHECK(kjit_run_ex(jit, &def, &r) == KJIT_OK && r.d == expect(5, 1e6));
    CHECK(atomic_load(&t0_backedges) == 100); /* a run has no entry count */
    kjit_get_stats(jit, &st);
    CHECK(st.osr_compiled == 2 && st.osr_entries == 3);
    kjit_destroy(jit);

    /* interp: the loop stays at T0. */
    jit = make(KJIT_MODE_INTERP, 100, 1);
    CHECK(define_sum(jit, &d, NULL) == KJIT_OK);
    atomic_store(&t0_backedges, 0);
    CHECK(((double (*)(double))kjit_address(jit, "sum"))(1e4) == expect(3, 1e4));
    CHECK(atomic_load(&t0_backedges) == 1e4 - 1);
    kjit_get_stats(jit, &st);
    CHECK(st.osr_compiled == 0 && st.compiled == 0);
    kjit_destroy(jit);
}

/* Redefinition while loops run at T0 and in OSR entries. */
static atomic_int stop, bad;
static atomic_int released;
static void release_sum(void *p) {
    atomic_fetch_add(&released, 1);
    free(p);
}
static void *runner(void *arg) {
    kjit *jit = arg;
    kjit_thread_attach(jit);
    double (*sum)(double) = (double (*)(double))kjit_address(jit, "sum");
    double last_k = 0;
    while (!atomic_load(&stop)) {
        double n = 2e6; /* long enough at T0 for its entry to arrive */
        double v = sum(n);
        double k = v / expect(1, n); /* which definition answered */
        if (k != (double)(int64_t)k || k < last_k) atomic_store(&bad, 1);
        last_k = k;
        kjit_quiescent(jit);
    }
    kjit_thread_detach(jit);
    return NULL;
}

static void test_redefine(void) {
    kjit *jit = make(KJIT_MODE_TIERED, 50, 0);
    sum_def *d = calloc(1, sizeof *d);
    d->k = 1;
    CHECK(define_sum(jit, d, release_sum) == KJIT_OK);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&th[i], NULL, runner, jit) == 0);
    enum { N = 30 };
    kjit_stats st;
    for (int v = 2; v <= N; v++) {
        /* Let some loops of this definition reach their OSR entry. */
        for (int i = 0; i < 400; i++) {
            kjit_get_stats(jit, &st);
            if (st.osr_entries >= (uint64_t)v / 2) break;
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        d = calloc(1, sizeof *d);
        d->k = v;
        CHECK(define_sum(jit, d, release_sum) == KJIT_OK);
    }
    kjit_drain(jit);
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK(!atomic_load(&bad));
    CHECK(((double (*)(double))kjit_address(jit, "sum"))(10) == expect(N, 10));
    kjit_get_stats(jit, &st);
    CHECK(st.osr_entries >= N / 2 - 1); /* OSR happened across redefinitions */
    printf("redefine: %llu OSR entries compiled, %llu entered, %llu bytes reclaimed\n",
           (unsigned long long)st.osr_compiled, (unsigned long long)st.osr_entries,
           (unsigned long long)st.reclaimed_bytes);
    kjit_quiescent(jit);
    CHECK(atomic_load(&released) == N - 1);
    kjit_destroy(jit);
    CHECK(atomic_load(&released) == N);
}

int main(void) {
    test_function_and_top();
    test_redefine();
    return t_done("test_osr");
}
