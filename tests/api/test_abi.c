/*
 * test_abi.c — the re-entry trampoline hands over every kind of argument a
 * C caller can pass, on x86-64 SysV and AAPCS64 alike.  Each function is
 * called first through its stub (lazy entry → trampoline → compile, which
 * clobbers every caller-saved register → jump to the body) and then again
 * (straight to the body); both calls must see the same arguments:
 *
 *   - every general and vector argument register, then the stack: 8
 *     integers and 8 doubles interleaved with 4 more of each;
 *   - vectors (<2 x double>), whose upper halves travel in the upper halves
 *     of xmm0-7 / v0-v7, eight in registers and one on the stack;
 *   - an indirect (struct) result, whose address comes in rdi / x8, beside
 *     8 integer arguments (which on aarch64 fill x0-x7);
 *   - LLVM's static chain (`nest`: r10 / x18), from a JIT'd caller;
 *   - a variadic call, doubles in registers and on the stack: snprintf, a
 *     declared host function bound at its first call.  (On x86-64 %al
 *     bounds the vector registers used; a callee only tests it for zero,
 *     so a clobbered %al shows only when it happens to become 0.)
 */
#include "api_test.h"

typedef double v2d __attribute__((vector_size(16)));
typedef struct big {
    int64_t a, b, c, d;
} big;

/* vsum(v0 .. v8) = sum (i+1) * (v_i[0] + 3 v_i[1]) */
static int gen_vsum(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c), i32 = LLVMInt32TypeInContext(c);
    LLVMTypeRef v = LLVMVectorType(dbl, 2), params[9];
    for (int i = 0; i < 9; i++) params[i] = v;
    LLVMValueRef f = LLVMAddFunction(mod, symbol, LLVMFunctionType(dbl, params, 9, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef acc = LLVMConstReal(dbl, 0);
    for (int i = 0; i < 9; i++) {
        LLVMValueRef p = LLVMGetParam(f, (unsigned)i);
        LLVMValueRef lo = LLVMBuildExtractElement(b, p, LLVMConstInt(i32, 0, 0), "");
        LLVMValueRef hi = LLVMBuildExtractElement(b, p, LLVMConstInt(i32, 1, 0), "");
        LLVMValueRef t = LLVMBuildFAdd(b, lo, LLVMBuildFMul(b, hi, LLVMConstReal(dbl, 3), ""), "");
        acc = LLVMBuildFAdd(b, acc, LLVMBuildFMul(b, t, LLVMConstReal(dbl, i + 1), ""), "");
    }
    LLVMBuildRet(b, acc);
    LLVMDisposeBuilder(b);
    return 0;
}

/* big sret(i64 x0 .. x7, double y) = {x0 + 10 x1 + ... , x7, y as int, 77},
 * returned through the pointer the caller passes (the `sret` parameter). */
static int gen_sret(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef i64 = LLVMInt64TypeInContext(c), dbl = LLVMDoubleTypeInContext(c);
    LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0);
    LLVMTypeRef fields[4] = {i64, i64, i64, i64};
    LLVMTypeRef st = LLVMStructTypeInContext(c, fields, 4, 0);
    LLVMTypeRef params[10] = {ptr, i64, i64, i64, i64, i64, i64, i64, i64, dbl};
    LLVMValueRef f = LLVMAddFunction(mod, symbol,
                                     LLVMFunctionType(LLVMVoidTypeInContext(c), params, 10, 0));
    unsigned k = LLVMGetEnumAttributeKindForName("sret", 4);
    LLVMAddAttributeAtIndex(f, 1, LLVMCreateTypeAttribute(c, k, st));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef out = LLVMGetParam(f, 0), acc = LLVMConstInt(i64, 0, 0);
    for (int i = 0; i < 8; i++)
        acc = LLVMBuildAdd(b, LLVMBuildMul(b, acc, LLVMConstInt(i64, 10, 0), ""),
                           LLVMGetParam(f, (unsigned)(1 + i)), "");
    LLVMValueRef vals[4] = {acc, LLVMGetParam(f, 8), LLVMBuildFPToSI(b, LLVMGetParam(f, 9), i64, ""),
                            LLVMConstInt(i64, 77, 0)};
    for (unsigned i = 0; i < 4; i++)
        LLVMBuildStore(b, vals[i], LLVMBuildStructGEP2(b, st, out, i, ""));
    LLVMBuildRetVoid(b);
    LLVMDisposeBuilder(b);
    return 0;
}

static LLVMAttributeRef nest_attr(LLVMContextRef c) {
    return LLVMCreateEnumAttribute(c, LLVMGetEnumAttributeKindForName("nest", 4), 0);
}

static LLVMTypeRef nest_type(LLVMContextRef c) {
    LLVMTypeRef params[2] = {LLVMPointerTypeInContext(c, 0), LLVMDoubleTypeInContext(c)};
    return LLVMFunctionType(LLVMDoubleTypeInContext(c), params, 2, 0);
}

/* chained(ptr nest chain, double x) = *chain + x */
static int gen_chained(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c);
    LLVMValueRef f = LLVMAddFunction(mod, symbol, nest_type(c));
    LLVMAddAttributeAtIndex(f, 1, nest_attr(c));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef v = LLVMBuildLoad2(b, dbl, LLVMGetParam(f, 0), "");
    LLVMBuildRet(b, LLVMBuildFAdd(b, v, LLVMGetParam(f, 1), ""));
    LLVMDisposeBuilder(b);
    return 0;
}

