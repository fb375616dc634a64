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
#include <pthread.h>
#include <errno.h>
#include <fenv.h>
#include <stdatomic.h>
#include <stdint.h>
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
    if (strcmp(name, KJ_LINK_OSR) == 0) return (void *)(uintptr_t)jit->osr_c_fn;
    *callable = 0;
    int count = strncmp(name, KJ_LINK_COUNT, sizeof KJ_LINK_COUNT - 1) == 0;
    if (!count && strncmp(name, KJ_LINK_FN, sizeof KJ_LINK_FN - 1) != 0) return NULL;
    pthread_mutex_lock(&jit->lock);
    kj_fn *fn = kj_fn_lookup_or_add(jit, name + sizeof KJ_LINK_COUNT - 1);
    pthread_mutex_unlock(&jit->lock);
    return !fn ? NULL : count ? (void *)&fn->count : (void *)fn;
}

/* ---- the process's own thread-locals ---------------------------------------
 *
 * kjit compiles thread-local variables the emulated way (kj_wrap.cpp): an
 * access is a call of __emutls_get_address with the variable's control
 * object, "__emutls_v.NAME", which the module defining NAME provides.  A
 * thread-local of the process (libstdc++'s std::__once_callable, which
 * std::call_once and so std::async use) has no such object: the process
 * has it natively, in a TLS block of its own per thread.  For such a NAME
 * the link gets a control object made here, marked as ours, and
 * __emutls_get_address resolves to host_tls_address: for our objects, the
 * calling thread's address of NAME (dlsym gives the calling thread's copy
 * of a TLS symbol), cached per thread; for every other object, libgcc's.
 * The objects live as long as the process (a JIT's code may still run in
 * another JIT's threads), one per name, in a list. */
typedef struct host_tls {
    uintptr_t size, align; /* libgcc's struct __emutls_object, which */
    void *loc;             /* __emutls_get_address reads: templ is */
    const void *templ;     /* host_tls_mark on ours */
    struct host_tls *next;
    char name[];
} host_tls;

static const char host_tls_mark;
static void *_Atomic emutls_real; /* libgcc's __emutls_get_address */
static host_tls *host_tls_list;
static pthread_mutex_t host_tls_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct {
    const host_tls *obj;
    void *addr;
} host_tls_cache[8];

static void *host_tls_address(void *obj) {
    const host_tls *o = obj;
    if (o->templ != &host_tls_mark) {
        void *(*real)(void *);
        void *p = atomic_load_explicit(&emutls_real, memory_order_relaxed);
        memcpy(&real, &p, sizeof real);
        return real(obj);
    }
    unsigned h = (unsigned)((uintptr_t)o >> 4) % 8u; /* (calloc: 16-aligned) */
    if (host_tls_cache[h].obj == o) return host_tls_cache[h].addr;
    void *a = dlsym(RTLD_DEFAULT, o->name);
    host_tls_cache[h].obj = o;
    host_tls_cache[h].addr = a;
    return a;
}

/* The process's thread-locals that kjit's own work changes on a program
 * thread: LLVM runs std::call_once in a first call's compile, and so
 * leaves libstdc++'s pointers null, which the program's own call_once,
 * whose function's first call this may be, reads next. */
static const char *const kept_names[KJ_LINK_KEPT] = {"_ZSt15__once_callable",
                                                     "_ZSt11__once_call"};
static host_tls *_Atomic kept_obj[KJ_LINK_KEPT];

/* The control object for the process's thread-local `name`, or NULL if
 * the process has no such symbol (or no emulated TLS to fall back on). */
static void *host_tls_object(const char *name) {
    if (!dlsym(RTLD_DEFAULT, name)) return NULL;
    pthread_mutex_lock(&host_tls_lock);
    void *real = dlsym(RTLD_DEFAULT, "__emutls_get_address");
    if (real) atomic_store(&emutls_real, real);
    host_tls *o = host_tls_list;
    while (o && strcmp(o->name, name) != 0) o = o->next;
    if (!o && real) {
        size_t n = strlen(name) + 1;
        o = calloc(1, sizeof *o + n);
        if (o) {
            o->size = o->align = sizeof(void *); /* (never read: not libgcc's) */
            o->templ = &host_tls_mark;
            memcpy(o->name, name, n);
            o->next = host_tls_list;
            host_tls_list = o;
            for (int i = 0; i < KJ_LINK_KEPT; i++)
                if (strcmp(name, kept_names[i]) == 0) atomic_store(&kept_obj[i], o);
        }
    }
    pthread_mutex_unlock(&host_tls_lock);
    return o;
}

void kj_link_thread_save(kj_link_thread *t) {
    t->err = errno;
    /* kjit's locks are held across cancellation points (a wait for the
     * ahead thread, the code cache's files): a thread cancelled there
     * would leave them held, and every other first call waits forever.  A
     * cancel is acted on at the program's next cancellation point. */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &t->cancel);
    /* LLVM's work runs in the default floating-point environment (rounding
     * to nearest), and the program's flags are not changed by it: its
     * constant folder clears them, its register allocator's float weights
     * raise inexact. */
    fegetenv(&t->fenv);
    fesetenv(FE_DFL_ENV);
    for (int i = 0; i < KJ_LINK_KEPT; i++) {
        host_tls *o = atomic_load(&kept_obj[i]);
        void *a = o ? host_tls_address(o) : NULL;
        t->kept[i] = NULL;
        if (a) memcpy(&t->kept[i], a, sizeof t->kept[i]);
    }
    errno = t->err;
}

void kj_link_thread_restore(const kj_link_thread *t) {
    for (int i = 0; i < KJ_LINK_KEPT; i++) {
        host_tls *o = atomic_load(&kept_obj[i]);
        void *a = o ? host_tls_address(o) : NULL;
        if (a) memcpy(a, &t->kept[i], sizeof t->kept[i]);
    }
    fesetenv(&t->fenv);
    int old;
    pthread_setcancelstate(t->cancel, &old);
    errno = t->err;
}

int kj_link_host_tls(const void *obj) {
    return obj && ((const host_tls *)obj)->templ == &host_tls_mark;
}

void *kj_link_emutls_real(void) { return atomic_load(&emutls_real); }

/* A name outside kjit's namespaces: the process's symbol, or ours for
 * emulated TLS of the process's thread-locals (above). */
static void *resolve_process(const char *name) {
    void *real;
    if (strcmp(name, "__emutls_get_address") == 0 && (real = dlsym(RTLD_DEFAULT, name))) {
        atomic_store(&emutls_real, real); /* (before any code calls ours) */
        void *(*f)(void *) = host_tls_address;
        void *p;
        memcpy(&p, &f, sizeof p);
        return p;
    }
    void *a = dlsym(RTLD_DEFAULT, name);
    if (!a && strncmp(name, "__emutls_v.", 11) == 0) a = host_tls_object(name + 11);
    return a;
}

/* Where a name the JITDylib does not define resolves: a stub, a process
 * symbol, what compiled code reaches of kjit, or nothing (NULL: the link
 * fails, naming it). */
void *kj_link_resolve(kjit *jit, const char *name, int *callable) {
    size_t plen = sizeof KJ_NS - 1; /* == sizeof KJ_HOST_NS - 1, KJ_LINK_COUNT... */
    *callable = 1;
    if (strncmp(name, "__kjit", 6) != 0) {
        void *a = resolve_process(name);
        if (a && strncmp(name, "__emutls_v.", 11) == 0) *callable = 0;
        return a;
    }
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
