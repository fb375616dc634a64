/*
 * kj_llvm.c — loading LLVM, and setting up a JIT's backend, at the first
 * compile instead of at start-up.
 *
 * libLLVM is large: mapping and relocating it and running its static
 * constructors takes about 50 ms, before main if a program is linked with
 * it.  A program whose code runs at T0 and never gets hot needs none of it.
 * So the kjit command is linked with LLVM's symbols left unresolved (lld's
 * `-z undefs`, lazy binding: see CMakeLists.txt), and kj_llvm_load opens
 * libLLVM with RTLD_GLOBAL when something is first compiled; from then on
 * the program's calls into LLVM bind to it as they are first made.  What
 * it opens is the build's libkjit-llvm.so where there is one (only the
 * LLVM kjit calls: loaded in a third of the time, docs/DESIGN.md "Loading
 * LLVM"), else libLLVM.  A client linked with LLVM the usual way has it
 * loaded already, and kj_llvm_load only notices that.
 *
 * In tiered mode the first compile happens on the background compiler
 * thread, so the program never waits for LLVM to load.  In the other modes
 * the first compile loads it where it is needed.
 *
 * A JIT's backend — the LLJIT, its JITDylib and name resolution (kj_link.c),
 * the target machines, the globals defined so far — is made once, under
 * llvm_lock, by whichever thread first needs it.
 *
 * Layer pipeline (lib/LAYERS): calls only lib/tools, lib/machine and
 * lib/base; what it runs of the tiers it is handed (kj_unit.instrument,
 * kjit.polls, the trampoline's resolver).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"
#include "base/kj_wrap.h"

/* Where libLLVM is, as the build found it; then its soname. */
#ifndef KJIT_LLVM_LIBRARY
#define KJIT_LLVM_LIBRARY "libLLVM.so.19.1"
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[KJ_ERRMSG_SIZE];

#ifdef KJIT_OWN_LLVM
/* The build's libkjit-llvm.so (CMakeLists.txt, cmake/own-llvm.sh): beside
 * the program (the build tree), else where `make install` puts it relative
 * to the program's directory.  NULL when neither is there. */
static void *open_own(void) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    slash[1] = 0;
    const char *rel[] = {KJIT_OWN_LLVM, KJIT_OWN_LLVM_INSTALLED};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s%s", exe, rel[i]);
        if (access(path, R_OK) != 0) continue;
        void *h = dlopen(path, RTLD_LAZY | RTLD_GLOBAL);
        if (h) return h;
    }
    return NULL;
}
#endif

static void load(void) {
    /* Linked in (or loaded by someone) already? */
    if (!dlsym(RTLD_DEFAULT, "LLVMContextCreate")) {
        void *h = NULL;
        /* KJIT_LLVM_LIBRARY: that one, and no other (benchmarks compare). */
        const char *chosen = getenv("KJIT_LLVM_LIBRARY");
        if (chosen && chosen[0]) {
            if (!(h = dlopen(chosen, RTLD_LAZY | RTLD_GLOBAL))) {
                snprintf(load_error, sizeof load_error, "cannot load LLVM (KJIT_LLVM_LIBRARY): %s",
                         dlerror());
                return;
            }
        }
#ifdef KJIT_OWN_LLVM
        if (!h) h = open_own();
#endif
        const char *names[] = {KJIT_LLVM_LIBRARY, "libLLVM.so.19.1", "libLLVM-19.so"};
        for (size_t i = 0; i < sizeof names / sizeof names[0] && !h; i++)
            h = dlopen(names[i], RTLD_LAZY | RTLD_GLOBAL);
        if (!h) {
            snprintf(load_error, sizeof load_error, "cannot load LLVM: %s", dlerror());
            return;
        }
    }
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    LLVMInitializeNativeAsmParser(); /* inline asm in C programs */
}

int kj_llvm_exit_safe(void) {
    /* (cmake/own-llvm.sh's marker: its __cxa_atexit keeps nothing) */
    return dlsym(RTLD_DEFAULT, "kjit_llvm_keeps_no_statics") != NULL;
}

kjit_status kjit_llvm_load(void) {
    pthread_once(&load_once, load);
    return load_error[0] ? kj_set_error(KJIT_ECOMPILE, "%s", load_error) : KJIT_OK;
}

/* LLVM's default diagnostic handler prints, and exits on an error; libkjit
 * never prints.  An error's text becomes the thread's error message, for
 * the failure that follows it. */
