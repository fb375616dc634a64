/*
 * kj_lazy.c — the first call of a function: from its stub to code.
 *
 *   a call through a stub with no code: lazy entry → trampoline →
 *   kj_lazy_resolve → (T0 entry: run it here) or kj_resolve →
 *   kj_materialize: generate (unless lazy-ir already did), with
 *   --partition=callees link the callees' pending IR, compile, and point
 *   every stub of the group at its code; a host function is bound, an
 *   undefined one is a run-time error.
 *
 * Locking: every generator call and every compile of a first call happens
 * under compile_lock, so a function is compiled exactly once however many
 * threads call it first: the others wait on compile_lock and then find it
 * COMPILED.  The one exception is the ahead thread (kj_ahead.c), which
 * compiles without it: a first call that finds its function KJ_COMPILING
 * there waits for that compile.  Before each compile here, the callees of
 * the function are queued for the ahead thread.
 * `lock` guards the table and the fields of kj_fn that change; it is held
 * only briefly and never across a generator or LLVM call.
 *
 * Layer tiers (lib/LAYERS): calls only the pipeline and the layers below.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>
#include <llvm-c/Linker.h>

#include "base/kj_base.h"
#include "base/kj_cache.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"
#include "tiers/kj_tiers.h"

/* The functions one compile produces: the one called, and with
 * --partition=callees the callees linked into its module. */
#define KJ_GROUP_MAX 32
typedef struct kj_group {
    int n;
    kj_fn *fn[KJ_GROUP_MAX];
    char sym[KJ_GROUP_MAX][256];
} kj_group;

/* The name of a module's one defined function (lazy-ir modules). */
static void defined_name(LLVMModuleRef mod, char *buf, size_t len) {
    LLVMValueRef f = LLVMGetFirstFunction(mod);
    while (f && LLVMIsDeclaration(f)) f = LLVMGetNextFunction(f);
    size_t n;
    snprintf(buf, len, "%s", f ? LLVMGetValueName2(f, &n) : "");
}

/* Fill u with the IR gen(user) makes for fn, under a new implementation
 * name (in the shared IR context, so lazy-ir modules can be linked; else
 * in a workspace, where a front end may keep its sources). */
static kjit_status generate(kjit *jit, kj_fn *fn, kjit_generator gen, void *user, kj_unit *u,
                            char *sym) {
    u->symbol = sym;
    kj_impl_name(jit, fn->name, sym, 256);
    kjit_status r = jit->ir_ctx ? kj_unit_open(jit, u, fn->name, jit->ir_ctx)
                                : kj_unit_open_ws(jit, u, fn->name);
    if (r != KJIT_OK) return r;
    atomic_fetch_add(&jit->stats.ir_generated, 1);
    return kj_unit_generate(jit, u, gen, user);
}

/* Fill u with fn's IR: its pending lazy-ir module, or a fresh generation. */
static kjit_status unit_for(kjit *jit, kj_fn *fn, LLVMModuleRef pending, kj_unit *u, char *sym) {
    if (!pending) return generate(jit, fn, fn->gen, fn->user, u, sym);
    u->symbol = sym;
    u->ctx = jit->ir_ctx;
    u->shared_ctx = 1;
    u->mod = pending;
    defined_name(pending, sym, 256);
    return KJIT_OK;
}

/* A compile's time in the statistics (caller holds lock). */
static void count_compile(kjit *jit, const kj_unit *u) {
    /* (A link from the code cache takes no core from the program: T2 need
     * not wait for it, kj_tier.c) */
    if (!u->cached) atomic_store(&jit->first_compiled_at, kj_now_us());
    atomic_fetch_add(&jit->stats.compile_units, 1);
    atomic_fetch_add(&jit->stats.compile_us, u->us);
    jit->latency[jit->nlatency++ % KJ_LATENCIES] = (uint32_t)u->us;
}

/* --partition=callees: link into u's module the pending IR of every function
 * that u's function calls unconditionally (a direct call in its entry block)
 * and that has not been compiled yet, so that one compile produces them all. */
static void link_callees(kjit *jit, kj_unit *u, kj_group *g) {
    LLVMValueRef f = LLVMGetNamedFunction(u->mod, u->symbol);
    if (!f) return;
    LLVMModuleRef mods[KJ_GROUP_MAX];
    int first = g->n;
    pthread_mutex_lock(&jit->lock);
    for (LLVMValueRef i = LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(f)); i && g->n < KJ_GROUP_MAX;
         i = LLVMGetNextInstruction(i)) {
        if (!LLVMIsACallInst(i)) continue;
        LLVMValueRef callee = LLVMGetCalledValue(i);
        if (!LLVMIsAFunction(callee) || !LLVMIsDeclaration(callee)) continue;
        size_t len;
        kj_fn *c = kj_fn_find(jit, LLVMGetValueName2(callee, &len));
        if (!c || c->state != KJ_STUB || !c->pending_mod) continue;
        c->state = KJ_COMPILING;
        mods[g->n] = c->pending_mod;
        c->pending_mod = NULL;
        g->fn[g->n++] = c;
    }
    pthread_mutex_unlock(&jit->lock);
    for (int k = first; k < g->n; k++) {
        defined_name(mods[k], g->sym[k], sizeof g->sym[k]);
        /* LLVMLinkModules2 consumes mods[k] whatever happens; a failed link
         * shows up as a failed lookup after the compile. */
        LLVMLinkModules2(u->mod, mods[k]);
    }
}

