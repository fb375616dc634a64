/*
 * api_test.h — helpers for the C tests of libkjit's public API: a CHECK
 * macro with a pass/fail tally, and a tiny IR generator that knows nothing of
 * Kaleidoscope.
 */
#ifndef API_TEST_H
#define API_TEST_H
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "kjit.h"

static int t_pass, t_fail;
#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            t_pass++;                                                                 \
        } else {                                                                      \
            t_fail++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s (kjit_errmsg: %s)\n", __FILE__, \
                    __LINE__, #cond, kjit_errmsg());                                  \
        }                                                                             \
    } while (0)

static inline int t_done(const char *name) {
    printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
    return t_fail ? 1 : 0;
}

/* A generated function: returns k + sum over parameters of (i+1) * p_i, each
 * parameter converted to double; parameter types from `types` ('d' or 'i').
 * `calls` counts generator calls; `fail` makes the generator fail;
 * `callee`, if set, is called with no arguments and its result added. */
typedef struct t_fn {
    const char *types;
    double k;
    const char *callee;
    int fail;
    atomic_int calls;
} t_fn;

static inline LLVMTypeRef t_type(LLVMContextRef c, char t) {
    return t == 'i' ? LLVMInt64TypeInContext(c) : LLVMDoubleTypeInContext(c);
}

static inline int t_generate(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    t_fn *d = user;
    atomic_fetch_add(&d->calls, 1);
    if (d->fail) {
        snprintf(err, len, "told to fail");
        return 1;
    }
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c);
    int n = (int)strlen(d->types);
    LLVMTypeRef params[64];
    for (int i = 0; i < n; i++) params[i] = t_type(c, d->types[i]);
    LLVMValueRef f = LLVMGetNamedFunction(mod, symbol);
    if (!f) f = LLVMAddFunction(mod, symbol, LLVMFunctionType(dbl, params, (unsigned)n, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef acc = LLVMConstReal(dbl, d->k);
    for (int i = 0; i < n; i++) {
        LLVMValueRef p = LLVMGetParam(f, (unsigned)i);
        if (d->types[i] == 'i') p = LLVMBuildSIToFP(b, p, dbl, "");
        acc = LLVMBuildFAdd(b, acc, LLVMBuildFMul(b, p, LLVMConstReal(dbl, i + 1), ""), "");
    }
    if (d->callee) {
        LLVMTypeRef fty = LLVMFunctionType(dbl, NULL, 0, 0);
        LLVMValueRef g = LLVMGetNamedFunction(mod, d->callee);
        if (!g) g = LLVMAddFunction(mod, d->callee, fty);
        acc = LLVMBuildFAdd(b, acc, LLVMBuildCall2(b, fty, g, NULL, 0, ""), "");
    }
    LLVMBuildRet(b, acc);
    LLVMDisposeBuilder(b);
    return 0;
}

/* A T0 entry computing what t_generate's code computes. */
static inline kjit_value t_t0_weighted(void *user, const kjit_value *args) {
    t_fn *d = user;
    double acc = d->k;
    for (int i = 0; d->types[i]; i++) acc += args[i].d * (i + 1);
    return (kjit_value){.d = acc};
}

/* Define w0 .. w(n-1) as "d(dd)" functions of defs (k = i), with T0 entries
 * (test_workers.c, test_fork.c). */
static inline void t_define_weighted(kjit *jit, t_fn *defs, int n) {
    char name[32];
    for (int i = 0; i < n; i++) {
        defs[i] = (t_fn){.types = "dd", .k = i};
        kjit_def d;
        kjit_def_init(&d);
        d.sig = "d(dd)";
        d.gen = t_generate;
        d.t0 = t_t0_weighted;
        d.user = &defs[i];
        snprintf(name, sizeof name, "w%d", i);
        CHECK(kjit_define_ex(jit, name, &d) == KJIT_OK);
    }
}

/* Signature string for a t_fn: "d(" types ")". */
static inline const char *t_sig(const t_fn *d, char *buf, size_t len) {
    snprintf(buf, len, "d(%s)", d->types);
    return buf;
}

#endif
