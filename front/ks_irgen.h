/*
 * ks_irgen.h — LLVM IR generation for checked Kaleidoscope items.
 *
 * Follows chapter 7 of LLVM's tutorial: every variable is an alloca in the
 * entry block (promoted to registers later by mem2reg).  It knows nothing of
 * how or when the code is compiled: it writes one function into the module it
 * is given, under the name it is given.  Calls to other functions are emitted
 * against their source names ("f", "binary|"), declared in the module.
 */
#ifndef KS_IRGEN_H
#define KS_IRGEN_H
#include <llvm-c/Types.h>
#include <stddef.h>
#include "ks_ast.h"

/* Emit `item` (a DEF, or an EXPR as a function of no parameters) as the
 * function `symbol` in `mod`.  Returns 0, or -1 with a message in err. */
int ks_irgen_item(const ks_item *item, LLVMModuleRef mod, const char *symbol, char *err,
                  size_t errlen);

#endif
