/*
 * test_ahead.c — compiling ahead of the program (kjit_options.ahead): the
 * functions a compiled function calls are compiled on the background thread
 * before their first call, with the right bodies, in lazy and tiered modes;
 * never a stale body when a function is redefined during such a compile;
 * a failing compile there is counted and reported at the first call, not
 * lost; threads calling first at once each get the code; off means off;
 * a JIT destroyed with a full queue ends cleanly; a function queued far
 * back moves up when a function compiled for its first call names it.
 */
#include <pthread.h>
#include <time.h>

#include "api_test.h"

/* Wait up to 20 s for the JIT to have compiled `n` bodies ahead. */
static int wait_ahead(kjit *jit, uint64_t n) {
    for (int i = 0; i < 20000; i++) {
        kjit_stats s;
        kjit_get_stats(jit, &s);
        if (s.compiled_ahead >= n) return 1;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    return 0;
}

static kjit *make(kjit_mode mode, int ahead) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    o.ahead = ahead;
    o.hot_threshold = 1000000000; /* no T2 here */
    kjit *jit = NULL;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    return jit;
}

static int state(kjit *jit, const char *name) {
    kjit_fn_info info;
    return kjit_fn_info_get(jit, name, &info) == KJIT_OK ? (int)info.state : -1;
}

static double call0(kjit *jit, const char *name) {
    return ((double (*)(void))kjit_address(jit, name))();
}

/* A chain a -> b -> c, and d that nothing calls: calling a compiles a; b
 * and c are compiled ahead before anything calls them; d never is. */
static void chain(kjit_mode mode) {
    kjit *jit = make(mode, 1);
    static t_fn a, b, c, d;
    a = (t_fn){.types = "", .k = 1, .callee = "b"};
    b = (t_fn){.types = "", .k = 10, .callee = "c"};
    c = (t_fn){.types = "", .k = 100};
    d = (t_fn){.types = "", .k = 1000};
    CHECK(kjit_define(jit, "a", "d()", t_generate, &a, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "b", "d()", t_generate, &b, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "c", "d()", t_generate, &c, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "d", "d()", t_generate, &d, NULL) == KJIT_OK);
    /* Through the address of b (its stub), not a: a's first call would
     * find b compiled or being compiled. */
    kjit_recompile(jit, "a", 1); /* a compiled now, as at its first call */
    CHECK(wait_ahead(jit, 2));
    CHECK(state(jit, "b") == KJIT_FN_COMPILED || state(jit, "b") == KJIT_FN_T1);
    CHECK(state(jit, "c") == KJIT_FN_COMPILED || state(jit, "c") == KJIT_FN_T1);
    CHECK(state(jit, "d") == KJIT_FN_STUB);
    CHECK(atomic_load(&d.calls) == 0);
    CHECK(call0(jit, "a") == 111);
    CHECK(call0(jit, "b") == 110);
    kjit_stats s;
    kjit_get_stats(jit, &s);
    CHECK(s.compiled_ahead == 2 && s.ahead_failed == 0 && s.compiled == 3);
    CHECK(s.ahead_us > 0);
    char json[2048];
    kjit_stats_json(jit, json, sizeof json);
    CHECK(strstr(json, "\"compiled_ahead\":2") != NULL);
    kjit_destroy(jit);
}

/* Redefinitions of the callee while it may be in the middle of its compile
 * ahead: every call after a redefinition returns the new body's value. */
static void redefine_race(void) {
    kjit *jit = make(KJIT_MODE_LAZY, 1);
    enum { N = 60 };
    static t_fn caller[N], callee[N], again[N];
    char f[32], g[32];
    for (int i = 0; i < N; i++) {
        snprintf(f, sizeof f, "f%d", i);
        snprintf(g, sizeof g, "g%d", i);
        caller[i] = (t_fn){.types = "", .k = 0};
        caller[i].callee = strdup(g);
        callee[i] = (t_fn){.types = "", .k = 1};
        again[i] = (t_fn){.types = "", .k = 2};
        CHECK(kjit_define(jit, f, "d()", t_generate, &caller[i], NULL) == KJIT_OK);
        CHECK(kjit_define(jit, g, "d()", t_generate, &callee[i], NULL) == KJIT_OK);
        CHECK(kjit_recompile(jit, f, 1) == KJIT_OK); /* queues g for ahead */
        if (i % 3) nanosleep(&(struct timespec){0, (i % 7) * 200000}, NULL);
        CHECK(kjit_define(jit, g, "d()", t_generate, &again[i], NULL) == KJIT_OK);
        CHECK(call0(jit, g) == 2);
        CHECK(call0(jit, f) == 2);
    }
    kjit_destroy(jit);
    for (int i = 0; i < N; i++) free((void *)caller[i].callee);
}

