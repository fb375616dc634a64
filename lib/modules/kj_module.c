/*
 * kj_module.c — whole LLVM IR modules (kjit_add_module): a C or C++
 * program, run function by function.
 *
 * Adding a module reads it into a *source context* of its own (kept while
 * one of its functions is current, used under `lock` only), and there:
 *   1. checks it (verifier, target), strips debug info, takes out its
 *      constructor and destructor lists;
 *   2. decides who defines each symbol: internal and private symbols get
 *      unique names (NAME.mK); a name an earlier module defines is taken from
 *      there if either definition is weak (linkonce, common, ...), and is an
 *      error if both are strong; available_externally bodies are left to
 *      their real definition (usually in a shared library), or are a weak
 *      definition where the process has none;
 *   3. declares to the JIT the functions no module defines, as host
 *      functions (dlsym);
 *   4. copies every variable it defines into one module, which
 *      kjit_define_data compiles once (kj_wrap_extract);
 *   5. defines each function with signature "*" and a generator that
 *      copies out just that function (kj_wrap_extract again, O(function)):
 *      a first compile in a workspace copies it from the workspace's own
 *      copy of the module, in one context (ws_copy, below); any other
 *      compile (T2, OSR, ...) has a context of its own, into which the copy
 *      goes as bitcode, kept for the next, so the source context is
 *      touched only under `lock`.
 *
 * A copied function calls everything, itself included, by name: through
 * stubs, so a pointer to a function is its stub wherever it is taken.
 *
 * Layer modules (lib/LAYERS), the top: a front end for IR on the API
 * (include/kjit.h, and lib/kj_api.h's deferred definitions), calling the
 * pipeline and base below it for what it compiles itself (kjit_define_data).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/IRReader.h>
#include <llvm-c/Linker.h>

#include "base/kj_base.h"
#include "base/kj_cache.h"
#include "machine/kj_machine.h"
#include "tools/kj_tools.h"
#include "pipeline/kj_pipeline.h"
#include "tiers/kj_tiers.h"
#include "kj_api.h"
#include "base/kj_wrap.h"

/* One function of a module: its generator's user data. */
typedef struct kj_mfn {
    struct kj_modules *ms;
    struct kj_module *m;       /* whose source it is copied from */
    LLVMValueRef *defs;        /* in the source context: the function, then the
                                  variables that hold addresses of its labels */
    unsigned ndefs;
    char *name;
    LLVMMemoryBufferRef bc;    /* its copy as bitcode, once made (under ms->lock) */
} kj_mfn;

/* The most definitions a function has (itself and its tables of labels)
 * for it to be copied in a workspace. */
#define KJ_WS_DEFS 16

/* A module, kept for its functions' generators while one of them is a
 * current definition (refs: those definitions); then freed. */
typedef struct kj_module {
    struct kj_module *next;
    LLVMContextRef ctx;        /* its own: a reload's copy is read beside it */
    LLVMModuleRef mod;
    kj_mfn *fns;
    size_t nfns;
    int refs;
    unsigned index;            /* which module it is (a reload's has its original's) */
    int lazy;                  /* read lazily from bitcode: bodies read when copied */
    char *damaged;             /* the reader's first error reading a body: after it
                                  the reader is not touched again */
    uint8_t src[32];           /* its source key (src_keyed): what its functions' IR is
                                  made from (kj_modules.chain when it was added) */
    int src_keyed;
    /* Read lazily from these bytes (the source module's own, alive as long
     * as it is): a copy of the module in each workspace that compiled one
     * of its functions (ws_copy), its functions copied out there. */
    const char *bytes;
    size_t len;
    LLVMModuleRef copies[KJ_WS_MAX];
    int copy_failed;           /* a copy could not be read: no more tries */
    /* A module added from its plan (a warm run: plan_replay) is read only
     * when something of it must be compiled (attach): till then mod is
     * NULL, bytes its own copy (own), and these the plan's names of its
     * variables and of its tables of labels ("LABEL\0FUNCTION\0"...). */
    char *own;
    char *data_names, *label_names;
    size_t data_len, label_len;
} kj_module;

/* A name some module defines (functions and variables share one
 * namespace, as in a linker). */
typedef struct kj_msym {
    struct kj_msym *next;
    int weak;
    unsigned module;
    kj_mfn *cur;               /* a function: its current definition */
    char *type;                /* its type as text, for reloads to compare */
    char name[];
} kj_msym;

/* A constructor or destructor to run. */
typedef struct kj_xtor {
    int prio;
    unsigned seq;
    char *fn;
} kj_xtor;

typedef struct kj_xtors {
    kj_xtor *v;
    size_t n, cap;
} kj_xtors;

struct kj_modules {
    kjit *jit;
    pthread_mutex_t update;    /* serialises adds and reloads */
    pthread_mutex_t lock;      /* the source contexts and all below */
    kj_module *list;
    unsigned count;
    char **names;              /* of module K (for reloads), count of them */
#define KJ_MSYM_BUCKETS 1024
    kj_msym *syms[KJ_MSYM_BUCKETS];
    kj_xtors ctors, dtors, dtors_due; /* pending; dtors_due: of modules initialised */
    unsigned xtor_seq;
    int uncompiled;            /* modules added whose eager compiles wait */
    char **layouts;            /* of module K: its structs' layouts (struct_layouts) */
    kjit_layout_hook layout_hook;
    void *layout_user;
    /* With the code cache on: SHA-256 over every module added and reloaded
     * so far, their names and bytes, in order.  A function's IR depends
     * only on it and the function's name, except for how its callees are
     * bound, which the cache checks itself (kj_objcache.c). */
    uint8_t chain[32];
    /* While a module is added with the code cache on: its plan, recorded
     * for the next run (plan_record). */
    struct kj_text *rec;
};

/* ---- the source contexts -------------------------------------------------- */

static void modules_free(kjit *jit);
static char *names_in(kjit *jit, const char *global, size_t *len);

static struct kj_modules *modules_of(kjit *jit) {
    pthread_mutex_lock(&jit->lock);
    struct kj_modules *ms = jit->modules;
    if (!ms && (ms = calloc(1, sizeof *ms))) {
        pthread_mutex_init(&ms->lock, NULL);
        pthread_mutex_init(&ms->update, NULL);
        ms->jit = jit;
        jit->modules = ms;
        jit->modules_free = modules_free;
        jit->modules_names_in = names_in;
    }
    pthread_mutex_unlock(&jit->lock);
    return ms;
}

static void module_free(struct kj_modules *ms, kj_module *m) {
    /* (its copies live in workspaces' contexts: retired, for whoever holds
     * each next to dispose of) */
    for (unsigned i = 0; i < KJ_WS_MAX; i++)
        if (m->copies[i]) kj_ws_retire(ms->jit, i, m->copies[i]);
    for (size_t i = 0; i < m->nfns; i++) {
        free(m->fns[i].name);
        free(m->fns[i].defs);
        if (m->fns[i].bc) LLVMDisposeMemoryBuffer(m->fns[i].bc);
    }
    free(m->fns);
    free(m->damaged);
    free(m->own);
    free(m->data_names);
    free(m->label_names);
    if (m->mod) LLVMDisposeModule(m->mod);
    if (m->ctx) LLVMContextDispose(m->ctx);
    free(m);
}

/* One definition of m is gone: the last one frees m. */
static void module_drop(struct kj_modules *ms, kj_module *m) {
    pthread_mutex_lock(&ms->lock);
    int last = --m->refs == 0;
    if (last)
        for (kj_module **p = &ms->list; *p; p = &(*p)->next)
            if (*p == m) {
                *p = m->next;
                break;
            }
    pthread_mutex_unlock(&ms->lock);
    if (last) module_free(ms, m);
}

/* The JIT no longer needs a function's definition (kjit_define's release). */
static void fn_release(void *user) {
    kj_mfn *f = user;
    module_drop(f->ms, f->m);
}

static void modules_free(kjit *jit) {
    struct kj_modules *ms = jit->modules;
    if (!ms) return;
    for (kj_module *m = ms->list, *next; m; m = next) {
        next = m->next;
        module_free(ms, m);
    }
    for (size_t b = 0; b < KJ_MSYM_BUCKETS; b++)
        for (kj_msym *s = ms->syms[b], *next; s; s = next) {
            next = s->next;
            free(s->type);
            free(s);
        }
    kj_xtors *lists[] = {&ms->ctors, &ms->dtors, &ms->dtors_due};
    for (int l = 0; l < 3; l++) {
        for (size_t i = 0; i < lists[l]->n; i++) free(lists[l]->v[i].fn);
        free(lists[l]->v);
    }
    for (unsigned i = 0; i < ms->count; i++) free(ms->names[i]);
    free(ms->names);
    for (unsigned i = 0; ms->layouts && i < ms->count; i++) free(ms->layouts[i]);
    free(ms->layouts);
    pthread_mutex_destroy(&ms->lock);
    pthread_mutex_destroy(&ms->update);
    free(ms);
    jit->modules = NULL;
}

/* ---- names -------------------------------------------------------------------- */

static kj_msym *msym_find(struct kj_modules *ms, const char *name) {
    for (kj_msym *s = ms->syms[kj_hash_name(name) % KJ_MSYM_BUCKETS]; s; s = s->next)
        if (strcmp(s->name, name) == 0) return s;
    return NULL;
}

/* A global value's type as text (its size too, for a variable): what a
 * reload compares. */
static char *type_text(LLVMValueRef g) {
    char *t = LLVMPrintTypeToString(LLVMGlobalGetValueType(g));
    char *r = t ? strdup(t) : NULL;
    LLVMDisposeMessage(t);
    return r;
}

/* A new name of module `module`, its type's text `type` (taken). */
static kj_msym *msym_new(struct kj_modules *ms, char *type, const char *name, int weak,
                         unsigned module) {
    size_t len = strlen(name);
    kj_msym *s = type ? calloc(1, sizeof *s + len + 1) : NULL;
    if (!s) return free(type), NULL;
    s->type = type;
    s->weak = weak;
    s->module = module;
    memcpy(s->name, name, len + 1);
    size_t b = kj_hash_name(name) % KJ_MSYM_BUCKETS;
    s->next = ms->syms[b];
    ms->syms[b] = s;
    return s;
}

static kj_msym *msym_add(struct kj_modules *ms, LLVMValueRef g, const char *name, int weak,
                         unsigned module) {
    return msym_new(ms, type_text(g), name, weak, module);
}

/* ---- text ---------------------------------------------------------------------- */

/* Text that grows: s[0..n) and a NUL; bad once an append ran out of memory
 * (what came after it is missing). */
typedef struct kj_text {
    char *s;
    size_t n, cap;
    int bad;
} kj_text;

static void text_add(kj_text *t, const char *s) {
    size_t k = strlen(s);
    if (t->n + k + 1 > t->cap) {
        size_t cap = (t->n + k + 1) * 2;
        char *m = realloc(t->s, cap);
        if (!m) {
            t->bad = 1;
            return;
        }
        t->s = m, t->cap = cap;
    }
    memcpy(t->s + t->n, s, k + 1);
    t->n += k;
}

/* ---- plans: what adding a module did, for a warm run without LLVM ---------
 *
 * With the code cache on, adding a module of bitcode records what it
 * decided (the names it defines and their types, the functions, variables,
 * tables of labels, aliases, hosts, constructors and destructors) as a
 * *plan*, kept under a key of the module chain's source key (every module
 * added so far, bytes and names) and kjit's build.  A later run that adds
 * the same modules in the same order replays the plan (plan_replay): it
 * defines the same names without reading the module, and so without LLVM.
 * The module is read (attach) only when something of it must be compiled:
 * a function or its variables the cache does not hold, a reload, a print.
 * A plan is a list of records: a tag and its fields, each NUL-terminated
 * (plan_fields says how many). */

/* A record's field, its NUL kept (a plan is a kj_text of them). */
static void rec_put(kj_text *r, const char *x) {
    text_add(r, x);
    if (!r->bad) r->n++;
}

static void rec_add(kj_text *r, char tag, const char *a, const char *b, const char *c) {
    if (!r) return;
    char t[2] = {tag, 0};
    rec_put(r, t);
    rec_put(r, a ? a : "");
    if (b) rec_put(r, b);
    if (c) rec_put(r, c);
}

#define PLAN_MAGIC "KJPLAN1"

