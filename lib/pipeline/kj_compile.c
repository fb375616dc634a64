/*
 * kj_compile.c — the pipeline that turns one generated module into code:
 *
 *     open → generate → verify → bind callees → polls → [cached? →]
 *          optimise → counters → emit object [→ cache it]
 *          → add to the JITDylib (own ResourceTracker) → look up
 *
 * kjit compiles modules itself (its own TargetMachine, its own pass
 * pipeline) and hands LLJIT finished objects: LLJIT links them, resolves
 * symbols and owns the memory.  That keeps the optimisation and codegen level
 * a per-compile choice, and keeps compile time measurable phase by phase.
 *
 * Layer pipeline (lib/LAYERS): calls only lib/tools, lib/machine and
 * lib/base; what it runs of the tiers it is handed (kj_unit.instrument,
 * kjit.polls, the trampoline's resolver).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "base/kj_base.h"
#include "base/kj_wrap.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"

kjit_status kj_unit_open(kjit *jit, kj_unit *u, const char *module_name, LLVMContextRef ctx) {
    u->ws = NULL;
    u->shared_ctx = ctx != NULL;
    u->ctx = ctx ? ctx : kj_llvm_context();
    if (!u->ctx) return kj_set_error(KJIT_ECOMPILE, "cannot create an LLVM context");
    u->mod = LLVMModuleCreateWithNameInContext(module_name, u->ctx);
    LLVMSetTarget(u->mod, jit->triple);
    LLVMSetDataLayout(u->mod, jit->datalayout);
    u->addr = NULL;
    u->rt = NULL;
    return KJIT_OK;
}

/* ---- workspaces ---------------------------------------------------------------
 *
 * A first compile used to make a context of its own, so that the program's
 * threads and the ahead thread compile at once; a function's IR then came
 * into it as bitcode, written from the front end's source context and read
 * back.  A workspace is a context that lives as long as the JIT and that
 * one thread at a time borrows for a compile: a front end can keep a copy
 * of its sources read into each (kj_module.c) and copy a function out
 * within one context, with no bitcode between.  A thread that finds all
 * KJ_WS_MAX busy compiles in a context of its own, as before.  Modules of a
 * workspace's context that their owner no longer needs are retired: disposed
 * of by whoever holds the context next (an LLVM context is one thread's at
 * a time). */

static _Thread_local struct kj_ws *ws_held;

static void ws_drain(kjit *jit, struct kj_ws *ws) { /* (ws held, or no thread runs) */
    for (;;) {
        pthread_mutex_lock(&jit->ws_lock);
        LLVMModuleRef mod = ws->nretired ? ws->retired[--ws->nretired] : NULL;
        pthread_mutex_unlock(&jit->ws_lock);
        if (!mod) return;
        LLVMDisposeModule(mod);
    }
}

static kjit_status open_ws(kjit *jit, kj_unit *u, const char *module_name, unsigned spare) {
    struct kj_ws *ws = NULL;
    if (!ws_held && !jit->ws_off) {
        pthread_mutex_lock(&jit->ws_lock);
        unsigned free_ws = 0;
        for (unsigned i = 0; i < KJ_WS_MAX; i++) free_ws += !jit->ws[i].busy;
        for (unsigned i = 0; i < KJ_WS_MAX && !ws && free_ws > spare; i++)
            if (!jit->ws[i].busy) {
                ws = &jit->ws[i];
                ws->busy = 1;
                ws->id = i;
                ws->jit = jit;
            }
        pthread_mutex_unlock(&jit->ws_lock);
    }
    if (ws) {
        ws_drain(jit, ws);
        if (!ws->ctx) ws->ctx = kj_llvm_context();
        if (!ws->ctx) {
            pthread_mutex_lock(&jit->ws_lock);
            ws->busy = 0;
            pthread_mutex_unlock(&jit->ws_lock);
            ws = NULL;
        }
    }
    kjit_status st = kj_unit_open(jit, u, module_name, ws ? ws->ctx : NULL);
    if (ws) {
        u->ws = ws;
        ws_held = ws;
    }
    return st;
}