/* A callee whose generator fails: its compile ahead fails and is counted;
 * its first call reports the generator's error; the caller runs on. */
static void failing(void) {
    kjit *jit = make(KJIT_MODE_LAZY, 1);
    static t_fn top, bad;
    top = (t_fn){.types = "", .k = 5, .callee = "bad"};
    bad = (t_fn){.types = "", .k = 1, .fail = 1};
    CHECK(kjit_define(jit, "top", "d()", t_generate, &top, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "bad", "d()", t_generate, &bad, NULL) == KJIT_OK);
    CHECK(kjit_recompile(jit, "top", 1) == KJIT_OK);
    for (int i = 0; i < 20000 && atomic_load(&bad.calls) == 0; i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    kjit_drain(jit);
    /* The failing body is never installed: compiling it as its first call
     * would, reports why. */
    CHECK(state(jit, "bad") == KJIT_FN_STUB);
    CHECK(kjit_recompile(jit, "bad", 1) == KJIT_EGEN);
    CHECK(strstr(kjit_errmsg(), "told to fail") != NULL);
    kjit_stats s;
    kjit_get_stats(jit, &s);
    CHECK(s.ahead_failed == 1);
    CHECK(s.compiled_ahead == 0);
    bad.fail = 0;
    CHECK(call0(jit, "top") == 6); /* its next first call compiles it */
    kjit_destroy(jit);
}

/* Threads that call the same uncompiled functions at once, while the ahead
 * thread compiles them: every result right. */
enum { WIDE = 64 };
static kjit *g_jit;
static void *caller_thread(void *arg) {
    int from = (int)(intptr_t)arg;
    char name[32];
    int ok = 1;
    for (int k = 0; k < WIDE; k++) {
        int i = (k + from * 16) % WIDE;
        snprintf(name, sizeof name, "w%d", i);
        double want = 0; /* w_i = (1 + i) + w_(i+1) */
        for (int j = i; j < WIDE; j++) want += 1 + j;
        ok &= call0(g_jit, name) == want;
    }
    return (void *)(intptr_t)ok;
}

static void threads(void) {
    kjit *jit = g_jit = make(KJIT_MODE_TIERED, 1);
    static t_fn w[WIDE], root;
    static char names[WIDE][16];
    for (int i = 0; i < WIDE; i++) snprintf(names[i], sizeof names[i], "w%d", i);
    for (int i = 0; i < WIDE; i++) {
        w[i] = (t_fn){.types = "", .k = 1 + i, .callee = i + 1 < WIDE ? names[i + 1] : NULL};
        CHECK(kjit_define(jit, names[i], "d()", t_generate, &w[i], NULL) == KJIT_OK);
    }
    /* root calls w0, which calls w1, ...: the ahead thread goes down the
     * chain while the threads call into it */
    root = (t_fn){.types = "", .k = 0, .callee = "w0"};
    CHECK(kjit_define(jit, "root", "d()", t_generate, &root, NULL) == KJIT_OK);
    CHECK(kjit_recompile(jit, "root", 1) == KJIT_OK);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, caller_thread, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++) {
        void *ok;
        pthread_join(t[i], &ok);
        CHECK(ok == (void *)1);
    }
    int once = 0;
    for (int i = 0; i < WIDE; i++) once += atomic_load(&w[i].calls) <= 1;
    CHECK(once == WIDE); /* each body generated once: by its first call or ahead */
    kjit_destroy(jit);
}

/* ahead = 0: nothing is compiled before its first call. */
static void off(void) {
    kjit *jit = make(KJIT_MODE_LAZY, 0);
    static t_fn a, b;
    a = (t_fn){.types = "", .k = 1, .callee = "b"};
    b = (t_fn){.types = "", .k = 2};
    CHECK(kjit_define(jit, "a", "d()", t_generate, &a, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "b", "d()", t_generate, &b, NULL) == KJIT_OK);
    CHECK(kjit_recompile(jit, "a", 1) == KJIT_OK);
    nanosleep(&(struct timespec){0, 50000000}, NULL);
    CHECK(state(jit, "b") == KJIT_FN_STUB && atomic_load(&b.calls) == 0);
    CHECK(call0(jit, "a") == 3);
    kjit_stats s;
    kjit_get_stats(jit, &s);
    CHECK(s.compiled_ahead == 0);
    kjit_destroy(jit);
}