/* Record the outcome of a compile for every function of the group: on
 * success point each stub at its code (they share one ResourceTracker); on
 * failure put each back to STUB, so the next call tries again. */
static kjit_status finish_group(kjit *jit, kj_group *g, kj_unit *u, kjit_status r, void **target) {
    void *addr[KJ_GROUP_MAX] = {u->addr};
    kj_code *code = NULL;
    if (r == KJIT_OK && !(code = kj_code_new(u, NULL, 0))) {
        kj_code_free_mem(jit, u->rt, u->elf);
        kj_gdb_unregister(u->gdb);
        r = kj_set_error(KJIT_ENOMEM, "out of memory");
    }
    for (int k = 1; k < g->n && r == KJIT_OK; k++) {
        LLVMOrcExecutorAddress a = 0;
        LLVMErrorRef e = LLVMOrcLLJITLookup(jit->lljit, &a, g->sym[k]);
        if (e) LLVMConsumeError(e);
        addr[k] = (void *)(uintptr_t)a; /* NULL: that callee stays STUB */
    }
    pthread_mutex_lock(&jit->lock);
    if (u->us) count_compile(jit, u);
    for (int k = 0; k < g->n; k++) {
        kj_fn *fn = g->fn[k];
        if (r == KJIT_OK && addr[k]) {
            code->users++;
            kj_lazy_installed(jit, fn, code, u, addr[k], k == 0);
            if (k == 0 && u->instrument) atomic_fetch_add(&jit->stats.t1_us, u->us);
        } else {
            fn->state = KJ_STUB;
        }
    }
    if (r != KJIT_OK) atomic_fetch_add(&jit->stats.compile_errors, 1);
    pthread_mutex_unlock(&jit->lock);
    if (r != KJIT_OK) {
        char msg[KJ_ERRMSG_SIZE];
        snprintf(msg, sizeof msg, "%s", kjit_errmsg());
        return kj_set_error(r, "cannot compile '%s': %s", g->fn[0]->name, msg);
    }
    *target = u->addr;
    return KJIT_OK;
}

void kj_lazy_installed(kjit *jit, kj_fn *fn, kj_code *code, const kj_unit *u, void *addr,
                       int first) {
    fn->code = code;
    fn->state = KJ_COMPILED;
    if (u->instrument) {
        fn->tier = 1;
        fn->t1_addr = addr;
        atomic_fetch_add(&jit->stats.compiled_t1, 1);
        /* Its key names it in the cache's hot marks (kj_tier.c marks it). */
        fn->t1_keyed = first && u->keyed;
        if (fn->t1_keyed) memcpy(fn->t1_key, u->key, sizeof fn->t1_key);
    }
    kj_fn_point(fn, addr);
    atomic_fetch_add(&jit->stats.compiled, 1);
    kj_trace(jit, KJIT_EV_COMPILED, fn->name, u->tier ? u->tier : "compiled",
             kj_now_us() - u->us, u->us, first ? u->bytes : 0, NULL);
}

/* Whether T1 code is generated at the -O level (kjit_options.t1_codegen):
 * for a function with a loop, as the policy says; `take` uses up one of
 * KJIT_T1_EARLY's places, as a compile does.  Those go to the first
 * functions with a loop of a program of at most KJ_T1_EARLY_SMALL
 * functions, whose kernels they are (the test-suite's: Linpack's dgefa,
 * himeno's jacobi, evalloop's eval, called from main a few times and
 * running long in each call); in a larger program the first functions
 * with a loop are its start-up (an SQL engine's initialisation, a parser's
 * tables, Lua's collector), and their compiles at the -O level were waits:
 * without them tree-sitter's first run took 0.26 s against 0.43, lz4's
 * 0.31 against 0.35, the SQL engine's 0.60 against 0.63 (bench/README.md,
 * twelfth session). */
#define KJ_T1_EARLY_SMALL 40
static int t1_full(kjit *jit, const char *name, int has_loop, int take) {
    int t1 = jit->opts.t1_codegen;
    if (t1 == KJIT_T1_FULL) return 1;
    if (!has_loop || (t1 != KJIT_T1_LOOPS && t1 != KJIT_T1_EARLY)) return 0;
    if (t1 == KJIT_T1_LOOPS) return 1;
    /* (the program's own functions: not the host functions the command or
     * a client defined, nor redefinitions, which --watch adds) */
    int64_t own = (int64_t)atomic_load(&jit->stats.defined) -
                  (int64_t)atomic_load(&jit->stats.hosts) -
                  (int64_t)atomic_load(&jit->stats.redefined);
    if (own > KJ_T1_EARLY_SMALL) return 0;
    if (strcmp(name, "main") == 0) return 1;
    return take ? atomic_fetch_sub(&jit->t1_early_left, 1) > 0
                : atomic_load(&jit->t1_early_left) > 0;
}

