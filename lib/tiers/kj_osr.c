/*
 * kj_osr.c — on-stack replacement: a loop running at T0 goes on in compiled
 * code, at a back-edge, carrying its frame; and a C function's loop running
 * in its T1 code goes on in a continuation (the second half of this file).
 *
 * kjit_backedge is the safepoint of T0 code.  It counts back-edges towards
 * the function's tier-up; once the function is hot (and the definition has
 * an OSR generator), it asks the background compiler for an *OSR entry* of
 * that loop: a function `r entry(kjit_value *frame)` the client's OSR
 * generator writes, which resumes at the loop's back-edge from the T0 frame
 * and runs the rest of the function (HotSpot's OSR, with the interpreter's
 * locals handed over in a buffer; here the frame layout is the client's).
 * At a later back-edge the entry exists and the T0 entry hands its frame
 * over: kjit_backedge returns 1 with the function's result.  A loop that is
 * already running thus reaches optimised code without waiting for LLVM;
 * calls that start afterwards reach the function's T2 body through its stub.
 *
 * Entries belong to one definition: a redefinition drops them, and so does
 * redefining a function one of them inlined; their code is retired like any
 * replaced code (an activation may still be running in it).  A top-level run
 * at T0 (kjit_run_ex) has a record of its own, made for the run and freed
 * when it ends; kjit_backedge(NULL, ...) means the thread's current run.
 *
 * Layer tiers (lib/LAYERS): calls only the pipeline and the layers below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "base/kj_base.h"
#include "base/kj_wrap.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"
#include "tiers/kj_tiers.h"

static _Thread_local kj_fn *tls_run; /* the top-level run at T0 on this thread */

/* The entry of `loop` compiled from definition `version`, if any. */
static kj_osr_entry *find(kj_fn *fn, int loop, uint64_t version) {
    for (kj_osr_entry *e = atomic_load_explicit(&fn->osr, memory_order_acquire); e; e = e->next)
        if (e->loop == loop && e->version == version) return e;
    return NULL;
}

static kjit_value enter(kj_fn *fn, kj_osr_entry *e, kjit_value *frame) {
    atomic_fetch_add_explicit(&fn->jit->stats.osr_entries, 1, memory_order_relaxed);
    kjit_value r = {0};
    if (fn->sig[0] == 'd') {
        r.d = ((double (*)(kjit_value *))e->addr)(frame);
    } else {
        uint64_t v = ((uint64_t(*)(kjit_value *))e->addr)(frame);
        if (fn->sig[0] != 'v') memcpy(&r, &v, 8);
    }
    return r;
}

/* Queue a job like proto for the background thread (caller holds lock):
 * 1 if queued. */
static int ask(kjit *jit, kj_osr_job proto) {
    kj_osr_job *job = calloc(1, sizeof *job);
    if (!job) return 0;
    *job = proto;
    kj_tier_enqueue_osr(jit, job);
    return 1;
}

/* Ask for loop's entry once (tiered mode, a hot function with an OSR
 * generator).  Returns 1 if it was asked for now. */
static int request(kjit *jit, kj_fn *fn, int loop, uint64_t version) {
    if (jit->opts.mode != KJIT_MODE_TIERED || loop < 0 || loop >= 64) return 0;
    if (atomic_load_explicit(&fn->count, memory_order_relaxed) < jit->opts.hot_threshold)
        return 0;
    int asked = 0;
    pthread_mutex_lock(&jit->lock);
    if (fn->osr_gen && fn->version == version && !(fn->osr_requested & (1ull << loop)) &&
        ask(jit, (kj_osr_job){.fn = fn, .loop = loop, .version = version})) {
        fn->osr_requested |= 1ull << loop;
        asked = 1;
    }
    pthread_mutex_unlock(&jit->lock);
    return asked;
}

