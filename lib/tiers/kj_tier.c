/*
 * kj_tier.c — tiered compilation: T1 counters, the hot queue, the
 * background T2 compiler, and invalidation of T2 code that inlined a
 * function since redefined.
 *
 * A function with a T0 entry (kj_t0.c) counts at T0 instead and goes from
 * there straight to T2: it never waits for a T1 compile.
 *
 * T1 is the first-call compile in tiered mode of functions without one: mem2reg and -O0 code
 * generation, plus a counter (kj_fn.count) bumped on entry and on every loop
 * back-edge.  When the counter reaches the threshold, T1 code calls
 * kj_tier_hot once; the function is queued and the program goes on in T1.
 * One background thread compiles queued functions at T2 — LLVM's O2/O3
 * pipeline for the host CPU, with the IR of the functions it calls added as
 * available_externally bodies so the inliner can use them — and, if nothing
 * it depended on was redefined meanwhile, repoints the stub with one atomic
 * store.  T2 code carries no counters.  A failed T2 compile leaves the
 * function at T1; it is counted, never fatal.
 *
 * While the program is busy with first calls (a first-call compile ended
 * less than KJ_T2_DELAY_US ago), whole-function T2 compiles wait: they
 * would take a core from those compiles, which the program is waiting for,
 * and a program that is still starting up may end before T2 code pays for
 * itself (.NET's tiered compilation delays its tier-1 call counting the
 * same way, by 100 ms; 25 ms here: docs/DESIGN.md).  OSR entries and
 * --tier-sync do not wait.
 *
 * Locks: the T2 thread holds def_lock (read) only while it calls generators,
 * so no definition it reads can be released under it; jit->lock briefly to
 * read and install.  It never takes compile_lock, so first-call compiles on
 * the program's threads never wait for a T2 compile.
 *
 * Layer tiers (lib/LAYERS): calls only the pipeline and the layers below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llvm-c/Core.h>

#include "base/kj_base.h"
#include "base/kj_wrap.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"
#include "tiers/kj_tiers.h"

/* ---- T1 instrumentation ---------------------------------------------------- */

typedef struct counter {
    LLVMTypeRef i64, ptr, hot_ty;
    LLVMValueRef counter, hot, arg;
    int64_t threshold;
} counter;

/* At the builder's position: count; if the count just reached the
 * threshold, call the hot hook; then continue to `next`. */
static void count_then(void *ctx, LLVMBuilderRef b, LLVMValueRef fn, LLVMBasicBlockRef next) {
    counter *in = ctx;
    LLVMContextRef c = LLVMGetTypeContext(LLVMTypeOf(fn));
    LLVMValueRef n = LLVMBuildLoad2(b, in->i64, in->counter, "kj.count");
    LLVMValueRef n1 = LLVMBuildAdd(b, n, LLVMConstInt(in->i64, 1, 0), "kj.count1");
    LLVMBuildStore(b, n1, in->counter);
    LLVMValueRef hot =
        LLVMBuildICmp(b, LLVMIntEQ, n1, LLVMConstInt(in->i64, (uint64_t)in->threshold, 1), "kj.hot");
    LLVMBasicBlockRef call = LLVMAppendBasicBlockInContext(c, fn, "kj.call");
    LLVMBuildCondBr(b, hot, call, next);
    LLVMPositionBuilderAtEnd(b, call);
    LLVMBuildCall2(b, in->hot_ty, in->hot, &in->arg, 1, "");
    LLVMBuildBr(b, next);
}

/* T1's counters: on the entry and every back-edge (kj_safepoint.c). */
void kj_tier_instrument(void *ctx, LLVMModuleRef mod, const char *symbol) {
    kj_fn *fn = ctx;
    kjit *jit = fn->jit;
    LLVMValueRef f = LLVMGetNamedFunction(mod, symbol);
    if (!f || LLVMIsDeclaration(f)) return;
    LLVMContextRef c = LLVMGetModuleContext(mod);
    /* OSR points first, on the IR T2 will have (kj_osr.c): optimised IR,
     * whose T1 and T2 run no pass. */
    if (kj_osr_c_on() && !fn->osr_c_off && kj_unit_optimised(mod)) {
        LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0), i32 = LLVMInt32TypeInContext(c);
        LLVMTypeRef params[4] = {ptr, i32, i32, i32};
        LLVMValueRef poll = kj_link_extern(mod, KJ_LINK_OSR, LLVMFunctionType(ptr, params, 4, 0));
        LLVMValueRef rec = kj_link_extern_of(mod, KJ_LINK_FN, fn->name, LLVMInt64TypeInContext(c));
        if (poll && rec) kj_wrap_osr_instrument(f, poll, rec, kj_osr_c_max_live(fn));
    }
    /* A C program's main is entered once: a T2 body of it would never run,
     * so its loops count nothing (a long activation of it asks for its OSR
     * point's continuation instead). */
    if (strcmp(fn->name, "main") == 0) return;
    counter in = {.threshold = jit->opts.hot_threshold};
    in.i64 = LLVMInt64TypeInContext(c);
    in.ptr = LLVMPointerTypeInContext(c, 0);
    in.hot_ty = LLVMFunctionType(LLVMVoidTypeInContext(c), &in.ptr, 1, 0);
    /* Names, not addresses, so the object can be cached (kj_link.c resolves
     * them to fn->count, jit->hot_fn and fn). */
    in.counter = kj_link_extern_of(mod, KJ_LINK_COUNT, fn->name, in.i64);
    in.hot = kj_link_extern(mod, KJ_LINK_HOT, in.hot_ty);
    in.arg = kj_link_extern_of(mod, KJ_LINK_FN, fn->name, in.i64);
    if (!in.counter || !in.arg) return; /* out of memory: no counter */
    kj_safepoint_edges(f, count_then, &in);
}

