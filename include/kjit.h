/*
 * kjit.h — the public C API of libkjit, a function-level lazy JIT on LLVM ORC.
 *
 * A client (a language front end) registers functions by name and signature,
 * each with a *generator*: a callback that writes the function's LLVM IR into
 * a module when the JIT asks for it.  The client never asks the JIT to compile;
 * the JIT calls the generator when the function is first called (or earlier,
 * depending on the mode).  Every function has a stable entry address (a stub)
 * for the life of the JIT: pointers to it stay valid and compare equal across
 * first compilation, recompilation and redefinition.
 *
 * Conventions:
 *  - Every call takes the JIT handle first.  Handles are opaque.
 *  - Errors are returned as kjit_status values; the text of the last error of
 *    the calling thread is returned by kjit_errmsg().  libkjit never prints and
 *    never exits on its own.
 *  - Strings passed in are copied; the caller keeps ownership.
 *  - All calls are thread-safe unless stated otherwise.
 */
#ifndef KJIT_H
#define KJIT_H

#include <stddef.h>
#include <stdint.h>
#include <llvm-c/Types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KJIT_VERSION_MAJOR 0
#define KJIT_VERSION_MINOR 1
#define KJIT_VERSION_PATCH 0
#define KJIT_VERSION_STRING "0.1.0"

/* The JIT instance. */
typedef struct kjit kjit;

typedef enum kjit_status {
    KJIT_OK = 0,
    KJIT_EINVAL,     /* bad argument (NULL, malformed signature, bad name) */
    KJIT_ENOMEM,     /* out of memory (heap or executable memory) */
    KJIT_ESIG,       /* signature differs from the function's existing one */
    KJIT_EGEN,       /* a generator reported failure */
    KJIT_ECOMPILE,   /* LLVM rejected the IR, or compiling/linking failed */
    KJIT_EUNDEF,     /* a call reached a function that nothing defines */
    KJIT_ERUNTIME,   /* a run-time error abandoned the running code */
    KJIT_EVERSION,   /* the header and the library disagree */
    KJIT_EINTR       /* kjit_interrupt stopped the running code */
} kjit_status;

/* When function bodies are generated and compiled. */
typedef enum kjit_mode {
    KJIT_MODE_LAZY = 0, /* generate IR and compile at the first call */
    KJIT_MODE_LAZY_IR,  /* generate IR at definition, compile at first call */
    KJIT_MODE_EAGER,    /* generate IR and compile at definition */
    KJIT_MODE_TIERED,   /* functions with a T0 entry run at T0 first, the others are
                           compiled at T1 (cheap, counting) at their first call; hot
                           functions are compiled at T2 (optimised) on a background
                           thread */
    KJIT_MODE_INTERP    /* functions with a T0 entry always run at T0 and top-level
                           thunks run their T0 entry: nothing of theirs is compiled
                           (functions without one are compiled at their first call) */
} kjit_mode;

/* How much one first-call compile takes in (lazy-ir mode). */
typedef enum kjit_partition {
    KJIT_PARTITION_FUNCTION = 0, /* the function called */
    KJIT_PARTITION_CALLEES       /* it and the not yet compiled functions it calls
                                    unconditionally (in its entry block), as one module */
} kjit_partition;

/* Options for kjit_create().  Initialise with kjit_options_init(), then set
 * fields; `size` lets the library detect a caller built against another
 * version of this header. */
