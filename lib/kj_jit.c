/*
 * kj_jit.c — the public API (kjit_*), the function table, definitions and
 * the lazy re-entry path.
 *
 * The life of a function (docs/DESIGN.md draws it):
 *   kjit_address / a call from compiled code   → UNDEFINED, with a stub
 *   kjit_define                                → STUB (slot → lazy entry)
 *   first call: lazy entry → trampoline → kj_lazy_resolve → kj_materialize
 *                                              → COMPILED (slot → code)
 *   kjit_define again                          → STUB, old code retired
 *
 * Locking: every generator call and every compile happens under
 * compile_lock, so a function is compiled exactly once however many threads
 * call it first: the others wait on compile_lock and then find it COMPILED.
 * `lock` guards the table and the fields of kj_fn that change; it is held
 * only briefly and never across a generator or LLVM call.
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

#include "kj_arch.h"
#include "kj_internal.h"

static _Thread_local char tls_errmsg[KJ_ERRMSG_SIZE];

kjit_status kj_set_error(kjit_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tls_errmsg, sizeof tls_errmsg, fmt, ap);
    va_end(ap);
    return st;
}

const char *kjit_errmsg(void) { return tls_errmsg; }

void kjit_options_init(kjit_options *o) {
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->mode = KJIT_MODE_LAZY;
    o->opt_level = 2;
    o->verify = 1;
    o->hot_threshold = KJIT_DEFAULT_HOT;
}

/* ---- names and signatures ---------------------------------------------- */

/* Names beginning "__kjit" are the JIT's own (implementation names, thunks);
 * "llvm." is LLVM's intrinsic namespace. */
static int valid_name(const char *name) {
    return name && name[0] && strncmp(name, "__kjit", 6) != 0 && strncmp(name, "llvm.", 5) != 0;
}

static int valid_sig(const char *sig) {
    if (!sig || !sig[0] || !strchr("dipv", sig[0]) || sig[1] != '(') return 0;
    size_t n = 0;
    const char *p = sig + 2;
    for (; *p && *p != ')'; p++, n++)
        if (!strchr("dip", *p) || n >= KJ_MAX_PARAMS) return 0;
    return p[0] == ')' && p[1] == 0;
}

/* ---- the function table -------------------------------------------------- */

static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int table_grow(kjit *jit) {
    size_t n = jit->table_size ? jit->table_size * 2 : 256;
    kj_fn **t = calloc(n, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < jit->table_size; i++) {
        for (kj_fn *f = jit->table[i], *next; f; f = next) {
            next = f->hash_next;
            size_t b = hash_name(f->name) & (n - 1);
            f->hash_next = t[b];
            t[b] = f;
        }
    }
    free(jit->table);
    jit->table = t;
    jit->table_size = n;
    return 0;
}

kj_fn *kj_fn_find(kjit *jit, const char *name) {
    if (!jit->table_size) return NULL;
    for (kj_fn *f = jit->table[hash_name(name) & (jit->table_size - 1)]; f; f = f->hash_next)
        if (strcmp(f->name, name) == 0) return f;
    return NULL;
}

kj_fn *kj_fn_lookup_or_add(kjit *jit, const char *name) {
    kj_fn *f = kj_fn_find(jit, name);
    if (f) return f;
    if (jit->nfns + 1 > jit->table_size / 2 && table_grow(jit) != 0) return NULL;
    f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->name = strdup(name);
    if (!f->name || kj_stub_alloc(jit->stubs, f, &f->stub) != 0) {
        free(f->name);
        free(f);
        return NULL;
    }
    f->jit = jit;
    f->state = KJ_UNDEFINED;
    size_t b = hash_name(name) & (jit->table_size - 1);
    f->hash_next = jit->table[b];
    jit->table[b] = f;
    jit->nfns++;
    atomic_fetch_add(&jit->stats.stubs, 1);
    return f;
}

/* ---- create / destroy ---------------------------------------------------- */

