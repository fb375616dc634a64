/*
 * kj_link.c — the two namespaces a compiled module's symbols live in, and
 * how each name is resolved when the object is linked.
 *
 * A module calls two kinds of functions:
 *   - the client's functions (defined with kjit_define, or not defined yet):
 *     before the pass pipeline runs, kj_link_bind renames every one of them
 *     "__kjit.f.NAME".  The optimiser sees no C name it could take for a
 *     library function.
 *   - host functions (kjit_define_host, kjit_declare_host): they keep their
 *     C name through the passes, so the optimiser may use what it knows of
 *     libm (floor becomes an instruction, pow(2, x) becomes exp2(x)); after
 *     the passes kj_link_finish renames the ones still called
 *     "__kjit.h.NAME".
 * Both resolve to the function's stub, so a redefinition reaches every
 * caller.  The C names left in the object were introduced by the optimiser
 * or the code generator (exp2, memcpy, fmod, compiler-rt helpers): they
 * resolve to the process's symbols, and only they do.  So a client name never
 * reaches a host symbol unless the client declared it a host function, and a
 * library call the optimiser wrote never reaches a client function of the
 * same name: the namespaces cannot meet, since registered names may not
 * begin with "__kjit".
 *
 * Resolution is lazy: the JITDylib asks kj_link's definition generator for
 * each name no object defines, once per name.
 *
 * Layer pipeline (lib/LAYERS): calls only lib/tools, lib/machine and
 * lib/base; what it runs of the tiers it is handed (kj_unit.instrument,
 * kjit.polls, the trampoline's resolver).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "base/kj_base.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"


/* Whether calls to fn keep their C name: a host function, or a declared one
 * nothing has defined (yet).  Caller holds jit->lock. */
static int host_named(const kj_fn *fn) {
    return fn->state == KJ_HOST || (fn->state == KJ_UNDEFINED && fn->host_ok);
}

/* Calls of f go through the GOT (`call *f@GOTPCREL(%rip)` on x86-64), not a
 * PLT stub: kjit's own linker makes that GOT slot hold the function's code
 * itself, written whenever its stub's target is (kj_elf.c), so a call
 * skips the stub's jump (Misc-evalloop's calls of `execute`: a fifth of its
 * samples in the stub). */
static void got_called(LLVMValueRef f) {
    static unsigned kind;
    if (!kind) kind = LLVMGetEnumAttributeKindForName("nonlazybind", 11);
    LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(LLVMGetModuleContext(LLVMGetGlobalParent(f)),
                                                    kind, 0));
}

/* Rename f to prefix + its name. */
static int rename_fn(LLVMValueRef f, const char *prefix, size_t plen) {
    size_t len;
    const char *name = LLVMGetValueName2(f, &len);
    char buf[256], *ns = len + plen < sizeof buf ? buf : malloc(len + plen + 1);
    if (!ns) return -1;
    memcpy(ns, prefix, plen);
    memcpy(ns + plen, name, len + 1);
    LLVMSetValueName2(f, ns, len + plen);
    if (ns != buf) free(ns);
    got_called(f);
    return 0;
}

/* Callees are declarations, or (T2) available_externally bodies; the JIT's
 * own names are bound already. */
static const char *callee_name(LLVMValueRef f) {
    if (LLVMGetIntrinsicID(f) != 0 ||
        !(LLVMIsDeclaration(f) || LLVMGetLinkage(f) == LLVMAvailableExternallyLinkage))
        return NULL;
    size_t len;
    const char *name = LLVMGetValueName2(f, &len);
    return strncmp(name, "__kjit", 6) == 0 ? NULL : name;
}

void kj_link_hosts_free(kj_link_hosts *h) {
    for (int i = 0; i < h->n; i++) free(h->name[i]);
    free(h->name);
    memset(h, 0, sizeof *h);
}

static int hosts_add(kj_link_hosts *h, const char *name) {
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 8;
        char **p = realloc(h->name, sizeof *p * (size_t)cap);
        if (!p) return -1;
        h->name = p;
        h->cap = cap;
    }
    return (h->name[h->n] = strdup(name)) ? (h->n++, 0) : -1;
}