typedef struct kjit_options {
    size_t size;        /* sizeof(kjit_options), set by kjit_options_init */
    kjit_mode mode;     /* default KJIT_MODE_LAZY */
    int opt_level;      /* 0..3: IR pipeline and code generation level; default 2 */
    int verify;         /* run LLVM's verifier on every generated module; default 1.
                           2: also on what kjit hands LLVM's passes and its code
                           generator after its own changes (polls, T1's counters), so
                           that invalid IR is an error, not a crash in LLVM; for tests
                           (the tests' builds set KJIT_VERIFY=2, which sets it too) */
    kjit_partition partition; /* lazy-ir only; default KJIT_PARTITION_FUNCTION */
    int64_t hot_threshold;    /* tiered: T1 entries + loop back-edges before T2; default
                                 KJIT_DEFAULT_HOT */
    int t2_sync;              /* wait for each T2 compile where it is requested (the hot
                                 T1 call, kjit_optimize): deterministic, for tests */
    int compile_threads;      /* background compiler threads, at most 8; 0 (default): one
                                 per core beyond the first, at least one.  They start as
                                 work queues up, not before */
    int perf_map;             /* write /tmp/perf-PID.map, naming every piece of JIT'd code
                                 for perf ("fib [T2]"); also set by KJIT_PERF=1 in the
                                 environment.  kjit_create opens it, never through a
                                 symbolic link; a map already there is written only if
                                 it is a regular file of this user with no other link.
                                 Otherwise the JIT runs without the map: kjit_create
                                 returns KJIT_OK and kjit_errmsg() says why (it is ""
                                 after every kjit_create that succeeded otherwise) */
    int frame_pointers;       /* keep frame pointers in JIT'd code, so that gdb and perf
                                 can walk through JIT'd frames (they cost up to 9 % on
                                 call-bound code); also set by KJIT_FRAME_POINTERS=1, and
                                 by kjit_create itself when a debugger traces the
                                 process */
    int t1_codegen;           /* tiered: how T1 code is generated (its IR passes stay
                                 minimal): KJIT_T1_FAST (default) at -O0, the cheapest;
                                 KJIT_T1_LOOPS at opt_level for functions with a loop, which
                                 may never be entered again (a C main) and so never reach
                                 T2, at -O0 for the others; KJIT_T1_EARLY the same, in a
                                 program of at most 40 functions, for "main" and the
                                 first 8 other functions with a loop that are compiled (a
                                 small C program's main loop and the kernels it calls run
                                 long in one call), at -O0 for the rest, which T2 takes
                                 over once hot; in a larger program all at -O0, as
                                 KJIT_T1_FAST (there the first functions with a loop are
                                 start-up code, and their compiles were waits);
                                 KJIT_T1_FULL all at opt_level.
                                 For IR optimised already (C built with -O2) code generated
                                 at opt_level is about as fast as native */
    const char *t1_passes;    /* the IR pass pipeline of the first compile (T1 in tiered
                                 mode), in LLVM's syntax ("instcombine,simplifycfg");
                                 NULL: the mode's default.  Checked by kjit_create
                                 (KJIT_EINVAL), which then loads LLVM */
    const char *t2_passes;    /* the same for T2 (and OSR entries), e.g.
                                 "default<O3>"; NULL: default<O2> */
    int ahead;                /* compile ahead of the program (default 1, on): when a function
                                 is compiled for its first call, the functions it calls
                                 that have no code yet and no T0 entry are queued, and one
                                 background thread compiles them as their first calls
                                 would (the callees of the latest compile first:
                                 depth-first from where the program is), so that
                                 most first calls find their code ready.  A call that
                                 finds its function being compiled there waits for it
                                 (wait_us).  Lazy and tiered modes; 0: off.  Also
                                 KJIT_AHEAD=1 (on) or =0 in the environment */
    int no_polls;             /* compiled code gets no interrupt polls: kjit_interrupt
                                 then stops only T0 code, and a compiled loop runs on;
                                 saves their cost (up to a few % on tight loops and
                                 small recursive functions).  Also set by KJIT_NO_POLLS=1 */
    int cache;                /* keep compiled code between runs in the code cache
                                 (docs/DESIGN.md, "The code cache"): a compile whose key
                                 (its IR, kjit's build, LLVM's version, the target, the
                                 tier and levels, the passes) is there links the stored
                                 object instead of generating code, and what got hot
                                 starts at T2 in the next run.  Default 1 (on);
                                 KJIT_CACHE=off (or 0) in the environment turns it off
                                 whatever this says.  A cache that cannot be used (a
                                 directory of another user or writable by others, a full
                                 or read-only disk) means running without it:
                                 kjit_create still succeeds, and kjit_errmsg() or
                                 kjit_cache_warning() says why */
    const char *cache_dir;    /* its directory; NULL: $KJIT_CACHE_DIR, else
                                 $XDG_CACHE_HOME/kjit, else ~/.cache/kjit */
    uint64_t cache_max_bytes; /* its bound: least recently used entries are removed
                                 beyond it when a JIT that stored code is destroyed;
                                 0: 1 GiB */
} kjit_options;

#define KJIT_DEFAULT_HOT 1000
enum { KJIT_T1_FAST = 0, KJIT_T1_LOOPS = 2, KJIT_T1_FULL = 1, KJIT_T1_EARLY = 3 };

void kjit_options_init(kjit_options *opts);

/*
 * A generator writes one function into `module`.
 *
 * It must add a *definition* named exactly `symbol` (not the source name: the
 * JIT chooses a unique implementation name), with the signature the function
 * was registered with.  A declaration named `symbol` may already exist in the
 * module; the generator then gives it a body.  Calls to other functions are
 * emitted as calls to their registered *names*, declared in the module with
 * external linkage; the JIT binds each to that function's stable entry.  A
 * called name that nothing defines is a run-time error when it is called
 * (see kjit_define_host and kjit_declare_host for host functions).
 *
 * The module belongs to the JIT (and to its own LLVMContext, reachable with
 * LLVMGetModuleContext); the generator must not dispose of it or keep
 * references to it.  Every type and constant it creates must be made in that
 * context (LLVMGetModuleContext(module)), never in LLVM's global context.
 * The module's identifier is the function's source name, for messages.  Return 0 on success; on failure return non-zero and
 * write a message (NUL-terminated, at most errlen bytes) into err.
 *
 * Generators may be called on any thread, and concurrently (the T2 thread
 * generates while a program thread compiles a first call), each time into a
 * different module: a generator must only read its user data.  While a
 * generator runs, its user data stays alive (a redefinition waits).
 */
typedef int (*kjit_generator)(void *user, LLVMModuleRef module, const char *symbol,
                              char *err, size_t errlen);

/* Named metadata a generator may add to its module (any operand, e.g. an
 * empty node): KJIT_MD_OPTIMISED says the IR it wrote is optimised
 * already (clang -O2 bitcode), so T2 compiles it with code generation at
 * its level and no IR passes, and links no callee bodies into it for
 * inlining; KJIT_MD_UNOPTIMISED, from any generator whose IR went into the
 * module, wins.  Without either, T2 runs LLVM's pipeline at its level. */
#define KJIT_MD_OPTIMISED "kjit.optimised"
#define KJIT_MD_UNOPTIMISED "kjit.unoptimised"

/* Called when the JIT no longer needs a generator's user data (after a
 * redefinition replaced it, or at kjit_destroy). */
typedef void (*kjit_release)(void *user);

/* Create a JIT.  opts may be NULL for defaults.  On failure *out is NULL and
 * kjit_errmsg() tells why.
 *
 * A process with a JIT may fork, from any of its threads: the fork waits
 * until no other thread is inside a kjit call that compiles or defines
 * (first calls included) and keeps others out, then until the JIT's
 * compiler threads are between compiles (up to one compile's length); the
 * child goes on with compiler threads of its own.  The fork must not
 * happen from inside such a call: from a generator, a trace hook, or a
 * signal handler that interrupted a kjit call. */