/* A first compile: T1 in tiered mode (as cheap as possible, and
 * counting), else at the -O level. */
static void first_compile(kjit *jit, kj_fn *fn, kj_unit *u) {
    *u = (kj_unit){.opt_level = jit->opts.opt_level};
    if (jit->opts.mode == KJIT_MODE_TIERED) {
        u->opt_level = 0;
        u->instrument = kj_tier_instrument;
        u->instrument_ctx = fn;
        u->tier = "T1";
    }
}

/* T1 code generated at the -O level, if kjit_options.t1_codegen asks
 * (code optimised already: its IR passes stay minimal); u->has_loop set.
 * tms: the target machines to use (a background thread's own); NULL: the
 * JIT's, which compile_lock guards. */
static void first_codegen(kjit *jit, kj_unit *u, const kj_machines *tms) {
    int has_loop = kj_safepoint_has_loop(LLVMGetNamedFunction(u->mod, u->symbol));
    u->has_loop = has_loop; /* (kept with its object, if it has a pre-key) */
    size_t n;
    const char *source = LLVMGetModuleIdentifier(u->mod, &n); /* the function's name */
    char name[8];
    snprintf(name, sizeof name, "%.*s", (int)(n < 7 ? n : 7), source);
    int full = t1_full(jit, n == 4 ? name : "", has_loop, 1);
    if (u->instrument && full) {
        u->tm = tms ? tms->full : jit->tm;
        u->t1_full = 1;
    } else if (tms) {
        u->tm = u->opt_level <= 0 ? tms->fast : tms->full;
    }
    if (tms) u->emitters = u->tm == tms->fast ? tms->emit_fast : tms->emit_full;
    if (!u->instrument || !kj_unit_optimised(u->mod)) return;
    /* T1 of IR that is optimised already (kjit.h, KJIT_MD_OPTIMISED): no
     * pass.  mem2reg, T1's one, finds nothing to promote in clang's -O2
     * output, whose SROA promoted what it could. */
    if (!u->passes) u->passes = KJ_NO_PASSES;
    /* T1 at the -O level's code generation of such IR is what T2 would
     * make of it (T2 of optimised IR is code generation only): it counts
     * nothing, and is never compiled again for T2.  So its calls of itself
     * go to itself, as T2's do: through the stub, BenchmarkGame-recursive's
     * ack, fib and tak (recursion clang made partly loops of, so T1 at the
     * -O level) ran 1.28x native. */
    if (u->t1_full) {
        u->uncounted = 1;
        char self[256];
        snprintf(self, sizeof self, "%.*s", (int)n, source);
        if (n < sizeof self && u->symbol) kj_tier_call_self(u->mod, self, u->symbol);
    }
}

int kj_lazy_t1_cached(kjit *jit, kj_fn *fn) {
    kj_unit u;
    first_compile(jit, fn, &u);
    pthread_mutex_lock(&jit->lock);
    int keyed = fn->src_keyed;
    uint8_t src[32], pre[32];
    memcpy(src, fn->src_key, sizeof src);
    pthread_mutex_unlock(&jit->lock);
    if (!keyed || !jit->cache || !u.instrument) return 0;
    kj_objcache_prekey(jit, &u, src, pre);
    kj_objcache_index ix;
    if (!kj_objcache_index_get(jit, pre, &ix)) return 0;
    int fast = !(ix.known & 2); /* (at the -O level: what T2 would make) */
    kj_objcache_index_free(&ix);
    return fast;
}

/* A first compile from the code cache without making IR (kj_objcache.h,
 * "First compiles without IR"): u as first_compile made it.  KJIT_OK after
 * installing the object; KJIT_EUNDEF if it cannot (u is as it was). */
static kjit_status first_from_cache(kjit *jit, kj_fn *fn, kj_unit *u, char *sym, uint8_t pre[32]) {
    pthread_mutex_lock(&jit->lock);
    int keyed = fn->src_keyed;
    uint8_t src[32];
    memcpy(src, fn->src_key, sizeof src);
    pthread_mutex_unlock(&jit->lock);
    if (!keyed || !jit->cache || jit->opts.partition != KJIT_PARTITION_FUNCTION ||
        atomic_load(&jit->transform[kj_unit_tier(u)]))
        return KJIT_EUNDEF;
    kj_objcache_prekey(jit, u, src, pre);
    kj_objcache_index ix;
    u->pre = pre; /* (for the compile's key, if it comes to that) */
    if (!kj_objcache_index_get(jit, pre, &ix)) {
        u->pre_missed = 1;
        return KJIT_EUNDEF;
    }
    int has_loop = ix.has_loop;
    /* At the level it was made at, whatever --t1=early's places (taken by
     * compiles, in an order timing decides) would say now: code at either
     * level is good code for it, and a compile on this thread is not. */
    int full = (ix.known & 2) != 0;
    char *obj = NULL;
    size_t n = 0;
    if ((!full || u->instrument) && kj_link_binding_holds(jit, ix.binding, ix.binding_len)) {
        kj_impl_name(jit, fn->name, sym, 256);
        u->symbol = sym;
        memcpy(u->key, ix.key[full], sizeof u->key);
        obj = kj_objcache_index_object(jit, u, &ix, &n);
    }
    if (!obj) return kj_objcache_index_free(&ix), KJIT_EUNDEF;
    if (u->instrument) u->t1_full = full;
    if (full) (void)t1_full(jit, fn->name, has_loop, 1); /* (takes a place, as a compile) */
    u->keyed = 1;
    kjit_status r = kj_compile_cached_bytes(jit, u, obj, n);
    kj_objcache_index_free(&ix);
    if (r != KJIT_OK) { /* then compile it after all */
        first_compile(jit, fn, u);
        return KJIT_EUNDEF;
    }
    atomic_fetch_add(&jit->stats.cache_hits, 1);
    return KJIT_OK;
}

