/*
 * test_cache.c — the code cache through the public API (kjit_options.cache,
 * issue K2): a second JIT links what the first compiled and computes the
 * same results; the key covers the IR and the options; a damaged entry is
 * rejected and rebuilt, never run; an unsafe directory is not used; a write
 * that fails stops the cache with one warning; code of a transformation is
 * cached only under the client's key; what got hot starts at T2; two JITs
 * on two threads share one directory; KJIT_CACHE=off wins.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_test.h"

static char dir[64];

static kjit *make(kjit_mode mode, int opt_level, const char *where) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    o.opt_level = opt_level;
    o.cache_dir = where;
    o.hot_threshold = 1000000000;
    kjit *jit = NULL;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    return jit;
}

static kjit_stats stats(kjit *jit) {
    kjit_stats s;
    kjit_get_stats(jit, &s);
    return s;
}

/* g() = 5 + f(), f() = k: defined, g called; returns g's value. */
static double run_g(kjit *jit, double k) {
    static t_fn f, g;
    f = (t_fn){.types = "", .k = k};
    g = (t_fn){.types = "", .k = 5, .callee = "f"};
    CHECK(kjit_define(jit, "f", "d()", t_generate, &f, NULL) == KJIT_OK);
    CHECK(kjit_define(jit, "g", "d()", t_generate, &g, NULL) == KJIT_OK);
    double (*p)(void) = (double (*)(void))kjit_address(jit, "g");
    return p ? p() : -1;
}

/* Every entry file under d (the store's two levels). */
static int for_entries(const char *d, void (*fn)(const char *path)) {
    int n = 0;
    DIR *top = opendir(d);
    if (!top) return 0;
    for (struct dirent *e; (e = readdir(top));) {
        if (e->d_name[0] == '.') continue;
        char sub[512];
        snprintf(sub, sizeof sub, "%s/%s", d, e->d_name);
        DIR *s = opendir(sub);
        if (!s) continue;
        for (struct dirent *f; (f = readdir(s));) {
            if (!strstr(f->d_name, ".kjc")) continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
            if (fn) fn(path);
            n++;
        }
        closedir(s);
    }
    closedir(top);
    return n;
}

static void flip_last_byte(const char *path) {
    int fd = open(path, O_RDWR);
    if (fd < 0) return;
    off_t end = lseek(fd, 0, SEEK_END);
    unsigned char c;
    if (end > 0 && pread(fd, &c, 1, end - 1) == 1) {
        c ^= 0x5a;
        if (pwrite(fd, &c, 1, end - 1) != 1) c = 0;
    }
    close(fd);
}

static void cold_then_warm(void) {
    kjit *a = make(KJIT_MODE_LAZY, 2, dir);
    CHECK(run_g(a, 1) == 6);
    kjit_stats s = stats(a);
    CHECK(s.cache_hits == 0 && s.cache_misses == 2 && s.cache_stored == 2);
    kjit_destroy(a);

    kjit *b = make(KJIT_MODE_LAZY, 2, dir);
    CHECK(run_g(b, 1) == 6);
    s = stats(b);
    CHECK(s.cache_hits == 2 && s.cache_misses == 0 && s.cache_stored == 0);
    kjit_destroy(b);

    /* Another body of f: f misses, g (the same IR) hits. */
    kjit *c = make(KJIT_MODE_LAZY, 2, dir);
    CHECK(run_g(c, 2) == 7);
    s = stats(c);
    CHECK(s.cache_hits == 1 && s.cache_misses == 1);
    kjit_destroy(c);

    /* Another optimisation level: both miss. */
    kjit *d = make(KJIT_MODE_LAZY, 1, dir);
    CHECK(run_g(d, 1) == 6);
    s = stats(d);
    CHECK(s.cache_hits == 0 && s.cache_misses == 2);
    kjit_destroy(d);
}

static void damaged(void) {
    int n = for_entries(dir, flip_last_byte);
    CHECK(n >= 4);
    kjit *a = make(KJIT_MODE_LAZY, 2, dir);
    CHECK(run_g(a, 1) == 6); /* compiled again, not run from a damaged entry */
    kjit_stats s = stats(a);
    /* (x86-64: a third, the host key's entry, read when the JIT is made) */
#if defined(__x86_64__)
    CHECK(s.cache_hits == 0 && s.cache_rejected == 3 && s.cache_stored == 2);
#else
    CHECK(s.cache_hits == 0 && s.cache_rejected == 2 && s.cache_stored == 2);
#endif
    kjit_destroy(a);
    kjit *b = make(KJIT_MODE_LAZY, 2, dir);
    CHECK(run_g(b, 1) == 6);
    CHECK(stats(b).cache_hits == 2);
    kjit_destroy(b);
}