kjit_status kjit_create(const kjit_options *opts, kjit **out);

/* libkjit loads LLVM itself at the first compile, not at kjit_create (a
 * program linked without LLVM's library, as the kjit command is, starts
 * without loading it).  A client that calls LLVM's C API outside a generator
 * calls this first.  KJIT_ECOMPILE if LLVM cannot be loaded. */
kjit_status kjit_llvm_load(void);

/* Destroy a JIT and free all its code.  No thread may be running code of
 * this JIT, nor calling into it.  Stub addresses become invalid. */
void kjit_destroy(kjit *jit);

/*
 * Signatures are strings: a return type, then the parameter types in
 * parentheses.  Types: 'd' double, 'i' 64-bit integer, 'p' pointer, and 'v'
 * (return only) void.  Examples: "d(dd)", "v()", "i(ipd)".  At most 64
 * parameters.
 *
 * KJIT_SIG_ANY ("*") is a function of any LLVM type: varargs, structs by
 * value, i8/i16/i32/float, whatever the generator writes.  Stubs and the
 * re-entry path never look at arguments, so such a function is called,
 * compiled, tiered and redefined like any other; only what must unpack its
 * arguments is refused (a T0 entry, kjit_call).  Functions of IR modules
 * (kjit_add_module) have it.
 */
#define KJIT_SIG_ANY "*"

/*
 * Define (or redefine) the function `name`.  The function gets a stable
 * entry address at once; when its body is generated and compiled depends on
 * the mode.  Redefining a function keeps its address; the signature must be
 * the same as before (KJIT_ESIG otherwise, and the old definition stays).
 * The JIT calls release(user) when it no longer needs user (release may be
 * NULL).
 *
 * Returns KJIT_OK when the definition is in place.  KJIT_EGEN or
 * KJIT_ECOMPILE (lazy-ir and eager modes) mean the definition is in place but
 * generating or compiling it at once failed: the JIT owns user, and a first
 * call will try again.  Any other status means the definition was refused:
 * release is not called and the caller keeps user.
 */
kjit_status kjit_define(kjit *jit, const char *name, const char *sig,
                        kjit_generator gen, void *user, kjit_release release);

/* Define `name` as a host (native) function at `addr`.  Calls to `name` from
 * JIT'd code reach it through its stub, like any other function. */
kjit_status kjit_define_host(kjit *jit, const char *name, const char *sig, void *addr);

/* Declare `name` as a host function: if nothing defines it when it is first
 * called, it is bound to the process's symbol of that name (dlsym), and the
 * call fails as undefined if there is none.  A later kjit_define still
 * replaces it.  Names that are neither defined nor declared never reach host
 * symbols: a call to them is always KJIT_EUNDEF.
 *
 * dlsym sees the symbols of shared libraries (libc, libm), but those of the
 * executable itself only if it exports them: link it with -rdynamic (CMake:
 * ENABLE_EXPORTS), or better, give your own functions with
 * kjit_define_host, which needs nothing of the linker
 * (examples/embed/embed.c shows both). */
kjit_status kjit_declare_host(kjit *jit, const char *name, const char *sig);

/* The stable entry address of `name`: call it through a function pointer of
 * the registered signature.  A name not yet defined gets an entry too; a call
 * to it before it is defined is a run-time error (KJIT_EUNDEF).  NULL on
 * error. */
void *kjit_address(kjit *jit, const char *name);

/* A global variable of `size` bytes, zero-initialised, at a stable address
 * for the life of the JIT, defined as the symbol `name` for JIT'd code
 * (declare it in modules as an external global).  Calling it again with the
 * same name returns the same storage, untouched: nothing the JIT does
 * (recompiling, redefining functions) ever re-initialises a global.  NULL
 * on error (a different size, a name taken by a function, no memory). */
void *kjit_global(kjit *jit, const char *name, size_t size);

/* Address of a host symbol as the JIT resolves it (NULL if absent). */
void *kjit_host_symbol(kjit *jit, const char *name);

/*
 * Compile and run a top-level thunk: `gen` is called once to write a
 * function `symbol` of signature "d()" into a fresh module; it is compiled at
 * once, called, and its code freed.  *result receives its value.
 *
 * If a run-time error (a call to an undefined function, a failed compile at
 * a first call, a stack overflow) happens while the thunk runs, the thunk is
 * abandoned, the error hook is called, and KJIT_ERUNTIME or KJIT_EUNDEF is
 * returned.  Abandoning unwinds JIT'd frames without running anything in them
 * (frames of host functions called from JIT'd code are abandoned too: a host
 * function that may trigger such errors must not hold resources).
 */
kjit_status kjit_run(kjit *jit, kjit_generator gen, void *user, double *result);

/* ---- T0: running functions before they are compiled ----------------------- */

/* One argument or result, of the type its signature gives ('d', 'i', 'p'). */
typedef union kjit_value {
    double d;
    int64_t i;
    void *p;
} kjit_value;

/*
 * A T0 entry runs a function with no compiled code: from the client's own
 * form of it (an interpreter, a closure tree, ...).  args[k] holds parameter
 * k, unpacked by the function's signature; the return value is the result
 * (ignored for 'v').  It may be called on any thread, concurrently, and
 * recursively.  It calls other functions only through kjit_call, so that
 * every call goes through the callee's stub and sees its current body, and
 * it calls kjit_backedge at loop back-edges.  A run-time error in a callee
 * (an undefined function, a stack overflow) abandons the T0 entry's frames
 * like JIT'd ones (see kjit_run): it must hold no resources across calls.
 */
typedef kjit_value (*kjit_t0_fn)(void *user, const kjit_value *args);

