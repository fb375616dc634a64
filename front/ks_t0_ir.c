/*
 * ks_t0_ir.c — LLVM IR from T0 bytecode (see ks_t0_ir.h).
 *
 * A baseline compiler in Sparkplug's manner: one walk over the bytecode, no
 * analysis.  The interpreter's state becomes memory the optimiser can see
 * through: one alloca per frame slot and one for the accumulator, all in the
 * entry block, so mem2reg/SROA turn them into SSA values.  A basic block
 * starts at every jump target and after every conditional jump; each
 * instruction becomes one IEEE operation on values from the frame, the same
 * operations in the same order as ks_t0_exec (constants that lowering folded
 * are already constants here), so results match it bit for bit.  Within a
 * block the walk forwards values itself, which costs nothing and halves the
 * IR: the accumulator is an SSA value, stored to its alloca only where the
 * block ends, and a slot is loaded at most once (stores go through at once).
 *
 * On-stack replacement falls out of the same walk: the OSR entry's entry
 * block copies the interpreter's frame into the slot allocas and branches to
 * the block at the loop's top, where the interpreter itself resumes after the
 * back-edge hook returns 0.  The accumulator is dead there (the body's code
 * writes it before reading it, as every expression's code does), so it
 * starts at 0.0.  The rest of the function, unreachable from that entry, is
 * left to LLVM to delete.
 */
#include "ks_t0_ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "ks_irgen.h"
#include "ks_dbg.h"

typedef struct tgen {
    const ks_t0_code *code;
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTypeRef dbl;
    LLVMValueRef fn, acc;
    LLVMValueRef *slots;        /* frame_size allocas */
    unsigned nslots;
    /* Forwarding within the current block: the accumulator's value (NULL:
     * in its alloca) and whether the alloca is behind; per slot its value,
     * valid when cgen[r] == gen (a new block bumps gen). */
    LLVMValueRef accv;
    int acc_dirty;
    LLVMValueRef *cval;
    unsigned *cgen, gen;
    LLVMBasicBlockRef *blocks;  /* per code word: the block starting there, or NULL */
    char *err;
    size_t errlen;
    int failed;
    ks_dbg dbg;             /* debug info, if the code was lowered with it */
} tgen;

static int fail(tgen *g, const char *msg, const char *arg) {
    if (!g->failed)
        snprintf(g->err, g->errlen, msg, arg);
    g->failed = 1;
    return -1;
}

static LLVMValueRef slot(tgen *g, unsigned r) {
    if (r >= g->nslots) {
        fail(g, "T0 code names frame slot %s out of range", "");
        return g->slots[0];
    }
    return g->slots[r];
}

static LLVMValueRef load_slot(tgen *g, unsigned r) {
    LLVMValueRef a = slot(g, r);
    if (g->failed)
        return LLVMConstReal(g->dbl, 0.0);
    if (g->cgen[r] != g->gen) {
        g->cval[r] = LLVMBuildLoad2(g->b, g->dbl, a, "");
        g->cgen[r] = g->gen;
    }
    return g->cval[r];
}

static void store_slot(tgen *g, unsigned r, LLVMValueRef v) {
    LLVMValueRef a = slot(g, r);
    if (g->failed)
        return;
    LLVMBuildStore(g->b, v, a);
    g->cval[r] = v;
    g->cgen[r] = g->gen;
}

static LLVMValueRef value(tgen *g, ks_t0_opd o) {
    switch (o.kind) {
    case KS_T0_OPD_ACC:
        if (!g->accv)
            g->accv = LLVMBuildLoad2(g->b, g->dbl, g->acc, "acc");
        return g->accv;
    case KS_T0_OPD_REG: return load_slot(g, o.r);
    default: return LLVMConstReal(g->dbl, o.k); /* bit-exact, NaN payloads included */
    }
}

static void set_acc(tgen *g, LLVMValueRef v) {
    g->accv = v;
    g->acc_dirty = 1;
}

/* Before a block's terminator: the accumulator back to its alloca. */
static void end_block(tgen *g) {
    if (g->acc_dirty)
        LLVMBuildStore(g->b, g->accv, g->acc);
    g->acc_dirty = 0;
}

/* Continue at the start of bb: nothing forwarded into it. */
static void begin_block(tgen *g, LLVMBasicBlockRef bb) {
    LLVMPositionBuilderAtEnd(g->b, bb);
    g->accv = NULL;
    g->acc_dirty = 0;
    g->gen++;
}

