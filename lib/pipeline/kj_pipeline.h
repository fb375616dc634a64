/*
 * kj_pipeline.h — the pipeline layer (lib/pipeline): the function table
 * (kj_fn.c), LLVM's set-up (kj_llvm.c), the names compiled code links
 * against (kj_link.c), one module to code (kj_compile.c), and the life of
 * compiled code to its reclamation at quiescence (kj_reclaim.c).  Calls only
 * lib/tools, lib/machine and lib/base; what it must run of the tiers above
 * (T1's counters, interrupt polls) it is handed (kj_unit.instrument,
 * kjit.polls).
 */
#ifndef KJ_PIPELINE_H
#define KJ_PIPELINE_H

#include <fenv.h>

#include "base/kj_types.h"

/* kj_fn.c: the function table (every name the JIT has heard of). */
kj_fn *kj_fn_find(kjit *jit, const char *name);          /* under lock */
kj_fn *kj_fn_lookup_or_add(kjit *jit, const char *name);  /* under lock; NULL on OOM */
/* Point fn's stub at target, and every GOT slot that mirrors it (kj_elf.c).
 * Caller holds lock (takes mirror_lock). */
void kj_fn_point(kj_fn *fn, void *target);
/* A slot that mirrors fn's stub from now on, for code `owner` (kj_elf.c);
 * its value is the stub's target now.  Caller holds mirror_lock.  -1 on
 * OOM. */
typedef struct kj_mirror {
    struct kj_mirror *next;
    _Atomic(void *) *slot;
    const void *owner;
} kj_mirror;
int kj_fn_mirror(kj_fn *fn, _Atomic(void *) *slot, const void *owner);
/* Forget owner's mirrors of fn (its code is freed).  Caller holds
 * mirror_lock. */
void kj_fn_unmirror(kj_fn *fn, const void *owner);
/* A unique implementation name for a compile of name. */
void kj_impl_name(kjit *jit, const char *name, char *buf, size_t len);
/* The source key of name's definition whose generator's data is user (if
 * that is still its definition): its IR is made from those bytes alone
 * (kj_fn.src_key).  Takes lock. */
void kj_fn_set_source_key(kjit *jit, const char *name, const void *user, const uint8_t key[32]);

/* kj_compile.c: the pipeline from a generated module to callable code. */
typedef struct kj_unit {
    LLVMContextRef ctx;      /* the unit's own (disposed with it), jit->ir_ctx, or ws's */
    struct kj_ws *ws;        /* the workspace it holds, if any (kj_unit_open_ws) */
    int shared_ctx;          /* ctx is jit->ir_ctx: not the unit's to dispose */
    LLVMModuleRef mod;
    const char *symbol;      /* the function to look up once linked */
    int opt_level;           /* 0..3: passes (and code generation, unless tm is set) */
    const char *passes;      /* the IR pass pipeline, if not opt_level's (or the
                                options' t1/t2_passes, which win) */
    LLVMTargetMachineRef tm; /* code generation; NULL: chosen by opt_level */
    /* If tm is a thread's own: its code generators, one per workspace
     * (KJ_WS_MAX), used when the unit holds one; NULL: none kept. */
    struct kj_wrap_emitter **emitters;
    int t1_full;             /* T1 (opt_level 0) with code generation at the -O level */
    int uncounted;           /* T1 without instrument's counters (kj_compile skips it) */
    /* The caller's instrumentation after the passes (T1's counters), with
     * its context; NULL: none. */
    void (*instrument)(void *ctx, LLVMModuleRef mod, const char *symbol);
    void *instrument_ctx;
    void *addr;              /* out: its address */
    LLVMOrcResourceTrackerRef rt; /* out: tracker owning the code */
    struct kj_elf *elf;      /* out: or the code kjit's own linker linked (kj_elf.c) */
    const char *tier;        /* for the perf map: "T1", "T2", "osr", "thunk"; NULL: "compiled" */
    struct kj_gdb_entry *gdb; /* out: its registration with gdb (the code's owner frees it) */
    uint64_t us;             /* out: time kj_compile took */
    size_t bytes;            /* out: size of the object file */
    uint8_t key[32];         /* out: its code cache key, if keyed */
    int keyed;               /* out: it had one (kj_objcache_key) */
    int cached;              /* out: its object came from the code cache */
    int want_binding;        /* record how its callees were bound (in binding) */
    const uint8_t *pre;      /* its pre-key (kj_objcache_prekey), if it has one: then
                                its key is of that, T1's level and the binding, not of
                                its IR (no bitcode to write) */
    int pre_missed;          /* the pre-key's entry was not there: nor is the
                                object, nor a hot mark (no lookups) */
    char *binding;           /* out: kj_link_binding's, if wanted (the caller frees) */
    size_t binding_len;
    int has_loop;            /* it has a loop (kept with a pre-keyed object) */
} kj_unit;

