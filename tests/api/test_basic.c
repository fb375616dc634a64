/*
 * test_basic.c — libkjit through its public API alone: stable addresses,
 * laziness, redefinition, undefined calls inside and outside kjit_run,
 * generator failures that do not wedge a function, statistics.
 */
#include <fenv.h>
#include <pthread.h>

#include "api_test.h"

static int hook_calls;
static char hook_msg[256];
static void hook(void *user, kjit_status st, const char *msg) {
    (void)user;
    (void)st;
    hook_calls++;
    snprintf(hook_msg, sizeof hook_msg, "%s", msg);
}

/* A thunk generator: a function of no parameters calling `user` (a name). */
static int call_thunk(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    t_fn d = {.types = "", .k = 0, .callee = user};
    return t_generate(&d, mod, symbol, err, len);
}

int main(void) {
    kjit *jit;
    CHECK(kjit_create(NULL, &jit) == KJIT_OK);
    kjit_set_error_hook(jit, hook, NULL);
    char sig[80];

    /* Address before definition, before and after the first call. */
    double (*add)(double, double) = (double (*)(double, double))kjit_address(jit, "add");
    CHECK(add != NULL);
    t_fn add_d = {.types = "dd", .k = 0.5};
    CHECK(kjit_define(jit, "add", t_sig(&add_d, sig, sizeof sig), t_generate, &add_d, NULL) ==
          KJIT_OK);
    CHECK((void *)add == kjit_address(jit, "add"));
    kjit_stats s;
    kjit_get_stats(jit, &s);
    CHECK(s.ir_generated == 0 && s.compiled == 0); /* lazy: nothing yet */
    CHECK(add(1, 2) == 0.5 + 1 + 4);
    CHECK(add(3, 4) == 0.5 + 3 + 8);
    CHECK(atomic_load(&add_d.calls) == 1);
    CHECK((void *)add == kjit_address(jit, "add"));

    /* Redefinition: same address, new body; different signature refused. */
    t_fn add2_d = {.types = "dd", .k = 100};
    CHECK(kjit_define(jit, "add", "d(dd)", t_generate, &add2_d, NULL) == KJIT_OK);
    CHECK(add(1, 2) == 100 + 1 + 4);
    CHECK((void *)add == kjit_address(jit, "add"));
    t_fn add3_d = {.types = "d", .k = 0};
    CHECK(kjit_define(jit, "add", "d(d)", t_generate, &add3_d, NULL) == KJIT_ESIG);
    CHECK(add(1, 2) == 100 + 1 + 4);

    /* Bad arguments are errors, not crashes. */
    CHECK(kjit_define(jit, "x", "d(q)", t_generate, &add_d, NULL) == KJIT_EINVAL);
    CHECK(kjit_define(jit, "x", "", t_generate, &add_d, NULL) == KJIT_EINVAL);
    CHECK(kjit_define(jit, "__kjit.1.x", "d()", t_generate, &add_d, NULL) == KJIT_EINVAL);
    CHECK(kjit_define(jit, "", "d()", t_generate, &add_d, NULL) == KJIT_EINVAL);
    CHECK(kjit_address(jit, NULL) == NULL);

    /* A call to an undefined function outside kjit_run: hook, then 0. */
    double (*undef)(void) = (double (*)(void))kjit_address(jit, "nothing_defines_me");
    CHECK(undef() == 0.0);
    CHECK(hook_calls == 1 && strstr(hook_msg, "undefined function 'nothing_defines_me'"));

    /* ... and inside kjit_run: the thunk is abandoned, the status says why. */
    double v = -1;
    CHECK(kjit_run(jit, call_thunk, "nothing_defines_me", &v) == KJIT_EUNDEF);
    CHECK(hook_calls == 2);
    CHECK(strstr(kjit_errmsg(), "call to undefined function 'nothing_defines_me'") != NULL);
    /* Defined later, the same stub works. */
    t_fn later_d = {.types = "", .k = 7};
    CHECK(kjit_define(jit, "nothing_defines_me", "d()", t_generate, &later_d, NULL) == KJIT_OK);
    CHECK(kjit_run(jit, call_thunk, "nothing_defines_me", &v) == KJIT_OK && v == 7);
    CHECK(undef() == 7);

    /* A failing generator does not wedge the function. */
    t_fn bad_d = {.types = "", .k = 3, .fail = 1};
    CHECK(kjit_define(jit, "flaky", "d()", t_generate, &bad_d, NULL) == KJIT_OK);
    /* ... and the thread goes on as it was: its rounding mode and
     * cancelability (a first call holds the last off while kjit works). */
    fesetround(FE_UPWARD);
    CHECK(kjit_run(jit, call_thunk, "flaky", &v) == KJIT_EGEN);
    CHECK(strstr(kjit_errmsg(), "told to fail") != NULL);
    CHECK(fegetround() == FE_UPWARD);
    fesetround(FE_TONEAREST);
    int cancel = -1;
    CHECK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &cancel) == 0 &&
          cancel == PTHREAD_CANCEL_ENABLE);
    bad_d.fail = 0;
    CHECK(kjit_run(jit, call_thunk, "flaky", &v) == KJIT_OK && v == 3);

    /* Host functions: only declared names reach host symbols. */
    CHECK(kjit_host_symbol(jit, "cos") != NULL);
    double (*sine)(double) = (double (*)(double))kjit_address(jit, "sin");
    CHECK(sine(1) == 0.0 && hook_calls == 4); /* undeclared: undefined */
    CHECK(strstr(hook_msg, "undefined function 'sin'") != NULL);
    CHECK(kjit_declare_host(jit, "cos", "d(d)") == KJIT_OK);
    double (*cosine)(double) = (double (*)(double))kjit_address(jit, "cos");
    CHECK(cosine(0) == 1.0);
    CHECK(kjit_declare_host(jit, "nosuchsymbolanywhere", "d()") == KJIT_OK);
    double (*none)(void) = (double (*)(void))kjit_address(jit, "nosuchsymbolanywhere");
    CHECK(none() == 0.0 && hook_calls == 5);
    CHECK(kjit_declare_host(jit, "cos", "d(dd)") == KJIT_ESIG);

    kjit_get_stats(jit, &s);
    CHECK(s.defined == 4);
    CHECK(s.compiled == 4); /* add, add (redefined), nothing_defines_me, flaky */
    CHECK(s.runtime_errors == 5);
    CHECK(s.toplevel_run == 4);
    char json[512];
    CHECK(kjit_stats_json(jit, json, sizeof json) > 0 && strstr(json, "\"compiled\":4"));

    /* Version check of the options struct. */
    kjit_options o;
    kjit_options_init(&o);
    o.size--;
    kjit *j2 = (kjit *)1;
    CHECK(kjit_create(&o, &j2) == KJIT_EVERSION && j2 == NULL);

    kjit_destroy(jit);
    return t_done("test_basic");
}
