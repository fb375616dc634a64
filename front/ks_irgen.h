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

/* Emit `item` as the function `symbol` in `mod`: a DEF as itself; an EXPR
 * as a function of no parameters returning its value; a GLOBAL as a
 * function of no parameters that stores the initialiser's value into the
 * global and returns it.  Returns 0, or -1 with a message in err. */
int ks_irgen_item(const ks_item *item, LLVMModuleRef mod, const char *symbol, char *err,
                  size_t errlen);

/* The same, with debug info (ks_dbg.h) if debug_info: a subprogram named
 * after the function, in the item's source, and each call's position. */
int ks_irgen_item_ex(const ks_item *item, LLVMModuleRef mod, const char *symbol, int debug_info,
                     char *err, size_t errlen);

/* The symbol of the global variable `name` ("var.x"): a name no function
 * can have, so variables and functions never collide among symbols. */
void ks_irgen_global_symbol(const char *name, char *buf, size_t len);

#endif
