/*
 * kj_internal.h — libkjit's private types, shared by its modules.  Never
 * installed; clients see only include/kjit.h.
 *
 * Ownership at a glance:
 *   kjit         owns the LLJIT, the target machines, the stub manager, the
 *                function table and every kj_fn in it.
 *   kj_fn        owns its name, its generator's user data (released through
 *                the client's release callback), the ResourceTracker of its
 *                current code and, in lazy-ir mode, its not-yet-compiled IR.
 *   kj_compile   takes a module (and its context) and always disposes of both.
 */
#ifndef KJ_INTERNAL_H
#define KJ_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/TargetMachine.h>

#include "kjit.h"
#include "kj_stub.h"

#define KJ_MAX_PARAMS 64
#define KJ_ERRMSG_SIZE 512

/* Where a function is in its life. */
typedef enum kj_state {
    KJ_UNDEFINED,   /* called or addressed, but nothing defines it (yet) */
    KJ_STUB,        /* defined; its slot points at the lazy entry */
    KJ_COMPILING,   /* one thread is generating/compiling it; others wait */
    KJ_COMPILED,    /* its slot points at compiled code */
    KJ_HOST         /* its slot points at a host function */
} kj_state;

/* A function's T0 entry, as published to lock-free readers (kj_t0.c).
 * Immutable; replaced by a redefinition and then freed at quiescence with
 * the user data it runs on. */
typedef struct kj_t0def {
    kjit_t0_fn fn;
    void *user;
    const char *sig;      /* the function's signature (kj_fn.sig) */
    int nparams;
    uint64_t version;     /* the definition's (kj_fn.version) */
} kj_t0def;

/* What a T2 body inlined, with the versions it saw: if any of them is
 * redefined, the T2 body is invalidated. */
#define KJ_MAX_DEPS 16
typedef struct kj_deps {
    int n;
    struct kj_fn *fn[KJ_MAX_DEPS];
    uint64_t ver[KJ_MAX_DEPS];
} kj_deps;

typedef struct kj_fn {
    struct kj_fn *hash_next;
    kjit *jit;
    char *name;
    char sig[KJ_MAX_PARAMS + 4];  /* "d(dd)"; "" while undefined */
    kj_stub stub;
    int host_ok;                  /* kjit_declare_host: bind to the host symbol if undefined */

    /* Guarded by kjit.lock: */
    kj_state state;
    uint64_t version;             /* bumped by every (re)definition */
    kjit_generator gen;
    void *user;
    kjit_release release;
    struct kj_code *code;         /* code of the current body */
    LLVMModuleRef pending_mod;    /* lazy-ir: IR generated at definition (in ir_ctx) */
    /* The T0 entry, while the function has one (tiered and interp modes);
     * written under lock, read without it. */
    _Atomic(kj_t0def *) t0;
    /* On-stack replacement (kj_osr.c): the OSR generator, the loops whose
     * entry was requested (bit per loop < 64) under lock, and the entries
     * compiled for the current definition, read without lock. */
    kjit_osr_generator osr_gen;
    uint64_t osr_requested;
    _Atomic(struct kj_osr_entry *) osr;

    /* Tiers (tiered mode, or after kjit_optimize).  `code` is the T1 body. */
    int tier;                     /* 0: not tiered, 1: T1, 2: T2 */
    int queued;                   /* in the T2 queue or being compiled */
    int invalidated;              /* its T2 body was invalidated, not yet replaced */
    uint64_t queued_at;           /* µs, for the queue latency */
    struct kj_fn *queue_next;
    void *t1_addr;                /* where the stub goes back to on invalidation: the T1
                                     body, or the lazy entry (back to T0) */
    struct kj_code *t2;           /* T2 body (with what it inlined) */
    _Atomic int64_t count;        /* T1 entries + back-edges (bumped by T1 code) */
} kj_fn;

/* Compiled code: one ResourceTracker, shared by the functions one compile
 * produced (--partition=callees), counted by them.  When no function uses
 * it any more it is retired (another thread may still run it); retired code
 * is freed with the JIT. */