/* Destroyed while the queue is long: the thread ends after its compile. */
static void destroy_busy(void) {
    kjit *jit = make(KJIT_MODE_LAZY, 1);
    enum { M = 300 };
    static t_fn chainv[M];
    static char names[M][16];
    for (int i = 0; i < M; i++) {
        snprintf(names[i], sizeof names[i], "c%d", i);
        chainv[i] = (t_fn){.types = "", .k = i, .callee = i + 1 < M ? names[i + 1] : NULL};
    }
    for (int i = 0; i < M; i++)
        CHECK(kjit_define(jit, names[i], "d()", t_generate, &chainv[i], NULL) == KJIT_OK);
    CHECK(kjit_recompile(jit, "c0", 1) == KJIT_OK);
    wait_ahead(jit, 3);
    kjit_destroy(jit);
}

/* A function that calls several others (m_gen): k + the sum of theirs.
 * Its generator stamps the order in which bodies were generated, and one
 * (gate) holds the thread that generates it until told to go on. */
typedef struct {
    double k;
    const char *callees[24];
    int n, gate;
    atomic_int order;
} m_fn;
static atomic_int g_stamp, g_gate_in, g_gate_open;

static int m_gen(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    (void)err, (void)len;
    m_fn *d = user;
    if (d->gate) {
        atomic_store(&g_gate_in, 1);
        for (int i = 0; i < 20000 && !atomic_load(&g_gate_open); i++)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    int none = 0;
    atomic_compare_exchange_strong(&d->order, &none, atomic_fetch_add(&g_stamp, 1) + 1);
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c), fty = LLVMFunctionType(dbl, NULL, 0, 0);
    LLVMValueRef f = LLVMGetNamedFunction(mod, symbol);
    if (!f) f = LLVMAddFunction(mod, symbol, fty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef acc = LLVMConstReal(dbl, d->k);
    for (int i = 0; i < d->n; i++) {
        LLVMValueRef g = LLVMGetNamedFunction(mod, d->callees[i]);
        if (!g) g = LLVMAddFunction(mod, d->callees[i], fty);
        acc = LLVMBuildFAdd(b, acc, LLVMBuildCall2(b, fty, g, NULL, 0, ""), "");
    }
    LLVMBuildRet(b, acc);
    LLVMDisposeBuilder(b);
    return 0;
}

/* root calls gate, q0..q19 and x, in that order: all queued ahead, gate
 * first, and gate's generator holds the thread.  Then p, which calls x,
 * is compiled for its first call: the program is in p, so x moves to the
 * front, and is compiled before the q's queued before it (the build
 * before this compiled x last, after all twenty). */
static void moves_up(void) {
    kjit *jit = make(KJIT_MODE_LAZY, 1);
    enum { Q = 20 };
    static m_fn root, gate, x, p, q[Q];
    static char names[Q][8];
    root = (m_fn){.k = 0, .n = 0};
    root.callees[root.n++] = "gate";
    for (int i = 0; i < Q; i++) {
        snprintf(names[i], sizeof names[i], "q%d", i);
        q[i] = (m_fn){.k = 1};
        root.callees[root.n++] = names[i];
    }
    root.callees[root.n++] = "x";
    gate = (m_fn){.k = 100, .gate = 1};
    x = (m_fn){.k = 1000};
    p = (m_fn){.k = 10000, .n = 1, .callees = {"x"}};
    CHECK(kjit_define(jit, "root", "d()", m_gen, &root, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "gate", "d()", m_gen, &gate, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "x", "d()", m_gen, &x, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "p", "d()", m_gen, &p, NULL) == KJIT_OK);
    for (int i = 0; i < Q; i++)
        CHECK(kjit_define(jit, names[i], "d()", m_gen, &q[i], NULL) == KJIT_OK);
    CHECK(kjit_recompile(jit, "root", 1) == KJIT_OK); /* queues gate, the q's, x */
    for (int i = 0; i < 20000 && !atomic_load(&g_gate_in); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    CHECK(atomic_load(&g_gate_in));
    CHECK(kjit_recompile(jit, "p", 1) == KJIT_OK); /* names x: to the front */
    atomic_store(&g_gate_open, 1);
    CHECK(wait_ahead(jit, Q + 2));
    CHECK(atomic_load(&x.order) > 0 && atomic_load(&q[0].order) > 0);
    CHECK(atomic_load(&x.order) < atomic_load(&q[0].order));
    CHECK(call0(jit, "root") == 100 + Q + 1000);
    CHECK(call0(jit, "p") == 11000);
    kjit_destroy(jit);
}

int main(void) {
    if (getenv("KJIT_AHEAD")) {
        printf("test_ahead: skipped (KJIT_AHEAD is set in the environment)\n");
        return 0;
    }
    chain(KJIT_MODE_LAZY);
    chain(KJIT_MODE_TIERED);
    redefine_race();
    failing();
    threads();
    off();
    destroy_busy();
    moves_up();
    return t_done("test_ahead");
}
