/*
 * kj_cache.c — the on-disk store of the persistent code cache: bytes under
 * 32-byte keys, one file per entry, shared by every process of the user;
 * and bundles, many entries of one program kept as one (at the end).
 *
 * Layout: DIR/ab/<62 hex>.kjc for a key whose hex is ab<62 hex> (256
 * subdirectories, made on demand).  An entry is an 80-byte header — "KJITC001",
 * the key, the data's length (8 bytes, little-endian), SHA-256 of key||data —
 * then the data.  A reader trusts nothing: an entry that fails a check is
 * removed and counted, never returned, so a torn or damaged file costs a
 * compile, not a wrong program.
 *
 * Concurrency: a writer writes DIR/ab/tmp.XXXXXX and renames it into place,
 * so a reader sees a whole entry, old or new; it reads through the fd it
 * opened, so a rename under it is harmless.  Eviction is least recently used
 * by mtime, which a hit sets.  The directory is refused unless it is the
 * user's own, not a symbolic link, not writable by others (anyone who can
 * write it could plant code), and it is opened once: every later name is
 * relative to that fd, so renaming the directory afterwards changes nothing.
 *
 * Layer base (lib/LAYERS): calls nothing of libkjit but kj_sha256.c, no LLVM.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/kj_cache.h"

#define MAGIC "KJITC001"
#define HEAD 80                  /* magic 8, key 32, length 8, checksum 32 */
#define MAX_DEFAULT (1ull << 30) /* 1 GiB */
#define STALE_S 3600             /* a temporary file this old is a dead writer's */
#define NAME 70                  /* "ab/" 62 hex ".kjc" NUL */

typedef struct bundle bundle;

struct kj_cache {
    int fd;     /* the directory: all names below are relative to it */
    char *path; /* for messages */
    uint64_t max_bytes;
    _Atomic uint64_t hits, misses, puts, corrupt;
    pthread_mutex_t lock; /* the bundle's */
    bundle *_Atomic opened; /* kj_cache_bundle_open's, or NULL */
};

static void *bundle_get(kj_cache *c, const uint8_t key[32], size_t *size);
static void bundle_free(bundle *b);

