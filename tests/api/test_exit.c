/*
 * test_exit.c — kjit_stop_tiering_for_exit.
 *   - Where the LLVM loaded keeps no static destructors (libkjit-llvm.so
 *     says so with a marker; this program, linked with libLLVM, carries the
 *     marker itself, exported, and joins every thread before its exit
 *     through kjit_destroy), a T2 compile in flight is not waited for: its
 *     generator is held until after the call has returned (a watchdog
 *     fails the test if it does not).
 *   - The code stays callable, at T1; kjit_destroy afterwards joins the
 *     compile and ends cleanly (the sanitizer build checks the memory).
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "api_test.h"

int kjit_llvm_keeps_no_statics = 1;

static atomic_int entered, released, returned;

/* Were the compile waited for, kjit_stop_tiering_for_exit would never
 * return: fail then, after a minute, instead of hanging. */
static void *watchdog(void *arg) {
    (void)arg;
    for (int i = 0; i < 60000 && !atomic_load(&returned); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    if (!atomic_load(&returned)) {
        fprintf(stderr, "FAIL: kjit_stop_tiering_for_exit waited for the compile in flight\n");
        _exit(1);
    }
    return NULL;
}

/* h's generator: its second call is T2's, held until released. */
static int held(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    t_fn *d = user;
    if (atomic_load(&d->calls) >= 1) {
        atomic_store(&entered, 1);
        while (!atomic_load(&released)) nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    return t_generate(d, mod, symbol, err, len);
}

int main(void) {
    kjit_options o;
    kjit_options_init(&o);
    o.mode = KJIT_MODE_TIERED;
    o.hot_threshold = 1000000000; /* (kjit_optimize queues it) */
    o.cache = 0;
    kjit *jit;
    CHECK(kjit_create(&o, &jit) == KJIT_OK);
    static t_fn h1 = {.types = "d", .k = 10};
    CHECK(kjit_define(jit, "h", "d(d)", held, &h1, NULL) == KJIT_OK);
    double (*h)(double) = (double (*)(double))kjit_address(jit, "h");
    CHECK(h(1) == 11);
    CHECK(kjit_optimize(jit, "h") == KJIT_OK);
    for (int i = 0; i < 60000 && !atomic_load(&entered); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    CHECK(atomic_load(&entered)); /* T2's generator is running */
    pthread_t dog;
    CHECK(pthread_create(&dog, NULL, watchdog, NULL) == 0);
    kjit_stop_tiering_for_exit(jit); /* returns with it still held */
    atomic_store(&returned, 1);
    pthread_join(dog, NULL);
    CHECK(atomic_load(&released) == 0);
    CHECK(h(2) == 12);
    kjit_fn_info info;
    CHECK(kjit_fn_info_get(jit, "h", &info) == KJIT_OK && info.state != KJIT_FN_T2);
    atomic_store(&released, 1);
    kjit_destroy(jit); /* joins the abandoned compile */
    return t_done("test_exit");
}
