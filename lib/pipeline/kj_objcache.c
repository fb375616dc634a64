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
 * symbol, then the object.  Hot marks (what reached T2, issue K2's item 4)
 * are entries of one byte under a key derived from the T1 key.
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

#define KEY_VERSION "kjit-objcache-1"

/* Where this process's run-specific digits are in an implementation name
 * ("__kjit.<hex>.NAME" or "__kjit.top<hex>"), or -1: not such a name. */
static int digits_at(const char *sym) {
    if (!sym || strncmp(sym, "__kjit.", 7) != 0) return -1;
    int at = strncmp(sym + 7, "top", 3) == 0 ? 10 : 7;
    for (int i = 0; i < KJ_IMPL_DIGITS; i++)
        if (!strchr("0123456789abcdef", sym[at + i]) || !sym[at + i]) return -1;
    return at;
}

kjit_status kj_objcache_open(kjit *jit) {
    if (!jit->opts.cache) return KJIT_OK;
    char why[512] = "";
    jit->cache = kj_cache_open(jit->opts.cache_dir, jit->opts.cache_max_bytes, why, sizeof why);
    if (!jit->cache) return kj_set_error(KJIT_EINVAL, "%s", why);
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
        kj_cache_close(jit->cache);
        jit->cache = NULL;
        return kj_set_error(KJIT_EINVAL, "the code cache is not used: cannot identify "
                                         "kjit's own build");
    }
    kj_sha256_done(&s, jit->build_id);
    return KJIT_OK;
}

void kj_objcache_close(kjit *jit) {
    kj_cache_close(jit->cache);
    jit->cache = NULL;
}

static void add_str(kj_sha256 *s, const char *x) {
    uint64_t n = x ? strlen(x) + 1 : 0;
    kj_sha256_add(s, &n, sizeof n);
    if (x) kj_sha256_add(s, x, n);
}

static void add_int(kj_sha256 *s, int64_t v) { kj_sha256_add(s, &v, sizeof v); }

int kj_objcache_key(kjit *jit, kj_unit *u, int tier, const char *passes, int transformed,
                    uint8_t key[32]) {
    if (!jit->cache || atomic_load(&jit->cache_failed)) return 0;
    if (u->tier && strcmp(u->tier, "osr") == 0) return 0; /* names of their own */
    const char *xkey = NULL;
    if (transformed) {
        pthread_mutex_lock(&jit->lock);
        xkey = jit->transform_key[tier] ? strdup(jit->transform_key[tier]) : NULL;
        pthread_mutex_unlock(&jit->lock);
        if (!xkey) return 0; /* a transformation without a key: not cached */
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
    if (f) LLVMSetValueName2(f, u->symbol, len);
    if (canon != buf) free(canon);
    if (!bc) {
        free((void *)xkey);
        return 0;
    }

    kj_sha256 s;
    kj_sha256_init(&s);
    add_str(&s, KEY_VERSION);
    kj_sha256_add(&s, jit->build_id, sizeof jit->build_id);
    unsigned v[3];
    LLVMGetVersion(&v[0], &v[1], &v[2]);
    kj_sha256_add(&s, v, sizeof v);
    add_str(&s, jit->triple);
    add_str(&s, jit->cpu);
    add_str(&s, jit->features);
    add_str(&s, jit->datalayout);
    add_str(&s, u->tier);
    add_int(&s, u->opt_level);
    add_int(&s, u->t1_full);
    add_int(&s, jit->opts.opt_level);
    add_int(&s, jit->t2_level);
    add_str(&s, passes);
    add_int(&s, u->instrument != NULL);
    add_int(&s, u->instrument ? jit->opts.hot_threshold : 0);
    add_str(&s, xkey);
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

LLVMMemoryBufferRef kj_objcache_get(kjit *jit, const kj_unit *u, const uint8_t key[32]) {
    size_t size;
    char *data = kj_cache_get(jit->cache, key, &size);
    if (!data) return NULL;
    uint32_t len;
    size_t want = u->symbol ? strlen(u->symbol) : 0;
    if (size < 4 || (memcpy(&len, data, 4), len != want) || size - 4 < len) {
        free(data);
        return NULL;
    }
    char *obj = data + 4 + len;
    size_t n = size - 4 - len;
    if (len && memcmp(data + 4, u->symbol, len) != 0) {
        char *was = strndup(data + 4, len);
        if (was) rename_in(obj, n, was, u->symbol, len);
        free(was);
        if (!was) {
            free(data);
            return NULL;
        }
    }
    LLVMMemoryBufferRef b = LLVMCreateMemoryBufferWithMemoryRangeCopy(obj, n, "kjit-cached");
    free(data);
    return b;
}

int kj_objcache_put(kjit *jit, const kj_unit *u, const uint8_t key[32],
                    LLVMMemoryBufferRef obj) {
    uint32_t len = u->symbol ? (uint32_t)strlen(u->symbol) : 0;
    size_t n = LLVMGetBufferSize(obj);
    char *data = malloc(4 + len + n);
    if (!data) return -1;
    memcpy(data, &len, 4);
    if (len) memcpy(data + 4, u->symbol, len);
    memcpy(data + 4 + len, LLVMGetBufferStart(obj), n);
    char why[512] = "";
    int r = kj_cache_put(jit->cache, key, data, 4 + len + n, why, sizeof why);
    if (r != 0) kj_objcache_failed(jit, why);
    free(data);
    return r;
}

void kj_objcache_failed(kjit *jit, const char *why) {
    /* The first failure stops the cache for this run, and is kept to say
     * once (kjit_cache_warning). */
    int no = 0;
    if (atomic_compare_exchange_strong(&jit->cache_failed, &no, 1))
        snprintf(jit->cache_why, sizeof jit->cache_why, "%s", why);
}

/* Hot marks: under SHA-256(T1 key, "hot"). */
static void hot_key(const uint8_t key[32], uint8_t out[32]) {
    kj_sha256 s;
    kj_sha256_init(&s);
    kj_sha256_add(&s, key, 32);
    kj_sha256_add(&s, "hot", 3);
    kj_sha256_done(&s, out);
}

void kj_objcache_mark_hot(kjit *jit, const uint8_t key[32]) {
    if (!jit->cache || atomic_load(&jit->cache_failed)) return;
    uint8_t k[32];
    hot_key(key, k);
    size_t n;
    void *was = kj_cache_get(jit->cache, k, &n);
    free(was);
    if (was) return;
    char why[512] = "";
    if (kj_cache_put(jit->cache, k, "h", 1, why, sizeof why) != 0) kj_objcache_failed(jit, why);
}

int kj_objcache_was_hot(kjit *jit, const uint8_t key[32]) {
    if (!jit->cache || atomic_load(&jit->cache_failed)) return 0;
    uint8_t k[32];
    hot_key(key, k);
    size_t n;
    void *data = kj_cache_get(jit->cache, k, &n);
    int hot = data && n == 1;
    free(data);
    return hot;
}