/* ---- the queue and the T2 thread ------------------------------------------ */

static void *t2_main(void *arg);

/* Queue fn for T2 (caller holds jit->lock).  Starts the thread on first use. */
/* From T1, or from T0 (tier 0 with a T0 entry and something to compile). */
static int at_t1_or_t0(const kj_fn *fn) {
    return fn->tier == 1 ||
           (fn->tier == 0 && fn->state == KJ_STUB && fn->gen && atomic_load(&fn->t0));
}

/* After a job was queued (under lock): start another compiler thread while
 * queued jobs outnumber the idle threads and a core is free.  0 if some
 * thread will take the job. */
static int start_thread(kjit *jit) {
    if (jit->nworkers > 0 &&
        (jit->pending <= jit->nworkers - jit->busy || jit->nworkers == jit->max_workers))
        return 0;
    kj_worker *w = calloc(1, sizeof *w);
    if (!w) return jit->nworkers > 0 ? 0 : -1;
    w->jit = jit;
    if (kj_thread_start(&w->thread, t2_main, w) != 0) {
        free(w);
        return jit->nworkers > 0 ? 0 : -1;
    }
    jit->workers[jit->nworkers++] = w;
    return 0;
}

/* The first compiler thread is started by a compile of counting code
 * (kj_tier_prestart), later ones by the compiler threads themselves: not
 * by the program's thread whose counter found its function hot, which
 * would pay a thread's creation (0.3-0.5 ms, a third of an audio callback's
 * period) in the middle of its work.  Only a job queued before any compile
 * of counting code (a T0 function) starts the first thread itself. */
void kj_tier_prestart(kjit *jit) {
    if (jit->opts.mode != KJIT_MODE_TIERED || atomic_exchange(&jit->t2_prestarted, 1)) return;
    pthread_mutex_lock(&jit->lock);
    if (!jit->nworkers && !jit->t2_stop) (void)start_thread(jit);
    pthread_mutex_unlock(&jit->lock);
}

/* A T2 compile's expected length (µs) from its T1 object's size: about a
 * microsecond a byte at x86-64's -O0, more for large functions (Lua's
 * T2 compiles: 0.5-1.7 µs a byte under 17 KB, 2.35 for luaV_execute's 90
 * KB). */
static uint64_t t2_guess(size_t bytes) {
    return (uint64_t)bytes + (uint64_t)bytes / 256 * bytes / 312;
}

/* Where a function of this run's goes in the queue: when it got hot plus
 * its compile's expected length (kj_tier_enqueue). */
static uint64_t queue_key(const kj_fn *fn) { return fn->queued_at + t2_guess(fn->queue_bytes); }

void kj_tier_enqueue(kjit *jit, kj_fn *fn) {
    if (fn->queued || !at_t1_or_t0(fn) || jit->t2_stop) return;
    jit->pending++;
    if (!jit->nworkers && start_thread(jit) != 0) {
        /* No thread: nothing can be optimised; stay where it is. */
        jit->pending--;
        atomic_fetch_add(&jit->stats.t2_failed, 1);
        return;
    }
    fn->queued = 1;
    fn->queued_at = kj_now_us();
    kj_trace(jit, KJIT_EV_QUEUED, fn->name, NULL, 0, 0, 0, NULL);
    /* What got hot in this run first, in the order of when it got hot plus
     * how long its compile is expected to take (queue_key); then what an
     * earlier run marked (hot_queued), smallest first: a short run finishes
     * more of them (the SQL engine's 2.4-second sqlite3VdbeExec, queued
     * first, kept every other from being made, run after run).  A long
     * compile yields to what gets hot while it would run, which it would
     * delay by all of its length: Lua's luaV_execute (0.2 s at T2; its one
     * activation runs the script, and cannot move) kept the sort's
     * functions at T1 until the end of fib.lua. */
    fn->queue_late = fn->hot_queued;
    fn->queue_bytes = fn->code ? fn->code->bytes : 0;
    kj_fn **at = &jit->qhead;
    while (*at && (fn->queue_late ? !(*at)->queue_late || (*at)->queue_bytes <= fn->queue_bytes
                                  : !(*at)->queue_late && queue_key(*at) <= queue_key(fn)))
        at = &(*at)->queue_next;
    fn->queue_next = *at;
    *at = fn;
    if (!fn->queue_next) jit->qtail = fn;
    pthread_cond_signal(&jit->t2_wake);
}