kjit_status kjit_create(const kjit_options *opts, kjit **out) {
    if (!out) return kj_set_error(KJIT_EINVAL, "kjit_create: out is NULL");
    *out = NULL;
    kjit_options o;
    kjit_options_init(&o);
    if (opts) {
        if (opts->size != sizeof o)
            return kj_set_error(KJIT_EVERSION, "kjit_options: size %zu, library expects %zu",
                                opts->size, sizeof o);
        o = *opts;
    }
    if (o.opt_level < 0 || o.opt_level > 3 || o.mode > KJIT_MODE_INTERP ||
        o.partition > KJIT_PARTITION_CALLEES || o.hot_threshold < 1 || o.compile_threads < 0)
        return kj_set_error(KJIT_EINVAL, "kjit_options: bad opt_level, mode or partition");

    kjit *jit = calloc(1, sizeof *jit);
    if (!jit) return kj_set_error(KJIT_ENOMEM, "out of memory");
    jit->opts = o;
    pthread_mutex_init(&jit->compile_lock, NULL);
    pthread_mutex_init(&jit->llvm_lock, NULL);
    pthread_mutex_init(&jit->lock, NULL);
    pthread_rwlock_init(&jit->def_lock, NULL);
    pthread_cond_init(&jit->t2_wake, NULL);
    pthread_cond_init(&jit->t2_idle, NULL);
    jit->t2_level = o.opt_level > 2 ? o.opt_level : 2;
    /* Compiler threads: one per core beyond the program's own, at least one. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    jit->max_workers = o.compile_threads > 0 ? o.compile_threads : cores > 1 ? (int)cores - 1 : 1;
    if (jit->max_workers > KJ_MAX_WORKERS) jit->max_workers = KJ_MAX_WORKERS;
    jit->stubs = kj_stub_manager_new();
    if (!jit->stubs) goto oom;

    /* LLVM is loaded and set up at the first compile (kj_llvm.c). */
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

void kj_code_drop(kjit *jit, kj_code *c) {
    if (c && --c->users == 0) kj_reclaim_retire(jit, c);
}

void kjit_destroy(kjit *jit) {
    if (!jit) return;
    kj_tier_stop(jit); /* no T2 compile runs past this point */
    /* Trackers must be released while the session still exists. */
    for (size_t i = 0; i < jit->table_size; i++) {
        for (kj_fn *f = jit->table[i], *next; f; f = next) {
            next = f->hash_next;
            release_definition(f);
            kj_code_drop(jit, f->code);
            kj_code_drop(jit, f->t2);
            kj_osr_drop(jit, f);
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
    for (kj_global *g = jit->globals, *next; g; g = next) {
        next = g->next;
        free(g->name);
        free(g->mem);
        free(g);
    }
    kj_llvm_teardown(jit); /* after every pending module and tracker */
    pthread_rwlock_destroy(&jit->def_lock);
    pthread_cond_destroy(&jit->t2_wake);
    pthread_cond_destroy(&jit->t2_idle);
    kj_stub_manager_free(jit->stubs);
    pthread_mutex_destroy(&jit->llvm_lock);
    pthread_mutex_destroy(&jit->compile_lock);
    pthread_mutex_destroy(&jit->lock);
    free(jit);
}

/* ---- definitions ---------------------------------------------------------- */

/* Implementation names are "__kjit.<n>.<name>": no registered name can take
 * them (valid_name), and n makes every compile's symbol unique. */
void kj_impl_name(kjit *jit, const char *name, char *buf, size_t len) {
    uint64_t n = atomic_fetch_add(&jit->toplevel_seq, 1);
    snprintf(buf, len, "__kjit.%llu.%s", (unsigned long long)n, name);
}

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

/* Fill u with fn's IR: its pending lazy-ir module, or a fresh generation
 * (in lazy-ir mode into the shared IR context, so modules can be linked). */
static kjit_status unit_for(kjit *jit, kj_fn *fn, LLVMModuleRef pending, kj_unit *u, char *sym) {
    u->symbol = sym;
    if (pending) {
        u->ctx = jit->ir_ctx;
        u->shared_ctx = 1;
        u->mod = pending;
        defined_name(pending, sym, 256);
        return KJIT_OK;
    }
    kj_impl_name(jit, fn->name, sym, 256);
    kjit_status r = kj_unit_open(jit, u, fn->name, jit->ir_ctx);
    if (r != KJIT_OK) return r;
    atomic_fetch_add(&jit->stats.ir_generated, 1);
    return kj_unit_generate(jit, u, fn->gen, fn->user);
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
    if (r == KJIT_OK && !(code = calloc(1, sizeof *code))) {
        kj_rt_free(jit, u->rt);
        r = kj_set_error(KJIT_ENOMEM, "out of memory");
    }
    if (code) {
        code->rt = u->rt;
        code->bytes = u->bytes;
    }
    for (int k = 1; k < g->n && r == KJIT_OK; k++) {
        LLVMOrcExecutorAddress a = 0;
        LLVMErrorRef e = LLVMOrcLLJITLookup(jit->lljit, &a, g->sym[k]);
        if (e) LLVMConsumeError(e);
        addr[k] = (void *)(uintptr_t)a; /* NULL: that callee stays STUB */
    }
    pthread_mutex_lock(&jit->lock);
    if (u->us) {
        atomic_fetch_add(&jit->stats.compile_units, 1);
        atomic_fetch_add(&jit->stats.compile_us, u->us);
        jit->latency[jit->nlatency++ % KJ_LATENCIES] = (uint32_t)u->us;
    }
    for (int k = 0; k < g->n; k++) {
        kj_fn *fn = g->fn[k];
        if (r == KJIT_OK && addr[k]) {
            code->users++;
            fn->code = code;
            fn->state = KJ_COMPILED;
            if (u->instrument) {
                fn->tier = 1;
                fn->t1_addr = addr[k];
                atomic_fetch_add(&jit->stats.compiled_t1, 1);
                if (k == 0) atomic_fetch_add(&jit->stats.t1_us, u->us);
            }
            kj_stub_point(fn->stub.slot, addr[k]);
            atomic_fetch_add(&jit->stats.compiled, 1);
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

kjit_status kj_materialize(kjit *jit, kj_fn *fn, int compile, void **target) {
    pthread_mutex_lock(&jit->lock);
    kj_state st = fn->state;
    if (st == KJ_COMPILED || st == KJ_HOST) {
        *target = kj_stub_target(fn->stub.slot);
        pthread_mutex_unlock(&jit->lock);
        return KJIT_OK;
    }
    if (st == KJ_UNDEFINED) {
        /* Not defined by the client: a declared host function, if the
         * process has it.  Undeclared names never reach host symbols. */
        void *host = fn->host_ok ? dlsym(RTLD_DEFAULT, fn->name) : NULL;
        if (host) {
            fn->state = KJ_HOST;
            kj_stub_point(fn->stub.slot, host);
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
    pthread_mutex_unlock(&jit->lock);
    kjit_status ready = kj_llvm_ready(jit);
    if (ready != KJIT_OK) return ready;
    pthread_mutex_lock(&jit->lock);
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
    kj_unit u = {.opt_level = jit->opts.opt_level};
    if (jit->opts.mode == KJIT_MODE_TIERED) {
        u.opt_level = 0; /* T1: as cheap as possible, and counting */
        u.instrument = fn;
    }
    kjit_status r = unit_for(jit, fn, pending, &u, g.sym[0]);
    if (r == KJIT_OK && !compile) {
        /* lazy-ir at definition: keep the IR for the first call. */
        pthread_mutex_lock(&jit->lock);
        fn->pending_mod = u.mod;
        fn->state = KJ_STUB;
        pthread_mutex_unlock(&jit->lock);
        return KJIT_OK;
    }
    if (r == KJIT_OK && jit->opts.partition == KJIT_PARTITION_CALLEES && u.shared_ctx)
        link_callees(jit, &u, &g);
    if (r == KJIT_OK)
        r = kj_compile(jit, &u);
    else
        kj_unit_discard(&u);
    return finish_group(jit, &g, &u, r, target);
}

void *kj_resolve(kj_fn *fn) {
    kjit *jit = fn->jit;
    if (!kj_trap_stack_ok()) return kj_trap_raise(jit, KJIT_ERUNTIME, "stack overflow");
    void *target = NULL;
    pthread_mutex_lock(&jit->compile_lock);
    kjit_status st = kj_materialize(jit, fn, 1, &target);
    pthread_mutex_unlock(&jit->compile_lock);
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

/* Install a definition of `name`: a generator (gen, user, release) or, when
 * host is set, a host function.  The function keeps its stub; the old
 * definition is released outside the locks. */
static kjit_status install(kjit *jit, const char *name, const char *sig, kjit_generator gen,
                           kjit_t0_fn t0, kjit_osr_generator osr, void *user,
                           kjit_release release, void *host) {
    kj_t0def *d = NULL;
    if (t0 && (kj_uses_t0(jit) || !gen)) {
        if (!(d = calloc(1, sizeof *d))) return kj_set_error(KJIT_ENOMEM, "out of memory");
        d->fn = t0;
        d->user = user;
        d->nparams = (int)strlen(sig) - 3;
    }
    pthread_rwlock_wrlock(&jit->def_lock);
    pthread_mutex_lock(&jit->compile_lock);
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_lookup_or_add(jit, name);
    kj_fn old = {0};
    kjit_status st = fn ? redefine(jit, fn, sig, &old)
                        : kj_set_error(KJIT_ENOMEM, "out of memory for the stub of '%s'", name);
    if (st == KJIT_OK) {
        fn->gen = gen;
        fn->osr_gen = d ? osr : NULL;
        fn->user = user;
        fn->release = release;
        fn->state = host ? KJ_HOST : KJ_STUB;
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
        kj_stub_point(fn->stub.slot, host ? host : fn->stub.lazy);
        atomic_fetch_add(&jit->stats.defined, 1);
    }
    pthread_mutex_unlock(&jit->lock);
    /* lazy-ir generates at definition, eager also compiles; lazy and tiered
     * wait for the first call. */
    kjit_mode m = jit->opts.mode;
    if (st == KJIT_OK && !host && (m == KJIT_MODE_LAZY_IR || m == KJIT_MODE_EAGER)) {
        void *target;
        st = kj_materialize(jit, fn, m == KJIT_MODE_EAGER, &target);
    }
    pthread_mutex_unlock(&jit->compile_lock);
    pthread_rwlock_unlock(&jit->def_lock);
    free(d); /* refused */
    release_definition(&old);
    return st;
}

kjit_status kjit_define(kjit *jit, const char *name, const char *sig, kjit_generator gen,
                        void *user, kjit_release release) {
    if (!jit || !gen || !valid_name(name) || !valid_sig(sig))
        return kj_set_error(KJIT_EINVAL, "kjit_define: bad name, signature or generator");
    return install(jit, name, sig, gen, NULL, NULL, user, release, NULL);
}

void kjit_def_init(kjit_def *d) {
    memset(d, 0, sizeof *d);
    d->size = sizeof *d;
}

kjit_status kjit_define_ex(kjit *jit, const char *name, const kjit_def *d) {
    if (!jit || !d || d->size != sizeof *d || !(d->gen || d->t0) || !valid_name(name) ||
        !valid_sig(d->sig))
        return kj_set_error(KJIT_EINVAL, "kjit_define_ex: bad name, signature, generator or "
                                         "T0 entry, or a kjit_def not set up by kjit_def_init");
    return install(jit, name, d->sig, d->gen, d->t0, d->osr, d->user, d->release, NULL);
}

kjit_fn *kjit_fn_get(kjit *jit, const char *name) {
    if (!jit || !valid_name(name)) {
        kj_set_error(KJIT_EINVAL, "kjit_fn_get: bad name");
        return NULL;
    }
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_lookup_or_add(jit, name);
    pthread_mutex_unlock(&jit->lock);
    if (!fn) kj_set_error(KJIT_ENOMEM, "out of memory for the stub of '%s'", name);
    return (kjit_fn *)fn;
}

kjit_status kjit_define_host(kjit *jit, const char *name, const char *sig, void *addr) {
    if (!jit || !addr || !valid_name(name) || !valid_sig(sig))
        return kj_set_error(KJIT_EINVAL, "kjit_define_host: bad name, signature or address");
    return install(jit, name, sig, NULL, NULL, NULL, NULL, NULL, addr);
}

kjit_status kjit_declare_host(kjit *jit, const char *name, const char *sig) {
    if (!jit || !valid_name(name) || !valid_sig(sig))
        return kj_set_error(KJIT_EINVAL, "kjit_declare_host: bad name or signature");
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

kjit_status kjit_optimize(kjit *jit, const char *name) {
    if (!jit || !valid_name(name)) return kj_set_error(KJIT_EINVAL, "kjit_optimize: bad name");
    pthread_mutex_lock(&jit->compile_lock);
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_find(jit, name);
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
        if (fn->state == KJ_COMPILED && fn->tier == 0) { /* not tiered: its body acts as T1 */
            fn->tier = 1;
            fn->t1_addr = kj_stub_target(fn->stub.slot);
        }
        kj_tier_enqueue(jit, fn);
        pthread_mutex_unlock(&jit->lock);
    }
    pthread_mutex_unlock(&jit->compile_lock);
    if (r == KJIT_OK && jit->opts.t2_sync) kj_tier_drain(jit);
    return r;
}

void kjit_drain(kjit *jit) {
    if (jit) kj_tier_drain(jit);
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
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_lookup_or_add(jit, name);
    pthread_mutex_unlock(&jit->lock);
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
    return r->fn(r->user, NULL);
}

/* Run body(ctx) as a top-level run: a participant, protected. */
static kjit_status run_protected(kjit *jit, kjit_value (*body)(void *), void *ctx,
                                 kjit_value *result) {
    atomic_fetch_add(&jit->stats.toplevel_run, 1);
    /* An interrupt asked for while nothing ran is not this run's. */
    if (kj_reclaim_enter(jit)) atomic_store(&jit->interrupt, 0);
    kj_t0def *current = kj_t0_current(); /* an error may leave T0 frames by longjmp */
    kjit_status st = kj_trap_run(jit, body, ctx, result);
    kj_t0_set_current(current);
    kj_reclaim_leave(jit); /* a quiescent point: replaced code may be freed */
    return st;
}

kjit_status kjit_run_ex(kjit *jit, const kjit_def *d, kjit_value *result) {
    if (!jit || !d || d->size != sizeof *d || !result || !valid_sig(d->sig) || d->sig[2] != ')' ||
        !(d->gen || d->t0))
        return kj_set_error(KJIT_EINVAL, "kjit_run: bad argument");
    if (d->t0 && (kj_uses_t0(jit) || !d->gen)) {
        t0_run r = {d->t0, d->user};
        kj_fn *rec = kj_osr_run_begin(jit, d); /* for its loops' OSR entries */
        kjit_status st = run_protected(jit, call_t0, &r, result);
        kj_osr_run_end(jit, rec);
        return st;
    }
    char sym[64];
    uint64_t n = atomic_fetch_add(&jit->toplevel_seq, 1);
    snprintf(sym, sizeof sym, "__kjit.top%llu", (unsigned long long)n);
    /* Run-once code: the cheapest compile (mem2reg, -O0 code generation). */
    kj_unit u = {.symbol = sym, .opt_level = 0};

    kjit_status st = kj_llvm_ready(jit);
    if (st != KJIT_OK) return st;
    pthread_mutex_lock(&jit->compile_lock);
    st = kj_unit_open(jit, &u, sym, NULL);
    if (st == KJIT_OK) st = kj_unit_generate(jit, &u, d->gen, d->user);
    if (st == KJIT_OK)
        st = kj_compile(jit, &u);
    else
        kj_unit_discard(&u);
    pthread_mutex_unlock(&jit->compile_lock);
    atomic_fetch_add(&jit->stats.toplevel_us, u.us);
    if (st != KJIT_OK) {
        atomic_fetch_add(&jit->stats.compile_errors, 1);
        return st;
    }
    st = run_protected(jit, d->sig[0] == 'd' ? call_thunk_d : call_thunk, u.addr, result);
    /* The thunk's code is freed at once: memory stays flat however many
     * top-level expressions run. */
    kj_rt_free(jit, u.rt);
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
    s->osr_compiled = atomic_load(&jit->stats.osr_compiled);
    s->osr_entries = atomic_load(&jit->stats.osr_entries);
}

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
                    "\"compile_threads\":%llu,\"t1_us\":%llu}",
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
                    (unsigned long long)s.compile_threads, (unsigned long long)s.t1_us);
}
