/*
 * kj_safepoint.c — the one safepoint mechanism: code at every function entry
 * and on every loop back-edge, in every tier, for counting, interrupting and
 * on-stack replacement.
 *
 *   T0        the T0 entry's call (kj_t0.c: counts, polls) and kjit_backedge
 *             (kj_osr.c: counts, polls, enters OSR code);
 *   compiled  kj_safepoint_edges puts code on the entry and back-edges of a
 *             function's IR: a poll of the interrupt flag in every compiled
 *             function (kj_safepoint_polls, before the pass pipeline, so
 *             that bodies inlined into others keep theirs), and T1's
 *             counters (kj_tier.c, after mem2reg).
 *
 * A poll is a load of jit->interrupt and a branch, taken only when an
 * interrupt is pending, to a call of kj_safepoint_poll, which raises
 * KJIT_EINTR like any run-time error: from our own C code, with no lock
 * held, never inside LLVM.  kjit_interrupt only stores the flag, so it may
 * be called from any thread and from a signal handler.
 *
 * Layer tiers (lib/LAYERS): calls only the pipeline and the layers below.
 */
#include <stdint.h>
#include <stdlib.h>

#include <llvm-c/Core.h>

#include <llvm-c/DebugInfo.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"
#include "tiers/kj_tiers.h"

/* Phis of `bb` that came from `from` now come from `to`.  The C API cannot
 * change an incoming block, so each such phi is rebuilt. */
static void retarget_phis(LLVMBuilderRef b, LLVMBasicBlockRef bb, LLVMBasicBlockRef from,
                          LLVMBasicBlockRef to) {
    LLVMValueRef i = LLVMGetFirstInstruction(bb);
    while (i && LLVMIsAPHINode(i)) {
        LLVMValueRef next = LLVMGetNextInstruction(i);
        unsigned n = LLVMCountIncoming(i);
        LLVMPositionBuilderBefore(b, i);
        LLVMValueRef phi = LLVMBuildPhi(b, LLVMTypeOf(i), "");
        for (unsigned k = 0; k < n; k++) {
            LLVMValueRef v = LLVMGetIncomingValue(i, k);
            LLVMBasicBlockRef blk = LLVMGetIncomingBlock(i, k);
            if (blk == from) blk = to;
            LLVMAddIncoming(phi, &v, &blk, 1);
        }
        LLVMReplaceAllUsesWith(i, phi);
        LLVMInstructionEraseFromParent(i);
        i = next;
    }
}

/* Whether bb is where exceptions land: its first instruction after the
 * phis is a landingpad (or another EH pad), which only an unwind edge may
 * reach. */
static int eh_pad(LLVMBasicBlockRef bb) {
    LLVMValueRef i = LLVMGetFirstInstruction(bb);
    while (i && LLVMIsAPHINode(i)) i = LLVMGetNextInstruction(i);
    if (!i) return 0;
    LLVMOpcode op = LLVMGetInstructionOpcode(i);
    return op == LLVMLandingPad || op == LLVMCatchPad || op == LLVMCleanupPad ||
           op == LLVMCatchSwitch;
}

/* Run the code at the end of bb, before its terminator term: term moves to
 * a new block, which the code ends by branching to. */
static void code_before(LLVMBuilderRef b, LLVMValueRef fn, LLVMBasicBlockRef bb, LLVMValueRef term,
                        kj_safepoint_emit emit, void *ctx) {
    LLVMContextRef c = LLVMGetTypeContext(LLVMTypeOf(fn));
    LLVMBasicBlockRef tail = LLVMAppendBasicBlockInContext(c, fn, "kj.dispatch");
    LLVMInstructionRemoveFromParent(term);
    LLVMPositionBuilderAtEnd(b, tail);
    LLVMInsertIntoBuilder(b, term);
    for (unsigned s = 0; s < LLVMGetNumSuccessors(term); s++) {
        LLVMBasicBlockRef dst = LLVMGetSuccessor(term, s);
        int seen = 0; /* (a block may be listed twice: rebuild its phis once) */
        for (unsigned t = 0; t < s; t++) seen |= LLVMGetSuccessor(term, t) == dst;
        if (!seen) retarget_phis(b, dst, bb, tail);
    }
    LLVMPositionBuilderAtEnd(b, bb);
    emit(ctx, b, fn, tail);
}