void kj_tier_enqueue_osr(kjit *jit, kj_osr_job *job) {
    jit->pending++;
    if (jit->t2_stop || (!jit->nworkers && start_thread(jit) != 0)) {
        jit->pending--;
        free(job);
        return;
    }
    job->next = NULL;
    if (jit->osr_tail)
        jit->osr_tail->next = job;
    else
        jit->osr_head = job;
    jit->osr_tail = job;
    pthread_cond_signal(&jit->t2_wake);
}

/* Called by T1 code when its counter reaches the threshold. */
void kj_tier_hot(kj_fn *fn) {
    kjit *jit = fn->jit;
    kj_link_thread saved; /* (errno and such, as the program left them) */
    kj_link_thread_save(&saved);
    /* (a handler's first call, on this thread, would wait for lock; the
     * section is short: all blocked, no dispositions asked) */
    sigset_t mask;
    kj_signals_block(&mask);
    pthread_mutex_lock(&jit->lock);
    kj_tier_enqueue(jit, fn);
    pthread_mutex_unlock(&jit->lock);
    /* (--tier-sync waits here for the T2 compile: a handler's own hot
     * report would wait on the same condition, so they wait too) */
    if (jit->opts.t2_sync) kj_tier_drain(jit);
    kj_signals_restore(&mask);
    kj_link_thread_restore(&saved);
}

/* Give the function's callees available_externally bodies in mod, so the
 * inliner can see them (calls that stay still go through their stubs).
 * Records each callee and its version in deps.  Caller holds def_lock. */
void kj_tier_inline_bodies(kjit *jit, LLVMModuleRef mod, kj_deps *deps) {
    for (int round = 0; round < 2; round++) {
        for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
            if (!LLVMIsDeclaration(f) || LLVMGetIntrinsicID(f) != 0) continue;
            if (deps->n == KJ_MAX_DEPS) return;
            size_t len;
            const char *name = LLVMGetValueName2(f, &len);
            pthread_mutex_lock(&jit->lock);
            kj_fn *c = kj_fn_find(jit, name);
            kjit_generator gen = c && c->state != KJ_HOST ? c->gen : NULL;
            void *user = c ? c->user : NULL;
            uint64_t ver = c ? c->version : 0;
            pthread_mutex_unlock(&jit->lock);
            if (!gen) continue;
            char err[KJ_ERRMSG_SIZE];
            if (gen(user, mod, name, err, sizeof err) != 0) continue;
            LLVMValueRef body = LLVMGetNamedFunction(mod, name);
            if (!body || LLVMIsDeclaration(body)) continue;
            LLVMSetLinkage(body, LLVMAvailableExternallyLinkage);
            deps->fn[deps->n] = c;
            deps->ver[deps->n++] = ver;
        }
    }
}

int kj_deps_current(const kj_deps *deps) {
    for (int i = 0; i < deps->n; i++)
        if (deps->fn[i]->version != deps->ver[i]) return 0;
    return 1;
}

/* In a T2 body, calls of the function itself go straight to this body
 * instead of through the stub: recursion costs what it costs in C.  The
 * price: a recursion already running when the function is redefined
 * finishes in this body (new calls, from anywhere, reach the new one). */
void kj_tier_call_self(LLVMModuleRef mod, const char *name, const char *impl) {
    LLVMValueRef self = LLVMGetNamedFunction(mod, name);
    LLVMValueRef body = LLVMGetNamedFunction(mod, impl);
    if (!self || !body || !LLVMIsDeclaration(self) ||
        LLVMGlobalGetValueType(self) != LLVMGlobalGetValueType(body))
        return;
    /* Calls only: the function's address, where it is taken, stays its
     * stub (C compares function pointers). */
    for (;;) {
        LLVMValueRef call = NULL;
        for (LLVMUseRef u = LLVMGetFirstUse(self); u && !call; u = LLVMGetNextUse(u)) {
            LLVMValueRef user = LLVMGetUser(u);
            if (LLVMIsACallInst(user) && LLVMGetCalledValue(user) == self) call = user;
        }
        if (!call) break;
        /* The callee is a call's last operand. */
        LLVMSetOperand(call, (unsigned)LLVMGetNumOperands(call) - 1, body);
    }
    if (!LLVMGetFirstUse(self)) LLVMDeleteFunction(self);
}

