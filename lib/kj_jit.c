/*
 * kj_jit.c — the API layer, at lib/'s top: the public API (kjit_*) —
 * creating and destroying a JIT, definitions and redefinitions, top-level
 * runs, tiers' requests, statistics.  Every stage of a function's life below
 * it has its own file (docs/DESIGN.md, "The pieces"; lib/LAYERS):
 *   kjit_address / a call from compiled code   → UNDEFINED, with a stub (pipeline/kj_fn.c)
 *   kjit_define_ex                             → STUB or T0 (here)
 *   first call                                 → code (tiers/kj_lazy.c) or T0 (tiers/kj_t0.c)
 *   hot                                        → T2 (tiers/kj_tier.c), loops by OSR (tiers/kj_osr.c)
 *   kjit_define again                          → old code retired (pipeline/kj_reclaim.c)
 * It wires the layers: kjit_create hands the machine the tiers' resolver and
 * the pipeline the safepoints' polls.  Only lib/modules is above it.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Target.h>

#include "base/kj_base.h"
#include "base/kj_cache.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"
#include "tiers/kj_tiers.h"
#include "kj_api.h"

void kjit_options_init(kjit_options *o) {
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->mode = KJIT_MODE_LAZY;
    o->opt_level = 2;
    o->verify = 1;
    o->hot_threshold = KJIT_DEFAULT_HOT;
    o->ahead = 1;
    o->cache = 1;
}

/* ---- names and signatures ---------------------------------------------- */

/* Names beginning "__kjit" are the JIT's own (implementation names, thunks);
 * "llvm." is LLVM's intrinsic namespace. */
static int valid_name(const char *name) {
    return name && name[0] && strncmp(name, "__kjit", 6) != 0 && strncmp(name, "llvm.", 5) != 0;
}

static int valid_sig(const char *sig) {
    if (sig && strcmp(sig, KJIT_SIG_ANY) == 0) return 1;
    if (!sig || !sig[0] || !strchr("dipv", sig[0]) || sig[1] != '(') return 0;
    size_t n = 0;
    const char *p = sig + 2;
    for (; *p && *p != ')'; p++, n++)
        if (!strchr("dip", *p) || n >= KJ_MAX_PARAMS) return 0;
    return p[0] == ')' && p[1] == 0;
}

/* ---- create / destroy ---------------------------------------------------- */

/* Whether a debugger (or strace) traces this process now: then JIT'd code
 * keeps frame pointers, so that gdb can walk through it. */
static int traced(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    int pid = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "TracerPid: %d", &pid) == 1) break;
    fclose(f);
    return pid != 0;
}

/* ---- fork ------------------------------------------------------------------
 *
 * The live JITs, so that a fork of the program (pthread_atfork, registered
 * once) can hold each one's compiler threads between jobs and make its
 * child whole (kj_tier.c, "fork"; kj_elf.c, kj_objcache.c).  The list's
 * lock is held from prepare to the end of the fork. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static kjit *live;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
/* The forking thread's signal mask before the fork: its signals are blocked
 * from prepare to parent and child, for a handler's first call would wait
 * for the locks the fork holds (a SIGCHLD handler, as the parent's fork
 * returned, hung: tests/ir/fork_sigchld.c). */
static sigset_t fork_mask;

static void fork_prepare(void) {
    sigset_t mask;
    kj_signals_block(&mask);
    pthread_mutex_lock(&live_lock);
    fork_mask = mask;
    for (kjit *j = live; j; j = j->fork_next) {
        kj_tier_fork_prepare(j);
        kj_objcache_fork_prepare(j);
    }
}

static void fork_parent(void) {
    for (kjit *j = live; j; j = j->fork_next) {
        kj_objcache_fork_parent(j);
        kj_tier_fork_parent(j);
    }
    sigset_t mask = fork_mask;
    pthread_mutex_unlock(&live_lock);
    kj_signals_restore(&mask);
}

static void fork_child(void) {
    for (kjit *j = live; j; j = j->fork_next) {
        kj_objcache_fork_child(j);
        kj_tier_fork_child(j);
    }
    sigset_t mask = fork_mask;
    pthread_mutex_unlock(&live_lock);
    kj_signals_restore(&mask);
}

static void fork_register(void) { (void)pthread_atfork(fork_prepare, fork_parent, fork_child); }

static void live_add(kjit *jit) {
    pthread_once(&fork_once, fork_register);
    pthread_mutex_lock(&live_lock);
    jit->fork_next = live;
    live = jit;
    pthread_mutex_unlock(&live_lock);
}

static void live_remove(kjit *jit) {
    pthread_mutex_lock(&live_lock);
    for (kjit **p = &live; *p; p = &(*p)->fork_next)
        if (*p == jit) {
            *p = jit->fork_next;
            break;
        }
    pthread_mutex_unlock(&live_lock);
}