/*
 * An OSR generator writes an on-stack-replacement entry of a function that
 * runs at T0: a function named `symbol` of type `r symbol(kjit_value *frame)`
 * (r the function's return type) that resumes the function at the back-edge
 * of loop number `loop`, from the T0 frame the T0 entry passed to
 * kjit_backedge there, runs the rest of the function and returns its
 * result.  The frame's layout is the client's own (the library only passes
 * the pointer).  Same rules as a generator otherwise.
 */
typedef int (*kjit_osr_generator)(void *user, LLVMModuleRef module, const char *symbol, int loop,
                                  char *err, size_t errlen);

/* A definition, for kjit_define_ex and kjit_run_ex.  Initialise with
 * kjit_def_init. */
typedef struct kjit_def {
    size_t size;          /* sizeof(kjit_def), set by kjit_def_init */
    const char *sig;      /* signature, as for kjit_define */
    kjit_generator gen;   /* writes the IR when the function is compiled; NULL: never
                             compiled (the function has only its T0 entry) */
    kjit_t0_fn t0;        /* NULL: no T0; compiled at the first call as with kjit_define */
    void *user;           /* given to gen and t0 */
    kjit_release release; /* as for kjit_define; a definition with a T0 entry is released
                             once no thread can still be running it (see
                             kjit_thread_attach), not at once */
    kjit_osr_generator osr; /* NULL: a loop running at T0 stays there until it ends */
    const void *source;   /* optional, for the code cache (kjit_options.cache): bytes
                             that decide, with the name, every IR gen will make for this
                             definition (the front end's source text so far, say).
                             With them a first compile may link an earlier run's object
                             without calling gen, and a function that got hot in an
                             earlier run with the same bytes is compiled at T2 (tiered
                             mode) by kjit_define_ex itself, so that it runs at T2 from
                             its first call.  Copied (hashed) at once */
    size_t source_len;
} kjit_def;

void kjit_def_init(kjit_def *def);

/* kjit_define with a T0 entry: in tiered and interp modes the function runs
 * at T0 from its first call, with no compile on that path; in tiered mode,
 * once hot, it is compiled at T2 on the background thread and its stub
 * repointed.  In the other modes the T0 entry is not used (unless gen is
 * NULL).  Statuses as for kjit_define; a signature that is not "r(...)" with
 * gen and t0 both NULL is KJIT_EINVAL. */
kjit_status kjit_define_ex(kjit *jit, const char *name, const kjit_def *def);

/* A function's handle, for kjit_call: stable for the life of the JIT, like
 * its stub.  A name not yet defined gets a handle too.  NULL on error. */
typedef struct kjit_fn kjit_fn;
kjit_fn *kjit_fn_get(kjit *jit, const char *name);

/* Call a function through its stub, with arguments by its signature: a T0
 * callee runs directly, compiled code and host functions are called as
 * machine code.  A run-time error (undefined function, stack overflow)
 * behaves as in JIT'd code: inside kjit_run it abandons the run; outside,
 * the hook is called and the result is 0. */
kjit_value kjit_call(kjit_fn *fn, const kjit_value *args);

/* A position in a client's source, for the frames of a run-time error:
 * file (a name that outlives the call, e.g. the source file's), line and
 * column counted from 1; line 0 means unknown. */
typedef struct kjit_pos {
    const char *file;
    unsigned line, col;
} kjit_pos;

/* kjit_call, made by a T0 entry at source position pos (the call's, in the
 * calling function's source).  If a run-time error happens below it, the
 * error's chain of frames (kjit_error_frames) shows this T0 frame at pos.
 * pos may be NULL (unknown); it is read only during the call. */
kjit_value kjit_call_at(kjit_fn *fn, const kjit_value *args, const kjit_pos *pos);

/*
 * The safepoint of T0 code: a T0 entry calls this at loop back-edges, `fn`
 * being the function it runs (NULL in the T0 entry of a top-level run,
 * kjit_run_ex), after `n` back-edges of loop number `loop` since its last
 * call (count them, and call at least every few hundred).  The library
 * counts them towards the function's tier-up.  In tiered mode, once the
 * function is hot and the definition has an OSR generator, the loop's OSR
 * entry is compiled on the background thread; at a later back-edge (this
 * one, with t2_sync) the entry is called with `frame`, runs the rest of the
 * function, and kjit_backedge returns 1 with the function's result in
 * *result: the T0 entry then returns it at once.  Returns 0 to go on.
 */
int kjit_backedge(kjit_fn *fn, int loop, int64_t n, kjit_value *frame, kjit_value *result);

/* kjit_run with a definition whose signature has no parameters ("d()",
 * "i()", ...): in tiered and interp modes, if def->t0 is set, it runs the T0
 * entry, protected like a compiled thunk, and nothing is compiled;
 * otherwise def->gen is compiled and run as by kjit_run. */
kjit_status kjit_run_ex(kjit *jit, const kjit_def *def, kjit_value *result);

/*
 * Queue `name` for recompilation at T2 on the background thread, whatever
 * its counters say (in any mode).  A function not compiled yet is first
 * compiled (T1 in tiered mode) on the calling thread, unless it runs at T0.  Returns at once; the
 * stub is repointed when T2 is ready.
 */
kjit_status kjit_optimize(kjit *jit, const char *name);

