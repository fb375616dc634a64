/*
 * kj_types.h — the data libkjit's layers share: the JIT (struct kjit), a
 * function (kj_fn), a body of compiled code (kj_code) and what they hold.
 * Types and constants only: no function is declared here, and the one
 * inline function reads a field.  Each layer's functions are declared in its
 * own header (base/kj_base.h, machine/kj_machine.h, tools/kj_tools.h,
 * pipeline/kj_pipeline.h, tiers/kj_tiers.h, kj_api.h); see lib/LAYERS.
 * Never installed; clients see only include/kjit.h.
 *
 * Ownership at a glance:
 *   kjit         owns the LLJIT, the target machines, the stub manager, the
 *                function table and every kj_fn in it.
 *   kj_fn        owns its name, its generator's user data (released through
 *                the client's release callback), the ResourceTracker of its
 *                current code and, in lazy-ir mode, its not-yet-compiled IR.
 *   kj_code      is shared by the functions one compile produced, counted
 *                by them; the last to let go retires it (kj_code_drop).
 *   kj_compile   takes a module (and its context) and always disposes of both.
 */
#ifndef KJ_TYPES_H
#define KJ_TYPES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/TargetMachine.h>

#include "kjit.h"

/* A function's stable entry (machine/kj_stub.h hands them out). */
typedef struct kj_stubs kj_stubs;
typedef struct kj_stub {
    void *entry;              /* the stable address callers use */
    void *lazy;               /* the lazy entry: the slot's initial target */
    _Atomic(void *) *slot;    /* where the stub jumps through */
} kj_stub;

#define KJ_MAX_PARAMS 64
#define KJ_ERRMSG_SIZE 512
/* Implementation names are "__kjit.<n>.NAME" and "__kjit.top<n>" with n in
 * this many hex digits: fixed, so a cached object's name can be rewritten in
 * place (kj_objcache.c). */
#define KJ_IMPL_DIGITS 12

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
/* Workspaces: at most one per thread that makes first compiles at once (a
 * program's threads, the ahead thread); beyond that a compile makes a
 * context of its own, as before. */
#define KJ_WS_MAX 4
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
    /* The GOT slots through which code kj_elf.c linked calls this function
     * (`call *slot`): each holds what the stub's slot holds, written with
     * it (kj_fn_point), so those calls skip the stub's jump.  Under
     * kjit.mirror_lock. */
    struct kj_mirror *mirrors;
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
    /* On-stack replacement of C frames (kj_osr.c): their continuations are
     * entries in osr too (loop: the point); the points whose continuation
     * was asked for (a bit each); none after a redefinition (an old frame
     * is not the new body's). */
    _Atomic unsigned osr_c_asked;
    int osr_c_off;
    /* kjit_prepare: 1 + the count of definitions when it and what it calls
     * got code (kj_lazy_prepare); 0: never, or only given code itself, as
     * an address a handler took. */
    uint64_t prepared;

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

    /* Compiling ahead (kj_ahead.c), under lock: 1 while in the queue, 2
     * while the ahead thread compiles it (state KJ_COMPILING). */
    int ahead;
    struct kj_fn *ahead_next, *ahead_prev; /* the queue, both ways (kj_ahead.c) */

    /* The code cache's hot marks (kj_objcache.c), under lock: the key of
     * its T1 compile; whether a T2 install marked it hot; whether the first
     * call found it hot in an earlier run and is to go to T2 at once. */
    uint8_t t1_key[32];
    unsigned t1_keyed : 1, hot_marked : 1, hot_start : 2, hot_queued : 1;
    unsigned queue_late : 1;      /* queued from an earlier run's mark (kj_tier_enqueue) */
    size_t queue_bytes;           /* its T1 object's size then (the queue's order) */
    /* Its definition's source key (kj_fn_set_source_key): its IR is a
     * function of these bytes, so a first compile may come from the cache
     * without IR (kj_lazy.c).  Cleared by every other definition. */
    uint8_t src_key[32];
    int src_keyed;
} kj_fn;

/* Compiled code: one ResourceTracker, shared by the functions one compile
 * produced (--partition=callees), counted by them.  When no function uses
 * it any more it is retired (another thread may still run it); retired code
 * is freed with the JIT. */