kjit_status kj_unit_open_ws(kjit *jit, kj_unit *u, const char *module_name) {
    return open_ws(jit, u, module_name, 0);
}

kjit_status kj_unit_open_ws_spare(kjit *jit, kj_unit *u, const char *module_name) {
    return open_ws(jit, u, module_name, 1);
}

struct kj_ws *kj_ws_held(LLVMContextRef ctx) {
    return ws_held && ws_held->ctx == ctx ? ws_held : NULL;
}

void kj_ws_retire(kjit *jit, unsigned id, LLVMModuleRef mod) {
    struct kj_ws *ws = &jit->ws[id];
    pthread_mutex_lock(&jit->ws_lock);
    int now = !ws->busy;
    if (now) {
        ws->busy = 1;
    } else if (ws->nretired == ws->cap) {
        size_t cap = ws->cap ? 2 * ws->cap : 16;
        LLVMModuleRef *v = realloc(ws->retired, cap * sizeof *v);
        if (v) ws->retired = v, ws->cap = cap;
    }
    if (!now && ws->nretired < ws->cap) ws->retired[ws->nretired++] = mod, mod = NULL;
    pthread_mutex_unlock(&jit->ws_lock);
    if (!mod) return;
    /* Free, or (out of memory for the list) wait until it is. */
    while (!now) {
        struct timespec pause = {0, 100000};
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&jit->ws_lock);
        if ((now = !ws->busy)) ws->busy = 1;
        pthread_mutex_unlock(&jit->ws_lock);
    }
    LLVMDisposeModule(mod);
    pthread_mutex_lock(&jit->ws_lock);
    ws->busy = 0;
    pthread_mutex_unlock(&jit->ws_lock);
}

void kj_ws_free_all(kjit *jit) {
    for (unsigned i = 0; i < KJ_WS_MAX; i++) {
        struct kj_ws *ws = &jit->ws[i];
        ws_drain(jit, ws);
        kj_wrap_emitter_free(ws->emit[0]);
        kj_wrap_emitter_free(ws->emit[1]);
        free(ws->retired);
        if (ws->ctx) LLVMContextDispose(ws->ctx);
        memset(ws, 0, sizeof *ws);
    }
}

void kj_unit_discard(kj_unit *u) {
    if (u->mod) LLVMDisposeModule(u->mod);
    if (u->ctx && !u->shared_ctx) LLVMContextDispose(u->ctx);
    u->mod = NULL;
    u->ctx = NULL;
    if (u->ws) { /* given back */
        if (ws_held == u->ws) ws_held = NULL;
        pthread_mutex_lock(&u->ws->jit->ws_lock);
        u->ws->busy = 0;
        pthread_mutex_unlock(&u->ws->jit->ws_lock);
        u->ws = NULL;
    }
}

kjit_status kj_unit_generate(kjit *jit, kj_unit *u, kjit_generator gen, void *user) {
    char err[KJ_ERRMSG_SIZE] = "";
    int r = gen(user, u->mod, u->symbol, err, sizeof err);
    /* Messages name the function by its source name (the module's). */
    size_t n;
    const char *source = LLVMGetModuleIdentifier(u->mod, &n);
    if (r != 0)
        return kj_set_error(KJIT_EGEN, "%s", err[0] ? err : "the generator reported failure");
    kj_trace(jit, KJIT_EV_IR, source, NULL, 0, 0, 0, NULL);
    LLVMValueRef f = LLVMGetNamedFunction(u->mod, u->symbol);
    if (!f || LLVMIsDeclaration(f))
        return kj_set_error(KJIT_EGEN,
                            "the generator of '%.*s' did not define the symbol it was given, "
                            "'%s'",
                            (int)n, source, u->symbol);
    return KJIT_OK;
}

