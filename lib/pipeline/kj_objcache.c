/*
 * kj_objcache.c — compiled objects kept between runs (issue K2), on the
 * store of lib/base/kj_cache.c.
 *
 * A compile is keyed by what decides its object (docs/DESIGN.md, "The code
 * cache", after LLVM's computeLTOCacheKey):
 *   - the module kj_compile is about to optimise, as bitcode: the generated
 *     IR with kjit's own changes (callee names, polls, frame pointers);
 *   - kjit's own build (the file holding this code: its device, inode, size
 *     and modification time) and LLVM's version;
 *   - the target: triple, CPU name and features;
 *   - the tier, the optimisation and code generation levels, the pass
 *     pipeline, T1's counters and their threshold, and the key a client gave
 *     its transformation (a transformed compile without one is not cached).
 * Nothing of the process is in the code (kj_link.c: polls and counters
 * reach it by name), except the unit's own symbol, "__kjit.<12 hex
 * digits>.NAME": the key is taken with those digits zeroed, the entry
 * records the symbol it was made with, and a hit gets this compile's
 * digits written over it (same length, every occurrence in the object).
 *
 * An entry's data: the symbol's length (4 bytes, little-endian), the
 * symbol, then the object.  Two other kinds of entries, under keys of their
 * own: hot marks (what reached T2, issue K2's item 4), one byte under a key
 * derived from the function's source key or T1 key; and entries under a
 * pre-key (compiles without IR, below), which hold their object too.
 *
 * Layer pipeline (lib/LAYERS): calls lib/base.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <llvm-c/BitWriter.h>
#include <llvm-c/Core.h>

#include "base/kj_base.h"
#include "base/kj_cache.h"
#include "pipeline/kj_pipeline.h"

#define KEY_VERSION "kjit-objcache-4"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

/* Where this process's run-specific digits are in an implementation name
 * ("__kjit.<hex>.NAME" or "__kjit.top<hex>"), or -1: not such a name. */
static int digits_at(const char *sym) {
    if (!sym || strncmp(sym, "__kjit.", 7) != 0) return -1;
    int at = strncmp(sym + 7, "top", 3) == 0 ? 10 : 7;
    for (int i = 0; i < KJ_IMPL_DIGITS; i++)
        if (!strchr("0123456789abcdef", sym[at + i]) || !sym[at + i]) return -1;
    return at;
}

/* ---- the writer ------------------------------------------------------------
 * Writing an entry takes half a millisecond here (a temporary file, a
 * rename): a first run of the SQL engine paid 0.35 s of it on the program's
 * thread.  Entries are written by a thread of their own, in order;
 * kj_objcache_flush waits for the queue (kjit_stop_tiering, destroy), and
 * after it writes happen where they are asked for.  Past KJ_WRITER_MAX bytes
 * queued, too.  With a bundle open (a program of bitcode), entries go into
 * it instead, in memory, until the flush, which writes it. */
#define KJ_WRITER_MAX (64u << 20)
typedef struct cjob {
    struct cjob *next;
    uint8_t key[32];
    int shared;  /* not the program's: never in its bundle (the host key's) */
    size_t len;
    unsigned char data[]; /* the entry's data */
} cjob;

struct kj_writer {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    cjob *head, *tail;
    size_t bytes;
    pthread_t thread;
    int started, stopped;
};

static cjob *job_new(const uint8_t key[32], size_t len) {
    cjob *j = malloc(sizeof *j + len);
    if (!j) return NULL;
    memset(j, 0, sizeof *j);
    memcpy(j->key, key, 32);
    j->len = len;
    return j;
}

static void run_job(kjit *jit, cjob *j) {
    if (!atomic_load(&jit->cache_failed)) {
        char why[512] = "";
        if (kj_cache_put(jit->cache, j->key, j->data, j->len, why, sizeof why) != 0)
            kj_objcache_failed(jit, why);
    }
    free(j);
}

