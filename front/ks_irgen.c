/*
 * ks_irgen.c — LLVM IR for checked Kaleidoscope items (see ks_irgen.h).
 *
 * Semantics are those of LLVM's chapter 7 toy, quirks included:
 *   - `<` is fcmp ult (true when either side is NaN), converted to 1.0/0.0;
 *   - `if` and `for` test their condition with fcmp one against 0.0
 *     (NaN counts as false);
 *   - `for` runs its body, then evaluates the step, then the end condition,
 *     then adds the step to the variable, and loops while the end condition
 *     held; the whole `for` is 0.0;
 *   - every variable lives in an alloca of the entry block; sema gave each
 *     binding its own slot, so shadowing needs no bookkeeping here.
 */
#include "ks_irgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "ks_dbg.h"

typedef struct gen {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTypeRef dbl;
    LLVMValueRef fn;
    LLVMValueRef *slots;
    int nslots;
    char *err;
    size_t errlen;
    ks_dbg dbg;
    int line;             /* the item's: where code between calls is */
} gen;

static LLVMValueRef expr(gen *g, const ks_expr *e);

/* The function `name` with n double parameters, declared if absent. */
static LLVMValueRef callee(gen *g, const char *name, int n) {
    LLVMValueRef f = LLVMGetNamedFunction(g->mod, name);
    if (f) return f;
    /* Heap, not stack: the number of parameters is the input's choice. */
    LLVMTypeRef *params = malloc(sizeof *params * (size_t)(n > 0 ? n : 1));
    if (!params) abort();
    for (int i = 0; i < n; i++) params[i] = g->dbl;
    f = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->dbl, params, (unsigned)n, 0));
    free(params);
    return f;
}

static LLVMValueRef call(gen *g, const char *name, LLVMValueRef *args, int n, ks_pos pos) {
    LLVMValueRef f = callee(g, name, n);
    LLVMTypeRef ty = LLVMGlobalGetValueType(f);
    if (LLVMCountParamTypes(ty) != (unsigned)n) {
        snprintf(g->err, g->errlen, "'%s' called with %d arguments, declared with %u", name, n,
                 LLVMCountParamTypes(ty));
        return NULL;
    }
    ks_dbg_at(&g->dbg, g->b, pos.line, pos.col);
    LLVMValueRef r = LLVMBuildCall2(g->b, ty, f, args, (unsigned)n, "");
    ks_dbg_at(&g->dbg, g->b, g->line, 0);
    return r;
}

void ks_irgen_global_symbol(const char *name, char *buf, size_t len) {
    snprintf(buf, len, "var.%s", name);
}

/* Storage of a variable: its alloca, or the (external) global. */
static LLVMValueRef storage(gen *g, const char *name, int slot) {
    if (slot >= 0 && slot < g->nslots) return g->slots[slot];
    char sym[256];
    ks_irgen_global_symbol(name, sym, sizeof sym);
    LLVMValueRef gv = LLVMGetNamedGlobal(g->mod, sym);
    if (!gv) gv = LLVMAddGlobal(g->mod, g->dbl, sym);
    return gv;
}

static LLVMValueRef truth(gen *g, LLVMValueRef v) {
    return LLVMBuildFCmp(g->b, LLVMRealONE, v, LLVMConstReal(g->dbl, 0.0), "cond");
}

static LLVMValueRef binary(gen *g, const ks_expr *e) {
    LLVMValueRef l = expr(g, e->u.binary.lhs);
    if (!l) return NULL;
    LLVMValueRef r = expr(g, e->u.binary.rhs);
    if (!r) return NULL;
    switch (e->u.binary.op) {
    case '+': return LLVMBuildFAdd(g->b, l, r, "add");
    case '-': return LLVMBuildFSub(g->b, l, r, "sub");
    case '*': return LLVMBuildFMul(g->b, l, r, "mul");
    case '/': return LLVMBuildFDiv(g->b, l, r, "div");
    case '<':
        return LLVMBuildUIToFP(g->b, LLVMBuildFCmp(g->b, LLVMRealULT, l, r, "lt"), g->dbl, "bool");
    default: {
        char name[16];
        snprintf(name, sizeof name, "binary%c", e->u.binary.op);
        LLVMValueRef args[2] = {l, r};
        return call(g, name, args, 2, e->pos);
    }
    }
}

