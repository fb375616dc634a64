/*
 * test_interrupt.c — kjit_interrupt stops running code at its next
 * safepoint in every tier, from another thread and from a signal handler:
 *   - a T0 loop (a C T0 entry that calls kjit_backedge), inside kjit_run_ex;
 *   - a compiled endless loop, in lazy, lazy-ir and eager modes (-O2) and
 *     in tiered mode at T1
 *     and, once hot, at T2 (the poll survives the optimiser);
 *   - a loop running at T0 that went on in its OSR entry;
 *   - from a SIGALRM handler.
 * Each time kjit_run returns KJIT_EINTR with "interrupted", and the JIT
 * goes on working: the next run returns its value.  An interrupt asked for
 * while nothing runs does not stop the next run.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "api_test.h"

static kjit *g_jit;

/* Interrupt g_jit after ms milliseconds, from a thread. */
static void *interrupter(void *arg) {
    struct timespec ts = {0, (long)(intptr_t)arg * 1000000L};
    nanosleep(&ts, NULL);
    kjit_interrupt(g_jit);
    return NULL;
}

static kjit_status run_interrupted(kjit_def *def, int by_signal) {
    pthread_t th;
    if (by_signal) {
        struct itimerval it = {{0, 0}, {0, 50000}};
        setitimer(ITIMER_REAL, &it, NULL);
    } else {
        pthread_create(&th, NULL, interrupter, (void *)(intptr_t)50);
    }
    kjit_value r;
    kjit_status st = kjit_run_ex(g_jit, def, &r);
    if (!by_signal) pthread_join(th, NULL);
    return st;
}

/* T0: an endless loop that reports its back-edges. */
static kjit_value t0_forever(void *user, const kjit_value *args) {
    (void)user, (void)args;
    kjit_value frame[1] = {{.d = 0}}, r;
    for (;;) {
        frame[0].d += 1;
        if (kjit_backedge(NULL, 0, 1, frame, &r)) return r;
    }
}

/* double sym(): an endless loop in IR; with `osr`, also the OSR entry
 * double sym(ptr frame) of the same loop. */
static int gen_forever(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    (void)user, (void)err, (void)len;
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c);
    LLVMValueRef f = LLVMAddFunction(mod, symbol, LLVMFunctionType(dbl, NULL, 0, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c, f, "entry");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c, f, "loop");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c, f, "done");
    LLVMPositionBuilderAtEnd(b, entry);
    LLVMBuildBr(b, loop);
    LLVMPositionBuilderAtEnd(b, loop);
    LLVMValueRef x = LLVMBuildPhi(b, dbl, "x");
    LLVMValueRef x1 = LLVMBuildFAdd(b, x, LLVMConstReal(dbl, 1), "");
    /* x + 1 > -1 is always true for x >= 0: the loop never ends. */
    LLVMBuildCondBr(b, LLVMBuildFCmp(b, LLVMRealOGT, x1, LLVMConstReal(dbl, -1), ""), loop, done);
    LLVMValueRef iv[] = {LLVMConstReal(dbl, 0), x1};
    LLVMBasicBlockRef ib[] = {entry, loop};
    LLVMAddIncoming(x, iv, ib, 2);
    LLVMPositionBuilderAtEnd(b, done);
    LLVMBuildRet(b, x1);
    LLVMDisposeBuilder(b);
    return 0;
}

static int osr_forever(void *user, LLVMModuleRef mod, const char *symbol, int loop, char *err,
                       size_t len) {
    (void)loop;
    /* The same endless loop: the frame is not needed to go on forever. */
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0);
    char inner[300];
    snprintf(inner, sizeof inner, "%s.loop", symbol);
    gen_forever(user, mod, inner, err, len);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c);
    LLVMValueRef f = LLVMAddFunction(mod, symbol, LLVMFunctionType(dbl, &ptr, 1, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef g = LLVMGetNamedFunction(mod, inner);
    LLVMBuildRet(b, LLVMBuildCall2(b, LLVMFunctionType(dbl, NULL, 0, 0), g, NULL, 0, ""));
    LLVMDisposeBuilder(b);
    return 0;
}

static kjit_value t0_value(void *user, const kjit_value *args) {
    (void)user, (void)args;
    return (kjit_value){.d = 42};
}

static void check_alive(void) {
    kjit_def d;
    kjit_def_init(&d);
    d.sig = "d()";
    d.t0 = t0_value;
    kjit_value r = {0};
    CHECK(kjit_run_ex(g_jit, &d, &r) == KJIT_OK && r.d == 42);
}

static kjit *make(kjit_mode mode, int64_t hot) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    o.hot_threshold = hot;
    o.t2_sync = 1;
    kjit *jit = NULL;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    g_jit = jit;
    return jit;
}

static void on_alarm(int sig) {
    (void)sig;
    kjit_interrupt(g_jit); /* async-signal-safe: a store */
}

int main(void) {
    signal(SIGALRM, on_alarm);
    kjit_def def;
    kjit_def_init(&def);
    def.sig = "d()";

    /* T0, interp mode: by a thread, then by a signal. */
    kjit *jit = make(KJIT_MODE_INTERP, 1000);
    def.t0 = t0_forever;
    for (int by_signal = 0; by_signal < 2; by_signal++) {
        CHECK(run_interrupted(&def, by_signal) == KJIT_EINTR);
        CHECK(strcmp(kjit_errmsg(), "interrupted") == 0);
        check_alive();
    }
    /* An interrupt while nothing runs is dropped. */
    kjit_interrupt(jit);
    check_alive();
    kjit_destroy(jit);

    /* Compiled code at -O2 (a thunk that calls the looping function), in
     * each mode that compiles: lazy, lazy-ir, eager. */
    static const kjit_mode compiled[] = {KJIT_MODE_LAZY, KJIT_MODE_LAZY_IR, KJIT_MODE_EAGER};
    static t_fn call_forever = {.types = "", .k = 0, .callee = "forever"};
    for (size_t m = 0; m < sizeof compiled / sizeof compiled[0]; m++) {
        jit = make(compiled[m], 1000);
        CHECK(kjit_define(jit, "forever", "d()", gen_forever, NULL, NULL) == KJIT_OK);
        kjit_def_init(&def);
        def.sig = "d()";
        def.gen = t_generate;
        def.user = &call_forever;
        for (int by_signal = 0; by_signal < 2; by_signal++) {
            CHECK(run_interrupted(&def, by_signal) == KJIT_EINTR);
            check_alive();
        }
        kjit_destroy(jit);
    }

    /* Tiered: the first run at T1, the next at T2 (hot=1, t2_sync). */
    jit = make(KJIT_MODE_TIERED, 1);
    CHECK(kjit_define(jit, "forever", "d()", gen_forever, NULL, NULL) == KJIT_OK);
    for (int i = 0; i < 2; i++) {
        CHECK(run_interrupted(&def, 0) == KJIT_EINTR);
        check_alive();
    }
    kjit_fn_info info;
    CHECK(kjit_fn_info_get(jit, "forever", &info) == KJIT_OK && info.state == KJIT_FN_T2);

    /* A top-level T0 loop that went on in its OSR entry. */
    kjit_def_init(&def);
    def.sig = "d()";
    def.t0 = t0_forever;
    def.osr = osr_forever;
    CHECK(run_interrupted(&def, 0) == KJIT_EINTR);
    kjit_stats st;
    kjit_get_stats(jit, &st);
    CHECK(st.osr_entries == 1);
    check_alive();
    kjit_destroy(jit);
    return t_done("test_interrupt");
}
