/*
 * kc_emit.c — the whole-program module of --emit=llvm (see kc_emit.h).
 */
#include "kc_emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>

#include "kc_runtime.h"
#include "ks_irgen.h"

struct kc_emit {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    int quiet;
    int ntop;              /* thunks __kjit_top.0 .. ntop-1, run in order by main */
    unsigned char *print;  /* print[i]: main prints thunk i's value (expressions, not globals) */
};

kc_emit *kc_emit_new(int quiet) {
    kc_emit *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->ctx = LLVMContextCreate();
    e->mod = LLVMModuleCreateWithNameInContext("kjit", e->ctx);
    e->quiet = quiet;
    return e;
}

int kc_emit_item(kc_emit *e, const ks_item *item, char *err, size_t errlen) {
    if (item->kind == KS_ITEM_DEF) {
        /* One module holds one body per name, and which body a call sees
         * would depend on when it runs: say so rather than emit the wrong one. */
        LLVMValueRef old = LLVMGetNamedFunction(e->mod, item->proto->name);
        if (old && !LLVMIsDeclaration(old)) {
            snprintf(err, errlen, "redefining '%s' is not supported with --emit=llvm", item->proto->name);
            return -1;
        }
        return ks_irgen_item(item, e->mod, item->proto->name, err, errlen);
    }
    if (item->kind != KS_ITEM_EXPR && item->kind != KS_ITEM_GLOBAL) return 0;
    unsigned char *p = realloc(e->print, (size_t)e->ntop + 1);
    if (!p) abort();
    e->print = p;
    e->print[e->ntop] = item->kind == KS_ITEM_EXPR;
    char name[32];
    snprintf(name, sizeof name, "__kjit_top.%d", e->ntop++);
    return ks_irgen_item(item, e->mod, name, err, errlen);
}

static LLVMValueRef declare(LLVMModuleRef m, const char *name, LLVMTypeRef ty) {
    LLVMValueRef f = LLVMGetNamedFunction(m, name);
    return f ? f : LLVMAddFunction(m, name, ty);
}

static LLVMValueRef cstring(LLVMBuilderRef b, const char *s) {
    return LLVMBuildGlobalStringPtr(b, s, "");
}

/* Bodies for the host functions the program declared but cannot get from
 * lli's process. */
static void host_bodies(kc_emit *e, LLVMBuilderRef b) {
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(e->ctx), i32 = LLVMInt32TypeInContext(e->ctx);
    LLVMTypeRef ptr = LLVMPointerTypeInContext(e->ctx, 0);
    LLVMTypeRef putchar_ty = LLVMFunctionType(i32, &i32, 1, 0);
    LLVMTypeRef printf_ty = LLVMFunctionType(i32, &ptr, 1, 1);
    for (int i = 0; kc_runtime_names[i]; i++) {
        LLVMValueRef f = LLVMGetNamedFunction(e->mod, kc_runtime_names[i]);
        if (!f || !LLVMIsDeclaration(f)) continue;
        LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(e->ctx, f, "entry"));
        const char *n = kc_runtime_names[i];
        if (strcmp(n, "putchard") == 0 && LLVMCountParams(f) == 1) {
            LLVMValueRef c = LLVMBuildFPToSI(b, LLVMGetParam(f, 0), i32, "");
            LLVMBuildCall2(b, putchar_ty, declare(e->mod, "putchar", putchar_ty), &c, 1, "");
        } else if (strcmp(n, "printd") == 0 && LLVMCountParams(f) == 1) {
            LLVMValueRef args[2] = {cstring(b, "%f\n"), LLVMGetParam(f, 0)};
            LLVMBuildCall2(b, printf_ty, declare(e->mod, "printf", printf_ty), args, 2, "");
        } else {
            LLVMValueRef nl = LLVMConstInt(i32, '\n', 0);
            LLVMBuildCall2(b, putchar_ty, declare(e->mod, "putchar", putchar_ty), &nl, 1, "");
        }
        LLVMBuildRet(b, LLVMConstReal(dbl, 0.0));
    }
}

/* void __kjit_print(double v): kjit's printed form of v, by the rule of
 * front/ks_value.c — among the texts "%.Ng" (N = 1..17) that strtod reads
 * back as the very same double, the shortest; on a tie in length the one
 * without an exponent; then the smallest N; "nan" for every NaN.  Written
 * with allocas: lli's own passes make registers of them. */