/* T2 from the code cache without making IR (kj_compile_pre), as
 * first_from_cache does for T1 (kj_lazy.c): fn's source key and T2's
 * configuration make a pre-key, whose entry holds the object and how its
 * callees were bound.  Only T2 bodies that depend on nothing but their own
 * source are kept there: those of IR its generator marked optimised (no
 * callee bodies inlined; kj_compile keeps them, kj_objcache_pre_put).  pre
 * is taken if fn has a source key and nothing transforms T2's IR; 1 then.
 * Caller holds def_lock (read). */
static int t2_prekey(kjit *jit, kj_fn *fn, kj_unit *u, uint8_t pre[32]) {
    pthread_mutex_lock(&jit->lock);
    int keyed = fn->src_keyed;
    uint8_t src[32];
    memcpy(src, fn->src_key, sizeof src);
    pthread_mutex_unlock(&jit->lock);
    if (!keyed || !jit->cache || atomic_load(&jit->transform[2])) return 0;
    kj_objcache_prekey(jit, u, src, pre);
    return 1;
}

static void ready(kjit *jit, kj_worker *w);

/* w's code generators, then its target machine. */
static void worker_machine_free(kj_worker *w) {
    for (unsigned i = 0; i < KJ_WS_MAX; i++) kj_wrap_emitter_free(w->emit[i]);
    if (w->tm) LLVMDisposeTargetMachine(w->tm);
}

/* Install code, u's T2 body, as fn's (caller holds lock); waited: how long
 * it was queued (µs).  From T0 or its stub, invalidation goes back there. */
static void install_t2(kjit *jit, kj_fn *fn, kj_code *code, const kj_unit *u, uint64_t waited) {
    kj_code_drop(jit, fn->t2); /* (a recompile's: retired at quiescence) */
    fn->t2 = code;
    if (fn->tier == 0) {
        fn->state = KJ_COMPILED;
        fn->t1_addr = fn->stub.lazy;
    }
    fn->tier = 2;
    fn->invalidated = 0;
    kj_fn_point(fn, u->addr);
    atomic_fetch_add(&jit->stats.compiled_t2, 1);
    kj_trace(jit, KJIT_EV_COMPILED, fn->name, "T2", kj_now_us() - u->us, u->us, u->bytes, NULL);
    kj_trace(jit, KJIT_EV_INSTALLED, fn->name, "T2", 0, 0, 0, NULL);
    atomic_fetch_add(&jit->stats.t2_us, u->us);
    atomic_fetch_add(&jit->stats.t2_queue_us, waited);
}

/* One T2 compile of fn; `again` (kjit_recompile): from T2 too, replacing
 * the T2 body it has, and sending back to T1 what inlined it (again 2: a
 * hot start, whose source is unchanged: not).  0 if a body was installed. */
