/*
 * kc_runtime.h — host functions that Kaleidoscope programs call: putchard,
 * printd, printlf.  They write to stdout through stdio, so their output and
 * kjit's printed values appear in program order.
 */
#ifndef KC_RUNTIME_H
#define KC_RUNTIME_H
#include "kjit.h"

/* Define the host functions in jit.  Returns KJIT_OK or the failing status. */
kjit_status kc_runtime_register(kjit *jit);

/* The names of the host functions, NULL-terminated (for --emit=llvm). */
extern const char *const kc_runtime_names[];

#endif