static LLVMValueRef print_fn(kc_emit *e, LLVMBuilderRef b) {
    LLVMContextRef c = e->ctx;
    LLVMTypeRef dbl = LLVMDoubleTypeInContext(c), i32 = LLVMInt32TypeInContext(c);
    LLVMTypeRef i8 = LLVMInt8TypeInContext(c), i64 = LLVMInt64TypeInContext(c);
    LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0), vd = LLVMVoidTypeInContext(c);
    LLVMTypeRef snprintf_params[] = {ptr, i64, ptr};
    LLVMTypeRef snprintf_ty = LLVMFunctionType(i32, snprintf_params, 3, 1);
    LLVMTypeRef strtod_params[] = {ptr, ptr};
    LLVMTypeRef strtod_ty = LLVMFunctionType(dbl, strtod_params, 2, 0);
    LLVMTypeRef strchr_params[] = {ptr, i32};
    LLVMTypeRef strchr_ty = LLVMFunctionType(ptr, strchr_params, 2, 0);
    LLVMTypeRef puts_ty = LLVMFunctionType(i32, &ptr, 1, 0);
    LLVMValueRef f = LLVMAddFunction(e->mod, "__kjit_print", LLVMFunctionType(vd, &dbl, 1, 0));
    LLVMSetLinkage(f, LLVMInternalLinkage);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c, f, "entry");
    LLVMBasicBlockRef nan = LLVMAppendBasicBlockInContext(c, f, "nan");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c, f, "loop");
    LLVMBasicBlockRef reads = LLVMAppendBasicBlockInContext(c, f, "reads_back");
    LLVMBasicBlockRef take = LLVMAppendBasicBlockInContext(c, f, "take");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(c, f, "next");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c, f, "done");
    LLVMValueRef v = LLVMGetParam(f, 0);
    LLVMValueRef zero = LLVMConstInt(i32, 0, 0), one = LLVMConstInt(i32, 1, 0);
    LLVMValueRef size = LLVMConstInt(i32, 40, 0);

    LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef cand = LLVMBuildArrayAlloca(b, i8, size, "cand");
    LLVMValueRef best = LLVMBuildArrayAlloca(b, i8, size, "best");
    LLVMValueRef n_var = LLVMBuildAlloca(b, i32, "n");
    LLVMValueRef len_var = LLVMBuildAlloca(b, i32, "best_len"); /* 0: none yet */
    LLVMValueRef exp_var = LLVMBuildAlloca(b, i32, "best_exp");
    LLVMBuildStore(b, one, n_var);
    LLVMBuildStore(b, zero, len_var);
    LLVMBuildStore(b, zero, exp_var);
    LLVMBuildCondBr(b, LLVMBuildFCmp(b, LLVMRealUNO, v, v, ""), nan, loop);

    LLVMPositionBuilderAtEnd(b, nan);
    LLVMValueRef s = cstring(b, "nan");
    LLVMBuildCall2(b, puts_ty, declare(e->mod, "puts", puts_ty), &s, 1, "");
    LLVMBuildRetVoid(b);

    /* loop: cand = "%.Ng"; does it read back as the same bits? */
    LLVMPositionBuilderAtEnd(b, loop);
    LLVMValueRef n = LLVMBuildLoad2(b, i32, n_var, "");
    LLVMValueRef sargs[] = {cand, LLVMConstInt(i64, 40, 0), cstring(b, "%.*g"), n, v};
    LLVMValueRef len = LLVMBuildCall2(b, snprintf_ty, declare(e->mod, "snprintf", snprintf_ty), sargs, 5, "len");
    LLVMValueRef targs[] = {cand, LLVMConstPointerNull(ptr)};
    LLVMValueRef back = LLVMBuildCall2(b, strtod_ty, declare(e->mod, "strtod", strtod_ty), targs, 2, "");
    LLVMValueRef same = LLVMBuildICmp(b, LLVMIntEQ, LLVMBuildBitCast(b, back, i64, ""),
                                      LLVMBuildBitCast(b, v, i64, ""), "");
    LLVMBuildCondBr(b, same, reads, next);

    /* reads_back: better than the best so far? */
    LLVMPositionBuilderAtEnd(b, reads);
    LLVMValueRef cargs[] = {cand, LLVMConstInt(i32, 'e', 0)};
    LLVMValueRef e_at = LLVMBuildCall2(b, strchr_ty, declare(e->mod, "strchr", strchr_ty), cargs, 2, "");
    LLVMValueRef has_exp = LLVMBuildZExt(b, LLVMBuildIsNotNull(b, e_at, ""), i32, "has_exp");
    LLVMValueRef best_len = LLVMBuildLoad2(b, i32, len_var, "");
    LLVMValueRef best_exp = LLVMBuildLoad2(b, i32, exp_var, "");
    LLVMValueRef none = LLVMBuildICmp(b, LLVMIntEQ, best_len, zero, "");
    LLVMValueRef shorter = LLVMBuildICmp(b, LLVMIntSLT, len, best_len, "");
    LLVMValueRef tie = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntEQ, len, best_len, ""),
                                    LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntNE, best_exp, zero, ""),
                                                 LLVMBuildICmp(b, LLVMIntEQ, has_exp, zero, ""), ""), "");
    LLVMBuildCondBr(b, LLVMBuildOr(b, none, LLVMBuildOr(b, shorter, tie, ""), ""), take, next);

    LLVMPositionBuilderAtEnd(b, take);
    LLVMBuildMemCpy(b, best, 1, cand, 1, LLVMConstInt(i64, 40, 0));
    LLVMBuildStore(b, len, len_var);
    LLVMBuildStore(b, has_exp, exp_var);
    LLVMBuildBr(b, next);

    LLVMPositionBuilderAtEnd(b, next);
    LLVMValueRef n1 = LLVMBuildAdd(b, LLVMBuildLoad2(b, i32, n_var, ""), one, "");
    LLVMBuildStore(b, n1, n_var);
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLE, n1, LLVMConstInt(i32, 17, 0), ""), loop, done);

    /* %.17g always reads back, so best holds a text here. */
    LLVMPositionBuilderAtEnd(b, done);
    LLVMBuildCall2(b, puts_ty, declare(e->mod, "puts", puts_ty), &best, 1, "");
    LLVMBuildRetVoid(b);
    return f;
}