/*
 * Code now, on this thread, for the function at `addr` (an address the JIT
 * gave for it: kjit_address, or a function pointer its code made), for the
 * JIT functions it calls and those a module's variable it reads holds in
 * its initializer (a table of them), and theirs, transitively; and for the
 * functions whose addresses any of them takes (those get code, and what
 * they call is not followed: the handler passes or stores them, and their
 * callers come later).  So calling them later makes no first call: for a
 * signal handler, as a first call allocates (it compiles, or reads the
 * code cache and links), and one in a handler that interrupted the program
 * inside malloc waited for malloc's lock for ever.  The command calls it
 * for the handlers a C program installs (signal, sigaction).  A function
 * whose address the program computes or stores at run time is not found.
 * Each function's IR is generated again to find what it names, so this
 * loads LLVM where nothing else had.  A second call with nothing defined
 * since returns at once, allocating nothing.  KJIT_OK when `addr` is no
 * JIT function's (a host function, SIG_IGN); else the first failed
 * compile's error (those before it keep their code).
 */
kjit_status kjit_prepare(kjit *jit, void *addr);

/*
 * Transformations of your own.  The callback gets every module the JIT
 * compiles at `tier` — 1: first compiles (T1 in tiered mode, every compile
 * in the other modes), 2: T2 bodies and OSR entries — after the JIT's own
 * preparation and just before that tier's pass pipeline; `name` is the
 * function's name.  It may rewrite the IR (in the module's context).
 * Returning non-zero (with a message in err) refuses the compile: the
 * function stays where it was and the error is reported as a compile
 * error.  Called on any thread, concurrently: it must be thread-safe.
 * NULL removes it.  KJIT_EINVAL for another tier.
 */
typedef int (*kjit_transform)(void *user, LLVMModuleRef module, const char *name, char *err,
                              size_t errlen);
kjit_status kjit_set_transform(kjit *jit, int tier, kjit_transform fn, void *user);
/* The code cache (kjit_options.cache) keeps no code a transformation made
 * unless its client names the transformation with a key: a string that
 * changes whenever what the transformation does changes (its version and
 * parameters).  NULL removes the key.  The key is copied. */
kjit_status kjit_set_transform_key(kjit *jit, int tier, const char *key);
/* Why the code cache stopped during this run (a full or read-only disk),
 * or NULL while it works or is off.  Say it once; the run goes on without
 * it. */
const char *kjit_cache_warning(kjit *jit);

/* The code cache's directory, outside any JIT (kjit --cache-stats and
 * --cache-clear).  dir NULL: the default (kjit_options.cache_dir).  The same
 * checks as kjit_create's: a directory that may not be used is KJIT_EINVAL,
 * and kjit_errmsg() says why. */
typedef struct kjit_cache_info {
    char dir[4096];     /* the directory */
    uint64_t entries;   /* compiled objects and hot marks in it */
    uint64_t bytes;     /* their size */
    uint64_t max_bytes; /* its bound */
} kjit_cache_info;
kjit_status kjit_cache_info_get(const char *dir, kjit_cache_info *out);
/* Remove every entry; *removed (if not NULL) gets their number. */
kjit_status kjit_cache_clear(const char *dir, uint64_t *removed);

/* The code cache as a store of its client's own bytes, outside any JIT.
 * `kjit prog.c` keeps there the bitcode clang made for each source, keyed
 * by what the compile read, so that a second run starts without clang.
 * Entries share the cache's directory, its checks (every entry verified
 * before it is returned), its bound and its eviction with compiled code; a
 * key is the client's bytes, hashed with a prefix of the library's own, so
 * it never names compiled code. */
typedef struct kjit_store kjit_store;
/* Open the cache as opts says (NULL: the defaults): its cache, cache_dir
 * and cache_max_bytes, and KJIT_CACHE=off in the environment.  NULL when it
 * is off (kjit_errmsg() is then ""), or when its directory may not be used
 * (kjit_errmsg() says why: say it once, and go on without it). */
kjit_store *kjit_store_open(const kjit_options *opts);
/* A verified copy of the bytes stored under key (malloc'd: the caller
 * frees it) and their number in *size, or NULL when there are none. */
void *kjit_store_get(kjit_store *s, const void *key, size_t keylen, size_t *size);
/* Store size bytes under key, replacing what was there (written aside,
 * then renamed into place: a concurrent kjit_store_get sees the old bytes
 * or the new).  KJIT_EINVAL with kjit_errmsg() saying why (a full or
 * read-only disk): the store is unchanged. */
kjit_status kjit_store_put(kjit_store *s, const void *key, size_t keylen, const void *data,
                           size_t size);
/* Evict beyond the bound if anything was put, and free.  NULL is fine. */
void kjit_store_close(kjit_store *s);

/*
 * Recompile `name` now, on the calling thread, with the transformations of
 * `tier` (2: its T2 pipeline, in any mode; 1: its first-compile pipeline),
 * while other threads may be calling it.  At T2 the new body replaces the
 * old one with one atomic store to its stub, and the old body is reclaimed
 * at quiescence; T2 bodies that inlined the old one are invalidated.  If
 * the compile fails or a transform refuses, nothing changes (T2) and the
 * error is returned.  At tier 1 the function goes back to its stub and is
 * compiled again at once (if that fails it is compiled at its next call).
 */
kjit_status kjit_recompile(kjit *jit, const char *name, int tier);

/* Finish in the code cache what earlier runs of the same modules left for
 * later, so that the next run starts more of the program at T2: every
 * function a run left queued for T2 (its compile had not ended when the
 * run did), and every function of IR optimised already (KJIT_MD_OPTIMISED)
 * that a run compiled at -O0 (T1), is compiled at T2, kept, and marked
 * hot.  Nothing of the program runs.  Call after
 * adding the modules, with the cache on, in tiered mode (else
 * KJIT_EINVAL).  *compiled (if not NULL) gets the number compiled.  KJIT_OK,
 * or the first failure's status and message (the others are still
 * compiled).  One process at a time per cache directory: while another
 * holds it (its lock file, finish.lock), this one returns KJIT_OK at once.
 * `kjit --cache-finish` calls it; kjit starts that command itself, at the
 * lowest priority, after a run of a C, C++ or IR program that left such
 * work (kjit_cache_unfinished), unless KJIT_CACHE_FINISH=0. */