static void on_diagnostic(LLVMDiagnosticInfoRef di, void *user) {
    (void)user;
    if (LLVMGetDiagInfoSeverity(di) != LLVMDSError) return;
    char *msg = LLVMGetDiagInfoDescription(di);
    kj_set_error(KJIT_ECOMPILE, "%s", msg);
    LLVMDisposeMessage(msg);
}

kjit_status kj_llvm_check_passes(const char *passes) {
    kjit_status st = kjit_llvm_load();
    if (st != KJIT_OK) return st;
    LLVMContextRef ctx = kj_llvm_context();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("check", ctx);
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, passes, NULL, pbo);
    LLVMDisposePassBuilderOptions(pbo);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return e ? kj_llvm_error(KJIT_EINVAL, "bad pass pipeline", e) : KJIT_OK;
}

LLVMContextRef kj_llvm_context(void) {
    LLVMContextRef ctx = LLVMContextCreate();
    if (ctx) LLVMContextSetDiagnosticHandler(ctx, on_diagnostic, NULL);
    return ctx;
}

/* Notices ORC cannot return to a caller.  A failed link also fails the
 * lookup that caused it, which reports its own error ("Failed to
 * materialize symbols: main"); the notice, which says why ("Symbols not
 * found: [ nosuchvar ]"), is kept for that error (kj_llvm_error), on the
 * thread that linked (ORC's default reporter would print it, and libkjit
 * never prints). */
static _Thread_local char tls_session_error[256];

static void drop_session_error(void *ctx, LLVMErrorRef err) {
    (void)ctx;
    char *msg = LLVMGetErrorMessage(err);
    snprintf(tls_session_error, sizeof tls_session_error, "%s", msg ? msg : "");
    LLVMDisposeErrorMessage(msg);
}

int kj_llvm_session_error_take(char *out, size_t len) {
    int had = tls_session_error[0] != 0;
    snprintf(out, len, "%s", tls_session_error);
    tls_session_error[0] = 0;
    return had;
}

static kjit_status define_abs(kjit *jit, const char *name, void *addr) {
    LLVMOrcCSymbolMapPair sym = {
        .Name = LLVMOrcLLJITMangleAndIntern(jit->lljit, name),
        .Sym = {.Address = (LLVMOrcExecutorAddress)(uintptr_t)addr,
                .Flags = {.GenericFlags = LLVMJITSymbolGenericFlagsExported}}};
    LLVMErrorRef e = LLVMOrcJITDylibDefine(jit->jd, LLVMOrcAbsoluteSymbols(&sym, 1));
    if (!e) return KJIT_OK;
    char what[300];
    snprintf(what, sizeof what, "cannot define global '%s'", name);
    return kj_llvm_error(KJIT_ECOMPILE, what, e);
}

static kjit_status define_global(kjit *jit, kj_global *g) { return define_abs(jit, g->name, g->mem); }

/* A data object's symbol kj_elf.c linked before LLVM was here. */
static void define_own(kjit *jit, const char *name, void *addr) {
    if (define_abs(jit, name, addr) != KJIT_OK) kj_set_error(KJIT_OK, "%s", "");
}

void *kj_llvm_lookup(kjit *jit, const char *name) {
    if (!atomic_load(&jit->llvm_ready)) return NULL;
    LLVMOrcExecutorAddress a = 0;
    LLVMErrorRef e = LLVMOrcLLJITLookup(jit->lljit, &a, name);
    if (e) LLVMConsumeError(e);
    return e ? NULL : (void *)(uintptr_t)a;
}

void kj_llvm_define_own(kjit *jit, const char *name, void *addr) {
    if (atomic_load(&jit->llvm_ready)) define_own(jit, name, addr);
}

kjit_status kj_llvm_define_global(kjit *jit, kj_global *g) {
    return atomic_load(&jit->llvm_ready) ? define_global(jit, g) : KJIT_OK;
}

/* Make the backend (caller holds llvm_lock).  On failure what was made is
 * kept for kj_llvm_teardown and the message is kept for every later try. */