static void *writer_main(void *arg) {
    kjit *jit = arg;
    struct kj_writer *w = jit->writer;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stopped) pthread_cond_wait(&w->wake, &w->lock);
        cjob *j = w->head;
        if (!j) break; /* stopped, and nothing left */
        w->head = j->next;
        if (!w->head) w->tail = NULL;
        w->bytes -= j->len;
        pthread_mutex_unlock(&w->lock);
        run_job(jit, j);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Queue j for the writer (which takes it), or write it now.  Once the
 * cache is closed for the exit (kjit_stop_tiering_for_exit) new jobs are
 * dropped: they come from compiles the exit does not wait for, and could be
 * cut off half-written.  What was queued before is written (flush). */
static int enqueue(kjit *jit, cjob *j) {
    struct kj_writer *w = jit->writer;
    pthread_mutex_lock(&w->lock);
    /* Into the program's bundle, in memory: nothing for the thread.  Not
     * after a flush (kjit_stop_tiering): the bundle may not be written
     * again (a process ending without kjit_destroy), so a file now. */
    if (!j->shared && !w->stopped && !atomic_load(&jit->cache_closed) &&
        !atomic_load(&jit->cache_failed) &&
        kj_cache_bundle_put(jit->cache, j->key, j->data, j->len) == 0) {
        pthread_mutex_unlock(&w->lock);
        free(j);
        return 0;
    }
    if (atomic_load(&jit->cache_closed)) { /* (set before flush takes this lock) */
        pthread_mutex_unlock(&w->lock);
        free(j);
        return -1;
    }
    int now = w->stopped || w->bytes + j->len > KJ_WRITER_MAX;
    if (!now && !w->started) {
        now = kj_thread_start(&w->thread, writer_main, jit) != 0;
        w->started = !now;
    }
    if (!now) {
        j->next = NULL;
        if (w->tail)
            w->tail->next = j;
        else
            w->head = j;
        w->tail = j;
        w->bytes += j->len;
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    if (now) run_job(jit, j);
    return 0;
}

void kj_objcache_fork_prepare(kjit *jit) {
    if (jit->writer) pthread_mutex_lock(&jit->writer->lock);
}

void kj_objcache_fork_parent(kjit *jit) {
    if (jit->writer) pthread_mutex_unlock(&jit->writer->lock);
}

void kj_objcache_fork_child(kjit *jit) {
    struct kj_writer *w = jit->writer;
    if (!w) return;
    /* The writer thread is the parent's, and so are the entries it has
     * yet to write (left to it, not freed: a job may be half-read). */
    w->started = 0;
    w->head = w->tail = NULL;
    w->bytes = 0;
    pthread_cond_init(&w->wake, NULL);
    pthread_mutex_unlock(&w->lock);
}

void kj_objcache_flush(kjit *jit) {
    struct kj_writer *w = jit->writer;
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    int join = w->started && !w->stopped;
    w->stopped = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    if (join) pthread_join(w->thread, NULL);
    char why[512] = "";
    /* Not from a forked child: its bundle is its parent's, which writes it
     * (eight workers' exits wrote it eight times, merging each other's). */
    if (jit->cache && !atomic_load(&jit->cache_failed) && !jit->forked &&
        kj_cache_bundle_write(jit->cache, why, sizeof why) != 0)
        kj_objcache_failed(jit, why);
}

void kj_objcache_bundle(kjit *jit, const char *name) {
    const char *e = getenv("KJIT_CACHE_BUNDLES");
    if (!jit->cache || (e && strcmp(e, "0") == 0)) return;
    /* A name that is a file's path (the command's) counts as the file:
     * "p.bc", "./p.bc" and its absolute path are one program. */
    char *real = kj_cache_program_name(name);
    kj_sha256 s;
    uint8_t key[32];
    kj_sha256_init(&s);
    kj_sha256_add(&s, "bundle", 7);
    kj_sha256_add(&s, jit->build_id, sizeof jit->build_id);
    kj_sha256_add(&s, real ? real : name, strlen(real ? real : name) + 1);
    free(real);
    kj_sha256_done(&s, key);
    (void)kj_cache_bundle_open(jit->cache, key);
}

static void add_str(kj_sha256 *s, const char *x) {
    uint64_t n = x ? strlen(x) + 1 : 0;
    kj_sha256_add(s, &n, sizeof n);
    if (x) kj_sha256_add(s, x, n);
}

static void add_int(kj_sha256 *s, int64_t v) { kj_sha256_add(s, &v, sizeof v); }

/* ---- the machine, without LLVM ----------------------------------------------
 *
 * Every key covers the target as LLVM sees it: its version, the triple, the
 * CPU's name and features, the data layout (the machine key).  Asking LLVM
 * means loading it, which a warm run must not (issue K2, item 3).  So the
 * machine key, once LLVM made it, is kept in the cache under a *host key*:
 * what the processor says of itself (x86-64: its CPUID leaves of vendor,
 * model and features, and the register state the OS enables), kjit's build,
 * and the LLVM library a run would load.  A run that finds it knows its
 * keys without LLVM.  Elsewhere (aarch64) there is no host key: LLVM is
 * loaded for the first key, as before. */

static int host_key(kjit *jit, uint8_t out[32]) {
#if defined(__x86_64__)
    /* Once per JIT: CPUID traps to the hypervisor in a virtual machine
     * (the two of a first run of hello world took 0.8 % of it). */
    if (jit->host_keyed) {
        memcpy(out, jit->host_key, 32);
        return 1;
    }
    kj_sha256 s;
    kj_sha256_init(&s);
    add_str(&s, "host");
    kj_sha256_add(&s, jit->build_id, sizeof jit->build_id);
    add_str(&s, getenv("KJIT_LLVM_LIBRARY"));
    unsigned max = 0, r[4], ext = 0;
    __cpuid(0, max, r[1], r[2], r[3]);
    kj_sha256_add(&s, r + 1, 12); /* the vendor */
    static const unsigned leaves[][2] = {{1, 0}, {7, 0}, {7, 1}, {0xd, 1}};
    for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
        if (leaves[i][0] > max) continue;
        __cpuid_count(leaves[i][0], leaves[i][1], r[0], r[1], r[2], r[3]);
        if (leaves[i][0] == 1) r[1] = 0; /* (ebx: this core's APIC id) */
        kj_sha256_add(&s, leaves[i], sizeof leaves[i]);
        kj_sha256_add(&s, r, sizeof r);
    }
    __cpuid(0x80000000, ext, r[1], r[2], r[3]);
    for (unsigned leaf = 0x80000001; leaf <= 0x80000004 && leaf <= ext; leaf++) {
        __cpuid(leaf, r[0], r[1], r[2], r[3]);
        kj_sha256_add(&s, r, sizeof r);
    }
    if (max >= 1) {
        __cpuid(1, r[0], r[1], r[2], r[3]);
        if (r[2] & (1u << 27)) { /* OSXSAVE: the register state the OS enables */
            unsigned lo, hi;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            kj_sha256_add(&s, &lo, sizeof lo);
            kj_sha256_add(&s, &hi, sizeof hi);
        }
    }
    kj_sha256_done(&s, out);
    memcpy(jit->host_key, out, 32);
    jit->host_keyed = 1;
    return 1;
#else
    (void)jit, (void)out;
    return 0;
#endif
}

