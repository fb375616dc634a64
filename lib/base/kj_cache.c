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
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/kj_base.h"
#include "base/kj_cache.h"

#define MAGIC "KJITC001"
#define HEAD 80                  /* magic 8, key 32, length 8, checksum 32 */
#define MAX_DEFAULT (1ull << 30) /* 1 GiB */
#define STALE_S 3600             /* a temporary file this old is a dead writer's */
#define NAME 70                  /* "ab/" 62 hex ".kjc" NUL */

typedef struct bundle bundle;

struct kj_cache {
    _Atomic int fd; /* the directory: all names below are relative to it (dir_fd) */
    kj_fd_id id;    /* which it is */
    pthread_mutex_t dlock; /* dir_fd's opening again */
    char *path; /* for messages */
    uint64_t max_bytes;
    _Atomic uint64_t hits, misses, puts, corrupt;
    pthread_mutex_t lock;  /* the bundle's table (a leaf lock) */
    pthread_mutex_t wlock; /* kj_cache_bundle_write's, whole */
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
    c->id = (kj_fd_id){.dev = fst.st_dev, .ino = fst.st_ino};
    pthread_mutex_init(&c->dlock, NULL);
    c->max_bytes = max_bytes ? max_bytes : MAX_DEFAULT;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->wlock, NULL);
    return c;
}

/* The directory's descriptor, checked to still be it.  A program may close
 * every descriptor above 2 (daemons do, before they open their own) and get
 * the number back for a file or directory of its own: kjit then wrote its
 * entries into the program's directory (tests/ir/close_fds.c).  If the
 * number is no longer ours, the directory is opened again by its path and
 * must be the same one; the old number is the program's now, and left
 * alone.  -1 if it cannot be had: the operation fails, as on a full disk.
 * (A program that closes and reopens on one thread while kjit is between
 * the check and its use on another can still win that race.) */
static int dir_fd(kj_cache *c) {
    int fd = atomic_load(&c->fd);
    if (kj_fd_is(fd, &c->id)) return fd;
    pthread_mutex_lock(&c->dlock);
    fd = atomic_load(&c->fd);
    if (!kj_fd_is(fd, &c->id)) {
        fd = open(c->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && !kj_fd_is(fd, &c->id)) {
            close(fd);
            fd = -1;
        }
        atomic_store(&c->fd, fd);
    }
    pthread_mutex_unlock(&c->dlock);
    return fd;
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

/* Make the file of fd, last modified at st's time, the most recently used
 * (fails harmlessly when read-only); to the minute: a warm run reads
 * hundreds of entries, and a write of each one's time would cost more than
 * the read.  1 if it was touched. */
static int touch(int fd, const struct stat *st) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (ts.tv_sec - st->st_mtime >= 60 || ts.tv_sec < st->st_mtime) && futimens(fd, NULL) == 0;
}