/* fn's blocks in layout order, malloc'd (aborts on OOM, like the builder). */
static LLVMBasicBlockRef *blocks_of(LLVMValueRef fn, int *n) {
    *n = (int)LLVMCountBasicBlocks(fn);
    LLVMBasicBlockRef *blocks = malloc(sizeof *blocks * (size_t)(*n > 0 ? *n : 1));
    if (!blocks) abort();
    LLVMGetBasicBlocks(fn, blocks);
    return blocks;
}

typedef struct block_at {
    LLVMBasicBlockRef bb;
    int i;
} block_at;

/* A depth-first walk of fn's blocks from the entry: when each block was
 * reached and when it was left (0: never, unreachable). */
typedef struct walk {
    LLVMBasicBlockRef *blocks;
    int n;
    int *in, *out;
    block_at *by_ref; /* the blocks sorted by reference: index_of in log n */
} walk;

static int by_ref(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const block_at *)a)->bb, y = (uintptr_t)((const block_at *)b)->bb;
    return (x > y) - (x < y);
}

/* bb's index in layout order, or w->n if it is none of w's blocks. */
static int index_of(const walk *w, LLVMBasicBlockRef bb) {
    block_at key = {bb, 0};
    const block_at *at = bsearch(&key, w->by_ref, (size_t)w->n, sizeof key, by_ref);
    return at ? at->i : w->n;
}

static void walk_blocks(walk *w, LLVMValueRef fn) {
    w->blocks = blocks_of(fn, &w->n);
    size_t n = (size_t)(w->n > 0 ? w->n : 1);
    w->in = calloc(n, sizeof *w->in);
    w->out = calloc(n, sizeof *w->out);
    w->by_ref = malloc(n * sizeof *w->by_ref);
    int *stack = malloc(n * sizeof *stack);
    unsigned *next = calloc(n, sizeof *next);
    if (!w->in || !w->out || !w->by_ref || !stack || !next) abort();
    for (int i = 0; i < w->n; i++) w->by_ref[i] = (block_at){w->blocks[i], i};
    qsort(w->by_ref, (size_t)w->n, sizeof *w->by_ref, by_ref);
    int sp = 0, clock = 0;
    if (w->n > 0) {
        stack[sp++] = 0;
        w->in[0] = ++clock;
    }
    while (sp > 0) {
        int i = stack[sp - 1];
        LLVMValueRef term = LLVMGetBasicBlockTerminator(w->blocks[i]);
        if (!term || next[i] == LLVMGetNumSuccessors(term)) {
            w->out[i] = ++clock;
            sp--;
            continue;
        }
        int j = index_of(w, LLVMGetSuccessor(term, next[i]++));
        if (j < w->n && !w->in[j]) {
            w->in[j] = ++clock;
            stack[sp++] = j;
        }
    }
    free(stack);
    free(next);
}

static void walk_free(walk *w) {
    free(w->blocks);
    free(w->in);
    free(w->out);
    free(w->by_ref);
}

/* A back-edge, the one definition of a loop here: an edge from blocks[i]
 * to a block on the walk's path to it (blocks[i] itself included), not an
 * unwind edge.  Every cycle has one in any walk: the edge into the cycle's
 * first-reached block from the rest of the cycle, which the walk reaches
 * from it.  Layout order does not matter (a generator may place a join
 * block before the arms that reach it: such an edge is no loop). */
static int back_edge(const walk *w, int i, LLVMBasicBlockRef dst) {
    int j = index_of(w, dst);
    return j < w->n && w->in[i] && w->in[j] <= w->in[i] && w->out[j] >= w->out[i] &&
           !eh_pad(dst);
}

