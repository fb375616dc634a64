/*
 * kj_ahead.c — compiling ahead of the program (kjit_options.ahead).
 *
 * When a function is compiled for its first call, the functions it calls
 * that still wait for theirs (no code, no T0 entry) are queued, at the front
 * of the queue, in the order of the calls in its body.  One background
 * thread compiles the queue exactly as each first call would
 * (kj_lazy_first_unit: T1 with its counters in tiered mode, else at the -O
 * level), and queues what those call the same way: the static call graph,
 * depth-first from where the program is now (the function it has just
 * entered is the best guess of where it goes next; breadth-first from main
 * compiled what the program needed long after it needed it).  A function
 * queued already, further back, moves up with the ring that names it
 * again.  A call that
 * finds its function in the middle of such a compile waits for it
 * (wait_us); a call that gets there first compiles it itself, as without
 * this.  On two cores the thread can at best halve the program's waits.
 *
 * ORC's speculation layer compiles the likely callees of a function when
 * it is entered, on the program's thread pool; here the queue is filled at
 * compile time instead (the callees are in the IR just generated), so the
 * background thread can start on them while the caller is still being
 * compiled, and nothing is added to the code's entries.
 *
 * Locks: the thread holds def_lock (read) only while it calls the generator
 * (so the definition cannot be released under it), and `lock` to take a job
 * and to install it.  It never takes compile_lock: first calls on the
 * program's threads, which hold it, may wait for the thread (the function
 * is then KJ_COMPILING), never the other way round.  A redefinition during
 * a compile bumps the version: the compile is then thrown away.  A compile
 * that fails is counted (ahead_failed) and leaves the function as it was;
 * its first call compiles it again and reports the error there.
 *
 * Layer tiers (lib/LAYERS): calls only the pipeline and the layers below.
 */
#include <stdlib.h>

#include <llvm-c/Core.h>

#include "base/kj_base.h"
#include "base/kj_wrap.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"
#include "tiers/kj_tiers.h"

static int enabled(const kjit *jit) {
    return jit->opts.ahead &&
           (jit->opts.mode == KJIT_MODE_LAZY || jit->opts.mode == KJIT_MODE_TIERED);
}

/* Whether fn waits for a first compile the thread can make (under lock). */
static int waiting(const kj_fn *fn) {
    return fn->state == KJ_STUB && fn->gen && !fn->pending_mod && !atomic_load(&fn->t0) &&
           !fn->ahead;
}

static void *ahead_main(void *arg);

/* The functions mod's definitions call directly, in the order the calls
 * appear in their bodies (the entry block's first), each once: into out
 * (at most max); returns how many. */
#define KJ_AHEAD_CALLEES 256
static int callees(LLVMModuleRef mod, LLVMValueRef *out, int max) {
    int n = 0;
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
        if (LLVMIsDeclaration(f)) continue;
        for (LLVMBasicBlockRef b = LLVMGetFirstBasicBlock(f); b; b = LLVMGetNextBasicBlock(b))
            for (LLVMValueRef i = LLVMGetFirstInstruction(b); i; i = LLVMGetNextInstruction(i)) {
                if (!LLVMIsACallInst(i) && !LLVMIsAInvokeInst(i)) continue;
                LLVMValueRef c = LLVMGetCalledValue(i);
                if (!LLVMIsAFunction(c) || !LLVMIsDeclaration(c) || LLVMGetIntrinsicID(c))
                    continue;
                int seen = 0;
                for (int k = 0; k < n && !seen; k++) seen = out[k] == c;
                if (!seen && n < max) out[n++] = c;
            }
    }
    return n;
}

/* c out of the queue (c->ahead == 1, under lock). */
static void unlink_queued(kjit *jit, kj_fn *c) {
    if (c->ahead_prev)
        c->ahead_prev->ahead_next = c->ahead_next;
    else
        jit->ahead_head = c->ahead_next;
    if (c->ahead_next)
        c->ahead_next->ahead_prev = c->ahead_prev;
    else
        jit->ahead_tail = c->ahead_prev;
    c->ahead_next = c->ahead_prev = NULL;
}

