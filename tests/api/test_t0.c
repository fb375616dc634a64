/*
 * test_t0.c — functions with a T0 entry (kjit_define_ex) run before any
 * compile, and every call direction goes through stubs:
 *   - compiled/host → T0: through the stub and the trampoline, with 0..30
 *     mixed integer and double parameters (registers and stack), without
 *     the generator ever being called;
 *   - T0 → T0, T0 → compiled, T0 → host: kjit_call, same values;
 *   - compiled → T0: a generated function calls a T0 one;
 *   - tiered mode: a hot T0 function is compiled at T2 and its stub
 *     repointed; interp mode never compiles;
 *   - run-time errors from T0 (undefined function, stack overflow) abandon
 *     kjit_run_ex like compiled code;
 *   - redefinition of a T0 function while three threads call it: every
 *     result comes from a version at least as new as the last seen, and
 *     replaced definitions are released at quiescence.
 * The T0 entry here computes what t_generate's IR computes, in C.
 */
#include <pthread.h>

#include "api_test.h"

/* k + sum (i+1) * a_i (+ callee()), like t_generate's functions. */
static kjit *g_jit;
static atomic_int t0_runs;
static kjit_value t0_weighted(void *user, const kjit_value *args) {
    t_fn *d = user;
    atomic_fetch_add(&t0_runs, 1);
    double acc = d->k;
    for (int i = 0; d->types[i]; i++)
        acc += (d->types[i] == 'i' ? (double)args[i].i : args[i].d) * (i + 1);
    if (d->callee) acc += kjit_call(kjit_fn_get(g_jit, d->callee), NULL).d;
    return (kjit_value){.d = acc};
}

static double host_mix_impl(int64_t i, double d);
static void *host_mix = (void *)host_mix_impl;

static double expect(const t_fn *d, const kjit_value *a) {
    double acc = d->k;
    for (int i = 0; d->types[i]; i++) acc += (d->types[i] == 'i' ? (double)a[i].i : a[i].d) * (i + 1);
    return acc;
}

