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

#ifdef __cplusplus
extern "C" {
#endif

/* A new module, in src's context, with a copy of each of the n global
 * values defs[] of src as a definition (functions, variables, aliases),
 * external, in no comdat; every other global value they reference is
 * declared, external and not dso_local (it may be anywhere in memory).
 * Costs what the copied definitions are, not what src is.  NULL on OOM. */
LLVMModuleRef kj_wrap_extract(LLVMModuleRef src, LLVMValueRef *defs, unsigned n,
                              const char *name);

/* Make tm generate thread-local variables the emulated way (calls to
 * __emutls_get_address, which libgcc provides): JITLink links no native
 * TLS sections without ORC's runtime. */
void kj_wrap_emulated_tls(LLVMTargetMachineRef tm);

#ifdef __cplusplus
}
#endif
#endif
