/*
 * test_stack.c — unbounded recursion in JIT'd code is reported as a stack
 * overflow by kjit_run, which returns; the JIT keeps working afterwards, on
 * this thread and on another.
 */
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
    kjit_destroy(jit);
    return t_done("test_stack");
}