static kjit_status define_t0(kjit *jit, const char *name, t_fn *d, int with_gen) {
    char sig[80];
    kjit_def def;
    kjit_def_init(&def);
    def.sig = t_sig(d, sig, sizeof sig);
    def.gen = with_gen ? t_generate : NULL;
    def.t0 = t0_weighted;
    def.user = d;
    return kjit_define_ex(jit, name, &def);
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

/* Host callers through the stub: the trampoline unpacks by signature. */
typedef double (*f6)(int64_t, double, int64_t, double, int64_t, double);
typedef double (*f9)(double, double, double, double, double, double, double, double, double);
typedef double (*f20)(int64_t, double, int64_t, double, int64_t, double, int64_t, double, int64_t,
                      double, int64_t, double, int64_t, double, int64_t, double, int64_t, double,
                      int64_t, double);

static void test_entries(void) {
    kjit *jit = make(KJIT_MODE_TIERED, 1000000);
    static t_fn d0 = {.types = "", .k = 42}, d6 = {.types = "ididid", .k = 2},
                d9 = {.types = "ddddddddd", .k = 4}, d20 = {.types = "idididididididididid", .k = 5};
    CHECK(define_t0(jit, "q0", &d0, 1) == KJIT_OK);
    CHECK(define_t0(jit, "q6", &d6, 1) == KJIT_OK);
    CHECK(define_t0(jit, "q9", &d9, 1) == KJIT_OK);
    CHECK(define_t0(jit, "q20", &d20, 1) == KJIT_OK);
    kjit_value a[30];
    for (int i = 0; i < 30; i++) {
        if (i % 2 == 0)
            a[i].i = i * 7 - 30;
        else
            a[i].d = 0.25 * i + 1000;
    }
    kjit_value b9[9];
    for (int i = 0; i < 9; i++) b9[i].d = a[2 * i + 1].d;
    for (int round = 0; round < 3; round++) {
        CHECK(((double (*)(void))kjit_address(jit, "q0"))() == 42);
        CHECK(((f6)kjit_address(jit, "q6"))(a[0].i, a[1].d, a[2].i, a[3].d, a[4].i, a[5].d) ==
              expect(&d6, a));
        CHECK(((f9)kjit_address(jit, "q9"))(b9[0].d, b9[1].d, b9[2].d, b9[3].d, b9[4].d, b9[5].d,
                                            b9[6].d, b9[7].d, b9[8].d) == expect(&d9, b9));
        CHECK(((f20)kjit_address(jit, "q20"))(
                  a[0].i, a[1].d, a[2].i, a[3].d, a[4].i, a[5].d, a[6].i, a[7].d, a[8].i, a[9].d,
                  a[10].i, a[11].d, a[12].i, a[13].d, a[14].i, a[15].d, a[16].i, a[17].d, a[18].i,
                  a[19].d) == expect(&d20, a));
        /* T0 → T0 by kjit_call */
        CHECK(kjit_call(kjit_fn_get(jit, "q20"), a).d == expect(&d20, a));
        CHECK(kjit_call(kjit_fn_get(jit, "q9"), b9).d == expect(&d9, b9));
    }
    /* Never compiled: the generators never ran. */
    CHECK(atomic_load(&d0.calls) == 0 && atomic_load(&d20.calls) == 0);
    kjit_fn_info info;
    CHECK(kjit_fn_info_get(jit, "q20", &info) == KJIT_OK && info.state == KJIT_FN_T0);
    CHECK(strcmp(kjit_fn_state_name(KJIT_FN_T0), "T0") == 0);

    /* T0 → compiled (30 parameters: stack arguments past 8 slots) and
     * T0 → host. */
    static t_fn c30 = {.types = "ididididididididididididididid", .k = 6};
    char sig[80];
    CHECK(kjit_define(jit, "c30", t_sig(&c30, sig, sizeof sig), t_generate, &c30, NULL) == KJIT_OK);
    kjit_fn *h30 = kjit_fn_get(jit, "c30");
    CHECK(kjit_call(h30, a).d == expect(&c30, a)); /* compiles it (T1) */
    CHECK(kjit_call(h30, a).d == expect(&c30, a)); /* straight to code */
    CHECK(atomic_load(&c30.calls) == 1);
    CHECK(kjit_define_host(jit, "hmix", "d(id)", (void *)host_mix) == KJIT_OK);
    CHECK(kjit_call(kjit_fn_get(jit, "hmix"), (kjit_value[]){{.i = 7}, {.d = 0.5}}).d == 7.5);

    /* compiled → T0: a generated function calls the T0 function q0. */
    static t_fn caller = {.types = "d", .k = 1, .callee = "q0"};
    CHECK(kjit_define(jit, "callq0", "d(d)", t_generate, &caller, NULL) == KJIT_OK);
    int before = atomic_load(&t0_runs);
    CHECK(((double (*)(double))kjit_address(jit, "callq0"))(2) == 1 + 2 + 42);
    CHECK(atomic_load(&t0_runs) == before + 1);
    /* T0 → compiled → T0 */
    static t_fn caller0 = {.types = "", .k = 1, .callee = "q0"};
    CHECK(kjit_define(jit, "c0q0", "d()", t_generate, &caller0, NULL) == KJIT_OK);
    static t_fn outer = {.types = "", .k = 100, .callee = "c0q0"};
    CHECK(define_t0(jit, "outer", &outer, 0) == KJIT_OK);
    CHECK(kjit_call(kjit_fn_get(jit, "outer"), NULL).d == 100 + 1 + 42);
    kjit_destroy(jit);
}

static double host_mix_impl(int64_t i, double d) { return (double)i + d; }

/* Tiered: a hot T0 function goes to T2 (generator called once), and the same
 * stub then reaches compiled code. */
static void test_tier_up(void) {
    kjit *jit = make(KJIT_MODE_TIERED, 10);
    static t_fn d = {.types = "di", .k = 3};
    CHECK(define_t0(jit, "hot", &d, 1) == KJIT_OK);
    double (*f)(double, int64_t) = (double (*)(double, int64_t))kjit_address(jit, "hot");
    kjit_fn_info info;
    for (int i = 0; i < 9; i++) CHECK(f(1.5, i) == 3 + 1.5 + 2.0 * i);
    CHECK(kjit_fn_info_get(jit, "hot", &info) == KJIT_OK && info.state == KJIT_FN_T0);
    CHECK(atomic_load(&d.calls) == 0);
    CHECK(f(1.5, 9) == 3 + 1.5 + 18); /* the 10th entry: hot, T2 compiled (t2_sync) */
    CHECK(kjit_fn_info_get(jit, "hot", &info) == KJIT_OK && info.state == KJIT_FN_T2);
    CHECK(atomic_load(&d.calls) == 1);
    int before = atomic_load(&t0_runs);
    CHECK(f(2, 10) == 3 + 2 + 20);
    CHECK(kjit_call(kjit_fn_get(jit, "hot"), (kjit_value[]){{.d = 2}, {.i = 10}}).d == 25);
    CHECK(atomic_load(&t0_runs) == before); /* compiled code ran */
    kjit_stats st;
    kjit_get_stats(jit, &st);
    CHECK(st.compiled_t2 == 1 && st.compiled_t1 == 0);
    kjit_destroy(jit);

    /* interp: never compiled, however hot. */
    jit = make(KJIT_MODE_INTERP, 10);
    static t_fn e = {.types = "d", .k = 1};
    CHECK(define_t0(jit, "cold", &e, 1) == KJIT_OK);
    double (*g)(double) = (double (*)(double))kjit_address(jit, "cold");
    for (int i = 0; i < 1000; i++) CHECK(g(i) == 1 + i);
    CHECK(atomic_load(&e.calls) == 0);
    CHECK(kjit_fn_info_get(jit, "cold", &info) == KJIT_OK && info.state == KJIT_FN_T0 &&
          info.count == 1000);
    kjit_destroy(jit);
}

/* Top-level runs at T0, and run-time errors from T0 code. */
static kjit_value call_undefined(void *user, const kjit_value *args) {
    (void)user, (void)args;
    return kjit_call(kjit_fn_get(g_jit, "nowhere"), NULL);
}
static kjit_value recurse(void *user, const kjit_value *args) {
    (void)user;
    kjit_value a = {.d = args[0].d + 1};
    return (kjit_value){.d = 1 + kjit_call(kjit_fn_get(g_jit, "down"), &a).d};
}
static kjit_value top_down(void *user, const kjit_value *args) {
    (void)user, (void)args;
    return kjit_call(kjit_fn_get(g_jit, "down"), (kjit_value[]){{.d = 0}});
}
static kjit_value top_value(void *user, const kjit_value *args) {
    (void)args;
    return (kjit_value){.d = *(double *)user};
}

static void test_run(void) {
    kjit *jit = make(KJIT_MODE_TIERED, 1000);
    kjit_def def;
    kjit_def_init(&def);
    def.sig = "d()";
    double v = 6.25;
    def.t0 = top_value;
    def.user = &v;
    kjit_value r = {0};
    CHECK(kjit_run_ex(jit, &def, &r) == KJIT_OK && r.d == 6.25);
    def.t0 = call_undefined;
    CHECK(kjit_run_ex(jit, &def, &r) == KJIT_EUNDEF);
    CHECK(strstr(kjit_errmsg(), "nowhere") != NULL);
    kjit_def d2;
    kjit_def_init(&d2);
    d2.sig = "d(d)";
    d2.t0 = recurse;
    CHECK(kjit_define_ex(jit, "down", &d2) == KJIT_OK);
    def.t0 = top_down;
    for (int i = 0; i < 2; i++) {
        CHECK(kjit_run_ex(jit, &def, &r) == KJIT_ERUNTIME);
        CHECK(strcmp(kjit_errmsg(), "stack overflow") == 0);
    }
    def.t0 = top_value;
    CHECK(kjit_run_ex(jit, &def, &r) == KJIT_OK && r.d == 6.25);
    kjit_stats st;
    kjit_get_stats(jit, &st);
    CHECK(st.compiled == 0 && st.toplevel_us == 0 && st.runtime_errors == 3);
    kjit_destroy(jit);
}

/* Redefinition while another thread calls the function at T0. */
static atomic_int released;
static void release_k(void *user) {
    atomic_fetch_add(&released, 1);
    free(user);
}
static kjit_value t0_k(void *user, const kjit_value *args) {
    (void)args;
    return (kjit_value){.d = *(double *)user};
}
static atomic_int stop, backwards, seen;
static void *caller_main(void *arg) {
    kjit *jit = arg;
    kjit_thread_attach(jit);
    kjit_fn *f = kjit_fn_get(jit, "k");
    double last = 0;
    while (!atomic_load(&stop)) {
        double x = kjit_call(f, NULL).d;
        double y = ((double (*)(void))kjit_address(jit, "k"))();
        if (x < last || y < x) atomic_store(&backwards, 1);
        last = y;
        atomic_fetch_add(&seen, 1);
        kjit_quiescent(jit);
    }
    kjit_thread_detach(jit);
    return NULL;
}

static void test_redefine(void) {
    kjit *jit = make(KJIT_MODE_TIERED, 1 << 30);
    enum { N = 1000 };
    kjit_def def;
    kjit_def_init(&def);
    def.sig = "d()";
    def.t0 = t0_k;
    def.release = release_k;
    def.user = malloc(sizeof(double));
    *(double *)def.user = 1;
    CHECK(kjit_define_ex(jit, "k", &def) == KJIT_OK);
    pthread_t th[3]; /* several threads call it at T0 at once */
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&th[i], NULL, caller_main, jit) == 0);
    for (int i = 2; i <= N; i++) {
        def.user = malloc(sizeof(double));
        *(double *)def.user = i;
        CHECK(kjit_define_ex(jit, "k", &def) == KJIT_OK);
    }
    while (atomic_load(&seen) < 3000) sched_yield();
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    CHECK(!atomic_load(&backwards));
    CHECK(((double (*)(void))kjit_address(jit, "k"))() == N);
    kjit_quiescent(jit);
    CHECK(atomic_load(&released) == N - 1); /* every replaced one, at quiescence */
    kjit_destroy(jit);
    CHECK(atomic_load(&released) == N);
}

int main(void) {
    test_entries();
    test_tier_up();
    test_run();
    test_redefine();
    return t_done("test_t0");
}