void kj_ahead_callees(kjit *jit, LLVMModuleRef mod) {
    if (!enabled(jit)) return;
    LLVMValueRef called[KJ_AHEAD_CALLEES];
    int n = callees(mod, called, KJ_AHEAD_CALLEES);
    pthread_mutex_lock(&jit->lock);
    int queued = 0;
    kj_fn *first = NULL, *last = NULL; /* this ring, in order: before the rest */
    for (int k = 0; k < n && !jit->ahead_stop; k++) {
        size_t len;
        kj_fn *c = kj_fn_find(jit, LLVMGetValueName2(called[k], &len));
        if (!c) continue;
        /* Queued already, further back (named by a function compiled
         * earlier): it moves up with this ring, since this function is
         * where the program is, or goes next. */
        if (c->ahead == 1)
            unlink_queued(jit, c);
        else if (!waiting(c))
            continue;
        c->ahead = 1;
        c->ahead_next = NULL;
        c->ahead_prev = last;
        queued = 1;
        if (last)
            last->ahead_next = c;
        else
            first = c;
        last = c;
    }
    if (first) {
        last->ahead_next = jit->ahead_head;
        if (jit->ahead_head) jit->ahead_head->ahead_prev = last;
        jit->ahead_head = first;
        if (!jit->ahead_tail) jit->ahead_tail = last;
    }
    if (queued && !jit->ahead_started && !jit->ahead_stop) {
        if (kj_thread_start(&jit->ahead_thread, ahead_main, jit) == 0) {
            jit->ahead_started = 1;
        } else { /* no thread: first calls compile as before */
            for (kj_fn *c = jit->ahead_head; c; c = c->ahead_next) c->ahead = 0;
            jit->ahead_head = jit->ahead_tail = NULL;
        }
    }
    if (queued) pthread_cond_signal(&jit->ahead_wake);
    pthread_mutex_unlock(&jit->lock);
}

/* One compile ahead of fn's first call, with the thread's target machines. */
kjit_status kj_machines_ready(kjit *jit, kj_machines *tms) {
    if (tms->fast && tms->full) return KJIT_OK;
    kjit_status st = kj_llvm_ready(jit);
    if (st != KJIT_OK) return st;
    if (!tms->fast) tms->fast = kj_llvm_machine(jit, 0);
    if (!tms->full) tms->full = kj_llvm_machine(jit, jit->opts.opt_level);
    return tms->fast && tms->full ? KJIT_OK
                                  : kj_set_error(KJIT_ECOMPILE, "cannot create a target machine");
}