kjit_status kj_lazy_first_unit(kjit *jit, kj_fn *fn, kjit_generator gen, void *user, kj_unit *u,
                               char *sym, const kj_machines *tms) {
    first_compile(jit, fn, u);
    kjit_status r = generate(jit, fn, gen, user, u, sym);
    if (r != KJIT_OK) return kj_unit_discard(u), r;
    first_codegen(jit, u, tms);
    return KJIT_OK;
}

static int hot_before(kjit *jit, kj_fn *fn, const kj_unit *u);

kjit_status kj_lazy_ahead_unit(kjit *jit, kj_fn *fn, kjit_generator gen, void *user, kj_unit *u,
                               char *sym, kj_machines *tms, uint8_t pre[32]) {
    first_compile(jit, fn, u);
    if (first_from_cache(jit, fn, u, sym, pre) == KJIT_OK) return KJIT_OK; /* u->cached */
    kjit_status ready = kj_machines_ready(jit, tms);
    if (ready != KJIT_OK) return kj_unit_discard(u), ready;
    u->want_binding = fn->src_keyed && jit->cache; /* (read unlocked: a hint) */
    kjit_status r = generate(jit, fn, gen, user, u, sym);
    if (r != KJIT_OK) return kj_unit_discard(u), r;
    first_codegen(jit, u, tms);
    return KJIT_OK;
}

/* After a first compile of u that succeeded (kj_compile kept its object
 * under its pre-key, if it has one, for first_from_cache): u's binding
 * freed; whether fn got hot in an earlier run (the code cache's marks), so
 * that it goes to T2 before its call goes on. */
static int first_done(kjit *jit, kj_fn *fn, kj_unit *u) {
    free(u->binding);
    u->binding = NULL;
    return u->keyed && u->instrument && !u->pre_missed ? hot_before(jit, fn, u) : 0;
}

int kj_lazy_ahead_done(kjit *jit, kj_fn *fn, kj_unit *u) { return first_done(jit, fn, u); }

kjit_status kj_lazy_precompile(kjit *jit, kj_fn *fn, kjit_generator gen, void *user, kj_unit *u,
                               char *sym) {
    kjit_status r = kj_llvm_ready(jit);
    if (r != KJIT_OK) return r;
    kj_tier_prestart(jit);
    if ((r = kj_lazy_first_unit(jit, fn, gen, user, u, sym, NULL)) != KJIT_OK) return r;
    if ((r = kj_compile(jit, u)) != KJIT_OK) {
        atomic_fetch_add(&jit->stats.compile_errors, 1);
        return r;
    }
    pthread_mutex_lock(&jit->lock);
    count_compile(jit, u);
    pthread_mutex_unlock(&jit->lock);
    return KJIT_OK;
}

/* Whether fn got hot in an earlier run: the code cache's mark, under its
 * source key if it has one, else under its T1 key (kj_tier.c marks): 2
 * its T2 body was made (and kept), 1 it was queued for one, 0 no. */
static int hot_before(kjit *jit, kj_fn *fn, const kj_unit *u) {
    uint8_t key[32];
    pthread_mutex_lock(&jit->lock);
    memcpy(key, fn->src_keyed ? fn->src_key : u->key, sizeof key);
    pthread_mutex_unlock(&jit->lock);
    return kj_objcache_was_hot(jit, key);
}

/* After first_from_cache: install as finish_group does, and go to T2 at
 * once if it got hot in an earlier run (hot_src: hot_before's answer if
 * the caller asked it already, else -1). */
static kjit_status cached_done(kjit *jit, kj_fn *fn, kj_group *g, kj_unit *u, kjit_status r,
                               void **target, int hot_src) {
    int hot = r == KJIT_OK && u->instrument ? hot_src >= 0 ? hot_src : hot_before(jit, fn, u) : 0;
    r = finish_group(jit, g, u, r, target);
    if (hot && r == KJIT_OK) {
        pthread_mutex_lock(&jit->lock);
        fn->hot_start = (unsigned)hot;
        pthread_mutex_unlock(&jit->lock);
    }
    return r;
}