static void unsafe_dirs(void) {
    char open_dir[96], link[96];
    snprintf(open_dir, sizeof open_dir, "%s-open", dir);
    snprintf(link, sizeof link, "%s-link", dir);
    CHECK(mkdir(open_dir, 0700) == 0 && chmod(open_dir, 0777) == 0);
    kjit *a = make(KJIT_MODE_LAZY, 2, open_dir);
    CHECK(strstr(kjit_errmsg(), "writable by group or others") != NULL);
    CHECK(strstr(kjit_errmsg(), open_dir) != NULL);
    CHECK(run_g(a, 1) == 6);
    CHECK(stats(a).cache_misses == 0 && stats(a).cache_stored == 0);
    kjit_destroy(a);
    CHECK(for_entries(open_dir, NULL) == 0);

    CHECK(symlink(dir, link) == 0);
    kjit *b = make(KJIT_MODE_LAZY, 2, link);
    CHECK(strstr(kjit_errmsg(), "symbolic link") != NULL);
    CHECK(run_g(b, 1) == 6);
    CHECK(stats(b).cache_hits == 0);
    kjit_destroy(b);
    unlink(link);
    rmdir(open_dir);
}

/* A write that fails (a file size limit stands for a full disk, and works as
 * root too): the run goes on, the cache stops, one warning says why. */
static void write_fails(void) {
    char full[96];
    snprintf(full, sizeof full, "%s-full", dir);
    CHECK(mkdir(full, 0700) == 0);
    struct rlimit was, small = {.rlim_cur = 16};
    getrlimit(RLIMIT_FSIZE, &was);
    small.rlim_max = was.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    kjit *a = make(KJIT_MODE_LAZY, 2, full);
    CHECK(kjit_cache_warning(a) == NULL);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    CHECK(run_g(a, 1) == 6);
    kjit_stop_tiering(a); /* (waits for the cache's writer) */
    setrlimit(RLIMIT_FSIZE, &was);
    const char *w = kjit_cache_warning(a);
    CHECK(w != NULL && strstr(w, full) != NULL);
    /* (whether g's compile was keyed before the cache stopped depends on
     * which write failed first: the machine's host key, at LLVM's set-up,
     * or g's object) */
    CHECK(stats(a).cache_hits == 0);
    kjit_destroy(a);
    CHECK(for_entries(full, NULL) == 0);
    /* (no temporary file left behind either) */
    kjit_cache_info info;
    CHECK(kjit_cache_info_get(full, &info) == KJIT_OK && info.entries == 0);
    CHECK(kjit_cache_clear(full, NULL) == KJIT_OK);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", full);
    CHECK(system(cmd) == 0);
}

static int add_one(void *user, LLVMModuleRef mod, const char *name, char *err, size_t len) {
    (void)user, (void)mod, (void)name, (void)err, (void)len;
    return 0;
}

static void transforms(void) {
    char tdir[96];
    snprintf(tdir, sizeof tdir, "%s-xf", dir);
    for (int round = 0; round < 2; round++) {
        kjit *a = make(KJIT_MODE_LAZY, 2, tdir);
        CHECK(kjit_set_transform(a, 1, add_one, NULL) == KJIT_OK);
        CHECK(run_g(a, 1) == 6);
        kjit_stats s = stats(a);
        CHECK(s.cache_misses == 0 && s.cache_hits == 0 && s.cache_stored == 0); /* no key */
        kjit_destroy(a);
    }
    for (int round = 0; round < 2; round++) {
        kjit *b = make(KJIT_MODE_LAZY, 2, tdir);
        CHECK(kjit_set_transform(b, 1, add_one, NULL) == KJIT_OK);
        CHECK(kjit_set_transform_key(b, 1, "add_one v1") == KJIT_OK);
        CHECK(run_g(b, 1) == 6);
        kjit_stats s = stats(b);
        CHECK(round == 0 ? s.cache_stored == 2 : s.cache_hits == 2);
        kjit_destroy(b);
    }
    /* Another key: another entry; a new transformation drops the key. */
    kjit *c = make(KJIT_MODE_LAZY, 2, tdir);
    CHECK(kjit_set_transform(c, 1, add_one, NULL) == KJIT_OK);
    CHECK(kjit_set_transform_key(c, 1, "add_one v2") == KJIT_OK);
    CHECK(kjit_set_transform(c, 1, add_one, NULL) == KJIT_OK);
    CHECK(run_g(c, 1) == 6);
    CHECK(stats(c).cache_misses == 0 && stats(c).cache_hits == 0);
    kjit_destroy(c);
    /* And no transformation: its own entries, not the transformed ones. */
    kjit *d = make(KJIT_MODE_LAZY, 2, tdir);
    CHECK(run_g(d, 1) == 6);
    CHECK(stats(d).cache_misses == 2);
    kjit_destroy(d);
    CHECK(kjit_cache_clear(tdir, NULL) == KJIT_OK);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    CHECK(system(cmd) == 0);
}