/* How many fields a record of `tag` has, or -1: no such record.
 *   S NAME TYPE, w NAME TYPE   a name the module defines (w: weakly)
 *   W NAME                     a strong definition over an earlier weak one
 *   H NAME                     a host function it calls
 *   D FIRST                    its variables, FIRST the first ("": none)
 *   V NAME                     one of them
 *   F NAME                     a function it defines
 *   L LABELS FUNCTION          a table of FUNCTION's labels
 *   A ALIAS FUNCTION           a function alias
 *   C PRIO NAME, X PRIO NAME   a constructor, a destructor */
static int plan_fields(char tag) {
    switch (tag) {
    case 'W': case 'H': case 'D': case 'V': case 'F': return 1;
    case 'S': case 'w': case 'L': case 'A': case 'C': case 'X': return 2;
    default: return -1;
    }
}

/* The next field at *p (before end), or NULL. */
static const char *plan_next(const char **p, const char *end) {
    const char *s = *p, *z = s < end ? memchr(s, 0, (size_t)(end - s)) : NULL;
    if (!z) return NULL;
    *p = z + 1;
    return s;
}

/* The next record at *p (before end): its tag, its fields in f; 0 if there
 * is none whole. */
static char plan_read(const char **p, const char *end, const char *f[2]) {
    const char *tag = plan_next(p, end);
    int k = tag && tag[0] && !tag[1] ? plan_fields(tag[0]) : -1;
    if (k < 0) return 0;
    for (int i = 0; i < k; i++)
        if (!(f[i] = plan_next(p, end))) return 0;
    return tag[0];
}

static const char *name_of(LLVMValueRef g) {
    size_t len;
    return LLVMGetValueName2(g, &len);
}

static int is_weak(LLVMLinkage l) {
    return l == LLVMLinkOnceAnyLinkage || l == LLVMLinkOnceODRLinkage ||
           l == LLVMWeakAnyLinkage || l == LLVMWeakODRLinkage || l == LLVMCommonLinkage;
}

/* ---- constructors and destructors ---------------------------------------- */

static int xtors_add(kj_xtors *x, int prio, unsigned seq, const char *fn) {
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 8;
        kj_xtor *v = realloc(x->v, cap * sizeof *v);
        if (!v) return -1;
        x->v = v;
        x->cap = cap;
    }
    if (!(x->v[x->n].fn = strdup(fn))) return -1;
    x->v[x->n].prio = prio;
    x->v[x->n++].seq = seq;
    return 0;
}

/* The functions of llvm.global_ctors (or _dtors): their values, in a
 * malloc'd array of n (names are read once promoted); the list is deleted
 * from the module. */
typedef struct kj_xref {
    int prio;
    LLVMValueRef fn;
} kj_xref;

static kj_xref *take_xtors(LLVMModuleRef mod, const char *list, int *n) {
    *n = 0;
    LLVMValueRef g = LLVMGetNamedGlobal(mod, list);
    if (!g) return NULL;
    LLVMValueRef init = LLVMGetInitializer(g);
    int count = init && !LLVMIsNull(init) ? LLVMGetNumOperands(init) : 0;
    kj_xref *v = calloc((size_t)count + 1, sizeof *v);
    for (int i = 0; v && i < count; i++) {
        LLVMValueRef e = LLVMGetOperand(init, (unsigned)i);
        LLVMValueRef fn = LLVMGetOperand(e, 1);
        if (!LLVMIsAFunction(fn)) continue; /* a null entry ends nothing; skip it */
        v[*n].prio = (int)LLVMConstIntGetSExtValue(LLVMGetOperand(e, 0));
        v[(*n)++].fn = fn;
    }
    LLVMDeleteGlobal(g);
    return v;
}

