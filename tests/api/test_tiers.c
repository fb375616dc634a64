/*
 * test_tiers.c — tiered compilation through the API alone.
 *   - A function's address is the same before its first call, at T1, at T2
 *     and after redefinition.
 *   - Calling past the hot threshold queues it; T2 is installed in the
 *     background; kjit_fn_info_get shows stub → T1 → T2.
 *   - f calls g; f's T2 body gets g's body to inline; redefining g
 *     invalidates f's T2 body at once (f is back at T1, result follows the
 *     new g), and f can tier up again.
 *   - A T2 compile that fails leaves the function at T1, counted.
 *   - A module marked optimised (KJIT_MD_OPTIMISED): its T2 body inlines
 *     nothing, and redefining its callee leaves it in place.
 */
#include "api_test.h"

static const char *state(kjit *jit, const char *name) {
    kjit_fn_info info;
    if (kjit_fn_info_get(jit, name, &info) != KJIT_OK) return "?";
    return kjit_fn_state_name(info.state);
}

/* A generator that succeeds once, then fails (T2 gets the failure). */
static int once(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    t_fn *d = user;
    if (atomic_load(&d->calls) >= 1) d->fail = 1;
    return t_generate(d, mod, symbol, err, len);
}

/* t_generate, and the module marked optimised already. */
static int optimised(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    int r = t_generate(user, mod, symbol, err, len);
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMAddNamedMetadataOperand(mod, KJIT_MD_OPTIMISED,
                                LLVMMetadataAsValue(c, LLVMMDNodeInContext2(c, NULL, 0)));
    return r;
}

int main(void) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = KJIT_MODE_TIERED;
    o.hot_threshold = 50;
    kjit *jit;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);

    static t_fn g1 = {.types = "d", .k = 1}, g2 = {.types = "d", .k = 100};
    static t_fn f1 = {.types = "d", .k = 0, .callee = "g0"};
    static t_fn g0a = {.types = "", .k = 5}, g0b = {.types = "", .k = 7};
    CHECK(kjit_define(jit, "g0", "d()", t_generate, &g0a, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "f", "d(d)", t_generate, &f1, NULL) == KJIT_OK);
    double (*f)(double) = (double (*)(double))kjit_address(jit, "f");
    void *addr0 = (void *)f;
    CHECK(strcmp(state(jit, "f"), "stub") == 0);

    CHECK(f(1) == 1 + 5);
    CHECK(strcmp(state(jit, "f"), "T1") == 0);
    CHECK(kjit_address(jit, "f") == addr0);
    for (int i = 0; i < 100; i++) CHECK(f(2) == 2 + 5);
    kjit_drain(jit);
    CHECK(strcmp(state(jit, "f"), "T2") == 0);
    CHECK(kjit_address(jit, "f") == addr0);
    CHECK(f(3) == 3 + 5);

    /* f's T2 body inlined g0: redefining g0 sends f back to T1 at once. */
    CHECK(kjit_define(jit, "g0", "d()", t_generate, &g0b, NULL) == KJIT_OK);
    CHECK(strcmp(state(jit, "f"), "invalidated") == 0);
    CHECK(f(3) == 3 + 7);
    kjit_stats s;
    kjit_get_stats(jit, &s);
    CHECK(s.invalidated == 1);
    CHECK(kjit_address(jit, "f") == addr0);
    /* ... and tiers up again with the new g0. */
    for (int i = 0; i < 100; i++) CHECK(f(1) == 1 + 7);
    kjit_drain(jit);
    CHECK(strcmp(state(jit, "f"), "T2") == 0);
    CHECK(f(1) == 1 + 7);

    /* Redefining f itself: same address, new body, starts again lazily. */
    static t_fn f2 = {.types = "d", .k = 1000};
    CHECK(kjit_define(jit, "f", "d(d)", t_generate, &f2, NULL) == KJIT_OK);
    CHECK(strcmp(state(jit, "f"), "stub") == 0);
    CHECK(f(1) == 1001);
    CHECK(kjit_address(jit, "f") == addr0);

    /* External trigger, then a failing T2 compile: stays at T1. */
    CHECK(kjit_define(jit, "g", "d(d)", t_generate, &g1, NULL) == KJIT_OK);
    CHECK(kjit_optimize(jit, "g") == KJIT_OK); /* compiles T1 first, then queues */
    kjit_drain(jit);
    CHECK(strcmp(state(jit, "g"), "T2") == 0);
    double (*g)(double) = (double (*)(double))kjit_address(jit, "g");
    CHECK(g(1) == 2);
    CHECK(kjit_define(jit, "g", "d(d)", once, &g2, NULL) == KJIT_OK);
    CHECK(g(1) == 101);
    CHECK(kjit_optimize(jit, "g") == KJIT_OK);
    kjit_drain(jit);
    CHECK(strcmp(state(jit, "g"), "T1") == 0);
    CHECK(g(1) == 101);
    kjit_get_stats(jit, &s);
    CHECK(s.t2_failed == 1);
    CHECK(s.compiled_t2 >= 3); /* f twice, g; g0 gets hot through f too */
    CHECK(kjit_optimize(jit, "nosuch") == KJIT_EINVAL);

    /* IR its generator marks optimised (KJIT_MD_OPTIMISED): T2 links no
     * callee bodies, so redefining the callee leaves its T2 body alone
     * (it calls through the stub: the new result), unlike f's above. */
    static t_fn q1 = {.types = "", .k = 20}, q2 = {.types = "", .k = 30};
    static t_fn p1 = {.types = "d", .k = 0, .callee = "q"};
    CHECK(kjit_define(jit, "q", "d()", t_generate, &q1, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "p", "d(d)", optimised, &p1, NULL) == KJIT_OK);
    double (*p)(double) = (double (*)(double))kjit_address(jit, "p");
    CHECK(p(1) == 21);
    CHECK(kjit_optimize(jit, "p") == KJIT_OK);
    kjit_drain(jit);
    CHECK(strcmp(state(jit, "p"), "T2") == 0);
    kjit_get_stats(jit, &s);
    uint64_t invalidated = s.invalidated;
    CHECK(kjit_define(jit, "q", "d()", t_generate, &q2, NULL) == KJIT_OK);
    CHECK(strcmp(state(jit, "p"), "T2") == 0);
    CHECK(p(1) == 31);
    kjit_get_stats(jit, &s);
    CHECK(s.invalidated == invalidated);

    kjit_destroy(jit);
    return t_done("test_tiers");
}