/* The C functions main and the helpers below call by name. */
static const char *const c_names[] = {"main",     "putchar", "printf", "puts",
                                      "snprintf", "strtod",  "strchr", NULL};

/* A program may define a function of one of those names (def main(x) ...):
 * give its body a name no Kaleidoscope identifier can have, so that the
 * helpers get the C function.  Calls within the module follow the rename. */
static void rename_c_names(kc_emit *e) {
    for (int i = 0; c_names[i]; i++) {
        LLVMValueRef f = LLVMGetNamedFunction(e->mod, c_names[i]);
        if (!f || LLVMIsDeclaration(f)) continue;
        char name[32];
        snprintf(name, sizeof name, "%s.ks", c_names[i]);
        LLVMSetValueName2(f, name, strlen(name));
        LLVMSetLinkage(f, LLVMInternalLinkage);
    }
}

int kc_emit_finish(kc_emit *e, FILE *out, char *err, size_t errlen) {
    rename_c_names(e);
    /* The program's global variables: defined here, zero before main. */
    for (LLVMValueRef gv = LLVMGetFirstGlobal(e->mod); gv; gv = LLVMGetNextGlobal(gv))
        if (LLVMIsDeclaration(gv))
            LLVMSetInitializer(gv, LLVMConstReal(LLVMDoubleTypeInContext(e->ctx), 0.0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(e->ctx);
    host_bodies(e, b);
    LLVMValueRef print = e->quiet ? NULL : print_fn(e, b);
    LLVMTypeRef i32 = LLVMInt32TypeInContext(e->ctx), dbl = LLVMDoubleTypeInContext(e->ctx);
    LLVMTypeRef top_ty = LLVMFunctionType(dbl, NULL, 0, 0);
    LLVMValueRef main_fn = LLVMAddFunction(e->mod, "main", LLVMFunctionType(i32, NULL, 0, 0));
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(e->ctx, main_fn, "entry"));
    for (int i = 0; i < e->ntop; i++) {
        char name[32];
        snprintf(name, sizeof name, "__kjit_top.%d", i);
        LLVMValueRef v = LLVMBuildCall2(b, top_ty, LLVMGetNamedFunction(e->mod, name), NULL, 0, "");
        if (print && e->print[i]) LLVMBuildCall2(b, LLVMGlobalGetValueType(print), print, &v, 1, "");
    }
    LLVMBuildRet(b, LLVMConstInt(i32, 0, 0));
    LLVMDisposeBuilder(b);

    int rc = 0;
    char *msg = NULL;
    if (LLVMVerifyModule(e->mod, LLVMReturnStatusAction, &msg)) {
        snprintf(err, errlen, "invalid module: %s", msg);
        rc = -1;
    } else {
        char *text = LLVMPrintModuleToString(e->mod);
        fputs(text, out);
        LLVMDisposeMessage(text);
    }
    LLVMDisposeMessage(msg);
    LLVMDisposeModule(e->mod);
    LLVMContextDispose(e->ctx);
    free(e->print);
    free(e);
    return rc;
}