kjit_status kj_materialize(kjit *jit, kj_fn *fn, int compile, void **target) {
    pthread_mutex_lock(&jit->lock);
    kj_ahead_wait(jit, fn); /* the ahead thread is compiling it: its code */
    kj_state st = fn->state;
    if (st == KJ_COMPILED || st == KJ_HOST) {
        *target = kj_stub_target(fn->stub.slot);
        pthread_mutex_unlock(&jit->lock);
        return KJIT_OK;
    }
    if (st == KJ_UNDEFINED) {
        /* Not defined by the client: a declared host function, if the
         * process has it (or JIT'd code of that name: a module's top-level
         * asm).  Undeclared names never reach host symbols.  Looked up
         * without the lock: a lookup may link code, which resolves names. */
        int host_ok = fn->host_ok;
        pthread_mutex_unlock(&jit->lock);
        void *host = host_ok ? dlsym(RTLD_DEFAULT, fn->name) : NULL;
        if (!host && host_ok) host = kj_elf_find(jit, fn->name); /* (kj_elf.c linked it) */
        if (!host && host_ok && atomic_load(&jit->llvm_ready)) {
            LLVMOrcExecutorAddress a = 0;
            LLVMErrorRef e = LLVMOrcLLJITLookup(jit->lljit, &a, fn->name);
            if (e) LLVMConsumeError(e);
            host = (void *)(uintptr_t)a;
        }
        pthread_mutex_lock(&jit->lock);
        if (fn->state != KJ_UNDEFINED) { /* defined meanwhile */
            pthread_mutex_unlock(&jit->lock);
            return kj_materialize(jit, fn, compile, target);
        }
        if (host) {
            fn->state = KJ_HOST;
            kj_fn_point(fn, host);
            *target = host;
        }
        pthread_mutex_unlock(&jit->lock);
        return host ? KJIT_OK
                    : kj_set_error(KJIT_EUNDEF, "call to undefined function '%s'", fn->name);
    }
    if (atomic_load(&fn->t0)) {
        /* It runs at T0: nothing to compile on this path. */
        *target = NULL;
        pthread_mutex_unlock(&jit->lock);
        return KJIT_OK;
    }
    /* (LLVM is loaded below, if the code cache cannot give the code: a
     * warm run of an unchanged program never loads it) */
    if (fn->state != KJ_STUB) { /* (cannot change under compile_lock; but be exact) */
        pthread_mutex_unlock(&jit->lock);
        return kj_materialize(jit, fn, compile, target);
    }
    /* KJ_STUB: generate (unless lazy-ir already did), partition, compile. */
    fn->state = KJ_COMPILING;
    LLVMModuleRef pending = fn->pending_mod;
    fn->pending_mod = NULL;
    pthread_mutex_unlock(&jit->lock);

    kj_group g = {.n = 1};
    g.fn[0] = fn;
    kj_unit u;
    first_compile(jit, fn, &u);
    kj_tier_prestart(jit); /* (this thread is compiling anyway) */
    /* From the code cache, without IR, if an earlier run left what it
     * needs. */
    uint8_t pre[32];
    /* Its mark under its source key, if it has one (looked up once: here
     * and by cached_done).  Hot in an earlier run, and its T2 body kept:
     * that one, and no T1. */
    int hot_src = -1;
    if (!pending && compile && u.instrument && jit->cache) {
        pthread_mutex_lock(&jit->lock);
        int keyed = fn->src_keyed;
        pthread_mutex_unlock(&jit->lock);
        if (keyed) hot_src = hot_before(jit, fn, &u);
    }
    if (hot_src == 2 && !jit->no_first_t2 && kj_tier_first_t2(jit, fn, target) == 0)
        return KJIT_OK;
    kjit_status r = pending || !compile ? KJIT_EUNDEF : first_from_cache(jit, fn, &u, g.sym[0], pre);
    if (r != KJIT_EUNDEF) return cached_done(jit, fn, &g, &u, r, target, hot_src);
    if ((r = kj_llvm_ready(jit)) != KJIT_OK) {
        kj_unit_discard(&u);
        return finish_group(jit, &g, &u, r, target);
    }
    u.want_binding = fn->src_keyed && jit->cache; /* (read unlocked: a hint) */
    r = unit_for(jit, fn, pending, &u, g.sym[0]);
    if (r == KJIT_OK) first_codegen(jit, &u, NULL);
    if (r == KJIT_OK && !compile) {
        /* lazy-ir at definition: keep the IR for the first call. */
        pthread_mutex_lock(&jit->lock);
        fn->pending_mod = u.mod;
        fn->state = KJ_STUB;
        pthread_mutex_unlock(&jit->lock);
        return KJIT_OK;
    }
    if (r == KJIT_OK && jit->opts.partition == KJIT_PARTITION_CALLEES && u.ctx == jit->ir_ctx)
        link_callees(jit, &u, &g);
    if (r == KJIT_OK) {
        kj_ahead_callees(jit, u.mod); /* compiled meanwhile on the ahead thread */
        r = kj_compile(jit, &u);
    } else {
        kj_unit_discard(&u);
    }
    /* Hot in an earlier run: kj_resolve takes it to T2 before the call goes
     * on. */
    int hot = 0;
    if (r == KJIT_OK) hot = first_done(jit, fn, &u);
    else free(u.binding), u.binding = NULL;
    r = finish_group(jit, &g, &u, r, target);
    if (hot && r == KJIT_OK) {
        pthread_mutex_lock(&jit->lock);
        fn->hot_start = (unsigned)hot;
        pthread_mutex_unlock(&jit->lock);
    }
    return r;
}