static LLVMValueRef if_expr(gen *g, const ks_expr *e) {
    LLVMValueRef c = expr(g, e->u.if_.cond);
    if (!c) return NULL;
    LLVMBasicBlockRef then_bb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "then");
    LLVMBasicBlockRef else_bb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "else");
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "ifcont");
    LLVMBuildCondBr(g->b, truth(g, c), then_bb, else_bb);

    LLVMPositionBuilderAtEnd(g->b, then_bb);
    LLVMValueRef tv = expr(g, e->u.if_.then_e);
    if (!tv) return NULL;
    LLVMBasicBlockRef then_end = LLVMGetInsertBlock(g->b);
    LLVMBuildBr(g->b, join);

    LLVMPositionBuilderAtEnd(g->b, else_bb);
    LLVMValueRef ev = expr(g, e->u.if_.else_e);
    if (!ev) return NULL;
    LLVMBasicBlockRef else_end = LLVMGetInsertBlock(g->b);
    LLVMBuildBr(g->b, join);

    LLVMPositionBuilderAtEnd(g->b, join);
    LLVMValueRef phi = LLVMBuildPhi(g->b, g->dbl, "iftmp");
    LLVMValueRef vals[2] = {tv, ev};
    LLVMBasicBlockRef bbs[2] = {then_end, else_end};
    LLVMAddIncoming(phi, vals, bbs, 2);
    return phi;
}

static LLVMValueRef for_expr(gen *g, const ks_expr *e) {
    LLVMValueRef start = expr(g, e->u.for_.start); /* the variable is not bound yet */
    if (!start) return NULL;
    LLVMValueRef var = g->slots[e->u.for_.slot];
    LLVMBuildStore(g->b, start, var);
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "loop");
    LLVMBuildBr(g->b, loop);
    LLVMPositionBuilderAtEnd(g->b, loop);
    if (!expr(g, e->u.for_.body)) return NULL;
    LLVMValueRef step =
        e->u.for_.step ? expr(g, e->u.for_.step) : LLVMConstReal(g->dbl, 1.0);
    if (!step) return NULL;
    LLVMValueRef end = expr(g, e->u.for_.end);
    if (!end) return NULL;
    LLVMValueRef cur = LLVMBuildLoad2(g->b, g->dbl, var, e->u.for_.var);
    LLVMBuildStore(g->b, LLVMBuildFAdd(g->b, cur, step, "nextvar"), var);
    LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "afterloop");
    LLVMBuildCondBr(g->b, truth(g, end), loop, after);
    LLVMPositionBuilderAtEnd(g->b, after);
    return LLVMConstReal(g->dbl, 0.0);
}

static LLVMValueRef expr(gen *g, const ks_expr *e) {
    switch (e->kind) {
    case KS_EXPR_NUM: return LLVMConstReal(g->dbl, e->u.num);
    case KS_EXPR_VAR:
        return LLVMBuildLoad2(g->b, g->dbl, storage(g, e->u.var.name, e->u.var.slot),
                              e->u.var.name);
    case KS_EXPR_UNARY: {
        LLVMValueRef v = expr(g, e->u.unary.operand);
        if (!v) return NULL;
        char name[16];
        snprintf(name, sizeof name, "unary%c", e->u.unary.op);
        return call(g, name, &v, 1, e->pos);
    }
    case KS_EXPR_BINARY: return binary(g, e);
    case KS_EXPR_ASSIGN: {
        LLVMValueRef v = expr(g, e->u.assign.value);
        if (!v) return NULL;
        LLVMBuildStore(g->b, v, storage(g, e->u.assign.name, e->u.assign.slot));
        return v;
    }
    case KS_EXPR_CALL: {
        int n = e->u.call.nargs;
        LLVMValueRef *args = malloc(sizeof *args * (size_t)(n > 0 ? n : 1)), r = NULL;
        if (!args) abort();
        int i = 0;
        for (; i < n; i++)
            if (!(args[i] = expr(g, e->u.call.args[i]))) break;
        if (i == n) r = call(g, e->u.call.callee, args, n, e->pos);
        free(args);
        return r;
    }
    case KS_EXPR_IF: return if_expr(g, e);
    case KS_EXPR_FOR: return for_expr(g, e);
    case KS_EXPR_VARIN:
        for (int i = 0; i < e->u.varin.nvars; i++) {
            const ks_binding *v = &e->u.varin.vars[i];
            LLVMValueRef init = v->init ? expr(g, v->init) : LLVMConstReal(g->dbl, 0.0);
            if (!init) return NULL;
            LLVMBuildStore(g->b, init, g->slots[v->slot]);
        }
        return expr(g, e->u.varin.body);
    }
    snprintf(g->err, g->errlen, "unknown expression kind %d", (int)e->kind);
    return NULL;
}