kjit_status kjit_cache_finish(kjit *jit, unsigned *compiled);
/* How much of kjit_cache_finish's work this JIT left in the cache: the T1
 * (-O0) bodies it kept, and the functions it marked queued for T2 when
 * tiering stopped (kjit_stop_tiering, kjit_stop_tiering_for_exit).  0
 * without the cache, and for a run that found everything at T2. */
unsigned kjit_cache_unfinished(kjit *jit);

/* Wait until the T2 queue is empty and the background compiler idle. */
void kjit_drain(kjit *jit);

/* Stop background compiling for good: queued T2 and OSR compiles are
 * dropped, the compiler threads finish the compile they are in and end.
 * Code stays as it is and callable; a function not compiled yet is still
 * compiled at its first call.  Call it before exit() while the JIT may be
 * compiling on a background thread: exit runs LLVM's static destructors,
 * and a compile running then would crash.  (kjit_destroy does it too.) */
void kjit_stop_tiering(kjit *jit);

/* kjit_stop_tiering for a process that exits next: where the LLVM loaded
 * keeps no static destructors (the kjit command's libkjit-llvm.so), a T2
 * compile in flight is not waited for: it ends with the process, and
 * nothing it makes is written to the code cache (a T2 compile of a large
 * function whose only activation is ending can take a second, and pays
 * nothing).  Elsewhere it is kjit_stop_tiering.  After it, only exit. */
void kjit_stop_tiering_for_exit(kjit *jit);

/* Where a function is in its life. */
typedef enum kjit_fn_state {
    KJIT_FN_UNDEFINED, KJIT_FN_STUB, KJIT_FN_HOST, KJIT_FN_COMPILED, /* not tiered */
    KJIT_FN_T1, KJIT_FN_QUEUED, KJIT_FN_T2,
    KJIT_FN_INVALIDATED, /* at T1 (or T0) again: its T2 body inlined a function since
                            redefined */
    KJIT_FN_T0           /* running at T0 (tiered and interp modes) */
} kjit_fn_state;

typedef struct kjit_fn_info {
    kjit_fn_state state;
    int64_t count;         /* T0/T1 entries + back-edges so far */
    uint64_t version;      /* number of definitions */
    char sig[72];
} kjit_fn_info;

/* Fill *out for `name`; KJIT_EINVAL if the JIT has never heard of it. */
kjit_status kjit_fn_info_get(kjit *jit, const char *name, kjit_fn_info *out);

/* Name of a state: "undefined", "stub", "host", "compiled", "T1", "queued",
 * "T2", "invalidated", "T0". */
const char *kjit_fn_state_name(kjit_fn_state s);

/*
 * Code replaced by a redefinition (or an invalidated T2 body) is freed once
 * no thread can still be running it.  Threads inside kjit_run are tracked
 * automatically.  A thread that calls JIT'd code directly (through
 * kjit_address) must attach, and call kjit_quiescent from time to time at a
 * point where it is not inside JIT'd code; until it does, replaced code is
 * kept.  A thread that calls JIT'd code without attaching while functions are
 * redefined may run freed code.
 */
kjit_status kjit_thread_attach(kjit *jit);
void kjit_quiescent(kjit *jit);
void kjit_thread_detach(kjit *jit);

/*
 * Stop the JIT'd code of this JIT that is running now, on whatever thread:
 * it stops at its next safepoint (a function entry or a loop back-edge, in
 * every tier), abandoned like a run-time error: kjit_run returns KJIT_EINTR
 * (message "interrupted"), and a direct caller outside kjit_run gets the
 * error hook and 0 from the interrupted call.  Only sets a flag: callable
 * from any thread and from a signal handler.  An interrupt asked for while
 * no code runs is dropped when the next kjit_run starts.
 */
void kjit_interrupt(kjit *jit);

/* Run-time error hook: called on the thread where the error happened, with
 * the status and a message such as "call to undefined function 'g'".  If the
 * error happened outside kjit_run (a host thread calling a stub directly),
 * the failing call returns 0 after the hook returns.
 *
 * Stack overflow is the exception: it is recovered only inside kjit_run
 * (and kjit_run_ex), where the overflowing code is abandoned and
 * KJIT_ERUNTIME returned.  In JIT'd code called directly through
 * kjit_address outside kjit_run, an overflow of the thread's stack is the
 * same fault as in C code: the signal goes to the handler installed before
 * libkjit's (by default the process ends).  An embedder whose JIT'd code may
 * recurse without bound calls it inside kjit_run, with a thunk. */
typedef void (*kjit_error_hook)(void *user, kjit_status status, const char *message);
void kjit_set_error_hook(kjit *jit, kjit_error_hook hook, void *user);

/* One frame of the chain that led to a run-time error, innermost first. */
typedef struct kjit_frame {
    const char *function;  /* the function's source name (a T0 function's name, or the
                              name of its debug info's subprogram); NULL for the
                              top-level code of the kjit_run */
    kjit_pos pos;          /* the call the frame was making (innermost frame: where it
                              was stopped); pos.line 0 when unknown */
    unsigned omitted;      /* frames left out after this one (a deep stack keeps only
                              its innermost and outermost frames) */
} kjit_frame;