/* Create an empty module ready for a generator: in ctx if not NULL (shared,
 * not disposed with the unit), else in a context of its own. */
kjit_status kj_unit_open(kjit *jit, kj_unit *u, const char *module_name, LLVMContextRef ctx);
/* As kj_unit_open, in a workspace if one is free (else in a context of its
 * own): a long-lived context the calling thread holds until the unit is
 * discarded (kj_compile does).  A thread holds one workspace at most. */
kjit_status kj_unit_open_ws(kjit *jit, kj_unit *u, const char *module_name);
/* The same for a compile that can wait (T2): a workspace only if another
 * stays free for first calls, which the program waits for. */
kjit_status kj_unit_open_ws_spare(kjit *jit, kj_unit *u, const char *module_name);
/* The workspace the calling thread holds, if its context is ctx; else NULL.
 * (A generator's test: is the module it fills in a workspace?) */
struct kj_ws *kj_ws_held(LLVMContextRef ctx);
/* Dispose of mod, a module in workspace id's context: now if no thread
 * holds it, else when it is given back. */
void kj_ws_retire(kjit *jit, unsigned id, LLVMModuleRef mod);
/* At teardown: every workspace's context, after what was retired. */
void kj_ws_free_all(kjit *jit);
/* Call gen to fill the unit; counts ir_generated. */
kjit_status kj_unit_generate(kjit *jit, kj_unit *u, kjit_generator gen, void *user);
/* Verify, optimise, emit, link, look up.  Always disposes of u->mod (and
 * u->ctx unless shared).  Caller holds compile_lock. */
kjit_status kj_compile(kjit *jit, kj_unit *u);
/* Whether mod's generator marked it optimised, and nothing in it
 * unoptimised (kjit.h, KJIT_MD_OPTIMISED). */
int kj_unit_optimised(LLVMModuleRef mod);
/* kj_unit.passes for no IR pass at all (kj_compile then builds no pass
 * pipeline). */
#define KJ_NO_PASSES "no-op-module"
/* Named metadata of a unit whose IR depends on more than its source and
 * the names it binds (a weak reference made null because nothing defines
 * it: kj_module.c): not kept under a pre-key (kj_objcache.c), whose object
 * is used without making the IR again. */
#define KJ_MD_NO_PREKEY "kjit.no-prekey"
/* The unit's tier for transformations and pass pipelines: 1 (T1 and
 * untiered first compiles), 2 (T2, OSR), 0 (thunks). */
int kj_unit_tier(const kj_unit *u);
/* The IR pass pipeline kj_compile runs on u (in buf, or the options'). */
const char *kj_unit_passes(const kjit *jit, const kj_unit *u, char buf[32]);
/* What kj_compile does after code generation, for an object from the code
 * cache (taken): dispose of u's module, link, look up. */
kjit_status kj_compile_cached(kjit *jit, kj_unit *u, LLVMMemoryBufferRef obj);
/* The same for an object's bytes (not taken): linked by kjit's own linker
 * (kj_elf.c), or, if that linker does not link it, by ORC (LLVM loaded for
 * it). */
kjit_status kj_compile_cached_bytes(kjit *jit, kj_unit *u, const char *obj, size_t n);
/* u (not opened) from the code cache's entry under pre, made at T1's level
 * 0 (T2 bodies, a module's variables: kj_objcache_pre_get), if its callees
 * are bound as they were: KJIT_OK, counted a hit; else KJIT_EUNDEF, u as it
 * was. */
kjit_status kj_compile_pre(kjit *jit, kj_unit *u, const uint8_t pre[32]);
/* Put err's message, after `what: `, in the thread's error text; consumes
 * err and returns st. */