static int by_priority(const void *a, const void *b) {
    const kj_xtor *x = a, *y = b;
    if (x->prio != y->prio) return x->prio < y->prio ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static kjit_status run_list(kjit *jit, kj_xtor *v, size_t n, int reverse) {
    for (size_t k = 0; k < n; k++) {
        kj_xtor *x = &v[reverse ? n - 1 - k : k];
        void (*f)(void) = (void (*)(void))kjit_address(jit, x->fn);
        if (!f) return KJIT_ENOMEM;
        f();
    }
    return KJIT_OK;
}

/* lazy-ir and eager modes: generate or compile what the modules added
 * since the last call define (kj_defer_compile). */
static void define_now(kjit *jit, struct kj_modules *ms) {
    pthread_mutex_lock(&ms->update);
    if (ms->uncompiled) {
        ms->uncompiled = 0;
        for (size_t b = 0; b < KJ_MSYM_BUCKETS; b++)
            for (kj_msym *s = ms->syms[b]; s; s = s->next)
                if (s->cur) kj_define_now(jit, s->name); /* (a failure: at its first call) */
    }
    pthread_mutex_unlock(&ms->update);
}

kjit_status kjit_run_constructors(kjit *jit) {
    if (!jit) return kj_set_error(KJIT_EINVAL, "kjit_run_constructors: the JIT is NULL");
    struct kj_modules *ms = jit->modules;
    if (!ms) return KJIT_OK;
    define_now(jit, ms);
    pthread_mutex_lock(&ms->lock);
    kj_xtors ctors = ms->ctors;
    memset(&ms->ctors, 0, sizeof ms->ctors);
    /* Their destructors become due: in priority order, run reversed. */
    kjit_status st = KJIT_OK;
    for (size_t i = 0; i < ms->dtors.n && st == KJIT_OK; i++)
        if (xtors_add(&ms->dtors_due, ms->dtors.v[i].prio, ms->dtors.v[i].seq, ms->dtors.v[i].fn))
            st = kj_set_error(KJIT_ENOMEM, "out of memory");
    for (size_t i = 0; i < ms->dtors.n; i++) free(ms->dtors.v[i].fn);
    ms->dtors.n = 0;
    if (ms->dtors_due.n)
        qsort(ms->dtors_due.v, ms->dtors_due.n, sizeof *ms->dtors_due.v, by_priority);
    pthread_mutex_unlock(&ms->lock);
    if (ctors.n) qsort(ctors.v, ctors.n, sizeof *ctors.v, by_priority);
    if (st == KJIT_OK) st = run_list(jit, ctors.v, ctors.n, 0);
    for (size_t i = 0; i < ctors.n; i++) free(ctors.v[i].fn);
    free(ctors.v);
    return st;
}

kjit_status kjit_run_destructors(kjit *jit) {
    if (!jit) return kj_set_error(KJIT_EINVAL, "kjit_run_destructors: the JIT is NULL");
    struct kj_modules *ms = jit->modules;
    if (!ms) return KJIT_OK;
    pthread_mutex_lock(&ms->lock);
    kj_xtors due = ms->dtors_due;
    memset(&ms->dtors_due, 0, sizeof ms->dtors_due);
    pthread_mutex_unlock(&ms->lock);
    kjit_status st = run_list(jit, due.v, due.n, 1);
    for (size_t i = 0; i < due.n; i++) free(due.v[i].fn);
    free(due.v);
    return st;
}

/* ---- copies of functions and data ------------------------------------------- */

/* defs copied out of src as bitcode (caller holds ms->lock), with src's
 * top-level asm if with_asm.  NULL on OOM. */
static LLVMMemoryBufferRef copy_out(LLVMModuleRef src, LLVMValueRef *defs, unsigned n,
                                    const char *name, int with_asm) {
    LLVMModuleRef part = kj_wrap_extract(src, defs, n, name, NULL);
    if (!part) return NULL;
    size_t asm_len;
    const char *text = LLVMGetModuleInlineAsm(src, &asm_len);
    if (with_asm && asm_len) LLVMSetModuleInlineAsm2(part, text, asm_len);
    LLVMMemoryBufferRef bc = LLVMWriteBitcodeToMemoryBuffer(part);
    LLVMDisposeModule(part);
    return bc;
}

/* Read bitcode bc into mod's context and link it into mod. */
static int link_in(LLVMModuleRef mod, LLVMMemoryBufferRef bc, LLVMModuleRef *part_out) {
    LLVMModuleRef part;
    if (LLVMParseBitcodeInContext2(LLVMGetModuleContext(mod), bc, &part)) return -1;
    LLVMSetTarget(part, LLVMGetTarget(mod));
    LLVMSetDataLayout(part, LLVMGetDataLayoutStr(mod));
    if (part_out) {
        *part_out = part;
        return 0;
    }
    return LLVMLinkModules2(mod, part) ? -1 : 0;
}

/* Point every instruction that uses def at self instead (blockaddress
 * constants must keep the body). */
static void uses_to(LLVMValueRef def, LLVMValueRef self) {
    LLVMValueRef users[64];
    for (;;) {
        int n = 0;
        for (LLVMUseRef u = LLVMGetFirstUse(def); u && n < 64; u = LLVMGetNextUse(u)) {
            LLVMValueRef user = LLVMGetUser(u);
            if (LLVMIsAInstruction(user)) users[n++] = user;
        }
        if (n == 0) return;
        for (int i = 0; i < n; i++) {
            int ops = LLVMGetNumOperands(users[i]);
            for (int k = 0; k < ops; k++)
                if (LLVMGetOperand(users[i], (unsigned)k) == def)
                    LLVMSetOperand(users[i], (unsigned)k, self);
        }
    }
}

/* Read the body of g (NULL: every body) of m, if m was read lazily and the
 * reader has not failed on it before (caller holds ms->lock).  0; or -1
 * with the reader's first error on m in err: after it, m's reader is not
 * touched again. */
static int read_bodies(kj_module *m, LLVMValueRef g, char *err, size_t len) {
    if (!m->lazy) return 0;
    if (!m->damaged) {
        int r = g ? kj_wrap_materialize(g, err, len) : kj_wrap_materialize_all(m->mod, err, len);
        if (r == 0) {
            if (!g) m->lazy = 0;
            return 0;
        }
        m->damaged = strdup(err[0] ? err : "unreadable bitcode");
    }
    snprintf(err, len, "%s", m->damaged ? m->damaged : "unreadable bitcode");
    return -1;
}

/* ---- copies in workspaces --------------------------------------------------
 *
 * A compile that holds a workspace (kj_unit_open_ws: first compiles, T2) gets its
 * function copied out of the workspace's own copy of the module, read
 * lazily from the module's bytes the first time and changed as the source
 * module was (normalise, promote, the constructor lists gone), so that
 * its names are the same: no bitcode written and read back, and no
 * source-context lock held while it is copied.  Other compiles (OSR,
 * reloads, modules not read lazily) copy from the source context as
 * before (fn_generate). */

static void normalise(kjit *jit, LLVMModuleRef mod);
static int promoted(LLVMValueRef g);
static const char *promote(LLVMValueRef g, unsigned index);

/* plan_module's renames, in its order (LLVM's choice of a unique name,
 * where one is taken, then agrees): functions, variables, aliases; and the
 * constructor lists gone. */
static void promote_all(LLVMModuleRef c, unsigned index) {
    const char *lists[] = {"llvm.global_ctors", "llvm.global_dtors"};
    for (int i = 0; i < 2; i++) {
        LLVMValueRef g = LLVMGetNamedGlobal(c, lists[i]);
        if (g) LLVMDeleteGlobal(g);
    }
    for (LLVMValueRef g = LLVMGetFirstFunction(c); g; g = LLVMGetNextFunction(g))
        if (promoted(g)) promote(g, index);
    for (LLVMValueRef g = LLVMGetFirstGlobal(c); g; g = LLVMGetNextGlobal(g))
        if (promoted(g)) promote(g, index);
    for (LLVMValueRef g = LLVMGetFirstGlobalAlias(c); g; g = LLVMGetNextGlobalAlias(g))
        if (promoted(g)) promote(g, index);
}

static kjit_status parse(const void *data, size_t len, const char *name, LLVMModuleRef *out,
                         int *lazy, const char **bytes);

/* Read m, a module added from its plan, as adding it would have read it
 * (caller holds ms->lock; LLVM is loaded): 0, or -1 with the error set. */
static int attach_locked(struct kj_modules *ms, kj_module *m) {
    if (m->mod) return 0;
    LLVMModuleRef mod;
    int lazy = 1;
    if (parse(m->bytes, m->len, ms->names[m->index], &mod, &lazy, NULL) != KJIT_OK) return -1;
    normalise(ms->jit, mod);
    promote_all(mod, m->index);
    size_t nl = 0; /* (fields: a label and its function each) */
    for (size_t k = 0; k < m->label_len; k += strlen(m->label_names + k) + 1) nl++;
    for (size_t i = 0; i < m->nfns; i++) {
        kj_mfn *f = &m->fns[i];
        LLVMValueRef fn = LLVMGetNamedFunction(mod, f->name);
        if (!fn || !(f->defs = malloc((nl / 2 + 1) * sizeof *f->defs))) {
            LLVMContextRef ctx = LLVMGetModuleContext(mod);
            LLVMDisposeModule(mod);
            LLVMContextDispose(ctx);
            for (size_t k = 0; k <= i; k++) free(m->fns[k].defs), m->fns[k].defs = NULL, m->fns[k].ndefs = 0;
            kj_set_error(KJIT_EINVAL, "%s: not the module its plan was made of", ms->names[m->index]);
            return -1;
        }
        f->defs[f->ndefs++] = fn;
        for (size_t k = 0; k < m->label_len;) {
            const char *label = m->label_names + k, *owner = label + strlen(label) + 1;
            k = (size_t)(owner - m->label_names) + strlen(owner) + 1;
            LLVMValueRef g = strcmp(owner, f->name) == 0 ? LLVMGetNamedGlobal(mod, label) : NULL;
            if (g) f->defs[f->ndefs++] = g;
        }
    }
    m->mod = mod;
    m->ctx = LLVMGetModuleContext(mod);
    m->lazy = lazy;
    return 0;
}

/* attach_locked, LLVM loaded first. */
static int attach(struct kj_modules *ms, kj_module *m) {
    if (kj_llvm_ready(ms->jit) != KJIT_OK) return -1;
    pthread_mutex_lock(&ms->lock);
    int r = attach_locked(ms, m);
    pthread_mutex_unlock(&ms->lock);
    return r;
}

/* m's copy in workspace ws, read and changed the first time; NULL if it
 * cannot be read (then never tried again).  The holder of ws only. */
static LLVMModuleRef ws_copy(struct kj_modules *ms, kj_module *m, struct kj_ws *ws) {
    pthread_mutex_lock(&ms->lock);
    LLVMModuleRef c = m->copies[ws->id];
    int failed = m->copy_failed;
    pthread_mutex_unlock(&ms->lock);
    if (c || failed) return c;
    LLVMMemoryBufferRef buf =
        LLVMCreateMemoryBufferWithMemoryRangeCopy(m->bytes, m->len, "kjit copy");
    if (!buf || LLVMGetBitcodeModuleInContext2(ws->ctx, buf, &c)) {
        if (buf) LLVMDisposeMemoryBuffer(buf);
        pthread_mutex_lock(&ms->lock);
        m->copy_failed = 1;
        pthread_mutex_unlock(&ms->lock);
        return NULL;
    }
    normalise(ms->jit, c);
    promote_all(c, m->index);
    pthread_mutex_lock(&ms->lock);
    m->copies[ws->id] = c;
    pthread_mutex_unlock(&ms->lock);
    return c;
}

/* f's definitions copied out of its module's copy in ws (in ws's context),
 * read and verified, into `into` if not NULL (an empty module of ws's
 * context), else into a new module; NULL if that cannot be done (the
 * caller copies from the source context instead, and reports what goes
 * wrong there). */
static LLVMModuleRef ws_extract(kj_mfn *f, struct kj_ws *ws, LLVMModuleRef into) {
    LLVMModuleRef c = ws_copy(f->ms, f->m, ws);
    if (!c) return NULL;
    LLVMValueRef defs[KJ_WS_DEFS];
    if (f->ndefs > KJ_WS_DEFS) return NULL;
    char err[KJ_ERRMSG_SIZE];
    for (unsigned i = 0; i < f->ndefs; i++) {
        const char *name = name_of(f->defs[i]);
        defs[i] = i == 0 ? LLVMGetNamedFunction(c, name) : LLVMGetNamedGlobal(c, name);
        if (!defs[i] || kj_wrap_materialize(defs[i], err, sizeof err) != 0) return NULL;
    }
    /* (The body is verified with the whole unit by the compile, unless
     * kjit_options.verify is 0: then here.) */
    if (LLVMIsDeclaration(defs[0]) ||
        (!f->ms->jit->opts.verify && LLVMVerifyFunction(defs[0], LLVMReturnStatusAction)))
        return NULL;
    return kj_wrap_extract(c, defs, f->ndefs, f->name, into);
}

/* Whether a body looks like IR no pass has run on: optnone (clang -O0), or
 * a local that mem2reg would have made a register (an alloca in the entry
 * block used only as the address of loads and stores: clang's home of a
 * parameter or a scalar variable).  -O2 bitcode has none. */
static int unoptimised(LLVMValueRef fn) {
    unsigned optnone = LLVMGetEnumAttributeKindForName("optnone", 7);
    if (LLVMGetEnumAttributeAtIndex(fn, LLVMAttributeFunctionIndex, optnone)) return 1;
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(fn);
    for (LLVMValueRef i = LLVMGetFirstInstruction(entry); i; i = LLVMGetNextInstruction(i)) {
        if (!LLVMIsAAllocaInst(i)) continue;
        int promotable = 1, used = 0;
        for (LLVMUseRef u = LLVMGetFirstUse(i); u && promotable; u = LLVMGetNextUse(u)) {
            LLVMValueRef user = LLVMGetUser(u);
            used = 1;
            promotable = LLVMIsALoadInst(user) ||
                         (LLVMIsAStoreInst(user) && LLVMGetOperand(user, 1) == i &&
                          LLVMGetOperand(user, 0) != i);
        }
        if (promotable && used) return 1;
    }
    return 0;
}

/* A mark on part: named metadata md holding an empty node. */
static void add_mark(LLVMModuleRef part, const char *md) {
    LLVMContextRef c = LLVMGetModuleContext(part);
    LLVMAddNamedMetadataOperand(part, md, LLVMMetadataAsValue(c, LLVMMDNodeInContext2(c, NULL, 0)));
}

/* Tell T2 whether def's IR is optimised already (kjit.h, KJIT_MD_OPTIMISED). */
static void mark_optimised(LLVMModuleRef part, LLVMValueRef def) {
    add_mark(part, unoptimised(def) ? KJIT_MD_UNOPTIMISED : KJIT_MD_OPTIMISED);
}

/* Whether nothing defines name: no module, no definition the JIT has (a
 * host function the command or a client gave it), not the process, not a
 * module's top-level asm (linked by kj_elf.c or ORC: looked up as a first
 * call of a host function is, kj_lazy.c). */
static int undefined(struct kj_modules *ms, const char *name) {
    pthread_mutex_lock(&ms->lock);
    int mod = msym_find(ms, name) != NULL;
    pthread_mutex_unlock(&ms->lock);
    kjit_fn_info info;
    if (mod || (kjit_fn_info_get(ms->jit, name, &info) == KJIT_OK && info.state != KJIT_FN_UNDEFINED))
        return 0;
    return !dlsym(RTLD_DEFAULT, name) && !kj_elf_find(ms->jit, name) &&
           !kj_llvm_lookup(ms->jit, name);
}

/* The weak declarations of part that nothing defines are null, as a
 * linker makes them: C's `if (f) f();` and `&v != 0`, and clang's test of
 * a C++ thread_local's init function, declared so for a variable defined
 * in another file (which defines none when the variable is constant: the
 * program called null, an error "call to undefined function '_ZTH...'"
 * that broke abseil).  Decided at each compile, when the program's
 * modules are all there. */
static int null_if_undefined(struct kj_modules *ms, LLVMValueRef g) {
    if (!LLVMIsDeclaration(g) || LLVMGetLinkage(g) != LLVMExternalWeakLinkage ||
        (LLVMIsAFunction(g) && LLVMGetIntrinsicID(g)) || !undefined(ms, name_of(g)))
        return 0;
    LLVMReplaceAllUsesWith(g, LLVMConstNull(LLVMTypeOf(g)));
    return 1;
}

static void weak_undefined_null(struct kj_modules *ms, LLVMModuleRef part) {
    LLVMValueRef next;
    int nulled = 0;
    for (LLVMValueRef g = LLVMGetFirstFunction(part); g; g = next) {
        next = LLVMGetNextFunction(g);
        if (null_if_undefined(ms, g)) LLVMDeleteFunction(g), nulled = 1;
    }
    for (LLVMValueRef g = LLVMGetFirstGlobal(part); g; g = next) {
        next = LLVMGetNextGlobal(g);
        if (null_if_undefined(ms, g)) LLVMDeleteGlobal(g), nulled = 1;
    }
    /* (a later run with a module that defines one must not take this code
     * from the cache without making the IR again: kj_objcache.c) */
    if (nulled) add_mark(part, KJ_MD_NO_PREKEY);
}

/* The generator of a module's function. */
static int fn_generate(void *user, LLVMModuleRef mod, const char *symbol, char *err,
                       size_t errlen) {
    kj_mfn *f = user;
    struct kj_modules *ms = f->ms;
    if (!f->m->mod && attach(ms, f->m) != 0) { /* (added from its plan) */
        snprintf(err, errlen, "%s", kjit_errmsg());
        return 1;
    }
    struct kj_ws *ws = f->m->bytes ? kj_ws_held(LLVMGetModuleContext(mod)) : NULL;
    /* Straight into mod when it is empty (a unit's only function, as first
     * compiles are): no module to link in, which was a fifth of the SQL
     * engine's generation. */
    int empty = !LLVMGetFirstFunction(mod) && !LLVMGetFirstGlobal(mod) &&
                !LLVMGetFirstGlobalAlias(mod) && !LLVMGetFirstNamedMetadata(mod);
    LLVMModuleRef part = ws ? ws_extract(f, ws, empty ? mod : NULL) : NULL;
    if (part) goto copied;
    pthread_mutex_lock(&ms->lock);
    /* A lazily read module's body is read now, the first time it is needed,
     * and verified (what the whole module's verifier would have done at
     * load); a reader's error, from a damaged file, is this generator's. */
    int bad = 0;
    if (f->m->lazy && !f->bc) {
        bad = read_bodies(f->m, f->defs[0], err, errlen) != 0;
        if (!bad && LLVMVerifyFunction(f->defs[0], LLVMReturnStatusAction)) {
            bad = 1;
            snprintf(err, errlen, "invalid IR: LLVM's verifier rejects the body of '%s'",
                     f->name);
        }
    }
    if (!f->bc && !bad)
        f->bc = copy_out(LLVMGetGlobalParent(f->defs[0]), f->defs, f->ndefs, f->name, 0);
    LLVMMemoryBufferRef bc = f->bc;
    pthread_mutex_unlock(&ms->lock);
    if (bad) return 1;
    if (!bc || link_in(mod, bc, &part) != 0) {
        snprintf(err, errlen, "cannot copy out the IR of '%s'", f->name);
        return 1;
    }
copied:;
    LLVMValueRef def = LLVMGetNamedFunction(part, f->name);
    mark_optimised(part, def);
    weak_undefined_null(ms, part);
    /* Tables of its labels are part of each compile of it. */
    for (unsigned i = 1; i < f->ndefs; i++)
        LLVMSetLinkage(LLVMGetNamedGlobal(part, name_of(f->defs[i])), LLVMPrivateLinkage);
    if (strcmp(symbol, f->name) != 0) {
        /* The body goes under the JIT's name; the function's own name, which
         * its recursive calls and address use, leads to its stub. */
        LLVMSetValueName2(def, symbol, strlen(symbol));
        LLVMValueRef self = LLVMAddFunction(part, f->name, LLVMGlobalGetValueType(def));
        uses_to(def, self);
    }
    if (part != mod && LLVMLinkModules2(mod, part)) {
        snprintf(err, errlen, "cannot link the IR of '%s'", f->name);
        return 1;
    }
    return 0;
}

/* The name of a variable mod defines and exports, or NULL (none, or out of
 * memory); the caller frees it. */
static char *first_variable(LLVMModuleRef mod) {
    for (LLVMValueRef g = LLVMGetFirstGlobal(mod); g; g = LLVMGetNextGlobal(g)) {
        LLVMLinkage l = LLVMGetLinkage(g);
        if (LLVMIsDeclaration(g) || l == LLVMInternalLinkage || l == LLVMPrivateLinkage ||
            l == LLVMAppendingLinkage || LLVMIsThreadLocal(g)) /* (emulated: other names) */
            continue;
        size_t n;
        const char *name = LLVMGetValueName2(g, &n);
        if (n == 0) continue;
        return strndup(name, n);
    }
    return NULL;
}

static int data_generate(void *user, LLVMModuleRef mod, const char *symbol, char *err,
                         size_t errlen) {
    (void)symbol;
    if (link_in(mod, user, NULL) == 0) return 0;
    snprintf(err, errlen, "cannot read the module's variables");
    return 1;
}

/* kjit_define_data; for a module of a source key (pre: the pre-key of its
 * variables, and first, its first exported variable's name, from the
 * module itself), from the cache's index if it can, without calling gen,
 * else indexed there for the next run. */
static kjit_status define_data(kjit *jit, kjit_generator gen, void *user, const uint8_t *pre,
                               const char *first_src) {
    kjit_status st = KJIT_OK;
    kj_tier_enter(jit); /* (a fork waits for this thread to leave) */
    pthread_mutex_lock(&jit->compile_lock);
    kj_unit u = {.opt_level = 0, .tier = "data"};
    char *first = NULL;
    if (pre && kj_compile_pre(jit, &u, pre) == KJIT_OK) {
        if (first_src && !(first = strdup(first_src))) {
            kj_code_free_mem(jit, u.rt, u.elf); /* (nothing of it stays) */
            st = kj_set_error(KJIT_ENOMEM, "out of memory");
        }
        goto linked;
    }
    st = kj_llvm_ready(jit); /* (not for the cache's object above) */
    if (st == KJIT_OK) st = kj_unit_open(jit, &u, "data", NULL);
    char err[KJ_ERRMSG_SIZE] = "";
    if (st == KJIT_OK && gen(user, u.mod, "", err, sizeof err) != 0)
        st = kj_set_error(KJIT_EGEN, "%s", err[0] ? err : "the generator reported failure");
    else if (st == KJIT_OK)
        kj_trace(jit, KJIT_EV_IR, "data", NULL, 0, 0, 0, NULL);
    /* Linked now, not at the first reference: a first reference made by
     * two compiles at once (the ahead thread's and a first call's) let
     * code run before the variables were written (a std::thread's vtable
     * read as zeros, 3 runs in 40 of tests/ir/cxx_static_local.cpp with
     * --ahead=on under ASan).  A lookup of one of them links the object. */
    if (st == KJIT_OK) first = first_variable(u.mod);
    /* Indexed only if the module names the same first variable the copy
     * does: a warm run looks that one up. */
    int index = pre && ((!first && !first_src) || (first && first_src && !strcmp(first, first_src)));
    if (index) u.pre = pre;
    if (st == KJIT_OK)
        st = kj_compile(jit, &u); /* u.symbol NULL: no entry */
    else
        kj_unit_discard(&u);
    free(u.binding);
    u.binding = NULL;
linked:
    if (st == KJIT_OK && first && !u.elf) { /* (kj_elf.c links at once) */
        LLVMOrcExecutorAddress a = 0;
        LLVMErrorRef e = LLVMOrcLLJITLookup(jit->lljit, &a, first);
        if (e) st = kj_llvm_error(KJIT_ECOMPILE, "cannot link the module's variables", e);
    }
    free(first);
    kj_code *c = st == KJIT_OK ? kj_code_new(&u, NULL, 1) : NULL;
    if (st == KJIT_OK && !c) {
        kj_code_free_mem(jit, u.rt, u.elf);
        st = kj_set_error(KJIT_ENOMEM, "out of memory");
    }
    if (c) {
        pthread_mutex_lock(&jit->lock);
        c->next_retired = jit->data; /* (kept, never retired: the list's link) */
        jit->data = c;
        pthread_mutex_unlock(&jit->lock);
    }
    pthread_mutex_unlock(&jit->compile_lock);
    kj_tier_leave(jit);
    return st;
}

kjit_status kjit_define_data(kjit *jit, kjit_generator gen, void *user) {
    if (!jit || !gen) return kj_set_error(KJIT_EINVAL, "kjit_define_data: the JIT or generator is NULL");
    return define_data(jit, gen, user, NULL, NULL);
}

/* ---- adding a module ----------------------------------------------------------- */

/* What one module defines, decided before anything is defined. */
typedef struct kj_plan {
    LLVMValueRef *data;        /* variables and variable aliases it defines */
    unsigned ndata;
    LLVMValueRef *labels;      /* variables holding label addresses (blockaddress): */
    LLVMValueRef *label_fn;    /* defined with the function they point into */
    size_t nlabels;
    LLVMValueRef *fns;         /* functions it defines */
    size_t nfns;
    LLVMValueRef *aliases;     /* function aliases: name → the aliasee's stub */
    size_t naliases;
    char **hosts;              /* functions it calls that no module defines */
    size_t nhosts;
    int data_later;            /* variables (or top-level asm) not copied out yet:
                                  define_planned, from the cache if it can */
} kj_plan;

static void plan_free(kj_plan *p) {
    free(p->data);
    free(p->labels);
    free(p->label_fn);
    free(p->fns);
    free(p->aliases);
    for (size_t i = 0; i < p->nhosts; i++) free(p->hosts[i]);
    free(p->hosts);
}

/* The function whose labels a constant holds (blockaddress: computed
 * goto's tables), or NULL. */
static LLVMValueRef label_owner(LLVMValueRef c, int depth) {
    if (!c || depth > 16) return NULL;
    if (LLVMIsABlockAddress(c)) return LLVMGetOperand(c, 0);
    if (LLVMIsAGlobalValue(c)) return NULL;
    int n = LLVMGetNumOperands(c);
    for (int i = 0; i < n; i++) {
        LLVMValueRef f = label_owner(LLVMGetOperand(c, (unsigned)i), depth + 1);
        if (f) return f;
    }
    return NULL;
}

/* The plan's arrays, sized for mod, and every global value of mod in *all
 * (the caller frees it). */
static kjit_status plan_alloc(LLVMModuleRef mod, kj_plan *p, LLVMValueRef **all, size_t *n) {
    size_t cap = 16;
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) cap++;
    for (LLVMValueRef g = LLVMGetFirstGlobal(mod); g; g = LLVMGetNextGlobal(g)) cap++;
    for (LLVMValueRef a = LLVMGetFirstGlobalAlias(mod); a; a = LLVMGetNextGlobalAlias(a)) cap++;
    *all = malloc(cap * sizeof **all);
    p->data = malloc(cap * sizeof *p->data);
    p->fns = malloc(cap * sizeof *p->fns);
    p->aliases = malloc(cap * sizeof *p->aliases);
    p->hosts = malloc(cap * sizeof *p->hosts);
    p->labels = malloc(cap * sizeof *p->labels);
    p->label_fn = malloc(cap * sizeof *p->label_fn);
    if (!*all || !p->data || !p->fns || !p->aliases || !p->hosts || !p->labels || !p->label_fn) {
        free(*all);
        return kj_set_error(KJIT_ENOMEM, "out of memory");
    }
    *n = 0;
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) (*all)[(*n)++] = f;
    for (LLVMValueRef g = LLVMGetFirstGlobal(mod); g; g = LLVMGetNextGlobal(g)) (*all)[(*n)++] = g;
    for (LLVMValueRef a = LLVMGetFirstGlobalAlias(mod); a; a = LLVMGetNextGlobalAlias(a))
        (*all)[(*n)++] = a;
    return KJIT_OK;
}