/* The chain of frames of the calling thread's last run-time error inside
 * kjit_run (KJIT_ERUNTIME or KJIT_EINTR, also during the hook): stores a
 * pointer to them in *frames and returns how many (0 if the error had no
 * frame libkjit could name, or happened outside kjit_run).  The frames are
 * those libkjit can name: T0 activations (with the positions given to
 * kjit_call_at) and compiled code of generators that emit debug info
 * (DISubprogram, and a DILocation on each call); an inlined call is its own
 * frame.  Valid until the thread's next kjit_run. */
int kjit_error_frames(const kjit_frame **frames);

/* ---- tracing ----------------------------------------------------------------- */

/* What happened. */
typedef enum kjit_event_kind {
    KJIT_EV_DEFINED,     /* a function was defined (first definition) */
    KJIT_EV_REDEFINED,   /* ... or redefined */
    KJIT_EV_IR,          /* a generator wrote a function's IR, or variables' (name
                            "data": kjit_define_data, a module's) */
    KJIT_EV_COMPILED,    /* machine code made: tier "T1", "T2", "osr", "thunk" or "compiled";
                            dur_us the compile, bytes the object */
    KJIT_EV_QUEUED,      /* a hot function queued for T2 */
    KJIT_EV_INSTALLED,   /* T2 code installed: its stub now leads there; tier "osr":
                            a running C loop went on in its continuation */
    KJIT_EV_INVALIDATED, /* T2 code dropped: a function it inlined was redefined */
    KJIT_EV_RECLAIMED,   /* replaced code freed at quiescence (bytes) */
    KJIT_EV_ERROR        /* a run-time error (message) */
} kjit_event_kind;

typedef struct kjit_event {
    kjit_event_kind kind;
    const char *name;     /* the function ("" where none) */
    const char *tier;     /* for KJIT_EV_COMPILED ("" otherwise) */
    uint64_t time_us;     /* when it started, from kjit_create */
    uint64_t dur_us;      /* how long it took (compiles), else 0 */
    uint64_t bytes;       /* object or reclaimed size, else 0 */
    int thread;           /* a small number per thread (1, 2, ...), for timelines */
    const char *message;  /* KJIT_EV_ERROR: the error */
} kjit_event;

/* Called for every event, on the thread where it happens (program threads
 * and background compiler threads), possibly at once on several: it must be
 * thread-safe, quick, and must not call libkjit.  The strings live only
 * during the call. */
typedef void (*kjit_trace_hook)(void *user, const kjit_event *ev);
void kjit_set_trace(kjit *jit, kjit_trace_hook hook, void *user);
const char *kjit_event_name(kjit_event_kind kind); /* "defined", "compiled", ... */

/* ---- LLVM IR modules ------------------------------------------------------------ */

/*
 * Add a whole LLVM IR module, as a C or C++ compiler wrote it (clang
 * -emit-llvm).  Every function it defines becomes a kjit function of
 * signature KJIT_SIG_ANY, named as in the module, with a stable stub, and
 * is compiled by the mode's rules (lazily at the first call by default):
 * the JIT copies out one function's IR when it is compiled, never the whole
 * module.  Internal and private symbols get unique names (NAME.mK, K the
 * module's number), so modules never clash.  Its global variables are
 * defined once, at their own addresses, and nothing ever initialises them
 * again.  A function or variable that an earlier module defines is taken
 * from there if either is weak, linkonce or common (C++ inline functions
 * and templates) — except that a strong function replaces a weak one, as
 * in a linker (a variable keeps the first definition's storage); if both
 * define it strongly the module is refused (KJIT_EINVAL, naming the
 * symbol).  Functions no module defines are the process's (dlsym), as are
 * undefined variables.  In lazy-ir and eager modes the functions are
 * generated (and compiled) by kjit_run_constructors, once every module is
 * there.
 *
 * Modules may reference one another in any order: add them all, then run
 * their constructors (kjit_run_constructors) and call into them.  On an
 * error nothing of the module is defined; kjit_errmsg() says why, with a
 * position for text IR.
 */
/* Copy mod (the caller keeps it, and its context). */
kjit_status kjit_add_module(kjit *jit, LLVMModuleRef mod);
/* Read a module from a file of bitcode or of text IR (told apart by
 * content). */
kjit_status kjit_add_module_file(kjit *jit, const char *path);
/* The same from memory (copied); name is for messages. */
kjit_status kjit_add_module_memory(kjit *jit, const void *data, size_t len, const char *name);

/*
 * Reload a module added before under the same name (its path, for
 * kjit_add_module_file) while the program runs, comparing it function by
 * function (the IR's text):
 *  - a changed function of the same type is redefined: callers reach the
 *    new body through its stub at their next call, a call running finishes
 *    in the old one, and code that inlined it is invalidated;
 *  - a new function or variable is added;
 *  - a variable keeps its storage and its value (its initialiser does not
 *    run again), as does every C++ static; constructors do not run again;
 *  - a function whose type changed, or a variable whose type or size
 *    changed, is refused and stays as it was (named in out).
 * Replaced code is reclaimed at quiescence like any redefinition.  KJIT_OK
 * even with refusals; an error (unreadable or invalid IR) changes nothing.
 */
typedef struct kjit_reload {
    int changed, added, refused, unchanged; /* functions (added: variables too) */
    uint64_t us;                 /* how long the reload took */
    char refused_names[256];     /* "f (its type changed), ..." */
    char changed_names[256];     /* "f, g": the changed functions (as many as fit) */
} kjit_reload;
kjit_status kjit_reload_module_file(kjit *jit, const char *path, kjit_reload *out);
/*
 * Struct layouts.  A reload in which a named struct type that the module's
 * functions use has another layout (its element types: a field added,
 * removed, reordered or retyped) is refused whole, with an error naming the
 * struct and the functions that use it: the old code runs on, since objects
 * it made would be read at the new offsets.  A program that migrates its
 * objects itself sets a hook: it is called (on the reloading thread) with
 * the module's name, the type's ("struct.voice"), and its old and new
 * layouts as LLVM prints them ("{ double, i32 }"); nonzero accepts the
 * change.
 */