kjit_status kj_llvm_error(kjit_status st, const char *what, LLVMErrorRef err);
/* The last error ORC reported apart on this thread (a failed link's
 * reason), copied into out and cleared; whether there was one
 * (kj_llvm_error takes it). */
int kj_llvm_session_error_take(char *out, size_t len);
/* Free the code a ResourceTracker owns and release the tracker. */
#define KJ_DEAD_NAMES_CLEAR 256
void kj_rt_free(kjit *jit, LLVMOrcResourceTrackerRef rt);
/* Free a compile's code, linked by ORC (rt) or by kj_elf.c (elf); either
 * may be NULL. */
void kj_code_free_mem(kjit *jit, LLVMOrcResourceTrackerRef rt, struct kj_elf *elf);
/* The code record of a compiled unit (its tracker, size, gdb entry; what it
 * inlined, if deps), for `users` functions; NULL on OOM. */
kj_code *kj_code_new(const kj_unit *u, const kj_deps *deps, int users);
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
/* The names by which compiled code reaches the process, resolved at link
 * time (never addresses in the code, so an object may be cached):
 * jit->interrupt, jit->poll_fn, the jit, jit->hot_fn, and per function
 * (prefix + its name) its kj_fn's count and the kj_fn itself. */
/* The namespaces of callees in compiled code (kj_link_bind, kj_link_finish):
 * client functions and host functions, prefixes of the same length. */
#define KJ_NS "__kjit.f."
#define KJ_HOST_NS "__kjit.h."
#define KJ_NS_LEN (sizeof KJ_NS - 1)
#define KJ_LINK_INTERRUPT "__kjit.x.intr"
#define KJ_LINK_POLL "__kjit.x.poll"
#define KJ_LINK_JIT "__kjit.x.jit"
#define KJ_LINK_HOT "__kjit.x.hot"
#define KJ_LINK_OSR "__kjit.x.osr"
#define KJ_LINK_COUNT "__kjit.c."
#define KJ_LINK_FN "__kjit.n."
/* The module's declaration of one of those names (a function if ty is a
 * function type, else a global of type ty), added if absent. */
LLVMValueRef kj_link_extern(LLVMModuleRef mod, const char *name, LLVMTypeRef ty);
/* Same, for prefix + name; NULL on OOM. */
LLVMValueRef kj_link_extern_of(LLVMModuleRef mod, const char *prefix, const char *name,
                               LLVMTypeRef ty);
/* How mod's callees were bound (after kj_link_bind): "h" or "c" and the
 * name, NUL-terminated, one after another; malloc'd, NULL on OOM. */
char *kj_link_binding(LLVMModuleRef mod, size_t *len);
/* Whether they would be bound the same way now.  Takes lock. */
int kj_link_binding_holds(kjit *jit, const char *binding, size_t len);
/* Where a name no object defines resolves: a stub, a process symbol, what
 * compiled code reaches of kjit; NULL: nowhere.  *callable: code. */
void *kj_link_resolve(kjit *jit, const char *name, int *callable);
/* A program thread's state that kjit's work on that thread (a first call's
 * compile or load, a counter's report) must leave as it found it: errno,
 * the floating-point environment (kjit works in the default one), the
 * process's thread-locals LLVM changes there (libstdc++'s call_once
 * pointers, once a program reached them: kj_link.c); and cancellation is
 * disabled in between. */
#define KJ_LINK_KEPT 2
typedef struct kj_link_thread {
    int err, cancel;
    fenv_t fenv;
    void *kept[KJ_LINK_KEPT];
} kj_link_thread;
/* Whether a resolved "__emutls_v.NAME" is kjit's object for the process's
 * thread-local NAME; libgcc's __emutls_get_address, which an object that
 * reaches none of those calls directly (kj_elf.c: no compare on each
 * access), or NULL before any was resolved. */
int kj_link_host_tls(const void *obj);
void *kj_link_emutls_real(void);
void kj_link_thread_save(kj_link_thread *t);
void kj_link_thread_restore(const kj_link_thread *t);
/* Attach the definition generator that resolves names at link time. */
void kj_link_init(kjit *jit);

/* kj_objcache.c: compiled objects kept between runs (kjit_options.cache). */
/* Open the cache if the options ask for it; on failure the JIT runs without
 * it and the error text says why (not an error: returns KJIT_EINVAL only for
 * the caller to report). */