void kj_objcache_machine(kjit *jit, const char *triple, const char *cpu, const char *features,
                         const char *datalayout) {
    kj_sha256 s;
    kj_sha256_init(&s);
    add_str(&s, "machine");
    unsigned v[3];
    LLVMGetVersion(&v[0], &v[1], &v[2]);
    kj_sha256_add(&s, v, sizeof v);
    add_str(&s, triple);
    add_str(&s, cpu);
    add_str(&s, features);
    add_str(&s, datalayout);
    uint8_t key[32];
    kj_sha256_done(&s, key);
    int known = atomic_load(&jit->machine_known);
    if (known && memcmp(key, jit->machine_key, sizeof key) == 0) return;
    /* (a host key that named another machine key is overwritten) */
    memcpy(jit->machine_key, key, sizeof key);
    atomic_store(&jit->machine_known, 1);
    uint8_t hk[32];
    if (!jit->cache || atomic_load(&jit->cache_failed) || !host_key(jit, hk)) return;
    cjob *j = job_new(hk, sizeof key);
    if (!j) return;
    j->shared = 1; /* (read before any bundle is open) */
    memcpy(j->data, key, sizeof key);
    (void)enqueue(jit, j);
}

/* The machine key, LLVM loaded for it if no earlier run kept it. */
static const uint8_t *machine_key(kjit *jit) {
    if (!atomic_load(&jit->machine_known)) (void)kj_llvm_ready(jit);
    return jit->machine_key; /* (zeros if LLVM could not load: then nothing compiles) */
}