kjit_status kj_llvm_error(kjit_status st, const char *what, LLVMErrorRef err) {
    char *msg = LLVMGetErrorMessage(err);
    /* A failed link's own reason, which ORC reported apart (kj_llvm.c),
     * instead of the names of what could not be made. */
    char why[256];
    if (kj_llvm_session_error_take(why, sizeof why) && strncmp(msg, "Failed to materialize", 21) == 0)
        kj_set_error(st, "%s: %s", what, why);
    else
        kj_set_error(st, "%s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
    return st;
}

void kj_rt_free(kjit *jit, LLVMOrcResourceTrackerRef rt) {
    LLVMErrorRef e = LLVMOrcResourceTrackerRemove(rt);
    if (e) LLVMConsumeError(e);
    LLVMOrcReleaseResourceTracker(rt);
    /* The code's implementation name is now a dead entry of the symbol
     * pool; clear such entries now and then, so memory stays flat. */
    if ((atomic_fetch_add(&jit->dead_names, 1) + 1) % KJ_DEAD_NAMES_CLEAR == 0)
        LLVMOrcSymbolStringPoolClearDeadEntries(LLVMOrcExecutionSessionGetSymbolStringPool(
            LLVMOrcLLJITGetExecutionSession(jit->lljit)));
}

void kj_code_free_mem(kjit *jit, LLVMOrcResourceTrackerRef rt, struct kj_elf *elf) {
    if (rt) kj_rt_free(jit, rt);
    kj_elf_free(jit, elf);
}

int kj_unit_optimised(LLVMModuleRef mod) {
    return LLVMGetNamedMetadata(mod, KJIT_MD_OPTIMISED, strlen(KJIT_MD_OPTIMISED)) &&
           !LLVMGetNamedMetadata(mod, KJIT_MD_UNOPTIMISED, strlen(KJIT_MD_UNOPTIMISED));
}

int kj_unit_tier(const kj_unit *u) {
    return !u->tier || strcmp(u->tier, "T1") == 0                        ? 1
           : strcmp(u->tier, "T2") == 0 || strcmp(u->tier, "osr") == 0 ? 2
                                                                       : 0;
}

const char *kj_unit_passes(const kjit *jit, const kj_unit *u, char buf[32]) {
    int tier = kj_unit_tier(u);
    const char *custom = tier == 1 ? jit->opts.t1_passes : tier == 2 ? jit->opts.t2_passes : NULL;
    if (custom) return custom;
    if (u->passes) return u->passes;
    if (u->opt_level <= 0)
        snprintf(buf, 32, "mem2reg");
    else
        snprintf(buf, 32, "default<O%d>", u->opt_level);
    return buf;
}

kj_code *kj_code_new(const kj_unit *u, const kj_deps *deps, int users) {
    kj_code *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->rt = u->rt;
    c->elf = u->elf;
    c->bytes = u->bytes;
    c->gdb = u->gdb;
    c->users = users;
    if (deps) c->deps = *deps;
    return c;
}

/* LLVM's verifier on the unit's module; `when` names the step it comes
 * before ("" for the generated module).  LLVM's passes and code generator
 * assume valid IR: given invalid IR they may crash or miscompile. */
static kjit_status verify(const kj_unit *u, const char *when) {
    char *msg = NULL;
    kjit_status st = KJIT_OK;
    if (LLVMVerifyModule(u->mod, LLVMReturnStatusAction, &msg))
        st = kj_set_error(KJIT_ECOMPILE, "invalid IR for '%s'%s: %s",
                          u->symbol ? u->symbol : "data", when, msg);
    LLVMDisposeMessage(msg);
    return st;
}

/* The code generator kept for tm in the workspace u holds (made at its
 * first use), or NULL: none (LLVM's C API then builds the pipeline for
 * this one compile).  Building it took about 0.35 ms, as long as -O0 code
 * generation takes for a small function. */
static kj_wrap_emitter *emitter(kjit *jit, kj_unit *u, LLVMTargetMachineRef tm) {
    if (!u->ws || jit->emit_off) return NULL;
    kj_wrap_emitter **slot = tm == jit->tm_fast ? &u->ws->emit[0]
                             : tm == jit->tm    ? &u->ws->emit[1]
                             : u->emitters      ? &u->emitters[u->ws->id]
                                                : NULL;
    if (slot && !*slot) *slot = kj_wrap_emitter_new(tm);
    return slot ? *slot : NULL;
}

static int own_link(kjit *jit, kj_unit *u, const char *obj, size_t n);

/* Link obj (taken) into the JITDylib under its own tracker, look up
 * u->symbol, tell perf and gdb; on failure nothing of it stays. */
static kjit_status add_object(kjit *jit, kj_unit *u, LLVMMemoryBufferRef obj) {
    kjit_status st = KJIT_OK;
    char stale[8]; /* (a reason ORC reported for an earlier link: not this one's) */
    (void)kj_llvm_session_error_take(stale, sizeof stale);
    /* kjit's own linker first (kj_elf.c): a fifth of JITLink's time.  What
     * it does not link, or cannot resolve (ORC then says so, in its
     * words), goes to ORC. */
    if (own_link(jit, u, LLVMGetBufferStart(obj), LLVMGetBufferSize(obj)) == 1) {
        LLVMDisposeMemoryBuffer(obj);
        return KJIT_OK;
    }
    u->bytes = LLVMGetBufferSize(obj);
    kj_perf_syms perf;
    kj_perf_object(jit, obj, &perf);
    size_t dbg_size = LLVMGetBufferSize(obj);
    char *dbg = kj_gdb_debug_copy(LLVMGetBufferStart(obj), dbg_size);
    u->rt = LLVMOrcJITDylibCreateResourceTracker(jit->jd);
    LLVMErrorRef e = LLVMOrcLLJITAddObjectFileWithRT(jit->lljit, u->rt, obj); /* takes obj */
    LLVMOrcExecutorAddress addr = 0;
    if (e)
        st = kj_llvm_error(KJIT_ECOMPILE, "cannot add object", e);
    else if (u->symbol && (e = LLVMOrcLLJITLookup(jit->lljit, &addr, u->symbol)))
        st = kj_llvm_error(KJIT_ECOMPILE, "cannot link", e);
    if (st != KJIT_OK || !u->symbol) { /* (data: linked when first referenced) */
        free(dbg);
        if (st != KJIT_OK) {
            kj_code_free_mem(jit, u->rt, u->elf);
            u->rt = NULL;
        }
        return st;
    }
    u->addr = (void *)(uintptr_t)addr;
    u->gdb = kj_perf_linked(jit, &perf, u->tier ? u->tier : "compiled", dbg, dbg_size);
    return KJIT_OK;
}

kjit_status kj_compile(kjit *jit, kj_unit *u) {
    uint64_t t0 = kj_now_us();
    kjit_status st = KJIT_OK;
    LLVMMemoryBufferRef obj = NULL;
    kj_link_hosts hosts = {0};

    if (jit->opts.verify && (st = verify(u, "")) != KJIT_OK) goto out;

    /* Client callees into their own namespace, before the optimiser sees C
     * names (kj_link.c). */
    st = kj_link_bind(jit, u->mod, &hosts);
    if (st != KJIT_OK) goto out;
    /* Interrupt polls on every entry and back-edge, before the optimiser
     * inlines bodies (which keep theirs). */
    if (!jit->opts.no_polls && jit->polls) jit->polls(jit, u->mod);
    /* Frame pointers, when asked or under a debugger: what lets gdb
     * (kj_gdb.c) and perf's fp unwinder walk through JIT'd frames. */
    if (jit->opts.frame_pointers) {
        LLVMAttributeRef fp = LLVMCreateStringAttribute(LLVMGetModuleContext(u->mod),
                                                        "frame-pointer", 13, "all", 3);
        for (LLVMValueRef f = LLVMGetFirstFunction(u->mod); f; f = LLVMGetNextFunction(f))
            if (!LLVMIsDeclaration(f)) LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, fp);
    }

    /* The client's transformation of this tier, if any (kjit_set_transform). */
    int tier = kj_unit_tier(u);
    kjit_transform xf = tier ? atomic_load(&jit->transform[tier]) : NULL;
    if (xf) {
        char err[KJ_ERRMSG_SIZE] = "";
        size_t n;
        const char *source = LLVMGetModuleIdentifier(u->mod, &n);
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)n, source);
        if (xf(atomic_load(&jit->transform_user[tier]), u->mod, name, err, sizeof err) != 0) {
            st = kj_set_error(KJIT_ECOMPILE, "the transformation refused '%s': %s", name,
                              err[0] ? err : "no reason given");
            goto out;
        }
    }

    /* verify 2 (tests): kjit's own changes (polls, frame pointers) and the
     * client's transformation checked before the passes see them. */
    if (jit->opts.verify >= 2 && (st = verify(u, " before the IR passes")) != KJIT_OK) goto out;

    /* -O0: registers for the allocas and nothing else; -On: LLVM's default
     * pipeline at that level, tuned for the host CPU; or the client's. */
    char buf[32];
    LLVMTargetMachineRef tm = u->tm ? u->tm : u->opt_level <= 0 ? jit->tm_fast : jit->tm;
    const char *passes = kj_unit_passes(jit, u, buf);
    /* The code cache (kj_objcache.c): an object made from this same module
     * the same way, in this run or an earlier one. */
    LLVMErrorRef e;
    u->keyed = kj_objcache_key(jit, u, passes, xf != NULL, u->key);
    if (u->keyed && !u->pre_missed &&
        (obj = u->pre && !xf ? kj_objcache_pre_get(jit, u) : kj_objcache_get(jit, u, u->key)) != NULL) {
        u->cached = 1;
        atomic_fetch_add(&jit->stats.cache_hits, 1);
        goto emitted;
    }
    if (u->keyed) atomic_fetch_add(&jit->stats.cache_misses, 1);
    /* (LLVMRunPasses builds a pass builder and registers every analysis
     * with it: 0.09 ms, for nothing when there is no pass to run.) */
    if (strcmp(passes, KJ_NO_PASSES) != 0) {
        LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
        e = LLVMRunPasses(u->mod, passes, tm, pbo);
        LLVMDisposePassBuilderOptions(pbo);
        if (e) {
            st = kj_llvm_error(KJIT_ECOMPILE, "optimisation failed", e);
            goto out;
        }
    }

    kj_link_finish(u->mod, &hosts);
    if (u->instrument && !u->uncounted) u->instrument(u->instrument_ctx, u->mod, u->symbol);
    /* verify 2: and what the code generator gets (T1's counters are added
     * after the passes). */
    if (jit->opts.verify >= 2 && (st = verify(u, " before code generation")) != KJIT_OK)
        goto out;

    char *msg = NULL;
    kj_wrap_emitter *em = emitter(jit, u, tm);
    if (em ? !(obj = kj_wrap_emit(em, u->mod))
           : LLVMTargetMachineEmitToMemoryBuffer(tm, u->mod, LLVMObjectFile, &msg, &obj)) {
        st = kj_set_error(KJIT_ECOMPILE, "code generation failed for '%s': %s",
                          u->symbol ? u->symbol : "data",
                          msg ? msg : "?");
        LLVMDisposeMessage(msg);
        goto out;
    }
    if (u->keyed && (u->pre && !xf ? kj_objcache_pre_put(jit, u, obj)
                                   : kj_objcache_put(jit, u, u->key, obj)) == 0) {
        atomic_fetch_add(&jit->stats.cache_stored, 1);
        /* A counting T1 body kept: T2 would do better (kjit_cache_finish). */
        if (u->instrument && !u->t1_full && !u->uncounted) atomic_fetch_add(&jit->unfinished, 1);
    }