static int t2_compile(kjit *jit, kj_worker *w, kj_fn *fn, int again) {
    pthread_rwlock_rdlock(&jit->def_lock);
    pthread_mutex_lock(&jit->lock);
    int ok = again ? fn->tier >= 1 && fn->gen : at_t1_or_t0(fn);
    int from = fn->tier;
    kjit_generator gen = fn->gen;
    void *user = fn->user;
    uint64_t version = fn->version;
    uint64_t queued_at = fn->queued_at;
    pthread_mutex_unlock(&jit->lock);

    kj_deps deps = {0};
    char sym[256];
    kj_unit u = {.symbol = sym, .tm = w->tm, .opt_level = jit->t2_level, .tier = "T2"};
    kjit_status r = KJIT_ECOMPILE;
    uint8_t pre[32];
    int indexed = 0, cached = 0, skip = 0;
    if (ok) {
        kj_impl_name(jit, fn->name, sym, sizeof sym);
        indexed = t2_prekey(jit, fn, &u, pre);
        cached = indexed && kj_compile_pre(jit, &u, pre) == KJIT_OK;
    }
    /* Not in the cache: LLVM (loaded now if it was not: a warm run's
     * hot start links its T2 bodies without it) and a target machine. */
    if (ok && !cached) ready(jit, w);
    if (ok && !cached && !w->tm) ok = 0; /* LLVM could not be set up: failed */
    u.tm = w->tm;
    u.emitters = w->emit;
    if (ok && !cached) {
        /* In a workspace, if one stays free for first calls: the module
         * front end copies the body out of its sources there, with no
         * bitcode read, and the thread's code generator for that
         * workspace is built once. */
        r = kj_unit_open_ws_spare(jit, &u, fn->name);
        if (r == KJIT_OK) r = kj_unit_generate(jit, &u, gen, user);
        if (r == KJIT_OK) kj_tier_call_self(u.mod, fn->name, sym);
        /* IR its generator says is optimised already (kjit.h,
         * KJIT_MD_OPTIMISED): code generation at T2's level only, as lli
         * does; LLVM's passes again would cost what they did the first
         * time and find little to do.  Such a body depends on its source
         * alone: keyed by its pre-key, and indexed. */
        if (r == KJIT_OK && kj_unit_optimised(u.mod)) {
            u.passes = KJ_NO_PASSES;
            if (indexed) u.pre = pre;
        } else if (r == KJIT_OK && jit->finish_pre_only) {
            /* kjit_cache_finish, for a function no run queued: a T2 body
             * with its callees' bodies inlined is kept under its IR's key,
             * which the next run would make IR and load LLVM to find (the
             * hot start of 427 functions made Lua's sources run 1.2x
             * slower than without the finishing): not made. */
            jit->finish_skipped++, skip = 1;
            r = kj_set_error(KJIT_EUNDEF, "not optimised IR: left at T1");
        } else if (r == KJIT_OK) {
            kj_tier_inline_bodies(jit, u.mod, &deps);
        }
    }
    pthread_rwlock_unlock(&jit->def_lock);
    if (cached)
        r = KJIT_OK;
    else if (r == KJIT_OK)
        r = kj_compile(jit, &u);
    else
        kj_unit_discard(&u);
    free(u.binding);
    u.binding = NULL;

    pthread_mutex_lock(&jit->lock);
    fn->queued = 0;
    /* Install only if fn and everything it inlined are as they were. */
    int current = r == KJIT_OK && fn->tier == from && (again || at_t1_or_t0(fn)) &&
                  fn->version == version && kj_deps_current(&deps);
    kj_code *code = current ? kj_code_new(&u, &deps, 1) : NULL;
    if (code) {
        install_t2(jit, fn, code, &u, kj_now_us() - queued_at); /* (fn->tier == from) */
    } else if (r != KJIT_OK && !skip) {
        atomic_fetch_add(&jit->stats.t2_failed, 1);
    }
    if (code && again == 1) kj_tier_invalidate(jit, fn); /* what inlined the old body */
    /* The code cache remembers it got hot, for the next run (kj_lazy.c). */
    uint8_t key[32];
    int mark = code && (fn->src_keyed || fn->t1_keyed) && !fn->hot_marked;
    if (mark) {
        memcpy(key, fn->src_keyed ? fn->src_key : fn->t1_key, sizeof key);
        fn->hot_marked = 1;
    }
    pthread_mutex_unlock(&jit->lock);
    if (mark) kj_objcache_mark_hot(jit, key, 1);
    if (!code && (u.rt || u.elf)) { /* never reachable from a stub: free at once */
        kj_code_free_mem(jit, u.rt, u.elf);
        kj_gdb_unregister(u.gdb);
    }
    if (!code && r == KJIT_OK) kj_set_error(KJIT_ECOMPILE, "'%s' changed while it was compiled", fn->name);
    return code ? 0 : -1;
}

void kj_tier_start_hot(kjit *jit, const char *name) {
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_find(jit, name);
    if (fn) fn->hot_marked = 1; /* (marked so already: its T2 install need not again) */
    int from_t0 = fn && at_t1_or_t0(fn) && !fn->queued;
    if (from_t0) {
        fn->queued = 1; /* (keeps the compiler threads off it) */
        fn->queued_at = kj_now_us();
    }
    pthread_mutex_unlock(&jit->lock);
    if (!from_t0) return;
    kj_worker w = {.jit = jit}; /* (LLVM and its machine if the cache has no T2 body) */
    if (t2_compile(jit, &w, fn, 0) == 0) atomic_fetch_add(&jit->stats.cache_hot, 1);
    worker_machine_free(&w);
}

int kj_tier_first_t2(kjit *jit, kj_fn *fn, void **target) {
    char sym[256];
    kj_unit u = {.symbol = sym, .opt_level = jit->t2_level, .tier = "T2"};
    uint8_t pre[32];
    kj_impl_name(jit, fn->name, sym, sizeof sym);
    if (!t2_prekey(jit, fn, &u, pre) || kj_compile_pre(jit, &u, pre) != KJIT_OK) return -1;
    kj_deps none = {0};
    pthread_mutex_lock(&jit->lock);
    kj_code *code = kj_code_new(&u, &none, 1);
    if (code) { /* (fn is KJ_COMPILING at tier 0: invalidated, it compiles again from its stub) */
        install_t2(jit, fn, code, &u, 0);
        fn->hot_marked = 1; /* (marked so already) */
        atomic_fetch_add(&jit->stats.cache_hot, 1);
    }
    pthread_mutex_unlock(&jit->lock);
    if (!code) {
        kj_code_free_mem(jit, u.rt, u.elf);
        kj_gdb_unregister(u.gdb);
        return -1;
    }
    *target = u.addr;
    return 0;
}