static LLVMValueRef truth(tgen *g, LLVMValueRef v) {
    return LLVMBuildFCmp(g->b, LLVMRealONE, v, LLVMConstReal(g->dbl, 0.0), "cond");
}

/* The external `double name(double x n)`, declared if absent (as ks_irgen). */
static LLVMValueRef callee(tgen *g, const char *name, int n) {
    LLVMValueRef f = LLVMGetNamedFunction(g->mod, name);
    if (!f) {
        LLVMTypeRef *params = malloc(sizeof *params * (size_t)(n > 0 ? n : 1));
        if (!params)
            abort();
        for (int i = 0; i < n; i++)
            params[i] = g->dbl;
        f = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->dbl, params, (unsigned)n, 0));
        free(params);
    }
    LLVMTypeRef ty = LLVMGlobalGetValueType(f);
    if (LLVMCountParamTypes(ty) != (unsigned)n) {
        char msg[160];
        snprintf(msg, sizeof msg, "'%.60s' called with %d arguments, declared with %u", name, n,
                 LLVMCountParamTypes(ty));
        fail(g, "%s", msg);
        return NULL;
    }
    return f;
}

static LLVMValueRef global(tgen *g, const char *name) {
    char sym[256];
    ks_irgen_global_symbol(name, sym, sizeof sym);
    LLVMValueRef gv = LLVMGetNamedGlobal(g->mod, sym);
    return gv ? gv : LLVMAddGlobal(g->mod, g->dbl, sym);
}

static LLVMBasicBlockRef block_at(tgen *g, unsigned pc) {
    if (pc >= ks_t0_ncode(g->code)) {
        fail(g, "T0 code jumps out of range%s", "");
        pc = 0;
    }
    if (!g->blocks[pc])
        g->blocks[pc] = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "");
    return g->blocks[pc];
}

/* One instruction at the builder's position. */
static void insn(tgen *g, const ks_t0_insn *in) {
    LLVMValueRef a, b;
    switch (in->op) {
    case KS_T0_I_ADD:
        a = value(g, in->a), b = value(g, in->b);
        set_acc(g, LLVMBuildFAdd(g->b, a, b, "add"));
        break;
    case KS_T0_I_SUB:
        a = value(g, in->a), b = value(g, in->b);
        set_acc(g, LLVMBuildFSub(g->b, a, b, "sub"));
        break;
    case KS_T0_I_MUL:
        a = value(g, in->a), b = value(g, in->b);
        set_acc(g, LLVMBuildFMul(g->b, a, b, "mul"));
        break;
    case KS_T0_I_DIV:
        a = value(g, in->a), b = value(g, in->b);
        set_acc(g, LLVMBuildFDiv(g->b, a, b, "div"));
        break;
    case KS_T0_I_LT:
        a = value(g, in->a), b = value(g, in->b);
        set_acc(g, LLVMBuildUIToFP(g->b, LLVMBuildFCmp(g->b, LLVMRealULT, a, b, "lt"), g->dbl,
                                   "bool"));
        break;
    case KS_T0_I_JGE:
        a = value(g, in->a), b = value(g, in->b);
        end_block(g);
        LLVMBuildCondBr(g->b, LLVMBuildFCmp(g->b, LLVMRealULT, a, b, "lt"),
                        block_at(g, in->next), block_at(g, in->target));
        break;
    case KS_T0_I_LD: set_acc(g, value(g, in->a)); break;
    case KS_T0_I_ST: store_slot(g, in->dst, value(g, in->a)); break;
    case KS_T0_I_LDG: set_acc(g, LLVMBuildLoad2(g->b, g->dbl, global(g, in->name), in->name)); break;
    case KS_T0_I_STG: LLVMBuildStore(g->b, value(g, in->a), global(g, in->name)); break;
    case KS_T0_I_JMP:
        end_block(g);
        LLVMBuildBr(g->b, block_at(g, in->target));
        break;
    case KS_T0_I_JF:
        a = truth(g, value(g, in->a));
        end_block(g);
        LLVMBuildCondBr(g->b, a, block_at(g, in->next), block_at(g, in->target));
        break;
    case KS_T0_I_CALL: {
        LLVMValueRef f = callee(g, in->name, in->nargs);
        if (!f)
            break;
        int n = in->nargs;
        LLVMValueRef *args = malloc(sizeof *args * (size_t)(n > 0 ? n : 1));
        if (!args)
            abort();
        for (int i = 0; i < n; i++)
            args[i] = load_slot(g, in->dst + (unsigned)i);
        ks_dbg_at(&g->dbg, g->b, (int)in->line, (int)in->col);
        set_acc(g, LLVMBuildCall2(g->b, LLVMGlobalGetValueType(f), f, args, (unsigned)n, ""));
        ks_dbg_at(&g->dbg, g->b, ks_t0_line(g->code), 0);
        free(args);
        break;
    }
    case KS_T0_I_FOR: {
        /* As FORK/FORR: the end test's value, then the step, then the branch. */
        LLVMValueRef c = value(g, in->a);
        LLVMValueRef cur = load_slot(g, in->dst);
        LLVMValueRef step = value(g, in->b);
        store_slot(g, in->dst, LLVMBuildFAdd(g->b, cur, step, "nextvar"));
        LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "afterloop");
        c = truth(g, c);
        end_block(g);
        LLVMBuildCondBr(g->b, c, block_at(g, in->target), exit);
        begin_block(g, exit);
        set_acc(g, LLVMConstReal(g->dbl, 0.0)); /* the for's value */
        end_block(g);
        LLVMBuildBr(g->b, block_at(g, in->next));
        break;
    }
    case KS_T0_I_RET: LLVMBuildRet(g->b, value(g, in->a)); break;
    }
}

