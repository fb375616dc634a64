/*
 * test_cache_store.c — the persistent code cache's on-disk store on its own
 * (lib/base/kj_cache.h, internal): SHA-256 against the FIPS 180-4 vectors
 * (expected values from sha256sum), where the directory is, round trips and
 * misses, damaged entries rejected, removed and counted, unsafe directories
 * refused, failed writes reported and cleaned up, least-recently-used
 * eviction, clearing, four threads putting and getting the same keys, and
 * bundles (one entry holding many: round trip, age, damage, threads).
 * Everything happens in a fresh directory under /tmp, removed at the end.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api_test.h"
#include "base/kj_cache.h"

static char root[64] = "/tmp/kjit-cache-test.XXXXXX";

static void hex(const uint8_t *b, char out[65]) {
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int sha_is(const void *p, size_t n, const char *want) {
    kj_sha256 s;
    uint8_t d[32];
    char h[65];
    kj_sha256_init(&s);
    kj_sha256_add(&s, p, n);
    kj_sha256_done(&s, d);
    hex(d, h);
    return strcmp(h, want) == 0;
}

/* The FIPS 180-4 examples; the million 'a' once whole and once in pieces of
 * 997 bytes (not a divisor of 64: every way of filling a block); bytes that
 * all differ within a block (from Python's hashlib).  Run with the CPU's
 * SHA instructions (where it has them) and with the C code. */
