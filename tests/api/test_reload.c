/*
 * test_reload.c — kjit_reload_module_* while the program runs: a changed
 * function, a new one, one refused (its type changed), a variable whose
 * value must survive, a thread inside the function being replaced, and a
 * thousand reloads with flat memory.
 */
#include <pthread.h>
#include <unistd.h>

#include "api_test.h"

/* Built with AddressSanitizer (clang says so with __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifndef TEST_ASAN
#define TEST_ASAN 0
#endif

/* Version 1 and 2 of one module.  `version` is what the reload changes;
 * `counter` (initialised to 100, then 5) must keep its value; `wait` spins
 * until its flag is set, then says which body it ran; `k` changes type in
 * version 2 (refused); `added` and `extra` are new in version 2. */
static const char *v1 =
    "@counter = global i64 100\n"
    "define i64 @version() {\n"
    "  ret i64 1\n"
    "}\n"
    "define i64 @bump() {\n"
    "  %v = load i64, ptr @counter\n"
    "  %w = add i64 %v, 1\n"
    "  store i64 %w, ptr @counter\n"
    "  ret i64 %w\n"
    "}\n"
    "define i64 @k(i64 %x) {\n"
    "  ret i64 %x\n"
    "}\n"
    "define i64 @wait(ptr %flag) {\n"
    "entry:\n"
    "  br label %loop\n"
    "loop:\n"
    "  %f = load atomic i32, ptr %flag acquire, align 4\n"
    "  %go = icmp ne i32 %f, 0\n"
    "  br i1 %go, label %out, label %loop\n"
    "out:\n"
    "  ret i64 1\n"
    "}\n"
    "define i64 @via() {\n"
    "  %v = call i64 @version()\n"
    "  ret i64 %v\n"
    "}\n";

static const char *v2 =
    "@counter = global i64 5\n"
    "@extra = global i64 42\n"
    "define i64 @version() {\n"
    "  ret i64 2\n"
    "}\n"
    "define i64 @bump() {\n"
    "  %v = load i64, ptr @counter\n"
    "  %w = add i64 %v, 1\n"
    "  store i64 %w, ptr @counter\n"
    "  ret i64 %w\n"
    "}\n"
    "define i32 @k(i32 %x) {\n"
    "  ret i32 %x\n"
    "}\n"
    "define i64 @wait(ptr %flag) {\n"
    "entry:\n"
    "  br label %loop\n"
    "loop:\n"
    "  %f = load atomic i32, ptr %flag acquire, align 4\n"
    "  %go = icmp ne i32 %f, 0\n"
    "  br i1 %go, label %out, label %loop\n"
    "out:\n"
    "  ret i64 2\n"
    "}\n"
    "define i64 @added() {\n"
    "  %e = load i64, ptr @extra\n"
    "  ret i64 %e\n"
    "}\n"
    "define i64 @via() {\n"
    "  %v = call i64 @version()\n"
    "  ret i64 %v\n"
    "}\n";

typedef int64_t (*fn0)(void);

static atomic_int flag;
static atomic_int inside;