/* A thunk: chained(nest &chain_value, 0.5) */
static double chain_value = 41;
static int gen_call_chained(void *user, LLVMModuleRef mod, const char *symbol, char *err,
                            size_t len) {
    LLVMContextRef c = LLVMGetModuleContext(mod);
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c);
    LLVMValueRef f = LLVMAddFunction(mod, symbol, LLVMFunctionType(dbl, NULL, 0, 0));
    LLVMValueRef callee = LLVMAddFunction(mod, "chained", nest_type(c));
    LLVMAddAttributeAtIndex(callee, 1, nest_attr(c));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, f, "entry"));
    LLVMValueRef chain = LLVMConstIntToPtr(
        LLVMConstInt(LLVMInt64TypeInContext(c), (uint64_t)(uintptr_t)&chain_value, 0),
        LLVMPointerTypeInContext(c, 0));
    LLVMValueRef args[2] = {chain, LLVMConstReal(dbl, 0.5)};
    LLVMValueRef call = LLVMBuildCall2(b, nest_type(c), callee, args, 2, "");
    LLVMAddCallSiteAttribute(call, 1, nest_attr(c));
    LLVMBuildRet(b, call);
    LLVMDisposeBuilder(b);
    return 0;
}

typedef double (*f24)(int64_t, double, int64_t, double, int64_t, double, int64_t, double, int64_t,
                      double, int64_t, double, int64_t, double, int64_t, double, int64_t, double,
                      int64_t, double, int64_t, double, int64_t, double);
typedef double (*fv)(v2d, v2d, v2d, v2d, v2d, v2d, v2d, v2d, v2d);
typedef big (*fs)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, double);
typedef int (*fprintf_like)(char *, size_t, const char *, ...);

int main(void) {
    kjit *jit;
    CHECK(kjit_create(NULL, &jit) == KJIT_OK);
    static t_fn d24 = {.types = "idididididididididididid", .k = 6};
    char sig[80];
    CHECK(kjit_define(jit, "p24", t_sig(&d24, sig, sizeof sig), t_generate, &d24, NULL) ==
          KJIT_OK);
    /* The signatures given are what T0 and kjit_call would use; these
     * functions are only ever called from C and JIT'd code, by their real
     * types. */
    CHECK(kjit_define(jit, "vsum", "d()", gen_vsum, NULL, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "sret", "v(p)", gen_sret, NULL, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "chained", "d(pd)", gen_chained, NULL, NULL) == KJIT_OK);
    CHECK(kjit_declare_host(jit, "snprintf", "i(pip)") == KJIT_OK);

    double a[24], want24 = 6;
    for (int i = 0; i < 24; i++) {
        a[i] = (i % 2 == 0) ? (double)(i * 7 - 30) : 0.25 * i + 1000;
        want24 += a[i] * (i + 1);
    }
    v2d v[9];
    double wantv = 0;
    for (int i = 0; i < 9; i++) {
        v[i] = (v2d){i + 0.5, 100.0 * (i + 1)};
        wantv += (i + 1) * (v[i][0] + 3 * v[i][1]);
    }
    for (int round = 0; round < 2; round++) {
        f24 p24 = (f24)kjit_address(jit, "p24");
        CHECK(p24((int64_t)a[0], a[1], (int64_t)a[2], a[3], (int64_t)a[4], a[5], (int64_t)a[6],
                  a[7], (int64_t)a[8], a[9], (int64_t)a[10], a[11], (int64_t)a[12], a[13],
                  (int64_t)a[14], a[15], (int64_t)a[16], a[17], (int64_t)a[18], a[19],
                  (int64_t)a[20], a[21], (int64_t)a[22], a[23]) == want24);

        fv vsum = (fv)kjit_address(jit, "vsum");
        CHECK(vsum(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]) == wantv);

        fs sret = (fs)kjit_address(jit, "sret");
        big r = sret(1, 2, 3, 4, 5, 6, 7, 8, 9.75);
        CHECK(r.a == 12345678 && r.b == 8 && r.c == 9 && r.d == 77);

        double x;
        CHECK(kjit_run(jit, gen_call_chained, NULL, &x) == KJIT_OK && x == 41.5);

        fprintf_like pr = (fprintf_like)kjit_address(jit, "snprintf");
        char buf[128];
        CHECK(pr(buf, sizeof buf, "%g %g %g %g %g %g %g %g %g %g|%d", 1.5, 2.5, 3.5, 4.5, 5.5, 6.5,
                 7.5, 8.5, 9.5, 10.5, 11) > 0);
        CHECK(strcmp(buf, "1.5 2.5 3.5 4.5 5.5 6.5 7.5 8.5 9.5 10.5|11") == 0);
    }
    CHECK(atomic_load(&d24.calls) == 1);
    kjit_stats s;
    kjit_get_stats(jit, &s);
    CHECK(s.compiled == 4); /* p24, vsum, sret, chained: once each */
    kjit_destroy(jit);
    return t_done("test_abi");
}