typedef struct kj_code {
    struct kj_code *next_retired;
    LLVMOrcResourceTrackerRef rt;
    struct kj_elf *elf;      /* or the code kjit's own linker linked (kj_elf.c) */
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
    uint32_t sig;            /* a C frame's: its point's signature (kj_wrap.h) */
    void *addr;
    kj_code *code;           /* code->deps: what it inlined */
} kj_osr_entry;

/* A request to compile an OSR entry, in the background queue. */
typedef struct kj_osr_job {
    struct kj_osr_job *next;
    kj_fn *fn;
    int loop;
    uint64_t version;
    int c;                   /* a C frame's continuation (kj_osr.c), of signature sig */
    uint32_t sig;
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
    /* Workspaces (kj_compile.c): long-lived contexts that first compiles
     * borrow, one thread at a time, so that a front end can keep its
     * sources read into each (kj_module.c).  Under ws_lock: busy, the
     * retired lists. */
    struct kj_ws {
        LLVMContextRef ctx;       /* made at its first use */
        unsigned id;
        struct kjit *jit;
        int busy;                 /* a thread holds it */
        LLVMModuleRef *retired;   /* modules of ctx to dispose of once it is free */
        size_t nretired, cap;
        /* Code generators (kj_wrap_emitter) of tm_fast and tm for ctx's
         * modules, made at their first use. */
        struct kj_wrap_emitter *emit[2];
    } ws[KJ_WS_MAX];
    pthread_mutex_t ws_lock;
    int ws_off;                   /* KJIT_WORKSPACES=0: none */
    int emit_off;                 /* KJIT_EMITTERS=0: no kept code generators */
    uint8_t machine_key[32];      /* the target as LLVM sees it (kj_objcache.c) */
    _Atomic int machine_known;    /* machine_key is set: by LLVM, or the cache */
    int own_link_off;             /* KJIT_OWN_LINK=0: ORC links every object (kj_elf.c) */
    int warm_marks_off;           /* KJIT_WARM_MARKS=0 (kj_tier.c, mark_queued) */
    int no_first_t2;              /* KJIT_FIRST_T2=0: a hot start links T1, then T2 */
    uint8_t host_key[32];         /* kj_objcache.c's, once computed (host_keyed) */
    _Atomic int host_keyed;
    int finish_pre_only;          /* kjit_cache_finish, for a function no run queued:
                                     T2 only of IR optimised already (t2_compile) */
    unsigned finish_skipped;      /* the T2 compiles it so skipped */
    _Atomic unsigned unfinished;  /* T1 bodies kept, and functions marked queued at the
                                     end: kjit_cache_finish's work (kjit_cache_unfinished) */

    /* Lock order: compile_lock, then lock. */
    pthread_mutex_t compile_lock; /* serialises generators and LLVM codegen */
    /* LLVM's set-up for this JIT (kj_llvm.c): made once, under llvm_lock;
     * llvm_ready is set (under lock too) when it is complete.  Order:
     * compile_lock, llvm_lock, lock. */
    pthread_mutex_t llvm_lock;
    _Atomic int llvm_ready;
    char llvm_error[KJ_ERRMSG_SIZE]; /* why the set-up failed, for every later try */
    pthread_mutex_t lock;         /* function table and function states */
    pthread_mutex_t mirror_lock;  /* kj_fn.mirrors, kj_elf.c's arenas (after lock, if both) */
    int tearing_down;             /* kjit_destroy frees the functions: no unmirroring */
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
    /* KJIT_T1_EARLY: how many more functions with a loop get T1 code at
     * the -O level (kj_lazy.c). */
#define KJ_T1_EARLY 8
    _Atomic int t1_early_left;
    /* When the last first-call compile ended (µs, kj_now_us): whole-function
     * T2 compiles wait until the program's first calls have settled for
     * KJ_T2_DELAY_US (kj_tier.c). */
#define KJ_T2_DELAY_US 25000
    _Atomic uint64_t first_compiled_at;
    atomic_int t2_prestarted;      /* kj_tier_prestart ran (its check without the lock) */
    int pending;                  /* jobs in the two queues */
    pthread_cond_t t2_wake, t2_idle;

    /* Compiling ahead (kj_ahead.c): the queue of functions whose callers
     * were compiled, and its thread, all under lock.  ahead_done is
     * signalled after each of its compiles (a first call may wait for it). */
    kj_fn *ahead_head, *ahead_tail;
    pthread_t ahead_thread;
    int ahead_started, ahead_stop;
    int ahead_busy; /* the thread is compiling (T2 waits for it: kj_tier.c) */
    /* A fork is under way (kj_tier.c, "fork"): the background compiler
     * threads take no new job.  Under lock. */
    int fork_hold;
    /* Program threads inside a kjit call that takes compile_lock or
     * def_lock (kj_tier_enter); while fork_gate is up, no other enters,
     * and the fork waits for inside to fall to 0.  Under lock. */
    int inside, fork_gate;
    pthread_cond_t gate;
    int forked;                   /* this process is a fork of the one that made it */
    struct kjit *fork_next;       /* the live JITs (kj_jit.c), under its lock */
    pthread_cond_t ahead_wake, ahead_done;

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
    struct kj_elf_syms *elf_syms; /* names of data objects kj_elf.c linked; under lock */
    struct kj_arena *arenas;      /* kj_elf.c's, the current first; under mirror_lock */
    struct kj_modules *modules;   /* IR modules (kj_module.c); made at the first */
    void (*modules_free)(kjit *jit); /* set with modules: frees them (kjit_destroy) */
    /* Set with modules: the functions whose addresses a module's variable
     * `global` holds in its initializer (and the variables it points to),
     * as a malloc'd list of names, each ended by a NUL (*len bytes); NULL
     * for none.  kjit_prepare's look into tables of functions. */
    char *(*modules_names_in)(kjit *jit, const char *global, size_t *len);
    /* The interrupt polls every compile adds (kjit_create sets it to
     * kj_safepoint_polls): the pipeline takes them from above. */
    void (*polls)(kjit *jit, LLVMModuleRef mod);
    /* What the polls and T1's counters call (kj_safepoint_poll,
     * kj_tier_hot): compiled code names them "__kjit.x.poll" and
     * "__kjit.x.hot", and kj_link.c resolves those names here, so that an
     * object holds no address of this process (it may be cached, kj_cache). */
    void (*poll_fn)(kjit *jit);
    /* The code cache (kj_objcache.c): NULL when off; what names kjit's
     * build in its keys; set once when it fails in a run, and why. */
    struct kj_cache *cache;
    struct kj_writer *writer; /* its writer thread and queue */
    uint8_t build_id[32];
    _Atomic int cache_failing, cache_failed; /* (failed: set once why is written) */
    _Atomic int cache_closed;     /* kjit_stop_tiering_for_exit: no more writes */
    char cache_why[512];
    char *transform_key[3]; /* kjit_set_transform_key, per tier; under lock */
    void (*hot_fn)(kj_fn *fn);
    void *(*osr_c_fn)(kj_fn *fn, int32_t point, uint32_t sig, int32_t passes); /* kj_osr_c_poll */

    kjit_error_hook hook;
    void *hook_user;
    /* kjit_set_transform, per tier (1, 2); read by compiles, set rarely */
    _Atomic(kjit_transform) transform[3];
    void *_Atomic transform_user[3];
    char *passes[3];              /* kjit_options.t1_passes, t2_passes (copies) */

    _Atomic uint64_t toplevel_seq; /* implementation names' numbers (KJ_IMPL_DIGITS) */
    _Atomic int interrupt;        /* kjit_interrupt: polled at every safepoint */
    _Atomic(kjit_trace_hook) trace; /* kjit_set_trace (kj_trace.c) */
    void *trace_user;
    uint64_t created_us;          /* event times count from here */

    struct {
        _Atomic uint64_t defined, ir_generated, compiled, compile_units, compile_us, stubs,
            compiled_t1, compiled_t2, t2_us, t2_queue_us, t2_failed, invalidated, redefined,
            reclaimed_bytes, toplevel_run, run_t0, llvm_setup_us, osr_compiled, osr_entries, t1_us, hosts,
            toplevel_us, runtime_errors, compile_errors, wait_us, compiled_ahead, ahead_us,
            ahead_failed, cache_hits, cache_misses, cache_stored, cache_hot, own_linked;
    } stats;
    /* The last KJ_LATENCIES function compile times (µs), for the median;
     * under lock. */
#define KJ_LATENCIES 1024
    uint32_t latency[KJ_LATENCIES];
    uint64_t nlatency;
};

/* Whether the mode runs T0 entries (tiered, interp). */
static inline int kj_uses_t0(const kjit *jit) {
    return jit->opts.mode == KJIT_MODE_TIERED || jit->opts.mode == KJIT_MODE_INTERP;
}

#endif