static void *waiter(void *arg) {
    int64_t (*wait)(atomic_int *) = (int64_t (*)(atomic_int *))arg;
    atomic_store(&inside, 1);
    return (void *)(intptr_t)wait(&flag);
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f && fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    if (f) fclose(f);
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void in_mode(kjit_mode mode) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = mode;
    kjit *jit = NULL;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    CHECK(kjit_add_module_memory(jit, v1, strlen(v1), "prog.ll") == KJIT_OK);
    fn0 version = (fn0)kjit_address(jit, "version");
    fn0 bump = (fn0)kjit_address(jit, "bump");
    fn0 via = (fn0)kjit_address(jit, "via");
    int64_t (*k)(int64_t) = (int64_t (*)(int64_t))kjit_address(jit, "k");
    CHECK(version() == 1 && via() == 1);
    CHECK(bump() == 101 && bump() == 102);
    CHECK(k(7) == 7);
    if (mode == KJIT_MODE_TIERED) { /* a T2 body of via inlines version */
        CHECK(kjit_optimize(jit, "via") == KJIT_OK);
        kjit_drain(jit);
        CHECK(via() == 1);
    }

    /* A thread inside wait's first body while it is replaced. */
    atomic_store(&flag, 0);
    atomic_store(&inside, 0);
    pthread_t t;
    CHECK(kjit_thread_attach(jit) == KJIT_OK);
    pthread_create(&t, NULL, waiter, kjit_address(jit, "wait"));
    while (!atomic_load(&inside)) usleep(100);
    usleep(20000); /* (it is in the loop now, surely) */

    kjit_reload r;
    CHECK(kjit_reload_module_memory(jit, v2, strlen(v2), "prog.ll", &r) == KJIT_OK);
    CHECK(r.changed == 2);   /* version, wait */
    CHECK(r.added == 2);     /* added, extra */
    CHECK(r.refused == 1 && strstr(r.refused_names, "k (its type changed)"));
    CHECK(r.unchanged == 2); /* bump, via */
    CHECK(version() == 2);
    CHECK(via() == 2);       /* its T2 body inlined the old version: invalidated */
    CHECK(bump() == 103);    /* the counter kept its value */
    CHECK(k(9) == 9);        /* refused: as it was */
    fn0 added = (fn0)kjit_address(jit, "added");
    CHECK(added() == 42);
    atomic_store(&flag, 1);
    void *res;
    pthread_join(t, &res);
    CHECK((intptr_t)res == 1); /* finished in the old body */
    CHECK(((int64_t (*)(atomic_int *))kjit_address(jit, "wait"))(&flag) == 2);

    /* Errors change nothing. */
    CHECK(kjit_reload_module_memory(jit, "define i64 @version( {", 22, "prog.ll", &r) ==
          KJIT_EINVAL);
    CHECK(kjit_reload_module_memory(jit, v2, strlen(v2), "other.ll", &r) == KJIT_EINVAL);
    CHECK(strstr(kjit_errmsg(), "no module 'other.ll'") != NULL);
    CHECK(version() == 2);

    /* A thousand reloads: replaced code and source modules are freed.
     * Under an emulator (KJIT_TEST_EMULATOR: tests/aarch64/), where a
     * compile is some 30 times slower and RSS is the emulator's own, its
     * translated code included, 200 and no RSS bound. */
    const char *emulator = getenv("KJIT_TEST_EMULATOR");
    int reloads = emulator ? 200 : 1000;
    long before = 0;
    for (int i = 0; i < reloads; i++) {
        const char *v = i % 2 ? v2 : v1;
        CHECK(kjit_reload_module_memory(jit, v, strlen(v), "prog.ll", &r) == KJIT_OK);
        kjit_quiescent(jit);
        if (i == 99) before = rss_kb();
        if (version() != (i % 2 ? 2 : 1)) {
            CHECK(!"version after reload");
            break;
        }
    }
    long after = rss_kb();
    kjit_stats s;
    kjit_get_stats(jit, &s);
    CHECK(s.reclaimed_bytes > 0);
    printf("mode %d: RSS %ld KB after 100 reloads, %ld KB after %d (reclaimed %llu bytes)\n",
           (int)mode, before, after, reloads, (unsigned long long)s.reclaimed_bytes);
#if TEST_ASAN
    (void)before, (void)after; /* ASan's quarantine keeps freed memory: RSS says nothing */
#else
    if (!emulator) CHECK(after - before < 8 * 1024);
#endif
    CHECK(bump() >= 104);
    kjit_thread_detach(jit);
    kjit_destroy(jit);
}

/* Struct layouts: a reload that reorders the fields of a struct a function
 * uses is refused, naming both, and the old code runs on; a layout hook
 * sees the old and new layouts and may accept. */
static const char *layout_v1 = "%struct.S = type { i64, double }\n"
                               "define i64 @first(ptr %p) {\n"
                               "  %a = getelementptr %struct.S, ptr %p, i32 0, i32 0\n"
                               "  %v = load i64, ptr %a\n"
                               "  ret i64 %v\n"
                               "}\n";
static const char *layout_v2 = "%struct.S = type { double, i64 }\n"
                               "define i64 @first(ptr %p) {\n"
                               "  %a = getelementptr %struct.S, ptr %p, i32 0, i32 1\n"
                               "  %v = load i64, ptr %a\n"
                               "  ret i64 %v\n"
                               "}\n";
static char hook_seen[256];

static int accept_layout(void *user, const char *module, const char *type, const char *old_layout,
                         const char *new_layout) {
    snprintf(hook_seen, sizeof hook_seen, "%s|%s|%s|%s", module, type, old_layout, new_layout);
    return *(int *)user;
}

static void layouts(void) {
    kjit *jit;
    CHECK(kjit_create(NULL, &jit) == KJIT_OK);
    CHECK(kjit_add_module_memory(jit, layout_v1, strlen(layout_v1), "s.ll") == KJIT_OK);
    int64_t (*first)(void *) = (int64_t (*)(void *))kjit_address(jit, "first");
    struct { int64_t a; double b; } obj = {7, 2.5};
    CHECK(first(&obj) == 7);
    kjit_reload r;
    CHECK(kjit_reload_module_memory(jit, layout_v2, strlen(layout_v2), "s.ll", &r) == KJIT_EINVAL);
    CHECK(strstr(kjit_errmsg(), "the layout of struct S changed ({ double, i64 }, was "
                                "{ i64, double }), and first uses it") != NULL);
    CHECK(first(&obj) == 7); /* the old code runs on */
    int verdict = 0;         /* a hook that refuses: the same */
    kjit_set_layout_hook(jit, accept_layout, &verdict);
    CHECK(kjit_reload_module_memory(jit, layout_v2, strlen(layout_v2), "s.ll", &r) == KJIT_EINVAL);
    CHECK(strcmp(hook_seen, "s.ll|struct.S|{ i64, double }|{ double, i64 }") == 0);
    verdict = 1; /* accepted: reloaded */
    CHECK(kjit_reload_module_memory(jit, layout_v2, strlen(layout_v2), "s.ll", &r) == KJIT_OK);
    CHECK(r.changed == 1);
    struct { double b; int64_t a; } obj2 = {2.5, 9};
    CHECK(first(&obj2) == 9);
    kjit_destroy(jit);
}

int main(void) {
    kjit_mode modes[] = {KJIT_MODE_LAZY, KJIT_MODE_EAGER, KJIT_MODE_TIERED};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) in_mode(modes[i]);
    layouts();
    return t_done("test_reload");
}