__attribute__((format(printf, 3, 4))) static void say(char *why, size_t len, const char *fmt, ...) {
    if (!why || !len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

/* kj_cache_dir, and whether the path is the XDG/HOME default (whose parents
 * kj_cache_open may make).  -1: no HOME; -2: too long. */
static int resolve(const char *dir, char *out, size_t len, int *deflt) {
    const char *e;
    int n;
    *deflt = 0;
    if (dir && *dir)
        n = snprintf(out, len, "%s", dir);
    else if ((e = getenv("KJIT_CACHE_DIR")) && *e)
        n = snprintf(out, len, "%s", e);
    else if ((e = getenv("XDG_CACHE_HOME")) && *e == '/') /* relative: ignored (XDG) */
        *deflt = 1, n = snprintf(out, len, "%s/kjit", e);
    else if ((e = getenv("HOME")) && *e)
        *deflt = 1, n = snprintf(out, len, "%s/.cache/kjit", e);
    else
        return -1;
    if (n < 0 || (size_t)n >= len) return -2;
    while (n > 1 && out[n - 1] == '/') out[--n] = 0; /* "d/" would follow a link */
    return 0;
}

int kj_cache_dir(const char *dir, char *out, size_t len) {
    int deflt;
    return resolve(dir, out, len, &deflt) == 0 ? 0 : -1;
}

kj_cache *kj_cache_open(const char *dir, uint64_t max_bytes, char *why, size_t len) {
    char path[4096];
    int deflt, r = resolve(dir, path, sizeof path, &deflt);
    if (r != 0) {
        say(why, len, r == -1 ? "no cache directory: HOME is not set"
                              : "cache directory path too long");
        return NULL;
    }
    if (deflt) /* ~/.cache and the like: their failures show at the last mkdir */
        for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
            *s = 0;
            mkdir(path, 0700);
            *s = '/';
        }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        say(why, len, "cannot create cache directory %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st, fst;
    if (lstat(path, &st) != 0) {
        say(why, len, "cannot use cache directory %s: %s", path, strerror(errno));
        return NULL;
    }
    const char *bad = S_ISLNK(st.st_mode)     ? "is a symbolic link"
                      : !S_ISDIR(st.st_mode)  ? "is not a directory"
                      : st.st_uid != geteuid() ? "is not owned by you"
                      : st.st_mode & 022       ? "is writable by group or others"
                                               : NULL;
    if (bad) {
        say(why, len, "cache directory %s %s: not used", path, bad);
        return NULL;
    }
    /* The directory checked must be the one opened. */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        say(why, len, "cannot open cache directory %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &fst) != 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
        say(why, len, "cache directory %s changed while being opened: not used", path);
        close(fd);
        return NULL;
    }
    kj_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        say(why, len, "cannot use cache directory %s: out of memory", path);
        free(c);
        close(fd);
        return NULL;
    }
    c->fd = fd;
    c->max_bytes = max_bytes ? max_bytes : MAX_DEFAULT;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

/* ---- entries ------------------------------------------------------------ */

/* "ab/<62 hex>.kjc", relative to the directory. */
static void entry_name(const uint8_t key[32], char name[NAME]) {
    static const char hex[] = "0123456789abcdef";
    char h[65];
    for (int i = 0; i < 32; i++) h[2 * i] = hex[key[i] >> 4], h[2 * i + 1] = hex[key[i] & 15];
    h[64] = 0;
    snprintf(name, NAME, "%.2s/%s.kjc", h, h + 2);
}

static void checksum(const uint8_t key[32], const void *data, size_t size, uint8_t out[32]) {
    kj_sha256 s;
    kj_sha256_init(&s);
    kj_sha256_add(&s, key, 32);
    kj_sha256_add(&s, data, size);
    kj_sha256_done(&s, out);
}

static int read_all(int fd, void *p, size_t n) {
    for (uint8_t *q = p; n;) {
        ssize_t r = read(fd, q, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        q += r, n -= (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *p, size_t n) {
    for (const uint8_t *q = p; n;) {
        ssize_t r = write(fd, q, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        q += r, n -= (size_t)r;
    }
    return 0;
}

void *kj_cache_get(kj_cache *c, const uint8_t key[32], size_t *size) {
    void *in = atomic_load(&c->opened) ? bundle_get(c, key, size) : NULL;
    if (in) return in;
    char name[NAME];
    entry_name(key, name);
    int fd = openat(c->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st, now;
    uint8_t h[HEAD], sum[32], *data = NULL;
    uint64_t n = 0;
    int ok;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) goto miss;
    /* The header, against the key asked and the file's length. */
    ok = st.st_size >= HEAD && read_all(fd, h, HEAD) == 0 && !memcmp(h, MAGIC, 8) &&
         !memcmp(h + 8, key, 32);
    for (int i = 0; ok && i < 8; i++) n |= (uint64_t)h[40 + i] << 8 * i;
    if (ok && (n != (uint64_t)st.st_size - HEAD || n >= SIZE_MAX)) ok = 0;
    if (ok && !(data = malloc(n ? n : 1))) goto miss;
    /* Then the data, against the checksum. */
    if (ok) ok = read_all(fd, data, n) == 0;
    if (ok) checksum(key, data, n, sum), ok = !memcmp(sum, h + 48, 32);
    if (!ok) {
        /* Remove the file read, not one a writer has renamed over it since. */
        if (fstatat(c->fd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev &&
            now.st_ino == st.st_ino)
            unlinkat(c->fd, name, 0);
        atomic_fetch_add(&c->corrupt, 1);
        goto miss;
    }
    /* Most recently used (fails harmlessly when read-only); to the minute:
     * a warm run reads hundreds of entries, and a write of each one's
     * time would cost more than the read. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec - st.st_mtime >= 60 || ts.tv_sec < st.st_mtime) futimens(fd, NULL);
    close(fd);
    atomic_fetch_add(&c->hits, 1);
    *size = (size_t)n;
    return data;
miss:
    free(data);
    if (fd >= 0) close(fd);
    atomic_fetch_add(&c->misses, 1);
    return NULL;
}

/* A name for a temporary file, "ab/tmp.XXXXXX": O_EXCL decides, so it need
 * only be unlikely to be taken. */
static void temp_name(const char *name, char out[16]) {
    static _Atomic uint64_t seq;
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = atomic_fetch_add(&seq, 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 40 ^
                 (uint64_t)ts.tv_sec << 30 ^ (uint64_t)ts.tv_nsec;
    x ^= x >> 30, x *= 0xbf58476d1ce4e5b9ull; /* splitmix64's mixing */
    x ^= x >> 27, x *= 0x94d049bb133111ebull, x ^= x >> 31;
    memcpy(out, name, 3);
    memcpy(out + 3, "tmp.", 4);
    for (int i = 0; i < 6; i++, x /= 62) out[7 + i] = set[x % 62];
    out[13] = 0;
}

int kj_cache_put(kj_cache *c, const uint8_t key[32], const void *data, size_t size, char *why,
                 size_t len) {
    char name[NAME], sub[3], tmp[16];
    uint8_t h[HEAD];
    entry_name(key, name);
    memcpy(sub, name, 2), sub[2] = 0;
    memcpy(h, MAGIC, 8);
    memcpy(h + 8, key, 32);
    for (int i = 0; i < 8; i++) h[40 + i] = (uint8_t)((uint64_t)size >> 8 * i);
    checksum(key, data, size, h + 48);

    int fd = -1, err;
    if (mkdirat(c->fd, sub, 0700) != 0 && errno != EEXIST) goto fail;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        temp_name(name, tmp);
        fd = openat(c->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) goto fail;
    if (write_all(fd, h, HEAD) != 0 || write_all(fd, data, size) != 0) goto fail_tmp;
    err = close(fd); /* (where some file systems report a failed write) */
    fd = -1;
    if (err != 0 || renameat(c->fd, tmp, c->fd, name) != 0) goto fail_tmp;
    atomic_fetch_add(&c->puts, 1);
    return 0;
fail_tmp:
    err = errno;
    if (fd >= 0) close(fd);
    unlinkat(c->fd, tmp, 0);
    errno = err;
fail:
    say(why, len, "cannot write to cache directory %s: %s", c->path, strerror(errno));
    return -1;
}

void kj_cache_counters(const kj_cache *c, uint64_t *hits, uint64_t *misses, uint64_t *puts,
                       uint64_t *corrupt) {
    if (hits) *hits = atomic_load(&c->hits);
    if (misses) *misses = atomic_load(&c->misses);
    if (puts) *puts = atomic_load(&c->puts);
    if (corrupt) *corrupt = atomic_load(&c->corrupt);
}

/* ---- the directory as a whole: scan, clear, evict ------------------------ */

typedef struct {
    char name[NAME];
    struct timespec mtime;
    uint64_t size;
} entry;

/* "<62 lowercase hex>.kjc" */
static int is_entry(const char *s) {
    if (strlen(s) != 66 || strcmp(s + 62, ".kjc") != 0) return 0;
    for (int i = 0; i < 62; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* The entries (files of entries' names, in the 256 subdirectories) in *out,
 * malloc'd, their number returned, or -1.  stale: remove temporary files
 * older than STALE_S on the way.  Files of other names are not seen. */
static long list(kj_cache *c, int stale, entry **out) {
    entry *v = NULL;
    long n = 0, cap = 0;
    time_t old = time(NULL) - STALE_S;
    /* The subdirectories there are: a small cache has few of the 256, and
     * trying each cost a run of hello world a tenth of its time. */
    char there[256] = {0};
    int top = openat(c->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *t = top < 0 ? NULL : fdopendir(top);
    if (!t) {
        if (top >= 0) close(top);
        return -1;
    }
    for (struct dirent *e; (e = readdir(t));) {
        unsigned i;
        char tail;
        if (strlen(e->d_name) == 2 && sscanf(e->d_name, "%2x%c", &i, &tail) == 1 &&
            strchr("0123456789abcdef", e->d_name[0]) && strchr("0123456789abcdef", e->d_name[1]))
            there[i] = 1;
    }
    closedir(t);
    for (int i = 0; i < 256; i++) {
        char sub[3];
        if (!there[i]) continue;
        snprintf(sub, sizeof sub, "%02x", i);
        int dfd = openat(c->fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0 && errno == ENOENT) continue;
        DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
        if (!d) {
            if (dfd >= 0) close(dfd);
            free(v);
            return -1;
        }
        for (struct dirent *e; (e = readdir(d));) {
            struct stat st;
            int temp = strncmp(e->d_name, "tmp.", 4) == 0 && strlen(e->d_name) == 10;
            if (!(temp || is_entry(e->d_name)) ||
                fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
                continue;
            if (temp) {
                if (stale && st.st_mtime < old) unlinkat(dfd, e->d_name, 0);
                continue;
            }
            if (n == cap) {
                entry *w = realloc(v, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *v);
                if (!w) {
                    closedir(d);
                    free(v);
                    return -1;
                }
                v = w;
            }
            snprintf(v[n].name, NAME, "%s/%s", sub, e->d_name);
            v[n].mtime = st.st_mtim;
            v[n++].size = (uint64_t)st.st_size;
        }
        closedir(d);
    }
    *out = v;
    return n;
}

int kj_cache_scan(kj_cache *c, kj_cache_stats *out) {
    entry *v;
    long n = list(c, 1, &v);
    if (n < 0) return -1;
    out->entries = (uint64_t)n, out->bytes = 0, out->max_bytes = c->max_bytes;
    for (long i = 0; i < n; i++) out->bytes += v[i].size;
    free(v);
    return 0;
}

int kj_cache_clear(kj_cache *c) {
    entry *v;
    long n = list(c, 1, &v);
    int removed = 0;
    for (long i = 0; i < n; i++) removed += unlinkat(c->fd, v[i].name, 0) == 0;
    if (n >= 0) free(v);
    return n < 0 ? -1 : removed;
}

static int older(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec) return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec) return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

void kj_cache_evict(kj_cache *c) {
    entry *v;
    long n = list(c, 0, &v);
    if (n < 0) return;
    uint64_t total = 0, goal = c->max_bytes - c->max_bytes / 10;
    for (long i = 0; i < n; i++) total += v[i].size;
    if (total > c->max_bytes) {
        qsort(v, (size_t)n, sizeof *v, older);
        for (long i = 0; i < n && total > goal; i++)
            if (unlinkat(c->fd, v[i].name, 0) == 0 || errno == ENOENT) total -= v[i].size;
    }
    free(v);
}

void kj_cache_close(kj_cache *c) {
    if (!c) return;
    if (atomic_load(&c->puts)) kj_cache_evict(c);
    bundle_free(atomic_load(&c->opened));
    pthread_mutex_destroy(&c->lock);
    close(c->fd);
    free(c->path);
    free(c);
}

/* ---- bundles --------------------------------------------------------------
 * A bundle is the data of an ordinary entry: "KJBUNDL1", the number of
 * entries (4 bytes, little-endian), then each entry: its key (32), its age
 * (1: the bundle's writes since it was last looked up or put), 3 zeros, its
 * length (4), its data.  In memory, an open-addressed table of entries by
 * key; their data point into the bundle read, or are their own. */
#define BMAGIC "KJBUNDL1"
#define BHEAD 40 /* key 32, age 1, zeros 3, length 4 */

typedef struct {
    uint8_t key[32];
    unsigned char *data;
    uint32_t size;
    uint8_t age, used, own, live;
} bentry;

struct bundle {
    uint8_t key[32];
    unsigned char *read; /* the bundle read, which entries point into */
    unsigned char **merged; /* bundles merged in since (kj_cache_bundle_write) */
    size_t nmerged;
    struct stat seen;    /* its file when read (st_ino 0: there was none) */
    bentry *v;
    size_t cap, n; /* cap: a power of two */
    int dirty;
};

static void bundle_free(bundle *b) {
    if (!b) return;
    for (size_t i = 0; i < b->cap; i++)
        if (b->v[i].live && b->v[i].own) free(b->v[i].data);
    free(b->v);
    free(b->read);
    for (size_t i = 0; i < b->nmerged; i++) free(b->merged[i]);
    free(b->merged);
    free(b);
}

/* The file of key's entry, as it is now (st_ino 0: none). */
static void entry_stat(kj_cache *c, const uint8_t key[32], struct stat *st) {
    char name[NAME];
    entry_name(key, name);
    if (fstatat(c->fd, name, st, AT_SYMLINK_NOFOLLOW) != 0) memset(st, 0, sizeof *st);
}

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The slot of key: its entry, or the empty slot it would take. */
static bentry *slot(bundle *b, const uint8_t key[32]) {
    uint64_t h;
    memcpy(&h, key, sizeof h); /* (keys are SHA-256: any 8 bytes hash) */
    for (size_t i = h & (b->cap - 1);; i = (i + 1) & (b->cap - 1))
        if (!b->v[i].live || !memcmp(b->v[i].key, key, 32)) return &b->v[i];
}

/* Room for one more entry: 0, or -1 (out of memory). */
static int reserve(bundle *b) {
    if (2 * (b->n + 1) <= b->cap) return 0;
    size_t cap = b->cap ? 2 * b->cap : 256;
    bentry *v = calloc(cap, sizeof *v), *old = b->v;
    if (!v) return -1;
    size_t ocap = b->cap;
    b->v = v, b->cap = cap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].live) *slot(b, old[i].key) = old[i];
    free(old);
    return 0;
}

/* Take the bundle d (n bytes, checked) into b: 0, or -1 if it is not one
 * (or out of memory), b then as it was given. */
static int bundle_parse(bundle *b, unsigned char *d, size_t n) {
    uint32_t count, size;
    if (n < 12 || memcmp(d, BMAGIC, 8) != 0) return -1;
    memcpy(&count, d + 8, 4);
    size_t at = 12;
    for (uint32_t i = 0; i < count; i++) {
        if (n - at < BHEAD) return -1;
        memcpy(&size, d + at + 36, 4);
        if (n - at - BHEAD < size || reserve(b) != 0) return -1;
        bentry *e = slot(b, d + at);
        if (!e->live) b->n++;
        memcpy(e->key, d + at, 32);
        e->age = d[at + 32], e->size = size, e->data = d + at + BHEAD, e->live = 1;
        at += BHEAD + size;
    }
    return at == n ? 0 : -1;
}

int kj_cache_bundle_open(kj_cache *c, const uint8_t bkey[32]) {
    if (atomic_load(&c->opened)) return 0;
    bundle *b = calloc(1, sizeof *b);
    if (!b) return 0;
    memcpy(b->key, bkey, 32);
    entry_stat(c, bkey, &b->seen); /* (before the read: a later write is merged, not lost) */
    size_t n;
    unsigned char *d = kj_cache_get(c, bkey, &n);
    if (d && bundle_parse(b, d, n) != 0) {
        /* Checked, yet not a bundle: another kjit's, or one of ours that
         * outgrew the 4-byte lengths.  Begin again; the write replaces it. */
        atomic_fetch_add(&c->corrupt, 1);
        bundle_free(b);
        free(d);
        if (!(b = calloc(1, sizeof *b))) return 0;
        memcpy(b->key, bkey, 32);
        entry_stat(c, bkey, &b->seen);
        d = NULL;
    }
    b->read = d;
    bundle *none = NULL;
    if (!atomic_compare_exchange_strong(&c->opened, &none, b)) {
        bundle_free(b);
        return 0;
    }
    return 1;
}

static void *bundle_get(kj_cache *c, const uint8_t key[32], size_t *size) {
    bundle *b = atomic_load(&c->opened);
    void *copy = NULL;
    pthread_mutex_lock(&c->lock);
    bentry *e = b->cap ? slot(b, key) : NULL;
    if (e && e->live && (copy = malloc(e->size ? e->size : 1))) {
        memcpy(copy, e->data, e->size);
        *size = e->size;
        e->used = 1;
    }
    pthread_mutex_unlock(&c->lock);
    if (copy) atomic_fetch_add(&c->hits, 1);
    return copy;
}

int kj_cache_bundle_put(kj_cache *c, const uint8_t key[32], const void *data, size_t size) {
    bundle *b = atomic_load(&c->opened);
    unsigned char *copy;
    if (!b || size > UINT32_MAX || !(copy = malloc(size ? size : 1))) return -1;
    memcpy(copy, data, size);
    pthread_mutex_lock(&c->lock);
    int r = reserve(b);
    if (r == 0) {
        bentry *e = slot(b, key);
        if (!e->live) b->n++;
        else if (e->own) free(e->data);
        memcpy(e->key, key, 32);
        e->data = copy, e->size = (uint32_t)size;
        e->age = 0, e->used = 1, e->own = 1, e->live = 1;
        b->dirty = 1;
    }
    pthread_mutex_unlock(&c->lock);
    if (r != 0) free(copy);
    return r;
}

static int by_key(const void *x, const void *y) {
    return memcmp((*(const bentry *const *)x)->key, (*(const bentry *const *)y)->key, 32);
}

/* Another process wrote the bundle since it was read (the kjit
 * --cache-finish a run started, or the same program run twice at once):
 * take in what it holds, but not over what this process put.  Then the
 * last writer keeps both. */
static void bundle_merge(kj_cache *c, bundle *b) {
    struct stat now;
    entry_stat(c, b->key, &now);
    if (!now.st_ino || same_file(&now, &b->seen)) return;
    size_t n;
    unsigned char *d = kj_cache_get(c, b->key, &n); /* (not in the bundle: from its file) */
    bundle *t = d ? calloc(1, sizeof *t) : NULL;
    unsigned char **m = t ? realloc(b->merged, (b->nmerged + 1) * sizeof *m) : NULL;
    if (!m || bundle_parse(t, d, n) != 0) {
        bundle_free(t);
        free(d);
        return;
    }
    b->merged = m;
    pthread_mutex_lock(&c->lock);
    b->merged[b->nmerged++] = d;
    b->seen = now;
    for (size_t i = 0; i < t->cap; i++) {
        bentry *o = &t->v[i];
        if (!o->live || reserve(b) != 0) continue;
        bentry *e = slot(b, o->key);
        if (e->live && e->own) continue; /* (this process's is newer) */
        if (!e->live) b->n++;
        uint8_t used = e->live && e->used;
        *e = *o;
        e->used = used, e->own = 0;
    }
    pthread_mutex_unlock(&c->lock);
    t->read = NULL;
    bundle_free(t);
}

int kj_cache_bundle_write(kj_cache *c, char *why, size_t len) {
    bundle *b = atomic_load(&c->opened);
    if (!b) return 0;
    pthread_mutex_lock(&c->lock);
    int dirty = b->dirty;
    pthread_mutex_unlock(&c->lock);
    if (dirty) bundle_merge(c, b);
    pthread_mutex_lock(&c->lock);
    int r = 0;
    if (!b->dirty) goto done;
    /* What is kept: every entry used, and the others until they are too old,
     * or the bundle would take more than a quarter of the cache. */
    bentry **keep = malloc((b->n ? b->n : 1) * sizeof *keep);
    size_t k = 0, total = 12, used = 12;
    r = -1;
    if (!keep) goto done;
    for (size_t i = 0; i < b->cap; i++) {
        bentry *e = &b->v[i];
        if (!e->live || (!e->used && e->age >= KJ_CACHE_BUNDLE_AGE)) continue;
        keep[k++] = e;
        total += BHEAD + e->size;
        if (e->used) used += BHEAD + e->size;
    }
    int unused_too = total <= c->max_bytes / 4;
    if (!unused_too) total = used;
    qsort(keep, k, sizeof *keep, by_key); /* (the same entries, the same bytes) */
    unsigned char *d = malloc(total), *p = d;
    if (d) {
        uint32_t count = 0;
        memcpy(p, BMAGIC, 8), p += 12;
        for (size_t i = 0; i < k; i++) {
            bentry *e = keep[i];
            if (!e->used && !unused_too) continue;
            memcpy(p, e->key, 32);
            p[32] = e->used ? 0 : (uint8_t)(e->age + 1), p[33] = p[34] = p[35] = 0;
            memcpy(p + 36, &e->size, 4);
            memcpy(p + BHEAD, e->data, e->size);
            p += BHEAD + e->size;
            count++;
        }
        memcpy(d + 8, &count, 4);
        r = kj_cache_put(c, b->key, d, total, why, len);
        if (r == 0) b->dirty = 0, entry_stat(c, b->key, &b->seen);
        free(d);
    }
    free(keep);
done:
    pthread_mutex_unlock(&c->lock);
    if (r != 0 && why && len && !*why) say(why, len, "cannot write the cache's bundle: out of memory");
    return r;
}