static kjit_status setup(kjit *jit) {
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&jit->lljit, LLVMOrcCreateLLJITBuilder());
    if (e) return kj_llvm_error(KJIT_ECOMPILE, "cannot create LLJIT", e);
    LLVMOrcExecutionSessionSetErrorReporter(LLVMOrcLLJITGetExecutionSession(jit->lljit),
                                            drop_session_error, NULL);
    jit->jd = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
    /* Every name no object defines: stubs, or host symbols (kj_link.c). */
    kj_link_init(jit);

    jit->triple = strdup(LLVMOrcLLJITGetTripleString(jit->lljit));
    LLVMTargetRef target;
    char *msg = NULL;
    if (!jit->triple || LLVMGetTargetFromTriple(jit->triple, &target, &msg)) {
        kj_set_error(KJIT_ECOMPILE, "no target for this host: %s", msg ? msg : "?");
        LLVMDisposeMessage(msg);
        return KJIT_ECOMPILE;
    }
    char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
    static const LLVMCodeGenOptLevel levels[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                                 LLVMCodeGenLevelDefault,
                                                 LLVMCodeGenLevelAggressive};
    /* The small code model, as LLJIT's own with JITLink: a JIT's default
     * is the large one, where every call loads a 64-bit address (fib's T2
     * body called itself through the GOT).  What lies outside the object
     * is reached through the GOT and JITLink's stubs (DESIGN.md). */
    jit->tm = LLVMCreateTargetMachine(target, jit->triple, cpu, features,
                                      levels[jit->opts.opt_level], LLVMRelocPIC,
                                      LLVMCodeModelSmall);
    jit->tm_fast = LLVMCreateTargetMachine(target, jit->triple, cpu, features,
                                           LLVMCodeGenLevelNone, LLVMRelocPIC,
                                           LLVMCodeModelSmall);
    jit->target = target;
    jit->cpu = cpu;
    jit->features = features;
    if (!jit->tm || !jit->tm_fast)
        return kj_set_error(KJIT_ECOMPILE, "cannot create a target machine");
    kj_wrap_machine(jit->tm);
    kj_wrap_machine(jit->tm_fast);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(jit->tm);
    char *dl = LLVMCopyStringRepOfTargetData(td);
    jit->datalayout = strdup(dl);
    LLVMDisposeMessage(dl);
    LLVMDisposeTargetData(td);
    if (!jit->datalayout) return kj_set_error(KJIT_ENOMEM, "out of memory");
    kj_objcache_machine(jit, jit->triple, cpu, features, jit->datalayout);
    if (jit->opts.mode == KJIT_MODE_LAZY_IR) jit->ir_ctx = kj_llvm_context();

    /* The globals defined before LLVM was here. */
    kjit_status st = KJIT_OK;
    pthread_mutex_lock(&jit->lock);
    for (kj_global *g = jit->globals; g && st == KJIT_OK; g = g->next) st = define_global(jit, g);
    kj_elf_each(jit, define_own);
    if (st == KJIT_OK) atomic_store(&jit->llvm_ready, 1);
    pthread_mutex_unlock(&jit->lock);
    return st;
}

kjit_status kj_llvm_ready(kjit *jit) {
    if (atomic_load_explicit(&jit->llvm_ready, memory_order_acquire)) return KJIT_OK;
    kjit_status st = kjit_llvm_load();
    if (st != KJIT_OK) return st;
    pthread_mutex_lock(&jit->llvm_lock);
    if (!atomic_load(&jit->llvm_ready)) {
        if (!jit->llvm_error[0]) {
            uint64_t t0 = kj_now_us();
            st = setup(jit);
            atomic_store(&jit->stats.llvm_setup_us, kj_now_us() - t0);
            if (st != KJIT_OK)
                snprintf(jit->llvm_error, sizeof jit->llvm_error, "%s", kjit_errmsg());
        }
        if (jit->llvm_error[0]) st = kj_set_error(KJIT_ECOMPILE, "%s", jit->llvm_error);
    }
    pthread_mutex_unlock(&jit->llvm_lock);
    return st;
}

LLVMTargetMachineRef kj_llvm_machine(kjit *jit, int level) {
    static const LLVMCodeGenOptLevel levels[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                                 LLVMCodeGenLevelDefault,
                                                 LLVMCodeGenLevelAggressive};
    LLVMTargetMachineRef tm =
        LLVMCreateTargetMachine(jit->target, jit->triple, jit->cpu, jit->features,
                                levels[level], LLVMRelocPIC, LLVMCodeModelSmall);
    if (tm) kj_wrap_machine(tm);
    return tm;
}

void kj_llvm_teardown(kjit *jit) {
    kj_ws_free_all(jit);
    if (jit->ir_ctx) LLVMContextDispose(jit->ir_ctx);
    if (jit->lljit) LLVMOrcDisposeLLJIT(jit->lljit);
    if (jit->tm) LLVMDisposeTargetMachine(jit->tm);
    if (jit->tm_fast) LLVMDisposeTargetMachine(jit->tm_fast);
    if (jit->cpu) LLVMDisposeMessage(jit->cpu);
    if (jit->features) LLVMDisposeMessage(jit->features);
    free(jit->triple);
    free(jit->datalayout);
}
