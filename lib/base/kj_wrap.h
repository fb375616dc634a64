/*
 * kj_wrap.h — what libkjit needs of LLVM that LLVM's C API cannot do, or
 * cannot do without costing an order of magnitude.  kj_wrap.cpp, the only
 * C++ of the project, implements it in LLVM's C++ API behind a C interface
 * (docs/DESIGN.md, "The C++ file", says why each function is there).
 */
#ifndef KJ_WRAP_H
#define KJ_WRAP_H
#include <llvm-c/Types.h>
#include <llvm-c/TargetMachine.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A module, in src's context, with a copy of each of the n global values
 * defs[] of src as a definition (functions, variables, aliases), external,
 * in no comdat; every other global value they reference is declared,
 * external and not dso_local (it may be anywhere in memory).  The module
 * is `into` if not NULL (it must hold no global value yet; it keeps its
 * triple and data layout, and gets src's module flags), else a new one
 * named `name`.  Costs what the copied definitions are, not what src is.
 * NULL on OOM. */
LLVMModuleRef kj_wrap_extract(LLVMModuleRef src, LLVMValueRef *defs, unsigned n,
                              const char *name, LLVMModuleRef into);

/* A code generator for target machine tm that makes object files of one
 * module after another: LLVM's pass pipeline for it is built once, not at
 * every compile as LLVMTargetMachineEmitToMemoryBuffer builds it.  One
 * thread at a time, on modules of one context; it must be freed before
 * tm is disposed of.  NULL if tm cannot make objects. */
typedef struct kj_wrap_emitter kj_wrap_emitter;
kj_wrap_emitter *kj_wrap_emitter_new(LLVMTargetMachineRef tm);
/* m's object file (what LLVMTargetMachineEmitToMemoryBuffer makes), or
 * NULL out of memory. */
LLVMMemoryBufferRef kj_wrap_emit(kj_wrap_emitter *e, LLVMModuleRef m);
void kj_wrap_emitter_free(kj_wrap_emitter *e);

/* Read the body of g (a function of a module read lazily from bitcode,
 * LLVMGetBitcodeModuleInContext2) if it has not been read yet; or every
 * body of module m.  0, or -1 with the bitcode reader's message in err. */
int kj_wrap_materialize(LLVMValueRef g, char *err, size_t len);
int kj_wrap_materialize_all(LLVMModuleRef m, char *err, size_t len);

/* Set what kjit needs of a target machine that the C API cannot:
 * thread-local variables the emulated way (calls to __emutls_get_address,
 * which libgcc provides: JITLink links no native TLS sections without ORC's
 * runtime), and no GlobalISel (its selector keeps a DebugLoc from one
 * compile to the next, across contexts kjit disposes: kj_wrap.cpp). */
void kj_wrap_machine(LLVMTargetMachineRef tm);

/* The source frames at pc in section number `section` of a relocatable ELF
 * object whose sections' sh_addr are their load addresses (kj_gdb.c
 * patches them; in an object file code addresses mean nothing without
 * their section): innermost first, an inlined call its own frame, each
 * given to fn with its function's name ("" if it has none), file, line and column.  Returns how
 * many (0: the object has no line for pc). */
typedef void (*kj_wrap_frame_fn)(void *ctx, const char *function, const char *file,
                                 unsigned line, unsigned col);
int kj_wrap_where(const char *obj, size_t size, unsigned section, uint64_t pc, kj_wrap_frame_fn fn,
                  void *ctx);

/* On-stack replacement of C frames (kj_osr.c, docs/DESIGN.md).  The
 * points of a function are the headers of its outermost loops, numbered
 * in the order f lists them (of the first 8), with their live values (at
 * most 64) and a signature of their count and types: the same in T1's IR
 * and in the IR a continuation is made from.
 *
 * kj_wrap_osr_instrument: T1 code; at each point with at most max_live
 * values, every 64 passes of the activation, it calls poll(fn_rec, k, sig,
 * passes) (ptr (ptr, i32, i32, i32)); if that returns code, it calls the
 * code with the live values and returns what it returns.  Returns how many
 * points it instrumented.
 *
 * kj_wrap_osr_continuation: in f's module, the continuation of point k if
 * its signature is sig -- a function NAME that runs f from that point on,
 * the live values its parameters -- and f's own body removed.  1 if made. */
unsigned kj_wrap_osr_instrument(LLVMValueRef f, LLVMValueRef poll, LLVMValueRef fn_rec,
                                unsigned max_live);
int kj_wrap_osr_continuation(LLVMValueRef f, unsigned k, uint32_t sig, const char *name);

#ifdef __cplusplus
}
#endif
#endif
