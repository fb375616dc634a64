/*
 * kc_emit.h — `--emit=llvm`: the whole program as one self-contained LLVM
 * module, printed at the end instead of running.
 *
 * Definitions keep their source names; each top-level expression becomes a
 * function `__kjit_top.N`; `main` calls them in order and prints each value
 * in kjit's format (unless quiet).  The host functions putchard, printd and
 * printlf get IR bodies, so `lli-19` runs the module as kjit runs the
 * program.
 */
#ifndef KC_EMIT_H
#define KC_EMIT_H
#include <stdio.h>
#include "ks_ast.h"

typedef struct kc_emit kc_emit;

kc_emit *kc_emit_new(int quiet);
/* Add a checked item.  Returns 0, or -1 with a message in err. */
int kc_emit_item(kc_emit *e, const ks_item *item, char *err, size_t errlen);
/* Finish the module (main, host bodies), verify and print it; frees e. */
int kc_emit_finish(kc_emit *e, FILE *out, char *err, size_t errlen);

#endif