int kj_tier_compile_now(kjit *jit, kj_fn *fn, int same) {
    kj_worker w = {.jit = jit}; /* (LLVM and its machine if the cache has no T2 body) */
    pthread_mutex_lock(&jit->lock);
    while (fn->queued) { /* a compiler thread has it: let it finish */
        pthread_mutex_unlock(&jit->lock);
        kj_tier_drain(jit);
        pthread_mutex_lock(&jit->lock);
    }
    fn->queued = 1; /* (keeps the compiler threads off it) */
    fn->queued_at = kj_now_us();
    pthread_mutex_unlock(&jit->lock);
    int r = t2_compile(jit, &w, fn, same ? 2 : 1);
    worker_machine_free(&w);
    return r;
}

/* How long whole-function T2 compiles must still wait for the program's
 * first calls to settle (µs; 0: not at all).  Caller holds lock. */
static uint64_t startup_wait(kjit *jit) {
    if (jit->opts.t2_sync || jit->osr_head) return 0;
    /* Every function the compiled code calls directly is compiled: there
     * is nothing ahead for T2 to take a core from. */
    if (jit->ahead_started && !jit->ahead_head && !jit->ahead_busy) return 0;
    uint64_t last = atomic_load(&jit->first_compiled_at), now = kj_now_us();
    return last && now < last + KJ_T2_DELAY_US ? last + KJ_T2_DELAY_US - now : 0;
}

/* Sleep on t2_wake for at most us microseconds (caller holds lock). */
static void wait_us(kjit *jit, uint64_t us) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + us * 1000;
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    pthread_cond_timedwait(&jit->t2_wake, &jit->lock, &ts);
}

/* At a compiler thread's first job (it may be started long before one, by
 * kj_tier_prestart): LLVM, and a target machine of its own. */
static void ready(kjit *jit, kj_worker *w) {
    if (!w->tm && kj_llvm_ready(jit) == KJIT_OK) w->tm = kj_llvm_machine(jit, jit->t2_level);
}

/* A background compiler thread: OSR entries first (a loop is running at T0
 * and waiting for one), then whole functions in the queue's order
 * (kj_tier_enqueue).
 * The first thread's first job loads LLVM (if no compile has): here, off the
 * program's threads. */
static void *t2_main(void *arg) {
    kj_worker *w = arg;
    kjit *jit = w->jit;
    pthread_mutex_lock(&jit->lock);
    for (;;) {
        while (((!jit->qhead && !jit->osr_head) || jit->fork_hold) && !jit->t2_stop)
            pthread_cond_wait(&jit->t2_wake, &jit->lock);
        if (jit->t2_stop) break;
        uint64_t later = startup_wait(jit);
        if (later) {
            wait_us(jit, later);
            continue;
        }
        jit->busy++;
        jit->pending--;
        (void)start_thread(jit); /* (another, if jobs still outnumber the idle threads) */
        if (jit->osr_head) {
            kj_osr_job *job = jit->osr_head;
            jit->osr_head = job->next;
            if (!jit->osr_head) jit->osr_tail = NULL;
            w->current = job->fn;
            pthread_mutex_unlock(&jit->lock);
            ready(jit, w);
            kj_osr_compile(jit, w, job);
            pthread_mutex_lock(&jit->lock);
            w->current = NULL;
        } else {
            kj_fn *fn = jit->qhead;
            jit->qhead = fn->queue_next;
            if (!jit->qhead) jit->qtail = NULL;
            w->compiling = fn;
            pthread_mutex_unlock(&jit->lock);
            t2_compile(jit, w, fn, 0); /* (LLVM ready there, unless from the cache) */
            pthread_mutex_lock(&jit->lock);
            w->compiling = NULL;
        }
        jit->busy--;
        pthread_cond_broadcast(&jit->t2_idle);
    }
    pthread_cond_broadcast(&jit->t2_idle);
    pthread_mutex_unlock(&jit->lock);
    return NULL;
}

void kj_tier_drain(kjit *jit) {
    pthread_mutex_lock(&jit->lock);
    /* (jobs and no thread: a forked child's, inherited) */
    if (!jit->nworkers && (jit->qhead || jit->osr_head) && !jit->t2_stop) (void)start_thread(jit);
    while ((jit->qhead || jit->osr_head || jit->busy) && !jit->t2_stop)
        pthread_cond_wait(&jit->t2_idle, &jit->lock);
    pthread_mutex_unlock(&jit->lock);
}

/* Stop the queue and wake the threads (under lock); how many there are. */
static int stop_queue(kjit *jit) {
    jit->t2_stop = 1;
    for (kj_fn *f = jit->qhead; f; f = f->queue_next) f->queued = 0;
    jit->qhead = jit->qtail = NULL;
    for (kj_osr_job *j = jit->osr_head, *next; j; j = next) {
        next = j->next;
        free(j);
    }
    jit->osr_head = jit->osr_tail = NULL;
    jit->pending = 0;
    pthread_cond_broadcast(&jit->t2_wake);
    return jit->nworkers;
}

