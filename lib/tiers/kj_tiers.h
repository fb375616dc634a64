/*
 * kj_tiers.h — the tiers layer (lib/tiers): a function's first call
 * (kj_lazy.c), T0 (kj_t0.c), T1's counters and the T2 queue and threads
 * (kj_tier.c), on-stack replacement (kj_osr.c), and the code on every entry
 * and back-edge (kj_safepoint.c).  Calls only the layers below.
 */
#ifndef KJ_TIERS_H
#define KJ_TIERS_H

#include "base/kj_types.h"
#include "machine/kj_arch.h"
#include "pipeline/kj_pipeline.h" /* kj_unit */

/* A compiler thread's own target machines for first compiles: -O0 and the
 * -O level (NULL where the JIT's, under compile_lock, are meant). */
typedef struct kj_machines {
    LLVMTargetMachineRef fast, full;
    /* Their code generators, one per workspace (KJ_WS_MAX; kj_unit.emitters),
     * or NULL; the owner frees them before the machines. */
    struct kj_wrap_emitter **emit_fast, **emit_full;
} kj_machines;

/* The machines of tms made (LLVM loaded for them) if they are not yet:
 * KJIT_OK, or why not.  The ahead thread makes them at its first compile
 * that the code cache cannot give. */
kjit_status kj_machines_ready(kjit *jit, kj_machines *tms);

/* kj_lazy.c */
/* Bring fn to a callable state (compile, bind to host, ...) and return the
 * address its stub should reach.  Caller holds compile_lock, not lock. */
kjit_status kj_materialize(kjit *jit, kj_fn *fn, int compile, void **target);
/* A redefinition's body made before it is installed (a reload, so that no
 * program thread compiles it): gen's IR for fn, compiled as fn's first call
 * would compile it, into u (symbol sym, 256 bytes).  The caller installs
 * u->addr (kj_code_new) or frees it.  Caller holds compile_lock. */
kjit_status kj_lazy_precompile(kjit *jit, kj_fn *fn, kjit_generator gen, void *user, kj_unit *u,
                               char *sym);
/* The unit of fn's first compile, generated (gen's IR) and set up as its
 * first call compiles it, with the target machines tms (NULL: the JIT's);
 * not compiled.  u is discarded on error. */
kjit_status kj_lazy_first_unit(kjit *jit, kj_fn *fn, kjit_generator gen, void *user, kj_unit *u,
                               char *sym, const kj_machines *tms);
/* The ahead thread's first compile of fn, made as its first call makes it
 * (kj_materialize), installing nothing: from the code cache without IR if
 * an earlier run left what that needs (then u->cached: added already),
 * else u with gen's IR, set up as kj_lazy_first_unit sets it up, for the
 * caller to compile.  pre (32 bytes) must live until that compile (its
 * pre-key: u->pre).  u is discarded on error. */
kjit_status kj_lazy_ahead_unit(kjit *jit, kj_fn *fn, kjit_generator gen, void *user, kj_unit *u,
                               char *sym, kj_machines *tms, uint8_t pre[32]);
/* After that compile succeeded (its object kept under its pre-key for the
 * next run's first_from_cache): whether fn got hot in an earlier run (1:
 * the caller takes it to T2 once installed). */
int kj_lazy_ahead_done(kjit *jit, kj_fn *fn, kj_unit *u);
/* Point fn at its first code (a unit compiled as by kj_lazy_first_unit) at
 * addr; first: the unit's own function, whose size is traced.  Under lock. */
void kj_lazy_installed(kjit *jit, kj_fn *fn, kj_code *code, const kj_unit *u, void *addr,
                       int first);
uint64_t kj_lazy_thread_wait_us(void); /* kjit_thread_wait_us */
/* Whether the code cache holds fn's T1 object at -O0 (a first compile an
 * earlier run made, which T2 would improve on): kjit_cache_finish. */
int kj_lazy_t1_cached(kjit *jit, kj_fn *fn);
/* The target of a call through fn's stub that found no code: compile, bind
 * a host, or raise a run-time error (returning kj_arch_fail_address() when
 * the raise returns).  NULL: fn runs at T0.  Takes compile_lock. */
void *kj_resolve(kj_fn *fn);
/* The trampoline's resolver (kj_stub_set_resolver): the T0 entry, or the
 * target of kj_resolve. */
void *kj_lazy_resolve(void **slot, kj_arch_frame *frame);
/* kjit_prepare: code now, on this thread, for the function whose stub
 * entry is addr and every JIT function its code names, transitively.
 * KJIT_OK when addr is no JIT function's.  Takes compile_lock. */
kjit_status kj_lazy_prepare(kjit *jit, void *addr);