int kj_safepoint_has_loop(LLVMValueRef fn) {
    if (!fn) return 0;
    int loop = 0;
    walk w;
    walk_blocks(&w, fn);
    for (int i = 0; i < w.n && !loop; i++) {
        LLVMValueRef term = LLVMGetBasicBlockTerminator(w.blocks[i]);
        for (unsigned s = 0; term && s < LLVMGetNumSuccessors(term) && !loop; s++)
            loop = back_edge(&w, i, LLVMGetSuccessor(term, s));
    }
    walk_free(&w);
    return loop;
}

void kj_safepoint_edges(LLVMValueRef fn, kj_safepoint_emit emit, void *ctx) {
    LLVMContextRef c = LLVMGetTypeContext(LLVMTypeOf(fn));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    /* Back-edges first (on the original blocks, walked before any is
     * changed).  Each goes through a new block that runs the code, then on
     * to a join block that jumps to the loop header (whose phis now name
     * the join block). */
    walk w;
    walk_blocks(&w, fn);
    LLVMBasicBlockRef *blocks = w.blocks;
    for (int i = 0; i < w.n; i++) {
        LLVMValueRef term = LLVMGetBasicBlockTerminator(blocks[i]);
        if (!term) continue;
        LLVMOpcode op = LLVMGetInstructionOpcode(term);
        if (op == LLVMIndirectBr || op == LLVMCallBr) {
            /* Its targets are label addresses (computed goto): an edge
             * cannot be redirected.  The code goes before the jump instead,
             * on every dispatch of an interpreter loop, if one edge goes
             * back. */
            int back = 0;
            for (unsigned s = 0; s < LLVMGetNumSuccessors(term) && !back; s++)
                back = back_edge(&w, i, LLVMGetSuccessor(term, s));
            if (back) code_before(b, fn, blocks[i], term, emit, ctx);
            continue;
        }
        for (unsigned s = 0; s < LLVMGetNumSuccessors(term); s++) {
            LLVMBasicBlockRef dst = LLVMGetSuccessor(term, s);
            /* (An exception edge, to a landing pad, is no loop and cannot
             * go through another block.) */
            if (!back_edge(&w, i, dst)) continue;
            LLVMBasicBlockRef edge = LLVMAppendBasicBlockInContext(c, fn, "kj.backedge");
            LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c, fn, "kj.loop");
            LLVMPositionBuilderAtEnd(b, edge);
            emit(ctx, b, fn, join);
            LLVMPositionBuilderAtEnd(b, join);
            LLVMBuildBr(b, dst);
            LLVMSetSuccessor(term, s, edge);
            retarget_phis(b, dst, blocks[i], join);
        }
    }
    /* Entry: a new first block runs the code, then falls into the old entry.
     * The old entry's static allocas (of a constant size) move up, so they
     * stay static allocas.  A dynamic one (a C VLA: `alloca double, i64 %n`)
     * stays where it is: its size is computed before it in the old entry,
     * and it comes after the llvm.stacksave that frees it. */
    LLVMBasicBlockRef old = blocks[0];
    LLVMBasicBlockRef entry = LLVMInsertBasicBlockInContext(c, old, "kj.entry");
    LLVMPositionBuilderAtEnd(b, entry);
    for (LLVMValueRef i = LLVMGetFirstInstruction(old), next; i; i = next) {
        next = LLVMGetNextInstruction(i);
        if (LLVMIsAAllocaInst(i) && LLVMIsAConstantInt(LLVMGetOperand(i, 0))) {
            LLVMInstructionRemoveFromParent(i);
            LLVMInsertIntoBuilder(b, i);
        }
    }
    emit(ctx, b, fn, old);
    walk_free(&w);
    LLVMDisposeBuilder(b);
}

/* ---- polls ------------------------------------------------------------------- */

void kj_safepoint_poll(kjit *jit) {
    if (atomic_exchange_explicit(&jit->interrupt, 0, memory_order_acq_rel))
        kj_trap_raise(jit, KJIT_EINTR, "interrupted");
}