kjit_status kj_link_bind(kjit *jit, LLVMModuleRef mod, kj_link_hosts *hosts) {
    kjit_status st = KJIT_OK;
    pthread_mutex_lock(&jit->lock);
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
        const char *name = callee_name(f);
        if (!name) continue;
        kj_fn *fn = kj_fn_lookup_or_add(jit, name);
        int host = fn && host_named(fn);
        if (!fn || (host ? hosts_add(hosts, name) : rename_fn(f, KJ_NS, sizeof KJ_NS - 1))) {
            st = kj_set_error(KJIT_ENOMEM, "out of memory binding '%s'", name);
            break;
        }
    }
    pthread_mutex_unlock(&jit->lock);
    return st;
}

void kj_link_finish(LLVMModuleRef mod, kj_link_hosts *hosts) {
    for (int i = 0; i < hosts->n; i++) {
        LLVMValueRef f = LLVMGetNamedFunction(mod, hosts->name[i]);
        if (f && callee_name(f)) rename_fn(f, KJ_HOST_NS, sizeof KJ_HOST_NS - 1);
    }
    kj_link_hosts_free(hosts);
}

LLVMValueRef kj_link_extern(LLVMModuleRef mod, const char *name, LLVMTypeRef ty) {
    if (LLVMGetTypeKind(ty) == LLVMFunctionTypeKind) {
        LLVMValueRef f = LLVMGetNamedFunction(mod, name);
        return f ? f : LLVMAddFunction(mod, name, ty);
    }
    LLVMValueRef g = LLVMGetNamedGlobal(mod, name);
    return g ? g : LLVMAddGlobal(mod, ty, name);
}

LLVMValueRef kj_link_extern_of(LLVMModuleRef mod, const char *prefix, const char *name,
                               LLVMTypeRef ty) {
    size_t p = strlen(prefix), n = strlen(name);
    char buf[256], *s = p + n < sizeof buf ? buf : malloc(p + n + 1);
    if (!s) return NULL;
    memcpy(s, prefix, p);
    memcpy(s + p, name, n + 1);
    LLVMValueRef v = kj_link_extern(mod, s, ty);
    if (s != buf) free(s);
    return v;
}

/* The names of KJ_LINK_*: what the polls and counters reach.  *callable
 * says whether it is code. */
static void *resolve_runtime(kjit *jit, const char *name, int *callable) {
    *callable = 0;
    if (strcmp(name, KJ_LINK_INTERRUPT) == 0) return (void *)&jit->interrupt;
    if (strcmp(name, KJ_LINK_JIT) == 0) return jit;
    *callable = 1;
    if (strcmp(name, KJ_LINK_POLL) == 0) return (void *)(uintptr_t)jit->poll_fn;
    if (strcmp(name, KJ_LINK_HOT) == 0) return (void *)(uintptr_t)jit->hot_fn;
    *callable = 0;
    int count = strncmp(name, KJ_LINK_COUNT, sizeof KJ_LINK_COUNT - 1) == 0;
    if (!count && strncmp(name, KJ_LINK_FN, sizeof KJ_LINK_FN - 1) != 0) return NULL;
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_lookup_or_add(jit, name + sizeof KJ_LINK_COUNT - 1);
    pthread_mutex_unlock(&jit->lock);
    return !fn ? NULL : count ? (void *)&fn->count : (void *)fn;
}

/* Where a name the JITDylib does not define resolves: a stub, a process
 * symbol, what compiled code reaches of kjit, or nothing (NULL: the link
 * fails, naming it). */
void *kj_link_resolve(kjit *jit, const char *name, int *callable) {
    size_t plen = sizeof KJ_NS - 1; /* == sizeof KJ_HOST_NS - 1, KJ_LINK_COUNT... */
    *callable = 1;
    if (strncmp(name, "__kjit", 6) != 0) return dlsym(RTLD_DEFAULT, name);
    if (strncmp(name, "__kjit.x.", 9) == 0 || strncmp(name, KJ_LINK_COUNT, plen) == 0 ||
        strncmp(name, KJ_LINK_FN, plen) == 0)
        return resolve_runtime(jit, name, callable);
    if (strncmp(name, KJ_NS, plen) != 0 && strncmp(name, KJ_HOST_NS, plen) != 0) return NULL;
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_lookup_or_add(jit, name + plen);
    void *addr = fn ? fn->stub.entry : NULL;
    pthread_mutex_unlock(&jit->lock);
    return addr;
}