kjit_status kjit_create(const kjit_options *opts, kjit **out) {
    if (!out) return kj_set_error(KJIT_EINVAL, "kjit_create: out is NULL");
    *out = NULL;
    kjit_options o;
    kjit_options_init(&o);
    const char *perf = getenv("KJIT_PERF");
    if (opts) {
        if (opts->size != sizeof o)
            return kj_set_error(KJIT_EVERSION, "kjit_options: size %zu, library expects %zu",
                                opts->size, sizeof o);
        o = *opts;
    }
    if (o.opt_level < 0 || o.opt_level > 3 || o.mode > KJIT_MODE_INTERP ||
        o.partition > KJIT_PARTITION_CALLEES || o.hot_threshold < 1 || o.compile_threads < 0 ||
        o.t1_codegen < 0 || o.t1_codegen > KJIT_T1_EARLY)
        return kj_set_error(KJIT_EINVAL, "kjit_options: bad opt_level, mode, partition, "
                                         "hot_threshold, compile_threads or t1_codegen");

    kjit *jit = calloc(1, sizeof *jit);
    if (!jit) return kj_set_error(KJIT_ENOMEM, "out of memory");
    if (perf && strcmp(perf, "1") == 0) o.perf_map = 1;
    const char *fp = getenv("KJIT_FRAME_POINTERS");
    if ((fp && strcmp(fp, "1") == 0) || traced()) o.frame_pointers = 1;
    const char *np = getenv("KJIT_NO_POLLS");
    if (np && strcmp(np, "1") == 0) o.no_polls = 1;
    const char *vf = getenv("KJIT_VERIFY");
    if (vf && strcmp(vf, "2") == 0 && o.verify < 2) o.verify = 2;
    const char *ah = getenv("KJIT_AHEAD");
    if (ah && (strcmp(ah, "0") == 0 || strcmp(ah, "1") == 0)) o.ahead = ah[0] == '1';
    jit->opts = o;
    /* KJIT_WORKSPACES=0: first compiles in contexts of their own, their IR
     * as bitcode between (the benchmarks' comparison; kj_compile.c). */
    const char *ws = getenv("KJIT_WORKSPACES");
    jit->ws_off = ws && strcmp(ws, "0") == 0;
    /* KJIT_EMITTERS=0: LLVM's code generation pipeline built for every
     * compile, as the C API does (the benchmarks compare). */
    const char *em = getenv("KJIT_EMITTERS");
    jit->emit_off = em && strcmp(em, "0") == 0;
    /* KJIT_OWN_LINK=0: objects from the cache linked by ORC, LLVM loaded
     * for them (the benchmarks compare; kj_elf.c). */
    const char *ol = getenv("KJIT_OWN_LINK");
    jit->own_link_off = ol && strcmp(ol, "0") == 0;
    /* KJIT_WARM_MARKS=0: only what was queued for T2 is marked at exit, not
     * what came near (the benchmarks compare; kj_tier.c, mark_queued). */
    const char *wm = getenv("KJIT_WARM_MARKS");
    jit->warm_marks_off = wm && strcmp(wm, "0") == 0;
    const char *ft = getenv("KJIT_FIRST_T2"); /* (the benchmarks compare) */
    jit->no_first_t2 = ft && strcmp(ft, "0") == 0;
    jit->created_us = kj_now_us();
    atomic_store(&jit->t1_early_left, KJ_T1_EARLY);
    const char *passes[3] = {NULL, o.t1_passes, o.t2_passes};
    for (int t = 1; t <= 2; t++) {
        if (!passes[t]) continue;
        if (kj_llvm_check_passes(passes[t]) != KJIT_OK) {
            char msg[KJ_ERRMSG_SIZE];
            snprintf(msg, sizeof msg, "%s", kjit_errmsg());
            free(jit->passes[1]);
            free(jit);
            return kj_set_error(KJIT_EINVAL, "kjit_options.t%d_passes: %s", t, msg);
        }
        if (!(jit->passes[t] = strdup(passes[t]))) goto oom;
    }
    jit->opts.t1_passes = jit->passes[1];
    jit->opts.t2_passes = jit->passes[2];
    /* A perf map that may not be written: the JIT runs without it, and
     * kjit_errmsg() says why ("" otherwise). */
    kj_set_error(KJIT_OK, "%s", "");
    if (o.perf_map && kj_perf_open() != 0) jit->opts.perf_map = 0;
    /* The code cache: likewise (kj_objcache.c). */
    const char *cache = getenv("KJIT_CACHE");
    if (cache && (strcmp(cache, "off") == 0 || strcmp(cache, "0") == 0)) jit->opts.cache = 0;
    kj_objcache_open(jit);
    jit->opts.cache_dir = NULL; /* the caller's string: used by the open only */
    pthread_mutex_init(&jit->compile_lock, NULL);
    pthread_mutex_init(&jit->llvm_lock, NULL);
    pthread_mutex_init(&jit->lock, NULL);
    pthread_mutex_init(&jit->mirror_lock, NULL);
    pthread_mutex_init(&jit->ws_lock, NULL);
    pthread_rwlock_init(&jit->def_lock, NULL);
    pthread_cond_init(&jit->t2_wake, NULL);
    pthread_cond_init(&jit->t2_idle, NULL);
    pthread_cond_init(&jit->gate, NULL);
    pthread_cond_init(&jit->ahead_wake, NULL);
    pthread_cond_init(&jit->ahead_done, NULL);
    jit->t2_level = o.opt_level > 2 ? o.opt_level : 2;
    /* Compiler threads: one per core beyond the program's own, at least one. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    jit->max_workers = o.compile_threads > 0 ? o.compile_threads : cores > 1 ? (int)cores - 1 : 1;
    if (jit->max_workers > KJ_MAX_WORKERS) jit->max_workers = KJ_MAX_WORKERS;
    jit->stubs = kj_stub_manager_new();
    if (!jit->stubs) goto oom;
    /* The layers below take what they call from above here: the
     * trampoline's resolver and the compiles' interrupt polls. */
    kj_stub_set_resolver(kj_lazy_resolve);
    jit->polls = kj_safepoint_polls;
    jit->poll_fn = kj_safepoint_poll;
    jit->hot_fn = kj_tier_hot;
    jit->osr_c_fn = kj_osr_c_poll;

    /* LLVM is loaded and set up at the first compile (kj_llvm.c). */
    live_add(jit);
    *out = jit;
    return KJIT_OK;
oom:
    kj_set_error(KJIT_ENOMEM, "out of memory");
    kjit_destroy(jit);
    return KJIT_ENOMEM;
}

static void release_definition(kj_fn *f) {
    free(atomic_exchange(&f->t0, NULL));
    if (f->release && f->user) f->release(f->user);
    f->user = NULL;
    f->release = NULL;
    f->gen = NULL;
    if (f->pending_mod) LLVMDisposeModule(f->pending_mod);
    f->pending_mod = NULL;
}

static void cache_close(kjit *jit);

/* Both run on a program thread (at its exit) and take kjit's locks: the
 * program's handled signals wait meanwhile, for a handler's first call
 * would wait for those locks (a 50 µs timer's handler hung 5 runs in 6 of
 * a warm run, interrupting mark_queued; kj_signals_hold). */
void kjit_stop_tiering(kjit *jit) {
    if (!jit) return;
    sigset_t mask;
    kj_signals_hold(&mask);
    kj_ahead_stop(jit);
    kj_tier_stop(jit);
    cache_close(jit);
    kj_signals_restore(&mask);
}

void kjit_stop_tiering_for_exit(kjit *jit) {
    if (!jit) return;
    if (!kj_llvm_exit_safe()) {
        kjit_stop_tiering(jit);
        return;
    }
    sigset_t mask;
    kj_signals_hold(&mask);
    kj_ahead_stop(jit); /* (its compiles are short: first compiles) */
    kj_tier_abandon(jit);
    atomic_store(&jit->cache_closed, 1); /* what a compile in flight makes */
    cache_close(jit);
    kj_signals_restore(&mask);
}

static void cache_close(kjit *jit) {
    /* A process that ends without kjit_destroy (a C program's exit) keeps
     * the cache within its bound here. */
    kj_objcache_flush(jit);
    uint64_t hits, misses, puts = 0, corrupt;
    if (jit->cache) kj_cache_counters(jit->cache, &hits, &misses, &puts, &corrupt);
    if (puts && !jit->forked) kj_cache_evict(jit->cache); /* (a forked child: its parent) */
}

void kjit_destroy(kjit *jit) {
    if (!jit) return;
    live_remove(jit);
    kj_ahead_stop(jit);
    kj_tier_stop(jit); /* no background compile runs past this point */
    /* Trackers must be released while the session still exists. */
    jit->tearing_down = 1; /* (the code freed below mirrors no function) */
    for (size_t i = 0; i < jit->table_size; i++) {
        for (kj_fn *f = jit->table[i], *next; f; f = next) {
            next = f->hash_next;
            release_definition(f);
            kj_code_drop(jit, f->code);
            kj_code_drop(jit, f->t2);
            kj_osr_drop(jit, f);
            for (kj_mirror *m = f->mirrors, *mn; m; m = mn) mn = m->next, free(m);
            free(f->name);
            free(f);
        }
    }
    for (kj_code *c = jit->retired, *next; c; c = next) {
        next = c->next_retired;
        kj_reclaim_free(jit, c, 0);
    }
    free(jit->table);
    kj_reclaim_free_all(jit);
    for (kj_code *c = jit->data, *next; c; c = next) {
        next = c->next_retired;
        kj_code_free_mem(jit, c->rt, c->elf);
        free(c);
    }
    if (jit->modules_free) jit->modules_free(jit);
    for (kj_global *g = jit->globals, *next; g; g = next) {
        next = g->next;
        free(g->name);
        free(g->mem);
        free(g);
    }
    kj_llvm_teardown(jit); /* after every pending module and tracker */
    kj_elf_syms_free(jit);
    kj_elf_arenas_free(jit);
    pthread_rwlock_destroy(&jit->def_lock);
    pthread_cond_destroy(&jit->t2_wake);
    pthread_cond_destroy(&jit->t2_idle);
    pthread_cond_destroy(&jit->gate);
    pthread_cond_destroy(&jit->ahead_wake);
    pthread_cond_destroy(&jit->ahead_done);
    kj_stub_manager_free(jit->stubs);
    pthread_mutex_destroy(&jit->llvm_lock);
    pthread_mutex_destroy(&jit->compile_lock);
    pthread_mutex_destroy(&jit->lock);
    pthread_mutex_destroy(&jit->mirror_lock);
    pthread_mutex_destroy(&jit->ws_lock);
    free(jit->passes[1]);
    free(jit->passes[2]);
    kj_objcache_close(jit);
    for (int t = 0; t < 3; t++) free(jit->transform_key[t]);
    free(jit);
}