/* This thread's wait in first calls (kjit_thread_wait_us). */
static _Thread_local uint64_t tls_wait_us;

uint64_t kj_lazy_thread_wait_us(void) { return tls_wait_us; }

/* A first call's compile (kj_resolve), on a stack with room for LLVM. */
typedef struct resolving {
    kj_fn *fn;
    void *target;
    kjit_status st;
} resolving;

static void materialize(void *arg) {
    resolving *r = arg;
    kjit *jit = r->fn->jit;
    pthread_mutex_lock(&jit->compile_lock);
    r->st = kj_materialize(jit, r->fn, 1, &r->target);
    pthread_mutex_unlock(&jit->compile_lock);
}

static void compile_now(void *arg) {
    resolving *r = arg;
    r->st = kj_tier_compile_now(r->fn->jit, r->fn, 1) == 0 ? KJIT_OK : KJIT_ECOMPILE;
}

/* (Below this, not even the switch to a stack of its own is safe.) */
#define KJ_RESOLVE_STACK 4096

void *kj_resolve(kj_fn *fn) {
    kjit *jit = fn->jit;
    uint64_t t0 = kj_now_us();
    /* (first: a fork waits for this thread to leave, and a signal handler's
     * first call waits until it has: kj_tier.c.  Learning the stack's
     * bounds allocates (glibc reads /proc/self/maps for the main thread),
     * and a handler's first call that interrupted it waited for malloc's
     * lock for ever) */
    kj_tier_enter(jit);
    kj_link_thread saved; /* (errno and such: the call sees them as its caller left them) */
    kj_link_thread_save(&saved);
    if (kj_trap_stack_left() < KJ_RESOLVE_STACK) {
        kj_link_thread_restore(&saved);
        kj_tier_leave(jit);
        return kj_trap_raise(jit, KJIT_ERUNTIME, "stack overflow");
    }
    /* A thread the program made with a small stack (16 KiB is allowed), or
     * a recursion near its stack's end: LLVM needs more than that. */
    resolving r = {.fn = fn};
    kj_trap_on_stack(materialize, &r);
    kjit_status st = r.st;
    void *target = r.target;
    /* Hot in an earlier run: T2 now, on this thread (a cache hit, most
     * likely), so the call runs T2 code from the start; or, if that run
     * ended before its T2 body was made, queued for T2 at once (a compile
     * on this thread could take long). */
    int hot = 0;
    if (jit->cache) { /* (hot_start is set only with the cache) */
        pthread_mutex_lock(&jit->lock);
        hot = fn->hot_start;
        fn->hot_start = 0;
        if (hot == 1) fn->hot_queued = 1; /* (marked so already) */
        if (hot == 2) fn->hot_marked = 1; /* (its T2 install need not mark it again) */
        if (st == KJIT_OK && hot == 1) kj_tier_enqueue(jit, fn);
        pthread_mutex_unlock(&jit->lock);
    }
    resolving now = {.fn = fn, .st = KJIT_ECOMPILE};
    if (st == KJIT_OK && hot == 2) kj_trap_on_stack(compile_now, &now);
    if (now.st == KJIT_OK) {
        atomic_fetch_add(&jit->stats.cache_hot, 1);
        pthread_mutex_lock(&jit->lock);
        target = kj_stub_target(fn->stub.slot);
        pthread_mutex_unlock(&jit->lock);
    }
    kj_link_thread_restore(&saved); /* (before a raise too: the thread goes on) */
    kj_tier_leave(jit);
    /* The program's thread waited for the lock and the compile: wait_us. */
    uint64_t waited = kj_now_us() - t0;
    tls_wait_us += waited;
    atomic_fetch_add_explicit(&jit->stats.wait_us, waited, memory_order_relaxed);
    if (st != KJIT_OK) {
        /* Every lock is released; nothing is half-updated. */
        char msg[KJ_ERRMSG_SIZE];
        snprintf(msg, sizeof msg, "%s", kjit_errmsg());
        return kj_trap_raise(jit, st, msg);
    }
    return target;
}

/* Called by the re-entry trampoline on a call through a stub whose function
 * has no code yet.  Returns where the call continues, or NULL when the call
 * ran here at T0 (its result is in the frame). */
void *kj_lazy_resolve(void **slot, kj_arch_frame *frame) {
    kj_fn *fn = kj_stub_owner(slot);
    for (;;) {
        if (kj_t0_enter(fn, frame)) return NULL;
        void *target = kj_resolve(fn);
        if (target) return target;
        /* NULL: it has a T0 entry now (defined meanwhile). */
    }
}


/* ---- kjit_prepare ------------------------------------------------------- */

