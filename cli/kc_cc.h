/*
 * kc_cc.h — C and C++ sources on the command line: `kjit prog.c [more.c
 * ...] [-- ARGS]`.  Each source is compiled to bitcode by clang-19 in a
 * directory of the run's own, then run as IR files are (kc_ir.c).
 *
 * Every function stays a unit a reload can replace: clang makes the IR at
 * the -O level asked for but runs none of LLVM's passes on it (-Xclang
 * -disable-llvm-passes), so nothing is inlined into a caller, no callee's
 * result is folded into a caller and no attribute is inferred across
 * functions.  kjit optimises each function on its own (T1), and inlines at
 * T2, where a redefinition invalidates what inlined it.
 */
#ifndef KC_CC_H
#define KC_CC_H

/* How sources are compiled: the command line's compiler options. */
typedef struct kc_cc {
    const char *cc;      /* --cc=PATH; NULL: KJIT_CC, else clang-19 on PATH */
    const char **flags;  /* -I, -D, -U, -std= and -Xcc's, in order */
    int nflags, cap;
    const char *ccdb;    /* -p DIR: its compile_commands.json */
    int opt_level;       /* -O0..3 */
    char *dir;           /* the run's own directory of bitcode (made at the first compile) */
    char *found_cc;      /* the compiler found (cc resolved) */
    int warm_pid;        /* kc_cc_warm's compiler, waiting for its arguments; 0: none */
    char *warm_dir;      /* the directory it runs in (NULL: kjit's) */
    char *last_dir;      /* the directory the last compile ran in (NULL: kjit's) */
    int cache;           /* 0: keep no bitcode in the code cache (--no-cache); else as the
                            library decides (KJIT_CACHE) */
    const char *cache_dir; /* --cache-dir=DIR, or NULL */
    struct kjit_store *store; /* the code cache, opened at the first compile (or NULL) */
    int store_tried, store_warned;
} kc_cc;

/* Whether path names a C or C++ source, by its extension (.c, .cc, .cpp,
 * .cxx, .c++, .C). */
int kc_cc_is_source(const char *path);
/* Add one flag for clang (not copied: argv's). -1 on OOM. */
int kc_cc_flag(kc_cc *cc, const char *flag);
/* The bitcode file kc_cc_compile writes for source number i (malloc'd). */
char *kc_cc_output(kc_cc *cc, const char *src, int i);
/* Compile src to bitcode at out.  clang's diagnostics reach stderr as clang
 * prints them.  *deps gets the files the compile read that are not system
 * headers (the source first; NULL-terminated, malloc'd, for
 * kc_cc_free_deps).  0, or -1 after saying why. */
int kc_cc_compile(kc_cc *cc, const char *src, const char *out, char ***deps);
/* kc_cc_compile of srcs[i] to outs[i] (deps[i]) for every i < n, on a
 * thread per core (at most 8): each source's diagnostics are printed whole,
 * when its compile ends.  0 if all compiled, else -1 (every source was
 * tried). */
int kc_cc_compile_all(kc_cc *cc, int n, const char *const *srcs, char *const *outs,
                      char ***deps);
void kc_cc_free_deps(char **deps);
/* Start the next compile's clang now (--watch), in the directory of the
 * last compile, so that kc_cc_compile finds it loaded and only hands it its arguments
 * (kc_cc.c).  Nothing if one is waiting already, or before the first
 * compile found clang.  Call it from a thread that lives as long as the
 * run: the compiler dies with it. */
void kc_cc_warm(kc_cc *cc);
/* Remove the run's directory of bitcode, and free what cc holds. */
void kc_cc_cleanup(kc_cc *cc);

#endif