kjit_status kj_objcache_open(kjit *jit);
void kj_objcache_close(kjit *jit);
/* Wait for the entries queued for writing; later ones are written where
 * they are asked for (kjit_stop_tiering). */
void kj_objcache_flush(kjit *jit);
/* Around a fork (kj_jit.c): the writer's queue held; in the child, the
 * writer thread and its queue are the parent's. */
void kj_objcache_fork_prepare(kjit *jit);
void kj_objcache_fork_parent(kjit *jit);
void kj_objcache_fork_child(kjit *jit);
/* Keep the entries of the program whose first module is named name in one
 * bundle (kj_cache_bundle_open), unless KJIT_CACHE_BUNDLES=0 or one is
 * open; written at kj_objcache_flush. */
void kj_objcache_bundle(kjit *jit, const char *name);
/* The key of u's compile at `tier` (0 none, 1 T1, 2 T2) with pass pipeline
 * `passes`, after the client's transformation if `transformed`, taken on
 * the module as it is now: 1, or 0 when it is not to be cached (cache off or
 * failed, an OSR entry, a transformation without a key). */
int kj_objcache_key(kjit *jit, kj_unit *u, const char *passes, int transformed,
                    uint8_t key[32]);
/* Compiles without IR (kj_lazy.c first calls, kj_tier.c T2, kj_module.c a
 * module's variables): when a unit's IR is a function of its source key
 * (kj_fn.src_key: a module's bytes and the name), its object is kept under
 * the pre-key (the source key and everything else the key covers but T1's
 * code generation level), with what the IR became: whether it has a loop,
 * the T1 code generation level it was made at (0 -O0, 1 the -O level;
 * known: its bit), and how its callees were bound (kj_link_binding). */
typedef struct kj_objcache_index {
    int has_loop, known;
    uint8_t key[2][32]; /* the key kj_objcache_key gives it, at the known level */
    const char *binding; /* (in raw) */
    size_t binding_len;
    char *rest;          /* (in raw) the object entry's data */
    size_t rest_len;
    void *raw;           /* malloc'd: kj_objcache_index_free */
} kj_objcache_index;
/* A definition's source key (kj_fn.src_key): of src and the name. */
void kj_objcache_source_key(const void *src, size_t len, const char *name, uint8_t out[32]);
void kj_objcache_prekey(kjit *jit, const kj_unit *u, const uint8_t src_key[32], uint8_t out[32]);
/* LLVM's view of the target (setting up the backend): the machine key
 * every key covers, kept for later runs to know without LLVM. */
void kj_objcache_machine(kjit *jit, const char *triple, const char *cpu, const char *features,
                         const char *datalayout);
/* An entry of a front end's own (a module's plan), stored as the objects
 * are; and read back (malloc'd, NULL if absent or the cache is off). */
void kj_objcache_put_raw(kjit *jit, const uint8_t key[32], const void *data, size_t n);
void *kj_objcache_get_raw(kjit *jit, const uint8_t key[32], size_t *n);
/* The entry under pre: 1, and out to free with kj_objcache_index_free. */
int kj_objcache_index_get(kjit *jit, const uint8_t pre[32], kj_objcache_index *out);
void kj_objcache_index_free(kj_objcache_index *ix);
/* Its object made ready for u->symbol (the caller checked the binding), *n
 * bytes inside ix (no LLVM needed); NULL if it cannot be. */
char *kj_objcache_index_object(kjit *jit, const kj_unit *u, kj_objcache_index *ix, size_t *n);
/* kj_compile's side, for a unit with a pre-key and its binding: the object
 * under it if made at u's level with u's binding, or NULL; and u's object
 * (not taken) stored there: 0, or -1. */
LLVMMemoryBufferRef kj_objcache_pre_get(kjit *jit, const kj_unit *u);
int kj_objcache_pre_put(kjit *jit, const kj_unit *u, LLVMMemoryBufferRef obj);
/* The object stored under key, made ready for u->symbol; NULL on a miss. */
LLVMMemoryBufferRef kj_objcache_get(kjit *jit, const kj_unit *u, const uint8_t key[32]);
/* Store u's object (not taken) under key: 0, or -1 (a failure stops the
 * cache). */