/* An internal or private symbol of module `index` gets the name it has
 * wherever it is loaded from: NAME.mK, external. */
static const char *promote(LLVMValueRef g, unsigned index) {
    const char *name = name_of(g);
    char buf[512];
    snprintf(buf, sizeof buf, "%s.m%u", name[0] ? name : "anon", index);
    LLVMSetValueName2(g, buf, strlen(buf)); /* (LLVM makes it unique if taken) */
    LLVMSetLinkage(g, LLVMExternalLinkage);
    LLVMSetVisibility(g, LLVMDefaultVisibility);
    return name_of(g);
}

/* Someone else's function (a declaration): a name no module defines yet is
 * the process's, if it has one. */
static kjit_status plan_host(struct kj_modules *ms, LLVMValueRef g, kj_plan *p) {
    if (!LLVMIsAFunction(g) || LLVMGetIntrinsicID(g) != 0 || msym_find(ms, name_of(g)))
        return KJIT_OK;
    return (p->hosts[p->nhosts++] = strdup(name_of(g))) ? KJIT_OK
                                                        : kj_set_error(KJIT_ENOMEM, "out of memory");
}

/* Where a definition g of a module goes in the plan. */
static kjit_status plan_definition(LLVMValueRef g, const char *mname, kj_plan *p) {
    LLVMValueRef fn;
    if (LLVMIsAFunction(g))
        p->fns[p->nfns++] = g;
    else if (LLVMIsAGlobalAlias(g) && LLVMIsAFunction(LLVMAliasGetAliasee(g)))
        p->aliases[p->naliases++] = g;
    else if (LLVMIsAGlobalAlias(g) && !LLVMIsAGlobalVariable(LLVMAliasGetAliasee(g)))
        return kj_set_error(KJIT_EINVAL, "%s: alias '%s' of an expression is not supported",
                            mname, name_of(g));
    else if (LLVMIsAGlobalVariable(g) && (fn = label_owner(LLVMGetInitializer(g), 0))) {
        p->labels[p->nlabels] = g;
        p->label_fn[p->nlabels++] = fn;
    } else
        p->data[p->ndata++] = g;
    return KJIT_OK;
}

static int skipped(LLVMValueRef g) { return strncmp(name_of(g), "llvm.", 5) == 0; }
static int external_def(LLVMValueRef g) {
    return !LLVMIsDeclaration(g) && LLVMGetLinkage(g) != LLVMAvailableExternallyLinkage;
}
static int local(LLVMValueRef g) {
    LLVMLinkage l = LLVMGetLinkage(g);
    return l == LLVMInternalLinkage || l == LLVMPrivateLinkage;
}
/* Whether plan_module gives g a name of its module's (promote). */
static int promoted(LLVMValueRef g) { return !skipped(g) && external_def(g) && local(g); }

/* Give internal symbols unique names, and decide who defines what
 * (caller holds ms->lock).  Records this module's definitions in ms. */
static kjit_status plan_module(struct kj_modules *ms, LLVMModuleRef mod, const char *mname,
                               unsigned index, kj_plan *p) {
    LLVMValueRef *all;
    size_t n;
    /* (plan_alloc takes no ifunc: it was dropped, and its calls were calls
     * of an undefined function) */
    LLVMValueRef ifunc = LLVMGetFirstGlobalIFunc(mod);
    if (ifunc)
        return kj_set_error(KJIT_EINVAL,
                            "%s: ifunc '%s' is not supported (a function chosen by a resolver "
                            "at load time, __attribute__((ifunc)))",
                            mname, name_of(ifunc));
    kjit_status st = plan_alloc(mod, p, &all, &n);
    if (st != KJIT_OK) return st;
    /* First the checks, so that a refused module defines nothing. */
    for (size_t i = 0; i < n; i++) {
        LLVMValueRef g = all[i];
        if (!external_def(g) || local(g) || skipped(g)) continue;
        kj_msym *s = msym_find(ms, name_of(g));
        if (s && !s->weak && !is_weak(LLVMGetLinkage(g))) {
            free(all);
            return kj_set_error(KJIT_EINVAL, "%s: '%s' is defined again (an earlier module "
                                             "defines it)", mname, name_of(g));
        }
    }
    for (size_t i = 0; i < n && st == KJIT_OK; i++) {
        LLVMValueRef g = all[i];
        if (skipped(g)) continue;
        if (!external_def(g)) {
            st = plan_host(ms, g, p);
            continue;
        }
        int weak = is_weak(LLVMGetLinkage(g));
        const char *name = promoted(g) ? promote(g, index) : name_of(g);
        kj_msym *was = local(g) ? NULL : msym_find(ms, name);
        if (was && !weak && was->weak && was->cur && LLVMIsAFunction(g)) {
            /* A strong function over a weak one: it wins, as in a linker
             * (a redefinition).  (A variable's storage exists already: the
             * first definition stays.) */
            was->weak = 0;
            was->module = index;
            rec_add(ms->rec, 'W', name, NULL, NULL);
            st = plan_definition(g, mname, p);
            continue;
        }
        if (was) continue; /* weak: the earlier one stands */
        kj_msym *s = msym_add(ms, g, name, weak, index);
        if (s) rec_add(ms->rec, weak ? 'w' : 'S', name, s->type, NULL);
        st = s ? plan_definition(g, mname, p) : kj_set_error(KJIT_ENOMEM, "out of memory");
    }
    free(all);
    return st;
}

/* Add `name` to the reload's list of what it refused. */
static void refuse(kjit_reload *out, const char *name, const char *why) {
    size_t len = strlen(out->refused_names);
    if (out->refused++ < 8 && len + strlen(name) + strlen(why) + 8 < sizeof out->refused_names)
        snprintf(out->refused_names + len, sizeof out->refused_names - len, "%s%s (%s)",
                 len ? ", " : "", name, why);
}