/* What kj_lazy_prepare works through: functions in the order found, each
 * once; those whose code the handler may run (follow: called, or held by
 * a variable it reads) have what they name looked at too (named). */
typedef struct prepared_fn {
    kj_fn *fn;
    unsigned char follow, named;
} prepared_fn;

typedef struct prepared {
    kjit *jit;
    kj_fn *start;
    prepared_fn *v;
    size_t n, cap;
    kjit_status st;
} prepared;

static int prepared_add(prepared *p, kj_fn *fn, int follow) {
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].fn == fn) {
            p->v[i].follow |= (unsigned char)follow;
            return 0;
        }
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        prepared_fn *v = realloc(p->v, cap * sizeof *v);
        if (!v) return -1;
        p->v = v, p->cap = cap;
    }
    p->v[p->n++] = (prepared_fn){fn, (unsigned char)follow, 0};
    return 0;
}

/* Whether f, declared in a unit, is called there (not only named: its
 * address taken, stored or passed). */
static int called_in(LLVMValueRef f) {
    for (LLVMUseRef u = LLVMGetFirstUse(f); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef i = LLVMGetUser(u);
        if ((LLVMIsACallInst(i) || LLVMIsAInvokeInst(i)) && LLVMGetCalledValue(i) == f) return 1;
    }
    return 0;
}

/* Add the JIT function called name to p (follow: see prepared). */
static kjit_status add_name(prepared *p, const char *name, int follow) {
    kjit *jit = p->jit;
    pthread_mutex_lock(&jit->lock);
    kj_fn *c = kj_fn_find(jit, name);
    int client = c && c->gen && c->state != KJ_HOST;
    pthread_mutex_unlock(&jit->lock);
    return client && prepared_add(p, c, follow) != 0 ? kj_set_error(KJIT_ENOMEM, "out of memory")
                                                      : KJIT_OK;
}

/* What add_named found in fn's IR, kept in the code cache under a key of
 * its source key (which covers its module's bytes, so the tables its
 * variables hold too) and kjit's build: 'N', then per name a flag ('1':
 * called, or held by a variable it reads; '0': its address taken) and the
 * name, NUL-terminated.  A warm run prepares a handler from this and the
 * cached code, without IR, so without loading LLVM (Lua's handler cost its
 * warm run 16 ms of LLVM's loading and its module's reading). */
typedef struct names_rec {
    char *buf;
    size_t len, cap;
    int failed;
} names_rec;

static void names_add(names_rec *nr, const void *p, size_t n) {
    if (nr->failed) return;
    if (nr->len + n > nr->cap) {
        size_t cap = nr->cap ? 2 * nr->cap : 256;
        while (cap < nr->len + n) cap *= 2;
        char *b = realloc(nr->buf, cap);
        if (!b) {
            nr->failed = 1;
            return;
        }
        nr->buf = b, nr->cap = cap;
    }
    memcpy(nr->buf + nr->len, p, n);
    nr->len += n;
}

static void names_keep(names_rec *nr, const char *name, int follow) {
    names_add(nr, follow ? "1" : "0", 1);
    names_add(nr, name, strlen(name) + 1);
}

static int names_key(kjit *jit, kj_fn *fn, uint8_t key[32]) {
    if (!jit->cache) return 0;
    pthread_mutex_lock(&jit->lock);
    int keyed = fn->src_keyed;
    uint8_t src[32];
    memcpy(src, fn->src_key, sizeof src);
    pthread_mutex_unlock(&jit->lock);
    if (!keyed) return 0;
    kj_sha256 s;
    kj_sha256_init(&s);
    kj_sha256_add(&s, "kjit names", 11);
    kj_sha256_add(&s, jit->build_id, sizeof jit->build_id);
    kj_sha256_add(&s, src, sizeof src);
    kj_sha256_done(&s, key);
    return 1;
}

/* The names a cached record holds, added to p: 1, or 0 if there is no
 * whole record (then the IR is read). */
static int names_cached(prepared *p, const uint8_t key[32], kjit_status *r) {
    size_t n;
    char *d = kj_objcache_get_raw(p->jit, key, &n);
    int whole = d && n >= 1 && d[0] == 'N';
    for (size_t i = 1; whole && i < n;) { /* (each record: a flag, a name, its NUL) */
        const char *end = i + 1 < n ? memchr(d + i + 1, 0, n - i - 1) : NULL;
        whole = (d[i] == '0' || d[i] == '1') && end;
        if (whole) i = (size_t)(end - d) + 1;
    }
    for (size_t i = 1; whole && i < n && *r == KJIT_OK; i += 2 + strlen(d + i + 1))
        *r = add_name(p, d + i + 1, d[i] == '1');
    free(d);
    return whole;
}

/* The JIT functions fn's IR names (each declaration in its unit), added to
 * p: those it calls, to be followed; those whose address it takes, to get
 * code only (the handler passes or stores them, and what calls them later
 * is not the handler: Lua's handler gives lstop to lua_sethook, and
 * lstop's calls reach the whole VM); and those a variable it reads holds
 * in its initializer (a table of functions: in the module, as the unit
 * declares the variable only), to be followed.  Its IR is generated again
 * for this (the code may have come from the code cache, which keeps none),
 * unless the cache has the names (names_rec). */