int kj_objcache_put(kjit *jit, const kj_unit *u, const uint8_t key[32], LLVMMemoryBufferRef obj);
/* Stop the cache for the rest of the run, keeping why (the first time). */
void kj_objcache_failed(kjit *jit, const char *why);
/* Remember that the function of source key (or T1 key) `key` got hot:
 * its T2 body was installed (then kept in the cache too), or it was queued
 * for T2 when the run ended.  Whether it did in an earlier run: 2
 * installed, 1 queued, 0 neither. */
void kj_objcache_mark_hot(kjit *jit, const uint8_t key[32], int installed);
int kj_objcache_was_hot(kjit *jit, const uint8_t key[32]);

/* kj_elf.c: kjit's own linker, for the objects kj_compile makes and the code
 * cache keeps (a warm run need not load LLVM).  Links obj (not taken;
 * 8-byte aligned) into an arena, or memory of its own, and looks up symbol
 * (NULL: a data object, whose names objects linked after it find): 1, *out
 * (kj_elf_free) and *addr; 0, not an object it links (ORC links it: not an
 * error); -1, an error (set).  The functions perf and gdb are told of in
 * perf and perf_addr (if not NULL). */
typedef struct kj_elf kj_elf;
struct kj_perf_syms;
int kj_elf_link(kjit *jit, const char *obj, size_t size, const char *symbol, kj_elf **out,
                void **addr, struct kj_perf_syms *perf, uint64_t *perf_addr);
void kj_elf_free(kjit *jit, kj_elf *e);
/* A data object's symbol linked so far, or NULL.  Takes lock. */
void *kj_elf_find(kjit *jit, const char *name);
/* Each of them (caller holds jit->lock): LLVM's set-up defines them. */
void kj_elf_each(kjit *jit, void (*fn)(kjit *jit, const char *name, void *addr));
void kj_elf_syms_free(kjit *jit);
/* At teardown, after every object is freed: the arenas objects were in. */
void kj_elf_arenas_free(kjit *jit);
/* In a forked child (kj_tier_fork_child): new code in arenas of its own. */
void kj_elf_fork_child(kjit *jit);

/* kj_llvm.c: LLVM loaded and the backend set up at the first compile. */
/* Make sure LLVM is loaded and this JIT's backend (LLJIT, target machines)
 * set up; every compile calls it first.  Takes llvm_lock (and lock). */
kjit_status kj_llvm_ready(kjit *jit);
/* Define a new global in the JITDylib if the backend is up (else setting it
 * up will).  Caller holds lock. */
kjit_status kj_llvm_define_global(kjit *jit, kj_global *g);
void kj_llvm_teardown(kjit *jit);
/* A symbol kj_elf.c linked, defined in the JITDylib if the backend is up
 * (else setting it up will).  Caller holds lock. */
void kj_llvm_define_own(kjit *jit, const char *name, void *addr);
/* What the JITDylib (ORC's objects, then kj_link.c's resolution) says a
 * name is, if the backend is up; else NULL. */
void *kj_llvm_lookup(kjit *jit, const char *name);
/* Whether the LLVM loaded keeps no static destructors (libkjit-llvm.so): then
 * exit() may run while a compile is in flight on another thread. */
int kj_llvm_exit_safe(void);
/* A new LLVM context whose diagnostics never print (an error's text
 * becomes the thread's error message). */
LLVMContextRef kj_llvm_context(void);
/* Whether LLVM accepts a pass pipeline (loads LLVM). */
kjit_status kj_llvm_check_passes(const char *passes);
/* A new target machine at code generation level 0..3, for one compiler
 * thread (they are not thread-safe); NULL on failure. */
LLVMTargetMachineRef kj_llvm_machine(kjit *jit, int level);

/* kj_reclaim.c: freeing code at quiescence (all under lock unless noted) */
void kj_reclaim_retire(kjit *jit, kj_code *c);
int kj_reclaim_enter(kjit *jit);   /* takes lock */
void kj_reclaim_leave(kjit *jit);  /* takes lock */
void kj_reclaim_free_all(kjit *jit);
/* Free retired c now; count: free its code and count it as reclaimed (else
 * the JIT is being destroyed).  Releases a T0 definition's user data. */
void kj_reclaim_free(kjit *jit, kj_code *c, int count);

/* A function stops using code c; the last user retires it (under lock). */
void kj_code_drop(kjit *jit, kj_code *c);

#endif