/* kj_ahead.c: compiling ahead of the program (kjit_options.ahead). */
/* Queue the functions mod calls (declared in it) that wait for a first
 * compile, in the order of the calls, at the front of the queue, those
 * queued already further back moved up with them.  Starts the thread at
 * the first.  Takes lock. */
void kj_ahead_callees(kjit *jit, LLVMModuleRef mod);
/* While the ahead thread compiles fn, wait for it (caller holds lock). */
void kj_ahead_wait(kjit *jit, kj_fn *fn);
/* Drop the queue and end the thread (after the compile it is in). */
void kj_ahead_stop(kjit *jit);

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
    /* tm's code generators, one per workspace (kj_unit.emitters): freed
     * before it (kj_tier.c, worker_machine_free). */
    struct kj_wrap_emitter *emit[KJ_WS_MAX];
    kj_fn *current;          /* under lock */
    kj_fn *compiling;        /* its whole-function T2 compile, under lock: marked
                                queued at exit too (kj_tier.c, mark_queued) */
} kj_worker;

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
/* C frames, T1 to T2 (kj_wrap.cpp makes the code): whether it is on
 * (KJIT_OSR_C: 1 on, 2 points that never move, 0 off); the most live
 * values a point of fn's T1 code may pass; what T1 code calls at a point
 * (KJ_LINK_OSR): the continuation to call, or NULL. */
int kj_osr_c_on(void);
unsigned kj_osr_c_max_live(const kj_fn *fn);
void *kj_osr_c_poll(kj_fn *fn, int32_t point, uint32_t sig, int32_t passes);

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

/* kj_tier.c */
/* Queue an OSR job (under lock); starts the thread on first use. */
void kj_tier_enqueue_osr(kjit *jit, kj_osr_job *job);
/* add_inline_bodies for OSR modules (caller holds def_lock). */
void kj_tier_inline_bodies(kjit *jit, LLVMModuleRef mod, kj_deps *deps);
/* T1's counters in fn's body (a kj_unit's instrument, ctx the kj_fn). */
void kj_tier_instrument(void *fn, LLVMModuleRef mod, const char *symbol);
void kj_tier_hot(kj_fn *fn);
/* In mod, fn's calls of itself (name) go to its body (impl) directly, not
 * through its stub: T2 bodies, and T1 bodies that are final (uncounted). */
void kj_tier_call_self(LLVMModuleRef mod, const char *name, const char *impl);
/* kjit_recompile at T2: compile fn on this thread now (waiting for a
 * compiler thread that has it), install it, retire its old T2 body.  0 if
 * installed; else -1 with the error set, and fn as it was.  same: its
 * source is the one it was compiled from (a hot start): no T2 body that
 * inlined it needs to go back to T1. */
int kj_tier_compile_now(kjit *jit, kj_fn *fn, int same);
/* A first call of a function an earlier run made hot, whose T2 body the
 * code cache holds: that body, linked and installed at once, and no T1
 * body (kj_materialize; fn is KJ_COMPILING, compile_lock held).  0 and
 * *target; -1 if the cache does not give it (nothing was done). */
int kj_tier_first_t2(kjit *jit, kj_fn *fn, void **target);
/* A function defined with a source key that got hot in an earlier run (the
 * code cache's mark): compile it at T2 now, on this thread, from T0 or its
 * stub.  Counts cache_hot. */
void kj_tier_start_hot(kjit *jit, const char *name);
void kj_tier_enqueue(kjit *jit, kj_fn *fn);        /* under lock */
/* Start the first compiler thread now, from a compile of counting code
 * (not from the program's thread that will find its function hot). */
void kj_tier_prestart(kjit *jit);
void kj_tier_drain(kjit *jit);
/* Around a fork (pthread_atfork, kj_jit.c): prepare waits until no
 * program thread is inside a kjit call that compiles or defines (and keeps
 * others out), then until the compiler threads are between jobs, keeps
 * them there and holds lock; parent lets them go on; child forgets them
 * (they are not in the child).  Both release lock. */
void kj_tier_fork_prepare(kjit *jit);
void kj_tier_fork_parent(kjit *jit);
void kj_tier_fork_child(kjit *jit);
/* A program thread enters and leaves a region that takes compile_lock or
 * def_lock (first calls, definitions, recompiles, modules): a fork waits
 * until none is inside.  Nests; takes lock (never hold it here). */
void kj_tier_enter(kjit *jit);
void kj_tier_leave(kjit *jit);
void kj_tier_stop(kjit *jit);
/* As kj_tier_stop, without waiting for the compiler threads: a compile in
 * flight goes on to its end and is thrown away (the process is exiting). */
void kj_tier_abandon(kjit *jit);
void kj_tier_invalidate(kjit *jit, kj_fn *g);      /* under lock */

/* Whether every function deps recorded still has the version it saw
 * (caller holds lock): compiled code that inlined them may be installed. */
int kj_deps_current(const kj_deps *deps);

#endif