static kjit_status add_named(prepared *p, kj_fn *fn) {
    kjit *jit = p->jit;
    uint8_t key[32];
    int keyed = names_key(jit, fn, key);
    kjit_status r = KJIT_OK;
    if (keyed && names_cached(p, key, &r)) return r;
    if ((r = kj_llvm_ready(jit)) != KJIT_OK) return r;
    kj_unit u;
    first_compile(jit, fn, &u);
    char sym[256];
    if ((r = generate(jit, fn, fn->gen, fn->user, &u, sym)) != KJIT_OK) return kj_unit_discard(&u), r;
    names_rec nr = {0};
    names_add(&nr, "N", 1);
    for (LLVMValueRef f = LLVMGetFirstFunction(u.mod); f && r == KJIT_OK; f = LLVMGetNextFunction(f)) {
        if (!LLVMIsDeclaration(f) || LLVMGetIntrinsicID(f)) continue;
        size_t len;
        const char *name = LLVMGetValueName2(f, &len);
        if (strncmp(name, KJ_NS, sizeof KJ_NS - 1) == 0) name += sizeof KJ_NS - 1;
        int follow = called_in(f);
        names_keep(&nr, name, follow);
        r = add_name(p, name, follow);
    }
    for (LLVMValueRef g = LLVMGetFirstGlobal(u.mod); g && r == KJIT_OK && jit->modules_names_in;
         g = LLVMGetNextGlobal(g)) {
        if (!LLVMIsDeclaration(g)) continue;
        size_t len, n;
        char *names = jit->modules_names_in(jit, LLVMGetValueName2(g, &n), &len);
        for (size_t i = 0; i < len && r == KJIT_OK; i += strlen(names + i) + 1) {
            names_keep(&nr, names + i, 1);
            r = add_name(p, names + i, 1);
        }
        free(names);
    }
    kj_unit_discard(&u);
    if (keyed && r == KJIT_OK && !nr.failed) kj_objcache_put_raw(jit, key, nr.buf, nr.len);
    free(nr.buf);
    return r;
}

/* (on a stack large enough for LLVM: kj_trap_on_stack) */
static void prepare_all(void *arg) {
    prepared *p = arg;
    kjit *jit = p->jit;
    pthread_mutex_lock(&jit->compile_lock);
    if (prepared_add(p, p->start, 1) != 0) p->st = kj_set_error(KJIT_ENOMEM, "out of memory");
    /* (passes until one names nothing new: a function reached as a name
     * only may be found to be called after the pass went by it) */
    for (int named = 1; named && p->st == KJIT_OK;) {
        named = 0;
        for (size_t i = 0; i < p->n && p->st == KJIT_OK; i++) {
            kj_fn *fn = p->v[i].fn;
            pthread_mutex_lock(&jit->lock);
            int stub = fn->state == KJ_STUB && !atomic_load(&fn->t0);
            pthread_mutex_unlock(&jit->lock);
            void *target;
            if (stub && (p->st = kj_materialize(jit, fn, 1, &target)) != KJIT_OK) break;
            if (!p->v[i].follow || p->v[i].named) continue;
            p->v[i].named = named = 1;
            p->st = add_named(p, fn);
        }
    }
    pthread_mutex_unlock(&jit->compile_lock);
}

kjit_status kj_lazy_prepare(kjit *jit, void *addr) {
    prepared p = {.jit = jit, .st = KJIT_OK};
    /* Done already, and nothing defined since: nothing to do, and nothing
     * allocated (a handler that installs itself again, as System V's
     * signal wants, calls this from the handler). */
    uint64_t defs = 1 + atomic_load(&jit->stats.defined) + atomic_load(&jit->stats.redefined);
    int done = 0;
    pthread_mutex_lock(&jit->lock);
    for (size_t i = 0; i < jit->table_size && !p.start; i++) {
        kj_fn *fn = jit->table[i];
        if (fn && fn->stub.entry == addr && fn->gen && fn->state != KJ_HOST) p.start = fn;
    }
    if (p.start) done = p.start->prepared == defs;
    pthread_mutex_unlock(&jit->lock);
    if (!p.start || done) return KJIT_OK; /* (a host function, SIG_IGN...: nothing to make) */
    /* As a first call does (kj_resolve): a fork waits for this thread to
     * leave; errno and such as the caller left them. */
    kj_tier_enter(jit);
    kj_link_thread saved;
    kj_link_thread_save(&saved);
    kj_trap_on_stack(prepare_all, &p);
    if (p.st == KJIT_OK) { /* (those only given code have not had their closures made) */
        pthread_mutex_lock(&jit->lock);
        for (size_t i = 0; i < p.n; i++)
            if (p.v[i].named) p.v[i].fn->prepared = defs;
        pthread_mutex_unlock(&jit->lock);
    }
    kj_link_thread_restore(&saved);
    kj_tier_leave(jit);
    free(p.v);
    return p.st;
}
