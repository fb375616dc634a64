/*
 * kc_session.h — one run of the kjit command: the front end's state (the
 * operator table, the semantic session), the JIT, and the pipeline that takes
 * each top-level item from text to result.
 *
 * Ownership: the session owns every ks_source it is given (they live until
 * the session ends, because diagnostics of later run-time errors quote them).
 * A parsed item is owned by whoever holds it last: the JIT for a definition
 * (released when redefined or at the end), the session otherwise (freed as
 * soon as the item is done).
 */
#ifndef KC_SESSION_H
#define KC_SESSION_H
#include "kjit.h"
#include "ks_parse.h"
#include "ks_sema.h"

typedef enum kc_emit_kind { KC_EMIT_NONE, KC_EMIT_AST, KC_EMIT_LLVM } kc_emit_kind;
enum { KC_STATS_JSON = 1, KC_STATS_TABLE = 2 };

typedef struct kc_config {
    int quiet;           /* -q: print no values */
    int check;           /* --check: parse and check only */
    kc_emit_kind emit;   /* --emit= */
    int opt_level;       /* -O0..-O3 */
    kjit_mode mode;      /* --jit= */
    kjit_partition partition; /* --partition= */
    int64_t hot;         /* --hot=N, 0: the library's default */
    int tier_sync;       /* --tier-sync */
    int stats;           /* --stats: 0, KC_STATS_JSON or KC_STATS_TABLE */
    int perf;            /* --perf */
    int trace;           /* --trace: events on stderr, or into trace_path */
    const char *trace_path; /* --trace=FILE.json */
    double timeout;      /* --timeout=SECONDS, 0: none */
    int t1_codegen;      /* --t1=: KJIT_T1_*, -1: the input's default */
    int ahead;           /* --ahead=on|off: 1, 0; -1: the library's default */
    int cache;           /* --no-cache: 0; -1: the library's default (on) */
    const char *cache_dir; /* --cache-dir=DIR */
    const char *t1_passes, *t2_passes; /* --t1-passes=, --t2-passes= */
    int watch;           /* --watch: reload IR files when they change */
    int cache_finish;    /* --cache-finish: kjit_cache_finish instead of running */
    char **argv;         /* the command line, for the --cache-finish kjit starts */
} kc_config;

typedef struct kc_session kc_session;

/* The JIT options cfg asks for. */
void kc_jit_options(const kc_config *cfg, kjit_options *o);
/* --stats: wait for queued compiles, then print the statistics on stderr
 * in form KC_STATS_TABLE or KC_STATS_JSON. */
void kc_stats_print(kjit *jit, int form);
/* Right after kjit_create succeeded: report what it could not do (a perf
 * map refused), as a warning. */
void kc_jit_created(void);
/* At the end: if the code cache stopped during the run, say why, once. */
void kc_cache_warn(kjit *jit);
/* --timeout: handler runs (SIGALRM, system calls not restarted) once
 * `seconds` have passed. */
void kc_alarm_after(double seconds, void (*handler)(int));

/* The whole of a file, or of standard input for "-", in a malloc'd buffer;
 * NULL on error (errno says which). */
char *kc_read_file(const char *path, size_t *len);

/* NULL after printing why on stderr. */
kc_session *kc_session_new(const kc_config *cfg);

/* Run every item of a source.  With `partial` (the REPL), an item cut short
 * by the end of the text is not an error: the function returns the offset
 * where that item starts, for the caller to retry with more text; otherwise
 * it returns src->len.  The session takes ownership of src (and its name and
 * text, which must be malloc'd). */
size_t kc_session_run(kc_session *s, ks_source *src, int partial);

/* Run a file's items ("-": standard input).  -1 after reporting on stderr
 * that it cannot be read. */
int kc_session_run_file(kc_session *s, const char *path);

/* Whether the run stopped after too many errors (the REPL clears it). */
int kc_session_stopped(const kc_session *s);

/* REPL commands: queue a T2 recompile of a function; print a function's
 * tier state and counter. */
void kc_session_optimize(kc_session *s, const char *name);
void kc_session_tier(kc_session *s, const char *name);

/* Ctrl-C or --timeout: stop the item running now (async-signal-safe). */
void kc_session_interrupt(kc_session *s);
/* Whether an interrupt stopped an item since the last call (and forget it). */
int kc_session_interrupted(kc_session *s);

/* The session's sema: the names it knows (REPL completion). */
const ks_sema *kc_session_sema(const kc_session *s);

/* Time spent compiling so far: on the program's thread and on background
 * threads, in microseconds (0 and 0 without a JIT). */
void kc_session_compile_time(kc_session *s, uint64_t *here_us, uint64_t *background_us);

/* Whether any error has been reported. */
int kc_session_failed(const kc_session *s);

/* Finish (print the --emit=llvm module, the --stats line) and free. Returns
 * the exit status: 0, or 1 if any error occurred. */
int kc_session_end(kc_session *s);

#endif