char *kj_link_binding(LLVMModuleRef mod, size_t *len) {
    size_t cap = 256, n = 0;
    char *b = malloc(cap);
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f && b; f = LLVMGetNextFunction(f)) {
        if (LLVMGetIntrinsicID(f) != 0 ||
            !(LLVMIsDeclaration(f) || LLVMGetLinkage(f) == LLVMAvailableExternallyLinkage))
            continue;
        size_t l;
        const char *name = LLVMGetValueName2(f, &l);
        int client = strncmp(name, KJ_NS, sizeof KJ_NS - 1) == 0;
        if (client) name += sizeof KJ_NS - 1, l -= sizeof KJ_NS - 1;
        else if (strncmp(name, "__kjit", 6) == 0) continue; /* kjit's own */
        if (n + l + 2 > cap) {
            while (n + l + 2 > cap) cap *= 2;
            char *p = realloc(b, cap);
            if (!p) free(b);
            b = p;
            if (!b) break;
        }
        b[n++] = client ? 'c' : 'h';
        memcpy(b + n, name, l);
        n += l;
        b[n++] = 0;
    }
    *len = b ? n : 0;
    return b;
}

int kj_link_binding_holds(kjit *jit, const char *b, size_t len) {
    int ok = 1;
    pthread_mutex_lock(&jit->lock);
    for (size_t i = 0; i < len && ok; i += strlen(b + i) + 1) {
        kj_fn *fn = kj_fn_lookup_or_add(jit, b + i + 1);
        ok = fn && (b[i] == 'h') == (host_named(fn) != 0);
    }
    pthread_mutex_unlock(&jit->lock);
    return ok;
}

static LLVMErrorRef generate(LLVMOrcDefinitionGeneratorRef g, void *ctx,
                             LLVMOrcLookupStateRef *state, LLVMOrcLookupKind kind,
                             LLVMOrcJITDylibRef jd, LLVMOrcJITDylibLookupFlags flags,
                             LLVMOrcCLookupSet set, size_t n) {
    (void)g, (void)state, (void)kind, (void)flags;
    kjit *jit = ctx;
    for (size_t i = 0; i < n; i++) {
        const char *mangled = LLVMOrcSymbolStringPoolEntryStr(set[i].Name);
        const char *name = mangled + (jit->global_prefix && mangled[0] == jit->global_prefix);
        int callable;
        void *addr = kj_link_resolve(jit, name, &callable);
        if (!addr) continue; /* the lookup reports it missing */
        LLVMOrcRetainSymbolStringPoolEntry(set[i].Name); /* AbsoluteSymbols takes it */
        LLVMOrcCSymbolMapPair sym = {
            .Name = set[i].Name,
            .Sym = {.Address = (LLVMOrcExecutorAddress)(uintptr_t)addr,
                    .Flags = {.GenericFlags = LLVMJITSymbolGenericFlagsExported |
                                              (callable ? LLVMJITSymbolGenericFlagsCallable
                                                        : 0)}}};
        /* Two lookups may ask for one name at once: a duplicate definition
         * means the other one won, which is as good. */
        LLVMErrorRef e = LLVMOrcJITDylibDefine(jd, LLVMOrcAbsoluteSymbols(&sym, 1));
        if (e) LLVMConsumeError(e);
    }
    return LLVMErrorSuccess;
}

void kj_link_init(kjit *jit) {
    jit->global_prefix = LLVMOrcLLJITGetGlobalPrefix(jit->lljit);
    LLVMOrcJITDylibAddGenerator(jit->jd,
                                LLVMOrcCreateCustomCAPIDefinitionGenerator(generate, jit, NULL));
}
