/*
 * kj_api.h — what the API (kj_jit.c, lib's top) offers the IR-module front
 * end above it (lib/modules) beyond include/kjit.h: definitions that wait
 * for the whole program.
 */
#ifndef KJ_API_H
#define KJ_API_H

#include "base/kj_types.h"

/* kj_jit.c: set by the thread adding a module: its definitions are not
 * generated or compiled at once in lazy-ir and eager modes (a function may
 * use a variable of a module not added yet), but by kj_define_now, for
 * each, when the program is complete (kjit_run_constructors). */
extern _Thread_local int kj_defer_compile;
kjit_status kj_define_now(kjit *jit, const char *name);
/* A redefinition (signature KJIT_SIG_ANY) whose body, if the old one had
 * been compiled, is compiled here before the stub is repointed, straight
 * from the old code to the new: no program thread compiles it or waits for
 * it (a reload).  Else, or if the compile fails, as kjit_define. */
kjit_status kj_redefine_compiled(kjit *jit, const char *name, kjit_generator gen, void *user,
                                 kjit_release release);

#endif