static void test_sha256_vectors(void) {
    uint8_t *v = malloc(10007);
    for (int i = 0; i < 10007; i++) v[i] = (uint8_t)((i * 7 + i / 251) % 256);
    CHECK(sha_is(v, 10007, "84da64d152bbf93d3d574d1cdc40ce85e1a37a3a6f54b821c6f46d6754ea10af"));
    free(v);
    CHECK(sha_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CHECK(sha_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    CHECK(sha_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    const char *million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    CHECK(sha_is(a, 1000000, million));
    kj_sha256 s;
    uint8_t d[32];
    char h[65];
    kj_sha256_init(&s);
    for (size_t i = 0; i < 1000000; i += 997)
        kj_sha256_add(&s, a + i, i + 997 <= 1000000 ? 997 : 1000000 - i);
    kj_sha256_done(&s, d);
    hex(d, h);
    CHECK(strcmp(h, million) == 0);
    free(a);
}

static void test_sha256(void) {
    test_sha256_vectors();
    kj_sha256_portable(1);
    test_sha256_vectors();
    kj_sha256_portable(0);
}

/* ---- helpers ------------------------------------------------------------- */

static void key_of(int i, uint8_t k[32]) {
    char s[32];
    kj_sha256 h;
    snprintf(s, sizeof s, "key %d", i);
    kj_sha256_init(&h);
    kj_sha256_add(&h, s, strlen(s));
    kj_sha256_done(&h, k);
}

/* The entry's file, by the layout: DIR/ab/<62 hex>.kjc */
static void path_of(const char *dir, const uint8_t k[32], char *out, size_t len) {
    char h[65];
    hex(k, h);
    snprintf(out, len, "%s/%.2s/%s.kjc", dir, h, h + 2);
}

static int exists(const char *p) {
    struct stat st;
    return lstat(p, &st) == 0;
}

static void sub(char *out, size_t len, const char *name) {
    snprintf(out, len, "%s/%s", root, name);
}

static kj_cache *open_at(const char *dir, uint64_t max) {
    char why[512] = "";
    kj_cache *c = kj_cache_open(dir, max, why, sizeof why);
    if (!c) fprintf(stderr, "kj_cache_open(%s): %s\n", dir, why);
    return c;
}

static int put(kj_cache *c, const uint8_t k[32], const void *p, size_t n) {
    char why[512] = "";
    int r = kj_cache_put(c, k, p, n, why, sizeof why);
    if (r) fprintf(stderr, "kj_cache_put: %s\n", why);
    return r;
}

/* Whether key's data is p, n bytes. */
static int has(kj_cache *c, const uint8_t k[32], const void *p, size_t n) {
    size_t got = (size_t)-1;
    void *d = kj_cache_get(c, k, &got);
    int ok = d && got == n && memcmp(d, p, n) == 0;
    free(d);
    return ok;
}

static void set_mtime(const char *p, time_t t) {
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
}

static void write_file(const char *p, size_t n) {
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (!f) return;
    for (size_t i = 0; i < n; i++) fputc('x', f);
    fclose(f);
}

static void rm_rf(const char *p) {
    struct stat st;
    if (lstat(p, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(p, 0700);
        DIR *d = opendir(p);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char q[1024];
            snprintf(q, sizeof q, "%s/%s", p, e->d_name);
            rm_rf(q);
        }
        if (d) closedir(d);
        rmdir(p);
    } else {
        unlink(p);
    }
}

/* ---- the directory -------------------------------------------------------- */

static void test_dir(void) {
    char out[256], want[256], home[256];
    setenv("KJIT_CACHE_DIR", "/k", 1);
    setenv("XDG_CACHE_HOME", "/x", 1);
    sub(home, sizeof home, "home");
    setenv("HOME", home, 1);
    CHECK(kj_cache_dir("/given", out, sizeof out) == 0 && strcmp(out, "/given") == 0);
    CHECK(kj_cache_dir("", out, sizeof out) == 0 && strcmp(out, "/k") == 0);
    CHECK(kj_cache_dir(NULL, out, sizeof out) == 0 && strcmp(out, "/k") == 0);
    unsetenv("KJIT_CACHE_DIR");
    CHECK(kj_cache_dir(NULL, out, sizeof out) == 0 && strcmp(out, "/x/kjit") == 0);
    unsetenv("XDG_CACHE_HOME");
    snprintf(want, sizeof want, "%s/.cache/kjit", home);
    CHECK(kj_cache_dir(NULL, out, sizeof out) == 0 && strcmp(out, want) == 0);
    CHECK(kj_cache_dir(NULL, out, 8) == -1); /* does not fit */

    /* The default is made, parents too, private. */
    kj_cache *c = open_at(NULL, 0);
    struct stat st;
    CHECK(c != NULL && stat(want, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 077) == 0);
    kj_cache_close(c);

    unsetenv("HOME");
    CHECK(kj_cache_dir(NULL, out, sizeof out) == -1);
    char why[256] = "";
    CHECK(kj_cache_open(NULL, 0, why, sizeof why) == NULL && why[0]);
    setenv("HOME", home, 1);
}

/* ---- entries -------------------------------------------------------------- */

static void test_round_trip(void) {
    char dir[256], p[512];
    sub(dir, sizeof dir, "rt");
    kj_cache *c = open_at(dir, 0);
    CHECK(c != NULL);
    if (!c) return;
    uint8_t k1[32], k2[32], k3[32];
    key_of(1, k1), key_of(2, k2), key_of(3, k3);
    const char code[] = "some machine code";
    CHECK(put(c, k1, code, sizeof code) == 0);
    CHECK(has(c, k1, code, sizeof code));
    CHECK(put(c, k2, NULL, 0) == 0); /* empty data */
    CHECK(has(c, k2, "", 0));
    CHECK(put(c, k1, "other", 5) == 0); /* replaced */
    CHECK(has(c, k1, "other", 5));
    size_t n = 99;
    CHECK(kj_cache_get(c, k3, &n) == NULL); /* never put */

    /* The file: where the layout says, header + data, private, "KJITC001". */
    path_of(dir, k1, p, sizeof p);
    struct stat st;
    CHECK(stat(p, &st) == 0 && st.st_size == 80 + 5 && (st.st_mode & 0777) == 0600);
    char magic[9] = "";
    FILE *f = fopen(p, "rb");
    CHECK(f && fread(magic, 1, 8, f) == 8 && strcmp(magic, "KJITC001") == 0);
    if (f) fclose(f);

    uint64_t hits, misses, puts, corrupt;
    kj_cache_counters(c, &hits, &misses, &puts, &corrupt);
    CHECK(hits == 3 && misses == 1 && puts == 3 && corrupt == 0);
    kj_cache_close(c);
}

static void flip(const char *p, long at) {
    FILE *f = fopen(p, "r+b");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, at, SEEK_SET);
    int b = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(b ^ 0x20, f);
    fclose(f);
}

static void copy(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    CHECK(a && b);
    for (int ch; a && b && (ch = fgetc(a)) != EOF;) fputc(ch, b);
    if (a) fclose(a);
    if (b) fclose(b);
}

/* Each kind of damage: the entry is not returned, its file is gone, and it
 * is counted. */
static void test_corrupt(void) {
    char dir[256], p[7][512], data[200];
    sub(dir, sizeof dir, "corrupt");
    kj_cache *c = open_at(dir, 0);
    CHECK(c != NULL);
    if (!c) return;
    uint8_t k[7][32];
    for (int i = 0; i < 7; i++) {
        key_of(10 + i, k[i]);
        memset(data, 'A' + i, sizeof data);
        CHECK(put(c, k[i], data, sizeof data) == 0);
        path_of(dir, k[i], p[i], sizeof p[i]);
    }
    CHECK(truncate(p[0], 80 + sizeof data - 1) == 0); /* one byte short */
    CHECK(truncate(p[1], 40) == 0);                   /* into the header */
    flip(p[2], 80 + 50);                              /* a byte of the data */
    copy(p[5], p[3]);                                 /* key 15's entry under key 13's name */
    flip(p[4], 0);                                    /* the magic */
    FILE *f = fopen(p[6], "ab");                      /* one byte more than it says */
    CHECK(f && fputc(0, f) == 0);
    if (f) fclose(f);
    size_t n;
    for (int i = 0; i < 7; i++) {
        if (i == 5) continue;
        CHECK(kj_cache_get(c, k[i], &n) == NULL);
        CHECK(!exists(p[i]));
    }
    memset(data, 'A' + 5, sizeof data);
    CHECK(has(c, k[5], data, sizeof data)); /* the original is untouched */
    CHECK(kj_cache_get(c, k[0], &n) == NULL); /* now a plain miss */
    uint64_t hits, misses, corrupt;
    kj_cache_counters(c, &hits, &misses, NULL, &corrupt);
    CHECK(corrupt == 6 && misses == 7 && hits == 1);
    kj_cache_close(c);
}

/* ---- directories refused ---------------------------------------------------- */

/* dir is refused, with a reason naming named. */
static void refused(const char *dir, const char *named, const char *reason) {
    char why[512] = "";
    kj_cache *c = kj_cache_open(dir, 0, why, sizeof why);
    CHECK(c == NULL);
    kj_cache_close(c);
    CHECK(strstr(why, named) != NULL && strstr(why, reason) != NULL);
    if (!strstr(why, reason)) fprintf(stderr, "  reason: %s\n", why);
}

static void test_refused(void) {
    char d[256], link[256], slash[300], file[256], under[300];
    sub(d, sizeof d, "shared");
    CHECK(mkdir(d, 0700) == 0 && chmod(d, 0777) == 0);
    refused(d, d, "writable by group or others");
    CHECK(chmod(d, 0770) == 0);
    refused(d, d, "writable by group or others");
    CHECK(chmod(d, 0755) == 0); /* readable by others is fine */
    kj_cache *c = open_at(d, 0);
    CHECK(c != NULL);
    kj_cache_close(c);

    sub(link, sizeof link, "link");
    CHECK(symlink(d, link) == 0);
    refused(link, link, "symbolic link");
    snprintf(slash, sizeof slash, "%s/", link);
    refused(slash, link, "symbolic link"); /* "link/" would have followed it */

    sub(file, sizeof file, "file");
    write_file(file, 1);
    refused(file, file, "not a directory");
    snprintf(under, sizeof under, "%s/x", file);
    refused(under, under, "cannot create");

    if (geteuid() == 0) { /* only root can give a directory away */
        CHECK(chown(d, 65534, 65534) == 0);
        refused(d, d, "not owned by you");
    } else {
        printf("directory owned by another user: skipped (needs root to make one)\n");
    }
}

static int temps_in(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strncmp(e->d_name, "tmp.", 4) == 0;
    if (d) closedir(d);
    return n;
}

/* A write failing halfway (as on a full disk; here a file size limit, which
 * binds root too): put fails with a reason and its temporary file is gone. */
static void test_write_fails(void) {
    char dir[256], p[512], subdir[512], why[512] = "", big[8000];
    sub(dir, sizeof dir, "full");
    kj_cache *c = open_at(dir, 0);
    CHECK(c != NULL);
    if (!c) return;
    uint8_t k[32];
    key_of(30, k);
    memset(big, 'b', sizeof big);
    struct rlimit old, lim;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    lim = old, lim.rlim_cur = 4096;
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    CHECK(kj_cache_put(c, k, big, sizeof big, why, sizeof why) == -1 && strstr(why, dir));
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, was);
    printf("write fails: %s\n", why);
    path_of(dir, k, p, sizeof p);
    snprintf(subdir, sizeof subdir, "%.*s", (int)(strrchr(p, '/') - p), p);
    CHECK(!exists(p) && temps_in(subdir) == 0);
    size_t n;
    CHECK(kj_cache_get(c, k, &n) == NULL);
    CHECK(put(c, k, big, sizeof big) == 0 && has(c, k, big, sizeof big)); /* and then works */
    kj_cache_close(c);
}

/* A directory the cache cannot write: put fails with a reason, leaves no
 * temporary file, and what is there can still be read. */
static void test_read_only(void) {
    if (geteuid() == 0) {
        printf("read-only directory: skipped (running as root, who can write anyway)\n");
        return;
    }
    char dir[256], p[512], subdir[512];
    sub(dir, sizeof dir, "ro");
    kj_cache *c = open_at(dir, 0);
    CHECK(c != NULL);
    if (!c) return;
    uint8_t k[32], k2[32];
    key_of(20, k);
    memcpy(k2, k, 32);
    k2[0] ^= 0x80; /* another subdirectory */
    CHECK(put(c, k, "data", 4) == 0);
    path_of(dir, k, p, sizeof p);
    snprintf(subdir, sizeof subdir, "%.*s", (int)(strrchr(p, '/') - p), p);
    CHECK(chmod(subdir, 0500) == 0 && chmod(dir, 0500) == 0);
    char why[512] = "";
    CHECK(kj_cache_put(c, k2, "data", 4, why, sizeof why) == -1 && strstr(why, dir));
    why[0] = 0;
    CHECK(kj_cache_put(c, k, "new data", 8, why, sizeof why) == -1 && strstr(why, dir));
    printf("read-only: %s\n", why);
    CHECK(has(c, k, "data", 4));
    CHECK(chmod(subdir, 0700) == 0 && chmod(dir, 0700) == 0);
    CHECK(temps_in(subdir) == 0);
    kj_cache_close(c);
}

/* ---- eviction and clearing ---------------------------------------------- */

static void test_evict(void) {
    char dir[256], p[10][512], notes[600], data[1000];
    sub(dir, sizeof dir, "evict");
    memset(data, 'e', sizeof data); /* 1080 bytes a file */
    kj_cache *c = open_at(dir, 6500);
    CHECK(c != NULL);
    if (!c) return;
    uint8_t k[10][32];
    time_t now = time(NULL);
    for (int i = 0; i < 10; i++) {
        key_of(100 + i, k[i]);
        CHECK(put(c, k[i], data, sizeof data) == 0);
        path_of(dir, k[i], p[i], sizeof p[i]);
        set_mtime(p[i], now - 1000 + 10 * i); /* 0 the oldest */
    }
    snprintf(notes, sizeof notes, "%.*s/notes.txt", (int)(strrchr(p[0], '/') - p[0]), p[0]);
    write_file(notes, 50000); /* not an entry: neither counted nor removed */
    CHECK(has(c, k[0], data, sizeof data)); /* 0 now the most recently used */
    /* 10800 > 6500: removes 1..5, the oldest, down to 5400, under 90% of
     * 6500 (6480, after 1..4, would be under 6500 only). */
    kj_cache_evict(c);
    for (int i = 0; i < 10; i++) CHECK(exists(p[i]) == (i == 0 || i > 5));
    CHECK(exists(notes));
    kj_cache_stats st;
    CHECK(kj_cache_scan(c, &st) == 0 && st.entries == 5 && st.bytes == 5400 &&
          st.max_bytes == 6500);
    kj_cache_close(c);

    /* Closing a cache that put something evicts; one that only read does not. */
    c = open_at(dir, 1000);
    CHECK(c && has(c, k[6], data, sizeof data));
    kj_cache_close(c);
    c = open_at(dir, 0);
    CHECK(c && kj_cache_scan(c, &st) == 0 && st.entries == 5);
    kj_cache_close(c);
    set_mtime(p[0], now - 500), set_mtime(p[6], now - 400); /* 7, 8, 9, 0 the oldest */
    c = open_at(dir, 3000);
    uint8_t k11[32];
    key_of(110, k11);
    CHECK(c && put(c, k11, data, sizeof data) == 0);
    kj_cache_close(c); /* 6480 > 3000: down to 2160 */
    c = open_at(dir, 0);
    CHECK(c && kj_cache_scan(c, &st) == 0 && st.entries == 2 && st.bytes == 2160);
    CHECK(c && has(c, k11, data, sizeof data) && has(c, k[6], data, sizeof data));
    kj_cache_close(c);
}

static void test_clear(void) {
    char dir[256], p[512], d0[512], stale[600], fresh[600], other[600];
    sub(dir, sizeof dir, "clear");
    kj_cache *c = open_at(dir, 0);
    CHECK(c != NULL);
    if (!c) return;
    uint8_t k[32];
    for (int i = 0; i < 20; i++) {
        key_of(200 + i, k);
        CHECK(put(c, k, &i, sizeof i) == 0);
    }
    path_of(dir, k, p, sizeof p);
    snprintf(d0, sizeof d0, "%.*s", (int)(strrchr(p, '/') - p), p);
    snprintf(stale, sizeof stale, "%s/tmp.AAAAAA", d0);
    snprintf(fresh, sizeof fresh, "%s/tmp.BBBBBB", d0);
    snprintf(other, sizeof other, "%s/README", d0);
    write_file(stale, 10), write_file(fresh, 10), write_file(other, 10);
    set_mtime(stale, time(NULL) - 7200);
    CHECK(kj_cache_clear(c) == 20);
    CHECK(!exists(stale) && exists(fresh) && exists(other)); /* a live writer's is kept */
    kj_cache_stats st;
    CHECK(kj_cache_scan(c, &st) == 0 && st.entries == 0 && st.bytes == 0);
    size_t n;
    CHECK(kj_cache_get(c, k, &n) == NULL);
    set_mtime(fresh, time(NULL) - 7200); /* scan removes stale ones too */
    CHECK(kj_cache_scan(c, &st) == 0 && !exists(fresh) && exists(other));
    kj_cache_close(c);
}

/* ---- threads ---------------------------------------------------------------- */

enum { NKEYS = 8 };
static uint8_t tkeys[NKEYS][32];
static atomic_int stop;

typedef struct {
    kj_cache *c;
    int id;
    long gets, hits, bad, failed;
} worker;

/* Version v of key i's data: its length varies with v, and it says which
 * key, version and length it is, then a pattern of all three. */
static size_t make(uint8_t *b, int i, uint32_t v) {
    uint32_t n = 12 + (v * 37) % 5000;
    memcpy(b, &i, 4), memcpy(b + 4, &v, 4), memcpy(b + 8, &n, 4);
    for (uint32_t j = 12; j < n; j++) b[j] = (uint8_t)(i * 131 + v * 7 + j);
    return n;
}

static int valid(const uint8_t *b, size_t n, int i) {
    uint8_t want[5012];
    uint32_t v;
    if (n < 12) return 0;
    memcpy(&v, b + 4, 4);
    return make(want, i, v) == n && memcmp(want, b, n) == 0;
}

static void *work(void *arg) {
    worker *w = arg;
    uint8_t b[5012];
    uint32_t x = 2463534242u + (uint32_t)w->id, v = (uint32_t)w->id << 24;
    while (!atomic_load(&stop)) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        int i = (int)(x % NKEYS);
        if (x & 0x100) {
            size_t n = make(b, i, v++);
            w->failed += kj_cache_put(w->c, tkeys[i], b, n, NULL, 0) != 0;
        } else {
            size_t n;
            uint8_t *d = kj_cache_get(w->c, tkeys[i], &n);
            w->gets++;
            if (d) w->hits++, w->bad += !valid(d, n, i);
            free(d);
        }
    }
    return NULL;
}

