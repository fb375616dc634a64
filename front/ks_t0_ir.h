/*
 * ks_t0_ir.h — LLVM IR from T0 bytecode (a baseline compiler, as V8's
 * Sparkplug is to Ignition).
 *
 * With it, a definition's tree can be freed once it is lowered to T0: the
 * upper tiers and on-stack replacement get their IR from the bytecode.  The
 * IR computes what ks_irgen's would, bit for bit (it does what ks_t0_exec
 * does, operation by operation), and has the same interface: calls go to
 * external functions `double name(double ...)` by source name ("fib",
 * "binary|"), declared in the module; globals are external globals named by
 * ks_irgen_global_symbol.
 */
#ifndef KS_T0_IR_H
#define KS_T0_IR_H
#include <llvm-c/Types.h>
#include <stddef.h>
#include "ks_t0.h"

/* Write `double symbol(double p0, ...)` (ks_t0_nparams parameters; none for a
 * top-level item, whose function returns its value, storing a global
 * initialiser's value first) into mod, in LLVMGetModuleContext(mod).
 * Returns 0, or -1 with a message in err (then nothing of symbol's body is
 * left in mod). */
int ks_t0_irgen(const ks_t0_code *code, LLVMModuleRef mod, const char *symbol, char *err,
                size_t errlen);

/* Write `double symbol(double *frame)`: the on-stack-replacement entry at the
 * back-edge of loop `loop` (ks_t0.h).  It takes the frame as the interpreter
 * had it there (ks_t0_frame_size doubles: locals and pending operands), runs
 * the loop's body again and the rest of the function, and returns the
 * function's result: what ks_t0_exec would have returned had the back-edge
 * hook returned 0.  It only reads the frame.  Returns 0, or -1 with a message. */
int ks_t0_irgen_osr(const ks_t0_code *code, int loop, LLVMModuleRef mod, const char *symbol,
                    char *err, size_t errlen);

#endif