int kjit_backedge(kjit_fn *handle, int loop, int64_t n, kjit_value *frame, kjit_value *result) {
    kj_fn *fn = handle ? (kj_fn *)handle : tls_run;
    if (!fn) return 0;
    kjit *jit = fn->jit;
    kj_trap_act_at(NULL); /* in a loop, not at a call: an interrupt here has no position */
    kj_safepoint_check(jit);
    /* The definition this activation runs: the innermost T0 one on this
     * thread (an older one than fn's current, after a redefinition, gets no
     * entry: it finishes at T0). */
    kj_t0def *cur = handle ? kj_t0_current() : NULL;
    uint64_t version = cur ? cur->version : fn->version;
    atomic_fetch_add_explicit(&fn->count, n, memory_order_relaxed);
    if (fn->state == KJ_STUB && fn->tier == 0 &&
        atomic_load_explicit(&fn->count, memory_order_relaxed) >= jit->opts.hot_threshold &&
        !fn->queued && jit->opts.mode == KJIT_MODE_TIERED) {
        /* Hot by its loops: the function's later calls want T2 too. */
        pthread_mutex_lock(&jit->lock);
        kj_tier_enqueue(jit, fn);
        pthread_mutex_unlock(&jit->lock);
        if (jit->opts.t2_sync) kj_tier_drain(jit);
    }
    kj_osr_entry *e = find(fn, loop, version);
    if (!e && request(jit, fn, loop, version) && jit->opts.t2_sync) {
        kj_tier_drain(jit);
        e = find(fn, loop, version);
    }
    if (!e) return 0;
    *result = enter(fn, e, frame);
    return 1;
}

void kj_osr_compile(kjit *jit, kj_worker *w, kj_osr_job *job) {
    kj_fn *fn = job->fn;
    if (!w->tm) {
        free(job);
        atomic_fetch_add(&jit->stats.t2_failed, 1);
        return;
    }
    pthread_rwlock_rdlock(&jit->def_lock);
    pthread_mutex_lock(&jit->lock);
    int ok = fn->version == job->version && (job->c ? fn->gen != NULL : fn->osr_gen != NULL);
    kjit_osr_generator gen = fn->osr_gen;
    kjit_generator cgen = fn->gen;
    void *user = fn->user;
    pthread_mutex_unlock(&jit->lock);

    kj_deps deps = {0};
    char sym[300];
    kj_unit u = {.symbol = sym, .tm = w->tm, .opt_level = jit->t2_level, .tier = "osr"};
    kjit_status r = KJIT_ECOMPILE;
    if (ok && job->c) {
        /* The function's IR, as for T2 (in a workspace if one stays free
         * for first calls), and its point's continuation made of it. */
        char body[256];
        kj_impl_name(jit, fn->name, body, sizeof body);
        snprintf(sym, sizeof sym, "%s.osr%d", body, job->loop);
        u.symbol = body;
        r = kj_unit_open_ws_spare(jit, &u, fn->name);
        if (r == KJIT_OK) r = kj_unit_generate(jit, &u, cgen, user);
        u.symbol = sym;
        u.emitters = w->emit;
        LLVMValueRef f = r == KJIT_OK ? LLVMGetNamedFunction(u.mod, body) : NULL;
        if (r == KJIT_OK && (!f || LLVMIsDeclaration(f) || !kj_unit_optimised(u.mod) ||
                             !kj_wrap_osr_continuation(f, (unsigned)job->loop, job->sig, sym)))
            r = kj_set_error(KJIT_ECOMPILE, "no continuation for '%s' at point %d", fn->name,
                             job->loop);
        u.passes = KJ_NO_PASSES; /* (optimised IR: code generation only, as T2's) */
    } else if (ok) {
        char name[280];
        snprintf(name, sizeof name, "osr%d.%s", job->loop, fn->name);
        kj_impl_name(jit, name, sym, sizeof sym);
        r = kj_unit_open(jit, &u, name, NULL);
        if (r == KJIT_OK) {
            char err[KJ_ERRMSG_SIZE] = "";
            if (gen(user, u.mod, sym, job->loop, err, sizeof err) != 0)
                r = kj_set_error(KJIT_EGEN, "%s", err[0] ? err : "OSR generator failed");
        }
        if (r == KJIT_OK) kj_tier_inline_bodies(jit, u.mod, &deps);
    }
    pthread_rwlock_unlock(&jit->def_lock);
    if (r == KJIT_OK)
        r = kj_compile(jit, &u);
    else
        kj_unit_discard(&u);

    pthread_mutex_lock(&jit->lock);
    int current = r == KJIT_OK && fn->version == job->version && kj_deps_current(&deps);
    kj_osr_entry *e = current ? calloc(1, sizeof *e) : NULL;
    kj_code *code = e ? kj_code_new(&u, &deps, 1) : NULL;
    if (code) {
        code->osr = e;
        e->loop = job->loop;
        e->version = job->version;
        e->sig = job->sig;
        e->addr = u.addr;
        e->code = code;
        e->next = atomic_load(&fn->osr);
        atomic_store_explicit(&fn->osr, e, memory_order_release);
        atomic_fetch_add(&jit->stats.osr_compiled, 1);
        kj_trace(jit, KJIT_EV_COMPILED, fn->name, "osr", kj_now_us() - u.us, u.us, u.bytes, NULL);
        atomic_fetch_add(&jit->stats.t2_us, u.us);
    } else {
        free(e);
        if (r != KJIT_OK) atomic_fetch_add(&jit->stats.t2_failed, 1);
    }
    pthread_mutex_unlock(&jit->lock);
    if (!code && (u.rt || u.elf)) { /* never reachable: free at once */
        kj_code_free_mem(jit, u.rt, u.elf);
        kj_gdb_unregister(u.gdb);
    }
    free(job);
}