typedef struct kj_code {
    struct kj_code *next_retired;
    LLVMOrcResourceTrackerRef rt;
    int users;
    uint64_t retired_at;     /* epoch stamp when retired (kj_reclaim.c) */
    size_t bytes;            /* object size, for statistics */
    /* A replaced T0 definition retires like code (rt is then NULL): its
     * entry may still be running on some thread. */
    kj_t0def *t0;
    void *user;
    kjit_release release;
    struct kj_osr_entry *osr; /* the OSR entry this code is (freed with it) */
    kj_deps deps;            /* T2 and OSR code: the functions it inlined */
    struct kj_gdb_entry *gdb; /* unregistered when the code is freed */
} kj_code;

/* An OSR entry: immutable once published in kj_fn.osr. */
typedef struct kj_osr_entry {
    struct kj_osr_entry *next;
    int loop;
    uint64_t version;        /* of the definition it was compiled from */
    void *addr;
    kj_code *code;           /* code->deps: what it inlined */
} kj_osr_entry;

/* A request to compile an OSR entry, in the background queue. */
typedef struct kj_osr_job {
    struct kj_osr_job *next;
    kj_fn *fn;
    int loop;
    uint64_t version;
} kj_osr_job;

/* A thread that may run JIT'd code (kj_reclaim.c). */
typedef struct kj_part {
    struct kj_part *next;
    pthread_t thread;
    int depth;               /* nested kjit_run calls */
    int attached;            /* kjit_thread_attach */
    int active;              /* may be running JIT'd code now */
    uint64_t seen;           /* epoch seen at entry or last quiescent state */
} kj_part;

/* A global variable (kjit_global). */
typedef struct kj_global {
    struct kj_global *next;
    char *name;
    size_t size;
    void *mem;
} kj_global;

struct kjit {
    kjit_options opts;
    LLVMOrcLLJITRef lljit;
    LLVMOrcJITDylibRef jd;
    LLVMTargetMachineRef tm;      /* code generation at opts.opt_level; under compile_lock */
    LLVMTargetMachineRef tm_fast; /* -O0 code generation, for run-once code; under compile_lock */
    LLVMTargetRef target;         /* for the compiler threads' own target machines */
    char *cpu, *features;
    int t2_level;                 /* T2 optimisation level: max(opt_level, 2) */
    char global_prefix;           /* of mangled symbol names ('\0' on ELF) */
    char *triple;
    char *datalayout;
    LLVMContextRef ir_ctx;        /* lazy-ir: the one context of all pending IR, so
                                     modules can be linked; under compile_lock */

    /* Lock order: compile_lock, then lock. */
    pthread_mutex_t compile_lock; /* serialises generators and LLVM codegen */
    /* LLVM's set-up for this JIT (kj_llvm.c): made once, under llvm_lock;
     * llvm_ready is set (under lock too) when it is complete.  Order:
     * compile_lock, llvm_lock, lock. */
    pthread_mutex_t llvm_lock;
    _Atomic int llvm_ready;
    char llvm_error[KJ_ERRMSG_SIZE]; /* why the set-up failed, for every later try */
    pthread_mutex_t lock;         /* function table and function states */
    /* Held for writing while definitions change, for reading while the T2
     * thread calls generators (which read definitions).  Order: def_lock,
     * compile_lock, lock. */
    pthread_rwlock_t def_lock;

    /* The T2 queue and thread (under lock). */
    kj_fn *qhead, *qtail;
    kj_osr_job *osr_head, *osr_tail; /* OSR requests, served first */
    /* The background compiler threads (kj_tier.c), started as work queues
     * up to max_workers; all under lock. */
#define KJ_MAX_WORKERS 8
    struct kj_worker *workers[KJ_MAX_WORKERS];
    int nworkers, max_workers, busy, t2_stop;
    int pending;                  /* jobs in the two queues */
    pthread_cond_t t2_wake, t2_idle;

    kj_stubs *stubs;
    kj_fn **table;
    size_t table_size, nfns;
    kj_code *retired;             /* waiting for quiescence, under lock */
    kj_part *parts;               /* participants, under lock */
    _Atomic uint64_t epoch;       /* bumped by every retirement */
    _Atomic uint64_t dead_names;  /* trackers freed (kj_rt_free) */
    kj_global *globals;           /* under lock */
    kj_code *data;                /* kjit_define_data's code, kept for the JIT's life
                                     (linked through next_retired), under lock */
    struct kj_modules *modules;   /* IR modules (kj_module.c); made at the first */
    void (*modules_free)(kjit *jit); /* set with modules: frees them (kjit_destroy) */
    /* The interrupt polls every compile adds (kjit_create sets it to
     * kj_safepoint_polls): the pipeline takes them from above. */
    void (*polls)(kjit *jit, LLVMModuleRef mod);

