/*
 * kc_ir.h — the kjit command on LLVM IR files: `kjit prog.bc [-- ARGS]`
 * runs a C or C++ program, its modules linked by libkjit (kjit_add_module);
 * C and C++ sources come here as the bitcode kc_cc.c made of them.
 */
#ifndef KC_IR_H
#define KC_IR_H
#include "kc_session.h"
#include "kc_watch.h"

/* Whether the file at path holds LLVM IR (bitcode, or text IR), by its
 * content.  0 if it cannot be read (the caller reports that). */
int kc_ir_is_ir(const char *path);
/* Whether path is named as IR is (.bc, .ll), whatever it holds: a missing
 * or damaged one is then said so, not read as Kaleidoscope. */
int kc_ir_named(const char *path);

/* Whether data (its first KC_SNIFF bytes) is binary: not bitcode, and not
 * mostly text (more than a tenth of its bytes are control bytes, NUL among
 * them, or not UTF-8).  Such a file is neither IR nor Kaleidoscope. */
#define KC_SNIFF 4096
int kc_is_binary(const void *data, size_t len);
/* The same for a file's first bytes; 0 if it cannot be read. */
int kc_file_is_binary(const char *path);

/* Run the program of units[0..nfiles) (each module named as the command
 * line names it, read from its bc): its constructors, then main(argc, argv,
 * envp) with argv = the first name and args, then exit() with main's
 * status (destructors and atexit handlers run, stdio is flushed).  With
 * cfg->watch, the units are watched and reloaded (cc recompiles sources).
 * Returns only on an error, already reported: the exit status. */
int kc_ir_run(const kc_config *cfg, kc_unit *units, int nfiles, kc_cc *cc, char **args,
              int nargs);

#endif