void *kj_cache_get(kj_cache *c, const uint8_t key[32], size_t *size) {
    void *in = atomic_load(&c->opened) ? bundle_get(c, key, size) : NULL;
    if (in) return in;
    char name[NAME];
    entry_name(key, name);
    int fd = openat(dir_fd(c), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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
        if (fstatat(dir_fd(c), name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev &&
            now.st_ino == st.st_ino)
            unlinkat(dir_fd(c), name, 0);
        atomic_fetch_add(&c->corrupt, 1);
        goto miss;
    }
    touch(fd, &st);
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

/* SIGXFSZ, which a write past the program's RLIMIT_FSIZE raises on the
 * writing thread, held back around the store's writes: the write fails
 * (EFBIG) and the run goes on without the cache, where the signal's default
 * action ended the process at its exit and lost its buffered output
 * (tests/lang/cc-cache-fsize.c).  One raised meanwhile is taken, unless it
 * was pending before. */
static void xfsz_hold(sigset_t *old, int *was_pending) {
    sigset_t x, p;
    sigemptyset(&x);
    sigaddset(&x, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &x, old);
    *was_pending = sigpending(&p) == 0 && sigismember(&p, SIGXFSZ);
}

static void xfsz_release(const sigset_t *old, int was_pending) {
    sigset_t x, p;
    sigemptyset(&x);
    sigaddset(&x, SIGXFSZ);
    if (!was_pending && sigpending(&p) == 0 && sigismember(&p, SIGXFSZ))
        sigtimedwait(&x, NULL, &(struct timespec){0, 0});
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Write the file of key's entry: the n parts, into a temporary file of its
 * subdirectory, renamed into place.  0, or -1 with a reason in why. */
static int write_file(kj_cache *c, const uint8_t key[32], const void *const *part,
                      const size_t *plen, int n, char *why, size_t len) {
    char name[NAME], sub[3], tmp[16];
    entry_name(key, name);
    memcpy(sub, name, 2), sub[2] = 0;
    int fd = -1, err;
    /* (The modes are set, not left to the umask: a program's umask(0777)
     * made directories and entries no later run could use.) */
    if (mkdirat(dir_fd(c), sub, 0700) == 0)
        fchmodat(dir_fd(c), sub, 0700, 0);
    else if (errno != EEXIST)
        goto fail;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        temp_name(name, tmp);
        fd = openat(dir_fd(c), tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) goto fail;
    if (fchmod(fd, 0600) != 0) goto fail_tmp;
    sigset_t mask;
    int pending, wrote = 0;
    xfsz_hold(&mask, &pending);
    while (wrote < n && write_all(fd, part[wrote], plen[wrote]) == 0) wrote++;
    err = errno;
    xfsz_release(&mask, pending);
    errno = err;
    if (wrote < n) goto fail_tmp;
    err = close(fd); /* (where some file systems report a failed write) */
    fd = -1;
    if (err != 0 || renameat(dir_fd(c), tmp, dir_fd(c), name) != 0) goto fail_tmp;
    atomic_fetch_add(&c->puts, 1);
    return 0;
fail_tmp:
    err = errno;
    if (fd >= 0) close(fd);
    unlinkat(dir_fd(c), tmp, 0);
    errno = err;
fail:
    say(why, len, "cannot write to cache directory %s: %s", c->path, strerror(errno));
    return -1;
}

int kj_cache_put(kj_cache *c, const uint8_t key[32], const void *data, size_t size, char *why,
                 size_t len) {
    uint8_t h[HEAD];
    memcpy(h, MAGIC, 8);
    memcpy(h + 8, key, 32);
    for (int i = 0; i < 8; i++) h[40 + i] = (uint8_t)((uint64_t)size >> 8 * i);
    checksum(key, data, size, h + 48);
    const void *part[2] = {h, data};
    size_t plen[2] = {HEAD, size};
    return write_file(c, key, part, plen, 2, why, len);
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

/* Whether s[0..n) are lowercase hex digits. */
static int hex_digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* "<62 lowercase hex>.kjc" */
static int is_entry(const char *s) {
    return strlen(s) == 66 && strcmp(s + 62, ".kjc") == 0 && hex_digits(s, 62);
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
    int top = openat(dir_fd(c), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *t = top < 0 ? NULL : fdopendir(top);
    if (!t) {
        if (top >= 0) close(top);
        return -1;
    }
    for (struct dirent *e; (e = readdir(t));)
        if (strlen(e->d_name) == 2 && hex_digits(e->d_name, 2))
            there[strtoul(e->d_name, NULL, 16)] = 1;
    closedir(t);
    for (int i = 0; i < 256; i++) {
        char sub[3];
        if (!there[i]) continue;
        snprintf(sub, sizeof sub, "%02x", i);
        int dfd = openat(dir_fd(c), sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
    for (long i = 0; i < n; i++) removed += unlinkat(dir_fd(c), v[i].name, 0) == 0;
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
            if (unlinkat(dir_fd(c), v[i].name, 0) == 0 || errno == ENOENT) total -= v[i].size;
    }
    free(v);
}

void kj_cache_close(kj_cache *c) {
    if (!c) return;
    if (atomic_load(&c->puts)) kj_cache_evict(c);
    bundle_free(atomic_load(&c->opened));
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->wlock);
    int fd = atomic_load(&c->fd);
    if (kj_fd_is(fd, &c->id)) close(fd); /* (not a number the program took over) */
    pthread_mutex_destroy(&c->dlock);
    free(c->path);
    free(c);
}

/* ---- bundles --------------------------------------------------------------
 * A bundle is a file of its own kind, at its key's entry name: an 80-byte
 * header — "KJITB001", the key, the index's length (8 bytes), SHA-256 of
 * key||index — then the index: the number of entries (4 bytes), and for
 * each its key (32), SHA-256 of key||data (32), the data's offset in the
 * file (8), length (4), age (1: the bundle's writes since it was last looked
 * up or put) and 3 zeros; then the data.  It is mapped, not read, and only
 * the header and index are checked when it is opened: an entry's data is
 * checked at its first lookup (a warm run of the SQL engine looks up 2.5 MB
 * of its 5.8), and an entry that fails is a miss, counted, and not written
 * again.  In memory, an open-addressed table of entries by key, whose data
 * point into a mapping or are their own.  (All integers little-endian: the
 * host's, which x86-64 and aarch64 share.) */
#define BMAGIC "KJITB001"
#define BINDEX 80 /* key 32, sum 32, offset 8, length 4, age 1, zeros 3 */

typedef struct {
    uint8_t key[32], sum[32];
    const unsigned char *data;
    uint32_t size;
    uint8_t age, used, own, live, checked, bad;
} bentry;

typedef struct {
    void *p;
    size_t n;
} bmap;

struct bundle {
    uint8_t key[32];
    bmap *maps; /* the bundles read (the first, then those merged in) */
    size_t nmaps;
    struct stat seen; /* its file when read (st_ino 0: there was none) */
    bentry *v;
    size_t cap, n; /* cap: a power of two */
    int dirty;
};

static void bundle_free(bundle *b) {
    if (!b) return;
    for (size_t i = 0; i < b->cap; i++)
        if (b->v[i].live && b->v[i].own) free((void *)b->v[i].data);
    free(b->v);
    for (size_t i = 0; i < b->nmaps; i++) munmap(b->maps[i].p, b->maps[i].n);
    free(b->maps);
    free(b);
}

/* The file of key's entry, as it is now (st_ino 0: none). */
static void entry_stat(kj_cache *c, const uint8_t key[32], struct stat *st) {
    char name[NAME];
    entry_name(key, name);
    if (fstatat(dir_fd(c), name, st, AT_SYMLINK_NOFOLLOW) != 0) memset(st, 0, sizeof *st);
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

/* Map the bundle under key and check its header and index: 1 with *m (the
 * caller unmaps it) and *st (its file); 0 if there is none (*st zeroed);
 * -1 if it is damaged (counted; the file is left for the next write to
 * replace). */
static int bundle_map(kj_cache *c, const uint8_t key[32], bmap *m, struct stat *st) {
    char name[NAME];
    entry_name(key, name);
    memset(st, 0, sizeof *st);
    int fd = openat(dir_fd(c), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    void *p = MAP_FAILED;
    int ok = fstat(fd, st) == 0 && S_ISREG(st->st_mode) && st->st_size >= HEAD + 4 &&
             (uint64_t)st->st_size < SIZE_MAX;
    if (ok) p = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ok = ok && p != MAP_FAILED;
    const unsigned char *d = ok ? p : NULL;
    uint64_t ilen = 0;
    if (ok) ok = !memcmp(d, BMAGIC, 8) && !memcmp(d + 8, key, 32);
    if (ok) memcpy(&ilen, d + 40, 8);
    if (ok) ok = ilen >= 4 && ilen <= (uint64_t)st->st_size - HEAD;
    if (ok) {
        uint8_t sum[32];
        checksum(key, d + HEAD, (size_t)ilen, sum);
        ok = !memcmp(sum, d + 48, 32);
    }
    if (ok && touch(fd, st)) /* (most recently used, as a hit of an entry is) */
        (void)fstat(fd, st); /* (the time seen: not taken for another's write) */
    close(fd);
    if (!ok) {
        if (p != MAP_FAILED) munmap(p, (size_t)st->st_size);
        atomic_fetch_add(&c->corrupt, 1);
        return -1;
    }
    m->p = p, m->n = (size_t)st->st_size;
    return 1;
}

/* The entries of a mapped bundle into b (m's index checked by bundle_map;
 * offsets and lengths are checked here), b keeping m: each over an entry b
 * has that is not its own (a newer bundle's), or over none.  0, or -1 (a
 * damaged index, or out of memory: b keeps what it took, and m). */
static int bundle_take(bundle *b, bmap m) {
    bmap *ms = realloc(b->maps, (b->nmaps + 1) * sizeof *ms);
    if (!ms) return munmap(m.p, m.n), -1;
    b->maps = ms;
    b->maps[b->nmaps++] = m;
    const unsigned char *d = m.p;
    uint64_t ilen;
    uint32_t count;
    memcpy(&ilen, d + 40, 8);
    memcpy(&count, d + HEAD, 4);
    if ((ilen - 4) / BINDEX < count) return -1;
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *x = d + HEAD + 4 + (size_t)i * BINDEX;
        uint64_t off;
        uint32_t size;
        memcpy(&off, x + 64, 8);
        memcpy(&size, x + 72, 4);
        if (off < HEAD + ilen || off > m.n || m.n - off < size) return -1;
        if (reserve(b) != 0) return -1;
        bentry *e = slot(b, x);
        if (e->live && e->own) continue; /* (this process's is newer) */
        if (!e->live) b->n++;
        uint8_t used = e->live && e->used;
        memset(e, 0, sizeof *e);
        memcpy(e->key, x, 32);
        memcpy(e->sum, x + 32, 32);
        e->data = d + off, e->size = size, e->age = x[76];
        e->used = used, e->live = 1;
    }
    return 0;
}

int kj_cache_bundle_open(kj_cache *c, const uint8_t bkey[32]) {
    if (atomic_load(&c->opened)) return 0;
    bundle *b = calloc(1, sizeof *b);
    if (!b) return 0;
    memcpy(b->key, bkey, 32);
    bmap m;
    int r = bundle_map(c, bkey, &m, &b->seen);
    if (r == 1) atomic_fetch_add(&c->hits, 1);
    if (r == 1 && bundle_take(b, m) != 0) {
        /* A damaged index: begin again; the write replaces it. */
        atomic_fetch_add(&c->corrupt, 1);
        struct stat seen = b->seen;
        bundle_free(b);
        if (!(b = calloc(1, sizeof *b))) return 0;
        memcpy(b->key, bkey, 32);
        b->seen = seen;
    }
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
    int bad = 0;
    pthread_mutex_lock(&c->lock);
    bentry *e = b->cap ? slot(b, key) : NULL;
    if (e && e->live && !e->bad && !e->own && !e->checked) {
        uint8_t sum[32];
        checksum(key, e->data, e->size, sum);
        e->checked = 1;
        bad = e->bad = memcmp(sum, e->sum, 32) != 0;
    }
    if (e && e->live && !e->bad && (copy = malloc(e->size ? e->size : 1))) {
        memcpy(copy, e->data, e->size);
        *size = e->size;
        e->used = 1;
    }
    pthread_mutex_unlock(&c->lock);
    if (bad) atomic_fetch_add(&c->corrupt, 1);
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
        else if (e->own) free((void *)e->data);
        memset(e, 0, sizeof *e);
        memcpy(e->key, key, 32);
        e->data = copy, e->size = (uint32_t)size;
        e->used = 1, e->own = 1, e->live = 1;
        b->dirty = 1;
    }
    pthread_mutex_unlock(&c->lock);
    if (r != 0) free(copy);
    return r;
}

/* Another process wrote the bundle since it was read (the kjit
 * --cache-finish a run started, or the same program run twice at once):
 * take in what it holds, but not over what this process put.  Then the
 * last writer keeps both. */
static void bundle_merge(kj_cache *c, bundle *b) {
    struct stat now;
    entry_stat(c, b->key, &now);
    if (!now.st_ino || same_file(&now, &b->seen)) return;
    bmap m;
    if (bundle_map(c, b->key, &m, &now) != 1) return;
    pthread_mutex_lock(&c->lock);
    (void)bundle_take(b, m); /* (a damaged one: what it gave before the damage) */
    b->seen = now;
    pthread_mutex_unlock(&c->lock);
}

static int by_key(const void *x, const void *y) {
    return memcmp((*(const bentry *const *)x)->key, (*(const bentry *const *)y)->key, 32);
}

int kj_cache_bundle_write(kj_cache *c, char *why, size_t len) {
    bundle *b = atomic_load(&c->opened);
    if (!b) return 0;
    pthread_mutex_lock(&c->wlock); /* (one write at a time: merge, then write) */
    pthread_mutex_lock(&c->lock);
    int dirty = b->dirty;
    pthread_mutex_unlock(&c->lock);
    if (!dirty) {
        pthread_mutex_unlock(&c->wlock);
        return 0;
    }
    bundle_merge(c, b);
    pthread_mutex_lock(&c->lock);
    /* What is kept: every entry used, and the others until they are too
     * old, or the bundle would take more than a quarter of the cache; not
     * an entry found damaged.  The others' data are checked on the way (an
     * entry is not copied forward unchecked). */
    bentry **keep = malloc((b->n ? b->n : 1) * sizeof *keep);
    size_t k = 0;
    uint64_t total = 0;
    int r = -1;
    if (!keep) goto done;
    for (size_t i = 0; i < b->cap; i++) {
        bentry *e = &b->v[i];
        if (!e->live || e->bad || (!e->used && e->age >= KJ_CACHE_BUNDLE_AGE)) continue;
        keep[k++] = e;
        total += e->size;
    }
    int unused_too = total <= c->max_bytes / 4;
    qsort(keep, k, sizeof *keep, by_key); /* (the same entries, the same bytes) */
    size_t n = 0;
    for (size_t i = 0; i < k; i++) {
        bentry *e = keep[i];
        if (!e->used && !unused_too) continue;
        if (!e->own && !e->checked) {
            uint8_t sum[32];
            checksum(e->key, e->data, e->size, sum);
            e->checked = 1;
            if ((e->bad = memcmp(sum, e->sum, 32) != 0)) continue;
        }
        if (e->own) checksum(e->key, e->data, e->size, e->sum);
        keep[n++] = e;
    }
    uint64_t ilen = 4 + (uint64_t)n * BINDEX, off = HEAD + ilen;
    unsigned char *index = malloc((size_t)ilen);
    const void **part = malloc((n + 2) * sizeof *part);
    size_t *plen = malloc((n + 2) * sizeof *plen);
    if (index && part && plen) {
        uint32_t count = (uint32_t)n;
        memcpy(index, &count, 4);
        for (size_t i = 0; i < n; i++) {
            bentry *e = keep[i];
            unsigned char *x = index + 4 + i * BINDEX;
            memcpy(x, e->key, 32);
            memcpy(x + 32, e->sum, 32);
            memcpy(x + 64, &off, 8);
            memcpy(x + 72, &e->size, 4);
            x[76] = e->used ? 0 : (uint8_t)(e->age + 1), x[77] = x[78] = x[79] = 0;
            part[i + 2] = e->data, plen[i + 2] = e->size;
            off += e->size;
        }
        uint8_t h[HEAD];
        memcpy(h, BMAGIC, 8);
        memcpy(h + 8, b->key, 32);
        memcpy(h + 40, &ilen, 8);
        checksum(b->key, index, (size_t)ilen, h + 48);
        part[0] = h, plen[0] = HEAD, part[1] = index, plen[1] = (size_t)ilen;
        r = write_file(c, b->key, part, plen, (int)n + 2, why, len);
        if (r == 0) b->dirty = 0, entry_stat(c, b->key, &b->seen);
    }
    free(index), free(part), free(plen);
done:
    free(keep);
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_unlock(&c->wlock);
    if (r != 0 && why && len && !*why) say(why, len, "cannot write the cache's bundle: out of memory");
    return r;
}

int kj_cache_lock(kj_cache *c, const char *name) {
    int fd = openat(dir_fd(c), name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) fchmod(fd, 0600); /* (not the umask's: write_file) */
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

char *kj_cache_program_name(const char *name) {
    struct stat st;
    char cwd[4096];
    if (stat(name, &st) != 0 || !S_ISREG(st.st_mode) ||
        (name[0] != '/' && !getcwd(cwd, sizeof cwd)))
        return strdup(name);
    size_t n = (name[0] == '/' ? 0 : strlen(cwd) + 1) + strlen(name) + 1;
    char *path = malloc(n), *out = malloc(n + 1);
    if (!path || !out) {
        free(path), free(out);
        return NULL;
    }
    snprintf(path, n, "%s%s%s", name[0] == '/' ? "" : cwd, name[0] == '/' ? "" : "/", name);
    /* Segment by segment: "" and "." dropped, ".." drops the one before. */
    size_t len = 0;
    for (char *seg = path, *end; *seg; seg = end) {
        end = strchr(seg, '/');
        size_t sl = end ? (size_t)(end - seg) : strlen(seg);
        end = end ? end + 1 : seg + sl;
        if (sl == 0 || (sl == 1 && seg[0] == '.')) continue;
        if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
            while (len > 0 && out[len - 1] != '/') len--;
            if (len > 0) len--;
            continue;
        }
        out[len++] = '/';
        memcpy(out + len, seg, sl);
        len += sl;
    }
    if (len == 0) out[len++] = '/';
    out[len] = 0;
    free(path);
    return out;
}