/* ---- definitions ---------------------------------------------------------- */

/* Swap in a new definition of fn (locks held by the caller). */
static kjit_status redefine(kjit *jit, kj_fn *fn, const char *sig, kj_fn *saved) {
    if (fn->sig[0] && strcmp(fn->sig, sig) != 0)
        return kj_set_error(KJIT_ESIG, "'%s' is %s; cannot redefine it as %s", fn->name, fn->sig,
                            sig);
    /* Hand the old definition back: released outside the locks, or (a T0
     * entry, which may be running on another thread) retired by install()
     * once the new one is published. */
    saved->user = fn->user;
    saved->release = fn->release;
    saved->pending_mod = fn->pending_mod;
    fn->user = NULL;
    fn->release = NULL;
    fn->pending_mod = NULL;
    /* The old code may still be running on some thread: retire it. */
    kj_code_drop(jit, fn->code);
    kj_code_drop(jit, fn->t2);
    kj_osr_drop(jit, fn);
    if (fn->version > 0) fn->osr_c_off = 1; /* (old C frames: no continuations) */
    fn->code = fn->t2 = NULL;
    fn->tier = 0;
    fn->invalidated = 0;
    atomic_store(&fn->count, 0);
    if (fn->version > 0) {
        atomic_fetch_add(&jit->stats.redefined, 1);
        /* T2 bodies that inlined the old definition go back to T1.  (A first
         * definition cannot have been inlined: skip the walk.) */
        kj_tier_invalidate(jit, fn);
    }
    snprintf(fn->sig, sizeof fn->sig, "%s", sig);
    fn->version++;
    return KJIT_OK;
}

static kjit_status install_locked(kjit *jit, const char *name, const char *sig,
                                  kjit_generator gen, kjit_t0_fn t0, kjit_osr_generator osr,
                                  void *user, kjit_release release, void *host, kj_unit *pre);

/* Install a definition of `name`: a generator (gen, user, release) or, when
 * host is set, a host function.  The function keeps its stub; the old
 * definition is released outside the locks. */
static kjit_status install(kjit *jit, const char *name, const char *sig, kjit_generator gen,
                           kjit_t0_fn t0, kjit_osr_generator osr, void *user,
                           kjit_release release, void *host) {
    kj_tier_enter(jit);
    pthread_rwlock_wrlock(&jit->def_lock);
    pthread_mutex_lock(&jit->compile_lock);
    kjit_status st = install_locked(jit, name, sig, gen, t0, osr, user, release, host, NULL);
    pthread_mutex_unlock(&jit->compile_lock);
    pthread_rwlock_unlock(&jit->def_lock);
    kj_tier_leave(jit);
    return st;
}

/* install(), with def_lock (for writing) and compile_lock held.  pre: the
 * new body, compiled already (kj_lazy_precompile): the stub goes from the
 * old code straight to it. */