static void compile_one(kjit *jit, kj_fn *fn, kj_machines *tms) {
    pthread_rwlock_rdlock(&jit->def_lock);
    pthread_mutex_lock(&jit->lock);
    fn->ahead = 0;
    if (!waiting(fn)) { /* called (and compiled) meanwhile, or redefined */
        pthread_mutex_unlock(&jit->lock);
        pthread_rwlock_unlock(&jit->def_lock);
        return;
    }
    fn->state = KJ_COMPILING;
    fn->ahead = 2;
    uint64_t version = fn->version;
    kjit_generator gen = fn->gen;
    void *user = fn->user;
    pthread_mutex_unlock(&jit->lock);

    kj_unit u;
    char sym[256];
    uint8_t pre[32];
    int hot = 0;
    kj_tier_prestart(jit);
    kjit_status r = kj_lazy_ahead_unit(jit, fn, gen, user, &u, sym, tms, pre);
    pthread_rwlock_unlock(&jit->def_lock);
    if (r == KJIT_OK && !u.cached) {
        kj_ahead_callees(jit, u.mod); /* the next ring of the call graph */
        r = kj_compile(jit, &u);
    }
    if (r == KJIT_OK) hot = kj_lazy_ahead_done(jit, fn, &u);

    pthread_mutex_lock(&jit->lock);
    fn->ahead = 0;
    int current = fn->version == version && fn->state == KJ_COMPILING;
    kj_code *code = r == KJIT_OK && current ? kj_code_new(&u, NULL, 1) : NULL;
    if (code) {
        kj_lazy_installed(jit, fn, code, &u, u.addr, 1);
        atomic_fetch_add(&jit->stats.compiled_ahead, 1);
        if (!u.cached) atomic_store(&jit->first_compiled_at, kj_now_us());
        atomic_fetch_add(&jit->stats.ahead_us, u.us);
    } else {
        if (current) fn->state = KJ_STUB; /* its first call compiles it */
        if (r != KJIT_OK) atomic_fetch_add(&jit->stats.ahead_failed, 1);
    }
    pthread_cond_broadcast(&jit->ahead_done);
    pthread_mutex_unlock(&jit->lock);
    if (!code && r == KJIT_OK) { /* never reachable from a stub: free at once */
        kj_code_free_mem(jit, u.rt, u.elf);
        kj_gdb_unregister(u.gdb);
    }
    /* Hot in an earlier run (the code cache's marks): T2 now, here, so that
     * its first call (which finds this code: kj_resolve never sees it)
     * runs T2 code, as a first call's compile would have made it; or, if
     * that run ended before its T2 body was made, queued for T2 now. */
    if (code && hot == 2) kj_tier_start_hot(jit, fn->name);
    if (code && hot == 1) {
        pthread_mutex_lock(&jit->lock);
        fn->hot_queued = 1; /* (marked so already) */
        kj_tier_enqueue(jit, fn);
        pthread_mutex_unlock(&jit->lock);
    }
}

static void *ahead_main(void *arg) {
    kjit *jit = arg;
    struct kj_wrap_emitter *emit_fast[KJ_WS_MAX] = {0}, *emit_full[KJ_WS_MAX] = {0};
    /* (its machines made at the first compile the code cache cannot give:
     * a warm run loads no LLVM here) */
    kj_machines tms = {.emit_fast = emit_fast, .emit_full = emit_full};
    pthread_mutex_lock(&jit->lock);
    for (;;) {
        while ((!jit->ahead_head || jit->fork_hold) && !jit->ahead_stop)
            pthread_cond_wait(&jit->ahead_wake, &jit->lock);
        if (jit->ahead_stop) break;
        kj_fn *fn = jit->ahead_head;
        unlink_queued(jit, fn);
        jit->ahead_busy = 1;
        pthread_mutex_unlock(&jit->lock);
        compile_one(jit, fn, &tms);
        pthread_mutex_lock(&jit->lock);
        jit->ahead_busy = 0;
        pthread_cond_broadcast(&jit->ahead_done); /* (a fork waits for this: kj_tier.c) */
        /* Nothing left to compile ahead: T2 need not wait (kj_tier.c). */
        if (!jit->ahead_head) pthread_cond_broadcast(&jit->t2_wake);
    }
    pthread_mutex_unlock(&jit->lock);
    for (unsigned i = 0; i < KJ_WS_MAX; i++) {
        kj_wrap_emitter_free(emit_fast[i]);
        kj_wrap_emitter_free(emit_full[i]);
    }
    if (tms.fast) LLVMDisposeTargetMachine(tms.fast);
    if (tms.full) LLVMDisposeTargetMachine(tms.full);
    return NULL;
}

void kj_ahead_stop(kjit *jit) {
    pthread_mutex_lock(&jit->lock);
    jit->ahead_stop = 1;
    for (kj_fn *c = jit->ahead_head; c; c = c->ahead_next) c->ahead = 0;
    jit->ahead_head = jit->ahead_tail = NULL;
    pthread_cond_broadcast(&jit->ahead_wake);
    int started = jit->ahead_started;
    jit->ahead_started = 0;
    pthread_mutex_unlock(&jit->lock);
    if (started) pthread_join(jit->ahead_thread, NULL);
}

void kj_ahead_wait(kjit *jit, kj_fn *fn) {
    while (fn->state == KJ_COMPILING && fn->ahead == 2)
        pthread_cond_wait(&jit->ahead_done, &jit->lock);
}