/* Of the threshold, what a function at T1 must have counted at the end of
 * a run to be marked queued (mark_queued). */
#define KJ_WARM_DIV 10

/* Add f's key to keys (n of cap) if it is to be marked queued (under lock). */
static void queued_key(kj_fn *f, uint8_t (**keys)[32], size_t *n, size_t *cap) {
    if (!(f->src_keyed || f->t1_keyed) || f->hot_marked || f->hot_queued) return;
    if (*n == *cap) {
        size_t more = *cap ? 2 * *cap : 32;
        void *k = realloc(*keys, more * sizeof **keys);
        if (!k) return;
        *keys = k;
        *cap = more;
    }
    memcpy((*keys)[(*n)++], f->src_keyed ? f->src_key : f->t1_key, 32);
    f->hot_queued = 1;
}

/* At the end: the functions still queued for T2 are remembered as hot
 * (kj_objcache_mark_hot's "queued"), so that the next run queues them at
 * their first call instead of counting again: a run that ends before its T2
 * compiles do (the exit does not wait for them) still teaches the next. */
static void mark_queued(kjit *jit) {
    if (!jit->cache) return;
    uint8_t(*keys)[32] = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&jit->lock);
    /* The queue, and the compiles in flight: an exit does not wait for
     * them, and a function that got hot late in every run would be
     * compiled again in every run (LLVM loaded for it: a warm run of the
     * SQL engine did, for one function). */
    for (int i = 0; i < jit->nworkers; i++)
        if (jit->workers[i]->compiling) queued_key(jit->workers[i]->compiling, &keys, &n, &cap);
    for (kj_fn *f = jit->qhead; f; f = f->queue_next) queued_key(f, &keys, &n, &cap);
    /* And the functions at T1 that came near the threshold (a tenth of it;
     * KJIT_WARM_MARKS=0: not): a warm run then compiles them at T2 in the
     * background too, and the runs after start them there from the cache.
     * Warm runs converge on the code a long run would have. */
    int64_t warm = jit->opts.hot_threshold / KJ_WARM_DIV;
    for (size_t b = 0; b < jit->table_size && !jit->warm_marks_off; b++)
        for (kj_fn *f = jit->table[b]; f; f = f->hash_next)
            if (f->tier == 1 && !f->queued && atomic_load(&f->count) >= (warm > 0 ? warm : 1))
                queued_key(f, &keys, &n, &cap);
    pthread_mutex_unlock(&jit->lock);
    for (size_t i = 0; i < n; i++) kj_objcache_mark_hot(jit, keys[i], 0);
    atomic_fetch_add(&jit->unfinished, (unsigned)n);
    free(keys);
}

void kj_tier_abandon(kjit *jit) {
    mark_queued(jit);
    pthread_mutex_lock(&jit->lock);
    (void)stop_queue(jit); /* (kj_tier_stop, if called later, joins them) */
    pthread_mutex_unlock(&jit->lock);
}

void kj_tier_stop(kjit *jit) {
    mark_queued(jit);
    pthread_mutex_lock(&jit->lock);
    int n = stop_queue(jit);
    pthread_mutex_unlock(&jit->lock);
    for (int i = 0; i < n; i++) {
        kj_worker *w = jit->workers[i];
        pthread_join(w->thread, NULL);
        worker_machine_free(w);
        free(w);
    }
    pthread_mutex_lock(&jit->lock);
    jit->nworkers = 0; /* (a second stop, kjit_destroy's, finds none) */
    pthread_mutex_unlock(&jit->lock);
}

/* ---- fork ------------------------------------------------------------------
 *
 * A program that forks has only the forking thread in its child: no
 * compiler thread, and no thread to finish a compile one had begun (a first
 * call waiting for the ahead thread's compile waited for ever).  So a fork
 * waits until the compiler threads are between jobs, holding nothing, and
 * keeps them there while it forks (fork_hold; pthread_atfork, kj_jit.c).  In
 * the child they are forgotten; the jobs they left stay queued, and the
 * child's next compile of counting code, or a drain, starts a thread for
 * them.  The price is that fork waits for the compiles in flight (a T2
 * compile of a large function takes up to a second).
 *
 * Before that, the fork waits for the program's other threads to leave the
 * kjit calls that take compile_lock or def_lock (first calls, definitions,
 * recompiles, modules: kj_tier_enter), and keeps new ones out, so that the
 * child inherits those locks free: a child whose parent forked while
 * another thread compiled a first call waited for ever at its own first
 * call.  Those threads finish with the compiler threads still running (a
 * first call may wait for the ahead thread's compile, a recompile for a
 * drain); only then are the compiler threads held.  Not covered: a fork
 * from inside such a call (a generator, a trace hook: it waits for no
 * one, as before) (kjit.h, kjit_create). */