static kjit_status install_locked(kjit *jit, const char *name, const char *sig,
                                  kjit_generator gen, kjit_t0_fn t0, kjit_osr_generator osr,
                                  void *user, kjit_release release, void *host, kj_unit *pre) {
    kj_t0def *d = NULL;
    if (t0 && (kj_uses_t0(jit) || !gen)) {
        if (!(d = calloc(1, sizeof *d))) return kj_set_error(KJIT_ENOMEM, "out of memory");
        d->fn = t0;
        d->user = user;
        d->nparams = (int)strlen(sig) - 3;
    }
    kj_code *code = pre ? kj_code_new(pre, NULL, 1) : NULL;
    if (pre && !code) {
        kj_code_free_mem(jit, pre->rt, pre->elf);
        kj_gdb_unregister(pre->gdb);
        free(d);
        return kj_set_error(KJIT_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_lookup_or_add(jit, name);
    kj_fn old = {0};
    kjit_status st = fn ? redefine(jit, fn, sig, &old)
                        : kj_set_error(KJIT_ENOMEM, "out of memory for the stub of '%s'", name);
    if (st != KJIT_OK && code) { /* (fn was looked up before: cannot fail now) */
        code->users = 0;
        kj_reclaim_retire(jit, code);
        code = NULL;
    }
    if (st == KJIT_OK) {
        fn->gen = gen;
        fn->src_keyed = 0; /* (kj_fn_set_source_key, for this one) */
        fn->t1_keyed = fn->hot_marked = 0;
        fn->osr_gen = d ? osr : NULL;
        fn->user = user;
        fn->release = release;
        fn->state = host ? KJ_HOST : code ? KJ_COMPILED : KJ_STUB;
        if (d) {
            d->sig = fn->sig;
            d->version = fn->version;
        }
        /* One exchange: a caller reading fn->t0 without the lock sees the
         * old definition or the new one, never none in between. */
        kj_t0def *was = atomic_exchange(&fn->t0, d);
        d = NULL;
        kj_code *c = was ? calloc(1, sizeof *c) : NULL;
        if (c) { /* the old T0 entry and its user data, at quiescence */
            c->t0 = was;
            c->user = old.user;
            c->release = old.release;
            old.user = NULL;
            kj_reclaim_retire(jit, c);
        } else {
            free(was); /* (no memory: release now, as before T0 existed) */
        }
        if (code) {
            fn->code = code;
            if (pre->instrument) {
                fn->tier = 1;
                fn->t1_addr = pre->addr;
                atomic_fetch_add(&jit->stats.compiled_t1, 1);
                atomic_fetch_add(&jit->stats.t1_us, pre->us);
            }
            atomic_fetch_add(&jit->stats.compiled, 1);
        }
        kj_fn_point(fn, host ? host : code ? pre->addr : fn->stub.lazy);
        atomic_fetch_add(&jit->stats.defined, 1);
        kj_trace(jit, fn->version > 1 ? KJIT_EV_REDEFINED : KJIT_EV_DEFINED, name, NULL, 0, 0, 0,
                 NULL);
        if (code)
            kj_trace(jit, KJIT_EV_COMPILED, name, pre->tier ? pre->tier : "compiled",
                     kj_now_us() - pre->us, pre->us, pre->bytes, NULL);
    }
    pthread_mutex_unlock(&jit->lock);
    /* lazy-ir generates at definition, eager also compiles; lazy and tiered
     * wait for the first call. */
    kjit_mode m = jit->opts.mode;
    if (st == KJIT_OK && !host && !code && !kj_defer_compile &&
        (m == KJIT_MODE_LAZY_IR || m == KJIT_MODE_EAGER)) {
        void *target;
        st = kj_materialize(jit, fn, m == KJIT_MODE_EAGER, &target);
    }
    free(d); /* refused */
    release_definition(&old);
    return st;
}

_Thread_local int kj_defer_compile;

kjit_status kj_redefine_compiled(kjit *jit, const char *name, kjit_generator gen, void *user,
                                 kjit_release release) {
    if (!valid_name(name)) return kjit_define(jit, name, KJIT_SIG_ANY, gen, user, release);
    kj_tier_enter(jit);
    pthread_rwlock_wrlock(&jit->def_lock);
    pthread_mutex_lock(&jit->compile_lock);
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_find(jit, name);
    if (fn) kj_ahead_wait(jit, fn); /* (past def_lock already: it ends) */
    /* Only a body that was called (compiled) is worth compiling now; T0
     * entries and host functions are installed as they are. */
    int now = fn && fn->state == KJ_COMPILED && !atomic_load(&fn->t0) &&
              strcmp(fn->sig, KJIT_SIG_ANY) == 0 && jit->opts.mode != KJIT_MODE_INTERP;
    pthread_mutex_unlock(&jit->lock);
    kj_unit u = {0};
    char sym[256];
    kj_unit *pre = NULL;
    /* (A failed compile is counted; the definition is installed as it is,
     * and its first call tries again and says why.) */
    if (now && kj_lazy_precompile(jit, fn, gen, user, &u, sym) == KJIT_OK) pre = &u;
    kjit_status st =
        install_locked(jit, name, KJIT_SIG_ANY, gen, NULL, NULL, user, release, NULL, pre);
    pthread_mutex_unlock(&jit->compile_lock);
    pthread_rwlock_unlock(&jit->def_lock);
    kj_tier_leave(jit);
    return st;
}

kjit_status kj_define_now(kjit *jit, const char *name) {
    kjit_mode m = jit->opts.mode;
    if (m != KJIT_MODE_LAZY_IR && m != KJIT_MODE_EAGER) return KJIT_OK;
    kj_tier_enter(jit);
    pthread_mutex_lock(&jit->compile_lock);
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_find(jit, name);
    int pending = fn && fn->state == KJ_STUB && !fn->pending_mod;
    pthread_mutex_unlock(&jit->lock);
    void *target;
    kjit_status st = pending ? kj_materialize(jit, fn, m == KJIT_MODE_EAGER, &target) : KJIT_OK;
    pthread_mutex_unlock(&jit->compile_lock);
    kj_tier_leave(jit);
    return st;
}

/* The JIT, name and signature a definition call was given: KJIT_OK, or
 * KJIT_EINVAL with a message that says which argument is wrong and why. */
static kjit_status check_args(const char *call, kjit *jit, const char *name, const char *sig) {
    if (!jit) return kj_set_error(KJIT_EINVAL, "%s: the JIT is NULL", call);
    if (!name || !name[0]) return kj_set_error(KJIT_EINVAL, "%s: the name is NULL or empty", call);
    if (!valid_name(name))
        return kj_set_error(KJIT_EINVAL,
                            "%s: the name '%s' is reserved (names may not begin with "
                            "\"__kjit\" or \"llvm.\")",
                            call, name);
    if (sig && !valid_sig(sig))
        return kj_set_error(KJIT_EINVAL,
                            "%s: the signature '%s' of '%s' is malformed (a return type d, i, p "
                            "or v, then at most %d parameter types d, i or p in parentheses, "
                            "e.g. \"d(dd)\"; or \"*\" for any LLVM type)",
                            call, sig, name, KJ_MAX_PARAMS);
    return KJIT_OK;
}

kjit_status kjit_define(kjit *jit, const char *name, const char *sig, kjit_generator gen,
                        void *user, kjit_release release) {
    kjit_status st = check_args("kjit_define", jit, name, sig ? sig : "");
    if (st != KJIT_OK) return st;
    if (!gen) return kj_set_error(KJIT_EINVAL, "kjit_define: the generator of '%s' is NULL", name);
    return install(jit, name, sig, gen, NULL, NULL, user, release, NULL);
}

void kjit_def_init(kjit_def *d) {
    memset(d, 0, sizeof *d);
    d->size = sizeof *d;
}

kjit_status kjit_define_ex(kjit *jit, const char *name, const kjit_def *d) {
    if (!d || d->size != sizeof *d)
        return kj_set_error(KJIT_EINVAL, "kjit_define_ex: the kjit_def is NULL or was not set "
                                         "up by kjit_def_init (its size field)");
    kjit_status st = check_args("kjit_define_ex", jit, name, d->sig ? d->sig : "");
    if (st != KJIT_OK) return st;
    if (!d->gen && !d->t0)
        return kj_set_error(KJIT_EINVAL, "kjit_define_ex: '%s' has neither a generator nor a "
                                         "T0 entry", name);
    if (d->t0 && strcmp(d->sig, KJIT_SIG_ANY) == 0)
        return kj_set_error(KJIT_EINVAL, "kjit_define_ex: '%s' has a T0 entry, which needs a "
                                         "signature to unpack its arguments, not \"*\"", name);
    st = install(jit, name, d->sig, d->gen, d->t0, d->osr, d->user, d->release, NULL);
    if (st == KJIT_OK && d->source && jit->cache) {
        uint8_t key[32];
        kj_objcache_source_key(d->source, d->source_len, name, key);
        kj_fn_set_source_key(jit, name, d->user, key);
        /* Hot in an earlier run: T2 now, before its first call. */
        if (jit->opts.mode == KJIT_MODE_TIERED && d->gen && kj_objcache_was_hot(jit, key) == 2) {
            kj_tier_enter(jit); /* (its T2 compile takes def_lock on this thread) */
            kj_tier_start_hot(jit, name);
            kj_tier_leave(jit);
        }
    }
    return st;
}

/* kj_fn_lookup_or_add under lock, with the asynchronous signals blocked
 * meanwhile: a handler that interrupted it and called into kjit (a first
 * call, kjit_address) would wait for lock, held by its own thread. */
static kj_fn *lookup_or_add(kjit *jit, const char *name) {
    sigset_t mask;
    kj_signals_block(&mask);
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_lookup_or_add(jit, name);
    pthread_mutex_unlock(&jit->lock);
    kj_signals_restore(&mask);
    return fn;
}

kjit_fn *kjit_fn_get(kjit *jit, const char *name) {
    if (!jit || !valid_name(name)) {
        kj_set_error(KJIT_EINVAL, "kjit_fn_get: bad name");
        return NULL;
    }
    kj_fn *fn = lookup_or_add(jit, name);
    if (!fn) kj_set_error(KJIT_ENOMEM, "out of memory for the stub of '%s'", name);
    return (kjit_fn *)fn;
}

kjit_status kjit_define_host(kjit *jit, const char *name, const char *sig, void *addr) {
    kjit_status st = check_args("kjit_define_host", jit, name, sig ? sig : "");
    if (st != KJIT_OK) return st;
    if (!addr) return kj_set_error(KJIT_EINVAL, "kjit_define_host: the address of '%s' is NULL", name);
    st = install(jit, name, sig, NULL, NULL, NULL, NULL, NULL, addr);
    if (st == KJIT_OK) atomic_fetch_add(&jit->stats.hosts, 1);
    return st;
}

kjit_status kjit_declare_host(kjit *jit, const char *name, const char *sig) {
    kjit_status cst = check_args("kjit_declare_host", jit, name, sig ? sig : "");
    if (cst != KJIT_OK) return cst;
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_lookup_or_add(jit, name);
    kjit_status st = KJIT_OK;
    if (!fn) {
        st = kj_set_error(KJIT_ENOMEM, "out of memory for the stub of '%s'", name);
    } else if (fn->sig[0] && strcmp(fn->sig, sig) != 0) {
        st = kj_set_error(KJIT_ESIG, "'%s' is %s; cannot declare it as %s", name, fn->sig, sig);
    } else if (fn->state == KJ_UNDEFINED) {
        fn->host_ok = 1; /* a definition, if one comes, still wins */
        snprintf(fn->sig, sizeof fn->sig, "%s", sig);
    }
    pthread_mutex_unlock(&jit->lock);
    return st;
}

/* Before a T2 compile outside tiered mode (caller holds lock): a compiled
 * body acts as T1, where an invalidation goes back to. */
static void body_as_t1(kj_fn *fn) {
    if (fn->state == KJ_COMPILED && fn->tier == 0) {
        fn->tier = 1;
        fn->t1_addr = kj_stub_target(fn->stub.slot);
    }
}

kjit_status kjit_prepare(kjit *jit, void *addr) {
    if (!jit) return kj_set_error(KJIT_EINVAL, "kjit_prepare: no JIT");
    return addr ? kj_lazy_prepare(jit, addr) : KJIT_OK;
}

kjit_status kjit_optimize(kjit *jit, const char *name) {
    if (!jit || !valid_name(name)) return kj_set_error(KJIT_EINVAL, "kjit_optimize: bad name");
    kj_tier_enter(jit);
    pthread_mutex_lock(&jit->compile_lock);
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_find(jit, name);
    if (fn) kj_ahead_wait(jit, fn);
    kj_state st = fn ? fn->state : KJ_UNDEFINED;
    pthread_mutex_unlock(&jit->lock);
    kjit_status r = KJIT_OK;
    if (st == KJ_UNDEFINED || st == KJ_HOST) {
        r = kj_set_error(KJIT_EINVAL, "'%s' is not a function the JIT compiles", name);
    } else if (st == KJ_STUB) {
        void *target; /* NULL: it runs at T0, and is queued from there */
        r = kj_materialize(jit, fn, 1, &target);
    }
    if (r == KJIT_OK) {
        pthread_mutex_lock(&jit->lock);
        body_as_t1(fn);
        kj_tier_enqueue(jit, fn);
        pthread_mutex_unlock(&jit->lock);
    }
    pthread_mutex_unlock(&jit->compile_lock);
    kj_tier_leave(jit);
    if (r == KJIT_OK && jit->opts.t2_sync) kj_tier_drain(jit);
    return r;
}

kjit_status kjit_set_transform(kjit *jit, int tier, kjit_transform fn, void *user) {
    if (!jit || tier < 1 || tier > 2)
        return kj_set_error(KJIT_EINVAL, "kjit_set_transform: the tier must be 1 or 2");
    /* A new transformation is not the one the key named. */
    pthread_mutex_lock(&jit->lock);
    free(jit->transform_key[tier]);
    jit->transform_key[tier] = NULL;
    pthread_mutex_unlock(&jit->lock);
    atomic_store(&jit->transform_user[tier], user);
    atomic_store(&jit->transform[tier], fn);
    return KJIT_OK;
}

kjit_status kjit_set_transform_key(kjit *jit, int tier, const char *key) {
    if (!jit || tier < 1 || tier > 2)
        return kj_set_error(KJIT_EINVAL, "kjit_set_transform_key: the tier must be 1 or 2");
    char *k = key ? strdup(key) : NULL;
    if (key && !k) return kj_set_error(KJIT_ENOMEM, "out of memory");
    pthread_mutex_lock(&jit->lock);
    free(jit->transform_key[tier]);
    jit->transform_key[tier] = k;
    pthread_mutex_unlock(&jit->lock);
    return KJIT_OK;
}

static kj_cache *open_cache(const char *dir, kjit_cache_info *info) {
    char why[512] = "";
    if (kj_cache_dir(dir, info->dir, sizeof info->dir) != 0) {
        kj_set_error(KJIT_EINVAL, "no cache directory: HOME is not set");
        return NULL;
    }
    kj_cache *c = kj_cache_open(dir, 0, why, sizeof why);
    if (!c) kj_set_error(KJIT_EINVAL, "%s", why);
    return c;
}

kjit_status kjit_cache_info_get(const char *dir, kjit_cache_info *out) {
    if (!out) return kj_set_error(KJIT_EINVAL, "kjit_cache_info_get: no output");
    memset(out, 0, sizeof *out);
    kj_cache *c = open_cache(dir, out);
    if (!c) return KJIT_EINVAL;
    kj_cache_stats st;
    int r = kj_cache_scan(c, &st);
    kj_cache_close(c);
    if (r != 0) return kj_set_error(KJIT_EINVAL, "cannot read the cache directory %s", out->dir);
    out->entries = st.entries;
    out->bytes = st.bytes;
    out->max_bytes = st.max_bytes;
    return KJIT_OK;
}

kjit_status kjit_cache_clear(const char *dir, uint64_t *removed) {
    kjit_cache_info info;
    kj_cache *c = open_cache(dir, &info);
    if (!c) return KJIT_EINVAL;
    int n = kj_cache_clear(c);
    kj_cache_close(c);
    if (n < 0) return kj_set_error(KJIT_EINVAL, "cannot clear the cache directory %s", info.dir);
    if (removed) *removed = (uint64_t)n;
    return KJIT_OK;
}

struct kjit_store {
    kj_cache *cache;
};

/* A store key: the client's bytes after a prefix no compiled code's key
 * has (those hash their own fields, kj_objcache.c). */
static void store_key(const void *key, size_t keylen, uint8_t out[32]) {
    static const char domain[] = "kjit_store 1";
    kj_sha256 h;
    kj_sha256_init(&h);
    kj_sha256_add(&h, domain, sizeof domain);
    kj_sha256_add(&h, key, keylen);
    kj_sha256_done(&h, out);
}

kjit_store *kjit_store_open(const kjit_options *opts) {
    kjit_options o;
    if (opts) o = *opts;
    else kjit_options_init(&o);
    const char *env = getenv("KJIT_CACHE");
    kj_set_error(KJIT_OK, "%s", "");
    if (!o.cache || (env && (strcmp(env, "off") == 0 || strcmp(env, "0") == 0))) return NULL;
    char why[512] = "";
    kj_cache *c = kj_cache_open(o.cache_dir, o.cache_max_bytes, why, sizeof why);
    if (!c) {
        kj_set_error(KJIT_EINVAL, "%s", why);
        return NULL;
    }
    kjit_store *s = malloc(sizeof *s);
    if (!s) {
        kj_cache_close(c);
        kj_set_error(KJIT_ENOMEM, "out of memory");
        return NULL;
    }
    s->cache = c;
    return s;
}

void *kjit_store_get(kjit_store *s, const void *key, size_t keylen, size_t *size) {
    if (!s || !key || !size) return NULL;
    uint8_t k[32];
    store_key(key, keylen, k);
    return kj_cache_get(s->cache, k, size);
}

kjit_status kjit_store_put(kjit_store *s, const void *key, size_t keylen, const void *data,
                           size_t size) {
    if (!s || !key || (!data && size)) return kj_set_error(KJIT_EINVAL, "kjit_store_put: no store, key or data");
    uint8_t k[32];
    store_key(key, keylen, k);
    char why[512] = "";
    if (kj_cache_put(s->cache, k, data, size, why, sizeof why) != 0)
        return kj_set_error(KJIT_EINVAL, "%s", why);
    return KJIT_OK;
}

void kjit_store_close(kjit_store *s) {
    if (!s) return;
    kj_cache_close(s->cache);
    free(s);
}

const char *kjit_cache_warning(kjit *jit) {
    return jit && atomic_load(&jit->cache_failed) ? jit->cache_why : NULL;
}

kjit_status kjit_recompile(kjit *jit, const char *name, int tier) {
    if (!jit || !valid_name(name) || tier < 1 || tier > 2)
        return kj_set_error(KJIT_EINVAL, "kjit_recompile: bad name or tier (1 or 2)");
    kj_tier_enter(jit); /* (before LLVM's set-up, which holds llvm_lock) */
    kjit_status r = kj_llvm_ready(jit);
    if (r != KJIT_OK) return kj_tier_leave(jit), r;
    pthread_mutex_lock(&jit->compile_lock);
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_find(jit, name);
    if (fn) kj_ahead_wait(jit, fn);
    kj_state st = fn ? fn->state : KJ_UNDEFINED;
    if (st == KJ_UNDEFINED || st == KJ_HOST || !fn->gen) {
        pthread_mutex_unlock(&jit->lock);
        pthread_mutex_unlock(&jit->compile_lock);
        kj_tier_leave(jit);
        return kj_set_error(KJIT_EINVAL, "'%s' is not a function the JIT compiles", name);
    }
    if (tier == 1 && st == KJ_COMPILED) {
        /* Back to its stub (its code retires), then compiled as at a first
         * call; callers meanwhile wait on compile_lock in the lazy path. */
        kj_fn_point(fn, fn->stub.lazy);
        kj_code_drop(jit, fn->code);
        kj_code_drop(jit, fn->t2);
        fn->code = fn->t2 = NULL;
        fn->tier = 0;
        fn->state = KJ_STUB;
        kj_tier_invalidate(jit, fn);
        st = KJ_STUB;
    }
    pthread_mutex_unlock(&jit->lock);
    void *target;
    if (st == KJ_STUB && !atomic_load(&fn->t0)) r = kj_materialize(jit, fn, 1, &target);
    if (r == KJIT_OK && tier == 2) {
        pthread_mutex_lock(&jit->lock);
        body_as_t1(fn);
        pthread_mutex_unlock(&jit->lock);
    }
    pthread_mutex_unlock(&jit->compile_lock);
    if (r == KJIT_OK && tier == 2 && kj_tier_compile_now(jit, fn, 0) != 0) {
        char msg[KJ_ERRMSG_SIZE];
        snprintf(msg, sizeof msg, "%s", kjit_errmsg());
        r = kj_set_error(KJIT_ECOMPILE, "cannot recompile '%s': %s", name, msg);
    }
    kj_tier_leave(jit);
    return r;
}

kjit_status kjit_cache_finish(kjit *jit, unsigned *compiled) {
    if (compiled) *compiled = 0;
    if (!jit) return kj_set_error(KJIT_EINVAL, "kjit_cache_finish: no JIT");
    if (!jit->cache)
        return kj_set_error(KJIT_EINVAL, "kjit_cache_finish: the code cache is off (turned off, "
                                         "or its directory could not be used)");
    if (jit->opts.mode != KJIT_MODE_TIERED)
        return kj_set_error(KJIT_EINVAL, "kjit_cache_finish: needs tiered mode");
    /* One at a time per cache: runs that end while one works start others,
     * which end here (what they would do, it does or the next one will). */
    int held = kj_cache_lock(jit->cache, "finish.lock");
    if (held < 0) return KJIT_OK;
    /* The functions an earlier run compiled, as they are now (none runs). */
    pthread_mutex_lock(&jit->lock);
    size_t n = 0, cap = 0;
    kj_fn **v = NULL;
    for (size_t b = 0; b < jit->table_size; b++)
        for (kj_fn *f = jit->table[b]; f; f = f->hash_next) {
            if (!f->gen || !f->src_keyed || f->tier >= 2 || atomic_load(&f->t0) ||
                (f->state != KJ_STUB && f->state != KJ_COMPILED))
                continue;
            if (n == cap) {
                kj_fn **w = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof *v);
                if (!w) break;
                v = w;
            }
            v[n++] = f;
        }
    pthread_mutex_unlock(&jit->lock);
    /* At T2 (kept, and marked for the next run to start there): what was
     * queued for T2 when a run ended, and what runs compiled at -O0. */
    kjit_status first = KJIT_OK;
    char msg[KJ_ERRMSG_SIZE] = "";
    for (size_t i = 0; i < n; i++) {
        int hot = kj_objcache_was_hot(jit, v[i]->src_key);
        if (hot == 2 || (hot == 0 && !kj_lazy_t1_cached(jit, v[i]))) continue;
        jit->finish_pre_only = hot == 0; /* (t2_compile, on this thread) */
        unsigned skipped = jit->finish_skipped;
        kjit_status r = kjit_recompile(jit, v[i]->name, 2);
        jit->finish_pre_only = 0;
        if (jit->finish_skipped != skipped) continue; /* (not an error) */
        if (r == KJIT_OK && compiled) (*compiled)++;
        if (r != KJIT_OK && first == KJIT_OK) {
            first = r;
            snprintf(msg, sizeof msg, "%s", kjit_errmsg());
        }
    }
    free(v);
    kj_objcache_flush(jit); /* (the bundle: written now) */
    close(held);
    return first == KJIT_OK ? KJIT_OK : kj_set_error(first, "%s", msg);
}

unsigned kjit_cache_unfinished(kjit *jit) {
    return jit && jit->cache ? atomic_load(&jit->unfinished) : 0;
}

void kjit_drain(kjit *jit) {
    if (jit) kj_tier_drain(jit);
}

const char *kjit_status_name(kjit_status st) {
    static const char *const names[] = {"KJIT_OK",      "KJIT_EINVAL",   "KJIT_ENOMEM",
                                        "KJIT_ESIG",    "KJIT_EGEN",     "KJIT_ECOMPILE",
                                        "KJIT_EUNDEF",  "KJIT_ERUNTIME", "KJIT_EVERSION",
                                        "KJIT_EINTR"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

const char *kjit_fn_state_name(kjit_fn_state s) {
    static const char *const names[] = {"undefined", "stub", "host", "compiled", "T1",
                                        "queued",    "T2",   "invalidated", "T0"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

kjit_status kjit_fn_info_get(kjit *jit, const char *name, kjit_fn_info *out) {
    if (!jit || !name || !out) return kj_set_error(KJIT_EINVAL, "kjit_fn_info_get: bad argument");
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_find(jit, name);
    if (fn) {
        static const kjit_fn_state base[] = {
            [KJ_UNDEFINED] = KJIT_FN_UNDEFINED, [KJ_STUB] = KJIT_FN_STUB,
            [KJ_COMPILING] = KJIT_FN_STUB, [KJ_COMPILED] = KJIT_FN_COMPILED,
            [KJ_HOST] = KJIT_FN_HOST};
        out->state = base[fn->state];
        if (fn->state == KJ_STUB && atomic_load(&fn->t0))
            out->state = fn->queued ? KJIT_FN_QUEUED : fn->invalidated ? KJIT_FN_INVALIDATED
                                                                       : KJIT_FN_T0;
        if (fn->state == KJ_COMPILED && fn->tier > 0)
            out->state = fn->queued        ? KJIT_FN_QUEUED
                         : fn->tier == 2   ? KJIT_FN_T2
                         : fn->invalidated ? KJIT_FN_INVALIDATED
                                           : KJIT_FN_T1;
        out->count = atomic_load(&fn->count);
        out->version = fn->version;
        snprintf(out->sig, sizeof out->sig, "%s", fn->sig);
    }
    pthread_mutex_unlock(&jit->lock);
    return fn ? KJIT_OK : kj_set_error(KJIT_EINVAL, "no function '%s'", name);
}

void *kjit_address(kjit *jit, const char *name) {
    if (!jit || !valid_name(name)) {
        kj_set_error(KJIT_EINVAL, "kjit_address: bad name");
        return NULL;
    }
    kj_fn *fn = lookup_or_add(jit, name);
    if (!fn) {
        kj_set_error(KJIT_ENOMEM, "out of memory for the stub of '%s'", name);
        return NULL;
    }
    return fn->stub.entry;
}

void *kjit_global(kjit *jit, const char *name, size_t size) {
    if (!jit || !valid_name(name) || size == 0) {
        kj_set_error(KJIT_EINVAL, "kjit_global: bad name or size");
        return NULL;
    }
    void *mem = NULL;
    pthread_mutex_lock(&jit->lock);
    kj_global *g = jit->globals;
    while (g && strcmp(g->name, name) != 0) g = g->next;
    if (g) {
        if (g->size == size)
            mem = g->mem;
        else
            kj_set_error(KJIT_EINVAL, "global '%s' has %zu bytes, not %zu", name, g->size, size);
    } else if (kj_fn_find(jit, name)) {
        kj_set_error(KJIT_EINVAL, "'%s' is a function", name);
    } else if ((g = calloc(1, sizeof *g)) && (g->name = strdup(name)) &&
               (g->mem = calloc(1, size < 16 ? 16 : size))) {
        /* Defined in the JITDylib now if LLVM is set up, else when it is. */
        if (kj_llvm_define_global(jit, g) == KJIT_OK) {
            g->size = size;
            g->next = jit->globals;
            jit->globals = g;
            mem = g->mem;
            g = NULL;
        }
    } else {
        kj_set_error(KJIT_ENOMEM, "out of memory");
    }
    if (g && !mem) { /* a record that did not make it */
        free(g->mem);
        free(g->name);
        free(g);
    }
    pthread_mutex_unlock(&jit->lock);
    return mem;
}

void *kjit_host_symbol(kjit *jit, const char *name) {
    (void)jit;
    return name ? dlsym(RTLD_DEFAULT, name) : NULL;
}

/* ---- top-level thunks ----------------------------------------------------- */

static kjit_value call_thunk(void *thunk) {
    kjit_value v = {0};
    uint64_t bits = ((uint64_t(*)(void))thunk)(); /* the integer return register */
    memcpy(&v, &bits, 8);
    return v;
}

static kjit_value call_thunk_d(void *thunk) {
    return (kjit_value){.d = ((double (*)(void))thunk)()};
}

typedef struct t0_run {
    kjit_t0_fn fn;
    void *user;
} t0_run;

static kjit_value call_t0(void *p) {
    t0_run *r = p;
    kj_act act; /* a top-level T0 frame */
    kj_trap_act_enter(&act, NULL, (uintptr_t)__builtin_frame_address(0));
    kjit_value v = r->fn(r->user, NULL);
    kj_trap_act_leave(&act);
    return v;
}

/* ---- the frames of a run-time error ---------------------------------------- */

#define KJ_MAX_FRAMES (2 * KJ_RAW_KEEP + 64)
typedef struct kj_frames {
    kjit_frame f[KJ_MAX_FRAMES];
    int n;
    size_t used;
    char strs[16384];        /* the names the frames point at */
} kj_frames;

static _Thread_local kj_frames *tls_frames;
static pthread_key_t frames_key;
static pthread_once_t frames_once = PTHREAD_ONCE_INIT;
static void frames_key_make(void) { pthread_key_create(&frames_key, free); }

static const char *frames_str(kj_frames *fs, const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    if (n > sizeof fs->strs - fs->used) return "?";
    char *p = memcpy(fs->strs + fs->used, s, n);
    fs->used += n;
    return p;
}

static void frames_add(void *ctx, const char *function, const char *file, unsigned line,
                       unsigned col) {
    kj_frames *fs = ctx;
    if (fs->n == KJ_MAX_FRAMES) return;
    kjit_frame *f = &fs->f[fs->n++];
    f->function = function && function[0] ? frames_str(fs, function) : NULL;
    f->pos.file = file && file[0] && line ? frames_str(fs, file) : NULL;
    f->pos.line = f->pos.file ? line : 0;
    f->pos.col = f->pos.file ? col : 0;
    f->omitted = 0;
}

/* Name the frames kj_trap recorded, while their code cannot be freed (the
 * thread is still a participant). */
static void name_frames(void) {
    pthread_once(&frames_once, frames_key_make);
    if (!tls_frames) {
        tls_frames = malloc(sizeof *tls_frames);
        if (!tls_frames) return;
        pthread_setspecific(frames_key, tls_frames);
    }
    kj_frames *fs = tls_frames;
    fs->n = 0;
    fs->used = 0;
    size_t omitted;
    const kj_raw *raw;
    size_t n = kj_trap_frames(&raw, &omitted);
    for (size_t i = 0; i < n; i++) {
        if (raw[i].act) {
            const kj_fn *fn = raw[i].who;
            const kjit_frame *last = fs->n ? &fs->f[fs->n - 1] : NULL;
            /* A T0 activation that entered OSR code at a back-edge is the
             * OSR frame just named: not another frame. */
            int osr = !raw[i].pos.line && last && i > 0 && !raw[i - 1].act &&
                      (fn ? last->function && strcmp(last->function, fn->name) == 0
                          : !last->function);
            if (!osr)
                frames_add(fs, fn ? fn->name : NULL, raw[i].pos.file, raw[i].pos.line,
                           raw[i].pos.col);
        } else {
            kj_gdb_where(raw[i].pc, frames_add, fs);
        }
        if (i + 1 == KJ_RAW_KEEP && omitted && fs->n) fs->f[fs->n - 1].omitted = (unsigned)omitted;
    }
}

int kjit_error_frames(const kjit_frame **frames) {
    if (!tls_frames) {
        *frames = NULL;
        return 0;
    }
    *frames = tls_frames->f;
    return tls_frames->n;
}

/* Run body(ctx) as a top-level run: a participant, protected. */
static kjit_status run_protected(kjit *jit, kjit_value (*body)(void *), void *ctx,
                                 kjit_value *result) {
    atomic_fetch_add(&jit->stats.toplevel_run, 1);
    kj_reclaim_enter(jit);
    if (tls_frames) tls_frames->n = 0;
    kj_t0def *current = kj_t0_current(); /* an error may leave T0 frames by longjmp */
    kjit_status st = kj_trap_run(body, ctx, result);
    kj_t0_set_current(current);
    if (st != KJIT_OK) { /* a run-time error: the run was abandoned */
        name_frames();
        kj_trap_report(jit, st, kj_trap_message());
    }
    kj_reclaim_leave(jit); /* a quiescent point: replaced code may be freed */
    return st;
}

static kjit_status run_ex(kjit *jit, const kjit_def *d, kjit_value *result);

kjit_status kjit_run_ex(kjit *jit, const kjit_def *d, kjit_value *result) {
    if (!jit || !d || d->size != sizeof *d || !result || !valid_sig(d->sig) || d->sig[2] != ')' ||
        !(d->gen || d->t0))
        return kj_set_error(KJIT_EINVAL, "kjit_run: bad argument");
    /* An interrupt asked for while nothing ran is not this run's; one asked
     * for from here on is, even while the thunk is still being compiled. */
    static _Thread_local int depth;
    if (depth++ == 0) atomic_store(&jit->interrupt, 0);
    kjit_status st = run_ex(jit, d, result);
    depth--;
    return st;
}

static kjit_status run_ex(kjit *jit, const kjit_def *d, kjit_value *result) {
    if (d->t0 && (kj_uses_t0(jit) || !d->gen)) {
        t0_run r = {d->t0, d->user};
        kj_fn *rec = kj_osr_run_begin(jit, d); /* for its loops' OSR entries */
        kjit_status st = run_protected(jit, call_t0, &r, result);
        kj_osr_run_end(jit, rec);
        return st;
    }
    char sym[64];
    uint64_t n = atomic_fetch_add(&jit->toplevel_seq, 1);
    snprintf(sym, sizeof sym, "__kjit.top%0*llx", KJ_IMPL_DIGITS, (unsigned long long)n);
    /* Run-once code: the cheapest compile (mem2reg, -O0 code generation). */
    kj_unit u = {.symbol = sym, .opt_level = 0, .tier = "thunk"};

    kj_tier_enter(jit); /* (before LLVM's set-up, which holds llvm_lock) */
    kjit_status st = kj_llvm_ready(jit);
    if (st != KJIT_OK) return kj_tier_leave(jit), st;
    pthread_mutex_lock(&jit->compile_lock);
    st = kj_unit_open(jit, &u, sym, NULL);
    if (st == KJIT_OK) st = kj_unit_generate(jit, &u, d->gen, d->user);
    if (st == KJIT_OK)
        st = kj_compile(jit, &u);
    else
        kj_unit_discard(&u);
    pthread_mutex_unlock(&jit->compile_lock);
    kj_tier_leave(jit);
    atomic_fetch_add(&jit->stats.toplevel_us, u.us);
    if (st != KJIT_OK) {
        atomic_fetch_add(&jit->stats.compile_errors, 1);
        return st;
    }
    st = run_protected(jit, d->sig[0] == 'd' ? call_thunk_d : call_thunk, u.addr, result);
    /* The thunk's code is freed at once: memory stays flat however many
     * top-level expressions run. */
    kj_code_free_mem(jit, u.rt, u.elf);
    kj_gdb_unregister(u.gdb);
    return st;
}

kjit_status kjit_run(kjit *jit, kjit_generator gen, void *user, double *result) {
    if (!result) return kj_set_error(KJIT_EINVAL, "kjit_run: bad argument");
    kjit_def d;
    kjit_def_init(&d);
    d.sig = "d()";
    d.gen = gen;
    d.user = user;
    kjit_value v = {0};
    kjit_status st = kjit_run_ex(jit, &d, &v);
    if (st == KJIT_OK) *result = v.d;
    return st;
}

void kjit_set_error_hook(kjit *jit, kjit_error_hook hook, void *user) {
    pthread_mutex_lock(&jit->lock);
    jit->hook = hook;
    jit->hook_user = user;
    pthread_mutex_unlock(&jit->lock);
}

/* ---- statistics ----------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void kjit_get_stats(kjit *jit, kjit_stats *s) {
    uint32_t lat[KJ_LATENCIES];
    pthread_mutex_lock(&jit->lock);
    size_t n = jit->nlatency < KJ_LATENCIES ? (size_t)jit->nlatency : KJ_LATENCIES;
    memcpy(lat, jit->latency, n * sizeof lat[0]);
    s->compile_threads = (uint64_t)jit->nworkers;
    s->t1_us = atomic_load(&jit->stats.t1_us);
    s->hosts = atomic_load(&jit->stats.hosts);
    pthread_mutex_unlock(&jit->lock);
    qsort(lat, n, sizeof lat[0], cmp_u32);
    s->compile_us_median = n ? lat[n / 2] : 0;
    s->toplevel_us = atomic_load(&jit->stats.toplevel_us);
    s->defined = atomic_load(&jit->stats.defined);
    s->ir_generated = atomic_load(&jit->stats.ir_generated);
    s->compiled = atomic_load(&jit->stats.compiled);
    s->compile_units = atomic_load(&jit->stats.compile_units);
    s->compile_us = atomic_load(&jit->stats.compile_us);
    s->stubs = atomic_load(&jit->stats.stubs);
    s->toplevel_run = atomic_load(&jit->stats.toplevel_run);
    s->runtime_errors = atomic_load(&jit->stats.runtime_errors);
    s->compile_errors = atomic_load(&jit->stats.compile_errors);
    s->compiled_t1 = atomic_load(&jit->stats.compiled_t1);
    s->compiled_t2 = atomic_load(&jit->stats.compiled_t2);
    s->t2_us = atomic_load(&jit->stats.t2_us);
    s->t2_queue_us = atomic_load(&jit->stats.t2_queue_us);
    s->t2_failed = atomic_load(&jit->stats.t2_failed);
    s->invalidated = atomic_load(&jit->stats.invalidated);
    s->redefined = atomic_load(&jit->stats.redefined);
    s->reclaimed_bytes = atomic_load(&jit->stats.reclaimed_bytes);
    s->run_t0 = atomic_load(&jit->stats.run_t0);
    s->llvm_setup_us = atomic_load(&jit->stats.llvm_setup_us);
    s->wait_us = atomic_load(&jit->stats.wait_us);
    s->compiled_ahead = atomic_load(&jit->stats.compiled_ahead);
    s->ahead_us = atomic_load(&jit->stats.ahead_us);
    s->ahead_failed = atomic_load(&jit->stats.ahead_failed);
    s->cache_hits = atomic_load(&jit->stats.cache_hits);
    s->cache_misses = atomic_load(&jit->stats.cache_misses);
    s->cache_stored = atomic_load(&jit->stats.cache_stored);
    s->cache_hot = atomic_load(&jit->stats.cache_hot);
    s->own_linked = atomic_load(&jit->stats.own_linked);
    s->cache_rejected = 0;
    if (jit->cache) {
        uint64_t h, m, p, corrupt;
        kj_cache_counters(jit->cache, &h, &m, &p, &corrupt);
        s->cache_rejected = corrupt;
    }
    s->osr_compiled = atomic_load(&jit->stats.osr_compiled);
    s->osr_entries = atomic_load(&jit->stats.osr_entries);
}

uint64_t kjit_thread_wait_us(void) { return kj_lazy_thread_wait_us(); }

int kjit_stats_json(kjit *jit, char *buf, size_t len) {
    kjit_stats s;
    kjit_get_stats(jit, &s);
    return snprintf(buf, len,
                    "{\"defined\":%llu,\"ir_generated\":%llu,\"compiled\":%llu,"
                    "\"compile_units\":%llu,"
                    "\"compile_us\":%llu,\"compile_us_median\":%llu,\"stubs\":%llu,"
                    "\"toplevel_run\":%llu,\"toplevel_us\":%llu,"
                    "\"runtime_errors\":%llu,\"compile_errors\":%llu,"
                    "\"compiled_t1\":%llu,\"compiled_t2\":%llu,\"t2_us\":%llu,"
                    "\"t2_queue_us\":%llu,\"t2_failed\":%llu,\"invalidated\":%llu,"
                    "\"redefined\":%llu,\"reclaimed_bytes\":%llu,\"run_t0\":%llu,"
                    "\"llvm_setup_us\":%llu,\"osr_compiled\":%llu,\"osr_entries\":%llu,"
                    "\"compile_threads\":%llu,\"t1_us\":%llu,\"hosts\":%llu,\"wait_us\":%llu,"
                    "\"compiled_ahead\":%llu,\"ahead_us\":%llu,\"ahead_failed\":%llu,"
                    "\"cache_hits\":%llu,\"cache_misses\":%llu,\"cache_stored\":%llu,"
                    "\"cache_rejected\":%llu,\"cache_hot\":%llu,\"own_linked\":%llu}",
                    (unsigned long long)s.defined, (unsigned long long)s.ir_generated,
                    (unsigned long long)s.compiled, (unsigned long long)s.compile_units,
                    (unsigned long long)s.compile_us,
                    (unsigned long long)s.compile_us_median, (unsigned long long)s.stubs,
                    (unsigned long long)s.toplevel_run, (unsigned long long)s.toplevel_us,
                    (unsigned long long)s.runtime_errors, (unsigned long long)s.compile_errors,
                    (unsigned long long)s.compiled_t1, (unsigned long long)s.compiled_t2,
                    (unsigned long long)s.t2_us, (unsigned long long)s.t2_queue_us,
                    (unsigned long long)s.t2_failed, (unsigned long long)s.invalidated,
                    (unsigned long long)s.redefined, (unsigned long long)s.reclaimed_bytes,
                    (unsigned long long)s.run_t0, (unsigned long long)s.llvm_setup_us,
                    (unsigned long long)s.osr_compiled, (unsigned long long)s.osr_entries,
                    (unsigned long long)s.compile_threads, (unsigned long long)s.t1_us,
                    (unsigned long long)s.hosts, (unsigned long long)s.wait_us,
                    (unsigned long long)s.compiled_ahead, (unsigned long long)s.ahead_us,
                    (unsigned long long)s.ahead_failed, (unsigned long long)s.cache_hits,
                    (unsigned long long)s.cache_misses, (unsigned long long)s.cache_stored,
                    (unsigned long long)s.cache_rejected, (unsigned long long)s.cache_hot,
                    (unsigned long long)s.own_linked);
}