    kjit_error_hook hook;
    void *hook_user;
    /* kjit_set_transform, per tier (1, 2); read by compiles, set rarely */
    _Atomic(kjit_transform) transform[3];
    void *_Atomic transform_user[3];
    char *passes[3];              /* kjit_options.t1_passes, t2_passes (copies) */

    _Atomic uint64_t toplevel_seq;
    _Atomic int interrupt;        /* kjit_interrupt: polled at every safepoint */
    _Atomic(kjit_trace_hook) trace; /* kjit_set_trace (kj_trace.c) */
    void *trace_user;
    uint64_t created_us;          /* event times count from here */

    struct {
        _Atomic uint64_t defined, ir_generated, compiled, compile_units, compile_us, stubs,
            compiled_t1, compiled_t2, t2_us, t2_queue_us, t2_failed, invalidated, redefined,
            reclaimed_bytes, toplevel_run, run_t0, llvm_setup_us, osr_compiled, osr_entries, t1_us, hosts,
            toplevel_us, runtime_errors, compile_errors;
    } stats;
    /* The last KJ_LATENCIES function compile times (µs), for the median;
     * under lock. */
#define KJ_LATENCIES 1024
    uint32_t latency[KJ_LATENCIES];
    uint64_t nlatency;
};

/* kj_fn.c */
uint64_t kj_hash_name(const char *s);
/* kj_jit.c: set by the thread adding a module: its definitions are not
 * generated or compiled at once in lazy-ir and eager modes (a function may
 * use a variable of a module not added yet), but by kj_define_now, for
 * each, when the program is complete (kjit_run_constructors). */
extern _Thread_local int kj_defer_compile;
kjit_status kj_define_now(kjit *jit, const char *name);

/* kj_jit.c */
kj_fn *kj_fn_find(kjit *jit, const char *name);          /* under lock */
void kj_impl_name(kjit *jit, const char *name, char *buf, size_t len);
/* A function stops using code c; the last user retires it (under lock). */
void kj_code_drop(kjit *jit, kj_code *c);
kj_fn *kj_fn_lookup_or_add(kjit *jit, const char *name);  /* under lock; NULL on OOM */
/* Bring fn to a callable state (compile, bind to host, ...) and return the
 * address its stub should reach.  Caller holds compile_lock, not lock. */