/* Retire the entries of the list at e. */
static void retire_list(kjit *jit, kj_osr_entry *e) {
    for (kj_osr_entry *next; e; e = next) {
        next = e->next;
        kj_code_drop(jit, e->code); /* frees e with the code, at quiescence */
    }
}

void kj_osr_drop(kjit *jit, kj_fn *fn) {
    retire_list(jit, atomic_exchange(&fn->osr, NULL));
    fn->osr_requested = 0;
}

void kj_osr_invalidate(kjit *jit, kj_fn *fn, kj_fn *g) {
    for (kj_osr_entry *e = atomic_load(&fn->osr); e; e = e->next)
        for (int i = 0; i < e->code->deps.n; i++)
            if (e->code->deps.fn[i] == g) {
                /* Simplest exact rule: all of fn's entries go; the loops
                 * ask again when they are next hot. */
                kj_osr_drop(jit, fn);
                return;
            }
}

kj_fn *kj_osr_run_begin(kjit *jit, const kjit_def *def) {
    kj_fn *rec = calloc(1, sizeof *rec);
    if (!rec) return NULL;
    rec->jit = jit;
    rec->name = strdup("top");
    if (!rec->name) {
        free(rec);
        return NULL;
    }
    snprintf(rec->sig, sizeof rec->sig, "%s", def->sig);
    rec->state = KJ_UNDEFINED; /* never queued for T2: it is not a function */
    rec->version = 1;
    rec->gen = def->gen;
    rec->user = def->user;
    rec->osr_gen = def->osr;
    rec->hash_next = tls_run; /* the enclosing run, restored at the end */
    tls_run = rec;
    return rec;
}

void kj_osr_run_end(kjit *jit, kj_fn *rec) {
    if (!rec) return;
    tls_run = rec->hash_next;
    pthread_mutex_lock(&jit->lock);
    /* No job of this run may outlive it: drop the queued ones, wait for the
     * one being compiled (its generator reads the run's user data). */
    for (kj_osr_job **pj = &jit->osr_head; *pj;) {
        kj_osr_job *j = *pj;
        if (j->fn == rec) {
            *pj = j->next;
            jit->pending--;
            free(j);
        } else {
            pj = &j->next;
        }
    }
    jit->osr_tail = NULL;
    for (kj_osr_job *j = jit->osr_head; j; j = j->next) jit->osr_tail = j;
    for (int i = 0; i < jit->nworkers; i++)
        while (jit->workers[i]->current == rec) pthread_cond_wait(&jit->t2_idle, &jit->lock);
    rec->version++; /* whatever still finishes for it is not installed */
    kj_osr_drop(jit, rec);
    pthread_mutex_unlock(&jit->lock);
    free(rec->name);
    free(rec);
}

