/*
 * embed.c — libkjit used the way an embedder would, from the installed
 * tree: `cc embed.c $(pkg-config --cflags --libs kjit)` or CMake's
 * find_package(kjit).  It defines functions of several signatures with an
 * IR generator of its own, binds a host function, redefines a function from
 * a second thread while the first keeps calling it, asks for T2 with
 * kjit_optimize, and reports run-time errors through the error hook.  It
 * prints a few lines the install test checks, and exits 0 when all is well.
 */
#include <kjit.h>
#include <llvm-c/Core.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A generator: double f(double a, double b) = a * k + b, or, for "i(ii)",
 * int64 a + b.  Every type in the module's own context. */
typedef struct body {
    const char *sig;
    double k;
} body;

static int generate(void *user, LLVMModuleRef m, const char *symbol, char *err, size_t len) {
    const body *b = user;
    LLVMContextRef c = LLVMGetModuleContext(m);
    int is_int = b->sig[0] == 'i';
    LLVMTypeRef t = is_int ? LLVMInt64TypeInContext(c) : LLVMDoubleTypeInContext(c);
    LLVMTypeRef params[2] = {t, t};
    LLVMValueRef f = LLVMAddFunction(m, symbol, LLVMFunctionType(t, params, 2, 0));
    LLVMBuilderRef bl = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(bl, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef x = LLVMGetParam(f, 0), y = LLVMGetParam(f, 1), r;
    if (is_int)
        r = LLVMBuildAdd(bl, x, y, "");
    else
        r = LLVMBuildFAdd(bl, LLVMBuildFMul(bl, x, LLVMConstReal(t, b->k), ""), y, "");
    LLVMBuildRet(bl, r);
    LLVMDisposeBuilder(bl);
    (void)err, (void)len;
    return 0;
}

/* double twice_host(double) — bound with kjit_define_host. */
static double twice_host(double x) { return 2 * x; }

/* A function of this executable, for kjit_declare_host: found only when
 * the executable exports its symbols (linked with -rdynamic). */
double embed_exported(double x) { return x + 1000; }

static int errors;
static void on_error(void *user, kjit_status st, const char *msg) {
    (void)user;
    errors++;
    printf("error hook: %s: %s\n", kjit_status_name(st), msg);
}

static kjit *jit;
static volatile int stop;
static void *caller(void *arg) {
    (void)arg;
    kjit_thread_attach(jit);
    double (*f)(double, double) = (double (*)(double, double))kjit_address(jit, "lin");
    double last = 0;
    int backwards = 0;
    while (!stop) {
        double v = f(1, 0); /* k of whichever definition is current */
        if (v < last) backwards = 1;
        last = v;
        kjit_quiescent(jit);
    }
    kjit_thread_detach(jit);
    return (void *)(long)backwards;
}

int main(void) {
    if (kjit_create(NULL, &jit) != KJIT_OK) return fprintf(stderr, "%s\n", kjit_errmsg()), 1;
    kjit_set_error_hook(jit, on_error, NULL);
    static body lin = {"d(dd)", 3}, add = {"i(ii)", 0};
    kjit_define(jit, "lin", "d(dd)", generate, &lin, NULL);
    kjit_define(jit, "add", "i(ii)", generate, &add, NULL);
    kjit_define_host(jit, "twice", "d(d)", (void *)twice_host);
    double (*f)(double, double) = (double (*)(double, double))kjit_address(jit, "lin");
    int64_t (*g)(int64_t, int64_t) = (int64_t(*)(int64_t, int64_t))kjit_address(jit, "add");
    double (*h)(double) = (double (*)(double))kjit_address(jit, "twice");
    printf("lin(2, 1) = %g, add(40, 2) = %lld, twice(21) = %g\n", f(2, 1), (long long)g(40, 2), h(21));

    /* Redefinition from a second thread while this one calls. */
    pthread_t th;
    pthread_create(&th, NULL, caller, NULL);
    static body versions[100];
    for (int i = 0; i < 100; i++) {
        versions[i] = (body){"d(dd)", 4 + i};
        kjit_define(jit, "lin", "d(dd)", generate, &versions[i], NULL);
    }
    stop = 1;
    void *backwards;
    pthread_join(th, &backwards);
    printf("after 100 redefinitions: lin(1, 0) = %g, never backwards: %s\n", f(1, 0),
           backwards ? "no" : "yes");

    kjit_optimize(jit, "lin");
    kjit_drain(jit);
    kjit_fn_info info;
    kjit_fn_info_get(jit, "lin", &info);
    printf("lin is at %s\n", kjit_fn_state_name(info.state));

    /* The error hook: a call to a function nothing defines. */
    double (*u)(double) = (double (*)(double))kjit_address(jit, "undefined_function");
    double r = u(1);
    printf("undefined call returned %g, %d error(s)\n", r, errors);

    /* kjit_declare_host finds the executable's own symbols only with -rdynamic. */
    kjit_declare_host(jit, "embed_exported", "d(d)");
    double (*e)(double) = (double (*)(double))kjit_address(jit, "embed_exported");
    double ev = e(1);
    printf("declared host: %s\n", ev == 1001 ? "found (-rdynamic)" : "not found");
    kjit_destroy(jit);
    return 0;
}
