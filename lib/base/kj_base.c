/*
 * kj_base.c — the bottom of libkjit (lib/base): the calling thread's error
 * text, the monotonic clock, the hash of names, and the signals kjit's
 * threads and locked regions block.  Calls nothing of libkjit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "base/kj_base.h"

static _Thread_local char tls_errmsg[KJ_ERRMSG_SIZE];

kjit_status kj_set_error(kjit_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tls_errmsg, sizeof tls_errmsg, fmt, ap);
    va_end(ap);
    return st;
}

const char *kjit_errmsg(void) { return tls_errmsg; }

/* ---- signals ------------------------------------------------------------ */

/* Every signal but the synchronous ones, which a fault raises on the
 * faulting thread. */
static void asynchronous(sigset_t *set) {
    sigfillset(set);
    static const int sync[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof sync / sizeof *sync; i++) sigdelset(set, sync[i]);
}

void kj_signals_block(sigset_t *old) {
    sigset_t all;
    asynchronous(&all);
    pthread_sigmask(SIG_BLOCK, &all, old);
}

void kj_signals_hold(sigset_t *old) {
    sigset_t held;
    asynchronous(&held);
    static const int ending[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGALRM,   SIGPIPE, SIGUSR1,
                                 SIGUSR2, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGTSTP, SIGTTIN,
                                 SIGTTOU};
    for (size_t i = 0; i < sizeof ending / sizeof *ending; i++) {
        struct sigaction sa;
        if (sigaction(ending[i], NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
            sa.sa_handler == SIG_DFL)
            sigdelset(&held, ending[i]);
    }
    pthread_sigmask(SIG_BLOCK, &held, old);
}

void kj_signals_restore(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

int kj_thread_start(pthread_t *t, void *(*fn)(void *), void *arg) {
    /* Every signal, the synchronous ones too: a program that blocks SIGFPE
     * or SIGSYS and waits for one it sends itself with kill() had it
     * delivered to kjit's thread, and died.  (A fault of kjit's own there
     * still ends the process: the kernel does not hold those back.) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* (the new thread starts with this mask) */
    int r = pthread_create(t, NULL, fn, arg);
    kj_signals_restore(&old);
    return r;
}

/* ---- descriptors ---------------------------------------------------------- */

int kj_fd_id_of(int fd, kj_fd_id *id) {
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return -1;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    return 0;
}

int kj_fd_is(int fd, const kj_fd_id *id) {
    kj_fd_id now;
    return kj_fd_id_of(fd, &now) == 0 && now.dev == id->dev && now.ino == id->ino;
}

/* ---- the clock and names ------------------------------------------------ */

uint64_t kj_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t kj_hash_name(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}