static _Thread_local int tls_inside; /* this thread's kj_tier_enter depth */
static _Thread_local int tls_cancel; /* its cancel state before, at depth 0 */
static _Thread_local sigset_t tls_mask; /* its signal mask before (kj_signals_block) */

void kj_tier_enter(kjit *jit) {
    /* The program's signal handlers wait until this thread leaves (a
     * handler's first call would wait for compile_lock, which its own
     * thread holds: a hang, tests/ir/signal_first_call.c). */
    if (!tls_inside) kj_signals_hold(&tls_mask);
    /* Nor is the thread cancelled inside (the gate's wait, a first call's
     * wait for the ahead thread, the cache's files are cancellation
     * points): it would leave kjit's locks held (tests/ir/cancel_first_call.c). */
    if (!tls_inside) pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &tls_cancel);
    pthread_mutex_lock(&jit->lock);
    while (jit->fork_gate && !tls_inside) pthread_cond_wait(&jit->gate, &jit->lock);
    jit->inside++;
    pthread_mutex_unlock(&jit->lock);
    tls_inside++;
}

void kj_tier_leave(kjit *jit) {
    tls_inside--;
    pthread_mutex_lock(&jit->lock);
    if (jit->inside > 0 && --jit->inside == 0 && jit->fork_gate)
        pthread_cond_broadcast(&jit->gate);
    pthread_mutex_unlock(&jit->lock);
    if (!tls_inside) {
        int old;
        pthread_setcancelstate(tls_cancel, &old);
        kj_signals_restore(&tls_mask);
    }
}

void kj_tier_fork_prepare(kjit *jit) {
    pthread_mutex_lock(&jit->lock);
    jit->fork_gate = 1;
    while (jit->inside > 0 && !tls_inside) pthread_cond_wait(&jit->gate, &jit->lock);
    jit->fork_hold = 1;
    while (jit->busy || jit->ahead_busy)
        pthread_cond_wait(jit->busy ? &jit->t2_idle : &jit->ahead_done, &jit->lock);
}

void kj_tier_fork_parent(kjit *jit) {
    jit->fork_hold = 0;
    jit->fork_gate = 0;
    pthread_cond_broadcast(&jit->gate);
    pthread_cond_broadcast(&jit->t2_wake);
    pthread_cond_broadcast(&jit->ahead_wake);
    pthread_mutex_unlock(&jit->lock);
}

void kj_tier_fork_child(kjit *jit) {
    jit->fork_hold = 0;
    jit->fork_gate = 0;
    jit->inside = tls_inside; /* (the others are not in the child) */
    jit->forked = 1;
    /* Their threads are not in this process (their machines stay unused,
     * not freed: LLVM's state may be the parent's half-way). */
    jit->nworkers = 0;
    jit->busy = 0;
    jit->ahead_started = 0;
    jit->ahead_busy = 0;
    /* Their jobs stay queued: the child's next compile of counting code
     * starts a thread (kj_tier_prestart), as does a drain. */
    atomic_store(&jit->t2_prestarted, 0);
    /* Waiters that are not in this process may be counted in them. */
    pthread_cond_init(&jit->t2_wake, NULL);
    pthread_cond_init(&jit->t2_idle, NULL);
    pthread_cond_init(&jit->ahead_wake, NULL);
    pthread_cond_init(&jit->ahead_done, NULL);
    pthread_cond_init(&jit->gate, NULL);
    kj_elf_fork_child(jit);
    pthread_mutex_unlock(&jit->lock);
}

/* ---- invalidation ------------------------------------------------------------ */

void kj_tier_invalidate(kjit *jit, kj_fn *g) {
    if (atomic_load(&jit->stats.compiled_t2) == 0 && atomic_load(&jit->stats.osr_compiled) == 0)
        return; /* nothing to walk */
    for (size_t b = 0; b < jit->table_size; b++) {
        for (kj_fn *f = jit->table[b]; f; f = f->hash_next) {
            kj_osr_invalidate(jit, f, g);
            if (!f->t2) continue;
            int uses = 0;
            for (int i = 0; i < f->t2->deps.n && !uses; i++) uses = f->t2->deps.fn[i] == g;
            if (!uses) continue;
            /* Back to T1 (or T0), which calls g through its stub. */
            kj_fn_point(f, f->t1_addr);
            kj_code_drop(jit, f->t2);
            f->t2 = NULL;
            f->tier = 1;
            if (f->t1_addr == f->stub.lazy) {
                f->tier = 0;
                f->state = KJ_STUB;
            }
            f->invalidated = 1;
            atomic_store(&f->count, 0);
            atomic_fetch_add(&jit->stats.invalidated, 1);
            kj_trace(jit, KJIT_EV_INVALIDATED, f->name, "T2", 0, 0, 0, NULL);
        }
    }
}