/* A function's text with metadata and attribute-group numbers left out
 * (they shift when another function changes): what says it changed. */
static char *fn_text(LLVMValueRef fn) {
    char *t = LLVMPrintValueToString(fn), *w = t;
    for (const char *r = t; *r; r++) {
        *w++ = *r;
        if (*r == '!' || *r == '#')
            while (r[1] >= '0' && r[1] <= '9') r++;
    }
    *w = 0;
    return t;
}

/* Plan a reload of module `index` (caller holds ms->lock): mod's internal
 * names are those of the first load; changed and new functions go into
 * p->fns, new variables into p->data; what cannot be replaced is counted
 * and named in out, and stays as it was. */
static kjit_status plan_reload(struct kj_modules *ms, LLVMModuleRef mod, const char *mname,
                               unsigned index, kj_plan *p, kjit_reload *out) {
    LLVMValueRef *all;
    size_t n;
    kjit_status st = plan_alloc(mod, p, &all, &n);
    /* Names first: the texts compared name what they reference. */
    for (size_t i = 0; i < n && st == KJIT_OK; i++)
        if (!skipped(all[i]) && external_def(all[i]) && local(all[i])) promote(all[i], index);
    for (size_t i = 0; i < n && st == KJIT_OK; i++) {
        LLVMValueRef g = all[i];
        if (skipped(g)) continue;
        if (!external_def(g)) {
            st = plan_host(ms, g, p);
            continue;
        }
        int is_fn = LLVMIsAFunction(g) != NULL;
        const char *name = name_of(g);
        kj_msym *s = msym_find(ms, name);
        if (!s) { /* new */
            if (!msym_add(ms, g, name, is_weak(LLVMGetLinkage(g)), index))
                st = kj_set_error(KJIT_ENOMEM, "out of memory");
            else if ((st = plan_definition(g, mname, p)) == KJIT_OK && !LLVMIsAGlobalAlias(g))
                out->added++;
            continue;
        }
        if (s->module != index) continue; /* another module's (weak) definition stands */
        if (!is_fn && label_owner(LLVMGetInitializer(g), 0)) {
            st = plan_definition(g, mname, p); /* goes with its function */
            continue;
        }
        char *t = type_text(g);
        int same = t && strcmp(t, s->type) == 0;
        free(t);
        if (!same || is_fn != (s->cur != NULL)) {
            refuse(out, name, is_fn ? "its type changed" : "its type or size changed");
        } else if (is_fn) {
            char *was = fn_text(s->cur->defs[0]), *now = fn_text(g);
            if (strcmp(was, now) != 0) {
                p->fns[p->nfns++] = g;
                size_t len = strlen(out->changed_names);
                if (len + strlen(name) + 8 < sizeof out->changed_names)
                    snprintf(out->changed_names + len, sizeof out->changed_names - len, "%s%s",
                             len ? ", " : "", name);
                out->changed++;
            } else {
                out->unchanged++;
            }
            LLVMDisposeMessage(was);
            LLVMDisposeMessage(now);
        } /* a variable: keeps its storage and value */
    }
    free(all);
    return st;
}

/* Check a parsed module and make it ready to plan: verified, for this
 * machine, no debug info.  Disposes of mod (and its context) on error. */
/* ---- struct layouts ------------------------------------------------------------ */

/* The named structs a module's functions use, with their layouts, as text:
 * one line per struct, "NAME\tLAYOUT\tUSER, USER...", LAYOUT its element
 * types as LLVM prints them ("{ i32, double }", "<{ ... }>" if packed). */
typedef struct kj_structs {
    int n, cap;
    LLVMTypeRef *type;
    kj_text *users;
} kj_structs;

static int struct_index(kj_structs *ss, LLVMTypeRef t) {
    for (int i = 0; i < ss->n; i++)
        if (ss->type[i] == t) return i;
    return -1;
}

/* Note t (and the named structs inside it) as used by fn. */
static void note_type(kj_structs *ss, LLVMTypeRef t, const char *fn, int depth) {
    if (!t || depth > 16) return;
    LLVMTypeKind k = LLVMGetTypeKind(t);
    if (k == LLVMArrayTypeKind || k == LLVMVectorTypeKind) {
        note_type(ss, LLVMGetElementType(t), fn, depth + 1);
        return;
    }
    if (k != LLVMStructTypeKind || LLVMIsOpaqueStruct(t)) return;
    const char *name = LLVMGetStructName(t);
    int i = name && name[0] ? struct_index(ss, t) : -2;
    if (i == -1) {
        if (ss->n == ss->cap) {
            int cap = ss->cap ? 2 * ss->cap : 16;
            LLVMTypeRef *ty = realloc(ss->type, cap * sizeof *ty);
            if (ty) ss->type = ty;
            kj_text *u = realloc(ss->users, cap * sizeof *u);
            if (u) ss->users = u;
            if (!ty || !u) return;
            ss->cap = cap;
        }
        i = ss->n++;
        ss->type[i] = t;
        ss->users[i] = (kj_text){0};
    }
    if (i >= 0) { /* its users, each once */
        kj_text *u = &ss->users[i];
        size_t k = strlen(fn);
        int seen = 0;
        for (const char *p = u->s; p && (p = strstr(p, fn)); p += k)
            if ((p == u->s || p[-1] == ' ') && (p[k] == ',' || !p[k])) seen = 1;
        if (!seen) {
            if (u->n) text_add(u, ", ");
            text_add(u, fn);
        }
    }
    unsigned n = LLVMCountStructElementTypes(t);
    for (unsigned e = 0; e < n; e++)
        note_type(ss, LLVMStructGetTypeAtIndex(t, e), fn, depth + 1);
}

static char *struct_layouts(LLVMModuleRef mod) {
    kj_structs ss = {0};
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
        if (LLVMIsDeclaration(f)) continue;
        const char *fn = name_of(f);
        for (LLVMBasicBlockRef b = LLVMGetFirstBasicBlock(f); b; b = LLVMGetNextBasicBlock(b))
            for (LLVMValueRef i = LLVMGetFirstInstruction(b); i; i = LLVMGetNextInstruction(i)) {
                note_type(&ss, LLVMTypeOf(i), fn, 0);
                if (LLVMIsAAllocaInst(i)) note_type(&ss, LLVMGetAllocatedType(i), fn, 0);
                if (LLVMIsAGetElementPtrInst(i))
                    note_type(&ss, LLVMGetGEPSourceElementType(i), fn, 0);
                int nops = LLVMGetNumOperands(i);
                for (int o = 0; o < nops; o++) note_type(&ss, LLVMTypeOf(LLVMGetOperand(i, o)), fn, 0);
            }
    }
    kj_text out = {0};
    text_add(&out, "");
    for (int i = 0; i < ss.n; i++) {
        LLVMTypeRef t = ss.type[i];
        text_add(&out, LLVMGetStructName(t));
        text_add(&out, LLVMIsPackedStruct(t) ? "\t<{ " : "\t{ ");
        unsigned n = LLVMCountStructElementTypes(t);
        for (unsigned e = 0; e < n; e++) {
            char *et = LLVMPrintTypeToString(LLVMStructGetTypeAtIndex(t, e));
            if (e) text_add(&out, ", ");
            text_add(&out, et);
            LLVMDisposeMessage(et);
        }
        text_add(&out, LLVMIsPackedStruct(t) ? " }>\t" : " }\t");
        text_add(&out, ss.users[i].s ? ss.users[i].s : "");
        text_add(&out, "\n");
        free(ss.users[i].s);
    }
    free(ss.type);
    free(ss.users);
    return out.s;
}

/* Field f (0: name, 1: layout, 2: users) of the line of `layouts` for
 * struct `name`, into buf; 0 if it has none. */
static int layout_field(const char *layouts, const char *name, int f, char *buf, size_t len) {
    size_t k = strlen(name);
    for (const char *l = layouts; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, name, k) != 0 || l[k] != '\t') continue;
        for (int i = 0; i < f; i++) l = strchr(l, '\t') + 1;
        size_t n = strcspn(l, "\t\n");
        snprintf(buf, len, "%.*s", (int)n, l);
        return 1;
    }
    return 0;
}

/* A reload's structs against the module's: a struct its functions use
 * whose layout changed is refused, unless the layout hook accepts it.
 * Caller holds ms->lock. */
static kjit_status check_layouts(struct kj_modules *ms, unsigned index, const char *mname,
                                 const char *now) {
    const char *was = ms->layouts ? ms->layouts[index] : NULL;
    for (const char *l = now; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char name[256], old[1024], new[1024], users[512];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(l, "\t"), l);
        if (!layout_field(was, name, 1, old, sizeof old)) continue; /* new to this module */
        layout_field(now, name, 1, new, sizeof new);
        if (strcmp(old, new) == 0) continue;
        if (ms->layout_hook && ms->layout_hook(ms->layout_user, mname, name, old, new)) continue;
        layout_field(now, name, 2, users, sizeof users);
        const char *shown = strncmp(name, "struct.", 7) == 0 ? name + 7 : name;
        return kj_set_error(KJIT_EINVAL,
                            "the layout of struct %s changed (%s, was %s), and %s use%s it: "
                            "objects made by the old code would be read at the new offsets; "
                            "nothing is reloaded (a program can accept it with "
                            "kjit_set_layout_hook and migrate its objects)",
                            shown, new, old, users, strchr(users, ',') ? "" : "s");
    }
    return KJIT_OK;
}

/* Before a reload of module `index` compares against it: the bodies of its
 * lazily read first load, and its layouts from them (caller holds
 * ms->lock). */
static kjit_status read_whole(struct kj_modules *ms, unsigned index) {
    for (kj_module *m = ms->list; m; m = m->next) {
        if (!m->lazy || m->index != index) continue;
        if (attach_locked(ms, m) != 0) return KJIT_EINVAL;
        char err[KJ_ERRMSG_SIZE] = "";
        if (read_bodies(m, NULL, err, sizeof err) != 0)
            return kj_set_error(KJIT_EINVAL, "%s: %s", ms->names[index], err);
        if (ms->layouts && !ms->layouts[index]) ms->layouts[index] = struct_layouts(m->mod);
    }
    return KJIT_OK;
}

void kjit_set_layout_hook(kjit *jit, kjit_layout_hook hook, void *user) {
    struct kj_modules *ms = jit ? modules_of(jit) : NULL;
    if (!ms) return;
    pthread_mutex_lock(&ms->lock);
    ms->layout_hook = hook;
    ms->layout_user = user;
    pthread_mutex_unlock(&ms->lock);
}

/* lazy: mod was read lazily; its bodies are verified one by one, as each
 * is compiled (kjit_options.verify), not here, which would read them all. */
static kjit_status prepare(kjit *jit, LLVMModuleRef mod, const char *mname, int lazy) {
    char *msg = NULL;
    kjit_status st = KJIT_OK;
    const char *triple = LLVMGetTarget(mod);
    size_t arch = strcspn(jit->triple, "-");
    if (!lazy && LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg))
        st = kj_set_error(KJIT_EINVAL, "%s: invalid IR: %s", mname, msg);
    else if (triple[0] && (strncmp(triple, jit->triple, arch) != 0 || triple[arch] != '-'))
        st = kj_set_error(KJIT_EINVAL, "%s: the module is for %s; this machine is %s", mname,
                          triple, jit->triple);
    LLVMDisposeMessage(msg);
    if (st != KJIT_OK) {
        LLVMContextRef ctx = LLVMGetModuleContext(mod);
        LLVMDisposeModule(mod);
        LLVMContextDispose(ctx);
        return st;
    }
    normalise(jit, mod);
    return KJIT_OK;
}

/* What prepare changes in a module that it accepted; a workspace's copy
 * (ws_copy) gets the same. */
static void normalise(kjit *jit, LLVMModuleRef mod) {
    LLVMSetTarget(mod, jit->triple);
    LLVMSetDataLayout(mod, jit->datalayout);
    LLVMStripModuleDebugInfo(mod);
    /* An available_externally body stands for a definition elsewhere (a
     * library's extern template, an inline function): left to the process's
     * symbol, but where the process has none (a member libstdc++ never
     * exports, inlined when clang optimises) the body is the definition, as
     * a weak one (one definition rule: it is the same function). */
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f))
        if (LLVMGetLinkage(f) == LLVMAvailableExternallyLinkage && !LLVMIsDeclaration(f) &&
            !dlsym(RTLD_DEFAULT, name_of(f)))
            LLVMSetLinkage(f, LLVMLinkOnceODRLinkage);
    /* What remains (loop metadata) is current: say so, or reading a copy
     * back would strip it again and warn. */
    if (!LLVMGetModuleFlag(mod, "Debug Info Version", 18))
        LLVMAddModuleFlag(mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
                          LLVMValueAsMetadata(LLVMConstInt(
                              LLVMInt32TypeInContext(LLVMGetModuleContext(mod)),
                              LLVMDebugMetadataVersion(), 0)));
}