/* Tiered, hot after 50 calls, T2 compiled where it is asked for. */
static kjit *make_hot50(void) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = KJIT_MODE_TIERED;
    o.cache_dir = dir;
    o.hot_threshold = 50;
    o.t2_sync = 1;
    kjit *jit = NULL;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    return jit;
}

/* Tiered: h gets hot in the first run (T2); the second run's first call
 * of h runs T2 code. */
static void hot_marks(void) {
    for (int round = 0; round < 2; round++) {
        kjit *jit = make_hot50();
        static t_fn h;
        h = (t_fn){.types = "d", .k = 3};
        CHECK(kjit_define(jit, "h", "d(d)", t_generate, &h, NULL) == KJIT_OK);
        double (*p)(double) = (double (*)(double))kjit_address(jit, "h");
        CHECK(p && p(1) == 4);
        kjit_fn_info info;
        CHECK(kjit_fn_info_get(jit, "h", &info) == KJIT_OK);
        if (round == 0) {
            CHECK(info.state == KJIT_FN_T1);
            for (int i = 0; i < 200; i++) CHECK(p(i) == 3 + i);
            CHECK(kjit_fn_info_get(jit, "h", &info) == KJIT_OK && info.state == KJIT_FN_T2);
            CHECK(stats(jit).cache_hot == 0);
        } else {
            CHECK(info.state == KJIT_FN_T2); /* from its first call */
            CHECK(stats(jit).cache_hot == 1 && stats(jit).compiled_t2 == 1);
            CHECK(p(7) == 10);
        }
        kjit_destroy(jit);
    }
}

/* A definition with a T0 entry and a source key (kjit_def.source, as the
 * Kaleidoscope front end gives): hot in the first run, at T2 in the second
 * as soon as it is defined, before any call; other source bytes, not. */
static kjit_value t0_entry(void *user, const kjit_value *args) {
    t_fn *d = user;
    return (kjit_value){.d = d->k + args[0].d};
}

static int t0_state(const char *source) {
    kjit *jit = make_hot50();
    static t_fn k;
    k = (t_fn){.types = "d", .k = 4};
    kjit_def def;
    kjit_def_init(&def);
    def.sig = "d(d)";
    def.gen = t_generate;
    def.t0 = t0_entry;
    def.user = &k;
    def.source = source;
    def.source_len = strlen(source);
    CHECK(kjit_define_ex(jit, "k", &def) == KJIT_OK);
    kjit_fn_info info;
    CHECK(kjit_fn_info_get(jit, "k", &info) == KJIT_OK);
    int was = (int)info.state;
    double (*p)(double) = (double (*)(double))kjit_address(jit, "k");
    for (int i = 0; i < 200 && p; i++) CHECK(p(i) == 4 + i);
    CHECK(kjit_fn_info_get(jit, "k", &info) == KJIT_OK && info.state == KJIT_FN_T2);
    CHECK(stats(jit).cache_hot == (was == KJIT_FN_T2));
    kjit_destroy(jit);
    return was;
}

static void t0_hot(void) {
    CHECK(t0_state("def k(x) 4 + x") == KJIT_FN_T0);
    CHECK(t0_state("def k(x) 4 + x") == KJIT_FN_T2);
    CHECK(t0_state("def k(x) 4 + x;") == KJIT_FN_T0);
}

/* Two JITs on two threads fill and read one directory at once. */
static void *twin(void *arg) {
    double *out = arg;
    for (int i = 0; i < 10; i++) {
        kjit_options o;
        kjit_options_init(&o);
        o.mode = KJIT_MODE_LAZY;
        o.cache_dir = dir;
        kjit *jit = NULL;
        if (kjit_create(&o, &jit) != KJIT_OK) return NULL;
        t_fn f = {.types = "d", .k = i};
        kjit_define(jit, "f", "d(d)", t_generate, &f, NULL);
        double (*p)(double) = (double (*)(double))kjit_address(jit, "f");
        out[i] = p ? p(100) : -1;
        kjit_destroy(jit);
    }
    return NULL;
}