/* Threads 0 and 1 share one cache, 2 and 3 have one each, as other
 * processes would. */
static void test_threads(void) {
    char dir[256];
    sub(dir, sizeof dir, "threads");
    kj_cache *c[3] = {open_at(dir, 0), open_at(dir, 0), open_at(dir, 0)};
    CHECK(c[0] && c[1] && c[2]);
    if (!c[0] || !c[1] || !c[2]) return;
    for (int i = 0; i < NKEYS; i++) key_of(300 + i, tkeys[i]);
    worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.c = c[i < 2 ? 0 : i - 1], .id = i};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    sleep(1);
    atomic_store(&stop, 1);
    long gets = 0, hits = 0, bad = 0, failed = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        gets += w[i].gets, hits += w[i].hits, bad += w[i].bad, failed += w[i].failed;
    }
    uint64_t corrupt = 0, one;
    for (int i = 0; i < 3; i++) {
        kj_cache_counters(c[i], NULL, NULL, NULL, &one);
        corrupt += one;
        kj_cache_close(c[i]);
    }
    printf("threads: %ld gets, %ld hits\n", gets, hits);
    CHECK(hits > 0 && bad == 0 && failed == 0 && corrupt == 0);
}

/* The public face of the store (kjit_store_*, what `kjit prog.c` keeps its
 * bitcode with): round trips, keys that differ after a NUL, replacement,
 * off by the options or KJIT_CACHE, a directory others may write refused
 * with a reason, and two threads sharing one store. */