/* A module record for fns of mod (caller holds ms->lock); NULL on OOM. */
static kj_module *module_new(struct kj_modules *ms, LLVMModuleRef mod, LLVMValueRef *fns,
                             size_t nfns, const kj_plan *p) {
    kj_module *m = calloc(1, sizeof *m);
    if (!m || !(m->fns = calloc(nfns + 1, sizeof *m->fns))) return free(m), NULL;
    m->mod = mod;
    m->ctx = LLVMGetModuleContext(mod);
    for (size_t i = 0; i < nfns; i++) {
        kj_mfn *f = &m->fns[m->nfns++];
        f->ms = ms;
        f->m = m;
        f->name = strdup(name_of(fns[i]));
        f->defs = malloc((p->nlabels + 1) * sizeof *f->defs);
        if (!f->name || !f->defs) {
            m->mod = NULL, m->ctx = NULL; /* (the caller's still) */
            module_free(ms, m);
            return NULL;
        }
        f->defs[f->ndefs++] = fns[i];
        for (size_t k = 0; k < p->nlabels; k++)
            if (p->label_fn[k] == fns[i]) f->defs[f->ndefs++] = p->labels[k];
    }
    m->next = ms->list;
    ms->list = m;
    return m;
}

/* The name of the variable first_variable would find in the copy of p's
 * variables (kj_wrap_extract makes them all external), or NULL. */
static const char *first_planned(const kj_plan *p) {
    for (unsigned i = 0; i < p->ndata; i++) {
        LLVMValueRef g = p->data[i];
        if (!LLVMIsAGlobalVariable(g) || LLVMIsDeclaration(g) || LLVMIsThreadLocal(g) ||
            LLVMGetLinkage(g) == LLVMAppendingLinkage)
            continue;
        size_t n;
        const char *name = LLVMGetValueName2(g, &n);
        if (n) return name;
    }
    return NULL;
}

typedef struct later {
    struct kj_modules *ms;
    kj_module *m;
    const kj_plan *p;
} later;

/* The generator of a module's variables not copied out at its add. */
static int later_generate(void *user, LLVMModuleRef mod, const char *symbol, char *err,
                          size_t errlen) {
    later *l = user;
    pthread_mutex_lock(&l->ms->lock);
    LLVMMemoryBufferRef bc = copy_out(l->m->mod, l->p->data, (unsigned)l->p->ndata, "data", 1);
    pthread_mutex_unlock(&l->ms->lock);
    int r = bc ? data_generate(bc, mod, symbol, err, errlen) : 1;
    if (!bc) snprintf(err, errlen, "out of memory copying the module's variables");
    if (bc) LLVMDisposeMemoryBuffer(bc);
    return r;
}

/* The source key of what m defines under name ("" for its variables):
 * of m's bytes and of every module before it (m->src), and the name. */
static void source_key(const kj_module *m, const char *name, uint8_t key[32]) {
    kj_sha256 s;
    kj_sha256_init(&s);
    kj_sha256_add(&s, m->src, sizeof m->src);
    kj_sha256_add(&s, name, strlen(name) + 1);
    kj_sha256_done(&s, key);
}

/* The generator of the variables of a module added from its plan. */
static int replay_data_generate(void *user, LLVMModuleRef mod, const char *symbol, char *err,
                                size_t errlen) {
    later *l = user;
    kj_module *m = l->m;
    if (attach(l->ms, m) != 0) {
        snprintf(err, errlen, "%s", kjit_errmsg());
        return 1;
    }
    pthread_mutex_lock(&l->ms->lock);
    size_t n = 0, got = 0;
    for (size_t k = 0; k < m->data_len; k += strlen(m->data_names + k) + 1) n++;
    LLVMValueRef *v = malloc((n + 1) * sizeof *v);
    for (size_t k = 0; v && k < m->data_len; k += strlen(m->data_names + k) + 1) {
        const char *name = m->data_names + k;
        LLVMValueRef g = LLVMGetNamedGlobal(m->mod, name);
        if (!g) g = LLVMGetNamedGlobalAlias(m->mod, name, strlen(name));
        if (g) v[got++] = g;
    }
    LLVMMemoryBufferRef bc = v && got == n ? copy_out(m->mod, v, (unsigned)n, "data", 1) : NULL;
    pthread_mutex_unlock(&l->ms->lock);
    free(v);
    int r = bc ? data_generate(bc, mod, symbol, err, errlen) : 1;
    if (!bc) snprintf(err, errlen, "cannot copy out the variables of %s", l->ms->names[m->index]);
    if (bc) LLVMDisposeMemoryBuffer(bc);
    return r;
}

/* Define the variables of m, a module of a source key: linked from the code
 * cache without copying them out, if an earlier run indexed them
 * (define_data).  p: the plan of its add, which left them in the module;
 * NULL: m was added from its plan (a replay), which names the first
 * exported variable, first ("": none). */
static kjit_status define_data_later(kjit *jit, struct kj_modules *ms, kj_module *m,
                                     const kj_plan *p, const char *first) {
    kj_unit u = {.opt_level = 0, .tier = "data"};
    uint8_t src[32], pre[32];
    source_key(m, "", src);
    kj_objcache_prekey(jit, &u, src, pre);
    later l = {ms, m, p};
    char *copy = NULL;
    if (p) {
        pthread_mutex_lock(&ms->lock);
        first = first_planned(p);
        copy = first ? strdup(first) : NULL;
        pthread_mutex_unlock(&ms->lock);
        if (first && !copy) return kj_set_error(KJIT_ENOMEM, "out of memory");
        first = copy;
    } else if (!first[0]) {
        first = NULL;
    }
    kjit_status st = define_data(jit, p ? later_generate : replay_data_generate, &l,
                                 m->src_keyed ? pre : NULL, first);
    free(copy);
    return st;
}

/* Define what a planned module defines: hosts first, so calls to them keep
 * their C names; then the variables (linked later, when first
 * referenced); then m's functions, each the current definition of its name
 * from now on. */
/* reload: each changed function that had been compiled is compiled here,
 * before its stub moves to it (kj_redefine_compiled): no thread of the
 * program compiles or waits for it. */
static kjit_status define_fns(kjit *jit, struct kj_modules *ms, kj_module *m, int reload,
                             kjit_status st);

static kjit_status define_planned(kjit *jit, struct kj_modules *ms, kj_module *m, const kj_plan *p,
                                  LLVMMemoryBufferRef data, int reload) {
    kjit_status st = KJIT_OK;
    for (size_t i = 0; i < p->nhosts && st == KJIT_OK; i++)
        st = kjit_declare_host(jit, p->hosts[i], KJIT_SIG_ANY);
    if (st == KJIT_OK && data) st = kjit_define_data(jit, data_generate, data);
    if (st == KJIT_OK && p->data_later) st = define_data_later(jit, ms, m, p, NULL);
    st = define_fns(jit, ms, m, reload, st);
    for (size_t i = 0; i < p->naliases && st == KJIT_OK; i++) {
        void *to = kjit_address(jit, name_of(LLVMAliasGetAliasee(p->aliases[i])));
        st = to ? kjit_define_host(jit, name_of(p->aliases[i]), KJIT_SIG_ANY, to) : KJIT_ENOMEM;
    }
    return st;
}

/* m's functions, each the current definition of its name from now on
 * (after st, what defining the rest gave: KJIT_OK, or nothing is done). */
static kjit_status define_fns(kjit *jit, struct kj_modules *ms, kj_module *m, int reload,
                             kjit_status st) {
    /* eager and lazy-ir modes compile or generate at definition: EGEN and
     * ECOMPILE leave the definition in place, to try again at a call. */
    for (size_t i = 0; i < m->nfns && (st == KJIT_OK || st == KJIT_EGEN || st == KJIT_ECOMPILE);
         i++) {
        kj_mfn *f = &m->fns[i];
        pthread_mutex_lock(&ms->lock);
        m->refs++;
        pthread_mutex_unlock(&ms->lock);
        kjit_status r = reload ? kj_redefine_compiled(jit, f->name, fn_generate, f, fn_release)
                               : kjit_define(jit, f->name, KJIT_SIG_ANY, fn_generate, f, fn_release);
        if (r == KJIT_OK && !reload && m->src_keyed) {
            /* Its IR is made from the module's bytes (fn_generate): the
             * cache may skip making it (kj_lazy.c). */
            uint8_t key[32];
            source_key(m, f->name, key);
            kj_fn_set_source_key(jit, f->name, f, key);
        }
        if (r != KJIT_OK && r != KJIT_EGEN && r != KJIT_ECOMPILE) {
            fn_release(f); /* refused: the old definition stands */
        } else {
            pthread_mutex_lock(&ms->lock);
            kj_msym *s = msym_find(ms, f->name);
            if (s) s->cur = f; /* (the old one may be freed already: adds and
                                   reloads are serialised, so none looked) */
            pthread_mutex_unlock(&ms->lock);
        }
        if (st == KJIT_OK) st = r;
    }
    return st;
}

/* What add_parsed decided, after plan_module's names (the plan). */
static void plan_record(kj_text *r, const kj_plan *p, const kj_xref *ctors, int nctors,
                        const kj_xref *dtors, int ndtors) {
    if (!r) return;
    for (size_t i = 0; i < p->nhosts; i++) rec_add(r, 'H', p->hosts[i], NULL, NULL);
    if (p->data_later) rec_add(r, 'D', first_planned(p), NULL, NULL);
    for (unsigned i = 0; i < p->ndata; i++) rec_add(r, 'V', name_of(p->data[i]), NULL, NULL);
    for (size_t i = 0; i < p->nfns; i++) rec_add(r, 'F', name_of(p->fns[i]), NULL, NULL);
    for (size_t i = 0; i < p->nlabels; i++)
        rec_add(r, 'L', name_of(p->labels[i]), name_of(p->label_fn[i]), NULL);
    for (size_t i = 0; i < p->naliases; i++)
        rec_add(r, 'A', name_of(p->aliases[i]), name_of(LLVMAliasGetAliasee(p->aliases[i])), NULL);
    char prio[24];
    for (int i = 0; i < nctors; i++) {
        snprintf(prio, sizeof prio, "%d", ctors[i].prio);
        rec_add(r, 'C', prio, name_of(ctors[i].fn), NULL);
    }
    for (int i = 0; i < ndtors; i++) {
        snprintf(prio, sizeof prio, "%d", dtors[i].prio);
        rec_add(r, 'X', prio, name_of(dtors[i].fn), NULL);
    }
}

/* Room in ms->names and ms->layouts for module ms->count (its layouts
 * NULL): 0, or -1 out of memory.  Caller holds ms->lock. */
static int grow_index(struct kj_modules *ms) {
    unsigned index = ms->count;
    char **names = realloc(ms->names, (index + 1) * sizeof *names);
    if (names) ms->names = names;
    char **layouts = names ? realloc(ms->layouts, (index + 1) * sizeof *layouts) : NULL;
    if (layouts) ms->layouts = layouts, layouts[index] = NULL;
    return layouts ? 0 : -1;
}