typedef int (*kjit_layout_hook)(void *user, const char *module, const char *type,
                                const char *old_layout, const char *new_layout);
void kjit_set_layout_hook(kjit *jit, kjit_layout_hook hook, void *user);
kjit_status kjit_reload_module_memory(kjit *jit, const void *data, size_t len, const char *name,
                                      kjit_reload *out);

/* The modules as the JIT keeps them, as text IR (internal names made
 * unique, debug info and constructor lists taken out), oldest first;
 * malloc'd, the caller frees it.  A module whose functions have all been
 * replaced by reloads is gone. */
char *kjit_modules_print(kjit *jit);

/* Run the constructors (llvm.global_ctors) of the modules added since the
 * last call, in priority order (the order of the modules, then of each
 * list, among equal priorities), each once, on the calling thread. */
kjit_status kjit_run_constructors(kjit *jit);
/* Run the destructors (llvm.global_dtors) of the modules whose constructors
 * ran, in reverse priority order, each once. */
kjit_status kjit_run_destructors(kjit *jit);

/*
 * Define global variables (and constants) with initialisers: gen writes them
 * into a module, with no function bodies (the `symbol` it gets is unused).
 * They are compiled at once and linked when code first references them;
 * they stay, never initialised again, for the life of the JIT.  Functions
 * their initialisers point to are bound to their stubs (a vtable reaches a
 * redefined method), other names to the process.
 */
kjit_status kjit_define_data(kjit *jit, kjit_generator gen, void *user);

/* The calling thread's last error message ("" if none). */
const char *kjit_errmsg(void);

/* The name of a status, e.g. "KJIT_EUNDEF" ("?" for none). */
const char *kjit_status_name(kjit_status st);

/* Statistics, counted since kjit_create. */
typedef struct kjit_stats {
    uint64_t defined;        /* kjit_define and kjit_define_host calls that succeeded
                                (redefinitions included) */
    uint64_t ir_generated;   /* generator calls for function bodies */
    uint64_t compiled;       /* function bodies compiled to machine code */
    uint64_t compile_units;  /* compiles of function bodies (one may hold several bodies) */
    uint64_t compile_us;     /* time compiling function bodies: IR passes, codegen, linking */
    uint64_t compile_us_median; /* median time of one body's compile (last 1,024) */
    uint64_t stubs;          /* stable entries created */
    uint64_t toplevel_run;   /* kjit_run calls that ran their thunk */
    uint64_t toplevel_us;    /* time compiling top-level thunks */
    uint64_t runtime_errors; /* run-time errors reported */
    uint64_t compile_errors; /* generator or compile failures */
    uint64_t compiled_t1;    /* T1 bodies (tiered) */
    uint64_t compiled_t2;    /* T2 bodies installed */
    uint64_t t2_us;          /* time compiling T2 bodies (on the background thread) */
    uint64_t t2_queue_us;    /* summed time from queueing to T2 installed */
    uint64_t t2_failed;      /* T2 compiles that failed (the function stays at T1) */
    uint64_t invalidated;    /* T2 bodies dropped because an inlined callee was redefined */
    uint64_t redefined;      /* definitions that replaced an earlier one */
    uint64_t reclaimed_bytes;/* code memory freed after being replaced */
    uint64_t run_t0;         /* calls run at T0 (kjit_define_ex entries; threads calling
                                at T0 at once may each miss a few) */
    uint64_t osr_compiled;   /* OSR entries compiled (of T0 loops, and of C functions'
                                loops running in T1 code: optimised IR, tiered mode) */
    uint64_t osr_entries;    /* times a running loop went on in an OSR entry */
    uint64_t compile_threads;/* background compiler threads started */
    uint64_t t1_us;          /* time compiling T1 bodies (on the program's threads) */
    uint64_t hosts;          /* of `defined`: kjit_define_host calls */
    uint64_t llvm_setup_us;  /* time setting up LLVM for this JIT (0: never needed) */
    uint64_t wait_us;        /* time the program's threads waited in first calls through
                                stubs: for the lock compiles hold, and for the compile */
    uint64_t compiled_ahead; /* of `compiled`: bodies compiled ahead of their first call
                                (kjit_options.ahead), on the background thread */
    uint64_t ahead_us;       /* time compiling them there (not in compile_us) */
    uint64_t ahead_failed;   /* compiles ahead that failed: the function stays as it
                                was, and its first call compiles it (and reports why) */
    uint64_t cache_hits;     /* compiles whose object came from the code cache */
    uint64_t cache_misses;   /* compiles that could be cached and were not there */
    uint64_t cache_stored;   /* objects this run added to the code cache */
    uint64_t cache_rejected; /* cache entries that failed their check (removed, rebuilt) */
    uint64_t cache_hot;      /* functions started at T2 because they got hot in an
                                earlier run (the code cache's hot marks) */
    uint64_t own_linked;     /* objects kjit linked itself, compiled or from the
                                cache, not LLVM's JITLink (x86-64; docs/DESIGN.md, "A warm run without
                                LLVM") */
} kjit_stats;

void kjit_get_stats(kjit *jit, kjit_stats *out);
/* The calling thread's share of wait_us, over every JIT of the process: what
 * a real-time thread checks stays the same (docs/DESIGN.md, "The real-time
 * contract"). */
uint64_t kjit_thread_wait_us(void);

/* Write the statistics as one line of JSON (no newline) into buf; returns
 * the length it needed, like snprintf. */
int kjit_stats_json(kjit *jit, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* KJIT_H */