kjit_status kj_materialize(kjit *jit, kj_fn *fn, int compile, void **target);
kjit_status kj_set_error(kjit_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* kj_trace.c: an event for the trace hook, if one is set.  start_us 0:
 * now. */
void kj_trace(kjit *jit, kjit_event_kind kind, const char *name, const char *tier,
              uint64_t start_us, uint64_t dur_us, uint64_t bytes, const char *message);

/* kj_compile.c: the pipeline from a generated module to callable code. */
typedef struct kj_unit {
    LLVMContextRef ctx;      /* the unit's own (disposed with it), or jit->ir_ctx */
    int shared_ctx;          /* ctx is jit->ir_ctx: not the unit's to dispose */
    LLVMModuleRef mod;
    const char *symbol;      /* the function to look up once linked */
    int opt_level;           /* 0..3: passes (and code generation, unless tm is set) */
    LLVMTargetMachineRef tm; /* code generation; NULL: chosen by opt_level */
    /* The caller's instrumentation after the passes (T1's counters), with
     * its context; NULL: none. */
    void (*instrument)(void *ctx, LLVMModuleRef mod, const char *symbol);
    void *instrument_ctx;
    void *addr;              /* out: its address */
    LLVMOrcResourceTrackerRef rt; /* out: tracker owning the code */
    const char *tier;        /* for the perf map: "T1", "T2", "osr", "thunk"; NULL: "compiled" */
    struct kj_gdb_entry *gdb; /* out: its registration with gdb (the code's owner frees it) */
    uint64_t us;             /* out: time kj_compile took */
    size_t bytes;            /* out: size of the object file */
} kj_unit;

/* Create an empty module ready for a generator: in ctx if not NULL (shared,
 * not disposed with the unit), else in a context of its own. */
kjit_status kj_unit_open(kjit *jit, kj_unit *u, const char *module_name, LLVMContextRef ctx);
/* Call gen to fill the unit; counts ir_generated. */
kjit_status kj_unit_generate(kjit *jit, kj_unit *u, kjit_generator gen, void *user);
/* Verify, optimise, emit, link, look up.  Always disposes of u->mod (and
 * u->ctx unless shared).  Caller holds compile_lock. */
kjit_status kj_compile(kjit *jit, kj_unit *u);
/* Microseconds of the monotonic clock. */
uint64_t kj_now_us(void);
/* Put err's message, after `what: `, in the thread's error text; consumes
 * err and returns st. */
kjit_status kj_llvm_error(kjit_status st, const char *what, LLVMErrorRef err);
/* Free the code a ResourceTracker owns and release the tracker. */
#define KJ_DEAD_NAMES_CLEAR 256
void kj_rt_free(kjit *jit, LLVMOrcResourceTrackerRef rt);
/* The code record of a compiled unit (its tracker, size, gdb entry; what it
 * inlined, if deps), for `users` functions; NULL on OOM. */
kj_code *kj_code_new(const kj_unit *u, const kj_deps *deps, int users);
/* Whether every function deps recorded still has the version it saw
 * (caller holds lock): compiled code that inlined them may be installed. */
int kj_deps_current(const kj_deps *deps);
/* Dispose of a unit that will not be compiled. */
void kj_unit_discard(kj_unit *u);

/* kj_link.c: the namespaces of compiled symbols, and their resolution. */
typedef struct kj_link_hosts { int n, cap; char **name; } kj_link_hosts;
/* Before the passes: rename the module's client callees "__kjit.f.NAME";
 * host callees keep their C names, listed in *hosts (which the caller
 * passes to kj_link_finish or kj_link_hosts_free).  Gives every callee a
 * stub.  Takes lock. */
kjit_status kj_link_bind(kjit *jit, LLVMModuleRef mod, kj_link_hosts *hosts);
/* After the passes: rename the host callees "__kjit.h.NAME"; frees *hosts. */
void kj_link_finish(LLVMModuleRef mod, kj_link_hosts *hosts);
void kj_link_hosts_free(kj_link_hosts *hosts);
/* Attach the definition generator that resolves names at link time. */
void kj_link_init(kjit *jit);

/* Whether the mode runs T0 entries (tiered, interp). */
static inline int kj_uses_t0(const kjit *jit) {
    return jit->opts.mode == KJIT_MODE_TIERED || jit->opts.mode == KJIT_MODE_INTERP;
}
/* The target of a call through fn's stub that found no code: compile, bind
 * a host, or raise a run-time error (returning kj_arch_fail_address() when
 * the raise returns).  NULL: fn runs at T0.  Takes compile_lock. */
void *kj_resolve(kj_fn *fn);
/* The trampoline's resolver (kj_stub_set_resolver): the T0 entry, or the
 * target of kj_resolve. */
typedef struct kj_arch_frame kj_arch_frame;
void *kj_lazy_resolve(void **slot, kj_arch_frame *frame);

/* kj_t0.c */
/* Run a call through fn's lazy entry at T0 if fn has a T0 entry now: the
 * result goes into the trampoline's frame.  Returns 0 if fn has none. */
int kj_t0_enter(kj_fn *fn, kj_arch_frame *frame);
/* The innermost T0 activation on this thread (its definition), or NULL:
 * kjit_backedge is always called by it.  kjit_run_ex saves and restores it
 * around a run, which a run-time error may leave by siglongjmp. */
kj_t0def *kj_t0_current(void);
void kj_t0_set_current(kj_t0def *d);
/* Call machine code at target by signature. */
kjit_value kj_t0_call_native(void *target, const char *sig, const kjit_value *args);

/* A background compiler thread: its own T2 target machine (they are not
 * thread-safe), and what it is compiling an OSR entry for. */
typedef struct kj_worker {
    pthread_t thread;
    kjit *jit;
    LLVMTargetMachineRef tm;
    kj_fn *current;          /* under lock */
} kj_worker;

/* kj_llvm.c: LLVM loaded and the backend set up at the first compile. */
/* Make sure LLVM is loaded and this JIT's backend (LLJIT, target machines)
 * set up; every compile calls it first.  Takes llvm_lock (and lock). */
kjit_status kj_llvm_ready(kjit *jit);
/* Define a new global in the JITDylib if the backend is up (else setting it
 * up will).  Caller holds lock. */
kjit_status kj_llvm_define_global(kjit *jit, kj_global *g);
void kj_llvm_teardown(kjit *jit);
/* A new LLVM context whose diagnostics never print (an error's text
 * becomes the thread's error message). */
LLVMContextRef kj_llvm_context(void);
/* Whether LLVM accepts a pass pipeline (loads LLVM). */
kjit_status kj_llvm_check_passes(const char *passes);
/* A new T2 target machine (for one compiler thread); NULL on failure. */
LLVMTargetMachineRef kj_llvm_t2_machine(kjit *jit);

/* kj_osr.c */
/* Compile the entry job asks for, on compiler thread w; frees job. */
void kj_osr_compile(kjit *jit, kj_worker *w, kj_osr_job *job);
/* Retire fn's OSR entries (a redefinition, an invalidation): under lock. */
void kj_osr_drop(kjit *jit, kj_fn *fn);
/* Drop fn's entries that inlined g (under lock). */
void kj_osr_invalidate(kjit *jit, kj_fn *fn, kj_fn *g);
/* A top-level run at T0 gets a record of its own for its OSR entries, the
 * thread's current run while it lasts. */
kj_fn *kj_osr_run_begin(kjit *jit, const kjit_def *def);
void kj_osr_run_end(kjit *jit, kj_fn *rec);

/* kj_safepoint.c: code on every function entry and loop back-edge. */
/* Emit, at b's position in fn, code that ends by branching to next. */
typedef void (*kj_safepoint_emit)(void *ctx, LLVMBuilderRef b, LLVMValueRef fn,
                                  LLVMBasicBlockRef next);
void kj_safepoint_edges(LLVMValueRef fn, kj_safepoint_emit emit, void *ctx);
/* Whether fn has a loop: a back-edge as kj_safepoint_edges finds them. */
int kj_safepoint_has_loop(LLVMValueRef fn);
/* A poll of the interrupt flag in every function defined in mod. */
void kj_safepoint_polls(kjit *jit, LLVMModuleRef mod);
/* An interrupt is pending: clear it and raise KJIT_EINTR. */
void kj_safepoint_poll(kjit *jit);
/* The poll of T0 code: cheap when nothing is pending. */
static inline void kj_safepoint_check(kjit *jit) {
    if (atomic_load_explicit(&jit->interrupt, memory_order_relaxed)) kj_safepoint_poll(jit);
}

/* kj_gdb.c: JIT'd functions made known to gdb (its JIT interface). */
typedef struct kj_gdb_entry kj_gdb_entry;
struct kj_perf_syms;
/* Register the functions of one object (names, sizes, linked addresses),
 * and dbg, a copy of the object with debug info (kj_gdb_debug_copy; NULL:
 * none), which the entry takes. */
kj_gdb_entry *kj_gdb_register(const struct kj_perf_syms *syms, const uint64_t *addr,
                              const char *tier, char *dbg, size_t dbg_size);
void kj_gdb_unregister(kj_gdb_entry *e);  /* NULL is fine */
/* A malloc'd copy of an object file if it has debug info (a line table),
 * else NULL. */
char *kj_gdb_debug_copy(const char *obj, size_t size);
/* Name the source frames at pc (a call's address in registered code),
 * innermost first, through fn (kj_wrap.h): from its debug info, else its
 * symbol (no position; "" for libkjit's thunks).  Returns how many. */
typedef void (*kj_gdb_frame_fn)(void *ctx, const char *function, const char *file,
                                unsigned line, unsigned col);
int kj_gdb_where(uint64_t pc, kj_gdb_frame_fn fn, void *ctx);

/* kj_perf.c: the perf map (kjit_options.perf_map). */
#define KJ_PERF_SYMS 32
typedef struct kj_perf_syms {
    int n;
    char name[KJ_PERF_SYMS][128];
    uint64_t size[KJ_PERF_SYMS];
} kj_perf_syms;
/* The JIT's function symbols of an object file and their sizes (before it
 * is linked). */
void kj_perf_object(kjit *jit, LLVMMemoryBufferRef obj, kj_perf_syms *out);
/* Once linked: write them with their addresses, labelled with tier, to the
 * perf map (if asked) and register them with gdb (returned). */
kj_gdb_entry *kj_perf_linked(kjit *jit, const kj_perf_syms *syms, const char *tier, char *dbg,
                             size_t dbg_size);
void kj_perf_stub(kjit *jit, const kj_fn *fn);

/* kj_tier.c */
/* Queue an OSR job (under lock); starts the thread on first use. */
void kj_tier_enqueue_osr(kjit *jit, kj_osr_job *job);
/* add_inline_bodies for OSR modules (caller holds def_lock). */
void kj_tier_inline_bodies(kjit *jit, LLVMModuleRef mod, kj_deps *deps);
/* T1's counters in fn's body (a kj_unit's instrument, ctx the kj_fn). */
void kj_tier_instrument(void *fn, LLVMModuleRef mod, const char *symbol);
void kj_tier_hot(kj_fn *fn);
/* kjit_recompile at T2: compile fn on this thread now (waiting for a
 * compiler thread that has it), install it, retire its old T2 body.  0 if
 * installed; else -1 with the error set, and fn as it was. */
int kj_tier_compile_now(kjit *jit, kj_fn *fn);
void kj_tier_enqueue(kjit *jit, kj_fn *fn);        /* under lock */
void kj_tier_drain(kjit *jit);
void kj_tier_stop(kjit *jit);
void kj_tier_invalidate(kjit *jit, kj_fn *g);      /* under lock */

/* kj_reclaim.c: freeing code at quiescence (all under lock unless noted) */
void kj_reclaim_retire(kjit *jit, kj_code *c);
int kj_reclaim_enter(kjit *jit);   /* takes lock */
void kj_reclaim_leave(kjit *jit);  /* takes lock */
void kj_reclaim_free_all(kjit *jit);
/* Free retired c now; count: free its code and count it as reclaimed (else
 * the JIT is being destroyed).  Releases a T0 definition's user data. */
void kj_reclaim_free(kjit *jit, kj_code *c, int count);

/* kj_trap.c: protected calls into JIT'd code and run-time errors. */
/* Run body(ctx) protected.  A run-time error in it returns its status,
 * with its message in kj_trap_message() and its frames in kj_trap_frames();
 * the caller names the frames, then reports it with kj_trap_report. */
kjit_status kj_trap_run(kjit_value (*body)(void *ctx), void *ctx, kjit_value *result);
const char *kj_trap_message(void);
/* A run-time error happened: count it, trace it, make it the thread's
 * error text, call the hook. */
void kj_trap_report(kjit *jit, kjit_status st, const char *msg);
/* Report a run-time error on this thread.  Inside kj_trap_run it does not
 * return (the running thunk is abandoned); outside, it calls the hook and
 * returns the address the failing call should continue at. */
void *kj_trap_raise(kjit *jit, kjit_status st, const char *msg);
/* A T0 activation, on its runner's C stack (kj_t0.c). */
typedef struct kj_act {
    struct kj_act *prev;
    const void *who;         /* its kj_fn; NULL for a top-level run */
    uintptr_t sp;            /* its runner's frame address */
    kjit_pos pos;            /* of the call it is making (kjit_call_at) */
} kj_act;
void kj_trap_act_enter(kj_act *a, const void *who, uintptr_t sp);
void kj_trap_act_leave(kj_act *a);
void kj_trap_act_at(const kjit_pos *pos); /* of the innermost activation */
/* A frame of the last error's chain, as recorded: a machine pc in JIT'd
 * code (the call's, not the return address), or a T0 activation. */
typedef struct kj_raw {
    uintptr_t sp, pc;
    const void *who;
    kjit_pos pos;
    int act;
} kj_raw;
#define KJ_RAW_KEEP 64       /* innermost and outermost frames kept */
/* The frames of the thread's last landed error, innermost first; *omitted
 * were left out between the first KJ_RAW_KEEP and the rest. */
size_t kj_trap_frames(const kj_raw **raw, size_t *omitted);
/* JIT'd code lies in [lo, hi) (libkjit's compiles say so, kj_compile.c):
 * the frames walked keep only pcs in the union of these ranges. */
void kj_trap_note_code(uintptr_t lo, uintptr_t hi);
int kj_trap_in_jit(uintptr_t pc);
/* Whether this thread has enough stack left to compile safely. */
int kj_trap_stack_ok(void);

#endif