static int ends_block(ks_t0_iop op) {
    return op == KS_T0_I_JGE || op == KS_T0_I_JMP || op == KS_T0_I_JF || op == KS_T0_I_FOR ||
           op == KS_T0_I_RET;
}

/* The function `symbol` of type ty, declared or new, not yet defined. */
static LLVMValueRef define(tgen *g, const char *symbol, LLVMTypeRef ty) {
    LLVMValueRef fn = LLVMGetNamedFunction(g->mod, symbol);
    if (fn && !LLVMIsDeclaration(fn)) {
        fail(g, "'%s' is already defined in this module", symbol);
        return NULL;
    }
    if (fn && LLVMGlobalGetValueType(fn) != ty) {
        fail(g, "'%s' is declared with another type", symbol);
        return NULL;
    }
    if (!fn)
        fn = LLVMAddFunction(g->mod, symbol, ty);
    LLVMSetLinkage(fn, LLVMExternalLinkage);
    return fn;
}

/* The whole walk: osr_loop < 0 for the function itself, else its OSR entry. */
static int gen(const ks_t0_code *code, int osr_loop, LLVMModuleRef mod, const char *symbol,
               char *err, size_t errlen) {
    tgen g = {.code = code, .ctx = LLVMGetModuleContext(mod), .mod = mod, .err = err,
              .errlen = errlen};
    g.dbl = LLVMDoubleTypeInContext(g.ctx);
    int nparams = ks_t0_nparams(code);
    unsigned ncode = ks_t0_ncode(code);
    if (osr_loop >= 0 && ks_t0_loop_depth(code, osr_loop) < 0) {
        snprintf(err, errlen, "no loop %d in this code", osr_loop);
        return -1;
    }

    /* The function's type: its parameters, or the frame pointer. */
    LLVMTypeRef ty;
    if (osr_loop >= 0) {
        LLVMTypeRef ptr = LLVMPointerTypeInContext(g.ctx, 0);
        ty = LLVMFunctionType(g.dbl, &ptr, 1, 0);
    } else {
        LLVMTypeRef *params = malloc(sizeof *params * (size_t)(nparams > 0 ? nparams : 1));
        if (!params)
            abort();
        for (int i = 0; i < nparams; i++)
            params[i] = g.dbl;
        ty = LLVMFunctionType(g.dbl, params, (unsigned)nparams, 0);
        free(params);
    }
    if (!(g.fn = define(&g, symbol, ty)))
        return -1;

    g.nslots = (unsigned)ks_t0_frame_size(code);
    g.slots = malloc(sizeof *g.slots * g.nslots);
    g.cval = malloc(sizeof *g.cval * g.nslots);
    g.cgen = calloc(g.nslots, sizeof *g.cgen); /* all 0: nothing forwarded, gen starts at 1 */
    g.gen = 1;
    g.blocks = calloc(ncode + 1, sizeof *g.blocks);
    if (!g.slots || !g.cval || !g.cgen || !g.blocks)
        abort();
    g.b = LLVMCreateBuilderInContext(g.ctx);
    ks_dbg_begin(&g.dbg, ks_t0_debug_info(code), mod, g.fn, ks_t0_name(code), ks_t0_file(code),
                 ks_t0_line(code));
    ks_dbg_at(&g.dbg, g.b, ks_t0_line(code), 0);

    /* Entry: the allocas, then the frame as the interpreter starts it (the
     * parameters, zeros) or as the OSR entry receives it. */
    LLVMPositionBuilderAtEnd(g.b, LLVMAppendBasicBlockInContext(g.ctx, g.fn, "entry"));
    for (unsigned i = 0; i < g.nslots; i++)
        g.slots[i] = LLVMBuildAlloca(g.b, g.dbl, "");
    g.acc = LLVMBuildAlloca(g.b, g.dbl, "acc");
    LLVMValueRef frame = osr_loop >= 0 ? LLVMGetParam(g.fn, 0) : NULL;
    if (frame)
        LLVMSetValueName2(frame, "frame", 5);
    for (unsigned i = 0; i < g.nslots; i++) {
        LLVMValueRef v;
        if (frame) {
            LLVMValueRef idx = LLVMConstInt(LLVMInt64TypeInContext(g.ctx), i, 0);
            v = LLVMBuildLoad2(g.b, g.dbl, LLVMBuildInBoundsGEP2(g.b, g.dbl, frame, &idx, 1, ""),
                               "");
        } else {
            v = i < (unsigned)nparams ? LLVMGetParam(g.fn, i) : LLVMConstReal(g.dbl, 0.0);
        }
        LLVMBuildStore(g.b, v, g.slots[i]);
    }
    LLVMBuildStore(g.b, LLVMConstReal(g.dbl, 0.0), g.acc);

    /* Blocks at jump targets (and the loop's top for OSR): one walk. */
    ks_t0_iter it = {0};
    ks_t0_insn in;
    int top = -1;
    while (ks_t0_next(code, &it, &in)) {
        if (in.op == KS_T0_I_JGE || in.op == KS_T0_I_JMP || in.op == KS_T0_I_JF ||
            in.op == KS_T0_I_FOR)
            block_at(&g, in.target);
        if (in.op == KS_T0_I_FOR && in.loop == osr_loop)
            top = (int)in.target;
    }
    LLVMBuildBr(g.b, block_at(&g, osr_loop >= 0 ? (unsigned)top : 0));

    /* The code: the second walk. */
    int open = 0; /* the builder's block has no terminator yet */
    it = (ks_t0_iter){0};
    while (!g.failed && ks_t0_next(code, &it, &in)) {
        if (g.blocks[in.pc]) {
            if (open) {
                end_block(&g);
                LLVMBuildBr(g.b, g.blocks[in.pc]);
            }
            begin_block(&g, g.blocks[in.pc]);
        } else if (!open) { /* after an unconditional jump: unreachable code */
            begin_block(&g, block_at(&g, in.pc));
        }
        insn(&g, &in);
        open = !ends_block(in.op); /* a conditional jump made the block at in.next */
    }
    if (!g.failed && open)
        fail(&g, "T0 code runs off its end%s", "");

    ks_dbg_end(&g.dbg);
    LLVMDisposeBuilder(g.b);
    free(g.slots);
    free(g.cval);
    free(g.cgen);
    free(g.blocks);
    if (g.failed) {
        /* Leave no half-built body behind. */
        LLVMBasicBlockRef bb;
        while ((bb = LLVMGetFirstBasicBlock(g.fn)))
            LLVMDeleteBasicBlock(bb);
        return -1;
    }
    return 0;
}

int ks_t0_irgen(const ks_t0_code *code, LLVMModuleRef mod, const char *symbol, char *err,
                size_t errlen) {
    return gen(code, -1, mod, symbol, err, errlen);
}

int ks_t0_irgen_osr(const ks_t0_code *code, int loop, LLVMModuleRef mod, const char *symbol,
                    char *err, size_t errlen) {
    if (loop < 0) {
        snprintf(err, errlen, "no loop %d in this code", loop);
        return -1;
    }
    return gen(code, loop, mod, symbol, err, errlen);
}
