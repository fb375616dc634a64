/*
 * test_stack.c — unbounded recursion in JIT'd code is reported as a stack
 * overflow by kjit_run, which returns; the JIT keeps working afterwards, on
 * this thread and on another.  A first call on a thread with a small stack
 * (16 and 32 KiB, or the least allowed: LLVM needs more) compiles on a stack of kjit's own.
 */
#include <limits.h>
#include <pthread.h>

#include "api_test.h"

/* deep(x) = deep(x + 1) + 1: never returns. */
static int gen_deep(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c);
    LLVMTypeRef fty = LLVMFunctionType(dbl, &dbl, 1, 0);
    LLVMValueRef f = LLVMAddFunction(mod, symbol, fty);
    LLVMValueRef self = LLVMAddFunction(mod, "deep", fty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef x1 = LLVMBuildFAdd(b, LLVMGetParam(f, 0), LLVMConstReal(dbl, 1), "");
    LLVMValueRef r = LLVMBuildCall2(b, fty, self, &x1, 1, "");
    LLVMBuildRet(b, LLVMBuildFAdd(b, r, LLVMConstReal(dbl, 1), ""));
    LLVMDisposeBuilder(b);
    return 0;
}

static int gen_call_deep(void *user, LLVMModuleRef mod, const char *symbol, char *err,
                         size_t len) {
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c);
    LLVMTypeRef fty = LLVMFunctionType(dbl, &dbl, 1, 0);
    LLVMValueRef f = LLVMAddFunction(mod, symbol, LLVMFunctionType(dbl, NULL, 0, 0));
    LLVMValueRef deep = LLVMAddFunction(mod, "deep", fty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef zero = LLVMConstReal(dbl, 0);
    LLVMBuildRet(b, LLVMBuildCall2(b, fty, deep, &zero, 1, ""));
    LLVMDisposeBuilder(b);
    return 0;
}

static int gen_const(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    t_fn d = {.types = "", .k = 9};
    return t_generate(&d, mod, symbol, err, len);
}

static kjit *jit;

static void *overflow_twice(void *arg) {
    double v;
    for (int i = 0; i < 2; i++) {
        CHECK(kjit_run(jit, gen_call_deep, NULL, &v) == KJIT_ERUNTIME);
        CHECK(strcmp(kjit_errmsg(), "stack overflow") == 0);
    }
    CHECK(kjit_run(jit, gen_const, NULL, &v) == KJIT_OK && v == 9);
    return arg;
}

/* A first call of fn through its address, on a thread of `size` bytes of
 * stack: what it returned. */
static void *call_first(void *arg) {
    double *v = arg;
    *v = ((double (*)(void))kjit_address(jit, *v == 1 ? "small1" : "small2"))();
    return NULL;
}

static double on_small_stack(double which, size_t size) {
    pthread_attr_t at;
    pthread_attr_init(&at);
    if (size < (size_t)PTHREAD_STACK_MIN) size = PTHREAD_STACK_MIN; /* (128 KiB on aarch64) */
    CHECK(pthread_attr_setstacksize(&at, size) == 0);
    pthread_t t;
    double v = which;
    CHECK(pthread_create(&t, &at, call_first, &v) == 0);
    pthread_join(t, NULL);
    pthread_attr_destroy(&at);
    return v;
}

int main(void) {
    CHECK(kjit_create(NULL, &jit) == KJIT_OK);
    /* -O0 would keep the recursion; at -O2 LLVM cannot remove it either,
     * since deep goes through its stub. */
    CHECK(kjit_define(jit, "deep", "d(d)", gen_deep, NULL, NULL) == KJIT_OK);
    overflow_twice(NULL);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, overflow_twice, NULL) == 0);
    pthread_join(t, NULL);
    kjit_stats s;
    kjit_get_stats(jit, &s);
    CHECK(s.runtime_errors == 4);
    static t_fn s1 = {.types = "", .k = 11}, s2 = {.types = "", .k = 12};
    CHECK(kjit_define(jit, "small1", "d()", t_generate, &s1, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "small2", "d()", t_generate, &s2, NULL) == KJIT_OK);
    CHECK(on_small_stack(1, 16384) == 11);
    CHECK(on_small_stack(2, 32768) == 12);
    kjit_destroy(jit);
    return t_done("test_stack");
}
