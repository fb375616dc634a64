/*
 * ks_t0.h — tier 0: Kaleidoscope items as compact bytecode, interpreted.
 *
 * T0 lets code run before any LLVM compile.  ks_t0_lower turns a checked item
 * into an accumulator bytecode (see ks_t0.c); ks_t0_exec interprets it with
 * exactly the semantics of ks_irgen.c (NaNs and -0 included).  The front end
 * knows nothing of stubs or tiers: calls, global storage and loop back-edges
 * go through the ks_t0_env the client gives.
 *
 * The frame (a contract with on-stack replacement: a compiled tier entered at
 * a loop's back-edge receives this frame, so its layout is derived from the
 * AST alone, never from how the bytecode happens to be generated):
 *
 *   frame[0 .. nlocals)   the item's local slots as ks_sema numbered them
 *                         (parameters first, then var/for bindings);
 *   frame[nlocals + i]    pending operand i (below), for i < max depth;
 *   frame_size            nlocals + max depth (never less than 1).
 *
 * Pending operands.  Every expression is evaluated at a depth d, the item's
 * body at depth 0.  The depth rises only where a value must be held while
 * another subexpression runs, and that value lives at frame[nlocals + d]:
 *   - binary operator at d (built-in or user-defined): lhs at d, then its
 *     value is held at frame[nlocals+d] while rhs is evaluated at d+1;
 *     a user-defined operator also holds rhs at frame[nlocals+d+1] for the
 *     call of "binaryC" (args = frame + nlocals + d);
 *   - call f(a0 .. an-1) at d: argument i is evaluated at d+i and held at
 *     frame[nlocals+d+i] (args = frame + nlocals + d);
 *   - unary operator at d: the operand at d, held at frame[nlocals+d] for the
 *     call of "unaryC";
 *   - for at d: start, body and step at d; the end condition at d+1, with the
 *     step's value (1.0 when there is no step) held at frame[nlocals+d];
 *   - if, var/in, assignment: every part at the node's own depth d.
 * Max depth is the largest d+1 over all held values (held by that rule, even
 * where no subexpression could observe them).
 *
 * Loops (for expressions) are numbered 0, 1, ... in pre-order of the body:
 * parent before children, children in source order (for: start, end, step,
 * body; call: arguments left to right; binary: lhs, rhs; if: cond, then,
 * else; var/in: initialisers, body).  A loop's depth is the d of its for.
 *
 * The back-edge of a loop is the point where it has run body, step and end
 * test, has added the step to its variable, and is about to run the body
 * again.  There frame[0 .. nlocals) hold every local's current value (slots
 * of bindings not in scope hold 0.0 or a stale value) and exactly
 * frame[nlocals .. nlocals + ks_t0_loop_depth(code, loop)) are live: the
 * values held, by the rule above, by the enclosing expressions.  Resuming the
 * loop means: run its body, then the step, the end test, and so on.
 */
#ifndef KS_T0_H
#define KS_T0_H
#include <stddef.h>
#include <stdio.h>
#include "ks_ast.h"

typedef struct ks_t0_code ks_t0_code; /* the T0 form of one item (def body, or top-level expr/global initialiser) */

typedef struct ks_t0_env {
    void *ctx;
    /* Lowering time, once per distinct callee name in the item: an opaque handle for calls.
     * `name` is valid only during the call (operator names are built on the stack). */
    void *(*callee)(void *ctx, const char *name, int nargs);
    /* Run time: call the function behind a handle.  May not return: a run-time error
     * (undefined function, stack overflow, interrupt) unwinds with siglongjmp through the
     * interpreter, so the interpreter holds no heap resources across a call (frames live on
     * the C stack and each activation of ks_t0_exec uses little of it). */
    double (*call)(void *ctx, void *callee, const double *args, int nargs, const char *file,
                   unsigned line, unsigned col); /* the call's source position, for errors */
    /* Lowering time: the stable storage of global variable `name` (top-level `var`). */
    double *(*global)(void *ctx, const char *name);
    /* Run time: called at a loop back-edge every `backedge_interval` back-edges of one
     * activation (interval >= 1; interval 1 means every back-edge).  `frame` is the activation's
     * frame (layout above), `loop` the loop's number.  Return 0 to go on interpreting; return 1
     * if the hook ran the rest of the function itself (on-stack replacement) and stored the
     * function's result in *result: the interpreter then returns *result at once.
     * May be NULL: no hook. */
    int (*backedge)(void *ctx, void *activation_user, int loop, double *frame, double *result);
    int backedge_interval;
    int debug_info; /* IR generated from the code (ks_t0_ir.c) carries debug info: source
                       lines of the calls, for debuggers and the frames of run-time errors */
} ks_t0_env;