/* ---- C frames: from T1 into optimised code at a loop header ---------------
 *
 * Functions of optimised IR (a C program's) have no T0 and no frame layout
 * of the client's: their T1 code is the first tier, and a function entered
 * once (a C main with its loop, a kernel called once) would run there for
 * the whole program.  So T1 code polls, at the headers of its outermost
 * loops (every 64 passes of the activation), for a *continuation* of that
 * point: a function made from the same IR, taking the values live there
 * as parameters and running the rest of the function (OSRKit's design,
 * D'Elia and Demetrescu, CGO 2016: OSR as a call; kj_wrap.cpp makes both
 * sides).  If there is one, T1 calls it and returns what it returns: the
 * T1 frame stays below, so pointers into it (its allocas) stay good.
 *
 * An activation that has passed its points KJ_OSR_URGENT times runs long:
 * it asks once for that point's continuation, an OSR job served before
 * the T2 queue and without its start-up wait, compiled at T2's level.  The
 * function's T2 body is left as it was (a body that called its
 * continuations, made with it, cost recursive functions 1.15x and
 * Stanford-FloatMM 1.22x: bench/README.md), and only long activations pay
 * for a continuation.  KJIT_OSR_C=0 turns it off, KJIT_OSR_C=polls keeps
 * the points but never moves nor asks (the benchmarks compare: what the
 * points cost T1 code). */
#define KJ_OSR_URGENT 1024

/* Each point costs T1 code a call that passes its live values; most
 * first compiles are of functions whose activations are short, and a
 * compile-bound run pays for them all: with up to 64 live values per
 * point the SQL engine's first run took 1.12x as long as without points,
 * with 16 1.07x, with 8 1.02x; one per 64 instructions of the function,
 * at least 8, 1.07x.  So a point passes at most 8, and main's 64 (it is
 * compiled once). */
#define KJ_OSR_LIVE 8
#define KJ_OSR_LIVE_MAIN 64
#define KJ_OSR_C_POINTS 8 /* (kj_wrap.cpp's KJ_OSR_POINTS) */

int kj_osr_c_on(void) {
    static _Atomic int on = -1;
    int v = atomic_load_explicit(&on, memory_order_relaxed);
    if (v < 0) {
        const char *e = getenv("KJIT_OSR_C");
        v = !e || strcmp(e, "0") != 0 ? 1 : 0;
        if (e && strcmp(e, "polls") == 0) v = 2;
        atomic_store_explicit(&on, v, memory_order_relaxed);
    }
    return v;
}

unsigned kj_osr_c_max_live(const kj_fn *fn) {
    return strcmp(fn->name, "main") == 0 ? KJ_OSR_LIVE_MAIN : KJ_OSR_LIVE;
}

/* The continuation of point for the current definition, if made. */
static void *c_entry(kj_fn *fn, int point, uint32_t sig) {
    uint64_t version = fn->version; /* (racy read: a stale one finds nothing) */
    kj_osr_entry *e = find(fn, point, version);
    return e && e->sig == sig ? e->addr : NULL;
}

void *kj_osr_c_poll(kj_fn *fn, int32_t point, uint32_t sig, int32_t passes) {
    /* (off, or polls only: T1 code from the code cache may have points
     * all the same, since the setting is not in its key) */
    if (point < 0 || point >= KJ_OSR_C_POINTS || kj_osr_c_on() != 1 || fn->osr_c_off)
        return NULL;
    kjit *jit = fn->jit;
    void *to = c_entry(fn, point, sig);
    if (!to && passes >= KJ_OSR_URGENT && jit->opts.mode == KJIT_MODE_TIERED &&
        !(atomic_load_explicit(&fn->osr_c_asked, memory_order_relaxed) & (1u << point))) {
        kj_link_thread saved; /* (errno and such, as the program left them) */
        kj_link_thread_save(&saved);
        sigset_t mask;
        kj_signals_block(&mask);
        pthread_mutex_lock(&jit->lock);
        int asked = 0;
        if (!fn->osr_c_off && !(atomic_load(&fn->osr_c_asked) & (1u << point)) &&
            ask(jit, (kj_osr_job){.fn = fn, .loop = point, .version = fn->version, .c = 1,
                                  .sig = sig})) {
            atomic_fetch_or(&fn->osr_c_asked, 1u << point);
            asked = 1;
        }
        pthread_mutex_unlock(&jit->lock);
        if (asked && jit->opts.t2_sync) kj_tier_drain(jit);
        kj_signals_restore(&mask);
        kj_link_thread_restore(&saved);
        if (asked && jit->opts.t2_sync) to = c_entry(fn, point, sig);
    }
    if (!to) return NULL;
    atomic_fetch_add_explicit(&jit->stats.osr_entries, 1, memory_order_relaxed);
    kj_trace(jit, KJIT_EV_INSTALLED, fn->name, "osr", 0, 0, 0, NULL);
    return to;
}
