/*
 * kc_ir.h — the kjit command on LLVM IR files: `kjit prog.bc [-- ARGS]`
 * runs a C or C++ program, its modules linked by libkjit (kjit_add_module).
 */
#ifndef KC_IR_H
#define KC_IR_H
#include "kc_session.h"

/* Whether the file at path holds LLVM IR (bitcode, or text IR), by its
 * content.  0 if it cannot be read (the caller reports that). */
int kc_ir_is_ir(const char *path);

/* Run the program of files[0..nfiles): its constructors, then main(argc,
 * argv, envp) with argv = files[0] and args, then exit() with main's
 * status (destructors and atexit handlers run, stdio is flushed).  Returns
 * only on an error, already reported: the exit status. */
int kc_ir_run(const kc_config *cfg, const char *const *files, int nfiles, char **args, int nargs);

#endif