/* Lower a checked item (ks_sema_check succeeded) to T0 form.  The result does not refer to the
 * item or its arena (the item may be freed), only to the env (which must outlive it), the env's
 * handles and global storage.  NULL on failure with a message in err (an extern; a callee or
 * global the env cannot give; a frame too large for the C stack). */
ks_t0_code *ks_t0_lower(const ks_item *item, const ks_t0_env *env, char *err, size_t errlen);

/* Run it: args has the function's parameters (none for top-level items); activation_user is
 * passed to env->backedge.  Returns the value (for a global initialiser, after storing it). */
double ks_t0_exec(const ks_t0_code *code, const double *args, void *activation_user);

int ks_t0_nparams(const ks_t0_code *code);
int ks_t0_nlocals(const ks_t0_code *code);      /* pending operands start at frame[nlocals] */
int ks_t0_frame_size(const ks_t0_code *code);   /* doubles in a frame */
int ks_t0_nloops(const ks_t0_code *code);
/* Pending operands live at loop's back-edge (see above); -1 for no such loop. */
int ks_t0_loop_depth(const ks_t0_code *code, int loop);
size_t ks_t0_bytes(const ks_t0_code *code);     /* heap bytes it holds, for statistics */
const char *ks_t0_name(const ks_t0_code *code); /* the function's name; "" for top-level code */
const char *ks_t0_file(const ks_t0_code *code); /* its source's name */
int ks_t0_line(const ks_t0_code *code);         /* the line of the item */
int ks_t0_debug_info(const ks_t0_code *code);   /* lowered with env->debug_info */
void ks_t0_free(ks_t0_code *code);              /* NULL is fine */

/* ---- reading the bytecode (for the tiers above: ks_t0_ir.c) ------------
 * An instruction seen by its meaning, not its encoding: operand forms are
 * folded into operands, and every call and global access carries its source
 * name (recorded at lowering, ks_t0_bytes counts it). */
typedef enum ks_t0_iop {
    KS_T0_I_ADD, KS_T0_I_SUB, KS_T0_I_MUL, KS_T0_I_DIV, /* acc = a op b */
    KS_T0_I_LT,   /* acc = fcmp ult a, b ? 1.0 : 0.0 */
    KS_T0_I_JGE,  /* if !(fcmp ult a, b): jump to target (else: next) */
    KS_T0_I_LD,   /* acc = a */
    KS_T0_I_ST,   /* frame[dst] = a */
    KS_T0_I_LDG,  /* acc = global `name` */
    KS_T0_I_STG,  /* global `name` = acc */
    KS_T0_I_JMP,  /* jump to target */
    KS_T0_I_JF,   /* if !(fcmp one acc, 0.0): jump to target */
    KS_T0_I_CALL, /* acc = name(frame[dst] .. frame[dst + nargs - 1]) */
    KS_T0_I_FOR,  /* c = acc; frame[dst] = frame[dst] + b; if fcmp one c, 0.0: back-edge of
                   * loop `loop`, jump to target (the loop's top); else acc = 0.0, next */
    KS_T0_I_RET   /* return acc */
} ks_t0_iop;

typedef struct ks_t0_opd {
    enum { KS_T0_OPD_ACC, KS_T0_OPD_REG, KS_T0_OPD_K } kind;
    unsigned r; /* REG: frame index */
    double k;   /* K */
} ks_t0_opd;

typedef struct ks_t0_insn {
    ks_t0_iop op;
    unsigned pc, next;   /* code word index of this and of the next instruction */
    ks_t0_opd a, b;      /* value operands, as the op says */
    unsigned dst;        /* ST, FOR: frame index written; CALL: first argument */
    unsigned target;     /* JGE, JMP, JF, FOR: code word index jumped to */
    int nargs, loop;     /* CALL; FOR */
    unsigned line, col;  /* CALL: its source position */
    const char *name;    /* CALL, LDG, STG: source name, valid while the code lives */
} ks_t0_insn;

/* Walks the code in order: it = {0} then ks_t0_next until it returns 0. */
typedef struct ks_t0_iter {
    unsigned pc, site;
} ks_t0_iter;
int ks_t0_next(const ks_t0_code *code, ks_t0_iter *it, ks_t0_insn *out);
unsigned ks_t0_ncode(const ks_t0_code *code);   /* code words: pc and targets are below it */

/* Print the bytecode, one instruction a line (for --emit and tests). */
void ks_t0_dump(FILE *out, const ks_t0_code *code);

#endif