static void threads(void) {
    double r[2][10];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, twin, r[i]) == 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 10; k++) CHECK(r[i][k] == 100 + k);
}

/* IR modules: a warm JIT makes no IR at all for functions whose object it
 * has (the module's bytes decide their IR); another module text, or a
 * callee bound otherwise (a host function in one run, the client's in the
 * next), is compiled again. */
static const char *module_text(int k) {
    static char buf[512];
    snprintf(buf, sizeof buf,
             "declare double @foo(double)\n"
             "define double @twice(double %%x) {\n"
             "  %%y = fmul double %%x, %d.0\n  ret double %%y\n}\n"
             "define double @use(double %%x) {\n"
             "  %%a = call double @twice(double %%x)\n"
             "  %%b = call double @foo(double %%a)\n  ret double %%b\n}\n",
             k);
    return buf;
}

static double host_foo(double x) { return x + 1; }

static double run_module(int k, int client_foo, kjit_stats *out) {
    kjit *jit = make(KJIT_MODE_LAZY, 2, dir);
    static t_fn foo = {.types = "d", .k = 100}; /* 100 + x */
    if (client_foo)
        CHECK(kjit_define(jit, "foo", KJIT_SIG_ANY, t_generate, &foo, NULL) == KJIT_OK);
    else
        CHECK(kjit_define_host(jit, "foo", KJIT_SIG_ANY, (void *)host_foo) == KJIT_OK);
    const char *text = module_text(k);
    CHECK(kjit_add_module_memory(jit, text, strlen(text), "m.ll") == KJIT_OK);
    double (*use)(double) = (double (*)(double))kjit_address(jit, "use");
    double r = use ? use(3) : -1;
    *out = stats(jit);
    kjit_destroy(jit);
    return r;
}

static void modules(void) {
    kjit_stats s;
    CHECK(run_module(2, 0, &s) == 7); /* cold */
    CHECK(s.cache_misses == 2 && s.ir_generated == 2);
    CHECK(run_module(2, 0, &s) == 7); /* warm: no IR made */
    CHECK(s.cache_hits == 2 && s.ir_generated == 0);
    CHECK(run_module(3, 0, &s) == 10); /* another text: both compiled again (their keys
                                          are of the modules' bytes, not of their IR) */
    CHECK(s.ir_generated == 2 && s.cache_misses == 2 && s.cache_hits == 0);
    CHECK(run_module(2, 1, &s) == 106); /* foo is the client's now: use again */
    CHECK(s.ir_generated == 2 && s.cache_misses >= 1); /* foo, and use bound anew */
    CHECK(run_module(2, 1, &s) == 106);
    /* (foo's IR is made: the client's generator has no source key) */
    CHECK(s.ir_generated == 1 && s.cache_hits == 3);
    if (s.ir_generated != 1 || s.cache_hits != 3)
        fprintf(stderr, "ir_generated %llu hits %llu misses %llu\n",
                (unsigned long long)s.ir_generated, (unsigned long long)s.cache_hits,
                (unsigned long long)s.cache_misses);
    /* And back: an entry under a pre-key holds one binding, the last one
     * made, so use is compiled again (twice, bound as ever, is not); then
     * kept. */
    CHECK(run_module(2, 0, &s) == 7);
    CHECK(s.cache_hits == 1 && s.cache_misses == 1 && s.ir_generated == 1);
    CHECK(run_module(2, 0, &s) == 7);
    CHECK(s.cache_hits == 2 && s.cache_misses == 0 && s.ir_generated == 0);
}

static void env_off(void) {
    setenv("KJIT_CACHE", "off", 1);
    kjit *a = make(KJIT_MODE_LAZY, 2, dir);
    CHECK(run_g(a, 1) == 6);
    CHECK(stats(a).cache_hits == 0 && stats(a).cache_misses == 0);
    kjit_destroy(a);
    unsetenv("KJIT_CACHE");
    kjit_options o;
    kjit_options_init(&o);
    CHECK(o.cache == 1); /* on by default */
}

int main(void) {
    unsetenv("KJIT_CACHE"); /* (ctest turns it off for the other tests) */
    snprintf(dir, sizeof dir, "/tmp/kjit-test-cache-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    cold_then_warm();
    damaged();
    unsafe_dirs();
    write_fails();
    transforms();
    hot_marks();
    t0_hot();
    threads();
    modules();
    env_off();
    kjit_cache_info info;
    CHECK(kjit_cache_info_get(dir, &info) == KJIT_OK && info.entries > 0);
    uint64_t removed = 0;
    CHECK(kjit_cache_clear(dir, &removed) == KJIT_OK && removed == info.entries);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return t_done("test_cache");
}