int ks_irgen_item(const ks_item *item, LLVMModuleRef mod, const char *symbol, char *err,
                  size_t errlen) {
    return ks_irgen_item_ex(item, mod, symbol, 0, err, errlen);
}

int ks_irgen_item_ex(const ks_item *item, LLVMModuleRef mod, const char *symbol, int debug_info,
                     char *err, size_t errlen) {
    if (item->kind == KS_ITEM_EXTERN) {
        snprintf(err, errlen, "no code for this kind of item");
        return -1;
    }
    gen g = {.ctx = LLVMGetModuleContext(mod), .mod = mod, .err = err, .errlen = errlen};
    g.dbl = LLVMDoubleTypeInContext(g.ctx);
    int nparams = item->kind == KS_ITEM_DEF ? item->proto->nparams : 0;

    g.fn = LLVMGetNamedFunction(mod, symbol);
    if (g.fn && !LLVMIsDeclaration(g.fn)) {
        snprintf(err, errlen, "'%s' is already defined in this module", symbol);
        return -1;
    }
    if (!g.fn) g.fn = callee(&g, symbol, nparams);
    if (LLVMCountParams(g.fn) != (unsigned)nparams) {
        snprintf(err, errlen, "'%s' declared with %u parameters, defined with %d", symbol,
                 LLVMCountParams(g.fn), nparams);
        return -1;
    }
    LLVMSetLinkage(g.fn, LLVMExternalLinkage);

    g.b = LLVMCreateBuilderInContext(g.ctx);
    g.line = item->pos.line;
    ks_dbg_begin(&g.dbg, debug_info, mod, g.fn, item->kind == KS_ITEM_DEF ? item->proto->name : "",
                 item->src ? item->src->name : "", g.line);
    ks_dbg_at(&g.dbg, g.b, g.line, 0);
    LLVMPositionBuilderAtEnd(g.b, LLVMAppendBasicBlockInContext(g.ctx, g.fn, "entry"));
    g.nslots = item->nlocals > nparams ? item->nlocals : nparams;
    LLVMValueRef *slots = malloc(sizeof *slots * (size_t)(g.nslots > 0 ? g.nslots : 1));
    if (!slots) abort();
    g.slots = slots;
    for (int i = 0; i < g.nslots; i++) {
        const char *nm = i < nparams ? item->proto->params[i] : "";
        slots[i] = LLVMBuildAlloca(g.b, g.dbl, nm);
    }
    for (int i = 0; i < nparams; i++) {
        LLVMValueRef p = LLVMGetParam(g.fn, (unsigned)i);
        LLVMSetValueName2(p, item->proto->params[i], strlen(item->proto->params[i]));
        LLVMBuildStore(g.b, p, slots[i]);
    }
    LLVMValueRef v = expr(&g, item->body);
    if (v && item->kind == KS_ITEM_GLOBAL) LLVMBuildStore(g.b, v, storage(&g, item->global, -1));
    if (v) LLVMBuildRet(g.b, v);
    ks_dbg_end(&g.dbg);
    LLVMDisposeBuilder(g.b);
    free(slots);
    if (!v) {
        /* Leave no half-built body behind. */
        LLVMBasicBlockRef bb;
        while ((bb = LLVMGetFirstBasicBlock(g.fn))) LLVMDeleteBasicBlock(bb);
        return -1;
    }
    return 0;
}