/* Check mod, then define what it defines.  Takes mod and its context. */
static kjit_status add_parsed(kjit *jit, struct kj_modules *ms, LLVMModuleRef mod,
                              const char *mname, const char *bytes, size_t len,
                              const uint8_t *src) {
    int lazy = bytes != NULL;
    kjit_status st = prepare(jit, mod, mname, lazy);
    if (st != KJIT_OK) return st;
    kj_plan p = {0};
    int nctors = 0, ndtors = 0;
    kj_module *m = NULL;
    LLVMMemoryBufferRef data = NULL;
    pthread_mutex_lock(&ms->lock);
    unsigned index = ms->count;
    int room = grow_index(ms) == 0;
    kj_xref *ctors = take_xtors(mod, "llvm.global_ctors", &nctors);
    kj_xref *dtors = take_xtors(mod, "llvm.global_dtors", &ndtors);
    st = room ? plan_module(ms, mod, mname, index, &p)
               : kj_set_error(KJIT_ENOMEM, "out of memory");
    size_t asm_len;
    LLVMGetModuleInlineAsm(mod, &asm_len);
    if (st == KJIT_OK && (p.ndata || asm_len) && src)
        p.data_later = 1;
    else if (st == KJIT_OK && (p.ndata || asm_len) &&
             !(data = copy_out(mod, p.data, p.ndata, "data", 1)))
        st = kj_set_error(KJIT_ENOMEM, "out of memory copying the variables of %s", mname);
    if (st == KJIT_OK && (!(ms->names[index] = strdup(mname)) ||
                          !(m = module_new(ms, mod, p.fns, p.nfns, &p))))
        st = kj_set_error(KJIT_ENOMEM, "out of memory");
    if (st == KJIT_OK) {
        /* A lazy module's layouts are taken at its first reload, if any
         * (they need every body). */
        ms->layouts[index] = lazy ? NULL : struct_layouts(mod);
        m->index = index;
        m->lazy = lazy;
        m->bytes = bytes;
        m->len = len;
        if (src) memcpy(m->src, src, sizeof m->src);
        m->src_keyed = src != NULL;
        ms->count++;
        for (int i = 0; i < nctors; i++)
            xtors_add(&ms->ctors, ctors[i].prio, ms->xtor_seq++, name_of(ctors[i].fn));
        for (int i = 0; i < ndtors; i++)
            xtors_add(&ms->dtors, dtors[i].prio, ms->xtor_seq++, name_of(dtors[i].fn));
        plan_record(ms->rec, &p, ctors, nctors, dtors, ndtors);
        m->refs++; /* held until its functions are defined */
    }
    pthread_mutex_unlock(&ms->lock);
    free(ctors);
    free(dtors);
    if (st != KJIT_OK) { /* (names recorded by a failed plan stay: harmless) */
        LLVMContextRef ctx = LLVMGetModuleContext(mod);
        LLVMDisposeModule(mod);
        LLVMContextDispose(ctx);
        if (data) LLVMDisposeMemoryBuffer(data);
        plan_free(&p);
        return st;
    }
    kj_defer_compile = 1; /* compiled by kjit_run_constructors, once all are here */
    st = define_planned(jit, ms, m, &p, data, 0);
    kj_defer_compile = 0;
    if (st == KJIT_OK && (m->nfns || p.ndata)) ms->uncompiled = 1;
    if (data) LLVMDisposeMemoryBuffer(data);
    plan_free(&p);
    module_drop(ms, m); /* the hold */
    return st;
}

/* Bitcode, raw or in its wrapper. */
static int is_bitcode(const unsigned char *d, size_t len) {
    return len >= 4 && ((d[0] == 'B' && d[1] == 'C' && d[2] == 0xc0 && d[3] == 0xde) ||
                        (d[0] == 0xde && d[1] == 0xc0 && d[2] == 0x17 && d[3] == 0x0b));
}

/* Read a module (bitcode or text) into a context of its own, which nothing
 * else uses yet (no lock needed).  lazy: bitcode's function bodies are read
 * when first needed (*lazy says whether they were: text is read whole). */
static kjit_status parse(const void *data, size_t len, const char *name, LLVMModuleRef *out,
                         int *lazy, const char **bytes) {
    LLVMContextRef ctx = kj_llvm_context(); /* an error's text: the thread's message */
    LLVMMemoryBufferRef buf =
        LLVMCreateMemoryBufferWithMemoryRangeCopy(data ? data : "", len, name);
    char *msg = NULL;
    kjit_status st = KJIT_OK;
    kj_set_error(KJIT_OK, "%s", "");
    int want_lazy = lazy && *lazy;
    if (lazy) *lazy = 0;
    if (is_bitcode(data, len)) {
        /* Lazily, the module owns buf once it is read. */
        if (want_lazy ? LLVMGetBitcodeModuleInContext2(ctx, buf, out)
                      : LLVMParseBitcodeInContext2(ctx, buf, out)) {
            char diag[KJ_ERRMSG_SIZE];
            snprintf(diag, sizeof diag, "%s", kjit_errmsg()[0] ? kjit_errmsg() : "unreadable");
            st = kj_set_error(KJIT_EINVAL, "%s: bad bitcode: %s", name, diag);
            LLVMDisposeMemoryBuffer(buf);
        } else if (want_lazy) {
            *lazy = 1;
            if (bytes) *bytes = LLVMGetBufferStart(buf); /* (the module's now) */
        } else {
            LLVMDisposeMemoryBuffer(buf);
        }
    } else if (LLVMParseIRInContext(ctx, buf, out, &msg)) { /* takes buf */
        /* "NAME:LINE:COL: error: ..." and the line; ours says it is one */
        size_t n = msg ? strlen(msg) : 0;
        while (n && msg[n - 1] == '\n') msg[--n] = 0;
        char *e = msg ? strstr(msg, ": error: ") : NULL;
        if (e) memmove(e + 2, e + 9, strlen(e + 9) + 1);
        /* The line it quotes may hold any byte: never binary on a terminal.
         * One '?' a byte keeps the caret under its column. */
        size_t from = msg && strncmp(msg, name, strlen(name)) == 0 ? strlen(name) : 0;
        for (size_t i = from; msg && msg[i]; i++)
            if (msg[i] != '\n' && msg[i] != '\t' && !(msg[i] >= 0x20 && msg[i] < 0x7f)) msg[i] = '?';
        st = kj_set_error(KJIT_EINVAL, "%s", msg ? msg : "not LLVM IR");
    }
    LLVMDisposeMessage(msg);
    if (st != KJIT_OK) LLVMContextDispose(ctx);
    return st;
}

/* The next link of ms->chain (under update): `what` of module `name`, with
 * bytes data; the new chain in out too. */
static void chain(struct kj_modules *ms, const char *what, const char *name, const void *data,
                  size_t len, uint8_t out[32]) {
    kj_sha256 s;
    kj_sha256_init(&s);
    kj_sha256_add(&s, ms->chain, sizeof ms->chain);
    kj_sha256_add(&s, what, strlen(what) + 1);
    /* A name that is a file's path counts as the file: "p.bc", "./p.bc"
     * and its absolute path are one program (and so is its bundle:
     * kj_objcache_bundle). */
    char *real = kj_cache_program_name(name);
    kj_sha256_add(&s, real ? real : name, strlen(real ? real : name) + 1);
    free(real);
    uint64_t n = len;
    kj_sha256_add(&s, &n, sizeof n);
    kj_sha256_add(&s, data, len);
    kj_sha256_done(&s, ms->chain);
    memcpy(out, ms->chain, 32);
}

/* The key of the plan of the module added with source key src. */
static void plan_key(kjit *jit, const uint8_t src[32], uint8_t out[32]) {
    kj_sha256 s;
    kj_sha256_init(&s);
    kj_sha256_add(&s, PLAN_MAGIC, sizeof PLAN_MAGIC);
    kj_sha256_add(&s, jit->build_id, sizeof jit->build_id);
    kj_sha256_add(&s, src, 32);
    kj_sha256_done(&s, out);
}

/* Add a module from its plan (plan, n bytes), if the plan is whole: 1 and
 * *st; 0, the plan is not usable (nothing was done). */
static int plan_replay(kjit *jit, struct kj_modules *ms, const char *mname, const void *data,
                       size_t len, const uint8_t src[32], const char *plan, size_t n,
                       kjit_status *st) {
    const char *p = plan + sizeof PLAN_MAGIC, *end = plan + n, *f[2];
    size_t nfns = 0, ndata = 0, nlabels = 0;
    char tag;
    if (n < sizeof PLAN_MAGIC || memcmp(plan, PLAN_MAGIC, sizeof PLAN_MAGIC) != 0) return 0;
    while (p < end) { /* every record whole, first */
        if (!(tag = plan_read(&p, end, f))) return 0;
        nfns += tag == 'F';
        ndata += tag == 'V' ? strlen(f[0]) + 1 : 0;
        nlabels += tag == 'L' ? strlen(f[0]) + strlen(f[1]) + 2 : 0;
    }
    kj_module *m = calloc(1, sizeof *m);
    if (m) {
        m->fns = calloc(nfns + 1, sizeof *m->fns);
        m->own = malloc(len ? len : 1);
        m->data_names = malloc(ndata + 1);
        m->label_names = malloc(nlabels + 1);
    }
    if (!m || !m->fns || !m->own || !m->data_names || !m->label_names) {
        if (m) free(m->fns), free(m->own), free(m->data_names), free(m->label_names);
        free(m);
        *st = kj_set_error(KJIT_ENOMEM, "out of memory");
        return 1;
    }
    memcpy(m->own, data, len);
    m->bytes = m->own;
    m->len = len;
    m->lazy = 1;
    memcpy(m->src, src, sizeof m->src);
    m->src_keyed = 1;
    m->refs = 1; /* held until its functions are defined */
    *st = KJIT_OK;
    pthread_mutex_lock(&ms->lock);
    unsigned index = ms->count;
    if (grow_index(ms) != 0 || !(ms->names[index] = strdup(mname))) {
        pthread_mutex_unlock(&ms->lock);
        module_free(ms, m);
        *st = kj_set_error(KJIT_ENOMEM, "out of memory");
        return 1;
    }
    m->index = index;
    for (p = plan + sizeof PLAN_MAGIC; p < end && *st == KJIT_OK;) {
        tag = plan_read(&p, end, f);
        kj_msym *s = NULL;
        int bad = 0;
        switch (tag) {
        case 'S':
        case 'w':
            bad = !msym_new(ms, strdup(f[1]), f[0], tag == 'w', index);
            break;
        case 'W':
            if ((s = msym_find(ms, f[0]))) s->weak = 0, s->module = index;
            break;
        case 'C':
        case 'X':
            bad = xtors_add(tag == 'C' ? &ms->ctors : &ms->dtors, atoi(f[0]), ms->xtor_seq++, f[1]);
            break;
        case 'F':
            m->fns[m->nfns].ms = ms;
            m->fns[m->nfns].m = m;
            bad = !(m->fns[m->nfns++].name = strdup(f[0]));
            break;
        case 'V':
            memcpy(m->data_names + m->data_len, f[0], strlen(f[0]) + 1);
            m->data_len += strlen(f[0]) + 1;
            break;
        case 'L':
            for (int i = 0; i < 2; i++) {
                memcpy(m->label_names + m->label_len, f[i], strlen(f[i]) + 1);
                m->label_len += strlen(f[i]) + 1;
            }
            break;
        default:
            break;
        }
        if (bad) *st = kj_set_error(KJIT_ENOMEM, "out of memory");
    }
    ms->count++;
    m->next = ms->list;
    ms->list = m;
    pthread_mutex_unlock(&ms->lock);
    /* What it defines, in define_planned's order: hosts, variables,
     * functions, aliases. */
    kj_defer_compile = 1; /* compiled by kjit_run_constructors, once all are here */
    for (p = plan + sizeof PLAN_MAGIC; p < end && *st == KJIT_OK;) {
        tag = plan_read(&p, end, f);
        if (tag == 'H') {
            *st = kjit_declare_host(jit, f[0], KJIT_SIG_ANY);
        } else if (tag == 'D') {
            *st = define_data_later(jit, ms, m, NULL, f[0]);
        }
    }
    if (*st == KJIT_OK) *st = define_fns(jit, ms, m, 0, KJIT_OK);
    for (p = plan + sizeof PLAN_MAGIC; p < end && *st == KJIT_OK;) {
        if (plan_read(&p, end, f) != 'A') continue;
        void *to = kjit_address(jit, f[1]);
        *st = to ? kjit_define_host(jit, f[0], KJIT_SIG_ANY, to) : KJIT_ENOMEM;
    }
    kj_defer_compile = 0;
    if (*st == KJIT_OK && (m->nfns || m->data_len)) ms->uncompiled = 1;
    module_drop(ms, m); /* the hold */
    return 1;
}

static kjit_status add_module_memory(kjit *jit, const void *data, size_t len, const char *name);

/* Adding, reloading and printing modules take the modules' locks, LLVM's
 * set-up lock and compile_lock: inside kj_tier_enter, so that a fork in
 * another thread waits for them (kj_tier.c, "fork"). */
kjit_status kjit_add_module_memory(kjit *jit, const void *data, size_t len, const char *name) {
    if (!jit || (!data && len)) return kj_set_error(KJIT_EINVAL, "kjit_add_module: bad argument");
    kj_tier_enter(jit);
    kjit_status st = add_module_memory(jit, data, len, name);
    kj_tier_leave(jit);
    return st;
}

