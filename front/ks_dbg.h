/*
 * ks_dbg.h — debug info for the IR of one Kaleidoscope function: the
 * function as a subprogram of its source file, and a source position on its
 * calls (as the tutorial's chapter 9 does, without variables).  A debugger
 * then shows JIT'd frames with their source lines, and the JIT names the
 * frames of a run-time error with the position of each call.
 */
#ifndef KS_DBG_H
#define KS_DBG_H
#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>

typedef struct ks_dbg {
    LLVMDIBuilderRef di;     /* NULL: no debug info (every call below does nothing) */
    LLVMContextRef ctx;
    LLVMMetadataRef sp;      /* the function's subprogram */
} ks_dbg;

/* Start fn's debug info: name is the function's source name ("" for
 * top-level code: no name), file and line where it is defined.  on = 0
 * leaves d off. */
void ks_dbg_begin(ks_dbg *d, int on, LLVMModuleRef mod, LLVMValueRef fn, const char *name,
                  const char *file, int line);
/* Instructions b builds from now on are at line:col. */
void ks_dbg_at(ks_dbg *d, LLVMBuilderRef b, int line, int col);
/* Finish (the module's debug info is complete) and free the builder. */
void ks_dbg_end(ks_dbg *d);

#endif
