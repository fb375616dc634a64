/*
 * test_redefine.c — live redefinition and reclamation.
 *
 * 1. One thread calls f in a tight loop (attached, declaring quiescent
 *    states) while another redefines f 10,000 times.  Body i returns i.
 *    Every result must be a version that existed, and results never go
 *    backwards (a call reaches the current body, or one defined after).
 * 2. 100,000 redefinitions of one function (called after every 10th, so
 *    10,000 bodies are compiled and replaced): replaced code is reclaimed.
 * RSS must stay flat after warm-up (within 10 %) in both; under
 * AddressSanitizer, whose quarantine keeps freed memory, only the
 * reclaimed-bytes statistic is checked.  So it is under an emulator
 * (KJIT_TEST_EMULATOR set: a cross build's tests, tests/aarch64/), where
 * RSS is the emulator's own, its cache of translated code included, and
 * where, each compile being some 30 times slower, a fifth of the work is
 * done.
 */
#include <pthread.h>
#include <unistd.h>

#include "api_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static long rss_kb(void) {
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

#define NDEF 10000
static t_fn bodies[NDEF];
static int ndef = NDEF, nmany = 100000, check_rss = !UNDER_ASAN;
static kjit *jit;
static atomic_int stop, defined_upto;
static atomic_long calls, bad;

static void *caller(void *arg) {
    CHECK(kjit_thread_attach(jit) == KJIT_OK);
    double (*f)(void) = (double (*)(void))kjit_address(jit, "f");
    double last = -1;
    while (!atomic_load(&stop)) {
        double v = f();
        int upto = atomic_load(&defined_upto);
        if (v < last || v < 0 || v > upto || v != (int)v) atomic_fetch_add(&bad, 1);
        last = v;
        if ((atomic_fetch_add(&calls, 1) & 63) == 0) kjit_quiescent(jit);
    }
    kjit_thread_detach(jit);
    return arg;
}

static void concurrent(void) {
    kjit_options o;
    kjit_options_init(&o);
    o.opt_level = 0;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    for (int i = 0; i < ndef; i++) bodies[i] = (t_fn){.types = "", .k = i};
    CHECK(kjit_define(jit, "f", "d()", t_generate, &bodies[0], NULL) == KJIT_OK);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, caller, NULL) == 0);
    long warm = 0;
    for (int i = 1; i < ndef; i++) {
        atomic_store(&defined_upto, i);
        CHECK(kjit_define(jit, "f", "d()", t_generate, &bodies[i], NULL) == KJIT_OK);
        /* Let the caller reach (and compile) most versions. */
        long c = atomic_load(&calls);
        while (atomic_load(&calls) < c + 2) sched_yield();
        if (i == ndef / 5) warm = rss_kb();
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    long end = rss_kb();
    kjit_stats s;
    kjit_get_stats(jit, &s);
    printf("concurrent: %ld calls, %llu bodies compiled, %llu bytes reclaimed, RSS %ld -> %ld kB\n",
           atomic_load(&calls), (unsigned long long)s.compiled,
           (unsigned long long)s.reclaimed_bytes, warm, end);
    CHECK(atomic_load(&bad) == 0);
    CHECK(s.redefined == (uint64_t)ndef - 1);
    CHECK(s.compiled > (uint64_t)ndef / 2);
    CHECK(s.reclaimed_bytes > 0);
    if (check_rss) CHECK(end <= warm * 11 / 10);
    kjit_destroy(jit);
}

static void many(void) {
    kjit_options o;
    kjit_options_init(&o);
    o.opt_level = 0;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    static t_fn a = {.types = "d", .k = 1}, b = {.types = "d", .k = 2};
    double (*f)(double) = (double (*)(double))kjit_address(jit, "g");
    int every = UNDER_ASAN ? 100 : 10;
    long warm = 0;
    int wrong = 0;
    for (int i = 0; i < nmany; i++) {
        t_fn *d = (i & 1) ? &b : &a;
        if (kjit_define(jit, "g", "d(d)", t_generate, d, NULL) != KJIT_OK) wrong++;
        if (i % every == 0 && f(10) != d->k + 10) wrong++;
        if (i == nmany / 5) warm = rss_kb();
    }
    long end = rss_kb();
    kjit_stats s;
    kjit_get_stats(jit, &s);
    printf("many: %llu definitions, %llu compiled, %llu bytes reclaimed, RSS %ld -> %ld kB\n",
           (unsigned long long)s.defined, (unsigned long long)s.compiled,
           (unsigned long long)s.reclaimed_bytes, warm, end);
    CHECK(wrong == 0);
    CHECK(s.defined == (uint64_t)nmany && s.compiled == (uint64_t)(nmany / every));
    CHECK(s.reclaimed_bytes > 0);
    if (check_rss) CHECK(end <= warm * 11 / 10);
    kjit_destroy(jit);
}

int main(void) {
    if (getenv("KJIT_TEST_EMULATOR")) {
        ndef /= 5;
        nmany /= 5;
        check_rss = 0;
        printf("under %s: a fifth of the work, RSS not checked\n", getenv("KJIT_TEST_EMULATOR"));
    }
    concurrent();
    many();
    return t_done("test_redefine");
}