static kjit_status add_module_memory(kjit *jit, const void *data, size_t len, const char *name) {
    if (!name) name = "module";
    struct kj_modules *ms = modules_of(jit);
    if (!ms) return kj_set_error(KJIT_ENOMEM, "out of memory");
    kjit_status st = KJIT_OK;
    pthread_mutex_lock(&ms->update);
    /* Bitcode with the cache on: added from its plan, LLVM not loaded, if
     * an earlier run added the same modules in the same order. */
    uint8_t src[32], pk[32];
    int planned = jit->cache && is_bitcode(data, len) && !atomic_load(&jit->cache_failed);
    if (planned) {
        kj_objcache_bundle(jit, name);
        chain(ms, "add", name, data, len, src);
        plan_key(jit, src, pk);
        size_t n;
        char *plan = kj_objcache_get_raw(jit, pk, &n);
        int done = plan && plan_replay(jit, ms, name, data, len, src, plan, n, &st);
        free(plan);
        if (done) {
            pthread_mutex_unlock(&ms->update);
            return st;
        }
    }
    LLVMModuleRef mod;
    int lazy = 1;
    const char *bytes = NULL;
    st = kj_llvm_ready(jit);
    if (st == KJIT_OK) st = parse(data, len, name, &mod, &lazy, &bytes);
    if (st == KJIT_OK && jit->cache && !planned) chain(ms, "add", name, data, len, src);
    kj_text rec = {0};
    if (planned) {
        rec_put(&rec, PLAN_MAGIC);
        ms->rec = &rec;
    }
    if (st == KJIT_OK)
        st = add_parsed(jit, ms, mod, name, bytes, len, jit->cache ? src : NULL);
    ms->rec = NULL;
    if (st == KJIT_OK && planned && !rec.bad) kj_objcache_put_raw(jit, pk, rec.s, rec.n);
    free(rec.s);
    pthread_mutex_unlock(&ms->update);
    return st;
}

static kjit_status reload(kjit *jit, struct kj_modules *ms, const void *data, size_t len,
                          const char *name, unsigned index, kjit_reload *out);

static kjit_status reload_module_memory(kjit *jit, const void *data, size_t len,
                                        const char *name, kjit_reload *out);

kjit_status kjit_reload_module_memory(kjit *jit, const void *data, size_t len, const char *name,
                                      kjit_reload *out) {
    if (!jit) return reload_module_memory(jit, data, len, name, out); /* (its error) */
    kj_tier_enter(jit);
    kjit_status st = reload_module_memory(jit, data, len, name, out);
    kj_tier_leave(jit);
    return st;
}

static kjit_status reload_module_memory(kjit *jit, const void *data, size_t len,
                                        const char *name, kjit_reload *out) {
    kjit_reload ignored;
    if (!out) out = &ignored;
    memset(out, 0, sizeof *out);
    if (!jit || !name || (!data && len))
        return kj_set_error(KJIT_EINVAL, "kjit_reload_module: bad argument");
    uint64_t t0 = kj_now_us();
    struct kj_modules *ms = jit->modules;
    unsigned index = 0;
    int found = 0;
    if (ms) {
        pthread_mutex_lock(&ms->lock);
        for (unsigned i = 0; i < ms->count; i++)
            if (strcmp(ms->names[i], name) == 0) index = i, found = 1;
        pthread_mutex_unlock(&ms->lock);
    }
    if (!found)
        return kj_set_error(KJIT_EINVAL, "kjit_reload_module: no module '%s' was added", name);
    /* (a module added from its plan did not load LLVM) */
    kjit_status ready = kj_llvm_ready(jit);
    if (ready != KJIT_OK) return ready;
    pthread_mutex_lock(&ms->update);
    uint8_t src[32]; /* (what modules added later are made from includes it) */
    if (jit->cache) chain(ms, "reload", name, data, len, src);
    kjit_status st = reload(jit, ms, data, len, name, index, out);
    pthread_mutex_unlock(&ms->update);
    out->us = kj_now_us() - t0;
    return st;
}

static kjit_status reload(kjit *jit, struct kj_modules *ms, const void *data, size_t len,
                          const char *name, unsigned index, kjit_reload *out) {
    LLVMModuleRef mod;
    kjit_status st = parse(data, len, name, &mod, NULL, NULL);
    if (st == KJIT_OK) st = prepare(jit, mod, name, 0);
    if (st != KJIT_OK) return st;
    kj_plan p = {0};
    kj_module *m = NULL;
    LLVMMemoryBufferRef vars = NULL;
    int nx;
    pthread_mutex_lock(&ms->lock);
    /* Constructors ran at the first load; a reload runs none. */
    free(take_xtors(mod, "llvm.global_ctors", &nx));
    free(take_xtors(mod, "llvm.global_dtors", &nx));
    st = read_whole(ms, index);
    char *layouts = st == KJIT_OK ? struct_layouts(mod) : NULL;
    if (st == KJIT_OK) st = check_layouts(ms, index, name, layouts);
    if (st == KJIT_OK) st = plan_reload(ms, mod, name, index, &p, out);
    if (st == KJIT_OK && ms->layouts) { /* what the next reload compares with */
        free(ms->layouts[index]);
        ms->layouts[index] = layouts;
        layouts = NULL;
    }
    free(layouts);
    if (st == KJIT_OK && p.ndata && !(vars = copy_out(mod, p.data, p.ndata, "data", 0)))
        st = kj_set_error(KJIT_ENOMEM, "out of memory");
    if (st == KJIT_OK && !(m = module_new(ms, mod, p.fns, p.nfns, &p)))
        st = kj_set_error(KJIT_ENOMEM, "out of memory");
    if (m) m->refs++; /* held until its functions are defined */
    pthread_mutex_unlock(&ms->lock);
    if (st == KJIT_OK) st = define_planned(jit, ms, m, &p, vars, 1);
    if (vars) LLVMDisposeMemoryBuffer(vars);
    plan_free(&p);
    if (m) {
        module_drop(ms, m); /* freed here if nothing changed */
    } else {
        LLVMContextRef ctx = LLVMGetModuleContext(mod);
        LLVMDisposeModule(mod);
        LLVMContextDispose(ctx);
    }
    return st;
}

/* A whole file, malloc'd, or NULL after setting the error. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return kj_set_error(KJIT_EINVAL, "cannot open '%s': %s", path, strerror(errno)), NULL;
    char *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            char *d = realloc(data, cap = cap ? 2 * cap : 1 << 16);
            if (!d) {
                free(data);
                fclose(f);
                return kj_set_error(KJIT_ENOMEM, "out of memory reading '%s'", path), NULL;
            }
            data = d;
        }
        size_t got = fread(data + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        free(data);
        data = NULL;
        kj_set_error(KJIT_EINVAL, "cannot read '%s'", path);
    }
    fclose(f);
    return data;
}

kjit_status kjit_add_module_file(kjit *jit, const char *path) {
    if (!jit || !path) return kj_set_error(KJIT_EINVAL, "kjit_add_module_file: bad argument");
    size_t len;
    char *data = slurp(path, &len);
    if (!data) return KJIT_EINVAL;
    kjit_status st = kjit_add_module_memory(jit, data, len, path);
    free(data);
    return st;
}

kjit_status kjit_reload_module_file(kjit *jit, const char *path, kjit_reload *out) {
    if (!jit || !path) return kj_set_error(KJIT_EINVAL, "kjit_reload_module_file: bad argument");
    size_t len;
    char *data = slurp(path, &len);
    if (!data) return KJIT_EINVAL;
    kjit_status st = kjit_reload_module_memory(jit, data, len, path, out);
    free(data);
    return st;
}

kjit_status kjit_add_module(kjit *jit, LLVMModuleRef mod) {
    if (!jit || !mod) return kj_set_error(KJIT_EINVAL, "kjit_add_module: the JIT or module is NULL");
    kj_tier_enter(jit);
    kjit_status st = kj_llvm_ready(jit);
    kj_tier_leave(jit);
    if (st != KJIT_OK) return st;
    size_t n;
    const char *id = LLVMGetModuleIdentifier(mod, &n);
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)n, id);
    LLVMMemoryBufferRef bc = LLVMWriteBitcodeToMemoryBuffer(mod);
    if (!bc) return kj_set_error(KJIT_ENOMEM, "out of memory");
    st = kjit_add_module_memory(jit, LLVMGetBufferStart(bc), LLVMGetBufferSize(bc), name);
    LLVMDisposeMemoryBuffer(bc);
    return st;
}

static char *modules_print(kjit *jit, struct kj_modules *ms);

char *kjit_modules_print(kjit *jit) {
    struct kj_modules *ms = jit ? jit->modules : NULL;
    if (!ms) return strdup("");
    kj_tier_enter(jit);
    char *out = modules_print(jit, ms);
    kj_tier_leave(jit);
    return out;
}

static char *modules_print(kjit *jit, struct kj_modules *ms) {
    if (kj_llvm_ready(jit) != KJIT_OK) return NULL;
    pthread_mutex_lock(&ms->lock);
    for (kj_module *m = ms->list; m; m = m->next)
        if (attach_locked(ms, m) != 0) {
            pthread_mutex_unlock(&ms->lock);
            return NULL;
        }
    size_t n = 0;
    for (kj_module *m = ms->list; m; m = m->next) n++;
    kj_module **order = calloc(n + 1, sizeof *order);
    size_t k = n;
    for (kj_module *m = ms->list; m && order; m = m->next) order[--k] = m; /* oldest first */
    char *out = NULL;
    size_t len = 0;
    for (size_t i = 0; order && i < n; i++) {
        char err[KJ_ERRMSG_SIZE] = "";
        read_bodies(order[i], NULL, err, sizeof err); /* (damaged ones print as declarations) */
        char *t = LLVMPrintModuleToString(order[i]->mod);
        size_t tl = strlen(t);
        char *o = realloc(out, len + tl + 1);
        if (o) {
            memcpy(o + len, t, tl + 1);
            out = o;
            len += tl;
        }
        LLVMDisposeMessage(t);
    }
    pthread_mutex_unlock(&ms->lock);
    free(order);
    return out ? out : strdup("");
}

/* ---- kjit_prepare: the functions a variable holds --------------------------- */

typedef struct kj_names {
    char *b;
    size_t n, cap;
    unsigned visits; /* (bounded: a graph of tables is walked at most so far) */
} kj_names;

#define KJ_NAMES_VISITS 65536

static void names_add(kj_names *t, const char *name) {
    size_t l = strlen(name) + 1;
    if (t->n + l > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->n + l > cap) cap *= 2;
        char *b = realloc(t->b, cap);
        if (!b) return;
        t->b = b, t->cap = cap;
    }
    memcpy(t->b + t->n, name, l);
    t->n += l;
}

/* The functions constant c names, and those of the variables it points to
 * (each variable once: a visited one is in seen). */
static void names_walk(LLVMValueRef c, kj_names *t, LLVMValueRef *seen, size_t *nseen, int depth) {
    if (!c || depth > 16 || ++t->visits > KJ_NAMES_VISITS) return;
    if (LLVMIsAFunction(c)) {
        names_add(t, name_of(c));
        return;
    }
    if (LLVMIsAGlobalVariable(c)) {
        for (size_t i = 0; i < *nseen; i++)
            if (seen[i] == c) return;
        if (*nseen == 256) return;
        seen[(*nseen)++] = c;
        names_walk(LLVMGetInitializer(c), t, seen, nseen, depth + 1);
        return;
    }
    if (!LLVMIsAConstant(c) || LLVMIsAGlobalValue(c)) return;
    int n = LLVMGetNumOperands(c);
    for (int i = 0; i < n; i++) names_walk(LLVMGetOperand(c, i), t, seen, nseen, depth + 1);
}

static char *names_in(kjit *jit, const char *global, size_t *len) {
    struct kj_modules *ms = jit->modules;
    *len = 0;
    if (!ms || kj_llvm_ready(jit) != KJIT_OK) return NULL;
    kj_names t = {0};
    LLVMValueRef seen[256];
    size_t nseen = 0;
    pthread_mutex_lock(&ms->lock);
    kj_msym *s = msym_find(ms, global);
    for (kj_module *m = ms->list; m && s; m = m->next) {
        if (m->index != s->module || attach_locked(ms, m) != 0) continue;
        LLVMValueRef g = LLVMGetNamedGlobal(m->mod, global);
        if (!g || LLVMIsDeclaration(g)) continue;
        names_walk(g, &t, seen, &nseen, 0);
        break;
    }
    pthread_mutex_unlock(&ms->lock);
    *len = t.n;
    return t.b;
}