kjit_status kj_objcache_open(kjit *jit) {
    if (!jit->opts.cache) return KJIT_OK;
    char why[512] = "";
    jit->cache = kj_cache_open(jit->opts.cache_dir, jit->opts.cache_max_bytes, why, sizeof why);
    if (!jit->cache) return kj_set_error(KJIT_EINVAL, "%s", why);
    if (!(jit->writer = calloc(1, sizeof *jit->writer))) {
        kj_cache_close(jit->cache);
        jit->cache = NULL;
        return kj_set_error(KJIT_ENOMEM, "the code cache is not used: out of memory");
    }
    pthread_mutex_init(&jit->writer->lock, NULL);
    pthread_cond_init(&jit->writer->wake, NULL);
    /* kjit's build: the file this code was loaded from. */
    kj_sha256 s;
    kj_sha256_init(&s);
    Dl_info info;
    struct stat st;
    if (dladdr((void *)(uintptr_t)kj_objcache_open, &info) && info.dli_fname &&
        stat(info.dli_fname, &st) == 0) {
        uint64_t id[5] = {(uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)st.st_size,
                          (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec};
        kj_sha256_add(&s, id, sizeof id);
    } else {
        /* Without a build to name, nothing may be shared between runs. */
        kj_objcache_close(jit);
        return kj_set_error(KJIT_EINVAL, "the code cache is not used: cannot identify "
                                         "kjit's own build");
    }
    kj_sha256_done(&s, jit->build_id);
    /* What LLVM made of this machine in an earlier run, if it can be
     * known without LLVM. */
    uint8_t hk[32];
    size_t n;
    char *m = host_key(jit, hk) ? kj_cache_get(jit->cache, hk, &n) : NULL;
    if (m && n == sizeof jit->machine_key) {
        memcpy(jit->machine_key, m, n);
        atomic_store(&jit->machine_known, 1);
    }
    free(m);
    return KJIT_OK;
}

void kj_objcache_close(kjit *jit) {
    kj_objcache_flush(jit);
    if (jit->writer) {
        pthread_mutex_destroy(&jit->writer->lock);
        pthread_cond_destroy(&jit->writer->wake);
        free(jit->writer);
        jit->writer = NULL;
    }
    kj_cache_close(jit->cache);
    jit->cache = NULL;
}


/* What decides a compile besides its IR (and T1's code generation level,
 * which the callers add). */
static void add_config(kj_sha256 *s, kjit *jit, const kj_unit *u, const char *passes,
                       const char *xkey) {
    add_str(s, KEY_VERSION);
    kj_sha256_add(s, jit->build_id, sizeof jit->build_id);
    kj_sha256_add(s, machine_key(jit), 32);
    add_str(s, u->tier);
    add_int(s, u->opt_level);
    add_int(s, jit->opts.opt_level);
    add_int(s, jit->t2_level);
    add_str(s, passes);
    add_int(s, u->instrument != NULL);
    add_int(s, u->instrument ? jit->opts.hot_threshold : 0);
    add_str(s, xkey);
    add_int(s, jit->opts.no_polls);
    add_int(s, jit->opts.frame_pointers);
}

static void pre_object_key(const uint8_t pre[32], int full, const char *binding, size_t len,
                           uint8_t key[32]);

int kj_objcache_key(kjit *jit, kj_unit *u, const char *passes, int transformed,
                    uint8_t key[32]) {
    if (!jit->cache || atomic_load(&jit->cache_failed)) return 0;
    if (u->tier && strcmp(u->tier, "osr") == 0) return 0; /* names of their own */
    const char *xkey = NULL;
    if (transformed) {
        pthread_mutex_lock(&jit->lock);
        xkey = jit->transform_key[kj_unit_tier(u)] ? strdup(jit->transform_key[kj_unit_tier(u)]) : NULL;
        pthread_mutex_unlock(&jit->lock);
        if (!xkey) return 0; /* a transformation without a key: not cached */
    }
    if (u->pre && LLVMGetNamedMetadata(u->mod, KJ_MD_NO_PREKEY, strlen(KJ_MD_NO_PREKEY))) {
        free((void *)xkey);
        return 0;
    }
    if (u->pre && !transformed) { /* of the pre-key: no bitcode to write */
        u->binding = kj_link_binding(u->mod, &u->binding_len);
        if (!u->binding) return 0;
        pre_object_key(u->pre, u->t1_full != 0, u->binding, u->binding_len, key);
        free((void *)xkey);
        return 1;
    }
    int at = digits_at(u->symbol);
    LLVMValueRef f = u->symbol ? LLVMGetNamedFunction(u->mod, u->symbol) : NULL;
    if (u->symbol && (at < 0 || !f)) {
        free((void *)xkey);
        return 0;
    }
    size_t len = u->symbol ? strlen(u->symbol) : 0;
    char buf[256], *canon = len < sizeof buf ? buf : malloc(len + 1);
    if (!canon) {
        free((void *)xkey);
        return 0;
    }
    if (f) {
        memcpy(canon, u->symbol, len + 1);
        memset(canon + at, '0', KJ_IMPL_DIGITS);
        LLVMSetValueName2(f, canon, len);
    }
    LLVMMemoryBufferRef bc = LLVMWriteBitcodeToMemoryBuffer(u->mod);
    if (u->want_binding) u->binding = kj_link_binding(u->mod, &u->binding_len);
    if (f) LLVMSetValueName2(f, u->symbol, len);
    if (canon != buf) free(canon);
    if (!bc) {
        free((void *)xkey);
        return 0;
    }

    kj_sha256 s;
    kj_sha256_init(&s);
    add_config(&s, jit, u, passes, xkey);
    add_int(&s, u->t1_full);
    uint64_t n = LLVMGetBufferSize(bc);
    kj_sha256_add(&s, &n, sizeof n);
    kj_sha256_add(&s, LLVMGetBufferStart(bc), n);
    kj_sha256_done(&s, key);
    LLVMDisposeMemoryBuffer(bc);
    free((void *)xkey);
    return 1;
}

/* Write `to` over every occurrence of `from` (same length) in p[0..n). */
static void rename_in(char *p, size_t n, const char *from, const char *to, size_t len) {
    for (char *q = p; (q = memmem(q, n - (size_t)(q - p), from, len)) != NULL; q += len)
        memcpy(q, to, len);
}

static LLVMMemoryBufferRef object_of(const kj_unit *u, char *data, size_t size);

LLVMMemoryBufferRef kj_objcache_get(kjit *jit, const kj_unit *u, const uint8_t key[32]) {
    size_t size;
    char *data = kj_cache_get(jit->cache, key, &size);
    if (!data) return NULL;
    LLVMMemoryBufferRef b = object_of(u, data, size);
    free(data);
    return b;
}

int kj_objcache_put(kjit *jit, const kj_unit *u, const uint8_t key[32],
                    LLVMMemoryBufferRef obj) {
    uint32_t len = u->symbol ? (uint32_t)strlen(u->symbol) : 0;
    size_t n = LLVMGetBufferSize(obj);
    cjob *j = job_new(key, 4 + len + n);
    if (!j) return -1;
    memcpy(j->data, &len, 4);
    if (len) memcpy(j->data + 4, u->symbol, len);
    memcpy(j->data + 4 + len, LLVMGetBufferStart(obj), n);
    return enqueue(jit, j);
}

void kj_objcache_failed(kjit *jit, const char *why) {
    /* The first failure stops the cache for this run, and is kept to say
     * once (kjit_cache_warning). */
    int no = 0;
    if (atomic_compare_exchange_strong(&jit->cache_failing, &no, 1)) {
        snprintf(jit->cache_why, sizeof jit->cache_why, "%s", why);
        atomic_store(&jit->cache_failed, 1); /* (after why: kjit_cache_warning reads it) */
    }
}

/* Hot marks: under SHA-256(T1 key, "hot"); 'h' (installed) or 'q'
 * (queued). */
static void hot_key(const uint8_t key[32], uint8_t out[32]) {
    kj_sha256 s;
    kj_sha256_init(&s);
    kj_sha256_add(&s, key, 32);
    kj_sha256_add(&s, "hot", 3);
    kj_sha256_done(&s, out);
}

void kj_objcache_mark_hot(kjit *jit, const uint8_t key[32], int installed) {
    if (!jit->cache || atomic_load(&jit->cache_failed)) return;
    uint8_t k[32];
    hot_key(key, k);
    cjob *j = job_new(k, 1);
    if (!j) return;
    j->data[0] = installed ? 'h' : 'q';
    (void)enqueue(jit, j);
}

int kj_objcache_was_hot(kjit *jit, const uint8_t key[32]) {
    if (!jit->cache || atomic_load(&jit->cache_failed)) return 0;
    uint8_t k[32];
    hot_key(key, k);
    size_t n;
    char *data = kj_cache_get(jit->cache, k, &n);
    int hot = data && n == 1 ? data[0] == 'h' ? 2 : data[0] == 'q' : 0;
    free(data);
    return hot;
}

/* ---- first compiles without IR ------------------------------------------- */

void kj_objcache_prekey(kjit *jit, const kj_unit *u, const uint8_t src_key[32], uint8_t out[32]) {
    char buf[32];
    kj_sha256 s;
    kj_sha256_init(&s);
    add_str(&s, "pre");
    add_config(&s, jit, u, kj_unit_passes(jit, u, buf), NULL);
    add_int(&s, jit->opts.mode);
    add_int(&s, jit->opts.t1_codegen);
    kj_sha256_add(&s, src_key, 32);
    kj_sha256_done(&s, out);
}

/* An entry under a pre-key: "KJIE", has_loop, full (the T1 code
 * generation level it was made at), the binding's length (4 bytes,
 * little-endian), the binding, then an object entry's data (the symbol's
 * length, the symbol, the object).  One entry a function (one file, or one
 * entry of the program's bundle): the first version kept an index entry and
 * the object apart, two files to read in a warm run and two to write in a
 * cold one. */
#define IX_HEAD (4 + 2 + 4)

/* What kj_objcache_key's pre-key path makes of pre, full and a binding. */
static void pre_object_key(const uint8_t pre[32], int full, const char *binding, size_t len,
                           uint8_t key[32]) {
    kj_sha256 s;
    kj_sha256_init(&s);
    add_str(&s, "object of");
    kj_sha256_add(&s, pre, 32);
    add_int(&s, full);
    kj_sha256_add(&s, binding, len);
    kj_sha256_done(&s, key);
}

int kj_objcache_index_get(kjit *jit, const uint8_t pre[32], kj_objcache_index *out) {
    memset(out, 0, sizeof *out);
    if (!jit->cache || atomic_load(&jit->cache_failed)) return 0;
    size_t n;
    unsigned char *d = kj_cache_get(jit->cache, pre, &n);
    if (!d) return 0;
    uint32_t blen = 0;
    if (n >= IX_HEAD) memcpy(&blen, d + 6, 4);
    if (n < IX_HEAD || memcmp(d, "KJIE", 4) != 0 || d[5] > 1 || n - IX_HEAD < blen ||
        (blen && d[IX_HEAD + blen - 1] != 0)) {
        free(d);
        return 0;
    }
    int full = d[5];
    out->has_loop = d[4];
    out->known = 1 << full;
    out->binding_len = blen;
    out->binding = (char *)d + IX_HEAD;
    out->rest = (char *)d + IX_HEAD + blen;
    out->rest_len = n - IX_HEAD - blen;
    out->raw = d;
    pre_object_key(pre, full, out->binding, blen, out->key[full]);
    return 1;
}

void kj_objcache_index_free(kj_objcache_index *ix) {
    free(ix->raw);
    memset(ix, 0, sizeof *ix);
}

/* An object entry's data (the symbol's length, the symbol, the object) made
 * ready for u->symbol, in place: the object, *n bytes; NULL if it does not
 * fit. */
static char *object_at(const kj_unit *u, char *data, size_t size, size_t *n) {
    uint32_t len;
    size_t want = u->symbol ? strlen(u->symbol) : 0;
    if (size < 4 || (memcpy(&len, data, 4), len != want) || size - 4 < len) return NULL;
    char *obj = data + 4 + len;
    *n = size - 4 - len;
    if (len && memcmp(data + 4, u->symbol, len) != 0) {
        char *was = strndup(data + 4, len);
        if (!was) return NULL;
        rename_in(obj, *n, was, u->symbol, len);
        free(was);
    }
    return obj;
}

/* The same, as a buffer of its own. */
static LLVMMemoryBufferRef object_of(const kj_unit *u, char *data, size_t size) {
    size_t n;
    char *obj = object_at(u, data, size, &n);
    return obj ? LLVMCreateMemoryBufferWithMemoryRangeCopy(obj, n, "kjit-cached") : NULL;
}

char *kj_objcache_index_object(kjit *jit, const kj_unit *u, kj_objcache_index *ix, size_t *n) {
    (void)jit;
    return ix->raw ? object_at(u, ix->rest, ix->rest_len, n) : NULL;
}

LLVMMemoryBufferRef kj_objcache_pre_get(kjit *jit, const kj_unit *u) {
    kj_objcache_index ix;
    if (!u->pre || !kj_objcache_index_get(jit, u->pre, &ix)) return NULL;
    LLVMMemoryBufferRef obj = NULL;
    if ((ix.known & (1 << (u->t1_full != 0))) && ix.binding_len == u->binding_len &&
        (!ix.binding_len || memcmp(ix.binding, u->binding, ix.binding_len) == 0))
        obj = object_of(u, ix.rest, ix.rest_len);
    kj_objcache_index_free(&ix);
    return obj;
}

int kj_objcache_pre_put(kjit *jit, const kj_unit *u, LLVMMemoryBufferRef obj) {
    if (!u->pre || !u->binding) return -1;
    uint32_t len = u->symbol ? (uint32_t)strlen(u->symbol) : 0, blen = (uint32_t)u->binding_len;
    size_t n = LLVMGetBufferSize(obj);
    cjob *j = job_new(u->pre, IX_HEAD + blen + 4 + len + n);
    if (!j) return -1;
    unsigned char *d = j->data;
    memcpy(d, "KJIE", 4);
    d[4] = (unsigned char)(u->has_loop != 0);
    d[5] = (unsigned char)(u->t1_full != 0);
    memcpy(d + 6, &blen, 4);
    memcpy(d + IX_HEAD, u->binding, blen);
    d += IX_HEAD + blen;
    memcpy(d, &len, 4);
    if (len) memcpy(d + 4, u->symbol, len);
    memcpy(d + 4 + len, LLVMGetBufferStart(obj), n);
    return enqueue(jit, j);
}

void kj_objcache_put_raw(kjit *jit, const uint8_t key[32], const void *data, size_t n) {
    if (!jit->cache || atomic_load(&jit->cache_failed)) return;
    cjob *j = job_new(key, n);
    if (!j) return;
    memcpy(j->data, data, n);
    (void)enqueue(jit, j);
}

void *kj_objcache_get_raw(kjit *jit, const uint8_t key[32], size_t *n) {
    if (!jit->cache || atomic_load(&jit->cache_failed)) return NULL;
    return kj_cache_get(jit->cache, key, n);
}

void kj_objcache_source_key(const void *src, size_t len, const char *name, uint8_t out[32]) {
    kj_sha256 s;
    kj_sha256_init(&s);
    add_str(&s, "source");
    uint64_t n = len;
    kj_sha256_add(&s, &n, sizeof n);
    kj_sha256_add(&s, src, len);
    add_str(&s, name);
    kj_sha256_done(&s, out);
}