emitted:
    kj_unit_discard(u);
    st = add_object(jit, u, obj); /* takes obj */
    obj = NULL;

out:
    kj_link_hosts_free(&hosts);
    if (obj) LLVMDisposeMemoryBuffer(obj);
    kj_unit_discard(u);
    u->us = kj_now_us() - t0;
    return st;
}

kjit_status kj_compile_pre(kjit *jit, kj_unit *u, const uint8_t pre[32]) {
    kj_objcache_index ix;
    if (!kj_objcache_index_get(jit, pre, &ix)) return KJIT_EUNDEF;
    char *obj = NULL;
    size_t n = 0;
    if ((ix.known & 1) && kj_link_binding_holds(jit, ix.binding, ix.binding_len)) {
        memcpy(u->key, ix.key[0], sizeof u->key);
        obj = kj_objcache_index_object(jit, u, &ix, &n);
    }
    kjit_status st = obj ? KJIT_OK : KJIT_EUNDEF;
    if (obj) {
        u->keyed = 1;
        if (kj_compile_cached_bytes(jit, u, obj, n) != KJIT_OK) {
            u->cached = u->keyed = 0; /* (then compiled after all) */
            st = KJIT_EUNDEF;
        }
    }
    kj_objcache_index_free(&ix);
    if (st == KJIT_OK) atomic_fetch_add(&jit->stats.cache_hits, 1);
    return st;
}