typedef struct store_worker {
    kjit_store *s;
    int id;
    long hits, bad, failed;
} store_worker;

static void *store_work(void *arg) {
    store_worker *w = arg;
    for (int r = 0; r < 200; r++) {
        int k = (r * 7 + w->id) % 10;
        char key[16], data[64];
        snprintf(key, sizeof key, "key %d", k);
        int n = snprintf(data, sizeof data, "data of key %d, long enough to matter", k);
        if (r % 3 == w->id % 3 && kjit_store_put(w->s, key, strlen(key), data, (size_t)n) != KJIT_OK)
            w->failed++;
        size_t got;
        char *d = kjit_store_get(w->s, key, strlen(key), &got);
        if (d) w->hits++, w->bad += got != (size_t)n || memcmp(d, data, got) != 0;
        free(d);
    }
    return NULL;
}

static void test_public_store(void) {
    char dir[256];
    sub(dir, sizeof dir, "public");
    kjit_options o;
    kjit_options_init(&o);
    o.cache_dir = dir;
    unsetenv("KJIT_CACHE");
    kjit_store *s = kjit_store_open(&o);
    CHECK(s != NULL);
    if (!s) return;
    size_t n = 99;
    CHECK(kjit_store_get(s, "a", 1, &n) == NULL);
    CHECK(kjit_store_put(s, "a", 1, "hello", 5) == KJIT_OK);
    CHECK(kjit_store_put(s, "a\0x", 3, "other", 5) == KJIT_OK);
    char *d = kjit_store_get(s, "a", 1, &n);
    CHECK(d && n == 5 && memcmp(d, "hello", 5) == 0);
    free(d);
    d = kjit_store_get(s, "a\0x", 3, &n);
    CHECK(d && n == 5 && memcmp(d, "other", 5) == 0);
    free(d);
    CHECK(kjit_store_put(s, "a", 1, "world!", 6) == KJIT_OK);
    d = kjit_store_get(s, "a", 1, &n);
    CHECK(d && n == 6 && memcmp(d, "world!", 6) == 0);
    free(d);
    CHECK(kjit_store_put(s, "empty", 5, NULL, 0) == KJIT_OK);
    d = kjit_store_get(s, "empty", 5, &n);
    CHECK(d && n == 0);
    free(d);
    /* Two threads on one store. */
    store_worker w[2] = {{.s = s, .id = 0}, {.s = s, .id = 1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, store_work, &w[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    CHECK(w[0].hits + w[1].hits > 0 && w[0].bad + w[1].bad == 0 &&
          w[0].failed + w[1].failed == 0);
    kjit_store_close(s);
    kjit_store_close(NULL);
    /* What was put is there for the next opener. */
    s = kjit_store_open(&o);
    d = s ? kjit_store_get(s, "a", 1, &n) : NULL;
    CHECK(d && n == 6 && memcmp(d, "world!", 6) == 0);
    free(d);
    kjit_store_close(s);
    /* Off. */
    o.cache = 0;
    CHECK(kjit_store_open(&o) == NULL && kjit_errmsg()[0] == 0);
    o.cache = 1;
    setenv("KJIT_CACHE", "off", 1);
    CHECK(kjit_store_open(&o) == NULL && kjit_errmsg()[0] == 0);
    unsetenv("KJIT_CACHE");
    /* A directory others may write. */
    CHECK(chmod(dir, 0777) == 0);
    CHECK(kjit_store_open(&o) == NULL && strstr(kjit_errmsg(), dir) != NULL);
    CHECK(chmod(dir, 0700) == 0);
}

/* ---- bundles ------------------------------------------------------------- */

static int files_in(const char *dir) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "find %s -type f | wc -l", dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    if (f && fscanf(f, "%d", &n) != 1) n = -1;
    if (f) pclose(f);
    return n;
}

/* The number of entries in the bundle under bk, from its file (the layout:
 * an 80-byte header, then the index, which begins with the count). */
static int bundle_count(const char *dir, const uint8_t bk[32]) {
    char p[256];
    path_of(dir, bk, p, sizeof p);
    FILE *f = fopen(p, "rb");
    uint32_t count = 0;
    int ok = f && fseek(f, 80, SEEK_SET) == 0 && fread(&count, 4, 1, f) == 1;
    if (f) fclose(f);
    return ok ? (int)count : -1;
}

typedef struct {
    kj_cache *c;
    int id, bad;
} bworker;

static void *bundle_work(void *arg) {
    bworker *w = arg;
    for (int i = 0; i < 400; i++) {
        uint8_t k[32];
        char v[40];
        int n = snprintf(v, sizeof v, "value %d", i % 50);
        key_of(1000 + i % 50, k);
        if (kj_cache_bundle_put(w->c, k, v, (size_t)n) != 0) w->bad++;
        size_t got;
        char *d = kj_cache_get(w->c, k, &got);
        if (!d || got != (size_t)n || memcmp(d, v, got) != 0) w->bad++;
        free(d);
    }
    return NULL;
}

static void test_bundle(void) {
    char dir[128], p[256];
    sub(dir, sizeof dir, "bundle");
    uint8_t bk[32], k[40][32], other[32];
    key_of(-1, bk);
    key_of(-2, other);
    for (int i = 0; i < 40; i++) key_of(100 + i, k[i]);
    kj_cache *c = open_at(dir, 0);
    CHECK(c != NULL);
    if (!c) return;
    CHECK(kj_cache_bundle_put(c, k[0], "x", 1) == -1); /* none open */
    CHECK(kj_cache_bundle_open(c, bk) == 1 && kj_cache_bundle_open(c, other) == 0);
    char why[256] = "";
    CHECK(kj_cache_bundle_write(c, why, sizeof why) == 0 && files_in(dir) == 0); /* clean */
    for (int i = 0; i < 40; i++) {
        char v[32];
        int n = snprintf(v, sizeof v, "entry %d", i);
        CHECK(kj_cache_bundle_put(c, k[i], v, (size_t)(i == 7 ? 0 : n)) == 0);
    }
    CHECK(kj_cache_bundle_put(c, k[3], "again", 5) == 0); /* replaces */
    CHECK(has(c, k[3], "again", 5) && has(c, k[7], "", 0) && has(c, k[39], "entry 39", 8));
    CHECK(kj_cache_bundle_write(c, why, sizeof why) == 0);
    CHECK(files_in(dir) == 1); /* forty entries, one file */
    kj_cache_close(c);

    /* The next opener finds them all, and writes nothing until it puts. */
    c = open_at(dir, 0);
    CHECK(c && kj_cache_bundle_open(c, bk) == 1);
    CHECK(has(c, k[3], "again", 5) && has(c, k[7], "", 0) && has(c, k[12], "entry 12", 8));
    uint64_t hits, misses, puts, corrupt;
    kj_cache_counters(c, &hits, &misses, &puts, &corrupt);
    CHECK(hits == 4 && puts == 0 && corrupt == 0); /* (the bundle's own read a hit) */
    /* Age: runs that store but do not use k[20..39] drop them after
     * KJ_CACHE_BUNDLE_AGE writes; what is used stays. */
    kj_cache_close(c);
    for (int run = 0; run <= KJ_CACHE_BUNDLE_AGE; run++) {
        if (run == KJ_CACHE_BUNDLE_AGE) CHECK(bundle_count(dir, bk) == 40);
        c = open_at(dir, 0);
        CHECK(c && kj_cache_bundle_open(c, bk) == 1);
        if (!c) return;
        size_t n;
        free(kj_cache_get(c, k[0], &n));
        CHECK(kj_cache_bundle_put(c, k[1], "new", 3) == 0);
        CHECK(kj_cache_bundle_write(c, why, sizeof why) == 0);
        CHECK(kj_cache_bundle_put(c, k[1], "new", 3) == 0);
        CHECK(kj_cache_bundle_write(c, why, sizeof why) == 0); /* twice: one age */
        kj_cache_close(c);
    }
    CHECK(bundle_count(dir, bk) == 2);
    c = open_at(dir, 0);
    CHECK(c && kj_cache_bundle_open(c, bk) == 1);
    CHECK(has(c, k[0], "entry 0", 7) && has(c, k[1], "new", 3));
    size_t n = 0;
    void *gone = kj_cache_get(c, k[20], &n);
    CHECK(gone == NULL);
    free(gone);
    kj_cache_close(c);

    /* A damaged bundle: rejected and counted, then begun again. */
    path_of(dir, bk, p, sizeof p);
    int fd = open(p, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, "Z", 1, 100) == 1);
    if (fd >= 0) close(fd);
    c = open_at(dir, 0);
    CHECK(c && kj_cache_bundle_open(c, bk) == 1);
    gone = kj_cache_get(c, k[0], &n);
    CHECK(gone == NULL);
    free(gone);
    kj_cache_counters(c, &hits, &misses, &puts, &corrupt);
    CHECK(corrupt == 1);
    /* Checked, but not a bundle: the same. */
    CHECK(kj_cache_bundle_put(c, k[0], "ok", 2) == 0);
    kj_cache_close(c); /* (unwritten: dropped) */
    c = open_at(dir, 0);
    CHECK(c && put(c, bk, "KJBUNDL1\x05\0\0\0", 12) == 0);
    CHECK(kj_cache_bundle_open(c, bk) == 1);
    kj_cache_counters(c, &hits, &misses, &puts, &corrupt);
    CHECK(corrupt == 1);
    /* Threads putting and getting in one bundle. */
    bworker w[3] = {{.c = c, .id = 0}, {.c = c, .id = 1}, {.c = c, .id = 2}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, bundle_work, &w[i]);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    CHECK(w[0].bad + w[1].bad + w[2].bad == 0);
    CHECK(kj_cache_bundle_write(c, why, sizeof why) == 0);
    kj_cache_close(c);
    c = open_at(dir, 0);
    CHECK(c && kj_cache_bundle_open(c, bk) == 1);
    CHECK(has(c, k[0], "", 0) == 0);
    uint8_t k49[32];
    key_of(1049, k49);
    CHECK(has(c, k49, "value 49", 8));
    kj_cache_close(c);

    /* Two processes (two handles) with one bundle: the second to write
     * keeps what the first wrote since it read the bundle, except where it
     * put the same key itself. */
    kj_cache *a = open_at(dir, 0), *b = open_at(dir, 0);
    CHECK(a && b && kj_cache_bundle_open(a, bk) == 1 && kj_cache_bundle_open(b, bk) == 1);
    if (!a || !b) return;
    CHECK(kj_cache_bundle_put(a, k[10], "from a", 6) == 0);
    CHECK(kj_cache_bundle_put(a, k[11], "from a", 6) == 0);
    CHECK(kj_cache_bundle_put(b, k[11], "from b", 6) == 0);
    CHECK(kj_cache_bundle_put(b, k[12], "from b", 6) == 0);
    CHECK(kj_cache_bundle_write(a, why, sizeof why) == 0);
    CHECK(kj_cache_bundle_write(b, why, sizeof why) == 0);
    kj_cache_close(a);
    kj_cache_close(b);
    c = open_at(dir, 0);
    CHECK(c && kj_cache_bundle_open(c, bk) == 1);
    CHECK(has(c, k[10], "from a", 6) && has(c, k[11], "from b", 6) && has(c, k[12], "from b", 6));
    CHECK(has(c, k49, "value 49", 8));
    kj_cache_close(c);

    /* One entry's data damaged (the file's last byte: the last entry's):
     * that entry is a miss, counted, and the others are found. */
    CHECK(bundle_count(dir, bk) == 53);
    path_of(dir, bk, p, sizeof p);
    struct stat st;
    fd = open(p, O_RDWR);
    char last = 0;
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && pread(fd, &last, 1, st.st_size - 1) == 1);
    last ^= 1;
    CHECK(fd >= 0 && pwrite(fd, &last, 1, st.st_size - 1) == 1);
    if (fd >= 0) close(fd);
    c = open_at(dir, 0);
    CHECK(c && kj_cache_bundle_open(c, bk) == 1);
    int found = 0;
    for (int i = 0; i < 53; i++) {
        uint8_t kk[32];
        if (i < 50) key_of(1000 + i, kk);
        else memcpy(kk, k[10 + i - 50], 32);
        void *d = kj_cache_get(c, kk, &n);
        found += d != NULL;
        free(d);
    }
    kj_cache_counters(c, &hits, &misses, &puts, &corrupt);
    CHECK(found == 52 && corrupt == 1);
    kj_cache_close(c);
}

int main(void) {
    test_sha256();
    CHECK(mkdtemp(root) != NULL);
    test_dir();
    test_round_trip();
    test_corrupt();
    test_refused();
    test_write_fails();
    test_read_only();
    test_evict();
    test_clear();
    test_threads();
    test_public_store();
    test_bundle();
    rm_rf(root);
    CHECK(!exists(root));
    return t_done("test_cache_store");
}