void kjit_interrupt(kjit *jit) {
    if (jit) atomic_store_explicit(&jit->interrupt, 1, memory_order_release);
}

typedef struct poll_ctx {
    LLVMTypeRef i32, ptr, poll_ty;
    LLVMValueRef flag, poll, arg;
    LLVMAttributeRef cold;
    LLVMValueRef unlikely;   /* !prof branch weights: the poll is almost never taken */
    unsigned prof_kind;
} poll_ctx;

/* if (*flag) kj_safepoint_poll(jit); then on to next.  The load is
 * volatile: the optimiser must not hoist it out of a loop.  The call is
 * cold and its branch weighted as never taken, so that the register
 * allocator and block placement keep it off the loop's path (without that,
 * values live across the loop were spilled around it: mandel ran 1.8x
 * slower). */
static void emit_poll(void *ctx, LLVMBuilderRef b, LLVMValueRef fn, LLVMBasicBlockRef next) {
    poll_ctx *p = ctx;
    LLVMContextRef c = LLVMGetTypeContext(LLVMTypeOf(fn));
    /* In a function with debug info the poll is at the function's line, so
     * an interrupt's frame has a line even where the loop has no call. */
    LLVMMetadataRef sp = LLVMGetSubprogram(fn);
    if (sp)
        LLVMSetCurrentDebugLocation2(
            b, LLVMDIBuilderCreateDebugLocation(c, LLVMDISubprogramGetLine(sp), 0, sp, NULL));
    LLVMValueRef v = LLVMBuildLoad2(b, p->i32, p->flag, "kj.intr");
    LLVMSetVolatile(v, 1);
    LLVMValueRef set = LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(p->i32, 0, 0), "");
    LLVMBasicBlockRef call = LLVMAppendBasicBlockInContext(c, fn, "kj.poll");
    LLVMValueRef br = LLVMBuildCondBr(b, set, call, next);
    LLVMSetMetadata(br, p->prof_kind, p->unlikely);
    LLVMPositionBuilderAtEnd(b, call);
    LLVMValueRef cl = LLVMBuildCall2(b, p->poll_ty, p->poll, &p->arg, 1, "");
    LLVMAddCallSiteAttribute(cl, LLVMAttributeFunctionIndex, p->cold);
    LLVMBuildBr(b, next);
}

void kj_safepoint_polls(kjit *jit, LLVMModuleRef mod) {
    LLVMContextRef c = LLVMGetModuleContext(mod);
    poll_ctx p = {.i32 = LLVMInt32TypeInContext(c), .ptr = LLVMPointerTypeInContext(c, 0)};
    p.poll_ty = LLVMFunctionType(LLVMVoidTypeInContext(c), &p.ptr, 1, 0);
    /* Names, not addresses, so the object can be cached (kj_link.c resolves
     * them to jit->interrupt, jit->poll_fn and jit). */
    (void)jit;
    p.flag = kj_link_extern(mod, KJ_LINK_INTERRUPT, p.i32);
    p.poll = kj_link_extern(mod, KJ_LINK_POLL, p.poll_ty);
    p.arg = kj_link_extern(mod, KJ_LINK_JIT, p.i32);
    p.cold = LLVMCreateEnumAttribute(c, LLVMGetEnumAttributeKindForName("cold", 4), 0);
    LLVMMetadataRef w[3] = {LLVMMDStringInContext2(c, "branch_weights", 14),
                            LLVMValueAsMetadata(LLVMConstInt(p.i32, 1, 0)),
                            LLVMValueAsMetadata(LLVMConstInt(p.i32, 1u << 20, 0))};
    p.unlikely = LLVMMetadataAsValue(c, LLVMMDNodeInContext2(c, w, 3));
    p.prof_kind = LLVMGetMDKindIDInContext(c, "prof", 4);
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f)) kj_safepoint_edges(f, emit_poll, &p);
}