kjit_status kj_compile_cached(kjit *jit, kj_unit *u, LLVMMemoryBufferRef obj) {
    uint64_t t0 = kj_now_us();
    kj_unit_discard(u);
    u->cached = 1;
    kjit_status st = add_object(jit, u, obj);
    u->us = kj_now_us() - t0;
    return st;
}

/* obj linked by kj_elf.c (LLVM loaded or not: ORC's link costs five times
 * as much): 1 done, 0 not an object it links, -1 an error.  Not a group
 * of functions in one object (--partition=callees): their other symbols
 * are looked up in ORC's JITDylib. */
static int own_link(kjit *jit, kj_unit *u, const char *obj, size_t n) {
    if (jit->own_link_off || jit->opts.partition == KJIT_PARTITION_CALLEES) return 0;
    /* (a copy where it is not aligned for the ELF headers: a cache entry's
     * object sits after the symbol's name; LLVM's buffers are) */
    char *copy = (uintptr_t)obj & 7 ? malloc(n ? n : 1) : NULL;
    if ((uintptr_t)obj & 7) {
        if (!copy) return kj_set_error(KJIT_ENOMEM, "out of memory"), -1;
        obj = memcpy(copy, obj, n);
    }
    kj_perf_syms perf;
    uint64_t addr[KJ_PERF_SYMS];
    void *entry = NULL;
    int r = kj_elf_link(jit, obj, n, u->symbol, &u->elf, &entry, &perf, addr);
    free(copy);
    if (r != 1) return r;
    u->bytes = n;
    u->addr = entry;
    if (u->symbol)
        u->gdb = kj_perf_linked_at(jit, &perf, addr, u->tier ? u->tier : "compiled", NULL, 0);
    atomic_fetch_add(&jit->stats.own_linked, 1);
    return 1;
}

kjit_status kj_compile_cached_bytes(kjit *jit, kj_unit *u, const char *obj, size_t n) {
    uint64_t t0 = kj_now_us();
    kj_unit_discard(u);
    u->cached = 1;
    int own = own_link(jit, u, obj, n);
    kjit_status st = KJIT_OK;
    if (own != 1) { /* (an error: ORC's words for it) */
        LLVMMemoryBufferRef b = NULL;
        st = kj_llvm_ready(jit);
        if (st == KJIT_OK && !(b = LLVMCreateMemoryBufferWithMemoryRangeCopy(obj, n, "kjit-cached")))
            st = kj_set_error(KJIT_ENOMEM, "out of memory");
        if (st == KJIT_OK) st = add_object(jit, u, b);
    }
    u->us = kj_now_us() - t0;
    return st;
}
